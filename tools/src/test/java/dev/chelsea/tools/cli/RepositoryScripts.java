package dev.chelsea.tools.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's own scripts ({@code bin/...}), found from the directory the tests run in. */
final class RepositoryScripts {
    private RepositoryScripts() {
    }

    /** {@code relative} below the nearest directory above the working one that holds it. */
    static Path script(String relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(relative))) {
                return d.resolve(relative);
            }
        }
        throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
