package dev.chelsea.samples.docs;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.Instant;
import java.util.List;

/** What the HTTP API reads and writes. */
public final class Api {
    private Api() {
    }

    @Schema(description = "A document to register, as text")
    public record NewDocument(
            @Schema(description = "A title; default: the first line of the text", examples = "Lily and the red ball") String title,
            @Schema(description = "The document's text (UTF-8, at most docs.max-document-size)", required = true) String text) {
    }

    @Schema(description = "A registered document (without its text)")
    public record DocumentInfo(
            @Schema(description = "Its id, used in the other endpoints") String id,
            String title,
            @Schema(description = "api, upload:FILE or folder:FILE") String source,
            Instant created,
            @Schema(description = "Length in characters") int characters,
            @Schema(description = "Length in the model's tokens") int tokens,
            @Schema(description = "whole: answered from the whole text (its KV cache is reused across questions); "
                    + "retrieval: from the chunks most similar to the question", enumeration = {"whole", "retrieval"}) Document.Mode mode,
            @Schema(description = "Chunks indexed for retrieval (0 in whole mode)") int chunks) {

        static DocumentInfo of(Document d) {
            return new DocumentInfo(d.id(), d.title(), d.source(), d.created(), d.text().length(), d.tokens(), d.mode(), d.chunks());
        }
    }

    @Schema(description = "A question about one document")
    public record Question(@Schema(description = "The question (at most docs.max-question-length characters)", required = true,
            examples = "Who found the ball?") String question) {
    }

    @Schema(description = "A chunk of the document given to the model with the question (retrieval mode)")
    public record Source(@Schema(description = "Index of the chunk in the document") int chunk,
                         @Schema(description = "Cosine similarity to the question") double score,
                         @Schema(description = "The chunk's text") String text) {
    }

    @Schema(description = "Tokens read and written")
    public record Usage(@Schema(description = "Tokens of the prompt") int promptTokens,
                        @Schema(description = "Prompt tokens whose KV cache came from the prompt cache instead of being read") int cachedTokens,
                        @Schema(description = "Tokens of the answer") int answerTokens) {
    }

    @Schema(description = "The answer to a question")
    public record Answer(String answer,
                         @Schema(enumeration = {"whole", "retrieval"}) Document.Mode mode,
                         @Schema(description = "stop (the model finished) or length (max-tokens or the context)") String finishReason,
                         Usage usage,
                         @Schema(description = "The chunks the answer was given (empty in whole mode)") List<Source> sources) {
    }

    /**
     * One server-sent event of a streamed answer, as JSON: {@code sources} (retrieval mode) first,
     * then {@code token} pieces, then {@code done} with the finish reason and usage, or {@code error}.
     */
    @Schema(description = "An event of a streamed answer: sources (retrieval mode), token pieces, then done (or error)")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AskEvent(@Schema(enumeration = {"sources", "token", "done", "error"}, required = true) String type,
                           @Schema(description = "token: a piece of the answer (whole characters)") String text,
                           @Schema(description = "sources: the chunks given to the model") List<Source> sources,
                           @Schema(description = "done: stop or length") String finishReason,
                           @Schema(description = "done: tokens read and written") Usage usage,
                           @Schema(description = "error: what went wrong") String message) {

        static AskEvent token(String text) {
            return new AskEvent("token", text, null, null, null, null);
        }

        static AskEvent sources(List<Source> sources) {
            return new AskEvent("sources", null, sources, null, null, null);
        }

        static AskEvent done(String finishReason, Usage usage) {
            return new AskEvent("done", null, null, finishReason, usage, null);
        }

        static AskEvent error(String message) {
            return new AskEvent("error", null, null, null, null, message);
        }
    }

    @Schema(description = "An error")
    public record Error(@Schema(description = "The HTTP status") int status, @Schema(description = "What went wrong and how to fix it") String message) {
    }
}
