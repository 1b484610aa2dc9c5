package dev.chelsea.langchain4j;

import dev.chelsea.engine.tokenizer.ToolCall;
import dev.chelsea.engine.tokenizer.ToolCallParse;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads one generation's answer: its text, or the content and tool calls in it ({@link OutputShape}).
 * Models write no call ids, so each call gets one when first seen and keeps it: a stream's partial
 * calls and the final response agree. Ids are 9 letters and digits because Mistral's templates
 * accept nothing else when the calls come back in the conversation.
 *
 * <p>While streaming, {@link #push} reads the text so far ({@code parsePartial}) and tells the
 * {@link Sink} what is new: content, the arguments of the call being written, calls completed.
 * The argument pieces of a call add up to its arguments, as OpenAI's stream and LangChain4j's
 * {@code PartialToolCall} promise. One generation, one thread.
 */
final class AnswerReader {
    /** Where a stream's news goes. */
    interface Sink {
        void content(String delta);

        void partialCall(int index, String id, String name, String argumentsDelta);

        void completeCall(int index, ToolExecutionRequest call);
    }

    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final System.Logger LOG = System.getLogger("dev.chelsea.langchain4j");

    private final OutputShape shape;
    private final StringBuilder text = new StringBuilder();
    private final List<String> ids = new ArrayList<>();
    private String contentSent = "";
    private int completed;
    private String argumentsSent = "";
    private String finalText;

    AnswerReader(OutputShape shape) {
        this.shape = shape;
    }

    /** Whether the answer is read for tool calls (else it is all content). */
    boolean readsCalls() {
        return shape.callFormat() != null;
    }

    /** The next piece of a streamed answer. */
    void push(String piece, Sink sink) {
        text.append(piece);
        if (!readsCalls()) {
            sink.content(piece);
            return;
        }
        deliver(parse(text.toString(), false), sink);
    }

    /** After {@link #message}: whatever the whole answer holds that the stream has not told yet. */
    void finish(Sink sink) {
        if (readsCalls() && finalText != null) {
            deliver(parse(finalText, true), sink);
        }
    }

    /** The answer as LangChain4j's message: the content and the calls, with their ids. */
    AiMessage message(String finalText) {
        this.finalText = finalText;
        if (!readsCalls()) {
            return AiMessage.from(finalText);
        }
        ToolCallParse p = parse(finalText, true);
        if (!p.errors().isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, () -> "malformed tool calls kept as text: " + p.errors());
        }
        if (!p.hasCalls()) {
            return AiMessage.from(p.content());
        }
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (int k = 0; k < p.calls().size(); k++) {
            calls.add(request(k, p.calls().get(k)));
        }
        return p.content().isEmpty() ? AiMessage.from(calls) : AiMessage.from(p.content(), calls);
    }

    private ToolCallParse parse(String answer, boolean complete) {
        String marker = shape.answerOrMarker();
        if (marker != null) {
            String t = answer.stripLeading();
            if (!t.startsWith(marker)) {
                // the JSON answer, or (while streaming) perhaps the marker's first characters
                String content = !complete && marker.startsWith(t) ? "" : answer.strip();
                return new ToolCallParse(content, List.of(), null, List.of());
            }
        }
        return complete ? shape.callFormat().parse(answer) : shape.callFormat().parsePartial(answer);
    }

    private void deliver(ToolCallParse p, Sink sink) {
        String content = p.content();
        if (content.length() > contentSent.length() && content.startsWith(contentSent)) {
            sink.content(content.substring(contentSent.length()));
            contentSent = content;
        }
        for (; completed < p.calls().size(); completed++) {
            ToolCall call = p.calls().get(completed);
            String rest = rest(call.arguments());
            if (rest != null && !rest.isEmpty()) {
                sink.partialCall(completed, id(completed, call), call.name(), rest);
            }
            sink.completeCall(completed, request(completed, call));
            argumentsSent = "";
        }
        ToolCallParse.PendingCall pending = p.pending();
        if (pending != null && pending.name() != null && !pending.name().isBlank()) {
            String rest = rest(pending.arguments());
            if (rest != null && !rest.isEmpty()) {
                sink.partialCall(completed, id(completed, null), pending.name(), rest);
                argumentsSent = pending.arguments();
            }
        }
    }

    /** The arguments not yet sent, or null if they do not continue what was (the parser keeps them raw, so they do). */
    private String rest(String arguments) {
        if (arguments.startsWith(argumentsSent)) {
            return arguments.substring(argumentsSent.length());
        }
        LOG.log(System.Logger.Level.WARNING, () -> "tool call arguments '" + arguments + "' do not continue the streamed '"
                + argumentsSent + "'");
        return null;
    }

    private ToolExecutionRequest request(int index, ToolCall call) {
        return ToolExecutionRequest.builder().id(id(index, call)).name(call.name()).arguments(call.arguments()).build();
    }

    /** The id of call {@code index}: the model's own if it wrote one, else one made up when the call was first seen. */
    private String id(int index, ToolCall call) {
        if (call != null && call.id() != null && !call.id().isBlank()) {
            return call.id();
        }
        while (ids.size() <= index) {
            ids.add(newId());
        }
        return ids.get(index);
    }

    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] id = new char[9];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_CHARS.charAt(r.nextInt(ID_CHARS.length()));
        }
        return new String(id);
    }
}
