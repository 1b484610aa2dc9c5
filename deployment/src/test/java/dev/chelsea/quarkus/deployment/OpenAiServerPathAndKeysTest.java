package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

/** The OpenAI server at a configured path, behind API keys, with a small body limit. */
class OpenAiServerPathAndKeysTest {
    static final String COMPLETION = "{\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";

    /** An application resource at the root: it shares "/" with the OpenAI resource and needs no key. */
    @jakarta.ws.rs.Path("/")
    public static class Hello {
        @jakarta.ws.rs.GET
        @jakarta.ws.rs.Path("/hello")
        public String hello() {
            return "hello";
        }
    }

    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Hello.class))
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.threads", "2")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "256")
            .overrideConfigKey("quarkus.langchain4j.chelsea.openai-server.enabled", "true")
            .overrideConfigKey("quarkus.langchain4j.chelsea.openai-server.path", "/openai/v1/")
            .overrideConfigKey("quarkus.langchain4j.chelsea.openai-server.api-keys", "first-key,second-key")
            .overrideConfigKey("quarkus.langchain4j.chelsea.openai-server.max-request-size", "1K");

    @Test
    void requestsWithoutAValidKeyAreRefused() {
        given().get("/openai/v1/models").then().statusCode(401).contentType(ContentType.JSON)
                .header("WWW-Authenticate", "Bearer")
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.message", containsString("Authorization: Bearer"));
        given().header("Authorization", "Bearer third-key").get("/openai/v1/models").then().statusCode(401)
                .body("error.message", containsString("not valid"));
        given().contentType(ContentType.JSON).body(COMPLETION).post("/openai/v1/chat/completions").then().statusCode(401);
        given().get("/hello").then().statusCode(200).body(equalTo("hello"));
    }

    @Test
    void aValidKeyIsServedAtTheConfiguredPath() {
        given().header("Authorization", "Bearer second-key").get("/openai/v1/models").then().statusCode(200)
                .body("data[0].id", equalTo("default"));
        given().header("Authorization", "Bearer first-key").contentType(ContentType.JSON).body(COMPLETION)
                .post("/openai/v1/chat/completions").then().statusCode(200)
                .body("usage.completion_tokens", equalTo(3));
        given().header("Authorization", "Bearer first-key").get("/v1/models").then().statusCode(404);
    }

    @Test
    void bodiesOverTheLimitAreRefused() {
        String big = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(2000) + "\"}]}";
        given().header("Authorization", "Bearer first-key").contentType(ContentType.JSON).body(big)
                .post("/openai/v1/chat/completions").then().statusCode(413)
                .body("error.code", equalTo("request_too_large"))
                .body("error.message", containsString("larger than 1024 bytes"));
    }

    @Test
    void theOpenApiDocumentShowsTheConfiguredPath() {
        given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", hasKey("/openai/v1/chat/completions"))
                .body("paths", hasKey("/openai/v1/models/{id}"))
                .body("paths", not(hasKey("/v1/chat/completions")));
    }
}
