package dev.chelsea.langchain4j;

import dev.chelsea.engine.model.Bytes;
import dev.chelsea.engine.model.Session;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The KV budget of one memory pool (the JVM heap, or one GPU's memory), shared by every model and
 * request that allocates there. A request reserves what it can hold at most ({@link KvDemand})
 * before it is queued, and gives it back when it ends; a request that does not fit is refused at
 * once with {@link ChelseaMemoryFullException} (a 503 with {@code Retry-After} over HTTP), so that
 * memory runs out here, as a clear refusal, and never as an {@code OutOfMemoryError} in a kernel.
 */
public final class KvMemory {
    private final String name;
    private volatile long budget;
    private volatile String source;
    private long reserved;
    private final Set<Reservation> live = ConcurrentHashMap.newKeySet();

    /**
     * @param name   the pool, for messages and metrics: {@code heap}, or the device
     * @param budget bytes requests may reserve
     * @param source how the budget was set, for messages ({@code 0.5 of the 4 GiB maximum heap})
     */
    public KvMemory(String name, long budget, String source) {
        this.name = name;
        setBudget(budget, source);
    }

    /** Changes the budget; reservations held keep their bytes. */
    public synchronized void setBudget(long budget, String source) {
        if (budget <= 0) {
            throw new IllegalArgumentException("a KV budget must be positive, got " + budget);
        }
        this.budget = budget;
        this.source = source;
    }

    public String name() {
        return name;
    }

    /** Bytes requests may reserve. */
    public long budget() {
        return budget;
    }

    /** How the budget was set. */
    public String source() {
        return source;
    }

    /** Bytes reserved by requests running or waiting now. */
    public synchronized long reserved() {
        return reserved;
    }

    /** Bytes the KV caches of running requests hold now (at most what they reserved). */
    public long inUse() {
        long sum = 0;
        for (Reservation r : live) {
            sum += r.held();
        }
        return sum;
    }

    /**
     * Reserves {@code bytes} for a request of {@code model}.
     *
     * @throws ChelseaMemoryFullException when the budget cannot hold them now
     */
    public synchronized Reservation reserve(long bytes, String model) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot reserve " + bytes + " bytes");
        }
        if (reserved + bytes > budget) {
            if (bytes > budget) {
                throw new ChelseaMemoryFullException("a request to model '" + model + "' needs up to " + Bytes.human(bytes)
                        + " of KV cache, more than the whole KV budget of the " + name + " (" + Bytes.human(budget) + ", " + source
                        + "): lower max_tokens or shorten the conversation");
            }
            throw new ChelseaMemoryFullException("model '" + model + "' is busy: this request needs up to " + Bytes.human(bytes)
                    + " of KV cache and the requests running and waiting hold " + Bytes.human(reserved) + " of the "
                    + Bytes.human(budget) + " KV budget of the " + name + " (" + source + "); retry later");
        }
        reserved += bytes;
        Reservation r = new Reservation(bytes);
        live.add(r);
        return r;
    }

    private synchronized void release(Reservation r) {
        reserved -= r.bytes;
        live.remove(r);
    }

    /**
     * What one model may hold of this budget at once: {@code concurrent} requests of up to
     * {@code steadyBytes} each (a short prompt over the whole context), and one request whose
     * prompt fills the context, {@code longestBytes}.
     */
    public record Claim(String model, int concurrent, long steadyBytes, long longestBytes, int contextLength, String policy) {
    }

    /**
     * Why {@code claims} (every model that allocates from this pool) cannot all run at once within
     * the budget, with the numbers; null when they can. Said in neutral terms: callers add the
     * settings to change.
     */
    public String overcommit(java.util.List<Claim> claims) {
        long total = 0;
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (Claim c : claims) {
            total += c.concurrent() * c.steadyBytes();
            parts.add((claims.size() > 1 ? "model '" + c.model() + "': " : "") + c.concurrent() + " x " + Bytes.human(c.steadyBytes())
                    + " (context " + c.contextLength() + ", KV policy " + c.policy() + ")");
        }
        long budget = this.budget;
        // one request that can never fit is the first thing to fix: its context
        for (Claim c : claims) {
            if (c.longestBytes() > budget) {
                return "one request to model '" + c.model() + "' whose prompt fills its context of " + c.contextLength() + " tokens needs "
                        + Bytes.human(c.longestBytes()) + " of KV cache and scratch (a prompt is read over its full KV before any policy "
                        + "compresses it), more than the " + Bytes.human(budget) + " KV budget of the " + name + " (" + source
                        + "): use a shorter context or a larger budget";
            }
        }
        if (total > budget) {
            return "the requests that may run at once need up to " + Bytes.human(total) + " of KV cache and scratch ("
                    + String.join(", ", parts) + "), more than the " + Bytes.human(budget) + " KV budget of the " + name + " ("
                    + source + "): allow fewer concurrent requests, a shorter context or a compressing KV policy, or a larger budget";
        }
        return null;
    }

    @Override
    public String toString() {
        return "KV budget of the " + name + ": " + Bytes.human(budget) + " (" + source + ")";
    }

    /** Bytes held for one request; closing gives them back (once). */
    public final class Reservation implements AutoCloseable {
        private final long bytes;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile Session session;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        public long bytes() {
            return bytes;
        }

        /** The session whose KV cache this request fills, for {@link KvMemory#inUse()}; null when it ends. */
        void track(Session s) {
            session = s;
        }

        /** Bytes the tracked session's KV cache holds now; read from another thread, so a best effort. */
        long held() {
            Session s = session;
            if (s == null) {
                return 0;
            }
            try {
                return s.cache().stats().totalBytes();
            } catch (RuntimeException racedWithClose) {
                return 0;
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                session = null;
                release(this);
            }
        }
    }
}
