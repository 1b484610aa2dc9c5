package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.gguf.GgufMetadata;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chat templates by family. A GGUF file's {@code tokenizer.chat_template} is Jinja; rather than
 * run Jinja, the family is recognised from marker strings in the text and rendered by a Java
 * implementation that matches, character for character, what the Jinja template produces for
 * system/user/assistant conversations, and for tool definitions, tool calls and tool results in
 * the families whose templates have a tool format (Llama 3.1+, Qwen2.5, Qwen3, Mistral Nemo,
 * Mistral Small); the others write tools in a generic format (see
 * {@link ChatTemplate#render(List, List, boolean)}). Documents are not supported.
 *
 * <p>Families ({@link #families()}):
 * <ul>
 * <li>{@code llama3} (Llama 3.0) and {@code llama3.1} (Llama 3.1, 3.2, 3.3: "Cutting Knowledge Date" and
 *     "Today Date" header; aliases {@code llama3.2}, {@code llama3.3});</li>
 * <li>{@code chatml} (generic ChatML, with the template's default system message if it has one),
 *     {@code qwen2} (the original Qwen2 template), {@code qwen2.5}, {@code qwen3}, {@code smollm3};</li>
 * <li>{@code mistral-nemo} ({@code [INST]} without spaces, system message folded into the last
 *     user turn) and {@code mistral-small} (Mistral Small 3.x, {@code [SYSTEM_PROMPT]}; alias
 *     {@code mistral-small-3.2});</li>
 * <li>{@code phi3} (the first Phi-3 template) and {@code phi3.5} (Phi-3.5, later Phi-3);</li>
 * <li>{@code gemma} (Gemma, Gemma 2; alias {@code gemma2}), {@code granite} (Granite 3.2/3.3),
 *     {@code deepseek-r1} (DeepSeek-R1 and its distills; {@code byFamily} gives the distill template
 *     that reads {@code enable_thinking}, which closes the think block unless
 *     {@link ChatTemplateOptions#thinking()} is true).</li>
 * </ul>
 *
 * <p><b>Unknown or missing templates.</b> {@link #forTemplate} and {@link #forModel} throw an
 * {@link UnknownChatTemplateException} when the template matches no family, or the model has
 * none; the message lists the families. Choose one explicitly with {@link #byFamily(String)}
 * (e.g. {@code ChatTemplates.byFamily("chatml")}); there is no silent fallback, because a wrong
 * template degrades a model's answers without any error.
 *
 * <p>Templates that print BOS ({@code {{ bos_token }}}) render its text (e.g.
 * {@code <|begin_of_text|>}), and say so through {@link ChatTemplate#rendersBos()}: encode their
 * output with special-token parsing and without adding another BOS. {@link #forModel} takes
 * the BOS and EOS texts from the model's vocabulary; the other factories use each family's usual
 * tokens. Dates and reasoning switches come from {@link ChatTemplateOptions}.
 */
public final class ChatTemplates {
    private static final List<String> FAMILIES = List.of("llama3", "llama3.1", "chatml", "qwen2", "qwen2.5", "qwen3",
            "smollm3", "mistral-nemo", "mistral-small", "phi3", "phi3.5", "gemma", "granite", "deepseek-r1");
    private static final Map<String, String> ALIASES = Map.of(
            "llama3.2", "llama3.1",
            "llama3.3", "llama3.1",
            "gemma2", "gemma",
            "mistral-small-3.2", "mistral-small",
            "granite3.3", "granite",
            "deepseek-r1-distill", "deepseek-r1");
    private static final String MISTRAL_BOS = "<s>";
    private static final String MISTRAL_EOS = "</s>";

    private ChatTemplates() {
    }

    /** The family names {@link #byFamily} accepts (aliases aside). */
    public static List<String> families() {
        return FAMILIES;
    }

    public static ChatTemplate byFamily(String name) {
        return byFamily(name, ChatTemplateOptions.DEFAULTS);
    }

    /** The family's template with its usual BOS/EOS texts. */
    public static ChatTemplate byFamily(String name, ChatTemplateOptions options) {
        if (name == null) {
            throw new UnknownChatTemplateException("no chat template family given; known families: " + String.join(", ", FAMILIES));
        }
        String key = name.trim().toLowerCase(Locale.ROOT);
        key = ALIASES.getOrDefault(key, key);
        ChatTemplateOptions o = options == null ? ChatTemplateOptions.DEFAULTS : options;
        return switch (key) {
            case "llama3" -> new Llama3Template(Llama3Template.BOS, false, o.date());
            case "llama3.1" -> new Llama3Template(Llama3Template.BOS, true, o.date());
            case "chatml" -> new ChatMlTemplate("chatml", null);
            case "qwen2" -> new Qwen2Template();
            case "qwen2.5" -> new Qwen25Template();
            case "qwen3" -> new Qwen3Template(o.thinking());
            case "smollm3" -> new SmolLm3Template(o.thinking());
            case "mistral-nemo" -> new MistralNemoTemplate(MISTRAL_BOS, MISTRAL_EOS);
            case "mistral-small" -> new MistralSmallTemplate(MISTRAL_BOS, MISTRAL_EOS, MistralSmallTemplate.SMALL_3_2_SYSTEM, o.date());
            case "phi3" -> new Phi3Template(true, Phi3Template.BOS, Phi3Template.EOS);
            case "phi3.5" -> new Phi3Template(false, Phi3Template.BOS, Phi3Template.EOS);
            case "gemma" -> new GemmaTemplate(GemmaTemplate.BOS);
            case "granite" -> new GraniteTemplate(o.date(), o.thinking());
            case "deepseek-r1" -> new DeepSeekR1Template(DeepSeekR1Template.BOS, true, true, o.thinking());
            default -> throw new UnknownChatTemplateException("unknown chat template family '" + name + "'; known families: "
                    + String.join(", ", FAMILIES) + " (aliases: " + String.join(", ", ALIASES.keySet().stream().sorted().toList()) + ")");
        };
    }

    public static ChatTemplate forTemplate(String jinjaText) {
        return forTemplate(jinjaText, ChatTemplateOptions.DEFAULTS);
    }

    /** Recognises the family of a Jinja chat template; throws {@link UnknownChatTemplateException} if none matches. */
    public static ChatTemplate forTemplate(String jinjaText, ChatTemplateOptions options) {
        return recognise(jinjaText, options == null ? ChatTemplateOptions.DEFAULTS : options, null, null, null);
    }

    public static ChatTemplate forModel(GgufMetadata metadata) {
        return forModel(metadata, ChatTemplateOptions.DEFAULTS);
    }

    /**
     * The template named by the model's {@code tokenizer.chat_template}, with BOS/EOS texts from
     * its vocabulary. Throws {@link UnknownChatTemplateException} if the model has no template or
     * it matches no family.
     */
    public static ChatTemplate forModel(GgufMetadata metadata, ChatTemplateOptions options) {
        String where = "model " + metadata.file();
        if (!metadata.contains("tokenizer.chat_template")) {
            throw new UnknownChatTemplateException(where + " has no chat template (tokenizer.chat_template); choose one of the families "
                    + String.join(", ", FAMILIES) + " explicitly with ChatTemplates.byFamily(name)");
        }
        String[] tokens = metadata.contains("tokenizer.ggml.tokens") ? metadata.getStringArray("tokenizer.ggml.tokens") : null;
        String bos = tokenText(metadata, tokens, "tokenizer.ggml.bos_token_id");
        String eos = tokenText(metadata, tokens, "tokenizer.ggml.eos_token_id");
        return recognise(metadata.getString("tokenizer.chat_template"), options == null ? ChatTemplateOptions.DEFAULTS : options,
                bos, eos, where);
    }

    private static String tokenText(GgufMetadata metadata, String[] tokens, String key) {
        if (tokens == null || !metadata.contains(key)) {
            return null;
        }
        long id = metadata.getLong(key);
        return id >= 0 && id < tokens.length ? tokens[(int) id] : null;
    }

    private static String or(String value, String fallback) {
        return value != null ? value : fallback;
    }

    private static ChatTemplate recognise(String text, ChatTemplateOptions o, String bos, String eos, String where) {
        ChatTemplate t = text == null || text.isBlank() ? null : match(text, o, bos, eos);
        if (t == null) {
            String shown = text == null ? "" : text.strip().replaceAll("\\s+", " ");
            if (shown.length() > 80) {
                shown = shown.substring(0, 80) + "...";
            }
            throw new UnknownChatTemplateException((where == null ? "" : where + ": ") + "unrecognised chat template \"" + shown
                    + "\"; known families: " + String.join(", ", FAMILIES)
                    + "; choose one explicitly with ChatTemplates.byFamily(name)");
        }
        return t;
    }

    /** The family's template, or null. Order matters: more specific markers are tested first. */
    private static ChatTemplate match(String text, ChatTemplateOptions o, String bos, String eos) {
        // Templates spell newlines inside string literals either as \n escapes or as real line
        // breaks; markers are matched against the text with the escapes resolved.
        String t = text.replace("\\n", "\n");
        if (t.contains("<|start_header_id|>") && t.contains("<|eot_id|>")) {
            return new Llama3Template(or(bos, Llama3Template.BOS), t.contains("Cutting Knowledge Date"), o.date());
        }
        if (t.contains("<｜User｜>") && t.contains("<｜Assistant｜>")) {
            return new DeepSeekR1Template(or(bos, DeepSeekR1Template.BOS), t.contains("<｜Assistant｜><think>\n"),
                    t.contains("enable_thinking"), o.thinking());
        }
        if (t.contains("<|start_of_role|>") && t.contains("<|end_of_role|>")) {
            return new GraniteTemplate(o.date(), o.thinking());
        }
        if (t.contains("<start_of_turn>") && t.contains("<end_of_turn>")) {
            return new GemmaTemplate(or(bos, GemmaTemplate.BOS));
        }
        if (t.contains("[INST]") && t.contains("[/INST]")) {
            if (t.contains("[SYSTEM_PROMPT]")) {
                String defaultSystem = new TemplateSource(text).assignedConcatenation("default_system_message",
                        Map.of("today", MistralSmallTemplate.TODAY));
                return new MistralSmallTemplate(or(bos, MISTRAL_BOS), or(eos, MISTRAL_EOS), defaultSystem, o.date());
            }
            if (t.contains("\"[INST]\" + system_message") || t.contains("'[INST]' + system_message")) {
                return new MistralNemoTemplate(or(bos, MISTRAL_BOS), or(eos, MISTRAL_EOS));
            }
            return null;
        }
        if (t.contains("<|user|>") && t.contains("<|end|>")) {
            return new Phi3Template(!t.contains("<|system|>"), or(bos, Phi3Template.BOS), or(eos, Phi3Template.EOS));
        }
        if (t.contains("<|im_start|>")) {
            if (t.contains("Reasoning Mode") && t.contains("/no_think")) {
                return new SmolLm3Template(o.thinking());
            }
            if (t.contains("<think>") && t.contains("reasoning_content")) {
                return new Qwen3Template(o.thinking());
            }
            if (t.contains(Qwen25Template.DEFAULT_SYSTEM)) {
                return new Qwen25Template();
            }
            if (t.contains("'" + Qwen2Template.DEFAULT_SYSTEM + "'") && t.contains("<|im_end|>\n<|im_start|>assistant\n")) {
                return new Qwen2Template();
            }
            return new ChatMlTemplate("chatml", chatMlDefaultSystem(text));
        }
        return null;
    }

    /** A literal {@code <|im_start|>system\n...<|im_end|>\n} in the template is its default system turn. */
    private static String chatMlDefaultSystem(String text) {
        String open = "<|im_start|>system\n";
        String close = "<|im_end|>\n";
        for (String lit : new TemplateSource(text).stringLiterals()) {
            if (lit.startsWith(open) && lit.endsWith(close) && lit.length() > open.length() + close.length()) {
                return lit.substring(open.length(), lit.length() - close.length());
            }
        }
        return null;
    }
}
