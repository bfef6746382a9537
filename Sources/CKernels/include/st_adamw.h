// Fused AdamW over flat float32 buffers: one pass reads θ, g, m, v and writes θ, m, v (7 floats of traffic
// per parameter), threaded and vectorised.
#ifndef ST_ADAMW_H
#define ST_ADAMW_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// Hyperparameters of one AdamW step (the caller computes the bias corrections for step t).
typedef struct {
    float lr;                    ///< learning rate
    float beta1, beta2;          ///< moment decay rates
    float eps;                   ///< added to the denominator
    float weight_decay;          ///< decoupled weight decay λ (θ ← θ·(1 − lr·λ))
    float bias_correction1;      ///< 1 − β₁ᵗ
    float bias_correction2_sqrt; ///< √(1 − β₂ᵗ)
} st_adamw_params;

/// torch.optim.AdamW (single-tensor, non-amsgrad) on n elements, in torch's order of operations:
///   θ *= 1 − lr·λ;  m = m + (1 − β₁)(g − m);  v = β₂v + (1 − β₂)g²;
///   θ −= (lr / bc1) · m / (√v / √bc2 + ε)
void st_adamw_f32(float *restrict param, float *restrict m, float *restrict v, const float *restrict grad,
                  int64_t n, st_adamw_params p);
void st_adamw_f32_ref(float *restrict param, float *restrict m, float *restrict v, const float *restrict grad,
                      int64_t n, st_adamw_params p);
#ifdef __cplusplus
}
#endif
#endif
