/* linear-target.h: a VsTrainTarget for the loop tests — a linear model
 * y = W x + b trained with MSE on closed-form data, batches in order.
 * tests/reference/train_loop.py builds the same data and weights. */
#pragma once

#include <math.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "train/vs-trainer.h"

#define LT_N    24
#define LT_DIN  5
#define LT_DOUT 3
#define LT_NP   (LT_DOUT * LT_DIN + LT_DOUT)

typedef struct
{
  VsTrainTarget  parent;
  float          x[LT_N][LT_DIN];
  float          y[LT_N][LT_DOUT];
  float          params[LT_NP];    /* W [DOUT, DIN] then b [DOUT] */
  float          grads[LT_NP];
  VsParamSpan    spans[2];
  VsParamBlock   block;
  guint          batch_size;
  guint64        epoch;
  gsize          next_batch;
  guint          delay_ms;         /* slows each batch (cancel tests) */
} LinearTarget;

static const VsParamBlock *
lt_get_blocks (VsTrainTarget *self, guint *n)
{
  *n = 1;
  return &((LinearTarget *) self)->block;
}

static gsize
lt_batches (VsTrainTarget *self)
{
  LinearTarget *t = (LinearTarget *) self;
  return (LT_N + t->batch_size - 1) / t->batch_size;
}

static gsize
lt_examples (VsTrainTarget *self)
{
  return LT_N;
}

static void
lt_set_epoch (VsTrainTarget *self, guint64 epoch)
{
  LinearTarget *t = (LinearTarget *) self;
  t->epoch = epoch;
  t->next_batch = 0;
}

static void
lt_zero_grad (VsTrainTarget *self)
{
  LinearTarget *t = (LinearTarget *) self;
  memset (t->grads, 0, sizeof t->grads);
}

/* MSE over rows [s, e): mean over (rows x outputs) of (W x + b - y)^2;
 * adds scale * gradient when grads is not NULL. */
static double
lt_mse (LinearTarget *t, gsize s, gsize e, float scale, float *grads)
{
  const float *W = t->params;
  const float *b = t->params + LT_DOUT * LT_DIN;
  float total = 0.0f;
  float denom = (float) ((e - s) * LT_DOUT);

  for (gsize i = s; i < e; i++)
    for (int k = 0; k < LT_DOUT; k++)
      {
        float pred = b[k];
        float diff;

        for (int j = 0; j < LT_DIN; j++)
          pred += W[k * LT_DIN + j] * t->x[i][j];
        diff = pred - t->y[i][k];
        total += diff * diff;
        if (grads != NULL)
          {
            float d = scale * 2.0f * diff / denom;

            for (int j = 0; j < LT_DIN; j++)
              grads[k * LT_DIN + j] += d * t->x[i][j];
            grads[LT_DOUT * LT_DIN + k] += d;
          }
      }
  return total / denom;
}

static gboolean
lt_train_batch (VsTrainTarget *self, float scale, double *loss, gsize *n, gboolean *end, GError **error)
{
  LinearTarget *t = (LinearTarget *) self;
  gsize s = t->next_batch * t->batch_size;
  gsize e;

  if (s >= LT_N)
    {
      *end = TRUE;
      return FALSE;
    }
  e = MIN (s + t->batch_size, (gsize) LT_N);
  if (t->delay_ms > 0)
    g_usleep (t->delay_ms * 1000);
  *loss = lt_mse (t, s, e, scale, t->grads);
  *n = e - s;
  t->next_batch++;
  return TRUE;
}

static cJSON *
lt_evaluate (VsTrainTarget *self, char **primary, GError **error)
{
  LinearTarget *t = (LinearTarget *) self;
  cJSON *m = cJSON_CreateObject ();

  /* The first 8 rows stand in for held-out data. */
  cJSON_AddNumberToObject (m, "eval_loss", lt_mse (t, 0, 8, 0.0f, NULL));
  /* A metric that never improves, for early stopping. */
  cJSON_AddNumberToObject (m, "eval_constant", 1.0);
  *primary = g_strdup ("eval_loss");
  return m;
}

static cJSON *
lt_get_state (VsTrainTarget *self)
{
  LinearTarget *t = (LinearTarget *) self;
  cJSON *s = cJSON_CreateObject ();

  cJSON_AddNumberToObject (s, "epoch", (double) t->epoch);
  cJSON_AddNumberToObject (s, "next_batch", (double) t->next_batch);
  return s;
}

static gboolean
lt_set_state (VsTrainTarget *self, const cJSON *state, GError **error)
{
  LinearTarget *t = (LinearTarget *) self;
  const cJSON *e = cJSON_GetObjectItem (state, "epoch");
  const cJSON *b = cJSON_GetObjectItem (state, "next_batch");

  if (!cJSON_IsNumber (e) || !cJSON_IsNumber (b))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "expected epoch and next_batch");
      return FALSE;
    }
  t->epoch = (guint64) e->valuedouble;
  t->next_batch = (gsize) b->valuedouble;
  return TRUE;
}

static gboolean
lt_save_model (VsTrainTarget *self, const char *dir, GError **error)
{
  LinearTarget *t = (LinearTarget *) self;
  g_autofree char *path = g_build_filename (dir, "linear.json", NULL);
  cJSON *j = cJSON_CreateFloatArray (t->params, LT_NP);
  char *text = cJSON_PrintUnformatted (j);
  gboolean ok;

  g_mkdir_with_parents (dir, 0755);
  ok = g_file_set_contents (path, text, -1, error);
  cJSON_free (text);
  cJSON_Delete (j);
  return ok;
}

static void
lt_describe (VsTrainTarget *self, cJSON *record)
{
  cJSON *loss = cJSON_AddObjectToObject (record, "loss");
  cJSON_AddStringToObject (loss, "name", "MSE");
}

static void
lt_free (VsTrainTarget *self)
{
  g_free (self);
}

static const VsTrainTargetClass linear_target_class = {
  lt_get_blocks, lt_batches, lt_examples, lt_set_epoch, lt_zero_grad, lt_train_batch,
  lt_evaluate, lt_get_state, lt_set_state, lt_save_model, lt_describe, lt_free,
};

static VsTrainTarget *
linear_target_new (guint batch_size)
{
  LinearTarget *t = g_new0 (LinearTarget, 1);

  t->parent.klass = &linear_target_class;
  t->batch_size = batch_size;
  for (int i = 0; i < LT_N; i++)
    {
      for (int j = 0; j < LT_DIN; j++)
        t->x[i][j] = (float) sin (0.37 * (i + 1) * (j + 1));
      for (int k = 0; k < LT_DOUT; k++)
        t->y[i][k] = (float) cos (0.21 * (i + 1) + k);
    }
  for (int k = 0; k < LT_DOUT; k++)
    {
      for (int j = 0; j < LT_DIN; j++)
        t->params[k * LT_DIN + j] = (float) (0.1 * sin (k * 5 + j + 1));
      t->params[LT_DOUT * LT_DIN + k] = (float) (0.05 * k);
    }
  t->spans[0] = (VsParamSpan) { "weight", 0, LT_DOUT * LT_DIN, TRUE };
  t->spans[1] = (VsParamSpan) { "bias", LT_DOUT * LT_DIN, LT_DOUT, FALSE };
  t->block = (VsParamBlock) { "model", t->params, t->grads, LT_NP, t->spans, 2 };
  return &t->parent;
}
