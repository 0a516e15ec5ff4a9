/* test-project.c: VsProject without a window.
 *
 * The project is the recipe the CLI trains, so the references here are the
 * engine's recipe parser (vs_recipe_parse / vs_recipe_to_json) and the
 * loss registry, never the project's own output: a recipe loaded, saved
 * (to another folder too) and loaded again must parse to the same recipe,
 * for every key the recipe has.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "data/vs-dataset.h"
#include "train/vs-recipe.h"

#include "vs-project.h"

/* The engine's canonical form of a recipe file: what `train` would run. */
static char *
canonical_recipe (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = vs_recipe_load (path, &error);
  cJSON *json;
  char *text;

  g_assert_no_error (error);
  json = vs_recipe_to_json (recipe);
  text = cJSON_PrintUnformatted (json);
  cJSON_Delete (json);
  return text;
}

static char *
write_file (const char *dir,
            const char *name,
            const char *text)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* load -> save (same folder and another one) -> load gives the recipe the
 * engine parsed from the original file. */
static void
check_round_trip (const char *recipe_path)
{
  g_autofree char *expected = canonical_recipe (recipe_path);
  g_autofree char *other_dir = g_dir_make_tmp ("vs-project-moved-XXXXXX", NULL);
  g_autofree char *moved = g_build_filename (other_dir, "nested-copy.json", NULL);
  g_autoptr(VsProject) project = vs_project_new ();
  g_autoptr(VsProject) again = vs_project_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_moved = NULL;
  g_autofree char *same_dir_copy = NULL;
  g_autofree char *dir = g_path_get_dirname (recipe_path);

  g_assert_true (vs_project_load (project, recipe_path, &error));
  g_assert_no_error (error);
  g_assert_false (vs_project_get_dirty (project));

  /* Same folder: relative paths stay as written. */
  same_dir_copy = g_build_filename (dir, "project-copy.json", NULL);
  g_assert_true (vs_project_save (project, same_dir_copy, &error));
  g_assert_no_error (error);
  got = canonical_recipe (same_dir_copy);
  g_assert_cmpstr (got, ==, expected);
  g_assert_true (vs_project_load (again, same_dir_copy, &error));
  g_assert_true (cJSON_Compare (vs_project_get_document (again),
                                vs_project_get_document (project), TRUE));
  g_unlink (same_dir_copy);

  /* Another folder: relative paths are rewritten to the same files. */
  g_assert_true (vs_project_save (project, moved, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (vs_project_get_file (project), ==, moved);
  got_moved = canonical_recipe (moved);
  g_assert_cmpstr (got_moved, ==, expected);
  g_assert_true (vs_project_load (again, moved, &error));
  g_assert_no_error (error);
  g_assert_true (cJSON_Compare (vs_project_get_document (again),
                                vs_project_get_document (project), TRUE));
  g_unlink (moved);
  g_rmdir (other_dir);
}

static void
test_demo_round_trip (void)
{
  g_autofree char *demo = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "recipe.json", NULL);
  g_autoptr(VsProject) project = vs_project_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (vs_project_load (project, demo, &error));
  g_assert_no_error (error);
  g_assert_true (vs_project_get_valid (project));
  g_assert_null (vs_project_get_problems (project)[0]);
  g_assert_nonnull (vs_project_get_recipe (project));
  g_assert_cmpstr (vs_project_get_string (project, "train.path"), ==, "stsb-train.csv");
  check_round_trip (demo);
}

/* Recipes of the shapes the CLI tests train, each with local files so that
 * relative paths are exercised. */
static void
test_recipes_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-project-XXXXXX", NULL);
  g_autofree char *tok_src = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "tokenizer", NULL);
  static const char *recipes[] = {
    /* 1. CoSENT with an evaluator and a held-out split (train/resume test). */
    "{\"model\": \"org/model\","
    " \"train\": {\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
    " \"eval\": {\"split_ratio\": 0.25},"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"evaluator\": {\"name\": \"similarity\", \"prefix\": \"dev\", \"similarity_fn_names\": [\"cosine\"]},"
    " \"args\": {\"max_steps\": 6, \"batch_size\": 4, \"learning_rate\": 0.005, \"save_steps\": 3,"
    "          \"eval_steps\": 3, \"logging_steps\": 2},"
    " \"output_dir\": \"out\"}",
    /* 2. Several datasets with their own losses, a second eval file. */
    "{\"name\": \"two sets\", \"description\": \"nli and sts\", \"model\": \"org/model\","
    " \"train\": [{\"path\": \"pairs.csv\", \"name\": \"sts\", \"columns\": [\"sentence1\", \"sentence2\"],"
    "             \"label\": \"score\", \"limit\": 3, \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": 10}}},"
    "            {\"path\": \"triplets.jsonl\", \"name\": \"nli\", \"split\": \"train\"}],"
    " \"eval\": {\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\", \"limit\": 2},"
    " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\", \"params\": {\"scale\": 20.0}},"
    " \"args\": {\"multi_dataset_batch_sampler\": \"round_robin\", \"batch_sampler\": \"no_duplicates\"},"
    " \"output_dir\": \"../elsewhere/out\"}",
    /* 3. A new model from modules, prompts by column, Matryoshka. */
    "{\"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\", \"tokenizer\": \"tokenizer\"},"
    "           \"modules\": [{\"type\": \"pooling\", \"mode\": \"mean\"},"
    "                         {\"type\": \"dense\", \"out_features\": 16, \"activation\": \"tanh\"},"
    "                         {\"type\": \"normalize\"}]},"
    " \"train\": {\"path\": \"triplets.jsonl\"},"
    " \"loss\": {\"name\": \"MatryoshkaLoss\", \"params\": {\"loss\": \"MultipleNegativesRankingLoss\","
    "           \"matryoshka_dims\": [16, 8]}},"
    " \"args\": {\"prompts\": {\"anchor\": \"query: \", \"positive\": \"passage: \"}, \"epochs\": 1.5,"
    "          \"scheduler\": \"cosine\", \"warmup_steps\": 2, \"weight_decay\": 0.01, \"seed\": 7},"
    " \"output_dir\": \"out\"}",
    /* 4. Every training argument away from its default. */
    "{\"model\": \"org/model\", \"train\": {\"path\": \"pairs.csv\"}, \"eval\": {\"split_ratio\": 0.5},"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"args\": {\"epochs\": 1, \"max_steps\": 10, \"batch_size\": 16, \"eval_batch_size\": 4,"
    "          \"learning_rate\": 2e-5, \"warmup_ratio\": 0.1, \"weight_decay\": 0.02,"
    "          \"scheduler\": \"constant_with_warmup\", \"max_grad_norm\": 0.5,"
    "          \"gradient_accumulation_steps\": 2, \"seed\": 3, \"shuffle\": false, \"dropout\": false,"
    "          \"drop_last\": true, \"eval_steps\": 5, \"logging_steps\": 1, \"save_steps\": 5,"
    "          \"save_total_limit\": 2, \"early_stopping_patience\": 3, \"load_best_model_at_end\": true,"
    "          \"metric_for_best_model\": \"eval_loss\", \"greater_is_better\": false, \"threads\": 1,"
    "          \"adam_beta1\": 0.8, \"adam_beta2\": 0.99, \"adam_epsilon\": 1e-7, \"max_seq_length\": 32},"
    " \"output_dir\": \"out\"}",
    /* 5. A per-dataset prompt map and a retrieval evaluator. */
    "{\"model\": \"org/model\","
    " \"train\": [{\"path\": \"pairs.csv\", \"name\": \"sts\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"}],"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"eval\": {\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
    " \"evaluator\": {\"name\": \"similarity\"},"
    " \"args\": {\"prompts\": {\"sts\": \"s: \"}},"
    " \"output_dir\": \"out\"}",
  };
  g_autofree char *pairs = write_file (dir, "pairs.csv", "sentence1,sentence2,score\na,b,1\nc,d,0.5\ne,f,0\n");
  g_autofree char *triplets = write_file (dir, "triplets.jsonl",
                                          "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n");
  g_autofree char *tok_dir = g_build_filename (dir, "tokenizer", NULL);
  g_autofree char *tok_src_file = g_build_filename (tok_src, "tokenizer.json", NULL);
  g_autofree char *tok_dst_file = g_build_filename (tok_dir, "tokenizer.json", NULL);
  g_autofree char *tok_text = NULL;
  gsize tok_len;

  g_assert_cmpint (g_mkdir (tok_dir, 0755), ==, 0);
  g_assert_true (g_file_get_contents (tok_src_file, &tok_text, &tok_len, NULL));
  g_assert_true (g_file_set_contents (tok_dst_file, tok_text, tok_len, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (recipes); i++)
    {
      g_autofree char *name = g_strdup_printf ("recipe-%u.json", i + 1);
      g_autofree char *path = write_file (dir, name, recipes[i]);

      g_test_message ("round trip of recipe %u", i + 1);
      check_round_trip (path);
      g_unlink (path);
    }
  g_unlink (tok_dst_file);
  g_rmdir (tok_dir);
  g_unlink (pairs);
  g_unlink (triplets);
  g_rmdir (dir);
}

typedef struct
{
  guint  n_args;
  guint  n_train;
  guint  n_all;
} Counts;

static void
on_changed (VsProject  *project,
            const char *key,
            Counts     *counts)
{
  counts->n_all++;
  if (g_strcmp0 (key, "args") == 0)
    counts->n_args++;
  if (g_strcmp0 (key, "train") == 0)
    counts->n_train++;
}

static void
test_edit_by_path (void)
{
  g_autoptr(VsProject) project = vs_project_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args_problems = NULL;
  g_auto(GStrv) columns = NULL;
  Counts counts = { 0 };
  const char *columns_in[] = { "q", "d", NULL };

  g_assert_true (vs_project_load_from_data (project,
                                            "{\"model\": \"org/model\","
                                            " \"train\": [{\"path\": \"org/a\"}, {\"path\": \"org/b\"}],"
                                            " \"output_dir\": \"out\"}",
                                            "/tmp", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (vs_project_get_valid (project));
  g_signal_connect (project, "changed", G_CALLBACK (on_changed), &counts);

  /* A name applies to the first element of a list; an index to that one. */
  g_assert_cmpstr (vs_project_get_string (project, "train.path"), ==, "org/a");
  g_assert_cmpstr (vs_project_get_string (project, "train.1.path"), ==, "org/b");
  vs_project_set_strv (project, "train.columns", columns_in);
  columns = vs_project_dup_strv (project, "train.0.columns");
  g_assert_cmpstrv (columns, columns_in);
  g_assert_null (vs_project_get (project, "train.1.columns"));
  g_assert_cmpuint (counts.n_train, ==, 1);
  g_assert_true (vs_project_get_dirty (project));

  /* An edit the engine refuses is listed in its area. */
  vs_project_set_int (project, "args.batch_size", 0);
  g_assert_cmpuint (counts.n_args, ==, 1);
  g_assert_false (vs_project_get_valid (project));
  args_problems = vs_project_get_problems_for (project, VS_PROJECT_AREA_ARGS);
  g_assert_cmpuint (g_strv_length (args_problems), ==, 1);
  g_assert_true (g_str_has_prefix (args_problems[0], "args.batch_size"));
  g_assert_cmpint (vs_project_get_int (project, "args.batch_size", 8), ==, 0);

  /* Setting the same value again changes nothing. */
  vs_project_set_int (project, "args.batch_size", 0);
  g_assert_cmpuint (counts.n_args, ==, 1);

  /* Batched edits: one signal per top-level key. */
  vs_project_begin_edit (project);
  vs_project_set_int (project, "args.batch_size", 32);
  vs_project_set_double (project, "args.learning_rate", 1e-4);
  vs_project_set_bool (project, "args.shuffle", FALSE);
  g_assert_cmpuint (counts.n_args, ==, 1);
  vs_project_end_edit (project);
  g_assert_cmpuint (counts.n_args, ==, 2);
  g_assert_true (vs_project_get_valid (project));
  g_assert_cmpuint (vs_project_get_recipe (project)->args.batch_size, ==, 32);
  g_assert_false (vs_project_get_recipe (project)->args.shuffle);

  /* Removing a key. */
  vs_project_remove (project, "args.shuffle");
  g_assert_null (vs_project_get (project, "args.shuffle"));
  g_assert_true (vs_project_get_recipe (project)->args.shuffle);

  /* Area of paths. */
  g_assert_cmpint (vs_project_area_for_path ("loss.params.scale"), ==, VS_PROJECT_AREA_LOSS);
  g_assert_cmpint (vs_project_area_for_path ("train[1].path: missing"), ==, VS_PROJECT_AREA_DATASET);
  g_assert_cmpint (vs_project_area_for_path ("output_dir: missing"), ==, VS_PROJECT_AREA_OUTPUT);
  g_assert_cmpint (vs_project_area_for_path ("evaluator.name"), ==, VS_PROJECT_AREA_EVALUATOR);
}

static void
test_bad_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-project-bad-XXXXXX", NULL);
  g_autofree char *broken = write_file (dir, "broken.json", "{\n  \"model\": \"x\",\n  \"train\": [\n}");
  g_autofree char *array = write_file (dir, "array.json", "[1, 2]");
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  g_autofree char *demo = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "recipe.json", NULL);
  g_autoptr(VsProject) project = vs_project_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (vs_project_load (project, demo, &error));
  vs_project_set_int (project, "args.seed", 7);

  /* Each failure names the file; the project stays as it was. */
  g_assert_false (vs_project_load (project, broken, &error));
  g_assert_nonnull (strstr (error->message, broken));
  g_assert_nonnull (strstr (error->message, "line 4"));
  g_clear_error (&error);
  g_assert_false (vs_project_load (project, array, &error));
  g_assert_nonnull (strstr (error->message, array));
  g_clear_error (&error);
  g_assert_false (vs_project_load (project, missing, &error));
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_cmpint (vs_project_get_int (project, "args.seed", 0), ==, 7);
  g_assert_true (vs_project_get_dirty (project));
  g_assert_nonnull (strstr (vs_project_get_file (project), "recipe.json"));

  /* A recipe the engine refuses still opens, with its problems. */
  {
    g_autofree char *refused = write_file (dir, "refused.json",
                                           "{\"model\": \"org/m\", \"train\": {\"path\": \"org/d\"},"
                                           " \"loss\": {\"name\": \"NoSuchLoss\"},"
                                           " \"args\": {\"batch_size\": -1}, \"output_dir\": \"o\"}");
    g_auto(GStrv) loss = NULL;
    g_auto(GStrv) args = NULL;

    g_assert_true (vs_project_load (project, refused, &error));
    g_assert_no_error (error);
    g_assert_false (vs_project_get_valid (project));
    loss = vs_project_get_problems_for (project, VS_PROJECT_AREA_LOSS);
    args = vs_project_get_problems_for (project, VS_PROJECT_AREA_ARGS);
    g_assert_cmpuint (g_strv_length (loss), ==, 1);
    g_assert_nonnull (strstr (loss[0], "NoSuchLoss"));
    g_assert_cmpuint (g_strv_length (args), ==, 1);
    g_unlink (refused);
  }
  g_unlink (broken);
  g_unlink (array);
  g_rmdir (dir);
}

/* The loss is checked against the loaded data's case, as the trainer does. */
static void
test_loss_against_case (void)
{
  g_autofree char *triplets = g_build_filename (g_getenv ("VS_SHARED_DATA"), "datasets", "triplets",
                                                "snli_dev_triplets.parquet", NULL);
  g_autofree char *demo = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "recipe.json", NULL);
  g_autoptr(VsProject) project = vs_project_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (triplets, NULL, &error);
  g_auto(GStrv) loss_problems = NULL;
  VsCaseInfo *info;

  g_assert_no_error (error);
  g_assert_true (vs_project_load (project, demo, &error));
  g_assert_true (vs_project_get_valid (project));

  info = vs_dataset_detect_case (ds, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->case_number, ==, 4);
  vs_project_set_case_info (project, info);   /* CoSENTLoss on a triplet set */
  g_assert_false (vs_project_get_valid (project));
  loss_problems = vs_project_get_problems_for (project, VS_PROJECT_AREA_LOSS);
  g_assert_cmpuint (g_strv_length (loss_problems), ==, 1);
  g_assert_nonnull (strstr (loss_problems[0], "CoSENTLoss"));

  vs_project_set_string (project, "loss.name", "MultipleNegativesRankingLoss");
  vs_project_remove (project, "loss.params");
  g_assert_true (vs_project_get_valid (project));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project/demo-round-trip", test_demo_round_trip);
  g_test_add_func ("/project/recipes-round-trip", test_recipes_round_trip);
  g_test_add_func ("/project/edit-by-path", test_edit_by_path);
  g_test_add_func ("/project/bad-files", test_bad_files);
  g_test_add_func ("/project/loss-against-case", test_loss_against_case);
  return g_test_run ();
}
