/* vs-search.c: cosine matrices and top-k search (see vs-search.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "eval/vs-search.h"
#include "vs-error.h"

/* torch.nn.functional.normalize's eps */
#define NORM_EPS 1e-12

static double
row_norm (const float *x,
          gsize        dim)
{
  double s = 0.0;

  for (gsize k = 0; k < dim; k++)
    s += (double) x[k] * (double) x[k];
  return MAX (sqrt (s), NORM_EPS);
}

float *
vs_normalize_rows (const float *rows,
                   gsize        n,
                   gsize        dim)
{
  float *out = g_new (float, MAX (n * dim, 1));

  g_return_val_if_fail (rows != NULL || n == 0, out);

  for (gsize i = 0; i < n; i++)
    {
      double norm = row_norm (rows + i * dim, dim);

      for (gsize k = 0; k < dim; k++)
        out[i * dim + k] = (float) ((double) rows[i * dim + k] / norm);
    }
  return out;
}

/* dot of two rows in double: the scores keep float precision whatever dim. */
static double
dot (const float *a,
     const float *b,
     gsize        dim)
{
  double s = 0.0;

  for (gsize k = 0; k < dim; k++)
    s += (double) a[k] * (double) b[k];
  return s;
}

void
vs_cosine_matrix (const float *a,
                  gsize        n,
                  const float *b,
                  gsize        m,
                  gsize        dim,
                  float       *out)
{
  g_autofree double *na = NULL;
  g_autofree double *nb = NULL;

  g_return_if_fail ((a != NULL || n == 0) && (b != NULL || m == 0) && (out != NULL || n * m == 0));

  na = g_new (double, MAX (n, 1));
  nb = g_new (double, MAX (m, 1));
  for (gsize i = 0; i < n; i++)
    na[i] = row_norm (a + i * dim, dim);
  for (gsize j = 0; j < m; j++)
    nb[j] = row_norm (b + j * dim, dim);
  /* [n, m] = a [n, dim] · b [m, dim]ᵀ, each divided by both norms */
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < m; j++)
      out[i * m + j] = (float) (dot (a + i * dim, b + j * dim, dim) / (na[i] * nb[j]));
}

/* Hit order: higher score first, then lower corpus index. */
static gboolean
hit_before (const VsSearchHit *x,
            const VsSearchHit *y)
{
  if (x->score != y->score)
    return x->score > y->score;
  return x->corpus_id < y->corpus_id;
}

VsSearchHit *
vs_semantic_search (const float *queries,
                    gsize        n_queries,
                    const float *corpus,
                    gsize        n_corpus,
                    gsize        dim,
                    gsize        top_k,
                    gboolean     corpus_normalized,
                    gsize       *k_out)
{
  g_autofree double *nc = NULL;
  VsSearchHit *hits;
  gsize k;

  g_return_val_if_fail (k_out != NULL, NULL);
  *k_out = 0;
  g_return_val_if_fail (top_k >= 1, NULL);
  g_return_val_if_fail ((queries != NULL || n_queries == 0) && (corpus != NULL || n_corpus == 0), NULL);
  if (n_corpus == 0)
    return NULL;

  k = MIN (top_k, n_corpus);
  nc = g_new (double, n_corpus);
  for (gsize j = 0; j < n_corpus; j++)
    nc[j] = corpus_normalized ? 1.0 : row_norm (corpus + j * dim, dim);
  hits = g_new (VsSearchHit, MAX (n_queries * k, 1));

  for (gsize q = 0; q < n_queries; q++)
    {
      const float *qv = queries + q * dim;
      double nq = row_norm (qv, dim);
      VsSearchHit *top = hits + q * k;
      gsize filled = 0;

      /* Insertion into a sorted top-k: k is small (a page of results). */
      for (gsize j = 0; j < n_corpus; j++)
        {
          VsSearchHit h = { j, (float) (dot (qv, corpus + j * dim, dim) / (nq * nc[j])) };
          gsize pos;

          if (filled == k && !hit_before (&h, &top[k - 1]))
            continue;
          pos = filled < k ? filled++ : k - 1;
          while (pos > 0 && hit_before (&h, &top[pos - 1]))
            {
              top[pos] = top[pos - 1];
              pos--;
            }
          top[pos] = h;
        }
    }
  *k_out = k;
  return hits;
}

gboolean
vs_matrix_most_similar (const float *sims,
                        gsize        n,
                        gsize       *i_out,
                        gsize       *j_out)
{
  gboolean found = FALSE;
  float best = 0.0f;

  g_return_val_if_fail (sims != NULL || n == 0, FALSE);

  for (gsize i = 0; i < n; i++)
    for (gsize j = i + 1; j < n; j++)
      if (!isnan (sims[i * n + j]) && (!found || sims[i * n + j] > best))
        {
          best = sims[i * n + j];
          found = TRUE;
          if (i_out != NULL)
            *i_out = i;
          if (j_out != NULL)
            *j_out = j;
        }
  return found;
}

static void
add_column_texts (const VsColumn *col,
                  GHashTable     *seen,
                  GPtrArray      *texts,
                  GArray         *rows)
{
  gsize n = vs_column_get_length (col);

  for (gsize r = 0; r < n; r++)
    {
      const char *t;

      if (vs_column_is_null (col, r))
        continue;
      t = vs_column_get_string (col, r);
      if (t == NULL || *t == '\0' || g_hash_table_contains (seen, t))
        continue;
      g_hash_table_add (seen, (gpointer) t);
      g_ptr_array_add (texts, g_strdup (t));
      g_array_append_val (rows, r);
    }
}

GPtrArray *
vs_search_corpus_texts (const VsDataset *ds,
                        const char      *column,
                        GArray         **rows_out,
                        GError         **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint n_cols;

  g_return_val_if_fail (ds != NULL, NULL);

  n_cols = vs_dataset_get_n_columns (ds);
  if (column != NULL)
    {
      const VsColumn *col = vs_dataset_get_column_by_name (ds, column);

      if (col == NULL)
        {
          g_autoptr(GString) names = g_string_new (NULL);

          for (guint c = 0; c < n_cols; c++)
            g_string_append_printf (names, "%s%s", c > 0 ? ", " : "",
                                    vs_column_get_name (vs_dataset_get_column (ds, c)));
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "no column “%s” (the columns are: %s)",
                       column, names->str);
          return NULL;
        }
      if (vs_column_get_type (col) != VS_COLUMN_STRING)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "column “%s” holds %s, not text",
                       column, vs_column_type_to_string (vs_column_get_type (col)));
          return NULL;
        }
      add_column_texts (col, seen, texts, rows);
    }
  else
    for (guint c = 0; c < n_cols; c++)
      {
        const VsColumn *col = vs_dataset_get_column (ds, c);

        if (vs_column_get_type (col) == VS_COLUMN_STRING)
          add_column_texts (col, seen, texts, rows);
      }
  if (texts->len == 0)
    {
      if (column != NULL)
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "column “%s” holds no text", column);
      else
        g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID, "no text column holds any text");
      return NULL;
    }
  if (rows_out != NULL)
    *rows_out = g_steal_pointer (&rows);
  return g_steal_pointer (&texts);
}
