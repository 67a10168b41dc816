/* libchlast_cuda_runtime.so: what an object compiled by
 * `chlast-compile --target cuda` calls: MLIR's GPU runtime ABI (mgpu*, the
 * PTX loaded by the object's constructor), the memref allocation hooks
 * (device memory), chlast_device_constant (the weights, uploaded once at
 * load) and chlast_cudnn_conv (cuDNN 9) -- plus the helpers below for the
 * host program, whose buffers must be device memory.
 *
 *   cc main.c model.o -L<dir> -lchlast_cuda_runtime -Wl,-rpath,<dir>
 *
 * At run time it needs libcuda.so.1 (the NVIDIA driver) and, for
 * convolutions, libcudnn.so.9 (CHLAST_CUDNN_LIB or the loader path). */
#ifndef CHLAST_CUDA_RUNTIME_H
#define CHLAST_CUDA_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* `bytes` of device memory (256-byte aligned) for an argument or result of
 * the entry point; NULL on error (see chlast_cuda_error). */
void *chlast_cuda_alloc(size_t bytes);
/* Frees a buffer from chlast_cuda_alloc once queued work is done. */
void chlast_cuda_free(void *device);
/* Queue copies between host and device memory; 0, or -1 on error. The host
 * memory must stay valid until chlast_cuda_synchronize returns. */
int chlast_cuda_copy_to_device(void *device, const void *host, size_t bytes);
int chlast_cuda_copy_to_host(void *host, const void *device, size_t bytes);
/* Waits for all queued work (a call of the entry point only queues it);
 * 0, or -1 when any call since the last synchronization failed. */
int chlast_cuda_synchronize(void);
/* The last error, NUL-terminated and truncated to `size` bytes, into
 * `buffer`; returns its full length (0: none) and forgets it. */
size_t chlast_cuda_error(char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* CHLAST_CUDA_RUNTIME_H */
