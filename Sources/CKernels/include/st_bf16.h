// st_bf16.h — frozen weights stored in bfloat16 (the top 16 bits of an IEEE float), used in float32 arithmetic.
//
// A frozen table that only feeds products (the tied embedding / output projection of a QLoRA model) can live in
// bf16 at half the memory: rows are widened exactly (append 16 zero bits) when they are looked up or multiplied.
//
// Shape legend: n = element count; M = rows of x (decode: 1–4), N = rows of W, K = columns of W; W [N, K] bf16
// row-major as raw uint16 bit patterns; x [M, K], y [M, N] float.
#ifndef ST_BF16_H
#define ST_BF16_H
#include <stdint.h>

/// dst[i] = float(src[i]) for i < n (exact). Parallel over chunks.
void st_bf16_to_f32(float *restrict dst, const uint16_t *restrict src, int64_t n);
/// Scalar reference of st_bf16_to_f32.
void st_bf16_to_f32_ref(float *restrict dst, const uint16_t *restrict src, int64_t n);

/// dst[i, :] = float(table[ids[i], :]) for i < count, rows of `columns` elements. Ids must lie in the table
/// (the caller checks).
void st_bf16_gather_rows_f32(float *restrict dst, const uint16_t *restrict table, const int64_t *restrict ids,
                             int64_t count, int64_t columns);

/// y = x · Wᵀ with W in bf16, for a few rows of x (decode): streams W once per group of 4 rows of x, in float32
/// FMA arithmetic (summation order differs from the reference by rounding only).
void st_matvec_bf16_f32(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M,
                        int64_t N, int64_t K);
/// Reference of st_matvec_bf16_f32: double accumulation in index order.
void st_matvec_bf16_f32_ref(float *restrict y, const float *restrict x, const uint16_t *restrict w, int64_t M,
                            int64_t N, int64_t K);
#endif
