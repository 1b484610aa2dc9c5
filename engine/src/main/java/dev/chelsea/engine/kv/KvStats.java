package dev.chelsea.engine.kv;

/**
 * What a cache holds and what compressing it cost.
 *
 * @param tokens            original tokens the cache stands for
 * @param slots             entries held, summed over layers (per KV head; equal across heads of a layer)
 * @param keyBytes          bytes of keys held
 * @param valueBytes        bytes of values held
 * @param metaBytes         bytes of per-entry bookkeeping (cluster sizes, positions)
 * @param peakBytes         the most {@link #totalBytes()} has been since the cache was created or cleared
 * @param uncompressedBytes bytes a full cache would hold for {@code tokens}
 * @param compressions      how many times the policy compressed
 * @param compressionNanos  time spent compressing, kept out of the decode figures
 */
public record KvStats(long tokens, long slots, long keyBytes, long valueBytes, long metaBytes, long peakBytes,
                      long uncompressedBytes, long compressions, long compressionNanos) {

    public long totalBytes() {
        return keyBytes + valueBytes + metaBytes;
    }

    /** Fraction of the full cache's memory saved (0 for the full cache). */
    public double savedFraction() {
        return uncompressedBytes == 0 ? 0 : 1.0 - (double) (keyBytes + valueBytes) / uncompressedBytes;
    }
}
