package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Bytes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options of one command: {@code --name value} pairs and {@code --flag}s. Unknown options, missing
 * values and malformed numbers are {@link UsageException}s naming the option.
 */
final class Args {
    private final Map<String, List<String>> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    static Args parse(String[] argv, int from, Set<String> valueOptions, Set<String> flagOptions) {
        Args a = new Args();
        for (int i = from; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flagOptions.contains(name)) {
                if (inline != null) {
                    throw new UsageException("option --" + name + " takes no value");
                }
                a.flags.add(name);
            } else if (valueOptions.contains(name)) {
                String v = inline;
                if (v == null) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException("option --" + name + " needs a value");
                    }
                    v = argv[++i];
                }
                a.values.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
            } else {
                throw new UsageException("unknown option --" + name);
            }
        }
        return a;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name, String def) {
        List<String> v = values.get(name);
        return v == null ? def : v.getLast();
    }

    String require(String name) {
        String v = string(name, null);
        if (v == null) {
            throw new UsageException("option --" + name + " is required");
        }
        return v;
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    int integer(String name, int def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs an integer, got '" + v + "'");
        }
    }

    long longValue(String name, long def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs an integer, got '" + v + "'");
        }
    }

    /** A size in bytes: {@code 4096}, {@code 512M}, {@code 2G} ({@link Bytes#parse}). */
    long bytes(String name, long def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        try {
            return Bytes.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException("option --" + name + " needs a size (512M, 2G), got '" + v + "'");
        }
    }

    double number(String name, double def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (Double.isNaN(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs a number, got '" + v + "'");
        }
    }
}
