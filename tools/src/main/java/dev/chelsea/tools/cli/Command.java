package dev.chelsea.tools.cli;

import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvType;
import dev.chelsea.engine.backend.BackendChoice;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.ModelOptions;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** One {@code bin/chelsea} command: its options, its usage text and what it does. */
abstract class Command {
    /** Options every command takes. */
    static final List<String> COMMON = List.of("threads", "backend", "device");
    /** Options that choose and tune the KV cache policy. */
    static final List<String> KV = List.of("kv", "kept-ratio", "budget", "chunk", "sinks", "window", "layer-budgets", "kv-type", "kv-max-bytes");
    static final String KV_USAGE = """
              --kv POLICY        KV cache policy: full, chelsea, streaming, h2o, snapkv (default full)
              --kept-ratio R     fraction of tokens kept by a compressing policy, in (0,1] (default 0.5)
              --budget N         absolute slot budget instead of a ratio
              --chunk C          Chelsea chunk size (default 64)
              --sinks S          protected leading tokens (default 4)
              --window W         protected recent tokens (default 64)
              --no-size-bias     turn off the log(size) degree correction (ablation)
              --layer-budgets L  uniform or pyramid (lower layers keep more, same total) (default uniform)
              --global-topk      Chelsea: rank merges across chunks instead of the same number per chunk
              --kv-type T        keys and values stored as f16 or f32 (CPU; default f16)
              --kv-max-bytes S   most bytes of KV one sequence holds (512M, 2G): a compressing policy keeps what
                                 fits and reads a longer prompt in compressed pieces; full refuses more (default: none)
            """;
    /** For the commands that read prompts (prefill); the others read texts online anyway. */
    static final String PROMPT_CHUNK = "prompt-chunk";
    static final String PROMPT_CHUNK_USAGE = """
              --prompt-chunk N   read a long prompt N tokens at a time, compressing after each piece, so its KV
                                 stays near budget + N (default 0: compress once the whole prompt is read)
            """;
    static final String COMMON_USAGE = """
              --threads N        worker threads (default: all processors)
              --backend B        auto, cpu or cuda (default auto: CUDA when a GPU is usable)
              --device D         GPU index for the CUDA backend (default 0)
            """;

    abstract String name();

    /** One line saying what the command does. */
    abstract String summary();

    /** The full usage text. */
    abstract String usage();

    abstract List<String> valueOptions();

    List<String> flagOptions() {
        return List.of();
    }

    abstract int run(Args args, PrintStream out, PrintStream err) throws Exception;

    final Args parse(String[] argv) {
        Set<String> values = new HashSet<>(valueOptions());
        values.addAll(COMMON);
        return Args.parse(argv, 1, values, new HashSet<>(flagOptions()));
    }

    static int threads(Args a) {
        int t = a.integer("threads", Parallel.defaultThreads());
        if (t < 1) {
            throw new UsageException("option --threads must be at least 1, got " + t);
        }
        return t;
    }

    static Model loadModel(Args a, int contextLength) {
        BackendChoice backend;
        try {
            backend = BackendChoice.parse(a.string("backend", "auto"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --backend must be " + BackendChoice.names() + ", got '" + a.string("backend", "auto") + "'");
        }
        int device = a.integer("device", 0);
        if (device < 0) {
            throw new UsageException("option --device must not be negative, got " + device);
        }
        if (contextLength < 0) {
            throw new UsageException("option --context must not be negative, got " + contextLength);
        }
        return Model.load(Path.of(a.require("model")), new ModelOptions(threads(a), contextLength, backend, device));
    }

    static KvCacheConfig kvConfig(Args a) {
        return kvConfig(a, a.string("kv", "full"));
    }

    static KvCacheConfig kvConfig(Args a, String policy) {
        try {
            return new KvCacheConfig(policy, a.number("kept-ratio", KvCacheConfig.DEFAULT_KEPT_RATIO),
                    a.integer("budget", 0), a.integer("chunk", KvCacheConfig.DEFAULT_CHUNK_SIZE),
                    a.integer("sinks", KvCacheConfig.DEFAULT_SINK_TOKENS), a.integer("window", KvCacheConfig.DEFAULT_RECENT_WINDOW),
                    !a.flag("no-size-bias"), a.string("layer-budgets", KvCacheConfig.DEFAULT_LAYER_BUDGETS),
                    a.flag("global-topk"), a.integer(PROMPT_CHUNK, 0),
                    KvType.parse(a.string("kv-type", KvCacheConfig.DEFAULT_KV_TYPE.label())), a.bytes("kv-max-bytes", 0));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
