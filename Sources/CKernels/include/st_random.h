// Counter-based random numbers: value i of a stream depends only on (seed, i), so results are the same on every
// machine and for every thread count, and dropout masks can be regenerated in backward instead of stored.
#ifndef ST_RANDOM_H
#define ST_RANDOM_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// 64 random bits for counter `i` of stream `seed` (SplitMix64 finaliser of seed * golden + i; Steele et al. 2014).
uint64_t st_random_bits(uint64_t seed, uint64_t i);
/// Uniform floats in [low, high): out[k] = low + (high - low) * u(seed, offset + k), u from the top 24 bits.
void st_random_uniform_f32(float *out, int64_t n, uint64_t seed, uint64_t offset, float low, float high);
/// Normal floats by Box-Muller on counters (2k, 2k+1) of the stream: out[k] = mean + std * z_k.
void st_random_normal_f32(float *out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std);
/// Inverted dropout: keep element k when u(seed, offset + k) >= p, out = x / (1 - p) if kept else 0.
/// The same (seed, offset) gives the same mask, so backward calls this again on dout. p == 0 copies.
void st_dropout_f32(float *out, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset);
void st_dropout_f32_ref(float *out, const float *x, int64_t n, float p, uint64_t seed, uint64_t offset);
#ifdef __cplusplus
}
#endif
#endif
