package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;

/**
 * The variables a chat template reads besides the messages.
 *
 * @param date     the date templates print (Llama 3.1+ "Today Date", Granite, Mistral Small).
 *                 The default is fixed, 26 July 2024 (Llama 3.1's own default), so that prompts are
 *                 reproducible and prompt caches stay valid; pass {@code LocalDate.now()} for today.
 * @param thinking the template's reasoning switch ({@code enable_thinking} for Qwen3, SmolLM3 and
 *                 DeepSeek-R1 distills, {@code thinking} for Granite): {@code null} renders as the
 *                 template does when the variable is not passed at all
 */
public record ChatTemplateOptions(LocalDate date, Boolean thinking) {
    public static final LocalDate DEFAULT_DATE = LocalDate.of(2024, 7, 26);
    public static final ChatTemplateOptions DEFAULTS = new ChatTemplateOptions(DEFAULT_DATE, null);

    public ChatTemplateOptions {
        if (date == null) {
            throw new IllegalArgumentException("date is required; use ChatTemplateOptions.DEFAULT_DATE for the fixed default");
        }
    }

    public ChatTemplateOptions withDate(LocalDate newDate) {
        return new ChatTemplateOptions(newDate, thinking);
    }

    public ChatTemplateOptions withThinking(Boolean enabled) {
        return new ChatTemplateOptions(date, enabled);
    }
}
