package dev.chelsea.quarkus.deployment;

import dev.chelsea.quarkus.runtime.ChelseaRecorder;
import dev.chelsea.quarkus.runtime.config.ChelseaBuildConfig;
import dev.chelsea.quarkus.runtime.openai.ChatCompletion;
import dev.chelsea.quarkus.runtime.openai.ChatCompletionChunk;
import dev.chelsea.quarkus.runtime.openai.ChatCompletionRequest;
import dev.chelsea.quarkus.runtime.openai.MessageContent;
import dev.chelsea.quarkus.runtime.openai.ModelObject;
import dev.chelsea.quarkus.runtime.openai.OpenAiError;
import dev.chelsea.quarkus.runtime.openai.OpenAiResource;
import dev.chelsea.quarkus.runtime.openai.OpenAiServerFilter;
import dev.chelsea.quarkus.runtime.openai.StopSequences;
import dev.chelsea.quarkus.runtime.openai.ToolChoice;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.AdditionalIndexedClassesBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ReflectiveClassBuildItem;
import io.quarkus.resteasy.reactive.server.spi.AnnotationsTransformerBuildItem;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.smallrye.openapi.deployment.spi.AddToOpenAPIDefinitionBuildItem;
import io.quarkus.vertx.http.deployment.FilterBuildItem;
import io.quarkus.vertx.http.deployment.HttpRootPathBuildItem;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationTransformation;
import org.jboss.jandex.DotName;

import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The OpenAI-compatible server: registered only when {@code openai-server.enabled=true}, under
 * {@code openai-server.path}. The resource and its records come from the runtime jar (which has no
 * index), so they are added to the index and the beans here; a path other than {@code /v1} moves
 * the resource (REST) and its operations (OpenAPI).
 */
class OpenAiServerProcessor {
    private static final String PATH_PROPERTY = "quarkus.langchain4j.chelsea.openai-server.path";
    private static final DotName JAX_RS_PATH = DotName.createSimple("jakarta.ws.rs.Path");

    /** Classes OpenAPI reads for the schemas, and Jackson (native) for the bodies. */
    private static final List<Class<?>> RECORDS = Stream.of(ChatCompletionRequest.class.getDeclaredClasses(),
                    ChatCompletion.class.getDeclaredClasses(), ChatCompletionChunk.class.getDeclaredClasses(),
                    ModelObject.class.getDeclaredClasses(), OpenAiError.class.getDeclaredClasses(), ToolChoice.class.getDeclaredClasses(),
                    new Class<?>[]{ChatCompletionRequest.class, ChatCompletion.class, ChatCompletionChunk.class, ModelObject.class,
                            OpenAiError.class, MessageContent.class, StopSequences.class, ToolChoice.class})
            .<Class<?>>flatMap(Stream::of).filter(Class::isRecord).toList();

    static final class Enabled implements BooleanSupplier {
        ChelseaBuildConfig config;

        @Override
        public boolean getAsBoolean() {
            return config.openaiServer().enabled();
        }
    }

    /** {@code /v1}, {@code /openai/v1}...: a leading slash, no trailing one. */
    static String path(ChelseaBuildConfig config) {
        String p = config.openaiServer().path().trim();
        if (!p.startsWith("/") || p.length() < 2 || p.contains("{") || p.contains(" ")) {
            throw new ConfigurationException(PATH_PROPERTY + ": must be a path such as /v1 (a leading slash, not just /), got '"
                    + p + "'", Set.of(PATH_PROPERTY));
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    @BuildStep(onlyIf = Enabled.class)
    void resource(ChelseaBuildConfig config, BuildProducer<AdditionalBeanBuildItem> beans,
                  BuildProducer<AdditionalIndexedClassesBuildItem> index, BuildProducer<ReflectiveClassBuildItem> reflection,
                  BuildProducer<AnnotationsTransformerBuildItem> transformers) {
        String path = path(config);
        beans.produce(AdditionalBeanBuildItem.unremovableOf(OpenAiResource.class));
        index.produce(new AdditionalIndexedClassesBuildItem(Stream.concat(Stream.of(OpenAiResource.class), RECORDS.stream())
                .map(Class::getName).toArray(String[]::new)));
        reflection.produce(ReflectiveClassBuildItem.builder(RECORDS.stream().map(Class::getName).toArray(String[]::new))
                .methods().fields().constructors().build());
        // Jackson creates the readers of the either-or fields (a string or an array...) reflectively.
        reflection.produce(ReflectiveClassBuildItem.builder(Stream.of(MessageContent.class, StopSequences.class, ToolChoice.class)
                .map(c -> c.getName() + "$Reader").toArray(String[]::new)).constructors().build());
        if (!path.equals(OpenAiResource.DEFAULT_PATH)) {
            DotName resource = DotName.createSimple(OpenAiResource.class);
            transformers.produce(new AnnotationsTransformerBuildItem(AnnotationTransformation.forMethods()
                    .whenMethod(m -> m.declaringClass().name().equals(resource) && m.hasDeclaredAnnotation(JAX_RS_PATH))
                    .transform(ctx -> {
                        String old = ctx.declaration().asMethod().declaredAnnotation(JAX_RS_PATH).value().asString();
                        ctx.remove(a -> a.name().equals(JAX_RS_PATH));
                        ctx.add(AnnotationInstance.builder(JAX_RS_PATH)
                                .add("value", path + old.substring(OpenAiResource.DEFAULT_PATH.length())).build());
                    })));
        }
    }

    /** OpenAPI documents the resource at its {@code @Path}; this moves its operations to the configured path. */
    @BuildStep(onlyIf = Enabled.class)
    void openApi(ChelseaBuildConfig config, BuildProducer<AddToOpenAPIDefinitionBuildItem> openApi) {
        String path = path(config);
        if (!path.equals(OpenAiResource.DEFAULT_PATH)) {
            openApi.produce(new AddToOpenAPIDefinitionBuildItem(new OpenApiPathFilter(OpenAiResource.DEFAULT_PATH, path)));
        }
    }

    @BuildStep(onlyIf = Enabled.class)
    @Record(ExecutionTime.RUNTIME_INIT)
    FilterBuildItem filter(ChelseaBuildConfig config, ChelseaRecorder recorder, HttpRootPathBuildItem root) {
        String rest = ConfigProvider.getConfig().getOptionalValue("quarkus.rest.path", String.class).orElse("/");
        String absolute = root.resolvePath((rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest) + path(config));
        return new FilterBuildItem(recorder.openAiServerFilter(absolute), OpenAiServerFilter.PRIORITY);
    }
}
