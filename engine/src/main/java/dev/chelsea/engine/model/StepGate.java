package dev.chelsea.engine.model;

import java.util.function.Supplier;

/**
 * What a model's sessions run on its backend (steps, compressions, freeing a sequence), counted
 * so that {@link Model#close} can wait for them: the CPU kernels read the mapped file by address
 * with no check that it is still mapped, and the CUDA backend frees its weights and context, so
 * the backend is closed only after the last operation has ended, and one after that is refused.
 */
final class StepGate {
    static final String CLOSED = "the model is closed";

    private int inFlight;
    private boolean closed;

    /** Runs {@code work} unless the model is closed, which it refuses with {@value #CLOSED}. */
    <T> T run(Supplier<T> work) {
        if (!tryEnter()) {
            throw new IllegalStateException(CLOSED);
        }
        try {
            return work.get();
        } finally {
            exit();
        }
    }

    void run(Runnable work) {
        run(() -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code work} unless the model is closed (a closed backend has freed what it would free). */
    void runIfOpen(Runnable work) {
        if (tryEnter()) {
            try {
                work.run();
            } finally {
                exit();
            }
        }
    }

    private synchronized boolean tryEnter() {
        if (closed) {
            return false;
        }
        inFlight++;
        return true;
    }

    private synchronized void exit() {
        if (--inFlight == 0) {
            notifyAll();
        }
    }

    /**
     * Refuses later operations and waits for those in flight (each a forward pass or a compression:
     * milliseconds to a few seconds), through interrupts. Returns false when already closed.
     */
    boolean close() {
        boolean interrupted = false;
        try {
            synchronized (this) {
                if (closed) {
                    return false;
                }
                closed = true;
                while (inFlight > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                return true;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
