package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.json.Json;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * JSON as chat templates print it: Python's {@code json.dumps(x, ensure_ascii=False)} (what the
 * {@code tojson} filter of Hugging Face transformers and of llama.cpp's template engine call),
 * with {@code ", "} and {@code ": "} between items, or Python's layout for {@code indent=n};
 * non-ASCII characters as they are, floats as Python's {@code repr} writes them.
 */
final class TemplateJson {
    private TemplateJson() {
    }

    static String dumps(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, -1, 0, b);
        return b.toString();
    }

    static String dumps(Object value, int indent) {
        StringBuilder b = new StringBuilder();
        write(value, indent, 0, b);
        return b.toString();
    }

    /** Arguments JSON text as a template prints it: parsed and dumped, or as a JSON string if it does not parse. */
    static String arguments(String json) {
        Object v;
        try {
            v = Json.parse(json);
        } catch (IllegalArgumentException e) {
            return dumps(json);
        }
        return dumps(v);
    }

    private static void write(Object v, int indent, int level, StringBuilder b) {
        switch (v) {
            case null -> b.append("null");
            case String s -> string(s, b);
            case Boolean x -> b.append(x);
            case Long x -> b.append(x);
            case Integer x -> b.append(x);
            case Short x -> b.append(x);
            case Byte x -> b.append(x);
            case BigDecimal x -> b.append(x.stripTrailingZeros().scale() <= 0 && x.abs().compareTo(BigDecimal.valueOf(1e16)) < 0
                    ? x.toBigInteger().toString() : floatRepr(x.doubleValue()));
            case Number x -> b.append(floatRepr(x.doubleValue()));
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    separate(first, indent, level + 1, b);
                    first = false;
                    string(String.valueOf(e.getKey()), b);
                    b.append(": ");
                    write(e.getValue(), indent, level + 1, b);
                }
                close(indent, level, b);
                b.append('}');
            }
            case List<?> l -> {
                if (l.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                for (int k = 0; k < l.size(); k++) {
                    separate(k == 0, indent, level + 1, b);
                    write(l.get(k), indent, level + 1, b);
                }
                close(indent, level, b);
                b.append(']');
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void separate(boolean first, int indent, int level, StringBuilder b) {
        if (indent < 0) {
            if (!first) {
                b.append(", ");
            }
            return;
        }
        if (!first) {
            b.append(',');
        }
        b.append('\n').append(" ".repeat(indent * level));
    }

    private static void close(int indent, int level, StringBuilder b) {
        if (indent >= 0) {
            b.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Python's {@code repr(float)}: shortest digits, plain between 1e-4 and 1e16, else {@code 1.5e+16}. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal x = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        int exponent = x.precision() - x.scale() - 1;
        if (exponent >= -4 && exponent < 16) {
            String plain = x.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = x.unscaledValue().abs().toString();
        StringBuilder b = new StringBuilder(d < 0 ? "-" : "");
        b.append(digits.charAt(0));
        if (digits.length() > 1) {
            b.append('.').append(digits, 1, digits.length());
        }
        b.append('e').append(exponent < 0 ? '-' : '+');
        int e = Math.abs(exponent);
        if (e < 10) {
            b.append('0');
        }
        return b.append(e).toString();
    }
}
