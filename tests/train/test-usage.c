/* test-usage.c: process CPU and memory readings against work the test
 * does itself, and the time-left estimate against a known pace. */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "train/vs-usage.h"

static void
test_sample (void)
{
  g_autoptr(GError) error = NULL;
  VsUsageSample a, b, c;
  volatile double sink = 0.0;
  gsize big = 64 * 1024 * 1024;
  char *mem;

  g_assert_true (vs_usage_sample (&a, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a.rss_bytes, >, 1024 * 1024);

  /* 200 ms of CPU on one busy thread: the load reads as the process's CPU
   * clock (clock_gettime, not getrusage) says, however busy the machine. */
  {
    struct timespec c0, c1;
    double expected;

    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
    vs_usage_sample (&a, NULL);
    do
      {
        for (int i = 0; i < 10000; i++)
          sink += sqrt ((double) i);
        clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
      }
    while ((c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec) < 2e8);
    g_assert_true (vs_usage_sample (&b, &error));
    expected = 100.0 * ((c1.tv_sec - c0.tv_sec) * 1e6 + (c1.tv_nsec - c0.tv_nsec) / 1e3) /
               (double) (b.wall_us - a.wall_us);
    g_test_message ("cpu %.1f %%, expected %.1f %%", vs_usage_cpu_percent (&a, &b), expected);
    g_assert_cmpfloat (fabs (vs_usage_cpu_percent (&a, &b) - expected), <, 15.0);
    g_assert_cmpfloat (vs_usage_cpu_percent (&a, &b), >, 0.0);
    g_assert_cmpfloat (vs_usage_cpu_percent (&b, &b), ==, 0.0);
  }

  /* 64 MiB touched shows in the resident size. */
  mem = g_malloc (big);
  memset (mem, 1, big);
  g_assert_true (vs_usage_sample (&c, &error));
  g_assert_cmpuint (c.rss_bytes, >=, b.rss_bytes + big * 3 / 4);
  g_free (mem);
  (void) sink;
}

static void
test_step_rate (void)
{
  g_autoptr(VsStepRate) rate = vs_step_rate_new (5);

  g_assert_cmpfloat (vs_step_rate_eta_seconds (rate, 100), ==, -1.0);
  vs_step_rate_add (rate, 1, 1000000);
  g_assert_cmpfloat (vs_step_rate_eta_seconds (rate, 100), ==, -1.0);
  /* Slow at first, then 10 steps a second: the window keeps the recent pace. */
  vs_step_rate_add (rate, 2, 3000000);
  for (gint64 s = 3; s <= 12; s++)
    vs_step_rate_add (rate, s, 3000000 + (s - 2) * 100000);
  g_assert_cmpfloat (fabs (vs_step_rate_get_steps_per_s (rate) - 10.0), <, 1e-9);
  g_assert_cmpfloat (fabs (vs_step_rate_eta_seconds (rate, 32) - 2.0), <, 1e-9);
  g_assert_cmpfloat (vs_step_rate_eta_seconds (rate, 12), ==, 0.0);
  /* A step that goes back (a resumed run replaying) starts over. */
  vs_step_rate_add (rate, 4, 9000000);
  g_assert_cmpfloat (vs_step_rate_eta_seconds (rate, 32), ==, -1.0);
  vs_step_rate_reset (rate);
  g_assert_cmpfloat (vs_step_rate_get_steps_per_s (rate), ==, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/usage/sample", test_sample);
  g_test_add_func ("/train/usage/step-rate", test_step_rate);
  return g_test_run ();
}
