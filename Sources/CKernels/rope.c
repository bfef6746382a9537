// rope.c — rotary position embedding, Hugging Face's non-interleaved ("rotate_half") layout.
//
// Purpose: rotate the first R = rot_dim channels of every head by the angle of its row's position, pairing
// channel i with i + R/2, and copy channels [R, D). inverse != 0 rotates by -angle (the backward pass).
// out may equal x: each pair is loaded before it is stored. Rows (n, h) are split over threads; every output
// element is computed independently, so results do not depend on the thread count. The AVX2 path computes the
// same products and sums in the same order (no FMA), so it is bit-identical to the twin.
//
// Shape legend: N = rows (batch * time), H = heads, D = head dimension, R = rot_dim (even, <= D), half = R / 2;
// x, out [N, H, D]; positions [N]; cos_table, sin_table [max_position, half].
#include "st_internal.h"

typedef struct {
    float *out;
    const float *x, *cos_table, *sin_table;
    const int64_t *positions;
    int64_t H, D, R;
    int inverse;
} st_rope_args;

static inline void st_rope_copy_rest(const st_rope_args *p, float *o, const float *x) {
    if (o != x && p->D > p->R) memmove(o + p->R, x + p->R, (size_t)(p->D - p->R) * sizeof(float));
}

static void st_rope_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_rope_args *p = (const st_rope_args *)ctx;
    int64_t D = p->D, half = p->R / 2;
    for (int64_t i = b; i < e; i++) {
        int64_t pos = p->positions[i / p->H];
        const float *cs = p->cos_table + pos * half, *sn = p->sin_table + pos * half;
        const float *x = p->x + i * D;
        float *o = p->out + i * D;
        for (int64_t j = 0; j < half; j++) {
            float x1 = x[j], x2 = x[j + half], c = cs[j], s = p->inverse ? -sn[j] : sn[j];
            o[j] = x1 * c - x2 * s;
            o[j + half] = x2 * c + x1 * s;
        }
        st_rope_copy_rest(p, o, x);
    }
}

#if defined(ST_X86)
ST_AVX2 static void st_rope_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_rope_args *p = (const st_rope_args *)ctx;
    int64_t D = p->D, half = p->R / 2;
    const __m256 flip = _mm256_set1_ps(p->inverse ? -0.0f : 0.0f);   // xor: negates sin when inverse
    for (int64_t i = b; i < e; i++) {
        int64_t pos = p->positions[i / p->H];
        const float *cs = p->cos_table + pos * half, *sn = p->sin_table + pos * half;
        const float *x = p->x + i * D;
        float *o = p->out + i * D;
        for (int64_t j = 0; j < half; j += 8) {
            __m256i m = st_v_tail_mask(half - j);
            int full = half - j >= 8;
            __m256 x1 = full ? _mm256_loadu_ps(x + j) : _mm256_maskload_ps(x + j, m);
            __m256 x2 = full ? _mm256_loadu_ps(x + j + half) : _mm256_maskload_ps(x + j + half, m);
            __m256 c = full ? _mm256_loadu_ps(cs + j) : _mm256_maskload_ps(cs + j, m);
            __m256 s = _mm256_xor_ps(full ? _mm256_loadu_ps(sn + j) : _mm256_maskload_ps(sn + j, m), flip);
            __m256 o1 = _mm256_sub_ps(_mm256_mul_ps(x1, c), _mm256_mul_ps(x2, s));
            __m256 o2 = _mm256_add_ps(_mm256_mul_ps(x2, c), _mm256_mul_ps(x1, s));
            if (full) {
                _mm256_storeu_ps(o + j, o1);
                _mm256_storeu_ps(o + j + half, o2);
            } else {
                _mm256_maskstore_ps(o + j, m, o1);
                _mm256_maskstore_ps(o + j + half, m, o2);
            }
        }
        st_rope_copy_rest(p, o, x);
    }
}
#endif

void st_rope_f32_ref(float *out, const float *x, const float *restrict cos_table, const float *restrict sin_table,
                     const int64_t *restrict positions, int64_t N, int64_t H, int64_t D, int64_t rot_dim,
                     int inverse) {
    if (N <= 0 || H <= 0 || D <= 0) return;
    st_rope_args p = {out, x, cos_table, sin_table, positions, H, D, rot_dim, inverse};
    st_rope_range_ref(&p, 0, N * H);
}

void st_rope_f32(float *out, const float *x, const float *restrict cos_table, const float *restrict sin_table,
                 const int64_t *restrict positions, int64_t N, int64_t H, int64_t D, int64_t rot_dim, int inverse) {
    if (N <= 0 || H <= 0 || D <= 0) return;
    st_rope_args p = {out, x, cos_table, sin_table, positions, H, D, rot_dim, inverse};
    st_parallel_for(N * H, st_row_grain(D), ST_PICK(st_rope_range), &p);
}
