package dev.chelsea.engine.generate;

/** Why generation ended. */
public enum StopReason {
    /**
     * The model produced an end-of-turn or end-of-sequence token, or the request's constraint
     * finished its output (a JSON value closed, nothing may follow).
     */
    STOP_TOKEN,
    /** The output reached one of the request's stop strings (it is not included in the text). */
    STOP_STRING,
    /** The request's token limit was reached. */
    MAX_TOKENS,
    /** The context length was reached. */
    CONTEXT_FULL,
    /** Another thread cancelled the request. */
    CANCELLED
}
