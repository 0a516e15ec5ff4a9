/* test-sampler.c: the guarantees of sentence-transformers' samplers.
 *
 * BATCH: each row once per epoch, batch sizes, drop_last, seeded order.
 * NO_DUPLICATES: no cell value (label excluded) twice in a batch, on SNLI
 * pairs where every premise occurs three times; every row once.
 * GROUP_BY_LABEL: each label in a batch has >= 2 rows; odd batch size refused.
 * All: a saved position resumes the exact remaining batches. */
#include "config.h"

#include <string.h>

#include "test-common.h"
#include "vs-error.h"

static GPtrArray *
collect_epoch (VsSampler *s)
{
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  const gsize *rows;
  gsize n;

  while ((rows = vs_sampler_next (s, &n)) != NULL)
    {
      GArray *b = g_array_new (FALSE, FALSE, sizeof (gsize));
      g_array_append_vals (b, rows, n);
      g_ptr_array_add (batches, b);
    }
  return batches;
}

static VsDataset *
numbered (guint n,
          guint n_labels)
{
  VsDataset *ds = vs_dataset_new ();
  VsColumn *t = vs_dataset_add_column (ds, "text", VS_COLUMN_STRING, NULL);
  VsColumn *l = vs_dataset_add_column (ds, "label", VS_COLUMN_INT64, NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *s = g_strdup_printf ("text %u", i);
      vs_column_append_string (t, s);
      vs_column_append_int64 (l, i % n_labels);
    }
  return ds;
}

static void
test_batch (void)
{
  g_autoptr(VsDataset) ds = numbered (103, 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsSampler) s = vs_sampler_new (ds, VS_SAMPLER_BATCH, 10, FALSE, 42, NULL, &error);
  g_autoptr(VsSampler) d = vs_sampler_new (ds, VS_SAMPLER_BATCH, 10, TRUE, 42, NULL, &error);
  g_autoptr(GPtrArray) e0 = NULL, e0b = NULL, e1 = NULL, ed = NULL;
  g_autofree guint *count = g_new0 (guint, 103);

  g_assert_no_error (error);
  g_assert_cmpuint (vs_sampler_get_n_batches (s), ==, 11);
  g_assert_cmpuint (vs_sampler_get_n_batches (d), ==, 10);
  e0 = collect_epoch (s);
  g_assert_cmpuint (e0->len, ==, 11);
  for (guint b = 0; b < e0->len; b++)
    {
      GArray *batch = e0->pdata[b];
      g_assert_cmpuint (batch->len, ==, b < 10 ? 10 : 3);
      for (guint i = 0; i < batch->len; i++)
        count[g_array_index (batch, gsize, i)]++;
    }
  for (guint i = 0; i < 103; i++)
    g_assert_cmpuint (count[i], ==, 1);
  ed = collect_epoch (d);
  g_assert_cmpuint (ed->len, ==, 10);

  /* Same seed + epoch: same batches; another epoch: another order. */
  vs_sampler_set_epoch (s, 0);
  e0b = collect_epoch (s);
  for (guint b = 0; b < e0->len; b++)
    g_assert_cmpmem (((GArray *) e0->pdata[b])->data, ((GArray *) e0->pdata[b])->len * sizeof (gsize),
                     ((GArray *) e0b->pdata[b])->data, ((GArray *) e0b->pdata[b])->len * sizeof (gsize));
  vs_sampler_set_epoch (s, 1);
  e1 = collect_epoch (s);
  g_assert_true (memcmp (((GArray *) e0->pdata[0])->data, ((GArray *) e1->pdata[0])->data,
                         10 * sizeof (gsize)) != 0);
}

static void
test_no_duplicates (void)
{
  /* SNLI: each premise (sentence1) appears with three hypotheses. */
  g_autofree char *path = test_shared_path ("datasets/snli/snli_1.0_dev.first500.jsonl");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) raw = vs_dataset_load (path, NULL, &error);
  const char *cols[] = { "sentence1", "sentence2" };
  g_autoptr(VsDataset) ds = vs_dataset_select_columns (raw, cols, 2, &error);
  g_autoptr(VsSampler) s = NULL;
  g_autoptr(GPtrArray) epoch = NULL;
  g_autofree guint *count = NULL;
  gsize n = vs_dataset_get_n_rows (ds);
  guint full = 0;

  g_assert_no_error (error);
  s = vs_sampler_new (ds, VS_SAMPLER_NO_DUPLICATES, 32, FALSE, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_sampler_get_n_batches (s), ==, (n + 31) / 32);
  epoch = collect_epoch (s);
  count = g_new0 (guint, n);
  for (guint b = 0; b < epoch->len; b++)
    {
      GArray *batch = epoch->pdata[b];
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      g_assert_cmpuint (batch->len, <=, 32);
      full += batch->len == 32;
      for (guint i = 0; i < batch->len; i++)
        {
          gsize r = g_array_index (batch, gsize, i);
          const char *s1 = vs_column_get_string (vs_dataset_get_column (ds, 0), r);
          const char *s2 = vs_column_get_string (vs_dataset_get_column (ds, 1), r);
          count[r]++;
          /* No text twice in the batch, across both columns. */
          g_assert_true (g_hash_table_add (seen, (gpointer) s1) || strcmp (s1, s2) == 0);
          g_assert_true (g_hash_table_add (seen, (gpointer) s2) || strcmp (s1, s2) == 0);
        }
    }
  for (gsize r = 0; r < n; r++)
    g_assert_cmpuint (count[r], ==, 1);
  g_assert_cmpuint (full, >=, n / 32 - 1);

  /* The label column is not compared: rows sharing a label can share a batch. */
  {
    g_autoptr(VsDataset) lab = numbered (40, 2);
    g_autoptr(VsSampler) s2 = vs_sampler_new (lab, VS_SAMPLER_NO_DUPLICATES, 8, TRUE, 3, NULL, &error);
    g_autoptr(GPtrArray) e = collect_epoch (s2);
    g_assert_no_error (error);
    g_assert_cmpuint (e->len, ==, 5);
    for (guint b = 0; b < e->len; b++)
      g_assert_cmpuint (((GArray *) e->pdata[b])->len, ==, 8);
  }
  /* Both "label" and "score" are ignored by default. */
  {
    g_autoptr(VsDataset) sc = vs_dataset_new ();
    VsColumn *t = vs_dataset_add_column (sc, "text", VS_COLUMN_STRING, NULL);
    VsColumn *l = vs_dataset_add_column (sc, "label", VS_COLUMN_INT64, NULL);
    VsColumn *f = vs_dataset_add_column (sc, "score", VS_COLUMN_FLOAT64, NULL);
    g_autoptr(VsSampler) s4 = NULL;
    g_autoptr(GPtrArray) e = NULL;
    for (guint i = 0; i < 12; i++)
      {
        g_autofree char *txt = g_strdup_printf ("t%u", i);
        vs_column_append_string (t, txt);
        vs_column_append_int64 (l, 1);
        vs_column_append_double (f, 0.5);
      }
    s4 = vs_sampler_new (sc, VS_SAMPLER_NO_DUPLICATES, 4, FALSE, 0, NULL, &error);
    e = collect_epoch (s4);
    g_assert_cmpuint (e->len, ==, 3);
  }
  /* drop_last with duplicates everywhere: batches are smaller than B, all dropped. */
  {
    g_autoptr(VsDataset) same = vs_dataset_new ();
    VsColumn *t = vs_dataset_add_column (same, "text", VS_COLUMN_STRING, NULL);
    g_autoptr(VsSampler) s3 = NULL;
    g_autoptr(GPtrArray) e = NULL;
    for (guint i = 0; i < 10; i++)
      vs_column_append_string (t, "same");
    s3 = vs_sampler_new (same, VS_SAMPLER_NO_DUPLICATES, 4, TRUE, 0, NULL, &error);
    e = collect_epoch (s3);
    g_assert_cmpuint (e->len, ==, 0);
    g_clear_pointer (&s3, vs_sampler_free);
    g_clear_pointer (&e, g_ptr_array_unref);
    s3 = vs_sampler_new (same, VS_SAMPLER_NO_DUPLICATES, 4, FALSE, 0, NULL, &error);
    e = collect_epoch (s3);
    g_assert_cmpuint (e->len, ==, 10);   /* one row per batch */
  }
}

static void
test_group_by_label (void)
{
  g_autofree char *path = test_shared_path ("datasets/banking77/test.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  g_autoptr(VsSampler) s = NULL;
  g_autoptr(GPtrArray) epoch = NULL;
  gsize kept = 0;

  g_assert_no_error (error);
  g_assert_null (vs_sampler_new (ds, VS_SAMPLER_GROUP_BY_LABEL, 15, FALSE, 0, "category", &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (vs_sampler_new (ds, VS_SAMPLER_GROUP_BY_LABEL, 16, FALSE, 0, NULL, &error));
  g_clear_error (&error);

  s = vs_sampler_new (ds, VS_SAMPLER_GROUP_BY_LABEL, 16, FALSE, 5, "category", &error);
  g_assert_no_error (error);
  epoch = collect_epoch (s);
  for (guint b = 0; b < epoch->len; b++)
    {
      GArray *batch = epoch->pdata[b];
      g_autoptr(GHashTable) per = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter it;
      gpointer key, val;

      kept += batch->len;
      for (guint i = 0; i < batch->len; i++)
        {
          const char *c = vs_column_get_string (vs_dataset_get_column_by_name (ds, "category"),
                                                g_array_index (batch, gsize, i));
          g_hash_table_insert (per, (gpointer) c,
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per, c)) + 1));
        }
      g_hash_table_iter_init (&it, per);
      while (g_hash_table_iter_next (&it, &key, &val))
        g_assert_cmpuint (GPOINTER_TO_UINT (val), >=, 2);
    }
  g_assert_cmpuint (epoch->len, ==, vs_sampler_get_n_batches (s));
  g_assert_cmpuint (kept, <=, 3080);
  g_assert_cmpuint (kept, >=, 3080 - 77);   /* at most one row per label dropped (odd counts) */
}

static void
test_resume (void)
{
  g_autoptr(VsDataset) ds = numbered (50, 5);
  static const VsSamplerKind kinds[] = { VS_SAMPLER_BATCH, VS_SAMPLER_NO_DUPLICATES, VS_SAMPLER_GROUP_BY_LABEL };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VsSampler) a = vs_sampler_new (ds, kinds[k], 6, FALSE, 9, NULL, &error);
      g_autoptr(VsSampler) b = vs_sampler_new (ds, kinds[k], 6, FALSE, 9, NULL, &error);
      g_autoptr(GPtrArray) rest_a = NULL, rest_b = NULL;
      VsSamplerPosition pos;
      gsize n;

      g_assert_no_error (error);
      vs_sampler_set_epoch (a, 2);
      for (guint i = 0; i < 3; i++)
        g_assert_nonnull (vs_sampler_next (a, &n));
      pos = vs_sampler_get_position (a);
      g_assert_cmpuint (pos.epoch, ==, 2);
      g_assert_cmpuint (pos.batch, ==, 3);
      rest_a = collect_epoch (a);
      g_assert_true (vs_sampler_set_position (b, pos, &error));
      rest_b = collect_epoch (b);
      g_assert_cmpuint (rest_a->len, ==, rest_b->len);
      for (guint i = 0; i < rest_a->len; i++)
        g_assert_cmpmem (((GArray *) rest_a->pdata[i])->data, ((GArray *) rest_a->pdata[i])->len * sizeof (gsize),
                         ((GArray *) rest_b->pdata[i])->data, ((GArray *) rest_b->pdata[i])->len * sizeof (gsize));
      pos.batch = 1000;
      g_assert_false (vs_sampler_set_position (b, pos, &error));
      g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sampler/batch", test_batch);
  g_test_add_func ("/sampler/no-duplicates", test_no_duplicates);
  g_test_add_func ("/sampler/group-by-label", test_group_by_label);
  g_test_add_func ("/sampler/resume", test_resume);
  return g_test_run ();
}
