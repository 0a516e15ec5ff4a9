/* test-mine.c: hard-negative mining against the PyTorch reference
 * (tests/reference/data_mine_reference.py): the same dataset and embeddings,
 * six option sets (defaults, n-tuple with range_min/range_max, absolute
 * margin + max_score, relative margin + min_score, euclidean similarity, too
 * few candidates). Rows must be identical, scores within 1e-6. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "data/vs-mine.h"
#include "test-common.h"
#include "vs-error.h"

static float *
embed (const cJSON *table,
       char       **texts,
       gsize        dim)
{
  gsize n = g_strv_length (texts);
  float *out = g_new (float, n * dim + 1);

  for (gsize i = 0; i < n; i++)
    {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive (table, texts[i]);
      g_assert_nonnull (v);
      g_assert_cmpuint ((gsize) cJSON_GetArraySize (v), ==, dim);
      for (gsize k = 0; k < dim; k++)
        out[i * dim + k] = (float) cJSON_GetArrayItem (v, (int) k)->valuedouble;
    }
  return out;
}

static double
opt_number (const cJSON *opts,
            const char  *key,
            double       fallback)
{
  const cJSON *v = cJSON_GetObjectItem (opts, key);

  return cJSON_IsNumber (v) ? v->valuedouble : fallback;
}

static void
test_reference (void)
{
  g_autofree char *pairs_path = vs_test_fixture_path ("data", "mine/pairs.jsonl");
  g_autofree char *emb_path = vs_test_fixture_path ("data", "mine/embeddings.json");
  g_autofree char *exp_path = vs_test_fixture_path ("data", "mine/expected.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (pairs_path, NULL, &error);
  cJSON *table = vs_test_load_json (emb_path);
  cJSON *expected = vs_test_load_json (exp_path);
  gsize dim = (gsize) cJSON_GetArraySize (table->child);
  const cJSON *c;
  double worst = 0;

  g_assert_no_error (error);
  cJSON_ArrayForEach (c, expected)
    {
      const cJSON *o = cJSON_GetObjectItem (c, "options");
      const cJSON *rows = cJSON_GetObjectItem (c, "rows");
      const cJSON *fmt = cJSON_GetObjectItem (o, "output_format");
      const cJSON *simj = cJSON_GetObjectItem (o, "similarity");
      VsMineOptions opts;
      g_auto(GStrv) queries = NULL;
      g_auto(GStrv) corpus = NULL;
      g_autofree float *qe = NULL, *ce = NULL;
      g_autoptr(VsDataset) out = NULL;
      const cJSON *row;
      gsize r = 0;

      vs_mine_options_init (&opts);
      opts.num_negatives = (guint) opt_number (o, "num_negatives", 3);
      opts.range_min = (guint) opt_number (o, "range_min", 0);
      opts.range_max = (int) opt_number (o, "range_max", -1);
      opts.absolute_margin = opt_number (o, "absolute_margin", NAN);
      opts.relative_margin = opt_number (o, "relative_margin", NAN);
      opts.max_score = opt_number (o, "max_score", NAN);
      opts.min_score = opt_number (o, "min_score", NAN);
      opts.n_tuple = cJSON_IsString (fmt) && strcmp (fmt->valuestring, "n-tuple") == 0;
      opts.include_scores = cJSON_IsTrue (cJSON_GetObjectItem (o, "include_scores"));

      g_assert_true (vs_mine_collect_texts (ds, &opts, &queries, &corpus, &error));
      qe = embed (table, queries, dim);
      ce = embed (table, corpus, dim);
      out = vs_mine_hard_negatives_with_embeddings (ds, qe, ce, dim,
                                                    cJSON_IsString (simj) ? simj->valuestring : NULL,
                                                    &opts, &error);
      if (cJSON_GetArraySize (rows) == 0)
        {
          g_assert_null (out);
          g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
          g_clear_error (&error);
          continue;
        }
      g_assert_no_error (error);
      g_test_message ("%s: %" G_GSIZE_FORMAT " rows (reference %d)", c->string,
                      vs_dataset_get_n_rows (out), cJSON_GetArraySize (rows));
      g_assert_cmpuint (vs_dataset_get_n_rows (out), ==, (gsize) cJSON_GetArraySize (rows));
      g_assert_cmpuint (vs_dataset_get_n_columns (out), ==, (guint) cJSON_GetArraySize (rows->child));
      cJSON_ArrayForEach (row, rows)
        {
          const cJSON *cell;
          cJSON_ArrayForEach (cell, row)
            {
              const VsColumn *col = vs_dataset_get_column_by_name (out, cell->string);
              g_assert_nonnull (col);
              if (cJSON_IsString (cell))
                g_assert_cmpstr (vs_column_get_string (col, r), ==, cell->valuestring);
              else
                {
                  double d = fabs (vs_column_get_double (col, r) - cell->valuedouble);
                  worst = MAX (worst, d);
                  if (!(d <= 1e-6 + 1e-6 * fabs (cell->valuedouble)))
                    g_error ("%s: row %" G_GSIZE_FORMAT ", %s: %.9g vs reference %.9g", c->string, r,
                             cell->string, vs_column_get_double (col, r), cell->valuedouble);
                }
            }
          r++;
        }
    }
  g_test_message ("worst score difference %.3g (tolerance 1e-6 + 1e-6*|ref|)", worst);
  cJSON_Delete (table);
  cJSON_Delete (expected);
}

static void
test_random_sampling (void)
{
  /* "random": seeded, negatives drawn from the valid candidates (never a
   * positive of the anchor), sorted by score; another seed, another draw. */
  g_autofree char *pairs_path = vs_test_fixture_path ("data", "mine/pairs.jsonl");
  g_autofree char *emb_path = vs_test_fixture_path ("data", "mine/embeddings.json");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (pairs_path, NULL, &error);
  cJSON *table = vs_test_load_json (emb_path);
  gsize dim = (gsize) cJSON_GetArraySize (table->child);
  VsMineOptions opts;
  g_auto(GStrv) queries = NULL;
  g_auto(GStrv) corpus = NULL;
  g_autofree float *qe = NULL, *ce = NULL;
  g_autoptr(VsDataset) a = NULL, b = NULL, c = NULL;
  gboolean differs = FALSE;

  vs_mine_options_init (&opts);
  opts.sample_random = TRUE;
  opts.n_tuple = TRUE;
  opts.include_scores = TRUE;
  opts.range_max = 12;
  opts.seed = 1;
  g_assert_true (vs_mine_collect_texts (ds, &opts, &queries, &corpus, &error));
  qe = embed (table, queries, dim);
  ce = embed (table, corpus, dim);
  a = vs_mine_hard_negatives_with_embeddings (ds, qe, ce, dim, NULL, &opts, &error);
  b = vs_mine_hard_negatives_with_embeddings (ds, qe, ce, dim, NULL, &opts, &error);
  opts.seed = 2;
  c = vs_mine_hard_negatives_with_embeddings (ds, qe, ce, dim, NULL, &opts, &error);
  g_assert_no_error (error);
  for (gsize r = 0; r < vs_dataset_get_n_rows (a); r++)
    {
      const char *anchor = vs_column_get_string (vs_dataset_get_column (a, 0), r);
      for (guint j = 1; j <= 3; j++)
        {
          g_autofree char *name = g_strdup_printf ("negative_%u", j);
          g_autofree char *sname = g_strdup_printf ("negative_%u_score", j);
          const char *neg = vs_column_get_string (vs_dataset_get_column_by_name (a, name), r);
          g_assert_cmpstr (neg, ==, vs_column_get_string (vs_dataset_get_column_by_name (b, name), r));
          differs |= strcmp (neg, vs_column_get_string (vs_dataset_get_column_by_name (c, name), r)) != 0;
          /* never one of the anchor's positives */
          for (gsize k = 0; k < vs_dataset_get_n_rows (ds); k++)
            if (strcmp (vs_column_get_string (vs_dataset_get_column (ds, 0), k), anchor) == 0)
              g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column (ds, 1), k), !=, neg);
          if (j > 1)
            {
              g_autofree char *prev = g_strdup_printf ("negative_%u_score", j - 1);
              g_assert_cmpfloat (vs_column_get_double (vs_dataset_get_column_by_name (a, prev), r), >=,
                                 vs_column_get_double (vs_dataset_get_column_by_name (a, sname), r));
            }
        }
    }
  g_assert_true (differs);
  cJSON_Delete (table);
}

static int
run_cli (GPtrArray *args,
         char     **err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_insert (args, 0, (gpointer) g_getenv ("VS_CLI"));
  g_ptr_array_add (args, NULL);
  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err,
                &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_cli_end_to_end (void)
{
  /* new-model (tiny BERT, seed 7) + mine-negatives against the reference
   * made from `encode --normalize` embeddings and torch.topk
   * (data_mine_e2e_reference.py). A different negative is accepted only
   * where the two candidates' scores tie within 1e-5 (thread-count
   * rounding); scores within 1e-5. */
  g_autofree char *exp_path = vs_test_fixture_path ("data", "mine/e2e-expected.json");
  g_autofree char *pairs = vs_test_fixture_path ("data", "mine/snli-pairs.jsonl");
  g_autofree char *tok = test_shared_path ("models/all-MiniLM-L6-v2");
  g_autofree char *marker = test_write_temp ("e2e/marker", "", 0);
  g_autofree char *dir = g_path_get_dirname (marker);
  g_autofree char *model = g_build_filename (dir, "tiny", NULL);
  cJSON *expected = vs_test_load_json (exp_path);
  const cJSON *margs = cJSON_GetObjectItem (expected, "model_args");
  const cJSON *c, *a;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *err = NULL;
  guint n_case = 0, ties = 0;

  if (g_getenv ("VS_CLI") == NULL)
    {
      g_test_skip ("VS_CLI not set");
      cJSON_Delete (expected);
      return;
    }
  g_ptr_array_add (args, (gpointer) "new-model");
  cJSON_ArrayForEach (a, margs)
    g_ptr_array_add (args, a->valuestring);
  g_ptr_array_add (args, (gpointer) "--tokenizer");
  g_ptr_array_add (args, tok);
  g_ptr_array_add (args, model);
  g_assert_cmpint (run_cli (args, &err), ==, 0);

  cJSON_ArrayForEach (c, cJSON_GetObjectItem (expected, "cases"))
    {
      g_autofree char *out = g_strdup_printf ("%s/mined-%u.jsonl", dir, n_case++);
      g_autoptr(GPtrArray) margv = g_ptr_array_new ();
      g_autofree char *merr = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(VsDataset) ds = NULL;
      const cJSON *rows = cJSON_GetObjectItem (c, "rows");
      const cJSON *row;
      gsize r = 0;

      g_ptr_array_add (margv, (gpointer) "mine-negatives");
      g_ptr_array_add (margv, model);
      g_ptr_array_add (margv, pairs);
      g_ptr_array_add (margv, (gpointer) "-o");
      g_ptr_array_add (margv, out);
      cJSON_ArrayForEach (a, cJSON_GetObjectItem (c, "flags"))
        g_ptr_array_add (margv, a->valuestring);
      g_assert_cmpint (run_cli (margv, &merr), ==, 0);
      ds = vs_dataset_load (out, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, (gsize) cJSON_GetArraySize (rows));
      cJSON_ArrayForEach (row, rows)
        {
          const cJSON *cell;
          cJSON_ArrayForEach (cell, row)
            {
              const VsColumn *col = vs_dataset_get_column_by_name (ds, cell->string);
              g_assert_nonnull (col);
              if (cJSON_IsNumber (cell))
                g_assert_cmpfloat_with_epsilon (vs_column_get_double (col, r), cell->valuedouble, 1e-5);
              else if (strcmp (vs_column_get_string (col, r), cell->valuestring) != 0)
                {
                  /* Only a negative may differ, and only on a tie. */
                  g_autofree char *sname = g_strdup_printf ("%s_score", cell->string);
                  const cJSON *es = cJSON_GetObjectItem (row, strcmp (cell->string, "negative") == 0 ?
                                                         "negative_score" : sname);
                  g_assert_true (g_str_has_prefix (cell->string, "negative"));
                  g_assert_nonnull (es);
                  ties++;
                }
            }
          r++;
        }
    }
  {
    /* Usage (no -o) exits 2; a missing model exits 1 naming it. */
    g_autoptr(GPtrArray) u = g_ptr_array_new ();
    g_autoptr(GPtrArray) m = g_ptr_array_new ();
    g_autofree char *uerr = NULL, *merr = NULL;
    g_ptr_array_add (u, (gpointer) "mine-negatives");
    g_ptr_array_add (u, model);
    g_ptr_array_add (u, pairs);
    g_assert_cmpint (run_cli (u, &uerr), ==, 2);
    g_ptr_array_add (m, (gpointer) "mine-negatives");
    g_ptr_array_add (m, (gpointer) "/nonexistent-model");
    g_ptr_array_add (m, pairs);
    g_ptr_array_add (m, (gpointer) "-o");
    g_ptr_array_add (m, marker);
    g_assert_cmpint (run_cli (m, &merr), ==, 1);
    g_assert_true (g_str_has_prefix (merr, "vectorsmith-cli mine-negatives: "));
    g_assert_nonnull (strstr (merr, "nonexistent-model"));
  }
  g_test_message ("%u negatives differed on a score tie", ties);
  g_assert_cmpuint (ties, <=, 2);
  cJSON_Delete (expected);
}

static void
test_errors (void)
{
  g_autoptr(VsDataset) ds = vs_dataset_new ();
  VsColumn *a = vs_dataset_add_column (ds, "a", VS_COLUMN_STRING, NULL);
  VsColumn *n = vs_dataset_add_column (ds, "n", VS_COLUMN_INT64, NULL);
  VsMineOptions opts;
  g_auto(GStrv) q = NULL;
  g_auto(GStrv) c = NULL;
  g_autoptr(GError) error = NULL;

  vs_column_append_string (a, "x");
  vs_column_append_int64 (n, 1);
  vs_mine_options_init (&opts);
  g_assert_false (vs_mine_collect_texts (ds, &opts, &q, &c, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  opts.positive_column = "missing";
  g_assert_false (vs_mine_collect_texts (ds, &opts, &q, &c, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mine/reference", test_reference);
  g_test_add_func ("/mine/random", test_random_sampling);
  g_test_add_func ("/mine/errors", test_errors);
  g_test_add_func ("/mine/cli-end-to-end", test_cli_end_to_end);
  return g_test_run ();
}
