package dev.chelsea.samples.docs;

import com.fasterxml.jackson.annotation.JsonValue;

import java.time.Instant;

/**
 * A registered document as it is kept in {@code data-dir/documents/ID.json}.
 *
 * @param source  where it came from: {@code api}, {@code upload:NAME} or {@code folder:NAME}
 * @param sha256  of the text, so that a changed file in the startup folder is registered again
 * @param tokens  the text's length in the model's tokens
 * @param mode    how questions about it are answered
 * @param chunks  chunks indexed for retrieval (0 for a whole document)
 */
public record Document(String id, String title, String text, String source, Instant created, String sha256, int tokens,
                       Mode mode, int chunks) {

    /** How a document is answered from. */
    public enum Mode {
        /** The whole text is in the prompt; its KV cache is computed once and reused (the prompt cache). */
        WHOLE,
        /** The chunks most similar to the question are in the prompt. */
        RETRIEVAL;

        @JsonValue
        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
