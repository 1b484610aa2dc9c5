package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The SentencePiece vocabulary embedded in stories260K.gguf, against llama.cpp's tokenization. */
class Stories260kTokenizerTest {
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = Tokenizers.fromGguf(SharedData.file("models/stories260K.gguf"));
    }

    record Sample(String text, int[] ids) {
    }

    /** Reads {@code tokenize.jsonl}: lines of {"text": "...", "ids_with_bos": [...]}. */
    static List<Sample> samples() throws IOException {
        Pattern line = Pattern.compile("\\{\"text\": \"((?:[^\"\\\\]|\\\\.)*)\", \"ids_with_bos\": \\[([0-9, ]*)]}");
        List<Sample> samples = new ArrayList<>();
        for (String l : Files.readAllLines(SharedData.file("data/reference/stories260K/tokenize.jsonl"), StandardCharsets.UTF_8)) {
            if (l.isBlank()) {
                continue;
            }
            Matcher m = line.matcher(l.strip());
            if (!m.matches()) {
                throw new IllegalStateException("unexpected line in tokenize.jsonl: " + l);
            }
            int[] ids = Arrays.stream(m.group(2).split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
            samples.add(new Sample(unescape(m.group(1)), ids));
        }
        return samples;
    }

    private static String unescape(String json) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = json.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
        return sb.toString();
    }

    @Test
    void matchesLlamaCppWithBos() throws IOException {
        List<Sample> samples = samples();
        assertFalse(samples.isEmpty());
        for (Sample s : samples) {
            assertArrayEquals(s.ids(), tokenizer.encode(s.text(), true, false), s.text());
            assertEquals(s.text(), tokenizer.decode(s.ids()), "decode of " + Arrays.toString(s.ids()));
        }
    }

    @Test
    void matchesThePromptOfTheLogitsReference() throws IOException {
        String text = Files.readString(SharedData.file("data/reference/stories260K/prompt1.tokens")).strip();
        int[] expected = Arrays.stream(text.split("\\s+")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(expected, tokenizer.encode("Once upon a time, there was a little girl named Lily.", true, false));
    }

    @Test
    void describesItsSpecialTokens() {
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(512, tokenizer.vocabularySize());
        assertEquals(1, tokenizer.bosId());
        assertEquals(2, tokenizer.eosId());
        assertEquals(true, tokenizer.addsBos());
        assertArrayEquals(new int[] {2}, tokenizer.endOfGenerationTokens());
        assertEquals("<s>", tokenizer.tokenText(1));
        assertEquals(1, tokenizer.tokenId("<s>"));
        assertEquals(true, tokenizer.isControl(2));
        assertEquals(0, ((AbstractTokenizer) tokenizer).unknownId());
    }

    @Test
    void streamsCharactersSplitOverByteTokens() {
        // the 512-token vocabulary has no piece for "😀": its four UTF-8 bytes become byte tokens
        int[] ids = tokenizer.encode("Café 😀!", false, false);
        int at = indexOf(ids, tokenizer.tokenId("<0xF0>"));
        assertArrayEquals(new int[] {tokenizer.tokenId("<0x9F>"), tokenizer.tokenId("<0x98>"), tokenizer.tokenId("<0x80>")},
                Arrays.copyOfRange(ids, at + 1, at + 4), Arrays.toString(ids));

        Tokenizer.StreamingDecoder stream = tokenizer.streamingDecoder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            String piece = stream.next(ids[i]);
            if (i >= at && i < at + 3) {
                assertEquals("", piece, "byte " + (i - at + 1) + " of 😀 is held back");
            } else if (i == at + 3) {
                assertEquals("😀", piece);
            }
            text.append(piece);
        }
        text.append(stream.flush());
        // streaming keeps the space that SentencePiece puts before the first word
        assertEquals(" Café 😀!", text.toString());
        assertEquals("Café 😀!", tokenizer.decode(ids));
    }

    private static int indexOf(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        throw new AssertionError(id + " not in " + Arrays.toString(ids));
    }
}
