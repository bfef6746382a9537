// NF4 (4-bit NormalFloat, QLoRA: Dettmers et al. 2023, section 3) weights, bit-compatible with bitsandbytes'
// quantize_4bit / dequantize_4bit (quant_type "nf4", blocksize 64, compress_statistics = double quantization).
//
// Layout (bitsandbytes'): the weight W [out, in] is flattened row-major to n = out·in elements and cut into blocks
// of ST_NF4_BLOCK = 64 consecutive elements (blocks may straddle rows; a short last block is its own block);
//   absmax[b] = max |W| over block b                                           absmax [ceil(n / 64)] float32
//   code(e)   = the NF4 value nearest W[e] / absmax[b]                         4 bits
//   packed[e / 2] holds element e in its high nibble when e is even, low nibble when odd; an odd n pads the last
//   low nibble with the code of 0.0 (7)                                        packed [ceil(n / 2)] uint8
//   W'[e]     = st_nf4 value[code(e)] · absmax[b]   (one float32 multiply)
// Double quantization (QLoRA section 3, "Double Quantization"): the absmax values, minus their mean (offset),
// are quantized the same way with bitsandbytes' signed 8-bit dynamic map in blocks of ST_NF4_ABSMAX_BLOCK = 256:
//   codes [count] uint8, absmax2 [ceil(count / 256)] float32;  absmax[i] = dyn[codes[i]] · absmax2[i / 256] + offset
//
// Shape legend: n = weight elements; N = rows of activations (tokens); in, out = the weight's [out, in] extents;
// count = number of absmax values = ceil(n / 64).
#ifndef ST_NF4_H
#define ST_NF4_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Weights per absmax (bitsandbytes blocksize = 64, the QLoRA / transformers default).
#define ST_NF4_BLOCK 64
/// Absmax values per second-level scale in double quantization (bitsandbytes: blocksize = 256).
#define ST_NF4_ABSMAX_BLOCK 256

/// Writes the 16 NF4 values, ascending (bitsandbytes get_4bit_type("nf4")): out [16].
void st_nf4_codebook(float *restrict out);
/// Writes bitsandbytes' create_dynamic_map(signed=True), ascending, from −0.99297 to 1: out [256].
void st_nf4_dynamic_map(float *restrict out);

// MARK: - Quantize / dequantize (bitsandbytes/backends/default/ops.py rules)
//
// Scaling, exactly as bitsandbytes' reference backend: a full block is scaled by a multiply with the float32
// reciprocal 1 / max(absmax, 1e-38); the short last block by a division by max(absmax, 1e-38), and that clamped
// value is what is stored for it (a full all-zero block stores 0). The scaled value is clamped to [−1, 1] and
// mapped to the nearest code: the index is the number of float32 midpoints (code[i] + code[i+1]) / 2 strictly below
// it, so a tie goes to the lower code (torch.bucketize; CUDA's dQuantizeNF4 decision tree uses the same thresholds
// with `x > t`).

/// packed [ceil(n / 2)], absmax [ceil(n / 64)]  ←  w [n].
void st_nf4_quantize_f32(uint8_t *restrict packed, float *restrict absmax, const float *restrict w, int64_t n);
void st_nf4_quantize_f32_ref(uint8_t *restrict packed, float *restrict absmax, const float *restrict w, int64_t n);

/// w [n]  ←  packed [ceil(n / 2)], absmax [ceil(n / 64)]:  w[e] = nf4[code(e)] · absmax[e / 64].
void st_nf4_dequantize_f32(float *restrict w, const uint8_t *restrict packed, const float *restrict absmax, int64_t n);
void st_nf4_dequantize_f32_ref(float *restrict w, const uint8_t *restrict packed, const float *restrict absmax,
                               int64_t n);

/// Double quantization of absmax [count] around `offset` (the caller's mean of absmax): codes [count],
/// absmax2 [ceil(count / 256)]; the same scaling and nearest-code rule as above, over the 256-entry dynamic map.
void st_nf4_absmax_quantize_f32(uint8_t *restrict codes, float *restrict absmax2, const float *restrict absmax,
                                int64_t count, float offset);
void st_nf4_absmax_quantize_f32_ref(uint8_t *restrict codes, float *restrict absmax2, const float *restrict absmax,
                                    int64_t count, float offset);

/// The sum of x [n] in float32 exactly as torch 2.x sums a contiguous float32 tensor on an AVX2 CPU
/// (aten/src/ATen/native/cpu/SumKernel.cpp: cascade_sum → vectorized_inner_sum → row_sum → multi_row_sum; 8 lanes,
/// 4 row accumulators, cascade levels of 2^max(4, ⌈log2 groups⌉ / 4) groups): the offset of double quantization
/// is this sum / count (bitsandbytes' `absmax.mean()`). 0 for n == 0. The fast path keeps the 8 lanes in one
/// register, so both round alike.
float st_nf4_torch_sum_f32(const float *x, int64_t n);
float st_nf4_torch_sum_f32_ref(const float *x, int64_t n);

/// absmax [count]  ←  codes [count], absmax2 [ceil(count / 256)]:  dyn[codes[i]] · absmax2[i / 256], then + offset
/// (two float32 roundings, bitsandbytes' order: dequantize_blockwise, then `absmax += offset`).
void st_nf4_absmax_dequantize_f32(float *restrict absmax, const uint8_t *restrict codes,
                                  const float *restrict absmax2, int64_t count, float offset);
void st_nf4_absmax_dequantize_f32_ref(float *restrict absmax, const uint8_t *restrict codes,
                                      const float *restrict absmax2, int64_t count, float offset);

// MARK: - Fused products with an NF4 weight (W [out, in], never materialised in float32)
//
// The fast paths dequantize small tiles of W into stack buffers (or registers, for the matrix-vector product) and
// multiply with AVX2 FMA; they sum in a different order than the twins (and factor each block's absmax out of
// its partial sum in the matrix-vector path), so they agree with them to float32 rounding, not bit for bit.

/// y [N, out] = x [N, in] · Wᵀ. N < 4 runs the matrix-vector path row by row.
void st_nf4_matmul_f32(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                       const float *restrict absmax, int64_t N, int64_t in, int64_t out);
void st_nf4_matmul_f32_ref(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                           const float *restrict absmax, int64_t N, int64_t in, int64_t out);

/// The input gradient of y = x · Wᵀ:  dx [N, in] = dy [N, out] · W.
void st_nf4_matmul_backward_input_f32(float *restrict dx, const float *restrict dy, const uint8_t *restrict packed,
                                      const float *restrict absmax, int64_t N, int64_t in, int64_t out);
void st_nf4_matmul_backward_input_f32_ref(float *restrict dx, const float *restrict dy,
                                          const uint8_t *restrict packed, const float *restrict absmax, int64_t N,
                                          int64_t in, int64_t out);

/// y [out] = W · x [in] (decoding: bandwidth-bound, reads 0.5 byte per weight plus 4 bytes per 64 weights).
void st_nf4_matvec_f32(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                       const float *restrict absmax, int64_t in, int64_t out);
void st_nf4_matvec_f32_ref(float *restrict y, const float *restrict x, const uint8_t *restrict packed,
                           const float *restrict absmax, int64_t in, int64_t out);

#ifdef __cplusplus
}
#endif
#endif
