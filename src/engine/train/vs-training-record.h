/* vs-training-record.h: reading back what a finished run measured.
 *
 * A run's output folder holds vectorsmith_training_record.json (written by
 * the trainer, see vs-trainer.h / vs-model-card.h): "log" is the table of
 * logged rows, the row of step 0 carrying the evaluation of the untrained
 * model (the baseline: "validation_loss" and the evaluator's metrics
 * without their "eval_" prefix), and "final_metrics" the last evaluation
 * ("eval_loss" and the same metric names). This reader pairs them, so a
 * before/after table (the Try page, a report) needs no knowledge of the
 * file's layout:
 *
 *   g_autoptr(VsTrainingRecord) rec = vs_training_record_load (output_dir, &error);
 *   for (guint i = 0; i < vs_training_record_get_n_metrics (rec); i++)
 *     {
 *       const VsRecordMetric *m = vs_training_record_get_metric (rec, i);
 *       printf ("%s: %g -> %g\n", m->name, m->baseline, m->final);
 *     }
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;               /* as in final_metrics: "eval_loss", "sts-dev_spearman_cosine" */
  double      baseline;           /* at step 0; NaN when the log has none */
  double      final;              /* NaN when final_metrics holds null */
  gboolean    greater_is_better;  /* FALSE for losses */
} VsRecordMetric;

typedef struct _VsTrainingRecord VsTrainingRecord;

/* The file name inside an output folder. */
#define VS_TRAINING_RECORD_FILE "vectorsmith_training_record.json"

/* path: an output folder (holding VS_TRAINING_RECORD_FILE) or the file
 * itself. NULL + error naming the file and field when it is missing,
 * unreadable, not JSON or lacks "final_metrics". */
VsTrainingRecord *vs_training_record_load   (const char  *path,
                                             GError     **error);
/* The same from a parsed object (copied); name prefixes messages. */
VsTrainingRecord *vs_training_record_new    (const cJSON *record,
                                             const char  *name,
                                             GError     **error);
void              vs_training_record_free   (VsTrainingRecord *record);

/* Every metric of final_metrics, in the file's order (eval_loss first
 * when present). */
guint                 vs_training_record_get_n_metrics (VsTrainingRecord *record);
const VsRecordMetric *vs_training_record_get_metric    (VsTrainingRecord *record,
                                                        guint             i);
/* The metric of that name, or NULL. */
const VsRecordMetric *vs_training_record_find_metric   (VsTrainingRecord *record,
                                                        const char       *name);
/* "primary_metric" (without the eval_ prefix), or NULL. */
const char           *vs_training_record_get_primary   (VsTrainingRecord *record);
/* "global_step", or -1. */
gint64                vs_training_record_get_global_step (VsTrainingRecord *record);
/* The whole object (borrowed). */
const cJSON          *vs_training_record_get_json      (VsTrainingRecord *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsTrainingRecord, vs_training_record_free)

G_END_DECLS
