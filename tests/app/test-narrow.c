/* test-narrow.c: every page of the demo at a phone's 360 px.
 *
 * Measures each page's minimum width (gtk_widget_measure, horizontal) on
 * the demo project as it opens and asserts it fits a 360 px window (the
 * Dataset page in its narrow layout, settings above the table); when one
 * does not, the widgets that hold it wide are named. Then the window is
 * resized to 360 × 720 — it must get there — and each page is shot, light
 * and dark.
 */
#include "config.h"

#include <adwaita.h>

#include "vs-dataset-page.h"

#include "vs-application.h"
#include "vs-window.h"

#include "vs-gui-test.h"

static const char *pages[] = { "model", "dataset", "loss", "train", "try", "share" };

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_descendant (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* No squeezer mid-transition, and the bottom switcher bar, when shown, fully revealed. */
static gboolean
window_settled (gpointer data)
{
  GtkWidget *window = data;
  GtkWidget *squeezer = find_descendant (window, ADW_TYPE_SQUEEZER);
  GtkWidget *bar = find_descendant (window, ADW_TYPE_VIEW_SWITCHER_BAR);
  GtkWidget *revealer = bar != NULL ? find_descendant (bar, GTK_TYPE_REVEALER) : NULL;

  if (squeezer != NULL && adw_squeezer_get_transition_running (ADW_SQUEEZER (squeezer)))
    return FALSE;
  if (bar != NULL && revealer != NULL && adw_view_switcher_bar_get_reveal (ADW_VIEW_SWITCHER_BAR (bar)))
    return gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
  return TRUE;
}

static GtkWidget *
show_page (GtkWindow  *window,
           const char *name)
{
  AdwViewStack *stack = vs_window_get_stack (VS_WINDOW (window));
  GtkWidget *page = adw_view_stack_get_child_by_name (stack, name);

  adw_view_stack_set_visible_child_name (stack, name);
  vs_gui_wait_for (vs_gui_widget_is_mapped, page, "the page to be mapped");
  vs_gui_wait_for_frame (GTK_WIDGET (window));
  vs_gui_wait_for_frame (GTK_WIDGET (window));   /* the switcher's buttons follow */
  return page;
}

static void
test_narrow (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 800);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");

  /* The Dataset page is wide beside its table until the window is narrow. */
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_strcmp0 (pages[i], "dataset") != 0)
      {
        GtkWidget *page = show_page (window, pages[i]);
        int min = vs_gui_get_min_width (page);

        g_test_message ("%s page minimum width: %d", pages[i], min);
        vs_gui_print_wide_widgets (page, 360);
        g_assert_cmpint (min, <=, 360);
      }

  vs_gui_resize (GTK_WIDGET (window), 360, 720);
  g_assert_true (vs_dataset_page_get_narrow (VS_DATASET_PAGE (adw_view_stack_get_child_by_name (
    vs_window_get_stack (VS_WINDOW (window)), "dataset"))));
  /* The header's switcher cross-fades into the title, the bottom bar slides in. */
  vs_gui_wait_for (window_settled, window, "the window's narrow header and bottom bar");
  g_test_message ("window width asked 360, got %d", gtk_widget_get_width (GTK_WIDGET (window)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 400);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strdup_printf ("narrow-demo-%s", pages[i]);
      g_autofree char *dark_name = g_strdup_printf ("narrow-demo-%s-dark", pages[i]);
      g_autofree char *path = vs_gui_screenshot_path (name);
      g_autofree char *dark = vs_gui_screenshot_path (dark_name);
      GtkWidget *page = show_page (window, pages[i]);

      g_assert_cmpint (vs_gui_get_min_width (page), <=, 360);
      vs_gui_save_screenshot (GTK_WIDGET (window), path);
      vs_gui_save_screenshot_dark (GTK_WIDGET (window), dark);
    }
  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/narrow", test_narrow);
  return g_test_run ();
}
