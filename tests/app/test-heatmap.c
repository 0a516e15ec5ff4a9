/* test-heatmap.c: VsHeatmap's colour scale (no display) and the widget under Xvfb.
 *
 * The colour scale runs without a display; the widget tests (values,
 * texts, the cell geometry found through cell_at, screenshots of a
 * similarity and a difference matrix, light and dark) need one.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>

#include "vs-heatmap.h"

#include "vs-gui-test.h"

/* The scale's ends as the design names them. */
#define SEQ_START "#f6f5f4"
#define SEQ_END   "#1c71d8"
#define BLUE      "#1c71d8"
#define NEUTRAL   "#f6f5f4"
#define RED       "#c01c28"

static void
assert_color (const GdkRGBA *got,
              const char    *want_spec)
{
  GdkRGBA want;

  g_assert_true (gdk_rgba_parse (&want, want_spec));
  g_assert_cmpfloat_with_epsilon (got->red, want.red, 1e-4);
  g_assert_cmpfloat_with_epsilon (got->green, want.green, 1e-4);
  g_assert_cmpfloat_with_epsilon (got->blue, want.blue, 1e-4);
  g_assert_cmpfloat_with_epsilon (got->alpha, want.alpha, 1e-4);
}

static gboolean
same_color (const GdkRGBA *a,
            const GdkRGBA *b)
{
  return fabs (a->red - b->red) < 1e-5 && fabs (a->green - b->green) < 1e-5
         && fabs (a->blue - b->blue) < 1e-5 && fabs (a->alpha - b->alpha) < 1e-5;
}

static double
luminance (const GdkRGBA *c)
{
  return 0.2126 * c->red + 0.7152 * c->green + 0.0722 * c->blue;
}

static void
test_color (void)
{
  GdkRGBA c, d, mid;

  /* Sequential: lo is the light start, hi GNOME blue, clamped beyond. */
  vs_heatmap_color (0, 0, 1, FALSE, &c);
  assert_color (&c, SEQ_START);
  vs_heatmap_color (1, 0, 1, FALSE, &c);
  assert_color (&c, SEQ_END);
  vs_heatmap_color (-3, 0, 1, FALSE, &c);
  assert_color (&c, SEQ_START);
  vs_heatmap_color (7, 0, 1, FALSE, &c);
  assert_color (&c, SEQ_END);
  vs_heatmap_color (-1, -1, 1, FALSE, &c);
  assert_color (&c, SEQ_START);
  /* Darker as the value grows. */
  vs_heatmap_color (0.5, 0, 1, FALSE, &mid);
  vs_heatmap_color (0.25, 0, 1, FALSE, &c);
  vs_heatmap_color (0.75, 0, 1, FALSE, &d);
  g_assert_cmpfloat (luminance (&c), >, luminance (&mid));
  g_assert_cmpfloat (luminance (&mid), >, luminance (&d));

  /* Diverging: blue below, neutral at 0, red above; clamped. */
  vs_heatmap_color (0, -0.5, 0.5, TRUE, &c);
  assert_color (&c, NEUTRAL);
  vs_heatmap_color (-0.5, -0.5, 0.5, TRUE, &c);
  assert_color (&c, BLUE);
  vs_heatmap_color (0.5, -0.5, 0.5, TRUE, &c);
  assert_color (&c, RED);
  vs_heatmap_color (-9, -0.5, 0.5, TRUE, &c);
  assert_color (&c, BLUE);
  vs_heatmap_color (9, -0.5, 0.5, TRUE, &c);
  assert_color (&c, RED);
  /* Half way to red is redder than neutral, bluer than... not blue at all. */
  vs_heatmap_color (0.25, -0.5, 0.5, TRUE, &c);
  g_assert_cmpfloat (c.red, >, c.blue);
  vs_heatmap_color (-0.25, -0.5, 0.5, TRUE, &c);
  g_assert_cmpfloat (c.blue, >, c.red);
  /* An asymmetric range scales each side to its own end. */
  vs_heatmap_color (-0.1, -0.1, 1, TRUE, &c);
  assert_color (&c, BLUE);

  /* NaN is transparent grey, whatever the scale. */
  vs_heatmap_color (NAN, 0, 1, FALSE, &c);
  g_assert_cmpfloat (c.alpha, <, 0.5);
  g_assert_cmpfloat_with_epsilon (c.red, c.green, 1e-6);
  g_assert_cmpfloat_with_epsilon (c.green, c.blue, 1e-6);
  vs_heatmap_color (NAN, -1, 1, TRUE, &d);
  g_assert_true (same_color (&c, &d));
}

/* Five sentences and their cosine similarities as a base model gives them. */
static const char * const sentences[] = {
  "A man is playing a guitar.",
  "Someone plays an instrument on stage.",
  "A woman slices tomatoes in the kitchen.",
  "The chef is chopping vegetables.",
  "Stock markets fell sharply on Monday.",
};
static const float similarities[25] = {
  1.00f, 0.71f, 0.12f, 0.09f, 0.03f,
  0.71f, 1.00f, 0.10f, 0.14f, 0.05f,
  0.12f, 0.10f, 1.00f, 0.64f, 0.02f,
  0.09f, 0.14f, 0.64f, 1.00f, -0.04f,
  0.03f, 0.05f, 0.02f, -0.04f, 1.00f,
};
static const float differences[25] = {
  0.00f, 0.17f, -0.08f, -0.06f, -0.02f,
  0.17f, 0.00f, -0.05f, -0.09f, -0.03f,
  -0.08f, -0.05f, 0.00f, 0.21f, -0.01f,
  -0.06f, -0.09f, 0.21f, 0.00f, 0.02f,
  -0.02f, -0.03f, -0.01f, 0.02f, 0.00f,
};

static void
test_values (void)
{
  VsHeatmap *map = VS_HEATMAP (g_object_ref_sink (vs_heatmap_new ()));
  g_autofree char *cell = NULL;
  g_autofree char *text = NULL;
  float small[6] = { 0.5f, -0.25f, 1, 0, 0.125f, NAN };

  g_assert_cmpuint (vs_heatmap_get_n_rows (map), ==, 0);
  g_assert_true (isnan (vs_heatmap_get_value (map, 0, 0)));
  g_assert_null (vs_heatmap_dup_cell_text (map, 0, 0));
  text = vs_heatmap_dup_text (map);
  g_assert_nonnull (text);
  g_clear_pointer (&text, g_free);

  vs_heatmap_set_title (map, "Base model");
  g_assert_cmpstr (vs_heatmap_get_title (map), ==, "Base model");
  vs_heatmap_set_matrix (map, 5, 5, similarities, (const char * const *) sentences,
                         (const char * const *) sentences);
  g_assert_cmpuint (vs_heatmap_get_n_rows (map), ==, 5);
  g_assert_cmpuint (vs_heatmap_get_n_cols (map), ==, 5);
  g_assert_cmpfloat_with_epsilon (vs_heatmap_get_value (map, 0, 1), 0.71, 1e-6);
  g_assert_cmpfloat_with_epsilon (vs_heatmap_get_value (map, 3, 4), -0.04, 1e-6);
  g_assert_true (isnan (vs_heatmap_get_value (map, 5, 0)));
  g_assert_true (isnan (vs_heatmap_get_value (map, 0, 5)));

  /* The cell text names both sentences in full (no ellipsis) and the value. */
  cell = vs_heatmap_dup_cell_text (map, 1, 3);
  g_test_message ("cell: %s", cell);
  g_assert_nonnull (strstr (cell, sentences[1]));
  g_assert_nonnull (strstr (cell, sentences[3]));
  g_assert_nonnull (strstr (cell, "0.14"));
  g_assert_null (vs_heatmap_dup_cell_text (map, 0, 5));

  /* The accessible text holds every value, row by row. */
  text = vs_heatmap_dup_text (map);
  g_test_message ("text:\n%s", text);
  {
    const char *at = text;

    for (guint i = 0; i < 25; i++)
      {
        g_autofree char *value = g_strdup_printf ("%.2f", similarities[i]);
        const char *found = strstr (at, value);

        g_assert_nonnull (found);
        at = found + strlen (value);
        if (i % 5 == 0)
          g_assert_nonnull (strstr (text, sentences[i / 5]));
      }
  }
  g_clear_pointer (&text, g_free);

  /* Labels default to 1, 2, …; the matrix is a copy. */
  vs_heatmap_set_matrix (map, 2, 3, small, NULL, NULL);
  small[0] = 9;
  g_assert_cmpfloat (vs_heatmap_get_value (map, 0, 0), ==, 0.5);
  g_assert_cmpfloat (vs_heatmap_get_value (map, 1, 1), ==, 0.125);
  g_assert_true (isnan (vs_heatmap_get_value (map, 1, 2)));
  cell = (g_free (cell), vs_heatmap_dup_cell_text (map, 1, 2));
  g_assert_nonnull (strstr (cell, "“2”"));
  g_assert_nonnull (strstr (cell, "“3”"));
  text = vs_heatmap_dup_text (map);
  g_assert_nonnull (strstr (text, "-0.25"));
  g_assert_nonnull (strstr (text, "0.12"));
  g_clear_pointer (&text, g_free);

  /* 0 rows or columns empties. */
  vs_heatmap_set_matrix (map, 0, 3, NULL, NULL, NULL);
  g_assert_cmpuint (vs_heatmap_get_n_rows (map), ==, 0);
  g_assert_cmpuint (vs_heatmap_get_n_cols (map), ==, 0);

  g_object_unref (map);
}

typedef struct
{
  GtkWidget *window;
  GtkWidget *box;
  VsHeatmap *map;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GtkWidget *clamp = adw_clamp_new ();

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      GPOINTER_TO_INT (data) ? ADW_COLOR_SCHEME_FORCE_DARK
                                                             : ADW_COLOR_SCHEME_FORCE_LIGHT);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 560, 380);
  f->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_top (f->box, 18);
  gtk_widget_set_margin_bottom (f->box, 18);
  gtk_widget_set_margin_start (f->box, 12);
  gtk_widget_set_margin_end (f->box, 12);
  gtk_widget_add_css_class (f->box, "card");
  f->map = VS_HEATMAP (vs_heatmap_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (f->map), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (f->map), TRUE);
  gtk_widget_set_margin_top (GTK_WIDGET (f->map), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (f->map), 6);
  gtk_widget_set_margin_start (GTK_WIDGET (f->map), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (f->map), 6);
  gtk_box_append (GTK_BOX (f->box), GTK_WIDGET (f->map));
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 720);
  adw_clamp_set_child (ADW_CLAMP (clamp), f->box);
  gtk_window_set_child (GTK_WINDOW (f->window), clamp);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
}

static void
show_and_shoot (Fixture    *f,
                const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);

  gtk_window_present (GTK_WINDOW (f->window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f->map, "the heatmap to be mapped");
  vs_gui_wait_for (vs_gui_widget_has_size, f->map, "the heatmap to be allocated");
  vs_gui_save_screenshot (f->window, path);
}

typedef struct
{
  double x0, y0, x1, y1;
  gboolean seen;
} Box;

/* Walks the widget pixel by pixel through cell_at: every cell is hit, is
 * square, and the cells tile a grid in row/column order. */
static void
check_geometry (VsHeatmap *map,
                guint      n)
{
  int width = gtk_widget_get_width (GTK_WIDGET (map));
  int height = gtk_widget_get_height (GTK_WIDGET (map));
  g_autofree Box *boxes = g_new0 (Box, n * n);
  guint row, col;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      if (vs_heatmap_cell_at (map, x + 0.5, y + 0.5, &row, &col))
        {
          Box *b = &boxes[row * n + col];

          g_assert_cmpuint (row, <, n);
          g_assert_cmpuint (col, <, n);
          if (!b->seen)
            *b = (Box) { x, y, x, y, TRUE };
          b->x0 = MIN (b->x0, x);
          b->y0 = MIN (b->y0, y);
          b->x1 = MAX (b->x1, x);
          b->y1 = MAX (b->y1, y);
        }
  for (guint r = 0; r < n; r++)
    for (guint c = 0; c < n; c++)
      {
        Box *b = &boxes[r * n + c];

        g_assert_true (b->seen);
        g_assert_cmpfloat (b->x1 - b->x0, ==, b->y1 - b->y0);
        g_assert_cmpfloat (b->x1 - b->x0 + 1, >=, 24);
        if (c > 0)
          g_assert_cmpfloat (b->x0, ==, boxes[r * n + c - 1].x1 + 1);
        if (r > 0)
          g_assert_cmpfloat (b->y0, ==, boxes[(r - 1) * n + c].y1 + 1);
      }
  /* Corners: top left is (0, 0), bottom right (n-1, n-1); outside is not a cell. */
  g_assert_true (vs_heatmap_cell_at (map, boxes[0].x0 + 0.5, boxes[0].y0 + 0.5, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (col, ==, 0);
  g_assert_true (vs_heatmap_cell_at (map, boxes[n * n - 1].x1 + 0.5, boxes[n * n - 1].y1 + 0.5, &row, &col));
  g_assert_cmpuint (row, ==, n - 1);
  g_assert_cmpuint (col, ==, n - 1);
  g_assert_false (vs_heatmap_cell_at (map, boxes[0].x0 - 0.5, boxes[0].y0 + 0.5, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, boxes[0].x0 + 0.5, boxes[0].y0 - 0.5, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, boxes[n * n - 1].x1 + 1.5, boxes[n * n - 1].y1, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, boxes[n * n - 1].x1, boxes[n * n - 1].y1 + 1.5, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, 0, 0, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, -10, -10, NULL, NULL));
  g_assert_false (vs_heatmap_cell_at (map, width + 10, height / 2.0, NULL, NULL));
}

static void
test_similarity (Fixture       *f,
                 gconstpointer  data)
{
  GtkRequisition min, nat;

  vs_heatmap_set_title (f->map, "Base model");
  vs_heatmap_set_matrix (f->map, 5, 5, similarities, (const char * const *) sentences, NULL);
  vs_heatmap_set_range (f->map, -1, 1, FALSE);

  /* It asks for room by the cell: at least 24 px, naturally 48 px. */
  gtk_widget_get_preferred_size (GTK_WIDGET (f->map), &min, &nat);
  g_assert_cmpint (min.width, >=, 5 * 24);
  g_assert_cmpint (nat.width, >=, 5 * 48);
  g_assert_cmpint (nat.height, >=, 5 * 48);
  g_assert_cmpint (nat.width - min.width, ==, 5 * 24);

  show_and_shoot (f, GPOINTER_TO_INT (data) ? "heatmap-similarity-dark" : "heatmap-similarity");
  check_geometry (f->map, 5);

  /* A screen reader gets an image named by the title, described by every value. */
  {
    g_autofree char *text = vs_heatmap_dup_text (f->map);

    gtk_test_accessible_assert_role (GTK_ACCESSIBLE (f->map), GTK_ACCESSIBLE_ROLE_IMG);
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f->map), GTK_ACCESSIBLE_PROPERTY_LABEL, "Base model");
    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (f->map), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text);
    g_assert_true (gtk_widget_get_has_tooltip (GTK_WIDGET (f->map)));
  }
}

static void
test_difference (Fixture       *f,
                 gconstpointer  data)
{
  VsHeatmap *base = VS_HEATMAP (vs_heatmap_new ());

  /* The Try page's layout: base, trained, difference side by side. */
  vs_heatmap_set_title (base, "Base model");
  vs_heatmap_set_matrix (base, 5, 5, similarities, (const char * const *) sentences, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (base), TRUE);
  gtk_box_prepend (GTK_BOX (f->box), GTK_WIDGET (base));
  gtk_window_set_default_size (GTK_WINDOW (f->window), 960, 420);
  adw_clamp_set_maximum_size (ADW_CLAMP (gtk_window_get_child (GTK_WINDOW (f->window))), 1000);

  vs_heatmap_set_title (f->map, "Trained − base");
  vs_heatmap_set_matrix (f->map, 5, 5, differences, NULL, NULL);
  vs_heatmap_set_range (f->map, -0.25, 0.25, TRUE);
  show_and_shoot (f, GPOINTER_TO_INT (data) ? "heatmap-difference-dark" : "heatmap-difference");
  check_geometry (f->map, 5);
  check_geometry (base, 5);
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  vs_heatmap_set_title (f->map, "Trained model");
  show_and_shoot (f, "heatmap-empty");
  g_assert_false (vs_heatmap_cell_at (f->map, 50, 50, NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/heatmap/color", test_color);

  if (gtk_init_check ())
    {
      adw_init ();
      g_test_add_func ("/heatmap/values", test_values);
      g_test_add ("/heatmap/similarity", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_similarity, fixture_tear_down);
      g_test_add ("/heatmap/similarity-dark", Fixture, GINT_TO_POINTER (TRUE),
                  fixture_set_up, test_similarity, fixture_tear_down);
      g_test_add ("/heatmap/difference", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_difference, fixture_tear_down);
      g_test_add ("/heatmap/difference-dark", Fixture, GINT_TO_POINTER (TRUE),
                  fixture_set_up, test_difference, fixture_tear_down);
      g_test_add ("/heatmap/empty", Fixture, GINT_TO_POINTER (FALSE),
                  fixture_set_up, test_empty, fixture_tear_down);
    }
  else
    g_test_message ("no display: the widget tests are skipped");

  return g_test_run ();
}
