// st_internal.h — private helpers shared by the CKernels .c files (not part of the module's public headers).
//
// Purpose: grain sizes for st_parallel_for, the run-time fast-path pick, and the AVX2+FMA building blocks
// (tail masks, horizontal sums, NaN-propagating max, and the vectorised exp / sigmoid / tanh) that several kernel
// families share. Everything here is `static inline`, so each .c file gets its own copy and no symbol leaks.
//
// Shape legend: n = element count; rem = elements left over after whole 8-float vectors (0..8).
#ifndef ST_INTERNAL_H
#define ST_INTERNAL_H
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "st_kernels.h"

// Never fuse a separate multiply and add into an FMA behind our back: the AVX2 paths spell out every FMA they
// want, so that they round like their scalar twins. Clang (which SwiftPM uses) only contracts within one source
// expression, which never spans two intrinsics; GCC contracts across statements by default (-ffp-contract=fast).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

/// Elementwise kernels hand each thread at least this many elements.
#define ST_GRAIN_ELEMS ((int64_t)32768)
/// Row kernels hand each thread at least this many elements (whole rows).
#define ST_ROW_GRAIN_ELEMS ((int64_t)16384)

/// A bfloat16 value (raw 16-bit pattern) widened to float: exact, the pattern becomes the top half of the float's.
static inline float st_bf16_widen(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// Rows per chunk so that a chunk holds >= ST_ROW_GRAIN_ELEMS elements.
static inline int64_t st_row_grain(int64_t cols) {
    if (cols <= 0) return INT64_MAX;
    return cols >= ST_ROW_GRAIN_ELEMS ? 1 : (ST_ROW_GRAIN_ELEMS + cols - 1) / cols;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ST_X86 1
#include <immintrin.h>
#define ST_AVX2 __attribute__((target("avx2,fma")))
/// The range function to hand to st_parallel_for: the AVX2 one when allowed, else the scalar one.
#define ST_PICK(name) (st_cpu_has_avx2_fma() ? name##_avx2 : name##_ref)

/// Lanes [0, rem) set, for _mm256_maskload_ps / _mm256_maskstore_ps (masked-off lanes are never touched).
ST_AVX2 static inline __m256i st_v_tail_mask(int64_t rem) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Eight bf16 values at p, widened.
ST_AVX2 static inline __m256 st_v_bf16_load(const uint16_t *p) {
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/// Sum of 8 lanes, in the order ((0+4)+(2+6)) + ((1+5)+(3+7)).
ST_AVX2 static inline float st_v_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ST_AVX2 static inline double st_v_hsum_pd(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/// acc0 += double(v[0..3]), acc1 += double(v[4..7]).
ST_AVX2 static inline void st_v_acc_pd(__m256d *acc0, __m256d *acc1, __m256 v) {
    *acc0 = _mm256_add_pd(*acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    *acc1 = _mm256_add_pd(*acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/// Lane-wise max that propagates NaN from either side (a NaN in `a` or `v` wins).
ST_AVX2 static inline __m256 st_v_max_nan(__m256 a, __m256 v) {
    __m256 m = _mm256_max_ps(a, v);                 // a > v ? a : v  -> NaN in v propagates
    return _mm256_blendv_ps(m, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));   // NaN in a propagates
}

/// Horizontal max of 8 lanes (the caller handles NaN separately).
ST_AVX2 static inline float st_v_hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/// exp(x), Cephes-style: n = round(x log2 e), r = x - n ln 2 (Cody-Waite, two constants), degree-6 polynomial,
/// then scale by 2^n in two steps (2^(n/2) * 2^(n - n/2)) so that results down to the subnormal range and the
/// overflow to +inf come out right. About 1 ulp. exp(-inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN.
ST_AVX2 static inline __m256 st_v_exp(__m256 x) {
    // min/max return their second operand when either is NaN, so a NaN x passes through the clamp.
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
    __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
    __m256i n = _mm256_cvtps_epi32(fx);                 // in [-150, 129]
    __m256i n1 = _mm256_srai_epi32(n, 1);
    __m256i n2 = _mm256_sub_epi32(n, n1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

/// NaN-propagating max of a row (-inf when n == 0).
ST_AVX2 static inline float st_v_max_row(const float *x, int64_t n) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 m0 = ninf, m1 = ninf, nan = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        __m256 v0 = _mm256_loadu_ps(x + k), v1 = _mm256_loadu_ps(x + k + 8);
        m0 = _mm256_max_ps(m0, v0);
        m1 = _mm256_max_ps(m1, v1);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v0, v1, _CMP_UNORD_Q));
    }
    for (; k < n; k += 8) {
        __m256i m = st_v_tail_mask(n - k);
        __m256 v = _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + k, m), _mm256_castsi256_ps(m));
        m0 = _mm256_max_ps(m0, v);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    }
    if (_mm256_movemask_ps(nan)) return NAN;
    return st_v_hmax_ps(_mm256_max_ps(m0, m1));
}

/// sum_k exp(x[k] * scale - m) in double (m finite; x * scale is rounded first, as in the scalar twins).
/// When `out` is not NULL the terms are also stored there.
/// Blocks of 8 vectors sum in float first (4 terms per lane, about 2e-7 relative at worst) and then in double, which
/// keeps the double conversions off the critical path; rows are summed to within ~3e-7 of a pure double sum.
ST_AVX2 static inline double st_v_sum_exp_scaled(float *out, const float *x, int64_t n, float scale, float m) {
    const __m256 vm = _mm256_set1_ps(m), vs = _mm256_set1_ps(scale);
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t k = 0;
#define ST_EXP_AT(j) st_v_exp(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(x + k + (j)), vs), vm))
    for (; k + 64 <= n; k += 64) {
        __m256 e0 = ST_EXP_AT(0), e1 = ST_EXP_AT(8), e2 = ST_EXP_AT(16), e3 = ST_EXP_AT(24);
        __m256 e4 = ST_EXP_AT(32), e5 = ST_EXP_AT(40), e6 = ST_EXP_AT(48), e7 = ST_EXP_AT(56);
        if (out) {
            _mm256_storeu_ps(out + k, e0); _mm256_storeu_ps(out + k + 8, e1);
            _mm256_storeu_ps(out + k + 16, e2); _mm256_storeu_ps(out + k + 24, e3);
            _mm256_storeu_ps(out + k + 32, e4); _mm256_storeu_ps(out + k + 40, e5);
            _mm256_storeu_ps(out + k + 48, e6); _mm256_storeu_ps(out + k + 56, e7);
        }
        st_v_acc_pd(&a0, &a1, _mm256_add_ps(_mm256_add_ps(e0, e1), _mm256_add_ps(e2, e3)));
        st_v_acc_pd(&a2, &a3, _mm256_add_ps(_mm256_add_ps(e4, e5), _mm256_add_ps(e6, e7)));
    }
    for (; k + 8 <= n; k += 8) {
        __m256 e = ST_EXP_AT(0);
        if (out) _mm256_storeu_ps(out + k, e);
        st_v_acc_pd(&a0, &a1, e);
    }
#undef ST_EXP_AT
    if (k < n) {
        __m256i m8 = st_v_tail_mask(n - k);
        __m256 e = st_v_exp(_mm256_sub_ps(_mm256_mul_ps(_mm256_maskload_ps(x + k, m8), vs), vm));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(m8));
        if (out) _mm256_maskstore_ps(out + k, m8, e);
        st_v_acc_pd(&a2, &a3, e);
    }
    return st_v_hsum_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
}

/// sum_k exp(x[k] - m) in double (m finite).
ST_AVX2 static inline double st_v_sum_exp_row(const float *x, int64_t n, float m) {
    return st_v_sum_exp_scaled(NULL, x, n, 1.0f, m);
}

/// 1 / (1 + exp(-x)), the same formula as the scalar twins.
ST_AVX2 static inline __m256 st_v_sigmoid(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, st_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// x / (1 + exp(-x)), the same formula as the scalar twins.
ST_AVX2 static inline __m256 st_v_silu(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(x, _mm256_add_ps(one, st_v_exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// tanh(x): Cephes' odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1); the sign is put back last.
/// About 2 ulp; saturates to +-1, NaN propagates.
ST_AVX2 static inline __m256 st_v_tanh(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
    __m256 sign = _mm256_and_ps(x, sign_mask);
    __m256 ax = _mm256_andnot_ps(sign_mask, x);
    __m256 z = _mm256_mul_ps(ax, ax);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
    __m256 e = st_v_exp(_mm256_add_ps(ax, ax));
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_or_ps(r, sign);
}
#else
#define ST_PICK(name) (name##_ref)
#endif

#endif
