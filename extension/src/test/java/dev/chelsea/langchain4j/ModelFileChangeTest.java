package dev.chelsea.langchain4j;

import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.model.Model;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model file that changes under a loaded model, on a copy of the shared model: truncated before
 * a request, truncated while a generation reads it (the JVM's SIGBUS on the mapped page becomes an
 * InternalError, contained here), replaced by another file. The request fails with a clear error,
 * the model stays unavailable, the JVM and the other models carry on.
 */
class ModelFileChangeTest {
    private final ChelseaModelRegistry registry = new ChelseaModelRegistry(key -> Model.load(key.file(), key.options()));
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<GenerationEvent> events = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Path copy(String name) throws IOException {
        Path p = dir.resolve(name);
        Files.copy(Stories.path(), p, StandardCopyOption.REPLACE_EXISTING);
        p.toFile().setWritable(true);
        return p;
    }

    private static void truncate(Path p, long size) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private <B extends ChelseaModelBuilder<B>> B configure(B b, Path file) {
        return b.registry(registry).modelPath(file).threads(2).contextLength(512).temperature(0.0).maxTokens(100)
                .kvCache(KvCacheConfig.full()).observer(events::add);
    }

    private static ChatRequest once() {
        return ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build();
    }

    @Test
    void aFileTruncatedBeforeARequestFailsItAndTheOtherModelsServe() throws IOException {
        Path file = copy("copy.gguf");
        ChelseaChatModel broken = configure(ChelseaChatModel.builder(), file).build();
        open.add(broken);
        ChelseaChatModel other = configure(ChelseaChatModel.builder(), Stories.path()).build();
        open.add(other);
        assertTrue(broken.chat(once()).aiMessage().text().startsWith(Stories.GREEDY_START.substring(0, 20)));
        long size = Files.size(file);
        truncate(file, size / 2);

        var e = assertThrows(ChelseaModelUnavailableException.class, () -> broken.chat(once()));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated from " + size + " to " + size / 2),
                e.getMessage());
        assertEquals(e.getMessage(), broken.loadedModel().unavailableReason());
        assertThrows(ChelseaModelUnavailableException.class, () -> broken.chat(once()), "and stays so");
        assertTrue(other.chat(once()).aiMessage().text().startsWith(Stories.GREEDY_START.substring(0, 20)), "the other model serves");
        assertNull(other.loadedModel().unavailableReason());
    }

    @Test
    void aFileTruncatedWhileAGenerationReadsItFailsTheRequestNotTheJvm() throws Exception {
        Path file = copy("mid.gguf");
        ChelseaStreamingChatModel m = configure(ChelseaStreamingChatModel.builder(), file).build();
        open.add(m);
        // at the first piece, on the generation thread, the file loses its second half: the next
        // token reads weights from pages that are gone
        Gate gate = new Gate(() -> truncate(file, 4096));
        gate.release();
        m.chat("Once upon a time", gate);
        Throwable e = gate.error();
        assertInstanceOf(ChelseaModelUnavailableException.class, e);
        assertInstanceOf(InternalError.class, e.getCause(), "the JVM's SIGBUS on the mapped page");
        assertTrue(e.getMessage().contains("reading the weights of " + file) && e.getMessage().contains("truncated from"),
                e.getMessage());
        assertTrue(events.stream().anyMatch(ev -> ev.error() instanceof ChelseaModelUnavailableException));
        assertEquals(0, m.loadedModel().memory().reserved(), "its reservation is given back");

        Gate next = new Gate();
        next.release();
        m.chat("Once upon a time", next);
        assertInstanceOf(ChelseaModelUnavailableException.class, next.error(), "refused before it reads anything");
        ChelseaChatModel other = configure(ChelseaChatModel.builder(), Stories.path()).build();
        open.add(other);
        assertTrue(other.chat(once()).aiMessage().text().startsWith(Stories.GREEDY_START.substring(0, 20)), "the JVM carries on");
    }

    @Test
    void aFileReplacedByAnotherIsNoLongerServed() throws IOException {
        Path file = copy("replaced.gguf");
        ChelseaChatModel m = configure(ChelseaChatModel.builder(), file).build();
        open.add(m);
        Path other = copy("other.gguf");
        Files.move(other, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        var e = assertThrows(ChelseaModelUnavailableException.class, () -> m.chat(once()));
        assertTrue(e.getMessage().contains("replaced by another file"), e.getMessage());
    }
}
