package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The configuration tables in docs/quarkus.md list every property with the default the code has. */
class ConfigDocumentationTest {

    @Test
    void everyModelPropertyIsDocumentedWithItsDefault() throws IOException {
        Map<String, String> code = new TreeMap<>();
        collect(ModelConfig.class, "", code);
        Map<String, String> docs = new TreeMap<>();
        for (var row : tableRows().entrySet()) {
            if (!row.getKey().startsWith("quarkus.")) {
                docs.put(row.getKey(), row.getValue());
            }
        }
        assertEquals(code, docs);
    }

    @Test
    void sharedPropertiesAreDocumentedWithTheirDefaults() throws IOException {
        Map<String, String> code = new TreeMap<>();
        collect(ChelseaConfig.class, "quarkus.langchain4j.chelsea.", code);
        collect(ChelseaBuildConfig.class, "quarkus.langchain4j.chelsea.", code);
        Map<String, String> docs = tableRows();
        code.forEach((property, value) -> {
            if (!property.startsWith("quarkus.langchain4j.chelsea.default-config") && !property.contains("named-config")) {
                assertEquals(value, docs.get(property), property);
            }
        });
    }

    /** Property name to the default shown for it: {@code @WithDefault}, else {@code @ConfigDocDefault}, else "". */
    private static void collect(Class<?> type, String prefix, Map<String, String> out) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.getParameterCount() != 0 || m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + kebab(m.getName());
            Class<?> r = m.getReturnType();
            if (r.isInterface() && r.getPackageName().equals(ChelseaConfig.class.getPackageName())) {
                collect(r, name + ".", out);
                continue;
            }
            if (Map.class.isAssignableFrom(r)) {
                continue;
            }
            WithDefault d = m.getAnnotation(WithDefault.class);
            ConfigDocDefault doc = m.getAnnotation(ConfigDocDefault.class);
            out.put(name, d != null ? d.value() : doc != null ? doc.value() : "");
        }
    }

    private static Map<String, String> tableRows() throws IOException {
        Map<String, String> rows = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(Path.of("..", "docs", "quarkus.md"))) {
            if (line.startsWith("### ")) {
                inSection = line.equals("### Configuration");
            }
            if (!inSection || !line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split("\\|");
            String property = cells[1].trim();
            property = property.substring(1, property.indexOf('`', 1));
            rows.put(property, cells[2].trim().replace("`", ""));
        }
        return rows;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
