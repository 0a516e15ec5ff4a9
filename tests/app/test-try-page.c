/* test-try-page.c: the Try page against the engine, under Xvfb.
 *
 * Opens the real window on the demo project with its output folder in a
 * temporary folder. Before training: four typed sentences give the base
 * model's matrix only, with the note; their values equal the cosines of
 * vs_model_encode embeddings of the run's starting model computed here.
 * Then the demo is trained with the engine directly (vs_trainer_run on a
 * thread, shortened to 40 steps) and the page notices the trained model in
 * its output folder by itself (its file monitor). After training: base,
 * trained and difference matrices equal cosines computed here from both
 * models (1e-5) and difference = trained − base; a search of the eval
 * split gives for each model the argmax computed here over the corpus's
 * distinct texts; the before/after metrics are the training record's
 * numbers (read here with cJSON), with delta classes by direction; the
 * command line and the exported script. A model that does not load shows
 * the engine's message in the banner. Screenshots of every state (one dark).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "data/vs-dataset.h"
#include "model/vs-model.h"
#include "train/vs-recipe-base.h"
#include "train/vs-trainer.h"
#include "train/vs-training-record.h"

#include "vs-application.h"
#include "vs-chart.h"
#include "vs-heatmap.h"
#include "vs-try-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

static const char *sentences[] = {
  "A man is playing a guitar.",
  "A man plays the guitar on stage.",
  "A woman is slicing an onion.",
  "Two dogs run through the snow.",
};

typedef struct
{
  GtkWindow  *window;
  VsTryPage  *page;
  VsProject  *project;
  char       *output_dir;
} Fixture;

static void
shot (Fixture    *f,
      const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);

  vs_gui_save_screenshot (GTK_WIDGET (f->window), path);
}

/* Where the trained model's matrix sits relative to the base model's. */
static graphene_point_t
trained_map_offset (VsTryPage *page)
{
  graphene_point_t p = GRAPHENE_POINT_INIT (0, 0);

  g_assert_true (gtk_widget_compute_point (vs_try_page_get_heatmap (page, VS_TRY_MATRIX_TRAINED),
                                           vs_try_page_get_heatmap (page, VS_TRY_MATRIX_BASE),
                                           &GRAPHENE_POINT_INIT (0, 0), &p));
  return p;
}

static gboolean
page_narrow (gpointer data)
{
  return vs_try_page_get_narrow (data);
}

static gboolean
page_wide (gpointer data)
{
  return !vs_try_page_get_narrow (data);
}

static gboolean
page_idle (gpointer data)
{
  return !vs_try_page_get_busy (data);
}

static gboolean
page_has_trained (gpointer data)
{
  return vs_try_page_get_has_trained (data);
}

static gboolean
has_results (gpointer data)
{
  VsTryPage *page = data;

  return !vs_try_page_get_busy (page) &&
         gtk_list_box_get_row_at_index (vs_try_page_get_results (page, FALSE), 0) != NULL;
}

static gboolean
banner_shown (gpointer data)
{
  return !vs_try_page_get_busy (data) && vs_try_page_get_banner_message (data) != NULL;
}

/* Scrolls to the dimension chart until the page's layout lets it rise
 * into view (the adjustment grows once the new chart is laid out). */
static gboolean
scrolled_to_chart (gpointer data)
{
  VsTryPage *page = data;
  graphene_point_t p;

  vs_try_page_scroll_to (page, "dims");
  return gtk_widget_compute_point (vs_try_page_get_dims_chart (page), GTK_WIDGET (page),
                                   &GRAPHENE_POINT_INIT (0, 0), &p) && p.y < 400;
}

/* The cosine of two rows, in double, written out here. */
static double
cosine (const float *a,
        const float *b,
        gsize        D)
{
  double d = 0, na = 0, nb = 0;

  for (gsize k = 0; k < D; k++)
    {
      d += (double) a[k] * b[k];
      na += (double) a[k] * a[k];
      nb += (double) b[k] * b[k];
    }
  return d / (MAX (sqrt (na), 1e-12) * MAX (sqrt (nb), 1e-12));
}

static float *
encode (VsModel            *model,
        const char *const  *texts,
        gsize               n)
{
  g_autoptr(GError) error = NULL;
  float *emb = g_new (float, n * vs_model_get_dimension (model));

  g_assert_true (vs_model_encode (model, texts, n, 32, FALSE, emb, &error));
  g_assert_no_error (error);
  return emb;
}

/* The page's matrix equals the cosines of model's embeddings. */
static void
assert_matrix (Fixture     *f,
               VsTryMatrix  which,
               VsModel     *model)
{
  const gsize n = G_N_ELEMENTS (sentences);
  g_autofree float *emb = encode (model, sentences, n);
  gsize D = vs_model_get_dimension (model);
  guint shown_n = 0;
  const float *m = vs_try_page_get_matrix (f->page, which, &shown_n);
  double worst = 0;

  VsHeatmap *map = VS_HEATMAP (vs_try_page_get_heatmap (f->page, which));
  g_autofree char *text = NULL;

  g_assert_nonnull (m);
  g_assert_cmpuint (shown_n, ==, n);
  /* what the heat map widget holds (and reads out), not only the page's copy */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (map)));
  g_assert_cmpuint (vs_heatmap_get_n_rows (map), ==, n);
  g_assert_cmpuint (vs_heatmap_get_n_cols (map), ==, n);
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < n; j++)
      {
        worst = MAX (worst, fabs (vs_heatmap_get_value (map, i, j) - cosine (emb + i * D, emb + j * D, D)));
        g_assert_cmpfloat (vs_heatmap_get_value (map, i, j), ==, m[i * n + j]);
      }
  text = vs_heatmap_dup_text (map);
  g_assert_nonnull (strstr (text, sentences[3]));
  g_test_message ("matrix %d: max |page - cosine| = %.3g", which, worst);
  g_assert_cmpfloat (worst, <=, 1e-5);
}

static VsModel *
base_model (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  VsModel *model = vs_recipe_load_base_model (vs_project_get_recipe (f->project), &error);

  g_assert_no_error (error);
  return model;
}

/* ---- training with the engine directly ---- */

typedef struct
{
  VsTrainer *trainer;
  gboolean   done;
  gboolean   ok;
  char      *message;
} Run;

static gpointer
train_thread (gpointer data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;

  run->ok = vs_trainer_run (run->trainer, &error);
  if (error != NULL)
    run->message = g_strdup (error->message);
  g_atomic_int_set (&run->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
train_demo (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = cJSON_PrintUnformatted (vs_project_get_document (f->project));
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (text, strlen (text), "recipe.json",
                                                vs_project_get_base_dir (f->project), &error);
  Run run = { 0 };
  GThread *thread;

  g_assert_no_error (error);
  recipe->args.max_steps = 40;
  recipe->args.eval_steps = 20;
  run.trainer = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("train", train_thread, &run);
  vs_gui_wait_for_flag (&run.done, "the demo to train");
  g_thread_join (thread);
  if (!run.ok)
    g_error ("training failed: %s", run.message);
  vs_trainer_free (run.trainer);
}

/* The corpus as the page's help says: the distinct non-empty texts of the
 * eval columns, column by column, read here. */
static GPtrArray *
file_corpus (const char         *path,
             const char *const  *columns)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  for (guint c = 0; columns[c] != NULL; c++)
    {
      const VsColumn *col = vs_dataset_get_column_by_name (ds, columns[c]);

      for (gsize r = 0; r < vs_column_get_length (col); r++)
        {
          const char *t = vs_column_is_null (col, r) ? NULL : vs_column_get_string (col, r);

          if (t != NULL && *t != '\0' && !g_hash_table_contains (seen, t))
            {
              g_hash_table_add (seen, g_strdup (t));
              g_ptr_array_add (texts, g_strdup (t));
            }
        }
    }
  g_hash_table_steal_all (seen);
  return texts;
}

static GPtrArray *
eval_corpus (Fixture *f)
{
  g_autofree char *path = vs_project_dup_resolved_path (f->project, "eval.path");
  g_auto(GStrv) columns = vs_project_dup_strv (f->project, "eval.columns");

  return file_corpus (path, (const char *const *) columns);
}

static char *
argmax_text (VsModel    *model,
             GPtrArray  *corpus,
             const char *query,
             double     *best_out)
{
  g_autofree float *c = encode (model, (const char *const *) corpus->pdata, corpus->len);
  g_autofree float *q = encode (model, &query, 1);
  gsize D = vs_model_get_dimension (model);
  double best = -INFINITY;
  guint arg = 0;

  for (guint j = 0; j < corpus->len; j++)
    {
      double s = cosine (q, c + j * D, D);

      if (s > best)   /* strictly: ties keep the lower index */
        {
          best = s;
          arg = j;
        }
    }
  *best_out = best;
  return g_strdup (corpus->pdata[arg]);
}

static void
assert_top_hit (Fixture    *f,
                gboolean    trained,
                VsModel    *model,
                GPtrArray  *corpus,
                const char *query)
{
  double best;
  g_autofree char *expected = argmax_text (model, corpus, query, &best);
  g_autofree char *row = vs_try_page_dup_result (f->page, trained, 0);
  g_autofree char *want = g_strdup_printf ("%s\t%.3f", expected, best);

  g_assert_nonnull (row);
  g_assert_cmpstr (row, ==, want);
}

static void
test_try_page (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) base = NULL;
  g_autoptr(VsModel) trained = NULL;
  g_autoptr(GPtrArray) corpus = NULL;
  g_autofree char *joined = NULL;
  AdwViewStack *stack;
  Fixture f = { 0 };
  const char *query = "A person plays an instrument.";

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1100, 860);
  g_application_activate (G_APPLICATION (app));
  f.window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.window, "the main window to be mapped");
  f.project = vs_window_get_project (VS_WINDOW (f.window));
  f.output_dir = g_dir_make_tmp ("vs-try-page-XXXXXX", &error);
  g_assert_no_error (error);
  vs_project_set_string (f.project, "output_dir", f.output_dir);
  g_assert_nonnull (vs_project_get_recipe (f.project));
  stack = vs_window_get_stack (VS_WINDOW (f.window));
  adw_view_stack_set_visible_child_name (stack, "try");
  f.page = VS_TRY_PAGE (adw_view_stack_get_child_by_name (stack, "try"));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.page, "the try page to be mapped");
  g_assert_false (vs_try_page_get_has_trained (f.page));
  g_assert_cmpstr (gtk_label_get_text (vs_try_page_get_eval_status_label (f.page)), ==,
                   "Train the model to see its evaluation before and after");
  g_assert_cmpuint (vs_try_page_get_n_metrics (f.page), ==, 0);
  shot (&f, "try-page-start");

  /* Untrained: the base model only, with the note. */
  base = base_model (&f);
  joined = g_strdup_printf ("%s\n%s\n%s\n%s\n", sentences[0], sentences[1], sentences[2], sentences[3]);
  vs_try_page_compare (f.page, joined);
  vs_gui_wait_for (page_idle, f.page, "the base comparison");
  g_assert_null (vs_try_page_get_banner_message (f.page));
  assert_matrix (&f, VS_TRY_MATRIX_BASE, base);
  g_assert_null (vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_TRAINED, NULL));
  g_assert_null (vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_DIFFERENCE, NULL));
  g_assert_false (gtk_widget_get_visible (vs_try_page_get_heatmap (f.page, VS_TRY_MATRIX_TRAINED)));
  g_assert_false (gtk_widget_get_visible (vs_try_page_get_heatmap (f.page, VS_TRY_MATRIX_DIFFERENCE)));
  g_assert_cmpstr (gtk_label_get_text (vs_try_page_get_note_label (f.page)), ==, "Train the model to compare");
  g_assert_true (g_str_has_prefix (gtk_label_get_text (vs_try_page_get_summary_label (f.page)), "Most similar: “"));
  shot (&f, "try-page-base-only");

  /* Search before training: base results only. */
  corpus = eval_corpus (&f);
  vs_try_page_search (f.page, query);
  vs_gui_wait_for (has_results, f.page, "the base search");
  assert_top_hit (&f, FALSE, base, corpus, query);
  g_assert_null (gtk_list_box_get_row_at_index (vs_try_page_get_results (f.page, TRUE), 0));

  /* Train; the page sees the trained model appear by itself. */
  train_demo (&f);
  vs_gui_wait_for (page_has_trained, f.page, "the page to notice the trained model");
  trained = vs_model_load (f.output_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gtk_label_get_text (vs_try_page_get_note_label (f.page)), ==,
                   "Base model beside the trained one");

  vs_try_page_compare (f.page, joined);
  vs_gui_wait_for (page_idle, f.page, "the comparison");
  g_assert_null (vs_try_page_get_banner_message (f.page));
  assert_matrix (&f, VS_TRY_MATRIX_BASE, base);
  assert_matrix (&f, VS_TRY_MATRIX_TRAINED, trained);
  {
    guint n = 0;
    const float *b = vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_BASE, &n);
    const float *t = vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_TRAINED, NULL);
    const float *d = vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_DIFFERENCE, NULL);
    gboolean changed = FALSE;

    VsHeatmap *dmap = VS_HEATMAP (vs_try_page_get_heatmap (f.page, VS_TRY_MATRIX_DIFFERENCE));

    g_assert_nonnull (d);
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dmap)));
    g_assert_cmpuint (vs_heatmap_get_n_rows (dmap), ==, n);
    for (guint i = 0; i < n * n; i++)
      {
        g_assert_cmpfloat_with_epsilon (d[i], t[i] - b[i], 1e-6);
        g_assert_cmpfloat_with_epsilon (vs_heatmap_get_value (dmap, i / n, i % n), t[i] - b[i], 1e-6);
        if (fabsf (d[i]) > 1e-3f)
          changed = TRUE;
      }
    g_assert_true (changed);   /* training moved something */
  }
  g_assert_nonnull (strstr (gtk_label_get_text (vs_try_page_get_summary_label (f.page)), ", was "));
  shot (&f, "try-page-compare-trained");

  /* Search: both models, each top hit the argmax computed here. */
  vs_try_page_search (f.page, query);
  vs_gui_wait_for (page_idle, f.page, "the search");
  vs_gui_wait_for (has_results, f.page, "the search results");
  assert_top_hit (&f, FALSE, base, corpus, query);
  assert_top_hit (&f, TRUE, trained, corpus, query);
  g_assert_cmpint (gtk_list_box_get_row_at_index (vs_try_page_get_results (f.page, TRUE), 4) != NULL, ==, TRUE);
  g_assert_null (gtk_list_box_get_row_at_index (vs_try_page_get_results (f.page, TRUE), 5));   /* top-k 5 */
  vs_try_page_scroll_to (f.page, "search");
  shot (&f, "try-page-search");

  /* Before / after: the training record's numbers. */
  {
    g_autofree char *path = g_build_filename (f.output_dir, "vectorsmith_training_record.json", NULL);
    g_autofree char *text = NULL;
    cJSON *rec, *finals, *m, *row0 = NULL, *row;
    guint i = 0;

    g_assert_true (g_file_get_contents (path, &text, NULL, &error));
    rec = cJSON_Parse (text);
    finals = cJSON_GetObjectItem (rec, "final_metrics");
    cJSON_ArrayForEach (row, cJSON_GetObjectItem (rec, "log"))
      if (row0 == NULL && cJSON_GetObjectItem (row, "step")->valuedouble == 0)
        row0 = row;
    g_assert_nonnull (row0);
    g_assert_cmpuint (vs_try_page_get_n_metrics (f.page), ==, (guint) cJSON_GetArraySize (finals));
    cJSON_ArrayForEach (m, finals)
      {
        const char *log_key = strcmp (m->string, "eval_loss") == 0 ? "validation_loss" : m->string;
        double before = cJSON_GetObjectItem (row0, log_key)->valuedouble;
        double after = m->valuedouble;
        g_autofree char *want = g_strdup_printf ("%s\t%.4f\t%.4f\t%+.4f", m->string, before, after, after - before);
        g_autofree char *got = vs_try_page_dup_metric (f.page, i);
        GtkWidget *delta = vs_try_page_get_metric_delta (f.page, i);
        gboolean better = g_str_has_suffix (m->string, "loss") ? after < before : after > before;

        g_assert_cmpstr (got, ==, want);
        g_assert_true (gtk_widget_has_css_class (delta, better ? "success" : "error"));
        i++;
      }
    cJSON_Delete (rec);
  }
  vs_try_page_scroll_to (f.page, "eval");
  shot (&f, "try-page-evaluation");

  /* Matryoshka: the metric by dimension; at the full 128 dimensions it is
   * the record's baseline (base model) and final value (trained model). */
  {
    cJSON *loss = cJSON_CreateObject ();
    cJSON *params = cJSON_AddObjectToObject (loss, "params");
    cJSON *dims = cJSON_AddArrayToObject (params, "matryoshka_dims");
    const VsRecordMetric *m;
    g_autoptr(VsTrainingRecord) rec = vs_training_record_load (f.output_dir, &error);
    const double *bv, *tv;
    const gsize *dv = NULL;
    guint n = 0;

    g_assert_no_error (error);
    cJSON_AddStringToObject (loss, "name", "MatryoshkaLoss");
    cJSON_AddItemToObject (params, "loss", cJSON_Duplicate (vs_project_get (f.project, "loss"), TRUE));
    cJSON_AddItemToArray (dims, cJSON_CreateNumber (128));
    cJSON_AddItemToArray (dims, cJSON_CreateNumber (64));
    cJSON_AddItemToArray (dims, cJSON_CreateNumber (32));
    vs_project_set (f.project, "loss", loss);
    g_assert_nonnull (vs_project_get_recipe (f.project));
    vs_try_page_evaluate_dims (f.page);
    vs_gui_wait_for (page_idle, f.page, "the evaluation by dimension");
    g_assert_cmpstr (vs_try_page_get_dims_metric (f.page), ==, "sts-dev_spearman_cosine");
    bv = vs_try_page_get_dims_values (f.page, FALSE, &n, &dv);
    tv = vs_try_page_get_dims_values (f.page, TRUE, NULL, NULL);
    g_assert_cmpuint (n, ==, 3);
    g_assert_cmpuint (dv[0], ==, 128);
    g_assert_cmpuint (dv[2], ==, 32);
    m = vs_training_record_find_metric (rec, "sts-dev_spearman_cosine");
    g_test_message ("dim 128: base %.9g (record %.9g), trained %.9g (record %.9g); dim 32: %.9g, %.9g",
                    bv[0], m->baseline, tv[0], m->final, bv[2], tv[2]);
    g_assert_cmpfloat_with_epsilon (bv[0], m->baseline, 1e-5);
    g_assert_cmpfloat_with_epsilon (tv[0], m->final, 1e-5);
    g_assert_true (isfinite (bv[2]) && isfinite (tv[2]));
    {
      VsChart *chart = VS_CHART (vs_try_page_get_dims_chart (f.page));
      double step, value;

      /* x = dimension, increasing: 32, 64, 128 */
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (chart)));
      g_assert_cmpuint (vs_chart_get_n_points (chart, "base"), ==, 3);
      g_assert_cmpuint (vs_chart_get_n_points (chart, "trained"), ==, 3);
      g_assert_true (vs_chart_get_point (chart, "trained", 2, &step, &value));
      g_assert_cmpfloat (step, ==, 128);
      g_assert_cmpfloat (value, ==, tv[0]);
      g_assert_true (vs_chart_get_point (chart, "base", 0, &step, &value));
      g_assert_cmpfloat (step, ==, 32);
      g_assert_cmpfloat (value, ==, bv[2]);
    }
    vs_gui_wait_for (vs_gui_widget_has_size, vs_try_page_get_dims_chart (f.page), "the chart to be allocated");
    vs_gui_wait_for (scrolled_to_chart, f.page, "the chart to scroll into view");
    shot (&f, "try-page-matryoshka");
  }

  /* Reproduce: the command line and the exported script. */
  {
    g_autofree char *script_path = g_build_filename (f.output_dir, "train.py", NULL);
    g_autofree char *script = NULL;
    g_autofree char *expected = vs_recipe_to_python_for (vs_project_get_recipe (f.project), f.output_dir);

    g_assert_cmpstr (vs_try_page_get_command (f.page), ==, "Save the project to get its command line");
    g_assert_true (vs_try_page_export_python (f.page, script_path, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (script_path, &script, NULL, NULL));
    g_assert_cmpstr (script, ==, expected);
    {
      g_autofree char *saved = g_build_filename (f.output_dir, "my recipe.json", NULL);
      g_autofree char *want = g_strdup_printf ("vectorsmith-cli train '%s'", saved);

      g_assert_true (vs_project_save (f.project, saved, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (vs_try_page_get_command (f.page), ==, want);
    }
  }
  vs_try_page_scroll_to (f.page, "reproduce");
  shot (&f, "try-page-reproduce");

  /* Dark. */
  vs_try_page_scroll_to (f.page, NULL);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  shot (&f, "try-page-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Narrow: the three matrices and the two result lists stack, and the
   * filled page fits a phone's 360 px. */
  {
    g_autofree char *dark = vs_gui_screenshot_path ("try-page-narrow-dark");
    int wide_min = vs_gui_get_min_width (GTK_WIDGET (f.page));
    int min;

    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 360, 720);
    vs_gui_wait_for (page_narrow, f.page, "the try page to stack its matrices");
    vs_gui_wait_for_frame (GTK_WIDGET (f.window));
    min = vs_gui_get_min_width (GTK_WIDGET (f.page));
    vs_gui_print_wide_widgets (GTK_WIDGET (f.page), 360);
    g_test_message ("try page minimum width: %d side by side, %d stacked", wide_min, min);
    g_assert_cmpint (min, <=, 360);
    /* The trained model's matrix below the base model's, not beside it. */
    g_assert_cmpfloat (trained_map_offset (f.page).x, ==, 0);
    g_assert_cmpfloat (trained_map_offset (f.page).y, >, 0);
    g_test_message ("window width asked 360, got %d", gtk_widget_get_width (GTK_WIDGET (f.window)));
    vs_try_page_scroll_to (f.page, NULL);
    shot (&f, "try-page-narrow");
    vs_gui_save_screenshot_dark (GTK_WIDGET (f.window), dark);
    vs_try_page_scroll_to (f.page, "search");
    shot (&f, "try-page-narrow-search");
    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 1100, 860);
    vs_gui_wait_for (page_wide, f.page, "the try page to put its matrices side by side");
    vs_gui_wait_for_frame (GTK_WIDGET (f.window));
    g_assert_cmpfloat (trained_map_offset (f.page).y, ==, 0);
    g_assert_cmpfloat (trained_map_offset (f.page).x, >, 0);
  }

  /* A corpus file that cannot be read: the engine's message, naming it,
   * in the banner; the results shown stay. */
  {
    g_autofree char *missing = g_build_filename (f.output_dir, "no-such-corpus.csv", NULL);

    vs_try_page_set_corpus_file (f.page, missing);
    vs_gui_wait_for (banner_shown, f.page, "the corpus error banner");
    g_assert_nonnull (strstr (vs_try_page_get_banner_message (f.page), missing));
    g_assert_nonnull (gtk_list_box_get_row_at_index (vs_try_page_get_results (f.page, TRUE), 0));
    /* A file instead (the file chooser's choice): every text column. */
    {
      static const char *const cols[] = { "anchor", "positive", "negative", NULL };
      g_autofree char *triplets = g_build_filename (g_getenv ("VS_SHARED_DATA"), "datasets", "triplets",
                                                    "snli_dev_triplets.csv", NULL);
      g_autoptr(GPtrArray) texts = file_corpus (triplets, cols);

      vs_try_page_set_corpus_file (f.page, triplets);
      vs_gui_wait_for (page_idle, f.page, "the search of a file");
      g_assert_null (vs_try_page_get_banner_message (f.page));
      assert_top_hit (&f, FALSE, base, texts, query);
      assert_top_hit (&f, TRUE, trained, texts, query);
      g_clear_pointer (&texts, g_ptr_array_unref);
    }
    vs_try_page_set_corpus_file (f.page, NULL);
    vs_gui_wait_for (page_idle, f.page, "the search of the eval split again");
  }

  /* A model that does not load: the engine's message in the banner; the
   * last comparison stays. */
  {
    g_autofree char *missing = g_build_filename (f.output_dir, "no-such-model", NULL);

    vs_project_set_string (f.project, "model", missing);
    vs_try_page_compare (f.page, joined);
    vs_gui_wait_for (banner_shown, f.page, "the error banner");
    g_assert_nonnull (strstr (vs_try_page_get_banner_message (f.page), "no-such-model"));
    g_assert_true (g_str_has_prefix (vs_try_page_get_banner_message (f.page), "Base model: model: "));
    g_assert_nonnull (vs_try_page_get_matrix (f.page, VS_TRY_MATRIX_TRAINED, NULL));
    shot (&f, "try-page-error");
  }

  vs_gui_keep_artefacts ("try-page", "output", f.output_dir);
  vs_gui_keep_settings ("try-page", vs_application_get_settings (VS_APPLICATION (g_application_get_default ())));
  gtk_window_destroy (f.window);
  g_free (f.output_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* A canary: the app holds a Hub token the whole run, and no file it
   * writes (the exported script, the saved recipe) may hold it. */
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/try-page", test_try_page);
  return g_test_run ();
}
