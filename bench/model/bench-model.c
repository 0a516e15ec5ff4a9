/* bench-model.c: sentences per second of the encoder, C side of run.sh.
 *
 *   bench-model MODEL_DIR [--batch 64] [--tokens 128] [--iters 3] [--threads N]
 *
 * Prints one JSON line: inference (vs_model_encode_tokens) and a training
 * step (forward + backward of sum(emb), dropout off) in sentences/s, over
 * the same token ids as model_bench.py.
 */
#include "config.h"

#include <stdio.h>

#include "model/vs-model.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

int
main (int argc, char **argv)
{
  gint64 batch = 64, tokens = 128, iters = 3, threads = 0;
  gboolean suggest = FALSE;
  GOptionEntry entries[] = {
    { "batch", 0, 0, G_OPTION_ARG_INT64, &batch, "texts per batch", "N" },
    { "tokens", 0, 0, G_OPTION_ARG_INT64, &tokens, "tokens per text", "N" },
    { "iters", 0, 0, G_OPTION_ARG_INT64, &iters, "timed repetitions", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "threads (0: cores)", "N" },
    { "suggest-coretype", 0, 0, G_OPTION_ARG_NONE, &suggest, "print the OPENBLAS_CORETYPE to use, if any", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL_DIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = NULL;
  g_autofree guint32 **ids = NULL;
  g_autofree gsize *lengths = NULL;
  g_autofree float *out = NULL, *dout = NULL;
  gsize D, vocab;
  gint64 t0;
  double infer, train;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (g_option_context_parse (ctx, &argc, &argv, NULL) && suggest)
    {
      const char *c = vs_blas_suggest_coretype ();
      if (c != NULL)
        printf ("%s\n", c);
      return 0;
    }
  if (argc != 2 || batch < 1 || tokens < 1 || iters < 1)
    {
      g_printerr ("usage: bench-model MODEL_DIR [--batch N] [--tokens N] [--iters N] [--threads N]\n");
      return 2;
    }
  vs_engine_set_threads ((guint) threads);
  m = vs_model_load (argv[1], &error);
  if (m == NULL)
    {
      g_printerr ("bench-model: %s\n", error->message);
      return 1;
    }
  vs_model_set_dropout (m, 0.0f);
  D = vs_model_get_dimension (m);
  vocab = vs_model_get_tensor_info (m, 0)->shape[0];
  ids = g_new0 (guint32 *, batch);
  lengths = g_new (gsize, batch);
  for (gint64 i = 0; i < batch; i++)
    {
      ids[i] = g_new (guint32, tokens);
      lengths[i] = (gsize) tokens;
      for (gint64 t = 0; t < tokens; t++)
        ids[i][t] = (guint32) ((i * 7919 + t) % (gint64) (vocab - 1000) + 1000);
    }
  out = g_new (float, batch * D);
  dout = g_new (float, batch * D);
  for (gint64 i = 0; i < batch * (gint64) D; i++)
    dout[i] = 1.0f;

  if (!vs_model_encode_tokens (m, (const guint32 *const *) ids, NULL, lengths, batch, FALSE, out, &error))
    {
      g_printerr ("bench-model: %s\n", error->message);
      return 1;
    }
  t0 = g_get_monotonic_time ();
  for (gint64 k = 0; k < iters; k++)
    vs_model_encode_tokens (m, (const guint32 *const *) ids, NULL, lengths, batch, FALSE, out, NULL);
  infer = (double) (batch * iters) / ((g_get_monotonic_time () - t0) / 1e6);

  t0 = g_get_monotonic_time ();
  for (gint64 k = 0; k < iters; k++)
    {
      VsForward *fw;
      vs_model_zero_grad (m);
      fw = vs_model_forward_tokens (m, (const guint32 *const *) ids, NULL, lengths, batch, TRUE, out, NULL);
      vs_model_backward (m, fw, dout);
      vs_forward_free (fw);
    }
  train = (double) (batch * iters) / ((g_get_monotonic_time () - t0) / 1e6);

  printf ("{\"engine\": \"vectorsmith %s\", \"blas_core\": \"%s\", \"threads\": %u, "
          "\"inference_sentences_per_s\": %.3f, \"train_sentences_per_s\": %.3f}\n",
          vs_engine_get_version (), vs_blas_core_name (), vs_engine_get_threads (), infer, train);
  if (vs_blas_suggest_coretype () != NULL)
    g_printerr ("bench-model: OpenBLAS runs its generic %s kernels; OPENBLAS_CORETYPE=%s would be faster\n",
                vs_blas_core_name (), vs_blas_suggest_coretype ());
  for (gint64 i = 0; i < batch; i++)
    g_free (ids[i]);
  return 0;
}
