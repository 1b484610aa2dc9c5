/**
 * Constrained decoding: grammars that decide, at every step, which tokens keep the output valid,
 * so that JSON output always parses and tool calls always carry schema-valid arguments.
 *
 * <p><b>Grammars.</b> {@link dev.chelsea.engine.grammar.JsonSchemaGrammar} compiles a JSON Schema
 * (the subset LangChain4j writes: objects, arrays, strings, numbers, integers, booleans, enums,
 * {@code anyOf}, local {@code $ref}, ...; anything else is refused with its name and path) and
 * {@link dev.chelsea.engine.grammar.ToolCallGrammar} the tool-call syntax of a model family,
 * with each tool's parameter schema inside. Both build rules with a {@code GrammarBuilder}: each
 * rule an NFA over bytes whose edges may call other rules, determinised rule by rule into one
 * deterministic pushdown automaton ({@link dev.chelsea.engine.grammar.Grammar}): a table of
 * {@code states x 256} entries, a stack of return states. The builder refuses grammars where the
 * next byte does not decide the path, so matching never backtracks or tracks alternatives.
 *
 * <p><b>Masks.</b> {@link dev.chelsea.engine.grammar.GrammarConstraint} binds a grammar to a
 * tokenizer. The vocabulary's byte strings form a trie, stored in preorder (274,520 nodes for the
 * 128K Llama 3 vocabulary); a mask is one pass over it with the automaton, skipping every subtree
 * whose first byte is rejected. Per automaton state the pass is done once, relative to an unknown
 * stack below: it decides every token that stays in the current rule and lists the subtrees that
 * leave it, which are walked against the real stack at each step (inside a JSON string, the few
 * tokens with a closing quote). A step then costs a copy of 16 KB and a few short walks: about
 * 0.05 ms per step on the 128K vocabulary, under 0.1% of a CPU decode step of Llama-3.2-1B
 * ({@code GrammarMaskBenchmarkMain}, docs/performance.md).
 *
 * <p><b>Ending.</b> End-of-generation tokens are allowed only when the output is complete; a
 * complete output that nothing may follow (a closed object) ends generation at once. Each state
 * knows the fewest bytes that complete the output, so near the token limit only tokens that leave
 * room to finish are allowed, and output with enough budget always closes.
 */
package dev.chelsea.engine.grammar;
