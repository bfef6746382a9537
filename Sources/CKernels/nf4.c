// nf4.c — NF4 quantization and dequantization of weights, and the double quantization of their absmax,
// bit-compatible with bitsandbytes 0.50 (functional.quantize_4bit / dequantize_4bit, quant_type "nf4").
//
// Purpose: the format and the rounding rules live here (see st_nf4.h for the layout). The _ref twins define them
// element by element; the fast paths (AVX2: a four-step branch-free binary search over the midpoints with in-lane
// permutes for the nearest code, nibbles packed in registers; a two-register permute for the codebook lookup;
// threaded over blocks) give bit-identical results, because every step is a comparison or a single float32
// multiply / divide, which SIMD and scalar code round alike.
//
// Shape legend: n = weight elements; count = absmax values = ceil(n / 64); blocks of 64 (weights) and of 256
// (absmax) over the flat arrays.
#include "st_internal.h"

/// bitsandbytes.functional.get_4bit_type("nf4"): the NF4 values of QLoRA (appendix E), as float32.
static const float st_nf4_values[16] = {
    -0x1p+0f, -0x1.647362p-1f, -0x1.0cd66p-1f, -0x1.94654p-2f, -0x1.23449ap-2f, -0x1.7a6a7ep-3f, -0x1.74f0e2p-4f, 0x0p+0f,
    0x1.45f5fep-4f, 0x1.4995c6p-3f, 0x1.f809bap-3f, 0x1.5a0674p-2f, 0x1.c3497p-2f, 0x1.200f56p-1f, 0x1.722766p-1f, 0x1p+0f,
};

/// bitsandbytes.functional.create_dynamic_map(signed=True) (Dettmers 2016, "8-bit approximations"), as float32,
/// ascending. Tools/generate_nf4_fixtures.py writes the same table to Fixtures/nf4/codebooks.json; the tests compare.
static const float st_nf4_dynamic[256] = {
    -0x1.fc6666p-1f, -0x1.f53334p-1f, -0x1.eep-1f, -0x1.e6ccccp-1f,
    -0x1.df999ap-1f, -0x1.d86666p-1f, -0x1.d13334p-1f, -0x1.cap-1f,
    -0x1.c2ccccp-1f, -0x1.bb999ap-1f, -0x1.b46666p-1f, -0x1.ad3334p-1f,
    -0x1.a6p-1f, -0x1.9eccccp-1f, -0x1.97999ap-1f, -0x1.906666p-1f,
    -0x1.893334p-1f, -0x1.82p-1f, -0x1.7accccp-1f, -0x1.73999ap-1f,
    -0x1.6c6668p-1f, -0x1.653334p-1f, -0x1.5ep-1f, -0x1.56ccccp-1f,
    -0x1.4f999ap-1f, -0x1.486668p-1f, -0x1.413334p-1f, -0x1.3ap-1f,
    -0x1.32ccccp-1f, -0x1.2b999ap-1f, -0x1.246668p-1f, -0x1.1d3334p-1f,
    -0x1.16p-1f, -0x1.0eccccp-1f, -0x1.079998p-1f, -0x1.006666p-1f,
    -0x1.f26664p-2f, -0x1.e4p-2f, -0x1.d59998p-2f, -0x1.c73334p-2f,
    -0x1.b8ccccp-2f, -0x1.aa6666p-2f, -0x1.9cp-2f, -0x1.8d9998p-2f,
    -0x1.7f3334p-2f, -0x1.70ccccp-2f, -0x1.626666p-2f, -0x1.54p-2f,
    -0x1.459998p-2f, -0x1.373334p-2f, -0x1.28ccccp-2f, -0x1.1a6668p-2f,
    -0x1.0cp-2f, -0x1.fb3332p-3f, -0x1.de6666p-3f, -0x1.c1999ap-3f,
    -0x1.a4ccccp-3f, -0x1.88p-3f, -0x1.6b3334p-3f, -0x1.4e6666p-3f,
    -0x1.31999ap-3f, -0x1.14ccccp-3f, -0x1.fp-4f, -0x1.b66668p-4f,
    -0x1.93d70ap-4f, -0x1.8851eep-4f, -0x1.7ccccep-4f, -0x1.7147aep-4f,
    -0x1.65c29p-4f, -0x1.5a3d7p-4f, -0x1.4eb854p-4f, -0x1.433334p-4f,
    -0x1.37ae14p-4f, -0x1.2c28f6p-4f, -0x1.20a3d6p-4f, -0x1.151ebap-4f,
    -0x1.09999ap-4f, -0x1.fc28f6p-5f, -0x1.e51ebap-5f, -0x1.ce147ap-5f,
    -0x1.b70a3ep-5f, -0x1.ap-5f, -0x1.88f5c2p-5f, -0x1.71eb86p-5f,
    -0x1.5ae146p-5f, -0x1.43d70ap-5f, -0x1.2ccccep-5f, -0x1.15c29p-5f,
    -0x1.fd70a4p-6f, -0x1.cf5c2ap-6f, -0x1.a147aep-6f, -0x1.733334p-6f,
    -0x1.451ebap-6f, -0x1.170a3ep-6f, -0x1.d1eb86p-7f, -0x1.75c29p-7f,
    -0x1.3e76c8p-7f, -0x1.2c083p-7f, -0x1.19999ap-7f, -0x1.072b02p-7f,
    -0x1.e978d4p-8f, -0x1.c49ba6p-8f, -0x1.9fbe76p-8f, -0x1.7ae148p-8f,
    -0x1.56041ap-8f, -0x1.3126e8p-8f, -0x1.0c49bap-8f, -0x1.ced914p-9f,
    -0x1.851eb8p-9f, -0x1.3b645ap-9f, -0x1.e353f8p-10f, -0x1.4fdf3ap-10f,
    -0x1.eecbfep-11f, -0x1.b3d07cp-11f, -0x1.78d5p-11f, -0x1.3dd982p-11f,
    -0x1.02de02p-11f, -0x1.8fc506p-12f, -0x1.19ce0ap-12f, -0x1.47ae16p-13f,
    -0x1.743e96p-14f, -0x1.15df66p-14f, -0x1.6f0068p-15f, -0x1.64840cp-16f,
    -0x1.040bfep-17f, -0x1.b43528p-19f, -0x1.27476ep-21f, 0x0p+0f,
    0x1.27476ep-21f, 0x1.b43528p-19f, 0x1.040bfep-17f, 0x1.64840cp-16f,
    0x1.6f0068p-15f, 0x1.15df66p-14f, 0x1.743e96p-14f, 0x1.47ae16p-13f,
    0x1.19ce0ap-12f, 0x1.8fc506p-12f, 0x1.02de02p-11f, 0x1.3dd982p-11f,
    0x1.78d5p-11f, 0x1.b3d07cp-11f, 0x1.eecbfep-11f, 0x1.4fdf3ap-10f,
    0x1.e353f8p-10f, 0x1.3b645ap-9f, 0x1.851eb8p-9f, 0x1.ced914p-9f,
    0x1.0c49bap-8f, 0x1.3126e8p-8f, 0x1.56041ap-8f, 0x1.7ae148p-8f,
    0x1.9fbe76p-8f, 0x1.c49ba6p-8f, 0x1.e978d4p-8f, 0x1.072b02p-7f,
    0x1.19999ap-7f, 0x1.2c083p-7f, 0x1.3e76c8p-7f, 0x1.75c29p-7f,
    0x1.d1eb86p-7f, 0x1.170a3ep-6f, 0x1.451ebap-6f, 0x1.733334p-6f,
    0x1.a147aep-6f, 0x1.cf5c2ap-6f, 0x1.fd70a4p-6f, 0x1.15c29p-5f,
    0x1.2ccccep-5f, 0x1.43d70ap-5f, 0x1.5ae146p-5f, 0x1.71eb86p-5f,
    0x1.88f5c2p-5f, 0x1.ap-5f, 0x1.b70a3ep-5f, 0x1.ce147ap-5f,
    0x1.e51ebap-5f, 0x1.fc28f6p-5f, 0x1.09999ap-4f, 0x1.151ebap-4f,
    0x1.20a3d6p-4f, 0x1.2c28f6p-4f, 0x1.37ae14p-4f, 0x1.433334p-4f,
    0x1.4eb854p-4f, 0x1.5a3d7p-4f, 0x1.65c29p-4f, 0x1.7147aep-4f,
    0x1.7ccccep-4f, 0x1.8851eep-4f, 0x1.93d70ap-4f, 0x1.b66668p-4f,
    0x1.fp-4f, 0x1.14ccccp-3f, 0x1.31999ap-3f, 0x1.4e6666p-3f,
    0x1.6b3334p-3f, 0x1.88p-3f, 0x1.a4ccccp-3f, 0x1.c1999ap-3f,
    0x1.de6666p-3f, 0x1.fb3332p-3f, 0x1.0cp-2f, 0x1.1a6668p-2f,
    0x1.28ccccp-2f, 0x1.373334p-2f, 0x1.459998p-2f, 0x1.54p-2f,
    0x1.626666p-2f, 0x1.70ccccp-2f, 0x1.7f3334p-2f, 0x1.8d9998p-2f,
    0x1.9cp-2f, 0x1.aa6666p-2f, 0x1.b8ccccp-2f, 0x1.c73334p-2f,
    0x1.d59998p-2f, 0x1.e4p-2f, 0x1.f26664p-2f, 0x1.006666p-1f,
    0x1.079998p-1f, 0x1.0eccccp-1f, 0x1.16p-1f, 0x1.1d3334p-1f,
    0x1.246668p-1f, 0x1.2b999ap-1f, 0x1.32ccccp-1f, 0x1.3ap-1f,
    0x1.413334p-1f, 0x1.486668p-1f, 0x1.4f999ap-1f, 0x1.56ccccp-1f,
    0x1.5ep-1f, 0x1.653334p-1f, 0x1.6c6668p-1f, 0x1.73999ap-1f,
    0x1.7accccp-1f, 0x1.82p-1f, 0x1.893334p-1f, 0x1.906666p-1f,
    0x1.97999ap-1f, 0x1.9eccccp-1f, 0x1.a6p-1f, 0x1.ad3334p-1f,
    0x1.b46666p-1f, 0x1.bb999ap-1f, 0x1.c2ccccp-1f, 0x1.cap-1f,
    0x1.d13334p-1f, 0x1.d86666p-1f, 0x1.df999ap-1f, 0x1.e6ccccp-1f,
    0x1.eep-1f, 0x1.f53334p-1f, 0x1.fc6666p-1f, 0x1p+0f,
};

void st_nf4_codebook(float *restrict out) { memcpy(out, st_nf4_values, sizeof st_nf4_values); }
void st_nf4_dynamic_map(float *restrict out) { memcpy(out, st_nf4_dynamic, sizeof st_nf4_dynamic); }

/// The smallest absmax bitsandbytes divides by (torch: absmax.clamp(min=1e-38)).
#define ST_NF4_MIN_ABSMAX 1e-38f

/// The float32 midpoints between consecutive entries of a sorted codebook of `size` values, as torch computes
/// them: (code[:-1] + code[1:]) / 2.
static void st_nf4_midpoints(float *restrict mid, const float *restrict code, int size) {
    for (int i = 0; i + 1 < size; i++) mid[i] = (code[i] + code[i + 1]) / 2.0f;
}

/// The nearest code to s (already scaled): clamp to [−1, 1], then count the midpoints strictly below it.
static inline int st_nf4_bucket_linear(float s, const float *mid, int size) {
    s = s < -1.0f ? -1.0f : (s > 1.0f ? 1.0f : s);
    int k = 0;
    for (int i = 0; i + 1 < size; i++) k += mid[i] < s;
    return k;
}

/// The same by a branch-free binary search over the 255 midpoints of the 256-entry map (the midpoints are sorted,
/// so the count of those below s is found by halving steps 128, 64, …, 1; every probed index is ≤ 254).
static inline int st_nf4_bucket_search256(float s, const float *mid) {
    s = s < -1.0f ? -1.0f : (s > 1.0f ? 1.0f : s);
    int lo = 0;
    for (int step = 128; step > 0; step >>= 1) lo += (mid[lo + step - 1] < s) ? step : 0;
    return lo;
}

/// max |v| over `len` values (0 for an all-zero block).
static inline float st_nf4_block_absmax(const float *v, int64_t len) {
    float am = 0.0f;
    for (int64_t i = 0; i < len; i++) {
        float a = fabsf(v[i]);
        am = a > am ? a : am;
    }
    return am;
}

// MARK: - 4-bit weights

typedef struct {
    uint8_t *packed;
    float *absmax;
    const float *w;
    int64_t n;
    float mid[15];
} st_nf4_quantize_args;

/// Blocks [b0, b1) of the weight (a block is 32 whole bytes, so threads never share a byte).
static void st_nf4_quantize_range_ref(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_quantize_args *a = (const st_nf4_quantize_args *)ctx;
    for (int64_t b = b0; b < b1; b++) {
        const int64_t begin = b * ST_NF4_BLOCK;
        const int64_t len = a->n - begin < ST_NF4_BLOCK ? a->n - begin : ST_NF4_BLOCK;
        const int full = len == ST_NF4_BLOCK;
        float am = st_nf4_block_absmax(a->w + begin, len);
        float inv = 0.0f;
        if (full) inv = 1.0f / (am < ST_NF4_MIN_ABSMAX ? ST_NF4_MIN_ABSMAX : am);
        else if (am < ST_NF4_MIN_ABSMAX) am = ST_NF4_MIN_ABSMAX;
        a->absmax[b] = am;
        for (int64_t i = 0; i < len; i += 2) {
            const float *w = a->w + begin + i;
            const int hi = st_nf4_bucket_linear(full ? w[0] * inv : w[0] / am, a->mid, 16);
            const int lo = i + 1 < len ? st_nf4_bucket_linear(full ? w[1] * inv : w[1] / am, a->mid, 16)
                                       : 7;   // odd n: bitsandbytes pads with 0.0, whose code is 7
            a->packed[(begin + i) >> 1] = (uint8_t)(hi << 4 | lo);
        }
    }
}

#if ST_X86
/// The 4-bit codes of eight scaled values s (32-bit lanes), negated: −(number of midpoints strictly below s).
/// Every compare is mid < s (_CMP_LT_OQ, −1 when true), so NaN compares false everywhere and gets code 0, as in the
/// twin, and s beyond ±1 needs no clamp (no midpoint lies outside (−1, 1)). The count's top two bits are the
/// number of {mid[3], mid[7], mid[11]} below s (three compares against broadcasts, no table); the third bit compares
/// with mid[4·top + 1], picked by an in-lane permute (it reads the low two bits of −top); the last bit compares with
/// mid[2·(2·top + bit3)], picked by one cross-lane permute of an 8-entry table (low three bits of the negated index).
/// Seven floating-point-pipe operations per eight values (a four-step search with permuted tables took ten).
ST_AVX2 static inline __m256i st_nf4_v_neg_code(__m256 s, const __m256 *t) {
    const __m256i c1 = _mm256_castps_si256(_mm256_cmp_ps(t[0], s, _CMP_LT_OQ));
    const __m256i c2 = _mm256_castps_si256(_mm256_cmp_ps(t[1], s, _CMP_LT_OQ));
    const __m256i c3 = _mm256_castps_si256(_mm256_cmp_ps(t[2], s, _CMP_LT_OQ));
    const __m256i top = _mm256_add_epi32(_mm256_add_epi32(c1, c2), c3);                 // −(count >> 2)
    const __m256i b3 = _mm256_castps_si256(_mm256_cmp_ps(_mm256_permutevar_ps(t[3], top), s, _CMP_LT_OQ));
    const __m256i p3 = _mm256_add_epi32(_mm256_add_epi32(top, top), b3);                // −(count >> 1)
    const __m256i b4 = _mm256_castps_si256(_mm256_cmp_ps(_mm256_permutevar8x32_ps(t[4], p3), s, _CMP_LT_OQ));
    return _mm256_add_epi32(_mm256_add_epi32(p3, p3), b4);
}

/// The tables of st_nf4_v_neg_code from the 15 midpoints, as five 8-lane vectors: t[0..2] = mid[7], mid[3],
/// mid[11] everywhere; t[3] = mid[4·top + 1] at in-lane position (−top) & 3 (both 128-bit lanes); t[4] =
/// mid[2·i] at position (−i) & 7 for the 3-bit prefix i.
static void st_nf4_search_tables(float t[5][8], const float *mid) {
    for (int j = 0; j < 8; j++) {
        t[0][j] = mid[7];
        t[1][j] = mid[3];
        t[2][j] = mid[11];
    }
    for (int top = 0; top < 4; top++)
        for (int lane = 0; lane < 8; lane += 4) t[3][lane + ((-top) & 3)] = mid[4 * top + 1];
    for (int i = 0; i < 8; i++) t[4][(-i) & 7] = mid[2 * i];
}

/// 64 negated codes (eight vectors, elements in order) → 32 bytes, element 2j in the high nibble of byte j.
ST_AVX2 static inline __m256i st_nf4_v_pack64(const __m256i *k) {
    // Saturating packs keep −15..0; within each 128-bit lane they interleave their two sources, so the bytes
    // come out as (in units of byte pairs = 4 elements) lane 0: k0[0..3] k1[0..3] k2[0..3] k3[0..3], lane 1: [4..7].
    const __m256i zero = _mm256_setzero_si256();
    const __m256i a = _mm256_packs_epi16(_mm256_packs_epi32(k[0], k[1]), _mm256_packs_epi32(k[2], k[3]));
    const __m256i b = _mm256_packs_epi16(_mm256_packs_epi32(k[4], k[5]), _mm256_packs_epi32(k[6], k[7]));
    // Codes, then byte pairs (even, odd) → 16·even + odd in 16 bits.
    const __m256i mul = _mm256_set1_epi16(0x0110);
    const __m256i wa = _mm256_maddubs_epi16(_mm256_sub_epi8(zero, a), mul);
    const __m256i wb = _mm256_maddubs_epi16(_mm256_sub_epi8(zero, b), mul);
    // Output byte order, lane 0: 0 1 4 5 8 9 12 13 | 16 17 20 21 24 25 28 29, lane 1: the same + 2.
    const __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(wa, wb), 0xD8);
    // Now lane 0: 0 1 4 5 8 9 12 13 2 3 6 7 10 11 14 15, lane 1: the same + 16; interleave the byte pairs.
    const __m256i order = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
                                           0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    return _mm256_shuffle_epi8(bytes, order);
}

/// The absmax of the full block at w (_mm256_max_ps(|w|, m) keeps m when |w| is NaN, as the twin's
/// `a > am ? a : am`), in every lane.
ST_AVX2 static inline __m256 st_nf4_v_block_absmax(const float *w) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m0 = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(w)), _mm256_setzero_ps());
    __m256 m1 = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(w + 8)), _mm256_setzero_ps());
    for (int i = 16; i < ST_NF4_BLOCK; i += 16) {
        m0 = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(w + i)), m0);
        m1 = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(w + i + 8)), m1);
    }
    __m256 m = _mm256_max_ps(m0, m1);           // no NaN left: every lane is the max of its values
    m = _mm256_max_ps(m, _mm256_permute2f128_ps(m, m, 1));
    m = _mm256_max_ps(m, _mm256_permute_ps(m, 0x4E));
    return _mm256_max_ps(m, _mm256_permute_ps(m, 0xB1));
}

/// Blocks go in groups of ST_NF4_GROUP: first their absmax and reciprocals, then their codes, so that the long
/// dependency chains (horizontal max → divide → multiply → four-step search) of different blocks overlap.
#define ST_NF4_GROUP 4

/// Full blocks: the same float32 reciprocal and multiply as the twin, the codes by the search above, packed in
/// registers; the short last block goes to the twin (it is scaled by a division).
ST_AVX2 static void st_nf4_quantize_range_avx2(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_quantize_args *a = (const st_nf4_quantize_args *)ctx;
    float tables[5][8];
    st_nf4_search_tables(tables, a->mid);
    __m256 t[5];
    for (int i = 0; i < 5; i++) t[i] = _mm256_loadu_ps(tables[i]);
    const __m256 one = _mm256_set1_ps(1.0f), floor = _mm256_set1_ps(ST_NF4_MIN_ABSMAX);
    const int64_t full = a->n / ST_NF4_BLOCK < b1 ? a->n / ST_NF4_BLOCK : b1;   // blocks [b0, full) are full
    // The group's blocks come from four lanes far apart in the range (four memory streams per thread, as in
    // matvec.c), not from four neighbours: each block is coded on its own, so the result is the same.
    const int64_t lane = full > b0 ? (full - b0) / ST_NF4_GROUP : 0;
    for (int64_t i = 0; i < lane; i++) {
        int64_t blk[ST_NF4_GROUP];
        __m256 inv[ST_NF4_GROUP];
        for (int g = 0; g < ST_NF4_GROUP; g++) {
            blk[g] = b0 + g * lane + i;
            const __m256 m = st_nf4_v_block_absmax(a->w + blk[g] * ST_NF4_BLOCK);
            _mm_store_ss(a->absmax + blk[g], _mm256_castps256_ps128(m));
            inv[g] = _mm256_div_ps(one, _mm256_max_ps(m, floor));   // 1 / (am < 1e-38 ? 1e-38 : am)
        }
        for (int g = 0; g < ST_NF4_GROUP; g++) {
            const float *w = a->w + blk[g] * ST_NF4_BLOCK;
            __m256i k[8];
            for (int j = 0; j < 8; j++) k[j] = st_nf4_v_neg_code(_mm256_mul_ps(_mm256_loadu_ps(w + 8 * j), inv[g]), t);
            _mm256_storeu_si256((__m256i *)(a->packed + blk[g] * (ST_NF4_BLOCK / 2)), st_nf4_v_pack64(k));
        }
    }
    int64_t b = b0 + ST_NF4_GROUP * lane;
    for (; b < full; b++) {
        const float *w = a->w + b * ST_NF4_BLOCK;
        const __m256 m = st_nf4_v_block_absmax(w);
        _mm_store_ss(a->absmax + b, _mm256_castps256_ps128(m));
        const __m256 inv = _mm256_div_ps(one, _mm256_max_ps(m, floor));
        __m256i k[8];
        for (int i = 0; i < 8; i++) k[i] = st_nf4_v_neg_code(_mm256_mul_ps(_mm256_loadu_ps(w + 8 * i), inv), t);
        _mm256_storeu_si256((__m256i *)(a->packed + b * (ST_NF4_BLOCK / 2)), st_nf4_v_pack64(k));
    }
    if (b < b1) st_nf4_quantize_range_ref(ctx, b, b1);   // the short last block
}
#endif

void st_nf4_quantize_f32_ref(uint8_t *restrict packed, float *restrict absmax, const float *restrict w, int64_t n) {
    st_nf4_quantize_args a = {packed, absmax, w, n, {0}};
    st_nf4_midpoints(a.mid, st_nf4_values, 16);
    st_nf4_quantize_range_ref(&a, 0, (n + ST_NF4_BLOCK - 1) / ST_NF4_BLOCK);
}

void st_nf4_quantize_f32(uint8_t *restrict packed, float *restrict absmax, const float *restrict w, int64_t n) {
    st_nf4_quantize_args a = {packed, absmax, w, n, {0}};
    st_nf4_midpoints(a.mid, st_nf4_values, 16);
    st_parallel_for((n + ST_NF4_BLOCK - 1) / ST_NF4_BLOCK, ST_GRAIN_ELEMS / ST_NF4_BLOCK,
                    ST_PICK(st_nf4_quantize_range), &a);
}

typedef struct {
    float *w;
    const uint8_t *packed;
    const float *absmax;
    int64_t n;
} st_nf4_dequantize_args;

static void st_nf4_dequantize_range_ref(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_dequantize_args *a = (const st_nf4_dequantize_args *)ctx;
    for (int64_t b = b0; b < b1; b++) {
        const int64_t begin = b * ST_NF4_BLOCK;
        const int64_t end = a->n - begin < ST_NF4_BLOCK ? a->n : begin + ST_NF4_BLOCK;
        const float scale = a->absmax[b];
        for (int64_t e = begin; e < end; e++) {
            const uint8_t q = a->packed[e >> 1];
            a->w[e] = st_nf4_values[(e & 1) ? (q & 15) : (q >> 4)] * scale;
        }
    }
}

#if ST_X86
ST_AVX2 static void st_nf4_dequantize_range_avx2(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_dequantize_args *a = (const st_nf4_dequantize_args *)ctx;
    const __m256 lut_lo = _mm256_loadu_ps(st_nf4_values), lut_hi = _mm256_loadu_ps(st_nf4_values + 8);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    for (int64_t b = b0; b < b1; b++) {
        const int64_t begin = b * ST_NF4_BLOCK;
        if (a->n - begin < ST_NF4_BLOCK) {
            st_nf4_dequantize_range_ref(ctx, b, b + 1);
            continue;
        }
        const __m256 scale = _mm256_set1_ps(a->absmax[b]);
        const __m256i bytes = _mm256_loadu_si256((const __m256i *)(a->packed + (begin >> 1)));
        const __m256i his = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
        const __m256i los = _mm256_and_si256(bytes, nibble);
        // Element order (byte j holds elements 2j, 2j+1); unpack works within 128-bit lanes, hence the order below.
        const __m256i i0 = _mm256_unpacklo_epi8(his, los), i1 = _mm256_unpackhi_epi8(his, los);
        const __m128i parts[4] = {_mm256_castsi256_si128(i0), _mm256_castsi256_si128(i1),
                                  _mm256_extracti128_si256(i0, 1), _mm256_extracti128_si256(i1, 1)};
        float *out = a->w + begin;
        for (int p = 0; p < 4; p++) {
            for (int h = 0; h < 2; h++) {
                const __m256i idx = _mm256_cvtepu8_epi32(h ? _mm_srli_si128(parts[p], 8) : parts[p]);
                const __m256 v = _mm256_blendv_ps(_mm256_permutevar8x32_ps(lut_lo, idx),
                                                  _mm256_permutevar8x32_ps(lut_hi, idx),
                                                  _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
                _mm256_storeu_ps(out + 16 * p + 8 * h, _mm256_mul_ps(v, scale));
            }
        }
    }
}
#endif

void st_nf4_dequantize_f32_ref(float *restrict w, const uint8_t *restrict packed, const float *restrict absmax,
                               int64_t n) {
    st_nf4_dequantize_args a = {w, packed, absmax, n};
    st_nf4_dequantize_range_ref(&a, 0, (n + ST_NF4_BLOCK - 1) / ST_NF4_BLOCK);
}

void st_nf4_dequantize_f32(float *restrict w, const uint8_t *restrict packed, const float *restrict absmax, int64_t n) {
    st_nf4_dequantize_args a = {w, packed, absmax, n};
    st_parallel_for((n + ST_NF4_BLOCK - 1) / ST_NF4_BLOCK, ST_GRAIN_ELEMS / ST_NF4_BLOCK,
                    ST_PICK(st_nf4_dequantize_range), &a);
}

// MARK: - Double quantization of the absmax

/// 256-block b of absmax − offset. `search` picks the binary search (fast path) or the linear count (twin).
static void st_nf4_absmax_quantize_block(uint8_t *restrict codes, float *restrict absmax2,
                                         const float *restrict absmax, int64_t count, float offset,
                                         const float *mid, int64_t b, int search) {
    const int64_t begin = b * ST_NF4_ABSMAX_BLOCK;
    const int64_t len = count - begin < ST_NF4_ABSMAX_BLOCK ? count - begin : ST_NF4_ABSMAX_BLOCK;
    const int full = len == ST_NF4_ABSMAX_BLOCK;
    float am = 0.0f;
    for (int64_t i = 0; i < len; i++) {
        const float d = fabsf(absmax[begin + i] - offset);
        am = d > am ? d : am;
    }
    float inv = 0.0f;
    if (full) inv = 1.0f / (am < ST_NF4_MIN_ABSMAX ? ST_NF4_MIN_ABSMAX : am);
    else if (am < ST_NF4_MIN_ABSMAX) am = ST_NF4_MIN_ABSMAX;
    absmax2[b] = am;
    for (int64_t i = 0; i < len; i++) {
        const float d = absmax[begin + i] - offset;
        const float s = full ? d * inv : d / am;
        codes[begin + i] = (uint8_t)(search ? st_nf4_bucket_search256(s, mid) : st_nf4_bucket_linear(s, mid, 256));
    }
}

void st_nf4_absmax_quantize_f32_ref(uint8_t *restrict codes, float *restrict absmax2, const float *restrict absmax,
                                    int64_t count, float offset) {
    float mid[255];
    st_nf4_midpoints(mid, st_nf4_dynamic, 256);
    for (int64_t b = 0; b * ST_NF4_ABSMAX_BLOCK < count; b++)
        st_nf4_absmax_quantize_block(codes, absmax2, absmax, count, offset, mid, b, 0);
}

typedef struct {
    uint8_t *codes;
    float *absmax2;
    const float *absmax;
    int64_t count;
    float offset;
    float mid[255];
} st_nf4_absmax_args;

/// 256-blocks [b0, b1): every block has its own scale and codes, so blocks run on any thread.
static void st_nf4_absmax_quantize_range_ref(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_absmax_args *a = (const st_nf4_absmax_args *)ctx;
    for (int64_t b = b0; b < b1; b++)
        st_nf4_absmax_quantize_block(a->codes, a->absmax2, a->absmax, a->count, a->offset, a->mid, b, 1);
}

#if ST_X86
/// The 8-bit codes of eight scaled values (32-bit lanes, 0..255): the branch-free binary search of
/// st_nf4_bucket_search256 with _CMP_LT_OQ compares (NaN → 0; no clamp needed, every midpoint is inside (−1, 1)).
/// q is the code's top bits so far; the probes of steps 1–6 come from registers (t[0] = mid[127] everywhere,
/// t[1] and t[2] in-lane tables of 2 and 4, t[3] a cross-lane table of 8, t[4] / t[5] the halves of 16, t[6..9]
/// the quarters of 32, picked by blends on q's bits), those of steps 7–8 are gathered straight from the midpoints
/// (a gather costs about as much as the five register steps together).
ST_AVX2 static inline __m256i st_nf4_v_code256(__m256 s, const __m256 *t, const float *mid) {
    __m256i q = _mm256_srli_epi32(_mm256_castps_si256(_mm256_cmp_ps(t[0], s, _CMP_LT_OQ)), 31);
#define ST_NF4_STEP(threshold)                                                                                    \
    q = _mm256_sub_epi32(_mm256_add_epi32(q, q), _mm256_castps_si256(_mm256_cmp_ps((threshold), s, _CMP_LT_OQ)))
    ST_NF4_STEP(_mm256_permutevar_ps(t[1], q));                              // mid[128q + 63]
    ST_NF4_STEP(_mm256_permutevar_ps(t[2], q));                              // mid[64q + 31]
    ST_NF4_STEP(_mm256_permutevar8x32_ps(t[3], q));                          // mid[32q + 15]
    ST_NF4_STEP(_mm256_blendv_ps(_mm256_permutevar8x32_ps(t[4], q), _mm256_permutevar8x32_ps(t[5], q),
                                 _mm256_castsi256_ps(_mm256_slli_epi32(q, 28))));   // mid[16q + 7]
    {                                                                         // mid[8q + 3], q < 32
        const __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(q, 28));
        const __m256 b4 = _mm256_castsi256_ps(_mm256_slli_epi32(q, 27));
        const __m256 lo = _mm256_blendv_ps(_mm256_permutevar8x32_ps(t[6], q), _mm256_permutevar8x32_ps(t[7], q), b3);
        const __m256 hi = _mm256_blendv_ps(_mm256_permutevar8x32_ps(t[8], q), _mm256_permutevar8x32_ps(t[9], q), b3);
        ST_NF4_STEP(_mm256_blendv_ps(lo, hi, b4));
    }
    ST_NF4_STEP(_mm256_i32gather_ps(mid + 1, _mm256_slli_epi32(q, 2), 4));  // mid[4q + 1]
    ST_NF4_STEP(_mm256_i32gather_ps(mid, q, 8));                             // mid[2q]
#undef ST_NF4_STEP
    return q;
}

/// Vectors of scales searched before packing (independent chains in flight).
#define ST_NF4_ABSMAX_VECS 8

/// Full 256-blocks: the twin's subtraction, absmax (NaN ignored, as `d > am ? d : am`), reciprocal and multiply,
/// then the search above; the short last block goes to the scalar path (it is scaled by a division).
ST_AVX2 static void st_nf4_absmax_quantize_range_avx2(void *ctx, int64_t b0, int64_t b1) {
    const st_nf4_absmax_args *a = (const st_nf4_absmax_args *)ctx;
    const float *mid = a->mid;
    float tab[10][8];
    for (int j = 0; j < 8; j++) {
        for (int r = 0; r < 4; r++) tab[6 + r][j] = mid[8 * (8 * r + j) + 3];
        tab[0][j] = mid[127];
        tab[1][j] = mid[128 * (j & 1) + 63];
        tab[2][j] = mid[64 * (j & 3) + 31];
        tab[3][j] = mid[32 * j + 15];
        tab[4][j] = mid[16 * j + 7];
        tab[5][j] = mid[16 * (j + 8) + 7];
    }
    __m256 t[10];
    for (int i = 0; i < 10; i++) t[i] = _mm256_loadu_ps(tab[i]);
    const __m256 sign = _mm256_set1_ps(-0.0f), off = _mm256_set1_ps(a->offset), one = _mm256_set1_ps(1.0f);
    const __m256 floor = _mm256_set1_ps(ST_NF4_MIN_ABSMAX);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const int64_t full = a->count / ST_NF4_ABSMAX_BLOCK < b1 ? a->count / ST_NF4_ABSMAX_BLOCK : b1;
    int64_t b = b0;
    for (; b < full; b++) {
        const float *v = a->absmax + b * ST_NF4_ABSMAX_BLOCK;
        __m256 m = _mm256_setzero_ps();
        for (int i = 0; i < ST_NF4_ABSMAX_BLOCK; i += 8)
            m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(_mm256_loadu_ps(v + i), off)), m);
        m = _mm256_max_ps(m, _mm256_permute2f128_ps(m, m, 1));
        m = _mm256_max_ps(m, _mm256_permute_ps(m, 0x4E));
        m = _mm256_max_ps(m, _mm256_permute_ps(m, 0xB1));
        _mm_store_ss(a->absmax2 + b, _mm256_castps256_ps128(m));
        const __m256 inv = _mm256_div_ps(one, _mm256_max_ps(m, floor));
        uint8_t *codes = a->codes + b * ST_NF4_ABSMAX_BLOCK;
        for (int i = 0; i < ST_NF4_ABSMAX_BLOCK; i += 8 * ST_NF4_ABSMAX_VECS) {   // independent chains in flight
            __m256i q[ST_NF4_ABSMAX_VECS];
            for (int j = 0; j < ST_NF4_ABSMAX_VECS; j++)
                q[j] = st_nf4_v_code256(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(v + i + 8 * j), off), inv), t, mid);
            // packus interleaves within 128-bit lanes: 4-byte units come out as q0a q1a q2a q3a | q0b q1b q2b q3b.
            for (int j = 0; j < ST_NF4_ABSMAX_VECS; j += 4) {
                const __m256i bytes = _mm256_packus_epi16(_mm256_packus_epi32(q[j], q[j + 1]),
                                                          _mm256_packus_epi32(q[j + 2], q[j + 3]));
                _mm256_storeu_si256((__m256i *)(codes + i + 8 * j), _mm256_permutevar8x32_epi32(bytes, order));
            }
        }
    }
    if (b < b1) st_nf4_absmax_quantize_range_ref(ctx, b, b1);
}
#endif

void st_nf4_absmax_quantize_f32(uint8_t *restrict codes, float *restrict absmax2, const float *restrict absmax,
                                int64_t count, float offset) {
    st_nf4_absmax_args a = {codes, absmax2, absmax, count, offset, {0}};
    st_nf4_midpoints(a.mid, st_nf4_dynamic, 256);
    const int64_t blocks = (count + ST_NF4_ABSMAX_BLOCK - 1) / ST_NF4_ABSMAX_BLOCK;
    st_parallel_for(blocks, 64, ST_PICK(st_nf4_absmax_quantize_range), &a);
}

void st_nf4_absmax_dequantize_f32_ref(float *restrict absmax, const uint8_t *restrict codes,
                                      const float *restrict absmax2, int64_t count, float offset) {
    for (int64_t i = 0; i < count; i++) {
        const float v = st_nf4_dynamic[codes[i]] * absmax2[i / ST_NF4_ABSMAX_BLOCK];   // rounded before the add
        absmax[i] = v + offset;
    }
}

#if ST_X86
ST_AVX2 static void st_nf4_absmax_dequantize_avx2(float *restrict absmax, const uint8_t *restrict codes,
                                                  const float *restrict absmax2, int64_t count, float offset) {
    const __m256 off = _mm256_set1_ps(offset);
    int64_t i = 0;
    for (; i + 8 <= count; i += 8) {             // 8 codes never straddle a 256-block
        const __m128i c8 = _mm_loadl_epi64((const __m128i *)(codes + i));
        __m256 v = _mm256_i32gather_ps(st_nf4_dynamic, _mm256_cvtepu8_epi32(c8), 4);
        v = _mm256_mul_ps(v, _mm256_set1_ps(absmax2[i / ST_NF4_ABSMAX_BLOCK]));
        _mm256_storeu_ps(absmax + i, _mm256_add_ps(v, off));
    }
    for (; i < count; i++) {
        const float v = st_nf4_dynamic[codes[i]] * absmax2[i / ST_NF4_ABSMAX_BLOCK];
        absmax[i] = v + offset;
    }
}
#endif

void st_nf4_absmax_dequantize_f32(float *restrict absmax, const uint8_t *restrict codes,
                                  const float *restrict absmax2, int64_t count, float offset) {
#if ST_X86
    if (st_cpu_has_avx2_fma()) {
        st_nf4_absmax_dequantize_avx2(absmax, codes, absmax2, count, offset);
        return;
    }
#endif
    st_nf4_absmax_dequantize_f32_ref(absmax, codes, absmax2, count, offset);
}
