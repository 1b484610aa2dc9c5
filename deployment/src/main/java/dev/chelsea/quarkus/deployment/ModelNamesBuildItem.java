package dev.chelsea.quarkus.deployment;

import io.quarkus.builder.item.SimpleBuildItem;

import java.util.List;

/** The models the application gets beans for: {@code <default>} and the named ones. */
public final class ModelNamesBuildItem extends SimpleBuildItem {
    private final List<String> names;

    public ModelNamesBuildItem(List<String> names) {
        this.names = List.copyOf(names);
    }

    public List<String> names() {
        return names;
    }
}
