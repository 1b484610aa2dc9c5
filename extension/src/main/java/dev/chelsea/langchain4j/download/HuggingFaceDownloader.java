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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Fetches one GGUF file of a Hugging Face repository into a local folder, once. The file is chosen
 * by quantization from the repository's listing ({@code /api/models/<repo>}), downloaded from
 * {@code /<repo>/resolve/main/<file>} into a {@code .part} file with progress logged, checked
 * against the announced size, moved into place, and recorded in a marker. Later calls find the
 * marker and use the file without touching the network, so an application starts offline once
 * its model is there.
 */
public final class HuggingFaceDownloader {
    public static final URI DEFAULT_BASE_URL = URI.create("https://huggingface.co");

    private static final System.Logger LOG = System.getLogger(HuggingFaceDownloader.class.getName());
    private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper();

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
                String file = GgufFileChooser.choose(repository, listFiles(repository), quantization);
                Path target = dir.resolve(Path.of(file).getFileName().toString());
                long size = fetch(repository, file, target);
                Properties p = new Properties();
                p.setProperty("repository", repository);
                p.setProperty("file", target.getFileName().toString());
                p.setProperty("size", Long.toString(size));
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

    /** Paths of the files in {@code repository}. */
    List<String> listFiles(String repository) throws IOException, InterruptedException {
        URI uri = baseUrl.resolve("/api/models/" + repository);
        HttpResponse<String> response = http.send(request(uri).build(), HttpResponse.BodyHandlers.ofString());
        checkStatus(response.statusCode(), repository, uri);
        JsonNode siblings = JSON.readTree(response.body()).path("siblings");
        if (!siblings.isArray()) {
            throw new IOException("unexpected answer from " + uri + ": no list of files (\"siblings\")");
        }
        List<String> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            String name = s.path("rfilename").asText("");
            if (!name.isEmpty()) {
                files.add(name);
            }
        }
        return files;
    }

    private long fetch(String repository, String file, Path target) throws IOException, InterruptedException {
        if (file.contains("..") || file.startsWith("/")) {
            throw new IOException("refusing the file name '" + file + "' listed by " + repository);
        }
        StringBuilder path = new StringBuilder("/").append(repository).append("/resolve/main");
        for (String segment : file.split("/")) {
            path.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        URI uri = baseUrl.resolve(path.toString());
        HttpResponse<InputStream> response = http.send(request(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            checkStatus(response.statusCode(), repository, uri);
            long expected = response.headers().firstValueAsLong("content-length").orElse(-1);
            Path part = target.resolveSibling(target.getFileName() + ".part");
            LOG.log(Level.INFO, () -> "Downloading " + repository + "/" + file + (expected > 0 ? " (" + human(expected) + ")" : "")
                    + " into " + target.getParent());
            long copied = copy(in, part, expected, file);
            if (expected >= 0 && copied != expected) {
                Files.deleteIfExists(part);
                throw new IOException("the download of " + file + " stopped after " + copied + " of " + expected + " bytes");
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.log(Level.INFO, () -> "Downloaded " + repository + "/" + file + " (" + human(copied) + ")");
            return copied;
        }
    }

    private static long copy(InputStream in, Path part, long expected, String file) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long copied = 0;
        int nextPercent = 10;
        long lastLog = System.nanoTime();
        try (OutputStream out = Files.newOutputStream(part)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
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
            Files.deleteIfExists(part);
            throw new IOException("the download of " + file + " failed after " + human(copied) + ": " + e.getMessage(), e);
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
        return dev.chelsea.engine.generate.GenerationStats.humanBytes(bytes);
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
