package dev.chelsea.engine.gguf;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file. {@code shape[0]} is the innermost (contiguous) dimension, as in ggml:
 * a weight matrix with {@code shape = [cols, rows]} stores {@code rows} rows of {@code cols} values.
 *
 * @param data the tensor's bytes, a slice of the memory-mapped file (never copied)
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset, long elements, MemorySegment data) {

    public int rows() {
        long r = 1;
        for (int i = 1; i < shape.length; i++) {
            r *= shape[i];
        }
        return Math.toIntExact(r);
    }

    public int cols() {
        return Math.toIntExact(shape[0]);
    }

    public long byteSize() {
        return data.byteSize();
    }
}
