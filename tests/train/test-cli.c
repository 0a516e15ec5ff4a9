/* test-cli.c: `vectorsmith-cli train` end to end: usage errors, a recipe
 * with several problems, a run with --log (event stream, output folder with
 * model card and training record, checkpoints), --resume giving the
 * same log as the uninterrupted run, and a file's label column turned off
 * by the recipe ("label": null, "roles"). */
#include "config.h"

#include "vs-test-fixture.h"

#include <string.h>

#include <glib/gstdio.h>
#include <cjson/cJSON.h>

#include "train/vs-checkpoint.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static Run
run_cli (const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Run r = { 0 };
  int wait_status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  g_ptr_array_add (argv, (gpointer) "train");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r.out, &r.err, &wait_status, &error);
  g_assert_no_error (error);
  r.status = g_spawn_check_wait_status (wait_status, NULL) ? 0 : WEXITSTATUS (wait_status);
  return r;
}

static char *
write_recipe (const char *dir,
              const char *name,
              const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_usage (void)
{
  const char *none[] = { NULL };
  const char *bad_flag[] = { "--frobnicate", "x.json", NULL };
  const char *missing[] = { "/nonexistent/recipe.json", NULL };
  Run r;

  r = run_cli (none);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = run_cli (bad_flag);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = run_cli (missing);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "vectorsmith-cli train: "));
  run_clear (&r);
}

static void
test_invalid_recipe (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-cli-train-XXXXXX", NULL);
  g_autofree char *recipe = write_recipe (dir, "bad.json",
    "{\"model\": 3, \"train\": [], \"args\": {\"batch_size\": -1, \"sheduler\": \"linear\"}}");
  const char *args[] = { recipe, NULL };
  Run r = run_cli (args);

  g_assert_cmpint (r.status, ==, 1);
  g_test_message ("%s", r.err);
  g_assert_nonnull (strstr (r.err, "model: expected"));
  g_assert_nonnull (strstr (r.err, "train: the list is empty"));
  g_assert_nonnull (strstr (r.err, "args.batch_size"));
  g_assert_nonnull (strstr (r.err, "args.sheduler: unknown argument"));
  g_assert_nonnull (strstr (r.err, "output_dir: missing"));
  run_clear (&r);
  vs_remove_tree (dir, NULL);
}

static cJSON *
read_log (const char *path,
          int        *n_steps)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  cJSON *events = cJSON_CreateArray ();

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  *n_steps = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      cJSON *ev;

      if (lines[i][0] == '\0')
        continue;
      ev = cJSON_Parse (lines[i]);
      g_assert_nonnull (ev);
      cJSON_DeleteItemFromObject (ev, "examples_per_s");
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItem (ev, "event")), "step") == 0)
        (*n_steps)++;
      cJSON_AddItemToArray (events, ev);
    }
  return events;
}

static char *
trajectory (const cJSON *events)
{
  cJSON *out = cJSON_CreateArray ();
  const cJSON *ev;
  char *text;
  char *copy;

  cJSON_ArrayForEach (ev, events)
    {
      const char *kind = cJSON_GetStringValue (cJSON_GetObjectItem (ev, "event"));

      if (g_strcmp0 (kind, "step") == 0 || g_strcmp0 (kind, "eval") == 0)
        cJSON_AddItemToArray (out, cJSON_Duplicate (ev, TRUE));
    }
  text = cJSON_PrintUnformatted (out);
  copy = g_strdup (text);
  cJSON_free (text);
  cJSON_Delete (out);
  return copy;
}

static void
test_train_and_resume (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-cli-train-XXXXXX", NULL);
  g_autofree char *fixtures = vs_test_fixture_path ("train", "parity");
  g_autofree char *text = g_strdup_printf (
    "{\"model\": \"%s/model\","
    " \"train\": {\"path\": \"%s/pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
    " \"eval\": {\"split_ratio\": 0.25},"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"evaluator\": {\"name\": \"similarity\", \"prefix\": \"dev\", \"similarity_fn_names\": [\"cosine\"]},"
    " \"args\": {\"max_steps\": 6, \"batch_size\": 4, \"learning_rate\": 0.005, \"save_steps\": 3,"
    "          \"eval_steps\": 3, \"logging_steps\": 2},"
    " \"output_dir\": \"out\"}", fixtures, fixtures);
  g_autofree char *recipe = write_recipe (dir, "recipe.json", text);
  g_autofree char *log1 = g_build_filename (dir, "log1.jsonl", NULL);
  g_autofree char *log2 = g_build_filename (dir, "log2.jsonl", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *out2 = g_build_filename (dir, "out2", NULL);
  g_autofree char *ckpt = g_build_filename (out, "checkpoint-3", NULL);
  const char *args1[] = { recipe, "--log", log1, NULL };
  const char *args2[] = { recipe, "--log", log2, "--output-dir", out2, "--resume", ckpt, NULL };
  cJSON *ev1;
  cJSON *ev2;
  int n1, n2;
  Run r;

  r = run_cli (args1);
  g_test_message ("stdout:\n%s\nstderr:\n%s", r.out, r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "baseline:"));
  g_assert_nonnull (strstr (r.out, "final:"));
  g_assert_nonnull (strstr (r.out, "eval_dev_spearman_cosine: baseline "));
  run_clear (&r);

  ev1 = read_log (log1, &n1);
  g_assert_cmpint (n1, ==, 6);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (ev1, 0), "event")), ==, "start");
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (ev1, cJSON_GetArraySize (ev1) - 1),
                                                              "event")), ==, "done");
  {
    const char *files[] = { "model.safetensors", "modules.json", "README.md", "tokenizer.json",
                            "vectorsmith_training_record.json", "checkpoint-3/optimizer.safetensors",
                            "checkpoint-3/trainer_state.json", "checkpoint-6/model.safetensors", NULL };

    for (guint i = 0; files[i] != NULL; i++)
      {
        g_autofree char *p = g_build_filename (out, files[i], NULL);

        if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
          g_error ("missing %s", p);
      }
  }
  {
    g_autofree char *card = NULL;
    g_autofree char *p = g_build_filename (out, "README.md", NULL);

    g_assert_true (g_file_get_contents (p, &card, NULL, NULL));
    g_assert_nonnull (strstr (card, "CoSENTLoss"));
  }

  /* Resumed from checkpoint-3 into another folder: the same log. */
  r = run_cli (args2);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  ev2 = read_log (log2, &n2);
  g_assert_cmpint (n2, ==, 6);
  {
    /* The trajectory (every step and eval event) is the same; only the
     * paths in start/checkpoint/done events differ between the folders. */
    char *t1 = trajectory (ev1);
    char *t2 = trajectory (ev2);

    g_assert_cmpstr (t1, ==, t2);
    g_free (t1);
    g_free (t2);
  }
  cJSON_Delete (ev1);
  cJSON_Delete (ev2);
  vs_remove_tree (dir, NULL);
}

/* An anchor,positive,score file and MultipleNegativesRankingLoss: refused
 * as it is (the collator's rule makes "score" the label), trained with
 * "label": null or "roles": {"score": "ignore"}; the training record names
 * the columns that went in. A role naming a missing column is a problem
 * naming the file and the column. */
static void
test_label_off (void)
{
  static const char csv[] =
    "anchor,positive,score\n"
    "A man is playing a guitar.,A person plays an instrument.,0.9\n"
    "A woman is slicing onions.,Someone cuts vegetables.,0.8\n"
    "Two dogs run in a field.,Animals are running outside.,0.7\n"
    "A child reads a book.,A kid is reading.,0.95\n"
    "The sun sets over the sea.,Evening falls on the ocean.,0.6\n"
    "A chef cooks pasta.,Someone is making noodles.,0.75\n"
    "A cat sleeps on a sofa.,A pet naps on the couch.,0.85\n"
    "People dance at a party.,A group celebrates together.,0.65\n";
  static const struct { const char *keys; gboolean ok; const char *err; } variants[] = {
    { "", FALSE, "train[0]: MultipleNegativesRankingLoss takes no label" },
    { "\"label\": null,", TRUE, NULL },
    { "\"roles\": {\"score\": \"ignore\"},", TRUE, NULL },
    { "\"columns\": [\"anchor\", \"positive\"], \"roles\": {\"score\": \"ignore\"},", TRUE, NULL },
    { "\"roles\": {\"scor\": \"ignore\"},", FALSE, "train[0].roles.scor: no column “scor” in " },
  };
  g_autofree char *dir = g_dir_make_tmp ("vs-cli-label-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (dir, "scored.csv", NULL);
  g_autofree char *model = vs_test_fixture_path ("train", "parity");
  g_autoptr(GError) error = NULL;

  g_file_set_contents (data, csv, -1, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *name = g_strdup_printf ("recipe-%u.json", i);
      g_autofree char *out = g_strdup_printf ("%s/out-%u", dir, i);
      g_autofree char *text = g_strdup_printf (
        "{\"model\": \"%s/model\","
        " \"train\": {\"path\": \"scored.csv\", %s \"name\": \"scored\"},"
        " \"loss\": \"MultipleNegativesRankingLoss\","
        " \"args\": {\"max_steps\": 2, \"batch_size\": 4, \"save_steps\": 0},"
        " \"output_dir\": \"%s\"}", model, variants[i].keys, out);
      g_autofree char *recipe = write_recipe (dir, name, text);
      g_autofree char *record_path = g_build_filename (out, "vectorsmith_training_record.json", NULL);
      const char *args[] = { recipe, "--quiet", NULL };
      Run r = run_cli (args);

      g_test_message ("%s\nstdout:\n%s\nstderr:\n%s", text, r.out, r.err);
      if (!variants[i].ok)
        {
          g_assert_cmpint (r.status, ==, 1);
          g_assert_nonnull (strstr (r.err, variants[i].err));
          g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
          if (i == 0)
            /* The refusal says how the recipe turns the label off. */
            g_assert_nonnull (strstr (r.err, "to train without “score”, say \"label\": null or "
                                             "\"roles\": {\"score\": \"ignore\"} in train[0]"));
          else
            g_assert_nonnull (strstr (r.err, data));
        }
      else
        {
          cJSON *record;
          const cJSON *ds;
          const cJSON *cols;
          g_autofree char *weights = g_build_filename (out, "model.safetensors", NULL);

          g_assert_cmpint (r.status, ==, 0);
          g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
          record = vs_test_load_json (record_path);
          ds = cJSON_GetArrayItem (cJSON_GetObjectItem (record, "datasets"), 0);
          cols = cJSON_GetObjectItem (ds, "columns");
          g_assert_cmpint (cJSON_GetArraySize (cols), ==, 2);
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetArrayItem (cols, 0)), ==, "anchor");
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetArrayItem (cols, 1)), ==, "positive");
          g_assert_null (cJSON_GetObjectItem (cJSON_GetArrayItem (cJSON_GetObjectItem (ds, "samples"), 0), "score"));
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (ds, "loss"), "name")), ==,
                           "MultipleNegativesRankingLoss");
          g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (ds, "num_rows")), ==, 8);
          cJSON_Delete (record);
        }
      run_clear (&r);
    }
  vs_remove_tree (dir, NULL);
}

/* The exported script names the same things, and is valid Python. */
static void
test_export_python (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-cli-export-XXXXXX", NULL);
  g_autofree char *demo = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "recipe.json", NULL);
  g_autofree char *script = g_build_filename (dir, "train.py", NULL);
  g_autofree char *text = NULL;
  const char *args[] = { demo, "--export-python", script, NULL };
  const char *expected[] = {
    "from sentence_transformers import", "AutoConfig.for_model(\"bert\"", "num_hidden_layers=2",
    "hidden_size=128", "models.Pooling(", "pooling_mode=\"mean\"", "load_dataset(\"csv\", data_files=",
    "stsb-train.csv", "losses.CoSENTLoss(model, scale=20)", "evaluation.EmbeddingSimilarityEvaluator(",
    "name=\"sts-dev\"", "num_train_epochs=2", "per_device_train_batch_size=16", "learning_rate=0.0005",
    "warmup_ratio=0.1", "lr_scheduler_type=\"linear\"", "eval_strategy=\"steps\"",
    "eval_steps=40", "save_strategy=\"no\"", "trainer.train()", NULL,
  };
  Run r = run_cli (args);

  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  g_assert_true (g_file_get_contents (script, &text, NULL, NULL));
  for (guint i = 0; expected[i] != NULL; i++)
    if (strstr (text, expected[i]) == NULL)
      g_error ("the script lacks “%s”:\n%s", expected[i], text);
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      const char *argv[] = { "/usr/bin/python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())",
                             script, NULL };
      int status;
      g_autofree char *err = NULL;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                   NULL, &err, &status, NULL));
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("the exported script is not valid Python: %s\n%s", err, text);
    }
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/cli/usage", test_usage);
  g_test_add_func ("/train/cli/invalid-recipe", test_invalid_recipe);
  g_test_add_func ("/train/cli/train-and-resume", test_train_and_resume);
  g_test_add_func ("/train/cli/label-off", test_label_off);
  g_test_add_func ("/train/cli/export-python", test_export_python);
  return g_test_run ();
}
