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

int
main (int argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* A screenshot mid-transition would show two states at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/main-window", test_main_window);
  g_test_add_func ("/app/open-files", test_open_files);
  return g_test_run ();
}
