package dev.chelsea.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * What the GGUF tokenizers share: the vocabulary, special-token splitting, BOS/EOS handling,
 * token bytes and decoding. Subclasses encode one piece of plain text at a time.
 *
 * <p>Tokenizers are thread-safe and may be shared; a {@link StreamingDecoder} belongs to one
 * stream of tokens.
 */
public abstract sealed class AbstractTokenizer implements Tokenizer
        permits SentencePieceTokenizer, ByteLevelBpeTokenizer, WordPieceTokenizer {

    final Vocabulary vocab;
    private final SpecialTokenSplitter specials;
    /** Decoded bytes per token, built once: decoding is on the generation path. */
    private final byte[][] pieces;

    AbstractTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.specials = new SpecialTokenSplitter(vocab);
        this.pieces = new byte[vocab.size()][];
    }

    /** Fills the token-bytes table; subclasses call it at the end of their constructor. */
    final void buildPieces() {
        for (int id = 0; id < pieces.length; id++) {
            int attrs = vocab.attrs(id);
            if ((attrs & (Vocabulary.CONTROL | Vocabulary.UNKNOWN)) != 0) {
                pieces[id] = new byte[0];
            } else if ((attrs & Vocabulary.USER_DEFINED) != 0) {
                pieces[id] = vocab.text(id).getBytes(StandardCharsets.UTF_8);
            } else if ((attrs & Vocabulary.NORMAL) != 0) {
                pieces[id] = normalPiece(vocab.text(id));
            } else if ((attrs & Vocabulary.BYTE) != 0) {
                int b = byteValue(vocab.text(id));
                pieces[id] = b >= 0 ? new byte[] {(byte) b} : normalPiece(vocab.text(id));
            } else {
                pieces[id] = new byte[0];
            }
        }
    }

    /** The bytes a normal token stands for. */
    abstract byte[] normalPiece(String text);

    /** Encodes a piece of text that contains no special tokens, appending ids to {@code out}. */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    @Override
    public final int[] encode(String text, boolean addBos, boolean parseSpecial) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode is null");
        }
        String clean = Codepoints.sanitize(text);
        IntList out = new IntList(Math.max(16, clean.length() / 3));
        if (addBos) {
            addPrefix(out);
        }
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment f : specials.split(clean, parseSpecial)) {
            if (f.isText()) {
                encodeText(clean.substring(f.start(), f.end()), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.token());
                afterSpecial = true;
            }
        }
        if (addBos) {
            addSuffix(out);
        }
        return out.toArray();
    }

    /** Adds what precedes the text when special tokens are added (BOS, if the model wants it). */
    void addPrefix(IntList out) {
        if (vocab.addBos()) {
            out.add(vocab.bos());
        }
    }

    /** Adds what follows the text when special tokens are added (EOS, if the model wants it). */
    void addSuffix(IntList out) {
        if (vocab.addEos()) {
            out.add(vocab.eos());
        }
    }

    @Override
    public final byte[] tokenBytes(int token) {
        return pieces[checked(token)].clone();
    }

    final byte[] piece(int token) {
        return pieces[checked(token)];
    }

    /**
     * Decodes the tokens as one text from the start of a sequence. Control and unknown tokens
     * produce nothing. For SentencePiece vocabularies that add a space prefix, the space that
     * encoding put before the first word is removed (after a leading BOS), so that
     * {@code decode(encode(s, ..)) == s}; continuation text is better streamed through
     * {@link #streamingDecoder()}, which keeps every space. Unlike llama.cpp's detokenizer no
     * "clean up" of spaces before punctuation is done: it would make decoding lossy.
     */
    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
        boolean strip = stripsLeadingSpace();
        for (int i = 0; i < tokens.length; i++) {
            byte[] p = piece(tokens[i]);
            if (i == 0 && tokens[i] == vocab.bos() && (vocab.attrs(tokens[i]) & Vocabulary.CONTROL) != 0) {
                continue;
            }
            if (strip && p.length > 0 && p[0] == ' ') {
                out.write(p, 1, p.length - 1);
            } else {
                out.writeBytes(p);
            }
            strip = false;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Whether decoding drops the space that encoding puts before the first word. */
    boolean stripsLeadingSpace() {
        return false;
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new Utf8StreamingDecoder(this::piece);
    }

    @Override
    public int vocabularySize() {
        return vocab.size();
    }

    @Override
    public int bosId() {
        return vocab.bos();
    }

    @Override
    public int eosId() {
        return vocab.eos();
    }

    /** End-of-turn id (e.g. {@code <|eot_id|>}, {@code <|im_end|>}), or -1. */
    public int eotId() {
        return vocab.eot();
    }

    /** Unknown-token id, or -1. */
    public int unknownId() {
        return vocab.unk();
    }

    @Override
    public boolean addsBos() {
        return vocab.addBos();
    }

    /** Whether {@code encode(.., addBos=true, ..)} also appends EOS (GGUF {@code tokenizer.ggml.add_eos_token}). */
    public boolean addsEos() {
        return vocab.addEos();
    }

    @Override
    public int tokenId(String piece) {
        return vocab.id(piece);
    }

    @Override
    public String tokenText(int token) {
        return vocab.text(token);
    }

    @Override
    public boolean isControl(int token) {
        return vocab.is(token, Vocabulary.CONTROL);
    }

    @Override
    public int[] endOfGenerationTokens() {
        return vocab.endOfGeneration();
    }

    /** The file the vocabulary came from, for messages. */
    public String source() {
        return vocab.source();
    }

    private int checked(int token) {
        if (token < 0 || token >= pieces.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + pieces.length + " tokens");
        }
        return token;
    }

    /** The byte of a byte-fallback token spelled {@code <0xNN>}, or -1 if it is not spelled so. */
    static int byteValue(String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            int hi = Character.digit(text.charAt(3), 16);
            int lo = Character.digit(text.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return hi * 16 + lo;
            }
        }
        return -1;
    }
}
