package dev.chelsea.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Native memory for the interleaved weight copies ({@link InterleavedMatrix}), in 2 MiB pages where
 * Linux gives them: mapped anonymously through the C library ({@code mmap}), then advised
 * ({@code madvise(MADV_HUGEPAGE)}) before the copy is written, so that its pages are huge from the
 * first write. {@code Arena.allocate} writes its zeros first, into 4 KiB pages that the kernel only
 * later and slowly merges (a few tens of MB of a 750 MB copy after a minute, measured).
 *
 * <p>Why: a prompt batch decodes each group of rows' weights into a panel just before multiplying
 * them, and those loads wait on memory; with 4 KiB pages every second panel also starts a new page
 * (a TLB miss and, for the hardware prefetchers, a new stream). Whole 256-token prefills, 2 MiB
 * pages against 4 KiB ones as two builds in one JVM ({@code bin/engine-ab --order p}), AMD EPYC
 * Zen 5, 2 threads, 2026-12-08: Q4_0 0.936 and 0.955x the time (both orders of the builds), Q4_K_M
 * 0.978x; decode steps 0.995x (they stream the same copies, bound elsewhere).
 *
 * <p>Only whole 2 MiB pages inside the copy are advised, so no page holds bytes past its end and
 * resident memory stays what the copy needs (the mapping's alignment slack is never touched).
 * Copies under 2 MiB, other systems, a C library without these calls, a runtime that refuses the
 * downcall (a native image without it registered) or {@code -D}{@value #PROPERTY}{@code =false}
 * take {@code Arena.ofAuto().allocate} as before; so does a copy whose {@code mmap} fails. The
 * kernel setting {@code /sys/kernel/mm/transparent_hugepage/enabled} must be {@code always} or
 * {@code madvise}; with {@code never} the advice changes nothing. Either way the memory is freed
 * when the copy is collected, as an automatic arena's.
 */
public final class HugePages {
    /** The system property that turns the advice off ({@code false}). */
    static final String PROPERTY = "chelsea.huge-pages";
    static final long HUGE = 2L << 20;
    private static final String THP_SETTING = "/sys/kernel/mm/transparent_hugepage/enabled";

    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final int MADV_HUGEPAGE = 14;

    private static final System.Logger LOG = System.getLogger(HugePages.class.getName());

    /** The three calls, or null where they are not used (and {@link #STATE} says why). */
    private static final Calls CALLS;
    private static final String STATE;
    /** Set once a call failed at run time: every later copy takes the arena. */
    private static volatile boolean failed;

    static {
        String why = unavailable();
        Calls calls = null;
        if (why == null) {
            try {
                calls = new Calls();
            } catch (Throwable e) {
                why = "the C library's mmap/madvise are not callable here (" + e + ")";
            }
        }
        CALLS = calls;
        STATE = why == null ? "2 MiB pages for weight copies" : "4 KiB pages for weight copies: " + why;
    }

    private HugePages() {
    }

    /** Which pages the weight copies get in this JVM, and why not 2 MiB ones (for the backend's log line). */
    public static String label() {
        return failed ? "4 KiB pages for weight copies: mmap failed once" : STATE;
    }

    /** Whether copies of 2 MiB and more are mapped and advised in this JVM. */
    static boolean enabled() {
        return CALLS != null && !failed;
    }

    /** Zeroed native memory of {@code bytes} bytes, aligned to 64 bytes at least, freed when unreachable. */
    static MemorySegment allocate(long bytes) {
        Calls calls = CALLS;
        if (calls == null || failed || bytes < HUGE) {
            return Arena.ofAuto().allocate(bytes, 64);
        }
        try {
            return calls.map(bytes);
        } catch (Throwable e) {
            failed = true;
            LOG.log(System.Logger.Level.WARNING, "mapping a weight copy in 2 MiB pages failed, 4 KiB pages from now on: " + e);
            return Arena.ofAuto().allocate(bytes, 64);
        }
    }

    private static String unavailable() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return "-D" + PROPERTY + "=false";
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return "not Linux on x86-64 or AArch64 (" + os + ", " + arch + ")";
        }
        try {
            String setting = Files.readString(Path.of(THP_SETTING));
            if (setting.contains("[never]")) {
                return THP_SETTING + " is never";
            }
        } catch (Exception e) {
            // Unreadable (a container may hide it): advise anyway, the kernel ignores what it cannot do.
        }
        return null;
    }

    private static final class Calls {
        final MethodHandle mmap;
        final MethodHandle madvise;
        final MethodHandle munmap;

        Calls() {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        }

        MemorySegment map(long bytes) throws Throwable {
            long length = bytes + HUGE;
            long base = (long) mmap.invokeExact(0L, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (base == -1L) {
                throw new IllegalStateException("mmap of " + length + " bytes returned MAP_FAILED");
            }
            long start = (base + HUGE - 1) & -HUGE;
            // Advice failing (an old kernel, a seccomp filter) leaves ordinary pages: not an error.
            int ignored = (int) madvise.invokeExact(start, bytes / HUGE * HUGE, MADV_HUGEPAGE);
            MethodHandle unmap = munmap;
            return MemorySegment.ofAddress(start).reinterpret(bytes, Arena.ofAuto(), segment -> {
                try {
                    int rc = (int) unmap.invokeExact(base, length);
                } catch (Throwable e) {
                    LOG.log(System.Logger.Level.WARNING, "munmap of a weight copy failed: " + e);
                }
            });
        }
    }
}
