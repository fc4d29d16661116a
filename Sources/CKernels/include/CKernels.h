// vaepipe's compute kernels: one thread pool for every parallel loop, and a GEMM whose
// micro-kernel is chosen at run time from the CPU's own feature flags (CPUID), never from a
// table of CPU names. Written in C because each kernel is compiled once per instruction set
// (function target attributes) and the pool needs futexes and spin-waits; the rest is Swift.
#ifndef VAEPIPE_CKERNELS_H
#define VAEPIPE_CKERNELS_H

#include <stddef.h>

// MARK: - CPU

typedef enum {
    VP_ISA_GENERIC = 0,  // SSE2, baseline x86-64 (or plain C elsewhere)
    VP_ISA_AVX2 = 1,     // AVX2 + FMA3
    VP_ISA_AVX512 = 2,   // AVX-512F
} vp_isa;

/// The best instruction set this CPU and OS support (CPUID + XGETBV).
vp_isa vp_cpu_detect_isa(void);
/// The CPU's brand string from CPUID (or "unknown"), into buf.
void vp_cpu_brand(char *buf, size_t size);
/// The ISA the GEMM uses now (VAEPIPE_ISA=sse2|avx2|avx512 caps it); vp_gemm_set_isa caps it at what the CPU supports and returns
/// what it set.
vp_isa vp_gemm_isa(void);
vp_isa vp_gemm_set_isa(vp_isa isa);
const char *vp_isa_name(vp_isa isa);
/// Whether the GEMM skips the depth steps where a panel of A is all zeros (on unless
/// VAEPIPE_ZERO_SKIP=0): the same bits, less work on inputs with zero runs.
int vp_gemm_zero_skipping(void);
void vp_gemm_set_zero_skipping(int on);
/// The micro-kernel's register tile for an ISA (rows x columns of C per inner loop).
void vp_gemm_tile(vp_isa isa, int *mr, int *nr);

/// The FMA units' peak in GFLOP/s for an ISA's vector width, measured for about `seconds` on
/// every thread of the pool at once (the best of its runs): the ceiling the GEMM's GFLOP/s are
/// a share of.
double vp_fma_peak_gflops(vp_isa isa, double seconds);

// MARK: - Thread pool

/// Runs fn(ctx, task) for every task in 0..<tasks over the pool's threads; the caller takes
/// part. Tasks are claimed one at a time, so a thread that the OS pauses does not hold the
/// others up. Calls from inside a task, or from a second thread while
/// the pool is busy, run inline on the calling thread.
typedef void (*vp_task_fn)(void *ctx, long task);
void vp_parallel(long tasks, vp_task_fn fn, void *ctx);
/// Threads in the pool (the caller included). Fixed at the first call: VAEPIPE_THREADS, or
/// OMP_NUM_THREADS, or the cores this process may run on.
int vp_threads(void);
/// Parallel calls so far, and how many of them ran on the calling thread alone because the
/// pool's other threads were being held up (another process on the cores).
void vp_pool_counts(long *calls, long *solo_calls);
/// The monotonic clock in seconds, as the pool times its waits.
double vp_seconds_now(void);
/// Changes the thread count (only between parallel calls; the tests use it).
void vp_set_threads(int threads);

// MARK: - GEMM

/// What the GEMM does to each output element after the product: C = op(A) op(B) [+ beta C]
/// [+ bias per column] [relu].
typedef struct {
    float beta;          // 0: C is overwritten; 1: accumulated into (any other value scales C)
    const float *bias;   // nullable: bias[j] added to column j
    int relu;            // max(., 0) last
} vp_epilogue;

/// Row-major C[m x n] = op(A)[m x k] op(B)[k x n] with the epilogue. A is [m x k] (lda = k),
/// or [k x m] when trans_a (lda = m); B is [k x n] (ldb = n), or [n x k] when trans_b (ldb = k).
/// Runs on the pool and allocates nothing.
void vp_gemm(int trans_a, int trans_b, long m, long n, long k, const float *a, const float *b,
             float *c, vp_epilogue epilogue);

/// The most parts `vp_gemm_parts` sums a depth in.
#define VP_MAX_PARTS 16

/// A depth cut into `count` parts: part s is cuts[s] ..< cuts[s + 1].
typedef struct {
    const long *cuts;
    int count;
} vp_parts;

/// C[m x n] = the epilogue of A^T B (A stored [k x m], B [k x n]: a weight gradient, whose depth
/// is a batch's rows), with the depth summed in `parts` parts: each part's product from zero in
/// depth order, and the parts added in a fixed binary tree (part 2j + part 2j+1, then those
/// pairwise, ...). A batch's gradient summed in one process then equals, bit for bit, the sum of
/// the products of aligned groups of its parts computed anywhere and added in the same tree.
/// cuts[0] = 0 and cuts[parts] = k; at most VP_MAX_PARTS parts.
void vp_gemm_parts(long m, long n, long k, const float *a, const float *b, float *c, vp_epilogue epilogue,
                   const long *cuts, int parts);

// MARK: - Heads

/// The Bernoulli head on rows r0 ..< r1 of [rows x dim] logits and targets: nll[r] = sum over the
/// row of softplus(l) - x l, and (when dlogits is not NULL) dlogits = scale (sigmoid(l) - x). The
/// bits of VectorMath's Swift loop, at the CPU's vector width.
void vp_bernoulli_rows(const float *logits, const float *targets, long r0, long r1, long dim, float *nll,
                       float *dlogits, float scale);

/// The Gaussian head with one sigma on rows r0 ..< r1: squares[r] = sum over the row of
/// (x - sigmoid(l))^2, and (when dlogits is not NULL) dlogits = -scale inverse_variance (x - m) m (1 - m).
/// The bits of VectorMath's Swift loop, at the CPU's vector width.
void vp_gaussian_rows(const float *logits, const float *targets, long r0, long r1, long dim, float *squares,
                      float *dlogits, float scale, float inverse_variance);

// MARK: - Activations

/// SiLU on n floats: y = x sigmoid(x). The bits of VectorMath's Swift loop, at the CPU's vector width.
void vp_silu_forward(const float *x, float *y, long n);

/// SiLU's input gradient on n floats: dx = dy s (1 + x (1 - s)), s = sigmoid(x).
void vp_silu_backward(const float *x, const float *dy, float *dx, long n);

// MARK: - Adam

/// One Adam step over flat buffers, PyTorch's update order: m = b1 m + (1-b1) g,
/// v = b2 v + (1-b2) g^2, p -= step_size m / (sqrt(v) inv_sqrt_bc2 + eps); g is cleared.
void vp_adam(float *p, float *g, float *m, float *v, long count, float beta1, float beta2, float eps,
             float step_size, float inv_sqrt_bc2);

#endif
