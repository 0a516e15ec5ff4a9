/* test-loss.c: every loss against PyTorch autograd, finite differences,
 * and the GErrors of invalid combinations.
 *
 * fixtures/loss_cases.json comes from tests/reference/loss_reference.py
 * (sentence-transformers' formulas in PyTorch, float64 autograd). Values
 * and d loss / d embedding must match |c - ref| <= ATOL + RTOL·|ref|.
 */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "vs-error.h"
#include "loss/vs-loss.h"
#include "loss/vs-loss-private.h"

#define RTOL 1e-5
#define ATOL 1e-6

static cJSON *fixture;

static float *
float_array (const cJSON *arr,
             gsize       *n_out)
{
  gsize n = cJSON_GetArraySize (arr);
  float *out = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    out[i] = (float) cJSON_GetArrayItem (arr, i)->valuedouble;
  if (n_out != NULL)
    *n_out = n;
  return out;
}

typedef struct
{
  double worst;      /* worst |c - ref| / (ATOL + RTOL |ref|) */
  double c, ref;
  const char *what;
  gsize index;
} Worst;

static void
compare (Worst      *w,
         const char *what,
         gsize       index,
         double      c,
         double      ref)
{
  double r = fabs (c - ref) / (ATOL + RTOL * fabs (ref));
  if (isnan (r))
    r = INFINITY;
  if (w->what == NULL || r > w->worst)
    {
      w->worst = r;
      w->c = c;
      w->ref = ref;
      w->what = what;
      w->index = index;
    }
}

static VsLoss *
case_loss (const cJSON *cs)
{
  g_autoptr(GError) error = NULL;
  const char *name = cJSON_GetObjectItem (cs, "loss")->valuestring;
  VsLoss *loss = vs_loss_new (name, cJSON_GetObjectItem (cs, "params"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (loss);
  const cJSON *cls = cJSON_GetObjectItem (cs, "classifier");
  if (cls != NULL)
    {
      gsize nw, nb;
      g_autofree float *W = float_array (cJSON_GetArrayItem (cls, 0), &nw);
      g_autofree float *b = float_array (cJSON_GetArrayItem (cls, 1), &nb);
      g_assert_cmpuint (vs_loss_get_n_params (loss), ==, nw + nb);
      memcpy (vs_loss_get_params (loss), W, nw * sizeof (float));
      memcpy (vs_loss_get_params (loss) + nw, b, nb * sizeof (float));
    }
  vs_loss_zero_grads (loss);
  return loss;
}

typedef struct
{
  gsize   B, D, nc, label_dim, G;
  float **cols;
  float  *labels;
  float **guide;
} CaseData;

static void
case_data_load (CaseData    *cd,
                const cJSON *cs)
{
  const cJSON *cols = cJSON_GetObjectItem (cs, "columns");
  const cJSON *guide = cJSON_GetObjectItem (cs, "guide");
  const cJSON *labels = cJSON_GetObjectItem (cs, "labels");
  cd->B = (gsize) cJSON_GetObjectItem (cs, "batch")->valuedouble;
  cd->D = (gsize) cJSON_GetObjectItem (cs, "dim")->valuedouble;
  cd->nc = cJSON_GetArraySize (cols);
  cd->label_dim = (gsize) cJSON_GetObjectItem (cs, "label_dim")->valuedouble;
  cd->G = (gsize) cJSON_GetObjectItem (cs, "guide_dim")->valuedouble;
  cd->cols = g_new0 (float *, cd->nc);
  for (gsize c = 0; c < cd->nc; c++)
    cd->cols[c] = float_array (cJSON_GetArrayItem (cols, c), NULL);
  cd->labels = cJSON_IsArray (labels) ? float_array (labels, NULL) : NULL;
  cd->guide = NULL;
  if (cJSON_IsArray (guide))
    {
      cd->guide = g_new0 (float *, cd->nc);
      for (gsize c = 0; c < cd->nc; c++)
        cd->guide[c] = float_array (cJSON_GetArrayItem (guide, c), NULL);
    }
}

static void
case_data_clear (CaseData *cd)
{
  for (gsize c = 0; c < cd->nc; c++)
    {
      g_free (cd->cols[c]);
      if (cd->guide != NULL)
        g_free (cd->guide[c]);
    }
  g_free (cd->cols);
  g_free (cd->guide);
  g_free (cd->labels);
}

static void
test_against_pytorch (void)
{
  const cJSON *cases = cJSON_GetObjectItem (fixture, "cases");
  const cJSON *cs;
  gsize n_cases = 0, n_failed = 0;
  Worst overall = { 0 };
  const char *overall_case = NULL;

  cJSON_ArrayForEach (cs, cases)
    {
      g_autoptr(GError) error = NULL;
      const char *name = cJSON_GetObjectItem (cs, "name")->valuestring;
      g_autoptr(VsLoss) loss = case_loss (cs);
      CaseData cd;
      Worst w = { 0 };
      float value = NAN;

      case_data_load (&cd, cs);
      g_autofree float **d = g_new0 (float *, cd.nc);
      for (gsize c = 0; c < cd.nc; c++)
        {
          d[c] = g_new (float, cd.B * cd.D);
          for (gsize k = 0; k < cd.B * cd.D; k++)
            d[c][k] = 12345.0f;   /* must be overwritten */
        }
      VsLossBatch batch = {
        (const float *const *) cd.cols, cd.nc, cd.B, cd.D, cd.labels, cd.label_dim,
        (const float *const *) cd.guide, cd.G,
      };
      gboolean ok = vs_loss_compute_full (loss, &batch, &value, d, &error);
      if (!ok)
        g_printerr ("%s: %s\n", name, error->message);
      g_assert_no_error (error);
      g_assert_true (ok);

      compare (&w, "value", 0, value, cJSON_GetObjectItem (cs, "value")->valuedouble);
      const cJSON *grads = cJSON_GetObjectItem (cs, "grads");
      for (gsize c = 0; c < cd.nc; c++)
        {
          const cJSON *gc = cJSON_GetArrayItem (grads, c);
          for (gsize k = 0; k < cd.B * cd.D; k++)
            compare (&w, c == 0 ? "d column 0" : c == 1 ? "d column 1" : c == 2 ? "d column 2" : "d column 3+",
                     k, d[c][k], cJSON_GetArrayItem (gc, k)->valuedouble);
        }
      const cJSON *cg = cJSON_GetObjectItem (cs, "classifier_grad");
      if (cg != NULL)
        {
          gsize nw;
          g_autofree float *gw = float_array (cJSON_GetArrayItem (cg, 0), &nw);
          g_autofree float *gb = float_array (cJSON_GetArrayItem (cg, 1), NULL);
          const float *grad = vs_loss_get_grads (loss);
          for (gsize k = 0; k < vs_loss_get_n_params (loss); k++)
            compare (&w, "d classifier", k, grad[k], k < nw ? gw[k] : gb[k - nw]);
        }
      n_cases++;
      if (w.worst > 1.0)
        {
          n_failed++;
          g_printerr ("MISMATCH %-40s %s[%" G_GSIZE_FORMAT "]: %.9g vs reference %.9g\n",
                      name, w.what, w.index, w.c, w.ref);
        }
      if (w.worst >= overall.worst)
        {
          overall = w;
          overall_case = name;
        }
      for (gsize c = 0; c < cd.nc; c++)
        g_free (d[c]);
      case_data_clear (&cd);
    }
  g_printerr ("%" G_GSIZE_FORMAT " loss cases vs PyTorch (rtol %g, atol %g): worst %s %s[%"
              G_GSIZE_FORMAT "] %.9g vs %.9g (%.3g of the tolerance)\n",
              n_cases, RTOL, ATOL, overall_case, overall.what, overall.index,
              overall.c, overall.ref, overall.worst);
  g_assert_cmpuint (n_cases, >=, 80);
  g_assert_cmpuint (n_failed, ==, 0);
}

/* Central differences in double on every input coordinate. */
static void
test_finite_differences (void)
{
  const cJSON *cases = cJSON_GetObjectItem (fixture, "cases");
  const cJSON *cs;
  gsize n_checked = 0, n_bad = 0;
  double worst = 0;
  const char *worst_case = NULL;

  cJSON_ArrayForEach (cs, cases)
    {
      g_autoptr(GError) error = NULL;
      const char *name = cJSON_GetObjectItem (cs, "name")->valuestring;
      g_autoptr(VsLoss) loss = case_loss (cs);
      CaseData cd;
      case_data_load (&cd, cs);
      gsize BD = cd.B * cd.D;
      g_autofree double *x = g_new (double, cd.nc * BD);
      g_autofree double *gx = g_new0 (double, cd.nc * BD);
      g_autofree double *scratch = g_new0 (double, cd.nc * BD);
      g_autofree double *gstore = NULL;
      g_autofree const double **cols = g_new (const double *, cd.nc);
      g_autofree const double **gcols = NULL;
      g_autofree double **dg = g_new (double *, cd.nc);
      g_autofree double **ds = g_new (double *, cd.nc);

      for (gsize c = 0; c < cd.nc; c++)
        {
          for (gsize k = 0; k < BD; k++)
            x[c * BD + k] = cd.cols[c][k];
          cols[c] = x + c * BD;
          dg[c] = gx + c * BD;
          ds[c] = scratch + c * BD;
        }
      if (cd.guide != NULL)
        {
          gstore = g_new (double, cd.nc * cd.B * cd.G);
          gcols = g_new (const double *, cd.nc);
          for (gsize c = 0; c < cd.nc; c++)
            {
              for (gsize k = 0; k < cd.B * cd.G; k++)
                gstore[c * cd.B * cd.G + k] = cd.guide[c][k];
              gcols[c] = gstore + c * cd.B * cd.G;
            }
        }
      VsLossDBatch db = { cols, cd.nc, cd.B, cd.D, cd.labels, cd.label_dim, gcols, cd.G };
      double v0;
      gboolean ok = vs_loss_compute_double (loss, &db, &v0, dg, 0, &error);
      g_assert_no_error (error);
      g_assert_true (ok);

      const double h = 1e-6;
      for (gsize k = 0; k < cd.nc * BD; k++)
        {
          double keep = x[k], vp, vm;
          x[k] = keep + h;
          ok = vs_loss_compute_double (loss, &db, &vp, ds, 0, NULL);
          g_assert_true (ok);
          x[k] = keep - h;
          ok = vs_loss_compute_double (loss, &db, &vm, ds, 0, NULL);
          g_assert_true (ok);
          x[k] = keep;
          double fd = (vp - vm) / (2 * h);
          double r = fabs (fd - gx[k]) / (1e-6 + 1e-4 * fabs (fd));
          n_checked++;
          if (r > 1.0)
            {
              n_bad++;
              g_printerr ("FD MISMATCH %s coordinate %" G_GSIZE_FORMAT ": analytic %.9g, "
                          "finite difference %.9g\n", name, k, gx[k], fd);
            }
          if (r > worst)
            worst = r, worst_case = name;
        }
      /* the loss's own parameters (SoftmaxLoss's classifier), stepped in float */
      if (vs_loss_get_n_params (loss) > 0)
        {
          float *params = vs_loss_get_params (loss);
          g_autofree float *grads = NULL;
          vs_loss_zero_grads (loss);
          ok = vs_loss_compute_double (loss, &db, &v0, ds, 1.0, &error);
          g_assert_true (ok);
          grads = g_memdup2 (vs_loss_get_grads (loss), vs_loss_get_n_params (loss) * sizeof (float));
          for (gsize k = 0; k < vs_loss_get_n_params (loss); k++)
            {
              float keep = params[k], vp, vm;
              double vpd, vmd;
              params[k] = keep + 1e-3f;
              vp = params[k];
              ok = vs_loss_compute_double (loss, &db, &vpd, ds, 0, NULL);
              params[k] = keep - 1e-3f;
              vm = params[k];
              ok = ok && vs_loss_compute_double (loss, &db, &vmd, ds, 0, NULL);
              params[k] = keep;
              g_assert_true (ok);
              double fd = (vpd - vmd) / ((double) vp - (double) vm);
              double r = fabs (fd - grads[k]) / (1e-5 + 1e-3 * fabs (fd));
              n_checked++;
              if (r > 1.0)
                {
                  n_bad++;
                  g_printerr ("FD MISMATCH %s parameter %" G_GSIZE_FORMAT ": analytic %.9g, "
                              "finite difference %.9g\n", name, k, grads[k], fd);
                }
            }
        }
      case_data_clear (&cd);
    }
  g_printerr ("finite differences (h 1e-6, tolerance 1e-6 + 1e-4|fd|; classifier h 1e-3, "
              "1e-5 + 1e-3|fd|): %" G_GSIZE_FORMAT
              " coordinates, %" G_GSIZE_FORMAT " mismatches, worst %.3g of the tolerance (%s)\n",
              n_checked, n_bad, worst, worst_case != NULL ? worst_case : "-");
  g_assert_cmpuint (n_bad, ==, 0);
}

/* --- registry and errors ---------------------------------------------------------- */

static void
test_registry (void)
{
  gsize n;
  const VsLossInfo *all = vs_loss_registry_get_all (&n);
  static const char *expected[] = {
    "CosineSimilarityLoss", "CoSENTLoss", "AnglELoss", "ContrastiveLoss",
    "OnlineContrastiveLoss", "SoftmaxLoss", "MultipleNegativesRankingLoss",
    "MultipleNegativesSymmetricRankingLoss", "CachedMultipleNegativesRankingLoss",
    "GISTEmbedLoss", "MegaBatchMarginLoss", "TripletLoss", "BatchHardTripletLoss",
    "BatchHardSoftMarginTripletLoss", "BatchSemiHardTripletLoss", "BatchAllTripletLoss",
    "MatryoshkaLoss", "MSELoss", "MarginMSELoss", "DistillKLDivLoss",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_nonnull (vs_loss_registry_lookup (expected[i]));
  g_assert_null (vs_loss_registry_lookup ("NoSuchLoss"));
  for (gsize i = 0; i < n; i++)
    {
      const VsLossInfo *info = &all[i];
      g_assert_true (vs_loss_registry_lookup (info->name) == info);
      g_assert_cmpuint (strlen (info->description), >, 10);
      g_assert_cmpuint (info->min_columns, <=, info->max_columns);
      gboolean required = FALSE;
      for (guint k = 0; k < info->n_params; k++)
        {
          const VsLossParamInfo *p = &info->params[k];
          g_assert_nonnull (p->help);
          if (p->default_json == NULL)
            required = TRUE;
          else
            {
              cJSON *v = cJSON_Parse (p->default_json);
              g_assert_nonnull (v);
              cJSON_Delete (v);
            }
        }
      if (!required)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(VsLoss) loss = vs_loss_new (info->name, NULL, &error);
          g_assert_no_error (error);
          cJSON *config = vs_loss_get_config (loss);
          g_assert_cmpint (cJSON_GetArraySize (config), ==, (int) info->n_params);
          cJSON_Delete (config);
        }
    }
  /* sentence-transformers' defaults */
  g_autoptr(VsLoss) mnrl = vs_loss_new ("MultipleNegativesRankingLoss", NULL, NULL);
  cJSON *config = vs_loss_get_config (mnrl);
  g_assert_cmpfloat (cJSON_GetObjectItem (config, "scale")->valuedouble, ==, 20.0);
  g_assert_cmpstr (cJSON_GetObjectItem (config, "similarity_fct")->valuestring, ==, "cos_sim");
  cJSON_Delete (config);
  g_autoptr(VsLoss) triplet = vs_loss_new ("TripletLoss", NULL, NULL);
  config = vs_loss_get_config (triplet);
  g_assert_cmpfloat (cJSON_GetObjectItem (config, "triplet_margin")->valuedouble, ==, 5.0);
  g_assert_cmpstr (cJSON_GetObjectItem (config, "distance_metric")->valuestring, ==, "EUCLIDEAN");
  cJSON_Delete (config);
  g_autoptr(VsLoss) cached = vs_loss_new ("CachedMultipleNegativesRankingLoss", NULL, NULL);
  g_assert_cmpuint (vs_loss_get_mini_batch_size (cached), ==, 32);
  g_assert_cmpuint (vs_loss_get_mini_batch_size (mnrl), ==, 0);
}

static VsLoss *
loss_from_json (const char  *name,
                const char  *json,
                GError     **error)
{
  cJSON *p = json != NULL ? cJSON_Parse (json) : NULL;
  g_assert_true (json == NULL || p != NULL);
  VsLoss *loss = vs_loss_new (name, p, error);
  cJSON_Delete (p);
  return loss;
}

static void
expect_new_error (const char *name,
                  const char *json,
                  const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsLoss) loss = loss_from_json (name, json, &error);
  g_assert_null (loss);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, fragment);
}

static void
test_new_errors (void)
{
  expect_new_error ("NoSuchLoss", NULL, "unknown loss 'NoSuchLoss'");
  expect_new_error ("MultipleNegativesRankingLoss", "{\"scal\": 3}", "no parameter 'scal'");
  expect_new_error ("MultipleNegativesRankingLoss", "{\"scale\": \"big\"}", "'scale' must be a finite number");
  expect_new_error ("MultipleNegativesRankingLoss", "{\"similarity_fct\": \"cosine\"}", "must be one of");
  expect_new_error ("MultipleNegativesRankingLoss", "[1]", "must be a JSON object");
  expect_new_error ("ContrastiveLoss", "{\"size_average\": 1}", "true or false");
  expect_new_error ("SoftmaxLoss", "{\"num_labels\": 3}", "'sentence_embedding_dimension' is required");
  expect_new_error ("SoftmaxLoss", "{\"num_labels\": 0, \"sentence_embedding_dimension\": 4}", "num_labels");
  expect_new_error ("SoftmaxLoss", "{\"num_labels\": 2.5, \"sentence_embedding_dimension\": 4}", "an integer");
  expect_new_error ("SoftmaxLoss", "{\"num_labels\": 2, \"sentence_embedding_dimension\": 4, "
                    "\"concatenation_sent_rep\": false, \"concatenation_sent_difference\": false}",
                    "at least one");
  expect_new_error ("CachedMultipleNegativesRankingLoss", "{\"mini_batch_size\": 0}", "mini_batch_size");
  expect_new_error ("GISTEmbedLoss", NULL, "'guide' is required");
  expect_new_error ("GISTEmbedLoss", "{\"guide\": \"g\", \"temperature\": 0}", "temperature");
  expect_new_error ("MatryoshkaLoss", "{\"matryoshka_dims\": [4]}", "'loss' is required");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": \"Nope\", \"matryoshka_dims\": [4]}", "unknown loss 'Nope'");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": \"CoSENTLoss\", \"matryoshka_dims\": []}", "must not be empty");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": \"CoSENTLoss\", \"matryoshka_dims\": [4, 0]}", "must be positive");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": \"CoSENTLoss\", \"matryoshka_dims\": [4, 2], "
                    "\"matryoshka_weights\": [1]}", "matryoshka_weights has 1");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"x\": 1}}, "
                    "\"matryoshka_dims\": [4]}", "no parameter 'x'");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": {\"name\": \"SoftmaxLoss\", \"params\": "
                    "{\"num_labels\": 2, \"sentence_embedding_dimension\": 4}}, \"matryoshka_dims\": [4]}",
                    "cannot wrap SoftmaxLoss");
  expect_new_error ("MatryoshkaLoss", "{\"loss\": {\"name\": \"MatryoshkaLoss\"}, \"matryoshka_dims\": [4]}",
                    "cannot wrap another");
}

static void
expect_data_error (const char            *name,
                   const char            *json,
                   const VsLossDataShape *shape,
                   const char            *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsLoss) loss = loss_from_json (name, json, NULL);
  g_assert_nonnull (loss);
  g_assert_false (vs_loss_check_data (loss, shape, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, fragment);
}

static void
expect_data_ok (const char            *name,
                const char            *json,
                const VsLossDataShape *shape)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsLoss) loss = loss_from_json (name, json, NULL);
  g_assert_true (vs_loss_check_data (loss, shape, &error));
  g_assert_no_error (error);
}

static void
test_check_data (void)
{
  VsLossDataShape pair = { 2, VS_LOSS_DATA_LABEL_NONE, 0, 0, 1 };
  VsLossDataShape triple = { 3, VS_LOSS_DATA_LABEL_NONE, 0, 0, 1 };
  VsLossDataShape five = { 5, VS_LOSS_DATA_LABEL_NONE, 0, 0, 1 };
  VsLossDataShape score01 = { 2, VS_LOSS_DATA_LABEL_FLOAT, 0, 1, 1 };
  VsLossDataShape score05 = { 2, VS_LOSS_DATA_LABEL_FLOAT, 0, 5, 1 };
  VsLossDataShape binary = { 2, VS_LOSS_DATA_LABEL_INT, 0, 1, 1 };
  VsLossDataShape nli = { 2, VS_LOSS_DATA_LABEL_INT, 0, 2, 1 };
  VsLossDataShape single_class = { 1, VS_LOSS_DATA_LABEL_INT, 0, 9, 1 };
  VsLossDataShape teacher = { 1, VS_LOSS_DATA_LABEL_VECTOR, 0, 0, 384 };
  VsLossDataShape margins = { 4, VS_LOSS_DATA_LABEL_VECTOR, 0, 0, 3 };

  expect_data_error ("TripletLoss", NULL, &pair,
                     "TripletLoss needs 3 text columns (anchor, positive, negative); the dataset has 2");
  expect_data_ok ("TripletLoss", NULL, &triple);
  expect_data_ok ("MultipleNegativesRankingLoss", NULL, &five);
  expect_data_error ("MultipleNegativesRankingLoss", NULL, &score01, "takes no label");
  expect_data_error ("GISTEmbedLoss", "{\"guide\": \"g\"}", &five, "2 to 3 text columns");
  expect_data_ok ("CachedGISTEmbedLoss", "{\"guide\": \"g\"}", &five);
  expect_data_ok ("CosineSimilarityLoss", NULL, &score01);
  expect_data_error ("CosineSimilarityLoss", NULL, &score05, "scores in [-1, 1]");
  expect_data_ok ("CoSENTLoss", NULL, &score05);
  expect_data_error ("CoSENTLoss", NULL, &pair, "needs a float similarity score");
  expect_data_ok ("ContrastiveLoss", NULL, &binary);
  expect_data_error ("ContrastiveLoss", NULL, &nli, "0/1 label");
  expect_data_error ("OnlineContrastiveLoss", NULL, &score05, "0/1 label");
  expect_data_ok ("SoftmaxLoss", "{\"num_labels\": 3, \"sentence_embedding_dimension\": 8}", &nli);
  expect_data_error ("SoftmaxLoss", "{\"num_labels\": 2, \"sentence_embedding_dimension\": 8}", &nli,
                     "num_labels = 2");
  expect_data_error ("SoftmaxLoss", "{\"num_labels\": 3, \"sentence_embedding_dimension\": 8}", &score01,
                     "integer class label");
  expect_data_ok ("BatchAllTripletLoss", NULL, &single_class);
  VsLossDataShape negative_ids = { 1, VS_LOSS_DATA_LABEL_INT, -3, 4, 1 };
  expect_data_ok ("BatchHardTripletLoss", NULL, &negative_ids);
  negative_ids.n_text_columns = 2;
  expect_data_error ("SoftmaxLoss", "{\"num_labels\": 5, \"sentence_embedding_dimension\": 8}", &negative_ids,
                     "class labels >= 0");
  expect_data_error ("BatchHardTripletLoss", NULL, &nli, "1 text column (sentence)");
  expect_data_ok ("MSELoss", NULL, &teacher);
  expect_data_error ("MSELoss", NULL, &single_class, "teacher's embedding");
  expect_data_ok ("MarginMSELoss", NULL, &margins);
  margins.label_dim = 2;
  expect_data_ok ("MarginMSELoss", NULL, &margins);
  margins.label_dim = 5;
  expect_data_error ("MarginMSELoss", NULL, &margins, "2 teacher margins or 3 teacher scores");
  margins.label_dim = 3;
  expect_data_ok ("DistillKLDivLoss", NULL, &margins);
  margins.label_dim = 4;
  expect_data_error ("DistillKLDivLoss", NULL, &margins, "needs 3 teacher scores per row");
  expect_data_error ("MatryoshkaLoss", "{\"loss\": \"TripletLoss\", \"matryoshka_dims\": [4]}", &pair,
                     "MatryoshkaLoss: TripletLoss needs 3 text columns");
  expect_data_ok ("MatryoshkaLoss", "{\"loss\": \"CoSENTLoss\", \"matryoshka_dims\": [4]}", &score05);

  /* the registry-level check the Dataset page uses */
  g_autoptr(GError) error = NULL;
  g_assert_false (vs_loss_info_check_data (vs_loss_registry_lookup ("TripletLoss"), &pair, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
}

static gboolean
run_small (VsLoss       *loss,
           gsize         nc,
           gsize         B,
           gsize         D,
           const float  *labels,
           gsize         label_dim,
           const float  *poison,
           float        *value,
           GError      **error)
{
  g_autofree float *store = g_new (float, nc * B * D);
  g_autofree float *dstore = g_new (float, nc * B * D);
  const float *cols[8];
  float *d[8];
  for (gsize k = 0; k < nc * B * D; k++)
    store[k] = (float) sin (1.0 + 0.7 * k) + 0.1f * (k % 3);
  if (poison != NULL)
    store[1] = *poison;
  for (gsize c = 0; c < nc; c++)
    {
      cols[c] = store + c * B * D;
      d[c] = dstore + c * B * D;
    }
  VsLossBatch b = { cols, nc, B, D, labels, label_dim, NULL, 0 };
  return vs_loss_compute_full (loss, &b, value, d, error);
}

static void
expect_compute_error (const char  *name,
                      const char  *json,
                      gsize        nc,
                      gsize        D,
                      const float *labels,
                      gsize        label_dim,
                      const float *poison,
                      gint         code,
                      const char  *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsLoss) loss = loss_from_json (name, json, NULL);
  float value;
  g_assert_nonnull (loss);
  g_assert_false (run_small (loss, nc, 4, D, labels, label_dim, poison, &value, &error));
  g_assert_error (error, VS_ERROR, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, fragment);
}

static void
test_compute_errors (void)
{
  const float bin_bad[] = { 1, 0, 2, 1 };
  const float cls_bad[] = { 0, 1, 1.5f, 0 };
  const float cls_ok[] = { 0, 1, 1, 0 };
  const float cls_big[] = { 0, 3, 1, 0 };
  const float nan_label[] = { 0, NAN, 1, 0 };
  const float scores[] = { 0.1f, 0.5f, 0.9f, 0.3f };
  float nan = NAN;

  expect_compute_error ("TripletLoss", NULL, 2, 4, NULL, 0, NULL, VS_ERROR_INVALID,
                        "TripletLoss needs 3 text columns");
  expect_compute_error ("ContrastiveLoss", NULL, 2, 4, bin_bad, 1, NULL, VS_ERROR_INVALID,
                        "row 2 is 2; it must be 0 or 1");
  expect_compute_error ("BatchHardTripletLoss", NULL, 1, 4, cls_bad, 1, NULL, VS_ERROR_INVALID,
                        "row 2 is 1.5");
  expect_compute_error ("SoftmaxLoss", "{\"num_labels\": 3, \"sentence_embedding_dimension\": 4}",
                        2, 4, cls_big, 1, NULL, VS_ERROR_INVALID, "in 0 .. 2");
  expect_compute_error ("SoftmaxLoss", "{\"num_labels\": 3, \"sentence_embedding_dimension\": 8}",
                        2, 4, cls_ok, 1, NULL, VS_ERROR_INVALID, "sentence_embedding_dimension is 8");
  expect_compute_error ("CoSENTLoss", NULL, 2, 4, NULL, 0, NULL, VS_ERROR_INVALID, "needs labels");
  expect_compute_error ("CoSENTLoss", NULL, 2, 4, nan_label, 1, NULL, VS_ERROR_INVALID,
                        "row 1 is not a finite number");
  expect_compute_error ("AnglELoss", NULL, 2, 5, scores, 1, NULL, VS_ERROR_INVALID, "even embedding size");
  expect_compute_error ("MultipleNegativesRankingLoss", NULL, 2, 4, NULL, 0, &nan, VS_ERROR_NUMERIC,
                        "column 0, row 0 is not finite");
  expect_compute_error ("GISTEmbedLoss", "{\"guide\": \"g\"}", 2, 4, NULL, 0, NULL, VS_ERROR_INVALID,
                        "guide model's embeddings");
  expect_compute_error ("MatryoshkaLoss", "{\"loss\": \"MultipleNegativesRankingLoss\", \"matryoshka_dims\": [8, 2]}",
                        2, 4, NULL, 0, NULL, VS_ERROR_INVALID, "dimension 8 is larger than");
  expect_compute_error ("MSELoss", NULL, 1, 4, scores, 1, NULL, VS_ERROR_INVALID,
                        "teacher embeddings have 1 dimensions");
  expect_compute_error ("DistillKLDivLoss", "{\"temperature\": 2}", 4, 4, scores, 1, NULL, VS_ERROR_INVALID,
                        "3 candidate columns need 3 teacher scores per row, not 1");
  expect_compute_error ("MarginMSELoss", NULL, 4, 4, scores, 1, NULL, VS_ERROR_INVALID,
                        "2 negative columns need 2 teacher margins or 3 teacher scores per row, not 1");
}

/* AnglELoss has no eps (as in sentence-transformers): a zero embedding is a
 * numeric error, never a NaN loss. */
static void
test_zero_vector_angle (void)
{
  g_autoptr(VsLoss) loss = loss_from_json ("AnglELoss", NULL, NULL);
  g_autoptr(GError) error = NULL;
  float a[8] = { 0, 0, 0, 0, 1, 2, 3, 4 }, b[8] = { 1, 0, 0, 1, 2, 1, 0, 1 };
  const float labels[2] = { 0.2f, 0.8f };
  const float *cols[2] = { a, b };
  float d0[8], d1[8], v;
  float *d[2] = { d0, d1 };
  g_assert_false (vs_loss_compute (loss, cols, 2, 2, 4, labels, &v, d, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NUMERIC);
}

/* n_dims_per_step = 1: each step trains exactly one of the dimensions. */
static void
test_matryoshka_sampling (void)
{
  g_autoptr(VsLoss) one = loss_from_json ("MatryoshkaLoss",
                                          "{\"loss\": \"MultipleNegativesRankingLoss\", "
                                          "\"matryoshka_dims\": [8, 4, 2], \"matryoshka_weights\": [1, 2, 3], "
                                          "\"n_dims_per_step\": 1}", NULL);
  float per_dim[3];
  const char *dims[3] = { "8", "4", "2" };
  const double w[3] = { 1, 2, 3 };
  gboolean seen[3] = { FALSE, FALSE, FALSE };

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"loss\": \"MultipleNegativesRankingLoss\", "
                                               "\"matryoshka_dims\": [%s]}", dims[i]);
      g_autoptr(VsLoss) l = loss_from_json ("MatryoshkaLoss", json, NULL);
      g_assert_true (run_small (l, 2, 4, 8, NULL, 0, NULL, &per_dim[i], NULL));
    }
  vs_loss_set_rng_state (one, 7);
  for (int step = 0; step < 30; step++)
    {
      float v;
      g_assert_true (run_small (one, 2, 4, 8, NULL, 0, NULL, &v, NULL));
      int match = -1;
      for (int i = 0; i < 3; i++)
        if (fabs (v - w[i] * per_dim[i]) <= 1e-5 * fabs (v))
          match = i;
      g_assert_cmpint (match, >=, 0);
      seen[match] = TRUE;
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);
  /* the RNG state is reproducible */
  vs_loss_set_rng_state (one, 99);
  float a, b;
  g_assert_true (run_small (one, 2, 4, 8, NULL, 0, NULL, &a, NULL));
  guint64 st = vs_loss_get_rng_state (one);
  vs_loss_set_rng_state (one, 99);
  g_assert_true (run_small (one, 2, 4, 8, NULL, 0, NULL, &b, NULL));
  g_assert_cmpfloat (a, ==, b);
  g_assert_cmpuint (vs_loss_get_rng_state (one), ==, st);
}

/* Value-only calls leave the classifier's gradients alone; full calls add. */
static void
test_softmax_params (void)
{
  g_autoptr(VsLoss) loss = loss_from_json ("SoftmaxLoss",
                                           "{\"num_labels\": 3, \"sentence_embedding_dimension\": 4}", NULL);
  gsize n_tensors;
  const VsLossTensor *t = vs_loss_get_tensors (loss, &n_tensors);
  const float labels[] = { 0, 2, 1, 1 };
  float v;

  g_assert_cmpuint (n_tensors, ==, 2);
  g_assert_cmpstr (t[0].name, ==, "classifier.weight");
  g_assert_cmpuint (t[0].rows, ==, 3);
  g_assert_cmpuint (t[0].cols, ==, 12);
  g_assert_true (t[0].weight_decay);
  g_assert_cmpstr (t[1].name, ==, "classifier.bias");
  g_assert_cmpuint (t[1].offset, ==, 36);
  g_assert_false (t[1].weight_decay);
  g_assert_cmpuint (vs_loss_get_n_params (loss), ==, 39);
  /* U(±1/sqrt(12)) */
  const float *p = vs_loss_get_params (loss);
  double bound = 1.0 / sqrt (12.0), mx = 0;
  for (gsize i = 0; i < 39; i++)
    mx = MAX (mx, fabs (p[i]));
  g_assert_cmpfloat (mx, <=, bound);
  g_assert_cmpfloat (mx, >, 0.5 * bound);

  vs_loss_zero_grads (loss);
  const float *cols[2];
  g_autofree float *store = g_new (float, 32);
  for (int k = 0; k < 32; k++)
    store[k] = (float) cos (k);
  cols[0] = store;
  cols[1] = store + 16;
  g_assert_true (vs_loss_compute (loss, cols, 2, 4, 4, labels, &v, NULL, NULL));
  for (gsize i = 0; i < 39; i++)
    g_assert_cmpfloat (vs_loss_get_grads (loss)[i], ==, 0);
  g_autofree float *d0 = g_new (float, 16);
  g_autofree float *d1 = g_new (float, 16);
  float *d[2] = { d0, d1 };
  g_assert_true (vs_loss_compute (loss, cols, 2, 4, 4, labels, &v, d, NULL));
  float g1 = vs_loss_get_grads (loss)[38];
  g_assert_cmpfloat (g1, !=, 0);
  g_assert_true (vs_loss_compute (loss, cols, 2, 4, 4, labels, &v, d, NULL));
  g_assert_cmpfloat (fabs (vs_loss_get_grads (loss)[38] - 2 * g1), <=, 1e-6);
}

/* get_config () gives params that rebuild the same loss (nested included). */
static void
test_config_round_trip (void)
{
  const char *json = "{\"loss\": {\"name\": \"CachedMultipleNegativesRankingLoss\", "
                     "\"params\": {\"scale\": 10, \"mini_batch_size\": 4}}, "
                     "\"matryoshka_dims\": [4, 8], \"matryoshka_weights\": [2, 1]}";
  g_autoptr(VsLoss) a = loss_from_json ("MatryoshkaLoss", json, NULL);
  cJSON *config = vs_loss_get_config (a);
  const cJSON *inner = cJSON_GetObjectItem (config, "loss");
  g_assert_cmpstr (cJSON_GetObjectItem (inner, "name")->valuestring, ==, "CachedMultipleNegativesRankingLoss");
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetObjectItem (inner, "params"), "similarity_fct")->valuestring,
                   ==, "cos_sim");
  g_assert_cmpint (cJSON_GetObjectItem (config, "n_dims_per_step")->valueint, ==, -1);
  g_assert_cmpuint (vs_loss_get_mini_batch_size (a), ==, 4);
  g_autoptr(VsLoss) b = vs_loss_new ("MatryoshkaLoss", config, NULL);
  g_assert_nonnull (b);
  float va, vb;
  g_assert_true (run_small (a, 3, 4, 8, NULL, 0, NULL, &va, NULL));
  g_assert_true (run_small (b, 3, 4, 8, NULL, 0, NULL, &vb, NULL));
  g_assert_cmpfloat (va, ==, vb);
  cJSON_Delete (config);

  /* vs_loss_compute's label widths: MSELoss [B, D], MarginMSELoss [B, n] */
  g_autoptr(VsLoss) mse = loss_from_json ("MSELoss", NULL, NULL);
  float teacher[4 * 8];
  for (int k = 0; k < 32; k++)
    teacher[k] = (float) k / 32;
  g_assert_true (run_small (mse, 1, 4, 8, teacher, 8, NULL, &va, NULL));
  g_autofree float *x = g_new (float, 32);
  for (int k = 0; k < 32; k++)
    x[k] = (float) sin (1.0 + 0.7 * k) + 0.1f * (k % 3);
  const float *cols[1] = { x };
  g_assert_true (vs_loss_compute (mse, cols, 1, 4, 8, teacher, &vb, NULL, NULL));
  g_assert_cmpfloat (va, ==, vb);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fixture = vs_test_load_fixture ("loss", "loss_cases.json");

  g_test_add_func ("/loss/pytorch", test_against_pytorch);
  g_test_add_func ("/loss/finite-differences", test_finite_differences);
  g_test_add_func ("/loss/registry", test_registry);
  g_test_add_func ("/loss/new-errors", test_new_errors);
  g_test_add_func ("/loss/check-data", test_check_data);
  g_test_add_func ("/loss/compute-errors", test_compute_errors);
  g_test_add_func ("/loss/matryoshka-sampling", test_matryoshka_sampling);
  g_test_add_func ("/loss/zero-vector-angle", test_zero_vector_angle);
  g_test_add_func ("/loss/config-round-trip", test_config_round_trip);
  g_test_add_func ("/loss/softmax-params", test_softmax_params);
  int rc = g_test_run ();
  cJSON_Delete (fixture);
  return rc;
}
