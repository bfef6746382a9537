// attention_internal.h — attention over packed sequences: mask descriptions, tiled forward / backward with grouped-query
// attention (FlashAttention-2 style, Dao 2023), and the one-query decode path.
//
// Purpose: never build the T×S score matrix. Every query i sees one contiguous key range [lo_i, hi_i] (its own
// segment, causal, sliding window), so the fast paths walk query blocks × key tiles, skip every tile that no query
// of the block sees, and mask elementwise only inside tiles that are partly visible. A row of k equal segments thus
// costs about 1/k of a dense causal row.
//
// Files: this private header holds what the passes share (limits, the work-item context, visibility ranges, the
// transposes and 6×16 register micro-kernels, the online-softmax helpers, tile sizes); attention_ref.c the mask
// builders and the scalar `_ref` twins that define the results; attention_forward.c, attention_backward.c (dK/dV
// pass A, dQ pass B) and attention_decode.c one pass each with its entry point. Shared functions are static
// inline, so each pass compiles its own copy and nothing in here is exported.
//
// Visibility (the `_ref` twins define it; the fast paths implement the same ranges): a segment is a maximal run of
// equal ids in seg; query i at position p = q_offset + i sees key j iff p is a key position (0 <= p < S) whose id is
// >= 0, j lies in the same run, j <= p when causal, and p - j < window when window > 0. With seg == NULL there is one
// segment and p may be any integer (query positions past S see every key up to S - 1). Ids are compared as runs, so
// an id that reappears after another id starts a new segment (the fast paths and the twins agree on every input).
//
// Forward: parallel over (row, head, query block). A block of BQ queries is transposed once to the stack (Qt [D][BQ])
// and walks the union of its key ranges in tiles of BK keys: St = K·Qt (keys × queries, K rows read in place), an
// online softmax down the columns (8 queries per vector, base-2 exponent with scale·log2 e folded in, running max m
// and sum l per query, l in double), O += Stᵀ·V (V rows read in place). lse = m·ln 2 + log l is saved. The register
// micro-kernels are 6 rows × 16 columns (12 accumulators). Backward (dq, dk, dv overwritten; each output row is
// written by exactly one work item, in a fixed order, so results are deterministic and bit-identical for every
// thread count):
//   pass A, parallel over (row, KV head, key block): K and V of the block are transposed to the stack once; for
//     every query block that can see the key block and every query head of the KV group, recompute
//     P = exp(scale·q·kᵀ − lse), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − Di) with Di = rowsum(dO∘O), dK += dSᵀ·Q.
//   pass B, parallel over (row, head, query block): Q and dO of the block transposed once; per key tile recompute
//     P and dS likewise (keys × queries), dQ += dSᵀ·K.
//   dQ and dK are multiplied by scale when stored. Pass A + pass B cost 7 tile products against the 5 of a backward
//   with atomic dQ updates — the price of determinism without scratch memory. Work items are ordered zig-zag (first,
//   last, second, ...) over the blocks of a (row, head), so contiguous chunks get about equal causal work, and
//   threads take chunks dynamically (ST_ATT_CHUNKS_PER_THREAD per thread), so rows of different lengths (a padded
//   batch: 8 rows of 512 … 64 tokens ran 80/20 on 2 threads with equal static halves) still balance. Which thread
//   runs an item never changes what the item computes.
// Masks: per query the visible keys are [lo, hi]; a key tile no query of the block sees is skipped; a group of 8
// queries that sees the whole tile runs without masks; elsewhere lanes outside [lo, hi] are set to -inf / 0.
// Tile sizes depend on D so that the stack buffer of each range call stays at 96 KB (ST_ATT_BUF_FLOATS); D > 256
// (ST_ATT_MAX_D) and CPUs without AVX2+FMA use the serial `_ref` twins.
//
// Decode: parallel over (row, KV head); the query heads of one KV group (up to 16 at a time) stream that head's
// cached keys and values once, in tiles of 64 keys, with the same online softmax.
//
// Accuracy: the twins accumulate in double; the fast paths in float (dot products over D, P·V over each tile,
// dK/dV/dQ over all tiles) with a ~2 ulp exponential, so they differ from the twins by about 1e-6 relative to the
// largest magnitude of each output (the harness and AttentionKernelTests hold them to 1e-5).
//
// Shape legend (as in st_attention.h): B rows, T queries, S keys, H query heads, KV key/value heads (R = H / KV query
// heads per KV head), D head dim, Dp = D rounded up to 8; q, out, dout, dq [B, T, H, D]; k, v, dk, dv [B, S, KV, D];
// lse [B, H, T]; seg [B, S]; BQ / BK = query / key tile sizes.
#ifndef ST_ATTENTION_INTERNAL_H
#define ST_ATTENTION_INTERNAL_H
#include "st_internal.h"

#define ST_ATT_MAX_D 256                 // larger head dims take the `_ref` path
#define ST_ATT_BQ_MAX 64                 // largest query tile
#define ST_ATT_BUF_FLOATS (24 * 1024)    // per-call stack tile buffer: 96 KB
#define ST_ATT_FAR ((int64_t)1 << 60)    // an "unbounded" position
#define ST_ATT_REF_CHUNK 64              // output columns the twins accumulate at once (in double, on the stack)
#define ST_DEC_RMAX 16                   // decode: query heads of a KV group processed together
#define ST_DEC_BK 64                     // decode: keys per tile

static inline int64_t st_att_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t st_att_max(int64_t a, int64_t b) { return a > b ? a : b; }

/// Parameters the kernels can run with: non-negative sizes, KV >= 1 dividing H.
static inline int st_att_params_ok(const st_attention_params *p) {
    return p->B >= 0 && p->T >= 0 && p->S >= 0 && p->H >= 0 && p->KV >= 1 && p->D >= 0 && p->H % p->KV == 0;
}

// MARK: - AVX2 paths

#if defined(ST_X86)

typedef struct {
    float *out, *lse_out, *dq, *dk, *dv;
    const float *q, *k, *v, *dout, *o, *lse;
    const int32_t *seg;
    int64_t B, T, S, H, KV, D, R, q_offset, window;
    int64_t kv_row, kv_head, kv_pos;   // forward: strides of k and v per row, KV head and key position
    int causal;
    float scale;
    int64_t bq, bk;     // tile sizes of the pass
    int64_t nblocks;    // blocks per (row, head) of the pass's parallel dimension
} st_att_ctx;

/// The run of equal segment ids last found in a row: positions [lo, hi] of row `row`.
typedef struct {
    int64_t row, lo, hi;
} st_att_run;

static inline int64_t st_att_pad8(int64_t n) { return (n + 7) & ~(int64_t)7; }
static inline int64_t st_att_pad16(int64_t n) { return (n + 15) & ~(int64_t)15; }

/// Block u of n in zig-zag order: 0, n-1, 1, n-2, ... (equal contiguous chunks get about equal causal work).
static inline int64_t st_att_zigzag(int64_t u, int64_t n) { return (u & 1) ? n - 1 - (u >> 1) : (u >> 1); }

/// Run [lo, hi] containing position p (seg_row[p] given), reusing the cached run when it holds p.
static inline void st_att_run_at(st_att_run *c, const int32_t *seg_row, int64_t row, int64_t S, int64_t p) {
    if (c->row == row && c->lo <= p && p <= c->hi) return;
    const int32_t id = seg_row[p];
    int64_t a = p, z = p;
    while (a > 0 && seg_row[a - 1] == id) a--;
    while (z + 1 < S && seg_row[z + 1] == id) z++;
    c->row = row;
    c->lo = a;
    c->hi = z;
}

/// Union [kmin, kmax] of the key ranges of the queries of a tile that see something.
typedef struct {
    int64_t kmin, kmax;
} st_att_bounds;

/// Key ranges lo[r], hi[r] of queries i0 .. i0+nq-1 of row b (st_att_query_keys with a run cache); returns 0 when no
/// query of the tile sees any key.
static inline int st_att_tile_ranges(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t i0, int64_t nq, int64_t *lo,
                              int64_t *hi, st_att_bounds *bd) {
    const int64_t S = x->S;
    const int32_t *sr = x->seg ? x->seg + b * S : NULL;
    int any = 0;
    bd->kmin = ST_ATT_FAR;
    bd->kmax = -ST_ATT_FAR;
    for (int64_t r = 0; r < nq; r++) {
        const int64_t pos = x->q_offset + i0 + r;
        int64_t a = 0, z = S - 1;
        if (sr) {
            if (pos < 0 || pos >= S || sr[pos] < 0) {
                lo[r] = 0;
                hi[r] = -1;
                continue;
            }
            st_att_run_at(rc, sr, b, S, pos);
            a = rc->lo;
            z = rc->hi;
        }
        if (x->causal && pos < z) z = pos;
        if (x->window > 0 && pos - x->window + 1 > a) a = pos - x->window + 1;
        lo[r] = a;
        hi[r] = z;
        if (a <= z) {
            any = 1;
            if (a < bd->kmin) bd->kmin = a;
            if (z > bd->kmax) bd->kmax = z;
        }
    }
    return any;
}

/// Whether some query of the tile sees some key of [k0, k0 + nk).
static inline int st_att_tile_visible(const int64_t *lo, const int64_t *hi, int64_t nq, int64_t k0, int64_t nk) {
    for (int64_t r = 0; r < nq; r++)
        if (lo[r] <= hi[r] && lo[r] <= k0 + nk - 1 && hi[r] >= k0) return 1;
    return 0;
}

/// Columns [*clo, *chi) of a tile starting at key k0 with nk keys that a query with range [lo, hi] sees.
static inline void st_att_cols(int64_t lo, int64_t hi, int64_t k0, int64_t nk, int64_t *clo, int64_t *chi) {
    *clo = st_att_max(lo - k0, 0);
    *chi = st_att_min(hi - k0 + 1, nk);
}

/// Lanes c .. c+7 that lie in [clo, chi).
ST_AVX2 static inline __m256 st_att_lane_mask(int64_t c, int64_t clo, int64_t chi) {
    const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)clo - 1));
    const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)chi), idx);
    return _mm256_castsi256_ps(_mm256_and_si256(ge, lt));
}

/// 8×8 transpose: dst[r * ldd + c] = src[c * lds + r].
ST_AVX2 static inline void st_att_tr8(float *dst, int64_t ldd, const float *src, int64_t lds) {
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds), r2 = _mm256_loadu_ps(src + 2 * lds),
           r3 = _mm256_loadu_ps(src + 3 * lds), r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds),
           r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
           s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
           s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
           s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));
}

/// Xt[d * ldt + c] = X[c * ldx + d] for c < nk, d < D; columns nk .. nc-1 are zero.
ST_AVX2 static inline void st_att_transpose(float *Xt, int64_t ldt, const float *X, int64_t ldx, int64_t nk, int64_t nc,
                                     int64_t D) {
    int64_t c = 0;
    for (; c + 8 <= nk; c += 8) {
        const float *src = X + c * ldx;
        int64_t d = 0;
        for (; d + 8 <= D; d += 8) st_att_tr8(Xt + d * ldt + c, ldt, src + d, ldx);
        for (; d < D; d++)
            for (int64_t r = 0; r < 8; r++) Xt[d * ldt + c + r] = src[r * ldx + d];
    }
    for (; c < nk; c++)
        for (int64_t d = 0; d < D; d++) Xt[d * ldt + c] = X[c * ldx + d];
    if (c < nc)
        for (int64_t d = 0; d < D; d++) memset(Xt + d * ldt + c, 0, (size_t)(nc - c) * sizeof(float));
}

// Register micro-kernels. Both products broadcast one element of A per row and multiply it into two 8-float vectors
// of a B row (16 columns), for 6 rows at a time (12 accumulators), then groups of 4, 3, 2 and 1 rows for what is
// left (at most two groups); ST_REPn(X) expands X for rows 0 .. n-1, and the accumulators of row i are x<i>0, x<i>1.
// A single row of A·B (the decode path with one query head per KV head) splits its sum over even and odd j, so that
// four FMA chains are in flight.
#define ST_REP1(X) X(0)
#define ST_REP2(X) X(0) X(1)
#define ST_REP3(X) X(0) X(1) X(2)
#define ST_REP4(X) X(0) X(1) X(2) X(3)
#define ST_REP6(X) X(0) X(1) X(2) X(3) X(4) X(5)

#define ST_ABT_ZERO(i) __m256 x##i##0 = _mm256_setzero_ps(), x##i##1 = _mm256_setzero_ps();
#define ST_ABT_FMA(i)                                                                                             \
    {                                                                                                             \
        const __m256 a_ = _mm256_broadcast_ss(ap + (i) * lda);                                                    \
        x##i##0 = _mm256_fmadd_ps(a_, b0, x##i##0);                                                               \
        x##i##1 = _mm256_fmadd_ps(a_, b1, x##i##1);                                                               \
    }
#define ST_ABT_STORE(i)                                                                                           \
    _mm256_storeu_ps(cp + (i) * ldc, x##i##0);                                                                    \
    _mm256_storeu_ps(cp + (i) * ldc + 8, x##i##1);
#define ST_ABT_ROWS(NR, REP)                                                                                      \
    for (; r + (NR) <= nr; r += (NR)) {                                                                           \
        for (int64_t c = 0; c < nc; c += 16) {                                                                    \
            REP(ST_ABT_ZERO)                                                                                      \
            const float *ap = A + r * lda, *bp = Bt + c;                                                          \
            for (int64_t d = 0; d < D; d++, ap++, bp += ldb) {                                                    \
                const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);                              \
                REP(ST_ABT_FMA)                                                                                   \
            }                                                                                                     \
            float *cp = C + r * ldc + c;                                                                          \
            REP(ST_ABT_STORE)                                                                                     \
        }                                                                                                         \
    }

/// C[r * ldc + c] = Σ_{d < D} A[r * lda + d] · Bt[d * ldb + c] for r < nr, c < nc (nc a multiple of 16).
ST_AVX2 static inline void st_att_gemm_abt(float *C, int64_t ldc, const float *A, int64_t lda, int64_t nr, const float *Bt,
                                    int64_t ldb, int64_t nc, int64_t D) {
    int64_t r = 0;
    ST_ABT_ROWS(6, ST_REP6)
    ST_ABT_ROWS(4, ST_REP4)
    ST_ABT_ROWS(3, ST_REP3)
    ST_ABT_ROWS(2, ST_REP2)
    ST_ABT_ROWS(1, ST_REP1)
}

#define ST_AB_INIT(i)                                                                                             \
    __m256 x##i##0 = _mm256_loadu_ps(cp + (i) * ldc),                                                             \
           x##i##1 = nv2_ ? _mm256_loadu_ps(cp + (i) * ldc + 8) : _mm256_setzero_ps();
#define ST_AB_FMA(i)                                                                                              \
    {                                                                                                             \
        const __m256 a_ = _mm256_broadcast_ss(ap + (i) * ars);                                                    \
        x##i##0 = _mm256_fmadd_ps(a_, b0, x##i##0);                                                               \
        if (nv2_) x##i##1 = _mm256_fmadd_ps(a_, b1, x##i##1);                                                     \
    }
#define ST_AB_STORE(i)                                                                                            \
    _mm256_storeu_ps(cp + (i) * ldc, x##i##0);                                                                    \
    if (nv2_) _mm256_storeu_ps(cp + (i) * ldc + 8, x##i##1);
#define ST_AB_ROWS(NR, REP, LD0, LD1)                                                                             \
    for (; r + (NR) <= nr; r += (NR)) {                                                                           \
        float *cp = C + r * ldc + d0;                                                                             \
        REP(ST_AB_INIT)                                                                                           \
        const float *ap = A + r * ars, *bp = B + d0;                                                              \
        for (int64_t j = 0; j < nj; j++, ap += acs, bp += ldb) {                                                  \
            const __m256 b0 = LD0(bp), b1 = nv2_ ? LD1(bp + 8) : _mm256_setzero_ps();                             \
            REP(ST_AB_FMA)                                                                                        \
        }                                                                                                         \
        REP(ST_AB_STORE)                                                                                          \
    }
#define ST_AB_ONE_ROW(LD0, LD1)                                                                                   \
    for (; r < nr; r++) {                                                                                         \
        float *cp = C + r * ldc + d0;                                                                             \
        __m256 y0 = _mm256_setzero_ps(), y1 = y0, z0 = y0, z1 = y0;                                               \
        const float *ap = A + r * ars, *bp = B + d0;                                                              \
        int64_t j = 0;                                                                                            \
        for (; j + 2 <= nj; j += 2, ap += 2 * acs, bp += 2 * ldb) {                                               \
            const __m256 a0_ = _mm256_broadcast_ss(ap), a1_ = _mm256_broadcast_ss(ap + acs);                      \
            y0 = _mm256_fmadd_ps(a0_, LD0(bp), y0);                                                               \
            z0 = _mm256_fmadd_ps(a1_, LD0(bp + ldb), z0);                                                         \
            if (nv2_) {                                                                                           \
                y1 = _mm256_fmadd_ps(a0_, LD1(bp + 8), y1);                                                       \
                z1 = _mm256_fmadd_ps(a1_, LD1(bp + ldb + 8), z1);                                                 \
            }                                                                                                     \
        }                                                                                                         \
        if (j < nj) {                                                                                             \
            const __m256 a0_ = _mm256_broadcast_ss(ap);                                                           \
            y0 = _mm256_fmadd_ps(a0_, LD0(bp), y0);                                                               \
            if (nv2_) y1 = _mm256_fmadd_ps(a0_, LD1(bp + 8), y1);                                                 \
        }                                                                                                         \
        _mm256_storeu_ps(cp, _mm256_add_ps(_mm256_loadu_ps(cp), _mm256_add_ps(y0, z0)));                          \
        if (nv2_) _mm256_storeu_ps(cp + 8, _mm256_add_ps(_mm256_loadu_ps(cp + 8), _mm256_add_ps(y1, z1)));        \
    }
// One column chunk at d0 of st_att_gemm_ab: two vectors (NV2 = 1) or one; LD0 / LD1 load the first / second vector of
// a B row (masked in the last chunk when D is not a multiple of 16).
#define ST_AB_CHUNK(NV2, LD0, LD1)                                                                                \
    do {                                                                                                          \
        const int nv2_ = (NV2);                                                                                   \
        int64_t r = 0;                                                                                            \
        ST_AB_ROWS(6, ST_REP6, LD0, LD1)                                                                          \
        ST_AB_ROWS(4, ST_REP4, LD0, LD1)                                                                          \
        ST_AB_ROWS(3, ST_REP3, LD0, LD1)                                                                          \
        ST_AB_ROWS(2, ST_REP2, LD0, LD1)                                                                          \
        ST_AB_ONE_ROW(LD0, LD1)                                                                                   \
    } while (0)

/// C[r * ldc + d] += Σ_{j < nj} A[r * ars + j * acs] · B[j * ldb + d] for r < nr, d < D. C rows hold Dp = D rounded
/// up to 8 floats (the padding lanes only ever receive zeros); B rows are read in place (masked past D).
ST_AVX2 static inline void st_att_gemm_ab(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, int64_t nr,
                                   const float *B, int64_t ldb, int64_t nj, int64_t D) {
#define ST_LDU(p) _mm256_loadu_ps(p)
#define ST_LDM1(p) _mm256_maskload_ps((p), m1)
#define ST_LDM0(p) _mm256_maskload_ps((p), m0)
    for (int64_t d0 = 0; d0 < D; d0 += 16) {
        const int64_t w = D - d0;
        if (w >= 16) {
            ST_AB_CHUNK(1, ST_LDU, ST_LDU);
        } else if (w > 8) {
            const __m256i m1 = st_v_tail_mask(w - 8);
            ST_AB_CHUNK(1, ST_LDU, ST_LDM1);
        } else {
            const __m256i m0 = st_v_tail_mask(w);
            ST_AB_CHUNK(0, ST_LDM0, ST_LDM0);
        }
    }
#undef ST_LDU
#undef ST_LDM1
#undef ST_LDM0
}

/// s[c] = s[c] · scale for c in [clo, chi), -inf elsewhere in [0, nc) (nc a multiple of 8); returns the maximum.
ST_AVX2 static inline float st_att_row_scale_max(float *s, int64_t nc, int64_t clo, int64_t chi, float scale) {
    const __m256 vs = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY);
    __m256 mx = ninf;
    for (int64_t c = 0; c < nc; c += 8) {
        __m256 t = _mm256_blendv_ps(ninf, _mm256_mul_ps(_mm256_loadu_ps(s + c), vs), st_att_lane_mask(c, clo, chi));
        _mm256_storeu_ps(s + c, t);
        mx = _mm256_max_ps(mx, t);
    }
    return st_v_hmax_ps(mx);
}

/// s[c] = exp(s[c] - m) (0 where s[c] is -inf) for c < nc (a multiple of 8); returns the sum.
ST_AVX2 static inline float st_att_row_exp(float *s, int64_t nc, float m) {
    const __m256 vm = _mm256_set1_ps(m), ninf = _mm256_set1_ps(-INFINITY);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t c = 0; c < nc; c += 8) {
        const __m256 t = _mm256_loadu_ps(s + c);
        __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(t, ninf, _CMP_EQ_OQ), st_v_exp(_mm256_sub_ps(t, vm)));
        _mm256_storeu_ps(s + c, e);
        acc = _mm256_add_ps(acc, e);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/// ds[c] = p[c] · (ds[c] - di) for c < nc (a multiple of 8): dS = P ∘ (dP − Di), in place over dP.
ST_AVX2 static inline void st_att_row_ds(float *ds, const float *p, int64_t nc, float di) {
    const __m256 vd = _mm256_set1_ps(di);
    for (int64_t c = 0; c < nc; c += 8)
        _mm256_storeu_ps(ds + c, _mm256_mul_ps(_mm256_loadu_ps(p + c), _mm256_sub_ps(_mm256_loadu_ps(ds + c), vd)));
}

/// Σ_d a[d] · b[d] over D floats.
ST_AVX2 static inline float st_att_dot(const float *a, const float *b, int64_t D) {
    __m256 acc = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), acc);
    if (d < D) {
        const __m256i m = st_v_tail_mask(D - d);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(a + d, m), _mm256_maskload_ps(b + d, m), acc);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/// dst[d] = src[d] · f for d < D (dst in place in the output tensor; src a padded stack row).
ST_AVX2 static inline void st_att_store_scaled(float *dst, const float *src, int64_t D, float f) {
    const __m256 vf = _mm256_set1_ps(f);
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) _mm256_storeu_ps(dst + d, _mm256_mul_ps(_mm256_loadu_ps(src + d), vf));
    if (d < D) _mm256_maskstore_ps(dst + d, st_v_tail_mask(D - d), _mm256_mul_ps(_mm256_loadu_ps(src + d), vf));
}

ST_AVX2 static inline void st_att_scale_row(float *x, int64_t n, float f) {
    const __m256 vf = _mm256_set1_ps(f);
    for (int64_t d = 0; d < n; d += 8) _mm256_storeu_ps(x + d, _mm256_mul_ps(_mm256_loadu_ps(x + d), vf));
}

/// 2^x for the softmax (arguments are <= ~0 here): n = round(x), f = x − n in [−1/2, 1/2], 2^f by its degree-6 Taylor
/// polynomial (truncation <= 1.2e-7 relative), times 2^n built in the exponent bits. x is clamped to [−126, 127], so
/// results below 2^−126 come out as about 2^−126 (callers zero hidden entries themselves). About 2 ulp.
ST_AVX2 static inline __m256 st_att_exp2(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(127.0f), _mm256_max_ps(_mm256_set1_ps(-126.0f), x));
    const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), f = _mm256_sub_ps(x, n);
    __m256 p = _mm256_set1_ps(1.5403530393e-4f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3333558146e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.6181291076e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.5504108665e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.4022650696e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.9314718056e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

#define ST_ATT_LOG2E 1.44269504088896341f

// MARK: Column helpers (tiles stored keys × queries: St[c * ld + r] for key c, query r)

/// Per query r of a tile starting at key k0 with nk keys: the visible key columns [clo[r], chi[r]) (clamped to
/// [0, nk], empty for a query that sees nothing there), for r < nqp (queries nq .. nqp-1 are padding).
static inline void st_att_col_bounds(int32_t *clo, int32_t *chi, const int64_t *lo, const int64_t *hi, int64_t nqp,
                                     int64_t k0, int64_t nk) {
    for (int64_t r = 0; r < nqp; r++) {
        int64_t a = lo[r] - k0, z = hi[r] - k0 + 1;
        a = a < 0 ? 0 : (a > nk ? nk : a);
        z = z < 0 ? 0 : (z > nk ? nk : z);
        clo[r] = (int32_t)a;
        chi[r] = (int32_t)(z < a ? a : z);
    }
}

/// Visibility of key column c for the 8 queries whose bounds are vlo1 = clo - 1 and vhi = chi.
ST_AVX2 static inline __m256 st_att_col_mask(int64_t c, __m256i vlo1, __m256i vhi) {
    const __m256i vc = _mm256_set1_epi32((int)c);
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_cmpgt_epi32(vc, vlo1), _mm256_cmpgt_epi32(vhi, vc)));
}

/// Online-softmax step over one key tile for the queries of a block (8 at a time), in base 2: St (nk × nqp, leading
/// dimension ld) holds q·k and becomes the probabilities 2^(log2e·scale·q·k − m_new) (0 where hidden); m (running
/// max, base 2) and l (running sum, double) are updated, and alpha[r] = 2^(m_old − m_new) is the factor to apply to
/// the query's accumulated output.
ST_AVX2 static inline void st_att_softmax_cols(float *St, int64_t ld, int64_t nk, int64_t nqp, const int32_t *clo,
                                        const int32_t *chi, float scale, float *m, double *l, float *alpha) {
    const __m256 vs = _mm256_set1_ps(scale * ST_ATT_LOG2E), ninf = _mm256_set1_ps(-INFINITY), zero = _mm256_setzero_ps();
    for (int64_t g = 0; g < nqp; g += 8) {
        const __m256i vlo = _mm256_loadu_si256((const __m256i *)(clo + g)), vhi = _mm256_loadu_si256((const __m256i *)(chi + g));
        const __m256i vlo1 = _mm256_sub_epi32(vlo, _mm256_set1_epi32(1));
        // All 8 queries see all nk keys: no masks (the common case away from the diagonal and segment edges).
        const int full = _mm256_testz_si256(vlo, vlo) &&
                         _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(vhi, _mm256_set1_epi32((int)nk)))) == 0xff;
        __m256 mx = ninf;
        if (full) {
            for (int64_t c = 0; c < nk; c++) {
                float *p = St + c * ld + g;
                const __m256 t = _mm256_mul_ps(_mm256_loadu_ps(p), vs);
                _mm256_storeu_ps(p, t);
                mx = _mm256_max_ps(mx, t);
            }
        } else {
            for (int64_t c = 0; c < nk; c++) {
                float *p = St + c * ld + g;
                const __m256 t = _mm256_blendv_ps(ninf, _mm256_mul_ps(_mm256_loadu_ps(p), vs), st_att_col_mask(c, vlo1, vhi));
                _mm256_storeu_ps(p, t);
                mx = _mm256_max_ps(mx, t);
            }
        }
        const __m256 mo = _mm256_loadu_ps(m + g), mn = _mm256_max_ps(mx, mo);
        const __m256 mu = _mm256_blendv_ps(mn, zero, _mm256_cmp_ps(mn, ninf, _CMP_EQ_OQ));   // exponent reference
        const __m256 al = _mm256_andnot_ps(_mm256_cmp_ps(mo, ninf, _CMP_EQ_OQ), st_att_exp2(_mm256_sub_ps(mo, mu)));
        __m256 sum = zero;
        if (full) {
            for (int64_t c = 0; c < nk; c++) {
                float *p = St + c * ld + g;
                const __m256 e = st_att_exp2(_mm256_sub_ps(_mm256_loadu_ps(p), mu));
                _mm256_storeu_ps(p, e);
                sum = _mm256_add_ps(sum, e);
            }
        } else {
            for (int64_t c = 0; c < nk; c++) {
                float *p = St + c * ld + g;
                const __m256 t = _mm256_loadu_ps(p);
                const __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(t, ninf, _CMP_EQ_OQ), st_att_exp2(_mm256_sub_ps(t, mu)));
                _mm256_storeu_ps(p, e);
                sum = _mm256_add_ps(sum, e);
            }
        }
        _mm256_storeu_ps(m + g, mn);
        _mm256_storeu_ps(alpha + g, al);
        const __m256d a0 = _mm256_cvtps_pd(_mm256_castps256_ps128(al)), a1 = _mm256_cvtps_pd(_mm256_extractf128_ps(al, 1));
        const __m256d s0 = _mm256_cvtps_pd(_mm256_castps256_ps128(sum)), s1 = _mm256_cvtps_pd(_mm256_extractf128_ps(sum, 1));
        _mm256_storeu_pd(l + g, _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(l + g), a0), s0));
        _mm256_storeu_pd(l + g + 4, _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(l + g + 4), a1), s1));
    }
}

/// dS = P ∘ (dP − Di) over one key tile, with P = 2^(log2e·scale·St − lse2) (0 where hidden; lse2 = log2e·lse): St
/// (q·k) and dSt (dO·v on entry, dS on return) are nk × nqp with leading dimension ld; lse2, di: [nqp].
ST_AVX2 static inline void st_att_ds_cols(const float *St, float *dSt, int64_t ld, int64_t nk, int64_t nqp,
                                   const int32_t *clo, const int32_t *chi, float scale, const float *lse2,
                                   const float *di) {
    const __m256 vs = _mm256_set1_ps(scale * ST_ATT_LOG2E);
    for (int64_t g = 0; g < nqp; g += 8) {
        const __m256i vlo1 = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(clo + g)), _mm256_set1_epi32(1));
        const __m256i vhi = _mm256_loadu_si256((const __m256i *)(chi + g));
        const __m256 vl = _mm256_loadu_ps(lse2 + g), vd = _mm256_loadu_ps(di + g);
        const int full = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(vlo1, _mm256_set1_epi32(-1)))) == 0xff &&
                         _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(vhi, _mm256_set1_epi32((int)nk)))) == 0xff;
        for (int64_t c = 0; c < nk; c++) {
            __m256 p = st_att_exp2(_mm256_fmsub_ps(_mm256_loadu_ps(St + c * ld + g), vs, vl));
            if (!full) p = _mm256_and_ps(p, st_att_col_mask(c, vlo1, vhi));
            float *ds = dSt + c * ld + g;
            _mm256_storeu_ps(ds, _mm256_mul_ps(p, _mm256_sub_ps(_mm256_loadu_ps(ds), vd)));
        }
    }
}

/// P[r][c] = 2^(log2e·scale·S[r][c] − lse2) for c in [clo, chi), 0 elsewhere in [0, nc) (nc a multiple of 8).
ST_AVX2 static inline void st_att_row_probs2(float *s, int64_t nc, int64_t clo, int64_t chi, float scale, float lse2) {
    const __m256 vs = _mm256_set1_ps(scale * ST_ATT_LOG2E), vl = _mm256_set1_ps(lse2);
    if (clo == 0 && chi == nc) {   // the whole row is visible
        for (int64_t c = 0; c < nc; c += 8)
            _mm256_storeu_ps(s + c, st_att_exp2(_mm256_fmsub_ps(_mm256_loadu_ps(s + c), vs, vl)));
        return;
    }
    for (int64_t c = 0; c < nc; c += 8) {
        const __m256 e = st_att_exp2(_mm256_fmsub_ps(_mm256_loadu_ps(s + c), vs, vl));
        _mm256_storeu_ps(s + c, _mm256_and_ps(e, st_att_lane_mask(c, clo, chi)));
    }
}

/// Prefetch n rows of D floats (row stride ld) into L2: the next key tile's K or V rows, while this tile computes.
ST_AVX2 static inline void st_att_prefetch_rows(const float *x, int64_t ld, int64_t n, int64_t D) {
    for (int64_t j = 0; j < n; j++)
        for (int64_t d = 0; d < D; d += 16) _mm_prefetch((const char *)(x + j * ld + d), _MM_HINT_T1);
}

// MARK: Dispatch

/// Tile sizes per pass (0 forward, 1 dK/dV, 2 dQ) so that each pass's buffers fit ST_ATT_BUF_FLOATS. Query tiles are
/// multiples of 16 (the micro-kernel width in the forward and dQ passes), key tiles multiples of 16 (dK/dV pass).
static inline void st_att_tiles(int pass, int64_t D, int64_t *bq, int64_t *bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    *bk = 64;
    if (pass == 0) *bq = Dp <= 128 ? 64 : 32;
    else if (pass == 1) {
        *bq = 64;
        *bk = Dp <= 64 ? 64 : (Dp <= 128 ? 32 : 16);
    } else *bq = Dp <= 64 ? 64 : (Dp <= 128 ? 32 : 16);
}

/// Floats of stack tile buffer a pass needs (checked against ST_ATT_BUF_FLOATS before taking the fast path).
static inline int64_t st_att_buf_floats(int pass, int64_t D, int64_t bq, int64_t bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    if (pass == 0) return D * bq + bq * Dp + bk * bq;                  // Qt, O, St
    if (pass == 1) return 2 * D * bk + 2 * bk * Dp + 2 * bq * bk;      // Kt, Vt, dK, dV, P, dS
    return 2 * D * bq + bq * Dp + 2 * bk * bq;                         // Qt, dOt, dQ, St, dSt
}

/// Whether the AVX2 paths take this head dim (tiles fit the stack buffer; every pass checked).
static inline int st_att_fast_ok(int64_t D) {
    if (D < 1 || D > ST_ATT_MAX_D || !st_cpu_has_avx2_fma()) return 0;
    for (int pass = 0; pass < 3; pass++) {
        int64_t bq, bk;
        st_att_tiles(pass, D, &bq, &bk);
        if (bq > ST_ATT_BQ_MAX || bq % 16 != 0 || bk % 16 != 0 ||
            st_att_buf_floats(pass, D, bq, bk) > ST_ATT_BUF_FLOATS)
            return 0;
    }
    return 1;
}

#define ST_ATT_CHUNKS_PER_THREAD 8

/// Grain for st_parallel_for over `items` work items of a pass: all inline when the whole pass is small.
static inline int64_t st_att_grain(const st_attention_params *p, int64_t items) {
    double keys = (double)p->S;
    if (p->window > 0 && (double)p->window < keys) keys = (double)p->window;
    if (p->causal) keys = keys / 2 + 1;
    double work = (double)p->B * (double)p->H * (double)p->T * keys * (double)(p->D + 1);
    return work < (double)(1 << 18) ? (items > 0 ? items : 1) : 1;
}

#endif   // ST_X86
#endif   // ST_ATTENTION_INTERNAL_H
