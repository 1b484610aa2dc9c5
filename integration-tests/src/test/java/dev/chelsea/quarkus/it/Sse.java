package dev.chelsea.quarkus.it;

import java.util.ArrayList;
import java.util.List;

/** Reads the data lines of a server-sent event stream. */
final class Sse {
    private Sse() {
    }

    /** The data of each event, in order ("data:" with or without the optional space). */
    static List<String> data(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data:")) {
                String d = line.substring(5);
                out.add(d.startsWith(" ") ? d.substring(1) : d);
            }
        }
        return out;
    }
}
