package dev.chelsea.engine.grammar;

import java.util.Arrays;

/**
 * Runs the grammar over the token trie: the inner loop of masking. The automaton's stack is kept
 * as frames in a pool (a persistent linked stack), so that the state at each trie depth is two
 * ints and going back up the trie costs nothing. Scratch space, one per generation.
 *
 * <p>A walk either starts from the real stack (loaded with {@link #load}) or from {@link #BASE},
 * a stand-in for "whatever the caller's stack is": then a token that would leave the current rule
 * below the base is reported as a dependent node instead of decided, which is what lets
 * {@link GrammarConstraint} compute most of a mask once per automaton state.
 */
final class TrieWalker {
    /** Below the bottom of the real stack: nothing to return to. */
    static final int NONE = -1;
    /** Below the bottom of a relative walk: returning needs the caller's stack. */
    static final int BASE = -2;

    private static final int OK = 0;
    private static final int FAIL = 1;
    private static final int POP = 2;

    private final Grammar g;
    private final TokenTrie trie;
    private int[] frameState = new int[256];
    private int[] frameParent = new int[256];
    private int[] frameCum = new int[256];
    private int frames;
    private int loaded;
    private final int[] qAt;
    private final int[] fAt;
    private int outQ;
    private int outF;

    TrieWalker(Grammar g, TokenTrie trie) {
        this.g = g;
        this.trie = trie;
        this.qAt = new int[trie.maxDepth + 1];
        this.fAt = new int[trie.maxDepth + 1];
    }

    /** Makes {@code stack[0 .. depth)} (bottom first) the real stack; returns its top frame (or {@link #NONE}). */
    int load(int[] stack, int depth) {
        frames = 0;
        int f = NONE;
        for (int k = 0; k < depth; k++) {
            f = push(stack[k], f);
        }
        loaded = frames;
        return f;
    }

    int frameState(int f) {
        return frameState[f];
    }

    int frameParent(int f) {
        return frameParent[f];
    }

    /** Fewest bytes to finish everything on the stack from frame {@code f} down. */
    int cum(int f) {
        return f >= 0 ? frameCum[f] : 0;
    }

    /**
     * Walks the trie nodes {@code [from, to)} (one node's subtree, or the whole trie) from the state
     * {@code (q0, f0)} before them. A token whose walk succeeds gets its bit in {@code mask} if the
     * shortest completion after it is at most {@code limit} bytes. With a {@link #BASE} walk, nodes
     * that need the caller's stack go to {@code deps} (and their subtrees are skipped), and
     * tokens after which the completion is longer than from {@code q0} go to {@code growers}, with
     * that length in {@code growth} (both may be null).
     *
     * @return the largest shortest completion after any allowed token, or -1 if none was allowed
     */
    int walk(int from, int to, int q0, int f0, long[] mask, int limit, Ints deps, Ints growers, Ints growth) {
        frames = loaded;
        final int[] trans = g.trans;
        final int[] minC = g.minComplete;
        final byte[] nb = trie.nodeByte;
        final int[] dep = trie.depth;
        final int[] skip = trie.skip;
        final int[] ts = trie.tokenStart;
        final int[] toks = trie.tokens;
        final int[] qs = qAt;
        final int[] fs = fAt;
        int base = dep[from] - 1;
        qs[base] = q0;
        fs[base] = f0;
        int maxMin = -1;
        int before = minC[q0] + (f0 >= 0 ? frameCum[f0] : 0);
        int i = from;
        while (i < to) {
            int d = dep[i];
            int q = qs[d - 1];
            int f = fs[d - 1];
            int b = nb[i] & 0xFF;
            int t = trans[(q << 8) | b];
            if (t >= 0) {
                q = t;
            } else {
                int r = step(q, f, b);
                if (r != OK) {
                    if (r == POP && deps != null) {
                        deps.add(i);
                    }
                    i = skip[i];
                    continue;
                }
                q = outQ;
                f = outF;
            }
            qs[d] = q;
            fs[d] = f;
            int k0 = ts[i];
            int k1 = ts[i + 1];
            if (k0 != k1) {
                int m = minC[q] + (f >= 0 ? frameCum[f] : 0);
                if (m <= limit) {
                    for (int k = k0; k < k1; k++) {
                        int tok = toks[k];
                        mask[tok >>> 6] |= 1L << tok;
                        if (m > before && growers != null) {
                            growers.add(tok);
                            growth.add(m);
                        }
                    }
                    maxMin = Math.max(maxMin, m);
                }
            }
            i++;
        }
        return maxMin;
    }

    /**
     * Runs {@code bytes} from {@code (q, f)} on the real stack; returns the shortest completion
     * after them, or -1 if the grammar rejects them. The end state is in {@link #endState()} and
     * {@link #endFrame()}.
     */
    int run(byte[] bytes, int q, int f) {
        frames = Math.max(frames, loaded);
        for (byte value : bytes) {
            int b = value & 0xFF;
            if (step(q, f, b) != OK) {
                return -1;
            }
            q = outQ;
            f = outF;
        }
        outQ = q;
        outF = f;
        return g.minComplete[q] + cum(f);
    }

    int endState() {
        return outQ;
    }

    int endFrame() {
        return outF;
    }

    /** The stack from frame {@code f} down, bottom first, into {@code out}; returns its depth. */
    int[] unload(int f, int[] out, int[] depthOut) {
        int n = 0;
        for (int x = f; x >= 0; x = frameParent[x]) {
            n++;
        }
        if (out.length < n) {
            out = new int[Math.max(n, out.length * 2)];
        }
        int k = n;
        for (int x = f; x >= 0; x = frameParent[x]) {
            out[--k] = frameState[x];
        }
        depthOut[0] = n;
        return out;
    }

    /** One byte through calls and returns; the result state is in outQ/outF. */
    private int step(int q, int f, int b) {
        final int[] trans = g.trans;
        while (true) {
            int t = trans[(q << 8) | b];
            if (t >= 0) {
                outQ = t;
                outF = f;
                return OK;
            }
            if (t < -1) {
                int c = -t - 2;
                f = push(g.callReturn[c], f);
                q = g.callStart[c];
            } else if (!g.accepting[q]) {
                return FAIL;
            } else if (f >= 0) {
                q = frameState[f];
                f = frameParent[f];
            } else {
                return f == BASE ? POP : FAIL;
            }
        }
    }

    private int push(int returnState, int parent) {
        if (frames == frameState.length) {
            int c = frames * 2;
            frameState = Arrays.copyOf(frameState, c);
            frameParent = Arrays.copyOf(frameParent, c);
            frameCum = Arrays.copyOf(frameCum, c);
        }
        frameState[frames] = returnState;
        frameParent[frames] = parent;
        frameCum[frames] = g.minComplete[returnState] + (parent >= 0 ? frameCum[parent] : 0);
        return frames++;
    }
}
