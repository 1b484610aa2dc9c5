package dev.chelsea.cuda;

import dev.chelsea.engine.backend.Availability;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

/**
 * Loads JCuda's driver binding and initialises the CUDA driver, once per JVM. Loading can fail in
 * ways that surface as errors from a static initialiser (no {@code libcuda.so.1}, a JCuda native
 * for another platform); they are caught here, once, and turned into a one-line reason that every
 * later probe returns without touching native code again.
 */
final class CudaDriver {
    /** Oldest compute capability the shipped kernels run on (tensor-core WMMA with bf16: Ampere). */
    static final int MIN_COMPUTE_CAPABILITY = 80;
    /** Oldest driver whose JIT takes the shipped PTX ({@code .version 8.0} is CUDA 12.0's PTX ISA). */
    static final int MIN_DRIVER_VERSION = 12000;

    /** A device found at start-up. */
    record Device(int index, String name, int computeCapability, int multiprocessors, long totalBytes) {
        String describe() {
            return "CUDA device " + index + ": " + name + " (sm_" + computeCapability + ", "
                    + dev.chelsea.engine.model.Bytes.human(totalBytes) + ")";
        }
    }

    /** What initialising the driver found: the devices, or why there are none. */
    record State(String failure, int driverVersion, List<Device> devices) {
    }

    private static volatile State state;

    private CudaDriver() {
    }

    /** Initialises the driver on the first call; afterwards returns what it found. */
    static State state() {
        State s = state;
        if (s == null) {
            synchronized (CudaDriver.class) {
                s = state;
                if (s == null) {
                    state = s = initialise();
                }
            }
        }
        return s;
    }

    /** Whether device {@code index} can run the kernels, and its name or the reason. */
    static Availability probe(int index) {
        State s = state();
        if (s.failure() != null) {
            return Availability.no(s.failure());
        }
        if (index >= s.devices().size()) {
            return Availability.no(s.devices().isEmpty() ? "the CUDA driver found no device"
                    : "device " + index + " asked for, the CUDA driver found " + s.devices().size());
        }
        Device d = s.devices().get(index);
        if (d.computeCapability() < MIN_COMPUTE_CAPABILITY) {
            return Availability.no(d.name() + " has compute capability " + d.computeCapability() / 10 + "." + d.computeCapability() % 10
                    + "; the kernels need " + MIN_COMPUTE_CAPABILITY / 10 + ".0 or later (Ampere, Ada, Hopper, Blackwell)");
        }
        return Availability.yes(d.describe() + ", driver " + versionName(s.driverVersion()));
    }

    static String versionName(int v) {
        return v / 1000 + "." + v % 1000 / 10;
    }

    private static State initialise() {
        if ("runtime".equals(System.getProperty("org.graalvm.nativeimage.imagecode"))) {
            return new State("the CUDA backend runs on the JVM only (JCuda's JNI binding is not part of native images)", 0, List.of());
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (LinkageError e) {
            return new State(reason(e), 0, List.of());
        }
        try {
            cuInit(0);
            int[] version = new int[1];
            cuDriverGetVersion(version);
            if (version[0] < MIN_DRIVER_VERSION) {
                return new State("the CUDA driver is version " + versionName(version[0]) + "; the kernels need "
                        + versionName(MIN_DRIVER_VERSION) + " or later (driver 525 or newer)", version[0], List.of());
            }
            int[] count = new int[1];
            cuDeviceGetCount(count);
            List<Device> devices = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                devices.add(describe(i));
            }
            return new State(null, version[0], List.copyOf(devices));
        } catch (RuntimeException | LinkageError e) {
            // jcuda.CudaException (no device, driver/kernel-module mismatch) and late link failures.
            return new State("the CUDA driver did not initialise: " + e.getMessage(), 0, List.of());
        }
    }

    private static Device describe(int index) {
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, index);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, dev);
        int n = 0;
        while (n < name.length && name[n] != 0) {
            n++;
        }
        int[] major = new int[1], minor = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        int[] sms = new int[1];
        cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
        long[] total = new long[1];
        cuDeviceTotalMem(total, dev);
        return new Device(index, new String(name, 0, n, StandardCharsets.UTF_8), major[0] * 10 + minor[0], sms[0], total[0]);
    }

    /** One line for a failure to load the native binding. */
    static String reason(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (m.contains("libcuda.so")) {
            return "libcuda.so.1 (the NVIDIA driver) was not found: " + firstLine(m);
        }
        return "the JCuda driver binding did not load (" + e.getClass().getSimpleName() + "): " + firstLine(m);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
