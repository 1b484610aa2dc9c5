package dev.chelsea.langchain4j.download;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileChooserTest {
    private static final List<String> BARTOWSKI = List.of(
            ".gitattributes", "README.md",
            "Llama-3.2-1B-Instruct-IQ3_M.gguf",
            "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            "Llama-3.2-1B-Instruct-Q4_K_L.gguf",
            "Llama-3.2-1B-Instruct-Q8_0.gguf",
            "Llama-3.2-1B-Instruct-f16.gguf");

    @Test
    void picksTheFileOfTheQuantizationIgnoringCase() {
        assertEquals("Llama-3.2-1B-Instruct-Q4_K_M.gguf", GgufFileChooser.choose("r/x", BARTOWSKI, "q4_k_m"));
        assertEquals("Llama-3.2-1B-Instruct-Q8_0.gguf", GgufFileChooser.choose("r/x", BARTOWSKI, "Q8_0"));
        assertEquals("Llama-3.2-1B-Instruct-f16.gguf", GgufFileChooser.choose("r/x", BARTOWSKI, "F16"));
    }

    @Test
    void aQuantizationMustBeAWholePartOfTheName() {
        // Q4_K must not pick Q4_K_M or Q4_K_L.
        var e = assertThrows(IllegalArgumentException.class, () -> GgufFileChooser.choose("r/x", BARTOWSKI, "Q4_K"));
        assertTrue(e.getMessage().contains("no GGUF file for quantization Q4_K"), e.getMessage());
        assertTrue(e.getMessage().contains("F16, IQ3_M, Q4_K_L, Q4_K_M, Q8_0"), e.getMessage());
    }

    @Test
    void acceptsDotSeparatedNamesAndPrefersTheTopLevel() {
        List<String> files = List.of("old/model.Q5_K_M.gguf", "model.Q5_K_M.gguf", "mmproj-model-Q5_K_M.gguf");
        assertEquals("model.Q5_K_M.gguf", GgufFileChooser.choose("r/x", files, "Q5_K_M"));
    }

    @Test
    void refusesSplitFilesWithAnExplanation() {
        List<String> files = List.of("big-Q4_K_M-00001-of-00002.gguf", "big-Q4_K_M-00002-of-00002.gguf", "big-Q8_0.gguf");
        var e = assertThrows(IllegalArgumentException.class, () -> GgufFileChooser.choose("r/big", files, "Q4_K_M"));
        assertTrue(e.getMessage().contains("split GGUF"), e.getMessage());
        assertEquals("big-Q8_0.gguf", GgufFileChooser.choose("r/big", files, "Q8_0"));
    }

    @Test
    void aRepositoryWithoutGgufSaysSo() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> GgufFileChooser.choose("r/safetensors", List.of("model.safetensors", "config.json"), "Q4_K_M"));
        assertTrue(e.getMessage().contains("on offer: no GGUF files"), e.getMessage());
    }
}
