package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.ContextOverflowException;
import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.tensor.UnsupportedTensorTypeException;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry point of {@code bin/chelsea}: dispatches to a command; usage errors exit 2, runtime errors 1. */
public final class Main {
    private static final List<Command> COMMANDS = List.of(new GenerateCommand(), new TokenizeCommand(), new LogitsCommand(),
            new BenchCommand(), new SynthCommand(), new PerplexityCommand(), new RetrievalCommand(), new CompareCommand());

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : COMMANDS) {
            m.put(c.name(), c);
        }
        return m;
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            err.println(overview(commands));
            return args.length == 0 ? 2 : 0;
        }
        Command c = commands.get(args[0]);
        if (c == null) {
            err.println("error: unknown command '" + args[0] + "'\n");
            err.println(overview(commands));
            return 2;
        }
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.println(c.usage());
                return 0;
            }
        }
        try {
            return c.run(c.parse(args), out, err);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage() + "\n");
            err.println(c.usage());
            return 2;
        } catch (GgufFormatException | ModelLoadException | UnsupportedTensorTypeException | ContextOverflowException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("error: " + e);
            return 1;
        } finally {
            out.flush();
        }
    }

    private static String overview(Map<String, Command> commands) {
        StringBuilder b = new StringBuilder("usage: bin/chelsea COMMAND [options]   (bin/chelsea COMMAND --help for its options)\n\ncommands:\n");
        for (Command c : commands.values()) {
            b.append(String.format("  %-11s %s%n", c.name(), c.summary()));
        }
        return b.toString();
    }
}
