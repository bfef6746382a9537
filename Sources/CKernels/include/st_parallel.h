// A small parallel-for over libgomp's GOMP_parallel (no -fopenmp needed: we call the runtime directly).
#ifndef ST_PARALLEL_H
#define ST_PARALLEL_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// Body of a parallel loop: process indices [begin, end).
typedef void (*st_range_fn)(void *ctx, int64_t begin, int64_t end);
/// Number of threads kernels use (default: the number of online CPUs, or OMP_NUM_THREADS when set).
int st_get_num_threads(void);
/// Set the number of threads kernels use (>= 1).
void st_set_num_threads(int n);
/// Split [0, n) into contiguous chunks of at least `grain` indices and run `fn` on them over the thread pool.
/// Runs inline (one call with [0, n)) when n <= grain or only one thread is configured. n == 0 does nothing.
void st_parallel_for(int64_t n, int64_t grain, st_range_fn fn, void *ctx);
/// Like st_parallel_for, but [0, n) is cut into up to `chunks_per_thread` × threads chunks that threads take in
/// turn from a shared counter, so a thread that starts late (woken from sleep) takes fewer. Which chunk runs on
/// which thread varies: use it only where each index's result does not depend on its chunk.
void st_parallel_for_dynamic(int64_t n, int64_t grain, int64_t chunks_per_thread, st_range_fn fn, void *ctx);
#ifdef __cplusplus
}
#endif
#endif
