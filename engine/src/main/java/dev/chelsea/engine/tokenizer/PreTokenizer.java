package dev.chelsea.engine.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pre-tokenizers of byte-level BPE vocabularies, named by GGUF {@code tokenizer.ggml.pre}.
 * Each is a chain of regexes applied one after the other, as in llama.cpp's
 * {@code llm_tokenizer_bpe}; the regexes are those of the models' {@code tokenizer.json}
 * (rewritten by llama.cpp where needed), and the GPT-2 and Llama 3 ones run as hand-written
 * scanners like llama.cpp's. Digit handling differs per family: Llama 3 groups up to three
 * digits, Qwen2, StarCoder and DeepSeek-Coder split every digit, GPT-2 keeps digit runs whole.
 */
enum PreTokenizer {
    DEFAULT(false, false,
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            Gpt2SplitRule.REGEX,
            "\\p{N}+",
            "[0-9][0-9][0-9]"),
    LLAMA3(true, true, Llama3SplitRule.REGEX),
    /** The Llama 3 regex without Llama 3's whole-word lookup and BOS default (DBRX, Smaug, GLM-4). */
    LLAMA3_REGEX(false, false, Llama3SplitRule.REGEX),
    DEEPSEEK_LLM(false, false,
            "[\r\n]",
            "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
            "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
            "\\s+$",
            "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
            "\\p{N}+"),
    DEEPSEEK_CODER(false, false,
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
            "\\p{N}"),
    DEEPSEEK3_LLM(false, false,
            "\\p{N}{1,3}",
            "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
    FALCON(false, false,
            "[\\p{P}\\$\\+<=>\\^~\\|`]+",
            Gpt2SplitRule.REGEX,
            "[0-9][0-9][0-9]"),
    STARCODER(false, false,
            "\\p{N}",
            Gpt2SplitRule.REGEX),
    GPT2(false, false, Gpt2SplitRule.REGEX),
    QWEN2(false, false,
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    QWEN35(false, false,
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    BLOOM(false, false,
            " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{0964}\\x{06D4}\\x{060C})]+"),
    VIKING(false, false,
            " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{0964}\\x{06D4}\\x{060C})]+",
            "\\p{N}"),
    // Tekken and GPT-4o: llama.cpp writes "letter but not a-z" as ((?=[\p{L}])([^a-z])); on the
    // collapsed text, where every non-ASCII letter is the marker U+00D2, that is [\x{D2}A-Z]
    // (a plain class, which Java's regex does not have to recurse over)
    TEKKEN(true, true,
            "[^\\r\\n\\p{L}\\p{N}]?[\\x{D2}A-Z]*[\\x{D2}a-z]+|[^\\r\\n\\p{L}\\p{N}]?[\\x{D2}A-Z]+[\\x{D2}a-z]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    GPT4O(false, false,
            "[^\\r\\n\\p{L}\\p{N}]?[\\x{D2}A-Z]*[\\x{D2}a-z]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\x{D2}A-Z]+[\\x{D2}a-z]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private static final Map<String, PreTokenizer> BY_NAME = new HashMap<>();

    static {
        register(DEFAULT, "default");
        register(LLAMA3, "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2");
        register(LLAMA3_REGEX, "dbrx", "smaug-bpe", "glm4", "chatglm-bpe");
        register(DEEPSEEK_LLM, "deepseek-llm");
        register(DEEPSEEK_CODER, "deepseek-coder");
        register(DEEPSEEK3_LLM, "deepseek-v3");
        register(FALCON, "falcon");
        register(STARCODER, "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b");
        // gpt-neox is not a name llama.cpp knows; GPT-NeoX-20B's tokenizer (used by OLMo) is GPT-2's
        register(GPT2, "gpt-2", "gpt-neox", "mpt", "olmo", "jais", "trillion", "granite-docling", "phi-2", "jina-es",
                "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe",
                "a.x-4.0", "mellum", "modern-bert", "exaone4");
        register(QWEN2, "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open");
        register(QWEN35, "qwen35");
        register(BLOOM, "bloom", "poro-chat", "gpt3-finnish");
        register(VIKING, "viking");
        register(TEKKEN, "tekken");
        register(GPT4O, "gpt-4o", "llama4", "kanana2");
    }

    private final boolean ignoreMerges;
    private final boolean addsBos;
    private final List<String> regexes;
    private volatile List<SplitRule> rules;

    PreTokenizer(boolean ignoreMerges, boolean addsBos, String... regexes) {
        this.ignoreMerges = ignoreMerges;
        this.addsBos = addsBos;
        this.regexes = List.of(regexes);
    }

    private static void register(PreTokenizer pre, String... names) {
        for (String name : names) {
            BY_NAME.put(name, pre);
        }
    }

    /** The pre-tokenizer called {@code name}, or null if llama.cpp's name is not known here. */
    static PreTokenizer forName(String name) {
        return BY_NAME.get(name);
    }

    static List<String> knownNames() {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    /** Whether a word found whole in the vocabulary becomes that token without merging (Llama 3). */
    boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** Whether the family adds BOS when the GGUF file does not say. */
    boolean addsBosByDefault() {
        return addsBos;
    }

    /** Splits {@code text} into the words that BPE encodes one by one. */
    List<String> split(String text) {
        int[] cps = Codepoints.of(text);
        if (cps.length == 0) {
            return List.of();
        }
        int[] flags = CodepointFlags.of(cps);
        IntList pieces = new IntList(1);
        pieces.add(cps.length);
        for (SplitRule rule : rules()) {
            pieces = rule.split(cps, flags, pieces);
        }
        List<String> words = new ArrayList<>(pieces.size());
        int start = 0;
        for (int i = 0; i < pieces.size(); i++) {
            int end = start + pieces.get(i);
            words.add(Codepoints.toString(cps, start, end));
            start = end;
        }
        return words;
    }

    private List<SplitRule> rules() {
        List<SplitRule> r = rules;
        if (r == null) {
            r = regexes.stream().map(PreTokenizer::rule).toList();
            rules = r;
        }
        return r;
    }

    private static SplitRule rule(String regex) {
        if (regex.equals(Gpt2SplitRule.REGEX)) {
            return new Gpt2SplitRule();
        }
        if (regex.equals(Llama3SplitRule.REGEX) || regex.equals(Llama3SplitRule.REGEX_CASE_INSENSITIVE)) {
            return new Llama3SplitRule();
        }
        return new RegexSplitRule(regex);
    }
}
