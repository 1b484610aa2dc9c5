package dev.chelsea.engine.tokenizer;

/**
 * One step of a pre-tokenizer. The text is held as code points; the current split is a list of
 * piece lengths (in code points) that cover the text in order. A rule splits every piece further
 * and never joins pieces, as llama.cpp's {@code unicode_regex_split} does: text between two
 * matches of a regex stays a piece of its own.
 */
interface SplitRule {

    /**
     * @param cps    the whole text as code points
     * @param flags  {@link CodepointFlags#of(int)} for every code point of {@code cps}
     * @param pieces lengths of the current pieces
     * @return lengths of the new pieces (none of them zero)
     */
    IntList split(int[] cps, int[] flags, IntList pieces);
}
