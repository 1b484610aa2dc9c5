package dev.chelsea.quarkus.runtime;

import jakarta.enterprise.util.AnnotationLiteral;
import jakarta.inject.Qualifier;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Selects a named model configured under {@code quarkus.langchain4j.chelsea."name".*}:
 * {@code @Inject @ModelName("story") ChatModel story;}. Without it the default model is injected.
 */
@Qualifier
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.TYPE})
public @interface ModelName {
    String value();

    final class Literal extends AnnotationLiteral<ModelName> implements ModelName {
        private final String value;

        public Literal(String value) {
            this.value = value;
        }

        public static Literal of(String value) {
            return new Literal(value);
        }

        @Override
        public String value() {
            return value;
        }
    }
}
