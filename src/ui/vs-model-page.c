/* vs-model-page.c: the Model page of the workbench.
 *
 * Shows the project's "model": loads it on a worker whenever the key changes
 * (a folder or Hub id through vs_hub_resolve_model_with + vs_model_load, or
 * a new model through vs_model_new_from_modules), shares it through
 * vs_project_set_model, and shows what the engine says about it: its facts,
 * its module stack (editable for a new model; a loaded one takes layers on
 * top through {"path", "modules"}) and how its tokenizer splits a
 * sentence. A model that does not load shows the engine's message in the
 * banner and the previous model stays.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "hub/vs-hub.h"
#include "model/vs-model-info.h"
#include "model/vs-module-spec.h"
#include "vs-error.h"

#include "vs-model-page.h"
#include "vs-layout.h"
#include "vs-module-stack.h"
#include "vs-task.h"

struct _VsModelPage
{
  AdwBin         parent_instance;

  GtkScrolledWindow *scroller;
  GtkWidget     *modules_group;
  GtkWidget     *tokenize_group;
  GtkRevealer   *banner_revealer;
  GtkLabel      *banner_label;
  GtkWidget     *loading_box;
  GtkSpinner    *spinner;
  GtkLabel      *loading_label;
  GtkProgressBar *progress_bar;
  AdwEntryRow   *hub_search_row;
  GtkWidget     *hub_group;
  GtkLabel      *hub_status_label;
  GtkListBox    *hub_list;
  guint          search_generation;
  guint          n_hub_results;
  AdwExpanderRow *new_row;
  AdwComboRow   *arch_row;
  AdwComboRow   *preset_row;
  AdwEntryRow   *tokenizer_row;
  AdwActionRow  *source_row;
  AdwActionRow  *arch_fact_row;
  AdwActionRow  *layers_row;
  AdwActionRow  *hidden_row;
  AdwActionRow  *heads_row;
  AdwActionRow  *params_row;
  AdwActionRow  *vocab_row;
  AdwActionRow  *max_seq_row;
  AdwActionRow  *dim_row;
  AdwActionRow  *prompts_row;
  AdwActionRow  *license_row;
  AdwActionRow  *base_row;
  VsModuleStack *module_stack;
  AdwEntryRow   *tokenize_row;
  GtkLabel      *token_count_label;
  GtkFlowBox    *token_flow;
  GtkLabel      *token_ids_label;

  VsProject     *project;
  GCancellable  *cancellable;
  guint          generation;     /* of the load in flight; older results are dropped */
  gboolean       loading;
  char          *tokenizer_kind;
  VsModelCardFacts *card;
  gboolean       is_new;         /* the loaded model is the project's new one */
  cJSON         *base_modules;   /* a loaded model's own stack (without the layers on top) */
  char          *pulling_id;     /* the Hub model being pulled, or NULL */
  gboolean       saw_progress;   /* byte progress arrived during the last pull */
  gboolean       disposed;       /* callbacks after dispose touch no widget */
};

G_DEFINE_FINAL_TYPE (VsModelPage, vs_model_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- loading on a worker ----------------------------------------------- */

typedef struct
{
  guint     generation;
  char     *source;        /* folder or Hub id as resolved against the project; NULL: new */
  char     *display;       /* what the user wrote */
  char     *architecture, *preset, *tokenizer;
  cJSON    *modules;         /* model.modules (owned copy), or NULL: a new model's
                              * stack, or the layers on top of a loaded one */
  gint64    max_seq_length;  /* args.max_seq_length, or -1 */
} LoadRequest;

typedef struct
{
  guint             generation;
  VsModelRef       *ref;
  char             *tokenizer_kind;
  VsModelCardFacts *card;
  cJSON            *base;    /* a loaded model's own modules, before the layers on top */
} LoadResult;

static void
load_request_free (gpointer data)
{
  LoadRequest *req = data;

  g_free (req->source);
  g_free (req->display);
  g_free (req->architecture);
  g_free (req->preset);
  g_free (req->tokenizer);
  cJSON_Delete (req->modules);
  g_free (req);
}

static void
load_result_free (gpointer data)
{
  LoadResult *res = data;

  g_clear_pointer (&res->ref, vs_model_ref_unref);
  g_free (res->tokenizer_kind);
  vs_model_card_facts_free (res->card);
  cJSON_Delete (res->base);
  g_free (res);
}

static gpointer
load_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  LoadRequest *req = data;
  g_autoptr(VsHub) hub = vs_hub_new ();
  g_autoptr(VsModel) model = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *tok_dir = NULL;
  LoadResult *res;

  vs_hub_set_cancellable (hub, cancellable);
  vs_hub_set_progress (hub, vs_task_progress_bytes, task);

  res = g_new0 (LoadResult, 1);
  res->generation = req->generation;
  if (req->source != NULL)
    {
      dir = vs_hub_resolve_model_with (hub, req->source, error);
      if (dir == NULL)
        goto fail;
      model = vs_model_load (dir, error);
      if (model == NULL)
        goto fail;
      res->base = vs_model_dup_modules_json (model);
      /* {"path": …, "modules": […]}: the recipe's layers on top */
      if (req->modules != NULL && !vs_model_append_modules (model, req->modules, 42, error))
        goto fail;
      res->card = vs_model_card_facts_read (dir, NULL);
      res->tokenizer_kind = vs_tokenizer_kind_from_path (dir, NULL);
    }
  else
    {
      tok_dir = vs_hub_resolve_model_with (hub, req->tokenizer, error);
      if (tok_dir == NULL)
        goto fail;
      model = vs_model_new_from_modules (req->architecture, req->preset, tok_dir,
                                         req->modules, 42, error);
      if (model == NULL)
        goto fail;
      res->tokenizer_kind = vs_tokenizer_kind_from_path (tok_dir, NULL);
    }
  if (req->max_seq_length > 0)
    vs_model_set_max_seq_length (model, (gsize) req->max_seq_length);
  res->ref = vs_model_ref_new (g_steal_pointer (&model), req->display, dir);
  return res;

fail:
  load_result_free (res);
  return NULL;
}

static void
show_banner (VsModelPage *self,
             const char  *message)
{
  gtk_label_set_label (self->banner_label, message != NULL ? message : "");
  gtk_revealer_set_reveal_child (self->banner_revealer, message != NULL);
}

static void
set_loading (VsModelPage *self,
             gboolean     loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_widget_set_visible (self->loading_box, loading);
  gtk_spinner_set_spinning (self->spinner, loading);
  if (loading)
    gtk_label_set_label (self->loading_label, _("Loading the model…"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void update_facts (VsModelPage *self);

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VsModelPage) self = user_data;   /* the reference vs_task_run got */
  g_autoptr(GError) error = NULL;
  LoadResult *res = vs_task_finish (result, &error);

  (void) source;
  if (self->disposed)
    {
      /* The page went away meanwhile: its widgets are gone. */
      if (res != NULL)
        load_result_free (res);
      return;
    }
  if (res == NULL)
    {
      /* A cancelled load was replaced by a newer one (or the user stopped it). */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
        {
          set_loading (self, FALSE);
          show_banner (self, error->message);
        }
      else if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
        set_loading (self, FALSE);
      return;
    }
  if (res->generation != self->generation || self->project == NULL)
    {
      load_result_free (res);   /* the model key changed meanwhile */
      return;
    }
  set_loading (self, FALSE);
  show_banner (self, NULL);
  g_clear_pointer (&self->tokenizer_kind, g_free);
  self->tokenizer_kind = g_steal_pointer (&res->tokenizer_kind);
  g_clear_pointer (&self->card, vs_model_card_facts_free);
  self->card = g_steal_pointer (&res->card);
  self->is_new = vs_model_ref_get_dir (res->ref) == NULL;
  cJSON_Delete (self->base_modules);
  self->base_modules = g_steal_pointer (&res->base);
  vs_project_set_model (self->project, res->ref);
  load_result_free (res);
  update_facts (self);
}

static void
start_load (VsModelPage *self)
{
  const cJSON *node;
  LoadRequest *req;

  if (self->project == NULL)
    return;
  node = vs_project_get (self->project, "model");
  if (node == NULL)
    return;

  req = g_new0 (LoadRequest, 1);
  req->max_seq_length = vs_project_get_int (self->project, "args.max_seq_length", -1);
  if (cJSON_IsString (node))
    {
      req->source = vs_project_dup_resolved_path (self->project, "model");
      req->display = g_strdup (node->valuestring);
    }
  else if (cJSON_IsObject (node) && cJSON_IsString (cJSON_GetObjectItemCaseSensitive (node, "path")))
    {
      const cJSON *top = cJSON_GetObjectItemCaseSensitive (node, "modules");

      req->source = vs_project_dup_resolved_path (self->project, "model.path");
      req->display = g_strdup (cJSON_GetObjectItemCaseSensitive (node, "path")->valuestring);
      req->modules = top != NULL ? cJSON_Duplicate (top, TRUE) : NULL;
    }
  else if (cJSON_IsObject (node) && cJSON_GetObjectItemCaseSensitive (node, "new") != NULL)
    {
      const cJSON *modules = cJSON_GetObjectItemCaseSensitive (node, "modules");
      g_autoptr(GError) error = NULL;
      g_autofree gsize *dims = NULL;
      gsize n;

      /* The engine's rules first: an invalid stack is not built. */
      if (!vs_module_spec_dimensions (128, modules, &dims, &n, &error))
        {
          load_request_free (req);
          show_banner (self, error->message);
          return;
        }
      req->architecture = g_strdup (vs_project_get_string (self->project, "model.new.architecture"));
      req->preset = g_strdup (vs_project_get_string (self->project, "model.new.preset"));
      req->tokenizer = vs_project_dup_resolved_path (self->project, "model.new.tokenizer");
      req->modules = modules != NULL ? cJSON_Duplicate (modules, TRUE) : NULL;
      if (req->architecture == NULL || req->preset == NULL || req->tokenizer == NULL)
        {
          load_request_free (req);
          show_banner (self, _("model.new: needs an architecture, a preset and a tokenizer"));
          return;
        }
    }
  else
    {
      load_request_free (req);
      show_banner (self, _("model: expected a folder, a Hub id or a new model"));
      return;
    }

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  req->generation = ++self->generation;
  set_loading (self, TRUE);
  /* No source object: vs_task_finish checks g_task_is_valid (result, NULL),
   * which only holds for a task without one; the page is kept alive by the
   * reference passed as user_data instead. */
  vs_task_run (NULL, load_worker, req, load_request_free, load_result_free,
               self->cancellable, NULL, on_loaded, g_object_ref (self));
}

static void
on_cancel_clicked (VsModelPage *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  self->generation++;
  g_clear_pointer (&self->pulling_id, g_free);
  set_loading (self, FALSE);
}

/* ---- facts -------------------------------------------------------------- */

static void
set_fact (AdwActionRow *row,
          const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL ? text : "");
}

static void
set_fact_size (AdwActionRow *row,
               guint64       value)
{
  g_autofree char *text = g_strdup_printf ("%'" G_GUINT64_FORMAT, value);
  set_fact (row, text);
}

static void
update_tokens (VsModelPage *self)
{
  VsModelRef *ref = self->project != NULL ? vs_project_get_model (self->project) : NULL;
  VsTokenizer *tok = ref != NULL ? vs_model_get_tokenizer (vs_model_ref_get_model (ref)) : NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->tokenize_row));
  g_autoptr(VsEncoding) enc = NULL;
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autofree char *count = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->token_flow))) != NULL)
    gtk_flow_box_remove (self->token_flow, child);
  if (tok == NULL || text[0] == '\0')
    {
      gtk_label_set_label (self->token_count_label,
                           tok == NULL && ref != NULL ? _("This model has no tokenizer") : "");
      gtk_label_set_label (self->token_ids_label, "");
      return;
    }

  enc = vs_tokenizer_encode (tok, text, NULL, TRUE, 0);
  for (gsize i = 0; i < enc->n_tokens; i++)
    {
      GtkWidget *chip = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
      GtkWidget *label = gtk_label_new (enc->tokens[i]);

      gtk_widget_add_css_class (chip, "card");
      gtk_widget_add_css_class (label, "monospace");
      if (enc->special_tokens_mask[i])
        gtk_widget_add_css_class (label, "dim-label");
      g_object_set (label, "margin-top", 3, "margin-bottom", 3, "margin-start", 6, "margin-end", 6, NULL);
      gtk_box_append (GTK_BOX (chip), label);
      gtk_flow_box_append (self->token_flow, chip);
      g_string_append_printf (ids, "%s%u", i > 0 ? " " : "", enc->ids[i]);
    }
  /* Translators: the number of tokens a sentence was split into */
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%zu token", "%zu tokens", enc->n_tokens), enc->n_tokens);
  gtk_label_set_label (self->token_count_label, count);
  gtk_label_set_label (self->token_ids_label, ids->str);
}

static void
on_tokenize_changed (VsModelPage *self)
{
  update_tokens (self);
}

static const char *
arch_title (const char *model_type)
{
  static const struct { const char *type, *title; } titles[] = {
    { "bert", "BERT" }, { "roberta", "RoBERTa" }, { "xlm-roberta", "XLM-RoBERTa" },
    { "distilbert", "DistilBERT" }, { "mpnet", "MPNet" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (model_type, titles[i].type) == 0)
      return titles[i].title;
  return model_type;
}

static void
update_stack (VsModelPage *self)
{
  VsModelRef *ref = self->project != NULL ? vs_project_get_model (self->project) : NULL;
  const cJSON *node = self->project != NULL ? vs_project_get (self->project, "model") : NULL;
  VsModel *model;

  if (ref == NULL)
    {
      vs_module_stack_clear (self->module_stack);
      return;
    }
  model = vs_model_ref_get_model (ref);
  vs_module_stack_set_max_seq_length (self->module_stack, vs_model_get_max_seq_length (model));
  if (self->is_new && cJSON_IsObject (node))
    vs_module_stack_set_modules (self->module_stack, arch_title (vs_model_get_model_type (model)),
                                 vs_model_get_hidden_size (model),
                                 cJSON_GetObjectItemCaseSensitive (node, "modules"), TRUE);
  else
    {
      /* A loaded model: its own stack fixed, the recipe's layers on top
       * ({"path": …, "modules": […]}) editable. */
      const cJSON *top = cJSON_IsObject (node) ? cJSON_GetObjectItemCaseSensitive (node, "modules") : NULL;
      cJSON *own = self->base_modules != NULL ? NULL : vs_model_dup_modules_json (model);

      vs_module_stack_set_modules_on_top (self->module_stack, arch_title (vs_model_get_model_type (model)),
                                          vs_model_get_hidden_size (model),
                                          own != NULL ? own : self->base_modules, top);
      cJSON_Delete (own);
    }
}

static void
update_facts (VsModelPage *self)
{
  VsModelRef *ref = self->project != NULL ? vs_project_get_model (self->project) : NULL;
  static const char *const prompt_names[] = { "query", "document", "passage", "corpus", "classification", "clustering", NULL };
  g_autoptr(GString) prompts = g_string_new (NULL);
  VsModel *model;
  VsTokenizer *tok;
  g_autofree char *vocab = NULL;
  g_autofree char *source = NULL;

  if (ref == NULL)
    {
      update_stack (self);
      update_tokens (self);
      return;
    }
  model = vs_model_ref_get_model (ref);
  tok = vs_model_get_tokenizer (model);

  if (vs_model_ref_get_dir (ref) == NULL)
    source = g_strdup (_("New model"));
  else if (g_strcmp0 (vs_model_ref_get_source (ref), vs_model_ref_get_dir (ref)) == 0)
    source = g_strdup (vs_model_ref_get_dir (ref));
  else
    source = g_strdup_printf ("%s (%s)", vs_model_ref_get_source (ref), vs_model_ref_get_dir (ref));
  set_fact (self->source_row, source);
  set_fact (self->arch_fact_row, arch_title (vs_model_get_model_type (model)));
  set_fact_size (self->layers_row, vs_model_get_n_layers (model));
  set_fact_size (self->hidden_row, vs_model_get_hidden_size (model));
  set_fact_size (self->heads_row, vs_model_get_n_heads (model));
  set_fact_size (self->params_row, vs_model_count_parameters (model));
  if (tok != NULL)
    {
      /* Translators: vocabulary size and tokenizer kind, e.g. "30,522 tokens, WordPiece" */
      vocab = g_strdup_printf (_("%'zu tokens, %s"), vs_tokenizer_get_vocab_size (tok),
                               self->tokenizer_kind != NULL ? self->tokenizer_kind : _("unknown kind"));
      set_fact (self->vocab_row, vocab);
    }
  else
    set_fact (self->vocab_row, _("No tokenizer in this folder"));
  set_fact_size (self->max_seq_row, vs_model_get_max_seq_length (model));
  set_fact_size (self->dim_row, vs_model_get_dimension (model));
  for (guint i = 0; prompt_names[i] != NULL; i++)
    {
      const char *p = vs_model_get_prompt (model, prompt_names[i]);

      if (p != NULL && p[0] != '\0')
        g_string_append_printf (prompts, "%s%s: “%s”", prompts->len > 0 ? "; " : "", prompt_names[i], p);
    }
  set_fact (self->prompts_row, prompts->len > 0 ? prompts->str : _("None"));
  set_fact (self->license_row, self->card != NULL && self->card->license != NULL ? self->card->license : _("Not stated"));
  if (self->card != NULL && self->card->base_models[0] != NULL)
    {
      g_autofree char *bases = g_strjoinv (", ", self->card->base_models);
      set_fact (self->base_row, bases);
    }
  else
    set_fact (self->base_row, _("Not stated"));

  update_stack (self);
  update_tokens (self);
}

/* ---- starting points ---------------------------------------------------- */

static void
sync_new_rows (VsModelPage *self)
{
  const char *arch = vs_project_get_string (self->project, "model.new.architecture");
  const char *preset = vs_project_get_string (self->project, "model.new.preset");
  const char *tok = vs_project_get_string (self->project, "model.new.tokenizer");
  static const char *const archs[] = { "bert", "roberta", "xlm-roberta", "distilbert", "mpnet" };
  static const char *const presets[] = { "tiny", "small", "mini", "base" };

  for (guint i = 0; i < G_N_ELEMENTS (archs); i++)
    if (g_strcmp0 (arch, archs[i]) == 0)
      adw_combo_row_set_selected (self->arch_row, i);
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (preset, presets[i]) == 0)
      adw_combo_row_set_selected (self->preset_row, i);
  if (tok != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->tokenizer_row), tok);
}

static void
on_project_changed (VsProject  *project,
                    const char *key,
                    VsModelPage *self)
{
  (void) project;
  if (key != NULL && g_strcmp0 (key, "model") != 0 && g_strcmp0 (key, "args") != 0)
    return;
  if (g_strcmp0 (key, "args") == 0)
    {
      /* Only the maximum sequence length of a new model depends on args. */
      VsModelRef *ref = vs_project_get_model (self->project);
      gint64 wanted = vs_project_get_int (self->project, "args.max_seq_length", -1);

      if (!self->is_new || ref == NULL || wanted <= 0
          || (gsize) wanted == vs_model_get_max_seq_length (vs_model_ref_get_model (ref)))
        return;
    }
  if (key == NULL)
    sync_new_rows (self);
  start_load (self);
}

static void
on_model_notify (VsProject   *project,
                 GParamSpec  *pspec,
                 VsModelPage *self)
{
  (void) project;
  (void) pspec;
  update_facts (self);
}

static void
on_modules_changed (VsModelPage *self,
                    const cJSON *modules)
{
  const cJSON *node;
  const char *path;
  cJSON *value;

  if (self->project == NULL)
    return;
  node = vs_project_get (self->project, "model");
  if (self->is_new || cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (node, "new")))
    {
      vs_project_set (self->project, "model.modules", cJSON_Duplicate (modules, TRUE));
      return;
    }
  /* A loaded model: the layers on top go to {"path": …, "modules": […]};
   * none left, the plain folder or Hub id again. */
  path = cJSON_IsString (node) ? node->valuestring
         : cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (node, "path"));
  if (path == NULL)
    return;
  if (cJSON_GetArraySize (modules) == 0)
    value = cJSON_CreateString (path);
  else
    {
      value = cJSON_CreateObject ();
      cJSON_AddStringToObject (value, "path", path);
      cJSON_AddItemToObject (value, "modules", cJSON_Duplicate (modules, TRUE));
    }
  vs_project_set (self->project, "model", value);
}

static void
on_max_seq_length_changed (VsModelPage *self,
                           guint        value)
{
  if (self->project != NULL)
    vs_project_set_int (self->project, "args.max_seq_length", value);
}

static void
on_create_clicked (VsModelPage *self)
{
  static const char *const archs[] = { "bert", "roberta", "xlm-roberta", "distilbert", "mpnet" };
  static const char *const presets[] = { "tiny", "small", "mini", "base" };
  const char *tok = gtk_editable_get_text (GTK_EDITABLE (self->tokenizer_row));
  guint a = adw_combo_row_get_selected (self->arch_row);
  guint p = adw_combo_row_get_selected (self->preset_row);
  cJSON *model, *nw, *modules, *pooling;

  if (self->project == NULL || a >= G_N_ELEMENTS (archs) || p >= G_N_ELEMENTS (presets))
    return;
  if (tok[0] == '\0')
    {
      show_banner (self, _("model.new.tokenizer: choose a tokenizer folder or Hub id"));
      return;
    }
  model = cJSON_CreateObject ();
  nw = cJSON_AddObjectToObject (model, "new");
  cJSON_AddStringToObject (nw, "architecture", archs[a]);
  cJSON_AddStringToObject (nw, "preset", presets[p]);
  cJSON_AddStringToObject (nw, "tokenizer", tok);
  modules = cJSON_AddArrayToObject (model, "modules");
  pooling = cJSON_CreateObject ();
  cJSON_AddStringToObject (pooling, "type", "pooling");
  cJSON_AddStringToObject (pooling, "mode", "mean");
  cJSON_AddItemToArray (modules, pooling);
  vs_project_set (self->project, "model", model);
}

void
vs_model_page_new_model (VsModelPage *self,
                         const char  *architecture,
                         const char  *preset,
                         const char  *tokenizer)
{
  static const char *const archs[] = { "bert", "roberta", "xlm-roberta", "distilbert", "mpnet" };
  static const char *const presets[] = { "tiny", "small", "mini", "base" };

  g_return_if_fail (VS_IS_MODEL_PAGE (self));

  for (guint i = 0; i < G_N_ELEMENTS (archs); i++)
    if (g_strcmp0 (architecture, archs[i]) == 0)
      adw_combo_row_set_selected (self->arch_row, i);
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (preset, presets[i]) == 0)
      adw_combo_row_set_selected (self->preset_row, i);
  gtk_editable_set_text (GTK_EDITABLE (self->tokenizer_row), tokenizer);
  adw_expander_row_set_expanded (self->new_row, TRUE);
  on_create_clicked (self);
}

void
vs_model_page_open_folder (VsModelPage *self,
                           const char  *path)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));
  g_return_if_fail (path != NULL);

  if (self->project != NULL)
    vs_project_set_string (self->project, "model", path);
}

static void
on_folder_chosen (GtkNativeDialog *dialog,
                  int              response,
                  VsModelPage     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        vs_model_page_open_folder (self, path);
    }
  g_object_unref (dialog);
}

static void
on_open_folder_clicked (VsModelPage *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Open a Model Folder"),
                                        GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_folder_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         VsModelPage   *self)
{
  GFile *file;
  g_autofree char *path = NULL;

  (void) target;
  (void) x;
  (void) y;
  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  file = g_value_get_object (value);
  path = g_file_get_path (file);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      show_banner (self, _("Drop a model folder here"));
      return FALSE;
    }
  vs_model_page_open_folder (self, path);
  return TRUE;
}

static void
on_banner_close_clicked (VsModelPage *self)
{
  show_banner (self, NULL);
}

/* ---- the Hub ------------------------------------------------------------ */

typedef struct
{
  guint  generation;
  char  *query;
} SearchRequest;

static void
search_request_free (gpointer data)
{
  SearchRequest *req = data;
  g_free (req->query);
  g_free (req);
}

static gpointer
search_worker (VsTask        *task,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  SearchRequest *req = data;
  g_autoptr(VsHub) hub = vs_hub_new ();

  (void) task;
  vs_hub_set_cancellable (hub, cancellable);
  return vs_hub_search (hub, VS_HUB_REPO_MODEL, req->query, NULL, 20, error);
}

static void on_use_clicked (GtkButton *button, VsModelPage *self);

static GtkWidget *
hub_result_row (VsModelPage *self,
                const cJSON *repo)
{
  const char *id = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (repo, "id"));
  const cJSON *downloads = cJSON_GetObjectItemCaseSensitive (repo, "downloads");
  const cJSON *likes = cJSON_GetObjectItemCaseSensitive (repo, "likes");
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive (repo, "tags");
  const char *modified = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (repo, "lastModified"));
  g_autoptr(GString) sub = g_string_new (NULL);
  g_autofree char *use_name = NULL;
  GtkWidget *row, *button;
  const cJSON *t;
  guint n_tags = 0;

  if (id == NULL)
    return NULL;
  /* Translators: Hub search result details: downloads and likes counts */
  g_string_append_printf (sub, _("%'.0f downloads · %'.0f likes"),
                          cJSON_IsNumber (downloads) ? downloads->valuedouble : 0,
                          cJSON_IsNumber (likes) ? likes->valuedouble : 0);
  if (modified != NULL)
    /* Translators: %s is a date, e.g. 2024-01-05 */
    g_string_append_printf (sub, _(" · modified %.10s"), modified);
  cJSON_ArrayForEach (t, tags)
    if (cJSON_IsString (t) && n_tags++ < 4)
      g_string_append_printf (sub, "%s%s", n_tags == 1 ? "\n" : ", ", t->valuestring);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), id);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub->str);
  button = gtk_button_new_with_mnemonic (_("_Use"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  /* Translators: accessible name of the button that pulls a Hub model, %s its id */
  use_name = g_strdup_printf (_("Use %s"), id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, use_name, -1);
  g_object_set_data_full (G_OBJECT (button), "vs-repo-id", g_strdup (id), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_use_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

typedef struct
{
  VsModelPage *page;        /* a reference */
  guint        generation;
} SearchCall;

static void
on_searched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SearchCall *call = user_data;
  g_autoptr(VsModelPage) self = call->page;
  guint generation = call->generation;
  g_autoptr(GError) error = NULL;
  cJSON *repos = vs_task_finish (result, &error);
  const cJSON *repo;
  GtkWidget *child;

  (void) source;
  g_free (call);
  if (self->disposed || generation != self->search_generation)
    {
      cJSON_Delete (repos);   /* an older search answered after a newer one started */
      return;
    }
  gtk_widget_set_visible (self->hub_group, TRUE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->hub_list))) != NULL)
    gtk_list_box_remove (self->hub_list, child);
  self->n_hub_results = 0;
  if (repos == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->hub_status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->hub_status_label), "error");
  if (repos == NULL)
    {
      gtk_label_set_label (self->hub_status_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->hub_list), FALSE);
      return;
    }
  cJSON_ArrayForEach (repo, repos)
    {
      GtkWidget *row = hub_result_row (self, repo);

      if (row != NULL)
        {
          gtk_list_box_append (self->hub_list, row);
          self->n_hub_results++;
        }
    }
  cJSON_Delete (repos);
  {
    /* Translators: the number of Hub search results */
    g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u model found", "%u models found",
                                                          self->n_hub_results), self->n_hub_results);
    gtk_label_set_label (self->hub_status_label, text);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->hub_list), self->n_hub_results > 0);
}

static void
on_hub_search (VsModelPage *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->hub_search_row));
  SearchRequest *req = g_new0 (SearchRequest, 1);
  SearchCall *call = g_new0 (SearchCall, 1);

  req->query = g_strdup (query);
  req->generation = ++self->search_generation;
  gtk_widget_set_visible (self->hub_group, TRUE);
  gtk_label_set_label (self->hub_status_label, _("Searching…"));
  call->page = g_object_ref (self);
  call->generation = req->generation;
  vs_task_run (NULL, search_worker, req, search_request_free, (GDestroyNotify) cJSON_Delete,
               NULL, NULL, on_searched, call);
}

/* The pull's user data (progress and result, on the main context; progress
 * is dispatched before the result, which frees it). */
typedef struct
{
  VsModelPage *page;        /* a reference */
  guint        generation;
} PullCall;

static gpointer
pull_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(VsHub) hub = vs_hub_new ();

  vs_hub_set_cancellable (hub, cancellable);
  vs_hub_set_progress (hub, vs_task_progress_bytes, task);
  return vs_hub_resolve_model_with (hub, data, error);
}

static void
on_pull_progress (double      fraction,
                  const char *text,
                  gpointer    user_data)
{
  PullCall *call = user_data;
  VsModelPage *self = call->page;

  if (self->disposed || call->generation != self->generation)
    return;

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  self->saw_progress = TRUE;
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  else
    gtk_progress_bar_pulse (self->progress_bar);
  if (text != NULL)
    gtk_label_set_label (self->loading_label, text);
}

static void
on_pulled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  PullCall *call = user_data;
  g_autoptr(VsModelPage) self = call->page;
  guint generation = call->generation;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = vs_task_finish (result, &error);

  (void) source;
  g_free (call);
  if (self->disposed || generation != self->generation)
    return;   /* the page went away, or the pull was cancelled or replaced */
  set_loading (self, FALSE);
  if (dir == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED))
        show_banner (self, error->message);
      g_clear_pointer (&self->pulling_id, g_free);
      return;
    }
  if (self->project != NULL && self->pulling_id != NULL)
    {
      /* The same id again changes nothing in the document: load it here. */
      if (g_strcmp0 (vs_project_get_string (self->project, "model"), self->pulling_id) == 0)
        start_load (self);
      else
        vs_project_set_string (self->project, "model", self->pulling_id);
    }
  g_clear_pointer (&self->pulling_id, g_free);
}

void
vs_model_page_use_hub_model (VsModelPage *self,
                             const char  *id)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));
  g_return_if_fail (id != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->generation++;
  g_free (self->pulling_id);
  self->pulling_id = g_strdup (id);
  self->saw_progress = FALSE;
  set_loading (self, TRUE);
  {
    /* Translators: %s is a Hub model id */
    g_autofree char *text = g_strdup_printf (_("Downloading %s…"), id);
    gtk_label_set_label (self->loading_label, text);
  }
  show_banner (self, NULL);
  {
    PullCall *call = g_new0 (PullCall, 1);

    call->page = g_object_ref (self);
    call->generation = self->generation;
    vs_task_run (NULL, pull_worker, g_strdup (id), g_free, g_free,
                 self->cancellable, on_pull_progress, on_pulled, call);
  }
}

static void
on_use_clicked (GtkButton   *button,
                VsModelPage *self)
{
  vs_model_page_use_hub_model (self, g_object_get_data (G_OBJECT (button), "vs-repo-id"));
}

void
vs_model_page_cancel (VsModelPage *self)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));
  on_cancel_clicked (self);
}

void
vs_model_page_search_hub (VsModelPage *self,
                          const char  *query)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->hub_search_row), query);
  on_hub_search (self);
}

guint
vs_model_page_get_n_hub_results (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), 0);
  return self->n_hub_results;
}

gboolean
vs_model_page_get_saw_pull_progress (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), FALSE);
  return self->saw_progress;
}

const char *
vs_model_page_get_hub_status (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  return gtk_label_get_label (self->hub_status_label);
}

/* ---- the project -------------------------------------------------------- */

VsProject *
vs_model_page_get_project (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  return self->project;
}

void
vs_model_page_set_project (VsModelPage *self,
                           VsProject  *project)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      g_signal_connect (project, "changed", G_CALLBACK (on_project_changed), self);
      g_signal_connect (project, "notify::model", G_CALLBACK (on_model_notify), self);
      sync_new_rows (self);
      start_load (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

gboolean
vs_model_page_get_loading (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), FALSE);
  return self->loading;
}

const char *
vs_model_page_get_banner_message (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  if (!gtk_revealer_get_reveal_child (self->banner_revealer))
    return NULL;
  return gtk_label_get_label (self->banner_label);
}

const char *
vs_model_page_get_fact (VsModelPage *self,
                        const char  *name)
{
  struct { const char *name; AdwActionRow *row; } rows[] = {
    { "source", self->source_row }, { "architecture", self->arch_fact_row },
    { "layers", self->layers_row }, { "hidden-size", self->hidden_row },
    { "heads", self->heads_row }, { "parameters", self->params_row },
    { "vocabulary", self->vocab_row }, { "max-seq-length", self->max_seq_row },
    { "dimension", self->dim_row }, { "prompts", self->prompts_row },
    { "license", self->license_row }, { "base-model", self->base_row },
  };

  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (g_strcmp0 (rows[i].name, name) == 0)
      return adw_action_row_get_subtitle (rows[i].row);
  return NULL;
}

VsModuleStack *
vs_model_page_get_module_stack (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  return self->module_stack;
}

void
vs_model_page_tokenize (VsModelPage *self,
                        const char  *text)
{
  g_return_if_fail (VS_IS_MODEL_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->tokenize_row), text);
}

const char *
vs_model_page_get_token_count_label (VsModelPage *self)
{
  g_return_val_if_fail (VS_IS_MODEL_PAGE (self), NULL);
  return gtk_label_get_label (self->token_count_label);
}

void
vs_model_page_scroll_to (VsModelPage *self,
                         const char  *section)
{
  GtkWidget *target = NULL;

  g_return_if_fail (VS_IS_MODEL_PAGE (self));

  if (g_strcmp0 (section, "modules") == 0)
    target = self->modules_group;
  else if (g_strcmp0 (section, "tokenize") == 0)
    target = self->tokenize_group;
  vs_scroll_to_widget (self->scroller, target);
}

static void
vs_model_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VsModelPage *self = VS_MODEL_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_model_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_model_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VsModelPage *self = VS_MODEL_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_model_page_dispose (GObject *object)
{
  VsModelPage *self = VS_MODEL_PAGE (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (vs_model_page_parent_class)->dispose (object);
}

static void
vs_model_page_finalize (GObject *object)
{
  VsModelPage *self = VS_MODEL_PAGE (object);

  g_free (self->tokenizer_kind);
  cJSON_Delete (self->base_modules);
  g_free (self->pulling_id);
  vs_model_card_facts_free (self->card);
  G_OBJECT_CLASS (vs_model_page_parent_class)->finalize (object);
}

static void
vs_model_page_class_init (VsModelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_model_page_dispose;
  object_class->finalize = vs_model_page_finalize;
  object_class->get_property = vs_model_page_get_property;
  object_class->set_property = vs_model_page_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VS_TYPE_MODULE_STACK);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-model-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, VsModelPage, name)
  BIND (scroller);
  BIND (modules_group);
  BIND (tokenize_group);
  BIND (banner_revealer);
  BIND (banner_label);
  BIND (loading_box);
  BIND (spinner);
  BIND (loading_label);
  BIND (progress_bar);
  BIND (hub_search_row);
  BIND (hub_group);
  BIND (hub_status_label);
  BIND (hub_list);
  BIND (new_row);
  BIND (arch_row);
  BIND (preset_row);
  BIND (tokenizer_row);
  BIND (source_row);
  BIND (arch_fact_row);
  BIND (layers_row);
  BIND (hidden_row);
  BIND (heads_row);
  BIND (params_row);
  BIND (vocab_row);
  BIND (max_seq_row);
  BIND (dim_row);
  BIND (prompts_row);
  BIND (license_row);
  BIND (base_row);
  BIND (module_stack);
  BIND (tokenize_row);
  BIND (token_count_label);
  BIND (token_flow);
  BIND (token_ids_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_banner_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_modules_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_tokenize_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_hub_search);
  gtk_widget_class_bind_template_callback (widget_class, on_max_seq_length_changed);
}

static void
vs_model_page_init (VsModelPage *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));

  drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
