package dev.chelsea.tools.synth;

import dev.chelsea.engine.testing.Shared;
import dev.chelsea.engine.gguf.GgmlType;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.gguf.GgufFormatException;
import dev.chelsea.engine.gguf.GgufMetadata;
import dev.chelsea.engine.gguf.GgufTensorInfo;
import dev.chelsea.engine.gguf.GgufWriter;
import dev.chelsea.engine.tensor.ReferenceDequantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {

    @TempDir
    Path tmp;

    /** A Llama 3.1-like shape small enough to write in every type in a fraction of a second. */
    private static final ModelShape TINY_LLAMA = new ModelShape("tiny-llama", "llama", 256, 2, 4, 2, 64, 512, 600, 1024,
            500000f, 1e-5f, false, new ModelShape.RopeScaling(8f, 1f, 4f, 8192));

    private static Path stories() {
        return Shared.resolve("models/stories260K.gguf");
    }

    private static float[] values(GgufTensorInfo t) {
        byte[] data = t.data().toArray(ValueLayout.JAVA_BYTE);
        return ReferenceDequantizer.dequantize(t.type(), data, (int) t.elements());
    }

    @Test
    void shapesHaveTheRealModelsParameterCounts() {
        assertEquals(List.of("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen3-0.6b",
                "smollm2-360m", "smollm2-135m", "tinyllama-1.1b", "mistral-7b"), SyntheticModel.shapes());
        // the parameter counts published for these models
        assertEquals(1_235_814_400L, ModelShapes.byName("llama-3.2-1b").parameterCount());
        assertEquals(8_030_261_248L, ModelShapes.byName("llama-3.1-8b").parameterCount());
        assertEquals(494_032_768L, ModelShapes.byName("qwen2.5-0.5b").parameterCount());
        assertEquals(361_821_120L, ModelShapes.byName("smollm2-360m").parameterCount());
        assertEquals(1_100_048_384L, ModelShapes.byName("tinyllama-1.1b").parameterCount());
        assertEquals(7_241_732_096L, ModelShapes.byName("mistral-7b").parameterCount());
    }

    @Test
    void llama31RopeFactorsFollowTheConverter() {
        float[] f = ModelShapes.byName("llama-3.1-8b").ropeScaling().frequencyFactors(128, 500000f);
        assertEquals(64, f.length);
        // wavelengths below 8192/4 keep their frequency, those above 8192 are divided by 8, a ramp between
        for (int i = 0; i <= 28; i++) {
            assertEquals(1f, f[i], "factor " + i);
        }
        for (int i = 35; i < 64; i++) {
            assertEquals(8f, f[i], "factor " + i);
        }
        for (int i = 29; i <= 34; i++) {
            assertTrue(f[i] > f[i - 1] && f[i] < 8f, "ramp at " + i + ": " + Arrays.toString(f));
        }
    }

    @Test
    void writesEveryTypeWithTheRightTensors() {
        for (String typeName : SyntheticModel.types()) {
            Path out = tmp.resolve("tiny-" + typeName + ".gguf");
            WeightTypes types = WeightTypes.byName(typeName);
            SyntheticModel.Result r = SyntheticModel.write(TINY_LLAMA, types, stories(), out, 7, 2);
            assertEquals(600, r.vocabularySize());
            try (GgufFile f = GgufFile.open(out)) {
                GgufMetadata md = f.metadata();
                assertEquals("llama", md.getString("general.architecture"));
                assertEquals(types.fileType(), md.getInt("general.file_type"), typeName);
                assertEquals(256, md.getInt("llama.embedding_length"));
                assertEquals(2, md.getInt("llama.block_count"));
                assertEquals(4, md.getInt("llama.attention.head_count"));
                assertEquals(2, md.getInt("llama.attention.head_count_kv"));
                assertEquals(64, md.getInt("llama.rope.dimension_count"));
                assertEquals(600, md.getInt("llama.vocab_size"));
                assertEquals(500000f, md.getFloat("llama.rope.freq_base"));

                List<String> expectedNames = new ArrayList<>(List.of("token_embd.weight", "rope_freqs.weight"));
                for (int i = 0; i < 2; i++) {
                    for (String n : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")) {
                        expectedNames.add("blk." + i + "." + n + ".weight");
                    }
                }
                expectedNames.addAll(List.of("output_norm.weight", "output.weight"));
                assertEquals(expectedNames, new ArrayList<>(f.tensors().keySet()));

                assertArrayEquals(new long[]{256, 600}, f.tensor("token_embd.weight").shape());
                assertArrayEquals(new long[]{256, 256}, f.tensor("blk.0.attn_q.weight").shape());
                assertArrayEquals(new long[]{256, 128}, f.tensor("blk.0.attn_k.weight").shape());
                assertArrayEquals(new long[]{256, 512}, f.tensor("blk.1.ffn_up.weight").shape());
                assertArrayEquals(new long[]{512, 256}, f.tensor("blk.1.ffn_down.weight").shape());
                assertArrayEquals(new long[]{32}, f.tensor("rope_freqs.weight").shape());

                for (GgufTensorInfo t : f.tensors().values()) {
                    float[] v = values(t);
                    if (t.shape().length == 1) {
                        assertEquals(GgmlType.F32, t.type(), t.name());
                        continue;
                    }
                    if (!types.kMix()) {
                        assertEquals(types.base(), t.type(), typeName + " " + t.name());
                    }
                    double sum = 0;
                    double sq = 0;
                    for (float x : v) {
                        assertTrue(Float.isFinite(x), typeName + " " + t.name());
                        sum += x;
                        sq += x * (double) x;
                    }
                    double mean = sum / v.length;
                    double std = Math.sqrt(sq / v.length - mean * mean);
                    assertTrue(Math.abs(mean) < 1e-3, typeName + " " + t.name() + " mean " + mean);
                    assertTrue(std > 0.018 && std < 0.022, typeName + " " + t.name() + " std " + std);
                }
                float[] norm = values(f.tensor("blk.1.ffn_norm.weight"));
                for (float x : norm) {
                    assertEquals(1f, x);
                }
                assertArrayEquals(TINY_LLAMA.ropeScaling().frequencyFactors(64, 500000f), values(f.tensor("rope_freqs.weight")));
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"q4_k_m", "q5_k_m"})
    void kMixesFollowLlamaCppsRecipe(String name) {
        GgmlType base = name.equals("q4_k_m") ? GgmlType.Q4_K : GgmlType.Q5_K;
        ModelShape eightLayers = new ModelShape("eight", "llama", 256, 8, 4, 4, 64, 512, 512, 1024, 10000f, 1e-5f, false, null);
        Path out = tmp.resolve(name + ".gguf");
        SyntheticModel.write(eightLayers, WeightTypes.byName(name), stories(), out, 1, 2);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            assertEquals(base, f.tensor("token_embd.weight").type());
            for (int i = 0; i < 8; i++) {
                // use_more_bits(i, 8): the first and last eighth, and every third layer between
                GgmlType more = List.of(0, 3, 6, 7).contains(i) ? GgmlType.Q6_K : base;
                assertEquals(more, f.tensor("blk." + i + ".attn_v.weight").type(), "attn_v " + i);
                assertEquals(more, f.tensor("blk." + i + ".ffn_down.weight").type(), "ffn_down " + i);
                assertEquals(base, f.tensor("blk." + i + ".attn_q.weight").type());
                assertEquals(base, f.tensor("blk." + i + ".ffn_up.weight").type());
            }
        }
    }

    @Test
    void q4KmFallsBackWhereRowsDoNotFitKQuants() {
        // tied embeddings: token_embd plays the output's part; rows of 320 values take the fallbacks
        ModelShape tiedNarrow = new ModelShape("narrow", "llama", 320, 2, 5, 5, 64, 512, 512, 1024, 10000f, 1e-5f, true, null);
        Path narrow = tmp.resolve("narrow.gguf");
        SyntheticModel.Result r = SyntheticModel.write(tiedNarrow, WeightTypes.byName("q4_k_m"), stories(), narrow, 1, 2);
        try (GgufFile f = GgufFile.open(narrow)) {
            assertNull(f.tensor("output.weight"));
            assertEquals(GgmlType.Q8_0, f.tensor("token_embd.weight").type(), "Q6_K falls back to Q8_0");
            assertEquals(GgmlType.Q5_0, f.tensor("blk.0.attn_q.weight").type(), "Q4_K falls back to Q5_0");
            assertEquals(GgmlType.Q8_0, f.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.ffn_down.weight").type(), "ffn_down rows are 512 wide");
        }
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("Q5_0 instead of Q4_K")), r.notes().toString());
    }

    @Test
    void qwenArchitecturesGetTheirExtraTensors() {
        ModelShape qwen2 = new ModelShape("tiny-qwen2", "qwen2", 256, 1, 4, 2, 64, 512, 512, 1024, 1e6f, 1e-6f, true, null);
        Path p2 = tmp.resolve("qwen2.gguf");
        SyntheticModel.write(qwen2, WeightTypes.byName("q8_0"), stories(), p2, 3, 2);
        try (GgufFile f = GgufFile.open(p2)) {
            assertEquals("qwen2", f.metadata().getString("general.architecture"));
            assertEquals(1e-6f, f.metadata().getFloat("qwen2.attention.layer_norm_rms_epsilon"));
            assertArrayEquals(new long[]{256}, f.tensor("blk.0.attn_q.bias").shape());
            assertArrayEquals(new long[]{128}, f.tensor("blk.0.attn_k.bias").shape());
            assertArrayEquals(new long[]{128}, f.tensor("blk.0.attn_v.bias").shape());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_v.bias").type());
            assertNull(f.tensor("output.weight"));
            assertNull(f.tensor("rope_freqs.weight"));
        }

        // Qwen3's head size (128) is not embedding / heads (64)
        ModelShape qwen3 = new ModelShape("tiny-qwen3", "qwen3", 256, 1, 4, 2, 128, 512, 512, 1024, 1e6f, 1e-6f, true, null);
        Path p3 = tmp.resolve("qwen3.gguf");
        SyntheticModel.write(qwen3, WeightTypes.byName("f16"), stories(), p3, 3, 2);
        try (GgufFile f = GgufFile.open(p3)) {
            assertEquals(128, f.metadata().getInt("qwen3.attention.key_length"));
            assertEquals(128, f.metadata().getInt("qwen3.attention.value_length"));
            assertArrayEquals(new long[]{256, 512}, f.tensor("blk.0.attn_q.weight").shape());
            assertArrayEquals(new long[]{512, 256}, f.tensor("blk.0.attn_output.weight").shape());
            assertArrayEquals(new long[]{128}, f.tensor("blk.0.attn_q_norm.weight").shape());
            assertArrayEquals(new long[]{128}, f.tensor("blk.0.attn_k_norm.weight").shape());
            assertNull(f.tensor("blk.0.attn_q.bias"));
        }
    }

    @Test
    void writesARealShapeWithAPaddedVocabulary() {
        Path out = tmp.resolve("smollm2-135m-q4_0.gguf");
        SyntheticModel.Result r = SyntheticModel.write("smollm2-135m", "q4_0", stories(), out, 42);
        assertEquals(134_515_008L, r.parameters());
        assertEquals(Map.of(GgmlType.Q4_0, 211, GgmlType.F32, 61), r.tensorsByType());
        assertTrue(r.notes().isEmpty(), r.notes().toString());
        try (GgufFile f = GgufFile.open(out)) {
            GgufMetadata md = f.metadata();
            assertEquals(8192, md.getInt("llama.context_length"));
            assertEquals(576, md.getInt("llama.embedding_length"));
            assertEquals(30, md.getInt("llama.block_count"));
            assertEquals(1536, md.getInt("llama.feed_forward_length"));
            assertEquals(9, md.getInt("llama.attention.head_count"));
            assertEquals(3, md.getInt("llama.attention.head_count_kv"));
            assertEquals(100000f, md.getFloat("llama.rope.freq_base"));
            assertEquals(2, md.getInt("general.file_type"));
            assertEquals(32, f.alignment());
            assertEquals(30 * 9 + 2, f.tensors().size());
            assertNull(f.tensor("output.weight"), "SmolLM2 ties its embeddings");

            // the stories260K vocabulary (512 pieces) padded to 49152 with unused placeholders
            String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
            assertEquals(49152, tokens.length);
            assertEquals("<s>", tokens[1]);
            assertEquals("[PAD512]", tokens[512]);
            assertEquals("[PAD49151]", tokens[49151]);
            int[] types = md.getIntArray("tokenizer.ggml.token_type");
            assertEquals(49152, types.length);
            assertEquals(5, types[49151]);
            float[] scores = md.getFloatArray("tokenizer.ggml.scores");
            assertEquals(-1000f, scores[600]);
            try (GgufFile donor = GgufFile.open(stories())) {
                assertEquals(donor.metadata().getString("tokenizer.ggml.model"), md.getString("tokenizer.ggml.model"));
                assertArrayEquals(Arrays.copyOf(donor.metadata().getFloatArray("tokenizer.ggml.scores"), 512), Arrays.copyOf(scores, 512));
            }

            GgufTensorInfo embd = f.tensor("token_embd.weight");
            assertArrayEquals(new long[]{576, 49152}, embd.shape());
            assertEquals(GgmlType.Q4_0, embd.type());
            for (float x : values(f.tensor("blk.29.ffn_down.weight"))) {
                assertTrue(Float.isFinite(x));
            }
        }
    }

    @Test
    void aLargerDonorVocabularyIsKeptAndReported() {
        ModelShape small = new ModelShape("small-vocab", "llama", 256, 1, 4, 4, 64, 256, 1000, 1024, 500000f, 1e-5f, true, null);
        Path out = tmp.resolve("bpe.gguf");
        SyntheticModel.Result r = SyntheticModel.write(small, WeightTypes.byName("q4_0"),
                Shared.resolve("data/tokenizer/ggml-vocab-llama-bpe.gguf"), out, 5, 2);
        assertEquals(128256, r.vocabularySize());
        assertTrue(r.notes().getFirst().contains("donor vocabulary (128256 tokens) is larger than small-vocab's 1000"), r.notes().toString());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(128256, f.metadata().getInt("llama.vocab_size"));
            assertArrayEquals(new long[]{256, 128256}, f.tensor("token_embd.weight").shape());
            assertEquals(280147, f.metadata().getStringArray("tokenizer.ggml.merges").length);
            assertEquals(128000, f.metadata().getInt("tokenizer.ggml.bos_token_id"));
        }
    }

    @Test
    void bytesDependOnTheSeedOnly() throws Exception {
        Path a = tmp.resolve("a.gguf");
        Path b = tmp.resolve("b.gguf");
        Path c = tmp.resolve("c.gguf");
        WeightTypes q4k = WeightTypes.byName("q4_k");
        SyntheticModel.write(TINY_LLAMA, q4k, stories(), a, 99, 1);
        SyntheticModel.write(TINY_LLAMA, q4k, stories(), b, 99, 3);
        SyntheticModel.write(TINY_LLAMA, q4k, stories(), c, 100, 2);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "thread count must not change the file");
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)), "another seed, other weights");
    }

    @Test
    void rejectsUnknownNamesAndDonorsWithoutTokenizer() {
        var shape = assertThrows(IllegalArgumentException.class, () -> SyntheticModel.write("llama-9b", "q8_0", stories(), tmp.resolve("x"), 1));
        assertTrue(shape.getMessage().contains("unknown model shape 'llama-9b'; known shapes: llama-3.2-1b,"), shape.getMessage());
        var type = assertThrows(IllegalArgumentException.class, () -> SyntheticModel.write("smollm2-135m", "q3_k", stories(), tmp.resolve("x"), 1));
        assertTrue(type.getMessage().contains("unknown weight type 'q3_k'; known types: f32, f16, bf16, q8_0"), type.getMessage());

        Path noVocab = tmp.resolve("novocab.gguf");
        try (GgufWriter w = GgufWriter.create(noVocab)) {
            w.putString("general.architecture", "llama");
        }
        var donor = assertThrows(GgufFormatException.class, () -> SyntheticModel.write(TINY_LLAMA, WeightTypes.byName("f32"), noVocab, tmp.resolve("y.gguf"), 1, 1));
        assertTrue(donor.getMessage().contains("has no tokenizer"), donor.getMessage());
        assertFalse(Files.exists(tmp.resolve("y.gguf")));
    }
}
