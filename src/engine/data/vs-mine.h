/* vs-mine.h: hard-negative mining (sentence-transformers' mine_hard_negatives).
 *
 * For a dataset of (anchor, positive) pairs (case 2), the texts nearest to
 * each anchor under a model that are not one of its positives become
 * negatives, giving triplets (case 4: one row per found negative, columns
 * anchor, positive, negative) or n-tuples (one row per pair with all
 * num_negatives found: negative_1..negative_n).
 *
 * The steps are sentence-transformers' own (util/hard_negatives.py):
 * distinct anchors are the queries and distinct positives the corpus (first
 * appearance order); both are embedded L2-normalised (the model's "query"
 * and "document"/"passage"/"corpus" prompts applied as encode_query and
 * encode_document do); similarity is the model's similarity function; each
 * query keeps its top range_max + max_positives candidates; its own positives,
 * candidates within absolute_margin of (or above (1 - relative_margin) times)
 * its lowest positive score, above max_score or below min_score are
 * discarded; the best range_max remain, the first range_min are skipped, and
 * num_negatives are taken: the top ones, or a seeded random sample of the
 * valid ones (then sorted by score). range_max < 0 picks ST's default:
 * range_min + num_negatives (x10 with a margin or max_score) + max_positives.
 * Deviations: when the corpus is smaller than the candidate count, fewer
 * candidates are used (ST raises); the margin uses each query's own lowest
 * positive score (ST's loop indexes the previous query's count).
 *
 *   VsMineOptions opts;
 *   vs_mine_options_init (&opts);
 *   opts.num_negatives = 5;
 *   g_autoptr(VsDataset) out = vs_mine_hard_negatives (pairs, model, &opts, &error);
 *
 * or, with embeddings made elsewhere:
 *
 *   VsMineOptions opts;
 *   vs_mine_options_init (&opts);
 *   opts.num_negatives = 5;
 *   vs_mine_collect_texts (pairs, &opts, &queries, &corpus, &error);
 *   ... embed queries -> qe [nq, D], corpus -> ce [nc, D], each row unit length ...
 *   g_autoptr(VsDataset) out =
 *     vs_mine_hard_negatives_with_embeddings (pairs, qe, ce, D, "cosine", &opts, &error);
 */
#pragma once

#include <glib.h>

#include "data/vs-dataset.h"
#include "model/vs-model.h"

G_BEGIN_DECLS

typedef struct
{
  const char *anchor_column;     /* NULL = the first column */
  const char *positive_column;   /* NULL = the second column */
  guint       range_min;         /* 0 */
  int         range_max;         /* -1 = sentence-transformers' default */
  double      max_score;         /* NAN = unset */
  double      min_score;         /* NAN = unset */
  double      absolute_margin;   /* NAN = unset */
  double      relative_margin;   /* NAN = unset */
  guint       num_negatives;     /* 3 */
  gboolean    sample_random;     /* FALSE = "top" */
  gboolean    n_tuple;           /* FALSE = "triplet" output */
  gboolean    include_scores;    /* triplet: positive_score, negative_score; n-tuple: score list */
  guint64     seed;              /* for sample_random */
  gsize       batch_size;        /* encoding; 0 = 32 */
} VsMineOptions;

/* Defaults as sentence-transformers' signature. Never fails. */
void       vs_mine_options_init (VsMineOptions *opts);

/* Mine with a model: embeds the distinct anchors (encode_query: the model's
 * "query" prompt) and positives (encode_document: its "document", "passage"
 * or "corpus" prompt) L2-normalised, then mines with the model's similarity
 * function. NULL + error when a column is missing or not text, there is no
 * pair, encoding fails, or no row could be produced. */
VsDataset *vs_mine_hard_negatives (const VsDataset     *ds,
                                   VsModel             *model,
                                   const VsMineOptions *opts,
                                   GError             **error);

/* The distinct anchors (queries) and distinct positives (corpus) in the
 * order the embeddings passed below must follow. Free with g_strfreev. */
gboolean   vs_mine_collect_texts (const VsDataset     *ds,
                                  const VsMineOptions *opts,
                                  char              ***queries,
                                  char              ***corpus,
                                  GError             **error);

/* The same on given embeddings: query_emb [n_queries, dim], corpus_emb
 * [n_corpus, dim] in vs_mine_collect_texts order, already L2-normalised as
 * sentence-transformers makes them. similarity: "cosine", "dot",
 * "euclidean", "manhattan" (NULL = cosine). */
VsDataset *vs_mine_hard_negatives_with_embeddings (const VsDataset     *ds,
                                                   const float         *query_emb,
                                                   const float         *corpus_emb,
                                                   gsize                dim,
                                                   const char          *similarity,
                                                   const VsMineOptions *opts,
                                                   GError             **error);

G_END_DECLS
