package dev.chelsea.engine.model;

import dev.chelsea.engine.arch.ModelConfig;
import dev.chelsea.engine.arch.ModelLoadException;
import dev.chelsea.engine.arch.ModelWeights;
import dev.chelsea.engine.backend.Backend;
import dev.chelsea.engine.backend.BackendOptions;
import dev.chelsea.engine.backend.BackendProvider;
import dev.chelsea.engine.backend.BackendType;
import dev.chelsea.engine.backend.Backends;
import dev.chelsea.engine.gguf.GgufFile;
import dev.chelsea.engine.kv.KvCacheConfig;
import dev.chelsea.engine.kv.KvLayout;
import dev.chelsea.engine.kv.KvPolicies;
import dev.chelsea.engine.kv.KvPolicy;
import dev.chelsea.engine.kv.KvStore;
import dev.chelsea.engine.tokenizer.ChatMessage;
import dev.chelsea.engine.tokenizer.ChatTemplate;
import dev.chelsea.engine.tokenizer.ChatTemplates;
import dev.chelsea.engine.tokenizer.Tokenizer;
import dev.chelsea.engine.tokenizer.ToolDefinition;
import dev.chelsea.engine.tokenizer.Tokenizers;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A loaded model: the mapped file, its tokenizer and chat template, and the backend that runs it
 * (chosen at load: CPU or CUDA). Thread-safe: sessions created from it are independent (each has
 * its own KV cache and working memory) but share the weights and the backend's threads.
 */
public final class Model implements AutoCloseable {
    /** Context used when neither the caller nor a smaller trained context says otherwise. */
    public static final int DEFAULT_CONTEXT = 4096;

    private final GgufFile file;
    private final ModelConfig config;
    private final ModelOptions options;
    private final Backend backend;
    private final StepGate gate = new StepGate();
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final RuntimeException chatTemplateProblem;
    private final int contextLength;

    private Model(GgufFile file, ModelConfig config, ModelOptions options, Backend backend, Tokenizer tokenizer,
                  ChatTemplate chatTemplate, RuntimeException chatTemplateProblem, int contextLength) {
        this.file = file;
        this.config = config;
        this.options = options;
        this.backend = backend;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.chatTemplateProblem = chatTemplateProblem;
        this.contextLength = contextLength;
    }

    /**
     * Maps and checks a GGUF model and loads it on the chosen backend. Fails with
     * {@code GgufFormatException} for a malformed file and {@link ModelLoadException} for one that
     * cannot run here (architecture, tensors, memory, a backend that is not available).
     */
    public static Model load(Path path, ModelOptions options) {
        BackendProvider provider = Backends.select(options.backend(), options.device());
        GgufFile file = GgufFile.open(path);
        Backend backend = null;
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
            ModelWeights weights = new ModelWeights(file, config);
            backend = provider.load(weights, new BackendOptions(options.threads(), options.device()));
            Model model = new Model(file, config, options, backend, tokenizer, template, templateProblem, ctx);
            model.checkMemory(ctx);
            return model;
        } catch (RuntimeException e) {
            if (backend != null) {
                backend.close();
            }
            file.close();
            throw e;
        }
    }

    private void checkMemory(int ctx) {
        MemoryEstimate m = memoryEstimate(ctx);
        Backend.MemoryPool pool = backend.memory();
        if (m.bytesPerSequence() > pool.freeBytes()) {
            String fix = pool.name().equals("heap") ? "lower the context length or raise -Xmx" : "lower the context length";
            throw new ModelLoadException(ModelLoadException.Reason.CONTEXT, file.path(), "a context of " + ctx + " tokens needs " + m + ", but only "
                    + Bytes.human(pool.freeBytes()) + " of " + pool.name() + " is available: " + fix);
        }
    }

    /** What this model costs with a context of {@code ctx} tokens, on its backend. */
    public MemoryEstimate memoryEstimate(int ctx) {
        return new MemoryEstimate(backend.weightBytes(), (long) ctx * backend.kvBytesPerToken(),
                backend.scratchBytes(Math.min(ctx, backend.maxBatch())), backend.memory().name());
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

    /** The backend running this model. */
    public Backend backend() {
        return backend;
    }

    public BackendType backendType() {
        return backend.type();
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
    public int[] encodeChat(List<ChatMessage> messages) {
        return encodeChat(chatTemplate(), messages);
    }

    /**
     * Tokens for a conversation rendered with {@code template}, ending with the header of the
     * assistant's turn: the one way a conversation becomes a prompt (the CLI and the LangChain4j
     * models both come here). BOS is added as the vocabulary asks, unless the rendered text
     * already starts with it; control tokens are parsed only if the template says so.
     */
    public int[] encodeChat(ChatTemplate template, List<ChatMessage> messages) {
        return encode(template, template.render(messages, true));
    }

    /**
     * Tokens for a conversation that offers {@code tools} (empty: none) and may hold tool calls
     * and results, rendered in the family's tool format ({@link ChatTemplate#render(List, List, boolean)});
     * encoded as {@link #encodeChat(ChatTemplate, List)} does.
     */
    public int[] encodeChat(ChatTemplate template, List<ChatMessage> messages, List<ToolDefinition> tools) {
        return encode(template, template.render(messages, tools, true));
    }

    /**
     * Tokens for the start of a conversation, without the header of an assistant's turn, encoded
     * as {@link #encodeChat(ChatTemplate, List)} encodes whole conversations: the tokens a longer
     * conversation that starts with {@code messages} starts with, up to where the tokenizer may
     * join text across the end of the last message (compare the two to find the shared part).
     */
    public int[] encodeChatPrefix(ChatTemplate template, List<ChatMessage> messages) {
        return encode(template, template.render(messages, false));
    }

    private int[] encode(ChatTemplate template, String text) {
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

    /** Bytes of the weights on the backend. */
    public long weightBytes() {
        return backend.weightBytes();
    }

    /** Host worker threads this model was loaded with. */
    public int threads() {
        return options.threads();
    }

    /**
     * Fails with a clear message when {@code kv} names a policy this model's backend cannot run
     * (its KV store lacks what the policy needs), naming the policies that do run there, or when
     * its limit in bytes is below what the policy needs in this backend's store, naming that least.
     */
    public void checkKvCache(KvCacheConfig kv) {
        Set<KvStore.Feature> has = backend.kvFeatures();
        KvPolicy policy = KvPolicies.create(kv, config.layers(), spec -> backend.kvBytesPerSlot(spec, kv.kvType()));
        Set<KvStore.Feature> missing = EnumSet.noneOf(KvStore.Feature.class);
        missing.addAll(policy.requires());
        missing.removeAll(has);
        if (!missing.isEmpty()) {
            List<String> runnable = KvPolicies.names().stream()
                    .filter(n -> has.containsAll(KvPolicies.create(kv.withPolicy(n), config.layers()).requires())).toList();
            throw new IllegalArgumentException("KV cache policy '" + kv.policy() + "' cannot run on the " + backend.type().id()
                    + " backend (its KV store lacks " + missing + "); policies that run there: " + String.join(", ", runnable));
        }
    }

    /** A new conversation state with its own KV cache. Close it to free its memory (device memory on a GPU). */
    public Session newSession(KvCacheConfig kv) {
        return newSession(kv, null);
    }

    /**
     * A new conversation state whose KV store is decorated by {@code wrapStore} (a measurement
     * probe, for instance); backends that cannot wrap their store refuse it.
     */
    public Session newSession(KvCacheConfig kv, UnaryOperator<KvStore> wrapStore) {
        checkKvCache(kv);
        return gate.run(() -> new Session(backend, gate, backend.newSequence(kv, contextLength, Math.min(contextLength, backend.maxBatch()), wrapStore),
                contextLength, config.vocabSize(), kv.promptChunk()));
    }

    /**
     * Waits for the steps its sessions are running, then frees the backend and unmaps the file;
     * later steps are refused ("the model is closed"). Closing twice does nothing.
     */
    @Override
    public void close() {
        if (gate.close()) {
            backend.close();
            file.close();
        }
    }
}
