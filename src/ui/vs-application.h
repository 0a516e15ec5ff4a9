/* vs-application.h: the Vectorsmith application object.
 *
 * Owns the app-wide actions (quit, about, preferences, help on F1) and the
 * GSettings of the app, opens a VsWindow on activation, and opens the
 * project files given on the command line or by the file manager
 * (`vectorsmith NAME.vectorsmith.json`).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VS_TYPE_APPLICATION (vs_application_get_type ())

G_DECLARE_FINAL_TYPE (VsApplication, vs_application, VS, APPLICATION, AdwApplication)

VsApplication *vs_application_new (void);
GSettings     *vs_application_get_settings (VsApplication *self);
/* What F1 opens: help:vectorsmith when the guide is installed, else the
 * source tree's index page. g_free. */
char          *vs_application_dup_help_uri (void);

G_END_DECLS
