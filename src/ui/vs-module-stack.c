/* vs-module-stack.c: the module stack of a model drawn as blocks. */
#include "config.h"

#include <glib/gi18n.h>

#include "model/vs-module-spec.h"

#include "vs-module-stack.h"

struct _VsModuleStack
{
  GtkBox      parent_instance;

  GtkBox     *blocks_box;
  GtkLabel   *error_label;
  GtkLabel   *refusal_label;
  GtkLabel   *read_only_label;
  GtkWidget  *add_box;
  GtkWidget  *add_dense_button;
  GtkWidget  *add_normalize_button;

  char       *transformer;
  gsize       hidden;
  cJSON      *modules;       /* owned copy */
  gboolean    editable;
  guint       n_locked;      /* the first modules are a loaded model's own */
  gsize       max_seq_length;
  gboolean    implied;       /* no Pooling module: a mean block is shown */
  gboolean    rebuilding;    /* controls set from the model: no ::changed */
  GPtrArray  *arrows;        /* GtkLabel*, one after each block */
  char       *error;
  char       *refusal;       /* why the last move was refused, or NULL */
  AdwToast   *toast;         /* weak: the refusal's toast while shown */
  int         focus_index;   /* after a rebuild, focus this module's ... */
  const char *focus_kind;    /* ... "up" / "down" button (NULL: none) */
};

G_DEFINE_FINAL_TYPE (VsModuleStack, vs_module_stack, GTK_TYPE_BOX)

enum {
  CHANGED,
  MAX_SEQ_LENGTH_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void rebuild (VsModuleStack *self);

/* Recomputes the widths with the engine and writes them on the arrows. */
static void
update_dimensions (VsModuleStack *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree gsize *dims = NULL;
  gsize n = 0;
  gboolean ok;

  ok = vs_module_spec_dimensions (self->hidden, self->modules, &dims, &n, &error);
  g_clear_pointer (&self->error, g_free);
  for (guint i = 0; i < self->arrows->len; i++)
    {
      GtkLabel *arrow = g_ptr_array_index (self->arrows, i);
      g_autofree char *text = NULL;

      guint d = (self->implied && i > 0) ? i - 1 : i;

      if (i == 0)   /* the Transformer's width is known even when a later module is wrong */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%zu dimension", "%zu dimensions", self->hidden), self->hidden);
      else if (ok && d < n)
        /* Translators: the embedding width on an arrow between two modules */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%zu dimension", "%zu dimensions", dims[d]), dims[d]);
      else
        text = g_strdup (_("unknown dimension"));
      gtk_label_set_label (arrow, text);
    }
  if (!ok)
    self->error = g_strdup (error->message);
  gtk_label_set_label (self->error_label, self->error != NULL ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->error != NULL);
}

static void
set_refusal (VsModuleStack *self,
             const char    *reason)
{
  g_free (self->refusal);
  self->refusal = g_strdup (reason);
  if (reason != NULL)
    {
      /* Translators: %s is the engine's reason, e.g. "modules[1]: Normalize must be the last module" */
      g_autofree char *text = g_strdup_printf (_("Not moved: %s"), reason);

      gtk_label_set_label (self->refusal_label, text);
    }
  else
    gtk_label_set_label (self->refusal_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->refusal_label), reason != NULL);
  /* A refusal's toast is stale once the stack changes. */
  if (self->toast != NULL)
    {
      AdwToast *toast = self->toast;

      g_object_remove_weak_pointer (G_OBJECT (toast), (gpointer *) &self->toast);
      self->toast = NULL;
      adw_toast_dismiss (toast);
    }
}

static void
emit_changed (VsModuleStack *self)
{
  update_dimensions (self);
  if (self->rebuilding)
    return;
  if (self->n_locked > 0)
    {
      /* On top of a loaded model: only the layers added on top. */
      cJSON *top = cJSON_CreateArray ();

      for (int k = (int) self->n_locked; k < cJSON_GetArraySize (self->modules); k++)
        cJSON_AddItemToArray (top, cJSON_Duplicate (cJSON_GetArrayItem (self->modules, k), TRUE));
      g_signal_emit (self, signals[CHANGED], 0, top);
      cJSON_Delete (top);
    }
  else
    g_signal_emit (self, signals[CHANGED], 0, self->modules);
}

static cJSON *
find_module (VsModuleStack *self,
             const char    *type,
             int           *index)
{
  cJSON *m;
  int i = 0;

  cJSON_ArrayForEach (m, self->modules)
    {
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "type")), type) == 0)
        {
          if (index != NULL)
            *index = i;
          return m;
        }
      i++;
    }
  return NULL;
}

static void
set_string (cJSON *obj, const char *key, const char *value)
{
  cJSON_DeleteItemFromObjectCaseSensitive (obj, key);
  cJSON_AddStringToObject (obj, key, value);
}

static cJSON *
ensure_pooling (VsModuleStack *self)
{
  cJSON *pooling = find_module (self, "pooling", NULL);

  if (pooling == NULL)
    {
      pooling = cJSON_CreateObject ();
      cJSON_AddStringToObject (pooling, "type", "pooling");
      cJSON_AddStringToObject (pooling, "mode", "mean");
      cJSON_InsertItemInArray (self->modules, 0, pooling);
    }
  return pooling;
}

static void
set_pooling_mode (VsModuleStack *self,
                  const char    *mode,
                  gboolean       on)
{
  cJSON *pooling;
  const char *current;
  guint bits, bit;
  g_autofree char *text = NULL;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  if (self->n_locked > 0)
    return;   /* a loaded model keeps its Pooling */
  pooling = ensure_pooling (self);
  current = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (pooling, "mode"));
  bits = vs_pooling_modes_from_string (current != NULL ? current : "mean");
  bit = vs_pooling_modes_from_string (mode);
  g_return_if_fail (bit != 0);
  bits = on ? (bits | bit) : (bits & ~bit);
  text = vs_pooling_modes_to_string (bits);
  /* No mode at all stays in the document so the engine can say why. */
  set_string (pooling, "mode", text);
  emit_changed (self);
}

void
vs_module_stack_set_pooling_mode (VsModuleStack *self,
                                  const char    *mode,
                                  gboolean       on)
{
  /* From code, not a check button: the checks are rebuilt to show it. */
  set_pooling_mode (self, mode, on);
  rebuild (self);
}

void
vs_module_stack_add_dense (VsModuleStack *self,
                           gsize          out_features)
{
  cJSON *dense;
  int at = -1;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  ensure_pooling (self);
  dense = cJSON_CreateObject ();
  cJSON_AddStringToObject (dense, "type", "dense");
  cJSON_AddNumberToObject (dense, "out_features", (double) out_features);
  cJSON_AddStringToObject (dense, "activation", "tanh");
  cJSON_AddBoolToObject (dense, "bias", TRUE);
  /* Dense modules go before Normalize, which usually stays last (a loaded
   * model's own Normalize stays where it is: the Dense goes on top). */
  if (find_module (self, "normalize", &at) != NULL && at >= (int) self->n_locked)
    cJSON_InsertItemInArray (self->modules, at, dense);
  else
    cJSON_AddItemToArray (self->modules, dense);
  set_refusal (self, NULL);
  rebuild (self);
  emit_changed (self);
}

void
vs_module_stack_add_normalize (VsModuleStack *self)
{
  cJSON *norm;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  if (find_module (self, "normalize", NULL) != NULL)
    return;
  ensure_pooling (self);
  norm = cJSON_CreateObject ();
  cJSON_AddStringToObject (norm, "type", "normalize");
  cJSON_AddItemToArray (self->modules, norm);
  rebuild (self);
  emit_changed (self);
}

/* The width the stack ends with now (the Transformer's when unknown). */
static gsize
current_width (VsModuleStack *self)
{
  g_autofree gsize *dims = NULL;
  gsize n = 0;

  if (vs_module_spec_dimensions (self->hidden, self->modules, &dims, &n, NULL) && n > 0)
    return dims[n - 1];
  return self->hidden > 0 ? self->hidden : 128;
}

static void
on_add_dense_clicked (VsModuleStack *self)
{
  /* A new Dense halves the width: the usual projection to a smaller embedding. */
  vs_module_stack_add_dense (self, MAX (current_width (self) / 2, 1));
}

static void
on_add_normalize_clicked (VsModuleStack *self)
{
  vs_module_stack_add_normalize (self);
}

static int
module_index (GtkWidget *w)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (w), "vs-module-index"));
}

void
vs_module_stack_remove (VsModuleStack *self,
                        guint          index)
{
  g_return_if_fail (VS_IS_MODULE_STACK (self));

  if (self->modules == NULL || index >= (guint) cJSON_GetArraySize (self->modules) || index < self->n_locked)
    return;
  cJSON_DeleteItemFromArray (self->modules, (int) index);
  set_refusal (self, NULL);
  rebuild (self);
  emit_changed (self);
}

static void
on_remove_clicked (GtkButton     *button,
                   VsModuleStack *self)
{
  vs_module_stack_remove (self, (guint) module_index (GTK_WIDGET (button)));
}

/* The engine refused a move: its reason in the label and a toast; the
 * stack stays as it was. */
static void
refuse (VsModuleStack *self,
        const char    *reason)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  set_refusal (self, reason);
  if (overlay != NULL)
    {
      AdwToast *toast = adw_toast_new (gtk_label_get_label (self->refusal_label));

      adw_toast_set_timeout (toast, 4);
      self->toast = toast;
      g_object_add_weak_pointer (G_OBJECT (toast), (gpointer *) &self->toast);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
    }
}

static void
apply_order (VsModuleStack *self,
             cJSON         *moved,
             int            focus_index,
             const char    *focus_kind)
{
  cJSON_Delete (self->modules);
  self->modules = moved;
  set_refusal (self, NULL);
  self->focus_index = focus_index;
  self->focus_kind = focus_kind;
  rebuild (self);
  self->focus_kind = NULL;
  emit_changed (self);
}

gboolean
vs_module_stack_move (VsModuleStack *self,
                      guint          index,
                      int            delta)
{
  g_autoptr(GError) error = NULL;
  cJSON *moved;

  g_return_val_if_fail (VS_IS_MODULE_STACK (self), FALSE);
  g_return_val_if_fail (delta == -1 || delta == 1, FALSE);

  if (self->modules == NULL)
    return FALSE;
  /* The engine decides: a move that breaks sentence-transformers' order
   * is refused with its reason, and the stack stays as it was. */
  moved = self->n_locked > 0
    ? vs_module_spec_reorder_above (self->hidden, self->modules, (int) self->n_locked, (int) index,
                                    (int) index + delta, &error)
    : vs_module_spec_move (self->hidden, self->modules, (int) index, delta, &error);
  if (moved == NULL)
    {
      refuse (self, error->message);
      return FALSE;
    }
  apply_order (self, moved, (int) index + delta, delta < 0 ? "up" : "down");
  return TRUE;
}

gboolean
vs_module_stack_reorder (VsModuleStack *self,
                         int            from,
                         int            to)
{
  g_autoptr(GError) error = NULL;
  cJSON *moved;

  g_return_val_if_fail (VS_IS_MODULE_STACK (self), FALSE);

  if (self->modules == NULL || from == to)
    return FALSE;
  moved = vs_module_spec_reorder_above (self->hidden, self->modules, (int) self->n_locked, from, to, &error);
  if (moved == NULL)
    {
      refuse (self, error->message);
      return FALSE;
    }
  apply_order (self, moved, -1, NULL);
  return TRUE;
}

/* ---- drag and drop: a Dense or Normalize block onto another block ----- */

typedef struct
{
  VsModuleStack *self;
  int            from, to;
} DropLater;

static gboolean
drop_later (gpointer data)
{
  DropLater *d = data;

  /* Not after the stack left the window (its blocks are gone). */
  if (gtk_widget_get_root (GTK_WIDGET (d->self)) != NULL)
    vs_module_stack_reorder (d->self, d->from, d->to);
  g_object_unref (d->self);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static GdkContentProvider *
on_drag_prepare (GtkDragSource *source,
                 double         x,
                 double         y,
                 VsModuleStack *self)
{
  GtkWidget *card = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));

  (void) x;
  (void) y;
  (void) self;
  return gdk_content_provider_new_typed (G_TYPE_INT, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (card),
                                                                                          "vs-module-index")));
}

static void
on_drag_begin (GtkDragSource *source,
               GdkDrag       *drag,
               VsModuleStack *self)
{
  GtkWidget *card = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (source));
  g_autoptr(GdkPaintable) icon = gtk_widget_paintable_new (card);

  (void) drag;
  (void) self;
  gtk_drag_source_set_icon (source, icon, 0, 0);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         VsModuleStack *self)
{
  GtkWidget *card = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  int to = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (card), "vs-module-index"));
  g_autoptr(GError) error = NULL;
  cJSON *check;
  DropLater *later;
  int from;

  (void) x;
  (void) y;
  if (!G_VALUE_HOLDS_INT (value) || self->modules == NULL)
    return FALSE;
  from = g_value_get_int (value);
  if (from == to)
    return FALSE;
  /* Refused at once with the engine's reason; an allowed order is applied
   * after the drop, as it rebuilds the blocks (this one included). */
  check = vs_module_spec_reorder_above (self->hidden, self->modules, (int) self->n_locked, from, to, &error);
  if (check == NULL)
    {
      refuse (self, error->message);
      return FALSE;
    }
  cJSON_Delete (check);
  later = g_new0 (DropLater, 1);
  later->self = g_object_ref (self);
  later->from = from;
  later->to = to;
  g_idle_add (drop_later, later);
  return TRUE;
}

/* index: the module's place in the array (-1: the Transformer). */
static void
add_dnd (VsModuleStack *self,
         GtkWidget     *card,
         int            index,
         gboolean       draggable)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INT, GDK_ACTION_MOVE);

  g_object_set_data (G_OBJECT (card), "vs-module-index", GINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (card), "vs-block", GINT_TO_POINTER (TRUE));
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (card, GTK_EVENT_CONTROLLER (target));
  if (draggable)
    {
      GtkDragSource *source = gtk_drag_source_new ();

      gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
      g_signal_connect (source, "prepare", G_CALLBACK (on_drag_prepare), self);
      g_signal_connect (source, "drag-begin", G_CALLBACK (on_drag_begin), self);
      gtk_widget_add_controller (card, GTK_EVENT_CONTROLLER (source));
    }
}

GtkWidget *
vs_module_stack_get_block (VsModuleStack *self,
                           int            index)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->blocks_box)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (g_object_get_data (G_OBJECT (c), "vs-block") != NULL
        && GPOINTER_TO_INT (g_object_get_data (G_OBJECT (c), "vs-module-index")) == index)
      return c;
  return NULL;
}

static void
on_move_clicked (GtkButton     *button,
                 VsModuleStack *self)
{
  const char *kind = g_object_get_data (G_OBJECT (button), "vs-move");

  vs_module_stack_move (self, (guint) module_index (GTK_WIDGET (button)),
                        g_strcmp0 (kind, "up") == 0 ? -1 : 1);
}

void
vs_module_stack_set_dense_bias (VsModuleStack *self,
                                guint          index,
                                gboolean       bias)
{
  cJSON *m;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  m = self->modules != NULL && index >= self->n_locked ? cJSON_GetArrayItem (self->modules, (int) index) : NULL;
  if (m == NULL)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive (m, "bias");
  cJSON_AddBoolToObject (m, "bias", bias);
  if (!self->rebuilding)
    {
      rebuild (self);
      emit_changed (self);
    }
}

static void
on_bias_toggled (GtkSwitch     *sw,
                 GParamSpec    *pspec,
                 VsModuleStack *self)
{
  cJSON *m = cJSON_GetArrayItem (self->modules, module_index (GTK_WIDGET (sw)));

  (void) pspec;
  if (self->rebuilding || m == NULL)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive (m, "bias");
  cJSON_AddBoolToObject (m, "bias", gtk_switch_get_active (sw));
  emit_changed (self);
}

static void
on_mode_toggled (GtkCheckButton *check,
                 VsModuleStack  *self)
{
  if (self->rebuilding)
    return;
  set_pooling_mode (self, g_object_get_data (G_OBJECT (check), "vs-mode"),
                    gtk_check_button_get_active (check));
}

static void
on_out_features_changed (GtkSpinButton *spin,
                         VsModuleStack *self)
{
  cJSON *m = cJSON_GetArrayItem (self->modules, module_index (GTK_WIDGET (spin)));

  if (self->rebuilding || m == NULL)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive (m, "out_features");
  cJSON_AddNumberToObject (m, "out_features", gtk_spin_button_get_value_as_int (spin));
  emit_changed (self);
}

static void
on_activation_changed (GtkDropDown   *drop,
                       GParamSpec    *pspec,
                       VsModuleStack *self)
{
  cJSON *m = cJSON_GetArrayItem (self->modules, module_index (GTK_WIDGET (drop)));
  guint sel = gtk_drop_down_get_selected (drop);

  if (self->rebuilding || m == NULL || sel >= g_strv_length ((char **) vs_dense_activation_names))
    return;
  set_string (m, "activation", vs_dense_activation_names[sel]);
  emit_changed (self);
}

static void
on_max_seq_length_changed (GtkSpinButton *spin,
                           VsModuleStack *self)
{
  if (self->rebuilding)
    return;
  self->max_seq_length = (gsize) gtk_spin_button_get_value_as_int (spin);
  g_signal_emit (self, signals[MAX_SEQ_LENGTH_CHANGED], 0, (guint) self->max_seq_length);
}

/* One block: a card with a title, a subtitle and the module's controls. */
static GtkWidget *
add_block (VsModuleStack *self,
           const char    *title,
           const char    *subtitle,
           GtkWidget    **controls_out)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *arrow_box, *arrow_icon, *arrow_label;

  gtk_widget_add_css_class (card, "card");
  gtk_widget_set_margin_start (head, 12);
  gtk_widget_set_margin_end (head, 12);
  gtk_widget_set_margin_top (head, 12);
  gtk_widget_set_margin_bottom (head, 12);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (titles), label);
  if (subtitle != NULL)
    {
      GtkWidget *sub = gtk_label_new (subtitle);
      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
      gtk_widget_add_css_class (sub, "dim-label");
      gtk_box_append (GTK_BOX (titles), sub);
    }
  gtk_widget_set_hexpand (titles, TRUE);
  gtk_box_append (GTK_BOX (head), titles);
  gtk_box_append (GTK_BOX (card), head);
  gtk_box_append (self->blocks_box, card);

  /* The arrow after the block, with its width as text. */
  arrow_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (arrow_box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (arrow_box, 4);
  gtk_widget_set_margin_bottom (arrow_box, 4);
  arrow_icon = gtk_image_new_from_icon_name ("go-down-symbolic");
  gtk_accessible_update_state (GTK_ACCESSIBLE (arrow_icon), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);
  arrow_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (arrow_label, "caption");
  gtk_widget_add_css_class (arrow_label, "numeric");
  gtk_box_append (GTK_BOX (arrow_box), arrow_icon);
  gtk_box_append (GTK_BOX (arrow_box), arrow_label);
  gtk_box_append (self->blocks_box, arrow_box);
  g_ptr_array_add (self->arrows, arrow_label);

  *controls_out = head;
  return card;
}

static void
add_remove_button (VsModuleStack *self,
                   GtkWidget     *head,
                   int            index,
                   const char    *what)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  /* Translators: %s is a module name, "Dense" or "Normalize" */
  g_autofree char *name = g_strdup_printf (_("Remove %s"), what);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data (G_OBJECT (button), "vs-module-index", GINT_TO_POINTER (index));
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_clicked), self);
  gtk_box_append (GTK_BOX (head), button);
}

static void
add_move_button (VsModuleStack *self,
                 GtkWidget     *head,
                 int            index,
                 const char    *what,
                 gboolean       up)
{
  GtkWidget *button = gtk_button_new_from_icon_name (up ? "go-up-symbolic" : "go-down-symbolic");
  g_autofree char *name = up
    /* Translators: %s is a module name, "Dense" or "Normalize" */
    ? g_strdup_printf (_("Move %s Up"), what)
    /* Translators: %s is a module name, "Dense" or "Normalize" */
    : g_strdup_printf (_("Move %s Down"), what);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data (G_OBJECT (button), "vs-module-index", GINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (button), "vs-move", (gpointer) (up ? "up" : "down"));
  g_signal_connect (button, "clicked", G_CALLBACK (on_move_clicked), self);
  gtk_box_append (GTK_BOX (head), button);
  /* Keyboard users keep their place on the moved block's button. */
  if (self->focus_kind != NULL && self->focus_index == index
      && g_strcmp0 (self->focus_kind, up ? "up" : "down") == 0)
    gtk_widget_grab_focus (button);
}

/* A caption over a control in a block, labelling it for screen readers. */
static GtkWidget *
add_labelled (GtkWidget  *box,
              const char *caption,
              GtkWidget  *control)
{
  GtkWidget *field = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (caption);

  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
  /* GTK 4.8 names a drop-down's own button (what has the focus) after its
   * type: the caption labels it too. */
  if (GTK_IS_DROP_DOWN (control) && GTK_IS_BUTTON (gtk_widget_get_first_child (control)))
    gtk_accessible_update_relation (GTK_ACCESSIBLE (gtk_widget_get_first_child (control)),
                                    GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
  gtk_box_append (GTK_BOX (field), label);
  gtk_box_append (GTK_BOX (field), control);
  if (GTK_IS_FLOW_BOX (box))
    gtk_flow_box_append (GTK_FLOW_BOX (box), field);
  else
    gtk_box_append (GTK_BOX (box), field);
  return control;
}

static void
rebuild (VsModuleStack *self)
{
  GtkWidget *child, *head, *card;
  gboolean has_normalize = FALSE;
  const cJSON *m;
  int i = 0;

  self->rebuilding = TRUE;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->blocks_box))) != NULL)
    gtk_box_remove (self->blocks_box, child);
  g_ptr_array_set_size (self->arrows, 0);

  card = add_block (self, _("Transformer"), self->transformer, &head);
  if (self->editable)
    add_dnd (self, card, -1, FALSE);
  if (self->max_seq_length > 0)
    {
      GtkWidget *label = gtk_label_new (_("Maximum sequence length"));

      gtk_widget_add_css_class (label, "dim-label");
      /* Wraps in a narrow window rather than widening it. */
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_RIGHT);
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_box_append (GTK_BOX (head), label);
      if (self->editable && self->n_locked == 0)
        {
          GtkWidget *spin = gtk_spin_button_new_with_range (8, 8192, 8);

          gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), (double) self->max_seq_length);
          gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
          gtk_accessible_update_relation (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
          g_signal_connect (spin, "value-changed", G_CALLBACK (on_max_seq_length_changed), self);
          gtk_box_append (GTK_BOX (head), spin);
        }
      else
        {
          g_autofree char *text = g_strdup_printf ("%zu", self->max_seq_length);
          GtkWidget *value = gtk_label_new (text);

          gtk_box_append (GTK_BOX (head), value);
        }
    }

  /* Without a Pooling module the engine implies mean pooling; show it. */
  self->implied = find_module (self, "pooling", NULL) == NULL;
  if (self->implied)
    add_block (self, _("Pooling"), _("mean (implied)"), &head);

  cJSON_ArrayForEach (m, self->modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "type"));
      /* a loaded model's own modules are shown, not edited */
      gboolean edit = self->editable && i >= (int) self->n_locked;

      if (g_strcmp0 (type, "pooling") == 0)
        {
          const char *mode = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "mode"));
          guint bits = vs_pooling_modes_from_string (mode != NULL ? mode : "mean");

          card = add_block (self, _("Pooling"), edit ? NULL : mode, &head);
          if (self->editable)
            add_dnd (self, card, i, FALSE);
          if (edit)
            {
              GtkWidget *flow = gtk_flow_box_new ();

              gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
              gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), 6);
              gtk_widget_set_margin_start (flow, 6);
              gtk_widget_set_margin_end (flow, 6);
              gtk_widget_set_margin_bottom (flow, 6);
              for (guint k = 0; vs_pooling_mode_names[k] != NULL; k++)
                {
                  GtkWidget *check = gtk_check_button_new_with_label (vs_pooling_mode_names[k]);

                  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), (bits & vs_pooling_mode_bit_at (k)) != 0);
                  g_object_set_data (G_OBJECT (check), "vs-mode", (gpointer) vs_pooling_mode_names[k]);
                  g_signal_connect (check, "toggled", G_CALLBACK (on_mode_toggled), self);
                  gtk_flow_box_append (GTK_FLOW_BOX (flow), check);
                }
              gtk_box_append (GTK_BOX (card), flow);
            }
        }
      else if (g_strcmp0 (type, "dense") == 0)
        {
          const cJSON *of = cJSON_GetObjectItemCaseSensitive (m, "out_features");
          const char *act = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "activation"));
          gboolean bias = !cJSON_IsFalse (cJSON_GetObjectItemCaseSensitive (m, "bias"));
          g_autofree char *subtitle = NULL;

          if (act == NULL)
            act = "tanh";
          subtitle = bias
            /* Translators: %s is an activation function name, e.g. "tanh" */
            ? g_strdup_printf (_("Linear layer with bias, then %s"), act)
            /* Translators: %s is an activation function name, e.g. "tanh" */
            : g_strdup_printf (_("Linear layer without bias, then %s"), act);
          /* Editable: the controls say it (and stay current as they change). */
          card = add_block (self, _("Dense"), edit ? _("Linear layer and activation") : subtitle, &head);
          if (self->editable)
            add_dnd (self, card, i, edit);
          if (edit)
            {
              /* A flow box: the three fields wrap in a narrow window. */
              GtkWidget *controls = gtk_flow_box_new ();
              GtkWidget *spin = gtk_spin_button_new_with_range (1, 8192, 1);
              GtkWidget *drop = gtk_drop_down_new_from_strings (vs_dense_activation_names);
              GtkWidget *sw = gtk_switch_new ();
              guint sel = 0;

              gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (controls), GTK_SELECTION_NONE);
              gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (controls), 3);
              gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (controls), 18);
              gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (controls), 6);
              gtk_widget_set_margin_start (controls, 12);
              gtk_widget_set_margin_end (controls, 12);
              gtk_widget_set_margin_bottom (controls, 12);
              gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), cJSON_IsNumber (of) ? of->valuedouble : 1);
              g_object_set_data (G_OBJECT (spin), "vs-module-index", GINT_TO_POINTER (i));
              g_signal_connect (spin, "value-changed", G_CALLBACK (on_out_features_changed), self);
              add_labelled (controls, _("Out features"), spin);
              for (guint k = 0; vs_dense_activation_names[k] != NULL; k++)
                if (g_strcmp0 (act, vs_dense_activation_names[k]) == 0)
                  sel = k;
              gtk_drop_down_set_selected (GTK_DROP_DOWN (drop), sel);
              g_object_set_data (G_OBJECT (drop), "vs-module-index", GINT_TO_POINTER (i));
              g_signal_connect (drop, "notify::selected", G_CALLBACK (on_activation_changed), self);
              add_labelled (controls, _("Activation"), drop);
              gtk_switch_set_active (GTK_SWITCH (sw), bias);
              g_object_set_data (G_OBJECT (sw), "vs-module-index", GINT_TO_POINTER (i));
              g_signal_connect (sw, "notify::active", G_CALLBACK (on_bias_toggled), self);
              add_labelled (controls, _("Bias"), sw);
              gtk_box_append (GTK_BOX (card), controls);
              add_move_button (self, head, i, _("Dense"), TRUE);
              add_move_button (self, head, i, _("Dense"), FALSE);
              add_remove_button (self, head, i, _("Dense"));
            }
        }
      else if (g_strcmp0 (type, "normalize") == 0)
        {
          has_normalize = TRUE;
          card = add_block (self, _("Normalize"), _("Unit length"), &head);
          if (self->editable)
            add_dnd (self, card, i, edit);
          if (edit)
            {
              add_move_button (self, head, i, _("Normalize"), TRUE);
              add_move_button (self, head, i, _("Normalize"), FALSE);
              add_remove_button (self, head, i, _("Normalize"));
            }
        }
      else
        add_block (self, type != NULL ? type : _("Unknown module"), NULL, &head);
      i++;
    }
  (void) card;

  gtk_widget_set_visible (self->add_box, self->editable);
  gtk_label_set_label (self->read_only_label,
                       self->n_locked > 0
                       ? _("The first blocks are the loaded model’s own, from its modules.json, and stay as they "
                           "are. Dense and Normalize layers you add go on top of them.")
                       : _("Read from the model folder’s modules.json."));
  gtk_widget_set_visible (GTK_WIDGET (self->read_only_label), !self->editable || self->n_locked > 0);
  /* Any number of Dense modules; one Normalize. */
  gtk_widget_set_sensitive (self->add_normalize_button, !has_normalize);
  update_dimensions (self);
  self->rebuilding = FALSE;
}

void
vs_module_stack_set_modules (VsModuleStack *self,
                             const char    *transformer,
                             gsize          hidden,
                             const cJSON   *modules,
                             gboolean       editable)
{
  g_return_if_fail (VS_IS_MODULE_STACK (self));

  /* The same stack coming back from the project: keep the controls (and
   * the focus in them), refresh only the widths. */
  if (self->modules != NULL && hidden == self->hidden && editable == self->editable
      && self->n_locked == 0
      && g_strcmp0 (transformer, self->transformer) == 0
      && cJSON_Compare (self->modules, modules != NULL ? modules : self->modules, TRUE)
      && modules != NULL)
    {
      update_dimensions (self);
      return;
    }
  g_free (self->transformer);
  self->transformer = g_strdup (transformer);
  set_refusal (self, NULL);
  self->hidden = hidden;
  self->editable = editable;
  self->n_locked = 0;
  cJSON_Delete (self->modules);
  self->modules = modules != NULL ? cJSON_Duplicate (modules, TRUE) : cJSON_CreateArray ();
  rebuild (self);
}

void
vs_module_stack_set_modules_on_top (VsModuleStack *self,
                                    const char    *transformer,
                                    gsize          hidden,
                                    const cJSON   *base,
                                    const cJSON   *top)
{
  cJSON *all;
  const cJSON *m;
  guint n_base;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  all = base != NULL ? cJSON_Duplicate (base, TRUE) : cJSON_CreateArray ();
  n_base = (guint) cJSON_GetArraySize (all);
  cJSON_ArrayForEach (m, top)
    cJSON_AddItemToArray (all, cJSON_Duplicate (m, TRUE));
  /* The same stack coming back from the project: keep the controls. */
  if (self->modules != NULL && self->editable && self->n_locked == n_base && hidden == self->hidden
      && g_strcmp0 (transformer, self->transformer) == 0 && cJSON_Compare (self->modules, all, TRUE))
    {
      cJSON_Delete (all);
      update_dimensions (self);
      return;
    }
  g_free (self->transformer);
  self->transformer = g_strdup (transformer);
  set_refusal (self, NULL);
  self->hidden = hidden;
  self->editable = TRUE;
  self->n_locked = n_base;
  cJSON_Delete (self->modules);
  self->modules = all;
  rebuild (self);
}

void
vs_module_stack_set_max_seq_length (VsModuleStack *self,
                                    gsize          max_seq_length)
{
  g_return_if_fail (VS_IS_MODULE_STACK (self));

  if (self->max_seq_length == max_seq_length)
    return;
  self->max_seq_length = max_seq_length;
  if (self->modules != NULL)
    rebuild (self);
}

void
vs_module_stack_clear (VsModuleStack *self)
{
  GtkWidget *child;

  g_return_if_fail (VS_IS_MODULE_STACK (self));

  g_clear_pointer (&self->modules, cJSON_Delete);
  self->n_locked = 0;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->blocks_box))) != NULL)
    gtk_box_remove (self->blocks_box, child);
  g_ptr_array_set_size (self->arrows, 0);
  gtk_widget_set_visible (self->add_box, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->read_only_label), FALSE);
  g_clear_pointer (&self->error, g_free);
  set_refusal (self, NULL);
}

const cJSON *
vs_module_stack_get_modules (VsModuleStack *self)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);
  return self->modules;
}

const char *
vs_module_stack_get_arrow_text (VsModuleStack *self,
                                guint          i)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);
  if (i >= self->arrows->len)
    return NULL;
  return gtk_label_get_label (g_ptr_array_index (self->arrows, i));
}

const char *
vs_module_stack_get_error (VsModuleStack *self)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);
  return self->error;
}

const char *
vs_module_stack_get_refusal (VsModuleStack *self)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);
  return self->refusal;
}

const char *
vs_module_stack_get_read_only_note (VsModuleStack *self)
{
  g_return_val_if_fail (VS_IS_MODULE_STACK (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->read_only_label)))
    return NULL;
  return gtk_label_get_label (self->read_only_label);
}

GtkWidget *
vs_module_stack_new (void)
{
  return g_object_new (VS_TYPE_MODULE_STACK, NULL);
}

static void
vs_module_stack_finalize (GObject *object)
{
  VsModuleStack *self = VS_MODULE_STACK (object);

  g_free (self->transformer);
  g_free (self->error);
  if (self->toast != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->toast), (gpointer *) &self->toast);
  g_free (self->refusal);
  cJSON_Delete (self->modules);
  g_ptr_array_unref (self->arrows);
  G_OBJECT_CLASS (vs_module_stack_parent_class)->finalize (object);
}

static void
vs_module_stack_class_init (VsModuleStackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = vs_module_stack_finalize;

  /* ::changed (const cJSON *modules): the user edited the stack. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);

  /* ::max-seq-length-changed (guint): the user changed the Transformer's limit. */
  signals[MAX_SEQ_LENGTH_CHANGED] = g_signal_new ("max-seq-length-changed", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-module-stack.ui");
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, blocks_box);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, error_label);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, refusal_label);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, read_only_label);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, add_box);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, add_dense_button);
  gtk_widget_class_bind_template_child (widget_class, VsModuleStack, add_normalize_button);
  gtk_widget_class_bind_template_callback (widget_class, on_add_dense_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_add_normalize_clicked);
}

static void
vs_module_stack_init (VsModuleStack *self)
{
  self->arrows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (self->add_box, FALSE);
}
