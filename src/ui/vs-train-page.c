/* vs-train-page.c: the Train page of the workbench (see vs-train-page.h). */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "vs-error.h"
#include "train/vs-train-log.h"
#include "train/vs-usage.h"

#include "vs-chart.h"
#include "vs-task.h"
#include "vs-layout.h"
#include "vs-train-page.h"

/* At most this many rows in the run log (the file keeps everything). */
#define MAX_LOG_ROWS 200

/* ---- the form's rows ---------------------------------------------------- */

typedef enum
{
  ARG_INT,
  ARG_FLOAT,
  ARG_BOOL,
  ARG_CHOICE,        /* one of `choices` as a string */
  ARG_TRISTATE,      /* automatic (absent) / true / false */
  ARG_TEXT,          /* a string */
  ARG_JSON,          /* a string, or JSON when it parses as an object or a literal */
} ArgKind;

typedef enum
{
  SECTION_BASICS,
  SECTION_OPTIMIZER,
  SECTION_BATCHES,
  SECTION_EVAL,
  SECTION_OTHER,
  N_SECTIONS
} ArgSection;

typedef struct
{
  const char  *key;
  ArgSection   section;
  ArgKind      kind;
  const char  *title;
  const char  *default_text;   /* sentence-transformers' default, as shown */
  const char  *help;
  const char  *choices;        /* "a|b|c" for ARG_CHOICE */
} ArgSpec;

/* Every key of VsTrainArgs (src/engine/train/vs-recipe.h), with the default
 * sentence-transformers' SentenceTransformerTrainingArguments use. */
static const ArgSpec arg_specs[] = {
  { "epochs", SECTION_BASICS, ARG_FLOAT, N_("Epochs"), "3",
    N_("Passes over the training data"), NULL },
  { "max_steps", SECTION_BASICS, ARG_INT, N_("Maximum Steps"), N_("-1 (from the epochs)"),
    N_("Stop after this many optimizer steps; wins over the epochs"), NULL },
  { "batch_size", SECTION_BASICS, ARG_INT, N_("Batch Size"), "8",
    N_("Examples per step; ranking losses get more in-batch negatives from a larger batch"), NULL },
  { "learning_rate", SECTION_BASICS, ARG_FLOAT, N_("Learning Rate"), "5e-05",
    N_("The peak step size of AdamW"), NULL },
  { "warmup_ratio", SECTION_BASICS, ARG_FLOAT, N_("Warmup Ratio"), "0",
    N_("Share of the steps over which the learning rate ramps up"), NULL },
  { "warmup_steps", SECTION_BASICS, ARG_INT, N_("Warmup Steps"), "0",
    N_("The ramp-up in steps; wins over the ratio when above 0"), NULL },
  { "seed", SECTION_BASICS, ARG_INT, N_("Seed"), "42",
    N_("Random seed of the initialisation, shuffling and dropout"), NULL },

  { "scheduler", SECTION_OPTIMIZER, ARG_CHOICE, N_("Schedule"), "linear",
    N_("How the learning rate changes after warmup"), "linear|cosine|constant|constant_with_warmup" },
  { "weight_decay", SECTION_OPTIMIZER, ARG_FLOAT, N_("Weight Decay"), "0",
    N_("AdamW’s decoupled weight decay"), NULL },
  { "max_grad_norm", SECTION_OPTIMIZER, ARG_FLOAT, N_("Maximum Gradient Norm"), "1.0",
    N_("Gradients are clipped to this norm; 0 turns clipping off"), NULL },
  { "gradient_accumulation_steps", SECTION_OPTIMIZER, ARG_INT, N_("Gradient Accumulation"), "1",
    N_("Batches summed into one optimizer step"), NULL },
  { "adam_beta1", SECTION_OPTIMIZER, ARG_FLOAT, N_("Adam β₁"), "0.9",
    N_("Decay of the gradient’s running mean"), NULL },
  { "adam_beta2", SECTION_OPTIMIZER, ARG_FLOAT, N_("Adam β₂"), "0.999",
    N_("Decay of the squared gradient’s running mean"), NULL },
  { "adam_epsilon", SECTION_OPTIMIZER, ARG_FLOAT, N_("Adam ε"), "1e-08",
    N_("Added to the denominator for stability"), NULL },

  { "batch_sampler", SECTION_BATCHES, ARG_CHOICE, N_("Batch Sampler"), "batch_sampler",
    N_("no_duplicates keeps repeated texts out of a batch (false in-batch negatives)"),
    "batch|no_duplicates|group_by_label" },
  { "multi_dataset_batch_sampler", SECTION_BATCHES, ARG_CHOICE, N_("Multi-Dataset Sampler"), "proportional",
    N_("How batches are drawn from several train datasets"), "proportional|round_robin" },
  { "eval_batch_size", SECTION_BATCHES, ARG_INT, N_("Evaluation Batch Size"), "8",
    N_("Examples per batch while evaluating"), NULL },
  { "shuffle", SECTION_BATCHES, ARG_BOOL, N_("Shuffle"), N_("on"),
    N_("A new order of the training rows every epoch"), NULL },
  { "drop_last", SECTION_BATCHES, ARG_BOOL, N_("Drop the Last Batch"), N_("off"),
    N_("Skip an epoch’s last batch when it is smaller"), NULL },
  { "max_seq_length", SECTION_BATCHES, ARG_INT, N_("Maximum Sequence Length"), N_("0 (the model’s)"),
    N_("Longer texts are truncated to this many tokens"), NULL },

  { "eval_steps", SECTION_EVAL, ARG_INT, N_("Evaluation Steps"), N_("0 (before and after training only)"),
    N_("Evaluate every this many steps"), NULL },
  { "logging_steps", SECTION_EVAL, ARG_INT, N_("Logging Steps"), "500",
    N_("Rows of the model card’s training log"), NULL },
  { "save_steps", SECTION_EVAL, ARG_INT, N_("Save Steps"), "500",
    N_("Write a checkpoint every this many steps; 0 writes none"), NULL },
  { "save_total_limit", SECTION_EVAL, ARG_INT, N_("Checkpoints Kept"), N_("none (keep all)"),
    N_("Older checkpoints are deleted (the best one stays)"), NULL },
  { "load_best_model_at_end", SECTION_EVAL, ARG_BOOL, N_("Load the Best Model at the End"), N_("off"),
    N_("Save the best evaluated checkpoint instead of the last step"), NULL },
  { "metric_for_best_model", SECTION_EVAL, ARG_TEXT, N_("Metric for the Best Model"),
    N_("the evaluator’s main metric"), N_("The metric that decides which checkpoint is best"), NULL },
  { "greater_is_better", SECTION_EVAL, ARG_TRISTATE, N_("Greater Is Better"), N_("automatic"),
    N_("Automatic: smaller is better for losses, greater for the rest"), NULL },
  { "early_stopping_patience", SECTION_EVAL, ARG_INT, N_("Early Stopping Patience"), N_("0 (off)"),
    N_("Stop after this many evaluations without improvement"), NULL },

  { "prompts", SECTION_OTHER, ARG_JSON, N_("Prompts"), N_("none"),
    N_("A prefix for every input (“query: ”), or a JSON object of column or dataset names"), NULL },
  { "dropout", SECTION_OTHER, ARG_JSON, N_("Dropout"), N_("true (the model’s rates)"),
    N_("true, false, or a rate in [0, 1)"), NULL },
  { "threads", SECTION_OTHER, ARG_INT, N_("Threads"), N_("0 (every core)"),
    N_("CPU threads the run uses"), NULL },
};

static const struct
{
  const char *title;
  const char *subtitle;
} section_info[N_SECTIONS] = {
  [SECTION_BASICS] = { NULL, NULL },
  [SECTION_OPTIMIZER] = { N_("Schedule and Optimizer"), N_("Learning rate schedule, weight decay, clipping, accumulation") },
  [SECTION_BATCHES] = { N_("Batches"), N_("Samplers, evaluation batch size, shuffling, sequence length") },
  [SECTION_EVAL] = { N_("Evaluation and Checkpoints"), N_("Evaluation, logging and save steps, best model, early stopping") },
  [SECTION_OTHER] = { N_("Prompts and Threads"), N_("Prompts, dropout, CPU threads") },
};

typedef struct
{
  VsTrainPage   *page;
  const ArgSpec *spec;
  GtkWidget     *row;
  GtkWidget     *editor;   /* GtkEntry, GtkSwitch or the AdwComboRow itself */
} ArgRow;

/* ---- events from the trainer's thread ---------------------------------- */

/* Shared by the page and the trainer's event callback: events are queued
 * on the training thread and one idle on the main context drains them all. */
typedef struct
{
  gint      ref_count;
  GMutex    lock;
  GQueue    queue;          /* cJSON* */
  gboolean  idle_pending;
  GWeakRef  page;
} Channel;

static Channel *
channel_new (VsTrainPage *page)
{
  Channel *ch = g_new0 (Channel, 1);

  ch->ref_count = 1;
  g_mutex_init (&ch->lock);
  g_queue_init (&ch->queue);
  g_weak_ref_init (&ch->page, page);
  return ch;
}

static Channel *
channel_ref (Channel *ch)
{
  g_atomic_int_inc (&ch->ref_count);
  return ch;
}

static void
channel_unref (gpointer data)
{
  Channel *ch = data;

  if (!g_atomic_int_dec_and_test (&ch->ref_count))
    return;
  g_queue_clear_full (&ch->queue, (GDestroyNotify) cJSON_Delete);
  g_weak_ref_clear (&ch->page);
  g_mutex_clear (&ch->lock);
  g_free (ch);
}

struct _VsTrainPage
{
  AdwBin        parent_instance;

  VsProject    *project;
  gulong        handlers[3];

  /* template widgets */
  GtkScrolledWindow *scroller;
  GtkRevealer  *error_revealer;
  GtkLabel     *error_label;
  GtkSpinner   *spinner;
  GtkLabel     *state_label;
  GtkProgressBar *progress_bar;
  GtkLabel     *progress_label;
  GtkLabel     *stats_label;
  GtkAdjustment *smoothing_adjustment;
  GtkBox       *charts_box;
  AdwPreferencesGroup *basics_group;
  AdwPreferencesGroup *advanced_group;
  GtkLabel     *problems_label;
  AdwPreferencesGroup *checkpoints_group;
  GtkListBox   *checkpoints_list;
  GtkListBox   *events_list;
  GtkWidget    *start_button;
  GtkWidget    *pause_button;
  GtkWidget    *resume_button;
  GtkWidget    *stop_button;
  GtkWidget    *cancel_button;
  GtkWidget    *export_button;

  GPtrArray    *arg_rows;      /* ArgRow */
  gboolean      updating;

  GtkWidget    *chart_loss;
  GtkWidget    *chart_lr;
  GtkWidget    *chart_grad;
  GtkWidget    *chart_metrics;

  gboolean      disposed;       /* late worker results touch no widget */

  /* the run */
  VsTrainPhase  phase;
  VsTrainer    *trainer;
  Channel      *channel;
  GCancellable *load_cancellable;
  gboolean      cancel_requested;
  gboolean      stop_requested;
  gboolean      ended;          /* done or error event handled */
  gboolean      failed;         /* … and it was an error (not a cancel) */
  char         *fail_message;
  char         *run_output_dir;
  gint64        resume_step;    /* steps up to here are the replayed log */
  guint         inhibit_cookie;
  guint         pause_poll_id;
  guint         usage_id;
  VsUsageSample last_usage;
  double        cpu_percent;
  VsStepRate   *rate;
  VsTrainerFault fault;
  gint64        fault_step;

  /* what is shown (from the run or its log) */
  gint64        total_steps;
  gint64        steps_per_epoch;
  gint64        step;
  double        epoch;
  double        examples_per_s;
  cJSON        *final_metrics;
  char         *primary_metric;
  guint         n_log_rows;

  /* the output folder's checkpoints */
  char         *last_checkpoint;
  /* The newest checkpoint of the run going on: one it wrote, or the one it
   * resumed from (an older run's in the same folder is not its own). */
  char         *run_checkpoint;
  guint         n_checkpoints;
  guint         history_generation;
};

G_DEFINE_FINAL_TYPE (VsTrainPage, vs_train_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_actions (VsTrainPage *self);
static void update_progress (VsTrainPage *self);
static void load_history (VsTrainPage *self);
static void refresh_checkpoints (VsTrainPage *self);

/* ---- small helpers ----------------------------------------------------- */

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static GtkApplication *
get_application (VsTrainPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root)) : NULL;
}

/* The output folder as the engine resolves it: relative to the project's
 * folder. NULL when the recipe has none. */
static char *
dup_output_dir (VsTrainPage *self)
{
  const VsRecipe *recipe;
  const char *out;

  if (self->project == NULL)
    return NULL;
  recipe = vs_project_get_recipe (self->project);
  if (recipe != NULL && recipe->output_dir != NULL)
    return g_strdup (recipe->output_dir);
  out = vs_project_get_string (self->project, "output_dir");
  if (out == NULL)
    return NULL;
  if (g_path_is_absolute (out))
    return g_strdup (out);
  return g_canonicalize_filename (out, vs_project_get_base_dir (self->project));
}

static gboolean
is_active (VsTrainPhase phase)
{
  return phase != VS_TRAIN_PHASE_IDLE;
}

static void
set_phase (VsTrainPage  *self,
           VsTrainPhase  phase)
{
  gboolean was_running = is_active (self->phase);

  self->phase = phase;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner),
                          phase == VS_TRAIN_PHASE_LOADING || phase == VS_TRAIN_PHASE_STOPPING ||
                          phase == VS_TRAIN_PHASE_PAUSING || phase == VS_TRAIN_PHASE_CANCELLING);
  gtk_spinner_set_spinning (self->spinner, gtk_widget_get_visible (GTK_WIDGET (self->spinner)));
  /* The form edits the next run, not this one. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->basics_group), !is_active (phase));
  gtk_widget_set_sensitive (GTK_WIDGET (self->advanced_group), !is_active (phase));
  update_actions (self);
  update_progress (self);
  if (was_running != is_active (phase))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* GTK 4.8 joins a widget's accessible label and the labels it is labelled by
 * into its name, so a button or field that has its own label would be read
 * twice ("Pause Pause"): with the label set, the relation goes. */
static void
name_once (GtkWidget *widget)
{
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static void
show_error (VsTrainPage *self,
            const char  *text)
{
  gtk_label_set_text (self->error_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->error_revealer, text != NULL);
}

static void
on_error_dismiss (VsTrainPage *self)
{
  show_error (self, NULL);
}

/* A count with the locale's digit grouping ("1,200"). */
static char *
format_count (gint64 n)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, n);
}

/* "eval_sts-dev_spearman_cosine" -> "sts-dev_spearman_cosine" */
static const char *
metric_label (const char *key)
{
  if (g_strcmp0 (key, "eval_loss") == 0)
    return key;
  return g_str_has_prefix (key, "eval_") ? key + 5 : key;
}

/* ---- charts ------------------------------------------------------------- */

static GtkWidget *
make_chart (VsTrainPage *self,
            const char  *title)
{
  GtkWidget *chart = vs_chart_new ();

  vs_chart_set_title (VS_CHART (chart), title);
  gtk_widget_set_size_request (chart, -1, 200);
  gtk_widget_set_hexpand (chart, TRUE);
  gtk_widget_add_css_class (chart, "card");
  gtk_box_append (self->charts_box, chart);
  return chart;
}

static void
setup_charts (VsTrainPage *self)
{
  self->chart_loss = make_chart (self, _("Loss"));
  vs_chart_add_series (VS_CHART (self->chart_loss), "loss", _("Training loss"), TRUE);
  vs_chart_add_series (VS_CHART (self->chart_loss), "eval_loss", _("Evaluation loss"), FALSE);
  g_object_bind_property (self->smoothing_adjustment, "value", self->chart_loss, "smoothing",
                          G_BINDING_SYNC_CREATE);

  self->chart_metrics = make_chart (self, _("Evaluation Metrics"));
  self->chart_lr = make_chart (self, _("Learning Rate"));
  vs_chart_add_series (VS_CHART (self->chart_lr), "lr", _("Learning rate"), FALSE);
  self->chart_grad = make_chart (self, _("Gradient Norm"));
  vs_chart_add_series (VS_CHART (self->chart_grad), "grad_norm", _("Gradient norm"), FALSE);
}

static GtkWidget *const *
all_charts (VsTrainPage *self,
            guint       *n)
{
  static GtkWidget *charts[4];

  charts[0] = self->chart_loss;
  charts[1] = self->chart_metrics;
  charts[2] = self->chart_lr;
  charts[3] = self->chart_grad;
  *n = 4;
  return charts;
}

static void
charts_clear (VsTrainPage *self)
{
  guint n;
  GtkWidget *const *charts = all_charts (self, &n);

  for (guint i = 0; i < n; i++)
    {
      vs_chart_clear (VS_CHART (charts[i]));
      vs_chart_set_step_range (VS_CHART (charts[i]), 0, NAN);
    }
}

static void
charts_set_range (VsTrainPage *self,
                  gint64       total_steps)
{
  guint n;
  GtkWidget *const *charts = all_charts (self, &n);

  for (guint i = 0; i < n; i++)
    vs_chart_set_step_range (VS_CHART (charts[i]), 0, total_steps > 0 ? (double) total_steps : NAN);
}

static void
charts_append_step (VsTrainPage *self,
                    double       step,
                    const cJSON *ev)
{
  const cJSON *v;

  if (cJSON_IsNumber (v = cJSON_GetObjectItemCaseSensitive (ev, "loss")))
    vs_chart_append (VS_CHART (self->chart_loss), "loss", step, v->valuedouble);
  if (cJSON_IsNumber (v = cJSON_GetObjectItemCaseSensitive (ev, "lr")))
    vs_chart_append (VS_CHART (self->chart_lr), "lr", step, v->valuedouble);
  if (cJSON_IsNumber (v = cJSON_GetObjectItemCaseSensitive (ev, "grad_norm")))
    vs_chart_append (VS_CHART (self->chart_grad), "grad_norm", step, v->valuedouble);
}

static void
charts_append_eval (VsTrainPage *self,
                    double       step,
                    const cJSON *metrics)
{
  const cJSON *m;

  cJSON_ArrayForEach (m, metrics)
    {
      if (!cJSON_IsNumber (m))
        continue;
      if (strcmp (m->string, "eval_loss") == 0)
        {
          vs_chart_append (VS_CHART (self->chart_loss), "eval_loss", step, m->valuedouble);
          continue;
        }
      if (!vs_chart_has_series (VS_CHART (self->chart_metrics), m->string))
        vs_chart_add_series (VS_CHART (self->chart_metrics), m->string, metric_label (m->string), FALSE);
      vs_chart_append (VS_CHART (self->chart_metrics), m->string, step, m->valuedouble);
    }
}


/* ---- the run log -------------------------------------------------------- */

static void
add_log_row (VsTrainPage *self,
             const char  *title,
             const char  *subtitle,
             gboolean     is_error)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *first;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (is_error)
    gtk_widget_add_css_class (row, "error");
  gtk_list_box_append (self->events_list, row);
  self->n_log_rows++;
  while (self->n_log_rows > MAX_LOG_ROWS &&
         (first = gtk_widget_get_first_child (GTK_WIDGET (self->events_list))) != NULL)
    {
      gtk_list_box_remove (self->events_list, first);
      self->n_log_rows--;
    }
}

static void
clear_log (VsTrainPage *self)
{
  clear_list_box (self->events_list);
  self->n_log_rows = 0;
}

/* "sts-dev_spearman_cosine 0.8123 · eval_loss 3.2100" */
static char *
format_metrics (const cJSON *metrics,
                const char  *primary)
{
  GString *s = g_string_new (NULL);
  const cJSON *m;
  const cJSON *p = primary != NULL ? cJSON_GetObjectItemCaseSensitive (metrics, primary) : NULL;

  if (cJSON_IsNumber (p))
    g_string_append_printf (s, "%s %.4f", metric_label (primary), p->valuedouble);
  cJSON_ArrayForEach (m, metrics)
    {
      if (!cJSON_IsNumber (m) || m == p)
        continue;
      if (s->len > 0)
        g_string_append (s, " · ");
      g_string_append_printf (s, "%s %.4f", metric_label (m->string), m->valuedouble);
    }
  return g_string_free (s, FALSE);
}

/* ---- events ------------------------------------------------------------- */

static double
number (const cJSON *ev,
        const char  *key,
        double       fallback)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (ev, key);

  return cJSON_IsNumber (v) ? v->valuedouble : fallback;
}

/* One event, on the main thread. live: from a running trainer (not its
 * log read back from disk). */
static void
handle_event (VsTrainPage *self,
              const cJSON *ev,
              gboolean     live)
{
  const char *kind = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "event"));
  double step = number (ev, "step", (double) self->step);

  if (g_strcmp0 (kind, "start") == 0)
    {
      self->total_steps = (gint64) number (ev, "total_steps", 0);
      self->steps_per_epoch = (gint64) number (ev, "steps_per_epoch", 0);
      charts_set_range (self, self->total_steps);
      add_log_row (self, _("Training started"), NULL, FALSE);
    }
  else if (g_strcmp0 (kind, "step") == 0)
    {
      self->step = (gint64) step;
      self->epoch = number (ev, "epoch", self->epoch);
      self->examples_per_s = number (ev, "examples_per_s", 0);
      charts_append_step (self, step, ev);
      if (live && self->step > self->resume_step)
        vs_step_rate_add (self->rate, self->step, g_get_monotonic_time ());
    }
  else if (g_strcmp0 (kind, "eval") == 0)
    {
      const cJSON *metrics = cJSON_GetObjectItemCaseSensitive (ev, "metrics");
      const char *primary = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "primary_metric"));
      g_autofree char *text = format_metrics (metrics, primary);
      g_autofree char *title = NULL;

      charts_append_eval (self, step, metrics);
      if (step == 0)
        title = g_strdup (_("Baseline evaluation (before training)"));
      else
        {
          g_autofree char *n = format_count ((gint64) step);

          /* Translators: %s is a step number. */
          title = g_strdup_printf (_("Evaluation at step %s"), n);
        }
      add_log_row (self, title, text, FALSE);
    }
  else if (g_strcmp0 (kind, "checkpoint") == 0)
    {
      const char *path = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "path"));
      g_autofree char *n = format_count ((gint64) step);
      /* Translators: %s is a step number. */
      g_autofree char *title = g_strdup_printf (_("Checkpoint at step %s"), n);

      add_log_row (self, title, path, FALSE);
      if (live && path != NULL)
        {
          g_free (self->run_checkpoint);
          self->run_checkpoint = g_strdup (path);
        }
      if (live)
        refresh_checkpoints (self);
    }
  else if (g_strcmp0 (kind, "done") == 0)
    {
      const cJSON *metrics = cJSON_GetObjectItemCaseSensitive (ev, "metrics");
      const char *primary = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "primary_metric"));
      g_autofree char *text = format_metrics (metrics, primary);

      self->step = (gint64) step;
      g_clear_pointer (&self->final_metrics, cJSON_Delete);
      self->final_metrics = cJSON_Duplicate (metrics, TRUE);
      g_free (self->primary_metric);
      self->primary_metric = g_strdup (primary);
      add_log_row (self, _("Training finished"), text, FALSE);
      self->ended = TRUE;
      self->failed = FALSE;
    }
  else if (g_strcmp0 (kind, "error") == 0)
    {
      const char *message = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (ev, "message"));
      gboolean cancelled = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ev, "cancelled"));

      add_log_row (self, cancelled ? _("Training ended early") : _("Training failed"), message, !cancelled);
      self->ended = TRUE;
      self->failed = !cancelled;
      g_free (self->fail_message);
      self->fail_message = g_strdup (message);
    }
}

/* ---- progress ----------------------------------------------------------- */

static char *
format_time_left (double seconds)
{
  gulong n;

  if (seconds < 0)
    return NULL;
  if (seconds < 60)
    {
      n = (gulong) MAX (1.0, ceil (seconds));
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %lu second left",
                                           "about %lu seconds left", n), n);
    }
  if (seconds < 3600 * 1.5)
    {
      n = (gulong) round (seconds / 60.0);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %lu minute left",
                                           "about %lu minutes left", n), n);
    }
  n = (gulong) round (seconds / 3600.0);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %lu hour left",
                                       "about %lu hours left", n), n);
}

static const char *
phase_text (VsTrainPage *self)
{
  switch (self->phase)
    {
    case VS_TRAIN_PHASE_LOADING:
      return _("Loading the model and the data…");
    case VS_TRAIN_PHASE_RUNNING:
      return _("Training");
    case VS_TRAIN_PHASE_PAUSING:
      return _("Pausing after this step…");
    case VS_TRAIN_PHASE_PAUSED:
      return _("Paused");
    case VS_TRAIN_PHASE_STOPPING:
      return _("Saving a checkpoint and stopping…");
    case VS_TRAIN_PHASE_CANCELLING:
      return _("Cancelling…");
    case VS_TRAIN_PHASE_FINISHING:
      return _("Ending the run…");
    case VS_TRAIN_PHASE_IDLE:
    default:
      return NULL;
    }
}

static void
update_progress (VsTrainPage *self)
{
  g_autofree char *state = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  const char *phase = phase_text (self);

  if (phase != NULL)
    state = g_strdup (phase);
  else if (self->ended && self->failed)
    /* Translators: %s is the engine's error message. */
    state = g_strdup_printf (_("Training failed: %s"), self->fail_message != NULL ? self->fail_message : "");
  else if (self->ended && self->final_metrics == NULL)
    {
      g_autofree char *n = format_count (self->step);

      /* Translators: %s is a step number. */
      state = g_strdup_printf (_("Stopped at step %s"), n);
    }
  else if (self->ended)
    {
      const cJSON *p = self->primary_metric != NULL
                       ? cJSON_GetObjectItemCaseSensitive (self->final_metrics, self->primary_metric) : NULL;

      if (cJSON_IsNumber (p))
        /* Translators: a metric's name and its value. */
        state = g_strdup_printf (_("Finished · %s %.4f"), metric_label (self->primary_metric),
                                 p->valuedouble);
      else
        state = g_strdup (_("Finished"));
    }
  else if (self->project != NULL && !vs_project_get_valid (self->project))
    state = g_strdup (_("The recipe has problems: fix them before training"));
  else
    state = g_strdup (_("Ready to train"));
  gtk_label_set_text (self->state_label, state);

  if (self->total_steps > 0)
    {
      gint64 epochs = self->steps_per_epoch > 0
                      ? (self->total_steps + self->steps_per_epoch - 1) / self->steps_per_epoch : 0;
      gint64 epoch_now = MIN ((gint64) floor (self->epoch) + 1, MAX (epochs, 1));

      gtk_progress_bar_set_fraction (self->progress_bar,
                                     CLAMP ((double) self->step / (double) self->total_steps, 0.0, 1.0));
      {
        g_autofree char *a = format_count (self->step);
        g_autofree char *b = format_count (self->total_steps);

        /* Translators: "Step 1,200 of 5,000" */
        g_string_append_printf (text, _("Step %s of %s"), a, b);
      }
      if (epochs > 0)
        {
          g_autofree char *a = format_count (self->step >= self->total_steps ? epochs : epoch_now);
          g_autofree char *b = format_count (epochs);

          g_string_append (text, " · ");
          /* Translators: "epoch 2 of 3" */
          g_string_append_printf (text, _("epoch %s of %s"), a, b);
        }
      if (self->phase == VS_TRAIN_PHASE_RUNNING && self->step < self->total_steps)
        {
          g_autofree char *left = format_time_left (vs_step_rate_eta_seconds (self->rate, self->total_steps));

          if (left != NULL)
            {
              g_string_append (text, " · ");
              g_string_append (text, left);
            }
        }
    }
  else
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      g_string_append (text, self->phase == VS_TRAIN_PHASE_IDLE ? _("Not started") : _("Preparing"));
    }
  gtk_label_set_text (self->progress_label, text->str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text->str, -1);
}

static void
update_stats (VsTrainPage *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (self->examples_per_s > 0)
    /* Translators: training speed. */
    g_string_append_printf (text, _("%.0f examples/s"), self->examples_per_s);
  if (is_active (self->phase) && self->last_usage.wall_us > 0)
    {
      g_autofree char *mem = g_format_size (self->last_usage.rss_bytes);

      if (text->len > 0)
        g_string_append (text, " · ");
      /* Translators: the run's CPU load (100 % = one core) and its memory. */
      g_string_append_printf (text, _("CPU %.0f %% · memory %s"), self->cpu_percent, mem);
    }
  gtk_label_set_text (self->stats_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->stats_label), text->len > 0);
}

static gboolean
on_usage_tick (gpointer data)
{
  VsTrainPage *self = data;
  VsUsageSample now;

  if (vs_usage_sample (&now, NULL))
    {
      if (self->last_usage.wall_us > 0)
        self->cpu_percent = vs_usage_cpu_percent (&self->last_usage, &now);
      self->last_usage = now;
    }
  update_stats (self);
  update_progress (self);
  return G_SOURCE_CONTINUE;
}

/* ---- the run ------------------------------------------------------------ */

static void
update_actions (VsTrainPage *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean valid = self->project != NULL && vs_project_get_valid (self->project);
  gboolean idle = self->phase == VS_TRAIN_PHASE_IDLE;
  gboolean going = self->phase == VS_TRAIN_PHASE_RUNNING || self->phase == VS_TRAIN_PHASE_PAUSING ||
                   self->phase == VS_TRAIN_PHASE_PAUSED;
  gboolean finished = self->ended && !self->failed && self->final_metrics != NULL;

  gtk_widget_action_set_enabled (w, "train.start", idle && valid);
  gtk_widget_action_set_enabled (w, "train.pause", self->phase == VS_TRAIN_PHASE_RUNNING);
  /* Idle, Resume continues the shown run from its last checkpoint, unless
   * that run finished (a checkpoint's own Resume still restarts from it). */

  gtk_widget_action_set_enabled (w, "train.resume",
                                 self->phase == VS_TRAIN_PHASE_PAUSED || self->phase == VS_TRAIN_PHASE_PAUSING ||
                                 (idle && valid && self->last_checkpoint != NULL && !finished));
  gtk_widget_action_set_enabled (w, "train.resume-from", idle && valid);
  gtk_widget_action_set_enabled (w, "train.stop", going);
  gtk_widget_action_set_enabled (w, "train.cancel", going || self->phase == VS_TRAIN_PHASE_LOADING ||
                                                    self->phase == VS_TRAIN_PHASE_STOPPING);
}

static void
uninhibit (VsTrainPage *self)
{
  GtkApplication *app = get_application (self);

  if (self->inhibit_cookie != 0 && app != NULL)
    gtk_application_uninhibit (app, self->inhibit_cookie);
  self->inhibit_cookie = 0;
}

static void
notify_end (VsTrainPage *self)
{
  GtkApplication *app = get_application (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GNotification) n = NULL;
  g_autofree char *body = NULL;

  if (app == NULL || (GTK_IS_WINDOW (root) && gtk_window_is_active (GTK_WINDOW (root)) &&
                      gtk_widget_get_visible (GTK_WIDGET (root))))
    return;
  if (self->failed)
    {
      n = g_notification_new (_("Training failed"));
      body = g_strdup (self->fail_message);
    }
  else if (self->final_metrics != NULL)
    {
      n = g_notification_new (_("Training finished"));
      body = format_metrics (self->final_metrics, self->primary_metric);
    }
  else
    return;   /* stopped or cancelled by the user */
  if (body != NULL)
    g_notification_set_body (n, body);
  g_application_send_notification (G_APPLICATION (app), "training", n);
}

static gpointer
join_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  VsTrainer *trainer = data;

  if (!vs_trainer_join (trainer, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VsTrainPage *self = VS_TRAIN_PAGE (source);
  g_autoptr(GError) error = NULL;
  gpointer ok = vs_task_finish (result, &error);

  g_clear_pointer (&self->trainer, vs_trainer_free);
  if (self->disposed)
    return;
  g_clear_pointer (&self->channel, channel_unref);
  g_clear_handle_id (&self->usage_id, g_source_remove);
  g_clear_handle_id (&self->pause_poll_id, g_source_remove);
  uninhibit (self);
  if (ok == NULL && error != NULL && !self->ended)
    {
      /* No error event reached us (should not happen): say it anyway. */
      self->ended = TRUE;
      self->failed = !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED);
      g_free (self->fail_message);
      self->fail_message = g_strdup (error->message);
    }
  if (self->ended && self->failed)
    {
      const char *ckpt = self->run_checkpoint;
      g_autofree char *text = NULL;

      if (ckpt != NULL)
        /* Translators: the engine's message, then a checkpoint folder. */
        text = g_strdup_printf (_("%s\nThe last good checkpoint is %s: resume from it below."),
                                self->fail_message, ckpt);
      else
        text = g_strdup_printf (_("%s\nNo checkpoint was saved before it."), self->fail_message);
      show_error (self, text);
    }
  set_phase (self, VS_TRAIN_PHASE_IDLE);
  update_stats (self);
  refresh_checkpoints (self);
  notify_end (self);
}

static gboolean
drain_idle (gpointer data)
{
  Channel *ch = data;
  g_autoptr(VsTrainPage) self = g_weak_ref_get (&ch->page);
  GQueue events = G_QUEUE_INIT;
  cJSON *ev;

  g_mutex_lock (&ch->lock);
  events = ch->queue;
  g_queue_init (&ch->queue);
  ch->idle_pending = FALSE;
  g_mutex_unlock (&ch->lock);

  if (self == NULL || self->channel != ch)
    {
      g_queue_clear_full (&events, (GDestroyNotify) cJSON_Delete);
      return G_SOURCE_REMOVE;
    }
  while ((ev = g_queue_pop_head (&events)) != NULL)
    {
      handle_event (self, ev, TRUE);
      cJSON_Delete (ev);
    }
  if (self->ended && self->trainer != NULL && self->phase != VS_TRAIN_PHASE_FINISHING)
    {
      set_phase (self, VS_TRAIN_PHASE_FINISHING);
      vs_task_run (self, join_worker, self->trainer, NULL, NULL, NULL, NULL, on_joined, NULL);
    }
  update_progress (self);
  update_stats (self);
  return G_SOURCE_REMOVE;
}

/* On the training thread. */
static void
on_trainer_event (const VsTrainEvent *event,
                  gpointer            user_data)
{
  Channel *ch = user_data;

  g_mutex_lock (&ch->lock);
  g_queue_push_tail (&ch->queue, cJSON_Duplicate (event->data, TRUE));
  if (!ch->idle_pending)
    {
      ch->idle_pending = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, drain_idle, channel_ref (ch), channel_unref);
    }
  g_mutex_unlock (&ch->lock);
}

typedef struct
{
  char *text;
  char *name;
  char *base_dir;
} LoadJob;

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  g_free (job->text);
  g_free (job->name);
  g_free (job->base_dir);
  g_free (job);
}

/* On a worker: the recipe parsed from the project's document, its model
 * and data loaded. */
static gpointer
load_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  LoadJob *job = data;
  g_autoptr(VsRecipe) recipe = vs_recipe_parse (job->text, strlen (job->text), job->name,
                                                job->base_dir, error);

  if (recipe == NULL)
    return NULL;
  return vs_trainer_new_from_recipe (recipe, error);
}

static void
on_pause_poll_done (VsTrainPage *self)
{
  self->pause_poll_id = 0;
}

static gboolean
on_pause_poll (gpointer data)
{
  VsTrainPage *self = data;

  if (self->phase != VS_TRAIN_PHASE_PAUSING || self->trainer == NULL)
    return G_SOURCE_REMOVE;
  if (vs_trainer_is_holding (self->trainer))
    {
      vs_step_rate_reset (self->rate);
      set_phase (self, VS_TRAIN_PHASE_PAUSED);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VsTrainPage *self = VS_TRAIN_PAGE (source);
  g_autoptr(GError) error = NULL;
  char *resume_from = user_data;
  VsTrainer *trainer = vs_task_finish (result, &error);

  g_clear_object (&self->load_cancellable);
  if (self->disposed)
    {
      g_clear_pointer (&trainer, vs_trainer_free);
      g_free (resume_from);
      return;
    }
  if (trainer == NULL || self->cancel_requested)
    {
      g_clear_pointer (&trainer, vs_trainer_free);
      uninhibit (self);
      if (error != NULL && !self->cancel_requested)
        show_error (self, error->message);
      set_phase (self, VS_TRAIN_PHASE_IDLE);
      g_free (resume_from);
      return;
    }
  self->trainer = trainer;
  self->channel = channel_new (self);
  vs_trainer_set_event_func (trainer, on_trainer_event, channel_ref (self->channel), channel_unref);
  if (resume_from != NULL)
    vs_trainer_set_resume_from (trainer, resume_from);
  if (self->fault != VS_TRAINER_FAULT_NONE)
    vs_trainer_set_fault (trainer, self->fault, self->fault_step);
  g_free (resume_from);
  if (!vs_trainer_start (trainer, &error))
    {
      g_clear_pointer (&self->trainer, vs_trainer_free);
      g_clear_pointer (&self->channel, channel_unref);
      uninhibit (self);
      show_error (self, error->message);
      set_phase (self, VS_TRAIN_PHASE_IDLE);
      return;
    }
  self->last_usage.wall_us = 0;
  on_usage_tick (self);
  self->usage_id = g_timeout_add_seconds (1, on_usage_tick, self);
  set_phase (self, self->stop_requested ? VS_TRAIN_PHASE_STOPPING : VS_TRAIN_PHASE_RUNNING);
  if (self->stop_requested)
    vs_trainer_stop (trainer);
}

/* Starts a run from scratch (resume_from NULL) or from a checkpoint. */
static void
start_run (VsTrainPage *self,
           const char  *resume_from)
{
  GtkApplication *app = get_application (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  LoadJob *job;
  char *text;
  g_autofree char *title = NULL;

  if (self->phase != VS_TRAIN_PHASE_IDLE || self->project == NULL || !vs_project_get_valid (self->project))
    return;
  /* The project's document as it is now, unsaved edits included: the
   * user's project file is not written. */
  text = cJSON_PrintUnformatted (vs_project_get_document (self->project));
  job = g_new0 (LoadJob, 1);
  job->text = g_strdup (text);
  cJSON_free (text);
  title = vs_project_get_file (self->project) != NULL
          ? g_path_get_basename (vs_project_get_file (self->project)) : g_strdup ("recipe.json");
  job->name = g_steal_pointer (&title);
  job->base_dir = g_strdup (vs_project_get_base_dir (self->project));

  show_error (self, NULL);
  self->cancel_requested = FALSE;
  self->stop_requested = FALSE;
  self->ended = FALSE;
  self->failed = FALSE;
  g_clear_pointer (&self->fail_message, g_free);
  g_clear_pointer (&self->final_metrics, cJSON_Delete);
  g_clear_pointer (&self->primary_metric, g_free);
  g_free (self->run_output_dir);
  self->run_output_dir = dup_output_dir (self);
  g_free (self->run_checkpoint);
  self->run_checkpoint = g_strdup (resume_from);
  self->total_steps = 0;
  self->steps_per_epoch = 0;
  self->step = 0;
  self->epoch = 0;
  self->examples_per_s = 0;
  self->resume_step = 0;
  if (resume_from != NULL)
    {
      g_autofree char *base = g_path_get_basename (resume_from);

      if (g_str_has_prefix (base, "checkpoint-"))
        self->resume_step = g_ascii_strtoll (base + strlen ("checkpoint-"), NULL, 10);
    }
  vs_step_rate_reset (self->rate);
  charts_clear (self);
  clear_log (self);

  if (app != NULL && self->inhibit_cookie == 0)
    self->inhibit_cookie = gtk_application_inhibit (app, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                    GTK_APPLICATION_INHIBIT_SUSPEND |
                                                    GTK_APPLICATION_INHIBIT_LOGOUT,
                                                    _("A model is training"));
  self->load_cancellable = g_cancellable_new ();
  set_phase (self, VS_TRAIN_PHASE_LOADING);
  vs_task_run (self, load_worker, job, load_job_free, (GDestroyNotify) vs_trainer_free,
               self->load_cancellable, NULL, on_loaded, g_strdup (resume_from));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  start_run (VS_TRAIN_PAGE (widget), NULL);
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VsTrainPage *self = VS_TRAIN_PAGE (widget);

  if (self->phase != VS_TRAIN_PHASE_RUNNING || self->trainer == NULL)
    return;
  vs_trainer_pause (self->trainer);
  set_phase (self, VS_TRAIN_PHASE_PAUSING);
  /* The loop holds once the current step ends; no event says so. */
  self->pause_poll_id = g_timeout_add_full (G_PRIORITY_DEFAULT, 50, on_pause_poll, self,
                                            (GDestroyNotify) on_pause_poll_done);
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VsTrainPage *self = VS_TRAIN_PAGE (widget);

  if ((self->phase == VS_TRAIN_PHASE_PAUSED || self->phase == VS_TRAIN_PHASE_PAUSING) &&
      self->trainer != NULL)
    {
      g_clear_handle_id (&self->pause_poll_id, g_source_remove);
      vs_trainer_resume (self->trainer);
      set_phase (self, VS_TRAIN_PHASE_RUNNING);
    }
  else if (self->phase == VS_TRAIN_PHASE_IDLE && self->last_checkpoint != NULL)
    {
      g_autofree char *ckpt = g_strdup (self->last_checkpoint);

      start_run (self, ckpt);
    }
}

static void
resume_from_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  start_run (VS_TRAIN_PAGE (widget), g_variant_get_string (parameter, NULL));
}

void
vs_train_page_stop (VsTrainPage *self)
{
  g_return_if_fail (VS_IS_TRAIN_PAGE (self));

  if (self->phase == VS_TRAIN_PHASE_LOADING)
    {
      self->stop_requested = TRUE;
      return;
    }
  if (self->trainer == NULL || self->phase == VS_TRAIN_PHASE_FINISHING ||
      self->phase == VS_TRAIN_PHASE_CANCELLING)
    return;
  g_clear_handle_id (&self->pause_poll_id, g_source_remove);
  vs_trainer_stop (self->trainer);
  set_phase (self, VS_TRAIN_PHASE_STOPPING);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  vs_train_page_stop (VS_TRAIN_PAGE (widget));
}

/* ---- Export Training Script… ------------------------------------------ */

gboolean
vs_train_page_export_script (VsTrainPage  *self,
                             const char   *path,
                             GError      **error)
{
  g_return_val_if_fail (VS_IS_TRAIN_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->project == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, _("The recipe has problems: %s"), _("no project"));
      return FALSE;
    }
  return vs_project_export_script (self->project, path, error);
}

static void
on_export_chosen (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(VsTrainPage) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path != NULL && !vs_train_page_export_script (self, path, &error))
        show_error (self, error->message);
      else if (path != NULL)
        {
          GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

          show_error (self, NULL);
          if (overlay != NULL)
            adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay),
                                         adw_toast_new (_("Training script exported")));
        }
    }
  g_object_unref (dialog);
}

static void
export_script_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  VsTrainPage *self = VS_TRAIN_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export Training Script"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "train.py");
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VsTrainPage *self = VS_TRAIN_PAGE (widget);

  if (self->phase == VS_TRAIN_PHASE_LOADING)
    {
      /* The load cannot be interrupted; its trainer is dropped when it comes. */
      self->cancel_requested = TRUE;
      g_cancellable_cancel (self->load_cancellable);
      set_phase (self, VS_TRAIN_PHASE_CANCELLING);
      return;
    }
  if (self->trainer == NULL || self->phase == VS_TRAIN_PHASE_FINISHING)
    return;
  g_clear_handle_id (&self->pause_poll_id, g_source_remove);
  vs_trainer_cancel (self->trainer);
  set_phase (self, VS_TRAIN_PHASE_CANCELLING);
}

/* ---- checkpoints and the log on disk ----------------------------------- */

typedef struct
{
  cJSON     *events;        /* or NULL */
  GPtrArray *checkpoints;   /* VsCheckpointInfo */
  char      *error;         /* a log or checkpoint that could not be read */
  guint      generation;
  gboolean   with_events;
} History;

static void
history_free (gpointer data)
{
  History *h = data;

  cJSON_Delete (h->events);
  g_clear_pointer (&h->checkpoints, g_ptr_array_unref);
  g_free (h->error);
  g_free (h);
}

typedef struct
{
  char     *output_dir;
  guint     generation;
  gboolean  with_events;
} HistoryJob;

static void
history_job_free (gpointer data)
{
  HistoryJob *job = data;

  g_free (job->output_dir);
  g_free (job);
}

static gpointer
history_worker (VsTask        *task,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  HistoryJob *job = data;
  History *h = g_new0 (History, 1);
  g_autoptr(GError) local_error = NULL;

  h->generation = job->generation;
  h->with_events = job->with_events;
  if (job->with_events)
    {
      g_autofree char *path = g_build_filename (job->output_dir, VS_TRAIN_LOG_NAME, NULL);

      h->events = vs_train_log_read (path, &local_error);
      if (h->events == NULL && !g_error_matches (local_error, VS_ERROR, VS_ERROR_NOT_FOUND))
        h->error = g_strdup (local_error->message);
      g_clear_error (&local_error);
    }
  h->checkpoints = vs_trainer_list_checkpoints (job->output_dir, &local_error);
  if (h->checkpoints == NULL && h->error == NULL)
    h->error = g_strdup (local_error->message);
  return h;
}

static void
checkpoint_row_add (VsTrainPage            *self,
                    const VsCheckpointInfo *c)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Resume"));
  g_autofree char *n = format_count (c->step);
  /* Translators: a checkpoint's title; %s is a step number. */
  g_autofree char *title = g_strdup_printf (_("Step %s"), n);
  g_autofree char *subtitle = NULL;
  g_autofree char *a11y = NULL;

  /* Translators: "epoch 1.50" */
  subtitle = g_strdup_printf (_("epoch %.2f"), c->epoch);
  if (c->metric_name != NULL && !isnan (c->metric))
    {
      g_autofree char *with_metric = NULL;

      with_metric = g_strdup_printf ("%s · %s %.4f", subtitle, metric_label (c->metric_name), c->metric);
      g_free (subtitle);
      subtitle = g_steal_pointer (&with_metric);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, c->path);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "train.resume-from");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", c->path);
  /* Translators: the accessible name of a checkpoint's Resume button. */
  a11y = g_strdup_printf (_("Resume from step %s"), n);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  name_once (button);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  gtk_list_box_prepend (self->checkpoints_list, row);
}

static void
show_checkpoints (VsTrainPage *self,
                  GPtrArray   *list)
{
  clear_list_box (self->checkpoints_list);
  g_clear_pointer (&self->last_checkpoint, g_free);
  self->n_checkpoints = list != NULL ? list->len : 0;
  for (guint i = 0; list != NULL && i < list->len; i++)
    checkpoint_row_add (self, list->pdata[i]);
  if (self->n_checkpoints > 0)
    self->last_checkpoint = g_strdup (((VsCheckpointInfo *) list->pdata[list->len - 1])->path);
  else
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No checkpoints yet"));
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (self->checkpoints_list, row);
    }
  update_actions (self);
}

static void
on_history (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  VsTrainPage *self = VS_TRAIN_PAGE (source);
  g_autoptr(GError) error = NULL;
  History *h = vs_task_finish (result, &error);
  const cJSON *ev;

  if (h == NULL)
    return;
  if (self->disposed || h->generation != self->history_generation)
    {
      history_free (h);
      return;
    }
  if (h->checkpoints != NULL)
    show_checkpoints (self, h->checkpoints);
  if (h->with_events && self->phase == VS_TRAIN_PHASE_IDLE)
    {
      /* The run the output folder holds, drawn again. */
      charts_clear (self);
      clear_log (self);
      self->total_steps = 0;
      self->steps_per_epoch = 0;
      self->step = 0;
      self->epoch = 0;
      self->examples_per_s = 0;
      self->ended = FALSE;
      self->failed = FALSE;
      g_clear_pointer (&self->final_metrics, cJSON_Delete);
      g_clear_pointer (&self->primary_metric, g_free);
      cJSON_ArrayForEach (ev, h->events)
        handle_event (self, ev, FALSE);
      if (h->events != NULL && !self->ended && self->total_steps > 0)
        /* A run that was killed: what it logged ends here. */
        self->ended = TRUE;
      update_actions (self);
      update_progress (self);
      update_stats (self);
    }
  if (h->error != NULL)
    show_error (self, h->error);
  history_free (h);
}

static void
start_history (VsTrainPage *self,
               gboolean     with_events)
{
  HistoryJob *job;
  g_autofree char *out = dup_output_dir (self);

  self->history_generation++;
  if (out == NULL)
    {
      show_checkpoints (self, NULL);
      return;
    }
  job = g_new0 (HistoryJob, 1);
  job->output_dir = g_steal_pointer (&out);
  job->generation = self->history_generation;
  job->with_events = with_events;
  vs_task_run (self, history_worker, job, history_job_free, history_free, NULL, NULL, on_history, NULL);
}

static void
load_history (VsTrainPage *self)
{
  start_history (self, TRUE);
}

static void
refresh_checkpoints (VsTrainPage *self)
{
  start_history (self, FALSE);
}

/* ---- the form ----------------------------------------------------------- */

static void
arg_row_free (gpointer data)
{
  g_free (data);
}

static char *
arg_path (const ArgSpec *spec)
{
  return g_strconcat ("args.", spec->key, NULL);
}

/* The document's value as the entry shows it ("" when absent). */
static char *
node_to_text (const cJSON *node)
{
  if (node == NULL || cJSON_IsNull (node))
    return g_strdup ("");
  if (cJSON_IsString (node))
    return g_strdup (node->valuestring);
  if (cJSON_IsNumber (node))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      if (node->valuedouble == floor (node->valuedouble) && fabs (node->valuedouble) < 1e15)
        return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) node->valuedouble);
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.10g", node->valuedouble));
    }
  {
    char *t = cJSON_PrintUnformatted (node);
    char *out = g_strdup (t);

    cJSON_free (t);
    return out;
  }
}

/* The JSON an entry's text means: NULL (absent) for empty text, a number
 * when it reads as one, else the text as a string (the engine then says
 * what it expected). */
static cJSON *
text_to_node (const ArgSpec *spec,
              const char    *text)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end = NULL;
  double d;

  if (*t == '\0')
    return NULL;
  if (spec->kind == ARG_TEXT)
    return cJSON_CreateString (text);
  if (spec->kind == ARG_JSON)
    {
      cJSON *j = cJSON_Parse (t);

      if (j != NULL && (cJSON_IsObject (j) || cJSON_IsBool (j) || cJSON_IsNumber (j) || cJSON_IsNull (j)))
        return j;
      cJSON_Delete (j);
      return cJSON_CreateString (text);
    }
  d = g_ascii_strtod (t, &end);
  if (end != NULL && *end == '\0' && end != t)
    return cJSON_CreateNumber (d);
  return cJSON_CreateString (t);
}

static void
on_entry_changed (GtkEditable *editable,
                  ArgRow      *ar)
{
  VsTrainPage *self = ar->page;
  g_autofree char *path = NULL;
  cJSON *node;

  if (self->updating || self->project == NULL)
    return;
  path = arg_path (ar->spec);
  node = text_to_node (ar->spec, gtk_editable_get_text (editable));
  self->updating = TRUE;
  if (node == NULL)
    vs_project_remove (self->project, path);
  else
    vs_project_set (self->project, path, node);
  self->updating = FALSE;
}

static void
on_switch_active (GtkSwitch  *sw,
                  GParamSpec *pspec,
                  ArgRow     *ar)
{
  VsTrainPage *self = ar->page;
  g_autofree char *path = NULL;

  if (self->updating || self->project == NULL)
    return;
  path = arg_path (ar->spec);
  self->updating = TRUE;
  vs_project_set_bool (self->project, path, gtk_switch_get_active (sw));
  self->updating = FALSE;
}

static void
on_combo_selected (AdwComboRow *row,
                   GParamSpec  *pspec,
                   ArgRow      *ar)
{
  VsTrainPage *self = ar->page;
  g_autofree char *path = NULL;
  guint i = adw_combo_row_get_selected (row);

  if (self->updating || self->project == NULL || i == GTK_INVALID_LIST_POSITION)
    return;
  path = arg_path (ar->spec);
  self->updating = TRUE;
  if (ar->spec->kind == ARG_TRISTATE)
    {
      if (i == 0)
        vs_project_remove (self->project, path);
      else
        vs_project_set_bool (self->project, path, i == 1);
    }
  else
    {
      g_auto(GStrv) choices = g_strsplit (ar->spec->choices, "|", -1);

      if (i < g_strv_length (choices))
        vs_project_set_string (self->project, path, choices[i]);
    }
  self->updating = FALSE;
}

static GtkWidget *
build_arg_row (VsTrainPage   *self,
               const ArgSpec *spec)
{
  ArgRow *ar = g_new0 (ArgRow, 1);
  g_autofree char *subtitle = NULL;
  const char *title = _(spec->title);

  ar->page = self;
  ar->spec = spec;
  /* Translators: a setting's subtitle: its default value, then what it does. */
  subtitle = g_strdup_printf (_("Default: %s · %s"), _(spec->default_text), _(spec->help));

  switch (spec->kind)
    {
    case ARG_CHOICE:
    case ARG_TRISTATE:
      {
        GtkStringList *model;

        ar->row = adw_combo_row_new ();
        if (spec->kind == ARG_TRISTATE)
          {
            const char *items[] = { _("Automatic"), _("Greater"), _("Smaller"), NULL };

            model = gtk_string_list_new (items);
          }
        else
          {
            g_auto(GStrv) choices = g_strsplit (spec->choices, "|", -1);

            model = gtk_string_list_new ((const char *const *) choices);
          }
        adw_combo_row_set_model (ADW_COMBO_ROW (ar->row), G_LIST_MODEL (model));
        g_object_unref (model);
        ar->editor = ar->row;
        g_signal_connect (ar->row, "notify::selected", G_CALLBACK (on_combo_selected), ar);
        break;
      }

    case ARG_BOOL:
      ar->row = adw_action_row_new ();
      ar->editor = gtk_switch_new ();
      gtk_widget_set_valign (ar->editor, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (ar->row), ar->editor);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (ar->row), ar->editor);
      g_signal_connect (ar->editor, "notify::active", G_CALLBACK (on_switch_active), ar);
      break;

    case ARG_INT:
    case ARG_FLOAT:
    case ARG_TEXT:
    case ARG_JSON:
    default:
      ar->row = adw_action_row_new ();
      ar->editor = gtk_entry_new ();
      gtk_widget_set_valign (ar->editor, GTK_ALIGN_CENTER);
      {
        int chars = spec->kind == ARG_JSON || spec->kind == ARG_TEXT ? 18 : 10;
        g_autofree char *placeholder = g_strdup (_(spec->default_text));
        char *paren = strstr (placeholder, " (");

        /* The value alone: the subtitle says what it means. */
        if (paren != NULL)
          *paren = '\0';
        gtk_editable_set_width_chars (GTK_EDITABLE (ar->editor), chars);
        gtk_editable_set_max_width_chars (GTK_EDITABLE (ar->editor), chars);
        gtk_entry_set_placeholder_text (GTK_ENTRY (ar->editor), placeholder);
      }
      if (spec->kind == ARG_INT || spec->kind == ARG_FLOAT)
        gtk_entry_set_input_purpose (GTK_ENTRY (ar->editor), GTK_INPUT_PURPOSE_NUMBER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (ar->row), ar->editor);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (ar->row), ar->editor);
      g_signal_connect (ar->editor, "changed", G_CALLBACK (on_entry_changed), ar);
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (ar->row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (ar->row), subtitle);
  if (ar->editor != ar->row)
    gtk_accessible_update_property (GTK_ACCESSIBLE (ar->editor),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle,
                                    -1);
  if (ar->editor != ar->row)
    name_once (ar->editor);
  g_object_set_data (G_OBJECT (ar->row), "arg-key", (gpointer) spec->key);
  g_ptr_array_add (self->arg_rows, ar);
  return ar->row;
}

static void
build_form (VsTrainPage *self)
{
  GtkWidget *expanders[N_SECTIONS] = { NULL };

  for (guint s = SECTION_OPTIMIZER; s < N_SECTIONS; s++)
    {
      expanders[s] = adw_expander_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expanders[s]), _(section_info[s].title));
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expanders[s]), _(section_info[s].subtitle));
      adw_preferences_group_add (self->advanced_group, expanders[s]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (arg_specs); i++)
    {
      const ArgSpec *spec = &arg_specs[i];
      GtkWidget *row = build_arg_row (self, spec);

      if (spec->section == SECTION_BASICS)
        adw_preferences_group_add (self->basics_group, row);
      else
        adw_expander_row_add_row (ADW_EXPANDER_ROW (expanders[spec->section]), row);
    }
}

static gboolean
problem_is_for (const char *problem,
                const char *key)
{
  gsize n = strlen (key);

  return g_str_has_prefix (problem, "args.") &&
         strncmp (problem + 5, key, n) == 0 &&
         (problem[5 + n] == ':' || problem[5 + n] == '.');
}

/* The form shows the document's args; the engine's refusals beside it. */
static void
sync_form (VsTrainPage *self)
{
  g_auto(GStrv) problems = NULL;

  if (self->project == NULL)
    return;
  problems = vs_project_get_problems_for (self->project, VS_PROJECT_AREA_ARGS);
  self->updating = TRUE;
  for (guint i = 0; i < self->arg_rows->len; i++)
    {
      ArgRow *ar = g_ptr_array_index (self->arg_rows, i);
      g_autofree char *path = arg_path (ar->spec);
      const cJSON *node = vs_project_get (self->project, path);
      gboolean bad = FALSE;

      for (guint k = 0; problems != NULL && problems[k] != NULL; k++)
        if (problem_is_for (problems[k], ar->spec->key))
          bad = TRUE;

      switch (ar->spec->kind)
        {
        case ARG_BOOL:
          {
            gboolean def = strcmp (ar->spec->key, "shuffle") == 0;

            gtk_switch_set_active (GTK_SWITCH (ar->editor),
                                   cJSON_IsBool (node) ? cJSON_IsTrue (node) : def);
            break;
          }
        case ARG_TRISTATE:
          adw_combo_row_set_selected (ADW_COMBO_ROW (ar->editor),
                                      cJSON_IsTrue (node) ? 1 : cJSON_IsFalse (node) ? 2 : 0);
          break;
        case ARG_CHOICE:
          {
            g_auto(GStrv) choices = g_strsplit (ar->spec->choices, "|", -1);
            const char *value = cJSON_IsString (node) ? node->valuestring : NULL;
            guint sel = 0;

            /* sentence-transformers spells the default batch sampler "batch_sampler". */
            if (g_strcmp0 (value, "batch_sampler") == 0)
              value = "batch";
            for (guint c = 0; value != NULL && choices[c] != NULL; c++)
              if (strcmp (choices[c], value) == 0)
                sel = c;
            adw_combo_row_set_selected (ADW_COMBO_ROW (ar->editor), sel);
            break;
          }
        case ARG_INT:
        case ARG_FLOAT:
        case ARG_TEXT:
        case ARG_JSON:
        default:
          {
            g_autofree char *want = node_to_text (node);
            cJSON *shown = text_to_node (ar->spec, gtk_editable_get_text (GTK_EDITABLE (ar->editor)));

            /* Keep what the user types when it means the same value. */
            if (!((shown == NULL && node == NULL) ||
                  (shown != NULL && node != NULL && cJSON_Compare (shown, node, TRUE))))
              gtk_editable_set_text (GTK_EDITABLE (ar->editor), want);
            cJSON_Delete (shown);
            break;
          }
        }
      if (ar->editor != ar->row)
        {
          if (bad)
            gtk_widget_add_css_class (ar->editor, "error");
          else
            gtk_widget_remove_css_class (ar->editor, "error");
        }
      if (bad)
        gtk_widget_add_css_class (ar->row, "error");
      else
        gtk_widget_remove_css_class (ar->row, "error");
    }
  self->updating = FALSE;

  if (problems != NULL && problems[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv ("\n", problems);

      gtk_label_set_text (self->problems_label, joined);
      gtk_widget_set_visible (GTK_WIDGET (self->problems_label), TRUE);
    }
  else
    {
      gtk_label_set_text (self->problems_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->problems_label), FALSE);
    }
}

/* ---- the project -------------------------------------------------------- */

static void
on_project_changed (VsProject  *project,
                    const char *key,
                    gpointer    user_data)
{
  VsTrainPage *self = user_data;

  if (key == NULL || strcmp (key, "args") == 0)
    sync_form (self);
  if ((key == NULL || strcmp (key, "output_dir") == 0) && self->phase == VS_TRAIN_PHASE_IDLE)
    load_history (self);
}

static void
on_project_valid (VsTrainPage *self)
{
  sync_form (self);
  update_actions (self);
  update_progress (self);
}

static void
disconnect_project (VsTrainPage *self)
{
  if (self->project == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    g_clear_signal_handler (&self->handlers[i], self->project);
}

VsProject *
vs_train_page_get_project (VsTrainPage *self)
{
  g_return_val_if_fail (VS_IS_TRAIN_PAGE (self), NULL);

  return self->project;
}

void
vs_train_page_set_project (VsTrainPage *self,
                           VsProject   *project)
{
  g_return_if_fail (VS_IS_TRAIN_PAGE (self));
  g_return_if_fail (project == NULL || VS_IS_PROJECT (project));

  if (self->project == project)
    return;
  disconnect_project (self);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      self->handlers[0] = g_signal_connect (project, "changed", G_CALLBACK (on_project_changed), self);
      self->handlers[1] = g_signal_connect_swapped (project, "notify::valid",
                                                    G_CALLBACK (on_project_valid), self);
      self->handlers[2] = g_signal_connect_swapped (project, "notify::problems",
                                                    G_CALLBACK (on_project_valid), self);
      sync_form (self);
      if (self->phase == VS_TRAIN_PHASE_IDLE)
        load_history (self);
    }
  update_actions (self);
  update_progress (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

/* ---- for tests ---------------------------------------------------------- */

gboolean
vs_train_page_get_running (VsTrainPage *self)
{
  g_return_val_if_fail (VS_IS_TRAIN_PAGE (self), FALSE);

  return is_active (self->phase);
}

VsTrainPhase
vs_train_page_get_phase (VsTrainPage *self)
{
  g_return_val_if_fail (VS_IS_TRAIN_PAGE (self), VS_TRAIN_PHASE_IDLE);

  return self->phase;
}

gint64
vs_train_page_get_step (VsTrainPage *self)
{
  return self->step;
}

const char *
vs_train_page_get_last_checkpoint (VsTrainPage *self)
{
  return self->last_checkpoint;
}

guint
vs_train_page_get_n_checkpoints (VsTrainPage *self)
{
  return self->n_checkpoints;
}

GtkWidget *
vs_train_page_get_checkpoints_list (VsTrainPage *self)
{
  return GTK_WIDGET (self->checkpoints_list);
}

GtkWidget *
vs_train_page_get_chart (VsTrainPage *self,
                         const char  *name)
{
  if (g_strcmp0 (name, "loss") == 0)
    return self->chart_loss;
  if (g_strcmp0 (name, "lr") == 0)
    return self->chart_lr;
  if (g_strcmp0 (name, "grad_norm") == 0)
    return self->chart_grad;
  if (g_strcmp0 (name, "metrics") == 0)
    return self->chart_metrics;
  return NULL;
}

GtkLabel *
vs_train_page_get_state_label (VsTrainPage *self)
{
  return self->state_label;
}

GtkLabel *
vs_train_page_get_progress_label (VsTrainPage *self)
{
  return self->progress_label;
}

GtkLabel *
vs_train_page_get_stats_label (VsTrainPage *self)
{
  return self->stats_label;
}

GtkLabel *
vs_train_page_get_error_label (VsTrainPage *self)
{
  return self->error_label;
}

gboolean
vs_train_page_get_error_shown (VsTrainPage *self)
{
  return gtk_revealer_get_reveal_child (self->error_revealer);
}

GtkLabel *
vs_train_page_get_problems_label (VsTrainPage *self)
{
  return self->problems_label;
}

GtkWidget *
vs_train_page_get_arg_editor (VsTrainPage *self,
                              const char  *key)
{
  for (guint i = 0; i < self->arg_rows->len; i++)
    {
      ArgRow *ar = g_ptr_array_index (self->arg_rows, i);

      if (strcmp (ar->spec->key, key) == 0)
        return ar->editor;
    }
  return NULL;
}

GtkWidget *
vs_train_page_get_button (VsTrainPage *self,
                          const char  *name)
{
  if (g_strcmp0 (name, "start") == 0)
    return self->start_button;
  if (g_strcmp0 (name, "pause") == 0)
    return self->pause_button;
  if (g_strcmp0 (name, "resume") == 0)
    return self->resume_button;
  if (g_strcmp0 (name, "stop") == 0)
    return self->stop_button;
  if (g_strcmp0 (name, "cancel") == 0)
    return self->cancel_button;
  if (g_strcmp0 (name, "export") == 0)
    return self->export_button;
  return NULL;
}

void
vs_train_page_set_fault (VsTrainPage    *self,
                         VsTrainerFault  fault,
                         gint64          step)
{
  self->fault = fault;
  self->fault_step = step;
}

void
vs_train_page_scroll_to (VsTrainPage *self,
                         GtkWidget   *widget)
{
  vs_scroll_to_widget (self->scroller, widget);
}

/* ---- GObject ------------------------------------------------------------ */

static void
vs_train_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VsTrainPage *self = VS_TRAIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_train_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_train_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VsTrainPage *self = VS_TRAIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, is_active (self->phase));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_train_page_dispose (GObject *object)
{
  VsTrainPage *self = VS_TRAIN_PAGE (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->usage_id, g_source_remove);
  g_clear_handle_id (&self->pause_poll_id, g_source_remove);
  if (self->trainer != NULL && self->phase != VS_TRAIN_PHASE_FINISHING)
    {
      /* The app is going away: end the run now (within a step). */
      vs_trainer_cancel (self->trainer);
      vs_trainer_join (self->trainer, NULL);
      g_clear_pointer (&self->trainer, vs_trainer_free);
    }
  /* While FINISHING a worker joins the trainer; on_joined frees it. */
  g_clear_pointer (&self->channel, channel_unref);
  uninhibit (self);
  disconnect_project (self);
  g_clear_object (&self->project);
  g_clear_object (&self->load_cancellable);
  G_OBJECT_CLASS (vs_train_page_parent_class)->dispose (object);
}

static void
vs_train_page_finalize (GObject *object)
{
  VsTrainPage *self = VS_TRAIN_PAGE (object);

  g_clear_pointer (&self->arg_rows, g_ptr_array_unref);
  g_clear_pointer (&self->rate, vs_step_rate_free);
  g_clear_pointer (&self->final_metrics, cJSON_Delete);
  g_free (self->primary_metric);
  g_free (self->fail_message);
  g_free (self->run_output_dir);
  g_free (self->last_checkpoint);
  g_free (self->run_checkpoint);
  G_OBJECT_CLASS (vs_train_page_parent_class)->finalize (object);
}

static void
vs_train_page_class_init (VsTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_train_page_dispose;
  object_class->finalize = vs_train_page_finalize;
  object_class->get_property = vs_train_page_get_property;
  object_class->set_property = vs_train_page_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "train.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "train.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "train.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "train.resume-from", "s", resume_from_action);
  gtk_widget_class_install_action (widget_class, "train.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "train.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "train.export-script", NULL, export_script_action);
  /* Ctrl+Return starts; Ctrl+P pauses, or resumes a paused run (only one
   * of the two actions is enabled at a time, and a disabled one lets the
   * key through to the other). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "train.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "train.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "train.resume", NULL);
  /* Shift+F5 stops and saves, Ctrl+Shift+F5 cancels: the keys GNOME Builder
   * stops a running program with. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, GDK_SHIFT_MASK, "train.stop", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "train.cancel", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-train-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, state_label);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, stats_label);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, charts_box);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, basics_group);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, advanced_group);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, problems_label);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, checkpoints_group);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, checkpoints_list);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, events_list);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, pause_button);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, resume_button);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VsTrainPage, export_button);
  gtk_widget_class_bind_template_callback (widget_class, on_error_dismiss);
}

static void
vs_train_page_init (VsTrainPage *self)
{
  self->arg_rows = g_ptr_array_new_with_free_func (arg_row_free);
  self->rate = vs_step_rate_new (20);
  gtk_widget_init_template (GTK_WIDGET (self));
  name_once (self->start_button);
  name_once (self->pause_button);
  name_once (self->resume_button);
  name_once (self->stop_button);
  name_once (self->cancel_button);
  name_once (self->export_button);
  build_form (self);
  setup_charts (self);
  show_checkpoints (self, NULL);
  set_phase (self, VS_TRAIN_PHASE_IDLE);
  update_stats (self);
}
