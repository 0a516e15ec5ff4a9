/* vs-preferences-page.c: the preferences (threads, Hub cache folder). */
#include "config.h"

#include <glib/gi18n.h>

#include "vs-preferences-page.h"

struct _VsPreferencesPage
{
  AdwPreferencesPage  parent_instance;

  GSettings          *settings;

  /* Template widgets */
  GtkAdjustment      *threads_adjustment;
  AdwEntryRow        *cache_folder_row;
};

G_DEFINE_FINAL_TYPE (VsPreferencesPage, vs_preferences_page, ADW_TYPE_PREFERENCES_PAGE)

VsPreferencesPage *
vs_preferences_page_new (GSettings *settings)
{
  VsPreferencesPage *self = g_object_new (VS_TYPE_PREFERENCES_PAGE, NULL);

  self->settings = g_object_ref (settings);
  g_settings_bind (settings, "threads", self->threads_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "cache-folder", self->cache_folder_row, "text", G_SETTINGS_BIND_DEFAULT);
  return self;
}

static void
vs_preferences_page_dispose (GObject *object)
{
  VsPreferencesPage *self = VS_PREFERENCES_PAGE (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (vs_preferences_page_parent_class)->dispose (object);
}

static void
vs_preferences_page_class_init (VsPreferencesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_preferences_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-preferences-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VsPreferencesPage, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, VsPreferencesPage, cache_folder_row);
}

static void
vs_preferences_page_init (VsPreferencesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
