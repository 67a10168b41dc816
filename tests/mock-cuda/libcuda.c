/* A stand-in for libcuda.so.1 that checks how chlast's CUDA runtime uses the
 * driver, on a machine without a GPU (tests/integration/cuda.rs builds it
 * with cc and puts it first on LD_LIBRARY_PATH of a chlast-run process).
 *
 * "Device" memory is host memory from malloc; kernels are not run (a launch
 * only checks its stream and is counted), so outputs are not meaningful:
 * what is checked is the protocol. Every call is counted; misuse is counted
 * as an error: a copy, memset or free of memory that is not a live
 * allocation, work queued on a stream other than the runtime's one,
 * managed or host-registered memory. At exit the counts are written as
 * "key value" lines to $MOCK_CUDA_LOG.
 *
 * $MOCK_CUDA_FAIL_ALLOC=N makes the N-th stream-ordered allocation fail
 * with CUDA_ERROR_OUT_OF_MEMORY (2).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef int CUdevice;
typedef void *Handle;

enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2 };

#define MAX_ALLOCS 65536
static struct { char *base; size_t bytes; } allocs[MAX_ALLOCS];
static long live_allocs, peak_live;
static int stream_tag, context_tag, module_tag, function_tag, pool_tag;
static Handle the_stream;
static long n_streams, alloc_async, free_async, alloc_sync, free_sync,
    uploads_at_load, copies_in, copies_out, memsets, launches,
    launches_after_failure, stream_syncs, event_records, errors,
    managed, host_registers, failed_allocs, first_launch_seen, capturing,
    captures, captured_launches, graph_launches, replayed_launches;
static long fail_alloc_at = -1;
static char first_error[256];

static void error(const char *what) {
  if (!errors)
    snprintf(first_error, sizeof first_error, "%s", what);
  errors++;
}

static int find(CUdeviceptr p) {
  for (int i = 0; i < MAX_ALLOCS; i++)
    if (allocs[i].base && (char *)(uintptr_t)p >= allocs[i].base &&
        (char *)(uintptr_t)p < allocs[i].base + allocs[i].bytes)
      return i;
  return -1;
}

/* Whether [p, p + bytes) lies in one live allocation. */
static int live(CUdeviceptr p, size_t bytes) {
  int i = find(p);
  return i >= 0 &&
         (char *)(uintptr_t)p + bytes <= allocs[i].base + allocs[i].bytes;
}

static CUresult allocate(CUdeviceptr *out, size_t bytes) {
  for (int i = 0; i < MAX_ALLOCS; i++)
    if (!allocs[i].base) {
      /* 256-byte aligned, like the driver. */
      void *p = NULL;
      if (posix_memalign(&p, 256, bytes ? bytes : 1))
        return OUT_OF_MEMORY;
      allocs[i].base = p;
      allocs[i].bytes = bytes;
      *out = (CUdeviceptr)(uintptr_t)p;
      if (++live_allocs > peak_live)
        peak_live = live_allocs;
      return OK;
    }
  return OUT_OF_MEMORY;
}

static CUresult release(CUdeviceptr p) {
  int i = find(p);
  if (i < 0 || allocs[i].base != (char *)(uintptr_t)p) {
    error("free of memory that is not a live allocation");
    return INVALID_VALUE;
  }
  free(allocs[i].base);
  allocs[i].base = NULL;
  live_allocs--;
  return OK;
}

static void check_stream(Handle s, const char *what) {
  if (s != the_stream)
    error(what);
}

__attribute__((constructor)) static void init(void) {
  const char *fail = getenv("MOCK_CUDA_FAIL_ALLOC");
  if (fail)
    fail_alloc_at = atol(fail);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("MOCK_CUDA_LOG");
  FILE *f = path ? fopen(path, "w") : NULL;
  if (!f)
    return;
  fprintf(f,
          "streams %ld\nalloc_async %ld\nfree_async %ld\nalloc_sync %ld\n"
          "free_sync %ld\nlive_allocs %ld\npeak_live %ld\nuploads_at_load %ld\n"
          "copies_in %ld\ncopies_out %ld\nmemsets %ld\nlaunches %ld\n"
          "launches_after_failure %ld\nstream_syncs %ld\nevent_records %ld\n"
          "managed %ld\nhost_registers %ld\nfailed_allocs %ld\nerrors %ld\n"
          "captures %ld\ncaptured_launches %ld\ngraph_launches %ld\n"
          "replayed_launches %ld\nfirst_error %s\n",
          n_streams, alloc_async, free_async, alloc_sync, free_sync,
          live_allocs, peak_live, uploads_at_load, copies_in, copies_out,
          memsets, launches, launches_after_failure, stream_syncs,
          event_records, managed, host_registers, failed_allocs, errors,
          captures, captured_launches, graph_launches, replayed_launches,
          errors ? first_error : "none");
  fclose(f);
}

CUresult cuInit(unsigned flags) { (void)flags; return OK; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return OK; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) { *d = ordinal; return OK; }
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
  (void)d;
  snprintf(name, (size_t)len, "mock GPU");
  return OK;
}
CUresult cuDevicePrimaryCtxRetain(Handle *ctx, CUdevice d) {
  (void)d;
  *ctx = &context_tag;
  return OK;
}
static __thread Handle current;
CUresult cuCtxGetCurrent(Handle *ctx) { *ctx = current; return OK; }
CUresult cuCtxSetCurrent(Handle ctx) { current = ctx; return OK; }
CUresult cuCtxSynchronize(void) { stream_syncs++; return OK; }

CUresult cuStreamCreate(Handle *s, unsigned flags) {
  (void)flags;
  if (n_streams++)
    error("more than one stream");
  the_stream = &stream_tag;
  *s = the_stream;
  return OK;
}
CUresult cuStreamDestroy_v2(Handle s) {
  (void)s;
  error("the runtime's stream was destroyed");
  return OK;
}
CUresult cuStreamSynchronize(Handle s) {
  check_stream(s, "synchronize of another stream");
  if (capturing)
    error("synchronize while capturing");
  stream_syncs++;
  return OK;
}
CUresult cuStreamWaitEvent(Handle s, Handle e, unsigned f) {
  (void)s, (void)e, (void)f;
  return OK;
}

CUresult cuDeviceGetDefaultMemPool(Handle *pool, CUdevice d) {
  (void)d;
  *pool = &pool_tag;
  return OK;
}
CUresult cuMemPoolSetAttribute(Handle pool, int attr, void *value) {
  (void)pool, (void)attr, (void)value;
  return OK;
}

CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, Handle s) {
  check_stream(s, "allocation on another stream");
  if (++alloc_async == fail_alloc_at) {
    failed_allocs++;
    return OUT_OF_MEMORY;
  }
  return allocate(p, bytes);
}
CUresult cuMemFreeAsync(CUdeviceptr p, Handle s) {
  check_stream(s, "free on another stream");
  free_async++;
  return release(p);
}
/* Synchronous allocations: the constants' device copies (and cuDNN's). */
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  alloc_sync++;
  return allocate(p, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr p) {
  free_sync++;
  return release(p);
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (!live(dst, bytes))
    error("upload to memory that is not a live allocation");
  if (first_launch_seen)
    error("a constant uploaded after the first kernel launch");
  if (capturing)
    error("synchronous copy while capturing");
  memcpy((void *)(uintptr_t)dst, src, bytes);
  uploads_at_load++;
  return OK;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              Handle s) {
  check_stream(s, "copy on another stream");
  if (!live(dst, bytes))
    error("copy in to memory that is not a live allocation");
  memcpy((void *)(uintptr_t)dst, src, bytes);
  copies_in++;
  return OK;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              Handle s) {
  check_stream(s, "copy on another stream");
  if (!live(src, bytes))
    error("copy out of memory that is not a live allocation");
  memcpy(dst, (void *)(uintptr_t)src, bytes);
  copies_out++;
  return OK;
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                       Handle s) {
  check_stream(s, "copy on another stream");
  memmove((void *)(uintptr_t)dst, (void *)(uintptr_t)src, bytes);
  return OK;
}
CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, Handle s) {
  check_stream(s, "memset on another stream");
  if (!live(p, n))
    error("memset of memory that is not a live allocation");
  memset((void *)(uintptr_t)p, v, n);
  memsets++;
  return OK;
}
CUresult cuMemAllocManaged(CUdeviceptr *p, size_t bytes, unsigned flags) {
  (void)flags;
  managed++;
  error("managed memory");
  return allocate(p, bytes);
}
CUresult cuMemHostRegister_v2(void *p, size_t bytes, unsigned flags) {
  (void)p, (void)bytes, (void)flags;
  host_registers++;
  error("host-registered memory");
  return OK;
}

CUresult cuModuleLoadData(Handle *m, const void *image) {
  (void)image;
  *m = &module_tag;
  return OK;
}
CUresult cuModuleLoadDataEx(Handle *m, const void *image, unsigned n,
                            void *options, void **values) {
  (void)image, (void)n, (void)options, (void)values;
  *m = &module_tag;
  return OK;
}
CUresult cuModuleUnload(Handle m) { (void)m; return OK; }
CUresult cuModuleGetFunction(Handle *f, Handle m, const char *name) {
  (void)m, (void)name;
  *f = &function_tag;
  return OK;
}
CUresult cuFuncSetAttribute(Handle f, int attr, int value) {
  (void)f, (void)attr, (void)value;
  return OK;
}
CUresult cuLaunchKernel(Handle f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        Handle s, void **params, void **extra) {
  (void)f, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz;
  (void)smem, (void)params, (void)extra;
  check_stream(s, "launch on another stream");
  first_launch_seen = 1;
  if (capturing) {
    captured_launches++;
    return OK;
  }
  launches++;
  if (failed_allocs)
    launches_after_failure++;
  return OK;
}

static int event_tags[1024];
static int next_event;
CUresult cuEventCreate(Handle *e, unsigned flags) {
  (void)flags;
  *e = &event_tags[next_event++ % 1024];
  return OK;
}
CUresult cuEventDestroy_v2(Handle e) { (void)e; return OK; }
CUresult cuEventRecord(Handle e, Handle s) {
  (void)e;
  check_stream(s, "event on another stream");
  event_records++;
  return OK;
}
CUresult cuEventSynchronize(Handle e) { (void)e; return OK; }
CUresult cuEventElapsedTime(float *ms, Handle a, Handle b) {
  (void)a, (void)b;
  *ms = 0.5f;
  return OK;
}

/* Stream capture: launches queued while capturing are recorded, not run;
 * a replay counts them again. */
static int graph_tag, exec_tag;
CUresult cuStreamBeginCapture_v2(Handle s, int mode) {
  (void)mode;
  check_stream(s, "capture of another stream");
  if (capturing)
    error("nested capture");
  capturing = 1;
  captures++;
  captured_launches = 0;
  return OK;
}
CUresult cuStreamEndCapture(Handle s, Handle *graph) {
  check_stream(s, "capture of another stream");
  if (!capturing)
    error("end of a capture that did not begin");
  capturing = 0;
  *graph = &graph_tag;
  return OK;
}
CUresult cuGraphInstantiateWithFlags(Handle *exec, Handle graph,
                                     unsigned long long flags) {
  (void)flags;
  if (graph != &graph_tag)
    error("instantiate of an unknown graph");
  *exec = &exec_tag;
  return OK;
}
CUresult cuGraphLaunch(Handle exec, Handle s) {
  check_stream(s, "graph launch on another stream");
  if (exec != &exec_tag || capturing)
    error("graph launch of an unknown graph, or while capturing");
  graph_launches++;
  replayed_launches += captured_launches;
  return OK;
}
CUresult cuGraphDestroy(Handle graph) { (void)graph; return OK; }
CUresult cuGraphExecDestroy(Handle exec) { (void)exec; return OK; }
