package dev.chelsea.cuda;

import dev.chelsea.engine.backend.Availability;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Backends;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Where the GPU tests ({@code @Tag("gpu")}) run: on a real device ({@code bin/gpu-check}), or on the
 * host emulator (Maven execution {@code emulated-gpu-tests}: JCuda loads the fake
 * {@code libcuda.so.1} built by {@code cuda/build-emu-driver.sh}, whose folder the system property
 * {@code chelsea.cuda.emulator} names). The emulator runs kernels a few thousand times slower than
 * a GPU, so the tests take small shapes there ({@link #emulated()}).
 */
final class GpuTests {
    static final String EMULATOR = "chelsea.cuda.emulator";

    private GpuTests() {
    }

    /** Whether the tests run on the host emulator. */
    static boolean emulated() {
        return System.getProperty(EMULATOR) != null;
    }

    /** Some tests take long shapes on a GPU and short ones on the emulator. */
    static int size(int onGpu, int emulated) {
        return emulated() ? emulated : onGpu;
    }

    /**
     * Skips the calling test class where there is no usable device, with the reason. On the
     * emulator, a library that could not be built (no CUDA headers) skips with the reason its build
     * gave; one that was built must load, or the tests fail.
     */
    static void requireDevice() {
        Availability a = Backends.probe(BackendType.CUDA, 0);
        if (!emulated()) {
            Assumptions.assumeTrue(a.available(), "no usable GPU: " + a.detail());
            return;
        }
        Path dir = Path.of(System.getProperty(EMULATOR));
        Path why = dir.resolve("UNAVAILABLE");
        if (Files.exists(why)) {
            Assumptions.abort("the emulated GPU was not built: " + read(why));
        }
        if (!Files.exists(dir.resolve("libcuda.so.1"))) {
            Assumptions.abort("the emulated GPU was not built: no " + dir.resolve("libcuda.so.1") + " (cuda/build-emu-driver.sh)");
        }
        if (!a.available()) {
            fail("the emulated GPU in " + dir + " was built but did not load: " + a.detail());
        }
        assertTrue(a.detail().contains("emulator"), "the emulated device must say it is one: " + a.detail());
        try {
            Files.deleteIfExists(reports());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * On the emulator, fails when its driver reported anything since {@link #requireDevice()}: a
     * launch or copy it refused, an illegal address, memory or handles left when a context went.
     * Each of those also fails the call that caused it, except the leaks, which only this sees.
     */
    static void requireNoDriverReports() {
        if (!emulated() || !Files.exists(reports())) {
            return;
        }
        String r = read(reports());
        if (!r.isEmpty()) {
            fail("the emulated driver reported:\n" + r);
        }
    }

    /** Where the emulated driver appends its reports (CHELSEA_EMU_LOG, set by the Maven execution). */
    private static Path reports() {
        String log = System.getenv("CHELSEA_EMU_LOG");
        return log != null ? Path.of(log) : Path.of(System.getProperty(EMULATOR), "reports.log");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
