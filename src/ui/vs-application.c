/* vs-application.c: the Vectorsmith application object. */
#include "config.h"

#include <glib/gi18n.h>

#include "vs-engine.h"
#include "hub/vs-hub.h"

#include "vs-application.h"
#include "vs-preferences-page.h"
#include "vs-window.h"

struct _VsApplication
{
  AdwApplication  parent_instance;
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (VsApplication, vs_application, ADW_TYPE_APPLICATION)

VsApplication *
vs_application_new (void)
{
  return g_object_new (VS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/vectorsmith/Vectorsmith",
                       NULL);
}

GSettings *
vs_application_get_settings (VsApplication *self)
{
  g_return_val_if_fail (VS_IS_APPLICATION (self), NULL);
  return self->settings;
}

static void
apply_thread_setting (GSettings  *settings,
                      const char *key,
                      gpointer    user_data)
{
  vs_engine_set_threads (g_settings_get_uint (settings, "threads"));
}

static void
apply_cache_folder_setting (GSettings  *settings,
                            const char *key,
                            gpointer    user_data)
{
  g_autofree char *folder = g_settings_get_string (settings, "cache-folder");

  /* Empty keeps huggingface_hub's own rule, so Python and the app share one cache. */
  vs_hub_set_default_cache_dir (folder);
}

static void
vs_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
vs_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (app);
  static const char *developers[] = { "The Vectorsmith developers", NULL };

#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *about = adw_about_dialog_new ();

  g_object_set (about,
#else
  GtkWidget *about = adw_about_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (about), parent);
  g_object_set (about,
#endif
                "application-name", _("Vectorsmith"),
                "application-icon", APP_ID,
                "developer-name", _("The Vectorsmith developers"),
                "version", PACKAGE_VERSION,
                "comments", _("Build, fine-tune, evaluate and share Sentence Transformers embedding models"),
                "website", "https://github.com/vectorsmith/vectorsmith",
                "issue-url", "https://github.com/vectorsmith/vectorsmith/issues",
                "license-type", GTK_LICENSE_GPL_3_0,
                "developers", developers,
                "translator-credits", _("translator-credits"),
                NULL);
#if ADW_CHECK_VERSION (1, 5, 0)
  adw_dialog_present (about, GTK_WIDGET (parent));
#else
  gtk_window_present (GTK_WINDOW (about));
#endif
}

static void
vs_application_preferences_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  VsApplication *self = VS_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  VsPreferencesPage *page = vs_preferences_page_new (self->settings);

#if ADW_CHECK_VERSION (1, 5, 0)
  AdwDialog *dialog = adw_preferences_dialog_new ();

  adw_preferences_dialog_add (ADW_PREFERENCES_DIALOG (dialog), ADW_PREFERENCES_PAGE (page));
  adw_dialog_present (dialog, GTK_WIDGET (parent));
#else
  GtkWidget *window = adw_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
#endif
}

char *
vs_application_dup_help_uri (void)
{
  g_autofree char *installed = g_build_filename (HELPDIR, "C", "vectorsmith", "index.page", NULL);

  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    return g_strdup ("help:vectorsmith");
  /* Running from the build folder: Yelp opens the source pages directly. */
  return g_strdup ("help:" SOURCE_HELPDIR "/C/index.page");
}

static void
on_help_shown (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GtkWindow) parent = user_data;
  g_autoptr(GError) error = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_show_uri_full_finish (parent, result, &error) && VS_IS_WINDOW (parent))
    vs_window_add_toast (VS_WINDOW (parent),
                         _("The user guide cannot be shown: install the Help app (Yelp)"));
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
vs_application_help_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  g_autofree char *uri = vs_application_dup_help_uri ();

  if (parent == NULL)
    return;
  /* gtk_show_uri_full is GTK 4.8's way (GtkUriLauncher comes in 4.10). */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_show_uri_full (parent, uri, GDK_CURRENT_TIME, NULL, on_help_shown, g_object_ref (parent));
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static const GActionEntry app_actions[] = {
  { "help", vs_application_help_action },
  { "quit", vs_application_quit_action },
  { "about", vs_application_about_action },
  { "preferences", vs_application_preferences_action },
};

static void
vs_application_startup (GApplication *app)
{
  VsApplication *self = VS_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *help_accels[] = { "F1", NULL };

  G_APPLICATION_CLASS (vs_application_parent_class)->startup (app);

  /* Process-wide, and GLib warns when it is set twice (a second
   * application object in one process, as the tests make). */
  if (g_strcmp0 (g_get_application_name (), g_get_prgname ()) == 0)
    g_set_application_name (_("Vectorsmith"));
  gtk_window_set_default_icon_name (APP_ID);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect (self->settings, "changed::threads",
                    G_CALLBACK (apply_thread_setting), NULL);
  apply_thread_setting (self->settings, "threads", NULL);
  g_signal_connect (self->settings, "changed::cache-folder",
                    G_CALLBACK (apply_cache_folder_setting), NULL);
  apply_cache_folder_setting (self->settings, "cache-folder", NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.help", help_accels);
}

static void
vs_application_activate (GApplication *app)
{
  VsApplication *self = VS_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (vs_window_new (GTK_APPLICATION (app), self->settings));
  gtk_window_present (window);
}

/* The window to show a project file in: the one that shows it already, else
 * one whose project is untouched (untitled and unchanged, as the demo on
 * first start), else a new one — so opening never discards anyone's work. */
static VsWindow *
window_for_file (VsApplication *self,
                 const char    *path)
{
  VsWindow *untouched = NULL;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      VsProject *project;

      if (!VS_IS_WINDOW (l->data))
        continue;
      project = vs_window_get_project (VS_WINDOW (l->data));
      if (g_strcmp0 (vs_project_get_file (project), path) == 0)
        return VS_WINDOW (l->data);
      if (untouched == NULL && vs_project_get_file (project) == NULL && !vs_project_get_dirty (project))
        untouched = VS_WINDOW (l->data);
    }
  if (untouched != NULL)
    return untouched;
  return vs_window_new (GTK_APPLICATION (self), self->settings);
}

/* `vectorsmith PROJECT.vectorsmith.json …` and the file manager's Open With. */
static void
vs_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  VsApplication *self = VS_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      VsWindow *window;

      if (path == NULL)
        {
          g_autofree char *uri = g_file_get_uri (files[i]);
          GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
          g_autofree char *message = NULL;

          if (active == NULL)
            active = GTK_WINDOW (vs_window_new (GTK_APPLICATION (app), self->settings));
          /* Translators: %s is a URI such as sftp://host/recipe.json. */
          message = g_strdup_printf (_("%s is not a local file; copy it to this computer to open it"), uri);
          vs_window_add_toast (VS_WINDOW (active), message);
          gtk_window_present (active);
          continue;
        }
      window = window_for_file (self, path);
      if (g_strcmp0 (vs_project_get_file (vs_window_get_project (window)), path) != 0)
        vs_window_open_project (window, path, NULL);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static int
vs_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("vectorsmith %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
vs_application_dispose (GObject *object)
{
  VsApplication *self = VS_APPLICATION (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (vs_application_parent_class)->dispose (object);
}

static void
vs_application_class_init (VsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = vs_application_dispose;
  app_class->startup = vs_application_startup;
  app_class->activate = vs_application_activate;
  app_class->open = vs_application_open;
  app_class->handle_local_options = vs_application_handle_local_options;
}

static void
vs_application_init (VsApplication *self)
{
  static const GOptionEntry options[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}
