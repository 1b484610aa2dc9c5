package dev.chelsea.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Word splitting of the pre-tokenizers, checked against what the models' regexes produce. */
class PreTokenizerTest {

    @Test
    void gpt2KeepsDigitRunsAndLeavesTheLastSpaceForTheNextWord() {
        assertEquals(List.of("Hello", ",", " world", " 12345", "!"), PreTokenizer.GPT2.split("Hello, world 12345!"));
        assertEquals(List.of("a", "  ", " b"), PreTokenizer.GPT2.split("a   b"));
        assertEquals(List.of("a", "   "), PreTokenizer.GPT2.split("a   "));
        assertEquals(List.of("don", "'t", " DON", "'", "T"), PreTokenizer.GPT2.split("don't DON'T"));
    }

    @Test
    void llama3GroupsDigitsByThreeAndMatchesContractionsInAnyCase() {
        assertEquals(List.of("123", "456", "7"), PreTokenizer.LLAMA3.split("1234567"));
        assertEquals(List.of("DON", "'T", " don", "'t"), PreTokenizer.LLAMA3.split("DON'T don't"));
        assertEquals(List.of("Hello", "\n\n", "  ", " world"), PreTokenizer.LLAMA3.split("Hello\n\n   world"));
        assertEquals(List.of(" (", "normal", ")"), PreTokenizer.LLAMA3.split(" (normal)"));
        // ½ is a number, so the space before it stands alone (llama-bpe's expected ids agree)
        assertEquals(List.of("ied", " ", "4", " ", "½", " months"), PreTokenizer.LLAMA3.split("ied 4 ½ months"));
    }

    @Test
    void qwen2SplitsEveryDigitAndTreatsUnicodeLettersAsLetters() {
        assertEquals(List.of("1", "2", "3"), PreTokenizer.QWEN2.split("123"));
        assertEquals(List.of("héllo", " wörld"), PreTokenizer.QWEN2.split("héllo wörld"));
        // U+3000 is whitespace, so it may prefix a word like a space
        assertEquals(List.of("a", "\u3000b"), PreTokenizer.QWEN2.split("a\u3000b"));
        assertEquals(List.of("нещо", " на"), PreTokenizer.QWEN2.split("нещо на"));
    }

    @Test
    void starcoderAndDeepseekCoderSplitDigitsOneByOne() {
        assertEquals(List.of("x", "1", "2"), PreTokenizer.STARCODER.split("x12"));
        assertEquals(List.of("x", "1", "2"), PreTokenizer.DEEPSEEK_CODER.split("x12"));
    }

    @Test
    void falconCutsPunctuationFirstAndThreeDigitGroupsLast() {
        // the last regex, [0-9][0-9][0-9], cuts " 1234" into " ", "123", "4"
        assertEquals(List.of("a", "...", " ", "123", "4"), PreTokenizer.FALCON.split("a... 1234"));
    }

    @Test
    void deepseekLlmSeparatesNewlinesAndCjk() {
        // the CJK regex has no optional leading space, so the space stays a piece of its own
        assertEquals(List.of("Hi", "\n", " ", "世界"), PreTokenizer.DEEPSEEK_LLM.split("Hi\n 世界"));
    }

    @Test
    void gpt4oSplitsCamelCaseAndKeepsContractionsOnTheWord() {
        assertEquals(List.of("Hello", "World", " I'm", " ÉTÉétait"), PreTokenizer.GPT4O.split("HelloWorld I'm ÉTÉétait"));
        assertEquals(List.of("123", "4"), PreTokenizer.GPT4O.split("1234"));
        // a long word must not exhaust the stack of the regex engine
        assertEquals(1, PreTokenizer.GPT4O.split("A" + "b".repeat(200_000)).size());
    }

    @Test
    void everyPreTokenizerCoversItsInput() {
        String text = "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～\n\n\t  x = [1, 2]; // done \u00A0end";
        for (PreTokenizer pre : PreTokenizer.values()) {
            assertEquals(text, String.join("", pre.split(text)), pre.name());
        }
    }

    @Test
    void regexTranslationMapsCategoriesAndEndAnchor() {
        assertEquals("\\s+\\z", RegexSplitRule.translate("\\s+$", false));
        assertEquals("[^\\s\\x{D2}A-Za-z]", RegexSplitRule.translate("[^\\s\\p{L}]", true));
        assertEquals(" ?[\\x{D1}0-9]+", RegexSplitRule.translate(" ?\\p{N}+", true));
        assertEquals("[a\\&\\&b\\[]", RegexSplitRule.translate("[a&&b[]", false));
        assertThrows(IllegalArgumentException.class, () -> new RegexSplitRule("\\p{L}é"));
    }

    @Test
    void namesFollowLlamaCpp() {
        assertEquals(PreTokenizer.LLAMA3, PreTokenizer.forName("llama-bpe"));
        assertEquals(PreTokenizer.QWEN2, PreTokenizer.forName("qwen2"));
        assertEquals(PreTokenizer.STARCODER, PreTokenizer.forName("smollm"));
        assertEquals(PreTokenizer.STARCODER, PreTokenizer.forName("refact"));
        assertEquals(PreTokenizer.GPT2, PreTokenizer.forName("mpt"));
        assertEquals(PreTokenizer.GPT2, PreTokenizer.forName("gpt-neox"));
        assertEquals(null, PreTokenizer.forName("no-such-pre"));
    }
}
