package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.chelsea.engine.tokenizer.ChatMessage.assistant;
import static dev.chelsea.engine.tokenizer.ChatMessage.system;
import static dev.chelsea.engine.tokenizer.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recognition of template families, the factories, and their errors. */
class ChatTemplatesTest {

    /** Every template file of the shared data and the family it must be recognised as. */
    private static final Map<String, String> FILE_FAMILIES = Map.ofEntries(
            Map.entry("HuggingFaceTB-SmolLM3-3B.jinja", "smollm3"),
            Map.entry("Mistral-Small-3.2-24B-Instruct-2506.jinja", "mistral-small"),
            Map.entry("Qwen-Qwen2.5-7B-Instruct.jinja", "qwen2.5"),
            Map.entry("Qwen-Qwen3-0.6B.jinja", "qwen3"),
            Map.entry("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-r1"),
            Map.entry("google-gemma-2-2b-it.jinja", "gemma"),
            Map.entry("ibm-granite-granite-3.3-2B-Instruct.jinja", "granite"),
            Map.entry("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3.1"),
            Map.entry("meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3.1"),
            Map.entry("microsoft-Phi-3.5-mini-instruct.jinja", "phi3.5"),
            Map.entry("mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral-nemo"));

    /** Vocabulary files that embed a chat template, and its family. */
    private static final Map<String, String> EMBEDDED_FAMILIES = Map.of(
            "ggml-vocab-phi-3.gguf", "phi3",
            "ggml-vocab-qwen2.gguf", "qwen2");

    @Test
    void recognisesEveryTemplateFile() throws IOException {
        Path dir = Shared.resolve("data/templates");
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jinja")).toList()) {
                found.put(p.getFileName().toString(), ChatTemplates.forTemplate(Files.readString(p)).family());
            }
        }
        assertEquals(new TreeMap<>(FILE_FAMILIES), found, "every shared template file must be listed and recognised");
    }

    @Test
    void recognisesTheTemplatesEmbeddedInVocabularyFiles() throws IOException {
        Map<String, String> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(Shared.resolve("data/tokenizer"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".gguf")).toList()) {
                try (GgufFile f = GgufFile.open(p)) {
                    if (f.metadata().contains("tokenizer.chat_template")) {
                        found.put(p.getFileName().toString(), ChatTemplates.forModel(f.metadata()).family());
                    }
                }
            }
        }
        assertEquals(new TreeMap<>(EMBEDDED_FAMILIES), found);
    }

    @Test
    void forModelTakesBosFromTheVocabulary() {
        try (GgufFile f = GgufFile.open(Shared.resolve("data/tokenizer/ggml-vocab-phi-3.gguf"))) {
            ChatTemplate t = ChatTemplates.forModel(f.metadata());
            assertTrue(t.rendersBos());
            // token 1 of the Phi-3 vocabulary is <s>
            assertEquals("<s><|user|>\nHi<|end|>\n<|assistant|>\n", t.render(List.of(user("Hi")), true));
        }
    }

    @Test
    void aModelWithoutTemplateFailsWithTheWayOut() {
        try (GgufFile f = GgufFile.open(Shared.resolve("data/tokenizer/ggml-vocab-llama-bpe.gguf"))) {
            var e = assertThrows(UnknownChatTemplateException.class, () -> ChatTemplates.forModel(f.metadata()));
            assertTrue(e.getMessage().contains("ggml-vocab-llama-bpe.gguf has no chat template"), e.getMessage());
            assertTrue(e.getMessage().contains("ChatTemplates.byFamily(name)"), e.getMessage());
            assertTrue(e.getMessage().contains("llama3.1"), e.getMessage());
        }
    }

    @Test
    void anUnknownTemplateFailsWithTheFamilies() {
        String llama2 = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}"
                + "{% endif %}{% for message in messages %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{% endfor %}";
        for (String text : new String[]{llama2, "{{ messages }}", "", "   "}) {
            var e = assertThrows(UnknownChatTemplateException.class, () -> ChatTemplates.forTemplate(text));
            assertTrue(e.getMessage().contains("unrecognised chat template"), e.getMessage());
            for (String family : ChatTemplates.families()) {
                assertTrue(e.getMessage().contains(family), e.getMessage());
            }
            assertTrue(e.getMessage().contains("ChatTemplates.byFamily(name)"), e.getMessage());
        }
    }

    @Test
    void byFamilyKnowsEveryFamilyAndAlias() {
        for (String family : ChatTemplates.families()) {
            ChatTemplate t = ChatTemplates.byFamily(family);
            assertEquals(family, t.family());
            assertFalse(t.render(List.of(user("Hi")), true).isEmpty());
            assertFalse(t.endOfTurnMarkers().isEmpty());
        }
        assertEquals("llama3.1", ChatTemplates.byFamily("Llama3.2").family());
        assertEquals("gemma", ChatTemplates.byFamily("gemma2").family());
        assertEquals("mistral-small", ChatTemplates.byFamily("mistral-small-3.2").family());
        var e = assertThrows(UnknownChatTemplateException.class, () -> ChatTemplates.byFamily("vicuna"));
        assertTrue(e.getMessage().startsWith("unknown chat template family 'vicuna'; known families: llama3, llama3.1, chatml"), e.getMessage());
    }

    @Test
    void byFamilyRendersLikeTheRecognisedFiles() throws IOException {
        // the built-in defaults (BOS texts, Mistral Small's system prompt, ...) equal what the files produce
        List<ChatMessage> conversation = List.of(user("Hi"), assistant("Hello."), user("Bye"));
        for (var e : FILE_FAMILIES.entrySet()) {
            String text = Files.readString(Shared.resolve("data/templates/" + e.getKey()));
            assertEquals(ChatTemplates.forTemplate(text).render(conversation, true),
                    ChatTemplates.byFamily(e.getValue()).render(conversation, true), e.getKey());
        }
    }

    @Test
    void bosIsRenderedWhereTheTemplatesWriteIt() {
        Map<String, Boolean> expected = Map.ofEntries(Map.entry("llama3", true), Map.entry("llama3.1", true),
                Map.entry("chatml", false), Map.entry("qwen2", false), Map.entry("qwen2.5", false), Map.entry("qwen3", false),
                Map.entry("smollm3", false), Map.entry("mistral-nemo", true), Map.entry("mistral-small", true),
                Map.entry("phi3", true), Map.entry("phi3.5", false), Map.entry("gemma", true), Map.entry("granite", false),
                Map.entry("deepseek-r1", true));
        assertEquals(ChatTemplates.families().size(), expected.size());
        for (String family : ChatTemplates.families()) {
            assertEquals(expected.get(family), ChatTemplates.byFamily(family).rendersBos(), family);
        }
    }

    // ---- templates not in the shared data: other releases of the same families -----------

    @Test
    void llama30() {
        String jinja = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] "
                + "+ '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
                + "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        ChatTemplate t = ChatTemplates.forTemplate(jinja);
        assertEquals("llama3", t.family());
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(List.of(system("Be brief. "), user("Hi")), true));
    }

    @Test
    void chatMlTakesItsDefaultSystemMessageFromTheTemplate() {
        // SmolLM2's template: the default system turn is a literal with real line breaks
        String smolLm2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
                + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}"
                + "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        ChatTemplate t = ChatTemplates.forTemplate(smolLm2);
        assertEquals("chatml", t.family());
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(List.of(user("Hi")), true));
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", t.render(List.of(system("S"), user("Hi")), false));

        String plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatTemplates.forTemplate(plain).render(List.of(user("Hi")), true));
    }

    @Test
    void deepSeekWithoutTheThinkingSwitchKeepsTheThinkBlockOpen() throws IOException {
        String distill = Files.readString(Shared.resolve("data/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"));
        String original = distill.replace("{% if not enable_thinking %}{{- '</think>' -}}{% endif %}", "");
        assertFalse(original.contains("enable_thinking"), "the test must remove the switch");
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n",
                ChatTemplates.forTemplate(original).render(List.of(user("Hi")), true));
    }
}
