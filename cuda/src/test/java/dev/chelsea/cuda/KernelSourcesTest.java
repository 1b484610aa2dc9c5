package dev.chelsea.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped kernels without a GPU: the checked-in PTX was built from the current sources (their
 * hash is in its first line), it targets a PTX ISA the supported drivers take, and it declares the
 * kernels the Java side launches.
 */
class KernelSourcesTest {
    private static final Path SOURCES = Path.of(System.getProperty("chelsea.kernel.sources", "src/main/cuda"));

    /** SHA-256 of the {@code .cu} and {@code .cuh} files concatenated in byte order of their names, as build-kernels.sh hashes them. */
    static String sourcesHash() throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        List<Path> files;
        try (Stream<Path> s = Files.list(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh"))
                    .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        assertTrue(!files.isEmpty(), "no kernel sources in " + SOURCES.toAbsolutePath());
        for (Path f : files) {
            sha.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void theCheckedInPtxWasBuiltFromTheCurrentSources() throws Exception {
        String ptx = KernelBinaries.ptxText();
        Matcher m = Pattern.compile("^// chelsea-sources-sha256: ([0-9a-f]{64})").matcher(ptx);
        assertTrue(m.find(), "the PTX has no sources hash on its first line");
        assertEquals(sourcesHash(), m.group(1), "the checked-in PTX is older than src/main/cuda: run cuda/build-kernels.sh");
    }

    @Test
    void ptxVersionIsOneTheSupportedDriversTake() {
        String ptx = KernelBinaries.ptxText();
        Matcher v = Pattern.compile("(?m)^\\.version (\\d+)\\.(\\d+)").matcher(ptx);
        assertTrue(v.find(), "no .version line");
        int version = Integer.parseInt(v.group(1)) * 10 + Integer.parseInt(v.group(2));
        assertTrue(version <= 80, ".version " + v.group(1) + "." + v.group(2) + " is above 8.0, which drivers before the 580 series cannot JIT");
        assertEquals(KernelBinaries.PTX_VERSION, v.group(1) + "." + v.group(2));
        Matcher t = Pattern.compile("(?m)^\\.target sm_(\\d+)").matcher(ptx);
        assertTrue(t.find() && Integer.parseInt(t.group(1)) <= CudaDriver.MIN_COMPUTE_CAPABILITY, "target must be at most sm_80");
    }

    @Test
    void theHopperCubinIsShipped() {
        byte[] cubin = KernelBinaries.cubin(90);
        assertNotNull(cubin);
        assertTrue(cubin.length > 4 && cubin[0] == 0x7f && cubin[1] == 'E' && cubin[2] == 'L' && cubin[3] == 'F', "an ELF cubin");
        assertEquals(null, KernelBinaries.cubin(80), "other GPUs JIT the PTX");
    }

    @Test
    void everyKernelNameTheJavaSideBuildsExistsInThePtx() {
        Map<String, List<KernelArgs.Type>> entries = PtxEntries.read(KernelBinaries.ptxText());
        for (String type : List.of("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q4_k", "q5_k", "q6_k")) {
            for (String kind : List.of("get_rows", "matvec", "gemm")) {
                assertTrue(entries.containsKey("chelsea_" + kind + "_" + type), "chelsea_" + kind + "_" + type);
            }
        }
        for (int hd : new int[]{32, 64, 100, 128, 256}) {
            for (int g : new int[]{1, 2, 3, 4, 8, 16}) {
                for (String kind : List.of("decode", "prefill")) {
                    String name = KernelCalls.attentionKernel(kind, hd, g);
                    assertTrue(entries.containsKey(name), name + " for head size " + hd + " and group " + g);
                }
            }
        }
    }
}
