/* test-recipe-base.c: the model a run starts from, and the training record
 * read back.
 *
 * vs_recipe_load_base_model() must give the trainer's step-0 model. The
 * independent witness: a run of the demo recipe with learning rate 0 (AdamW
 * then leaves every parameter as it was) saves exactly its starting model
 * to the output folder; the base model's embeddings must equal that
 * folder's within 1e-6. The training record reader must pair the metrics
 * the trainer reported in its events: the eval event of step 0 (baseline)
 * and the last one (final). */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "model/vs-model.h"
#include "train/vs-recipe-base.h"
#include "train/vs-trainer.h"
#include "train/vs-training-record.h"

static const char *texts[] = {
  "A man is playing a guitar.",
  "A woman is slicing an onion.",
  "Two dogs run through the snow.",
  "A man plays an instrument.",
};

static char *
demo_dir (void)
{
  return g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", NULL);
}

/* The demo recipe, shortened: limit rows, max_steps, learning rate. */
static VsRecipe *
demo_recipe (const char *output_dir,
             gint64      max_steps,
             double      learning_rate)
{
  g_autofree char *dir = demo_dir ();
  g_autofree char *path = g_build_filename (dir, "recipe.json", NULL);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  cJSON *doc, *args;
  VsRecipe *recipe;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  doc = cJSON_Parse (text);
  g_assert_nonnull (doc);
  args = cJSON_GetObjectItem (doc, "args");
  cJSON_DeleteItemFromObject (args, "max_steps");
  cJSON_AddNumberToObject (args, "max_steps", (double) max_steps);
  cJSON_DeleteItemFromObject (args, "learning_rate");
  cJSON_AddNumberToObject (args, "learning_rate", learning_rate);
  cJSON_DeleteItemFromObject (args, "eval_steps");
  cJSON_AddNumberToObject (args, "eval_steps", 2);
  cJSON_AddNumberToObject (cJSON_GetObjectItem (doc, "train"), "limit", 64);
  cJSON_AddNumberToObject (cJSON_GetObjectItem (doc, "eval"), "limit", 48);
  cJSON_DeleteItemFromObject (doc, "output_dir");
  cJSON_AddStringToObject (doc, "output_dir", output_dir);
  out = cJSON_PrintUnformatted (doc);
  cJSON_Delete (doc);
  recipe = vs_recipe_parse (out, strlen (out), "recipe.json", dir, &error);
  g_assert_no_error (error);
  return recipe;
}

static float *
encode (VsModel *model)
{
  g_autoptr(GError) error = NULL;
  float *emb = g_new (float, G_N_ELEMENTS (texts) * vs_model_get_dimension (model));

  g_assert_true (vs_model_encode (model, texts, G_N_ELEMENTS (texts), 8, FALSE, emb, &error));
  g_assert_no_error (error);
  return emb;
}

typedef struct
{
  cJSON *evals;   /* the "metrics" of every eval event, in order */
} Events;

static void
on_event (const VsTrainEvent *event,
          gpointer            user_data)
{
  Events *ev = user_data;

  if (event->kind == VS_TRAIN_EVENT_EVAL)
    cJSON_AddItemToArray (ev->evals,
                          cJSON_Duplicate (cJSON_GetObjectItem (event->data, "metrics"), TRUE));
}

static cJSON *
train (VsRecipe *recipe)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTrainer) trainer = vs_trainer_new_from_recipe (recipe, &error);
  Events ev = { cJSON_CreateArray () };

  g_assert_no_error (error);
  vs_trainer_set_event_func (trainer, on_event, &ev, NULL);
  g_assert_true (vs_trainer_run (trainer, &error));
  g_assert_no_error (error);
  return ev.evals;
}

static void
test_base_is_step_zero (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-recipe-base-XXXXXX", NULL);
  g_autoptr(VsRecipe) recipe = demo_recipe (tmp, 1, 0.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) base = NULL;
  g_autoptr(VsModel) saved = NULL;
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  cJSON *evals;
  gsize D;
  double worst = 0.0;

  base = vs_recipe_load_base_model (recipe, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_max_seq_length (base), ==, 64);   /* args.max_seq_length */

  evals = train (recipe);
  cJSON_Delete (evals);
  saved = vs_model_load (tmp, &error);
  g_assert_no_error (error);
  D = vs_model_get_dimension (base);
  g_assert_cmpuint (vs_model_get_dimension (saved), ==, D);
  a = encode (base);
  b = encode (saved);
  for (gsize i = 0; i < G_N_ELEMENTS (texts) * D; i++)
    worst = MAX (worst, fabs ((double) a[i] - (double) b[i]));
  g_test_message ("base vs learning-rate-0 run: max |Δ| = %.3g", worst);
  g_assert_cmpfloat (worst, <=, 1e-6);
}

static double
event_metric (const cJSON *metrics,
              const char  *name)
{
  g_autofree char *key = strcmp (name, "eval_loss") == 0 ? g_strdup (name)
                                                         : g_strconcat ("eval_", name, NULL);
  const cJSON *v = cJSON_GetObjectItem (metrics, key);

  g_assert_true (cJSON_IsNumber (v));
  return v->valuedouble;
}

static void
test_record (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-record-XXXXXX", NULL);
  g_autoptr(VsRecipe) recipe = demo_recipe (tmp, 4, 5e-4);
  g_autoptr(VsTrainingRecord) rec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = NULL;
  cJSON *evals = train (recipe);
  const cJSON *first = cJSON_GetArrayItem (evals, 0);
  const cJSON *last = cJSON_GetArrayItem (evals, cJSON_GetArraySize (evals) - 1);
  guint n;
  gboolean some_changed = FALSE;

  g_assert_cmpint (cJSON_GetArraySize (evals), ==, 3);   /* steps 0, 2, 4 */
  rec = vs_training_record_load (tmp, &error);
  g_assert_no_error (error);
  n = vs_training_record_get_n_metrics (rec);
  /* eval_loss and the similarity evaluator's pearson/spearman cosine */
  g_assert_cmpuint (n, ==, (guint) cJSON_GetArraySize (last));
  g_assert_nonnull (vs_training_record_find_metric (rec, "eval_loss"));
  g_assert_false (vs_training_record_find_metric (rec, "eval_loss")->greater_is_better);
  g_assert_true (vs_training_record_find_metric (rec, "sts-dev_spearman_cosine")->greater_is_better);
  g_assert_cmpstr (vs_training_record_get_primary (rec), ==, "sts-dev_spearman_cosine");
  g_assert_cmpint (vs_training_record_get_global_step (rec), ==, 4);
  for (guint i = 0; i < n; i++)
    {
      const VsRecordMetric *m = vs_training_record_get_metric (rec, i);

      /* the file holds cJSON's 15-17 digit decimal of the event's double */
      g_assert_cmpfloat_with_epsilon (m->baseline, event_metric (first, m->name), 1e-12);
      g_assert_cmpfloat_with_epsilon (m->final, event_metric (last, m->name), 1e-12);
      if (m->baseline != m->final)
        some_changed = TRUE;
    }
  g_assert_true (some_changed);
  cJSON_Delete (evals);

  /* Bad input names the file. */
  g_clear_pointer (&rec, vs_training_record_free);
  bad = g_build_filename (tmp, "nothing-here", NULL);
  g_mkdir (bad, 0700);
  rec = vs_training_record_load (bad, &error);
  g_assert_null (rec);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, VS_TRAINING_RECORD_FILE));
  g_clear_error (&error);
  {
    g_autofree char *file = g_build_filename (bad, VS_TRAINING_RECORD_FILE, NULL);

    g_assert_true (g_file_set_contents (file, "{\"log\": []", -1, NULL));
    rec = vs_training_record_load (bad, &error);
    g_assert_null (rec);
    g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
    g_assert_nonnull (strstr (error->message, file));
    g_clear_error (&error);
    g_assert_true (g_file_set_contents (file, "{\"log\": []}", -1, NULL));
    rec = vs_training_record_load (bad, &error);
    g_assert_null (rec);
    g_assert_nonnull (strstr (error->message, "final_metrics"));
    g_clear_error (&error);
  }
}

static void
test_bad_model (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-recipe-base-bad-XXXXXX", NULL);
  g_autoptr(VsRecipe) recipe = demo_recipe (tmp, 1, 0.0);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;

  g_free (recipe->new_tokenizer);
  recipe->new_tokenizer = g_build_filename (tmp, "no-tokenizer", NULL);
  model = vs_recipe_load_base_model (recipe, &error);
  g_assert_null (model);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "model.new.tokenizer: "));
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/recipe-base/step-zero", test_base_is_step_zero);
  g_test_add_func ("/train/recipe-base/record", test_record);
  g_test_add_func ("/train/recipe-base/bad-model", test_bad_model);
  return g_test_run ();
}
