/* vs-engine.c: process-wide settings of the engine. */
#include "config.h"

#include <cblas.h>

#include "vs-engine.h"

static gint engine_threads = 0; /* 0 until first set or read */

const char *
vs_engine_get_version (void)
{
  return PACKAGE_VERSION;
}

void
vs_engine_set_threads (guint n_threads)
{
  if (n_threads == 0)
    n_threads = g_get_num_processors ();
  g_atomic_int_set (&engine_threads, (gint) n_threads);
  openblas_set_num_threads ((int) n_threads);
}

guint
vs_engine_get_threads (void)
{
  gint n = g_atomic_int_get (&engine_threads);

  if (n <= 0)
    {
      vs_engine_set_threads (0);
      n = g_atomic_int_get (&engine_threads);
    }
  return (guint) n;
}
