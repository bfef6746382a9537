// Elementwise kernels over contiguous float32 buffers. In-place use (out == a or out == x) is allowed here.
#ifndef ST_ELEMENTWISE_H
#define ST_ELEMENTWISE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef enum { ST_ADD = 0, ST_SUB = 1, ST_MUL = 2, ST_DIV = 3, ST_MAX = 4, ST_MIN = 5 } st_binary_op;

typedef enum {
    ST_EXP = 0, ST_LOG = 1, ST_SQRT = 2, ST_RSQRT = 3, ST_TANH = 4,
    ST_SIGMOID = 5, ST_SILU = 6, ST_GELU = 7,   // GELU is the exact erf form: x/2 (1 + erf(x/sqrt 2))
    ST_NEG = 8, ST_ABS = 9, ST_SQUARE = 10, ST_RECIPROCAL = 11
} st_unary_op;

/// out[i] = a[i] op b[i], i < n.
void st_binary_f32(float *out, const float *a, const float *b, int64_t n, st_binary_op op);
void st_binary_f32_ref(float *out, const float *a, const float *b, int64_t n, st_binary_op op);
/// Row broadcast: out[r, c] = a[r, c] op b[c] for a of shape [rows, cols].
void st_binary_row_f32(float *out, const float *a, const float *b, int64_t rows, int64_t cols, st_binary_op op);
void st_binary_row_f32_ref(float *out, const float *a, const float *b, int64_t rows, int64_t cols, st_binary_op op);
/// Scalar on the right: out[i] = a[i] op s.
void st_binary_scalar_f32(float *out, const float *a, float s, int64_t n, st_binary_op op);
void st_binary_scalar_f32_ref(float *out, const float *a, float s, int64_t n, st_binary_op op);
/// out[i] = alpha * x[i] + beta * y[i]  (beta == 0 ignores y's contents, which may then be NULL).
void st_axpby_f32(float *out, const float *x, const float *y, float alpha, float beta, int64_t n);
void st_axpby_f32_ref(float *out, const float *x, const float *y, float alpha, float beta, int64_t n);

/// out[i] = f(x[i]).
void st_unary_f32(float *out, const float *x, int64_t n, st_unary_op op);
void st_unary_f32_ref(float *out, const float *x, int64_t n, st_unary_op op);
/// Backward of a unary op: dx[i] = dy[i] * f'(x[i]); `y` = f(x) from the forward pass (kernels may use either).
void st_unary_backward_f32(float *dx, const float *x, const float *y, const float *dy, int64_t n, st_unary_op op);
void st_unary_backward_f32_ref(float *dx, const float *x, const float *y, const float *dy, int64_t n, st_unary_op op);

/// SwiGLU: out = silu(gate) * up, all of n elements.
void st_swiglu_forward_f32(float *out, const float *gate, const float *up, int64_t n);
void st_swiglu_forward_f32_ref(float *out, const float *gate, const float *up, int64_t n);
/// dgate = dout * up * silu'(gate), dup = dout * silu(gate). Either output may be NULL (not needed).
void st_swiglu_backward_f32(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int64_t n);
void st_swiglu_backward_f32_ref(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int64_t n);
#ifdef __cplusplus
}
#endif
#endif
