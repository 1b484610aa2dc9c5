package dev.chelsea.engine.grammar;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each schema construct accepts and rejects, and how unsupported or invalid schemas are refused. */
class JsonSchemaGrammarTest {

    private static void accepts(String schema, String... texts) {
        Grammar g = JsonSchemaGrammar.compile(schema);
        for (String t : texts) {
            assertTrue(g.accepts(t), schema + " should accept " + t);
        }
    }

    private static void rejects(String schema, String... texts) {
        Grammar g = JsonSchemaGrammar.compile(schema);
        for (String t : texts) {
            assertFalse(g.accepts(t), schema + " should reject " + t);
        }
    }

    @Test
    void anyValueIsStrictJson() {
        accepts("{}", "{}", "[]", "0", "-0", "-12.5e+3", "1E2", "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", "\"\u00e9\u4e2d\uD83D\uDE00\"", "true",
                "false", "null", "{\"a\": [1, {\"b\": null}], \"c\": \"d\"}", "\n  {\n    \"a\": 1\n  }", " [ 1 , 2 ]");
        rejects("{}", "01", "1.", ".5", "+1", "1e", "\"\\x\"", "\"\\ud800\"", "\"a", "\"tab\there\"", "[1,]", "{\"a\":1,}", "{a:1}", "tru",
                "nul", "{} {}", "[1]x", "{\"a\"  :1}", "\t{}", "NaN", "\"\\u12\"");
        // the bytes themselves must be UTF-8
        Grammar g = JsonSchemaGrammar.anyValue();
        assertFalse(g.acceptsPrefix(new byte[]{'"', (byte) 0xC0, (byte) 0x80}), "overlong");
        assertFalse(g.acceptsPrefix(new byte[]{'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80}), "surrogate");
        assertFalse(g.acceptsPrefix(new byte[]{'"', (byte) 0xF5}), "beyond U+10FFFF");
        assertTrue(g.acceptsPrefix(new byte[]{'"', (byte) 0xF0, (byte) 0x9F}), "a 4-byte character half written");
    }

    @Test
    void boundedRunsKeepModelsFromRunningOn() {
        String sixteen = "1234567890123456";
        accepts("{\"type\":\"integer\"}", sixteen, "-" + sixteen, "0");
        rejects("{\"type\":\"integer\"}", sixteen + "7", "1.0", "1e3");
        accepts("{\"type\":\"number\"}", "1." + sixteen, "1e99", "-0.5E-7");
        rejects("{\"type\":\"number\"}", "1." + sixteen + "1", "1e100");
        assertTrue(JsonSchemaGrammar.anyValue().accepts("[\n" + " ".repeat(40) + "1]"));
        assertFalse(JsonSchemaGrammar.anyValue().accepts("[\n" + " ".repeat(41) + "1]"));
        assertFalse(JsonSchemaGrammar.anyValue().accepts("[  1]"), "one space at most, or a line break and indentation");
        Grammar nine = JsonSchemaGrammar.compile(Map.of("type", "integer"), new JsonSchemaOptions(9, 16, 40));
        assertTrue(nine.accepts("123456789"));
        assertFalse(nine.accepts("1234567890"));
    }

    @Test
    void objects() {
        String s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"},\"c\":{\"type\":\"boolean\"}},"
                + "\"required\":[\"b\"]}";
        accepts(s, "{\"b\": 1}", "{\"a\": \"x\", \"b\": 1}", "{\"b\": 1, \"c\": true}", "{\"a\": \"x\", \"b\": 1, \"c\": false}");
        rejects(s, "{}", "{\"a\": \"x\"}", "{\"b\": 1, \"a\": \"x\"}", "{\"b\": 1, \"d\": 2}", "{\"b\": \"1\"}", "{\"b\": 1, \"b\": 2}");
        accepts("{\"type\":\"object\",\"properties\":{}, \"additionalProperties\": false}", "{}", "{ }");
        rejects("{\"type\":\"object\",\"properties\":{}, \"additionalProperties\": false}", "{\"a\": 1}");
        accepts("{\"type\":\"object\"}", "{}", "{\"anything\": [1, {\"x\": null}]}");
        accepts("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "{}", "{\"a\": 1, \"b\": 2}");
        rejects("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}", "{\"a\": \"1\"}");
        // keys that need escapes, and nesting
        accepts("{\"type\":\"object\",\"properties\":{\"a\\\"b\":{\"type\":\"object\",\"properties\":{\"\u00e9\":{\"type\":\"null\"}},"
                + "\"required\":[\"\u00e9\"]}},\"required\":[\"a\\\"b\"]}", "{\"a\\\"b\": {\"\u00e9\": null}}");
    }

    @Test
    void arraysEnumsAndAlternatives() {
        accepts("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[1]", "[1, 2, 3]");
        rejects("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[]", "[1, 2, 3, 4]", "[\"1\"]");
        accepts("{\"type\":\"array\",\"minItems\":2}", "[1, \"a\"]", "[1, 2, 3, 4, 5]");
        rejects("{\"type\":\"array\",\"minItems\":2}", "[1]");
        accepts("{\"enum\":[\"a\",\"ab\",1,10,true,null,{\"k\":[1]}]}", "\"a\"", "\"ab\"", "1", "10", "true", "null", "{\"k\":[1]}");
        rejects("{\"enum\":[\"a\",\"ab\",1,10,true,null]}", "\"b\"", "100", "false", " \"a \"");
        accepts("{\"type\":\"string\",\"enum\":[\"x\",2]}", "\"x\"");
        rejects("{\"type\":\"string\",\"enum\":[\"x\",2]}", "2");
        accepts("{\"const\":\"only\"}", "\"only\"");
        accepts("{\"type\":[\"string\",\"null\"]}", "\"s\"", "null");
        accepts("{\"type\":\"integer\",\"nullable\":true}", "3", "null");
        accepts("{\"type\":[\"integer\",\"number\"]}", "3", "3.5");
        accepts("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"array\",\"items\":{\"type\":\"string\"}},{\"type\":\"object\"}]}", "\"s\"", "[\"s\"]", "{}");
        // objects told apart by a key or a literal after a common start
        String pets = "{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"cat\"},\"lives\":{\"type\":\"integer\"}},\"required\":[\"type\",\"lives\"]},"
                + "{\"type\":\"object\",\"properties\":{\"type\":{\"const\":\"dog\"},\"good\":{\"type\":\"boolean\"}},\"required\":[\"type\",\"good\"]}]}";
        accepts(pets, "{\"type\": \"cat\", \"lives\": 9}", "{\"type\": \"dog\", \"good\": true}");
        rejects(pets, "{\"type\": \"cat\", \"good\": true}");
    }

    @Test
    void references() {
        String tree = "{\"$ref\":\"#/$defs/node\",\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                + "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},\"required\":[\"v\",\"kids\"]}}}";
        accepts(tree, "{\"v\": 1, \"kids\": [{\"v\": 2, \"kids\": []}, {\"v\": 3, \"kids\": [{\"v\": 4, \"kids\": []}]}]}");
        rejects(tree, "{\"v\": 1}");
        accepts("{\"type\":\"object\",\"properties\":{\"self\":{\"$ref\":\"#\"}},\"additionalProperties\":false}", "{\"self\": {\"self\": {}}}");
        accepts("{\"definitions\":{\"a~b/c\":{\"type\":\"boolean\"}},\"$ref\":\"#/definitions/a~0b~1c\"}", "true");
    }

    @Test
    void unsupportedConstructsAreNamed() {
        for (String[] c : new String[][]{
                {"{\"type\":\"string\",\"pattern\":\"^a\"}", "at $: 'pattern' is not supported"},
                {"{\"type\":\"string\",\"format\":\"date-time\"}", "at $: 'format' is not supported"},
                {"{\"type\":\"string\",\"minLength\":1}", "at $: 'minLength' is not supported"},
                {"{\"type\":\"string\",\"maxLength\":9}", "at $: 'maxLength' is not supported"},
                {"{\"type\":\"integer\",\"minimum\":0}", "at $: 'minimum' is not supported"},
                {"{\"type\":\"number\",\"exclusiveMaximum\":1}", "at $: 'exclusiveMaximum' is not supported"},
                {"{\"type\":\"integer\",\"multipleOf\":2}", "at $: 'multipleOf' is not supported"},
                {"{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "at $: 'oneOf' is not supported"},
                {"{\"allOf\":[{\"type\":\"string\"}]}", "at $: 'allOf' is not supported"},
                {"{\"not\":{\"type\":\"string\"}}", "at $: 'not' is not supported"},
                {"{\"if\":{},\"then\":{}}", "at $: 'if' is not supported"},
                {"{\"type\":\"object\",\"patternProperties\":{\"^x\":{}}}", "at $: 'patternProperties' is not supported"},
                {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"prefixItems\":[]}}}", "at $.properties.a: 'prefixItems' is not supported"},
                {"{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}", "at $: 'items' as an array (tuple validation) is not supported"},
                {"{\"type\":\"array\",\"uniqueItems\":true}", "at $: 'uniqueItems' is not supported"},
                {"{\"type\":\"object\",\"minProperties\":1}", "at $: 'minProperties' is not supported"},
                {"{\"$ref\":\"https://example.com/s.json\"}", "at $: '$ref' to 'https://example.com/s.json' (only references within the schema, '#/...', are supported) is not supported"},
                {"{\"$ref\":\"#/$defs/a\",\"type\":\"string\",\"$defs\":{\"a\":{}}}", "at $: '$ref' beside other keywords ('type') is not supported"},
                {"{\"anyOf\":[{\"type\":\"string\"}],\"type\":\"string\"}", "at $: 'anyOf' together with 'type' (put the type into each branch) is not supported"},
        }) {
            UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, () -> JsonSchemaGrammar.compile(c[0]), c[0]);
            assertEquals("unsupported JSON Schema " + c[1], e.getMessage());
        }
        StringBuilder many = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < 250; i++) {
            many.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"type\":\"integer\"}");
        }
        UnsupportedSchemaException large = assertThrows(UnsupportedSchemaException.class, () -> JsonSchemaGrammar.compile(many + "}}"));
        assertTrue(large.getMessage().startsWith("unsupported JSON Schema at $: an object with this many optional properties (250 of 250"),
                large.getMessage());
        UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, () -> JsonSchemaGrammar.compile(
                "{\"anyOf\":[{\"type\":\"array\",\"items\":{\"type\":\"string\"}},{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}]}"));
        assertTrue(e.getMessage().startsWith("unsupported JSON Schema: rule anyOf at $: the byte '[' can start array at $.anyOf[0] "
                + "and also array at $.anyOf[1]"), e.getMessage());
    }

    @Test
    void invalidSchemasAreRefused() {
        for (String[] c : new String[][]{
                {"{\"type\":\"strin\"}", "invalid JSON Schema at $: unknown type 'strin'"},
                {"{\"type\":\"array\",\"minItems\":3,\"maxItems\":2}", "invalid JSON Schema at $: 'maxItems' below 'minItems'"},
                {"{\"enum\":[]}", "invalid JSON Schema at $: 'enum' that is not a non-empty array"},
                {"{\"type\":\"string\",\"enum\":[1,2]}", "invalid JSON Schema at $: 'enum'/'const' has no value of the allowed type(s)"},
                {"{\"$ref\":\"#/$defs/missing\"}", "invalid JSON Schema at $: '$ref' to '#/$defs/missing', which does not exist"},
                {"{\"type\":\"object\",\"properties\":{\"a\":3}}", "invalid JSON Schema at $.properties.a: a schema that is neither an object nor a boolean: 3"},
                {"false", "unsupported JSON Schema at $: the schema 'false' admits no value"},
                {"{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"b\"]}",
                        "unsupported JSON Schema at $: a required property ('b') that 'properties' does not declare is not supported"},
                {"{\"type\":", "the JSON Schema is not valid JSON: invalid JSON at character 8: unexpected end"},
        }) {
            UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, () -> JsonSchemaGrammar.compile(c[0]), c[0]);
            assertEquals(c[1], e.getMessage());
        }
        UnsupportedSchemaException e = assertThrows(UnsupportedSchemaException.class, () -> JsonSchemaGrammar.compile(
                "{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}},\"required\":[\"next\"]}"));
        assertTrue(e.getMessage().contains("admits no finite"), e.getMessage());
    }
}
