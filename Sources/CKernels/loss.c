// loss.c — fused log-softmax + cross-entropy over [N, V] logits (forward and backward).
//
// Purpose: per row, lse = m + log(sum_c exp(x_c - m)) with the exp sum in double (the vector exp in the AVX2 path,
// about 1 ulp from expf), then loss = w * (lse - x_target) in double. The log-probabilities are never stored.
// Backward writes dlogits = dloss * w * (exp(x - lse) - onehot) and may run in place (dlogits == logits), so
// those two pointers are not `restrict`; the target logit is read before the row is overwritten. Rows are split
// over threads (>= ST_ROW_GRAIN_ELEMS elements per chunk); each row is independent, so results do not depend on
// the thread count.
//
// Shape legend: N = rows (tokens), V = vocabulary; logits, dlogits [N, V]; loss, lse, targets, weights, dloss [N].
#include "st_internal.h"

typedef struct {
    float *loss, *lse_out, *dlogits;
    const float *logits, *lse, *weights, *dloss;
    const int64_t *targets;
    int64_t V, ignore_index;
} st_ce_args;

/// The double-precision lse from a row's max and exp sum (m itself when m is +-inf or NaN).
static inline double st_ce_lse(float m, double sum) {
    return (m != m || isinf(m)) ? (double)m : (double)m + log(sum);
}

static inline void st_ce_store_forward(const st_ce_args *p, int64_t r, const float *x, double lse) {
    p->lse_out[r] = (float)lse;
    int64_t t = p->targets[r];
    if (t == p->ignore_index) {
        p->loss[r] = 0.0f;
    } else {
        double w = p->weights ? (double)p->weights[r] : 1.0;
        p->loss[r] = (float)(w * (lse - (double)x[t]));
    }
}

// MARK: - Scalar definitions

static void st_ce_forward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_ce_args *p = (const st_ce_args *)ctx;
    int64_t V = p->V;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->logits + r * V;
        float m = -INFINITY;
        for (int64_t c = 0; c < V; c++) m = (m != m || m > x[c]) ? m : x[c];
        double sum = 0.0;
        if (!(m != m || isinf(m))) {
            for (int64_t c = 0; c < V; c++) sum += (double)expf(x[c] - m);
        }
        st_ce_store_forward(p, r, x, st_ce_lse(m, sum));
    }
}

static void st_ce_backward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_ce_args *p = (const st_ce_args *)ctx;
    int64_t V = p->V;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->logits + r * V;
        float *d = p->dlogits + r * V;
        int64_t t = p->targets[r];
        if (t == p->ignore_index) {
            for (int64_t c = 0; c < V; c++) d[c] = 0.0f;
            continue;
        }
        float f = p->dloss[r] * (p->weights ? p->weights[r] : 1.0f), l = p->lse[r];
        for (int64_t c = 0; c < V; c++) d[c] = f * (expf(x[c] - l) - (c == t ? 1.0f : 0.0f));
    }
}

// MARK: - AVX2 paths

#if defined(ST_X86)
ST_AVX2 static void st_ce_forward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_ce_args *p = (const st_ce_args *)ctx;
    int64_t V = p->V;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->logits + r * V;
        float m = st_v_max_row(x, V);
        double sum = (m != m || isinf(m)) ? 0.0 : st_v_sum_exp_row(x, V, m);
        st_ce_store_forward(p, r, x, st_ce_lse(m, sum));
    }
}

ST_AVX2 static void st_ce_backward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_ce_args *p = (const st_ce_args *)ctx;
    int64_t V = p->V;
    for (int64_t r = b; r < e; r++) {
        const float *x = p->logits + r * V;
        float *d = p->dlogits + r * V;
        int64_t t = p->targets[r];
        if (t == p->ignore_index) {
            memset(d, 0, (size_t)V * sizeof(float));
            continue;
        }
        float f = p->dloss[r] * (p->weights ? p->weights[r] : 1.0f), l = p->lse[r];
        float xt = x[t];   // before an in-place pass overwrites it
        __m256 vf = _mm256_set1_ps(f), vl = _mm256_set1_ps(l);
        int64_t c = 0;
        for (; c + 8 <= V; c += 8)
            _mm256_storeu_ps(d + c, _mm256_mul_ps(vf, st_v_exp(_mm256_sub_ps(_mm256_loadu_ps(x + c), vl))));
        if (c < V) {
            __m256i m = st_v_tail_mask(V - c);
            _mm256_maskstore_ps(d + c, m, _mm256_mul_ps(vf, st_v_exp(_mm256_sub_ps(_mm256_maskload_ps(x + c, m), vl))));
        }
        d[t] = f * (expf(xt - l) - 1.0f);
    }
}
#endif

// MARK: - Entry points

void st_cross_entropy_forward_f32_ref(float *restrict loss, float *restrict lse, const float *restrict logits,
                                      const int64_t *restrict targets, const float *restrict weights, int64_t N,
                                      int64_t V, int64_t ignore_index) {
    if (N <= 0) return;
    st_ce_args p = {loss, lse, NULL, logits, NULL, weights, NULL, targets, V, ignore_index};
    st_ce_forward_range_ref(&p, 0, N);
}

void st_cross_entropy_forward_f32(float *restrict loss, float *restrict lse, const float *restrict logits,
                                  const int64_t *restrict targets, const float *restrict weights, int64_t N, int64_t V,
                                  int64_t ignore_index) {
    if (N <= 0) return;
    st_ce_args p = {loss, lse, NULL, logits, NULL, weights, NULL, targets, V, ignore_index};
    st_parallel_for(N, st_row_grain(V), ST_PICK(st_ce_forward_range), &p);
}

void st_cross_entropy_backward_f32_ref(float *dlogits, const float *logits, const float *restrict lse,
                                       const int64_t *restrict targets, const float *restrict weights,
                                       const float *restrict dloss, int64_t N, int64_t V, int64_t ignore_index) {
    if (N <= 0 || V <= 0) return;
    st_ce_args p = {NULL, NULL, dlogits, logits, lse, weights, dloss, targets, V, ignore_index};
    st_ce_backward_range_ref(&p, 0, N);
}

void st_cross_entropy_backward_f32(float *dlogits, const float *logits, const float *restrict lse,
                                   const int64_t *restrict targets, const float *restrict weights,
                                   const float *restrict dloss, int64_t N, int64_t V, int64_t ignore_index) {
    if (N <= 0 || V <= 0) return;
    st_ce_args p = {NULL, NULL, dlogits, logits, lse, weights, dloss, targets, V, ignore_index};
    st_parallel_for(N, st_row_grain(V), ST_PICK(st_ce_backward_range), &p);
}
