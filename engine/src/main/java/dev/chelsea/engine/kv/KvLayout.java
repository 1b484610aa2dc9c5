package dev.chelsea.engine.kv;

/** Shape of a model's KV cache: per layer, {@code kvHeads} heads of {@code headDim} values for keys and for values. */
public record KvLayout(int layers, int kvHeads, int headDim) {
    public KvLayout {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("invalid KV layout " + layers + "x" + kvHeads + "x" + headDim);
        }
    }

    /** Floats for the keys (or the values) of one token in one layer. */
    public int rowFloats() {
        return kvHeads * headDim;
    }

    /** Bytes for keys and values of one uncompressed token across all layers (float32 storage). */
    public long bytesPerToken() {
        return 2L * layers * kvHeads * headDim * Float.BYTES;
    }
}
