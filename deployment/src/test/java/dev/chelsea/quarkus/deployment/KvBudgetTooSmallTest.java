package dev.chelsea.quarkus.deployment;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 64 requests at once over a 512-token context cannot fit a 4 MiB KV budget (one fits): the boot
 * fails naming max-concurrent-requests, with the bytes each request needs and the budget.
 */
class KvBudgetTooSmallTest {
    @RegisterExtension
    static final QuarkusUnitTest app = new QuarkusUnitTest()
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.model-path", StartupFailures.STORIES)
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.context-length", "512")
            .overrideConfigKey("quarkus.langchain4j.chelsea.chat-model.max-concurrent-requests", "64")
            .overrideConfigKey("quarkus.langchain4j.chelsea.kv-memory.budget", "4M")
            .assertException(t -> {
                StartupFailures.namesProperty("quarkus.langchain4j.chelsea.chat-model.max-concurrent-requests",
                        "more than the 4.0 MiB KV budget of the heap (configured)").accept(t);
                String m = StartupFailures.message(t);
                assertTrue(m.contains("64 x ") && m.contains("(context 512, KV policy "), m);
                assertTrue(m.contains("kv-memory.budget"), "says which settings to change: " + m);
            });

    @Test
    void bootFails() {
        fail("the application should not have started");
    }
}
