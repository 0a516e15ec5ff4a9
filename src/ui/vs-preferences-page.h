/* vs-preferences-page.h: the preferences (threads, Hub cache folder).
 *
 * The page binds its rows to the app's GSettings; the application wraps it in
 * an AdwPreferencesDialog (libadwaita >= 1.5) or an AdwPreferencesWindow.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VS_TYPE_PREFERENCES_PAGE (vs_preferences_page_get_type ())

G_DECLARE_FINAL_TYPE (VsPreferencesPage, vs_preferences_page, VS, PREFERENCES_PAGE, AdwPreferencesPage)

VsPreferencesPage *vs_preferences_page_new (GSettings *settings);

G_END_DECLS
