/* vs-trainer.h: a recipe in, a trained model out, on a worker thread.
 *
 * A VsTrainer runs the optimisation loop: batches from the samplers, one
 * forward of every column, the loss, one backward, AdamW with the schedule,
 * clipping and accumulation; evaluation before training and every
 * eval_steps; checkpoints every save_steps; the output folder at the end.
 * It reports through one callback of events, each a JSON object:
 *
 *   {"event": "start", "total_steps", "warmup_steps", "steps_per_epoch", "examples"}
 *   {"event": "step", "step", "epoch", "loss", "lr", "grad_norm", "examples_per_s"}
 *   {"event": "eval", "step", "epoch", "metrics": {…}, "primary_metric"}
 *   {"event": "checkpoint", "step", "path"}
 *   {"event": "done", "step", "output_dir", "metrics": {…}, "primary_metric"}
 *   {"event": "error", "step", "message"[, "cancelled": true]}
 *
 * The callback runs on the worker thread (a GUI marshals it to its main
 * context). Pause, resume, stop and cancel may be called from any thread and
 * act between steps (cancel also between the micro-batches of a step and
 * between the batches of an evaluation). A NaN
 * or infinite loss or gradient ends the run with an error event naming the
 * step; the last checkpoint on disk stays as it was.
 *
 * A checkpoint folder (output_dir/checkpoint-N) is a loadable model folder
 * plus trainer_state.json (step, epoch, schedule, best metric, sampler
 * positions, RNG states, the log), optimizer.safetensors (the exact
 * parameters and both Adam moments of every block) and events.jsonl. It is
 * written into a temporary folder and renamed into place. A run resumed from
 * it continues the uninterrupted trajectory exactly; the events logged
 * before the checkpoint are emitted again first, so a resumed run's event
 * log equals an uninterrupted run's.
 *
 * The loop is independent of what it trains: a VsTrainTarget (below) says
 * how to run a batch, evaluate, save and restore. vs_trainer_new_from_recipe()
 * builds the target of a recipe (model, datasets, losses, evaluator).
 *
 *   g_autoptr(VsRecipe) recipe = vs_recipe_load ("recipe.json", &error);
 *   g_autoptr(VsTrainer) trainer = vs_trainer_new_from_recipe (recipe, &error);
 *   vs_trainer_set_event_func (trainer, on_event, user_data, NULL);
 *   vs_trainer_start (trainer, NULL);          // worker thread
 *   …
 *   vs_trainer_cancel (trainer);               // from any thread
 *   gboolean ok = vs_trainer_join (trainer, &error);
 *
 * or vs_trainer_run (trainer, &error) to train on the calling thread.
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "train/vs-optim.h"
#include "train/vs-recipe.h"

G_BEGIN_DECLS

typedef enum
{
  VS_TRAIN_EVENT_START,
  VS_TRAIN_EVENT_STEP,
  VS_TRAIN_EVENT_EVAL,
  VS_TRAIN_EVENT_CHECKPOINT,
  VS_TRAIN_EVENT_DONE,
  VS_TRAIN_EVENT_ERROR,
} VsTrainEventKind;

typedef struct
{
  VsTrainEventKind  kind;
  const cJSON      *data;   /* the event object (borrowed for the call) */
} VsTrainEvent;

typedef void (*VsTrainEventFunc) (const VsTrainEvent *event,
                                  gpointer            user_data);

/* ---------------------------------------------------------------------- */
/* What the loop trains                                                     */

typedef struct _VsTrainTarget VsTrainTarget;

typedef struct
{
  /* The parameter blocks the optimizer updates; the array and the blocks'
   * arrays stay valid for the target's life. */
  const VsParamBlock *(*get_blocks)   (VsTrainTarget *self,
                                       guint         *n_blocks);
  /* Batches in one epoch, over all datasets. */
  gsize     (*get_batches_per_epoch)  (VsTrainTarget *self);
  /* Examples (rows) in one epoch, for the start event. */
  gsize     (*get_n_examples)         (VsTrainTarget *self);
  /* Rewinds to the first batch of epoch `epoch`. */
  void      (*set_epoch)              (VsTrainTarget *self,
                                       guint64        epoch);
  /* Sets every gradient of every block to 0. */
  void      (*zero_grad)              (VsTrainTarget *self);
  /* Runs the next batch of the epoch and adds grad_scale * d loss / d params
   * into the blocks' gradients; *loss gets the batch's loss. Returns FALSE
   * with *end_of_epoch set and no error when the epoch has no batch left;
   * FALSE with error on failure. */
  gboolean  (*train_batch)            (VsTrainTarget *self,
                                       float          grad_scale,
                                       double        *loss,
                                       gsize         *n_examples,
                                       gboolean      *end_of_epoch,
                                       GError       **error);
  /* Evaluates on held-out data: a new object of metrics (eval_loss, the
   * evaluator's metrics prefixed "eval_"), *primary (transfer full) the key
   * of the main one; NULL with no error when there is nothing to evaluate. */
  cJSON    *(*evaluate)               (VsTrainTarget *self,
                                       char         **primary,
                                       GError       **error);
  /* Everything but the parameters needed to resume (sampler positions, RNG
   * states), as a new JSON object, and its restore. */
  cJSON    *(*get_state)              (VsTrainTarget *self);
  gboolean  (*set_state)              (VsTrainTarget *self,
                                       const cJSON   *state,
                                       GError       **error);
  /* Writes a loadable model folder at dir (replacing it). */
  gboolean  (*save_model)             (VsTrainTarget *self,
                                       const char    *dir,
                                       GError       **error);
  /* Adds the training record's description of the data and loss
   * ("datasets", "loss", "base_model", …) to record. May be NULL. */
  void      (*describe)               (VsTrainTarget *self,
                                       cJSON         *record);
  void      (*free)                   (VsTrainTarget *self);
} VsTrainTargetClass;

struct _VsTrainTarget
{
  const VsTrainTargetClass *klass;
  /* Set by vs_trainer_new(): the trainer's cancel flag (atomic; non-zero
   * once vs_trainer_cancel() was called). evaluate() may check it between
   * its batches and fail with VS_ERROR_CANCELLED. */
  const gint               *cancel;
  /* Test hook (vs_trainer_set_eval_batch_hook): called on the worker
   * thread before each evaluation batch, or NULL. */
  void                    (*eval_batch_hook) (const char *where,
                                               gpointer    data);
  gpointer                  eval_batch_hook_data;
};

/* ---------------------------------------------------------------------- */
/* The trainer                                                              */

typedef struct _VsTrainer VsTrainer;

/* Fault injection for tests: the loss of that 1-based step reads as NaN. */
typedef enum
{
  VS_TRAINER_FAULT_NONE,
  VS_TRAINER_FAULT_NAN_LOSS,
} VsTrainerFault;

/* A trainer over target (owned from now on) with args (copied) and the
 * output folder. Never fails; problems show when it runs. */
VsTrainer   *vs_trainer_new              (VsTrainTarget     *target,
                                          const VsTrainArgs *args,
                                          const char        *output_dir);

/* Loads the recipe's model, datasets, losses and evaluator and checks them
 * against each other, listing every problem; NULL + error then. */
VsTrainer   *vs_trainer_new_from_recipe  (const VsRecipe *recipe,
                                          GError        **error);

void         vs_trainer_free             (VsTrainer *trainer);

/* The callback that receives every event (on the training thread). */
void         vs_trainer_set_event_func   (VsTrainer        *trainer,
                                          VsTrainEventFunc  func,
                                          gpointer          user_data,
                                          GDestroyNotify    destroy);

/* Continue from a checkpoint folder instead of from scratch; checked when
 * the run starts. */
void         vs_trainer_set_resume_from  (VsTrainer  *trainer,
                                          const char *checkpoint_dir);

/* The recipe (JSON, copied) to keep in checkpoints and the training record. */
void         vs_trainer_set_recipe_json  (VsTrainer   *trainer,
                                          const cJSON *recipe);

void         vs_trainer_set_fault        (VsTrainer      *trainer,
                                          VsTrainerFault  fault,
                                          gint64          step);

/* Tests: func(where, data) runs on the training thread before each
 * evaluation batch, just before the cancel flag is checked; where is
 * "eval_loss" (a batch of the eval loss) or "evaluator" (a pass of the
 * evaluator's encode callback). */
void         vs_trainer_set_eval_batch_hook (VsTrainer  *trainer,
                                             void      (*func) (const char *where,
                                                                gpointer    data),
                                             gpointer    data);

/* Trains on the calling thread until done; FALSE + error on failure or
 * cancel (VS_ERROR_CANCELLED), after the error event. */
gboolean     vs_trainer_run              (VsTrainer  *trainer,
                                          GError    **error);

/* Starts vs_trainer_run() on a worker thread; FALSE if already started. */
gboolean     vs_trainer_start            (VsTrainer  *trainer,
                                          GError    **error);

/* Waits for the worker; its result as vs_trainer_run() gives it. */
gboolean     vs_trainer_join             (VsTrainer  *trainer,
                                          GError    **error);

/* Steering, from any thread. pause holds the loop before the next step;
 * stop ends it after the current step with a checkpoint to resume from;
 * cancel ends it as soon as possible, writing nothing. */
void         vs_trainer_pause            (VsTrainer *trainer);
void         vs_trainer_resume           (VsTrainer *trainer);
void         vs_trainer_stop             (VsTrainer *trainer);
void         vs_trainer_cancel           (VsTrainer *trainer);
gboolean     vs_trainer_is_paused        (VsTrainer *trainer);
/* TRUE once a pause has taken hold: the loop waits between steps (the
 * step that was running when pause was called has ended and was reported). */
gboolean     vs_trainer_is_holding       (VsTrainer *trainer);

/* The optimizer steps the run will take (valid once it started). */
gint64       vs_trainer_get_total_steps  (VsTrainer *trainer);

/* The training record written to the output folder
 * (vectorsmith_training_record.json); NULL before the run ends. Borrowed. */
const cJSON *vs_trainer_get_record       (VsTrainer *trainer);

const char  *vs_train_event_kind_to_string (VsTrainEventKind kind);

/* The checkpoint to resume from: dir itself when it is a checkpoint (holds
 * trainer_state.json), else the highest-numbered checkpoint-N inside it (an
 * output folder). NULL when there is none; free with g_free(). */
char        *vs_trainer_find_checkpoint  (const char *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsTrainer, vs_trainer_free)

G_END_DECLS
