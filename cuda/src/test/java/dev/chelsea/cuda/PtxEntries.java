package dev.chelsea.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kernels a PTX file declares, with their parameter types, read from its {@code .entry} lines. */
final class PtxEntries {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)\\s+\\w+");

    private PtxEntries() {
    }

    static Map<String, List<KernelArgs.Type>> read(String ptx) {
        Map<String, List<KernelArgs.Type>> entries = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<KernelArgs.Type> types = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) {
                types.add(switch (p.group(1)) {
                    case "u64", "b64", "s64" -> KernelArgs.Type.PTR;
                    case "u32", "s32", "b32" -> KernelArgs.Type.I32;
                    case "f32" -> KernelArgs.Type.F32;
                    case "f64" -> KernelArgs.Type.F64;
                    default -> throw new IllegalArgumentException("unexpected PTX parameter type ." + p.group(1) + " in " + m.group(1));
                });
            }
            entries.put(m.group(1), types);
        }
        return entries;
    }
}
