/* vs-usage.c: process CPU and memory readings, and the time a run has
 * left (see vs-usage.h). */
#include "config.h"

#include <errno.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vs-error.h"
#include "train/vs-usage.h"

gboolean
vs_usage_sample (VsUsageSample  *out,
                 GError        **error)
{
  struct rusage ru;
  g_autofree char *statm = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (out != NULL, FALSE);

  out->wall_us = g_get_monotonic_time ();
  out->cpu_us = 0;
  out->rss_bytes = 0;
  if (getrusage (RUSAGE_SELF, &ru) != 0)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "getrusage: %s", g_strerror (err));
      return FALSE;
    }
  out->cpu_us = (gint64) ru.ru_utime.tv_sec * G_USEC_PER_SEC + ru.ru_utime.tv_usec +
                (gint64) ru.ru_stime.tv_sec * G_USEC_PER_SEC + ru.ru_stime.tv_usec;

  /* statm: size resident shared text lib data dt, in pages */
  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, &local_error))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  {
    char *end = NULL;
    guint64 resident;
    long page = sysconf (_SC_PAGESIZE);

    g_ascii_strtoull (statm, &end, 10);
    resident = g_ascii_strtoull (end, &end, 10);
    if (end == NULL || page <= 0)
      {
        g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "/proc/self/statm: expected page counts");
        return FALSE;
      }
    out->rss_bytes = resident * (guint64) page;
  }
  return TRUE;
}

double
vs_usage_cpu_percent (const VsUsageSample *earlier,
                      const VsUsageSample *later)
{
  gint64 wall;

  g_return_val_if_fail (earlier != NULL && later != NULL, 0.0);

  wall = later->wall_us - earlier->wall_us;
  if (wall <= 0)
    return 0.0;
  return 100.0 * (double) (later->cpu_us - earlier->cpu_us) / (double) wall;
}

struct _VsStepRate
{
  guint    window;
  guint    n;        /* valid entries */
  guint    head;     /* next slot */
  gint64  *steps;
  gint64  *times;
};

VsStepRate *
vs_step_rate_new (guint window)
{
  VsStepRate *rate = g_new0 (VsStepRate, 1);

  rate->window = MAX (window, 2);
  rate->steps = g_new0 (gint64, rate->window);
  rate->times = g_new0 (gint64, rate->window);
  return rate;
}

void
vs_step_rate_free (VsStepRate *rate)
{
  if (rate == NULL)
    return;
  g_free (rate->steps);
  g_free (rate->times);
  g_free (rate);
}

void
vs_step_rate_reset (VsStepRate *rate)
{
  rate->n = 0;
  rate->head = 0;
}

/* Index of the newest (k = 0) … oldest entry. */
static guint
slot (VsStepRate *rate,
      guint       k)
{
  return (rate->head + rate->window - 1 - k) % rate->window;
}

void
vs_step_rate_add (VsStepRate *rate,
                  gint64      step,
                  gint64      time_us)
{
  if (rate->n > 0 && step <= rate->steps[slot (rate, 0)])
    vs_step_rate_reset (rate);
  rate->steps[rate->head] = step;
  rate->times[rate->head] = time_us;
  rate->head = (rate->head + 1) % rate->window;
  rate->n = MIN (rate->n + 1, rate->window);
}

double
vs_step_rate_get_steps_per_s (VsStepRate *rate)
{
  guint newest, oldest;
  gint64 dt;

  if (rate->n < 2)
    return 0.0;
  newest = slot (rate, 0);
  oldest = slot (rate, rate->n - 1);
  dt = rate->times[newest] - rate->times[oldest];
  if (dt <= 0)
    return 0.0;
  return (double) (rate->steps[newest] - rate->steps[oldest]) * G_USEC_PER_SEC / (double) dt;
}

double
vs_step_rate_eta_seconds (VsStepRate *rate,
                          gint64      total_steps)
{
  double per_s = vs_step_rate_get_steps_per_s (rate);
  gint64 left;

  if (per_s <= 0.0)
    return -1.0;
  left = total_steps - rate->steps[slot (rate, 0)];
  return left <= 0 ? 0.0 : (double) left / per_s;
}
