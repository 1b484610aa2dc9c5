package dev.chelsea.samples.docs;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Empties target/test-data before the first application of a test run starts, so that the run
 * starts with no documents but the startup folder's; later starts (after a profile change) find
 * what the earlier ones left, as a restarted service would.
 */
public class CleanDataDir implements QuarkusTestResourceLifecycleManager {
    static final Path DIR = Path.of("target", "test-data");
    /** A system property, not a static field: each application start loads this class anew. */
    private static final String CLEANED = "chelsea.test.data-dir.cleaned";

    @Override
    public Map<String, String> start() {
        if (System.getProperty(CLEANED) == null && Files.exists(DIR)) {
            try (Stream<Path> all = Files.walk(DIR)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        System.setProperty(CLEANED, "true");
        return Map.of();
    }

    @Override
    public void stop() {
    }
}
