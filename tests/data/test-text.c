/* test-text.c: CSV/TSV, JSON Lines and JSON readers, folders and splits,
 * and the column-store operations.
 *
 * Real files: every column of the shared datasets must hash to what Python's
 * csv and json modules read (fixtures/text-digests.json, written by
 * tests/reference/data_text_reference.py). Edge cases: small files written
 * here, with the values RFC 4180 / the JSON layouts define. */
#include "config.h"

#include <string.h>

#include <unistd.h>

#include <zlib.h>

#include "test-common.h"
#include "vs-error.h"

static char *
column_digest (const VsColumn *col)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize r = 0; r < vs_column_get_length (col); r++)
    {
      if (r > 0)
        g_checksum_update (sum, (const guchar *) "\x1f", 1);
      if (vs_column_is_null (col, r))
        g_checksum_update (sum, (const guchar *) "\x1e", 1);
      else
        {
          g_autofree char *cell = vs_column_format_cell (col, r);
          g_checksum_update (sum, (const guchar *) cell, strlen (cell));
        }
    }
  return g_strdup (g_checksum_get_string (sum));
}

static void
test_real_files (void)
{
  g_autofree char *fpath = vs_test_fixture_path ("data", "text-digests.json");
  cJSON *digests = vs_test_load_json (fpath);
  const cJSON *file;
  guint bad = 0;

  cJSON_ArrayForEach (file, digests)
    {
      g_autofree char *path = test_shared_path (file->string);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
      const cJSON *cols = cJSON_GetObjectItem (file, "columns");
      const cJSON *sums = cJSON_GetObjectItem (file, "sha256");
      const cJSON *c;
      guint i = 0;

      g_assert_no_error (error);
      g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==,
                        (gsize) cJSON_GetObjectItem (file, "num_rows")->valuedouble);
      g_assert_cmpuint (vs_dataset_get_n_columns (ds), ==, (guint) cJSON_GetArraySize (cols));
      cJSON_ArrayForEach (c, cols)
        {
          const VsColumn *col = vs_dataset_get_column (ds, i++);
          g_autofree char *got = column_digest (col);
          const char *want = cJSON_GetObjectItem (sums, c->valuestring)->valuestring;

          g_assert_cmpstr (vs_column_get_name (col), ==, c->valuestring);
          if (strcmp (got, want) != 0)
            {
              g_test_message ("%s: column “%s” differs from Python's reading", file->string, c->valuestring);
              bad++;
            }
        }
    }
  cJSON_Delete (digests);
  g_assert_cmpuint (bad, ==, 0);
}

#define STR(ds, col, row) vs_column_get_string (vs_dataset_get_column_by_name ((ds), (col)), (row))

static void
test_csv_rfc4180 (void)
{
  /* BOM, CRLF, quoted comma, doubled quote, newline inside quotes, an empty
   * quoted field, a blank line, no final newline. */
  const char *text =
    "\xEF\xBB\xBF" "sentence1,sentence2,score\r\n"
    "\"Hello, world\",\"She said \"\"hi\"\"\",1.5\r\n"
    "\"two\r\nlines\",\"\",0\r\n"
    "\r\n"
    "plain,x\"y,2";
  g_autofree char *path = test_write_temp ("rfc.csv", text, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  const VsColumn *score;

  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (ds), ==, "csv");
  g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, 3);
  g_assert_cmpuint (vs_dataset_get_n_columns (ds), ==, 3);
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (ds, 0)), ==, "sentence1");
  g_assert_cmpstr (STR (ds, "sentence1", 0), ==, "Hello, world");
  g_assert_cmpstr (STR (ds, "sentence2", 0), ==, "She said \"hi\"");
  g_assert_cmpstr (STR (ds, "sentence1", 1), ==, "two\r\nlines");
  g_assert_cmpstr (STR (ds, "sentence2", 1), ==, "");
  g_assert_cmpstr (STR (ds, "sentence1", 2), ==, "plain");
  g_assert_cmpstr (STR (ds, "sentence2", 2), ==, "x\"y");
  score = vs_dataset_get_column_by_name (ds, "score");
  g_assert_cmpint (vs_column_get_type (score), ==, VS_COLUMN_FLOAT64);
  g_assert_cmpfloat (vs_column_get_double (score, 0), ==, 1.5);
  g_assert_cmpfloat (vs_column_get_double (score, 2), ==, 2.0);
}

static void
test_csv_types_and_header (void)
{
  /* Headerless (a number in the first row); int, float with an empty cell
   * (null), bool; duplicate header names get a suffix. */
  g_autofree char *p1 = test_write_temp ("noheader.csv", "1,0.5,true,a b\n2,,False,c\n", -1);
  g_autofree char *p2 = test_write_temp ("dup.csv", "a,a,\nx,y,z\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (p1, NULL, &error);
  g_autoptr(VsDataset) d2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, 2);
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (ds, 0)), ==, "column0");
  g_assert_cmpint (vs_column_get_type (vs_dataset_get_column (ds, 0)), ==, VS_COLUMN_INT64);
  g_assert_cmpint (vs_column_get_int64 (vs_dataset_get_column (ds, 0), 1), ==, 2);
  g_assert_cmpint (vs_column_get_type (vs_dataset_get_column (ds, 1)), ==, VS_COLUMN_FLOAT64);
  g_assert_true (vs_column_is_null (vs_dataset_get_column (ds, 1), 1));
  g_assert_cmpint (vs_column_get_type (vs_dataset_get_column (ds, 2)), ==, VS_COLUMN_BOOL);
  g_assert_false (vs_column_get_bool (vs_dataset_get_column (ds, 2), 1));
  g_assert_cmpint (vs_column_get_type (vs_dataset_get_column (ds, 3)), ==, VS_COLUMN_STRING);

  d2 = vs_dataset_load (p2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (d2, 0)), ==, "a");
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (d2, 1)), ==, "a.1");
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (d2, 2)), ==, "column2");
}

static void
test_csv_errors (void)
{
  g_autofree char *ragged = test_write_temp ("ragged.csv", "a,b\n1,2\n3,4,5\n6,7\n", -1);
  g_autofree char *short_row = test_write_temp ("short.csv", "a,b\n1,2\n3\n", -1);
  g_autofree char *open_q = test_write_temp ("open.csv", "a,b\n1,2\n\"never\nclosed,3\n", -1);
  g_autofree char *empty = test_write_temp ("empty.csv", "", 0);
  g_autoptr(GError) error = NULL;
  VsDataset *ds;

  ds = vs_dataset_load (ragged, NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "ragged.csv: line 3: expected 2 fields, found 3"));
  g_clear_error (&error);

  ds = vs_dataset_load (short_row, NULL, &error);
  g_assert_null (ds);
  g_assert_nonnull (strstr (error->message, "short.csv: line 3: expected 2 fields, found 1"));
  g_clear_error (&error);

  ds = vs_dataset_load (open_q, NULL, &error);
  g_assert_null (ds);
  g_assert_nonnull (strstr (error->message, "open.csv: line 3: quoted field never closed"));
  g_clear_error (&error);

  ds = vs_dataset_load (empty, NULL, &error);
  g_assert_null (ds);
  g_assert_nonnull (strstr (error->message, "empty.csv"));
  g_clear_error (&error);

  ds = vs_dataset_load ("/nonexistent/x.csv", NULL, &error);
  g_assert_null (ds);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
}

static void
test_tsv (void)
{
  /* TSV has no quoting: quotes are text. A .csv file of tab-separated lines
   * is read as TSV. */
  g_autofree char *p1 = test_write_temp ("q.tsv", "a\tb\n\"quoted\" start\tx,y\n", -1);
  g_autofree char *p2 = test_write_temp ("tabs.csv", "s1\ts2\tlabel\nA, b\tc\t1\nd\te, f, g\t0\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) d1 = vs_dataset_load (p1, NULL, &error);
  g_autoptr(VsDataset) d2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (d1), ==, "tsv");
  g_assert_cmpstr (STR (d1, "a", 0), ==, "\"quoted\" start");
  g_assert_cmpstr (STR (d1, "b", 0), ==, "x,y");
  d2 = vs_dataset_load (p2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_columns (d2), ==, 3);
  g_assert_cmpstr (STR (d2, "s1", 0), ==, "A, b");
  g_assert_cmpstr (STR (d2, "s2", 1), ==, "e, f, g");
}

static char *
write_gz (const char *name,
          const char *text)
{
  g_autofree char *plain = test_write_temp (name, "", 0);
  gzFile gz = gzopen (plain, "wb");

  g_assert_nonnull (gz);
  g_assert_cmpint (gzwrite (gz, text, (unsigned) strlen (text)), ==, (int) strlen (text));
  gzclose (gz);
  return g_steal_pointer (&plain);
}

static void
test_gzip (void)
{
  g_autofree char *csv = write_gz ("pairs.csv.gz", "anchor,positive\n\"a, b\",c\nd,e\n");
  g_autofree char *jsonl = write_gz ("pairs.jsonl.gz", "{\"anchor\": \"x\", \"positive\": \"y\"}\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) d1 = vs_dataset_load (csv, NULL, &error);
  g_autoptr(VsDataset) d2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (d1), ==, "csv");
  g_assert_cmpuint (vs_dataset_get_n_rows (d1), ==, 2);
  g_assert_cmpstr (STR (d1, "anchor", 0), ==, "a, b");
  d2 = vs_dataset_load (jsonl, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (d2), ==, "jsonl");
  g_assert_cmpstr (STR (d2, "positive", 0), ==, "y");
}

static void
test_jsonl_set (void)
{
  /* embedding-data layouts: {"set": {"query", "pos": [...], "neg": [...]}}
   * expands to one row per positive with negative_1..n columns;
   * {"set": [s1, s2, s3]} pairs s1 with each later sentence. */
  const char *t1 =
    "{\"set\": {\"query\": \"q1\", \"pos\": [\"p1\", \"p2\"], \"neg\": [\"n1\", \"n2\"]}}\n"
    "{\"set\": {\"query\": \"q2\", \"pos\": [\"p3\"], \"neg\": [\"n3\"]}, \"source\": \"web\"}\n";
  const char *t2 = "{\"set\": [\"a\", \"b\", \"c\"]}\n{\"set\": [\"d\", \"e\"]}\n";
  g_autofree char *p1 = test_write_temp ("set-obj.jsonl", t1, -1);
  g_autofree char *p2 = test_write_temp ("set-list.jsonl", t2, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) d1 = vs_dataset_load (p1, NULL, &error);
  g_autoptr(VsDataset) d2 = NULL;
  const VsColumn *n2;

  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (d1), ==, 3);
  g_assert_cmpstr (STR (d1, "anchor", 0), ==, "q1");
  g_assert_cmpstr (STR (d1, "positive", 0), ==, "p1");
  g_assert_cmpstr (STR (d1, "anchor", 1), ==, "q1");
  g_assert_cmpstr (STR (d1, "positive", 1), ==, "p2");
  g_assert_cmpstr (STR (d1, "negative_1", 1), ==, "n1");
  g_assert_cmpstr (STR (d1, "negative_2", 1), ==, "n2");
  g_assert_cmpstr (STR (d1, "positive", 2), ==, "p3");
  g_assert_cmpstr (STR (d1, "negative_1", 2), ==, "n3");
  n2 = vs_dataset_get_column_by_name (d1, "negative_2");
  g_assert_true (vs_column_is_null (n2, 2));
  g_assert_true (vs_column_is_null (vs_dataset_get_column_by_name (d1, "source"), 0));
  g_assert_cmpstr (STR (d1, "source", 2), ==, "web");

  d2 = vs_dataset_load (p2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (d2), ==, 3);
  g_assert_cmpuint (vs_dataset_get_n_columns (d2), ==, 2);
  {
    /* FlagEmbedding: the same without "set"; one negative -> "negative". */
    g_autofree char *p3 = test_write_temp ("flag.jsonl",
      "{\"query\": \"q\", \"pos\": [\"p1\", \"p2\"], \"neg\": [\"n\"], \"prompt\": \"x\"}\n", -1);
    g_autoptr(VsDataset) d3 = vs_dataset_load (p3, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_dataset_get_n_rows (d3), ==, 2);
    g_assert_cmpuint (vs_dataset_get_n_columns (d3), ==, 4);
    g_assert_cmpstr (STR (d3, "positive", 1), ==, "p2");
    g_assert_cmpstr (STR (d3, "negative", 1), ==, "n");
    g_assert_cmpstr (STR (d3, "prompt", 0), ==, "x");
  }
  g_assert_cmpstr (STR (d2, "anchor", 1), ==, "a");
  g_assert_cmpstr (STR (d2, "positive", 1), ==, "c");
  g_assert_cmpstr (STR (d2, "anchor", 2), ==, "d");
}

static void
test_json_layouts (void)
{
  /* Array of objects (types unified, nested object flattened, missing keys
   * null), {"data": [...]}, columns, and JSON Lines in a .json file. */
  const char *arr =
    "[\n {\"a\": null, \"n\": 1, \"meta\": {\"lang\": \"en\"}, \"l\": [\"x\", null]},\n"
    " {\"a\": \"s\", \"n\": 2.5, \"b\": true}\n]\n";
  g_autofree char *p1 = test_write_temp ("arr.json", arr, -1);
  g_autofree char *p2 = test_write_temp ("data.json", "{\"data\": [{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]}", -1);
  g_autofree char *p3 = test_write_temp ("cols.json", "{\"q\": [\"a\", \"b\"], \"s\": [0.5, 1]}", -1);
  g_autofree char *p4 = test_write_temp ("lines.json", "{\"q\": \"a\"}\n{\"q\": \"b\"}\n", -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) d1 = vs_dataset_load (p1, NULL, &error);
  g_autoptr(VsDataset) d2 = NULL, d3 = NULL, d4 = NULL;
  const VsColumn *n, *l;

  g_assert_no_error (error);
  g_assert_cmpstr (vs_dataset_get_format (d1), ==, "json");
  g_assert_cmpuint (vs_dataset_get_n_rows (d1), ==, 2);
  g_assert_true (vs_column_is_null (vs_dataset_get_column_by_name (d1, "a"), 0));
  g_assert_cmpstr (STR (d1, "a", 1), ==, "s");
  n = vs_dataset_get_column_by_name (d1, "n");
  g_assert_cmpint (vs_column_get_type (n), ==, VS_COLUMN_FLOAT64);
  g_assert_cmpfloat (vs_column_get_double (n, 0), ==, 1.0);
  g_assert_cmpfloat (vs_column_get_double (n, 1), ==, 2.5);
  g_assert_cmpstr (STR (d1, "meta.lang", 0), ==, "en");
  l = vs_dataset_get_column_by_name (d1, "l");
  g_assert_cmpint (vs_column_get_type (l), ==, VS_COLUMN_STRING_LIST);
  g_assert_cmpuint (vs_column_get_list_length (l, 0), ==, 2);
  g_assert_cmpstr (vs_column_get_list_item (l, 0, 0), ==, "x");
  g_assert_null (vs_column_get_list_item (l, 0, 1));
  g_assert_true (vs_column_is_null (l, 1));
  g_assert_true (vs_column_is_null (vs_dataset_get_column_by_name (d1, "b"), 0));
  g_assert_true (vs_column_get_bool (vs_dataset_get_column_by_name (d1, "b"), 1));

  d2 = vs_dataset_load (p2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (d2), ==, 3);
  g_assert_cmpint (vs_column_get_int64 (vs_dataset_get_column_by_name (d2, "x"), 2), ==, 3);
  d3 = vs_dataset_load (p3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (d3), ==, 2);
  g_assert_cmpstr (STR (d3, "q", 1), ==, "b");
  g_assert_cmpfloat (vs_column_get_double (vs_dataset_get_column_by_name (d3, "s"), 0), ==, 0.5);
  d4 = vs_dataset_load (p4, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (d4), ==, 2);
}

static void
test_json_errors (void)
{
  g_autofree char *p1 = test_write_temp ("bad.jsonl", "{\"a\": 1}\n{\"a\": 2,,}\n", -1);
  g_autofree char *p2 = test_write_temp ("cut.json", "[{\"a\": 1}, {\"a\": \"x", -1);
  g_autofree char *p3 = test_write_temp ("scalar.jsonl", "{\"a\": 1}\n42\n", -1);
  g_autofree char *p4 = test_write_temp ("open.json", "[{\"a\": 1}\n", -1);

  test_assert_load_fails (p1, NULL, "bad.jsonl: line 2: invalid JSON");
  test_assert_load_fails (p2, NULL, "cut.json: line 1");
  test_assert_load_fails (p3, NULL, "scalar.jsonl: line 2: expected a JSON object");
  test_assert_load_fails (p4, NULL, "open.json");
}

static void
copy_file (const char *from,
           const char *to_rel)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autofree char *dst = NULL;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  dst = test_write_temp (to_rel, data, (gssize) len);
}

static void
test_folder_splits (void)
{
  /* A Hub snapshot layout: data/train-0000{0,1}-of-00002.parquet,
   * data/validation-00000-of-00001.csv, and a README that is not data. */
  g_autofree char *pq = vs_test_fixture_path ("data", "parquet/codec-snappy.parquet");
  g_autofree char *readme = test_write_temp ("snap/README.md", "# card\n", -1);
  g_autofree char *dir = g_path_get_dirname (readme);
  g_autofree char *val = test_write_temp ("snap/data/validation-00000-of-00001.csv", "text,label\na,1\nb,0\n", -1);
  g_autofree char *test_csv = test_write_temp ("snap/data/test-00000-of-00001.csv", "text,label\nc,1\n", -1);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) splits = NULL;
  g_autoptr(VsDataset) train = NULL;
  g_autoptr(VsDataset) valid = NULL;
  VsDataset *missing;

  copy_file (pq, "snap/data/train-00000-of-00002.parquet");
  copy_file (pq, "snap/data/train-00001-of-00002.parquet");
  splits = vs_dataset_list_splits (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (splits), ==, 3);
  g_assert_cmpstr (splits[0], ==, "train");
  g_assert_cmpstr (splits[1], ==, "validation");
  g_assert_cmpstr (splits[2], ==, "test");

  train = vs_dataset_load (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (train), ==, 400);
  g_assert_cmpstr (vs_dataset_get_format (train), ==, "parquet");
  g_assert_cmpstr (STR (train, "text", 0), ==, STR (train, "text", 200));
  valid = vs_dataset_load (dir, "validation", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (valid), ==, 2);
  missing = vs_dataset_load (dir, "dev2", &error);
  g_assert_null (missing);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "train, validation, test"));
  g_clear_error (&error);

  /* A limit across files stops early. */
  {
    g_autoptr(VsDataset) lim = vs_dataset_load_limit (dir, "train", 250, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_dataset_get_n_rows (lim), ==, 250);
  }
}

static void
test_folder_subsets (void)
{
  /* all-nli's layout: one folder per subset, split files inside. */
  g_autofree char *p1 = test_write_temp ("nli/pair/train-00000-of-00001.jsonl",
                                         "{\"anchor\": \"a\", \"positive\": \"b\"}\n", -1);
  g_autofree char *p2 = test_write_temp ("nli/triplet/train-00000-of-00001.jsonl",
                                         "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n", -1);
  g_autofree char *p3 = test_write_temp ("nli/triplet/dev-00000-of-00001.jsonl",
                                         "{\"anchor\": \"d\", \"positive\": \"e\", \"negative\": \"f\"}\n", -1);
  g_autofree char *readme = test_write_temp ("nli/README.md", "---\n---\n", -1);
  g_autofree char *dir = g_path_get_dirname (readme);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) splits = vs_dataset_list_splits (dir, &error);
  g_autoptr(VsDataset) trip = NULL;
  g_autoptr(VsDataset) dev = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (splits), ==, 3);
  g_assert_cmpstr (splits[0], ==, "pair/train");
  g_assert_cmpstr (splits[1], ==, "triplet/train");
  g_assert_cmpstr (splits[2], ==, "triplet/validation");
  test_assert_load_fails (dir, NULL, "choose one of: pair/train, triplet/train, triplet/validation");
  trip = vs_dataset_load (dir, "triplet", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_columns (trip), ==, 3);
  g_assert_cmpstr (STR (trip, "negative", 0), ==, "c");
  dev = vs_dataset_load (dir, "triplet/validation", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (STR (dev, "anchor", 0), ==, "d");
}

static void
test_hub_cache_snapshot (void)
{
  /* huggingface_hub's cache: snapshots/<rev>/data/... are symlinks into blobs/. */
  g_autofree char *pq = vs_test_fixture_path ("data", "parquet/codec-gzip.parquet");
  g_autofree char *snap_file = test_write_temp ("hub/datasets--x--y/snapshots/0123abc/README.md", "# y\n", -1);
  g_autofree char *snap = g_path_get_dirname (snap_file);
  g_autofree char *data_dir = g_build_filename (snap, "data", NULL);
  g_autofree char *link = g_build_filename (data_dir, "train-00000-of-00001.parquet", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = NULL;

  copy_file (pq, "hub/datasets--x--y/blobs/5f3e9a");
  g_mkdir_with_parents (data_dir, 0700);
  g_assert_cmpint (symlink ("../../../blobs/5f3e9a", link), ==, 0);
  ds = vs_dataset_load (snap, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, 200);
  g_assert_cmpstr (vs_dataset_get_format (ds), ==, "parquet");
}

static void
test_parquet_conversion_layout (void)
{
  /* The Hub's Parquet conversion: {config}/{split}/NNNN.parquet. */
  g_autofree char *pq = vs_test_fixture_path ("data", "parquet/enc-dict-v2.parquet");
  g_autofree char *marker = test_write_temp ("conv/README.md", "", 0);
  g_autofree char *dir = g_path_get_dirname (marker);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) splits = NULL;
  g_autoptr(VsDataset) test = NULL;

  copy_file (pq, "conv/default/train/0000.parquet");
  copy_file (pq, "conv/default/train/0001.parquet");
  copy_file (pq, "conv/default/test/0000.parquet");
  splits = vs_dataset_list_splits (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (splits), ==, 2);
  g_assert_cmpstr (splits[0], ==, "train");
  g_assert_cmpstr (splits[1], ==, "test");
  test = vs_dataset_load (dir, "test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (test), ==, 200);
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *p1 = test_write_temp ("latin1.csv", "text,label\ncaf\xe9,1\n", -1);
  g_autofree char *p2 = test_write_temp ("latin1.jsonl", "{\"t\": \"ok\"}\n{\"t\": \"caf\xe9\"}\n", -1);

  test_assert_load_fails (p1, NULL, "latin1.csv: line 2: field 1 is not valid UTF-8");
  test_assert_load_fails (p2, NULL, "latin1.jsonl: line 2: not valid UTF-8");
}

static VsDataset *
small_dataset (void)
{
  VsDataset *ds = vs_dataset_new ();
  VsColumn *a = vs_dataset_add_column (ds, "anchor", VS_COLUMN_STRING, NULL);
  VsColumn *p = vs_dataset_add_column (ds, "positive", VS_COLUMN_STRING, NULL);
  VsColumn *l = vs_dataset_add_column (ds, "label", VS_COLUMN_INT64, NULL);
  const char *as[] = { "a", "b", "a", "c", "d", "a" };
  const char *ps[] = { "x", "y", "x", "z", "w", "q" };

  for (guint i = 0; i < G_N_ELEMENTS (as); i++)
    {
      vs_column_append_string (a, as[i]);
      vs_column_append_string (p, ps[i]);
      vs_column_append_int64 (l, i);
    }
  g_assert_true (vs_dataset_seal (ds, NULL));
  return ds;
}

static void
test_operations (void)
{
  g_autoptr(VsDataset) ds = small_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) dd = NULL, s1 = NULL, s2 = NULL, s3 = NULL, sl = NULL, sel = NULL;
  g_autoptr(VsDataset) train = NULL, eval = NULL, back = NULL;
  const char *key[] = { "anchor", "positive" };
  const char *names[] = { "positive", "anchor" };
  g_autofree char *out = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* dedup on (anchor, positive) drops row 2 only; on all columns nothing. */
  dd = vs_dataset_dedup (ds, key, 2);
  g_assert_cmpuint (vs_dataset_get_n_rows (dd), ==, 5);
  g_assert_cmpint (vs_column_get_int64 (vs_dataset_get_column_by_name (dd, "label"), 2), ==, 3);
  g_clear_pointer (&dd, vs_dataset_free);
  dd = vs_dataset_dedup (ds, NULL, 0);
  g_assert_cmpuint (vs_dataset_get_n_rows (dd), ==, 6);

  /* Seeded shuffle: same seed, same order; a permutation. */
  s1 = vs_dataset_shuffle (ds, 42);
  s2 = vs_dataset_shuffle (ds, 42);
  s3 = vs_dataset_shuffle (ds, 43);
  for (gsize r = 0; r < 6; r++)
    {
      gint64 v = vs_column_get_int64 (vs_dataset_get_column_by_name (s1, "label"), r);
      g_assert_cmpint (v, ==, vs_column_get_int64 (vs_dataset_get_column_by_name (s2, "label"), r));
      g_assert_true (g_hash_table_add (seen, (gpointer) STR (s1, "positive", r)) ||
                     strcmp (STR (s1, "positive", r), "x") == 0);
    }
  {
    gboolean differs = FALSE;
    for (gsize r = 0; r < 6; r++)
      differs |= vs_column_get_int64 (vs_dataset_get_column_by_name (s1, "label"), r) !=
                 vs_column_get_int64 (vs_dataset_get_column_by_name (s3, "label"), r);
    g_assert_true (differs);
  }

  sl = vs_dataset_slice (ds, 4, 10);
  g_assert_cmpuint (vs_dataset_get_n_rows (sl), ==, 2);
  g_assert_cmpstr (STR (sl, "anchor", 0), ==, "d");

  sel = vs_dataset_select_columns (ds, names, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (sel, 0)), ==, "positive");
  g_assert_null (vs_dataset_select_columns (ds, (const char *[]) { "nope" }, 1, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (vs_dataset_rename_column (sel, "positive", "document", &error));
  g_assert_false (vs_dataset_rename_column (sel, "document", "anchor", &error));
  g_clear_error (&error);

  /* Split: ratio 1/3 of 6 -> 2 eval rows, disjoint, covering all. */
  g_assert_true (vs_dataset_train_eval_split (ds, 1.0 / 3.0, 7, &train, &eval, &error));
  g_assert_cmpuint (vs_dataset_get_n_rows (eval), ==, 2);
  g_assert_cmpuint (vs_dataset_get_n_rows (train), ==, 4);
  {
    gint64 sum = 0;
    for (gsize r = 0; r < 4; r++)
      sum += vs_column_get_int64 (vs_dataset_get_column_by_name (train, "label"), r);
    for (gsize r = 0; r < 2; r++)
      sum += vs_column_get_int64 (vs_dataset_get_column_by_name (eval, "label"), r);
    g_assert_cmpint (sum, ==, 0 + 1 + 2 + 3 + 4 + 5);
  }
  g_assert_false (vs_dataset_train_eval_split (ds, 1.5, 7, &train, &eval, &error));
  g_clear_error (&error);

  /* JSON Lines round trip. */
  out = test_write_temp ("out/rows.jsonl", "", 0);
  g_assert_true (vs_dataset_save_jsonl (ds, out, &error));
  back = vs_dataset_load (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (back), ==, 6);
  g_assert_cmpstr (STR (back, "positive", 5), ==, "q");
  g_assert_cmpint (vs_column_get_int64 (vs_dataset_get_column_by_name (back, "label"), 5), ==, 5);
}

static void
test_format_cell (void)
{
  /* Python's str() forms, which NO_DUPLICATES compares. */
  g_autoptr(VsDataset) ds = vs_dataset_new ();
  VsColumn *f = vs_dataset_add_column (ds, "f", VS_COLUMN_FLOAT64, NULL);
  VsColumn *l = vs_dataset_add_column (ds, "l", VS_COLUMN_STRING_LIST, NULL);
  const char *items[] = { "it's", NULL, "b" };
  g_autofree char *c0 = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL;

  vs_column_append_double (f, 1.0);
  vs_column_append_double (f, 0.1);
  vs_column_append_string_list (l, items, 3);
  vs_column_append_null (l);
  c0 = vs_column_format_cell (f, 0);
  c1 = vs_column_format_cell (f, 1);
  c2 = vs_column_format_cell (l, 0);
  c3 = vs_column_format_cell (l, 1);
  g_assert_cmpstr (c0, ==, "1.0");
  g_assert_cmpstr (c1, ==, "0.1");
  g_assert_cmpstr (c2, ==, "[\"it's\", None, 'b']");
  g_assert_cmpstr (c3, ==, "None");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/real-files", test_real_files);
  g_test_add_func ("/text/csv/rfc4180", test_csv_rfc4180);
  g_test_add_func ("/text/csv/types-header", test_csv_types_and_header);
  g_test_add_func ("/text/csv/errors", test_csv_errors);
  g_test_add_func ("/text/tsv", test_tsv);
  g_test_add_func ("/text/gzip", test_gzip);
  g_test_add_func ("/text/jsonl/set", test_jsonl_set);
  g_test_add_func ("/text/json/layouts", test_json_layouts);
  g_test_add_func ("/text/json/errors", test_json_errors);
  g_test_add_func ("/text/folder-splits", test_folder_splits);
  g_test_add_func ("/text/folder-subsets", test_folder_subsets);
  g_test_add_func ("/text/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/text/hub-cache-snapshot", test_hub_cache_snapshot);
  g_test_add_func ("/text/parquet-conversion-layout", test_parquet_conversion_layout);
  g_test_add_func ("/text/operations", test_operations);
  g_test_add_func ("/text/format-cell", test_format_cell);
  return g_test_run ();
}
