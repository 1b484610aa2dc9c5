package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading big vocabulary-only files, and long texts. */
class VocabularyLoadTest {

    @Test
    void llama3VocabularyLoadsFast() {
        long start = System.nanoTime();
        Tokenizer t = Tokenizers.fromGguf(SharedData.file("data/tokenizer/ggml-vocab-llama-bpe.gguf"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("llama-bpe vocabulary (128,256 tokens, 280,147 merges) loaded in " + millis + " ms");
        // well under a second on a desktop; the bound only catches work that grows quadratically
        assertTrue(millis < 10_000, "loading took " + millis + " ms");

        ByteLevelBpeTokenizer bpe = assertInstanceOf(ByteLevelBpeTokenizer.class, t);
        assertEquals(128_256, t.vocabularySize());
        assertEquals(280_147, bpe.mergeCount());
        assertEquals("llama3", bpe.preTokenizer());
        assertEquals(128_000, t.bosId());
        assertEquals(128_001, t.eosId());
        assertEquals(128_009, bpe.eotId());
        assertTrue(t.addsBos());
    }

    @Test
    void longTextRoundTrips() throws IOException {
        String text = Files.readString(SharedData.file("data/text/wikitext2-test.raw"), StandardCharsets.UTF_8).substring(0, 200_000);
        for (String name : new String[] {"llama-bpe", "llama-spm", "qwen2"}) {
            Tokenizer t = SharedData.vocab(name);
            int[] ids = t.encode(text, true, true);
            assertTrue(ids.length > 30_000 && ids.length < 70_000, name + ": " + ids.length + " tokens");
            assertEquals(text, t.decode(ids), name);
        }
    }
}
