package dev.chelsea.quarkus.it;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/**
 * A model file truncated under the running service, on a copy of the shared model: its requests
 * fail with a clear 503, readiness reports that model DOWN, and the other models keep serving.
 */
@QuarkusTest
@TestProfile(ModelFileTruncatedTest.OnACopy.class)
class ModelFileTruncatedTest {
    /** Under target/: the profile and the test see the same path whatever their class loaders. */
    static final Path COPY = Path.of("target", "model-file-truncated", "copy.gguf").toAbsolutePath();

    public static class OnACopy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(COPY.getParent());
                Files.copy(Path.of(System.getProperty("chelsea.shared"), "models", "stories260K.gguf"), COPY,
                        StandardCopyOption.REPLACE_EXISTING);
                COPY.toFile().setWritable(true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("quarkus.langchain4j.chelsea.\"copy\".chat-model.model-path", COPY.toString(),
                    "quarkus.langchain4j.chelsea.\"copy\".chat-model.context-length", "256",
                    "quarkus.langchain4j.chelsea.\"copy\".chat-model.threads", "2");
        }
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":8,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
    }

    @Test
    void aTruncatedFileFailsItsModelOnlyAndReadinessSaysWhich() throws IOException {
        given().contentType(ContentType.JSON).body(body("copy")).when().post("/v1/chat/completions").then().statusCode(200);
        given().when().get("/q/health/ready").then().statusCode(200);
        long size = Files.size(COPY);
        try (FileChannel ch = FileChannel.open(COPY, StandardOpenOption.WRITE)) {
            ch.truncate(size / 2);
        }

        given().contentType(ContentType.JSON).body(body("copy")).when().post("/v1/chat/completions")
                .then().statusCode(503)
                .body("error.code", equalTo("model_unavailable"))
                .body("error.message", containsString(COPY.toString()))
                .body("error.message", containsString("truncated from " + size + " to " + size / 2));
        given().when().get("/q/health/ready")
                .then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'Chelsea models' }.data.copy", startsWith("DOWN: "))
                .body("checks.find { it.name == 'Chelsea models' }.data.copy", containsString("truncated"));

        given().contentType(ContentType.JSON).body(body("story")).when().post("/v1/chat/completions")
                .then().statusCode(200).body("choices[0].message.content", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyString()));
        given().contentType(ContentType.JSON).body(body("default")).when().post("/v1/chat/completions").then().statusCode(200);
    }
}
