/* test-export.c: the exported sentence-transformers scripts
 * (vs_recipe_export_script, `vectorsmith-cli export-script`) checked
 * against the names the libraries really have (st-api.json, from their
 * sources) by check_script.py: for every loss of the registry and for
 * every recipe of the test suite (the .recipe.json files of tests/export/fixtures,
 * data/demo/recipe.json), in a copy of the project folder so that no path
 * of this machine may leak into a script.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "loss/vs-loss.h"
#include "train/vs-recipe.h"

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
run (const char *cwd,
     GPtrArray  *argv)
{
  Run r = { -1, NULL, NULL };
  int wait_status = 0;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (cwd, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &r.out, &r.err, &wait_status, &error));
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

/* A copy of the parts of the source tree the recipes name. */
static char *
make_project (void)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("vs-export-XXXXXX", &error);
  g_autofree char *tests = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  Run r;

  g_assert_no_error (error);
  tests = g_build_filename (root, "tests", "export", NULL);
  data = g_build_filename (root, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tests, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  g_ptr_array_add (argv, g_strdup ("cp"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "export", "fixtures", NULL));
  g_ptr_array_add (argv, g_strdup (tests));
  r = run (NULL, argv);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  g_ptr_array_set_size (argv, 0);
  g_ptr_array_add (argv, g_strdup ("cp"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", NULL));
  g_ptr_array_add (argv, g_strdup (data));
  r = run (NULL, argv);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  return root;
}

static void
remove_tree (const char *root)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  Run r;

  g_ptr_array_add (argv, (gpointer) "rm");
  g_ptr_array_add (argv, (gpointer) "-rf");
  g_ptr_array_add (argv, (gpointer) root);
  r = run (NULL, argv);
  run_clear (&r);
}

/* check_script.py over scripts; its exit status and stderr. */
static Run
check_scripts (const char  *root,
               GPtrArray   *scripts,
               const char  *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *tmp = g_canonicalize_filename (g_get_tmp_dir (), NULL);

  g_ptr_array_add (argv, g_strdup ("/usr/bin/python3"));
  g_ptr_array_add (argv, g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "export", "check_script.py", NULL));
  g_ptr_array_add (argv, g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "export", "st-api.json", NULL));
  for (guint i = 0; i < scripts->len; i++)
    g_ptr_array_add (argv, g_strdup (scripts->pdata[i]));
  /* The machine's folders: the copy, the temporary folder, the home, the
   * source tree, the shared data. */
  g_ptr_array_add (argv, g_strdup ("--forbid"));
  g_ptr_array_add (argv, g_strdup (root));
  g_ptr_array_add (argv, g_strdup ("--forbid"));
  g_ptr_array_add (argv, g_strdup (tmp));
  g_ptr_array_add (argv, g_strdup ("--forbid"));
  g_ptr_array_add (argv, g_strdup (g_get_home_dir ()));
  g_ptr_array_add (argv, g_strdup ("--forbid"));
  g_ptr_array_add (argv, g_strdup (g_getenv ("VS_SOURCE_DIR")));
  g_ptr_array_add (argv, g_strdup ("--forbid"));
  g_ptr_array_add (argv, g_strdup (g_getenv ("VS_SHARED_DATA")));
  if (extra != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (extra, " ", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        g_ptr_array_add (argv, g_strdup (parts[i]));
    }
  return run (root, argv);
}

/* A value for a parameter the registry requires. */
static cJSON *
required_value (const char *loss,
                const char *param)
{
  if (strcmp (param, "guide") == 0)
    return cJSON_CreateString ("sentence-transformers/all-MiniLM-L6-v2");
  if (strcmp (param, "loss") == 0)
    return cJSON_CreateString ("MultipleNegativesRankingLoss");
  if (strcmp (param, "matryoshka_dims") == 0)
    {
      int dims[] = { 128, 64 };
      return cJSON_CreateIntArray (dims, 2);
    }
  if (strcmp (param, "sentence_embedding_dimension") == 0)
    return cJSON_CreateNumber (128);
  if (strcmp (param, "num_labels") == 0)
    return cJSON_CreateNumber (3);
  g_error ("%s.%s: the test has no value for this required parameter", loss, param);
  return NULL;
}

static void
test_registry (void)
{
  g_autofree char *root = make_project ();
  g_autofree char *demo = g_build_filename (root, "data", "demo", NULL);
  g_autofree char *dir = g_build_filename (root, "losses", NULL);
  g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func (g_free);
  gsize n = 0;
  const VsLossInfo *reg = vs_loss_registry_get_all (&n);
  Run r;

  g_assert_cmpuint (n, >, 0);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  for (gsize i = 0; i < n; i++)
    {
      cJSON *root_json = cJSON_Parse ("{\"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\","
                                      " \"tokenizer\": \"tokenizer\"}, \"modules\": [{\"type\": \"pooling\"}]},"
                                      " \"train\": {\"path\": \"stsb-train.csv\"},"
                                      " \"output_dir\": \"out\"}");
      cJSON *loss = cJSON_AddObjectToObject (root_json, "loss");
      cJSON *params;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;
      g_autoptr(VsRecipe) recipe = NULL;
      g_autoptr(GError) error = NULL;

      cJSON_AddStringToObject (loss, "name", reg[i].name);
      params = cJSON_AddObjectToObject (loss, "params");
      /* Every parameter written out, so that every keyword is checked. */
      for (guint p = 0; p < reg[i].n_params; p++)
        {
          const VsLossParamInfo *info = &reg[i].params[p];
          cJSON *v = info->default_json != NULL ? cJSON_Parse (info->default_json)
                                                : required_value (reg[i].name, info->name);

          if (cJSON_IsNull (v))
            cJSON_Delete (v);
          else
            cJSON_AddItemToObject (params, info->name, v);
        }
      text = cJSON_PrintUnformatted (root_json);
      cJSON_Delete (root_json);
      recipe = vs_recipe_parse (text, strlen (text), reg[i].name, demo, &error);
      g_assert_no_error (error);
      g_assert_nonnull (recipe);
      path = g_strdup_printf ("%s/%s.py", dir, reg[i].name);
      g_assert_true (vs_recipe_export_script (recipe, path, &error));
      g_assert_no_error (error);
      g_ptr_array_add (scripts, g_steal_pointer (&path));
    }
  r = check_scripts (root, scripts, "--expect-no-push");
  if (r.status != 0)
    g_printerr ("%s", r.err);
  g_test_message ("%s", r.out);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "problems"));
  run_clear (&r);
  remove_tree (root);
}

/* Every recipe of the test suite through the CLI: -o into a folder, and
 * stdout in that folder gives the same script. */
static void
test_recipes (void)
{
  g_autofree char *root = make_project ();
  g_autofree char *fixtures = g_build_filename (root, "tests", "export", "fixtures", NULL);
  g_autofree char *out = g_build_filename (root, "scripts", NULL);
  g_autoptr(GPtrArray) recipes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (fixtures, 0, NULL);
  const char *name;
  Run r;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".recipe.json"))
      g_ptr_array_add (recipes, g_build_filename (fixtures, name, NULL));
  g_ptr_array_add (recipes, g_build_filename (root, "data", "demo", "recipe.json", NULL));
  g_assert_cmpuint (recipes->len, >=, 3);
  g_assert_cmpint (g_mkdir (out, 0755), ==, 0);

  for (guint i = 0; i < recipes->len; i++)
    {
      const char *recipe = recipes->pdata[i];
      g_autofree char *base = g_path_get_basename (recipe);
      g_autofree char *script = g_strdup_printf ("%s/%u-%s.py", out, i, base);
      g_autofree char *written = NULL;
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();

      g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
      g_ptr_array_add (argv, (gpointer) "export-script");
      g_ptr_array_add (argv, (gpointer) recipe);
      g_ptr_array_add (argv, (gpointer) "-o");
      g_ptr_array_add (argv, script);
      r = run (NULL, argv);
      g_assert_cmpint (r.status, ==, 0);
      run_clear (&r);
      g_assert_true (g_file_get_contents (script, &written, NULL, NULL));

      g_ptr_array_set_size (argv, 3);
      r = run (out, argv);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.out, ==, written);
      run_clear (&r);

      /* The recipe's name in the header. */
      g_assert_nonnull (strstr (written, base));
      g_ptr_array_add (scripts, g_steal_pointer (&script));
    }
  {
    /* The pushing recipe apart: push_to_hub=True and its hub_model_id. */
    g_autoptr(GPtrArray) push = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) rest = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < scripts->len; i++)
      g_ptr_array_add (strstr (scripts->pdata[i], "push") != NULL ? push : rest, g_strdup (scripts->pdata[i]));
    g_assert_cmpuint (push->len, ==, 1);
    r = check_scripts (root, push, "--expect-push vectorsmith-test/minilm-export");
    if (r.status != 0)
      g_printerr ("%s", r.err);
    g_assert_cmpint (r.status, ==, 0);
    run_clear (&r);
    r = check_scripts (root, rest, "--expect-no-push");
    if (r.status != 0)
      g_printerr ("%s", r.err);
    g_assert_cmpint (r.status, ==, 0);
    run_clear (&r);
  }
  remove_tree (root);
}

/* The checker fails on a script with each defect, naming it. */
static void
test_checker_fails (void)
{
  g_autofree char *root = make_project ();
  g_autoptr(GPtrArray) scripts = g_ptr_array_new_with_free_func (g_free);
  Run r;

  g_ptr_array_add (scripts, g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "export", "bad-script.py", NULL));
  r = check_scripts (root, scripts, "--expect-push org/x");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "sentence_transformers has no NoSuchTrainer"));
  g_assert_nonnull (strstr (r.err, "losses.CoSENTLoss: no keyword argument margin"));
  g_assert_nonnull (strstr (r.err, "SentenceTransformerTrainingArguments: no keyword argument num_epochs"));
  g_assert_nonnull (strstr (r.err, "BatchSamplers has no member NO_SUCH"));
  g_assert_nonnull (strstr (r.err, "absolute path '/home/someone/out'"));
  g_assert_nonnull (strstr (r.err, "no `if __name__"));
  g_assert_nonnull (strstr (r.err, "push_to_hub=True missing"));
  g_assert_nonnull (strstr (r.err, "--help` failed"));
  run_clear (&r);
  remove_tree (root);
}

/* Bad push settings in a recipe: an error naming the field. */
static void
test_bad_push (void)
{
  const char *text = "{\"model\": \"m\", \"train\": {\"path\": \"d.csv\"}, \"output_dir\": \"o\","
                     " \"args\": {\"push_to_hub\": \"yes\", \"hub_model_id\": 3}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (text, strlen (text), "r.json", NULL, &error);

  g_assert_null (recipe);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "r.json: args.push_to_hub: expected true or false"));
  g_assert_nonnull (strstr (error->message, "r.json: args.hub_model_id: expected a repository id"));
}

/* export-script: a missing folder is an error naming the file; no partial
 * file is left. */
static void
test_cli_errors (void)
{
  g_autofree char *recipe = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "recipe.json", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  Run r;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  g_ptr_array_add (argv, (gpointer) "export-script");
  g_ptr_array_add (argv, recipe);
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) "/nonexistent-vs-folder/train.py");
  r = run (NULL, argv);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "/nonexistent-vs-folder/train.py: the folder /nonexistent-vs-folder does not exist"));
  run_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/export/registry", test_registry);
  g_test_add_func ("/export/recipes", test_recipes);
  g_test_add_func ("/export/checker-fails", test_checker_fails);
  g_test_add_func ("/export/bad-push", test_bad_push);
  g_test_add_func ("/export/cli-errors", test_cli_errors);
  return g_test_run ();
}
