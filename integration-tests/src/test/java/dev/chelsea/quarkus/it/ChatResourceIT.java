package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same requests against the packaged application (java --add-modules jdk.incubator.vector -jar ...). */
@QuarkusIntegrationTest
class ChatResourceIT extends ChatResourceTest {
}
