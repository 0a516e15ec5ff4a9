/* test-optim.c: AdamW, the four schedules and clipping against PyTorch
 * (fixtures/optim.json from tests/reference/train_optim.py). */
#include "config.h"

#include "vs-test-fixture.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "train/vs-optim.h"

static cJSON *
load_fixture (void)
{
  return vs_test_load_fixture ("train", "optim.json");
}

static float *
floats_of (const cJSON *array,
           gsize       *n_out)
{
  gsize n = (gsize) cJSON_GetArraySize (array);
  float *out = g_new0 (float, MAX (n, 1));
  gsize i = 0;
  const cJSON *item;

  cJSON_ArrayForEach (item, array)
    out[i++] = (float) item->valuedouble;
  if (n_out != NULL)
    *n_out = n;
  return out;
}

/* |a - b| <= atol + rtol * |ref| for every element; prints the worst. */
static void
assert_close (const char  *what,
              const float *got,
              const float *ref,
              gsize        n,
              double       atol,
              double       rtol)
{
  double worst = -INFINITY;
  gsize worst_i = 0;

  for (gsize i = 0; i < n; i++)
    {
      double excess = fabs ((double) got[i] - ref[i]) - (atol + rtol * fabs (ref[i]));

      if (excess > worst)
        {
          worst = excess;
          worst_i = i;
        }
    }
  g_test_message ("%s: worst element %" G_GSIZE_FORMAT ": got %.9g, ref %.9g",
                  what, worst_i, got[worst_i], ref[worst_i]);
  if (worst > 0)
    g_error ("%s: element %" G_GSIZE_FORMAT ": got %.9g, ref %.9g (atol %g, rtol %g)",
             what, worst_i, got[worst_i], ref[worst_i], atol, rtol);
}

static void
run_schedule (const cJSON *root,
              const char  *name,
              VsSchedule   schedule)
{
  const cJSON *run = cJSON_GetObjectItem (cJSON_GetObjectItem (root, "runs"), name);
  const cJSON *grads = cJSON_GetObjectItem (root, "grads");
  const cJSON *lrs = cJSON_GetObjectItem (run, "lr");
  const cJSON *norms = cJSON_GetObjectItem (run, "grad_norm");
  gint64 steps = cJSON_GetObjectItem (root, "steps")->valueint;
  gint64 warmup = cJSON_GetObjectItem (root, "warmup")->valueint;
  double base_lr = cJSON_GetObjectItem (root, "lr")->valuedouble;
  double max_norm = cJSON_GetObjectItem (root, "max_grad_norm")->valuedouble;
  VsParamSpan spans[] = {
    { "dense.weight", 0, 42, TRUE },
    { "dense.bias", 42, 7, FALSE },
    { "LayerNorm.weight", 49, 5, FALSE },
  };
  g_autofree float *params = NULL;
  g_autofree float *final = NULL;
  g_autofree float *g = NULL;
  gsize n;
  VsAdamWConfig config;
  VsParamBlock block;
  g_autoptr(VsAdamW) opt = NULL;

  params = floats_of (cJSON_GetObjectItem (root, "init"), &n);
  final = floats_of (cJSON_GetObjectItem (run, "final"), NULL);
  g_assert_cmpuint (n, ==, 54);
  g = g_new0 (float, n);
  block = (VsParamBlock) { "model", params, g, n, spans, G_N_ELEMENTS (spans) };
  vs_adamw_config_init (&config);
  config.weight_decay = cJSON_GetObjectItem (root, "weight_decay")->valuedouble;
  opt = vs_adamw_new (&block, 1, &config);

  for (gint64 s = 0; s < steps; s++)
    {
      g_autofree float *step_grads = floats_of (cJSON_GetArrayItem (grads, (int) s), NULL);
      double lr = base_lr * vs_schedule_multiplier (schedule, s, warmup, steps);
      double ref_lr = cJSON_GetArrayItem (lrs, (int) s)->valuedouble;
      double ref_norm = cJSON_GetArrayItem (norms, (int) s)->valuedouble;
      double norm;

      memcpy (g, step_grads, n * sizeof (float));
      norm = vs_clip_grad_norm (&block, 1, max_norm);
      if (fabs (lr - ref_lr) > 1e-15 + 1e-12 * fabs (ref_lr))
        g_error ("%s step %" G_GINT64_FORMAT ": lr %.17g, torch %.17g", name, s, lr, ref_lr);
      if (fabs (norm - ref_norm) > 1e-6 * fabs (ref_norm))
        g_error ("%s step %" G_GINT64_FORMAT ": grad norm %.9g, torch %.9g", name, s, norm, ref_norm);
      vs_adamw_step (opt, &block, 1, lr);
    }
  g_assert_cmpuint (vs_adamw_get_step (opt), ==, (guint64) steps);
  assert_close (name, params, final, n, 1e-7, 1e-5);
}

static void
test_adamw_schedules (void)
{
  cJSON *root = load_fixture ();

  run_schedule (root, "linear", VS_SCHEDULE_LINEAR);
  run_schedule (root, "cosine", VS_SCHEDULE_COSINE);
  run_schedule (root, "constant", VS_SCHEDULE_CONSTANT);
  run_schedule (root, "constant_with_warmup", VS_SCHEDULE_CONSTANT_WITH_WARMUP);
  cJSON_Delete (root);
}

static void
test_schedule_names (void)
{
  VsSchedule s;

  g_assert_true (vs_schedule_from_string ("cosine", &s));
  g_assert_cmpint (s, ==, VS_SCHEDULE_COSINE);
  g_assert_true (vs_schedule_from_string ("constant_with_warmup", &s));
  g_assert_cmpstr (vs_schedule_to_string (s), ==, "constant_with_warmup");
  g_assert_false (vs_schedule_from_string ("warmuplinear", &s));
  g_assert_false (vs_schedule_from_string (NULL, &s));
  /* transformers' edge: no warmup, step past total -> 0, never negative. */
  g_assert_cmpfloat (vs_schedule_multiplier (VS_SCHEDULE_LINEAR, 12, 0, 10), ==, 0.0);
  g_assert_cmpfloat (vs_schedule_multiplier (VS_SCHEDULE_LINEAR, 0, 0, 10), ==, 1.0);
  g_assert_cmpfloat (vs_schedule_multiplier (VS_SCHEDULE_CONSTANT, 0, 5, 10), ==, 1.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/optim/adamw-schedules", test_adamw_schedules);
  g_test_add_func ("/train/optim/schedule-names", test_schedule_names);
  return g_test_run ();
}
