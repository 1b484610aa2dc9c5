package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.TokenConstraint;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The output constraints (JSON and tool-call grammars) of one loaded model, by a key that names
 * everything they were built from, so that a schema is compiled once and its masks, which each
 * constraint keeps per grammar state, serve every later request. The least recently used are
 * dropped beyond {@value #CAPACITY}: a constraint holds at most 32 MB of masks (a few MB for a
 * typical schema on a 128K vocabulary), and services send a handful of schemas, not hundreds.
 */
final class ConstraintCache {
    static final int CAPACITY = 16;

    private final Map<String, TokenConstraint> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TokenConstraint> eldest) {
            return size() > CAPACITY;
        }
    };

    /** The constraint for {@code key}, built (outside the lock; a rare race builds it twice) when missing. */
    TokenConstraint get(String key, Supplier<? extends TokenConstraint> build) {
        synchronized (entries) {
            TokenConstraint c = entries.get(key);
            if (c != null) {
                return c;
            }
        }
        TokenConstraint c = build.get();
        synchronized (entries) {
            TokenConstraint raced = entries.putIfAbsent(key, c);
            return raced != null ? raced : c;
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
