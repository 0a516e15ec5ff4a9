/* vs-loss-private.h: what the loss files share; not part of the API.
 *
 * Every loss kernel works in double precision on a VsLossDBatch (the
 * float embeddings converted once) and writes d loss / d column into
 * dcols (overwritten, [batch, dim] each). Value and gradients are always
 * computed together: the gradients are cheap next to the encoder.
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "loss/vs-loss.h"

G_BEGIN_DECLS

typedef enum
{
  VS_LOSS_KIND_COSINE_SIMILARITY,
  VS_LOSS_KIND_COSENT,
  VS_LOSS_KIND_ANGLE,
  VS_LOSS_KIND_CONTRASTIVE,
  VS_LOSS_KIND_ONLINE_CONTRASTIVE,
  VS_LOSS_KIND_SOFTMAX,
  VS_LOSS_KIND_MNRL,
  VS_LOSS_KIND_MNSRL,
  VS_LOSS_KIND_CACHED_MNRL,
  VS_LOSS_KIND_CACHED_MNSRL,
  VS_LOSS_KIND_GIST,
  VS_LOSS_KIND_CACHED_GIST,
  VS_LOSS_KIND_MEGA_BATCH_MARGIN,
  VS_LOSS_KIND_TRIPLET,
  VS_LOSS_KIND_BATCH_HARD_TRIPLET,
  VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET,
  VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET,
  VS_LOSS_KIND_BATCH_ALL_TRIPLET,
  VS_LOSS_KIND_MSE,
  VS_LOSS_KIND_MARGIN_MSE,
  VS_LOSS_KIND_DISTILL_KL_DIV,
  VS_LOSS_KIND_MATRYOSHKA,
} VsLossKind;

/* Similarity functions of sentence_transformers.util. */
typedef enum
{
  VS_SIM_COS,        /* cos_sim: norm(a)·norm(b), eps 1e-12 per vector */
  VS_SIM_COS8,       /* torch.cosine_similarity: eps 1e-8 per vector */
  VS_SIM_DOT,        /* dot_score */
  VS_SIM_EUCLIDEAN,  /* euclidean_sim = -‖a-b‖₂ */
  VS_SIM_MANHATTAN,  /* manhattan_sim = -‖a-b‖₁ */
  VS_SIM_ANGLE,      /* pairwise_angle_sim (pairwise only) */
} VsSim;

/* Distances of ContrastiveLoss / TripletLoss / the batch triplet losses. */
typedef enum
{
  VS_DIST_COSINE8,      /* 1 - torch.cosine_similarity (eps 1e-8) */
  VS_DIST_COSINE12,     /* 1 - pairwise_cos_sim (eps 1e-12) */
  VS_DIST_EUCLIDEAN,    /* F.pairwise_distance p=2: ‖a-b+1e-6‖₂ */
  VS_DIST_MANHATTAN,    /* F.pairwise_distance p=1: ‖a-b+1e-6‖₁ */
} VsDist;

struct _VsLoss
{
  const VsLossInfo *info;
  VsLossKind        kind;
  cJSON            *config;     /* effective params, defaults filled in */

  double            scale;
  double            margin;
  double            temperature;
  double            positive_margin;
  double            negative_margin;
  VsSim             sim;
  VsDist            dist;
  gboolean          size_average;
  gboolean          cosine_batch_distance;   /* batch triplets: cosine_distance */
  gboolean          gist_relative;
  gboolean          contrast_anchors;
  gboolean          contrast_positives;
  gboolean          use_mini_batched;
  guint             mini_batch_size;

  /* SoftmaxLoss */
  gsize             sm_dim;
  gsize             sm_num_labels;
  gboolean          sm_rep;
  gboolean          sm_diff;
  gboolean          sm_mul;
  gsize             sm_k;
  float            *params;
  float            *grads;
  gsize             n_params;
  VsLossTensor      tensors[2];
  gsize             n_tensors;

  /* MatryoshkaLoss */
  VsLoss           *inner;
  gsize             n_dims;
  gsize            *dims;       /* descending */
  double           *weights;
  int               n_dims_per_step;

  guint64           rng_state;
};

typedef struct
{
  const double *const *cols;     /* n_cols × [batch, dim] */
  gsize                n_cols;
  gsize                batch;
  gsize                dim;
  const float         *labels;   /* [batch, label_dim] or NULL */
  gsize                label_dim;
  const double *const *guide;    /* GIST: n_cols × [batch, guide_dim] */
  gsize                guide_dim;
} VsLossDBatch;

/* One loss (not the wrapper) on a double batch. dcols are zeroed by the
 * caller and ACCUMULATED into. param_grad_scale: multiple of the gradients
 * of the loss's own parameters added into loss->grads (0 = none). */
gboolean vs_loss_kernel (VsLoss             *loss,
                         const VsLossDBatch *b,
                         double             *value,
                         double *const      *dcols,
                         double              param_grad_scale,
                         GError            **error);

/* The whole loss (MatryoshkaLoss included) on a double batch; what
 * vs_loss_compute_full () runs after converting the floats. dcols zeroed
 * by the caller. Tests use it for finite differences in double. */
gboolean vs_loss_compute_double (VsLoss             *loss,
                                 const VsLossDBatch *b,
                                 double             *value,
                                 double *const      *dcols,
                                 double              param_grad_scale,
                                 GError            **error);

/* --- similarity helpers (vs-loss-sim.c) --- */

/* y[n, d] = x / max(‖x‖, eps) per row; norms[n] = ‖x‖ */
void vs_loss_normalize_forward  (double       *y,
                                 double       *norms,
                                 const double *x,
                                 gsize         n,
                                 gsize         d,
                                 double        eps);
/* dx[n, d] += d/dx of sum(dy ⊙ y) */
void vs_loss_normalize_backward (double       *dx,
                                 const double *dy,
                                 const double *y,
                                 const double *norms,
                                 gsize         n,
                                 gsize         d,
                                 double        eps);

/* S[n, m] = sim (A[n, d], B[m, d]) for COS, COS8, DOT, EUCLIDEAN, MANHATTAN */
void vs_loss_sim_matrix_forward  (VsSim         sim,
                                  double       *S,
                                  const double *A,
                                  gsize         n,
                                  const double *B,
                                  gsize         m,
                                  gsize         d);
/* dA[n, d] += ..., dB[m, d] += ... from dS[n, m] */
void vs_loss_sim_matrix_backward (VsSim         sim,
                                  double       *dA,
                                  double       *dB,
                                  const double *dS,
                                  const double *A,
                                  gsize         n,
                                  const double *B,
                                  gsize         m,
                                  gsize         d);

/* s[n] = sim (a_i, b_i) row-wise, every VsSim */
void vs_loss_sim_pairwise_forward  (VsSim         sim,
                                    double       *s,
                                    const double *A,
                                    const double *B,
                                    gsize         n,
                                    gsize         d);
void vs_loss_sim_pairwise_backward (VsSim         sim,
                                    double       *dA,
                                    double       *dB,
                                    const double *ds,
                                    const double *A,
                                    const double *B,
                                    gsize         n,
                                    gsize         d);

/* dist[n] row-wise, and its backward (accumulating) */
void vs_loss_dist_pairwise_forward  (VsDist        dist,
                                     double       *out,
                                     const double *A,
                                     const double *B,
                                     gsize         n,
                                     gsize         d);
void vs_loss_dist_pairwise_backward (VsDist        dist,
                                     double       *dA,
                                     double       *dB,
                                     const double *dout,
                                     const double *A,
                                     const double *B,
                                     gsize         n,
                                     gsize         d);

/* Mean cross-entropy of rows of logits L[n, m] (entries may be -inf)
 * against targets[i]; dL = d loss / d L scaled by `upstream`. */
double vs_loss_cross_entropy (const double *L,
                              double       *dL,
                              const gsize  *targets,
                              gsize         n,
                              gsize         m,
                              double        upstream);

G_END_DECLS
