// matvec.c — y = x·Wᵀ for 1–4 rows of x: the decode-time product. Memory-bound (one pass over W per call), so the
// fast path streams each weight row once for all rows of x, with 4 independent FMA accumulators per row.
//
// Shape legend: M = rows of x (≤ 4), N = output features (rows of W), K = input features.
#include "st_internal.h"

typedef struct {
    float *y;
    const float *x, *w;
    int64_t M, N, K;
} st_matvec_args;

static void st_matvec_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_matvec_args *a = (const st_matvec_args *)ctx;
    for (int64_t n = b; n < e; n++) {
        const float *wr = a->w + n * a->K;
        for (int64_t r = 0; r < a->M; r++) {
            const float *xr = a->x + r * a->K;
            double acc = 0;
            for (int64_t k = 0; k < a->K; k++) acc += (double)xr[k] * (double)wr[k];
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

ST_AVX2 static void st_matvec_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_matvec_args *a = (const st_matvec_args *)ctx;
    const int64_t K = a->K, M = a->M;
    for (int64_t n = b; n < e; n++) {
        const float *wr = a->w + n * K;
        if (n + 2 < e) _mm_prefetch((const char *)(wr + 2 * K), _MM_HINT_T0);
        __m256 acc[4][2];
        for (int64_t r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 16 <= K; k += 16) {
            __m256 w0 = _mm256_loadu_ps(wr + k), w1 = _mm256_loadu_ps(wr + k + 8);
            for (int64_t r = 0; r < M; r++) {
                const float *xr = a->x + r * K + k;
                acc[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(xr), w0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(_mm256_loadu_ps(xr + 8), w1, acc[r][1]);
            }
        }
        for (int64_t r = 0; r < M; r++) {
            float sum = st_v_hsum(_mm256_add_ps(acc[r][0], acc[r][1]));
            const float *xr = a->x + r * K;
            for (int64_t kk = k; kk < K; kk++) sum += xr[kk] * wr[kk];
            a->y[r * a->N + n] = sum;
        }
    }
}
#endif

void st_matvec_f32_ref(float *restrict y, const float *restrict x, const float *restrict w, int64_t M, int64_t N,
                       int64_t K) {
    st_matvec_args a = {y, x, w, M, N, K};
    st_matvec_range_ref(&a, 0, N);
}

void st_matvec_f32(float *restrict y, const float *restrict x, const float *restrict w, int64_t M, int64_t N, int64_t K) {
    if (M <= 0 || N <= 0) return;
    if (M > 4) {  // not the decode case: process in groups of 4 rows
        for (int64_t r = 0; r < M; r += 4) {
            int64_t m = M - r < 4 ? M - r : 4;
            st_matvec_args a = {y + r * N, x + r * K, w, m, N, K};
            st_parallel_for(N, 64, ST_PICK(st_matvec_range), &a);
        }
        return;
    }
    st_matvec_args a = {y, x, w, M, N, K};
    // At least ~256 KB of weight per chunk, so small layers stay on one thread.
    int64_t grain = K > 0 ? (65536 + K - 1) / K : N;
    st_parallel_for(N, grain, ST_PICK(st_matvec_range), &a);
}
