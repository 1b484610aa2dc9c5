package dev.chelsea.engine.generate;

import dev.chelsea.engine.kv.KvStats;
import dev.chelsea.engine.model.Bytes;

/**
 * Per-request figures: token counts, prefill and decode speed, and what the KV cache held.
 *
 * @param cachedTokens prompt tokens whose KV cache came from a prompt cache instead of being read
 * @param prefillNanos from the start of the request to the logits of the first new token (the
 *                     time to first token, copying a cached prefix included)
 */
public record GenerationStats(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos, KvStats kv,
                              int cachedTokens) {

    public GenerationStats(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos, KvStats kv) {
        this(promptTokens, generatedTokens, prefillNanos, decodeNanos, kv, 0);
    }

    /** Prompt tokens read per second; those that came from the prompt cache were not read and do not count. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : (promptTokens - cachedTokens) * 1e9 / prefillNanos;
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
        String cached = cachedTokens == 0 ? "" : " (" + cachedTokens + " from the prompt cache)";
        return String.format(java.util.Locale.ROOT, "prompt %d tokens%s, %.1f tokens/s prefill; generated %d tokens, %.1f tokens/s decode%s",
                promptTokens, cached, prefillTokensPerSecond(), generatedTokens, decodeTokensPerSecond(), cache);
    }
}
