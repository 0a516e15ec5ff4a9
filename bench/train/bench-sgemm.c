/* bench-sgemm.c: the SGEMM ceiling of this machine for bench/run.sh: the
 * best of a few single big cblas_sgemm calls (N x N x N, row-major, no
 * transposes) in GFLOP/s, with the OpenBLAS core and thread count in use.
 *
 *   bench-sgemm [--n 1536] [--reps 3] [--threads N]
 */
#include "config.h"

#include <cblas.h>
#include <stdio.h>

#include "tensor/vs-kernels.h"
#include "vs-engine.h"

int
main (int argc, char **argv)
{
  gint64 n = 1536, reps = 3, threads = 0;
  GOptionEntry entries[] = {
    { "n", 0, 0, G_OPTION_ARG_INT64, &n, "matrix size", "N" },
    { "reps", 0, 0, G_OPTION_ARG_INT64, &reps, "timed calls (the best counts)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "threads (0: cores)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("");
  g_autofree float *a = NULL, *b = NULL, *c = NULL;
  double best = 0.0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, NULL) || n < 16 || n > 16384 || reps < 1 || threads < 0)
    {
      g_printerr ("usage: bench-sgemm [--n N] [--reps N] [--threads N]\n");
      return 2;
    }
  vs_engine_set_threads ((guint) threads);
  a = g_new (float, n * n);
  b = g_new (float, n * n);
  c = g_new0 (float, n * n);
  for (gint64 i = 0; i < n * n; i++)
    {
      a[i] = (float) ((i * 7) % 13) / 13.0f - 0.5f;
      b[i] = (float) ((i * 5) % 11) / 11.0f - 0.5f;
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  for (gint64 r = 0; r < reps; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double s;

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      best = MAX (best, 2.0 * (double) n * (double) n * (double) n / s / 1e9);
    }
  printf ("{\"sgemm_gflops\": %.3f, \"n\": %" G_GINT64_FORMAT ", \"blas_core\": \"%s\", \"threads\": %u}\n",
          best, n, vs_blas_core_name (), vs_engine_get_threads ());
  return 0;
}
