package dev.chelsea.quarkus.runtime;

import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.chelsea.quarkus.runtime.config.OpenAiServerConfig;
import dev.chelsea.quarkus.runtime.openai.OpenAiServerFilter;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import io.quarkus.arc.SyntheticCreationalContext;
import io.quarkus.runtime.RuntimeValue;
import io.quarkus.runtime.ShutdownContext;
import io.quarkus.runtime.annotations.Recorder;
import io.quarkus.runtime.shutdown.ShutdownListener;

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
        VectorApiCheck.require(ModuleLayer.boot());
        ClientGoneLogFilter.install();
        ChelseaModels models = ChelseaModels.create(config.getValue(), names, devMode);
        shutdown.addShutdownTask(models::close);
        return new RuntimeValue<>(models);
    }

    /**
     * What a shutdown (SIGTERM) does to the models: at once, readiness goes DOWN and new requests
     * are refused with 503; then requests running or waiting get {@code shutdown.grace-period} to
     * finish before they are stopped. Quarkus calls it while HTTP still serves, before the
     * application's shutdown tasks unload the models.
     */
    public ShutdownListener shutdownListener(RuntimeValue<ChelseaModels> models) {
        java.time.Duration grace = config.getValue().shutdown().gracePeriod();
        return new ShutdownListener() {
            @Override
            public void preShutdown(ShutdownNotification notification) {
                try {
                    models.getValue().stopAdmitting();
                } finally {
                    notification.done();
                }
            }

            @Override
            public void shutdown(ShutdownNotification notification) {
                try {
                    models.getValue().drain(grace);
                } finally {
                    notification.done();
                }
            }
        };
    }

    /** The HTTP filter of the OpenAI server at {@code path} (absolute), with the run-time keys and size limit. */
    public Handler<RoutingContext> openAiServerFilter(String path) {
        OpenAiServerConfig c = config.getValue().openaiServer();
        List<String> keys = c.apiKeys().orElse(List.of()).stream().map(String::trim).filter(k -> !k.isEmpty()).toList();
        return new OpenAiServerFilter(path, keys, c.maxRequestSize().asLongValue());
    }

    public Function<SyntheticCreationalContext<ChatModel>, ChatModel> chatModel(RuntimeValue<ChelseaModels> models, String name) {
        return ctx -> models.getValue().chatModel(name);
    }

    public Function<SyntheticCreationalContext<StreamingChatModel>, StreamingChatModel> streamingChatModel(
            RuntimeValue<ChelseaModels> models, String name) {
        return ctx -> models.getValue().streamingChatModel(name);
    }
}
