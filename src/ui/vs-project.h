/* vs-project.h: the project — one recipe being edited, and what it loaded.
 *
 * A VsProject is the one source of truth every page of the window reads and
 * writes; pages never talk to each other. It holds three things:
 *
 * 1. The recipe, as the JSON document `vectorsmith-cli train` runs
 *    (src/engine/train/vs-recipe.h documents every key). It is edited by
 *    dotted path: "args.batch_size", "train.columns", "loss.params.scale".
 *    A numeric segment indexes an array ("train.1.path"); a name applied to
 *    an array goes to its first element, so "train.path" means the first
 *    train dataset whether "train" is one object or a list. Every change
 *    emits ::changed with the top-level key as detail ("changed::args"),
 *    and sets :dirty until the next load or save.
 *
 * 2. Its validation: the document as the engine parses it (vs_recipe_parse,
 *    relative paths against the project file's folder), every problem the
 *    engine reports, plus the problems only the loaded data shows (the loss
 *    against the dataset's columns and label). Problems are sorted by where
 *    they belong (VsProjectArea) so each page shows its own. :problems and
 *    :valid change after every edit (notify).
 *
 * 3. What the pages loaded for it, shared between pages: the model (the
 *    Model page loads it; the Dataset page counts tokens with its
 *    tokenizer) and the train dataset with its detected case (the Dataset
 *    page loads it; the Loss page ranks losses for its columns). These are
 *    reference-counted holders (VsModelRef, VsDatasetRef) so a worker thread
 *    keeps using a model while the user already loads the next one. The
 *    project never loads anything itself: loading is slow and belongs on a
 *    worker (vs-task.h).
 *
 *   g_autoptr(VsProject) project = vs_project_new ();
 *   if (!vs_project_load (project, "recipe.json", &error))
 *     show_banner (error->message);        // previous state kept
 *   g_signal_connect (project, "changed::args", G_CALLBACK (on_args), page);
 *   vs_project_set_int (project, "args.batch_size", 32);
 *   g_auto(GStrv) mine = vs_project_get_problems_for (project, VS_PROJECT_AREA_ARGS);
 *   vs_project_save (project, NULL, &error);   // back to its file
 */
#pragma once

#include <gio/gio.h>
#include <cjson/cJSON.h>

#include "data/vs-dataset.h"
#include "model/vs-model.h"
#include "train/vs-recipe.h"

G_BEGIN_DECLS

/* ---- shared holders ----------------------------------------------------- */

/* A loaded model and the folder it came from. Thread-safe reference count;
 * the model itself is not thread-safe: hold the lock around anything that
 * runs it (encode, forward). Tokenizing needs no lock (VsTokenizer's encode
 * is thread-safe). */
typedef struct _VsModelRef VsModelRef;

#define VS_TYPE_MODEL_REF (vs_model_ref_get_type ())
GType        vs_model_ref_get_type   (void) G_GNUC_CONST;
/* Takes ownership of model. source: what the user chose (Hub id, folder,
 * or NULL for a new model); dir: the local folder it was read from (NULL
 * for a new model). */
VsModelRef  *vs_model_ref_new        (VsModel    *model,
                                      const char *source,
                                      const char *dir);
VsModelRef  *vs_model_ref_ref        (VsModelRef *ref);
void         vs_model_ref_unref      (VsModelRef *ref);
VsModel     *vs_model_ref_get_model  (VsModelRef *ref);
const char  *vs_model_ref_get_source (VsModelRef *ref);
const char  *vs_model_ref_get_dir    (VsModelRef *ref);
void         vs_model_ref_lock       (VsModelRef *ref);
void         vs_model_ref_unlock     (VsModelRef *ref);

/* A loaded table (as read, every column) and where it came from. The
 * dataset is read-only once shared, so any thread may read it. */
typedef struct _VsDatasetRef VsDatasetRef;

#define VS_TYPE_DATASET_REF (vs_dataset_ref_get_type ())
GType        vs_dataset_ref_get_type    (void) G_GNUC_CONST;
/* Takes ownership of dataset. source: file, folder or Hub id as the user
 * gave it; split may be NULL. */
VsDatasetRef *vs_dataset_ref_new        (VsDataset  *dataset,
                                         const char *source,
                                         const char *split);
VsDatasetRef *vs_dataset_ref_ref        (VsDatasetRef *ref);
void          vs_dataset_ref_unref      (VsDatasetRef *ref);
const VsDataset *vs_dataset_ref_get_dataset (VsDatasetRef *ref);
const char   *vs_dataset_ref_get_source (VsDatasetRef *ref);
const char   *vs_dataset_ref_get_split  (VsDatasetRef *ref);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsModelRef, vs_model_ref_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsDatasetRef, vs_dataset_ref_unref)

/* ---- the project -------------------------------------------------------- */

typedef enum
{
  VS_PROJECT_AREA_GENERAL,    /* the file itself, name, description */
  VS_PROJECT_AREA_MODEL,      /* "model" */
  VS_PROJECT_AREA_DATASET,    /* "train", "eval" */
  VS_PROJECT_AREA_LOSS,       /* "loss" */
  VS_PROJECT_AREA_EVALUATOR,  /* "evaluator" */
  VS_PROJECT_AREA_ARGS,       /* "args" */
  VS_PROJECT_AREA_OUTPUT,     /* "output_dir" */
} VsProjectArea;

#define VS_TYPE_PROJECT (vs_project_get_type ())
G_DECLARE_FINAL_TYPE (VsProject, vs_project, VS, PROJECT, GObject)

/* An untitled project: {"model": …new tiny BERT…, "loss": CoSENTLoss,
 * "args": {}, "output_dir": "output"} with no dataset yet (so not valid). */
VsProject    *vs_project_new               (void);

/* Reads a recipe file. The document is kept as written (relative paths
 * stay relative to the file's folder). On failure (unreadable, not JSON,
 * not an object) the project is unchanged and error names the file.
 * A recipe the engine would refuse still loads: its problems are listed. */
gboolean      vs_project_load              (VsProject   *self,
                                            const char  *path,
                                            GError     **error);
/* Replaces the document with JSON text; base_dir resolves relative paths
 * (NULL: the current folder), path becomes the project's file (may be NULL). */
gboolean      vs_project_load_from_data    (VsProject   *self,
                                            const char  *text,
                                            const char  *base_dir,
                                            const char  *path,
                                            GError     **error);
/* Writes the document atomically to path (NULL: the project's own file).
 * Relative paths are rewritten against the new file's folder so they still
 * point at the same files. Clears :dirty; path becomes the project's file. */
gboolean      vs_project_save              (VsProject   *self,
                                            const char  *path,
                                            GError     **error);

/* The project file, or NULL when never saved. */
const char   *vs_project_get_file          (VsProject   *self);
/* The folder relative paths in the document resolve against. */
const char   *vs_project_get_base_dir      (VsProject   *self);
/* The title: "name" of the recipe, else the file name, else "Untitled Project". */
char         *vs_project_dup_title         (VsProject   *self);
gboolean      vs_project_get_dirty         (VsProject   *self);

/* ---- the document ---- */

/* The whole document (borrowed; do not modify: use the setters). */
const cJSON  *vs_project_get_document      (VsProject   *self);
/* The node at path, or NULL. Borrowed until the next change. */
const cJSON  *vs_project_get               (VsProject   *self,
                                            const char  *path);
/* Typed reads with a fallback for a missing node or another type. */
const char   *vs_project_get_string        (VsProject   *self,
                                            const char  *path);       /* NULL when absent */
double        vs_project_get_double        (VsProject   *self,
                                            const char  *path,
                                            double       fallback);
gint64        vs_project_get_int           (VsProject   *self,
                                            const char  *path,
                                            gint64       fallback);
gboolean      vs_project_get_bool          (VsProject   *self,
                                            const char  *path,
                                            gboolean     fallback);
/* A JSON array of strings as a GStrv (NULL when absent or not such an array). */
char        **vs_project_dup_strv          (VsProject   *self,
                                            const char  *path);
/* A path as the engine resolves it: relative to the project's folder when
 * something exists there, else as written (a Hub id). NULL when absent. */
char         *vs_project_dup_resolved_path (VsProject   *self,
                                            const char  *path);

/* Sets the node at path, creating objects on the way; takes ownership of
 * value (NULL removes the node). A value equal to the current one changes
 * nothing and emits nothing. */
void          vs_project_set               (VsProject   *self,
                                            const char  *path,
                                            cJSON       *value);
void          vs_project_set_string        (VsProject   *self,
                                            const char  *path,
                                            const char  *value);      /* NULL removes */
void          vs_project_set_double        (VsProject   *self,
                                            const char  *path,
                                            double       value);
void          vs_project_set_int           (VsProject   *self,
                                            const char  *path,
                                            gint64       value);
void          vs_project_set_bool          (VsProject   *self,
                                            const char  *path,
                                            gboolean     value);
void          vs_project_set_strv          (VsProject   *self,
                                            const char  *path,
                                            const char *const *value); /* NULL removes */
void          vs_project_remove            (VsProject   *self,
                                            const char  *path);
/* Several edits as one change: ::changed is emitted once per touched
 * top-level key when the outermost end_edit runs. */
void          vs_project_begin_edit        (VsProject   *self);
void          vs_project_end_edit          (VsProject   *self);

/* ---- validation ---- */

/* TRUE when the engine accepts the recipe and the loaded data fits it. */
gboolean      vs_project_get_valid         (VsProject   *self);
/* The recipe as the engine parsed it (borrowed until the next change), or
 * NULL while the document has problems. */
const VsRecipe *vs_project_get_recipe      (VsProject   *self);
/* Every problem, one sentence each, as the engine words it (without the
 * file-name prefix). NULL-terminated; borrowed until the next change. */
const char *const *vs_project_get_problems (VsProject   *self);
/* The problems of one area. Free with g_strfreev. */
char        **vs_project_get_problems_for  (VsProject   *self,
                                            VsProjectArea area);
/* The area a recipe key path belongs to ("args.seed" -> ARGS). */
VsProjectArea vs_project_area_for_path     (const char  *path);

/* ---- what the pages loaded ---- */

/* The model the Model page loaded for the project's "model", or NULL.
 * Borrowed; take a reference for a worker. notify::model on change. */
VsModelRef   *vs_project_get_model         (VsProject   *self);
void          vs_project_set_model         (VsProject   *self,
                                            VsModelRef  *model);
/* The first train dataset as read (all columns), or NULL. notify::dataset. */
VsDatasetRef *vs_project_get_dataset       (VsProject   *self);
void          vs_project_set_dataset       (VsProject   *self,
                                            VsDatasetRef *dataset);
/* The case detected on that dataset with the recipe's roles, or NULL.
 * Borrowed until notify::case-info. Setting it revalidates (the loss is
 * checked against its columns and label). */
const VsCaseInfo *vs_project_get_case_info (VsProject   *self);
void          vs_project_set_case_info     (VsProject   *self,
                                            VsCaseInfo  *info);  /* takes ownership */

/* The role overrides of the first train dataset's "roles" object (and its
 * "label" column name as the label), for vs_dataset_detect_case.
 * *n_out gets the count; free the array with g_free (strings are borrowed
 * from the document until the next change). */
VsRoleOverride *vs_project_get_role_overrides (VsProject *self,
                                               guint     *n_out);
/* TRUE when the first train dataset says "label": null (no label column):
 * detect its case with vs_dataset_detect_case_without_label, as the
 * trainer does. */
gboolean      vs_project_get_train_no_label (VsProject *self);

/* Writes the project's run as a sentence-transformers training script
 * (vs_recipe_export_script, as `vectorsmith-cli export-script`: paths
 * relative to the script, written atomically); a project whose recipe has
 * problems is refused with the first of them. */
gboolean      vs_project_export_script (VsProject   *self,
                                        const char  *path,
                                        GError     **error);

G_END_DECLS
