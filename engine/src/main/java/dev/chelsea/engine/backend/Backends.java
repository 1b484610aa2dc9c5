package dev.chelsea.engine.backend;

import dev.chelsea.engine.arch.ModelLoadException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds the backends on the class path and picks one for a choice: {@code auto} takes CUDA when
 * its module is present and a device answers, otherwise the CPU, and logs which and why; a
 * required backend that cannot run fails with the reason.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static volatile List<BackendProvider> providers;

    private Backends() {
    }

    /** Every provider on the class path, CPU first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            List<BackendProvider> found = new ArrayList<>();
            for (BackendProvider provider : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
                found.add(provider);
            }
            found.sort((a, b) -> a.type().compareTo(b.type()));
            providers = p = List.copyOf(found);
        }
        return p;
    }

    /** The provider of {@code type}, or null when its module is not on the class path. */
    public static BackendProvider provider(BackendType type) {
        for (BackendProvider p : providers()) {
            if (p.type() == type) {
                return p;
            }
        }
        return null;
    }

    /** Whether {@code type} can run on device {@code device} here, and why. */
    public static Availability probe(BackendType type, int device) {
        BackendProvider p = provider(type);
        if (p == null) {
            return Availability.no(type == BackendType.CUDA
                    ? "the chelsea-cuda module is not on the class path"
                    : "no " + type.id() + " backend on the class path");
        }
        return p.probe(device);
    }

    /**
     * The provider to load on. Throws {@link ModelLoadException} when a required backend cannot
     * run here (with the reason), never an error from native code.
     */
    public static BackendProvider select(BackendChoice choice, int device) {
        if (choice.required() != null) {
            Availability a = probe(choice.required(), device);
            if (!a.available()) {
                throw new ModelLoadException(ModelLoadException.Reason.BACKEND, "backend '" + choice.id() + "' is not available: " + a.detail()
                        + (choice == BackendChoice.CUDA ? " (use backend 'cpu' or 'auto' to run on the CPU)" : ""));
            }
            LOG.log(System.Logger.Level.INFO, "backend {0}: {1}", choice.id(), a.detail());
            return provider(choice.required());
        }
        Availability cuda = probe(BackendType.CUDA, device);
        if (cuda.available()) {
            LOG.log(System.Logger.Level.INFO, "backend auto: CUDA ({0})", cuda.detail());
            return provider(BackendType.CUDA);
        }
        BackendProvider cpu = provider(BackendType.CPU);
        if (cpu == null) {
            throw new ModelLoadException(ModelLoadException.Reason.BACKEND, "no CPU backend on the class path (is the engine jar's META-INF/services intact?)");
        }
        LOG.log(System.Logger.Level.INFO, "backend auto: CPU, {0} (CUDA not used: {1})", cpu.probe(0).detail(), cuda.detail());
        return cpu;
    }
}
