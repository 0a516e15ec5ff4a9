/* test-loop.c: the trainer's loop against PyTorch (fixtures/loop.json from
 * tests/reference/train_loop.py), and its steering: stop + resume equals an
 * uninterrupted run exactly, cancel from another thread, an injected NaN,
 * pause, checkpoint rotation. */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>

#include "linear-target.h"
#include "train/vs-checkpoint.h"

typedef struct
{
  cJSON     *events;        /* every event, in order */
  VsTrainer *trainer;       /* for steering from the callback */
  gint64     stop_at;       /* call vs_trainer_stop after this step */
  gint64     last_step;     /* atomic-ish: read by the main thread */
  GMutex     lock;
  GCond      cond;
} Recorder;

static void
recorder_init (Recorder *r)
{
  memset (r, 0, sizeof *r);
  r->events = cJSON_CreateArray ();
  r->stop_at = -1;
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
}

static void
recorder_clear (Recorder *r)
{
  cJSON_Delete (r->events);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

static void
on_event (const VsTrainEvent *event,
          gpointer            user_data)
{
  Recorder *r = user_data;

  g_mutex_lock (&r->lock);
  cJSON_AddItemToArray (r->events, cJSON_Duplicate (event->data, TRUE));
  if (event->kind == VS_TRAIN_EVENT_STEP)
    r->last_step = (gint64) cJSON_GetObjectItem (event->data, "step")->valuedouble;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  if (event->kind == VS_TRAIN_EVENT_STEP && r->last_step == r->stop_at)
    vs_trainer_stop (r->trainer);
}

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vs-train-loop-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
base_args (VsTrainArgs *a)
{
  vs_train_args_init (a);
  a->max_steps = 14;
  a->batch_size = 5;
  a->gradient_accumulation_steps = 2;
  a->learning_rate = 0.05;
  a->weight_decay = 0.01;
  a->warmup_steps = 3;
  a->max_grad_norm = 0.5;
  a->save_steps = 0;
  a->logging_steps = 1;
}

static cJSON *
load_fixture (void)
{
  return vs_test_load_fixture ("train", "loop.json");
}

static gboolean
close_enough (double got, double ref, double atol, double rtol)
{
  return fabs (got - ref) <= atol + rtol * fabs (ref);
}

static void
test_torch_parity (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  cJSON *fx = load_fixture ();
  const cJSON *ref_steps = cJSON_GetObjectItem (fx, "steps");
  const cJSON *ev;
  VsTrainArgs args;
  VsTrainTarget *target = linear_target_new (5);
  LinearTarget *lt = (LinearTarget *) target;
  g_autoptr(VsTrainer) trainer = NULL;
  Recorder rec;
  int k = 0;
  double worst = 0.0;

  recorder_init (&rec);
  base_args (&args);
  trainer = vs_trainer_new (target, &args, dir);
  vs_trainer_set_event_func (trainer, on_event, &rec, NULL);
  g_assert_true (vs_trainer_run (trainer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (vs_trainer_get_total_steps (trainer), ==, 14);

  cJSON_ArrayForEach (ev, rec.events)
    {
      const cJSON *ref;
      double loss, lr, norm;

      if (strcmp (cJSON_GetObjectItem (ev, "event")->valuestring, "step") != 0)
        continue;
      ref = cJSON_GetArrayItem (ref_steps, k++);
      g_assert_nonnull (ref);
      loss = cJSON_GetObjectItem (ev, "loss")->valuedouble;
      lr = cJSON_GetObjectItem (ev, "lr")->valuedouble;
      norm = cJSON_GetObjectItem (ev, "grad_norm")->valuedouble;
      g_test_message ("step %d: loss %.9g (torch %.9g) grad_norm %.9g (torch %.9g)", k, loss,
                      cJSON_GetObjectItem (ref, "loss")->valuedouble, norm,
                      cJSON_GetObjectItem (ref, "grad_norm")->valuedouble);
      worst = MAX (worst, fabs (loss - cJSON_GetObjectItem (ref, "loss")->valuedouble));
      if (!close_enough (loss, cJSON_GetObjectItem (ref, "loss")->valuedouble, 1e-7, 1e-5) ||
          !close_enough (lr, cJSON_GetObjectItem (ref, "lr")->valuedouble, 1e-12, 1e-9) ||
          !close_enough (norm, cJSON_GetObjectItem (ref, "grad_norm")->valuedouble, 1e-7, 1e-5))
        g_error ("step %d: loss %.9g lr %.9g norm %.9g vs torch %s", k, loss, lr, norm,
                 cJSON_PrintUnformatted (ref));
    }
  g_assert_cmpint (k, ==, 14);
  for (int i = 0; i < LT_NP; i++)
    {
      const cJSON *arr = i < LT_DOUT * LT_DIN ? cJSON_GetObjectItem (fx, "final_weight")
                                              : cJSON_GetObjectItem (fx, "final_bias");
      int j = i < LT_DOUT * LT_DIN ? i : i - LT_DOUT * LT_DIN;
      double ref = cJSON_GetArrayItem (arr, j)->valuedouble;

      if (!close_enough (lt->params[i], ref, 1e-6, 1e-4))
        g_error ("final parameter %d: %.9g, torch %.9g", i, lt->params[i], ref);
    }
  g_test_message ("worst loss difference %.3g", worst);

  /* The output folder: the model and the training record. */
  {
    g_autofree char *model = g_build_filename (dir, "linear.json", NULL);
    g_autofree char *record = g_build_filename (dir, "vectorsmith_training_record.json", NULL);
    const cJSON *rec_json = vs_trainer_get_record (trainer);

    g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (record, G_FILE_TEST_IS_REGULAR));
    /* The baseline row (step 0) and one row per logged step. */
    g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (rec_json, "log")), ==, 15);
    g_assert_nonnull (cJSON_GetObjectItem (cJSON_GetObjectItem (rec_json, "final_metrics"), "eval_loss"));
    g_assert_nonnull (cJSON_GetObjectItem (cJSON_GetObjectItem (rec_json, "args_non_default"), "max_steps"));
    /* The card's names are sentence-transformers' own. */
    g_assert_nonnull (cJSON_GetObjectItem (cJSON_GetObjectItem (rec_json, "args_non_default"),
                                           "per_device_train_batch_size"));
    g_assert_null (cJSON_GetObjectItem (cJSON_GetObjectItem (rec_json, "args_all"), "batch_size"));
  }
  /* Baseline eval first, final eval last, then done. */
  g_assert_cmpstr (cJSON_GetArrayItem (rec.events, 0)->child->valuestring, ==, "start");
  g_assert_cmpstr (cJSON_GetArrayItem (rec.events, 1)->child->valuestring, ==, "eval");
  g_assert_cmpstr (cJSON_GetArrayItem (rec.events, cJSON_GetArraySize (rec.events) - 1)->child->valuestring, ==, "done");
  vs_remove_tree (dir, NULL);
  recorder_clear (&rec);
  cJSON_Delete (fx);
}

/* Events without their timing, for exact comparison. */
static char *
events_without_timing (const cJSON *events)
{
  cJSON *copy = cJSON_Duplicate (events, TRUE);
  cJSON *ev;
  char *text;
  char *out;

  cJSON_ArrayForEach (ev, copy)
    cJSON_DeleteItemFromObject (ev, "examples_per_s");
  text = cJSON_Print (copy);
  out = g_strdup (text);
  cJSON_free (text);
  cJSON_Delete (copy);
  return out;
}

static void
test_stop_and_resume (void)
{
  g_autofree char *dir_a = make_tmp_dir ();
  g_autofree char *dir_b = make_tmp_dir ();
  g_autofree char *ckpt = g_build_filename (dir_b, "checkpoint-7", NULL);
  g_autofree char *log_a = NULL;
  g_autofree char *log_b = NULL;
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  float params_a[LT_NP];
  Recorder ra, rb, rc;

  base_args (&args);
  args.save_steps = 7;
  args.eval_steps = 3;

  /* A: uninterrupted. */
  recorder_init (&ra);
  {
    VsTrainTarget *t = linear_target_new (5);
    g_autoptr(VsTrainer) tr = vs_trainer_new (t, &args, dir_a);

    vs_trainer_set_event_func (tr, on_event, &ra, NULL);
    g_assert_true (vs_trainer_run (tr, &error));
    memcpy (params_a, ((LinearTarget *) t)->params, sizeof params_a);
  }

  /* B: stopped on its thread after step 7 ... */
  recorder_init (&rb);
  {
    VsTrainTarget *t = linear_target_new (5);
    g_autoptr(VsTrainer) tr = vs_trainer_new (t, &args, dir_b);

    rb.trainer = tr;
    rb.stop_at = 7;
    vs_trainer_set_event_func (tr, on_event, &rb, NULL);
    g_assert_true (vs_trainer_start (tr, &error));
    g_assert_false (vs_trainer_join (tr, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpint (rb.last_step, ==, 7);
    g_assert_true (g_file_test (ckpt, G_FILE_TEST_IS_DIR));
  }

  /* ... C: resumed from its checkpoint by a fresh trainer and target. */
  recorder_init (&rc);
  {
    VsTrainTarget *t = linear_target_new (5);
    g_autoptr(VsTrainer) tr = vs_trainer_new (t, &args, dir_b);

    vs_trainer_set_event_func (tr, on_event, &rc, NULL);
    vs_trainer_set_resume_from (tr, ckpt);
    g_assert_true (vs_trainer_run (tr, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (params_a, sizeof params_a, ((LinearTarget *) t)->params, sizeof params_a);
  }
  /* The output_dir differs between the runs; make it equal in the text. */
  log_a = events_without_timing (ra.events);
  log_b = events_without_timing (rc.events);
  {
    g_autofree char *a2 = NULL;
    g_auto(GStrv) parts = g_strsplit (log_a, dir_a, -1);

    a2 = g_strjoinv (dir_b, parts);
    g_assert_cmpstr (a2, ==, log_b);
  }
  vs_remove_tree (dir_a, NULL);
  vs_remove_tree (dir_b, NULL);
  recorder_clear (&ra);
  recorder_clear (&rb);
  recorder_clear (&rc);
}

static void
test_cancel (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *model = g_build_filename (dir, "linear.json", NULL);
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  VsTrainTarget *t = linear_target_new (5);
  g_autoptr(VsTrainer) tr = NULL;
  Recorder r;
  gint64 t0, waited;
  gint64 at_cancel;
  const cJSON *last;

  base_args (&args);
  args.max_steps = 1000;
  ((LinearTarget *) t)->delay_ms = 20;   /* a step: two batches, ~40 ms */
  recorder_init (&r);
  tr = vs_trainer_new (t, &args, dir);
  vs_trainer_set_event_func (tr, on_event, &r, NULL);
  g_assert_true (vs_trainer_start (tr, &error));
  g_mutex_lock (&r.lock);
  while (r.last_step < 3)
    g_cond_wait (&r.cond, &r.lock);
  /* Cancel while holding the recorder's lock: the worker cannot record a step
   * in between, so "the step in flight" is exactly at_cancel + 1. (Events are
   * emitted without the trainer's own lock, so this cannot deadlock.) */
  at_cancel = r.last_step;
  t0 = g_get_monotonic_time ();
  vs_trainer_cancel (tr);
  g_mutex_unlock (&r.lock);
  g_assert_false (vs_trainer_join (tr, &error));
  waited = g_get_monotonic_time () - t0;
  g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
  g_test_message ("cancel took %" G_GINT64_FORMAT " us", waited);
  /* Within one step: at most the step in flight when cancel was called
   * (counted in steps, not microseconds, so a loaded machine cannot flake it). */
  g_assert_cmpint (r.last_step, <=, at_cancel + 1);
  last = cJSON_GetArrayItem (r.events, cJSON_GetArraySize (r.events) - 1);
  g_assert_cmpstr (cJSON_GetObjectItem (last, "event")->valuestring, ==, "error");
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (last, "cancelled")));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  vs_remove_tree (dir, NULL);
  recorder_clear (&r);
}

static void
test_nan (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *ckpt4 = g_build_filename (dir, "checkpoint-4", NULL);
  g_autofree char *model = g_build_filename (dir, "linear.json", NULL);
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  g_autoptr(VsTrainer) tr = NULL;
  Recorder r;
  const cJSON *last;

  base_args (&args);
  args.save_steps = 4;
  recorder_init (&r);
  tr = vs_trainer_new (linear_target_new (5), &args, dir);
  vs_trainer_set_event_func (tr, on_event, &r, NULL);
  vs_trainer_set_fault (tr, VS_TRAINER_FAULT_NAN_LOSS, 6);
  g_assert_false (vs_trainer_run (tr, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "step 6"));
  g_assert_cmpint (r.last_step, ==, 5);
  last = cJSON_GetArrayItem (r.events, cJSON_GetArraySize (r.events) - 1);
  g_assert_cmpstr (cJSON_GetObjectItem (last, "event")->valuestring, ==, "error");
  g_assert_nonnull (strstr (cJSON_GetObjectItem (last, "message")->valuestring, "NaN"));
  /* The last good checkpoint stays; no output model. */
  g_assert_true (g_file_test (ckpt4, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  vs_remove_tree (dir, NULL);
  recorder_clear (&r);
}

static void
test_pause (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  VsTrainTarget *t = linear_target_new (5);
  g_autoptr(VsTrainer) tr = NULL;
  Recorder r;
  gint64 at_pause;

  base_args (&args);
  args.max_steps = 40;
  ((LinearTarget *) t)->delay_ms = 5;
  recorder_init (&r);
  tr = vs_trainer_new (t, &args, dir);
  vs_trainer_set_event_func (tr, on_event, &r, NULL);
  g_assert_true (vs_trainer_start (tr, &error));
  g_mutex_lock (&r.lock);
  while (r.last_step < 2)
    g_cond_wait (&r.cond, &r.lock);
  /* Pause under the recorder's lock, so the step in flight is at_pause + 1. */
  vs_trainer_pause (tr);
  at_pause = r.last_step;
  g_mutex_unlock (&r.lock);
  g_assert_true (vs_trainer_is_paused (tr));
  /* An unpaused loop would run ~60 more 5 ms steps in this time; a paused one
   * finishes at most the step in flight. */
  g_usleep (300000);
  g_mutex_lock (&r.lock);
  g_assert_cmpint (r.last_step, <=, at_pause + 1);   /* no new step while paused */
  g_mutex_unlock (&r.lock);
  vs_trainer_resume (tr);
  g_assert_true (vs_trainer_join (tr, &error));
  g_assert_cmpint (r.last_step, ==, 40);
  vs_remove_tree (dir, NULL);
  recorder_clear (&r);
}

static void
test_rotation_and_best (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = NULL;
  VsTrainArgs args;
  g_autoptr(VsTrainer) tr = NULL;
  const char *name;
  guint n = 0;

  base_args (&args);
  args.save_steps = 2;
  args.save_total_limit = 2;
  args.eval_steps = 2;
  args.load_best_model_at_end = TRUE;
  tr = vs_trainer_new (linear_target_new (5), &args, dir);
  g_assert_true (vs_trainer_run (tr, &error));
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "checkpoint-"))
      n++;
  /* The newest two, plus the best when it is older. */
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpuint (n, <=, 3);
  {
    g_autofree char *c14 = g_build_filename (dir, "checkpoint-14", NULL);
    g_autofree char *c2 = g_build_filename (dir, "checkpoint-2", NULL);

    g_assert_true (g_file_test (c14, G_FILE_TEST_IS_DIR));
    g_assert_false (g_file_test (c2, G_FILE_TEST_IS_DIR));
  }
  g_assert_nonnull (cJSON_GetObjectItem (vs_trainer_get_record (tr), "best_step"));
  /* The newest checkpoint of an output folder, or a checkpoint itself. */
  {
    g_autofree char *c14 = g_build_filename (dir, "checkpoint-14", NULL);
    g_autofree char *found = vs_trainer_find_checkpoint (dir);
    g_autofree char *itself = vs_trainer_find_checkpoint (c14);
    g_autofree char *none = vs_trainer_find_checkpoint ("/nonexistent");

    g_assert_cmpstr (found, ==, c14);
    g_assert_cmpstr (itself, ==, c14);
    g_assert_null (none);
  }
  vs_remove_tree (dir, NULL);
}

static void
test_early_stopping (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  g_autoptr(VsTrainer) tr = NULL;
  Recorder r;

  base_args (&args);
  args.eval_steps = 2;
  args.early_stopping_patience = 2;
  args.metric_for_best_model = (char *) "constant";   /* finds eval_constant */
  recorder_init (&r);
  tr = vs_trainer_new (linear_target_new (5), &args, dir);
  vs_trainer_set_event_func (tr, on_event, &r, NULL);
  g_assert_true (vs_trainer_run (tr, &error));
  /* Best at step 2, no better at 4 and 6: stop after step 6 of 14. */
  g_assert_cmpint (r.last_step, ==, 6);
  vs_remove_tree (dir, NULL);
  recorder_clear (&r);

  /* A metric the evaluation does not have is an error, named. */
  args.metric_for_best_model = (char *) "eval_nope";
  recorder_init (&r);
  {
    g_autofree char *dir2 = make_tmp_dir ();
    g_autoptr(VsTrainer) tr2 = vs_trainer_new (linear_target_new (5), &args, dir2);

    g_assert_false (vs_trainer_run (tr2, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "eval_nope"));
    vs_remove_tree (dir2, NULL);
  }
  recorder_clear (&r);
}

/* Damaged checkpoints are errors that name the file, never crashes. */
static void
test_bad_checkpoints (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *ckpt = g_build_filename (dir, "checkpoint-4", NULL);
  g_autofree char *state = g_build_filename (ckpt, "trainer_state.json", NULL);
  g_autofree char *opt = g_build_filename (ckpt, "optimizer.safetensors", NULL);
  g_autofree char *good_state = NULL;
  g_autofree char *good_opt = NULL;
  gsize opt_len;
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  struct { const char *file; const char *content; gssize len; VsError code; } cases[] = {
    { "trainer_state.json", "{not json", -1, VS_ERROR_PARSE },
    { "trainer_state.json", "{\"format_version\": 99}", -1, VS_ERROR_PARSE },
    { "optimizer.safetensors", "\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10, VS_ERROR_PARSE },
    { "optimizer.safetensors", NULL, 0, VS_ERROR_INVALID },     /* truncated: filled below */
    { "events.jsonl", "{\"event\": \"nope\"}\n", -1, VS_ERROR_PARSE },
  };

  base_args (&args);
  args.save_steps = 4;
  args.max_steps = 4;
  {
    g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir);

    g_assert_true (vs_trainer_run (tr, &error));
  }
  g_assert_true (g_file_get_contents (state, &good_state, NULL, NULL));
  g_assert_true (g_file_get_contents (opt, &good_opt, &opt_len, NULL));
  args.max_steps = 8;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (ckpt, cases[i].file, NULL);
      g_autofree char *events_path = g_build_filename (ckpt, "events.jsonl", NULL);
      g_autofree char *events_good = NULL;
      g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir);

      g_file_get_contents (events_path, &events_good, NULL, NULL);
      if (cases[i].content != NULL)
        g_file_set_contents (path, cases[i].content, cases[i].len, NULL);
      else
        g_file_set_contents (path, good_opt, (gssize) (opt_len - 16), NULL);
      vs_trainer_set_resume_from (tr, ckpt);
      g_assert_false (vs_trainer_run (tr, &error));
      g_test_message ("%s: %s", cases[i].file, error->message);
      g_assert_error (error, VS_ERROR, (gint) cases[i].code);
      g_clear_error (&error);
      /* Put the good files back for the next case. */
      g_file_set_contents (state, good_state, -1, NULL);
      g_file_set_contents (opt, good_opt, (gssize) opt_len, NULL);
      g_file_set_contents (events_path, events_good, -1, NULL);
    }
  {
    g_autofree char *missing = g_build_filename (dir, "checkpoint-99", NULL);
    g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir);

    vs_trainer_set_resume_from (tr, missing);
    g_assert_false (vs_trainer_run (tr, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_IO);
    g_clear_error (&error);
  }
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/loop/torch-parity", test_torch_parity);
  g_test_add_func ("/train/loop/stop-and-resume", test_stop_and_resume);
  g_test_add_func ("/train/loop/cancel", test_cancel);
  g_test_add_func ("/train/loop/nan", test_nan);
  g_test_add_func ("/train/loop/pause", test_pause);
  g_test_add_func ("/train/loop/rotation-and-best", test_rotation_and_best);
  g_test_add_func ("/train/loop/early-stopping", test_early_stopping);
  g_test_add_func ("/train/loop/bad-checkpoints", test_bad_checkpoints);
  return g_test_run ();
}
