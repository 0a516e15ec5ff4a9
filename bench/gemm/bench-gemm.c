/* bench-gemm: GFLOP/s of vs_sgemm at the encoder's real GEMM shapes.
 *
 *   bench-gemm [--threads N] [--min-ms MS] [--interleave-own]
 *
 * Uses whatever backend vs_sgemm picks in this process (VS_GEMM and
 * OPENBLAS_CORETYPE in the environment decide; see vs-gemm.h) and prints one
 * JSON object: the CPU, the OpenBLAS core, the backend line, the threads and
 * per shape the median GFLOP/s of 5 samples (each sample repeats the GEMM for
 * at least --min-ms milliseconds). bench/gemm/run.sh runs it once per backend
 * and compares. --interleave-own alternates each sample with one of our own
 * kernels (vs_gemm_set_backend) in the same process and adds "own_gflops"
 * and "own_ratio" (median of the per-pair ratios): on a busy machine a ratio
 * of neighbouring samples is steadier than one of separate processes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/vs-gemm.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

typedef struct
{
  const char *name;
  const char *group;   /* "minilm-train", "bert-train", "attention", "square" */
  int M, N, K;
  gboolean ta, tb;
  float beta;
} Shape;

#define FWD(g, n, T, C, OC)   { n, g, T, OC, C, FALSE, TRUE, 0.0f }   /* out = inp w^T */
#define DINP(g, n, T, C, OC)  { n, g, T, C, OC, FALSE, FALSE, 1.0f }  /* dinp += dout w */
#define DW(g, n, T, C, OC)    { n, g, OC, C, T, TRUE, FALSE, 1.0f }   /* dw += dout^T inp */

static const Shape shapes[] = {
  /* MiniLM-L6 (C 384, FFN 1536), 32 texts x 32 tokens: T = 1024 */
  FWD ("minilm-t1024", "qkv fwd", 1024, 384, 1152),
  FWD ("minilm-t1024", "attn-out fwd", 1024, 384, 384),
  FWD ("minilm-t1024", "ffn-up fwd", 1024, 384, 1536),
  FWD ("minilm-t1024", "ffn-down fwd", 1024, 1536, 384),
  DINP ("minilm-t1024", "qkv dinp", 1024, 384, 1152),
  DW ("minilm-t1024", "qkv dw", 1024, 384, 1152),
  DINP ("minilm-t1024", "attn-out dinp", 1024, 384, 384),
  DW ("minilm-t1024", "attn-out dw", 1024, 384, 384),
  DINP ("minilm-t1024", "ffn-up dinp", 1024, 384, 1536),
  DW ("minilm-t1024", "ffn-up dw", 1024, 384, 1536),
  DINP ("minilm-t1024", "ffn-down dinp", 1024, 1536, 384),
  DW ("minilm-t1024", "ffn-down dw", 1024, 1536, 384),
  /* 32 texts x 128 tokens: T = 4096 */
  FWD ("minilm-t4096", "qkv fwd", 4096, 384, 1152),
  FWD ("minilm-t4096", "attn-out fwd", 4096, 384, 384),
  FWD ("minilm-t4096", "ffn-up fwd", 4096, 384, 1536),
  FWD ("minilm-t4096", "ffn-down fwd", 4096, 1536, 384),
  DINP ("minilm-t4096", "qkv dinp", 4096, 384, 1152),
  DW ("minilm-t4096", "qkv dw", 4096, 384, 1152),
  DINP ("minilm-t4096", "ffn-up dinp", 4096, 384, 1536),
  DW ("minilm-t4096", "ffn-up dw", 4096, 384, 1536),
  DINP ("minilm-t4096", "ffn-down dinp", 4096, 1536, 384),
  DW ("minilm-t4096", "ffn-down dw", 4096, 1536, 384),
  /* bert-base (C 768, FFN 3072), 16 texts x 128 tokens: T = 2048 */
  FWD ("bert-t2048", "qkv fwd", 2048, 768, 2304),
  FWD ("bert-t2048", "ffn-up fwd", 2048, 768, 3072),
  FWD ("bert-t2048", "ffn-down fwd", 2048, 3072, 768),
  DINP ("bert-t2048", "ffn-up dinp", 2048, 768, 3072),
  DW ("bert-t2048", "ffn-up dw", 2048, 768, 3072),
  /* attention per text and head: scores q k^T [L,L] over d, then probs v */
  { "scores L32 d32", "attention", 32, 32, 32, FALSE, TRUE, 0.0f },
  { "ctx L32 d32", "attention", 32, 32, 32, FALSE, FALSE, 0.0f },
  { "scores L128 d32", "attention", 128, 128, 32, FALSE, TRUE, 0.0f },
  { "ctx L128 d32", "attention", 128, 32, 128, FALSE, FALSE, 0.0f },
  { "scores L128 d64", "attention", 128, 128, 64, FALSE, TRUE, 0.0f },
  { "ctx L128 d64", "attention", 128, 64, 128, FALSE, FALSE, 0.0f },
  { "square 2048", "square", 2048, 2048, 2048, FALSE, FALSE, 0.0f },
};

static double
sample (const Shape *sh, const float *A, const float *B, float *C, int reps)
{
  int lda = sh->ta ? sh->M : sh->K, ldb = sh->tb ? sh->K : sh->N;
  gint64 t0 = g_get_monotonic_time ();

  for (int j = 0; j < reps; j++)
    vs_sgemm (CblasRowMajor, sh->ta ? CblasTrans : CblasNoTrans,
              sh->tb ? CblasTrans : CblasNoTrans, sh->M, sh->N, sh->K, 1.0f,
              A, lda, B, ldb, sh->beta, C, sh->N);
  return 2.0 * sh->M * sh->N * sh->K * reps / ((g_get_monotonic_time () - t0) * 1e3);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

int
main (int argc, char **argv)
{
  int threads = 0;
  double min_ms = 30.0;
  gboolean interleave = FALSE;
  VsGemmBackend own = VS_GEMM_AUTO, base;
  g_autofree char *cpu = cpu_model ();
  g_autoptr (GRand) r = g_rand_new_with_seed (1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--min-ms") == 0 && i + 1 < argc)
        min_ms = g_ascii_strtod (argv[++i], NULL);
      else if (strcmp (argv[i], "--interleave-own") == 0)
        interleave = TRUE;
      else
        {
          fprintf (stderr, "usage: %s [--threads N] [--min-ms MS] [--interleave-own]\n", argv[0]);
          return 2;
        }
    }
  vs_engine_set_threads ((guint) MAX (threads, 0));
  base = vs_gemm_get_backend ();
  if (interleave)
    {
      own = vs_gemm_backend_supported (VS_GEMM_OWN_AVX512) ? VS_GEMM_OWN_AVX512 : VS_GEMM_OWN_AVX2;
      if (!vs_gemm_backend_supported (own))
        {
          fprintf (stderr, "%s: --interleave-own: this CPU runs none of our kernels\n", argv[0]);
          return 1;
        }
    }

  g_string_append_printf (out, "{\"cpu\": \"%s\", \"openblas_core\": \"%s\", \"gemm\": \"%s\", "
                          "\"backend\": \"%s\", \"threads\": %u, \"results\": [",
                          cpu, vs_blas_core_name (), vs_gemm_describe (),
                          vs_gemm_backend_name (vs_gemm_get_backend ()), vs_engine_get_threads ());
  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      const Shape *sh = &shapes[s];
      gsize a_len = (gsize) sh->M * sh->K, b_len = (gsize) sh->K * sh->N, c_len = (gsize) sh->M * sh->N;
      g_autofree float *A = g_new (float, a_len);
      g_autofree float *B = g_new (float, b_len);
      g_autofree float *C = g_new (float, c_len);
      double samples[5], own_samples[5], ratios[5];
      int reps = 1;

      for (gsize i = 0; i < a_len; i++)
        A[i] = (float) g_rand_double_range (r, -1, 1);
      for (gsize i = 0; i < b_len; i++)
        B[i] = (float) g_rand_double_range (r, -1, 1);
      memset (C, 0, c_len * sizeof (float));

      /* warm up (packing buffers, pool threads, pages), size the sample */
      if (interleave)
        {
          vs_gemm_set_backend (own);
          sample (sh, A, B, C, 1);
          vs_gemm_set_backend (base);
        }
      for (;;)
        {
          gint64 t0 = g_get_monotonic_time ();
          sample (sh, A, B, C, reps);
          if ((g_get_monotonic_time () - t0) / 1000.0 >= min_ms || reps >= (1 << 20))
            break;
          reps *= 2;
        }
      for (int k = 0; k < 5; k++)
        {
          samples[k] = sample (sh, A, B, C, reps);
          if (interleave)
            {
              vs_gemm_set_backend (own);
              own_samples[k] = sample (sh, A, B, C, reps);
              vs_gemm_set_backend (base);
              ratios[k] = own_samples[k] / samples[k];
            }
        }
      qsort (samples, 5, sizeof (double), cmp_double);
      g_string_append_printf (out, "%s{\"group\": \"%s\", \"name\": \"%s\", \"M\": %d, \"N\": %d, "
                              "\"K\": %d, \"op\": \"%s%s\", \"beta\": %g, \"gflops\": %.3f",
                              s == 0 ? "" : ", ", sh->group, sh->name, sh->M, sh->N, sh->K,
                              sh->ta ? "T" : "N", sh->tb ? "T" : "N", sh->beta, samples[2]);
      if (interleave)
        {
          qsort (own_samples, 5, sizeof (double), cmp_double);
          qsort (ratios, 5, sizeof (double), cmp_double);
          g_string_append_printf (out, ", \"own_gflops\": %.3f, \"own_ratio\": %.4f",
                                  own_samples[2], ratios[2]);
        }
      g_string_append (out, "}");
    }
  g_string_append (out, "]}\n");
  fputs (out->str, stdout);
  return 0;
}
