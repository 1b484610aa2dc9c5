package dev.chelsea.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Streams token bytes as text. A character whose UTF-8 bytes are split over several tokens
 * (byte-fallback tokens, or byte-level BPE tokens that cut a character) is held back until its
 * last byte arrives; bytes that can never complete a character are replaced by U+FFFD at once,
 * so nothing is held back forever.
 */
final class Utf8StreamingDecoder implements Tokenizer.StreamingDecoder {
    private final IntFunction<byte[]> pieces;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] pending = new byte[8];
    private int length;

    Utf8StreamingDecoder(IntFunction<byte[]> pieces) {
        this.pieces = pieces;
    }

    @Override
    public String next(int token) {
        byte[] piece = pieces.apply(token);
        if (length + piece.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, length + piece.length));
        }
        System.arraycopy(piece, 0, pending, length, piece.length);
        length += piece.length;
        int complete = length - incompleteTail(pending, length);
        return emit(complete);
    }

    @Override
    public String flush() {
        return emit(length);
    }

    private String emit(int count) {
        if (count == 0) {
            return "";
        }
        String text;
        try {
            utf8.reset();
            CharBuffer chars = utf8.decode(ByteBuffer.wrap(pending, 0, count));
            text = chars.toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 decoding with replacement failed", e);
        }
        System.arraycopy(pending, count, pending, 0, length - count);
        length -= count;
        return text;
    }

    /**
     * How many bytes at the end of {@code buf[0, len)} are the start of a character that may
     * still be completed: a lead byte followed by fewer continuation bytes than it announces.
     */
    static int incompleteTail(byte[] buf, int len) {
        for (int back = 1; back <= Math.min(3, len); back++) {
            int b = buf[len - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int need = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            return need > back ? back : 0;
        }
        return 0;
    }
}
