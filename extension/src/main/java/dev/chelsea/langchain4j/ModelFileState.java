package dev.chelsea.langchain4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * What identifies the contents of a mapped model file: its size, modification time and file key
 * (device and inode on Unix). A file truncated in place changes its size (reading a mapped page
 * past the new end raises SIGBUS, which the JVM turns into an {@code InternalError}); one
 * rewritten in place changes its time; one replaced by a rename changes its key (the old inode
 * stays mapped, but it is no longer the file the configuration names).
 *
 * @param key null where the file system has no file keys
 */
record ModelFileState(long size, long modifiedMillis, Object key) {

    static ModelFileState of(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new ModelFileState(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
    }

    /** What changed from {@code this} (the file as loaded) to {@code now}, in words; null if nothing. */
    String changeTo(ModelFileState now) {
        if (size != now.size) {
            return now.size < size ? "truncated from " + size + " to " + now.size + " bytes"
                    : "its size changed from " + size + " to " + now.size + " bytes";
        }
        if (!Objects.equals(key, now.key)) {
            return "replaced by another file";
        }
        if (modifiedMillis != now.modifiedMillis) {
            return "rewritten (modified at " + java.time.Instant.ofEpochMilli(now.modifiedMillis) + ")";
        }
        return null;
    }
}
