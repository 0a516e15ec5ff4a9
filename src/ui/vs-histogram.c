/* vs-histogram.c: a bar chart of counts with one marked position. */
#include "config.h"

#include "vs-drawing.h"
#include "vs-histogram.h"

struct _VsHistogram
{
  GtkWidget  parent_instance;

  guint64   *bins;
  guint      n_bins;
  double     bin_width;
  double     marker;
  char      *summary;
};

G_DEFINE_FINAL_TYPE (VsHistogram, vs_histogram, GTK_TYPE_WIDGET)

GtkWidget *
vs_histogram_new (void)
{
  return g_object_new (VS_TYPE_HISTOGRAM, NULL);
}

void
vs_histogram_set_bins (VsHistogram   *self,
                       const guint64 *bins,
                       guint          n_bins,
                       double         bin_width,
                       double         marker,
                       const char    *summary)
{
  g_return_if_fail (VS_IS_HISTOGRAM (self));

  g_free (self->bins);
  self->bins = n_bins > 0 ? g_memdup2 (bins, n_bins * sizeof (guint64)) : NULL;
  self->n_bins = n_bins;
  self->bin_width = bin_width > 0 ? bin_width : 1;
  self->marker = marker;
  g_free (self->summary);
  self->summary = g_strdup (summary);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, summary ? summary : "",
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
vs_histogram_get_n_bins (VsHistogram *self)
{
  g_return_val_if_fail (VS_IS_HISTOGRAM (self), 0);
  return self->n_bins;
}

const char *
vs_histogram_get_summary (VsHistogram *self)
{
  g_return_val_if_fail (VS_IS_HISTOGRAM (self), NULL);
  return self->summary;
}

static void
vs_histogram_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  VsHistogram *self = VS_HISTOGRAM (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA bar, marker, axis;
  guint64 top = 0;
  double slot, axis_max;

  if (self->n_bins == 0 || width <= 0 || height <= 0)
    return;

  /* Colours from the theme (libadwaita's named colours). */
  vs_drawing_get_foreground (widget, &axis);
  vs_drawing_lookup_color (widget, "accent_color", "#3584e4", &bar);
  vs_drawing_lookup_color (widget, "error_color", "#e01b24", &marker);
  axis.alpha *= 0.3f;

  for (guint i = 0; i < self->n_bins; i++)
    top = MAX (top, self->bins[i]);
  slot = width / self->n_bins;
  axis_max = self->n_bins * self->bin_width;

  for (guint i = 0; i < self->n_bins; i++)
    {
      double h = top > 0 ? (height - 1) * (double) self->bins[i] / (double) top : 0;

      /* A non-empty bin gets at least a sliver, so rare lengths show. */
      if (self->bins[i] > 0)
        h = MAX (h, 2);
      gtk_snapshot_append_color (snapshot, &bar,
                                 &GRAPHENE_RECT_INIT (i * slot + 1, height - 1 - h,
                                                      MAX (slot - 2, 1), h));
    }
  gtk_snapshot_append_color (snapshot, &axis, &GRAPHENE_RECT_INIT (0, height - 1, width, 1));

  if (self->marker >= 0 && self->marker <= axis_max)
    {
      double x = width * self->marker / axis_max;

      gtk_snapshot_append_color (snapshot, &marker,
                                 &GRAPHENE_RECT_INIT (MIN (x, width - 2), 0, 2, height));
    }
}

static void
vs_histogram_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 320;
    }
  else
    {
      *minimum = 64;
      *natural = 96;
    }
}

static void
vs_histogram_finalize (GObject *object)
{
  VsHistogram *self = VS_HISTOGRAM (object);

  g_free (self->bins);
  g_free (self->summary);
  G_OBJECT_CLASS (vs_histogram_parent_class)->finalize (object);
}

static void
vs_histogram_class_init (VsHistogramClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = vs_histogram_finalize;
  widget_class->snapshot = vs_histogram_snapshot;
  widget_class->measure = vs_histogram_measure;
  gtk_widget_class_set_css_name (widget_class, "histogram");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
vs_histogram_init (VsHistogram *self)
{
  self->marker = -1;
}
