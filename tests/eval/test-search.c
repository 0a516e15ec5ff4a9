/* test-search.c: cosine matrices and semantic search against hand-checked
 * cases (util.cos_sim / util.semantic_search semantics: normalise with
 * max(‖x‖, 1e-12), top-k by score, ties by lower corpus index) and
 * against a brute-force double-precision sort over random data. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "data/vs-dataset.h"
#include "eval/vs-search.h"

static void
test_cosine_hand (void)
{
  /* (1,0), (0,2), (3,3), (0,0) */
  const float a[] = { 1, 0,  0, 2,  3, 3,  0, 0 };
  float out[16];
  gsize i, j;

  vs_cosine_matrix (a, 4, a, 4, 2, out);
  g_assert_cmpfloat_with_epsilon (out[0 * 4 + 0], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[0 * 4 + 1], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[0 * 4 + 2], M_SQRT1_2, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[1 * 4 + 2], M_SQRT1_2, 1e-7);
  /* a zero vector has cosine 0 with everything (torch's eps), never NaN */
  for (i = 0; i < 4; i++)
    g_assert_cmpfloat (out[3 * 4 + i], ==, 0.0);
  /* symmetric */
  for (i = 0; i < 4; i++)
    for (j = 0; j < 4; j++)
      g_assert_cmpfloat (out[i * 4 + j], ==, out[j * 4 + i]);
  g_assert_true (vs_matrix_most_similar (out, 4, &i, &j));
  g_assert_cmpuint (i, ==, 0);
  g_assert_cmpuint (j, ==, 2);   /* 0.707 with (3,3); (1,2) ties later in row order */
  g_assert_false (vs_matrix_most_similar (out, 1, NULL, NULL));
}

static void
test_search_ties (void)
{
  /* corpus rows 1 and 3 are the same direction as the query: a tie, lower index first */
  const float corpus[] = { 0, 1,  2, 0,  -1, 0,  5, 0,  1, 1 };
  const float q[] = { 1, 0,  0, -3 };
  gsize k = 0;
  g_autofree VsSearchHit *hits = vs_semantic_search (q, 2, corpus, 5, 2, 3, FALSE, &k);

  g_assert_cmpuint (k, ==, 3);
  g_assert_cmpuint (hits[0].corpus_id, ==, 1);
  g_assert_cmpuint (hits[1].corpus_id, ==, 3);
  g_assert_cmpuint (hits[2].corpus_id, ==, 4);
  g_assert_cmpfloat_with_epsilon (hits[2].score, M_SQRT1_2, 1e-7);
  /* second query (0,-1): rows 1, 2, 3 all score 0; row 0 scores -1, row 4 -0.707 */
  g_assert_cmpuint (hits[3].corpus_id, ==, 1);
  g_assert_cmpuint (hits[4].corpus_id, ==, 2);
  g_assert_cmpuint (hits[5].corpus_id, ==, 3);
  g_clear_pointer (&hits, g_free);

  /* top_k above the corpus size: every row */
  hits = vs_semantic_search (q, 1, corpus, 5, 2, 50, FALSE, &k);
  g_assert_cmpuint (k, ==, 5);
  g_assert_cmpuint (hits[4].corpus_id, ==, 2);   /* (-1, 0): the farthest */
  g_clear_pointer (&hits, g_free);
  g_assert_null (vs_semantic_search (q, 1, corpus, 0, 2, 5, FALSE, &k));
  g_assert_cmpuint (k, ==, 0);
}

static int
cmp_ref (gconstpointer pa,
         gconstpointer pb,
         gpointer      data)
{
  const double *s = data;
  gsize a = *(const gsize *) pa, b = *(const gsize *) pb;

  if (s[a] != s[b])
    return s[a] > s[b] ? -1 : 1;
  return a < b ? -1 : a > b;
}

static void
test_search_random (void)
{
  const gsize n_q = 7, n_c = 300, D = 24, K = 10;
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  g_autofree float *q = g_new (float, n_q * D);
  g_autofree float *c = g_new (float, n_c * D);
  g_autofree float *unit = NULL;
  g_autofree VsSearchHit *hits = NULL;
  g_autofree VsSearchHit *hits_unit = NULL;
  g_autofree float *sims = g_new (float, n_q * n_c);
  gsize k = 0, k2 = 0;

  for (gsize i = 0; i < n_q * D; i++)
    q[i] = (float) g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < n_c * D; i++)
    c[i] = (float) g_rand_double_range (rand, -1, 1);
  hits = vs_semantic_search (q, n_q, c, n_c, D, K, FALSE, &k);
  unit = vs_normalize_rows (c, n_c, D);
  hits_unit = vs_semantic_search (q, n_q, unit, n_c, D, K, TRUE, &k2);
  vs_cosine_matrix (q, n_q, c, n_c, D, sims);
  g_assert_cmpuint (k, ==, K);
  g_assert_cmpuint (k2, ==, K);
  for (gsize i = 0; i < n_q; i++)
    {
      g_autofree double *s = g_new (double, n_c);
      g_autofree gsize *order = g_new (gsize, n_c);
      double nq = 0;

      for (gsize t = 0; t < D; t++)
        nq += (double) q[i * D + t] * q[i * D + t];
      for (gsize j = 0; j < n_c; j++)
        {
          double d = 0, nc = 0;

          for (gsize t = 0; t < D; t++)
            {
              d += (double) q[i * D + t] * c[j * D + t];
              nc += (double) c[j * D + t] * c[j * D + t];
            }
          s[j] = d / (sqrt (nq) * sqrt (nc));
          order[j] = j;
          g_assert_cmpfloat_with_epsilon (sims[i * n_c + j], s[j], 1e-6);
        }
      g_qsort_with_data (order, (gint) n_c, sizeof (gsize), cmp_ref, s);
      for (gsize r = 0; r < K; r++)
        {
          g_assert_cmpuint (hits[i * K + r].corpus_id, ==, order[r]);
          g_assert_cmpuint (hits_unit[i * K + r].corpus_id, ==, order[r]);
          g_assert_cmpfloat_with_epsilon (hits[i * K + r].score, s[order[r]], 1e-6);
        }
    }
}

static void
test_corpus_texts (void)
{
  g_autoptr(VsDataset) ds = vs_dataset_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GArray) rows = NULL;
  VsColumn *a = vs_dataset_add_column (ds, "a", VS_COLUMN_STRING, NULL);
  VsColumn *b = vs_dataset_add_column (ds, "b", VS_COLUMN_STRING, NULL);
  VsColumn *s = vs_dataset_add_column (ds, "score", VS_COLUMN_FLOAT64, NULL);

  vs_column_append_string (a, "x");  vs_column_append_string (b, "y");  vs_column_append_double (s, 1);
  vs_column_append_string (a, "x");  vs_column_append_string (b, NULL); vs_column_append_double (s, 2);
  vs_column_append_string (a, "z");  vs_column_append_string (b, "x");  vs_column_append_double (s, 3);
  g_assert_true (vs_dataset_seal (ds, &error));
  g_assert_no_error (error);

  texts = vs_search_corpus_texts (ds, NULL, &rows, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (texts->len, ==, 3);
  g_assert_cmpstr (texts->pdata[0], ==, "x");
  g_assert_cmpstr (texts->pdata[1], ==, "z");
  g_assert_cmpstr (texts->pdata[2], ==, "y");
  g_assert_cmpuint (g_array_index (rows, gsize, 1), ==, 2);
  g_assert_cmpuint (g_array_index (rows, gsize, 2), ==, 0);
  g_clear_pointer (&texts, g_ptr_array_unref);

  texts = vs_search_corpus_texts (ds, "nope", NULL, &error);
  g_assert_null (texts);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "“nope”"));
  g_assert_nonnull (strstr (error->message, "a, b, score"));
  g_clear_error (&error);
  texts = vs_search_corpus_texts (ds, "score", NULL, &error);
  g_assert_null (texts);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "“score”"));
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eval/search/cosine-hand", test_cosine_hand);
  g_test_add_func ("/eval/search/ties", test_search_ties);
  g_test_add_func ("/eval/search/random", test_search_random);
  g_test_add_func ("/eval/search/corpus-texts", test_corpus_texts);
  return g_test_run ();
}
