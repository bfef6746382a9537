// Matrix–vector products against a row-major weight, for decoding (one to a few tokens per step), where sgemm's
// packing overhead dominates and the weight is read from memory once per token.
#ifndef ST_MATVEC_H
#define ST_MATVEC_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// y[r, n] = Σ_k x[r, k] · w[n, k] for r < M (up to 8 rows share each weight load; more run in groups of 8), n < N;
/// w is [N, K] row-major (a linear layer's weight: y = x·Wᵀ). Threaded over n (chunks taken dynamically); each
/// thread walks four lanes of its rows at once (one for 5 … 8 rows of x). Accumulates each (r, n) in float in one
/// fixed order — 8 lanes over k in steps of 8, a fixed horizontal sum, then the tail — whatever M, the lane or the
/// thread, so a row's result is bit-identical for every row count (the decoding session's batch invariance).
void st_matvec_f32(float *restrict y, const float *restrict x, const float *restrict w, int64_t M, int64_t N, int64_t K);
void st_matvec_f32_ref(float *restrict y, const float *restrict x, const float *restrict w, int64_t M, int64_t N,
                       int64_t K);
/// y_i = x·W_iᵀ for `count` weights W_i `[N_i, K]` sharing one x `[M, K]` (y_i `[M, N_i]`): the same product as
/// `count` calls of st_matvec_f32, in one parallel region over the ΣN_i rows.
void st_matvec_multi_f32(float *const *y, const float *const *w, const int64_t *N, int64_t count, const float *x,
                         int64_t M, int64_t K);
void st_matvec_multi_f32_ref(float *const *y, const float *const *w, const int64_t *N, int64_t count,
                             const float *x, int64_t M, int64_t K);
#ifdef __cplusplus
}
#endif
#endif
