package dev.chelsea.engine.tokenizer;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The string operations chat templates use, with Python's semantics (Jinja runs on Python
 * strings), so that the Java renderings match character for character.
 */
final class TemplateStrings {
    private TemplateStrings() {
    }

    static String role(ChatMessage m) {
        return switch (m.role()) {
            case SYSTEM -> "system";
            case USER -> "user";
            case ASSISTANT -> "assistant";
            case TOOL -> "tool";
        };
    }

    /** A non-empty conversation of system, user and assistant text (templates that render tools themselves use {@link #requireToolConversation}). */
    static void requireConversation(List<ChatMessage> messages) {
        requireToolConversation(messages);
        for (ChatMessage m : messages) {
            if (m.role() == ChatMessage.Role.TOOL || m.hasToolCalls()) {
                throw new IllegalArgumentException("this template has no tool format of its own: render conversations with tool calls "
                        + "or tool results through render(messages, tools, addGenerationPrompt), which writes them in the generic format");
            }
        }
    }

    static void requireToolConversation(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new IllegalArgumentException("message " + i + " is null");
            }
        }
    }

    /** Python's {@code str.isspace} for one character (Java's notion differs, e.g. for U+00A0). */
    static boolean isPythonSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Python's {@code str.strip()}, which is also Jinja's {@code trim} filter. */
    static String strip(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    /** Python's {@code str.rstrip()}. */
    static String rstrip(String s) {
        int to = s.length();
        while (to > 0 && isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(0, to);
    }

    /** Python's {@code str.lstrip('\n')}. */
    static String lstripNewlines(String s) {
        int from = 0;
        while (from < s.length() && s.charAt(from) == '\n') {
            from++;
        }
        return s.substring(from);
    }

    /** Python's {@code str.rstrip('\n')}. */
    static String rstripNewlines(String s) {
        int to = s.length();
        while (to > 0 && s.charAt(to - 1) == '\n') {
            to--;
        }
        return s.substring(0, to);
    }

    /** Python's {@code str.strip('\n')}. */
    static String stripNewlines(String s) {
        return rstripNewlines(lstripNewlines(s));
    }

    /** Python's {@code s.split(sep)[-1]}: the text after the last {@code sep}, or all of it. */
    static String afterLast(String s, String sep) {
        int i = s.lastIndexOf(sep);
        return i < 0 ? s : s.substring(i + sep.length());
    }

    /** Python's {@code s.split(sep)[0]}: the text before the first {@code sep}, or all of it. */
    static String beforeFirst(String s, String sep) {
        int i = s.indexOf(sep);
        return i < 0 ? s : s.substring(0, i);
    }

    /** {@code strftime} with the C locale's English month names, for the patterns templates use. */
    static String strftime(LocalDate date, String pythonPattern) {
        String javaPattern = switch (pythonPattern) {
            case "%d %b %Y" -> "dd MMM yyyy";
            case "%B %d, %Y" -> "MMMM dd, yyyy";
            case "%Y-%m-%d" -> "yyyy-MM-dd";
            default -> throw new IllegalArgumentException("unsupported date pattern " + pythonPattern);
        };
        return DateTimeFormatter.ofPattern(javaPattern, Locale.ENGLISH).format(date);
    }
}
