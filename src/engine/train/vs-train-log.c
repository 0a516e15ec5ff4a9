/* vs-train-log.c: events.jsonl written live and read back; the checkpoints
 * of an output folder (see vs-train-log.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "train/vs-train-log.h"

FILE *
vs_train_log_create (const char  *output_dir,
                     GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *tmp = NULL;
  FILE *f;

  g_return_val_if_fail (output_dir != NULL, NULL);

  path = g_build_filename (output_dir, VS_TRAIN_LOG_NAME, NULL);
  tmp = g_build_filename (output_dir, "." VS_TRAIN_LOG_NAME ".tmp", NULL);
  if (g_mkdir_with_parents (output_dir, 0755) != 0)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", output_dir, g_strerror (err));
      return NULL;
    }
  f = g_fopen (tmp, "w");
  if (f == NULL)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", tmp, g_strerror (err));
      return NULL;
    }
  /* The open stream keeps writing to the file under its new name. */
  if (g_rename (tmp, path) != 0)
    {
      int err = errno;

      fclose (f);
      g_unlink (tmp);
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (err));
      return NULL;
    }
  return f;
}

cJSON *
vs_train_log_read (const char  *path,
                   GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length = 0;
  cJSON *events;
  guint n;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      g_set_error (error, VS_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? VS_ERROR_NOT_FOUND : VS_ERROR_IO,
                   "%s", local_error->message);
      return NULL;
    }
  events = cJSON_CreateArray ();
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = 0; i < n; i++)
    {
      const cJSON *kind;
      cJSON *ev;

      if (lines[i][0] == '\0')
        continue;
      ev = cJSON_Parse (lines[i]);
      kind = ev != NULL ? cJSON_GetObjectItemCaseSensitive (ev, "event") : NULL;
      if (ev == NULL || !cJSON_IsObject (ev) || !cJSON_IsString (kind))
        {
          cJSON_Delete (ev);
          /* The last line without its newline: cut short by a kill. */
          if (i == n - 1 && length > 0 && text[length - 1] != '\n')
            break;
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: line %u: not an event object", path, i + 1);
          cJSON_Delete (events);
          return NULL;
        }
      cJSON_AddItemToArray (events, ev);
    }
  return events;
}

void
vs_checkpoint_info_free (VsCheckpointInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->metric_name);
  g_free (info);
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
  if (!g_ascii_isdigit (*digits))
    return -1;
  step = g_ascii_strtoll (digits, &end, 10);
  return *end == '\0' ? step : -1;
}

static gint
compare_infos (gconstpointer a,
               gconstpointer b)
{
  const VsCheckpointInfo *ia = *(VsCheckpointInfo *const *) a;
  const VsCheckpointInfo *ib = *(VsCheckpointInfo *const *) b;

  return ia->step < ib->step ? -1 : ia->step > ib->step;
}

/* The epoch of the last step event and the last evaluation of a
 * checkpoint's events.jsonl (a checkpoint without one keeps the state's). */
static void
read_checkpoint_events (VsCheckpointInfo *info)
{
  g_autofree char *path = g_build_filename (info->path, VS_TRAIN_LOG_NAME, NULL);
  cJSON *events = vs_train_log_read (path, NULL);
  const cJSON *ev;

  if (events == NULL)
    return;
  cJSON_ArrayForEach (ev, events)
    {
      const char *kind = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "event"));
      const cJSON *epoch = cJSON_GetObjectItemCaseSensitive (ev, "epoch");

      if (g_strcmp0 (kind, "step") == 0 && cJSON_IsNumber (epoch))
        info->epoch = epoch->valuedouble;
    }
  cJSON_Delete (events);
}

static VsCheckpointInfo *
read_checkpoint (const char  *dir,
                 gint64       step,
                 GError     **error)
{
  g_autofree char *state_path = g_build_filename (dir, "trainer_state.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(VsCheckpointInfo) info = NULL;
  const cJSON *item;
  const cJSON *metrics;
  const char *primary;
  cJSON *st;

  if (!g_file_get_contents (state_path, &text, NULL, &local_error))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  st = cJSON_Parse (text);
  item = st != NULL ? cJSON_GetObjectItemCaseSensitive (st, "global_step") : NULL;
  if (!cJSON_IsNumber (item) || item->valuedouble < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: expected a JSON object with global_step", state_path);
      cJSON_Delete (st);
      return NULL;
    }
  info = g_new0 (VsCheckpointInfo, 1);
  info->path = g_strdup (dir);
  info->step = (gint64) item->valuedouble;
  if (info->step != step)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: global_step %" G_GINT64_FORMAT " does not match the folder's name",
                   state_path, info->step);
      cJSON_Delete (st);
      return NULL;
    }
  item = cJSON_GetObjectItemCaseSensitive (st, "epoch");
  info->epoch = cJSON_IsNumber (item) ? item->valuedouble : 0.0;
  info->metric = NAN;
  info->metric_step = -1;
  metrics = cJSON_GetObjectItemCaseSensitive (st, "last_metrics");
  primary = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (st, "primary_metric"));
  if (cJSON_IsObject (metrics))
    {
      const char *key = primary != NULL && cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (metrics, primary))
                        ? primary : "eval_loss";
      const cJSON *m = cJSON_GetObjectItemCaseSensitive (metrics, key);

      if (cJSON_IsNumber (m))
        {
          info->metric_name = g_strdup (key);
          info->metric = m->valuedouble;
          item = cJSON_GetObjectItemCaseSensitive (st, "last_eval_step");
          info->metric_step = cJSON_IsNumber (item) ? (gint64) item->valuedouble : -1;
        }
    }
  cJSON_Delete (st);
  read_checkpoint_events (info);
  return g_steal_pointer (&info);
}

GPtrArray *
vs_trainer_list_checkpoints (const char  *output_dir,
                             GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_checkpoint_info_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (output_dir != NULL, NULL);

  dir = g_dir_open (output_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      gint64 step = checkpoint_step (name);
      g_autofree char *path = NULL;
      g_autofree char *state = NULL;
      VsCheckpointInfo *info;

      if (step < 0)
        continue;
      path = g_build_filename (output_dir, name, NULL);
      state = g_build_filename (path, "trainer_state.json", NULL);
      if (!g_file_test (state, G_FILE_TEST_IS_REGULAR))
        continue;   /* not a checkpoint (or not finished) */
      info = read_checkpoint (path, step, error);
      if (info == NULL)
        return NULL;
      g_ptr_array_add (out, info);
    }
  g_ptr_array_sort (out, compare_infos);
  return g_steal_pointer (&out);
}
