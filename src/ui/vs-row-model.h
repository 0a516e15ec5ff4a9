/* vs-row-model.h: the rows of a loaded dataset as a GListModel.
 *
 * VsRowModel lists one VsRowItem per row of a VsDatasetRef without creating
 * them up front: an item is made when a view asks for its position (a small
 * GObject holding the row index and a reference on the dataset), so a view
 * over a million rows costs only the rows on screen. Cells are formatted by
 * the engine (vs_column_format_cell) only when a cell is bound.
 *
 *   g_autoptr(VsRowModel) rows = vs_row_model_new (vs_project_get_dataset (project));
 *   gtk_column_view_set_model (view, GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (rows))));
 *   vs_row_model_set_dataset (rows, other);      // items-changed (0, old, new)
 */
#pragma once

#include <gio/gio.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_ROW_ITEM (vs_row_item_get_type ())
G_DECLARE_FINAL_TYPE (VsRowItem, vs_row_item, VS, ROW_ITEM, GObject)

/* The row's index in the dataset. */
gsize         vs_row_item_get_index    (VsRowItem *self);
/* The dataset the row belongs to (borrowed). */
VsDatasetRef *vs_row_item_get_dataset  (VsRowItem *self);
/* The cell of column `column` as the engine formats it; NULL when the
 * column does not exist. g_free. */
char         *vs_row_item_dup_cell     (VsRowItem *self,
                                        guint      column);

#define VS_TYPE_ROW_MODEL (vs_row_model_get_type ())
G_DECLARE_FINAL_TYPE (VsRowModel, vs_row_model, VS, ROW_MODEL, GObject)

/* dataset may be NULL (no rows). */
VsRowModel   *vs_row_model_new         (VsDatasetRef *dataset);
VsDatasetRef *vs_row_model_get_dataset (VsRowModel   *self);
/* Replaces every row: items-changed (0, old count, new count). */
void          vs_row_model_set_dataset (VsRowModel   *self,
                                        VsDatasetRef *dataset);

G_END_DECLS
