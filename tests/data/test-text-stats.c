/* test-text-stats.c: token lengths of a real dataset against the tokenizer.
 *
 * Every count vs_text_stats_compute reports is checked against
 * vs_tokenizer_encode on the same cells (all-MiniLM-L6-v2's tokenizer on
 * the STS-B images/track5 training rows), as are the number of rows over a
 * maximum length, the histogram's total, and an evenly spaced sample.
 */
#include "config.h"

#include "vs-error.h"
#include "data/vs-text-stats.h"

#include "test-common.h"

static VsTokenizer *
load_tokenizer (void)
{
  g_autofree char *dir = test_shared_path ("models/all-MiniLM-L6-v2");
  g_autoptr(GError) error = NULL;
  VsTokenizer *tok = vs_tokenizer_new_from_path (dir, &error);

  g_assert_no_error (error);
  return tok;
}

static VsDataset *
load_stsb (void)
{
  g_autofree char *path = test_shared_path ("datasets/stsb/sts-train.images+track5.csv");
  g_autoptr(GError) error = NULL;
  VsDataset *ds = vs_dataset_load (path, NULL, &error);

  g_assert_no_error (error);
  return ds;
}

static guint
tokens (VsTokenizer *tok,
        const char  *text)
{
  g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, text, NULL, TRUE, G_MAXSIZE);

  return (guint) enc->n_tokens;
}

static void
test_counts (void)
{
  g_autoptr(VsTokenizer) tok = load_tokenizer ();
  g_autoptr(VsDataset) ds = load_stsb ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTextStats) st = NULL;
  const char *cols[] = { "column5", "column6" };
  const VsColumn *a = vs_dataset_get_column_by_name (ds, "column5");
  const VsColumn *b = vs_dataset_get_column_by_name (ds, "column6");
  gsize limit = 16, over = 0;
  guint64 total = 0;
  guint max_seen = 0;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  st = vs_text_stats_compute (ds, cols, 2, tok, limit, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (st->n_rows, ==, vs_dataset_get_n_rows (ds));
  g_assert_cmpuint (st->n_total_rows, ==, st->n_rows);
  g_assert_false (st->sampled);

  for (gsize r = 0; r < st->n_rows; r++)
    {
      guint expected = MAX (tokens (tok, vs_column_get_string (a, r)),
                            tokens (tok, vs_column_get_string (b, r)));

      g_assert_cmpuint (st->rows[r], ==, r);
      g_assert_cmpuint (st->counts[r], ==, expected);
      if (expected > limit)
        over++;
      max_seen = MAX (max_seen, expected);
    }
  /* The first row by hand: "Two green and white trains sitting on the tracks."
   * is [CLS] two green and white trains sitting on the tracks . [SEP]. */
  g_assert_cmpuint (tokens (tok, vs_column_get_string (a, 0)), ==, 12);
  g_assert_cmpuint (st->counts[0], ==, 12);

  g_assert_cmpuint (st->n_over, ==, over);
  g_assert_cmpuint (over, >, 0);
  g_assert_cmpuint (st->max_tokens, ==, max_seen);
  g_assert_cmpuint (st->min_tokens, <=, st->max_tokens);
  g_assert_cmpuint (st->n_bins, ==, 10);
  g_assert_cmpuint (st->bin_width * st->n_bins, >, st->max_tokens);
  for (guint i = 0; i < st->n_bins; i++)
    total += st->bins[i];
  g_assert_cmpuint (total, ==, st->n_rows);
  g_test_message ("%zu rows: %u..%u tokens (mean %.1f), %zu over %zu",
                  st->n_rows, st->min_tokens, st->max_tokens, st->mean_tokens,
                  st->n_over, limit);
}

static void
test_sample (void)
{
  g_autoptr(VsTokenizer) tok = load_tokenizer ();
  g_autoptr(VsDataset) ds = load_stsb ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTextStats) st = NULL;
  const VsColumn *a = vs_dataset_get_column_by_name (ds, "column5");

  st = vs_text_stats_compute (ds, (const char *[]) { "column5" }, 1, tok, 0, 100, 4, &error);
  g_assert_no_error (error);
  g_assert_true (st->sampled);
  g_assert_cmpuint (st->n_rows, ==, 100);
  g_assert_cmpuint (st->n_over, ==, 0);
  for (gsize k = 0; k < st->n_rows; k++)
    {
      if (k > 0)
        g_assert_cmpuint (st->rows[k], >, st->rows[k - 1]);
      g_assert_cmpuint (st->counts[k], ==, tokens (tok, vs_column_get_string (a, st->rows[k])));
    }
  /* Spread over the whole table, not its head. */
  g_assert_cmpuint (st->rows[99], >=, vs_dataset_get_n_rows (ds) * 98 / 100);
}

static void
test_errors (void)
{
  g_autoptr(VsTokenizer) tok = load_tokenizer ();
  g_autoptr(VsDataset) ds = load_stsb ();
  g_autoptr(GError) error = NULL;
  VsTextStats *st;

  st = vs_text_stats_compute (ds, (const char *[]) { "nope" }, 1, tok, 0, 0, 4, &error);
  g_assert_null (st);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);

  st = vs_text_stats_compute (ds, (const char *[]) { "column4" }, 1, tok, 0, 0, 4, &error);
  g_assert_null (st);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "column4"));
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/data/text-stats/counts", test_counts);
  g_test_add_func ("/data/text-stats/sample", test_sample);
  g_test_add_func ("/data/text-stats/errors", test_errors);
  return g_test_run ();
}
