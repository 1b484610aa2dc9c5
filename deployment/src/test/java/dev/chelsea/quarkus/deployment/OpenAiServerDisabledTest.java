package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/** Off unless switched on: no endpoints, nothing in the OpenAPI document. */
class OpenAiServerDisabledTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.threads", "2")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "256");

    @Test
    void thereIsNoOpenAiServer() {
        given().get("/v1/models").then().statusCode(404);
        given().contentType("application/json").body("{}").post("/v1/chat/completions").then().statusCode(404);
        given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", anyOf(nullValue(), not(hasKey("/v1/chat/completions"))));
    }
}
