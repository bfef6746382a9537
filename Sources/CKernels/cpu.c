// cpu.c — run-time CPU feature detection and the fast-path switch.
//
// Purpose: decide once whether the AVX2+FMA kernels may run on this CPU (cached), and let tests and benchmarks
// force the scalar `_ref` paths. These two flags are the only mutable globals of the module besides the
// thread count in parallel.c. Both are atomics, so concurrent readers and writers are well defined.
//
// Shape legend: none (no tensors here).
#include <stdatomic.h>
#include "st_internal.h"

static atomic_int st_cpu_feature_cache = -1;   // -1: not probed yet, 0: no AVX2+FMA, 1: AVX2+FMA
static atomic_int st_fast_paths_enabled = 1;

static int st_cpu_probe(void) {
#if defined(ST_X86)
    __builtin_cpu_init();   // harmless when the runtime already did it
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int st_cpu_has_avx2_fma(void) {
    if (!atomic_load_explicit(&st_fast_paths_enabled, memory_order_relaxed)) return 0;
    int has = atomic_load_explicit(&st_cpu_feature_cache, memory_order_relaxed);
    if (has < 0) {
        has = st_cpu_probe();   // every racing prober computes the same answer
        atomic_store_explicit(&st_cpu_feature_cache, has, memory_order_relaxed);
    }
    return has;
}

void st_set_fast_paths_enabled(int enabled) {
    atomic_store_explicit(&st_fast_paths_enabled, enabled ? 1 : 0, memory_order_relaxed);
}
