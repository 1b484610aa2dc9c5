package dev.chelsea.quarkus.runtime.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md is generated from the {@code @ConfigMapping} interfaces: every property
 * with its type, default ({@code @WithDefault}, else {@code @ConfigDocDefault}) and description
 * (the method's javadoc, as the Quarkus extension processor extracts it into
 * target/quarkus-config-doc). The test fails when the file and the code differ; run it with
 * {@code -Dchelsea.docs.write=true} to write the file instead.
 */
class ConfigDocumentationTest {
    static final Path REFERENCE = Path.of("..", "docs", "configuration.md");
    static final String ROOT = "quarkus.langchain4j.chelsea.";

    /** One property: name (after its prefix), type, default, description, and whether it is fixed at build time. */
    record Property(String name, String type, String defaultValue, String description, boolean buildTime) {
    }

    @Test
    void theReferenceIsGeneratedFromTheCode() throws IOException {
        String generated = reference();
        if (Boolean.getBoolean("chelsea.docs.write")) {
            Files.writeString(REFERENCE, generated);
        }
        assertTrue(Files.exists(REFERENCE), REFERENCE + " is missing: run this test with -Dchelsea.docs.write=true");
        assertEquals(generated, Files.readString(REFERENCE), REFERENCE + " differs from the @ConfigMapping interfaces: "
                + "run ConfigDocumentationTest with -Dchelsea.docs.write=true to regenerate it");
    }

    @Test
    void everyPropertyHasADescription() throws IOException {
        Map<String, String> javadoc = javadoc();
        for (Property p : properties()) {
            assertTrue(!p.description().isBlank(), p.name() + " has no javadoc");
        }
        assertTrue(javadoc.size() > 30, "the extension processor's javadoc was read");
    }

    /** Per-model properties (prefix left off) first, then the shared ones (full names). */
    static List<Property> properties() throws IOException {
        Map<String, String> javadoc = javadoc();
        Map<String, Property> model = new TreeMap<>();
        collect(ModelConfig.class, "", false, javadoc, model);
        Map<String, Property> shared = new TreeMap<>();
        collect(ChelseaConfig.class, ROOT, false, javadoc, shared);
        collect(ChelseaBuildConfig.class, ROOT, true, javadoc, shared);
        java.util.ArrayList<Property> all = new java.util.ArrayList<>(model.values());
        all.addAll(shared.values());
        return all;
    }

    static String reference() throws IOException {
        List<Property> all = properties();
        StringBuilder b = new StringBuilder();
        b.append("""
                # Configuration reference

                Every property of the Quarkus extension (`quarkus-chelsea`), generated from its `@ConfigMapping`
                interfaces in `runtime/src/main/java/dev/chelsea/quarkus/runtime/config/`: names, types, defaults
                and the descriptions written in their javadoc. Do not edit it by hand: `ConfigDocumentationTest`
                fails when it differs from the code, and rewrites it when run with `-Dchelsea.docs.write=true`:

                ```bash
                ./mvnw -B -pl runtime,deployment -am test -Dtest=ConfigDocumentationTest -Dsurefire.failIfNoSpecifiedTests=false -Dchelsea.docs.write=true
                ```

                How the settings work together is in [`quarkus.md`](quarkus.md); problems and their fixes in
                [`troubleshooting.md`](troubleshooting.md).

                ## Per model

                The default model's properties start with `quarkus.langchain4j.chelsea.`, a named model's with
                `quarkus.langchain4j.chelsea."NAME".` (the model injected with `@ModelName("NAME")`); for example
                `quarkus.langchain4j.chelsea.chat-model.model-path` and
                `quarkus.langchain4j.chelsea."story".chat-model.model-path`.

                | property | type | default | description |
                |---|---|---|---|
                """);
        for (Property p : all) {
            if (!p.name().startsWith(ROOT)) {
                b.append(row(p));
            }
        }
        b.append("""

                ## Shared by all models

                Properties marked *build time* are fixed when the application is built; the others are read at startup.

                | property | type | default | description |
                |---|---|---|---|
                """);
        for (Property p : all) {
            if (p.name().startsWith(ROOT)) {
                b.append(row(p));
            }
        }
        return b.toString();
    }

    private static String row(Property p) {
        return "| `" + p.name() + "` | " + p.type() + " | " + (p.defaultValue().isEmpty() ? "" : "`" + p.defaultValue() + "`") + " | "
                + (p.buildTime() ? "*build time*. " : "") + p.description() + " |\n";
    }

    private static void collect(Class<?> type, String prefix, boolean buildTime, Map<String, String> javadoc, Map<String, Property> out) {
        for (Method m : type.getDeclaredMethods()) {
            if (m.getParameterCount() != 0 || m.isDefault() || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + kebab(m.getName());
            Class<?> r = m.getReturnType();
            if (r == ModelConfig.class && !prefix.isEmpty()) {
                continue; // the default model (@WithParentName): its properties are the per-model ones
            }
            if (r.isInterface() && r.getPackageName().equals(ChelseaConfig.class.getPackageName())) {
                collect(r, name + ".", buildTime, javadoc, out);
                continue;
            }
            if (Map.class.isAssignableFrom(r)) {
                continue; // the named models: their properties are the per-model ones
            }
            WithDefault d = m.getAnnotation(WithDefault.class);
            ConfigDocDefault doc = m.getAnnotation(ConfigDocDefault.class);
            String key = type.getName().replace('$', '.') + "." + m.getName();
            out.put(name, new Property(name, typeName(m.getGenericReturnType()), d != null ? d.value() : doc != null ? doc.value() : "",
                    markdown(javadoc.getOrDefault(key, "")), buildTime));
        }
    }

    /** The type in words, without the Optional around it. */
    static String typeName(Type t) {
        if (t instanceof ParameterizedType p) {
            Type raw = p.getRawType();
            Type arg = p.getActualTypeArguments()[0];
            if (raw == Optional.class) {
                return typeName(arg);
            }
            if (raw == List.class) {
                return "list of " + typeName(arg) + " (comma-separated)";
            }
        }
        if (t == boolean.class) {
            return "boolean";
        }
        if (t == int.class || t == OptionalInt.class) {
            return "int";
        }
        if (t == long.class || t == OptionalLong.class) {
            return "long";
        }
        if (t == double.class) {
            return "double";
        }
        if (t == String.class) {
            return "string";
        }
        if (t == Path.class) {
            return "path";
        }
        if (t == URI.class) {
            return "URI";
        }
        if (t == MemorySize.class) {
            return "memory size (`512M`, `2G`)";
        }
        if (t == java.time.Duration.class) {
            return "duration (`500ms`, `20s`, `5m`)";
        }
        throw new AssertionError("no documentation name for the configuration type " + t.getTypeName());
    }

    /** Javadoc as one Markdown line: code spans for {@code}, plain names for {@link}, no table-breaking bars. */
    static String markdown(String javadoc) {
        return codeSpans(javadoc)
                .replaceAll("\\{@link(?:plain)? #?([^} ]+)(?: ([^}]*))?}", "$1")
                .replaceAll("\\s*\\n\\s*", " ")
                .replace("|", "\\|")
                .strip();
    }

    /** {@code {@code x}} to a Markdown code span, braces inside it balanced ({@code {@code /models/{id}}}). */
    static String codeSpans(String text) {
        StringBuilder b = new StringBuilder();
        int at = 0;
        for (int start = text.indexOf("{@code ", at); start >= 0; start = text.indexOf("{@code ", at)) {
            b.append(text, at, start);
            int depth = 1;
            int i = start + "{@code ".length();
            for (; i < text.length() && depth > 0; i++) {
                depth += text.charAt(i) == '{' ? 1 : text.charAt(i) == '}' ? -1 : 0;
            }
            b.append('`').append(text, start + "{@code ".length(), i - 1).append('`');
            at = i;
        }
        return b.append(text.substring(at)).toString();
    }

    /** Element (class.method, nested classes with dots) to its javadoc, as the extension processor wrote it at compile time. */
    static Map<String, String> javadoc() throws IOException {
        Path yaml = Path.of("target", "quarkus-config-doc", "quarkus-config-javadoc.yaml");
        assertTrue(Files.exists(yaml), yaml + " is missing: the quarkus-extension-processor writes it when runtime/ compiles");
        JsonNode elements = new ObjectMapper(new YAMLFactory()).readTree(yaml.toFile()).get("elements");
        Map<String, String> out = new TreeMap<>();
        elements.properties().forEach(e -> out.put(e.getKey(), e.getValue().path("description").asText("")));
        return out;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
