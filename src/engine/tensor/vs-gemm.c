/* vs-gemm.c: SGEMM through OpenBLAS or our own packed FMA micro-kernels
 * (see vs-gemm.h).
 *
 * The own path is GotoBLAS/BLIS blocking, row-major throughout:
 *
 *   for jc over N by NC            B block [KC, NC] packed: in L2
 *     for pc over K by KC            (pc = 0 applies beta, later blocks add)
 *       pack B[pc:+kc, jc:+nc] into NR-wide micro-panels, k-major
 *       for ic over M by MC
 *         pack alpha * A[ic:+mc, pc:+kc] into MR-tall micro-panels, k-major
 *         for ir over mc by MR       A micro-panel [MR, kc]: in L1
 *           for jr over nc by NR     B micro-panel streamed from L2
 *             C[MR,NR] (+)= Ap[MR,kc] Bp[kc,NR]   (registers: MR x NR/VL FMAs)
 *
 * Panels are zero-padded to MR / NR, so the micro-kernel always computes a
 * full tile; the store masks the rows/columns outside C. Threads split the
 * MR (or NR) panels of C; each runs the loops above on its part with its own
 * packing buffers (one pair per thread, allocated once and kept). */
#include "config.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define VS_GEMM_X86 1
#include <immintrin.h>
#else
#define VS_GEMM_X86 0
#endif

#include "tensor/vs-gemm.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

/* ------------------------------------------------------------------------ */
/* the problem, row-major */

typedef enum
{
  BETA_ZERO,   /* C = AB: C is not read */
  BETA_ONE,    /* C += AB */
  BETA_OTHER,  /* C = beta C + AB */
} BetaMode;

typedef struct
{
  gboolean     ta, tb;
  gsize        M, N, K;
  float        alpha, beta;
  const float *A, *B;
  float       *C;
  gsize        lda, ldb, ldc;
} Problem;

/* C[MR,NR] tile at c (row stride ldc), only m x n of it inside C;
 * a[kc,MR], b[kc,NR] packed micro-panels. */
typedef void (*MicroKernel) (gsize kc, const float *a, const float *b, float *c, gsize ldc,
                             gsize m, gsize n, BetaMode mode, float beta);

typedef struct
{
  const char  *name;
  gsize        MR, NR, KC, MC, NC;
  MicroKernel  kernel;
} KernelConfig;

/* ------------------------------------------------------------------------ */
/* micro-kernels */

#if VS_GEMM_X86

#define TARGET_AVX512 __attribute__ ((target ("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TARGET_AVX2   __attribute__ ((target ("avx2,fma")))

/* 12 x 32: 24 zmm accumulators, 2 zmm of B per k, A broadcast from memory. */
TARGET_AVX512 static void
kernel_avx512_12x32 (gsize kc, const float *restrict a, const float *restrict b,
                     float *restrict c, gsize ldc, gsize m, gsize n, BetaMode mode, float beta)
{
  __m512 acc[12][2];
  __mmask16 k0, k1;
  __m512 vbeta = _mm512_set1_ps (beta);

#pragma GCC unroll 12
  for (int i = 0; i < 12; i++)
    acc[i][0] = acc[i][1] = _mm512_setzero_ps ();
#pragma GCC unroll 2
  for (gsize k = 0; k < kc; k++)
    {
      __m512 b0 = _mm512_load_ps (b);
      __m512 b1 = _mm512_load_ps (b + 16);

      _mm_prefetch ((const char *) (b + 32 * 8), _MM_HINT_T0);
#pragma GCC unroll 12
      for (int i = 0; i < 12; i++)
        {
          __m512 ai = _mm512_set1_ps (a[i]);
          acc[i][0] = _mm512_fmadd_ps (ai, b0, acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps (ai, b1, acc[i][1]);
        }
      a += 12;
      b += 32;
    }

  k0 = n >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << n) - 1);
  k1 = n >= 32 ? (__mmask16) 0xffff : n <= 16 ? 0 : (__mmask16) ((1u << (n - 16)) - 1);
#pragma GCC unroll 12
  for (gsize i = 0; i < 12; i++)
    {
      float *ci = c + i * ldc;

      if (i >= m)
        break;
      if (mode == BETA_ONE)
        {
          acc[i][0] = _mm512_add_ps (acc[i][0], _mm512_maskz_loadu_ps (k0, ci));
          acc[i][1] = _mm512_add_ps (acc[i][1], _mm512_maskz_loadu_ps (k1, ci + 16));
        }
      else if (mode == BETA_OTHER)
        {
          acc[i][0] = _mm512_fmadd_ps (vbeta, _mm512_maskz_loadu_ps (k0, ci), acc[i][0]);
          acc[i][1] = _mm512_fmadd_ps (vbeta, _mm512_maskz_loadu_ps (k1, ci + 16), acc[i][1]);
        }
      _mm512_mask_storeu_ps (ci, k0, acc[i][0]);
      _mm512_mask_storeu_ps (ci + 16, k1, acc[i][1]);
    }
}

/* 6 x 16: 12 ymm accumulators, 2 ymm of B per k, 1 broadcast. */
TARGET_AVX2 static void
kernel_avx2_6x16 (gsize kc, const float *restrict a, const float *restrict b,
                  float *restrict c, gsize ldc, gsize m, gsize n, BetaMode mode, float beta)
{
  __m256 acc[6][2];
  __m256 vbeta = _mm256_set1_ps (beta);

#pragma GCC unroll 6
  for (int i = 0; i < 6; i++)
    acc[i][0] = acc[i][1] = _mm256_setzero_ps ();
#pragma GCC unroll 4
  for (gsize k = 0; k < kc; k++)
    {
      __m256 b0 = _mm256_load_ps (b);
      __m256 b1 = _mm256_load_ps (b + 8);

#pragma GCC unroll 6
      for (int i = 0; i < 6; i++)
        {
          __m256 ai = _mm256_broadcast_ss (a + i);
          acc[i][0] = _mm256_fmadd_ps (ai, b0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps (ai, b1, acc[i][1]);
        }
      a += 6;
      b += 16;
    }

  if (n == 16)
    {
#pragma GCC unroll 6
      for (gsize i = 0; i < 6; i++)
        {
          float *ci = c + i * ldc;

          if (i >= m)
            break;
          if (mode == BETA_ONE)
            {
              acc[i][0] = _mm256_add_ps (acc[i][0], _mm256_loadu_ps (ci));
              acc[i][1] = _mm256_add_ps (acc[i][1], _mm256_loadu_ps (ci + 8));
            }
          else if (mode == BETA_OTHER)
            {
              acc[i][0] = _mm256_fmadd_ps (vbeta, _mm256_loadu_ps (ci), acc[i][0]);
              acc[i][1] = _mm256_fmadd_ps (vbeta, _mm256_loadu_ps (ci + 8), acc[i][1]);
            }
          _mm256_storeu_ps (ci, acc[i][0]);
          _mm256_storeu_ps (ci + 8, acc[i][1]);
        }
    }
  else
    {
      /* right edge: through a tile, element by element */
      float tile[6 * 16];

#pragma GCC unroll 6
      for (int i = 0; i < 6; i++)
        {
          _mm256_storeu_ps (tile + i * 16, acc[i][0]);
          _mm256_storeu_ps (tile + i * 16 + 8, acc[i][1]);
        }
      for (gsize i = 0; i < m; i++)
        for (gsize j = 0; j < n; j++)
          {
            float *cij = c + i * ldc + j;
            float v = tile[i * 16 + j];

            if (mode == BETA_ONE)
              v += *cij;
            else if (mode == BETA_OTHER)
              v += beta * *cij;
            *cij = v;
          }
    }
}

static const KernelConfig config_avx512 = { "own-avx512", 12, 32, 384, 240, 1024, kernel_avx512_12x32 };
static const KernelConfig config_avx2   = { "own-avx2",    6, 16, 256, 144, 192, kernel_avx2_6x16 };

#endif /* VS_GEMM_X86 */

/* ------------------------------------------------------------------------ */
/* packing */

/* ap[ceil(mc/MR)][kc][MR] = alpha * op(A)[i0 + i, p0 + k], zero-padded rows */
static void
pack_a (const Problem *p, gsize MR, gsize i0, gsize mc, gsize p0, gsize kc, float *restrict ap)
{
  float alpha = p->alpha;

  for (gsize ip = 0; ip < mc; ip += MR)
    {
      gsize rows = MIN (MR, mc - ip);
      float *dst = ap + ip * kc;

      if (!p->ta)
        {
          /* op(A)[i,k] = A[i*lda + k]: read each row along k */
          for (gsize i = 0; i < rows; i++)
            {
              const float *src = p->A + (i0 + ip + i) * p->lda + p0;
              for (gsize k = 0; k < kc; k++)
                dst[k * MR + i] = alpha * src[k];
            }
        }
      else
        {
          /* op(A)[i,k] = A[k*lda + i]: MR contiguous floats per k */
          for (gsize k = 0; k < kc; k++)
            {
              const float *src = p->A + (p0 + k) * p->lda + i0 + ip;
              for (gsize i = 0; i < rows; i++)
                dst[k * MR + i] = alpha * src[i];
            }
        }
      if (rows < MR)
        for (gsize k = 0; k < kc; k++)
          for (gsize i = rows; i < MR; i++)
            dst[k * MR + i] = 0.0f;
    }
}

/* bp[ceil(nc/NR)][kc][NR] = op(B)[p0 + k, j0 + j], zero-padded columns */
static void
pack_b (const Problem *p, gsize NR, gsize j0, gsize nc, gsize p0, gsize kc, float *restrict bp)
{
  for (gsize jp = 0; jp < nc; jp += NR)
    {
      gsize cols = MIN (NR, nc - jp);
      float *dst = bp + jp * kc;

      if (!p->tb)
        {
          /* op(B)[k,j] = B[k*ldb + j]: NR contiguous floats per k */
          for (gsize k = 0; k < kc; k++)
            {
              const float *src = p->B + (p0 + k) * p->ldb + j0 + jp;
              for (gsize j = 0; j < cols; j++)
                dst[k * NR + j] = src[j];
            }
        }
      else
        {
          /* op(B)[k,j] = B[j*ldb + k]: read each row of B along k */
          for (gsize j = 0; j < cols; j++)
            {
              const float *src = p->B + (j0 + jp + j) * p->ldb + p0;
              for (gsize k = 0; k < kc; k++)
                dst[k * NR + j] = src[k];
            }
        }
      if (cols < NR)
        for (gsize k = 0; k < kc; k++)
          for (gsize j = cols; j < NR; j++)
            dst[k * NR + j] = 0.0f;
    }
}

/* ------------------------------------------------------------------------ */
/* per-thread packing buffers, allocated on a thread's first GEMM and kept */

typedef struct
{
  float *a, *b;
  gsize  a_len, b_len;
} PackBuffers;

static void
pack_buffers_free (gpointer data)
{
  PackBuffers *pb = data;

  g_aligned_free (pb->a);
  g_aligned_free (pb->b);
  g_free (pb);
}

static GPrivate pack_buffers_key = G_PRIVATE_INIT (pack_buffers_free);

static PackBuffers *
pack_buffers_get (const KernelConfig *cfg)
{
  PackBuffers *pb = g_private_get (&pack_buffers_key);
  gsize a_len = cfg->MC * cfg->KC, b_len = cfg->KC * cfg->NC;

  if (pb == NULL)
    {
      pb = g_new0 (PackBuffers, 1);
      g_private_set (&pack_buffers_key, pb);
    }
  if (pb->a_len < a_len)
    {
      g_aligned_free (pb->a);
      pb->a = g_aligned_alloc (a_len, sizeof (float), 64);
      pb->a_len = a_len;
    }
  if (pb->b_len < b_len)
    {
      g_aligned_free (pb->b);
      pb->b = g_aligned_alloc (b_len, sizeof (float), 64);
      pb->b_len = b_len;
    }
  return pb;
}

/* ------------------------------------------------------------------------ */
/* the blocked loops over one part C[m0:m1, n0:n1] */

static void
gemm_own_part (const KernelConfig *cfg, const Problem *p, BetaMode mode,
               gsize m0, gsize m1, gsize n0, gsize n1)
{
  PackBuffers *pb = pack_buffers_get (cfg);
  gsize MR = cfg->MR, NR = cfg->NR;

  for (gsize jc = n0; jc < n1; jc += cfg->NC)
    {
      gsize nc = MIN (cfg->NC, n1 - jc);

      for (gsize pc = 0; pc < p->K; pc += cfg->KC)
        {
          gsize kc = MIN (cfg->KC, p->K - pc);
          BetaMode m = pc == 0 ? mode : BETA_ONE;

          pack_b (p, NR, jc, nc, pc, kc, pb->b);
          for (gsize ic = m0; ic < m1; ic += cfg->MC)
            {
              gsize mc = MIN (cfg->MC, m1 - ic);

              pack_a (p, MR, ic, mc, pc, kc, pb->a);
              for (gsize ir = 0; ir < mc; ir += MR)
                for (gsize jr = 0; jr < nc; jr += NR)
                  cfg->kernel (kc, pb->a + ir * kc, pb->b + jr * kc,
                               p->C + (ic + ir) * p->ldc + jc + jr, p->ldc,
                               MIN (MR, mc - ir), MIN (NR, nc - jr), m, p->beta);
            }
        }
    }
}

typedef struct
{
  const KernelConfig *cfg;
  const Problem      *p;
  BetaMode            mode;
  gboolean            split_rows;
} PartArgs;

static void
gemm_own_range (gsize begin, gsize end, gpointer data)
{
  PartArgs *a = data;
  const Problem *p = a->p;

  if (a->split_rows)
    gemm_own_part (a->cfg, p, a->mode, begin * a->cfg->MR, MIN (end * a->cfg->MR, p->M), 0, p->N);
  else
    gemm_own_part (a->cfg, p, a->mode, 0, p->M, begin * a->cfg->NR, MIN (end * a->cfg->NR, p->N));
}

/* Below this many multiply-adds a GEMM runs on the calling thread. */
#define PARALLEL_MIN_FMA (256u * 256u * 64u)

static void
gemm_own (const KernelConfig *cfg, const Problem *p)
{
  BetaMode mode = p->beta == 0.0f ? BETA_ZERO : p->beta == 1.0f ? BETA_ONE : BETA_OTHER;
  PartArgs args = { cfg, p, mode, TRUE };
  gsize m_panels = (p->M + cfg->MR - 1) / cfg->MR;
  gsize n_panels = (p->N + cfg->NR - 1) / cfg->NR;
  guint threads = vs_engine_get_threads ();

  if (threads <= 1 || (double) p->M * p->N * p->K < PARALLEL_MIN_FMA)
    {
      gemm_own_part (cfg, p, mode, 0, p->M, 0, p->N);
      return;
    }
  /* split the longer side (each part packs the whole of the other operand) */
  args.split_rows = m_panels >= n_panels;
  if (args.split_rows)
    vs_parallel_for (m_panels, 1, gemm_own_range, &args);
  else
    vs_parallel_for (n_panels, 1, gemm_own_range, &args);
}

/* ------------------------------------------------------------------------ */
/* backend choice */

static gint chosen_backend = VS_GEMM_AUTO;  /* atomic; resolved on first use */
static char *chosen_line = NULL;            /* guarded by describe_lock */
static GMutex describe_lock;

gboolean
vs_gemm_backend_supported (VsGemmBackend backend)
{
  switch (backend)
    {
    case VS_GEMM_AUTO:
    case VS_GEMM_OPENBLAS:
      return TRUE;
#if VS_GEMM_X86
    case VS_GEMM_OWN_AVX2:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    case VS_GEMM_OWN_AVX512:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx2") &&
             __builtin_cpu_supports ("fma");
#else
    case VS_GEMM_OWN_AVX2:
    case VS_GEMM_OWN_AVX512:
      return FALSE;
#endif
    default:
      return FALSE;
    }
}

const char *
vs_gemm_backend_name (VsGemmBackend backend)
{
  switch (backend)
    {
    case VS_GEMM_OPENBLAS:
      return "openblas";
    case VS_GEMM_OWN_AVX2:
      return "own-avx2";
    case VS_GEMM_OWN_AVX512:
      return "own-avx512";
    case VS_GEMM_AUTO:
    default:
      return "auto";
    }
}

static VsGemmBackend
best_own (void)
{
  if (vs_gemm_backend_supported (VS_GEMM_OWN_AVX512))
    return VS_GEMM_OWN_AVX512;
  if (vs_gemm_backend_supported (VS_GEMM_OWN_AVX2))
    return VS_GEMM_OWN_AVX2;
  return VS_GEMM_OPENBLAS;
}

/* OpenBLAS's x86-64 kernel sets with AVX2/AVX-512 FMA SGEMM kernels; every
 * other core it can pick (Prescott, Core2, Penryn, Dunnington, Nehalem,
 * Atom, Nano, Opteron, Barcelona, Bobcat, Sandybridge, Bulldozer, ...) runs
 * SSE or AVX1 kernels that our FMA ones beat on a CPU with AVX2. */
static gboolean
blas_core_is_fast (const char *core)
{
  static const char *const fast[] = {
    "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids",
  };

  if (core == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (fast); i++)
    if (g_ascii_strcasecmp (core, fast[i]) == 0)
      return TRUE;
  return FALSE;
}

static VsGemmBackend
resolve_backend (char **reason)
{
  const char *env = g_getenv ("VS_GEMM");
  const char *core = vs_blas_core_name ();

  if (env != NULL && *env != '\0')
    {
      VsGemmBackend want = VS_GEMM_AUTO;

      if (g_ascii_strcasecmp (env, "openblas") == 0)
        want = VS_GEMM_OPENBLAS;
      else if (g_ascii_strcasecmp (env, "own") == 0)
        want = best_own ();
      else if (g_ascii_strcasecmp (env, "own-avx2") == 0)
        want = VS_GEMM_OWN_AVX2;
      else if (g_ascii_strcasecmp (env, "own-avx512") == 0)
        want = VS_GEMM_OWN_AVX512;
      else
        g_warning ("VS_GEMM=%s: expected openblas, own, own-avx2 or own-avx512; "
                   "choosing by CPU", env);
      if (want != VS_GEMM_AUTO && (want == VS_GEMM_OPENBLAS || vs_gemm_backend_supported (want)))
        {
          *reason = g_strdup_printf ("VS_GEMM=%s; OpenBLAS core %s", env, core ? core : "unknown");
          return want;
        }
      if (want != VS_GEMM_AUTO)
        g_message ("VS_GEMM=%s: this CPU lacks the instructions; choosing by CPU", env);
    }
  if (!blas_core_is_fast (core) && best_own () != VS_GEMM_OPENBLAS)
    {
      *reason = g_strdup_printf ("OpenBLAS core %s: generic kernels", core ? core : "unknown");
      return best_own ();
    }
  *reason = g_strdup_printf ("OpenBLAS core %s", core ? core : "unknown");
  return VS_GEMM_OPENBLAS;
}

VsGemmBackend
vs_gemm_get_backend (void)
{
  gint b = g_atomic_int_get (&chosen_backend);

  if (b == VS_GEMM_AUTO)
    {
      char *reason = NULL;

      g_mutex_lock (&describe_lock);
      b = g_atomic_int_get (&chosen_backend);
      if (b == VS_GEMM_AUTO)
        {
          b = resolve_backend (&reason);
          g_free (chosen_line);
          chosen_line = g_strdup_printf ("%s (%s)", vs_gemm_backend_name (b), reason);
          g_free (reason);
          g_atomic_int_set (&chosen_backend, b);
        }
      g_mutex_unlock (&describe_lock);
    }
  return (VsGemmBackend) b;
}

gboolean
vs_gemm_set_backend (VsGemmBackend backend)
{
  if (!vs_gemm_backend_supported (backend))
    return FALSE;
  g_mutex_lock (&describe_lock);
  g_clear_pointer (&chosen_line, g_free);
  if (backend != VS_GEMM_AUTO)
    chosen_line = g_strdup_printf ("%s (set by the program; OpenBLAS core %s)",
                                   vs_gemm_backend_name (backend),
                                   vs_blas_core_name () ? vs_blas_core_name () : "unknown");
  g_atomic_int_set (&chosen_backend, backend);
  g_mutex_unlock (&describe_lock);
  return TRUE;
}

const char *
vs_gemm_describe (void)
{
  const char *line;

  vs_gemm_get_backend ();
  g_mutex_lock (&describe_lock);
  line = chosen_line;
  g_mutex_unlock (&describe_lock);
  return line;
}

/* ------------------------------------------------------------------------ */
/* vs_sgemm */

static void
scale_c (const Problem *p)
{
  for (gsize i = 0; i < p->M; i++)
    {
      float *ci = p->C + i * p->ldc;
      if (p->beta == 0.0f)
        memset (ci, 0, p->N * sizeof (float));
      else if (p->beta != 1.0f)
        for (gsize j = 0; j < p->N; j++)
          ci[j] *= p->beta;
    }
}

void
vs_sgemm (CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b,
          int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc)
{
  VsGemmBackend backend = vs_gemm_get_backend ();
  gboolean ta = trans_a == CblasTrans || trans_a == CblasConjTrans;
  gboolean tb = trans_b == CblasTrans || trans_b == CblasConjTrans;
  Problem p;

  g_return_if_fail (M >= 0 && N >= 0 && K >= 0);
  g_return_if_fail (order == CblasRowMajor || order == CblasColMajor);

  if (backend == VS_GEMM_OPENBLAS)
    {
      cblas_sgemm (order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }

  if (order == CblasRowMajor)
    p = (Problem) { ta, tb, (gsize) M, (gsize) N, (gsize) K, alpha, beta,
                    A, B, C, (gsize) lda, (gsize) ldb, (gsize) ldc };
  else
    /* column-major C = op(A) op(B) is row-major C^T = op(B)^T op(A)^T */
    p = (Problem) { tb, ta, (gsize) N, (gsize) M, (gsize) K, alpha, beta,
                    B, A, C, (gsize) ldb, (gsize) lda, (gsize) ldc };

  g_return_if_fail ((gssize) p.lda >= MAX (1, (gssize) (p.ta ? p.M : p.K)));
  g_return_if_fail ((gssize) p.ldb >= MAX (1, (gssize) (p.tb ? p.K : p.N)));
  g_return_if_fail ((gssize) p.ldc >= MAX (1, (gssize) p.N));

  if (p.M == 0 || p.N == 0)
    return;
  if (p.K == 0 || alpha == 0.0f)
    {
      scale_c (&p);
      return;
    }

#if VS_GEMM_X86
  if (backend == VS_GEMM_OWN_AVX512)
    gemm_own (&config_avx512, &p);
  else
    gemm_own (&config_avx2, &p);
#else
  cblas_sgemm (order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
