/* vs-try-page.h: the Try page — what training changed.
 *
 * Typed sentences as cosine similarity heat maps for the base model (the
 * run's starting point, vs_recipe_load_base_model) beside the trained one
 * (the output folder) and their difference; a semantic search of the eval
 * split (or a chosen file) with both models side by side; the evaluator's
 * metrics before and after training from the training record, and with
 * Matryoshka the metric by embedding dimension; the output folder, the CLI
 * command and the Python script that reproduce the run.
 */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_TRY_PAGE (vs_try_page_get_type ())
G_DECLARE_FINAL_TYPE (VsTryPage, vs_try_page, VS, TRY_PAGE, AdwBin)

typedef enum
{
  VS_TRY_MATRIX_BASE,
  VS_TRY_MATRIX_TRAINED,
  VS_TRY_MATRIX_DIFFERENCE,
} VsTryMatrix;

VsProject  *vs_try_page_get_project      (VsTryPage   *self);
void        vs_try_page_set_project      (VsTryPage   *self,
                                          VsProject   *project);

/* Sets the sentences (one per line) and compares them, as typing them and
 * pressing Compare does. */
void        vs_try_page_compare          (VsTryPage   *self,
                                          const char  *sentences);
/* Searches the corpus, as typing a query and pressing Enter does. */
void        vs_try_page_search           (VsTryPage   *self,
                                          const char  *query);
/* Uses a file as the search corpus, as the file chooser does (NULL: the
 * project's eval split again), and searches it for the current query. */
void        vs_try_page_set_corpus_file  (VsTryPage   *self,
                                          const char  *path);
/* Looks at the output folder again (as mapping the page and its file
 * monitor do). */
void        vs_try_page_recheck_output   (VsTryPage   *self);

/* Test-facing. busy: a comparison or search runs (notify::busy). */
gboolean    vs_try_page_get_busy         (VsTryPage   *self);
/* Whether the output folder holds a trained model (notify::has-trained). */
gboolean    vs_try_page_get_has_trained  (VsTryPage   *self);
/* The heat map widget of a matrix (a VsHeatmap), or NULL before it exists. */
GtkWidget  *vs_try_page_get_heatmap      (VsTryPage   *self,
                                          VsTryMatrix  which);
/* The last comparison's matrix (n × n, borrowed; NULL when none). */
const float *vs_try_page_get_matrix      (VsTryPage   *self,
                                          VsTryMatrix  which,
                                          guint       *n);
GtkLabel   *vs_try_page_get_note_label    (VsTryPage  *self);
GtkLabel   *vs_try_page_get_summary_label (VsTryPage  *self);
/* The banner's message (NULL when hidden). */
const char *vs_try_page_get_banner_message (VsTryPage *self);
/* Search results: the list of a model (base: FALSE, trained: TRUE); each
 * row's text and score labels through vs_try_page_dup_result. */
GtkListBox *vs_try_page_get_results      (VsTryPage   *self,
                                          gboolean     trained);
/* "TEXT\tSCORE" of result row i as its labels read, or NULL. */
char       *vs_try_page_dup_result       (VsTryPage   *self,
                                          gboolean     trained,
                                          guint        i);
GtkLabel   *vs_try_page_get_search_status_label (VsTryPage *self);
/* Metric rows: their count, and "NAME\tBEFORE\tAFTER\tDELTA" of row i as
 * its labels read. */
guint       vs_try_page_get_n_metrics    (VsTryPage   *self);
char       *vs_try_page_dup_metric       (VsTryPage   *self,
                                          guint        i);
/* The delta label of metric row i (style classes success / error). */
GtkWidget  *vs_try_page_get_metric_delta (VsTryPage   *self,
                                          guint        i);
GtkLabel   *vs_try_page_get_eval_status_label (VsTryPage *self);
/* Whether the window is narrow enough that the matrices and the result
 * lists are stacked instead of side by side. */
gboolean    vs_try_page_get_narrow       (VsTryPage   *self);
/* Matryoshka: evaluates at each of the loss's matryoshka_dims, as the
 * Evaluate button does; then the primary metric's name and its value per
 * dimension (n values, dims the dimensions) for a model. */
void          vs_try_page_evaluate_dims   (VsTryPage    *self);
const char   *vs_try_page_get_dims_metric (VsTryPage    *self);
const double *vs_try_page_get_dims_values (VsTryPage    *self,
                                           gboolean      trained,
                                           guint        *n,
                                           const gsize **dims);
/* The metric-by-dimension chart (a VsChart: x = dimension). */
GtkWidget    *vs_try_page_get_dims_chart  (VsTryPage    *self);
/* The command line shown (and copied). */
const char *vs_try_page_get_command      (VsTryPage   *self);
/* Writes the exported Python script to path, as the export dialog does. */
gboolean    vs_try_page_export_python    (VsTryPage   *self,
                                          const char  *path,
                                          GError     **error);
/* Scrolls to a section: "compare", "search", "eval", "dims",
 * "reproduce", "serve". */
void        vs_try_page_scroll_to        (VsTryPage   *self,
                                          const char  *section);

/* The embeddings server the page started (Serve), or NULL when none runs. */
const char *vs_try_page_get_server_url     (VsTryPage   *self);
gboolean    vs_try_page_get_server_loading (VsTryPage   *self);
GtkButton  *vs_try_page_get_serve_button   (VsTryPage   *self);

G_END_DECLS
