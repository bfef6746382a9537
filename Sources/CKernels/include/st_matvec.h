// Matrix–vector products against a row-major weight, for decoding (one to a few tokens per step), where sgemm's
// packing overhead dominates and the weight is read from memory once per token.
#ifndef ST_MATVEC_H
#define ST_MATVEC_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// y[r, n] = Σ_k x[r, k] · w[n, k] for r < M (M ≤ 4 rows share each weight load), n < N; w is [N, K] row-major
/// (a linear layer's weight: y = x·Wᵀ). Threaded over n (chunks taken dynamically); each thread walks four lanes of
/// its rows at once (four memory streams). Accumulates each row in float, in the same order wherever it runs.
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
