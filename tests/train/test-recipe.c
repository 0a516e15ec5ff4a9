/* test-recipe.c: recipe parsing, defaults (sentence-transformers' own, as
 * listed in st-spec.md section 3.2) and the all-problems-at-once report. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "train/vs-recipe.h"

/* The exported script with main()'s body one level out, as the checks
 * below spell the code. */
static char *
script_body (const VsRecipe *recipe)
{
  g_autofree char *py = vs_recipe_to_python (recipe);
  g_auto(GStrv) lines = g_strsplit (py, "\n", -1);
  GString *s = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_string_append (s, g_str_has_prefix (lines[i], "    ") ? lines[i] + 4 : lines[i]);
      if (lines[i + 1] != NULL)
        g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static VsRecipe *
parse (const char *text,
       GError    **error)
{
  return vs_recipe_parse (text, strlen (text), "r.json", "/tmp", error);
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse ("{\"model\": \"org/model\", \"train\": {\"path\": \"org/data\"},"
                                 " \"output_dir\": \"out\"}", &error);
  VsTrainArgs *a;

  g_assert_no_error (error);
  a = &r->args;
  /* transformers.TrainingArguments defaults. */
  g_assert_cmpfloat (a->epochs, ==, 3.0);
  g_assert_cmpint (a->max_steps, ==, -1);
  g_assert_cmpuint (a->batch_size, ==, 8);
  g_assert_cmpfloat (a->learning_rate, ==, 5e-5);
  g_assert_cmpfloat (a->warmup_ratio, ==, 0.0);
  g_assert_cmpint (a->warmup_steps, ==, 0);
  g_assert_cmpfloat (a->weight_decay, ==, 0.0);
  g_assert_cmpint (a->scheduler, ==, VS_SCHEDULE_LINEAR);
  g_assert_cmpfloat (a->max_grad_norm, ==, 1.0);
  g_assert_cmpuint (a->gradient_accumulation_steps, ==, 1);
  g_assert_cmpuint (a->seed, ==, 42);
  g_assert_cmpint (a->save_steps, ==, 500);
  g_assert_cmpint (a->logging_steps, ==, 500);
  g_assert_cmpfloat (a->adam_beta1, ==, 0.9);
  g_assert_cmpfloat (a->adam_beta2, ==, 0.999);
  g_assert_cmpfloat (a->adam_epsilon, ==, 1e-8);
  g_assert_cmpint (a->batch_sampler, ==, VS_BATCH_SAMPLER_BATCH);
  g_assert_cmpint (a->multi_dataset_batch_sampler, ==, VS_MULTI_DATASET_PROPORTIONAL);
  g_assert_false (a->drop_last);
  g_assert_false (a->load_best_model_at_end);
  /* SentenceTransformerTrainer's fallback loss. */
  g_assert_cmpstr (r->loss->name, ==, "CoSENTLoss");
  g_assert_cmpstr (r->model, ==, "org/model");   /* not a local path: a Hub id */
  g_assert_cmpstr (r->output_dir, ==, "/tmp/out");
  g_assert_cmpuint (r->train->len, ==, 1);
}

static const char *full_recipe =
  "{\"name\": \"my project\", \"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\", \"tokenizer\": \"/tok\"},"
  "           \"modules\": [{\"type\": \"pooling\", \"mode\": \"mean\"},"
  "                         {\"type\": \"dense\", \"out_features\": 16, \"activation\": \"tanh\"},"
  "                         {\"type\": \"normalize\"}]},"
  " \"train\": [{\"path\": \"/a.csv\", \"columns\": [\"s1\", \"s2\"], \"label\": \"score\", \"limit\": 50,"
  "             \"roles\": {\"s1\": \"sentence\", \"pair_id\": \"ignore\", \"score\": \"label\"},"
  "             \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": 10}}},"
  "            {\"path\": \"/b.jsonl\", \"split\": \"train\", \"columns\": [\"anchor\", \"positive\"],"
  "             \"label\": null, \"roles\": {\"score\": \"ignore\"}}],"
  " \"eval\": {\"split_ratio\": 0.1},"
  " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
  " \"evaluator\": {\"name\": \"similarity\"},"
  " \"args\": {\"num_train_epochs\": 1, \"batch_size\": 16, \"learning_rate\": 2e-5,"
  "          \"scheduler\": \"cosine\", \"warmup_ratio\": 0.1, \"dropout\": false,"
  "          \"batch_sampler\": \"no_duplicates\", \"multi_dataset_batch_sampler\": \"round_robin\","
  "          \"eval_steps\": 10, \"save_total_limit\": 2, \"early_stopping_patience\": 3,"
  "          \"load_best_model_at_end\": true, \"metric_for_best_model\": \"eval_spearman_cosine\","
  "          \"threads\": 2, \"seed\": 7, \"shuffle\": false},"
  " \"output_dir\": \"/out\"}";

static void
test_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse (full_recipe, &error);
  g_autoptr(VsRecipe) again = NULL;
  VsRecipeDataset *d0;
  VsRecipeDataset *d1;
  cJSON *json;
  cJSON *json2;
  cJSON *nd;
  cJSON *written;
  char *text;

  g_assert_no_error (error);
  g_assert_null (r->model);
  g_assert_cmpstr (r->name, ==, "my project");
  g_assert_cmpstr (r->new_architecture, ==, "bert");
  g_assert_cmpint (cJSON_GetArraySize (r->modules), ==, 3);
  g_assert_cmpuint (r->train->len, ==, 2);
  d0 = g_ptr_array_index (r->train, 0);
  g_assert_cmpstr (d0->columns[1], ==, "s2");
  g_assert_cmpint (d0->limit, ==, 50);
  g_assert_false (d0->no_label);
  g_assert_cmpuint (d0->n_roles, ==, 3);
  g_assert_cmpstr (d0->roles[0].column, ==, "s1");
  g_assert_cmpint (d0->roles[0].role, ==, VS_ROLE_ANCHOR);   /* "sentence" */
  g_assert_cmpint (vs_recipe_dataset_role (d0, "pair_id"), ==, VS_ROLE_IGNORE);
  g_assert_cmpint (vs_recipe_dataset_role (d0, "s2"), ==, VS_ROLE_AUTO);
  g_assert_cmpstr (vs_recipe_dataset_label (d0), ==, "score");
  d1 = g_ptr_array_index (r->train, 1);
  g_assert_true (d1->no_label);
  g_assert_null (d1->label);
  g_assert_null (vs_recipe_dataset_label (d1));
  g_assert_cmpuint (d1->n_roles, ==, 1);
  g_assert_cmpint (vs_recipe_dataset_role (d1, "score"), ==, VS_ROLE_IGNORE);
  g_assert_cmpstr (vs_recipe_loss_for (r, 0)->name, ==, "CoSENTLoss");
  g_assert_cmpstr (vs_recipe_loss_for (r, 1)->name, ==, "MultipleNegativesRankingLoss");
  g_assert_cmpfloat (r->eval->split_ratio, ==, 0.1);
  g_assert_cmpfloat (r->args.epochs, ==, 1.0);
  g_assert_cmpint (r->args.scheduler, ==, VS_SCHEDULE_COSINE);
  g_assert_false (r->args.dropout);
  g_assert_cmpint (r->args.save_total_limit, ==, 2);
  g_assert_cmpint (r->args.greater_is_better, ==, -1);

  /* Round trip: writing and reading back gives the same recipe. */
  json = vs_recipe_to_json (r);
  text = cJSON_PrintUnformatted (json);
  again = parse (text, &error);
  g_assert_no_error (error);
  json2 = vs_recipe_to_json (again);
  g_assert_true (cJSON_Compare (json, json2, TRUE));
  /* "label": null stays null (not absent: that would bring the automatic
   * label back), and every role reads back. */
  written = cJSON_GetArrayItem (cJSON_GetObjectItem (json, "train"), 1);
  g_assert_true (cJSON_IsNull (cJSON_GetObjectItem (written, "label")));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (
                     cJSON_GetArrayItem (cJSON_GetObjectItem (json, "train"), 0), "roles"), "s1")), ==, "anchor");
  for (guint i = 0; i < r->train->len; i++)
    {
      VsRecipeDataset *a = g_ptr_array_index (r->train, i);
      VsRecipeDataset *b = g_ptr_array_index (again->train, i);

      g_assert_cmpint (a->no_label, ==, b->no_label);
      g_assert_cmpstr (a->label, ==, b->label);
      g_assert_cmpuint (a->n_roles, ==, b->n_roles);
      for (guint k = 0; k < a->n_roles; k++)
        {
          g_assert_cmpstr (a->roles[k].column, ==, b->roles[k].column);
          g_assert_cmpint (a->roles[k].role, ==, b->roles[k].role);
        }
    }

  nd = vs_train_args_non_default (&r->args);
  g_assert_nonnull (cJSON_GetObjectItem (nd, "learning_rate"));
  g_assert_nonnull (cJSON_GetObjectItem (nd, "scheduler"));
  g_assert_null (cJSON_GetObjectItem (nd, "max_grad_norm"));
  g_assert_null (cJSON_GetObjectItem (nd, "adam_beta1"));
  cJSON_Delete (nd);
  cJSON_free (text);
  cJSON_Delete (json);
  cJSON_Delete (json2);
}

static void
test_all_problems (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = NULL;
  const char *expected[] = {
    "r.json: recipe.optimizer: unknown key",
    "r.json: model.new.preset: missing",
    "r.json: train[0].columns[1]: expected a column name",
    "r.json: train[1].path: missing",
    "r.json: train[1].loss.name: unknown loss “NoSuchLoss”",
    "r.json: evaluator.name: expected similarity, triplet, binary or retrieval",
    "r.json: args.batch_size: expected an integer >= 1",
    "r.json: args.scheduler: expected one of linear, cosine, constant, constant_with_warmup (got “warmuplinear”)",
    "r.json: args.lerning_rate: unknown argument",
    "r.json: args.warmup_ratio: must be between 0 and 1",
    "r.json: args.dropout: expected true, false or a rate",
    "r.json: args.eval_steps: set, but the recipe has no eval data",
    "r.json: evaluator: needs eval data",
    "r.json: recipe.output_dir: missing",
  };
  g_auto(GStrv) lines = NULL;

  r = parse ("{\"model\": {\"new\": {\"architecture\": \"bert\", \"tokenizer\": \"t\"}},"
             " \"optimizer\": \"sgd\","
             " \"train\": [{\"path\": \"a\", \"columns\": [\"x\", 3]},"
             "            {\"columns\": [\"y\"], \"loss\": {\"name\": \"NoSuchLoss\"}}],"
             " \"evaluator\": {\"name\": \"sts\"},"
             " \"args\": {\"batch_size\": 0, \"scheduler\": \"warmuplinear\", \"lerning_rate\": 1,"
             "          \"warmup_ratio\": 1.5, \"dropout\": \"no\", \"eval_steps\": 5}}", &error);
  g_assert_null (r);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  lines = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; lines[j] != NULL; j++)
        if (g_str_has_prefix (lines[j], expected[i]))
          found = TRUE;
      if (!found)
        g_error ("missing problem “%s” in:\n%s", expected[i], error->message);
    }
}

static void
test_bad_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse ("{\"model\": \"x\",\n \"train\": [}", &error);

  g_assert_null (r);
  g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "line 2"));
  g_clear_error (&error);
  g_assert_null (vs_recipe_load ("/nonexistent/recipe.json", &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_IO);
  g_clear_error (&error);
  g_assert_null (parse ("[1, 2]", &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
}

static void
test_relative_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-recipe-XXXXXX", &error);
  g_autofree char *data = g_build_filename (dir, "data.csv", NULL);
  g_autofree char *recipe_path = g_build_filename (dir, "recipe.json", NULL);
  g_autoptr(VsRecipe) r = NULL;

  g_assert_no_error (error);
  g_file_set_contents (data, "a,b\nx,y\n", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (recipe_path, "{\"model\": \"sentence-transformers/all-MiniLM-L6-v2\","
                       " \"train\": \"data.csv\", \"output_dir\": \"out\"}", -1, &error);
  g_assert_no_error (error);
  r = vs_recipe_load (recipe_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((VsRecipeDataset *) r->train->pdata[0])->path, ==, data);
  g_assert_cmpstr (r->model, ==, "sentence-transformers/all-MiniLM-L6-v2");
  g_assert_true (g_str_has_suffix (r->output_dir, "/out"));
  /* Saved and read back: the same recipe. */
  {
    g_autofree char *saved = g_build_filename (dir, "saved.json", NULL);
    g_autoptr(VsRecipe) again = NULL;
    cJSON *a, *b;

    g_assert_true (vs_recipe_save (r, saved, &error));
    again = vs_recipe_load (saved, &error);
    g_assert_no_error (error);
    a = vs_recipe_to_json (r);
    b = vs_recipe_to_json (again);
    g_assert_true (cJSON_Compare (a, b, TRUE));
    cJSON_Delete (a);
    cJSON_Delete (b);
    g_remove (saved);
  }
  g_assert_false (vs_recipe_save (r, "/nonexistent/dir/r.json", &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_IO);
  g_clear_error (&error);
  g_remove (data);
  g_remove (recipe_path);
  g_rmdir (dir);
}

/* GISTEmbedLoss / CachedGISTEmbedLoss need params.guide (a model folder or
 * Hub id), also inside a wrapper; every missing or mistyped guide is listed
 * at once. A relative folder is taken from the recipe's folder. */
static void
test_gist_guide (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) bad = parse (
    "{\"model\": \"org/model\","
    " \"train\": [{\"path\": \"org/a\"},"
    "            {\"path\": \"org/b\", \"loss\": {\"name\": \"CachedGISTEmbedLoss\", \"params\": {\"guide\": 3}}},"
    "            {\"path\": \"org/c\", \"loss\": {\"name\": \"MatryoshkaLoss\","
    "                                            \"params\": {\"loss\": \"GISTEmbedLoss\"}}},"
    "            {\"path\": \"org/d\", \"loss\": {\"name\": \"MatryoshkaLoss\","
    "                \"params\": {\"loss\": {\"name\": \"GISTEmbedLoss\", \"params\": {\"guide\": \"\"}}}}}],"
    " \"loss\": {\"name\": \"GISTEmbedLoss\"},"
    " \"output_dir\": \"out\"}", &error);
  g_auto(GStrv) lines = NULL;

  g_assert_null (bad);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  lines = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, "r.json: train[1].loss.params.guide: expected a model folder or Hub id (got a number)");
  g_assert_cmpstr (lines[1], ==, "r.json: train[2].loss.params.loss.params.guide: missing: GISTEmbedLoss needs a guide "
                   "model (a model folder or Hub id)");
  g_assert_cmpstr (lines[2], ==, "r.json: train[3].loss.params.loss.params.guide: expected a model folder or Hub id "
                   "(got an empty string)");
  g_assert_cmpstr (lines[3], ==, "r.json: loss.params.guide: missing: GISTEmbedLoss needs a guide model "
                   "(a model folder or Hub id)");
  g_clear_error (&error);

  {
    g_autofree char *dir = g_dir_make_tmp ("vs-recipe-gist-XXXXXX", &error);
    g_autofree char *guide = g_build_filename (dir, "guide", NULL);
    g_autofree char *text = g_strdup (
      "{\"model\": \"org/model\","
      " \"train\": [{\"path\": \"org/a\"},"
      "            {\"path\": \"org/b\", \"loss\": {\"name\": \"MatryoshkaLoss\", \"params\": {"
      "               \"loss\": {\"name\": \"CachedGISTEmbedLoss\", \"params\": {\"guide\": \"org/guide\"}},"
      "               \"matryoshka_dims\": [16, 8]}}},"
      "            {\"path\": \"org/c\", \"loss\": \"CoSENTLoss\"}],"
      " \"loss\": {\"name\": \"GISTEmbedLoss\", \"params\": {\"guide\": \"guide\", \"temperature\": 0.05}},"
      " \"output_dir\": \"out\"}");
    g_autoptr(VsRecipe) r = NULL;
    g_autoptr(VsRecipe) again = NULL;
    cJSON *json;
    char *printed;

    g_assert_no_error (error);
    g_assert_cmpint (g_mkdir (guide, 0755), ==, 0);
    r = vs_recipe_parse (text, strlen (text), "ok.json", dir, &error);
    g_assert_no_error (error);
    /* A folder beside the recipe becomes absolute; a Hub id stays. */
    g_assert_cmpstr (vs_recipe_loss_get_guide (vs_recipe_loss_for (r, 0)), ==, guide);
    g_assert_cmpstr (vs_recipe_loss_get_guide (vs_recipe_loss_for (r, 1)), ==, "org/guide");
    g_assert_null (vs_recipe_loss_get_guide (vs_recipe_loss_for (r, 2)));
    /* Written out and read back from elsewhere: the same guide. */
    json = vs_recipe_to_json (r);
    printed = cJSON_PrintUnformatted (json);
    again = vs_recipe_parse (printed, strlen (printed), "again.json", "/", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (vs_recipe_loss_get_guide (vs_recipe_loss_for (again, 0)), ==, guide);
    cJSON_free (printed);
    cJSON_Delete (json);
    g_rmdir (guide);
    g_rmdir (dir);
  }
}

/* args.prompts: a string, a column map, a dataset -> (string | column map)
 * map; resolution, the round trip, the exported script, and every problem. */
static void
test_prompts (void)
{
  g_autoptr(GError) error = NULL;
  const char *multi =
    "{\"model\": \"org/model\", \"output_dir\": \"out\","
    " \"train\": [{\"path\": \"org/a\", \"name\": \"nli\", \"columns\": [\"anchor\", \"positive\"]},"
    "            {\"path\": \"org/b\", \"name\": \"sts\", \"columns\": [\"s1\", \"s2\"], \"label\": \"score\"}],"
    " \"args\": {\"prompts\": {\"nli\": {\"anchor\": \"q: \"}, \"sts\": \"s: \", \"positive\": \"p: \"}}}";
  g_autoptr(VsRecipe) r = parse (multi, &error);
  g_autoptr(VsRecipe) plain = NULL;
  g_autoptr(VsRecipe) str = NULL;
  g_autoptr(VsRecipe) again = NULL;
  g_autofree char *py = NULL;
  g_autofree char *py_str = NULL;
  g_autofree char *py_plain = NULL;
  g_autofree char *round = NULL;
  cJSON *json;

  g_assert_no_error (error);
  g_assert_cmpstr (vs_recipe_prompt_for (r, "nli", "anchor"), ==, "q: ");
  g_assert_cmpstr (vs_recipe_prompt_for (r, "nli", "positive"), ==, "p: ");   /* top-level column */
  g_assert_cmpstr (vs_recipe_prompt_for (r, "sts", "s1"), ==, "s: ");
  g_assert_cmpstr (vs_recipe_prompt_for (r, "sts", "s2"), ==, "s: ");
  g_assert_null (vs_recipe_prompt_for (r, "other", "anchor"));
  /* The script's datasets are dataset_0, dataset_1: resolved per column. */
  py = script_body (r);
  g_assert_nonnull (strstr (py, "    prompts={\"dataset_0\":{\"anchor\":\"q: \",\"positive\":\"p: \"},"
                                "\"dataset_1\":{\"s1\":\"s: \",\"s2\":\"s: \"}},\n"));
  /* Saved and parsed again: the same prompts. */
  json = vs_recipe_to_json (r);
  round = cJSON_PrintUnformatted (json);
  cJSON_Delete (json);
  again = parse (round, &error);
  g_assert_no_error (error);
  g_assert_true (cJSON_Compare (again->prompts, r->prompts, TRUE));

  str = parse ("{\"model\": \"org/model\", \"train\": {\"path\": \"org/data\"}, \"output_dir\": \"out\","
               " \"args\": {\"prompts\": \"query: \"}}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_recipe_prompt_for (str, NULL, "anything"), ==, "query: ");
  py_str = script_body (str);
  g_assert_nonnull (strstr (py_str, "    prompts=\"query: \",\n"));

  /* No prompts: sentence-transformers' None, nothing in the script. */
  plain = parse ("{\"model\": \"org/model\", \"train\": {\"path\": \"org/data\"}, \"output_dir\": \"out\"}",
                 &error);
  g_assert_no_error (error);
  g_assert_null (plain->prompts);
  g_assert_null (vs_recipe_prompt_for (plain, NULL, "anchor"));
  py_plain = script_body (plain);
  g_assert_null (strstr (py_plain, "prompts="));
}

static void
test_prompt_problems (void)
{
  g_autoptr(GError) error = NULL;
  const char *bad =
    "{\"model\": \"org/model\", \"output_dir\": \"out\","
    " \"train\": [{\"path\": \"org/a\", \"name\": \"nli\", \"columns\": [\"anchor\", \"positive\"]},"
    "            {\"path\": \"org/b\", \"name\": \"sts\", \"columns\": [\"s1\", \"s2\"], \"label\": \"score\"}],"
    " \"args\": {\"prompts\": {\"nli\": {\"anchr\": \"q: \", \"positive\": 3}, \"stss\": {\"s1\": \"x\"},"
    "                        \"query\": \"y\", \"sts\": [1], \"score\": \"z\"}}}";
  g_autoptr(VsRecipe) r = parse (bad, &error);
  g_autoptr(VsRecipe) r2 = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_null (r);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  lines = g_strsplit (error->message, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.nli.anchr: train dataset “nli” has no "
                                            "input column “anchr” (columns: anchor, positive)"));
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.nli.positive: expected a prompt string"));
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.stss: no train dataset is named “stss” "
                                            "(datasets: nli, sts)"));
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.query: neither an input column"));
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.sts: expected a prompt or an object"));
  /* The label is no input column. */
  g_assert_nonnull (strstr (error->message, "r.json: args.prompts.score: neither an input column"));
  g_clear_error (&error);

  r2 = parse ("{\"model\": \"org/model\", \"train\": {\"path\": \"org/data\"}, \"output_dir\": \"out\","
              " \"args\": {\"prompts\": 5, \"batch_size\": 0}}", &error);
  g_assert_null (r2);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "args.prompts: expected a string, or an object"));
  g_assert_nonnull (strstr (error->message, "args.batch_size"));
}

/* "label": null and "roles" without "columns" (detection takes them as
 * overrides), on train and eval: fields, round trip, the exported script. */
static void
test_roles (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse (
    "{\"model\": \"org/model\", \"output_dir\": \"out\","
    " \"train\": [{\"path\": \"/pairs.csv\", \"label\": null},"
    "            {\"path\": \"/scored.csv\", \"roles\": {\"score\": \"ignore\"}},"
    "            {\"path\": \"/qa.jsonl\", \"roles\": {\"q\": \"sentence\", \"a\": \"positive\","
    "                                          \"hard\": \"negative\", \"gold\": \"label\"}},"
    "            {\"path\": \"/cols.csv\", \"columns\": [\"s1\", \"s2\"]}],"
    " \"eval\": {\"path\": \"/dev.csv\", \"label\": null, \"roles\": {\"id\": \"ignore\"}},"
    " \"loss\": \"MultipleNegativesRankingLoss\"}", &error);
  g_autoptr(VsRecipe) again = NULL;
  g_autofree char *py = NULL;
  VsRecipeDataset *qa;
  cJSON *json;
  cJSON *json2;
  char *text;

  g_assert_no_error (error);
  g_assert_true (((VsRecipeDataset *) g_ptr_array_index (r->train, 0))->no_label);
  g_assert_false (((VsRecipeDataset *) g_ptr_array_index (r->train, 1))->no_label);
  qa = g_ptr_array_index (r->train, 2);
  g_assert_cmpuint (qa->n_roles, ==, 4);
  g_assert_cmpint (vs_recipe_dataset_role (qa, "q"), ==, VS_ROLE_ANCHOR);
  g_assert_cmpint (vs_recipe_dataset_role (qa, "hard"), ==, VS_ROLE_NEGATIVE);
  g_assert_cmpstr (vs_recipe_dataset_label (qa), ==, "gold");
  g_assert_null (qa->label);
  g_assert_true (r->eval->no_label);
  g_assert_cmpint (vs_recipe_dataset_role (r->eval, "id"), ==, VS_ROLE_IGNORE);

  json = vs_recipe_to_json (r);
  text = cJSON_PrintUnformatted (json);
  again = parse (text, &error);
  g_assert_no_error (error);
  json2 = vs_recipe_to_json (again);
  g_assert_true (cJSON_Compare (json, json2, TRUE));
  g_assert_true (((VsRecipeDataset *) g_ptr_array_index (again->train, 0))->no_label);
  g_assert_true (again->eval->no_label);
  g_assert_cmpstr (vs_recipe_dataset_label (g_ptr_array_index (again->train, 2)), ==, "gold");
  cJSON_free (text);
  cJSON_Delete (json);
  cJSON_Delete (json2);

  /* The script keeps the columns the trainer keeps. */
  py = script_body (r);
  g_test_message ("%s", py);
  g_assert_nonnull (strstr (py, "train_0 = train_0.remove_columns([c for c in [\"label\", \"score\"] "
                                "if c in train_0.column_names])\n"));
  g_assert_nonnull (strstr (py, "train_1 = train_1.remove_columns([\"score\"])\n"));
  g_assert_nonnull (strstr (py, "def vectorsmith_inputs(dataset, anchors, positives, negatives):\n"));
  g_assert_nonnull (strstr (py, "train_2 = train_2.select_columns(vectorsmith_inputs(train_2, [\"q\"], [\"a\"], "
                                "[\"hard\"]) + [\"gold\"])\ntrain_2 = train_2.rename_column(\"gold\", \"label\")\n"));
  /* "columns" without "label": the trainer's automatic label comes along. */
  g_assert_nonnull (strstr (py, "train_3 = train_3.select_columns([\"s1\", \"s2\"] + [c for c in [\"label\", "
                                "\"score\"] if c in train_3.column_names and c not in [\"s1\", \"s2\"]][:1])\n"));
  g_assert_nonnull (strstr (py, "eval_dataset = eval_dataset.remove_columns([\"id\"])\n"
                                "eval_dataset = eval_dataset.remove_columns([c for c in [\"label\", \"score\"] "
                                "if c in eval_dataset.column_names and c not in [\"id\"]])\n"));
}

/* Every contradiction in "label" / "roles" / "columns" is listed at once,
 * each naming its dataset and column. */
static void
test_role_problems (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse (
    "{\"model\": \"org/model\", \"output_dir\": \"out\","
    " \"train\": [{\"path\": \"/a.csv\", \"roles\": {\"x\": \"boss\", \"y\": 3, \"\": \"anchor\"}},"
    "            {\"path\": \"/b.csv\", \"columns\": [\"a\", \"b\", \"c\"], \"label\": \"s\","
    "             \"roles\": {\"a\": \"ignore\", \"s\": \"ignore\", \"b\": \"anchor\", \"c\": \"negative\","
    "                       \"d\": \"positive\", \"t\": \"label\"}},"
    "            {\"path\": \"/c.csv\", \"label\": null, \"roles\": {\"g\": \"label\"}},"
    "            {\"path\": \"/d.csv\", \"roles\": {\"g\": \"label\", \"h\": \"label\", \"g\": \"anchor\"}},"
    "            {\"path\": \"/e.csv\", \"roles\": [\"a\"]},"
    "            {\"path\": \"/f.csv\", \"columns\": [\"a\", \"b\"], \"roles\": {\"a\": \"label\"}},"
    "            {\"path\": \"/g.csv\", \"label\": \"s\", \"roles\": {\"s\": \"positive\"}},"
    "            {\"path\": \"/h.csv\", \"columns\": [\"a\", \"b\"], \"roles\": {\"s\": \"ignore\"}},"
    "            {\"path\": \"/i.csv\", \"columns\": [\"a\", \"b\"], \"roles\": {\"s\": \"label\"}}],"
    " \"eval\": {\"split_ratio\": 0.1, \"label\": null, \"roles\": {\"a\": \"ignore\"}},"
    " \"args\": {\"batch_sampler\": \"group_by_label\", \"batch_size\": 4}}", &error);
  const char *expected[] = {
    "r.json: train[0].roles.x: expected anchor, positive, negative, sentence, label or ignore (got “boss”)",
    "r.json: train[0].roles.y: expected anchor, positive, negative, sentence, label or ignore (got a number)",
    "r.json: train[0].roles: an empty key; keys are column names",
    "r.json: train[1].roles.a: “a” is ignored, but it is columns[0]",
    "r.json: train[1].roles.s: “s” is ignored, but \"label\" names it",
    "r.json: train[1].roles.b: “b” is columns[1], the positive (with \"columns\", their order gives the roles)",
    "r.json: train[1].roles.c: ",   /* placeholder: c is columns[2], a negative: no problem */
    "r.json: train[1].roles.d: “d” is not in columns (with \"columns\", the inputs are those listed)",
    "r.json: train[1].roles.t: “t” has the label role, but \"label\" names “s”",
    "r.json: train[2].roles.g: “g” has the label role, but \"label\" is null (no label)",
    "r.json: train[3].roles.h: “g” and “h” both have the label role; a dataset has one label",
    "r.json: train[3].roles.g: given twice",
    "r.json: train[4].roles: expected an object of column -> role (anchor, positive, negative, sentence, label "
    "or ignore) (got an array)",
    "r.json: train[5].roles.a: “a” is the label, but it is columns[0]; list only inputs",
    "r.json: train[6].roles.s: “s” is the label (\"label\"), not a text",
    "r.json: eval.roles: not for a split_ratio eval set (it takes train[0]'s columns)",
    "r.json: eval.label: not for a split_ratio eval set (it takes train[0]'s columns)",
    "r.json: train[2].label: group_by_label needs a label column (it is null)",
    "r.json: train[7].label: group_by_label needs a label column",
  };
  g_auto(GStrv) lines = NULL;
  guint n_expected = 0;

  g_assert_null (r);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  lines = g_strsplit (error->message, "\n", -1);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gboolean found = FALSE;

      if (g_str_has_suffix (expected[i], ": "))
        {
          /* A role that agrees with "columns": no line for it. */
          for (guint j = 0; lines[j] != NULL; j++)
            g_assert_false (g_str_has_prefix (lines[j], expected[i]));
          continue;
        }
      n_expected++;
      for (guint j = 0; lines[j] != NULL; j++)
        found |= strcmp (lines[j], expected[i]) == 0;
      if (!found)
        g_error ("missing problem “%s” in:\n%s", expected[i], error->message);
    }
  g_assert_cmpuint (g_strv_length (lines), ==, n_expected);
}

/* Several pooling modes ("cls+mean", as the Model page writes them) become
 * sentence-transformers' one flag per mode in the exported script. */
static void
test_export_pooling_modes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) r = parse ("{\"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\","
                                 " \"tokenizer\": \"/tok\"}, \"modules\": [{\"type\": \"pooling\", \"mode\": \"cls+mean\"}]},"
                                 " \"train\": {\"path\": \"org/data\"}, \"output_dir\": \"out\"}", &error);
  g_autofree char *py = NULL;

  g_assert_no_error (error);
  py = script_body (r);
  g_assert_nonnull (strstr (py, "pooling_mode_cls_token=True, pooling_mode_max_tokens=False, "
                                "pooling_mode_mean_tokens=True, pooling_mode_mean_sqrt_len_tokens=False, "
                                "pooling_mode_weightedmean_tokens=False, pooling_mode_lasttoken=False)"));
  g_assert_null (strstr (py, "pooling_mode=\"cls+mean\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/recipe/defaults", test_defaults);
  g_test_add_func ("/train/recipe/full", test_full);
  g_test_add_func ("/train/recipe/all-problems", test_all_problems);
  g_test_add_func ("/train/recipe/bad-json", test_bad_json);
  g_test_add_func ("/train/recipe/relative-paths", test_relative_paths);
  g_test_add_func ("/train/recipe/gist-guide", test_gist_guide);
  g_test_add_func ("/train/recipe/prompts", test_prompts);
  g_test_add_func ("/train/recipe/prompt-problems", test_prompt_problems);
  g_test_add_func ("/train/recipe/roles", test_roles);
  g_test_add_func ("/train/recipe/role-problems", test_role_problems);
  g_test_add_func ("/train/recipe/export-pooling-modes", test_export_pooling_modes);
  return g_test_run ();
}
