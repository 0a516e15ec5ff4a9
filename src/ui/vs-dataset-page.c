/* vs-dataset-page.c: the Dataset page of the workbench.
 *
 * The page follows the project: whenever "train" changes (or a project is
 * loaded) it compares what the document asks for (path, split, limit, role
 * overrides) with what it last loaded. A new source is loaded on a worker
 * (resolve, load, detect); only new roles re-detect the case on a worker.
 * Every job carries a generation number: a result that is no longer the
 * latest (the user cancelled or asked for something else) is dropped.
 * What the page shows comes from the project (dataset, case info), so it
 * stays the same as what the other pages read.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "data/vs-mine.h"
#include "data/vs-text-stats.h"
#include "hub/vs-hub.h"

#include "vs-dataset-page.h"
#include "vs-histogram.h"
#include "vs-layout.h"
#include "vs-row-model.h"
#include "vs-task.h"

#define MAX_RECENT 10
/* Token counts of bigger tables are an evenly spaced sample. */
#define STATS_MAX_ROWS 10000
#define STATS_BINS 24

/* The drop-down's entries, in this order. */
static const struct
{
  const char   *name;   /* NULL: Automatic (no key in "train.roles") */
  const char   *label;
} roles[] = {
  { NULL, N_("Automatic") },
  { "anchor", N_("Anchor") },
  { "positive", N_("Positive") },
  { "negative", N_("Negative") },
  { "sentence", N_("Sentence") },
  { "label", N_("Label") },
  { "ignore", N_("Ignore") },
};

/* Below this window width the settings go above the table instead of
 * beside it, so the page works on a 360 px phone screen. */
#define NARROW_WIDTH 720

struct _VsDatasetPage
{
  AdwBin          parent_instance;

  GtkPaned       *content_paned;
  VsNarrowWatch   narrow_watch;

  VsProject      *project;
  VsRowModel     *rows;

  /* What the shown dataset / case were made from. */
  char           *loaded_key;      /* path + split + limit */
  char           *detected_key;    /* loaded_key + role overrides */
  char           *pending_key;     /* the job in flight, or NULL */
  guint           generation;
  GCancellable   *cancellable;
  gboolean        write_inputs;    /* the next detection follows a role edit */
  gboolean        updating_roles;

  guint           stats_generation;
  gboolean        stats_busy;

  GPtrArray      *role_rows;       /* AdwActionRow */
  GPtrArray      *role_dropdowns;  /* GtkDropDown, same order as the columns */

  GtkRevealer    *banner_revealer;
  GtkLabel       *banner_label;
  GtkButton      *banner_close;
  GtkStack       *main_stack;
  GtkWidget      *loading_box;
  GtkSpinner     *loading_spinner;
  GtkLabel       *loading_label;
  GtkButton      *cancel_button;
  AdwActionRow   *source_row;
  AdwActionRow   *rows_row;
  GtkLabel       *case_label;
  GtkLabel       *evidence_label;
  GtkLabel       *label_info_label;
  GtkWidget      *swap_box;
  GtkLabel       *swap_label;
  GtkButton      *swap_button;
  AdwPreferencesGroup *roles_group;
  GtkColumnView  *column_view;
  GtkWidget      *histogram_box;
  VsHistogram    *histogram;
  GtkLabel       *axis_end_label;
  GtkLabel       *length_label;
  GtkLabel       *length_note_label;
  GtkMenuButton  *recent_button;
  AdwActionRow   *split_row;
  GtkDropDown    *split_dropdown;
  AdwEntryRow    *hub_entry;
  GtkSpinButton  *limit_spin;
  GtkSpinButton  *seed_spin;
  GtkSpinButton  *ratio_spin;
  AdwActionRow   *eval_row;

  GtkStringList  *splits;
  gboolean        updating_controls;
  guint           mine_generation;
  gboolean        mine_busy;
  GtkWidget      *mine_group;
  AdwActionRow   *mine_row;
};

G_DEFINE_FINAL_TYPE (VsDatasetPage, vs_dataset_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void sync_from_project (VsDatasetPage *self);
static void restart_stats (VsDatasetPage *self);
static void sync_mine (VsDatasetPage *self);

/* What a worker's callback gets: the page (kept alive) and the generation
 * of the job, so a late failure of a superseded job is dropped like a late
 * result. */
typedef struct
{
  VsDatasetPage *self;
  guint          generation;
} Call;

static Call *
call_new (VsDatasetPage *self,
          guint          generation)
{
  Call *call = g_new (Call, 1);

  call->self = g_object_ref (self);
  call->generation = generation;
  return call;
}

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* ---- banner ---- */

static void
show_banner (VsDatasetPage *self,
             const char    *message)
{
  gtk_label_set_text (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

static void
hide_banner (VsDatasetPage *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
}

/* ---- jobs on the worker ---- */

typedef struct
{
  guint           generation;
  char           *key;
  char           *path;          /* resolved by the project; NULL for a detect job */
  char           *split;
  gsize           limit;
  VsDatasetRef   *dataset;       /* detect job: the loaded table */
  char          **override_names;
  VsRoleOverride *overrides;
  gboolean        no_label;      /* "label": null: detect without a label, as the trainer */
  guint           n_overrides;
  gboolean        write_inputs;
} Job;

typedef struct
{
  guint           generation;
  char           *key;
  char           *path;
  char           *split;
  VsDataset      *dataset;       /* load job only */
  VsCaseInfo     *info;
  char           *warning;       /* the overrides did not fit the table */
  char          **splits;        /* load job: the splits the source offers */
  gboolean        write_inputs;
} JobResult;

static void
job_free (Job *job)
{
  g_free (job->key);
  g_free (job->path);
  g_free (job->split);
  g_clear_pointer (&job->dataset, vs_dataset_ref_unref);
  g_strfreev (job->override_names);
  g_free (job->overrides);
  g_free (job);
}

static void
job_result_free (JobResult *res)
{
  g_free (res->key);
  g_free (res->path);
  g_free (res->split);
  g_clear_pointer (&res->dataset, vs_dataset_free);
  g_clear_pointer (&res->info, vs_case_info_free);
  g_free (res->warning);
  g_strfreev (res->splits);
  g_free (res);
}

/* Copies the project's overrides: their strings are borrowed from the
 * document, which the main thread may change while the worker runs. */
static void
job_take_overrides (Job       *job,
                    VsProject *project)
{
  g_autofree VsRoleOverride *ov = NULL;
  guint n = 0;

  ov = vs_project_get_role_overrides (project, &n);
  job->override_names = g_new0 (char *, n + 1);
  job->overrides = g_new0 (VsRoleOverride, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      job->override_names[i] = g_strdup (ov[i].column);
      job->overrides[i].column = job->override_names[i];
      job->overrides[i].role = ov[i].role;
    }
  job->n_overrides = n;
  job->no_label = vs_project_get_train_no_label (project);
}

static char *
overrides_key (VsProject *project)
{
  g_autofree VsRoleOverride *ov = NULL;
  GString *s = g_string_new (NULL);
  guint n = 0;

  ov = vs_project_get_role_overrides (project, &n);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s=%d;", ov[i].column, ov[i].role);
  if (vs_project_get_train_no_label (project))
    g_string_append (s, "no-label;");
  return g_string_free (s, FALSE);
}

static VsCaseInfo *
detect (const VsDataset *ds,
        Job             *job,
        char           **warning,
        GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  VsCaseInfo *info;

  info = job->no_label
         ? vs_dataset_detect_case_without_label (ds, job->overrides, job->n_overrides, &local_error)
         : vs_dataset_detect_case (ds, job->overrides, job->n_overrides, &local_error);
  if (info != NULL)
    return info;

  /* Roles naming columns this table lacks: show the table as detected
   * without them, and say why. */
  *warning = g_strdup (local_error->message);
  return vs_dataset_detect_case (ds, NULL, 0, error);
}

static JobResult *
job_result_new (Job *job)
{
  JobResult *res = g_new0 (JobResult, 1);

  res->generation = job->generation;
  res->key = g_strdup (job->key);
  res->path = g_strdup (job->path);
  res->split = g_strdup (job->split);
  res->write_inputs = job->write_inputs;
  return res;
}

/* The engine reads the rows on this worker; cancelling the page's job sets
 * the flag the readers watch between rows, so a million-row file stops at
 * once instead of being read to the end and dropped. */
static void
set_cancel_flag (GCancellable *cancellable,
                 gpointer      flag)
{
  g_atomic_int_set ((gint *) flag, 1);
}

static void
on_load_progress (guint64  done,
                  guint64  total,
                  gpointer task)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);
  g_autofree char *text = NULL;

  if (total > 0)
    /* Translators: progress of reading a dataset file: "12.3 MB of 48.0 MB". */
    text = g_strdup_printf (_("Reading the rows… %s of %s"), done_text, total_text);
  else
    /* Translators: progress of reading from a pipe, whose size is unknown: "12.3 MB read". */
    text = g_strdup_printf (_("Reading the rows… %s read"), done_text);

  vs_task_progress (task, total > 0 ? (double) done / (double) total : -1, text);
}

static gpointer
load_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  Job *job = data;
  g_autoptr(VsDataset) ds = NULL;
  g_autofree char *resolved = NULL;
  JobResult *res;

  vs_task_progress (task, -1, _("Finding the dataset…"));
  resolved = vs_hub_resolve_dataset (job->path, error);
  if (resolved == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  vs_task_progress (task, -1, _("Reading the rows…"));
  {
    gint cancel = 0;
    VsLoadMonitor monitor = { &cancel, on_load_progress, task };
    gulong handler = g_cancellable_connect (cancellable, G_CALLBACK (set_cancel_flag), &cancel, NULL);

    ds = vs_dataset_load_monitored (resolved, job->split, job->limit, &monitor, error);
    g_cancellable_disconnect (cancellable, handler);
  }
  if (ds == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  vs_task_progress (task, -1, _("Detecting the case…"));
  res = job_result_new (job);
  res->info = detect (ds, job, &res->warning, error);
  if (res->info == NULL)
    {
      job_result_free (res);
      return NULL;
    }
  res->dataset = g_steal_pointer (&ds);
  /* A file offers only "train"; a folder or Hub snapshot may offer more. */
  res->splits = vs_dataset_list_splits (resolved, NULL);
  return res;
}

static gpointer
detect_worker (VsTask        *task,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  Job *job = data;
  JobResult *res = job_result_new (job);

  res->info = detect (vs_dataset_ref_get_dataset (job->dataset), job, &res->warning, error);
  if (res->info == NULL)
    {
      job_result_free (res);
      return NULL;
    }
  return res;
}

static void
set_busy (VsDatasetPage *self,
          const char    *text)
{
  gboolean busy = text != NULL;

  gtk_widget_set_visible (self->loading_box, busy);
  gtk_spinner_set_spinning (self->loading_spinner, busy);
  if (busy)
    gtk_label_set_text (self->loading_label, text);
  sync_from_project (self);
}

static void
on_job_progress (double      fraction,
                 const char *text,
                 gpointer    user_data)
{
  /* Progress is queued before the worker returns, so it runs before the
   * callback that frees the Call. */
  Call *call = user_data;
  VsDatasetPage *self = call->self;

  if (text != NULL && call->generation == self->generation && self->pending_key != NULL)
    gtk_label_set_text (self->loading_label, text);
}

static void
on_mine_progress (double      fraction,
                  const char *text,
                  gpointer    user_data)
{
  Call *call = user_data;
  VsDatasetPage *self = call->self;

  if (text != NULL && call->generation == self->mine_generation && self->mine_busy)
    gtk_label_set_text (self->loading_label, text);
}

static void write_inputs (VsDatasetPage *self, const VsCaseInfo *info);

/* The splits of the loaded source in the drop-down, the loaded one selected. */
static void
set_splits (VsDatasetPage     *self,
            const char *const *splits,
            const char        *current)
{
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->splits));
  guint n = splits != NULL ? g_strv_length ((char **) splits) : 0;
  guint selected = 0;

  self->updating_controls = TRUE;
  gtk_string_list_splice (self->splits, 0, n_old, splits);
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (splits[i], current) == 0)
      selected = i;
  gtk_drop_down_set_selected (self->split_dropdown, n > 0 ? selected : GTK_INVALID_LIST_POSITION);
  gtk_widget_set_visible (GTK_WIDGET (self->split_row), n > 1);
  self->updating_controls = FALSE;
}

static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  VsDatasetPage *self = call->self;
  g_autoptr(GError) error = NULL;
  JobResult *res = vs_task_finish (result, &error);

  if (res == NULL)
    {
      /* A failure of a job that is no longer the latest says nothing. */
      if (call->generation != self->generation || self->pending_key == NULL)
        return;
      /* The previous dataset stays; the same source is not retried until
       * the document changes. */
      g_free (self->detected_key);
      self->detected_key = g_steal_pointer (&self->pending_key);
      if (self->loaded_key == NULL || !g_str_has_prefix (self->detected_key, self->loaded_key))
        {
          g_free (self->loaded_key);
          self->loaded_key = g_strdup (self->detected_key);
        }
      show_banner (self, error->message);
      set_busy (self, NULL);
      return;
    }

  if (res->generation != self->generation || self->project == NULL)
    {
      job_result_free (res);
      return;
    }

  g_clear_pointer (&self->pending_key, g_free);
  g_free (self->detected_key);
  self->detected_key = g_strdup (res->key);
  if (res->warning != NULL)
    show_banner (self, res->warning);
  else
    hide_banner (self);

  if (res->dataset != NULL)
    {
      g_autoptr(VsDatasetRef) ref = vs_dataset_ref_new (g_steal_pointer (&res->dataset),
                                                        res->path, res->split);
      const char *nul = strchr (res->key, '\n');

      /* loaded_key: the part of the key naming the source. */
      g_free (self->loaded_key);
      self->loaded_key = nul != NULL ? g_strndup (res->key, nul - res->key) : g_strdup (res->key);
      set_splits (self, (const char *const *) res->splits, res->split);
      vs_project_set_dataset (self->project, ref);
    }
  if (res->write_inputs)
    write_inputs (self, res->info);
  vs_project_set_case_info (self->project, g_steal_pointer (&res->info));
  job_result_free (res);
  set_busy (self, NULL);
}

static void
start_job (VsDatasetPage *self,
           Job           *job,
           VsTaskFunc     func,
           const char    *what)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  job->generation = ++self->generation;
  g_free (self->pending_key);
  self->pending_key = g_strdup (job->key);
  /* No source object: vs_task_finish checks the task against a NULL one.
   * The reference keeps the page alive until the callback. */
  vs_task_run (NULL, func, job, (GDestroyNotify) job_free,
               (GDestroyNotify) job_result_free, self->cancellable,
               on_job_progress, on_job_done, call_new (self, job->generation));
  set_busy (self, what);
}

/* Reads what the document asks for and starts the job that brings the page
 * there: nothing, a new detection, or a new load. */
static void
reload (VsDatasetPage *self)
{
  g_autofree char *path = NULL;
  g_autofree char *source_key = NULL;
  g_autofree char *roles_key = NULL;
  g_autofree char *key = NULL;
  const char *split;
  gint64 limit;
  Job *job;

  if (self->project == NULL)
    return;

  path = vs_project_dup_resolved_path (self->project, "train.path");
  split = vs_project_get_string (self->project, "train.split");
  limit = vs_project_get_int (self->project, "train.limit", 0);
  if (path == NULL)
    {
      /* No dataset asked for: drop whatever was in flight. */
      g_cancellable_cancel (self->cancellable);
      self->generation++;
      g_clear_pointer (&self->pending_key, g_free);
      g_clear_pointer (&self->loaded_key, g_free);
      g_clear_pointer (&self->detected_key, g_free);
      set_busy (self, NULL);
      return;
    }

  source_key = g_strdup_printf ("%s|%s|%" G_GINT64_FORMAT, path, split ? split : "", limit);
  roles_key = overrides_key (self->project);
  key = g_strconcat (source_key, "\n", roles_key, NULL);
  if (g_strcmp0 (key, self->pending_key) == 0 ||
      (self->pending_key == NULL && g_strcmp0 (key, self->detected_key) == 0))
    return;

  job = g_new0 (Job, 1);
  job->key = g_strdup (key);
  job->write_inputs = self->write_inputs;
  self->write_inputs = FALSE;
  job_take_overrides (job, self->project);

  if (g_strcmp0 (source_key, self->loaded_key) == 0 && vs_project_get_dataset (self->project) != NULL)
    {
      job->dataset = vs_dataset_ref_ref (vs_project_get_dataset (self->project));
      start_job (self, job, detect_worker, _("Detecting the case…"));
    }
  else
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *what = NULL;

      job->path = g_steal_pointer (&path);
      job->split = g_strdup (split);
      job->limit = limit > 0 ? (gsize) limit : 0;
      /* Translators: %s is a file name or Hub dataset id */
      what = g_strdup_printf (_("Loading %s…"), base);
      start_job (self, job, load_worker, what);
    }
}

static void
on_cancel_clicked (VsDatasetPage *self)
{
  if (self->mine_busy)
    {
      /* The mining worker runs to its end; its result is dropped. */
      self->mine_generation++;
      self->mine_busy = FALSE;
      set_busy (self, NULL);
      return;
    }
  /* The result is dropped; the page keeps what it shows. */
  g_cancellable_cancel (self->cancellable);
  self->generation++;
  g_free (self->detected_key);
  self->detected_key = g_steal_pointer (&self->pending_key);
  set_busy (self, NULL);
}

/* ---- writing the document ---- */

/* The detected inputs and label, so the recipe trains what the page shows. */
static void
write_inputs (VsDatasetPage   *self,
              const VsCaseInfo *info)
{
  vs_project_begin_edit (self->project);
  if (info->case_number > 0)
    vs_project_set_strv (self->project, "train.columns", (const char *const *) info->inputs);
  else
    vs_project_remove (self->project, "train.columns");
  if (info->label_column != NULL)
    vs_project_set_string (self->project, "train.label", info->label_column);
  else
    vs_project_set (self->project, "train.label", cJSON_CreateNull ());
  vs_project_end_edit (self->project);
}

void
vs_dataset_page_set_column_role (VsDatasetPage *self,
                                 const char    *column,
                                 guint          role)
{
  g_autofree char *path = NULL;

  g_return_if_fail (VS_IS_DATASET_PAGE (self));
  g_return_if_fail (role < G_N_ELEMENTS (roles));

  if (self->project == NULL)
    return;

  /* A column name may hold dots: build the object instead of a path. */
  {
    const cJSON *old = vs_project_get (self->project, "train.roles");
    cJSON *obj = cJSON_IsObject (old) ? cJSON_Duplicate (old, TRUE) : cJSON_CreateObject ();

    cJSON_DeleteItemFromObjectCaseSensitive (obj, column);
    if (roles[role].name != NULL)
      cJSON_AddStringToObject (obj, column, roles[role].name);

    self->write_inputs = TRUE;
    vs_project_begin_edit (self->project);
    if (cJSON_GetArraySize (obj) == 0)
      {
        cJSON_Delete (obj);
        vs_project_remove (self->project, "train.roles");
      }
    else
      vs_project_set (self->project, "train.roles", obj);
    /* The old label would override the new roles; the detection writes
     * the new one. */
    vs_project_remove (self->project, "train.label");
    vs_project_end_edit (self->project);
  }
  /* Nothing changed (same role): nothing to re-detect. */
  self->write_inputs = FALSE;
}

static void
on_swap_clicked (VsDatasetPage *self)
{
  const VsCaseInfo *info = self->project ? vs_project_get_case_info (self->project) : NULL;
  const cJSON *old;
  cJSON *obj;

  if (info == NULL || info->n_inputs < 2)
    return;

  old = vs_project_get (self->project, "train.roles");
  obj = cJSON_IsObject (old) ? cJSON_Duplicate (old, TRUE) : cJSON_CreateObject ();
  cJSON_DeleteItemFromObjectCaseSensitive (obj, info->inputs[0]);
  cJSON_DeleteItemFromObjectCaseSensitive (obj, info->inputs[1]);
  cJSON_AddStringToObject (obj, info->inputs[0], "positive");
  cJSON_AddStringToObject (obj, info->inputs[1], "anchor");
  self->write_inputs = TRUE;
  vs_project_begin_edit (self->project);
  vs_project_set (self->project, "train.roles", obj);
  vs_project_remove (self->project, "train.label");
  vs_project_end_edit (self->project);
  self->write_inputs = FALSE;
}

static void
add_recent (const char *path)
{
  g_autoptr(GSettings) settings = NULL;
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) recent = NULL;
  guint n = 1;

  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

  if (schema == NULL)
    return;
  settings = g_settings_new (APP_ID);
  old = g_settings_get_strv (settings, "recent-datasets");
  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  recent = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "recent-datasets", (const char *const *) recent);
}

static void rebuild_recent_menu (VsDatasetPage *self);

void
vs_dataset_page_open_path (VsDatasetPage *self,
                           const char    *path,
                           const char    *split)
{
  g_return_if_fail (VS_IS_DATASET_PAGE (self));
  g_return_if_fail (path != NULL);

  if (self->project == NULL)
    return;

  hide_banner (self);
  vs_project_begin_edit (self->project);
  vs_project_set_string (self->project, "train.path", path);
  vs_project_set_string (self->project, "train.split", split);
  vs_project_remove (self->project, "train.columns");
  vs_project_remove (self->project, "train.label");
  vs_project_remove (self->project, "train.roles");
  vs_project_end_edit (self->project);
  add_recent (path);
  rebuild_recent_menu (self);
  sync_mine (self);
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  VsDatasetPage *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        vs_dataset_page_open_path (self, path, NULL);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VsDatasetPage *self = VS_DATASET_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  GtkFileFilter *filter;

  chooser = gtk_file_chooser_native_new (_("Open Dataset"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Datasets (CSV, TSV, JSON, JSON Lines, Parquet)"));
  for (const char *const *p = (const char *const[]) { "*.csv", "*.tsv", "*.json", "*.jsonl", "*.parquet",
                                                      "*.csv.gz", "*.tsv.gz", "*.json.gz", "*.jsonl.gz", NULL };
       *p != NULL; p++)
    gtk_file_filter_add_pattern (filter, *p);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_unref (filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  VsDatasetPage *self = user_data;
  GFile *file = g_value_get_object (value);
  g_autofree char *path = file ? g_file_get_path (file) : NULL;

  if (path == NULL)
    return FALSE;
  vs_dataset_page_open_path (self, path, NULL);
  return TRUE;
}

/* ---- hard negatives ---- */

typedef struct
{
  guint         generation;
  VsModelRef   *model;
  VsDatasetRef *dataset;
  char         *anchor;
  char         *positive;
  char         *out_path;
} MineJob;

static void
mine_job_free (MineJob *job)
{
  vs_model_ref_unref (job->model);
  vs_dataset_ref_unref (job->dataset);
  g_free (job->anchor);
  g_free (job->positive);
  g_free (job->out_path);
  g_free (job);
}

typedef struct
{
  guint  generation;
  char  *path;
} MineResult;

static void
mine_result_free (MineResult *res)
{
  g_free (res->path);
  g_free (res);
}

static gpointer
mine_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  MineJob *job = data;
  g_autoptr(VsDataset) out = NULL;
  VsMineOptions opts;
  MineResult *res;

  vs_mine_options_init (&opts);
  opts.anchor_column = job->anchor;
  opts.positive_column = job->positive;
  vs_task_progress (task, -1, _("Encoding the texts and mining…"));
  /* The model is not thread-safe: hold its lock while it encodes. */
  vs_model_ref_lock (job->model);
  out = vs_mine_hard_negatives (vs_dataset_ref_get_dataset (job->dataset),
                                vs_model_ref_get_model (job->model), &opts, error);
  vs_model_ref_unlock (job->model);
  if (out == NULL)
    return NULL;
  if (!vs_dataset_save_jsonl (out, job->out_path, error))
    return NULL;
  res = g_new0 (MineResult, 1);
  res->generation = job->generation;
  res->path = g_strdup (job->out_path);
  return res;
}

static void
on_mine_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  VsDatasetPage *self = call->self;
  g_autoptr(GError) error = NULL;
  MineResult *res = vs_task_finish (result, &error);

  if (res == NULL)
    {
      if (call->generation != self->mine_generation || !self->mine_busy)
        return;
      self->mine_busy = FALSE;
      set_busy (self, NULL);
      show_banner (self, error->message);
      return;
    }
  if (res->generation != self->mine_generation || !self->mine_busy)
    {
      mine_result_free (res);
      return;
    }
  self->mine_busy = FALSE;
  set_busy (self, NULL);
  vs_dataset_page_open_path (self, res->path, NULL);
  mine_result_free (res);
}

static gboolean
can_mine (VsDatasetPage *self)
{
  const VsCaseInfo *info = self->project ? vs_project_get_case_info (self->project) : NULL;

  return self->project != NULL && vs_project_get_model (self->project) != NULL &&
         vs_project_get_dataset (self->project) != NULL &&
         info != NULL && info->case_number == 2 && info->n_inputs >= 2;
}

static void
sync_mine (VsDatasetPage *self)
{
  gboolean ok = can_mine (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dataset.mine", ok && !self->mine_busy);
  gtk_widget_set_visible (self->mine_group, self->project != NULL && vs_project_get_dataset (self->project) != NULL);
  if (self->project != NULL && vs_project_get_model (self->project) == NULL)
    adw_action_row_set_subtitle (self->mine_row, _("Load a model to mine with"));
  else if (!ok)
    adw_action_row_set_subtitle (self->mine_row, _("Needs a positive pair (case 2): anchor and positive, no label"));
  else
    adw_action_row_set_subtitle (self->mine_row, _("Find, for each anchor, texts the model finds close that are not its positive, and train on the triplets"));
}

void
vs_dataset_page_mine_to (VsDatasetPage *self,
                         const char    *out_path)
{
  const VsCaseInfo *info;
  MineJob *job;

  g_return_if_fail (VS_IS_DATASET_PAGE (self));
  g_return_if_fail (out_path != NULL);

  if (!can_mine (self) || self->mine_busy)
    return;
  info = vs_project_get_case_info (self->project);
  job = g_new0 (MineJob, 1);
  job->generation = ++self->mine_generation;
  job->model = vs_model_ref_ref (vs_project_get_model (self->project));
  job->dataset = vs_dataset_ref_ref (vs_project_get_dataset (self->project));
  job->anchor = g_strdup (info->inputs[0]);
  job->positive = g_strdup (info->inputs[1]);
  job->out_path = g_strdup (out_path);
  self->mine_busy = TRUE;
  hide_banner (self);
  vs_task_run (NULL, mine_worker, job, (GDestroyNotify) mine_job_free,
               (GDestroyNotify) mine_result_free, NULL, on_mine_progress,
               on_mine_done, call_new (self, job->generation));
  set_busy (self, _("Mining hard negatives…"));
  sync_mine (self);
}

gboolean
vs_dataset_page_get_mining (VsDatasetPage *self)
{
  g_return_val_if_fail (VS_IS_DATASET_PAGE (self), FALSE);
  return self->mine_busy;
}

static void
on_mine_chooser_response (GtkNativeDialog *dialog,
                          int              response,
                          gpointer         user_data)
{
  VsDatasetPage *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        vs_dataset_page_mine_to (self, path);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
mine_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Save the Triplets"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "hard-negatives.jsonl");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_mine_chooser_response), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- training data controls ---- */

static void
sync_controls (VsDatasetPage *self)
{
  const cJSON *eval;
  const char *eval_path;
  g_autofree char *eval_text = NULL;

  if (self->project == NULL)
    return;

  self->updating_controls = TRUE;
  gtk_spin_button_set_value (self->limit_spin, (double) vs_project_get_int (self->project, "train.limit", 0));
  gtk_spin_button_set_value (self->seed_spin, (double) vs_project_get_int (self->project, "args.seed", 42));
  gtk_spin_button_set_value (self->ratio_spin, vs_project_get_double (self->project, "eval.split_ratio", 0));
  eval = vs_project_get (self->project, "eval");
  eval_path = vs_project_get_string (self->project, "eval.path");
  if (eval_path != NULL)
    eval_text = g_strdup (eval_path);
  else if (cJSON_IsObject (eval) && vs_project_get_double (self->project, "eval.split_ratio", 0) > 0)
    eval_text = g_strdup (_("Held out of the train data"));
  else
    eval_text = g_strdup (_("None"));
  adw_action_row_set_subtitle (self->eval_row, eval_text);
  self->updating_controls = FALSE;
}

static void
on_limit_changed (VsDatasetPage *self)
{
  gint64 limit = (gint64) gtk_spin_button_get_value (self->limit_spin);

  if (self->updating_controls || self->project == NULL)
    return;
  if (limit > 0)
    vs_project_set_int (self->project, "train.limit", limit);
  else
    vs_project_remove (self->project, "train.limit");
}

static void
on_seed_changed (VsDatasetPage *self)
{
  if (self->updating_controls || self->project == NULL)
    return;
  vs_project_set_int (self->project, "args.seed", (gint64) gtk_spin_button_get_value (self->seed_spin));
}

static void
on_ratio_changed (VsDatasetPage *self)
{
  double ratio = gtk_spin_button_get_value (self->ratio_spin);

  if (self->updating_controls || self->project == NULL)
    return;
  if (ratio > 0)
    {
      cJSON *eval = cJSON_CreateObject ();

      cJSON_AddNumberToObject (eval, "split_ratio", ratio);
      vs_project_set (self->project, "eval", eval);
    }
  else if (vs_project_get (self->project, "eval.split_ratio") != NULL)
    vs_project_remove (self->project, "eval");
}

static void
on_split_selected (VsDatasetPage *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->split_dropdown);
  const char *split = item != NULL ? gtk_string_object_get_string (item) : NULL;

  if (self->updating_controls || self->project == NULL || split == NULL)
    return;
  if (g_strcmp0 (split, vs_project_get_string (self->project, "train.split")) == 0)
    return;
  /* Another split may have other columns: the roles and inputs go. */
  vs_project_begin_edit (self->project);
  vs_project_set_string (self->project, "train.split", split);
  vs_project_remove (self->project, "train.columns");
  vs_project_remove (self->project, "train.label");
  vs_project_remove (self->project, "train.roles");
  vs_project_end_edit (self->project);
}

static void
on_hub_apply (VsDatasetPage *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->hub_entry))));

  if (*text == '\0')
    return;
  vs_dataset_page_open_path (self, text, NULL);
}

static void
rebuild_recent_menu (VsDatasetPage *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  g_auto(GStrv) recent = NULL;

  if (schema != NULL)
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);
      recent = g_settings_get_strv (settings, "recent-datasets");
    }
  for (guint i = 0; recent != NULL && recent[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (recent[i]);
      g_autoptr(GMenuItem) item = g_menu_item_new (base, NULL);

      g_menu_item_set_action_and_target_value (item, "dataset.open-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (menu, item);
    }
  if (recent == NULL || recent[0] == NULL)
    g_menu_append (menu, _("No Recent Datasets"), "dataset.none");
  gtk_menu_button_set_menu_model (self->recent_button, G_MENU_MODEL (menu));
}

static void
open_recent_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  vs_dataset_page_open_path (VS_DATASET_PAGE (widget), g_variant_get_string (parameter, NULL), NULL);
}

static void
on_eval_chooser_response (GtkNativeDialog *dialog,
                          int              response,
                          gpointer         user_data)
{
  VsDatasetPage *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->project != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          cJSON *eval = cJSON_CreateObject ();

          cJSON_AddStringToObject (eval, "path", path);
          vs_project_set (self->project, "eval", eval);
        }
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
open_eval_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Choose the Evaluation File"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_eval_chooser_response), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- showing the project ---- */

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_width_chars (GTK_LABEL (label), 12);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 48);
  gtk_list_item_set_child (list_item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  VsRowItem *item = gtk_list_item_get_item (list_item);
  guint column = GPOINTER_TO_UINT (user_data);
  g_autofree char *text = vs_row_item_dup_cell (item, column);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)), text ? text : "");
}

static void
rebuild_columns (VsDatasetPage *self)
{
  VsDatasetRef *ref = self->project ? vs_project_get_dataset (self->project) : NULL;
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  const VsDataset *ds = ref ? vs_dataset_ref_get_dataset (ref) : NULL;

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->column_view, c);
    }
  vs_row_model_set_dataset (self->rows, ref);
  if (ds == NULL)
    return;

  for (guint i = 0; i < vs_dataset_get_n_columns (ds); i++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, i);
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) c = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GUINT_TO_POINTER (i));
      c = gtk_column_view_column_new (vs_column_get_name (col), factory);
      gtk_column_view_column_set_resizable (c, TRUE);
      gtk_column_view_append_column (self->column_view, c);
    }
}

static guint
role_index_for (VsDatasetPage *self,
                const char    *column)
{
  const cJSON *obj = vs_project_get (self->project, "train.roles");
  const cJSON *item = cJSON_IsObject (obj) ? cJSON_GetObjectItemCaseSensitive (obj, column) : NULL;

  if (cJSON_IsString (item))
    for (guint k = 1; k < G_N_ELEMENTS (roles); k++)
      if (g_strcmp0 (roles[k].name, item->valuestring) == 0)
        return k;
  return 0;
}

static void
on_role_selected (GtkDropDown   *dropdown,
                  GParamSpec    *pspec,
                  VsDatasetPage *self)
{
  const char *column = g_object_get_data (G_OBJECT (dropdown), "vs-column");

  if (self->updating_roles)
    return;
  vs_dataset_page_set_column_role (self, column, gtk_drop_down_get_selected (dropdown));
}

/* What the detection made of a column, as a subtitle. */
static char *
describe_column (const VsCaseInfo *info,
                 const VsColumn   *col)
{
  const char *name = vs_column_get_name (col);
  const char *type = vs_column_type_to_string (vs_column_get_type (col));
  const char *use = NULL;

  if (info != NULL)
    {
      if (g_strcmp0 (info->label_column, name) == 0)
        use = _("label");
      for (guint i = 0; use == NULL && i < info->n_inputs; i++)
        if (g_strcmp0 (info->inputs[i], name) == 0)
          use = info->case_number == 3 ? _("sentence")
                : i == 0 ? _("anchor") : i == 1 ? _("positive") : _("negative");
      if (use == NULL)
        use = _("not used");
    }
  if (use == NULL)
    return g_strdup (type);
  /* Translators: a column's type, then what training uses it for, e.g. "string · anchor" */
  return g_strdup_printf (_("%s · %s"), type, use);
}

static void
rebuild_roles (VsDatasetPage *self)
{
  VsDatasetRef *ref = self->project ? vs_project_get_dataset (self->project) : NULL;
  const VsDataset *ds = ref ? vs_dataset_ref_get_dataset (ref) : NULL;

  for (guint i = 0; i < self->role_rows->len; i++)
    adw_preferences_group_remove (self->roles_group, g_ptr_array_index (self->role_rows, i));
  g_ptr_array_set_size (self->role_rows, 0);
  g_ptr_array_set_size (self->role_dropdowns, 0);
  if (ds == NULL)
    return;

  for (guint i = 0; i < vs_dataset_get_n_columns (ds); i++)
    {
      const char *name = vs_column_get_name (vs_dataset_get_column (ds, i));
      const char *labels[G_N_ELEMENTS (roles) + 1];
      g_autofree char *a11y = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *dropdown;

      for (guint k = 0; k < G_N_ELEMENTS (roles); k++)
        labels[k] = _(roles[k].label);
      labels[G_N_ELEMENTS (roles)] = NULL;
      dropdown = gtk_drop_down_new_from_strings (labels);
      gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (dropdown), "vs-column", g_strdup (name), g_free);
      /* Translators: %s is a column name */
      a11y = g_strdup_printf (_("Role of %s"), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      /* GTK 4.8 names the drop-down's own button (what has the focus and
       * what a screen reader says) after its type: it gets the same name. */
      if (GTK_IS_BUTTON (gtk_widget_get_first_child (dropdown)))
        gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_widget_get_first_child (dropdown)),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);
      g_signal_connect (dropdown, "notify::selected", G_CALLBACK (on_role_selected), self);
      adw_preferences_group_add (self->roles_group, row);
      g_ptr_array_add (self->role_rows, row);
      g_ptr_array_add (self->role_dropdowns, dropdown);
    }
}

static void
sync_roles (VsDatasetPage *self)
{
  VsDatasetRef *ref = self->project ? vs_project_get_dataset (self->project) : NULL;
  const VsDataset *ds = ref ? vs_dataset_ref_get_dataset (ref) : NULL;
  const VsCaseInfo *info = self->project ? vs_project_get_case_info (self->project) : NULL;

  if (ds == NULL || self->role_dropdowns->len != vs_dataset_get_n_columns (ds))
    return;

  self->updating_roles = TRUE;
  for (guint i = 0; i < self->role_dropdowns->len; i++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, i);
      g_autofree char *subtitle = describe_column (info, col);

      gtk_drop_down_set_selected (g_ptr_array_index (self->role_dropdowns, i),
                                  role_index_for (self, vs_column_get_name (col)));
      adw_action_row_set_subtitle (g_ptr_array_index (self->role_rows, i), subtitle);
    }
  self->updating_roles = FALSE;
}

static const char *
case_title (const VsCaseInfo *info)
{
  switch (info->case_number)
    {
    case 1:
      if (info->label_kind == VS_LABEL_BINARY)
        return _("Case 1 · Pair with a binary label");
      if (info->label_kind == VS_LABEL_CLASS)
        return _("Case 1 · Pair with a class label");
      return _("Case 1 · Pair with a score");
    case 2: return _("Case 2 · Positive pair");
    case 3: return _("Case 3 · Sentence with a class");
    case 4: return _("Case 4 · Triplet");
    default: return _("No case fits");
    }
}

static char *
describe_label (const VsCaseInfo *info)
{
  if (info->label_column == NULL)
    return g_strdup (_("No label column"));

  switch (info->label_kind)
    {
    case VS_LABEL_FLOAT:
      /* Translators: a column name, then the range of its float scores */
      return g_strdup_printf (_("Label “%s”: a float score in [%g, %g]"),
                              info->label_column, info->label_min, info->label_max);
    case VS_LABEL_BINARY:
      /* Translators: a column name */
      return g_strdup_printf (_("Label “%s”: binary 0/1"), info->label_column);
    case VS_LABEL_CLASS:
      {
        g_autofree char *some = NULL;
        guint shown = MIN (info->n_classes, 8);
        g_autofree char **first = g_new0 (char *, shown + 1);

        memcpy (first, info->classes, shown * sizeof (char *));
        some = g_strjoinv (", ", first);
        /* Translators: a column name, the number of classes, then the first few classes */
        return g_strdup_printf (ngettext ("Label “%s”: %u class (%s%s)",
                                          "Label “%s”: %u classes (%s%s)", info->n_classes),
                                info->label_column, info->n_classes, some,
                                info->n_classes > shown ? ", …" : "");
      }
    case VS_LABEL_NONE:
    default:
      return g_strdup (_("No label column"));
    }
}

static void
sync_case (VsDatasetPage *self)
{
  const VsCaseInfo *info = self->project ? vs_project_get_case_info (self->project) : NULL;

  if (info == NULL)
    {
      gtk_label_set_text (self->case_label, _("No case detected yet"));
      gtk_label_set_text (self->evidence_label, "");
      gtk_label_set_text (self->label_info_label, "");
      gtk_widget_set_visible (self->swap_box, FALSE);
    }
  else
    {
      g_autofree char *label = describe_label (info);

      gtk_label_set_text (self->case_label, case_title (info));
      gtk_label_set_text (self->evidence_label, info->evidence ? info->evidence : "");
      gtk_label_set_text (self->label_info_label, label);
      gtk_widget_set_visible (self->swap_box, info->swapped_anchor_positive);
      gtk_label_set_text (self->swap_label, info->swap_evidence ? info->swap_evidence : "");
    }
  sync_roles (self);
}

static void
sync_from_project (VsDatasetPage *self)
{
  VsDatasetRef *ref = self->project ? vs_project_get_dataset (self->project) : NULL;
  gboolean busy = self->pending_key != NULL || self->mine_busy;

  gtk_stack_set_visible_child_name (self->main_stack, ref != NULL || busy ? "content" : "empty");
  if (ref != NULL)
    {
      const VsDataset *ds = vs_dataset_ref_get_dataset (ref);
      gsize n = vs_dataset_get_n_rows (ds);
      g_autofree char *rows = NULL;
      g_autofree char *source = NULL;
      const char *split = vs_dataset_ref_get_split (ref);

      /* Grouped digits as the locale writes them ("1,000,000"). */
      g_autofree char *count = g_strdup_printf ("%'" G_GSIZE_FORMAT, n);

      /* Translators: %s is a number of rows, with its digits grouped */
      rows = g_strdup_printf (ngettext ("%s row", "%s rows", n), count);
      {
        guint nc = vs_dataset_get_n_columns (ds);
        g_autofree char *cols = g_strdup_printf (ngettext ("%u column", "%u columns", nc), nc);
        g_autofree char *both = g_strdup_printf ("%s, %s", rows, cols);
        adw_action_row_set_subtitle (self->rows_row, both);
      }
      if (split != NULL)
        /* Translators: a file or Hub id, then a split name */
        source = g_strdup_printf (_("%s (split %s)"), vs_dataset_ref_get_source (ref), split);
      else
        source = g_strdup (vs_dataset_ref_get_source (ref));
      adw_action_row_set_subtitle (self->source_row, source);
    }
}

static void
on_dataset_notify (VsDatasetPage *self)
{
  rebuild_columns (self);
  rebuild_roles (self);
  sync_from_project (self);
  sync_case (self);
}

static void
on_project_changed (VsProject     *project,
                    const char    *key,
                    VsDatasetPage *self)
{
  if (key == NULL)
    {
      /* A new document: whatever it names is loaded afresh. */
      g_clear_pointer (&self->loaded_key, g_free);
      g_clear_pointer (&self->detected_key, g_free);
      hide_banner (self);
    }
  else if (g_strcmp0 (key, "args") == 0)
    {
      sync_controls (self);
      restart_stats (self);
      return;
    }
  else if (g_strcmp0 (key, "eval") == 0)
    {
      sync_controls (self);
      return;
    }
  else if (g_strcmp0 (key, "train") != 0)
    return;
  reload (self);
  sync_roles (self);
  sync_controls (self);
}

/* ---- text lengths ---- */

typedef struct
{
  guint         generation;
  VsModelRef   *model;
  VsDatasetRef *dataset;
  char        **columns;
  gsize         max_length;
} StatsJob;

static void
stats_job_free (StatsJob *job)
{
  vs_model_ref_unref (job->model);
  vs_dataset_ref_unref (job->dataset);
  g_strfreev (job->columns);
  g_free (job);
}

typedef struct
{
  guint        generation;
  VsTextStats *stats;
} StatsResult;

static void
stats_result_free (StatsResult *res)
{
  vs_text_stats_free (res->stats);
  g_free (res);
}

static gpointer
stats_worker (VsTask        *task,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  StatsJob *job = data;
  StatsResult *res;
  VsTextStats *st;

  /* Tokenizing needs no model lock (vs-project.h). */
  st = vs_text_stats_compute (vs_dataset_ref_get_dataset (job->dataset),
                              (const char *const *) job->columns, g_strv_length (job->columns),
                              vs_model_get_tokenizer (vs_model_ref_get_model (job->model)),
                              job->max_length, STATS_MAX_ROWS, STATS_BINS, error);
  if (st == NULL)
    return NULL;
  res = g_new0 (StatsResult, 1);
  res->generation = job->generation;
  res->stats = st;
  return res;
}

static void
on_stats_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  VsDatasetPage *self = call->self;
  g_autoptr(GError) error = NULL;
  StatsResult *res = vs_task_finish (result, &error);
  const VsTextStats *st;
  g_autofree char *text = NULL;
  g_autofree char *note = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *axis = NULL;

  if (res == NULL)
    {
      if (call->generation != self->stats_generation || !self->stats_busy)
        return;
      self->stats_busy = FALSE;
      gtk_widget_set_visible (self->histogram_box, FALSE);
      gtk_label_set_text (self->length_label, error->message);
      gtk_label_set_text (self->length_note_label, "");
      return;
    }
  if (res->generation != self->stats_generation)
    {
      stats_result_free (res);
      return;
    }
  self->stats_busy = FALSE;
  st = res->stats;

  if (st->max_length > 0)
    /* Translators: rows over the limit, rows counted, the model's maximum length */
    text = g_strdup_printf (ngettext ("%zu of %zu rows are longer than the model's %zu tokens and will be truncated",
                                      "%zu of %zu rows are longer than the model's %zu tokens and will be truncated",
                                      st->n_rows),
                            st->n_over, st->n_rows, st->max_length);
  else
    text = g_strdup (_("The model has no maximum length: no row is truncated"));
  if (st->sampled)
    /* Translators: the longest and mean token counts, then the sample and table sizes */
    note = g_strdup_printf (_("Longest %u tokens, mean %.1f. Counted on an evenly spaced sample of %zu of %zu rows."),
                            st->max_tokens, st->mean_tokens, st->n_rows, st->n_total_rows);
  else
    /* Translators: the longest and mean token counts */
    note = g_strdup_printf (_("Longest %u tokens, mean %.1f."), st->max_tokens, st->mean_tokens);
  /* Translators: the accessible description of the histogram */
  summary = g_strdup_printf (_("Token lengths from %u to %u, mean %.1f. %s."),
                             st->min_tokens, st->max_tokens, st->mean_tokens, text);
  /* Translators: the right end of the histogram's axis */
  axis = g_strdup_printf (_("%u tokens"), st->n_bins * st->bin_width);

  vs_histogram_set_bins (self->histogram, st->bins, st->n_bins, st->bin_width,
                         st->max_length > 0 ? (double) st->max_length : -1, summary);
  gtk_label_set_text (self->axis_end_label, axis);
  gtk_label_set_text (self->length_label, text);
  gtk_label_set_text (self->length_note_label, note);
  gtk_widget_set_visible (self->histogram_box, TRUE);
  stats_result_free (res);
}

static void
restart_stats (VsDatasetPage *self)
{
  VsModelRef *model = self->project ? vs_project_get_model (self->project) : NULL;
  VsDatasetRef *ds = self->project ? vs_project_get_dataset (self->project) : NULL;
  const VsCaseInfo *info = self->project ? vs_project_get_case_info (self->project) : NULL;
  VsTokenizer *tok;
  StatsJob *job;
  gint64 max_seq;

  self->stats_generation++;
  self->stats_busy = FALSE;
  tok = model != NULL ? vs_model_get_tokenizer (vs_model_ref_get_model (model)) : NULL;
  if (tok == NULL)
    {
      gtk_widget_set_visible (self->histogram_box, FALSE);
      gtk_label_set_text (self->length_label, _("Load a model to count tokens"));
      gtk_label_set_text (self->length_note_label, _("The Model page loads it."));
      return;
    }
  if (ds == NULL || info == NULL || info->case_number == 0 || info->n_inputs == 0)
    {
      gtk_widget_set_visible (self->histogram_box, FALSE);
      gtk_label_set_text (self->length_label, _("No text columns to count"));
      gtk_label_set_text (self->length_note_label, "");
      return;
    }

  job = g_new0 (StatsJob, 1);
  job->generation = self->stats_generation;
  job->model = vs_model_ref_ref (model);
  job->dataset = vs_dataset_ref_ref (ds);
  job->columns = g_strdupv (info->inputs);
  /* What training truncates to: the recipe's max_seq_length, else the model's. */
  max_seq = vs_project_get_int (self->project, "args.max_seq_length", 0);
  job->max_length = max_seq > 0 ? (gsize) max_seq : vs_tokenizer_get_max_length (tok);
  self->stats_busy = TRUE;
  /* The old bars belong to other rows: hidden until the new count. */
  gtk_widget_set_visible (self->histogram_box, FALSE);
  gtk_label_set_text (self->length_label, _("Counting tokens…"));
  gtk_label_set_text (self->length_note_label, "");
  vs_task_run (NULL, stats_worker, job, (GDestroyNotify) stats_job_free,
               (GDestroyNotify) stats_result_free, NULL, NULL,
               on_stats_done, call_new (self, job->generation));
}

gboolean
vs_dataset_page_get_counting (VsDatasetPage *self)
{
  g_return_val_if_fail (VS_IS_DATASET_PAGE (self), FALSE);
  return self->stats_busy;
}

GtkLabel *
vs_dataset_page_get_length_label (VsDatasetPage *self)
{
  return self->length_label;
}

VsHistogram *
vs_dataset_page_get_histogram (VsDatasetPage *self)
{
  return self->histogram;
}

/* ---- GObject ---- */

VsProject *
vs_dataset_page_get_project (VsDatasetPage *self)
{
  g_return_val_if_fail (VS_IS_DATASET_PAGE (self), NULL);
  return self->project;
}

void
vs_dataset_page_set_project (VsDatasetPage *self,
                             VsProject     *project)
{
  g_return_if_fail (VS_IS_DATASET_PAGE (self));

  if (self->project == project)
    return;

  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  g_clear_pointer (&self->loaded_key, g_free);
  g_clear_pointer (&self->detected_key, g_free);
  if (project != NULL)
    {
      g_signal_connect (project, "changed", G_CALLBACK (on_project_changed), self);
      g_signal_connect_swapped (project, "notify::dataset", G_CALLBACK (on_dataset_notify), self);
      g_signal_connect_swapped (project, "notify::case-info", G_CALLBACK (sync_case), self);
      g_signal_connect_swapped (project, "notify::case-info", G_CALLBACK (restart_stats), self);
      g_signal_connect_swapped (project, "notify::model", G_CALLBACK (restart_stats), self);
      g_signal_connect_swapped (project, "notify::model", G_CALLBACK (sync_mine), self);
      g_signal_connect_swapped (project, "notify::case-info", G_CALLBACK (sync_mine), self);
      g_signal_connect_swapped (project, "notify::dataset", G_CALLBACK (sync_mine), self);
    }
  on_dataset_notify (self);
  sync_controls (self);
  sync_mine (self);
  restart_stats (self);
  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

gboolean
vs_dataset_page_get_busy (VsDatasetPage *self)
{
  g_return_val_if_fail (VS_IS_DATASET_PAGE (self), FALSE);
  return self->pending_key != NULL;
}

GtkLabel *
vs_dataset_page_get_case_label (VsDatasetPage *self)
{
  return self->case_label;
}

GtkLabel *
vs_dataset_page_get_evidence_label (VsDatasetPage *self)
{
  return self->evidence_label;
}

GtkLabel *
vs_dataset_page_get_label_info_label (VsDatasetPage *self)
{
  return self->label_info_label;
}

GtkLabel *
vs_dataset_page_get_banner_label (VsDatasetPage *self)
{
  return self->banner_label;
}

gboolean
vs_dataset_page_get_banner_shown (VsDatasetPage *self)
{
  return gtk_revealer_get_reveal_child (self->banner_revealer);
}

GtkColumnView *
vs_dataset_page_get_column_view (VsDatasetPage *self)
{
  return self->column_view;
}

GtkButton *
vs_dataset_page_get_cancel_button (VsDatasetPage *self)
{
  return self->cancel_button;
}

AdwEntryRow *
vs_dataset_page_get_hub_entry (VsDatasetPage *self)
{
  return self->hub_entry;
}

GtkLabel *
vs_dataset_page_get_loading_label (VsDatasetPage *self)
{
  return self->loading_label;
}

GtkButton *
vs_dataset_page_get_swap_button (VsDatasetPage *self)
{
  return self->swap_button;
}

GtkLabel *
vs_dataset_page_get_swap_label (VsDatasetPage *self)
{
  return self->swap_label;
}

GtkDropDown *
vs_dataset_page_get_split_dropdown (VsDatasetPage *self)
{
  return self->split_dropdown;
}

GtkSpinButton *
vs_dataset_page_get_limit_spin (VsDatasetPage *self)
{
  return self->limit_spin;
}

GtkSpinButton *
vs_dataset_page_get_seed_spin (VsDatasetPage *self)
{
  return self->seed_spin;
}

GtkSpinButton *
vs_dataset_page_get_ratio_spin (VsDatasetPage *self)
{
  return self->ratio_spin;
}

GtkDropDown *
vs_dataset_page_get_role_dropdown (VsDatasetPage *self,
                                   const char    *column)
{
  for (guint i = 0; i < self->role_dropdowns->len; i++)
    {
      GtkDropDown *d = g_ptr_array_index (self->role_dropdowns, i);
      if (g_strcmp0 (g_object_get_data (G_OBJECT (d), "vs-column"), column) == 0)
        return d;
    }
  return NULL;
}

static void
vs_dataset_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  VsDatasetPage *self = VS_DATASET_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_dataset_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_dataset_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  VsDatasetPage *self = VS_DATASET_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_dataset_page_dispose (GObject *object)
{
  VsDatasetPage *self = VS_DATASET_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  gtk_widget_dispose_template (GTK_WIDGET (self), VS_TYPE_DATASET_PAGE);
  G_OBJECT_CLASS (vs_dataset_page_parent_class)->dispose (object);
}

static void
vs_dataset_page_finalize (GObject *object)
{
  VsDatasetPage *self = VS_DATASET_PAGE (object);

  g_clear_object (&self->rows);
  g_clear_object (&self->splits);
  g_free (self->loaded_key);
  g_free (self->detected_key);
  g_free (self->pending_key);
  g_ptr_array_unref (self->role_rows);
  g_ptr_array_unref (self->role_dropdowns);
  G_OBJECT_CLASS (vs_dataset_page_parent_class)->finalize (object);
}

/* ---- narrow windows ---- */

/* The paned turns vertical below NARROW_WIDTH (vs-layout.h). */
static void
reflow (GtkWidget *widget,
        gboolean   narrow)
{
  VsDatasetPage *self = VS_DATASET_PAGE (widget);
  int height = vs_narrow_watch_get_height (&self->narrow_watch);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->content_paned),
                                  narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  /* Settings first: most of the height for them, the table below. */
  gtk_paned_set_position (self->content_paned, narrow ? MAX (240, height * 11 / 20) : 420);
}

static void
vs_dataset_page_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vs_dataset_page_parent_class)->root (widget);
  vs_narrow_watch_attach (&VS_DATASET_PAGE (widget)->narrow_watch);
}

static void
vs_dataset_page_unroot (GtkWidget *widget)
{
  vs_narrow_watch_detach (&VS_DATASET_PAGE (widget)->narrow_watch);
  GTK_WIDGET_CLASS (vs_dataset_page_parent_class)->unroot (widget);
}

gboolean
vs_dataset_page_get_narrow (VsDatasetPage *self)
{
  return gtk_orientable_get_orientation (GTK_ORIENTABLE (self->content_paned)) == GTK_ORIENTATION_VERTICAL;
}

static void
vs_dataset_page_class_init (VsDatasetPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_dataset_page_dispose;
  object_class->finalize = vs_dataset_page_finalize;
  object_class->get_property = vs_dataset_page_get_property;
  object_class->set_property = vs_dataset_page_set_property;
  widget_class->root = vs_dataset_page_root;
  widget_class->unroot = vs_dataset_page_unroot;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VS_TYPE_HISTOGRAM);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-dataset-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, banner_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, banner_close);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, main_stack);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, content_paned);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, loading_box);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, loading_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, source_row);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, rows_row);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, case_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, evidence_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, label_info_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, swap_box);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, swap_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, swap_button);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, roles_group);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, histogram_box);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, histogram);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, axis_end_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, length_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, length_note_label);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, recent_button);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, split_row);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, hub_entry);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, limit_spin);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, ratio_spin);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, eval_row);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, mine_group);
  gtk_widget_class_bind_template_child (widget_class, VsDatasetPage, mine_row);

  gtk_widget_class_install_action (widget_class, "dataset.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "dataset.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "dataset.open-eval", NULL, open_eval_action);
  gtk_widget_class_install_action (widget_class, "dataset.mine", NULL, mine_action);
}

static void
vs_dataset_page_init (VsDatasetPage *self)
{
  g_autoptr(GtkSelectionModel) selection = NULL;
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  vs_narrow_watch_init (&self->narrow_watch, GTK_WIDGET (self), NARROW_WIDTH, reflow);
  /* The split drop-down's own button is named by its row (GTK 4.8 names it
   * after its type). */
  if (GTK_IS_BUTTON (gtk_widget_get_first_child (GTK_WIDGET (self->split_dropdown))))
    gtk_accessible_update_relation (GTK_ACCESSIBLE (gtk_widget_get_first_child (GTK_WIDGET (self->split_dropdown))),
                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->split_row, NULL, -1);

  self->role_rows = g_ptr_array_new ();
  self->role_dropdowns = g_ptr_array_new ();
  self->rows = vs_row_model_new (NULL);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->rows))));
  gtk_column_view_set_model (self->column_view, selection);

  g_signal_connect_swapped (self->banner_close, "clicked", G_CALLBACK (hide_banner), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  g_signal_connect_swapped (self->swap_button, "clicked", G_CALLBACK (on_swap_clicked), self);
  g_signal_connect_swapped (self->limit_spin, "value-changed", G_CALLBACK (on_limit_changed), self);
  g_signal_connect_swapped (self->seed_spin, "value-changed", G_CALLBACK (on_seed_changed), self);
  g_signal_connect_swapped (self->ratio_spin, "value-changed", G_CALLBACK (on_ratio_changed), self);
  g_signal_connect_swapped (self->split_dropdown, "notify::selected", G_CALLBACK (on_split_selected), self);
  g_signal_connect_swapped (self->hub_entry, "apply", G_CALLBACK (on_hub_apply), self);

  self->splits = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (self->split_dropdown, G_LIST_MODEL (self->splits));
  rebuild_recent_menu (self);

  drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  sync_case (self);
}
