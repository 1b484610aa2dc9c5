package dev.chelsea.engine.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Valid files load; malformed, truncated and hostile files fail with a message naming file and problem. */
class GgufFileTest {
    @TempDir
    Path dir;

    private Path write(byte[] bytes) throws IOException {
        Path p = dir.resolve("m" + System.nanoTime() + ".gguf");
        Files.write(p, bytes);
        return p;
    }

    /** A valid file: two metadata entries and one 4x2 F32 tensor. */
    private static RawGguf valid() {
        RawGguf g = new RawGguf().header(3, 1, 2).kvString("general.architecture", "llama").kvU32("general.alignment", 32)
                .tensorInfo("w", new long[] {4, 2}, GgmlType.F32.id, 0).padTo(32);
        for (int i = 0; i < 8; i++) {
            g.f32(i);
        }
        return g;
    }

    private String failure(byte[] bytes) throws IOException {
        Path p = write(bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsValidFile() throws IOException {
        Path p = write(valid().build());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(32, f.metadata().getInt("general.alignment"));
            GgufTensorInfo t = f.requireTensor("w");
            assertEquals(2, t.rows());
            assertEquals(4, t.cols());
            assertEquals(32, t.byteSize());
            float[] v = t.data().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, v);
        }
    }

    @Test
    void readsRealModels() {
        Path m = dev.chelsea.engine.testing.Shared.stories();
        try (GgufFile f = GgufFile.open(m)) {
            assertEquals(48, f.tensors().size());
            assertEquals(512, f.metadata().getStringArray("tokenizer.ggml.tokens").length);
        }
    }

    @Test
    void missingFile() {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(dir.resolve("nope.gguf")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void emptyAndTinyFiles() throws IOException {
        assertTrue(failure(new byte[0]).contains("truncated"));
        assertTrue(failure(new byte[] {'G', 'G'}).contains("truncated"));
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = valid().build();
        b[0] = 'X';
        assertTrue(failure(b).contains("bad magic"));
    }

    @Test
    void unsupportedVersion() throws IOException {
        assertTrue(failure(new RawGguf().header(1, 0, 0).build()).contains("unsupported GGUF version 1"));
        assertTrue(failure(new RawGguf().header(99, 0, 0).build()).contains("unsupported GGUF version 99"));
    }

    @Test
    void everyTruncationPointFailsCleanly() throws IOException {
        byte[] full = valid().build();
        for (int n = 0; n < full.length; n++) {
            String msg = failure(Arrays.copyOf(full, n));
            assertTrue(msg.contains("truncated") || msg.contains("outside the file") || msg.contains("cannot fit") || msg.contains("exceeds"),
                    "length " + n + ": " + msg);
        }
    }

    @Test
    void hugeCountsAreRefusedBeforeAllocating() throws IOException {
        assertTrue(failure(new RawGguf().header(3, Long.MAX_VALUE, 0).build()).contains("cannot fit"));
        assertTrue(failure(new RawGguf().header(3, 0, -1L).build()).contains("cannot fit"));
        // A string length that would overflow.
        assertTrue(failure(new RawGguf().header(3, 0, 1).u64(-8L).bytes(new byte[16]).build()).contains("exceeds the file"));
        // An array claiming 2^62 elements.
        byte[] arr = new RawGguf().header(3, 0, 1).str("a").u32(GgufValueType.ARRAY.ordinal())
                .u32(GgufValueType.UINT32.ordinal()).u64(1L << 62).build();
        assertTrue(failure(arr).contains("array elements"));
    }

    @Test
    void unknownValueAndTensorTypes() throws IOException {
        assertTrue(failure(new RawGguf().header(3, 0, 1).str("k").u32(77).build()).contains("unknown value type 77"));
        byte[] t = new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {32}, 99, 0).padTo(32).bytes(new byte[128]).build();
        assertTrue(failure(t).contains("unknown type id 99"));
    }

    @Test
    void tensorOutsideTheFile() throws IOException {
        byte[] b = new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {4, 2}, GgmlType.F32.id, 1024).padTo(32)
                .bytes(new byte[32]).build();
        assertTrue(failure(b).contains("outside the file"));
        byte[] huge = new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {1L << 30, 1L << 30}, GgmlType.F32.id, 0).padTo(32)
                .bytes(new byte[32]).build();
        String msg = failure(huge);
        assertTrue(msg.contains("outside the file") || msg.contains("too many"), msg);
    }

    @Test
    void badShapesAndOffsets() throws IOException {
        assertTrue(failure(new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {0}, 0, 0).build()).contains("invalid dimension"));
        assertTrue(failure(new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {1, 1, 1, 1, 1}, 0, 0).build()).contains("dimensions"));
        assertTrue(failure(new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {4}, 0, 3).build()).contains("not aligned"));
        assertTrue(failure(new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {33}, GgmlType.Q8_0.id, 0).build())
                .contains("block size"));
    }

    @Test
    void duplicateKeysAndBadAlignment() throws IOException {
        assertTrue(failure(new RawGguf().header(3, 0, 2).kvU32("a", 1).kvU32("a", 2).build()).contains("duplicate metadata key 'a'"));
        assertTrue(failure(new RawGguf().header(3, 0, 1).kvU32("general.alignment", 24).build()).contains("power of two"));
    }

    @Test
    void deeplyNestedArraysAreRefused() throws IOException {
        RawGguf g = new RawGguf().header(3, 0, 1).str("n").u32(GgufValueType.ARRAY.ordinal());
        for (int i = 0; i < 20; i++) {
            g.u32(GgufValueType.ARRAY.ordinal()).u64(1);
        }
        g.bytes(new byte[64]);
        assertTrue(failure(g.build()).contains("nests arrays"));
    }

    @Test
    void typedAccessorsNameTheKey() throws IOException {
        try (GgufFile f = GgufFile.open(write(valid().build()))) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.metadata().getInt("general.architecture"));
            assertTrue(e.getMessage().contains("general.architecture"));
            e = assertThrows(GgufFormatException.class, () -> f.metadata().getString("missing.key"));
            assertTrue(e.getMessage().contains("missing metadata key 'missing.key'"));
            e = assertThrows(GgufFormatException.class, () -> f.requireTensor("nope"));
            assertTrue(e.getMessage().contains("missing tensor 'nope'"));
        }
    }

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        byte[] base = valid().build();
        long seed = System.nanoTime();
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int k = 0; k < 300; k++) {
            byte[] b = base.clone();
            for (int j = 0; j < 3; j++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            Path p = write(b);
            try (GgufFile f = GgufFile.open(p)) {
                assertTrue(f.tensors().size() <= 1);
            } catch (GgufFormatException expected) {
                // fine: a clear error
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + ": corrupt file escaped as " + e, e);
            }
        }
    }
}
