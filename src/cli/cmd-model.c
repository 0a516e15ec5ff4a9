/* cmd-model.c: `new-model` and `encode`.
 *
 *   vectorsmith-cli new-model --architecture bert --preset tiny --tokenizer DIR [--pooling MODE]
 *                             [--dense OUT[:ACT][:nobias]]... [--dense-activation tanh]
 *                             [--normalize] [--seed S] OUT_DIR
 *
 * --dense may be repeated: each adds a Dense module after the previous one
 * (in_features = the width before it), e.g. --dense 256:tanh --dense 64:identity:nobias.
 * ACT defaults to --dense-activation (itself tanh). --normalize adds the
 * Normalize module where it stands among the --dense flags (last when it
 * comes after them all): --dense 256 --normalize --dense 64 runs Dense,
 * Normalize, Dense, as sentence-transformers would.
 *   vectorsmith-cli encode MODEL [--batch-size N] [--max-length N] [--normalize] [--threads N]
 *                          [--precision float32|int8|uint8|binary|ubinary] [--calibration FILE] < texts
 *
 * encode reads one text per stdin line and prints one JSON array of floats
 * (%.9g) per line, in input order; with a --precision other than float32,
 * one JSON array of integers (sentence-transformers' quantize_embeddings:
 * int8/uint8 ranges from the texts of --calibration FILE, one a line, else
 * from all the input's embeddings).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "model/vs-quantize.h"
#include "vs-cli.h"
#include "vs-engine.h"
#include "vs-error.h"

/* --dense and --normalize in the order given (a NULL entry: Normalize). */
static gboolean
on_stack_option (const char  *name,
                 const char  *value,
                 gpointer     data,
                 GError     **error)
{
  GPtrArray *order = data;

  (void) error;
  g_ptr_array_add (order, strcmp (name, "--normalize") == 0 ? NULL : g_strdup (value));
  return TRUE;
}

static int
usage (GOptionContext *ctx, const char *name, const char *message)
{
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

  g_printerr ("vectorsmith-cli %s: %s\n\n%s", name, message, help);
  return 2;
}

int
vs_cli_new_model (int argc, char **argv)
{
  g_autofree char *arch = NULL, *preset = NULL, *tokenizer = NULL, *pooling = NULL, *dense_act = NULL;
  g_autofree char *tokenizer_dir = NULL;
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) denses = g_array_new (FALSE, TRUE, sizeof (VsDenseSpec));
  g_autoptr(GPtrArray) dense_parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gboolean normalize = FALSE, normalize_seen = FALSE;
  gint64 seed = 42;
  GOptionEntry entries[] = {
    { "architecture", 0, 0, G_OPTION_ARG_STRING, &arch, "bert, roberta, xlm-roberta, distilbert or mpnet", "A" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset, "tiny, small, mini or base", "P" },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &tokenizer, "Folder with the tokenizer files", "DIR" },
    { "pooling", 0, 0, G_OPTION_ARG_STRING, &pooling,
      "mean (default), cls, max, mean_sqrt_len_tokens, weightedmean or lasttoken", "MODE" },
    { "dense", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) on_stack_option,
      "Add a Dense module with OUT outputs, activation ACT, without bias if :nobias (repeatable)",
      "OUT[:ACT][:nobias]" },
    { "dense-activation", 0, 0, G_OPTION_ARG_STRING, &dense_act,
      "Dense activation: tanh (default), identity, relu, gelu, sigmoid", "F" },
    { "normalize", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) on_stack_option,
      "Add a Normalize module (here among the --dense flags; last after them all)", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the initialisation (default 42)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("OUT_DIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  cJSON *summary;
  g_autofree char *text = NULL;
  gsize n_params;

  g_option_context_set_summary (ctx, "Create a randomly initialised sentence-transformers model folder.");
  {
    GOptionGroup *group = g_option_group_new ("new-model", "", "", order, NULL);

    g_option_group_add_entries (group, entries);
    g_option_context_set_main_group (ctx, group);
  }
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage (ctx, argv[0], error->message);
  if (argc != 2)
    return usage (ctx, argv[0], "expected one OUT_DIR");
  if (arch == NULL || preset == NULL || tokenizer == NULL)
    return usage (ctx, argv[0], "--architecture, --preset and --tokenizer are required");
  for (guint i = 0; i < order->len; i++)
    {
      const char *spec = g_ptr_array_index (order, i);
      char **parts;
      VsDenseSpec d = { 0, dense_act, TRUE, normalize };
      guint64 out = 0;
      g_autofree char *why = NULL;

      if (spec == NULL)
        {
          if (normalize_seen)
            return usage (ctx, argv[0], "--normalize: a stack takes one Normalize module");
          normalize = normalize_seen = TRUE;   /* before the next --dense, or last */
          continue;
        }
      normalize = FALSE;
      parts = g_strsplit (spec, ":", -1);
      g_ptr_array_add (dense_parts, parts);
      if (!g_ascii_string_to_unsigned (parts[0], 10, 1, 1000000, &out, NULL))
        why = g_strdup_printf ("--dense %s: OUT must be an integer between 1 and 1000000", spec);
      for (guint k = 1; why == NULL && parts[k] != NULL; k++)
        {
          if (strcmp (parts[k], "nobias") == 0)
            d.bias = FALSE;
          else if (strcmp (parts[k], "bias") == 0)
            d.bias = TRUE;
          else if (k == 1)
            d.activation = parts[k];
          else
            why = g_strdup_printf ("--dense %s: expected OUT[:ACT][:nobias]", spec);
        }
      if (why != NULL)
        return usage (ctx, argv[0], why);
      d.out_features = (gsize) out;
      g_array_append_val (denses, d);
    }

  /* The tokenizer may come from a Hub model (its tokenizer files are pulled). */
  tokenizer_dir = vs_hub_resolve_model (tokenizer, &error);
  if (tokenizer_dir == NULL)
    return vs_cli_fail (argv[0], error);
  model = vs_model_new_from_stack (arch, preset, tokenizer_dir, pooling,
                                   (const VsDenseSpec *) (gpointer) denses->data, denses->len,
                                   normalize, (guint64) seed, &error);
  if (model == NULL || !vs_model_save (model, argv[1], &error))
    return vs_cli_fail (argv[0], error);

  vs_model_get_params (model, &n_params);
  summary = cJSON_CreateObject ();
  cJSON_AddStringToObject (summary, "path", argv[1]);
  cJSON_AddStringToObject (summary, "architecture", vs_model_get_model_type (model));
  cJSON_AddStringToObject (summary, "preset", preset);
  cJSON_AddNumberToObject (summary, "dimension", (double) vs_model_get_dimension (model));
  cJSON_AddNumberToObject (summary, "max_seq_length", (double) vs_model_get_max_seq_length (model));
  cJSON_AddNumberToObject (summary, "parameters", (double) n_params);
  text = cJSON_PrintUnformatted (summary);
  g_print ("%s\n", text);
  cJSON_Delete (summary);
  return 0;
}

static gboolean
print_rows (const float *emb, gsize n, gsize D, gsize first_line, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (gsize i = 0; i < n; i++)
    {
      g_string_truncate (s, 0);
      g_string_append_c (s, '[');
      for (gsize k = 0; k < D; k++)
        {
          float v = emb[i * D + k];
          if (!isfinite (v))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC, "line %" G_GSIZE_FORMAT ": the embedding is not finite",
                           first_line + i + 1);
              return FALSE;
            }
          g_string_append_printf (s, k ? ",%.9g" : "%.9g", (double) v);
        }
      g_string_append (s, "]\n");
      fwrite (s->str, 1, s->len, stdout);
    }
  return TRUE;
}

static gboolean
print_quantized_rows (const float *emb, gsize n, gsize D, VsPrecision precision,
                      const float *ranges, gsize first_line, GError **error)
{
  gsize row_bytes = vs_precision_row_bytes (precision, D);
  g_autofree guint8 *q = NULL;
  g_autoptr(GString) s = g_string_new (NULL);

  for (gsize i = 0; i < n * D; i++)
    if (!isfinite (emb[i]))
      {
        g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC, "line %" G_GSIZE_FORMAT ": the embedding is not finite",
                     first_line + i / D + 1);
        return FALSE;
      }
  q = g_malloc (MAX (n * row_bytes, 1));
  if (!vs_quantize_embeddings (emb, n, D, precision, ranges, q, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      g_string_truncate (s, 0);
      g_string_append_c (s, '[');
      for (gsize k = 0; k < row_bytes; k++)
        {
          guint8 b = q[i * row_bytes + k];
          g_string_append_printf (s, k ? ",%d" : "%d", vs_precision_is_signed (precision) ? (int) (gint8) b : (int) b);
        }
      g_string_append (s, "]\n");
      fwrite (s->str, 1, s->len, stdout);
    }
  return TRUE;
}

/* The int8/uint8 ranges over the embeddings of the texts of path (one a
 * line, blank lines skipped), encoded as the input is. */
gboolean
vs_cli_calibration_ranges (VsModel *model, const char *prompt, const char *path, gsize batch_size,
                           gboolean normalize, float *ranges, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autofree float *emb = NULL;
  gsize D = vs_model_get_dimension (model);

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);
      if (lines[i][0] != '\0')
        g_ptr_array_add (texts, lines[i]);
    }
  if (texts->len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the calibration file has no texts", path);
      return FALSE;
    }
  emb = g_new (float, texts->len * D);
  if (!vs_model_encode_with_prompt (model, prompt, (const char *const *) texts->pdata, texts->len,
                                    batch_size, normalize, emb, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  vs_quantize_ranges (emb, texts->len, D, ranges);
  return TRUE;
}

int
vs_cli_encode (int argc, char **argv)
{
  gint64 batch_size = 32, max_length = 0, threads = 0;
  gboolean normalize = FALSE;
  g_autofree char *prompt_opt = NULL, *prompt_name = NULL, *precision_name = NULL, *calibration = NULL;
  const char *prompt = NULL;
  VsPrecision precision = VS_PRECISION_FLOAT32;
  g_autofree float *ranges = NULL;
  /* int8/uint8 without calibration: the ranges come from every embedding of
   * the input, so they are all kept and printed at the end */
  g_autoptr(GArray) all = NULL;
  GOptionEntry entries[] = {
    { "batch-size", 0, 0, G_OPTION_ARG_INT64, &batch_size, "Texts per forward pass (default 32)", "N" },
    { "prompt", 0, 0, G_OPTION_ARG_STRING, &prompt_opt, "Prepend this prompt to every text", "TEXT" },
    { "prompt-name", 0, 0, G_OPTION_ARG_STRING, &prompt_name,
      "Prepend the model's prompt of this name (config_sentence_transformers.json)", "NAME" },
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_length, "Token limit per text (default: the model's)", "N" },
    { "normalize", 0, 0, G_OPTION_ARG_NONE, &normalize, "L2-normalise the embeddings", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "Threads (default: one per core)", "N" },
    { "precision", 0, 0, G_OPTION_ARG_STRING, &precision_name,
      "float32 (default), int8, uint8, binary or ubinary (sentence-transformers' quantize_embeddings)", "P" },
    { "calibration", 0, 0, G_OPTION_ARG_FILENAME, &calibration,
      "int8/uint8 ranges from the embeddings of this file's texts, one a line (default: from the input's)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL < texts");
  g_autofree char *model_dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_free);
  g_autofree float *emb = NULL;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  gsize D, done = 0;

  g_option_context_set_summary (ctx, "Embed one text per stdin line; print one JSON array per line.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return usage (ctx, argv[0], error->message);
  if (argc != 2)
    return usage (ctx, argv[0], "expected one MODEL (folder or Hub id)");
  if (batch_size < 1 || batch_size > 1000000 || max_length < 0 || threads < 0 || threads > 4096)
    return usage (ctx, argv[0], "--batch-size, --max-length and --threads must be positive");
  if (precision_name != NULL && !vs_precision_from_string (precision_name, &precision, &error))
    return usage (ctx, argv[0], error->message);
  if (calibration != NULL && !vs_precision_needs_ranges (precision))
    return usage (ctx, argv[0], "--calibration goes with --precision int8 or uint8");

  vs_engine_set_threads ((guint) threads);
  /* MODEL may be a Hub id: pulled into the shared cache first. */
  model_dir = vs_hub_resolve_model (argv[1], &error);
  if (model_dir == NULL)
    return vs_cli_fail (argv[0], error);
  model = vs_model_load (model_dir, &error);
  if (model == NULL)
    return vs_cli_fail (argv[0], error);
  if (max_length > 0)
    vs_model_set_max_seq_length (model, (gsize) max_length);
  /* sentence-transformers' encode(): an explicit prompt wins, else the named
   * prompt, else the default prompt; prompt tokens are left out of pooling
   * when the model's Pooling has include_prompt false */
  if (prompt_opt != NULL)
    {
      prompt = prompt_opt;
      if (prompt_name != NULL)
        g_printerr ("vectorsmith-cli %s: both --prompt and --prompt-name given; using --prompt\n", argv[0]);
    }
  else if (prompt_name != NULL)
    {
      prompt = vs_model_get_prompt (model, prompt_name);
      if (prompt == NULL)
        {
          g_set_error (&error, VS_ERROR, VS_ERROR_INVALID,
                       "prompt name \"%s\" is not among the model's prompts (config_sentence_transformers.json)",
                       prompt_name);
          return vs_cli_fail (argv[0], error);
        }
    }
  else if (vs_model_get_default_prompt_name (model) != NULL)
    prompt = vs_model_get_prompt (model, vs_model_get_default_prompt_name (model));
  D = vs_model_get_dimension (model);
  emb = g_new (float, (gsize) batch_size * D);
  if ((precision == VS_PRECISION_BINARY || precision == VS_PRECISION_UBINARY) && D % 8 != 0)
    {
      g_set_error (&error, VS_ERROR, VS_ERROR_INVALID,
                   "%s precision needs an embedding dimension that is a multiple of 8; this model's is %" G_GSIZE_FORMAT,
                   precision_name, D);
      return vs_cli_fail (argv[0], error);
    }
  if (vs_precision_needs_ranges (precision))
    {
      ranges = g_new (float, 2 * D);
      if (calibration != NULL)
        {
          if (!vs_cli_calibration_ranges (model, prompt, calibration, (gsize) batch_size, normalize, ranges, &error))
            return vs_cli_fail (argv[0], error);
        }
      else
        all = g_array_new (FALSE, FALSE, sizeof (float));
    }

  for (;;)
    {
      len = getline (&line, &cap, stdin);
      if (len >= 0)
        {
          while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
          g_ptr_array_add (batch, g_strndup (line, (gsize) len));
        }
      if (batch->len > 0 && (len < 0 || batch->len == (guint) batch_size))
        {
          gboolean ok = vs_model_encode_with_prompt (model, prompt, (const char *const *) batch->pdata, batch->len,
                                                     (gsize) batch_size, normalize, emb, &error);

          if (ok && all != NULL)
            g_array_append_vals (all, emb, batch->len * D);
          else if (ok && precision != VS_PRECISION_FLOAT32)
            ok = print_quantized_rows (emb, batch->len, D, precision, ranges, done, &error);
          else if (ok)
            ok = print_rows (emb, batch->len, D, done, &error);
          if (!ok)
            {
              free (line);
              g_prefix_error (&error, "lines %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT ": ", done + 1, done + batch->len);
              return vs_cli_fail (argv[0], error);
            }
          done += batch->len;
          g_ptr_array_set_size (batch, 0);
        }
      if (len < 0)
        break;
    }
  free (line);
  if (all != NULL && done > 0)
    {
      vs_quantize_ranges ((const float *) (gpointer) all->data, done, D, ranges);
      if (!print_quantized_rows ((const float *) (gpointer) all->data, done, D, precision, ranges, 0, &error))
        return vs_cli_fail (argv[0], error);
    }
  if (fflush (stdout) != 0)
    {
      g_set_error (&error, VS_ERROR, VS_ERROR_IO, "cannot write the output");
      return vs_cli_fail (argv[0], error);
    }
  return 0;
}
