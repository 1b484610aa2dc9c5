package dev.chelsea.engine.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The key/value metadata of a GGUF file, with typed accessors that fail with the file and key named. */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, GgufValue> values;

    GgufMetadata(Path file, LinkedHashMap<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    public Path file() {
        return file;
    }

    public Set<String> keys() {
        return values.keySet();
    }

    /** All entries in file order. */
    public Map<String, GgufValue> entries() {
        return values;
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public GgufValue get(String key) {
        return values.get(key);
    }

    private GgufValue require(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new GgufFormatException(file, "missing metadata key '" + key + "'");
        }
        return v;
    }

    private GgufFormatException wrongType(String key, GgufValue v, String wanted) {
        return new GgufFormatException(file, "metadata key '" + key + "' is " + describe(v) + ", expected " + wanted);
    }

    private static String describe(GgufValue v) {
        return v.isArray() ? "an array of " + v.elementType() : "of type " + v.type();
    }

    public String getString(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof String s) {
            return s;
        }
        throw wrongType(key, v, "a string");
    }

    public String getString(String key, String defaultValue) {
        return contains(key) ? getString(key) : defaultValue;
    }

    public long getLong(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof Long l) {
            return l;
        }
        throw wrongType(key, v, "an integer");
    }

    public int getInt(String key) {
        long l = getLong(key);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new GgufFormatException(file, "metadata key '" + key + "' = " + l + " is out of range");
        }
        return (int) l;
    }

    public int getInt(String key, int defaultValue) {
        return contains(key) ? getInt(key) : defaultValue;
    }

    public float getFloat(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case Float f -> f;
            case Double d -> d.floatValue();
            case Long l -> l.floatValue();
            default -> throw wrongType(key, v, "a number");
        };
    }

    public float getFloat(String key, float defaultValue) {
        return contains(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        if (!contains(key)) {
            return defaultValue;
        }
        GgufValue v = require(key);
        if (v.value() instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, v, "a boolean");
    }

    public String[] getStringArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof String[] a) {
            return a;
        }
        throw wrongType(key, v, "an array of strings");
    }

    public float[] getFloatArray(String key) {
        GgufValue v = require(key);
        return switch (v.value()) {
            case float[] a -> a;
            case double[] a -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    f[i] = (float) a[i];
                }
                yield f;
            }
            case long[] a -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    f[i] = a[i];
                }
                yield f;
            }
            default -> throw wrongType(key, v, "an array of numbers");
        };
    }

    public int[] getIntArray(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof long[] a) {
            int[] r = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] < Integer.MIN_VALUE || a[i] > Integer.MAX_VALUE) {
                    throw new GgufFormatException(file, "metadata key '" + key + "' has an out-of-range element " + a[i]);
                }
                r[i] = (int) a[i];
            }
            return r;
        }
        throw wrongType(key, v, "an array of integers");
    }
}
