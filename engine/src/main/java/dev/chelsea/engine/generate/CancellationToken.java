package dev.chelsea.engine.generate;

/** Lets another thread stop a running generation; it stops before the next token. */
public final class CancellationToken {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
