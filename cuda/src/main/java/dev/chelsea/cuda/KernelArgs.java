package dev.chelsea.cuda;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, with their types: turned into the pointer array that
 * {@code cuLaunchKernel} takes, and compared with the parameters the PTX declares (a test checks
 * every launch the forward pass makes against the shipped PTX, without a GPU).
 */
final class KernelArgs {
    /** A parameter's type as the PTX spells it ({@code .u64} pointers, {@code .u32}/{@code .s32} ints, {@code .f32}, {@code .f64}). */
    enum Type {
        PTR(8), I32(4), F32(4), F64(8);

        final int bytes;

        Type(int bytes) {
            this.bytes = bytes;
        }
    }

    private final List<Type> types = new ArrayList<>();
    private final List<NativePointerObject> pointers = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();

    /** A device address; null passes a null pointer (an optional input the kernel skips). */
    KernelArgs ptr(CUdeviceptr p) {
        types.add(Type.PTR);
        CUdeviceptr v = p == null ? new CUdeviceptr() : p;
        values.add(v);
        pointers.add(Pointer.to(v));
        return this;
    }

    KernelArgs i32(int v) {
        types.add(Type.I32);
        values.add(v);
        pointers.add(Pointer.to(new int[]{v}));
        return this;
    }

    KernelArgs f32(float v) {
        types.add(Type.F32);
        values.add(v);
        pointers.add(Pointer.to(new float[]{v}));
        return this;
    }

    List<Type> types() {
        return List.copyOf(types);
    }

    /** The value of argument {@code i}: a {@link CUdeviceptr}, an Integer or a Float. */
    Object value(int i) {
        return values.get(i);
    }

    /** The {@code void**} that {@code cuLaunchKernel} takes. */
    Pointer kernelParams() {
        return Pointer.to(pointers.toArray(new NativePointerObject[0]));
    }
}
