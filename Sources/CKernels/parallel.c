// parallel.c — st_parallel_for over libgomp's GOMP_parallel, without -fopenmp.
//
// Purpose: split [0, n) into at most `threads` contiguous chunks of at least `grain` indices and run them on
// libgomp's thread pool. Chunk k is always the same range for a given (n, chunks), so kernels whose per-index
// work is independent give bit-identical results for any thread count. We declare the few libgomp entry points
// we use instead of including <omp.h> (libomp-dev's omp.h may shadow libgomp's).
// A st_parallel_for issued from inside a running region (nested) runs inline on the calling thread.
//
// libgomp is loaded lazily with dlopen rather than linked, for one reason: libgomp reads its wait policy from the
// environment when it is loaded, and its default (spin ~300k iterations after every region) steals the cores
// from OpenBLAS's own threads, which run right after our kernels in every training step — measured 3.4x slower
// end to end on the demo. Before loading it we set GOMP_SPINCOUNT to a short spin (unless the user set
// GOMP_SPINCOUNT or OMP_WAIT_POLICY). If libgomp cannot be loaded, or was already loaded by someone else, kernels
// still work: serially in the first case, with the process's existing policy in the second.
//
// Shape legend: n = index count, grain = minimum indices per chunk, chunks = min(threads, n / grain).
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "st_internal.h"

typedef void (*st_gomp_parallel_fn)(void (*fn)(void *), void *data, unsigned num_threads, unsigned int flags);
typedef int (*st_omp_int_fn)(void);

static st_gomp_parallel_fn st_GOMP_parallel = NULL;
static st_omp_int_fn st_omp_get_thread_num = NULL;
static st_omp_int_fn st_omp_get_num_threads = NULL;
static st_omp_int_fn st_omp_in_parallel = NULL;
static pthread_once_t st_gomp_once = PTHREAD_ONCE_INIT;

static void st_load_gomp(void) {
    if (!getenv("GOMP_SPINCOUNT") && !getenv("OMP_WAIT_POLICY")) setenv("GOMP_SPINCOUNT", "10000", 0);
    void *lib = dlopen("libgomp.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) return;
    st_gomp_parallel_fn par = (st_gomp_parallel_fn)dlsym(lib, "GOMP_parallel");
    st_omp_int_fn num = (st_omp_int_fn)dlsym(lib, "omp_get_thread_num");
    st_omp_int_fn team = (st_omp_int_fn)dlsym(lib, "omp_get_num_threads");
    st_omp_int_fn inpar = (st_omp_int_fn)dlsym(lib, "omp_in_parallel");
    if (!par || !num || !team || !inpar) return;
    st_omp_get_thread_num = num;
    st_omp_get_num_threads = team;
    st_omp_in_parallel = inpar;
    st_GOMP_parallel = par;
}

#define ST_MAX_THREADS 1024

static atomic_int st_thread_count = 0;         // 0: not initialised yet
static _Thread_local int st_in_parallel_region = 0;

static int st_default_threads(void) {
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        long v = strtol(env, &end, 10);           // "4" or the first entry of a list such as "4,2"
        if (end != env && v >= 1) return v > ST_MAX_THREADS ? ST_MAX_THREADS : (int)v;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) return 1;
    return cpus > ST_MAX_THREADS ? ST_MAX_THREADS : (int)cpus;
}

int st_get_num_threads(void) {
    int n = atomic_load_explicit(&st_thread_count, memory_order_relaxed);
    if (n == 0) {
        n = st_default_threads();
        int expected = 0;   // keep a value someone set meanwhile
        if (!atomic_compare_exchange_strong(&st_thread_count, &expected, n)) n = expected;
    }
    return n;
}

void st_set_num_threads(int n) {
    if (n < 1) n = 1;
    if (n > ST_MAX_THREADS) n = ST_MAX_THREADS;
    atomic_store_explicit(&st_thread_count, n, memory_order_relaxed);
}

typedef struct {
    st_range_fn fn;
    void *ctx;
    int64_t n;
    int64_t chunks;
    atomic_llong next;   // dynamic schedule: the next chunk to take; unused by the static schedule
} st_parallel_job;

/// Chunk k of `chunks` over [0, n): the first n % chunks chunks get one extra index.
static inline void st_chunk_bounds(int64_t n, int64_t chunks, int64_t k, int64_t *begin, int64_t *end) {
    int64_t base = n / chunks, rem = n % chunks;
    *begin = k * base + (k < rem ? k : rem);
    *end = *begin + base + (k < rem ? 1 : 0);
}

static void st_parallel_worker(void *data) {
    const st_parallel_job *job = (const st_parallel_job *)data;
    int64_t tid = st_omp_get_thread_num(), team = st_omp_get_num_threads();
    if (team < 1) team = 1;
    st_in_parallel_region = 1;
    for (int64_t k = tid; k < job->chunks; k += team) {   // the team may be smaller than asked for
        int64_t b, e;
        st_chunk_bounds(job->n, job->chunks, k, &b, &e);
        if (b < e) job->fn(job->ctx, b, e);
    }
    st_in_parallel_region = 0;
}

static void st_parallel_worker_dynamic(void *data) {
    st_parallel_job *job = (st_parallel_job *)data;
    st_in_parallel_region = 1;
    for (;;) {
        int64_t k = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (k >= job->chunks) break;
        int64_t b, e;
        st_chunk_bounds(job->n, job->chunks, k, &b, &e);
        if (b < e) job->fn(job->ctx, b, e);
    }
    st_in_parallel_region = 0;
}

void st_parallel_for_dynamic(int64_t n, int64_t grain, int64_t chunks_per_thread, st_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (chunks_per_thread < 1) chunks_per_thread = 1;
    int64_t threads = st_get_num_threads();
    int64_t chunks = n / grain;
    if (chunks > threads * chunks_per_thread) chunks = threads * chunks_per_thread;
    if (chunks > 1 && !st_in_parallel_region) pthread_once(&st_gomp_once, st_load_gomp);
    if (chunks <= 1 || threads <= 1 || st_in_parallel_region || !st_GOMP_parallel || st_omp_in_parallel()) {
        fn(ctx, 0, n);
        return;
    }
    st_parallel_job job = {fn, ctx, n, chunks, 0};
    st_GOMP_parallel(st_parallel_worker_dynamic, &job, (unsigned)(threads < chunks ? threads : chunks), 0);
}

void st_parallel_for(int64_t n, int64_t grain, st_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t threads = st_get_num_threads();
    int64_t chunks = n / grain;
    if (chunks > threads) chunks = threads;
    if (chunks > 1 && !st_in_parallel_region) pthread_once(&st_gomp_once, st_load_gomp);
    if (chunks <= 1 || st_in_parallel_region || !st_GOMP_parallel || st_omp_in_parallel()) {
        fn(ctx, 0, n);
        return;
    }
    st_parallel_job job = {fn, ctx, n, chunks, 0};
    st_GOMP_parallel(st_parallel_worker, &job, (unsigned)chunks, 0);
}
