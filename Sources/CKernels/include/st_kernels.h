// CKernels: SwiftTune's hot loops in C11.
//
// This module has NO stable API: it is an implementation detail of SwiftTuneCore, and only the Swift files in
// Sources/SwiftTuneCore/Kernels/ import it. Conventions (llm.c / ggml style):
//   - every symbol is prefixed `st_`; outputs come first, then inputs, then sizes (int64_t);
//   - pointers are `restrict` unless a kernel documents that it may run in place;
//   - kernels never allocate and keep no global state beyond the CPU-feature cache and thread count;
//   - every fast kernel `st_x_f32` has a portable scalar twin `st_x_f32_ref` that defines its meaning;
//     the public entry point picks AVX2+FMA at run time when the CPU has it and falls back to the twin;
//   - kernels parallelise internally with `st_parallel_for` when the work is large enough.
// Shape legend: N = rows (tokens), C = channels, V = vocabulary, H = heads, D = head dimension.
#ifndef ST_KERNELS_H
#define ST_KERNELS_H
#include "st_cpu.h"
#include "st_parallel.h"
#include "st_elementwise.h"
#include "st_reduce.h"
#include "st_norm.h"
#include "st_loss.h"
#include "st_rope.h"
#include "st_random.h"
#include "st_adamw.h"
#include "st_attention.h"
#include "st_matvec.h"
#include "st_nf4.h"
#include "st_bf16.h"
#include "st_lowrank.h"
#include "st_fs.h"
#endif
