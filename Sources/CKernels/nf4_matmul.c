// nf4_matmul.c — products with an NF4 weight without materialising it in float32: the forward y = x · Wᵀ, the
// input gradient dx = dy · W (QLoRA trains adapters over a frozen 4-bit base, so W never needs a gradient), and
// the matrix-vector product of decoding.
//
// Purpose and design:
//   - Matrix products (N >= 4 rows) are compute-bound. W is dequantized one tile at a time — 16 output features ×
//     256 inputs (forward) or 256 output features × 16 inputs (input gradient), 16 KiB on the stack — into a
//     k-major panel, and a 6 × 16 register-blocked AVX2 FMA micro-kernel (the gemm shape of BLIS / OpenBLAS) runs
//     every row of x against it. Each tile is decoded once and used by all N rows, so decoding costs ~1/N of the
//     arithmetic. Threads own disjoint panels of the output (columns of y, or of dx).
//   - The matrix-vector product is bandwidth-bound: it reads 0.5 byte per weight (plus 4 bytes of absmax per 64)
//     and decodes in registers. x is split once into its even and odd elements so that the high nibbles of 32
//     packed bytes pair with 32 even inputs and the low nibbles with 32 odd ones (no nibble interleaving); codes
//     are looked up with two permutes and a blend; the block's absmax multiplies its partial sum once.
//   - Any shape works: blocks of 64 run over the flattened weight, so when `in` is not a multiple of 64 a row
//     starts mid-block or mid-byte; tile decoding handles that element by element, and the matrix-vector fast path
//     then decodes spans into a stack buffer instead.
// The _ref twins decode each weight exactly as st_nf4_dequantize_f32 does and sum in float in index order.
//
// Shape legend: N = rows of x / y / dy / dx; in, out = extents of W [out, in]; x [N, in], y [N, out], dy [N, out],
// dx [N, in]; packed [ceil(out·in / 2)], absmax [ceil(out·in / 64)].
#include "st_internal.h"

/// Output columns per panel (two 8-float vectors).
#define ST_NF4_NR 16
/// Rows of x per micro-kernel call.
#define ST_NF4_MR 6
/// Contraction depth per dequantized tile.
#define ST_NF4_KC 256
/// Inputs per chunk of the matrix-vector path (even and odd halves of x on the stack).
#define ST_NF4_XC 2048

/// W's flat element e, dequantized.
static inline float st_nf4_decode_one(const uint8_t *packed, const float *absmax, const float *code, int64_t e) {
    const uint8_t q = packed[e >> 1];
    return code[(e & 1) ? (q & 15) : (q >> 4)] * absmax[e / ST_NF4_BLOCK];
}

/// W's flat elements [start, start + len) into dst, for any start (mid-byte, mid-block).
static inline void st_nf4_decode_span(float *restrict dst, const uint8_t *restrict packed,
                                      const float *restrict absmax, const float *code, int64_t start, int64_t len) {
    int64_t e = start;
    const int64_t end = start + len;
    while (e < end) {
        int64_t block_end = (e / ST_NF4_BLOCK + 1) * ST_NF4_BLOCK;
        if (block_end > end) block_end = end;
        const float s = absmax[e / ST_NF4_BLOCK];
        if (e & 1) *dst++ = code[packed[e++ >> 1] & 15] * s;
        for (; e + 1 < block_end; e += 2) {
            const uint8_t q = packed[e >> 1];
            dst[0] = code[q >> 4] * s;
            dst[1] = code[q & 15] * s;
            dst += 2;
        }
        if (e < block_end) *dst++ = code[packed[e++ >> 1] >> 4] * s;
    }
}

// MARK: - Twins

void st_nf4_matmul_f32_ref(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                           const float *restrict absmax, int64_t N, int64_t in, int64_t out) {
    float code[16];
    st_nf4_codebook(code);
    for (int64_t n = 0; n < N; n++) {
        for (int64_t o = 0; o < out; o++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < in; k++) {
                const float w = st_nf4_decode_one(packed, absmax, code, o * in + k);
                acc += x[n * in + k] * w;
            }
            y[n * out + o] = acc;
        }
    }
}

void st_nf4_matmul_backward_input_f32_ref(float *restrict dx, const float *restrict dy,
                                          const uint8_t *restrict packed, const float *restrict absmax, int64_t N,
                                          int64_t in, int64_t out) {
    float code[16];
    st_nf4_codebook(code);
    for (int64_t n = 0; n < N; n++) {
        for (int64_t k = 0; k < in; k++) {
            float acc = 0.0f;
            for (int64_t o = 0; o < out; o++) {
                const float w = st_nf4_decode_one(packed, absmax, code, o * in + k);
                acc += dy[n * out + o] * w;
            }
            dx[n * in + k] = acc;
        }
    }
}

void st_nf4_matvec_f32_ref(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                           const float *restrict absmax, int64_t in, int64_t out) {
    st_nf4_matmul_f32_ref(y, x, packed, absmax, 1, in, out);
}

typedef struct {
    float *c;                 ///< y (forward) or dx (input gradient)
    const float *a;           ///< x (forward) or dy (input gradient)
    const uint8_t *packed;
    const float *absmax;
    int64_t N, in, out;
    float code[16];
} st_nf4_mm_args;

#if ST_X86
// MARK: - Matrix products (AVX2)

/// c[r][0..16) (+)= Σ_k a[r·lda + k] · b[k][0..16) for r < 6; columns masked by m0 (0..7) and m1 (8..15).
ST_AVX2 static inline void st_nf4_kernel_6x16(float *c, int64_t ldc, const float *a, int64_t lda, const float *b,
                                              int64_t kc, int accumulate, __m256i m0, __m256i m1) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda, *a4 = a + 4 * lda, *a5 = a + 5 * lda;
    for (int64_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(b + k * ST_NF4_NR), b1 = _mm256_load_ps(b + k * ST_NF4_NR + 8);
        __m256 v = _mm256_broadcast_ss(a0 + k);
        c00 = _mm256_fmadd_ps(v, b0, c00); c01 = _mm256_fmadd_ps(v, b1, c01);
        v = _mm256_broadcast_ss(a1 + k);
        c10 = _mm256_fmadd_ps(v, b0, c10); c11 = _mm256_fmadd_ps(v, b1, c11);
        v = _mm256_broadcast_ss(a2 + k);
        c20 = _mm256_fmadd_ps(v, b0, c20); c21 = _mm256_fmadd_ps(v, b1, c21);
        v = _mm256_broadcast_ss(a3 + k);
        c30 = _mm256_fmadd_ps(v, b0, c30); c31 = _mm256_fmadd_ps(v, b1, c31);
        v = _mm256_broadcast_ss(a4 + k);
        c40 = _mm256_fmadd_ps(v, b0, c40); c41 = _mm256_fmadd_ps(v, b1, c41);
        v = _mm256_broadcast_ss(a5 + k);
        c50 = _mm256_fmadd_ps(v, b0, c50); c51 = _mm256_fmadd_ps(v, b1, c51);
    }
#define ST_NF4_STORE(row, lo, hi)                                                                      \
    do {                                                                                               \
        float *cr = (row);                                                                             \
        __m256 l = (lo), h = (hi);                                                                     \
        if (accumulate) {                                                                              \
            l = _mm256_add_ps(l, _mm256_maskload_ps(cr, m0));                                                \
            h = _mm256_add_ps(h, _mm256_maskload_ps(cr + 8, m1));                                            \
        }                                                                                              \
        _mm256_maskstore_ps(cr, m0, l);                                                                \
        _mm256_maskstore_ps(cr + 8, m1, h);                                                            \
    } while (0)
    ST_NF4_STORE(c, c00, c01); ST_NF4_STORE(c + ldc, c10, c11); ST_NF4_STORE(c + 2 * ldc, c20, c21);
    ST_NF4_STORE(c + 3 * ldc, c30, c31); ST_NF4_STORE(c + 4 * ldc, c40, c41); ST_NF4_STORE(c + 5 * ldc, c50, c51);
}

/// One row of the same (the N mod 6 leftover rows); two accumulator pairs hide the FMA latency.
ST_AVX2 static inline void st_nf4_kernel_1x16(float *c, const float *a, const float *b, int64_t kc, int accumulate,
                                              __m256i m0, __m256i m1) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, d00 = c00, d01 = c00;
    int64_t k = 0;
    for (; k + 2 <= kc; k += 2) {
        const __m256 v = _mm256_broadcast_ss(a + k), w = _mm256_broadcast_ss(a + k + 1);
        c00 = _mm256_fmadd_ps(v, _mm256_load_ps(b + k * ST_NF4_NR), c00);
        c01 = _mm256_fmadd_ps(v, _mm256_load_ps(b + k * ST_NF4_NR + 8), c01);
        d00 = _mm256_fmadd_ps(w, _mm256_load_ps(b + (k + 1) * ST_NF4_NR), d00);
        d01 = _mm256_fmadd_ps(w, _mm256_load_ps(b + (k + 1) * ST_NF4_NR + 8), d01);
    }
    if (k < kc) {
        const __m256 v = _mm256_broadcast_ss(a + k);
        c00 = _mm256_fmadd_ps(v, _mm256_load_ps(b + k * ST_NF4_NR), c00);
        c01 = _mm256_fmadd_ps(v, _mm256_load_ps(b + k * ST_NF4_NR + 8), c01);
    }
    ST_NF4_STORE(c, _mm256_add_ps(c00, d00), _mm256_add_ps(c01, d01));
}
#undef ST_NF4_STORE

/// Runs every row of a [N, lda] against the packed tile b [kc][16], into c [N, ldc] columns masked by m0 / m1.
ST_AVX2 static void st_nf4_rows_times_tile(float *c, int64_t ldc, const float *a, int64_t lda, const float *b,
                                           int64_t kc, int64_t N, int accumulate, __m256i m0, __m256i m1) {
    int64_t n = 0;
    for (; n + ST_NF4_MR <= N; n += ST_NF4_MR)
        st_nf4_kernel_6x16(c + n * ldc, ldc, a + n * lda, lda, b, kc, accumulate, m0, m1);
    for (; n < N; n++) st_nf4_kernel_1x16(c + n * ldc, a + n * lda, b, kc, accumulate, m0, m1);
}

/// Forward: panels [p0, p1) of 16 output features each.
ST_AVX2 static void st_nf4_matmul_range_avx2(void *ctx, int64_t p0, int64_t p1) {
    const st_nf4_mm_args *g = (const st_nf4_mm_args *)ctx;
    _Alignas(32) float b[ST_NF4_KC * ST_NF4_NR];
    float row[ST_NF4_KC];
    for (int64_t p = p0; p < p1; p++) {
        const int64_t o0 = p * ST_NF4_NR;
        const int64_t cols = g->out - o0 < ST_NF4_NR ? g->out - o0 : ST_NF4_NR;
        const __m256i m0 = st_v_tail_mask(cols), m1 = st_v_tail_mask(cols - 8);
        for (int64_t k0 = 0; k0 < g->in; k0 += ST_NF4_KC) {
            const int64_t kc = g->in - k0 < ST_NF4_KC ? g->in - k0 : ST_NF4_KC;
            for (int64_t j = 0; j < ST_NF4_NR; j++) {
                if (j < cols) {
                    st_nf4_decode_span(row, g->packed, g->absmax, g->code, (o0 + j) * g->in + k0, kc);
                    for (int64_t k = 0; k < kc; k++) b[k * ST_NF4_NR + j] = row[k];
                } else {
                    for (int64_t k = 0; k < kc; k++) b[k * ST_NF4_NR + j] = 0.0f;
                }
            }
            st_nf4_rows_times_tile(g->c + o0, g->out, g->a + k0, g->in, b, kc, g->N, k0 > 0, m0, m1);
        }
    }
}

/// Input gradient: panels [p0, p1) of 16 input features each.
ST_AVX2 static void st_nf4_backward_input_range_avx2(void *ctx, int64_t p0, int64_t p1) {
    const st_nf4_mm_args *g = (const st_nf4_mm_args *)ctx;
    _Alignas(32) float b[ST_NF4_KC * ST_NF4_NR];
    for (int64_t p = p0; p < p1; p++) {
        const int64_t k0 = p * ST_NF4_NR;
        const int64_t cols = g->in - k0 < ST_NF4_NR ? g->in - k0 : ST_NF4_NR;
        const __m256i m0 = st_v_tail_mask(cols), m1 = st_v_tail_mask(cols - 8);
        for (int64_t o0 = 0; o0 < g->out; o0 += ST_NF4_KC) {
            const int64_t oc = g->out - o0 < ST_NF4_KC ? g->out - o0 : ST_NF4_KC;
            for (int64_t o = 0; o < oc; o++) {
                float *bo = b + o * ST_NF4_NR;
                st_nf4_decode_span(bo, g->packed, g->absmax, g->code, (o0 + o) * g->in + k0, cols);
                for (int64_t j = cols; j < ST_NF4_NR; j++) bo[j] = 0.0f;
            }
            st_nf4_rows_times_tile(g->c + k0, g->in, g->a + o0, g->out, b, oc, g->N, o0 > 0, m0, m1);
        }
    }
}

// MARK: - Matrix-vector product (AVX2)

/// Byte `k` of the 16 NF4 values, in both 128-bit lanes: a pshufb table.
ST_AVX2 static inline __m256i st_nf4_v_byte_table(const float *code, int k) {
    uint8_t t[32];
    for (int c = 0; c < 16; c++) {
        uint32_t bits;
        memcpy(&bits, code + c, 4);
        t[c] = t[16 + c] = (uint8_t)(bits >> (8 * k));
    }
    return _mm256_loadu_si256((const __m256i *)t);
}

/// The NF4 values of 32 codes (bytes 0..15 of `codes`), as four vectors of floats, by four byte lookups (pshufb,
/// 32 at a time, cheap on every x86) and byte / word interleaving. The interleaving works within 128-bit lanes,
/// so vector g holds codes {4g..4g+3, 16+4g..16+4g+3}: the caller lays x out in that order (st_nf4_matvec_layout).
#define ST_NF4_DECODE32(codes, f0, f1, f2, f3)                                                          \
    do {                                                                                               \
        const __m256i b0 = _mm256_shuffle_epi8(t0, (codes)), b1 = _mm256_shuffle_epi8(t1, (codes));    \
        const __m256i b2 = _mm256_shuffle_epi8(t2, (codes)), b3 = _mm256_shuffle_epi8(t3, (codes));    \
        const __m256i w01l = _mm256_unpacklo_epi8(b0, b1), w01h = _mm256_unpackhi_epi8(b0, b1);        \
        const __m256i w23l = _mm256_unpacklo_epi8(b2, b3), w23h = _mm256_unpackhi_epi8(b2, b3);        \
        f0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(w01l, w23l));                                   \
        f1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(w01l, w23l));                                   \
        f2 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(w01h, w23h));                                   \
        f3 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(w01h, w23h));                                   \
    } while (0)

/// x [c0, c0 + len) (len a multiple of 64) in the order the decoder produces weights: per block of 64, first the
/// 32 even elements (high nibbles), then the 32 odd ones (low nibbles), each group of 32 as vectors g = 0..3 holding
/// pairs {4g..4g+3, 16+4g..16+4g+3}.
static void st_nf4_matvec_layout(float *restrict xp, const float *restrict x, int64_t len) {
    for (int64_t blk = 0; blk < len / ST_NF4_BLOCK; blk++) {
        const float *xb = x + blk * ST_NF4_BLOCK;
        float *out = xp + blk * ST_NF4_BLOCK;
        for (int half = 0; half < 2; half++) {
            for (int g = 0; g < 4; g++) {
                for (int i = 0; i < 8; i++) {
                    const int j = i < 4 ? 4 * g + i : 16 + 4 * g + (i - 4);
                    out[32 * half + 8 * g + i] = xb[2 * j + half];
                }
            }
        }
    }
}

/// Rows [o0, o1) of y = W · x.
ST_AVX2 static void st_nf4_matvec_range_avx2(void *ctx, int64_t o0, int64_t o1) {
    const st_nf4_mm_args *g = (const st_nf4_mm_args *)ctx;
    const int64_t in = g->in;
    float *y = g->c;
    const float *x = g->a;
    if (in % ST_NF4_BLOCK != 0) {
        // Rows start mid-block: decode spans, then dot.
        _Alignas(32) float row[ST_NF4_KC];
        for (int64_t o = o0; o < o1; o++) {
            __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
            for (int64_t k0 = 0; k0 < in; k0 += ST_NF4_KC) {
                const int64_t kc = in - k0 < ST_NF4_KC ? in - k0 : ST_NF4_KC;
                st_nf4_decode_span(row, g->packed, g->absmax, g->code, o * in + k0, kc);
                int64_t k = 0;
                for (; k + 16 <= kc; k += 16) {
                    acc0 = _mm256_fmadd_ps(_mm256_load_ps(row + k), _mm256_loadu_ps(x + k0 + k), acc0);
                    acc1 = _mm256_fmadd_ps(_mm256_load_ps(row + k + 8), _mm256_loadu_ps(x + k0 + k + 8), acc1);
                }
                for (; k < kc; k += 8) {
                    const __m256i m = st_v_tail_mask(kc - k);
                    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(row + k, m), _mm256_maskload_ps(x + k0 + k, m), acc0);
                }
            }
            y[o] = st_v_hsum(_mm256_add_ps(acc0, acc1));
        }
        return;
    }
    const __m256i t0 = st_nf4_v_byte_table(g->code, 0), t1 = st_nf4_v_byte_table(g->code, 1);
    const __m256i t2 = st_nf4_v_byte_table(g->code, 2), t3 = st_nf4_v_byte_table(g->code, 3);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    _Alignas(32) float xp[ST_NF4_XC];
    for (int64_t o = o0; o < o1; o++) y[o] = 0.0f;
    for (int64_t c0 = 0; c0 < in; c0 += ST_NF4_XC) {
        const int64_t cl = in - c0 < ST_NF4_XC ? in - c0 : ST_NF4_XC;      // a multiple of 64
        st_nf4_matvec_layout(xp, x + c0, cl);
        for (int64_t o = o0; o < o1; o++) {
            const uint8_t *p = g->packed + (o * in + c0) / 2;
            const float *s = g->absmax + (o * in + c0) / ST_NF4_BLOCK;
            __m256 total = _mm256_setzero_ps();
            for (int64_t blk = 0; blk < cl / ST_NF4_BLOCK; blk++) {
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(p + 32 * blk));
                // Codes 0..15 of each half in lane 0 and 16..31 in lane 1, as pshufb wants them.
                const __m256i his = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);   // elements 2j
                const __m256i los = _mm256_and_si256(bytes, nibble);                         // elements 2j + 1
                const float *xb = xp + blk * ST_NF4_BLOCK;
                __m256 e0, e1, e2, e3, d0, d1, d2, d3;
                ST_NF4_DECODE32(his, e0, e1, e2, e3);
                ST_NF4_DECODE32(los, d0, d1, d2, d3);
                __m256 a0 = _mm256_mul_ps(e0, _mm256_load_ps(xb));
                __m256 a1 = _mm256_mul_ps(e1, _mm256_load_ps(xb + 8));
                __m256 a2 = _mm256_mul_ps(e2, _mm256_load_ps(xb + 16));
                __m256 a3 = _mm256_mul_ps(e3, _mm256_load_ps(xb + 24));
                a0 = _mm256_fmadd_ps(d0, _mm256_load_ps(xb + 32), a0);
                a1 = _mm256_fmadd_ps(d1, _mm256_load_ps(xb + 40), a1);
                a2 = _mm256_fmadd_ps(d2, _mm256_load_ps(xb + 48), a2);
                a3 = _mm256_fmadd_ps(d3, _mm256_load_ps(xb + 56), a3);
                total = _mm256_fmadd_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                        _mm256_set1_ps(s[blk]), total);
            }
            y[o] += st_v_hsum(total);
        }
    }
}
#endif

// MARK: - Entry points

void st_nf4_matvec_f32(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                       const float *restrict absmax, int64_t in, int64_t out) {
#if ST_X86
    if (st_cpu_has_avx2_fma()) {
        st_nf4_mm_args g = {y, x, packed, absmax, 1, in, out, {0}};
        st_nf4_codebook(g.code);
        st_parallel_for(out, st_row_grain(in), st_nf4_matvec_range_avx2, &g);
        return;
    }
#endif
    st_nf4_matvec_f32_ref(y, x, packed, absmax, in, out);
}

void st_nf4_matmul_f32(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                       const float *restrict absmax, int64_t N, int64_t in, int64_t out) {
#if ST_X86
    if (st_cpu_has_avx2_fma()) {
        if (N < 4) {
            for (int64_t n = 0; n < N; n++) st_nf4_matvec_f32(y + n * out, x + n * in, packed, absmax, in, out);
            return;
        }
        if (in == 0) {
            memset(y, 0, (size_t)(N * out) * sizeof(float));
            return;
        }
        st_nf4_mm_args g = {y, x, packed, absmax, N, in, out, {0}};
        st_nf4_codebook(g.code);
        st_parallel_for((out + ST_NF4_NR - 1) / ST_NF4_NR, 1, st_nf4_matmul_range_avx2, &g);
        return;
    }
#endif
    st_nf4_matmul_f32_ref(y, x, packed, absmax, N, in, out);
}

void st_nf4_matmul_backward_input_f32(float *restrict dx, const float *restrict dy, const uint8_t *restrict packed,
                                      const float *restrict absmax, int64_t N, int64_t in, int64_t out) {
#if ST_X86
    if (st_cpu_has_avx2_fma()) {
        if (out == 0) {
            memset(dx, 0, (size_t)(N * in) * sizeof(float));
            return;
        }
        st_nf4_mm_args g = {dx, dy, packed, absmax, N, in, out, {0}};
        st_nf4_codebook(g.code);
        st_parallel_for((in + ST_NF4_NR - 1) / ST_NF4_NR, 1, st_nf4_backward_input_range_avx2, &g);
        return;
    }
#endif
    st_nf4_matmul_backward_input_f32_ref(dx, dy, packed, absmax, N, in, out);
}
