/* vs-task.c: engine calls on a worker, results and progress on the main context. */
#include "config.h"

#include <glib/gi18n.h>

#include "vs-task.h"

struct _VsTask
{
  VsTaskFunc          func;
  gpointer            data;
  GDestroyNotify      data_free;
  GDestroyNotify      result_free;
  VsTaskProgressFunc  progress;
  gpointer            user_data;
  GMainContext       *context;

  /* Latest progress, and whether an idle callback is already queued. */
  GMutex              lock;
  double              fraction;
  char               *text;
  gboolean            pending;
  gint                ref_count;
};

static VsTask *
vs_task_ref (VsTask *task)
{
  g_atomic_int_inc (&task->ref_count);
  return task;
}

static void
vs_task_unref (VsTask *task)
{
  if (!g_atomic_int_dec_and_test (&task->ref_count))
    return;
  if (task->data_free != NULL && task->data != NULL)
    task->data_free (task->data);
  g_main_context_unref (task->context);
  g_mutex_clear (&task->lock);
  g_free (task->text);
  g_free (task);
}

static void
task_thread (GTask        *gtask,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  VsTask *task = task_data;
  GError *error = NULL;
  gpointer result = task->func (task, task->data, cancellable, &error);

  if (result == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, _("The operation failed"));
      g_task_return_error (gtask, error);
    }
  else
    g_task_return_pointer (gtask, result, task->result_free);
}

void
vs_task_run (gpointer             source_object,
             VsTaskFunc           func,
             gpointer             data,
             GDestroyNotify       data_free,
             GDestroyNotify       result_free,
             GCancellable        *cancellable,
             VsTaskProgressFunc   progress,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  VsTask *task;

  g_return_if_fail (func != NULL);

  task = g_new0 (VsTask, 1);
  task->ref_count = 1;
  task->func = func;
  task->data = data;
  task->data_free = data_free;
  task->result_free = result_free;
  task->progress = progress;
  task->user_data = user_data;
  task->context = g_main_context_ref_thread_default ();
  task->fraction = -1;
  g_mutex_init (&task->lock);

  gtask = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (gtask, vs_task_run);
  g_task_set_task_data (gtask, task, (GDestroyNotify) vs_task_unref);
  /* A cancelled task still runs its worker to the end (the engine checks
   * the cancellable itself); the callback then gets the cancel error. */
  g_task_set_return_on_cancel (gtask, FALSE);
  g_task_run_in_thread (gtask, task_thread);
}

gpointer
vs_task_finish (GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
deliver_progress (gpointer data)
{
  VsTask *task = data;
  g_autofree char *text = NULL;
  double fraction;

  g_mutex_lock (&task->lock);
  fraction = task->fraction;
  text = g_strdup (task->text);
  task->pending = FALSE;
  g_mutex_unlock (&task->lock);

  if (task->progress != NULL)
    task->progress (fraction, text, task->user_data);
  return G_SOURCE_REMOVE;
}

void
vs_task_progress (VsTask     *task,
                  double      fraction,
                  const char *text)
{
  gboolean queue;

  g_return_if_fail (task != NULL);

  if (task->progress == NULL)
    return;
  g_mutex_lock (&task->lock);
  task->fraction = fraction;
  g_free (task->text);
  task->text = g_strdup (text);
  queue = !task->pending;
  task->pending = TRUE;
  g_mutex_unlock (&task->lock);

  if (queue)
    g_main_context_invoke_full (task->context, G_PRIORITY_DEFAULT, deliver_progress,
                                vs_task_ref (task), (GDestroyNotify) vs_task_unref);
}

void
vs_task_progress_bytes (guint64  done,
                        guint64  total,
                        gpointer task)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *text = NULL;

  if (total > 0)
    {
      g_autofree char *total_text = g_format_size (total);
      /* Translators: bytes moved so far, e.g. "1.2 MB of 90.9 MB". */
      text = g_strdup_printf (_("%s of %s"), done_text, total_text);
      vs_task_progress (task, (double) done / (double) total, text);
    }
  else
    vs_task_progress (task, -1, done_text);
}
