package dev.chelsea.engine.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds GGUF bytes by hand, including deliberately broken ones. */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    RawGguf u32(long v) {
        return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    RawGguf u64(long v) {
        return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    RawGguf f32(float v) {
        return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
    }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        return bytes(b);
    }

    RawGguf bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    RawGguf header(int version, long tensors, long kvs) {
        return u32(GgufFile.MAGIC).u32(version).u64(tensors).u64(kvs);
    }

    RawGguf kvString(String key, String value) {
        return str(key).u32(GgufValueType.STRING.ordinal()).str(value);
    }

    RawGguf kvU32(String key, long value) {
        return str(key).u32(GgufValueType.UINT32.ordinal()).u32(value);
    }

    RawGguf tensorInfo(String name, long[] shape, int type, long offset) {
        str(name).u32(shape.length);
        for (long d : shape) {
            u64(d);
        }
        return u32(type).u64(offset);
    }

    RawGguf padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] build() {
        return out.toByteArray();
    }
}
