package dev.chelsea.samples.docs;

import dev.langchain4j.service.Result;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.V;

/**
 * Answers from the chunks of a document that its content retriever finds most similar to the
 * question; LangChain4j adds them to the user message.
 */
public interface RetrievalAssistant {
    String INSTRUCTIONS = """
            Answer the question about the document "{{title}}" from the excerpts of it given with the question. \
            If they do not say, answer that the document does not say.""";

    @SystemMessage(INSTRUCTIONS)
    Result<String> answer(@V("title") String title, @UserMessage String question);

    @SystemMessage(INSTRUCTIONS)
    TokenStream stream(@V("title") String title, @UserMessage String question);
}
