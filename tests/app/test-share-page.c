/* test-share-page.c: the Share page in the real window, under Xvfb, against
 * the fake Hub of tests/hub.
 *
 * The whole flow in one window: the demo project trains through the Train
 * page's Start (into a temp folder); then, through the Share page: signed out, a refused token in plain words, sign
 * in (the token file when the session has no Secret Service; the keyring
 * when run by with-keyring.sh), the user and
 * orgs of whoami, repo names checked, the engine's card with broken and
 * fixed front matter, a push cancelled half way (no commit) and retried
 * (finished LFS files not uploaded again), huggingface.js downloading the
 * pushed repo byte-identical with a card whose YAML parses, the files a new
 * push replaces, Copy Model Id, the Hub's errors (401, 403, 409, 413, 429,
 * network down) in plain words, sign out; no token in any file written.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vs-error.h"
#include "hub/vs-hub.h"
#include "hub/vs-hub-share.h"
#include "hub/vs-model-card.h"
#include "train/vs-recipe.h"
#include "train/vs-trainer.h"

#include "vs-application.h"
#include "vs-share-page.h"
#include "vs-train-page.h"
#include "vs-token-store.h"
#include "vs-window.h"

#include "vs-gui-test.h"

#define TOKEN "hf_test_write"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

static const char *fake_hub_path;
static const char *node_path;
static char *hub_url;
static VsSharePage *page;

/* ---- the fake Hub's test endpoints (HTTP/1.0 over a socket) ---------------- */

static char *
fake_request (const char *method,
              const char *path,
              const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *request = NULL;
  g_autoptr(GByteArray) all = g_byte_array_new ();
  char buf[65536];
  gssize n;
  const char *body;

  conn = g_socket_client_connect_to_uri (client, hub_url, 80, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s", method, path,
                             json != NULL ? strlen (json) : 0, json != NULL ? json : "");
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            request, strlen (request), NULL, NULL, &error));
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf, sizeof buf,
                                   NULL, &error)) > 0)
    g_byte_array_append (all, (guint8 *) buf, (guint) n);
  g_assert_no_error (error);
  g_byte_array_append (all, (guint8 *) "", 1);
  g_assert_true (g_str_has_prefix ((char *) all->data, "HTTP/1.1 200") ||
                 g_str_has_prefix ((char *) all->data, "HTTP/1.0 200"));
  body = strstr ((char *) all->data, "\r\n\r\n");
  g_assert_nonnull (body);
  return g_strdup (body + 4);
}

static void
fake_rule (const char *json)
{
  g_free (fake_request ("POST", "/_test/rule", json));
}

static cJSON *
fake_json (const char *path)
{
  g_autofree char *text = fake_request ("GET", path, NULL);
  cJSON *j = cJSON_Parse (text);
  g_assert_nonnull (j);
  return j;
}

static int
repo_commits (const char *repo_id)
{
  g_autoptr(cJSON) state = fake_json ("/_test/state");
  g_autofree char *key = g_strdup_printf ("model:%s", repo_id);
  const cJSON *repo = cJSON_GetObjectItem (cJSON_GetObjectItem (state, "repos"), key);
  return repo != NULL ? (int) cJSON_GetNumberValue (cJSON_GetObjectItem (repo, "commits")) : -1;
}

/* PUT requests to the upload host whose path holds the object's sha256. */
static guint
uploads_of (const char *sha256)
{
  g_autoptr(cJSON) log = fake_json ("/_test/log");
  const cJSON *e;
  guint n = 0;

  cJSON_ArrayForEach (e, log)
    {
      const char *m = cJSON_GetStringValue (cJSON_GetObjectItem (e, "method"));
      const char *p = cJSON_GetStringValue (cJSON_GetObjectItem (e, "path"));
      if (g_strcmp0 (m, "PUT") == 0 && p != NULL && strstr (p, sha256) != NULL)
        n++;
    }
  return n;
}

/* ---- waiting ------------------------------------------------------------------ */

static gboolean
idle_page (gpointer data)
{
  (void) data;
  return !vs_share_page_get_busy (page) && !vs_share_page_get_card_pending (page);
}

static gboolean
signed_in (gpointer data)
{
  (void) data;
  return vs_share_page_get_signed_in (page) && idle_page (NULL);
}

static gboolean
banner_shown (gpointer data)
{
  (void) data;
  return vs_share_page_get_banner_title (page) != NULL && idle_page (NULL);
}

static gboolean
repo_checked (gpointer data)
{
  (void) data;
  return !vs_share_page_get_checking_repo (page);
}

static gboolean
push_done (gpointer data)
{
  (void) data;
  return !vs_share_page_get_pushing (page);
}

static gboolean
progress_at_least (gpointer data)
{
  return vs_share_page_get_max_progress (page) >= *(double *) data;
}

static void
screenshot (GtkWidget  *window,
            const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);
  vs_gui_save_screenshot (window, path);
}

static void
click (GtkButton *button)
{
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (button)));
  g_signal_emit_by_name (button, "clicked");
}

/* Pushes and waits for the banner; returns its title. */
static const char *
push_for_error (void)
{
  click (vs_share_page_get_push_button (page));
  g_assert_true (vs_share_page_get_pushing (page));
  vs_gui_wait_for (push_done, NULL, "the push to end");
  vs_gui_wait_for (banner_shown, NULL, "the error banner");
  g_test_message ("banner: %s / %s", vs_share_page_get_banner_title (page), vs_share_page_get_banner_message (page));
  return vs_share_page_get_banner_title (page);
}

/* ---- training the demo (the Train page) -------------------------------------- */

static gboolean
train_can_start (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data)) &&
         vs_train_page_get_phase (VS_TRAIN_PAGE (data)) == VS_TRAIN_PHASE_IDLE &&
         gtk_widget_is_sensitive (vs_train_page_get_button (VS_TRAIN_PAGE (data), "start"));
}

static gboolean
train_ended (gpointer data)
{
  return vs_train_page_get_phase (VS_TRAIN_PAGE (data)) == VS_TRAIN_PHASE_IDLE &&
         !vs_train_page_get_running (VS_TRAIN_PAGE (data));
}

/* ---- the token scan ---------------------------------------------------------- */

static gboolean
holds (const char *data,
       gsize       len,
       const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (data[i] == needle[0] && memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static void
scan_for_token (const char *dir,
                guint      *n_files,
                guint      *n_holders)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          scan_for_token (path, n_files, n_holders);
          continue;
        }
      if (!g_file_get_contents (path, &data, &len, NULL))
        continue;
      (*n_files)++;
      if (holds (data, len, TOKEN))
        {
          /* Only huggingface_hub's token file and stored_tokens may hold it. */
          if (strcmp (name, "token") != 0 && strcmp (name, "stored_tokens") != 0)
            g_error ("%s holds the Hub token", path);
          (*n_holders)++;
        }
    }
}

static void
assert_no_token_in_settings (VsApplication *app)
{
  GSettings *settings = vs_application_get_settings (app);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autoptr(GVariant) v = g_settings_get_value (settings, keys[i]);
      g_autofree char *s = g_variant_print (v, FALSE);
      g_assert_null (strstr (s, TOKEN));
    }
}

/* ---- the test ------------------------------------------------------------------ */

typedef struct
{
  gboolean done;
  char *text;
} ClipboardRead;

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *r = user_data;
  r->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  r->done = TRUE;
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) data, len);
}

static void
test_share_page (gconstpointer data)
{
  const char *tmp = data;
  g_autofree char *out_dir = g_build_filename (tmp, "out", "demo-model", NULL);
  g_autofree char *hf_home = g_getenv ("HF_HOME") != NULL ? g_strdup (g_getenv ("HF_HOME")) : NULL;
  g_autoptr(VsApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  AdwViewStack *stack;
  VsProject *project;
  GtkTextBuffer *buf;
  const char *repo_id = "testuser/demo-model";
  g_autofree char *onnx = g_build_filename (out_dir, "onnx", "model.onnx", NULL);
  g_autofree char *weights = g_build_filename (out_dir, "model.safetensors", NULL);
  g_autofree char *weights_sha = NULL;
  g_autofree char *onnx_sha = NULL;
  gboolean keyring = vs_token_store_keyring_available ();

  g_test_message ("the token goes to %s", keyring ? "the keyring" : "the token file");

  g_free (fake_request ("POST", "/_test/config", "{\"whoami_orgs\": [\"testorg\"]}"));

  app = vs_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 1150);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");
  stack = vs_window_get_stack (VS_WINDOW (window));
  project = vs_window_get_project (VS_WINDOW (window));

  /* 0. The whole flow in one window: the demo trains through the Train
   * page's Start into a temp folder, then the Share page pushes it. A
   * second LFS file (an export a user may add) makes "finished files" of a
   * push countable. */
  {
    VsTrainPage *train_page = VS_TRAIN_PAGE (adw_view_stack_get_child_by_name (stack, "train"));

    vs_project_set_string (project, "output_dir", out_dir);
    vs_project_set_int (project, "args.epochs", 1);
    adw_view_stack_set_visible_child_name (stack, "train");
    vs_gui_wait_for (train_can_start, train_page, "the Train page to allow Start");
    gtk_widget_activate_action (GTK_WIDGET (train_page), "train.start", NULL);
    g_assert_cmpint (vs_train_page_get_phase (train_page), !=, VS_TRAIN_PHASE_IDLE);
    vs_gui_wait_for (train_ended, train_page, "the demo to train through the Train page");
  }
  g_assert_true (g_file_test (weights, G_FILE_TEST_IS_REGULAR));
  {
    g_autofree char *onnx_dir = g_path_get_dirname (onnx);
    g_autoptr(GRand) rand = g_rand_new_with_seed (7);
    g_autofree guint32 *bytes = g_new (guint32, 256 * 1024);
    for (guint i = 0; i < 256 * 1024; i++)
      bytes[i] = g_rand_int (rand) & 0xffff00ff;   /* NUL bytes: a binary (LFS) file */
    g_assert_cmpint (g_mkdir_with_parents (onnx_dir, 0700), ==, 0);
    g_assert_true (g_file_set_contents (onnx, (char *) bytes, 256 * 1024 * 4, &error));
  }
  weights_sha = file_sha256 (weights);
  onnx_sha = file_sha256 (onnx);
  adw_view_stack_set_visible_child_name (stack, "share");
  page = VS_SHARE_PAGE (adw_view_stack_get_child_by_name (stack, "share"));
  g_assert_true (vs_share_page_get_project (page) == project);

  /* 1. Signed out; the demo's output folder has no model yet, then ours. */
  vs_gui_wait_for (idle_page, NULL, "the saved sign-in check");
  g_assert_false (vs_share_page_get_signed_in (page));
  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (vs_share_page_get_token_row (page)));
  vs_project_set_string (project, "output_dir", out_dir);
  vs_gui_wait_for (idle_page, NULL, "the card of the trained model");
  g_assert_cmpstr (vs_share_page_get_push_reason (page), ==, "Sign in to push.");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vs_share_page_get_name_row (page))), ==, "demo-model");
  screenshot (GTK_WIDGET (window), "share-page-signed-out");

  /* 2. A token the Hub refuses: its words, still signed out. */
  gtk_editable_set_text (GTK_EDITABLE (vs_share_page_get_token_row (page)), "hf_not_a_token");
  click (vs_share_page_get_sign_in_button (page));
  vs_gui_wait_for (banner_shown, NULL, "the refused token");
  g_assert_cmpstr (vs_share_page_get_banner_title (page), ==, "The Hub did not accept the token");
  g_assert_nonnull (strstr (vs_share_page_get_banner_message (page), "invalid credentials"));
  g_assert_false (vs_share_page_get_signed_in (page));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vs_share_page_get_token_row (page))), ==, "");

  /* 3. Sign in: whoami's user and orgs; the token in the keyring when the
   * session has one (with-keyring.sh), else in the token file. */
  gtk_editable_set_text (GTK_EDITABLE (vs_share_page_get_token_row (page)), TOKEN);
  click (vs_share_page_get_sign_in_button (page));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vs_share_page_get_token_row (page))), ==, "");
  vs_gui_wait_for (signed_in, NULL, "the sign-in");
  g_assert_null (vs_share_page_get_banner_title (page));
  g_assert_cmpstr (vs_share_page_get_user_text (page), ==, "testuser");
  g_assert_cmpstr (vs_share_page_get_full_name_text (page), ==, "Test User");
  g_assert_cmpstr (vs_share_page_get_orgs_text (page), ==, "testorg");
  g_assert_cmpint (vs_share_page_get_token_store (page), ==, keyring ? VS_TOKEN_STORE_KEYRING : VS_TOKEN_STORE_FILE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vs_share_page_get_token_row (page))), ==, "");
  if (keyring)
    {
      g_autofree char *token_file = g_build_filename (hf_home, "token", NULL);
      g_autoptr(VsHub) probe = vs_hub_new ();
      char *stored = vs_token_store_lookup (vs_hub_get_endpoint (probe));
      g_assert_cmpstr (stored, ==, TOKEN);
      vs_token_store_free_token (stored);
      g_assert_false (g_file_test (token_file, G_FILE_TEST_EXISTS));
    }
  else
  {
    g_autofree char *token_file = g_build_filename (hf_home, "token", NULL);
    g_autofree char *saved = NULL;
    GStatBuf st;
    g_assert_true (g_file_get_contents (token_file, &saved, NULL, NULL));
    g_assert_cmpstr (g_strstrip (saved), ==, TOKEN);
    g_assert_cmpint (g_stat (token_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  {
    GListModel *owners = adw_combo_row_get_model (vs_share_page_get_owner_row (page));
    g_assert_cmpuint (g_list_model_get_n_items (owners), ==, 2);
    g_assert_cmpuint (adw_combo_row_get_selected (vs_share_page_get_owner_row (page)), ==, 0);
  }
  screenshot (GTK_WIDGET (window), "share-page-signed-in");

  /* 4. Repo names as the Hub checks them. */
  {
    AdwEntryRow *name = vs_share_page_get_name_row (page);
    g_autoptr(GError) expected = NULL;

    gtk_editable_set_text (GTK_EDITABLE (name), "my model");
    g_assert_false (vs_hub_check_repo_name ("my model", &expected));
    g_assert_nonnull (strstr (vs_share_page_get_name_error (page), expected->message));
    g_assert_cmpstr (vs_share_page_get_push_reason (page), ==, "Choose a valid repository name.");
    vs_share_page_scroll_to (page, "repo");
    screenshot (GTK_WIDGET (window), "share-page-bad-name");
    gtk_editable_set_text (GTK_EDITABLE (name), "-demo");
    g_assert_nonnull (strstr (vs_share_page_get_name_error (page), "cannot start with '-'"));
    gtk_editable_set_text (GTK_EDITABLE (name), "demo-model");
    g_assert_null (vs_share_page_get_name_error (page));
    vs_gui_wait_for (repo_checked, NULL, "the repo check");
    g_assert_null (vs_share_page_get_replace_text (page));   /* not there yet */
  }

  /* 5. The engine's card, for this id; broken front matter names the line. */
  vs_gui_wait_for (idle_page, NULL, "the card for testuser/demo-model");
  buf = gtk_text_view_get_buffer (vs_share_page_get_card_view (page));
  {
    g_autofree char *card = vs_share_page_dup_card_text (page);
    g_autofree char *engine = vs_model_card_render (out_dir, NULL, repo_id, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (card, ==, engine);
    g_assert_nonnull (strstr (card, "SentenceTransformer(\"testuser/demo-model\")"));
    g_assert_null (vs_share_page_get_push_reason (page));
  }
  {
    GtkTextIter it;
    g_autofree char *broken = NULL;
    g_autoptr(GError) expected = NULL;
    g_autofree char *want = NULL;

    gtk_text_buffer_get_iter_at_line (buf, &it, 2);
    gtk_text_buffer_insert (buf, &it, "\tbroken: yes\n", -1);
    g_assert_true (vs_share_page_get_card_pending (page));
    vs_gui_wait_for (idle_page, NULL, "the card check");
    broken = vs_share_page_dup_card_text (page);
    g_assert_false (vs_model_card_check_front_matter (broken, NULL, &expected));
    want = g_strdup_printf ("The metadata has an error: %s", expected->message);
    g_assert_cmpstr (vs_share_page_get_card_status (page), ==, want);
    g_assert_true (g_str_has_prefix (expected->message, "line 3: "));
    g_assert_cmpstr (vs_share_page_get_push_reason (page), ==, "Fix the model card's metadata first.");
    vs_share_page_scroll_to (page, "card");
    screenshot (GTK_WIDGET (window), "share-page-card-error");
  }
  click (vs_share_page_get_reset_card_button (page));
  vs_gui_wait_for (idle_page, NULL, "the card reset");
  g_assert_cmpstr (vs_share_page_get_card_status (page), ==, "Generated from the trained model. The metadata is valid.");
  {
    GtkTextIter end;
    gtk_text_buffer_get_end_iter (buf, &end);
    gtk_text_buffer_insert (buf, &end, "\nEdited in the Share page test.\n", -1);
    vs_gui_wait_for (idle_page, NULL, "the edited card check");
    g_assert_cmpstr (vs_share_page_get_card_status (page), ==, "Edited. The metadata is valid.");
  }

  /* 6. A push cancelled half way (the second LFS file is held up by the
   * fake Hub): no commit; the retry does not upload the finished file. */
  {
    GStatBuf st_w;
    guint64 total = 0;
    g_autoptr(VsHubCommit) listing = vs_hub_commit_new ("");
    g_auto(GStrv) paths = NULL;
    double weights_done;
    g_autofree char *rule = g_strdup_printf ("{\"match\": \"%s\", \"method\": \"PUT\", \"delay_ms\": 5000, \"count\": 1}",
                                             onnx_sha);
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(cJSON) info = NULL;
    const cJSON *sib;
    int commits_before;

    g_assert_true (vs_hub_commit_add_folder (listing, out_dir, &error));
    paths = vs_hub_commit_dup_paths (listing);
    for (guint i = 0; paths[i] != NULL; i++)
      {
        g_autofree char *p = g_build_filename (out_dir, paths[i], NULL);
        GStatBuf st;
        g_assert_cmpint (g_stat (p, &st), ==, 0);
        total += (guint64) st.st_size;
      }
    g_assert_cmpint (g_stat (weights, &st_w), ==, 0);
    /* README.md is written again before the push with the edited card. */
    weights_done = (double) st_w.st_size / (double) (total + 64) * 0.99;

    fake_rule (rule);
    vs_share_page_scroll_to (page, "push");
    click (vs_share_page_get_push_button (page));
    g_assert_true (vs_share_page_get_pushing (page));
    vs_gui_wait_for (progress_at_least, &weights_done, "model.safetensors to be uploaded");
    screenshot (GTK_WIDGET (window), "share-page-pushing");
    click (vs_share_page_get_cancel_button (page));
    vs_gui_wait_for (push_done, NULL, "the cancelled push to stop");
    g_assert_null (vs_share_page_get_banner_title (page));
    g_assert_nonnull (strstr (vs_share_page_get_push_status (page), "cancelled"));
    g_assert_cmpuint (uploads_of (weights_sha), >=, 1);
    commits_before = repo_commits (repo_id);
    vs_hub_set_token (hub, TOKEN);
    info = vs_hub_repo_info (hub, VS_HUB_REPO_MODEL, repo_id, NULL, &error);
    g_assert_no_error (error);
    cJSON_ArrayForEach (sib, cJSON_GetObjectItem (info, "siblings"))
      g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (sib, "rfilename")), !=, "modules.json");

    /* The retry. */
    g_free (fake_request ("POST", "/_test/clear-log", "{}"));
    click (vs_share_page_get_push_button (page));
    vs_gui_wait_for (push_done, NULL, "the retried push");
    g_assert_null (vs_share_page_get_banner_title (page));
    g_assert_cmpstr (vs_share_page_get_push_status (page), ==, "Pushed to testuser/demo-model.");
    g_assert_cmpuint (uploads_of (weights_sha), ==, 0);
    /* (onnx/model.onnx may be stored already: the fake Hub finished
     * reading it after the client gave up.) */
    g_assert_cmpint (repo_commits (repo_id), ==, commits_before + 1);
    g_assert_cmpfloat (vs_share_page_get_max_progress (page), >, 0.99);
    g_assert_cmpstr (vs_share_page_get_pushed_id (page), ==, repo_id);
    g_assert_true (g_str_has_suffix (vs_share_page_get_pushed_url (page), "/testuser/demo-model"));
    screenshot (GTK_WIDGET (window), "share-page-pushed");
  }

  /* The README.md in the folder is the edited card. */
  {
    g_autofree char *readme = g_build_filename (out_dir, "README.md", NULL);
    g_autofree char *saved = NULL;
    g_autofree char *card = vs_share_page_dup_card_text (page);
    g_assert_true (g_file_get_contents (readme, &saved, NULL, NULL));
    g_assert_cmpstr (saved, ==, card);
    g_assert_nonnull (strstr (saved, "Edited in the Share page test."));
  }

  /* 7. huggingface.js downloads the pushed repo: byte-identical files, a
   * card whose front matter parses. */
  if (node_path != NULL)
    {
      g_autofree char *script = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "app", "share-download.mjs", NULL);
      g_autofree char *cache = g_build_filename (tmp, "js-cache", NULL);
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                           G_SUBPROCESS_FLAGS_STDERR_MERGE);
      g_autoptr(GSubprocess) js = NULL;
      g_autofree char *js_out = NULL;

      g_subprocess_launcher_setenv (launcher, "VS_TEST_TOKEN", TOKEN, TRUE);
      js = g_subprocess_launcher_spawn (launcher, &error, node_path, script, hub_url, repo_id, out_dir, cache, NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (js, NULL, NULL, &js_out, NULL, &error));
      g_test_message ("%s", js_out);
      if (g_subprocess_get_exit_status (js) == 77)
        g_test_message ("huggingface.js is not installed: the download check is skipped");
      else
        g_assert_cmpint (g_subprocess_get_exit_status (js), ==, 0);
      g_assert_null (strstr (js_out, "not ok"));
    }

  /* 8. The repo exists now: the files a push replaces are listed. */
  vs_gui_wait_for (repo_checked, NULL, "the repo check after the push");
  g_assert_nonnull (vs_share_page_get_replace_text (page));
  g_assert_nonnull (strstr (vs_share_page_get_replace_text (page), "model.safetensors"));
  g_assert_nonnull (strstr (vs_share_page_get_replace_text (page), "onnx/model.onnx"));

  /* 9. Copy Model Id. */
  {
    ClipboardRead r = { 0 };
    click (vs_share_page_get_copy_button (page));
    gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (page)), NULL, on_clipboard_text, &r);
    vs_gui_wait_for_flag (&r.done, "the clipboard");
    g_assert_cmpstr (r.text, ==, repo_id);
    g_free (r.text);
  }
  vs_share_page_scroll_to (page, "repo");
  screenshot (GTK_WIDGET (window), "share-page-replace");

  /* Dark mode. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  vs_share_page_scroll_to (page, NULL);
  screenshot (GTK_WIDGET (window), "share-page-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* 10. The Hub's errors in plain words. */
  {
    AdwComboRow *owner = vs_share_page_get_owner_row (page);
    GtkTextIter end;

    /* 403: an org the account cannot write to (the fake Hub's own rule). */
    adw_combo_row_set_selected (owner, 1);
    vs_gui_wait_for (idle_page, NULL, "the card for testorg");
    g_assert_cmpstr (push_for_error (), ==, "This account may not write there");
    g_assert_nonnull (strstr (vs_share_page_get_banner_message (page), "403"));
    screenshot (GTK_WIDGET (window), "share-page-error");
    adw_combo_row_set_selected (owner, 0);
    vs_gui_wait_for (idle_page, NULL, "the owner back");

    /* 401 */
    fake_rule ("{\"match\": \"preupload\", \"status\": 401, \"count\": 1,"
               " \"error_message\": \"Invalid credentials in Authorization header\"}");
    g_assert_cmpstr (push_for_error (), ==, "The Hub did not accept the token");

    /* 409: the commit is refused (a changed card makes one). */
    gtk_text_buffer_get_end_iter (buf, &end);
    gtk_text_buffer_insert (buf, &end, "Another line.\n", -1);
    vs_gui_wait_for (idle_page, NULL, "the card check");
    fake_rule ("{\"match\": \"/commit/main\", \"status\": 409, \"count\": 1}");
    g_assert_cmpstr (push_for_error (), ==, "The repository changed while pushing, or the name is taken");

    /* 413 */
    fake_rule ("{\"match\": \"preupload\", \"status\": 413, \"count\": 1,"
               " \"error_message\": \"Payload Too Large\"}");
    g_assert_cmpstr (push_for_error (), ==, "The Hub refused the upload");
    g_assert_nonnull (strstr (vs_share_page_get_banner_message (page), "too large"));

    /* 429, beyond the client's retries (one second each). */
    fake_rule ("{\"match\": \"repos/create\", \"status\": 429, \"count\": 6, \"retry_after\": 0}");
    g_assert_cmpstr (push_for_error (), ==, "The Hub asks to slow down");

    /* The previous push still completes once the Hub answers again. */
    click (vs_share_page_get_push_button (page));
    vs_gui_wait_for (push_done, NULL, "the push after the errors");
    g_assert_null (vs_share_page_get_banner_title (page));
    g_assert_cmpstr (vs_share_page_get_push_status (page), ==, "Pushed to testuser/demo-model.");

    /* A pull request instead of a commit to main. */
    {
      int commits = repo_commits (repo_id);
      gtk_text_buffer_get_end_iter (buf, &end);
      gtk_text_buffer_insert (buf, &end, "Proposed in a pull request.\n", -1);
      vs_gui_wait_for (idle_page, NULL, "the card check");
      gtk_switch_set_active (vs_share_page_get_pr_switch (page), TRUE);
      click (vs_share_page_get_push_button (page));
      vs_gui_wait_for (push_done, NULL, "the pull request");
      g_assert_null (vs_share_page_get_banner_title (page));
      g_assert_cmpstr (vs_share_page_get_push_status (page), ==, "Opened a pull request on testuser/demo-model.");
      g_assert_nonnull (strstr (vs_share_page_get_pushed_url (page), "discussions"));
      g_assert_cmpint (repo_commits (repo_id), >=, commits);
      gtk_switch_set_active (vs_share_page_get_pr_switch (page), FALSE);
    }
  }

  /* 11. No token in any file written (the token file excepted), in the
   * settings or the project. */
  {
    guint n_files = 0, n_holders = 0;
    g_autofree char *doc = cJSON_Print (vs_project_get_document (project));

    scan_for_token (tmp, &n_files, &n_holders);
    {
      g_autofree char *shots = g_build_filename (g_getenv ("VS_BUILD_DIR"), "tests", "app", "screenshots", NULL);
      scan_for_token (shots, &n_files, &n_holders);
    }
    g_assert_cmpuint (n_files, >, 10);
    g_assert_cmpuint (n_holders, ==, keyring ? 0 : 2);   /* token, stored_tokens */
    g_assert_null (strstr (doc, TOKEN));
    assert_no_token_in_settings (app);
    vs_gui_keep_settings ("share-page", vs_application_get_settings (app));
  }

  /* 12. Sign out: the token file goes; nothing holds the token any more. */
  click (vs_share_page_get_sign_out_button (page));
  vs_gui_wait_for (idle_page, NULL, "the sign-out");
  g_assert_false (vs_share_page_get_signed_in (page));
  g_assert_cmpstr (vs_share_page_get_push_reason (page), ==, "Sign in to push.");
  {
    g_autoptr(VsHub) probe = vs_hub_new ();
    g_assert_null (vs_token_store_lookup (vs_hub_get_endpoint (probe)));
  }
  {
    guint n_files = 0, n_holders = 0;
    scan_for_token (tmp, &n_files, &n_holders);
    g_assert_cmpuint (n_holders, ==, 0);
  }

  /* 13. The Hub down: signing in says it cannot be reached. */
  gtk_editable_set_text (GTK_EDITABLE (vs_share_page_get_token_row (page)), TOKEN);
  {
    g_autofree char *dead = g_strdup ("http://127.0.0.1:9");
    g_setenv ("HF_ENDPOINT", dead, TRUE);
    click (vs_share_page_get_sign_in_button (page));
    vs_gui_wait_for (banner_shown, NULL, "the Hub down");
    g_assert_cmpstr (vs_share_page_get_banner_title (page), ==, "The Hub cannot be reached");
    g_setenv ("HF_ENDPOINT", hub_url, TRUE);
  }
  vs_share_page_scroll_to (page, NULL);
  screenshot (GTK_WIDGET (window), "share-page-hub-down");

  /* 14. A token in HF_TOKEN signs a new page in, and says where it is. */
  {
    VsSharePage *main_page = page;
    g_setenv ("HF_TOKEN", TOKEN, TRUE);
    page = g_object_ref_sink (g_object_new (VS_TYPE_SHARE_PAGE, NULL));
    vs_gui_wait_for (signed_in, NULL, "the sign-in from HF_TOKEN");
    g_assert_cmpstr (vs_share_page_get_user_text (page), ==, "testuser");
    g_assert_cmpint (vs_share_page_get_token_store (page), ==, VS_TOKEN_STORE_ENVIRONMENT);
    g_object_unref (page);
    page = main_page;
    g_unsetenv ("HF_TOKEN");
  }

  gtk_window_close (window);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_remove (path);
      return;
    }
  d = g_dir_open (path, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
  g_rmdir (path);
}

int
main (int argc,
      char *argv[])
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-share-page-XXXXXX", NULL);
  g_autofree char *home = g_build_filename (tmp, "home", NULL);
  g_autofree char *hf_home = g_build_filename (tmp, "hf", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  char *sp;
  int rc;

  /* Everything the app writes lands in tmp (scanned for the token). */
  g_mkdir_with_parents (home, 0700);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", tmp, TRUE);
  g_setenv ("HF_HOME", hf_home, TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("HUGGING_FACE_HUB_TOKEN");
  g_unsetenv ("HF_TOKEN_PATH");
  g_unsetenv ("HF_HUB_CACHE");
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  if (argc > 1)
    fake_hub_path = argv[1];
  if (argc > 2 && argv[2][0] != '\0')
    node_path = argv[2];
  if (fake_hub_path == NULL)
    {
      g_test_skip ("no fake Hub given");
      return 77;
    }
  {
    g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);
    proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                             fake_hub_path, "--parquet", parquet, NULL);
    g_assert_no_error (error);
  }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  sp = strchr (line, ' ');
  g_assert_nonnull (sp);
  *sp = '\0';
  hub_url = g_strdup (line);
  g_setenv ("HF_ENDPOINT", hub_url, TRUE);

  g_test_add_data_func ("/app/share-page", tmp, test_share_page);
  rc = g_test_run ();
  g_output_stream_close (g_subprocess_get_stdin_pipe (proc), NULL, NULL);
  g_subprocess_wait (proc, NULL, NULL);
  vs_gui_keep_artefacts ("share-page", "tmp", tmp);
  rm_rf (tmp);
  return rc;
}
