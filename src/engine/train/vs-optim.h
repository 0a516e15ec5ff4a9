/* vs-optim.h: AdamW, learning-rate schedules and gradient clipping.
 *
 * The optimizer works on parameter blocks: one flat float array of weights
 * and one of gradients of the same length (the model's arena, or a loss's own
 * parameters), cut into spans that say whether weight decay applies. It keeps
 * the two Adam moments per block, so several blocks can share one step.
 *
 * The maths is torch.optim.AdamW (PyTorch 1.13, foreach=False):
 *
 *   p  <- p * (1 - lr * wd)                    (decay spans only)
 *   m  <- b1 * m + (1 - b1) * g
 *   v  <- b2 * v + (1 - b2) * g * g
 *   p  <- p - lr / (1 - b1^t) * m / (sqrt (v) / sqrt (1 - b2^t) + eps)
 *
 * The schedules are transformers' get_*_schedule_with_warmup multipliers,
 * evaluated at the 0-based index of the optimizer step (LambdaLR semantics:
 * the first step uses multiplier (0)). Clipping is
 * torch.nn.utils.clip_grad_norm_: one global L2 norm over every block.
 *
 *   VsParamSpan spans[] = { { "encoder.weight", 0, 4096, TRUE },
 *                           { "encoder.bias", 4096, 64, FALSE } };
 *   VsParamBlock block = { "model", params, grads, 4160, spans, 2 };
 *   g_autoptr(VsAdamW) opt = vs_adamw_new (&block, 1, &config);
 *   double norm = vs_clip_grad_norm (&block, 1, 1.0);
 *   double lr = config.learning_rate *
 *     vs_schedule_multiplier (VS_SCHEDULE_LINEAR, step, warmup, total);
 *   vs_adamw_step (opt, &block, 1, lr);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A run of parameters within a block; decay says whether weight decay
 * applies (biases and normalisation weights have it off). */
typedef struct
{
  const char *name;
  gsize       offset;
  gsize       size;
  gboolean    decay;
} VsParamSpan;

/* One flat array of weights and its gradients; spans need not cover it all
 * (parameters outside every span get weight decay). */
typedef struct
{
  const char        *name;
  float             *params;
  float             *grads;
  gsize              n_params;
  const VsParamSpan *spans;
  guint              n_spans;
} VsParamBlock;

typedef struct
{
  double beta1;          /* 0.9 */
  double beta2;          /* 0.999 */
  double eps;            /* 1e-8 */
  double weight_decay;   /* 0.0 */
} VsAdamWConfig;

typedef enum
{
  VS_SCHEDULE_LINEAR,
  VS_SCHEDULE_COSINE,
  VS_SCHEDULE_CONSTANT,
  VS_SCHEDULE_CONSTANT_WITH_WARMUP,
} VsSchedule;

typedef struct _VsAdamW VsAdamW;

/* Fills config with PyTorch's defaults (betas 0.9/0.999, eps 1e-8, wd 0). */
void        vs_adamw_config_init       (VsAdamWConfig *config);

/* A new optimizer with zeroed moments for the given blocks (their sizes are
 * copied; the arrays are not kept). Free with vs_adamw_free(). */
VsAdamW    *vs_adamw_new               (const VsParamBlock  *blocks,
                                        guint                n_blocks,
                                        const VsAdamWConfig *config);

void        vs_adamw_free              (VsAdamW *opt);

/* One AdamW update of every block with learning rate lr; blocks must be the
 * same list (sizes and order) the optimizer was made for. */
void        vs_adamw_step              (VsAdamW            *opt,
                                        const VsParamBlock *blocks,
                                        guint               n_blocks,
                                        double              lr);

/* How many steps have been taken (t in the bias corrections). */
guint64     vs_adamw_get_step          (const VsAdamW *opt);

/* The moments of block i (n_params floats each), for checkpoints. */
float      *vs_adamw_get_exp_avg       (VsAdamW *opt,
                                        guint    block);
float      *vs_adamw_get_exp_avg_sq    (VsAdamW *opt,
                                        guint    block);

/* Restores the step count (the moments are written in place through the
 * getters above). */
void        vs_adamw_set_step          (VsAdamW *opt,
                                        guint64  step);

/* The schedule's multiplier of the base learning rate at 0-based optimizer
 * step `step`, with `warmup` warmup steps out of `total`. */
double      vs_schedule_multiplier     (VsSchedule schedule,
                                        gint64     step,
                                        gint64     warmup,
                                        gint64     total);

/* Parses "linear", "cosine", "constant", "constant_with_warmup"; FALSE if
 * the name is none of them. */
gboolean    vs_schedule_from_string    (const char *name,
                                        VsSchedule *out);

const char *vs_schedule_to_string      (VsSchedule schedule);

/* The global L2 norm of every gradient in blocks. */
double      vs_grad_norm               (const VsParamBlock *blocks,
                                        guint               n_blocks);

/* Scales the gradients so their global norm is at most max_norm (with
 * PyTorch's 1e-6 guard) and returns the norm before clipping; max_norm <= 0
 * only measures. */
double      vs_clip_grad_norm          (const VsParamBlock *blocks,
                                        guint               n_blocks,
                                        double              max_norm);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsAdamW, vs_adamw_free)

G_END_DECLS
