/* test-window.c: GUI smoke test of the main window, run under Xvfb.
 *
 * Starts the real application, waits (with a timeout, never a sleep) for the
 * main window to be mapped, checks the six pages of the workbench flow and
 * the app actions, checks that the window size round-trips through GSettings,
 * and saves a PNG screenshot under the build folder.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "hub/vs-hub.h"
#include "vs-engine.h"

#include "vs-application.h"
#include "vs-dataset-page.h"
#include "vs-loss-page.h"
#include "vs-model-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

static void
test_main_window (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  static const char *expected_pages[] = { "model", "dataset", "loss", "train", "try", "share" };
  g_autofree char *screenshot = NULL;
  g_auto(GStrv) quit_accels = NULL;
  GSettings *settings;
  GtkWindow *window;
  AdwViewStack *stack;
  guint n_windows;
  int width, height;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  /* The size the window opens with comes from GSettings. */
  settings = vs_application_get_settings (app);
  g_assert_nonnull (settings);
  g_settings_set (settings, "window-size", "(ii)", 960, 640);

  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");
  vs_gui_wait_for (vs_gui_widget_has_size, window, "the main window to be allocated");

  gtk_window_get_default_size (window, &width, &height);
  g_assert_cmpint (width, ==, 960);
  g_assert_cmpint (height, ==, 640);

  /* The six pages of the flow, in order, each with a title. */
  stack = vs_window_get_stack (VS_WINDOW (window));
  for (guint i = 0; i < G_N_ELEMENTS (expected_pages); i++)
    {
      GtkWidget *child = adw_view_stack_get_child_by_name (stack, expected_pages[i]);
      AdwViewStackPage *page;

      g_assert_nonnull (child);
      page = adw_view_stack_get_page (stack, child);
      g_assert_nonnull (adw_view_stack_page_get_title (page));
    }
  g_assert_true (VS_IS_MODEL_PAGE (adw_view_stack_get_child_by_name (stack, "model")));
  g_assert_true (VS_IS_DATASET_PAGE (adw_view_stack_get_child_by_name (stack, "dataset")));
  g_assert_true (VS_IS_LOSS_PAGE (adw_view_stack_get_child_by_name (stack, "loss")));

  /* First start opens the demo project, untitled, with no problems. */
  {
    VsProject *project = vs_window_get_project (VS_WINDOW (window));
    const char *const *problems = vs_project_get_problems (project);

    g_assert_null (vs_project_get_file (project));
    g_assert_cmpstr (vs_project_get_string (project, "loss.name"), ==, "CoSENTLoss");
    if (problems[0] != NULL)
      g_error ("the demo project has problems: %s", problems[0]);
    g_assert_true (vs_project_get_valid (project));
    g_assert_false (vs_project_get_dirty (project));
  }
  {
    g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (stack);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pages)), ==, G_N_ELEMENTS (expected_pages));
    for (guint i = 0; i < G_N_ELEMENTS (expected_pages); i++)
      {
        g_autoptr(AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
        g_assert_cmpstr (adw_view_stack_page_get_name (page), ==, expected_pages[i]);
      }
  }

  /* Every page can be shown. */
  for (guint i = 0; i < G_N_ELEMENTS (expected_pages); i++)
    {
      adw_view_stack_set_visible_child_name (stack, expected_pages[i]);
      g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, expected_pages[i]);
    }
  /* win.show-page (Alt+1 … Alt+6) reaches each page by name. */
  for (guint i = 0; i < G_N_ELEMENTS (expected_pages); i++)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", expected_pages[i]);
      g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, expected_pages[i]);
    }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "no-such-page");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "share");
  adw_view_stack_set_visible_child_name (stack, "model");

  /* F1 opens the user guide; uninstalled, its source index page. */
  {
    g_auto(GStrv) help_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.help");
    g_autofree char *uri = vs_application_dup_help_uri ();

    g_assert_cmpstr (help_accels[0], ==, "F1");
    g_assert_true (g_action_map_lookup_action (G_ACTION_MAP (app), "help") != NULL);
    g_assert_true (g_str_has_prefix (uri, "help:"));
    if (strcmp (uri, "help:vectorsmith") != 0)
      g_assert_true (g_file_test (uri + strlen ("help:"), G_FILE_TEST_IS_REGULAR));
  }

  screenshot = g_build_filename (g_getenv ("VS_BUILD_DIR"), "tests", "app", "main-window.png", NULL);
  vs_gui_save_screenshot (GTK_WIDGET (window), screenshot);

  /* App actions and their shortcuts. */
  g_assert_true (g_action_map_lookup_action (G_ACTION_MAP (app), "quit") != NULL);
  g_assert_true (g_action_map_lookup_action (G_ACTION_MAP (app), "about") != NULL);
  g_assert_true (g_action_map_lookup_action (G_ACTION_MAP (app), "preferences") != NULL);
  quit_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_cmpstr (quit_accels[0], ==, "<Control>q");
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  /* About and preferences open (as windows on libadwaita < 1.5, as dialogs inside the window after). */
  n_windows = g_list_model_get_n_items (gtk_window_get_toplevels ());
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
#if !ADW_CHECK_VERSION (1, 5, 0)
  vs_gui_wait_for (vs_gui_window_count_is_at_least, GUINT_TO_POINTER (n_windows + 2), "the about and preferences windows");
#else
  (void) n_windows;
#endif

  /* Threads from the preferences reach the engine's setting. */
  g_settings_set_uint (settings, "threads", 1);
  g_assert_cmpuint (vs_engine_get_threads (), ==, 1);
  g_settings_set_uint (settings, "threads", 2);
  g_assert_cmpuint (vs_engine_get_threads (), ==, 2);

  /* The cache folder preference reaches every new Hub client; empty restores
   * huggingface_hub's rule ($HF_HUB_CACHE here). */
  g_setenv ("HF_HUB_CACHE", "/tmp/vs-test-env-cache", TRUE);
  g_settings_set_string (settings, "cache-folder", "/tmp/vs-test-pref-cache");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_assert_cmpstr (vs_hub_get_cache_dir (hub), ==, "/tmp/vs-test-pref-cache");
  }
  g_settings_set_string (settings, "cache-folder", "");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_assert_cmpstr (vs_hub_get_cache_dir (hub), ==, "/tmp/vs-test-env-cache");
  }

  /* Closing the window keeps its size. */
  gtk_window_set_default_size (window, 1000, 700);
  gtk_window_close (window);
  {
    int w, h;
    g_settings_get (settings, "window-size", "(ii)", &w, &h);
    g_assert_cmpint (w, ==, 1000);
    g_assert_cmpint (h, ==, 700);
  }
}

/* Windows of the app that are VsWindows. */
static guint
count_project_windows (GtkApplication *app)
{
  guint n = 0;

  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    n += VS_IS_WINDOW (l->data);
  return n;
}

static char *
write_project (const char *dir,
               const char *name,
               const char *title)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf (
    "{\"name\": \"%s\", \"model\": \"%s/models/tiny\","
    " \"train\": {\"path\": \"pairs.csv\"}, \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
    " \"output_dir\": \"out\"}", title, dir);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* `vectorsmith A.vectorsmith.json` opens A: in the untouched first window,
 * again in the window that shows it already, and in a new window when the
 * open one has unsaved changes (opening never discards work). */
static void
test_open_files (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-open-XXXXXX", &error);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(GFile) first_file = NULL;
  g_autoptr(GFile) second_file = NULL;
  g_autoptr(GFile) remote = g_file_new_for_uri ("sftp://example.org/recipe.vectorsmith.json");
  GtkWindow *window;
  VsProject *project;

  g_assert_no_error (error);
  first = write_project (dir, "first.vectorsmith.json", "First project");
  second = write_project (dir, "second.vectorsmith.json", "Second project");
  first_file = g_file_new_for_path (first);
  second_file = g_file_new_for_path (second);

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  /* The first test's application still holds the app id's object path on
   * this bus. */
  g_application_set_application_id (G_APPLICATION (app), APP_ID ".OpenTest");
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set_strv (vs_application_get_settings (app), "recent-projects", NULL);

  g_application_open (G_APPLICATION (app), &first_file, 1, "");
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the window to be mapped");
  project = vs_window_get_project (VS_WINDOW (window));
  g_assert_cmpstr (vs_project_get_file (project), ==, first);
  g_assert_cmpstr (vs_project_get_string (project, "name"), ==, "First project");
  g_assert_cmpuint (count_project_windows (GTK_APPLICATION (app)), ==, 1);

  /* The same file again: the same window, nothing reloaded. */
  vs_project_set_string (project, "output_dir", "elsewhere");
  g_application_open (G_APPLICATION (app), &first_file, 1, "");
  g_assert_cmpuint (count_project_windows (GTK_APPLICATION (app)), ==, 1);
  g_assert_cmpstr (vs_project_get_string (project, "output_dir"), ==, "elsewhere");
  g_assert_true (vs_project_get_dirty (project));

  /* Another file while this one has unsaved changes: a second window. */
  g_application_open (G_APPLICATION (app), &second_file, 1, "");
  g_assert_cmpuint (count_project_windows (GTK_APPLICATION (app)), ==, 2);
  g_assert_cmpstr (vs_project_get_file (project), ==, first);
  g_assert_true (vs_project_get_dirty (project));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_cmpstr (vs_project_get_file (vs_window_get_project (VS_WINDOW (window))), ==, second);

  /* A file that is not local is refused with a message, no window lost. */
  g_application_open (G_APPLICATION (app), &remote, 1, "");
  g_assert_cmpuint (count_project_windows (GTK_APPLICATION (app)), ==, 2);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (VS_IS_WINDOW (l->data))
      vs_project_load (vs_window_get_project (l->data), second, NULL);  /* clean: no prompt */
  while (gtk_application_get_windows (GTK_APPLICATION (app)) != NULL)
    gtk_window_destroy (gtk_application_get_windows (GTK_APPLICATION (app))->data);
  g_unlink (first);
  g_unlink (second);
  g_rmdir (dir);
}

/* A registered application with its own id (the earlier tests' objects
 * still hold theirs on this bus) and the given recent projects. */
static VsApplication *
new_test_app (const char         *suffix,
              const char * const *recent)
{
  VsApplication *app = vs_application_new ();
  g_autofree char *id = g_strconcat (APP_ID, ".", suffix, NULL);
  g_autoptr(GError) error = NULL;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_application_set_application_id (G_APPLICATION (app), id);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set_strv (vs_application_get_settings (app), "recent-projects", recent);
  return app;
}

static void
destroy_windows (GtkApplication *app)
{
  while (gtk_application_get_windows (app) != NULL)
    gtk_window_destroy (gtk_application_get_windows (app)->data);
}

/* The first visible toplevel of type, or NULL. */
static gpointer
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

/* The unsaved-changes question that is showing, or NULL. */
static AdwMessageDialog *
find_question (void)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static gboolean
question_is_shown (gpointer data)
{
  return find_question () != NULL;
}

static void
answer (const char *response)
{
  AdwMessageDialog *dialog;

  vs_gui_wait_for (question_is_shown, NULL, "the unsaved-changes question");
  dialog = find_question ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Save Changes?");
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* When the last project is gone, the start page: New / Open / Demo and the
 * recent projects that still exist; a recent row opens its project, Close
 * Project comes back here. */
static void
test_start_page (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-start-XXXXXX", &error);
  g_autofree char *kept = write_project (dir, "kept.vectorsmith.json", "Kept project");
  g_autofree char *gone = g_build_filename (dir, "gone.vectorsmith.json", NULL);
  const char *recent[] = { NULL, NULL, NULL };
  g_autoptr(VsApplication) app = NULL;
  VsWindow *window;
  GtkWidget *row;

  recent[0] = gone;
  recent[1] = kept;
  app = new_test_app ("StartTest", recent);
  g_application_activate (G_APPLICATION (app));
  window = VS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the window to be mapped");

  g_assert_true (vs_window_get_showing_start (window));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Vectorsmith");
  /* Only the project that still exists is offered. */
  row = vs_window_get_recent_row (window, 0);
  g_assert_nonnull (row);
  g_assert_null (vs_window_get_recent_row (window, 1));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "kept");
  {
    g_autofree char *shot = vs_gui_screenshot_path ("window-start-page");
    vs_gui_save_screenshot (GTK_WIDGET (window), shot);
  }
  {
    g_autofree char *shot = vs_gui_screenshot_path ("window-start-page-dark");
    vs_gui_save_screenshot_dark (GTK_WIDGET (window), shot);
  }

  g_assert_true (gtk_widget_activate (row));
  g_assert_false (vs_window_get_showing_start (window));
  g_assert_cmpstr (vs_project_get_file (vs_window_get_project (window)), ==, kept);
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), "Kept project"));

  /* Close Project (no changes: no question) goes back to the start page. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.close-project", NULL);
  g_assert_null (find_question ());
  g_assert_true (vs_window_get_showing_start (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL);
  g_assert_false (vs_window_get_showing_start (window));
  g_assert_null (vs_project_get_file (vs_window_get_project (window)));

  destroy_windows (GTK_APPLICATION (app));
  g_unlink (kept);
  g_rmdir (dir);
}

/* The save-changes pattern: New, Open, the demo, Close Project and closing
 * ask first when there are unsaved changes — and only then. Cancel keeps
 * everything, Discard goes on, Save writes the file and goes on. */
static void
test_unsaved_question (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-unsaved-XXXXXX", &error);
  g_autofree char *path = write_project (dir, "edited.vectorsmith.json", "Edited project");
  g_autoptr(VsApplication) app = new_test_app ("UnsavedTest", NULL);
  g_autofree char *saved = NULL;
  VsWindow *window;
  VsProject *project;

  g_application_activate (G_APPLICATION (app));
  window = VS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the window to be mapped");
  project = vs_window_get_project (window);
  g_assert_true (vs_window_open_project (window, path, NULL));

  /* Nothing changed: New asks nothing. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL);
  g_assert_null (find_question ());
  g_assert_null (vs_project_get_file (project));

  /* Changed: Cancel keeps the project and its changes. */
  g_assert_true (vs_window_open_project (window, path, NULL));
  vs_project_set_string (project, "output_dir", "changed-output");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL);
  answer ("cancel");
  g_assert_cmpstr (vs_project_get_file (project), ==, path);
  g_assert_true (vs_project_get_dirty (project));
  g_assert_cmpstr (vs_project_get_string (project, "output_dir"), ==, "changed-output");

  /* Close Project, Discard: the start page, the file on disk as it was. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.close-project", NULL);
  answer ("discard");
  g_assert_true (vs_window_get_showing_start (window));
  g_assert_true (g_file_get_contents (path, &saved, NULL, &error));
  g_assert_null (strstr (saved, "changed-output"));
  g_clear_pointer (&saved, g_free);

  /* The demo over a changed project, Save: the change is on disk, then the demo. */
  g_assert_true (vs_window_open_project (window, path, NULL));
  vs_project_set_string (project, "output_dir", "saved-output");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-demo", NULL);
  answer ("save");
  g_assert_true (g_file_get_contents (path, &saved, NULL, &error));
  g_assert_nonnull (strstr (saved, "saved-output"));
  g_assert_null (vs_project_get_file (project));
  g_assert_cmpstr (vs_project_get_string (project, "loss.name"), ==, "CoSENTLoss");
  g_assert_false (vs_project_get_dirty (project));

  /* Closing a changed window asks; Cancel keeps it open. */
  vs_project_set_string (project, "output_dir", "demo-output");
  gtk_window_close (GTK_WINDOW (window));
  answer ("cancel");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (vs_project_get_dirty (project));

  destroy_windows (GTK_APPLICATION (app));
  g_unlink (path);
  g_rmdir (dir);
}

/* The file chooser the window is showing (GtkFileChooserNative falls back to
 * a GtkFileChooserDialog outside a sandbox), or NULL. */
static GtkFileChooser *
find_chooser (void)
{
  return find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
}

static gboolean
chooser_has_file (gpointer data)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (data);
  return file != NULL && g_file_equal (file, g_object_get_data (data, "vs-test-file"));
}

static gboolean
chooser_is_shown (gpointer data)
{
  return find_chooser () != NULL;
}

/* The chooser's name entry: the editable showing the suggested name. */
static GtkWidget *
find_name_entry (GtkWidget  *widget,
                 const char *name)
{
  if (GTK_IS_ENTRY (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (widget)), name) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_name_entry (c, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Picks path in the chooser as a user would (its folder, then its name for
 * Save, or the file for Open) and presses the chooser's accept button. */
static void
choose (const char *path,
        const char *expect_action_title)
{
  GtkFileChooser *chooser;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  vs_gui_wait_for (chooser_is_shown, NULL, "the file chooser");
  chooser = find_chooser ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (chooser)), ==, expect_action_title);
  /* Once it is up and has taken what the window gave it (the suggested
   * name), put the folder and the name in, as the user would. */
  vs_gui_wait_for (vs_gui_widget_is_mapped, chooser, "the chooser to be mapped");
  vs_gui_wait_for_frame (GTK_WIDGET (chooser));
  if (gtk_file_chooser_get_action (chooser) == GTK_FILE_CHOOSER_ACTION_SAVE)
    {
      /* Typed into the name entry: a whole path goes to its folder. */
      GtkWidget *entry = find_name_entry (GTK_WIDGET (chooser), gtk_file_chooser_get_current_name (chooser));
      g_assert_nonnull (entry);
      gtk_editable_set_text (GTK_EDITABLE (entry), path);
    }
  else
    {
      g_assert_true (gtk_file_chooser_set_file (chooser, file, &error));
      g_assert_no_error (error);
    }
  g_object_set_data (G_OBJECT (chooser), "vs-test-file", file);
  vs_gui_wait_for (chooser_has_file, chooser, "the chooser to take the file");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

/* The header's subtitle: where the project lives, or that it has changes. */
static const char *
header_subtitle (GtkWidget *widget)
{
  if (ADW_IS_VIEW_SWITCHER_TITLE (widget))
    return adw_view_switcher_title_get_subtitle (ADW_VIEW_SWITCHER_TITLE (widget));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      const char *s = header_subtitle (c);
      if (s != NULL)
        return s;
    }
  return NULL;
}

static gboolean
project_is_saved (gpointer data)
{
  return vs_project_get_file (data) != NULL && !vs_project_get_dirty (data);
}

static gboolean
project_has_file (gpointer data)
{
  return vs_project_get_file (data) != NULL;
}

static gboolean
question_or_chooser_is_shown (gpointer data)
{
  return find_question () != NULL || find_chooser () != NULL;
}

/* Save As writes the project where the file chooser says, Open reads it back
 * the same; the title follows the file and its dirty state; the unsaved
 * question comes before Open only when there are changes. */
static void
test_save_as_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vs-save-as-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "round trip.vectorsmith.json", NULL);
  g_autoptr(VsApplication) app = new_test_app ("SaveAsTest", NULL);
  g_autofree char *saved_text = NULL;
  cJSON *before;
  cJSON *saved;
  VsWindow *window;
  VsProject *project;

  g_application_activate (G_APPLICATION (app));
  window = VS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the window to be mapped");
  project = vs_window_get_project (window);

  /* The demo, changed: the title says so. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-demo", NULL);
  g_assert_null (find_question ());
  vs_project_set_string (project, "loss.name", "MultipleNegativesRankingLoss");
  vs_project_set_string (project, "output_dir", "round-trip-output");
  g_assert_true (vs_project_get_dirty (project));
  g_assert_cmpstr (header_subtitle (GTK_WIDGET (window)), ==, "Unsaved changes");
  before = cJSON_Duplicate (vs_project_get_document (project), TRUE);

  /* Save As through the chooser: the file holds the document, the title
   * names it and is clean, the project now lives there. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-project-as", NULL);
  choose (path, "Save the Project");
  vs_gui_wait_for (project_is_saved, project, "the project to be saved");
  g_assert_true (g_file_get_contents (path, &saved_text, NULL, &error));
  g_assert_no_error (error);
  saved = cJSON_Parse (saved_text);
  g_assert_nonnull (saved);
  /* Saved elsewhere, the demo's relative paths now name the same files
   * from the new folder: the file holds the project's document as it is
   * now, and everything else is as it was. */
  g_assert_true (cJSON_Compare (saved, vs_project_get_document (project), TRUE));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (saved, "loss"), "name")), ==,
                   "MultipleNegativesRankingLoss");
  {
    const char *train = cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetObjectItem (saved, "train"), "path"));
    g_assert_nonnull (train);
    g_assert_true (g_path_is_absolute (train));
    g_assert_true (g_file_test (train, G_FILE_TEST_IS_REGULAR));
  }
  cJSON_Delete (saved);
  cJSON_Delete (before);
  before = cJSON_Duplicate (vs_project_get_document (project), TRUE);
  g_assert_cmpstr (vs_project_get_file (project), ==, path);
  g_assert_false (vs_project_get_dirty (project));
  g_assert_cmpstr (header_subtitle (GTK_WIDGET (window)), ==, dir);
  {
    g_autofree char *title = g_strdup_printf ("%s — Vectorsmith", vs_project_get_string (project, "name"));
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, title);
  }

  /* A new project, then Open through the chooser: no question (nothing
   * changed), and the project comes back equal to what was saved. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL);
  g_assert_null (find_question ());
  g_assert_null (vs_project_get_file (project));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-project", NULL);
  vs_gui_wait_for (question_or_chooser_is_shown, NULL, "the file chooser");
  g_assert_null (find_question ());
  choose (path, "Open a Project");
  vs_gui_wait_for (project_has_file, project, "the project to be opened");
  g_assert_cmpstr (vs_project_get_file (project), ==, path);
  g_assert_false (vs_project_get_dirty (project));
  g_assert_true (cJSON_Compare (vs_project_get_document (project), before, TRUE));
  g_assert_cmpstr (vs_project_get_string (project, "loss.name"), ==, "MultipleNegativesRankingLoss");

  /* Changed again: Open asks first; Cancel in the chooser keeps the change. */
  vs_project_set_string (project, "output_dir", "changed-again");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-project", NULL);
  answer ("discard");
  vs_gui_wait_for (chooser_is_shown, NULL, "the file chooser after Discard");
  gtk_dialog_response (GTK_DIALOG (find_chooser ()), GTK_RESPONSE_CANCEL);
  g_assert_cmpstr (vs_project_get_file (project), ==, path);

  /* Save (Ctrl+S) of an opened project writes to its own file, no chooser. */
  vs_project_set_string (project, "output_dir", "saved-in-place");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-project", NULL);
  g_assert_null (find_chooser ());
  g_clear_pointer (&saved_text, g_free);
  g_assert_true (g_file_get_contents (path, &saved_text, NULL, &error));
  g_assert_nonnull (strstr (saved_text, "saved-in-place"));
  g_assert_false (vs_project_get_dirty (project));

  vs_gui_keep_artefacts ("window", "save-as", dir);
  vs_gui_keep_settings ("window", vs_application_get_settings (app));
  cJSON_Delete (before);
  destroy_windows (GTK_APPLICATION (app));
  g_unlink (path);
  g_rmdir (dir);
}

/* Every shortcut of the widgets' own bindings (window, pages) as
 * "ACTION TRIGGER" lines, from their shortcut controllers. */
static void
collect_bindings (GtkWidget *widget,
                  GPtrArray *out)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (c))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (c)); j++)
        {
          g_autoptr(GtkShortcut) sc = g_list_model_get_item (G_LIST_MODEL (c), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (sc);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (sc));

          if (GTK_IS_NAMED_ACTION (action))
            g_ptr_array_add (out, g_strdup_printf ("%s %s", gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)),
                                                   trigger));
        }
    }
}

static gboolean
binding_has_trigger (GPtrArray  *bindings,
                     const char *action,
                     const char *accel)
{
  g_autoptr(GtkShortcutTrigger) want = gtk_shortcut_trigger_parse_string (accel);

  g_assert_nonnull (want);
  for (guint i = 0; i < bindings->len; i++)
    {
      const char *line = bindings->pdata[i];
      const char *sp = strchr (line, ' ');
      g_autofree char *name = g_strndup (line, (gsize) (sp - line));
      g_autoptr(GtkShortcutTrigger) have = gtk_shortcut_trigger_parse_string (sp + 1);

      if ((action == NULL || strcmp (name, action) == 0) && have != NULL && gtk_shortcut_trigger_equal (have, want))
        return TRUE;
    }
  return FALSE;
}

/* The shortcuts window tells the truth: each key it lists is really bound
 * (to the window, a page or the application), and each key the window and
 * the pages bind is listed there. */
static void
test_shortcuts_window (void)
{
  g_autoptr(VsApplication) app = new_test_app ("ShortcutsTest", NULL);
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  GSList *objects;
  VsWindow *window;
  AdwViewStack *stack;

  g_application_activate (G_APPLICATION (app));
  window = VS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  stack = vs_window_get_stack (window);
  collect_bindings (GTK_WIDGET (window), bindings);
  collect_bindings (adw_view_stack_get_child_by_name (stack, "train"), bindings);
  collect_bindings (adw_view_stack_get_child_by_name (stack, "try"), bindings);
  {
    g_auto(GStrv) actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
    for (guint i = 0; actions[i] != NULL; i++)
      {
        g_autofree char *name = NULL;
        g_auto(GStrv) accels = NULL;

        name = g_strndup (actions[i], strcspn (actions[i], ":("));
        accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);
        for (guint j = 0; accels[j] != NULL; j++)
          g_ptr_array_add (bindings, g_strdup_printf ("%s %s", name, accels[j]));
      }
  }
  g_assert_cmpuint (bindings->len, >=, 15);

  builder = gtk_builder_new_from_resource ("/io/github/vectorsmith/Vectorsmith/gtk/help-overlay.ui");
  objects = gtk_builder_get_objects (builder);
  for (GSList *l = objects; l != NULL; l = l->next)
    {
      g_autofree char *title = NULL;
      g_autofree char *accel = NULL;
      g_autofree char *action = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        continue;
      g_object_get (l->data, "title", &title, "accelerator", &accel, "action-name", &action, NULL);
      if (action != NULL)
        {
          /* Listed by action: the window shows whatever it is bound to. */
          gboolean bound = FALSE;
          for (guint i = 0; i < bindings->len && !bound; i++)
            bound = g_str_has_prefix (bindings->pdata[i], action) &&
                    ((const char *) bindings->pdata[i])[strlen (action)] == ' ';
          if (!bound && strcmp (action, "win.show-help-overlay") != 0)
            g_error ("the shortcuts window lists \"%s\" (%s), which no key is bound to", title, action);
          g_ptr_array_add (listed, g_strdup (action));
        }
      else
        {
          g_assert_nonnull (accel);
          if (!binding_has_trigger (bindings, NULL, accel))
            g_error ("the shortcuts window lists %s for \"%s\", which nothing binds", accel, title);
          g_ptr_array_add (listed, g_strdup (accel));
        }
    }
  g_slist_free (objects);

  for (guint i = 0; i < bindings->len; i++)
    {
      const char *line = bindings->pdata[i];
      const char *sp = strchr (line, ' ');
      g_autofree char *name = g_strndup (line, (gsize) (sp - line));
      g_autoptr(GtkShortcutTrigger) have = gtk_shortcut_trigger_parse_string (sp + 1);
      gboolean found = FALSE;

      for (guint j = 0; j < listed->len && !found; j++)
        {
          g_autoptr(GtkShortcutTrigger) want = NULL;

          if (strcmp (listed->pdata[j], name) == 0)
            found = TRUE;
          else if ((want = gtk_shortcut_trigger_parse_string (listed->pdata[j])) != NULL)
            found = have != NULL && gtk_shortcut_trigger_equal (have, want);
        }
      if (!found)
        g_error ("%s is bound to %s but the shortcuts window does not list it", sp + 1, name);
    }
  g_assert_true (binding_has_trigger (bindings, "train.stop", "<Shift>F5"));
  g_assert_true (binding_has_trigger (bindings, "train.cancel", "<Control><Shift>F5"));
  destroy_windows (GTK_APPLICATION (app));
}

int
main (int argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* A canary: the app holds a Hub token, and no project file or setting the
   * tests make it write may hold it (gui-token-scan reads them). */
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* A screenshot mid-transition would show two states at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/main-window", test_main_window);
  g_test_add_func ("/app/open-files", test_open_files);
  g_test_add_func ("/app/start-page", test_start_page);
  g_test_add_func ("/app/unsaved-question", test_unsaved_question);
  g_test_add_func ("/app/save-as-round-trip", test_save_as_round_trip);
  g_test_add_func ("/app/shortcuts-window", test_shortcuts_window);
  return g_test_run ();
}
