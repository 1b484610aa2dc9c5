package dev.chelsea.engine.grammar;

import dev.chelsea.engine.generate.TokenConstraint;
import dev.chelsea.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A {@link Grammar} bound to a tokenizer: at each step, the tokens whose bytes keep the output a
 * prefix of the grammar. Make one per grammar and tokenizer and share it; it caches work across
 * generations.
 *
 * <p><b>How a mask is made.</b> For each automaton state the first mask needs, one walk of the
 * vocabulary trie from that state with a stand-in for the stack below ({@link TrieWalker#BASE})
 * decides every token that stays inside the current rule (or in rules it calls), and lists the
 * trie nodes where a token leaves the rule. That part is cached by state. A step then copies the
 * cached bits and walks only the listed subtrees against the real stack: inside a JSON string
 * that is the few tokens that contain a closing quote. End-of-generation tokens are allowed only
 * where the output is complete.
 *
 * <p><b>Token budget.</b> Near the end of the budget {@code mask} allows only tokens after which
 * the output can still be completed within the tokens left (counting, conservatively, one byte per
 * token; byte-level and byte-fallback vocabularies have a token for every byte), so output that
 * has room to finish always parses. With too few tokens for even the shortest completion the
 * output is cut at the limit.
 */
public final class GrammarConstraint implements TokenConstraint {
    /** Cached masks per constraint, in bytes (2,048 states of a 128K vocabulary). */
    private static final long CACHE_BYTES = 32L << 20;

    final Grammar grammar;
    final TokenTrie trie;
    private final int[] endOfGeneration;
    private final int[] textTokens;
    private final byte[][] textTokenBytes;
    private final int words;
    private final int maxCached;
    private final AtomicReferenceArray<StateMask> masks;
    private final AtomicInteger cached = new AtomicInteger();
    private final Tokenizer tokenizer;

    /**
     * What one automaton state allows without looking below it on the stack: the tokens, the trie
     * nodes that need the stack, the longest completion (relative to the state's rule) after any
     * of the tokens, and the tokens after which the completion is longer than before (with its
     * length), which are the only ones a token budget can exclude while the state itself fits.
     */
    private record StateMask(long[] accepted, int[] dependentNodes, int maxCompletion, int[] growers, int[] growth) {
    }

    private GrammarConstraint(Grammar grammar, Tokenizer tokenizer, Collection<String> textTokenTexts) {
        this.grammar = grammar;
        this.tokenizer = tokenizer;
        this.trie = TokenTrie.of(tokenizer);
        this.endOfGeneration = tokenizer.endOfGenerationTokens().clone();
        this.words = (tokenizer.vocabularySize() + 63) >>> 6;
        this.maxCached = (int) Math.max(64, CACHE_BYTES / (8L * words));
        this.masks = new AtomicReferenceArray<>(grammar.stateCount());
        int[] ids = new int[textTokenTexts.size()];
        byte[][] bytes = new byte[ids.length][];
        int n = 0;
        for (String text : textTokenTexts) {
            int id = tokenizer.tokenId(text);
            if (id >= 0 && tokenizer.isControl(id) && !contains(endOfGeneration, id)) {
                ids[n] = id;
                bytes[n++] = text.getBytes(StandardCharsets.UTF_8);
            }
        }
        this.textTokens = Arrays.copyOf(ids, n);
        this.textTokenBytes = Arrays.copyOf(bytes, n);
    }

    public static GrammarConstraint of(Grammar grammar, Tokenizer tokenizer) {
        return new GrammarConstraint(grammar, tokenizer, java.util.List.of());
    }

    /**
     * @param textTokens texts of control tokens that stand for their text in this grammar (tool-call
     *                   markers such as {@code [TOOL_CALLS]}); texts the vocabulary lacks, or that
     *                   are ordinary tokens already, are ignored
     */
    public static GrammarConstraint of(Grammar grammar, Tokenizer tokenizer, Collection<String> textTokens) {
        return new GrammarConstraint(grammar, tokenizer, textTokens);
    }

    public Grammar grammar() {
        return grammar;
    }

    @Override
    public Run start() {
        return new Run();
    }

    @Override
    public boolean rendersAsText(int token) {
        return contains(textTokens, token);
    }

    /** Number of automaton states whose masks are cached. */
    int cachedStates() {
        return cached.get();
    }

    private StateMask maskFor(int q, TrieWalker w) {
        StateMask m = masks.get(q);
        if (m == null) {
            long[] accepted = new long[words];
            Ints deps = new Ints();
            Ints growers = new Ints();
            Ints growth = new Ints();
            int max = trie.nodeCount() == 0 ? -1
                    : w.walk(0, trie.nodeCount(), q, TrieWalker.BASE, accepted, Integer.MAX_VALUE, deps, growers, growth);
            m = new StateMask(accepted, deps.toArray(), max, growers.toArray(), growth.toArray());
            if (cached.get() >= maxCached) {
                // a grammar this large rarely revisits old states; start over rather than track use
                for (int i = 0; i < masks.length(); i++) {
                    masks.set(i, null);
                }
                cached.set(0);
            }
            if (masks.compareAndSet(q, null, m)) {
                cached.incrementAndGet();
            }
        }
        return m;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** One generation's position in the grammar. */
    public final class Run implements TokenConstraint.State {
        private int q = grammar.start;
        private int[] stack = new int[16];
        private int depth;
        private final TrieWalker walker = new TrieWalker(grammar, trie);
        private final long[] mask = new long[words];
        private final int[] depthOut = new int[1];

        private Run() {
        }

        @Override
        public void mask(float[] logits, int remaining) {
            computeMask(remaining);
            int n = logits.length;
            for (int w = 0; w < words && (w << 6) < n; w++) {
                long bits = mask[w];
                if (bits == -1L) {
                    continue;
                }
                int base = w << 6;
                if (bits == 0) {
                    Arrays.fill(logits, base, Math.min(base + 64, n), Float.NEGATIVE_INFINITY);
                    continue;
                }
                for (long off = ~bits; off != 0; off &= off - 1) {
                    int i = base + Long.numberOfTrailingZeros(off);
                    if (i < n) {
                        logits[i] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            if (n > words << 6) {
                Arrays.fill(logits, words << 6, n, Float.NEGATIVE_INFINITY);
            }
        }

        /**
         * The allowed tokens as a bit set (bit {@code t} of word {@code t / 64}), given that at most
         * {@code remaining} tokens may still be generated, this one included. The array is reused.
         */
        public long[] computeMask(int remaining) {
            // bytes the completion may take after this token, one per remaining token
            int limit = remaining <= 1 ? 0 : remaining - 1;
            if (!fill(limit) && !fill(Integer.MAX_VALUE)) {
                throw new IllegalStateException("no token can continue the output here (grammar rule "
                        + grammar.ruleNames[grammar.ruleOf[q]] + "): the vocabulary cannot spell what the grammar requires");
            }
            return mask;
        }

        /** Fills the mask with tokens that leave a completion of at most {@code limit} bytes; false if none. */
        private boolean fill(int limit) {
            int top = walker.load(stack, depth);
            int below = walker.cum(top);
            StateMask m = maskFor(q, walker);
            if ((long) grammar.minComplete[q] + below <= limit) {
                System.arraycopy(m.accepted, 0, mask, 0, words);
                if ((long) m.maxCompletion + below > limit) {
                    // close to the budget: drop the tokens after which the output could not end in time
                    for (int k = 0; k < m.growers.length; k++) {
                        if ((long) m.growth[k] + below > limit) {
                            mask[m.growers[k] >>> 6] &= ~(1L << m.growers[k]);
                        }
                    }
                }
                if (depth > 0) {
                    int q2 = walker.frameState(top);
                    int f2 = walker.frameParent(top);
                    for (int node : m.dependentNodes) {
                        walker.walk(node, trie.skip[node], q2, f2, mask, limit, null, null, null);
                    }
                }
            } else {
                // the budget is already short of the shortest completion: decide every token
                // against the real stack, in case one long token closes enough
                Arrays.fill(mask, 0);
                if (trie.nodeCount() > 0) {
                    walker.walk(0, trie.nodeCount(), q, top, mask, limit, null, null, null);
                }
            }
            for (int k = 0; k < textTokens.length; k++) {
                int need = walker.run(textTokenBytes[k], q, top);
                if (need >= 0 && need <= limit) {
                    mask[textTokens[k] >>> 6] |= 1L << textTokens[k];
                }
            }
            boolean any = false;
            for (long x : mask) {
                if (x != 0) {
                    any = true;
                    break;
                }
            }
            if (isComplete()) {
                for (int t : endOfGeneration) {
                    if (t >= 0 && t < words << 6) {
                        mask[t >>> 6] |= 1L << t;
                        any = true;
                    }
                }
            }
            return any;
        }

        @Override
        public void accept(int token) {
            byte[] bytes = null;
            for (int k = 0; k < textTokens.length; k++) {
                if (textTokens[k] == token) {
                    bytes = textTokenBytes[k];
                }
            }
            if (bytes == null) {
                if (contains(endOfGeneration, token) || tokenizer.isControl(token)) {
                    throw new IllegalStateException("control token " + token + " (" + tokenizer.tokenText(token)
                            + ") is not part of the grammar's output");
                }
                bytes = tokenizer.tokenBytes(token);
            }
            if (!advance(bytes)) {
                throw new IllegalStateException("token " + token + " (" + tokenizer.tokenText(token)
                        + ") does not continue the output in the grammar");
            }
        }

        /** Moves past {@code bytes}; false (and no move) if the grammar rejects them. */
        public boolean advance(byte[] bytes) {
            int top = walker.load(stack, depth);
            if (walker.run(bytes, q, top) < 0) {
                return false;
            }
            q = walker.endState();
            stack = walker.unload(walker.endFrame(), stack, depthOut);
            depth = depthOut[0];
            return true;
        }

        @Override
        public boolean isComplete() {
            if (!grammar.accepting[q]) {
                return false;
            }
            for (int k = 0; k < depth; k++) {
                if (!grammar.accepting[stack[k]]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean isFinished() {
            if (!isComplete() || grammar.hasOut[q]) {
                return false;
            }
            for (int k = 0; k < depth; k++) {
                if (grammar.hasOut[stack[k]]) {
                    return false;
                }
            }
            return true;
        }
    }
}
