package dev.chelsea.cuda;

/**
 * One kernel launch: the kernel's name, the grid (x, y, z blocks), the threads per block (1-D),
 * dynamic shared memory, and the arguments.
 */
record Launch(String kernel, int gridX, int gridY, int gridZ, int block, int sharedBytes, KernelArgs args) {
    Launch {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || block < 1 || block > 1024 || sharedBytes < 0) {
            throw new IllegalArgumentException(kernel + ": invalid launch " + gridX + "x" + gridY + "x" + gridZ
                    + " blocks of " + block + " threads, " + sharedBytes + " bytes shared");
        }
    }

    static Launch of(String kernel, int gridX, int block, KernelArgs args) {
        return new Launch(kernel, gridX, 1, 1, block, 0, args);
    }
}
