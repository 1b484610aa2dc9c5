package dev.chelsea.engine.tokenizer;

import dev.chelsea.engine.json.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads tool calls out of answer text for each {@link ToolCallFormat}; see there. */
final class ToolCallParser {
    private final String text;
    private final boolean complete;
    private final StringBuilder content = new StringBuilder();
    private final List<ToolCall> calls = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private ToolCallParse.PendingCall pending;

    private ToolCallParser(String text, boolean complete) {
        this.text = text == null ? "" : text;
        this.complete = complete;
    }

    static ToolCallParse parse(ToolCallFormat format, String text, boolean complete) {
        ToolCallParser p = new ToolCallParser(text, complete);
        switch (format) {
            case LLAMA3_JSON -> p.llama();
            case HERMES -> p.hermes();
            case MISTRAL_NEMO -> p.nemo();
            case MISTRAL_SMALL -> p.small();
        }
        return new ToolCallParse(p.content.toString().strip(), p.calls, p.pending, p.errors);
    }

    private void llama() {
        int start = skipWs(text, 0);
        int at = text.startsWith("<|python_tag|>", start) ? skipWs(text, start + "<|python_tag|>".length()) : start;
        if (at == text.length()) {
            if (complete || at == start) {
                content.append(text);
            }
            return;
        }
        if (text.charAt(at) != '{') {
            content.append(text);
            return;
        }
        // one call, or several separated by ';' or white space
        while (at < text.length() && text.charAt(at) == '{') {
            int end = valueEnd(text, at);
            if (end < 0) {
                unfinished(text.substring(at), at);
                return;
            }
            String object = text.substring(at, end);
            Map<String, String> m = members(object);
            if (m == null || !m.containsKey("name") || !(m.containsKey("parameters") || m.containsKey("arguments"))) {
                // JSON that is not a call is an answer
                content.append(text);
                calls.clear();
                return;
            }
            call(m, object, object);
            at = skipWs(text, end);
            if (at < text.length() && text.charAt(at) == ';') {
                at = skipWs(text, at + 1);
            }
        }
        content.append(text, at, text.length());
    }

    private void hermes() {
        String open = "<tool_call>";
        String close = "</tool_call>";
        int pos = 0;
        while (true) {
            int i = text.indexOf(open, pos);
            if (i < 0) {
                text(pos, text.length(), List.of(open));
                return;
            }
            content.append(text, pos, i);
            int bodyStart = i + open.length();
            int j = text.indexOf(close, bodyStart);
            if (j < 0) {
                String body = text.substring(bodyStart);
                int obj = skipWs(body, 0);
                int end = obj < body.length() && body.charAt(obj) == '{' ? valueEnd(body, obj) : -1;
                if (end > 0 && complete) {
                    // the model stopped without closing the block: the call itself is whole
                    Map<String, String> m = members(body.substring(obj, end));
                    call(m, body.substring(obj, end), text.substring(i));
                    content.append(body, end, body.length());
                } else {
                    unfinished(body, i);
                }
                return;
            }
            String body = text.substring(bodyStart, j).strip();
            call(body.startsWith("{") && valueEnd(body, 0) == body.length() ? members(body) : null, body,
                    text.substring(i, j + close.length()));
            pos = j + close.length();
        }
    }

    private void nemo() {
        String marker = "[TOOL_CALLS]";
        int pos = 0;
        while (true) {
            int i = text.indexOf(marker, pos);
            if (i < 0) {
                text(pos, text.length(), List.of(marker));
                return;
            }
            content.append(text, pos, i);
            int at = skipWs(text, i + marker.length());
            if (at == text.length()) {
                unfinished("", i);
                return;
            }
            if (text.charAt(at) != '[') {
                error("[TOOL_CALLS] not followed by a JSON array", text.substring(i));
                return;
            }
            int end = valueEnd(text, at);
            // the calls of the array, each checked on its own; the last may be unfinished
            int k = skipWs(text, at + 1);
            while (k < text.length() && text.charAt(k) == '{') {
                int e = valueEnd(text, k);
                if (e < 0) {
                    unfinished(text.substring(k), i);
                    return;
                }
                String object = text.substring(k, e);
                call(members(object), object, object);
                k = skipWs(text, e);
                if (k < text.length() && text.charAt(k) == ',') {
                    k = skipWs(text, k + 1);
                }
            }
            if (end < 0) {
                if (complete) {
                    error("unterminated [TOOL_CALLS] array", text.substring(i));
                }
                return;
            }
            pos = end;
        }
    }

    private void small() {
        String marker = "[TOOL_CALLS]";
        int i = text.indexOf(marker);
        if (i < 0) {
            text(0, text.length(), List.of(marker));
            return;
        }
        content.append(text, 0, i);
        int pos = i;
        while (pos < text.length()) {
            if (!text.startsWith(marker, pos)) {
                text(pos, text.length(), List.of(marker));
                return;
            }
            int nameStart = pos + marker.length();
            int args = text.indexOf("[ARGS]", nameStart);
            int callId = text.indexOf("[CALL_ID]", nameStart);
            int nextCall = text.indexOf(marker, nameStart);
            if (args < 0 || (nextCall >= 0 && nextCall < args)) {
                // no [ARGS] for this call
                if (nextCall >= 0) {
                    error("[TOOL_CALLS] without [ARGS]", text.substring(pos, nextCall));
                    pos = nextCall;
                    continue;
                }
                if (complete) {
                    error("[TOOL_CALLS] without [ARGS]", text.substring(pos));
                } else {
                    // the name is known once [CALL_ID] follows it
                    pending = new ToolCallParse.PendingCall(callId >= 0 ? text.substring(nameStart, callId).strip() : null, "");
                }
                return;
            }
            String name = text.substring(nameStart, callId >= 0 && callId < args ? callId : args).strip();
            String id = callId >= 0 && callId < args ? text.substring(callId + "[CALL_ID]".length(), args).strip() : null;
            int at = skipWs(text, args + "[ARGS]".length());
            int end = at < text.length() ? valueEnd(text, at) : -1;
            if (end < 0) {
                if (complete) {
                    error("unterminated arguments", text.substring(pos));
                } else {
                    pending = new ToolCallParse.PendingCall(name, text.substring(at));
                }
                return;
            }
            Map<String, String> m = new LinkedHashMap<>();
            m.put("name", Json.quote(name));
            m.put("arguments", text.substring(at, end));
            if (id != null) {
                m.put("id", Json.quote(id));
            }
            call(m, text.substring(at, end), text.substring(pos, end));
            pos = skipWs(text, end);
        }
    }

    /** Plain text; a partial answer holds back a tail that may open a marker. */
    private void text(int from, int to, List<String> markers) {
        int hold = 0;
        if (!complete) {
            for (String m : markers) {
                for (int n = Math.min(m.length() - 1, to - from); n > hold; n--) {
                    if (text.startsWith(m.substring(0, n), to - n)) {
                        hold = n;
                        break;
                    }
                }
            }
        }
        content.append(text, from, to - hold);
    }

    /** A call left open: pending while generating, an error once the answer is finished. */
    private void unfinished(String body, int from) {
        if (complete) {
            error("unterminated tool call", text.substring(from));
            return;
        }
        String name = null;
        String arguments = "";
        int obj = skipWs(body, 0);
        if (obj < body.length() && body.charAt(obj) == '{') {
            PartialMembers pm = partialMembers(body, obj);
            String n = pm.values.get("name");
            if (n != null && Json.parse(n) instanceof String s) {
                name = s;
            }
            for (String key : List.of("arguments", "parameters")) {
                if (pm.values.containsKey(key)) {
                    arguments = pm.values.get(key);
                } else if (key.equals(pm.openKey)) {
                    arguments = body.substring(pm.openValue);
                }
            }
        }
        pending = new ToolCallParse.PendingCall(name, arguments);
    }

    /** Adds the call the members describe, or an error with the raw text kept as content. */
    private void call(Map<String, String> m, String what, String raw) {
        if (m == null) {
            error("the call is not a JSON object", raw);
            return;
        }
        Object name = parseOrNull(m.get("name"));
        if (!(name instanceof String n) || n.isEmpty()) {
            error("the call has no \"name\"", raw);
            return;
        }
        String args = m.containsKey("arguments") ? m.get("arguments") : m.getOrDefault("parameters", "{}");
        Object parsed = parseOrNull(args);
        if (parsed instanceof String inner && parseOrNull(inner) instanceof Map) {
            // arguments written as a JSON string holding the object
            args = inner.strip();
            parsed = parseOrNull(args);
        }
        if (!(parsed instanceof Map)) {
            error("the arguments of " + n + " are not a JSON object", raw);
            return;
        }
        Object id = parseOrNull(m.get("id"));
        calls.add(new ToolCall(id instanceof String s ? s : null, n, args));
    }

    private void error(String what, String raw) {
        errors.add(what + ": " + raw);
        content.append(raw);
    }

    private static Object parseOrNull(String json) {
        if (json == null) {
            return null;
        }
        try {
            return Json.parse(json);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static int skipWs(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /**
     * The end of the JSON value starting at {@code from} (brackets balanced outside strings), or -1
     * if the text ends first. Values are checked for real by the JSON reader afterwards.
     */
    static int valueEnd(String s, int from) {
        char c = s.charAt(from);
        if (c == '"') {
            return stringEnd(s, from);
        }
        if (c != '{' && c != '[') {
            int i = from;
            while (i < s.length() && "-+.0123456789eEtruefalsn".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            return i == from ? from + 1 : i;
        }
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                i = stringEnd(s, i) - 1;
                if (i < 0) {
                    return -1;
                }
            } else if (ch == '{' || ch == '[') {
                depth++;
            } else if (ch == '}' || ch == ']') {
                if (--depth == 0) {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    private static int stringEnd(String s, int from) {
        for (int i = from + 1; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                return i + 1;
            }
        }
        return -1;
    }

    /** An object's members as raw JSON texts, in order; null if it is not a well-formed object. */
    static Map<String, String> members(String object) {
        PartialMembers pm = partialMembers(object, 0);
        if (!pm.closed || pm.end != object.length()) {
            return null;
        }
        return pm.values;
    }

    private static final class PartialMembers {
        final Map<String, String> values = new LinkedHashMap<>();
        String openKey;
        int openValue = -1;
        boolean closed;
        int end;
    }

    /** Reads members until the object closes, the text ends (noting the value being written) or a syntax error. */
    private static PartialMembers partialMembers(String s, int from) {
        PartialMembers pm = new PartialMembers();
        int i = skipWs(s, from + 1);
        if (i < s.length() && s.charAt(i) == '}') {
            pm.closed = true;
            pm.end = i + 1;
            return pm;
        }
        while (i < s.length() && s.charAt(i) == '"') {
            int keyEnd = stringEnd(s, i);
            if (keyEnd < 0) {
                return pm;
            }
            Object key = parseOrNull(s.substring(i, keyEnd));
            i = skipWs(s, keyEnd);
            if (i >= s.length() || s.charAt(i) != ':') {
                return pm;
            }
            i = skipWs(s, i + 1);
            if (i >= s.length()) {
                pm.openKey = String.valueOf(key);
                pm.openValue = i;
                return pm;
            }
            int end = valueEnd(s, i);
            if (end < 0 || end == s.length() && "{[\"".indexOf(s.charAt(i)) < 0) {
                // the text ends inside this value (a number or word at the very end may still grow)
                pm.openKey = String.valueOf(key);
                pm.openValue = i;
                if (end < 0) {
                    return pm;
                }
            }
            pm.values.put(String.valueOf(key), s.substring(i, end));
            i = skipWs(s, end);
            if (i < s.length() && s.charAt(i) == ',') {
                i = skipWs(s, i + 1);
            } else if (i < s.length() && s.charAt(i) == '}') {
                pm.closed = true;
                pm.end = i + 1;
                pm.openKey = null;
                return pm;
            } else {
                return pm;
            }
        }
        return pm;
    }
}
