/* test-parity.c: the real trainer (recipe -> model, data, loss) against
 * PyTorch for 20 steps with six losses (fixtures/parity/expected.json from
 * tests/reference/train_parity.py), CoSENT again with gradient
 * accumulation (2 micro-batches of 2), and GISTEmbedLoss / CachedGISTEmbedLoss
 * with a frozen guide model (fixtures/parity/guide), MNRL and CachedMNRL
 * with args.prompts and a Pooling of include_prompt false: every step's loss and grad norm within
 * rtol 1e-4, the final weights within atol 1e-5 + rtol 1e-4. Then stop at
 * step 7 + resume equals an uninterrupted run bit for bit with dropout and
 * shuffling on, and an injected NaN ends the run with an error event. */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "data/vs-dataset.h"
#include "loss/vs-loss.h"
#include "model/vs-model.h"
#include "train/vs-checkpoint.h"
#include "train/vs-trainer.h"

static char *
fixture_dir (void)
{
  return vs_test_fixture_path ("train", "parity");
}

static cJSON *
load_expected (void)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *path = g_build_filename (dir, "expected.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return cJSON_Parse (text);
}

typedef struct
{
  cJSON     *steps;
  VsTrainer *trainer;
  gint64     stop_at;
} Collector;

static void
collect (const VsTrainEvent *event,
         gpointer            user_data)
{
  Collector *c = user_data;
  gint64 step;

  if (event->kind != VS_TRAIN_EVENT_STEP && event->kind != VS_TRAIN_EVENT_EVAL &&
      event->kind != VS_TRAIN_EVENT_ERROR)
    return;
  {
    cJSON *copy = cJSON_Duplicate (event->data, TRUE);

    cJSON_DeleteItemFromObject (copy, "examples_per_s");
    cJSON_AddItemToArray (c->steps, copy);
  }
  if (event->kind != VS_TRAIN_EVENT_STEP)
    return;
  step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (event->data, "step"));
  if (step == c->stop_at)
    vs_trainer_stop (c->trainer);
}

/* A recipe for one run of expected.json; extra_args is merged into args. */
static VsRecipe *
recipe_for (const cJSON *run,
            const cJSON *args,
            const char  *output_dir,
            const char  *extra_args)
{
  g_autofree char *dir = fixture_dir ();
  g_autoptr(GError) error = NULL;
  cJSON *r = cJSON_CreateObject ();
  cJSON *train = cJSON_AddObjectToObject (r, "train");
  cJSON *loss = cJSON_AddObjectToObject (r, "loss");
  cJSON *a = cJSON_Duplicate (args, TRUE);
  const cJSON *label = cJSON_GetObjectItem (run, "label");
  VsRecipe *recipe;
  char *text;

  cJSON_AddStringToObject (r, "model", "model");
  cJSON_AddStringToObject (train, "path", cJSON_GetStringValue (cJSON_GetObjectItem (run, "data")));
  cJSON_AddItemToObject (train, "columns", cJSON_Duplicate (cJSON_GetObjectItem (run, "columns"), TRUE));
  if (cJSON_IsString (label))
    cJSON_AddStringToObject (train, "label", label->valuestring);
  cJSON_AddStringToObject (loss, "name", cJSON_GetStringValue (cJSON_GetObjectItem (run, "loss")));
  cJSON_AddItemToObject (loss, "params", cJSON_Duplicate (cJSON_GetObjectItem (run, "params"), TRUE));
  cJSON_AddBoolToObject (a, "shuffle", FALSE);
  cJSON_AddBoolToObject (a, "dropout", FALSE);
  cJSON_AddNumberToObject (a, "save_steps", 0);
  cJSON_AddNumberToObject (a, "logging_steps", 1);
  if (extra_args != NULL)
    {
      cJSON *extra = cJSON_Parse (extra_args);
      cJSON *item;

      cJSON_ArrayForEach (item, extra)
        {
          cJSON_DeleteItemFromObject (a, item->string);
          cJSON_AddItemToObject (a, item->string, cJSON_Duplicate (item, TRUE));
        }
      cJSON_Delete (extra);
    }
  cJSON_AddItemToObject (r, "args", a);
  cJSON_AddStringToObject (r, "output_dir", output_dir);
  text = cJSON_PrintUnformatted (r);
  recipe = vs_recipe_parse (text, strlen (text), "parity-recipe", dir, &error);
  g_assert_no_error (error);
  cJSON_free (text);
  cJSON_Delete (r);
  return recipe;
}

static gboolean
close_enough (double got, double ref, double atol, double rtol)
{
  return fabs (got - ref) <= atol + rtol * fabs (ref);
}

static void
check_tokenizer (const cJSON *expected)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *model_dir = g_build_filename (dir, "model", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (model_dir, &error);
  const cJSON *check = cJSON_GetObjectItem (expected, "tokenizer_check");
  const cJSON *texts = cJSON_GetObjectItem (check, "texts");

  g_assert_no_error (error);
  for (int i = 0; i < cJSON_GetArraySize (texts); i++)
    {
      const cJSON *ids = cJSON_GetArrayItem (cJSON_GetObjectItem (check, "ids"), i);
      g_autoptr(VsEncoding) enc = vs_tokenizer_encode (vs_model_get_tokenizer (model),
                                                       cJSON_GetArrayItem (texts, i)->valuestring,
                                                       NULL, TRUE, 0);

      g_assert_cmpuint (enc->n_tokens, ==, (gsize) cJSON_GetArraySize (ids));
      for (gsize k = 0; k < enc->n_tokens; k++)
        g_assert_cmpuint (enc->ids[k], ==, (guint) cJSON_GetArrayItem (ids, (int) k)->valueint);
    }
}

static void
check_final_weights (const char  *name,
                     const char  *output_dir,
                     const cJSON *final)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (output_dir, &error);
  const float *params;
  double worst = -INFINITY;
  char worst_what[256] = "";
  gsize n_checked = 0;

  g_assert_no_error (error);
  params = vs_model_get_params (model, NULL);
  for (gsize t = 0; t < vs_model_get_n_tensors (model); t++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (model, t);
      const cJSON *ref = cJSON_GetObjectItem (final, info->name);
      const cJSON *values;
      gsize stride;
      int k = 0;
      const cJSON *v;

      if (ref == NULL)
        g_error ("%s: tensor %s is not in the reference", name, info->name);
      /* softmax (q·k + q·b_k) does not depend on the key bias: its true
       * gradient is 0, both sides see only rounding noise, and Adam turns
       * noise into full-size steps of random sign. Not comparable. */
      if (g_str_has_suffix (info->name, "attention.self.key.bias"))
        continue;
      stride = (gsize) cJSON_GetObjectItem (ref, "stride")->valuedouble;
      values = cJSON_GetObjectItem (ref, "values");
      cJSON_ArrayForEach (v, values)
        {
          double got = params[info->offset + (gsize) k * stride];
          double excess = fabs (got - v->valuedouble) - (1e-5 + 1e-4 * fabs (v->valuedouble));

          if (excess > worst)
            {
              worst = excess;
              g_snprintf (worst_what, sizeof worst_what, "%s[%" G_GSIZE_FORMAT "]: %.9g vs torch %.9g",
                          info->name, (gsize) k * stride, got, v->valuedouble);
            }
          k++;
          n_checked++;
        }
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " weights checked, worst %s", name, n_checked, worst_what);
  if (worst > 0)
    g_error ("%s: final weight off: %s (atol 1e-5, rtol 1e-4)", name, worst_what);
}

/* The parity model with Pooling include_prompt false, in a new temporary
 * folder (the caller removes it). */
static char *
save_without_prompt_pooling (void)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *model_dir = g_build_filename (dir, "model", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (model_dir, &error);
  char *out;

  g_assert_no_error (error);
  out = g_dir_make_tmp ("vs-parity-model-XXXXXX", &error);
  g_assert_no_error (error);
  vs_model_set_include_prompt (model, FALSE);
  g_assert_true (vs_model_save (model, out, &error));
  g_assert_no_error (error);
  return out;
}

/* recipe with its model replaced by model_dir when not NULL. */
static VsRecipe *
use_model (VsRecipe   *recipe,
           const char *model_dir)
{
  if (model_dir != NULL)
    {
      g_free (recipe->model);
      recipe->model = g_strdup (model_dir);
    }
  return recipe;
}

static void
test_parity (gconstpointer data)
{
  int index = GPOINTER_TO_INT (data);
  cJSON *expected = load_expected ();
  const cJSON *run = cJSON_GetArrayItem (cJSON_GetObjectItem (expected, "runs"), index);
  const char *loss_name = cJSON_GetStringValue (cJSON_GetObjectItem (run, "loss"));
  char *run_args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = g_dir_make_tmp ("vs-parity-XXXXXX", &error);
  g_autoptr(VsRecipe) recipe = NULL;
  g_autoptr(VsTrainer) trainer = NULL;
  Collector c = { cJSON_CreateArray (), NULL, -1 };
  g_autofree char *prompt_model = NULL;
  int k = 0;
  const cJSON *ev;

  check_tokenizer (expected);
  g_assert_nonnull (run);
  /* A run may change arguments (batch size and gradient accumulation). */
  if (cJSON_GetObjectItem (run, "args") != NULL)
    run_args = cJSON_PrintUnformatted (cJSON_GetObjectItem (run, "args"));
  /* A prompt run: args.prompts, and the model with include_prompt false
   * (saved to a temporary folder), as the reference trains it. */
  if (cJSON_GetObjectItem (run, "prompts") != NULL)
    {
      cJSON *a = cJSON_CreateObject ();

      cJSON_AddItemToObject (a, "prompts", cJSON_Duplicate (cJSON_GetObjectItem (run, "prompts"), TRUE));
      run_args = cJSON_PrintUnformatted (a);
      cJSON_Delete (a);
      prompt_model = save_without_prompt_pooling ();
    }
  recipe = recipe_for (run, cJSON_GetObjectItem (expected, "args"), out, run_args);
  cJSON_free (run_args);
  if (prompt_model != NULL)
    {
      g_free (recipe->model);
      recipe->model = g_strdup (prompt_model);
    }
  trainer = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  vs_trainer_set_event_func (trainer, collect, &c, NULL);
  g_assert_true (vs_trainer_run (trainer, &error));
  g_assert_no_error (error);

  cJSON_ArrayForEach (ev, c.steps)
    {
      const cJSON *ref;
      double loss, ref_loss, norm, ref_norm, lr, ref_lr;

      if (strcmp (cJSON_GetObjectItem (ev, "event")->valuestring, "step") != 0)
        continue;
      ref = cJSON_GetArrayItem (cJSON_GetObjectItem (run, "steps"), k++);
      g_assert_nonnull (ref);
      loss = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "loss"));
      ref_loss = cJSON_GetNumberValue (cJSON_GetObjectItem (ref, "loss"));
      norm = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "grad_norm"));
      ref_norm = cJSON_GetNumberValue (cJSON_GetObjectItem (ref, "grad_norm"));
      lr = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "lr"));
      ref_lr = cJSON_GetNumberValue (cJSON_GetObjectItem (ref, "lr"));
      g_test_message ("%s step %d: loss %.8g torch %.8g | grad_norm %.8g torch %.8g", loss_name, k,
                      loss, ref_loss, norm, ref_norm);
      if (!close_enough (loss, ref_loss, 1e-6, 1e-4))
        g_error ("%s step %d: loss %.9g, torch %.9g (rtol 1e-4)", loss_name, k, loss, ref_loss);
      if (!close_enough (norm, ref_norm, 1e-6, 1e-4))
        g_error ("%s step %d: grad norm %.9g, torch %.9g (rtol 1e-4)", loss_name, k, norm, ref_norm);
      if (!close_enough (lr, ref_lr, 1e-12, 1e-9))
        g_error ("%s step %d: lr %.9g, torch %.9g", loss_name, k, lr, ref_lr);
    }
  g_assert_cmpint (k, ==, 20);
  check_final_weights (loss_name, out, cJSON_GetObjectItem (run, "final"));
  {
    g_autofree char *rec = g_build_filename (out, "vectorsmith_training_record.json", NULL);

    g_assert_true (g_file_test (rec, G_FILE_TEST_IS_REGULAR));
    if (prompt_model != NULL)
      {
        g_autofree char *text = NULL;
        cJSON *record;
        const cJSON *nd;

        /* The record keeps args.prompts (the card's non-default hyperparameters). */
        g_assert_true (g_file_get_contents (rec, &text, NULL, NULL));
        record = cJSON_Parse (text);
        nd = cJSON_GetObjectItem (record, "args_non_default");
        g_assert_true (cJSON_Compare (cJSON_GetObjectItem (nd, "prompts"),
                                      cJSON_GetObjectItem (run, "prompts"), TRUE));
        g_assert_true (cJSON_Compare (cJSON_GetObjectItem (record, "prompts"),
                                      cJSON_GetObjectItem (run, "prompts"), TRUE));
        cJSON_Delete (record);
        vs_remove_tree (prompt_model, NULL);
      }
  }
  vs_remove_tree (out, NULL);
  cJSON_Delete (c.steps);
  cJSON_Delete (expected);
}

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  return text;
}

/* Dropout and shuffling on, so the RNG and sampler state must survive.
 * data: the run of expected.json (CachedMNRL; CachedGISTEmbedLoss, whose
 * guide is not in the checkpoint and is loaded again from the recipe). */
static void
test_resume_real (gconstpointer data)
{
  cJSON *expected = load_expected ();
  const cJSON *run = cJSON_GetArrayItem (cJSON_GetObjectItem (expected, "runs"), GPOINTER_TO_INT (data));
  gboolean gist = GPOINTER_TO_INT (data) == 8;
  const cJSON *prompts = cJSON_GetObjectItem (run, "prompts");
  g_autofree char *prompt_model = prompts != NULL ? save_without_prompt_pooling () : NULL;
  char *extra = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir_a = g_dir_make_tmp ("vs-resume-a-XXXXXX", NULL);
  g_autofree char *dir_b = g_dir_make_tmp ("vs-resume-b-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir_b, "checkpoint-7", NULL);
  Collector ca = { cJSON_CreateArray (), NULL, -1 };
  Collector cb = { cJSON_CreateArray (), NULL, 7 };
  Collector cc = { cJSON_CreateArray (), NULL, -1 };
  char *ta, *tc;
  gsize len_a, len_c;
  g_autofree char *wa = NULL;
  g_autofree char *wc = NULL;

  g_assert_cmpstr (cJSON_GetObjectItem (run, "loss")->valuestring, ==,
                   gist ? "CachedGISTEmbedLoss" : "CachedMultipleNegativesRankingLoss");
  {
    cJSON *e = cJSON_Parse ("{\"shuffle\": true, \"dropout\": true, \"save_steps\": 7, \"max_steps\": 12}");

    /* With prompts: one forward per column, dropout on, still exact. */
    if (prompts != NULL)
      cJSON_AddItemToObject (e, "prompts", cJSON_Duplicate (prompts, TRUE));
    extra = cJSON_PrintUnformatted (e);
    cJSON_Delete (e);
  }
  {
    g_autoptr(VsRecipe) recipe = use_model (recipe_for (run, cJSON_GetObjectItem (expected, "args"), dir_a, extra),
                                            prompt_model);
    g_autoptr(VsTrainer) tr = vs_trainer_new_from_recipe (recipe, &error);

    g_assert_no_error (error);
    vs_trainer_set_event_func (tr, collect, &ca, NULL);
    g_assert_true (vs_trainer_run (tr, &error));
  }
  {
    g_autoptr(VsRecipe) recipe = use_model (recipe_for (run, cJSON_GetObjectItem (expected, "args"), dir_b, extra),
                                            prompt_model);
    g_autoptr(VsTrainer) tr = vs_trainer_new_from_recipe (recipe, &error);

    g_assert_no_error (error);
    cb.trainer = tr;
    vs_trainer_set_event_func (tr, collect, &cb, NULL);
    g_assert_true (vs_trainer_start (tr, &error));
    g_assert_false (vs_trainer_join (tr, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    g_clear_error (&error);
  }
  if (gist)
    {
      /* The checkpoint holds the trained model's tensors only; the guide
       * comes back through the recipe kept in trainer_state.json. */
      g_autofree char *opt = read_file (ckpt, "optimizer.safetensors");
      g_autofree char *state = read_file (ckpt, "trainer_state.json");

      g_assert_null (strstr (opt + 8, "guide"));
      g_assert_null (strstr (opt + 8, "loss0"));
      g_assert_nonnull (strstr (state, "parity/guide\""));
    }
  {
    g_autoptr(VsRecipe) recipe = use_model (recipe_for (run, cJSON_GetObjectItem (expected, "args"), dir_b, extra),
                                            prompt_model);
    g_autoptr(VsTrainer) tr = vs_trainer_new_from_recipe (recipe, &error);

    g_assert_no_error (error);
    vs_trainer_set_event_func (tr, collect, &cc, NULL);
    vs_trainer_set_resume_from (tr, ckpt);
    g_assert_true (vs_trainer_run (tr, &error));
    g_assert_no_error (error);
  }
  ta = cJSON_PrintUnformatted (ca.steps);
  tc = cJSON_PrintUnformatted (cc.steps);
  g_assert_cmpstr (ta, ==, tc);
  cJSON_free (ta);
  cJSON_free (tc);
  {
    g_autofree char *pa = g_build_filename (dir_a, "model.safetensors", NULL);
    g_autofree char *pc = g_build_filename (dir_b, "model.safetensors", NULL);

    g_assert_true (g_file_get_contents (pa, &wa, &len_a, NULL));
    g_assert_true (g_file_get_contents (pc, &wc, &len_c, NULL));
    g_assert_cmpmem (wa, len_a, wc, len_c);
  }
  {
    g_autofree char *ma = read_file (dir_a, "2_Dense/model.safetensors");
    g_autofree char *mc = read_file (dir_b, "2_Dense/model.safetensors");

    g_assert_cmpstr (ma, ==, mc);
  }
  vs_remove_tree (dir_a, NULL);
  vs_remove_tree (dir_b, NULL);
  if (prompt_model != NULL)
    vs_remove_tree (prompt_model, NULL);
  cJSON_free (extra);
  cJSON_Delete (ca.steps);
  cJSON_Delete (cb.steps);
  cJSON_Delete (cc.steps);
  cJSON_Delete (expected);
}

static void
test_nan_real (void)
{
  cJSON *expected = load_expected ();
  const cJSON *run = cJSON_GetArrayItem (cJSON_GetObjectItem (expected, "runs"), 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-nan-XXXXXX", NULL);
  g_autofree char *ckpt = g_build_filename (dir, "checkpoint-2", NULL);
  g_autofree char *model = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(VsRecipe) recipe = recipe_for (run, cJSON_GetObjectItem (expected, "args"), dir,
                                           "{\"save_steps\": 2, \"max_steps\": 6}");
  g_autoptr(VsTrainer) tr = vs_trainer_new_from_recipe (recipe, &error);
  Collector c = { cJSON_CreateArray (), NULL, -1 };
  const cJSON *last;

  g_assert_no_error (error);
  vs_trainer_set_event_func (tr, collect, &c, NULL);
  vs_trainer_set_fault (tr, VS_TRAINER_FAULT_NAN_LOSS, 3);
  g_assert_false (vs_trainer_run (tr, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NUMERIC);
  last = cJSON_GetArrayItem (c.steps, cJSON_GetArraySize (c.steps) - 1);
  g_assert_cmpstr (cJSON_GetObjectItem (last, "event")->valuestring, ==, "error");
  g_assert_nonnull (strstr (cJSON_GetObjectItem (last, "message")->valuestring, "step 3"));
  g_assert_true (g_file_test (ckpt, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  vs_remove_tree (dir, NULL);
  cJSON_Delete (c.steps);
  cJSON_Delete (expected);
}

/* A recipe (relative paths from the fixtures) that parses but that the
 * trainer must reject with VS_ERROR_INVALID: the listed problems. */
static char *
trainer_problems (const char *text)
{
  g_autofree char *dir = fixture_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (text, strlen (text), "bad.json", dir, &error);
  g_autoptr(VsTrainer) tr = NULL;

  g_assert_no_error (error);
  tr = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_null (tr);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_false (g_file_test ("/tmp/never-written", G_FILE_TEST_EXISTS));
  return g_strdup (error->message);
}

static void
test_recipe_problems (void)
{
  const char *text =
    "{\"model\": \"model\","
    " \"train\": [{\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"nope\"], \"label\": \"score\"},"
    "            {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\"],"
    "             \"loss\": {\"name\": \"TripletLoss\"}},"
    "            {\"path\": \"missing.csv\"}],"
    " \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": \"big\"}},"
    " \"output_dir\": \"/tmp/never-written\"}";
  g_autofree char *message = trainer_problems (text);
  g_auto(GStrv) lines = g_strsplit (message, "\n", -1);

  /* One line per dataset: a missing column, a loss that needs 3 columns,
   * a missing file. */
  g_assert_cmpuint (g_strv_length (lines), >=, 3);
  g_assert_nonnull (strstr (message, "train[0]"));
  g_assert_nonnull (strstr (message, "train[1]"));
  g_assert_nonnull (strstr (message, "train[2]"));

  /* args.prompts naming a column the files lack (the recipe lists no
   * columns, so the trainer checks against the loaded data). */
  {
    const char *t3 =
      "{\"model\": \"model\","
      " \"train\": {\"path\": \"triplets.csv\", \"loss\": {\"name\": \"TripletLoss\"}},"
      " \"args\": {\"prompts\": {\"anchr\": \"q \", \"triplets\": {\"positiv\": \"p \", \"anchor\": \"a \"}}},"
      " \"output_dir\": \"/tmp/never-written\"}";
    g_autofree char *m3 = trainer_problems (t3);

    g_assert_nonnull (strstr (m3, "args.prompts.anchr: neither an input column"));
    g_assert_nonnull (strstr (m3, "args.prompts.triplets.positiv: train dataset “triplets” has no input column"));
    g_assert_null (strstr (m3, "args.prompts.triplets.anchor"));
  }

  /* An evaluator that does not fit the eval data is caught before training. */
  {
    const char *t2 =
      "{\"model\": \"model\","
      " \"train\": {\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
      " \"eval\": {\"split_ratio\": 0.25}, \"evaluator\": {\"name\": \"triplet\"},"
      " \"output_dir\": \"/tmp/never-written\"}";
    g_autofree char *m2 = trainer_problems (t2);

    g_assert_nonnull (strstr (m2, "triplet needs eval data with 3 text columns"));
  }
}

static void
run_recipe_text (const char *text,
                 cJSON     **start_out,
                 cJSON     **record_out)
{
  g_autofree char *dir = fixture_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (text, strlen (text), "multi", dir, &error);
  g_autoptr(VsTrainer) tr = NULL;
  Collector c = { cJSON_CreateArray (), NULL, -1 };

  g_assert_no_error (error);
  tr = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  vs_trainer_set_event_func (tr, collect, &c, NULL);
  g_assert_true (vs_trainer_run (tr, &error));
  g_assert_no_error (error);
  *record_out = cJSON_Duplicate (vs_trainer_get_record (tr), TRUE);
  *start_out = c.steps;
  vs_remove_tree (recipe->output_dir, NULL);
}

/* Two datasets with their own losses, drawn round-robin; then
 * proportionally with the no-duplicates sampler; a label-grouped one. */
static void
test_multi_dataset (void)
{
  g_autofree char *out = g_dir_make_tmp ("vs-multi-XXXXXX", NULL);
  g_autofree char *rr = g_strdup_printf (
    "{\"model\": \"model\","
    " \"train\": [{\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\","
    "             \"loss\": {\"name\": \"CoSENTLoss\"}},"
    "            {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\"], \"limit\": 16}],"
    " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
    " \"args\": {\"epochs\": 1, \"batch_size\": 4, \"multi_dataset_batch_sampler\": \"%s\","
    "          \"batch_sampler\": \"%s\", \"save_steps\": 0},"
    " \"output_dir\": \"%s\"}", "round_robin", "batch", out);
  g_autofree char *prop = NULL;
  g_autofree char *grouped = g_strdup_printf (
    "{\"model\": \"model\","
    " \"train\": {\"path\": \"labeled.csv\", \"columns\": [\"sentence\"], \"label\": \"label\"},"
    " \"loss\": {\"name\": \"BatchHardTripletLoss\"},"
    " \"args\": {\"max_steps\": 4, \"batch_size\": 4, \"batch_sampler\": \"group_by_label\", \"save_steps\": 0},"
    " \"output_dir\": \"%s\"}", out);
  cJSON *events;
  cJSON *record;
  const cJSON *start;

  /* round robin: min(8, 4) batches per dataset, alternating: 8 steps. */
  run_recipe_text (rr, &events, &record);
  start = cJSON_GetArrayItem (events, 0);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (start, "event")), ==, "step");
  g_assert_cmpint (cJSON_GetArraySize (events), ==, 8);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (record, "losses")), ==, 2);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (record, "datasets")), ==, 2);
  cJSON_Delete (events);
  cJSON_Delete (record);

  /* proportional: every batch of both: 8 + 4 = 12 steps. */
  prop = g_strdup_printf (
    "{\"model\": \"model\","
    " \"train\": [{\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\","
    "             \"loss\": {\"name\": \"CoSENTLoss\"}},"
    "            {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\"], \"limit\": 16}],"
    " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
    " \"args\": {\"epochs\": 1, \"batch_size\": 4, \"batch_sampler\": \"no_duplicates\", \"save_steps\": 0},"
    " \"output_dir\": \"%s\"}", out);
  run_recipe_text (prop, &events, &record);
  g_assert_cmpint (cJSON_GetArraySize (events), ==, 12);
  cJSON_Delete (events);
  cJSON_Delete (record);

  run_recipe_text (grouped, &events, &record);
  g_assert_cmpint (cJSON_GetArraySize (events), ==, 4);
  cJSON_Delete (events);
  cJSON_Delete (record);

  /* A loss with its own weights (SoftmaxLoss's classifier): they are a
   * second parameter block, trained and checkpointed with the model's. */
  {
    g_autofree char *out2 = g_dir_make_tmp ("vs-softmax-XXXXXX", NULL);
    g_autofree char *sm = g_strdup_printf (
      "{\"model\": \"model\","
      " \"train\": {\"path\": \"contrastive.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"label\"},"
      " \"loss\": {\"name\": \"SoftmaxLoss\", \"params\": {\"num_labels\": 2}},"
      " \"args\": {\"max_steps\": 4, \"batch_size\": 4, \"save_steps\": 2},"
      " \"output_dir\": \"%s\"}", out2);
    g_autofree char *dir = fixture_dir ();
    g_autofree char *opt = g_build_filename (out2, "checkpoint-2", "optimizer.safetensors", NULL);
    g_autofree char *header = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VsRecipe) recipe = vs_recipe_parse (sm, strlen (sm), "softmax", dir, &error);
    g_autoptr(VsTrainer) tr = NULL;

    g_assert_no_error (error);
    tr = vs_trainer_new_from_recipe (recipe, &error);
    g_assert_no_error (error);
    g_assert_true (vs_trainer_run (tr, &error));
    g_assert_true (g_file_get_contents (opt, &header, NULL, NULL));
    g_assert_nonnull (strstr (header + 8, "\"loss0.exp_avg\""));
    g_assert_nonnull (strstr (header + 8, "\"model.exp_avg\""));
    vs_remove_tree (out2, NULL);
  }
}

typedef struct
{
  GMutex lock;
  GCond  cond;
  gint64 step;
  gint64 t_step;      /* when the last step event came */
  gint64 longest;     /* longest gap between two steps, us */
} Watch;

static void
watch_steps (const VsTrainEvent *event,
             gpointer            user_data)
{
  Watch *w = user_data;

  if (event->kind != VS_TRAIN_EVENT_STEP)
    return;
  g_mutex_lock (&w->lock);
  if (w->t_step > 0)
    w->longest = MAX (w->longest, g_get_monotonic_time () - w->t_step);
  w->t_step = g_get_monotonic_time ();
  w->step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (event->data, "step"));
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

/* Cancel from another thread during a real run: the worker ends within
 * about one step, writes no model, and says it was cancelled. */
static void
test_cancel_real (void)
{
  cJSON *expected = load_expected ();
  const cJSON *run = cJSON_GetArrayItem (cJSON_GetObjectItem (expected, "runs"), 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-cancel-XXXXXX", NULL);
  g_autofree char *model = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(VsRecipe) recipe = recipe_for (run, cJSON_GetObjectItem (expected, "args"), dir,
                                           "{\"max_steps\": 100000}");
  g_autoptr(VsTrainer) tr = vs_trainer_new_from_recipe (recipe, &error);
  Watch w = { 0 };
  gint64 t0;
  gint64 waited;
  gint64 at_cancel;

  g_assert_no_error (error);
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  vs_trainer_set_event_func (tr, watch_steps, &w, NULL);
  g_assert_true (vs_trainer_start (tr, &error));
  g_mutex_lock (&w.lock);
  while (w.step < 5)
    g_cond_wait (&w.cond, &w.lock);
  /* Cancel under the watcher's lock: no step can be recorded in between, so
   * the step in flight is exactly at_cancel + 1 (events are emitted without
   * the trainer's own lock, so this cannot deadlock). */
  at_cancel = w.step;
  t0 = g_get_monotonic_time ();
  vs_trainer_cancel (tr);
  g_mutex_unlock (&w.lock);
  g_assert_false (vs_trainer_join (tr, &error));
  waited = g_get_monotonic_time () - t0;
  g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
  g_test_message ("cancel: %" G_GINT64_FORMAT " us; the longest step took %" G_GINT64_FORMAT " us",
                  waited, w.longest);
  /* At most the step in flight: counted in steps, not microseconds. */
  g_assert_cmpint (w.step, <=, at_cancel + 1);
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  vs_remove_tree (dir, NULL);
  cJSON_Delete (expected);
}

/* Cancel during an evaluation (eval_steps 2, eval loss + triplet
 * evaluator): the test hook, on the training thread, waits in the first
 * evaluation batch of the given kind after step 2 until this (main) thread
 * has called vs_trainer_cancel(); the run must end right there — no further
 * evaluation batch, no eval event for step 2, no step 3, no model written —
 * with the cancel error and event. */
typedef struct
{
  GMutex      lock;
  GCond       cond;
  const char *where;          /* the batch kind to cancel in */
  gint64      step;           /* last step event (training thread) */
  gboolean    in_eval;        /* the hook is waiting */
  gboolean    cancelled;      /* the main thread has cancelled */
  guint       calls_after;    /* hook calls after the cancel */
  gint64      eval_events_at_2;
  gboolean    error_cancelled;
} EvalCancel;

static void
eval_cancel_events (const VsTrainEvent *event,
                    gpointer            user_data)
{
  EvalCancel *ec = user_data;
  gint64 step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (event->data, "step"));

  g_mutex_lock (&ec->lock);
  if (event->kind == VS_TRAIN_EVENT_STEP)
    ec->step = step;
  else if (event->kind == VS_TRAIN_EVENT_EVAL && step == 2)
    ec->eval_events_at_2++;
  else if (event->kind == VS_TRAIN_EVENT_ERROR)
    ec->error_cancelled = cJSON_IsTrue (cJSON_GetObjectItem (event->data, "cancelled"));
  g_mutex_unlock (&ec->lock);
}

static void
eval_cancel_hook (const char *where,
                  gpointer    user_data)
{
  EvalCancel *ec = user_data;

  g_mutex_lock (&ec->lock);
  if (ec->cancelled)
    ec->calls_after++;
  else if (ec->step == 2 && strcmp (where, ec->where) == 0)
    {
      ec->in_eval = TRUE;
      g_cond_broadcast (&ec->cond);
      while (!ec->cancelled)
        g_cond_wait (&ec->cond, &ec->lock);
    }
  g_mutex_unlock (&ec->lock);
}

static void
test_cancel_in_eval (gconstpointer data)
{
  const char *where = data;
  g_autofree char *fixtures = fixture_dir ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-cancel-eval-XXXXXX", NULL);
  g_autofree char *model = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"model\": \"model\","
    " \"train\": {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\", \"negative\"]},"
    " \"eval\": {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\", \"negative\"]},"
    " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"}, \"evaluator\": {\"name\": \"triplet\"},"
    " \"args\": {\"max_steps\": 100000, \"batch_size\": 4, \"eval_batch_size\": 4, \"eval_steps\": 2,"
    "          \"save_steps\": 0, \"shuffle\": false, \"dropout\": false},"
    " \"output_dir\": \"%s\"}", dir);
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (text, strlen (text), "cancel-eval", fixtures, &error);
  g_autoptr(VsTrainer) tr = NULL;
  EvalCancel ec = { 0 };

  g_assert_no_error (error);
  tr = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  g_mutex_init (&ec.lock);
  g_cond_init (&ec.cond);
  ec.where = where;
  vs_trainer_set_event_func (tr, eval_cancel_events, &ec, NULL);
  vs_trainer_set_eval_batch_hook (tr, eval_cancel_hook, &ec);
  g_assert_true (vs_trainer_start (tr, &error));
  g_mutex_lock (&ec.lock);
  while (!ec.in_eval)
    g_cond_wait (&ec.cond, &ec.lock);
  /* From this thread, while the evaluation is under way. */
  vs_trainer_cancel (tr);
  ec.cancelled = TRUE;
  g_cond_broadcast (&ec.cond);
  g_mutex_unlock (&ec.lock);

  g_assert_false (vs_trainer_join (tr, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
  g_test_message ("%s: %s", where, error->message);
  g_assert_nonnull (strstr (error->message, "cancelled at step 2 (during evaluation)"));
  g_assert_true (ec.error_cancelled);
  g_assert_cmpuint (ec.calls_after, ==, 0);      /* no evaluation batch after the cancel */
  g_assert_cmpint (ec.eval_events_at_2, ==, 0);  /* the evaluation did not finish */
  g_assert_cmpint (ec.step, ==, 2);              /* no step after it */
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  g_mutex_clear (&ec.lock);
  g_cond_clear (&ec.cond);
  vs_remove_tree (dir, NULL);
}

/* A guide whose vocabulary differs from the model's (a tiny BERT over
 * all-MiniLM-L6-v2's tokenizer), with the model cut at 8 tokens: the guide
 * must embed the text of the model's own (truncated) tokens, decoded and
 * re-tokenized, as sentence-transformers does. The first step's loss is
 * checked against that pipeline put together here from the tokenizer, the
 * two models and the loss (rtol 1e-4); the raw texts would give another. */
static void
test_gist_retokenize (void)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *model_dir = g_build_filename (dir, "model", NULL);
  g_autofree char *data_path = g_build_filename (dir, "triplets.csv", NULL);
  g_autofree char *tok_dir = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "all-MiniLM-L6-v2", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vs-gist-XXXXXX", &error);
  g_autofree char *guide_dir = g_build_filename (tmp, "guide", NULL);
  g_autofree char *out = g_build_filename (tmp, "out", NULL);
  g_autofree char *text = NULL;
  g_autoptr(VsModel) guide = NULL;
  g_autoptr(VsModel) model = NULL;
  g_autoptr(VsDataset) data = NULL;
  g_autoptr(VsRecipe) recipe = NULL;
  g_autoptr(VsTrainer) tr = NULL;
  g_autoptr(VsLoss) loss = NULL;
  Collector c = { cJSON_CreateArray (), NULL, -1 };
  const char *texts[12];
  char *decoded[12];
  char *raw_or_decoded[12];
  float emb[12 * 16];
  float gemb[2][12 * 128];
  const float *cols[3], *gcols[3];
  float want[2];
  double got;
  cJSON *params;

  g_assert_no_error (error);
  guide = vs_model_new_from_preset ("bert", "tiny", tok_dir, NULL, 0, NULL, FALSE, 5, &error);
  g_assert_no_error (error);
  g_assert_true (vs_model_save (guide, guide_dir, &error));
  g_assert_cmpuint (vs_model_get_dimension (guide), ==, 128);
  text = g_strdup_printf (
    "{\"model\": \"model\","
    " \"train\": {\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\", \"negative\"]},"
    " \"loss\": {\"name\": \"GISTEmbedLoss\", \"params\": {\"guide\": \"%s\", \"temperature\": 0.05}},"
    " \"args\": {\"max_steps\": 1, \"batch_size\": 4, \"shuffle\": false, \"dropout\": false,"
    "          \"save_steps\": 0, \"max_seq_length\": 8},"
    " \"output_dir\": \"%s\"}", guide_dir, out);
  recipe = vs_recipe_parse (text, strlen (text), "gist-retokenize", dir, &error);
  g_assert_no_error (error);
  tr = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  vs_trainer_set_event_func (tr, collect, &c, NULL);
  g_assert_true (vs_trainer_run (tr, &error));
  g_assert_no_error (error);
  got = cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (c.steps, 0), "loss"));

  /* The same batch by hand: rows 0-3, column after column. */
  model = vs_model_load (model_dir, &error);
  g_assert_no_error (error);
  vs_model_set_max_seq_length (model, 8);
  data = vs_dataset_load (data_path, NULL, &error);
  g_assert_no_error (error);
  for (guint col = 0; col < 3; col++)
    for (guint i = 0; i < 4; i++)
      {
        const char *s = vs_column_get_string (vs_dataset_get_column (data, col), i);
        g_autoptr(VsEncoding) enc = vs_tokenizer_encode (vs_model_get_tokenizer (model), s, NULL, TRUE, 8);

        texts[col * 4 + i] = s;
        decoded[col * 4 + i] = vs_tokenizer_decode (vs_model_get_tokenizer (model), enc->ids,
                                                    enc->n_tokens, TRUE);
      }
  g_assert_true (vs_model_encode (model, texts, 12, 12, FALSE, emb, &error));
  params = cJSON_Parse ("{\"guide\": \"g\", \"temperature\": 0.05}");
  loss = vs_loss_new ("GISTEmbedLoss", params, &error);
  cJSON_Delete (params);
  g_assert_no_error (error);
  /* want[0]: the guide on the decoded tokens; want[1]: on the raw texts. */
  for (guint k = 0; k < 2; k++)
    {
      for (guint i = 0; i < 12; i++)
        raw_or_decoded[i] = k == 0 ? decoded[i] : (char *) texts[i];
      g_assert_true (vs_model_encode (guide, (const char *const *) raw_or_decoded, 12, 12, FALSE,
                                      gemb[k], &error));
      for (guint col = 0; col < 3; col++)
        {
          cols[col] = emb + col * 4 * 16;
          gcols[col] = gemb[k] + col * 4 * 128;
        }
      {
        VsLossBatch b = { cols, 3, 4, 16, NULL, 0, gcols, 128 };

        g_assert_true (vs_loss_compute_full (loss, &b, &want[k], NULL, &error));
      }
    }
  g_test_message ("GIST with a re-tokenizing guide: step 1 loss %.8g; by hand %.8g (raw texts: %.8g); "
                  "“%s” -> “%s”", got, want[0], want[1], texts[0], decoded[0]);
  if (!close_enough (got, want[0], 1e-6, 1e-4))
    g_error ("GIST re-tokenized guide: loss %.9g, by hand %.9g (rtol 1e-4)", got, want[0]);
  /* The check can tell the two apart. */
  g_assert_false (close_enough (want[1], want[0], 1e-6, 1e-4));
  for (guint i = 0; i < 12; i++)
    g_free (decoded[i]);
  cJSON_Delete (c.steps);
  vs_remove_tree (tmp, NULL);
}

/* A guide that cannot be loaded is a listed problem, before any work. */
static void
test_gist_bad_guide (void)
{
  const char *text =
    "{\"model\": \"model\","
    " \"train\": [{\"path\": \"triplets.csv\", \"columns\": [\"anchor\", \"positive\"]},"
    "            {\"path\": \"pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\","
    "             \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": \"big\"}}}],"
    " \"loss\": {\"name\": \"GISTEmbedLoss\", \"params\": {\"guide\": \"/nonexistent/guide-model\"}},"
    " \"output_dir\": \"/tmp/never-written\"}";
  g_autofree char *message = trainer_problems (text);

  g_assert_nonnull (strstr (message, "train[0]: loss: params.guide: /nonexistent/guide-model"));
  g_assert_nonnull (strstr (message, "train[1]"));
}

int
main (int argc, char **argv)
{
  /* The runs of expected.json, in order. */
  static const char *runs[] = {
    "MultipleNegativesRankingLoss", "CachedMultipleNegativesRankingLoss", "CoSENTLoss",
    "TripletLoss", "BatchHardTripletLoss", "ContrastiveLoss", "CoSENTLoss-accumulation",
    "GISTEmbedLoss", "CachedGISTEmbedLoss", "MultipleNegativesRankingLoss-prompts",
    "CachedMultipleNegativesRankingLoss-prompts",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/train/parity/%s", runs[i]);

      g_test_add_data_func (path, GINT_TO_POINTER (i), test_parity);
    }
  g_test_add_data_func ("/train/parity/stop-resume-exact", GINT_TO_POINTER (1), test_resume_real);
  g_test_add_data_func ("/train/parity/stop-resume-exact-gist", GINT_TO_POINTER (8), test_resume_real);
  g_test_add_data_func ("/train/parity/stop-resume-exact-prompts", GINT_TO_POINTER (10), test_resume_real);
  g_test_add_func ("/train/parity/gist-retokenize", test_gist_retokenize);
  g_test_add_func ("/train/parity/gist-bad-guide", test_gist_bad_guide);
  g_test_add_func ("/train/parity/nan", test_nan_real);
  g_test_add_func ("/train/parity/cancel", test_cancel_real);
  g_test_add_data_func ("/train/parity/cancel-in-eval-loss", "eval_loss", test_cancel_in_eval);
  g_test_add_data_func ("/train/parity/cancel-in-evaluator", "evaluator", test_cancel_in_eval);
  g_test_add_func ("/train/parity/recipe-problems", test_recipe_problems);
  g_test_add_func ("/train/parity/multi-dataset", test_multi_dataset);
  return g_test_run ();
}
