package dev.chelsea.quarkus.deployment;

import io.quarkus.runtime.configuration.ConfigurationException;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on the exception that failed a boot. */
final class StartupFailures {
    static final String STORIES = "${chelsea.shared}/models/stories260K.gguf";

    private StartupFailures() {
    }

    /** The boot failed on configuration, and the message names {@code property} and says {@code why}. */
    static Consumer<Throwable> namesProperty(String property, String why) {
        return t -> {
            ConfigurationException config = find(t);
            assertNotNull(config, () -> "expected a ConfigurationException, got " + chain(t));
            String m = config.getMessage();
            assertTrue(m.contains(property + ":"), () -> "message should name " + property + ": " + m);
            assertTrue(m.contains(why), () -> "message should say '" + why + "': " + m);
        };
    }

    /** The message of the configuration failure that failed the boot. */
    static String message(Throwable t) {
        ConfigurationException config = find(t);
        assertNotNull(config, () -> "expected a ConfigurationException, got " + chain(t));
        return config.getMessage();
    }

    private static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append("\n  caused by ").append(c);
        }
        return sb.toString();
    }

    private static ConfigurationException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigurationException e) {
                return e;
            }
        }
        return null;
    }
}
