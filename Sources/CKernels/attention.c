// attention.c — attention over packed sequences: mask descriptions, tiled forward / backward with grouped-query
// attention (FlashAttention-2 style, Dao 2023), and the one-query decode path.
//
// Purpose: never build the T×S score matrix. Every query i sees one contiguous key range [lo_i, hi_i] (its own
// segment, causal, sliding window), so the fast paths walk query blocks × key tiles, skip every tile that no query
// of the block sees, and mask elementwise only inside tiles that are partly visible. A row of k equal segments thus
// costs about 1/k of a dense causal row.
//
// Why one file of ~1,200 lines: the forward, both backward passes and decode share the static-inline tile helpers
// (visibility ranges, the 6×16 register kernel, the online-softmax update) and the _ref twins; splitting them
// would need a private header of inline functions. The planned split is attention_ref.c / attention_forward.c /
// attention_backward.c / attention_decode.c over an st_attention_internal.h.
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

/// Union [kmin, kmax] of the key ranges of the queries of a tile that see something.
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
ST_AVX2 static void st_att_gemm_abt(float *C, int64_t ldc, const float *A, int64_t lda, int64_t nr, const float *Bt,
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
ST_AVX2 static void st_att_gemm_ab(float *C, int64_t ldc, const float *A, int64_t ars, int64_t acs, int64_t nr,
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
ST_AVX2 static void st_att_softmax_cols(float *St, int64_t ld, int64_t nk, int64_t nqp, const int32_t *clo,
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
ST_AVX2 static void st_att_ds_cols(const float *St, float *dSt, int64_t ld, int64_t nk, int64_t nqp,
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
ST_AVX2 static void st_att_row_probs2(float *s, int64_t nc, int64_t clo, int64_t chi, float scale, float lse2) {
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

// MARK: Forward

/// One query block [i0, i0 + BQ) of (row b, head h). The block's queries are transposed once (Qt [D][BQ]); each key
/// tile gives St = K·Qt [BK][BQ] (keys × queries), so the softmax runs down columns, 8 queries per vector, and
/// O [BQ][Dp] += Stᵀ·V reads V rows in place. buf: Qt, O, St.
ST_AVX2 static void st_att_fwd_block(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t h, int64_t i0,
                                     float *buf) {
    const int64_t T = x->T, S = x->S, H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), bk = x->bk, bq = x->bq;
    const int64_t nq = st_att_min(bq, T - i0), nqp = st_att_pad16(nq), g = h / x->R, ldq = H * D, ldk = KV * D;
    const float *qb = x->q + ((b * T + i0) * H + h) * D;
    const float *kb = x->k + (b * S * KV + g) * D, *vb = x->v + (b * S * KV + g) * D;
    float *Qt = buf, *O = Qt + D * bq, *St = O + bq * Dp;
    int64_t lo[ST_ATT_BQ_MAX], hi[ST_ATT_BQ_MAX];
    int32_t clo[ST_ATT_BQ_MAX], chi[ST_ATT_BQ_MAX];
    float m[ST_ATT_BQ_MAX], alpha[ST_ATT_BQ_MAX];
    double l[ST_ATT_BQ_MAX];
    st_att_bounds bd;
    const int any = st_att_tile_ranges(x, rc, b, i0, nq, lo, hi, &bd);
    for (int64_t r = 0; r < nqp; r++) {
        if (r >= nq) {
            lo[r] = 0;
            hi[r] = -1;
        }
        m[r] = -INFINITY;
        l[r] = 0.0;
    }
    if (any) {
        memset(O, 0, (size_t)(nq * Dp) * sizeof(float));
        st_att_transpose(Qt, bq, qb, ldq, nq, nqp, D);
    }
    for (int64_t k0 = bd.kmin; any && k0 <= bd.kmax; k0 += bk) {
        const int64_t nk = st_att_min(bk, bd.kmax + 1 - k0);
        if (!st_att_tile_visible(lo, hi, nq, k0, nk)) continue;
        st_att_prefetch_rows(kb + (k0 + nk) * ldk, ldk, st_att_min(bk, bd.kmax + 1 - k0 - nk), D);
        st_att_prefetch_rows(vb + (k0 + nk) * ldk, ldk, st_att_min(bk, bd.kmax + 1 - k0 - nk), D);
        st_att_gemm_abt(St, bq, kb + k0 * ldk, ldk, nk, Qt, bq, nqp, D);
        st_att_col_bounds(clo, chi, lo, hi, nqp, k0, nk);
        st_att_softmax_cols(St, bq, nk, nqp, clo, chi, x->scale, m, l, alpha);
        for (int64_t r = 0; r < nq; r++)
            if (alpha[r] != 1.0f) st_att_scale_row(O + r * Dp, Dp, alpha[r]);
        st_att_gemm_ab(O, Dp, St, 1, bq, nq, vb + k0 * ldk, ldk, nk, D);
    }
    for (int64_t r = 0; r < nq; r++) {
        float *orow = x->out + ((b * T + i0 + r) * H + h) * D;
        float *lrow = x->lse_out + (b * H + h) * T + i0 + r;
        if (l[r] > 0.0) {
            st_att_store_scaled(orow, O + r * Dp, D, (float)(1.0 / l[r]));
            *lrow = (float)((double)m[r] * 0.69314718055994531 + log(l[r]));
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

/// One query block [i0, i0 + BQ) of (row b, head h). Q and dO of the block are transposed once (Qt, dOt [D][BQ]); each
/// key tile gives St = K·Qt and dSt = V·dOt [BK][BQ], turned into dS down the columns, and dQ [BQ][Dp] += dSᵀ·K reads
/// K rows in place. buf: Qt, dOt, dQ, St, dSt.
ST_AVX2 static void st_att_dq_block(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t h, int64_t i0,
                                    float *buf) {
    const int64_t T = x->T, S = x->S, H = x->H, KV = x->KV, D = x->D, Dp = st_att_pad8(D), bk = x->bk, bq = x->bq;
    const int64_t nq = st_att_min(bq, T - i0), nqp = st_att_pad16(nq), g = h / x->R, ldq = H * D, ldk = KV * D;
    const float *qb = x->q + ((b * T + i0) * H + h) * D, *dob = x->dout + ((b * T + i0) * H + h) * D;
    const float *ob = x->o + ((b * T + i0) * H + h) * D, *lb = x->lse + (b * H + h) * T + i0;
    const float *kb = x->k + (b * S * KV + g) * D, *vb = x->v + (b * S * KV + g) * D;
    float *Qt = buf, *dOt = Qt + D * bq, *dQ = dOt + D * bq, *St = dQ + bq * Dp, *dSt = St + bk * bq;
    int64_t lo[ST_ATT_BQ_MAX], hi[ST_ATT_BQ_MAX];
    int32_t clo[ST_ATT_BQ_MAX], chi[ST_ATT_BQ_MAX];
    float di[ST_ATT_BQ_MAX], lse[ST_ATT_BQ_MAX];
    st_att_bounds bd;
    const int any = st_att_tile_ranges(x, rc, b, i0, nq, lo, hi, &bd);
    memset(dQ, 0, (size_t)(nq * Dp) * sizeof(float));
    if (any) {
        for (int64_t r = 0; r < nqp; r++) {
            if (r < nq) {
                di[r] = st_att_dot(dob + r * ldq, ob + r * ldq, D);
                lse[r] = lb[r] * ST_ATT_LOG2E;
            } else {
                lo[r] = 0;
                hi[r] = -1;
                di[r] = 0.0f;
                lse[r] = 0.0f;
            }
        }
        st_att_transpose(Qt, bq, qb, ldq, nq, nqp, D);
        st_att_transpose(dOt, bq, dob, ldq, nq, nqp, D);
    }
    for (int64_t k0 = bd.kmin; any && k0 <= bd.kmax; k0 += bk) {
        const int64_t nk = st_att_min(bk, bd.kmax + 1 - k0);
        if (!st_att_tile_visible(lo, hi, nq, k0, nk)) continue;
        st_att_gemm_abt(St, bq, kb + k0 * ldk, ldk, nk, Qt, bq, nqp, D);
        st_att_gemm_abt(dSt, bq, vb + k0 * ldk, ldk, nk, dOt, bq, nqp, D);
        st_att_col_bounds(clo, chi, lo, hi, nqp, k0, nk);
        st_att_ds_cols(St, dSt, bq, nk, nqp, clo, chi, x->scale, lse, di);
        st_att_gemm_ab(dQ, Dp, dSt, 1, bq, nq, kb + k0 * ldk, ldk, nk, D);
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
                st_att_row_probs2(P + r * bk, nc, clo, chi, x->scale, lb[r] * ST_ATT_LOG2E);
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

// MARK: Dispatch

/// Tile sizes per pass (0 forward, 1 dK/dV, 2 dQ) so that each pass's buffers fit ST_ATT_BUF_FLOATS. Query tiles are
/// multiples of 16 (the micro-kernel width in the forward and dQ passes), key tiles multiples of 16 (dK/dV pass).
static void st_att_tiles(int pass, int64_t D, int64_t *bq, int64_t *bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    *bk = 64;
    if (pass == 0) *bq = Dp <= 128 ? 64 : 32;
    else if (pass == 1) {
        *bq = 64;
        *bk = Dp <= 64 ? 64 : (Dp <= 128 ? 32 : 16);
    } else *bq = Dp <= 64 ? 64 : (Dp <= 128 ? 32 : 16);
}

/// Floats of stack tile buffer a pass needs (checked against ST_ATT_BUF_FLOATS before taking the fast path).
static int64_t st_att_buf_floats(int pass, int64_t D, int64_t bq, int64_t bk) {
    const int64_t Dp = (D + 7) & ~(int64_t)7;
    if (pass == 0) return D * bq + bq * Dp + bk * bq;                  // Qt, O, St
    if (pass == 1) return 2 * D * bk + 2 * bk * Dp + 2 * bq * bk;      // Kt, Vt, dK, dV, P, dS
    return 2 * D * bq + bq * Dp + 2 * bk * bq;                         // Qt, dOt, dQ, St, dSt
}

/// Whether the AVX2 paths take this head dim (tiles fit the stack buffer; every pass checked).
static int st_att_fast_ok(int64_t D) {
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
        st_parallel_for_dynamic(n, st_att_grain(&p, n), ST_ATT_CHUNKS_PER_THREAD, st_att_fwd_range_avx2, &x);
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
            st_parallel_for_dynamic(n, st_att_grain(&p, n), ST_ATT_CHUNKS_PER_THREAD, st_att_dkv_range_avx2, &x);
        }
        if (dq && p.T > 0) {
            st_att_tiles(2, p.D, &x.bq, &x.bk);
            x.nblocks = (p.T + x.bq - 1) / x.bq;
            const int64_t n = p.B * p.H * x.nblocks;
            st_parallel_for_dynamic(n, st_att_grain(&p, n), ST_ATT_CHUNKS_PER_THREAD, st_att_dq_range_avx2, &x);
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
