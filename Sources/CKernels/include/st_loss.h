// Fused log-softmax + cross-entropy over [N, V] logits, never materialising the log-probabilities.
#ifndef ST_LOSS_H
#define ST_LOSS_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// For each row r with targets[r] != ignore_index:
///   lse[r] = logsumexp(logits[r,:]),  loss[r] = w_r * (lse[r] - logits[r, targets[r]])
/// where w_r = weights[r] (or 1 when weights == NULL). Ignored rows get loss 0 (lse is still written).
/// Targets outside [0, V) that are not ignore_index are a programming error (the Swift side checks first).
void st_cross_entropy_forward_f32(float *loss, float *lse, const float *logits, const int64_t *targets,
                                  const float *weights, int64_t N, int64_t V, int64_t ignore_index);
void st_cross_entropy_forward_f32_ref(float *loss, float *lse, const float *logits, const int64_t *targets,
                                      const float *weights, int64_t N, int64_t V, int64_t ignore_index);
/// dlogits[r,c] = dloss[r] * w_r * (exp(logits[r,c] - lse[r]) - [c == targets[r]]); ignored rows get 0.
/// dlogits may alias logits (in place), which saves a [N, V] buffer for large vocabularies.
void st_cross_entropy_backward_f32(float *dlogits, const float *logits, const float *lse, const int64_t *targets,
                                   const float *weights, const float *dloss, int64_t N, int64_t V, int64_t ignore_index);
void st_cross_entropy_backward_f32_ref(float *dlogits, const float *logits, const float *lse, const int64_t *targets,
                                       const float *weights, const float *dloss, int64_t N, int64_t V, int64_t ignore_index);
#ifdef __cplusplus
}
#endif
#endif
