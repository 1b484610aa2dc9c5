package dev.chelsea.cuda;

import dev.chelsea.engine.kv.KvLayout;
import jcuda.driver.CUdeviceptr;

/** The device addresses of a sequence's KV storage, as the attention kernels take them. */
interface DeviceKv {
    KvLayout layout();

    /** Slots per KV head allocated in every layer. */
    int capacity();

    CUdeviceptr keys(int layer);

    CUdeviceptr values(int layer);

    CUdeviceptr positions(int layer);

    /** The log of each slot's cluster size in a layer, or null when the policy does not merge. */
    CUdeviceptr logSizes(int layer);

    /** What attention adds to each slot's logit: the log sizes, or null (no bias) when the policy turned the bias off. */
    default CUdeviceptr sizeBias(int layer) {
        return logSizes(layer);
    }
}
