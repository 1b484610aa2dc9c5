package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Bytes;

/** Per-request figures: token counts, prefill and decode speed, and what the KV cache held. */
public record GenerationStats(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos, KvStats kv) {

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
    }

    /** Tokens per second after the first one (which comes out of the prefill). */
    public double decodeTokensPerSecond() {
        int decoded = Math.max(0, generatedTokens - 1);
        return decodeNanos == 0 ? 0 : decoded * 1e9 / decodeNanos;
    }

    @Override
    public String toString() {
        String cache = kv == null ? "" : String.format("; KV cache %s for %d tokens (%.0f%% below a full cache)",
                Bytes.human(kv.totalBytes()), kv.tokens(), 100 * kv.savedFraction());
        return String.format(java.util.Locale.ROOT, "prompt %d tokens, %.1f tokens/s prefill; generated %d tokens, %.1f tokens/s decode%s",
                promptTokens, prefillTokensPerSecond(), generatedTokens, decodeTokensPerSecond(), cache);
    }
}
