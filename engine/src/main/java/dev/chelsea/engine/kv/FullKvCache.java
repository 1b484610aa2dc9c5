package dev.chelsea.engine.kv;

/** The baseline: keeps every token. */
public final class FullKvCache extends DenseKvCache {
    public FullKvCache(KvLayout layout, int maxTokens) {
        super(layout, maxTokens, false, false);
    }

    @Override
    public String policy() {
        return "full";
    }

    @Override
    protected boolean compress(boolean endOfPrompt) {
        return false;
    }

    /**
     * Appends every token held here to the empty {@code target}, as if the same prompt had been
     * fed to it, without running the model again. That is exact because a prompt's keys and values
     * do not depend on the policy: no policy compresses before its prompt ends. The prompt is not
     * ended, so the caller decides when the target compresses. Attention is not replayed, so a
     * policy that scores entries by the attention they receive (h2o, snapkv) would start with
     * blank scores and must read the prompt itself.
     */
    public void copyPromptTo(KvCache target) {
        if (target.position() != 0) {
            throw new IllegalArgumentException("the target cache already holds " + target.position() + " tokens");
        }
        if (!target.layout().equals(layout)) {
            throw new IllegalArgumentException("layouts differ: " + layout + " and " + target.layout());
        }
        int d = layout.headDim(), row = layout.rowFloats(), step = 256;
        float[] k = new float[step * row], v = new float[step * row];
        for (int t0 = 0; t0 < position(); t0 += step) {
            int n = Math.min(step, position() - t0);
            for (int l = 0; l < layout.layers(); l++) {
                for (int h = 0; h < layout.kvHeads(); h++) {
                    for (int t = 0; t < n; t++) {
                        System.arraycopy(keys[l][h], (t0 + t) * d, k, t * row + h * d, d);
                        System.arraycopy(values[l][h], (t0 + t) * d, v, t * row + h * d, d);
                    }
                }
                target.append(l, k, v, n);
            }
            target.commit(n);
        }
    }
}
