/* test-common.c: helpers shared by the data area's tests. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "test-common.h"
#include "vs-error.h"

char *
test_shared_path (const char *rel)
{
  const char *root = g_getenv ("VS_SHARED_DATA");

  if (root == NULL)
    root = "../shared/data";
  return g_build_filename (root, rel, NULL);
}


static char *temp_dir;

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
    }
  g_remove (path);
}

static void
remove_temp_dir (void)
{
  if (temp_dir != NULL)
    remove_tree (temp_dir);
}

char *
test_write_temp (const char *name,
                 const char *contents,
                 gssize      len)
{
  g_autoptr(GError) error = NULL;
  char *path;
  g_autofree char *dir = NULL;

  if (temp_dir == NULL)
    {
      temp_dir = g_dir_make_tmp ("vs-data-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (remove_temp_dir);
    }
  path = g_build_filename (temp_dir, name, NULL);
  dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  if (!g_file_set_contents (path, contents, len, &error))
    g_error ("%s", error->message);
  return path;
}

static char *
expected_text (const cJSON *v)
{
  /* A list element or scalar as vectorsmith's list<string> holds it. */
  if (cJSON_IsString (v))
    return g_strdup (v->valuestring);
  if (cJSON_IsBool (v))
    return g_strdup (cJSON_IsTrue (v) ? "True" : "False");
  if (cJSON_IsNumber (v))
    {
      if (v->valuedouble == floor (v->valuedouble) && fabs (v->valuedouble) < 1e15)
        return g_strdup_printf ("%.0f", v->valuedouble);
      return g_strdup_printf ("%.17g", v->valuedouble);
    }
  return NULL;
}

static gboolean
hex_equal (const char *hex,
           const char *bytes,
           gsize       len)
{
  gsize n = strlen (hex);

  if (n != 2 * len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if ((guint8) bytes[i] != (guint8) (hi * 16 + lo))
        return FALSE;
    }
  return TRUE;
}

static guint compare_cell (const VsDataset *ds, const char *name, const cJSON *cell, gsize r, const char *what);

/* A struct cell: {"a": ..., "b": ...} against columns name.a, name.b; null
 * against every name.* column being null. */
static guint
compare_struct (const VsDataset *ds,
                const char      *name,
                const cJSON     *cell,
                gsize            r,
                const char      *what)
{
  g_autofree char *prefix = g_strconcat (name, ".", NULL);
  guint bad = 0, n = 0;

  if (cJSON_IsNull (cell))
    {
      for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
        {
          const VsColumn *col = vs_dataset_get_column (ds, c);
          if (g_str_has_prefix (vs_column_get_name (col), prefix))
            {
              n++;
              if (!vs_column_is_null (col, r))
                {
                  g_test_message ("%s: row %" G_GSIZE_FORMAT ", column “%s”: expected null (null struct)",
                                  what, r, vs_column_get_name (col));
                  bad++;
                }
            }
        }
      if (n == 0)
        {
          g_test_message ("%s: no column “%s”", what, name);
          bad++;
        }
      return bad;
    }
  {
    const cJSON *sub;
    cJSON_ArrayForEach (sub, cell)
      {
        g_autofree char *full = g_strconcat (prefix, sub->string, NULL);
        bad += compare_cell (ds, full, sub, r, what);
      }
  }
  return bad;
}

static guint
compare_cell (const VsDataset *ds,
              const char      *name,
              const cJSON     *cell,
              gsize            r,
              const char      *what)
{
  const VsColumn *col = vs_dataset_get_column_by_name (ds, name);
  gboolean ok = TRUE;

  if (col == NULL && (cJSON_IsNull (cell) || (cJSON_IsObject (cell) && cJSON_GetObjectItem (cell, "hex") == NULL)))
    return compare_struct (ds, name, cell, r, what);
  if (col == NULL)
    {
      g_test_message ("%s: no column “%s”", what, name);
      return 1;
    }
  if (cJSON_IsNull (cell))
    ok = vs_column_is_null (col, r);
  else if (vs_column_is_null (col, r))
    ok = FALSE;
  else if (cJSON_IsObject (cell))
    {
      const cJSON *hex = cJSON_GetObjectItem (cell, "hex");
      ok = cJSON_IsString (hex) && vs_column_get_type (col) == VS_COLUMN_STRING &&
           hex_equal (hex->valuestring, vs_column_get_string (col, r),
                      vs_column_get_string_length (col, r));
    }
  else if (cJSON_IsArray (cell))
    {
      guint n = vs_column_get_list_length (col, r);
      ok = vs_column_get_type (col) == VS_COLUMN_STRING_LIST && n == (guint) cJSON_GetArraySize (cell);
      for (guint i = 0; ok && i < n; i++)
        {
          const cJSON *e = cJSON_GetArrayItem (cell, (int) i);
          const char *got = vs_column_get_list_item (col, r, i);
          g_autofree char *want = expected_text (e);
          ok = (want == NULL && got == NULL) ||
               (want != NULL && got != NULL && strcmp (want, got) == 0);
        }
    }
  else
    switch (vs_column_get_type (col))
      {
      case VS_COLUMN_STRING:
        ok = cJSON_IsString (cell) && strcmp (cell->valuestring, vs_column_get_string (col, r)) == 0;
        break;
      case VS_COLUMN_INT64:
        if (cJSON_IsString (cell))
          ok = g_ascii_strtoll (cell->valuestring, NULL, 10) == vs_column_get_int64 (col, r);
        else
          ok = cJSON_IsNumber (cell) && cell->valuedouble == (double) vs_column_get_int64 (col, r);
        break;
      case VS_COLUMN_FLOAT64:
        /* Exact: both sides hold the file's value as a double. */
        ok = cJSON_IsNumber (cell) && cell->valuedouble == vs_column_get_double (col, r);
        break;
      case VS_COLUMN_BOOL:
        ok = cJSON_IsBool (cell) && (cJSON_IsTrue (cell) != 0) == vs_column_get_bool (col, r);
        break;
      case VS_COLUMN_STRING_LIST:
      default:
        ok = FALSE;
        break;
      }
  if (!ok)
    {
      g_autofree char *got = vs_column_format_cell (col, r);
      g_autofree char *want = cJSON_PrintUnformatted (cell);
      g_test_message ("%s: row %" G_GSIZE_FORMAT ", column “%s”: got %s, expected %s", what, r, name, got, want);
      return 1;
    }
  return 0;
}

guint
test_compare_rows (const VsDataset *ds,
                   const cJSON     *rows,
                   const char      *what)
{
  guint bad = 0;
  gsize r = 0;
  const cJSON *row;

  if ((gsize) cJSON_GetArraySize (rows) != vs_dataset_get_n_rows (ds))
    {
      g_test_message ("%s: %" G_GSIZE_FORMAT " rows, expected %d", what,
                      vs_dataset_get_n_rows (ds), cJSON_GetArraySize (rows));
      return 1;
    }
  cJSON_ArrayForEach (row, rows)
    {
      const cJSON *cell;
      cJSON_ArrayForEach (cell, row)
        bad += compare_cell (ds, cell->string, cell, r, what);
      r++;
    }
  return bad;
}

void
test_assert_load_fails (const char *path,
                        const char *split,
                        const char *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, split, &error);

  g_assert_null (ds);
  g_assert_nonnull (error);
  g_assert_true (error->domain == VS_ERROR);
  if (strstr (error->message, expect) == NULL)
    g_test_message ("expected “%s” in: %s", expect, error->message);
  g_assert_nonnull (strstr (error->message, expect));
}
