/* libchlast_cpu_runtime.so: what an object compiled by
 * `chlast-compile --target cpu` calls besides its own code.
 *
 *   cc main.c model.o -Lcpu-runtime-dir -lchlast_cpu_runtime \
 *      -L/usr/lib/llvm-22/lib -lomp -Wl,-rpath,...
 *
 * Convolutions run on oneDNN (libdnnl.so.2, loaded at the first call);
 * parallel loops and oneDNN share LLVM's OpenMP runtime (libomp). */
#ifndef CHLAST_CPU_RUNTIME_H
#define CHLAST_CPU_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The convolution call the compiled code makes (one per conv, with the
 * address of its constant spec): runs it on oneDNN. An error cannot be
 * returned through this call; it is kept for chlast_runtime_error. */
void chlast_cudnn_conv(const int64_t *spec, uint64_t x, uint64_t w, uint64_t y,
                       uint64_t bias, uint64_t z);

/* The first error a convolution call recorded since the last call of this
 * function, copied NUL-terminated into `buffer` (truncated to `size`
 * bytes); returns the message's full length, 0 when there was none. Check
 * it after every call of the compiled entry point. */
size_t chlast_runtime_error(char *buffer, size_t size);

/* Threads for oneDNN and the compiled parallel loops (OpenMP); returns 0,
 * or -1 when oneDNN or OpenMP cannot be loaded (see chlast_runtime_error). */
int chlast_runtime_set_threads(int threads);

#ifdef __cplusplus
}
#endif

#endif /* CHLAST_CPU_RUNTIME_H */
