package dev.chelsea.langchain4j;

import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ChatTemplates;

import java.lang.System.Logger.Level;

/**
 * Picks the chat template: the family named in the settings, else the model file's own, else the
 * documented {@link PlainChatTemplate} fallback (with a warning, since a base model cannot chat).
 */
final class ChatTemplateSelector {
    private static final System.Logger LOG = System.getLogger("dev.chelsea.langchain4j");

    private ChatTemplateSelector() {
    }

    static ChatTemplate select(LoadedModel loaded, String family) {
        Model model = loaded.model();
        if (family != null && !family.isBlank()) {
            String f = family.trim().toLowerCase(java.util.Locale.ROOT);
            if (f.equals(PlainChatTemplate.FAMILY)) {
                return PlainChatTemplate.INSTANCE;
            }
            return byFamily(model, f);
        }
        if (model.hasChatTemplate()) {
            return model.chatTemplate();
        }
        if (loaded.firstNotice("plain-template")) {
            LOG.log(Level.WARNING, () -> "Model '" + model.name() + "' (" + model.path().getFileName() + ") has no chat template the "
                + "engine recognises; using the 'plain' fallback: message texts joined by newlines without role markers, "
                + "so the model continues the text. Set the chat template family to override.");
        }
        return PlainChatTemplate.INSTANCE;
    }

    private static ChatTemplate byFamily(Model model, String family) {
        // The model's own template of that family knows the vocabulary's BOS and EOS texts.
        if (model.hasChatTemplate() && model.chatTemplate().family().equalsIgnoreCase(family)) {
            return model.chatTemplate();
        }
        try {
            return ChatTemplates.byFamily(family);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; or '" + PlainChatTemplate.FAMILY + "' for base models", e);
        }
    }
}
