/* vs-trainer.c: the training loop, its thread, checkpoints and events
 * (see vs-trainer.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vs-engine.h"
#include "vs-error.h"
#include "fault/vs-fault.h"
#include "hub/vs-model-card.h"
#include "train/vs-checkpoint.h"
#include "train/vs-train-log.h"
#include "train/vs-trainer.h"

#define STATE_FORMAT_VERSION 1

struct _VsTrainer
{
  VsTrainTarget       *target;
  VsTrainArgs          args;
  char                *output_dir;
  char                *resume_from;
  cJSON               *recipe_json;
  VsTrainEventFunc     func;
  gpointer             user_data;
  GDestroyNotify       destroy;
  VsTrainerFault       fault;
  gint64               fault_step;

  /* steering, shared with other threads */
  GMutex               lock;
  GCond                cond;
  gboolean             paused;
  gboolean             holding;          /* the loop waits in wait_while_paused */
  gint                 cancel;           /* atomic */
  gint                 stop;             /* atomic */
  GThread             *thread;
  gboolean             thread_result;
  GError              *thread_error;

  /* the run, owned by the training thread */
  VsAdamW             *opt;
  const VsParamBlock  *blocks;
  guint                n_blocks;
  gsize                batches_per_epoch;
  gint64               steps_per_epoch;
  gint64               total_steps;
  gint64               warmup_steps;
  gint64               global_step;
  guint64              epoch;
  gsize                batch_in_epoch;
  gboolean             have_best;
  double               best_metric;
  gint64               best_step;
  char                *best_checkpoint;
  gint                 bad_evals;
  gint64               last_eval_step;
  gint64               last_save_step;
  double               window_loss;      /* training loss summed since the last log row */
  gint64               window_steps;
  GString             *events;           /* every event so far, in order: one compact
                                          * JSON line each (text, not cJSON trees:
                                          * a quarter of the memory on long runs) */
  cJSON               *log;              /* the model card's log table rows */
  cJSON               *last_metrics;
  char                *primary_metric;
  cJSON               *record;

  /* OUTPUT_DIR/events.jsonl, written live (see vs-train-log.h) */
  FILE                *live_log;
  gboolean             live_log_failed;
};

static const char *const event_names[] = {
  [VS_TRAIN_EVENT_START] = "start",
  [VS_TRAIN_EVENT_STEP] = "step",
  [VS_TRAIN_EVENT_EVAL] = "eval",
  [VS_TRAIN_EVENT_CHECKPOINT] = "checkpoint",
  [VS_TRAIN_EVENT_DONE] = "done",
  [VS_TRAIN_EVENT_ERROR] = "error",
};

const char *
vs_train_event_kind_to_string (VsTrainEventKind kind)
{
  if ((guint) kind < G_N_ELEMENTS (event_names))
    return event_names[kind];
  return "error";
}

static gboolean
event_kind_from_string (const char       *name,
                        VsTrainEventKind *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (event_names); i++)
    if (g_strcmp0 (name, event_names[i]) == 0)
      {
        *out = (VsTrainEventKind) i;
        return TRUE;
      }
  return FALSE;
}

VsTrainer *
vs_trainer_new (VsTrainTarget     *target,
                const VsTrainArgs *args,
                const char        *output_dir)
{
  VsTrainer *trainer;

  g_return_val_if_fail (target != NULL && target->klass != NULL, NULL);
  g_return_val_if_fail (args != NULL, NULL);
  g_return_val_if_fail (output_dir != NULL, NULL);

  trainer = g_new0 (VsTrainer, 1);
  trainer->target = target;
  target->cancel = &trainer->cancel;
  trainer->args = *args;
  trainer->args.metric_for_best_model = g_strdup (args->metric_for_best_model);
  trainer->output_dir = g_strdup (output_dir);
  g_mutex_init (&trainer->lock);
  g_cond_init (&trainer->cond);
  trainer->events = g_string_new (NULL);
  trainer->log = cJSON_CreateArray ();
  trainer->last_eval_step = -1;
  trainer->last_save_step = -1;
  trainer->best_step = -1;
  return trainer;
}

void
vs_trainer_free (VsTrainer *trainer)
{
  if (trainer == NULL)
    return;
  if (trainer->thread != NULL)
    {
      vs_trainer_cancel (trainer);
      vs_trainer_join (trainer, NULL);
    }
  if (trainer->destroy != NULL)
    trainer->destroy (trainer->user_data);
  if (trainer->target != NULL && trainer->target->klass->free != NULL)
    trainer->target->klass->free (trainer->target);
  vs_adamw_free (trainer->opt);
  g_free (trainer->args.metric_for_best_model);
  g_free (trainer->output_dir);
  g_free (trainer->resume_from);
  g_free (trainer->best_checkpoint);
  g_free (trainer->primary_metric);
  cJSON_Delete (trainer->recipe_json);
  g_string_free (trainer->events, TRUE);
  cJSON_Delete (trainer->log);
  cJSON_Delete (trainer->last_metrics);
  cJSON_Delete (trainer->record);
  g_clear_error (&trainer->thread_error);
  g_mutex_clear (&trainer->lock);
  g_cond_clear (&trainer->cond);
  g_free (trainer);
}

void
vs_trainer_set_event_func (VsTrainer        *trainer,
                           VsTrainEventFunc  func,
                           gpointer          user_data,
                           GDestroyNotify    destroy)
{
  if (trainer->destroy != NULL)
    trainer->destroy (trainer->user_data);
  trainer->func = func;
  trainer->user_data = user_data;
  trainer->destroy = destroy;
}

void
vs_trainer_set_resume_from (VsTrainer  *trainer,
                            const char *checkpoint_dir)
{
  g_free (trainer->resume_from);
  trainer->resume_from = g_strdup (checkpoint_dir);
}

void
vs_trainer_set_recipe_json (VsTrainer   *trainer,
                            const cJSON *recipe)
{
  cJSON_Delete (trainer->recipe_json);
  trainer->recipe_json = recipe != NULL ? cJSON_Duplicate (recipe, TRUE) : NULL;
}

void
vs_trainer_set_fault (VsTrainer      *trainer,
                      VsTrainerFault  fault,
                      gint64          step)
{
  trainer->fault = fault;
  trainer->fault_step = step;
}

gint64
vs_trainer_get_total_steps (VsTrainer *trainer)
{
  return trainer->total_steps;
}

const cJSON *
vs_trainer_get_record (VsTrainer *trainer)
{
  return trainer->record;
}

/* ---------------------------------------------------------------------- */
/* Steering                                                                 */

void
vs_trainer_pause (VsTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  trainer->paused = TRUE;
  g_mutex_unlock (&trainer->lock);
}

void
vs_trainer_resume (VsTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  trainer->paused = FALSE;
  g_cond_broadcast (&trainer->cond);
  g_mutex_unlock (&trainer->lock);
}

gboolean
vs_trainer_is_paused (VsTrainer *trainer)
{
  gboolean paused;

  g_mutex_lock (&trainer->lock);
  paused = trainer->paused;
  g_mutex_unlock (&trainer->lock);
  return paused;
}

gboolean
vs_trainer_is_holding (VsTrainer *trainer)
{
  gboolean holding;

  g_mutex_lock (&trainer->lock);
  holding = trainer->holding;
  g_mutex_unlock (&trainer->lock);
  return holding;
}

void
vs_trainer_stop (VsTrainer *trainer)
{
  g_atomic_int_set (&trainer->stop, 1);
  g_mutex_lock (&trainer->lock);
  g_cond_broadcast (&trainer->cond);
  g_mutex_unlock (&trainer->lock);
}

void
vs_trainer_set_eval_batch_hook (VsTrainer  *trainer,
                                void      (*func) (const char *where,
                                                   gpointer    data),
                                gpointer    data)
{
  g_return_if_fail (trainer != NULL);

  trainer->target->eval_batch_hook = func;
  trainer->target->eval_batch_hook_data = data;
}

void
vs_trainer_cancel (VsTrainer *trainer)
{
  g_atomic_int_set (&trainer->cancel, 1);
  g_mutex_lock (&trainer->lock);
  g_cond_broadcast (&trainer->cond);
  g_mutex_unlock (&trainer->lock);
}

static gboolean
is_cancelled (VsTrainer *trainer)
{
  return g_atomic_int_get (&trainer->cancel) != 0;
}

/* Blocks while paused; returns when resumed, stopped or cancelled. */
static void
wait_while_paused (VsTrainer *trainer)
{
  g_mutex_lock (&trainer->lock);
  while (trainer->paused && !is_cancelled (trainer) && g_atomic_int_get (&trainer->stop) == 0)
    {
      trainer->holding = TRUE;
      g_cond_wait (&trainer->cond, &trainer->lock);
    }
  trainer->holding = FALSE;
  g_mutex_unlock (&trainer->lock);
}

/* ---------------------------------------------------------------------- */
/* Events                                                                   */

static cJSON *
event_new (VsTrainEventKind kind)
{
  cJSON *ev = cJSON_CreateObject ();

  cJSON_AddStringToObject (ev, "event", vs_train_event_kind_to_string (kind));
  return ev;
}

/* Logs ev (taken) and hands it to the callback. */
static void
emit (VsTrainer        *trainer,
      VsTrainEventKind  kind,
      cJSON            *ev)
{
  VsTrainEvent event = { kind, ev };
  char *line = cJSON_PrintUnformatted (ev);

  g_string_append (trainer->events, line);
  g_string_append_c (trainer->events, '\n');
  if (trainer->live_log != NULL && !trainer->live_log_failed)
    {

      /* One line per event, flushed, so a reader (or a crash) sees every
       * event that was emitted. A log that cannot be written costs the
       * log, not the run. */
      int fault = 0;
      gsize len = strlen (line);
      gsize allowed = vs_fault_filter (len + 1, &fault);

      if (fault != 0)
        {
          /* An injected full disk: the part that fits, then the error. */
          fwrite (line, 1, MIN (allowed, len), trainer->live_log);
          fflush (trainer->live_log);
          errno = fault;
        }
      if (fault != 0 || fputs (line, trainer->live_log) < 0 || fputc ('\n', trainer->live_log) < 0 ||
          fflush (trainer->live_log) != 0)
        {
          int err = errno;

          trainer->live_log_failed = TRUE;
          g_warning ("%s/" VS_TRAIN_LOG_NAME ": %s", trainer->output_dir, g_strerror (err));
        }
    }
  cJSON_free (line);
  if (trainer->func != NULL)
    trainer->func (&event, trainer->user_data);
  cJSON_Delete (ev);
}

static double
current_epoch (VsTrainer *trainer)
{
  double e;

  if (trainer->batches_per_epoch == 0)
    return (double) trainer->epoch;
  e = (double) trainer->epoch + (double) trainer->batch_in_epoch / (double) trainer->batches_per_epoch;
  /* Rounded as the log table shows it (4 decimals). */
  return round (e * 10000.0) / 10000.0;
}

static void
emit_error (VsTrainer    *trainer,
            const GError *error)
{
  cJSON *ev = event_new (VS_TRAIN_EVENT_ERROR);

  cJSON_AddNumberToObject (ev, "step", (double) trainer->global_step);
  cJSON_AddStringToObject (ev, "message", error->message);
  if (g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
    cJSON_AddBoolToObject (ev, "cancelled", TRUE);
  emit (trainer, VS_TRAIN_EVENT_ERROR, ev);
}

/* ---------------------------------------------------------------------- */
/* Log table (for the model card)                                           */

static cJSON *
log_row_for_step (VsTrainer *trainer,
                  gint64     step)
{
  cJSON *row;
  int n = cJSON_GetArraySize (trainer->log);

  if (n > 0)
    {
      row = cJSON_GetArrayItem (trainer->log, n - 1);
      if ((gint64) cJSON_GetObjectItem (row, "step")->valuedouble == step)
        return row;
    }
  row = cJSON_CreateObject ();
  cJSON_AddNumberToObject (row, "epoch", current_epoch (trainer));
  cJSON_AddNumberToObject (row, "step", (double) step);
  cJSON_AddItemToArray (trainer->log, row);
  return row;
}

static void
log_metrics (VsTrainer   *trainer,
             const cJSON *metrics)
{
  cJSON *row = log_row_for_step (trainer, trainer->global_step);
  const cJSON *m;

  cJSON_ArrayForEach (m, metrics)
    {
      const char *key = m->string;
      const char *name;

      if (!cJSON_IsNumber (m))
        continue;
      if (strcmp (key, "eval_loss") == 0)
        name = "validation_loss";
      else if (g_str_has_prefix (key, "eval_"))
        name = key + 5;
      else
        name = key;
      cJSON_DeleteItemFromObjectCaseSensitive (row, name);
      cJSON_AddNumberToObject (row, name, m->valuedouble);
    }
}

/* The mean training loss of the steps since the last row, in the row of
 * the current step; the window starts again. */
static void
log_training_loss (VsTrainer *trainer)
{
  cJSON *row = log_row_for_step (trainer, trainer->global_step);

  cJSON_AddNumberToObject (row, "training_loss", trainer->window_loss / (double) trainer->window_steps);
  trainer->window_loss = 0.0;
  trainer->window_steps = 0;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                              */

static GPtrArray *
tensor_entries (VsTrainer *trainer,
                gboolean   with_moments)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint b = 0; b < trainer->n_blocks; b++)
    {
      g_ptr_array_add (names, g_strdup_printf ("%s.params", trainer->blocks[b].name));
      if (with_moments)
        {
          g_ptr_array_add (names, g_strdup_printf ("%s.exp_avg", trainer->blocks[b].name));
          g_ptr_array_add (names, g_strdup_printf ("%s.exp_avg_sq", trainer->blocks[b].name));
        }
    }
  return names;
}

static VsTensorFileEntry *
fill_entries (VsTrainer *trainer,
              GPtrArray *names,
              gboolean   with_moments)
{
  VsTensorFileEntry *e = g_new0 (VsTensorFileEntry, names->len);
  guint k = 0;

  for (guint b = 0; b < trainer->n_blocks; b++)
    {
      gsize n = trainer->blocks[b].n_params;

      e[k] = (VsTensorFileEntry) { names->pdata[k], trainer->blocks[b].params, n };
      k++;
      if (with_moments)
        {
          e[k] = (VsTensorFileEntry) { names->pdata[k], vs_adamw_get_exp_avg (trainer->opt, b), n };
          k++;
          e[k] = (VsTensorFileEntry) { names->pdata[k], vs_adamw_get_exp_avg_sq (trainer->opt, b), n };
          k++;
        }
    }
  return e;
}

/* Atomically (vs-fault.h), with the path in its error. */
static gboolean
write_text_file (const char  *path,
                 const char  *text,
                 gssize       length,
                 GError     **error)
{
  return vs_file_set_contents (path, text, length, 0644, error);
}

static gboolean
write_json_file (const char  *path,
                 const cJSON *json,
                 GError     **error)
{
  char *text = cJSON_Print (json);
  gboolean ok = write_text_file (path, text, -1, error);

  cJSON_free (text);
  return ok;
}

/* The log so far (events: JSON lines) and then one more event, atomically. */
static gboolean
write_events (const char    *path,
              const GString *events,
              const cJSON   *last,
              GError       **error)
{
  g_autoptr(VsAtomicFile) f = vs_atomic_file_new (path, 0644, error);
  char *line = cJSON_PrintUnformatted (last);
  gboolean ok;

  ok = f != NULL && vs_atomic_file_write (f, events->str, events->len, error) &&
       vs_atomic_file_write (f, line, strlen (line), error) &&
       vs_atomic_file_write (f, "\n", 1, error) && vs_atomic_file_commit (f, error);
  cJSON_free (line);
  return ok;
}

static cJSON *
trainer_state_json (VsTrainer *trainer)
{
  cJSON *st = cJSON_CreateObject ();
  const VsTrainTargetClass *k = trainer->target->klass;

  cJSON_AddNumberToObject (st, "format_version", STATE_FORMAT_VERSION);
  cJSON_AddNumberToObject (st, "global_step", (double) trainer->global_step);
  cJSON_AddNumberToObject (st, "epoch", (double) trainer->epoch);
  cJSON_AddNumberToObject (st, "batch_in_epoch", (double) trainer->batch_in_epoch);
  cJSON_AddNumberToObject (st, "optimizer_step", (double) vs_adamw_get_step (trainer->opt));
  cJSON_AddNumberToObject (st, "total_steps", (double) trainer->total_steps);
  cJSON_AddNumberToObject (st, "warmup_steps", (double) trainer->warmup_steps);
  cJSON_AddStringToObject (st, "scheduler", vs_schedule_to_string (trainer->args.scheduler));
  cJSON_AddNumberToObject (st, "learning_rate", trainer->args.learning_rate);
  cJSON_AddBoolToObject (st, "have_best", trainer->have_best);
  cJSON_AddNumberToObject (st, "best_metric", trainer->have_best ? trainer->best_metric : 0.0);
  cJSON_AddNumberToObject (st, "best_step", (double) trainer->best_step);
  if (trainer->best_checkpoint != NULL)
    cJSON_AddStringToObject (st, "best_checkpoint", trainer->best_checkpoint);
  cJSON_AddNumberToObject (st, "bad_evals", trainer->bad_evals);
  cJSON_AddNumberToObject (st, "last_eval_step", (double) trainer->last_eval_step);
  cJSON_AddNumberToObject (st, "window_loss", trainer->window_loss);
  cJSON_AddNumberToObject (st, "window_steps", (double) trainer->window_steps);
  if (trainer->primary_metric != NULL)
    cJSON_AddStringToObject (st, "primary_metric", trainer->primary_metric);
  if (trainer->last_metrics != NULL)
    cJSON_AddItemToObject (st, "last_metrics", cJSON_Duplicate (trainer->last_metrics, TRUE));
  cJSON_AddItemToObject (st, "log_history", cJSON_Duplicate (trainer->log, TRUE));
  cJSON_AddItemToObject (st, "target", k->get_state != NULL ? k->get_state (trainer->target)
                                                           : cJSON_CreateObject ());
  cJSON_AddItemToObject (st, "args", vs_train_args_to_json (&trainer->args));
  if (trainer->recipe_json != NULL)
    cJSON_AddItemToObject (st, "recipe", cJSON_Duplicate (trainer->recipe_json, TRUE));
  return st;
}

static gint64
checkpoint_step (const char *name)
{
  const char *digits;
  char *end;
  gint64 step;

  if (!g_str_has_prefix (name, "checkpoint-"))
    return -1;
  digits = name + strlen ("checkpoint-");
  if (*digits == '\0')
    return -1;
  step = g_ascii_strtoll (digits, &end, 10);
  return *end == '\0' ? step : -1;
}

static gint
compare_steps (gconstpointer a,
               gconstpointer b)
{
  gint64 sa = checkpoint_step (*(const char *const *) a);
  gint64 sb = checkpoint_step (*(const char *const *) b);

  return sa < sb ? -1 : sa > sb;
}

/* Keeps the newest save_total_limit checkpoints, and the best one. */
static void
rotate_checkpoints (VsTrainer *trainer)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint excess;

  if (trainer->args.save_total_limit <= 0)
    return;
  dir = g_dir_open (trainer->output_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (checkpoint_step (name) >= 0)
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_steps);
  if (names->len <= (guint) trainer->args.save_total_limit)
    return;
  excess = names->len - (guint) trainer->args.save_total_limit;
  for (guint i = 0; i < names->len && excess > 0; i++)
    {
      g_autofree char *path = g_build_filename (trainer->output_dir, names->pdata[i], NULL);

      if (trainer->best_checkpoint != NULL && strcmp (path, trainer->best_checkpoint) == 0)
        continue;
      if (vs_remove_tree (path, NULL))
        excess--;
    }
}

char *
vs_trainer_find_checkpoint (const char *dir)
{
  g_autofree char *state = g_build_filename (dir, "trainer_state.json", NULL);
  g_autoptr(GDir) d = NULL;
  const char *name;
  gint64 best = -1;
  char *found = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_file_test (state, G_FILE_TEST_IS_REGULAR))
    return g_strdup (dir);
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      gint64 step = checkpoint_step (name);
      g_autofree char *path = NULL;
      g_autofree char *st = NULL;

      if (step <= best)
        continue;
      path = g_build_filename (dir, name, NULL);
      st = g_build_filename (path, "trainer_state.json", NULL);
      if (!g_file_test (st, G_FILE_TEST_IS_REGULAR))
        continue;
      best = step;
      g_free (found);
      found = g_steal_pointer (&path);
    }
  return found;
}

/* Creates the output folder and writes the target's model afresh into tmp
 * inside it (or, for a target that saves no model, an empty folder): the
 * start of a checkpoint and of the final output alike. */
static gboolean
write_model_folder (VsTrainer   *trainer,
                    const char  *tmp,
                    GError     **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  const char *failed = NULL;

  if (g_mkdir_with_parents (trainer->output_dir, 0755) != 0)
    failed = trainer->output_dir;
  else if (!vs_remove_tree (tmp, error))
    return FALSE;
  else if (k->save_model != NULL)
    return k->save_model (trainer->target, tmp, error);
  else if (g_mkdir_with_parents (tmp, 0755) != 0)
    failed = tmp;
  if (failed != NULL)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", failed, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_checkpoint (VsTrainer  *trainer,
                 GError    **error)
{
  g_autofree char *name = g_strdup_printf ("checkpoint-%" G_GINT64_FORMAT, trainer->global_step);
  g_autofree char *final = g_build_filename (trainer->output_dir, name, NULL);
  g_autofree char *tmp_name = g_strdup_printf (".%s.tmp", name);
  g_autofree char *tmp = g_build_filename (trainer->output_dir, tmp_name, NULL);
  g_autofree char *opt_path = g_build_filename (tmp, "optimizer.safetensors", NULL);
  g_autofree char *state_path = g_build_filename (tmp, "trainer_state.json", NULL);
  g_autofree char *events_path = g_build_filename (tmp, "events.jsonl", NULL);
  g_autoptr(GPtrArray) names = NULL;
  g_autofree VsTensorFileEntry *entries = NULL;
  cJSON *state;
  cJSON *ev;
  gboolean ok;

  if (!write_model_folder (trainer, tmp, error))
    return FALSE;

  names = tensor_entries (trainer, TRUE);
  entries = fill_entries (trainer, names, TRUE);
  if (!vs_tensor_file_write (opt_path, entries, names->len, error))
    {
      vs_remove_tree (tmp, NULL);
      return FALSE;
    }
  /* A test stops the process here (VS_FAULT=pause-in-checkpoint:N) and
   * kills it: the half-written checkpoint must never be resumed from. */
  vs_fault_point ("in-checkpoint");

  /* The checkpoint's own event goes into its log, so that a run resumed
   * from it replays a log identical to the uninterrupted one. */
  ev = event_new (VS_TRAIN_EVENT_CHECKPOINT);
  cJSON_AddNumberToObject (ev, "step", (double) trainer->global_step);
  cJSON_AddStringToObject (ev, "path", final);
  state = trainer_state_json (trainer);
  ok = write_json_file (state_path, state, error) &&
       write_events (events_path, trainer->events, ev, error);
  cJSON_Delete (state);
  /* Not in trainer->events yet: emit() appends it below. */
  if (!ok)
    {
      cJSON_Delete (ev);
      vs_remove_tree (tmp, NULL);
      return FALSE;
    }
  if (!vs_remove_tree (final, error))
    {
      cJSON_Delete (ev);
      return FALSE;
    }
  if (g_rename (tmp, final) != 0)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s -> %s: %s", tmp, final, g_strerror (err));
      cJSON_Delete (ev);
      return FALSE;
    }
  trainer->last_save_step = trainer->global_step;
  if (trainer->have_best && trainer->best_step == trainer->global_step)
    {
      g_free (trainer->best_checkpoint);
      trainer->best_checkpoint = g_strdup (final);
    }
  emit (trainer, VS_TRAIN_EVENT_CHECKPOINT, ev);
  rotate_checkpoints (trainer);
  /* A test stops the process here (VS_FAULT=pause-checkpoint-saved:N). */
  vs_fault_point ("checkpoint-saved");
  return TRUE;
}

static gboolean
number_of (const cJSON *obj,
           const char  *key,
           double      *out)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (!cJSON_IsNumber (item))
    return FALSE;
  *out = item->valuedouble;
  return TRUE;
}

static gboolean
load_checkpoint (VsTrainer  *trainer,
                 const char *dir,
                 GError    **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  g_autofree char *state_path = g_build_filename (dir, "trainer_state.json", NULL);
  g_autofree char *opt_path = g_build_filename (dir, "optimizer.safetensors", NULL);
  g_autofree char *events_path = g_build_filename (dir, "events.jsonl", NULL);
  g_autofree char *text = NULL;
  g_autofree char *events_text = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autofree VsTensorFileEntry *entries = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) lines = NULL;
  cJSON *st;
  const cJSON *item;
  double v[8];

  if (!g_file_get_contents (state_path, &text, NULL, &local_error) ||
      !g_file_get_contents (events_path, &events_text, NULL, &local_error))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "checkpoint %s: %s", dir, local_error->message);
      return FALSE;
    }
  st = cJSON_Parse (text);
  if (st == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", state_path);
      return FALSE;
    }
  if (!number_of (st, "format_version", &v[0]) || v[0] != STATE_FORMAT_VERSION ||
      !number_of (st, "global_step", &v[1]) || !number_of (st, "epoch", &v[2]) ||
      !number_of (st, "batch_in_epoch", &v[3]) || !number_of (st, "optimizer_step", &v[4]) ||
      v[1] < 0 || v[2] < 0 || v[3] < 0 || v[4] < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: expected format_version %d with global_step, epoch, batch_in_epoch "
                   "and optimizer_step", state_path, STATE_FORMAT_VERSION);
      cJSON_Delete (st);
      return FALSE;
    }
  trainer->global_step = (gint64) v[1];
  trainer->epoch = (guint64) v[2];
  trainer->batch_in_epoch = (gsize) v[3];
  vs_adamw_set_step (trainer->opt, (guint64) v[4]);
  trainer->have_best = cJSON_IsTrue (cJSON_GetObjectItem (st, "have_best"));
  number_of (st, "best_metric", &trainer->best_metric);
  if (number_of (st, "best_step", &v[5]))
    trainer->best_step = (gint64) v[5];
  item = cJSON_GetObjectItem (st, "best_checkpoint");
  g_free (trainer->best_checkpoint);
  trainer->best_checkpoint = cJSON_IsString (item) ? g_strdup (item->valuestring) : NULL;
  if (number_of (st, "bad_evals", &v[6]))
    trainer->bad_evals = (gint) v[6];
  if (number_of (st, "last_eval_step", &v[7]))
    trainer->last_eval_step = (gint64) v[7];
  number_of (st, "window_loss", &trainer->window_loss);
  if (number_of (st, "window_steps", &v[0]))
    trainer->window_steps = (gint64) v[0];
  item = cJSON_GetObjectItem (st, "primary_metric");
  g_free (trainer->primary_metric);
  trainer->primary_metric = cJSON_IsString (item) ? g_strdup (item->valuestring) : NULL;
  item = cJSON_GetObjectItem (st, "last_metrics");
  cJSON_Delete (trainer->last_metrics);
  trainer->last_metrics = cJSON_IsObject (item) ? cJSON_Duplicate (item, TRUE) : NULL;
  item = cJSON_GetObjectItem (st, "log_history");
  if (cJSON_IsArray (item))
    {
      cJSON_Delete (trainer->log);
      trainer->log = cJSON_Duplicate (item, TRUE);
    }
  if (k->set_state != NULL &&
      !k->set_state (trainer->target, cJSON_GetObjectItem (st, "target"), error))
    {
      g_prefix_error (error, "%s: target: ", state_path);
      cJSON_Delete (st);
      return FALSE;
    }
  cJSON_Delete (st);

  names = tensor_entries (trainer, TRUE);
  entries = fill_entries (trainer, names, TRUE);
  if (!vs_tensor_file_read_into (opt_path, entries, names->len, error))
    return FALSE;

  /* Replay the log written before the checkpoint. */
  lines = g_strsplit (events_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      cJSON *ev;
      VsTrainEventKind kind;

      if (lines[i][0] == '\0')
        continue;
      ev = cJSON_Parse (lines[i]);
      if (ev == NULL ||
          !event_kind_from_string (cJSON_GetStringValue (cJSON_GetObjectItem (ev, "event")), &kind))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: line %u: not an event", events_path, i + 1);
          cJSON_Delete (ev);
          return FALSE;
        }
      emit (trainer, kind, ev);
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Evaluation                                                               */

static const cJSON *
find_metric (const cJSON *metrics,
             const char  *key)
{
  const cJSON *m = cJSON_GetObjectItemCaseSensitive (metrics, key);
  g_autofree char *prefixed = NULL;

  if (m == NULL && !g_str_has_prefix (key, "eval_"))
    {
      prefixed = g_strconcat ("eval_", key, NULL);
      m = cJSON_GetObjectItemCaseSensitive (metrics, prefixed);
    }
  return cJSON_IsNumber (m) ? m : NULL;
}

/* Runs the evaluator; *early_stop is set when patience has run out. During
 * training (not the baseline) it tracks the best metric. */
static gboolean
run_eval (VsTrainer  *trainer,
          gboolean    track_best,
          gboolean   *improved,
          GError    **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  g_autofree char *primary = NULL;
  cJSON *metrics;
  cJSON *ev;
  const cJSON *m;
  const char *key;

  *improved = FALSE;
  if (k->evaluate == NULL)
    return TRUE;
  metrics = k->evaluate (trainer->target, &primary, error);
  if (metrics == NULL && error != NULL && *error != NULL &&
      g_error_matches (*error, VS_ERROR, VS_ERROR_CANCELLED))
    {
      /* Ends as a cancel between steps does. */
      g_clear_error (error);
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED,
                   "cancelled at step %" G_GINT64_FORMAT " (during evaluation)", trainer->global_step);
      return FALSE;
    }
  if (metrics == NULL)
    return error == NULL || *error == NULL;
  if (primary != NULL)
    {
      g_free (trainer->primary_metric);
      trainer->primary_metric = g_steal_pointer (&primary);
    }
  trainer->last_eval_step = trainer->global_step;
  log_metrics (trainer, metrics);

  ev = event_new (VS_TRAIN_EVENT_EVAL);
  cJSON_AddNumberToObject (ev, "step", (double) trainer->global_step);
  cJSON_AddNumberToObject (ev, "epoch", current_epoch (trainer));
  cJSON_AddItemToObject (ev, "metrics", cJSON_Duplicate (metrics, TRUE));
  if (trainer->primary_metric != NULL)
    cJSON_AddStringToObject (ev, "primary_metric", trainer->primary_metric);
  emit (trainer, VS_TRAIN_EVENT_EVAL, ev);

  cJSON_Delete (trainer->last_metrics);
  trainer->last_metrics = metrics;

  if (!track_best)
    return TRUE;
  key = trainer->args.metric_for_best_model != NULL ? trainer->args.metric_for_best_model
        : trainer->primary_metric != NULL ? trainer->primary_metric : "eval_loss";
  m = find_metric (metrics, key);
  if (m == NULL)
    {
      if (trainer->args.metric_for_best_model != NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "args.metric_for_best_model: no metric “%s” in the evaluation", key);
          return FALSE;
        }
      return TRUE;
    }
  {
    gboolean greater = trainer->args.greater_is_better >= 0 ? trainer->args.greater_is_better
                                                            : !g_str_has_suffix (key, "loss");

    if (!trainer->have_best ||
        (greater ? m->valuedouble > trainer->best_metric : m->valuedouble < trainer->best_metric))
      {
        trainer->have_best = TRUE;
        trainer->best_metric = m->valuedouble;
        trainer->best_step = trainer->global_step;
        trainer->bad_evals = 0;
        *improved = TRUE;
      }
    else
      trainer->bad_evals++;
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The output folder                                                        */

static cJSON *
strip_eval_prefix (const cJSON *metrics)
{
  cJSON *out = cJSON_CreateObject ();
  const cJSON *m;

  cJSON_ArrayForEach (m, metrics)
    {
      const char *key = m->string;

      if (g_str_has_prefix (key, "eval_") && strcmp (key, "eval_loss") != 0)
        key += 5;
      cJSON_AddItemToObject (out, key, cJSON_Duplicate (m, TRUE));
    }
  return out;
}

static cJSON *
build_record (VsTrainer *trainer)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  cJSON *rec = cJSON_CreateObject ();
  cJSON *versions;

  if (k->describe != NULL)
    k->describe (trainer->target, rec);
  {
    cJSON *nd = vs_train_args_non_default (&trainer->args);
    cJSON *all = vs_train_args_to_json (&trainer->args);

    /* The card speaks sentence-transformers' argument names. */
    vs_train_args_use_st_names (nd);
    vs_train_args_use_st_names (all);
    /* args.prompts (None by default) */
    if (cJSON_GetObjectItem (rec, "prompts") != NULL)
      {
        cJSON_AddItemToObject (nd, "prompts", cJSON_Duplicate (cJSON_GetObjectItem (rec, "prompts"), TRUE));
        cJSON_AddItemToObject (all, "prompts", cJSON_Duplicate (cJSON_GetObjectItem (rec, "prompts"), TRUE));
      }
    cJSON_AddItemToObject (rec, "args_non_default", nd);
    cJSON_AddItemToObject (rec, "args_all", all);
  }
  cJSON_AddItemToObject (rec, "log", cJSON_Duplicate (trainer->log, TRUE));
  if (trainer->last_metrics != NULL)
    cJSON_AddItemToObject (rec, "final_metrics", strip_eval_prefix (trainer->last_metrics));
  if (trainer->primary_metric != NULL)
    {
      const char *p = trainer->primary_metric;

      if (g_str_has_prefix (p, "eval_"))
        p += 5;
      cJSON_AddStringToObject (rec, "primary_metric", p);
    }
  cJSON_AddNumberToObject (rec, "global_step", (double) trainer->global_step);
  if (trainer->best_step >= 0 && trainer->args.load_best_model_at_end)
    cJSON_AddNumberToObject (rec, "best_step", (double) trainer->best_step);
  versions = cJSON_AddObjectToObject (rec, "versions");
  cJSON_AddStringToObject (versions, "vectorsmith", vs_engine_get_version ());
  if (trainer->recipe_json != NULL)
    cJSON_AddItemToObject (rec, "recipe", cJSON_Duplicate (trainer->recipe_json, TRUE));
  return rec;
}

static gboolean
save_output (VsTrainer  *trainer,
             GError    **error)
{
  g_autofree char *tmp = g_build_filename (trainer->output_dir, ".output.tmp", NULL);
  g_autofree char *record_path = g_build_filename (tmp, "vectorsmith_training_record.json", NULL);

  if (!write_model_folder (trainer, tmp, error))
    return FALSE;
  cJSON_Delete (trainer->record);
  trainer->record = build_record (trainer);
  if (!write_json_file (record_path, trainer->record, error))
    return FALSE;
  /* A sentence-transformers folder gets its model card (README.md) with
   * the training section; a card that cannot be written costs the card,
   * not the trained model. */
  {
    g_autofree char *modules = g_build_filename (tmp, "modules.json", NULL);
    g_autoptr(GError) card_error = NULL;

    if (g_file_test (modules, G_FILE_TEST_IS_REGULAR) &&
        !vs_model_card_write (tmp, trainer->record, &card_error))
      g_warning ("%s: model card not written: %s", trainer->output_dir, card_error->message);
  }
  /* The output folder also holds the checkpoints, so the new model's files
   * replace the old ones one rename at a time instead of the folder. */
  return vs_move_folder_contents (tmp, trainer->output_dir, error);
}

static gboolean
load_best_params (VsTrainer  *trainer,
                  GError    **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autofree VsTensorFileEntry *entries = NULL;

  if (trainer->best_checkpoint == NULL || trainer->best_step == trainer->global_step)
    return TRUE;
  path = g_build_filename (trainer->best_checkpoint, "optimizer.safetensors", NULL);
  names = tensor_entries (trainer, FALSE);
  entries = fill_entries (trainer, names, FALSE);
  return vs_tensor_file_read_into (path, entries, names->len, error);
}

/* ---------------------------------------------------------------------- */
/* The loop                                                                 */

static gboolean
prepare (VsTrainer  *trainer,
         GError    **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  const VsTrainArgs *a = &trainer->args;
  VsAdamWConfig config;

  if (a->threads > 0)
    vs_engine_set_threads (a->threads);
  trainer->blocks = k->get_blocks (trainer->target, &trainer->n_blocks);
  trainer->batches_per_epoch = k->get_batches_per_epoch (trainer->target);
  if (trainer->batches_per_epoch == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "the training data gives no batch (too few rows for the batch size?)");
      return FALSE;
    }
  /* transformers: num_update_steps_per_epoch = max(len // accum, 1),
   * max_steps = ceil(epochs * that) unless max_steps > 0. */
  trainer->steps_per_epoch = MAX (1, (gint64) (trainer->batches_per_epoch /
                                               a->gradient_accumulation_steps));
  if (a->max_steps > 0)
    trainer->total_steps = a->max_steps;
  else
    trainer->total_steps = (gint64) ceil (a->epochs * (double) trainer->steps_per_epoch);
  trainer->warmup_steps = a->warmup_steps > 0 ? a->warmup_steps
                          : (gint64) ceil (a->warmup_ratio * (double) trainer->total_steps);

  vs_adamw_config_init (&config);
  config.beta1 = a->adam_beta1;
  config.beta2 = a->adam_beta2;
  config.eps = a->adam_epsilon;
  config.weight_decay = a->weight_decay;
  vs_adamw_free (trainer->opt);
  trainer->opt = vs_adamw_new (trainer->blocks, trainer->n_blocks, &config);
  return TRUE;
}

static void
emit_start (VsTrainer *trainer)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  cJSON *ev = event_new (VS_TRAIN_EVENT_START);
  gsize n_params = 0;

  for (guint b = 0; b < trainer->n_blocks; b++)
    n_params += trainer->blocks[b].n_params;
  cJSON_AddNumberToObject (ev, "total_steps", (double) trainer->total_steps);
  cJSON_AddNumberToObject (ev, "warmup_steps", (double) trainer->warmup_steps);
  cJSON_AddNumberToObject (ev, "steps_per_epoch", (double) trainer->steps_per_epoch);
  cJSON_AddNumberToObject (ev, "batches_per_epoch", (double) trainer->batches_per_epoch);
  cJSON_AddNumberToObject (ev, "examples",
                           k->get_n_examples != NULL ? (double) k->get_n_examples (trainer->target) : 0);
  cJSON_AddNumberToObject (ev, "parameters", (double) n_params);
  cJSON_AddStringToObject (ev, "output_dir", trainer->output_dir);
  emit (trainer, VS_TRAIN_EVENT_START, ev);
}

/* One optimizer step: accumulation over micro-batches, clipping, AdamW.
 * Returns FALSE with error on failure, NaN or cancel. */
static gboolean
train_step (VsTrainer  *trainer,
            GError    **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  const VsTrainArgs *a = &trainer->args;
  gint64 step = trainer->global_step + 1;   /* 1-based, as logged */
  gint64 t0 = g_get_monotonic_time ();
  double loss_sum = 0.0;
  gsize examples = 0;
  guint n_micro;
  guint done = 0;
  double norm;
  double lr;
  double elapsed;
  cJSON *ev;

  k->zero_grad (trainer->target);
  for (;;)
    {
      gsize remaining = trainer->batches_per_epoch > trainer->batch_in_epoch
                        ? trainer->batches_per_epoch - trainer->batch_in_epoch : 0;

      if (remaining > 0)
        {
          n_micro = (guint) MIN ((gsize) a->gradient_accumulation_steps, remaining);
          break;
        }
      trainer->epoch++;
      trainer->batch_in_epoch = 0;
      k->set_epoch (trainer->target, trainer->epoch);
    }

  while (done < n_micro)
    {
      double loss = 0.0;
      gsize n = 0;
      gboolean end = FALSE;

      if (is_cancelled (trainer))
        break;
      if (!k->train_batch (trainer->target, 1.0f / (float) n_micro, &loss, &n, &end, error))
        {
          if (error != NULL && *error != NULL)
            {
              g_prefix_error (error, "step %" G_GINT64_FORMAT ": ", step);
              return FALSE;
            }
          if (!end)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_FAILED, "step %" G_GINT64_FORMAT ": batch failed", step);
              return FALSE;
            }
          /* The sampler produced fewer batches than it announced
           * (NO_DUPLICATES can): close the epoch here. */
          trainer->batch_in_epoch = trainer->batches_per_epoch;
          break;
        }
      trainer->batch_in_epoch++;
      if (trainer->fault == VS_TRAINER_FAULT_NAN_LOSS && trainer->fault_step == step)
        loss = NAN;
      if (!isfinite (loss))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                       "step %" G_GINT64_FORMAT ": the loss is %s; training stopped "
                       "(lower the learning rate or check the data)", step,
                       isnan (loss) ? "NaN" : "infinite");
          return FALSE;
        }
      loss_sum += loss;
      examples += n;
      done++;
    }
  if (is_cancelled (trainer))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED,
                   "cancelled at step %" G_GINT64_FORMAT, trainer->global_step);
      return FALSE;
    }
  if (done == 0)
    return TRUE;   /* an empty tail of an epoch: the next call starts a new one */

  norm = vs_clip_grad_norm (trainer->blocks, trainer->n_blocks, a->max_grad_norm);
  if (!isfinite (norm))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                   "step %" G_GINT64_FORMAT ": the gradient norm is %s; training stopped "
                   "(lower the learning rate or check the data)", step, isnan (norm) ? "NaN" : "infinite");
      return FALSE;
    }
  lr = a->learning_rate * vs_schedule_multiplier (a->scheduler, trainer->global_step,
                                                  trainer->warmup_steps, trainer->total_steps);
  vs_adamw_step (trainer->opt, trainer->blocks, trainer->n_blocks, lr);
  trainer->global_step = step;

  elapsed = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  ev = event_new (VS_TRAIN_EVENT_STEP);
  cJSON_AddNumberToObject (ev, "step", (double) step);
  cJSON_AddNumberToObject (ev, "epoch", current_epoch (trainer));
  /* transformers logs the mean of the micro-batch losses (each / accum). */
  cJSON_AddNumberToObject (ev, "loss", loss_sum / (double) done);
  cJSON_AddNumberToObject (ev, "lr", lr);
  cJSON_AddNumberToObject (ev, "grad_norm", norm);
  cJSON_AddNumberToObject (ev, "examples_per_s", elapsed > 0 ? (double) examples / elapsed : 0.0);
  emit (trainer, VS_TRAIN_EVENT_STEP, ev);

  trainer->window_loss += loss_sum / (double) done;
  trainer->window_steps++;
  if (step % a->logging_steps == 0)
    log_training_loss (trainer);
  return TRUE;
}

static gboolean
run_loop (VsTrainer  *trainer,
          GError    **error)
{
  const VsTrainTargetClass *k = trainer->target->klass;
  const VsTrainArgs *a = &trainer->args;
  gboolean improved;
  cJSON *ev;

  if (!prepare (trainer, error))
    return FALSE;
  /* The live log starts afresh for a resumed run too: it replays the
   * events before its checkpoint first, so the file always holds the log
   * of the uninterrupted run up to now. */
  if (trainer->live_log == NULL)
    {
      trainer->live_log = vs_train_log_create (trainer->output_dir, error);
      if (trainer->live_log == NULL)
        return FALSE;
    }

  if (trainer->resume_from != NULL)
    {
      if (!load_checkpoint (trainer, trainer->resume_from, error))
        return FALSE;
    }
  else
    {
      k->set_epoch (trainer->target, 0);
      emit_start (trainer);
      /* The baseline: the model before any step. */
      if (!run_eval (trainer, FALSE, &improved, error))
        return FALSE;
    }

  while (trainer->global_step < trainer->total_steps)
    {
      gboolean saved = FALSE;
      gboolean early_stop = FALSE;

      wait_while_paused (trainer);
      if (is_cancelled (trainer))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED,
                       "cancelled at step %" G_GINT64_FORMAT, trainer->global_step);
          return FALSE;
        }
      if (g_atomic_int_get (&trainer->stop) != 0)
        {
          if (trainer->global_step > 0 && trainer->last_save_step != trainer->global_step &&
              !save_checkpoint (trainer, error))
            return FALSE;
          g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED,
                       "stopped at step %" G_GINT64_FORMAT "; resume from checkpoint-%" G_GINT64_FORMAT,
                       trainer->global_step, trainer->global_step);
          return FALSE;
        }
      if (!train_step (trainer, error))
        return FALSE;

      if (a->eval_steps > 0 && trainer->global_step % a->eval_steps == 0)
        {
          if (!run_eval (trainer, TRUE, &improved, error))
            return FALSE;
          if (improved && a->load_best_model_at_end)
            {
              if (!save_checkpoint (trainer, error))
                return FALSE;
              saved = TRUE;
            }
          if (a->early_stopping_patience > 0 && trainer->bad_evals >= a->early_stopping_patience)
            early_stop = TRUE;
        }
      if (!saved && a->save_steps > 0 && trainer->global_step % a->save_steps == 0 &&
          !save_checkpoint (trainer, error))
        return FALSE;
      if (early_stop)
        break;
    }

  if (a->load_best_model_at_end && !load_best_params (trainer, error))
    return FALSE;
  /* Final metrics of the model that is saved. */
  if (trainer->last_eval_step != trainer->global_step ||
      (a->load_best_model_at_end && trainer->best_step != trainer->global_step))
    {
      if (!run_eval (trainer, FALSE, &improved, error))
        return FALSE;
    }
  if (trainer->window_steps > 0)
    log_training_loss (trainer);
  if (!save_output (trainer, error))
    return FALSE;

  ev = event_new (VS_TRAIN_EVENT_DONE);
  cJSON_AddNumberToObject (ev, "step", (double) trainer->global_step);
  cJSON_AddStringToObject (ev, "output_dir", trainer->output_dir);
  cJSON_AddItemToObject (ev, "metrics", trainer->last_metrics != NULL
                                        ? cJSON_Duplicate (trainer->last_metrics, TRUE)
                                        : cJSON_CreateObject ());
  if (trainer->primary_metric != NULL)
    cJSON_AddStringToObject (ev, "primary_metric", trainer->primary_metric);
  emit (trainer, VS_TRAIN_EVENT_DONE, ev);
  return TRUE;
}

static void
close_live_log (VsTrainer *trainer)
{
  if (trainer->live_log != NULL)
    fclose (trainer->live_log);
  trainer->live_log = NULL;
  trainer->live_log_failed = FALSE;
}

gboolean
vs_trainer_run (VsTrainer  *trainer,
                GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (trainer != NULL, FALSE);

  if (run_loop (trainer, &local_error))
    {
      close_live_log (trainer);
      return TRUE;
    }
  if (local_error == NULL)
    g_set_error (&local_error, VS_ERROR, VS_ERROR_FAILED, "training failed");
  emit_error (trainer, local_error);
  close_live_log (trainer);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gpointer
worker (gpointer data)
{
  VsTrainer *trainer = data;

  trainer->thread_result = vs_trainer_run (trainer, &trainer->thread_error);
  return NULL;
}

gboolean
vs_trainer_start (VsTrainer  *trainer,
                  GError    **error)
{
  g_return_val_if_fail (trainer != NULL, FALSE);

  if (trainer->thread != NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the trainer is already running");
      return FALSE;
    }
  trainer->thread = g_thread_try_new ("vs-trainer", worker, trainer, error);
  return trainer->thread != NULL;
}

gboolean
vs_trainer_join (VsTrainer  *trainer,
                 GError    **error)
{
  g_return_val_if_fail (trainer != NULL, FALSE);

  if (trainer->thread == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the trainer was not started");
      return FALSE;
    }
  g_thread_join (trainer->thread);
  trainer->thread = NULL;
  if (!trainer->thread_result)
    {
      if (error != NULL)
        *error = g_error_copy (trainer->thread_error);
      return FALSE;
    }
  return TRUE;
}
