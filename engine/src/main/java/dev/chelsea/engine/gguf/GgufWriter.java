package dev.chelsea.engine.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a GGUF v3 file. Usage has two phases: first metadata ({@link #put} and the typed
 * helpers) and tensor declarations ({@link #addTensor}); then tensor data, written straight to
 * the file at each tensor's offset ({@link #writeTensorData}), so a file of several GB never
 * sits in memory. The header is written when the first data arrives (or at {@link #close}).
 *
 * <p>Data writes are positional and thread-safe: several threads may fill different tensors,
 * or different parts of one tensor, at once. {@link #close} checks that every tensor received
 * exactly its size in bytes; if not, it deletes the incomplete file and throws.
 *
 * <p>Tensor data is aligned to {@code general.alignment} (a UINT32 power of two; 32 when
 * absent), as readers expect. Metadata values are {@link GgufValue}s, so metadata read from one
 * file can be copied into another unchanged ({@link #putAll}).
 */
public final class GgufWriter implements AutoCloseable {
    public static final int VERSION = 3;
    /** ggml's GGML_MAX_NAME: names must fit in 64 bytes including the terminating NUL. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;

    private final Path path;
    private final FileChannel channel;
    private final LinkedHashMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final LinkedHashMap<String, PendingTensor> tensors = new LinkedHashMap<>();
    private long dataStart = -1;
    private int alignment;
    private boolean closed;

    private static final class PendingTensor {
        final String name;
        final GgmlType type;
        final long[] shape;
        final long bytes;
        long offset;
        final AtomicLong written = new AtomicLong();

        PendingTensor(String name, GgmlType type, long[] shape, long bytes) {
            this.name = name;
            this.type = type;
            this.shape = shape;
            this.bytes = bytes;
        }
    }

    private GgufWriter(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Creates (or truncates) {@code path}. */
    public static GgufWriter create(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.READ);
            return new GgufWriter(path, ch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create GGUF file " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    // ---- metadata --------------------------------------------------------------------------

    /** Sets {@code key}; a key set twice keeps its first position and its last value. */
    public GgufWriter put(String key, GgufValue value) {
        requireHeaderOpen("metadata '" + key + "'");
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata key is empty");
        }
        if (value == null) {
            throw new IllegalArgumentException("metadata '" + key + "' has no value");
        }
        validate(key, value, 0);
        metadata.put(key, value);
        return this;
    }

    /** Copies every entry, e.g. {@code putAll(otherFile.metadata().entries())}. */
    public GgufWriter putAll(Map<String, GgufValue> entries) {
        entries.forEach(this::put);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, new GgufValue(GgufValueType.STRING, null, value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, new GgufValue(GgufValueType.UINT32, null, value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, new GgufValue(GgufValueType.INT32, null, (long) value));
    }

    public GgufWriter putUInt64(String key, long value) {
        return put(key, new GgufValue(GgufValueType.UINT64, null, value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new GgufValue(GgufValueType.FLOAT32, null, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new GgufValue(GgufValueType.BOOL, null, value));
    }

    public GgufWriter putStringArray(String key, String[] values) {
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, values));
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, values));
    }

    public GgufWriter putInt32Array(String key, long[] values) {
        return put(key, new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, values));
    }

    /** The metadata set so far, in file order. */
    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    private void validate(String key, GgufValue v, int depth) {
        GgufValueType t = v.type();
        if (t == null) {
            throw new IllegalArgumentException("metadata '" + key + "' has no type");
        }
        if (t == GgufValueType.ARRAY) {
            validateArray(key, v, depth);
            return;
        }
        Object o = v.value();
        boolean ok = switch (t) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> isIntegral(o) && inRange(t, ((Number) o).longValue());
            case FLOAT32 -> o instanceof Float;
            case FLOAT64 -> o instanceof Double || o instanceof Float;
            case BOOL -> o instanceof Boolean;
            case STRING -> o instanceof String;
            case ARRAY -> throw new AssertionError();
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata '" + key + "' of type " + t + " cannot hold "
                    + (o == null ? "null" : o.getClass().getSimpleName() + " " + o));
        }
    }

    private void validateArray(String key, GgufValue v, int depth) {
        if (depth >= MAX_ARRAY_NESTING) {
            throw new IllegalArgumentException("metadata '" + key + "' nests arrays deeper than " + MAX_ARRAY_NESTING);
        }
        GgufValueType et = v.elementType();
        if (et == null) {
            throw new IllegalArgumentException("metadata '" + key + "' is an array without an element type");
        }
        Object o = v.value();
        boolean ok = switch (et) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                if (o instanceof long[] a) {
                    for (int i = 0; i < a.length; i++) {
                        if (!inRange(et, a[i])) {
                            throw new IllegalArgumentException("metadata '" + key + "' element " + i + " = " + a[i]
                                    + " does not fit " + et);
                        }
                    }
                    yield true;
                }
                yield false;
            }
            case FLOAT32 -> o instanceof float[];
            case FLOAT64 -> o instanceof double[];
            case BOOL -> o instanceof boolean[];
            case STRING -> {
                if (o instanceof String[] a) {
                    for (int i = 0; i < a.length; i++) {
                        if (a[i] == null) {
                            throw new IllegalArgumentException("metadata '" + key + "' element " + i + " is null");
                        }
                    }
                    yield true;
                }
                yield false;
            }
            case ARRAY -> {
                if (o instanceof GgufValue[] a) {
                    for (GgufValue inner : a) {
                        if (inner == null || inner.type() != GgufValueType.ARRAY) {
                            throw new IllegalArgumentException("metadata '" + key + "' is an array of arrays with a non-array element");
                        }
                        validateArray(key, inner, depth + 1);
                    }
                    yield true;
                }
                yield false;
            }
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata '" + key + "' is an array of " + et + " but holds "
                    + (o == null ? "null" : o.getClass().getSimpleName()));
        }
    }

    private static boolean isIntegral(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte;
    }

    private static boolean inRange(GgufValueType t, long v) {
        return switch (t) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFFFFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            default -> true; // 64-bit: UINT64 values above Long.MAX_VALUE are held as negative longs
        };
    }

    // ---- tensors ---------------------------------------------------------------------------

    /**
     * Declares a tensor; {@code shape[0]} is the contiguous dimension (ggml order), so a matrix of
     * {@code rows} rows of {@code cols} values is {@code addTensor(name, type, cols, rows)}.
     * Tensors are laid out in the order they are declared.
     */
    public GgufWriter addTensor(String name, GgmlType type, long... shape) {
        requireHeaderOpen("tensor '" + name + "'");
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name is empty");
        }
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + nameBytes + " bytes; at most "
                    + MAX_TENSOR_NAME_BYTES + " are allowed");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' is declared twice");
        }
        if (type == null) {
            throw new IllegalArgumentException("tensor '" + name + "' has no type");
        }
        if (shape == null || shape.length < 1 || shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1 to " + MAX_DIMS + " dimensions, got "
                    + (shape == null ? 0 : shape.length));
        }
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] <= 0 || shape[d] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor '" + name + "' has invalid dimension " + d + " = " + shape[d]);
            }
            elements = Math.multiplyExact(elements, shape[d]);
        }
        if (shape[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " has rows of " + shape[0]
                    + " values, not a multiple of the block size " + type.blockSize);
        }
        tensors.put(name, new PendingTensor(name, type, shape.clone(), type.byteSize(elements)));
        return this;
    }

    /** The size in bytes of a declared tensor's data. */
    public long tensorByteSize(String name) {
        return tensor(name).bytes;
    }

    /** Names of the declared tensors, in file order. */
    public List<String> tensorNames() {
        return new ArrayList<>(tensors.keySet());
    }

    private PendingTensor tensor(String name) {
        PendingTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + name + "' was not declared");
        }
        return t;
    }

    // ---- data ------------------------------------------------------------------------------

    /**
     * Writes the header (metadata and tensor infos) now; later {@link #put} and
     * {@link #addTensor} calls fail. Called implicitly by the first data write.
     */
    public synchronized void writeHeader() {
        if (dataStart >= 0) {
            return;
        }
        requireOpen();
        alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue a = metadata.get("general.alignment");
        if (a != null) {
            if (a.type() != GgufValueType.UINT32) {
                throw new IllegalStateException("general.alignment must be a UINT32, not " + a.type());
            }
            long v = ((Number) a.value()).longValue();
            if (v <= 0 || v > (1 << 20) || (v & (v - 1)) != 0) {
                throw new IllegalStateException("general.alignment = " + v + " is not a power of two");
            }
            alignment = (int) v;
        }
        long offset = 0;
        for (PendingTensor t : tensors.values()) {
            t.offset = offset;
            offset = GgufFile.align(offset + t.bytes, alignment);
        }
        try {
            HeaderOutput out = new HeaderOutput(channel);
            out.i32(GgufFile.MAGIC);
            out.i32(VERSION);
            out.i64(tensors.size());
            out.i64(metadata.size());
            for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
                out.string(e.getKey());
                out.i32(e.getValue().type().ordinal());
                writeValue(out, e.getValue());
            }
            for (PendingTensor t : tensors.values()) {
                out.string(t.name);
                out.i32(t.shape.length);
                for (long d : t.shape) {
                    out.i64(d);
                }
                out.i32(t.type.id);
                out.i64(t.offset);
            }
            long end = out.position();
            long aligned = GgufFile.align(end, alignment);
            for (long p = end; p < aligned; p++) {
                out.u8(0);
            }
            out.flush();
            dataStart = aligned;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write GGUF header to " + path + ": " + e.getMessage(), e);
        }
    }

    private static void writeValue(HeaderOutput out, GgufValue v) throws IOException {
        Object o = v.value();
        switch (v.type()) {
            case UINT8, INT8 -> out.u8((int) ((Number) o).longValue());
            case UINT16, INT16 -> out.i16((int) ((Number) o).longValue());
            case UINT32, INT32 -> out.i32((int) ((Number) o).longValue());
            case UINT64, INT64 -> out.i64(((Number) o).longValue());
            case FLOAT32 -> out.f32((Float) o);
            case FLOAT64 -> out.f64(((Number) o).doubleValue());
            case BOOL -> out.u8((Boolean) o ? 1 : 0);
            case STRING -> out.string((String) o);
            case ARRAY -> {
                GgufValueType et = v.elementType();
                out.i32(et.ordinal());
                out.i64(v.arrayLength());
                switch (et) {
                    case UINT8, INT8 -> {
                        for (long x : (long[]) o) {
                            out.u8((int) x);
                        }
                    }
                    case UINT16, INT16 -> {
                        for (long x : (long[]) o) {
                            out.i16((int) x);
                        }
                    }
                    case UINT32, INT32 -> {
                        for (long x : (long[]) o) {
                            out.i32((int) x);
                        }
                    }
                    case UINT64, INT64 -> {
                        for (long x : (long[]) o) {
                            out.i64(x);
                        }
                    }
                    case FLOAT32 -> {
                        for (float x : (float[]) o) {
                            out.f32(x);
                        }
                    }
                    case FLOAT64 -> {
                        for (double x : (double[]) o) {
                            out.f64(x);
                        }
                    }
                    case BOOL -> {
                        for (boolean x : (boolean[]) o) {
                            out.u8(x ? 1 : 0);
                        }
                    }
                    case STRING -> {
                        for (String x : (String[]) o) {
                            out.string(x);
                        }
                    }
                    case ARRAY -> {
                        for (GgufValue inner : (GgufValue[]) o) {
                            // nested arrays carry their own element type and length, not a value type
                            writeValue(out, inner);
                        }
                    }
                }
            }
        }
    }

    /**
     * Writes {@code data} (from its position to its limit) into tensor {@code name} at byte
     * {@code offsetInTensor}. Thread-safe; regions must not overlap.
     */
    public void writeTensorData(String name, long offsetInTensor, ByteBuffer data) {
        writeHeader();
        PendingTensor t = tensor(name);
        int n = data.remaining();
        if (offsetInTensor < 0 || offsetInTensor + n > t.bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + t.bytes + " bytes; cannot write " + n
                    + " bytes at offset " + offsetInTensor);
        }
        long pos = dataStart + t.offset + offsetInTensor;
        try {
            while (data.hasRemaining()) {
                pos += channel.write(data, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tensor '" + name + "' to " + path + ": " + e.getMessage(), e);
        }
        t.written.addAndGet(n);
    }

    /** Writes a whole tensor's data at once. */
    public void writeTensor(String name, ByteBuffer data) {
        long expected = tensor(name).bytes;
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + expected + " bytes, got " + data.remaining());
        }
        writeTensorData(name, 0, data);
    }

    /** Writes a whole tensor's data at once. */
    public void writeTensor(String name, byte[] data) {
        writeTensor(name, ByteBuffer.wrap(data));
    }

    /**
     * Finishes the file: writes the header if no data was written, pads the end to the
     * alignment, and checks that every tensor is complete. An incomplete file is deleted.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        RuntimeException failure = null;
        try {
            writeHeader();
            List<String> incomplete = new ArrayList<>();
            for (PendingTensor t : tensors.values()) {
                if (t.written.get() != t.bytes) {
                    incomplete.add(t.name + " (" + t.written.get() + " of " + t.bytes + " bytes)");
                }
            }
            if (!incomplete.isEmpty()) {
                failure = new IllegalStateException("GGUF file " + path + " is incomplete and was deleted; tensors missing data: "
                        + String.join(", ", incomplete.subList(0, Math.min(10, incomplete.size())))
                        + (incomplete.size() > 10 ? " and " + (incomplete.size() - 10) + " more" : ""));
            } else {
                long end = dataStart;
                for (PendingTensor t : tensors.values()) {
                    end = GgufFile.align(dataStart + t.offset + t.bytes, alignment);
                }
                // Gaps between tensors read back as zeros; the tail is padded explicitly so the
                // file ends on the alignment, as ggml's writer leaves it.
                if (channel.size() < end) {
                    ByteBuffer zeros = ByteBuffer.allocate((int) (end - channel.size()));
                    long pos = channel.size();
                    while (zeros.hasRemaining()) {
                        pos += channel.write(zeros, pos);
                    }
                }
            }
        } catch (IOException e) {
            failure = new UncheckedIOException("cannot finish GGUF file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = new UncheckedIOException("cannot close " + path + ": " + e.getMessage(), e);
                }
            }
        }
        if (failure != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("GGUF writer for " + path + " is closed");
        }
    }

    private void requireHeaderOpen(String what) {
        requireOpen();
        if (dataStart >= 0) {
            throw new IllegalStateException("cannot add " + what + ": the header of " + path + " is already written");
        }
    }

    /** Sequential little-endian output of the header through a fixed buffer. */
    private static final class HeaderOutput {
        private final FileChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        HeaderOutput(FileChannel channel) {
            this.channel = channel;
        }

        long position() {
            return flushed + buf.position();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                flushed += channel.write(buf, flushed);
            }
            buf.clear();
        }

        void u8(int v) throws IOException {
            room(1);
            buf.put((byte) v);
        }

        void i16(int v) throws IOException {
            room(2);
            buf.putShort((short) v);
        }

        void i32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void i64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
        }

        void f64(double v) throws IOException {
            room(8);
            buf.putDouble(v);
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            int off = 0;
            while (off < b.length) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }
    }
}
