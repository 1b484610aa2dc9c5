package dev.chelsea.langchain4j;

import dev.chelsea.engine.grammar.SchemaValidator;
import dev.chelsea.engine.grammar.StrictJson;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequestParameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A random-weight model from the shared synthetic set (stories260K's 512-token vocabulary), and a
 * listener that checks every answer it hears against the request's schemas: tool arguments
 * against their tool's, a JSON answer against the response format's, each read by the strict
 * JSON reader and validated independently of the grammar.
 */
final class Synthetic {
    private Synthetic() {
    }

    static Path path() {
        Path p = Stories.path().resolveSibling("synthetic").resolve("llama-q8_0.gguf");
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("shared model missing: " + p.toAbsolutePath());
        }
        return p;
    }

    /** Validates each response; {@link #checked} counts the calls and JSON answers it validated. */
    static final class SchemaCheck implements ChatModelListener {
        final List<String> checked = new CopyOnWriteArrayList<>();
        final List<AssertionError> failures = new CopyOnWriteArrayList<>();

        @Override
        public void onResponse(ChatModelResponseContext c) {
            try {
                check(c.chatRequest().parameters(), c.chatResponse().aiMessage());
            } catch (AssertionError e) {
                failures.add(e);
            }
        }

        void check(ChatRequestParameters p, dev.langchain4j.data.message.AiMessage message) {
            for (ToolExecutionRequest call : message.toolExecutionRequests()) {
                ToolSpecification spec = p.toolSpecifications().stream().filter(t -> t.name().equals(call.name())).findFirst()
                        .orElseThrow(() -> new AssertionError("a call of an unknown tool: " + call));
                Object schema = spec.parameters() == null ? Map.of("type", "object") : Schemas.toJson(spec.parameters());
                assertNull(SchemaValidator.validate(schema, StrictJson.parse(call.arguments())), call.toString());
                assertEquals(9, call.id().length(), call.toString());
                checked.add("call " + call.name());
            }
            if (!message.hasToolExecutionRequests() && p.responseFormat() != null && p.responseFormat().jsonSchema() != null) {
                Object schema = Schemas.toJson(p.responseFormat().jsonSchema().rootElement());
                assertNull(SchemaValidator.validate(schema, StrictJson.parse(message.text())), message.text());
                checked.add("json");
            }
        }

        void assertNoFailures() {
            if (!failures.isEmpty()) {
                throw failures.getFirst();
            }
        }
    }
}
