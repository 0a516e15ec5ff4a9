/* vs-gemm.h: the engine's single-precision matrix multiply.
 *
 * Every GEMM of the engine goes through vs_sgemm, which has cblas_sgemm's
 * arguments and semantics:
 *
 *   C[M,N] = alpha * op(A)[M,K] op(B)[K,N] + beta * C[M,N]
 *
 * op(X) is X or X^T (CblasNoTrans / CblasTrans); lda, ldb, ldc are the row
 * strides in floats of A, B, C as stored (CblasRowMajor; CblasColMajor is
 * accepted too). beta = 0 never reads C (NaN or garbage there is overwritten,
 * as in BLAS).
 *
 * Two implementations sit behind it:
 *  - OpenBLAS (cblas_sgemm), fast when it picked kernels for this CPU;
 *  - our own packed, cache-blocked FMA micro-kernels (AVX-512: 12x32 tiles,
 *    AVX2+FMA: 6x16 tiles, BLIS/GotoBLAS style: A and B panels packed into
 *    aligned per-thread buffers reused across calls), split over the engine's
 *    thread pool (vs_parallel_for) by row or column panels.
 *
 * The backend is chosen once, at the first call: the environment variable
 * VS_GEMM=openblas|own|own-avx2|own-avx512 forces one; otherwise ours runs
 * when OpenBLAS fell back to generic kernels (Prescott, Core2, Nehalem,
 * Sandybridge, ... : openblas_get_corename ()) on a CPU with AVX2+FMA, and
 * OpenBLAS everywhere else. OpenBLAS's threads and the engine's pool never
 * run at once (one GEMM is either theirs or ours).
 *
 *   vs_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T, OC, C,
 *             1.0f, inp, C, w, C, 0.0f, out, OC);       // out = inp w^T
 *   g_print ("%s\n", vs_gemm_backend_name (vs_gemm_get_backend ()));
 */
#pragma once

#include <cblas.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VS_GEMM_AUTO = 0,     /* only as an argument: the environment / detection */
  VS_GEMM_OPENBLAS,
  VS_GEMM_OWN_AVX2,     /* AVX2 + FMA, 6x16 micro-kernel */
  VS_GEMM_OWN_AVX512,   /* AVX-512F, 12x32 micro-kernel */
} VsGemmBackend;

void vs_sgemm (CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b,
               int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc);

/* The backend vs_sgemm uses (resolved; never VS_GEMM_AUTO). */
VsGemmBackend vs_gemm_get_backend (void);
/* Forces a backend (VS_GEMM_AUTO: back to the environment / detection).
 * Returns FALSE, changing nothing, when this CPU cannot run it. Not for use
 * while another thread is inside vs_sgemm. */
gboolean      vs_gemm_set_backend (VsGemmBackend backend);
/* Whether this CPU (and build) can run the backend. */
gboolean      vs_gemm_backend_supported (VsGemmBackend backend);
/* "openblas", "own-avx2", "own-avx512" ("auto" for VS_GEMM_AUTO). */
const char   *vs_gemm_backend_name (VsGemmBackend backend);
/* One line for --version and benchmarks, e.g.
 * "own-avx512 (OpenBLAS core Prescott: generic kernels)". Owned by the engine;
 * valid until the next vs_gemm_set_backend (). */
const char   *vs_gemm_describe (void);

G_END_DECLS
