/* vs-engine.h: process-wide settings of the engine.
 *
 * The engine has one knob for parallelism: the number of threads used by
 * OpenBLAS for matrix products and by the engine's own parallel loops. Both
 * draw from the same count so the two never oversubscribe the cores.
 *
 *   vs_engine_set_threads (0);            // 0: one per core
 *   guint n = vs_engine_get_threads ();   // what loops should split into
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The version of the engine, as meson's project version ("0.1.0"). */
const char *vs_engine_get_version (void);

/* Sets the thread count for OpenBLAS and the engine's loops; 0 means the
 * number of online processors. */
void vs_engine_set_threads (guint n_threads);

/* The thread count in force (never 0). */
guint vs_engine_get_threads (void);

G_END_DECLS
