/* vs-train-log.h: a run's events on disk, and the checkpoints it left.
 *
 * Every run writes its events live to OUTPUT_DIR/events.jsonl: one JSON
 * object per line (the objects of vs-trainer.h's event callback), flushed
 * after each event, so a window reopened after a restart (or a crash) can
 * redraw the run. The file is replaced (atomically: created under another
 * name and renamed into place) when a run starts; a resumed run replays the
 * events logged before its checkpoint first, so the file always equals the
 * log of the uninterrupted run up to its last event.
 *
 *   g_autoptr(GError) error = NULL;
 *   g_autofree char *path = g_build_filename (output_dir, VS_TRAIN_LOG_NAME, NULL);
 *   cJSON *events = vs_train_log_read (path, &error);     // array of objects
 *   GPtrArray *ckpts = vs_trainer_list_checkpoints (output_dir, &error);
 *   for (guint i = 0; i < ckpts->len; i++)
 *     {
 *       VsCheckpointInfo *c = ckpts->pdata[i];            // sorted by step
 *       printf ("%s: step %ld, %s = %g\n", c->path, c->step, c->metric_name, c->metric);
 *     }
 */
#pragma once

#include <stdio.h>

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

#define VS_TRAIN_LOG_NAME "events.jsonl"

/* Creates output_dir (with parents) and an empty OUTPUT_DIR/events.jsonl in
 * place of any older one (renamed into place), open for writing. NULL with
 * an error naming the file on failure. */
FILE      *vs_train_log_create         (const char  *output_dir,
                                        GError     **error);

/* Reads an events.jsonl: a new cJSON array of the event objects in order.
 * A last line cut short (no newline, not JSON: the run was killed while
 * writing it) is left out. NULL with an error naming the file (and the
 * line) when it cannot be read or a line is not an event object. */
cJSON     *vs_train_log_read           (const char  *path,
                                        GError     **error);

typedef struct
{
  char    *path;          /* OUTPUT_DIR/checkpoint-N */
  gint64   step;          /* the optimizer steps done */
  double   epoch;         /* epochs done (fractional), from its log */
  char    *metric_name;   /* the primary metric of its last evaluation, or NULL */
  double   metric;        /* its value (NaN when there is none) */
  gint64   metric_step;   /* the step of that evaluation (-1: none) */
} VsCheckpointInfo;

void       vs_checkpoint_info_free     (VsCheckpointInfo *info);

/* The checkpoints in output_dir (folders checkpoint-N holding
 * trainer_state.json), sorted by step; an empty array when the folder does
 * not exist or holds none. NULL with an error naming the file when a
 * checkpoint's trainer_state.json is not what the trainer writes. The array
 * frees its elements. */
GPtrArray *vs_trainer_list_checkpoints (const char  *output_dir,
                                        GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsCheckpointInfo, vs_checkpoint_info_free)

G_END_DECLS
