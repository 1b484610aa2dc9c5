package dev.chelsea.langchain4j;

import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads each model file once per set of load options and shares it between every chat model that
 * asks for it. Chat models take a {@link ModelLease}; when the last lease closes the model is
 * unloaded, unless idle models are kept (dev mode keeps them so that a live reload reuses the
 * weights instead of mapping them again).
 */
public final class ChelseaModelRegistry {
    private static final System.Logger LOG = System.getLogger(ChelseaModelRegistry.class.getName());
    private static final ChelseaModelRegistry SHARED = new ChelseaModelRegistry(key -> Model.load(key.file(), key.options()));

    private final Function<ModelKey, Model> loader;
    private final Map<ModelKey, LoadedModel> models = new LinkedHashMap<>();
    private boolean keepIdleModels;
    private int loads;

    ChelseaModelRegistry(Function<ModelKey, Model> loader) {
        this.loader = loader;
    }

    /** The registry of this JVM (or of the class loader that holds this class). */
    public static ChelseaModelRegistry shared() {
        return SHARED;
    }

    /** A lease on the model in {@code file} through its shared queue; see {@link #acquire(Path, ModelOptions, String, QueueOptions)}. */
    public ModelLease acquire(Path file, ModelOptions options, QueueOptions queue) {
        return acquire(file, options, LoadedModel.SHARED_QUEUE, queue);
    }

    /**
     * A lease on the model in {@code file} loaded with {@code options}, loading it if no lease holds
     * it yet, whose requests go through the model's queue {@code queueName} (created with
     * {@code queue} if new).
     */
    public synchronized ModelLease acquire(Path file, ModelOptions options, String queueName, QueueOptions queue) {
        ModelKey key = ModelKey.of(file, options);
        LoadedModel loaded = models.get(key);
        if (loaded == null) {
            long t0 = System.nanoTime();
            Model model = loader.apply(key);
            long nanos = System.nanoTime() - t0;
            loads++;
            loaded = new LoadedModel(key, model, nanos);
            models.put(key, loaded);
            LOG.log(Level.INFO, () -> String.format("Loaded model '%s' (%s, %s of weights, context %d, %d threads) from %s in %d ms",
                    model.name(), model.architecture(), dev.chelsea.engine.model.Bytes.human(model.weightBytes()),
                    model.contextLength(), options.threads(), key.file(), nanos / 1_000_000));
        }
        GenerationQueue q = loaded.queue(queueName, queue);
        loaded.leases++;
        return new ModelLease(this, loaded, q);
    }

    synchronized void release(LoadedModel loaded) {
        loaded.leases--;
        if (loaded.leases == 0 && !keepIdleModels) {
            unload(loaded);
        }
    }

    private void unload(LoadedModel loaded) {
        models.remove(loaded.key());
        LOG.log(Level.INFO, () -> "Unloading model " + loaded.key().file());
        loaded.close();
    }

    /**
     * With {@code true}, models whose last lease closed stay loaded for a later {@link #acquire}
     * (until {@link #closeIdle()}); with {@code false} they are unloaded at once, as are those idle now.
     */
    public synchronized void keepIdleModels(boolean keep) {
        this.keepIdleModels = keep;
        if (!keep) {
            closeIdle();
        }
    }

    /** Unloads every model that no lease holds; returns how many. */
    public synchronized int closeIdle() {
        int n = 0;
        for (LoadedModel m : List.copyOf(models.values())) {
            if (m.leases == 0) {
                unload(m);
                n++;
            }
        }
        return n;
    }

    /** The models loaded now, in load order. */
    public synchronized List<LoadedModel> loaded() {
        return new ArrayList<>(models.values());
    }

    /** How many times this registry has loaded a model file (reuses do not count). */
    public synchronized int loadCount() {
        return loads;
    }
}
