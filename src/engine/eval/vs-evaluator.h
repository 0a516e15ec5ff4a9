/* vs-evaluator.h: sentence-transformers' evaluators over embeddings.
 *
 * Each evaluator takes the embeddings the model produced for a held-out
 * split (row-major [n, dim] floats) and returns a cJSON object of metrics
 * whose keys are sentence-transformers' own (st-spec.md section 4):
 *
 *   similarity  pearson_{fn}, spearman_{fn} [+ pearson_max, spearman_max]
 *   triplet     {fn}_accuracy [+ max_accuracy]
 *   binary      {fn}_accuracy, {fn}_accuracy_threshold, {fn}_f1,
 *               {fn}_f1_threshold, {fn}_precision, {fn}_recall, {fn}_ap,
 *               {fn}_mcc [+ max_* of each]
 *   retrieval   {fn}_accuracy@k, {fn}_precision@k, {fn}_recall@k,
 *               {fn}_ndcg@k, {fn}_mrr@k, {fn}_map@k
 *
 * fn is cosine, dot, euclidean or manhattan; euclidean and manhattan are
 * the negative distances where a similarity is needed. With a name every
 * key becomes "{name}_{key}", as in sentence-transformers. A metric that is
 * undefined (a correlation against constant scores, AP without positives)
 * is JSON null, never NaN.
 *
 * Matryoshka: VsEvalOptions.truncate_dim keeps the first d dimensions, as
 * sentence-transformers' truncate_dim does (no renormalisation: cosine is
 * unaffected; dot/euclidean/manhattan see the truncated vectors), unless
 * renormalize is set.
 *
 *   VsEvalOptions opts = { VS_EVAL_FN_ALL, 256, "dim_256", FALSE };
 *   g_autofree char *primary = NULL;
 *   cJSON *m = vs_eval_similarity (e1, e2, gold, n, dim, &opts, &primary, &error);
 *   // cJSON_GetObjectItem (m, primary) is "dim_256_spearman_max"
 *
 * Over a dataset (what the trainer and `vectorsmith-cli evaluate` use): a
 * VsEvaluator made from a JSON config reads the text columns and label of
 * a VsDataset, embeds every distinct text once through an encode callback
 * (the model's vs_model_encode), and runs the evaluator at each requested
 * Matryoshka dimension:
 *
 *   cJSON *cfg = cJSON_Parse ("{\"name\": \"similarity\", \"columns\": [\"s1\", \"s2\"],"
 *                             " \"label\": \"score\", \"dims\": [128, 64]}");
 *   g_autoptr(VsEvaluator) ev = vs_evaluator_new (cfg, &error);
 *   cJSON *metrics = vs_evaluator_evaluate (ev, dataset, D, encode_cb, model,
 *                                           &primary, &error);
 *   // {"dim_128_pearson_cosine": ..., ..., "dim_64_spearman_max": ...}
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "data/vs-dataset.h"

G_BEGIN_DECLS

typedef enum
{
  VS_EVAL_FN_COSINE    = 1 << 0,
  VS_EVAL_FN_DOT       = 1 << 1,
  VS_EVAL_FN_EUCLIDEAN = 1 << 2,
  VS_EVAL_FN_MANHATTAN = 1 << 3,
  VS_EVAL_FN_ALL       = 0xf,
} VsEvalFn;

typedef struct
{
  guint        functions;     /* VsEvalFn bits; 0 = cosine only (a model's default) */
  gsize        truncate_dim;  /* 0 = all dimensions */
  const char  *name;          /* key prefix; NULL or "" = none */
  gboolean     renormalize;   /* L2-normalise after truncating */
} VsEvalOptions;

/* The key fragment of one function ("cosine", "dot", "euclidean", "manhattan"). */
const char *vs_eval_fn_name (VsEvalFn fn);

/* Parses "cosine,dot" (or "all") into VsEvalFn bits; 0 + GError if invalid. */
guint vs_eval_parse_functions (const char  *text,
                               GError     **error);

/* Pearson correlation of x and y (NaN if either is constant). */
double vs_eval_pearson (const double *x,
                        const double *y,
                        gsize         n);

/* Spearman correlation: Pearson on average ranks (ties share their mean rank). */
double vs_eval_spearman (const double *x,
                         const double *y,
                         gsize         n);

/* EmbeddingSimilarityEvaluator: pairs (a_i, b_i) with gold scores[i].
 * Needs n >= 2. *primary_out (nullable) gets the primary metric's key. */
cJSON *vs_eval_similarity (const float          *a,
                           const float          *b,
                           const float          *scores,
                           gsize                 n,
                           gsize                 dim,
                           const VsEvalOptions  *options,
                           char                **primary_out,
                           GError              **error);

/* TripletEvaluator: accuracy of sim(a,p) > sim(a,n) (margin 0). */
cJSON *vs_eval_triplet (const float          *anchors,
                        const float          *positives,
                        const float          *negatives,
                        gsize                 n,
                        gsize                 dim,
                        const VsEvalOptions  *options,
                        char                **primary_out,
                        GError              **error);

/* BinaryClassificationEvaluator: pairs with labels 0/1 (as floats); the
 * accuracy and F1 threshold searches, AP and MCC of sentence-transformers.
 * Euclidean/manhattan use the raw distance with "smaller is more similar"
 * (the intended behaviour, PR #3886). Needs n >= 2. */
cJSON *vs_eval_binary (const float          *a,
                       const float          *b,
                       const float          *labels,
                       gsize                 n,
                       gsize                 dim,
                       const VsEvalOptions  *options,
                       char                **primary_out,
                       GError              **error);

/* InformationRetrievalEvaluator's cut-offs; NULL arrays = its defaults
 * (mrr [10], ndcg [10], accuracy [1,3,5,10], precision/recall [1,3,5,10],
 * map [100]). */
typedef struct
{
  const guint *mrr_at_k;               gsize n_mrr;
  const guint *ndcg_at_k;              gsize n_ndcg;
  const guint *accuracy_at_k;          gsize n_accuracy;
  const guint *precision_recall_at_k;  gsize n_precision_recall;
  const guint *map_at_k;               gsize n_map;
} VsEvalRetrievalK;

/* InformationRetrievalEvaluator: queries [n_queries, dim], corpus
 * [n_corpus, dim]; relevant[q] is a -1-terminated list of corpus row
 * indices relevant to query q (NULL or empty: the query is skipped, as
 * sentence-transformers skips queries without relevant documents). Ties
 * in score rank the lower corpus index first. */
cJSON *vs_eval_retrieval (const float             *queries,
                          gsize                    n_queries,
                          const float             *corpus,
                          gsize                    n_corpus,
                          gsize                    dim,
                          const gint64 *const     *relevant,
                          const VsEvalRetrievalK  *ks,
                          const VsEvalOptions     *options,
                          char                   **primary_out,
                          GError                 **error);

/* --- over a dataset ------------------------------------------------------- */

/* What a text is, for models with prompts: sentence-transformers' encode()
 * (default prompt), encode_query() ("query" prompt) or encode_document()
 * ("document" prompt). Retrieval embeds queries and documents separately. */
typedef enum
{
  VS_EVAL_TEXT_SENTENCE,
  VS_EVAL_TEXT_QUERY,
  VS_EVAL_TEXT_DOCUMENT,
} VsEvalTextRole;

/* The role's name for vs_model_get_prompt_for_role(): "query", "document",
 * or NULL for a plain sentence. */
const char *vs_eval_text_role_name (VsEvalTextRole role);

/* Embeds n texts of one role into out [n, dim]; FALSE + error on failure. */
typedef gboolean (*VsEvalEncodeFunc) (const char *const  *texts,
                                      gsize               n,
                                      VsEvalTextRole      role,
                                      float              *out,
                                      gpointer            user_data,
                                      GError            **error);

typedef struct _VsEvaluator VsEvaluator;

/* From a config object:
 *   "name"     similarity | triplet | binary | retrieval, or the class names
 *              EmbeddingSimilarityEvaluator, TripletEvaluator,
 *              BinaryClassificationEvaluator, InformationRetrievalEvaluator
 *   "columns"  text columns in order (similarity/binary: 2, triplet: 3,
 *              retrieval: query, relevant document, then extra corpus
 *              columns); absent = the dataset's string columns in order
 *   "label"    label column (similarity: score, binary: 0/1); absent =
 *              "label" or "score", as sentence-transformers picks it
 *   "dims"     Matryoshka dimensions; keys get the prefix "dim_{d}_"
 *   "similarity_fn_names"  ["cosine", "dot", "euclidean", "manhattan"] or
 *              "all"; absent = all four (retrieval: cosine)
 *   "prefix"   a name put before every key ("sts-dev" -> "sts-dev_...")
 *   "renormalize"  L2-normalise after truncating (default false, as
 *              sentence-transformers' truncate_dim)
 * Retrieval: the distinct texts of the first column are the queries, the
 * distinct texts of the other columns the corpus, and a query's relevant
 * documents are the second-column texts of its rows.
 * NULL + VS_ERROR_INVALID naming the field on a bad config. */
VsEvaluator *vs_evaluator_new      (const cJSON        *config,
                                    GError            **error);
void         vs_evaluator_free     (VsEvaluator        *evaluator);

/* "similarity", "triplet", "binary" or "retrieval". */
const char  *vs_evaluator_get_kind (VsEvaluator        *evaluator);

/* Runs the evaluator on ds with embeddings of width dim from encode. The
 * primary metric's key (of the first dimension listed) goes to
 * *primary_out (nullable; g_free it). NULL + error naming the column or
 * row when the dataset does not fit (missing column, null cell, a label
 * outside 0/1 for binary, a dimension above dim). */
cJSON       *vs_evaluator_evaluate (VsEvaluator        *evaluator,
                                    const VsDataset    *ds,
                                    gsize               dim,
                                    VsEvalEncodeFunc    encode,
                                    gpointer            user_data,
                                    char              **primary_out,
                                    GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsEvaluator, vs_evaluator_free)

G_END_DECLS
