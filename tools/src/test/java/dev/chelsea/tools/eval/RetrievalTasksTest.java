package dev.chelsea.tools.eval;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.tokenizer.ChatTemplates;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LongChat lines parsing, the passkey generator and answer checking. */
class RetrievalTasksTest {
    @TempDir
    Path dir;

    @Test
    void readsTheSharedLongChatLinesFiles() {
        List<RetrievalCase> cases = LongChatLines.read(Shared.resolve("data/text/retrieval/200_lines.jsonl"));
        assertEquals(50, cases.size());
        RetrievalCase first = cases.getFirst();
        assertEquals("torpid-kid", first.id());
        assertEquals(2416, first.expected());
        assertEquals(7 / 199.0, first.depth(), 1e-12);
        assertEquals("The <REGISTER_CONTENT> in line torpid-kid is", first.answerPrefix());
        Set<String> ids = new HashSet<>();
        for (RetrievalCase c : cases) {
            // The needle is in the haystack with the expected number, and the question names its line.
            assertTrue(c.prompt().contains("line " + c.id() + ": REGISTER_CONTENT is <" + c.expected() + ">\n"), c.id());
            assertTrue(c.prompt().strip().endsWith("in line " + c.id() + "? I need the number."), c.id());
            assertTrue(c.depth() >= 0 && c.depth() <= 1, c.id());
            ids.add(c.id());
        }
        assertEquals(50, ids.size());
        List<RetrievalCase> longer = LongChatLines.read(Shared.resolve("data/text/retrieval/300_lines.jsonl"));
        assertEquals(50, longer.size());
        assertEquals(29324, longer.getFirst().expected());
        assertTrue(longer.getFirst().prompt().length() > first.prompt().length());
    }

    @Test
    void refusesFilesThatAreNotLinesTests() throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"p\", \"expected_number\": 3}\n\n{\"question\": \"q\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LongChatLines.read(bad));
        assertTrue(e.getMessage().startsWith("bad.jsonl:3: missing string field 'prompt'"), e.getMessage());
        Files.writeString(bad, "{\"prompt\": \"p\", \"expected_number\": 3.5}\n");
        e = assertThrows(IllegalArgumentException.class, () -> LongChatLines.read(bad));
        assertTrue(e.getMessage().contains("expected_number"), e.getMessage());
        Files.writeString(bad, "not json\n");
        e = assertThrows(IllegalArgumentException.class, () -> LongChatLines.read(bad));
        assertTrue(e.getMessage().startsWith("bad.jsonl:1: invalid JSON"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LongChatLines.read(dir.resolve("none.jsonl")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void theAnswersFirstNumberMustBeTheExpectedOne() {
        RetrievalCase c = new RetrievalCase("x", "prompt", "", 2416, Double.NaN);
        assertTrue(c.isCorrect("2416"));
        assertTrue(c.isCorrect(" <2416>. Anything else?"));
        assertTrue(c.isCorrect("is 02416"));
        assertFalse(c.isCorrect("24160"));
        assertFalse(c.isCorrect("241"));
        assertFalse(c.isCorrect("7, then 2416"));
        assertFalse(c.isCorrect("no idea"));
        assertFalse(c.isCorrect(""));
    }

    @Test
    void chatPromptsPutTheAnswerPrefixInTheAssistantsTurn() {
        Tokenizer tok = Tokenizers.fromGguf(Shared.stories());
        RetrievalCase c = PasskeyPrompt.build(tok, 300, 0.5, 2);
        String plain = tok.decode(RetrievalRunner.encode(tok, null, c));
        assertTrue(plain.strip().endsWith("What is the pass key? The pass key is"), plain);
        String chat = tok.decode(RetrievalRunner.encode(tok, ChatTemplates.byFamily("chatml"), c));
        assertTrue(chat.contains("<|im_start|>user\n" + PasskeyPrompt.INTRO.strip()), chat);
        assertTrue(chat.endsWith("What is the pass key?<|im_end|>\n<|im_start|>assistant\nThe pass key is"), chat);
    }

    @Test
    void passkeyNeedleSitsAtTheAskedDepth() {
        Tokenizer tok = Tokenizers.fromGguf(Shared.stories());
        for (double depth : new double[] {0, 0.25, 0.5, 1}) {
            RetrievalCase c = PasskeyPrompt.build(tok, 1000, depth, 5);
            String needle = PasskeyPrompt.needle(c.expected());
            int at = c.prompt().indexOf(needle);
            assertTrue(at > 0 && c.prompt().indexOf(needle, at + 1) < 0, "the needle appears exactly once");
            assertTrue(c.expected() >= 10000 && c.expected() <= 99999);
            int total = tok.encode(c.prompt() + " " + c.answerPrefix(), true, false).length;
            assertTrue(total <= 1000 && total > 900, "length " + total);
            // Depth measured independently: filler tokens before the needle over all filler tokens.
            int intro = tok.encode(PasskeyPrompt.INTRO, true, false).length;
            int before = tok.encode(c.prompt().substring(0, at), true, false).length - intro;
            String filler = c.prompt().substring(PasskeyPrompt.INTRO.length()).replace(needle, "").replace(PasskeyPrompt.QUESTION, "");
            int all = tok.encode(PasskeyPrompt.INTRO + filler, true, false).length - intro;
            assertEquals(depth, (double) before / all, 0.02, "depth " + depth);
            assertEquals(depth, c.depth(), 0.02);
            assertTrue(c.prompt().endsWith(PasskeyPrompt.QUESTION));
        }
        assertEquals(PasskeyPrompt.build(tok, 600, 0.5, 9), PasskeyPrompt.build(tok, 600, 0.5, 9));
        assertThrows(IllegalArgumentException.class, () -> PasskeyPrompt.build(tok, 20, 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> PasskeyPrompt.build(tok, 600, 1.5, 1));
    }
}
