package dev.chelsea.engine.generate;

/**
 * How the next token is chosen. Temperature 0 is greedy and deterministic; otherwise the same seed
 * gives the same tokens for the same prompt and settings.
 *
 * @param topK              keep the k most likely tokens (0 = off)
 * @param topP              keep the smallest set whose probability reaches p (1 = off)
 * @param minP              drop tokens below {@code minP * p(most likely)} (0 = off)
 * @param repetitionPenalty divide positive logits (multiply negative ones) of recent tokens (1 = off)
 * @param repetitionWindow  how many recent tokens the penalty looks at
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             int repetitionWindow, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0f, 0, 1f, 0f, 1f, 64, 0);

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be a finite number > 0, got " + repetitionPenalty);
        }
        if (repetitionWindow < 0) {
            throw new IllegalArgumentException("repetition window must be >= 0, got " + repetitionWindow);
        }
    }

    /** Common defaults for chat: temperature 0.7, top-p 0.9, top-k 40, min-p 0.05. */
    public static SamplingParams chatDefaults(long seed) {
        return new SamplingParams(0.7f, 40, 0.9f, 0.05f, 1.0f, 64, seed);
    }
}
