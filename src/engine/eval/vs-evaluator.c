/* vs-evaluator.c: sentence-transformers' evaluators over embeddings
 * (st-spec.md section 4), computed in double. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include "vs-error.h"
#include "eval/vs-evaluator.h"

static const VsEvalFn all_fns[] = {
  VS_EVAL_FN_COSINE, VS_EVAL_FN_DOT, VS_EVAL_FN_EUCLIDEAN, VS_EVAL_FN_MANHATTAN,
};

const char *
vs_eval_fn_name (VsEvalFn fn)
{
  switch (fn)
    {
    case VS_EVAL_FN_COSINE: return "cosine";
    case VS_EVAL_FN_DOT: return "dot";
    case VS_EVAL_FN_EUCLIDEAN: return "euclidean";
    case VS_EVAL_FN_MANHATTAN: return "manhattan";
    case VS_EVAL_FN_ALL:
    default: return "?";
    }
}

guint
vs_eval_parse_functions (const char  *text,
                         GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint bits = 0;

  if (text == NULL || *text == '\0')
    return VS_EVAL_FN_COSINE;
  if (g_ascii_strcasecmp (text, "all") == 0)
    return VS_EVAL_FN_ALL;
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *p = g_strstrip (g_strdup (parts[i]));
      guint found = 0;
      for (gsize k = 0; k < G_N_ELEMENTS (all_fns); k++)
        if (strcmp (p, vs_eval_fn_name (all_fns[k])) == 0)
          found = all_fns[k];
      if (found == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "unknown similarity function '%s' (cosine, dot, euclidean, manhattan or all)", p);
          return 0;
        }
      bits |= found;
    }
  return bits;
}

/* --- statistics --------------------------------------------------------------- */

double
vs_eval_pearson (const double *x,
                 const double *y,
                 gsize         n)
{
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  if (n < 2)
    return NAN;
  for (gsize i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
    }
  mx /= n;
  my /= n;
  for (gsize i = 0; i < n; i++)
    {
      double dx = x[i] - mx, dy = y[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
  if (sxx == 0 || syy == 0)
    return NAN;
  double r = sxy / sqrt (sxx * syy);
  return CLAMP (r, -1.0, 1.0);
}

typedef struct
{
  const double *v;
  gboolean      descending;
} SortCtx;

/* Stable order: by value, ties by original index. */
static int
cmp_index (gconstpointer a,
           gconstpointer b,
           gpointer      user_data)
{
  const SortCtx *ctx = user_data;
  gsize i = *(const gsize *) a, j = *(const gsize *) b;
  double vi = ctx->v[i], vj = ctx->v[j];
  if (vi != vj)
    {
      int c = vi < vj ? -1 : 1;
      return ctx->descending ? -c : c;
    }
  return i < j ? -1 : i > j ? 1 : 0;
}

static gsize *
sorted_indices (const double *v,
                gsize         n,
                gboolean      descending)
{
  gsize *idx = g_new (gsize, MAX (n, 1));
  SortCtx ctx = { v, descending };
  for (gsize i = 0; i < n; i++)
    idx[i] = i;
  g_qsort_with_data (idx, n, sizeof (gsize), cmp_index, &ctx);
  return idx;
}

static double *
average_ranks (const double *v,
               gsize         n)
{
  g_autofree gsize *idx = sorted_indices (v, n, FALSE);
  double *r = g_new (double, MAX (n, 1));
  gsize i = 0;
  while (i < n)
    {
      gsize j = i;
      while (j + 1 < n && v[idx[j + 1]] == v[idx[i]])
        j++;
      double rank = (i + j) / 2.0 + 1.0;
      for (gsize k = i; k <= j; k++)
        r[idx[k]] = rank;
      i = j + 1;
    }
  return r;
}

double
vs_eval_spearman (const double *x,
                  const double *y,
                  gsize         n)
{
  g_autofree double *rx = average_ranks (x, n);
  g_autofree double *ry = average_ranks (y, n);
  return vs_eval_pearson (rx, ry, n);
}

/* --- helpers ------------------------------------------------------------------------ */

static guint
fns_of (const VsEvalOptions *o)
{
  guint f = o != NULL ? o->functions & VS_EVAL_FN_ALL : 0;
  return f != 0 ? f : VS_EVAL_FN_COSINE;
}

static guint
n_fns (guint bits)
{
  guint n = 0;
  for (gsize k = 0; k < G_N_ELEMENTS (all_fns); k++)
    if (bits & all_fns[k])
      n++;
  return n;
}

static char *
key (const VsEvalOptions *o,
     const char          *fmt,
     ...) G_GNUC_PRINTF (2, 3);

static char *
key (const VsEvalOptions *o,
     const char          *fmt,
     ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *k = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (o != NULL && o->name != NULL && o->name[0] != '\0')
    return g_strdup_printf ("%s_%s", o->name, k);
  return g_steal_pointer (&k);
}

static void
add_metric (cJSON      *obj,
            const char *name,
            double      v)
{
  if (isfinite (v))
    cJSON_AddNumberToObject (obj, name, v);
  else
    cJSON_AddNullToObject (obj, name);
}

/* [n, dim] floats -> [n, d] doubles, truncated (and renormalised). */
static double *
prepare (const float         *x,
         gsize                n,
         gsize                dim,
         const VsEvalOptions *o,
         gsize               *d_out,
         const char          *what,
         GError             **error)
{
  gsize d = (o != NULL && o->truncate_dim > 0) ? o->truncate_dim : dim;
  if (d > dim)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "truncate_dim %" G_GSIZE_FORMAT " is larger than the embedding size %" G_GSIZE_FORMAT,
                   d, dim);
      return NULL;
    }
  double *out = g_new (double, MAX (n * d, 1));
  for (gsize i = 0; i < n; i++)
    {
      double s = 0;
      for (gsize k = 0; k < d; k++)
        {
          double v = x[i * dim + k];
          if (!isfinite (v))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_NUMERIC,
                           "%s embedding of row %" G_GSIZE_FORMAT " is not finite", what, i);
              g_free (out);
              return NULL;
            }
          out[i * d + k] = v;
          s += v * v;
        }
      if (o != NULL && o->renormalize)
        {
          double r = MAX (sqrt (s), 1e-12);
          for (gsize k = 0; k < d; k++)
            out[i * d + k] /= r;
        }
    }
  *d_out = d;
  return out;
}

/* Similarity of two rows; euclidean/manhattan as negative distances. */
static double
row_sim (VsEvalFn      fn,
         const double *a,
         const double *b,
         gsize         d)
{
  double s = 0, na = 0, nb = 0;
  switch (fn)
    {
    case VS_EVAL_FN_COSINE:
      for (gsize k = 0; k < d; k++)
        {
          s += a[k] * b[k];
          na += a[k] * a[k];
          nb += b[k] * b[k];
        }
      return s / (MAX (sqrt (na), 1e-12) * MAX (sqrt (nb), 1e-12));
    case VS_EVAL_FN_DOT:
      for (gsize k = 0; k < d; k++)
        s += a[k] * b[k];
      return s;
    case VS_EVAL_FN_EUCLIDEAN:
      for (gsize k = 0; k < d; k++)
        s += (a[k] - b[k]) * (a[k] - b[k]);
      return -sqrt (s);
    case VS_EVAL_FN_MANHATTAN:
      for (gsize k = 0; k < d; k++)
        s += fabs (a[k] - b[k]);
      return -s;
    case VS_EVAL_FN_ALL:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_n (gsize       n,
         gsize       min,
         const char *what,
         GError    **error)
{
  if (n < min)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s needs at least %" G_GSIZE_FORMAT " rows, not %" G_GSIZE_FORMAT, what, min, n);
      return FALSE;
    }
  return TRUE;
}

/* Every evaluator's last step: hands the primary metric's key (owned) to
 * primary_out, or frees it when the caller did not ask; returns out. */
static cJSON *
finish_metrics (cJSON  *out,
                char   *primary,
                char  **primary_out)
{
  if (primary_out != NULL)
    *primary_out = primary;
  else
    g_free (primary);
  return out;
}

/* --- EmbeddingSimilarityEvaluator ------------------------------------------------- */

cJSON *
vs_eval_similarity (const float          *a,
                    const float          *b,
                    const float          *scores,
                    gsize                 n,
                    gsize                 dim,
                    const VsEvalOptions  *options,
                    char                **primary_out,
                    GError              **error)
{
  guint fns = fns_of (options);
  gsize d;
  g_autofree double *A = NULL, *B = NULL;
  g_autofree double *gold = g_new (double, MAX (n, 1));
  g_autofree double *sim = g_new (double, MAX (n, 1));
  double pmax = -INFINITY, smax = -INFINITY;
  gchar *primary = NULL;

  if (!check_n (n, 2, "EmbeddingSimilarityEvaluator", error))
    return NULL;
  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (scores[i]))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "the score of row %" G_GSIZE_FORMAT " is not a finite number", i);
          return NULL;
        }
      gold[i] = scores[i];
    }
  if ((A = prepare (a, n, dim, options, &d, "the first", error)) == NULL ||
      (B = prepare (b, n, dim, options, &d, "the second", error)) == NULL)
    return NULL;

  cJSON *out = cJSON_CreateObject ();
  for (gsize k = 0; k < G_N_ELEMENTS (all_fns); k++)
    {
      if (!(fns & all_fns[k]))
        continue;
      const char *fn = vs_eval_fn_name (all_fns[k]);
      for (gsize i = 0; i < n; i++)
        sim[i] = row_sim (all_fns[k], A + i * d, B + i * d, d);
      double p = vs_eval_pearson (gold, sim, n);
      double s = vs_eval_spearman (gold, sim, n);
      g_autofree char *kp = key (options, "pearson_%s", fn);
      g_autofree char *ks = key (options, "spearman_%s", fn);
      add_metric (out, kp, p);
      add_metric (out, ks, s);
      if (isfinite (p))
        pmax = MAX (pmax, p);
      if (isfinite (s))
        smax = MAX (smax, s);
      if (n_fns (fns) == 1)
        primary = g_strdup (ks);
    }
  if (n_fns (fns) > 1)
    {
      g_autofree char *kp = key (options, "pearson_max");
      char *ks = key (options, "spearman_max");
      add_metric (out, kp, pmax);
      add_metric (out, ks, smax);
      primary = ks;
    }
  return finish_metrics (out, primary, primary_out);
}

/* --- TripletEvaluator ---------------------------------------------------------------- */

cJSON *
vs_eval_triplet (const float          *anchors,
                 const float          *positives,
                 const float          *negatives,
                 gsize                 n,
                 gsize                 dim,
                 const VsEvalOptions  *options,
                 char                **primary_out,
                 GError              **error)
{
  guint fns = fns_of (options);
  gsize d;
  g_autofree double *A = NULL, *P = NULL, *N = NULL;
  double best = -INFINITY;
  char *primary = NULL;

  if (!check_n (n, 1, "TripletEvaluator", error))
    return NULL;
  if ((A = prepare (anchors, n, dim, options, &d, "the anchor", error)) == NULL ||
      (P = prepare (positives, n, dim, options, &d, "the positive", error)) == NULL ||
      (N = prepare (negatives, n, dim, options, &d, "the negative", error)) == NULL)
    return NULL;

  cJSON *out = cJSON_CreateObject ();
  for (gsize k = 0; k < G_N_ELEMENTS (all_fns); k++)
    {
      if (!(fns & all_fns[k]))
        continue;
      gsize correct = 0;
      for (gsize i = 0; i < n; i++)
        if (row_sim (all_fns[k], A + i * d, P + i * d, d) > row_sim (all_fns[k], A + i * d, N + i * d, d))
          correct++;
      double acc = (double) correct / n;
      g_autofree char *ka = key (options, "%s_accuracy", vs_eval_fn_name (all_fns[k]));
      add_metric (out, ka, acc);
      best = MAX (best, acc);
      if (n_fns (fns) == 1)
        primary = g_strdup (ka);
    }
  if (n_fns (fns) > 1)
    {
      primary = key (options, "max_accuracy");
      add_metric (out, primary, best);
    }
  return finish_metrics (out, primary, primary_out);
}

/* --- BinaryClassificationEvaluator --------------------------------------------------- */

typedef struct
{
  double accuracy, accuracy_threshold, f1, f1_threshold, precision, recall, ap, mcc;
} BinaryMetrics;

static void
binary_metrics (const double  *score,
                const double  *label,
                gsize          n,
                gboolean       gib,
                BinaryMetrics *m)
{
  g_autofree gsize *idx = sorted_indices (score, n, gib);
  gsize total_pos = 0;
  for (gsize i = 0; i < n; i++)
    total_pos += label[i] == 1;

  /* accuracy search */
  double max_acc = 0, acc_thr = -1;
  gsize pos_so_far = 0, remaining_neg = n - total_pos;
  for (gsize i = 0; i + 1 < n; i++)
    {
      if (label[idx[i]] == 1)
        pos_so_far++;
      else
        remaining_neg--;
      double acc = (double) (pos_so_far + remaining_neg) / n;
      if (acc > max_acc)
        {
          max_acc = acc;
          acc_thr = (score[idx[i]] + score[idx[i + 1]]) / 2;
        }
    }
  m->accuracy = max_acc;
  m->accuracy_threshold = acc_thr;

  /* F1 search */
  double best_f1 = 0, best_p = 0, best_r = 0, f1_thr = 0;
  gsize nextract = 0, ncorrect = 0;
  for (gsize i = 0; i + 1 < n; i++)
    {
      nextract++;
      if (label[idx[i]] == 1)
        ncorrect++;
      if (ncorrect > 0)
        {
          double p = (double) ncorrect / nextract;
          double r = (double) ncorrect / total_pos;
          double f1 = 2 * p * r / (p + r);
          if (f1 > best_f1)
            {
              best_f1 = f1;
              best_p = p;
              best_r = r;
              f1_thr = (score[idx[i]] + score[idx[i + 1]]) / 2;
            }
        }
    }
  m->f1 = best_f1;
  m->precision = best_p;
  m->recall = best_r;
  m->f1_threshold = f1_thr;

  /* sklearn average_precision_score on score (gib) or -score */
  if (total_pos == 0)
    m->ap = NAN;
  else
    {
      double ap = 0, prev_r = 0;
      gsize tp = 0, fp = 0;
      for (gsize i = 0; i < n; i++)
        {
          if (label[idx[i]] == 1)
            tp++;
          else
            fp++;
          if (i + 1 < n && score[idx[i + 1]] == score[idx[i]])
            continue;   /* one threshold per distinct score */
          double r = (double) tp / total_pos;
          double p = (double) tp / (tp + fp);
          ap += (r - prev_r) * p;
          prev_r = r;
        }
      m->ap = ap;
    }

  /* sklearn matthews_corrcoef with pred = score >= f1 threshold (<= if not gib) */
  double tp = 0, tn = 0, fp = 0, fn = 0;
  for (gsize i = 0; i < n; i++)
    {
      gboolean pred = gib ? score[i] >= f1_thr : score[i] <= f1_thr;
      gboolean y = label[i] == 1;
      if (pred && y)
        tp++;
      else if (pred)
        fp++;
      else if (y)
        fn++;
      else
        tn++;
    }
  double den = sqrt ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  m->mcc = den == 0 ? 0.0 : (tp * tn - fp * fn) / den;
}

cJSON *
vs_eval_binary (const float          *a,
                const float          *b,
                const float          *labels,
                gsize                 n,
                gsize                 dim,
                const VsEvalOptions  *options,
                char                **primary_out,
                GError              **error)
{
  static const char *names[] = {
    "accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "ap", "mcc",
  };
  guint fns = fns_of (options);
  gsize d;
  g_autofree double *A = NULL, *B = NULL;
  g_autofree double *y = g_new (double, MAX (n, 1));
  g_autofree double *s = g_new (double, MAX (n, 1));
  double maxv[G_N_ELEMENTS (names)];
  char *primary = NULL;

  if (!check_n (n, 2, "BinaryClassificationEvaluator", error))
    return NULL;
  for (gsize i = 0; i < n; i++)
    {
      if (labels[i] != 0 && labels[i] != 1)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "the label of row %" G_GSIZE_FORMAT " is %g; it must be 0 or 1", i, labels[i]);
          return NULL;
        }
      y[i] = labels[i];
    }
  if ((A = prepare (a, n, dim, options, &d, "the first", error)) == NULL ||
      (B = prepare (b, n, dim, options, &d, "the second", error)) == NULL)
    return NULL;
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    maxv[k] = -INFINITY;

  cJSON *out = cJSON_CreateObject ();
  for (gsize k = 0; k < G_N_ELEMENTS (all_fns); k++)
    {
      if (!(fns & all_fns[k]))
        continue;
      VsEvalFn fn = all_fns[k];
      gboolean gib = fn == VS_EVAL_FN_COSINE || fn == VS_EVAL_FN_DOT;
      BinaryMetrics m;
      for (gsize i = 0; i < n; i++)
        {
          double v = row_sim (fn, A + i * d, B + i * d, d);
          s[i] = gib ? v : -v;   /* distances for euclidean/manhattan */
        }
      binary_metrics (s, y, n, gib, &m);
      double vals[] = { m.accuracy, m.accuracy_threshold, m.f1, m.f1_threshold,
                        m.precision, m.recall, m.ap, m.mcc };
      for (gsize j = 0; j < G_N_ELEMENTS (names); j++)
        {
          g_autofree char *kk = key (options, "%s_%s", vs_eval_fn_name (fn), names[j]);
          add_metric (out, kk, vals[j]);
          if (isfinite (vals[j]))
            maxv[j] = MAX (maxv[j], vals[j]);
        }
      if (n_fns (fns) == 1)
        primary = key (options, "%s_ap", vs_eval_fn_name (fn));
    }
  if (n_fns (fns) > 1)
    {
      for (gsize j = 0; j < G_N_ELEMENTS (names); j++)
        {
          g_autofree char *kk = key (options, "max_%s", names[j]);
          add_metric (out, kk, maxv[j]);
        }
      primary = key (options, "max_ap");
    }
  return finish_metrics (out, primary, primary_out);
}

/* --- InformationRetrievalEvaluator ----------------------------------------------------- */

static const guint default_mrr[] = { 10 };
static const guint default_ndcg[] = { 10 };
static const guint default_acc[] = { 1, 3, 5, 10 };
static const guint default_pr[] = { 1, 3, 5, 10 };
static const guint default_map[] = { 100 };

static double
dcg_at_k (const gboolean *rel,
          gsize           n,
          guint           k)
{
  double dcg = 0;
  for (gsize i = 0; i < MIN (n, (gsize) k); i++)
    if (rel[i])
      dcg += 1.0 / log2 (i + 2.0);
  return dcg;
}

/* scores[c] = sim (q, corpus row c); cosine and dot as one GEMV. */
static void
corpus_scores (VsEvalFn      fn,
               double       *scores,
               const double *q,
               const double *C,
               const double *Cn,
               gsize         n_corpus,
               gsize         d)
{
  if (fn == VS_EVAL_FN_COSINE || fn == VS_EVAL_FN_DOT)
    {
      double scale = 1.0;
      if (fn == VS_EVAL_FN_COSINE)
        {
          double r = 0;
          for (gsize k = 0; k < d; k++)
            r += q[k] * q[k];
          scale = 1.0 / MAX (sqrt (r), 1e-12);
        }
      cblas_dgemv (CblasRowMajor, CblasNoTrans, n_corpus, d, scale,
                   fn == VS_EVAL_FN_COSINE ? Cn : C, d, q, 1, 0.0, scores, 1);
      return;
    }
  for (gsize c = 0; c < n_corpus; c++)
    scores[c] = row_sim (fn, q, C + c * d, d);
}

/* The top `top` indices by score, descending; ties: lower index first. */
static void
top_k (const double *scores,
       gsize         n,
       gsize        *order,
       gsize         top)
{
  gsize len = 0;
  for (gsize c = 0; c < n; c++)
    {
      /* later indices lose ties, so only a strictly higher score enters */
      if (len == top && !(scores[c] > scores[order[len - 1]]))
        continue;
      gsize pos = len < top ? len : top - 1;
      while (pos > 0 && scores[c] > scores[order[pos - 1]])
        {
          if (pos < top)
            order[pos] = order[pos - 1];
          pos--;
        }
      order[pos] = c;
      if (len < top)
        len++;
    }
}

static gint
cmp_gint64 (gconstpointer a,
            gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

cJSON *
vs_eval_retrieval (const float             *queries,
                   gsize                    n_queries,
                   const float             *corpus,
                   gsize                    n_corpus,
                   gsize                    dim,
                   const gint64 *const     *relevant,
                   const VsEvalRetrievalK  *ks,
                   const VsEvalOptions     *options,
                   char                   **primary_out,
                   GError                 **error)
{
  const guint *mrr_k = default_mrr, *ndcg_k = default_ndcg, *acc_k = default_acc,
              *pr_k = default_pr, *map_k = default_map;
  gsize n_mrr = 1, n_ndcg = 1, n_acc = 4, n_pr = 4, n_map = 1;
  guint fns = fns_of (options);
  gsize d;
  g_autofree double *Q = NULL, *C = NULL;
  guint kmax = 0;

  if (ks != NULL)
    {
#define TAKE(field, nfield, var, nvar) \
      if (ks->field != NULL) { var = ks->field; nvar = ks->nfield; }
      TAKE (mrr_at_k, n_mrr, mrr_k, n_mrr);
      TAKE (ndcg_at_k, n_ndcg, ndcg_k, n_ndcg);
      TAKE (accuracy_at_k, n_accuracy, acc_k, n_acc);
      TAKE (precision_recall_at_k, n_precision_recall, pr_k, n_pr);
      TAKE (map_at_k, n_map, map_k, n_map);
#undef TAKE
    }
  {
    const guint *lists[] = { mrr_k, ndcg_k, acc_k, pr_k, map_k };
    gsize lens[] = { n_mrr, n_ndcg, n_acc, n_pr, n_map };
    for (gsize l = 0; l < G_N_ELEMENTS (lists); l++)
      for (gsize i = 0; i < lens[l]; i++)
        {
          if (lists[l][i] == 0)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "a cut-off k must be >= 1");
              return NULL;
            }
          kmax = MAX (kmax, lists[l][i]);
        }
  }
  if (!check_n (n_corpus, 1, "InformationRetrievalEvaluator (corpus)", error))
    return NULL;

  /* relevant sets, deduplicated and checked; queries without any are skipped */
  g_autoptr(GPtrArray) rel_sets = g_ptr_array_new_with_free_func (g_free);
  g_autofree gsize *rel_n = g_new0 (gsize, MAX (n_queries, 1));
  g_autoptr(GArray) evaluated = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize q = 0; q < n_queries; q++)
    {
      gsize m = 0;
      const gint64 *r = relevant != NULL ? relevant[q] : NULL;
      while (r != NULL && r[m] != -1)
        {
          if (r[m] < 0 || (gsize) r[m] >= n_corpus)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "query %" G_GSIZE_FORMAT ": relevant document %" G_GINT64_FORMAT
                           " is not in the corpus (0 .. %" G_GSIZE_FORMAT ")", q, r[m], n_corpus - 1);
              return NULL;
            }
          m++;
        }
      gint64 *set = g_new (gint64, MAX (m, 1));
      if (m > 0)
        memcpy (set, r, m * sizeof (gint64));
      qsort (set, m, sizeof (gint64), cmp_gint64);
      gsize u = 0;
      for (gsize i = 0; i < m; i++)
        if (u == 0 || set[u - 1] != set[i])
          set[u++] = set[i];
      rel_n[q] = u;
      g_ptr_array_add (rel_sets, set);
      if (u > 0)
        g_array_append_val (evaluated, q);
    }
  if (evaluated->len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "InformationRetrievalEvaluator: no query has a relevant document");
      return NULL;
    }
  if ((Q = prepare (queries, n_queries, dim, options, &d, "the query", error)) == NULL ||
      (C = prepare (corpus, n_corpus, dim, options, &d, "the corpus", error)) == NULL)
    return NULL;

  cJSON *out = cJSON_CreateObject ();
  g_autofree double *scores = g_new (double, n_corpus);
  gsize top = MIN ((gsize) kmax, n_corpus);
  g_autofree gboolean *hit = g_new (gboolean, MAX (top, 1));
  g_autofree gboolean *ideal = g_new (gboolean, MAX (kmax, 1));
  double best_ndcg = -INFINITY;
  char *primary = NULL;
  guint ndcg_max_k = 0;
  for (gsize i = 0; i < n_ndcg; i++)
    ndcg_max_k = MAX (ndcg_max_k, ndcg_k[i]);

  for (gsize f = 0; f < G_N_ELEMENTS (all_fns); f++)
    {
      if (!(fns & all_fns[f]))
        continue;
      VsEvalFn fn = all_fns[f];
      g_autofree double *acc = g_new0 (double, n_acc);
      g_autofree double *prec = g_new0 (double, n_pr);
      g_autofree double *rec = g_new0 (double, n_pr);
      g_autofree double *mrr = g_new0 (double, n_mrr);
      g_autofree double *ndcg = g_new0 (double, n_ndcg);
      g_autofree double *map = g_new0 (double, n_map);
      g_autofree double *Cn = NULL;
      g_autofree gsize *order = g_new (gsize, MAX (top, 1));

      if (fn == VS_EVAL_FN_COSINE)
        {
          /* unit rows once, so each query is one matrix-vector product */
          Cn = g_new (double, n_corpus * d);
          for (gsize c = 0; c < n_corpus; c++)
            {
              double r = 0;
              for (gsize k = 0; k < d; k++)
                r += C[c * d + k] * C[c * d + k];
              r = MAX (sqrt (r), 1e-12);
              for (gsize k = 0; k < d; k++)
                Cn[c * d + k] = C[c * d + k] / r;
            }
        }

      for (guint e = 0; e < evaluated->len; e++)
        {
          gsize q = g_array_index (evaluated, gsize, e);
          const gint64 *set = g_ptr_array_index (rel_sets, q);
          gsize nrel = rel_n[q];
          corpus_scores (fn, scores, Q + q * d, C, Cn, n_corpus, d);
          top_k (scores, n_corpus, order, top);
          for (gsize i = 0; i < top; i++)
            {
              gint64 id = (gint64) order[i];
              hit[i] = bsearch (&id, set, nrel, sizeof (gint64), cmp_gint64) != NULL;
            }
          for (gsize i = 0; i < n_acc; i++)
            for (gsize r = 0; r < MIN (top, (gsize) acc_k[i]); r++)
              if (hit[r])
                {
                  acc[i] += 1;
                  break;
                }
          for (gsize i = 0; i < n_pr; i++)
            {
              gsize correct = 0;
              for (gsize r = 0; r < MIN (top, (gsize) pr_k[i]); r++)
                correct += hit[r];
              prec[i] += (double) correct / pr_k[i];
              rec[i] += (double) correct / nrel;
            }
          for (gsize i = 0; i < n_mrr; i++)
            for (gsize r = 0; r < MIN (top, (gsize) mrr_k[i]); r++)
              if (hit[r])
                {
                  mrr[i] += 1.0 / (r + 1);
                  break;
                }
          for (gsize i = 0; i < n_ndcg; i++)
            {
              for (gsize r = 0; r < ndcg_k[i]; r++)
                ideal[r] = r < nrel;
              ndcg[i] += dcg_at_k (hit, top, ndcg_k[i]) / dcg_at_k (ideal, ndcg_k[i], ndcg_k[i]);
            }
          for (gsize i = 0; i < n_map; i++)
            {
              gsize correct = 0;
              double sum = 0;
              for (gsize r = 0; r < MIN (top, (gsize) map_k[i]); r++)
                if (hit[r])
                  {
                    correct++;
                    sum += (double) correct / (r + 1);
                  }
              map[i] += sum / MIN ((gsize) map_k[i], nrel);
            }
        }

      double nq = evaluated->len;
      const char *fname = vs_eval_fn_name (fn);
#define EMIT(label, arr, karr, len) \
      for (gsize i = 0; i < len; i++) \
        { \
          g_autofree char *kk = key (options, "%s_" label "@%u", fname, karr[i]); \
          add_metric (out, kk, arr[i] / nq); \
        }
      EMIT ("accuracy", acc, acc_k, n_acc);
      EMIT ("precision", prec, pr_k, n_pr);
      EMIT ("recall", rec, pr_k, n_pr);
      EMIT ("ndcg", ndcg, ndcg_k, n_ndcg);
      EMIT ("mrr", mrr, mrr_k, n_mrr);
      EMIT ("map", map, map_k, n_map);
#undef EMIT
      for (gsize i = 0; i < n_ndcg; i++)
        if (ndcg_k[i] == ndcg_max_k && ndcg[i] / nq > best_ndcg)
          {
            best_ndcg = ndcg[i] / nq;
            g_free (primary);
            primary = key (options, "%s_ndcg@%u", fname, ndcg_max_k);
          }
    }
  return finish_metrics (out, primary, primary_out);
}

const char *
vs_eval_text_role_name (VsEvalTextRole role)
{
  switch (role)
    {
    case VS_EVAL_TEXT_QUERY:
      return "query";
    case VS_EVAL_TEXT_DOCUMENT:
      return "document";
    case VS_EVAL_TEXT_SENTENCE:
    default:
      return NULL;
    }
}
