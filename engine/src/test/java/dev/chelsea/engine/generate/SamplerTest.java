package dev.chelsea.engine.generate;

import dev.chelsea.engine.kernel.Ops;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static float[] logits(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (r.nextGaussian() * 3);
        }
        return l;
    }

    @Test
    void greedyTakesTheMaximumAndLowestIdOnTies() {
        float[] l = {1f, 5f, 2f, 5f};
        assertEquals(1, new Sampler(SamplingParams.GREEDY).sample(l.clone()));
        float[] r = logits(System.nanoTime(), 1000);
        assertEquals(Ops.argmax(r, 0, r.length), new Sampler(SamplingParams.GREEDY).sample(r.clone()));
    }

    @Test
    void sameSeedSameTokens() {
        SamplingParams p = new SamplingParams(1.0f, 0, 1f, 0f, 1f, 64, 1234);
        Sampler a = new Sampler(p), b = new Sampler(p);
        for (int i = 0; i < 50; i++) {
            float[] l = logits(i, 300);
            assertEquals(a.sample(l.clone()), b.sample(l.clone()));
        }
    }

    @Test
    void topKOneIsGreedy() {
        SamplingParams p = new SamplingParams(1.5f, 1, 1f, 0f, 1f, 64, 7);
        Sampler s = new Sampler(p);
        for (int i = 0; i < 20; i++) {
            float[] l = logits(100 + i, 500);
            assertEquals(Ops.argmax(l, 0, l.length), s.sample(l.clone()));
        }
    }

    @Test
    void samplesFollowTheSoftmax() {
        // Two tokens with logits ln(3) and 0 at temperature 1: p = 0.75 / 0.25.
        float[] l = {(float) Math.log(3), 0f};
        Sampler s = new Sampler(new SamplingParams(1f, 0, 1f, 0f, 1f, 64, 99));
        int zeros = 0, n = 20000;
        for (int i = 0; i < n; i++) {
            if (s.sample(l.clone()) == 0) {
                zeros++;
            }
        }
        assertEquals(0.75, zeros / (double) n, 0.015);
    }

    @Test
    void topPAndMinPCutTheTail() {
        float[] l = {10f, 9.9f, 0f, -1f};
        Sampler topP = new Sampler(new SamplingParams(1f, 0, 0.5f, 0f, 1f, 64, 3));
        Sampler minP = new Sampler(new SamplingParams(1f, 0, 1f, 0.5f, 1f, 64, 3));
        for (int i = 0; i < 500; i++) {
            assertEquals(0, topP.sample(l.clone()));
            assertTrue(minP.sample(l.clone()) <= 1);
        }
    }

    @Test
    void repetitionPenaltyAvoidsRecentTokens() {
        Sampler s = new Sampler(new SamplingParams(0f, 0, 1f, 0f, 2f, 8, 0));
        s.accept(0);
        assertEquals(1, s.sample(new float[] {3f, 2f, 1f}));
    }

    @Test
    void invalidParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1f, 0, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, -1, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 2f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0f, 0f, 64, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0f, 1f, -3, 0));
        assertTrue(e.getMessage().contains("repetition window"));
    }
}
