/* vs-optim.c: AdamW, schedules and clipping (see vs-optim.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "train/vs-optim.h"

struct _VsAdamW
{
  VsAdamWConfig config;
  guint         n_blocks;
  gsize        *sizes;       /* [n_blocks] */
  float       **exp_avg;     /* [n_blocks][sizes[b]] */
  float       **exp_avg_sq;  /* [n_blocks][sizes[b]] */
  guint8      **decay;       /* [n_blocks][sizes[b]]: 1 where decay applies */
  guint64       step;
};

void
vs_adamw_config_init (VsAdamWConfig *config)
{
  config->beta1 = 0.9;
  config->beta2 = 0.999;
  config->eps = 1e-8;
  config->weight_decay = 0.0;
}

VsAdamW *
vs_adamw_new (const VsParamBlock  *blocks,
              guint                n_blocks,
              const VsAdamWConfig *config)
{
  VsAdamW *opt;

  g_return_val_if_fail (n_blocks == 0 || blocks != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  opt = g_new0 (VsAdamW, 1);
  opt->config = *config;
  opt->n_blocks = n_blocks;
  opt->sizes = g_new0 (gsize, n_blocks);
  opt->exp_avg = g_new0 (float *, n_blocks);
  opt->exp_avg_sq = g_new0 (float *, n_blocks);
  opt->decay = g_new0 (guint8 *, n_blocks);
  for (guint b = 0; b < n_blocks; b++)
    {
      gsize n = blocks[b].n_params;

      opt->sizes[b] = n;
      opt->exp_avg[b] = g_new0 (float, MAX (n, 1));
      opt->exp_avg_sq[b] = g_new0 (float, MAX (n, 1));
      opt->decay[b] = g_malloc (MAX (n, 1));
      memset (opt->decay[b], 1, n);
      for (guint s = 0; s < blocks[b].n_spans; s++)
        {
          const VsParamSpan *span = &blocks[b].spans[s];

          if (span->offset >= n)
            continue;
          memset (opt->decay[b] + span->offset, span->decay ? 1 : 0,
                  MIN (span->size, n - span->offset));
        }
    }
  return opt;
}

void
vs_adamw_free (VsAdamW *opt)
{
  if (opt == NULL)
    return;
  for (guint b = 0; b < opt->n_blocks; b++)
    {
      g_free (opt->exp_avg[b]);
      g_free (opt->exp_avg_sq[b]);
      g_free (opt->decay[b]);
    }
  g_free (opt->exp_avg);
  g_free (opt->exp_avg_sq);
  g_free (opt->decay);
  g_free (opt->sizes);
  g_free (opt);
}

/* One block of torch.optim.AdamW's _single_tensor_adamw, in float32 with the
 * scalars rounded to float as PyTorch's CPU kernels round them.
 *   p, g, m, v: [n]; decay: [n] */
static void
adamw_update (float        *p,
              const float  *g,
              float        *m,
              float        *v,
              const guint8 *decay,
              gsize         n,
              float         decay_factor,   /* 1 - lr * wd */
              float         beta1,
              float         one_minus_beta1,
              float         beta2,
              float         one_minus_beta2,
              float         bc2_sqrt,       /* sqrt (1 - beta2^t) */
              float         eps,
              float         neg_step_size)  /* -lr / (1 - beta1^t) */
{
  for (gsize i = 0; i < n; i++)
    {
      float denom;

      if (decay[i])
        p[i] = p[i] * decay_factor;
      m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
      v[i] = v[i] * beta2 + one_minus_beta2 * (g[i] * g[i]);
      denom = sqrtf (v[i]) / bc2_sqrt + eps;
      p[i] = p[i] + neg_step_size * (m[i] / denom);
    }
}

void
vs_adamw_step (VsAdamW            *opt,
               const VsParamBlock *blocks,
               guint               n_blocks,
               double              lr)
{
  const VsAdamWConfig *c;
  double bc1;
  double bc2;

  g_return_if_fail (opt != NULL);
  g_return_if_fail (n_blocks == opt->n_blocks);

  c = &opt->config;
  opt->step++;
  bc1 = 1.0 - pow (c->beta1, (double) opt->step);
  bc2 = 1.0 - pow (c->beta2, (double) opt->step);
  for (guint b = 0; b < n_blocks; b++)
    {
      g_return_if_fail (blocks[b].n_params == opt->sizes[b]);
      adamw_update (blocks[b].params, blocks[b].grads,
                    opt->exp_avg[b], opt->exp_avg_sq[b], opt->decay[b],
                    blocks[b].n_params,
                    (float) (1.0 - lr * c->weight_decay),
                    (float) c->beta1, (float) (1.0 - c->beta1),
                    (float) c->beta2, (float) (1.0 - c->beta2),
                    (float) sqrt (bc2), (float) c->eps,
                    (float) (-(lr / bc1)));
    }
}

guint64
vs_adamw_get_step (const VsAdamW *opt)
{
  return opt->step;
}

void
vs_adamw_set_step (VsAdamW *opt,
                   guint64  step)
{
  opt->step = step;
}

float *
vs_adamw_get_exp_avg (VsAdamW *opt,
                      guint    block)
{
  g_return_val_if_fail (block < opt->n_blocks, NULL);
  return opt->exp_avg[block];
}

float *
vs_adamw_get_exp_avg_sq (VsAdamW *opt,
                         guint    block)
{
  g_return_val_if_fail (block < opt->n_blocks, NULL);
  return opt->exp_avg_sq[block];
}

/* transformers.optimization: _get_linear_schedule_with_warmup_lr_lambda,
 * _get_cosine_schedule_with_warmup_lr_lambda (num_cycles 0.5),
 * _get_constant_lambda, _get_constant_schedule_with_warmup_lr_lambda. */
double
vs_schedule_multiplier (VsSchedule schedule,
                        gint64     step,
                        gint64     warmup,
                        gint64     total)
{
  double progress;

  if (schedule != VS_SCHEDULE_CONSTANT && step < warmup)
    return (double) step / (double) MAX (1, warmup);

  switch (schedule)
    {
    case VS_SCHEDULE_LINEAR:
      return MAX (0.0, (double) (total - step) / (double) MAX (1, total - warmup));
    case VS_SCHEDULE_COSINE:
      progress = (double) (step - warmup) / (double) MAX (1, total - warmup);
      return MAX (0.0, 0.5 * (1.0 + cos (G_PI * 0.5 * 2.0 * progress)));
    case VS_SCHEDULE_CONSTANT:
    case VS_SCHEDULE_CONSTANT_WITH_WARMUP:
    default:
      return 1.0;
    }
}

static const char *const schedule_names[] = {
  [VS_SCHEDULE_LINEAR] = "linear",
  [VS_SCHEDULE_COSINE] = "cosine",
  [VS_SCHEDULE_CONSTANT] = "constant",
  [VS_SCHEDULE_CONSTANT_WITH_WARMUP] = "constant_with_warmup",
};

gboolean
vs_schedule_from_string (const char *name,
                         VsSchedule *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (schedule_names); i++)
    {
      if (g_strcmp0 (name, schedule_names[i]) == 0)
        {
          *out = (VsSchedule) i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
vs_schedule_to_string (VsSchedule schedule)
{
  if ((guint) schedule < G_N_ELEMENTS (schedule_names))
    return schedule_names[schedule];
  return "linear";
}

double
vs_grad_norm (const VsParamBlock *blocks,
              guint               n_blocks)
{
  double sum = 0.0;

  for (guint b = 0; b < n_blocks; b++)
    {
      const float *g = blocks[b].grads;

      for (gsize i = 0; i < blocks[b].n_params; i++)
        sum += (double) g[i] * (double) g[i];
    }
  return sqrt (sum);
}

double
vs_clip_grad_norm (const VsParamBlock *blocks,
                   guint               n_blocks,
                   double              max_norm)
{
  double norm = vs_grad_norm (blocks, n_blocks);
  float coef;

  if (max_norm <= 0.0 || !isfinite (norm))
    return norm;
  /* torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1; the
   * multiply by exactly 1.0 changes nothing, so it is skipped. */
  coef = (float) (max_norm / ((double) (float) norm + 1e-6));
  if (coef >= 1.0f)
    return norm;
  for (guint b = 0; b < n_blocks; b++)
    {
      float *g = blocks[b].grads;

      for (gsize i = 0; i < blocks[b].n_params; i++)
        g[i] *= coef;
    }
  return norm;
}
