/* vs-row-model.c: the rows of a loaded dataset as a GListModel. */
#include "config.h"

#include "vs-row-model.h"

struct _VsRowItem
{
  GObject       parent_instance;

  VsDatasetRef *dataset;
  gsize         index;
};

G_DEFINE_FINAL_TYPE (VsRowItem, vs_row_item, G_TYPE_OBJECT)

static void
vs_row_item_finalize (GObject *object)
{
  VsRowItem *self = VS_ROW_ITEM (object);

  g_clear_pointer (&self->dataset, vs_dataset_ref_unref);
  G_OBJECT_CLASS (vs_row_item_parent_class)->finalize (object);
}

static void
vs_row_item_class_init (VsRowItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vs_row_item_finalize;
}

static void
vs_row_item_init (VsRowItem *self)
{
}

gsize
vs_row_item_get_index (VsRowItem *self)
{
  g_return_val_if_fail (VS_IS_ROW_ITEM (self), 0);
  return self->index;
}

VsDatasetRef *
vs_row_item_get_dataset (VsRowItem *self)
{
  g_return_val_if_fail (VS_IS_ROW_ITEM (self), NULL);
  return self->dataset;
}

char *
vs_row_item_dup_cell (VsRowItem *self,
                      guint      column)
{
  const VsColumn *col;

  g_return_val_if_fail (VS_IS_ROW_ITEM (self), NULL);

  col = vs_dataset_get_column (vs_dataset_ref_get_dataset (self->dataset), column);
  if (col == NULL)
    return NULL;
  return vs_column_format_cell (col, self->index);
}

/* ---- the model ---- */

struct _VsRowModel
{
  GObject       parent_instance;

  VsDatasetRef *dataset;
  guint         n_items;
};

static void vs_row_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VsRowModel, vs_row_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, vs_row_model_list_model_init))

static GType
vs_row_model_get_item_type (GListModel *model)
{
  return VS_TYPE_ROW_ITEM;
}

static guint
vs_row_model_get_n_items (GListModel *model)
{
  return VS_ROW_MODEL (model)->n_items;
}

static gpointer
vs_row_model_get_item (GListModel *model,
                       guint       position)
{
  VsRowModel *self = VS_ROW_MODEL (model);
  VsRowItem *item;

  if (position >= self->n_items)
    return NULL;

  /* Made on demand: a view only asks for the rows it shows. */
  item = g_object_new (VS_TYPE_ROW_ITEM, NULL);
  item->dataset = vs_dataset_ref_ref (self->dataset);
  item->index = position;
  return item;
}

static void
vs_row_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = vs_row_model_get_item_type;
  iface->get_n_items = vs_row_model_get_n_items;
  iface->get_item = vs_row_model_get_item;
}

static void
vs_row_model_finalize (GObject *object)
{
  VsRowModel *self = VS_ROW_MODEL (object);

  g_clear_pointer (&self->dataset, vs_dataset_ref_unref);
  G_OBJECT_CLASS (vs_row_model_parent_class)->finalize (object);
}

static void
vs_row_model_class_init (VsRowModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vs_row_model_finalize;
}

static void
vs_row_model_init (VsRowModel *self)
{
}

VsRowModel *
vs_row_model_new (VsDatasetRef *dataset)
{
  VsRowModel *self = g_object_new (VS_TYPE_ROW_MODEL, NULL);

  if (dataset != NULL)
    {
      gsize n = vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (dataset));

      self->dataset = vs_dataset_ref_ref (dataset);
      /* GListModel positions are guint; tables past 4G rows show their start. */
      self->n_items = (guint) MIN (n, (gsize) G_MAXUINT);
    }
  return self;
}

VsDatasetRef *
vs_row_model_get_dataset (VsRowModel *self)
{
  g_return_val_if_fail (VS_IS_ROW_MODEL (self), NULL);
  return self->dataset;
}

void
vs_row_model_set_dataset (VsRowModel   *self,
                          VsDatasetRef *dataset)
{
  guint old_n;

  g_return_if_fail (VS_IS_ROW_MODEL (self));

  if (dataset == self->dataset)
    return;

  old_n = self->n_items;
  if (dataset != NULL)
    vs_dataset_ref_ref (dataset);
  g_clear_pointer (&self->dataset, vs_dataset_ref_unref);
  self->dataset = dataset;
  self->n_items = dataset != NULL
                  ? (guint) MIN (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (dataset)), (gsize) G_MAXUINT)
                  : 0;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
}
