/* cmd-data.c: `inspect` (a dataset's format, columns, case, losses, rows)
 * and `mine-negatives` (hard-negative mining with a model). */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "data/vs-dataset.h"
#include "vs-cli.h"
#include "vs-error.h"

static cJSON *
cell_json (const VsColumn *col,
           gsize           row)
{
  if (vs_column_is_null (col, row))
    return cJSON_CreateNull ();
  switch (vs_column_get_type (col))
    {
    case VS_COLUMN_STRING:
      return cJSON_CreateString (vs_column_get_string (col, row));
    case VS_COLUMN_FLOAT64:
      {
        double v = vs_column_get_double (col, row);
        return isfinite (v) ? cJSON_CreateNumber (v) : cJSON_CreateNull ();
      }
    case VS_COLUMN_INT64:
      return cJSON_CreateNumber ((double) vs_column_get_int64 (col, row));
    case VS_COLUMN_BOOL:
      return cJSON_CreateBool (vs_column_get_bool (col, row));
    case VS_COLUMN_STRING_LIST:
      {
        cJSON *arr = cJSON_CreateArray ();
        guint n = vs_column_get_list_length (col, row);
        for (guint i = 0; i < n; i++)
          {
            const char *s = vs_column_get_list_item (col, row, i);
            cJSON_AddItemToArray (arr, s != NULL ? cJSON_CreateString (s) : cJSON_CreateNull ());
          }
        return arr;
      }
    default:
      return cJSON_CreateNull ();
    }
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
  int n_rows = 5;
  GOptionEntry entries[] = {
    { "split", 's', 0, G_OPTION_ARG_STRING, &split, "Split to read (train, validation, test, …)", "S" },
    { "rows", 'n', 0, G_OPTION_ARG_INT, &n_rows, "Number of rows to print (default 5)", "N" },
    { NULL }
  };
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
      g_printerr ("vectorsmith-cli inspect: usage: vectorsmith-cli inspect DATASET [--split S] [--rows N]\n");
      return 2;
    }
  ds = vs_dataset_load (argv[1], split, &error);
  if (ds == NULL)
    return vs_cli_fail ("inspect", error);
  info = vs_dataset_detect_case (ds, NULL, 0, &error);
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
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}
