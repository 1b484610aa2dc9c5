package dev.chelsea.engine.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairProductsTest {
    @Test
    void autoMultipliesShortsOnIntelOnly() {
        assertEquals(PairProducts.INT16, PairProducts.choose("auto", "GenuineIntel"));
        assertEquals(PairProducts.INT32, PairProducts.choose("auto", "AuthenticAMD"));
        assertEquals(PairProducts.INT32, PairProducts.choose("", ""), "no /proc/cpuinfo");
    }

    @Test
    void anExplicitFormWinsOverTheProcessor() {
        assertEquals(PairProducts.INT32, PairProducts.choose(" INT32 ", "GenuineIntel"));
        assertEquals(PairProducts.INT16, PairProducts.choose("int16", "AuthenticAMD"));
    }

    @Test
    void anUnknownFormIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PairProducts.choose("int8", "GenuineIntel"));
        assertTrue(e.getMessage().contains(PairProducts.PROPERTY) && e.getMessage().contains("'int8'"), e.getMessage());
    }

    /** A 16-bit half sums one product per pair, so it holds twice the pairs, up to one block of activations. */
    @Test
    void shortsHoldTwiceThePairsUpToABlock() {
        assertEquals(16, PairProducts.INT16.unitPairs(16));
        assertEquals(16, PairProducts.INT16.unitPairs(8));
        assertEquals(8, PairProducts.INT16.unitPairs(4));
        assertEquals(4, PairProducts.INT32.unitPairs(4));
    }

    @Test
    void thisJvmsChoiceFollowsTheProperty() {
        String value = System.getProperty(PairProducts.PROPERTY, "auto");
        assertEquals(PairProducts.choose(value, PairProducts.cpuVendor()), PairProducts.batch());
        assertEquals(PairProducts.batch() == PairProducts.INT16, PairProducts.SHORTS);
    }
}
