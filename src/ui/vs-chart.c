/* vs-chart.c: a line chart of training curves, drawn with GtkSnapshot.
 *
 * Points live in two growing arrays per series (steps, values), so an
 * append is O(1) amortised and only queues a draw. Drawing decimates to
 * one min/max pair per pixel column, so 10,000 points cost as much as the
 * plot is wide. The layout (title, ticks, plot rectangle, legend) is
 * computed from the allocation by one function, chart_layout (), used by
 * the snapshot, the hover and the legend clicks alike.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "vs-chart.h"
#include "vs-drawing.h"

#define PAD            8.0
#define MAX_Y_TICKS    6
#define MAX_X_TICKS    8
#define SWATCH         12.0
#define LEGEND_GAP     16.0
#define SUMMARY_DELAY  250

/* GNOME palette: blue 3, orange 3, green 4, purple 3, red 3, yellow 3, brown 3. */
static const char * const palette[] = {
  "#3584e4", "#ff7800", "#2ec27e", "#9141ac", "#e01b24", "#f6d32d", "#986a44",
};

typedef struct
{
  char     *id;
  char     *label;
  gboolean  smoothable;
  gboolean  visible;
  guint     color;
  GArray   *steps;   /* double */
  GArray   *values;  /* double */
} Series;

struct _VsChart
{
  GtkWidget  parent_instance;

  char      *title;
  GPtrArray *series;   /* Series */
  double     smoothing;
  double     range_lo;
  double     range_hi;
  double     hover_step; /* NaN: no hover */
  gboolean   fractional_steps; /* some step is not an integer */
  guint      summary_id;
};

enum {
  PROP_0,
  PROP_SMOOTHING,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VsChart, vs_chart, GTK_TYPE_WIDGET)

static void
series_free (gpointer data)
{
  Series *s = data;

  g_free (s->id);
  g_free (s->label);
  g_array_unref (s->steps);
  g_array_unref (s->values);
  g_free (s);
}

static Series *
find_series (VsChart    *self,
             const char *id)
{
  if (id == NULL)
    return NULL;
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      if (g_strcmp0 (s->id, id) == 0)
        return s;
    }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Pure helpers                                                             */

guint
vs_chart_nice_ticks (double  lo,
                     double  hi,
                     guint   max_ticks,
                     double *ticks,
                     double *axis_lo,
                     double *axis_hi)
{
  static const double mults[] = { 1.0, 2.0, 2.5, 5.0 };
  double raw, mag, step = 0, first = 0, last = 0;
  guint n = 0;

  g_return_val_if_fail (ticks != NULL, 0);
  max_ticks = MAX (max_ticks, 2);

  if (!isfinite (lo) && !isfinite (hi))
    {
      lo = 0;
      hi = 1;
    }
  else if (!isfinite (lo))
    lo = hi;
  else if (!isfinite (hi))
    hi = lo;
  if (lo > hi)
    {
      double t = lo;

      lo = hi;
      hi = t;
    }
  /* An empty range (or one below what doubles resolve at this magnitude)
   * widens around the value. */
  if (hi - lo <= fabs (lo) * 1e-12 || hi - lo <= fabs (hi) * 1e-12)
    {
      double delta = lo != 0 ? fabs (lo) * 0.1 : 1.0;

      lo -= delta;
      hi += delta;
    }

  raw = (hi - lo) / (max_ticks - 1);
  mag = pow (10, floor (log10 (raw)) - 1);
  /* The smallest nice step whose ticks cover [lo, hi] within max_ticks;
   * the step grows by ×10 every round, so this ends within a few rounds. */
  for (guint round = 0; round < 40 && step == 0; round++, mag *= 10)
    for (guint m = 0; m < G_N_ELEMENTS (mults); m++)
      {
        double s = mults[m] * mag;
        double f = floor (lo / s);
        double l = ceil (hi / s);

        /* Rounding in the division may put the end ticks inside the range. */
        if (f * s > lo)
          f -= 1;
        if (l * s < hi)
          l += 1;
        if (l - f + 1 <= max_ticks)
          {
            step = s;
            first = f;
            last = l;
            break;
          }
      }
  if (step == 0)
    {
      /* Two ticks cannot straddle 0 on multiples of their spacing; put
       * them on multiples of half the spacing instead. */
      for (mag = pow (10, floor (log10 (hi - lo)) - 1); n == 0; mag *= 10)
        for (guint m = 0; m < G_N_ELEMENTS (mults) && n == 0; m++)
          {
            double s = mults[m] * mag;
            double t0 = floor (lo / (s / 2)) * (s / 2);

            if (t0 > lo)
              t0 -= s / 2;
            if (t0 + s >= hi)
              {
                ticks[0] = t0;
                ticks[1] = t0 + s;
                n = 2;
              }
          }
    }
  else
    {
      n = (guint) (last - first + 1);
      for (guint i = 0; i < n; i++)
        ticks[i] = (first + i) * step;
      /* Multiplying back may land a hair inside; the ends must cover. */
      ticks[0] = MIN (ticks[0], lo);
      ticks[n - 1] = MAX (ticks[n - 1], hi);
    }
  if (axis_lo != NULL)
    *axis_lo = ticks[0];
  if (axis_hi != NULL)
    *axis_hi = ticks[n - 1];
  return n;
}

void
vs_chart_ema (const double *values,
              gsize         n,
              double        smoothing,
              double       *out)
{
  double last = 0;
  double count = 0;

  g_return_if_fail (n == 0 || (values != NULL && out != NULL));

  /* [0, 1): a weight of 1 would never move off 0 (and divide by 0). */
  if (!(smoothing >= 0))
    smoothing = 0;
  if (smoothing >= 1)
    smoothing = 0.999;
  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (values[i]))
        {
          out[i] = NAN;
          continue;
        }
      last = smoothing * last + (1 - smoothing) * values[i];
      count += 1;
      out[i] = last / (1 - pow (smoothing, count));
    }
}

/* The number of decimals that write spacing exactly (0.25 → 2, 500 → 0). */
static int
decimals_for (double spacing)
{
  for (int d = 0; d < 15; d++)
    {
      double scaled = spacing * pow (10, d);

      if (fabs (scaled - round (scaled)) <= 1e-6 * scaled)
        return d;
    }
  return 15;
}

/* "2.500" → "2.5", "3.000e-05" → "3e-05", "10" stays (frees s, returns new). */
static char *
strip_zeros (char *s)
{
  g_autofree char *owned = s;
  char *sep = strpbrk (s, ".,");
  char *exp = strpbrk (s, "eE");
  g_autofree char *exponent = g_strdup (exp != NULL ? exp : "");
  char *end;

  if (sep == NULL || (exp != NULL && sep > exp))
    return g_strdup (s);
  end = exp != NULL ? exp : s + strlen (s);
  /* Drop trailing zeros of the fraction, then a lone separator. */
  while (end - 1 > sep && end[-1] == '0')
    end--;
  if (end - 1 == sep)
    end--;
  *end = '\0';
  return g_strconcat (s, exponent, NULL);
}

char *
vs_chart_format_tick (double value,
                      double spacing)
{
  static const struct { double scale; const char *suffix; } si[] = {
    { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
  };
  double mag;

  if (!isfinite (value))
    return g_strdup_printf ("%g", value);
  spacing = fabs (spacing);
  if (!(spacing > 0) || !isfinite (spacing))
    spacing = fabs (value) > 0 ? fabs (value) : 1;
  /* A value that is zero up to rounding prints as 0, never -0 or 1e-17. */
  if (fabs (value) < spacing * 1e-6)
    return g_strdup ("0");

  mag = MAX (fabs (value), spacing);
  if (mag >= 1e3 && mag < 1e15)
    {
      for (guint i = 0; i < G_N_ELEMENTS (si); i++)
        if (mag >= si[i].scale)
          {
            int d = decimals_for (spacing / si[i].scale);

            g_autofree char *number = strip_zeros (g_strdup_printf ("%.*f", d, value / si[i].scale));

            return g_strconcat (number, si[i].suffix, NULL);
          }
    }
  if (mag >= 1e15 || spacing < 1e-4)
    {
      /* Enough mantissa digits to tell ticks spacing apart. */
      int ev = (int) floor (log10 (fabs (value)));
      int es = (int) floor (log10 (spacing));
      int d = MAX (0, ev - es) + (decimals_for (spacing / pow (10, es)) > 0 ? 1 : 0);

      return strip_zeros (g_strdup_printf ("%.*e", MIN (d, 15), value));
    }
  return strip_zeros (g_strdup_printf ("%.*f", decimals_for (spacing), value));
}

/* ---------------------------------------------------------------------- */
/* Layout                                                                   */

typedef struct
{
  double   width, height;
  double   x0, y0, x1, y1;          /* the plot rectangle */
  double   xlo, xhi, ylo, yhi;      /* what it shows */
  double   yticks[MAX_Y_TICKS];
  guint    n_yticks;
  double   xticks[MAX_X_TICKS];
  guint    n_xticks;
  double   title_h, font_h, legend_y;
  gboolean has_data;
} ChartLayout;

static void
layout_size (PangoLayout *layout,
             double      *w,
             double      *h)
{
  int pw, ph;

  pango_layout_get_pixel_size (layout, &pw, &ph);
  if (w != NULL)
    *w = pw;
  if (h != NULL)
    *h = ph;
}

static void
data_extent (VsChart *self,
             double  *xlo,
             double  *xhi,
             double  *ylo,
             double  *yhi)
{
  *xlo = *ylo = INFINITY;
  *xhi = *yhi = -INFINITY;
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      const double *v = (const double *) s->values->data;

      if (!s->visible || s->steps->len == 0)
        continue;
      *xlo = MIN (*xlo, g_array_index (s->steps, double, 0));
      *xhi = MAX (*xhi, g_array_index (s->steps, double, s->steps->len - 1));
      for (guint j = 0; j < s->values->len; j++)
        {
          *ylo = MIN (*ylo, v[j]);
          *yhi = MAX (*yhi, v[j]);
        }
    }
}

static void
chart_layout (VsChart     *self,
              double       width,
              double       height,
              ChartLayout *l)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autoptr(PangoLayout) probe = vs_drawing_make_layout (widget, "0", FALSE, 0.83);
  double dxlo, dxhi, dylo, dyhi, ylabel_w = 0, ystep;
  guint max_y;

  memset (l, 0, sizeof *l);
  l->width = width;
  l->height = height;
  layout_size (probe, NULL, &l->font_h);
  if (self->title != NULL && self->title[0] != '\0')
    {
      g_autoptr(PangoLayout) title = vs_drawing_make_layout (widget, self->title, TRUE, 1.0);

      layout_size (title, NULL, &l->title_h);
    }

  data_extent (self, &dxlo, &dxhi, &dylo, &dyhi);
  l->has_data = isfinite (dxlo);
  l->xlo = isfinite (self->range_lo) ? self->range_lo : (l->has_data ? dxlo : 0);
  l->xhi = isfinite (self->range_hi) ? self->range_hi : (l->has_data ? dxhi : 1);
  if (!(l->xhi > l->xlo))
    {
      /* One logged step (or a degenerate fixed range): centre it. */
      double c = l->xlo;

      l->xlo = c - 1;
      l->xhi = c + 1;
    }
  if (!l->has_data)
    {
      dylo = 0;
      dyhi = 1;
    }
  /* Rows first: the plot's height decides how many value ticks fit
   * (one per 28 px), its width how many step ticks (one per 70 px). */
  l->y0 = PAD + (l->title_h > 0 ? l->title_h + 8 : 0) + l->font_h / 2;
  l->legend_y = height - PAD - MAX (l->font_h, SWATCH);
  l->y1 = MAX (l->y0 + 1, l->legend_y - 8 - l->font_h - 4);
  max_y = (guint) CLAMP (floor ((l->y1 - l->y0) / 28) + 1, 2, MAX_Y_TICKS);
  l->n_yticks = vs_chart_nice_ticks (dylo, dyhi, max_y, l->yticks, &l->ylo, &l->yhi);
  ystep = l->n_yticks > 1 ? l->yticks[1] - l->yticks[0] : 1;
  for (guint i = 0; i < l->n_yticks; i++)
    {
      g_autofree char *text = vs_chart_format_tick (l->yticks[i], ystep);
      g_autoptr(PangoLayout) tick = vs_drawing_make_layout (widget, text, FALSE, 0.83);
      double w;

      layout_size (tick, &w, NULL);
      ylabel_w = MAX (ylabel_w, w);
    }
  l->x0 = PAD + ylabel_w + 6;
  l->x1 = MAX (l->x0 + 1, width - PAD - 14);

  {
    double xt[MAX_X_TICKS + 2];
    guint max_x = (guint) CLAMP (floor ((l->x1 - l->x0) / 70) + 1, 2, MAX_X_TICKS);
    guint n = vs_chart_nice_ticks (l->xlo, l->xhi, max_x, xt, NULL, NULL);

    /* The step axis shows exactly [xlo, xhi]: only the ticks inside it,
     * and no half steps while every logged step is a whole one. */
    for (guint i = 0; i < n && l->n_xticks < MAX_X_TICKS; i++)
      if ((self->fractional_steps || xt[i] == round (xt[i]))
          && xt[i] >= l->xlo - 1e-9 * (l->xhi - l->xlo) && xt[i] <= l->xhi + 1e-9 * (l->xhi - l->xlo))
        l->xticks[l->n_xticks++] = xt[i];
  }
}

/* Where each legend entry starts and how wide its label may be: labels
 * share what is left of the row when they do not all fit. */
static void
legend_entries (VsChart           *self,
                const ChartLayout *l,
                double            *xs,
                double            *label_ws)
{
  GtkWidget *widget = GTK_WIDGET (self);
  guint n = self->series->len;
  double total = 0, avail = l->width - PAD - l->x0, cap = G_MAXDOUBLE, x = l->x0;

  for (guint i = 0; i < n; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      g_autoptr(PangoLayout) label = vs_drawing_make_layout (widget, s->label, FALSE, 0.83);

      layout_size (label, &label_ws[i], NULL);
      total += SWATCH + 4 + label_ws[i] + (i > 0 ? LEGEND_GAP : 0);
    }
  if (n > 0 && total > avail)
    cap = MAX (24, (avail - n * (SWATCH + 4) - (n - 1) * LEGEND_GAP) / n);
  for (guint i = 0; i < n; i++)
    {
      label_ws[i] = MIN (label_ws[i], cap);
      xs[i] = x;
      x += SWATCH + 4 + label_ws[i] + LEGEND_GAP;
    }
}

static inline double
px_of_step (const ChartLayout *l,
            double             step)
{
  return l->x0 + (step - l->xlo) / (l->xhi - l->xlo) * (l->x1 - l->x0);
}

static inline double
py_of_value (const ChartLayout *l,
             double             value)
{
  return l->y1 - (value - l->ylo) / (l->yhi - l->ylo) * (l->y1 - l->y0);
}

/* ---------------------------------------------------------------------- */
/* Public API                                                               */

GtkWidget *
vs_chart_new (void)
{
  return g_object_new (VS_TYPE_CHART, NULL);
}

static gboolean
update_summary_cb (gpointer user_data)
{
  VsChart *self = user_data;
  g_autofree char *summary = vs_chart_dup_summary (self);

  self->summary_id = 0;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, summary,
                                  -1);
  return G_SOURCE_REMOVE;
}

/* The accessible description follows the points at most every 250 ms:
 * a trainer logging every step must not rebuild the text every step. */
static void
queue_summary (VsChart *self)
{
  if (self->summary_id == 0)
    self->summary_id = g_timeout_add (SUMMARY_DELAY, update_summary_cb, self);
}

void
vs_chart_set_title (VsChart    *self,
                    const char *title)
{
  g_return_if_fail (VS_IS_CHART (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title != NULL ? title : "",
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
vs_chart_get_title (VsChart *self)
{
  g_return_val_if_fail (VS_IS_CHART (self), NULL);
  return self->title;
}

void
vs_chart_add_series (VsChart    *self,
                     const char *id,
                     const char *label,
                     gboolean    smoothable)
{
  Series *s;

  g_return_if_fail (VS_IS_CHART (self));
  g_return_if_fail (id != NULL);

  s = find_series (self, id);
  if (s != NULL)
    {
      g_free (s->label);
      s->label = g_strdup (label != NULL ? label : id);
    }
  else
    {
      s = g_new0 (Series, 1);
      s->id = g_strdup (id);
      s->label = g_strdup (label != NULL ? label : id);
      s->smoothable = smoothable;
      s->visible = TRUE;
      s->color = self->series->len % G_N_ELEMENTS (palette);
      s->steps = g_array_new (FALSE, FALSE, sizeof (double));
      s->values = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (self->series, s);
    }
  queue_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
vs_chart_has_series (VsChart    *self,
                     const char *id)
{
  g_return_val_if_fail (VS_IS_CHART (self), FALSE);
  return find_series (self, id) != NULL;
}

char **
vs_chart_dup_series_ids (VsChart *self)
{
  GStrvBuilder *builder;
  char **ids;

  g_return_val_if_fail (VS_IS_CHART (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->series->len; i++)
    g_strv_builder_add (builder, ((Series *) g_ptr_array_index (self->series, i))->id);
  ids = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return ids;
}

gboolean
vs_chart_append (VsChart    *self,
                 const char *id,
                 double      step,
                 double      value)
{
  Series *s;
  guint n;

  g_return_val_if_fail (VS_IS_CHART (self), FALSE);

  s = find_series (self, id);
  if (s == NULL || !isfinite (step) || !isfinite (value))
    return FALSE;
  n = s->steps->len;
  if (n > 0)
    {
      double last = g_array_index (s->steps, double, n - 1);

      /* Lookups bisect the steps, so they must stay sorted. */
      if (step < last)
        return FALSE;
      if (step == last)
        {
          g_array_index (s->values, double, n - 1) = value;
          queue_summary (self);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          return TRUE;
        }
    }
  if (step != floor (step))
    self->fractional_steps = TRUE;
  g_array_append_val (s->steps, step);
  g_array_append_val (s->values, value);
  queue_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

guint
vs_chart_get_n_points (VsChart    *self,
                       const char *id)
{
  Series *s;

  g_return_val_if_fail (VS_IS_CHART (self), 0);
  s = find_series (self, id);
  return s != NULL ? s->steps->len : 0;
}

gboolean
vs_chart_get_point (VsChart    *self,
                    const char *id,
                    guint       i,
                    double     *step,
                    double     *value)
{
  Series *s;

  g_return_val_if_fail (VS_IS_CHART (self), FALSE);
  s = find_series (self, id);
  if (s == NULL || i >= s->steps->len)
    return FALSE;
  if (step != NULL)
    *step = g_array_index (s->steps, double, i);
  if (value != NULL)
    *value = g_array_index (s->values, double, i);
  return TRUE;
}

void
vs_chart_clear (VsChart *self)
{
  g_return_if_fail (VS_IS_CHART (self));

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      g_array_set_size (s->steps, 0);
      g_array_set_size (s->values, 0);
    }
  self->hover_step = NAN;
  self->fractional_steps = FALSE;
  queue_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
vs_chart_set_series_visible (VsChart    *self,
                             const char *id,
                             gboolean    visible)
{
  Series *s;

  g_return_if_fail (VS_IS_CHART (self));
  s = find_series (self, id);
  if (s == NULL || s->visible == !!visible)
    return;
  s->visible = !!visible;
  queue_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
vs_chart_get_series_visible (VsChart    *self,
                             const char *id)
{
  Series *s;

  g_return_val_if_fail (VS_IS_CHART (self), FALSE);
  s = find_series (self, id);
  return s != NULL && s->visible;
}

void
vs_chart_set_smoothing (VsChart *self,
                        double   smoothing)
{
  g_return_if_fail (VS_IS_CHART (self));

  if (!(smoothing >= 0))
    smoothing = 0;
  smoothing = MIN (smoothing, 0.999);
  if (self->smoothing == smoothing)
    return;
  self->smoothing = smoothing;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SMOOTHING]);
}

double
vs_chart_get_smoothing (VsChart *self)
{
  g_return_val_if_fail (VS_IS_CHART (self), 0);
  return self->smoothing;
}

void
vs_chart_set_step_range (VsChart *self,
                         double   lo,
                         double   hi)
{
  g_return_if_fail (VS_IS_CHART (self));

  self->range_lo = isfinite (lo) ? lo : NAN;
  self->range_hi = isfinite (hi) ? hi : NAN;
  if (isfinite (self->range_lo) && isfinite (self->range_hi) && self->range_lo > self->range_hi)
    {
      double t = self->range_lo;

      self->range_lo = self->range_hi;
      self->range_hi = t;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The index of the point nearest to step (ties: the earlier); -1 if none. */
static int
series_nearest (Series *s,
                double  step)
{
  const double *steps = (const double *) s->steps->data;
  guint lo = 0, hi = s->steps->len;

  if (hi == 0 || isnan (step))
    return -1;
  /* First index with steps[i] >= step. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (steps[mid] < step)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == s->steps->len)
    return (int) lo - 1;
  if (lo > 0 && step - steps[lo - 1] <= steps[lo] - step)
    return (int) lo - 1;
  return (int) lo;
}

gboolean
vs_chart_lookup (VsChart    *self,
                 const char *id,
                 double      step,
                 double     *found_step,
                 double     *value)
{
  Series *s;
  int i;

  g_return_val_if_fail (VS_IS_CHART (self), FALSE);
  s = find_series (self, id);
  if (s == NULL)
    return FALSE;
  i = series_nearest (s, step);
  if (i < 0)
    return FALSE;
  if (found_step != NULL)
    *found_step = g_array_index (s->steps, double, i);
  if (value != NULL)
    *value = g_array_index (s->values, double, i);
  return TRUE;
}

double
vs_chart_step_at_x (VsChart *self,
                    double   x)
{
  GtkWidget *widget = GTK_WIDGET (self);
  ChartLayout l;
  double w = gtk_widget_get_width (widget);
  double h = gtk_widget_get_height (widget);

  g_return_val_if_fail (VS_IS_CHART (self), NAN);
  if (w <= 0 || h <= 0)
    return NAN;
  chart_layout (self, w, h, &l);
  if (!(x >= l.x0 && x <= l.x1))
    return NAN;
  return l.xlo + (x - l.x0) / (l.x1 - l.x0) * (l.xhi - l.xlo);
}

/* The logged step nearest to step over the visible series (NaN if none). */
static double
snap_step (VsChart *self,
           double   step)
{
  double best = NAN, best_d = INFINITY;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      int j;
      double d, found;

      if (!s->visible)
        continue;
      j = series_nearest (s, step);
      if (j < 0)
        continue;
      found = g_array_index (s->steps, double, j);
      d = fabs (found - step);
      if (d < best_d || (d == best_d && found < best))
        {
          best = found;
          best_d = d;
        }
    }
  return best;
}

static char *
format_value (double v)
{
  return g_strdup_printf ("%.3g", v);
}

static char *
format_step (double step)
{
  if (step == round (step) && fabs (step) < 1e15)
    return g_strdup_printf ("%.0f", step);
  return g_strdup_printf ("%g", step);
}

/* The smoothed value of point i (the EMA over points 0..i). */
static double
series_smoothed_at (Series *s,
                    guint   i,
                    double  smoothing)
{
  g_autofree double *out = g_new (double, i + 1);

  vs_chart_ema ((const double *) s->values->data, i + 1, smoothing, out);
  return out[i];
}

char *
vs_chart_dup_readout (VsChart *self,
                      double   step)
{
  GString *text;
  double snapped;
  g_autofree char *step_text = NULL;

  g_return_val_if_fail (VS_IS_CHART (self), NULL);

  snapped = snap_step (self, step);
  if (isnan (snapped))
    return g_strdup (_("No points yet"));
  step_text = format_step (snapped);
  text = g_string_new (NULL);
  /* Translators: the first part of the chart's hover read-out, e.g. "Step 40". */
  g_string_append_printf (text, _("Step %s"), step_text);
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      g_autofree char *value = NULL;
      int j;

      if (!s->visible)
        continue;
      j = series_nearest (s, snapped);
      if (j < 0)
        continue;
      value = format_value (g_array_index (s->values, double, j));
      g_string_append_printf (text, " · %s %s", s->label, value);
      if (s->smoothable && self->smoothing > 0)
        {
          g_autofree char *smoothed = format_value (series_smoothed_at (s, j, self->smoothing));

          /* Translators: after a value in the hover read-out: "3.11 (smoothed 3.20)". */
          g_string_append_printf (text, _(" (smoothed %s)"), smoothed);
        }
    }
  return g_string_free (text, FALSE);
}

char *
vs_chart_dup_summary (VsChart *self)
{
  GString *text;

  g_return_val_if_fail (VS_IS_CHART (self), NULL);

  text = g_string_new (NULL);
  if (self->series->len == 0)
    g_string_append (text, _("No series"));
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      guint n = s->steps->len;

      if (text->len > 0)
        g_string_append (text, " ");
      if (n == 0)
        /* Translators: a chart series without points, e.g. "Evaluation loss: no points yet." */
        g_string_append_printf (text, _("%s: no points yet."), s->label);
      else
        {
          g_autofree char *value = format_value (g_array_index (s->values, double, n - 1));
          g_autofree char *step = format_step (g_array_index (s->steps, double, n - 1));

          /* Translators: a chart series, e.g. "Training loss: 2000 points, last 0.412 at step 2000." */
          g_string_append_printf (text, ngettext ("%s: %u point, last %s at step %s.",
                                                  "%s: %u points, last %s at step %s.", n),
                                  s->label, n, value, step);
        }
      if (!s->visible)
        g_string_append_printf (text, " %s", _("(hidden)"));
    }
  return g_string_free (text, FALSE);
}

void
vs_chart_set_hover_step (VsChart *self,
                         double   step)
{
  g_return_if_fail (VS_IS_CHART (self));

  self->hover_step = isfinite (step) ? step : NAN;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------------- */
/* Drawing                                                                  */

static void
get_colors (GtkWidget *widget,
            GdkRGBA   *fg,
            GdkRGBA   *card)
{
  vs_drawing_get_foreground (widget, fg);
  vs_drawing_lookup_color (widget, "popover_bg_color",
                           vs_drawing_is_dark (fg) ? "#383838" : "#ffffff", card);
}

/* Strokes values[] (NaN skipped) as a polyline, one min/max pair per
 * pixel column; single points as dots. */
static void
stroke_series (cairo_t           *cr,
               const ChartLayout *l,
               const double      *steps,
               const double      *values,
               guint              n,
               double             line_width,
               gboolean           dots)
{
  double col = NAN, cmin = 0, cmax = 0, cx = 0;
  guint in_col = 0, drawn = 0;
  gboolean started = FALSE;

  cairo_set_line_width (cr, line_width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  if (n == 1 || dots)
    {
      for (guint i = 0; i < n; i++)
        if (isfinite (values[i]))
          {
            cairo_new_sub_path (cr);
            cairo_arc (cr, px_of_step (l, steps[i]), py_of_value (l, values[i]),
                       line_width + 1.5, 0, 2 * G_PI);
            cairo_fill (cr);
          }
      if (n == 1)
        return;
    }

  for (guint i = 0; i <= n; i++)
    {
      double x = 0, y = 0, c = NAN;

      if (i < n)
        {
          if (!isfinite (values[i]))
            continue;
          x = px_of_step (l, steps[i]);
          y = py_of_value (l, values[i]);
          c = floor (x);
        }
      if (in_col > 0 && (i == n || c != col))
        {
          /* Flush the finished column. */
          if (in_col == 1)
            {
              if (started)
                cairo_line_to (cr, cx, cmin);
              else
                cairo_move_to (cr, cx, cmin);
            }
          else
            {
              if (started)
                cairo_line_to (cr, col + 0.5, cmin);
              else
                cairo_move_to (cr, col + 0.5, cmin);
              cairo_line_to (cr, col + 0.5, cmax);
            }
          started = TRUE;
          drawn++;
          in_col = 0;
        }
      if (i == n)
        break;
      if (in_col == 0)
        {
          col = c;
          cmin = cmax = y;
          cx = x;
        }
      else
        {
          cmin = MIN (cmin, y);
          cmax = MAX (cmax, y);
        }
      in_col++;
    }
  if (drawn > 0)
    cairo_stroke (cr);
}

static void
vs_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  VsChart *self = VS_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA fg, card, grid, axis, dim;
  ChartLayout l;
  cairo_t *cr;
  double ystep, xstep;

  if (width <= 0 || height <= 0)
    return;
  chart_layout (self, width, height, &l);
  get_colors (widget, &fg, &card);
  grid = axis = dim = fg;
  grid.alpha *= 0.10f;
  axis.alpha *= 0.35f;
  dim.alpha *= 0.7f;

  if (self->title != NULL && self->title[0] != '\0')
    {
      g_autoptr(PangoLayout) title = vs_drawing_make_layout (widget, self->title, TRUE, 1.0);

      pango_layout_set_width (title, (int) ((width - 2 * PAD) * PANGO_SCALE));
      pango_layout_set_ellipsize (title, PANGO_ELLIPSIZE_END);
      vs_drawing_text (snapshot, title, PAD, PAD, &fg);
    }

  /* Grid and y ticks. */
  ystep = l.n_yticks > 1 ? l.yticks[1] - l.yticks[0] : 1;
  for (guint i = 0; i < l.n_yticks; i++)
    {
      double y = round (py_of_value (&l, l.yticks[i]));
      g_autofree char *text = vs_chart_format_tick (l.yticks[i], ystep);
      g_autoptr(PangoLayout) tick = vs_drawing_make_layout (widget, text, FALSE, 0.83);
      double tw, th;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (l.x0, y, l.x1 - l.x0, 1));
      layout_size (tick, &tw, &th);
      vs_drawing_text (snapshot, tick, l.x0 - 6 - tw, y - th / 2, &dim);
    }
  xstep = l.n_xticks > 1 ? l.xticks[1] - l.xticks[0] : (l.xhi - l.xlo);
  for (guint i = 0; i < l.n_xticks; i++)
    {
      double x = round (px_of_step (&l, l.xticks[i]));
      g_autofree char *text = vs_chart_format_tick (l.xticks[i], xstep);
      g_autoptr(PangoLayout) tick = vs_drawing_make_layout (widget, text, FALSE, 0.83);
      double tw;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (x, l.y0, 1, l.y1 - l.y0));
      layout_size (tick, &tw, NULL);
      vs_drawing_text (snapshot, tick, CLAMP (x - tw / 2, 0, width - tw), l.y1 + 4, &dim);
    }
  gtk_snapshot_append_color (snapshot, &axis, &GRAPHENE_RECT_INIT (l.x0, round (l.y1), l.x1 - l.x0, 1));
  gtk_snapshot_append_color (snapshot, &axis, &GRAPHENE_RECT_INIT (round (l.x0), l.y0, 1, l.y1 - l.y0));

  if (!l.has_data)
    {
      g_autoptr(PangoLayout) empty = vs_drawing_make_layout (widget, _("No points yet"), FALSE, 1.0);
      double tw, th;

      layout_size (empty, &tw, &th);
      vs_drawing_text (snapshot, empty, (l.x0 + l.x1 - tw) / 2, (l.y0 + l.y1 - th) / 2, &dim);
    }

  /* The series, clipped to the plot. */
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (l.x0, l.y0 - 4,
                                                                  l.x1 - l.x0 + 4, l.y1 - l.y0 + 8));
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      const double *steps = (const double *) s->steps->data;
      const double *values = (const double *) s->values->data;
      guint n = s->steps->len;
      GdkRGBA color;

      if (!s->visible || n == 0)
        continue;
      gdk_rgba_parse (&color, palette[s->color]);
      if (s->smoothable && self->smoothing > 0 && n > 1)
        {
          g_autofree double *ema = g_new (double, n);

          cairo_set_source_rgba (cr, color.red, color.green, color.blue, 0.3);
          stroke_series (cr, &l, steps, values, n, 1.0, FALSE);
          vs_chart_ema (values, n, self->smoothing, ema);
          gdk_cairo_set_source_rgba (cr, &color);
          stroke_series (cr, &l, steps, ema, n, 2.0, FALSE);
        }
      else
        {
          gdk_cairo_set_source_rgba (cr, &color);
          stroke_series (cr, &l, steps, values, n, 2.0, !s->smoothable && n <= 60);
        }
    }
  cairo_destroy (cr);

  /* Legend: a swatch and the label per series; hidden ones dimmed. */
  {
    g_autofree double *xs = g_new (double, self->series->len + 1);
    g_autofree double *ws = g_new (double, self->series->len + 1);

    legend_entries (self, &l, xs, ws);
    for (guint i = 0; i < self->series->len; i++)
      {
        Series *s = g_ptr_array_index (self->series, i);
        g_autoptr(PangoLayout) label = vs_drawing_make_layout (widget, s->label, FALSE, 0.83);
        GdkRGBA color, text = fg;
        double th, row_h = MAX (l.font_h, SWATCH);

        gdk_rgba_parse (&color, palette[s->color]);
        if (!s->visible)
          {
            color.alpha = 0.25f;
            text.alpha *= 0.45f;
          }
        pango_layout_set_width (label, (int) (ceil (ws[i]) * PANGO_SCALE));
        pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_END);
        layout_size (label, NULL, &th);
        gtk_snapshot_append_color (snapshot, &color,
                                   &GRAPHENE_RECT_INIT (xs[i], l.legend_y + (row_h - SWATCH) / 2,
                                                        SWATCH, SWATCH));
        vs_drawing_text (snapshot, label, xs[i] + SWATCH + 4, l.legend_y + (row_h - th) / 2, &text);
      }
  }

  /* Hover: a rule at the nearest logged step and the read-out in a card. */
  if (isfinite (self->hover_step))
    {
      double snapped = snap_step (self, self->hover_step);

      if (isfinite (snapped) && snapped >= l.xlo && snapped <= l.xhi)
        {
          double x = round (px_of_step (&l, snapped));
          g_autofree char *readout = vs_chart_dup_readout (self, snapped);
          g_autoptr(PangoLayout) layout = vs_drawing_make_layout (widget, readout, FALSE, 0.83);
          double tw, th, cx, cy, max_w = MAX (60, l.x1 - l.x0 - 16);
          GskRoundedRect rounded;
          GdkRGBA border = fg;

          gtk_snapshot_append_color (snapshot, &axis, &GRAPHENE_RECT_INIT (x, l.y0, 1, l.y1 - l.y0));
          /* A ringed dot on every visible series at the step read out. */
          cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (l.x0 - 8, l.y0 - 8,
                                                                          l.x1 - l.x0 + 16, l.y1 - l.y0 + 16));
          for (guint i = 0; i < self->series->len; i++)
            {
              Series *s = g_ptr_array_index (self->series, i);
              int j = s->visible ? series_nearest (s, snapped) : -1;
              double v, sx;
              GdkRGBA color;

              if (j < 0)
                continue;
              v = g_array_index (s->values, double, j);
              if (s->smoothable && self->smoothing > 0)
                v = series_smoothed_at (s, j, self->smoothing);
              sx = px_of_step (&l, g_array_index (s->steps, double, j));
              gdk_rgba_parse (&color, palette[s->color]);
              cairo_new_sub_path (cr);
              cairo_arc (cr, sx, py_of_value (&l, v), 4.5, 0, 2 * G_PI);
              gdk_cairo_set_source_rgba (cr, &card);
              cairo_fill_preserve (cr);
              gdk_cairo_set_source_rgba (cr, &color);
              cairo_set_line_width (cr, 2);
              cairo_stroke (cr);
            }
          cairo_destroy (cr);
          pango_layout_set_width (layout, (int) ((max_w - 12) * PANGO_SCALE));
          pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
          layout_size (layout, &tw, &th);
          cx = x + 10;
          if (cx + tw + 12 > l.x1)
            cx = MAX (l.x0 + 2, x - 10 - tw - 12);
          cy = l.y0 + 4;
          border.alpha *= 0.15f;
          gsk_rounded_rect_init_from_rect (&rounded, &GRAPHENE_RECT_INIT (cx, cy, tw + 12, th + 8), 6);
          gtk_snapshot_push_rounded_clip (snapshot, &rounded);
          gtk_snapshot_append_color (snapshot, &card, &rounded.bounds);
          gtk_snapshot_pop (snapshot);
          gtk_snapshot_append_border (snapshot, &rounded,
                                      (float[4]) { 1, 1, 1, 1 },
                                      (GdkRGBA[4]) { border, border, border, border });
          vs_drawing_text (snapshot, layout, cx + 6, cy + 4, &fg);
        }
    }
}

static void
vs_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = 480;
    }
  else
    {
      *minimum = 140;
      *natural = 220;
    }
}

/* ---------------------------------------------------------------------- */
/* Input                                                                    */

static void
motion_cb (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           VsChart                  *self)
{
  vs_chart_set_hover_step (self, vs_chart_step_at_x (self, x));
}

static void
leave_cb (GtkEventControllerMotion *motion,
          VsChart                  *self)
{
  vs_chart_set_hover_step (self, NAN);
}

/* A click on a legend entry shows or hides that series. */
static void
pressed_cb (GtkGestureClick *click,
            int              n_press,
            double           x,
            double           y,
            VsChart         *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  ChartLayout l;
  g_autofree double *xs = NULL;
  g_autofree double *ws = NULL;

  chart_layout (self, gtk_widget_get_width (widget), gtk_widget_get_height (widget), &l);
  if (y < l.legend_y - 2 || y > l.legend_y + MAX (l.font_h, SWATCH) + 2)
    return;
  xs = g_new (double, self->series->len + 1);
  ws = g_new (double, self->series->len + 1);
  legend_entries (self, &l, xs, ws);
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      if (x >= xs[i] - 2 && x <= xs[i] + SWATCH + 4 + ws[i] + 2)
        {
          vs_chart_set_series_visible (self, s->id, !s->visible);
          return;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* GObject                                                                  */

static void
vs_chart_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  VsChart *self = VS_CHART (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_chart_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  VsChart *self = VS_CHART (object);

  switch (prop_id)
    {
    case PROP_SMOOTHING:
      vs_chart_set_smoothing (self, g_value_get_double (value));
      break;
    case PROP_TITLE:
      vs_chart_set_title (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_chart_dispose (GObject *object)
{
  VsChart *self = VS_CHART (object);

  g_clear_handle_id (&self->summary_id, g_source_remove);
  G_OBJECT_CLASS (vs_chart_parent_class)->dispose (object);
}

static void
vs_chart_finalize (GObject *object)
{
  VsChart *self = VS_CHART (object);

  g_free (self->title);
  g_ptr_array_unref (self->series);
  G_OBJECT_CLASS (vs_chart_parent_class)->finalize (object);
}

static void
vs_chart_class_init (VsChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vs_chart_get_property;
  object_class->set_property = vs_chart_set_property;
  object_class->dispose = vs_chart_dispose;
  object_class->finalize = vs_chart_finalize;
  widget_class->snapshot = vs_chart_snapshot;
  widget_class->measure = vs_chart_measure;

  properties[PROP_SMOOTHING] =
    g_param_spec_double ("smoothing", NULL, NULL, 0.0, 0.999, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
vs_chart_init (VsChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->series = g_ptr_array_new_with_free_func (series_free);
  self->range_lo = NAN;
  self->range_hi = NAN;
  self->hover_step = NAN;

  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  queue_summary (self);
}
