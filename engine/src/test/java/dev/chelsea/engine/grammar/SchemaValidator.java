package dev.chelsea.engine.grammar;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Validates a value (as {@link StrictJson} reads it) against a schema of the supported subset,
 * written independently of the grammar compiler so that tests check one against the other.
 * Returns null when valid, else what failed and where.
 */
final class SchemaValidator {
    private final Object root;

    private SchemaValidator(Object root) {
        this.root = root;
    }

    static String validate(Object schema, Object value) {
        return new SchemaValidator(schema).check(schema, value, "$");
    }

    @SuppressWarnings("unchecked")
    private String check(Object schema, Object v, String path) {
        if (Boolean.TRUE.equals(schema)) {
            return null;
        }
        Map<String, Object> s = (Map<String, Object>) schema;
        if (s.containsKey("$ref")) {
            Object target = root;
            String ref = (String) s.get("$ref");
            if (ref.length() > 1) {
                for (String part : ref.substring(2).split("/")) {
                    target = ((Map<String, Object>) target).get(part);
                }
            }
            return check(target, v, path);
        }
        if (v == null && Boolean.TRUE.equals(s.get("nullable"))) {
            return null;
        }
        if (s.containsKey("const") && !same(s.get("const"), v)) {
            return path + ": not the const " + s.get("const");
        }
        if (s.containsKey("enum") && ((List<Object>) s.get("enum")).stream().noneMatch(e -> same(e, v))) {
            return path + ": not in the enum " + s.get("enum");
        }
        if (s.containsKey("anyOf")) {
            List<Object> branches = (List<Object>) s.get("anyOf");
            for (Object b : branches) {
                if (check(b, v, path) == null) {
                    return null;
                }
            }
            return path + ": matches no anyOf branch";
        }
        if (s.containsKey("type")) {
            Object t = s.get("type");
            List<Object> types = t instanceof List<?> l ? (List<Object>) l : List.of(t);
            if (types.stream().noneMatch(x -> hasType(v, (String) x))) {
                return path + ": " + describe(v) + " is not of type " + types;
            }
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> props = (Map<String, Object>) s.getOrDefault("properties", Map.of());
            for (Object r : (List<Object>) s.getOrDefault("required", List.of())) {
                if (!m.containsKey(r)) {
                    return path + ": required property " + r + " is missing";
                }
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = (String) e.getKey();
                Object sub = props.containsKey(k) ? props.get(k) : s.getOrDefault("additionalProperties", Boolean.TRUE);
                if (Boolean.FALSE.equals(sub)) {
                    return path + ": property " + k + " is not allowed";
                }
                String err = check(sub, e.getValue(), path + "." + k);
                if (err != null) {
                    return err;
                }
            }
        }
        if (v instanceof List<?> l) {
            if (s.containsKey("minItems") && l.size() < ((Number) s.get("minItems")).intValue()) {
                return path + ": fewer than minItems";
            }
            if (s.containsKey("maxItems") && l.size() > ((Number) s.get("maxItems")).intValue()) {
                return path + ": more than maxItems";
            }
            for (int k = 0; k < l.size(); k++) {
                String err = check(s.getOrDefault("items", Boolean.TRUE), l.get(k), path + "[" + k + "]");
                if (err != null) {
                    return err;
                }
            }
        }
        return null;
    }

    private static boolean hasType(Object v, String type) {
        return switch (type) {
            case "null" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "string" -> v instanceof String;
            case "number" -> v instanceof BigDecimal;
            case "integer" -> v instanceof BigDecimal d && d.stripTrailingZeros().scale() <= 0;
            case "object" -> v instanceof Map;
            case "array" -> v instanceof List;
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** JSON equality: numbers by value. */
    private static boolean same(Object schemaValue, Object v) {
        if (schemaValue instanceof Number a && v instanceof BigDecimal b) {
            return new BigDecimal(a.toString()).compareTo(b) == 0;
        }
        return Objects.equals(schemaValue, v);
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
    }
}
