package dev.chelsea.cuda;

import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU tests run on a lent machine from what {@code bin/gpu-pack} carried there, not from
 * {@code ../shared}: every synthetic model they name must be in the pack's list
 * ({@code gpu-pack-models.txt}, which the script reads), and every model listed must exist. Checked
 * here, without a GPU, so that a missing file fails in CI rather than in minutes of device time.
 */
class GpuPackTest {

    static List<String> packedModels() throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = GpuPackTest.class.getResourceAsStream("gpu-pack-models.txt")) {
            assertNotNull(in, "gpu-pack-models.txt is on the test class path");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    names.add(line);
                }
            }
        }
        return names;
    }

    @Test
    void everyModelTheGpuTestsNameTravels() throws IOException {
        List<String> packed = packedModels();
        List<String> named = new ArrayList<>();
        named.add(CudaGpuTest.TOO_LONG_CONTEXT_MODEL);
        CudaGpuTest.chelseaCases().forEach(a -> named.add((String) a.get()[0]));
        for (String model : named) {
            assertTrue(model.equals("stories260K") || packed.contains(model),
                    model + " is named by a GPU test but bin/gpu-pack does not carry it (gpu-pack-models.txt: " + packed + ")");
        }
    }

    @Test
    void everyPackedModelExists() throws IOException {
        for (String model : GpuPackTest.packedModels()) {
            assertTrue(Files.isRegularFile(Shared.resolve("models/synthetic/" + model + ".gguf")), model + " is listed but not in ../shared");
        }
    }
}
