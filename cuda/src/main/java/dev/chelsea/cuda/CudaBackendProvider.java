package dev.chelsea.cuda;

import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.backend.Availability;
import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.BackendOptions;
import dev.chelsea.engine.backend.BackendProvider;
import dev.chelsea.engine.backend.BackendType;

/**
 * The CUDA backend, registered for {@link java.util.ServiceLoader}. Loading this class touches no
 * native code; the first {@link #probe} loads the driver binding once ({@link CudaDriver}).
 */
public final class CudaBackendProvider implements BackendProvider {

    @Override
    public BackendType type() {
        return BackendType.CUDA;
    }

    @Override
    public Availability probe(int device) {
        return CudaDriver.probe(device);
    }

    @Override
    public Backend load(ModelWeights weights, BackendOptions options) {
        Availability a = probe(options.device());
        if (!a.available()) {
            throw new dev.chelsea.engine.arch.ModelLoadException(dev.chelsea.engine.arch.ModelLoadException.Reason.BACKEND,
                    "backend 'cuda' is not available: " + a.detail());
        }
        return CudaBackend.load(weights, CudaDriver.state().devices().get(options.device()), options);
    }
}
