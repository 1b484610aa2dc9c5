package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;
import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.role;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strftime;

/**
 * IBM Granite 3.2 / 3.3: {@code <|start_of_role|>role<|end_of_role|>text<|end_of_text|>\n}. A
 * system turn always comes first: the leading system message, or a default naming the knowledge
 * cutoff and the date ({@code %B %d, %Y}), extended with reasoning instructions when
 * {@code thinking} is on. The generation prompt follows the last message only, so a
 * conversation of just a system message gets none, as in the template.
 */
record GraniteTemplate(LocalDate date, Boolean thinking) implements ChatTemplate {
    static final String PLAIN_SUFFIX = " You are a helpful AI assistant.";
    static final String THINKING_SUFFIX = " You are a helpful AI assistant.\nRespond to every user query in a comprehensive and detailed way. You can write down your thoughts and reasoning process before responding. In the thought process, engage in a comprehensive cycle of analysis, summarization, exploration, reassessment, reflection, backtracing, and iteration to develop well-considered thinking process. In the response section, based on various attempts, explorations, and reflections from the thoughts section, systematically present the final solution that you deem correct. The response should summarize the thought process. Write your thoughts between <think></think> and write your response between <response></response> for each user query.";

    @Override
    public String family() {
        return "granite";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        requireConversation(messages);
        String system;
        List<ChatMessage> turns = messages;
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        } else {
            system = "Knowledge Cutoff Date: April 2024. Today's Date: " + strftime(date, "%B %d, %Y")
                    + ". You are Granite, developed by IBM." + (Boolean.TRUE.equals(thinking) ? THINKING_SUFFIX : PLAIN_SUFFIX);
        }
        StringBuilder sb = new StringBuilder("<|start_of_role|>system<|end_of_role|>").append(system).append("<|end_of_text|>\n");
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            sb.append("<|start_of_role|>").append(role(m)).append("<|end_of_role|>").append(m.content()).append("<|end_of_text|>\n");
            if (i == turns.size() - 1 && addGenerationPrompt) {
                sb.append("<|start_of_role|>assistant<|end_of_role|>");
            }
        }
        return sb.toString();
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of("<|end_of_text|>");
    }
}
