package dev.chelsea.tools.cli;

import dev.chelsea.engine.model.Bytes;
import dev.chelsea.engine.generate.GenerationStats;
import dev.chelsea.tools.synth.SyntheticModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code synth}: writes a random-weight GGUF with the real shape of a known model, for benchmarks. */
final class SynthCommand extends Command {
    @Override
    String name() {
        return "synth";
    }

    @Override
    String summary() {
        return "write a random-weight GGUF with the shape of a known model (for benchmarks)";
    }

    @Override
    String usage() {
        return "usage: bin/chelsea synth --shape SHAPE --type TYPE --tokenizer-from DONOR.gguf --out M.gguf [--seed S]\n"
                + "  --shape SHAPE            " + String.join(", ", SyntheticModel.shapes()) + "\n"
                + "  --type TYPE              " + String.join(", ", SyntheticModel.types()) + "\n"
                + "  --tokenizer-from DONOR   a GGUF whose tokenizer is copied (padded to the shape's vocabulary)\n"
                + "  --out M.gguf             the file to write (replaced if it exists)\n"
                + "  --seed S                 random seed of the weights (default 1)\n"
                + COMMON_USAGE;
    }

    @Override
    List<String> valueOptions() {
        return List.of("shape", "type", "tokenizer-from", "out", "seed");
    }

    @Override
    int run(Args a, PrintStream out, PrintStream err) {
        String shape = a.require("shape");
        String type = a.require("type");
        if (!SyntheticModel.shapes().contains(shape)) {
            throw new UsageException("unknown shape '" + shape + "' (known: " + String.join(", ", SyntheticModel.shapes()) + ")");
        }
        if (!SyntheticModel.types().contains(type)) {
            throw new UsageException("unknown type '" + type + "' (known: " + String.join(", ", SyntheticModel.types()) + ")");
        }
        Path donor = Path.of(a.require("tokenizer-from"));
        Path target = Path.of(a.require("out"));
        int threads = threads(a);
        SyntheticModel.Result r = SyntheticModel.write(dev.chelsea.tools.synth.ModelShapes.byName(shape),
                dev.chelsea.tools.synth.WeightTypes.byName(type), donor, target, a.longValue("seed", 1), threads);
        for (String note : r.notes()) {
            err.println("note: " + note);
        }
        err.printf("wrote %s: %s %s, %,d parameters, vocabulary %d, %s in %.1f s%n", r.file(), shape, type, r.parameters(),
                r.vocabularySize(), Bytes.human(r.fileBytes()), r.elapsed().toMillis() / 1000.0);
        return 0;
    }
}
