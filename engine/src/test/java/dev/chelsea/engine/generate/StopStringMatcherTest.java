package dev.chelsea.engine.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringMatcherTest {
    @Test
    void holdsBackPossibleStartsAndCutsAtTheStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("</s>", "STOP"));
        assertEquals("Hello", m.push("Hello"));
        assertEquals(" wor", m.push(" wor<"));
        assertEquals("", m.push("/"));
        assertEquals("", m.push("s"));
        assertFalse(m.stopped());
        assertEquals("", m.push(">tail"));
        assertTrue(m.stopped());
        assertEquals("", m.flush());
    }

    @Test
    void releasesFalseStarts() {
        StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
        assertEquals("a", m.push("aST"));
        assertEquals("STx", m.push("x"));
        assertEquals("", m.push("S"));
        assertEquals("S", m.flush());
    }

    @Test
    void stopInsideOneChunk() {
        StopStringMatcher m = new StopStringMatcher(List.of("\n\n"));
        assertEquals("line", m.push("line\n\nnext"));
        assertTrue(m.stopped());
    }

    @Test
    void noStopsPassesEverything() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertEquals("abc", m.push("abc"));
        assertEquals("", m.flush());
    }
}
