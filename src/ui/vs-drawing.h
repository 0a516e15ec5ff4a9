/* vs-drawing.h: what the widgets that draw themselves share.
 *
 * VsChart, VsHeatmap and VsHistogram draw with GtkSnapshot; these helpers
 * give them the theme's colours the way GTK 4.8 offers them (the style
 * context: gtk_widget_get_color arrives only in 4.10), Pango layouts in the
 * widget's font, and text placed at a point.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The widget's text colour (light in a dark style). */
void         vs_drawing_get_foreground (GtkWidget     *widget,
                                        GdkRGBA       *color);
/* A named colour of the theme ("accent_color", "popover_bg_color"), else
 * the fallback (a colour gdk_rgba_parse reads). */
void         vs_drawing_lookup_color   (GtkWidget     *widget,
                                        const char    *name,
                                        const char    *fallback,
                                        GdkRGBA       *color);
/* TRUE when the text colour is light, i.e. the style is dark. */
gboolean     vs_drawing_is_dark        (const GdkRGBA *foreground);

/* A layout of text in the widget's font, bold and/or scaled. */
PangoLayout *vs_drawing_make_layout    (GtkWidget     *widget,
                                        const char    *text,
                                        gboolean       bold,
                                        double         scale);
/* Draws layout with its top-left corner at (x, y). */
void         vs_drawing_text           (GtkSnapshot   *snapshot,
                                        PangoLayout   *layout,
                                        double         x,
                                        double         y,
                                        const GdkRGBA *color);

G_END_DECLS
