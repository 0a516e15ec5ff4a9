/* vs-kernels.c: forward/backward kernels of the encoder (see vs-kernels.h). */
#include "config.h"

/* The inner loops below are written in axpy form (no float reductions) so the
 * vectorizer can take them without -ffast-math; -O2 alone uses GCC's
 * "very cheap" cost model, which skips loops of unknown trip count. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

/* The hot loops get an AVX2/FMA clone picked at load time (ifunc); the
 * default build targets baseline x86-64. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VS_HOT __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#else
#define VS_HOT
#endif

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "tensor/vs-gemm.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"

/* ------------------------------------------------------------------------ */
/* parallel for */

typedef struct
{
  GMutex mutex;
  GCond  cond;
  guint  pending;
} Join;

typedef struct
{
  VsParallelFunc fn;
  gpointer       data;
  gsize          begin, end;
  Join          *join;
} Chunk;

static GThreadPool *pool = NULL;
static GMutex pool_lock;
/* Set while a thread runs a chunk: a vs_parallel_for from inside one (e.g.
 * a vs_sgemm in a kernel's range function) runs serially instead of waiting
 * on pool workers that are all busy with the outer loop. */
static __thread gboolean in_chunk = FALSE;

static void
pool_worker (gpointer task_data, gpointer user_data)
{
  Chunk *c = task_data;

  in_chunk = TRUE;
  c->fn (c->begin, c->end, c->data);
  in_chunk = FALSE;
  g_mutex_lock (&c->join->mutex);
  c->join->pending--;
  if (c->join->pending == 0)
    g_cond_signal (&c->join->cond);
  g_mutex_unlock (&c->join->mutex);
}

void
vs_parallel_for (gsize n, gsize min_chunk, VsParallelFunc fn, gpointer data)
{
  guint threads = vs_engine_get_threads ();
  gsize n_chunks;
  Join join;
  Chunk *chunks;

  if (n == 0)
    return;
  if (min_chunk == 0)
    min_chunk = 1;
  n_chunks = MIN ((gsize) threads, n / min_chunk);
  if (n_chunks <= 1 || in_chunk)
    {
      fn (0, n, data);
      return;
    }

  g_mutex_lock (&pool_lock);
  if (pool == NULL)
    pool = g_thread_pool_new (pool_worker, NULL, (gint) threads - 1, FALSE, NULL);
  else if (g_thread_pool_get_max_threads (pool) < (gint) threads - 1)
    g_thread_pool_set_max_threads (pool, (gint) threads - 1, NULL);
  g_mutex_unlock (&pool_lock);

  g_mutex_init (&join.mutex);
  g_cond_init (&join.cond);
  join.pending = (guint) n_chunks - 1;
  chunks = g_new (Chunk, n_chunks);
  for (gsize k = 0; k < n_chunks; k++)
    {
      chunks[k].fn = fn;
      chunks[k].data = data;
      chunks[k].begin = n * k / n_chunks;
      chunks[k].end = n * (k + 1) / n_chunks;
      chunks[k].join = &join;
    }
  for (gsize k = 1; k < n_chunks; k++)
    g_thread_pool_push (pool, &chunks[k], NULL);
  in_chunk = TRUE;
  fn (chunks[0].begin, chunks[0].end, data);
  in_chunk = FALSE;

  g_mutex_lock (&join.mutex);
  while (join.pending > 0)
    g_cond_wait (&join.cond, &join.mutex);
  g_mutex_unlock (&join.mutex);
  g_mutex_clear (&join.mutex);
  g_cond_clear (&join.cond);
  g_free (chunks);
}

/* ------------------------------------------------------------------------ */
/* OpenBLAS core detection */

const char *
vs_blas_core_name (void)
{
  return openblas_get_corename ();
}

const char *
vs_blas_suggest_coretype (void)
{
  const char *core = openblas_get_corename ();

  if (g_getenv ("OPENBLAS_CORETYPE") != NULL || core == NULL ||
      (g_ascii_strcasecmp (core, "prescott") != 0 && g_ascii_strcasecmp (core, "core2") != 0 &&
       g_ascii_strcasecmp (core, "nehalem") != 0 && g_ascii_strcasecmp (core, "sandybridge") != 0))
    return NULL;
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
           __builtin_cpu_supports ("avx512vl") ? "SkylakeX" : "Haswell";
#endif
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* matmul */

void
vs_matmul_forward (float *out, const float *inp, const float *w, const float *b,
                   gsize T, gsize C, gsize OC)
{
  /* out[T,OC] = b broadcast, then out += inp[T,C] @ w[OC,C]^T */
  if (T == 0)
    return;
  if (b != NULL)
    for (gsize t = 0; t < T; t++)
      memcpy (out + t * OC, b, OC * sizeof (float));
  vs_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) T, (int) OC, (int) C,
            1.0f, inp, (int) C, w, (int) C, b != NULL ? 1.0f : 0.0f, out, (int) OC);
}

void
vs_matmul_backward (float *dinp, float *dw, float *db, const float *dout,
                    const float *inp, const float *w, gsize T, gsize C, gsize OC)
{
  if (T == 0)
    return;
  /* in the forward pass: out = inp @ w^T, so
   * dinp[T,C] += dout[T,OC] @ w[OC,C]; dw[OC,C] += dout^T[OC,T] @ inp[T,C] */
  if (dinp != NULL)
    vs_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) T, (int) C, (int) OC,
              1.0f, dout, (int) OC, w, (int) C, 1.0f, dinp, (int) C);
  vs_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) OC, (int) C, (int) T,
            1.0f, dout, (int) OC, inp, (int) C, 1.0f, dw, (int) C);
  if (db != NULL)
    for (gsize t = 0; t < T; t++)
      {
        const float *d = dout + t * OC;
        for (gsize o = 0; o < OC; o++)
          db[o] += d[o];
      }
}

/* ------------------------------------------------------------------------ */
/* layernorm */

typedef struct
{
  float *out, *mean, *rstd;
  const float *inp, *w, *b;
  gsize C;
  float eps;
} LnFwd;

VS_HOT static void
layernorm_forward_range (gsize begin, gsize end, gpointer data)
{
  LnFwd *a = data;
  gsize C = a->C;

  for (gsize t = begin; t < end; t++)
    {
      const float *x = a->inp + t * C;
      float *o = a->out + t * C;
      double m = 0.0, v = 0.0;
      float fm, rs;

      for (gsize i = 0; i < C; i++)
        m += x[i];
      m /= (double) C;
      for (gsize i = 0; i < C; i++)
        {
          double dx = x[i] - m;
          v += dx * dx;
        }
      v /= (double) C;
      fm = (float) m;
      rs = (float) (1.0 / sqrt (v + a->eps));
      for (gsize i = 0; i < C; i++)
        o[i] = (x[i] - fm) * rs * a->w[i] + a->b[i];
      a->mean[t] = fm;
      a->rstd[t] = rs;
    }
}

void
vs_layernorm_forward (float *out, float *mean, float *rstd, const float *inp,
                      const float *w, const float *b, gsize T, gsize C, float eps)
{
  LnFwd a = { out, mean, rstd, inp, w, b, C, eps };

  vs_parallel_for (T, 64, layernorm_forward_range, &a);
}

typedef struct
{
  float *dinp;
  const float *dout, *inp, *mean, *rstd, *w;
  gsize C;
} LnBwd;

VS_HOT static void
layernorm_backward_range (gsize begin, gsize end, gpointer data)
{
  LnBwd *a = data;
  gsize C = a->C;

  for (gsize t = begin; t < end; t++)
    {
      const float *dy = a->dout + t * C;
      const float *x = a->inp + t * C;
      float *dx = a->dinp + t * C;
      float m = a->mean[t], rs = a->rstd[t];
      double dnorm_mean = 0.0, dnorm_norm_mean = 0.0;

      /* norm = (x - m) * rs; dnorm = dy * w;
       * dx = rs * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) */
      for (gsize i = 0; i < C; i++)
        {
          float norm = (x[i] - m) * rs;
          float dnorm = dy[i] * a->w[i];
          dnorm_mean += dnorm;
          dnorm_norm_mean += (double) dnorm * norm;
        }
      dnorm_mean /= (double) C;
      dnorm_norm_mean /= (double) C;
      for (gsize i = 0; i < C; i++)
        {
          float norm = (x[i] - m) * rs;
          float dnorm = dy[i] * a->w[i];
          dx[i] += rs * (dnorm - (float) dnorm_mean - norm * (float) dnorm_norm_mean);
        }
    }
}

void
vs_layernorm_backward (float *dinp, float *dw, float *db, const float *dout,
                       const float *inp, const float *mean, const float *rstd,
                       const float *w, gsize T, gsize C)
{
  LnBwd a = { dinp, dout, inp, mean, rstd, w, C };

  /* parameter gradients: a reduction over tokens, done serially */
  for (gsize t = 0; t < T; t++)
    {
      const float *dy = dout + t * C;
      const float *x = inp + t * C;
      float m = mean[t], rs = rstd[t];

      for (gsize i = 0; i < C; i++)
        {
          dw[i] += (x[i] - m) * rs * dy[i];
          db[i] += dy[i];
        }
    }
  if (dinp != NULL)
    vs_parallel_for (T, 64, layernorm_backward_range, &a);
}

/* ------------------------------------------------------------------------ */
/* activations */

#define GELU_TANH_K 0.7978845608028654f /* sqrt (2 / pi) */

typedef struct
{
  VsActivation act;
  float *out;
  const float *inp;
  float *dinp;
  const float *dout, *y;
} ActArgs;

VS_HOT static void
activation_forward_range (gsize begin, gsize end, gpointer data)
{
  ActArgs *a = data;
  const float *x = a->inp;
  float *y = a->out;

  switch (a->act)
    {
    case VS_ACT_IDENTITY:
      if (y != x)
        memcpy (y + begin, x + begin, (end - begin) * sizeof (float));
      break;
    case VS_ACT_GELU:
      for (gsize i = begin; i < end; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff (x[i] * (float) M_SQRT1_2));
      break;
    case VS_ACT_GELU_TANH:
      for (gsize i = begin; i < end; i++)
        {
          float v = x[i];
          y[i] = 0.5f * v * (1.0f + tanhf (GELU_TANH_K * (v + 0.044715f * v * v * v)));
        }
      break;
    case VS_ACT_RELU:
      for (gsize i = begin; i < end; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case VS_ACT_TANH:
      for (gsize i = begin; i < end; i++)
        y[i] = tanhf (x[i]);
      break;
    case VS_ACT_SIGMOID:
      for (gsize i = begin; i < end; i++)
        y[i] = 1.0f / (1.0f + expf (-x[i]));
      break;
    default:
      g_assert_not_reached ();
    }
}

void
vs_activation_forward (VsActivation act, float *out, const float *inp, gsize N)
{
  ActArgs a = { act, out, inp, NULL, NULL, NULL };

  vs_parallel_for (N, 16384, activation_forward_range, &a);
}

VS_HOT static void
activation_backward_range (gsize begin, gsize end, gpointer data)
{
  ActArgs *a = data;
  const float *x = a->inp, *dy = a->dout, *y = a->y;
  float *dx = a->dinp;

  switch (a->act)
    {
    case VS_ACT_IDENTITY:
      if (dx != dy)
        memcpy (dx + begin, dy + begin, (end - begin) * sizeof (float));
      break;
    case VS_ACT_GELU:
      for (gsize i = begin; i < end; i++)
        {
          /* as PyTorch: cdf + x * pdf */
          float v = x[i];
          float cdf = 0.5f * (1.0f + erff (v * (float) M_SQRT1_2));
          float pdf = expf (-0.5f * v * v) * 0.3989422804014327f;
          dx[i] = dy[i] * (cdf + v * pdf);
        }
      break;
    case VS_ACT_GELU_TANH:
      for (gsize i = begin; i < end; i++)
        {
          float v = x[i];
          float th = tanhf (GELU_TANH_K * (v + 0.044715f * v * v * v));
          float dinner = GELU_TANH_K * (1.0f + 3.0f * 0.044715f * v * v);
          dx[i] = dy[i] * (0.5f * (1.0f + th) + 0.5f * v * (1.0f - th * th) * dinner);
        }
      break;
    case VS_ACT_RELU:
      for (gsize i = begin; i < end; i++)
        dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case VS_ACT_TANH:
      for (gsize i = begin; i < end; i++)
        dx[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    case VS_ACT_SIGMOID:
      for (gsize i = begin; i < end; i++)
        dx[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
vs_activation_backward (VsActivation act, float *dinp, const float *dout,
                        const float *inp, const float *out, gsize N)
{
  ActArgs a = { act, NULL, inp, dinp, dout, out };

  vs_parallel_for (N, 16384, activation_backward_range, &a);
}

/* ------------------------------------------------------------------------ */
/* dropout */

static inline guint64
mix64 (guint64 z)
{
  /* splitmix64's finalizer */
  z += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

float
vs_dropout_keep_scale (guint64 seed, guint32 site, gsize index, float p)
{
  guint64 h;
  double u;

  if (p <= 0.0f)
    return 1.0f;
  h = mix64 (seed ^ mix64 (((guint64) site << 40) ^ (guint64) index));
  u = (double) (h >> 11) * (1.0 / 9007199254740992.0);
  return u < p ? 0.0f : 1.0f / (1.0f - p);
}

void
vs_dropout_apply (float *inout, gsize N, guint64 seed, guint32 site, gsize base, float p)
{
  if (p <= 0.0f)
    return;
  for (gsize i = 0; i < N; i++)
    inout[i] *= vs_dropout_keep_scale (seed, site, base + i, p);
}

/* ------------------------------------------------------------------------ */
/* attention */

gint
vs_relative_position_bucket (gint relative_position, gint num_buckets, gint max_distance)
{
  /* transformers' MPNetEncoder.relative_position_bucket, in float32 as torch does */
  gint ret = 0;
  gint n = -relative_position;
  gint max_exact;

  num_buckets /= 2;
  if (n < 0)
    ret += num_buckets;
  n = ABS (n);
  max_exact = num_buckets / 2;
  if (n < max_exact)
    ret += n;
  else
    {
      float lf = logf ((float) n / (float) max_exact) /
                 (float) log ((double) max_distance / max_exact) *
                 (float) (num_buckets - max_exact);
      gint v = max_exact + (gint) lf;
      ret += MIN (v, num_buckets - 1);
    }
  return ret;
}

typedef struct
{
  const VsAttentionShape *s;
  float *ctx, *probs;
  const float *qkv;
  /* backward */
  float *dqkv, *drel;
  const float *dctx;
  GMutex lock;
  gsize max_len;
} AttnArgs;

VS_HOT static void
attention_forward_range (gsize begin, gsize end, gpointer data)
{
  AttnArgs *a = data;
  const VsAttentionShape *s = a->s;
  gsize H = s->H, C = s->C, d = C / H, C3 = 3 * C;
  gsize Lm = a->max_len;
  float *Q = g_new (float, Lm * d);
  float *KT = g_new (float, d * Lm);
  float *V = g_new (float, Lm * d);
  float *row = g_new (float, 4 * Lm);
  float *c = g_new (float, 4 * d);

  for (gsize item = begin; item < end; item++)
    {
      gsize i = item / H, h = item % H;
      gsize t0 = s->offsets[i], L = s->offsets[i + 1] - t0;
      gsize pbase = s->poffsets[i] + h * L * L;
      float *P = a->probs + pbase;

      for (gsize t = 0; t < L; t++)
        {
          const float *src = a->qkv + (t0 + t) * C3 + h * d;
          memcpy (Q + t * d, src, d * sizeof (float));
          for (gsize k = 0; k < d; k++)
            KT[k * L + t] = src[C + k];
          memcpy (V + t * d, src + 2 * C, d * sizeof (float));
        }

      /* four query rows at a time, so each key/value row loaded serves four
       * accumulators; every score and context value still sums in the same
       * order as a row-by-row loop */
      for (gsize r0 = 0; r0 < L; r0 += 4)
        {
          gsize nr = MIN ((gsize) 4, L - r0);
          float *s0 = row, *s1 = row + Lm, *s2 = row + 2 * Lm, *s3 = row + 3 * Lm;
          float *c0 = c, *c1 = c + d, *c2 = c + 2 * d, *c3 = c + 3 * d;

          /* scores[r, j] = q_r . k_j */
          memset (row, 0, 4 * Lm * sizeof (float));
          for (gsize k = 0; k < d; k++)
            {
              const float *kt = KT + k * L;
              float q0 = Q[r0 * d + k];
              float q1 = nr > 1 ? Q[(r0 + 1) * d + k] : 0.0f;
              float q2 = nr > 2 ? Q[(r0 + 2) * d + k] : 0.0f;
              float q3 = nr > 3 ? Q[(r0 + 3) * d + k] : 0.0f;
              for (gsize j = 0; j < L; j++)
                {
                  float kv = kt[j];
                  s0[j] += q0 * kv;
                  s1[j] += q1 * kv;
                  s2[j] += q2 * kv;
                  s3[j] += q3 * kv;
                }
            }

          /* * scale (+ relative position bias), softmax into P */
          for (gsize u = 0; u < nr; u++)
            {
              gsize r = r0 + u;
              float *sr = row + u * Lm;
              float *p = P + r * L;
              float maxv = -INFINITY, sum = 0.0f, inv;

              for (gsize j = 0; j < L; j++)
                sr[j] *= s->scale;
              if (s->rel_bias != NULL)
                for (gsize j = 0; j < L; j++)
                  sr[j] += s->rel_bias[s->rel_bucket[(gssize) j - (gssize) r + (gssize) s->rel_span] * H + h];
              for (gsize j = 0; j < L; j++)
                maxv = MAX (maxv, sr[j]);
              for (gsize j = 0; j < L; j++)
                {
                  p[j] = expf (sr[j] - maxv);
                  sum += p[j];
                }
              inv = 1.0f / sum;
              for (gsize j = 0; j < L; j++)
                p[j] *= inv;
              /* the probabilities as used: after dropout */
              if (s->dropout_p > 0.0f)
                for (gsize j = 0; j < L; j++)
                  sr[j] = p[j] * vs_dropout_keep_scale (s->seed, s->site, pbase + r * L + j, s->dropout_p);
              else
                memcpy (sr, p, L * sizeof (float));
            }
          for (gsize u = nr; u < 4; u++)
            memset (row + u * Lm, 0, L * sizeof (float));

          /* ctx_r = sum_j pd[r, j] v_j */
          memset (c, 0, 4 * d * sizeof (float));
          for (gsize j = 0; j < L; j++)
            {
              const float *v = V + j * d;
              float p0 = s0[j], p1 = s1[j], p2 = s2[j], p3 = s3[j];
              for (gsize k = 0; k < d; k++)
                {
                  float vk = v[k];
                  c0[k] += p0 * vk;
                  c1[k] += p1 * vk;
                  c2[k] += p2 * vk;
                  c3[k] += p3 * vk;
                }
            }
          for (gsize u = 0; u < nr; u++)
            memcpy (a->ctx + (t0 + r0 + u) * C + h * d, c + u * d, d * sizeof (float));
        }
    }
  g_free (Q);
  g_free (KT);
  g_free (V);
  g_free (row);
  g_free (c);
}

static gsize
attention_max_len (const VsAttentionShape *s)
{
  gsize m = 1;

  for (gsize i = 0; i < s->n; i++)
    m = MAX (m, s->offsets[i + 1] - s->offsets[i]);
  return m;
}

void
vs_attention_forward (const VsAttentionShape *s, float *ctx, float *probs, const float *qkv)
{
  AttnArgs a = { 0 };

  a.s = s;
  a.ctx = ctx;
  a.probs = probs;
  a.qkv = qkv;
  a.max_len = attention_max_len (s);
  vs_parallel_for (s->n * s->H, 1, attention_forward_range, &a);
}

VS_HOT static void
attention_backward_range (gsize begin, gsize end, gpointer data)
{
  AttnArgs *a = data;
  const VsAttentionShape *s = a->s;
  gsize H = s->H, C = s->C, d = C / H, C3 = 3 * C;
  gsize Lm = a->max_len;
  float *Q = g_new (float, Lm * d);
  float *K = g_new (float, Lm * d);
  float *VT = g_new (float, d * Lm);
  float *dQ = g_new0 (float, Lm * d);
  float *dK = g_new0 (float, Lm * d);
  float *dV = g_new0 (float, Lm * d);
  float *dp = g_new (float, Lm);
  float *drel = s->rel_bias != NULL ? g_new0 (float, s->num_buckets * H) : NULL;

  for (gsize item = begin; item < end; item++)
    {
      gsize i = item / H, h = item % H;
      gsize t0 = s->offsets[i], L = s->offsets[i + 1] - t0;
      gsize pbase = s->poffsets[i] + h * L * L;
      const float *P = a->probs + pbase;

      for (gsize t = 0; t < L; t++)
        {
          const float *src = a->qkv + (t0 + t) * C3 + h * d;
          memcpy (Q + t * d, src, d * sizeof (float));
          memcpy (K + t * d, src + C, d * sizeof (float));
          for (gsize k = 0; k < d; k++)
            VT[k * L + t] = src[2 * C + k];
        }
      memset (dQ, 0, L * d * sizeof (float));
      memset (dK, 0, L * d * sizeof (float));
      memset (dV, 0, L * d * sizeof (float));

      for (gsize r = 0; r < L; r++)
        {
          const float *p = P + r * L;
          const float *dc = a->dctx + (t0 + r) * C + h * d;
          float *dq = dQ + r * d;
          const float *q = Q + r * d;
          float dot = 0.0f;

          /* forward: ctx_r += pd[j] v_j, so dpd[j] = dc . v_j and dv_j += pd[j] dc */
          memset (dp, 0, L * sizeof (float));
          for (gsize k = 0; k < d; k++)
            {
              float g = dc[k];
              const float *vt = VT + k * L;
              for (gsize j = 0; j < L; j++)
                dp[j] += g * vt[j];
            }
          for (gsize j = 0; j < L; j++)
            {
              float m = s->dropout_p > 0.0f
                ? vs_dropout_keep_scale (s->seed, s->site, pbase + r * L + j, s->dropout_p)
                : 1.0f;
              float pd = p[j] * m;
              float *dv = dV + j * d;
              dp[j] *= m;
              if (pd != 0.0f)
                for (gsize k = 0; k < d; k++)
                  dv[k] += pd * dc[k];
            }
          /* softmax backward: ds[j] = p[j] (dp[j] - sum_k p[k] dp[k]) */
          for (gsize j = 0; j < L; j++)
            dot += p[j] * dp[j];
          for (gsize j = 0; j < L; j++)
            dp[j] = p[j] * (dp[j] - dot);
          if (drel != NULL)
            for (gsize j = 0; j < L; j++)
              drel[s->rel_bucket[(gssize) j - (gssize) r + (gssize) s->rel_span] * H + h] += dp[j];
          /* scores = q_r . k_j * scale */
          for (gsize j = 0; j < L; j++)
            {
              float g = dp[j] * s->scale;
              const float *kj = K + j * d;
              float *dk = dK + j * d;
              for (gsize k = 0; k < d; k++)
                {
                  dq[k] += g * kj[k];
                  dk[k] += g * q[k];
                }
            }
        }
      for (gsize t = 0; t < L; t++)
        {
          float *dst = a->dqkv + (t0 + t) * C3 + h * d;
          memcpy (dst, dQ + t * d, d * sizeof (float));
          memcpy (dst + C, dK + t * d, d * sizeof (float));
          memcpy (dst + 2 * C, dV + t * d, d * sizeof (float));
        }
    }

  if (drel != NULL)
    {
      g_mutex_lock (&a->lock);
      for (gsize k = 0; k < s->num_buckets * H; k++)
        a->drel[k] += drel[k];
      g_mutex_unlock (&a->lock);
    }
  g_free (Q);
  g_free (K);
  g_free (VT);
  g_free (dQ);
  g_free (dK);
  g_free (dV);
  g_free (dp);
  g_free (drel);
}

void
vs_attention_backward (const VsAttentionShape *s, float *dqkv, float *drel_bias,
                       const float *dctx, const float *qkv, const float *probs)
{
  AttnArgs a = { 0 };

  a.s = s;
  a.probs = (float *) probs;
  a.qkv = qkv;
  a.dqkv = dqkv;
  a.drel = drel_bias;
  a.dctx = dctx;
  a.max_len = attention_max_len (s);
  g_mutex_init (&a.lock);
  vs_parallel_for (s->n * s->H, 1, attention_backward_range, &a);
  g_mutex_clear (&a.lock);
}

/* ------------------------------------------------------------------------ */
/* pooling: bits as VsPoolingMode in model/vs-model.h */

#define POOL_CLS          (1u << 0)
#define POOL_MAX          (1u << 1)
#define POOL_MEAN         (1u << 2)
#define POOL_MEAN_SQRT    (1u << 3)
#define POOL_WEIGHTEDMEAN (1u << 4)
#define POOL_LASTTOKEN    (1u << 5)

guint
vs_pooling_count_modes (guint modes)
{
  guint k = 0;

  for (guint bit = 0; bit < 6; bit++)
    if (modes & (1u << bit))
      k++;
  return k;
}

/* Pooling with the first skip[i] tokens of text i masked out, as
 * sentence-transformers' Pooling does for include_prompt = false
 * (attention_mask[:, :prompt_length] = 0): mean, mean_sqrt, weightedmean
 * and max use tokens [s, L) only, s = min (skip[i], L); weightedmean keeps
 * the 1-based position weights. With no token left: mean modes give 0 (the
 * 1e-9 clamp), max gives -1e9 and lasttoken 0. cls reads token 0 unless
 * max is on too and token 0 is masked: then sentence-transformers' in-place
 * "token_embeddings[mask == 0] = -1e9" has overwritten it, and cls is -1e9. */
#define POOL_MASKED_VALUE (-1e9f)

static gsize
pool_skip (const gsize *skip, gsize i, gsize L)
{
  return skip != NULL ? MIN (skip[i], L) : 0;
}

static float
pool_denom (guint mode, gsize s, gsize L)
{
  gsize cnt = L - s;

  if (mode == POOL_WEIGHTEDMEAN)
    cnt = L * (L + 1) / 2 - s * (s + 1) / 2;
  if (cnt == 0)
    return mode == POOL_MEAN_SQRT ? sqrtf (1e-9f) : 1e-9f;
  return mode == POOL_MEAN_SQRT ? sqrtf ((float) cnt) : (float) cnt;
}

void
vs_pooling_forward (float *out, gint64 *argmax, const float *h, const gsize *offsets,
                    gsize n, gsize C, guint modes)
{
  vs_pooling_forward_masked (out, argmax, h, offsets, NULL, n, C, modes);
}

void
vs_pooling_backward (float *dh, const float *dout, const gint64 *argmax,
                     const gsize *offsets, gsize n, gsize C, guint modes)
{
  vs_pooling_backward_masked (dh, dout, argmax, offsets, NULL, n, C, modes);
}

void
vs_pooling_forward_masked (float *out, gint64 *argmax, const float *h, const gsize *offsets,
                           const gsize *skip, gsize n, gsize C, guint modes)
{
  gsize K = vs_pooling_count_modes (modes);

  for (gsize i = 0; i < n; i++)
    {
      gsize t0 = offsets[i], L = offsets[i + 1] - t0;
      gsize s = pool_skip (skip, i, L);
      float *o = out + i * K * C;
      gsize blk = 0;

      for (guint bit = 0; bit < 6; bit++)
        {
          guint mode = 1u << bit;
          float *ob;

          if (!(modes & mode))
            continue;
          ob = o + blk * C;
          blk++;
          if (L == 0)
            {
              memset (ob, 0, C * sizeof (float));
              continue;
            }
          switch (mode)
            {
            case POOL_CLS:
              if (s > 0 && (modes & POOL_MAX))
                for (gsize c = 0; c < C; c++)
                  ob[c] = POOL_MASKED_VALUE;
              else
                memcpy (ob, h + t0 * C, C * sizeof (float));
              break;
            case POOL_LASTTOKEN:
              if (s < L)
                memcpy (ob, h + (t0 + L - 1) * C, C * sizeof (float));
              else
                memset (ob, 0, C * sizeof (float));
              break;
            case POOL_MAX:
              for (gsize c = 0; c < C; c++)
                {
                  if (s >= L)
                    {
                      ob[c] = POOL_MASKED_VALUE;
                      argmax[i * C + c] = -1;
                      continue;
                    }
                  gsize best = t0 + s;
                  for (gsize t = t0 + s + 1; t < t0 + L; t++)
                    if (h[t * C + c] > h[best * C + c])
                      best = t;
                  ob[c] = h[best * C + c];
                  argmax[i * C + c] = (gint64) best;
                }
              break;
            case POOL_MEAN:
            case POOL_MEAN_SQRT:
            case POOL_WEIGHTEDMEAN:
              {
                float denom = pool_denom (mode, s, L);
                memset (ob, 0, C * sizeof (float));
                for (gsize t = s; t < L; t++)
                  {
                    float wgt = mode == POOL_WEIGHTEDMEAN ? (float) (t + 1) : 1.0f;
                    const float *x = h + (t0 + t) * C;
                    for (gsize c = 0; c < C; c++)
                      ob[c] += wgt * x[c];
                  }
                for (gsize c = 0; c < C; c++)
                  ob[c] /= denom;
              }
              break;
            default:
              g_assert_not_reached ();
            }
        }
    }
}

void
vs_pooling_backward_masked (float *dh, const float *dout, const gint64 *argmax,
                            const gsize *offsets, const gsize *skip, gsize n, gsize C, guint modes)
{
  gsize K = vs_pooling_count_modes (modes);

  for (gsize i = 0; i < n; i++)
    {
      gsize t0 = offsets[i], L = offsets[i + 1] - t0;
      gsize s = pool_skip (skip, i, L);
      const float *d = dout + i * K * C;
      gsize blk = 0;

      for (guint bit = 0; bit < 6; bit++)
        {
          guint mode = 1u << bit;
          const float *db;

          if (!(modes & mode))
            continue;
          db = d + blk * C;
          blk++;
          if (L == 0)
            continue;
          switch (mode)
            {
            case POOL_CLS:
              if (s > 0 && (modes & POOL_MAX))
                break;   /* a constant: see vs_pooling_forward_masked */
              for (gsize c = 0; c < C; c++)
                dh[t0 * C + c] += db[c];
              break;
            case POOL_LASTTOKEN:
              if (s < L)
                for (gsize c = 0; c < C; c++)
                  dh[(t0 + L - 1) * C + c] += db[c];
              break;
            case POOL_MAX:
              for (gsize c = 0; c < C; c++)
                if (argmax[i * C + c] >= 0)
                  dh[(gsize) argmax[i * C + c] * C + c] += db[c];
              break;
            case POOL_MEAN:
            case POOL_MEAN_SQRT:
            case POOL_WEIGHTEDMEAN:
              {
                float denom = pool_denom (mode, s, L);
                for (gsize t = s; t < L; t++)
                  {
                    float wgt = (mode == POOL_WEIGHTEDMEAN ? (float) (t + 1) : 1.0f) / denom;
                    float *x = dh + (t0 + t) * C;
                    for (gsize c = 0; c < C; c++)
                      x[c] += wgt * db[c];
                  }
              }
              break;
            default:
              g_assert_not_reached ();
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* normalize */

void
vs_normalize_forward (float *out, const float *inp, gsize n, gsize D)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *x = inp + i * D;
      float *y = out + i * D;
      double ss = 0.0;
      float nrm;

      for (gsize k = 0; k < D; k++)
        ss += (double) x[k] * x[k];
      nrm = MAX ((float) sqrt (ss), 1e-12f);
      for (gsize k = 0; k < D; k++)
        y[k] = x[k] / nrm;
    }
}

void
vs_normalize_backward (float *dinp, const float *dout, const float *inp,
                       const float *out, gsize n, gsize D)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *x = inp + i * D, *y = out + i * D, *dy = dout + i * D;
      float *dx = dinp + i * D;
      double ss = 0.0, dot = 0.0;
      float nrm;

      for (gsize k = 0; k < D; k++)
        ss += (double) x[k] * x[k];
      nrm = (float) sqrt (ss);
      if (nrm <= 1e-12f)
        {
          /* y = x / eps: a constant scale */
          for (gsize k = 0; k < D; k++)
            dx[k] = dy[k] / 1e-12f;
          continue;
        }
      for (gsize k = 0; k < D; k++)
        dot += (double) y[k] * dy[k];
      for (gsize k = 0; k < D; k++)
        dx[k] = (dy[k] - y[k] * (float) dot) / nrm;
    }
}
