/* test-kernels.c: every backward kernel against central finite differences.
 *
 * For each kernel at tiny shapes: loss = sum (out * R) with a fixed random R,
 * the analytic gradient from the _backward function is compared with
 * (loss(x + eps) - loss(x - eps)) / 2 eps, eps = 1e-2 (loss summed in double):
 * |analytic - numeric| <= 1e-4 + 2e-3 |numeric|. The worst mismatch is printed.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tensor/vs-kernels.h"
#include "vs-engine.h"

typedef double (*LossFn) (gpointer data);

static guint64 rng_s = 42;

static float
frand (void)
{
  /* uniform in [-1, 1) */
  rng_s = rng_s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float) ((double) (rng_s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *
rand_array (gsize n, float scale)
{
  float *a = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    a[i] = frand () * scale;
  return a;
}

static double
dot_loss (const float *out, const float *R, gsize n)
{
  double s = 0.0;

  for (gsize i = 0; i < n; i++)
    s += (double) out[i] * R[i];
  return s;
}

static gboolean
fd_check (const char *label, float *x, gsize n, const float *analytic, LossFn f, gpointer data)
{
  const float eps = 1e-2f;
  double worst = -1.0;
  gsize worst_i = 0, bad = 0;
  double worst_num = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      float save = x[i];
      double lp, lm, num, diff, allow;

      x[i] = save + eps;
      lp = f (data);
      x[i] = save - eps;
      lm = f (data);
      x[i] = save;
      num = (lp - lm) / (2.0 * eps);
      diff = fabs (num - analytic[i]);
      allow = 1e-4 + 2e-3 * fabs (num);
      if (diff > allow)
        bad++;
      if (diff / allow > worst)
        {
          worst = diff / allow;
          worst_i = i;
          worst_num = num;
        }
    }
  g_test_message ("%s: %" G_GSIZE_FORMAT " values, worst [%" G_GSIZE_FORMAT "] backward %.6g numeric %.6g (%.2f of allowance)",
                  label, n, worst_i, analytic[worst_i], worst_num, worst);
  if (bad)
    g_printerr ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " gradients off; worst [%" G_GSIZE_FORMAT
                "] backward %.6g numeric %.6g\n", label, bad, n, worst_i, analytic[worst_i], worst_num);
  return bad == 0;
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  gsize T, C, OC;
  float *inp, *w, *b, *out, *R;
} Mm;

static double
mm_loss (gpointer d)
{
  Mm *m = d;

  vs_matmul_forward (m->out, m->inp, m->w, m->b, m->T, m->C, m->OC);
  return dot_loss (m->out, m->R, m->T * m->OC);
}

static void
test_matmul (void)
{
  Mm m = { 3, 4, 5 };
  g_autofree float *dinp = NULL, *dw = NULL, *db = NULL;
  gboolean ok = TRUE;

  m.inp = rand_array (m.T * m.C, 1);
  m.w = rand_array (m.OC * m.C, 1);
  m.b = rand_array (m.OC, 1);
  m.out = g_new (float, m.T * m.OC);
  m.R = rand_array (m.T * m.OC, 1);
  dinp = g_new0 (float, m.T * m.C);
  dw = g_new0 (float, m.OC * m.C);
  db = g_new0 (float, m.OC);
  mm_loss (&m);
  vs_matmul_backward (dinp, dw, db, m.R, m.inp, m.w, m.T, m.C, m.OC);
  ok &= fd_check ("matmul dinp", m.inp, m.T * m.C, dinp, mm_loss, &m);
  ok &= fd_check ("matmul dweight", m.w, m.OC * m.C, dw, mm_loss, &m);
  ok &= fd_check ("matmul dbias", m.b, m.OC, db, mm_loss, &m);
  g_free (m.inp); g_free (m.w); g_free (m.b); g_free (m.out); g_free (m.R);
  g_assert_true (ok);
}

typedef struct
{
  gsize T, C;
  float *inp, *w, *b, *out, *mean, *rstd, *R;
} Ln;

static double
ln_loss (gpointer d)
{
  Ln *l = d;

  vs_layernorm_forward (l->out, l->mean, l->rstd, l->inp, l->w, l->b, l->T, l->C, 1e-5f);
  return dot_loss (l->out, l->R, l->T * l->C);
}

static void
test_layernorm (void)
{
  Ln l = { 3, 6 };
  g_autofree float *dinp = NULL, *dw = NULL, *db = NULL;
  gboolean ok = TRUE;

  l.inp = rand_array (l.T * l.C, 2);
  l.w = rand_array (l.C, 1);
  l.b = rand_array (l.C, 1);
  l.out = g_new (float, l.T * l.C);
  l.mean = g_new (float, l.T);
  l.rstd = g_new (float, l.T);
  l.R = rand_array (l.T * l.C, 1);
  dinp = g_new0 (float, l.T * l.C);
  dw = g_new0 (float, l.C);
  db = g_new0 (float, l.C);
  ln_loss (&l);
  vs_layernorm_backward (dinp, dw, db, l.R, l.inp, l.mean, l.rstd, l.w, l.T, l.C);
  ok &= fd_check ("layernorm dinp", l.inp, l.T * l.C, dinp, ln_loss, &l);
  ok &= fd_check ("layernorm dweight", l.w, l.C, dw, ln_loss, &l);
  ok &= fd_check ("layernorm dbias", l.b, l.C, db, ln_loss, &l);
  g_free (l.inp); g_free (l.w); g_free (l.b); g_free (l.out); g_free (l.mean); g_free (l.rstd); g_free (l.R);
  g_assert_true (ok);
}

typedef struct
{
  VsActivation act;
  gsize N;
  float *inp, *out, *R;
} Act;

static double
act_loss (gpointer d)
{
  Act *a = d;

  vs_activation_forward (a->act, a->out, a->inp, a->N);
  return dot_loss (a->out, a->R, a->N);
}

static void
test_activations (void)
{
  static const struct { VsActivation act; const char *name; } acts[] = {
    { VS_ACT_IDENTITY, "identity" }, { VS_ACT_GELU, "gelu" }, { VS_ACT_GELU_TANH, "gelu_tanh" },
    { VS_ACT_RELU, "relu" }, { VS_ACT_TANH, "tanh" }, { VS_ACT_SIGMOID, "sigmoid" },
  };
  gboolean ok = TRUE;

  for (gsize k = 0; k < G_N_ELEMENTS (acts); k++)
    {
      Act a = { acts[k].act, 40 };
      g_autofree float *din = g_new (float, a.N);

      a.inp = rand_array (a.N, 3);
      /* keep ReLU's kink away from the finite-difference stencil */
      for (gsize i = 0; i < a.N; i++)
        if (fabsf (a.inp[i]) < 0.05f)
          a.inp[i] = 0.5f;
      a.out = g_new (float, a.N);
      a.R = rand_array (a.N, 1);
      act_loss (&a);
      vs_activation_backward (a.act, din, a.R, a.inp, a.out, a.N);
      ok &= fd_check (acts[k].name, a.inp, a.N, din, act_loss, &a);
      g_free (a.inp); g_free (a.out); g_free (a.R);
    }
  g_assert_true (ok);
}

typedef struct
{
  VsAttentionShape s;
  gsize T;
  float *qkv, *ctx, *probs, *R, *rel;
} At;

static double
at_loss (gpointer d)
{
  At *a = d;

  vs_attention_forward (&a->s, a->ctx, a->probs, a->qkv);
  return dot_loss (a->ctx, a->R, a->T * a->s.C);
}

static void
run_attention (gboolean rel, float dropout)
{
  gsize offsets[] = { 0, 3, 8, 9 };
  gsize H = 2, C = 8, n = 3, T = 9, P = 0, maxL = 5;
  gsize poff[4];
  gint buckets[9];
  At a = { 0 };
  g_autofree float *dqkv = NULL, *drel = NULL;
  gboolean ok = TRUE;
  char label[64];

  poff[0] = 0;
  for (gsize i = 0; i < n; i++)
    {
      gsize L = offsets[i + 1] - offsets[i];
      poff[i + 1] = poff[i] + H * L * L;
    }
  P = poff[n];
  for (gsize k = 0; k < 2 * maxL - 1; k++)
    buckets[k] = (gint) k % 4;
  a.s.n = n;
  a.s.H = H;
  a.s.C = C;
  a.s.offsets = offsets;
  a.s.poffsets = poff;
  a.s.scale = 1.0f / sqrtf (4.0f);
  a.s.dropout_p = dropout;
  a.s.seed = 99;
  a.s.site = 3;
  a.T = T;
  a.qkv = rand_array (T * 3 * C, 1);
  a.ctx = g_new (float, T * C);
  a.probs = g_new (float, P);
  a.R = rand_array (T * C, 1);
  if (rel)
    {
      a.rel = rand_array (4 * H, 1);
      a.s.rel_bias = a.rel;
      a.s.rel_bucket = buckets;
      a.s.rel_span = maxL - 1;
      a.s.num_buckets = 4;
    }
  dqkv = g_new0 (float, T * 3 * C);
  drel = g_new0 (float, 4 * H);
  at_loss (&a);
  vs_attention_backward (&a.s, dqkv, rel ? drel : NULL, a.R, a.qkv, a.probs);
  g_snprintf (label, sizeof label, "attention dqkv (rel %d, dropout %.1f)", rel, dropout);
  ok &= fd_check (label, a.qkv, T * 3 * C, dqkv, at_loss, &a);
  if (rel)
    ok &= fd_check ("attention drel_bias", a.rel, 4 * H, drel, at_loss, &a);
  g_free (a.qkv); g_free (a.ctx); g_free (a.probs); g_free (a.R); g_free (a.rel);
  g_assert_true (ok);
}

static void
test_attention (void)
{
  run_attention (FALSE, 0.0f);
  run_attention (TRUE, 0.0f);
  run_attention (TRUE, 0.3f);
}

typedef struct
{
  gsize n, C, K;
  guint modes;
  const gsize *offsets;
  float *h, *out, *R;
  gint64 *argmax;
} Po;

static double
po_loss (gpointer d)
{
  Po *p = d;

  vs_pooling_forward (p->out, p->argmax, p->h, p->offsets, p->n, p->C, p->modes);
  return dot_loss (p->out, p->R, p->n * p->K * p->C);
}

static void
test_pooling (void)
{
  gsize offsets[] = { 0, 4, 5, 11 };
  Po p = { 3, 5, 6, 0x3f, offsets };
  g_autofree float *dh = NULL;
  gsize T = 11;

  p.h = rand_array (T * p.C, 1);
  p.out = g_new (float, p.n * p.K * p.C);
  p.R = rand_array (p.n * p.K * p.C, 1);
  p.argmax = g_new (gint64, p.n * p.C);
  dh = g_new0 (float, T * p.C);
  g_assert_cmpuint (vs_pooling_count_modes (p.modes), ==, 6);
  po_loss (&p);
  vs_pooling_backward (dh, p.R, p.argmax, offsets, p.n, p.C, p.modes);
  g_assert_true (fd_check ("pooling (all six modes)", p.h, T * p.C, dh, po_loss, &p));
  /* cls of text 1 (one token) equals its token; mean of it too */
  g_assert_cmpfloat (p.out[1 * 6 * 5 + 0], ==, p.h[4 * 5 + 0]);
  g_free (p.h); g_free (p.out); g_free (p.R); g_free (p.argmax);
}

typedef struct
{
  gsize n, D;
  float *x, *y, *R;
} No;

static double
no_loss (gpointer d)
{
  No *o = d;

  vs_normalize_forward (o->y, o->x, o->n, o->D);
  return dot_loss (o->y, o->R, o->n * o->D);
}

static void
test_normalize (void)
{
  No o = { 3, 7 };
  g_autofree float *dx = NULL;

  o.x = rand_array (o.n * o.D, 2);
  o.y = g_new (float, o.n * o.D);
  o.R = rand_array (o.n * o.D, 1);
  dx = g_new0 (float, o.n * o.D);
  no_loss (&o);
  vs_normalize_backward (dx, o.R, o.x, o.y, o.n, o.D);
  g_assert_true (fd_check ("normalize", o.x, o.n * o.D, dx, no_loss, &o));
  g_free (o.x); g_free (o.y); g_free (o.R);
}

static void
test_dropout_mask (void)
{
  gsize N = 200000, zeros = 0;
  g_autofree float *x = g_new (float, N);

  for (gsize i = 0; i < N; i++)
    x[i] = 1.0f;
  vs_dropout_apply (x, N, 7, 1, 0, 0.25f);
  for (gsize i = 0; i < N; i++)
    {
      if (x[i] == 0.0f)
        zeros++;
      else
        g_assert_cmpfloat_with_epsilon (x[i], 1.0f / 0.75f, 1e-6);
    }
  /* 0.25 +- 5 sigma */
  g_assert_cmpfloat (fabs ((double) zeros / N - 0.25), <, 5 * sqrt (0.25 * 0.75 / N));
  /* a pure function of (seed, site, index) */
  g_assert_cmpfloat (vs_dropout_keep_scale (7, 1, 12345, 0.25f), ==, vs_dropout_keep_scale (7, 1, 12345, 0.25f));
  g_assert_cmpfloat (vs_dropout_keep_scale (7, 1, 12345, 0.0f), ==, 1.0f);
}

static void
sum_range (gsize begin, gsize end, gpointer data)
{
  gint *hits = data;

  for (gsize i = begin; i < end; i++)
    g_atomic_int_inc (&hits[i]);
}

static void
test_parallel_for (void)
{
  gint hits[1000] = { 0 };

  vs_parallel_for (1000, 1, sum_range, hits);
  vs_parallel_for (1000, 600, sum_range, hits);
  vs_parallel_for (0, 1, sum_range, hits);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpint (hits[i], ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vs_engine_set_threads (2);
  g_test_add_func ("/tensor/matmul", test_matmul);
  g_test_add_func ("/tensor/layernorm", test_layernorm);
  g_test_add_func ("/tensor/activations", test_activations);
  g_test_add_func ("/tensor/attention", test_attention);
  g_test_add_func ("/tensor/pooling", test_pooling);
  g_test_add_func ("/tensor/normalize", test_normalize);
  g_test_add_func ("/tensor/dropout", test_dropout_mask);
  g_test_add_func ("/tensor/parallel-for", test_parallel_for);
  return g_test_run ();
}
