package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Once C2 has compiled a kernel, a call allocates nothing beyond its fixed scratch (the batch
 * quantization's 16-int block, 80 bytes). A Vector API operation that C2 does not
 * turn into instructions runs the API's Java fallback instead, which allocates arrays for every
 * operation and is many times slower: a Q4_K_M decode step that allocated 64-600 MB ran at 19-30
 * instead of 34-40 tokens/s (AMD EPYC, 2 cores, 2026-12-05; see {@link Simd} on what caused it).
 * Each product runs until a call allocates no more than {@link #MAX_BYTES_PER_CALL} bytes, for at
 * most {@value #PATIENCE_SECONDS} seconds: a kernel written so that C2 cannot compile it whole fails
 * here, at every vector width. It runs in a JVM of its own per width (engine/pom.xml): after the
 * other tests, C2's queue and the profiles they leave made the wait long and uneven (3 runs of 8
 * failed there, see docs/performance.md).
 */
class CompiledKernelsTest {
    private static final int PATIENCE_SECONDS = 60;
    /** Above the batch quantization's scratch; one operation in the fallback allocates more per call. */
    private static final long MAX_BYTES_PER_CALL = 128;
    private static final int ROWS = 64;
    private static final int COLS = 512;
    private static final int BATCH = 20;

    static Stream<GgmlType> types() {
        return TensorTypes.SUPPORTED.stream();
    }

    @ParameterizedTest
    @MethodSource("types")
    void decodeProductStopsAllocating(GgmlType type) {
        WeightMatrix w = matrix(type);
        float[] x = RandomWeights.activations(COLS, new SplittableRandom(1));
        float[] out = new float[ROWS];
        if (w.integerKernels()) {
            QuantizedActivations a = new QuantizedActivations();
            a.reset(1, COLS, false);
            a.quantize(x);
            assertStopsAllocating(type + " decode product", () -> w.matMul(a, out, ROWS, 0, ROWS));
        } else {
            assertStopsAllocating(type + " decode product", () -> w.matMul(x, 1, out, ROWS, 0, ROWS));
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void batchProductStopsAllocating(GgmlType type) {
        WeightMatrix w = matrix(type);
        float[] x = RandomWeights.activations(BATCH * COLS, new SplittableRandom(2));
        float[] out = new float[BATCH * ROWS];
        if (w.integerKernels()) {
            QuantizedActivations a = new QuantizedActivations();
            a.reset(BATCH, COLS, true);
            a.quantize(x);
            assertStopsAllocating(type + " batch product", () -> w.matMul(a, out, ROWS, 0, ROWS));
        } else {
            assertStopsAllocating(type + " batch product", () -> w.matMul(x, BATCH, out, ROWS, 0, ROWS));
        }
    }

    /** The token embedding is looked up by dequantizing its row, once per token. */
    @ParameterizedTest
    @MethodSource("types")
    void rowDequantizationStopsAllocating(GgmlType type) {
        WeightMatrix w = matrix(type);
        float[] row = new float[COLS];
        assertStopsAllocating(type + " row dequantization", () -> w.dequantizeRow(7, row, 0));
    }

    @Test
    void activationQuantizationStopsAllocating() {
        float[] x = RandomWeights.activations(BATCH * COLS, new SplittableRandom(3));
        QuantizedActivations one = new QuantizedActivations();
        one.reset(1, COLS, false);
        assertStopsAllocating("quantization of one vector", () -> one.quantize(x));
        QuantizedActivations batch = new QuantizedActivations();
        batch.reset(BATCH, COLS, true);
        assertStopsAllocating("quantization of a batch", () -> batch.quantize(x));
    }

    private static WeightMatrix matrix(GgmlType type) {
        return TensorTypes.wrap(type, RandomWeights.matrix(type, ROWS, COLS, new SplittableRandom(type.ordinal())), ROWS, COLS, "test");
    }

    /**
     * Runs {@code call} in rounds until 100 calls allocate at most {@link #MAX_BYTES_PER_CALL} bytes each, or fails after
     * {@value #PATIENCE_SECONDS} seconds with what a call still allocates.
     */
    private static void assertStopsAllocating(String what, Runnable call) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long deadline = System.nanoTime() + PATIENCE_SECONDS * 1_000_000_000L;
        long startedAt = ManagementFactory.getRuntimeMXBean().getUptime();
        long bytes;
        do {
            for (int i = 0; i < 2_000; i++) {
                call.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                call.run();
            }
            bytes = threads.getCurrentThreadAllocatedBytes() - before;
        } while (bytes > 100 * MAX_BYTES_PER_CALL && System.nanoTime() < deadline);
        if (bytes > 100 * MAX_BYTES_PER_CALL) {
            fail(what + " still allocates " + bytes / 100 + " bytes per call after " + PATIENCE_SECONDS
                    + " s (JVM uptime " + startedAt + " to " + ManagementFactory.getRuntimeMXBean().getUptime()
                    + " ms): some Vector API operation runs the API's Java fallback (see Simd); allocated at "
                    + allocationSites(call));
        }
    }

    /** Where {@code call} allocates, from JFR's allocation samples: the kernel lines and the API methods they call. */
    private static String allocationSites(Runnable call) {
        Map<String, Long> sites = new ConcurrentHashMap<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("jdk.ObjectAllocationSample").with("throttle", "10000/s").withStackTrace();
            rs.onEvent("jdk.ObjectAllocationSample", e -> {
                List<RecordedFrame> frames = e.getStackTrace() == null ? List.of() : e.getStackTrace().getFrames();
                for (int i = 0; i < frames.size(); i++) {
                    RecordedFrame f = frames.get(i);
                    if (f.getMethod().getType().getName().startsWith("dev.chelsea.engine.tensor.")) {
                        String callee = i > 0 ? frames.get(i - 1).getMethod().getType().getName() + "." + frames.get(i - 1).getMethod().getName() : "";
                        sites.merge(f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber() + " -> " + callee,
                                e.getLong("weight"), Long::sum);
                        break;
                    }
                }
            });
            rs.startAsync();
            for (int i = 0; i < 2_000; i++) {
                call.run();
            }
            rs.stop();
        } catch (RuntimeException e) {
            return "(no JFR: " + e + ")";
        }
        return sites.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(en -> en.getKey() + " (" + en.getValue() / 1024 + " KiB sampled)").toList().toString();
    }
}
