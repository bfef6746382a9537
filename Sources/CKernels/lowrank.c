// lowrank.c — the skinny products of a LoRA branch (see st_lowrank.h): x·Aᵀ and G·B (project), the rank-R updates
// h·Bᵀ and Ĝ·A (expand), and Gᵀ·h and Ĝᵀ·x (gram).
//
// Why not sgemm: with one extent R = 8, OpenBLAS spends most of each call packing the big [M, K] operand (and
// transposing it for Gᵀ·h, Ĝᵀ·x) although the other operand fits in L1; the six products ran at ~48 GFLOP/s on one
// core. Here the big operand is read once, in place:
//   - project: 3 rows of x against 4 rows of w at a time (12 accumulators, 7 loads per 12 FMAs), w in L1/L2;
//   - expand: 3 rows of y, 24 columns at a time (9 accumulators), broadcast h[m, j] against a row piece of w;
//   - gram: a 16-column strip of g walked down its M rows, 4 ranks at a time (8 accumulators), h broadcast.
// Every output element is summed in one fixed order whatever the blocking or the thread that computes it, and the
// scalar twins use fmaf in that order, so fast == twin bit for bit and no result depends on the thread count.
//
// Shape legend: M = rows (tokens), K = dot-product length (input features), N = output features, R = rank.
#include "st_internal.h"

#define ST_LR_PROJECT_ROWS 3   // rows per block (project)
#define ST_LR_ROWS 3           // rows per block (expand)
#define ST_LR_STRIP 24         // columns per strip (expand): three vectors
#define ST_LR_GRAM_STRIP 16    // columns per strip (gram): two vectors

/// The strip bodies are inlined into their two call sites (whole strips, tail strip), so that `full` is a
/// constant there: clang otherwise keeps one copy with a branch per load, and spills.
#define ST_LR_INLINE static inline __attribute__((always_inline))

static inline int64_t st_lr_min(int64_t a, int64_t b) { return a < b ? a : b; }
/// Blocks per chunk so that a chunk holds at least ~64K multiply-adds.
static inline int64_t st_lr_grain(int64_t work_per_block) {
    return work_per_block >= 65536 ? 1 : (65536 + work_per_block - 1) / (work_per_block > 0 ? work_per_block : 1);
}

// MARK: - project: out = scale · x · wᵀ

typedef struct {
    float *out;
    const float *x, *w;
    float scale;
    int64_t M, K, R;
} st_lr_project_args;

/// The fast path's dot product: 8 lanes, lane l over k ≡ l (mod 8), then the st_v_hsum tree.
static float st_lr_dot_ref(const float *x, const float *w, int64_t K) {
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t k = 0; k < K; k++) l[k & 7] = fmaf(x[k], w[k], l[k & 7]);
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

static void st_lr_project_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_lr_project_args *a = (const st_lr_project_args *)ctx;
    for (int64_t m = b * ST_LR_PROJECT_ROWS; m < st_lr_min(e * ST_LR_PROJECT_ROWS, a->M); m++)
        for (int64_t j = 0; j < a->R; j++)
            a->out[m * a->R + j] = a->scale * st_lr_dot_ref(a->x + m * a->K, a->w + j * a->K, a->K);
}

#if ST_X86
/// Rows x0..x2 against ranks w0..w3 (pointers repeat past the end; those results are dropped): 12 accumulators.
#define ST_LR_PROJECT_STEP(LOAD, k)                                                                           \
    do {                                                                                                      \
        __m256 xa = LOAD(x0 + (k)), xb = LOAD(x1 + (k)), xc = LOAD(x2 + (k)), v;                             \
        v = LOAD(w0 + (k));                                                                                   \
        c00 = _mm256_fmadd_ps(xa, v, c00); c10 = _mm256_fmadd_ps(xb, v, c10); c20 = _mm256_fmadd_ps(xc, v, c20); \
        v = LOAD(w1 + (k));                                                                                   \
        c01 = _mm256_fmadd_ps(xa, v, c01); c11 = _mm256_fmadd_ps(xb, v, c11); c21 = _mm256_fmadd_ps(xc, v, c21); \
        v = LOAD(w2 + (k));                                                                                   \
        c02 = _mm256_fmadd_ps(xa, v, c02); c12 = _mm256_fmadd_ps(xb, v, c12); c22 = _mm256_fmadd_ps(xc, v, c22); \
        v = LOAD(w3 + (k));                                                                                   \
        c03 = _mm256_fmadd_ps(xa, v, c03); c13 = _mm256_fmadd_ps(xb, v, c13); c23 = _mm256_fmadd_ps(xc, v, c23); \
    } while (0)

ST_AVX2 static void st_lr_project_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_lr_project_args *a = (const st_lr_project_args *)ctx;
    const int64_t K = a->K, R = a->R, M = a->M, K8 = K & ~(int64_t)7;
    const __m256i tail = st_v_tail_mask(K - K8);
#define ST_LR_MASKLOAD(p) _mm256_maskload_ps((p), tail)
    for (int64_t blk = b; blk < e; blk++) {
        const int64_t m0 = blk * ST_LR_PROJECT_ROWS, rows = st_lr_min(ST_LR_PROJECT_ROWS, M - m0);
        const float *x0 = a->x + m0 * K;
        const float *x1 = a->x + (m0 + (rows > 1 ? 1 : 0)) * K;
        const float *x2 = a->x + (m0 + (rows > 2 ? 2 : 0)) * K;
        for (int64_t j = 0; j < R; j += 4) {
            const float *w0 = a->w + j * K;
            const float *w1 = a->w + (j + 1 < R ? j + 1 : j) * K;
            const float *w2 = a->w + (j + 2 < R ? j + 2 : j) * K;
            const float *w3 = a->w + (j + 3 < R ? j + 3 : j) * K;
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00;
            __m256 c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            __m256 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
            for (int64_t k = 0; k < K8; k += 8) ST_LR_PROJECT_STEP(_mm256_loadu_ps, k);
            if (K8 < K) ST_LR_PROJECT_STEP(ST_LR_MASKLOAD, K8);   // masked lanes add fma(0, 0, acc) = acc
            const __m256 c[3][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}};
            for (int64_t i = 0; i < rows; i++) {
                float *o = a->out + (m0 + i) * R + j;
                for (int64_t jj = 0; jj < 4 && j + jj < R; jj++) o[jj] = a->scale * st_v_hsum(c[i][jj]);
            }
        }
    }
#undef ST_LR_MASKLOAD
}
#endif

static void st_lr_project(float *out, const float *x, const float *w, float scale, int64_t M, int64_t K,
                          int64_t R, st_range_fn range, int threaded) {
    if (M <= 0 || R <= 0) return;
    st_lr_project_args a = {out, x, w, scale, M, K, R};
    const int64_t blocks = (M + ST_LR_PROJECT_ROWS - 1) / ST_LR_PROJECT_ROWS;
    if (threaded) st_parallel_for_dynamic(blocks, st_lr_grain(ST_LR_PROJECT_ROWS * K * R), 4, range, &a);
    else range(&a, 0, blocks);
}

void st_lowrank_project_f32(float *restrict out, const float *restrict x, const float *restrict w, float scale,
                            int64_t M, int64_t K, int64_t R) {
    st_lr_project(out, x, w, scale, M, K, R, ST_PICK(st_lr_project_range), 1);
}

void st_lowrank_project_f32_ref(float *restrict out, const float *restrict x, const float *restrict w, float scale,
                                int64_t M, int64_t K, int64_t R) {
    st_lr_project(out, x, w, scale, M, K, R, st_lr_project_range_ref, 0);
}

// MARK: - expand: y (+)= scale · h · w

typedef struct {
    float *y;
    const float *h, *w;
    float scale;
    int accumulate;
    int64_t M, R, N;
} st_lr_expand_args;

static void st_lr_expand_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_lr_expand_args *a = (const st_lr_expand_args *)ctx;
    for (int64_t m = b * ST_LR_ROWS; m < st_lr_min(e * ST_LR_ROWS, a->M); m++) {
        for (int64_t n = 0; n < a->N; n++) {
            float acc = 0;
            for (int64_t j = 0; j < a->R; j++) acc = fmaf(a->h[m * a->R + j], a->w[j * a->N + n], acc);
            float *y = a->y + m * a->N + n;
            *y = a->accumulate ? fmaf(a->scale, acc, *y) : a->scale * acc;
        }
    }
}

#if ST_X86
/// Rows m0..m0+rows-1 (rows ≤ 3), columns [n, n + 24) of which lanes mk[0..2] are live: 9 accumulators (12 leave
/// no spare register, and clang then spills one in the inner loop).
ST_AVX2 ST_LR_INLINE void st_lr_expand_strip(const st_lr_expand_args *a, int64_t m0, int64_t rows, int64_t n,
                                              const __m256i *mk, int full) {
    const int64_t R = a->R, N = a->N;
    const float *h0 = a->h + m0 * R;
    const float *h1 = a->h + (m0 + (rows > 1 ? 1 : 0)) * R;
    const float *h2 = a->h + (m0 + (rows > 2 ? 2 : 0)) * R;
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00;
    const float *wp = a->w + n;
    for (int64_t j = 0; j < R; j++, wp += N) {
        __m256 w0 = full ? _mm256_loadu_ps(wp) : _mm256_maskload_ps(wp, mk[0]);
        __m256 w1 = full ? _mm256_loadu_ps(wp + 8) : _mm256_maskload_ps(wp + 8, mk[1]);
        __m256 w2 = full ? _mm256_loadu_ps(wp + 16) : _mm256_maskload_ps(wp + 16, mk[2]);
        __m256 hb;
        hb = _mm256_broadcast_ss(h0 + j);
        c00 = _mm256_fmadd_ps(hb, w0, c00); c01 = _mm256_fmadd_ps(hb, w1, c01); c02 = _mm256_fmadd_ps(hb, w2, c02);
        hb = _mm256_broadcast_ss(h1 + j);
        c10 = _mm256_fmadd_ps(hb, w0, c10); c11 = _mm256_fmadd_ps(hb, w1, c11); c12 = _mm256_fmadd_ps(hb, w2, c12);
        hb = _mm256_broadcast_ss(h2 + j);
        c20 = _mm256_fmadd_ps(hb, w0, c20); c21 = _mm256_fmadd_ps(hb, w1, c21); c22 = _mm256_fmadd_ps(hb, w2, c22);
    }
    const __m256 s = _mm256_set1_ps(a->scale);
    // Written out per row (no loop over an array of accumulators, which GCC spills to the stack).
#define ST_LR_EXPAND_STORE(i, v, acc)                                                                          \
    do {                                                                                                      \
        float *y = a->y + (m0 + (i)) * N + n + 8 * (v);                                                       \
        __m256 r = a->accumulate ? _mm256_fmadd_ps(s, acc, full ? _mm256_loadu_ps(y) : _mm256_maskload_ps(y, mk[v])) \
                                 : _mm256_mul_ps(s, acc);                                                     \
        if (full) _mm256_storeu_ps(y, r);                                                                     \
        else _mm256_maskstore_ps(y, mk[v], r);                                                                \
    } while (0)
    ST_LR_EXPAND_STORE(0, 0, c00); ST_LR_EXPAND_STORE(0, 1, c01); ST_LR_EXPAND_STORE(0, 2, c02);
    if (rows > 1) { ST_LR_EXPAND_STORE(1, 0, c10); ST_LR_EXPAND_STORE(1, 1, c11); ST_LR_EXPAND_STORE(1, 2, c12); }
    if (rows > 2) { ST_LR_EXPAND_STORE(2, 0, c20); ST_LR_EXPAND_STORE(2, 1, c21); ST_LR_EXPAND_STORE(2, 2, c22); }
#undef ST_LR_EXPAND_STORE
}

/// Masks for the three vectors of a strip with `live` columns (0..24).
ST_AVX2 static inline void st_lr_strip_masks(__m256i *mk, int64_t live) {
    for (int v = 0; v < 3; v++) {
        int64_t l = live - 8 * v;
        mk[v] = st_v_tail_mask(l < 0 ? 0 : l > 8 ? 8 : l);
    }
}

ST_AVX2 static void st_lr_expand_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_lr_expand_args *a = (const st_lr_expand_args *)ctx;
    const int64_t N = a->N, NS = N / ST_LR_STRIP * ST_LR_STRIP;
    __m256i full[3], tail[3];
    st_lr_strip_masks(full, ST_LR_STRIP);
    st_lr_strip_masks(tail, N - NS);
    for (int64_t blk = b; blk < e; blk++) {
        const int64_t m0 = blk * ST_LR_ROWS, rows = st_lr_min(ST_LR_ROWS, a->M - m0);
        for (int64_t n = 0; n < NS; n += ST_LR_STRIP) st_lr_expand_strip(a, m0, rows, n, full, 1);
        if (NS < N) st_lr_expand_strip(a, m0, rows, NS, tail, 0);
    }
}
#endif

static void st_lr_expand(float *y, const float *h, const float *w, float scale, int accumulate, int64_t M,
                         int64_t R, int64_t N, st_range_fn range, int threaded) {
    if (M <= 0 || N <= 0) return;
    st_lr_expand_args a = {y, h, w, scale, accumulate, M, R, N};
    const int64_t blocks = (M + ST_LR_ROWS - 1) / ST_LR_ROWS;
    if (threaded) st_parallel_for_dynamic(blocks, st_lr_grain(ST_LR_ROWS * N * (R > 0 ? R : 1)), 4, range, &a);
    else range(&a, 0, blocks);
}

void st_lowrank_expand_f32(float *restrict y, const float *restrict h, const float *restrict w, float scale,
                           int accumulate, int64_t M, int64_t R, int64_t N) {
    st_lr_expand(y, h, w, scale, accumulate, M, R, N, ST_PICK(st_lr_expand_range), 1);
}

void st_lowrank_expand_f32_ref(float *restrict y, const float *restrict h, const float *restrict w, float scale,
                               int accumulate, int64_t M, int64_t R, int64_t N) {
    st_lr_expand(y, h, w, scale, accumulate, M, R, N, st_lr_expand_range_ref, 0);
}

// MARK: - gram: out = scale · hᵀ · g

typedef struct {
    float *out;
    const float *h, *g;
    float scale;
    int transpose_out;
    int64_t M, R, N;
} st_lr_gram_args;

static inline float *st_lr_gram_at(const st_lr_gram_args *a, int64_t j, int64_t n) {
    return a->transpose_out ? a->out + n * a->R + j : a->out + j * a->N + n;
}

static void st_lr_gram_range_ref(void *ctx, int64_t b, int64_t e) {
    const st_lr_gram_args *a = (const st_lr_gram_args *)ctx;
    const int64_t n0 = b * ST_LR_GRAM_STRIP, n1 = st_lr_min(e * ST_LR_GRAM_STRIP, a->N);
    for (int64_t j = 0; j < a->R; j++)
        for (int64_t n = n0; n < n1; n++) *st_lr_gram_at(a, j, n) = 0;
    for (int64_t m = 0; m < a->M; m++)   // partial sums kept in `out` (floats, so the same as a register)
        for (int64_t j = 0; j < a->R; j++) {
            const float hv = a->h[m * a->R + j];
            for (int64_t n = n0; n < n1; n++) {
                float *o = st_lr_gram_at(a, j, n);
                *o = fmaf(hv, a->g[m * a->N + n], *o);
            }
        }
    for (int64_t j = 0; j < a->R; j++)
        for (int64_t n = n0; n < n1; n++) *st_lr_gram_at(a, j, n) *= a->scale;
}

#if ST_X86
/// Ranks j0..j0+J-1 (J ≤ 4) of columns [n, n + 16), lanes mk[0..1] live: 8 accumulators (12 — 3 vectors × 4
/// ranks — leave no spare register and clang spills in the loop; 3 × 3 needs three passes over g for rank 8).
ST_AVX2 ST_LR_INLINE void st_lr_gram_strip(const st_lr_gram_args *a, int64_t j0, int64_t J, int64_t n,
                                           const __m256i *mk, int full) {
    const int64_t R = a->R, N = a->N, M = a->M;
    const int64_t jb = j0 + (J > 1 ? 1 : 0), jc = j0 + (J > 2 ? 2 : 0), jd = j0 + (J > 3 ? 3 : 0);
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
    __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const float *gp = a->g + n, *hp = a->h;
    for (int64_t m = 0; m < M; m++, gp += N, hp += R) {
        __m256 g0 = full ? _mm256_loadu_ps(gp) : _mm256_maskload_ps(gp, mk[0]);
        __m256 g1 = full ? _mm256_loadu_ps(gp + 8) : _mm256_maskload_ps(gp + 8, mk[1]);
        __m256 hb;
        hb = _mm256_broadcast_ss(hp + j0); c00 = _mm256_fmadd_ps(hb, g0, c00); c01 = _mm256_fmadd_ps(hb, g1, c01);
        hb = _mm256_broadcast_ss(hp + jb); c10 = _mm256_fmadd_ps(hb, g0, c10); c11 = _mm256_fmadd_ps(hb, g1, c11);
        hb = _mm256_broadcast_ss(hp + jc); c20 = _mm256_fmadd_ps(hb, g0, c20); c21 = _mm256_fmadd_ps(hb, g1, c21);
        hb = _mm256_broadcast_ss(hp + jd); c30 = _mm256_fmadd_ps(hb, g0, c30); c31 = _mm256_fmadd_ps(hb, g1, c31);
    }
    const __m256 s = _mm256_set1_ps(a->scale);
    const int64_t live = st_lr_min(ST_LR_GRAM_STRIP, N - n);
    // Written out per rank (no loop over an array of accumulators, which compilers spill to the stack).
#define ST_LR_GRAM_STORE(i, acc0, acc1)                                                                        \
    do {                                                                                                      \
        const __m256 v0 = _mm256_mul_ps(s, acc0), v1 = _mm256_mul_ps(s, acc1);                                \
        if (!a->transpose_out) {                                                                              \
            float *o = a->out + (j0 + (i)) * N + n;                                                           \
            if (full) {                                                                                       \
                _mm256_storeu_ps(o, v0); _mm256_storeu_ps(o + 8, v1);                                         \
            } else {                                                                                          \
                _mm256_maskstore_ps(o, mk[0], v0); _mm256_maskstore_ps(o + 8, mk[1], v1);                     \
            }                                                                                                 \
        } else {                                                                                              \
            float t[ST_LR_GRAM_STRIP];                                                                        \
            _mm256_storeu_ps(t, v0); _mm256_storeu_ps(t + 8, v1);                                             \
            for (int64_t l = 0; l < live; l++) a->out[(n + l) * R + j0 + (i)] = t[l];                        \
        }                                                                                                     \
    } while (0)
    ST_LR_GRAM_STORE(0, c00, c01);
    if (J > 1) ST_LR_GRAM_STORE(1, c10, c11);
    if (J > 2) ST_LR_GRAM_STORE(2, c20, c21);
    if (J > 3) ST_LR_GRAM_STORE(3, c30, c31);
#undef ST_LR_GRAM_STORE
}

ST_AVX2 static void st_lr_gram_range_avx2(void *ctx, int64_t b, int64_t e) {
    const st_lr_gram_args *a = (const st_lr_gram_args *)ctx;
    const int64_t N = a->N, R = a->R;
    __m256i full[3], tail[3];
    st_lr_strip_masks(full, ST_LR_GRAM_STRIP);
    st_lr_strip_masks(tail, N % ST_LR_GRAM_STRIP);
    for (int64_t s = b; s < e; s++) {
        const int64_t n = s * ST_LR_GRAM_STRIP;
        const int is_full = N - n >= ST_LR_GRAM_STRIP;
        for (int64_t j = 0; j < R; j += 4) {
            if (is_full) st_lr_gram_strip(a, j, st_lr_min(4, R - j), n, full, 1);
            else st_lr_gram_strip(a, j, st_lr_min(4, R - j), n, tail, 0);
        }
    }
}
#endif

static void st_lr_gram(float *out, const float *h, const float *g, float scale, int transpose_out, int64_t M,
                       int64_t R, int64_t N, st_range_fn range, int threaded) {
    if (R <= 0 || N <= 0) return;
    st_lr_gram_args a = {out, h, g, scale, transpose_out, M, R, N};
    const int64_t strips = (N + ST_LR_GRAM_STRIP - 1) / ST_LR_GRAM_STRIP;
    if (threaded) st_parallel_for_dynamic(strips, st_lr_grain(ST_LR_GRAM_STRIP * M * R), 4, range, &a);
    else range(&a, 0, strips);
}

void st_lowrank_gram_f32(float *restrict out, const float *restrict h, const float *restrict g, float scale,
                         int transpose_out, int64_t M, int64_t R, int64_t N) {
    st_lr_gram(out, h, g, scale, transpose_out, M, R, N, ST_PICK(st_lr_gram_range), 1);
}

void st_lowrank_gram_f32_ref(float *restrict out, const float *restrict h, const float *restrict g, float scale,
                             int transpose_out, int64_t M, int64_t R, int64_t N) {
    st_lr_gram(out, h, g, scale, transpose_out, M, R, N, st_lr_gram_range_ref, 0);
}

void st_lowrank_transpose_f32(float *restrict out, const float *restrict in, int64_t R, int64_t C) {
    for (int64_t r = 0; r < R; r++)
        for (int64_t c = 0; c < C; c++) out[c * R + r] = in[r * C + c];
}
