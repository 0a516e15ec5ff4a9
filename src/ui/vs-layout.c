/* vs-layout.c: narrow windows and scrolling, for the pages. */
#include "config.h"

#include <string.h>

#include "vs-layout.h"

void
vs_narrow_watch_init (VsNarrowWatch *watch,
                      GtkWidget     *widget,
                      int            threshold,
                      VsNarrowFunc   func)
{
  memset (watch, 0, sizeof *watch);
  watch->widget = widget;
  watch->threshold = threshold;
  watch->func = func;
  watch->narrow = -1;
}

static void
check_width (VsNarrowWatch *watch)
{
  int narrow;

  /* A surface not yet shown is 1 px wide: no width to follow yet. */
  if (watch->surface == NULL || gdk_surface_get_width (watch->surface) <= 1)
    return;
  narrow = gdk_surface_get_width (watch->surface) < watch->threshold;
  if (narrow == watch->narrow)
    return;
  watch->narrow = narrow;
  watch->func (watch->widget, narrow);
}

/* The surface's width changes in the middle of the frame's layout: the
 * page changes its layout at the next idle, outside it. */
static gboolean
check_idle (gpointer data)
{
  VsNarrowWatch *watch = data;

  watch->idle = 0;
  check_width (watch);
  return G_SOURCE_REMOVE;
}

static void
queue_check (VsNarrowWatch *watch)
{
  if (watch->idle == 0)
    watch->idle = g_idle_add (check_idle, watch);
}

/* The window's surface exists once the window is realized, which may be
 * before or after the page joins it. */
static void
watch_surface (VsNarrowWatch *watch)
{
  GtkNative *native = gtk_widget_get_native (watch->widget);
  GdkSurface *surface = native != NULL ? gtk_native_get_surface (native) : NULL;

  if (surface == NULL || surface == watch->surface)
    return;
  if (watch->surface != NULL)
    g_clear_signal_handler (&watch->width_handler, watch->surface);
  g_clear_object (&watch->surface);
  /* Held: the window may drop its surface (unrealize) before the page is
   * unrooted, and the handler is disconnected from it then. */
  watch->surface = g_object_ref (surface);
  watch->width_handler = g_signal_connect_swapped (surface, "notify::width",
                                                   G_CALLBACK (queue_check), watch);
  check_width (watch);
}

void
vs_narrow_watch_attach (VsNarrowWatch *watch)
{
  GtkNative *native = gtk_widget_get_native (watch->widget);

  if (native == NULL)
    return;
  watch->native = GTK_WIDGET (native);
  watch->realize_handler = g_signal_connect_swapped (native, "realize",
                                                     G_CALLBACK (watch_surface), watch);
  watch_surface (watch);
}

void
vs_narrow_watch_detach (VsNarrowWatch *watch)
{
  if (watch->native != NULL)
    g_clear_signal_handler (&watch->realize_handler, watch->native);
  watch->native = NULL;
  if (watch->surface != NULL)
    g_clear_signal_handler (&watch->width_handler, watch->surface);
  g_clear_object (&watch->surface);
  g_clear_handle_id (&watch->idle, g_source_remove);
}

gboolean
vs_narrow_watch_is_narrow (VsNarrowWatch *watch)
{
  return watch->narrow == 1;
}

int
vs_narrow_watch_get_height (VsNarrowWatch *watch)
{
  return watch->surface != NULL ? gdk_surface_get_height (watch->surface) : 0;
}

void
vs_scroll_to_widget (GtkScrolledWindow *scroller,
                     GtkWidget         *target)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (scroller);
  GtkWidget *content;
  graphene_point_t p;

  if (target == NULL)
    {
      gtk_adjustment_set_value (adj, 0);
      return;
    }
  /* In the content's coordinates: a viewport's own ones move with the
   * scrolling, so the target's place in them depends on where we are. */
  content = gtk_scrolled_window_get_child (scroller);
  if (GTK_IS_VIEWPORT (content) && gtk_viewport_get_child (GTK_VIEWPORT (content)) != NULL)
    content = gtk_viewport_get_child (GTK_VIEWPORT (content));
  if (gtk_widget_compute_point (target, content, &GRAPHENE_POINT_INIT (0, 0), &p))
    gtk_adjustment_set_value (adj, MAX (0, p.y - 12));
}
