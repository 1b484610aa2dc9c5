package dev.chelsea.quarkus.deployment;

import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.Paths;

import java.util.LinkedHashMap;
import java.util.Map;

/** Moves the OpenAPI operations under {@code from} to {@code to} (the server's configured path). */
final class OpenApiPathFilter implements OASFilter {
    private final String from;
    private final String to;

    OpenApiPathFilter(String from, String to) {
        this.from = from;
        this.to = to;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Paths paths = openAPI.getPaths();
        if (paths == null || paths.getPathItems() == null) {
            return;
        }
        Map<String, PathItem> moved = new LinkedHashMap<>();
        for (Map.Entry<String, PathItem> e : paths.getPathItems().entrySet()) {
            String p = e.getKey();
            moved.put(p.equals(from) || p.startsWith(from + "/") ? to + p.substring(from.length()) : p, e.getValue());
        }
        paths.setPathItems(moved);
    }
}
