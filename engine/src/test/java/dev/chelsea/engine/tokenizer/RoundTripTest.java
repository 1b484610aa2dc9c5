package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * {@code decode(encode(s)) == s} on every vocabulary that is lossless (all but BERT's, which
 * lower-cases and drops accents), with the conformance texts: the vocabulary's own, or Llama 3's
 * for the vocabulary-only files that come without test texts. The streamed text must be the same
 * (plus the SentencePiece prefix space, which streaming keeps).
 */
class RoundTripTest {

    static Stream<Path> losslessVocabularies() throws IOException {
        Path dir = SharedData.dir().resolve("data/tokenizer");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> list = files.filter(p -> p.getFileName().toString().matches("ggml-vocab-.*\\.gguf"))
                    .filter(p -> !p.getFileName().toString().contains("bert"))
                    .sorted().toList();
            return list.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losslessVocabularies")
    void decodesWhatItEncodes(Path vocab) {
        Tokenizer t = SharedData.tokenizer(vocab);
        Path texts = Files.exists(Path.of(vocab + ".inp")) ? vocab
                : SharedData.file("data/tokenizer/ggml-vocab-llama-bpe.gguf");
        List<String> failures = new ArrayList<>();
        for (String s : VocabTestCases.read(texts).texts()) {
            for (boolean bos : new boolean[] {false, true}) {
                int[] ids = t.encode(s, bos, false);
                String decoded = t.decode(ids);
                if (!decoded.equals(s)) {
                    failures.add("decode " + TokenizerConformanceTest.quote(s) + " -> " + TokenizerConformanceTest.quote(decoded));
                }
                Tokenizer.StreamingDecoder stream = t.streamingDecoder();
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) {
                    streamed.append(stream.next(id));
                }
                streamed.append(stream.flush());
                String expected = t instanceof SentencePieceTokenizer && !s.isEmpty() ? " " + s : s;
                if (!streamed.toString().equals(expected)) {
                    failures.add("stream " + TokenizerConformanceTest.quote(s) + " -> " + TokenizerConformanceTest.quote(streamed.toString()));
                }
            }
        }
        assertEquals(List.of(), failures, vocab.getFileName().toString());
    }

    @Test
    void bertIsLossy() {
        Tokenizer t = SharedData.vocab("bert-bge");
        assertInstanceOf(WordPieceTokenizer.class, t);
        int[] ids = t.encode("Hello World", true, false);
        assertEquals(101, ids[0]);
        assertEquals(102, ids[ids.length - 1]);
        assertNotEquals("Hello World", t.decode(ids));
        assertEquals(" hello world", t.decode(ids));
    }
}
