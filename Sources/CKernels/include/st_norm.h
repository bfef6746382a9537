// RMSNorm and softmax over the last axis of [N, C] float32 buffers.
#ifndef ST_NORM_H
#define ST_NORM_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// RMSNorm (Zhang & Sennrich 2019, as in Llama): rstd[r] = 1/sqrt(mean_c x[r,c]^2 + eps),
/// out[r,c] = x[r,c] * rstd[r] * weight[c]. `weight` may be NULL (no affine weight). `rstd` may be NULL.
void st_rmsnorm_forward_f32(float *out, float *rstd, const float *x, const float *weight, int64_t N, int64_t C, float eps);
void st_rmsnorm_forward_f32_ref(float *out, float *rstd, const float *x, const float *weight, int64_t N, int64_t C, float eps);
/// Backward, with xhat = x * rstd and g = dout * weight:
///   dx[r,c] = rstd[r] * (g[r,c] - xhat[r,c] * mean_c(g[r,:] * xhat[r,:]))
///   dweight[c] += sum_r dout[r,c] * xhat[r,c]
/// dx may be NULL; dweight may be NULL (frozen weight); weight may be NULL (treated as ones).
void st_rmsnorm_backward_f32(float *dx, float *dweight, const float *dout, const float *x, const float *weight,
                             const float *rstd, int64_t N, int64_t C);
void st_rmsnorm_backward_f32_ref(float *dx, float *dweight, const float *dout, const float *x, const float *weight,
                                 const float *rstd, int64_t N, int64_t C);

/// Softmax over each row: out[r,c] = exp(x[r,c] - max_r) / sum. `scale` multiplies x first (1 for plain softmax).
void st_softmax_forward_f32(float *out, const float *x, int64_t N, int64_t C, float scale);
void st_softmax_forward_f32_ref(float *out, const float *x, int64_t N, int64_t C, float scale);
/// dx[r,c] = scale * y[r,c] * (dy[r,c] - sum_c dy[r,c] y[r,c]). In place (dx == dy) allowed.
void st_softmax_backward_f32(float *dx, const float *y, const float *dy, int64_t N, int64_t C, float scale);
void st_softmax_backward_f32_ref(float *dx, const float *y, const float *dy, int64_t N, int64_t C, float scale);
/// Log-softmax over each row: out[r,c] = x[r,c] - logsumexp(x[r,:]).
void st_log_softmax_forward_f32(float *out, const float *x, int64_t N, int64_t C);
void st_log_softmax_forward_f32_ref(float *out, const float *x, int64_t N, int64_t C);
/// dx[r,c] = dy[r,c] - exp(y[r,c]) * sum_c dy[r,c], where y is the log-softmax output. In place allowed.
void st_log_softmax_backward_f32(float *dx, const float *y, const float *dy, int64_t N, int64_t C);
void st_log_softmax_backward_f32_ref(float *dx, const float *y, const float *dy, int64_t N, int64_t C);
#ifdef __cplusplus
}
#endif
#endif
