/* vs-application.h: the Vectorsmith application object.
 *
 * Owns the app-wide actions (quit, about, preferences, shortcuts) and the
 * GSettings of the app, and opens one VsWindow per activation.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VS_TYPE_APPLICATION (vs_application_get_type ())

G_DECLARE_FINAL_TYPE (VsApplication, vs_application, VS, APPLICATION, AdwApplication)

VsApplication *vs_application_new (void);
GSettings     *vs_application_get_settings (VsApplication *self);

G_END_DECLS
