package dev.chelsea.quarkus.runtime;

import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import io.quarkus.arc.SyntheticCreationalContext;
import io.quarkus.runtime.RuntimeValue;
import io.quarkus.runtime.ShutdownContext;
import io.quarkus.runtime.annotations.Recorder;

import java.util.List;
import java.util.function.Function;

@Recorder
public class ChelseaRecorder {
    private final RuntimeValue<ChelseaConfig> config;

    public ChelseaRecorder(RuntimeValue<ChelseaConfig> config) {
        this.config = config;
    }

    /** Loads every configured model at startup, so that bad configuration fails the boot. */
    public RuntimeValue<ChelseaModels> initialize(List<String> names, boolean devMode, ShutdownContext shutdown) {
        ChelseaModels models = ChelseaModels.create(config.getValue(), names, devMode);
        shutdown.addShutdownTask(models::close);
        return new RuntimeValue<>(models);
    }

    public Function<SyntheticCreationalContext<ChatModel>, ChatModel> chatModel(RuntimeValue<ChelseaModels> models, String name) {
        return ctx -> models.getValue().chatModel(name);
    }

    public Function<SyntheticCreationalContext<StreamingChatModel>, StreamingChatModel> streamingChatModel(
            RuntimeValue<ChelseaModels> models, String name) {
        return ctx -> models.getValue().streamingChatModel(name);
    }
}
