package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.gguf.GgufMetadata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * A vocabulary read from GGUF {@code tokenizer.ggml.*} metadata: token texts, scores and
 * attributes, the special ids and the flags that say what encoding adds. It applies llama.cpp's
 * fix-ups so that encoding matches llama.cpp: end-of-turn and end-of-generation tokens found by
 * their text (and forced to be control tokens), and the strip attributes some families give their
 * special tokens.
 */
final class Vocabulary {
    private static final System.Logger LOG = System.getLogger(Vocabulary.class.getName());

    // token attributes, as llama.cpp's llama_token_attr
    static final int UNKNOWN = 1;
    static final int UNUSED = 1 << 1;
    static final int NORMAL = 1 << 2;
    static final int CONTROL = 1 << 3;
    static final int USER_DEFINED = 1 << 4;
    static final int BYTE = 1 << 5;
    static final int LSTRIP = 1 << 7;
    static final int RSTRIP = 1 << 8;

    /** Texts that mark the end of a turn, in order of preference for {@link #eot()}. */
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    /** Texts of tokens that end generation (llama.cpp's list). */
    private static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
            "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");
    private static final List<String> FIM_PAD_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP_TEXTS = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final List<String> FIM_SEP_TEXTS = List.of("<|file_sep|>");

    /** What a tokenizer family assumes when the file does not say. */
    record Defaults(int bos, int eos, int unk, int sep, boolean addBos, boolean addEos, boolean addSep,
                    boolean addSpacePrefix) {
    }

    private final String source;
    private final String[] texts;
    private final float[] scores;
    private final int[] attrs;
    private final Map<String, Integer> ids;
    private final int maxTokenChars;

    private final int bos;
    private final int eos;
    private final int eot;
    private final int unk;
    private final int sep;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    private final int[] eog;
    private final int[] specialTokens;

    Vocabulary(GgufMetadata md, Defaults defaults) {
        this.source = String.valueOf(md.file());
        texts = md.getStringArray("tokenizer.ggml.tokens").clone();
        int n = texts.length;
        if (n == 0) {
            throw new GgufFormatException(md.file(), "tokenizer.ggml.tokens is empty");
        }
        scores = readScores(md, n);
        attrs = readAttributes(md, n);

        ids = HashMap.newHashMap(n);
        int longest = 0;
        for (int i = 0; i < n; i++) {
            if (texts[i].isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "{0}: empty token at index {1}", source, i);
                texts[i] = "[EMPTY_" + i + "]";
            }
            Integer previous = ids.putIfAbsent(texts[i], i);
            if (previous != null) {
                throw new GgufFormatException(md.file(), "duplicate token in vocabulary: '" + texts[i] + "' has ids "
                        + previous + " and " + i);
            }
            longest = Math.max(longest, texts[i].length());
        }
        maxTokenChars = longest;

        bos = specialId(md, "tokenizer.ggml.bos_token_id", defaults.bos());
        eos = specialId(md, "tokenizer.ggml.eos_token_id", defaults.eos());
        unk = specialId(md, "tokenizer.ggml.unknown_token_id", defaults.unk());
        sep = specialId(md, "tokenizer.ggml.seperator_token_id", defaults.sep());
        int eotId = specialId(md, "tokenizer.ggml.eot_token_id", -1);
        int eom = specialId(md, "tokenizer.ggml.eom_token_id", -1);
        int fimPad = specialId(md, "tokenizer.ggml.fim_pad_token_id", -1);
        int fimRep = specialId(md, "tokenizer.ggml.fim_rep_token_id", -1);
        int fimSep = specialId(md, "tokenizer.ggml.fim_sep_token_id", -1);

        addBos = md.getBoolean("tokenizer.ggml.add_bos_token", defaults.addBos());
        addEos = md.getBoolean("tokenizer.ggml.add_eos_token", defaults.addEos());
        addSep = md.getBoolean("tokenizer.ggml.add_sep_token", defaults.addSep());
        addSpacePrefix = md.getBoolean("tokenizer.ggml.add_space_prefix", defaults.addSpacePrefix());
        requireIfAdded(md, addBos, bos, "tokenizer.ggml.add_bos_token", "tokenizer.ggml.bos_token_id");
        requireIfAdded(md, addEos, eos, "tokenizer.ggml.add_eos_token", "tokenizer.ggml.eos_token_id");
        requireIfAdded(md, addSep, sep, "tokenizer.ggml.add_sep_token", "tokenizer.ggml.seperator_token_id");

        // llama.cpp finds these by text when the converter did not name them
        // (unlike llama.cpp, the generic FIM names such as [PAD] must not be plain text tokens:
        // Qwen2's vocabulary has a normal token "[PAD]" that would otherwise end generation)
        if (eotId < 0) {
            eotId = findControlByText(EOT_TEXTS, true);
        }
        if (eom < 0) {
            eom = findControlByText(List.of("<|eom_id|>"), true);
        }
        if (fimPad < 0) {
            fimPad = findControlByText(FIM_PAD_TEXTS, false);
        }
        if (fimRep < 0) {
            fimRep = findControlByText(FIM_REP_TEXTS, false);
        }
        if (fimSep < 0) {
            fimSep = findControlByText(FIM_SEP_TEXTS, false);
        }
        eot = eotId;
        markUnused();
        eog = endOfGeneration(fimPad, fimRep, fimSep, eom);

        // gpt-oss writes these in its output on purpose: they must decode as text
        for (String text : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
            Integer id = ids.get(text);
            if (id != null) {
                attrs[id] = USER_DEFINED;
            }
        }

        specialTokens = specialTokens();
        applyStripAttributes(md);
    }

    private static float[] readScores(GgufMetadata md, int n) {
        if (!md.contains("tokenizer.ggml.scores")) {
            return new float[n];
        }
        float[] s = md.getFloatArray("tokenizer.ggml.scores");
        if (s.length < n) {
            throw new GgufFormatException(md.file(), "tokenizer.ggml.scores has " + s.length + " entries for " + n + " tokens");
        }
        return s;
    }

    private static int[] readAttributes(GgufMetadata md, int n) {
        int[] a = new int[n];
        if (!md.contains("tokenizer.ggml.token_type")) {
            Arrays.fill(a, NORMAL);
            return a;
        }
        int[] types = md.getIntArray("tokenizer.ggml.token_type");
        if (types.length < n) {
            throw new GgufFormatException(md.file(), "tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            a[i] = switch (types[i]) {
                case 1 -> NORMAL;
                case 2 -> UNKNOWN;
                case 3 -> CONTROL;
                case 4 -> USER_DEFINED;
                case 5 -> UNUSED;
                case 6 -> BYTE;
                default -> 0;
            };
        }
        return a;
    }

    private int specialId(GgufMetadata md, String key, int fallback) {
        int id = fallback >= 0 && fallback < texts.length ? fallback : -1;
        if (!md.contains(key)) {
            return id;
        }
        long value = md.getLong(key);
        if (value < 0 || value >= texts.length) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: {1} = {2} is outside the vocabulary, using {3}", source, key, value, id);
            return id;
        }
        return (int) value;
    }

    private static void requireIfAdded(GgufMetadata md, boolean added, int id, String addKey, String idKey) {
        if (added && id < 0) {
            throw new GgufFormatException(md.file(), addKey + " is true, but " + idKey + " is not set");
        }
    }

    /** The first of {@code candidates} in the vocabulary, made a control token; -1 if none. */
    private int findControlByText(List<String> candidates, boolean acceptNormal) {
        for (String text : candidates) {
            Integer id = ids.get(text);
            if (id != null && (acceptNormal || attrs[id] != NORMAL)) {
                forceControl(id);
                return id;
            }
        }
        return -1;
    }

    private void forceControl(int id) {
        if ((attrs[id] & CONTROL) == 0) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: token {1} ''{2}'' looks like a control token; treating it as one",
                    source, id, texts[id]);
            attrs[id] |= CONTROL;
        }
    }

    private void markUnused() {
        for (int i = 0; i < texts.length; i++) {
            if ((attrs[i] & CONTROL) != 0 && texts[i].contains("unused")) {
                attrs[i] |= UNUSED;
            }
        }
    }

    private int[] endOfGeneration(int fimPad, int fimRep, int fimSep, int eom) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int id : new int[] {fimPad, fimRep, fimSep}) {
            if (id >= 0) {
                set.add(id);
            }
        }
        for (String text : EOG_TEXTS) {
            Integer id = ids.get(text);
            if (id != null) {
                set.add(id);
                forceControl(id);
            }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) {
                set.add(id);
            }
        }
        // o200k_harmony and solar-open end a message with <|end|> but go on generating after it
        Integer end = ids.get("<|end|>");
        if (end != null && set.contains(end)
                && ((has(set, "<|return|>") && has(set, "<|call|>")) || (has(set, "<|calls|>") && has(set, "<|flush|>")))) {
            set.remove(end);
            attrs[end] = USER_DEFINED;
        }
        // Gemma 4 uses </s> as text
        Integer s = ids.get("</s>");
        if (s != null && set.contains(s) && has(set, "<|tool_response>")) {
            set.remove(s);
            attrs[s] = NORMAL;
        }
        return set.stream().mapToInt(Integer::intValue).toArray();
    }

    private boolean has(TreeSet<Integer> set, String text) {
        Integer id = ids.get(text);
        return id != null && set.contains(id);
    }

    /** Control, user-defined and unknown tokens, longest (in UTF-8 bytes) first. */
    private int[] specialTokens() {
        List<int[]> list = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            if ((attrs[i] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0) {
                list.add(new int[] {i, texts[i].getBytes(StandardCharsets.UTF_8).length});
            }
        }
        list.sort(Comparator.<int[]>comparingInt(e -> -e[1]).thenComparingInt(e -> e[0]));
        return list.stream().mapToInt(e -> e[0]).toArray();
    }

    /** Per-family strip attributes that llama.cpp sets by model name (they are not in GGUF). */
    private void applyStripAttributes(GgufMetadata md) {
        String name = md.getString("general.name", "").toLowerCase(Locale.ROOT);
        String pre = md.getString("tokenizer.ggml.pre", "");
        String arch = md.getString("general.architecture", "");
        if (pre.contains("jina-v2-de") || pre.contains("jina-v2-es") || pre.contains("jina-v2-code")
                || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
            setAttr("<mask>", LSTRIP, true);
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) {
                attrs[id] |= RSTRIP;
            }
            setAttr("</s>", RSTRIP, true);
            for (String text : List.of("<unk>", "<s>", "<|endoftext|>")) {
                setAttr(text, RSTRIP, false);
            }
        } else if (name.contains("modern-bert")) {
            setAttr("[MASK]", LSTRIP, true);
        }
    }

    private void setAttr(String text, int attr, boolean on) {
        Integer id = ids.get(text);
        if (id != null) {
            attrs[id] = on ? attrs[id] | attr : attrs[id] & ~attr;
        }
    }

    String source() {
        return source;
    }

    int size() {
        return texts.length;
    }

    String text(int id) {
        return texts[checked(id)];
    }

    float score(int id) {
        return scores[id];
    }

    int attrs(int id) {
        return attrs[checked(id)];
    }

    boolean is(int id, int attr) {
        return (attrs[checked(id)] & attr) != 0;
    }

    /** The id of the token spelled exactly {@code text}, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    int maxTokenChars() {
        return maxTokenChars;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    int eot() {
        return eot;
    }

    int unk() {
        return unk;
    }

    int sep() {
        return sep;
    }

    boolean addBos() {
        return addBos;
    }

    boolean addEos() {
        return addEos;
    }

    boolean addSep() {
        return addSep;
    }

    boolean addSpacePrefix() {
        return addSpacePrefix;
    }

    int[] endOfGeneration() {
        return eog.clone();
    }

    int[] specialTokenIds() {
        return specialTokens;
    }

    private int checked(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + texts.length + " tokens");
        }
        return id;
    }
}
