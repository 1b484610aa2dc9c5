package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.backend.Availability;
import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Backends;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;
import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Backend selection with the CUDA module on the class path. Runs on any machine: where there is
 * no usable GPU (CI) it checks the refusals; where there is one, that it is chosen.
 */
class CudaSelectionTest {

    @Test
    void theCudaProviderIsFoundThroughTheServiceLoader() {
        assertTrue(Backends.provider(BackendType.CUDA) instanceof CudaBackendProvider);
        assertEquals(BackendType.CPU, Backends.providers().getFirst().type(), "CPU first");
    }

    @Test
    void probingIsDoneOnceAndSaysWhy() {
        Availability a = Backends.probe(BackendType.CUDA, 0);
        assertFalse(a.detail().isBlank());
        assertFalse(a.detail().contains("\n"), "one line: " + a.detail());
        assertSame(CudaDriver.state(), CudaDriver.state(), "the driver is initialised once, never retried");
        Availability none = Backends.probe(BackendType.CUDA, 99);
        assertFalse(none.available(), "device 99");
    }

    @Test
    void withoutAGpuCudaIsRefusedAndAutoRunsOnTheCpu() {
        Availability a = Backends.probe(BackendType.CUDA, 0);
        if (a.available()) {
            try (Model m = Model.load(Shared.stories(), new ModelOptions(1, 64, BackendChoice.AUTO))) {
                assertEquals(BackendType.CUDA, m.backendType(), "auto takes the GPU: " + a.detail());
            }
            return;
        }
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Model.load(Shared.stories(), new ModelOptions(1, 64, BackendChoice.CUDA)));
        assertTrue(e.getMessage().startsWith("backend 'cuda' is not available: " + a.detail()), e.getMessage());
        assertTrue(e.getMessage().contains("'cpu' or 'auto'"), e.getMessage());
        try (Model m = Model.load(Shared.stories(), new ModelOptions(1, 64, BackendChoice.AUTO))) {
            assertEquals(BackendType.CPU, m.backendType());
        }
    }
}
