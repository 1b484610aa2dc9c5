package dev.chelsea.samples.docs;

import dev.chelsea.langchain4j.ChelseaChatResponseMetadata;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.TokenStream;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Answers questions about a document with LangChain4j AI services on the injected Chelsea models:
 * a whole document through {@link WholeDocumentAssistant}, a long one through a
 * {@link RetrievalAssistant} whose content retriever searches that document's chunks.
 */
@ApplicationScoped
public class QuestionAnswering {
    @Inject
    ChatModel chatModel;

    @Inject
    StreamingChatModel streamingModel;

    @Inject
    ChunkIndex chunks;

    private WholeDocumentAssistant whole;
    private final Map<String, RetrievalAssistant> retrieval = new ConcurrentHashMap<>();

    @PostConstruct
    void build() {
        whole = AiServices.builder(WholeDocumentAssistant.class).chatModel(chatModel).streamingChatModel(streamingModel).build();
    }

    private RetrievalAssistant retrievalFor(String documentId) {
        return retrieval.computeIfAbsent(documentId, id -> AiServices.builder(RetrievalAssistant.class)
                .chatModel(chatModel).streamingChatModel(streamingModel).contentRetriever(chunks.retriever(id)).build());
    }

    /** Drops what was built for a deleted document. */
    public void forget(String documentId) {
        retrieval.remove(documentId);
    }

    public Api.Answer ask(Document d, String question) {
        Result<String> r = d.mode() == Document.Mode.WHOLE
                ? whole.answer(d.title(), d.text(), question)
                : retrievalFor(d.id()).answer(d.title(), question);
        return new Api.Answer(r.content(), d.mode(), finishReason(r.finishReason()), usage(r.finalResponse()), sources(r.sources()));
    }

    /**
     * The answer as it is written: {@code sources} first in retrieval mode, {@code token} pieces,
     * then {@code done} (or {@code error}). Problems the model reports before it starts (a full
     * queue, a question too long for the context) are thrown here, so that they become HTTP errors.
     * A client that leaves stops the model before its next token.
     */
    public Multi<Api.AskEvent> stream(Document d, String question) {
        UnicastProcessor<Api.AskEvent> events = UnicastProcessor.create();
        AtomicBoolean cancelled = new AtomicBoolean();
        Object lock = new Object();
        boolean[] starting = {true};
        RuntimeException[] early = {null};
        TokenStream tokens = d.mode() == Document.Mode.WHOLE
                ? whole.stream(d.title(), d.text(), question)
                : retrievalFor(d.id()).stream(d.title(), question);
        tokens.onRetrieved(contents -> {
                    if (d.mode() == Document.Mode.RETRIEVAL) {
                        events.onNext(Api.AskEvent.sources(sources(contents)));
                    }
                })
                .onPartialResponseWithContext((partial, context) -> {
                    if (cancelled.get()) {
                        context.streamingHandle().cancel();
                    } else {
                        events.onNext(Api.AskEvent.token(partial.text()));
                    }
                })
                .onCompleteResponse(response -> {
                    events.onNext(Api.AskEvent.done(finishReason(response.finishReason()), usage(response)));
                    events.onComplete();
                })
                .onError(error -> {
                    synchronized (lock) {
                        if (starting[0]) {
                            early[0] = error instanceof RuntimeException re ? re : new IllegalStateException(error);
                            return;
                        }
                    }
                    events.onNext(Api.AskEvent.error(String.valueOf(error.getMessage())));
                    events.onComplete();
                })
                .start();
        synchronized (lock) {
            starting[0] = false;
            if (early[0] != null) {
                throw early[0];
            }
        }
        return events.onCancellation().invoke(() -> cancelled.set(true));
    }

    private static String finishReason(FinishReason reason) {
        return reason == null ? "stop" : switch (reason) {
            case LENGTH -> "length";
            default -> reason.name().toLowerCase(Locale.ROOT);
        };
    }

    private static Api.Usage usage(ChatResponse response) {
        TokenUsage t = response.tokenUsage();
        int cached = response.metadata() instanceof ChelseaChatResponseMetadata m && m.stats() != null ? m.stats().cachedTokens() : 0;
        return new Api.Usage(t == null ? 0 : t.inputTokenCount(), cached, t == null ? 0 : t.outputTokenCount());
    }

    private static List<Api.Source> sources(List<Content> contents) {
        if (contents == null) {
            return List.of();
        }
        return contents.stream().map(c -> {
            Object chunk = c.textSegment().metadata().toMap().get(ChunkIndex.CHUNK);
            Object score = c.metadata().get(dev.langchain4j.rag.content.ContentMetadata.SCORE);
            return new Api.Source(chunk instanceof Number n ? n.intValue() : -1, score instanceof Number s ? s.doubleValue() : 0,
                    c.textSegment().text());
        }).toList();
    }
}
