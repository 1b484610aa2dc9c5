package dev.chelsea.quarkus.deployment;

import dev.chelsea.quarkus.runtime.ChelseaMetrics;
import dev.chelsea.quarkus.runtime.ChelseaModels;
import dev.chelsea.quarkus.runtime.ChelseaReadinessCheck;
import dev.chelsea.quarkus.runtime.ChelseaRecorder;
import dev.chelsea.quarkus.runtime.ModelName;
import dev.chelsea.quarkus.runtime.config.ChelseaBuildConfig;
import dev.chelsea.quarkus.runtime.config.ChelseaConfig;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.arc.deployment.SyntheticBeanBuildItem;
import io.quarkus.deployment.Capabilities;
import io.quarkus.deployment.Capability;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.CombinedIndexBuildItem;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.deployment.builditem.LaunchModeBuildItem;
import io.quarkus.deployment.builditem.ShutdownContextBuildItem;
import io.quarkus.deployment.builditem.nativeimage.NativeImageEnableModule;
import io.quarkus.deployment.builditem.nativeimage.ReflectiveClassBuildItem;
import io.quarkus.deployment.builditem.nativeimage.RuntimeInitializedPackageBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ServiceProviderBuildItem;
import io.quarkus.deployment.metrics.MetricsCapabilityBuildItem;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.metrics.MetricsFactory;
import io.quarkus.runtime.RuntimeValue;
import io.quarkus.smallrye.health.deployment.spi.HealthBuildItem;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.DotName;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

class ChelseaProcessor {
    static final String FEATURE = "chelsea";
    static final DotName MODEL_NAME = DotName.createSimple(ModelName.class);
    private static final String PREFIX = "quarkus.langchain4j.chelsea.";
    /** Properties of a model; a key with one of these after a name makes that name a named model. */
    private static final List<String> MODEL_GROUPS = List.of("chat-model.", "kv-cache.", "enable-integration");

    @BuildStep
    FeatureBuildItem feature() {
        return new FeatureBuildItem(FEATURE);
    }

    @BuildStep
    AdditionalBeanBuildItem qualifier() {
        // The runtime jar has no bean archive index, so make the qualifier known to ArC explicitly.
        return AdditionalBeanBuildItem.builder().addBeanClass(ModelName.class).build();
    }

    /**
     * The models to create: every name used with {@code @ModelName} in the application and every
     * name configured at build time, plus the default model when it is configured or when nothing
     * else is (so that a missing configuration fails the boot with a helpful message).
     */
    @BuildStep
    ModelNamesBuildItem modelNames(CombinedIndexBuildItem index) {
        TreeSet<String> named = new TreeSet<>();
        for (AnnotationInstance a : index.getIndex().getAnnotations(MODEL_NAME)) {
            named.add(a.value().asString());
        }
        boolean defaultConfigured = false;
        for (String key : ConfigProvider.getConfig().getPropertyNames()) {
            String k = key.startsWith("%") && key.indexOf('.') > 0 ? key.substring(key.indexOf('.') + 1) : key;
            if (!k.startsWith(PREFIX)) {
                continue;
            }
            String rest = k.substring(PREFIX.length());
            if (MODEL_GROUPS.stream().anyMatch(rest::startsWith)) {
                defaultConfigured = true;
                continue;
            }
            String name = nameOf(rest);
            if (name != null) {
                named.add(name);
            }
        }
        List<String> names = new ArrayList<>();
        if (defaultConfigured || named.isEmpty()) {
            names.add(ChelseaConfig.DEFAULT_NAME);
        }
        names.addAll(named);
        return new ModelNamesBuildItem(names);
    }

    /** The model name in {@code "name".chat-model.x} or {@code name.chat-model.x}, else null. */
    static String nameOf(String rest) {
        String name;
        String after;
        if (rest.startsWith("\"")) {
            int close = rest.indexOf('"', 1);
            if (close < 0) {
                return null;
            }
            name = rest.substring(1, close);
            after = rest.substring(close + 1);
        } else {
            int dot = rest.indexOf('.');
            if (dot < 0) {
                return null;
            }
            name = rest.substring(0, dot);
            after = rest.substring(dot);
        }
        if (name.isEmpty() || !after.startsWith(".")) {
            return null;
        }
        String tail = after.substring(1);
        return MODEL_GROUPS.stream().anyMatch(tail::startsWith) ? name : null;
    }

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    void createModels(ChelseaRecorder recorder, ModelNamesBuildItem names, LaunchModeBuildItem launchMode,
                      ShutdownContextBuildItem shutdown, BuildProducer<SyntheticBeanBuildItem> beans) {
        boolean dev = launchMode.getLaunchMode() == LaunchMode.DEVELOPMENT;
        RuntimeValue<ChelseaModels> models = recorder.initialize(names.names(), dev, shutdown);
        beans.produce(SyntheticBeanBuildItem.configure(ChelseaModels.class)
                .scope(Singleton.class)
                .setRuntimeInit()
                .unremovable()
                .runtimeValue(models)
                .done());
        for (String name : names.names()) {
            var chat = SyntheticBeanBuildItem.configure(ChatModel.class)
                    .scope(Singleton.class)
                    .setRuntimeInit()
                    .unremovable()
                    .createWith(recorder.chatModel(models, name));
            var streaming = SyntheticBeanBuildItem.configure(StreamingChatModel.class)
                    .scope(Singleton.class)
                    .setRuntimeInit()
                    .unremovable()
                    .createWith(recorder.streamingChatModel(models, name));
            if (ChelseaConfig.DEFAULT_NAME.equals(name)) {
                chat.defaultBean();
                streaming.defaultBean();
            } else {
                AnnotationInstance qualifier = AnnotationInstance.builder(MODEL_NAME).add("value", name).build();
                chat.addQualifier(qualifier);
                streaming.addQualifier(qualifier);
            }
            beans.produce(chat.done());
            beans.produce(streaming.done());
        }
    }

    @BuildStep
    void health(Capabilities capabilities, ChelseaBuildConfig config, BuildProducer<HealthBuildItem> health) {
        if (capabilities.isPresent(Capability.SMALLRYE_HEALTH)) {
            health.produce(new HealthBuildItem(ChelseaReadinessCheck.class.getName(), config.health().enabled()));
        }
    }

    @BuildStep
    void metrics(Optional<MetricsCapabilityBuildItem> metrics, ChelseaBuildConfig config, BuildProducer<AdditionalBeanBuildItem> beans) {
        if (config.metrics().enabled() && metrics.isPresent()
                && metrics.get().metricsSupported(MetricsFactory.MICROMETER)) {
            beans.produce(AdditionalBeanBuildItem.unremovableOf(ChelseaMetrics.class));
        }
    }

    /**
     * Native image: the kernels need the Vector API module; classes that hold mapped files, thread
     * pools or per-JVM state must start at run time; engine records may be serialized to JSON.
     */
    @BuildStep
    void nativeImage(BuildProducer<NativeImageEnableModule> modules, BuildProducer<RuntimeInitializedPackageBuildItem> runtimeInit,
                     BuildProducer<ReflectiveClassBuildItem> reflection, BuildProducer<ServiceProviderBuildItem> services) {
        modules.produce(new NativeImageEnableModule("jdk.incubator.vector"));
        // The backends are found through ServiceLoader; in a native image the CUDA one reports itself
        // unavailable (JCuda's JNI binding needs the JVM) and the CPU runs the models.
        services.produce(ServiceProviderBuildItem.allProvidersFromClassPath("dev.chelsea.engine.backend.BackendProvider"));
        for (String p : List.of("dev.chelsea.engine.gguf", "dev.chelsea.engine.tensor", "dev.chelsea.engine.kernel",
                "dev.chelsea.engine.arch", "dev.chelsea.engine.backend", "dev.chelsea.engine.backend.cpu",
                "dev.chelsea.engine.model", "dev.chelsea.engine.kv", "dev.chelsea.engine.generate", "dev.chelsea.engine.tokenizer",
                "dev.chelsea.cuda", "jcuda", "jcuda.driver",
                "dev.chelsea.langchain4j", "dev.chelsea.langchain4j.download", "dev.chelsea.quarkus.runtime.openai")) {
            runtimeInit.produce(new RuntimeInitializedPackageBuildItem(p));
        }
        reflection.produce(ReflectiveClassBuildItem.builder(
                        "dev.chelsea.engine.generate.GenerationStats", "dev.chelsea.engine.kv.KvStats",
                        "dev.chelsea.engine.generate.SamplingParams", "dev.chelsea.engine.kv.KvCacheConfig",
                        "dev.chelsea.engine.model.ModelOptions", "dev.chelsea.engine.generate.StopReason",
                        "dev.chelsea.langchain4j.GenerationEvent")
                .methods().fields().build());
    }
}
