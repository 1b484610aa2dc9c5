package dev.chelsea.engine.model;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.tokenizer.ChatMessage;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** A conversation becomes tokens in one place: BOS once, control tokens parsed only when the template says so. */
class ModelEncodeChatTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.stories(), new ModelOptions(1, 64, dev.chelsea.engine.backend.BackendChoice.CPU));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Renders the messages' texts joined by newlines, as the plain fallback does. */
    private static ChatTemplate joined(boolean special) {
        return new ChatTemplate() {
            @Override
            public String family() {
                return "test";
            }

            @Override
            public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
                return String.join("\n", messages.stream().map(ChatMessage::content).toList());
            }

            @Override
            public List<String> endOfTurnMarkers() {
                return List.of();
            }

            @Override
            public boolean parsesSpecialTokens() {
                return special;
            }
        };
    }

    @Test
    void aRenderedBosIsNotDoubled() {
        int bos = model.tokenizer().bosId();
        int[] tokens = model.encodeChat(joined(true), List.of(ChatMessage.user("<s>Once upon a time")));
        assertEquals(bos, tokens[0]);
        assertNotEquals(bos, tokens[1], "one BOS: the template wrote it");
        assertArrayEquals(model.encodeText("Once upon a time"), tokens);
    }

    @Test
    void controlTokensStayTextWhenTheTemplateSaysSo() {
        int bos = model.tokenizer().bosId();
        int[] tokens = model.encodeChat(joined(false), List.of(ChatMessage.user("<s>Once upon a time")));
        assertEquals(bos, tokens[0], "BOS added: the user's '<s>' is text, not a BOS");
        for (int i = 1; i < tokens.length; i++) {
            assertNotEquals(bos, tokens[i], "no control token parsed from the text");
        }
        assertEquals(model.tokenizer().encode("<s>Once upon a time", true, false).length, tokens.length);
    }
}
