package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special tokens written in text, with and without special-token parsing, on real vocabularies. */
class SpecialTokensTest {

    private static Tokenizer vocab(String name) {
        return SharedData.vocab(name);
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(IntStream::of).toArray();
    }

    private static boolean contains(int[] ids, int id) {
        return IntStream.of(ids).anyMatch(x -> x == id);
    }

    @Test
    void llama3HeaderAndEndOfTurn() {
        Tokenizer t = vocab("llama-bpe");
        String text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        int[] ids = t.encode(text, true, true);
        assertArrayEquals(concat(new int[] {128000, 128006, 882, 128007, 271}, t.encode("Hi", false, false), new int[] {128009}), ids);
        assertEquals(128009, t.tokenId("<|eot_id|>"));
        assertTrue(t.isControl(128009));
        assertEquals(0, t.tokenBytes(128009).length);
        assertEquals("user\n\nHi", t.decode(ids));
        assertTrue(contains(t.endOfGenerationTokens(), 128009));
        assertTrue(contains(t.endOfGenerationTokens(), 128001));

        int[] plain = t.encode(text, false, false);
        assertFalse(contains(plain, 128006) || contains(plain, 128007) || contains(plain, 128009), Arrays.toString(plain));
        assertEquals(text, t.decode(plain));
    }

    @Test
    void longerSpecialTokensWinOverTheirPrefixes() {
        Tokenizer t = vocab("llama-bpe");
        int ten = t.tokenId("<|reserved_special_token_10|>");
        int one = t.tokenId("<|reserved_special_token_1|>");
        assertTrue(ten >= 0 && one >= 0);
        assertArrayEquals(new int[] {ten, one}, t.encode("<|reserved_special_token_10|><|reserved_special_token_1|>", false, true));
    }

    @Test
    void qwen2ChatMarkers() {
        Tokenizer t = vocab("qwen2");
        int[] ids = t.encode("<|im_start|>user\nHello<|im_end|>\n", true, true);
        // Qwen2 adds no BOS
        assertArrayEquals(new int[] {151644, 872, 198, 9707, 151645, 198}, ids);
        assertFalse(t.addsBos());
        assertTrue(contains(t.endOfGenerationTokens(), 151645));
        assertTrue(contains(t.endOfGenerationTokens(), 151643));
        assertEquals(151645, t.eosId());

        int[] plain = t.encode("<|im_end|>", false, false);
        assertFalse(contains(plain, 151645));
        assertEquals("<|im_end|>", t.decode(plain));
    }

    @Test
    void phi3StripsWhitespaceAfterItsSpecialTokens() {
        // llama.cpp gives Phi-3's special tokens the rstrip attribute, and the SentencePiece
        // space prefix comes back after a special token
        Tokenizer t = vocab("phi-3");
        int user = t.tokenId("<|user|>");
        int end = t.tokenId("<|end|>");
        assertArrayEquals(concat(new int[] {1, user}, t.encode("Hello", false, false), new int[] {end}),
                t.encode("<|user|>\n  Hello<|end|>", true, true));
        assertTrue(contains(t.endOfGenerationTokens(), end));
        assertTrue(contains(t.endOfGenerationTokens(), 32000));
    }

    @Test
    void userDefinedTokensAreMatchedEvenWithoutSpecialParsing() {
        // DeepSeek-Coder's <|EOT|> is user-defined: like Hugging Face, llama.cpp always matches it
        Tokenizer t = vocab("deepseek-coder");
        int eot = t.tokenId("<|EOT|>");
        assertFalse(t.isControl(eot));
        int[] ids = t.encode("a<|EOT|>b", false, false);
        assertArrayEquals(concat(t.encode("a", false, false), new int[] {eot}, t.encode("b", false, false)), ids);
        assertEquals("a<|EOT|>b", t.decode(ids));
    }

    @Test
    void emptyTextGivesOnlyWhatEncodingAdds() {
        Tokenizer t = vocab("llama-bpe");
        assertArrayEquals(new int[0], t.encode("", false, true));
        assertArrayEquals(new int[] {128000}, t.encode("", true, true));
        assertArrayEquals(new int[] {1}, vocab("llama-spm").encode("", true, false));
    }
}
