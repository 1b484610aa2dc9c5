package dev.chelsea.langchain4j;

/** Told about every generation a Chelsea chat model runs (the Quarkus extension feeds Micrometer with it). */
@FunctionalInterface
public interface GenerationObserver {
    void onGeneration(GenerationEvent event);

    GenerationObserver NONE = e -> {
    };
}
