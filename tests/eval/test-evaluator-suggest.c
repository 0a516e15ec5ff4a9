/* test-evaluator-suggest.c: the evaluator each case of real datasets gets. */
#include "eval/vs-evaluator.h"
#include "eval/vs-evaluator-suggest.h"

static cJSON *
suggest_for (const char *rel,
             char      **reason)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("VS_SHARED_DATA"), "datasets", rel, NULL);
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  g_autoptr(VsCaseInfo) info = NULL;
  g_autoptr(VsEvaluator) ev = NULL;
  cJSON *cfg;

  g_assert_no_error (error);
  info = vs_dataset_detect_case (ds, NULL, 0, &error);
  g_assert_no_error (error);
  cfg = vs_evaluator_suggest_for_case (info, reason);
  if (cfg != NULL)
    {
      /* The engine's own evaluator accepts what it suggests. */
      ev = vs_evaluator_new (cfg, &error);
      g_assert_no_error (error);
    }
  return cfg;
}

static void
test_triplets (void)
{
  g_autofree char *reason = NULL;
  cJSON *cfg = suggest_for ("triplets/snli_dev_triplets.parquet", &reason);
  cJSON *cols;

  g_assert_nonnull (cfg);
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "name")->valuestring, ==, "triplet");
  cols = cJSON_GetObjectItem (cfg, "columns");
  g_assert_cmpint (cJSON_GetArraySize (cols), ==, 3);
  g_assert_nonnull (reason);
  cJSON_Delete (cfg);
}

static void
test_synthetic (void)
{
  char a[] = "a", b[] = "b", c[] = "c", score[] = "score";
  char *in2[] = { a, b, NULL };
  char *in3[] = { a, b, c, NULL };
  VsCaseInfo info = { 0 };
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
  cJSON *cfg;

  info.case_number = 1;
  info.inputs = in2;
  info.n_inputs = 2;
  info.label_column = score;
  info.label_kind = VS_LABEL_FLOAT;
  cfg = vs_evaluator_suggest_for_case (&info, &r1);
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "name")->valuestring, ==, "similarity");
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "label")->valuestring, ==, "score");
  cJSON_Delete (cfg);

  info.label_kind = VS_LABEL_BINARY;
  cfg = vs_evaluator_suggest_for_case (&info, &r2);
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "name")->valuestring, ==, "binary");
  cJSON_Delete (cfg);

  info.case_number = 2;
  info.label_column = NULL;
  info.label_kind = VS_LABEL_NONE;
  cfg = vs_evaluator_suggest_for_case (&info, NULL);
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "name")->valuestring, ==, "retrieval");
  g_assert_null (cJSON_GetObjectItem (cfg, "label"));
  cJSON_Delete (cfg);

  info.case_number = 4;
  info.inputs = in3;
  info.n_inputs = 3;
  cfg = vs_evaluator_suggest_for_case (&info, &r3);
  g_assert_cmpstr (cJSON_GetObjectItem (cfg, "name")->valuestring, ==, "triplet");
  cJSON_Delete (cfg);

  info.case_number = 3;
  info.inputs = in2;
  info.n_inputs = 1;
  g_assert_null (vs_evaluator_suggest_for_case (&info, &r4));
  g_assert_nonnull (r4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eval/suggest/triplets", test_triplets);
  g_test_add_func ("/eval/suggest/synthetic", test_synthetic);
  return g_test_run ();
}
