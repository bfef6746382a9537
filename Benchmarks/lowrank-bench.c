// lowrank-bench.c — the six skinny products of a LoRA branch (LoRALinear+LowRankUpdate.swift): OpenBLAS sgemm at
// 1 and 2 threads and as the repo's split sgemm on 2 threads vs CKernels' st_lowrank_* (st_lowrank.h) at 1 and 2
// threads. Median of many reps per product; column "2:hBt" of ours includes forming Bᵀ.
//
//   1. h = x·Aᵀ [M,r]   2. y += s·h·Bᵀ [M,out]   3. Ĝ = s·G·B [M,r]   4. ∂B = s·Gᵀ·h [out,r]   5. ∂A = Ĝᵀ·x [r,in]
//   6. ∂x += Ĝ·A [M,in]
//
// Build and run from the package root (one command line):
//   gcc -O2 -ISources/CKernels/include -ISources/CKernels Benchmarks/lowrank-bench.c Sources/CKernels/lowrank.c
//       Sources/CKernels/parallel.c Sources/CKernels/cpu.c -o /tmp/lowrank-bench -ldl -lpthread -lm
//       $(pkg-config --cflags --libs openblas) && /tmp/lowrank-bench
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "st_kernels.h"

void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static float *rnd(int64_t n) {
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (int64_t i = 0; i < n; i++) p[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    return p;
}

enum { REPS = 301 };
typedef struct {
    int64_t M, in, out, r;
    float s;
    float *x, *A, *B, *Bt, *G, *h, *y, *gh, *dB, *dA, *dx;
} problem;

// The repo's SplitGemm (Sources/SwiftTuneCore/Kernels/BLAS+Split.swift): OpenBLAS at one thread, the larger output
// extent cut into st_get_num_threads() slabs (multiples of 16) run on CKernels' threads, when m·n·k ≥ 2^18.
typedef struct {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc, parts;
    float alpha, beta;
    const float *a, *b;
    float *c;
} split_job;

static void split_range(void *ctx, int64_t b, int64_t e) {
    const split_job *j = (const split_job *)ctx;
    const int rows = j->m >= j->n;
    const int64_t extent = rows ? j->m : j->n, step = ((extent + j->parts - 1) / j->parts + 15) / 16 * 16;
    for (int64_t part = b; part < e; part++) {
        int64_t lo = part * step < extent ? part * step : extent, hi = (part + 1) * step < extent ? (part + 1) * step : extent;
        if (lo >= hi) continue;
        if (rows)
            cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, hi - lo,
                        j->n, j->k, j->alpha, j->ta ? j->a + lo : j->a + lo * j->lda, j->lda, j->b, j->ldb, j->beta,
                        j->c + lo * j->ldc, j->ldc);
        else
            cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, j->m,
                        hi - lo, j->k, j->alpha, j->a, j->lda, j->tb ? j->b + lo * j->ldb : j->b + lo, j->ldb, j->beta,
                        j->c + lo, j->ldc);
    }
}

static int use_split = 0;

static void gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    const int64_t parts = st_get_num_threads();
    if (use_split && parts > 1 && m * n * k >= (1 << 18) && (m > n ? m : n) >= 32) {
        split_job j = {ta, tb, m, n, k, lda, ldb, ldc, parts, alpha, beta, a, b, c};
        st_parallel_for(parts, 1, split_range, &j);
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
                b, ldb, beta, c, ldc);
}

static void blas_product(problem *p, int i) {
    const int64_t M = p->M, in = p->in, out = p->out, r = p->r;
    switch (i) {
    case 0: gemm(0, 1, M, r, in, 1, p->x, in, p->A, in, 0, p->h, r); break;
    case 1: gemm(0, 1, M, out, r, p->s, p->h, r, p->B, r, 1, p->y, out); break;
    case 2: gemm(0, 0, M, r, out, p->s, p->G, out, p->B, r, 0, p->gh, r); break;
    case 3: gemm(1, 0, out, r, M, p->s, p->G, out, p->h, r, 0, p->dB, r); break;
    case 4: gemm(1, 0, r, in, M, 1, p->gh, r, p->x, in, 0, p->dA, in); break;
    case 5: gemm(0, 0, M, in, r, 1, p->gh, r, p->A, in, 1, p->dx, in); break;
    }
}

static void lowrank_product(problem *p, int i) {
    const int64_t M = p->M, in = p->in, out = p->out, r = p->r;
    switch (i) {
    case 0: st_lowrank_project_f32(p->h, p->x, p->A, 1, M, in, r); break;
    case 1: st_lowrank_transpose_f32(p->Bt, p->B, out, r);   // Bᵀ formed in the forward (counted here)
            st_lowrank_expand_f32(p->y, p->h, p->Bt, p->s, 1, M, r, out); break;
    case 2: st_lowrank_project_f32(p->gh, p->G, p->Bt, p->s, M, out, r); break;
    case 3: st_lowrank_gram_f32(p->dB, p->h, p->G, p->s, 1, M, r, out); break;
    case 4: st_lowrank_gram_f32(p->dA, p->gh, p->x, 1, 0, M, r, in); break;
    case 5: st_lowrank_expand_f32(p->dx, p->gh, p->A, 1, 1, M, r, in); break;
    }
}

static double median_us(problem *p, int i, void (*f)(problem *, int)) {
    double t[REPS];
    for (int k = 0; k < REPS; k++) {
        double t0 = now();
        f(p, i);
        t[k] = (now() - t0) * 1e6;
    }
    qsort(t, REPS, sizeof(double), cmp);
    return t[REPS / 2];
}

static double max_rel(const float *a, const float *b, int64_t n) {
    double scale = 0, err = 0;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (int64_t i = 0; i < n; i++) err = fmax(err, fabs(a[i] - b[i]));
    return scale > 0 ? err / scale : err;
}

int main(void) {
    const int64_t shapes[][2] = {{576, 576}, {576, 192}, {576, 1536}, {1536, 576}};
    const int64_t M = 512, r = 8;
    printf("M=%lld r=%lld; median us per product (GFLOP/s of the six)\n", (long long)M, (long long)r);
    printf("%-10s %-8s %8s %8s %8s %8s %8s %8s %9s %7s\n", "in->out", "impl", "1:xAt", "2:hBt", "3:GB", "4:Gth",
           "5:Ghtx", "6:GhA", "sum", "GFLOP/s");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        problem p = {M, shapes[si][0], shapes[si][1], r, 2.0f};
        p.x = rnd(M * p.in); p.A = rnd(r * p.in); p.B = rnd(p.out * r); p.Bt = rnd(p.out * r);
        p.G = rnd(M * p.out); p.h = rnd(M * r); p.y = rnd(M * p.out); p.gh = rnd(M * r);
        p.dB = rnd(p.out * r); p.dA = rnd(r * p.in); p.dx = rnd(M * p.in);
        // correctness vs sgemm (β = 0 forms only; the β = 1 ones run on fresh copies)
        float *ref[6], *got[6];
        float *outs[6] = {p.h, p.y, p.gh, p.dB, p.dA, p.dx};
        int64_t sizes[6] = {M * r, M * p.out, M * r, p.out * r, r * p.in, M * p.in};
        float *y0 = malloc(sizeof(float) * M * p.out), *dx0 = malloc(sizeof(float) * M * p.in);
        memcpy(y0, p.y, sizeof(float) * M * p.out); memcpy(dx0, p.dx, sizeof(float) * M * p.in);
        for (int i = 0; i < 6; i++) { blas_product(&p, i); ref[i] = malloc(sizeof(float) * sizes[i]); memcpy(ref[i], outs[i], sizeof(float) * sizes[i]); }
        memcpy(p.y, y0, sizeof(float) * M * p.out); memcpy(p.dx, dx0, sizeof(float) * M * p.in);
        for (int i = 0; i < 6; i++) { lowrank_product(&p, i); got[i] = malloc(sizeof(float) * sizes[i]); memcpy(got[i], outs[i], sizeof(float) * sizes[i]); }
        double worst = 0;
        for (int i = 0; i < 6; i++) worst = fmax(worst, max_rel(got[i], ref[i], sizes[i]));
        const double flops = 2.0 * M * r * (2 * p.in + 2 * p.out + p.out + p.in) ;   // six products
        char label[32];
        snprintf(label, sizeof label, "%lld->%lld", (long long)p.in, (long long)p.out);
        // blas-1t: OpenBLAS, one thread; split-2t: the repo's baseline (SplitGemm on 2 CKernels threads);
        // ours-1t/2t: st_lowrank_*; blas-2t: OpenBLAS's own 2 threads, last, because its idle workers spin and
        // would steal the core from libgomp's.
        const int order[5] = {0, 4, 2, 3, 1};
        const char *names[5] = {"blas-1t", "blas-2t", "ours-1t", "ours-2t", "split-2t"};
        for (int oi = 0; oi < 5; oi++) {
            const int impl = order[oi], threads = impl == 0 || impl == 2 ? 1 : 2;
            openblas_set_num_threads(impl == 1 ? 2 : 1);
            st_set_num_threads(threads);
            use_split = impl == 4;
            void (*f)(problem *, int) = impl == 2 || impl == 3 ? lowrank_product : blas_product;
            double sum = 0, us[6];
            for (int i = 0; i < 6; i++) { us[i] = median_us(&p, i, f); sum += us[i]; }
            printf("%-10s %-8s", label, names[impl]);
            for (int i = 0; i < 6; i++) printf(" %8.1f", us[i]);
            printf(" %9.1f %7.1f\n", sum, flops / (sum * 1e3));
        }
        printf("%-10s max |ours - sgemm| / max|sgemm| over the six: %.2e\n", label, worst);
    }
    return 0;
}
