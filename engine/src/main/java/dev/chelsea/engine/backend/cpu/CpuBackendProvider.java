package dev.chelsea.engine.backend.cpu;

import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.backend.Availability;
import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.BackendOptions;
import dev.chelsea.engine.backend.BackendProvider;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.tensor.FloatBatches;
import dev.chelsea.engine.tensor.HugePages;
import dev.chelsea.engine.tensor.PairProducts;

/** The built-in CPU backend: available everywhere the engine runs. */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public BackendType type() {
        return BackendType.CPU;
    }

    @Override
    public Availability probe(int device) {
        return device == 0
                ? Availability.yes(Runtime.getRuntime().availableProcessors() + " cores, "
                        + PairProducts.batch().label() + " pair products in prompt batches"
                        + (FloatBatches.types().isEmpty() ? "" : ", prompt batches of "
                                + String.join(", ", FloatBatches.types().stream().map(Enum::name).toList()) + " on floats")
                        + ", " + HugePages.label())
                : Availability.no("the CPU backend has only device 0, asked for " + device);
    }

    @Override
    public Backend load(ModelWeights weights, BackendOptions options) {
        return new CpuBackend(weights, options.threads());
    }
}
