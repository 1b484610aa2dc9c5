package dev.chelsea.langchain4j.download;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Fetches one GGUF file of a Hugging Face repository into a local folder, once. The file is chosen
 * by quantization from the repository's listing ({@code /api/models/<repo>?blobs=true}, which also
 * gives each file's size and, for files stored in LFS as GGUF files are, its SHA-256), downloaded
 * from {@code /<repo>/resolve/main/<file>} into a {@code .part} file with progress logged, checked
 * against the size and the SHA-256, moved into place, and recorded in a marker. Later calls find
 * the marker and use the file without touching the network, so an application starts offline once
 * its model is there.
 *
 * <p>A download that breaks off keeps its {@code .part} file, and the next call asks the server
 * for the rest only (an HTTP range request): a multi-gigabyte model is not fetched again from the
 * start after a dropped connection. A file whose checksum does not match is deleted.
 */
public final class HuggingFaceDownloader {
    public static final URI DEFAULT_BASE_URL = URI.create("https://huggingface.co");

    private static final System.Logger LOG = System.getLogger(HuggingFaceDownloader.class.getName());
    private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-");

    private final URI baseUrl;
    private final Path modelsDir;
    private final String token;
    private final HttpClient http;
    private final Duration timeout;

    private HuggingFaceDownloader(Builder b) {
        this.baseUrl = b.baseUrl;
        this.modelsDir = b.modelsDir;
        this.token = b.token;
        this.timeout = b.timeout;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(b.timeout).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The default folder for models: {@code ~/.chelsea/models}. */
    public static Path defaultModelsDir() {
        return Path.of(System.getProperty("user.home"), ".chelsea", "models");
    }

    /** Where files of {@code repository} are kept: {@code <models>/<owner>_<name>}. */
    public Path repositoryDir(String repository) {
        return modelsDir.resolve(repository.replace('/', '_'));
    }

    /**
     * The local copy of {@code repository}'s GGUF file in {@code quantization}, downloading it if
     * no complete copy is there yet.
     */
    public Path download(String repository, String quantization) {
        checkRepository(repository);
        if (quantization == null || quantization.isBlank()) {
            throw new IllegalArgumentException("a quantization (such as Q4_K_M) is required to download from " + repository);
        }
        Path dir = repositoryDir(repository);
        Path marker = dir.resolve(".chelsea-" + quantization.trim().toUpperCase(Locale.ROOT) + ".complete");
        try {
            Files.createDirectories(dir);
            Path done = completeFile(dir, marker);
            if (done != null) {
                return done;
            }
            // Two processes starting together must not write the same file.
            try (FileChannel lockFile = FileChannel.open(dir.resolve(".download.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                done = completeFile(dir, marker);
                if (done != null) {
                    return done;
                }
                List<RepositoryFile> listing = listFiles(repository);
                String file = GgufFileChooser.choose(repository, listing.stream().map(RepositoryFile::name).toList(), quantization);
                RepositoryFile chosen = listing.stream().filter(f -> f.name().equals(file)).findFirst().orElseThrow();
                Path target = dir.resolve(Path.of(file).getFileName().toString());
                long size = fetch(repository, chosen, target);
                Properties p = new Properties();
                p.setProperty("repository", repository);
                p.setProperty("file", target.getFileName().toString());
                p.setProperty("size", Long.toString(size));
                if (chosen.sha256() != null) {
                    p.setProperty("sha256", chosen.sha256());
                }
                try (OutputStream out = Files.newOutputStream(marker)) {
                    p.store(out, "Chelsea: complete download of " + repository + "/" + file);
                }
                return target;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + quantization + " of " + repository + " into " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while downloading " + repository, e);
        }
    }

    /** The file a marker records, if it is there with the recorded size. */
    private static Path completeFile(Path dir, Path marker) throws IOException {
        if (!Files.isRegularFile(marker)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(marker)) {
            p.load(in);
        }
        String name = p.getProperty("file");
        String size = p.getProperty("size");
        if (name == null || size == null) {
            return null;
        }
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Files.size(file) == Long.parseLong(size)) {
            return file;
        }
        LOG.log(Level.WARNING, () -> "The download marker " + marker + " names " + file + ", which is missing or of another size; downloading again");
        return null;
    }

    /** A file of a repository: its path, and its size and SHA-256 where the hub gives them (-1 and null otherwise). */
    record RepositoryFile(String name, long size, String sha256) {
    }

    /** The files in {@code repository}. */
    List<RepositoryFile> listFiles(String repository) throws IOException, InterruptedException {
        URI uri = baseUrl.resolve("/api/models/" + repository + "?blobs=true");
        HttpResponse<String> response = http.send(request(uri).build(), HttpResponse.BodyHandlers.ofString());
        checkStatus(response.statusCode(), repository, uri);
        JsonNode siblings = JSON.readTree(response.body()).path("siblings");
        if (!siblings.isArray()) {
            throw new IOException("unexpected answer from " + uri + ": no list of files (\"siblings\")");
        }
        List<RepositoryFile> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            String name = s.path("rfilename").asText("");
            if (name.isEmpty()) {
                continue;
            }
            JsonNode lfs = s.path("lfs");
            String sha = lfs.path("sha256").asText("").toLowerCase(Locale.ROOT);
            long size = lfs.path("size").asLong(s.path("size").asLong(-1));
            files.add(new RepositoryFile(name, size, SHA256.matcher(sha).matches() ? sha : null));
        }
        return files;
    }

    private long fetch(String repository, RepositoryFile file, Path target) throws IOException, InterruptedException {
        String name = file.name();
        if (name.contains("..") || name.startsWith("/")) {
            throw new IOException("refusing the file name '" + name + "' listed by " + repository);
        }
        StringBuilder path = new StringBuilder("/").append(repository).append("/resolve/main");
        for (String segment : name.split("/")) {
            path.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        URI uri = baseUrl.resolve(path.toString());
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (file.size() >= 0 && have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        if (have > 0 && have == file.size()) {
            // The last start had all the bytes but stopped before checking them.
            return finish(repository, file, part, target, have, file.sha256() == null ? null : sha256(part, have));
        }
        HttpRequest.Builder request = request(uri);
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (have > 0 && response.statusCode() == 416) {
            // The server cannot serve the rest of what is kept: it is not a prefix of its file.
            response.body().close();
            Files.delete(part);
            return fetch(repository, file, target);
        }
        try (InputStream in = response.body()) {
            boolean resumed = have > 0 && response.statusCode() == 206;
            if (resumed) {
                long start = rangeStart(response);
                if (start != have) {
                    throw new IOException("asked " + uri + " for bytes from " + have + ", got a range from " + start);
                }
            } else {
                // A server that ignores the range sends the whole file again: start over.
                checkStatus(response.statusCode(), repository, uri);
                have = 0;
            }
            long length = response.headers().firstValueAsLong("content-length").orElse(-1);
            long expected = file.size() >= 0 ? file.size() : length >= 0 ? have + length : -1;
            long from = have;
            LOG.log(Level.INFO, () -> (resumed ? "Resuming " + repository + "/" + name + " at " + human(from) : "Downloading " + repository + "/" + name)
                    + (expected > 0 ? " (" + human(expected) + ")" : "") + " into " + target.getParent());
            MessageDigest digest = file.sha256() == null ? null : sha256(part, have);
            long copied = copy(in, part, have, expected, name, digest);
            if (expected >= 0 && copied != expected) {
                throw new IOException("the download of " + name + " stopped after " + copied + " of " + expected
                        + " bytes; the part is kept in " + part + " and the next start resumes it");
            }
            return finish(repository, file, part, target, copied, digest);
        }
    }

    /** Checks the complete {@code part} against the hub's SHA-256 (when known) and moves it into place. */
    private static long finish(String repository, RepositoryFile file, Path part, Path target, long bytes, MessageDigest digest) throws IOException {
        if (digest != null) {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(file.sha256())) {
                Files.deleteIfExists(part);
                throw new IOException("the download of " + file.name() + " is corrupt: its SHA-256 is " + actual + ", the hub lists "
                        + file.sha256() + "; the file was deleted, start again to download it anew");
            }
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        LOG.log(Level.INFO, () -> "Downloaded " + repository + "/" + file.name() + " (" + human(bytes) + (digest != null ? ", SHA-256 checked" : "") + ")");
        return bytes;
    }

    /** The first byte of a 206 answer, from {@code Content-Range: bytes <first>-<last>/<size>}. */
    private static long rangeStart(HttpResponse<?> response) throws IOException {
        String range = response.headers().firstValue("content-range").orElse("");
        var m = CONTENT_RANGE.matcher(range);
        if (!m.lookingAt()) {
            throw new IOException("a partial answer without a usable Content-Range ('" + range + "')");
        }
        return Long.parseLong(m.group(1));
    }

    /** A SHA-256 digest that has already read the first {@code bytes} bytes of {@code part}. */
    private static MessageDigest sha256(Path part, long bytes) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        if (bytes > 0) {
            byte[] buffer = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(part)) {
                long left = bytes;
                int n;
                while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
                    digest.update(buffer, 0, n);
                    left -= n;
                }
            }
        }
        return digest;
    }

    /** Appends {@code in} to {@code part}, which holds {@code have} bytes already; returns the bytes it then holds. */
    private static long copy(InputStream in, Path part, long have, long expected, String file, MessageDigest digest) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long copied = have;
        int nextPercent = expected > 0 ? (int) (have * 100 / expected / 10 * 10 + 10) : 10;
        long lastLog = System.nanoTime();
        StandardOpenOption mode = have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                if (digest != null) {
                    digest.update(buffer, 0, n);
                }
                copied += n;
                long now = System.nanoTime();
                if (expected > 0 && copied * 100 / expected >= nextPercent) {
                    long pct = copied * 100 / expected;
                    long c = copied;
                    LOG.log(Level.INFO, () -> "Downloading " + file + ": " + pct + "% (" + human(c) + " of " + human(expected) + ")");
                    nextPercent = (int) (pct / 10 * 10 + 10);
                    lastLog = now;
                } else if (expected <= 0 && now - lastLog > 10_000_000_000L) {
                    long c = copied;
                    LOG.log(Level.INFO, () -> "Downloading " + file + ": " + human(c));
                    lastLog = now;
                }
            }
        } catch (IOException e) {
            throw new IOException("the download of " + file + " broke off after " + human(copied)
                    + " (kept in " + part + "; the next start resumes it): " + e.getMessage(), e);
        }
        return copied;
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("User-Agent", "chelsea-langchain4j");
        if (token != null && !token.isBlank()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static void checkStatus(int status, String repository, URI uri) throws IOException {
        if (status == 200) {
            return;
        }
        if (status == 401 || status == 403) {
            throw new IOException(repository + " is private or gated (HTTP " + status + " from " + uri
                    + "): accept its terms on Hugging Face and set a token (HF_TOKEN)");
        }
        if (status == 404) {
            throw new IOException("not found on Hugging Face (HTTP 404 from " + uri + "): check the repository name '" + repository + "'");
        }
        throw new IOException("HTTP " + status + " from " + uri);
    }

    private static void checkRepository(String repository) {
        if (repository == null || !REPOSITORY.matcher(repository).matches() || repository.contains("..")) {
            throw new IllegalArgumentException("'" + repository + "' is not a Hugging Face repository name (owner/name, "
                    + "such as bartowski/Llama-3.2-1B-Instruct-GGUF)");
        }
    }

    static String human(long bytes) {
        return dev.chelsea.engine.model.Bytes.human(bytes);
    }

    public static final class Builder {
        private URI baseUrl = DEFAULT_BASE_URL;
        private Path modelsDir = defaultModelsDir();
        private String token = System.getenv("HF_TOKEN");
        private Duration timeout = Duration.ofSeconds(60);

        /** The hub's address; default {@code https://huggingface.co} (a mirror or a test server otherwise). */
        public Builder baseUrl(URI baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        public Builder modelsDir(Path modelsDir) {
            this.modelsDir = modelsDir;
            return this;
        }

        /** An access token for gated or private repositories; default: the {@code HF_TOKEN} environment variable. */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /** Connection timeout, and the most time waiting for the server to answer a request. */
        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public HuggingFaceDownloader build() {
            if (baseUrl == null || modelsDir == null || timeout == null) {
                throw new IllegalArgumentException("base URL, models folder and timeout are required");
            }
            return new HuggingFaceDownloader(this);
        }
    }
}
