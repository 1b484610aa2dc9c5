package dev.chelsea.engine.model;

import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files that are not runnable models fail at load with messages naming the file and the reason. */
class ModelLoadTest {
    @TempDir
    Path dir;

    /** A copy of stories260K with the bytes of one metadata string replaced by another of the same length. */
    private Path patched(String from, String to) throws IOException {
        byte[] b = Files.readAllBytes(Shared.stories());
        byte[] f = from.getBytes(StandardCharsets.UTF_8), t = to.getBytes(StandardCharsets.UTF_8);
        assertEquals(f.length, t.length);
        for (int i = 0; i + f.length <= b.length; i++) {
            if (Arrays.equals(b, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, b, i, t.length);
                Path p = dir.resolve("patched.gguf");
                Files.write(p, b);
                return p;
            }
        }
        throw new AssertionError("pattern not found: " + from);
    }

    @Test
    void unknownArchitectureIsNamed() throws IOException {
        // "general.architecture" is followed by its type and length, then "llama".
        Path p = patched("architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000llama",
                "architecture\u0008\u0000\u0000\u0000\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000mamba");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Model.load(p, new ModelOptions(1, 0, BackendChoice.CPU)));
        assertTrue(e.getMessage().contains("unsupported architecture 'mamba'") && e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path p = patched("blk.4.ffn_up.weight", "blk.4.ffn_XX.weight");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> Model.load(p, new ModelOptions(1, 0, BackendChoice.CPU)));
        assertTrue(e.getMessage().contains("missing tensor 'blk.4.ffn_up.weight'"), e.getMessage());
    }

    @Test
    void truncatedModelFailsCleanly() throws IOException {
        byte[] b = Files.readAllBytes(Shared.stories());
        Path p = dir.resolve("truncated.gguf");
        Files.write(p, Arrays.copyOf(b, b.length - 1000));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> Model.load(p, new ModelOptions(1, 0, BackendChoice.CPU)));
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
    }

    @Test
    void vocabularyOnlyFileIsNotAModel() {
        Path vocab = Shared.resolve("data/tokenizer/ggml-vocab-llama-spm.gguf");
        RuntimeException e = assertThrows(RuntimeException.class, () -> Model.load(vocab, new ModelOptions(1, 0, BackendChoice.CPU)));
        assertTrue(e.getMessage().contains("no tensors"), e.getMessage());
    }

    @Test
    void cudaWithoutTheCudaModuleFailsWithTheReason() {
        // The engine's own tests run without chelsea-cuda on the class path.
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Model.load(Shared.stories(), new ModelOptions(1, 0, BackendChoice.CUDA)));
        assertTrue(e.getMessage().contains("backend 'cuda' is not available: the chelsea-cuda module is not on the class path"), e.getMessage());
        assertTrue(e.getMessage().contains("'cpu' or 'auto'"), e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpu() {
        try (Model m = Model.load(Shared.stories(), new ModelOptions(1, 64, BackendChoice.AUTO))) {
            assertEquals(dev.chelsea.engine.backend.BackendType.CPU, m.backendType());
            assertEquals("CPU, 1 thread", m.backend().description());
        }
    }

    @Test
    void contextThatDoesNotFitIsRefusedBeforeAllocating() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Model.load(Shared.stories(), new ModelOptions(1, Integer.MAX_VALUE / 2, BackendChoice.CPU)));
        assertTrue(e.getMessage().contains("lower the context length"), e.getMessage());
    }

    @Test
    void reportsWhatItCosts() {
        try (Model m = Model.load(Shared.stories(), new ModelOptions(1, 512, BackendChoice.CPU))) {
            assertEquals("llama", m.architecture());
            assertEquals(512, m.contextLength());
            assertEquals(5L * 4 * 8 * 2 * 4, m.backend().kvBytesPerToken());
            MemoryEstimate est = m.memoryEstimate(512);
            assertEquals(512L * m.backend().kvBytesPerToken(), est.kvBytes());
            assertEquals("heap", est.pool());
            assertTrue(est.weightBytes() > 1_000_000);
        }
    }
}
