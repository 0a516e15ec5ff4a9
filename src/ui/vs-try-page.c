/* vs-try-page.c: the Try page of the workbench (see vs-try-page.h).
 *
 * Everything the page shows comes from the engine on a worker (vs_task_run):
 * the base model is the run's starting point as the engine builds it from
 * the project's recipe (vs_recipe_load_base_model), the trained model is
 * the output folder (vs_model_load); both are loaded once and kept (keyed
 * by what they were built from) until the recipe's model or the output
 * folder changes. A search corpus is encoded once per model and kept until
 * the corpus or a model changes, so each query only encodes itself. The
 * page reacts to the project's changed::model / ::args / ::eval /
 * ::output_dir / ::loss, and to the output folder gaining a trained model
 * (a GFileMonitor, and a look whenever the page is mapped).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "data/vs-dataset.h"
#include "eval/vs-evaluator.h"
#include "eval/vs-search.h"
#include "train/vs-recipe-base.h"
#include "train/vs-training-record.h"
#include "vs-error.h"

#include "vs-chart.h"
#include "vs-heatmap.h"
#include "vs-layout.h"
#include "vs-task.h"
#include "vs-try-page.h"
#include "serve/vs-server.h"

/* At most this many typed sentences are compared. */
#define MAX_SENTENCES 32

/* Below this window width the matrices and result lists stack. */
#define NARROW_WIDTH 720

/* ---- shared between the main thread and workers ------------------------- */

/* A search corpus and its embeddings (unit rows) per model. Filled by one
 * search worker at a time (searches are serialised), read by the main
 * thread only between searches. */
typedef struct
{
  char      *key;          /* what it was read from */
  char      *label;        /* shown in the Corpus row */
  GPtrArray *texts;
  gsize      base_dim, trained_dim;
  float     *base_unit;    /* [n, base_dim] or NULL */
  char      *base_key;     /* the model base_unit came from */
  float     *trained_unit;
  char      *trained_key;
} Corpus;

static Corpus *
corpus_ref (Corpus *c)
{
  return g_atomic_rc_box_acquire (c);
}

static void
corpus_clear (gpointer data)
{
  Corpus *c = data;

  g_free (c->key);
  g_free (c->label);
  g_clear_pointer (&c->texts, g_ptr_array_unref);
  g_free (c->base_unit);
  g_free (c->base_key);
  g_free (c->trained_unit);
  g_free (c->trained_key);
}

static void
corpus_unref (Corpus *c)
{
  g_atomic_rc_box_release_full (c, corpus_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Corpus, corpus_unref)

struct _VsTryPage
{
  AdwBin          parent_instance;

  GtkScrolledWindow *scroller;
  GtkRevealer    *banner_revealer;
  GtkLabel       *banner_label;
  GtkWidget      *compare_group;
  GtkTextView    *sentences_view;
  GtkLabel       *note_label;
  GtkSpinner     *compare_spinner;
  GtkWidget      *compare_button;
  GtkLabel       *summary_label;
  GtkWidget      *maps_box;
  VsHeatmap      *maps[3];         /* base, trained, difference */
  GtkWidget      *map_cells[3];    /* their GtkFlowBoxChild (not owned) */
  VsChart        *dims_chart;
  GtkWidget      *search_group;
  AdwActionRow   *corpus_row;
  GtkSpinner     *corpus_spinner;
  GtkSpinButton  *top_k_spin;
  AdwEntryRow    *query_row;
  GtkLabel       *search_status_label;
  GtkWidget      *results_box;
  GtkWidget      *trained_results_box;
  GtkListBox     *base_results;
  GtkListBox     *trained_results;
  GtkWidget      *eval_group;
  GtkLabel       *eval_status_label;
  GtkListBox     *metrics_list;
  GtkWidget      *dims_group;
  GtkSpinner     *dims_spinner;
  GtkWidget      *dims_button;
  GtkWidget      *dims_box;
  GtkLabel       *dims_label;
  AdwActionRow   *output_row;
  AdwActionRow   *command_row;
  GtkWidget      *open_files_button;
  AdwActionRow   *serve_row;
  GtkButton      *serve_button;
  GtkWidget      *serve_copy_button;

  VsProject      *project;
  GCancellable   *cancellable;
  gboolean        disposed;

  /* narrow windows: the side-by-side boxes stack below NARROW_WIDTH */
  VsNarrowWatch   narrow_watch;

  /* the models, and what each was built from */
  VsModelRef     *base;
  char           *base_key;
  VsModelRef     *trained;
  char           *trained_key;
  char           *output_dir;      /* resolved, or NULL */
  char           *output_stamp;    /* the trained model's files as seen last (NULL: none) */
  gboolean        has_trained;
  GFileMonitor   *monitor;
  char           *monitored;
  guint           recheck_id;

  /* the comparison */
  guint           compare_generation;
  gboolean        comparing;
  char          **texts;
  guint           n;
  float          *sims[3];

  /* the search */
  Corpus         *corpus;
  char           *corpus_file;     /* chosen with the file chooser, or NULL */
  guint           search_generation;
  gboolean        searching;
  gboolean        search_pending;

  /* the evaluation */
  VsTrainingRecord *record;
  guint           n_metrics;
  guint           dims_generation;
  gboolean        evaluating;
  GArray         *dims;            /* gsize */
  GArray         *dims_values[2];  /* double: base, trained */
  char           *dims_metric;

  /* the embeddings server (vs-server.h), in this main context */
  VsServer       *server;
  gboolean        server_loading;
  GCancellable   *server_cancellable;
};

G_DEFINE_FINAL_TYPE (VsTryPage, vs_try_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_BUSY,
  PROP_HAS_TRAINED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_output (VsTryPage *self);
static void start_search (VsTryPage *self);
static void show_matrices (VsTryPage *self);
static void update_dims_chart (VsTryPage *self);

/* ---- small helpers ------------------------------------------------------ */

static void
show_banner (VsTryPage  *self,
             const char *message)
{
  if (message != NULL)
    gtk_label_set_text (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner_revealer, message != NULL);
}

static void
on_banner_close_clicked (VsTryPage *self)
{
  show_banner (self, NULL);
}

static void
toast (VsTryPage  *self,
       const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
notify_busy (VsTryPage *self)
{
  gtk_spinner_set_spinning (self->compare_spinner, self->comparing);
  gtk_widget_set_sensitive (self->compare_button, !self->comparing);
  gtk_spinner_set_spinning (self->corpus_spinner, self->searching);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* The recipe JSON of the project, for a worker to parse on its own. */
static char *
dup_recipe_text (VsTryPage *self)
{
  return cJSON_PrintUnformatted (vs_project_get_document (self->project));
}

/* What the base model is built from: the model section, the seed, the
 * token limit and the folder relative paths resolve against. */
static char *
dup_base_key (VsTryPage *self)
{
  g_autofree char *model = cJSON_PrintUnformatted (vs_project_get (self->project, "model"));

  return g_strdup_printf ("%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%s",
                          model != NULL ? model : "null",
                          vs_project_get_int (self->project, "args.seed", 42),
                          vs_project_get_int (self->project, "args.max_seq_length", 0),
                          vs_project_get_base_dir (self->project));
}

/* The output folder as the engine resolves it: relative to the project. */
static char *
dup_output_dir (VsProject *project)
{
  const char *out = vs_project_get_string (project, "output_dir");

  if (out == NULL || *out == '\0')
    return NULL;
  return g_canonicalize_filename (out, vs_project_get_base_dir (project));
}

/* A stamp of the trained model in dir (its files' sizes and times), or
 * NULL when dir holds no loadable model folder. */
static char *
dup_output_stamp (const char *dir)
{
  static const char *const files[] = { "modules.json", "model.safetensors", VS_TRAINING_RECORD_FILE };
  g_autoptr(GString) s = NULL;

  if (dir == NULL)
    return NULL;
  s = g_string_new (dir);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      GStatBuf st;

      if (g_stat (path, &st) != 0)
        {
          if (i < 2)
            return NULL;   /* no model there */
          continue;
        }
      g_string_append_printf (s, "|%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, files[i],
                              (gint64) st.st_size, (gint64) st.st_mtime);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
format_value (double v)
{
  if (isnan (v))
    return g_strdup (_("—"));
  return g_strdup_printf ("%.4f", v);
}

/* ---- loading the models (on a worker) ----------------------------------- */

typedef struct
{
  char       *recipe_text;
  char       *recipe_name;
  char       *base_dir;
  char       *base_key;
  VsModelRef *base;          /* cached, or NULL to load */
  char       *output_dir;
  char       *trained_key;   /* NULL: there is no trained model */
  VsModelRef *trained;       /* cached, or NULL to load when trained_key is set */
} Models;

static void
models_clear (Models *m)
{
  g_free (m->recipe_text);
  g_free (m->recipe_name);
  g_free (m->base_dir);
  g_free (m->base_key);
  g_clear_pointer (&m->base, vs_model_ref_unref);
  g_free (m->output_dir);
  g_free (m->trained_key);
  g_clear_pointer (&m->trained, vs_model_ref_unref);
}

static void
models_init (VsTryPage *self,
             Models    *m)
{
  g_autofree char *key = dup_base_key (self);
  const char *file = vs_project_get_file (self->project);

  m->recipe_text = dup_recipe_text (self);
  m->recipe_name = file != NULL ? g_path_get_basename (file) : g_strdup ("recipe");
  m->base_dir = g_strdup (vs_project_get_base_dir (self->project));
  m->base_key = g_steal_pointer (&key);
  if (self->base != NULL && g_strcmp0 (self->base_key, m->base_key) == 0)
    m->base = vs_model_ref_ref (self->base);
  m->output_dir = g_strdup (self->output_dir);
  m->trained_key = g_strdup (self->output_stamp);
  if (self->trained != NULL && m->trained_key != NULL && g_strcmp0 (self->trained_key, m->trained_key) == 0)
    m->trained = vs_model_ref_ref (self->trained);
}

/* Loads what the request lacks. */
static gboolean
models_ensure (Models        *m,
               GCancellable  *cancellable,
               GError       **error)
{
  if (m->base == NULL)
    {
      g_autoptr(VsRecipe) recipe = NULL;
      VsModel *model;

      recipe = vs_recipe_parse (m->recipe_text, strlen (m->recipe_text), m->recipe_name, m->base_dir, error);
      if (recipe == NULL)
        return FALSE;
      model = vs_recipe_load_base_model (recipe, error);
      if (model == NULL)
        {
          g_prefix_error (error, _("Base model: "));
          return FALSE;
        }
      m->base = vs_model_ref_new (model, recipe->model, NULL);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (m->trained == NULL && m->trained_key != NULL)
    {
      VsModel *model = vs_model_load (m->output_dir, error);

      if (model == NULL)
        {
          g_prefix_error (error, _("Trained model: "));
          return FALSE;
        }
      m->trained = vs_model_ref_new (model, m->output_dir, m->output_dir);
    }
  return TRUE;
}

/* Keeps the models a worker loaded, when they still are the project's. */
static void
adopt_models (VsTryPage *self,
              Models    *m)
{
  g_autofree char *key = dup_base_key (self);

  if (m->base != NULL && g_strcmp0 (key, m->base_key) == 0 && self->base != m->base)
    {
      g_clear_pointer (&self->base, vs_model_ref_unref);
      self->base = vs_model_ref_ref (m->base);
      g_free (self->base_key);
      self->base_key = g_strdup (m->base_key);
    }
  if (m->trained != NULL && g_strcmp0 (self->output_stamp, m->trained_key) == 0 &&
      self->trained != m->trained)
    {
      g_clear_pointer (&self->trained, vs_model_ref_unref);
      self->trained = vs_model_ref_ref (m->trained);
      g_free (self->trained_key);
      self->trained_key = g_strdup (m->trained_key);
    }
}

static float *
encode_locked (VsModelRef         *ref,
               const char *const  *texts,
               gsize               n,
               GError            **error)
{
  VsModel *model = vs_model_ref_get_model (ref);
  g_autofree float *emb = g_new (float, MAX (n, 1) * vs_model_get_dimension (model));
  gboolean ok;

  vs_model_ref_lock (ref);
  ok = vs_model_encode (model, texts, n, 32, FALSE, emb, error);
  vs_model_ref_unlock (ref);
  return ok ? g_steal_pointer (&emb) : NULL;
}

/* ---- 1. comparing sentences --------------------------------------------- */

typedef struct
{
  Models    models;
  char    **texts;
  guint     generation;
  float    *sims[3];   /* base, trained (or NULL), difference (or NULL) */
} CompareJob;

static void
compare_job_free (gpointer data)
{
  CompareJob *job = data;

  models_clear (&job->models);
  g_strfreev (job->texts);
  for (guint i = 0; i < 3; i++)
    g_free (job->sims[i]);
  g_free (job);
}

/* Moves a job's contents into a new result (the job is freed after the
 * task; the result goes to the callback). */
static CompareJob *
compare_job_steal (CompareJob *job)
{
  CompareJob *res = g_new0 (CompareJob, 1);

  *res = *job;
  memset (job, 0, sizeof *job);
  return res;
}

static gpointer
compare_worker (VsTask        *task,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GError) local = NULL;
  CompareJob *job = data;
  gsize n = g_strv_length (job->texts);
  g_autofree float *emb = NULL;

  (void) task;
  if (!models_ensure (&job->models, cancellable, error))
    return NULL;
  emb = encode_locked (job->models.base, (const char *const *) job->texts, n, &local);
  if (emb == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), _("Base model: "));
      return NULL;
    }
  job->sims[0] = g_new (float, n * n);
  vs_cosine_matrix (emb, n, emb, n, vs_model_get_dimension (vs_model_ref_get_model (job->models.base)),
                    job->sims[0]);
  if (job->models.trained != NULL)
    {
      g_clear_pointer (&emb, g_free);
      emb = encode_locked (job->models.trained, (const char *const *) job->texts, n, &local);
      if (emb == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), _("Trained model: "));
          return NULL;
        }
      job->sims[1] = g_new (float, n * n);
      vs_cosine_matrix (emb, n, emb, n,
                        vs_model_get_dimension (vs_model_ref_get_model (job->models.trained)),
                        job->sims[1]);
      /* trained − base, cell by cell */
      job->sims[2] = g_new (float, n * n);
      for (gsize i = 0; i < n * n; i++)
        job->sims[2][i] = job->sims[1][i] - job->sims[0][i];
    }
  return compare_job_steal (job);
}

static void
on_compared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VsTryPage) self = user_data;   /* the reference vs_task_run got */
  g_autoptr(GError) error = NULL;
  CompareJob *res = vs_task_finish (result, &error);

  (void) source;
  if (self->disposed)
    {
      g_clear_pointer (&res, compare_job_free);
      return;
    }
  if (res == NULL)
    {
      self->comparing = FALSE;
      notify_busy (self);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
        show_banner (self, error->message);
      return;
    }
  if (res->generation != self->compare_generation)
    {
      compare_job_free (res);   /* a newer comparison runs */
      return;
    }
  self->comparing = FALSE;
  show_banner (self, NULL);
  adopt_models (self, &res->models);
  g_strfreev (self->texts);
  self->texts = g_steal_pointer (&res->texts);
  self->n = g_strv_length (self->texts);
  for (guint i = 0; i < 3; i++)
    {
      g_free (self->sims[i]);
      self->sims[i] = g_steal_pointer (&res->sims[i]);
    }
  compare_job_free (res);
  show_matrices (self);
  notify_busy (self);
}

static char *
quote_text (const char *text)
{
  /* Long sentences are cut in the summary; the heat map's tooltip and
   * description hold the whole text. */
  if (g_utf8_strlen (text, -1) > 60)
    {
      g_autofree char *cut = g_utf8_substring (text, 0, 57);

      return g_strdup_printf ("%s…", cut);
    }
  return g_strdup (text);
}

/* The summary line: the most similar pair (by the trained model when
 * there is one) and the pair whose similarity changed most. */
static void
update_summary (VsTryPage *self)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const float *main = self->sims[1] != NULL ? self->sims[1] : self->sims[0];
  gsize i, j;

  if (main == NULL || !vs_matrix_most_similar (main, self->n, &i, &j))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->summary_label), FALSE);
      return;
    }
  {
    g_autofree char *a = quote_text (self->texts[i]);
    g_autofree char *b = quote_text (self->texts[j]);

    if (self->sims[1] != NULL)
      /* Translators: the most similar pair of typed sentences, with the
       * trained model's cosine similarity and the base model's. */
      g_string_append_printf (s, _("Most similar: “%s” and “%s” (%.2f, was %.2f)"),
                              a, b, main[i * self->n + j], self->sims[0][i * self->n + j]);
    else
      /* Translators: the most similar pair of typed sentences and their similarity. */
      g_string_append_printf (s, _("Most similar: “%s” and “%s” (%.2f)"), a, b, main[i * self->n + j]);
  }
  if (self->sims[2] != NULL)
    {
      gsize bi = 0, bj = 1;
      float best = -1.0f;

      for (gsize r = 0; r < self->n; r++)
        for (gsize c = r + 1; c < self->n; c++)
          if (fabsf (self->sims[2][r * self->n + c]) > best)
            {
              best = fabsf (self->sims[2][r * self->n + c]);
              bi = r;
              bj = c;
            }
      {
        g_autofree char *a = quote_text (self->texts[bi]);
        g_autofree char *b = quote_text (self->texts[bj]);

        g_string_append_c (s, '\n');
        /* Translators: the pair whose similarity changed most in training, and by how much (signed). */
        g_string_append_printf (s, _("Changed most: “%s” and “%s” (%+.2f)"), a, b,
                                self->sims[2][bi * self->n + bj]);
      }
    }
  gtk_label_set_text (self->summary_label, s->str);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
}

/* ---- narrow windows ---- */

/* The matrices sit side by side in a flow box that wraps them one below
 * the other when narrow: three to a line share the width; the base model's
 * alone keeps a third of it. */
static void
layout_maps (VsTryPage *self)
{
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->maps_box),
                                          vs_narrow_watch_is_narrow (&self->narrow_watch) ? 1 : 3);
}

/* The two result lists (and the matrices, which wrap by themselves when
 * they no longer fit) stack below NARROW_WIDTH (vs-layout.h). */
static void
reflow (GtkWidget *widget,
        gboolean   narrow)
{
  VsTryPage *self = VS_TRY_PAGE (widget);

  layout_maps (self);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->results_box),
                                  narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_homogeneous (GTK_BOX (self->results_box), !narrow);
}

static void
vs_try_page_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vs_try_page_parent_class)->root (widget);
  vs_narrow_watch_attach (&VS_TRY_PAGE (widget)->narrow_watch);
}

static void
vs_try_page_unroot (GtkWidget *widget)
{
  vs_narrow_watch_detach (&VS_TRY_PAGE (widget)->narrow_watch);
  GTK_WIDGET_CLASS (vs_try_page_parent_class)->unroot (widget);
}

gboolean
vs_try_page_get_narrow (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), FALSE);

  return vs_narrow_watch_is_narrow (&self->narrow_watch);
}

static void
show_matrices (VsTryPage *self)
{
  const char *const *labels = (const char *const *) self->texts;

  double lo = 1.0;

  update_summary (self);
  /* Base and trained on one scale, from the lowest similarity shown up to
   * 1, so the structure shows even when every pair is similar. */
  for (guint t = 0; t < 2; t++)
    for (guint i = 0; self->sims[t] != NULL && i < self->n * self->n; i++)
      lo = MIN (lo, self->sims[t][i]);
  lo = MAX (-1.0, floor (MIN (lo, 0.9) * 10.0) / 10.0);
  for (guint i = 0; i < 3; i++)
    {
      int min = 0, nat = 0;

      if (self->sims[i] != NULL)
        vs_heatmap_set_matrix (self->maps[i], self->n, self->n, self->sims[i], labels, NULL);
      else
        vs_heatmap_set_matrix (self->maps[i], 0, 0, NULL, NULL, NULL);
      if (i < 2)
        vs_heatmap_set_range (self->maps[i], lo, 1.0, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->maps[i]), self->sims[i] != NULL);
      gtk_widget_set_visible (self->map_cells[i], self->sims[i] != NULL);
      /* The page scrolls, so it is allocated its minimum height: ask for
       * the natural one, where cells are large enough to print values. */
      gtk_widget_set_size_request (GTK_WIDGET (self->maps[i]), -1, -1);
      gtk_widget_measure (GTK_WIDGET (self->maps[i]), GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
      gtk_widget_set_size_request (GTK_WIDGET (self->maps[i]), -1, nat);
    }
  if (self->sims[2] != NULL)
    {
      /* The difference on its own symmetric scale, so small changes show. */
      double m = 0.05;

      for (guint i = 0; i < self->n * self->n; i++)
        m = MAX (m, fabs (self->sims[2][i]));
      vs_heatmap_set_range (self->maps[2], -m, m, TRUE);
    }
  gtk_widget_set_visible (self->maps_box, self->sims[0] != NULL);
}

static void
update_note (VsTryPage *self)
{
  if (self->has_trained)
    gtk_label_set_text (self->note_label, _("Base model beside the trained one"));
  else
    gtk_label_set_text (self->note_label, _("Train the model to compare"));
}

static char **
split_sentences (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL && out->len < MAX_SENTENCES; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] != '\0')
        g_ptr_array_add (out, g_strdup (lines[i]));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static void
start_compare (VsTryPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->sentences_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  CompareJob *job;

  if (self->project == NULL)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  job = g_new0 (CompareJob, 1);
  job->texts = split_sentences (text);
  if (g_strv_length (job->texts) < 2)
    {
      compare_job_free (job);
      toast (self, _("Type at least two sentences, one per line"));
      return;
    }
  models_init (self, &job->models);
  job->generation = ++self->compare_generation;
  self->comparing = TRUE;
  notify_busy (self);
  vs_task_run (NULL, compare_worker, job, compare_job_free, compare_job_free,
               self->cancellable, NULL, on_compared, g_object_ref (self));
}

static void
on_compare_clicked (VsTryPage *self)
{
  start_compare (self);
}

static gboolean
compare_shortcut (GtkWidget *widget,
                  GVariant  *args,
                  gpointer   user_data)
{
  (void) widget;
  (void) args;
  start_compare (user_data);
  return TRUE;
}

/* ---- 2. semantic search ------------------------------------------------- */

typedef struct
{
  Models       models;
  Corpus      *corpus;        /* cached (same key), or NULL to read */
  char        *corpus_key;
  char        *corpus_label;
  char        *corpus_path;   /* file, folder or Hub snapshot */
  char        *corpus_split;
  char       **columns;       /* NULL: every text column */
  gint64       limit;
  char        *query;
  gsize        top_k;
  guint        generation;
  VsSearchHit *hits[2];       /* base, trained */
  gsize        k[2];
} SearchJob;

static void
search_job_free (gpointer data)
{
  SearchJob *job = data;

  models_clear (&job->models);
  g_clear_pointer (&job->corpus, corpus_unref);
  g_free (job->corpus_key);
  g_free (job->corpus_label);
  g_free (job->corpus_path);
  g_free (job->corpus_split);
  g_strfreev (job->columns);
  g_free (job->query);
  g_free (job->hits[0]);
  g_free (job->hits[1]);
  g_free (job);
}

static Corpus *
read_corpus (SearchJob  *job,
             GError    **error)
{
  g_autoptr(VsDataset) ds = NULL;
  g_autoptr(VsDataset) picked = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  Corpus *c;

  ds = vs_dataset_load_limit (job->corpus_path, job->corpus_split, (gsize) MAX (job->limit, 0), error);
  if (ds == NULL)
    return NULL;
  if (job->columns != NULL)
    {
      picked = vs_dataset_select_columns (ds, (const char *const *) job->columns,
                                          g_strv_length (job->columns), error);
      if (picked == NULL)
        {
          g_prefix_error (error, "%s: ", job->corpus_path);
          return NULL;
        }
    }
  texts = vs_search_corpus_texts (picked != NULL ? picked : ds, NULL, NULL, error);
  if (texts == NULL)
    {
      g_prefix_error (error, "%s: ", job->corpus_path);
      return NULL;
    }
  c = g_atomic_rc_box_new0 (Corpus);
  c->key = g_strdup (job->corpus_key);
  c->label = g_strdup (job->corpus_label);
  c->texts = g_steal_pointer (&texts);
  return c;
}

/* The unit-length embeddings of the corpus by one model, encoded once. */
static gboolean
ensure_corpus_embeddings (Corpus      *c,
                          VsModelRef  *ref,
                          const char  *key,
                          gboolean     trained,
                          GError     **error)
{
  float **unit = trained ? &c->trained_unit : &c->base_unit;
  char **unit_key = trained ? &c->trained_key : &c->base_key;
  gsize D = vs_model_get_dimension (vs_model_ref_get_model (ref));
  g_autofree float *emb = NULL;

  if (*unit != NULL && g_strcmp0 (*unit_key, key) == 0)
    return TRUE;
  emb = encode_locked (ref, (const char *const *) c->texts->pdata, c->texts->len, error);
  if (emb == NULL)
    return FALSE;
  g_free (*unit);
  *unit = vs_normalize_rows (emb, c->texts->len, D);
  g_free (*unit_key);
  *unit_key = g_strdup (key);
  if (trained)
    c->trained_dim = D;
  else
    c->base_dim = D;
  return TRUE;
}

static gpointer
search_worker (VsTask        *task,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  SearchJob *job = data;
  SearchJob *res;

  if (!models_ensure (&job->models, cancellable, error))
    return NULL;
  if (job->corpus == NULL)
    {
      vs_task_progress (task, -1, _("Reading the corpus…"));
      job->corpus = read_corpus (job, error);
      if (job->corpus == NULL)
        return NULL;
    }
  for (guint t = 0; t < 2; t++)
    {
      VsModelRef *ref = t == 0 ? job->models.base : job->models.trained;
      const char *key = t == 0 ? job->models.base_key : job->models.trained_key;
      g_autofree float *q = NULL;
      g_autoptr(GError) local = NULL;
      const char *const one[] = { job->query, NULL };

      if (ref == NULL)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      vs_task_progress (task, -1, t == 0 ? _("Encoding the corpus with the base model…")
                                         : _("Encoding the corpus with the trained model…"));
      if (!ensure_corpus_embeddings (job->corpus, ref, key, t == 1, &local))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", job->corpus_label);
          return NULL;
        }
      if (job->query == NULL)
        continue;
      q = encode_locked (ref, one, 1, error);
      if (q == NULL)
        return NULL;
      job->hits[t] = vs_semantic_search (q, 1, t == 0 ? job->corpus->base_unit : job->corpus->trained_unit,
                                         job->corpus->texts->len,
                                         vs_model_get_dimension (vs_model_ref_get_model (ref)),
                                         job->top_k, TRUE, &job->k[t]);
    }
  res = g_new0 (SearchJob, 1);
  *res = *job;
  memset (job, 0, sizeof *job);
  return res;
}

static GtkWidget *
result_row (guint       rank,
            const char *text,
            float       score)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *rank_label, *text_label, *score_label;
  g_autofree char *rank_text = g_strdup_printf ("%u", rank);
  g_autofree char *score_text = g_strdup_printf ("%.3f", score);
  g_autofree char *a11y = NULL;

  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  rank_label = gtk_label_new (rank_text);
  gtk_widget_add_css_class (rank_label, "dim-label");
  gtk_widget_add_css_class (rank_label, "numeric");
  text_label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (text_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (text_label), 0);
  gtk_label_set_selectable (GTK_LABEL (text_label), TRUE);
  gtk_widget_set_hexpand (text_label, TRUE);
  score_label = gtk_label_new (score_text);
  gtk_widget_add_css_class (score_label, "numeric");
  gtk_widget_set_valign (score_label, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), rank_label);
  gtk_box_append (GTK_BOX (box), text_label);
  gtk_box_append (GTK_BOX (box), score_label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* Translators: a search result as a screen reader reads it: rank, text, score. */
  a11y = g_strdup_printf (_("%u. %s, score %s"), rank, text, score_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_object_set_data (G_OBJECT (row), "text-label", text_label);
  g_object_set_data (G_OBJECT (row), "score-label", score_label);
  return row;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
update_corpus_row (VsTryPage *self)
{
  if (self->corpus != NULL)
    {
      /* Translators: the search corpus: where it comes from and how many distinct texts it holds. */
      g_autofree char *s = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u text", "%s · %u texts",
                                                         self->corpus->texts->len),
                                            self->corpus->label, self->corpus->texts->len);

      adw_action_row_set_subtitle (self->corpus_row, s);
    }
}

static void
on_search_progress (double      fraction,
                    const char *text,
                    gpointer    user_data)
{
  VsTryPage *self = user_data;

  (void) fraction;
  if (self->disposed || text == NULL)
    return;
  gtk_label_set_text (self->search_status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->search_status_label), TRUE);
}

static void
on_searched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VsTryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  SearchJob *res = vs_task_finish (result, &error);

  (void) source;
  if (self->disposed)
    {
      g_clear_pointer (&res, search_job_free);
      return;
    }
  self->searching = FALSE;
  if (res == NULL)
    {
      notify_busy (self);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
        {
          show_banner (self, error->message);
          gtk_label_set_text (self->search_status_label, error->message);
          gtk_widget_set_visible (GTK_WIDGET (self->search_status_label), TRUE);
        }
      if (self->search_pending)
        {
          self->search_pending = FALSE;
          start_search (self);
        }
      return;
    }
  adopt_models (self, &res->models);
  if (self->corpus != res->corpus)
    {
      g_clear_pointer (&self->corpus, corpus_unref);
      self->corpus = corpus_ref (res->corpus);
    }
  update_corpus_row (self);
  if (res->generation == self->search_generation && res->query != NULL)
    {
      clear_list (self->base_results);
      clear_list (self->trained_results);
      for (guint t = 0; t < 2; t++)
        for (gsize i = 0; i < res->k[t]; i++)
          {
            const VsSearchHit *h = &res->hits[t][i];

            gtk_list_box_append (t == 0 ? self->base_results : self->trained_results,
                                 result_row ((guint) i + 1, res->corpus->texts->pdata[h->corpus_id], h->score));
          }
      gtk_widget_set_visible (self->trained_results_box, res->hits[1] != NULL);
      gtk_widget_set_visible (self->results_box, TRUE);
      {
        /* Translators: a search's outcome: the query and how many texts it was compared with. */
        g_autofree char *s = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "“%s” against %u text",
                                                           "“%s” against %u texts", res->corpus->texts->len),
                                              res->query, res->corpus->texts->len);

        gtk_label_set_text (self->search_status_label, s);
        gtk_widget_set_visible (GTK_WIDGET (self->search_status_label), TRUE);
      }
      show_banner (self, NULL);
    }
  search_job_free (res);
  notify_busy (self);
  if (self->search_pending)
    {
      self->search_pending = FALSE;
      start_search (self);
    }
}

/* Where the corpus comes from: the chosen file, else the eval split. FALSE
 * (with the reason in the Corpus row) when there is none. */
static gboolean
fill_corpus_source (VsTryPage *self,
                    SearchJob *job)
{
  if (self->corpus_file != NULL)
    {
      g_autofree char *name = g_path_get_basename (self->corpus_file);

      job->corpus_path = g_strdup (self->corpus_file);
      job->corpus_key = g_strconcat ("file:", self->corpus_file, NULL);
      job->corpus_label = g_strdup (name);
      return TRUE;
    }
  job->corpus_path = vs_project_dup_resolved_path (self->project, "eval.path");
  if (job->corpus_path == NULL)
    return FALSE;
  job->corpus_split = g_strdup (vs_project_get_string (self->project, "eval.split"));
  job->columns = vs_project_dup_strv (self->project, "eval.columns");
  job->limit = vs_project_get_int (self->project, "eval.limit", 0);
  {
    g_autofree char *cols = job->columns != NULL ? g_strjoinv (",", job->columns) : g_strdup ("");
    g_autofree char *name = g_path_get_basename (job->corpus_path);

    job->corpus_key = g_strdup_printf ("eval:%s|%s|%s|%" G_GINT64_FORMAT, job->corpus_path,
                                       job->corpus_split != NULL ? job->corpus_split : "", cols, job->limit);
    /* Translators: the search corpus is the project's evaluation data, from this file. */
    job->corpus_label = g_strdup_printf (_("Evaluation data (%s)"), name);
  }
  return TRUE;
}

static void
update_corpus_source (VsTryPage *self)
{
  SearchJob probe = { 0 };

  if (self->project == NULL)
    return;
  if (!fill_corpus_source (self, &probe))
    adw_action_row_set_subtitle (self->corpus_row, _("The project has no evaluation data: choose a file"));
  else if (self->corpus == NULL || g_strcmp0 (self->corpus->key, probe.corpus_key) != 0)
    adw_action_row_set_subtitle (self->corpus_row, probe.corpus_label);
  else
    update_corpus_row (self);
  g_free (probe.corpus_key);
  g_free (probe.corpus_label);
  g_free (probe.corpus_path);
  g_free (probe.corpus_split);
  g_strfreev (probe.columns);
}

static void
start_search (VsTryPage *self)
{
  const char *query;
  SearchJob *job;

  if (self->project == NULL)
    return;
  query = gtk_editable_get_text (GTK_EDITABLE (self->query_row));
  if (query == NULL || *query == '\0')
    return;
  if (self->searching)
    {
      /* One search at a time: they share the corpus cache. */
      self->search_pending = TRUE;
      return;
    }
  job = g_new0 (SearchJob, 1);
  if (!fill_corpus_source (self, job))
    {
      search_job_free (job);
      toast (self, _("Choose a file to search: the project has no evaluation data"));
      return;
    }
  models_init (self, &job->models);
  if (self->corpus != NULL && g_strcmp0 (self->corpus->key, job->corpus_key) == 0)
    job->corpus = corpus_ref (self->corpus);
  job->query = g_strdup (query);
  job->top_k = (gsize) gtk_spin_button_get_value_as_int (self->top_k_spin);
  job->generation = ++self->search_generation;
  self->searching = TRUE;
  notify_busy (self);
  vs_task_run (NULL, search_worker, job, search_job_free, search_job_free,
               self->cancellable, on_search_progress, on_searched, g_object_ref (self));
}

static void
on_query_apply (VsTryPage *self)
{
  start_search (self);
}

static void
on_top_k_changed (VsTryPage *self)
{
  if (gtk_widget_get_visible (self->results_box))
    start_search (self);
}

static void
on_corpus_chosen (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(VsTryPage) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && !self->disposed)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        vs_try_page_set_corpus_file (self, path);
    }
  g_object_unref (dialog);
}

static void
on_corpus_clicked (VsTryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Choose a Corpus"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Search"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_corpus_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- 3. evaluation before and after ------------------------------------- */

static GtkWidget *
metric_row (const VsRecordMetric *m)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *delta;
  g_autofree char *before = format_value (m->baseline);
  g_autofree char *after = format_value (m->final);
  g_autofree char *subtitle = NULL;
  g_autofree char *delta_text = NULL;
  g_autofree char *a11y = NULL;
  double d = m->final - m->baseline;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), m->name);
  /* Translators: a metric's value before training and after it. */
  subtitle = g_strdup_printf (_("Before %s · after %s"), before, after);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  delta_text = isnan (d) ? g_strdup (_("—")) : g_strdup_printf ("%+.4f", d);
  delta = gtk_label_new (delta_text);
  gtk_widget_add_css_class (delta, "numeric");
  gtk_widget_add_css_class (delta, "heading");
  gtk_widget_set_valign (delta, GTK_ALIGN_CENTER);
  if (!isnan (d) && d != 0.0)
    gtk_widget_add_css_class (delta, (d > 0) == m->greater_is_better ? "success" : "error");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), delta);
  g_object_set_data_full (G_OBJECT (row), "before", g_strdup (before), g_free);
  g_object_set_data_full (G_OBJECT (row), "after", g_strdup (after), g_free);
  g_object_set_data (G_OBJECT (row), "delta-label", delta);
  /* Translators: a metric as a screen reader reads it: name, before, after, change and whether that is better. */
  a11y = g_strdup_printf (_("%s: before %s, after %s, change %s (%s)"), m->name, before, after, delta_text,
                          isnan (d) || d == 0.0 ? _("unchanged")
                          : (d > 0) == m->greater_is_better ? _("better") : _("worse"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, a11y, -1);
  return row;
}

static gboolean
is_matryoshka (VsTryPage *self)
{
  const char *loss = vs_project_get_string (self->project, "loss.name");

  return g_strcmp0 (loss, "MatryoshkaLoss") == 0 || g_strcmp0 (loss, "Matryoshka2dLoss") == 0;
}

static void
update_record (VsTryPage *self)
{
  g_autoptr(GError) error = NULL;

  clear_list (self->metrics_list);
  self->n_metrics = 0;
  g_clear_pointer (&self->record, vs_training_record_free);
  gtk_widget_set_visible (self->dims_group, is_matryoshka (self) &&
                          vs_project_get (self->project, "eval.path") != NULL);
  if (!self->has_trained)
    {
      gtk_label_set_text (self->eval_status_label, _("Train the model to see its evaluation before and after"));
      gtk_widget_set_visible (GTK_WIDGET (self->metrics_list), FALSE);
      return;
    }
  /* A small JSON file: read here, not worth a worker. */
  self->record = vs_training_record_load (self->output_dir, &error);
  if (self->record == NULL)
    {
      gtk_label_set_text (self->eval_status_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->metrics_list), FALSE);
      return;
    }
  for (guint i = 0; i < vs_training_record_get_n_metrics (self->record); i++)
    {
      gtk_list_box_append (self->metrics_list, metric_row (vs_training_record_get_metric (self->record, i)));
      self->n_metrics++;
    }
  {
    /* Translators: where the before/after numbers come from: the step-0 evaluation and the final one. */
    gint64 step = MAX (vs_training_record_get_global_step (self->record), 0);
    g_autofree char *s = g_strdup_printf (_("Evaluated before the first step and after step %d"), (int) step);

    gtk_label_set_text (self->eval_status_label, s);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->metrics_list), self->n_metrics > 0);
}

/* The metric by embedding dimension (Matryoshka): the recipe's evaluator
 * on its eval data at each of the loss's matryoshka_dims, for both models. */
typedef struct
{
  Models    models;
  guint     generation;
  GArray   *dims;        /* gsize, as the loss lists them */
  char     *metric;      /* the primary metric without its dim_ prefix */
  GArray   *values[2];   /* double per dim: base, trained (NULL: no trained model) */
} DimsJob;

static void
dims_job_free (gpointer data)
{
  DimsJob *job = data;

  models_clear (&job->models);
  g_clear_pointer (&job->dims, g_array_unref);
  g_free (job->metric);
  g_clear_pointer (&job->values[0], g_array_unref);
  g_clear_pointer (&job->values[1], g_array_unref);
  g_free (job);
}

static gboolean
encode_for_eval (const char *const  *texts,
                 gsize               n,
                 VsEvalTextRole      role,
                 float              *out,
                 gpointer            user_data,
                 GError            **error)
{
  VsModelRef *ref = user_data;
  VsModel *model = vs_model_ref_get_model (ref);
  const char *prompt = vs_model_get_prompt_for_role (model, vs_eval_text_role_name (role));
  gboolean ok;

  vs_model_ref_lock (ref);
  ok = vs_model_encode_with_prompt (model, prompt, texts, n, 32, FALSE, out, error);
  vs_model_ref_unlock (ref);
  return ok;
}

static gpointer
dims_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  DimsJob *job = data;
  DimsJob *res;
  g_autoptr(VsRecipe) recipe = NULL;
  g_autoptr(VsDataset) ds = NULL;
  g_autoptr(VsEvaluator) ev = NULL;
  g_autofree char *eval_path = NULL;
  const cJSON *dims, *d;
  cJSON *config;
  const char *label;

  (void) task;
  recipe = vs_recipe_parse (job->models.recipe_text, strlen (job->models.recipe_text),
                            job->models.recipe_name, job->models.base_dir, error);
  if (recipe == NULL)
    return NULL;
  if (recipe->eval == NULL || recipe->eval->path == NULL || recipe->evaluator == NULL)
    {
      g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID,
                           _("eval: the metric by dimension needs an eval dataset file and an evaluator"));
      return NULL;
    }
  dims = cJSON_GetObjectItemCaseSensitive (recipe->loss->params, "matryoshka_dims");
  if (!cJSON_IsArray (dims) || cJSON_GetArraySize (dims) == 0)
    {
      g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID, _("loss.params.matryoshka_dims: missing"));
      return NULL;
    }
  if (!models_ensure (&job->models, cancellable, error))
    return NULL;
  ds = vs_dataset_load_limit (recipe->eval->path, recipe->eval->split, (gsize) MAX (recipe->eval->limit, 0), error);
  if (ds == NULL)
    return NULL;
  config = cJSON_Duplicate (recipe->evaluator, TRUE);
  if (recipe->eval->columns != NULL && cJSON_GetObjectItemCaseSensitive (config, "columns") == NULL)
    {
      cJSON *cols = cJSON_AddArrayToObject (config, "columns");

      for (guint i = 0; recipe->eval->columns[i] != NULL; i++)
        cJSON_AddItemToArray (cols, cJSON_CreateString (recipe->eval->columns[i]));
    }
  label = vs_recipe_dataset_label (recipe->eval);
  if (label != NULL && cJSON_GetObjectItemCaseSensitive (config, "label") == NULL)
    cJSON_AddStringToObject (config, "label", label);
  cJSON_DeleteItemFromObjectCaseSensitive (config, "dims");
  cJSON_AddItemToObject (config, "dims", cJSON_Duplicate (dims, TRUE));
  ev = vs_evaluator_new (config, error);
  cJSON_Delete (config);
  if (ev == NULL)
    {
      g_prefix_error (error, "evaluator: ");
      return NULL;
    }
  job->dims = g_array_new (FALSE, FALSE, sizeof (gsize));
  cJSON_ArrayForEach (d, dims)
    {
      gsize v = (gsize) cJSON_GetNumberValue (d);

      g_array_append_val (job->dims, v);
    }
  for (guint t = 0; t < 2; t++)
    {
      VsModelRef *ref = t == 0 ? job->models.base : job->models.trained;
      g_autofree char *primary = NULL;
      g_autofree char *prefix = NULL;
      g_autofree char *head = NULL;
      g_autofree char *tail = NULL;
      const char *at;
      cJSON *metrics;

      if (ref == NULL)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      metrics = vs_evaluator_evaluate (ev, ds, vs_model_get_dimension (vs_model_ref_get_model (ref)),
                                       encode_for_eval, ref, &primary, error);
      if (metrics == NULL)
        {
          g_prefix_error (error, "%s", t == 0 ? _("Base model: ") : _("Trained model: "));
          return NULL;
        }
      /* The primary key names the first dimension somewhere inside
       * ("sts-dev_dim_128_spearman_cosine"): the same key at each dimension. */
      prefix = g_strdup_printf ("dim_%" G_GSIZE_FORMAT "_", g_array_index (job->dims, gsize, 0));
      at = primary != NULL ? strstr (primary, prefix) : NULL;
      if (at == NULL)
        {
          cJSON_Delete (metrics);
          g_set_error (error, VS_ERROR, VS_ERROR_FAILED, "evaluator: no metric per dimension (%s)",
                       primary != NULL ? primary : "no primary metric");
          return NULL;
        }
      head = g_strndup (primary, (gsize) (at - primary));
      tail = g_strdup (at + strlen (prefix));
      if (job->metric == NULL)
        job->metric = g_strconcat (head, tail, NULL);
      job->values[t] = g_array_new (FALSE, FALSE, sizeof (double));
      for (guint i = 0; i < job->dims->len; i++)
        {
          g_autofree char *key = g_strdup_printf ("%sdim_%" G_GSIZE_FORMAT "_%s", head,
                                                  g_array_index (job->dims, gsize, i), tail);
          const cJSON *v = cJSON_GetObjectItemCaseSensitive (metrics, key);
          double x = cJSON_IsNumber (v) ? v->valuedouble : NAN;

          g_array_append_val (job->values[t], x);
        }
      cJSON_Delete (metrics);
    }
  res = g_new0 (DimsJob, 1);
  *res = *job;
  memset (job, 0, sizeof *job);
  return res;
}

static void show_dims (VsTryPage *self, DimsJob *res);

static void
on_dims_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(VsTryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  DimsJob *res = vs_task_finish (result, &error);

  (void) source;
  if (self->disposed)
    {
      g_clear_pointer (&res, dims_job_free);
      return;
    }
  gtk_spinner_set_spinning (self->dims_spinner, FALSE);
  gtk_widget_set_sensitive (self->dims_button, TRUE);
  self->evaluating = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  if (res == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
        gtk_label_set_text (self->dims_label, error->message);
      return;
    }
  if (res->generation == self->dims_generation)
    {
      adopt_models (self, &res->models);
      show_dims (self, res);
    }
  dims_job_free (res);
}

static void
show_dims (VsTryPage *self,
           DimsJob   *res)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_clear_pointer (&self->dims_values[0], g_array_unref);
  g_clear_pointer (&self->dims_values[1], g_array_unref);
  g_clear_pointer (&self->dims, g_array_unref);
  self->dims = g_array_ref (res->dims);
  if (res->values[0] != NULL)
    self->dims_values[0] = g_array_ref (res->values[0]);
  if (res->values[1] != NULL)
    self->dims_values[1] = g_array_ref (res->values[1]);
  g_free (self->dims_metric);
  self->dims_metric = g_strdup (res->metric);
  g_string_append_printf (s, "%s", res->metric != NULL ? res->metric : "");
  for (guint i = 0; i < res->dims->len; i++)
    {
      g_autofree char *b = res->values[0] != NULL ? format_value (g_array_index (res->values[0], double, i)) : NULL;
      g_autofree char *t = res->values[1] != NULL ? format_value (g_array_index (res->values[1], double, i)) : NULL;

      g_string_append_c (s, '\n');
      if (t != NULL)
        /* Translators: the metric at one embedding dimension: dimension, base model's value, trained model's. */
        g_string_append_printf (s, _("%d dimensions: base %s, trained %s"),
                                (int) g_array_index (res->dims, gsize, i), b, t);
      else
        /* Translators: the metric at one embedding dimension for the base model only. */
        g_string_append_printf (s, _("%d dimensions: base %s"), (int) g_array_index (res->dims, gsize, i), b);
    }
  gtk_label_set_text (self->dims_label, s->str);
  update_dims_chart (self);
}

static void
start_dims (VsTryPage *self)
{
  DimsJob *job;

  if (self->project == NULL || self->evaluating)
    return;
  job = g_new0 (DimsJob, 1);
  models_init (self, &job->models);
  job->generation = ++self->dims_generation;
  self->evaluating = TRUE;
  gtk_spinner_set_spinning (self->dims_spinner, TRUE);
  gtk_widget_set_sensitive (self->dims_button, FALSE);
  gtk_label_set_text (self->dims_label, _("Evaluating at each dimension…"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  vs_task_run (NULL, dims_worker, job, dims_job_free, dims_job_free,
               self->cancellable, NULL, on_dims_done, g_object_ref (self));
}

static void
on_dims_clicked (VsTryPage *self)
{
  start_dims (self);
}

static int
cmp_gsize_index (gconstpointer a,
                 gconstpointer b,
                 gpointer      data)
{
  const gsize *dims = data;
  gsize x = dims[*(const guint *) a], y = dims[*(const guint *) b];

  return x < y ? -1 : x > y;
}

/* The chart's x axis is the dimension: points go in increasing order. */
static void
update_dims_chart (VsTryPage *self)
{
  g_autofree guint *order = NULL;
  static const char *const ids[] = { "base", "trained" };

  vs_chart_clear (self->dims_chart);
  if (self->dims == NULL || self->dims->len == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->dims_chart), FALSE);
      return;
    }
  order = g_new (guint, self->dims->len);
  for (guint i = 0; i < self->dims->len; i++)
    order[i] = i;
  g_qsort_with_data (order, (gint) self->dims->len, sizeof (guint), cmp_gsize_index, self->dims->data);
  vs_chart_set_title (self->dims_chart, self->dims_metric);
  for (guint t = 0; t < 2; t++)
    {
      if (self->dims_values[t] == NULL)
        continue;
      vs_chart_add_series (self->dims_chart, ids[t], t == 0 ? _("Base model") : _("Trained model"), FALSE);
      for (guint i = 0; i < self->dims->len; i++)
        vs_chart_append (self->dims_chart, ids[t], (double) g_array_index (self->dims, gsize, order[i]),
                         g_array_index (self->dims_values[t], double, order[i]));
    }
  vs_chart_set_step_range (self->dims_chart, 0, (double) g_array_index (self->dims, gsize, order[self->dims->len - 1]));
  gtk_widget_set_visible (GTK_WIDGET (self->dims_chart), TRUE);
}

/* ---- 4. reproduce ------------------------------------------------------- */

static char *
dup_command (VsTryPage *self)
{
  const char *file = vs_project_get_file (self->project);
  g_autofree char *quoted = NULL;

  if (file == NULL)
    return g_strdup (_("Save the project to get its command line"));
  quoted = g_shell_quote (file);
  return g_strdup_printf ("vectorsmith-cli train %s", quoted);
}

static void
update_reproduce (VsTryPage *self)
{
  g_autofree char *command = dup_command (self);

  adw_action_row_set_subtitle (self->output_row, self->output_dir != NULL ? self->output_dir
                                                                            : _("No output folder set"));
  gtk_widget_set_sensitive (self->open_files_button,
                            self->output_dir != NULL && g_file_test (self->output_dir, G_FILE_TEST_IS_DIR));
  adw_action_row_set_subtitle (self->command_row, command);
}

static void
on_copy_clicked (VsTryPage *self)
{
  g_autofree char *command = dup_command (self);

  if (vs_project_get_file (self->project) == NULL)
    {
      toast (self, command);
      return;
    }
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), command);
  toast (self, _("Command copied"));
}

static void
on_open_files_clicked (VsTryPage *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  if (self->output_dir == NULL)
    return;
  file = g_file_new_for_path (self->output_dir);
  uri = g_file_get_uri (file);
  if (!g_app_info_launch_default_for_uri (uri, NULL, &error))
    show_banner (self, error->message);
}

static void
on_export_chosen (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(VsTryPage) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && !self->disposed)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path != NULL && !vs_try_page_export_python (self, path, &error))
        show_banner (self, error->message);
      else if (path != NULL)
        toast (self, _("Python script exported"));
    }
  g_object_unref (dialog);
}

static void
on_export_clicked (VsTryPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Export Python Script"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "train.py");
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_chosen), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
vs_try_page_export_python (VsTryPage   *self,
                           const char  *path,
                           GError     **error)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->project == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, _("The recipe has problems: %s"), _("no project"));
      return FALSE;
    }
  return vs_project_export_script (self->project, path, error);
}

/* ---- the output folder -------------------------------------------------- */

static gboolean
recheck_timeout (gpointer data)
{
  VsTryPage *self = data;

  self->recheck_id = 0;
  vs_try_page_recheck_output (self);
  return G_SOURCE_REMOVE;
}

static void
on_output_changed (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other,
                   GFileMonitorEvent  event,
                   gpointer           user_data)
{
  VsTryPage *self = user_data;

  (void) monitor;
  (void) file;
  (void) other;
  (void) event;
  /* A trainer writes many files in a burst: look once it settles. */
  if (self->recheck_id != 0)
    g_source_remove (self->recheck_id);
  self->recheck_id = g_timeout_add (300, recheck_timeout, self);
}

/* Watches the output folder (or, until it exists, its parent). */
static void
update_monitor (VsTryPage *self)
{
  g_autofree char *target = NULL;
  g_autoptr(GFile) file = NULL;

  if (self->output_dir != NULL)
    target = g_file_test (self->output_dir, G_FILE_TEST_IS_DIR) ? g_strdup (self->output_dir)
                                                                 : g_path_get_dirname (self->output_dir);
  if (g_strcmp0 (target, self->monitored) == 0)
    return;
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  g_free (self->monitored);
  self->monitored = g_steal_pointer (&target);
  if (self->monitored == NULL)
    return;
  file = g_file_new_for_path (self->monitored);
  self->monitor = g_file_monitor_directory (file, G_FILE_MONITOR_NONE, NULL, NULL);
  if (self->monitor != NULL)
    g_signal_connect (self->monitor, "changed", G_CALLBACK (on_output_changed), self);
}

void
vs_try_page_recheck_output (VsTryPage *self)
{
  g_autofree char *dir = NULL;
  g_autofree char *stamp = NULL;
  gboolean had = self->has_trained;

  g_return_if_fail (VS_IS_TRY_PAGE (self));

  if (self->project == NULL)
    return;
  dir = dup_output_dir (self->project);
  stamp = dup_output_stamp (dir);
  if (g_strcmp0 (dir, self->output_dir) == 0 && g_strcmp0 (stamp, self->output_stamp) == 0)
    {
      update_monitor (self);
      update_reproduce (self);
      return;
    }
  g_free (self->output_dir);
  self->output_dir = g_steal_pointer (&dir);
  g_free (self->output_stamp);
  self->output_stamp = g_steal_pointer (&stamp);
  self->has_trained = self->output_stamp != NULL;
  /* Another trained model (or none): its cached model goes. */
  if (g_strcmp0 (self->trained_key, self->output_stamp) != 0)
    {
      g_clear_pointer (&self->trained, vs_model_ref_unref);
      g_clear_pointer (&self->trained_key, g_free);
    }
  update_monitor (self);
  update_note (self);
  update_record (self);
  update_reproduce (self);
  if (had != self->has_trained)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_TRAINED]);
  /* What is shown was computed with the previous trained model (or none):
   * compute it again with this one. */
  if (self->sims[0] != NULL && !self->comparing)
    start_compare (self);
  if (gtk_widget_get_visible (self->results_box))
    start_search (self);
}

static void
update_output (VsTryPage *self)
{
  vs_try_page_recheck_output (self);
}

/* ---- the project -------------------------------------------------------- */

static void
on_model_changed (VsTryPage *self)
{
  g_autofree char *key = dup_base_key (self);

  if (g_strcmp0 (key, self->base_key) != 0)
    {
      g_clear_pointer (&self->base, vs_model_ref_unref);
      g_clear_pointer (&self->base_key, g_free);
    }
}

static void
on_eval_changed (VsTryPage *self)
{
  update_corpus_source (self);
  update_record (self);
}

static void
on_project_notify (VsTryPage *self)
{
  /* the file (for the command line) or the base folder moved */
  on_model_changed (self);
  update_output (self);
}

/* A whole new document (load): every section again. */
static void
on_document_changed (VsProject  *project,
                     const char *key,
                     VsTryPage  *self)
{
  (void) project;
  if (key != NULL)
    return;
  g_clear_pointer (&self->corpus_file, g_free);
  on_model_changed (self);
  update_output (self);
  update_corpus_source (self);
  update_record (self);
}

static void
on_map (VsTryPage *self)
{
  vs_try_page_recheck_output (self);
}

VsProject *
vs_try_page_get_project (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->project;
}

void
vs_try_page_set_project (VsTryPage *self,
                         VsProject *project)
{
  g_return_if_fail (VS_IS_TRY_PAGE (self));
  g_return_if_fail (project == NULL || VS_IS_PROJECT (project));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      g_signal_connect_swapped (project, "changed::model", G_CALLBACK (on_model_changed), self);
      g_signal_connect_swapped (project, "changed::args", G_CALLBACK (on_model_changed), self);
      g_signal_connect_swapped (project, "changed::output_dir", G_CALLBACK (update_output), self);
      g_signal_connect_swapped (project, "changed::eval", G_CALLBACK (on_eval_changed), self);
      g_signal_connect_swapped (project, "changed::loss", G_CALLBACK (update_record), self);
      g_signal_connect_swapped (project, "notify::dirty", G_CALLBACK (on_project_notify), self);
      g_signal_connect_swapped (project, "notify::file", G_CALLBACK (on_project_notify), self);
      g_signal_connect (project, "changed", G_CALLBACK (on_document_changed), self);
      on_model_changed (self);
      update_output (self);
      update_corpus_source (self);
      update_note (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

/* ---- public (test-facing) ----------------------------------------------- */

void
vs_try_page_compare (VsTryPage  *self,
                     const char *sentences)
{
  g_return_if_fail (VS_IS_TRY_PAGE (self));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->sentences_view), sentences, -1);
  start_compare (self);
}

void
vs_try_page_search (VsTryPage  *self,
                    const char *query)
{
  g_return_if_fail (VS_IS_TRY_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->query_row), query);
  start_search (self);
}

void
vs_try_page_set_corpus_file (VsTryPage  *self,
                             const char *path)
{
  g_return_if_fail (VS_IS_TRY_PAGE (self));
  g_free (self->corpus_file);
  self->corpus_file = g_strdup (path);
  update_corpus_source (self);
  start_search (self);
}

gboolean
vs_try_page_get_busy (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), FALSE);
  return self->comparing || self->searching || self->evaluating;
}

gboolean
vs_try_page_get_has_trained (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), FALSE);
  return self->has_trained;
}

GtkWidget *
vs_try_page_get_heatmap (VsTryPage   *self,
                         VsTryMatrix  which)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  g_return_val_if_fail (which <= VS_TRY_MATRIX_DIFFERENCE, NULL);
  return GTK_WIDGET (self->maps[which]);
}

GtkWidget *
vs_try_page_get_dims_chart (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return GTK_WIDGET (self->dims_chart);
}

const float *
vs_try_page_get_matrix (VsTryPage   *self,
                        VsTryMatrix  which,
                        guint       *n)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  g_return_val_if_fail (which <= VS_TRY_MATRIX_DIFFERENCE, NULL);
  if (n != NULL)
    *n = self->n;
  return self->sims[which];
}

GtkLabel *
vs_try_page_get_note_label (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->note_label;
}

GtkLabel *
vs_try_page_get_summary_label (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->summary_label;
}

const char *
vs_try_page_get_banner_message (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  if (!gtk_revealer_get_reveal_child (self->banner_revealer))
    return NULL;
  return gtk_label_get_text (self->banner_label);
}

GtkListBox *
vs_try_page_get_results (VsTryPage *self,
                         gboolean   trained)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return trained ? self->trained_results : self->base_results;
}

char *
vs_try_page_dup_result (VsTryPage *self,
                        gboolean   trained,
                        guint      i)
{
  GtkListBoxRow *row;
  GtkLabel *text, *score;

  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  row = gtk_list_box_get_row_at_index (trained ? self->trained_results : self->base_results, (int) i);
  if (row == NULL)
    return NULL;
  text = g_object_get_data (G_OBJECT (row), "text-label");
  score = g_object_get_data (G_OBJECT (row), "score-label");
  return g_strdup_printf ("%s\t%s", gtk_label_get_text (text), gtk_label_get_text (score));
}

GtkLabel *
vs_try_page_get_search_status_label (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->search_status_label;
}

guint
vs_try_page_get_n_metrics (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), 0);
  return self->n_metrics;
}

char *
vs_try_page_dup_metric (VsTryPage *self,
                        guint      i)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  row = gtk_list_box_get_row_at_index (self->metrics_list, (int) i);
  if (row == NULL)
    return NULL;
  return g_strdup_printf ("%s\t%s\t%s\t%s", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                          (const char *) g_object_get_data (G_OBJECT (row), "before"),
                          (const char *) g_object_get_data (G_OBJECT (row), "after"),
                          gtk_label_get_text (g_object_get_data (G_OBJECT (row), "delta-label")));
}

GtkWidget *
vs_try_page_get_metric_delta (VsTryPage *self,
                              guint      i)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  row = gtk_list_box_get_row_at_index (self->metrics_list, (int) i);
  return row != NULL ? g_object_get_data (G_OBJECT (row), "delta-label") : NULL;
}

void
vs_try_page_evaluate_dims (VsTryPage *self)
{
  g_return_if_fail (VS_IS_TRY_PAGE (self));
  start_dims (self);
}

const double *
vs_try_page_get_dims_values (VsTryPage *self,
                             gboolean   trained,
                             guint     *n,
                             const gsize **dims)
{
  GArray *v;

  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  v = self->dims_values[trained ? 1 : 0];
  if (n != NULL)
    *n = v != NULL ? v->len : 0;
  if (dims != NULL)
    *dims = self->dims != NULL ? (const gsize *) (gpointer) self->dims->data : NULL;
  return v != NULL ? (const double *) (gpointer) v->data : NULL;
}

const char *
vs_try_page_get_dims_metric (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->dims_metric;
}

GtkLabel *
vs_try_page_get_eval_status_label (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->eval_status_label;
}

const char *
vs_try_page_get_command (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return adw_action_row_get_subtitle (self->command_row);
}

void
vs_try_page_scroll_to (VsTryPage  *self,
                       const char *section)
{
  GtkWidget *target = NULL;

  g_return_if_fail (VS_IS_TRY_PAGE (self));

  if (g_strcmp0 (section, "search") == 0)
    target = self->search_group;
  else if (g_strcmp0 (section, "eval") == 0)
    target = self->eval_group;
  else if (g_strcmp0 (section, "dims") == 0)
    target = self->dims_group;
  else if (g_strcmp0 (section, "reproduce") == 0)
    target = GTK_WIDGET (self->output_row);
  else if (g_strcmp0 (section, "serve") == 0)
    target = GTK_WIDGET (self->serve_row);
  vs_scroll_to_widget (self->scroller, target);
}

/* ---- GObject ------------------------------------------------------------ */

static void
vs_try_page_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  VsTryPage *self = VS_TRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_try_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_try_page_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  VsTryPage *self = VS_TRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, vs_try_page_get_busy (self));
      break;

    case PROP_HAS_TRAINED:
      g_value_set_boolean (value, self->has_trained);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* ---- serve ------------------------------------------------------------------ */

static void
update_serve (VsTryPage *self)
{
  if (self->server != NULL)
    {
      adw_action_row_set_subtitle (self->serve_row, vs_server_get_url (self->server));
      gtk_button_set_label (self->serve_button, _("_Stop Server"));
    }
  else
    {
      adw_action_row_set_subtitle (self->serve_row, self->server_loading ? _("Loading the model…") : _("Not running"));
      gtk_button_set_label (self->serve_button, _("_Start Server"));
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->serve_button), !self->server_loading);
  gtk_widget_set_sensitive (self->serve_copy_button, self->server != NULL);
}

typedef struct
{
  char *recipe_text;
  char *recipe_name;
  char *base_dir;
  char *trained_dir;   /* the output folder when it holds a trained model */
  char *model_id;
} ServeJob;

static void
serve_job_free (gpointer data)
{
  ServeJob *job = data;

  g_free (job->recipe_text);
  g_free (job->recipe_name);
  g_free (job->base_dir);
  g_free (job->trained_dir);
  g_free (job->model_id);
  g_free (job);
}

/* A model of the server's own: its worker thread encodes with it while the
 * page's comparisons use theirs. */
static gpointer
serve_worker (VsTask        *task,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  ServeJob *job = data;
  g_autoptr(VsRecipe) recipe = NULL;

  if (job->trained_dir != NULL)
    return vs_model_load (job->trained_dir, error);
  recipe = vs_recipe_parse (job->recipe_text, strlen (job->recipe_text), job->recipe_name, job->base_dir, error);
  if (recipe == NULL)
    return NULL;
  return vs_recipe_load_base_model (recipe, error);
}

static void
on_serve_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(VsTryPage) self = user_data;   /* the reference vs_task_run got */
  g_autoptr(GError) error = NULL;
  VsModel *model = vs_task_finish (result, &error);
  const char *model_id = g_object_get_data (G_OBJECT (self->serve_row), "vs-serve-model-id");

  if (self->disposed)
    {
      g_clear_pointer (&model, vs_model_free);
      return;
    }
  self->server_loading = FALSE;
  if (model != NULL)
    {
      VsServerOptions options = VS_SERVER_OPTIONS_INIT;

      self->server = vs_server_new (model, model_id != NULL ? model_id : "vectorsmith", &options);
      if (!vs_server_start (self->server, "127.0.0.1", 0, &error))
        g_clear_pointer (&self->server, vs_server_free);
    }
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
    {
      g_autofree char *message = g_strdup_printf (_("The server did not start: %s"), error->message);
      show_banner (self, message);
    }
  update_serve (self);
}

static void
stop_server (VsTryPage *self)
{
  if (self->server_cancellable != NULL)
    g_cancellable_cancel (self->server_cancellable);
  g_clear_object (&self->server_cancellable);
  g_clear_pointer (&self->server, vs_server_free);
  self->server_loading = FALSE;
}

static void
on_serve_clicked (VsTryPage *self)
{
  ServeJob *job;

  if (self->server != NULL)
    {
      stop_server (self);
      update_serve (self);
      return;
    }
  if (self->server_loading || self->project == NULL)
    return;
  job = g_new0 (ServeJob, 1);
  job->recipe_text = dup_recipe_text (self);
  job->recipe_name = vs_project_get_file (self->project) != NULL ? g_path_get_basename (vs_project_get_file (self->project))
                                                                 : g_strdup ("recipe");
  job->base_dir = g_strdup (vs_project_get_base_dir (self->project));
  if (self->has_trained && self->output_dir != NULL)
    job->trained_dir = g_strdup (self->output_dir);
  /* /v1/models lists the output folder's name, or the base model's */
  job->model_id = job->trained_dir != NULL ? g_path_get_basename (job->trained_dir) : dup_base_key (self);
  g_object_set_data_full (G_OBJECT (self->serve_row), "vs-serve-model-id", g_strdup (job->model_id), g_free);
  self->server_loading = TRUE;
  self->server_cancellable = g_cancellable_new ();
  update_serve (self);
  vs_task_run (NULL, serve_worker, job, serve_job_free, (GDestroyNotify) vs_model_free,
               self->server_cancellable, NULL, on_serve_loaded, g_object_ref (self));
}

static void
on_serve_copy_clicked (VsTryPage *self)
{
  if (self->server == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), vs_server_get_url (self->server));
  toast (self, _("Server address copied"));
}

const char *
vs_try_page_get_server_url (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->server != NULL ? vs_server_get_url (self->server) : NULL;
}

gboolean
vs_try_page_get_server_loading (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), FALSE);
  return self->server_loading;
}

GtkButton *
vs_try_page_get_serve_button (VsTryPage *self)
{
  g_return_val_if_fail (VS_IS_TRY_PAGE (self), NULL);
  return self->serve_button;
}

static void
vs_try_page_dispose (GObject *object)
{
  VsTryPage *self = VS_TRY_PAGE (object);

  self->disposed = TRUE;
  stop_server (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->recheck_id != 0)
    g_source_remove (self->recheck_id);
  self->recheck_id = 0;
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (vs_try_page_parent_class)->dispose (object);
}

static void
vs_try_page_finalize (GObject *object)
{
  VsTryPage *self = VS_TRY_PAGE (object);

  g_clear_pointer (&self->base, vs_model_ref_unref);
  g_free (self->base_key);
  g_clear_pointer (&self->trained, vs_model_ref_unref);
  g_free (self->trained_key);
  g_free (self->output_dir);
  g_free (self->output_stamp);
  g_free (self->monitored);
  g_strfreev (self->texts);
  for (guint i = 0; i < 3; i++)
    g_free (self->sims[i]);
  g_clear_pointer (&self->corpus, corpus_unref);
  g_free (self->corpus_file);
  g_clear_pointer (&self->record, vs_training_record_free);
  g_clear_pointer (&self->dims, g_array_unref);
  g_clear_pointer (&self->dims_values[0], g_array_unref);
  g_clear_pointer (&self->dims_values[1], g_array_unref);
  g_free (self->dims_metric);
  G_OBJECT_CLASS (vs_try_page_parent_class)->finalize (object);
}

static void
vs_try_page_class_init (VsTryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_try_page_dispose;
  object_class->finalize = vs_try_page_finalize;
  object_class->get_property = vs_try_page_get_property;
  object_class->set_property = vs_try_page_set_property;
  widget_class->root = vs_try_page_root;
  widget_class->unroot = vs_try_page_unroot;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_HAS_TRAINED] =
    g_param_spec_boolean ("has-trained", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-try-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, VsTryPage, name)
  BIND (scroller);
  BIND (banner_revealer);
  BIND (banner_label);
  BIND (compare_group);
  BIND (sentences_view);
  BIND (note_label);
  BIND (compare_spinner);
  BIND (compare_button);
  BIND (summary_label);
  BIND (maps_box);
  BIND (search_group);
  BIND (corpus_row);
  BIND (corpus_spinner);
  BIND (top_k_spin);
  BIND (query_row);
  BIND (search_status_label);
  BIND (results_box);
  BIND (trained_results_box);
  BIND (base_results);
  BIND (trained_results);
  BIND (eval_group);
  BIND (eval_status_label);
  BIND (metrics_list);
  BIND (dims_group);
  BIND (dims_spinner);
  BIND (dims_button);
  BIND (dims_box);
  BIND (dims_label);
  BIND (output_row);
  BIND (serve_row);
  BIND (serve_button);
  BIND (serve_copy_button);
  BIND (command_row);
  BIND (open_files_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_banner_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_compare_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_corpus_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_top_k_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_query_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_dims_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_files_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_serve_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_serve_copy_clicked);
}

static void
vs_try_page_init (VsTryPage *self)
{
  const char *titles[3] = { _("Base model"), _("Trained model"), _("Difference (trained − base)") };

  gtk_widget_init_template (GTK_WIDGET (self));
  vs_narrow_watch_init (&self->narrow_watch, GTK_WIDGET (self), NARROW_WIDTH, reflow);
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < 3; i++)
    {
      self->maps[i] = VS_HEATMAP (vs_heatmap_new ());
      vs_heatmap_set_title (self->maps[i], titles[i]);
      gtk_widget_set_hexpand (GTK_WIDGET (self->maps[i]), TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->maps[i]), FALSE);
      /* The flow box puts as many to a line as fit at their natural
       * width; a matrix asks for its minimum there (cells of 24 px) and
       * grows into the width its line gives it. */
      {
        GtkWidget *fit = gtk_scrolled_window_new ();

        gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (fit), GTK_POLICY_NEVER, GTK_POLICY_NEVER);
        gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (fit), TRUE);
        gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (fit), GTK_WIDGET (self->maps[i]));
        gtk_flow_box_append (GTK_FLOW_BOX (self->maps_box), fit);
        self->map_cells[i] = gtk_widget_get_parent (fit);
      }
      /* Only the controls inside take the focus, not their cells. */
      gtk_widget_set_focusable (self->map_cells[i], FALSE);
      gtk_widget_set_visible (self->map_cells[i], FALSE);
    }
  self->dims_chart = VS_CHART (vs_chart_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->dims_chart), -1, 240);
  gtk_widget_set_visible (GTK_WIDGET (self->dims_chart), FALSE);
  gtk_box_append (GTK_BOX (self->dims_box), GTK_WIDGET (self->dims_chart));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->sentences_view),
                            _("A man is playing a guitar.\n"
                              "Someone plays an instrument.\n"
                              "A woman is slicing an onion.\n"
                              "The stock market fell sharply."), -1);
  g_signal_connect_swapped (self, "map", G_CALLBACK (on_map), self);
  update_note (self);
  {
    /* Ctrl+Enter in the sentences compares them (Enter is a new line). */
    GtkEventController *keys = gtk_shortcut_controller_new ();
    GtkShortcut *shortcut = gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>Return"),
                                              gtk_callback_action_new (compare_shortcut, self, NULL));

    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (keys), shortcut);
    gtk_widget_add_controller (GTK_WIDGET (self->sentences_view), keys);
    gtk_widget_set_tooltip_text (self->compare_button, _("Compare the sentences (Ctrl+Enter)"));
  }
}
