/* vs-window.h: the main window, one page per step of the workbench flow.
 *
 * The pages are, in order: model, dataset, loss, train, try, share (the
 * names of the AdwViewStack children). The window keeps its size in
 * GSettings.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VS_TYPE_WINDOW (vs_window_get_type ())

G_DECLARE_FINAL_TYPE (VsWindow, vs_window, VS, WINDOW, AdwApplicationWindow)

VsWindow     *vs_window_new (GtkApplication *application, GSettings *settings);
AdwViewStack *vs_window_get_stack (VsWindow *self);

G_END_DECLS
