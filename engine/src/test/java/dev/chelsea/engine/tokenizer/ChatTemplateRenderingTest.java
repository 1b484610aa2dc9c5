package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.List;

import static dev.chelsea.engine.tokenizer.ChatMessage.assistant;
import static dev.chelsea.engine.tokenizer.ChatMessage.system;
import static dev.chelsea.engine.tokenizer.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renderings of the real templates (read in place from the shared data), recognised by
 * {@link ChatTemplates#forTemplate}. Expected strings are derived from each Jinja source by hand
 * (following its whitespace control: HF and llama.cpp render with trim_blocks and lstrip_blocks)
 * and written out literally.
 */
class ChatTemplateRenderingTest {

    private static final List<ChatMessage> USER_ONLY = List.of(user("Hello!"));
    private static final List<ChatMessage> WITH_SYSTEM = List.of(system("You are terse."), user("Hello!"));
    private static final List<ChatMessage> MULTI_TURN = List.of(system("You are terse."), user("Hi"), assistant("Hello."), user("How are you?"));
    private static final List<ChatMessage> ENDS_WITH_ASSISTANT = List.of(user("Hi"), assistant("Hello."));
    private static final List<ChatMessage> SYSTEM_ENDS_WITH_ASSISTANT = List.of(system("You are terse."), user("Hi"), assistant("Hello."));

    /** Mistral Small 3.2's default system prompt, dated with the fixed default date. */
    private static final String MISTRAL_SMALL_DEFAULT = "You are Mistral Small 3, a Large Language Model (LLM) created by Mistral AI, a French startup headquartered in Paris.\n"
            + "Your knowledge base was last updated on 2023-10-01. The current date is 2024-07-26.\n"
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

    /** SmolLM3's default instructions in /think mode. */
    private static final String SMOL_THINKING_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face. "
            + "Your role as an assistant involves thoroughly exploring questions through a systematic thinking process before providing the final precise and accurate solutions. "
            + "This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking process. "
            + "Please structure your response into two main sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. "
            + "In the Thought section, detail your reasoning process in steps. "
            + "Each step should include detailed considerations such as analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, and revisiting previous steps. "
            + "In the Solution section, based on various attempts, explorations, and reflections from the Thought section, systematically present the final solution that you deem correct. "
            + "The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach the conclusion.\n\n";

    static String templateFile(String name) {
        try {
            return Files.readString(Shared.resolve("data/templates/" + name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String embeddedTemplate(String vocabulary) {
        try (GgufFile f = GgufFile.open(Shared.resolve("data/tokenizer/" + vocabulary))) {
            return f.metadata().getString("tokenizer.chat_template");
        }
    }

    private static void assertRenders(String jinja, String family, boolean rendersBos, String userOnly, String withSystem,
                                      String multiTurn, String endsWithAssistant, String systemEndsWithAssistant) {
        ChatTemplate t = ChatTemplates.forTemplate(jinja);
        assertEquals(family, t.family());
        assertEquals(rendersBos, t.rendersBos(), "rendersBos");
        assertEquals(userOnly, t.render(USER_ONLY, true), "user only");
        assertEquals(withSystem, t.render(WITH_SYSTEM, true), "with system");
        assertEquals(multiTurn, t.render(MULTI_TURN, true), "multi-turn");
        assertEquals(endsWithAssistant, t.render(ENDS_WITH_ASSISTANT, false), "ends with assistant");
        assertEquals(systemEndsWithAssistant, t.render(SYSTEM_ENDS_WITH_ASSISTANT, false), "system, ends with assistant");
    }

    /** Llama 3.1: the dated system header is always written, contents trimmed. */
    @Test
    void llama31() {
        assertRenders(templateFile("meta-llama-Llama-3.1-8B-Instruct.jinja"), "llama3.1", true,
                // user only, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // system + user, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // system + user + assistant + user, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "How are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // user + assistant, no generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|>",
                // system + user + assistant, no generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|>");
    }

    /** Llama 3.2: same rendering as 3.1 with the fixed default date. */
    @Test
    void llama32() {
        assertRenders(templateFile("meta-llama-Llama-3.2-3B-Instruct.jinja"), "llama3.1", true,
                // user only, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // system + user, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // system + user + assistant + user, with generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "How are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n",
                // user + assistant, no generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|>",
                // system + user + assistant, no generation prompt
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
                + "\n"
                + "Cutting Knowledge Date: December 2023\n"
                + "Today Date: 26 Jul 2024\n"
                + "\n"
                + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
                + "\n"
                + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
                + "\n"
                + "Hello.<|eot_id|>");
    }

    /** Qwen2.5: ChatML with Qwen's default system message when none is given. */
    @Test
    void qwen25() {
        assertRenders(templateFile("Qwen-Qwen2.5-7B-Instruct.jinja"), "qwen2.5", false,
                // user only, with generation prompt
                "<|im_start|>system\n"
                + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user + assistant + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "How are you?<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n",
                // system + user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n");
    }

    /** Qwen3: no default system message; an assistant turn after the last query gets a think block. */
    @Test
    void qwen3() {
        assertRenders(templateFile("Qwen-Qwen3-0.6B.jinja"), "qwen3", false,
                // user only, with generation prompt
                "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user + assistant + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "How are you?<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // user + assistant, no generation prompt
                "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "<think>\n"
                + "\n"
                + "</think>\n"
                + "\n"
                + "Hello.<|im_end|>\n",
                // system + user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "<think>\n"
                + "\n"
                + "</think>\n"
                + "\n"
                + "Hello.<|im_end|>\n");
    }

    /** SmolLM3: metadata system header, thinking by default. */
    @Test
    void smolLm3() {
        assertRenders(templateFile("HuggingFaceTB-SmolLM3-3B.jinja"), "smollm3", false,
                // user only, with generation prompt
                "<|im_start|>system\n"
                + "## Metadata\n"
                + "\n"
                + "Knowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n"
                + "\n"
                + "## Custom Instructions\n"
                + "\n"
                + SMOL_THINKING_DEFAULT + "<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user, with generation prompt
                "<|im_start|>system\n"
                + "## Metadata\n"
                + "\n"
                + "Knowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n"
                + "\n"
                + "## Custom Instructions\n"
                + "\n"
                + "You are terse.\n"
                + "\n"
                + "<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user + assistant + user, with generation prompt
                "<|im_start|>system\n"
                + "## Metadata\n"
                + "\n"
                + "Knowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n"
                + "\n"
                + "## Custom Instructions\n"
                + "\n"
                + "You are terse.\n"
                + "\n"
                + "<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "How are you?<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "## Metadata\n"
                + "\n"
                + "Knowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n"
                + "\n"
                + "## Custom Instructions\n"
                + "\n"
                + SMOL_THINKING_DEFAULT + "<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n",
                // system + user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "## Metadata\n"
                + "\n"
                + "Knowledge Cutoff Date: June 2025\n"
                + "Reasoning Mode: /think\n"
                + "\n"
                + "## Custom Instructions\n"
                + "\n"
                + "You are terse.\n"
                + "\n"
                + "<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n");
    }

    /** Mistral Nemo: the system message joins the last user turn only while it is last. */
    @Test
    void mistralNemo() {
        assertRenders(templateFile("mistralai-Mistral-Nemo-Instruct-2407.jinja"), "mistral-nemo", true,
                // user only, with generation prompt
                "<s>[INST]Hello![/INST]",
                // system + user, with generation prompt
                "<s>[INST]You are terse.\n"
                + "\n"
                + "Hello![/INST]",
                // system + user + assistant + user, with generation prompt
                "<s>[INST]Hi[/INST]Hello.</s>[INST]You are terse.\n"
                + "\n"
                + "How are you?[/INST]",
                // user + assistant, no generation prompt
                "<s>[INST]Hi[/INST]Hello.</s>",
                // system + user + assistant, no generation prompt
                "<s>[INST]Hi[/INST]Hello.</s>");
    }

    /** Mistral Small 3.2: the system prompt (or the dated default) always comes first. */
    @Test
    void mistralSmall32() {
        assertRenders(templateFile("Mistral-Small-3.2-24B-Instruct-2506.jinja"), "mistral-small", true,
                // user only, with generation prompt
                "<s>[SYSTEM_PROMPT]" + MISTRAL_SMALL_DEFAULT + "[/SYSTEM_PROMPT][INST]Hello![/INST]",
                // system + user, with generation prompt
                "<s>[SYSTEM_PROMPT]You are terse.[/SYSTEM_PROMPT][INST]Hello![/INST]",
                // system + user + assistant + user, with generation prompt
                "<s>[SYSTEM_PROMPT]You are terse.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello.</s>[INST]How are you?[/INST]",
                // user + assistant, no generation prompt
                "<s>[SYSTEM_PROMPT]" + MISTRAL_SMALL_DEFAULT + "[/SYSTEM_PROMPT][INST]Hi[/INST]Hello.</s>",
                // system + user + assistant, no generation prompt
                "<s>[SYSTEM_PROMPT]You are terse.[/SYSTEM_PROMPT][INST]Hi[/INST]Hello.</s>");
    }

    /** Phi-3.5: EOS closes a rendering without generation prompt. */
    @Test
    void phi35() {
        assertRenders(templateFile("microsoft-Phi-3.5-mini-instruct.jinja"), "phi3.5", false,
                // user only, with generation prompt
                "<|user|>\n"
                + "Hello!<|end|>\n"
                + "<|assistant|>\n",
                // system + user, with generation prompt
                "<|system|>\n"
                + "You are terse.<|end|>\n"
                + "<|user|>\n"
                + "Hello!<|end|>\n"
                + "<|assistant|>\n",
                // system + user + assistant + user, with generation prompt
                "<|system|>\n"
                + "You are terse.<|end|>\n"
                + "<|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n"
                + "<|user|>\n"
                + "How are you?<|end|>\n"
                + "<|assistant|>\n",
                // user + assistant, no generation prompt
                "<|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n"
                + "<|endoftext|>",
                // system + user + assistant, no generation prompt
                "<|system|>\n"
                + "You are terse.<|end|>\n"
                + "<|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n"
                + "<|endoftext|>");
    }

    /** Gemma 2: the system message is folded into the first user turn (the template itself rejects it). */
    @Test
    void gemma2() {
        assertRenders(templateFile("google-gemma-2-2b-it.jinja"), "gemma", true,
                // user only, with generation prompt
                "<bos><start_of_turn>user\n"
                + "Hello!<end_of_turn>\n"
                + "<start_of_turn>model\n",
                // system + user, with generation prompt
                "<bos><start_of_turn>user\n"
                + "You are terse.\n"
                + "\n"
                + "Hello!<end_of_turn>\n"
                + "<start_of_turn>model\n",
                // system + user + assistant + user, with generation prompt
                "<bos><start_of_turn>user\n"
                + "You are terse.\n"
                + "\n"
                + "Hi<end_of_turn>\n"
                + "<start_of_turn>model\n"
                + "Hello.<end_of_turn>\n"
                + "<start_of_turn>user\n"
                + "How are you?<end_of_turn>\n"
                + "<start_of_turn>model\n",
                // user + assistant, no generation prompt
                "<bos><start_of_turn>user\n"
                + "Hi<end_of_turn>\n"
                + "<start_of_turn>model\n"
                + "Hello.<end_of_turn>\n",
                // system + user + assistant, no generation prompt
                "<bos><start_of_turn>user\n"
                + "You are terse.\n"
                + "\n"
                + "Hi<end_of_turn>\n"
                + "<start_of_turn>model\n"
                + "Hello.<end_of_turn>\n");
    }

    /** Granite 3.3: dated default system message. */
    @Test
    void granite33() {
        assertRenders(templateFile("ibm-granite-granite-3.3-2B-Instruct.jinja"), "granite", false,
                // user only, with generation prompt
                "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: July 26, 2024. You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>",
                // system + user, with generation prompt
                "<|start_of_role|>system<|end_of_role|>You are terse.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>",
                // system + user + assistant + user, with generation prompt
                "<|start_of_role|>system<|end_of_role|>You are terse.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>Hello.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>How are you?<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>",
                // user + assistant, no generation prompt
                "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: July 26, 2024. You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>Hello.<|end_of_text|>\n",
                // system + user + assistant, no generation prompt
                "<|start_of_role|>system<|end_of_role|>You are terse.<|end_of_text|>\n"
                + "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
                + "<|start_of_role|>assistant<|end_of_role|>Hello.<|end_of_text|>\n");
    }

    /** DeepSeek-R1 distill: this template closes the think block unless enable_thinking is passed. */
    @Test
    void deepSeekR1Distill() {
        assertRenders(templateFile("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"), "deepseek-r1", true,
                // user only, with generation prompt
                "<｜begin▁of▁sentence｜><｜User｜>Hello!<｜Assistant｜><think>\n"
                + "</think>",
                // system + user, with generation prompt
                "<｜begin▁of▁sentence｜>You are terse.<｜User｜>Hello!<｜Assistant｜><think>\n"
                + "</think>",
                // system + user + assistant + user, with generation prompt
                "<｜begin▁of▁sentence｜>You are terse.<｜User｜>Hi<｜Assistant｜>Hello.<｜end▁of▁sentence｜><｜User｜>How are you?<｜Assistant｜><think>\n"
                + "</think>",
                // user + assistant, no generation prompt
                "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello.<｜end▁of▁sentence｜>",
                // system + user + assistant, no generation prompt
                "<｜begin▁of▁sentence｜>You are terse.<｜User｜>Hi<｜Assistant｜>Hello.<｜end▁of▁sentence｜>");
    }

    /** the first Phi-3 template (llama.cpp's phi-3 vocabulary): system dropped, assistant always opened. */
    @Test
    void phi3FromVocabulary() {
        assertRenders(embeddedTemplate("ggml-vocab-phi-3.gguf"), "phi3", true,
                // user only, with generation prompt
                "<s><|user|>\n"
                + "Hello!<|end|>\n"
                + "<|assistant|>\n",
                // system + user, with generation prompt
                "<s><|user|>\n"
                + "Hello!<|end|>\n"
                + "<|assistant|>\n",
                // system + user + assistant + user, with generation prompt
                "<s><|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n"
                + "<|user|>\n"
                + "How are you?<|end|>\n"
                + "<|assistant|>\n",
                // user + assistant, no generation prompt
                "<s><|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n",
                // system + user + assistant, no generation prompt
                "<s><|user|>\n"
                + "Hi<|end|>\n"
                + "<|assistant|>\n"
                + "Hello.<|end|>\n");
    }

    /** the original Qwen2 template (llama.cpp's qwen2 vocabulary): assistant always opened. */
    @Test
    void qwen2FromVocabulary() {
        assertRenders(embeddedTemplate("ggml-vocab-qwen2.gguf"), "qwen2", false,
                // user only, with generation prompt
                "<|im_start|>system\n"
                + "You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hello!<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // system + user + assistant + user, with generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "How are you?<|im_end|>\n"
                + "<|im_start|>assistant\n",
                // user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n",
                // system + user + assistant, no generation prompt
                "<|im_start|>system\n"
                + "You are terse.<|im_end|>\n"
                + "<|im_start|>user\n"
                + "Hi<|im_end|>\n"
                + "<|im_start|>assistant\n"
                + "Hello.<|im_end|>\n");
    }

    // ---- options, reasoning, whitespace and errors ------------------------------------------

    @Test
    void datesFollowTheOptions() {
        ChatTemplateOptions o = ChatTemplateOptions.DEFAULTS.withDate(LocalDate.of(2025, 9, 5));
        assertTrue(ChatTemplates.forTemplate(templateFile("meta-llama-Llama-3.2-3B-Instruct.jinja"), o)
                .render(USER_ONLY, true).contains("Cutting Knowledge Date: December 2023\nToday Date: 05 Sep 2025\n\n<|eot_id|>"));
        assertTrue(ChatTemplates.forTemplate(templateFile("ibm-granite-granite-3.3-2B-Instruct.jinja"), o)
                .render(USER_ONLY, true).startsWith("<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. "
                        + "Today's Date: September 05, 2025. You are Granite, developed by IBM."));
        assertTrue(ChatTemplates.forTemplate(templateFile("Mistral-Small-3.2-24B-Instruct-2506.jinja"), o)
                .render(USER_ONLY, true).contains("Your knowledge base was last updated on 2023-10-01. The current date is 2025-09-05.\n"));
    }

    @Test
    void qwen3ThinkingSwitchAndReasoningContent() {
        String jinja = templateFile("Qwen-Qwen3-0.6B.jinja");
        assertEquals("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                ChatTemplates.forTemplate(jinja, ChatTemplateOptions.DEFAULTS.withThinking(false)).render(USER_ONLY, true));
        assertEquals("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplates.forTemplate(jinja, ChatTemplateOptions.DEFAULTS.withThinking(true)).render(USER_ONLY, true));

        ChatTemplate t = ChatTemplates.forTemplate(jinja);
        // reasoning of turns before the last query is dropped
        assertEquals("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nAnswer one<|im_end|>\n"
                        + "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(user("Q1"), assistant("<think>\nreason one\n</think>\n\nAnswer one"), user("Q2")), true));
        // and kept after it, newlines around it normalised
        assertEquals("<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<think>\nr1\n</think>\n\na1<|im_end|>\n",
                t.render(List.of(user("Q1"), assistant("<think>\n\nr1\n</think>\n\na1")), false));
    }

    @Test
    void smolLm3ReasoningModes() {
        String jinja = templateFile("HuggingFaceTB-SmolLM3-3B.jinja");
        String header = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /no_think\n\n## Custom Instructions\n\n";
        assertEquals(header + "You are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nYo<|im_end|>\n"
                        + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
                ChatTemplates.forTemplate(jinja, ChatTemplateOptions.DEFAULTS.withThinking(false))
                        .render(List.of(user("Hi"), assistant("Yo"), user("Bye")), true));
        // a /no_think flag in the system message switches the mode and is removed from the instructions
        assertEquals(header + " Keep it short.\n\n<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
                ChatTemplates.forTemplate(jinja).render(List.of(system("/no_think Keep it short."), user("Hi")), true));
    }

    @Test
    void deepSeekThinkingSwitch() {
        String jinja = templateFile("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>Hello!<｜Assistant｜><think>\n",
                ChatTemplates.forTemplate(jinja, ChatTemplateOptions.DEFAULTS.withThinking(true)).render(USER_ONLY, true));
        // earlier answers lose their reasoning
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>Q1<｜Assistant｜>\n\nAnswer<｜end▁of▁sentence｜><｜User｜>Q2",
                ChatTemplates.forTemplate(jinja).render(List.of(user("Q1"), assistant("<think>x</think>\n\nAnswer"), user("Q2")), false));
    }

    @Test
    void graniteThinkingSwitchesTheDefaultSystemMessage() {
        String out = ChatTemplates.forTemplate(templateFile("ibm-granite-granite-3.3-2B-Instruct.jinja"),
                ChatTemplateOptions.DEFAULTS.withThinking(true)).render(USER_ONLY, true);
        assertTrue(out.startsWith("<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: July 26, 2024. "
                + "You are Granite, developed by IBM. You are a helpful AI assistant.\nRespond to every user query in a comprehensive and detailed way."), out);
        assertTrue(out.endsWith("Write your thoughts between <think></think> and write your response between <response></response> for each user query."
                + "<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>"), out);
    }

    @Test
    void trimsWithPythonWhitespaceRules() {
        // Jinja's trim is Python's str.strip, which (unlike Java's) removes a no-break space
        ChatTemplate llama = ChatTemplates.forTemplate(templateFile("meta-llama-Llama-3.1-8B-Instruct.jinja"));
        assertTrue(llama.render(List.of(system("  Be brief.\n"), user(" ünïcödé ｜ 😀\u00a0\n")), false)
                .endsWith("\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nünïcödé ｜ 😀<|eot_id|>"));
        // ChatML templates keep contents untouched
        assertEquals("<|im_start|>system\n  Be brief.\n<|im_end|>\n<|im_start|>user\n Hi \n<|im_end|>\n",
                ChatTemplates.forTemplate(templateFile("Qwen-Qwen2.5-7B-Instruct.jinja")).render(List.of(system("  Be brief.\n"), user(" Hi \n")), false));
    }

    @Test
    void rejectsConversationsTheTemplatesReject() {
        ChatTemplate gemma = ChatTemplates.forTemplate(templateFile("google-gemma-2-2b-it.jinja"));
        var order = assertThrows(IllegalArgumentException.class, () -> gemma.render(List.of(user("A"), user("B")), true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", order.getMessage());
        var late = assertThrows(IllegalArgumentException.class, () -> gemma.render(List.of(user("A"), assistant("B"), system("C")), true));
        assertTrue(late.getMessage().contains("only a leading system message"), late.getMessage());

        ChatTemplate nemo = ChatTemplates.forTemplate(templateFile("mistralai-Mistral-Nemo-Instruct-2407.jinja"));
        var alternation = assertThrows(IllegalArgumentException.class, () -> nemo.render(List.of(system("S"), assistant("A")), true));
        assertTrue(alternation.getMessage().startsWith("After the optional system message, conversation roles must alternate"));

        var empty = assertThrows(IllegalArgumentException.class, () -> nemo.render(List.of(), true));
        assertEquals("a conversation needs at least one message", empty.getMessage());
    }
}
