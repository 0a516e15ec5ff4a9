/* test-train-log.c: the live events.jsonl of a run (equal to the events
 * the callback received, and after stop + resume equal to an uninterrupted
 * run's), its reader's handling of cut and broken files, and the list of
 * checkpoints with the step, epoch and metric their state holds. */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>

#include "linear-target.h"
#include "train/vs-checkpoint.h"
#include "train/vs-train-log.h"

typedef struct
{
  cJSON     *events;
  VsTrainer *trainer;
  gint64     stop_at;
} Recorder;

static void
on_event (const VsTrainEvent *event,
          gpointer            user_data)
{
  Recorder *r = user_data;

  cJSON_AddItemToArray (r->events, cJSON_Duplicate (event->data, TRUE));
  if (event->kind == VS_TRAIN_EVENT_STEP && r->stop_at > 0 &&
      (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (event->data, "step")) == r->stop_at)
    vs_trainer_stop (r->trainer);
}

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vs-train-log-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
base_args (VsTrainArgs *a)
{
  vs_train_args_init (a);
  a->max_steps = 14;
  a->batch_size = 5;
  a->learning_rate = 0.05;
  a->warmup_steps = 3;
  a->save_steps = 7;
  a->eval_steps = 3;
  a->logging_steps = 1;
}

/* The events as text without timing, with dir replaced by "OUT". */
static char *
normalised (const cJSON *events,
            const char  *dir)
{
  cJSON *copy = cJSON_Duplicate (events, TRUE);
  cJSON *ev;
  char *text;
  g_auto(GStrv) parts = NULL;

  cJSON_ArrayForEach (ev, copy)
    cJSON_DeleteItemFromObject (ev, "examples_per_s");
  text = cJSON_Print (copy);
  cJSON_Delete (copy);
  parts = g_strsplit (text, dir, -1);
  cJSON_free (text);
  return g_strjoinv ("OUT", parts);
}

static cJSON *
read_log (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, VS_TRAIN_LOG_NAME, NULL);
  g_autoptr(GError) error = NULL;
  cJSON *events = vs_train_log_read (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (events);
  return events;
}

static void
test_live_log_and_resume (void)
{
  g_autofree char *dir_a = make_tmp_dir ();
  g_autofree char *dir_b = make_tmp_dir ();
  g_autofree char *ckpt = g_build_filename (dir_b, "checkpoint-7", NULL);
  g_autoptr(GError) error = NULL;
  VsTrainArgs args;
  Recorder ra = { cJSON_CreateArray (), NULL, -1 };
  Recorder rb = { cJSON_CreateArray (), NULL, -1 };
  Recorder rc = { cJSON_CreateArray (), NULL, -1 };
  cJSON *log;

  base_args (&args);

  /* A: uninterrupted; the file holds exactly what the callback saw. */
  {
    g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir_a);

    vs_trainer_set_event_func (tr, on_event, &ra, NULL);
    g_assert_true (vs_trainer_run (tr, &error));
    g_assert_no_error (error);
  }
  log = read_log (dir_a);
  {
    char *want = cJSON_PrintUnformatted (ra.events);
    char *got = cJSON_PrintUnformatted (log);

    g_assert_cmpstr (got, ==, want);
    cJSON_free (want);
    cJSON_free (got);
  }
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (log, 0), "event")),
                   ==, "start");
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (log, -1 + cJSON_GetArraySize (log)), "event")),
                   ==, "done");
  cJSON_Delete (log);

  /* B: stopped after step 7; its file ends with the error event. */
  {
    g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir_b);

    rb.trainer = tr;
    rb.stop_at = 7;
    vs_trainer_set_event_func (tr, on_event, &rb, NULL);
    g_assert_false (vs_trainer_run (tr, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    g_clear_error (&error);
  }
  log = read_log (dir_b);
  g_assert_cmpint (cJSON_GetArraySize (log), ==, cJSON_GetArraySize (rb.events));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (log, cJSON_GetArraySize (log) - 1), "event")),
                   ==, "error");
  cJSON_Delete (log);

  /* The checkpoints B left: step 7, its epoch and the eval loss of step 6
   * as the events reported them. */
  {
    g_autoptr(GPtrArray) list = vs_trainer_list_checkpoints (dir_b, &error);
    const VsCheckpointInfo *c;
    const cJSON *ev;
    double want_metric = NAN;
    double want_epoch = NAN;

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 1);
    c = list->pdata[0];
    g_assert_cmpstr (c->path, ==, ckpt);
    g_assert_cmpint (c->step, ==, 7);
    cJSON_ArrayForEach (ev, rb.events)
      {
        const char *kind = cJSON_GetStringValue (cJSON_GetObjectItem (ev, "event"));
        gint64 step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "step"));

        if (g_strcmp0 (kind, "eval") == 0 && step <= 7)
          want_metric = cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetObjectItem (ev, "metrics"), "eval_loss"));
        if (g_strcmp0 (kind, "step") == 0 && step == 7)
          want_epoch = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "epoch"));
      }
    g_assert_cmpstr (c->metric_name, ==, "eval_loss");
    g_assert_cmpfloat (c->metric, ==, want_metric);
    g_assert_cmpint (c->metric_step, ==, 6);
    g_assert_cmpfloat (c->epoch, ==, want_epoch);
    g_assert_cmpfloat (c->epoch, >, 1.0);   /* 5 batches an epoch */
  }

  /* C: resumed; the file is replaced and equals A's. */
  {
    g_autoptr(VsTrainer) tr = vs_trainer_new (linear_target_new (5), &args, dir_b);

    vs_trainer_set_event_func (tr, on_event, &rc, NULL);
    vs_trainer_set_resume_from (tr, ckpt);
    g_assert_true (vs_trainer_run (tr, &error));
    g_assert_no_error (error);
  }
  {
    cJSON *la = read_log (dir_a);
    cJSON *lb = read_log (dir_b);
    g_autofree char *ta = normalised (la, dir_a);
    g_autofree char *tb = normalised (lb, dir_b);

    g_assert_cmpstr (tb, ==, ta);
    cJSON_Delete (la);
    cJSON_Delete (lb);
  }
  /* Every checkpoint of the full run, in order. */
  {
    g_autoptr(GPtrArray) list = vs_trainer_list_checkpoints (dir_b, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (list->len, ==, 2);
    g_assert_cmpint (((VsCheckpointInfo *) list->pdata[0])->step, ==, 7);
    g_assert_cmpint (((VsCheckpointInfo *) list->pdata[1])->step, ==, 14);
  }
  cJSON_Delete (ra.events);
  cJSON_Delete (rb.events);
  cJSON_Delete (rc.events);
  vs_remove_tree (dir_a, NULL);
  vs_remove_tree (dir_b, NULL);
}

static void
test_reader (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "events.jsonl", NULL);
  g_autofree char *missing = g_build_filename (dir, "nope.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  cJSON *events;

  /* A line cut short by a kill is left out. */
  g_assert_true (g_file_set_contents (path,
                                      "{\"event\": \"start\", \"total_steps\": 3}\n"
                                      "{\"event\": \"step\", \"step\": 1}\n"
                                      "{\"event\": \"st", -1, NULL));
  events = vs_train_log_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cJSON_GetArraySize (events), ==, 2);
  cJSON_Delete (events);

  /* A broken line inside is an error naming the file and the line. */
  g_assert_true (g_file_set_contents (path,
                                      "{\"event\": \"start\"}\n"
                                      "[1, 2]\n"
                                      "{\"event\": \"step\", \"step\": 1}\n", -1, NULL));
  events = vs_train_log_read (path, &error);
  g_assert_null (events);
  g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "line 2"));
  g_clear_error (&error);

  events = vs_train_log_read (missing, &error);
  g_assert_null (events);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  vs_remove_tree (dir, NULL);
}

static void
test_list_checkpoints_edge_cases (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-output", NULL);
  g_autofree char *ck = g_build_filename (dir, "checkpoint-3", NULL);
  g_autofree char *half = g_build_filename (dir, "checkpoint-5", NULL);
  g_autofree char *state = g_build_filename (ck, "trainer_state.json", NULL);
  g_autoptr(GError) error = NULL;
  GPtrArray *list;

  list = vs_trainer_list_checkpoints (missing, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_ptr_array_unref (list);

  /* A folder without trainer_state.json is not a checkpoint. */
  g_assert_cmpint (g_mkdir_with_parents (half, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (ck, 0755), ==, 0);
  g_assert_true (g_file_set_contents (state, "{\"global_step\": 3, \"epoch\": 0}", -1, NULL));
  list = vs_trainer_list_checkpoints (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (((VsCheckpointInfo *) list->pdata[0])->step, ==, 3);
  g_assert_null (((VsCheckpointInfo *) list->pdata[0])->metric_name);
  g_assert_true (isnan (((VsCheckpointInfo *) list->pdata[0])->metric));
  g_ptr_array_unref (list);

  /* A state that is not the trainer's is an error naming it. */
  g_assert_true (g_file_set_contents (state, "not json", -1, NULL));
  list = vs_trainer_list_checkpoints (dir, &error);
  g_assert_null (list);
  g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, state));
  g_clear_error (&error);
  vs_remove_tree (dir, NULL);
}

/* An output folder that cannot be made: the run fails at once, naming it. */
static void
test_unwritable_output (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *file = g_build_filename (dir, "a-file", NULL);
  g_autofree char *out = g_build_filename (file, "out", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTrainer) tr = NULL;
  VsTrainArgs args;
  Recorder r = { cJSON_CreateArray (), NULL, -1 };

  base_args (&args);
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  tr = vs_trainer_new (linear_target_new (5), &args, out);
  vs_trainer_set_event_func (tr, on_event, &r, NULL);
  g_assert_false (vs_trainer_run (tr, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, file));
  /* Only the error event: no step ran. */
  g_assert_cmpint (cJSON_GetArraySize (r.events), ==, 1);
  cJSON_Delete (r.events);
  vs_remove_tree (dir, NULL);
}

static GMutex holding_lock;

static void
on_event_locked (const VsTrainEvent *event,
                 gpointer            user_data)
{
  g_mutex_lock (&holding_lock);
  on_event (event, user_data);
  g_mutex_unlock (&holding_lock);
}

/* vs_trainer_is_holding: TRUE only once the loop waits, and then no step
 * is reported until resume. */
static void
test_holding (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTrainer) tr = NULL;
  VsTrainTarget *t = linear_target_new (5);
  VsTrainArgs args;
  Recorder r = { cJSON_CreateArray (), NULL, -1 };
  gint64 deadline;
  int n_at_hold;

  base_args (&args);
  args.max_steps = 40;
  args.save_steps = 0;
  ((LinearTarget *) t)->delay_ms = 5;
  tr = vs_trainer_new (t, &args, dir);
  vs_trainer_set_event_func (tr, on_event_locked, &r, NULL);
  g_assert_false (vs_trainer_is_holding (tr));
  g_assert_true (vs_trainer_start (tr, &error));
  vs_trainer_pause (tr);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!vs_trainer_is_holding (tr) && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_assert_true (vs_trainer_is_holding (tr));
  g_mutex_lock (&holding_lock);
  n_at_hold = cJSON_GetArraySize (r.events);
  g_mutex_unlock (&holding_lock);
  g_usleep (100000);
  g_mutex_lock (&holding_lock);
  g_assert_cmpint (cJSON_GetArraySize (r.events), ==, n_at_hold);
  g_mutex_unlock (&holding_lock);
  vs_trainer_resume (tr);
  g_assert_true (vs_trainer_join (tr, &error));
  g_assert_false (vs_trainer_is_holding (tr));
  g_assert_cmpint (cJSON_GetArraySize (r.events), >, n_at_hold);
  cJSON_Delete (r.events);
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/log/live-and-resume", test_live_log_and_resume);
  g_test_add_func ("/train/log/reader", test_reader);
  g_test_add_func ("/train/log/checkpoints", test_list_checkpoints_edge_cases);
  g_test_add_func ("/train/log/unwritable-output", test_unwritable_output);
  g_test_add_func ("/train/log/holding", test_holding);
  return g_test_run ();
}
