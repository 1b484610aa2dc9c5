package dev.chelsea.engine.tokenizer;

/**
 * A split rule written as a scanner over one piece at a time. Positions outside the piece read
 * as code point -1 with flags 0, which is how the scanners express "end of piece".
 */
abstract class PieceSplitRule implements SplitRule {

    @Override
    public final IntList split(int[] cps, int[] flags, IntList pieces) {
        IntList out = new IntList(pieces.size() * 4);
        int start = 0;
        for (int k = 0; k < pieces.size(); k++) {
            int end = start + pieces.get(k);
            new Piece(cps, flags, start, end, out).scan(this);
            start = end;
        }
        return out;
    }

    /** Splits {@code piece} by calling {@link Piece#cut(int)} at the end of every word. */
    abstract void splitPiece(Piece piece);

    static final class Piece {
        final int ini;
        final int end;
        private final int[] cps;
        private final int[] flags;
        private final IntList out;
        private int lastCut;

        Piece(int[] cps, int[] flags, int ini, int end, IntList out) {
            this.cps = cps;
            this.flags = flags;
            this.ini = ini;
            this.end = end;
            this.out = out;
            this.lastCut = ini;
        }

        void scan(PieceSplitRule rule) {
            rule.splitPiece(this);
            cut(end);
        }

        int cp(int pos) {
            return pos >= ini && pos < end ? cps[pos] : -1;
        }

        int flags(int pos) {
            return pos >= ini && pos < end ? flags[pos] : 0;
        }

        boolean is(int pos, int flag) {
            return (flags(pos) & flag) != 0;
        }

        /** Ends the current word at {@code pos} (no word if it would be empty). */
        void cut(int pos) {
            if (pos > lastCut) {
                out.add(pos - lastCut);
                lastCut = pos;
            }
        }
    }
}
