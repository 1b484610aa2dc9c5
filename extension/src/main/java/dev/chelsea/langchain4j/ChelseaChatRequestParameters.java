package dev.chelsea.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;

import java.time.Duration;
import java.util.Objects;

/**
 * {@link ChatRequestParameters} plus the sampling settings the engine has beyond the common ones:
 * a seed (same seed, prompt and settings give the same answer), min-p and a repetition penalty;
 * and a time limit for the request ({@code timeout}: a request may set a shorter one than the chat
 * model's, never a longer one).
 */
public class ChelseaChatRequestParameters extends DefaultChatRequestParameters {
    private final Long seed;
    private final Double minP;
    private final Double repetitionPenalty;
    private final Duration timeout;

    protected ChelseaChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repetitionPenalty = builder.repetitionPenalty;
        this.timeout = builder.timeout;
    }

    /**
     * The most time the request may take, from when it is made (waiting in the queue included):
     * past it the generation stops and the text so far is the answer ({@code LENGTH}), or the
     * request fails with {@link ChelseaTimeoutException} if there is no text yet. Null: no limit.
     */
    public Duration timeout() {
        return timeout;
    }

    public Long seed() {
        return seed;
    }

    public Double minP() {
        return minP;
    }

    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        if (that == null) {
            return this;
        }
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        if (that == null) {
            return this;
        }
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChelseaChatRequestParameters that && super.equals(o)
                && Objects.equals(seed, that.seed) && Objects.equals(minP, that.minP)
                && Objects.equals(repetitionPenalty, that.repetitionPenalty) && Objects.equals(timeout, that.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repetitionPenalty, timeout);
    }

    @Override
    public String toString() {
        return "ChelseaChatRequestParameters{" + super.toString() + ", seed=" + seed + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", timeout=" + timeout + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;
        private Double minP;
        private Double repetitionPenalty;
        private Duration timeout;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof ChelseaChatRequestParameters p) {
                seed = p.seed != null ? p.seed : seed;
                minP = p.minP != null ? p.minP : minP;
                repetitionPenalty = p.repetitionPenalty != null ? p.repetitionPenalty : repetitionPenalty;
                timeout = p.timeout != null ? p.timeout : timeout;
            }
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /** The most time the request may take; see {@link ChelseaChatRequestParameters#timeout()}. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        @Override
        public ChelseaChatRequestParameters build() {
            return new ChelseaChatRequestParameters(this);
        }
    }
}
