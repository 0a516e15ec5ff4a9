/* cmd-evaluate.c: `evaluate` — run a sentence-transformers evaluator on a
 * model and a dataset and print one JSON object of metrics.
 *
 *   vectorsmith-cli evaluate MODEL --evaluator similarity --data stsb/ \
 *       --split test --columns sentence1,sentence2 --label score --dims 128,64
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "data/vs-dataset.h"
#include "eval/vs-evaluator.h"
#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "vs-cli.h"
#include "vs-engine.h"
#include "vs-error.h"

typedef struct
{
  VsModel *model;
  gsize    batch_size;
} EncodeCtx;

static gboolean
encode_with_model (const char *const  *texts,
                   gsize               n,
                   VsEvalTextRole      role,
                   float              *out,
                   gpointer            user_data,
                   GError            **error)
{
  EncodeCtx *ctx = user_data;
  const char *prompt = vs_model_get_prompt_for_role (ctx->model, vs_eval_text_role_name (role));

  return vs_model_encode_with_prompt (ctx->model, prompt, texts, n, ctx->batch_size, FALSE, out, error);
}

static int
usage (GOptionContext *context,
       const char     *command,
       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
  g_printerr ("vectorsmith-cli %s: %s\n\n%s", command, message, help);
  return 2;
}

int
vs_cli_evaluate (int    argc,
                 char **argv)
{
  g_autofree char *evaluator = NULL;
  g_autofree char *data = NULL;
  g_autofree char *split = NULL;
  g_autofree char *columns = NULL;
  g_autofree char *label = NULL;
  g_autofree char *dims = NULL;
  g_autofree char *fns = NULL;
  g_autofree char *prefix = NULL;
  int batch_size = 32;
  int limit = 0;
  int threads = 0;
  gboolean renormalize = FALSE;
  const char *command = argv[0];
  GOptionEntry entries[] = {
    { "evaluator", 'e', 0, G_OPTION_ARG_STRING, &evaluator,
      "similarity, triplet, binary or retrieval", "NAME" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "Dataset file or folder", "DATASET" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Split of a dataset folder (default: train)", "S" },
    { "columns", 'c', 0, G_OPTION_ARG_STRING, &columns,
      "Text columns in order, comma-separated (default: the string columns)", "a,b[,c]" },
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label,
      "Label column (default: label or score)", "COL" },
    { "dims", 0, 0, G_OPTION_ARG_STRING, &dims,
      "Matryoshka dimensions to evaluate at, comma-separated", "768,256,64" },
    { "similarity-fn", 0, 0, G_OPTION_ARG_STRING, &fns,
      "cosine,dot,euclidean,manhattan or all (default: all; retrieval: cosine)", "FNS" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &prefix, "Prefix of every metric key", "NAME" },
    { "renormalize", 0, 0, G_OPTION_ARG_NONE, &renormalize,
      "L2-normalise embeddings after truncating to --dims (sentence-transformers does not)", NULL },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, "Texts per forward pass (default 32)", "N" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Use only the first N rows", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("MODEL");
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context,
    "Run a sentence-transformers evaluator on MODEL and DATASET; print one JSON object of metrics.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage (context, command, error->message);
  if (argc != 2)
    return usage (context, command, "expected exactly one MODEL");
  if (evaluator == NULL)
    return usage (context, command, "--evaluator is required");
  if (data == NULL)
    return usage (context, command, "--data is required");
  if (batch_size < 1 || limit < 0 || threads < 0)
    return usage (context, command, "--batch-size must be >= 1, --limit and --threads >= 0");

  /* the evaluator's config, as a recipe would give it */
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  cJSON *cfg = cJSON_CreateObject ();
  cJSON_AddStringToObject (cfg, "name", evaluator);
  if (columns != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (columns, ",", -1);
      cJSON *arr = cJSON_AddArrayToObject (cfg, "columns");
      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_strstrip (parts[i]);
          if (parts[i][0] == '\0')
            {
              cJSON_Delete (cfg);
              return usage (context, command, "--columns: empty column name");
            }
          cJSON_AddItemToArray (arr, cJSON_CreateString (parts[i]));
        }
    }
  if (label != NULL)
    cJSON_AddStringToObject (cfg, "label", label);
  if (dims != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (dims, ",", -1);
      cJSON *arr = cJSON_AddArrayToObject (cfg, "dims");
      for (guint i = 0; parts[i] != NULL; i++)
        {
          char *end = NULL;
          g_strstrip (parts[i]);
          gint64 d = g_ascii_strtoll (parts[i], &end, 10);
          if (parts[i][0] == '\0' || end == NULL || *end != '\0' || d < 1 || d > 10000000)
            {
              g_autofree char *msg = g_strdup_printf ("--dims: '%s' is not a positive integer", parts[i]);
              cJSON_Delete (cfg);
              return usage (context, command, msg);
            }
          cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) d));
        }
    }
  if (fns != NULL)
    cJSON_AddStringToObject (cfg, "similarity_fn_names", fns);
  if (prefix != NULL)
    cJSON_AddStringToObject (cfg, "prefix", prefix);
  if (renormalize)
    cJSON_AddBoolToObject (cfg, "renormalize", TRUE);

  g_autoptr(VsEvaluator) ev = vs_evaluator_new (cfg, &error);
  cJSON_Delete (cfg);
  if (ev == NULL)
    return usage (context, command, error->message);

  if (threads > 0)
    vs_engine_set_threads ((guint) threads);

  /* DATASET and MODEL may be Hub ids: pulled into the shared cache first. */
  g_autofree char *data_dir = vs_hub_resolve_dataset (data, &error);
  if (data_dir == NULL)
    return vs_cli_fail (command, error);
  g_autoptr(VsDataset) ds = vs_dataset_load_limit (data_dir, split, (gsize) limit, &error);
  if (ds == NULL)
    return vs_cli_fail (command, error);
  g_autofree char *model_dir = vs_hub_resolve_model (argv[1], &error);
  if (model_dir == NULL)
    return vs_cli_fail (command, error);
  g_autoptr(VsModel) model = vs_model_load (model_dir, &error);
  if (model == NULL)
    return vs_cli_fail (command, error);

  EncodeCtx ctx = { model, (gsize) batch_size };
  cJSON *metrics = vs_evaluator_evaluate (ev, ds, vs_model_get_dimension (model),
                                          encode_with_model, &ctx, NULL, &error);
  if (metrics == NULL)
    return vs_cli_fail (command, error);

  char *text = cJSON_Print (metrics);
  printf ("%s\n", text);
  cJSON_free (text);
  cJSON_Delete (metrics);
  return 0;
}
