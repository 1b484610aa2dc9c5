package dev.chelsea.quarkus.it;

import static io.restassured.RestAssured.given;

/** Values read from the Prometheus endpoint. */
final class Metrics {
    private Metrics() {
    }

    /** The value of the series that starts with {@code series} (name and labels as Prometheus writes them); 0 when absent. */
    static double value(String series) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith(series)).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
    }
}
