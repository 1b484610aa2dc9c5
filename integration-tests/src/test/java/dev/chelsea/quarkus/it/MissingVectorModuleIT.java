package dev.chelsea.quarkus.it;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged application started without the Vector API module says, in one line, what to add. */
class MissingVectorModuleIT {
    @Test
    void startingWithoutTheModuleNamesTheFlag() throws Exception {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), "package the application first: " + jar.toAbsolutePath());
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Dquarkus.http.port=0", "-jar", jar.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the application stops by itself:\n" + out);
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("start the JVM with --add-modules jdk.incubator.vector"), out);
        assertFalse(out.contains("NoClassDefFoundError"), out);
        assertFalse(out.contains("\tat "), "no stack trace: the message says it all:\n" + out);
    }
}
