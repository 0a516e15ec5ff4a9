/* vs-window.c: the main window, one page per step of the workbench flow. */
#include "config.h"

#include <glib/gi18n.h>

#include "vs-dataset-page.h"
#include "vs-loss-page.h"
#include "vs-model-page.h"
#include "vs-project.h"
#include "vs-share-page.h"
#include "vs-train-page.h"
#include "vs-try-page.h"
#include "vs-window.h"

struct _VsWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  VsProject            *project;
  /* Set once the unsaved-changes question allowed the window to close. */
  gboolean              close_confirmed;
  /* What to do once the unsaved changes are saved or discarded (the text
   * editor's pattern: New, Open, the demo, a recent project, Close Project
   * and closing the window all ask first). */
  int                   pending;
  char                 *pending_path;

  /* Template widgets */
  GtkStack             *window_stack;      /* "start" or "workbench" */
  AdwPreferencesGroup  *recent_group;
  GPtrArray            *recent_rows;
  GtkWidget            *save_button;
  AdwViewSwitcherBar   *switcher_bar;
  AdwViewStack         *stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwToastOverlay      *toast_overlay;
  VsModelPage          *model_page;
  VsDatasetPage        *dataset_page;
  VsLossPage           *loss_page;
  VsSharePage          *share_page;
  VsTrainPage          *train_page;
  VsTryPage            *try_page;

  /* Closing while a run trains: close once it ended ("Stop and Save"), or
   * the window is hidden and the application held until it ends. */
  gboolean              close_after_run;
  gboolean              held_for_run;
};

G_DEFINE_FINAL_TYPE (VsWindow, vs_window, ADW_TYPE_APPLICATION_WINDOW)

typedef enum
{
  PENDING_NONE,
  PENDING_CLOSE,
  PENDING_NEW,
  PENDING_OPEN_CHOOSER,
  PENDING_OPEN_DEMO,
  PENDING_OPEN_PATH,
  PENDING_SHOW_START,
} Pending;

static void show_workbench (VsWindow *self);
static void confirm_then (VsWindow *self, Pending pending, const char *path);

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

VsWindow *
vs_window_new (GtkApplication *application,
               GSettings      *settings)
{
  return g_object_new (VS_TYPE_WINDOW,
                       "application", application,
                       "settings", settings,
                       NULL);
}

AdwViewStack *
vs_window_get_stack (VsWindow *self)
{
  g_return_val_if_fail (VS_IS_WINDOW (self), NULL);
  return self->stack;
}

VsProject *
vs_window_get_project (VsWindow *self)
{
  g_return_val_if_fail (VS_IS_WINDOW (self), NULL);
  return self->project;
}

void
vs_window_add_toast (VsWindow   *self,
                     const char *text)
{
  AdwToast *toast;

  g_return_if_fail (VS_IS_WINDOW (self));

  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The title bar: the project's title, and whether it has unsaved changes. */
static void
update_title (VsWindow *self)
{
  g_autofree char *title = vs_project_dup_title (self->project);
  g_autofree char *window_title = NULL;
  const char *file = vs_project_get_file (self->project);
  g_autofree char *subtitle = NULL;

  if (vs_project_get_dirty (self->project))
    subtitle = g_strdup (_("Unsaved changes"));
  else if (file != NULL)
    {
      g_autoptr(GFile) gfile = g_file_new_for_path (file);
      g_autoptr(GFile) parent = g_file_get_parent (gfile);
      subtitle = parent != NULL ? g_file_get_parse_name (parent) : NULL;
    }
  else
    subtitle = g_strdup (_("Not saved yet"));

  adw_view_switcher_title_set_title (self->switcher_title, title);
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle);
  /* Translators: the window title: project title, then the app's name. */
  window_title = g_strdup_printf (_("%s — Vectorsmith"), title);
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

static void remember_project (VsWindow *self);
static void sync_header (VsWindow *self);

static void
on_project_notify (VsWindow *self)
{
  remember_project (self);
  sync_header (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-project",
                                 vs_project_get_dirty (self->project) ||
                                 vs_project_get_file (self->project) == NULL);
}

gboolean
vs_window_open_project (VsWindow    *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VS_IS_WINDOW (self), FALSE);

  if (!vs_project_load (self->project, path, &local_error))
    {
      vs_window_add_toast (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  adw_view_stack_set_visible_child_name (self->stack, "model");
  show_workbench (self);
  return TRUE;
}

char *
vs_window_find_demo_recipe (void)
{
  const char *env = g_getenv ("VS_DEMO_DIR");
  const char *candidates[] = {
    PKGDATADIR "/demo/recipe.json",
    SOURCE_DATADIR "/demo/recipe.json",
  };

  if (env != NULL && *env != '\0')
    return g_build_filename (env, "recipe.json", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return g_strdup (candidates[i]);
  return g_strdup (candidates[0]);
}

gboolean
vs_window_open_demo (VsWindow  *self,
                     GError   **error)
{
  g_autofree char *path = vs_window_find_demo_recipe ();
  g_autofree char *text = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VS_IS_WINDOW (self), FALSE);

  /* Untitled: the installed demo is read-only, so saving asks where, and
   * the copy's relative paths are rewritten to still find the demo data. */
  if (!g_file_get_contents (path, &text, NULL, &local_error) ||
      !vs_project_load_from_data (self->project, text, dir, NULL, &local_error))
    {
      g_autofree char *message = g_strdup_printf ("%s: %s", path, local_error->message);
      vs_window_add_toast (self, message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  adw_view_stack_set_visible_child_name (self->stack, "model");
  show_workbench (self);
  return TRUE;
}

/* ---- file choosers ---- */

static GtkFileFilter *
recipe_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Vectorsmith projects (recipe JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/x-vectorsmith-project");
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_suffix (filter, "json");
  return filter;
}

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  VsWindow *self = VS_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        vs_window_open_project (self, path, NULL);
    }
  g_object_unref (dialog);
}

static void
show_open_chooser (VsWindow *self)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = recipe_filter ();

  dialog = gtk_file_chooser_native_new (_("Open a Project"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_project_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  confirm_then (VS_WINDOW (widget), PENDING_OPEN_CHOOSER, NULL);
}

static void save_as (VsWindow *self, gboolean proceed_after);
static void proceed (VsWindow *self);

/* Saves the project (to path, or to its file); then, when asked, carries
 * on with what the unsaved-changes question held back. */
static void
save_to (VsWindow   *self,
         const char *path,
         gboolean    proceed_after)
{
  g_autoptr(GError) error = NULL;

  if (!vs_project_save (self->project, path, &error))
    {
      vs_window_add_toast (self, error->message);
      self->pending = PENDING_NONE;
      return;
    }
  if (proceed_after)
    proceed (self);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  VsWindow *self = VS_WINDOW (user_data);
  gboolean proceed_after = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "proceed-after"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        save_to (self, path, proceed_after);
    }
  else if (proceed_after)
    self->pending = PENDING_NONE;
  g_object_unref (dialog);
}

static void
save_as (VsWindow *self,
         gboolean  proceed_after)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = recipe_filter ();
  g_autofree char *title = vs_project_dup_title (self->project);
  g_autofree char *name = NULL;

  dialog = gtk_file_chooser_native_new (_("Save the Project"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  name = vs_project_get_file (self->project) != NULL
         ? g_path_get_basename (vs_project_get_file (self->project))
         /* Translators: the file name Save As suggests for a new project;
          * keep the .vectorsmith.json ending, it tells the file manager to
          * open the file with Vectorsmith. */
         : g_strdup (_("Untitled project.vectorsmith.json"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "proceed-after", GINT_TO_POINTER (proceed_after));
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_project_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VsWindow *self = VS_WINDOW (widget);

  if (vs_project_get_file (self->project) == NULL)
    save_as (self, FALSE);
  else
    save_to (self, NULL, FALSE);
}

static void
save_project_as_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  save_as (VS_WINDOW (widget), FALSE);
}

static void
new_project_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  confirm_then (VS_WINDOW (widget), PENDING_NEW, NULL);
}

static void
close_project_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  confirm_then (VS_WINDOW (widget), PENDING_SHOW_START, NULL);
}

static void
open_recent_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  confirm_then (VS_WINDOW (widget), PENDING_OPEN_PATH, g_variant_get_string (parameter, NULL));
}

/* The pages of the flow, in the order Alt+1 … Alt+6 reach them. */
static const char *const page_names[] = { "model", "dataset", "loss", "train", "try", "share" };

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VsWindow *self = VS_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

static void
open_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  confirm_then (VS_WINDOW (widget), PENDING_OPEN_DEMO, NULL);
}

/* ---- closing ---- */

/* Does what the unsaved-changes question held back. */
static void
proceed (VsWindow *self)
{
  Pending pending = self->pending;
  g_autofree char *path = g_steal_pointer (&self->pending_path);

  self->pending = PENDING_NONE;
  switch (pending)
    {
    case PENDING_CLOSE:
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
      break;
    case PENDING_NEW:
      {
        g_autoptr(VsProject) fresh = vs_project_new ();
        g_autofree char *text = cJSON_Print (vs_project_get_document (fresh));

        vs_project_load_from_data (self->project, text, NULL, NULL, NULL);
        adw_view_stack_set_visible_child_name (self->stack, "model");
        show_workbench (self);
      }
      break;
    case PENDING_OPEN_CHOOSER:
      show_open_chooser (self);
      break;
    case PENDING_OPEN_DEMO:
      vs_window_open_demo (self, NULL);
      break;
    case PENDING_OPEN_PATH:
      vs_window_open_project (self, path, NULL);
      break;
    case PENDING_SHOW_START:
      vs_window_show_start (self);
      break;
    case PENDING_NONE:
    default:
      break;
    }
}

static void
on_save_changes_answer (AdwMessageDialog *dialog,
                        const char       *response,
                        gpointer          user_data)
{
  VsWindow *self = VS_WINDOW (user_data);

  if (g_strcmp0 (response, "discard") == 0)
    proceed (self);
  else if (g_strcmp0 (response, "save") == 0)
    {
      if (vs_project_get_file (self->project) == NULL)
        save_as (self, TRUE);
      else
        save_to (self, NULL, TRUE);
    }
  else
    {
      self->pending = PENDING_NONE;
      g_clear_pointer (&self->pending_path, g_free);
    }
}

/* Asks to save unsaved changes first (Save, Discard or Cancel), then does
 * pending; without unsaved changes it does it at once. */
static void
confirm_then (VsWindow   *self,
              Pending     pending,
              const char *path)
{
  GtkWidget *dialog;
  g_autofree char *title = NULL;

  if (self->pending != PENDING_NONE)
    return;    /* the question is already open */
  self->pending = pending;
  g_free (self->pending_path);
  self->pending_path = g_strdup (path);
  if (!vs_project_get_dirty (self->project))
    {
      proceed (self);
      return;
    }

  title = vs_project_dup_title (self->project);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save Changes?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” has changes that are not saved. Unsaved changes are lost for good."),
                                  title);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_changes_answer), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- closing while training ---- */

static void
on_train_running (VsWindow *self)
{
  if (vs_train_page_get_running (self->train_page))
    return;
  if (self->held_for_run)
    {
      GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

      self->held_for_run = FALSE;
      self->close_after_run = FALSE;
      /* Unsaved changes still need their answer: show the window again. */
      if (vs_project_get_dirty (self->project))
        gtk_window_present (GTK_WINDOW (self));
      else
        gtk_window_destroy (GTK_WINDOW (self));
      if (app != NULL)
        g_application_release (app);
    }
  else if (self->close_after_run)
    {
      self->close_after_run = FALSE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
on_train_close_answer (AdwMessageDialog *dialog,
                       const char       *response,
                       gpointer          user_data)
{
  VsWindow *self = VS_WINDOW (user_data);

  if (g_strcmp0 (response, "stop") == 0)
    {
      self->close_after_run = TRUE;
      vs_train_page_stop (self->train_page);
    }
  else if (g_strcmp0 (response, "keep") == 0)
    {
      GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

      if (app != NULL && !self->held_for_run)
        {
          g_application_hold (app);
          self->held_for_run = TRUE;
        }
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
    }
}

static void
ask_close_while_training (VsWindow *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Stop Training?"),
                                   _("A model is training. Stop it with a checkpoint to resume from "
                                     "later, or keep it training in the background."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "stop", _("_Stop and Save"),
                                    "keep", _("_Keep Training"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "keep",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_train_close_answer), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
vs_window_close_request (GtkWindow *window)
{
  VsWindow *self = VS_WINDOW (window);
  int width, height;

  if (vs_train_page_get_running (self->train_page))
    {
      if (!self->close_after_run && !self->held_for_run)
        ask_close_while_training (self);
      return TRUE;
    }

  if (vs_project_get_dirty (self->project) && !self->close_confirmed)
    {
      confirm_then (self, PENDING_CLOSE, NULL);
      return TRUE;
    }

  /* The default size is what the user last resized to, not the maximised size. */
  gtk_window_get_default_size (window, &width, &height);
  if (self->settings != NULL)
    {
      g_settings_set (self->settings, "window-size", "(ii)", width, height);
      g_settings_set_boolean (self->settings, "window-maximized",
                              gtk_window_is_maximized (window));
    }
  return GTK_WINDOW_CLASS (vs_window_parent_class)->close_request (window);
}

/* ---- the start page ---- */

/* The recent projects that still exist, as rows that open them. */
static void
rebuild_recent_rows (VsWindow *self)
{
  g_auto(GStrv) recent = self->settings != NULL
                         ? g_settings_get_strv (self->settings, "recent-projects") : g_new0 (char *, 1);
  guint shown = 0;

  for (guint i = 0; i < self->recent_rows->len; i++)
    adw_preferences_group_remove (self->recent_group, self->recent_rows->pdata[i]);
  g_ptr_array_set_size (self->recent_rows, 0);

  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_path (recent[i]);
      g_autoptr(GFile) parent = g_file_get_parent (file);
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *folder = parent != NULL ? g_file_get_parse_name (parent) : g_strdup ("");
      GtkWidget *row;

      if (!g_file_test (recent[i], G_FILE_TEST_IS_REGULAR))
        continue;
      if (g_str_has_suffix (name, ".vectorsmith.json"))
        name[strlen (name) - strlen (".vectorsmith.json")] = '\0';
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), folder);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-recent");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", recent[i]);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      adw_preferences_group_add (self->recent_group, row);
      g_ptr_array_add (self->recent_rows, row);
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), shown > 0);
}

static void
sync_header (VsWindow *self)
{
  gboolean start = vs_window_get_showing_start (self);

  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, !start);
  gtk_widget_set_visible (self->save_button, !start);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", !start);
  /* The bottom bar takes the switcher when the title has no room for it. */
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    !start && adw_view_switcher_title_get_title_visible (self->switcher_title));
  if (start)
    {
      adw_view_switcher_title_set_title (self->switcher_title, _("Vectorsmith"));
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
      gtk_window_set_title (GTK_WINDOW (self), _("Vectorsmith"));
    }
  else
    update_title (self);
}

static void
show_workbench (VsWindow *self)
{
  gtk_stack_set_visible_child_name (self->window_stack, "workbench");
  sync_header (self);
}

void
vs_window_show_start (VsWindow *self)
{
  g_return_if_fail (VS_IS_WINDOW (self));

  rebuild_recent_rows (self);
  gtk_stack_set_visible_child_name (self->window_stack, "start");
  sync_header (self);
}

gboolean
vs_window_get_showing_start (VsWindow *self)
{
  g_return_val_if_fail (VS_IS_WINDOW (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->window_stack), "start") == 0;
}

GtkWidget *
vs_window_get_recent_row (VsWindow *self,
                          guint     i)
{
  g_return_val_if_fail (VS_IS_WINDOW (self), NULL);
  return i < self->recent_rows->len ? self->recent_rows->pdata[i] : NULL;
}

static void
vs_window_constructed (GObject *object)
{
  VsWindow *self = VS_WINDOW (object);
  int width, height;

  G_OBJECT_CLASS (vs_window_parent_class)->constructed (object);

  if (self->settings != NULL)
    {
      g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
      gtk_window_set_default_size (GTK_WINDOW (self), width, height);
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }

  /* The project last saved or opened; on first start (nothing recent) the
   * demo, so every page has content at once; when the last project is gone,
   * the start page with what is left. */
  {
    g_auto(GStrv) recent = self->settings != NULL
                           ? g_settings_get_strv (self->settings, "recent-projects") : NULL;

    if (recent == NULL || recent[0] == NULL)
      vs_window_open_demo (self, NULL);
    else if (!g_file_test (recent[0], G_FILE_TEST_IS_REGULAR) ||
             !vs_project_load (self->project, recent[0], NULL))
      vs_window_show_start (self);
  }
  on_project_notify (self);
}

/* Puts the project's file first in the recent projects (at most 10). */
static void
remember_project (VsWindow *self)
{
  const char *file = vs_project_get_file (self->project);
  g_auto(GStrv) recent = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) updated = NULL;
  guint kept = 1;

  if (self->settings == NULL || file == NULL)
    return;
  recent = g_settings_get_strv (self->settings, "recent-projects");
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, file);
  for (guint i = 0; recent[i] != NULL && kept < 10; i++)
    if (g_strcmp0 (recent[i], file) != 0)
      {
        g_strv_builder_add (builder, recent[i]);
        kept++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *) updated);
}

static void
vs_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  VsWindow *self = VS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  VsWindow *self = VS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_window_dispose (GObject *object)
{
  VsWindow *self = VS_WINDOW (object);

  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->recent_rows, g_ptr_array_unref);
  g_clear_pointer (&self->pending_path, g_free);
  G_OBJECT_CLASS (vs_window_parent_class)->dispose (object);
}

static void
vs_window_class_init (VsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = vs_window_constructed;
  object_class->dispose = vs_window_dispose;
  object_class->get_property = vs_window_get_property;
  object_class->set_property = vs_window_set_property;
  window_class->close_request = vs_window_close_request;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-project", NULL, open_project_action);
  gtk_widget_class_install_action (widget_class, "win.save-project", NULL, save_project_action);
  gtk_widget_class_install_action (widget_class, "win.save-project-as", NULL, save_project_as_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.close-project", NULL, close_project_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-project", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-project", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-project", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.save-project-as", NULL);
  /* Alt+1 … Alt+6: the pages of the flow, in order. */
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-page", "s", page_names[i]);

  g_type_ensure (VS_TYPE_MODEL_PAGE);
  g_type_ensure (VS_TYPE_DATASET_PAGE);
  g_type_ensure (VS_TYPE_LOSS_PAGE);
  g_type_ensure (VS_TYPE_SHARE_PAGE);
  g_type_ensure (VS_TYPE_TRAIN_PAGE);
  g_type_ensure (VS_TYPE_TRY_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VsWindow, window_stack);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, recent_group);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, save_button);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, model_page);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, dataset_page);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, loss_page);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, share_page);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, train_page);
  gtk_widget_class_bind_template_child (widget_class, VsWindow, try_page);
}

static void
vs_window_init (VsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->recent_rows = g_ptr_array_new ();
  g_signal_connect_swapped (self->switcher_title, "notify::title-visible", G_CALLBACK (sync_header), self);
  self->project = vs_project_new ();
  g_signal_connect_swapped (self->project, "notify::dirty", G_CALLBACK (on_project_notify), self);
  g_signal_connect_swapped (self->project, "notify::title", G_CALLBACK (on_project_notify), self);
  g_signal_connect_swapped (self->project, "notify::file", G_CALLBACK (on_project_notify), self);

  vs_model_page_set_project (self->model_page, self->project);
  vs_dataset_page_set_project (self->dataset_page, self->project);
  vs_loss_page_set_project (self->loss_page, self->project);
  vs_share_page_set_project (self->share_page, self->project);
  vs_train_page_set_project (self->train_page, self->project);
  g_signal_connect_swapped (self->train_page, "notify::running", G_CALLBACK (on_train_running), self);
  vs_try_page_set_project (self->try_page, self->project);
}
