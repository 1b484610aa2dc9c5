package dev.chelsea.langchain4j;

import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.engine.generate.StopReason;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;

import java.util.Objects;

/** The common metadata plus the engine's own figures: why generation stopped, speed and KV cache use. */
public class ChelseaChatResponseMetadata extends ChatResponseMetadata {
    private final StopReason stopReason;
    private final GenerationStats stats;

    protected ChelseaChatResponseMetadata(Builder builder) {
        super(builder);
        this.stopReason = builder.stopReason;
        this.stats = builder.stats;
    }

    /** The engine's reason, finer than the finish reason (a stop token or a stop string, say). */
    public StopReason stopReason() {
        return stopReason;
    }

    /** Token counts, prefill and decode speed, and what the KV cache held at the end. */
    public GenerationStats stats() {
        return stats;
    }

    @Override
    public Builder toBuilder() {
        return ((Builder) toBuilder(builder())).stopReason(stopReason).stats(stats);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChelseaChatResponseMetadata that && super.equals(o)
                && stopReason == that.stopReason && Objects.equals(stats, that.stats);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), stopReason, stats);
    }

    @Override
    public String toString() {
        return "ChelseaChatResponseMetadata{id=" + id() + ", modelName=" + modelName() + ", tokenUsage=" + tokenUsage()
                + ", finishReason=" + finishReason() + ", stopReason=" + stopReason + ", stats=" + stats + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends ChatResponseMetadata.Builder<Builder> {
        private StopReason stopReason;
        private GenerationStats stats;

        public Builder stopReason(StopReason stopReason) {
            this.stopReason = stopReason;
            return this;
        }

        public Builder stats(GenerationStats stats) {
            this.stats = stats;
            return this;
        }

        @Override
        public ChelseaChatResponseMetadata build() {
            return new ChelseaChatResponseMetadata(this);
        }
    }
}
