// Rotary position embedding, Hugging Face's non-interleaved ("rotate_half") convention.
#ifndef ST_ROPE_H
#define ST_ROPE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// x, out: [N, H, D] (N = batch*time rows, H heads, D head dim). Only the first R = rot_dim dims rotate (R even,
/// R <= D; the rest is copied). With half = R/2, p = positions[n], c = cos_table[p*half + i], s = sin_table[p*half + i]:
///   out[i]        = x[i] * c - x[i + half] * s
///   out[i + half] = x[i + half] * c + x[i] * s          for i < half
/// inverse != 0 rotates by -angle (s -> -s): that is the backward pass, since the rotation is orthogonal.
/// out may equal x (in place).
void st_rope_f32(float *out, const float *x, const float *cos_table, const float *sin_table, const int64_t *positions,
                 int64_t N, int64_t H, int64_t D, int64_t rot_dim, int inverse);
void st_rope_f32_ref(float *out, const float *x, const float *cos_table, const float *sin_table,
                     const int64_t *positions, int64_t N, int64_t H, int64_t D, int64_t rot_dim, int inverse);
#ifdef __cplusplus
}
#endif
#endif
