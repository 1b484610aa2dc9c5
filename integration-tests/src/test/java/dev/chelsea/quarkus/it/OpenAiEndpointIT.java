package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

@QuarkusIntegrationTest
class OpenAiEndpointIT extends OpenAiEndpointTest {
}
