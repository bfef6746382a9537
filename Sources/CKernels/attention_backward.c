// attention_backward.c — the two deterministic backward passes (A: dK and dV per key block; B: dQ per query block)
// and their entry point.
#include "attention_internal.h"

#if defined(ST_X86)

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

#endif   // ST_X86

// MARK: - Entry point

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
