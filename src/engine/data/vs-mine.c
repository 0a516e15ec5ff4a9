/* vs-mine.c: hard-negative mining; see vs-mine.h for the steps. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "data/vs-data-private.h"
#include "data/vs-mine.h"
#include "vs-error.h"

void
vs_mine_options_init (VsMineOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->range_max = -1;
  opts->max_score = NAN;
  opts->min_score = NAN;
  opts->absolute_margin = NAN;
  opts->relative_margin = NAN;
  opts->num_negatives = 3;
  opts->batch_size = 32;
}

typedef struct
{
  const VsColumn *anchor;
  const VsColumn *positive;
  GPtrArray      *queries;      /* char * (borrowed from the dataset) */
  GPtrArray      *corpus;       /* char * (borrowed) */
  GArray        **positives;    /* per query: guint corpus indices, in row order */
  guint           max_positives;
} Pairs;

static void
pairs_clear (Pairs *p)
{
  if (p->positives != NULL)
    for (guint q = 0; q < p->queries->len; q++)
      g_array_unref (p->positives[q]);
  g_free (p->positives);
  if (p->queries != NULL)
    g_ptr_array_unref (p->queries);
  if (p->corpus != NULL)
    g_ptr_array_unref (p->corpus);
}

static gboolean
pairs_build (const VsDataset     *ds,
             const VsMineOptions *opts,
             Pairs               *p,
             GError             **error)
{
  g_autoptr(GHashTable) qidx = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) cidx = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) lists = g_ptr_array_new ();
  gsize n = vs_dataset_get_n_rows (ds);

  memset (p, 0, sizeof *p);
  p->anchor = opts->anchor_column != NULL ? vs_dataset_get_column_by_name (ds, opts->anchor_column)
                                          : vs_dataset_get_column (ds, 0);
  p->positive = opts->positive_column != NULL ? vs_dataset_get_column_by_name (ds, opts->positive_column)
                                              : vs_dataset_get_column (ds, 1);
  if (p->anchor == NULL || p->positive == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "mining needs an anchor and a positive column (%s%s%s)",
                   opts->anchor_column ? opts->anchor_column : "first column", ", ",
                   opts->positive_column ? opts->positive_column : "second column");
      return FALSE;
    }
  if (vs_column_get_type (p->anchor) != VS_COLUMN_STRING || vs_column_get_type (p->positive) != VS_COLUMN_STRING)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "mining: columns “%s” and “%s” must be text",
                   vs_column_get_name (p->anchor), vs_column_get_name (p->positive));
      return FALSE;
    }
  if (p->anchor == p->positive)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "mining: the anchor and positive columns are the same");
      return FALSE;
    }
  if (opts->num_negatives == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "mining: num_negatives must be at least 1");
      return FALSE;
    }
  p->queries = g_ptr_array_new ();
  p->corpus = g_ptr_array_new ();
  for (gsize r = 0; r < n; r++)
    {
      const char *a = vs_column_get_string (p->anchor, r);
      const char *b = vs_column_get_string (p->positive, r);
      gpointer qi, ci;

      if (a == NULL || b == NULL)
        continue;   /* a pair with a null side has nothing to mine */
      if (!g_hash_table_lookup_extended (qidx, a, NULL, &qi))
        {
          qi = GUINT_TO_POINTER (p->queries->len);
          g_hash_table_insert (qidx, (gpointer) a, qi);
          g_ptr_array_add (p->queries, (gpointer) a);
          g_ptr_array_add (lists, g_array_new (FALSE, FALSE, sizeof (guint)));
        }
      if (!g_hash_table_lookup_extended (cidx, b, NULL, &ci))
        {
          ci = GUINT_TO_POINTER (p->corpus->len);
          g_hash_table_insert (cidx, (gpointer) b, ci);
          g_ptr_array_add (p->corpus, (gpointer) b);
        }
      {
        guint c = GPOINTER_TO_UINT (ci);
        GArray *l = lists->pdata[GPOINTER_TO_UINT (qi)];
        g_array_append_val (l, c);
        p->max_positives = MAX (p->max_positives, l->len);
      }
    }
  if (p->queries->len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "mining: the dataset has no (anchor, positive) pair");
      return FALSE;
    }
  p->positives = (GArray **) g_ptr_array_free (g_steal_pointer (&lists), FALSE);
  return TRUE;
}

gboolean
vs_mine_collect_texts (const VsDataset     *ds,
                       const VsMineOptions *opts,
                       char              ***queries,
                       char              ***corpus,
                       GError             **error)
{
  Pairs p;

  if (!pairs_build (ds, opts, &p, error))
    {
      pairs_clear (&p);
      return FALSE;
    }
  *queries = g_new0 (char *, p.queries->len + 1);
  for (guint i = 0; i < p.queries->len; i++)
    (*queries)[i] = g_strdup (p.queries->pdata[i]);
  *corpus = g_new0 (char *, p.corpus->len + 1);
  for (guint i = 0; i < p.corpus->len; i++)
    (*corpus)[i] = g_strdup (p.corpus->pdata[i]);
  pairs_clear (&p);
  return TRUE;
}

typedef enum { SIM_DOT, SIM_EUCLIDEAN, SIM_MANHATTAN } SimKind;

static double
similarity (SimKind      kind,
            const float *a,
            const float *b,
            gsize        dim)
{
  double s = 0;

  switch (kind)
    {
    case SIM_EUCLIDEAN:
      for (gsize k = 0; k < dim; k++)
        s += ((double) a[k] - b[k]) * ((double) a[k] - b[k]);
      return -sqrt (s);
    case SIM_MANHATTAN:
      for (gsize k = 0; k < dim; k++)
        s += fabs ((double) a[k] - b[k]);
      return -s;
    case SIM_DOT:
    default:
      for (gsize k = 0; k < dim; k++)
        s += (double) a[k] * b[k];
      return s;
    }
}

typedef struct
{
  double score;
  guint  index;
} Cand;

static int
cand_desc (gconstpointer x,
           gconstpointer y)
{
  const Cand *a = x, *b = y;

  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

VsDataset *
vs_mine_hard_negatives_with_embeddings (const VsDataset     *ds,
                                        const float         *query_emb,
                                        const float         *corpus_emb,
                                        gsize                dim,
                                        const char          *sim_name,
                                        const VsMineOptions *opts,
                                        GError             **error)
{
  Pairs p;
  SimKind kind = SIM_DOT;
  guint N = opts->num_negatives;
  gsize range_max, k;
  gboolean filtering = !isnan (opts->absolute_margin) || !isnan (opts->relative_margin) ||
                       !isnan (opts->max_score);
  g_autofree Cand *cand = NULL;
  g_autofree Cand *chosen = NULL;
  g_autoptr(VsDataset) out = vs_dataset_new ();
  VsColumn *c_anchor, *c_pos, **c_neg, *c_pscore = NULL, *c_nscore = NULL, **c_nscores = NULL;
  guint64 rng = opts->seed;

  if (sim_name == NULL || strcmp (sim_name, "cosine") == 0 || strcmp (sim_name, "dot") == 0)
    kind = SIM_DOT;   /* on L2-normalised rows cosine is the dot product */
  else if (strcmp (sim_name, "euclidean") == 0)
    kind = SIM_EUCLIDEAN;
  else if (strcmp (sim_name, "manhattan") == 0)
    kind = SIM_MANHATTAN;
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "mining: unknown similarity function “%s”", sim_name);
      return NULL;
    }
  if (!pairs_build (ds, opts, &p, error))
    {
      pairs_clear (&p);
      return NULL;
    }

  if (opts->range_max >= 0)
    range_max = opts->range_max;
  else
    range_max = opts->range_min + (filtering ? N * 10 : N) + p.max_positives;
  k = MIN (range_max + p.max_positives, p.corpus->len);
  cand = g_new (Cand, p.corpus->len + 1);
  chosen = g_new (Cand, N + 1);

  /* Output columns. */
  c_anchor = vs_dataset_add_column (out, vs_column_get_name (p.anchor), VS_COLUMN_STRING, NULL);
  c_pos = vs_dataset_add_column (out, vs_column_get_name (p.positive), VS_COLUMN_STRING, NULL);
  c_neg = g_new0 (VsColumn *, N + 1);
  if (!opts->n_tuple)
    {
      c_neg[0] = vs_dataset_add_column (out, "negative", VS_COLUMN_STRING, error);
      if (c_neg[0] == NULL)
        goto fail;
      if (opts->include_scores)
        {
          c_pscore = vs_dataset_add_column (out, "positive_score", VS_COLUMN_FLOAT64, error);
          c_nscore = vs_dataset_add_column (out, "negative_score", VS_COLUMN_FLOAT64, error);
          if (c_pscore == NULL || c_nscore == NULL)
            goto fail;
        }
    }
  else
    {
      for (guint j = 0; j < N; j++)
        {
          g_autofree char *name = g_strdup_printf ("negative_%u", j + 1);
          c_neg[j] = vs_dataset_add_column (out, name, VS_COLUMN_STRING, error);
          if (c_neg[j] == NULL)
            goto fail;
        }
      if (opts->include_scores)
        {
          c_pscore = vs_dataset_add_column (out, "positive_score", VS_COLUMN_FLOAT64, error);
          if (c_pscore == NULL)
            goto fail;
          c_nscores = g_new0 (VsColumn *, N + 1);
          for (guint j = 0; j < N; j++)
            {
              g_autofree char *name = g_strdup_printf ("negative_%u_score", j + 1);
              c_nscores[j] = vs_dataset_add_column (out, name, VS_COLUMN_FLOAT64, error);
              if (c_nscores[j] == NULL)
                goto fail;
            }
        }
    }

  for (guint q = 0; q < p.queries->len; q++)
    {
      const float *qe = query_emb + (gsize) q * dim;
      GArray *pos = p.positives[q];
      double min_pos = INFINITY;
      gsize n_valid = 0, avail;
      Cand *pool;

      /* 1. The k best candidates by similarity. */
      for (guint c = 0; c < p.corpus->len; c++)
        {
          cand[c].score = similarity (kind, qe, corpus_emb + (gsize) c * dim, dim);
          cand[c].index = c;
        }
      qsort (cand, p.corpus->len, sizeof (Cand), cand_desc);

      /* 2. Positives out; margins, max_score, min_score. */
      for (guint i = 0; i < pos->len; i++)
        min_pos = MIN (min_pos, similarity (kind, qe, corpus_emb + (gsize) g_array_index (pos, guint, i) * dim, dim));
      for (gsize j = 0; j < k; j++)
        {
          double s = cand[j].score;
          gboolean drop = FALSE;

          for (guint i = 0; i < pos->len && !drop; i++)
            drop = cand[j].index == g_array_index (pos, guint, i);
          if (!drop && !isnan (opts->absolute_margin) && s + opts->absolute_margin > min_pos)
            drop = TRUE;
          if (!drop && !isnan (opts->relative_margin) && s > min_pos * (1.0 - opts->relative_margin))
            drop = TRUE;
          if (!drop && !isnan (opts->max_score) && s > opts->max_score)
            drop = TRUE;
          if (!drop && !isnan (opts->min_score) && s < opts->min_score)
            drop = TRUE;
          if (drop)
            cand[j].score = -INFINITY;
        }

      /* 3. The best range_max of those (dropped ones last), minus the first
       * range_min. */
      qsort (cand, k, sizeof (Cand), cand_desc);
      avail = MIN (range_max, k);
      if (avail <= opts->range_min)
        avail = 0;
      else
        avail -= opts->range_min;
      pool = cand + opts->range_min;
      for (gsize j = 0; j < avail; j++)
        n_valid += isfinite (pool[j].score);

      /* 4. num_negatives of them: the top ones or a random sample of the valid. */
      if (!opts->sample_random)
        {
          for (guint j = 0; j < N; j++)
            chosen[j] = j < avail ? pool[j] : (Cand) { -INFINITY, 0 };
        }
      else
        {
          gsize options = MIN (MAX (n_valid, (gsize) N), avail);
          g_autofree gsize *pick = g_new (gsize, options + 1);
          for (gsize j = 0; j < options; j++)
            pick[j] = j;
          for (guint j = 0; j < N; j++)
            {
              if (j < options)
                {
                  gsize r = j + (gsize) vs_rng_below (&rng, options - j);
                  gsize t = pick[j];
                  pick[j] = pick[r];
                  pick[r] = t;
                  chosen[j] = pool[pick[j]];
                }
              else
                chosen[j] = (Cand) { -INFINITY, 0 };
            }
          qsort (chosen, N, sizeof (Cand), cand_desc);
        }

      /* 5. Rows: per positive of the query. */
      for (guint i = 0; i < pos->len; i++)
        {
          guint pi = g_array_index (pos, guint, i);
          double ps = similarity (kind, qe, corpus_emb + (gsize) pi * dim, dim);

          if (!opts->n_tuple)
            {
              for (guint j = 0; j < N; j++)
                {
                  if (!isfinite (chosen[j].score))
                    continue;
                  vs_column_append_string (c_anchor, p.queries->pdata[q]);
                  vs_column_append_string (c_pos, p.corpus->pdata[pi]);
                  vs_column_append_string (c_neg[0], p.corpus->pdata[chosen[j].index]);
                  if (c_pscore != NULL)
                    {
                      vs_column_append_double (c_pscore, ps);
                      vs_column_append_double (c_nscore, chosen[j].score);
                    }
                }
            }
          else
            {
              gboolean all = TRUE;
              for (guint j = 0; j < N; j++)
                all = all && isfinite (chosen[j].score);
              if (!all)
                continue;
              vs_column_append_string (c_anchor, p.queries->pdata[q]);
              vs_column_append_string (c_pos, p.corpus->pdata[pi]);
              for (guint j = 0; j < N; j++)
                vs_column_append_string (c_neg[j], p.corpus->pdata[chosen[j].index]);
              if (c_pscore != NULL)
                {
                  vs_column_append_double (c_pscore, ps);
                  for (guint j = 0; j < N; j++)
                    vs_column_append_double (c_nscores[j], chosen[j].score);
                }
            }
        }
    }
  g_free (c_neg);
  g_free (c_nscores);
  pairs_clear (&p);
  if (vs_dataset_get_n_rows (out) == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "mining found no negatives: widen range_max, or relax range_min, the margins or max_score");
      return NULL;
    }
  return g_steal_pointer (&out);

fail:
  g_free (c_neg);
  g_free (c_nscores);
  pairs_clear (&p);
  return NULL;
}
