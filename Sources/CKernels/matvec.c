// matvec.c — y = x·Wᵀ for 1–4 rows of x: the decode-time product. Memory-bound (one pass over W per call), so the
// fast path streams each weight row once for all rows of x.
//
// Four streams per thread: a thread splits its rows into four equal lanes far apart in memory and walks them in
// lockstep, one row of each lane at a time. A single sequential stream per core left the memory system idle
// part of the time — measured on this 2-core Zen 3 machine, a read-only sum reached 22 GB/s with one stream per
// thread and 29 GB/s with four (the hardware prefetchers keep more lines in flight); the matrix–vector product
// went from 21 GB/s to the numbers in Documentation/Performance.md.
//
// The same kernels read bfloat16 weights (st_bf16.h: a QLoRA model's tied output projection), 2 bytes per weight.
//
// Shape legend: M = rows of x (≤ 4), N = output features (rows of W), K = input features.
#include "st_internal.h"

// W is float32, or bfloat16 (raw uint16 patterns, st_bf16.h) widened exactly as it is read: the same bodies serve
// both, specialised by a constant `bf16` flag (always-inlined).
typedef struct {
    float *y;
    const float *x;
    const void *w;
    int64_t M, N, K;
} st_matvec_args;

/// W's element i of the flat weight.
static inline __attribute__((always_inline)) float st_mv_at(const void *w, int64_t i, int bf16) {
    return bf16 ? st_bf16_widen(((const uint16_t *)w)[i]) : ((const float *)w)[i];
}

static inline __attribute__((always_inline)) void st_matvec_range_ref_t(void *ctx, int64_t b, int64_t e, int bf16) {
    const st_matvec_args *a = (const st_matvec_args *)ctx;
    for (int64_t n = b; n < e; n++) {
        for (int64_t r = 0; r < a->M; r++) {
            const float *xr = a->x + r * a->K;
            double acc = 0;
            for (int64_t k = 0; k < a->K; k++) acc += (double)xr[k] * (double)st_mv_at(a->w, n * a->K + k, bf16);
            a->y[r * a->N + n] = (float)acc;
        }
    }
}

static void st_matvec_range_ref(void *ctx, int64_t b, int64_t e) { st_matvec_range_ref_t(ctx, b, e, 0); }
static void st_matvec_bf16_range_ref(void *ctx, int64_t b, int64_t e) { st_matvec_range_ref_t(ctx, b, e, 1); }

#if ST_X86
/// Eight weights from element i on, widened when bf16.
ST_AVX2 static inline __attribute__((always_inline)) __m256 st_mv_load8(const void *w, int64_t i, int bf16) {
    return bf16 ? st_v_bf16_load((const uint16_t *)w + i) : _mm256_loadu_ps((const float *)w + i);
}

/// A dot product's end: the 8 lanes summed (st_v_hsum), then x[kk]·w[base + kk] for the tail kk in [k, K), one
/// fused multiply-add each, in order. Every AVX2 path ends a dot product here, so all agree bit for bit.
ST_AVX2 static inline __attribute__((always_inline)) float st_mv_finish(__m256 acc, const float *xr, const void *w,
                                                                        int64_t base, int64_t k, int64_t K, int bf16) {
    float sum = st_v_hsum(acc);
    for (int64_t kk = k; kk < K; kk++) sum = fmaf(xr[kk], st_mv_at(w, base + kk, bf16), sum);
    return sum;
}

/// y[r, n] for rows n of one lane position: `rows[s]` are the weight rows of the four lanes (s < S ≤ 4).
ST_AVX2 static inline __attribute__((always_inline)) void st_matvec_rows_avx2(const st_matvec_args *a,
                                                                              const int64_t *rows, int S, int bf16) {
    const int64_t K = a->K, M = a->M;
    __m256 acc[4][4];
    int64_t base[4];
    for (int s = 0; s < S; s++) {
        base[s] = rows[s] * K;
        for (int64_t r = 0; r < M; r++) acc[r][s] = _mm256_setzero_ps();
    }
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 xv[4];
        for (int64_t r = 0; r < M; r++) xv[r] = _mm256_loadu_ps(a->x + r * K + k);
        for (int s = 0; s < S; s++) {
            __m256 w = st_mv_load8(a->w, base[s] + k, bf16);
            for (int64_t r = 0; r < M; r++) acc[r][s] = _mm256_fmadd_ps(xv[r], w, acc[r][s]);
        }
    }
    for (int s = 0; s < S; s++)
        for (int64_t r = 0; r < M; r++) a->y[r * a->N + rows[s]] = st_mv_finish(acc[r][s], a->x + r * K, a->w, base[s], k, K, bf16);
}

/// The decode case (one row of x, four lanes) with every accumulator named, so that the compiler keeps them in
/// registers: the general body's `acc[r][s]` array with run-time M and S lives on the stack under clang (a load and
/// a store around every FMA). Its arithmetic per (row, n) is exactly the general body's — one 8-lane accumulator
/// over k in steps of 8, st_v_hsum, then the tail in k order — so a row's result never depends on M (how many rows
/// share the weight pass) or on which lane computes it: the batch invariance the decoding session relies on.
ST_AVX2 static inline __attribute__((always_inline)) void st_matvec_row1_lanes4_avx2(const st_matvec_args *a,
                                                                                     const int64_t *rows, int bf16) {
    const int64_t K = a->K;
    const int64_t b0 = rows[0] * K, b1 = rows[1] * K, b2 = rows[2] * K, b3 = rows[3] * K;
    __m256 p0 = _mm256_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
        const __m256 x0 = _mm256_loadu_ps(a->x + k);
        p0 = _mm256_fmadd_ps(x0, st_mv_load8(a->w, b0 + k, bf16), p0);
        p1 = _mm256_fmadd_ps(x0, st_mv_load8(a->w, b1 + k, bf16), p1);
        p2 = _mm256_fmadd_ps(x0, st_mv_load8(a->w, b2 + k, bf16), p2);
        p3 = _mm256_fmadd_ps(x0, st_mv_load8(a->w, b3 + k, bf16), p3);
    }
    const __m256 acc[4] = {p0, p1, p2, p3};
    const int64_t base[4] = {b0, b1, b2, b3};
    for (int s = 0; s < 4; s++) a->y[rows[s]] = st_mv_finish(acc[s], a->x, a->w, base[s], k, K, bf16);
}

ST_AVX2 static inline __attribute__((always_inline)) void st_matvec_lanes_avx2(void *ctx, int64_t b, int64_t e,
                                                                               int bf16) {
    const st_matvec_args *a = (const st_matvec_args *)ctx;
    const int64_t lane = (e - b) / 4;
    for (int64_t i = 0; i < lane; i++) {
        const int64_t rows[4] = {b + i, b + lane + i, b + 2 * lane + i, b + 3 * lane + i};
        if (a->M == 1) st_matvec_row1_lanes4_avx2(a, rows, bf16);
        else st_matvec_rows_avx2(a, rows, 4, bf16);
    }
    for (int64_t n = b + 4 * lane; n < e; n++) st_matvec_rows_avx2(a, &n, 1, bf16);
}

ST_AVX2 static void st_matvec_range_avx2(void *ctx, int64_t b, int64_t e) { st_matvec_lanes_avx2(ctx, b, e, 0); }
ST_AVX2 static void st_matvec_bf16_range_avx2(void *ctx, int64_t b, int64_t e) { st_matvec_lanes_avx2(ctx, b, e, 1); }
#endif

// Several weights against the same x in one parallel region: the rows of all weights form one index space
// [0, ΣN), split across threads as usual, and each thread runs the single-weight body on the part of each weight
// its chunk covers. Saves a fork/join per weight (decode runs q/k/v and gate/up this way).
typedef struct {
    float *const *y;
    const float *const *w;
    const int64_t *N;
    int64_t count;
    const float *x;
    int64_t M, K;
} st_matvec_multi_args;

static void st_matvec_multi_run(const st_matvec_multi_args *a, int64_t b, int64_t e, st_range_fn single) {
    int64_t offset = 0;
    for (int64_t i = 0; i < a->count && offset < e; offset += a->N[i], i++) {
        int64_t lo = b > offset ? b : offset, hi = e < offset + a->N[i] ? e : offset + a->N[i];
        if (lo >= hi) continue;
        st_matvec_args one = {a->y[i], a->x, a->w[i], a->M, a->N[i], a->K};
        single(&one, lo - offset, hi - offset);
    }
}

static void st_matvec_multi_range_ref(void *ctx, int64_t b, int64_t e) {
    st_matvec_multi_run((const st_matvec_multi_args *)ctx, b, e, st_matvec_range_ref);
}

#if ST_X86
static void st_matvec_multi_range_avx2(void *ctx, int64_t b, int64_t e) {
    st_matvec_multi_run((const st_matvec_multi_args *)ctx, b, e, st_matvec_range_avx2);
}
#endif

static void st_matvec_multi(float *const *y, const float *const *w, const int64_t *N, int64_t count,
                            const float *x, int64_t M, int64_t K, st_range_fn range) {
    int64_t rows = 0;
    for (int64_t i = 0; i < count; i++) rows += N[i];
    if (M <= 0 || rows <= 0) return;
    if (M > 4) {   // groups of 4 rows of x, as st_matvec_f32
        for (int64_t r = 0; r < M; r += 4) {
            int64_t m = M - r < 4 ? M - r : 4;
            float *shifted[count > 0 ? count : 1];
            for (int64_t i = 0; i < count; i++) shifted[i] = y[i] + r * N[i];
            st_matvec_multi(shifted, w, N, count, x + r * K, m, K, range);
        }
        return;
    }
    st_matvec_multi_args a = {y, w, N, count, x, M, K};
    int64_t grain = K > 0 ? (65536 + K - 1) / K : rows;
    st_parallel_for_dynamic(rows, grain, 4, range, &a);   // rows are independent of their chunk
}

void st_matvec_multi_f32(float *const *y, const float *const *w, const int64_t *N, int64_t count, const float *x,
                         int64_t M, int64_t K) {
    st_matvec_multi(y, w, N, count, x, M, K, ST_PICK(st_matvec_multi_range));
}

void st_matvec_multi_f32_ref(float *const *y, const float *const *w, const int64_t *N, int64_t count,
                             const float *x, int64_t M, int64_t K) {
    int64_t rows = 0;
    for (int64_t i = 0; i < count; i++) rows += N[i];
    for (int64_t r = 0; r < M; r++) {
        float *shifted[count > 0 ? count : 1];
        for (int64_t i = 0; i < count; i++) shifted[i] = y[i] + r * N[i];
        st_matvec_multi_args a = {shifted, w, N, count, x + r * K, 1, K};
        st_matvec_multi_range_ref(&a, 0, rows);
    }
}

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
    st_parallel_for_dynamic(N, grain, 4, ST_PICK(st_matvec_range), &a);   // rows are independent of their chunk
}

void st_matvec_bf16_f32_ref(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M,
                            int64_t N, int64_t K) {
    st_matvec_args a = {y, x, w, M, N, K};
    if (M > 0 && N > 0) st_matvec_bf16_range_ref(&a, 0, N);
}

void st_matvec_bf16_f32(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M, int64_t N,
                        int64_t K) {
    if (M <= 0 || N <= 0) return;
    for (int64_t r = 0; r < M; r += 4) {   // groups of up to 4 rows of x share one pass over W
        st_matvec_args a = {y + r * N, x + r * K, w, M - r < 4 ? M - r : 4, N, K};
        int64_t grain = K > 0 ? (131072 + K - 1) / K : N;   // ~256 KB of bf16 weight per chunk
        st_parallel_for_dynamic(N, grain, 4, ST_PICK(st_matvec_bf16_range), &a);
    }
}

