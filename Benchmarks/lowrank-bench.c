// lowrank-bench.c — the six skinny products of a LoRA branch (LoRALinear+LowRankUpdate.swift): OpenBLAS sgemm at
// 1 and 2 threads vs CKernels' st_lowrank_* (st_lowrank.h) at 1 and 2 threads. Median of many reps per product.
//
//   1. h = x·Aᵀ [M,r]   2. y += s·h·Bᵀ [M,out]   3. Ĝ = s·G·B [M,r]   4. ∂B = s·Gᵀ·h [out,r]   5. ∂A = Ĝᵀ·x [r,in]
//   6. ∂x += Ĝ·A [M,in]
//
// Build and run from the package root:
//   gcc -O2 -ISources/CKernels/include -ISources/CKernels Benchmarks/lowrank-bench.c Sources/CKernels/lowrank.c
//       Sources/CKernels/parallel.c Sources/CKernels/cpu.c -o /tmp/lowrank-bench -ldl -lpthread -lm \
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
    for (int64_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

enum { REPS = 301 };
typedef struct {
    int64_t M, in, out, r;
    float s;
    float *x, *A, *B, *Bt, *G, *h, *y, *gh, *dB, *dA, *dx;
} problem;

static void blas_product(problem *p, int i) {
    const int64_t M = p->M, in = p->in, out = p->out, r = p->r;
    switch (i) {
    case 0: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, r, in, 1, p->x, in, p->A, in, 0, p->h, r); break;
    case 1: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, out, r, p->s, p->h, r, p->B, r, 1, p->y, out); break;
    case 2: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, r, out, p->s, p->G, out, p->B, r, 0, p->gh, r); break;
    case 3: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, r, M, p->s, p->G, out, p->h, r, 0, p->dB, r); break;
    case 4: cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, in, M, 1, p->gh, r, p->x, in, 0, p->dA, in); break;
    case 5: cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, in, r, 1, p->gh, r, p->A, in, 1, p->dx, in); break;
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
        // OpenBLAS at 2 threads last: its idle workers spin and would steal the core from libgomp's.
        const int order[4] = {0, 2, 3, 1};
        for (int oi = 0; oi < 4; oi++) {
            const int impl = order[oi], threads = impl % 2 ? 2 : 1;
            openblas_set_num_threads(impl == 1 ? 2 : 1);
            st_set_num_threads(threads);
            void (*f)(problem *, int) = impl < 2 ? blas_product : lowrank_product;
            double sum = 0, us[6];
            for (int i = 0; i < 6; i++) { us[i] = median_us(&p, i, f); sum += us[i]; }
            printf("%-10s %-8s", label, impl == 0 ? "blas-1t" : impl == 1 ? "blas-2t" : impl == 2 ? "ours-1t" : "ours-2t");
            for (int i = 0; i < 6; i++) printf(" %8.1f", us[i]);
            printf(" %9.1f %7.1f\n", sum, flops / (sum * 1e3));
        }
        printf("%-10s max |ours - sgemm| / max|sgemm| over the six: %.2e\n", label, worst);
    }
    return 0;
}
