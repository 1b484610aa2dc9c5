package dev.chelsea.samples.docs;

import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.TokenCountEstimator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Counts tokens with the model's own tokenizer (a LangChain4j {@link TokenCountEstimator}, which
 * the document splitter uses too), and says how long a document may be to be read whole.
 */
@ApplicationScoped
public class ModelTokens implements TokenCountEstimator {
    @Inject
    ChelseaModels models;

    @Inject
    DocsConfig config;

    @ConfigProperty(name = "quarkus.langchain4j.chelsea.chat-model.max-tokens")
    int maxAnswerTokens;

    private Model model() {
        return models.entry(ChelseaConfig.DEFAULT_NAME).orElseThrow().loaded().model();
    }

    private Tokenizer tokenizer() {
        return model().tokenizer();
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return tokenizer().encode(text, false, false).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return estimateTokenCountInText(switch (message) {
            case SystemMessage s -> s.text();
            case UserMessage u -> u.hasSingleText() ? u.singleText() : u.contents().toString();
            case AiMessage a -> a.text() == null ? "" : a.text();
            default -> message.toString();
        });
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        int n = 0;
        for (ChatMessage m : messages) {
            n += estimateTokenCountInMessage(m);
        }
        return n;
    }

    /** The model's context, in tokens. */
    public int contextLength() {
        return model().contextLength();
    }

    /**
     * The longest document answered from its whole text: configured, or what the context leaves
     * after the answer and the room kept for the question and the instructions.
     */
    public int wholeDocumentTokens() {
        if (config.wholeDocumentTokens().isPresent()) {
            return config.wholeDocumentTokens().getAsInt();
        }
        return Math.max(0, contextLength() - maxAnswerTokens - config.questionTokens());
    }
}
