package dev.chelsea.engine.generate;

/** The text generated for one request (stop strings removed), its tokens, why it ended, and statistics. */
public record GenerationResult(String text, int[] tokens, StopReason stopReason, GenerationStats stats) {
}
