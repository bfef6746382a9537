// CPU feature detection. Fast paths are compiled with __attribute__((target("avx2,fma"))) and chosen at run time.
#ifndef ST_CPU_H
#define ST_CPU_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// 1 when the CPU supports AVX2 and FMA and fast paths are enabled, else 0.
int st_cpu_has_avx2_fma(void);
/// Force the scalar `_ref` paths (enabled = 0) or allow the fast paths (enabled = 1). For tests and benchmarks.
void st_set_fast_paths_enabled(int enabled);
#ifdef __cplusplus
}
#endif
#endif
