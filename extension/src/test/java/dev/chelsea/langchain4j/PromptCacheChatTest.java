package dev.chelsea.langchain4j;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.promptcache.PromptCache;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat models' prompt cache on the real stories260K model: a second question about the same
 * document starts from the cached document and, under the full policy, answers as without a cache;
 * the chat and streaming models of one queue share it, and a file keeps it across a reload.
 */
class PromptCacheChatTest {
    static final String DOCUMENT = "Once upon a time there was a little girl named Lily. She had a red ball. "
            + "Every day she played with the ball in the park with her friend Ben. One day the ball rolled into the pond. "
            + "Ben found a long stick and pulled the ball out of the water. Lily was very happy and said thank you.";

    static ChatRequest ask(String question) {
        return ChatRequest.builder().messages(SystemMessage.from(DOCUMENT), UserMessage.from(question)).build();
    }

    static <B extends ChelseaModelBuilder<B>> B configure(B b, ChelseaModelRegistry registry, PromptCacheOptions cache) {
        return b.modelPath(Stories.path()).threads(1).contextLength(512).temperature(0.0).maxTokens(12)
                .kvCache(KvCacheConfig.full()).registry(registry).queueName("docs").promptCache(cache);
    }

    static int cached(ChatResponse r) {
        return ((ChelseaChatResponseMetadata) r.metadata()).stats().cachedTokens();
    }

    @Test
    void aSecondQuestionStartsFromTheCachedDocumentAndAnswersAsWithout() {
        ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> dev.chelsea.engine.model.Model.load(key.file(), key.options()));
        try (ChelseaChatModel plain = configure(ChelseaChatModel.builder(), registry, PromptCacheOptions.disabled()).queueName("plain").build();
             ChelseaChatModel cachedModel = configure(ChelseaChatModel.builder(), registry,
                     new PromptCacheOptions(true, 16 << 20, 16, null)).build();
             ChelseaStreamingChatModel streaming = configure(ChelseaStreamingChatModel.builder(), registry,
                     new PromptCacheOptions(true, 16 << 20, 16, null)).build()) {
            assertNull(plain.promptCache());
            assertSame(cachedModel.promptCache(), streaming.promptCache(), "one cache per queue");
            ChatResponse first = cachedModel.chat(ask("Where was the ball?"));
            ChatResponse second = cachedModel.chat(ask("Who found a stick?"));
            assertEquals(0, cached(first));
            assertTrue(cached(second) > 50, "the document came from the cache: " + cached(second));
            assertEquals(plain.chat(ask("Who found a stick?")).aiMessage().text(), second.aiMessage().text());
            PromptCache.Stats s = cachedModel.promptCache().stats();
            assertEquals(1, s.hits());
            assertEquals(1, s.entries());
            ChatResponse alone = cachedModel.chat(ChatRequest.builder().messages(UserMessage.from("Lily and Ben")).build());
            assertEquals(0, cached(alone), "a conversation with no start before its user message shares nothing");
        }
    }

    @Test
    void aFileKeepsTheCacheWhenTheModelIsLoadedAgain(@TempDir Path dir) {
        Path file = dir.resolve("docs.chpc");
        PromptCacheOptions options = new PromptCacheOptions(true, 16 << 20, 16, file);
        ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> dev.chelsea.engine.model.Model.load(key.file(), key.options()));
        try (ChelseaChatModel m = configure(ChelseaChatModel.builder(), registry, options).build()) {
            m.chat(ask("Where was the ball?"));
        }
        assertTrue(Files.isRegularFile(file), "written when the model was unloaded");
        try (ChelseaChatModel m = configure(ChelseaChatModel.builder(), registry, options).build()) {
            assertEquals(1, m.promptCache().stats().entries());
            assertTrue(cached(m.chat(ask("Who found a stick?"))) > 50);
        }
    }
}
