/* test-cli.c: `vectorsmith-cli inspect` end to end: the JSON shape of
 * issue 5 exactly (keys, types, rows keyed by column with JSON numbers),
 * --split / --rows, --role / --no-label, and the error and usage exits. */
#include "config.h"

#include <string.h>

#include "test-common.h"

static int
run_cli (const char *const *args,
         char              **out,
         char              **err)
{
  const char *cli = g_getenv ("VS_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
assert_keys (const cJSON *obj,
             const char  *const *keys)
{
  guint n = 0;
  const cJSON *it;

  g_assert_true (cJSON_IsObject (obj));
  for (guint i = 0; keys[i] != NULL; i++)
    g_assert_nonnull (cJSON_GetObjectItemCaseSensitive (obj, keys[i]));
  cJSON_ArrayForEach (it, obj)
    n++;
  g_assert_cmpuint (n, ==, g_strv_length ((char **) keys));
}

static void
test_inspect_stsb (void)
{
  g_autofree char *path = test_shared_path ("datasets/stsb/sts-train.images+track5.zstd.parquet");
  const char *args[] = { "inspect", path, "--rows", "3", NULL };
  g_autofree char *out = NULL, *err = NULL;
  static const char *top[] = { "format", "num_rows", "columns", "case", "label", "evidence", "losses", "rows", NULL };
  static const char *lab[] = { "column", "kind", "min", "max", "classes", NULL };
  static const char *col[] = { "name", "type", NULL };
  static const char *loss[] = { "name", "compatible", "reason", NULL };
  cJSON *j;
  const cJSON *it, *row0;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  j = cJSON_Parse (out);
  g_assert_nonnull (j);
  assert_keys (j, top);
  g_assert_cmpstr (cJSON_GetObjectItem (j, "format")->valuestring, ==, "parquet");
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "num_rows")->valuedouble, ==, 1000);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (j, "columns")), ==, 3);
  cJSON_ArrayForEach (it, cJSON_GetObjectItem (j, "columns"))
    assert_keys (it, col);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (cJSON_GetObjectItem (j, "columns"), 2), "type")->valuestring,
                   ==, "float64");
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 1);
  assert_keys (cJSON_GetObjectItem (j, "label"), lab);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetObjectItem (j, "label"), "kind")->valuestring, ==, "float");
  g_assert_cmpfloat (cJSON_GetObjectItem (cJSON_GetObjectItem (j, "label"), "max")->valuedouble, ==, 5);
  g_assert_true (cJSON_IsNull (cJSON_GetObjectItem (cJSON_GetObjectItem (j, "label"), "classes")));
  g_assert_true (g_str_has_prefix (cJSON_GetObjectItem (j, "evidence")->valuestring, "`score` is a float in [0, 5]"));
  cJSON_ArrayForEach (it, cJSON_GetObjectItem (j, "losses"))
    {
      assert_keys (it, loss);
      g_assert_true (cJSON_IsBool (cJSON_GetObjectItem (it, "compatible")));
    }
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (cJSON_GetObjectItem (j, "losses"), 0), "name")->valuestring,
                   ==, "CoSENTLoss");
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (j, "rows")), ==, 3);
  row0 = cJSON_GetArrayItem (cJSON_GetObjectItem (j, "rows"), 0);
  g_assert_cmpstr (cJSON_GetObjectItem (row0, "sentence1")->valuestring, ==,
                   "Two green and white trains sitting on the tracks.");
  g_assert_true (cJSON_IsNumber (cJSON_GetObjectItem (row0, "score")));
  g_assert_cmpfloat (cJSON_GetObjectItem (row0, "score")->valuedouble, ==, 4.4);
  cJSON_Delete (j);
}

static void
test_inspect_banking_split (void)
{
  /* A folder whose only split is "test"; --split test; class labels. */
  g_autofree char *dir = test_shared_path ("datasets/banking77");
  const char *args[] = { "inspect", dir, "--split", "test", "--rows", "0", NULL };
  const char *bad[] = { "inspect", dir, "--split", "train", NULL };
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  cJSON *j;
  const cJSON *label;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  j = cJSON_Parse (out);
  g_assert_nonnull (j);
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 3);
  label = cJSON_GetObjectItem (j, "label");
  g_assert_cmpstr (cJSON_GetObjectItem (label, "column")->valuestring, ==, "category");
  g_assert_cmpstr (cJSON_GetObjectItem (label, "kind")->valuestring, ==, "class");
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (label, "classes")), ==, 77);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (j, "rows")), ==, 0);
  cJSON_Delete (j);

  g_assert_cmpint (run_cli (bad, &out2, &err2), ==, 1);
  g_assert_true (g_str_has_prefix (err2, "vectorsmith-cli inspect: "));
  g_assert_nonnull (strstr (err2, "no split “train”"));
}

static void
test_inspect_roles (void)
{
  /* --role swaps the pair's order and can make a column the label. */
  g_autofree char *path = test_shared_path ("datasets/triplets/snli_dev_triplets.csv");
  const char *args[] = { "inspect", path, "--rows", "1", "--role", "positive=anchor", "--role", "anchor=positive",
                         "--role", "negative=ignore", NULL };
  const char *bad[] = { "inspect", path, "--role", "anchor=boss", NULL };
  const char *missing[] = { "inspect", path, "--role", "nope=label", NULL };
  g_autofree char *out = NULL, *err = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
  cJSON *j;

  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  j = cJSON_Parse (out);
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 2);
  g_assert_nonnull (strstr (cJSON_GetObjectItem (j, "evidence")->valuestring, "`positive` and `anchor`"));
  cJSON_Delete (j);
  g_assert_cmpint (run_cli (bad, &o2, &e2), ==, 2);
  g_assert_cmpint (run_cli (missing, &o3, &e3), ==, 1);
  g_assert_nonnull (strstr (e3, "no column “nope”"));
}

/* A pair file with a score column: case 1 as read; --role score=ignore or
 * --no-label make it the positive pair (case 2) MultipleNegativesRankingLoss
 * trains on. */
static const char scored_pairs[] =
  "anchor,positive,score\n"
  "A man is playing a guitar.,A person plays an instrument.,0.9\n"
  "A woman is slicing onions.,Someone cuts vegetables.,0.8\n"
  "Two dogs run in a field.,Animals are running outside.,0.7\n"
  "A child reads a book.,A kid is reading.,0.95\n"
  "The sun sets over the sea.,Evening falls on the ocean.,0.6\n"
  "A chef cooks pasta.,Someone is making noodles.,0.75\n";

static cJSON *
inspect_json (const char *const *args)
{
  g_autofree char *out = NULL, *err = NULL;
  cJSON *j;

  if (run_cli (args, &out, &err) != 0)
    g_error ("inspect failed: %s", err);
  j = cJSON_Parse (out);
  g_assert_nonnull (j);
  return j;
}

static gboolean
mnrl_compatible (const cJSON *j)
{
  const cJSON *it;

  cJSON_ArrayForEach (it, cJSON_GetObjectItem (j, "losses"))
    if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItem (it, "name")), "MultipleNegativesRankingLoss") == 0)
      return cJSON_IsTrue (cJSON_GetObjectItem (it, "compatible"));
  g_assert_not_reached ();
  return FALSE;
}

static void
test_inspect_no_label (void)
{
  g_autofree char *path = test_write_temp ("scored-pairs.csv", scored_pairs, -1);
  const char *plain[] = { "inspect", path, "--rows", "0", NULL };
  const char *ignore[] = { "inspect", path, "--rows", "0", "--role", "score=ignore", NULL };
  const char *no_label[] = { "inspect", path, "--rows", "0", "--no-label", NULL };
  const char *sentence[] = { "inspect", path, "--rows", "0", "--role", "positive=sentence", "--role",
                             "anchor=positive", "--no-label", NULL };
  const char *contradiction[] = { "inspect", path, "--no-label", "--role", "score=label", NULL };
  const char *bad[] = { "inspect", path, "--role", "score=nothing", NULL };
  const char *const *pair_args[] = { ignore, no_label };
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
  cJSON *j;

  j = inspect_json (plain);
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 1);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (j, "label"), "column")), ==,
                   "score");
  g_assert_false (mnrl_compatible (j));
  cJSON_Delete (j);

  for (guint i = 0; i < G_N_ELEMENTS (pair_args); i++)
    {
      const cJSON *label;

      j = inspect_json (pair_args[i]);
      g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 2);
      label = cJSON_GetObjectItem (j, "label");
      g_assert_true (cJSON_IsNull (cJSON_GetObjectItem (label, "column")));
      g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (label, "kind")), ==, "none");
      g_assert_nonnull (strstr (cJSON_GetStringValue (cJSON_GetObjectItem (j, "evidence")),
                                "`anchor` and `positive`"));
      g_assert_true (mnrl_compatible (j));
      /* The file itself is shown as it is. */
      g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (j, "columns")), ==, 3);
      cJSON_Delete (j);
    }

  /* "sentence" is the anchor. */
  j = inspect_json (sentence);
  g_assert_cmpfloat (cJSON_GetObjectItem (j, "case")->valuedouble, ==, 2);
  g_assert_nonnull (strstr (cJSON_GetStringValue (cJSON_GetObjectItem (j, "evidence")),
                            "`positive` and `anchor`"));
  cJSON_Delete (j);

  g_assert_cmpint (run_cli (contradiction, &o1, &e1), ==, 2);
  g_assert_nonnull (strstr (e1, "contradicts --no-label"));
  g_assert_cmpint (run_cli (bad, &o2, &e2), ==, 2);
  g_assert_nonnull (strstr (e2, "--role score=nothing: expected COLUMN=anchor|positive|negative|sentence|label|ignore"));
}

static void
test_inspect_errors (void)
{
  const char *none[] = { "inspect", NULL };
  const char *missing[] = { "inspect", "/nonexistent.csv", NULL };
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
  g_autofree char *bad = test_write_temp ("ragged.csv", "a,b\n1\n", -1);
  const char *ragged[] = { "inspect", bad, NULL };
  g_autofree char *o3 = NULL, *e3 = NULL;

  g_assert_cmpint (run_cli (none, &o1, &e1), ==, 2);
  g_assert_cmpint (run_cli (missing, &o2, &e2), ==, 1);
  g_assert_nonnull (strstr (e2, "/nonexistent.csv"));
  g_assert_cmpint (run_cli (ragged, &o3, &e3), ==, 1);
  g_assert_nonnull (strstr (e3, "ragged.csv: line 2"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/inspect/stsb", test_inspect_stsb);
  g_test_add_func ("/cli/inspect/banking-split", test_inspect_banking_split);
  g_test_add_func ("/cli/inspect/roles", test_inspect_roles);
  g_test_add_func ("/cli/inspect/no-label", test_inspect_no_label);
  g_test_add_func ("/cli/inspect/errors", test_inspect_errors);
  return g_test_run ();
}
