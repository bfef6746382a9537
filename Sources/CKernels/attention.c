// attention.c — attention over packed sequences: mask descriptions, tiled forward / backward with grouped-query
// attention (FlashAttention-2 style, Dao 2023), and the one-query decode path.
//
// Purpose: never build the T×S score matrix. Every query i sees one contiguous key range [lo_i, hi_i] (its own
// segment, causal, sliding window), so the fast paths walk query blocks × key tiles, skip every tile that no query
// of the block sees, and mask elementwise only inside tiles that are partly visible. A row of k equal segments thus
// costs about 1/k of a dense causal row.
//
// Visibility (the `_ref` twins define it; the fast paths implement the same ranges): a segment is a maximal run of
// equal ids in seg; query i at position p = q_offset + i sees key j iff p is a key position (0 <= p < S) whose id is
// >= 0, j lies in the same run, j <= p when causal, and p - j < window when window > 0. With seg == NULL there is one
// segment and p may be any integer (query positions past S see every key up to S - 1). Ids are compared as runs, so
// an id that reappears after another id starts a new segment (the fast paths and the twins agree on every input).
//
// Forward: parallel over (row, head, query block). A block of BQ queries walks the union of its key ranges in tiles
// of BK keys: K tile transposed to the stack, S = Q·Kᵀ (4 queries × 16 keys register micro-kernel), online softmax
// in fp32 (running max m and sum l per query, l in double), O += P·V (4 queries × 16 dims), V rows read in place.
// lse = m + log l is saved. Backward (dq, dk, dv overwritten; each output row written by exactly one work item, in a
// fixed order, so results are deterministic and bit-identical for every thread count):
//   pass A, parallel over (row, KV head, key block): K and V of the block are transposed to the stack once; for
//     every query block that can see the key block and every query head of the KV group, recompute
//     P = exp(scale·q·kᵀ − lse), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − Di) with Di = rowsum(dO∘O), dK += dSᵀ·Q.
//   pass B, parallel over (row, head, query block): recompute P and dS likewise per key tile, dQ += dS·K.
//   Finally dQ and dK are multiplied by scale. Work items are ordered zig-zag (first, last, second, ...) over the
//   blocks of a (row, head), so st_parallel_for's equal contiguous chunks get about equal causal work.
// Tile sizes depend on D so that the stack buffer of each range call stays at 96 KB (ST_ATT_BUF_FLOATS); D > 256
// (ST_ATT_MAX_D) and CPUs without AVX2+FMA use the serial `_ref` twins.
//
// Decode: parallel over (row, KV head); the query heads of one KV group (up to 16 at a time) stream that head's
// cached keys and values once, in tiles of 64 keys, with the same online softmax.
//
// Accuracy: the twins accumulate in double; the fast paths in float (dot products over D, P·V over each tile,
// dK/dV/dQ over all tiles), so they differ from the twins by a few 1e-7 relative to the magnitudes summed.
//
// Shape legend (as in st_attention.h): B rows, T queries, S keys, H query heads, KV key/value heads (R = H / KV query
// heads per KV head), D head dim, Dp = D rounded up to 8; q, out, dout, dq [B, T, H, D]; k, v, dk, dv [B, S, KV, D];
// lse [B, H, T]; seg [B, S]; BQ / BK = query / key tile sizes.
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
static int st_att_params_ok(const st_attention_params *p) {
    return p->B >= 0 && p->T >= 0 && p->S >= 0 && p->H >= 0 && p->KV >= 1 && p->D >= 0 && p->H % p->KV == 0;
}

// MARK: - Visibility by scanning (the definition)

/// Keys [*lo, *hi] seen by the query at position qpos of a row (empty when *lo > *hi); seg_row may be NULL.
static void st_att_query_keys(const int32_t *seg_row, int64_t S, int64_t qpos, int causal, int64_t window,
                              int64_t *lo, int64_t *hi) {
    int64_t a = 0, z = S - 1;
    if (seg_row) {
        if (qpos < 0 || qpos >= S || seg_row[qpos] < 0) {
            *lo = 0;
            *hi = -1;
            return;
        }
        int32_t id = seg_row[qpos];
        a = qpos;
        while (a > 0 && seg_row[a - 1] == id) a--;
        z = qpos;
        while (z + 1 < S && seg_row[z + 1] == id) z++;
    }
    if (causal && qpos < z) z = qpos;
    if (window > 0 && qpos - window + 1 > a) a = qpos - window + 1;
    *lo = a;
    *hi = z;
}

/// Query positions [*lo, *hi] that see key j of a row (empty when *lo > *hi) — the same relation read from the key.
static void st_att_key_queries(const int32_t *seg_row, int64_t S, int64_t j, int causal, int64_t window,
                               int64_t *lo, int64_t *hi) {
    int64_t a = -ST_ATT_FAR, z = ST_ATT_FAR;
    if (seg_row) {
        if (seg_row[j] < 0) {
            *lo = 0;
            *hi = -1;
            return;
        }
        int32_t id = seg_row[j];
        a = j;
        while (a > 0 && seg_row[a - 1] == id) a--;
        z = j;
        while (z + 1 < S && seg_row[z + 1] == id) z++;
    }
    if (causal && j > a) a = j;
    if (window > 0 && j + window - 1 < z) z = j + window - 1;
    *lo = a;
    *hi = z;
}

// MARK: - Masks

int st_mask_from_cu_seqlens(int32_t *seg, int32_t *key_start, const int32_t *cu_seqlens, int64_t n_segments,
                            int64_t T, int64_t window) {
    if (!cu_seqlens || n_segments < 0 || n_segments > INT32_MAX || T < 0 || T > INT32_MAX) return -1;
    if (cu_seqlens[0] != 0) return -1;
    for (int64_t s = 0; s < n_segments; s++)
        if (cu_seqlens[s + 1] < cu_seqlens[s]) return -1;
    if (cu_seqlens[n_segments] > T) return -1;
    for (int64_t s = 0; s < n_segments; s++) {
        for (int64_t t = cu_seqlens[s]; t < cu_seqlens[s + 1]; t++) {
            if (seg) seg[t] = (int32_t)s;
            if (key_start) {
                int64_t first = cu_seqlens[s];
                if (window > 0 && t - window + 1 > first) first = t - window + 1;
                key_start[t] = (int32_t)first;
            }
        }
    }
    for (int64_t t = cu_seqlens[n_segments]; t < T; t++) {
        if (seg) seg[t] = -1;
        if (key_start) key_start[t] = -1;
    }
    return 0;
}

void st_mask_dense(float *mask, const int32_t *seg, int64_t B, int64_t T, int causal, int64_t window) {
    if (B <= 0 || T <= 0) return;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t i = 0; i < T; i++) {
            int64_t lo, hi;
            st_att_query_keys(seg ? seg + b * T : NULL, T, i, causal, window, &lo, &hi);
            float *m = mask + (b * T + i) * T;
            for (int64_t j = 0; j < T; j++) m[j] = (j >= lo && j <= hi) ? 0.0f : -INFINITY;
        }
    }
}

// MARK: - Scalar definitions

static double st_att_dot_ref(const float *a, const float *b, int64_t D) {
    double s = 0.0;
    for (int64_t d = 0; d < D; d++) s += (double)a[d] * (double)b[d];
    return s;
}

void st_attention_forward_f32_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                                  const int32_t *seg, st_attention_params p) {
    if (!st_att_params_ok(&p)) return;
    const int64_t T = p.T, S = p.S, H = p.H, KV = p.KV, D = p.D, R = p.H / p.KV;
    const double scale = p.scale;
    for (int64_t b = 0; b < p.B; b++) {
        for (int64_t h = 0; h < H; h++) {
            const int64_t g = h / R;
            for (int64_t i = 0; i < T; i++) {
                const float *qi = q + ((b * T + i) * H + h) * D;
                float *oi = out + ((b * T + i) * H + h) * D;
                int64_t lo, hi;
                st_att_query_keys(seg ? seg + b * S : NULL, S, p.q_offset + i, p.causal, p.window, &lo, &hi);
                if (lo > hi) {
                    for (int64_t d = 0; d < D; d++) oi[d] = 0.0f;
                    lse[(b * H + h) * T + i] = -INFINITY;
                    continue;
                }
                double m = -INFINITY;
                for (int64_t j = lo; j <= hi; j++) {
                    double s = scale * st_att_dot_ref(qi, k + ((b * S + j) * KV + g) * D, D);
                    if (s > m) m = s;
                }
                double l = 0.0;
                for (int64_t j = lo; j <= hi; j++)
                    l += exp(scale * st_att_dot_ref(qi, k + ((b * S + j) * KV + g) * D, D) - m);
                lse[(b * H + h) * T + i] = (float)(m + log(l));
                for (int64_t d0 = 0; d0 < D; d0 += ST_ATT_REF_CHUNK) {
                    const int64_t w = st_att_min(ST_ATT_REF_CHUNK, D - d0);
                    double acc[ST_ATT_REF_CHUNK] = {0};
                    for (int64_t j = lo; j <= hi; j++) {
                        const float *kj = k + ((b * S + j) * KV + g) * D, *vj = v + ((b * S + j) * KV + g) * D;
                        double pj = exp(scale * st_att_dot_ref(qi, kj, D) - m) / l;
                        for (int64_t d = 0; d < w; d++) acc[d] += pj * (double)vj[d0 + d];
                    }
                    for (int64_t d = 0; d < w; d++) oi[d0 + d] = (float)acc[d];
                }
            }
        }
    }
}

void st_attention_backward_f32_ref(float *dq, float *dk, float *dv, const float *dout, const float *q,
                                   const float *k, const float *v, const float *out, const float *lse,
                                   const int32_t *seg, st_attention_params p) {
    if (!st_att_params_ok(&p)) return;
    const int64_t T = p.T, S = p.S, H = p.H, KV = p.KV, D = p.D, R = p.H / p.KV;
    const double scale = p.scale;
    // dS_ij = P_ij (dO_i·v_j − Di), P_ij = exp(scale q_i·k_j − lse_i), Di = dO_i·out_i.
#define ST_ATT_REF_DS(b, h, i, j, P, DS)                                                                           \
    do {                                                                                                           \
        const float *qi_ = q + (((b) * T + (i)) * H + (h)) * D, *doi_ = dout + (((b) * T + (i)) * H + (h)) * D;    \
        const float *oi_ = out + (((b) * T + (i)) * H + (h)) * D;                                                  \
        const float *kj_ = k + (((b) * S + (j)) * KV + (h) / R) * D, *vj_ = v + (((b) * S + (j)) * KV + (h) / R) * D; \
        (P) = exp(scale * st_att_dot_ref(qi_, kj_, D) - (double)lse[((b) * H + (h)) * T + (i)]);                   \
        (DS) = (P) * (st_att_dot_ref(doi_, vj_, D) - st_att_dot_ref(doi_, oi_, D));                                \
    } while (0)
    if (dq) {
        for (int64_t b = 0; b < p.B; b++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t i = 0; i < T; i++) {
                    int64_t lo, hi;
                    st_att_query_keys(seg ? seg + b * S : NULL, S, p.q_offset + i, p.causal, p.window, &lo, &hi);
                    float *dqi = dq + ((b * T + i) * H + h) * D;
                    for (int64_t d0 = 0; d0 < D; d0 += ST_ATT_REF_CHUNK) {
                        const int64_t w = st_att_min(ST_ATT_REF_CHUNK, D - d0);
                        double acc[ST_ATT_REF_CHUNK] = {0};
                        for (int64_t j = lo; j <= hi; j++) {
                            double pij, ds;
                            ST_ATT_REF_DS(b, h, i, j, pij, ds);
                            const float *kj = k + ((b * S + j) * KV + h / R) * D;
                            for (int64_t d = 0; d < w; d++) acc[d] += ds * (double)kj[d0 + d];
                        }
                        for (int64_t d = 0; d < w; d++) dqi[d0 + d] = (float)(scale * acc[d]);
                    }
                }
    }
    if (dk || dv) {
        for (int64_t b = 0; b < p.B; b++)
            for (int64_t g = 0; g < KV; g++)
                for (int64_t j = 0; j < S; j++) {
                    int64_t plo, phi;
                    st_att_key_queries(seg ? seg + b * S : NULL, S, j, p.causal, p.window, &plo, &phi);
                    const int64_t ilo = st_att_max(plo - p.q_offset, 0), ihi = st_att_min(phi - p.q_offset, T - 1);
                    for (int64_t d0 = 0; d0 < D; d0 += ST_ATT_REF_CHUNK) {
                        const int64_t w = st_att_min(ST_ATT_REF_CHUNK, D - d0);
                        double ak[ST_ATT_REF_CHUNK] = {0}, av[ST_ATT_REF_CHUNK] = {0};
                        for (int64_t h = g * R; h < (g + 1) * R; h++)
                            for (int64_t i = ilo; i <= ihi; i++) {
                                double pij, ds;
                                ST_ATT_REF_DS(b, h, i, j, pij, ds);
                                const float *qi = q + ((b * T + i) * H + h) * D, *doi = dout + ((b * T + i) * H + h) * D;
                                for (int64_t d = 0; d < w; d++) {
                                    ak[d] += ds * (double)qi[d0 + d];
                                    av[d] += pij * (double)doi[d0 + d];
                                }
                            }
                        float *dkj = dk ? dk + ((b * S + j) * KV + g) * D : NULL;
                        float *dvj = dv ? dv + ((b * S + j) * KV + g) * D : NULL;
                        for (int64_t d = 0; d < w; d++) {
                            if (dkj) dkj[d0 + d] = (float)(scale * ak[d]);
                            if (dvj) dvj[d0 + d] = (float)av[d];
                        }
                    }
                }
    }
#undef ST_ATT_REF_DS
}

void st_attention_decode_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache,
                                 const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D,
                                 int64_t capacity, float scale, int64_t window) {
    if (B <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || capacity < 0) return;
    const int64_t R = H / KV;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = st_att_min(st_att_max(lengths[b], 0), capacity);
        const int64_t lo = window > 0 ? st_att_max(len - window, 0) : 0;
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + (b * H + h) * D;
            const float *kc = k_cache + (b * KV + h / R) * capacity * D, *vc = v_cache + (b * KV + h / R) * capacity * D;
            float *oh = out + (b * H + h) * D;
            if (lo >= len) {
                for (int64_t d = 0; d < D; d++) oh[d] = 0.0f;
                continue;
            }
            double m = -INFINITY, l = 0.0;
            for (int64_t j = lo; j < len; j++) {
                double s = (double)scale * st_att_dot_ref(qh, kc + j * D, D);
                if (s > m) m = s;
            }
            for (int64_t j = lo; j < len; j++) l += exp((double)scale * st_att_dot_ref(qh, kc + j * D, D) - m);
            for (int64_t d0 = 0; d0 < D; d0 += ST_ATT_REF_CHUNK) {
                const int64_t w = st_att_min(ST_ATT_REF_CHUNK, D - d0);
                double acc[ST_ATT_REF_CHUNK] = {0};
                for (int64_t j = lo; j < len; j++) {
                    double pj = exp((double)scale * st_att_dot_ref(qh, kc + j * D, D) - m) / l;
                    for (int64_t d = 0; d < w; d++) acc[d] += pj * (double)vc[j * D + d0 + d];
                }
                for (int64_t d = 0; d < w; d++) oh[d0 + d] = (float)acc[d];
            }
        }
    }
}

// MARK: - AVX2 paths

#if defined(ST_X86)

typedef struct {
    float *out, *lse_out, *dq, *dk, *dv;
    const float *q, *k, *v, *dout, *o, *lse;
    const int32_t *seg;
    int64_t B, T, S, H, KV, D, R, q_offset, window;
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

/// Bounds of the key ranges of a query tile: union [kmin, kmax] over rows that see something, and the largest lo.
typedef struct {
    int64_t kmin, kmax;
} st_att_bounds;

/// Key ranges lo[r], hi[r] of queries i0 .. i0+nq-1 of row b (st_att_query_keys with a run cache); returns 0 when no
/// query of the tile sees any key.
static int st_att_tile_ranges(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t i0, int64_t nq, int64_t *lo,
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
ST_AVX2 static void st_att_transpose(float *Xt, int64_t ldt, const float *X, int64_t ldx, int64_t nk, int64_t nc,
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

/// C[r * ldc + c] = Σ_{d < D} A[r * lda + d] · Bt[d * ldb + c] for r < nr, c < nc (nc a multiple of 16).
ST_AVX2 static void st_att_gemm_abt(float *C, int64_t ldc, const float *A, int64_t lda, int64_t nr, const float *Bt,
                                    int64_t ldb, int64_t nc, int64_t D) {
    int64_t r = 0;
    for (; r + 4 <= nr; r += 4) {
        const float *a0 = A + r * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        for (int64_t c = 0; c < nc; c += 16) {
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
                   c31 = c00;
            const float *bp = Bt + c;
            for (int64_t d = 0; d < D; d++, bp += ldb) {
                const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
                __m256 x = _mm256_broadcast_ss(a0 + d);
                c00 = _mm256_fmadd_ps(x, b0, c00);
                c01 = _mm256_fmadd_ps(x, b1, c01);
                x = _mm256_broadcast_ss(a1 + d);
                c10 = _mm256_fmadd_ps(x, b0, c10);
                c11 = _mm256_fmadd_ps(x, b1, c11);
                x = _mm256_broadcast_ss(a2 + d);
                c20 = _mm256_fmadd_ps(x, b0, c20);
                c21 = _mm256_fmadd_ps(x, b1, c21);
                x = _mm256_broadcast_ss(a3 + d);
                c30 = _mm256_fmadd_ps(x, b0, c30);
                c31 = _mm256_fmadd_ps(x, b1, c31);
            }
            float *cp = C + r * ldc + c;
            _mm256_storeu_ps(cp, c00);
            _mm256_storeu_ps(cp + 8, c01);
            _mm256_storeu_ps(cp + ldc, c10);
            _mm256_storeu_ps(cp + ldc + 8, c11);
            _mm256_storeu_ps(cp + 2 * ldc, c20);
            _mm256_storeu_ps(cp + 2 * ldc + 8, c21);
            _mm256_storeu_ps(cp + 3 * ldc, c30);
            _mm256_storeu_ps(cp + 3 * ldc + 8, c31);
        }
    }
    for (; r < nr; r++) {
        const float *a0 = A + r * lda;
        int64_t c = 0;
        for (; c + 32 <= nc; c += 32) {
            __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
            const float *bp = Bt + c;
            for (int64_t d = 0; d < D; d++, bp += ldb) {
                const __m256 x = _mm256_broadcast_ss(a0 + d);
                c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp), c0);
                c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 8), c1);
                c2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 16), c2);
                c3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 24), c3);
            }
            float *cp = C + r * ldc + c;
            _mm256_storeu_ps(cp, c0);
            _mm256_storeu_ps(cp + 8, c1);
            _mm256_storeu_ps(cp + 16, c2);
            _mm256_storeu_ps(cp + 24, c3);
        }
        for (; c < nc; c += 16) {
            __m256 c0 = _mm256_setzero_ps(), c1 = c0;
            const float *bp = Bt + c;
            for (int64_t d = 0; d < D; d++, bp += ldb) {
                const __m256 x = _mm256_broadcast_ss(a0 + d);
                c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp), c0);
                c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 8), c1);
            }
            _mm256_storeu_ps(C + r * ldc + c, c0);
            _mm256_storeu_ps(C + r * ldc + c + 8, c1);
        }
    }
}

// One column chunk (NV = 1 or 2 vectors at column d0) of st_att_gemm_ab: rows in fours, then one at a time.
// LD0 / LD1 load the first / second vector of a B row (masked in the last chunk when D is not a multiple of 16).
#define ST_ATT_AB_CHUNK(NV, LD0, LD1)                                                                             \
    do {                                                                                                          \
        int64_t r = 0;                                                                                            \
        for (; r + 4 <= nr; r += 4) {                                                                             \
            float *c0 = C + r * ldc + d0, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;                         \
            const __m256 z_ = _mm256_setzero_ps();                                                                \
            __m256 x00 = _mm256_loadu_ps(c0), x10 = _mm256_loadu_ps(c1), x20 = _mm256_loadu_ps(c2),              \
                   x30 = _mm256_loadu_ps(c3);                                                                     \
            __m256 x01 = (NV) > 1 ? _mm256_loadu_ps(c0 + 8) : z_, x11 = (NV) > 1 ? _mm256_loadu_ps(c1 + 8) : z_,  \
                   x21 = (NV) > 1 ? _mm256_loadu_ps(c2 + 8) : z_, x31 = (NV) > 1 ? _mm256_loadu_ps(c3 + 8) : z_;  \
            const float *ap = A + r * ars, *bp = B + d0;                                                          \
            for (int64_t j = 0; j < nj; j++, ap += acs, bp += ldb) {                                              \
                const __m256 b0 = LD0(bp), b1 = (NV) > 1 ? LD1(bp + 8) : z_;                                      \
                __m256 p_ = _mm256_broadcast_ss(ap);                                                              \
                x00 = _mm256_fmadd_ps(p_, b0, x00);                                                               \
                if ((NV) > 1) x01 = _mm256_fmadd_ps(p_, b1, x01);                                                 \
                p_ = _mm256_broadcast_ss(ap + ars);                                                               \
                x10 = _mm256_fmadd_ps(p_, b0, x10);                                                               \
                if ((NV) > 1) x11 = _mm256_fmadd_ps(p_, b1, x11);                                                 \
                p_ = _mm256_broadcast_ss(ap + 2 * ars);                                                           \
                x20 = _mm256_fmadd_ps(p_, b0, x20);                                                               \
                if ((NV) > 1) x21 = _mm256_fmadd_ps(p_, b1, x21);                                                 \
                p_ = _mm256_broadcast_ss(ap + 3 * ars);                                                           \
                x30 = _mm256_fmadd_ps(p_, b0, x30);                                                               \
                if ((NV) > 1) x31 = _mm256_fmadd_ps(p_, b1, x31);                                                 \
            }                                                                                                     \
            _mm256_storeu_ps(c0, x00);                                                                            \
            _mm256_storeu_ps(c1, x10);                                                                            \
            _mm256_storeu_ps(c2, x20);                                                                            \
            _mm256_storeu_ps(c3, x30);                                                                            \
            if ((NV) > 1) {                                                                                       \
                _mm256_storeu_ps(c0 + 8, x01);                                                                    \
                _mm256_storeu_ps(c1 + 8, x11);                                                                    \
                _mm256_storeu_ps(c2 + 8, x21);                                                                    \
                _mm256_storeu_ps(c3 + 8, x31);                                                                    \
            }                                                                                                     \
        }                                                                                                         \
        for (; r < nr; r++) {                                                                                     \
            float *c0 = C + r * ldc + d0;                                                                         \
            const __m256 z_ = _mm256_setzero_ps();                                                                \
            __m256 x00 = _mm256_loadu_ps(c0), x01 = (NV) > 1 ? _mm256_loadu_ps(c0 + 8) : z_;                      \
            const float *ap = A + r * ars, *bp = B + d0;                                                          \
            for (int64_t j = 0; j < nj; j++, ap += acs, bp += ldb) {                                              \
                const __m256 p_ = _mm256_broadcast_ss(ap);                                                        \
                x00 = _mm256_fmadd_ps(p_, LD0(bp), x00);                                                          \
                if ((NV) > 1) x01 = _mm256_fmadd_ps(p_, LD1(bp + 8), x01);                                        \
            }                                                                                                     \
            _mm256_storeu_ps(c0, x00);                                                                            \
            if ((NV) > 1) _mm256_storeu_ps(c0 + 8, x01);                                                          \
        }                                                                                                         \
    } while (0)

/// C[r * ldc + d] += Σ_{j < nj} A[r * ars + j * acs] · B[j * ldb + d] for r < nr, d < D. C rows hold Dp = D rounded
/// up to 8 floats (the padding lanes only ever receive zeros); B rows are read in place (masked past D).
ST_AVX2 static void st_att_gemm_ab(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, int64_t nr,
                                   const float *B, int64_t ldb, int64_t nj, int64_t D) {
    for (int64_t d0 = 0; d0 < D; d0 += 16) {
        const int64_t w = D - d0;
        if (w >= 16) {
#define ST_LDU(p) _mm256_loadu_ps(p)
            ST_ATT_AB_CHUNK(2, ST_LDU, ST_LDU);
        } else if (w > 8) {
            const __m256i m1 = st_v_tail_mask(w - 8);
#define ST_LDM1(p) _mm256_maskload_ps((p), m1)
            ST_ATT_AB_CHUNK(2, ST_LDU, ST_LDM1);
        } else {
            const __m256i m0 = st_v_tail_mask(w);
#define ST_LDM0(p) _mm256_maskload_ps((p), m0)
            ST_ATT_AB_CHUNK(1, ST_LDM0, ST_LDM0);
        }
    }
#undef ST_LDU
#undef ST_LDM1
#undef ST_LDM0
}

/// s[c] = s[c] · scale for c in [clo, chi), -inf elsewhere in [0, nc) (nc a multiple of 8); returns the maximum.
ST_AVX2 static float st_att_row_scale_max(float *s, int64_t nc, int64_t clo, int64_t chi, float scale) {
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
ST_AVX2 static float st_att_row_exp(float *s, int64_t nc, float m) {
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

/// s[c] = exp(s[c] · scale - lse) for c in [clo, chi), 0 elsewhere in [0, nc) (nc a multiple of 8).
ST_AVX2 static void st_att_row_probs(float *s, int64_t nc, int64_t clo, int64_t chi, float scale, float lse) {
    const __m256 vs = _mm256_set1_ps(scale), vl = _mm256_set1_ps(lse);
    for (int64_t c = 0; c < nc; c += 8) {
        const __m256 e = st_v_exp(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(s + c), vs), vl));
        _mm256_storeu_ps(s + c, _mm256_and_ps(e, st_att_lane_mask(c, clo, chi)));
    }
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

// MARK: Forward

/// One query block [i0, i0 + BQ) of (row b, head h). buf: Kt [D][BK], O [BQ][Dp], S [BQ][BK].
ST_AVX2 static void st_att_fwd_block(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t h, int64_t i0,
                                     float *buf) {
    const int64_t T = x->T, S = x->S, H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), bk = x->bk;
    const int64_t nq = st_att_min(x->bq, T - i0), g = h / x->R, ldq = H * D, ldk = KV * D;
    const float *qb = x->q + ((b * T + i0) * H + h) * D;
    const float *kb = x->k + (b * S * KV + g) * D, *vb = x->v + (b * S * KV + g) * D;
    float *Kt = buf, *O = Kt + D * bk, *Sb = O + x->bq * Dp;
    int64_t lo[ST_ATT_BQ_MAX], hi[ST_ATT_BQ_MAX];
    float m[ST_ATT_BQ_MAX];
    double l[ST_ATT_BQ_MAX];
    st_att_bounds bd;
    const int any = st_att_tile_ranges(x, rc, b, i0, nq, lo, hi, &bd);
    for (int64_t r = 0; r < nq; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0;
    }
    memset(O, 0, (size_t)(nq * Dp) * sizeof(float));
    for (int64_t k0 = bd.kmin; any && k0 <= bd.kmax; k0 += bk) {
        const int64_t nk = st_att_min(bk, bd.kmax + 1 - k0), nc = st_att_pad16(nk);
        if (!st_att_tile_visible(lo, hi, nq, k0, nk)) continue;
        st_att_transpose(Kt, bk, kb + k0 * ldk, ldk, nk, nc, D);
        st_att_gemm_abt(Sb, bk, qb, ldq, nq, Kt, bk, nc, D);
        for (int64_t r = 0; r < nq; r++) {
            float *s = Sb + r * bk;
            int64_t clo, chi;
            st_att_cols(lo[r], hi[r], k0, nk, &clo, &chi);
            const float mx = clo < chi ? st_att_row_scale_max(s, nc, clo, chi, x->scale) : -INFINITY;
            const float mn = mx > m[r] ? mx : m[r];
            if (clo >= chi || mn == -INFINITY) {   // the row sees nothing here: no probabilities from it
                memset(s, 0, (size_t)nc * sizeof(float));
                continue;
            }
            const float alpha = m[r] == -INFINITY ? 0.0f : expf(m[r] - mn);
            const float sum = st_att_row_exp(s, nc, mn);
            l[r] = l[r] * (double)alpha + (double)sum;
            m[r] = mn;
            if (alpha != 1.0f) st_att_scale_row(O + r * Dp, Dp, alpha);
        }
        st_att_gemm_ab(O, Dp, Sb, bk, 1, nq, vb + k0 * ldk, ldk, nk, D);
    }
    for (int64_t r = 0; r < nq; r++) {
        float *orow = x->out + ((b * T + i0 + r) * H + h) * D;
        float *lrow = x->lse_out + (b * H + h) * T + i0 + r;
        if (l[r] > 0.0) {
            st_att_store_scaled(orow, O + r * Dp, D, (float)(1.0 / l[r]));
            *lrow = (float)((double)m[r] + log(l[r]));
        } else {
            memset(orow, 0, (size_t)D * sizeof(float));
            *lrow = -INFINITY;
        }
    }
}

ST_AVX2 static void st_att_fwd_range_avx2(void *ctx, int64_t begin, int64_t end) {
    const st_att_ctx *x = (const st_att_ctx *)ctx;
    float buf[ST_ATT_BUF_FLOATS] __attribute__((aligned(32)));
    st_att_run rc[2] = {{-1, 0, -1}, {-1, 0, -1}};   // one run cache per zig-zag direction
    for (int64_t t = begin; t < end; t++) {
        const int64_t unit = t / x->nblocks, u = t % x->nblocks;
        st_att_fwd_block(x, &rc[u & 1], unit / x->H, unit % x->H, st_att_zigzag(u, x->nblocks) * x->bq, buf);
    }
}

// MARK: Backward pass B (dQ)

/// One query block [i0, i0 + BQ) of (row b, head h). buf: Kt [D][BK], Vt [D][BK], dQ [BQ][Dp], P [BQ][BK],
/// dS [BQ][BK].
ST_AVX2 static void st_att_dq_block(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t h, int64_t i0,
                                    float *buf) {
    const int64_t T = x->T, S = x->S, H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), bk = x->bk, bq = x->bq;
    const int64_t nq = st_att_min(bq, T - i0), g = h / x->R, ldq = H * D, ldk = KV * D;
    const float *qb = x->q + ((b * T + i0) * H + h) * D, *dob = x->dout + ((b * T + i0) * H + h) * D;
    const float *ob = x->o + ((b * T + i0) * H + h) * D, *lb = x->lse + (b * H + h) * T + i0;
    const float *kb = x->k + (b * S * KV + g) * D, *vb = x->v + (b * S * KV + g) * D;
    float *Kt = buf, *Vt = Kt + D * bk, *dQ = Vt + D * bk, *P = dQ + bq * Dp, *dS = P + bq * bk;
    int64_t lo[ST_ATT_BQ_MAX], hi[ST_ATT_BQ_MAX];
    float di[ST_ATT_BQ_MAX];
    st_att_bounds bd;
    const int any = st_att_tile_ranges(x, rc, b, i0, nq, lo, hi, &bd);
    memset(dQ, 0, (size_t)(nq * Dp) * sizeof(float));
    for (int64_t r = 0; any && r < nq; r++) di[r] = st_att_dot(dob + r * ldq, ob + r * ldq, D);
    for (int64_t k0 = bd.kmin; any && k0 <= bd.kmax; k0 += bk) {
        const int64_t nk = st_att_min(bk, bd.kmax + 1 - k0), nc = st_att_pad16(nk);
        if (!st_att_tile_visible(lo, hi, nq, k0, nk)) continue;
        st_att_transpose(Kt, bk, kb + k0 * ldk, ldk, nk, nc, D);
        st_att_transpose(Vt, bk, vb + k0 * ldk, ldk, nk, nc, D);
        st_att_gemm_abt(P, bk, qb, ldq, nq, Kt, bk, nc, D);
        st_att_gemm_abt(dS, bk, dob, ldq, nq, Vt, bk, nc, D);
        for (int64_t r = 0; r < nq; r++) {
            int64_t clo, chi;
            st_att_cols(lo[r], hi[r], k0, nk, &clo, &chi);
            st_att_row_probs(P + r * bk, nc, clo, chi, x->scale, lb[r]);
            st_att_row_ds(dS + r * bk, P + r * bk, nc, di[r]);
        }
        st_att_gemm_ab(dQ, Dp, dS, bk, 1, nq, kb + k0 * ldk, ldk, nk, D);
    }
    for (int64_t r = 0; r < nq; r++)
        st_att_store_scaled(x->dq + ((b * T + i0 + r) * H + h) * D, dQ + r * Dp, D, x->scale);
}

ST_AVX2 static void st_att_dq_range_avx2(void *ctx, int64_t begin, int64_t end) {
    const st_att_ctx *x = (const st_att_ctx *)ctx;
    float buf[ST_ATT_BUF_FLOATS] __attribute__((aligned(32)));
    st_att_run rc[2] = {{-1, 0, -1}, {-1, 0, -1}};
    for (int64_t t = begin; t < end; t++) {
        const int64_t unit = t / x->nblocks, u = t % x->nblocks;
        st_att_dq_block(x, &rc[u & 1], unit / x->H, unit % x->H, st_att_zigzag(u, x->nblocks) * x->bq, buf);
    }
}

// MARK: Backward pass A (dK, dV)

/// Query positions [*pmin, *pmax] that may see some key of [k0, k0 + nk) in row b (empty when *pmin > *pmax):
/// the union of st_att_key_queries over the block, with a run cache.
static void st_att_block_queries(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t k0, int64_t nk,
                                 int64_t *pmin, int64_t *pmax) {
    const int32_t *sr = x->seg ? x->seg + b * x->S : NULL;
    int64_t a = ST_ATT_FAR, z = -ST_ATT_FAR;
    for (int64_t j = k0; j < k0 + nk; j++) {
        int64_t lo = -ST_ATT_FAR, hi = ST_ATT_FAR;
        if (sr) {
            if (sr[j] < 0) continue;
            st_att_run_at(rc, sr, b, x->S, j);
            lo = rc->lo;
            hi = rc->hi;
        }
        if (x->causal && j > lo) lo = j;
        if (x->window > 0 && j + x->window - 1 < hi) hi = j + x->window - 1;
        if (lo < a) a = lo;
        if (hi > z) z = hi;
    }
    *pmin = a;
    *pmax = z;
}

/// One key block [k0, k0 + BK) of (row b, KV head g). buf: Kt [D][BK], Vt [D][BK], dK [BK][Dp], dV [BK][Dp],
/// P [BQ][BK], dS [BQ][BK].
ST_AVX2 static void st_att_dkv_block(const st_att_ctx *x, st_att_run *rc, st_att_run *kc, int64_t b, int64_t g,
                                     int64_t k0, float *buf) {
    const int64_t T = x->T, S = x->S, H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), bk = x->bk, bq = x->bq;
    const int64_t nk = st_att_min(bk, S - k0), nc = st_att_pad16(nk), ldq = H * D, ldk = KV * D;
    const float *kb = x->k + ((b * S + k0) * KV + g) * D, *vb = x->v + ((b * S + k0) * KV + g) * D;
    float *Kt = buf, *Vt = Kt + D * bk, *dK = Vt + D * bk, *dV = dK + bk * Dp, *P = dV + bk * Dp, *dS = P + bq * bk;
    int64_t lo[ST_ATT_BQ_MAX], hi[ST_ATT_BQ_MAX];
    st_att_bounds bd;
    memset(dK, 0, (size_t)(nk * Dp) * sizeof(float));
    memset(dV, 0, (size_t)(nk * Dp) * sizeof(float));
    int64_t pmin, pmax;
    st_att_block_queries(x, kc, b, k0, nk, &pmin, &pmax);
    const int64_t ia = st_att_max(pmin - x->q_offset, 0), ib = st_att_min(pmax - x->q_offset, T - 1);
    if (ia <= ib) {
        st_att_transpose(Kt, bk, kb, ldk, nk, nc, D);
        st_att_transpose(Vt, bk, vb, ldk, nk, nc, D);
    }
    for (int64_t i0 = ia; i0 <= ib; i0 += bq) {
        const int64_t nq = st_att_min(bq, ib + 1 - i0);
        if (!st_att_tile_ranges(x, rc, b, i0, nq, lo, hi, &bd)) continue;
        if (!st_att_tile_visible(lo, hi, nq, k0, nk)) continue;
        for (int64_t h = g * x->R; h < (g + 1) * x->R; h++) {
            const float *qb = x->q + ((b * T + i0) * H + h) * D, *dob = x->dout + ((b * T + i0) * H + h) * D;
            const float *ob = x->o + ((b * T + i0) * H + h) * D, *lb = x->lse + (b * H + h) * T + i0;
            st_att_gemm_abt(P, bk, qb, ldq, nq, Kt, bk, nc, D);
            for (int64_t r = 0; r < nq; r++) {
                int64_t clo, chi;
                st_att_cols(lo[r], hi[r], k0, nk, &clo, &chi);
                st_att_row_probs(P + r * bk, nc, clo, chi, x->scale, lb[r]);
            }
            if (x->dv) st_att_gemm_ab(dV, Dp, P, 1, bk, nk, dob, ldq, nq, D);
            if (x->dk) {
                st_att_gemm_abt(dS, bk, dob, ldq, nq, Vt, bk, nc, D);
                for (int64_t r = 0; r < nq; r++)
                    st_att_row_ds(dS + r * bk, P + r * bk, nc, st_att_dot(dob + r * ldq, ob + r * ldq, D));
                st_att_gemm_ab(dK, Dp, dS, 1, bk, nk, qb, ldq, nq, D);
            }
        }
    }
    for (int64_t c = 0; c < nk; c++) {
        if (x->dk) st_att_store_scaled(x->dk + ((b * S + k0 + c) * KV + g) * D, dK + c * Dp, D, x->scale);
        if (x->dv) st_att_store_scaled(x->dv + ((b * S + k0 + c) * KV + g) * D, dV + c * Dp, D, 1.0f);
    }
}

ST_AVX2 static void st_att_dkv_range_avx2(void *ctx, int64_t begin, int64_t end) {
    const st_att_ctx *x = (const st_att_ctx *)ctx;
    float buf[ST_ATT_BUF_FLOATS] __attribute__((aligned(32)));
    st_att_run rc = {-1, 0, -1}, kc[2] = {{-1, 0, -1}, {-1, 0, -1}};
    for (int64_t t = begin; t < end; t++) {
        const int64_t unit = t / x->nblocks, u = t % x->nblocks;
        st_att_dkv_block(x, &rc, &kc[u & 1], unit / x->KV, unit % x->KV, st_att_zigzag(u, x->nblocks) * x->bk, buf);
    }
}

// MARK: Decode

typedef struct {
    float *out;
    const float *q, *kc, *vc;
    const int64_t *lengths;
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
        const float *kc = x->kc + (b * KV + g) * cap * D, *vc = x->vc + (b * KV + g) * cap * D;
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

// MARK: Dispatch

/// Tile sizes per pass (0 forward, 1 dK/dV, 2 dQ) so that each pass's buffers fit ST_ATT_BUF_FLOATS.
static void st_att_tiles(int pass, int64_t D, int64_t *bq, int64_t *bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    if (Dp <= 64) {
        *bq = 64;
        *bk = 64;
    } else if (Dp <= 128) {
        *bq = 64;
        *bk = pass == 0 ? 64 : 32;
    } else {
        *bq = pass == 1 ? 64 : 32;
        *bk = pass == 0 ? 32 : 16;
    }
}

/// Floats of stack tile buffer a pass needs (checked against ST_ATT_BUF_FLOATS before taking the fast path).
static int64_t st_att_buf_floats(int pass, int64_t D, int64_t bq, int64_t bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    if (pass == 0) return D * bk + bq * Dp + bq * bk;
    if (pass == 1) return 2 * D * bk + 2 * bk * Dp + 2 * bq * bk;
    return 2 * D * bk + bq * Dp + 2 * bq * bk;
}

/// Whether the AVX2 paths take this head dim (tiles fit the stack buffer; every pass checked).
static int st_att_fast_ok(int64_t D) {
    if (D < 1 || D > ST_ATT_MAX_D || !st_cpu_has_avx2_fma()) return 0;
    for (int pass = 0; pass < 3; pass++) {
        int64_t bq, bk;
        st_att_tiles(pass, D, &bq, &bk);
        if (bq > ST_ATT_BQ_MAX || bk % 16 != 0 || st_att_buf_floats(pass, D, bq, bk) > ST_ATT_BUF_FLOATS) return 0;
    }
    return 1;
}

/// Grain for st_parallel_for over `items` work items of a pass: all inline when the whole pass is small.
static int64_t st_att_grain(const st_attention_params *p, int64_t items) {
    double keys = (double)p->S;
    if (p->window > 0 && (double)p->window < keys) keys = (double)p->window;
    if (p->causal) keys = keys / 2 + 1;
    double work = (double)p->B * (double)p->H * (double)p->T * keys * (double)(p->D + 1);
    return work < (double)(1 << 18) ? (items > 0 ? items : 1) : 1;
}

#endif   // ST_X86

// MARK: - Entry points

void st_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                              const int32_t *seg, st_attention_params p) {
    if (!st_att_params_ok(&p) || p.B == 0 || p.T == 0 || p.H == 0) return;
#if defined(ST_X86)
    if (st_att_fast_ok(p.D)) {
        st_att_ctx x = {.out = out, .lse_out = lse, .q = q, .k = k, .v = v, .seg = seg, .B = p.B, .T = p.T,
                        .S = p.S, .H = p.H, .KV = p.KV, .D = p.D, .R = p.H / p.KV, .q_offset = p.q_offset,
                        .window = p.window, .causal = p.causal, .scale = p.scale};
        st_att_tiles(0, p.D, &x.bq, &x.bk);
        x.nblocks = (p.T + x.bq - 1) / x.bq;
        const int64_t n = p.B * p.H * x.nblocks;
        st_parallel_for(n, st_att_grain(&p, n), st_att_fwd_range_avx2, &x);
        return;
    }
#endif
    st_attention_forward_f32_ref(out, lse, q, k, v, seg, p);
}

void st_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k,
                               const float *v, const float *out, const float *lse, const int32_t *seg,
                               st_attention_params p) {
    if (!st_att_params_ok(&p) || p.B == 0 || p.H == 0) return;
#if defined(ST_X86)
    if (st_att_fast_ok(p.D)) {
        st_att_ctx x = {.dq = dq, .dk = dk, .dv = dv, .q = q, .k = k, .v = v, .dout = dout, .o = out, .lse = lse,
                        .seg = seg, .B = p.B, .T = p.T, .S = p.S, .H = p.H, .KV = p.KV, .D = p.D, .R = p.H / p.KV,
                        .q_offset = p.q_offset, .window = p.window, .causal = p.causal, .scale = p.scale};
        if ((dk || dv) && p.S > 0) {
            st_att_tiles(1, p.D, &x.bq, &x.bk);
            x.nblocks = (p.S + x.bk - 1) / x.bk;
            const int64_t n = p.B * p.KV * x.nblocks;
            st_parallel_for(n, st_att_grain(&p, n), st_att_dkv_range_avx2, &x);
        }
        if (dq && p.T > 0) {
            st_att_tiles(2, p.D, &x.bq, &x.bk);
            x.nblocks = (p.T + x.bq - 1) / x.bq;
            const int64_t n = p.B * p.H * x.nblocks;
            st_parallel_for(n, st_att_grain(&p, n), st_att_dq_range_avx2, &x);
        }
        return;
    }
#endif
    st_attention_backward_f32_ref(dq, dk, dv, dout, q, k, v, out, lse, seg, p);
}

void st_attention_decode_f32(float *out, const float *q, const float *k_cache, const float *v_cache,
                             const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D, int64_t capacity,
                             float scale, int64_t window) {
    if (B <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || capacity < 0) return;
#if defined(ST_X86)
    if (st_cpu_has_avx2_fma() && D <= ST_ATT_MAX_D) {
        st_dec_ctx x = {.out = out, .q = q, .kc = k_cache, .vc = v_cache, .lengths = lengths, .H = H, .KV = KV,
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
    st_attention_decode_f32_ref(out, q, k_cache, v_cache, lengths, B, H, KV, D, capacity, scale, window);
}
