/* vs-histogram.h: a bar chart of counts with one marked position.
 *
 * Draws its bins with GtkSnapshot (bars in the accent colour, the marker as
 * a vertical line in the error colour) and exposes what it shows as text: its
 * accessible description summarises the bins, so screen readers and
 * automation read the same as the eye sees.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VS_TYPE_HISTOGRAM (vs_histogram_get_type ())
G_DECLARE_FINAL_TYPE (VsHistogram, vs_histogram, VS, HISTOGRAM, GtkWidget)

GtkWidget  *vs_histogram_new          (void);
/* bins: n_bins counts, bin i covering [i * bin_width, (i + 1) * bin_width);
 * marker: a position on that axis drawn as a line (< 0: none).
 * summary: the accessible description (what the chart says, in words). */
void        vs_histogram_set_bins     (VsHistogram   *self,
                                       const guint64 *bins,
                                       guint          n_bins,
                                       double         bin_width,
                                       double         marker,
                                       const char    *summary);
guint       vs_histogram_get_n_bins   (VsHistogram   *self);
const char *vs_histogram_get_summary  (VsHistogram   *self);

G_END_DECLS
