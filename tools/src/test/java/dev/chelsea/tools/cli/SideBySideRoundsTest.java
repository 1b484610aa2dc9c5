package dev.chelsea.tools.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/side-by-side-rounds} against a stand-in for {@code side-by-side.sh} that prints a
 * different table each round: the summary holds, per file, the medians of the rounds' figures and
 * the range of the ratios, in the order the files came, and the script passes its options on.
 */
class SideBySideRoundsTest {
    @TempDir
    Path dir;

    @Test
    void summarisesTheRoundsByMedian() throws IOException, InterruptedException {
        Path fake = dir.resolve("fake-side-by-side.sh");
        Files.writeString(fake, """
                #!/usr/bin/env bash
                n=$(cat "%1$s/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "%1$s/count"
                echo "$*" > "%1$s/args"
                echo "file                          depth    pp ours   pp llama   ratio    tg ours   tg llama   ratio"
                case $n in
                  1) echo "b.gguf 0 100.0 200.0 0.50 40.00 40.00 1.00"; echo "a.gguf 0 30.0 10.0 3.00 5.00 10.00 0.50" ;;
                  2) echo "b.gguf 0 180.0 200.0 0.90 44.00 40.00 1.10"; echo "a.gguf 0 20.0 10.0 2.00 6.00 10.00 0.60" ;;
                  3) echo "b.gguf 0 140.0 200.0 0.70 42.00 40.00 1.05"; echo "a.gguf 0 10.0 10.0 1.00 7.00 10.00 0.70" ;;
                esac
                """.formatted(dir));
        fake.toFile().setExecutable(true);
        ProcessBuilder b = new ProcessBuilder("bash", RepositoryScripts.script("bin/side-by-side-rounds").toString(), "--no-probe", "3",
                "-t", "2", "-p", "256", "b.gguf", "a.gguf").redirectError(dir.resolve("err").toFile());
        b.environment().put("CHELSEA_SIDE_BY_SIDE", fake.toString());
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + Files.readString(dir.resolve("err")));
        List<String> lines = out.lines().toList();
        assertEquals(3, lines.size(), out);
        assertTrue(lines.get(1).matches("b\\.gguf\\s+0\\s+3\\s+140\\.0\\s+200\\.0\\s+0\\.70 \\(0\\.50-0\\.90\\)\\s+42\\.00\\s+40\\.00\\s+1\\.05 \\(1\\.00-1\\.10\\)"), out);
        assertTrue(lines.get(2).matches("a\\.gguf\\s+0\\s+3\\s+20\\.0\\s+10\\.0\\s+2\\.00 \\(1\\.00-3\\.00\\)\\s+6\\.00\\s+10\\.00\\s+0\\.60 \\(0\\.50-0\\.70\\)"), out);
        assertEquals("-t 2 -p 256 b.gguf a.gguf", Files.readString(dir.resolve("args")).strip());
        assertTrue(Files.readString(dir.resolve("err")).contains("round 3 of 3"));
    }

    @Test
    void failsWhenTheToolPrintsNoRows() throws IOException, InterruptedException {
        Path fake = dir.resolve("fake-side-by-side.sh");
        Files.writeString(fake, "#!/usr/bin/env bash\necho 'something else'\n");
        fake.toFile().setExecutable(true);
        ProcessBuilder b = new ProcessBuilder("bash", RepositoryScripts.script("bin/side-by-side-rounds").toString(), "--no-probe", "1", "f.gguf")
                .redirectErrorStream(true);
        b.environment().put("CHELSEA_SIDE_BY_SIDE", fake.toString());
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("no result rows"), out);
    }

    @Test
    void refusesARoundCountThatIsNotANumber() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", RepositoryScripts.script("bin/side-by-side-rounds").toString(), "--no-probe", "x", "f.gguf")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("ROUNDS must be a positive whole number, got 'x'"), out);
    }
}
