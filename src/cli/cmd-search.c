/* cmd-search.c: `similarity` and `search` — what a model finds similar.
 *
 *   vectorsmith-cli similarity MODEL [--normalize] [--batch-size N] < texts
 *   vectorsmith-cli search MODEL --corpus FILE [--column C] [--split S] [--top-k K] < queries
 *
 * similarity reads one text per stdin line and prints the n × n cosine
 * matrix (sentence-transformers' util.cos_sim), one JSON array per row.
 * search embeds the distinct texts of a corpus column (default: every text
 * column) once and prints, per query line, one JSON object
 * {"query", "hits": [{"corpus_id", "row", "text", "score"}, …]} with the
 * top-k hits of util.semantic_search (ties: lower corpus_id first).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/vs-dataset.h"
#include "eval/vs-search.h"
#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "vs-cli.h"
#include "vs-engine.h"
#include "vs-error.h"

static int
usage (GOptionContext *ctx,
       const char     *name,
       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

  g_printerr ("vectorsmith-cli %s: %s\n\n%s", name, message, help);
  return 2;
}

/* Every stdin line (without its line end). */
static GPtrArray *
read_lines (void)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;

  while ((len = getline (&line, &cap, stdin)) >= 0)
    {
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
      g_ptr_array_add (lines, g_strndup (line, (gsize) len));
    }
  free (line);
  return lines;
}

static VsModel *
load_model (const char *name,
            GError    **error)
{
  g_autofree char *dir = vs_hub_resolve_model (name, error);

  return dir != NULL ? vs_model_load (dir, error) : NULL;
}

static float *
encode_all (VsModel    *model,
            GPtrArray  *texts,
            gsize       batch_size,
            gboolean    normalize,
            GError    **error)
{
  g_autofree float *emb = g_new (float, MAX (texts->len, 1) * vs_model_get_dimension (model));

  if (!vs_model_encode (model, (const char *const *) texts->pdata, texts->len, batch_size,
                        normalize, emb, error))
    return NULL;
  return g_steal_pointer (&emb);
}

static gboolean
flush_stdout (GError **error)
{
  if (fflush (stdout) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "cannot write the output");
      return FALSE;
    }
  return TRUE;
}

int
vs_cli_similarity (int    argc,
                   char **argv)
{
  gint64 batch_size = 32, threads = 0;
  gboolean normalize = FALSE;
  GOptionEntry entries[] = {
    { "normalize", 0, 0, G_OPTION_ARG_NONE, &normalize, "L2-normalise the embeddings first", NULL },
    { "batch-size", 0, 0, G_OPTION_ARG_INT64, &batch_size, "Texts per forward pass (default 32)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "Threads (default: one per core)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL < texts");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree float *emb = NULL;
  g_autofree float *sims = NULL;
  gsize n, D;

  g_option_context_set_summary (ctx, "The cosine similarity matrix of the texts on stdin, one JSON array per row.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage (ctx, argv[0], error->message);
  if (argc != 2)
    return usage (ctx, argv[0], "expected one MODEL (folder or Hub id)");
  if (batch_size < 1 || batch_size > 1000000 || threads < 0 || threads > 4096)
    return usage (ctx, argv[0], "--batch-size and --threads must be positive");

  vs_engine_set_threads ((guint) threads);
  texts = read_lines ();
  if (texts->len == 0)
    {
      g_set_error_literal (&error, VS_ERROR, VS_ERROR_INVALID, "stdin: no texts (one per line)");
      return vs_cli_fail (argv[0], error);
    }
  model = load_model (argv[1], &error);
  if (model == NULL)
    return vs_cli_fail (argv[0], error);
  emb = encode_all (model, texts, (gsize) batch_size, normalize, &error);
  if (emb == NULL)
    return vs_cli_fail (argv[0], error);

  n = texts->len;
  D = vs_model_get_dimension (model);
  sims = g_new (float, n * n);
  vs_cosine_matrix (emb, n, emb, n, D, sims);
  for (gsize i = 0; i < n; i++)
    {
      g_string_truncate (s, 0);
      g_string_append_c (s, '[');
      for (gsize j = 0; j < n; j++)
        g_string_append_printf (s, j ? ",%.9g" : "%.9g", (double) sims[i * n + j]);
      g_string_append (s, "]\n");
      fwrite (s->str, 1, s->len, stdout);
    }
  if (!flush_stdout (&error))
    return vs_cli_fail (argv[0], error);
  return 0;
}

int
vs_cli_search (int    argc,
               char **argv)
{
  gint64 batch_size = 32, threads = 0, top_k = 10;
  g_autofree char *corpus_path = NULL, *column = NULL, *split = NULL;
  GOptionEntry entries[] = {
    { "corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus_path, "Dataset file or folder to search (required)", "FILE" },
    { "column", 0, 0, G_OPTION_ARG_STRING, &column, "Text column of the corpus (default: every text column)", "C" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Split of a dataset folder", "S" },
    { "top-k", 0, 0, G_OPTION_ARG_INT64, &top_k, "Hits per query (default 10)", "K" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT64, &batch_size, "Texts per forward pass (default 32)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "Threads (default: one per core)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL --corpus FILE < queries");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autoptr(VsDataset) ds = NULL;
  g_autoptr(GPtrArray) corpus = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GPtrArray) queries = NULL;
  g_autofree float *corpus_emb = NULL;
  g_autofree float *unit = NULL;
  g_autofree float *query_emb = NULL;
  g_autofree VsSearchHit *hits = NULL;
  gsize D, k = 0;

  g_option_context_set_summary (ctx, "Semantic search: the nearest corpus texts of each query on stdin, as JSON lines.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage (ctx, argv[0], error->message);
  if (argc != 2)
    return usage (ctx, argv[0], "expected one MODEL (folder or Hub id)");
  if (corpus_path == NULL)
    return usage (ctx, argv[0], "--corpus FILE is required");
  if (top_k < 1 || top_k > 1000000)
    return usage (ctx, argv[0], "--top-k must be between 1 and 1000000");
  if (batch_size < 1 || batch_size > 1000000 || threads < 0 || threads > 4096)
    return usage (ctx, argv[0], "--batch-size and --threads must be positive");

  vs_engine_set_threads ((guint) threads);
  ds = vs_dataset_load (corpus_path, split, &error);
  if (ds == NULL)
    {
      if (strstr (error->message, corpus_path) == NULL)
        g_prefix_error (&error, "%s: ", corpus_path);
      return vs_cli_fail (argv[0], error);
    }
  corpus = vs_search_corpus_texts (ds, column, &rows, &error);
  if (corpus == NULL)
    {
      g_prefix_error (&error, "%s: ", corpus_path);
      return vs_cli_fail (argv[0], error);
    }
  queries = read_lines ();
  if (queries->len == 0)
    {
      g_set_error_literal (&error, VS_ERROR, VS_ERROR_INVALID, "stdin: no queries (one per line)");
      return vs_cli_fail (argv[0], error);
    }
  model = load_model (argv[1], &error);
  if (model == NULL)
    return vs_cli_fail (argv[0], error);
  D = vs_model_get_dimension (model);
  corpus_emb = encode_all (model, corpus, (gsize) batch_size, FALSE, &error);
  if (corpus_emb == NULL)
    {
      g_prefix_error (&error, "%s: ", corpus_path);
      return vs_cli_fail (argv[0], error);
    }
  unit = vs_normalize_rows (corpus_emb, corpus->len, D);
  query_emb = encode_all (model, queries, (gsize) batch_size, FALSE, &error);
  if (query_emb == NULL)
    {
      g_prefix_error (&error, "stdin: ");
      return vs_cli_fail (argv[0], error);
    }
  hits = vs_semantic_search (query_emb, queries->len, unit, corpus->len, D, (gsize) top_k, TRUE, &k);

  for (guint q = 0; q < queries->len; q++)
    {
      cJSON *obj = cJSON_CreateObject ();
      cJSON *arr;
      g_autofree char *text = NULL;

      cJSON_AddStringToObject (obj, "query", queries->pdata[q]);
      arr = cJSON_AddArrayToObject (obj, "hits");
      for (gsize i = 0; i < k; i++)
        {
          const VsSearchHit *h = &hits[q * k + i];
          cJSON *hit = cJSON_CreateObject ();

          cJSON_AddNumberToObject (hit, "corpus_id", (double) h->corpus_id);
          cJSON_AddNumberToObject (hit, "row", (double) g_array_index (rows, gsize, h->corpus_id));
          cJSON_AddStringToObject (hit, "text", corpus->pdata[h->corpus_id]);
          cJSON_AddNumberToObject (hit, "score", (double) h->score);
          cJSON_AddItemToArray (arr, hit);
        }
      text = cJSON_PrintUnformatted (obj);
      cJSON_Delete (obj);
      g_print ("%s\n", text);
    }
  if (!flush_stdout (&error))
    return vs_cli_fail (argv[0], error);
  return 0;
}
