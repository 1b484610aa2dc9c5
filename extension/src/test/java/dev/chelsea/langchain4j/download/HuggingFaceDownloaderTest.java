package dev.chelsea.langchain4j.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The downloader against a local stand-in for the hub: a repository listing and a GGUF file served
 * from the shared stories260K model, read in place.
 */
class HuggingFaceDownloaderTest {
    private static final String REPO = "karpathy-test/stories260K-GGUF";
    private static final String FILE = "stories260K-F32.gguf";

    private HttpServer server;
    private Path model;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    private volatile boolean truncate;
    private volatile boolean ignoreRanges;
    private volatile String listedSha256;
    /** Extra entries of the listing, raw JSON objects. */
    private volatile String extraSiblings = "";
    /** Size the listing gives the file; -1: its true size. */
    private volatile long listedSize = -1;
    /** Bytes of garbage sent after the file, without a Content-Length (chunked). */
    private volatile int trailingBytes;
    /** Content-Length announced for the file; -1: the true one. */
    private volatile long announcedLength = -1;
    /** Where the file's address redirects to, if not null. */
    private volatile String redirectTo;
    /** The listing is this many bytes of padding (a server that never stops talking). */
    private volatile int listingPadding;
    private final List<String> authorizations = new CopyOnWriteArrayList<>();

    @TempDir
    Path models;

    @BeforeEach
    void start() throws IOException {
        model = Shared.file("models/stories260K.gguf");
        listedSha256 = sha256(model);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        requests.add(path);
        ranges.add(range == null ? "" : range);
        authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
        try (ex) {
            if (path.equals("/api/models/" + REPO)) {
                long size = listedSize >= 0 ? listedSize : Files.size(model);
                String lfs = "\"lfs\":{\"sha256\":\"" + listedSha256 + "\",\"size\":" + size + ",\"pointerSize\":135}";
                byte[] body = ("{\"id\":\"" + REPO + "\",\"siblings\":[{\"rfilename\":\".gitattributes\"},{\"rfilename\":\"README.md\"},"
                        + extraSiblings + "{\"rfilename\":\"stories260K-Q8_0.gguf\"},{\"rfilename\":\"" + FILE + "\"," + lfs + "}]"
                        + ",\"padding\":\"" + "x".repeat(listingPadding) + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } else if (path.equals("/" + REPO + "/resolve/main/" + FILE) && redirectTo != null) {
                ex.getResponseHeaders().add("Location", redirectTo);
                ex.sendResponseHeaders(302, -1);
            } else if (path.equals("/" + REPO + "/resolve/main/" + FILE) || path.equals("/cdn/" + FILE)) {
                byte[] all = Files.readAllBytes(model);
                int from = 0;
                if (trailingBytes > 0) {
                    ex.sendResponseHeaders(200, 0);
                    ex.getResponseBody().write(all);
                    ex.getResponseBody().write(new byte[trailingBytes]);
                    return;
                }
                if (range != null && !ignoreRanges) {
                    from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
                    ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (all.length - 1) + "/" + all.length);
                    ex.sendResponseHeaders(206, all.length - from);
                } else {
                    ex.sendResponseHeaders(200, announcedLength >= 0 ? announcedLength : all.length);
                }
                OutputStream out = ex.getResponseBody();
                if (truncate) {
                    out.write(all, from, (all.length - from) / 2);
                    out.flush();
                    // Closing the exchange without the rest leaves the client short of the announced length.
                    ex.getHttpContext().getServer().stop(0);
                    return;
                }
                out.write(all, from, all.length - from);
                out.close();
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        }
    }

    private HuggingFaceDownloader downloader() {
        return downloader(null);
    }

    private HuggingFaceDownloader downloader(String token) {
        return HuggingFaceDownloader.builder()
                .baseUrl(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .modelsDir(models)
                .token(token)
                .build();
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private List<String> filesUnder(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void namesFromTheConfigurationCannotLeaveTheModelsFolder() {
        for (String bad : new String[]{"../../etc", "Q4_K_M/../../x", "Q8_0\u0000", "a b", ".."}) {
            var e = assertThrows(IllegalArgumentException.class, () -> downloader().download(REPO, bad));
            assertTrue(e.getMessage().contains("is not a quantization"), e.getMessage());
        }
        for (String bad : new String[]{"../x", "a/..", "owner/.hidden", "owner/na me", "/abs/path", "o/n\u0000"}) {
            assertThrows(IllegalArgumentException.class, () -> downloader().download(bad, "Q8_0"), bad);
        }
        assertTrue(requests.isEmpty(), "refused before any request");
    }

    @Test
    void aListedFileNameThatCouldLeaveTheFolderIsRefused() throws IOException {
        for (String bad : new String[]{"../../evil-Q5_0.gguf", "sub/../../evil-Q5_0.gguf", ".evil-Q5_0.gguf", "evil\\\\..\\\\x-Q5_0.gguf"}) {
            extraSiblings = "{\"rfilename\":\"" + bad + "\"},";
            var e = assertThrows(RuntimeException.class, () -> downloader().download(REPO, "Q5_0"), bad);
            assertTrue(e.getMessage().contains("refusing the file name") || e.getMessage().contains("not a GGUF")
                    || e.getMessage().contains("on offer"), bad + ": " + e.getMessage());
        }
        assertEquals(List.of(), filesUnder(models).stream().filter(f -> f.contains("evil")).toList());
        assertFalse(Files.exists(models.getParent().resolve("evil-Q5_0.gguf")));
    }

    @Test
    void aServerThatAnnouncesAnotherSizeThanItsListingIsRefusedAndNothingIsKept() throws IOException {
        announcedLength = Files.size(model) + 1000;
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("the listing of " + REPO + " gives " + FILE + " " + Files.size(model) + " bytes"), e.getMessage());
        assertEquals(List.of(".download.lock"), filesUnder(models.resolve("karpathy-test_stories260K-GGUF")));
    }

    @Test
    void aServerThatSendsMoreThanItListedIsCutOffAndThePartDeleted() throws IOException {
        trailingBytes = 5 << 20;
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("goes on past the " + Files.size(model) + " bytes announced"), e.getMessage());
        assertEquals(List.of(".download.lock"), filesUnder(models.resolve("karpathy-test_stories260K-GGUF")));
    }

    @Test
    void aListingWithoutEndIsRefused() {
        listingPadding = HuggingFaceDownloader.MAX_LISTING_BYTES;
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("not a repository listing"), e.getMessage());
    }

    @Test
    void aRedirectToAnotherHostIsFollowedWithoutTheToken() throws IOException {
        HttpServer cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn.createContext("/", this::serve);
        cdn.start();
        try {
            // another port is another origin, as a CDN is
            redirectTo = "http://localhost:" + cdn.getAddress().getPort() + "/cdn/" + FILE;
            Path file = downloader("secret").download(REPO, "F32");
            assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(file));
            assertEquals(List.of("/api/models/" + REPO, "/" + REPO + "/resolve/main/" + FILE, "/cdn/" + FILE), requests);
            assertEquals(List.of("Bearer secret", "Bearer secret", "null"), authorizations, "the token stays with the hub");
        } finally {
            cdn.stop(0);
        }
    }

    @Test
    void redirectsToOtherSchemesOrWithoutEndAreRefused() {
        redirectTo = "file:///etc/passwd";
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("only http and https addresses are followed"), e.getMessage());
        redirectTo = "/" + REPO + "/resolve/main/" + FILE;
        e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("more than " + HuggingFaceDownloader.MAX_REDIRECTS + " redirects"), e.getMessage());
        assertEquals(List.of(".download.lock"), filesUnderQuietly(models.resolve("karpathy-test_stories260K-GGUF")));
    }

    private List<String> filesUnderQuietly(Path root) {
        try {
            return filesUnder(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aMarkerThatNamesAFileOutsideIsNotTrusted() throws IOException {
        Path dir = Files.createDirectories(models.resolve("karpathy-test_stories260K-GGUF"));
        Files.writeString(dir.resolve(".chelsea-F32.complete"), "file=../../../etc/passwd\nsize=1\n");
        Path file = downloader().download(REPO, "F32");
        assertEquals(dir.resolve(FILE), file, "downloaded anew into the folder");
    }

    @Test
    void downloadsTheChosenFileOnceAndThenWorksOffline() throws IOException {
        Path file = downloader().download(REPO, "f32");
        assertEquals(models.resolve("karpathy-test_stories260K-GGUF").resolve(FILE), file);
        assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(file));
        assertTrue(Files.exists(file.resolveSibling(".chelsea-F32.complete")), "marker of a complete download");
        assertFalse(Files.exists(file.resolveSibling(FILE + ".part")));
        assertEquals(List.of("/api/models/" + REPO, "/" + REPO + "/resolve/main/" + FILE), requests);

        server.stop(0);
        assertEquals(file, downloader().download(REPO, "F32"), "the marker makes a second start need no network");
        assertEquals(2, requests.size());
    }

    @Test
    void anUnknownQuantizationListsWhatIsOnOffer() {
        var e = assertThrows(IllegalArgumentException.class, () -> downloader().download(REPO, "Q4_K_M"));
        assertTrue(e.getMessage().contains("on offer: F32, Q8_0"), e.getMessage());
    }

    @Test
    void anUnknownRepositoryIsReportedAsNotFound() {
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download("nobody/nothing-GGUF", "Q8_0"));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        assertTrue(e.getMessage().contains("nobody/nothing-GGUF"), e.getMessage());
    }

    @Test
    void aBrokenDownloadKeepsItsPartAndTheNextStartFetchesOnlyTheRest() throws IOException {
        truncate = true;
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("resumes"), e.getMessage());
        Path dir = models.resolve("karpathy-test_stories260K-GGUF");
        Path part = dir.resolve(FILE + ".part");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < Files.size(model), "a part of " + kept + " bytes");
        assertFalse(Files.exists(dir.resolve(".chelsea-F32.complete")), "no marker for a broken download");
        assertFalse(Files.exists(dir.resolve(FILE)));

        truncate = false;
        start();
        Path file = downloader().download(REPO, "F32");
        assertEquals("bytes=" + kept + "-", ranges.getLast(), "the second start asks for the rest only");
        assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(file));
        assertFalse(Files.exists(part));
    }

    @Test
    void aServerThatIgnoresTheRangeGetsTheWholeFileAgain() throws IOException {
        truncate = true;
        assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        truncate = false;
        ignoreRanges = true;
        start();
        Path file = downloader().download(REPO, "F32");
        assertTrue(ranges.getLast().startsWith("bytes="), "a range was asked for");
        assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(file));
    }

    @Test
    void aDownloadWhoseChecksumDiffersIsDeleted() throws IOException {
        listedSha256 = "0".repeat(64);
        var e = assertThrows(UncheckedIOException.class, () -> downloader().download(REPO, "F32"));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        Path dir = models.resolve("karpathy-test_stories260K-GGUF");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(".download.lock"), files.map(p -> p.getFileName().toString()).toList(),
                    "neither the file, its part nor a marker is left");
        }
    }

    @Test
    void aPartThatIsAlreadyCompleteIsCheckedAndUsedWithoutDownloading() throws IOException {
        Path dir = Files.createDirectories(models.resolve("karpathy-test_stories260K-GGUF"));
        Files.copy(model, dir.resolve(FILE + ".part"));
        Path file = downloader().download(REPO, "F32");
        assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(file));
        assertEquals(List.of("/api/models/" + REPO), requests, "only the listing was fetched");
    }

    private static String sha256(Path file) throws IOException {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMarkerWhoseFileIsGoneIsNotTrusted() throws IOException {
        Path file = downloader().download(REPO, "F32");
        Files.delete(file);
        assertEquals(file, downloader().download(REPO, "F32"));
        assertEquals(4, requests.size());
        assertEquals(Files.size(model), Files.size(file));
    }

    @Test
    void badRepositoryNamesAreRefusedBeforeAnyRequest() {
        for (String bad : new String[]{"no-owner", "../etc/passwd", "a/b/c", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> downloader().download(bad, "Q8_0"));
            assertTrue(e.getMessage().contains("not a Hugging Face repository name"), e.getMessage());
        }
        assertTrue(requests.isEmpty());
    }

    @Test
    void theProgressBarFillsOneMarkPerFivePercent() {
        assertEquals("[....................]", HuggingFaceDownloader.bar(0));
        assertEquals("[##########..........]", HuggingFaceDownloader.bar(50));
        assertEquals("[####################]", HuggingFaceDownloader.bar(100));
        assertEquals("[####################]", HuggingFaceDownloader.bar(140));
    }

    @Test
    void aHubThatCannotBeReachedIsSaidInWords() throws IOException {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort(); // closed again: connections are refused
        }
        HuggingFaceDownloader offline = HuggingFaceDownloader.builder().baseUrl(URI.create("http://127.0.0.1:" + port))
                .modelsDir(models).token(null).build();
        var e = assertThrows(UncheckedIOException.class, () -> offline.download(REPO, "F32"));
        assertTrue(e.getMessage().contains("cannot reach the hub"), e.getMessage());
        assertTrue(e.getMessage().contains("set model-path"), e.getMessage());
    }
}
