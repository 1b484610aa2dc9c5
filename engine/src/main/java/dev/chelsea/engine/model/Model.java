package dev.chelsea.engine.model;

import dev.chelsea.engine.generate.Session;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.kernel.Parallel;
import dev.chelsea.engine.kv.KvCache;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvCaches;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ChatTemplates;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.Tokenizers;

import java.nio.file.Path;

/**
 * A loaded model: mapped weights, tokenizer, chat template, worker threads. Thread-safe: sessions
 * created from it are independent (each has its own KV cache and scratch) but share the threads.
 */
public final class Model implements AutoCloseable {
    /** Prompt tokens processed per forward step during prefill. */
    public static final int PREFILL_BATCH = 128;
    /** Context used when neither the caller nor a smaller trained context says otherwise. */
    public static final int DEFAULT_CONTEXT = 4096;

    private final GgufFile file;
    private final ModelConfig config;
    private final Parallel parallel;
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final RuntimeException chatTemplateProblem;
    private final int contextLength;

    private Model(GgufFile file, ModelConfig config, Parallel parallel, Transformer transformer, Tokenizer tokenizer,
                  ChatTemplate chatTemplate, RuntimeException chatTemplateProblem, int contextLength) {
        this.file = file;
        this.config = config;
        this.parallel = parallel;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.chatTemplateProblem = chatTemplateProblem;
        this.contextLength = contextLength;
    }

    /**
     * Maps and checks a GGUF model. Fails with {@code GgufFormatException} for a malformed file and
     * {@link ModelLoadException} for one that cannot run here (architecture, tensors, memory).
     */
    public static Model load(Path path, ModelOptions options) {
        String backend = options.backend();
        if (backend.equals("cuda")) {
            throw new ModelLoadException("backend 'cuda' is not available in this build yet; use 'cpu' or 'auto'");
        }
        GgufFile file = GgufFile.open(path);
        Parallel parallel = null;
        try {
            if (file.tensors().isEmpty()) {
                throw new ModelLoadException(path, "the file has no tensors (a vocabulary-only file?): it cannot be run as a model");
            }
            ModelConfig config = ModelConfig.read(file);
            int ctx = options.contextLength() > 0 ? options.contextLength() : Math.min(config.contextLength(), DEFAULT_CONTEXT);
            Tokenizer tokenizer = Tokenizers.fromGguf(file.metadata());
            if (tokenizer.vocabularySize() > config.vocabSize()) {
                throw new ModelLoadException(path, "the tokenizer has " + tokenizer.vocabularySize()
                        + " tokens but the embedding only " + config.vocabSize());
            }
            ChatTemplate template = null;
            RuntimeException templateProblem = null;
            try {
                template = ChatTemplates.forModel(file.metadata());
            } catch (RuntimeException e) {
                templateProblem = e;
            }
            Weights weights = new Weights(file, config);
            parallel = new Parallel(options.threads());
            Transformer transformer = new Transformer(config, weights, parallel);
            Model model = new Model(file, config, parallel, transformer, tokenizer, template, templateProblem, ctx);
            model.checkMemory(ctx);
            return model;
        } catch (RuntimeException e) {
            if (parallel != null) {
                parallel.close();
            }
            file.close();
            throw e;
        }
    }

    private void checkMemory(int ctx) {
        MemoryEstimate m = memoryEstimate(ctx);
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (m.heapBytesPerSequence() > available) {
            throw new ModelLoadException(file.path(), "a context of " + ctx + " tokens needs " + m
                    + ", but the JVM has only " + dev.chelsea.engine.generate.GenerationStats.humanBytes(available)
                    + " of heap available: lower the context length or raise -Xmx");
        }
    }

    /** What this model costs with a context of {@code ctx} tokens. */
    public MemoryEstimate memoryEstimate(int ctx) {
        return new MemoryEstimate(weightBytes(), (long) ctx * kvLayout().bytesPerToken(),
                transformer.scratchBytes(Math.min(ctx, PREFILL_BATCH)) + 4L * config.vocabSize() * 2);
    }

    public Path path() {
        return file.path();
    }

    public String name() {
        String n = file.metadata().getString("general.name", null);
        return n != null && !n.isBlank() ? n : file.path().getFileName().toString();
    }

    public String architecture() {
        return config.architecture().ggufName;
    }

    public ModelConfig config() {
        return config;
    }

    public GgufFile file() {
        return file;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public boolean hasChatTemplate() {
        return chatTemplate != null;
    }

    /** The chat template; fails with the reason when the file has none the engine recognises. */
    public ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            throw new IllegalStateException(file.path() + ": no usable chat template: " + chatTemplateProblem.getMessage(), chatTemplateProblem);
        }
        return chatTemplate;
    }

    /**
     * Tokens for plain text, as a completion prompt: BOS first when the vocabulary asks for it,
     * control tokens written in the text parsed as such.
     */
    public int[] encodeText(String text) {
        return tokenizer.encode(text, tokenizer.addsBos(), true);
    }

    /** Tokens for a conversation rendered with this model's own chat template; see {@link #encodeChat(ChatTemplate, java.util.List)}. */
    public int[] encodeChat(java.util.List<dev.chelsea.engine.tokenizer.ChatMessage> messages) {
        return encodeChat(chatTemplate(), messages);
    }

    /**
     * Tokens for a conversation rendered with {@code template}, ending with the header of the
     * assistant's turn: the one way a conversation becomes a prompt (the CLI and the LangChain4j
     * models both come here). BOS is added as the vocabulary asks, unless the rendered text
     * already starts with it; control tokens are parsed only if the template says so.
     */
    public int[] encodeChat(ChatTemplate template, java.util.List<dev.chelsea.engine.tokenizer.ChatMessage> messages) {
        String text = template.render(messages, true);
        boolean special = template.parsesSpecialTokens();
        int bos = tokenizer.bosId();
        // Templates that write {{ bos_token }} say so; a text that starts with the BOS text carries it too.
        boolean hasBos = template.rendersBos() || special && bos >= 0 && text.startsWith(tokenizer.tokenText(bos));
        return tokenizer.encode(text, tokenizer.addsBos() && !hasBos, special);
    }

    public int contextLength() {
        return contextLength;
    }

    public KvLayout kvLayout() {
        return new KvLayout(config.layers(), config.kvHeads(), config.headDim());
    }

    public long weightBytes() {
        long b = 0;
        for (var t : file.tensors().values()) {
            b += t.byteSize();
        }
        return b;
    }

    public int threads() {
        return parallel.threads();
    }

    Transformer transformer() {
        return transformer;
    }

    /** A new conversation state with its own KV cache. */
    public Session newSession(KvCacheConfig kv) {
        return new Session(transformer, KvCaches.create(kv, kvLayout(), contextLength), PREFILL_BATCH, contextLength);
    }

    /**
     * A new conversation state over a cache the caller built, for instance one wrapped to measure
     * it ({@code AttentionErrorProbe}). The cache must be empty and have this model's layout.
     */
    public Session newSession(KvCache cache) {
        if (!cache.layout().equals(kvLayout())) {
            throw new IllegalArgumentException("the cache's layout " + cache.layout() + " does not match the model's " + kvLayout());
        }
        if (cache.position() != 0) {
            throw new IllegalArgumentException("the cache already holds " + cache.position() + " tokens");
        }
        return new Session(transformer, cache, PREFILL_BATCH, contextLength);
    }

    @Override
    public void close() {
        parallel.close();
        file.close();
    }
}
