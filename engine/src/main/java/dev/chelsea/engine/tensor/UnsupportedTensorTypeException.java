package dev.chelsea.engine.tensor;

import dev.chelsea.engine.gguf.GgmlType;

/** A tensor stored in a type that has no kernel. */
public final class UnsupportedTensorTypeException extends RuntimeException {
    public UnsupportedTensorTypeException(String tensor, GgmlType type) {
        super("tensor '" + tensor + "' has type " + type + ", which is not supported (supported: "
                + TensorTypes.SUPPORTED + ")");
    }
}
