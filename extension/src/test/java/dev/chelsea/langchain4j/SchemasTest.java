package dev.chelsea.langchain4j;

import dev.chelsea.engine.json.Json;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SchemasTest {
    @Test
    @SuppressWarnings("unchecked")
    void formatLeavesTheGrammarsSchemaButAPropertyNamedFormatStays() {
        String schema = "{\"type\":\"object\",\"properties\":{\"format\":{\"type\":\"string\",\"format\":\"email\"},"
                + "\"when\":{\"anyOf\":[{\"type\":\"string\",\"format\":\"date\"},{\"type\":\"null\"}]},"
                + "\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/d\"}}},"
                + "\"$defs\":{\"d\":{\"type\":\"string\",\"format\":\"uri\"}},\"additionalProperties\":{\"type\":\"string\",\"format\":\"uuid\"}}";
        String expected = "{\"type\":\"object\",\"properties\":{\"format\":{\"type\":\"string\"},"
                + "\"when\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
                + "\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/d\"}}},"
                + "\"$defs\":{\"d\":{\"type\":\"string\"}},\"additionalProperties\":{\"type\":\"string\"}}";
        assertEquals(expected, Json.write(Schemas.withoutFormat((Map<String, Object>) Json.parse(schema))));
    }
}
