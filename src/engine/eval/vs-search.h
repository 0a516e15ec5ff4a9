/* vs-search.h: cosine similarity matrices and semantic search over embeddings.
 *
 * What the Try page and `vectorsmith-cli similarity` / `search` show: how
 * similar a model finds some texts (the n × m cosine matrix of their
 * embeddings), and which rows of a corpus are nearest to a query.
 * The semantics are sentence-transformers' util.cos_sim and
 * util.semantic_search: every row is L2-normalised with
 * x / max(‖x‖, 1e-12) (torch.nn.functional.normalize), scores are dot
 * products of the normalised rows (accumulated in double), and a query's
 * hits are the top_k corpus rows by score, highest first; equal scores
 * rank the lower corpus index first.
 *
 *   g_autofree float *sims = g_new (float, n * n);
 *   vs_cosine_matrix (emb, n, emb, n, D, sims);            // sims[i * n + j]
 *
 *   g_autofree float *unit = vs_normalize_rows (corpus, n_corpus, D);   // once
 *   gsize k = 0;
 *   g_autofree VsSearchHit *hits = vs_semantic_search (q, 1, unit, n_corpus, D, 5, TRUE, &k);
 *   // hits[0 .. k): {corpus_id, score}, best first
 */
#pragma once

#include <glib.h>

#include "data/vs-dataset.h"

G_BEGIN_DECLS

typedef struct
{
  gsize  corpus_id;   /* row of the corpus */
  float  score;       /* cosine similarity */
} VsSearchHit;

/* A new [n, dim] copy of rows, each divided by max(‖row‖, 1e-12).
 * Free with g_free. */
float       *vs_normalize_rows  (const float *rows,
                                 gsize        n,
                                 gsize        dim);

/* out[i * m + j] = cos(a_i, b_j) for a [n, dim] and b [m, dim]. */
void         vs_cosine_matrix   (const float *a,
                                 gsize        n,
                                 const float *b,
                                 gsize        m,
                                 gsize        dim,
                                 float       *out);

/* The top_k (≥ 1) nearest corpus rows of each query by cosine: an array of
 * n_queries × *k_out hits, query by query, each query's hits best first
 * (ties: lower corpus_id first). *k_out = MIN (top_k, n_corpus).
 * corpus_normalized: the corpus rows are already unit length
 * (vs_normalize_rows), so a corpus encoded once is not normalised again
 * per query. Free with g_free; NULL (and *k_out 0) when n_corpus is 0. */
VsSearchHit *vs_semantic_search (const float *queries,
                                 gsize        n_queries,
                                 const float *corpus,
                                 gsize        n_corpus,
                                 gsize        dim,
                                 gsize        top_k,
                                 gboolean     corpus_normalized,
                                 gsize       *k_out);

/* The pair (i < j) of an n × n similarity matrix with the highest value
 * off the diagonal (ties: the first in row order); FALSE when n < 2. */
gboolean     vs_matrix_most_similar (const float *sims,
                                     gsize        n,
                                     gsize       *i_out,
                                     gsize       *j_out);

/* A search corpus from a table: the distinct non-empty texts of column
 * (NULL: of every text column, column by column), in order of first
 * appearance; *rows_out (nullable) gets the row (gsize) each came from.
 * NULL + error naming the column when it is missing or not text, or when
 * there is no text at all. Free with g_ptr_array_unref. */
GPtrArray   *vs_search_corpus_texts (const VsDataset *ds,
                                     const char      *column,
                                     GArray         **rows_out,
                                     GError         **error);

G_END_DECLS
