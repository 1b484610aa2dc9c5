package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;
import java.util.List;

import static dev.chelsea.engine.tokenizer.TemplateStrings.requireToolConversation;
import static dev.chelsea.engine.tokenizer.TemplateStrings.strftime;

/**
 * Mistral Small 3.x ("v7-tekken"): {@code <s>[SYSTEM_PROMPT]system[/SYSTEM_PROMPT][INST]user[/INST]
 * assistant</s>...}. The system prompt is always written: the leading system message, or the
 * template's default, whose {@code today} (as {@code %Y-%m-%d}) is the configured date. Later
 * system messages are written in place. Non-system turns must alternate user/assistant, counting
 * from the first message after the leading system message (tool calls and results not counted);
 * the generation prompt is implicit.
 *
 * <p>Tools: {@code [AVAILABLE_TOOLS][...][/AVAILABLE_TOOLS]} (the tools as JSON) before the last user
 * message; calls as {@code [TOOL_CALLS]name[CALL_ID]id[ARGS]{..}} each, then {@code </s>}; results
 * as {@code [TOOL_RESULTS]id[TOOL_CONTENT]result[/TOOL_RESULTS]}; call ids must be 9 characters.
 *
 * @param defaultSystem the default system prompt with {@link #TODAY} where the date goes, or
 *                      null if the template has none
 */
record MistralSmallTemplate(String bos, String eos, String defaultSystem, LocalDate date) implements ChatTemplate {
    /** Stands for the date inside {@code defaultSystem}. */
    static final String TODAY = "\u0000today\u0000";

    /** Mistral Small 3.2 (2506)'s default system prompt. */
    static final String SMALL_3_2_SYSTEM = "You are Mistral Small 3, a Large Language Model (LLM) created by Mistral AI, a French startup headquartered in Paris.\n"
            + "Your knowledge base was last updated on 2023-10-01. The current date is " + TODAY + ".\n"
            + "\n"
            + "When you're not sure about some information or when the user's request requires up-to-date or specific data, you must use the available tools to fetch the information. Do not hesitate to use tools whenever they can provide a more accurate or complete response. If no relevant tools are available, then clearly state that you don't have the information and avoid making up anything.\n"
            + "\n"
            + "If the user's question is not clear, ambiguous, or does not provide enough context for you to accurately answer the question, you do not try to answer it right away and you rather ask the user to clarify their request (e.g. \"What are some good restaurants around me?\" => \"Where are you?\" or \"When is the next flight to Tokyo\" => \"Where do you travel from?\").\n"
            + "You are always very attentive to dates, and when asked about information at specific dates, you discard information that is at another date.\n"
            + "You follow these instructions in all languages, and always respond to the user in the language they use or request.\n"
            + "Next sections describe the capabilities that you have.\n"
            + "\n"
            + "# WEB BROWSING INSTRUCTIONS\n"
            + "\n"
            + "You cannot perform any web search or access internet to open URLs, links etc. If it seems like the user is expecting you to do so, you clarify the situation and ask the user to copy paste the text directly in the chat.\n"
            + "\n"
            + "# MULTI-MODAL INSTRUCTIONS\n"
            + "\n"
            + "You have the ability to read images, but you cannot generate images. You also cannot transcribe audio files or videos.\n"
            + "You cannot read nor transcribe audio files or videos.\n"
            + "\n"
            + "# TOOL CALLING INSTRUCTIONS\n"
            + "\n"
            + "You may have access to tools that you can use to fetch information or perform actions. You must use these tools in the following situations:\n"
            + "\n"
            + "1. When the request requires up-to-date information.\n"
            + "2. When the request requires specific data that you do not have in your knowledge base.\n"
            + "3. When the request involves actions that you cannot perform without tools.\n"
            + "\n"
            + "Always prioritize using tools to provide the most accurate and helpful response. If tools are not available, inform the user that you cannot perform the requested action at the moment.";

    @Override
    public String family() {
        return "mistral-small";
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    @Override
    public String render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean addGenerationPrompt) {
        requireToolConversation(messages);
        String system = defaultSystem == null ? null : defaultSystem.replace(TODAY, strftime(date, "%Y-%m-%d"));
        List<ChatMessage> turns = messages;
        if (messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        }
        MistralNemoTemplate.requireAlternation(turns);
        ChatMessage lastUser = MistralNemoTemplate.lastUser(turns);
        StringBuilder sb = new StringBuilder(bos);
        if (system != null) {
            sb.append("[SYSTEM_PROMPT]").append(system).append("[/SYSTEM_PROMPT]");
        }
        for (ChatMessage m : turns) {
            switch (m.role()) {
                case SYSTEM -> sb.append("[SYSTEM_PROMPT]").append(m.content()).append("[/SYSTEM_PROMPT]");
                case USER -> {
                    if (tools != null && !tools.isEmpty() && m.equals(lastUser)) {
                        sb.append("[AVAILABLE_TOOLS]").append(TemplateJson.dumps(tools.stream().map(ToolDefinition::asTemplateValue).toList()))
                                .append("[/AVAILABLE_TOOLS]");
                    }
                    sb.append("[INST]").append(m.content()).append("[/INST]");
                }
                case ASSISTANT -> {
                    for (ToolCall c : m.toolCalls()) {
                        sb.append("[TOOL_CALLS]").append(c.name()).append("[CALL_ID]").append(MistralNemoTemplate.callId(c.id()))
                                .append("[ARGS]").append(TemplateJson.arguments(c.arguments()));
                    }
                    sb.append(m.hasToolCalls() ? "" : m.content()).append(eos);
                }
                case TOOL -> sb.append("[TOOL_RESULTS]").append(MistralNemoTemplate.callId(m.toolCallId())).append("[TOOL_CONTENT]")
                        .append(m.content()).append("[/TOOL_RESULTS]");
            }
        }
        return sb.toString();
    }

    @Override
    public ToolCallFormat toolCallFormat() {
        return ToolCallFormat.MISTRAL_SMALL;
    }

    @Override
    public List<String> endOfTurnMarkers() {
        return List.of(eos);
    }

    @Override
    public boolean rendersBos() {
        return true;
    }
}
