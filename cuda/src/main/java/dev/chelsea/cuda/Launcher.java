package dev.chelsea.cuda;

/**
 * Where the forward pass sends its kernel launches: the device's stream ({@link KernelModule}), or
 * in tests a recorder that checks each launch against the PTX without a GPU.
 */
interface Launcher {
    void launch(Launch launch);
}
