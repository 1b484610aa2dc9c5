package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.quarkus.runtime.annotations.ConfigGroup;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;

import java.util.List;
import java.util.Optional;

/** The OpenAI-compatible server's run-time settings (it is switched on at build time: {@code openai-server.enabled}). */
@ConfigGroup
public interface OpenAiServerConfig {

    /**
     * Keys that clients must send as {@code Authorization: Bearer KEY}; a request without one of
     * them is refused with 401. Default: none, every client is served.
     */
    @ConfigDocDefault("none: no key needed")
    Optional<List<String>> apiKeys();

    /**
     * The largest request body; larger ones are refused with 413. It cannot exceed
     * {@code quarkus.http.limits.max-body-size}.
     */
    @WithDefault("4M")
    MemorySize maxRequestSize();
}
