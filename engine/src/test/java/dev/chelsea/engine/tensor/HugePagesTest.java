package dev.chelsea.engine.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HugePagesTest {

    @Test
    void givesZeroedWritableMemoryOfTheSizeAsked() {
        for (long bytes : new long[] {1000, HugePages.HUGE - 64, HugePages.HUGE, 5 * HugePages.HUGE + 12_345}) {
            MemorySegment s = HugePages.allocate(bytes);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % 64, "aligned to 64 bytes");
            for (long at = 0; at + 8 <= bytes; at += 4093) {
                assertEquals(0L, s.get(ValueLayout.JAVA_LONG_UNALIGNED, at), "zero at " + at);
            }
            s.set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
            s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 9);
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(9, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
        }
    }

    @Test
    void labelSaysWhichPages() {
        String label = HugePages.label();
        assertTrue(label.equals("2 MiB pages for weight copies") || label.startsWith("4 KiB pages for weight copies: "), label);
        assertEquals(HugePages.enabled(), label.startsWith("2 MiB"));
    }

    /**
     * Where the kernel gives huge pages ({@code madvise} or {@code always}), a written copy of 16 MiB
     * is held in them: the mapping that holds it reports huge anonymous pages in
     * {@code /proc/self/smaps}. Only the whole 2 MiB pages inside it are advised.
     */
    @Test
    void aWrittenCopyIsHeldInHugePagesWhereLinuxGivesThem() throws IOException {
        assumeTrue(HugePages.enabled(), HugePages.label());
        Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        assumeTrue(Files.isReadable(thp) && !Files.readString(thp).contains("[never]"), "transparent huge pages are off");
        long bytes = 8 * HugePages.HUGE + 4096;
        MemorySegment s = HugePages.allocate(bytes);
        for (long at = 0; at < bytes; at += 4096) {
            s.set(ValueLayout.JAVA_BYTE, at, (byte) 1);
        }
        long kib = anonHugePagesKib(s.address());
        assertTrue(kib >= 2048, "AnonHugePages of the mapping at " + Long.toHexString(s.address()) + ": " + kib + " kB");
        assertTrue(kib <= 8 * 2048, "no huge page past the copy's last whole one: " + kib + " kB");
    }

    /** The {@code AnonHugePages} figure of the mapping in {@code /proc/self/smaps} that holds {@code address}. */
    private static long anonHugePagesKib(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                long start = HexFormat.fromHexDigitsToLong(line.substring(0, dash));
                long end = HexFormat.fromHexDigitsToLong(line.substring(dash + 1, space));
                inside = Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no mapping holds " + Long.toHexString(address));
    }
}
