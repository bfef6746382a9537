// Reductions over the middle axis of a contiguous [outer, n, inner] view of a float32 buffer.
// out has outer * inner elements, laid out [outer, inner]. n == 0 gives sum 0, max -inf, logsumexp -inf, argmax 0.
#ifndef ST_REDUCE_H
#define ST_REDUCE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef enum { ST_REDUCE_SUM = 0, ST_REDUCE_MAX = 1, ST_REDUCE_LOGSUMEXP = 2 } st_reduce_op;
/// Sums accumulate in double for inner == 1 rows, so long sums stay exact to float rounding.
void st_reduce_f32(float *out, const float *x, int64_t outer, int64_t n, int64_t inner, st_reduce_op op);
void st_reduce_f32_ref(float *out, const float *x, int64_t outer, int64_t n, int64_t inner, st_reduce_op op);
/// Index of the first maximum along the middle axis.
void st_argmax_f32(int64_t *out, const float *x, int64_t outer, int64_t n, int64_t inner);
void st_argmax_f32_ref(int64_t *out, const float *x, int64_t outer, int64_t n, int64_t inner);
/// Dot product, accumulated in double.
double st_dot_f32(const float *a, const float *b, int64_t n);
double st_dot_f32_ref(const float *a, const float *b, int64_t n);
#ifdef __cplusplus
}
#endif
#endif
