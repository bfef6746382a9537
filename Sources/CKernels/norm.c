// norm.c — RMSNorm forward/backward, softmax and log-softmax forward/backward over the last axis.
//
// Purpose: row kernels. Each row is independent; rows are split over threads with >= ST_ROW_GRAIN_ELEMS elements
// per chunk, so results never depend on the thread count. Row sums (sum of squares, softmax denominators,
// dot products of the backward passes) accumulate in double in both paths; the AVX2 paths use the vector exp
// and differ from the scalar twins by about 1 ulp; everything else is the same float operations in the same order.
// RMSNorm's dweight is reduced over rows by column blocks: each thread owns a contiguous set of columns and walks
// every row in order, so dweight is deterministic and bit-identical for every thread count (and to the twin).
// A softmax row whose maximum is -inf (every entry -inf, e.g. a fully masked attention row) gives zeros.
//
// Shape legend: N = rows, C = columns (channels or keys); x, out, dx, dout, y, dy are [N, C]; rstd is [N];
// weight and dweight are [C].
#include "st_internal.h"

#define ST_DW_TILE 256   // dweight: columns accumulated together in double on the stack

typedef struct {
    float *out, *rstd, *dx, *dweight;
    const float *x, *y, *dy, *weight, *rstd_in;
    int64_t N, C;
    float eps, scale;
} st_norm_args;

// MARK: - Scalar definitions

static void st_rmsnorm_forward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        double ss = 0.0;
        for (int64_t c = 0; c < C; c++) ss += (double)x[c] * (double)x[c];
        float rs = (float)(1.0 / sqrt(ss / (double)C + (double)p->eps));
        if (p->rstd) p->rstd[r] = rs;
        if (p->weight) {
            for (int64_t c = 0; c < C; c++) out[c] = x[c] * rs * p->weight[c];
        } else {
            for (int64_t c = 0; c < C; c++) out[c] = x[c] * rs;
        }
    }
}

static void st_rmsnorm_dx_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    const float *w = p->weight;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C, *dout = p->dy + r * C;
        float *dx = p->dx + r * C;
        float rs = p->rstd_in[r];
        double acc = 0.0;
        for (int64_t c = 0; c < C; c++) {
            float g = dout[c] * (w ? w[c] : 1.0f), xh = x[c] * rs;
            acc += (double)(g * xh);
        }
        float m = (float)(acc / (double)C);
        for (int64_t c = 0; c < C; c++) {
            float g = dout[c] * (w ? w[c] : 1.0f), xh = x[c] * rs;
            dx[c] = rs * (g - xh * m);
        }
    }
}

/// dweight[c] += sum_r dout[r,c] * (x[r,c] * rstd[r]), for columns [b, e), rows in order, in double.
static void st_rmsnorm_dw_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t N = p->N, C = p->C;
    double acc[ST_DW_TILE];
    for (int64_t c0 = b; c0 < e; c0 += ST_DW_TILE) {
        int64_t w = e - c0 < ST_DW_TILE ? e - c0 : ST_DW_TILE;
        for (int64_t j = 0; j < w; j++) acc[j] = 0.0;
        for (int64_t r = 0; r < N; r++) {
            const float *x = p->x + r * C + c0, *dout = p->dy + r * C + c0;
            float rs = p->rstd_in[r];
            for (int64_t j = 0; j < w; j++) acc[j] += (double)(dout[j] * (x[j] * rs));
        }
        for (int64_t j = 0; j < w; j++) p->dweight[c0 + j] += (float)acc[j];
    }
}

static inline float st_row_max_scaled_ref(const float *x, int64_t C, float scale) {
    float m = -INFINITY;
    for (int64_t c = 0; c < C; c++) {
        float v = x[c] * scale;
        m = (m != m || m > v) ? m : v;
    }
    return m;
}

static void st_softmax_forward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    float scale = p->scale;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        float m = st_row_max_scaled_ref(x, C, scale);
        if (m == -INFINITY) {
            for (int64_t c = 0; c < C; c++) out[c] = 0.0f;
            continue;
        }
        double sum = 0.0;
        for (int64_t c = 0; c < C; c++) {
            float ev = expf(x[c] * scale - m);
            out[c] = ev;
            sum += (double)ev;
        }
        float inv = (float)(1.0 / sum);
        for (int64_t c = 0; c < C; c++) out[c] *= inv;
    }
}

static void st_softmax_backward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    float scale = p->scale;
    for (int64_t r = b; r < e; r++) {
        const float *y = p->y + r * C, *dy = p->dy + r * C;
        float *dx = p->dx + r * C;
        double acc = 0.0;
        for (int64_t c = 0; c < C; c++) acc += (double)(dy[c] * y[c]);
        float d = (float)acc;
        for (int64_t c = 0; c < C; c++) dx[c] = scale * y[c] * (dy[c] - d);
    }
}

static void st_log_softmax_forward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        float m = st_row_max_scaled_ref(x, C, 1.0f), lse = m;
        if (!(m != m || isinf(m))) {
            double sum = 0.0;
            for (int64_t c = 0; c < C; c++) sum += (double)expf(x[c] - m);
            lse = (float)((double)m + log(sum));
        }
        for (int64_t c = 0; c < C; c++) out[c] = x[c] - lse;
    }
}

static void st_log_softmax_backward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    for (int64_t r = b; r < e; r++) {
        const float *y = p->y + r * C, *dy = p->dy + r * C;
        float *dx = p->dx + r * C;
        double acc = 0.0;
        for (int64_t c = 0; c < C; c++) acc += (double)dy[c];
        float s = (float)acc;
        for (int64_t c = 0; c < C; c++) dx[c] = dy[c] - expf(y[c]) * s;
    }
}

// MARK: - AVX2 paths

#if defined(ST_X86)
// Row loop helper: whole vectors, then one masked vector for the tail. Inside the body, LD(p) loads the 8 floats
// at p + c and ST(p, v) stores them (masked in the tail, where `m` holds the live lanes; all ones otherwise).
#define ST_ROW_LOOP(C, ...)                                                                        \
    do {                                                                                           \
        int64_t c = 0;                                                                             \
        {                                                                                          \
            const int st_full = 1;                                                                 \
            const __m256i m = _mm256_set1_epi32(-1);                                               \
            for (; c + 8 <= (C); c += 8) __VA_ARGS__                                               \
        }                                                                                          \
        if (c < (C)) {                                                                             \
            const int st_full = 0;                                                                 \
            const __m256i m = st_v_tail_mask((C) - c);                                             \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    } while (0)
#define LD(ptr) (st_full ? _mm256_loadu_ps((ptr) + c) : _mm256_maskload_ps((ptr) + c, m))
#define ST(ptr, v) (st_full ? _mm256_storeu_ps((ptr) + c, (v)) : _mm256_maskstore_ps((ptr) + c, m, (v)))

ST_AVX2 static void st_rmsnorm_forward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        ST_ROW_LOOP(C, {
            __m256 v = LD(x);
            __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
            a0 = _mm256_fmadd_pd(lo, lo, a0);   // exact products: only the summation order differs from the twin
            a1 = _mm256_fmadd_pd(hi, hi, a1);
        });
        double ss = st_v_hsum_pd(_mm256_add_pd(a0, a1));
        float rs = (float)(1.0 / sqrt(ss / (double)C + (double)p->eps));
        if (p->rstd) p->rstd[r] = rs;
        __m256 vr = _mm256_set1_ps(rs);
        const float *w = p->weight;
        if (w) {
            ST_ROW_LOOP(C, { ST(out, _mm256_mul_ps(_mm256_mul_ps(LD(x), vr), LD(w))); });
        } else {
            ST_ROW_LOOP(C, { ST(out, _mm256_mul_ps(LD(x), vr)); });
        }
    }
}

ST_AVX2 static void st_rmsnorm_dx_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    const float *w = p->weight;
    const __m256 ones = _mm256_set1_ps(1.0f);
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C, *dout = p->dy + r * C;
        float *dx = p->dx + r * C;
        float rs = p->rstd_in[r];
        __m256 vr = _mm256_set1_ps(rs);
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        ST_ROW_LOOP(C, {
            __m256 g = _mm256_mul_ps(LD(dout), w ? LD(w) : ones);
            st_v_acc_pd(&a0, &a1, _mm256_mul_ps(g, _mm256_mul_ps(LD(x), vr)));
        });
        __m256 vm = _mm256_set1_ps((float)(st_v_hsum_pd(_mm256_add_pd(a0, a1)) / (double)C));
        ST_ROW_LOOP(C, {
            __m256 g = _mm256_mul_ps(LD(dout), w ? LD(w) : ones);
            __m256 xh = _mm256_mul_ps(LD(x), vr);
            ST(dx, _mm256_mul_ps(vr, _mm256_sub_ps(g, _mm256_mul_ps(xh, vm))));
        });
    }
}

ST_AVX2 static void st_rmsnorm_dw_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t N = p->N, C = p->C;
    __m256d acc[ST_DW_TILE / 4];
    for (int64_t c0 = b; c0 < e; c0 += ST_DW_TILE) {
        int64_t w = e - c0 < ST_DW_TILE ? e - c0 : ST_DW_TILE;
        for (int64_t j = 0; j < ST_DW_TILE / 4; j++) acc[j] = _mm256_setzero_pd();
        for (int64_t r = 0; r < N; r++) {
            const float *x = p->x + r * C + c0, *dout = p->dy + r * C + c0;
            __m256 vr = _mm256_set1_ps(p->rstd_in[r]);
            ST_ROW_LOOP(w, {
                __m256 prod = _mm256_mul_ps(LD(dout), _mm256_mul_ps(LD(x), vr));
                st_v_acc_pd(&acc[c / 4], &acc[c / 4 + 1], prod);
            });
        }
        float *dw = p->dweight + c0;
        ST_ROW_LOOP(w, {
            __m256 s = _mm256_set_m128(_mm256_cvtpd_ps(acc[c / 4 + 1]), _mm256_cvtpd_ps(acc[c / 4]));
            ST(dw, _mm256_add_ps(LD(dw), s));
        });
    }
}

/// NaN-propagating max of x * scale over a row (-inf for an empty row).
ST_AVX2 static float st_v_row_max_scaled(const float *x, int64_t C, __m256 vs) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 mx = ninf, nan = _mm256_setzero_ps();
    ST_ROW_LOOP(C, {
        __m256 v = _mm256_blendv_ps(ninf, _mm256_mul_ps(LD(x), vs), _mm256_castsi256_ps(m));
        mx = _mm256_max_ps(mx, v);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    });
    if (_mm256_movemask_ps(nan)) return NAN;
    return st_v_hmax_ps(mx);
}

ST_AVX2 static void st_softmax_forward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    const __m256 vs = _mm256_set1_ps(p->scale);
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        float mx = st_v_row_max_scaled(x, C, vs);
        if (mx == -INFINITY) {
            memset(out, 0, (size_t)C * sizeof(float));
            continue;
        }
        __m256 inv = _mm256_set1_ps((float)(1.0 / st_v_sum_exp_scaled(out, x, C, p->scale, mx)));
        ST_ROW_LOOP(C, { ST(out, _mm256_mul_ps(LD(out), inv)); });
    }
}

ST_AVX2 static void st_softmax_backward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    const __m256 vs = _mm256_set1_ps(p->scale);
    for (int64_t r = b; r < e; r++) {
        const float *y = p->y + r * C, *dy = p->dy + r * C;
        float *dx = p->dx + r * C;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        ST_ROW_LOOP(C, { st_v_acc_pd(&a0, &a1, _mm256_mul_ps(LD(dy), LD(y))); });
        __m256 vd = _mm256_set1_ps((float)st_v_hsum_pd(_mm256_add_pd(a0, a1)));
        ST_ROW_LOOP(C, { ST(dx, _mm256_mul_ps(_mm256_mul_ps(vs, LD(y)), _mm256_sub_ps(LD(dy), vd))); });
    }
}

ST_AVX2 static void st_log_softmax_forward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t r = b; r < e; r++) {
        const float *x = p->x + r * C;
        float *out = p->out + r * C;
        float mx = st_v_row_max_scaled(x, C, one), lse = mx;
        if (!(mx != mx || isinf(mx))) {
            lse = (float)((double)mx + log(st_v_sum_exp_row(x, C, mx)));
        }
        __m256 vl = _mm256_set1_ps(lse);
        ST_ROW_LOOP(C, { ST(out, _mm256_sub_ps(LD(x), vl)); });
    }
}

ST_AVX2 static void st_log_softmax_backward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_norm_args *p = (const st_norm_args *)ctx;
    int64_t C = p->C;
    for (int64_t r = b; r < e; r++) {
        const float *y = p->y + r * C, *dy = p->dy + r * C;
        float *dx = p->dx + r * C;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0;
        ST_ROW_LOOP(C, { st_v_acc_pd(&a0, &a1, LD(dy)); });
        __m256 vs = _mm256_set1_ps((float)st_v_hsum_pd(_mm256_add_pd(a0, a1)));
        ST_ROW_LOOP(C, { ST(dx, _mm256_sub_ps(LD(dy), _mm256_mul_ps(st_v_exp(LD(y)), vs))); });
    }
}
#undef LD
#undef ST
#endif

// MARK: - Entry points

void st_rmsnorm_forward_f32_ref(float *restrict out, float *restrict rstd, const float *restrict x,
                                const float *restrict weight, int64_t N, int64_t C, float eps) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .rstd = rstd, .x = x, .weight = weight, .N = N, .C = C, .eps = eps};
    st_rmsnorm_forward_range_ref(&p, 0, N);
}

void st_rmsnorm_forward_f32(float *restrict out, float *restrict rstd, const float *restrict x,
                            const float *restrict weight, int64_t N, int64_t C, float eps) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .rstd = rstd, .x = x, .weight = weight, .N = N, .C = C, .eps = eps};
    st_parallel_for(N, st_row_grain(C), ST_PICK(st_rmsnorm_forward_range), &p);
}

void st_rmsnorm_backward_f32_ref(float *restrict dx, float *restrict dweight, const float *restrict dout,
                                 const float *restrict x, const float *restrict weight, const float *restrict rstd,
                                 int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .dweight = dweight, .dy = dout, .x = x, .weight = weight, .rstd_in = rstd,
                      .N = N, .C = C};
    if (dx) st_rmsnorm_dx_range_ref(&p, 0, N);
    if (dweight) st_rmsnorm_dw_range_ref(&p, 0, C);
}

void st_rmsnorm_backward_f32(float *restrict dx, float *restrict dweight, const float *restrict dout,
                             const float *restrict x, const float *restrict weight, const float *restrict rstd,
                             int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .dweight = dweight, .dy = dout, .x = x, .weight = weight, .rstd_in = rstd,
                      .N = N, .C = C};
    if (dx) st_parallel_for(N, st_row_grain(C), ST_PICK(st_rmsnorm_dx_range), &p);
    // Column blocks of >= 8 columns (one vector) and >= ST_ROW_GRAIN_ELEMS elements each.
    int64_t grain = st_row_grain(N);
    if (grain < 8) grain = 8;
    if (dweight) st_parallel_for(C, grain, ST_PICK(st_rmsnorm_dw_range), &p);
}

void st_softmax_forward_f32_ref(float *restrict out, const float *restrict x, int64_t N, int64_t C, float scale) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .x = x, .N = N, .C = C, .scale = scale};
    st_softmax_forward_range_ref(&p, 0, N);
}

void st_softmax_forward_f32(float *restrict out, const float *restrict x, int64_t N, int64_t C, float scale) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .x = x, .N = N, .C = C, .scale = scale};
    st_parallel_for(N, st_row_grain(C), ST_PICK(st_softmax_forward_range), &p);
}

void st_softmax_backward_f32_ref(float *dx, const float *restrict y, const float *dy, int64_t N, int64_t C,
                                 float scale) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .y = y, .dy = dy, .N = N, .C = C, .scale = scale};
    st_softmax_backward_range_ref(&p, 0, N);
}

void st_softmax_backward_f32(float *dx, const float *restrict y, const float *dy, int64_t N, int64_t C, float scale) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .y = y, .dy = dy, .N = N, .C = C, .scale = scale};
    st_parallel_for(N, st_row_grain(C), ST_PICK(st_softmax_backward_range), &p);
}

void st_log_softmax_forward_f32_ref(float *restrict out, const float *restrict x, int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .x = x, .N = N, .C = C};
    st_log_softmax_forward_range_ref(&p, 0, N);
}

void st_log_softmax_forward_f32(float *restrict out, const float *restrict x, int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.out = out, .x = x, .N = N, .C = C};
    st_parallel_for(N, st_row_grain(C), ST_PICK(st_log_softmax_forward_range), &p);
}

void st_log_softmax_backward_f32_ref(float *dx, const float *restrict y, const float *dy, int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .y = y, .dy = dy, .N = N, .C = C};
    st_log_softmax_backward_range_ref(&p, 0, N);
}

void st_log_softmax_backward_f32(float *dx, const float *restrict y, const float *dy, int64_t N, int64_t C) {
    if (N <= 0 || C <= 0) return;
    st_norm_args p = {.dx = dx, .y = y, .dy = dy, .N = N, .C = C};
    st_parallel_for(N, st_row_grain(C), ST_PICK(st_log_softmax_backward_range), &p);
}
