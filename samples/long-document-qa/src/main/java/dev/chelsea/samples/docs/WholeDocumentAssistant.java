package dev.chelsea.samples.docs;

import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.V;

/**
 * Answers from a whole document, which is in the system message: every question about the same
 * document starts with the same tokens, so the model's prompt cache reads the document once and
 * each later question reads only its own tokens.
 */
public interface WholeDocumentAssistant {
    String INSTRUCTIONS = """
            Answer the question about the document below from what the document says. \
            If the document does not say, answer that it does not.

            Document: {{title}}

            {{document}}""";

    @SystemMessage(INSTRUCTIONS)
    Result<String> answer(@V("title") String title, @V("document") String document, @UserMessage String question);

    @SystemMessage(INSTRUCTIONS)
    TokenStream stream(@V("title") String title, @V("document") String document, @UserMessage String question);
}
