package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import static io.quarkus.runtime.annotations.ConfigPhase.BUILD_TIME;

/** What the extension adds to the application, fixed at build time. */
@ConfigRoot(phase = BUILD_TIME)
@ConfigMapping(prefix = "quarkus.langchain4j.chelsea")
public interface ChelseaBuildConfig {

    /** Health check settings. */
    Health health();

    /** Metrics settings. */
    Metrics metrics();

    /** The OpenAI-compatible server. */
    OpenAiServer openaiServer();

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

    interface OpenAiServer {
        /**
         * Whether to serve the configured models through OpenAI's API: {@code POST <path>/chat/completions}
         * (plain and streamed), {@code GET <path>/models} and {@code GET <path>/models/{id}}.
         */
        @WithDefault("false")
        boolean enabled();

        /** Where the API lives: OpenAI clients take {@code http://host:port<path>} as their base URL. */
        @WithDefault("/v1")
        String path();
    }
}
