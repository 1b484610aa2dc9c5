package dev.chelsea.samples.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged configuration's paths (the model, the startup folder, the data and the prompt cache)
 * are absolute once the build has written its values in, so the service finds the same files from
 * any working directory (a relative {@code ../../shared} found nothing when started from the
 * repository root). Reads application.properties as the build filtered it, with no system
 * properties set, as a user's {@code java -jar} would.
 */
class DefaultPathsTest {
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([^:}]+)(?::([^}]*))?}");

    @Test
    void everyPathInTheDefaultConfigurationIsAbsoluteAndTheFilesExist() throws IOException {
        Properties raw = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
            raw.load(in);
        }
        Map<String, Path> paths = new TreeMap<>();
        for (String key : raw.stringPropertyNames()) {
            if (!key.startsWith("%") && (key.endsWith("-path") || key.endsWith(".folder") || key.endsWith("-dir") || key.endsWith(".file"))) {
                paths.put(key, Path.of(resolve(raw, raw.getProperty(key))));
            }
        }
        assertTrue(paths.keySet().containsAll(java.util.List.of("quarkus.langchain4j.chelsea.chat-model.model-path", "docs.folder",
                "docs.data-dir", "quarkus.langchain4j.chelsea.prompt-cache.file")), paths.toString());
        paths.forEach((key, path) -> {
            assertTrue(path.isAbsolute(), key + " = " + path + " depends on the working directory");
            assertFalse(path.toString().contains("@"), key + " = " + path + ": the build did not write its value in");
        });
        assertTrue(Files.isRegularFile(paths.get("quarkus.langchain4j.chelsea.chat-model.model-path")), paths.toString());
        assertTrue(Files.isDirectory(paths.get("docs.folder")), paths.toString());
    }

    /** {@code ${key:default}}: another property of the file, the JVM's user.home, else the default, as SmallRye Config does. */
    private static String resolve(Properties raw, String value) {
        Matcher m = EXPRESSION.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String v = raw.getProperty(key) != null ? resolve(raw, raw.getProperty(key))
                    : key.equals("user.home") ? System.getProperty("user.home")
                    : m.group(2);
            assertTrue(v != null, "no value for ${" + key + "} in " + value);
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        return m.appendTail(out).toString();
    }
}
