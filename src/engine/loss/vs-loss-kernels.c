/* vs-loss-kernels.c: every loss's forward and backward, in double.
 *
 * Each kernel follows sentence-transformers' forward() line by line
 * (st-spec.md section 1), and its backward follows torch autograd's
 * choices at kinks: relu'(0) = 0, clamp/`x[x<0] = 0` let the gradient
 * through at exactly 0, max/min route it to one argmax/argmin (the
 * first), |x|'(0) = 0. Gradients are accumulated into dcols.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "loss/vs-loss-private.h"

#define LABEL(b, i) ((double) (b)->labels[(i) * (b)->label_dim])

static gboolean
check_scalar_labels (VsLoss             *loss,
                     const VsLossDBatch *b,
                     GError            **error)
{
  if (b->label_dim != 1)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s takes one label per row, not %" G_GSIZE_FORMAT,
                   loss->info->name, b->label_dim);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_binary_labels (VsLoss             *loss,
                     const VsLossDBatch *b,
                     GError            **error)
{
  if (!check_scalar_labels (loss, b, error))
    return FALSE;
  for (gsize i = 0; i < b->batch; i++)
    if (LABEL (b, i) != 0 && LABEL (b, i) != 1)
      {
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                     "%s: the label of row %" G_GSIZE_FORMAT " is %g; it must be 0 or 1",
                     loss->info->name, i, LABEL (b, i));
        return FALSE;
      }
  return TRUE;
}

static gboolean
check_class_labels (VsLoss             *loss,
                    const VsLossDBatch *b,
                    double              limit,
                    GError            **error)
{
  if (!check_scalar_labels (loss, b, error))
    return FALSE;
  for (gsize i = 0; i < b->batch; i++)
    {
      double y = LABEL (b, i);
      if (y != floor (y) || (limit < G_MAXDOUBLE && (y < 0 || y >= limit)))
        {
          if (limit < G_MAXDOUBLE)
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s: the label of row %" G_GSIZE_FORMAT " is %g; it must be an integer "
                         "in 0 .. %g", loss->info->name, i, y, limit - 1);
          else
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s: the label of row %" G_GSIZE_FORMAT " is %g; it must be an "
                         "integer class id", loss->info->name, i, y);
          return FALSE;
        }
    }
  return TRUE;
}

/* --- pair + score ------------------------------------------------------------ */

static gboolean
cosine_similarity_loss (VsLoss             *loss,
                        const VsLossDBatch *b,
                        double             *value,
                        double *const      *dcols,
                        GError            **error)
{
  gsize B = b->batch, D = b->dim;
  g_autofree double *s = g_new (double, B);
  g_autofree double *ds = g_new (double, B);

  if (!check_scalar_labels (loss, b, error))
    return FALSE;
  vs_loss_sim_pairwise_forward (VS_SIM_COS8, s, b->cols[0], b->cols[1], B, D);
  *value = 0;
  for (gsize i = 0; i < B; i++)
    {
      double e = s[i] - LABEL (b, i);
      *value += e * e / B;
      ds[i] = 2 * e / B;
    }
  vs_loss_sim_pairwise_backward (VS_SIM_COS8, dcols[0], dcols[1], ds,
                                 b->cols[0], b->cols[1], B, D);
  return TRUE;
}

/* CoSENT / AnglE: log(1 + Σ_{y_i < y_j} exp(s_i − s_j)), s = scale·sim */
static gboolean
cosent_loss (VsLoss             *loss,
             const VsLossDBatch *b,
             double             *value,
             double *const      *dcols,
             GError            **error)
{
  gsize B = b->batch, D = b->dim;
  g_autofree double *s = g_new (double, B);
  g_autofree double *ds = g_new0 (double, B);

  if (!check_scalar_labels (loss, b, error))
    return FALSE;
  if (loss->sim == VS_SIM_ANGLE && D % 2 != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: pairwise_angle_sim needs an even embedding size, not %" G_GSIZE_FORMAT,
                   loss->info->name, D);
      return FALSE;
    }
  vs_loss_sim_pairwise_forward (loss->sim, s, b->cols[0], b->cols[1], B, D);
  for (gsize i = 0; i < B; i++)
    s[i] *= loss->scale;

  double mx = 0;   /* the 0 prepended to the logits */
  for (gsize i = 0; i < B; i++)
    for (gsize j = 0; j < B; j++)
      if (LABEL (b, i) < LABEL (b, j))
        mx = MAX (mx, s[i] - s[j]);
  double z = exp (-mx);
  for (gsize i = 0; i < B; i++)
    for (gsize j = 0; j < B; j++)
      if (LABEL (b, i) < LABEL (b, j))
        z += exp (s[i] - s[j] - mx);
  double lse = mx + log (z);
  *value = lse;
  for (gsize i = 0; i < B; i++)
    for (gsize j = 0; j < B; j++)
      if (LABEL (b, i) < LABEL (b, j))
        {
          double p = exp (s[i] - s[j] - lse);
          ds[i] += p;
          ds[j] -= p;
        }
  for (gsize i = 0; i < B; i++)
    ds[i] *= loss->scale;
  vs_loss_sim_pairwise_backward (loss->sim, dcols[0], dcols[1], ds,
                                 b->cols[0], b->cols[1], B, D);
  return TRUE;
}

/* ContrastiveLoss: 0.5·[y d² + (1−y) relu(m − d)²], mean or sum */
static gboolean
contrastive_loss (VsLoss             *loss,
                  const VsLossDBatch *b,
                  double             *value,
                  double *const      *dcols,
                  GError            **error)
{
  gsize B = b->batch, D = b->dim;
  g_autofree double *d = g_new (double, B);
  g_autofree double *dd = g_new (double, B);
  double c = loss->size_average ? 1.0 / B : 1.0;

  if (!check_binary_labels (loss, b, error))
    return FALSE;
  vs_loss_dist_pairwise_forward (loss->dist, d, b->cols[0], b->cols[1], B, D);
  *value = 0;
  for (gsize i = 0; i < B; i++)
    {
      double y = LABEL (b, i);
      double h = MAX (loss->margin - d[i], 0.0);
      *value += c * 0.5 * (y * d[i] * d[i] + (1 - y) * h * h);
      dd[i] = c * (y * d[i] - (1 - y) * h);
    }
  vs_loss_dist_pairwise_backward (loss->dist, dcols[0], dcols[1], dd,
                                  b->cols[0], b->cols[1], B, D);
  return TRUE;
}

/* OnlineContrastiveLoss: Σ hardpos² + Σ relu(m − hardneg)² */
static gboolean
online_contrastive_loss (VsLoss             *loss,
                         const VsLossDBatch *b,
                         double             *value,
                         double *const      *dcols,
                         GError            **error)
{
  gsize B = b->batch, D = b->dim;
  g_autofree double *d = g_new (double, B);
  g_autofree double *dd = g_new0 (double, B);
  gsize npos = 0, nneg = 0;
  double pos_max = -INFINITY, pos_sum = 0, neg_min = INFINITY, neg_sum = 0;

  if (!check_binary_labels (loss, b, error))
    return FALSE;
  vs_loss_dist_pairwise_forward (loss->dist, d, b->cols[0], b->cols[1], B, D);
  for (gsize i = 0; i < B; i++)
    if (LABEL (b, i) == 1)
      {
        npos++;
        pos_max = MAX (pos_max, d[i]);
        pos_sum += d[i];
      }
    else
      {
        nneg++;
        neg_min = MIN (neg_min, d[i]);
        neg_sum += d[i];
      }
  /* thresholds as torch computes them; mean of nothing is NaN, which no
   * comparison passes */
  double neg_thr = npos > 1 ? pos_max : (nneg > 0 ? neg_sum / nneg : NAN);
  double pos_thr = nneg > 1 ? neg_min : (npos > 0 ? pos_sum / npos : NAN);
  *value = 0;
  for (gsize i = 0; i < B; i++)
    if (LABEL (b, i) == 1)
      {
        if (d[i] > pos_thr)
          {
            *value += d[i] * d[i];
            dd[i] = 2 * d[i];
          }
      }
    else if (d[i] < neg_thr)
      {
        double h = MAX (loss->margin - d[i], 0.0);
        *value += h * h;
        dd[i] = -2 * h;
      }
  vs_loss_dist_pairwise_backward (loss->dist, dcols[0], dcols[1], dd,
                                  b->cols[0], b->cols[1], B, D);
  return TRUE;
}

/* SoftmaxLoss: CE (W·[u, v, |u−v|, u⊙v] + b, label) */
static gboolean
softmax_loss (VsLoss             *loss,
              const VsLossDBatch *b,
              double             *value,
              double *const      *dcols,
              double              pscale,
              GError            **error)
{
  gsize B = b->batch, D = b->dim, L = loss->sm_num_labels, K = loss->sm_k * D;
  const double *U = b->cols[0], *V = b->cols[1];
  const float *W = loss->params, *bias = loss->params + L * K;

  if (D != loss->sm_dim)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss: sentence_embedding_dimension is %" G_GSIZE_FORMAT
                   " but the embeddings have %" G_GSIZE_FORMAT " dimensions", loss->sm_dim, D);
      return FALSE;
    }
  if (!check_class_labels (loss, b, (double) L, error))
    return FALSE;

  g_autofree double *f = g_new (double, B * K);
  g_autofree double *z = g_new (double, B * L);
  g_autofree double *dz = g_new (double, B * L);
  g_autofree gsize *t = g_new (gsize, B);

  for (gsize i = 0; i < B; i++)
    {
      double *fi = f + i * K;
      const double *u = U + i * D, *v = V + i * D;
      gsize o = 0;
      if (loss->sm_rep)
        {
          memcpy (fi, u, D * sizeof (double));
          memcpy (fi + D, v, D * sizeof (double));
          o = 2 * D;
        }
      if (loss->sm_diff)
        {
          for (gsize k = 0; k < D; k++)
            fi[o + k] = fabs (u[k] - v[k]);
          o += D;
        }
      if (loss->sm_mul)
        for (gsize k = 0; k < D; k++)
          fi[o + k] = u[k] * v[k];
      for (gsize l = 0; l < L; l++)
        {
          double acc = bias[l];
          const float *wl = W + l * K;
          for (gsize k = 0; k < K; k++)
            acc += wl[k] * fi[k];
          z[i * L + l] = acc;
        }
      t[i] = (gsize) LABEL (b, i);
    }
  *value = vs_loss_cross_entropy (z, dz, t, B, L, 1.0);

  for (gsize i = 0; i < B; i++)
    {
      const double *u = U + i * D, *v = V + i * D, *fi = f + i * K;
      double *du = dcols[0] + i * D, *dv = dcols[1] + i * D;
      g_autofree double *df = g_new0 (double, K);
      for (gsize l = 0; l < L; l++)
        {
          double g = dz[i * L + l];
          const float *wl = W + l * K;
          for (gsize k = 0; k < K; k++)
            df[k] += g * wl[k];
          if (pscale != 0)
            {
              float *gw = loss->grads + l * K;
              for (gsize k = 0; k < K; k++)
                gw[k] += (float) (pscale * g * fi[k]);
              loss->grads[L * K + l] += (float) (pscale * g);
            }
        }
      gsize o = 0;
      if (loss->sm_rep)
        {
          for (gsize k = 0; k < D; k++)
            {
              du[k] += df[k];
              dv[k] += df[D + k];
            }
          o = 2 * D;
        }
      if (loss->sm_diff)
        {
          for (gsize k = 0; k < D; k++)
            {
              double sg = (u[k] > v[k]) - (u[k] < v[k]);
              du[k] += df[o + k] * sg;
              dv[k] -= df[o + k] * sg;
            }
          o += D;
        }
      if (loss->sm_mul)
        for (gsize k = 0; k < D; k++)
          {
            du[k] += df[o + k] * v[k];
            dv[k] += df[o + k] * u[k];
          }
    }
  return TRUE;
}

/* --- in-batch negatives ------------------------------------------------------ */

/* Stacks columns [first, n_cols) into one [B·(n_cols−first), D] matrix. */
static double *
stack_columns (const VsLossDBatch *b,
               gsize               first)
{
  gsize B = b->batch, D = b->dim, n = b->n_cols - first;
  double *out = g_new (double, n * B * D);
  for (gsize c = 0; c < n; c++)
    memcpy (out + c * B * D, b->cols[first + c], B * D * sizeof (double));
  return out;
}

static void
unstack_add (double *const *dcols,
             const double  *dstack,
             gsize          first,
             gsize          n_cols,
             gsize          B,
             gsize          D)
{
  for (gsize c = first; c < n_cols; c++)
    for (gsize k = 0; k < B * D; k++)
      dcols[c][k] += dstack[(c - first) * B * D + k];
}

/* MNRL (symmetric: + CE of the anchor-positive block transposed, halved) */
static gboolean
mnrl_loss (VsLoss             *loss,
           const VsLossDBatch *b,
           gboolean            symmetric,
           double             *value,
           double *const      *dcols)
{
  gsize B = b->batch, D = b->dim, M = B * (b->n_cols - 1);
  g_autofree double *C = stack_columns (b, 1);
  g_autofree double *dC = g_new0 (double, M * D);
  g_autofree double *S = g_new (double, B * M);
  g_autofree double *dS = g_new (double, B * M);
  g_autofree gsize *t = g_new (gsize, B);

  for (gsize i = 0; i < B; i++)
    t[i] = i;
  vs_loss_sim_matrix_forward (loss->sim, S, b->cols[0], B, C, M, D);
  for (gsize k = 0; k < B * M; k++)
    S[k] *= loss->scale;

  if (!symmetric)
    *value = vs_loss_cross_entropy (S, dS, t, B, M, 1.0);
  else
    {
      g_autofree double *ST = g_new (double, B * B);
      g_autofree double *dST = g_new (double, B * B);
      for (gsize i = 0; i < B; i++)
        for (gsize j = 0; j < B; j++)
          ST[j * B + i] = S[i * M + j];
      *value = 0.5 * vs_loss_cross_entropy (S, dS, t, B, M, 0.5);
      *value += 0.5 * vs_loss_cross_entropy (ST, dST, t, B, B, 0.5);
      for (gsize i = 0; i < B; i++)
        for (gsize j = 0; j < B; j++)
          dS[i * M + j] += dST[j * B + i];
    }
  for (gsize k = 0; k < B * M; k++)
    dS[k] *= loss->scale;
  vs_loss_sim_matrix_backward (loss->sim, dcols[0], dC, dS, b->cols[0], B, C, M, D);
  unstack_add (dcols, dC, 1, b->n_cols, B, D);
  return TRUE;
}

/* GISTEmbedLoss: CE over [AP | AA | PP | AN_1 .. AN_n] / temperature with
 * the guide's likely false negatives set to −inf. */
static gboolean
gist_loss (VsLoss             *loss,
           const VsLossDBatch *b,
           double             *value,
           double *const      *dcols)
{
  gsize B = b->batch, D = b->dim, G = b->guide_dim;
  gsize n_neg = b->n_cols - 2;
  gsize n_blocks = 1 + (loss->contrast_anchors ? 1 : 0) + (loss->contrast_positives ? 1 : 0) + n_neg;
  gsize W = n_blocks * B;
  g_autofree double *S = g_new (double, B * W);
  g_autofree double *dS = g_new (double, B * W);
  g_autofree double *blk = g_new (double, B * B);
  g_autofree double *gblk = g_new (double, B * B);
  g_autofree double *thr = g_new (double, B);
  g_autofree gsize *t = g_new (gsize, B);
  /* (x column, y column) per block */
  gsize bx[64], by[64];
  gsize nb = 0;

  if (n_blocks > G_N_ELEMENTS (bx))
    return FALSE;
  bx[nb] = 0, by[nb++] = 1;
  if (loss->contrast_anchors)
    bx[nb] = 0, by[nb++] = 0;
  if (loss->contrast_positives)
    bx[nb] = 1, by[nb++] = 1;
  for (gsize k = 0; k < n_neg; k++)
    bx[nb] = 0, by[nb++] = 2 + k;

  /* threshold: the guide's anchor-positive similarity of each row */
  vs_loss_sim_pairwise_forward (VS_SIM_COS8, thr, b->guide[0], b->guide[1], B, G);
  for (gsize k = 0; k < nb; k++)
    {
      vs_loss_sim_matrix_forward (VS_SIM_COS8, blk, b->cols[bx[k]], B, b->cols[by[k]], B, D);
      vs_loss_sim_matrix_forward (VS_SIM_COS8, gblk, b->guide[bx[k]], B, b->guide[by[k]], B, G);
      for (gsize i = 0; i < B; i++)
        for (gsize j = 0; j < B; j++)
          {
            double lim = loss->gist_relative ? thr[i] * (1 - loss->margin) : thr[i] - loss->margin;
            gboolean masked = gblk[i * B + j] > lim;
            if (k == 0 && i == j)
              masked = FALSE;   /* the positive itself */
            S[i * W + k * B + j] = masked ? -INFINITY : blk[i * B + j] / loss->temperature;
          }
    }
  for (gsize i = 0; i < B; i++)
    t[i] = i;
  *value = vs_loss_cross_entropy (S, dS, t, B, W, 1.0);
  for (gsize k = 0; k < nb; k++)
    {
      for (gsize i = 0; i < B; i++)
        for (gsize j = 0; j < B; j++)
          blk[i * B + j] = dS[i * W + k * B + j] / loss->temperature;
      vs_loss_sim_matrix_backward (VS_SIM_COS8, dcols[bx[k]], dcols[by[k]], blk,
                                   b->cols[bx[k]], B, b->cols[by[k]], B, D);
    }
  return TRUE;
}

/* Row i's hardest negative in the anchor-positive cosine matrix M[B, B]:
 * the first argmax of M[i, j] − 2·[i == j]; its value through *best. */
static gsize
hardest_other_positive (const double *M,
                        gsize         B,
                        gsize         i,
                        double       *best)
{
  gsize jm = 0;
  *best = -INFINITY;
  for (gsize j = 0; j < B; j++)
    {
      double v = M[i * B + j] - (i == j ? 2.0 : 0.0);
      if (v > *best)
        *best = v, jm = j;
    }
  return jm;
}

/* MegaBatchMarginLoss. The mini-batched version picks, per chunk of
 * mini_batch_size anchors, each anchor's most similar other positive (by
 * cos_sim) as its negative and adds the chunk's mean of relu(pm − cos(a,p))
 * + relu(cos(a,n) − nm); the gradient is the sum over chunks, as the
 * per-chunk backward() of sentence-transformers accumulates. The value
 * returned is that same sum (sentence-transformers logs the last chunk's
 * only); with a batch of at most mini_batch_size rows they agree. */
static gboolean
mega_batch_margin_loss (VsLoss             *loss,
                        const VsLossDBatch *b,
                        double             *value,
                        double *const      *dcols)
{
  gsize B = b->batch, D = b->dim;
  const double *A = b->cols[0], *P = b->cols[1];
  g_autofree double *M = g_new (double, B * B);
  g_autofree double *dM = g_new0 (double, B * B);
  double pm = loss->positive_margin, nm = loss->negative_margin;

  vs_loss_sim_matrix_forward (VS_SIM_COS, M, A, B, P, B, D);
  *value = 0;
  if (!loss->use_mini_batched)
    {
      for (gsize i = 0; i < B; i++)
        {
          double best;
          gsize jm = hardest_other_positive (M, B, i, &best);
          double pos = M[i * B + i];
          if (pm - pos > 0)
            {
              *value += (pm - pos) / B;
              dM[i * B + i] -= 1.0 / B;
            }
          if (best - nm > 0)
            {
              *value += (best - nm) / B;
              dM[i * B + jm] += 1.0 / B;
            }
        }
      vs_loss_sim_matrix_backward (VS_SIM_COS, dcols[0], dcols[1], dM, A, B, P, B, D);
      return TRUE;
    }

  gsize mb = loss->mini_batch_size;
  g_autofree gsize *neg = g_new (gsize, B);
  for (gsize i = 0; i < B; i++)
    {
      double best;
      neg[i] = hardest_other_positive (M, B, i, &best);
    }
  for (gsize s = 0; s < B; s += mb)
    {
      gsize e = MIN (s + mb, B), n = e - s;
      double chunk = 0;
      for (gsize i = s; i < e; i++)
        {
          double pc, nc, g;
          const double *a = A + i * D, *p = P + i * D, *q = P + neg[i] * D;
          vs_loss_sim_pairwise_forward (VS_SIM_COS8, &pc, a, p, 1, D);
          vs_loss_sim_pairwise_forward (VS_SIM_COS8, &nc, a, q, 1, D);
          if (pm - pc > 0)
            {
              chunk += pm - pc;
              g = -1.0 / n;
              vs_loss_sim_pairwise_backward (VS_SIM_COS8, dcols[0] + i * D, dcols[1] + i * D,
                                             &g, a, p, 1, D);
            }
          if (nc - nm > 0)
            {
              chunk += nc - nm;
              g = 1.0 / n;
              vs_loss_sim_pairwise_backward (VS_SIM_COS8, dcols[0] + i * D,
                                             dcols[1] + neg[i] * D, &g, a, q, 1, D);
            }
        }
      *value += chunk / n;
    }
  return TRUE;
}

/* --- triplets ------------------------------------------------------------------ */

static gboolean
triplet_loss (VsLoss             *loss,
              const VsLossDBatch *b,
              double             *value,
              double *const      *dcols)
{
  gsize B = b->batch, D = b->dim;
  g_autofree double *dap = g_new (double, B);
  g_autofree double *dan = g_new (double, B);
  g_autofree double *gap = g_new0 (double, B);
  g_autofree double *gan = g_new0 (double, B);

  vs_loss_dist_pairwise_forward (loss->dist, dap, b->cols[0], b->cols[1], B, D);
  vs_loss_dist_pairwise_forward (loss->dist, dan, b->cols[0], b->cols[2], B, D);
  *value = 0;
  for (gsize i = 0; i < B; i++)
    {
      double l = dap[i] - dan[i] + loss->margin;
      if (l > 0)
        {
          *value += l / B;
          gap[i] = 1.0 / B;
          gan[i] = -1.0 / B;
        }
    }
  vs_loss_dist_pairwise_backward (loss->dist, dcols[0], dcols[1], gap, b->cols[0], b->cols[1], B, D);
  vs_loss_dist_pairwise_backward (loss->dist, dcols[0], dcols[2], gan, b->cols[0], b->cols[2], B, D);
  return TRUE;
}

/* Distance matrix of the batch triplet losses: eucledian_distance from the
 * Gram matrix (clamped at 0, zero gradient where d² = 0) or cosine_distance. */
static void
batch_dist_forward (VsLoss       *loss,
                    double       *dist,
                    const double *E,
                    gsize         B,
                    gsize         D)
{
  if (loss->cosine_batch_distance)
    {
      vs_loss_sim_matrix_forward (VS_SIM_COS, dist, E, B, E, B, D);
      for (gsize k = 0; k < B * B; k++)
        dist[k] = 1.0 - dist[k];
      return;
    }
  g_autofree double *G = g_new (double, B * B);
  vs_loss_sim_matrix_forward (VS_SIM_DOT, G, E, B, E, B, D);
  for (gsize i = 0; i < B; i++)
    for (gsize j = 0; j < B; j++)
      {
        double d2 = G[i * B + i] - 2.0 * G[i * B + j] + G[j * B + j];
        dist[i * B + j] = d2 > 0 ? sqrt (d2) : 0.0;
      }
}

static void
batch_dist_backward (VsLoss       *loss,
                     double       *dE,
                     const double *ddist,
                     const double *dist,
                     const double *E,
                     gsize         B,
                     gsize         D)
{
  if (loss->cosine_batch_distance)
    {
      g_autofree double *neg = g_new (double, B * B);
      for (gsize k = 0; k < B * B; k++)
        neg[k] = -ddist[k];
      vs_loss_sim_matrix_backward (VS_SIM_COS, dE, dE, neg, E, B, E, B, D);
      return;
    }
  for (gsize i = 0; i < B; i++)
    for (gsize j = 0; j < B; j++)
      {
        double g = ddist[i * B + j];
        if (g == 0 || dist[i * B + j] == 0)
          continue;
        /* d = sqrt(‖e_i − e_j‖²): dd/de_i = (e_i − e_j)/d */
        double c = g / dist[i * B + j];
        for (gsize k = 0; k < D; k++)
          {
            double t = c * (E[i * D + k] - E[j * D + k]);
            dE[i * D + k] += t;
            dE[j * D + k] -= t;
          }
      }
}

static gboolean
batch_triplet_loss (VsLoss             *loss,
                    const VsLossDBatch *b,
                    double             *value,
                    double *const      *dcols,
                    GError            **error)
{
  gsize B = b->batch, D = b->dim;
  const double *E = b->cols[0];
  g_autofree double *dist = g_new (double, B * B);
  g_autofree double *dd = g_new0 (double, B * B);
  g_autofree double *y = g_new (double, B);

  if (!check_class_labels (loss, b, G_MAXDOUBLE, error))
    return FALSE;
  for (gsize i = 0; i < B; i++)
    y[i] = LABEL (b, i);
  batch_dist_forward (loss, dist, E, B, D);
  *value = 0;

  switch (loss->kind)
    {
    case VS_LOSS_KIND_BATCH_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET:
      for (gsize i = 0; i < B; i++)
        {
          const double *di = dist + i * B;
          /* hardest positive: max_j mask_ap·d (0 when there is none) */
          gsize jp = 0, km = 0, jn = 0;
          double hp = -INFINITY, rowmax = -INFINITY, hn = INFINITY;
          for (gsize j = 0; j < B; j++)
            {
              double v = (j != i && y[j] == y[i]) ? di[j] : 0.0;
              if (v > hp)
                hp = v, jp = j;
              if (di[j] > rowmax)
                rowmax = di[j], km = j;
            }
          for (gsize j = 0; j < B; j++)
            {
              double v = di[j] + (y[j] == y[i] ? rowmax : 0.0);
              if (v < hn)
                hn = v, jn = j;
            }
          double g;
          if (loss->kind == VS_LOSS_KIND_BATCH_HARD_TRIPLET)
            {
              double tl = hp - hn + loss->margin;
              if (tl < 0)
                continue;
              *value += tl / B;
              g = 1.0 / B;
            }
          else
            {
              double x = hp - hn;
              *value += (x > 0 ? x + log1p (exp (-x)) : log1p (exp (x))) / B;
              g = 1.0 / (1.0 + exp (-x)) / B;
            }
          if (jp != i && y[jp] == y[i])
            dd[i * B + jp] += g;
          dd[i * B + jn] -= g;
          if (y[jn] == y[i])
            dd[i * B + km] -= g;
        }
      break;

    case VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET:
      {
        gsize npos = 0;
        for (gsize a = 0; a < B; a++)
          for (gsize k = 0; k < B; k++)
            if (k != a && y[k] == y[a])
              npos++;
        if (npos == 0)
          break;   /* sentence-transformers divides 0 by 0 here; no positive pair, no loss */
        for (gsize a = 0; a < B; a++)
          {
            const double *da = dist + a * B;
            /* negatives_inside: masked max over a's negatives, else (none)
             * the row minimum, whose gradient is zero (the diagonal) */
            gsize ni = a;
            double rowmin = INFINITY, best_in = -INFINITY;
            gsize imin = a;
            for (gsize j = 0; j < B; j++)
              if (da[j] < rowmin)
                rowmin = da[j], imin = j;
            gboolean any_neg = FALSE;
            for (gsize j = 0; j < B; j++)
              if (y[j] != y[a] && da[j] - rowmin > best_in)
                best_in = da[j] - rowmin, ni = j, any_neg = TRUE;
            if (!any_neg || best_in <= 0)
              ni = imin;
            for (gsize k = 0; k < B; k++)
              {
                if (k == a || y[k] != y[a])
                  continue;
                gsize no = B;
                double best_out = INFINITY;
                for (gsize n = 0; n < B; n++)
                  if (y[n] != y[a] && da[n] > da[k] && da[n] < best_out)
                    best_out = da[n], no = n;
                gsize nstar = no < B ? no : ni;
                double l = da[k] - da[nstar] + loss->margin;
                if (l > 0)
                  {
                    *value += l / npos;
                    dd[a * B + k] += 1.0 / npos;
                    dd[a * B + nstar] -= 1.0 / npos;
                  }
              }
          }
      }
      break;

    case VS_LOSS_KIND_BATCH_ALL_TRIPLET:
      {
        double sum = 0;
        gsize count = 0;
        for (gsize i = 0; i < B; i++)
          for (gsize j = 0; j < B; j++)
            {
              if (j == i || y[j] != y[i])
                continue;
              for (gsize k = 0; k < B; k++)
                {
                  if (k == i || k == j || y[k] == y[i])
                    continue;
                  double t = dist[i * B + j] - dist[i * B + k] + loss->margin;
                  if (t > 0)
                    sum += t;
                  if (t > 1e-16)
                    count++;
                }
            }
        double denom = count + 1e-16;
        *value = sum / denom;
        for (gsize i = 0; i < B; i++)
          for (gsize j = 0; j < B; j++)
            {
              if (j == i || y[j] != y[i])
                continue;
              for (gsize k = 0; k < B; k++)
                {
                  if (k == i || k == j || y[k] == y[i])
                    continue;
                  double t = dist[i * B + j] - dist[i * B + k] + loss->margin;
                  if (t >= 0)
                    {
                      dd[i * B + j] += 1.0 / denom;
                      dd[i * B + k] -= 1.0 / denom;
                    }
                }
            }
      }
      break;

    case VS_LOSS_KIND_COSINE_SIMILARITY:
    case VS_LOSS_KIND_COSENT:
    case VS_LOSS_KIND_ANGLE:
    case VS_LOSS_KIND_CONTRASTIVE:
    case VS_LOSS_KIND_ONLINE_CONTRASTIVE:
    case VS_LOSS_KIND_SOFTMAX:
    case VS_LOSS_KIND_MNRL:
    case VS_LOSS_KIND_MNSRL:
    case VS_LOSS_KIND_CACHED_MNRL:
    case VS_LOSS_KIND_CACHED_MNSRL:
    case VS_LOSS_KIND_GIST:
    case VS_LOSS_KIND_CACHED_GIST:
    case VS_LOSS_KIND_MEGA_BATCH_MARGIN:
    case VS_LOSS_KIND_TRIPLET:
    case VS_LOSS_KIND_MSE:
    case VS_LOSS_KIND_MARGIN_MSE:
    case VS_LOSS_KIND_DISTILL_KL_DIV:
    case VS_LOSS_KIND_MATRYOSHKA:
    default:
      g_assert_not_reached ();
    }

  batch_dist_backward (loss, dcols[0], dd, dist, E, B, D);
  return TRUE;
}

/* --- distillation ------------------------------------------------------------ */

static gboolean
mse_loss (VsLoss             *loss,
          const VsLossDBatch *b,
          double             *value,
          double *const      *dcols,
          GError            **error)
{
  gsize B = b->batch, D = b->dim, n = b->n_cols;
  if (b->label_dim != D)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MSELoss: the teacher embeddings have %" G_GSIZE_FORMAT
                   " dimensions but the student's have %" G_GSIZE_FORMAT, b->label_dim, D);
      return FALSE;
    }
  double c = 1.0 / ((double) n * B * D);
  *value = 0;
  for (gsize k = 0; k < n; k++)
    for (gsize i = 0; i < B * D; i++)
      {
        double e = b->cols[k][i] - b->labels[i];
        *value += e * e * c;
        dcols[k][i] += 2 * e * c;
      }
  return TRUE;
}

static gboolean
margin_mse_loss (VsLoss             *loss,
                 const VsLossDBatch *b,
                 double             *value,
                 double *const      *dcols,
                 GError            **error)
{
  gsize B = b->batch, D = b->dim, n = b->n_cols - 2;
  gboolean raw;

  if (loss->sim == VS_SIM_ANGLE && D % 2 != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MarginMSELoss: pairwise_angle_sim needs an even embedding size");
      return FALSE;
    }
  if (b->label_dim == n)
    raw = FALSE;
  else if (b->label_dim == n + 1)
    raw = TRUE;
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MarginMSELoss: %" G_GSIZE_FORMAT " negative column%s need %" G_GSIZE_FORMAT
                   " teacher margins or %" G_GSIZE_FORMAT " teacher scores per row, not %"
                   G_GSIZE_FORMAT, n, n == 1 ? "" : "s", n, n + 1, b->label_dim);
      return FALSE;
    }
  g_autofree double *sp = g_new (double, B);
  g_autofree double *dsp = g_new0 (double, B);
  g_autofree double *sn = g_new (double, B);
  g_autofree double *dsn = g_new (double, B);
  vs_loss_sim_pairwise_forward (loss->sim, sp, b->cols[0], b->cols[1], B, D);
  *value = 0;
  double c = 1.0 / ((double) B * n);
  for (gsize k = 0; k < n; k++)
    {
      vs_loss_sim_pairwise_forward (loss->sim, sn, b->cols[0], b->cols[2 + k], B, D);
      for (gsize i = 0; i < B; i++)
        {
          const float *li = b->labels + i * b->label_dim;
          double target = raw ? (double) li[0] - li[1 + k] : li[k];
          double e = sp[i] - sn[i] - target;
          *value += e * e * c;
          dsp[i] += 2 * e * c;
          dsn[i] = -2 * e * c;
        }
      vs_loss_sim_pairwise_backward (loss->sim, dcols[0], dcols[2 + k], dsn,
                                     b->cols[0], b->cols[2 + k], B, D);
    }
  vs_loss_sim_pairwise_backward (loss->sim, dcols[0], dcols[1], dsp,
                                 b->cols[0], b->cols[1], B, D);
  return TRUE;
}

/* DistillKLDivLoss: KL(softmax(teacher/T) ‖ softmax(student/T)) per row,
 * batchmean, times T², student scores s_k = sim(q, c_k). */
static gboolean
distill_kl_div_loss (VsLoss             *loss,
                     const VsLossDBatch *b,
                     double             *value,
                     double *const      *dcols,
                     GError            **error)
{
  gsize B = b->batch, D = b->dim, m = b->n_cols - 1;
  double T = loss->temperature;

  if (loss->sim == VS_SIM_ANGLE && D % 2 != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "DistillKLDivLoss: pairwise_angle_sim needs an even embedding size");
      return FALSE;
    }
  if (b->label_dim != m)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "DistillKLDivLoss: %" G_GSIZE_FORMAT " candidate columns need %" G_GSIZE_FORMAT
                   " teacher scores per row, not %" G_GSIZE_FORMAT, m, m, b->label_dim);
      return FALSE;
    }
  g_autofree double *s = g_new (double, m * B);     /* [m, B]: column-major per candidate */
  g_autofree double *ds = g_new0 (double, m * B);
  for (gsize k = 0; k < m; k++)
    vs_loss_sim_pairwise_forward (loss->sim, s + k * B, b->cols[0], b->cols[1 + k], B, D);

  *value = 0;
  for (gsize i = 0; i < B; i++)
    {
      const float *li = b->labels + i * m;
      double smax = -INFINITY, tmax = -INFINITY, zs = 0, zt = 0;
      for (gsize k = 0; k < m; k++)
        {
          smax = MAX (smax, s[k * B + i] / T);
          tmax = MAX (tmax, li[k] / T);
        }
      for (gsize k = 0; k < m; k++)
        {
          zs += exp (s[k * B + i] / T - smax);
          zt += exp (li[k] / T - tmax);
        }
      for (gsize k = 0; k < m; k++)
        {
          double logq = s[k * B + i] / T - smax - log (zs);   /* student log-probability */
          double logp = li[k] / T - tmax - log (zt);           /* teacher log-probability */
          double p = exp (logp);
          if (p > 0)
            *value += p * (logp - logq) * T * T / B;
          /* d/ds_k of Σ p (log p − log q) = (q_k − p_k) / T */
          ds[k * B + i] = (exp (logq) - p) / T * T * T / B;
        }
    }
  for (gsize k = 0; k < m; k++)
    vs_loss_sim_pairwise_backward (loss->sim, dcols[0], dcols[1 + k], ds + k * B,
                                   b->cols[0], b->cols[1 + k], B, D);
  return TRUE;
}

/* --- dispatch -------------------------------------------------------------------- */

gboolean
vs_loss_kernel (VsLoss             *loss,
                const VsLossDBatch *b,
                double             *value,
                double *const      *dcols,
                double              param_grad_scale,
                GError            **error)
{
  switch (loss->kind)
    {
    case VS_LOSS_KIND_COSINE_SIMILARITY:
      return cosine_similarity_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_COSENT:
    case VS_LOSS_KIND_ANGLE:
      return cosent_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_CONTRASTIVE:
      return contrastive_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_ONLINE_CONTRASTIVE:
      return online_contrastive_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_SOFTMAX:
      return softmax_loss (loss, b, value, dcols, param_grad_scale, error);
    case VS_LOSS_KIND_MNRL:
    case VS_LOSS_KIND_CACHED_MNRL:
      return mnrl_loss (loss, b, FALSE, value, dcols);
    case VS_LOSS_KIND_MNSRL:
    case VS_LOSS_KIND_CACHED_MNSRL:
      return mnrl_loss (loss, b, TRUE, value, dcols);
    case VS_LOSS_KIND_GIST:
    case VS_LOSS_KIND_CACHED_GIST:
      if (b->guide == NULL || b->n_cols + 2 > 64)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s needs the guide model's embeddings (and at most 62 negative columns)",
                       loss->info->name);
          return FALSE;
        }
      return gist_loss (loss, b, value, dcols);
    case VS_LOSS_KIND_MEGA_BATCH_MARGIN:
      return mega_batch_margin_loss (loss, b, value, dcols);
    case VS_LOSS_KIND_TRIPLET:
      return triplet_loss (loss, b, value, dcols);
    case VS_LOSS_KIND_BATCH_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET:
    case VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_ALL_TRIPLET:
      return batch_triplet_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_MSE:
      return mse_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_MARGIN_MSE:
      return margin_mse_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_DISTILL_KL_DIV:
      return distill_kl_div_loss (loss, b, value, dcols, error);
    case VS_LOSS_KIND_MATRYOSHKA:
    default:
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s cannot be nested here", loss->info->name);
      return FALSE;
    }
}
