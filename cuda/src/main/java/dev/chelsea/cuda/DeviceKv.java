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

    /** The log-size bias of a layer, or null when the policy does not merge. */
    CUdeviceptr logSizes(int layer);
}
