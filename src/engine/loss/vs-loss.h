/* vs-loss.h: sentence-transformers' training objectives over embeddings.
 *
 * A loss sees a batch as the embeddings of each text column, in dataset
 * column order ([B, D] row-major floats per column), plus the label column
 * (or none), and returns the loss value and d loss / d embedding of every
 * row of every column. The trainer backpropagates those through the model.
 * Names, parameters, defaults and formulas are sentence-transformers' own
 * (../shared/reference/st-spec.md section 1), except where the spec says
 * not to copy an upstream regression: TripletLoss EUCLIDEAN/MANHATTAN use
 * the positive distance ‖a−p+1e-6‖ (v2–v4 behaviour, #3704). (The other,
 * in BinaryClassificationEvaluator, is handled in eval/vs-evaluator.h.)
 * Two more deliberate choices: where sentence-transformers would divide 0
 * by 0 (BatchSemiHardTripletLoss on a batch without any positive pair) the
 * loss is 0 with zero gradients; MegaBatchMarginLoss's mini-batched
 * version trains on the sum of the chunk means, as its code comment and
 * st-spec describe (upstream, `end_idx < len(cos_scores)` compares with the
 * chunk's length, so only the last chunk is ever backpropagated and logged);
 * both agree when the batch fits in one mini_batch_size chunk.
 *
 * A static registry describes every loss: the dataset cases it fits, the
 * number of text columns it takes, its label kind and its parameters with
 * their defaults and help. The Dataset and Loss pages and case detection
 * rank losses from it without creating any.
 *
 *   g_autoptr(GError) error = NULL;
 *   cJSON *params = cJSON_Parse ("{\"scale\": 20.0}");
 *   g_autoptr(VsLoss) loss = vs_loss_new ("MultipleNegativesRankingLoss",
 *                                         params, &error);
 *   const float *cols[2] = { anchors, positives };       // [B, D] each
 *   float *dcols[2] = { d_anchors, d_positives };        // [B, D] each
 *   float value;
 *   if (!vs_loss_compute (loss, cols, 2, B, D, NULL, &value, dcols, &error))
 *     g_printerr ("%s\n", error->message);
 *
 * Labels are floats (integer class ids are passed as exact floats). Their
 * shape is [B] for scalar labels, [B, D] for MSELoss teacher embeddings,
 * [B, n] / [B, 1+n] for MarginMSELoss margins / raw teacher scores and
 * [B, 1+n] for DistillKLDivLoss teacher scores;
 * vs_loss_compute_full () states the label width explicitly.
 *
 * GradCache: CachedMultipleNegativesRankingLoss (and the symmetric and
 * GIST variants) computes, on the full batch, exactly the value and the
 * embedding gradients of its non-cached counterpart. The trainer reads
 * vs_loss_get_mini_batch_size () (> 0 for cached losses) and runs: forward
 * without keeping activations in mini-batches (saving the RNG state of
 * each), vs_loss_compute () on the full batch, then for each mini-batch a
 * re-forward with activations (same RNG state) and a backward of its
 * slice of d_columns.
 *
 * GISTEmbedLoss takes the guide model's embeddings of the same texts as
 * an explicit extra input (VsLossBatch.guide_columns); the trainer runs
 * the frozen guide without gradients. vs_loss_needs_guide () says whether
 * a loss requires them.
 *
 * MatryoshkaLoss wraps any other loss: params {"loss": "NAME" or
 * {"name": NAME, "params": {...}}, "matryoshka_dims": [768, 256, 64],
 * "matryoshka_weights": [1, 1, 1] or null, "n_dims_per_step": -1}.
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

/* Dataset cases (issue 5): bit (1 << k) of VsLossInfo.cases for case k. */
#define VS_LOSS_CASE(k) (1u << (k))
/* case 1: (A, B) + float score or integer label */
/* case 2: (anchor, positive), no label */
/* case 3: one sentence + class label */
/* case 4: (anchor, positive, negative_1..n), no label */

/* What a loss expects in the label column. */
typedef enum
{
  VS_LOSS_LABEL_NONE,     /* no label column */
  VS_LOSS_LABEL_SCORE,    /* float similarity score in [label_min, label_max] */
  VS_LOSS_LABEL_BINARY,   /* integer 0 (dissimilar) or 1 (similar) */
  VS_LOSS_LABEL_CLASS,    /* integer class id (0 .. num_labels-1 for SoftmaxLoss) */
  VS_LOSS_LABEL_VECTOR,   /* float vector of the embedding width (teacher embedding) */
  VS_LOSS_LABEL_MARGIN,   /* float teacher margin(s) [n] or raw teacher scores [1+n] */
  VS_LOSS_LABEL_ANY,      /* wrappers: whatever the inner loss takes */
  VS_LOSS_LABEL_SCORES,   /* float teacher scores [1+n]: one per candidate column */
} VsLossLabelKind;

/* The type of a loss parameter in the JSON params object. */
typedef enum
{
  VS_LOSS_PARAM_FLOAT,
  VS_LOSS_PARAM_INT,
  VS_LOSS_PARAM_BOOL,
  VS_LOSS_PARAM_CHOICE,      /* a string among VsLossParamInfo.choices */
  VS_LOSS_PARAM_INT_LIST,    /* JSON array of integers */
  VS_LOSS_PARAM_FLOAT_LIST,  /* JSON array of numbers, or null */
  VS_LOSS_PARAM_STRING,      /* free text (GISTEmbedLoss guide: a model folder or Hub id) */
  VS_LOSS_PARAM_LOSS,        /* a loss name, or {"name": ..., "params": {...}} */
} VsLossParamType;

typedef struct
{
  const char      *name;           /* sentence-transformers' argument name */
  VsLossParamType  type;
  const char      *default_json;   /* default as JSON text ("20.0", "\"cos_sim\"", "null");
                                    * NULL = required */
  const char      *choices;        /* CHOICE: "a|b|c"; NULL otherwise */
  const char      *help;           /* one line */
} VsLossParamInfo;

typedef struct
{
  const char             *name;          /* sentence-transformers' class name */
  const char             *description;   /* one line */
  guint                   cases;         /* VS_LOSS_CASE (k) bits; 0 = distillation/other */
  guint                   min_columns;   /* number of text columns */
  guint                   max_columns;   /* G_MAXUINT = any number */
  const char             *columns_help;  /* "(anchor, positive, negative_1..n)" */
  VsLossLabelKind         label_kind;
  double                  label_min;     /* SCORE: nominal range (-G_MAXDOUBLE..G_MAXDOUBLE =
                                          * any, only the order matters); others unused */
  double                  label_max;
  gboolean                needs_guide;   /* GISTEmbedLoss: guide embeddings required */
  gboolean                is_wrapper;    /* MatryoshkaLoss: wraps the loss in params.loss */
  guint                   n_params;
  const VsLossParamInfo  *params;
} VsLossInfo;

/* All losses, in the order the Loss page lists them; *n_out = count. */
const VsLossInfo *vs_loss_registry_get_all (gsize *n_out);

/* The loss of that exact class name, or NULL. */
const VsLossInfo *vs_loss_registry_lookup (const char *name);

/* What a dataset provides, as case detection sees it. */
typedef enum
{
  VS_LOSS_DATA_LABEL_NONE,
  VS_LOSS_DATA_LABEL_FLOAT,    /* float column, range [min, max] */
  VS_LOSS_DATA_LABEL_INT,      /* integer column, range [min, max] */
  VS_LOSS_DATA_LABEL_VECTOR,   /* list-of-float column of width label_dim */
} VsLossDataLabel;

typedef struct
{
  guint            n_text_columns;
  VsLossDataLabel  label;
  double           label_min;   /* FLOAT/INT: smallest value */
  double           label_max;   /* FLOAT/INT: largest value */
  guint            label_dim;   /* VECTOR: width; else 1 */
} VsLossDataShape;

/* TRUE if a loss of this description can train on that data; otherwise
 * FALSE with a VS_ERROR_INVALID sentence saying why ("TripletLoss needs 3
 * text columns (anchor, positive, negative); the dataset has 2"). */
gboolean vs_loss_info_check_data (const VsLossInfo      *info,
                                  const VsLossDataShape *shape,
                                  GError               **error);

typedef struct _VsLoss VsLoss;

/* A loss by class name with params (a JSON object, nullable = all
 * defaults). Unknown names, unknown params, wrong types or bad values give
 * a VS_ERROR_INVALID naming them; NULL then. */
VsLoss *vs_loss_new (const char   *name,
                     const cJSON  *params,
                     GError      **error);

void vs_loss_free (VsLoss *loss);

/* The registry entry of the loss (the wrapper's, for MatryoshkaLoss). */
const VsLossInfo *vs_loss_get_info (VsLoss *loss);

/* The effective params with defaults filled in, as a new JSON object
 * (for the model card and the recipe). */
cJSON *vs_loss_get_config (VsLoss *loss);

/* vs_loss_info_check_data () plus the checks that depend on params
 * (SoftmaxLoss num_labels vs the largest class, a wrapper's inner loss,
 * Matryoshka dims vs label_dim). */
gboolean vs_loss_check_data (VsLoss                *loss,
                             const VsLossDataShape *shape,
                             GError               **error);

/* 0 for ordinary losses; the GradCache mini-batch size for Cached*. */
guint vs_loss_get_mini_batch_size (VsLoss *loss);

/* TRUE if compute needs VsLossBatch.guide_columns (GISTEmbedLoss). */
gboolean vs_loss_needs_guide (VsLoss *loss);

/* One batch as a loss sees it. */
typedef struct
{
  const float *const *columns;        /* n_columns pointers to [batch, dim] */
  gsize               n_columns;
  gsize               batch;
  gsize               dim;
  const float        *labels;         /* [batch, label_dim] or NULL */
  gsize               label_dim;      /* 1 for scalar labels; 0 when labels == NULL */
  const float *const *guide_columns;  /* GIST: n_columns pointers to [batch, guide_dim]; else NULL */
  gsize               guide_dim;
} VsLossBatch;

/* Loss value into *out_loss and, if d_columns != NULL, d loss / d column
 * into d_columns[c] ([batch, dim] each, overwritten). Gradients of the
 * loss's own parameters (SoftmaxLoss) are ACCUMULATED into its grads when
 * d_columns != NULL. Invalid input (column count, label values, a label
 * width, dims) -> FALSE with a VS_ERROR_INVALID naming it. Finite output
 * on finite input. */
gboolean vs_loss_compute_full (VsLoss            *loss,
                               const VsLossBatch *batch,
                               float             *out_loss,
                               float *const      *d_columns,
                               GError           **error);

/* vs_loss_compute_full () with labels of width 1 ([B]) or, for MSELoss,
 * width dim; MarginMSELoss takes [B, n_columns - 2] margins here and
 * DistillKLDivLoss [B, n_columns - 1] teacher scores. */
gboolean vs_loss_compute (VsLoss             *loss,
                          const float *const *columns,
                          gsize               n_columns,
                          gsize               batch,
                          gsize               dim,
                          const float        *labels,
                          float              *out_loss,
                          float *const       *d_columns,
                          GError            **error);

/* Parameters a loss owns (SoftmaxLoss's classifier): one flat array of
 * floats, its gradient array of the same length, and a table of the
 * tensors in it. Losses without parameters have n = 0 and NULL arrays. */
typedef struct
{
  const char *name;           /* "classifier.weight", "classifier.bias" */
  gsize       offset;         /* into the params / grads arrays, in floats */
  gsize       rows;           /* shape [rows, cols]; a vector is [rows] with cols == 1 */
  gsize       cols;
  gboolean    weight_decay;   /* FALSE for biases, as the HF Trainer does */
} VsLossTensor;

gsize               vs_loss_get_n_params (VsLoss *loss);
float              *vs_loss_get_params   (VsLoss *loss);
float              *vs_loss_get_grads    (VsLoss *loss);
const VsLossTensor *vs_loss_get_tensors  (VsLoss *loss,
                                          gsize  *n_tensors);

/* Sets every parameter gradient to 0. */
void vs_loss_zero_grads (VsLoss *loss);

/* Re-initialises the parameters as PyTorch's nn.Linear does
 * (U(±1/sqrt(fan_in)) for weight and bias), from a seed. */
void vs_loss_init_params (VsLoss  *loss,
                          guint64  seed);

/* The loss's RNG (MatryoshkaLoss's n_dims_per_step sampling), for
 * seeding and checkpoints. */
void    vs_loss_set_rng_state (VsLoss  *loss,
                               guint64  state);
guint64 vs_loss_get_rng_state (VsLoss  *loss);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsLoss, vs_loss_free)

G_END_DECLS
