package dev.chelsea.engine.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as people read them. */
public final class Bytes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(IB|B)?");

    private Bytes() {
    }

    /**
     * A size as an operator writes it: a whole number of bytes, or with a binary suffix
     * {@code K}, {@code M}, {@code G} or {@code T} (optionally followed by {@code B} or {@code iB},
     * any case): {@code 4096}, {@code 512M}, {@code 2G}, {@code 1.5GiB}. Fails on anything else.
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim().toUpperCase(Locale.ROOT));
        if (m.matches() && !(m.group(2).isEmpty() && (m.group(1).contains(".") || "IB".equals(m.group(3))))) {
            double bytes = Double.parseDouble(m.group(1)) * Math.pow(1024, "_KMGT".indexOf(m.group(2).isEmpty() ? "_" : m.group(2)));
            if (bytes < Long.MAX_VALUE) {
                return (long) bytes;
            }
        }
        throw new IllegalArgumentException("a size must be a number of bytes or a number with K, M, G or T (512M, 2G), got '" + text + "'");
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}, {@code 1.22 GiB}. */
    public static String human(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }
}
