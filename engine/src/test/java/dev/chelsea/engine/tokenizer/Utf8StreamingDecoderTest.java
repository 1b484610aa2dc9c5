package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Streaming of token bytes, with each "token" standing for one byte of {@link #BYTES}. */
class Utf8StreamingDecoderTest {
    private static final byte[] BYTES = "aé😀".getBytes(StandardCharsets.UTF_8); // 61 | C3 A9 | F0 9F 98 80

    private static Tokenizer.StreamingDecoder decoder(byte[] bytes) {
        return new Utf8StreamingDecoder(i -> new byte[] {bytes[i]});
    }

    @Test
    void holdsBackSplitCharactersUntilComplete() {
        Tokenizer.StreamingDecoder d = decoder(BYTES);
        assertEquals("a", d.next(0));
        assertEquals("", d.next(1));
        assertEquals("é", d.next(2));
        assertEquals("", d.next(3));
        assertEquals("", d.next(4));
        assertEquals("", d.next(5));
        assertEquals("😀", d.next(6));
        assertEquals("", d.flush());
    }

    @Test
    void replacesBytesThatCannotCompleteACharacter() {
        byte[] bytes = {(byte) 0xC3, 'x', (byte) 0xA9};
        Tokenizer.StreamingDecoder d = decoder(bytes);
        assertEquals("", d.next(0));
        assertEquals("\uFFFDx", d.next(1));
        assertEquals("\uFFFD", d.next(2));
    }

    @Test
    void flushReleasesAnIncompleteTail() {
        Tokenizer.StreamingDecoder d = decoder(BYTES);
        assertEquals("", d.next(3));
        assertEquals("", d.next(4));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
    }

    @Test
    void multiByteTokensPassThroughWhole() {
        byte[][] pieces = {"He".getBytes(StandardCharsets.UTF_8), {'y', (byte) 0xE2, (byte) 0x82}, {(byte) 0xAC, '!'}};
        Tokenizer.StreamingDecoder d = new Utf8StreamingDecoder(i -> pieces[i]);
        assertEquals("He", d.next(0));
        assertEquals("y", d.next(1));
        assertEquals("€!", d.next(2));
    }
}
