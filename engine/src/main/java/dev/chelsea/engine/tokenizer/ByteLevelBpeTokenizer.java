package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}): the text is split into words by the
 * {@link PreTokenizer} that {@code tokenizer.ggml.pre} names, each word's UTF-8 bytes become
 * symbols of GPT-2's byte alphabet, and adjacent symbols are merged by the rank of their pair in
 * {@code tokenizer.ggml.merges} (lowest rank first, leftmost on ties), as in llama.cpp.
 *
 * <p>Symbols are token ids, and merges are looked up by the pair of ids. A merge whose parts or
 * result are not in the vocabulary still takes part, through an id past the end of the vocabulary;
 * a word piece left with such an id is written the way llama.cpp writes a piece it cannot find
 * (its ASCII characters that are tokens, nothing for the rest).
 */
public final class ByteLevelBpeTokenizer extends AbstractTokenizer {
    private static final int CACHE_LIMIT = 100_000;
    private static final int CACHED_WORD_CHARS = 64;

    private final PreTokenizer preTokenizer;
    private final MergeTable merges;
    /** Texts of the symbols that are not tokens, by {@code id - vocabularySize}. */
    private final List<String> extraSymbols = new ArrayList<>();
    private final int[] byteSymbols = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    ByteLevelBpeTokenizer(Vocabulary vocab, PreTokenizer preTokenizer, GgufMetadata md) {
        super(vocab);
        this.preTokenizer = preTokenizer;
        if (!md.contains("tokenizer.ggml.merges")) {
            throw new GgufFormatException(md.file(), "BPE vocabulary without tokenizer.ggml.merges");
        }
        String[] list = md.getStringArray("tokenizer.ggml.merges");
        Map<String, Integer> extraIds = new HashMap<>();
        merges = new MergeTable(list.length);
        for (int rank = 0; rank < list.length; rank++) {
            String merge = list[rank];
            int space = merge.indexOf(' ', 1);
            if (space < 0) {
                continue;
            }
            String left = merge.substring(0, space);
            String right = merge.substring(space + 1);
            merges.putIfAbsent(symbol(left, extraIds), symbol(right, extraIds), rank, symbol(left + right, extraIds));
        }
        for (int b = 0; b < 256; b++) {
            byteSymbols[b] = symbol(String.valueOf(ByteLevelAlphabet.charOf(b)), extraIds);
        }
        buildPieces();
    }

    private int symbol(String text, Map<String, Integer> extraIds) {
        int id = vocab.id(text);
        if (id >= 0) {
            return id;
        }
        return extraIds.computeIfAbsent(text, t -> {
            extraSymbols.add(t);
            return vocab.size() + extraSymbols.size() - 1;
        });
    }

    /** The pre-tokenizer in use. */
    public String preTokenizer() {
        return preTokenizer.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Number of merges read from the file. */
    public int mergeCount() {
        return merges.size();
    }

    @Override
    byte[] normalPiece(String text) {
        return ByteLevelAlphabet.decode(text);
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : preTokenizer.split(text)) {
            int[] ids = cache.get(word);
            if (ids == null) {
                ids = encodeWord(word);
                if (word.length() <= CACHED_WORD_CHARS) {
                    if (cache.size() >= CACHE_LIMIT) {
                        cache.clear();
                    }
                    cache.put(word, ids);
                }
            }
            out.addAll(ids);
        }
    }

    private int[] encodeWord(String word) {
        if (preTokenizer.ignoreMerges()) {
            int whole = vocab.id(ByteLevelAlphabet.encode(word));
            if (whole >= 0) {
                return new int[] {whole};
            }
        }
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        if (n == 0) {
            return new int[0];
        }
        int[] sym = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteSymbols[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap queue = new LongHeap(n);
        for (int i = 1; i < n; i++) {
            queuePair(sym, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            long entry = queue.poll();
            int rank = (int) (entry >>> 32);
            int left = (int) entry;
            int right = next[left];
            // stale unless the pair at `left` is still the one that was queued
            if (dead[left] || right < 0) {
                continue;
            }
            long merge = merges.get(sym[left], sym[right]);
            if (merge == MergeTable.MISSING || MergeTable.rank(merge) != rank) {
                continue;
            }
            sym[left] = MergeTable.merged(merge);
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            if (prev[left] >= 0) {
                queuePair(sym, prev[left], left, queue);
            }
            if (next[left] >= 0) {
                queuePair(sym, left, next[left], queue);
            }
        }

        IntList ids = new IntList(n);
        for (int i = 0; i != -1; i = next[i]) {
            if (sym[i] < vocab.size()) {
                ids.add(sym[i]);
            } else {
                for (char c : extraSymbols.get(sym[i] - vocab.size()).toCharArray()) {
                    int id = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
                    if (id >= 0) {
                        ids.add(id);
                    }
                }
            }
        }
        return ids.toArray();
    }

    private void queuePair(int[] sym, int left, int right, LongHeap queue) {
        long merge = merges.get(sym[left], sym[right]);
        if (merge != MergeTable.MISSING) {
            queue.add(((long) MergeTable.rank(merge) << 32) | left);
        }
    }
}
