package dev.chelsea.samples.docs;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Registering, listing and deleting documents. A document that fits the context is answered whole;
 * a longer one is split into chunks that are embedded and indexed for retrieval. The startup
 * folder's {@code .txt} and {@code .md} files are registered under their file names.
 */
@ApplicationScoped
public class Documents {
    private static final Logger LOG = Logger.getLogger(Documents.class);

    @Inject
    DocsConfig config;

    @Inject
    DocumentRepository repository;

    @Inject
    ChunkIndex chunks;

    @Inject
    ModelTokens tokens;

    @Inject
    QuestionAnswering answering;

    /** A request the service refuses, with the HTTP status that says why. */
    public static final class Refused extends RuntimeException {
        private final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    void readFolder(@Observes StartupEvent event) {
        if (config.folder().isEmpty()) {
            return;
        }
        Path dir = config.folder().get();
        if (!Files.isDirectory(dir)) {
            LOG.warnf("docs.folder %s is not a directory: no documents read at startup", dir.toAbsolutePath());
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Documents::isText).sorted().toList()) {
                String id = idFor(f.getFileName().toString());
                try {
                    String text = decode(Files.readAllBytes(f), f.getFileName().toString());
                    Optional<Document> known = repository.find(id);
                    if (known.isPresent() && known.get().sha256().equals(sha256(text))) {
                        continue;
                    }
                    known.ifPresent(d -> delete(d.id()));
                    Document d = register(id, titleOf(text, f.getFileName().toString()), text, "folder:" + f.getFileName());
                    LOG.infof("Registered %s as '%s' (%d tokens, %s)", f, d.id(), d.tokens(), d.mode().json());
                } catch (Refused e) {
                    LOG.warnf("Skipping %s: %s", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the documents in " + dir, e);
        }
    }

    static boolean isText(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(f) && (n.endsWith(".txt") || n.endsWith(".md"));
    }

    /** {@code Lily and the Ball.txt} becomes {@code lily-and-the-ball}. */
    static String idFor(String fileName) {
        String base = fileName.replaceFirst("\\.[^.]*$", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        return base.isEmpty() ? "document" : base;
    }

    /** Registers text sent through the API or uploaded. */
    public Document register(String title, String text, String source) {
        return register(UUID.randomUUID().toString().substring(0, 8), title == null || title.isBlank() ? titleOf(text, null) : title.strip(),
                text, source);
    }

    private Document register(String id, String title, String text, String source) {
        if (text == null || text.isBlank()) {
            throw new Refused(400, "the document has no text");
        }
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > config.maxDocumentSize().asLongValue()) {
            throw new Refused(413, "the document has " + bytes + " bytes, more than docs.max-document-size (" + config.maxDocumentSize().asLongValue() + ")");
        }
        int n = tokens.estimateTokenCountInText(text);
        Document.Mode mode = n <= tokens.wholeDocumentTokens() ? Document.Mode.WHOLE : Document.Mode.RETRIEVAL;
        int indexed = mode == Document.Mode.RETRIEVAL ? chunks.index(id, text) : 0;
        Document d = new Document(id, title, text, source, Instant.now(), sha256(text), n, mode, indexed);
        repository.save(d);
        return d;
    }

    /** Text from an uploaded file: UTF-8 (a byte order mark is dropped), nothing binary. */
    public static String decode(byte[] bytes, String fileName) {
        if (fileName != null && !isTextName(fileName)) {
            throw new Refused(415, "'" + fileName + "' is not a .txt or .md file: upload plain text (UTF-8)");
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            if (s.indexOf('\0') >= 0) {
                throw new Refused(415, "the file holds binary data: upload plain text (UTF-8)");
            }
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new Refused(415, "the file is not UTF-8 text: upload plain text (.txt or .md, UTF-8)");
        }
    }

    private static boolean isTextName(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".txt") || n.endsWith(".md") || n.endsWith(".markdown") || n.endsWith(".text");
    }

    /** The first line of the text without Markdown heading marks, shortened; else the file name. */
    static String titleOf(String text, String fileName) {
        for (String line : text.strip().split("\\R", 2)) {
            String t = line.replaceFirst("^#+\\s*", "").strip();
            if (!t.isEmpty()) {
                return t.length() > 80 ? t.substring(0, 77) + "..." : t;
            }
        }
        return fileName != null ? fileName : "untitled";
    }

    public List<Document> all() {
        return repository.all();
    }

    public Document require(String id) {
        return repository.find(id).orElseThrow(() -> new Refused(404, "no document '" + id + "' (GET /documents lists them)"));
    }

    public void delete(String id) {
        Document d = require(id);
        if (d.mode() == Document.Mode.RETRIEVAL) {
            chunks.remove(id);
        }
        answering.forget(id);
        repository.delete(id);
    }

    public String checkQuestion(String question) {
        if (question == null || question.isBlank()) {
            throw new Refused(400, "the question is empty: send {\"question\": \"...\"}");
        }
        if (question.length() > config.maxQuestionLength()) {
            throw new Refused(400, "the question has " + question.length() + " characters, more than docs.max-question-length ("
                    + config.maxQuestionLength() + ")");
        }
        return question.strip();
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
