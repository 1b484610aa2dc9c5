package dev.chelsea.engine.promptcache;

import dev.chelsea.engine.gguf.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What identifies a model's weights for a prompt cache file: SHA-256 over the file's size, its
 * whole header (metadata and tensor descriptions) and 16 samples of 64 KiB spread over the
 * tensor data. Hashing a multi-gigabyte file at every start would take seconds; two files with
 * the same header (same shape and names) and the same sampled weights are, in practice, the same
 * weights (random-weight files of one shape already differ in every sample).
 */
public final class ModelFingerprint {
    private static final int SAMPLES = 16;
    private static final int SAMPLE_BYTES = 64 * 1024;

    private ModelFingerprint() {
    }

    public static String of(GgufFile file) {
        try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.READ)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long size = ch.size();
            sha.update(ByteBuffer.allocate(8).putLong(0, size));
            read(ch, 0, file.dataOffset(), sha);
            long data = size - file.dataOffset();
            for (int i = 0; i < SAMPLES && data > 0; i++) {
                long at = file.dataOffset() + (data - Math.min(SAMPLE_BYTES, data)) * i / Math.max(1, SAMPLES - 1);
                read(ch, at, Math.min(SAMPLE_BYTES, data), sha);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.path() + " to identify the model", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void read(FileChannel ch, long from, long length, MessageDigest sha) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        long pos = from, end = from + length;
        while (pos < end) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + pos);
            }
            buf.flip();
            sha.update(buf);
            pos += n;
        }
    }
}
