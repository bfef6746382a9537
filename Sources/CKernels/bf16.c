// bf16.c — frozen bfloat16 weights in float32 arithmetic: widening copies and row gathers (embedding lookup).
// Widening is exact: a bf16 value is the top half of a float's bit pattern. The decode-time matrix–vector product
// with bf16 weights (st_matvec_bf16_f32) shares matvec.c's kernels.
//
// Shape legend: see st_bf16.h.
#include "st_internal.h"

// MARK: - Widening copy

typedef struct {
    float *dst;
    const uint16_t *src;
} st_bf16_copy_args;

static void st_bf16_copy_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_bf16_copy_args *a = (const st_bf16_copy_args *)ctx;
    for (int64_t i = b; i < e; i++) a->dst[i] = st_bf16_widen(a->src[i]);
}

#if ST_X86
ST_AVX2 static void st_bf16_copy_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_bf16_copy_args *a = (const st_bf16_copy_args *)ctx;
    int64_t i = b;
    for (; i + 8 <= e; i += 8) _mm256_storeu_ps(a->dst + i, st_v_bf16_load(a->src + i));
    for (; i < e; i++) a->dst[i] = st_bf16_widen(a->src[i]);
}
#endif

void st_bf16_to_f32_ref(float *restrict dst, const uint16_t *restrict src, int64_t n) {
    st_bf16_copy_args a = {dst, src};
    if (n > 0) st_bf16_copy_range_ref(&a, 0, n);
}

void st_bf16_to_f32(float *restrict dst, const uint16_t *restrict src, int64_t n) {
    st_bf16_copy_args a = {dst, src};
    if (n > 0) st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_bf16_copy_range), &a);
}

void st_bf16_gather_rows_f32(float *restrict dst, const uint16_t *restrict table, const int64_t *restrict ids,
                             int64_t count, int64_t columns) {
    for (int64_t i = 0; i < count; i++) {
        st_bf16_copy_args a = {dst + i * columns, table + ids[i] * columns};
#if ST_X86
        if (st_cpu_has_avx2_fma()) { st_bf16_copy_range_avx2(&a, 0, columns); continue; }
#endif
        st_bf16_copy_range_ref(&a, 0, columns);
    }
}
