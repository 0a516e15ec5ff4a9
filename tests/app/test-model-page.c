/* test-model-page.c: the Model page in the real window, under Xvfb.
 *
 * The demo project's new tiny BERT loads and its facts are the engine's;
 * the module stack is edited (a second pooling mode, two Dense modules, one
 * without bias, Normalize; moves by button and by drop, refused ones with
 * the engine's reason) and the arrows show the widths the engine computes,
 * the rebuilt model agreeing;
 * a sentence is tokenized; a folder that does not load shows the engine's
 * message while the previous model stays; a real folder loads read-only
 * and says why no layers can be added on top.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hub/vs-hub.h"
#include "model/vs-model-info.h"

#include "vs-application.h"
#include "vs-model-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

typedef struct
{
  VsProject   *project;
  VsModelPage *page;
  gsize        dimension;
} Wait;

static gboolean
model_loaded (gpointer data)
{
  Wait *w = data;
  VsModelRef *ref = vs_project_get_model (w->project);

  return ref != NULL && !vs_model_page_get_loading (w->page)
         && (w->dimension == 0 || vs_model_get_dimension (vs_model_ref_get_model (ref)) == w->dimension);
}

static gboolean
banner_shown (gpointer data)
{
  Wait *w = data;
  return vs_model_page_get_banner_message (w->page) != NULL && !vs_model_page_get_loading (w->page);
}

typedef struct
{
  Wait       *w;
  const char *message;
} BannerWait;

static gboolean
banner_is (gpointer data)
{
  BannerWait *b = data;
  return g_strcmp0 (vs_model_page_get_banner_message (b->w->page), b->message) == 0
         && !vs_model_page_get_loading (b->w->page);
}

static gboolean
dir_loaded (gpointer data)
{
  Wait *w = data;
  VsModelRef *ref = vs_project_get_model (w->project);

  return ref != NULL && vs_model_ref_get_dir (ref) != NULL && !vs_model_page_get_loading (w->page);
}

static const char *fake_hub_path;

/* POST /_test/rule to the fake Hub (plain HTTP over a socket). */
static void
fake_rule (const char *endpoint,
           const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autofree char *request = NULL;
  char answer[256] = { 0 };
  gssize n;

  conn = g_socket_client_connect_to_uri (client, endpoint, 80, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("POST /_test/rule HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                             "Connection: close\r\n\r\n%s", strlen (json), json);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            request, strlen (request), NULL, NULL, &error));
  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), answer, sizeof answer - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200") || g_str_has_prefix (answer, "HTTP/1.1 204"));
}

static gboolean
new_distilbert (gpointer data)
{
  Wait *w = data;
  VsModelRef *ref = vs_project_get_model (w->project);

  return ref != NULL && !vs_model_page_get_loading (w->page) && vs_model_ref_get_dir (ref) == NULL
         && g_strcmp0 (vs_model_get_model_type (vs_model_ref_get_model (ref)), "distilbert") == 0;
}

static gboolean
max_seq_is_32 (gpointer data)
{
  Wait *w = data;
  VsModelRef *ref = vs_project_get_model (w->project);

  return ref != NULL && !vs_model_page_get_loading (w->page)
         && vs_model_get_max_seq_length (vs_model_ref_get_model (ref)) == 32;
}

static gboolean
hub_answered (gpointer data)
{
  return g_strcmp0 (vs_model_page_get_hub_status (data), "Searching…") != 0;
}

static gboolean
hub_model_loaded (gpointer data)
{
  Wait *w = data;
  VsModelRef *ref = vs_project_get_model (w->project);

  return ref != NULL && g_strcmp0 (vs_model_ref_get_source (ref), "testuser/tiny-bert") == 0
         && !vs_model_page_get_loading (w->page);
}

static void
screenshot (GtkWidget *window, const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);
  vs_gui_save_screenshot (window, path);
}

static char *
size_text (gsize n)
{
  return g_strdup_printf ("%'zu", n);
}

static char *
dims_text (gsize n)
{
  return g_strdup_printf (n == 1 ? "%zu dimension" : "%zu dimensions", n);
}

/* Drops block from onto block to through the target's own "drop" signal. */
static gboolean
drop_block (VsModuleStack *modules,
            int            from,
            int            to)
{
  GtkWidget *card = vs_module_stack_get_block (modules, to);
  g_autoptr(GListModel) controllers = NULL;
  GtkDropTarget *target = NULL;
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_assert_nonnull (card);
  g_assert_nonnull (vs_module_stack_get_block (modules, from));
  controllers = gtk_widget_observe_controllers (card);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (c))
        target = GTK_DROP_TARGET (c);
    }
  g_assert_nonnull (target);
  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, from);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  return accepted;
}

static gboolean
normalize_first (gpointer data)
{
  Wait *w = data;

  return g_strcmp0 (vs_project_get_string (w->project, "model.modules.1.type"), "normalize") == 0;
}

static void
test_model_page (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  AdwViewStack *stack;
  VsModuleStack *modules;
  VsModelRef *ref;
  VsModel *model;
  Wait w = { 0 };

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 1100);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, window, "the main window to be mapped");

  stack = vs_window_get_stack (VS_WINDOW (window));
  adw_view_stack_set_visible_child_name (stack, "model");
  w.project = vs_window_get_project (VS_WINDOW (window));
  w.page = VS_MODEL_PAGE (adw_view_stack_get_child_by_name (stack, "model"));
  modules = vs_model_page_get_module_stack (w.page);

  /* 1. The demo project's new tiny BERT; the facts are the engine's. */
  vs_gui_wait_for (model_loaded, &w, "the demo model to load");
  ref = vs_project_get_model (w.project);
  model = vs_model_ref_get_model (ref);
  g_assert_null (vs_model_ref_get_dir (ref));
  g_assert_cmpstr (vs_model_get_model_type (model), ==, "bert");
  {
    g_autofree char *layers = size_text (vs_model_get_n_layers (model));
    g_autofree char *hidden = size_text (vs_model_get_hidden_size (model));
    g_autofree char *heads = size_text (vs_model_get_n_heads (model));
    g_autofree char *params = g_strdup_printf ("%'" G_GUINT64_FORMAT, vs_model_count_parameters (model));
    g_autofree char *dim = size_text (vs_model_get_dimension (model));

    g_assert_cmpstr (vs_model_page_get_fact (w.page, "layers"), ==, layers);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "hidden-size"), ==, hidden);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "heads"), ==, heads);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "parameters"), ==, params);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "dimension"), ==, dim);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "architecture"), ==, "BERT");
    g_assert_nonnull (strstr (vs_model_page_get_fact (w.page, "vocabulary"), "WordPiece"));
  }
  /* The preset "tiny" is 2 layers of 128 (vs-model.h). */
  g_assert_cmpuint (vs_model_get_n_layers (model), ==, 2);
  g_assert_cmpuint (vs_model_get_hidden_size (model), ==, 128);
  screenshot (GTK_WIDGET (window), "model-page-demo");

  /* 2. Pooling cls + mean: the arrow after Pooling doubles, as the model does. */
  {
    g_autofree char *t128 = dims_text (128);
    g_autofree char *t256 = dims_text (256);
    g_autofree char *t64 = dims_text (64);

    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 0), ==, t128);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 1), ==, t128);
    vs_module_stack_set_pooling_mode (modules, "cls", TRUE);
    g_assert_cmpstr (vs_project_get_string (w.project, "model.modules.0.mode"), ==, "cls+mean");
    w.dimension = 256;
    vs_gui_wait_for (model_loaded, &w, "the model with cls+mean pooling");
    g_assert_cmpuint (vs_model_get_pooling_modes (vs_model_ref_get_model (vs_project_get_model (w.project))),
                      ==, VS_POOLING_CLS | VS_POOLING_MEAN);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 1), ==, t256);

    /* A Dense to 64 after it. */
    vs_module_stack_add_dense (modules, 64);
    g_assert_cmpint (vs_project_get_int (w.project, "model.modules.1.out_features", 0), ==, 64);
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the model with a Dense to 64");
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 1), ==, t256);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, t64);
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "dimension"), ==, "64");
    g_assert_null (vs_module_stack_get_error (modules));

    /* Removing every pooling mode is refused by the engine, with its reason. */
    vs_module_stack_set_pooling_mode (modules, "cls", FALSE);
    vs_module_stack_set_pooling_mode (modules, "mean", FALSE);
    g_assert_nonnull (vs_module_stack_get_error (modules));
    g_assert_true (g_str_has_prefix (vs_module_stack_get_error (modules), "modules[0].mode"));
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-invalid-stack");
    vs_module_stack_set_pooling_mode (modules, "cls", TRUE);
    vs_module_stack_set_pooling_mode (modules, "mean", TRUE);
    g_assert_null (vs_module_stack_get_error (modules));
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the valid stack again");
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-stack");
  }

  /* 2b. Several Dense modules, one without bias, then Normalize; moves
   * the engine allows change the widths, the others are refused with the
   * engine's reason and change nothing. */
  {
    g_autofree char *t256 = dims_text (256);
    g_autofree char *t64 = dims_text (64);
    g_autofree char *t32 = dims_text (32);
    g_autofree char *before = NULL;
    cJSON *built;

    vs_module_stack_add_dense (modules, 32);
    vs_module_stack_set_dense_bias (modules, 2, FALSE);
    g_assert_false (vs_project_get_bool (w.project, "model.modules.2.bias", TRUE));
    vs_module_stack_add_normalize (modules);
    g_assert_cmpstr (vs_project_get_string (w.project, "model.modules.3.type"), ==, "normalize");
    w.dimension = 32;
    vs_gui_wait_for (model_loaded, &w, "the model with Dense 64 → Dense 32 (no bias) → Normalize");
    model = vs_model_ref_get_model (vs_project_get_model (w.project));
    g_assert_true (vs_model_has_normalize (model));
    built = vs_model_dup_modules_json (model);
    /* the model the engine built: 2 Dense, the second without bias */
    g_assert_cmpint (cJSON_GetArraySize (built), ==, 4);
    g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (cJSON_GetArrayItem (built, 1), "bias")));
    g_assert_true (cJSON_IsFalse (cJSON_GetObjectItem (cJSON_GetArrayItem (built, 2), "bias")));
    cJSON_Delete (built);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 1), ==, t256);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, t64);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 3), ==, t32);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 4), ==, t32);
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-stack-several-dense");

    /* Dense 32 up: allowed; the widths follow (256 → 32 → 64); the
     * keyboard focus stays on the moved block's "up" button. */
    g_assert_true (vs_module_stack_move (modules, 2, -1));
    {
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

      g_assert_nonnull (focus);
      g_assert_cmpstr (g_object_get_data (G_OBJECT (focus), "vs-move"), ==, "up");
      g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (focus), "vs-module-index")), ==, 1);
    }
    g_assert_null (vs_module_stack_get_refusal (modules));
    g_assert_cmpint (vs_project_get_int (w.project, "model.modules.1.out_features", 0), ==, 32);
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the model with the two Dense swapped");
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, t32);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 3), ==, t64);

    /* Normalize up, before the Dense to 64: allowed (sentence-transformers
     * runs the modules in order); the stack no longer ends unit length. */
    g_assert_true (vs_module_stack_move (modules, 3, -1));
    g_assert_cmpstr (vs_project_get_string (w.project, "model.modules.2.type"), ==, "normalize");
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the model with Normalize between the two Dense");
    model = vs_model_ref_get_model (vs_project_get_model (w.project));
    g_assert_false (vs_model_has_normalize (model));
    built = vs_model_dup_modules_json (model);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (built, 2), "type")), ==, "normalize");
    cJSON_Delete (built);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, t32);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 3), ==, t32);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 4), ==, t64);
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-stack-normalize-between");

    /* A Dense above Pooling: refused with the engine's reason, nothing changes. */
    before = cJSON_PrintUnformatted (vs_project_get (w.project, "model.modules"));
    g_assert_false (vs_module_stack_move (modules, 1, -1));
    g_assert_true (g_str_has_prefix (vs_module_stack_get_refusal (modules),
                                     "modules[0]: a Dense module comes after the Pooling module"));
    {
      g_autofree char *after = cJSON_PrintUnformatted (vs_project_get (w.project, "model.modules"));
      g_assert_cmpstr (after, ==, before);
    }
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-stack-refused");
    {
      g_autofree char *dark = vs_gui_screenshot_path ("model-page-stack-refused-dark");
      vs_gui_save_screenshot_dark (GTK_WIDGET (window), dark);
    }
    /* Pooling stays right after the Transformer */
    g_assert_false (vs_module_stack_move (modules, 0, -1));
    g_assert_true (g_str_has_prefix (vs_module_stack_get_refusal (modules), "modules[0]: the Transformer stays first"));

    /* Drag and drop (the blocks' GtkDropTarget "drop", as GTK emits it):
     * the Dense to 64 onto the Transformer is refused with the reason;
     * Normalize onto the Dense to 32 takes its place. */
    g_assert_false (drop_block (modules, 3, -1));
    g_assert_true (g_str_has_prefix (vs_module_stack_get_refusal (modules),
                                     "modules[3]: the Transformer stays first"));
    g_assert_true (drop_block (modules, 2, 1));
    vs_gui_wait_for (normalize_first, &w, "Normalize dropped right after Pooling");
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the model with Normalize right after Pooling");
    g_assert_null (vs_module_stack_get_refusal (modules));
    g_assert_cmpint (vs_project_get_int (w.project, "model.modules.2.out_features", 0), ==, 32);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, t256);
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 3), ==, t32);

    /* Remove Normalize and the Dense to 32: back to Pooling → Dense 64. */
    vs_module_stack_remove (modules, 1);
    vs_module_stack_remove (modules, 1);
    g_assert_null (vs_module_stack_get_refusal (modules));
    g_assert_cmpint (cJSON_GetArraySize (vs_project_get (w.project, "model.modules")), ==, 2);
    w.dimension = 64;
    vs_gui_wait_for (model_loaded, &w, "the stack back to one Dense");
    g_assert_false (vs_model_has_normalize (vs_model_ref_get_model (vs_project_get_model (w.project))));
    g_assert_cmpint (vs_project_get_int (w.project, "model.modules.1.out_features", 0), ==, 64);
    g_assert_null (vs_module_stack_get_read_only_note (modules));
  }

  /* The new model follows args.max_seq_length (the Transformer block's limit). */
  vs_project_set_int (w.project, "args.max_seq_length", 32);
  vs_gui_wait_for (max_seq_is_32, &w, "the model with max_seq_length 32");
  g_assert_cmpstr (vs_model_page_get_fact (w.page, "max-seq-length"), ==, "32");

  /* 3. Tokenize: the count is the tokenizer's. */
  {
    const char *text = "A cat sits on the mat.";
    VsTokenizer *tok = vs_model_get_tokenizer (vs_model_ref_get_model (vs_project_get_model (w.project)));
    g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, text, NULL, TRUE, 0);
    g_autofree char *expected = g_strdup_printf ("%zu tokens", enc->n_tokens);

    vs_model_page_tokenize (w.page, text);
    g_assert_cmpstr (vs_model_page_get_token_count_label (w.page), ==, expected);
    g_assert_cmpuint (enc->n_tokens, >, 2);
    vs_model_page_scroll_to (w.page, "tokenize");
    screenshot (GTK_WIDGET (window), "model-page-tokenize");
  }

  /* 4. A folder that does not load: the engine's message, the model stays. */
  {
    g_autofree char *bad = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures",
                                             "micro-badshape", NULL);
    g_autoptr(GError) expected = NULL;
    g_autoptr(VsModel) none = vs_model_load (bad, &expected);
    VsModelRef *before = vs_project_get_model (w.project);

    g_assert_null (none);
    vs_model_page_open_folder (w.page, bad);
    vs_gui_wait_for (banner_shown, &w, "the banner for a folder that does not load");
    g_assert_cmpstr (vs_model_page_get_banner_message (w.page), ==, expected->message);
    g_assert_true (vs_project_get_model (w.project) == before);
    vs_model_page_scroll_to (w.page, NULL);
    screenshot (GTK_WIDGET (window), "model-page-bad-folder");

    /* An empty folder: the engine's message too (another one). */
    {
      g_autofree char *empty = g_dir_make_tmp ("vs-model-page-empty-XXXXXX", NULL);
      g_autoptr(GError) expected_empty = NULL;
      g_autoptr(VsModel) none2 = vs_model_load (empty, &expected_empty);

      g_assert_null (none2);
      vs_model_page_open_folder (w.page, empty);
      vs_gui_wait_for (banner_is, &(BannerWait) { &w, expected_empty->message }, "the banner for an empty folder");
      g_assert_true (vs_project_get_model (w.project) == before);
      g_rmdir (empty);
    }
  }

  /* 5. A real folder loads; its stack is shown read-only, as the engine reads it. */
  {
    g_autofree char *dir = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures",
                                             "bert", NULL);
    g_autofree char *dim = NULL;
    g_autofree char *last = NULL;

    /* Dropped from the file manager: a file is refused with a word, the
     * folder loads. */
    {
      g_autofree char *config = g_build_filename (dir, "config.json", NULL);

      g_assert_false (vs_gui_drop_file (GTK_WIDGET (w.page), config));
      vs_gui_wait_for (banner_shown, &w, "the banner for a dropped file");
    }
    g_assert_true (vs_gui_drop_file (GTK_WIDGET (w.page), dir));
    w.dimension = 0;
    vs_gui_wait_for (dir_loaded, &w, "the bert fixture to load");
    g_assert_null (vs_model_page_get_banner_message (w.page));
    model = vs_model_ref_get_model (vs_project_get_model (w.project));
    dim = size_text (vs_model_get_dimension (model));
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "dimension"), ==, dim);
    /* Transformer, Pooling, Dense (the fixture's 2_Dense): the last arrow is the model's dimension. */
    last = dims_text (vs_model_get_dimension (model));
    g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 2), ==, last);
    /* Its own modules stay; the note says layers go on top. */
    g_assert_nonnull (vs_module_stack_get_read_only_note (modules));
    g_assert_nonnull (strstr (vs_module_stack_get_read_only_note (modules), "stay as they are"));
    screenshot (GTK_WIDGET (window), "model-page-folder");
    vs_model_page_scroll_to (w.page, "modules");
    screenshot (GTK_WIDGET (window), "model-page-folder-stack");

    /* A Dense on top: the project says {"path", "modules"} and the engine
     * builds the folder's model with it. */
    {
      gsize own = vs_model_get_dimension (model);
      g_autofree char *t_own = dims_text (own);
      g_autofree char *t8 = dims_text (8);

      vs_module_stack_add_dense (modules, 8);
      g_assert_cmpstr (vs_project_get_string (w.project, "model.path"), ==, dir);
      g_assert_cmpint (vs_project_get_int (w.project, "model.modules.0.out_features", 0), ==, 8);
      w.dimension = 8;
      vs_gui_wait_for (model_loaded, &w, "the folder's model with a Dense to 8 on top");
      g_assert_nonnull (vs_model_ref_get_dir (vs_project_get_model (w.project)));
      g_assert_cmpstr (vs_model_page_get_fact (w.page, "dimension"), ==, "8");
      g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 3), ==, t_own);   /* its Normalize */
      g_assert_cmpstr (vs_module_stack_get_arrow_text (modules, 4), ==, t8);
      /* into the model's own modules: refused with the engine's reason */
      g_assert_false (vs_module_stack_move (modules, 3, -1));
      g_assert_true (g_str_has_prefix (vs_module_stack_get_refusal (modules),
                                       "modules[2]: the loaded model's own modules stay as they are"));
      vs_model_page_scroll_to (w.page, "modules");
      screenshot (GTK_WIDGET (window), "model-page-folder-on-top");
      /* the layer removed: the plain folder again */
      vs_module_stack_remove (modules, 3);
      g_assert_cmpstr (vs_project_get_string (w.project, "model"), ==, dir);
      w.dimension = own;
      vs_gui_wait_for (model_loaded, &w, "the folder's own model again");
    }
  }

  /* 6. The Hub: a fake Hub (tests/hub/fake-hub.c) serves a model we push
   * there; it is found, pulled with byte progress into the cache, and loads. */
  if (fake_hub_path != NULL)
    {
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;
      g_autofree char *tmp = g_dir_make_tmp ("vs-model-page-hub-XXXXXX", NULL);
      g_autofree char *hf_home = g_build_filename (tmp, "hf", NULL);
      g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);
      g_autofree char *bert = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures", "bert", NULL);
      char *sp;

      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               fake_hub_path, "--parquet", parquet, NULL);
      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      sp = strchr (line, ' ');
      g_assert_nonnull (sp);
      *sp = '\0';
      g_setenv ("HF_ENDPOINT", line, TRUE);
      g_setenv ("HF_HOME", hf_home, TRUE);
      g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
      g_unsetenv ("HF_HUB_CACHE");
      {
        g_autoptr(VsHub) hub = vs_hub_new ();
        cJSON *reply;

        g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/tiny-bert", FALSE, NULL, &error));
        g_assert_no_error (error);
        reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/tiny-bert", bert, NULL, "Add model", FALSE, &error);
        g_assert_no_error (error);
        cJSON_Delete (reply);
      }

      vs_model_page_scroll_to (w.page, NULL);
      vs_model_page_search_hub (w.page, "tiny-bert");
      vs_gui_wait_for (hub_answered, w.page, "the Hub search results");
      g_assert_cmpuint (vs_model_page_get_n_hub_results (w.page), ==, 1);
      screenshot (GTK_WIDGET (window), "model-page-hub-search");

      vs_model_page_use_hub_model (w.page, "testuser/tiny-bert");
      vs_gui_wait_for (hub_model_loaded, &w, "the Hub model to be pulled and loaded");
      g_assert_true (vs_model_page_get_saw_pull_progress (w.page));
      g_assert_null (vs_model_page_get_banner_message (w.page));
      g_assert_nonnull (strstr (vs_model_ref_get_dir (vs_project_get_model (w.project)), hf_home));
      g_assert_cmpstr (vs_model_page_get_fact (w.page, "layers"), ==, "2");
      screenshot (GTK_WIDGET (window), "model-page-hub-pulled");

      /* A slow pull can be cancelled: the previous model stays, no banner. */
      {
        g_autoptr(VsHub) hub = vs_hub_new ();
        VsModelRef *before = vs_project_get_model (w.project);
        cJSON *reply;

        g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/slow-bert", FALSE, NULL, &error));
        reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/slow-bert", bert, NULL, "Add model", FALSE, &error);
        g_assert_no_error (error);
        cJSON_Delete (reply);
        fake_rule (line, "{\"match\": \"slow-bert\", \"delay_ms\": 3000, \"count\": 1}");

        vs_model_page_use_hub_model (w.page, "testuser/slow-bert");
        g_assert_true (vs_model_page_get_loading (w.page));
        screenshot (GTK_WIDGET (window), "model-page-hub-pulling");
        vs_model_page_cancel (w.page);
        g_assert_false (vs_model_page_get_loading (w.page));
        g_assert_true (vs_project_get_model (w.project) == before);
        g_assert_cmpstr (vs_project_get_string (w.project, "model"), ==, "testuser/tiny-bert");
        g_assert_null (vs_model_page_get_banner_message (w.page));
      }

      /* A search the Hub refuses shows its message. */
      g_output_stream_close (g_subprocess_get_stdin_pipe (proc), NULL, NULL);
      g_subprocess_wait (proc, NULL, NULL);
      vs_model_page_search_hub (w.page, "anything");
      vs_gui_wait_for (hub_answered, w.page, "the Hub search error");
      g_assert_cmpuint (vs_model_page_get_n_hub_results (w.page), ==, 0);
      g_test_message ("Hub down: %s", vs_model_page_get_hub_status (w.page));
      screenshot (GTK_WIDGET (window), "model-page-hub-error");
      vs_gui_keep_artefacts ("model-page", "hub", tmp);
      vs_gui_keep_settings ("model-page", vs_application_get_settings (VS_APPLICATION (g_application_get_default ())));
      g_unsetenv ("HF_TOKEN");
    }

  /* 7. New from scratch: a DistilBERT with the demo tokenizer; the project
   * gets {"new": ..., "modules": [...]} and the engine builds it. */
  {
    g_autofree char *tok = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "tokenizer", NULL);

    vs_model_page_new_model (w.page, "distilbert", "tiny", tok);
    g_assert_cmpstr (vs_project_get_string (w.project, "model.new.architecture"), ==, "distilbert");
    g_assert_cmpstr (vs_project_get_string (w.project, "model.modules.0.type"), ==, "pooling");
    vs_gui_wait_for (new_distilbert, &w, "the new DistilBERT");
    g_assert_cmpstr (vs_model_page_get_fact (w.page, "architecture"), ==, "DistilBERT");
    vs_model_page_scroll_to (w.page, NULL);
    screenshot (GTK_WIDGET (window), "model-page-new-distilbert");
  }

  gtk_window_close (window);
}

int
main (int argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  if (argc > 1)
    fake_hub_path = argv[1];
  g_test_add_func ("/app/model-page", test_model_page);
  return g_test_run ();
}
