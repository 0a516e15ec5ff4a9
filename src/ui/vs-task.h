/* vs-task.h: engine calls that may take longer than a frame, on a worker.
 *
 * Every engine call the window makes that can block (load a model or a
 * dataset, detect a case over a million rows, search or pull from the Hub,
 * mine negatives, encode) runs through vs_task_run: the work function runs
 * on a GTask worker thread and must not touch GTK; its result (or GError)
 * comes back to the callback on the main context. Progress reported from
 * the worker with vs_task_progress is handed to the main context too, where
 * the progress callback runs (never more than one pending at a time, so a
 * chatty worker does not flood the main loop).
 *
 *   static gpointer
 *   load_worker (VsTask *task, gpointer data, GCancellable *cancellable, GError **error)
 *   {
 *     return vs_dataset_load (data, NULL, error);          // NULL + error on failure
 *   }
 *
 *   vs_task_run (self, load_worker, g_strdup (path), g_free,
 *                (GDestroyNotify) vs_dataset_free, cancellable,
 *                on_progress, on_loaded, self);
 *   ...
 *   static void
 *   on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
 *   {
 *     g_autoptr(GError) error = NULL;
 *     VsDataset *ds = vs_task_finish (result, &error);     // owned by the caller
 *   }
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VsTask VsTask;

/* Runs on the worker. Returns the result (owned, freed with result_free if
 * nobody takes it) or NULL with error set. */
typedef gpointer (*VsTaskFunc) (VsTask        *task,
                                gpointer       data,
                                GCancellable  *cancellable,
                                GError       **error);

/* Runs on the main context with the latest progress: fraction in [0, 1]
 * (or < 0 when unknown) and a text (may be NULL). */
typedef void (*VsTaskProgressFunc) (double      fraction,
                                    const char *text,
                                    gpointer    user_data);

/* source_object: the widget that asked (kept alive until the callback).
 * data is passed to func and freed with data_free after the task. */
void      vs_task_run      (gpointer             source_object,
                            VsTaskFunc           func,
                            gpointer             data,
                            GDestroyNotify       data_free,
                            GDestroyNotify       result_free,
                            GCancellable        *cancellable,
                            VsTaskProgressFunc   progress,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data);

/* The result of func (caller owns it), or NULL with error (VS_ERROR_CANCELLED
 * or G_IO_ERROR_CANCELLED when it was cancelled). */
gpointer  vs_task_finish   (GAsyncResult        *result,
                            GError             **error);

/* From the worker: report progress (thread-safe). */
void      vs_task_progress (VsTask              *task,
                            double               fraction,
                            const char          *text);

/* Byte progress in the shape of VsHubProgressFunc (done, total): pass the
 * VsTask as user_data to vs_hub_set_progress. */
void      vs_task_progress_bytes (guint64        done,
                                  guint64        total,
                                  gpointer       task);

G_END_DECLS
