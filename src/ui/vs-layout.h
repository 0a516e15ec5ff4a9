/* vs-layout.h: layout helpers the pages share.
 *
 * VsNarrowWatch: GTK 4.8 has no breakpoints, so a page whose layout must
 * change in a narrow window watches its window's GdkSurface width. Call
 * vs_narrow_watch_attach from the widget's root vfunc and
 * vs_narrow_watch_detach from unroot (a page not shown yet still sets the
 * window's minimum width, so realize is too late); func runs, outside the
 * frame's layout, each time the window crosses the threshold.
 *
 * vs_scroll_to_widget: scrolls a GtkScrolledWindow so target sits at its
 * top (tests scroll pages to the section they shoot).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*VsNarrowFunc) (GtkWidget *widget,
                              gboolean   narrow);

typedef struct
{
  GtkWidget    *widget;
  int           threshold;     /* narrow below this window width */
  VsNarrowFunc  func;
  GtkWidget    *native;        /* the window, watched for its realize */
  gulong        realize_handler;
  GdkSurface   *surface;       /* watched for its width (a reference) */
  gulong        width_handler;
  guint         idle;
  int           narrow;        /* -1 before the first known width */
} VsNarrowWatch;

void        vs_narrow_watch_init      (VsNarrowWatch *watch,
                                       GtkWidget     *widget,
                                       int            threshold,
                                       VsNarrowFunc   func);
void        vs_narrow_watch_attach    (VsNarrowWatch *watch);
void        vs_narrow_watch_detach    (VsNarrowWatch *watch);
gboolean    vs_narrow_watch_is_narrow (VsNarrowWatch *watch);
/* The window's surface height (0 when unknown). */
int         vs_narrow_watch_get_height (VsNarrowWatch *watch);

void        vs_scroll_to_widget       (GtkScrolledWindow *scroller,
                                       GtkWidget         *target);

G_END_DECLS
