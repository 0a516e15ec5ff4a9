/* vs-loss-page.c: the Loss page of the workbench. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "eval/vs-evaluator-suggest.h"
#include "loss/vs-loss.h"
#include "loss/vs-loss-explain.h"

#include "vs-loss-page.h"

typedef struct
{
  VsLossPage            *page;
  const VsLossParamInfo *param;
  GtkWidget             *row;
  GtkWidget             *editor;
} ParamRow;

struct _VsLossPage
{
  AdwBin        parent_instance;

  VsProject    *project;
  gulong        handlers[6];

  GtkRevealer  *refusal_revealer;
  GtkLabel     *refusal_label;
  GtkLabel     *chosen_label;
  GtkLabel     *explain_label;
  GtkLabel     *hint_label;
  AdwPreferencesGroup *params_group;
  GtkListBox   *params_list;
  GtkLabel     *param_error_label;
  GtkSwitch    *matryoshka_switch;
  AdwEntryRow  *dims_row;
  AdwEntryRow  *weights_row;
  GtkLabel     *note_label;
  GtkListBox   *loss_list;
  AdwActionRow *evaluator_row;
  AdwActionRow *suggest_row;
  GtkButton    *suggest_button;
  AdwActionRow *eval_data_row;
  AdwPreferencesGroup *problems_group;
  GtkLabel     *problems_label;

  GPtrArray    *param_rows;   /* ParamRow */
  char         *form_key;     /* "NAME" the form was built for */
  cJSON        *suggestion;   /* evaluator config suggested for the case, or NULL */
  gboolean      updating;
};

G_DEFINE_FINAL_TYPE (VsLossPage, vs_loss_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void refresh_all (VsLossPage *self);

/* ---- reading the project ---------------------------------------------- */

static gboolean
is_wrapped (VsLossPage *self)
{
  const char *name = vs_project_get_string (self->project, "loss.name");

  return g_strcmp0 (name, "MatryoshkaLoss") == 0;
}

/* The chosen loss, the inner one when wrapped in MatryoshkaLoss. */
static const char *
get_chosen (VsLossPage *self)
{
  const cJSON *loss;

  if (self->project == NULL)
    return NULL;
  loss = vs_project_get (self->project, "loss");
  if (cJSON_IsString (loss))
    return loss->valuestring;   /* "loss": "NAME" */
  if (is_wrapped (self))
    {
      const cJSON *inner = vs_project_get (self->project, "loss.params.loss");

      if (cJSON_IsString (inner))
        return inner->valuestring;
      return vs_project_get_string (self->project, "loss.params.loss.name");
    }
  return vs_project_get_string (self->project, "loss.name");
}

static const char *
params_prefix (VsLossPage *self)
{
  return is_wrapped (self) ? "loss.params.loss.params" : "loss.params";
}

static guint
get_batch_size (VsLossPage *self)
{
  gint64 b = vs_project_get_int (self->project, "args.batch_size", 8);

  return b > 0 && b < G_MAXUINT ? (guint) b : 8;
}

static const VsLossFit *
find_fit (const VsCaseInfo *info,
          const char       *name)
{
  if (info == NULL || name == NULL)
    return NULL;
  for (guint i = 0; i < info->n_losses; i++)
    if (g_strcmp0 (info->losses[i].name, name) == 0)
      return &info->losses[i];
  return NULL;
}

static void
add_toast (VsLossPage *self,
           const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
show_refusal (VsLossPage *self,
              const char *text)
{
  gtk_label_set_text (self->refusal_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->refusal_revealer, text != NULL);
}

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

/* ---- choosing a loss --------------------------------------------------- */

static void
set_matryoshka (VsLossPage *self,
                gboolean    on)
{
  const cJSON *loss = vs_project_get (self->project, "loss");
  cJSON *value;

  if (on == is_wrapped (self))
    return;
  if (cJSON_IsString (loss))
    {
      cJSON *obj = cJSON_CreateObject ();

      cJSON_AddStringToObject (obj, "name", loss->valuestring);
      cJSON_AddItemToObject (obj, "params", cJSON_CreateObject ());
      vs_project_set (self->project, "loss", obj);
      loss = vs_project_get (self->project, "loss");
    }
  if (!cJSON_IsObject (loss))
    return;

  if (on)
    {
      cJSON *params = cJSON_CreateObject ();
      cJSON *dims;
      VsModelRef *model = vs_project_get_model (self->project);
      gsize dim = model != NULL ? vs_model_get_dimension (vs_model_ref_get_model (model)) : 0;

      cJSON_AddItemToObject (params, "loss", cJSON_Duplicate (loss, TRUE));
      dims = cJSON_AddArrayToObject (params, "matryoshka_dims");
      if (dim >= 8)
        {
          cJSON_AddItemToArray (dims, cJSON_CreateNumber ((double) dim));
          cJSON_AddItemToArray (dims, cJSON_CreateNumber ((double) (dim / 2)));
          cJSON_AddItemToArray (dims, cJSON_CreateNumber ((double) (dim / 4)));
        }
      else
        {
          static const int defaults[] = { 768, 512, 256, 128, 64 };
          for (guint i = 0; i < G_N_ELEMENTS (defaults); i++)
            cJSON_AddItemToArray (dims, cJSON_CreateNumber (defaults[i]));
        }
      cJSON_AddNullToObject (params, "matryoshka_weights");
      value = cJSON_CreateObject ();
      cJSON_AddStringToObject (value, "name", "MatryoshkaLoss");
      cJSON_AddItemToObject (value, "params", params);
    }
  else
    {
      const cJSON *inner = vs_project_get (self->project, "loss.params.loss");

      value = cJSON_CreateObject ();
      if (cJSON_IsString (inner))
        {
          cJSON_AddStringToObject (value, "name", inner->valuestring);
          cJSON_AddItemToObject (value, "params", cJSON_CreateObject ());
        }
      else if (cJSON_IsObject (inner))
        {
          cJSON_Delete (value);
          value = cJSON_Duplicate (inner, TRUE);
        }
      else
        cJSON_AddStringToObject (value, "name", "CoSENTLoss");
      if (!cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (value, "params")))
        {
          cJSON_DeleteItemFromObjectCaseSensitive (value, "params");
          cJSON_AddItemToObject (value, "params", cJSON_CreateObject ());
        }
    }
  vs_project_set (self->project, "loss", value);
}

static void
choose_loss (VsLossPage *self,
             const char *name)
{
  const VsLossInfo *info = vs_loss_registry_lookup (name);
  const VsCaseInfo *ci = vs_project_get_case_info (self->project);
  const VsLossFit *fit = find_fit (ci, name);
  cJSON *value;

  if (info == NULL)
    return;

  if (fit != NULL && !fit->compatible)
    {
      /* Translators: %s is a loss name, then the engine's reason. */
      g_autofree char *text = g_strdup_printf (_("%s does not fit this dataset: %s"), name, fit->reason);
      show_refusal (self, text);
      add_toast (self, text);
      return;
    }
  show_refusal (self, NULL);

  if (info->is_wrapper)
    {
      gtk_switch_set_active (self->matryoshka_switch, TRUE);
      return;
    }

  value = cJSON_CreateObject ();
  cJSON_AddStringToObject (value, "name", name);
  cJSON_AddItemToObject (value, "params", cJSON_CreateObject ());
  if (is_wrapped (self))
    {
      const cJSON *params = vs_project_get (self->project, "loss.params");
      cJSON *wrapper = cJSON_Duplicate (params, TRUE);

      cJSON_DeleteItemFromObjectCaseSensitive (wrapper, "loss");
      cJSON_AddItemToObject (wrapper, "loss", value);
      value = cJSON_CreateObject ();
      cJSON_AddStringToObject (value, "name", "MatryoshkaLoss");
      cJSON_AddItemToObject (value, "params", wrapper);
    }
  vs_project_set (self->project, "loss", value);
}

static void
on_loss_row_activated (VsLossPage    *self,
                       GtkListBoxRow *row)
{
  const char *name = g_object_get_data (G_OBJECT (row), "loss-name");

  if (name != NULL && self->project != NULL)
    choose_loss (self, name);
}

/* ---- the rows of losses ------------------------------------------------ */

static void
on_row_action (GtkWidget     *row,
               GVariant      *parameter,
               GSimpleAction *action)
{
  (void) parameter;
  (void) action;
  gtk_widget_activate (row);
}

static void
add_loss_row (VsLossPage       *self,
              const VsLossInfo *info,
              const VsLossFit  *fit,
              const char       *chosen)
{
  GtkWidget *row = adw_action_row_new ();
  g_autoptr(GString) sub = g_string_new (info->description);
  gboolean dimmed = fit != NULL && !fit->compatible;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->name);
  /* Translators: %s lists the columns a loss takes, e.g. "(anchor, positive)". */
  g_string_append_c (sub, '\n');
  g_string_append_printf (sub, _("Columns: %s"), info->columns_help);
  /* A compatible loss's reason often restates the description. */
  if (fit != NULL && fit->reason != NULL
      && !(fit->compatible && g_str_has_prefix (fit->reason, info->description)))
    {
      g_string_append_c (sub, '\n');
      g_string_append (sub, fit->reason);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub->str);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, info->name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, sub->str,
                                  -1);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  {
    /* GTK 4.8 gives a list box row no AT-SPI action (and no GrabFocus), so
     * a screen reader could not choose a loss: the row's "row.activate"
     * action, which AT-SPI lists, does what a click or Enter does. */
    g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
    g_autoptr(GSimpleAction) activate = g_simple_action_new ("activate", NULL);

    g_signal_connect_object (activate, "activate", G_CALLBACK (on_row_action), row, G_CONNECT_SWAPPED);
    g_action_map_add_action (G_ACTION_MAP (group), G_ACTION (activate));
    gtk_widget_insert_action_group (row, "row", G_ACTION_GROUP (group));
  }
  if (dimmed)
    gtk_widget_add_css_class (row, "dim-label");
  if (g_strcmp0 (chosen, info->name) == 0 || (info->is_wrapper && is_wrapped (self)))
    {
      GtkWidget *label = gtk_label_new (_("Chosen"));

      gtk_widget_add_css_class (label, "accent");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  g_object_set_data_full (G_OBJECT (row), "loss-name", g_strdup (info->name), g_free);
  g_object_set_data (G_OBJECT (row), "loss-dimmed", GINT_TO_POINTER (dimmed));
  gtk_list_box_append (self->loss_list, row);
}

static void
refresh_cards (VsLossPage *self)
{
  const VsCaseInfo *ci = vs_project_get_case_info (self->project);
  const char *chosen = get_chosen (self);
  gsize n;
  const VsLossInfo *all = vs_loss_registry_get_all (&n);

  clear_list_box (self->loss_list);

  if (ci == NULL)
    {
      gtk_label_set_text (self->note_label, _("Load a dataset to see which losses fit"));
      for (gsize i = 0; i < n; i++)
        add_loss_row (self, &all[i], NULL, chosen);
      return;
    }

  gtk_label_set_text (self->note_label, ci->evidence != NULL ? ci->evidence : "");
  /* The engine's ranking: compatible first, best first. */
  for (guint i = 0; i < ci->n_losses; i++)
    {
      const VsLossInfo *info = vs_loss_registry_lookup (ci->losses[i].name);

      if (info != NULL && ci->losses[i].compatible)
        add_loss_row (self, info, &ci->losses[i], chosen);
    }
  for (guint i = 0; i < ci->n_losses; i++)
    {
      const VsLossInfo *info = vs_loss_registry_lookup (ci->losses[i].name);

      if (info != NULL && !ci->losses[i].compatible)
        add_loss_row (self, info, &ci->losses[i], chosen);
    }
  /* Any loss the ranking left out, in registry order. */
  for (gsize i = 0; i < n; i++)
    if (find_fit (ci, all[i].name) == NULL)
      add_loss_row (self, &all[i], NULL, chosen);
}

/* ---- the chosen loss --------------------------------------------------- */

static void
refresh_chosen (VsLossPage *self)
{
  const char *chosen = get_chosen (self);
  const VsLossInfo *info = chosen != NULL ? vs_loss_registry_lookup (chosen) : NULL;
  const VsCaseInfo *ci = vs_project_get_case_info (self->project);
  g_autofree char *explain = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *title = NULL;

  if (info == NULL)
    {
      gtk_label_set_text (self->chosen_label,
                          chosen != NULL ? chosen : _("No loss chosen"));
      gtk_label_set_text (self->explain_label,
                          chosen != NULL ? _("The engine does not know this loss: choose one below.")
                                         : _("Choose a loss below."));
      gtk_widget_set_visible (GTK_WIDGET (self->hint_label), FALSE);
      return;
    }

  if (is_wrapped (self))
    /* Translators: %s is a loss name. */
    title = g_strdup_printf (_("%s, at several embedding sizes (MatryoshkaLoss)"), info->name);
  else
    title = g_strdup (info->name);
  gtk_label_set_text (self->chosen_label, title);

  explain = vs_loss_explain (info,
                             ci != NULL ? (const char *const *) ci->inputs : NULL,
                             ci != NULL ? ci->label_column : NULL,
                             get_batch_size (self));
  gtk_label_set_text (self->explain_label, explain);
  hint = vs_loss_hint (info, get_batch_size (self));
  {
    const VsLossFit *fit = find_fit (ci, info->name);

    if (fit != NULL && !fit->compatible)
      {
        /* Translators: %s is the engine's reason why the loss does not fit. */
        g_autofree char *misfit = g_strdup_printf (_("It does not fit the loaded dataset: %s"), fit->reason);
        char *both = hint != NULL ? g_strdup_printf ("%s\n%s", misfit, hint) : g_strdup (misfit);

        g_free (hint);
        hint = both;
      }
  }
  gtk_label_set_text (self->hint_label, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
}

/* ---- the parameter form ------------------------------------------------ */

static void
param_row_free (gpointer data)
{
  g_free (data);
}

/* The value of a parameter: the project's, else the default (NULL: none). */
static cJSON *
dup_param_value (VsLossPage            *self,
                 const VsLossParamInfo *param)
{
  g_autofree char *path = g_strdup_printf ("%s.%s", params_prefix (self), param->name);
  const cJSON *value = vs_project_get (self->project, path);

  if (value != NULL)
    return cJSON_Duplicate (value, TRUE);
  if (param->default_json != NULL)
    return cJSON_Parse (param->default_json);
  return NULL;
}

static char *
list_to_text (const cJSON *value)
{
  GString *s = g_string_new (NULL);
  const cJSON *item;

  cJSON_ArrayForEach (item, value)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%g", item->valuedouble));
    }
  return g_string_free (s, FALSE);
}

/* "768, 256, 64" -> a JSON array; empty -> JSON null when allowed. */
static cJSON *
text_to_list (const char  *text,
              gboolean     integers,
              gboolean     empty_is_null,
              GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  cJSON *array = cJSON_CreateArray ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      char *end = NULL;
      double v;

      if (*part == '\0')
        continue;
      v = g_ascii_strtod (part, &end);
      if (end == part || *end != '\0' || (integers && v != (double) (gint64) v))
        {
          cJSON_Delete (array);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       /* Translators: %s is what the user typed. */
                       integers ? _("“%s” is not a whole number") : _("“%s” is not a number"), part);
          return NULL;
        }
      cJSON_AddItemToArray (array, cJSON_CreateNumber (v));
    }
  if (cJSON_GetArraySize (array) == 0 && empty_is_null)
    {
      cJSON_Delete (array);
      return cJSON_CreateNull ();
    }
  return array;
}

static void
show_param_error (VsLossPage *self,
                  GtkWidget  *row,
                  const char *text)
{
  gtk_label_set_text (self->param_error_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->param_error_label), text != NULL);
  if (row != NULL)
    {
      if (text != NULL)
        gtk_widget_add_css_class (row, "error");
      else
        gtk_widget_remove_css_class (row, "error");
    }
}

/* TRUE when text names word as a whole identifier ("margin" is not in
 * "margin_strategy"). */
static gboolean
names_param (const char *text,
             const char *word)
{
  gsize len = strlen (word);

  for (const char *p = strstr (text, word); p != NULL; p = strstr (p + 1, word))
    {
      gboolean start_ok = p == text || !(g_ascii_isalnum (p[-1]) || p[-1] == '_');
      gboolean end_ok = !(g_ascii_isalnum (p[len]) || p[len] == '_');

      if (start_ok && end_ok)
        return TRUE;
    }
  return FALSE;
}

/* Writes loss params NAME = value (taken) when the engine accepts it;
 * otherwise shows the engine's message and writes nothing. */
static void
write_param (VsLossPage *self,
             const char *loss_name,
             const char *prefix,
             const char *param,
             GtkWidget  *row,
             cJSON      *value)
{
  const cJSON *current = vs_project_get (self->project, prefix);
  g_autofree char *path = g_strdup_printf ("%s.%s", prefix, param);
  g_autoptr(GError) error = NULL;
  cJSON *params = cJSON_IsObject (current) ? cJSON_Duplicate (current, TRUE) : cJSON_CreateObject ();
  const cJSON *whole = vs_project_get (self->project, "loss");
  VsLoss *loss;

  if (cJSON_IsString (whole))
    {
      /* "loss": "NAME" becomes {"name": NAME, "params": {}} before a param is set. */
      cJSON *obj = cJSON_CreateObject ();

      cJSON_AddStringToObject (obj, "name", whole->valuestring);
      cJSON_AddItemToObject (obj, "params", cJSON_CreateObject ());
      vs_project_set (self->project, "loss", obj);
    }

  cJSON_DeleteItemFromObjectCaseSensitive (params, param);
  cJSON_AddItemToObject (params, param, cJSON_Duplicate (value, TRUE));
  loss = vs_loss_new (loss_name, params, &error);
  cJSON_Delete (params);
  if (loss != NULL)
    vs_loss_free (loss);
  else if (error != NULL && names_param (error->message, param))
    {
      /* The bad value is this one: say so next to it, keep the project. */
      show_param_error (self, row, error->message);
      cJSON_Delete (value);
      return;
    }
  show_param_error (self, row, NULL);
  vs_project_set (self->project, path, value);
}

static void
param_changed (ParamRow *pr,
               cJSON    *value)
{
  VsLossPage *self = pr->page;

  if (self->updating || self->project == NULL)
    {
      cJSON_Delete (value);
      return;
    }
  write_param (self, get_chosen (self), params_prefix (self), pr->param->name, pr->row, value);
}

static void
on_spin_changed (GtkSpinButton *spin,
                 ParamRow      *pr)
{
  double v = gtk_spin_button_get_value (spin);

  param_changed (pr, cJSON_CreateNumber (pr->param->type == VS_LOSS_PARAM_INT ? (double) (gint64) v : v));
}

static void
on_switch_changed (GtkSwitch  *sw,
                   GParamSpec *pspec,
                   ParamRow   *pr)
{
  param_changed (pr, cJSON_CreateBool (gtk_switch_get_active (sw)));
}

static void
on_combo_changed (AdwComboRow *combo,
                  GParamSpec  *pspec,
                  ParamRow    *pr)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (combo);

  if (item != NULL)
    param_changed (pr, cJSON_CreateString (gtk_string_object_get_string (item)));
}

static void
on_entry_activate (GtkEntry *entry,
                   ParamRow *pr)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr(GError) error = NULL;
  cJSON *value;

  if (pr->param->type == VS_LOSS_PARAM_STRING)
    value = *text != '\0' ? cJSON_CreateString (text) : NULL;
  else
    value = text_to_list (text, pr->param->type == VS_LOSS_PARAM_INT_LIST,
                          pr->param->type == VS_LOSS_PARAM_FLOAT_LIST, &error);
  if (error != NULL)
    {
      /* Translators: a parameter name, then why the text is not valid. */
      g_autofree char *msg = g_strdup_printf (_("%s: %s"), pr->param->name, error->message);
      show_param_error (pr->page, pr->row, msg);
      return;
    }
  if (value == NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s.%s", params_prefix (pr->page), pr->param->name);
      vs_project_remove (pr->page->project, path);
      return;
    }
  param_changed (pr, value);
}

/* Puts the project's value (or the default) into the row's editor. */
static void
param_row_load (ParamRow *pr)
{
  VsLossPage *self = pr->page;
  cJSON *value = dup_param_value (self, pr->param);

  self->updating = TRUE;
  switch (pr->param->type)
    {
    case VS_LOSS_PARAM_FLOAT:
    case VS_LOSS_PARAM_INT:
      if (cJSON_IsNumber (value))
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (pr->editor), value->valuedouble);
      break;

    case VS_LOSS_PARAM_BOOL:
      gtk_switch_set_active (GTK_SWITCH (pr->editor), cJSON_IsTrue (value));
      break;

    case VS_LOSS_PARAM_CHOICE:
      if (cJSON_IsString (value))
        {
          g_auto(GStrv) choices = g_strsplit (pr->param->choices, "|", -1);
          for (guint i = 0; choices[i] != NULL; i++)
            if (strcmp (choices[i], value->valuestring) == 0)
              adw_combo_row_set_selected (ADW_COMBO_ROW (pr->editor), i);
        }
      break;

    case VS_LOSS_PARAM_INT_LIST:
    case VS_LOSS_PARAM_FLOAT_LIST:
      {
        g_autofree char *text = cJSON_IsArray (value) ? list_to_text (value) : g_strdup ("");
        gtk_editable_set_text (GTK_EDITABLE (pr->editor), text);
      }
      break;

    case VS_LOSS_PARAM_STRING:
      gtk_editable_set_text (GTK_EDITABLE (pr->editor),
                             cJSON_IsString (value) ? value->valuestring : "");
      break;

    case VS_LOSS_PARAM_LOSS:
    default:
      break;
    }
  self->updating = FALSE;
  cJSON_Delete (value);
}

static void
add_param_row (VsLossPage            *self,
               const VsLossParamInfo *param)
{
  ParamRow *pr = g_new0 (ParamRow, 1);
  g_autofree char *subtitle = NULL;
  GtkWidget *row;

  pr->page = self;
  pr->param = param;
  /* Translators: a parameter's help line, then its default value as JSON. */
  subtitle = param->default_json != NULL
    ? g_strdup_printf (_("%s — default: %s"), param->help, param->default_json)
    : g_strdup_printf (_("%s — required"), param->help);

  if (param->type == VS_LOSS_PARAM_CHOICE)
    {
      g_auto(GStrv) choices = g_strsplit (param->choices, "|", -1);
      g_autoptr(GtkStringList) model = gtk_string_list_new ((const char *const *) choices);

      row = adw_combo_row_new ();
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
      pr->editor = row;
      g_signal_connect (row, "notify::selected", G_CALLBACK (on_combo_changed), pr);
    }
  else
    {
      row = adw_action_row_new ();
      switch (param->type)
        {
        case VS_LOSS_PARAM_FLOAT:
        case VS_LOSS_PARAM_INT:
          {
            gboolean is_int = param->type == VS_LOSS_PARAM_INT;
            GtkAdjustment *adj = gtk_adjustment_new (0, is_int ? -1e9 : -1e6, is_int ? 1e9 : 1e6,
                                                     is_int ? 1 : 0.01, is_int ? 10 : 1, 0);
            pr->editor = gtk_spin_button_new (adj, is_int ? 1 : 0.01, is_int ? 0 : 3);
            gtk_widget_set_valign (pr->editor, GTK_ALIGN_CENTER);
            g_signal_connect (pr->editor, "value-changed", G_CALLBACK (on_spin_changed), pr);
          }
          break;

        case VS_LOSS_PARAM_BOOL:
          pr->editor = gtk_switch_new ();
          gtk_widget_set_valign (pr->editor, GTK_ALIGN_CENTER);
          g_signal_connect (pr->editor, "notify::active", G_CALLBACK (on_switch_changed), pr);
          adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), pr->editor);
          break;

        case VS_LOSS_PARAM_INT_LIST:
        case VS_LOSS_PARAM_FLOAT_LIST:
        case VS_LOSS_PARAM_STRING:
        case VS_LOSS_PARAM_CHOICE:
        case VS_LOSS_PARAM_LOSS:
        default:
          pr->editor = gtk_entry_new ();
          gtk_widget_set_valign (pr->editor, GTK_ALIGN_CENTER);
          gtk_widget_set_hexpand (pr->editor, TRUE);
          /* Small enough for a phone's width; it grows with the row. */
          gtk_editable_set_width_chars (GTK_EDITABLE (pr->editor), 12);
          gtk_entry_set_placeholder_text (GTK_ENTRY (pr->editor),
                                          param->type == VS_LOSS_PARAM_STRING
                                            ? _("Model folder or Hub id")
                                            : _("Comma-separated numbers"));
          g_signal_connect (pr->editor, "activate", G_CALLBACK (on_entry_activate), pr);
          break;
        }
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), pr->editor);
      gtk_accessible_update_property (GTK_ACCESSIBLE (pr->editor),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, param->name, -1);
    }
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), param->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  pr->row = row;
  gtk_list_box_append (self->params_list, row);
  g_ptr_array_add (self->param_rows, pr);
}

static void
refresh_form (VsLossPage *self)
{
  const char *chosen = get_chosen (self);
  const VsLossInfo *info = chosen != NULL ? vs_loss_registry_lookup (chosen) : NULL;
  g_autofree char *key = g_strdup_printf ("%s|%d", chosen != NULL ? chosen : "", is_wrapped (self));
  guint shown = 0;

  if (g_strcmp0 (key, self->form_key) != 0)
    {
      g_free (self->form_key);
      self->form_key = g_steal_pointer (&key);
      clear_list_box (self->params_list);
      g_ptr_array_set_size (self->param_rows, 0);
      show_param_error (self, NULL, NULL);
      if (info != NULL)
        for (guint i = 0; i < info->n_params; i++)
          if (info->params[i].type != VS_LOSS_PARAM_LOSS)
            add_param_row (self, &info->params[i]);
    }
  for (guint i = 0; i < self->param_rows->len; i++)
    {
      param_row_load (g_ptr_array_index (self->param_rows, i));
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->params_list), shown > 0);
  adw_preferences_group_set_description (self->params_group,
                                         info != NULL && shown == 0
                                           ? _("This loss has no parameters.") : NULL);

  /* Matryoshka. */
  self->updating = TRUE;
  gtk_switch_set_active (self->matryoshka_switch, is_wrapped (self));
  gtk_widget_set_visible (GTK_WIDGET (self->dims_row), is_wrapped (self));
  gtk_widget_set_visible (GTK_WIDGET (self->weights_row), is_wrapped (self));
  if (is_wrapped (self))
    {
      const cJSON *dims = vs_project_get (self->project, "loss.params.matryoshka_dims");
      const cJSON *weights = vs_project_get (self->project, "loss.params.matryoshka_weights");
      g_autofree char *dt = cJSON_IsArray (dims) ? list_to_text (dims) : g_strdup ("");
      g_autofree char *wt = cJSON_IsArray (weights) ? list_to_text (weights) : g_strdup ("");

      gtk_editable_set_text (GTK_EDITABLE (self->dims_row), dt);
      gtk_editable_set_text (GTK_EDITABLE (self->weights_row), wt);
    }
  self->updating = FALSE;
}

static void
on_reset_clicked (VsLossPage *self)
{
  if (self->project == NULL || get_chosen (self) == NULL)
    return;
  show_param_error (self, NULL, NULL);
  for (guint i = 0; i < self->param_rows->len; i++)
    show_param_error (self, ((ParamRow *) g_ptr_array_index (self->param_rows, i))->row, NULL);
  vs_project_set (self->project, params_prefix (self), cJSON_CreateObject ());
  refresh_form (self);
}

static void
on_matryoshka_toggled (VsLossPage *self)
{
  if (self->updating || self->project == NULL)
    return;
  set_matryoshka (self, gtk_switch_get_active (self->matryoshka_switch));
}

static void
apply_list (VsLossPage  *self,
            AdwEntryRow *row,
            const char  *param,
            gboolean     integers)
{
  g_autoptr(GError) error = NULL;
  cJSON *value = text_to_list (gtk_editable_get_text (GTK_EDITABLE (row)), integers, !integers, &error);

  if (value == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("%s: %s"), param, error->message);
      show_param_error (self, GTK_WIDGET (row), msg);
      return;
    }
  write_param (self, "MatryoshkaLoss", "loss.params", param, GTK_WIDGET (row), value);
}

static void
on_dims_apply (VsLossPage *self)
{
  apply_list (self, self->dims_row, "matryoshka_dims", TRUE);
}

static void
on_weights_apply (VsLossPage *self)
{
  apply_list (self, self->weights_row, "matryoshka_weights", FALSE);
}

/* ---- evaluator and problems -------------------------------------------- */

static char *
describe_evaluator (const cJSON *cfg)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive (cfg, "name");
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive (cfg, "columns");
  const cJSON *label = cJSON_GetObjectItemCaseSensitive (cfg, "label");
  GString *s = g_string_new (cJSON_IsString (name) ? name->valuestring : "?");

  if (cJSON_IsArray (cols))
    {
      const cJSON *c;
      gboolean first = TRUE;

      g_string_append (s, " (");
      cJSON_ArrayForEach (c, cols)
        {
          g_string_append_printf (s, "%s%s", first ? "" : ", ", cJSON_IsString (c) ? c->valuestring : "?");
          first = FALSE;
        }
      g_string_append_c (s, ')');
    }
  if (cJSON_IsString (label))
    /* Translators: the label column of an evaluator. */
    g_string_append_printf (s, _(", label %s"), label->valuestring);
  return g_string_free (s, FALSE);
}

static void
refresh_evaluator (VsLossPage *self)
{
  const cJSON *current = vs_project_get (self->project, "evaluator");
  const VsCaseInfo *ci = vs_project_get_case_info (self->project);
  const cJSON *ratio = vs_project_get (self->project, "eval.split_ratio");
  const char *eval_path = vs_project_get_string (self->project, "eval.path");
  g_autofree char *cur = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *data = NULL;
  const cJSON *cur_name = cJSON_GetObjectItemCaseSensitive (current, "name");
  const cJSON *sug_name;

  cur = cJSON_IsObject (current) ? describe_evaluator (current)
        : cJSON_IsString (current) ? g_strdup (current->valuestring)
        : g_strdup (_("None: training runs without evaluation"));
  adw_action_row_set_subtitle (self->evaluator_row, cur);

  g_clear_pointer (&self->suggestion, cJSON_Delete);
  if (ci != NULL)
    self->suggestion = vs_evaluator_suggest_for_case (ci, &reason);
  if (self->suggestion != NULL)
    {
      g_autofree char *desc = describe_evaluator (self->suggestion);
      g_autofree char *text = g_strdup_printf ("%s\n%s", desc, reason);
      adw_action_row_set_subtitle (self->suggest_row, text);
    }
  else
    adw_action_row_set_subtitle (self->suggest_row,
                                 reason != NULL ? reason : _("Load a dataset to see which evaluator fits"));
  sug_name = cJSON_GetObjectItemCaseSensitive (self->suggestion, "name");
  gtk_widget_set_sensitive (GTK_WIDGET (self->suggest_button),
                            self->suggestion != NULL
                            && !(cJSON_IsString (cur_name) && cJSON_IsString (sug_name)
                                 && strcmp (cur_name->valuestring, sug_name->valuestring) == 0));

  if (cJSON_IsNumber (ratio))
    /* Translators: %g is a percentage. */
    data = g_strdup_printf (_("%g %% of the training data held out"), ratio->valuedouble * 100.0);
  else if (eval_path != NULL)
    data = g_strdup (eval_path);
  else
    data = g_strdup (_("None: choose it on the Dataset page"));
  adw_action_row_set_subtitle (self->eval_data_row, data);
}

static void
on_suggest_clicked (VsLossPage *self)
{
  if (self->project != NULL && self->suggestion != NULL)
    vs_project_set (self->project, "evaluator", cJSON_Duplicate (self->suggestion, TRUE));
}

static void
refresh_problems (VsLossPage *self)
{
  g_auto(GStrv) loss = vs_project_get_problems_for (self->project, VS_PROJECT_AREA_LOSS);
  g_auto(GStrv) eval = vs_project_get_problems_for (self->project, VS_PROJECT_AREA_EVALUATOR);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; loss != NULL && loss[i] != NULL; i++)
    g_string_append_printf (s, "%s%s", s->len > 0 ? "\n" : "", loss[i]);
  for (guint i = 0; eval != NULL && eval[i] != NULL; i++)
    g_string_append_printf (s, "%s%s", s->len > 0 ? "\n" : "", eval[i]);
  gtk_label_set_text (self->problems_label, s->str);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_group), s->len > 0);
}

/* ---- wiring ------------------------------------------------------------ */

static void
refresh_all (VsLossPage *self)
{
  if (self->project == NULL)
    return;
  refresh_cards (self);
  refresh_chosen (self);
  refresh_form (self);
  refresh_evaluator (self);
  refresh_problems (self);
}

static void
on_loss_changed (VsLossPage *self)
{
  refresh_cards (self);
  refresh_chosen (self);
  refresh_form (self);
}

static void
on_args_changed (VsLossPage *self)
{
  refresh_chosen (self);
}

static void
on_case_info (VsLossPage *self)
{
  show_refusal (self, NULL);
  refresh_cards (self);
  refresh_chosen (self);
  refresh_evaluator (self);
}

VsProject *
vs_loss_page_get_project (VsLossPage *self)
{
  g_return_val_if_fail (VS_IS_LOSS_PAGE (self), NULL);
  return self->project;
}

static void
disconnect_project (VsLossPage *self)
{
  if (self->project == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    g_clear_signal_handler (&self->handlers[i], self->project);
}

void
vs_loss_page_set_project (VsLossPage *self,
                          VsProject  *project)
{
  g_return_if_fail (VS_IS_LOSS_PAGE (self));

  if (self->project == project)
    return;
  disconnect_project (self);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      self->handlers[0] = g_signal_connect_swapped (project, "changed::loss", G_CALLBACK (on_loss_changed), self);
      self->handlers[1] = g_signal_connect_swapped (project, "changed::args", G_CALLBACK (on_args_changed), self);
      self->handlers[2] = g_signal_connect_swapped (project, "changed::evaluator", G_CALLBACK (refresh_evaluator), self);
      self->handlers[3] = g_signal_connect_swapped (project, "changed::eval", G_CALLBACK (refresh_evaluator), self);
      self->handlers[4] = g_signal_connect_swapped (project, "notify::case-info", G_CALLBACK (on_case_info), self);
      self->handlers[5] = g_signal_connect_swapped (project, "notify::problems", G_CALLBACK (refresh_problems), self);
      g_clear_pointer (&self->form_key, g_free);
      refresh_all (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

/* ---- test API ---------------------------------------------------------- */

char **
vs_loss_page_dup_loss_order (VsLossPage *self)
{
  GStrvBuilder *b = g_strv_builder_new ();
  char **out;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->loss_list)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      const char *name = g_object_get_data (G_OBJECT (c), "loss-name");
      if (name != NULL)
        g_strv_builder_add (b, name);
    }
  out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

GtkWidget *
vs_loss_page_get_loss_row (VsLossPage *self,
                           const char *name)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->loss_list)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (c), "loss-name"), name) == 0)
      return c;
  return NULL;
}

gboolean
vs_loss_page_loss_is_dimmed (VsLossPage *self,
                             const char *name)
{
  GtkWidget *row = vs_loss_page_get_loss_row (self, name);

  return row != NULL && GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "loss-dimmed"))
         && gtk_widget_has_css_class (row, "dim-label");
}

GtkLabel *
vs_loss_page_get_note_label (VsLossPage *self)
{
  return self->note_label;
}

GtkLabel *
vs_loss_page_get_explain_label (VsLossPage *self)
{
  return self->explain_label;
}

GtkLabel *
vs_loss_page_get_refusal_label (VsLossPage *self)
{
  return self->refusal_label;
}

GtkLabel *
vs_loss_page_get_hint_label (VsLossPage *self)
{
  return self->hint_label;
}

GtkLabel *
vs_loss_page_get_problems_label (VsLossPage *self)
{
  return self->problems_label;
}

void
vs_loss_page_reset_params (VsLossPage *self)
{
  on_reset_clicked (self);
}

GtkLabel *
vs_loss_page_get_param_error_label (VsLossPage *self)
{
  return self->param_error_label;
}

AdwActionRow *
vs_loss_page_get_suggest_row (VsLossPage *self)
{
  return self->suggest_row;
}

GtkButton *
vs_loss_page_get_suggest_button (VsLossPage *self)
{
  return self->suggest_button;
}

GtkWidget *
vs_loss_page_get_matryoshka_switch (VsLossPage *self)
{
  return GTK_WIDGET (self->matryoshka_switch);
}

AdwEntryRow *
vs_loss_page_get_dims_row (VsLossPage *self)
{
  return self->dims_row;
}


GtkWidget *
vs_loss_page_get_param_editor (VsLossPage *self,
                               const char *param)
{
  for (guint i = 0; i < self->param_rows->len; i++)
    {
      ParamRow *pr = g_ptr_array_index (self->param_rows, i);
      if (strcmp (pr->param->name, param) == 0)
        return pr->editor;
    }
  return NULL;
}

/* ---- GObject ----------------------------------------------------------- */

static void
vs_loss_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_loss_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_loss_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_loss_page_dispose (GObject *object)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  disconnect_project (self);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (vs_loss_page_parent_class)->dispose (object);
}

static void
vs_loss_page_finalize (GObject *object)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  g_clear_pointer (&self->param_rows, g_ptr_array_unref);
  g_clear_pointer (&self->form_key, g_free);
  g_clear_pointer (&self->suggestion, cJSON_Delete);
  G_OBJECT_CLASS (vs_loss_page_parent_class)->finalize (object);
}

static void
vs_loss_page_class_init (VsLossPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_loss_page_dispose;
  object_class->finalize = vs_loss_page_finalize;
  object_class->get_property = vs_loss_page_get_property;
  object_class->set_property = vs_loss_page_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-loss-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, refusal_revealer);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, refusal_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, chosen_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, explain_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, hint_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, params_group);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, params_list);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, param_error_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, matryoshka_switch);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, dims_row);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, weights_row);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, note_label);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, loss_list);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, evaluator_row);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, suggest_row);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, suggest_button);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, eval_data_row);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, problems_group);
  gtk_widget_class_bind_template_child (widget_class, VsLossPage, problems_label);
  gtk_widget_class_bind_template_callback (widget_class, on_loss_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_matryoshka_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_dims_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_weights_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_suggest_clicked);
}

static void
vs_loss_page_init (VsLossPage *self)
{
  self->param_rows = g_ptr_array_new_with_free_func (param_row_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}
