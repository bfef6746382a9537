// bf16.c — frozen bfloat16 weights in float32 arithmetic: widening copies, row gathers (embedding lookup) and the
// decode-time matrix–vector product. Widening is exact: a bf16 value is the top half of a float's bit pattern.
//
// The matrix–vector product follows matvec.c (four row lanes per thread walked in lockstep, so that each core
// keeps four memory streams in flight; chunks taken dynamically) and reads 2 bytes per weight instead of 4.
//
// Shape legend: see st_bf16.h.
#include "st_internal.h"

static inline float st_bf16_widen(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

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
/// Eight bf16 values at p, widened.
ST_AVX2 static inline __m256 st_v_bf16_load(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

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

// MARK: - Matrix–vector product

typedef struct {
    float *y;
    const float *x;
    const uint16_t *w;
    int64_t M, N, K;
} st_bf16_matvec_args;

static void st_bf16_matvec_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_bf16_matvec_args *a = (const st_bf16_matvec_args *)ctx;
    for (int64_t n = b; n < e; n++) {
        const uint16_t *wr = a->w + n * a->K;
        for (int64_t r = 0; r < a->M; r++) {
            const float *xr = a->x + r * a->K;
            double acc = 0;
            for (int64_t k = 0; k < a->K; k++) acc += (double)xr[k] * (double)st_bf16_widen(wr[k]);
            a->y[r * a->N + n] = (float)acc;
        }
    }
}

#if ST_X86
ST_AVX2 static inline float st_v_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// y[r, rows[s]] for the S ≤ 4 weight rows `rows` walked together.
ST_AVX2 static inline void st_bf16_matvec_rows_avx2(const st_bf16_matvec_args *a, const int64_t *rows, int S) {
    const int64_t K = a->K, M = a->M;
    __m256 acc[4][4];
    const uint16_t *wr[4];
    for (int s = 0; s < S; s++) {
        wr[s] = a->w + rows[s] * K;
        for (int64_t r = 0; r < M; r++) acc[r][s] = _mm256_setzero_ps();
    }
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 xv[4];
        for (int64_t r = 0; r < M; r++) xv[r] = _mm256_loadu_ps(a->x + r * K + k);
        for (int s = 0; s < S; s++) {
            __m256 w = st_v_bf16_load(wr[s] + k);
            for (int64_t r = 0; r < M; r++) acc[r][s] = _mm256_fmadd_ps(xv[r], w, acc[r][s]);
        }
    }
    for (int s = 0; s < S; s++) {
        for (int64_t r = 0; r < M; r++) {
            const float *xr = a->x + r * K;
            float sum = st_v_hsum(acc[r][s]);
            for (int64_t kk = k; kk < K; kk++) sum += xr[kk] * st_bf16_widen(wr[s][kk]);
            a->y[r * a->N + rows[s]] = sum;
        }
    }
}

ST_AVX2 static void st_bf16_matvec_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_bf16_matvec_args *a = (const st_bf16_matvec_args *)ctx;
    const int64_t lane = (e - b) / 4;
    for (int64_t i = 0; i < lane; i++) {
        const int64_t rows[4] = {b + i, b + lane + i, b + 2 * lane + i, b + 3 * lane + i};
        st_bf16_matvec_rows_avx2(a, rows, 4);
    }
    for (int64_t n = b + 4 * lane; n < e; n++) st_bf16_matvec_rows_avx2(a, &n, 1);
}
#endif

void st_matvec_bf16_f32_ref(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M,
                            int64_t N, int64_t K) {
    st_bf16_matvec_args a = {y, x, w, M, N, K};
    if (M > 0 && N > 0) st_bf16_matvec_range_ref(&a, 0, N);
}

void st_matvec_bf16_f32(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M, int64_t N,
                        int64_t K) {
    if (M <= 0 || N <= 0) return;
    for (int64_t r = 0; r < M; r += 4) {   // groups of up to 4 rows of x share one pass over W
        st_bf16_matvec_args a = {y + r * N, x + r * K, w, M - r < 4 ? M - r : 4, N, K};
        int64_t grain = K > 0 ? (131072 + K - 1) / K : N;   // ~256 KB of bf16 weight per chunk
        st_parallel_for_dynamic(N, grain, 4, ST_PICK(st_bf16_matvec_range), &a);
    }
}
