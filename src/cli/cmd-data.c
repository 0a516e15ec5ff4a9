/* cmd-data.c: `inspect` (a dataset's format, columns, case, losses, rows)
 * and `mine-negatives` (hard-negative mining with a model). */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include <string.h>

#include "data/vs-dataset.h"
#include "data/vs-mine.h"
#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "vs-cli.h"
#include "vs-error.h"

/* A cell as JSON, as the engine writes it, except that unannotated Parquet
 * binary may hold any bytes: such a string prints as valid UTF-8 (invalid
 * bytes as U+FFFD, NUL as U+2400). */
static cJSON *
cell_json (const VsColumn *col,
           gsize           row)
{
  if (vs_column_get_type (col) == VS_COLUMN_STRING && !vs_column_is_null (col, row))
    {
      const char *s = vs_column_get_string (col, row);
      gsize len = vs_column_get_string_length (col, row);
      if (!g_utf8_validate_len (s, len, NULL) || memchr (s, '\0', len) != NULL)
        {
          GString *bytes = g_string_new (NULL);
          g_autofree char *valid = NULL;
          for (gsize i = 0; i < len; i++)
            if (s[i] == '\0')
              g_string_append (bytes, "\xE2\x90\x80");   /* U+2400 SYMBOL FOR NULL */
            else
              g_string_append_c (bytes, s[i]);
          valid = g_utf8_make_valid (bytes->str, (gssize) bytes->len);
          g_string_free (bytes, TRUE);
          return cJSON_CreateString (valid);
        }
    }
  return vs_column_cell_to_json (col, row);
}

/* A local path, or a Hub dataset id (its Parquet conversion, downloaded),
 * loaded. */
static VsDataset *
load_dataset (const char *spec,
              const char *split,
              GError    **error)
{
  g_autofree char *path = vs_hub_resolve_dataset (spec, error);

  if (path == NULL)
    return NULL;
  return vs_dataset_load (path, split, error);
}

static cJSON *
number_or_null (double v)
{
  return isfinite (v) ? cJSON_CreateNumber (v) : cJSON_CreateNull ();
}

int
vs_cli_inspect (int    argc,
                char **argv)
{
  g_autofree char *split = NULL;
  g_auto(GStrv) roles = NULL;
  int n_rows = 5;
  gboolean no_label = FALSE;
  GOptionEntry entries[] = {
    { "split", 's', 0, G_OPTION_ARG_STRING, &split, "Split to read (train, validation, test, …)", "S" },
    { "rows", 'n', 0, G_OPTION_ARG_INT, &n_rows, "Number of rows to print (default 5)", "N" },
    { "role", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &roles,
      "Override a column's role: anchor, positive, negative, sentence (= anchor), label or ignore (repeatable)",
      "COLUMN=ROLE" },
    { "no-label", 0, 0, G_OPTION_ARG_NONE, &no_label,
      "No label column: ignore every column detection would take as the label (a recipe's \"label\": null)", NULL },
    { NULL }
  };
  g_autoptr(GArray) overrides = g_array_new (FALSE, FALSE, sizeof (VsRoleOverride));
  g_autoptr(GOptionContext) ctx = g_option_context_new ("DATASET — describe a dataset and its training case");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = NULL;
  g_autoptr(VsCaseInfo) info = NULL;
  cJSON *root, *cols, *label, *losses, *rows;
  char *text;
  gsize total;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", "inspect", error->message);
      return 2;
    }
  if (argc != 2 || n_rows < 0)
    {
      g_printerr ("vectorsmith-cli inspect: usage: vectorsmith-cli inspect DATASET [--split S] [--rows N] "
                  "[--role COLUMN=ROLE]… [--no-label]\n");
      return 2;
    }
  for (guint i = 0; roles != NULL && roles[i] != NULL; i++)
    {
      char *eq = strrchr (roles[i], '=');
      VsRoleOverride ov = { NULL, VS_ROLE_AUTO };

      if (eq != NULL)
        {
          *eq = '\0';
          ov.column = roles[i];
          if (!vs_column_role_from_string (eq + 1, &ov.role))
            ov.role = VS_ROLE_AUTO;
        }
      if (ov.column == NULL || *ov.column == '\0' || ov.role == VS_ROLE_AUTO)
        {
          if (eq != NULL)
            *eq = '=';
          g_printerr ("vectorsmith-cli inspect: --role %s: expected "
                      "COLUMN=anchor|positive|negative|sentence|label|ignore\n", roles[i]);
          return 2;
        }
      if (no_label && ov.role == VS_ROLE_LABEL)
        {
          g_printerr ("vectorsmith-cli inspect: --role %s=label contradicts --no-label\n", ov.column);
          return 2;
        }
      g_array_append_val (overrides, ov);
    }
  ds = load_dataset (argv[1], split, &error);
  if (ds == NULL)
    return vs_cli_fail ("inspect", error);
  if (no_label)
    info = vs_dataset_detect_case_without_label (ds, (const VsRoleOverride *) overrides->data,
                                                 overrides->len, &error);
  else
    info = vs_dataset_detect_case (ds, (const VsRoleOverride *) overrides->data, overrides->len, &error);
  if (info == NULL)
    return vs_cli_fail ("inspect", error);

  total = vs_dataset_get_n_rows (ds);
  root = cJSON_CreateObject ();
  cJSON_AddStringToObject (root, "format", vs_dataset_get_format (ds));
  cJSON_AddNumberToObject (root, "num_rows", (double) total);
  cols = cJSON_AddArrayToObject (root, "columns");
  for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, c);
      cJSON *o = cJSON_CreateObject ();
      cJSON_AddStringToObject (o, "name", vs_column_get_name (col));
      cJSON_AddStringToObject (o, "type", vs_column_type_to_string (vs_column_get_type (col)));
      cJSON_AddItemToArray (cols, o);
    }
  cJSON_AddNumberToObject (root, "case", info->case_number);

  label = cJSON_AddObjectToObject (root, "label");
  if (info->label_column != NULL)
    cJSON_AddStringToObject (label, "column", info->label_column);
  else
    cJSON_AddNullToObject (label, "column");
  cJSON_AddStringToObject (label, "kind", vs_label_kind_to_string (info->label_kind));
  cJSON_AddItemToObject (label, "min", number_or_null (info->label_min));
  cJSON_AddItemToObject (label, "max", number_or_null (info->label_max));
  if (info->classes != NULL)
    cJSON_AddItemToObject (label, "classes",
                           cJSON_CreateStringArray ((const char *const *) info->classes, (int) info->n_classes));
  else
    cJSON_AddNullToObject (label, "classes");

  if (info->swap_evidence != NULL)
    {
      g_autofree char *ev = g_strdup_printf ("%s. Warning: %s", info->evidence, info->swap_evidence);
      cJSON_AddStringToObject (root, "evidence", ev);
    }
  else
    cJSON_AddStringToObject (root, "evidence", info->evidence);

  losses = cJSON_AddArrayToObject (root, "losses");
  for (guint i = 0; i < info->n_losses; i++)
    {
      cJSON *o = cJSON_CreateObject ();
      cJSON_AddStringToObject (o, "name", info->losses[i].name);
      cJSON_AddBoolToObject (o, "compatible", info->losses[i].compatible);
      cJSON_AddStringToObject (o, "reason", info->losses[i].reason);
      cJSON_AddItemToArray (losses, o);
    }

  rows = cJSON_AddArrayToObject (root, "rows");
  for (gsize r = 0; r < total && r < (gsize) n_rows; r++)
    {
      cJSON *o = cJSON_CreateObject ();
      for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
        {
          const VsColumn *col = vs_dataset_get_column (ds, c);
          cJSON_AddItemToObject (o, vs_column_get_name (col), cell_json (col, r));
        }
      cJSON_AddItemToArray (rows, o);
    }

  text = cJSON_Print (root);
  printf ("%s\n", text);
  cJSON_free (text);
  cJSON_Delete (root);
  return 0;
}

int
vs_cli_mine_negatives (int    argc,
                       char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *split = NULL;
  g_autofree char *anchor = NULL;
  g_autofree char *positive = NULL;
  g_autofree char *sampling = NULL;
  g_autofree char *format = NULL;
  g_autofree char *max_score = NULL, *min_score = NULL, *abs_margin = NULL, *rel_margin = NULL;
  int num_negatives = 3, range_min = 0, range_max = -1, batch_size = 32;
  gint64 seed = 0;
  gboolean include_scores = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the mined dataset here (JSON Lines)", "OUT.jsonl" },
    { "split", 's', 0, G_OPTION_ARG_STRING, &split, "Split of DATASET to read", "S" },
    { "anchor-column", 0, 0, G_OPTION_ARG_STRING, &anchor, "Anchor column (default: the first)", "NAME" },
    { "positive-column", 0, 0, G_OPTION_ARG_STRING, &positive, "Positive column (default: the second)", "NAME" },
    { "num-negatives", 'n', 0, G_OPTION_ARG_INT, &num_negatives, "Negatives per pair (default 3)", "N" },
    { "range-min", 0, 0, G_OPTION_ARG_INT, &range_min, "Skip the N most similar candidates (default 0)", "N" },
    { "range-max", 0, 0, G_OPTION_ARG_INT, &range_max, "Consider the N most similar candidates (default: automatic)", "N" },
    { "max-score", 0, 0, G_OPTION_ARG_STRING, &max_score, "Drop candidates scoring above this", "X" },
    { "min-score", 0, 0, G_OPTION_ARG_STRING, &min_score, "Drop candidates scoring below this", "X" },
    { "absolute-margin", 0, 0, G_OPTION_ARG_STRING, &abs_margin, "Drop candidates within X of the positive's score", "X" },
    { "relative-margin", 0, 0, G_OPTION_ARG_STRING, &rel_margin, "Drop candidates above (1 - X) times the positive's score", "X" },
    { "sampling", 0, 0, G_OPTION_ARG_STRING, &sampling, "top (default) or random", "S" },
    { "output-format", 0, 0, G_OPTION_ARG_STRING, &format, "triplet (default) or n-tuple", "F" },
    { "include-scores", 0, 0, G_OPTION_ARG_NONE, &include_scores, "Add the similarity scores as columns", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed for --sampling random (default 0)", "S" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, "Encoding batch size (default 32)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL DATASET -o OUT.jsonl — add hard negatives to (anchor, positive) pairs");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = NULL;
  g_autoptr(VsDataset) mined = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autofree char *model_path = NULL;
  VsMineOptions opts;
  struct { const char *text; double *dst; const char *flag; } numbers[] = {
    { max_score, &opts.max_score, "--max-score" }, { min_score, &opts.min_score, "--min-score" },
    { abs_margin, &opts.absolute_margin, "--absolute-margin" }, { rel_margin, &opts.relative_margin, "--relative-margin" },
  };
  cJSON *summary;
  char *text;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli mine-negatives: %s\n", error->message);
      return 2;
    }
  vs_mine_options_init (&opts);
  numbers[0].text = max_score;
  numbers[1].text = min_score;
  numbers[2].text = abs_margin;
  numbers[3].text = rel_margin;
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (numbers[i].text != NULL)
      {
        char *end = NULL;
        *numbers[i].dst = g_ascii_strtod (numbers[i].text, &end);
        if (end == numbers[i].text || *end != '\0' || !isfinite (*numbers[i].dst))
          {
            g_printerr ("vectorsmith-cli mine-negatives: %s: not a number: %s\n", numbers[i].flag, numbers[i].text);
            return 2;
          }
      }
  if (argc != 3 || output == NULL || num_negatives < 1 || range_min < 0 || batch_size < 1 ||
      (sampling != NULL && strcmp (sampling, "top") != 0 && strcmp (sampling, "random") != 0) ||
      (format != NULL && strcmp (format, "triplet") != 0 && strcmp (format, "n-tuple") != 0))
    {
      g_printerr ("vectorsmith-cli mine-negatives: usage: vectorsmith-cli mine-negatives MODEL DATASET -o OUT.jsonl "
                  "[--num-negatives N] [--range-min N] [--range-max N] [--max-score X] [--min-score X] "
                  "[--absolute-margin X] [--relative-margin X] [--sampling top|random] "
                  "[--output-format triplet|n-tuple] [--include-scores] [--seed S] [--split S]\n");
      return 2;
    }
  opts.anchor_column = anchor;
  opts.positive_column = positive;
  opts.num_negatives = (guint) num_negatives;
  opts.range_min = (guint) range_min;
  opts.range_max = range_max;
  opts.sample_random = sampling != NULL && strcmp (sampling, "random") == 0;
  opts.n_tuple = format != NULL && strcmp (format, "n-tuple") == 0;
  opts.include_scores = include_scores;
  opts.seed = (guint64) seed;
  opts.batch_size = (gsize) batch_size;

  ds = load_dataset (argv[2], split, &error);
  if (ds == NULL)
    return vs_cli_fail ("mine-negatives", error);
  model_path = vs_hub_resolve_model (argv[1], &error);
  if (model_path == NULL)
    return vs_cli_fail ("mine-negatives", error);
  model = vs_model_load (model_path, &error);
  if (model == NULL)
    return vs_cli_fail ("mine-negatives", error);
  mined = vs_mine_hard_negatives (ds, model, &opts, &error);
  if (mined == NULL)
    return vs_cli_fail ("mine-negatives", error);
  if (!vs_dataset_save_jsonl (mined, output, &error))
    return vs_cli_fail ("mine-negatives", error);

  summary = cJSON_CreateObject ();
  cJSON_AddStringToObject (summary, "output", output);
  cJSON_AddNumberToObject (summary, "input_rows", (double) vs_dataset_get_n_rows (ds));
  cJSON_AddNumberToObject (summary, "rows", (double) vs_dataset_get_n_rows (mined));
  cJSON_AddNumberToObject (summary, "columns", vs_dataset_get_n_columns (mined));
  text = cJSON_PrintUnformatted (summary);
  printf ("%s\n", text);
  cJSON_free (text);
  cJSON_Delete (summary);
  return 0;
}
