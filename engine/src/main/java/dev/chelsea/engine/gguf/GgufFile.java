package dev.chelsea.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A memory-mapped GGUF (v2/v3) file. Everything is validated when the file is opened, so that a
 * malformed file fails here with a {@link GgufFormatException} naming the file and the problem,
 * never later with an index error or a crash inside a kernel. Tensor data stays in the mapping.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment segment, int version, GgufMetadata metadata,
                     Map<String, GgufTensorInfo> tensors, long dataOffset, int alignment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
        this.alignment = alignment;
    }

    /** Maps and validates {@code path}. The caller closes the returned file, which unmaps it. */
    public static GgufFile open(Path path) {
        if (!Files.exists(path)) {
            throw new GgufFormatException(path, "no such file", new NoSuchFileException(path.toString()));
        }
        if (!Files.isRegularFile(path)) {
            throw new GgufFormatException(path, "not a regular file");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                segment = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return parse(path, arena, segment);
        } catch (IOException e) {
            arena.close();
            throw new GgufFormatException(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment seg) {
        Reader r = new Reader(path, seg);
        if (seg.byteSize() < 4) {
            throw new GgufFormatException(path, "truncated: " + seg.byteSize() + " bytes, too short for a GGUF header");
        }
        int magic = r.i32("magic");
        if (magic != MAGIC) {
            throw new GgufFormatException(path, String.format("not a GGUF file (bad magic 0x%08x, expected 'GGUF')", magic));
        }
        int version = r.i32("version");
        if (version != 2 && version != 3) {
            throw new GgufFormatException(path, "unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = r.u64("tensor count");
        long kvCount = r.u64("metadata count");
        // Each metadata entry takes at least 12 bytes, each tensor info at least 24: a count larger
        // than the file can hold is corrupt, and is refused before any allocation.
        r.checkCount(kvCount, 12, "metadata entries");
        r.checkCount(tensorCount, 24, "tensors");

        LinkedHashMap<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("metadata key #" + i);
            int typeId = r.i32("type of '" + key + "'");
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw new GgufFormatException(path, "metadata key '" + key + "' has unknown value type " + typeId);
            }
            if (kv.put(key, r.value(type, key, 0)) != null) {
                throw new GgufFormatException(path, "duplicate metadata key '" + key + "'");
            }
        }
        GgufMetadata metadata = new GgufMetadata(path, kv);

        int alignment = DEFAULT_ALIGNMENT;
        if (metadata.contains("general.alignment")) {
            long a = metadata.getLong("general.alignment");
            if (a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) {
                throw new GgufFormatException(path, "general.alignment = " + a + " is not a power of two");
            }
            alignment = (int) a;
        }

        record RawTensor(String name, long[] shape, GgmlType type, long offset, long elements) {
        }
        RawTensor[] raw = new RawTensor[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            String name = r.string("tensor name #" + i);
            int nDims = r.i32("dimension count of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new GgufFormatException(path, "tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.u64("dimension " + d + " of tensor '" + name + "'");
                if (shape[d] <= 0 || shape[d] > Integer.MAX_VALUE) {
                    throw new GgufFormatException(path, "tensor '" + name + "' has invalid dimension " + d + " = " + Long.toUnsignedString(shape[d]));
                }
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw new GgufFormatException(path, "tensor '" + name + "' has too many elements");
                }
            }
            int typeId = r.i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new GgufFormatException(path, "tensor '" + name + "' has unknown type id " + typeId);
            }
            if (shape[0] % type.blockSize != 0) {
                throw new GgufFormatException(path, "tensor '" + name + "' of type " + type + " has a row of " + shape[0]
                        + " values, not a multiple of the block size " + type.blockSize);
            }
            long offset = r.u64("data offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw new GgufFormatException(path, "tensor '" + name + "' has offset " + Long.toUnsignedString(offset) + ", not aligned to " + alignment);
            }
            raw[i] = new RawTensor(name, shape, type, offset, elements);
        }
        long dataOffset = align(r.pos, alignment);
        if (tensorCount > 0 && dataOffset > seg.byteSize()) {
            throw new GgufFormatException(path, "truncated: tensor data would start at byte " + dataOffset + " but the file has " + seg.byteSize());
        }
        LinkedHashMap<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (RawTensor t : raw) {
            long bytes = t.type.byteSize(t.elements);
            long start = dataOffset + t.offset;
            if (start < dataOffset || start + bytes < start || start + bytes > seg.byteSize()) {
                throw new GgufFormatException(path, "tensor '" + t.name + "' (" + bytes + " bytes at offset " + t.offset
                        + ") lies outside the file (" + seg.byteSize() + " bytes): the file is truncated or corrupt");
            }
            MemorySegment data = seg.asSlice(start, bytes);
            if (tensors.put(t.name, new GgufTensorInfo(t.name, t.shape, t.type, t.offset, t.elements, data)) != null) {
                throw new GgufFormatException(path, "duplicate tensor name '" + t.name + "'");
            }
        }
        return new GgufFile(path, arena, seg, version, metadata, Collections.unmodifiableMap(tensors), dataOffset, alignment);
    }

    static long align(long pos, int alignment) {
        return (pos + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    public GgufTensorInfo tensor(String name) {
        return tensors.get(name);
    }

    /** The named tensor, or an exception naming the file and the missing tensor. */
    public GgufTensorInfo requireTensor(String name) {
        GgufTensorInfo t = tensors.get(name);
        if (t == null) {
            throw new GgufFormatException(path, "missing tensor '" + name + "'");
        }
        return t;
    }

    public long dataOffset() {
        return dataOffset;
    }

    public int alignment() {
        return alignment;
    }

    public long fileSize() {
        return segment.byteSize();
    }

    /** Unmaps the file; tensor segments must not be used afterwards. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** A bounds-checked little-endian cursor: every read names what it was reading if the file ends. */
    private static final class Reader {
        final Path path;
        final MemorySegment seg;
        long pos;

        Reader(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
        }

        void need(long n, String what) {
            if (n < 0 || pos + n > seg.byteSize() || pos + n < pos) {
                throw new GgufFormatException(path, "truncated at byte " + pos + " while reading " + what
                        + " (file has " + seg.byteSize() + " bytes)");
            }
        }

        void checkCount(long count, long minBytesEach, String what) {
            long remaining = seg.byteSize() - pos;
            if (count < 0 || count > remaining / minBytesEach) {
                throw new GgufFormatException(path, "corrupt header: " + Long.toUnsignedString(count) + " " + what
                        + " cannot fit in the remaining " + remaining + " bytes");
            }
        }

        int i32(String what) {
            need(4, what);
            int v = seg.get(INT, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(LONG, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = u64("length of " + what);
            if (len < 0 || len > seg.byteSize() - pos) {
                throw new GgufFormatException(path, "corrupt " + what + ": length " + Long.toUnsignedString(len)
                        + " at byte " + (pos - 8) + " exceeds the file");
            }
            need(len, what);
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new GgufFormatException(path, "invalid UTF-8 in " + what, e);
            }
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            return switch (type) {
                case UINT8 -> { need(1, key); long v = seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; yield new GgufValue(type, null, v); }
                case INT8 -> { need(1, key); long v = seg.get(ValueLayout.JAVA_BYTE, pos++); yield new GgufValue(type, null, v); }
                case UINT16 -> { need(2, key); long v = seg.get(SHORT, pos) & 0xFFFF; pos += 2; yield new GgufValue(type, null, v); }
                case INT16 -> { need(2, key); long v = seg.get(SHORT, pos); pos += 2; yield new GgufValue(type, null, v); }
                case UINT32 -> new GgufValue(type, null, i32(key) & 0xFFFFFFFFL);
                case INT32 -> new GgufValue(type, null, (long) i32(key));
                case UINT64, INT64 -> new GgufValue(type, null, u64(key));
                case FLOAT32 -> { need(4, key); float v = seg.get(FLOAT, pos); pos += 4; yield new GgufValue(type, null, v); }
                case FLOAT64 -> { need(8, key); double v = seg.get(DOUBLE, pos); pos += 8; yield new GgufValue(type, null, v); }
                case BOOL -> {
                    need(1, key);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    yield new GgufValue(type, null, b != 0);
                }
                case STRING -> new GgufValue(type, null, string("value of '" + key + "'"));
                case ARRAY -> array(key, depth);
            };
        }

        private static int minSize(GgufValueType t) {
            return switch (t) {
                case UINT8, INT8, BOOL -> 1;
                case UINT16, INT16 -> 2;
                case UINT32, INT32, FLOAT32 -> 4;
                case UINT64, INT64, FLOAT64, STRING -> 8;
                case ARRAY -> 12;
            };
        }

        private GgufValue array(String key, int depth) {
            if (depth >= MAX_ARRAY_NESTING) {
                throw new GgufFormatException(path, "metadata key '" + key + "' nests arrays deeper than " + MAX_ARRAY_NESTING);
            }
            int typeId = i32("array type of '" + key + "'");
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) {
                throw new GgufFormatException(path, "metadata key '" + key + "' is an array of unknown type " + typeId);
            }
            long n = u64("array length of '" + key + "'");
            long remaining = seg.byteSize() - pos;
            if (n < 0 || n > remaining / minSize(et) || n > Integer.MAX_VALUE - 8) {
                throw new GgufFormatException(path, "metadata key '" + key + "' claims " + Long.toUnsignedString(n)
                        + " array elements of " + et + ", more than the remaining " + remaining + " bytes can hold");
            }
            int len = (int) n;
            Object arr = switch (et) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Long) value(et, key, depth + 1).value();
                    }
                    yield a;
                }
                case FLOAT32 -> {
                    need(4L * len, key);
                    float[] a = seg.asSlice(pos, 4L * len).toArray(FLOAT);
                    pos += 4L * len;
                    yield a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Double) value(et, key, depth + 1).value();
                    }
                    yield a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = (Boolean) value(et, key, depth + 1).value();
                    }
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = string("element " + i + " of '" + key + "'");
                    }
                    yield a;
                }
                case ARRAY -> {
                    GgufValue[] a = new GgufValue[len];
                    for (int i = 0; i < len; i++) {
                        a[i] = array(key, depth + 1);
                    }
                    yield a;
                }
            };
            return new GgufValue(GgufValueType.ARRAY, et, arr);
        }
    }
}
