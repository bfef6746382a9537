// Skinny products of a LoRA branch: one extent is the adapter rank R (1..64, typically 8), the others are the
// tokens M and the features K / N (hundreds to thousands). sgemm packs the whole big operand for each of these
// (and transposes it for Gᵀ·h and Ĝᵀ·x) although the other operand fits in L1; these kernels stream it once,
// unpacked. All matrices are row-major and contiguous.
//
// Per-element arithmetic is fixed (it does not depend on the blocking or on which thread computes the element), so
// results are bit-identical for any thread count, and the AVX2+FMA paths are bit-identical to their scalar twins
// (which use fmaf in the same order).
//
// Shape legend: M = rows (tokens), K = input features (length of a dot product), N = output features,
// R = rank.
#ifndef ST_LOWRANK_H
#define ST_LOWRANK_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// out[m, j] = scale · Σ_k x[m, k] · w[j, k]: out `[M, R]` = scale · x `[M, K]` · wᵀ, w `[R, K]`.
/// LoRA: h = x · Aᵀ (w = A), Ĝ = s · G · B (w = Bᵀ `[R, out]`). Each dot product runs in 8 float lanes
/// (lane l takes k ≡ l mod 8, fused multiply-adds in k order), reduced as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
/// Threaded over blocks of 3 rows.
void st_lowrank_project_f32(float *restrict out, const float *restrict x, const float *restrict w, float scale,
                            int64_t M, int64_t K, int64_t R);
void st_lowrank_project_f32_ref(float *restrict out, const float *restrict x, const float *restrict w, float scale,
                                int64_t M, int64_t K, int64_t R);
/// y[m, n] = (accumulate ? y[m, n] : 0) + scale · Σ_j h[m, j] · w[j, n]: y `[M, N]` (+)= scale · h `[M, R]` · w
/// `[R, N]`. The sum over j is fused multiply-adds in j order from 0; then y ← fma(scale, sum, y) when
/// accumulating, else scale · sum. LoRA: y += s · h · Bᵀ (w = Bᵀ), ∂x += Ĝ · A (w = A). Threaded over blocks of
/// 3 rows.
void st_lowrank_expand_f32(float *restrict y, const float *restrict h, const float *restrict w, float scale,
                           int accumulate, int64_t M, int64_t R, int64_t N);
void st_lowrank_expand_f32_ref(float *restrict y, const float *restrict h, const float *restrict w, float scale,
                               int accumulate, int64_t M, int64_t R, int64_t N);
/// d[j, n] = scale · Σ_m h[m, j] · g[m, n]: scale · hᵀ · g for h `[M, R]`, g `[M, N]`, written as `[R, N]`, or as
/// its transpose `[N, R]` (out[n, j]) when `transpose_out`. The sum over m is fused multiply-adds in m order from
/// 0, then one multiply by scale. LoRA: ∂A = Ĝᵀ · x (h = Ĝ, g = x, `[R, in]`), ∂B = s · Gᵀ · h (h = h, g = G,
/// transposed: `[out, R]`). Threaded over strips of 16 columns n.
void st_lowrank_gram_f32(float *restrict out, const float *restrict h, const float *restrict g, float scale,
                         int transpose_out, int64_t M, int64_t R, int64_t N);
void st_lowrank_gram_f32_ref(float *restrict out, const float *restrict h, const float *restrict g, float scale,
                             int transpose_out, int64_t M, int64_t R, int64_t N);
/// out[c, r] = in[r, c]: out `[C, R]` ← in `[R, C]` (forms Bᵀ `[R, out]` from B `[out, R]`). Serial.
void st_lowrank_transpose_f32(float *restrict out, const float *restrict in, int64_t R, int64_t C);
#ifdef __cplusplus
}
#endif
#endif
