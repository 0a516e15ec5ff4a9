/* test-gemm.c: vs_sgemm's own micro-kernels (each ISA variant this CPU has)
 * against a naive double-precision product and against OpenBLAS's
 * cblas_sgemm, for every transpose pair, alpha/beta, padded strides and odd
 * shapes (none of them multiples of the tiles or vector widths).
 *
 * Tolerance: with A, B, C0 uniform in [-1, 1],
 *   |c - ref| <= tol = 2e-6 * (K + 1) * (|alpha| max|A| max|B| + |beta| max|C0|)
 * (16 float epsilons per term of the sum: rounding of a K-term float sum
 * stays far below it, a single wrong or missing term does not). Against
 * OpenBLAS (also float) the bound is 2 tol. Padding in A and B holds NaN
 * (reading it would poison C); padding in C holds a sentinel that must stay. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tensor/vs-gemm.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

#define C_SENTINEL 12345.0f

typedef struct
{
  int M, N, K;
  gboolean ta, tb;
  float alpha, beta;
  int pad;                   /* extra floats per row of A, B and C */
  gboolean c_nan;            /* C0 filled with NaN (beta must be 0) */
  CBLAS_ORDER order;
} Case;

static float
urand (GRand *r)
{
  return (float) g_rand_double_range (r, -1.0, 1.0);
}

/* element (i, j) of a matrix stored in `order` with leading dimension ld */
static gsize
at (CBLAS_ORDER order, int ld, int i, int j)
{
  return order == CblasRowMajor ? (gsize) i * ld + j : (gsize) j * ld + i;
}

static void
run_case (const Case *c, VsGemmBackend backend)
{
  g_autoptr (GRand) r = g_rand_new_with_seed ((guint32) (c->M * 7919 + c->N * 104729 + c->K * 13 +
                                                          c->ta * 2 + c->tb));
  /* stored shapes: A is op(A)^T when transposed, etc. */
  int ar = c->ta ? c->K : c->M, ac = c->ta ? c->M : c->K;
  int br = c->tb ? c->N : c->K, bc = c->tb ? c->K : c->N;
  gboolean row = c->order == CblasRowMajor;
  int lda = (row ? ac : ar) + c->pad, ldb = (row ? bc : br) + c->pad;
  int ldc = (row ? c->N : c->M) + c->pad;
  gsize a_len = (gsize) (row ? ar : ac) * lda, b_len = (gsize) (row ? br : bc) * ldb;
  gsize c_len = (gsize) (row ? c->M : c->N) * ldc;
  g_autofree float *A = g_new (float, a_len);
  g_autofree float *B = g_new (float, b_len);
  g_autofree float *C0 = g_new (float, c_len);
  g_autofree float *Cours = g_new (float, c_len);
  g_autofree float *Cblas = g_new (float, c_len);
  double max_a = 0, max_b = 0, max_c = 0, tol, worst = 0, worst_blas = 0;

  for (gsize i = 0; i < a_len; i++)
    A[i] = NAN;
  for (gsize i = 0; i < b_len; i++)
    B[i] = NAN;
  for (gsize i = 0; i < c_len; i++)
    C0[i] = C_SENTINEL;
  for (int i = 0; i < ar; i++)
    for (int j = 0; j < ac; j++)
      {
        float v = urand (r);
        A[at (c->order, lda, i, j)] = v;
        max_a = MAX (max_a, fabs (v));
      }
  for (int i = 0; i < br; i++)
    for (int j = 0; j < bc; j++)
      {
        float v = urand (r);
        B[at (c->order, ldb, i, j)] = v;
        max_b = MAX (max_b, fabs (v));
      }
  for (int i = 0; i < c->M; i++)
    for (int j = 0; j < c->N; j++)
      {
        float v = c->c_nan ? NAN : urand (r);
        C0[at (c->order, ldc, i, j)] = v;
        if (!c->c_nan)
          max_c = MAX (max_c, fabs (v));
      }
  memcpy (Cours, C0, c_len * sizeof (float));
  memcpy (Cblas, C0, c_len * sizeof (float));

  g_assert_true (vs_gemm_set_backend (backend));
  vs_sgemm (c->order, c->ta ? CblasTrans : CblasNoTrans, c->tb ? CblasTrans : CblasNoTrans,
            c->M, c->N, c->K, c->alpha, A, lda, B, ldb, c->beta, Cours, ldc);
  cblas_sgemm (c->order, c->ta ? CblasTrans : CblasNoTrans, c->tb ? CblasTrans : CblasNoTrans,
               c->M, c->N, c->K, c->alpha, A, lda, B, ldb, c->beta, Cblas, ldc);

  tol = 2e-6 * (c->K + 1) * (fabs (c->alpha) * max_a * max_b + fabs (c->beta) * max_c);
  for (int i = 0; i < c->M; i++)
    for (int j = 0; j < c->N; j++)
      {
        double ref = 0.0, d, db;
        float got = Cours[at (c->order, ldc, i, j)];

        for (int k = 0; k < c->K; k++)
          {
            double a = A[c->ta ? at (c->order, lda, k, i) : at (c->order, lda, i, k)];
            double b = B[c->tb ? at (c->order, ldb, j, k) : at (c->order, ldb, k, j)];
            ref += a * b;
          }
        ref *= c->alpha;
        if (c->beta != 0.0f)
          ref += (double) c->beta * C0[at (c->order, ldc, i, j)];
        d = fabs (got - ref);
        db = fabs (got - (double) Cblas[at (c->order, ldc, i, j)]);
        if (!(d <= tol) || !(db <= 2 * tol))
          g_error ("%s M=%d N=%d K=%d %s%s alpha=%g beta=%g pad=%d %s: C[%d,%d] = %.9g, "
                   "reference %.9g, OpenBLAS %.9g (tol %.3g)",
                   vs_gemm_backend_name (backend), c->M, c->N, c->K, c->ta ? "T" : "N",
                   c->tb ? "T" : "N", c->alpha, c->beta, c->pad,
                   row ? "row-major" : "col-major", i, j, got, ref,
                   Cblas[at (c->order, ldc, i, j)], tol);
        worst = MAX (worst, d / tol);
        worst_blas = MAX (worst_blas, db / tol);
      }
  /* padding of C untouched */
  for (gsize i = 0; i < c_len; i++)
    {
      int outer = (int) (i / ldc), inner = (int) (i % ldc);
      if (inner >= (row ? c->N : c->M) || outer >= (row ? c->M : c->N))
        g_assert_cmpfloat (Cours[i], ==, C_SENTINEL);
    }
  if (g_test_verbose ())
    g_printerr ("  %s %dx%dx%d %s%s: max |err|/tol %.3g (vs OpenBLAS %.3g)\n",
                vs_gemm_backend_name (backend), c->M, c->N, c->K, c->ta ? "T" : "N",
                c->tb ? "T" : "N", worst, worst_blas);
}

/* every transpose pair of the case, on every own variant this CPU runs */
static guint
run_all (Case c)
{
  static const VsGemmBackend own[] = { VS_GEMM_OWN_AVX2, VS_GEMM_OWN_AVX512 };
  guint ran = 0;

  for (gsize b = 0; b < G_N_ELEMENTS (own); b++)
    {
      if (!vs_gemm_backend_supported (own[b]))
        continue;
      for (int t = 0; t < 4; t++)
        {
          c.ta = (t & 1) != 0;
          c.tb = (t & 2) != 0;
          run_case (&c, own[b]);
        }
      ran++;
    }
  g_assert_true (vs_gemm_set_backend (VS_GEMM_AUTO));
  return ran;
}

static gboolean
have_own (void)
{
  if (vs_gemm_backend_supported (VS_GEMM_OWN_AVX2))
    return TRUE;
  g_test_skip ("this CPU has neither AVX2+FMA nor AVX-512: only OpenBLAS runs");
  return FALSE;
}

static const int sizes[] = { 1, 2, 7, 15, 17, 31, 33, 63, 65, 127, 129, 383, 385, 1000 };

static void
test_square (void)
{
  if (!have_own ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (sizes) && sizes[i] <= 129; i++)
    for (int pad = 0; pad <= 5; pad += 5)
      {
        int s = sizes[i];
        run_all ((Case) { s, s, s, FALSE, FALSE, 1.0f, 0.0f, pad, FALSE, CblasRowMajor });
      }
}

static void
test_one_long_side (void)
{
  if (!have_own ())
    return;
  /* each size along M, N and K in turn, the others odd and small */
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int s = sizes[i];
      run_all ((Case) { s, 33, 17, FALSE, FALSE, 1.0f, 0.0f, 3, FALSE, CblasRowMajor });
      run_all ((Case) { 17, s, 33, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
      run_all ((Case) { 33, 17, s, FALSE, FALSE, 1.0f, 0.0f, 3, FALSE, CblasRowMajor });
    }
}

static void
test_mixed_blocks (void)
{
  if (!have_own ())
    return;
  /* several K blocks (KC 256 / 384), N blocks (NC 192 / 1024), M blocks,
   * and shapes split over two threads */
  run_all ((Case) { 383, 385, 129, FALSE, FALSE, 1.0f, 0.0f, 1, FALSE, CblasRowMajor });
  run_all ((Case) { 1000, 65, 385, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
  run_all ((Case) { 129, 1000, 63, FALSE, FALSE, 0.5f, 0.0f, 2, FALSE, CblasRowMajor });
  run_all ((Case) { 65, 127, 1000, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
  run_all ((Case) { 31, 1100, 401, FALSE, FALSE, 1.0f, 0.5f, 1, FALSE, CblasRowMajor });
  /* the encoder's shapes, fewer rows: QKV forward, dinp, dw */
  run_all ((Case) { 95, 1152, 384, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
  run_all ((Case) { 200, 385, 1536, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
}

static void
test_alpha_beta (void)
{
  static const float alphas[] = { 1.0f, -0.5f, 2.0f, 0.0f };
  static const float betas[] = { 0.0f, 1.0f, 0.25f, -1.0f };

  if (!have_own ())
    return;
  for (gsize a = 0; a < G_N_ELEMENTS (alphas); a++)
    for (gsize b = 0; b < G_N_ELEMENTS (betas); b++)
      {
        run_all ((Case) { 65, 127, 33, FALSE, FALSE, alphas[a], betas[b], 2, FALSE, CblasRowMajor });
        run_all ((Case) { 31, 17, 385, FALSE, FALSE, alphas[a], betas[b], 0, FALSE, CblasRowMajor });
      }
}

static void
test_beta_zero_ignores_c (void)
{
  if (!have_own ())
    return;
  /* beta = 0: C's NaN must never be read */
  run_all ((Case) { 63, 65, 17, FALSE, FALSE, 1.0f, 0.0f, 1, TRUE, CblasRowMajor });
  run_all ((Case) { 13, 7, 0, FALSE, FALSE, 1.0f, 0.0f, 1, TRUE, CblasRowMajor });
  run_all ((Case) { 13, 7, 9, FALSE, FALSE, 0.0f, 0.0f, 0, TRUE, CblasRowMajor });
}

static void
test_col_major (void)
{
  if (!have_own ())
    return;
  run_all ((Case) { 33, 65, 17, FALSE, FALSE, 1.0f, 0.5f, 3, FALSE, CblasColMajor });
  run_all ((Case) { 129, 7, 385, FALSE, FALSE, -1.0f, 1.0f, 0, FALSE, CblasColMajor });
}

static void
test_threads (void)
{
  guint saved = vs_engine_get_threads ();

  if (!have_own ())
    return;
  /* one thread and three (more parts than cores), splits by rows and columns */
  for (guint t = 1; t <= 3; t += 2)
    {
      vs_engine_set_threads (t);
      run_all ((Case) { 257, 129, 200, FALSE, FALSE, 1.0f, 1.0f, 0, FALSE, CblasRowMajor });
      run_all ((Case) { 33, 700, 129, FALSE, FALSE, 1.0f, 0.0f, 1, FALSE, CblasRowMajor });
    }
  vs_engine_set_threads (saved);
}

/* a vs_sgemm inside a vs_parallel_for chunk (as a kernel's range function
 * would run it) completes and is right */
typedef struct
{
  const float *A, *B;
  float *C;
  int n;
} NestedArgs;

static void
nested_range (gsize begin, gsize end, gpointer data)
{
  NestedArgs *a = data;

  for (gsize i = begin; i < end; i++)
    vs_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, a->n, a->n, a->n, 1.0f,
              a->A + i * a->n * a->n, a->n, a->B, a->n, 0.0f, a->C + i * a->n * a->n, a->n);
}

static void
test_nested (void)
{
  int n = 160, batches = 4;
  g_autofree float *A = g_new (float, (gsize) batches * n * n);
  g_autofree float *B = g_new (float, (gsize) n * n);
  g_autofree float *C = g_new (float, (gsize) batches * n * n);
  g_autofree float *R = g_new (float, (gsize) batches * n * n);
  g_autoptr (GRand) r = g_rand_new_with_seed (5);
  NestedArgs args = { A, B, C, n };
  guint saved = vs_engine_get_threads ();

  if (!have_own ())
    return;
  for (int i = 0; i < batches * n * n; i++)
    A[i] = urand (r);
  for (int i = 0; i < n * n; i++)
    B[i] = urand (r);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, batches * n, n, n, 1.0f, A, n, B, n,
               0.0f, R, n);
  vs_engine_set_threads (2);
  g_assert_true (vs_gemm_set_backend (VS_GEMM_OWN_AVX2));
  vs_parallel_for ((gsize) batches, 1, nested_range, &args);
  for (int i = 0; i < batches * n * n; i++)
    g_assert_cmpfloat_with_epsilon (C[i], R[i], 2 * 2e-6 * (n + 1));
  g_assert_true (vs_gemm_set_backend (VS_GEMM_AUTO));
  vs_engine_set_threads (saved);
}

/* VS_GEMM picks the backend at the first call */
static void
test_env (void)
{
  static const struct { const char *env; VsGemmBackend want; } cases[] = {
    { "openblas", VS_GEMM_OPENBLAS },
    { "own", VS_GEMM_OWN_AVX512 },
    { "own-avx2", VS_GEMM_OWN_AVX2 },
  };

  if (g_test_subprocess ())
    {
      const char *env = g_getenv ("VS_GEMM_TEST_CASE");

      g_setenv ("VS_GEMM", env, TRUE);
      g_print ("backend=%s\n", vs_gemm_backend_name (vs_gemm_get_backend ()));
      g_print ("describe=%s\n", vs_gemm_describe ());
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      VsGemmBackend want = cases[i].want;
      g_autofree char *pattern = NULL;

      if (want == VS_GEMM_OWN_AVX512 && !vs_gemm_backend_supported (want))
        want = vs_gemm_backend_supported (VS_GEMM_OWN_AVX2) ? VS_GEMM_OWN_AVX2 : VS_GEMM_OPENBLAS;
      if (want == VS_GEMM_OWN_AVX2 && !vs_gemm_backend_supported (want))
        continue;
      g_setenv ("VS_GEMM_TEST_CASE", cases[i].env, TRUE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      pattern = g_strdup_printf ("backend=%s\ndescribe=%s (VS_GEMM=%s; OpenBLAS core *",
                                 vs_gemm_backend_name (want), vs_gemm_backend_name (want),
                                 cases[i].env);
      g_test_trap_assert_stdout (pattern);
    }
  /* a value it does not know is named in a warning */
  g_setenv ("VS_GEMM_TEST_CASE", "fastest", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*VS_GEMM=fastest: expected openblas, own, own-avx2 or own-avx512*");
}

/* vectorsmith-cli --version names the backend */
static void
test_cli_version (void)
{
  const char *cli = g_getenv ("VS_CLI");
  const char *argv[] = { cli, "--version", NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  if (cli == NULL)
    {
      g_test_skip ("VS_CLI is not set (run through meson test)");
      return;
    }
  envp = g_environ_setenv (envp, "VS_GEMM", "openblas", TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (strstr (out, "\nsgemm: openblas (VS_GEMM=openblas; OpenBLAS core ") != NULL);
  if (vs_gemm_backend_supported (VS_GEMM_OWN_AVX2))
    {
      g_clear_pointer (&out, g_free);
      envp = g_environ_setenv (envp, "VS_GEMM", "own-avx2", TRUE);
      g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (strstr (out, "\nsgemm: own-avx2 (VS_GEMM=own-avx2; OpenBLAS core ") != NULL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gemm/square", test_square);
  g_test_add_func ("/gemm/one-long-side", test_one_long_side);
  g_test_add_func ("/gemm/mixed-blocks", test_mixed_blocks);
  g_test_add_func ("/gemm/alpha-beta", test_alpha_beta);
  g_test_add_func ("/gemm/beta-zero-ignores-c", test_beta_zero_ignores_c);
  g_test_add_func ("/gemm/col-major", test_col_major);
  g_test_add_func ("/gemm/threads", test_threads);
  g_test_add_func ("/gemm/nested", test_nested);
  g_test_add_func ("/gemm/env", test_env);
  g_test_add_func ("/gemm/cli-version", test_cli_version);
  return g_test_run ();
}
