package dev.chelsea.engine.tokenizer;

import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.lstripNewlines;
import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.rstrip;

/**
 * SmolLM3: ChatML whose system turn is always a metadata header (knowledge cutoff, reasoning
 * mode) followed by custom instructions, the system message or a default. The reasoning mode is
 * {@code /think} unless {@code thinking = false} or the system message contains
 * {@code /no_think} (the flags are removed from the instructions). In {@code /no_think} mode every
 * assistant turn, and the generation prompt, starts with an empty think block. System messages
 * after the first are dropped, as the template does.
 */
record SmolLm3Template(Boolean thinking) implements ChatTemplate {
    static final String THINKING_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant involves thoroughly exploring questions through a systematic thinking process before providing the final precise and accurate solutions. This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking process. Please structure your response into two main sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. In the Thought section, detail your reasoning process in steps. Each step should include detailed considerations such as analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, and revisiting previous steps. In the Solution section, based on various attempts, explorations, and reflections from the Thought section, systematically present the final solution that you deem correct. The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach the conclusion.\n\n";
    static final String PLAIN_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n";
    private static final String EMPTY_THINK = "<think>\n\n</think>\n";

    @Override
    public String family() {
        return "smollm3";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        boolean think = !Boolean.FALSE.equals(thinking);
        String instructions = "";
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            String system = messages.getFirst().content();
            if (system.contains("/no_think")) {
                think = false;
            } else if (system.contains("/think")) {
                think = true;
            }
            instructions = rstrip(system.replace("/no_think", "").replace("/think", ""));
        }
        StringBuilder sb = new StringBuilder("<|im_start|>system\n")
                .append("## Metadata\n\n")
                .append("Knowledge Cutoff Date: June 2025\n")
                .append("Reasoning Mode: ").append(think ? "/think" : "/no_think").append("\n\n")
                .append("## Custom Instructions\n\n");
        if (!instructions.isEmpty()) {
            sb.append(instructions).append("\n\n");
        } else {
            sb.append(think ? THINKING_DEFAULT : PLAIN_DEFAULT);
        }
        sb.append("<|im_end|>\n");
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case USER -> sb.append("<|im_start|>user\n").append(m.content()).append("<|im_end|>\n");
                case ASSISTANT -> sb.append("<|im_start|>assistant\n").append(think ? "" : EMPTY_THINK)
                        .append(lstripNewlines(m.content())).append("<|im_end|>\n");
                case SYSTEM -> { }
            }
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n").append(think ? "" : EMPTY_THINK);
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|im_end|>", "<|endoftext|>");
    }
}
