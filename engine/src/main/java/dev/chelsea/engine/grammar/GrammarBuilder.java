package dev.chelsea.engine.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a grammar as rules, each a small automaton over bytes whose edges may also call another
 * rule (a recursive transition network: recursion is what JSON nesting needs). A rule is written
 * as an NFA from Thompson fragments ({@link Rule#literal}, {@link Rule#call}, epsilon edges for
 * choices and loops), then determinised on its own by {@link #build}, treating "call rule R" as
 * one more input symbol. That determinisation is what lets alternatives share a prefix (object
 * keys, enum values, the variants of an {@code anyOf} that differ only after a common start).
 *
 * <p>The matcher follows one path, so {@link #build} refuses grammars where the next byte does not
 * decide the path (two calls that can start with the same byte, a rule that could go on or end
 * where its caller could also go on); the messages name the rule, which callers name after the
 * schema construct.
 */
final class GrammarBuilder {
    static final int INF = Integer.MAX_VALUE / 4;
    /** At 1 KB of transition table per state, 20 MB; 60 optional properties in one object take 12,427 states. */
    static final int MAX_STATES = 20_000;

    private final List<Rule> rules = new ArrayList<>();

    /** A new rule, empty until its fragments are written; {@code name} appears in error messages. */
    Rule rule(String name) {
        Rule r = new Rule(rules.size(), name);
        rules.add(r);
        return r;
    }

    /** One rule's NFA. States are ints; {@link #start} is state 0 and {@link #end()} the accepting state. */
    static final class Rule {
        final int id;
        final String name;
        private int states = 2;
        private final Ints epsFrom = new Ints();
        private final Ints epsTo = new Ints();
        private final Ints rangeFrom = new Ints();
        private final Ints rangeTo = new Ints();
        private final Ints rangeLo = new Ints();
        private final Ints rangeHi = new Ints();
        private final Ints callFrom = new Ints();
        private final Ints callTo = new Ints();
        private final List<Rule> callRule = new ArrayList<>();

        private Rule(int id, String name) {
            this.id = id;
            this.name = name;
        }

        int start() {
            return 0;
        }

        /** The accepting state: link a fragment's end to it with {@link #finish}. */
        int end() {
            return 1;
        }

        int state() {
            return states++;
        }

        void eps(int from, int to) {
            epsFrom.add(from);
            epsTo.add(to);
        }

        /** Ends the rule at {@code from}. */
        void finish(int from) {
            eps(from, end());
        }

        /** One byte in {@code [lo, hi]}; returns the state after it. */
        int range(int from, int lo, int hi) {
            int to = state();
            range(from, lo, hi, to);
            return to;
        }

        void range(int from, int lo, int hi, int to) {
            if (lo < 0 || hi > 255 || lo > hi) {
                throw new IllegalArgumentException("bad byte range " + lo + ".." + hi);
            }
            rangeFrom.add(from);
            rangeTo.add(to);
            rangeLo.add(lo);
            rangeHi.add(hi);
        }

        int literal(int from, byte[] bytes) {
            int s = from;
            for (byte b : bytes) {
                s = range(s, b & 0xFF, b & 0xFF);
            }
            return s;
        }

        int literal(int from, String text) {
            return literal(from, text.getBytes(StandardCharsets.UTF_8));
        }

        int call(int from, Rule callee) {
            int to = state();
            callFrom.add(from);
            callTo.add(to);
            callRule.add(callee);
            return to;
        }

        /** Zero or one call of {@code callee}. */
        int optionalCall(int from, Rule callee) {
            int out = state();
            eps(from, out);
            eps(call(from, callee), out);
            return out;
        }

        /** A junction state reachable from each of {@code ends}. */
        int join(int... ends) {
            int out = state();
            for (int e : ends) {
                eps(e, out);
            }
            return out;
        }
    }

    /** A determinised rule: local states, byte transitions (-1: none) and call edges. */
    private static final class Dfa {
        int[][] next;
        List<int[]>[] calls; // per state: {rule, target}
        boolean[] accepting;

        int size() {
            return next.length;
        }
    }

    /** Determinises every rule, checks that one path is always enough, and builds the tables. */
    Grammar build(Rule startRule) {
        int n = rules.size();
        Dfa[] dfa = new Dfa[n];
        int[] offset = new int[n + 1];
        for (int r = 0; r < n; r++) {
            dfa[r] = determinise(rules.get(r));
            offset[r + 1] = offset[r] + dfa[r].size();
        }
        int total = offset[n];
        if (total > MAX_STATES) {
            int largest = 0;
            for (int r = 1; r < n; r++) {
                largest = dfa[r].size() > dfa[largest].size() ? r : largest;
            }
            throw new GrammarException("the grammar is too large: " + total + " automaton states, at most " + MAX_STATES + " ("
                    + dfa[largest].size() + " in rule " + rules.get(largest).name + "; an object's optional properties make it grow "
                    + "with the square of their number: make more of them required)");
        }
        int[] ruleOf = new int[total];
        for (int r = 0; r < n; r++) {
            Arrays.fill(ruleOf, offset[r], offset[r + 1], r);
        }
        int[] min = minimumCompletion(dfa, offset, total);
        if (min[offset[startRule.id]] >= INF) {
            throw new GrammarException("the grammar admits no finite output (rule " + startRule.name + " never completes)");
        }
        // edges into states that can never complete are dropped: the matcher must not enter them
        int[][] firsts = firstBytes(dfa, offset, min);
        for (int r = 0; r < n; r++) {
            for (int s = 0; s < dfa[r].size(); s++) {
                for (int[] c : dfa[r].calls[s]) {
                    if (dfa[c[0]].accepting[0]) {
                        throw new GrammarException("rule " + rules.get(c[0]).name + " can match nothing; only non-empty rules may be called");
                    }
                }
            }
        }
        checkLeftRecursion(dfa, offset, min);

        int[] trans = new int[total * 256];
        Arrays.fill(trans, -1);
        Ints callStart = new Ints();
        Ints callReturn = new Ints();
        Map<Long, Integer> callIds = new HashMap<>();
        for (int r = 0; r < n; r++) {
            Dfa d = dfa[r];
            for (int s = 0; s < d.size(); s++) {
                int q = offset[r] + s;
                for (int b = 0; b < 256; b++) {
                    int t = d.next[s][b];
                    if (t >= 0 && min[offset[r] + t] < INF) {
                        trans[q * 256 + b] = offset[r] + t;
                    }
                }
                for (int[] c : d.calls[s]) {
                    int calleeStart = offset[c[0]];
                    int ret = offset[r] + c[1];
                    if (min[calleeStart] >= INF || min[ret] >= INF) {
                        continue;
                    }
                    long key = ((long) calleeStart << 32) | ret;
                    int id = callIds.computeIfAbsent(key, k -> {
                        callStart.add(calleeStart);
                        callReturn.add(ret);
                        return callStart.size() - 1;
                    });
                    int code = -2 - id;
                    for (int b : firsts[c[0]]) {
                        int old = trans[q * 256 + b];
                        if (old != -1 && old != code) {
                            throw new GrammarException("rule " + rules.get(r).name + ": the byte " + show(b) + " can start "
                                    + describe(old, ruleOf, callStart) + " and also " + rules.get(c[0]).name
                                    + "; the next byte must decide which");
                        }
                        trans[q * 256 + b] = code;
                    }
                }
            }
        }
        boolean[] accepting = new boolean[total];
        boolean[] hasOut = new boolean[total];
        for (int r = 0; r < n; r++) {
            for (int s = 0; s < dfa[r].size(); s++) {
                int q = offset[r] + s;
                accepting[q] = dfa[r].accepting[s];
                for (int b = 0; b < 256 && !hasOut[q]; b++) {
                    hasOut[q] = trans[q * 256 + b] != -1;
                }
            }
        }
        String[] names = rules.stream().map(r -> r.name).toArray(String[]::new);
        Grammar g = new Grammar(trans, callStart.toArray(), callReturn.toArray(), accepting, hasOut, min, ruleOf, names,
                offset[startRule.id]);
        checkEndsAreDecided(g, offset);
        return g;
    }

    private String describe(int code, int[] ruleOf, Ints callStart) {
        return code >= 0 ? "a byte of " + rules.get(ruleOf[code]).name : rules.get(ruleOf[callStart.get(-code - 2)]).name;
    }

    static String show(int b) {
        return b >= 0x20 && b < 0x7F ? "'" + (char) b + "'" : String.format("0x%02X", b);
    }

    /** Subset construction over bytes and call symbols. */
    @SuppressWarnings("unchecked")
    private static Dfa determinise(Rule rule) {
        int ns = rule.states;
        Ints[] eps = epsilonTargets(ns, rule.epsFrom, rule.epsTo);
        Ints[] ranges = adjacency(ns, rule.rangeFrom, rule.rangeFrom.size());
        Ints[] calls = adjacency(ns, rule.callFrom, rule.callFrom.size());

        Map<BitSet, Integer> ids = new HashMap<>();
        List<BitSet> sets = new ArrayList<>();
        List<int[]> next = new ArrayList<>();
        List<List<int[]>> callEdges = new ArrayList<>();
        BitSet first = new BitSet();
        first.set(rule.start());
        closure(first, eps);
        ids.put(first, 0);
        sets.add(first);
        for (int k = 0; k < sets.size(); k++) {
            BitSet set = sets.get(k);
            // byte edges leaving the set, cut into intervals where the same edges apply
            Ints edges = new Ints();
            BitSet cuts = new BitSet(257);
            for (int s = set.nextSetBit(0); s >= 0; s = set.nextSetBit(s + 1)) {
                Ints es = ranges[s];
                for (int i = 0; es != null && i < es.size(); i++) {
                    int e = es.get(i);
                    edges.add(e);
                    cuts.set(rule.rangeLo.get(e));
                    cuts.set(rule.rangeHi.get(e) + 1);
                }
            }
            int[] row = new int[256];
            Arrays.fill(row, -1);
            for (int lo = cuts.nextSetBit(0); lo >= 0 && lo < 256; ) {
                int hi = cuts.nextSetBit(lo + 1); // exclusive
                BitSet target = new BitSet();
                for (int i = 0; i < edges.size(); i++) {
                    int e = edges.get(i);
                    if (rule.rangeLo.get(e) <= lo && lo <= rule.rangeHi.get(e)) {
                        target.set(rule.rangeTo.get(e));
                    }
                }
                if (!target.isEmpty()) {
                    closure(target, eps);
                    int id = intern(target, ids, sets);
                    Arrays.fill(row, lo, Math.min(hi, 256), id);
                }
                lo = hi;
            }
            // call edges, grouped by callee
            TreeMap<Integer, BitSet> byCallee = new TreeMap<>();
            for (int s = set.nextSetBit(0); s >= 0; s = set.nextSetBit(s + 1)) {
                Ints cs = calls[s];
                for (int i = 0; cs != null && i < cs.size(); i++) {
                    int e = cs.get(i);
                    byCallee.computeIfAbsent(rule.callRule.get(e).id, x -> new BitSet()).set(rule.callTo.get(e));
                }
            }
            List<int[]> out = new ArrayList<>();
            for (Map.Entry<Integer, BitSet> e : byCallee.entrySet()) {
                BitSet target = e.getValue();
                closure(target, eps);
                out.add(new int[]{e.getKey(), intern(target, ids, sets)});
            }
            next.add(row);
            callEdges.add(out);
        }
        Dfa d = new Dfa();
        d.next = next.toArray(new int[0][]);
        d.calls = callEdges.toArray(new List[0]);
        d.accepting = new boolean[sets.size()];
        for (int i = 0; i < sets.size(); i++) {
            d.accepting[i] = sets.get(i).get(rule.end());
        }
        return d;
    }

    private static int intern(BitSet set, Map<BitSet, Integer> ids, List<BitSet> sets) {
        Integer id = ids.get(set);
        if (id == null) {
            id = sets.size();
            ids.put(set, id);
            sets.add(set);
        }
        return id;
    }

    private static Ints[] adjacency(int states, Ints from, int count) {
        Ints[] adj = new Ints[states];
        for (int e = 0; e < count; e++) {
            int s = from.get(e);
            if (adj[s] == null) {
                adj[s] = new Ints();
            }
            adj[s].add(e);
        }
        return adj;
    }

    private static Ints[] epsilonTargets(int states, Ints from, Ints to) {
        Ints[] adj = new Ints[states];
        for (int e = 0; e < from.size(); e++) {
            int s = from.get(e);
            if (adj[s] == null) {
                adj[s] = new Ints();
            }
            adj[s].add(to.get(e));
        }
        return adj;
    }

    private static void closure(BitSet set, Ints[] eps) {
        ArrayDeque<Integer> work = new ArrayDeque<>();
        set.stream().forEach(work::add);
        while (!work.isEmpty()) {
            Ints es = eps[work.pop()];
            for (int i = 0; es != null && i < es.size(); i++) {
                int to = es.get(i);
                if (!set.get(to)) {
                    set.set(to);
                    work.push(to);
                }
            }
        }
    }

    /**
     * Fewest bytes from each state to the end of its rule (INF if it cannot end): per rule a
     * shortest-path search back from its accepting states (a byte costs 1, a call what its rule
     * costs), repeated over the rules until the costs of calls settle (recursion).
     */
    private static int[] minimumCompletion(Dfa[] dfa, int[] offset, int total) {
        int[] min = new int[total];
        Arrays.fill(min, INF);
        int n = dfa.length;
        // reverse edges per rule: for each target, the sources and the callee (-1 for a byte edge)
        List<int[][]> reverse = new ArrayList<>();
        for (Dfa d : dfa) {
            List<List<int[]>> into = new ArrayList<>();
            for (int s = 0; s < d.size(); s++) {
                into.add(new ArrayList<>());
            }
            for (int s = 0; s < d.size(); s++) {
                BitSet seen = new BitSet();
                for (int b = 0; b < 256; b++) {
                    int t = d.next[s][b];
                    if (t >= 0 && !seen.get(t)) {
                        seen.set(t);
                        into.get(t).add(new int[]{s, -1});
                    }
                }
                for (int[] c : d.calls[s]) {
                    into.get(c[1]).add(new int[]{s, c[0]});
                }
            }
            int[][] flat = new int[d.size()][];
            for (int t = 0; t < d.size(); t++) {
                flat[t] = into.get(t).stream().flatMapToInt(java.util.Arrays::stream).toArray();
            }
            reverse.add(flat);
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < n; r++) {
                Dfa d = dfa[r];
                int o = offset[r];
                int[] dist = new int[d.size()];
                Arrays.fill(dist, INF);
                java.util.PriorityQueue<long[]> queue = new java.util.PriorityQueue<>((x, y) -> Long.compare(x[0], y[0]));
                for (int s = 0; s < d.size(); s++) {
                    if (d.accepting[s]) {
                        dist[s] = 0;
                        queue.add(new long[]{0, s});
                    }
                }
                while (!queue.isEmpty()) {
                    long[] e = queue.poll();
                    int t = (int) e[1];
                    if (e[0] > dist[t]) {
                        continue;
                    }
                    int[] in = reverse.get(r)[t];
                    for (int k = 0; k < in.length; k += 2) {
                        int src = in[k];
                        int cost = in[k + 1] < 0 ? 1 : min[offset[in[k + 1]]];
                        if (cost >= INF) {
                            continue;
                        }
                        int cand = dist[t] + cost;
                        if (cand < dist[src]) {
                            dist[src] = cand;
                            queue.add(new long[]{cand, src});
                        }
                    }
                }
                for (int s = 0; s < d.size(); s++) {
                    if (dist[s] != min[o + s]) {
                        min[o + s] = dist[s];
                        changed = true;
                    }
                }
            }
        }
        return min;
    }

    /** The bytes each rule can start with (through calls made at its start), as sorted arrays. */
    private static int[][] firstBytes(Dfa[] dfa, int[] offset, int[] min) {
        int n = dfa.length;
        BitSet[] first = new BitSet[n];
        for (int r = 0; r < n; r++) {
            first[r] = new BitSet(256);
            for (int b = 0; b < 256; b++) {
                int t = dfa[r].next[0][b];
                if (t >= 0 && min[offset[r] + t] < INF) {
                    first[r].set(b);
                }
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < n; r++) {
                for (int[] c : dfa[r].calls[0]) {
                    if (min[offset[c[0]]] >= INF || min[offset[r] + c[1]] >= INF) {
                        continue;
                    }
                    BitSet before = (BitSet) first[r].clone();
                    first[r].or(first[c[0]]);
                    if (!before.equals(first[r])) {
                        changed = true;
                    }
                }
            }
        }
        int[][] out = new int[n][];
        for (int r = 0; r < n; r++) {
            out[r] = first[r].stream().toArray();
        }
        return out;
    }

    private void checkLeftRecursion(Dfa[] dfa, int[] offset, int[] min) {
        int n = dfa.length;
        int[] mark = new int[n]; // 0 new, 1 on the path, 2 done
        for (int r = 0; r < n; r++) {
            leftRecursion(r, dfa, offset, min, mark);
        }
    }

    private void leftRecursion(int r, Dfa[] dfa, int[] offset, int[] min, int[] mark) {
        if (mark[r] == 2) {
            return;
        }
        if (mark[r] == 1) {
            throw new GrammarException("rule " + rules.get(r).name + " calls itself before reading a byte (left recursion)");
        }
        mark[r] = 1;
        for (int[] c : dfa[r].calls[0]) {
            if (min[offset[c[0]]] < INF) {
                leftRecursion(c[0], dfa, offset, min, mark);
            }
        }
        mark[r] = 2;
    }

    /**
     * The matcher leaves a rule only when the rule cannot take the next byte itself. That is right
     * only if, wherever a rule may end, no byte that may follow it (in any caller) could also
     * continue it; checked here with the usual FOLLOW sets.
     */
    private void checkEndsAreDecided(Grammar g, int[] offset) {
        int n = rules.size();
        BitSet[] follow = new BitSet[n];
        for (int r = 0; r < n; r++) {
            follow[r] = new BitSet(256);
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int c = 0; c < g.callStart.length; c++) {
                int callee = g.ruleOf[g.callStart[c]];
                int ret = g.callReturn[c];
                BitSet before = (BitSet) follow[callee].clone();
                for (int b = 0; b < 256; b++) {
                    if (g.trans[ret * 256 + b] != -1) {
                        follow[callee].set(b);
                    }
                }
                if (g.accepting[ret]) {
                    follow[callee].or(follow[g.ruleOf[ret]]);
                }
                if (!before.equals(follow[callee])) {
                    changed = true;
                }
            }
        }
        for (int q = 0; q < g.accepting.length; q++) {
            if (!g.accepting[q]) {
                continue;
            }
            BitSet f = follow[g.ruleOf[q]];
            for (int b = f.nextSetBit(0); b >= 0; b = f.nextSetBit(b + 1)) {
                if (g.trans[q * 256 + b] != -1) {
                    throw new GrammarException("rule " + rules.get(g.ruleOf[q]).name + " may end or go on with " + show(b)
                            + ", and what follows it may also start with " + show(b));
                }
            }
        }
    }
}
