/* vs-training-record.c: baseline and final metrics of a run (vs-training-record.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "train/vs-training-record.h"
#include "vs-error.h"

struct _VsTrainingRecord
{
  cJSON  *json;
  GArray *metrics;   /* VsRecordMetric, names borrowed from json */
  char   *primary;
};

/* The log's name of a final_metrics key: the trainer logs eval_loss as
 * validation_loss (the model card's column). */
static const char *
log_name (const char *key)
{
  if (strcmp (key, "eval_loss") == 0)
    return "validation_loss";
  if (g_str_has_prefix (key, "eval_"))
    return key + 5;
  return key;
}

static double
baseline_of (const cJSON *log,
             const char  *key)
{
  const cJSON *row;

  cJSON_ArrayForEach (row, log)
    {
      const cJSON *step = cJSON_GetObjectItemCaseSensitive (row, "step");
      const cJSON *v;

      if (!cJSON_IsNumber (step) || step->valuedouble != 0.0)
        continue;
      v = cJSON_GetObjectItemCaseSensitive (row, log_name (key));
      if (cJSON_IsNumber (v))
        return v->valuedouble;
    }
  return NAN;
}

VsTrainingRecord *
vs_training_record_new (const cJSON *record,
                        const char  *name,
                        GError     **error)
{
  g_autoptr(VsTrainingRecord) self = NULL;
  const cJSON *finals, *log, *m, *primary;

  g_return_val_if_fail (record != NULL, NULL);
  if (name == NULL)
    name = "training record";

  if (!cJSON_IsObject (record))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected a JSON object", name);
      return NULL;
    }
  finals = cJSON_GetObjectItemCaseSensitive (record, "final_metrics");
  if (!cJSON_IsObject (finals))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: final_metrics: missing (the run evaluated nothing)", name);
      return NULL;
    }
  log = cJSON_GetObjectItemCaseSensitive (record, "log");
  if (log != NULL && !cJSON_IsArray (log))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: log: expected an array", name);
      return NULL;
    }

  self = g_new0 (VsTrainingRecord, 1);
  self->json = cJSON_Duplicate (record, TRUE);
  self->metrics = g_array_new (FALSE, FALSE, sizeof (VsRecordMetric));
  finals = cJSON_GetObjectItemCaseSensitive (self->json, "final_metrics");
  log = cJSON_GetObjectItemCaseSensitive (self->json, "log");
  cJSON_ArrayForEach (m, finals)
    {
      VsRecordMetric rm;

      if (!cJSON_IsNumber (m) && !cJSON_IsNull (m))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: final_metrics.%s: expected a number", name, m->string);
          return NULL;
        }
      rm.name = m->string;
      rm.final = cJSON_IsNumber (m) ? m->valuedouble : NAN;
      rm.baseline = baseline_of (log, m->string);
      rm.greater_is_better = !g_str_has_suffix (m->string, "loss");
      g_array_append_val (self->metrics, rm);
    }
  primary = cJSON_GetObjectItemCaseSensitive (self->json, "primary_metric");
  if (cJSON_IsString (primary))
    self->primary = g_strdup (primary->valuestring);
  return g_steal_pointer (&self);
}

VsTrainingRecord *
vs_training_record_load (const char  *path,
                         GError     **error)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  cJSON *json;
  VsTrainingRecord *self;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_build_filename (path, VS_TRAINING_RECORD_FILE, NULL)
                                                 : g_strdup (path);
  if (!g_file_get_contents (file, &text, &len, &local))
    {
      g_set_error (error, VS_ERROR, g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                                    ? VS_ERROR_NOT_FOUND : VS_ERROR_IO,
                   "%s: %s", file, local->message);
      return NULL;
    }
  json = cJSON_ParseWithLength (text, len);
  if (json == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", file);
      return NULL;
    }
  self = vs_training_record_new (json, file, error);
  cJSON_Delete (json);
  return self;
}

void
vs_training_record_free (VsTrainingRecord *self)
{
  if (self == NULL)
    return;
  if (self->metrics != NULL)
    g_array_unref (self->metrics);
  cJSON_Delete (self->json);
  g_free (self->primary);
  g_free (self);
}

guint
vs_training_record_get_n_metrics (VsTrainingRecord *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->metrics->len;
}

const VsRecordMetric *
vs_training_record_get_metric (VsTrainingRecord *self,
                               guint             i)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (i >= self->metrics->len)
    return NULL;
  return &g_array_index (self->metrics, VsRecordMetric, i);
}

const VsRecordMetric *
vs_training_record_find_metric (VsTrainingRecord *self,
                                const char       *name)
{
  g_return_val_if_fail (self != NULL && name != NULL, NULL);
  for (guint i = 0; i < self->metrics->len; i++)
    if (strcmp (g_array_index (self->metrics, VsRecordMetric, i).name, name) == 0)
      return &g_array_index (self->metrics, VsRecordMetric, i);
  return NULL;
}

const char *
vs_training_record_get_primary (VsTrainingRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->primary;
}

gint64
vs_training_record_get_global_step (VsTrainingRecord *self)
{
  const cJSON *s;

  g_return_val_if_fail (self != NULL, -1);
  s = cJSON_GetObjectItemCaseSensitive (self->json, "global_step");
  return cJSON_IsNumber (s) ? (gint64) s->valuedouble : -1;
}

const cJSON *
vs_training_record_get_json (VsTrainingRecord *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->json;
}
