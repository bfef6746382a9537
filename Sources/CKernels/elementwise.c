// elementwise.c — binary, unary, axpby and SwiGLU kernels over contiguous float32 buffers.
//
// Purpose: the `_ref` twins are plain serial C loops and define each kernel's meaning; the public entry points
// split the work with st_parallel_for (>= ST_GRAIN_ELEMS elements per chunk) and run either the AVX2+FMA range
// function or the scalar one on each chunk. Every element is computed independently, so results never depend on
// the thread count. In-place use is allowed (out may equal an input; each element is read before it is
// written), so no pointer here is `restrict`. Partially overlapping buffers are not supported.
//
// Fast-path accuracy against the twins: binary ops, axpby, sqrt/rsqrt/neg/abs/square/reciprocal and the backward
// passes that do not evaluate exp are bit-identical (same operations in the same order; no FMA contraction, see
// st_internal.h); exp, sigmoid, silu and swiglu use the vector exp (about 1 ulp), tanh the Cephes split (about
// 2 ulp). log and GELU (exact erf form) call the scalar logf / erff per element in the fast path too, so they
// only gain the threading.
// max / min propagate NaN from either operand (as torch.maximum does); max(-0, +0) returns the second operand.
//
// Shape legend: n = element count; rows x cols for the row-broadcast kernel (b has cols elements).
#include "st_internal.h"

// MARK: - Scalar definitions

static inline float st_max_nan(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float st_min_nan(float a, float b) { return (a != a || a < b) ? a : b; }

static inline float st_binary_one(float a, float b, st_binary_op op) {
    switch (op) {
    case ST_ADD: return a + b;
    case ST_SUB: return a - b;
    case ST_MUL: return a * b;
    case ST_DIV: return a / b;
    case ST_MAX: return st_max_nan(a, b);
    case ST_MIN: return st_min_nan(a, b);
    }
    return NAN;
}

static inline float st_gelu_one(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

static inline float st_unary_one(float x, st_unary_op op) {
    switch (op) {
    case ST_EXP: return expf(x);
    case ST_LOG: return logf(x);
    case ST_SQRT: return sqrtf(x);
    case ST_RSQRT: return 1.0f / sqrtf(x);
    case ST_TANH: return tanhf(x);
    case ST_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ST_SILU: return x / (1.0f + expf(-x));
    case ST_GELU: return st_gelu_one(x);
    case ST_NEG: return -x;
    case ST_ABS: return fabsf(x);
    case ST_SQUARE: return x * x;
    case ST_RECIPROCAL: return 1.0f / x;
    }
    return NAN;
}

static inline float st_gelu_backward_one(float x, float dy) {
    float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
    float pdf = expf(-0.5f * x * x) * 0.39894228040143268f;
    return dy * (cdf + x * pdf);
}

/// dx = dy * f'(x). Reads y for exp, sqrt, rsqrt, tanh, sigmoid, reciprocal; x for the others.
static inline float st_unary_backward_one(float x, float y, float dy, st_unary_op op) {
    switch (op) {
    case ST_EXP: return dy * y;
    case ST_LOG: return dy / x;
    case ST_SQRT: return dy / (2.0f * y);
    case ST_RSQRT: return -0.5f * dy * y * y * y;
    case ST_TANH: return dy * (1.0f - y * y);
    case ST_SIGMOID: return dy * y * (1.0f - y);
    case ST_SILU: {
        float s = 1.0f / (1.0f + expf(-x));
        return dy * s * (1.0f + x * (1.0f - s));
    }
    case ST_GELU: return st_gelu_backward_one(x, dy);
    case ST_NEG: return -dy;
    case ST_ABS: return x > 0.0f ? dy : (x < 0.0f ? -dy : 0.0f);
    case ST_SQUARE: return 2.0f * x * dy;
    case ST_RECIPROCAL: return -dy * y * y;
    }
    return NAN;
}

// MARK: - Range kernels (scalar and AVX2) and entry points

// Loop over [b, e) in whole vectors, then one masked vector for the tail. BODY computes `__m256 r` from the
// loaded vectors; LOAD loads operands at offset i with tail mask `m` (or unmasked when FULL is 1).
#define ST_V_LOOP(b, e, LOAD_FULL, LOAD_TAIL, BODY, STORE_FULL, STORE_TAIL)   \
    do {                                                                       \
        int64_t i = (b);                                                       \
        for (; i + 8 <= (e); i += 8) { LOAD_FULL; BODY; STORE_FULL; }          \
        if (i < (e)) {                                                         \
            __m256i m = st_v_tail_mask((e) - i);                               \
            LOAD_TAIL; BODY; STORE_TAIL;                                       \
        }                                                                      \
    } while (0)

// --- binary ---

typedef struct {
    float *out;
    const float *a, *b;
    float s;
    int64_t cols;
    st_binary_op op;
} st_binary_args;

static void st_binary_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    for (int64_t i = b; i < e; i++) p->out[i] = st_binary_one(p->a[i], p->b[i], p->op);
}

#if defined(ST_X86)
ST_AVX2 static inline __m256 st_v_binary(__m256 x, __m256 y, st_binary_op op) {
    switch (op) {
    case ST_ADD: return _mm256_add_ps(x, y);
    case ST_SUB: return _mm256_sub_ps(x, y);
    case ST_MUL: return _mm256_mul_ps(x, y);
    case ST_DIV: return _mm256_div_ps(x, y);
    case ST_MAX: return st_v_max_nan(x, y);
    case ST_MIN: return _mm256_blendv_ps(_mm256_min_ps(x, y), x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    }
    return _mm256_set1_ps(NAN);
}

// out[i] = a[i] op b[i] for i in [0, n), with op a compile-time constant in each instantiation below.
#define ST_BINARY_VEC(OP)                                                                                   \
    ST_V_LOOP(0, n, (x = _mm256_loadu_ps(a + i), y = _mm256_loadu_ps(b + i)),                               \
              (x = _mm256_maskload_ps(a + i, m), y = _mm256_maskload_ps(b + i, m)), r = st_v_binary(x, y, OP), \
              _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r))

ST_AVX2 static void st_binary_vec(float *out, const float *a, const float *b, int64_t n, st_binary_op op) {
    __m256 x, y, r;
    switch (op) {
    case ST_ADD: ST_BINARY_VEC(ST_ADD); break;
    case ST_SUB: ST_BINARY_VEC(ST_SUB); break;
    case ST_MUL: ST_BINARY_VEC(ST_MUL); break;
    case ST_DIV: ST_BINARY_VEC(ST_DIV); break;
    case ST_MAX: ST_BINARY_VEC(ST_MAX); break;
    case ST_MIN: ST_BINARY_VEC(ST_MIN); break;
    default: for (int64_t i = 0; i < n; i++) out[i] = NAN; break;
    }
}

ST_AVX2 static void st_binary_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    st_binary_vec(p->out + b, p->a + b, p->b + b, e - b, p->op);
}
#endif

void st_binary_f32_ref(float *out, const float *a, const float *b, int64_t n, st_binary_op op) {
    st_binary_args p = {out, a, b, 0.0f, 0, op};
    st_binary_range_ref(&p, 0, n);
}

void st_binary_f32(float *out, const float *a, const float *b, int64_t n, st_binary_op op) {
    st_binary_args p = {out, a, b, 0.0f, 0, op};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_binary_range), &p);
}

// --- binary with a row-broadcast right operand: indices are flattened over [rows, cols] ---

static void st_binary_row_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    for (int64_t i = b; i < e; i++) p->out[i] = st_binary_one(p->a[i], p->b[i % p->cols], p->op);
}

#if defined(ST_X86)
ST_AVX2 static void st_binary_row_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    int64_t cols = p->cols;
    for (int64_t i = b; i < e;) {
        int64_t c = i % cols, len = cols - c;
        if (len > e - i) len = e - i;
        st_binary_vec(p->out + i, p->a + i, p->b + c, len, p->op);
        i += len;
    }
}
#endif

void st_binary_row_f32_ref(float *out, const float *a, const float *b, int64_t rows, int64_t cols, st_binary_op op) {
    if (rows <= 0 || cols <= 0) return;
    st_binary_args p = {out, a, b, 0.0f, cols, op};
    st_binary_row_range_ref(&p, 0, rows * cols);
}

void st_binary_row_f32(float *out, const float *a, const float *b, int64_t rows, int64_t cols, st_binary_op op) {
    if (rows <= 0 || cols <= 0) return;
    st_binary_args p = {out, a, b, 0.0f, cols, op};
    st_parallel_for(rows * cols, ST_GRAIN_ELEMS, ST_PICK(st_binary_row_range), &p);
}

// --- binary with a scalar right operand ---

static void st_binary_scalar_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    for (int64_t i = b; i < e; i++) p->out[i] = st_binary_one(p->a[i], p->s, p->op);
}

#if defined(ST_X86)
#define ST_BINARY_SCALAR_VEC(OP)                                                                          \
    ST_V_LOOP(b, e, x = _mm256_loadu_ps(a + i), x = _mm256_maskload_ps(a + i, m), r = st_v_binary(x, y, OP), \
              _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r))

ST_AVX2 static void st_binary_scalar_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_binary_args *p = (const st_binary_args *)ctx;
    float *out = p->out;
    const float *a = p->a;
    __m256 x, r, y = _mm256_set1_ps(p->s);
    switch (p->op) {
    case ST_ADD: ST_BINARY_SCALAR_VEC(ST_ADD); break;
    case ST_SUB: ST_BINARY_SCALAR_VEC(ST_SUB); break;
    case ST_MUL: ST_BINARY_SCALAR_VEC(ST_MUL); break;
    case ST_DIV: ST_BINARY_SCALAR_VEC(ST_DIV); break;
    case ST_MAX: ST_BINARY_SCALAR_VEC(ST_MAX); break;
    case ST_MIN: ST_BINARY_SCALAR_VEC(ST_MIN); break;
    default: st_binary_scalar_range_ref(ctx, b, e); break;
    }
}
#endif

void st_binary_scalar_f32_ref(float *out, const float *a, float s, int64_t n, st_binary_op op) {
    st_binary_args p = {out, a, NULL, s, 0, op};
    st_binary_scalar_range_ref(&p, 0, n);
}

void st_binary_scalar_f32(float *out, const float *a, float s, int64_t n, st_binary_op op) {
    st_binary_args p = {out, a, NULL, s, 0, op};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_binary_scalar_range), &p);
}

// --- axpby ---

typedef struct {
    float *out;
    const float *x, *y;
    float alpha, beta;
} st_axpby_args;

static void st_axpby_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_axpby_args *p = (const st_axpby_args *)ctx;
    float alpha = p->alpha, beta = p->beta;
    if (beta == 0.0f) {
        for (int64_t i = b; i < e; i++) p->out[i] = alpha * p->x[i];
    } else {
        for (int64_t i = b; i < e; i++) p->out[i] = alpha * p->x[i] + beta * p->y[i];
    }
}

#if defined(ST_X86)
ST_AVX2 static void st_axpby_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_axpby_args *p = (const st_axpby_args *)ctx;
    float *out = p->out;
    const float *xs = p->x, *ys = p->y;
    __m256 va = _mm256_set1_ps(p->alpha), vb = _mm256_set1_ps(p->beta), x, y, r;
    if (p->beta == 0.0f) {
        ST_V_LOOP(b, e, x = _mm256_loadu_ps(xs + i), x = _mm256_maskload_ps(xs + i, m), r = _mm256_mul_ps(va, x),
                  _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r));
    } else {
        ST_V_LOOP(b, e, (x = _mm256_loadu_ps(xs + i), y = _mm256_loadu_ps(ys + i)),
                  (x = _mm256_maskload_ps(xs + i, m), y = _mm256_maskload_ps(ys + i, m)),
                  r = _mm256_add_ps(_mm256_mul_ps(va, x), _mm256_mul_ps(vb, y)), _mm256_storeu_ps(out + i, r),
                  _mm256_maskstore_ps(out + i, m, r));
    }
}
#endif

void st_axpby_f32_ref(float *out, const float *x, const float *y, float alpha, float beta, int64_t n) {
    st_axpby_args p = {out, x, y, alpha, beta};
    st_axpby_range_ref(&p, 0, n);
}

void st_axpby_f32(float *out, const float *x, const float *y, float alpha, float beta, int64_t n) {
    st_axpby_args p = {out, x, y, alpha, beta};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_axpby_range), &p);
}

// --- unary forward / backward ---

typedef struct {
    float *out;
    const float *x, *y, *dy;
    st_unary_op op;
} st_unary_args;

static void st_unary_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_unary_args *p = (const st_unary_args *)ctx;
    for (int64_t i = b; i < e; i++) p->out[i] = st_unary_one(p->x[i], p->op);
}

#if defined(ST_X86)
#define ST_UNARY_VEC(EXPR)                                                                                  \
    ST_V_LOOP(b, e, x = _mm256_loadu_ps(xs + i), x = _mm256_maskload_ps(xs + i, m), r = (EXPR),             \
              _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r))

ST_AVX2 static void st_unary_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_unary_args *p = (const st_unary_args *)ctx;
    float *out = p->out;
    const float *xs = p->x;
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    __m256 x, r;
    switch (p->op) {
    case ST_EXP: ST_UNARY_VEC(st_v_exp(x)); break;
    case ST_SQRT: ST_UNARY_VEC(_mm256_sqrt_ps(x)); break;
    case ST_RSQRT: ST_UNARY_VEC(_mm256_div_ps(one, _mm256_sqrt_ps(x))); break;
    case ST_TANH: ST_UNARY_VEC(st_v_tanh(x)); break;
    case ST_SIGMOID: ST_UNARY_VEC(st_v_sigmoid(x)); break;
    case ST_SILU: ST_UNARY_VEC(st_v_silu(x)); break;
    case ST_NEG: ST_UNARY_VEC(_mm256_xor_ps(x, sign)); break;
    case ST_ABS: ST_UNARY_VEC(_mm256_andnot_ps(sign, x)); break;
    case ST_SQUARE: ST_UNARY_VEC(_mm256_mul_ps(x, x)); break;
    case ST_RECIPROCAL: ST_UNARY_VEC(_mm256_div_ps(one, x)); break;
    default: st_unary_range_ref(ctx, b, e); break;   // ST_LOG (logf) and ST_GELU (erff): scalar per element
    }
}
#endif

void st_unary_f32_ref(float *out, const float *x, int64_t n, st_unary_op op) {
    st_unary_args p = {out, x, NULL, NULL, op};
    st_unary_range_ref(&p, 0, n);
}

void st_unary_f32(float *out, const float *x, int64_t n, st_unary_op op) {
    st_unary_args p = {out, x, NULL, NULL, op};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_unary_range), &p);
}

static void st_unary_backward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_unary_args *p = (const st_unary_args *)ctx;
    const float *x = p->x, *y = p->y, *dy = p->dy;
    st_unary_op op = p->op;
    // Each op reads only the one of x / y it needs (see st_unary_backward_one), so the other may be unused.
    for (int64_t i = b; i < e; i++) {
        float xi = 0.0f, yi = 0.0f;
        switch (op) {
        case ST_EXP: case ST_SQRT: case ST_RSQRT: case ST_TANH: case ST_SIGMOID: case ST_RECIPROCAL: yi = y[i]; break;
        default: xi = x[i]; break;
        }
        p->out[i] = st_unary_backward_one(xi, yi, dy[i], op);
    }
}

#if defined(ST_X86)
#define ST_UNARY_BWD_VEC(SRC, EXPR)                                                                          \
    ST_V_LOOP(b, e, (v = _mm256_loadu_ps((SRC) + i), g = _mm256_loadu_ps(dys + i)),                          \
              (v = _mm256_maskload_ps((SRC) + i, m), g = _mm256_maskload_ps(dys + i, m)), r = (EXPR),         \
              _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r))

ST_AVX2 static void st_unary_backward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_unary_args *p = (const st_unary_args *)ctx;
    float *out = p->out;
    const float *xs = p->x, *ys = p->y, *dys = p->dy;
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(-0.5f);
    const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    __m256 v, g, r, s;
    switch (p->op) {
    case ST_EXP: ST_UNARY_BWD_VEC(ys, _mm256_mul_ps(g, v)); break;
    case ST_LOG: ST_UNARY_BWD_VEC(xs, _mm256_div_ps(g, v)); break;
    case ST_SQRT: ST_UNARY_BWD_VEC(ys, _mm256_div_ps(g, _mm256_mul_ps(two, v))); break;
    case ST_RSQRT:
        ST_UNARY_BWD_VEC(ys, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(half, g), v), v), v));
        break;
    case ST_TANH: ST_UNARY_BWD_VEC(ys, _mm256_mul_ps(g, _mm256_sub_ps(one, _mm256_mul_ps(v, v)))); break;
    case ST_SIGMOID: ST_UNARY_BWD_VEC(ys, _mm256_mul_ps(_mm256_mul_ps(g, v), _mm256_sub_ps(one, v))); break;
    case ST_SILU:
        ST_UNARY_BWD_VEC(xs, (s = st_v_sigmoid(v),
                              _mm256_mul_ps(_mm256_mul_ps(g, s),
                                            _mm256_add_ps(one, _mm256_mul_ps(v, _mm256_sub_ps(one, s))))));
        break;
    case ST_NEG: ST_UNARY_BWD_VEC(xs, _mm256_xor_ps(g, sign)); break;
    case ST_ABS:
        // x > 0 ? dy : (x < 0 ? -dy : 0)
        ST_UNARY_BWD_VEC(xs, _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), g),
                                          _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), _mm256_xor_ps(g, sign))));
        break;
    case ST_SQUARE: ST_UNARY_BWD_VEC(xs, _mm256_mul_ps(_mm256_mul_ps(two, v), g)); break;
    case ST_RECIPROCAL:
        ST_UNARY_BWD_VEC(ys, _mm256_mul_ps(_mm256_mul_ps(_mm256_xor_ps(g, sign), v), v));
        break;
    default: st_unary_backward_range_ref(ctx, b, e); break;   // ST_GELU: scalar erff per element
    }
}
#endif

void st_unary_backward_f32_ref(float *dx, const float *x, const float *y, const float *dy, int64_t n,
                               st_unary_op op) {
    st_unary_args p = {dx, x, y, dy, op};
    st_unary_backward_range_ref(&p, 0, n);
}

void st_unary_backward_f32(float *dx, const float *x, const float *y, const float *dy, int64_t n, st_unary_op op) {
    st_unary_args p = {dx, x, y, dy, op};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_unary_backward_range), &p);
}

// --- SwiGLU ---

typedef struct {
    float *out, *dgate, *dup;
    const float *dout, *gate, *up;
} st_swiglu_args;

static void st_swiglu_forward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_swiglu_args *p = (const st_swiglu_args *)ctx;
    for (int64_t i = b; i < e; i++) {
        float g = p->gate[i];
        p->out[i] = g / (1.0f + expf(-g)) * p->up[i];
    }
}

static void st_swiglu_backward_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_swiglu_args *p = (const st_swiglu_args *)ctx;
    for (int64_t i = b; i < e; i++) {
        float g = p->gate[i], u = p->up[i], d = p->dout[i];
        float s = 1.0f / (1.0f + expf(-g));
        if (p->dgate) p->dgate[i] = (d * u) * s * (1.0f + g * (1.0f - s));
        if (p->dup) p->dup[i] = d * (g * s);
    }
}

#if defined(ST_X86)
ST_AVX2 static void st_swiglu_forward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_swiglu_args *p = (const st_swiglu_args *)ctx;
    float *out = p->out;
    const float *gate = p->gate, *up = p->up;
    __m256 g, u, r;
    ST_V_LOOP(b, e, (g = _mm256_loadu_ps(gate + i), u = _mm256_loadu_ps(up + i)),
              (g = _mm256_maskload_ps(gate + i, m), u = _mm256_maskload_ps(up + i, m)),
              r = _mm256_mul_ps(st_v_silu(g), u), _mm256_storeu_ps(out + i, r), _mm256_maskstore_ps(out + i, m, r));
}

ST_AVX2 static void st_swiglu_backward_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_swiglu_args *p = (const st_swiglu_args *)ctx;
    float *dgate = p->dgate, *dup = p->dup;
    const float *dout = p->dout, *gate = p->gate, *up = p->up;
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = b;
    // Inputs at i are all loaded before either output at i is stored, so dgate / dup may alias gate / up.
#define ST_SWIGLU_BWD_BODY                                                                                       \
    __m256 s = st_v_sigmoid(g);                                                                                  \
    __m256 dg = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(d, u), s),                                             \
                              _mm256_add_ps(one, _mm256_mul_ps(g, _mm256_sub_ps(one, s))));                      \
    __m256 du = _mm256_mul_ps(d, _mm256_mul_ps(g, s));
    for (; i + 8 <= e; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i), u = _mm256_loadu_ps(up + i), d = _mm256_loadu_ps(dout + i);
        ST_SWIGLU_BWD_BODY
        if (dgate) _mm256_storeu_ps(dgate + i, dg);
        if (dup) _mm256_storeu_ps(dup + i, du);
    }
    if (i < e) {
        __m256i m = st_v_tail_mask(e - i);
        __m256 g = _mm256_maskload_ps(gate + i, m), u = _mm256_maskload_ps(up + i, m);
        __m256 d = _mm256_maskload_ps(dout + i, m);
        ST_SWIGLU_BWD_BODY
        if (dgate) _mm256_maskstore_ps(dgate + i, m, dg);
        if (dup) _mm256_maskstore_ps(dup + i, m, du);
    }
#undef ST_SWIGLU_BWD_BODY
}
#endif

void st_swiglu_forward_f32_ref(float *out, const float *gate, const float *up, int64_t n) {
    st_swiglu_args p = {out, NULL, NULL, NULL, gate, up};
    st_swiglu_forward_range_ref(&p, 0, n);
}

void st_swiglu_forward_f32(float *out, const float *gate, const float *up, int64_t n) {
    st_swiglu_args p = {out, NULL, NULL, NULL, gate, up};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_swiglu_forward_range), &p);
}

void st_swiglu_backward_f32_ref(float *dgate, float *dup, const float *dout, const float *gate, const float *up,
                                int64_t n) {
    st_swiglu_args p = {NULL, dgate, dup, dout, gate, up};
    st_swiglu_backward_range_ref(&p, 0, n);
}

void st_swiglu_backward_f32(float *dgate, float *dup, const float *dout, const float *gate, const float *up,
                            int64_t n) {
    if (!dgate && !dup) return;
    st_swiglu_args p = {NULL, dgate, dup, dout, gate, up};
    st_parallel_for(n, ST_GRAIN_ELEMS, ST_PICK(st_swiglu_backward_range), &p);
}
