/* cmd-onnx.c: `export-onnx` — the whole model as one ONNX graph.
 *
 *   vectorsmith-cli export-onnx MODEL_DIR OUT.onnx [--opset N] [--max-length N]
 *
 * Writes Transformer + Pooling (+ Dense, Normalize) with inputs input_ids,
 * attention_mask (and token_type_ids for BERT-style models) and outputs
 * sentence_embedding and token_embeddings (see vs-onnx.h). OUT.onnx is
 * written atomically: on any error no file (and no partial file) is left.
 */
#include "config.h"

#include "export/vs-onnx.h"
#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "vs-cli.h"
#include "vs-error.h"

int
vs_cli_export_onnx (int argc, char **argv)
{
  gint64 opset = 14, max_length = 0;
  GOptionEntry entries[] = {
    { "opset", 0, 0, G_OPTION_ARG_INT64, &opset,
      "ONNX opset, 14 to 17 (17 uses LayerNormalization; default 14)", "N" },
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_length,
      "Longest sequence the graph accepts (default: the model's max_seq_length)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL_DIR OUT.onnx  - export the model as ONNX");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autofree char *model_dir = NULL;
  VsOnnxOptions opts = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 3)
    {
      g_printerr ("vectorsmith-cli %s: expected MODEL_DIR and OUT.onnx\n", argv[0]);
      return 2;
    }
  if (opset < 14 || opset > 17)
    {
      g_printerr ("vectorsmith-cli %s: --opset must be between 14 and 17\n", argv[0]);
      return 2;
    }
  if (max_length < 0 || max_length > 1000000)
    {
      g_printerr ("vectorsmith-cli %s: --max-length must be between 0 (the model's max_seq_length) and 1000000\n", argv[0]);
      return 2;
    }
  model_dir = vs_hub_resolve_model (argv[1], &error);
  if (model_dir == NULL)
    return vs_cli_fail (argv[0], error);
  model = vs_model_load (model_dir, &error);
  if (model == NULL)
    return vs_cli_fail (argv[0], error);
  opts.opset = (int) opset;
  opts.max_length = (gsize) max_length;
  if (!vs_onnx_export (model, model_dir, argv[2], &opts, &error))
    return vs_cli_fail (argv[0], error);
  return 0;
}
