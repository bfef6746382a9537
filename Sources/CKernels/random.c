// random.c — counter-based random numbers (SplitMix64 finaliser) and inverted dropout.
//
// Purpose: value i of stream `seed` is a pure function of (seed, i), so every thread count and machine gives the
// same numbers and dropout masks can be regenerated in backward instead of stored:
//   bits(seed, i) = splitmix64_finalise(seed * 0x9E3779B97F4A7C15 + i)          (all mod 2^64)
//   u(seed, i)    = (bits >> 40) * 2^-24                                           in [0, 1), 24 bits
//   normal k      = sqrt(-2 ln(1 - u(2j))) * cos(2 pi u(2j + 1)), j = offset + k   in double, then cast
//   dropout k     = u(offset + k) >= p ? x / (1 - p) : 0
// The AVX2 dropout computes four 64-bit hashes per vector (64-bit multiplies from three 32x32 products) and tests
// the integer threshold bits >> 40 >= ceil(p * 2^24), which is exactly u >= p; it is bit-identical to the twin.
// Dropout may run in place (out == x).
//
// Shape legend: n = element count; offset = counter of element 0 (so a tensor can be filled in pieces).
#include "st_internal.h"

#define ST_GOLDEN 0x9E3779B97F4A7C15ull
#define ST_MIX1 0xBF58476D1CE4E5B9ull
#define ST_MIX2 0x94D049BB133111EBull

uint64_t st_random_bits(uint64_t seed, uint64_t i) {
    uint64_t z = seed * ST_GOLDEN + i;
    z = (z ^ (z >> 30)) * ST_MIX1;
    z = (z ^ (z >> 27)) * ST_MIX2;
    return z ^ (z >> 31);
}

static inline float st_u24(uint64_t bits) { return (float)(bits >> 40) * 0x1p-24f; }

typedef struct {
    float *out;
    const float *x;
    uint64_t seed, offset;
    float a, b, p;
} st_random_args;

static void st_uniform_range(void *ctx, int64_t b, int64_t e) {
    const st_random_args *p = (const st_random_args *)ctx;
    float low = p->a, span = p->b - p->a;
    for (int64_t k = b; k < e; k++) p->out[k] = low + span * st_u24(st_random_bits(p->seed, p->offset + (uint64_t)k));
}

void st_random_uniform_f32(float *restrict out, int64_t n, uint64_t seed, uint64_t offset, float low, float high) {
    st_random_args p = {out, NULL, seed, offset, low, high, 0.0f};
    st_parallel_for(n, ST_GRAIN_ELEMS, st_uniform_range, &p);
}

static void st_normal_range(void *ctx, int64_t b, int64_t e) {
    const st_random_args *p = (const st_random_args *)ctx;
    const double two_pi = 6.283185307179586476925;
    double mean = p->a, std = p->b;
    for (int64_t k = b; k < e; k++) {
        uint64_t j = p->offset + (uint64_t)k;
        double u1 = 1.0 - (double)st_u24(st_random_bits(p->seed, 2 * j));   // (0, 1]: log(u1) is finite
        double u2 = (double)st_u24(st_random_bits(p->seed, 2 * j + 1));
        double z = sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
        p->out[k] = (float)(mean + std * z);
    }
}

void st_random_normal_f32(float *restrict out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
    st_random_args p = {out, NULL, seed, offset, mean, std, 0.0f};
    st_parallel_for(n, ST_GRAIN_ELEMS / 8, st_normal_range, &p);   // ~10x the work of an elementwise op
}

static void st_dropout_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_random_args *p = (const st_random_args *)ctx;
    float keep = 1.0f - p->p;
    for (int64_t k = b; k < e; k++) {
        float u = st_u24(st_random_bits(p->seed, p->offset + (uint64_t)k));
        p->out[k] = u >= p->p ? p->x[k] / keep : 0.0f;
    }
}

#if defined(ST_X86)
/// Low 64 bits of a * b per 64-bit lane, b given as its 32-bit halves (each in the low half of its lane).
ST_AVX2 static inline __m256i st_v_mul64(__m256i a, __m256i b_lo, __m256i b_hi) {
    __m256i lo = _mm256_mul_epu32(a, b_lo);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b_lo), _mm256_mul_epu32(a, b_hi));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

ST_AVX2 static inline __m256i st_v_splitmix(__m256i z) {
    const __m256i m1lo = _mm256_set1_epi64x((long long)(ST_MIX1 & 0xffffffffu));
    const __m256i m1hi = _mm256_set1_epi64x((long long)(ST_MIX1 >> 32));
    const __m256i m2lo = _mm256_set1_epi64x((long long)(ST_MIX2 & 0xffffffffu));
    const __m256i m2hi = _mm256_set1_epi64x((long long)(ST_MIX2 >> 32));
    z = st_v_mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), m1lo, m1hi);
    z = st_v_mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), m2lo, m2hi);
    return _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
}

ST_AVX2 static void st_dropout_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_random_args *p = (const st_random_args *)ctx;
    // u >= p  <=>  (bits >> 40) >= p * 2^24  <=>  (bits >> 40) >= ceil(p * 2^24), as bits >> 40 is an integer.
    double th = ceil((double)p->p * 16777216.0);
    if (!(th >= 0.0)) th = p->p != p->p ? 16777217.0 : 0.0;   // NaN p keeps nothing (u >= NaN is false)
    if (th > 16777217.0) th = 16777217.0;
    const __m256i vth = _mm256_set1_epi64x((long long)th);
    const __m256 keep = _mm256_set1_ps(1.0f - p->p);
    const __m256i gather = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    uint64_t base = p->seed * ST_GOLDEN + p->offset;
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3), four = _mm256_set1_epi64x(4);
    for (int64_t k = b; k < e; k += 8) {
        __m256i z0 = _mm256_add_epi64(_mm256_set1_epi64x((long long)(base + (uint64_t)k)), lane);
        __m256i z1 = _mm256_add_epi64(z0, four);
        __m256i d0 = _mm256_cmpgt_epi64(vth, _mm256_srli_epi64(st_v_splitmix(z0), 40));   // dropped lanes
        __m256i d1 = _mm256_cmpgt_epi64(vth, _mm256_srli_epi64(st_v_splitmix(z1), 40));
        // Narrow the two 4 x 64-bit masks to one 8 x 32-bit mask (each 64-bit lane is all ones or all zeros).
        __m256i drop = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(d0, gather),
                                                 _mm256_permutevar8x32_epi32(d1, gather), 0x20);
        if (k + 8 <= e) {
            __m256 r = _mm256_andnot_ps(_mm256_castsi256_ps(drop), _mm256_div_ps(_mm256_loadu_ps(p->x + k), keep));
            _mm256_storeu_ps(p->out + k, r);
        } else {
            __m256i m = st_v_tail_mask(e - k);
            __m256 x = _mm256_maskload_ps(p->x + k, m);
            __m256 r = _mm256_andnot_ps(_mm256_castsi256_ps(drop), _mm256_div_ps(x, keep));
            _mm256_maskstore_ps(p->out + k, m, r);
        }
    }
}
#endif

void st_dropout_f32_ref(float *out, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset) {
    if (n <= 0) return;
    if (p == 0.0f) {
        if (out != x) memmove(out, x, (size_t)n * sizeof(float));
        return;
    }
    st_random_args a = {out, x, seed, offset, 0.0f, 0.0f, p};
    st_dropout_range_ref(&a, 0, n);
}

void st_dropout_f32(float *out, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset) {
    if (n <= 0) return;
    if (p == 0.0f) {
        if (out != x) memmove(out, x, (size_t)n * sizeof(float));
        return;
    }
    st_random_args a = {out, x, seed, offset, 0.0f, 0.0f, p};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_dropout_range), &a);
}
