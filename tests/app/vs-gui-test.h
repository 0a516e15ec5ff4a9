/* vs-gui-test.h: helpers for the GUI tests (run under Xvfb, never sleeping).
 *
 * vs_gui_wait_for () iterates the main context until a condition holds and
 * fails the test after VS_GUI_WAIT_TIMEOUT_MS; screenshots go under
 * $VS_BUILD_DIR/tests/app/screenshots/NAME.png.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VS_GUI_WAIT_TIMEOUT_MS 60000

typedef gboolean (*VsGuiCondition) (gpointer data);

/* Iterates the main context until condition (data) holds; g_error on timeout. */
void      vs_gui_wait_for                 (VsGuiCondition condition,
                                           gpointer       data,
                                           const char    *what);
/* Until *flag is TRUE. */
void      vs_gui_wait_for_flag            (gboolean      *flag,
                                           const char    *what);
gboolean  vs_gui_widget_is_mapped         (gpointer       widget);
gboolean  vs_gui_widget_has_size          (gpointer       widget);
/* data: GUINT_TO_POINTER (n) */
gboolean  vs_gui_window_count_is_at_least (gpointer       data);
/* Renders widget once it has drawn a frame and writes a PNG. */
void      vs_gui_save_screenshot          (GtkWidget     *widget,
                                           const char    *path);
/* $VS_BUILD_DIR/tests/app/screenshots/NAME.png (folder created). g_free. */
char     *vs_gui_screenshot_path          (const char    *name);
/* Resizes the window (to a phone's 360 px, say) and waits until it has its
 * new width and has drawn it. */
void      vs_gui_resize                   (GtkWidget     *window,
                                           int            width,
                                           int            height);
/* Drops a file on widget through its GtkDropTarget for files, as GTK does
 * when a file is dragged there from the file manager; the handler's answer. */
gboolean  vs_gui_drop_file                (GtkWidget     *widget,
                                           const char    *path);
/* The same without waiting for the width: asks for it and lets two frames
 * be drawn (the window stays as wide as its widest page allows). */
void      vs_gui_resize_no_wait           (GtkWidget     *window,
                                           int            width,
                                           int            height);
/* The widget's minimum width (gtk_widget_measure, horizontal, for any height). */
int       vs_gui_get_min_width            (GtkWidget     *widget);
/* When the widget is wider than limit at its minimum, g_test_message ()s
 * the innermost widgets that hold it so, each with its ancestors. */
void      vs_gui_print_wide_widgets       (GtkWidget     *widget,
                                           int            limit);
/* Iterates the main context until the widget's window painted a frame. */
void      vs_gui_wait_for_frame           (GtkWidget     *widget);
/* The same in the dark style (libadwaita's forced dark), then back. */
void      vs_gui_save_screenshot_dark     (GtkWidget     *widget,
                                           const char    *path);

/* Copies what a test wrote under dir (recipes, cards, event logs, configs,
 * the token-file stand-in of the keyring…) to
 * $VS_BUILD_DIR/tests/gui-artefacts/TEST/LABEL/, before the test removes
 * it, so the suite-wide token scan (gui-token-scan) reads every artefact of
 * every GUI test. Files over 8 MB (weights) are left out; so are the token
 * file and stored_tokens, whose job is to hold the token. */
void      vs_gui_keep_artefacts           (const char    *test,
                                           const char    *label,
                                           const char    *dir);
/* Writes every key of the app's settings (and their values) to
 * $VS_BUILD_DIR/tests/gui-artefacts/TEST/settings.txt for the same scan. */
void      vs_gui_keep_settings            (const char    *test,
                                           GSettings     *settings);

G_END_DECLS
