package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The factory and the algorithms on small hand-made vocabularies (no shared data needed). */
class TokenizersTest {
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

    @TempDir
    Path dir;

    /** A SentencePiece vocabulary: {@code <unk> <s> </s>}, 256 byte tokens, then {@code pieces}. */
    private Path spm(String name, String[] pieces, float[] pieceScores, TinyGguf extra) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(UNKNOWN, CONTROL, CONTROL));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(BYTE);
        }
        float[] scores = new float[tokens.size() + pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            tokens.add(pieces[i]);
            types.add(NORMAL);
            scores[259 + i] = pieceScores[i];
        }
        return extra.string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", tokens.toArray(String[]::new))
                .floats("tokenizer.ggml.scores", scores)
                .int32s("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray())
                .write(dir.resolve(name));
    }

    private static int id(Tokenizer t, String text) {
        int id = t.tokenId(text);
        assertTrue(id >= 0, "no token " + text);
        return id;
    }

    @Test
    void sentencePieceMergesTheBestScoringPairFirst() {
        // "bc" outscores "ab", so ▁abc becomes ▁ + a + bc, then a + bc = abc
        Tokenizer t = Tokenizers.fromGguf(spm("spm.gguf",
                new String[] {"▁", "a", "b", "c", "ab", "bc", "▁a", "abc"},
                new float[] {-10, -10, -10, -10, -2, -1, -3, -0.5f}, new TinyGguf()));
        assertInstanceOf(SentencePieceTokenizer.class, t);
        assertArrayEquals(new int[] {id(t, "▁"), id(t, "abc")}, t.encode("abc", false, false));
        assertArrayEquals(new int[] {1, id(t, "▁"), id(t, "abc")}, t.encode("abc", true, false));
        assertTrue(t.addsBos());
        assertEquals("abc", t.decode(t.encode("abc", true, false)));
    }

    @Test
    void sentencePieceFallsBackToBytes() {
        Tokenizer t = Tokenizers.fromGguf(spm("spm.gguf", new String[] {"▁", "a"}, new float[] {-1, -1}, new TinyGguf()));
        // é is not a piece: its UTF-8 bytes C3 A9 become byte tokens
        int[] ids = t.encode("aé", false, false);
        assertArrayEquals(new int[] {id(t, "▁"), id(t, "a"), id(t, "<0xC3>"), id(t, "<0xA9>")}, ids);
        assertEquals("aé", t.decode(ids));
        assertArrayEquals(new byte[] {(byte) 0xC3}, t.tokenBytes(id(t, "<0xC3>")));
        assertArrayEquals(" ".getBytes(), t.tokenBytes(id(t, "▁")));
        assertArrayEquals(new byte[0], t.tokenBytes(2));
    }

    @Test
    void sentencePieceHonoursAddSpacePrefixAndAddBosFlags() {
        Tokenizer t = Tokenizers.fromGguf(spm("spm.gguf", new String[] {"▁", "a"}, new float[] {-1, -1},
                new TinyGguf().bool("tokenizer.ggml.add_space_prefix", false).bool("tokenizer.ggml.add_bos_token", false)));
        assertArrayEquals(new int[] {id(t, "a")}, t.encode("a", true, false));
        assertFalse(t.addsBos());
        assertEquals("a", t.decode(new int[] {id(t, "a")}));
    }

    /** A byte-level BPE vocabulary over the letters a-c and space, with the given merges. */
    private Path bpe(String name, String pre, String[] extraTokens, String[] merges) {
        List<String> tokens = new ArrayList<>(List.of("a", "b", "c", "Ġ"));
        tokens.addAll(List.of(extraTokens));
        tokens.add("<|end|>");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, NORMAL);
        types[types.length - 1] = CONTROL;
        TinyGguf g = new TinyGguf().string("tokenizer.ggml.model", "gpt2")
                .strings("tokenizer.ggml.tokens", tokens.toArray(String[]::new))
                .int32s("tokenizer.ggml.token_type", types)
                .strings("tokenizer.ggml.merges", merges)
                .uint32("tokenizer.ggml.eos_token_id", tokens.size() - 1);
        if (pre != null) {
            g.string("tokenizer.ggml.pre", pre);
        }
        return g.write(dir.resolve(name));
    }

    @Test
    void bytePairMergesByRank() {
        Tokenizer t = Tokenizers.fromGguf(bpe("bpe.gguf", "gpt-2", new String[] {"ab", "abc", "Ġa"},
                new String[] {"a b", "ab c", "Ġ a"}));
        assertInstanceOf(ByteLevelBpeTokenizer.class, t);
        // a+b (rank 0) before Ġ+a (rank 2), then ab+c (rank 1)
        assertArrayEquals(new int[] {id(t, "Ġ"), id(t, "abc")}, t.encode(" abc", false, false));
        assertArrayEquals(new int[] {id(t, "Ġa")}, t.encode(" a", false, false));
        assertEquals(" abc a", t.decode(t.encode(" abc a", false, false)));
        assertFalse(t.addsBos());
    }

    @Test
    void bytePairMergesThroughPiecesThatAreNotTokens() {
        // "bc" is not a token, but the merge b+c still happens and abc is reached through it;
        // a lone "bc" falls back to its characters, as in llama.cpp
        Tokenizer t = Tokenizers.fromGguf(bpe("bpe.gguf", "gpt-2", new String[] {"abc"}, new String[] {"b c", "a bc"}));
        assertArrayEquals(new int[] {id(t, "abc")}, t.encode("abc", false, false));
        assertArrayEquals(new int[] {id(t, "b"), id(t, "c")}, t.encode("bc", false, false));
    }

    @Test
    void bytePairSplitsControlTokensOnlyWhenAsked() {
        Tokenizer t = Tokenizers.fromGguf(bpe("bpe.gguf", "gpt-2", new String[0], new String[] {"a b"}));
        int end = id(t, "<|end|>");
        assertArrayEquals(new int[] {id(t, "a"), end, id(t, "b")}, t.encode("a<|end|>b", false, true));
        int[] asText = t.encode("a<|end|>b", false, false);
        assertFalse(java.util.Arrays.stream(asText).anyMatch(x -> x == end));
        assertTrue(t.isControl(end));
        assertEquals("ab", t.decode(new int[] {id(t, "a"), end, id(t, "b")}));
        assertTrue(java.util.Arrays.stream(t.endOfGenerationTokens()).anyMatch(x -> x == end));
    }

    @Test
    void missingPreTokenizerFallsBackToDefault() {
        Tokenizer t = Tokenizers.fromGguf(bpe("bpe.gguf", null, new String[] {"ab"}, new String[] {"a b"}));
        assertEquals("default", ((ByteLevelBpeTokenizer) t).preTokenizer());
        assertArrayEquals(new int[] {id(t, "ab")}, t.encode("ab", false, false));
    }

    @Test
    void unknownPreTokenizerIsAnErrorNamingIt() {
        Path file = bpe("bpe.gguf", "no-such-pre", new String[0], new String[] {"a b"});
        var e = assertThrows(UnsupportedTokenizerException.class, () -> Tokenizers.fromGguf(file));
        assertTrue(e.getMessage().contains("'no-such-pre'"), e.getMessage());
        assertTrue(e.getMessage().contains("llama-bpe"), e.getMessage());
    }

    @Test
    void unknownModelIsAnErrorNamingIt() {
        Path file = new TinyGguf().string("tokenizer.ggml.model", "t5")
                .strings("tokenizer.ggml.tokens", "a", "b").write(dir.resolve("t5.gguf"));
        var e = assertThrows(UnsupportedTokenizerException.class, () -> Tokenizers.fromGguf(file));
        assertTrue(e.getMessage().contains("'t5'"), e.getMessage());
    }

    @Test
    void bpeWithoutMergesIsAnError() {
        Path file = new TinyGguf().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "gpt-2")
                .strings("tokenizer.ggml.tokens", "a", "b").write(dir.resolve("nomerges.gguf"));
        var e = assertThrows(GgufFormatException.class, () -> Tokenizers.fromGguf(file));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
    }

    @Test
    void duplicateTokensAreAnError() {
        Path file = new TinyGguf().string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", "<unk>", "<s>", "</s>", "x", "x").write(dir.resolve("dup.gguf"));
        var e = assertThrows(GgufFormatException.class, () -> Tokenizers.fromGguf(file));
        assertTrue(e.getMessage().contains("duplicate token"), e.getMessage());
    }

    @Test
    void specialIdsOutsideTheVocabularyAreIgnored() {
        Tokenizer t = Tokenizers.fromGguf(spm("spm.gguf", new String[] {"▁"}, new float[] {-1},
                new TinyGguf().uint32("tokenizer.ggml.padding_token_id", 4294967295L)
                        .uint32("tokenizer.ggml.eos_token_id", 100000)));
        assertEquals(2, t.eosId());
        assertEquals(1, t.bosId());
    }

    @Test
    void endOfTurnTokensAreFoundByTextAndMadeControl() {
        Tokenizer t = Tokenizers.fromGguf(spm("spm.gguf", new String[] {"▁", "<|im_end|>", "[PAD]"}, new float[] {-1, 0, 0},
                new TinyGguf()));
        int imEnd = id(t, "<|im_end|>");
        assertTrue(t.isControl(imEnd));
        assertArrayEquals(new int[] {2, imEnd}, t.endOfGenerationTokens());
        assertEquals(imEnd, ((AbstractTokenizer) t).eotId());
        // a plain-text "[PAD]" is not taken for a fill-in-the-middle pad token
        assertFalse(t.isControl(id(t, "[PAD]")));
    }
}
