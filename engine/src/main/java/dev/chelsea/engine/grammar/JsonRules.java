package dev.chelsea.engine.grammar;

import dev.chelsea.engine.grammar.GrammarBuilder.Rule;

import java.util.function.IntUnaryOperator;

/**
 * The JSON lexical rules every JSON grammar shares, made once per {@link GrammarBuilder}: bounded
 * whitespace, strings (valid UTF-8, JSON escapes, no lone surrogates), numbers, integers and
 * "any JSON value". Also the small fragment helpers the schema compiler and the tool-call
 * grammars write with.
 */
final class JsonRules {
    final GrammarBuilder builder;
    final JsonSchemaOptions options;
    private Rule ws;
    private Rule string;
    private Rule number;
    private Rule integer;
    private Rule anyValue;
    private Rule anyObject;
    private Rule anyArray;

    JsonRules(GrammarBuilder builder, JsonSchemaOptions options) {
        this.builder = builder;
        this.options = options;
    }

    /**
     * Whitespace between tokens: one space, or a line break and at most {@code maxIndent} spaces
     * or tabs. Unbounded runs would let a model idle in whitespace until the token limit.
     */
    Rule ws() {
        if (ws == null) {
            ws = builder.rule("whitespace");
            ws.finish(ws.literal(ws.start(), " "));
            int nl = ws.literal(ws.start(), "\n");
            ws.finish(upTo(ws, nl, options.maxIndent(), s -> {
                int t = ws.state();
                ws.range(s, ' ', ' ', t);
                ws.range(s, '\t', '\t', t);
                return t;
            }));
        }
        return ws;
    }

    /** Optional whitespace after {@code from}. */
    int optWs(Rule r, int from) {
        return r.optionalCall(from, ws());
    }

    /** A literal followed by optional whitespace. */
    int token(Rule r, int from, String literal) {
        return optWs(r, r.literal(from, literal));
    }

    Rule string() {
        if (string == null) {
            Rule r = builder.rule("string");
            int open = r.literal(r.start(), "\"");
            stringBody(r, open);
            r.finish(r.literal(open, "\""));
            string = r;
        }
        return string;
    }

    /** The characters of a JSON string, looping at {@code loop} (after the opening quote). */
    static void stringBody(Rule r, int loop) {
        r.range(loop, 0x20, 0x21, loop);
        r.range(loop, 0x23, 0x5B, loop);
        r.range(loop, 0x5D, 0x7F, loop);
        // UTF-8 sequences that decode to a scalar value (no overlong forms, no surrogates)
        r.range(r.range(loop, 0xC2, 0xDF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(loop, 0xE0, 0xE0), 0xA0, 0xBF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(loop, 0xE1, 0xEC), 0x80, 0xBF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(loop, 0xED, 0xED), 0x80, 0x9F), 0x80, 0xBF, loop);
        r.range(r.range(r.range(loop, 0xEE, 0xEF), 0x80, 0xBF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(r.range(loop, 0xF0, 0xF0), 0x90, 0xBF), 0x80, 0xBF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(r.range(loop, 0xF1, 0xF3), 0x80, 0xBF), 0x80, 0xBF), 0x80, 0xBF, loop);
        r.range(r.range(r.range(r.range(loop, 0xF4, 0xF4), 0x80, 0x8F), 0x80, 0xBF), 0x80, 0xBF, loop);
        int esc = r.literal(loop, "\\");
        for (char c : "\"\\/bfnrt".toCharArray()) {
            r.range(esc, c, c, loop);
        }
        // \\uXXXX, surrogates (D800-DFFF) excluded: a lone one is not text
        int u = r.literal(esc, "u");
        int plain = r.state();
        r.range(u, '0', '9', plain);
        r.range(u, 'a', 'c', plain);
        r.range(u, 'A', 'C', plain);
        r.range(u, 'e', 'f', plain);
        r.range(u, 'E', 'F', plain);
        int d = r.state();
        r.range(u, 'd', 'd', d);
        r.range(u, 'D', 'D', d);
        int third = r.state();
        hex(r, plain, third);
        r.range(d, '0', '7', third);
        hex(r, hex(r, third), loop);
    }

    private static int hex(Rule r, int from) {
        int to = r.state();
        hex(r, from, to);
        return to;
    }

    private static void hex(Rule r, int from, int to) {
        r.range(from, '0', '9', to);
        r.range(from, 'a', 'f', to);
        r.range(from, 'A', 'F', to);
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]{1,2})?}, digit runs bounded. */
    Rule number() {
        if (number == null) {
            Rule r = builder.rule("number");
            int i = integerPart(r);
            int frac = upTo(r, r.range(r.literal(i, "."), '0', '9'), options.maxFractionDigits() - 1, s -> r.range(s, '0', '9'));
            int mantissa = r.join(i, frac);
            int e = r.state();
            r.range(mantissa, 'e', 'e', e);
            r.range(mantissa, 'E', 'E', e);
            int sign = r.join(e, r.range(e, '+', '+'), r.range(e, '-', '-'));
            int exp = upTo(r, r.range(sign, '0', '9'), 1, s -> r.range(s, '0', '9'));
            r.finish(mantissa);
            r.finish(exp);
            number = r;
        }
        return number;
    }

    Rule integer() {
        if (integer == null) {
            Rule r = builder.rule("integer");
            r.finish(integerPart(r));
            integer = r;
        }
        return integer;
    }

    private int integerPart(Rule r) {
        int s = r.join(r.start(), r.literal(r.start(), "-"));
        int zero = r.literal(s, "0");
        int lead = r.range(s, '1', '9');
        return r.join(zero, upTo(r, lead, options.maxIntegerDigits() - 1, x -> r.range(x, '0', '9')));
    }

    /** Any JSON value. */
    Rule anyValue() {
        if (anyValue == null) {
            anyValue = builder.rule("any JSON value");
            Rule r = anyValue;
            int s = r.start();
            r.finish(r.call(s, anyObject()));
            r.finish(r.call(s, anyArray()));
            r.finish(r.call(s, string()));
            r.finish(r.call(s, number()));
            r.finish(r.literal(s, "true"));
            r.finish(r.literal(s, "false"));
            r.finish(r.literal(s, "null"));
        }
        return anyValue;
    }

    /** Any JSON object. */
    Rule anyObject() {
        if (anyObject == null) {
            anyObject = builder.rule("any JSON object");
            anyObject.finish(map(anyObject, anyObject.start(), (r, from) -> r.call(from, anyValue())));
        }
        return anyObject;
    }

    Rule anyArray() {
        if (anyArray == null) {
            anyArray = builder.rule("any JSON array");
            anyArray.finish(array(anyArray, anyArray.start(), (r, from) -> r.call(from, anyValue()), 0, -1));
        }
        return anyArray;
    }

    /** Writes a value fragment from a state; returns the state after it. */
    interface Fragment {
        int write(Rule r, int from);
    }

    /** {@code { "key": value, ... }} with free keys. */
    int map(Rule r, int from, Fragment value) {
        int open = token(r, from, "{");
        int entry = optWs(r, value.write(r, token(r, optWs(r, r.call(open, string())), ":")));
        int loop = r.join(entry);
        int next = optWs(r, value.write(r, token(r, optWs(r, r.call(token(r, loop, ","), string())), ":")));
        r.eps(next, loop);
        return r.join(r.literal(open, "}"), r.literal(loop, "}"));
    }

    /** {@code [ item, ... ]} with between {@code min} and {@code max} items ({@code max < 0}: no limit). */
    int array(Rule r, int from, Fragment item, int min, int max) {
        int open = token(r, from, "[");
        if (max == 0) {
            return r.literal(open, "]");
        }
        int first = optWs(r, item.write(r, open));
        int s = first;
        for (int k = 1; k < Math.max(min, 1); k++) {
            s = optWs(r, item.write(r, token(r, s, ",")));
        }
        int end;
        if (max < 0) {
            int loop = r.join(s);
            r.eps(optWs(r, item.write(r, token(r, loop, ","))), loop);
            end = loop;
        } else {
            end = upTo(r, s, max - Math.max(min, 1), x -> optWs(r, item.write(r, token(r, x, ","))));
        }
        int close = r.literal(end, "]");
        return min == 0 ? r.join(close, r.literal(open, "]")) : close;
    }

    /** Zero to {@code n} repetitions of {@code body} after {@code from}; returns the junction after them. */
    static int upTo(Rule r, int from, int n, IntUnaryOperator body) {
        int out = r.state();
        r.eps(from, out);
        int s = from;
        for (int k = 0; k < n; k++) {
            s = body.applyAsInt(s);
            r.eps(s, out);
        }
        return out;
    }
}
