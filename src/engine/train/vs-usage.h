/* vs-usage.h: what a training run costs and how long it has left.
 *
 * VsUsageSample is one reading of this process: wall clock, CPU time of
 * every thread (getrusage), resident memory (/proc/self/statm). Two
 * readings give the CPU load between them in percent of one core (a run on
 * four busy threads reads about 400).
 *
 * VsStepRate estimates the time left from the most recent steps: it keeps
 * the times of the last `window` steps and extrapolates their pace.
 *
 *   VsUsageSample a, b;
 *   vs_usage_sample (&a, NULL);
 *   …one second later…
 *   vs_usage_sample (&b, NULL);
 *   double cpu = vs_usage_cpu_percent (&a, &b);      // 0 … 100 × cores
 *   guint64 rss = b.rss_bytes;
 *
 *   g_autoptr(VsStepRate) rate = vs_step_rate_new (20);
 *   vs_step_rate_add (rate, step, g_get_monotonic_time ());  // per step event
 *   double left = vs_step_rate_eta_seconds (rate, total_steps);   // < 0: unknown
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64   wall_us;     /* g_get_monotonic_time () */
  gint64   cpu_us;      /* user + system time of the process */
  guint64  rss_bytes;   /* resident set size */
} VsUsageSample;

/* Reads the process's usage now. FALSE with an error naming what could not
 * be read (the sample then holds what could). */
gboolean    vs_usage_sample        (VsUsageSample       *out,
                                    GError             **error);

/* CPU time used between two samples per wall time, in percent of one core;
 * 0 when no wall time passed. */
double      vs_usage_cpu_percent   (const VsUsageSample *earlier,
                                    const VsUsageSample *later);

typedef struct _VsStepRate VsStepRate;

/* Keeps the last window (≥ 2) steps. */
VsStepRate *vs_step_rate_new       (guint                window);
void        vs_step_rate_free      (VsStepRate          *rate);
/* Forgets every step (after a pause, or when a resumed run replays). */
void        vs_step_rate_reset     (VsStepRate          *rate);
/* Step `step` finished at time_us (monotonic µs). A step not after the
 * last one restarts the window. */
void        vs_step_rate_add       (VsStepRate          *rate,
                                    gint64               step,
                                    gint64               time_us);
/* Steps per second over the window; 0 with fewer than two steps. */
double      vs_step_rate_get_steps_per_s (VsStepRate    *rate);
/* Seconds until step total_steps at the window's pace; -1 when unknown. */
double      vs_step_rate_eta_seconds (VsStepRate        *rate,
                                      gint64             total_steps);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsStepRate, vs_step_rate_free)

G_END_DECLS
