package dev.chelsea.samples.docs;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web page in headless Chromium, driven through puppeteer-core (pinned in src/test/browser):
 * upload, streamed answers, the prompt cache, pasting, deleting, a refusal. Screenshots land in
 * target/browser. Needs Node.js and npm; Chromium is Debian's {@code chromium} package, installed
 * here when it is missing and the build runs as root (as on CI), else the test says what to install.
 */
@QuarkusTest
class WebPageTest {
    private static final Path SOURCES = Path.of("src", "test", "browser");
    private static final Path WORK = Path.of("target", "browser");

    @TestHTTPResource("/")
    URL page;

    @Test
    void aPersonCanUploadAskAndDelete() throws Exception {
        String chromium = chromium();
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "package-lock.json", "page.mjs")) {
            Files.copy(SOURCES.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(WORK.resolve("node_modules").resolve("puppeteer-core"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        }
        String out = run(List.of("node", "page.mjs", page.toString(), chromium, WORK.toAbsolutePath().toString()), 300);
        assertTrue(out.contains("page check: ok"), out);
        assertTrue(Files.size(WORK.resolve("page.png")) > 10_000, "a screenshot of the answered question");
    }

    /** The Chromium binary, installed with apt when missing and allowed. */
    private static String chromium() throws Exception {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        assertTrue(root, "headless Chromium is needed for the page test: install Debian's 'chromium' package (apt-get install chromium)");
        run(List.of("apt-get", "update", "-qq"), 300);
        run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "chromium"), 900);
        return "/usr/bin/chromium";
    }

    private static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        Files.createDirectories(WORK);
        Process p = new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", command) + " did not finish:\n" + out);
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
    }
}
