package dev.chelsea.engine.testing;

import dev.chelsea.engine.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A llama.cpp reference file: tokens, top-10 logits per position, full logits at some positions. */
public record ReferenceLogits(int vocab, int[] tokens, int[][] topIds, float[][] topLogits, Map<Integer, float[]> full) {

    @SuppressWarnings("unchecked")
    public static ReferenceLogits read(Path file) throws IOException {
        Map<String, Object> root = Json.parseObject(Files.readString(file));
        int vocab = ((Number) root.get("n_vocab")).intValue();
        int[] tokens = ((List<Object>) root.get("tokens")).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        List<Object> positions = (List<Object>) root.get("positions");
        int[][] ids = new int[positions.size()][];
        float[][] vals = new float[positions.size()][];
        Map<Integer, float[]> full = new java.util.HashMap<>();
        for (Object o : positions) {
            Map<String, Object> p = (Map<String, Object>) o;
            int pos = ((Number) p.get("pos")).intValue();
            List<Object> top = (List<Object>) p.get("top");
            ids[pos] = new int[top.size()];
            vals[pos] = new float[top.size()];
            for (int k = 0; k < top.size(); k++) {
                List<Object> pair = (List<Object>) top.get(k);
                ids[pos][k] = ((Number) pair.get(0)).intValue();
                vals[pos][k] = ((Number) pair.get(1)).floatValue();
            }
            if (p.containsKey("logits")) {
                List<Object> l = (List<Object>) p.get("logits");
                float[] f = new float[l.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = ((Number) l.get(i)).floatValue();
                }
                full.put(pos, f);
            }
        }
        return new ReferenceLogits(vocab, tokens, ids, vals, full);
    }
}
