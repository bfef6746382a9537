// nf4_sum.c — the offset of NF4 double quantization: torch's float32 sum of the block scales, in torch's order.
//
// Purpose: bitsandbytes centres the absmax values on `absmax.mean()` before quantizing them to 8 bits, and torch sums
// a contiguous float32 tensor in a fixed cascade (aten/src/ATen/native/cpu/SumKernel.cpp, AVX2 build). Reproducing
// that order bit for bit keeps our codes equal to bitsandbytes'. The portable twin runs the lanes in loops; the AVX2
// path keeps the 8 lanes of a row in one register, so every lane adds the same values in the same order.
//
// Shape legend: n = values; rows of 8 lanes (1 lane when n < 8); groups of 4 rows (torch's 4-way ILP).
#include "st_internal.h"

/// torch's `multi_row_sum` (aten/src/ATen/native/cpu/SumKernel.cpp) over `size` groups of 4 rows of 8 lanes
/// (row r of group g is the 8 floats at x + 8·(4g + r)): a four-level cascade, levels of 2^max(4, ⌈log2 size⌉ / 4)
/// groups. Writes the four row accumulators to acc_out[0..3]; `width` is the lanes per row (8, or 1 for the
/// one-float rows of a sum of fewer than 8 values), and only those lanes are meaningful.
static void st_torch_multi_row_sum(float acc_out[4][8], const float *x, int64_t size, int width) {
    const int levels = 4;
    int ceil_log2 = 0;
    if (size > 1) ceil_log2 = 64 - __builtin_clzll((unsigned long long)(size - 1));
    const int level_power = ceil_log2 / levels > 4 ? ceil_log2 / levels : 4;
    const int64_t level_step = (int64_t)1 << level_power, level_mask = level_step - 1;
    float acc[4][4][8] = {{{0}}};
    int64_t i = 0;
    for (; i + level_step <= size; ) {
        for (int64_t t = 0; t < level_step; t++, i++)
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < width; k++) acc[0][r][k] += x[(4 * i + r) * width + k];
        for (int j = 1; j < levels; j++) {
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < width; k++) { acc[j][r][k] += acc[j - 1][r][k]; acc[j - 1][r][k] = 0; }
            if (i & (level_mask << (j * level_power))) break;
        }
    }
    for (; i < size; i++)
        for (int r = 0; r < 4; r++)
            for (int k = 0; k < width; k++) acc[0][r][k] += x[(4 * i + r) * width + k];
    for (int j = 1; j < levels; j++)
        for (int r = 0; r < 4; r++)
            for (int k = 0; k < width; k++) acc[0][r][k] += acc[j][r][k];
    memcpy(acc_out, acc[0], sizeof acc[0]);
}

#if ST_X86
/// The same for width 8, the lanes of a row in one register: every lane adds the same values in the same order.
ST_AVX2 static void st_torch_multi_row_sum_avx2(float acc_out[4][8], const float *x, int64_t size) {
    const int levels = 4;
    int ceil_log2 = 0;
    if (size > 1) ceil_log2 = 64 - __builtin_clzll((unsigned long long)(size - 1));
    const int level_power = ceil_log2 / levels > 4 ? ceil_log2 / levels : 4;
    const int64_t level_step = (int64_t)1 << level_power, level_mask = level_step - 1;
    __m256 acc[4][4];
    for (int j = 0; j < levels; j++)
        for (int r = 0; r < 4; r++) acc[j][r] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + level_step <= size; ) {
        for (int64_t t = 0; t < level_step; t++, i++)
            for (int r = 0; r < 4; r++) acc[0][r] = _mm256_add_ps(acc[0][r], _mm256_loadu_ps(x + 8 * (4 * i + r)));
        for (int j = 1; j < levels; j++) {
            for (int r = 0; r < 4; r++) {
                acc[j][r] = _mm256_add_ps(acc[j][r], acc[j - 1][r]);
                acc[j - 1][r] = _mm256_setzero_ps();
            }
            if (i & (level_mask << (j * level_power))) break;
        }
    }
    for (; i < size; i++)
        for (int r = 0; r < 4; r++) acc[0][r] = _mm256_add_ps(acc[0][r], _mm256_loadu_ps(x + 8 * (4 * i + r)));
    for (int j = 1; j < levels; j++)
        for (int r = 0; r < 4; r++) acc[0][r] = _mm256_add_ps(acc[0][r], acc[j][r]);
    for (int r = 0; r < 4; r++) _mm256_storeu_ps(acc_out[r], acc[0][r]);
}
#endif

/// torch's `row_sum` over `count` rows of `width` lanes (4-way ILP through multi_row_sum, then the leftover rows
/// into row accumulator 0, then accumulators 1..3 into 0): out[0..width).
static void st_torch_row_sum(float out[8], const float *x, int64_t count, int width, int fast) {
    const int64_t groups = count / 4;
    float partial[4][8];
#if ST_X86
    if (fast && width == 8) st_torch_multi_row_sum_avx2(partial, x, groups);
    else
#endif
        st_torch_multi_row_sum(partial, x, groups, width);
    (void)fast;
    for (int64_t i = groups * 4; i < count; i++)
        for (int k = 0; k < width; k++) partial[0][k] += x[i * width + k];
    for (int r = 1; r < 4; r++)
        for (int k = 0; k < width; k++) partial[0][k] += partial[r][k];
    memcpy(out, partial[0], sizeof(float) * (size_t)width);
}

static float st_nf4_torch_sum(const float *x, int64_t n, int fast) {
    float partial[8];
    const int64_t vectors = n / 8;
    if (vectors == 0) {
        st_torch_row_sum(partial, x, n, 1, fast);
        return n > 0 ? partial[0] : 0.0f;
    }
    st_torch_row_sum(partial, x, vectors, 8, fast);
    float total = 0.0f;
    for (int64_t k = vectors * 8; k < n; k++) total += x[k];
    for (int k = 0; k < 8; k++) total += partial[k];
    return total;
}

float st_nf4_torch_sum_f32(const float *x, int64_t n) {
#if ST_X86
    return st_nf4_torch_sum(x, n, st_cpu_has_avx2_fma());
#else
    return st_nf4_torch_sum(x, n, 0);
#endif
}

float st_nf4_torch_sum_f32_ref(const float *x, int64_t n) { return st_nf4_torch_sum(x, n, 0); }
