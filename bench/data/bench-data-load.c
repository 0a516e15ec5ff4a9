/* bench-data-load: load one dataset file, print seconds, peak memory and the
 * bytes of text it holds, as JSON (bench/data/run.sh).
 *   bench-data-load FILE */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include "data/vs-dataset.h"

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
peak_rss_mb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;   /* kilobytes on Linux */
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = NULL;
  gint64 t0, t1;
  double base, cpu0;
  guint64 text = 0;

  if (argc != 2)
    {
      fprintf (stderr, "usage: bench-data-load FILE\n");
      return 2;
    }
  base = peak_rss_mb ();
  cpu0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  ds = vs_dataset_load (argv[1], NULL, &error);
  t1 = g_get_monotonic_time ();
  if (ds == NULL)
    {
      fprintf (stderr, "bench-data-load: %s\n", error->message);
      return 1;
    }
  for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, c);
      if (vs_column_get_type (col) != VS_COLUMN_STRING)
        continue;
      for (gsize r = 0; r < vs_dataset_get_n_rows (ds); r++)
        text += vs_column_get_string_length (col, r);
    }
  printf ("{\"reader\": \"vectorsmith\", \"format\": \"%s\", \"rows\": %" G_GSIZE_FORMAT
          ", \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"peak_rss_mb\": %.1f, \"startup_rss_mb\": %.1f, \"text_mb\": %.1f}\n",
          vs_dataset_get_format (ds), vs_dataset_get_n_rows (ds), (t1 - t0) / 1e6, cpu_seconds () - cpu0, peak_rss_mb (), base,
          text / 1048576.0);
  return 0;
}
