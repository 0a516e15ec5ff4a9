/* vs-window.h: the main window, one page per step of the workbench flow.
 *
 * The pages are, in order: model, dataset, loss, train, try, share (the
 * names of the AdwViewStack children). Each page reads and writes the
 * window's VsProject; the window itself only opens, saves and titles the
 * project (actions win.new-project, win.open-project, win.save-project,
 * win.save-project-as, win.open-demo) and keeps its size in GSettings.
 * On first start the demo project (data/demo/recipe.json) is opened, so
 * every page has content at once.
 */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_WINDOW (vs_window_get_type ())

G_DECLARE_FINAL_TYPE (VsWindow, vs_window, VS, WINDOW, AdwApplicationWindow)

VsWindow     *vs_window_new         (GtkApplication *application,
                                     GSettings      *settings);
AdwViewStack *vs_window_get_stack   (VsWindow       *self);
VsProject    *vs_window_get_project (VsWindow       *self);

/* Opens a recipe file as the project; FALSE + a toast (and error) when it
 * cannot be read, the previous project kept. */
gboolean      vs_window_open_project (VsWindow      *self,
                                      const char    *path,
                                      GError       **error);
/* Opens the bundled demo as an untitled project (its files stay where they
 * are installed; saving asks where). */
gboolean      vs_window_open_demo   (VsWindow       *self,
                                     GError        **error);
/* The demo recipe's path: $VS_DEMO_DIR, the installed copy, or the source
 * tree's when running uninstalled. g_free. */
char         *vs_window_find_demo_recipe (void);

/* The start page (New / Open / Demo and the recent projects) instead of
 * the workbench; opening or creating a project shows the workbench again. */
void          vs_window_show_start  (VsWindow       *self);
gboolean      vs_window_get_showing_start (VsWindow *self);
/* For tests: the i-th recent project row of the start page, or NULL. */
GtkWidget    *vs_window_get_recent_row (VsWindow    *self,
                                        guint        i);

/* Shows a transient message at the bottom of the window. */
void          vs_window_add_toast   (VsWindow       *self,
                                     const char     *text);

G_END_DECLS
