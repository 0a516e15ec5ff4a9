/* bench-encode.c: sentences per second of vs_model_encode (what
 * `vectorsmith-cli encode` calls), the C side of bench/run.sh's encode cases.
 *
 *   bench-encode MODEL_DIR TEXTS_FILE [--batch-size 64] [--max-length N] [--iters 2] [--threads N]
 *
 * TEXTS_FILE holds one text per line. One untimed pass (its time is
 * "first_pass_s"), then iters timed passes; prints one JSON line.
 */
#include "config.h"

#include <stdio.h>

#include "model/vs-model.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

int
main (int argc, char **argv)
{
  gint64 batch_size = 64, max_length = 0, iters = 2, threads = 0;
  GOptionEntry entries[] = {
    { "batch-size", 0, 0, G_OPTION_ARG_INT64, &batch_size, "texts per batch", "N" },
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_length, "max_seq_length (0: the model's)", "N" },
    { "iters", 0, 0, G_OPTION_ARG_INT64, &iters, "timed passes", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "threads (0: cores)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL_DIR TEXTS_FILE");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autofree float *out = NULL;
  gint64 t0;
  double first, sps;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 3 || batch_size < 1 || iters < 1
      || max_length < 0 || threads < 0)
    {
      g_printerr ("usage: bench-encode MODEL_DIR TEXTS_FILE [--batch-size N] [--max-length N] "
                  "[--iters N] [--threads N]\n");
      return 2;
    }
  if (!g_file_get_contents (argv[2], &contents, NULL, &error))
    {
      g_printerr ("bench-encode: %s\n", error->message);
      return 1;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      g_ptr_array_add (texts, lines[i]);
  if (texts->len == 0)
    {
      g_printerr ("bench-encode: %s: no texts\n", argv[2]);
      return 1;
    }
  vs_engine_set_threads ((guint) threads);
  m = vs_model_load (argv[1], &error);
  if (m == NULL)
    {
      g_printerr ("bench-encode: %s\n", error->message);
      return 1;
    }
  if (max_length > 0)
    vs_model_set_max_seq_length (m, (gsize) max_length);
  out = g_new (float, (gsize) texts->len * vs_model_get_dimension (m));

  t0 = g_get_monotonic_time ();
  if (!vs_model_encode (m, (const char *const *) texts->pdata, texts->len, (gsize) batch_size, FALSE, out, &error))
    {
      g_printerr ("bench-encode: %s\n", error->message);
      return 1;
    }
  first = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  t0 = g_get_monotonic_time ();
  for (gint64 k = 0; k < iters; k++)
    if (!vs_model_encode (m, (const char *const *) texts->pdata, texts->len, (gsize) batch_size, FALSE, out, &error))
      {
        g_printerr ("bench-encode: %s\n", error->message);
        return 1;
      }
  sps = (double) texts->len * (double) iters / ((double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  printf ("{\"sentences_per_s\": %.4f, \"first_pass_s\": %.4f, \"blas_core\": \"%s\", \"threads\": %u}\n",
          sps, first, vs_blas_core_name (), vs_engine_get_threads ());
  return 0;
}
