package dev.chelsea.engine.grammar;

import dev.chelsea.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The vocabulary's byte strings as a trie, flattened in preorder so that a walk is one pass over
 * arrays: node {@code i} adds byte {@code nodeByte[i]} at depth {@code depth[i]} (1 for a first
 * byte), its subtree ends before {@code skip[i]}, and the tokens spelled by the path to it are
 * {@code tokens[tokenStart[i] .. tokenStart[i + 1])}. Rejecting a byte skips the whole subtree,
 * which is what makes masking a 128K vocabulary cheap. Control tokens and tokens without bytes
 * are left out (a constraint never allows them, end-of-generation tokens aside).
 *
 * <p>Built once per tokenizer and cached ({@link #of}); the Llama 3 vocabulary (128,256 tokens,
 * 831,311 bytes) gives 274,520 nodes, built in under a second.
 */
final class TokenTrie {
    private static final Map<Tokenizer, TokenTrie> CACHE = new WeakHashMap<>();

    final int vocabularySize;
    final byte[] nodeByte;
    final int[] depth;
    final int[] skip;
    final int[] tokenStart;
    final int[] tokens;
    final int maxDepth;

    private TokenTrie(int vocabularySize, byte[] nodeByte, int[] depth, int[] skip, int[] tokenStart, int[] tokens, int maxDepth) {
        this.vocabularySize = vocabularySize;
        this.nodeByte = nodeByte;
        this.depth = depth;
        this.skip = skip;
        this.tokenStart = tokenStart;
        this.tokens = tokens;
        this.maxDepth = maxDepth;
    }

    static TokenTrie of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, TokenTrie::build);
        }
    }

    int nodeCount() {
        return nodeByte.length;
    }

    private static TokenTrie build(Tokenizer tokenizer) {
        int n = tokenizer.vocabularySize();
        byte[][] bytes = new byte[n][];
        Integer[] order = new Integer[n];
        int count = 0;
        for (int t = 0; t < n; t++) {
            if (tokenizer.isControl(t)) {
                continue;
            }
            byte[] b = tokenizer.tokenBytes(t);
            if (b.length > 0) {
                bytes[t] = b;
                order[count++] = t;
            }
        }
        Integer[] ids = Arrays.copyOf(order, count);
        Arrays.sort(ids, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));

        int cap = 1024;
        byte[] nodeByte = new byte[cap];
        int[] depth = new int[cap];
        int[] skip = new int[cap];
        int[] tokens = new int[count];
        int[] nodeOfToken = new int[count];
        int nodes = 0;
        int maxDepth = 0;
        int[] path = new int[16]; // node index at each depth of the current path
        byte[] prev = new byte[0];
        for (int k = 0; k < count; k++) {
            int t = ids[k];
            byte[] b = bytes[t];
            int common = 0;
            while (common < Math.min(prev.length, b.length) && prev[common] == b[common]) {
                common++;
            }
            // the previous path's nodes below the common prefix are finished: their subtrees end here
            for (int d = prev.length; d > common; d--) {
                skip[path[d]] = nodes;
            }
            if (b.length >= path.length) {
                path = Arrays.copyOf(path, b.length * 2);
            }
            for (int d = common + 1; d <= b.length; d++) {
                if (nodes == nodeByte.length) {
                    int c = nodes * 2;
                    nodeByte = Arrays.copyOf(nodeByte, c);
                    depth = Arrays.copyOf(depth, c);
                    skip = Arrays.copyOf(skip, c);
                }
                nodeByte[nodes] = b[d - 1];
                depth[nodes] = d;
                path[d] = nodes++;
            }
            tokens[k] = t;
            nodeOfToken[k] = path[b.length];
            maxDepth = Math.max(maxDepth, b.length);
            prev = b;
        }
        for (int d = prev.length; d > 0; d--) {
            skip[path[d]] = nodes;
        }
        // in sorted order a token comes right after its prefixes, so token nodes never decrease
        // and each node's tokens are one run
        int[] tokenStart = new int[nodes + 1];
        int k = 0;
        for (int i = 0; i <= nodes; i++) {
            while (k < count && nodeOfToken[k] < i) {
                k++;
            }
            tokenStart[i] = k;
        }
        return new TokenTrie(n, Arrays.copyOf(nodeByte, nodes), Arrays.copyOf(depth, nodes), Arrays.copyOf(skip, nodes),
                tokenStart, tokens, maxDepth);
    }
}
