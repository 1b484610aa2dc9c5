package dev.chelsea.engine.gguf;

import dev.chelsea.engine.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufWriterTest {

    @TempDir
    Path tmp;

    private static GgufValue scalar(GgufValueType t, Object v) {
        return new GgufValue(t, null, v);
    }

    private static GgufValue array(GgufValueType et, Object v) {
        return new GgufValue(GgufValueType.ARRAY, et, v);
    }

    /** One entry of every scalar type at its limits, and an array of every element type. */
    private static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("t.u8", scalar(GgufValueType.UINT8, 255L));
        m.put("t.i8", scalar(GgufValueType.INT8, -128L));
        m.put("t.u16", scalar(GgufValueType.UINT16, 65535L));
        m.put("t.i16", scalar(GgufValueType.INT16, -32768L));
        m.put("t.u32", scalar(GgufValueType.UINT32, 0xFFFFFFFFL));
        m.put("t.i32", scalar(GgufValueType.INT32, (long) Integer.MIN_VALUE));
        m.put("t.u64", scalar(GgufValueType.UINT64, -1L)); // 2^64 - 1
        m.put("t.i64", scalar(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("t.f32", scalar(GgufValueType.FLOAT32, 1e-6f));
        m.put("t.f64", scalar(GgufValueType.FLOAT64, Math.PI));
        m.put("t.bool", scalar(GgufValueType.BOOL, true));
        m.put("t.string", scalar(GgufValueType.STRING, "héllo ｜ 世界 \uD83D\uDE00"));
        m.put("t.empty", scalar(GgufValueType.STRING, ""));
        m.put("a.u8", array(GgufValueType.UINT8, new long[]{0, 1, 255}));
        m.put("a.i8", array(GgufValueType.INT8, new long[]{-128, 0, 127}));
        m.put("a.u16", array(GgufValueType.UINT16, new long[]{0, 65535}));
        m.put("a.i16", array(GgufValueType.INT16, new long[]{-32768, 32767}));
        m.put("a.u32", array(GgufValueType.UINT32, new long[]{0, 0xFFFFFFFFL}));
        m.put("a.i32", array(GgufValueType.INT32, new long[]{Integer.MIN_VALUE, -1, Integer.MAX_VALUE}));
        m.put("a.u64", array(GgufValueType.UINT64, new long[]{0, -1}));
        m.put("a.i64", array(GgufValueType.INT64, new long[]{Long.MIN_VALUE, Long.MAX_VALUE}));
        m.put("a.f32", array(GgufValueType.FLOAT32, new float[]{-0f, 1.5f, Float.MAX_VALUE}));
        m.put("a.f64", array(GgufValueType.FLOAT64, new double[]{Double.MIN_VALUE, -2.25}));
        m.put("a.bool", array(GgufValueType.BOOL, new boolean[]{true, false, true}));
        m.put("a.string", array(GgufValueType.STRING, new String[]{"a", "", "<|im_end|>"}));
        m.put("a.empty", array(GgufValueType.INT32, new long[0]));
        m.put("a.nested", array(GgufValueType.ARRAY, new GgufValue[]{
                array(GgufValueType.INT32, new long[]{1, 2}),
                array(GgufValueType.STRING, new String[]{"x"})}));
        return m;
    }

    private static void assertValueEquals(String key, GgufValue expected, GgufValue actual) {
        assertEquals(expected.type(), actual.type(), key);
        assertEquals(expected.elementType(), actual.elementType(), key);
        Object e = expected.value();
        Object a = actual.value();
        switch (e) {
            case long[] x -> assertArrayEquals(x, (long[]) a, key);
            case float[] x -> assertArrayEquals(x, (float[]) a, key);
            case double[] x -> assertArrayEquals(x, (double[]) a, key);
            case boolean[] x -> assertArrayEquals(x, (boolean[]) a, key);
            case String[] x -> assertArrayEquals(x, (String[]) a, key);
            case GgufValue[] x -> {
                GgufValue[] y = (GgufValue[]) a;
                assertEquals(x.length, y.length, key);
                for (int i = 0; i < x.length; i++) {
                    assertValueEquals(key + "[" + i + "]", x[i], y[i]);
                }
            }
            default -> assertEquals(e, a, key);
        }
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void roundTripsEveryMetadataTypeAndTensors() {
        Path file = tmp.resolve("all.gguf");
        Map<String, GgufValue> meta = everyType();
        byte[] a = pattern(3 * 2 * 4, 1);
        byte[] b = pattern(2 * 34, 2);
        byte[] c = pattern(8 * 2, 3);
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putString("general.architecture", "test");
            w.putAll(meta);
            w.addTensor("a", GgmlType.F32, 3, 2);
            w.addTensor("b", GgmlType.Q8_0, 32, 2);
            w.addTensor("c.weight", GgmlType.F16, 4, 1, 1, 2);
            w.writeTensor("b", b);          // any order
            w.writeTensor("a", a);
            w.writeTensorData("c.weight", 5, ByteBuffer.wrap(c, 5, 11));
            w.writeTensorData("c.weight", 0, ByteBuffer.wrap(c, 0, 5));
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            List<String> keys = new ArrayList<>(f.metadata().keys());
            assertEquals("general.architecture", keys.getFirst());
            assertEquals(meta.size() + 1, keys.size());
            meta.forEach((k, v) -> assertValueEquals(k, v, f.metadata().get(k)));

            assertEquals(List.of("a", "b", "c.weight"), new ArrayList<>(f.tensors().keySet()));
            GgufTensorInfo ta = f.tensor("a");
            assertArrayEquals(new long[]{3, 2}, ta.shape());
            assertEquals(GgmlType.F32, ta.type());
            assertArrayEquals(a, ta.data().toArray(ValueLayout.JAVA_BYTE));
            GgufTensorInfo tb = f.tensor("b");
            assertEquals(GgmlType.Q8_0, tb.type());
            assertEquals(32, tb.offset()); // 24 bytes of "a" padded to 32
            assertArrayEquals(b, tb.data().toArray(ValueLayout.JAVA_BYTE));
            GgufTensorInfo tc = f.tensor("c.weight");
            assertArrayEquals(new long[]{4, 1, 1, 2}, tc.shape());
            assertEquals(128, tc.offset()); // 32 + 68 padded
            assertArrayEquals(c, tc.data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, f.dataOffset() % 32);
            assertEquals(f.dataOffset() + 160, f.fileSize(), "file ends padded to the alignment");
        }
    }

    @Test
    void honoursCustomAlignment() {
        Path file = tmp.resolve("aligned.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putUInt32("general.alignment", 64);
            w.addTensor("x", GgmlType.F32, 3);
            w.addTensor("y", GgmlType.F32, 5);
            w.writeTensor("x", pattern(12, 0));
            w.writeTensor("y", pattern(20, 1));
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(64, f.tensor("y").offset());
            assertArrayEquals(pattern(20, 1), f.tensor("y").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void rewritesARealFileByteForByte() throws Exception {
        // Metadata and tensors copied verbatim must reproduce llama.cpp's own file exactly:
        // same encoding of every value, same tensor offsets, same padding.
        Path src = Shared.resolve("models/stories260K.gguf");
        Path copy = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(src); GgufWriter w = GgufWriter.create(copy)) {
            w.putAll(f.metadata().entries());
            for (GgufTensorInfo t : f.tensors().values()) {
                w.addTensor(t.name(), t.type(), t.shape());
            }
            for (GgufTensorInfo t : f.tensors().values()) {
                w.writeTensor(t.name(), t.data().asByteBuffer());
            }
        }
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(copy));
    }

    @Test
    void acceptsConcurrentWritesOfOneTensor() throws Exception {
        Path file = tmp.resolve("parallel.gguf");
        int chunk = 4096;
        int chunks = 64;
        byte[] all = pattern(chunk * chunks, 9);
        try (GgufWriter w = GgufWriter.create(file); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            w.addTensor("big", GgmlType.F32, chunk * chunks / 4);
            List<Future<?>> done = new ArrayList<>();
            for (int i = chunks - 1; i >= 0; i--) {
                int at = i * chunk;
                done.add(pool.submit(() -> w.writeTensorData("big", at, ByteBuffer.wrap(all, at, chunk))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertArrayEquals(all, f.tensor("big").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void deletesAnIncompleteFileAndNamesTheMissingTensor() {
        Path file = tmp.resolve("incomplete.gguf");
        GgufWriter w = GgufWriter.create(file);
        w.addTensor("done", GgmlType.F32, 2);
        w.addTensor("half", GgmlType.F32, 4);
        w.writeTensor("done", new byte[8]);
        w.writeTensorData("half", 0, ByteBuffer.wrap(new byte[8]));
        var e = assertThrows(IllegalStateException.class, w::close);
        assertTrue(e.getMessage().contains("half (8 of 16 bytes)"), e.getMessage());
        assertFalse(e.getMessage().contains("done"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void rejectsInvalidInput() {
        Path file = tmp.resolve("bad.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            var range = assertThrows(IllegalArgumentException.class, () -> w.putUInt32("k", -1));
            assertTrue(range.getMessage().contains("'k' of type UINT32 cannot hold Long -1"), range.getMessage());
            var kind = assertThrows(IllegalArgumentException.class, () -> w.put("k", scalar(GgufValueType.FLOAT32, 1.0)));
            assertTrue(kind.getMessage().contains("cannot hold Double"), kind.getMessage());
            var elem = assertThrows(IllegalArgumentException.class, () -> w.put("k", array(GgufValueType.UINT8, new long[]{256})));
            assertTrue(elem.getMessage().contains("element 0 = 256 does not fit UINT8"), elem.getMessage());
            var arr = assertThrows(IllegalArgumentException.class, () -> w.put("k", array(GgufValueType.STRING, new float[1])));
            assertTrue(arr.getMessage().contains("array of STRING but holds float[]"), arr.getMessage());

            var block = assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_K, 128, 2));
            assertTrue(block.getMessage().contains("not a multiple of the block size 256"), block.getMessage());
            var longName = assertThrows(IllegalArgumentException.class, () -> w.addTensor("n".repeat(64), GgmlType.F32, 1));
            assertTrue(longName.getMessage().contains("at most 63"), longName.getMessage());
            var dims = assertThrows(IllegalArgumentException.class, () -> w.addTensor("d", GgmlType.F32, 1, 1, 1, 1, 1));
            assertTrue(dims.getMessage().contains("1 to 4 dimensions"), dims.getMessage());

            w.addTensor("t", GgmlType.F32, 2);
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, 2));
            var size = assertThrows(IllegalArgumentException.class, () -> w.writeTensorData("t", 4, ByteBuffer.allocate(8)));
            assertTrue(size.getMessage().contains("has 8 bytes; cannot write 8 bytes at offset 4"), size.getMessage());
            var late = assertThrows(IllegalStateException.class, () -> w.putString("late", "x"));
            assertTrue(late.getMessage().contains("header"), late.getMessage());
            var unknown = assertThrows(IllegalArgumentException.class, () -> w.writeTensor("nope", new byte[1]));
            assertTrue(unknown.getMessage().contains("'nope' was not declared"), unknown.getMessage());
            w.writeTensor("t", new byte[8]);
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertNull(f.metadata().get("late"));
            assertEquals(1, f.tensors().size());
        }
    }

    @Test
    void laterValueReplacesEarlierOneInPlace() {
        Path file = tmp.resolve("replace.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putString("a", "1").putString("b", "2").putString("a", "3");
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(List.of("a", "b"), new ArrayList<>(f.metadata().keys()));
            assertEquals("3", f.metadata().getString("a"));
        }
    }
}
