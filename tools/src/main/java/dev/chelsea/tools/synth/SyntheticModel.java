package dev.chelsea.tools.synth;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufWriter;
import dev.chelsea.engine.tensor.Quantizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a GGUF model with the exact shape of a real one and random weights, for benchmarks:
 * real multi-GB models cannot be downloaded everywhere, and speed depends on shapes and storage
 * types, not on what the weights say.
 *
 * <p>The file is what llama.cpp's converter and quantizer would write for the real model: the
 * same architecture keys ({@code <arch>.context_length}, {@code embedding_length}, ...), tensor
 * names and ggml shapes, {@code rope_freqs.weight} for Llama 3.1+ rope scaling, Q/K/V biases for
 * {@code qwen2}, Q/K norms for {@code qwen3}, no {@code output.weight} where the real model ties
 * its embeddings. The tokenizer ({@code tokenizer.*}) is copied from a donor GGUF and padded to
 * the shape's vocabulary size (see {@link DonorTokenizer}); a larger donor vocabulary is kept
 * whole and the model's vocabulary grows to match (reported in {@link Result#notes()}).
 *
 * <p>Weights: matrices and biases are drawn from a seeded, approximately normal distribution
 * (the sum of four uniforms) with standard deviation {@link #WEIGHT_STD}, the usual initialiser
 * scale, so that activations stay bounded through many layers; norm weights are ones. Storage
 * types follow {@link WeightTypes}. Chunks of rows are generated, quantized and written in
 * parallel straight to the file; the bytes depend only on the seed, never on the thread count.
 */
public final class SyntheticModel {
    public static final float WEIGHT_STD = 0.02f;
    /** Values generated per task: small enough to bound memory, large enough to keep threads busy. */
    private static final int CHUNK_VALUES = 1 << 20;

    /**
     * What was written.
     *
     * @param vocabularySize the model's vocabulary (the shape's, or the donor's if larger)
     * @param notes          deviations from the requested shape or types, for the user to see
     */
    public record Result(Path file, ModelShape shape, String types, int vocabularySize, long parameters,
                         long fileBytes, Map<GgmlType, Integer> tensorsByType, Duration elapsed, List<String> notes) {
    }

    private enum Fill { RANDOM, ONES, ROPE_FREQS }

    private record TensorSpec(String name, GgmlType type, long[] dims, Fill fill) {
        long cols() {
            return dims[0];
        }

        long rows() {
            long r = 1;
            for (int i = 1; i < dims.length; i++) {
                r *= dims[i];
            }
            return r;
        }
    }

    private SyntheticModel() {
    }

    /** The names of the built-in shapes. */
    public static List<String> shapes() {
        return List.copyOf(ModelShapes.all().keySet());
    }

    /** The accepted weight types ({@code f32} ... {@code q6_k}, {@code q4_k_m}). */
    public static List<String> types() {
        return WeightTypes.names();
    }

    /** Writes a built-in shape with as many threads as there are processors. */
    public static Result write(String shape, String types, Path donor, Path out, long seed) {
        return write(ModelShapes.byName(shape), WeightTypes.byName(types), donor, out, seed, Runtime.getRuntime().availableProcessors());
    }

    /** Writes {@code shape} (built-in or custom) to {@code out}; an existing file is replaced. */
    public static Result write(ModelShape shape, WeightTypes types, Path donor, Path out, long seed, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        long start = System.nanoTime();
        List<String> notes = new ArrayList<>();
        DonorTokenizer vocab = DonorTokenizer.read(donor, shape.vocabSize());
        ModelShape actual = shape;
        if (vocab.size() != shape.vocabSize()) {
            actual = shape.withVocabSize(vocab.size());
            notes.add("the donor vocabulary (" + vocab.donorSize() + " tokens) is larger than " + shape.name() + "'s "
                    + shape.vocabSize() + ": the model's vocabulary has " + vocab.size() + " tokens");
        }
        Map<String, Integer> fallbacks = new LinkedHashMap<>();
        List<TensorSpec> tensors = plan(actual, types, fallbacks);
        Map<GgmlType, Integer> byType = new LinkedHashMap<>();
        for (TensorSpec t : tensors) {
            byType.merge(t.type, 1, Integer::sum);
        }
        fallbacks.forEach((what, n) -> notes.add(n + " matrices stored as " + what
                + ": their rows are not a multiple of 256 values (llama.cpp's fallback)"));

        try (GgufWriter w = GgufWriter.create(out)) {
            writeMetadata(w, actual, types, vocab);
            for (TensorSpec t : tensors) {
                w.addTensor(t.name, t.type, t.dims);
            }
            w.writeHeader();
            writeTensors(w, actual, tensors, seed, threads);
        }
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + out, e);
        }
        return new Result(out, actual, types.name(), actual.vocabSize(), actual.parameterCount(), bytes, byType,
                Duration.ofNanos(System.nanoTime() - start), List.copyOf(notes));
    }

    private static void writeMetadata(GgufWriter w, ModelShape s, WeightTypes types, DonorTokenizer vocab) {
        String a = s.architecture();
        w.putString("general.architecture", a);
        w.putString("general.name", "synthetic-" + s.name());
        w.putUInt32("general.alignment", 32);
        w.putUInt32(a + ".context_length", s.contextLength());
        w.putUInt32(a + ".embedding_length", s.embeddingLength());
        w.putUInt32(a + ".block_count", s.blockCount());
        w.putUInt32(a + ".feed_forward_length", s.feedForwardLength());
        w.putUInt32(a + ".attention.head_count", s.headCount());
        w.putUInt32(a + ".attention.head_count_kv", s.headCountKv());
        w.putUInt32(a + ".attention.key_length", s.headDim());
        w.putUInt32(a + ".attention.value_length", s.headDim());
        w.putUInt32(a + ".rope.dimension_count", s.headDim());
        w.putFloat32(a + ".rope.freq_base", s.ropeFreqBase());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", s.rmsNormEps());
        w.putUInt32(a + ".vocab_size", s.vocabSize());
        w.putUInt32("general.file_type", types.fileType());
        w.putUInt32("general.quantization_version", 2);
        w.putAll(vocab.entries());
    }

    /** The tensors in the order llama.cpp's converter writes them, with their types. */
    private static List<TensorSpec> plan(ModelShape s, WeightTypes types, Map<String, Integer> fallbacks) {
        long d = s.embeddingLength();
        long q = (long) s.headCount() * s.headDim();
        long kv = (long) s.headCountKv() * s.headDim();
        long ff = s.feedForwardLength();
        int n = s.blockCount();
        List<TensorSpec> out = new ArrayList<>();
        out.add(matrix(fallbacks, "token_embd.weight", "token_embd", -1, s, types, d, s.vocabSize()));
        if (s.ropeScaling() != null) {
            out.add(new TensorSpec("rope_freqs.weight", GgmlType.F32, new long[]{s.headDim() / 2}, Fill.ROPE_FREQS));
        }
        for (int i = 0; i < n; i++) {
            String p = "blk." + i + ".";
            out.add(new TensorSpec(p + "attn_norm.weight", GgmlType.F32, new long[]{d}, Fill.ONES));
            out.add(matrix(fallbacks, p + "attn_q.weight", "attn_q", i, s, types, d, q));
            out.add(matrix(fallbacks, p + "attn_k.weight", "attn_k", i, s, types, d, kv));
            out.add(matrix(fallbacks, p + "attn_v.weight", "attn_v", i, s, types, d, kv));
            if (s.architecture().equals("qwen2")) {
                out.add(new TensorSpec(p + "attn_q.bias", GgmlType.F32, new long[]{q}, Fill.RANDOM));
                out.add(new TensorSpec(p + "attn_k.bias", GgmlType.F32, new long[]{kv}, Fill.RANDOM));
                out.add(new TensorSpec(p + "attn_v.bias", GgmlType.F32, new long[]{kv}, Fill.RANDOM));
            }
            if (s.architecture().equals("qwen3")) {
                out.add(new TensorSpec(p + "attn_q_norm.weight", GgmlType.F32, new long[]{s.headDim()}, Fill.ONES));
                out.add(new TensorSpec(p + "attn_k_norm.weight", GgmlType.F32, new long[]{s.headDim()}, Fill.ONES));
            }
            out.add(matrix(fallbacks, p + "attn_output.weight", "attn_output", i, s, types, q, d));
            out.add(new TensorSpec(p + "ffn_norm.weight", GgmlType.F32, new long[]{d}, Fill.ONES));
            out.add(matrix(fallbacks, p + "ffn_gate.weight", "ffn_gate", i, s, types, d, ff));
            out.add(matrix(fallbacks, p + "ffn_up.weight", "ffn_up", i, s, types, d, ff));
            out.add(matrix(fallbacks, p + "ffn_down.weight", "ffn_down", i, s, types, ff, d));
        }
        out.add(new TensorSpec("output_norm.weight", GgmlType.F32, new long[]{d}, Fill.ONES));
        if (!s.tiedEmbeddings()) {
            out.add(matrix(fallbacks, "output.weight", "output", -1, s, types, d, s.vocabSize()));
        }
        return out;
    }

    private static TensorSpec matrix(Map<String, Integer> fallbacks, String name, String kind, int layer, ModelShape s,
                                     WeightTypes types, long cols, long rows) {
        GgmlType intended = types.intendedType(kind, layer, s.blockCount(), s.tiedEmbeddings());
        GgmlType t = WeightTypes.fitRows(intended, cols);
        if (t != intended) {
            fallbacks.merge(t + " instead of " + intended, 1, Integer::sum);
        }
        return new TensorSpec(name, t, new long[]{cols, rows}, Fill.RANDOM);
    }

    /** One unit of work: rows {@code [row0, row1)} of one tensor. */
    private record Chunk(TensorSpec tensor, int tensorIndex, int chunkIndex, long row0, long row1) {
    }

    private static void writeTensors(GgufWriter w, ModelShape s, List<TensorSpec> tensors, long seed, int threads) {
        List<Chunk> chunks = new ArrayList<>();
        for (int ti = 0; ti < tensors.size(); ti++) {
            TensorSpec t = tensors.get(ti);
            long rowsPerChunk = Math.max(1, CHUNK_VALUES / t.cols());
            int ci = 0;
            for (long r = 0; r < t.rows(); r += rowsPerChunk) {
                chunks.add(new Chunk(t, ti, ci++, r, Math.min(t.rows(), r + rowsPerChunk)));
            }
        }
        int maxValues = (int) chunks.stream().mapToLong(c -> (c.row1 - c.row0) * c.tensor.cols()).max().orElse(0);
        ThreadLocal<float[]> floats = ThreadLocal.withInitial(() -> new float[maxValues]);
        ThreadLocal<ByteBuffer> bytes = ThreadLocal.withInitial(() -> ByteBuffer.allocate(maxValues * Float.BYTES));
        float[] ropeFactors = s.ropeScaling() == null ? null : s.ropeScaling().frequencyFactors(s.headDim(), s.ropeFreqBase());

        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "synthetic-model-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Callable<Void>> tasks = new ArrayList<>(chunks.size());
            for (Chunk c : chunks) {
                tasks.add(() -> {
                    writeChunk(w, c, seed, floats.get(), bytes.get(), ropeFactors);
                    return null;
                });
            }
            List<Future<Void>> futures = new ArrayList<>(tasks.size());
            for (Callable<Void> task : tasks) {
                futures.add(pool.submit(task));
            }
            for (Future<Void> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(other -> other.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException("writing synthetic weights failed: " + cause, cause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing " + w.path(), e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void writeChunk(GgufWriter w, Chunk c, long seed, float[] values, ByteBuffer out, float[] ropeFactors) {
        TensorSpec t = c.tensor;
        int count = (int) ((c.row1 - c.row0) * t.cols());
        switch (t.fill) {
            case ONES -> Arrays.fill(values, 0, count, 1f);
            case ROPE_FREQS -> System.arraycopy(ropeFactors, 0, values, 0, count);
            case RANDOM -> fillNormal(values, count, mix(seed, c.tensorIndex, c.chunkIndex));
        }
        out.clear();
        Quantizer.quantize(t.type, values, 0, count, out);
        out.flip();
        long rowBytes = t.type.byteSize(t.cols());
        w.writeTensorData(t.name, c.row0 * rowBytes, out);
    }

    /**
     * Approximately normal values with standard deviation {@link #WEIGHT_STD}: the sum of the
     * four 16-bit uniforms of one random long (Irwin–Hall), far cheaper than Box–Muller and
     * close enough for weights whose only job is to keep activations realistic.
     */
    static void fillNormal(float[] out, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        // four uniforms on [0, 65535] sum to mean 131070 and standard deviation 65536 / sqrt(3)
        float scale = (float) (WEIGHT_STD * Math.sqrt(3) / 65536);
        for (int i = 0; i < count; i++) {
            long b = r.nextLong();
            int sum = (int) (b & 0xFFFF) + (int) ((b >>> 16) & 0xFFFF) + (int) ((b >>> 32) & 0xFFFF) + (int) (b >>> 48);
            out[i] = (sum - 131070) * scale;
        }
    }

    /** Independent seeds per (model seed, tensor, chunk), via SplitMix64's finaliser. */
    static long mix(long seed, int tensor, int chunk) {
        long z = seed + 0x9E3779B97F4A7C15L * (((long) tensor << 32) ^ chunk ^ 0x5DEECE66DL);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
