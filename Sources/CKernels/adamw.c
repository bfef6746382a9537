// adamw.c — the fused AdamW step (torch.optim.AdamW semantics) over flat float32 buffers.
//
// Purpose: the optimizer is memory-bound (it touches 4 buffers per parameter and does ~10 flops), so it is one
// threaded, vectorised pass instead of six tensor operations. The scalar twin defines the arithmetic; the AVX2
// path performs the same operations in the same order, without FMA contraction, so both round alike.
//
// Shape legend: n = number of parameters; param, m, v, grad are [n].
#include "st_internal.h"

typedef struct {
    float *param, *m, *v;
    const float *grad;
    st_adamw_params p;
} st_adamw_args;

static void st_adamw_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_adamw_args *a = (const st_adamw_args *)ctx;
    const st_adamw_params p = a->p;
    const float decay = 1.0f - p.lr * p.weight_decay;
    const float step_size = p.lr / p.bias_correction1;
    for (int64_t i = b; i < e; i++) {
        const float g = a->grad[i];
        a->param[i] *= decay;
        a->m[i] += (1.0f - p.beta1) * (g - a->m[i]);   // torch: exp_avg.lerp_(grad, 1 - beta1)
        a->v[i] = a->v[i] * p.beta2 + (1.0f - p.beta2) * g * g;
        const float denom = sqrtf(a->v[i]) / p.bias_correction2_sqrt + p.eps;
        a->param[i] -= step_size * (a->m[i] / denom);
    }
}

#if ST_X86
ST_AVX2 static void st_adamw_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_adamw_args *a = (const st_adamw_args *)ctx;
    const st_adamw_params p = a->p;
    const __m256 decay = _mm256_set1_ps(1.0f - p.lr * p.weight_decay);
    const __m256 step_size = _mm256_set1_ps(p.lr / p.bias_correction1);
    const __m256 one_minus_b1 = _mm256_set1_ps(1.0f - p.beta1);
    const __m256 b2 = _mm256_set1_ps(p.beta2);
    const __m256 one_minus_b2 = _mm256_set1_ps(1.0f - p.beta2);
    const __m256 bc2 = _mm256_set1_ps(p.bias_correction2_sqrt);
    const __m256 eps = _mm256_set1_ps(p.eps);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
        __m256 g = _mm256_loadu_ps(a->grad + i);
        __m256 th = _mm256_mul_ps(_mm256_loadu_ps(a->param + i), decay);
        __m256 m = _mm256_loadu_ps(a->m + i);
        m = _mm256_add_ps(m, _mm256_mul_ps(one_minus_b1, _mm256_sub_ps(g, m)));
        __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a->v + i), b2),
                                 _mm256_mul_ps(_mm256_mul_ps(one_minus_b2, g), g));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v), bc2), eps);
        th = _mm256_sub_ps(th, _mm256_mul_ps(step_size, _mm256_div_ps(m, denom)));
        _mm256_storeu_ps(a->m + i, m);
        _mm256_storeu_ps(a->v + i, v);
        _mm256_storeu_ps(a->param + i, th);
    }
    if (i < e) st_adamw_range_ref(ctx, i, e);
}
#endif

void st_adamw_f32_ref(float *restrict param, float *restrict m, float *restrict v, const float *restrict grad,
                      int64_t n, st_adamw_params p) {
    st_adamw_args a = {param, m, v, grad, p};
    st_adamw_range_ref(&a, 0, n);
}

void st_adamw_f32(float *restrict param, float *restrict m, float *restrict v, const float *restrict grad,
                  int64_t n, st_adamw_params p) {
    st_adamw_args a = {param, m, v, grad, p};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_adamw_range), &a);
}
