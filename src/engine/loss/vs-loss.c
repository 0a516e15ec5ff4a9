/* vs-loss.c: the loss registry, parameters, data checks, the compute entry
 * points and the MatryoshkaLoss wrapper. The kernels live in
 * vs-loss-kernels.c, the similarity functions in vs-loss-sim.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "loss/vs-loss-private.h"

#define ANY_SCORE_MIN (-G_MAXDOUBLE)
#define ANY_SCORE_MAX (G_MAXDOUBLE)

#define PAIR_SIMS "pairwise_cos_sim|pairwise_dot_score|pairwise_euclidean_sim|pairwise_manhattan_sim|pairwise_angle_sim"
#define MATRIX_SIMS "cos_sim|dot_score|euclidean_sim|manhattan_sim"
#define BATCH_DISTS "eucledian_distance|cosine_distance"

/* --- the registry --------------------------------------------------------- */

static const VsLossParamInfo params_cosent[] = {
  { "scale", VS_LOSS_PARAM_FLOAT, "20.0", NULL,
    "Multiplies the similarities before the log-sum-exp (inverse temperature)" },
  { "similarity_fct", VS_LOSS_PARAM_CHOICE, "\"pairwise_cos_sim\"", PAIR_SIMS,
    "Pairwise similarity of the two texts" },
};
static const VsLossParamInfo params_angle[] = {
  { "scale", VS_LOSS_PARAM_FLOAT, "20.0", NULL,
    "Multiplies the angle similarities before the log-sum-exp" },
};
static const VsLossParamInfo params_contrastive[] = {
  { "distance_metric", VS_LOSS_PARAM_CHOICE, "\"COSINE_DISTANCE\"", "COSINE_DISTANCE|EUCLIDEAN|MANHATTAN",
    "SiameseDistanceMetric between the two texts" },
  { "margin", VS_LOSS_PARAM_FLOAT, "0.5", NULL,
    "Dissimilar pairs are pushed at least this far apart" },
  { "size_average", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Average over the batch (true) or sum (false)" },
};
static const VsLossParamInfo params_online_contrastive[] = {
  { "distance_metric", VS_LOSS_PARAM_CHOICE, "\"COSINE_DISTANCE\"", "COSINE_DISTANCE|EUCLIDEAN|MANHATTAN",
    "SiameseDistanceMetric between the two texts" },
  { "margin", VS_LOSS_PARAM_FLOAT, "0.5", NULL,
    "Hard negative pairs are pushed at least this far apart" },
};
static const VsLossParamInfo params_softmax[] = {
  { "sentence_embedding_dimension", VS_LOSS_PARAM_INT, NULL, NULL,
    "Embedding size of the model (the classifier's input is a multiple of it)" },
  { "num_labels", VS_LOSS_PARAM_INT, NULL, NULL,
    "Number of classes; labels are 0 .. num_labels-1" },
  { "concatenation_sent_rep", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Feed u and v to the classifier" },
  { "concatenation_sent_difference", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Feed |u - v| to the classifier" },
  { "concatenation_sent_multiplication", VS_LOSS_PARAM_BOOL, "false", NULL,
    "Feed u * v to the classifier" },
};
static const VsLossParamInfo params_mnrl[] = {
  { "scale", VS_LOSS_PARAM_FLOAT, "20.0", NULL,
    "Multiplies the similarities (20 = temperature 0.05)" },
  { "similarity_fct", VS_LOSS_PARAM_CHOICE, "\"cos_sim\"", MATRIX_SIMS,
    "Similarity between anchors and candidates" },
};
static const VsLossParamInfo params_cached_mnrl[] = {
  { "scale", VS_LOSS_PARAM_FLOAT, "20.0", NULL,
    "Multiplies the similarities (20 = temperature 0.05)" },
  { "similarity_fct", VS_LOSS_PARAM_CHOICE, "\"cos_sim\"", MATRIX_SIMS,
    "Similarity between anchors and candidates" },
  { "mini_batch_size", VS_LOSS_PARAM_INT, "32", NULL,
    "Rows per forward/backward pass; bounds memory, not the batch size" },
};
static const VsLossParamInfo params_gist[] = {
  { "guide", VS_LOSS_PARAM_STRING, NULL, NULL,
    "Guide model (folder or Hub id) whose similarities filter false negatives" },
  { "temperature", VS_LOSS_PARAM_FLOAT, "0.01", NULL,
    "Divides the similarities before the cross-entropy" },
  { "margin_strategy", VS_LOSS_PARAM_CHOICE, "\"absolute\"", "absolute|relative",
    "How the margin moves the guide's false-negative threshold" },
  { "margin", VS_LOSS_PARAM_FLOAT, "0.0", NULL,
    "Candidates the guide scores above (positive - margin) are ignored" },
  { "contrast_anchors", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Use the other anchors as negatives too" },
  { "contrast_positives", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Use positive-positive similarities as negatives too" },
};
static const VsLossParamInfo params_cached_gist[] = {
  { "guide", VS_LOSS_PARAM_STRING, NULL, NULL,
    "Guide model (folder or Hub id) whose similarities filter false negatives" },
  { "temperature", VS_LOSS_PARAM_FLOAT, "0.01", NULL,
    "Divides the similarities before the cross-entropy" },
  { "mini_batch_size", VS_LOSS_PARAM_INT, "32", NULL,
    "Rows per forward/backward pass; bounds memory, not the batch size" },
  { "margin_strategy", VS_LOSS_PARAM_CHOICE, "\"absolute\"", "absolute|relative",
    "How the margin moves the guide's false-negative threshold" },
  { "margin", VS_LOSS_PARAM_FLOAT, "0.0", NULL,
    "Candidates the guide scores above (positive - margin) are ignored" },
  { "contrast_anchors", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Use the other anchors as negatives too" },
  { "contrast_positives", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Use positive-positive similarities as negatives too" },
};
static const VsLossParamInfo params_megabatch[] = {
  { "positive_margin", VS_LOSS_PARAM_FLOAT, "0.8", NULL,
    "Positive pairs are pulled above this cosine similarity" },
  { "negative_margin", VS_LOSS_PARAM_FLOAT, "0.3", NULL,
    "The hardest negative is pushed below this cosine similarity" },
  { "use_mini_batched_version", VS_LOSS_PARAM_BOOL, "true", NULL,
    "Pick hard negatives per chunk of mini_batch_size anchors" },
  { "mini_batch_size", VS_LOSS_PARAM_INT, "50", NULL,
    "Anchors per chunk in the mini-batched version" },
};
static const VsLossParamInfo params_triplet[] = {
  { "distance_metric", VS_LOSS_PARAM_CHOICE, "\"EUCLIDEAN\"", "EUCLIDEAN|COSINE|MANHATTAN",
    "TripletDistanceMetric" },
  { "triplet_margin", VS_LOSS_PARAM_FLOAT, "5.0", NULL,
    "The negative must be this much farther from the anchor than the positive" },
};
static const VsLossParamInfo params_batch_triplet[] = {
  { "distance_metric", VS_LOSS_PARAM_CHOICE, "\"eucledian_distance\"", BATCH_DISTS,
    "BatchHardTripletLossDistanceFunction (sentence-transformers' spelling)" },
  { "margin", VS_LOSS_PARAM_FLOAT, "5.0", NULL,
    "The negative must be this much farther from the anchor than the positive" },
};
static const VsLossParamInfo params_batch_soft[] = {
  { "distance_metric", VS_LOSS_PARAM_CHOICE, "\"eucledian_distance\"", BATCH_DISTS,
    "BatchHardTripletLossDistanceFunction (sentence-transformers' spelling)" },
};
static const VsLossParamInfo params_margin_mse[] = {
  { "similarity_fct", VS_LOSS_PARAM_CHOICE, "\"pairwise_dot_score\"", PAIR_SIMS,
    "Pairwise similarity of query and passage" },
};
static const VsLossParamInfo params_matryoshka[] = {
  { "loss", VS_LOSS_PARAM_LOSS, NULL, NULL,
    "The loss to train at every dimension: a name or {\"name\", \"params\"}" },
  { "matryoshka_dims", VS_LOSS_PARAM_INT_LIST, NULL, NULL,
    "Embedding sizes to train, e.g. [768, 512, 256, 128, 64]" },
  { "matryoshka_weights", VS_LOSS_PARAM_FLOAT_LIST, "null", NULL,
    "Weight of each dimension's loss (default: all 1)" },
  { "n_dims_per_step", VS_LOSS_PARAM_INT, "-1", NULL,
    "Dimensions sampled per step; -1 uses all of them" },
};

#define P(arr) G_N_ELEMENTS (arr), arr
#define C(k) VS_LOSS_CASE (k)

static const VsLossInfo registry[] = {
  { "MultipleNegativesRankingLoss",
    "In-batch negatives (InfoNCE): each anchor must pick its positive among all candidates in the batch",
    C (2) | C (4), 2, G_MAXUINT, "(anchor, positive[, negative_1..n])",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_mnrl) },
  { "CachedMultipleNegativesRankingLoss",
    "MultipleNegativesRankingLoss with GradCache: large batches in bounded memory",
    C (2) | C (4), 2, G_MAXUINT, "(anchor, positive[, negative_1..n])",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_cached_mnrl) },
  { "MultipleNegativesSymmetricRankingLoss",
    "In-batch negatives in both directions: anchor to positive and positive to anchor",
    C (2) | C (4), 2, G_MAXUINT, "(anchor, positive[, negative_1..n])",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_mnrl) },
  { "CachedMultipleNegativesSymmetricRankingLoss",
    "MultipleNegativesSymmetricRankingLoss with GradCache",
    C (2) | C (4), 2, G_MAXUINT, "(anchor, positive[, negative_1..n])",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_cached_mnrl) },
  { "GISTEmbedLoss",
    "In-batch negatives where a guide model removes likely false negatives",
    C (2) | C (4), 2, 3, "(anchor, positive[, negative])",
    VS_LOSS_LABEL_NONE, 0, 0, TRUE, FALSE, P (params_gist) },
  { "CachedGISTEmbedLoss",
    "GISTEmbedLoss with GradCache and any number of negative columns",
    C (2) | C (4), 2, G_MAXUINT, "(anchor, positive[, negative_1..n])",
    VS_LOSS_LABEL_NONE, 0, 0, TRUE, FALSE, P (params_cached_gist) },
  { "MegaBatchMarginLoss",
    "Pulls each positive above a margin and pushes the hardest in-batch negative below another",
    C (2), 2, 2, "(anchor, positive)",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_megabatch) },
  { "CoSENTLoss",
    "Ranks pairs by their score: pairs with a higher score must get a higher similarity",
    C (1), 2, 2, "(sentence_A, sentence_B)",
    VS_LOSS_LABEL_SCORE, ANY_SCORE_MIN, ANY_SCORE_MAX, FALSE, FALSE, P (params_cosent) },
  { "AnglELoss",
    "CoSENTLoss on the angle difference in complex space (avoids cosine saturation)",
    C (1), 2, 2, "(sentence_A, sentence_B)",
    VS_LOSS_LABEL_SCORE, ANY_SCORE_MIN, ANY_SCORE_MAX, FALSE, FALSE, P (params_angle) },
  { "CosineSimilarityLoss",
    "Regresses the cosine similarity of each pair onto its score (nominally 0..1)",
    C (1), 2, 2, "(sentence_A, sentence_B)",
    VS_LOSS_LABEL_SCORE, -1.0, 1.0, FALSE, FALSE, 0, NULL },
  { "ContrastiveLoss",
    "Pulls similar pairs (label 1) together, pushes dissimilar ones (label 0) beyond a margin",
    C (1), 2, 2, "(anchor, other)",
    VS_LOSS_LABEL_BINARY, 0, 1, FALSE, FALSE, P (params_contrastive) },
  { "OnlineContrastiveLoss",
    "ContrastiveLoss on the hard pairs of the batch only",
    C (1), 2, 2, "(anchor, other)",
    VS_LOSS_LABEL_BINARY, 0, 1, FALSE, FALSE, P (params_online_contrastive) },
  { "SoftmaxLoss",
    "A classifier on (u, v, |u-v|) trained with cross-entropy on the pair's class (e.g. NLI)",
    C (1), 2, 2, "(sentence_A, sentence_B)",
    VS_LOSS_LABEL_CLASS, 0, 0, FALSE, FALSE, P (params_softmax) },
  { "TripletLoss",
    "The negative must be farther from the anchor than the positive by a margin",
    C (4), 3, 3, "(anchor, positive, negative)",
    VS_LOSS_LABEL_NONE, 0, 0, FALSE, FALSE, P (params_triplet) },
  { "BatchAllTripletLoss",
    "Every valid (anchor, positive, negative) triplet in the batch, averaged over the non-easy ones",
    C (3), 1, 1, "(sentence)",
    VS_LOSS_LABEL_CLASS, 0, 0, FALSE, FALSE, P (params_batch_triplet) },
  { "BatchHardTripletLoss",
    "For each anchor, its farthest positive against its closest negative in the batch",
    C (3), 1, 1, "(sentence)",
    VS_LOSS_LABEL_CLASS, 0, 0, FALSE, FALSE, P (params_batch_triplet) },
  { "BatchHardSoftMarginTripletLoss",
    "BatchHardTripletLoss with a soft margin log(1 + exp(d_pos - d_neg))",
    C (3), 1, 1, "(sentence)",
    VS_LOSS_LABEL_CLASS, 0, 0, FALSE, FALSE, P (params_batch_soft) },
  { "BatchSemiHardTripletLoss",
    "For each positive pair, the closest negative that is still farther than the positive (FaceNet)",
    C (3), 1, 1, "(sentence)",
    VS_LOSS_LABEL_CLASS, 0, 0, FALSE, FALSE, P (params_batch_triplet) },
  { "MSELoss",
    "Distillation: the student's embeddings regress onto the teacher's embeddings in the label",
    0, 1, G_MAXUINT, "(sentence[, translation_1..n])",
    VS_LOSS_LABEL_VECTOR, 0, 0, FALSE, FALSE, 0, NULL },
  { "MarginMSELoss",
    "Distillation: the student's margin sim(q,pos) - sim(q,neg) regresses onto the teacher's",
    0, 3, G_MAXUINT, "(query, positive, negative_1..n)",
    VS_LOSS_LABEL_MARGIN, 0, 0, FALSE, FALSE, P (params_margin_mse) },
  { "MatryoshkaLoss",
    "Trains any loss at several truncated embedding sizes at once",
    C (1) | C (2) | C (3) | C (4), 1, G_MAXUINT, "(the wrapped loss's columns)",
    VS_LOSS_LABEL_ANY, 0, 0, FALSE, TRUE, P (params_matryoshka) },
};

static const VsLossKind registry_kinds[] = {
  VS_LOSS_KIND_MNRL,
  VS_LOSS_KIND_CACHED_MNRL,
  VS_LOSS_KIND_MNSRL,
  VS_LOSS_KIND_CACHED_MNSRL,
  VS_LOSS_KIND_GIST,
  VS_LOSS_KIND_CACHED_GIST,
  VS_LOSS_KIND_MEGA_BATCH_MARGIN,
  VS_LOSS_KIND_COSENT,
  VS_LOSS_KIND_ANGLE,
  VS_LOSS_KIND_COSINE_SIMILARITY,
  VS_LOSS_KIND_CONTRASTIVE,
  VS_LOSS_KIND_ONLINE_CONTRASTIVE,
  VS_LOSS_KIND_SOFTMAX,
  VS_LOSS_KIND_TRIPLET,
  VS_LOSS_KIND_BATCH_ALL_TRIPLET,
  VS_LOSS_KIND_BATCH_HARD_TRIPLET,
  VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET,
  VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET,
  VS_LOSS_KIND_MSE,
  VS_LOSS_KIND_MARGIN_MSE,
  VS_LOSS_KIND_MATRYOSHKA,
};

G_STATIC_ASSERT (G_N_ELEMENTS (registry) == G_N_ELEMENTS (registry_kinds));

const VsLossInfo *
vs_loss_registry_get_all (gsize *n_out)
{
  if (n_out != NULL)
    *n_out = G_N_ELEMENTS (registry);
  return registry;
}

const VsLossInfo *
vs_loss_registry_lookup (const char *name)
{
  if (name == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (registry); i++)
    if (strcmp (registry[i].name, name) == 0)
      return &registry[i];
  return NULL;
}

/* --- data checks ------------------------------------------------------------ */

static const char *
data_label_name (VsLossDataLabel l)
{
  switch (l)
    {
    case VS_LOSS_DATA_LABEL_NONE: return "no label column";
    case VS_LOSS_DATA_LABEL_FLOAT: return "a float label";
    case VS_LOSS_DATA_LABEL_INT: return "an integer label";
    case VS_LOSS_DATA_LABEL_VECTOR: return "a vector label";
    default: return "an unknown label";
    }
}

static gboolean
info_check_data (const VsLossInfo      *info,
                 const VsLossDataShape *shape,
                 gboolean               skip_label,
                 GError               **error)
{
  guint n = shape->n_text_columns;

  if (n < info->min_columns || n > info->max_columns)
    {
      g_autofree char *need = NULL;
      if (info->min_columns == info->max_columns)
        need = g_strdup_printf ("%u text column%s", info->min_columns,
                                info->min_columns == 1 ? "" : "s");
      else if (info->max_columns == G_MAXUINT)
        need = g_strdup_printf ("at least %u text columns", info->min_columns);
      else
        need = g_strdup_printf ("%u to %u text columns", info->min_columns, info->max_columns);
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s needs %s %s; the dataset has %u",
                   info->name, need, info->columns_help, n);
      return FALSE;
    }
  if (skip_label)
    return TRUE;

  switch (info->label_kind)
    {
    case VS_LOSS_LABEL_NONE:
      if (shape->label != VS_LOSS_DATA_LABEL_NONE)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s takes no label, but the dataset has %s "
                       "(a label/score column means pairs with a score or a class: "
                       "use a loss for that case, or drop the column)",
                       info->name, data_label_name (shape->label));
          return FALSE;
        }
      return TRUE;

    case VS_LOSS_LABEL_SCORE:
      if (shape->label != VS_LOSS_DATA_LABEL_FLOAT && shape->label != VS_LOSS_DATA_LABEL_INT)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s needs a float similarity score label, but the dataset has %s",
                       info->name, data_label_name (shape->label));
          return FALSE;
        }
      if (shape->label_min < info->label_min || shape->label_max > info->label_max)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s expects scores in [%g, %g]; the dataset's scores are in [%g, %g] "
                       "(rescale them, e.g. divide by %g)",
                       info->name, info->label_min, info->label_max,
                       shape->label_min, shape->label_max,
                       MAX (fabs (shape->label_min), fabs (shape->label_max)));
          return FALSE;
        }
      return TRUE;

    case VS_LOSS_LABEL_BINARY:
      if ((shape->label != VS_LOSS_DATA_LABEL_INT && shape->label != VS_LOSS_DATA_LABEL_FLOAT) ||
          shape->label_min < 0 || shape->label_max > 1 ||
          (shape->label == VS_LOSS_DATA_LABEL_FLOAT && shape->label_min != 0 && shape->label_min != 1))
        {
          if (shape->label == VS_LOSS_DATA_LABEL_INT || shape->label == VS_LOSS_DATA_LABEL_FLOAT)
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s needs a 0/1 label (1 = similar, 0 = dissimilar); "
                         "the dataset's label is in [%g, %g]",
                         info->name, shape->label_min, shape->label_max);
          else
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s needs a 0/1 label (1 = similar, 0 = dissimilar), but the dataset has %s",
                         info->name, data_label_name (shape->label));
          return FALSE;
        }
      return TRUE;

    case VS_LOSS_LABEL_CLASS:
      if (shape->label != VS_LOSS_DATA_LABEL_INT)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s needs an integer class label, but the dataset has %s",
                       info->name, data_label_name (shape->label));
          return FALSE;
        }
      if (shape->label_min < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s needs class labels >= 0; the dataset's smallest label is %g",
                       info->name, shape->label_min);
          return FALSE;
        }
      return TRUE;

    case VS_LOSS_LABEL_VECTOR:
      if (shape->label != VS_LOSS_DATA_LABEL_VECTOR)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s needs the teacher's embedding (a list of floats) as label, "
                       "but the dataset has %s", info->name, data_label_name (shape->label));
          return FALSE;
        }
      return TRUE;

    case VS_LOSS_LABEL_MARGIN:
      {
        guint nneg = n - 2;
        gboolean ok = FALSE;
        if (shape->label == VS_LOSS_DATA_LABEL_FLOAT || shape->label == VS_LOSS_DATA_LABEL_INT)
          ok = nneg == 1;
        else if (shape->label == VS_LOSS_DATA_LABEL_VECTOR)
          ok = shape->label_dim == nneg || shape->label_dim == nneg + 1;
        if (!ok)
          {
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s needs %u teacher margin%s or %u teacher scores per row "
                         "for %u negative column%s; the dataset has %s%s",
                         info->name, nneg, nneg == 1 ? "" : "s", nneg + 1, nneg,
                         nneg == 1 ? "" : "s", data_label_name (shape->label),
                         shape->label == VS_LOSS_DATA_LABEL_VECTOR ? " of another width" : "");
            return FALSE;
          }
        return TRUE;
      }

    case VS_LOSS_LABEL_ANY:
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

gboolean
vs_loss_info_check_data (const VsLossInfo      *info,
                         const VsLossDataShape *shape,
                         GError               **error)
{
  g_return_val_if_fail (info != NULL && shape != NULL, FALSE);
  return info_check_data (info, shape, FALSE, error);
}

gboolean
vs_loss_check_data (VsLoss                *loss,
                    const VsLossDataShape *shape,
                    GError               **error)
{
  g_return_val_if_fail (loss != NULL && shape != NULL, FALSE);

  if (loss->kind == VS_LOSS_KIND_MATRYOSHKA)
    {
      if (!vs_loss_check_data (loss->inner, shape, error))
        {
          g_prefix_error (error, "MatryoshkaLoss: ");
          return FALSE;
        }
      if (loss->inner->kind == VS_LOSS_KIND_SOFTMAX)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "MatryoshkaLoss cannot wrap SoftmaxLoss: its classifier has a fixed input size");
          return FALSE;
        }
      return TRUE;
    }

  if (!info_check_data (loss->info, shape, FALSE, error))
    return FALSE;

  if (loss->kind == VS_LOSS_KIND_SOFTMAX && shape->label_max >= (double) loss->sm_num_labels)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss has num_labels = %" G_GSIZE_FORMAT
                   " but the dataset's largest class label is %g (labels must be 0 .. %"
                   G_GSIZE_FORMAT ")",
                   loss->sm_num_labels, shape->label_max, loss->sm_num_labels - 1);
      return FALSE;
    }
  return TRUE;
}

/* --- params ---------------------------------------------------------------- */

static const VsLossParamInfo *
find_param (const VsLossInfo *info,
            const char       *name)
{
  for (guint i = 0; i < info->n_params; i++)
    if (strcmp (info->params[i].name, name) == 0)
      return &info->params[i];
  return NULL;
}

static gboolean
choice_valid (const char *choices,
              const char *value)
{
  g_auto(GStrv) parts = g_strsplit (choices, "|", -1);
  return g_strv_contains ((const char * const *) parts, value);
}

static gboolean
check_param_value (const VsLossInfo      *info,
                   const VsLossParamInfo *p,
                   const cJSON           *v,
                   GError               **error)
{
  const char *what = NULL;

  switch (p->type)
    {
    case VS_LOSS_PARAM_FLOAT:
      if (!cJSON_IsNumber (v) || !isfinite (v->valuedouble))
        what = "a finite number";
      break;
    case VS_LOSS_PARAM_INT:
      if (!cJSON_IsNumber (v) || v->valuedouble != floor (v->valuedouble) ||
          fabs (v->valuedouble) > 1e9)
        what = "an integer";
      break;
    case VS_LOSS_PARAM_BOOL:
      if (!cJSON_IsBool (v))
        what = "true or false";
      break;
    case VS_LOSS_PARAM_CHOICE:
      if (!cJSON_IsString (v) || !choice_valid (p->choices, v->valuestring))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: parameter '%s' must be one of %s", info->name, p->name, p->choices);
          return FALSE;
        }
      break;
    case VS_LOSS_PARAM_STRING:
      if (!cJSON_IsString (v) || v->valuestring[0] == '\0')
        what = "a non-empty string";
      break;
    case VS_LOSS_PARAM_INT_LIST:
      if (!cJSON_IsArray (v))
        what = "an array of integers";
      else
        {
          const cJSON *e;
          cJSON_ArrayForEach (e, v)
            if (!cJSON_IsNumber (e) || e->valuedouble != floor (e->valuedouble) ||
                fabs (e->valuedouble) > 1e9)
              what = "an array of integers";
        }
      break;
    case VS_LOSS_PARAM_FLOAT_LIST:
      if (cJSON_IsNull (v))
        break;
      if (!cJSON_IsArray (v))
        what = "an array of numbers or null";
      else
        {
          const cJSON *e;
          cJSON_ArrayForEach (e, v)
            if (!cJSON_IsNumber (e) || !isfinite (e->valuedouble))
              what = "an array of numbers or null";
        }
      break;
    case VS_LOSS_PARAM_LOSS:
      if (!cJSON_IsString (v) &&
          !(cJSON_IsObject (v) && cJSON_IsString (cJSON_GetObjectItemCaseSensitive (v, "name"))))
        what = "a loss name or an object {\"name\": ..., \"params\": {...}}";
      break;
    default:
      g_assert_not_reached ();
    }
  if (what != NULL)
    {
      g_autofree char *text = cJSON_PrintUnformatted (v);
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: parameter '%s' must be %s, not %s", info->name, p->name, what,
                   text != NULL ? text : "?");
      return FALSE;
    }
  return TRUE;
}

/* Merges params over the defaults into a new config object. */
static cJSON *
build_config (const VsLossInfo *info,
              const cJSON      *params,
              GError          **error)
{
  cJSON *config = cJSON_CreateObject ();

  if (params != NULL && !cJSON_IsNull (params))
    {
      const cJSON *item;
      if (!cJSON_IsObject (params))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: params must be a JSON object", info->name);
          cJSON_Delete (config);
          return NULL;
        }
      cJSON_ArrayForEach (item, params)
        {
          const VsLossParamInfo *p = find_param (info, item->string);
          if (p == NULL)
            {
              GString *known = g_string_new (NULL);
              for (guint i = 0; i < info->n_params; i++)
                g_string_append_printf (known, "%s%s", i ? ", " : "", info->params[i].name);
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "%s has no parameter '%s' (%s%s)", info->name, item->string,
                           info->n_params ? "it takes: " : "it takes none",
                           known->str);
              g_string_free (known, TRUE);
              cJSON_Delete (config);
              return NULL;
            }
          if (cJSON_GetObjectItemCaseSensitive (config, p->name) != NULL)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "%s: parameter '%s' is given twice", info->name, p->name);
              cJSON_Delete (config);
              return NULL;
            }
          if (!check_param_value (info, p, item, error))
            {
              cJSON_Delete (config);
              return NULL;
            }
          cJSON_AddItemToObject (config, p->name, cJSON_Duplicate (item, TRUE));
        }
    }

  for (guint i = 0; i < info->n_params; i++)
    {
      const VsLossParamInfo *p = &info->params[i];
      if (cJSON_GetObjectItemCaseSensitive (config, p->name) != NULL)
        continue;
      if (p->default_json == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: parameter '%s' is required (%s)", info->name, p->name, p->help);
          cJSON_Delete (config);
          return NULL;
        }
      cJSON_AddItemToObject (config, p->name, cJSON_Parse (p->default_json));
    }
  return config;
}

static double
cfg_double (const cJSON *config,
            const char  *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (config, name);
  return cJSON_IsNumber (v) ? v->valuedouble : 0.0;
}

static gboolean
cfg_bool (const cJSON *config,
          const char  *name)
{
  return cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (config, name));
}

static const char *
cfg_string (const cJSON *config,
            const char  *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (config, name);
  return cJSON_IsString (v) ? v->valuestring : "";
}

static VsSim
parse_sim (const char *s)
{
  if (g_str_has_suffix (s, "cos_sim"))
    return VS_SIM_COS;
  if (g_str_has_suffix (s, "dot_score"))
    return VS_SIM_DOT;
  if (g_str_has_suffix (s, "euclidean_sim"))
    return VS_SIM_EUCLIDEAN;
  if (g_str_has_suffix (s, "manhattan_sim"))
    return VS_SIM_MANHATTAN;
  return VS_SIM_ANGLE;
}

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void
vs_loss_init_params (VsLoss  *loss,
                     guint64  seed)
{
  g_return_if_fail (loss != NULL);
  if (loss->inner != NULL)
    {
      vs_loss_init_params (loss->inner, seed);
      return;
    }
  if (loss->n_params == 0)
    return;
  /* nn.Linear: kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in) */
  guint64 st = seed;
  double bound = 1.0 / sqrt ((double) (loss->sm_k * loss->sm_dim));
  for (gsize i = 0; i < loss->n_params; i++)
    {
      double u = (splitmix64 (&st) >> 11) * (1.0 / 9007199254740992.0);
      loss->params[i] = (float) ((2.0 * u - 1.0) * bound);
    }
}

static gboolean
setup_softmax (VsLoss  *loss,
               GError **error)
{
  double dim = cfg_double (loss->config, "sentence_embedding_dimension");
  double nl = cfg_double (loss->config, "num_labels");

  if (dim < 1 || dim > 1e6)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss: sentence_embedding_dimension must be in 1 .. 1000000, not %g", dim);
      return FALSE;
    }
  if (nl < 1 || nl > 1e6)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss: num_labels must be in 1 .. 1000000, not %g", nl);
      return FALSE;
    }
  loss->sm_dim = (gsize) dim;
  loss->sm_num_labels = (gsize) nl;
  loss->sm_rep = cfg_bool (loss->config, "concatenation_sent_rep");
  loss->sm_diff = cfg_bool (loss->config, "concatenation_sent_difference");
  loss->sm_mul = cfg_bool (loss->config, "concatenation_sent_multiplication");
  loss->sm_k = (loss->sm_rep ? 2 : 0) + (loss->sm_diff ? 1 : 0) + (loss->sm_mul ? 1 : 0);
  if (loss->sm_k == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss: at least one of concatenation_sent_rep, "
                   "concatenation_sent_difference, concatenation_sent_multiplication must be true");
      return FALSE;
    }
  gsize in = loss->sm_k * loss->sm_dim;
  if ((double) in * (double) loss->sm_num_labels > 1e9)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "SoftmaxLoss: classifier of %" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT " is too large",
                   loss->sm_num_labels, in);
      return FALSE;
    }
  loss->n_params = loss->sm_num_labels * in + loss->sm_num_labels;
  loss->params = g_new0 (float, loss->n_params);
  loss->grads = g_new0 (float, loss->n_params);
  loss->tensors[0] = (VsLossTensor) { "classifier.weight", 0, loss->sm_num_labels, in, TRUE };
  loss->tensors[1] = (VsLossTensor) { "classifier.bias", loss->sm_num_labels * in,
                                      loss->sm_num_labels, 1, FALSE };
  loss->n_tensors = 2;
  vs_loss_init_params (loss, 42);
  return TRUE;
}

static gboolean
setup_matryoshka (VsLoss  *loss,
                  GError **error)
{
  const cJSON *inner = cJSON_GetObjectItemCaseSensitive (loss->config, "loss");
  const cJSON *dims = cJSON_GetObjectItemCaseSensitive (loss->config, "matryoshka_dims");
  const cJSON *weights = cJSON_GetObjectItemCaseSensitive (loss->config, "matryoshka_weights");
  const char *inner_name;
  const cJSON *inner_params = NULL;
  gsize n = cJSON_GetArraySize (dims);

  if (cJSON_IsString (inner))
    inner_name = inner->valuestring;
  else
    {
      inner_name = cJSON_GetObjectItemCaseSensitive (inner, "name")->valuestring;
      inner_params = cJSON_GetObjectItemCaseSensitive (inner, "params");
    }
  if (strcmp (inner_name, "MatryoshkaLoss") == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MatryoshkaLoss cannot wrap another MatryoshkaLoss");
      return FALSE;
    }
  loss->inner = vs_loss_new (inner_name, inner_params, error);
  if (loss->inner == NULL)
    {
      g_prefix_error (error, "MatryoshkaLoss: loss: ");
      return FALSE;
    }
  if (loss->inner->kind == VS_LOSS_KIND_SOFTMAX)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MatryoshkaLoss cannot wrap SoftmaxLoss: its classifier has a fixed input size");
      return FALSE;
    }
  if (n == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MatryoshkaLoss: matryoshka_dims must not be empty");
      return FALSE;
    }
  if (!cJSON_IsNull (weights) && (gsize) cJSON_GetArraySize (weights) != n)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "MatryoshkaLoss: matryoshka_weights has %d entries but matryoshka_dims has %"
                   G_GSIZE_FORMAT, cJSON_GetArraySize (weights), n);
      return FALSE;
    }
  loss->n_dims = n;
  loss->dims = g_new (gsize, n);
  loss->weights = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    {
      double d = cJSON_GetArrayItem (dims, i)->valuedouble;
      if (d <= 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "MatryoshkaLoss: matryoshka_dims[%" G_GSIZE_FORMAT "] = %g must be positive",
                       i, d);
          return FALSE;
        }
      loss->dims[i] = (gsize) d;
      loss->weights[i] = cJSON_IsNull (weights) ? 1.0 : cJSON_GetArrayItem (weights, i)->valuedouble;
    }
  /* sorted descending with the weights kept paired (stable insertion sort) */
  for (gsize i = 1; i < n; i++)
    for (gsize j = i; j > 0 && loss->dims[j - 1] < loss->dims[j]; j--)
      {
        gsize td = loss->dims[j];
        double tw = loss->weights[j];
        loss->dims[j] = loss->dims[j - 1];
        loss->weights[j] = loss->weights[j - 1];
        loss->dims[j - 1] = td;
        loss->weights[j - 1] = tw;
      }
  loss->n_dims_per_step = (int) cfg_double (loss->config, "n_dims_per_step");
  return TRUE;
}

VsLoss *
vs_loss_new (const char   *name,
             const cJSON  *params,
             GError      **error)
{
  const VsLossInfo *info = vs_loss_registry_lookup (name);
  g_autoptr(VsLoss) loss = NULL;

  if (info == NULL)
    {
      GString *known = g_string_new (NULL);
      for (gsize i = 0; i < G_N_ELEMENTS (registry); i++)
        g_string_append_printf (known, "%s%s", i ? ", " : "", registry[i].name);
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "unknown loss '%s' (known: %s)", name != NULL ? name : "(null)", known->str);
      g_string_free (known, TRUE);
      return NULL;
    }

  loss = g_new0 (VsLoss, 1);
  loss->info = info;
  loss->kind = registry_kinds[info - registry];
  loss->rng_state = 42;
  loss->config = build_config (info, params, error);
  if (loss->config == NULL)
    return NULL;

  const cJSON *c = loss->config;
  if (find_param (info, "scale") != NULL)
    loss->scale = cfg_double (c, "scale");
  if (find_param (info, "similarity_fct") != NULL)
    loss->sim = parse_sim (cfg_string (c, "similarity_fct"));
  if (find_param (info, "temperature") != NULL)
    {
      loss->temperature = cfg_double (c, "temperature");
      if (loss->temperature <= 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: temperature must be > 0, not %g", info->name, loss->temperature);
          return NULL;
        }
    }
  if (find_param (info, "mini_batch_size") != NULL)
    {
      double m = cfg_double (c, "mini_batch_size");
      if (m < 1)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: mini_batch_size must be >= 1, not %g", info->name, m);
          return NULL;
        }
      loss->mini_batch_size = (guint) m;
    }

  switch (loss->kind)
    {
    case VS_LOSS_KIND_COSINE_SIMILARITY:
    case VS_LOSS_KIND_MSE:
      break;
    case VS_LOSS_KIND_COSENT:
    case VS_LOSS_KIND_MNRL:
    case VS_LOSS_KIND_MNSRL:
    case VS_LOSS_KIND_CACHED_MNRL:
    case VS_LOSS_KIND_CACHED_MNSRL:
    case VS_LOSS_KIND_MARGIN_MSE:
      break;
    case VS_LOSS_KIND_ANGLE:
      loss->sim = VS_SIM_ANGLE;
      break;
    case VS_LOSS_KIND_CONTRASTIVE:
    case VS_LOSS_KIND_ONLINE_CONTRASTIVE:
      {
        const char *m = cfg_string (c, "distance_metric");
        loss->dist = strcmp (m, "EUCLIDEAN") == 0 ? VS_DIST_EUCLIDEAN :
                     strcmp (m, "MANHATTAN") == 0 ? VS_DIST_MANHATTAN : VS_DIST_COSINE8;
        loss->margin = cfg_double (c, "margin");
        loss->size_average = loss->kind == VS_LOSS_KIND_CONTRASTIVE ? cfg_bool (c, "size_average") : FALSE;
      }
      break;
    case VS_LOSS_KIND_SOFTMAX:
      if (!setup_softmax (loss, error))
        return NULL;
      break;
    case VS_LOSS_KIND_GIST:
    case VS_LOSS_KIND_CACHED_GIST:
      loss->margin = cfg_double (c, "margin");
      loss->gist_relative = strcmp (cfg_string (c, "margin_strategy"), "relative") == 0;
      loss->contrast_anchors = cfg_bool (c, "contrast_anchors");
      loss->contrast_positives = cfg_bool (c, "contrast_positives");
      break;
    case VS_LOSS_KIND_MEGA_BATCH_MARGIN:
      loss->positive_margin = cfg_double (c, "positive_margin");
      loss->negative_margin = cfg_double (c, "negative_margin");
      loss->use_mini_batched = cfg_bool (c, "use_mini_batched_version");
      break;
    case VS_LOSS_KIND_TRIPLET:
      {
        const char *m = cfg_string (c, "distance_metric");
        loss->dist = strcmp (m, "COSINE") == 0 ? VS_DIST_COSINE12 :
                     strcmp (m, "MANHATTAN") == 0 ? VS_DIST_MANHATTAN : VS_DIST_EUCLIDEAN;
        loss->margin = cfg_double (c, "triplet_margin");
      }
      break;
    case VS_LOSS_KIND_BATCH_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_ALL_TRIPLET:
      loss->margin = cfg_double (c, "margin");
      loss->cosine_batch_distance = strcmp (cfg_string (c, "distance_metric"), "cosine_distance") == 0;
      break;
    case VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET:
      loss->cosine_batch_distance = strcmp (cfg_string (c, "distance_metric"), "cosine_distance") == 0;
      break;
    case VS_LOSS_KIND_MATRYOSHKA:
      if (!setup_matryoshka (loss, error))
        return NULL;
      break;
    default:
      g_assert_not_reached ();
    }

  return g_steal_pointer (&loss);
}

void
vs_loss_free (VsLoss *loss)
{
  if (loss == NULL)
    return;
  cJSON_Delete (loss->config);
  g_free (loss->params);
  g_free (loss->grads);
  vs_loss_free (loss->inner);
  g_free (loss->dims);
  g_free (loss->weights);
  g_free (loss);
}

const VsLossInfo *
vs_loss_get_info (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, NULL);
  return loss->info;
}

cJSON *
vs_loss_get_config (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, NULL);
  cJSON *out = cJSON_Duplicate (loss->config, TRUE);
  if (loss->inner != NULL)
    {
      cJSON *inner = cJSON_CreateObject ();
      cJSON_AddStringToObject (inner, "name", loss->inner->info->name);
      cJSON_AddItemToObject (inner, "params", vs_loss_get_config (loss->inner));
      cJSON_ReplaceItemInObjectCaseSensitive (out, "loss", inner);
    }
  return out;
}

guint
vs_loss_get_mini_batch_size (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, 0);
  if (loss->inner != NULL)
    return vs_loss_get_mini_batch_size (loss->inner);
  switch (loss->kind)
    {
    case VS_LOSS_KIND_CACHED_MNRL:
    case VS_LOSS_KIND_CACHED_MNSRL:
    case VS_LOSS_KIND_CACHED_GIST:
      return loss->mini_batch_size;
    case VS_LOSS_KIND_COSINE_SIMILARITY:
    case VS_LOSS_KIND_COSENT:
    case VS_LOSS_KIND_ANGLE:
    case VS_LOSS_KIND_CONTRASTIVE:
    case VS_LOSS_KIND_ONLINE_CONTRASTIVE:
    case VS_LOSS_KIND_SOFTMAX:
    case VS_LOSS_KIND_MNRL:
    case VS_LOSS_KIND_MNSRL:
    case VS_LOSS_KIND_GIST:
    case VS_LOSS_KIND_MEGA_BATCH_MARGIN:
    case VS_LOSS_KIND_TRIPLET:
    case VS_LOSS_KIND_BATCH_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_HARD_SOFT_MARGIN_TRIPLET:
    case VS_LOSS_KIND_BATCH_SEMI_HARD_TRIPLET:
    case VS_LOSS_KIND_BATCH_ALL_TRIPLET:
    case VS_LOSS_KIND_MSE:
    case VS_LOSS_KIND_MARGIN_MSE:
    case VS_LOSS_KIND_MATRYOSHKA:
    default:
      return 0;
    }
}

gboolean
vs_loss_needs_guide (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, FALSE);
  if (loss->inner != NULL)
    return vs_loss_needs_guide (loss->inner);
  return loss->info->needs_guide;
}

gsize
vs_loss_get_n_params (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, 0);
  return loss->inner != NULL ? vs_loss_get_n_params (loss->inner) : loss->n_params;
}

float *
vs_loss_get_params (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, NULL);
  return loss->inner != NULL ? vs_loss_get_params (loss->inner) : loss->params;
}

float *
vs_loss_get_grads (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, NULL);
  return loss->inner != NULL ? vs_loss_get_grads (loss->inner) : loss->grads;
}

const VsLossTensor *
vs_loss_get_tensors (VsLoss *loss,
                     gsize  *n_tensors)
{
  g_return_val_if_fail (loss != NULL, NULL);
  if (loss->inner != NULL)
    return vs_loss_get_tensors (loss->inner, n_tensors);
  if (n_tensors != NULL)
    *n_tensors = loss->n_tensors;
  return loss->n_tensors ? loss->tensors : NULL;
}

void
vs_loss_zero_grads (VsLoss *loss)
{
  g_return_if_fail (loss != NULL);
  if (loss->inner != NULL)
    vs_loss_zero_grads (loss->inner);
  else if (loss->n_params > 0)
    memset (loss->grads, 0, loss->n_params * sizeof (float));
}

void
vs_loss_set_rng_state (VsLoss  *loss,
                       guint64  state)
{
  g_return_if_fail (loss != NULL);
  loss->rng_state = state;
}

guint64
vs_loss_get_rng_state (VsLoss *loss)
{
  g_return_val_if_fail (loss != NULL, 0);
  return loss->rng_state;
}

/* --- compute ---------------------------------------------------------------- */

/* The label kind the kernel finally sees (through a wrapper). */
static VsLossLabelKind
effective_label_kind (VsLoss *loss)
{
  return loss->inner != NULL ? loss->inner->info->label_kind : loss->info->label_kind;
}

/* MatryoshkaLoss: Σ_d w_d · inner(norm(x[:, :d])) with the gradients
 * chained back through the normalisation and the truncation. */
static gboolean
matryoshka_compute (VsLoss             *loss,
                    const VsLossDBatch *b,
                    double             *value,
                    double *const      *dcols,
                    double              param_grad_scale,
                    GError            **error)
{
  gsize B = b->batch, D = b->dim, nc = b->n_cols;
  g_autofree gsize *chosen = g_new (gsize, loss->n_dims);
  gsize n_chosen = loss->n_dims;
  gboolean cached = vs_loss_get_mini_batch_size (loss->inner) > 0;

  for (gsize i = 0; i < loss->n_dims; i++)
    {
      chosen[i] = i;
      if (loss->dims[i] > D)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "MatryoshkaLoss: dimension %" G_GSIZE_FORMAT
                       " is larger than the model's embedding size %" G_GSIZE_FORMAT,
                       loss->dims[i], D);
          return FALSE;
        }
    }
  /* random.sample of n_dims_per_step indices, used in descending-dim order */
  if (!cached && loss->n_dims_per_step > 0 && (gsize) loss->n_dims_per_step < loss->n_dims)
    {
      for (gsize i = 0; i < loss->n_dims; i++)
        {
          gsize j = i + splitmix64 (&loss->rng_state) % (loss->n_dims - i);
          gsize t = chosen[i];
          chosen[i] = chosen[j];
          chosen[j] = t;
        }
      n_chosen = loss->n_dims_per_step;
      for (gsize i = 1; i < n_chosen; i++)
        for (gsize j = i; j > 0 && chosen[j - 1] > chosen[j]; j--)
          {
            gsize t = chosen[j];
            chosen[j] = chosen[j - 1];
            chosen[j - 1] = t;
          }
    }

  gboolean slice_labels = effective_label_kind (loss) == VS_LOSS_LABEL_VECTOR &&
                          b->labels != NULL && b->label_dim == D;
  *value = 0;
  for (gsize ci = 0; ci < n_chosen; ci++)
    {
      gsize d = loss->dims[chosen[ci]];
      double w = loss->weights[chosen[ci]];
      g_autofree double *trunc = g_new (double, nc * B * d);
      g_autofree double *normed = g_new (double, nc * B * d);
      g_autofree double *norms = g_new (double, nc * B);
      g_autofree double *dnormed = g_new0 (double, nc * B * d);
      g_autofree double *dtrunc = g_new0 (double, nc * B * d);
      g_autofree const double **cols = g_new (const double *, nc);
      g_autofree double **dc = g_new (double *, nc);
      g_autofree float *labels = NULL;
      VsLossDBatch sub = *b;
      double v;

      for (gsize c = 0; c < nc; c++)
        {
          for (gsize i = 0; i < B; i++)
            memcpy (trunc + (c * B + i) * d, b->cols[c] + i * D, d * sizeof (double));
          vs_loss_normalize_forward (normed + c * B * d, norms + c * B,
                                     trunc + c * B * d, B, d, 1e-12);
          cols[c] = normed + c * B * d;
          dc[c] = dnormed + c * B * d;
        }
      sub.cols = cols;
      sub.dim = d;
      if (slice_labels)
        {
          labels = g_new (float, B * d);
          for (gsize i = 0; i < B; i++)
            memcpy (labels + i * d, b->labels + i * D, d * sizeof (float));
          sub.labels = labels;
          sub.label_dim = d;
        }
      if (!vs_loss_kernel (loss->inner, &sub, &v, dc, param_grad_scale * w, error))
        {
          g_prefix_error (error, "MatryoshkaLoss (dimension %" G_GSIZE_FORMAT "): ", d);
          return FALSE;
        }
      *value += w * v;
      for (gsize k = 0; k < nc * B * d; k++)
        dnormed[k] *= w;
      for (gsize c = 0; c < nc; c++)
        {
          vs_loss_normalize_backward (dtrunc + c * B * d, dnormed + c * B * d,
                                      normed + c * B * d, norms + c * B, B, d, 1e-12);
          for (gsize i = 0; i < B; i++)
            for (gsize k = 0; k < d; k++)
              dcols[c][i * D + k] += dtrunc[(c * B + i) * d + k];
        }
    }
  return TRUE;
}

gboolean
vs_loss_compute_double (VsLoss             *loss,
                        const VsLossDBatch *b,
                        double             *value,
                        double *const      *dcols,
                        double              param_grad_scale,
                        GError            **error)
{
  if (loss->kind == VS_LOSS_KIND_MATRYOSHKA)
    return matryoshka_compute (loss, b, value, dcols, param_grad_scale, error);
  return vs_loss_kernel (loss, b, value, dcols, param_grad_scale, error);
}

gboolean
vs_loss_compute_full (VsLoss            *loss,
                      const VsLossBatch *batch,
                      float             *out_loss,
                      float *const      *d_columns,
                      GError           **error)
{
  g_return_val_if_fail (loss != NULL && batch != NULL && out_loss != NULL, FALSE);

  gsize B = batch->batch, D = batch->dim, nc = batch->n_columns;
  if (nc == 0 || batch->columns == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the batch has no columns",
                   loss->info->name);
      return FALSE;
    }
  if (B == 0 || D == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: empty batch (%" G_GSIZE_FORMAT " rows of %" G_GSIZE_FORMAT " dims)",
                   loss->info->name, B, D);
      return FALSE;
    }
  if ((double) B * D * nc > 2e9)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: batch too large", loss->info->name);
      return FALSE;
    }

  /* column count against the loss (the wrapper's inner loss decides) */
  {
    VsLossDataShape shape = { (guint) nc, VS_LOSS_DATA_LABEL_NONE, 0, 0, 1 };
    const VsLossInfo *info = loss->inner != NULL ? loss->inner->info : loss->info;
    if (!info_check_data (info, &shape, TRUE, error))
      return FALSE;
  }

  VsLossLabelKind lk = effective_label_kind (loss);
  if (lk != VS_LOSS_LABEL_NONE && batch->labels == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s needs labels, but the batch has none",
                   (loss->inner != NULL ? loss->inner : loss)->info->name);
      return FALSE;
    }
  if (batch->labels != NULL && lk != VS_LOSS_LABEL_NONE)
    {
      if (batch->label_dim == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: label_dim is 0", loss->info->name);
          return FALSE;
        }
      for (gsize i = 0; i < B * batch->label_dim; i++)
        if (!isfinite (batch->labels[i]))
          {
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "%s: the label of row %" G_GSIZE_FORMAT " is not a finite number",
                         loss->info->name, i / batch->label_dim);
            return FALSE;
          }
    }

  gboolean guide = vs_loss_needs_guide (loss);
  if (guide && (batch->guide_columns == NULL || batch->guide_dim == 0))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s needs the guide model's embeddings of the batch", loss->info->name);
      return FALSE;
    }

  g_autofree double *store = g_new (double, nc * B * D);
  g_autofree double *dstore = g_new0 (double, nc * B * D);
  g_autofree double *gstore = NULL;
  g_autofree const double **cols = g_new (const double *, nc);
  g_autofree const double **gcols = NULL;
  g_autofree double **dcols = g_new (double *, nc);

  for (gsize c = 0; c < nc; c++)
    {
      const float *src = batch->columns[c];
      if (src == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: column %" G_GSIZE_FORMAT " is NULL",
                       loss->info->name, c);
          return FALSE;
        }
      for (gsize k = 0; k < B * D; k++)
        {
          if (!isfinite (src[k]))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                           "%s: the embedding of column %" G_GSIZE_FORMAT ", row %" G_GSIZE_FORMAT
                           " is not finite", loss->info->name, c, k / D);
              return FALSE;
            }
          store[c * B * D + k] = src[k];
        }
      cols[c] = store + c * B * D;
      dcols[c] = dstore + c * B * D;
    }
  if (guide)
    {
      gsize G = batch->guide_dim;
      gstore = g_new (double, nc * B * G);
      gcols = g_new (const double *, nc);
      for (gsize c = 0; c < nc; c++)
        {
          if (batch->guide_columns[c] == NULL)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "%s: guide column %" G_GSIZE_FORMAT " is NULL", loss->info->name, c);
              return FALSE;
            }
          for (gsize k = 0; k < B * G; k++)
            {
              if (!isfinite (batch->guide_columns[c][k]))
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                               "%s: the guide embedding of column %" G_GSIZE_FORMAT
                               ", row %" G_GSIZE_FORMAT " is not finite",
                               loss->info->name, c, k / G);
                  return FALSE;
                }
              gstore[c * B * G + k] = batch->guide_columns[c][k];
            }
          gcols[c] = gstore + c * B * G;
        }
    }

  VsLossDBatch db = {
    cols, nc, B, D,
    lk == VS_LOSS_LABEL_NONE ? NULL : batch->labels,
    lk == VS_LOSS_LABEL_NONE ? 0 : batch->label_dim,
    gcols, guide ? batch->guide_dim : 0,
  };
  double value = 0;
  gboolean ok;
  double pscale = d_columns != NULL ? 1.0 : 0.0;

  ok = vs_loss_compute_double (loss, &db, &value, dcols, pscale, error);
  if (!ok)
    return FALSE;
  if (!isfinite (value))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC, "%s: the loss is not finite",
                   loss->info->name);
      return FALSE;
    }
  for (gsize k = 0; k < nc * B * D; k++)
    if (!isfinite (dstore[k]))
      {
        g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                     "%s: the gradient of column %" G_GSIZE_FORMAT ", row %" G_GSIZE_FORMAT
                     " is not finite", loss->info->name, k / (B * D), (k % (B * D)) / D);
        return FALSE;
      }
  *out_loss = (float) value;
  if (d_columns != NULL)
    for (gsize c = 0; c < nc; c++)
      if (d_columns[c] != NULL)
        for (gsize k = 0; k < B * D; k++)
          d_columns[c][k] = (float) dcols[c][k];
  return TRUE;
}

gboolean
vs_loss_compute (VsLoss             *loss,
                 const float *const *columns,
                 gsize               n_columns,
                 gsize               batch,
                 gsize               dim,
                 const float        *labels,
                 float              *out_loss,
                 float *const       *d_columns,
                 GError            **error)
{
  g_return_val_if_fail (loss != NULL, FALSE);
  gsize label_dim = 0;
  if (labels != NULL)
    switch (effective_label_kind (loss))
      {
      case VS_LOSS_LABEL_VECTOR:
        label_dim = dim;
        break;
      case VS_LOSS_LABEL_MARGIN:
        label_dim = n_columns > 2 ? n_columns - 2 : 1;
        break;
      case VS_LOSS_LABEL_NONE:
      case VS_LOSS_LABEL_SCORE:
      case VS_LOSS_LABEL_BINARY:
      case VS_LOSS_LABEL_CLASS:
      case VS_LOSS_LABEL_ANY:
      default:
        label_dim = 1;
        break;
      }
  VsLossBatch b = { columns, n_columns, batch, dim, labels, label_dim, NULL, 0 };
  return vs_loss_compute_full (loss, &b, out_loss, d_columns, error);
}
