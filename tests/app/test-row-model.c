/* test-row-model.c: VsRowModel over a million-row table, without a window.
 *
 * Builds a 1,000,000-row in-memory dataset with the engine's column API,
 * wraps it, and checks the model against the dataset: the item count,
 * random items and their cells (formatted by the engine), and
 * items-changed when the dataset is replaced. Prints how long the model
 * takes to build (it must not depend on the row count).
 */
#include "config.h"

#include <gio/gio.h>

#include "vs-project.h"
#include "vs-row-model.h"

#define N_ROWS 1000000

static VsDatasetRef *
make_dataset (gsize n)
{
  g_autoptr(GError) error = NULL;
  VsDataset *ds = vs_dataset_new ();
  VsColumn *text = vs_dataset_add_column (ds, "text", VS_COLUMN_STRING, &error);
  VsColumn *score;
  VsColumn *id;

  g_assert_no_error (error);
  score = vs_dataset_add_column (ds, "score", VS_COLUMN_FLOAT64, &error);
  g_assert_no_error (error);
  id = vs_dataset_add_column (ds, "id", VS_COLUMN_INT64, &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < n; i++)
    {
      char buf[64];

      g_snprintf (buf, sizeof buf, "sentence number %" G_GSIZE_FORMAT, i);
      if (i % 1000 == 7)
        vs_column_append_null (text);
      else
        vs_column_append_string (text, buf);
      vs_column_append_double (score, (double) (i % 50) / 10.0);
      vs_column_append_int64 (id, (gint64) i * 3);
    }
  g_assert_true (vs_dataset_seal (ds, &error));
  g_assert_no_error (error);
  return vs_dataset_ref_new (ds, "memory", NULL);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *out)
{
  out[0] = position;
  out[1] = removed;
  out[2] = added;
  out[3]++;
}

static void
test_million_rows (void)
{
  g_autoptr(VsDatasetRef) ref = make_dataset (N_ROWS);
  g_autoptr(VsDatasetRef) small = make_dataset (10);
  const VsDataset *ds = vs_dataset_ref_get_dataset (ref);
  g_autoptr(VsRowModel) model = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  guint changed[4] = { 0, 0, 0, 0 };
  gint64 start;

  start = g_get_monotonic_time ();
  model = vs_row_model_new (ref);
  g_test_message ("VsRowModel over %d rows built in %.3f ms", N_ROWS,
                  (g_get_monotonic_time () - start) / 1000.0);

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == VS_TYPE_ROW_ITEM);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), N_ROWS));

  /* Random rows, the first and the last: every cell as the engine formats it. */
  start = g_get_monotonic_time ();
  for (guint k = 0; k < 1002; k++)
    {
      guint pos = k == 0 ? 0 : k == 1 ? N_ROWS - 1 : (guint) g_rand_int_range (rand, 0, N_ROWS);
      g_autoptr(VsRowItem) item = g_list_model_get_item (G_LIST_MODEL (model), pos);

      g_assert_nonnull (item);
      g_assert_cmpuint (vs_row_item_get_index (item), ==, pos);
      g_assert_true (vs_row_item_get_dataset (item) == ref);
      for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
        {
          g_autofree char *cell = vs_row_item_dup_cell (item, c);
          g_autofree char *expected = vs_column_format_cell (vs_dataset_get_column (ds, c), pos);

          g_assert_cmpstr (cell, ==, expected);
        }
      g_assert_null (vs_row_item_dup_cell (item, vs_dataset_get_n_columns (ds)));
    }
  g_test_message ("1002 random rows read in %.3f ms", (g_get_monotonic_time () - start) / 1000.0);

  /* A few known cells, checked against the values appended. */
  {
    g_autoptr(VsRowItem) item = g_list_model_get_item (G_LIST_MODEL (model), 123456);
    g_autofree char *text = vs_row_item_dup_cell (item, 0);
    g_autofree char *id = vs_row_item_dup_cell (item, 2);
    g_autoptr(VsRowItem) null_item = g_list_model_get_item (G_LIST_MODEL (model), 7);
    g_autofree char *null_text = vs_row_item_dup_cell (null_item, 0);

    g_assert_cmpstr (text, ==, "sentence number 123456");
    g_assert_cmpstr (id, ==, "370368");
    g_assert_cmpstr (null_text, ==, "None");
  }

  /* Replacing the dataset replaces every row. */
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), changed);
  vs_row_model_set_dataset (model, small);
  g_assert_cmpuint (changed[3], ==, 1);
  g_assert_cmpuint (changed[0], ==, 0);
  g_assert_cmpuint (changed[1], ==, N_ROWS);
  g_assert_cmpuint (changed[2], ==, 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 10);
  g_assert_true (vs_row_model_get_dataset (model) == small);

  /* The same dataset again changes nothing; none empties the model. */
  vs_row_model_set_dataset (model, small);
  g_assert_cmpuint (changed[3], ==, 1);
  vs_row_model_set_dataset (model, NULL);
  g_assert_cmpuint (changed[3], ==, 2);
  g_assert_cmpuint (changed[1], ==, 10);
  g_assert_cmpuint (changed[2], ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 0));
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/row-model/million-rows", test_million_rows);
  return g_test_run ();
}
