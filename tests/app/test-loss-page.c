/* test-loss-page.c: the Loss page against the engine's ranking, under Xvfb.
 *
 * Opens the real window on the demo project, gives the project the case of
 * its own train file (case 1, float score) and then of an SNLI triplet file
 * (case 4), and checks what the page shows and writes: the engine's
 * compatible losses first, the others dimmed with their reason, a loss that
 * does not fit refused, the explanation naming the columns, a parameter
 * edit reaching the project and the triplet evaluator suggested for case 4.
 * A screenshot of every state goes to tests/app/screenshots/.
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "loss/vs-loss.h"

#include "vs-application.h"
#include "vs-loss-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

typedef struct
{
  GtkWindow  *window;
  VsLossPage *page;
  VsProject  *project;
} Fixture;

static void
set_case_from (Fixture    *f,
               const char *path,
               gboolean    with_roles)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  g_autofree VsRoleOverride *overrides = NULL;
  VsCaseInfo *info;
  guint n = 0;

  g_assert_no_error (error);
  if (with_roles)
    overrides = vs_project_get_role_overrides (f->project, &n);
  info = vs_dataset_detect_case (ds, overrides, n, &error);
  g_assert_no_error (error);
  vs_project_set_case_info (f->project, info);
}

/* Scrolls the page so widget is at the top of the view. */
static void
scroll_to (GtkWidget *widget)
{
  GtkWidget *sw = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw));
  graphene_point_t p;

  g_assert_true (gtk_widget_compute_point (widget, child, &GRAPHENE_POINT_INIT (0, 0), &p));
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw)),
                            MAX (0, p.y - 12));
}

static void
shot (Fixture    *f,
      const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);

  vs_gui_save_screenshot (GTK_WIDGET (f->window), path);
}

/* Narrower than the 1000 px window it started in. */
static gboolean
page_narrower (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (data)) < 900;
}

static void
test_loss_page (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *demo_train = NULL;
  g_autofree char *triplets = NULL;
  g_auto(GStrv) order = NULL;
  g_autofree char *loss_before = NULL;
  g_autofree char *loss_after = NULL;
  const VsCaseInfo *ci;
  AdwViewStack *stack;
  GtkWidget *editor;
  Fixture f;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 780);
  g_application_activate (G_APPLICATION (app));
  f.window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.window, "the main window to be mapped");
  stack = vs_window_get_stack (VS_WINDOW (f.window));
  adw_view_stack_set_visible_child_name (stack, "loss");
  f.page = VS_LOSS_PAGE (adw_view_stack_get_child_by_name (stack, "loss"));
  f.project = vs_window_get_project (VS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.page, "the loss page to be mapped");

  /* No dataset loaded: every loss in registry order, with the note. */
  {
    gsize n;
    const VsLossInfo *all = vs_loss_registry_get_all (&n);

    g_assert_null (vs_project_get_case_info (f.project));
    order = vs_loss_page_dup_loss_order (f.page);
    g_assert_cmpuint (g_strv_length (order), ==, n);
    for (gsize i = 0; i < n; i++)
      g_assert_cmpstr (order[i], ==, all[i].name);
    g_clear_pointer (&order, g_strfreev);
    g_assert_cmpstr (gtk_label_get_text (vs_loss_page_get_note_label (f.page)), ==,
                     "Load a dataset to see which losses fit");
  }
  shot (&f, "loss-page-no-dataset");

  /* The demo's own train file: case 1 (float score), CoSENTLoss chosen and fits. */
  demo_train = g_build_filename (vs_project_get_base_dir (f.project),
                                 vs_project_get_string (f.project, "train.path"), NULL);
  set_case_from (&f, demo_train, TRUE);
  ci = vs_project_get_case_info (f.project);
  g_assert_nonnull (ci);
  g_assert_cmpint (ci->case_number, ==, 1);
  g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "CoSENTLoss");
  g_assert_false (vs_loss_page_loss_is_dimmed (f.page, "CoSENTLoss"));
  order = vs_loss_page_dup_loss_order (f.page);
  {
    guint k = 0;

    /* The engine's compatible losses, in its order, come first. */
    for (guint i = 0; i < ci->n_losses; i++)
      if (ci->losses[i].compatible)
        {
          g_assert_cmpstr (order[k], ==, ci->losses[i].name);
          g_assert_false (vs_loss_page_loss_is_dimmed (f.page, order[k]));
          k++;
        }
    g_assert_cmpuint (k, >, 0);
    g_assert_true (vs_loss_page_loss_is_dimmed (f.page, "MultipleNegativesRankingLoss"));
  }
  g_clear_pointer (&order, g_strfreev);
  g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_explain_label (f.page)), "`sentence1`"));
  g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_explain_label (f.page)), "`score`"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (vs_loss_page_get_suggest_row (f.page)), "similarity"));
  shot (&f, "loss-page-case1");
  scroll_to (vs_loss_page_get_loss_row (f.page, order == NULL ? "CoSENTLoss" : order[0]));
  shot (&f, "loss-page-case1-list");

  /* A case-4 dataset: MNRL first, CoSENTLoss dimmed with its reason. */
  triplets = g_build_filename (g_getenv ("VS_SHARED_DATA"), "datasets", "triplets",
                               "snli_dev_triplets.parquet", NULL);
  set_case_from (&f, triplets, FALSE);
  ci = vs_project_get_case_info (f.project);
  g_assert_cmpint (ci->case_number, ==, 4);
  order = vs_loss_page_dup_loss_order (f.page);
  g_assert_cmpstr (order[0], ==, "MultipleNegativesRankingLoss");
  g_clear_pointer (&order, g_strfreev);
  g_assert_true (vs_loss_page_loss_is_dimmed (f.page, "CoSENTLoss"));
  {
    GtkWidget *row = vs_loss_page_get_loss_row (f.page, "CoSENTLoss");
    const char *sub = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
    const char *reason = NULL;

    for (guint i = 0; i < ci->n_losses; i++)
      if (strcmp (ci->losses[i].name, "CoSENTLoss") == 0)
        reason = ci->losses[i].reason;
    g_assert_nonnull (reason);
    g_assert_nonnull (strstr (sub, reason));
    g_assert_true (gtk_widget_get_sensitive (row));
    g_assert_true (gtk_widget_get_focusable (row));

    /* Choosing it is refused, the project unchanged, the reason shown. */
    loss_before = cJSON_PrintUnformatted (vs_project_get (f.project, "loss"));
    gtk_widget_activate (row);
    loss_after = cJSON_PrintUnformatted (vs_project_get (f.project, "loss"));
    g_assert_cmpstr (loss_before, ==, loss_after);
    g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_refusal_label (f.page)), reason));
  }
  /* The project's own problems of the loss area say it too. */
  {
    g_auto(GStrv) problems = vs_project_get_problems_for (f.project, VS_PROJECT_AREA_LOSS);
    GtkLabel *label = vs_loss_page_get_problems_label (f.page);

    g_assert_nonnull (problems);
    g_assert_nonnull (problems[0]);
    g_assert_true (gtk_widget_is_visible (GTK_WIDGET (label)));
    g_assert_nonnull (strstr (gtk_label_get_text (label), problems[0]));
  }
  scroll_to (GTK_WIDGET (vs_loss_page_get_refusal_label (f.page)));
  shot (&f, "loss-page-case4-refused");
  scroll_to (GTK_WIDGET (vs_loss_page_get_problems_label (f.page)));
  shot (&f, "loss-page-case4-problems");

  /* Choosing MNRL writes the project and explains it with the columns. */
  gtk_widget_activate (vs_loss_page_get_loss_row (f.page, "MultipleNegativesRankingLoss"));
  g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "MultipleNegativesRankingLoss");
  g_assert_true (cJSON_IsObject (vs_project_get (f.project, "loss.params")));
  g_assert_cmpint (cJSON_GetArraySize (vs_project_get (f.project, "loss.params")), ==, 0);
  {
    const char *text = gtk_label_get_text (vs_loss_page_get_explain_label (f.page));

    for (guint i = 0; i < ci->n_inputs; i++)
      {
        g_autofree char *quoted = g_strdup_printf ("`%s`", ci->inputs[i]);
        g_assert_nonnull (strstr (text, quoted));
      }
    g_assert_nonnull (strstr (text, "batch of 16"));
  }

  /* A parameter edit reaches the project. */
  editor = vs_loss_page_get_param_editor (f.page, "scale");
  g_assert_true (GTK_IS_SPIN_BUTTON (editor));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (editor)), ==, 20.0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (editor), 30.0);
  g_assert_cmpfloat (vs_project_get_double (f.project, "loss.params.scale", 0), ==, 30.0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page))));

  /* Matryoshka wraps the chosen loss with its params, and unwraps it. */
  {
    GtkSwitch *sw = GTK_SWITCH (vs_loss_page_get_matryoshka_switch (f.page));
    AdwEntryRow *dims = vs_loss_page_get_dims_row (f.page);
    g_autofree char *dims_before = NULL;
    g_autofree char *dims_after = NULL;

    gtk_switch_set_active (sw, TRUE);
    g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "MatryoshkaLoss");
    g_assert_cmpstr (vs_project_get_string (f.project, "loss.params.loss.name"), ==, "MultipleNegativesRankingLoss");
    g_assert_cmpfloat (vs_project_get_double (f.project, "loss.params.loss.params.scale", 0), ==, 30.0);
    g_assert_true (cJSON_IsArray (vs_project_get (f.project, "loss.params.matryoshka_dims")));
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dims)));

    /* Text that is not a list of whole numbers is refused next to the field. */
    dims_before = cJSON_PrintUnformatted (vs_project_get (f.project, "loss.params.matryoshka_dims"));
    gtk_editable_set_text (GTK_EDITABLE (dims), "64, abc");
    g_signal_emit_by_name (dims, "apply");
    dims_after = cJSON_PrintUnformatted (vs_project_get (f.project, "loss.params.matryoshka_dims"));
    g_assert_cmpstr (dims_before, ==, dims_after);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page))));
    g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_param_error_label (f.page)), "abc"));
    gtk_editable_set_text (GTK_EDITABLE (dims), "128, 64, 32");
    g_signal_emit_by_name (dims, "apply");
    g_assert_cmpint (cJSON_GetArraySize (vs_project_get (f.project, "loss.params.matryoshka_dims")), ==, 3);
    g_assert_cmpint (vs_project_get_int (f.project, "loss.params.matryoshka_dims.2", 0), ==, 32);
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page))));
    /* The form edits the inner loss now. */
    editor = vs_loss_page_get_param_editor (f.page, "scale");
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (editor), 25.0);
    g_assert_cmpfloat (vs_project_get_double (f.project, "loss.params.loss.params.scale", 0), ==, 25.0);
    scroll_to (GTK_WIDGET (vs_loss_page_get_explain_label (f.page)));
    shot (&f, "loss-page-case4-matryoshka");

    gtk_switch_set_active (sw, FALSE);
    g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "MultipleNegativesRankingLoss");
    g_assert_cmpfloat (vs_project_get_double (f.project, "loss.params.scale", 0), ==, 25.0);
  }

  /* The evaluator suggested for case 4 is the triplet one; using it writes it. */
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (vs_loss_page_get_suggest_row (f.page)), "triplet"));
  scroll_to (GTK_WIDGET (vs_loss_page_get_refusal_label (f.page)));
  shot (&f, "loss-page-case4-mnrl");
  {
    g_autofree char *dark = vs_gui_screenshot_path ("loss-page-case4-mnrl-dark");
    vs_gui_save_screenshot_dark (GTK_WIDGET (f.window), dark);
  }
  /* Narrow: the filled page fits a phone's 360 px. */
  {
    g_autofree char *dark = vs_gui_screenshot_path ("loss-page-narrow-dark");
    int min = vs_gui_get_min_width (GTK_WIDGET (f.page));

    vs_gui_print_wide_widgets (GTK_WIDGET (f.page), 360);
    g_test_message ("loss page minimum width: %d", min);
    g_assert_cmpint (min, <=, 360);
    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 360, 720);
    vs_gui_wait_for (page_narrower, f.page, "the loss page to take a narrower width");
    g_test_message ("window width asked 360, got %d", gtk_widget_get_width (GTK_WIDGET (f.window)));
    shot (&f, "loss-page-narrow");
    vs_gui_save_screenshot_dark (GTK_WIDGET (f.window), dark);
    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 1000, 780);
  }
  g_signal_emit_by_name (vs_loss_page_get_suggest_button (f.page), "clicked");
  g_assert_cmpstr (vs_project_get_string (f.project, "evaluator.name"), ==, "triplet");
  scroll_to (GTK_WIDGET (vs_loss_page_get_suggest_row (f.page)));
  shot (&f, "loss-page-case4-evaluator");

  /* A large batch gives the Cached hint. */
  vs_project_set_int (f.project, "args.batch_size", 256);
  g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_explain_label (f.page)), "batch of 256"));
  g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_hint_label (f.page)),
                            "CachedMultipleNegativesRankingLoss"));
  scroll_to (GTK_WIDGET (vs_loss_page_get_explain_label (f.page)));
  shot (&f, "loss-page-case4-large-batch");

  /* A value the engine refuses is shown next to the field and not written. */
  gtk_widget_activate (vs_loss_page_get_loss_row (f.page, "CachedMultipleNegativesRankingLoss"));
  g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "CachedMultipleNegativesRankingLoss");
  /* Already the Cached variant: no hint at batch size 256. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_hint_label (f.page))));
  editor = vs_loss_page_get_param_editor (f.page, "mini_batch_size");
  g_assert_true (GTK_IS_SPIN_BUTTON (editor));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (editor), 16);
  g_assert_cmpint (vs_project_get_int (f.project, "loss.params.mini_batch_size", 0), ==, 16);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (editor), 0);
  g_assert_cmpint (vs_project_get_int (f.project, "loss.params.mini_batch_size", 0), ==, 16);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page))));
  g_assert_nonnull (strstr (gtk_label_get_text (vs_loss_page_get_param_error_label (f.page)), "mini_batch_size"));
  scroll_to (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page)));
  shot (&f, "loss-page-case4-bad-param");

  /* Reset to defaults empties the params. */
  vs_loss_page_reset_params (f.page);
  g_assert_cmpint (cJSON_GetArraySize (vs_project_get (f.project, "loss.params")), ==, 0);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (vs_loss_page_get_param_editor (f.page, "mini_batch_size"))), ==, 32);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (vs_loss_page_get_param_error_label (f.page))));

  /* GISTEmbedLoss: the guide is a model folder or Hub id, typed in. */
  gtk_widget_activate (vs_loss_page_get_loss_row (f.page, "GISTEmbedLoss"));
  g_assert_cmpstr (vs_project_get_string (f.project, "loss.name"), ==, "GISTEmbedLoss");
  editor = vs_loss_page_get_param_editor (f.page, "guide");
  g_assert_true (GTK_IS_ENTRY (editor));
  gtk_editable_set_text (GTK_EDITABLE (editor), "sentence-transformers/all-MiniLM-L6-v2");
  g_signal_emit_by_name (editor, "activate");
  g_assert_cmpstr (vs_project_get_string (f.project, "loss.params.guide"), ==,
                   "sentence-transformers/all-MiniLM-L6-v2");
  g_assert_true (ADW_IS_COMBO_ROW (vs_loss_page_get_param_editor (f.page, "margin_strategy")));
  g_assert_true (GTK_IS_SWITCH (vs_loss_page_get_param_editor (f.page, "contrast_anchors")));
  scroll_to (GTK_WIDGET (vs_loss_page_get_explain_label (f.page)));
  shot (&f, "loss-page-case4-gist");

  gtk_window_destroy (f.window);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/loss-page", test_loss_page);
  return g_test_run ();
}
