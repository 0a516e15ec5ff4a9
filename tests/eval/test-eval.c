/* test-eval.c: evaluators against hand-checked cases and against
 * tests/reference/eval_reference.py (numpy, scipy/sklearn-free), whose
 * output is fixtures/eval_cases.json. Metrics match within
 * |c - ref| <= ATOL + RTOL·|ref| and the key sets are identical. */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "eval/vs-evaluator.h"

#define RTOL 1e-6
#define ATOL 1e-9

static cJSON *fixture;

static float *
floats (const cJSON *arr)
{
  gsize n = cJSON_GetArraySize (arr);
  float *out = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    out[i] = (float) cJSON_GetArrayItem (arr, i)->valuedouble;
  return out;
}

static void
assert_metric (const cJSON *m,
               const char  *k,
               double       expected,
               double       tol)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (m, k);
  if (!cJSON_IsNumber (v))
    g_error ("metric %s missing", k);
  if (fabs (v->valuedouble - expected) > tol)
    g_error ("metric %s = %.9g, expected %.9g", k, v->valuedouble, expected);
}

static void
test_spearman_ties (void)
{
  const double x[] = { 1, 2, 2, 3 };
  const double y[] = { 1, 3, 2, 4 };
  const double c[] = { 5, 5, 5, 5 };
  /* ranks x = 1, 2.5, 2.5, 4: Pearson on ranks = 4.5 / sqrt (4.5 · 5) */
  g_assert_cmpfloat (fabs (vs_eval_spearman (x, y, 4) - 4.5 / sqrt (22.5)), <, 1e-12);
  g_assert_cmpfloat (fabs (vs_eval_pearson (x, x, 4) - 1.0), <, 1e-12);
  g_assert_true (isnan (vs_eval_pearson (x, c, 4)));
  g_assert_true (isnan (vs_eval_spearman (c, y, 4)));
}

/* Four 2-D pairs with cosines 0.9 (1), 0.8 (0), 0.7 (1), 0.1 (0). */
static void
test_binary_hand (void)
{
  const double cosv[] = { 0.9, 0.8, 0.7, 0.1 };
  const float labels[] = { 1, 0, 1, 0 };
  float a[8], b[8];
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;
  VsEvalOptions opts = { VS_EVAL_FN_COSINE, 0, NULL, FALSE };

  for (int i = 0; i < 4; i++)
    {
      a[2 * i] = 1;
      a[2 * i + 1] = 0;
      b[2 * i] = (float) cosv[i];
      b[2 * i + 1] = (float) sqrt (1 - cosv[i] * cosv[i]);
    }
  cJSON *m = vs_eval_binary (a, b, labels, 4, 2, &opts, &primary, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (primary, ==, "cosine_ap");
  assert_metric (m, "cosine_accuracy", 0.75, 1e-12);
  assert_metric (m, "cosine_accuracy_threshold", 0.85, 1e-6);
  assert_metric (m, "cosine_f1", 0.8, 1e-12);
  assert_metric (m, "cosine_f1_threshold", 0.4, 1e-6);
  assert_metric (m, "cosine_precision", 2.0 / 3, 1e-12);
  assert_metric (m, "cosine_recall", 1.0, 1e-12);
  assert_metric (m, "cosine_ap", 0.5 + 0.5 * 2.0 / 3, 1e-12);
  assert_metric (m, "cosine_mcc", 2.0 / sqrt (12.0), 1e-12);
  g_assert_cmpint (cJSON_GetArraySize (m), ==, 8);
  cJSON_Delete (m);

  /* labels must be 0/1 */
  const float bad[] = { 1, 0, 2, 0 };
  g_assert_null (vs_eval_binary (a, b, bad, 4, 2, &opts, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
}

/* sentence-transformers' golden test: 5 queries, one-hot embeddings; q5 has
 * two relevant documents, both retrieved at ranks 1 and 2. Expected:
 * precision@3 = 0.4, recall@1 = 0.9, every other metric checked = 1. */
static void
test_retrieval_golden (void)
{
  enum { D = 6, NQ = 5, NC = 6 };
  float q[NQ * D] = { 0 }, c[NC * D] = { 0 };
  const gint64 r0[] = { 0, -1 }, r1[] = { 1, -1 }, r2[] = { 2, -1 }, r3[] = { 3, -1 }, r4[] = { 4, 5, -1 };
  const gint64 *rel[NQ] = { r0, r1, r2, r3, r4 };
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;

  for (int i = 0; i < NQ; i++)
    q[i * D + i] = 1;
  for (int i = 0; i < 5; i++)
    c[i * D + i] = 1;
  c[5 * D + 4] = 1;
  c[5 * D + 5] = 0.1f;
  cJSON *m = vs_eval_retrieval (q, NQ, c, NC, D, rel, NULL, NULL, &primary, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (primary, ==, "cosine_ndcg@10");
  assert_metric (m, "cosine_precision@3", 0.4, 1e-12);
  assert_metric (m, "cosine_recall@1", 0.9, 1e-12);
  const char *ones[] = { "cosine_accuracy@1", "cosine_accuracy@3", "cosine_accuracy@5",
                         "cosine_accuracy@10", "cosine_precision@1", "cosine_recall@3",
                         "cosine_recall@5", "cosine_recall@10", "cosine_mrr@10", "cosine_ndcg@10",
                         "cosine_map@100" };
  for (gsize i = 0; i < G_N_ELEMENTS (ones); i++)
    assert_metric (m, ones[i], 1.0, 1e-12);
  g_assert_cmpint (cJSON_GetArraySize (m), ==, 4 + 4 + 4 + 1 + 1 + 1);
  cJSON_Delete (m);

  /* a relevant id outside the corpus is an error */
  const gint64 bad[] = { 7, -1 };
  const gint64 *rel_bad[NQ] = { bad, r1, r2, r3, r4 };
  g_assert_null (vs_eval_retrieval (q, NQ, c, NC, D, rel_bad, NULL, NULL, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  const gint64 none[] = { -1 };
  const gint64 *rel_none[NQ] = { none, none, none, none, none };
  g_assert_null (vs_eval_retrieval (q, NQ, c, NC, D, rel_none, NULL, NULL, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
}

static void
test_triplet_and_similarity_hand (void)
{
  /* anchor (1,0); positive closer than negative in rows 0 and 1, not in row 2 */
  const float a[] = { 1, 0, 1, 0, 1, 0 };
  const float p[] = { 1, 0.1f, 0.9f, 0.5f, 0, 1 };
  const float n[] = { 0, 1, -1, 0, 1, 0.2f };
  g_autofree char *primary = NULL;
  VsEvalOptions opts = { VS_EVAL_FN_ALL, 0, "dev", FALSE };
  cJSON *m = vs_eval_triplet (a, p, n, 3, 2, &opts, &primary, NULL);
  g_assert_cmpstr (primary, ==, "dev_max_accuracy");
  assert_metric (m, "dev_cosine_accuracy", 2.0 / 3, 1e-12);
  assert_metric (m, "dev_euclidean_accuracy", 2.0 / 3, 1e-12);
  assert_metric (m, "dev_max_accuracy", 2.0 / 3, 1e-12);
  g_assert_cmpint (cJSON_GetArraySize (m), ==, 5);
  cJSON_Delete (m);

  /* similarity: scores equal to the cosine itself give 1 */
  const float x[] = { 1, 0, 1, 0, 1, 0, 1, 0 };
  const float y[] = { 1, 0, 1, 1, 0, 1, -1, 0.5f };
  float gold[4];
  for (int i = 0; i < 4; i++)
    gold[i] = y[2 * i] / sqrtf (y[2 * i] * y[2 * i] + y[2 * i + 1] * y[2 * i + 1]);
  VsEvalOptions cos_only = { 0, 0, NULL, FALSE };
  g_autoptr(GError) error = NULL;
  g_free (primary);
  primary = NULL;
  m = vs_eval_similarity (x, y, gold, 4, 2, &cos_only, &primary, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (primary, ==, "spearman_cosine");
  assert_metric (m, "pearson_cosine", 1.0, 1e-6);
  assert_metric (m, "spearman_cosine", 1.0, 1e-12);
  cJSON_Delete (m);
  /* constant gold scores: correlation undefined -> null, not NaN */
  const float flat[] = { 1, 1, 1, 1 };
  m = vs_eval_similarity (x, y, flat, 4, 2, &cos_only, NULL, &error);
  g_assert_true (cJSON_IsNull (cJSON_GetObjectItem (m, "spearman_cosine")));
  g_autofree char *text = cJSON_PrintUnformatted (m);
  g_assert_null (strstr (text, "nan"));
  cJSON_Delete (m);
  /* invalid input */
  g_assert_null (vs_eval_similarity (x, y, gold, 1, 2, &cos_only, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  VsEvalOptions too_wide = { 0, 3, NULL, FALSE };
  g_assert_null (vs_eval_similarity (x, y, gold, 4, 2, &too_wide, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (vs_eval_parse_functions ("cosine,manhattan", NULL), ==,
                    VS_EVAL_FN_COSINE | VS_EVAL_FN_MANHATTAN);
  g_assert_cmpuint (vs_eval_parse_functions ("all", NULL), ==, VS_EVAL_FN_ALL);
  g_assert_cmpuint (vs_eval_parse_functions ("cos", &error), ==, 0);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
}

static guint *
uint_list (const cJSON *arr,
           gsize       *n)
{
  *n = cJSON_GetArraySize (arr);
  guint *out = g_new (guint, MAX (*n, 1));
  for (gsize i = 0; i < *n; i++)
    out[i] = (guint) cJSON_GetArrayItem (arr, i)->valuedouble;
  return out;
}

static void
test_against_reference (void)
{
  const cJSON *cases = cJSON_GetObjectItem (fixture, "cases");
  const cJSON *inputs = cJSON_GetObjectItem (fixture, "inputs");
  const cJSON *cs;
  gsize n_metrics = 0, n_bad = 0;
  double worst = 0;
  char *worst_key = NULL;

  cJSON_ArrayForEach (cs, cases)
    {
      const char *kind = cJSON_GetObjectItem (cs, "kind")->valuestring;
      const cJSON *in = cJSON_GetArrayItem (inputs, (int) cJSON_GetObjectItem (cs, "inputs")->valuedouble);
      const cJSON *opt = cJSON_GetObjectItem (cs, "options");
      const cJSON *expected = cJSON_GetObjectItem (cs, "expected");
      const cJSON *f;
      g_autoptr(GError) error = NULL;
      g_autofree float *a = floats (cJSON_GetObjectItem (in, "a"));
      g_autofree float *b = floats (cJSON_GetObjectItem (in, "b"));
      gsize n = (gsize) cJSON_GetObjectItem (in, "n")->valuedouble;
      gsize dim = (gsize) cJSON_GetObjectItem (in, "dim")->valuedouble;
      VsEvalOptions o = { 0, (gsize) cJSON_GetObjectItem (opt, "truncate_dim")->valuedouble,
                          cJSON_GetObjectItem (opt, "name")->valuestring, FALSE };
      cJSON *m = NULL;

      cJSON_ArrayForEach (f, cJSON_GetObjectItem (opt, "functions"))
        o.functions |= vs_eval_parse_functions (f->valuestring, NULL);

      if (strcmp (kind, "similarity") == 0 || strcmp (kind, "binary") == 0)
        {
          g_autofree float *labels = floats (cJSON_GetObjectItem (in, "labels"));
          m = (kind[0] == 's' ? vs_eval_similarity : vs_eval_binary) (a, b, labels, n, dim, &o, NULL, &error);
        }
      else if (strcmp (kind, "triplet") == 0)
        {
          g_autofree float *c = floats (cJSON_GetObjectItem (in, "c"));
          m = vs_eval_triplet (a, b, c, n, dim, &o, NULL, &error);
        }
      else
        {
          const cJSON *rel = cJSON_GetObjectItem (in, "relevant");
          gsize nc = (gsize) cJSON_GetObjectItem (in, "n_corpus")->valuedouble;
          g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func (g_free);
          const cJSON *kk = cJSON_GetObjectItem (opt, "k");
          VsEvalRetrievalK ks = { 0 };
          g_autofree guint *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL, *k5 = NULL;
          for (gsize q = 0; q < n; q++)
            {
              const cJSON *r = cJSON_GetArrayItem (rel, q);
              gint64 *l = g_new (gint64, cJSON_GetArraySize (r) + 1);
              gsize m_ = 0;
              const cJSON *e;
              cJSON_ArrayForEach (e, r)
                l[m_++] = (gint64) e->valuedouble;
              l[m_] = -1;
              g_ptr_array_add (lists, l);
            }
          if (kk != NULL)
            {
              ks.mrr_at_k = k1 = uint_list (cJSON_GetObjectItem (kk, "mrr"), &ks.n_mrr);
              ks.ndcg_at_k = k2 = uint_list (cJSON_GetObjectItem (kk, "ndcg"), &ks.n_ndcg);
              ks.accuracy_at_k = k3 = uint_list (cJSON_GetObjectItem (kk, "accuracy"), &ks.n_accuracy);
              ks.precision_recall_at_k = k4 = uint_list (cJSON_GetObjectItem (kk, "precision_recall"),
                                                         &ks.n_precision_recall);
              ks.map_at_k = k5 = uint_list (cJSON_GetObjectItem (kk, "map"), &ks.n_map);
            }
          m = vs_eval_retrieval (a, n, b, nc, dim, (const gint64 *const *) lists->pdata,
                                 kk != NULL ? &ks : NULL, &o, NULL, &error);
        }
      g_assert_no_error (error);
      g_assert_nonnull (m);
      g_assert_cmpint (cJSON_GetArraySize (m), ==, cJSON_GetArraySize (expected));
      cJSON_ArrayForEach (f, expected)
        {
          const cJSON *got = cJSON_GetObjectItemCaseSensitive (m, f->string);
          if (got == NULL)
            g_error ("%s: metric %s missing", kind, f->string);
          n_metrics++;
          if (cJSON_IsNull (f))
            {
              g_assert_true (cJSON_IsNull (got));
              continue;
            }
          double r = fabs (got->valuedouble - f->valuedouble) / (ATOL + RTOL * fabs (f->valuedouble));
          if (!cJSON_IsNumber (got) || !(r <= 1.0))
            {
              n_bad++;
              g_printerr ("MISMATCH %s %s: %.12g vs reference %.12g\n", kind, f->string,
                          got->valuedouble, f->valuedouble);
            }
          if (r >= worst)
            {
              worst = r;
              g_free (worst_key);
              worst_key = g_strdup_printf ("%s %s: %.12g vs %.12g", kind, f->string,
                                           got->valuedouble, f->valuedouble);
            }
        }
      cJSON_Delete (m);
    }
  g_printerr ("%" G_GSIZE_FORMAT " metrics vs the reference (rtol %g, atol %g): %" G_GSIZE_FORMAT
              " mismatches, worst %s (%.3g of the tolerance)\n", n_metrics, RTOL, ATOL, n_bad,
              worst_key != NULL ? worst_key : "-", worst);
  g_free (worst_key);
  g_assert_cmpuint (n_metrics, >, 200);
  g_assert_cmpuint (n_bad, ==, 0);
}

/* --- over a dataset, with a fake encoder: a text is its own vector "x,y,..." */

typedef struct
{
  gsize    dim;
  guint    calls;
  gsize    texts;
  GString *roles;   /* one letter per call: s(entence), q(uery), d(ocument) */
} FakeEncoder;

static gboolean
fake_encode (const char *const  *texts,
             gsize               n,
             VsEvalTextRole      role,
             float              *out,
             gpointer            user_data,
             GError            **error)
{
  FakeEncoder *fe = user_data;
  if (fe->roles != NULL)
    g_string_append_c (fe->roles, "sqd"[role]);
  fe->calls++;
  fe->texts += n;
  for (gsize i = 0; i < n; i++)
    {
      g_auto(GStrv) parts = g_strsplit (texts[i], ",", -1);
      g_assert_cmpuint (g_strv_length (parts), ==, fe->dim);
      for (gsize k = 0; k < fe->dim; k++)
        out[i * fe->dim + k] = (float) g_ascii_strtod (parts[k], NULL);
    }
  return TRUE;
}

static VsDataset *
make_dataset (const char *const *names,
              guint              n_cols,
              const char *const *cells,     /* row-major; numbers for the last column if label */
              gsize              n_rows,
              gboolean           with_label)
{
  VsDataset *ds = vs_dataset_new ();
  for (guint c = 0; c < n_cols; c++)
    {
      gboolean is_label = with_label && c == n_cols - 1;
      VsColumn *col = vs_dataset_add_column (ds, names[c], is_label ? VS_COLUMN_FLOAT64 : VS_COLUMN_STRING, NULL);
      for (gsize r = 0; r < n_rows; r++)
        {
          const char *v = cells[r * n_cols + c];
          if (is_label)
            vs_column_append_double (col, g_ascii_strtod (v, NULL));
          else
            vs_column_append_string (col, v);
        }
    }
  g_assert_true (vs_dataset_seal (ds, NULL));
  return ds;
}

static VsEvaluator *
evaluator_from (const char *json)
{
  g_autoptr(GError) error = NULL;
  cJSON *cfg = cJSON_Parse (json);
  g_assert_nonnull (cfg);
  VsEvaluator *ev = vs_evaluator_new (cfg, &error);
  cJSON_Delete (cfg);
  g_assert_no_error (error);
  return ev;
}

static void
test_dataset_retrieval (void)
{
  /* the golden IR case as (query, document) rows; q4 has two documents */
  const char *names[] = { "query", "document" };
  const char *cells[] = {
    "1,0,0,0,0,0", "1,0,0,0,0,0",
    "0,1,0,0,0,0", "0,1,0,0,0,0",
    "0,0,1,0,0,0", "0,0,1,0,0,0",
    "0,0,0,1,0,0", "0,0,0,1,0,0",
    "0,0,0,0,1,0", "0,0,0,0,1,0",
    "0,0,0,0,1,0", "0,0,0,0,1,0.1",
  };
  g_autoptr(VsDataset) ds = make_dataset (names, 2, cells, 6, FALSE);
  g_autoptr(VsEvaluator) ev = evaluator_from ("{\"name\": \"InformationRetrievalEvaluator\", \"dims\": [6, 5]}");
  g_autoptr(GString) roles = g_string_new (NULL);
  FakeEncoder fe = { 6, 0, 0, roles };
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;

  g_assert_cmpstr (vs_evaluator_get_kind (ev), ==, "retrieval");
  cJSON *m = vs_evaluator_evaluate (ev, ds, 6, fake_encode, &fe, &primary, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (roles->str, ==, "qd");   /* queries, then documents, once */
  g_assert_cmpuint (fe.texts, ==, 5 + 6);   /* distinct queries + distinct documents */
  g_assert_cmpstr (primary, ==, "dim_6_cosine_ndcg@10");
  for (int d = 6; d >= 5; d--)
    {
      g_autofree char *p3 = g_strdup_printf ("dim_%d_cosine_precision@3", d);
      g_autofree char *r1 = g_strdup_printf ("dim_%d_cosine_recall@1", d);
      g_autofree char *nd = g_strdup_printf ("dim_%d_cosine_ndcg@10", d);
      assert_metric (m, p3, 0.4, 1e-12);
      assert_metric (m, r1, 0.9, 1e-12);
      assert_metric (m, nd, 1.0, 1e-12);
    }
  g_assert_cmpint (cJSON_GetArraySize (m), ==, 2 * 15);
  cJSON_Delete (m);
}

static void
test_dataset_similarity_binary_triplet (void)
{
  const char *names[] = { "s1", "s2", "score" };
  const char *cells[] = {
    "1,0", "1,0.1", "1",
    "1,0", "1,1", "0",
    "0,1", "1,0.2", "0",
    "1,1", "1,0.9", "1",
    "1,0", "1,0.1", "1",
  };
  g_autoptr(VsDataset) ds = make_dataset (names, 3, cells, 5, TRUE);
  FakeEncoder fe = { 2, 0, 0, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *primary = NULL;
  float a[10], b[10], y[5];

  for (int r = 0; r < 5; r++)
    {
      FakeEncoder tmp = { 2, 0, 0, NULL };
      fake_encode (&cells[r * 3], 1, VS_EVAL_TEXT_SENTENCE, a + 2 * r, &tmp, NULL);
      fake_encode (&cells[r * 3 + 1], 1, VS_EVAL_TEXT_SENTENCE, b + 2 * r, &tmp, NULL);
      y[r] = (float) g_ascii_strtod (cells[r * 3 + 2], NULL);
    }

  /* similarity == the embedding-level evaluator on the same rows */
  g_autoptr(VsEvaluator) sim = evaluator_from ("{\"name\": \"similarity\", \"prefix\": \"sts-dev\"}");
  cJSON *m = vs_evaluator_evaluate (sim, ds, 2, fake_encode, &fe, &primary, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fe.texts, ==, 6);   /* "1,1" appears in both columns */
  g_assert_cmpstr (primary, ==, "sts-dev_spearman_max");
  VsEvalOptions o = { VS_EVAL_FN_ALL, 0, "sts-dev", FALSE };
  cJSON *direct = vs_eval_similarity (a, b, y, 5, 2, &o, NULL, NULL);
  g_assert_true (cJSON_Compare (m, direct, TRUE));
  cJSON_Delete (direct);
  cJSON_Delete (m);

  /* binary with the label column named */
  g_autoptr(VsEvaluator) bin = evaluator_from ("{\"name\": \"binary\", \"label\": \"score\", "
                                               "\"similarity_fn_names\": [\"cosine\"]}");
  m = vs_evaluator_evaluate (bin, ds, 2, fake_encode, &fe, NULL, &error);
  g_assert_no_error (error);
  VsEvalOptions oc = { VS_EVAL_FN_COSINE, 0, NULL, FALSE };
  direct = vs_eval_binary (a, b, y, 5, 2, &oc, NULL, NULL);
  g_assert_true (cJSON_Compare (m, direct, TRUE));
  cJSON_Delete (direct);
  cJSON_Delete (m);

  /* triplet on (s2, s1, s2)-like columns named explicitly */
  g_autoptr(VsEvaluator) tri = evaluator_from ("{\"name\": \"triplet\", \"columns\": [\"s1\", \"s1\", \"s2\"], "
                                               "\"similarity_fn_names\": \"euclidean\"}");
  m = vs_evaluator_evaluate (tri, ds, 2, fake_encode, &fe, NULL, &error);
  g_assert_no_error (error);
  assert_metric (m, "euclidean_accuracy", 1.0, 0);   /* distance 0 beats any other */
  cJSON_Delete (m);

  /* errors */
  g_autoptr(VsEvaluator) bad_col = evaluator_from ("{\"name\": \"triplet\", \"columns\": [\"s1\", \"s2\", \"nope\"]}");
  g_assert_null (vs_evaluator_evaluate (bad_col, ds, 2, fake_encode, &fe, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_autoptr(VsEvaluator) pair_only = evaluator_from ("{\"name\": \"triplet\"}");
  g_assert_null (vs_evaluator_evaluate (pair_only, ds, 2, fake_encode, &fe, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "needs 3 text columns"));
  g_clear_error (&error);
  g_autoptr(VsEvaluator) wide = evaluator_from ("{\"name\": \"similarity\", \"dims\": [4]}");
  g_assert_null (vs_evaluator_evaluate (wide, ds, 2, fake_encode, &fe, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);

  const char *cells3[] = { "1,0", "1,0.1", "1", "1,0", "1,1", "2" };
  g_autoptr(VsDataset) ds3 = make_dataset (names, 3, cells3, 2, TRUE);
  g_assert_null (vs_evaluator_evaluate (bin, ds3, 2, fake_encode, &fe, NULL, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "row 1"));
  g_clear_error (&error);

  const char *bad_cfgs[] = {
    "{\"name\": \"nope\"}", "{\"name\": \"similarity\", \"colums\": []}",
    "{\"name\": \"similarity\", \"dims\": [0]}", "{\"name\": \"similarity\", \"similarity_fn_names\": [\"cos\"]}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cfgs); i++)
    {
      cJSON *cfg = cJSON_Parse (bad_cfgs[i]);
      g_assert_null (vs_evaluator_new (cfg, &error));
      g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
      g_clear_error (&error);
      cJSON_Delete (cfg);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fixture = vs_test_load_fixture ("eval", "eval_cases.json");

  g_test_add_func ("/eval/spearman-ties", test_spearman_ties);
  g_test_add_func ("/eval/binary-hand", test_binary_hand);
  g_test_add_func ("/eval/retrieval-golden", test_retrieval_golden);
  g_test_add_func ("/eval/triplet-similarity-hand", test_triplet_and_similarity_hand);
  g_test_add_func ("/eval/reference", test_against_reference);
  g_test_add_func ("/eval/dataset-retrieval", test_dataset_retrieval);
  g_test_add_func ("/eval/dataset-similarity-binary-triplet", test_dataset_similarity_binary_triplet);
  int rc = g_test_run ();
  cJSON_Delete (fixture);
  return rc;
}
