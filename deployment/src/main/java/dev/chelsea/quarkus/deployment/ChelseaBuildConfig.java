package dev.chelsea.quarkus.deployment;

import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import static io.quarkus.runtime.annotations.ConfigPhase.BUILD_TIME;

@ConfigRoot(phase = BUILD_TIME)
@ConfigMapping(prefix = "quarkus.langchain4j.chelsea")
public interface ChelseaBuildConfig {

    /** Health check settings. */
    Health health();

    /** Metrics settings. */
    Metrics metrics();

    interface Health {
        /** Whether a readiness check reporting the models is added when {@code quarkus-smallrye-health} is present. */
        @WithDefault("true")
        boolean enabled();
    }

    interface Metrics {
        /** Whether model metrics are published when {@code quarkus-micrometer} is present. */
        @WithDefault("true")
        boolean enabled();
    }
}
