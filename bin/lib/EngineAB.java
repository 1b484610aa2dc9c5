import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two (or more) builds of the engine in one JVM, each in its own class loader, timed in turn on one
 * model: what {@code bin/engine-ab} runs. Fresh JVMs minutes apart measure the machine's phase as
 * much as the code on a shared machine (docs/performance.md, fourteenth session); here both builds
 * share every phase, so their ratio holds where their absolute times do not. Each build's classes
 * are its own (its kernels compile separately); the JDK's shared code is one for both, as in a
 * service.
 *
 * <p>Arguments: {@code MODEL ORDER ROUNDS STEPS THREADS PROMPT DEPTH NAME=CLASSES...}; ORDER {@code pd} runs
 * six prefills of 128 tokens per build before the decode rounds (as a server, or {@code bench},
 * does), {@code d} decode rounds only, {@code p} prefill rounds of PROMPT tokens instead of decode
 * rounds. With a DEPTH above 0 each build reads DEPTH tokens into one session first (not timed)
 * and its decode rounds go on in that session, so that they measure attention over a long cache
 * (each round adds STEPS tokens to it, alike for every build). Prints per build the median and
 * spread of its rounds (ms a step or a prefill, first two rounds left out as warm-up) and its ratio
 * to the first build.
 *
 * <p>A build may carry system properties, {@code NAME=CLASSES+key=value+key=value}: they are set while
 * that build loads its model and restored afterwards, so two builds of the same classes can compare
 * a choice the engine reads at load (for example {@code chelsea.float-batches}, read per matrix).
 */
public class EngineAB {
    record Build(String name, Object model, Method newSession, Object fullKv) {
    }

    /** Per build, its session holding DEPTH tokens (when DEPTH is above 0). */
    static final Map<Build, AutoCloseable> DEEP = new LinkedHashMap<>();

    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
        String order = a[1];
        int rounds = Integer.parseInt(a[2]), steps = Integer.parseInt(a[3]), threads = Integer.parseInt(a[4]), prompt = Integer.parseInt(a[5]);
        int depth = Integer.parseInt(a[6]);
        if (!List.of("pd", "d", "p").contains(order) || rounds < 3 || steps < 1 || threads < 1 || prompt < 1 || depth < 0) {
            throw new IllegalArgumentException("order pd, d or p, at least 3 rounds, 1 step, 1 thread and 1 prompt token, a depth of 0 or more");
        }
        int context = Math.max(1024, depth + (rounds + 1) * steps + 2);
        List<Build> builds = new ArrayList<>();
        for (String spec : Arrays.asList(a).subList(7, a.length)) {
            String[] parts = spec.split("\\+");
            int eq = parts[0].indexOf('=');
            Path classes = Path.of(parts[0].substring(eq + 1));
            if (eq < 1 || !Files.isDirectory(classes.resolve("dev/chelsea/engine"))) {
                throw new IllegalArgumentException("not NAME=ENGINE_CLASSES_DIR[+key=value...]: " + spec);
            }
            String name = parts[0].substring(0, eq);
            Map<String, String> saved = new LinkedHashMap<>();
            for (String property : Arrays.asList(parts).subList(1, parts.length)) {
                int at = property.indexOf('=');
                if (at < 1) {
                    throw new IllegalArgumentException("not key=value: " + property + " in " + spec);
                }
                String key = property.substring(0, at);
                saved.put(key, System.getProperty(key));
                System.setProperty(key, property.substring(at + 1));
                name += "+" + property;
            }
            try {
                builds.add(load(name, classes, model, threads, context));
            } finally {
                saved.forEach((key, value) -> {
                    if (value == null) {
                        System.clearProperty(key);
                    } else {
                        System.setProperty(key, value);
                    }
                });
            }
        }
        if (order.equals("pd")) {
            for (Build b : builds) {
                StringBuilder line = new StringBuilder(String.format("%-" + width(builds) + "s prefills of 128 tokens, ms:", b.name));
                for (int i = 0; i < 6; i++) {
                    line.append(String.format(" %.0f", prefill(b, 128)));
                }
                System.out.println(line);
            }
        }
        if (depth > 0 && !order.equals("p")) {
            for (Build b : builds) {
                long t0 = System.nanoTime();
                AutoCloseable s = (AutoCloseable) b.newSession.invoke(b.model, b.fullKv);
                s.getClass().getMethod("prefill", int[].class).invoke(s, (Object) tokens(depth));
                DEEP.put(b, s);
                System.out.printf("%-" + width(builds) + "s read %d tokens of context in %.1f s%n", b.name, depth, (System.nanoTime() - t0) / 1e9);
            }
        }
        double[][] ms = new double[builds.size()][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < builds.size(); k++) {
                ms[k][r] = order.equals("p") ? prefill(builds.get(k), prompt) : decode(builds.get(k), steps);
            }
        }
        String unit = order.equals("p") ? "ms a prefill of " + prompt + " tokens" : "ms a step, " + steps + " steps each";
        System.out.printf("%n%-" + width(builds) + "s %10s %10s %10s %8s   rounds (%s)%n", "build", "median", "min", "max", "ratio", unit);
        double base = median(ms[0]);
        for (int k = 0; k < builds.size(); k++) {
            double[] kept = Arrays.copyOfRange(ms[k], 2, rounds);
            Arrays.sort(kept);
            StringBuilder all = new StringBuilder();
            for (double v : ms[k]) {
                all.append(String.format(" %.1f", v));
            }
            System.out.printf("%-" + width(builds) + "s %10.2f %10.2f %10.2f %8.3f  %s%n", builds.get(k).name, median(ms[k]), kept[0], kept[kept.length - 1],
                    median(ms[k]) / base, all);
        }
        for (AutoCloseable s : DEEP.values()) {
            s.close();
        }
        for (Build b : builds) {
            ((AutoCloseable) b.model).close();
        }
    }

    /** The builds' names' column width. */
    static int width(List<Build> builds) {
        return builds.stream().mapToInt(b -> b.name.length()).max().orElse(0) + 1;
    }

    /** Median of the rounds after the first two. */
    static double median(double[] rounds) {
        double[] kept = Arrays.copyOfRange(rounds, 2, rounds.length);
        Arrays.sort(kept);
        return kept[kept.length / 2];
    }

    static Build load(String name, Path classes, Path model, int threads, int context) throws Exception {
        ClassLoader l = new URLClassLoader(new URL[]{classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        Class<?> choice = l.loadClass("dev.chelsea.engine.backend.BackendChoice");
        Class<?> options = l.loadClass("dev.chelsea.engine.model.ModelOptions");
        Class<?> modelClass = l.loadClass("dev.chelsea.engine.model.Model");
        Class<?> kv = l.loadClass("dev.chelsea.engine.kv.KvCacheConfig");
        Object cpu = choice.getField("CPU").get(null);
        Object opts = options.getConstructor(int.class, int.class, choice).newInstance(threads, context, cpu);
        Object m = modelClass.getMethod("load", Path.class, options).invoke(null, model, opts);
        return new Build(name, m, modelClass.getMethod("newSession", kv), kv.getMethod("full").invoke(null));
    }

    /** Token ids 1, 2, ... (wrapping below 30000, inside every vocabulary the tests use) for {@code n} positions. */
    static int[] tokens(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = 1 + i % 29999;
        }
        return t;
    }

    static double prefill(Build b, int n) throws Exception {
        int[] prompt = tokens(n);
        try (AutoCloseable s = (AutoCloseable) b.newSession.invoke(b.model, b.fullKv)) {
            Method prefill = s.getClass().getMethod("prefill", int[].class);
            long t0 = System.nanoTime();
            prefill.invoke(s, (Object) prompt);
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    static double decode(Build b, int steps) throws Exception {
        AutoCloseable deep = DEEP.get(b);
        if (deep != null) {
            return steps(deep, steps);
        }
        try (AutoCloseable s = (AutoCloseable) b.newSession.invoke(b.model, b.fullKv)) {
            s.getClass().getMethod("prefill", int[].class).invoke(s, (Object) new int[]{1});
            return steps(s, steps);
        }
    }

    /** Ms a greedy decode step, over {@code steps} steps in session {@code s}. */
    static double steps(AutoCloseable s, int steps) throws Exception {
        Method step = s.getClass().getMethod("decodeGreedy", int.class);
        int token = 2;
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            token = (int) step.invoke(s, token);
        }
        return (System.nanoTime() - t0) / 1e6 / steps;
    }
}
