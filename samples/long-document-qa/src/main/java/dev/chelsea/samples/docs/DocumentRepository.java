package dev.chelsea.samples.docs;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The registered documents: in memory, each also in {@code data-dir/documents/ID.json} so that a restart keeps them. */
@ApplicationScoped
public class DocumentRepository {
    private static final Logger LOG = Logger.getLogger(DocumentRepository.class);

    @Inject
    DocsConfig config;

    @Inject
    ObjectMapper json;

    private final Map<String, Document> documents = new ConcurrentHashMap<>();

    @PostConstruct
    void load() {
        Path dir = dir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                try {
                    Document d = json.readValue(f.toFile(), Document.class);
                    documents.put(d.id(), d);
                } catch (IOException e) {
                    LOG.warnf("Skipping %s: not a document record (%s)", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the documents in " + dir, e);
        }
        LOG.infof("%d document(s) in %s", documents.size(), dir);
    }

    private Path dir() {
        return config.dataDir().resolve("documents");
    }

    public void save(Document d) {
        try {
            AtomicFiles.write(dir().resolve(d.id() + ".json"), json.writeValueAsBytes(d));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write document " + d.id() + " to " + dir(), e);
        }
        documents.put(d.id(), d);
    }

    public Optional<Document> find(String id) {
        return Optional.ofNullable(documents.get(id));
    }

    /** Every document, oldest first. */
    public List<Document> all() {
        return documents.values().stream().sorted(Comparator.comparing(Document::created).thenComparing(Document::id)).toList();
    }

    public Collection<String> ids() {
        return documents.keySet();
    }

    public void delete(String id) {
        documents.remove(id);
        try {
            Files.deleteIfExists(dir().resolve(id + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete document " + id + " from " + dir(), e);
        }
    }
}
