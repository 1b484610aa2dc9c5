package dev.chelsea.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Writes a vocabulary-only GGUF v3 file (metadata, no tensors) for tests of hand-made vocabularies. */
final class TinyGguf {
    private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

    private final List<Consumer<Out>> entries = new ArrayList<>();

    TinyGguf string(String key, String value) {
        entries.add(o -> o.key(key).u32(STRING).str(value));
        return this;
    }

    TinyGguf uint32(String key, long value) {
        entries.add(o -> o.key(key).u32(UINT32).u32((int) value));
        return this;
    }

    TinyGguf bool(String key, boolean value) {
        entries.add(o -> o.key(key).u32(BOOL).u8(value ? 1 : 0));
        return this;
    }

    TinyGguf strings(String key, String... values) {
        entries.add(o -> {
            o.key(key).u32(ARRAY).u32(STRING).u64(values.length);
            for (String v : values) {
                o.str(v);
            }
        });
        return this;
    }

    TinyGguf floats(String key, float... values) {
        entries.add(o -> {
            o.key(key).u32(ARRAY).u32(FLOAT32).u64(values.length);
            for (float v : values) {
                o.f32(v);
            }
        });
        return this;
    }

    TinyGguf int32s(String key, int... values) {
        entries.add(o -> {
            o.key(key).u32(ARRAY).u32(INT32).u64(values.length);
            for (int v : values) {
                o.u32(v);
            }
        });
        return this;
    }

    Path write(Path file) {
        Out o = new Out();
        o.u32(0x46554747).u32(3).u64(0).u64(entries.size());
        entries.forEach(e -> e.accept(o));
        try {
            Files.write(file, o.bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static final class Out {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Out u8(int v) {
            bytes.write(v);
            return this;
        }

        Out u32(int v) {
            bytes.write(buf.clear().putInt(v).array(), 0, 4);
            return this;
        }

        Out u64(long v) {
            bytes.write(buf.clear().putLong(v).array(), 0, 8);
            return this;
        }

        Out f32(float v) {
            bytes.write(buf.clear().putFloat(v).array(), 0, 4);
            return this;
        }

        Out str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes.writeBytes(b);
            return this;
        }

        Out key(String k) {
            return str(k);
        }
    }
}
