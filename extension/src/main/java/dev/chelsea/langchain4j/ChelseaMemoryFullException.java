package dev.chelsea.langchain4j;

/**
 * The KV memory budget cannot hold this request now: the requests running and waiting have
 * reserved the rest. Retrying later can succeed (a busy model, like a full queue).
 */
public class ChelseaMemoryFullException extends ChelseaQueueFullException {
    public ChelseaMemoryFullException(String message) {
        super(message);
    }
}
