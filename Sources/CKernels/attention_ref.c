// attention_ref.c — packed-sequence masks (segment ids from cu_seqlens, dense masks) and the scalar `_ref` twins of
// the attention kernels, which define their results (see attention_internal.h).
#include "attention_internal.h"

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

void st_attention_decode_slots_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache,
                                       const int64_t *lengths, const int64_t *slots, int64_t B, int64_t H,
                                       int64_t KV, int64_t D, int64_t capacity, float scale, int64_t window) {
    if (B <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || capacity < 0) return;
    const int64_t R = H / KV;
    for (int64_t b = 0; b < B; b++) {
        const int64_t len = st_att_min(st_att_max(lengths[b], 0), capacity);
        const int64_t lo = window > 0 ? st_att_max(len - window, 0) : 0;
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + (b * H + h) * D;
            const int64_t slot = slots ? slots[b] : b;
            const float *kc = k_cache + (slot * KV + h / R) * capacity * D;
            const float *vc = v_cache + (slot * KV + h / R) * capacity * D;
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

void st_attention_decode_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache,
                                 const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D,
                                 int64_t capacity, float scale, int64_t window) {
    st_attention_decode_slots_f32_ref(out, q, k_cache, v_cache, lengths, NULL, B, H, KV, D, capacity, scale, window);
}

void st_attention_cached_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache, int64_t T,
                                 int64_t offset, int64_t H, int64_t KV, int64_t D, int64_t capacity, float scale,
                                 int64_t window) {
    if (T <= 0 || H <= 0 || KV < 1 || H % KV != 0 || D <= 0 || offset < 0 || offset + T > capacity) return;
    const int64_t R = H / KV;
    for (int64_t i = 0; i < T; i++) {
        const int64_t pos = offset + i, lo = window > 0 ? st_att_max(pos - window + 1, 0) : 0;
        for (int64_t h = 0; h < H; h++) {
            const float *qh = q + (i * H + h) * D;
            const float *kc = k_cache + (h / R) * capacity * D, *vc = v_cache + (h / R) * capacity * D;
            float *oh = out + (i * H + h) * D;
            double m = -INFINITY, l = 0.0;
            for (int64_t j = lo; j <= pos; j++) {
                const double s = (double)scale * st_att_dot_ref(qh, kc + j * D, D);
                if (s > m) m = s;
            }
            for (int64_t j = lo; j <= pos; j++) l += exp((double)scale * st_att_dot_ref(qh, kc + j * D, D) - m);
            for (int64_t d0 = 0; d0 < D; d0 += ST_ATT_REF_CHUNK) {
                const int64_t w = st_att_min(ST_ATT_REF_CHUNK, D - d0);
                double acc[ST_ATT_REF_CHUNK] = {0};
                for (int64_t j = lo; j <= pos; j++) {
                    const double pj = exp((double)scale * st_att_dot_ref(qh, kc + j * D, D) - m) / l;
                    for (int64_t d = 0; d < w; d++) acc[d] += pj * (double)vc[j * D + d0 + d];
                }
                for (int64_t d = 0; d < w; d++) oh[d0 + d] = (float)acc[d];
            }
        }
    }
}
