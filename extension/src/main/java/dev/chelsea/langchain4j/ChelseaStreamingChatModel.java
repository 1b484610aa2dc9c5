package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.CancellationToken;
import dev.chelsea.engine.generate.StopReason;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.exception.LangChain4jException;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;

/**
 * A LangChain4j {@link StreamingChatModel} that runs a GGUF model in this JVM. Text arrives through
 * {@code onPartialResponse} as it is decoded (whole characters, never part of a stop sequence), then
 * {@code onCompleteResponse}; failures, including a full queue, arrive through {@code onError}. A
 * request that reaches its time limit ends with the text so far ({@code LENGTH}); one whose time
 * ran out before it started gets a {@link ChelseaTimeoutException}.
 * With tools, the text of a call is not content: its arguments arrive through
 * {@code onPartialToolCall} as they are written (the pieces add up to them), then the whole call
 * through {@code onCompleteToolCall}, and the final response carries every call.
 * The {@link StreamingHandle} in each partial response's context stops the generation before its
 * next token; after cancelling, the handler hears nothing more.
 */
public class ChelseaStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.chelsea.langchain4j");

    private final ChatRunner runner;
    private final List<ChatModelListener> listeners;

    protected ChelseaStreamingChatModel(Builder builder) {
        this.runner = builder.buildRunner();
        this.listeners = builder.listeners;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        ChatRunner.Prepared prepared;
        Handle handle;
        try {
            handle = new Handle(runner.token(chatRequest.parameters()));
            prepared = runner.prepare(chatRequest);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        PartialResponseContext context = new PartialResponseContext(handle);
        try {
            runner.queue().submit(handle.token, prepared.request(), reservation -> stream(prepared, handler, handle, context, reservation));
        } catch (RuntimeException e) {
            handler.onError(e);
        }
    }

    private void stream(ChatRunner.Prepared prepared, StreamingChatResponseHandler handler, Handle handle,
                        PartialResponseContext context, KvMemory.Reservation reservation) {
        if (handle.isCancelled()) {
            handle.reportClosing(handler, runner, false);
            return;
        }
        if (handle.token.deadlinePassed()) {
            // its time ran out in the queue: reading the prompt now would be for nobody
            handler.onError(runner.timedOut(true));
            return;
        }
        AnswerReader reader = prepared.reader();
        AnswerReader.Sink sink = new HandlerSink(handler, context, new PartialToolCallContext(handle));
        ChatResponse response;
        try {
            response = runner.run(prepared, piece -> {
                if (!handle.isCancelled()) {
                    handle.guard(() -> reader.push(piece, sink));
                }
            }, handle.token, reservation);
        } catch (RuntimeException | Error e) {
            if (!handle.userCancelled) {
                handler.onError(e);
            }
            return;
        }
        if (!handle.isCancelled()) {
            // calls completed by the last tokens (a stream holds back what might start a marker)
            handle.guard(() -> reader.finish(sink));
        }
        if (handle.handlerFailure != null) {
            handler.onError(handle.handlerFailure);
        } else if (handle.isCancelled()) {
            handle.reportClosing(handler, runner, true);
        } else {
            try {
                handler.onCompleteResponse(response);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "onCompleteResponse of a streaming handler failed", e);
            }
        }
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /** Content as partial responses, tool calls as partial and complete tool calls. */
    private record HandlerSink(StreamingChatResponseHandler handler, PartialResponseContext context,
                               PartialToolCallContext toolContext) implements AnswerReader.Sink {
        @Override
        public void content(String delta) {
            handler.onPartialResponse(new PartialResponse(delta), context);
        }

        @Override
        public void partialCall(int index, String id, String name, String argumentsDelta) {
            handler.onPartialToolCall(PartialToolCall.builder().index(index).id(id).name(name).partialArguments(argumentsDelta).build(),
                    toolContext);
        }

        @Override
        public void completeCall(int index, ToolExecutionRequest call) {
            handler.onCompleteToolCall(new CompleteToolCall(index, call));
        }
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

    public LoadedModel loadedModel() {
        return runner.loaded();
    }

    /** The prompt cache this model reads and fills (shared with the chat models of the same queue), or null when it has none. */
    public dev.chelsea.engine.promptcache.PromptCache promptCache() {
        return runner.promptCache();
    }

    /** The queue this model's requests wait in. */
    public GenerationQueue queue() {
        return runner.queue();
    }

    public String modelName() {
        return runner.name();
    }

    public String chatTemplateFamily() {
        return runner.template().family();
    }

    @Override
    public void close() {
        runner.close();
    }

    /**
     * Cancels one stream. The engine's token is also cancelled when the model closes under it or a
     * shutdown's grace period ends; its deadline (the request's time limit) is not a cancellation:
     * the stream ends normally with the text so far.
     */
    private static final class Handle implements StreamingHandle {
        final CancellationToken token;
        volatile boolean userCancelled;
        volatile RuntimeException handlerFailure;

        Handle(CancellationToken token) {
            this.token = token;
        }

        @Override
        public void cancel() {
            userCancelled = true;
            token.cancel();
        }

        @Override
        public boolean isCancelled() {
            return token.cause() == StopReason.CANCELLED;
        }

        /** Runs a handler callback; a failing handler ends the stream: generating on for nobody would waste the slot. */
        void guard(Runnable callback) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                handlerFailure = e;
                token.cancel();
            }
        }

        /** A stream the user did not cancel still gets an ending: an error saying why it stopped. */
        void reportClosing(StreamingChatResponseHandler handler, ChatRunner runner, boolean started) {
            if (!userCancelled && handlerFailure == null) {
                handler.onError(runner.stopped(started));
            }
        }
    }

    public static class Builder extends ChelseaModelBuilder<Builder> {
        public ChelseaStreamingChatModel build() {
            return new ChelseaStreamingChatModel(this);
        }
    }
}
