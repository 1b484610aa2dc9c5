package dev.chelsea.langchain4j;

/**
 * One invalid setting: which one, and what is wrong with it.
 *
 * @param setting the builder's name for it ({@code temperature}, {@code kvCache.keptRatio}...)
 * @param message what is wrong, with the value given
 */
public record SettingProblem(String setting, String message) {
    @Override
    public String toString() {
        return setting + ": " + message;
    }
}
