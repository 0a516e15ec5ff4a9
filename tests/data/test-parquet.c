/* test-parquet.c: the Parquet reader against files written by real writers
 * (apache/parquet-testing in $VS_SHARED_DATA/parquet; parquet-wasm files in
 * fixtures/parquet) and the rows independent readers decoded from them
 * (hyparquet, cross-checked with DuckDB for the shared files). Every cell
 * must be equal (floats exactly: both sides hold the stored value). */
#include "config.h"

#include <string.h>

#include "test-common.h"

static void
check_shared (gconstpointer data)
{
  const char *name = data;
  g_autofree char *rel = g_strdup_printf ("parquet/%s", name);
  g_autofree char *erel = g_strdup_printf ("parquet/expected/%.*s.expected.json",
                                           (int) (strlen (name) - strlen (".parquet")), name);
  g_autofree char *path = test_shared_path (rel);
  g_autofree char *epath = test_shared_path (erel);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = NULL;
  cJSON *expected;
  guint bad;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("shared data missing");
      return;
    }
  expected = vs_test_load_json (epath);
  ds = vs_dataset_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (ds), ==, "parquet");
  bad = test_compare_rows (ds, cJSON_GetObjectItem (expected, "rows"), name);
  cJSON_Delete (expected);
  g_assert_cmpuint (bad, ==, 0);
}

static void
check_generated (void)
{
  g_autofree char *epath = vs_test_fixture_path ("data", "parquet/expected.json");
  cJSON *expected = vs_test_load_json (epath);
  const cJSON *files = cJSON_GetObjectItem (expected, "files");
  const cJSON *rows = cJSON_GetObjectItem (expected, "rows");
  const cJSON *f;
  guint n_files = 0;

  cJSON_ArrayForEach (f, files)
    {
      const char *name = cJSON_GetObjectItem (f, "file")->valuestring;
      g_autofree char *rel = g_strdup_printf ("parquet/%s", name);
      g_autofree char *path = vs_test_fixture_path ("data", rel);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
      guint bad;

      g_assert_no_error (error);
      bad = test_compare_rows (ds, rows, name);
      if (bad > 0)
        g_test_message ("%s: %u mismatches", name, bad);
      g_assert_cmpuint (bad, ==, 0);
      g_assert_cmpint (vs_column_get_type (vs_dataset_get_column_by_name (ds, "tags")), ==,
                       VS_COLUMN_STRING_LIST);
      g_assert_cmpint (vs_column_get_type (vs_dataset_get_column_by_name (ds, "text")), ==,
                       VS_COLUMN_STRING);
      n_files++;
    }
  g_assert_cmpuint (n_files, >=, 9);
  cJSON_Delete (expected);
}

static void
check_limit (void)
{
  /* Stopping early: two row groups, limit inside the second. */
  g_autofree char *path = vs_test_fixture_path ("data", "parquet/codec-zstd.parquet");
  g_autofree char *epath = vs_test_fixture_path ("data", "parquet/expected.json");
  cJSON *expected = vs_test_load_json (epath);
  cJSON *rows = cJSON_GetObjectItem (expected, "rows");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load_limit (path, NULL, 150, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, 150);
  while (cJSON_GetArraySize (rows) > 150)
    cJSON_DeleteItemFromArray (rows, cJSON_GetArraySize (rows) - 1);
  g_assert_cmpuint (test_compare_rows (ds, rows, "codec-zstd limit 150"), ==, 0);
  cJSON_Delete (expected);
}

static void
check_datasets (void)
{
  /* DuckDB-written datasets equal the CSV files beside them. */
  static const char *pairs[][2] = {
    { "datasets/triplets/snli_dev_triplets.parquet", "datasets/triplets/snli_dev_triplets.csv" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autofree char *pq = test_shared_path (pairs[i][0]);
      g_autofree char *csv = test_shared_path (pairs[i][1]);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsDataset) a = vs_dataset_load (pq, NULL, &error);
      g_autoptr(VsDataset) b = NULL;

      g_assert_no_error (error);
      b = vs_dataset_load (csv, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (vs_dataset_get_n_rows (a), ==, vs_dataset_get_n_rows (b));
      g_assert_cmpuint (vs_dataset_get_n_columns (a), ==, vs_dataset_get_n_columns (b));
      for (guint c = 0; c < vs_dataset_get_n_columns (a); c++)
        for (gsize r = 0; r < vs_dataset_get_n_rows (a); r++)
          g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column (a, c), r), ==,
                           vs_column_get_string (vs_dataset_get_column (b, c), r));
    }
  {
    /* STS-B: Parquet (ZSTD, dictionary-encoded score) vs the headerless TSV. */
    g_autofree char *pq = test_shared_path ("datasets/stsb/sts-train.images+track5.zstd.parquet");
    g_autofree char *csv = test_shared_path ("datasets/stsb/sts-train.images+track5.csv");
    g_autoptr(GError) error = NULL;
    g_autoptr(VsDataset) a = vs_dataset_load (pq, NULL, &error);
    g_autoptr(VsDataset) b = vs_dataset_load (csv, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (vs_dataset_get_n_rows (a), ==, 1000);
    g_assert_cmpuint (vs_dataset_get_n_rows (b), ==, 1000);
    for (gsize r = 0; r < 1000; r++)
      {
        g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column_by_name (a, "sentence1"), r), ==,
                         vs_column_get_string (vs_dataset_get_column_by_name (b, "column5"), r));
        g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column_by_name (a, "sentence2"), r), ==,
                         vs_column_get_string (vs_dataset_get_column_by_name (b, "column6"), r));
        g_assert_cmpfloat (vs_column_get_double (vs_dataset_get_column_by_name (a, "score"), r), ==,
                           vs_column_get_double (vs_dataset_get_column_by_name (b, "column4"), r));
      }
  }
}

static void
check_compare_detects (void)
{
  /* The comparison itself must see a changed cell, a changed list element
   * and a null where a value is expected. */
  g_autofree char *path = test_shared_path ("parquet/list_columns.parquet");
  g_autofree char *epath = test_shared_path ("parquet/expected/list_columns.expected.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  cJSON *expected = vs_test_load_json (epath);
  cJSON *rows = cJSON_GetObjectItem (expected, "rows");
  cJSON *row0 = cJSON_GetArrayItem (rows, 0);
  cJSON *list = cJSON_GetObjectItem (row0, "utf8_list");

  g_assert_no_error (error);
  g_assert_cmpuint (test_compare_rows (ds, rows, "unchanged"), ==, 0);
  cJSON_ReplaceItemInArray (list, 1, cJSON_CreateString ("zzz"));
  g_assert_cmpuint (test_compare_rows (ds, rows, "changed element"), ==, 1);
  cJSON_ReplaceItemInObject (row0, "int64_list", cJSON_CreateNull ());
  g_assert_cmpuint (test_compare_rows (ds, rows, "null list"), ==, 2);
  cJSON_Delete (expected);
}

int
main (int argc, char **argv)
{
  static const char *shared[] = {
    "alltypes_plain.parquet", "alltypes_plain.snappy.parquet", "binary.parquet",
    "data_index_bloom_encoding_stats.parquet", "datapage_v2.snappy.parquet",
    "delta_length_byte_array.parquet", "int32_with_null_pages.parquet", "list_columns.parquet",
    "rle-dict-snappy-checksum.parquet", "sort_columns.parquet",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (shared); i++)
    {
      g_autofree char *tp = g_strdup_printf ("/parquet/shared/%s", shared[i]);
      g_test_add_data_func (tp, shared[i], check_shared);
    }
  g_test_add_func ("/parquet/compare-detects-mismatch", check_compare_detects);
  g_test_add_func ("/parquet/generated", check_generated);
  g_test_add_func ("/parquet/limit", check_limit);
  g_test_add_func ("/parquet/datasets", check_datasets);
  return g_test_run ();
}
