/* vs-train-page.h: the Train page of the workbench.
 *
 * The project's "args" as a form (the basics in view, the rest under
 * Advanced; each row names sentence-transformers' default; what the
 * engine refuses is listed with its reason), and the run itself: Start,
 * Pause, Resume, Stop and Save, Cancel (the actions "train.start",
 * "train.pause", "train.resume", "train.stop", "train.cancel" and
 * "train.resume-from" with a checkpoint folder), a progress bar with steps,
 * epochs and the time left, examples/s, the run's CPU and memory, live
 * curves (VsChart) and the run's log.
 *
 * The trainer is built on a worker (vs_trainer_new_from_recipe loads the
 * model and the data) and trains on its own thread; its events come back
 * to the main context through one idle that drains them all, so the main
 * loop never waits on the engine. Every run writes OUTPUT_DIR/events.jsonl:
 * a project whose output folder has one shows that run again (charts,
 * checkpoints) and offers Resume from its last checkpoint.
 *
 * While a run goes on, suspend and logout are inhibited; when it ends or
 * fails while the window is not focused, a notification says so. The
 * window asks before closing while :running is TRUE.
 */
#pragma once

#include <adwaita.h>

#include "train/vs-trainer.h"
#include "vs-project.h"

G_BEGIN_DECLS

typedef enum
{
  VS_TRAIN_PHASE_IDLE,        /* no run (maybe one shown from its log) */
  VS_TRAIN_PHASE_LOADING,     /* the model and data load on a worker */
  VS_TRAIN_PHASE_RUNNING,
  VS_TRAIN_PHASE_PAUSING,     /* asked to pause; the current step ends */
  VS_TRAIN_PHASE_PAUSED,      /* the loop holds between steps */
  VS_TRAIN_PHASE_STOPPING,    /* saving a checkpoint, then ending */
  VS_TRAIN_PHASE_CANCELLING,
  VS_TRAIN_PHASE_FINISHING,   /* the run ended; its thread is joined */
} VsTrainPhase;

#define VS_TYPE_TRAIN_PAGE (vs_train_page_get_type ())
G_DECLARE_FINAL_TYPE (VsTrainPage, vs_train_page, VS, TRAIN_PAGE, AdwBin)

VsProject   *vs_train_page_get_project  (VsTrainPage *self);
void         vs_train_page_set_project  (VsTrainPage *self,
                                         VsProject   *project);

/* TRUE from Start until the run's thread has ended (notify::running). */
gboolean     vs_train_page_get_running  (VsTrainPage *self);
VsTrainPhase vs_train_page_get_phase    (VsTrainPage *self);
/* What train.stop does: end after this step with a checkpoint. */
void         vs_train_page_stop         (VsTrainPage *self);

/* For tests. */
/* The last step the page showed (from the run or its log); 0 before. */
gint64       vs_train_page_get_step     (VsTrainPage *self);
/* The newest checkpoint of the output folder, or NULL. */
const char  *vs_train_page_get_last_checkpoint (VsTrainPage *self);
/* The number of checkpoints listed. */
guint        vs_train_page_get_n_checkpoints   (VsTrainPage *self);
/* The list of checkpoints (one row each, with its Resume button). */
GtkWidget   *vs_train_page_get_checkpoints_list (VsTrainPage *self);
/* "loss", "lr", "grad_norm" or "metrics": the VsChart (as a GtkWidget). */
GtkWidget   *vs_train_page_get_chart    (VsTrainPage *self,
                                         const char  *name);
GtkLabel    *vs_train_page_get_state_label    (VsTrainPage *self);
GtkLabel    *vs_train_page_get_progress_label (VsTrainPage *self);
GtkLabel    *vs_train_page_get_stats_label    (VsTrainPage *self);
GtkLabel    *vs_train_page_get_error_label    (VsTrainPage *self);
gboolean     vs_train_page_get_error_shown    (VsTrainPage *self);
GtkLabel    *vs_train_page_get_problems_label (VsTrainPage *self);
/* The editor of args.KEY (GtkEntry, GtkSwitch or the AdwComboRow). */
GtkWidget   *vs_train_page_get_arg_editor     (VsTrainPage *self,
                                               const char  *key);
/* The button of "start", "pause", "resume", "stop", "cancel" or "export"
 * (its sensitivity follows its action's). */
GtkWidget   *vs_train_page_get_button         (VsTrainPage *self,
                                               const char  *name);
/* What Export Training Script… writes after its save dialog: the
 * project's recipe as a sentence-transformers script at path
 * (vs_recipe_export_script). FALSE with the engine's error (or the
 * recipe's first problem). */
gboolean     vs_train_page_export_script (VsTrainPage  *self,
                                          const char   *path,
                                          GError      **error);
/* Fault injection for the next run (vs_trainer_set_fault). */
void         vs_train_page_set_fault    (VsTrainPage    *self,
                                         VsTrainerFault  fault,
                                         gint64          step);
/* Scrolls the page so widget is in view. */
void         vs_train_page_scroll_to    (VsTrainPage *self,
                                         GtkWidget   *widget);

G_END_DECLS
