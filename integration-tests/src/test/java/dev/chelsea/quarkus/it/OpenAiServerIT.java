package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same checks against the packaged application (Swagger UI included). */
@QuarkusIntegrationTest
class OpenAiServerIT extends OpenAiServerTest {
}
