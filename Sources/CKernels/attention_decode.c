// attention_decode.c — one new query per row against a head-major KV cache (decode), and its entry point.
#include "attention_internal.h"

#if defined(ST_X86)

// MARK: Decode

typedef struct {
    float *out;
    const float *q, *kc, *vc;
    const int64_t *lengths, *slots;
    int64_t H, KV, D, R, capacity, window;
    float scale;
} st_dec_ctx;

/// The 8 horizontal sums of a0 .. a7 as one vector.
ST_AVX2 static inline __m256 st_att_hsum8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5,
                                          __m256 a6, __m256 a7) {
    const __m256 t0 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    const __m256 t1 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
    return _mm256_add_ps(_mm256_permute2f128_ps(t0, t1, 0x20), _mm256_permute2f128_ps(t0, t1, 0x31));
}

/// s[c] = q · k_c for 8 keys at k (row stride D).
ST_AVX2 static inline __m256 st_att_dot8(const float *q, const float *k, int64_t D) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
        const __m256 qv = _mm256_loadu_ps(q + d);
        const float *kp = k + d;
        a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp), a0);
        a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + D), a1);
        a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 2 * D), a2);
        a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 3 * D), a3);
        a4 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 4 * D), a4);
        a5 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 5 * D), a5);
        a6 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 6 * D), a6);
        a7 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kp + 7 * D), a7);
    }
    if (d < D) {
        const __m256i m = st_v_tail_mask(D - d);
        const __m256 qv = _mm256_maskload_ps(q + d, m);
        const float *kp = k + d;
        a0 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp, m), a0);
        a1 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + D, m), a1);
        a2 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 2 * D, m), a2);
        a3 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 3 * D, m), a3);
        a4 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 4 * D, m), a4);
        a5 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 5 * D, m), a5);
        a6 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 6 * D, m), a6);
        a7 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kp + 7 * D, m), a7);
    }
    return st_att_hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
}

ST_AVX2 static void st_dec_range_avx2(void *ctx, int64_t begin, int64_t end) {
    const st_dec_ctx *x = (const st_dec_ctx *)ctx;
    const int64_t H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), R = x->R, cap = x->capacity;
    float acc[ST_DEC_RMAX * ST_ATT_MAX_D] __attribute__((aligned(32)));
    float s[ST_DEC_RMAX * ST_DEC_BK] __attribute__((aligned(32)));
    float m[ST_DEC_RMAX];
    double l[ST_DEC_RMAX];
    for (int64_t u = begin; u < end; u++) {
        const int64_t b = u / KV, g = u % KV;
        const int64_t len = st_att_min(st_att_max(x->lengths[b], 0), cap);
        const int64_t lo = x->window > 0 ? st_att_max(len - x->window, 0) : 0;
        const int64_t slot = x->slots ? x->slots[b] : b;
        const float *kc = x->kc + (slot * KV + g) * cap * D, *vc = x->vc + (slot * KV + g) * cap * D;
        for (int64_t r0 = 0; r0 < R; r0 += ST_DEC_RMAX) {
            const int64_t nr = st_att_min(ST_DEC_RMAX, R - r0);
            const float *qr = x->q + (b * H + g * R + r0) * D;
            float *orow = x->out + (b * H + g * R + r0) * D;
            if (lo >= len) {
                memset(orow, 0, (size_t)(nr * D) * sizeof(float));
                continue;
            }
            memset(acc, 0, (size_t)(nr * Dp) * sizeof(float));
            for (int64_t r = 0; r < nr; r++) {
                m[r] = -INFINITY;
                l[r] = 0.0;
            }
            for (int64_t j0 = lo; j0 < len; j0 += ST_DEC_BK) {
                const int64_t nk = st_att_min(ST_DEC_BK, len - j0), nc = st_att_pad8(nk);
                const float *kt = kc + j0 * D;
                for (const char *pf = (const char *)(vc + j0 * D), *pe = (const char *)(vc + (j0 + nk) * D); pf < pe;
                     pf += 64)
                    _mm_prefetch(pf, _MM_HINT_T0);   // V of this tile: needed right after the scores
                for (int64_t r = 0; r < nr; r++) {
                    float *sr = s + r * ST_DEC_BK;
                    int64_t c = 0;
                    for (; c + 8 <= nk; c += 8) _mm256_storeu_ps(sr + c, st_att_dot8(qr + r * D, kt + c * D, D));
                    for (; c < nk; c++) sr[c] = st_att_dot(qr + r * D, kt + c * D, D);
                    for (; c < nc; c++) sr[c] = 0.0f;
                    const float mx = st_att_row_scale_max(sr, nc, 0, nk, x->scale);
                    const float mn = mx > m[r] ? mx : m[r];
                    const float alpha = m[r] == -INFINITY ? 0.0f : expf(m[r] - mn);
                    const float sum = st_att_row_exp(sr, nc, mn);
                    l[r] = l[r] * (double)alpha + (double)sum;
                    m[r] = mn;
                    if (alpha != 1.0f) st_att_scale_row(acc + r * Dp, Dp, alpha);
                }
                st_att_gemm_ab(acc, Dp, s, ST_DEC_BK, 1, nr, vc + j0 * D, D, nk, D);
            }
            for (int64_t r = 0; r < nr; r++) {
                if (l[r] > 0.0) st_att_store_scaled(orow + r * D, acc + r * Dp, D, (float)(1.0 / l[r]));
                else memset(orow + r * D, 0, (size_t)D * sizeof(float));
            }
        }
    }
}

#endif   // ST_X86

// MARK: - Entry point

void st_attention_decode_f32(float *out, const float *q, const float *k_cache, const float *v_cache,
                             const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D, int64_t capacity,
                             float scale, int64_t window) {
    st_attention_decode_slots_f32(out, q, k_cache, v_cache, lengths, NULL, B, H, KV, D, capacity, scale, window);
}

void st_attention_decode_slots_f32(float *out, const float *q, const float *k_cache, const float *v_cache,
                                   const int64_t *lengths, const int64_t *slots, int64_t B, int64_t H, int64_t KV,
                                   int64_t D, int64_t capacity, float scale, int64_t window) {
    if (B <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || capacity < 0) return;
#if defined(ST_X86)
    if (st_cpu_has_avx2_fma() && D <= ST_ATT_MAX_D) {
        st_dec_ctx x = {.out = out, .q = q, .kc = k_cache, .vc = v_cache, .lengths = lengths, .slots = slots, .H = H, .KV = KV,
                        .D = D, .R = H / KV, .capacity = capacity, .window = window, .scale = scale};
        double keys = 0;   // average keys read per (row, KV head)
        for (int64_t b = 0; b < B; b++) keys += (double)st_att_min(st_att_max(lengths[b], 0), capacity);
        keys /= (double)B;
        if (window > 0 && (double)window < keys) keys = (double)window;
        const double per_item = (keys + 1) * (double)D * (double)(H / KV + 2);
        int64_t grain = (int64_t)((double)ST_GRAIN_ELEMS / per_item) + 1;
        st_parallel_for(B * KV, grain, st_dec_range_avx2, &x);
        return;
    }
#endif
    st_attention_decode_slots_f32_ref(out, q, k_cache, v_cache, lengths, slots, B, H, KV, D, capacity, scale, window);
}
