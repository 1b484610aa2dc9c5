package dev.chelsea.engine.grammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random schemas from the supported subset: objects (some properties required, some optional,
 * {@code additionalProperties: false} or not), arrays with {@code items} and item counts,
 * strings, numbers, integers, booleans, enums and consts, nullable and multi-type values,
 * {@code anyOf} over values that start differently, "any value", and {@code $ref} into
 * {@code $defs}, recursive ones included.
 */
final class RandomSchemas {
    private static final String[] NAMES = {"name", "age", "id", "tags", "items", "price", "active", "kind", "note", "address",
            "city", "zip", "score", "title", "a\"quoted\"", "caf\u00e9", "nested", "list", "value", "x"};
    private final SplittableRandom r;

    RandomSchemas(long seed) {
        this.r = new SplittableRandom(seed);
    }

    /** A schema whose top level is an object, as AI services and tool parameters have. */
    Map<String, Object> objectSchema() {
        Map<String, Object> s = object(2);
        if (r.nextInt(4) == 0) {
            // a recursive definition reached through an optional or nullable property
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("type", "object");
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("label", Map.of("type", "string"));
            props.put("child", Map.of("anyOf", List.of(Map.of("$ref", "#/$defs/node"), Map.of("type", "null"))));
            node.put("properties", props);
            node.put("required", List.of("label", "child"));
            node.put("additionalProperties", false);
            @SuppressWarnings("unchecked")
            Map<String, Object> top = (Map<String, Object>) s.get("properties");
            top.put("tree", Map.of("$ref", "#/$defs/node"));
            s.put("$defs", Map.of("node", node));
        }
        return s;
    }

    Map<String, Object> value(int depth) {
        int pick = r.nextInt(depth <= 0 ? 8 : 12);
        Map<String, Object> s = new LinkedHashMap<>();
        switch (pick) {
            case 0, 1 -> s.put("type", "string");
            case 2 -> s.put("type", "integer");
            case 3 -> s.put("type", "number");
            case 4 -> s.put("type", "boolean");
            case 5 -> {
                s.put("type", "string");
                s.put("enum", List.of("red", "green", "greenish", "blue"));
            }
            case 6 -> {
                switch (r.nextInt(4)) {
                    case 0 -> s.put("enum", List.of(1L, 10L, "ten", true));
                    case 1 -> s.put("const", "fixed");
                    case 2 -> s.put("type", List.of("string", "null"));
                    default -> {
                        s.put("type", "integer");
                        s.put("nullable", true);
                    }
                }
            }
            case 7 -> {
                if (r.nextBoolean()) {
                    s.put("anyOf", List.of(Map.of("type", "integer"), Map.of("type", "string"), Map.of("type", "null")));
                } else {
                    s.put("description", "anything");
                }
            }
            case 8, 9 -> {
                return object(depth - 1);
            }
            default -> {
                s.put("type", "array");
                s.put("items", value(depth - 1));
                if (r.nextInt(3) == 0) {
                    s.put("minItems", (long) r.nextInt(3));
                }
                if (r.nextInt(3) == 0) {
                    s.put("maxItems", (long) (2 + r.nextInt(3)));
                }
            }
        }
        if (r.nextInt(4) == 0) {
            s.put("description", "a field");
        }
        return s;
    }

    Map<String, Object> object(int depth) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        Map<String, Object> props = new LinkedHashMap<>();
        List<Object> required = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            String name = NAMES[r.nextInt(NAMES.length)];
            if (props.containsKey(name)) {
                continue;
            }
            props.put(name, value(depth));
            if (r.nextInt(3) != 0) {
                required.add(name);
            }
        }
        s.put("properties", props);
        s.put("required", required);
        if (r.nextBoolean()) {
            s.put("additionalProperties", false);
        }
        return s;
    }
}
