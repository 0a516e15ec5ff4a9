/* vs-heatmap.c: a similarity matrix as a grid of coloured cells.
 *
 * Square cells, row labels on the left (ellipsized), column numbers on
 * top, the value printed in a cell when it is large enough to hold it.
 * heatmap_layout () computes the geometry from the allocation for the
 * snapshot, cell_at and the tooltip alike.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "vs-heatmap.h"
#include "vs-drawing.h"

#define PAD          8.0
#define MIN_CELL     24
#define NAT_CELL     48
#define TEXT_CELL    36.0
#define LABEL_CHARS  20

struct _VsHeatmap
{
  GtkWidget  parent_instance;

  char      *title;
  guint      n_rows;
  guint      n_cols;
  float     *values;
  char     **row_labels;
  char     **col_labels;
  double     lo;
  double     hi;
  gboolean   diverging;

  /* heatmap_layout's text measurements, kept until labels or style change:
   * tooltips and cell_at ask for every pointer position. */
  gboolean   metrics_valid;
  double     metrics[3]; /* title_h, font_h, label_w */
};

G_DEFINE_FINAL_TYPE (VsHeatmap, vs_heatmap, GTK_TYPE_WIDGET)

/* ---------------------------------------------------------------------- */
/* Colour scale                                                             */

static void
mix (const GdkRGBA *a,
     const GdkRGBA *b,
     double         t,
     GdkRGBA       *out)
{
  out->red = a->red + (b->red - a->red) * t;
  out->green = a->green + (b->green - a->green) * t;
  out->blue = a->blue + (b->blue - a->blue) * t;
  out->alpha = a->alpha + (b->alpha - a->alpha) * t;
}

static void
heatmap_color (double   value,
               double   lo,
               double   hi,
               gboolean diverging,
               gboolean dark,
               GdkRGBA *color)
{
  /* Sequential: a light neutral to GNOME blue 4; diverging: blue 4 below 0,
   * a neutral (light 1, or dark 3 in dark mode) at 0, red 4 above. */
  static const GdkRGBA seq_start = { 0xf6 / 255.f, 0xf5 / 255.f, 0xf4 / 255.f, 1 };
  static const GdkRGBA seq_end = { 0x1c / 255.f, 0x71 / 255.f, 0xd8 / 255.f, 1 };
  static const GdkRGBA neutral_light = { 0xf6 / 255.f, 0xf5 / 255.f, 0xf4 / 255.f, 1 };
  static const GdkRGBA neutral_dark = { 0x3d / 255.f, 0x38 / 255.f, 0x46 / 255.f, 1 };
  static const GdkRGBA blue = { 0x1c / 255.f, 0x71 / 255.f, 0xd8 / 255.f, 1 };
  static const GdkRGBA red = { 0xc0 / 255.f, 0x1c / 255.f, 0x28 / 255.f, 1 };

  g_return_if_fail (color != NULL);

  if (isnan (value) || isnan (lo) || isnan (hi))
    {
      *color = (GdkRGBA) { 0.5f, 0.5f, 0.5f, 0.25f };
      return;
    }
  if (lo > hi)
    {
      double t = lo;

      lo = hi;
      hi = t;
    }
  value = CLAMP (value, lo, hi);
  if (!diverging)
    {
      double t = hi > lo ? (value - lo) / (hi - lo) : 0.5;

      /* In dark mode the scale starts from a dark neutral, so low values recede. */
      mix (dark ? &neutral_dark : &seq_start, &seq_end, t, color);
    }
  else
    {
      const GdkRGBA *neutral = dark ? &neutral_dark : &neutral_light;

      if (value < 0)
        mix (neutral, &blue, lo < 0 ? value / lo : 1, color);
      else if (value > 0)
        mix (neutral, &red, hi > 0 ? value / hi : 1, color);
      else
        *color = *neutral;
    }
}

void
vs_heatmap_color (double   value,
                  double   lo,
                  double   hi,
                  gboolean diverging,
                  GdkRGBA *color)
{
  heatmap_color (value, lo, hi, diverging, FALSE, color);
}

/* ---------------------------------------------------------------------- */
/* Layout                                                                   */

typedef struct
{
  double gx, gy;    /* the grid's top left */
  double cell;
  double title_h, font_h, label_w;
} HeatmapLayout;

/* The label as drawn: at most LABEL_CHARS characters, then "…". */
static char *
short_label (const char *label)
{
  if (g_utf8_strlen (label, -1) <= LABEL_CHARS)
    return g_strdup (label);
  {
    g_autofree char *head = g_utf8_substring (label, 0, LABEL_CHARS - 1);

    return g_strconcat (head, "…", NULL);
  }
}

static void
heatmap_layout (VsHeatmap     *self,
                double         width,
                double         height,
                HeatmapLayout *l)
{
  GtkWidget *widget = GTK_WIDGET (self);

  memset (l, 0, sizeof *l);
  if (self->metrics_valid)
    {
      l->title_h = self->metrics[0];
      l->font_h = self->metrics[1];
      l->label_w = self->metrics[2];
    }
  else
    {
      g_autoptr(PangoLayout) probe = vs_drawing_make_layout (widget, "0", FALSE, 0.83);
      int pw, ph;

      pango_layout_get_pixel_size (probe, &pw, &ph);
      l->font_h = ph;
      if (self->title != NULL && self->title[0] != '\0')
        {
          g_autoptr(PangoLayout) title = vs_drawing_make_layout (widget, self->title, TRUE, 1.0);

          pango_layout_get_pixel_size (title, &pw, &ph);
          l->title_h = ph;
        }
      for (guint r = 0; r < self->n_rows; r++)
        {
          g_autofree char *text = short_label (self->row_labels[r]);
          g_autoptr(PangoLayout) label = vs_drawing_make_layout (widget, text, FALSE, 0.83);

          pango_layout_get_pixel_size (label, &pw, &ph);
          l->label_w = MAX (l->label_w, pw);
        }
      self->metrics[0] = l->title_h;
      self->metrics[1] = l->font_h;
      self->metrics[2] = l->label_w;
      self->metrics_valid = TRUE;
    }
  l->gx = PAD + l->label_w + 8;
  l->gy = PAD + (l->title_h > 0 ? l->title_h + 6 : 0) + l->font_h + 4;
  if (self->n_rows > 0 && self->n_cols > 0)
    l->cell = floor (MIN ((width - l->gx - PAD) / self->n_cols,
                          (height - l->gy - PAD) / self->n_rows));
  l->cell = MAX (l->cell, 1);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                               */

GtkWidget *
vs_heatmap_new (void)
{
  return g_object_new (VS_TYPE_HEATMAP, NULL);
}

static void
update_accessible (VsHeatmap *self)
{
  g_autofree char *text = vs_heatmap_dup_text (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->title != NULL ? self->title : "",
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

void
vs_heatmap_set_title (VsHeatmap  *self,
                      const char *title)
{
  g_return_if_fail (VS_IS_HEATMAP (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  self->metrics_valid = FALSE;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

const char *
vs_heatmap_get_title (VsHeatmap *self)
{
  g_return_val_if_fail (VS_IS_HEATMAP (self), NULL);
  return self->title;
}

static char **
copy_labels (const char * const *labels,
             guint               n)
{
  char **out = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    out[i] = labels != NULL && labels[i] != NULL ? g_strdup (labels[i]) : g_strdup_printf ("%u", i + 1);
  return out;
}

void
vs_heatmap_set_matrix (VsHeatmap          *self,
                       guint               n_rows,
                       guint               n_cols,
                       const float        *values,
                       const char * const *row_labels,
                       const char * const *col_labels)
{
  g_return_if_fail (VS_IS_HEATMAP (self));
  g_return_if_fail (n_rows == 0 || n_cols == 0 || values != NULL);

  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->row_labels, g_strfreev);
  g_clear_pointer (&self->col_labels, g_strfreev);
  if (n_rows == 0 || n_cols == 0)
    n_rows = n_cols = 0;
  self->n_rows = n_rows;
  self->n_cols = n_cols;
  if (n_rows > 0)
    self->values = g_memdup2 (values, (gsize) n_rows * n_cols * sizeof (float));
  self->row_labels = copy_labels (row_labels, n_rows);
  self->col_labels = copy_labels (col_labels, n_cols);
  self->metrics_valid = FALSE;
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
vs_heatmap_get_n_rows (VsHeatmap *self)
{
  g_return_val_if_fail (VS_IS_HEATMAP (self), 0);
  return self->n_rows;
}

guint
vs_heatmap_get_n_cols (VsHeatmap *self)
{
  g_return_val_if_fail (VS_IS_HEATMAP (self), 0);
  return self->n_cols;
}

double
vs_heatmap_get_value (VsHeatmap *self,
                      guint      row,
                      guint      col)
{
  g_return_val_if_fail (VS_IS_HEATMAP (self), NAN);
  if (row >= self->n_rows || col >= self->n_cols)
    return NAN;
  return self->values[(gsize) row * self->n_cols + col];
}

void
vs_heatmap_set_range (VsHeatmap *self,
                      double     lo,
                      double     hi,
                      gboolean   diverging)
{
  g_return_if_fail (VS_IS_HEATMAP (self));

  self->lo = MIN (lo, hi);
  self->hi = MAX (lo, hi);
  self->diverging = !!diverging;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
vs_heatmap_cell_at (VsHeatmap *self,
                    double     x,
                    double     y,
                    guint     *row,
                    guint     *col)
{
  GtkWidget *widget = GTK_WIDGET (self);
  HeatmapLayout l;
  double c, r;

  g_return_val_if_fail (VS_IS_HEATMAP (self), FALSE);
  if (self->n_rows == 0 || gtk_widget_get_width (widget) <= 0)
    return FALSE;
  heatmap_layout (self, gtk_widget_get_width (widget), gtk_widget_get_height (widget), &l);
  c = floor ((x - l.gx) / l.cell);
  r = floor ((y - l.gy) / l.cell);
  if (!(c >= 0 && c < self->n_cols && r >= 0 && r < self->n_rows))
    return FALSE;
  if (row != NULL)
    *row = (guint) r;
  if (col != NULL)
    *col = (guint) c;
  return TRUE;
}

static char *
format_value (double v)
{
  return g_strdup_printf ("%.2f", v);
}

char *
vs_heatmap_dup_cell_text (VsHeatmap *self,
                          guint      row,
                          guint      col)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (VS_IS_HEATMAP (self), NULL);
  if (row >= self->n_rows || col >= self->n_cols)
    return NULL;
  value = format_value (vs_heatmap_get_value (self, row, col));
  /* Translators: a heatmap cell: the row's and the column's sentence, then the value. */
  return g_strdup_printf (_("“%s” and “%s”: %s"), self->row_labels[row], self->col_labels[col], value);
}

char *
vs_heatmap_dup_text (VsHeatmap *self)
{
  GString *text;

  g_return_val_if_fail (VS_IS_HEATMAP (self), NULL);

  if (self->n_rows == 0)
    return g_strdup (_("No values"));
  text = g_string_new (NULL);
  for (guint r = 0; r < self->n_rows; r++)
    {
      if (r > 0)
        g_string_append_c (text, '\n');
      /* Translators: the start of one row of a heatmap as read aloud: "“A man plays guitar”: ". */
      g_string_append_printf (text, _("“%s”: "), self->row_labels[r]);
      for (guint c = 0; c < self->n_cols; c++)
        {
          g_autofree char *value = format_value (vs_heatmap_get_value (self, r, c));

          if (c > 0)
            g_string_append (text, ", ");
          g_string_append (text, value);
        }
    }
  return g_string_free (text, FALSE);
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                  */

static void
vs_heatmap_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  VsHeatmap *self = VS_HEATMAP (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  HeatmapLayout l;
  GdkRGBA fg, dim;
  gboolean dark;
  int pw, ph;

  if (width <= 0 || height <= 0)
    return;
  vs_drawing_get_foreground (widget, &fg);
  dark = vs_drawing_is_dark (&fg);
  dim = fg;
  dim.alpha *= 0.7f;
  heatmap_layout (self, width, height, &l);

  if (self->title != NULL && self->title[0] != '\0')
    {
      g_autoptr(PangoLayout) title = vs_drawing_make_layout (widget, self->title, TRUE, 1.0);

      pango_layout_set_width (title, (int) ((width - 2 * PAD) * PANGO_SCALE));
      pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_END);
      vs_drawing_text (snapshot, title, PAD, PAD, &fg);
    }
  if (self->n_rows == 0)
    {
      g_autoptr(PangoLayout) empty = vs_drawing_make_layout (widget, _("No values"), FALSE, 1.0);

      vs_drawing_text (snapshot, empty, PAD, PAD + l.title_h + 6, &dim);
      return;
    }

  for (guint c = 0; c < self->n_cols; c++)
    {
      g_autofree char *number = g_strdup_printf ("%u", c + 1);
      g_autoptr(PangoLayout) label = vs_drawing_make_layout (widget, number, FALSE, 0.83);

      pango_layout_get_pixel_size (label, &pw, &ph);
      vs_drawing_text (snapshot, label, l.gx + c * l.cell + (l.cell - pw) / 2, l.gy - 4 - ph, &dim);
    }
  for (guint r = 0; r < self->n_rows; r++)
    {
      g_autofree char *text = short_label (self->row_labels[r]);
      g_autoptr(PangoLayout) label = vs_drawing_make_layout (widget, text, FALSE, 0.83);

      pango_layout_get_pixel_size (label, &pw, &ph);
      vs_drawing_text (snapshot, label, l.gx - 8 - pw, l.gy + r * l.cell + (l.cell - ph) / 2, &fg);
    }

  for (guint r = 0; r < self->n_rows; r++)
    for (guint c = 0; c < self->n_cols; c++)
      {
        double v = vs_heatmap_get_value (self, r, c);
        double x = l.gx + c * l.cell, y = l.gy + r * l.cell;
        GdkRGBA color;

        heatmap_color (v, self->lo, self->hi, self->diverging, dark, &color);
        /* A 1 px gap between cells keeps neighbours of equal value apart. */
        gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x, y, l.cell - 1, l.cell - 1));
        if (l.cell >= TEXT_CELL)
          {
            g_autofree char *text = isnan (v) ? g_strdup ("–") : format_value (v);
            g_autoptr(PangoLayout) layout = vs_drawing_make_layout (widget, text, FALSE, l.cell >= 44 ? 0.83 : 0.7);
            double luminance = 0.2126 * color.red + 0.7152 * color.green + 0.0722 * color.blue;
            GdkRGBA ink;

            /* Over a transparent (NaN) cell the theme's text colour reads best. */
            if (color.alpha < 0.5)
              ink = dim;
            else if (luminance > 0.45)
              ink = (GdkRGBA) { 0, 0, 0, 0.8f };
            else
              ink = (GdkRGBA) { 1, 1, 1, 1 };
            pango_layout_get_pixel_size (layout, &pw, &ph);
            vs_drawing_text (snapshot, layout, x + (l.cell - 1 - pw) / 2, y + (l.cell - 1 - ph) / 2, &ink);
          }
      }
}

static void
vs_heatmap_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  VsHeatmap *self = VS_HEATMAP (widget);
  HeatmapLayout l;

  heatmap_layout (self, 0, 0, &l);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      double base = l.gx + PAD;

      *minimum = (int) ceil (MAX (base + self->n_cols * MIN_CELL, 120));
      *natural = (int) ceil (MAX (base + self->n_cols * NAT_CELL, 120));
    }
  else
    {
      double base = l.gy + PAD;

      *minimum = (int) ceil (MAX (base + self->n_rows * MIN_CELL, 60));
      *natural = (int) ceil (MAX (base + self->n_rows * NAT_CELL, 60));
    }
}

static gboolean
query_tooltip_cb (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  VsHeatmap *self = VS_HEATMAP (widget);
  g_autofree char *text = NULL;
  guint row, col;

  if (keyboard || !vs_heatmap_cell_at (self, x, y, &row, &col))
    return FALSE;
  text = vs_heatmap_dup_cell_text (self, row, col);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
vs_heatmap_css_changed (GtkWidget         *widget,
                        GtkCssStyleChange *change)
{
  VS_HEATMAP (widget)->metrics_valid = FALSE;
  GTK_WIDGET_CLASS (vs_heatmap_parent_class)->css_changed (widget, change);
}

static void
vs_heatmap_finalize (GObject *object)
{
  VsHeatmap *self = VS_HEATMAP (object);

  g_free (self->title);
  g_free (self->values);
  g_strfreev (self->row_labels);
  g_strfreev (self->col_labels);
  G_OBJECT_CLASS (vs_heatmap_parent_class)->finalize (object);
}

static void
vs_heatmap_class_init (VsHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = vs_heatmap_finalize;
  widget_class->snapshot = vs_heatmap_snapshot;
  widget_class->measure = vs_heatmap_measure;
  widget_class->css_changed = vs_heatmap_css_changed;
  gtk_widget_class_set_css_name (widget_class, "heatmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
vs_heatmap_init (VsHeatmap *self)
{
  self->lo = -1;
  self->hi = 1;
  self->row_labels = g_new0 (char *, 1);
  self->col_labels = g_new0 (char *, 1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  update_accessible (self);
}
