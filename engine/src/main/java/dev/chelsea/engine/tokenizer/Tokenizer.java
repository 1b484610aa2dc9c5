package dev.chelsea.engine.tokenizer;

/**
 * Text to token ids and back, built from a GGUF file's {@code tokenizer.ggml.*} metadata
 * (see {@code Tokenizers.fromGguf}).
 */
public interface Tokenizer {

    /**
     * Encodes {@code text}. With {@code parseSpecial}, control tokens written in the text (such as
     * {@code <|eot_id|>}) become their ids; otherwise they are plain text.
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /** The bytes a token stands for when decoded (empty for control tokens). */
    byte[] tokenBytes(int token);

    /** Decodes tokens to text (control tokens produce nothing). */
    String decode(int[] tokens);

    /** A decoder for streaming that holds back incomplete UTF-8 sequences. */
    StreamingDecoder streamingDecoder();

    int vocabularySize();

    /** Beginning-of-sequence id, or -1. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();

    /** Whether {@code encode(.., addBos=true, ..)} prepends BOS (GGUF {@code tokenizer.ggml.add_bos_token}). */
    boolean addsBos();

    /** The id of a token by its exact text (e.g. {@code "<|im_end|>"}), or -1. */
    int tokenId(String piece);

    /** The token's text as stored in the vocabulary. */
    String tokenText(int token);

    /** Whether the token is a control token (BOS, EOS, end-of-turn ...). */
    boolean isControl(int token);

    /** Tokens that end a turn: EOS, EOT and the end markers named by the vocabulary. */
    int[] endOfGenerationTokens();

    /** Turns streamed token ids into text pieces that are whole UTF-8 characters. */
    interface StreamingDecoder {
        /** Returns the text completed by this token (possibly empty). */
        String next(int token);

        /** Returns any bytes still held back, decoded with replacement characters. */
        String flush();
    }
}
