package dev.chelsea.engine.kv;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.chelsea.engine.kv.KvTestSupport.feedAttending;
import static dev.chelsea.engine.kv.KvTestSupport.layout;
import static dev.chelsea.engine.kv.KvTestSupport.randomQueries;
import static dev.chelsea.engine.kv.KvTestSupport.randomTokens;
import static dev.chelsea.engine.kv.KvTestSupport.ratio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttentionErrorProbeTest {

    private static AttentionErrorProbe run(String policy, double keptRatio) {
        KvLayout layout = layout(2, 2, 16);
        KvTestSupport.Tokens t = randomTokens(layout, 400, 1);
        float[] q = randomQueries(400, 4, 16, 1.5, 2);
        AttentionErrorProbe probe = new AttentionErrorProbe(KvCaches.create(ratio(policy, keptRatio, 16, 4, 16), layout, 1024), 1024);
        feedAttending(probe, t.slice(layout, 0, 300), Arrays.copyOf(q, 300 * 64), 4);
        probe.endPrefill();
        KvTestSupport.decode(probe, t.slice(layout, 300, 100), Arrays.copyOfRange(q, 300 * 64, 400 * 64), 4);
        return probe;
    }

    @Test
    void fullCacheHasNoErrorAndCompressionHasSomeGrowingAsLessIsKept() {
        AttentionErrorProbe full = run("full", 1.0);
        assertEquals(0.0, full.relativeError());
        assertEquals(100L * 4 * 2, full.measuredRows(), "only decode queries count");
        double half = run("chelsea", 0.5).relativeError();
        double fifth = run("chelsea", 0.2).relativeError();
        assertTrue(half > 1e-3 && half < fifth && fifth < 1.5, "0.5: " + half + ", 0.2: " + fifth);
        AttentionErrorProbe streaming = run("streaming", 0.2);
        assertTrue(streaming.meanRelativeError() > 0 && streaming.relativeError(0) > 0);
        assertEquals("streaming", streaming.policy());
        assertTrue(streaming.stats().slots() < 2 * 400 / 2, "stats are the policy's");
    }
}
