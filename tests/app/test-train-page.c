/* test-train-page.c: the Train page training the demo project, under Xvfb.
 *
 * Drives the real window through the page's actions: an argument the
 * engine refuses (with its reason, Start disabled); a run to the end
 * through "train.start" whose curves hold exactly one point per step and
 * per evaluation of the events.jsonl the engine wrote (read here, by the
 * test); Pause holding the step count still, Resume, Cancel within a step;
 * Stop and Save at a checkpoint, the project saved and reopened (the run
 * redrawn from events.jsonl, Resume offered) and resumed to the same final
 * metric as the uninterrupted run; an injected NaN shown in the banner
 * with the last good checkpoint; closing the window while training asks
 * first. The worst interval between frames while the demo trains is
 * printed. Screenshots of every state go to tests/app/screenshots/.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>

#include "vs-error.h"
#include "train/vs-checkpoint.h"
#include "train/vs-train-log.h"

#include "vs-application.h"
#include "vs-chart.h"
#include "vs-train-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

typedef struct
{
  GtkWindow   *window;
  VsTrainPage *page;
  VsProject   *project;
  char        *tmp;
  gint64       want_step;
  guint        want_points;
  const char  *want_response;
  AdwMessageDialog *dialog;
  VsTrainPhase want_phase;
  /* frame gaps */
  gboolean     measuring;
  gint64       last_frame;
  gint64       worst_gap;
  guint        n_frames;
} Fixture;

static void
shot (Fixture    *f,
      const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);
  gboolean measuring = f->measuring;

  /* Rendering the screenshot is the test's work, not the app's. */
  f->measuring = FALSE;
  vs_gui_save_screenshot (GTK_WIDGET (f->window), path);
  f->measuring = measuring;
  f->last_frame = 0;
}

static gboolean
is_idle (gpointer data)
{
  Fixture *f = data;

  return !vs_train_page_get_running (f->page);
}

static gboolean
step_reached (gpointer data)
{
  Fixture *f = data;

  return vs_train_page_get_step (f->page) >= f->want_step &&
         vs_train_page_get_phase (f->page) == VS_TRAIN_PHASE_RUNNING;
}

static gboolean
phase_is (gpointer data)
{
  Fixture *f = data;

  return vs_train_page_get_phase (f->page) == f->want_phase;
}

static gboolean
step_is (gpointer data)
{
  Fixture *f = data;

  return vs_train_page_get_step (f->page) == f->want_step;
}

static gboolean
loss_points_are (gpointer data)
{
  Fixture *f = data;

  return vs_chart_get_n_points (VS_CHART (vs_train_page_get_chart (f->page, "loss")), "loss") == f->want_points;
}

static gboolean
has_checkpoint (gpointer data)
{
  Fixture *f = data;
  g_autofree char *want = g_strdup_printf ("checkpoint-%" G_GINT64_FORMAT, f->want_step);
  const char *last = vs_train_page_get_last_checkpoint (f->page);

  return last != NULL && g_str_has_suffix (last, want);
}

/* A visible message dialog offering want_response, into f->dialog. */
static gboolean
find_dialog (gpointer data)
{
  Fixture *f = data;
  GListModel *toplevels = gtk_window_get_toplevels ();

  f->dialog = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)) &&
          adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (w), f->want_response))
        f->dialog = ADW_MESSAGE_DIALOG (w);
    }
  return f->dialog != NULL;
}

/* Waits for the dialog that offers `offers` and answers it with `response`. */
static void
answer_dialog (Fixture    *f,
               const char *offers,
               const char *response)
{
  f->want_response = offers;
  vs_gui_wait_for (find_dialog, f, offers);
  adw_message_dialog_response (f->dialog, response);
  f->dialog = NULL;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for ms milliseconds (bounded, no sleep). */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  vs_gui_wait_for_flag (&done, "a spin of the main loop");
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  Fixture *f = data;
  gint64 t = gdk_frame_clock_get_frame_time (clock);

  if (f->measuring && f->last_frame > 0)
    {
      if (t - f->last_frame > 50000)
        g_test_message ("frame gap of %" G_GINT64_FORMAT " ms at step %" G_GINT64_FORMAT " (phase %d, frame %u)",
                        (t - f->last_frame) / 1000, vs_train_page_get_step (f->page),
                        vs_train_page_get_phase (f->page), f->n_frames);
      f->worst_gap = MAX (f->worst_gap, t - f->last_frame);
      f->n_frames++;
    }
  f->last_frame = t;
  return G_SOURCE_CONTINUE;
}

/* The last button sits below the first: the controls wrapped into rows. */
static gboolean
buttons_wrapped (gpointer data)
{
  Fixture *f = data;
  graphene_point_t p;

  return gtk_widget_compute_point (vs_train_page_get_button (f->page, "cancel"),
                                   vs_train_page_get_button (f->page, "start"),
                                   &GRAPHENE_POINT_INIT (0, 0), &p) && p.y > 0;
}

static void
activate (Fixture    *f,
          const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL));
}

static gboolean
button_enabled (Fixture    *f,
                const char *name)
{
  return gtk_widget_get_sensitive (vs_train_page_get_button (f->page, name));
}

static char *
set_output (Fixture    *f,
            const char *name)
{
  char *dir = g_build_filename (f->tmp, name, NULL);

  vs_project_set_string (f->project, "output_dir", dir);
  return dir;
}

typedef struct
{
  guint   n_steps;
  guint   n_evals;
  double  final_metric;    /* the done event's primary metric, or NaN */
  gint64  last_step;
  cJSON  *last;            /* borrowed from events */
  cJSON  *events;
} Log;

/* The engine's events.jsonl, read and counted here. */
static void
read_log (const char *dir,
          Log        *log)
{
  g_autofree char *path = g_build_filename (dir, "events.jsonl", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  memset (log, 0, sizeof *log);
  log->final_metric = NAN;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  log->events = cJSON_CreateArray ();
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      cJSON *ev;
      const char *kind;

      if (lines[i][0] == '\0')
        continue;
      ev = cJSON_Parse (lines[i]);
      g_assert_nonnull (ev);
      cJSON_AddItemToArray (log->events, ev);
      kind = cJSON_GetStringValue (cJSON_GetObjectItem (ev, "event"));
      if (g_strcmp0 (kind, "step") == 0)
        {
          log->n_steps++;
          log->last_step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "step"));
        }
      else if (g_strcmp0 (kind, "eval") == 0)
        log->n_evals++;
      else if (g_strcmp0 (kind, "done") == 0)
        {
          const char *primary = cJSON_GetStringValue (cJSON_GetObjectItem (ev, "primary_metric"));

          log->final_metric = cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetObjectItem (ev, "metrics"),
                                                                         primary));
        }
      log->last = ev;
    }
}

static void
log_clear (Log *log)
{
  cJSON_Delete (log->events);
}

/* The charts hold exactly one point per step event and per evaluation. */
static void
assert_charts_match (Fixture   *f,
                     const Log *log)
{
  VsChart *loss = VS_CHART (vs_train_page_get_chart (f->page, "loss"));
  VsChart *lr = VS_CHART (vs_train_page_get_chart (f->page, "lr"));
  VsChart *grad = VS_CHART (vs_train_page_get_chart (f->page, "grad_norm"));
  VsChart *metrics = VS_CHART (vs_train_page_get_chart (f->page, "metrics"));
  g_auto(GStrv) ids = vs_chart_dup_series_ids (metrics);

  g_assert_cmpuint (vs_chart_get_n_points (loss, "loss"), ==, log->n_steps);
  g_assert_cmpuint (vs_chart_get_n_points (lr, "lr"), ==, log->n_steps);
  g_assert_cmpuint (vs_chart_get_n_points (grad, "grad_norm"), ==, log->n_steps);
  g_assert_cmpuint (vs_chart_get_n_points (loss, "eval_loss"), ==, log->n_evals);
  g_assert_cmpuint (g_strv_length (ids), >=, 1);
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_cmpuint (vs_chart_get_n_points (metrics, ids[i]), ==, log->n_evals);
}

static void
set_run_args (Fixture *f)
{
  vs_project_begin_edit (f->project);
  vs_project_set_int (f->project, "args.max_steps", 60);
  vs_project_set_int (f->project, "args.eval_steps", 20);
  vs_project_set_int (f->project, "args.save_steps", 20);
  vs_project_end_edit (f->project);
}

static void
test_train_page (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  AdwViewStack *stack;
  Fixture f = { 0 };
  double full_metric;
  guint tick_id;

  f.tmp = g_dir_make_tmp ("vs-train-page-XXXXXX", &error);
  g_assert_no_error (error);
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1000, 800);
  g_application_activate (G_APPLICATION (app));
  f.window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (VS_IS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.window, "the main window to be mapped");
  stack = vs_window_get_stack (VS_WINDOW (f.window));
  adw_view_stack_set_visible_child_name (stack, "train");
  f.page = VS_TRAIN_PAGE (adw_view_stack_get_child_by_name (stack, "train"));
  f.project = vs_window_get_project (VS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.page, "the train page to be mapped");
  tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (f.window), on_tick, &f, NULL);

  /* Idle: the demo's args in the form, Start enabled. */
  {
    GtkWidget *batch = vs_train_page_get_arg_editor (f.page, "batch_size");
    GtkWidget *sched = vs_train_page_get_arg_editor (f.page, "scheduler");

    g_assert_true (vs_project_get_valid (f.project));
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (batch)), ==, "16");
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (vs_train_page_get_arg_editor (f.page, "learning_rate"))),
                     ==, "0.0005");
    g_assert_true (ADW_IS_COMBO_ROW (sched));
    g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (sched)), ==, 0);   /* linear */
    g_assert_cmpstr (gtk_label_get_text (vs_train_page_get_state_label (f.page)), ==, "Ready to train");
    g_assert_true (button_enabled (&f, "start"));
    g_assert_false (button_enabled (&f, "pause"));
    g_assert_false (button_enabled (&f, "cancel"));
  }
  shot (&f, "train-page-idle");
  /* Advanced: the evaluation and checkpoint settings opened. */
  {
    GtkWidget *save = vs_train_page_get_arg_editor (f.page, "save_steps");
    GtkWidget *expander = gtk_widget_get_ancestor (save, ADW_TYPE_EXPANDER_ROW);

    g_assert_nonnull (expander);
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (expander), TRUE);
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (save)), ==, "0");
    vs_gui_wait_for (vs_gui_widget_is_mapped, save, "the save steps row to show");
    vs_train_page_scroll_to (f.page, expander);
    shot (&f, "train-page-advanced");
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (expander), FALSE);
  }

  /* A value the engine refuses: its reason beside the form, Start disabled. */
  {
    GtkWidget *batch = vs_train_page_get_arg_editor (f.page, "batch_size");
    const char *problems;

    gtk_editable_set_text (GTK_EDITABLE (batch), "0");
    g_assert_cmpint (vs_project_get_int (f.project, "args.batch_size", -1), ==, 0);
    problems = gtk_label_get_text (vs_train_page_get_problems_label (f.page));
    g_assert_nonnull (strstr (problems, "args.batch_size"));
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (vs_train_page_get_problems_label (f.page))));
    g_assert_true (gtk_widget_has_css_class (batch, "error"));
    g_assert_false (button_enabled (&f, "start"));
    vs_train_page_scroll_to (f.page, GTK_WIDGET (vs_train_page_get_problems_label (f.page)));
    shot (&f, "train-page-invalid-arg");
    gtk_editable_set_text (GTK_EDITABLE (batch), "16");
    g_assert_true (vs_project_get_valid (f.project));
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (vs_train_page_get_problems_label (f.page))));
    g_assert_true (button_enabled (&f, "start"));
  }

  /* 1. Trained to the end through train.start. */
  {
    g_autofree char *out = set_output (&f, "full");
    Log log;

    set_run_args (&f);
    vs_train_page_scroll_to (f.page, vs_train_page_get_button (f.page, "start"));
    spin (300);   /* the scrolled view is drawn before the measure starts */
    activate (&f, "train.start");
    g_assert_true (vs_train_page_get_running (f.page));
    f.measuring = TRUE;
    f.last_frame = 0;
    f.want_step = 25;
    vs_gui_wait_for (step_reached, &f, "the run to reach step 25");
    g_assert_nonnull (strstr (gtk_label_get_text (vs_train_page_get_progress_label (f.page)), " of 60"));
    g_assert_nonnull (strstr (gtk_label_get_text (vs_train_page_get_stats_label (f.page)), "examples/s"));
    vs_train_page_scroll_to (f.page, vs_train_page_get_chart (f.page, "loss"));
    shot (&f, "train-page-training");
    vs_gui_wait_for (is_idle, &f, "the run to end");
    f.measuring = FALSE;
    g_test_message ("worst frame gap: %" G_GINT64_FORMAT " ms", f.worst_gap / 1000);
    g_print ("worst frame gap: %" G_GINT64_FORMAT " ms\n", f.worst_gap / 1000);

    read_log (out, &log);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (log.last, "event")), ==, "done");
    g_assert_cmpuint (log.n_steps, ==, 60);
    g_assert_cmpuint (log.n_evals, >=, 4);      /* baseline, 20, 40, 60 */
    g_assert_false (isnan (log.final_metric));
    g_assert_cmpint (vs_train_page_get_step (f.page), ==, 60);
    assert_charts_match (&f, &log);
    g_assert_true (g_str_has_prefix (gtk_label_get_text (vs_train_page_get_state_label (f.page)), "Finished"));
    g_assert_nonnull (strstr (gtk_label_get_text (vs_train_page_get_progress_label (f.page)), "Step 60 of 60"));
    full_metric = log.final_metric;
    f.want_step = 60;
    vs_gui_wait_for (has_checkpoint, &f, "the checkpoints to be listed");
    g_assert_cmpuint (vs_train_page_get_n_checkpoints (f.page), ==, 3);
    g_assert_true (button_enabled (&f, "start"));
    g_assert_false (button_enabled (&f, "resume"));   /* nothing left to resume */
    vs_train_page_scroll_to (f.page, vs_train_page_get_button (f.page, "start"));
    shot (&f, "train-page-finished");
    vs_train_page_scroll_to (f.page, vs_train_page_get_chart (f.page, "metrics"));
    shot (&f, "train-page-finished-metrics");
    vs_train_page_scroll_to (f.page, vs_train_page_get_checkpoints_list (f.page));
    shot (&f, "train-page-finished-checkpoints");
    vs_train_page_scroll_to (f.page, vs_train_page_get_button (f.page, "start"));
    log_clear (&log);
  }

  /* 2. Pause holds the step count, Resume continues, Cancel ends within a step. */
  {
    g_autofree char *out = set_output (&f, "pause");
    gint64 at_pause, at_cancel;
    Log log;

    activate (&f, "train.start");
    f.want_step = 5;
    vs_gui_wait_for (step_reached, &f, "the run to reach step 5");
    activate (&f, "train.pause");
    f.want_phase = VS_TRAIN_PHASE_PAUSED;
    vs_gui_wait_for (phase_is, &f, "the pause to take hold");
    at_pause = vs_train_page_get_step (f.page);
    g_assert_true (button_enabled (&f, "resume"));
    g_assert_false (button_enabled (&f, "pause"));
    g_assert_cmpstr (gtk_label_get_text (vs_train_page_get_state_label (f.page)), ==, "Paused");
    spin (1500);
    g_assert_cmpint (vs_train_page_get_step (f.page), ==, at_pause);
    shot (&f, "train-page-paused");
    activate (&f, "train.resume");
    f.want_step = at_pause + 2;
    vs_gui_wait_for (step_reached, &f, "the resumed run to take two more steps");
    at_cancel = vs_train_page_get_step (f.page);
    activate (&f, "train.cancel");
    vs_gui_wait_for (is_idle, &f, "the cancelled run to end");
    read_log (out, &log);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (log.last, "event")), ==, "error");
    g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (log.last, "cancelled")));
    g_assert_cmpint (log.last_step, <=, at_cancel + 1);
    g_assert_cmpint (vs_train_page_get_step (f.page), ==, log.last_step);
    assert_charts_match (&f, &log);
    g_assert_false (vs_train_page_get_error_shown (f.page));
    log_clear (&log);
  }

  /* 3. Stop and Save, reopen the project, resume to the same final metric. */
  {
    g_autofree char *out = set_output (&f, "resume");
    g_autofree char *recipe = g_build_filename (f.tmp, "recipe.json", NULL);
    gint64 stopped_at;
    Log log;

    activate (&f, "train.start");
    f.want_step = 30;
    vs_gui_wait_for (step_reached, &f, "the run to reach step 30");
    activate (&f, "train.stop");
    vs_gui_wait_for (is_idle, &f, "the stopped run to end");
    read_log (out, &log);
    stopped_at = log.last_step;
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (log.last, "event")), ==, "error");
    g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (log.last, "cancelled")));
    log_clear (&log);
    f.want_step = stopped_at;
    vs_gui_wait_for (has_checkpoint, &f, "the stop's checkpoint to be listed");

    /* The project saved and opened again: the run comes back from its log. */
    g_assert_true (vs_project_save (f.project, recipe, &error));
    g_assert_no_error (error);
    read_log (out, &log);
    vs_chart_clear (VS_CHART (vs_train_page_get_chart (f.page, "loss")));
    g_assert_true (vs_window_open_project (VS_WINDOW (f.window), recipe, &error));
    g_assert_no_error (error);
    adw_view_stack_set_visible_child_name (stack, "train");
    f.want_points = log.n_steps;
    vs_gui_wait_for (loss_points_are, &f, "the reopened run to be redrawn");
    vs_gui_wait_for (step_is, &f, "the reopened run's last step");
    vs_gui_wait_for (has_checkpoint, &f, "the reopened run's checkpoint");
    assert_charts_match (&f, &log);
    log_clear (&log);
    g_assert_true (button_enabled (&f, "resume"));
    g_assert_nonnull (strstr (gtk_label_get_text (vs_train_page_get_state_label (f.page)), "Stopped at step"));
    shot (&f, "train-page-reopened");

    activate (&f, "train.resume");
    vs_gui_wait_for (is_idle, &f, "the resumed run to end");
    read_log (out, &log);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (log.last, "event")), ==, "done");
    g_assert_cmpuint (log.n_steps, ==, 60);
    assert_charts_match (&f, &log);
    g_test_message ("uninterrupted %.9f, resumed %.9f", full_metric, log.final_metric);
    g_assert_cmpfloat (fabs (log.final_metric - full_metric), <=, 1e-6);
    log_clear (&log);
  }

  /* 4. A NaN loss: the engine's message in the banner, the last good checkpoint named. */
  {
    g_autofree char *out = set_output (&f, "nan");
    const char *text;

    vs_train_page_set_fault (f.page, VS_TRAINER_FAULT_NAN_LOSS, 25);
    activate (&f, "train.start");
    vs_gui_wait_for (is_idle, &f, "the failing run to end");
    vs_train_page_set_fault (f.page, VS_TRAINER_FAULT_NONE, 0);
    g_assert_true (vs_train_page_get_error_shown (f.page));
    text = gtk_label_get_text (vs_train_page_get_error_label (f.page));
    g_assert_nonnull (strstr (text, "step 25"));
    g_assert_nonnull (strstr (text, "NaN"));
    g_assert_nonnull (strstr (text, "checkpoint-20"));
    g_assert_true (g_str_has_prefix (gtk_label_get_text (vs_train_page_get_state_label (f.page)),
                                     "Training failed"));
    f.want_step = 20;
    vs_gui_wait_for (has_checkpoint, &f, "the last good checkpoint to be listed");
    g_assert_true (button_enabled (&f, "resume"));
    vs_train_page_scroll_to (f.page, GTK_WIDGET (vs_train_page_get_error_label (f.page)));
    shot (&f, "train-page-error");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
    gtk_widget_queue_draw (GTK_WIDGET (f.window));
    spin (300);   /* the new style reaches every widget on the next frames */
    shot (&f, "train-page-error-dark");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  }

  /* Narrow: the filled page fits a phone's 360 px; its buttons wrap. */
  {
    g_autofree char *dark = vs_gui_screenshot_path ("train-page-narrow-dark");
    int min = vs_gui_get_min_width (GTK_WIDGET (f.page));

    vs_gui_print_wide_widgets (GTK_WIDGET (f.page), 360);
    g_test_message ("train page minimum width: %d", min);
    g_assert_cmpint (min, <=, 360);
    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 360, 720);
    vs_gui_wait_for (buttons_wrapped, &f, "the train buttons to wrap");
    g_test_message ("window width asked 360, got %d", gtk_widget_get_width (GTK_WIDGET (f.window)));
    vs_train_page_scroll_to (f.page, vs_train_page_get_button (f.page, "start"));
    shot (&f, "train-page-narrow");
    vs_gui_save_screenshot_dark (GTK_WIDGET (f.window), dark);
    vs_train_page_scroll_to (f.page, vs_train_page_get_chart (f.page, "loss"));
    shot (&f, "train-page-narrow-charts");
    vs_gui_resize_no_wait (GTK_WIDGET (f.window), 1000, 800);
  }

  /* 5. Closing while training asks first; Stop and Save ends the run with
   * a checkpoint, then the window goes on closing (unsaved changes ask). */
  {
    g_autofree char *out = set_output (&f, "close");

    activate (&f, "train.start");
    f.want_step = 3;
    vs_gui_wait_for (step_reached, &f, "the run to reach step 3");
    gtk_window_close (f.window);
    g_assert_true (vs_train_page_get_running (f.page));
    f.want_response = "keep";
    vs_gui_wait_for (find_dialog, &f, "the close question");
    vs_gui_wait_for (vs_gui_widget_is_mapped, f.dialog, "the close question to show");
    {
      g_autofree char *path = vs_gui_screenshot_path ("train-page-close-question");

      vs_gui_save_screenshot (GTK_WIDGET (f.dialog), path);
    }
    adw_message_dialog_response (f.dialog, "stop");
    vs_gui_wait_for (is_idle, &f, "the run stopped by closing to end");
    {
      g_autofree char *ckpt = vs_trainer_find_checkpoint (out);

      g_assert_nonnull (ckpt);
    }
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f.window)));
    /* The unsaved-changes question follows; stay. */
    answer_dialog (&f, "discard", "cancel");
  }

  /* 6. Keep Training: the window hides, the application is held until the
   * run ends, then the window comes back for the unsaved changes. */
  {
    g_autofree char *out = set_output (&f, "keep");
    Log log;

    vs_project_set_int (f.project, "args.max_steps", 12);
    activate (&f, "train.start");
    f.want_step = 2;
    vs_gui_wait_for (step_reached, &f, "the run to reach step 2");
    gtk_window_close (f.window);
    answer_dialog (&f, "keep", "keep");
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f.window)));
    g_assert_true (vs_train_page_get_running (f.page));
    vs_gui_wait_for (is_idle, &f, "the run in the background to end");
    vs_gui_wait_for (vs_gui_widget_is_mapped, f.window, "the window to come back");
    read_log (out, &log);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (log.last, "event")), ==, "done");
    g_assert_cmpuint (log.n_steps, ==, 12);
    log_clear (&log);
  }

  /* Export Training Script…: the button's action is enabled; what its save
   * dialog's answer runs writes a script that compiles and whose --help
   * runs without sentence-transformers; a missing folder is the engine's
   * error naming the file, and nothing is written. */
  {
    GtkWidget *button = vs_train_page_get_button (f.page, "export");
    g_autofree char *script = g_build_filename (f.tmp, "train.py", NULL);
    g_autofree char *bad = g_build_filename (f.tmp, "missing", "train.py", NULL);
    g_autofree char *text = NULL;
    g_autofree char *out = NULL;
    const char *compile[] = { "/usr/bin/python3", "-m", "py_compile", script, NULL };
    const char *help[] = { "/usr/bin/python3", script, "--help", NULL };
    int status = -1;

    g_assert_nonnull (button);
    g_assert_true (gtk_widget_is_sensitive (button));
    g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "train.export-script");
    g_assert_true (vs_train_page_export_script (f.page, script, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (script, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "SentenceTransformerTrainer("));
    g_assert_null (strstr (text, f.tmp));
    g_assert_true (g_spawn_sync (NULL, (char **) compile, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, 0);
    g_assert_true (g_spawn_sync (NULL, (char **) help, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (out, "--output-dir"));

    g_assert_false (vs_train_page_export_script (f.page, bad, &error));
    g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, bad));
    g_clear_error (&error);
    g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  }

  gtk_widget_remove_tick_callback (GTK_WIDGET (f.window), tick_id);
  vs_gui_keep_artefacts ("train-page", "tmp", f.tmp);
  vs_gui_keep_settings ("train-page", vs_application_get_settings (VS_APPLICATION (g_application_get_default ())));
  vs_remove_tree (f.tmp, NULL);
  g_free (f.tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* A canary: the app holds a Hub token the whole run, and no file the run
   * writes (events, checkpoints, the recipe, the card) may hold it. */
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/train-page", test_train_page);
  return g_test_run ();
}
