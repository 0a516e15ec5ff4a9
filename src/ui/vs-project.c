/* vs-project.c: the recipe being edited, its problems, and what the pages loaded. */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "loss/vs-loss.h"
#include "vs-error.h"

#include "vs-project.h"

/* ---------------------------------------------------------------------- */
/* Shared holders                                                          */

struct _VsModelRef
{
  VsModel *model;
  char    *source;
  char    *dir;
  GMutex   lock;
};

static void
model_ref_clear (gpointer data)
{
  VsModelRef *ref = data;

  vs_model_free (ref->model);
  g_free (ref->source);
  g_free (ref->dir);
  g_mutex_clear (&ref->lock);
}

VsModelRef *
vs_model_ref_new (VsModel    *model,
                  const char *source,
                  const char *dir)
{
  VsModelRef *ref;

  g_return_val_if_fail (model != NULL, NULL);

  ref = g_atomic_rc_box_new0 (VsModelRef);
  ref->model = model;
  ref->source = g_strdup (source);
  ref->dir = g_strdup (dir);
  g_mutex_init (&ref->lock);
  return ref;
}

VsModelRef *
vs_model_ref_ref (VsModelRef *ref)
{
  return g_atomic_rc_box_acquire (ref);
}

void
vs_model_ref_unref (VsModelRef *ref)
{
  g_atomic_rc_box_release_full (ref, model_ref_clear);
}

G_DEFINE_BOXED_TYPE (VsModelRef, vs_model_ref, vs_model_ref_ref, vs_model_ref_unref)

VsModel *
vs_model_ref_get_model (VsModelRef *ref)
{
  return ref->model;
}

const char *
vs_model_ref_get_source (VsModelRef *ref)
{
  return ref->source;
}

const char *
vs_model_ref_get_dir (VsModelRef *ref)
{
  return ref->dir;
}

void
vs_model_ref_lock (VsModelRef *ref)
{
  g_mutex_lock (&ref->lock);
}

void
vs_model_ref_unlock (VsModelRef *ref)
{
  g_mutex_unlock (&ref->lock);
}

struct _VsDatasetRef
{
  VsDataset *dataset;
  char      *source;
  char      *split;
};

static void
dataset_ref_clear (gpointer data)
{
  VsDatasetRef *ref = data;

  vs_dataset_free (ref->dataset);
  g_free (ref->source);
  g_free (ref->split);
}

VsDatasetRef *
vs_dataset_ref_new (VsDataset  *dataset,
                    const char *source,
                    const char *split)
{
  VsDatasetRef *ref;

  g_return_val_if_fail (dataset != NULL, NULL);

  ref = g_atomic_rc_box_new0 (VsDatasetRef);
  ref->dataset = dataset;
  ref->source = g_strdup (source);
  ref->split = g_strdup (split);
  return ref;
}

VsDatasetRef *
vs_dataset_ref_ref (VsDatasetRef *ref)
{
  return g_atomic_rc_box_acquire (ref);
}

void
vs_dataset_ref_unref (VsDatasetRef *ref)
{
  g_atomic_rc_box_release_full (ref, dataset_ref_clear);
}

G_DEFINE_BOXED_TYPE (VsDatasetRef, vs_dataset_ref, vs_dataset_ref_ref, vs_dataset_ref_unref)

const VsDataset *
vs_dataset_ref_get_dataset (VsDatasetRef *ref)
{
  return ref->dataset;
}

const char *
vs_dataset_ref_get_source (VsDatasetRef *ref)
{
  return ref->source;
}

const char *
vs_dataset_ref_get_split (VsDatasetRef *ref)
{
  return ref->split;
}

/* ---------------------------------------------------------------------- */
/* The project                                                             */

struct _VsProject
{
  GObject       parent_instance;

  cJSON        *document;
  char         *file;
  char         *base_dir;
  gboolean      dirty;

  /* Validation of the current document. */
  VsRecipe     *recipe;
  GPtrArray    *problems;      /* char*, NULL-terminated */

  /* Batched edits: the top-level keys touched while edit_depth > 0. */
  guint         edit_depth;
  GPtrArray    *touched;

  VsModelRef   *model;
  VsDatasetRef *dataset;
  VsCaseInfo   *case_info;
};

G_DEFINE_FINAL_TYPE (VsProject, vs_project, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  PROP_TITLE,
  PROP_DIRTY,
  PROP_VALID,
  PROP_PROBLEMS,
  PROP_MODEL,
  PROP_DATASET,
  PROP_CASE_INFO,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A new project: a tiny BERT from the demo's tokenizer is the cheapest
 * model that trains at once; the rest are sentence-transformers' defaults. */
static const char untitled_recipe[] =
  "{\n"
  "  \"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\"},\n"
  "            \"modules\": [{\"type\": \"pooling\", \"mode\": \"mean\"}]},\n"
  "  \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {}},\n"
  "  \"args\": {},\n"
  "  \"output_dir\": \"output\"\n"
  "}\n";

static void revalidate (VsProject *self);

VsProject *
vs_project_new (void)
{
  return g_object_new (VS_TYPE_PROJECT, NULL);
}

const char *
vs_project_get_file (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->file;
}

const char *
vs_project_get_base_dir (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->base_dir;
}

char *
vs_project_dup_title (VsProject *self)
{
  const char *name;

  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);

  name = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (self->document, "name"));
  if (name != NULL && *name != '\0')
    return g_strdup (name);
  if (self->file != NULL)
    return g_path_get_basename (self->file);
  return g_strdup (_("Untitled Project"));
}

gboolean
vs_project_get_dirty (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  return self->dirty;
}

static void
set_dirty (VsProject *self,
           gboolean   dirty)
{
  if (self->dirty == dirty)
    return;
  self->dirty = dirty;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRTY]);
}

/* ---- loading and saving ---- */

static void
replace_document (VsProject  *self,
                  cJSON      *document,
                  const char *base_dir,
                  const char *file)
{
  g_autofree char *old_file = g_steal_pointer (&self->file);

  cJSON_Delete (self->document);
  self->document = document;
  g_free (self->base_dir);
  self->base_dir = base_dir != NULL ? g_strdup (base_dir) : g_get_current_dir ();
  self->file = g_strdup (file);

  /* What was loaded for the previous recipe no longer describes this one. */
  vs_project_set_case_info (self, NULL);
  vs_project_set_dataset (self, NULL);
  vs_project_set_model (self, NULL);

  revalidate (self);
  set_dirty (self, FALSE);
  if (g_strcmp0 (old_file, self->file) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  /* Every page rereads everything. */
  g_signal_emit (self, signals[CHANGED], 0, NULL);
}

gboolean
vs_project_load_from_data (VsProject   *self,
                           const char  *text,
                           const char  *base_dir,
                           const char  *path,
                           GError     **error)
{
  cJSON *document;
  const char *where = path != NULL ? path : _("project");

  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  document = cJSON_Parse (text);
  if (document == NULL)
    {
      const char *at = cJSON_GetErrorPtr ();
      gsize offset = at != NULL && at >= text ? (gsize) (at - text) : 0;
      guint line = 1;

      for (gsize i = 0; i < offset && text[i] != '\0'; i++)
        line += text[i] == '\n';
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   _("%s: line %u: not valid JSON"), where, line);
      return FALSE;
    }
  if (!cJSON_IsObject (document))
    {
      cJSON_Delete (document);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   _("%s: expected a JSON object with the recipe’s keys"), where);
      return FALSE;
    }
  replace_document (self, document, base_dir, path);
  return TRUE;
}

gboolean
vs_project_load (VsProject   *self,
                 const char  *path,
                 GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *base_dir = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, local_error->message);
      return FALSE;
    }
  absolute = g_canonicalize_filename (path, NULL);
  base_dir = g_path_get_dirname (absolute);
  return vs_project_load_from_data (self, text, base_dir, absolute, error);
}

/* The document's keys that hold a path, as "parent key" + "key" pairs the
 * recipe resolves against the project's folder. always: output_dir is
 * resolved even when nothing exists there yet. */
static void
rebase_path (cJSON      *obj,
             const char *key,
             const char *old_base,
             gboolean    always)
{
  cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);
  g_autofree char *joined = NULL;

  if (!cJSON_IsString (item) || item->valuestring[0] == '\0' || g_path_is_absolute (item->valuestring))
    return;
  joined = g_build_filename (old_base, item->valuestring, NULL);
  if (always || g_file_test (joined, G_FILE_TEST_EXISTS))
    {
      g_autofree char *canonical = g_canonicalize_filename (joined, NULL);
      cJSON_SetValuestring (item, canonical);
    }
}

static void
rebase_loss (cJSON      *loss,
             const char *old_base)
{
  cJSON *params = cJSON_GetObjectItemCaseSensitive (loss, "params");
  cJSON *inner;

  if (!cJSON_IsObject (params))
    return;
  rebase_path (params, "guide", old_base, FALSE);
  inner = cJSON_GetObjectItemCaseSensitive (params, "loss");
  if (cJSON_IsObject (inner))
    rebase_loss (inner, old_base);
}

static void
rebase_dataset (cJSON      *ds,
                const char *old_base)
{
  cJSON *loss;

  if (!cJSON_IsObject (ds))
    return;
  rebase_path (ds, "path", old_base, FALSE);
  loss = cJSON_GetObjectItemCaseSensitive (ds, "loss");
  if (cJSON_IsObject (loss))
    rebase_loss (loss, old_base);
}

/* Makes every relative path of doc absolute against old_base, so that the
 * document means the same files from another folder. */
static void
rebase_document (cJSON      *doc,
                 const char *old_base)
{
  cJSON *model = cJSON_GetObjectItemCaseSensitive (doc, "model");
  cJSON *train = cJSON_GetObjectItemCaseSensitive (doc, "train");
  cJSON *loss = cJSON_GetObjectItemCaseSensitive (doc, "loss");
  cJSON *item;

  rebase_path (doc, "model", old_base, FALSE);
  if (cJSON_IsObject (model))
    {
      rebase_path (cJSON_GetObjectItemCaseSensitive (model, "new"), "tokenizer", old_base, FALSE);
      rebase_path (model, "path", old_base, FALSE);   /* {"path": …, "modules": […]} */
    }
  if (cJSON_IsArray (train))
    cJSON_ArrayForEach (item, train)
      rebase_dataset (item, old_base);
  else
    rebase_dataset (train, old_base);
  rebase_dataset (cJSON_GetObjectItemCaseSensitive (doc, "eval"), old_base);
  if (cJSON_IsObject (loss))
    rebase_loss (loss, old_base);
  rebase_path (doc, "output_dir", old_base, TRUE);
}

gboolean
vs_project_save (VsProject   *self,
                 const char  *path,
                 GError     **error)
{
  g_autofree char *absolute = NULL;
  g_autofree char *new_base = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  cJSON *doc;
  gboolean moved;

  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);

  if (path == NULL)
    path = self->file;
  if (path == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   _("The project has no file yet: choose where to save it"));
      return FALSE;
    }
  absolute = g_canonicalize_filename (path, NULL);
  new_base = g_path_get_dirname (absolute);
  moved = g_strcmp0 (new_base, self->base_dir) != 0;

  doc = cJSON_Duplicate (self->document, TRUE);
  if (moved)
    rebase_document (doc, self->base_dir);
  text = cJSON_Print (doc);

  /* g_file_set_contents writes a temporary file beside the target and
   * renames it over: an interrupted save never leaves half a project. */
  if (text == NULL ||
      !g_file_set_contents_full (absolute, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      cJSON_Delete (doc);
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", absolute,
                   local_error != NULL ? local_error->message : _("out of memory"));
      return FALSE;
    }

  if (moved)
    {
      cJSON_Delete (self->document);
      self->document = doc;
      g_free (self->base_dir);
      self->base_dir = g_steal_pointer (&new_base);
    }
  else
    cJSON_Delete (doc);
  if (g_strcmp0 (self->file, absolute) != 0)
    {
      g_free (self->file);
      self->file = g_steal_pointer (&absolute);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
  if (moved)
    revalidate (self);
  set_dirty (self, FALSE);
  return TRUE;
}

/* ---- the document by path ---- */

static gboolean
segment_index (const char *segment,
               int        *index)
{
  char *end = NULL;
  gint64 v;

  if (!g_ascii_isdigit (segment[0]))
    return FALSE;
  v = g_ascii_strtoll (segment, &end, 10);
  if (*end != '\0' || v < 0 || v > G_MAXINT)
    return FALSE;
  *index = (int) v;
  return TRUE;
}

/* The child of node for one path segment (see the header's path rules). */
static cJSON *
child_of (cJSON      *node,
          const char *segment)
{
  int index;

  if (cJSON_IsArray (node))
    {
      if (segment_index (segment, &index))
        return cJSON_GetArrayItem (node, index);
      node = cJSON_GetArrayItem (node, 0);
    }
  if (!cJSON_IsObject (node))
    return NULL;
  return cJSON_GetObjectItemCaseSensitive (node, segment);
}

const cJSON *
vs_project_get_document (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->document;
}

const cJSON *
vs_project_get (VsProject  *self,
                const char *path)
{
  g_auto(GStrv) segments = NULL;
  cJSON *node;

  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  segments = g_strsplit (path, ".", -1);
  node = self->document;
  for (guint i = 0; node != NULL && segments[i] != NULL; i++)
    node = child_of (node, segments[i]);
  return node;
}

const char *
vs_project_get_string (VsProject  *self,
                       const char *path)
{
  return cJSON_GetStringValue (vs_project_get (self, path));
}

double
vs_project_get_double (VsProject  *self,
                       const char *path,
                       double      fallback)
{
  const cJSON *node = vs_project_get (self, path);

  return cJSON_IsNumber (node) ? node->valuedouble : fallback;
}

gint64
vs_project_get_int (VsProject  *self,
                    const char *path,
                    gint64      fallback)
{
  const cJSON *node = vs_project_get (self, path);

  /* valuedouble keeps integers up to 2^53 exactly; valueint saturates at int. */
  return cJSON_IsNumber (node) ? (gint64) node->valuedouble : fallback;
}

gboolean
vs_project_get_bool (VsProject  *self,
                     const char *path,
                     gboolean    fallback)
{
  const cJSON *node = vs_project_get (self, path);

  return cJSON_IsBool (node) ? cJSON_IsTrue (node) : fallback;
}

char **
vs_project_dup_strv (VsProject  *self,
                     const char *path)
{
  const cJSON *node = vs_project_get (self, path);
  g_autoptr(GStrvBuilder) builder = NULL;
  const cJSON *item;

  if (!cJSON_IsArray (node))
    return NULL;
  builder = g_strv_builder_new ();
  cJSON_ArrayForEach (item, node)
    {
      if (!cJSON_IsString (item))
        return NULL;
      g_strv_builder_add (builder, item->valuestring);
    }
  return g_strv_builder_end (builder);
}

char *
vs_project_dup_resolved_path (VsProject  *self,
                              const char *path)
{
  const char *value = vs_project_get_string (self, path);
  g_autofree char *joined = NULL;

  if (value == NULL)
    return NULL;
  if (g_path_is_absolute (value))
    return g_strdup (value);
  joined = g_build_filename (self->base_dir, value, NULL);
  if (g_file_test (joined, G_FILE_TEST_EXISTS) || g_strcmp0 (path, "output_dir") == 0)
    return g_canonicalize_filename (joined, NULL);
  return g_strdup (value);
}

static void
emit_changed (VsProject  *self,
              const char *top_key)
{
  if (self->edit_depth > 0)
    {
      for (guint i = 0; i < self->touched->len; i++)
        if (g_strcmp0 (g_ptr_array_index (self->touched, i), top_key) == 0)
          return;
      g_ptr_array_add (self->touched, g_strdup (top_key));
      return;
    }
  revalidate (self);
  set_dirty (self, TRUE);
  if (g_strcmp0 (top_key, "name") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_signal_emit (self, signals[CHANGED], g_quark_from_string (top_key), top_key);
}

void
vs_project_begin_edit (VsProject *self)
{
  g_return_if_fail (VS_IS_PROJECT (self));
  self->edit_depth++;
}

void
vs_project_end_edit (VsProject *self)
{
  g_autoptr(GPtrArray) touched = NULL;

  g_return_if_fail (VS_IS_PROJECT (self));
  g_return_if_fail (self->edit_depth > 0);

  if (--self->edit_depth > 0)
    return;
  touched = g_steal_pointer (&self->touched);
  self->touched = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < touched->len; i++)
    emit_changed (self, g_ptr_array_index (touched, i));
}

/* Puts value (owned; NULL = remove) at the last segment under parent. */
static gboolean
put_child (cJSON      *parent,
           const char *segment,
           cJSON      *value)
{
  int index;

  if (cJSON_IsArray (parent) && segment_index (segment, &index))
    {
      int size = cJSON_GetArraySize (parent);

      if (value == NULL)
        {
          if (index < size)
            cJSON_DeleteItemFromArray (parent, index);
          return TRUE;
        }
      if (index < size)
        return cJSON_ReplaceItemInArray (parent, index, value);
      if (index == size)
        return cJSON_AddItemToArray (parent, value);
      cJSON_Delete (value);
      return FALSE;
    }
  if (cJSON_IsArray (parent))
    parent = cJSON_GetArrayItem (parent, 0);
  if (!cJSON_IsObject (parent))
    {
      cJSON_Delete (value);
      return FALSE;
    }
  if (value == NULL)
    {
      cJSON_DeleteItemFromObjectCaseSensitive (parent, segment);
      return TRUE;
    }
  if (cJSON_GetObjectItemCaseSensitive (parent, segment) != NULL)
    return cJSON_ReplaceItemInObjectCaseSensitive (parent, segment, value);
  return cJSON_AddItemToObject (parent, segment, value);
}

void
vs_project_set (VsProject  *self,
                const char *path,
                cJSON      *value)
{
  g_auto(GStrv) segments = NULL;
  const cJSON *current;
  cJSON *node;
  guint n;

  g_return_if_fail (VS_IS_PROJECT (self));
  g_return_if_fail (path != NULL && *path != '\0');

  current = vs_project_get (self, path);
  if ((value == NULL && current == NULL) ||
      (value != NULL && current != NULL && cJSON_Compare (value, current, TRUE)))
    {
      cJSON_Delete (value);
      return;
    }

  segments = g_strsplit (path, ".", -1);
  n = g_strv_length (segments);
  node = self->document;
  for (guint i = 0; i + 1 < n; i++)
    {
      cJSON *next = child_of (node, segments[i]);

      if (next == NULL || !(cJSON_IsObject (next) || cJSON_IsArray (next)))
        {
          if (value == NULL)
            return;
          next = cJSON_CreateObject ();
          if (!put_child (node, segments[i], next))
            {
              g_warning ("vs_project_set: cannot create %s in %s", segments[i], path);
              cJSON_Delete (value);
              return;
            }
        }
      node = next;
    }
  if (!put_child (node, segments[n - 1], value))
    {
      g_warning ("vs_project_set: cannot set %s", path);
      return;
    }
  emit_changed (self, segments[0]);
}

void
vs_project_set_string (VsProject  *self,
                       const char *path,
                       const char *value)
{
  vs_project_set (self, path, value != NULL ? cJSON_CreateString (value) : NULL);
}

void
vs_project_set_double (VsProject  *self,
                       const char *path,
                       double      value)
{
  vs_project_set (self, path, cJSON_CreateNumber (value));
}

void
vs_project_set_int (VsProject  *self,
                    const char *path,
                    gint64      value)
{
  vs_project_set (self, path, cJSON_CreateNumber ((double) value));
}

void
vs_project_set_bool (VsProject  *self,
                     const char *path,
                     gboolean    value)
{
  vs_project_set (self, path, cJSON_CreateBool (value));
}

void
vs_project_set_strv (VsProject         *self,
                     const char        *path,
                     const char *const *value)
{
  cJSON *array;

  if (value == NULL)
    {
      vs_project_set (self, path, NULL);
      return;
    }
  array = cJSON_CreateArray ();
  for (guint i = 0; value[i] != NULL; i++)
    cJSON_AddItemToArray (array, cJSON_CreateString (value[i]));
  vs_project_set (self, path, array);
}

void
vs_project_remove (VsProject  *self,
                   const char *path)
{
  vs_project_set (self, path, NULL);
}

/* ---- validation ---- */

VsProjectArea
vs_project_area_for_path (const char *path)
{
  static const struct { const char *key; VsProjectArea area; } keys[] = {
    { "model", VS_PROJECT_AREA_MODEL },
    { "train", VS_PROJECT_AREA_DATASET },
    { "eval", VS_PROJECT_AREA_DATASET },
    { "loss", VS_PROJECT_AREA_LOSS },
    { "evaluator", VS_PROJECT_AREA_EVALUATOR },
    { "args", VS_PROJECT_AREA_ARGS },
    { "output_dir", VS_PROJECT_AREA_OUTPUT },
  };
  gsize len;

  if (path == NULL)
    return VS_PROJECT_AREA_GENERAL;
  len = strcspn (path, ".[: ");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strlen (keys[i].key) == len && strncmp (path, keys[i].key, len) == 0)
      return keys[i].area;
  return VS_PROJECT_AREA_GENERAL;
}

static void
add_problem (VsProject  *self,
             const char *text)
{
  /* Keep the list NULL-terminated for vs_project_get_problems. */
  g_ptr_array_insert (self->problems, self->problems->len - 1, g_strdup (text));
}

/* What the loaded dataset gives a loss, from its detected case. */
static void
shape_from_case (const VsCaseInfo *info,
                 VsLossDataShape  *shape)
{
  memset (shape, 0, sizeof *shape);
  shape->n_text_columns = info->n_inputs;
  shape->label_dim = 1;
  switch (info->label_kind)
    {
    case VS_LABEL_NONE:
      shape->label = VS_LOSS_DATA_LABEL_NONE;
      break;
    case VS_LABEL_FLOAT:
      shape->label = VS_LOSS_DATA_LABEL_FLOAT;
      shape->label_min = info->label_min;
      shape->label_max = info->label_max;
      break;
    case VS_LABEL_BINARY:
    case VS_LABEL_CLASS:
    default:
      shape->label = VS_LOSS_DATA_LABEL_INT;
      /* String classes become their index in info->classes. */
      shape->label_min = isnan (info->label_min) ? 0 : info->label_min;
      shape->label_max = isnan (info->label_max) ? MAX (info->n_classes, 1) - 1 : info->label_max;
      break;
    }
}

/* The problems only the loaded data shows: the loss against the dataset's
 * columns and label, as the trainer would find them when it starts. */
static void
check_against_data (VsProject *self)
{
  const cJSON *loss_name = vs_project_get (self, "loss.name");
  const cJSON *params = vs_project_get (self, "loss.params");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsLoss) loss = NULL;
  VsLossDataShape shape;

  if (self->case_info == NULL)
    return;
  if (self->case_info->case_number == 0)
    {
      g_autofree char *text = g_strdup_printf ("train: %s", self->case_info->evidence);
      add_problem (self, text);
      return;
    }
  if (!cJSON_IsString (loss_name))
    return;
  loss = vs_loss_new (loss_name->valuestring, cJSON_IsObject (params) ? params : NULL, &error);
  if (loss == NULL)
    return;   /* the recipe parser has reported the params already */
  shape_from_case (self->case_info, &shape);
  if (!vs_loss_check_data (loss, &shape, &error))
    {
      g_autofree char *text = g_strdup_printf ("loss: %s", error->message);
      add_problem (self, text);
    }
}

static void
revalidate (VsProject *self)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gboolean was_valid = self->recipe != NULL && self->problems->len == 1;

  g_clear_pointer (&self->recipe, vs_recipe_free);
  g_ptr_array_set_size (self->problems, 0);
  g_ptr_array_add (self->problems, NULL);

  text = cJSON_PrintUnformatted (self->document);
  self->recipe = vs_recipe_parse (text, strlen (text), "recipe", self->base_dir, &error);
  if (self->recipe == NULL)
    {
      g_auto(GStrv) lines = g_strsplit (error->message, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        {
          const char *line = lines[i];

          if (*line == '\0')
            continue;
          if (g_str_has_prefix (line, "recipe: "))
            line += strlen ("recipe: ");
          add_problem (self, line);
        }
    }
  check_against_data (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEMS]);
  if (was_valid != vs_project_get_valid (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
}

gboolean
vs_project_get_valid (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  return self->recipe != NULL && self->problems->len == 1;
}

const VsRecipe *
vs_project_get_recipe (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->recipe;
}

const char *const *
vs_project_get_problems (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return (const char *const *) self->problems->pdata;
}

char **
vs_project_get_problems_for (VsProject     *self,
                             VsProjectArea  area)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);

  for (guint i = 0; i + 1 < self->problems->len; i++)
    {
      const char *line = g_ptr_array_index (self->problems, i);

      if (vs_project_area_for_path (line) == area)
        g_strv_builder_add (builder, line);
    }
  return g_strv_builder_end (builder);
}

/* ---- what the pages loaded ---- */

VsModelRef *
vs_project_get_model (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->model;
}

void
vs_project_set_model (VsProject  *self,
                      VsModelRef *model)
{
  g_return_if_fail (VS_IS_PROJECT (self));

  if (self->model == model)
    return;
  if (model != NULL)
    vs_model_ref_ref (model);
  g_clear_pointer (&self->model, vs_model_ref_unref);
  self->model = model;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

VsDatasetRef *
vs_project_get_dataset (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->dataset;
}

void
vs_project_set_dataset (VsProject    *self,
                        VsDatasetRef *dataset)
{
  g_return_if_fail (VS_IS_PROJECT (self));

  if (self->dataset == dataset)
    return;
  if (dataset != NULL)
    vs_dataset_ref_ref (dataset);
  g_clear_pointer (&self->dataset, vs_dataset_ref_unref);
  self->dataset = dataset;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET]);
}

const VsCaseInfo *
vs_project_get_case_info (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);
  return self->case_info;
}

void
vs_project_set_case_info (VsProject  *self,
                          VsCaseInfo *info)
{
  g_return_if_fail (VS_IS_PROJECT (self));

  if (self->case_info == NULL && info == NULL)
    return;
  g_clear_pointer (&self->case_info, vs_case_info_free);
  self->case_info = info;
  revalidate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CASE_INFO]);
}

VsRoleOverride *
vs_project_get_role_overrides (VsProject *self,
                               guint     *n_out)
{
  const cJSON *roles = vs_project_get (self, "train.roles");
  const cJSON *label = vs_project_get (self, "train.label");
  const cJSON *item;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (VsRoleOverride));

  g_return_val_if_fail (VS_IS_PROJECT (self), NULL);

  /* The recipe's own names ("sentence" = anchor), as the trainer reads them. */
  if (cJSON_IsObject (roles))
    cJSON_ArrayForEach (item, roles)
      {
        VsRoleOverride ov = { item->string, VS_ROLE_AUTO };

        if (cJSON_IsString (item) && vs_column_role_from_string (item->valuestring, &ov.role))
          g_array_append_val (out, ov);
      }
  if (cJSON_IsString (label))
    {
      VsRoleOverride ov = { label->valuestring, VS_ROLE_LABEL };
      g_array_append_val (out, ov);
    }
  *n_out = out->len;
  return (VsRoleOverride *) g_array_free (out, FALSE);
}

gboolean
vs_project_get_train_no_label (VsProject *self)
{
  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  return cJSON_IsNull (vs_project_get (self, "train.label"));
}

/* ---- GObject ---- */

static void
vs_project_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  VsProject *self = VS_PROJECT (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_string (value, self->file);
      break;

    case PROP_TITLE:
      g_value_take_string (value, vs_project_dup_title (self));
      break;

    case PROP_DIRTY:
      g_value_set_boolean (value, self->dirty);
      break;

    case PROP_VALID:
      g_value_set_boolean (value, vs_project_get_valid (self));
      break;

    case PROP_PROBLEMS:
      g_value_set_boxed (value, self->problems->pdata);
      break;

    case PROP_MODEL:
      g_value_set_boxed (value, self->model);
      break;

    case PROP_DATASET:
      g_value_set_boxed (value, self->dataset);
      break;

    case PROP_CASE_INFO:
      g_value_set_pointer (value, self->case_info);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_project_finalize (GObject *object)
{
  VsProject *self = VS_PROJECT (object);

  cJSON_Delete (self->document);
  g_free (self->file);
  g_free (self->base_dir);
  g_clear_pointer (&self->recipe, vs_recipe_free);
  g_ptr_array_unref (self->problems);
  g_ptr_array_unref (self->touched);
  g_clear_pointer (&self->model, vs_model_ref_unref);
  g_clear_pointer (&self->dataset, vs_dataset_ref_unref);
  g_clear_pointer (&self->case_info, vs_case_info_free);
  G_OBJECT_CLASS (vs_project_parent_class)->finalize (object);
}

static void
vs_project_class_init (VsProjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vs_project_finalize;
  object_class->get_property = vs_project_get_property;

  properties[PROP_FILE] =
    g_param_spec_string ("file", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_DIRTY] =
    g_param_spec_boolean ("dirty", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_PROBLEMS] =
    g_param_spec_boxed ("problems", NULL, NULL, G_TYPE_STRV,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_MODEL] =
    g_param_spec_boxed ("model", NULL, NULL, VS_TYPE_MODEL_REF,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_DATASET] =
    g_param_spec_boxed ("dataset", NULL, NULL, VS_TYPE_DATASET_REF,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_CASE_INFO] =
    g_param_spec_pointer ("case-info", NULL, NULL,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VsProject::changed:
   * @key: the top-level recipe key that changed, or NULL when the whole
   *   document was replaced (load)
   *
   * Emitted after every edit, detailed by the top-level key.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vs_project_init (VsProject *self)
{
  self->problems = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->problems, NULL);
  self->touched = g_ptr_array_new_with_free_func (g_free);
  self->document = cJSON_Parse (untitled_recipe);
  self->base_dir = g_get_current_dir ();
  revalidate (self);
}

gboolean
vs_project_export_script (VsProject   *self,
                          const char  *path,
                          GError     **error)
{
  const VsRecipe *recipe;

  g_return_val_if_fail (VS_IS_PROJECT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  recipe = vs_project_get_recipe (self);
  if (recipe == NULL)
    {
      const char *const *problems = vs_project_get_problems (self);

      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, _("The recipe has problems: %s"),
                   problems != NULL && problems[0] != NULL ? problems[0] : _("no project"));
      return FALSE;
    }
  return vs_recipe_export_script (recipe, path, error);
}
