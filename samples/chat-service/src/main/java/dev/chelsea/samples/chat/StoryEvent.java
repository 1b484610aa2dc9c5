package dev.chelsea.samples.chat;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One server-sent event of a streamed story, as JSON: {@code {"text":" The"}} pieces, then
 * {@code {"finishReason":"length"}}. JSON keeps every character: plain-text SSE loses a piece's
 * leading space, since SSE parsers drop the one after "data:".
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoryEvent(String text, String finishReason) {
}
