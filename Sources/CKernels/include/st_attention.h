// Attention for packed sequences: mask descriptions, tiled causal attention (FlashAttention-2 style online
// softmax, fp32 accumulation) forward and backward with grouped-query attention, and a decode path.
//
// Shape legend: B = batch rows, T = positions per row (queries), S = key positions (S == T in training),
// H = query heads, KV = key/value heads (H % KV == 0; query head h reads KV head h / (H / KV)), D = head dim.
// Layouts: q, out, dout, dq: [B, T, H, D]; k, v, dk, dv: [B, S, KV, D]; lse: [B, H, T].
//
// Visibility (the mask) is described compactly, never as a T×T matrix:
//   seg[b*T + t]   segment id of position t in row b; -1 (any negative id) marks padding (sees nothing, is seen by
//                  nothing). Segments are contiguous runs; positions of one segment see only keys of the same
//                  segment. A segment is a maximal run of equal ids: an id that reappears after another id starts
//                  a new segment (the fast paths and the `_ref` twins agree on this for every input).
//   causal         key j is visible to query i only if j <= i (positions within the row).
//   window         if > 0, also require i - j < window (sliding-window attention, Mistral/Qwen2).
// Query i, at position p = i + q_offset among the keys (see st_attention_params), therefore sees keys
// [max(start(seg p), p - window + 1), p] when causal (up to the end of its segment when not) — a contiguous range,
// which lets the kernels skip every tile outside it: a row of k equal segments costs ~1/k of a dense causal row.
#ifndef ST_ATTENTION_H
#define ST_ATTENTION_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Segment ids and per-position visible key start from cumulative sequence lengths (flash-attention's
/// `cu_seqlens`), for one row of length T: segment s covers [cu_seqlens[s], cu_seqlens[s+1]); positions at or
/// after cu_seqlens[n_segments] are padding (seg = -1). Returns 0, or -1 if cu_seqlens is not non-decreasing from 0
/// or exceeds T (nothing is written then). Segment s gets id s (empty segments are allowed and use up their id).
///   seg: [T]; key_start: [T] (first visible key of each query, causal + window applied; -1 for padding). Either
///   output may be NULL.
int st_mask_from_cu_seqlens(int32_t *seg, int32_t *key_start, const int32_t *cu_seqlens, int64_t n_segments,
                            int64_t T, int64_t window);

/// Dense additive mask for reference and small sizes: mask[b, i, j] = 0 if key j is visible to query i, else -inf
/// (the rule above with S = T, q_offset = 0; window applies also when causal == 0, as i - j < window).
///   mask: [B, T, T]; seg: [B, T] or NULL (one segment, no padding).
void st_mask_dense(float *mask, const int32_t *seg, int64_t B, int64_t T, int causal, int64_t window);

/// Parameters shared by the attention kernels.
typedef struct {
    int64_t B, T, S, H, KV, D;
    float scale;       ///< usually 1/sqrt(D)
    int causal;        ///< 1: key j visible only if j <= i (+ offset, see below)
    int64_t window;    ///< sliding window (0 = none)
    int64_t q_offset;  ///< position of query 0 among the keys (S - T for a continuation; 0 in training)
} st_attention_params;

/// out = softmax(scale · q·kᵀ + mask) · v per (row, head), with lse = log Σ exp(scale · q·kᵀ) over visible keys
/// (saved for backward; -inf and out = 0 for a query that sees no key). seg: [B, S] segment ids of key positions
/// and, for queries, of position q_offset + i (seg may be NULL: one segment, no padding; with seg, a query whose
/// position falls outside [0, S) is padding). The fast path handles D <= 256 (larger D runs the serial twin);
/// nothing is written when H % KV != 0 or a size is negative.
void st_attention_forward_f32(float *out, float *lse, const float *q, const float *k, const float *v,
                              const int32_t *seg, st_attention_params p);
void st_attention_forward_f32_ref(float *out, float *lse, const float *q, const float *k, const float *v,
                                  const int32_t *seg, st_attention_params p);

/// Gradients given dout and the forward's out and lse (recomputing the probabilities tile by tile).
/// dq, dk, dv are overwritten (not accumulated); any of them may be NULL when not needed. Padded queries and keys
/// get zero gradients. Deterministic: the same bits for every thread count.
void st_attention_backward_f32(float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k,
                               const float *v, const float *out, const float *lse, const int32_t *seg,
                               st_attention_params p);
void st_attention_backward_f32_ref(float *dq, float *dk, float *dv, const float *dout, const float *q,
                                   const float *k, const float *v, const float *out, const float *lse,
                                   const int32_t *seg, st_attention_params p);

/// Decode: one new query per row against a KV cache.
///   out, q: [B, H, D]; k_cache, v_cache: [B, KV, capacity, D] (head-major so each head's keys are contiguous);
///   lengths: [B] keys valid in each row, clamped to [0, capacity] (the query sees keys [max(0, len - window), len);
///   out = 0 for a row with no key). Slots at or past len are never read.
void st_attention_decode_f32(float *out, const float *q, const float *k_cache, const float *v_cache,
                             const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D, int64_t capacity,
                             float scale, int64_t window);
void st_attention_decode_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache,
                                 const int64_t *lengths, int64_t B, int64_t H, int64_t KV, int64_t D,
                                 int64_t capacity, float scale, int64_t window);
/// Decode with the rows in cache slots: row b (q, out, lengths[b]) reads cache slot `slots[b]` of k_cache, v_cache
/// `[slots, KV, capacity, D]` (`slots == NULL`: slot b). The decoding session keeps its rows where they were admitted
/// and passes the running ones' slots. Each row's result depends only on its own query, keys and length (never on
/// B or on the other rows), bit for bit.
void st_attention_decode_slots_f32(float *out, const float *q, const float *k_cache, const float *v_cache,
                                   const int64_t *lengths, const int64_t *slots, int64_t B, int64_t H, int64_t KV,
                                   int64_t D, int64_t capacity, float scale, int64_t window);
void st_attention_decode_slots_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache,
                                       const int64_t *lengths, const int64_t *slots, int64_t B, int64_t H,
                                       int64_t KV, int64_t D, int64_t capacity, float scale, int64_t window);

/// Chunked prefill: T queries of one row at positions offset .. offset+T-1 against that row's head-major cache
/// k_cache, v_cache `[KV, capacity, D]`, which already holds keys 0 .. offset+T-1 (the chunk's own keys written
/// first). Query i sees keys [max(0, offset + i − window + 1), offset + i] (causal; window 0 = none): out = softmax(
/// scale · q·kᵀ) · v. out, q: `[T, H, D]`. The forward pass's tiled kernel (query blocks × key tiles, online
/// softmax) reading the cache's strides; the `_ref` twin accumulates in double. Nothing is written when
/// offset + T > capacity or a size is invalid.
void st_attention_cached_f32(float *out, const float *q, const float *k_cache, const float *v_cache, int64_t T,
                             int64_t offset, int64_t H, int64_t KV, int64_t D, int64_t capacity, float scale,
                             int64_t window);
void st_attention_cached_f32_ref(float *out, const float *q, const float *k_cache, const float *v_cache, int64_t T,
                                 int64_t offset, int64_t H, int64_t KV, int64_t D, int64_t capacity, float scale,
                                 int64_t window);
#ifdef __cplusplus
}
#endif
#endif
