package dev.chelsea.samples.chat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyString;

@QuarkusTest
class StoryResourceTest {
    @Test
    void continuesAStory() {
        given().contentType(ContentType.TEXT).body("there was a little dog")
                .when().post("/story")
                .then().statusCode(200).body(not(emptyString()));
        given().contentType(ContentType.TEXT).body(" ")
                .when().post("/story")
                .then().statusCode(400);
    }
}
