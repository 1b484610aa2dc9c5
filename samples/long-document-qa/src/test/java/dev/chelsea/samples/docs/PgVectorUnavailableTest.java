package dev.chelsea.samples.docs;

import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docs.embedding-store.type=pgvector} without a PostgreSQL to reach stops the startup with
 * one message under the property to fix, saying where the instructions are. (The store itself
 * against a running PostgreSQL with pgvector is not tested here: that needs docker or a server
 * with the extension installed; the sample's README has the command.)
 */
class PgVectorUnavailableTest {

    @Test
    void aDatabaseThatCannotBeReachedIsOneClearStartupError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connections to it are refused
        }
        ChunkIndex index = new ChunkIndex();
        index.config = new SmallRyeConfigBuilder()
                .withMapping(DocsConfig.class)
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(Map.of(
                        "docs.data-dir", "target/pgvector-test",
                        "docs.embedding-store.type", "pgvector",
                        "docs.embedding-store.pgvector.host", "127.0.0.1",
                        "docs.embedding-store.pgvector.port", String.valueOf(port)), "test", 500))
                .build()
                .getConfigMapping(DocsConfig.class);
        ConfigurationException e = assertThrows(ConfigurationException.class, index::open);
        assertEquals(Set.of("docs.embedding-store.pgvector.host"), e.getConfigKeys());
        assertTrue(e.getMessage().startsWith("docs.embedding-store.pgvector: cannot use PostgreSQL at 127.0.0.1:" + port
                + "/postgres as user postgres ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("start one as samples/long-document-qa/README.md says, or set docs.embedding-store.type=file"),
                e.getMessage());
    }
}
