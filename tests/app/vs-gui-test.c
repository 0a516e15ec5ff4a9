/* vs-gui-test.c: what every GUI test needs: waiting without sleeping,
 * screenshots, keeping artefacts for the token scan. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "vs-gui-test.h"

static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until condition (data) holds; fails on timeout. */
void
vs_gui_wait_for (VsGuiCondition  condition,
                 gpointer        data,
                 const char     *what)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (VS_GUI_WAIT_TIMEOUT_MS, timed_out_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("timed out waiting for %s", what);
  g_source_remove (timeout_id);
}

gboolean
vs_gui_widget_is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

gboolean
vs_gui_window_count_is_at_least (gpointer data)
{
  guint wanted = GPOINTER_TO_UINT (data);

  return g_list_model_get_n_items (gtk_window_get_toplevels ()) >= wanted;
}

gboolean
vs_gui_widget_has_size (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (data)) > 0;
}

typedef struct
{
  GtkWidget     *widget;
  GskRenderNode *node;
} Snapshot;

/* The widget has drawn at least one frame once its paintable gives a node. */
static gboolean
widget_has_drawn (gpointer data)
{
  Snapshot *shot = data;
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (shot->widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  int width = gtk_widget_get_width (shot->widget);
  int height = gtk_widget_get_height (shot->widget);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  g_clear_pointer (&shot->node, gsk_render_node_unref);
  shot->node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (shot->node == NULL)
    gtk_widget_queue_draw (shot->widget);
  return shot->node != NULL;
}

void
vs_gui_save_screenshot (GtkWidget  *widget,
                 const char *path)
{
  Snapshot shot = { widget, NULL };
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (widget));

  vs_gui_wait_for (widget_has_drawn, &shot, "the main window to draw");
  texture = gsk_renderer_render_texture (renderer, shot.node,
                                         &GRAPHENE_RECT_INIT (0, 0,
                                                              gtk_widget_get_width (widget),
                                                              gtk_widget_get_height (widget)));
  gsk_render_node_unref (shot.node);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s (%dx%d)", path,
                  gdk_texture_get_width (texture), gdk_texture_get_height (texture));
}


static gboolean
task_done (gpointer data)
{
  return *(gboolean *) data;
}

void
vs_gui_wait_for_flag (gboolean   *flag,
                      const char *what)
{
  vs_gui_wait_for (task_done, flag, what);
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       flag)
{
  *(gboolean *) flag = TRUE;
}

void
vs_gui_wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gtk_widget_queue_draw (widget);
  vs_gui_wait_for_flag (&painted, "a frame to be painted");
  g_signal_handler_disconnect (clock, handler);
}

void
vs_gui_save_screenshot_dark (GtkWidget  *widget,
                             const char *path)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  AdwColorScheme before = adw_style_manager_get_color_scheme (style);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (adw_style_manager_get_dark (style));
  /* The new style sheet applies at the next frame's style update. */
  vs_gui_wait_for_frame (widget);
  vs_gui_save_screenshot (widget, path);
  adw_style_manager_set_color_scheme (style, before);
  vs_gui_wait_for_frame (widget);
}

static gboolean
window_has_width (gpointer data)
{
  GtkWidget *window = data;
  int wanted = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (window), "vs-gui-wanted-width"));

  return ABS (gtk_widget_get_width (window) - wanted) <= 40;
}

/* While waiting for the width, asks again every half second: on a loaded
 * machine a request made while the window's minimum was still the wide
 * one can be lost, and an idle window would wait for nothing. */
static gboolean
ask_again_cb (gpointer data)
{
  GtkWidget *window = data;
  int width = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (window), "vs-gui-wanted-width"));
  int height = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (window), "vs-gui-wanted-height"));
  guint asked = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (window), "vs-gui-asked")) + 1;

  g_object_set_data (G_OBJECT (window), "vs-gui-asked", GUINT_TO_POINTER (asked));
  if (!window_has_width (window))
    gtk_window_set_default_size (GTK_WINDOW (window), width + (int) (asked % 2), height);
  return G_SOURCE_CONTINUE;
}

/* Asks for the size, then again: a page that reflows at the new width (the
 * Dataset page) lowers the window's minimum only after the first frames,
 * and GTK 4.8 applies a lower minimum at the next request. */
static void
request_size (GtkWidget *window,
              int        width,
              int        height)
{
  for (int attempt = 0; attempt < 3; attempt++)
    {
      /* A default size equal to the last one is not a new request. */
      gtk_window_set_default_size (GTK_WINDOW (window), width + (attempt % 2), height);
      vs_gui_wait_for_frame (window);
      vs_gui_wait_for_frame (window);
      if (window_has_width (window))
        break;
    }
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  vs_gui_wait_for_frame (window);
}

void
vs_gui_resize (GtkWidget *window,
               int        width,
               int        height)
{
  /* GTK 4.8's GtkActionBar, revealed by AdwViewSwitcherBar with animations
   * off, allocates its inner box once at 0 × -1 in the frame the window
   * turns narrow, with a warning gtk_test_init makes fatal. Warnings stay
   * non-fatal for the frames of the resize only. */
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_object_set_data (G_OBJECT (window), "vs-gui-wanted-width", GINT_TO_POINTER (width));
  g_object_set_data (G_OBJECT (window), "vs-gui-wanted-height", GINT_TO_POINTER (height));
  request_size (window, width, height);
  {
    guint ask_id = g_timeout_add (500, ask_again_cb, window);

    vs_gui_wait_for (window_has_width, window, "the window to take its new width");
    g_source_remove (ask_id);
  }
  vs_gui_wait_for_frame (window);
  g_log_set_always_fatal (fatal);
}

gboolean
vs_gui_drop_file (GtkWidget  *widget,
                  const char *path)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GtkDropTarget *target = NULL;
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (c))
        {
          gsize n_types = 0;
          const GType *types = gtk_drop_target_get_gtypes (GTK_DROP_TARGET (c), &n_types);

          for (gsize t = 0; t < n_types; t++)
            if (types[t] == G_TYPE_FILE)
              target = GTK_DROP_TARGET (c);
        }
    }
  g_assert_nonnull (target);
  g_value_init (&value, G_TYPE_FILE);
  g_value_set_object (&value, file);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  return accepted;
}

void
vs_gui_resize_no_wait (GtkWidget *window,
                       int        width,
                       int        height)
{
  /* The same toolkit warning as in vs_gui_resize () above. */
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  vs_gui_wait_for_frame (window);
  vs_gui_wait_for_frame (window);
  g_log_set_always_fatal (fatal);
}

int
vs_gui_get_min_width (GtkWidget *widget)
{
  int min = 0, nat = 0;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  return min;
}

/* Prints the innermost widgets that hold the page wider than limit: those
 * none of whose children exceeds it or carries its width (a child within
 * its margins, 24 px). */
static void
print_wide_widgets (GtkWidget *widget,
                    int        limit,
                    int        depth)
{
  int own = vs_gui_get_min_width (widget);
  gboolean child_over = FALSE;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      int min = gtk_widget_get_visible (c) ? vs_gui_get_min_width (c) : 0;

      if (min > limit || (min > 0 && min >= own - 24))
        {
          child_over = TRUE;
          print_wide_widgets (c, limit, depth + 1);
        }
    }
  if (!child_over)
    {
      g_autoptr(GString) chain = g_string_new (NULL);

      for (GtkWidget *w = widget; w != NULL && depth-- >= 0; w = gtk_widget_get_parent (w))
        {
          const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (w));

          g_string_append_printf (chain, " < %s%s%s(%d)", G_OBJECT_TYPE_NAME (w),
                                  id ? "#" : "", id ? id : "", vs_gui_get_min_width (w));
        }
      g_test_message ("too wide:%s", chain->str);
    }
}

void
vs_gui_print_wide_widgets (GtkWidget *widget,
                           int        limit)
{
  if (vs_gui_get_min_width (widget) > limit)
    print_wide_widgets (widget, limit, 0);
}

char *
vs_gui_screenshot_path (const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("VS_BUILD_DIR"), "tests", "app", "screenshots", NULL);
  g_autofree char *file = g_strconcat (name, ".png", NULL);

  g_mkdir_with_parents (dir, 0755);
  return g_build_filename (dir, file, NULL);
}

/* ---- artefacts for the token scan ------------------------------------------- */

#define VS_GUI_ARTEFACT_MAX_BYTES (8 * 1024 * 1024)

static char *
artefact_dir (const char *test)
{
  return g_build_filename (g_getenv ("VS_BUILD_DIR") != NULL ? g_getenv ("VS_BUILD_DIR") : ".",
                           "tests", "gui-artefacts", test, NULL);
}

static void
copy_artefacts (const char *from,
                const char *to)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (to, 0755);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      GStatBuf st;

      if (g_lstat (src, &st) != 0 || S_ISLNK (st.st_mode))
        continue;
      if (S_ISDIR (st.st_mode))
        {
          copy_artefacts (src, dst);
          continue;
        }
      if (!S_ISREG (st.st_mode) || st.st_size > VS_GUI_ARTEFACT_MAX_BYTES ||
          strcmp (name, "token") == 0 || strcmp (name, "stored_tokens") == 0)
        continue;
      {
        g_autofree char *data = NULL;
        gsize len;
        g_autoptr(GError) error = NULL;

        if (!g_file_get_contents (src, &data, &len, NULL))
          continue;
        if (!g_file_set_contents (dst, data, (gssize) len, &error))
          g_error ("keeping %s: %s", src, error->message);
      }
    }
}

void
vs_gui_keep_artefacts (const char *test,
                       const char *label,
                       const char *dir)
{
  g_autofree char *root = artefact_dir (test);
  g_autofree char *to = g_build_filename (root, label, NULL);

  copy_artefacts (dir, to);
}

void
vs_gui_keep_settings (const char *test,
                      GSettings  *settings)
{
  g_autofree char *root = artefact_dir (test);
  g_autofree char *path = g_build_filename (root, "settings.txt", NULL);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) v = g_settings_get_value (settings, keys[i]);
      g_autofree char *s = g_variant_print (v, FALSE);
      g_string_append_printf (text, "%s=%s\n", keys[i], s);
    }
  g_mkdir_with_parents (root, 0755);
  if (!g_file_set_contents (path, text->str, (gssize) text->len, &error))
    g_error ("keeping the settings: %s", error->message);
}
