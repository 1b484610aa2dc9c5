package dev.chelsea.samples.docs;

import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.rag.content.retriever.ContentRetriever;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import dev.langchain4j.store.embedding.pgvector.PgVectorEmbeddingStore;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;

/**
 * The chunks of documents answered by retrieval: split by the model's tokens, embedded in process
 * (all-MiniLM-L6-v2, 384 dimensions) and kept in an embedding store: by default in memory and
 * written to {@code data-dir/embeddings.json} after every change (so a restart keeps it), or in
 * PostgreSQL with pgvector.
 */
@ApplicationScoped
public class ChunkIndex {
    private static final Logger LOG = Logger.getLogger(ChunkIndex.class);
    static final String DOCUMENT = "document";
    static final String CHUNK = "chunk";

    @Inject
    DocsConfig config;

    @Inject
    ModelTokens tokens;

    private EmbeddingModel embeddings;
    private EmbeddingStore<TextSegment> store;
    /** The file the in-memory store is written to, or null for pgvector. */
    private Path file;

    @PostConstruct
    void open() {
        embeddings = new AllMiniLmL6V2EmbeddingModel();
        String type = config.embeddingStore().type();
        switch (type) {
            case "file" -> {
                file = config.dataDir().resolve("embeddings.json");
                store = Files.isRegularFile(file) ? InMemoryEmbeddingStore.fromFile(file) : new InMemoryEmbeddingStore<>();
                LOG.infof("Embeddings in %s (%d chunks)", file, ((InMemoryEmbeddingStore<TextSegment>) store).size());
            }
            case "pgvector" -> {
                DocsConfig.PgVector pg = config.embeddingStore().pgvector();
                try {
                    store = PgVectorEmbeddingStore.builder().host(pg.host()).port(pg.port()).database(pg.database()).user(pg.user())
                            .password(pg.password()).table(pg.table()).dimension(embeddings.dimension()).createTable(true).build();
                } catch (RuntimeException e) {
                    throw new ConfigurationException("docs.embedding-store.pgvector: cannot use PostgreSQL at " + pg.host() + ":" + pg.port()
                            + "/" + pg.database() + " as user " + pg.user() + " (" + rootMessage(e) + "); start one as samples/long-document-qa/README.md "
                            + "says, or set docs.embedding-store.type=file", Set.of("docs.embedding-store.pgvector.host"));
                }
                LOG.infof("Embeddings in PostgreSQL %s:%d/%s, table %s", pg.host(), pg.port(), pg.database(), pg.table());
            }
            default -> throw new ConfigurationException("docs.embedding-store.type must be file or pgvector, got '" + type + "'",
                    Set.of("docs.embedding-store.type"));
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    /** Tokens per chunk: configured, or what {@code max-results} chunks leave beside the question in the context. */
    int chunkTokens() {
        DocsConfig.Retrieval r = config.retrieval();
        if (r.chunkTokens().isPresent()) {
            return r.chunkTokens().getAsInt();
        }
        return Math.max(16, Math.min(256, tokens.wholeDocumentTokens() / r.maxResults()));
    }

    /** Splits, embeds and stores the chunks of {@code d}; returns how many. */
    public synchronized int index(String documentId, String text) {
        DocumentSplitter splitter = DocumentSplitters.recursive(chunkTokens(), config.retrieval().overlapTokens(), tokens);
        List<TextSegment> parts = splitter.split(dev.langchain4j.data.document.Document.from(text));
        List<TextSegment> segments = new java.util.ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            segments.add(TextSegment.from(parts.get(i).text(), Metadata.from(DOCUMENT, documentId).put(CHUNK, i)));
        }
        List<Embedding> vectors = embeddings.embedAll(segments).content();
        store.addAll(vectors, segments);
        persist();
        return segments.size();
    }

    public synchronized void remove(String documentId) {
        store.removeAll(metadataKey(DOCUMENT).isEqualTo(documentId));
        persist();
    }

    /** The chunks of one document most similar to a question. */
    public ContentRetriever retriever(String documentId) {
        return EmbeddingStoreContentRetriever.builder()
                .embeddingStore(store)
                .embeddingModel(embeddings)
                .maxResults(config.retrieval().maxResults())
                .minScore(config.retrieval().minScore())
                .filter(metadataKey(DOCUMENT).isEqualTo(documentId))
                .build();
    }

    private void persist() {
        if (file == null) {
            return;
        }
        try {
            AtomicFiles.write(file, ((InMemoryEmbeddingStore<TextSegment>) store).serializeToJson().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the embeddings to " + file, e);
        }
    }
}
