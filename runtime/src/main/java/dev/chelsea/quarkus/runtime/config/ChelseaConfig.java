package dev.chelsea.quarkus.runtime.config;

import io.quarkus.runtime.annotations.ConfigDocDefault;
import io.quarkus.runtime.annotations.ConfigDocMapKey;
import io.quarkus.runtime.annotations.ConfigDocSection;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithDefaults;
import io.smallrye.config.WithParentName;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static io.quarkus.runtime.annotations.ConfigPhase.RUN_TIME;

/** In-process models run by the Chelsea engine. */
@ConfigRoot(phase = RUN_TIME)
@ConfigMapping(prefix = "quarkus.langchain4j.chelsea")
public interface ChelseaConfig {

    /** The name under which the default (unnamed) model's settings are kept. */
    String DEFAULT_NAME = "<default>";

    /**
     * Where models named by {@code chat-model.model-name} are downloaded (one folder per repository).
     */
    @WithDefault("${user.home}/.chelsea/models")
    Path modelsPath();

    /** Access to the Hugging Face hub for downloads. */
    HuggingFaceConfig huggingFace();

    /** The OpenAI-compatible server, when it is enabled (build time: {@code openai-server.enabled}). */
    OpenAiServerConfig openaiServer();

    /** The default model. */
    @WithParentName
    ModelConfig defaultConfig();

    /** Named models, injected with {@code @ModelName("name")}. */
    @ConfigDocSection
    @ConfigDocMapKey("model-name")
    @WithParentName
    @WithDefaults
    Map<String, ModelConfig> namedConfig();

    interface HuggingFaceConfig {
        /** The hub's address (a mirror can stand in for it). */
        @WithDefault("https://huggingface.co")
        URI baseUrl();

        /** An access token for gated or private repositories; default: the {@code HF_TOKEN} environment variable. */
        @ConfigDocDefault("HF_TOKEN")
        Optional<String> token();
    }
}
