/* vs-heatmap.h: a similarity matrix as a grid of coloured cells.
 *
 * The Try page shows the cosine similarities of typed sentences, for the
 * base model, the trained one and their difference, each as a VsHeatmap.
 * Values map to colours through vs_heatmap_color: a sequential scale over
 * [lo, hi] for similarities, or a diverging one centred on 0 for
 * differences. Each cell shows its value as text when it is large enough;
 * hovering shows the two sentences and the value in a tooltip; and the
 * whole matrix is the widget's accessible description
 * (vs_heatmap_dup_text), so a screen reader reads every value.
 *
 *   GtkWidget *map = vs_heatmap_new ();
 *   vs_heatmap_set_matrix (VS_HEATMAP (map), n, n, sims, texts, texts);
 *   vs_heatmap_set_range (VS_HEATMAP (map), -1.0, 1.0, FALSE);
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VS_TYPE_HEATMAP (vs_heatmap_get_type ())
G_DECLARE_FINAL_TYPE (VsHeatmap, vs_heatmap, VS, HEATMAP, GtkWidget)

GtkWidget  *vs_heatmap_new            (void);

/* The heading (and accessible label), e.g. "Base model". */
void        vs_heatmap_set_title      (VsHeatmap          *self,
                                       const char         *title);
const char *vs_heatmap_get_title      (VsHeatmap          *self);

/* n_rows × n_cols values, row-major (copied); labels (copied, may be NULL:
 * then "1", "2", …) name the rows and columns. n_rows or n_cols 0 empties. */
void        vs_heatmap_set_matrix     (VsHeatmap          *self,
                                       guint               n_rows,
                                       guint               n_cols,
                                       const float        *values,
                                       const char * const *row_labels,
                                       const char * const *col_labels);
guint       vs_heatmap_get_n_rows     (VsHeatmap          *self);
guint       vs_heatmap_get_n_cols     (VsHeatmap          *self);
/* NaN when out of range. */
double      vs_heatmap_get_value      (VsHeatmap          *self,
                                       guint               row,
                                       guint               col);

/* The colour scale: [lo, hi]; diverging centres it on 0 (blue below, red
 * above, neutral at 0). Default: [-1, 1], not diverging. */
void        vs_heatmap_set_range      (VsHeatmap          *self,
                                       double              lo,
                                       double              hi,
                                       gboolean            diverging);

/* The cell under widget coordinates (x, y) given the current allocation;
 * FALSE outside the grid. */
gboolean    vs_heatmap_cell_at        (VsHeatmap          *self,
                                       double              x,
                                       double              y,
                                       guint              *row,
                                       guint              *col);
/* "“A man plays guitar” and “A woman sings”: 0.42". Free with g_free;
 * NULL when out of range. */
char       *vs_heatmap_dup_cell_text  (VsHeatmap          *self,
                                       guint               row,
                                       guint               col);
/* Every value, row by row, as the accessible description reads it.
 * Free with g_free. */
char       *vs_heatmap_dup_text       (VsHeatmap          *self);

/* Pure: the colour of value on the scale (NaN: transparent grey). */
void        vs_heatmap_color          (double              value,
                                       double              lo,
                                       double              hi,
                                       gboolean            diverging,
                                       GdkRGBA            *color);

G_END_DECLS
