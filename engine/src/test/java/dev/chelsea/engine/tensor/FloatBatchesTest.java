package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FloatBatchesTest {
    @Test
    void autoPutsTheSmallUnitFormatsOnFloatsExceptForSixteenBitPairsOnSixteenLanes() {
        Set<GgmlType> small = EnumSet.of(GgmlType.Q6_K, GgmlType.Q5_K);
        assertEquals(small, FloatBatches.choose("auto", 8, PairProducts.INT32));
        assertEquals(small, FloatBatches.choose("", 4, PairProducts.INT16));
        assertEquals(small, FloatBatches.choose("auto", 8, PairProducts.INT16));
        assertEquals(small, FloatBatches.choose("auto", 16, PairProducts.INT32));
        assertEquals(EnumSet.noneOf(GgmlType.class), FloatBatches.choose("auto", 16, PairProducts.INT16));
    }

    @Test
    void namedFormatsWinOverTheVectors() {
        assertEquals(EnumSet.noneOf(GgmlType.class), FloatBatches.choose(" NONE ", 8, PairProducts.INT32));
        assertEquals(EnumSet.of(GgmlType.Q4_0, GgmlType.Q4_K), FloatBatches.choose("q4_0, Q4_K", 16, PairProducts.INT16));
        Set<GgmlType> all = FloatBatches.choose("all", 16, PairProducts.INT16);
        assertEquals(6, all.size());
        assertFalse(all.contains(GgmlType.Q8_0), "Q8_0 batches always run on floats, through PanelMatMul");
    }

    @Test
    void anUnknownValueIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloatBatches.choose("Q6_K,Q8_0", 8, PairProducts.INT32));
        assertTrue(e.getMessage().contains(FloatBatches.PROPERTY) && e.getMessage().contains("'Q6_K,Q8_0'"), e.getMessage());
    }

    /** A format on floats takes batches on packed floats; the others, and every few-vector product, 8-bit activations. */
    @Test
    void thisJvmsChoiceDecidesWhichProductsRunOnIntegers() {
        Set<GgmlType> floats = FloatBatches.choose(System.getProperty(FloatBatches.PROPERTY, "auto"), Simd.F_LANES, PairProducts.batch());
        assertEquals(floats, FloatBatches.types());
        for (GgmlType type : FloatBatches.choose("all", 0, PairProducts.INT32)) {
            WeightMatrix w = TensorTypes.wrap(type, RandomWeights.matrix(type, 8, 256, new java.util.SplittableRandom(1)), 8, 256, "t");
            assertTrue(w.integerKernels(1), type + " one vector");
            assertEquals(!floats.contains(type), w.integerKernels(w.batchFrom()), type + " a batch");
            assertEquals(FloatBatches.onFloats(type), floats.contains(type), type.toString());
        }
    }
}
