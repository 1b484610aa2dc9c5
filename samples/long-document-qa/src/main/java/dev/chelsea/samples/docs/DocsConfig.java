package dev.chelsea.samples.docs;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/** The service's own settings ({@code docs.*} in application.properties); the model's are the extension's. */
@ConfigMapping(prefix = "docs")
public interface DocsConfig {

    /** Where registered documents and the embedded embedding store are kept across restarts. */
    Path dataDir();

    /** A folder whose {@code .txt} and {@code .md} files are registered at startup (changed files again); none by default. */
    Optional<Path> folder();

    /** The largest document accepted, as UTF-8 text. */
    @WithDefault("4M")
    MemorySize maxDocumentSize();

    /** The longest question accepted, in characters. */
    @WithDefault("2000")
    int maxQuestionLength();

    /**
     * Documents up to this many tokens are answered from the whole text in the prompt (through the
     * model's prompt cache); longer ones through retrieval of their relevant chunks. Default: what
     * the context leaves after the answer ({@code max-tokens}) and {@link #questionTokens()}.
     */
    OptionalInt wholeDocumentTokens();

    /** Tokens kept free in the context for the question and the instructions. */
    @WithDefault("96")
    int questionTokens();

    /** Retrieval settings for documents too long for the context. */
    Retrieval retrieval();

    /** Where the chunks' embeddings are kept. */
    EmbeddingStore embeddingStore();

    interface Retrieval {
        /** Chunks given to the model with a question. */
        @WithDefault("4")
        int maxResults();

        /** The least similarity (cosine, 0 to 1) for a chunk to be given to the model. */
        @WithDefault("0.2")
        double minScore();

        /** Tokens per chunk; default: what fits {@code max-results} chunks beside the question (at most 256). */
        OptionalInt chunkTokens();

        /** Tokens two neighbouring chunks share. */
        @WithDefault("16")
        int overlapTokens();
    }

    interface EmbeddingStore {
        /** {@code file}: in memory, written to {@code data-dir/embeddings.json} on every change; {@code pgvector}: PostgreSQL. */
        @WithDefault("file")
        String type();

        /** PostgreSQL with the pgvector extension, for {@code type=pgvector}. */
        PgVector pgvector();
    }

    interface PgVector {
        @WithDefault("localhost")
        String host();

        @WithDefault("5432")
        int port();

        @WithDefault("postgres")
        String database();

        @WithDefault("postgres")
        String user();

        @WithDefault("postgres")
        String password();

        /** The table of chunks (created when missing). */
        @WithDefault("document_chunks")
        String table();
    }
}
