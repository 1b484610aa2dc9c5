package dev.chelsea.engine.backend;

import dev.chelsea.engine.arch.ModelWeights;

/**
 * A backend implementation, found through {@link java.util.ServiceLoader} (the CPU one is built
 * in; {@code chelsea-cuda} adds CUDA when it is on the class path). Providers must load without
 * touching native code: {@link #probe} is where a missing driver is found, once, and reported.
 */
public interface BackendProvider {

    BackendType type();

    /**
     * Whether device {@code device} can run models, with the device's name or the reason it cannot.
     * Never throws: a native library that fails to link is a reason, not an exception. Cheap after
     * the first call.
     */
    Availability probe(int device);

    /**
     * Binds or uploads the weights and returns the backend running this model. Fails with
     * {@link dev.chelsea.engine.arch.ModelLoadException} when the model cannot run there (not
     * enough device memory, with how much is needed and free).
     */
    Backend load(ModelWeights weights, BackendOptions options);
}
