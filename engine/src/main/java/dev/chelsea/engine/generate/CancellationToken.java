package dev.chelsea.engine.generate;

/**
 * Lets another thread stop a running generation, and a request stop itself at a deadline; either
 * way it stops before the next token ({@link #cause()} tells which).
 */
public final class CancellationToken {
    private static final long NO_DEADLINE = Long.MIN_VALUE;

    private volatile boolean cancelled;
    private final long deadlineNanos;

    /** A token without a deadline: only {@link #cancel()} stops the generation. */
    public CancellationToken() {
        this.deadlineNanos = NO_DEADLINE;
    }

    private CancellationToken(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A token that also counts as cancelled once {@link System#nanoTime()} reaches {@code deadlineNanos}. */
    public static CancellationToken withDeadline(long deadlineNanos) {
        return new CancellationToken(deadlineNanos == NO_DEADLINE ? NO_DEADLINE + 1 : deadlineNanos);
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled || deadlinePassed();
    }

    /** Whether this token has a deadline and it has passed. */
    public boolean deadlinePassed() {
        return deadlineNanos != NO_DEADLINE && System.nanoTime() - deadlineNanos >= 0;
    }

    /** Whether this token has a deadline. */
    public boolean hasDeadline() {
        return deadlineNanos != NO_DEADLINE;
    }

    /** Nanoseconds left before the deadline (negative once it passed); {@link Long#MAX_VALUE} without one. */
    public long nanosLeft() {
        return deadlineNanos == NO_DEADLINE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
    }

    /**
     * Why a generation checking this token stops: {@link StopReason#CANCELLED} when {@link #cancel()}
     * was called (that wins over a deadline), {@link StopReason#DEADLINE} when the deadline passed,
     * null when neither happened.
     */
    public StopReason cause() {
        return cancelled ? StopReason.CANCELLED : deadlinePassed() ? StopReason.DEADLINE : null;
    }
}
