// attention_forward.c — the tiled forward pass (online softmax, saves the log-sum-exp per query) and its entry point.
#include "attention_internal.h"

#if defined(ST_X86)

// MARK: Forward

/// One query block [i0, i0 + BQ) of (row b, head h). The block's queries are transposed once (Qt [D][BQ]); each key
/// tile gives St = K·Qt [BK][BQ] (keys × queries), so the softmax runs down columns, 8 queries per vector, and
/// O [BQ][Dp] += Stᵀ·V reads V rows in place. buf: Qt, O, St.
ST_AVX2 static void st_att_fwd_block(const st_att_ctx *x, st_att_run *rc, int64_t b, int64_t h, int64_t i0,
                                     float *buf) {
    const int64_t T = x->T, H = x->H, D = x->D, Dp = st_att_pad8(D), bk = x->bk, bq = x->bq;
    const int64_t nq = st_att_min(bq, T - i0), nqp = st_att_pad16(nq), g = h / x->R, ldq = H * D, ldk = x->kv_pos;
    const float *qb = x->q + ((b * T + i0) * H + h) * D;
    const float *kb = x->k + b * x->kv_row + g * x->kv_head, *vb = x->v + b * x->kv_row + g * x->kv_head;
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
        float *lrow = x->lse_out ? x->lse_out + (b * H + h) * T + i0 + r : NULL;   // NULL: not saved
        if (l[r] > 0.0) {
            st_att_store_scaled(orow, O + r * Dp, D, (float)(1.0 / l[r]));
            if (lrow) *lrow = (float)((double)m[r] * 0.69314718055994531 + log(l[r]));
        } else {
            memset(orow, 0, (size_t)D * sizeof(float));
            if (lrow) *lrow = -INFINITY;
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

#endif   // ST_X86

// MARK: - Entry point

void st_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                              const int32_t *seg, st_attention_params p) {
    if (!st_att_params_ok(&p) || p.B == 0 || p.T == 0 || p.H == 0) return;
#if defined(ST_X86)
    if (st_att_fast_ok(p.D)) {
        st_att_ctx x = {.out = out, .lse_out = lse, .q = q, .k = k, .v = v, .seg = seg, .B = p.B, .T = p.T,
                        .S = p.S, .H = p.H, .KV = p.KV, .D = p.D, .R = p.H / p.KV, .q_offset = p.q_offset,
                        .window = p.window, .kv_row = p.S * p.KV * p.D, .kv_head = p.D, .kv_pos = p.KV * p.D,
                        .causal = p.causal, .scale = p.scale};
        st_att_tiles(0, p.D, &x.bq, &x.bk);
        x.nblocks = (p.T + x.bq - 1) / x.bq;
        const int64_t n = p.B * p.H * x.nblocks;
        st_parallel_for_dynamic(n, st_att_grain(&p, n), ST_ATT_CHUNKS_PER_THREAD, st_att_fwd_range_avx2, &x);
        return;
    }
#endif
    st_attention_forward_f32_ref(out, lse, q, k, v, seg, p);
}

void st_attention_cached_f32(float *out, const float *q, const float *k_cache, const float *v_cache, int64_t T,
                             int64_t offset, int64_t H, int64_t KV, int64_t D, int64_t capacity, float scale,
                             int64_t window) {
    if (T <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || offset < 0 || offset + T > capacity) return;
#if defined(ST_X86)
    if (st_att_fast_ok(D)) {
        // The forward pass's query blocks over one row whose keys are the cache's head-major [KV, capacity, D]:
        // S = offset + T keys, query i at position offset + i (causal), no segments.
        st_att_ctx x = {.out = out, .lse_out = NULL, .q = q, .k = k_cache, .v = v_cache, .seg = NULL, .B = 1, .T = T,
                        .S = offset + T, .H = H, .KV = KV, .D = D, .R = H / KV, .q_offset = offset, .window = window,
                        .kv_row = 0, .kv_head = capacity * D, .kv_pos = D, .causal = 1, .scale = scale};
        st_att_tiles(0, D, &x.bq, &x.bk);
        x.nblocks = (T + x.bq - 1) / x.bq;
        const st_attention_params p = {.B = 1, .T = T, .S = offset + T, .H = H, .KV = KV, .D = D, .scale = scale,
                                       .causal = 1, .window = window, .q_offset = offset};
        const int64_t n = H * x.nblocks;
        st_parallel_for_dynamic(n, st_att_grain(&p, n), ST_ATT_CHUNKS_PER_THREAD, st_att_fwd_range_avx2, &x);
        return;
    }
#endif
    st_attention_cached_f32_ref(out, q, k_cache, v_cache, T, offset, H, KV, D, capacity, scale, window);
}
