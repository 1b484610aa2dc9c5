package dev.chelsea.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.util.List;
import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} that runs a GGUF model in this JVM. Instances built for the same
 * file and load options share one loaded model (see {@link ChelseaModelRegistry}); calls from many
 * threads are queued on it. {@link #close()} releases the model.
 *
 * <pre>{@code
 * ChatModel model = ChelseaChatModel.builder()
 *         .modelPath(Path.of("models/Llama-3.2-1B-Instruct-Q4_K_M.gguf"))
 *         .temperature(0.2)
 *         .build();
 * String answer = model.chat("Why is the sky blue?");
 * }</pre>
 */
public class ChelseaChatModel implements ChatModel, AutoCloseable {
    private final ChatRunner runner;
    private final List<ChatModelListener> listeners;

    protected ChelseaChatModel(Builder builder) {
        this.runner = builder.buildRunner();
        this.listeners = builder.listeners;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        return runner.chat(chatRequest);
    }

    /** JSON output held to a schema (see {@link OutputShape}): AI services ask for it for their POJO results. */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return runner.defaults();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The loaded model this chat model runs on (shared with other chat models). */
    public LoadedModel loadedModel() {
        return runner.loaded();
    }

    /** The queue this model's requests wait in. */
    public GenerationQueue queue() {
        return runner.queue();
    }

    /** The name reported in responses and metrics. */
    public String modelName() {
        return runner.name();
    }

    /** The chat template family in use ({@code plain} for the fallback). */
    public String chatTemplateFamily() {
        return runner.template().family();
    }

    @Override
    public void close() {
        runner.close();
    }

    public static class Builder extends ChelseaModelBuilder<Builder> {
        public ChelseaChatModel build() {
            return new ChelseaChatModel(this);
        }
    }
}
