// reduce.c — sum / max / logsumexp / argmax over the middle axis of [outer, n, inner], and the dot product.
//
// Purpose: every output element out[o, j] folds x[o, 0..n-1, j] in increasing k. Sums always accumulate in
// double (for inner == 1 rows as the header promises, and for inner > 1 too, in tiles of ST_TILE columns), so
// the fast and scalar paths differ only by the double rounding of a different summation order, which vanishes
// when the result is rounded to float. max propagates NaN; argmax returns the first maximum, or the first NaN.
// logsumexp = m + log(sum exp(x - m)) with m the max (returns m itself when m is +-inf or NaN).
// Work is split over output elements (never inside one sum), so results do not depend on the thread count.
// st_dot_f32 is serial: products of floats are exact in double, so only the summation order differs from the twin.
//
// Shape legend: x is [outer, n, inner] (contiguous), out is [outer, inner]; n == 0 gives sum 0, max -inf,
// logsumexp -inf, argmax 0.
#include "st_internal.h"

#define ST_TILE 256   // inner > 1: output columns reduced together (stack accumulators, no allocation)

typedef struct {
    float *out;
    int64_t *idx;
    const float *x;
    int64_t n, inner;
    st_reduce_op op;
} st_reduce_args;

// MARK: - Scalar definitions

static float st_reduce_row_ref(const float *x, int64_t n, st_reduce_op op) {
    if (op == ST_REDUCE_SUM) {
        double s = 0.0;
        for (int64_t k = 0; k < n; k++) s += (double)x[k];
        return (float)s;
    }
    float m = -INFINITY;
    for (int64_t k = 0; k < n; k++) m = (m != m || m > x[k]) ? m : x[k];   // NaN-propagating max
    if (op == ST_REDUCE_MAX || m != m || isinf(m)) return m;
    double s = 0.0;
    for (int64_t k = 0; k < n; k++) s += (double)expf(x[k] - m);
    return (float)((double)m + log(s));
}

/// Columns [j0, j1) of outer slice `xo` (shape [n, inner]) into out[j0..j1), j1 - j0 <= ST_TILE.
static void st_reduce_tile_ref(float *out, const float *xo, int64_t n, int64_t inner, int64_t j0, int64_t j1,
                               st_reduce_op op) {
    int64_t w = j1 - j0;
    double acc[ST_TILE];
    float mx[ST_TILE];
    for (int64_t j = 0; j < w; j++) { acc[j] = 0.0; mx[j] = -INFINITY; }
    if (op != ST_REDUCE_SUM) {
        for (int64_t k = 0; k < n; k++) {
            const float *row = xo + k * inner + j0;
            for (int64_t j = 0; j < w; j++) mx[j] = (mx[j] != mx[j] || mx[j] > row[j]) ? mx[j] : row[j];
        }
        if (op == ST_REDUCE_MAX) {
            for (int64_t j = 0; j < w; j++) out[j0 + j] = mx[j];
            return;
        }
    }
    for (int64_t k = 0; k < n; k++) {
        const float *row = xo + k * inner + j0;
        if (op == ST_REDUCE_SUM) {
            for (int64_t j = 0; j < w; j++) acc[j] += (double)row[j];
        } else {
            for (int64_t j = 0; j < w; j++) acc[j] += (double)expf(row[j] - mx[j]);
        }
    }
    for (int64_t j = 0; j < w; j++) {
        if (op == ST_REDUCE_SUM) out[j0 + j] = (float)acc[j];
        else out[j0 + j] = (mx[j] != mx[j] || isinf(mx[j])) ? mx[j] : (float)((double)mx[j] + log(acc[j]));
    }
}

typedef void (*st_tile_fn)(float *out, const float *xo, int64_t n, int64_t inner, int64_t j0, int64_t j1,
                           st_reduce_op op);

/// Outputs [b, e) of [outer, inner], in column tiles that never cross an outer slice.
static inline void st_reduce_tiles(const st_reduce_args *p, int64_t b, int64_t e, st_tile_fn tile) {
    int64_t inner = p->inner;
    for (int64_t i = b; i < e;) {
        int64_t o = i / inner, j0 = i % inner;
        int64_t j1 = j0 + ST_TILE;
        if (j1 > inner) j1 = inner;
        if (j1 - j0 > e - i) j1 = j0 + (e - i);
        tile(p->out + o * inner, p->x + o * p->n * inner, p->n, inner, j0, j1, p->op);
        i += j1 - j0;
    }
}

static void st_reduce_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_reduce_args *p = (const st_reduce_args *)ctx;
    if (p->inner == 1) {
        for (int64_t r = b; r < e; r++) p->out[r] = st_reduce_row_ref(p->x + r * p->n, p->n, p->op);
    } else {
        st_reduce_tiles(p, b, e, st_reduce_tile_ref);
    }
}

static int64_t st_argmax_row_ref(const float *x, int64_t n, int64_t stride) {
    if (n <= 0) return 0;
    float best = x[0];
    int64_t bi = 0;
    for (int64_t k = 1; k < n; k++) {
        float v = x[k * stride];
        if (best == best && (v > best || v != v)) { best = v; bi = k; }
    }
    return bi;
}

static void st_argmax_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_reduce_args *p = (const st_reduce_args *)ctx;
    int64_t n = p->n, inner = p->inner;
    for (int64_t i = b; i < e; i++) {
        int64_t o = i / inner, j = i % inner;
        p->idx[i] = st_argmax_row_ref(p->x + o * n * inner + j, n, inner);
    }
}

// MARK: - AVX2 paths

#if defined(ST_X86)
/// Sum of a row in double: four double accumulators over 16 floats per step.
ST_AVX2 static double st_v_sum_row(const float *x, int64_t n) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        st_v_acc_pd(&a0, &a1, _mm256_loadu_ps(x + k));
        st_v_acc_pd(&a2, &a3, _mm256_loadu_ps(x + k + 8));
    }
    for (; k < n; k += 8) {
        __m256i m = st_v_tail_mask(n - k);
        st_v_acc_pd(&a0, &a1, _mm256_maskload_ps(x + k, m));   // masked lanes load 0
    }
    return st_v_hsum_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
}

ST_AVX2 static float st_v_logsumexp_row(const float *x, int64_t n) {
    float m = st_v_max_row(x, n);
    if (m != m || isinf(m)) return m;
    return (float)((double)m + log(st_v_sum_exp_row(x, n, m)));
}

/// Sum / max tile for inner > 1 (logsumexp tiles use the scalar version).
ST_AVX2 static void st_reduce_tile_avx2(float *out, const float *xo, int64_t n, int64_t inner, int64_t j0, int64_t j1,
                                        st_reduce_op op) {
    int64_t w = j1 - j0;
    if (op == ST_REDUCE_LOGSUMEXP) {
        st_reduce_tile_ref(out, xo, n, inner, j0, j1, op);
        return;
    }
    if (op == ST_REDUCE_MAX) {
        for (int64_t j = 0; j < w; j += 8) {
            __m256i m = st_v_tail_mask(w - j);
            __m256 acc = _mm256_set1_ps(-INFINITY);
            for (int64_t k = 0; k < n; k++) acc = st_v_max_nan(acc, _mm256_maskload_ps(xo + k * inner + j0 + j, m));
            _mm256_maskstore_ps(out + j0 + j, m, acc);
        }
        return;
    }
    __m256d acc[ST_TILE / 4];
    for (int64_t j = 0; j < ST_TILE / 4; j++) acc[j] = _mm256_setzero_pd();
    for (int64_t k = 0; k < n; k++) {
        const float *row = xo + k * inner + j0;
        int64_t j = 0;
        for (; j + 8 <= w; j += 8) st_v_acc_pd(&acc[j / 4], &acc[j / 4 + 1], _mm256_loadu_ps(row + j));
        if (j < w) st_v_acc_pd(&acc[j / 4], &acc[j / 4 + 1], _mm256_maskload_ps(row + j, st_v_tail_mask(w - j)));
    }
    for (int64_t j = 0; j < w; j += 8) {
        __m128 lo = _mm256_cvtpd_ps(acc[j / 4]), hi = _mm256_cvtpd_ps(acc[j / 4 + 1]);
        _mm256_maskstore_ps(out + j0 + j, st_v_tail_mask(w - j), _mm256_set_m128(hi, lo));
    }
}

ST_AVX2 static void st_reduce_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_reduce_args *p = (const st_reduce_args *)ctx;
    if (p->inner != 1) {
        st_reduce_tiles(p, b, e, st_reduce_tile_avx2);
        return;
    }
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * p->n;
        switch (p->op) {
        case ST_REDUCE_SUM: p->out[r] = (float)st_v_sum_row(x, p->n); break;
        case ST_REDUCE_MAX: p->out[r] = st_v_max_row(x, p->n); break;
        case ST_REDUCE_LOGSUMEXP: p->out[r] = st_v_logsumexp_row(x, p->n); break;
        default: p->out[r] = NAN; break;
        }
    }
}

/// First index of the maximum (or of the first NaN) of a contiguous row.
ST_AVX2 static int64_t st_v_argmax_row(const float *x, int64_t n) {
    if (n <= 0) return 0;
    float m = st_v_max_row(x, n);
    if (m != m) {
        for (int64_t k = 0; k < n; k++) if (x[k] != x[k]) return k;
    }
    const __m256 vm = _mm256_set1_ps(m);
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        int bits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + k), vm, _CMP_EQ_OQ));
        if (bits) return k + __builtin_ctz((unsigned)bits);
    }
    for (; k < n; k++) if (x[k] == m) return k;
    return 0;
}

ST_AVX2 static void st_argmax_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_reduce_args *p = (const st_reduce_args *)ctx;
    if (p->inner != 1) {
        st_argmax_range_ref(ctx, b, e);
        return;
    }
    for (int64_t r = b; r < e; r++) p->idx[r] = st_v_argmax_row(p->x + r * p->n, p->n);
}

/// acc0 += double(x[0..3]) * double(y[0..3]), acc1 likewise for lanes 4..7 (products exact in double).
ST_AVX2 static inline void st_v_dot_step(__m256d *acc0, __m256d *acc1, __m256 x, __m256 y) {
    *acc0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_cvtps_pd(_mm256_castps256_ps128(y)),
                            *acc0);
    *acc1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1)),
                            *acc1);
}

ST_AVX2 static double st_v_dot(const float *a, const float *b, int64_t n) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        st_v_dot_step(&a0, &a1, _mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k));
        st_v_dot_step(&a2, &a3, _mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8));
    }
    if (k < n) {
        __m256i m = st_v_tail_mask(n - k);
        st_v_dot_step(&a0, &a1, _mm256_maskload_ps(a + k, m), _mm256_maskload_ps(b + k, m));
        k += 8;
        if (k < n) {
            m = st_v_tail_mask(n - k);
            st_v_dot_step(&a2, &a3, _mm256_maskload_ps(a + k, m), _mm256_maskload_ps(b + k, m));
        }
    }
    return st_v_hsum_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
}
#endif

// MARK: - Entry points

static int st_reduce_empty(float *out, int64_t outer, int64_t n, int64_t inner, st_reduce_op op) {
    if (outer <= 0 || inner <= 0) return 1;
    if (n > 0) return 0;
    float v = op == ST_REDUCE_SUM ? 0.0f : -INFINITY;
    for (int64_t i = 0; i < outer * inner; i++) out[i] = v;
    return 1;
}

void st_reduce_f32_ref(float *restrict out, const float *restrict x, int64_t outer, int64_t n, int64_t inner,
                       st_reduce_op op) {
    if (st_reduce_empty(out, outer, n, inner, op)) return;
    st_reduce_args p = {out, NULL, x, n, inner, op};
    st_reduce_range_ref(&p, 0, outer * inner);
}

void st_reduce_f32(float *restrict out, const float *restrict x, int64_t outer, int64_t n, int64_t inner,
                   st_reduce_op op) {
    if (st_reduce_empty(out, outer, n, inner, op)) return;
    st_reduce_args p = {out, NULL, x, n, inner, op};
    st_parallel_for(outer * inner, st_row_grain(n), ST_PICK(st_reduce_range), &p);
}

void st_argmax_f32_ref(int64_t *restrict out, const float *restrict x, int64_t outer, int64_t n, int64_t inner) {
    if (outer <= 0 || inner <= 0) return;
    st_reduce_args p = {NULL, out, x, n, inner, ST_REDUCE_MAX};
    st_argmax_range_ref(&p, 0, outer * inner);
}

void st_argmax_f32(int64_t *restrict out, const float *restrict x, int64_t outer, int64_t n, int64_t inner) {
    if (outer <= 0 || inner <= 0) return;
    st_reduce_args p = {NULL, out, x, n, inner, ST_REDUCE_MAX};
    st_parallel_for(outer * inner, st_row_grain(n), ST_PICK(st_argmax_range), &p);
}

double st_dot_f32_ref(const float *restrict a, const float *restrict b, int64_t n) {
    double s = 0.0;
    for (int64_t k = 0; k < n; k++) s += (double)a[k] * (double)b[k];
    return s;
}

double st_dot_f32(const float *restrict a, const float *restrict b, int64_t n) {
#if defined(ST_X86)
    if (st_cpu_has_avx2_fma()) return st_v_dot(a, b, n);
#endif
    return st_dot_f32_ref(a, b, n);
}
