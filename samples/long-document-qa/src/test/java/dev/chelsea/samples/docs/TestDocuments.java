package dev.chelsea.samples.docs;

/** Texts the tests register. */
final class TestDocuments {
    private TestDocuments() {
    }

    static final String SHORT_TITLE = "Tom and the kite";
    static final String SHORT = "Tom had a blue kite. One windy day he flew it high over the hill behind his house. "
            + "The string broke and the kite landed in the garden of old Mrs. Green, who gave it back with a cookie.";

    static final String LONG_TITLE = "The town of Oakfield";

    /** About 5,000 tokens of stories260K's tokenizer: far more than its context leaves for a whole document. */
    static String longText() {
        StringBuilder b = new StringBuilder("The town of Oakfield\n\n");
        String[] animals = {"cat", "dog", "bird", "fish", "frog", "duck", "horse", "cow"};
        String[] colors = {"red", "green", "blue", "yellow", "purple", "orange", "pink", "brown"};
        for (int i = 0; i < 120; i++) {
            b.append("House number ").append(i).append(" has a ").append(colors[i % colors.length]).append(" door and a ")
                    .append(animals[(i * 3) % animals.length]).append(" that sleeps by the window. ");
            if (i % 6 == 5) {
                b.append("\n\n");
            }
        }
        b.append("\n\nThe baker of Oakfield is named Rosa. She bakes bread with raisins every Sunday morning.\n");
        return b.toString();
    }
}
