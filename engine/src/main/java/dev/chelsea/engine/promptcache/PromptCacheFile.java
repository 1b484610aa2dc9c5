package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayerImage;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.model.Model;
import dev.chelsea.engine.model.Session;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A prompt cache on disk, so that a restart keeps it. The file is written whole to a temporary
 * file next to it, forced to disk and renamed over the old one, so a crash leaves either the old
 * file or the new one. Loading checks everything before any entry is used: the format and its
 * version, the model (its {@link ModelFingerprint}), the backend and the KV layout, and a CRC-32
 * of the whole content; a file that fails a check is not used, with the reason.
 *
 * <p>Format, version {@value #VERSION} (big-endian, as {@link DataOutputStream} writes):
 * <pre>
 * "CHELSEA-PROMPT-CACHE" (20 ASCII bytes), int version
 * UTF model fingerprint, UTF backend id, int layers, int kvHeads, int headDim, int entries
 * per entry, least recently used first:
 *   KV settings: UTF policy, double keptRatio, int budget, int chunkSize, int sinkTokens,
 *                int recentWindow, boolean sizeBias, UTF layerBudgets, boolean globalTopK
 *   int n, int[n] tokens; int position, boolean inPrompt, long compressions, long compressionNanos
 *   per layer: int slots, int tokens, boolean merged, boolean sizes, boolean scores,
 *     per KV head: int[slots] positions, float[slots*headDim] keys, float[slots*headDim] values,
 *                  float[slots] sizes (if sizes), float[slots] scores (if scores)
 *     int queryHeads, int queriesSeen, int ring (0: none), float[ring*queryHeads*headDim] queries, int[ring] positions
 * long CRC-32 of every byte before it
 * </pre>
 * Keys and values are float32 whatever the backend stores ({@link KvLayerImage}).
 */
public final class PromptCacheFile {
    static final byte[] MAGIC = "CHELSEA-PROMPT-CACHE".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;

    private PromptCacheFile() {
    }

    /** Identity of what the entries were computed with. */
    record Identity(String fingerprint, String backend, KvLayout layout) {
        static Identity of(Model model) {
            return new Identity(ModelFingerprint.of(model.file()), model.backendType().id(), model.kvLayout());
        }
    }

    /** What {@link #load} found: the entries stored, or why none were. */
    public record LoadResult(int entries, String problem) {
        public boolean loaded() {
            return problem == null;
        }
    }

    /** Writes every entry of {@code cache}, computed with {@code model}, to {@code file} atomically; returns the entries written. */
    public static int save(PromptCache cache, Model model, Path file) throws IOException {
        Identity id = Identity.of(model);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        List<PromptCache.Hit> held = cache.holdAll();
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream raw = java.nio.channels.Channels.newOutputStream(ch);
                CRC32 crc = new CRC32();
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw, 1 << 20), crc));
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeUTF(id.fingerprint());
                out.writeUTF(id.backend());
                out.writeInt(id.layout().layers());
                out.writeInt(id.layout().kvHeads());
                out.writeInt(id.layout().headDim());
                out.writeInt(held.size());
                Floats floats = new Floats();
                for (PromptCache.Hit h : held) {
                    writeEntry(out, h, floats);
                }
                out.flush();
                // The checksum goes after the bytes it covers, outside the checked stream.
                DataOutputStream tail = new DataOutputStream(raw);
                tail.writeLong(crc.getValue());
                tail.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return held.size();
        } finally {
            held.forEach(PromptCache.Hit::close);
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeEntry(DataOutputStream out, PromptCache.Hit h, Floats floats) throws IOException {
        KvCacheConfig kv = h.kv();
        out.writeUTF(kv.policy());
        out.writeDouble(kv.keptRatio());
        out.writeInt(kv.budget());
        out.writeInt(kv.chunkSize());
        out.writeInt(kv.sinkTokens());
        out.writeInt(kv.recentWindow());
        out.writeBoolean(kv.sizeBias());
        out.writeUTF(kv.layerBudgets());
        out.writeBoolean(kv.globalTopK());
        int[] tokens = h.tokens();
        out.writeInt(tokens.length);
        floats.writeInts(out, tokens, tokens.length);
        KvCache<?> state = h.state();
        out.writeInt(state.position());
        out.writeBoolean(state.inPrompt());
        out.writeLong(state.stats().compressions());
        out.writeLong(state.stats().compressionNanos());
        for (int l = 0; l < state.layout().layers(); l++) {
            KvLayerImage img = state.store().exportLayer(l);
            out.writeInt(img.slots());
            out.writeInt(img.tokens());
            out.writeBoolean(img.merged());
            out.writeBoolean(img.sizes() != null);
            out.writeBoolean(img.scores() != null);
            int n = img.slots(), d = state.layout().headDim();
            for (int head = 0; head < img.keys().length; head++) {
                floats.writeInts(out, img.positions()[head], n);
                floats.write(out, img.keys()[head], n * d);
                floats.write(out, img.values()[head], n * d);
                if (img.sizes() != null) {
                    floats.write(out, img.sizes()[head], n);
                }
                if (img.scores() != null) {
                    floats.write(out, img.scores()[head], n);
                }
            }
            out.writeInt(img.queryHeads());
            out.writeInt(img.queriesSeen());
            int ring = img.queries() == null ? 0 : img.queryPositions().length;
            out.writeInt(ring);
            if (ring > 0) {
                floats.write(out, img.queries(), img.queries().length);
                floats.writeInts(out, img.queryPositions(), ring);
            }
        }
    }

    /**
     * Stores the entries of {@code file} in {@code cache} (least recently used first, so the bound
     * and the order hold as when they were saved). A missing file is an empty result; a file that
     * fails a check stores nothing and says why. Entries are rebuilt in sessions of {@code model},
     * which must be the model they were computed with.
     */
    public static LoadResult load(PromptCache cache, Model model, Path file) throws IOException {
        if (!Files.exists(file)) {
            return new LoadResult(0, null);
        }
        Identity id = Identity.of(model);
        CRC32 crc = new CRC32();
        List<Loaded> entries = new ArrayList<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                return new LoadResult(0, file + " is not a prompt cache file");
            }
            int version = in.readInt();
            if (version != VERSION) {
                return new LoadResult(0, file + " has format version " + version + ", this build reads version " + VERSION);
            }
            String fingerprint = in.readUTF();
            String backend = in.readUTF();
            KvLayout layout = new KvLayout(in.readInt(), in.readInt(), in.readInt());
            if (!fingerprint.equals(id.fingerprint())) {
                return new LoadResult(0, file + " was written for another model file than " + model.path());
            }
            if (!backend.equals(id.backend()) || !layout.equals(id.layout())) {
                return new LoadResult(0, file + " was written on the " + backend + " backend with KV layout " + layout
                        + ", the model runs on " + id.backend() + " with " + id.layout());
            }
            int count = in.readInt();
            Floats floats = new Floats();
            try {
                for (int i = 0; i < count; i++) {
                    entries.add(readEntry(in, model, floats));
                }
                long expected = crc.getValue();
                long stored = new DataInputStream(raw).readLong();
                if (stored != expected) {
                    throw new CorruptFileException("its checksum does not match: the file is damaged");
                }
                if (raw.read() >= 0) {
                    throw new CorruptFileException("it has bytes after its checksum");
                }
            } catch (EOFException e) {
                entries.forEach(Loaded::close);
                return new LoadResult(0, file + " is truncated");
            } catch (CorruptFileException | IllegalArgumentException e) {
                entries.forEach(Loaded::close);
                return new LoadResult(0, file + " cannot be used: " + e.getMessage());
            }
        }
        for (Loaded e : entries) {
            cache.put(e.tokens, e.kv, e.state);
        }
        return new LoadResult(entries.size(), null);
    }

    private record Loaded(int[] tokens, KvCacheConfig kv, KvCache<?> state) {
        void close() {
            state.close();
        }
    }

    private static final class CorruptFileException extends IOException {
        CorruptFileException(String message) {
            super(message);
        }
    }

    private static Loaded readEntry(DataInputStream in, Model model, Floats floats) throws IOException {
        KvCacheConfig kv = new KvCacheConfig(in.readUTF(), in.readDouble(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                in.readBoolean(), in.readUTF(), in.readBoolean());
        int n = checkedLength(in.readInt(), model.contextLength(), "tokens");
        int[] tokens = floats.readInts(in, n);
        int position = in.readInt();
        boolean inPrompt = in.readBoolean();
        long compressions = in.readLong(), compressionNanos = in.readLong();
        KvLayout layout = model.kvLayout();
        int d = layout.headDim(), heads = layout.kvHeads();
        List<KvLayerImage> layers = new ArrayList<>();
        for (int l = 0; l < layout.layers(); l++) {
            int slots = checkedLength(in.readInt(), n, "slots");
            int seen = in.readInt();
            boolean merged = in.readBoolean(), hasSizes = in.readBoolean(), hasScores = in.readBoolean();
            int[][] pos = new int[heads][];
            float[][] k = new float[heads][], v = new float[heads][];
            float[][] sizes = hasSizes ? new float[heads][] : null, scores = hasScores ? new float[heads][] : null;
            for (int h = 0; h < heads; h++) {
                pos[h] = floats.readInts(in, slots);
                k[h] = floats.read(in, slots * d);
                v[h] = floats.read(in, slots * d);
                if (hasSizes) {
                    sizes[h] = floats.read(in, slots);
                }
                if (hasScores) {
                    scores[h] = floats.read(in, slots);
                }
            }
            int queryHeads = checkedLength(in.readInt(), 1 << 12, "query heads");
            int queriesSeen = in.readInt();
            int ring = checkedLength(in.readInt(), 1 << 16, "recorded queries");
            float[] queries = ring > 0 ? floats.read(in, ring * queryHeads * d) : null;
            int[] queryPositions = ring > 0 ? floats.readInts(in, ring) : null;
            layers.add(new KvLayerImage(slots, seen, merged, pos, k, v, sizes, scores, queryHeads, queriesSeen, queries, queryPositions));
        }
        if (position != n) {
            throw new CorruptFileException("an entry of " + n + " tokens has a cache at position " + position);
        }
        try (Session session = model.newSession(kv)) {
            session.cache().importState(position, inPrompt, layers, compressions, compressionNanos);
            return new Loaded(tokens, kv, session.cache().snapshot());
        }
    }

    private static int checkedLength(int n, int most, String what) throws CorruptFileException {
        if (n < 0 || n > most) {
            throw new CorruptFileException("an entry claims " + n + " " + what + " (at most " + most + ")");
        }
        return n;
    }

    /** Bulk conversion of float and int arrays through one buffer (element by element would be slow for hundreds of megabytes). */
    private static final class Floats {
        private final byte[] bytes = new byte[1 << 16];
        private final ByteBuffer buf = ByteBuffer.wrap(bytes);

        void write(DataOutputStream out, float[] a, int n) throws IOException {
            for (int off = 0; off < n; ) {
                int m = Math.min(n - off, bytes.length / 4);
                buf.clear();
                buf.asFloatBuffer().put(a, off, m);
                out.write(bytes, 0, 4 * m);
                off += m;
            }
        }

        void writeInts(DataOutputStream out, int[] a, int n) throws IOException {
            for (int off = 0; off < n; ) {
                int m = Math.min(n - off, bytes.length / 4);
                buf.clear();
                buf.asIntBuffer().put(a, off, m);
                out.write(bytes, 0, 4 * m);
                off += m;
            }
        }

        float[] read(DataInputStream in, int n) throws IOException {
            float[] a = new float[n];
            for (int off = 0; off < n; ) {
                int m = Math.min(n - off, bytes.length / 4);
                in.readFully(bytes, 0, 4 * m);
                buf.clear();
                buf.asFloatBuffer().get(a, off, m);
                off += m;
            }
            return a;
        }

        int[] readInts(DataInputStream in, int n) throws IOException {
            int[] a = new int[n];
            for (int off = 0; off < n; ) {
                int m = Math.min(n - off, bytes.length / 4);
                in.readFully(bytes, 0, 4 * m);
                buf.clear();
                buf.asIntBuffer().get(a, off, m);
                off += m;
            }
            return a;
        }
    }
}
