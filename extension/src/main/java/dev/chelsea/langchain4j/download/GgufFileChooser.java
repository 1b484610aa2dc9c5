package dev.chelsea.langchain4j.download;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the GGUF file of one quantization from a Hugging Face repository's file list. Repositories
 * name files like {@code Llama-3.2-1B-Instruct-Q4_K_M.gguf} or {@code model.q8_0.gguf}; the
 * quantization must appear as a whole dash-, dot- or underscore-separated part of the name.
 */
public final class GgufFileChooser {
    private static final Pattern SPLIT_PART = Pattern.compile("(?i)-\\d{5}-of-\\d{5}\\.gguf$");
    private static final Pattern QUANT = Pattern.compile("(?i)(?:^|[-._])((?:I?Q\\d[A-Z0-9_]*|F16|F32|BF16))\\.gguf$");

    private GgufFileChooser() {
    }

    /**
     * The file for {@code quantization} among {@code files} (paths inside the repository).
     *
     * @throws IllegalArgumentException naming the quantizations on offer when none matches, or when
     *                                  the only match is split into parts (not supported)
     */
    public static String choose(String repository, List<String> files, String quantization) {
        if (quantization == null || quantization.isBlank()) {
            throw new IllegalArgumentException("a quantization is required to choose a file of " + repository
                    + " (on offer: " + available(files) + ")");
        }
        String q = quantization.trim().toLowerCase(Locale.ROOT);
        Pattern wanted = Pattern.compile("(?i)(?:^|[-._])" + Pattern.quote(q) + "\\.gguf$");
        List<String> matches = new ArrayList<>();
        boolean splitOnly = false;
        for (String f : files) {
            String name = baseName(f);
            if (!name.toLowerCase(Locale.ROOT).endsWith(".gguf") || name.toLowerCase(Locale.ROOT).contains("mmproj")) {
                continue;
            }
            if (SPLIT_PART.matcher(name).find()) {
                String joined = SPLIT_PART.matcher(name).replaceFirst(".gguf");
                splitOnly |= wanted.matcher(joined).find();
                continue;
            }
            if (wanted.matcher(name).find()) {
                matches.add(f);
            }
        }
        if (matches.isEmpty()) {
            if (splitOnly) {
                throw new IllegalArgumentException(repository + " has " + quantization
                        + " only as a split GGUF (several -0000N-of-0000M files), which is not supported; merge it with "
                        + "llama-gguf-split and set model-path instead");
            }
            throw new IllegalArgumentException(repository + " has no GGUF file for quantization " + quantization
                    + " (on offer: " + available(files) + ")");
        }
        // Several matches happen when a repository keeps variants in folders: prefer the top level, then the shortest name.
        matches.sort(Comparator.comparingInt((String f) -> f.split("/").length).thenComparingInt(String::length)
                .thenComparing(Comparator.naturalOrder()));
        return matches.getFirst();
    }

    /** The quantizations that files in {@code files} carry, for error messages. */
    static String available(List<String> files) {
        TreeSet<String> quants = new TreeSet<>();
        for (String f : files) {
            String name = SPLIT_PART.matcher(baseName(f)).replaceFirst(".gguf");
            Matcher m = QUANT.matcher(name);
            if (m.find() && !name.toLowerCase(Locale.ROOT).contains("mmproj")) {
                quants.add(m.group(1).toUpperCase(Locale.ROOT));
            }
        }
        return quants.isEmpty() ? "no GGUF files" : String.join(", ", quants);
    }

    private static String baseName(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
