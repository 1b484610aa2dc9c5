package dev.chelsea.engine.grammar;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masks against brute force: at every step of random walks through a grammar, the set of tokens
 * the constraint allows must be exactly the tokens whose bytes keep the output a prefix of the
 * grammar (checked token by token with {@link Grammar#acceptsPrefix}), and end-of-generation must
 * be allowed exactly when the output is complete. On the 512-token SentencePiece vocabulary of
 * stories260K (byte-fallback tokens included) and on the 128,256-token Llama 3 vocabulary.
 */
class GrammarConstraintTest {
    static Tokenizer small;
    static Tokenizer llama3;

    static final String PERSON = """
            {"type": "object", "properties": {
              "name": {"type": "string"}, "age": {"type": "integer"}, "height": {"type": "number"},
              "married": {"type": "boolean"}, "pets": {"type": "array", "items": {"type": "object",
                "properties": {"kind": {"enum": ["cat", "dog", "caterpillar"]}, "name": {"type": ["string", "null"]}},
                "required": ["kind"], "additionalProperties": false}, "maxItems": 3},
              "note": {"description": "anything"}},
             "required": ["name", "age", "married", "pets"]}""";

    @BeforeAll
    static void load() {
        small = Tokenizers.fromGguf(Shared.stories());
        llama3 = Tokenizers.fromGguf(Shared.resolve("data/tokenizer/ggml-vocab-llama-bpe.gguf"));
    }

    @Test
    void masksMatchBruteForceOnTheSmallVocabulary() {
        for (String schema : List.of(PERSON, "true", "{\"type\":\"array\",\"items\":{\"type\":\"number\"}}")) {
            GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile(schema), small);
            for (long seed = 0; seed < 12; seed++) {
                randomWalk(c, small, seed, 120, Integer.MAX_VALUE, true);
            }
        }
    }

    @Test
    void masksMatchBruteForceOnTheLlama3Vocabulary() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile(PERSON), llama3);
        randomWalk(c, llama3, 1, 14, Integer.MAX_VALUE, true);
        GrammarConstraint any = GrammarConstraint.of(JsonSchemaGrammar.anyValue(), llama3);
        randomWalk(any, llama3, 2, 10, Integer.MAX_VALUE, true);
    }

    @Test
    void statesAreWalkedOnceAndSharedByLaterGenerations() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile(PERSON), small);
        assertEquals(0, c.cachedStates());
        randomWalk(c, small, 5, 60, Integer.MAX_VALUE, false);
        int seen = c.cachedStates();
        assertTrue(seen > 0 && seen <= c.grammar().stateCount());
        randomWalk(c, small, 5, 60, Integer.MAX_VALUE, false);
        assertEquals(seen, c.cachedStates(), "the same walk again needs no new state");
    }

    @Test
    void aTightBudgetStillEndsInACompleteValue() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile(PERSON), small);
        int min = c.grammar().minimumLength();
        for (long seed = 0; seed < 40; seed++) {
            // one byte per token is the worst case, so the shortest value's length is always enough
            int budget = min + (int) (seed % 5);
            List<Integer> tokens = randomWalk(c, small, seed, budget, budget, true);
            String text = small.decode(tokens.stream().filter(t -> t >= 0).mapToInt(Integer::intValue).toArray());
            assertTrue(tokens.size() <= budget + 1, text);
            assertEquals(-1, tokens.getLast(), "the walk ended with end-of-generation or a finished value, seed " + seed
                    + ", budget " + budget + ": " + text);
        }
    }

    @Test
    void aBudgetBelowTheShortestValueCutsTheOutput() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile(PERSON), small);
        GrammarConstraint.Run run = c.start();
        // the guard cannot be met, so the plain mask is used: the output goes on and is cut at the limit
        long[] m = run.computeMask(3);
        assertTrue(Arrays.stream(m).anyMatch(x -> x != 0));
        assertFalse(run.isComplete());
    }

    @Test
    void endOfGenerationOnlyWhenCompleteAndAClosedObjectFinishes() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}"), small);
        GrammarConstraint.Run run = c.start();
        int eos = small.eosId();
        for (String piece : List.of("{", "\"a\"", ":", " 1", "2")) {
            assertFalse(allowed(run.computeMask(100), eos), "EOS before the value is complete");
            assertTrue(run.advance(piece.getBytes()));
            assertFalse(run.isComplete());
        }
        assertTrue(run.advance("}".getBytes()));
        assertTrue(run.isComplete());
        assertTrue(run.isFinished());
        long[] m = run.computeMask(100);
        assertTrue(allowed(m, eos));
        assertEquals(small.endOfGenerationTokens().length, Arrays.stream(m).mapToInt(Long::bitCount).sum(),
                "only end-of-generation tokens follow a closed object");
        // a top-level number is complete but may grow
        GrammarConstraint n = GrammarConstraint.of(JsonSchemaGrammar.compile("{\"type\":\"integer\"}"), small);
        GrammarConstraint.Run r2 = n.start();
        assertTrue(r2.advance("42".getBytes()));
        assertTrue(r2.isComplete());
        assertFalse(r2.isFinished());
        assertFalse(r2.advance("x".getBytes()));
    }

    @Test
    void rejectedTokensThrowAndControlTokensCanStandForTheirText() {
        GrammarConstraint c = GrammarConstraint.of(JsonSchemaGrammar.compile("{\"type\":\"string\"}"), small);
        GrammarConstraint.Run run = c.start();
        int letter = small.tokenId("x");
        assertThrows(IllegalStateException.class, () -> run.accept(letter));
        assertThrows(IllegalStateException.class, () -> run.accept(small.eosId()));
        // a grammar over the text "<s>x" may use the control token <s> for "<s>" when told so
        int bos = small.bosId();
        GrammarBuilder b2 = new GrammarBuilder();
        GrammarBuilder.Rule t2 = b2.rule("top");
        t2.finish(t2.literal(t2.start(), small.tokenText(bos) + "x"));
        Grammar g = b2.build(t2);
        assertFalse(GrammarConstraint.of(g, small).rendersAsText(bos));
        assertFalse(allowed(GrammarConstraint.of(g, small).start().computeMask(100), bos));
        GrammarConstraint withBos = GrammarConstraint.of(g, small, List.of(small.tokenText(bos)));
        assertTrue(withBos.rendersAsText(bos));
        GrammarConstraint.Run r = withBos.start();
        assertTrue(allowed(r.computeMask(100), bos));
        r.accept(bos);
        assertTrue(r.advance("x".getBytes()));
        assertTrue(r.isFinished());
    }

    private static long[] expectedMask(GrammarConstraint c, Tokenizer tok, byte[] prefix, int limit) {
        long[] expected = new long[(tok.vocabularySize() + 63) / 64];
        for (int t = 0; t < tok.vocabularySize(); t++) {
            byte[] b = tok.tokenBytes(t);
            if (b.length == 0 || tok.isControl(t)) {
                continue;
            }
            byte[] all = Arrays.copyOf(prefix, prefix.length + b.length);
            System.arraycopy(b, 0, all, prefix.length, b.length);
            int need = c.grammar().shortestCompletion(all);
            if (need >= 0 && need <= limit) {
                expected[t >>> 6] |= 1L << t;
            }
        }
        return expected;
    }

    static boolean allowed(long[] mask, int token) {
        return (mask[token >>> 6] & (1L << token)) != 0;
    }

    /**
     * Picks random allowed tokens (end-of-generation with some chance once allowed) for up to
     * {@code steps} steps with the given budget, checking every mask against brute force (the
     * budget included) if asked. Returns the tokens, with -1 last if the output completed.
     */
    static List<Integer> randomWalk(GrammarConstraint c, Tokenizer tok, long seed, int steps, int budget, boolean bruteForce) {
        SplittableRandom r = new SplittableRandom(seed);
        GrammarConstraint.Run run = c.start();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        List<Integer> out = new ArrayList<>();
        int[] eog = tok.endOfGenerationTokens();
        for (int step = 0; step < steps; step++) {
            int remaining = budget == Integer.MAX_VALUE ? budget : budget - step;
            long[] mask = run.computeMask(remaining).clone();
            if (bruteForce) {
                // tokens after which the output can still end within the tokens left, one byte each
                int limit = remaining - 1;
                long[] expected = expectedMask(c, tok, text.toByteArray(), limit);
                if (Arrays.stream(expected).allMatch(x -> x == 0)) {
                    expected = expectedMask(c, tok, text.toByteArray(), Integer.MAX_VALUE);
                }
                byte[] prefix = text.toByteArray();
                if (c.grammar().accepts(prefix)) {
                    for (int t : eog) {
                        expected[t >>> 6] |= 1L << t;
                    }
                }
                assertArrayEquals(expected, mask, "mask after \"" + text + "\" (seed " + seed + ")");
            }
            List<Integer> allowed = new ArrayList<>();
            for (int t = 0; t < tok.vocabularySize(); t++) {
                if (allowed(mask, t) && !isEog(eog, t)) {
                    allowed.add(t);
                }
            }
            boolean canEnd = Arrays.stream(eog).anyMatch(t -> allowed(mask, t));
            assertEquals(c.grammar().accepts(text.toByteArray()), canEnd, "end-of-generation iff complete");
            assertTrue(canEnd || !allowed.isEmpty(), "no token allowed after \"" + text + "\"");
            if (canEnd && (r.nextInt(4) == 0 || allowed.isEmpty())) {
                out.add(-1);
                return out;
            }
            int t = allowed.get(r.nextInt(allowed.size()));
            run.accept(t);
            out.add(t);
            text.writeBytes(tok.tokenBytes(t));
            if (run.isFinished()) {
                StrictJson.parse(text.toString());
                out.add(-1);
                return out;
            }
        }
        return out;
    }

    private static boolean isEog(int[] eog, int t) {
        return Arrays.stream(eog).anyMatch(e -> e == t);
    }
}
