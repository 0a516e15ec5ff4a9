/* vs-dataset.c: datasets (columns, transforms), loading files/folders/splits. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <cjson/cJSON.h>
#include <gio/gio.h>

#include "data/vs-data-private.h"
#include "vs-error.h"
#include "fault/vs-fault.h"

VsDataset *
vs_dataset_new (void)
{
  VsDataset *ds = g_new0 (VsDataset, 1);

  ds->columns = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_column_free);
  ds->format = g_strdup ("memory");
  return ds;
}

void
vs_dataset_free (VsDataset *ds)
{
  if (ds == NULL)
    return;
  g_ptr_array_unref (ds->columns);
  g_free (ds->format);
  g_free (ds);
}

void
vs_dataset_set_format (VsDataset  *ds,
                       const char *format)
{
  g_free (ds->format);
  ds->format = g_strdup (format);
}

const char *
vs_dataset_get_format (const VsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, NULL);
  return ds->format;
}

gsize
vs_dataset_get_n_rows (const VsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  if (ds->columns->len == 0)
    return 0;
  return ((const VsColumn *) ds->columns->pdata[0])->length;
}

guint
vs_dataset_get_n_columns (const VsDataset *ds)
{
  g_return_val_if_fail (ds != NULL, 0);
  return ds->columns->len;
}

const VsColumn *
vs_dataset_get_column (const VsDataset *ds,
                       guint            index)
{
  g_return_val_if_fail (ds != NULL, NULL);
  if (index >= ds->columns->len)
    return NULL;
  return ds->columns->pdata[index];
}

VsColumn *
vs_dataset_get_column_mut (VsDataset *ds,
                           guint      index)
{
  g_return_val_if_fail (ds != NULL, NULL);
  if (index >= ds->columns->len)
    return NULL;
  return ds->columns->pdata[index];
}

int
vs_dataset_find_column (const VsDataset *ds,
                        const char      *name)
{
  g_return_val_if_fail (ds != NULL && name != NULL, -1);
  for (guint i = 0; i < ds->columns->len; i++)
    if (strcmp (((const VsColumn *) ds->columns->pdata[i])->name, name) == 0)
      return (int) i;
  return -1;
}

const VsColumn *
vs_dataset_get_column_by_name (const VsDataset *ds,
                               const char      *name)
{
  int i = vs_dataset_find_column (ds, name);

  return i < 0 ? NULL : ds->columns->pdata[i];
}

void
vs_dataset_take_column (VsDataset *ds,
                        VsColumn  *col)
{
  g_ptr_array_add (ds->columns, col);
}

VsColumn *
vs_dataset_add_column (VsDataset   *ds,
                       const char  *name,
                       VsColumnType type,
                       GError     **error)
{
  VsColumn *col;

  g_return_val_if_fail (ds != NULL && name != NULL, NULL);
  if (vs_dataset_find_column (ds, name) >= 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "column “%s” already exists", name);
      return NULL;
    }
  col = vs_column_new (name, type);
  g_ptr_array_add (ds->columns, col);
  return col;
}

gboolean
vs_dataset_seal (VsDataset *ds,
                 GError   **error)
{
  gsize n = vs_dataset_get_n_rows (ds);

  for (guint i = 0; i < ds->columns->len; i++)
    {
      const VsColumn *col = ds->columns->pdata[i];
      if (col->length != n)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "column “%s” has %" G_GSIZE_FORMAT " rows, column “%s” has %" G_GSIZE_FORMAT,
                       col->name, col->length,
                       ((const VsColumn *) ds->columns->pdata[0])->name, n);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
vs_dataset_rename_column (VsDataset  *ds,
                          const char *old_name,
                          const char *new_name,
                          GError    **error)
{
  int i = vs_dataset_find_column (ds, old_name);
  VsColumn *col;

  if (i < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "no column “%s”", old_name);
      return FALSE;
    }
  if (strcmp (old_name, new_name) != 0 && vs_dataset_find_column (ds, new_name) >= 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "column “%s” already exists", new_name);
      return FALSE;
    }
  col = ds->columns->pdata[i];
  g_free (col->name);
  col->name = g_strdup (new_name);
  return TRUE;
}

VsDataset *
vs_dataset_take (const VsDataset *ds,
                 const gsize     *rows,
                 gsize            n)
{
  VsDataset *out = vs_dataset_new ();
  gsize n_rows = vs_dataset_get_n_rows (ds);

  vs_dataset_set_format (out, ds->format);
  for (guint c = 0; c < ds->columns->len; c++)
    {
      const VsColumn *src = ds->columns->pdata[c];
      VsColumn *dst = vs_column_new (src->name, src->type);

      for (gsize i = 0; i < n; i++)
        {
          g_return_val_if_fail (rows[i] < n_rows, out);
          vs_column_append_from (dst, src, rows[i]);
        }
      g_ptr_array_add (out->columns, dst);
    }
  return out;
}

VsDataset *
vs_dataset_slice (const VsDataset *ds,
                  gsize            start,
                  gsize            n)
{
  gsize n_rows = vs_dataset_get_n_rows (ds);
  g_autofree gsize *rows = NULL;

  if (start > n_rows)
    start = n_rows;
  if (n > n_rows - start)
    n = n_rows - start;
  rows = g_new (gsize, n + 1);
  for (gsize i = 0; i < n; i++)
    rows[i] = start + i;
  return vs_dataset_take (ds, rows, n);
}

VsDataset *
vs_dataset_select_columns (const VsDataset   *ds,
                           const char *const *names,
                           guint              n_names,
                           GError           **error)
{
  g_autoptr(VsDataset) out = vs_dataset_new ();
  gsize n_rows = vs_dataset_get_n_rows (ds);

  vs_dataset_set_format (out, ds->format);
  for (guint i = 0; i < n_names; i++)
    {
      const VsColumn *src = vs_dataset_get_column_by_name (ds, names[i]);
      VsColumn *dst;

      if (src == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "no column “%s”", names[i]);
          return NULL;
        }
      if (vs_dataset_find_column (out, names[i]) >= 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "column “%s” selected twice", names[i]);
          return NULL;
        }
      dst = vs_column_new (src->name, src->type);
      for (gsize r = 0; r < n_rows; r++)
        vs_column_append_from (dst, src, r);
      g_ptr_array_add (out->columns, dst);
    }
  return g_steal_pointer (&out);
}

VsDataset *
vs_dataset_shuffle (const VsDataset *ds,
                    guint64          seed)
{
  gsize n = vs_dataset_get_n_rows (ds);
  g_autofree gsize *perm = vs_permutation (n, seed);

  return vs_dataset_take (ds, perm, n);
}

VsDataset *
vs_dataset_dedup (const VsDataset   *ds,
                  const char *const *columns,
                  guint              n_columns)
{
  gsize n = vs_dataset_get_n_rows (ds);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) keep = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GPtrArray) cols = g_ptr_array_new ();

  if (columns == NULL)
    for (guint c = 0; c < ds->columns->len; c++)
      g_ptr_array_add (cols, ds->columns->pdata[c]);
  else
    for (guint c = 0; c < n_columns; c++)
      {
        const VsColumn *col = vs_dataset_get_column_by_name (ds, columns[c]);
        if (col != NULL)
          g_ptr_array_add (cols, (gpointer) col);
      }

  for (gsize r = 0; r < n; r++)
    {
      GString *key = g_string_new (NULL);

      for (guint c = 0; c < cols->len; c++)
        {
          g_autofree char *cell = vs_column_format_cell (cols->pdata[c], r);
          /* Unit separator between cells; a null cell differs from "None". */
          g_string_append_c (key, vs_column_is_null (cols->pdata[c], r) ? '\x1e' : '\x1f');
          g_string_append (key, cell);
        }
      if (g_hash_table_add (seen, g_string_free (key, FALSE)))
        g_array_append_val (keep, r);
    }
  return vs_dataset_take (ds, (const gsize *) keep->data, keep->len);
}

gboolean
vs_dataset_train_eval_split (const VsDataset *ds,
                             double           eval_ratio,
                             guint64          seed,
                             VsDataset      **train,
                             VsDataset      **eval,
                             GError         **error)
{
  gsize n = vs_dataset_get_n_rows (ds);
  gsize n_eval;
  g_autofree gsize *perm = NULL;

  if (!(eval_ratio > 0.0 && eval_ratio < 1.0))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "eval ratio %g is not between 0 and 1", eval_ratio);
      return FALSE;
    }
  n_eval = (gsize) llround (eval_ratio * (double) n);
  if (n_eval == 0 && n >= 2)
    n_eval = 1;
  if (n_eval == n && n >= 2)
    n_eval = n - 1;
  if (n_eval == 0 || n_eval >= n)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "cannot split %" G_GSIZE_FORMAT " rows with eval ratio %g", n, eval_ratio);
      return FALSE;
    }
  perm = vs_permutation (n, seed);
  *eval = vs_dataset_take (ds, perm, n_eval);
  *train = vs_dataset_take (ds, perm + n_eval, n - n_eval);
  return TRUE;
}

/* ---- JSON Lines output ---- */

cJSON *
vs_column_cell_to_json (const VsColumn *col,
                        gsize           row)
{
  if (vs_column_is_null (col, row))
    return cJSON_CreateNull ();
  switch (col->type)
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

gboolean
vs_dataset_save_jsonl (const VsDataset *ds,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize n = vs_dataset_get_n_rows (ds);

  for (gsize r = 0; r < n; r++)
    {
      cJSON *obj = cJSON_CreateObject ();
      char *text;

      for (guint c = 0; c < ds->columns->len; c++)
        {
          const VsColumn *col = ds->columns->pdata[c];
          cJSON_AddItemToObject (obj, col->name, vs_column_cell_to_json (col, r));
        }
      text = cJSON_PrintUnformatted (obj);
      g_string_append (out, text);
      g_string_append_c (out, '\n');
      cJSON_free (text);
      cJSON_Delete (obj);
    }
  return vs_file_set_contents (path, out->str, (gssize) out->len, 0644, error);
}

/* ---- loading ---- */

typedef enum
{
  FMT_NONE,
  FMT_CSV,
  FMT_TSV,
  FMT_JSON,
  FMT_JSONL,
  FMT_PARQUET,
} FileFormat;

static FileFormat
format_of (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  gsize len = strlen (lower);

  if (len > 3 && g_str_has_suffix (lower, ".gz"))
    lower[len - 3] = '\0';
  if (g_str_has_suffix (lower, ".csv"))
    return FMT_CSV;
  if (g_str_has_suffix (lower, ".tsv") || g_str_has_suffix (lower, ".tab"))
    return FMT_TSV;
  if (g_str_has_suffix (lower, ".jsonl") || g_str_has_suffix (lower, ".ndjson"))
    return FMT_JSONL;
  if (g_str_has_suffix (lower, ".json"))
    return FMT_JSON;
  if (g_str_has_suffix (lower, ".parquet"))
    return FMT_PARQUET;
  return FMT_NONE;
}

static const char *
format_name (FileFormat f)
{
  switch (f)
    {
    case FMT_CSV: return "csv";
    case FMT_TSV: return "tsv";
    case FMT_JSON: return "json";
    case FMT_JSONL: return "jsonl";
    case FMT_PARQUET: return "parquet";
    case FMT_NONE:
    default: return "unknown";
    }
}

gboolean
vs_read_watch_tick (const VsReadWatch *watch,
                    const char        *path,
                    guint64            file_done,
                    GError           **error)
{
  const VsLoadMonitor *monitor = watch != NULL ? watch->monitor : NULL;
  guint64 done;

  if (monitor == NULL)
    return TRUE;
  if (monitor->cancel != NULL && g_atomic_int_get (monitor->cancel))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED, "%s: loading was cancelled", path);
      return FALSE;
    }
  /* A hostile Parquet footer may claim any offset: never past the total.
   * A pipe has no size (total 0): then the bytes read so far. */
  done = watch->done_before + file_done;
  if (watch->total > 0)
    done = MIN (done, watch->total);
  if (monitor->progress != NULL)
    monitor->progress (done, watch->total, monitor->user_data);
  return TRUE;
}

/* Bytes on disk of a file (0 when it cannot be read: the reader says why). */
static guint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size > 0 ? (guint64) st.st_size : 0;
}

static gboolean
load_file (const char        *path,
           gsize              max_rows,
           const VsReadWatch *watch,
           VsDataset         *ds,
           GError           **error)
{
  FileFormat f = format_of (path);
  gboolean ok;

  switch (f)
    {
    case FMT_CSV:
    case FMT_TSV:
      ok = vs_read_csv (path, f == FMT_TSV, max_rows, watch, ds, error);
      break;
    case FMT_JSON:
    case FMT_JSONL:
      ok = vs_read_json (path, max_rows, watch, ds, error);
      break;
    case FMT_PARQUET:
      if (g_str_has_suffix (path, ".gz") || g_str_has_suffix (path, ".GZ"))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                       "%s: gzip-compressed Parquet is not supported (Parquet compresses its pages itself; "
                       "gunzip the file)", path);
          return FALSE;
        }
      ok = vs_read_parquet (path, max_rows, watch, ds, error);
      break;
    case FMT_NONE:
    default:
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: unknown file type (expected .csv, .tsv, .jsonl, .json or .parquet, optionally .gz)",
                   path);
      return FALSE;
    }
  if (ok)
    vs_dataset_set_format (ds, format_name (f));
  /* The end of the file, so a small file still reports once. */
  if (ok && !vs_read_watch_tick (watch, path, file_size (path), error))
    ok = FALSE;
  return ok;
}

/* The split a data file belongs to, from its name or its folder's name
 * (as Hugging Face `datasets` infers it): train, validation (dev, valid,
 * val), test; NULL when the name says nothing. */
static char *
split_of_name (const char *relpath)
{
  static const struct { const char *word; const char *split; } words[] = {
    { "train", "train" }, { "training", "train" },
    { "validation", "validation" }, { "valid", "validation" }, { "val", "validation" },
    { "dev", "validation" }, { "eval", "validation" },
    { "test", "test" }, { "testing", "test" },
  };
  g_autofree char *lower = g_ascii_strdown (relpath, -1);
  g_auto(GStrv) parts = NULL;

  /* Split into words at every non-alphanumeric character; the first word
   * that names a split decides (data/train-00000-of-00001.parquet,
   * sts-dev.csv, validation/0000.parquet). */
  for (char *p = lower; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      *p = ' ';
  parts = g_strsplit (lower, " ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    for (guint w = 0; w < G_N_ELEMENTS (words); w++)
      if (strcmp (parts[i], words[w].word) == 0)
        return g_strdup (words[w].split);
  return NULL;
}

static void
collect_files (const char *root,
               const char *rel,
               GPtrArray  *out,
               guint       depth)
{
  g_autofree char *dir_path = rel[0] ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL || depth > 4)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel[0] ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);

      if (name[0] == '.')
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_files (root, child_rel, out, depth + 1);
      else if (format_of (name) != FMT_NONE)
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
split_rank (const char *s)
{
  if (strcmp (s, "train") == 0) return 0;
  if (strcmp (s, "validation") == 0) return 1;
  if (strcmp (s, "test") == 0) return 2;
  return 3;
}

static int
compare_splits (gconstpointer a,
                gconstpointer b)
{
  const char *sa = *(const char *const *) a;
  const char *sb = *(const char *const *) b;
  const char *la = strrchr (sa, '/');
  const char *lb = strrchr (sb, '/');
  gsize ca = la != NULL ? (gsize) (la - sa) : 0;
  gsize cb = lb != NULL ? (gsize) (lb - sb) : 0;
  int r;

  /* "config/split": by config name, then train, validation, test, others. */
  if (ca != cb || (ca > 0 && strncmp (sa, sb, ca) != 0))
    {
      r = strncmp (sa, sb, MIN (ca, cb));
      return r != 0 ? r : (int) ca - (int) cb;
    }
  la = la != NULL ? la + 1 : sa;
  lb = lb != NULL ? lb + 1 : sb;
  r = split_rank (la) - split_rank (lb);
  return r != 0 ? r : strcmp (la, lb);
}

/* The subset ("config") a file belongs to: its first folder, when that is
 * not "data" and does not itself name a split (all-nli: pair/, triplet/). */
static char *
config_of_name (const char *relpath)
{
  const char *slash = strchr (relpath, '/');
  g_autofree char *first = NULL;
  g_autofree char *as_split = NULL;

  if (slash == NULL)
    return NULL;
  first = g_strndup (relpath, slash - relpath);
  as_split = split_of_name (first);
  if (as_split != NULL || strcmp (first, "data") == 0)
    return NULL;
  return g_steal_pointer (&first);
}

/* Files of a folder grouped by split: split name -> GPtrArray of relpaths,
 * sorted. Files with no split word belong to "train" (as in `datasets`). */
static GHashTable *
folder_splits (const char *root,
               GError    **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GHashTable *splits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);

  gboolean any_named = FALSE;
  g_autoptr(GHashTable) configs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean use_configs;

  collect_files (root, "", files, 0);
  g_ptr_array_sort (files, compare_strings);
  /* Several subsets side by side (pair/, triplet/ ...): splits are named
   * "subset/split". */
  for (guint i = 0; i < files->len; i++)
    {
      char *config = config_of_name (files->pdata[i]);
      if (config != NULL)
        g_hash_table_add (configs, config);
    }
  use_configs = g_hash_table_size (configs) >= 2;
  /* As Hugging Face `datasets` does: when some files name their split,
   * files that name none are not data (categories.json beside test.csv);
   * otherwise every file is "train". Metadata files never are. */
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *split = split_of_name (files->pdata[i]);
      any_named = any_named || split != NULL;
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *rel = files->pdata[i];
      g_autofree char *split = split_of_name (rel);
      g_autofree char *base = g_path_get_basename (rel);
      GPtrArray *list;

      if (g_str_has_prefix (base, "dataset_info") || strcmp (base, "dataset_dict.json") == 0 ||
          strcmp (base, "state.json") == 0 || strcmp (base, "dataset_infos.json") == 0)
        continue;
      if (split == NULL && any_named)
        continue;
      if (split == NULL)
        split = g_strdup ("train");
      if (use_configs)
        {
          g_autofree char *config = config_of_name (rel);
          if (config != NULL)
            {
              char *full = g_strconcat (config, "/", split, NULL);
              g_free (split);
              split = full;
            }
        }
      list = g_hash_table_lookup (splits, split);
      if (list == NULL)
        {
          list = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (splits, g_strdup (split), list);
        }
      g_ptr_array_add (list, g_strdup (rel));
    }
  if (g_hash_table_size (splits) == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                   "%s: no data files (.csv, .tsv, .jsonl, .json, .parquet) in this folder", root);
      g_hash_table_unref (splits);
      return NULL;
    }
  return splits;
}

char **
vs_dataset_list_splits (const char *path,
                        GError    **error)
{
  g_autoptr(GHashTable) splits = NULL;
  g_autoptr(GPtrArray) names = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: no such file or folder", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      char *one[] = { (char *) "train", NULL };
      return g_strdupv (one);
    }
  splits = folder_splits (path, error);
  if (splits == NULL)
    return NULL;
  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, splits);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_sort (names, compare_splits);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* Append the rows of `part` to `ds` (columns matched by name; a column missing
 * on one side is filled with nulls; types unified as the JSON reader does). */
static gboolean
append_dataset (VsDataset  *ds,
                VsDataset  *part,
                const char *part_path,
                GError    **error)
{
  gsize n_old = vs_dataset_get_n_rows (ds);
  gsize n_new = vs_dataset_get_n_rows (part);

  if (ds->columns->len == 0)
    {
      g_ptr_array_extend_and_steal (ds->columns, g_steal_pointer (&part->columns));
      part->columns = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_column_free);
      return TRUE;
    }
  for (guint c = 0; c < part->columns->len; c++)
    {
      VsColumn *src = part->columns->pdata[c];
      int i = vs_dataset_find_column (ds, src->name);
      VsColumn *dst;

      if (i < 0)
        {
          dst = vs_column_new (src->name, src->type);
          for (gsize r = 0; r < n_old; r++)
            vs_column_append_null (dst);
          g_ptr_array_add (ds->columns, dst);
        }
      else
        dst = ds->columns->pdata[i];
      if (dst->type != src->type)
        {
          gboolean numeric = (dst->type == VS_COLUMN_INT64 || dst->type == VS_COLUMN_FLOAT64) &&
                             (src->type == VS_COLUMN_INT64 || src->type == VS_COLUMN_FLOAT64);
          VsColumnType to = numeric ? VS_COLUMN_FLOAT64 : VS_COLUMN_STRING;
          if (dst->type == VS_COLUMN_STRING_LIST || src->type == VS_COLUMN_STRING_LIST)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "%s: column “%s” is %s here but %s in the split's earlier files",
                           part_path, src->name, vs_column_type_to_string (src->type),
                           vs_column_type_to_string (dst->type));
              return FALSE;
            }
          vs_column_convert (dst, to);
          vs_column_convert (src, to);
        }
      for (gsize r = 0; r < n_new; r++)
        vs_column_append_from (dst, src, r);
    }
  for (guint c = 0; c < ds->columns->len; c++)
    {
      VsColumn *dst = ds->columns->pdata[c];
      while (dst->length < n_old + n_new)
        vs_column_append_null (dst);
    }
  return TRUE;
}

VsDataset *
vs_dataset_load_monitored (const char          *path,
                           const char          *split,
                           gsize                max_rows,
                           const VsLoadMonitor *monitor,
                           GError             **error)
{
  g_autoptr(VsDataset) ds = vs_dataset_new ();
  VsReadWatch watch = { monitor, 0, 0 };
  g_autoptr(GHashTable) splits = NULL;
  GPtrArray *files;
  const char *chosen = split;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: no such file or folder", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (split != NULL && strcmp (split, "train") != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "%s: a single file has only the split “train”, not “%s”", path, split);
          return NULL;
        }
      watch.total = file_size (path);
      if (!load_file (path, max_rows, &watch, ds, error))
        return NULL;
      return g_steal_pointer (&ds);
    }

  splits = folder_splits (path, error);
  if (splits == NULL)
    return NULL;
  if (chosen == NULL)
    {
      if (g_hash_table_contains (splits, "train"))
        chosen = "train";
      else if (g_hash_table_size (splits) == 1)
        {
          GHashTableIter iter;
          gpointer key;
          g_hash_table_iter_init (&iter, splits);
          g_hash_table_iter_next (&iter, &key, NULL);
          chosen = key;
        }
    }
  files = chosen != NULL ? g_hash_table_lookup (splits, chosen) : NULL;
  if (files == NULL && chosen != NULL && strchr (chosen, '/') == NULL)
    {
      /* A subset name alone: its "train" split, or its only split. */
      g_autofree char *train = g_strconcat (chosen, "/train", NULL);
      g_autofree char *prefix = g_strconcat (chosen, "/", NULL);
      GHashTableIter iter;
      gpointer key, value;
      guint matches = 0;

      files = g_hash_table_lookup (splits, train);
      g_hash_table_iter_init (&iter, splits);
      while (files == NULL && g_hash_table_iter_next (&iter, &key, &value))
        if (g_str_has_prefix (key, prefix))
          {
            matches++;
            if (matches == 1)
              files = value;
          }
      if (matches > 1)
        files = NULL;
    }
  if (files == NULL)
    {
      g_auto(GStrv) names = vs_dataset_list_splits (path, NULL);
      g_autofree char *list = names != NULL ? g_strjoinv (", ", names) : g_strdup ("");
      if (chosen == NULL)
        g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                     "%s: several splits and no “train”; choose one of: %s", path, list);
      else
        g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                     "%s: no split “%s” (splits: %s)", path, chosen, list);
      return NULL;
    }
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *file = g_build_filename (path, files->pdata[i], NULL);
      watch.total += file_size (file);
    }
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *file = g_build_filename (path, files->pdata[i], NULL);
      g_autoptr(VsDataset) part = vs_dataset_new ();
      gsize have = vs_dataset_get_n_rows (ds);

      if (max_rows > 0 && have >= max_rows)
        break;
      if (!load_file (file, max_rows > 0 ? max_rows - have : 0, &watch, part, error))
        return NULL;
      watch.done_before += file_size (file);
      vs_dataset_set_format (ds, part->format);
      if (!append_dataset (ds, part, file, error))
        return NULL;
    }
  return g_steal_pointer (&ds);
}

VsDataset *
vs_dataset_load_limit (const char *path,
                       const char *split,
                       gsize       max_rows,
                       GError    **error)
{
  return vs_dataset_load_monitored (path, split, max_rows, NULL, error);
}

VsDataset *
vs_dataset_load (const char *path,
                 const char *split,
                 GError    **error)
{
  return vs_dataset_load_limit (path, split, 0, error);
}
