package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The kernels decode real files as llama.cpp wrote them: for every synthetic model in the shared
 * data, a few rows of every weight matrix dequantize to exactly what {@link ReferenceDecoder} reads
 * from the bytes, and their dot products agree with it.
 */
class GgufTensorDecodingTest {
    private static final int ROWS_CHECKED = 3;

    static Path syntheticModels() {
        Path shared = Path.of(System.getProperty("chelsea.shared", "../shared")).toAbsolutePath().normalize();
        Path dir = shared.resolve("models/synthetic");
        assertTrue(Files.isDirectory(dir), "shared test data missing: " + dir + " (set -Dchelsea.shared)");
        return dir;
    }

    static Stream<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(syntheticModels())) {
            List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
            assertTrue(files.size() >= 10, "expected the synthetic models in " + syntheticModels() + ", found " + files);
            return files.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("files")
    void weightRowsDecodeLikeTheReference(Path file) {
        long seed = RandomWeights.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertTrue(gguf.tensors().containsKey("blk.0.attn_q.weight"), file + " has no blk.0.attn_q.weight");
            for (GgufTensorInfo t : gguf.tensors().values()) {
                if (t.shape().length != 2 || !TensorTypes.SUPPORTED.contains(t.type())) {
                    continue;
                }
                WeightMatrix w = WeightMatrix.of(t);
                float[] x = RandomWeights.activations(w.cols(), rnd);
                float[] row = new float[w.cols()];
                for (int i = 0; i < ROWS_CHECKED; i++) {
                    int r = i == 0 ? 0 : rnd.nextInt(w.rows());
                    double[] exact = ReferenceDecoder.row(t.type(), t.data(), w.cols(), r);
                    w.dequantizeRow(r, row, 0);
                    double sum = 0;
                    double abs = 0;
                    for (int k = 0; k < row.length; k++) {
                        if (Float.floatToIntBits(row[k]) != Float.floatToIntBits((float) exact[k])) {
                            fail(file.getFileName() + " " + t.name() + " (" + t.type() + ") row " + r + " col " + k
                                    + ": got " + row[k] + ", expected " + (float) exact[k]);
                        }
                        sum += exact[k] * x[k];
                        abs += Math.abs(exact[k] * x[k]);
                    }
                    double got = w.dot(r, x, 0);
                    if (!(Math.abs(got - sum) <= 1e-5 * abs)) {
                        fail(file.getFileName() + " " + t.name() + " row " + r + " dot: got " + got + ", expected "
                                + sum + ", seed " + seed);
                    }
                }
            }
        }
    }

    /** The files cover every supported type, so the test above checks each against llama.cpp's output. */
    @Test
    void filesCoverEverySupportedType() throws IOException {
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (Path file : files().toList()) {
            try (GgufFile gguf = GgufFile.open(file)) {
                gguf.tensors().values().stream().filter(t -> t.shape().length == 2).forEach(t -> seen.add(t.type()));
            }
        }
        assertTrue(seen.containsAll(TensorTypes.SUPPORTED), "weight types in the files: " + seen);
    }
}
