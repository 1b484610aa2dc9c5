package dev.chelsea.engine.grammar;

import dev.chelsea.engine.grammar.GrammarBuilder.Rule;
import dev.chelsea.engine.json.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Turns one JSON Schema (a parsed JSON value) into rules of a {@link GrammarBuilder}. The subset:
 * {@code type} (one or several), {@code properties}, {@code required}, {@code additionalProperties},
 * {@code items}, {@code minItems}/{@code maxItems}, {@code enum}, {@code const}, {@code anyOf},
 * {@code nullable}, local {@code $ref} ({@code #}, {@code #/$defs/..}, {@code #/definitions/..}),
 * and the annotations ({@code description}, {@code title}, ...). Anything else is refused with
 * its name and path, because ignoring a keyword would produce values that do not validate.
 *
 * <p>Objects write their properties in the schema's order; optional ones may be left out.
 * Declared properties are the only ones written even where {@code additionalProperties} allows
 * more (the output still validates). Alternatives ({@code anyOf}, several types) must differ in
 * their first characters, or, for objects, in a key or literal value after a common start; the
 * automaton follows one path.
 */
final class JsonSchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("description", "title", "default", "examples", "$schema", "$id",
            "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties", "items",
            "minItems", "maxItems", "enum", "const", "anyOf", "nullable", "$ref", "uniqueItems");
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean", "null");
    /** Optional array items are unrolled one by one; beyond this the grammar would grow too large. */
    private static final int MAX_BOUNDED_ITEMS = 1000;

    private final JsonRules json;
    private final Object root;
    private final String rootPath;
    private final Map<String, Rule> refs = new HashMap<>();
    private final Map<String, Rule> shared;

    /**
     * @param shared rules by canonical schema text, shared by all schemas of one grammar so that
     *               equal sub-schemas become one rule (and alternatives that call it merge)
     */
    JsonSchemaCompiler(JsonRules json, Object root, String rootPath, Map<String, Rule> shared) {
        this.json = json;
        this.root = root;
        this.rootPath = rootPath;
        this.shared = shared;
    }

    /** Writes a value of the root schema after {@code from}; returns the state after it. */
    int root(Rule r, int from) {
        return value(r, from, root, rootPath);
    }

    /** Writes a value of {@code schema} after {@code from}; returns the state after it. */
    int value(Rule r, int from, Object schema, String path) {
        Map<String, Object> s = check(schema, path);
        if (s == null) {
            return r.call(from, json.anyValue());
        }
        if (s.containsKey("$ref")) {
            for (String k : s.keySet()) {
                if (!k.equals("$ref") && !ANNOTATIONS.contains(k)) {
                    throw refuse(path, "'$ref' beside other keywords ('" + k + "')");
                }
            }
            return r.call(from, ref(s.get("$ref"), path));
        }
        List<Alternative> alts = alternatives(s, path);
        if (alts.size() == 1) {
            return alts.getFirst().write(r, from, false);
        }
        String name = (s.containsKey("anyOf") ? "anyOf" : s.containsKey("type") ? "type " + types(s, path) : "value") + " at " + path;
        Rule choice = shared(name, s, c -> {
            for (Alternative a : alts) {
                c.finish(a.write(c, c.start(), true));
            }
        });
        return r.call(from, choice);
    }

    /** One way a value may look: a literal, a type of the schema, or one anyOf branch. */
    private interface Alternative {
        /** {@code inline}: write objects into {@code r} itself, so that alternatives can share their start. */
        int write(Rule r, int from, boolean inline);
    }

    private List<Alternative> alternatives(Map<String, Object> s, String path) {
        List<Alternative> out = new ArrayList<>();
        List<String> types = s.containsKey("type") ? types(s, path) : null;
        if (s.containsKey("enum") || s.containsKey("const")) {
            if (s.containsKey("anyOf")) {
                throw refuse(path, "'enum' or 'const' together with 'anyOf'");
            }
            List<Object> values = new ArrayList<>();
            if (s.containsKey("const")) {
                values.add(s.get("const"));
            }
            if (s.containsKey("enum")) {
                if (!(s.get("enum") instanceof List<?> l) || l.isEmpty()) {
                    throw invalid(path, "'enum' that is not a non-empty array");
                }
                if (s.containsKey("const")) {
                    values.retainAll(l);
                } else {
                    values.addAll(l);
                }
            }
            Set<String> literals = new LinkedHashSet<>();
            for (Object v : values) {
                if (types == null || types.contains(typeOf(v)) || (typeOf(v).equals("integer") && types.contains("number"))) {
                    literals.add(Json.write(v));
                }
            }
            if (literals.isEmpty()) {
                throw invalid(path, "'enum'/'const' has no value of the allowed type(s)");
            }
            for (String lit : literals) {
                out.add((r, from, inline) -> r.literal(from, lit));
            }
            return out;
        }
        if (s.containsKey("anyOf")) {
            if (types != null) {
                throw refuse(path, "'anyOf' together with 'type' (put the type into each branch)");
            }
            if (!(s.get("anyOf") instanceof List<?> branches) || branches.isEmpty()) {
                throw invalid(path, "'anyOf' that is not a non-empty array");
            }
            for (int i = 0; i < branches.size(); i++) {
                Object branch = branches.get(i);
                String p = path + ".anyOf[" + i + "]";
                Map<String, Object> b = check(branch, p);
                List<Alternative> inner = b != null && !b.containsKey("$ref") && !b.containsKey("anyOf") ? alternatives(b, p) : null;
                if (inner != null && inner.size() == 1) {
                    out.add(inner.getFirst());
                } else {
                    out.add((r, from, inline) -> value(r, from, branch, p));
                }
            }
            addNull(s, out);
            return out;
        }
        if (types == null) {
            types = inferredTypes(s);
        }
        if (types.contains("number")) {
            types = new ArrayList<>(types);
            types.remove("integer");
        }
        for (String t : types) {
            out.add(typed(t, s, path));
        }
        addNull(s, out);
        return out;
    }

    private void addNull(Map<String, Object> s, List<Alternative> out) {
        if (Boolean.TRUE.equals(s.get("nullable"))) {
            out.add((r, from, inline) -> r.literal(from, "null"));
        }
    }

    private List<String> inferredTypes(Map<String, Object> s) {
        if (s.containsKey("properties") || s.containsKey("required") || s.containsKey("additionalProperties")) {
            return List.of("object");
        }
        if (s.containsKey("items") || s.containsKey("minItems") || s.containsKey("maxItems")) {
            return List.of("array");
        }
        return TYPES.subList(0, TYPES.size()); // any value
    }

    private Alternative typed(String type, Map<String, Object> s, String path) {
        return switch (type) {
            case "string" -> (r, from, inline) -> r.call(from, json.string());
            case "number" -> (r, from, inline) -> r.call(from, json.number());
            case "integer" -> (r, from, inline) -> r.call(from, json.integer());
            case "boolean" -> (r, from, inline) -> r.join(r.literal(from, "true"), r.literal(from, "false"));
            case "null" -> (r, from, inline) -> r.literal(from, "null");
            case "array" -> {
                Rule a = array(s, path);
                yield (r, from, inline) -> r.call(from, a);
            }
            case "object" -> (r, from, inline) -> inline ? object(r, from, s, path)
                    : r.call(from, shared("object at " + path, s, o -> o.finish(object(o, o.start(), s, path))));
            default -> throw new IllegalStateException(type);
        };
    }

    private int object(Rule r, int from, Map<String, Object> s, String path) {
        Map<String, Object> props = map(s.get("properties"), path, "properties");
        List<String> required = new ArrayList<>();
        if (s.containsKey("required")) {
            if (!(s.get("required") instanceof List<?> l)) {
                throw invalid(path, "'required' that is not an array");
            }
            for (Object o : l) {
                if (!(o instanceof String name)) {
                    throw invalid(path, "'required' with a non-string entry");
                }
                if (props == null || !props.containsKey(name)) {
                    throw refuse(path, "a required property ('" + name + "') that 'properties' does not declare");
                }
                required.add(name);
            }
        }
        Object additional = s.get("additionalProperties");
        if (props == null || props.isEmpty()) {
            if (Boolean.FALSE.equals(additional)) {
                return r.literal(json.token(r, from, "{"), "}");
            }
            if (additional == null || Boolean.TRUE.equals(additional)) {
                return r.call(from, json.anyObject());
            }
            String p = path + ".additionalProperties";
            return json.map(r, from, (rr, f) -> value(rr, f, additional, p));
        }
        if (additional != null && !(additional instanceof Boolean) && !(additional instanceof Map)) {
            throw invalid(path, "'additionalProperties' that is neither a boolean nor a schema");
        }
        List<String> names = new ArrayList<>(props.keySet());
        int n = names.size();
        // after each property the keys that may come next form a trie (the automaton's states there);
        // optional properties make these tries grow with the square of their number
        long estimate = 0;
        for (int last = -1; last < n; last++) {
            Set<String> prefixes = new HashSet<>();
            for (int j = last + 1; j < n; j++) {
                String key = Json.quote(names.get(j));
                for (int k = 1; k < key.length(); k++) {
                    prefixes.add(key.substring(0, k));
                }
                if (required.contains(names.get(j))) {
                    break;
                }
            }
            estimate += prefixes.size() + 2;
        }
        if (estimate > GrammarBuilder.MAX_STATES) {
            throw refuse(path, "an object with this many optional properties (" + (n - required.size()) + " of " + n
                    + ", about " + estimate + " automaton states, at most " + GrammarBuilder.MAX_STATES
                    + "; the states grow with the square of their number: make more of them required)");
        }
        // after[i]: the junction after property i (index n stands for "{" with no property yet);
        // key[j]: the state right after property j's key, shared by every place the key may come,
        // so that the automaton has one path per property from there on
        int[] after = new int[n + 1];
        int[] key = new int[n];
        after[n] = json.token(r, from, "{");
        for (int i = 0; i < n; i++) {
            after[i] = r.state();
            key[i] = r.state();
        }
        int close = r.state();
        for (int last = -1; last < n; last++) {
            int at = last < 0 ? after[n] : after[last];
            int next = last < 0 ? at : json.token(r, at, ",");
            for (int j = last + 1; j < n; j++) {
                byte[] quoted = Json.quote(names.get(j)).getBytes(StandardCharsets.UTF_8);
                int x = r.literal(next, Arrays.copyOf(quoted, quoted.length - 1));
                r.range(x, quoted[quoted.length - 1] & 0xFF, quoted[quoted.length - 1] & 0xFF, key[j]);
                if (required.contains(names.get(j))) {
                    break; // no later property may come before a required one
                }
            }
            boolean rest = true;
            for (int k = last + 1; k < n; k++) {
                rest &= !required.contains(names.get(k));
            }
            if (rest) {
                r.eps(r.literal(at, "}"), close);
            }
        }
        for (int j = 0; j < n; j++) {
            String p = path + ".properties." + names.get(j);
            r.eps(json.optWs(r, value(r, json.token(r, json.optWs(r, key[j]), ":"), props.get(names.get(j)), p)), after[j]);
        }
        return close;
    }

    private Rule array(Map<String, Object> s, String path) {
        int min = count(s, "minItems", path, 0);
        int max = count(s, "maxItems", path, -1);
        if (max >= 0 && max < min) {
            throw invalid(path, "'maxItems' below 'minItems'");
        }
        if (max > MAX_BOUNDED_ITEMS || (max < 0 && min > MAX_BOUNDED_ITEMS)) {
            throw refuse(path, "'minItems'/'maxItems' above " + MAX_BOUNDED_ITEMS);
        }
        if (Boolean.TRUE.equals(s.get("uniqueItems"))) {
            throw refuse(path, "'uniqueItems'");
        }
        Object items = s.get("items");
        if (items instanceof List<?>) {
            throw refuse(path, "'items' as an array (tuple validation)");
        }
        String p = path + ".items";
        return shared("array at " + path, s, a -> a.finish(json.array(a, a.start(),
                (r, from) -> items == null ? r.call(from, json.anyValue()) : value(r, from, items, p), min, max)));
    }

    private int count(Map<String, Object> s, String key, String path, int absent) {
        Object v = s.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Number x) || x.doubleValue() != Math.rint(x.doubleValue()) || x.doubleValue() < 0
                || x.doubleValue() > Integer.MAX_VALUE) {
            throw invalid(path, "'" + key + "' that is not a non-negative integer");
        }
        return x.intValue();
    }

    /** The rule for a schema, shared with equal schemas; created before its body so recursion works. */
    private Rule shared(String name, Map<String, Object> s, Consumer<Rule> body) {
        // references resolve against the root, so equal texts under different roots may differ
        String key = name.substring(0, name.indexOf(" at ")) + " " + Json.write(s) + " in " + rootPath;
        Rule r = shared.get(key);
        if (r == null) {
            r = json.builder.rule(name);
            shared.put(key, r);
            body.accept(r);
        }
        return r;
    }

    private Rule ref(Object ref, String path) {
        if (!(ref instanceof String target)) {
            throw refuse(path, "'$ref' that is not a string");
        }
        Rule r = refs.get(target);
        if (r == null) {
            Object schema = resolve(target, path);
            r = json.builder.rule("$ref " + target);
            refs.put(target, r);
            r.finish(value(r, r.start(), schema, target));
        }
        return r;
    }

    private Object resolve(String ref, String path) {
        if (!ref.equals("#") && !ref.startsWith("#/")) {
            throw refuse(path, "'$ref' to '" + ref + "' (only references within the schema, '#/...', are supported)");
        }
        Object node = root;
        if (ref.length() > 1) {
            for (String part : ref.substring(2).split("/", -1)) {
                String key = part.replace("~1", "/").replace("~0", "~");
                if (!(node instanceof Map<?, ?> m) || !m.containsKey(key)) {
                    throw invalid(path, "'$ref' to '" + ref + "', which does not exist");
                }
                node = m.get(key);
            }
        }
        return node;
    }

    /** Checks the keywords; returns the schema as a map, or null for "anything" ({@code true}, {@code {}}). */
    @SuppressWarnings("unchecked")
    private Map<String, Object> check(Object schema, String path) {
        if (Boolean.TRUE.equals(schema)) {
            return null;
        }
        if (Boolean.FALSE.equals(schema)) {
            throw new UnsupportedSchemaException("unsupported JSON Schema at " + path + ": the schema 'false' admits no value");
        }
        if (!(schema instanceof Map<?, ?> m)) {
            throw invalid(path, "a schema that is neither an object nor a boolean: " + (schema == null ? "null" : Json.write(schema)));
        }
        for (Object k : m.keySet()) {
            String key = (String) k;
            if (!SUPPORTED.contains(key) && !ANNOTATIONS.contains(key)) {
                throw refuse(path, "'" + key + "'");
            }
        }
        Map<String, Object> s = (Map<String, Object>) m;
        if (s.containsKey("nullable") && !(s.get("nullable") instanceof Boolean)) {
            throw invalid(path, "'nullable' that is not a boolean");
        }
        boolean constraining = false;
        for (String k : s.keySet()) {
            constraining |= SUPPORTED.contains(k) && !(k.equals("nullable") || k.equals("uniqueItems"));
        }
        return constraining ? s : null;
    }

    private static Map<String, Object> map(Object v, String path, String key) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?>)) {
            throw invalid(path, "'" + key + "' that is not an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return m;
    }

    private static List<String> types(Map<String, Object> s, String path) {
        Object t = s.get("type");
        List<String> out = new ArrayList<>();
        if (t instanceof String one) {
            out.add(one);
        } else if (t instanceof List<?> l && !l.isEmpty()) {
            for (Object o : l) {
                out.add(String.valueOf(o));
            }
        } else {
            throw invalid(path, "'type' that is neither a type name nor a non-empty array of them");
        }
        for (String name : out) {
            if (!TYPES.contains(name)) {
                throw invalid(path, "unknown type '" + name + "'");
            }
        }
        return out;
    }

    private static String typeOf(Object v) {
        return switch (v) {
            case null -> "null";
            case String x -> "string";
            case Boolean x -> "boolean";
            case Long x -> "integer";
            case Number x -> x.doubleValue() == Math.rint(x.doubleValue()) ? "integer" : "number";
            case Map<?, ?> x -> "object";
            case List<?> x -> "array";
            default -> "unknown";
        };
    }

    static UnsupportedSchemaException invalid(String path, String what) {
        return new UnsupportedSchemaException("invalid JSON Schema at " + path + ": " + what);
    }

    static UnsupportedSchemaException refuse(String path, String construct) {
        return new UnsupportedSchemaException("unsupported JSON Schema at " + path + ": " + construct + " is not supported");
    }
}
