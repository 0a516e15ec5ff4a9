/* test-serve-page.c: the Try page's Serve group, through the real window.
 *
 * Start runs the engine's embeddings server (vs-server.h) in the app for the
 * demo's base model on 127.0.0.1 and a free port; the address it shows is
 * asked for embeddings over HTTP (libsoup, as another program would), and
 * they equal the engine's encode of the same texts with the same model
 * (|a - b| <= 1e-5 + 1e-5 |ref|); /v1/models names the model; Stop closes
 * the port, so the same request then fails to connect.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <cjson/cJSON.h>
#include <libsoup/soup.h>

#include "train/vs-recipe-base.h"
#include "vs-application.h"
#include "vs-project.h"
#include "vs-try-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

static const char *const texts[] = {
  "A man is playing a guitar.",
  "A woman is slicing an onion.",
  "Two dogs run across a field.",
};

typedef struct
{
  gboolean done;
  guint    status;
  char    *body;
  GError  *error;
} Reply;

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Reply *r = user_data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &r->error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  r->status = msg != NULL ? soup_message_get_status (msg) : 0;
  if (bytes != NULL)
    r->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  r->done = TRUE;
}

/* One request, asynchronously on this main context (the server runs here
 * too), waited for without sleeping. */
static void
request (SoupSession *session,
         const char  *method,
         const char  *url,
         const char  *json,
         Reply       *r)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (json != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  memset (r, 0, sizeof *r);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_reply, r);
  vs_gui_wait_for_flag (&r->done, "the server's answer");
}

static gboolean
server_running (gpointer data)
{
  return vs_try_page_get_server_url (data) != NULL;
}

static void
test_serve (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(VsModel) base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *embeddings_url = NULL;
  g_autofree float *want = NULL;
  GtkWidget *window;
  VsProject *project;
  VsTryPage *page;
  AdwViewStack *stack;
  Reply r;
  gsize D;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1100, 860);
  g_application_activate (G_APPLICATION (app));
  window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");
  project = vs_window_get_project (VS_WINDOW (window));
  stack = vs_window_get_stack (VS_WINDOW (window));
  adw_view_stack_set_visible_child_name (stack, "try");
  page = VS_TRY_PAGE (adw_view_stack_get_child_by_name (stack, "try"));
  vs_gui_wait_for (vs_gui_widget_is_mapped, page, "the Try page to be mapped");
  g_assert_null (vs_try_page_get_server_url (page));

  /* Start: the model loads on a worker, then the server listens. */
  g_signal_emit_by_name (vs_try_page_get_serve_button (page), "clicked");
  g_assert_true (vs_try_page_get_server_loading (page));
  vs_gui_wait_for (server_running, page, "the server to start");
  url = g_strdup (vs_try_page_get_server_url (page));
  g_test_message ("serving at %s", url);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
  g_assert_cmpstr (gtk_button_get_label (vs_try_page_get_serve_button (page)), ==, "_Stop Server");
  vs_try_page_scroll_to (page, "serve");

  /* The engine's own encode of the same texts with the base model. */
  base = vs_recipe_load_base_model (vs_project_get_recipe (project), &error);
  g_assert_no_error (error);
  D = vs_model_get_dimension (base);
  want = g_new (float, G_N_ELEMENTS (texts) * D);
  g_assert_true (vs_model_encode_with_prompt (base, vs_model_get_default_prompt_name (base) != NULL
                                                    ? vs_model_get_prompt (base, vs_model_get_default_prompt_name (base))
                                                    : NULL,
                                              texts, G_N_ELEMENTS (texts), 32, FALSE, want, &error));
  g_assert_no_error (error);

  embeddings_url = g_strconcat (url, "v1/embeddings", NULL);
  request (session, "POST", embeddings_url,
           "{\"input\": [\"A man is playing a guitar.\", \"A woman is slicing an onion.\", "
           "\"Two dogs run across a field.\"], \"model\": \"any\"}", &r);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.status, ==, 200);
  {
    cJSON *doc = cJSON_Parse (r.body);
    cJSON *data = cJSON_GetObjectItem (doc, "data");
    double worst = 0;

    g_assert_nonnull (doc);
    g_assert_cmpint (cJSON_GetArraySize (data), ==, G_N_ELEMENTS (texts));
    for (int i = 0; i < (int) G_N_ELEMENTS (texts); i++)
      {
        cJSON *item = cJSON_GetArrayItem (data, i);
        cJSON *emb = cJSON_GetObjectItem (item, "embedding");

        g_assert_cmpint ((int) cJSON_GetNumberValue (cJSON_GetObjectItem (item, "index")), ==, i);
        g_assert_cmpint (cJSON_GetArraySize (emb), ==, (int) D);
        for (gsize k = 0; k < D; k++)
          {
            double got = cJSON_GetNumberValue (cJSON_GetArrayItem (emb, (int) k));
            double ref = want[i * D + k];
            double diff = fabs (got - ref);

            worst = MAX (worst, diff);
            g_assert_cmpfloat (diff, <=, 1e-5 + 1e-5 * fabs (ref));
          }
      }
    g_test_message ("max |server - encode| = %.3g over %" G_GSIZE_FORMAT " values", worst, G_N_ELEMENTS (texts) * D);
    cJSON_Delete (doc);
  }
  g_free (r.body);

  {
    g_autofree char *shot = vs_gui_screenshot_path ("try-page-serving");
    /* scrolled to once the group is laid out at its place */
    vs_gui_wait_for_frame (window);
    vs_try_page_scroll_to (page, "serve");
    vs_gui_wait_for_frame (window);
    vs_gui_save_screenshot (window, shot);
  }

  /* /v1/models names one model. */
  {
    g_autofree char *models_url = g_strconcat (url, "v1/models", NULL);
    cJSON *doc;

    request (session, "GET", models_url, NULL, &r);
    g_assert_cmpuint (r.status, ==, 200);
    doc = cJSON_Parse (r.body);
    g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (doc, "data")), ==, 1);
    cJSON_Delete (doc);
    g_free (r.body);
  }

  /* Stop: the button says Start again and nothing listens there. */
  g_signal_emit_by_name (vs_try_page_get_serve_button (page), "clicked");
  g_assert_null (vs_try_page_get_server_url (page));
  g_assert_cmpstr (gtk_button_get_label (vs_try_page_get_serve_button (page)), ==, "_Start Server");
  request (session, "POST", embeddings_url, "{\"input\": \"x\"}", &r);
  g_assert_nonnull (r.error);
  g_test_message ("after Stop: %s", r.error->message);
  g_clear_error (&r.error);
  g_free (r.body);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/serve", test_serve);
  return g_test_run ();
}
