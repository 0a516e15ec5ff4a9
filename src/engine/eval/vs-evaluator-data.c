/* vs-evaluator-data.c: evaluators over a dataset: pick the columns and the
 * label, embed each distinct text once, run at each Matryoshka dimension. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "eval/vs-evaluator.h"

typedef enum
{
  KIND_SIMILARITY,
  KIND_TRIPLET,
  KIND_BINARY,
  KIND_RETRIEVAL,
} Kind;

static const struct
{
  const char *short_name;
  const char *class_name;
} kinds[] = {
  { "similarity", "EmbeddingSimilarityEvaluator" },
  { "triplet", "TripletEvaluator" },
  { "binary", "BinaryClassificationEvaluator" },
  { "retrieval", "InformationRetrievalEvaluator" },
};

struct _VsEvaluator
{
  Kind     kind;
  char   **columns;      /* NULL = automatic */
  char    *label;        /* NULL = automatic */
  gsize   *dims;
  gsize    n_dims;
  guint    functions;
  char    *prefix;
};

void
vs_evaluator_free (VsEvaluator *ev)
{
  if (ev == NULL)
    return;
  g_strfreev (ev->columns);
  g_free (ev->label);
  g_free (ev->dims);
  g_free (ev->prefix);
  g_free (ev);
}

const char *
vs_evaluator_get_kind (VsEvaluator *ev)
{
  g_return_val_if_fail (ev != NULL, NULL);
  return kinds[ev->kind].short_name;
}

VsEvaluator *
vs_evaluator_new (const cJSON  *config,
                  GError      **error)
{
  g_autoptr(VsEvaluator) ev = g_new0 (VsEvaluator, 1);
  const cJSON *item;
  gboolean found = FALSE;

  if (!cJSON_IsObject (config))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "evaluator: expected a JSON object");
      return NULL;
    }
  cJSON_ArrayForEach (item, config)
    {
      static const char *known[] = { "name", "columns", "label", "dims", "similarity_fn_names", "prefix", NULL };
      if (!g_strv_contains (known, item->string))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "evaluator: unknown field '%s' (name, columns, label, dims, "
                       "similarity_fn_names, prefix)", item->string);
          return NULL;
        }
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "name");
  for (gsize k = 0; cJSON_IsString (item) && k < G_N_ELEMENTS (kinds); k++)
    if (strcmp (item->valuestring, kinds[k].short_name) == 0 ||
        strcmp (item->valuestring, kinds[k].class_name) == 0)
      {
        ev->kind = (Kind) k;
        found = TRUE;
      }
  if (!found)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "evaluator.name: expected similarity, triplet, binary or retrieval");
      return NULL;
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "columns");
  if (item != NULL && !cJSON_IsNull (item))
    {
      const cJSON *c;
      GPtrArray *cols = g_ptr_array_new ();
      if (!cJSON_IsArray (item))
        {
          g_ptr_array_free (cols, TRUE);
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "evaluator.columns: expected an array of names");
          return NULL;
        }
      cJSON_ArrayForEach (c, item)
        {
          if (!cJSON_IsString (c))
            {
              g_ptr_array_free (cols, TRUE);
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "evaluator.columns: expected an array of names");
              return NULL;
            }
          g_ptr_array_add (cols, g_strdup (c->valuestring));
        }
      g_ptr_array_add (cols, NULL);
      ev->columns = (char **) g_ptr_array_free (cols, FALSE);
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "label");
  if (cJSON_IsString (item))
    ev->label = g_strdup (item->valuestring);
  else if (item != NULL && !cJSON_IsNull (item))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "evaluator.label: expected a column name");
      return NULL;
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "dims");
  if (item != NULL && !cJSON_IsNull (item))
    {
      const cJSON *d;
      if (!cJSON_IsArray (item) || cJSON_GetArraySize (item) == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "evaluator.dims: expected a non-empty array of sizes");
          return NULL;
        }
      ev->dims = g_new (gsize, cJSON_GetArraySize (item));
      cJSON_ArrayForEach (d, item)
        {
          if (!cJSON_IsNumber (d) || d->valuedouble < 1 || d->valuedouble != floor (d->valuedouble) ||
              d->valuedouble > 1e7)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "evaluator.dims: every dimension must be a positive integer");
              return NULL;
            }
          ev->dims[ev->n_dims++] = (gsize) d->valuedouble;
        }
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "similarity_fn_names");
  if (item == NULL || cJSON_IsNull (item))
    ev->functions = ev->kind == KIND_RETRIEVAL ? VS_EVAL_FN_COSINE : VS_EVAL_FN_ALL;
  else if (cJSON_IsString (item))
    {
      ev->functions = vs_eval_parse_functions (item->valuestring, error);
      if (ev->functions == 0)
        {
          g_prefix_error (error, "evaluator.similarity_fn_names: ");
          return NULL;
        }
    }
  else if (cJSON_IsArray (item))
    {
      const cJSON *f;
      cJSON_ArrayForEach (f, item)
        {
          guint bits = cJSON_IsString (f) ? vs_eval_parse_functions (f->valuestring, error) : 0;
          if (bits == 0)
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "expected names");
              g_prefix_error (error, "evaluator.similarity_fn_names: ");
              return NULL;
            }
          ev->functions |= bits;
        }
      if (ev->functions == 0)
        ev->functions = VS_EVAL_FN_COSINE;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "evaluator.similarity_fn_names: expected a list of names or \"all\"");
      return NULL;
    }

  item = cJSON_GetObjectItemCaseSensitive (config, "prefix");
  if (cJSON_IsString (item) && item->valuestring[0] != '\0')
    ev->prefix = g_strdup (item->valuestring);

  return g_steal_pointer (&ev);
}

/* --- reading the dataset --------------------------------------------------- */

static guint
needed_columns (Kind kind)
{
  return kind == KIND_TRIPLET ? 3 : 2;
}

static gboolean
resolve_columns (VsEvaluator      *ev,
                 const VsDataset  *ds,
                 const char       *label,
                 GPtrArray        *out,
                 GError          **error)
{
  guint need = needed_columns (ev->kind);
  gboolean many = ev->kind == KIND_RETRIEVAL;

  if (ev->columns != NULL)
    {
      for (guint i = 0; ev->columns[i] != NULL; i++)
        {
          const VsColumn *c = vs_dataset_get_column_by_name (ds, ev->columns[i]);
          if (c == NULL)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                           "the dataset has no column '%s'", ev->columns[i]);
              return FALSE;
            }
          if (vs_column_get_type (c) != VS_COLUMN_STRING)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "column '%s' holds %s, not text", ev->columns[i],
                           vs_column_type_to_string (vs_column_get_type (c)));
              return FALSE;
            }
          g_ptr_array_add (out, (gpointer) c);
        }
    }
  else
    for (guint i = 0; i < vs_dataset_get_n_columns (ds); i++)
      {
        const VsColumn *c = vs_dataset_get_column (ds, i);
        if (vs_column_get_type (c) == VS_COLUMN_STRING &&
            (label == NULL || strcmp (vs_column_get_name (c), label) != 0) &&
            (many || out->len < need))
          g_ptr_array_add (out, (gpointer) c);
      }

  if (out->len < need || (!many && out->len > need))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "the %s evaluator needs %s%u text columns; %s %u",
                   kinds[ev->kind].short_name, many ? "at least " : "", need,
                   ev->columns != NULL ? "--columns names" : "the dataset has", out->len);
      return FALSE;
    }
  return TRUE;
}

static const VsColumn *
resolve_label (VsEvaluator      *ev,
               const VsDataset  *ds,
               GError          **error)
{
  const VsColumn *c = NULL;

  if (ev->label != NULL)
    {
      c = vs_dataset_get_column_by_name (ds, ev->label);
      if (c == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "the dataset has no label column '%s'", ev->label);
          return NULL;
        }
    }
  else
    {
      c = vs_dataset_get_column_by_name (ds, "label");
      if (c == NULL)
        c = vs_dataset_get_column_by_name (ds, "score");
      if (c == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "the %s evaluator needs a label: the dataset has no 'label' or 'score' column "
                       "(name one with --label)", kinds[ev->kind].short_name);
          return NULL;
        }
    }
  VsColumnType t = vs_column_get_type (c);
  if (t != VS_COLUMN_FLOAT64 && t != VS_COLUMN_INT64 && t != VS_COLUMN_BOOL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "label column '%s' holds %s, not numbers",
                   vs_column_get_name (c), vs_column_type_to_string (t));
      return NULL;
    }
  return c;
}

/* Distinct texts of the given columns -> one encode call; emb[c] [n, dim]. */
typedef struct
{
  GHashTable *index;    /* text -> position + 1 */
  GPtrArray  *texts;    /* borrowed strings */
  float      *emb;      /* [n_texts, dim] */
} TextTable;

static void
text_table_clear (TextTable *t)
{
  g_clear_pointer (&t->index, g_hash_table_unref);
  g_clear_pointer (&t->texts, g_ptr_array_unref);
  g_clear_pointer (&t->emb, g_free);
}

static gboolean
text_table_add_column (TextTable       *t,
                       const VsColumn  *c,
                       gsize            n_rows,
                       GError         **error)
{
  for (gsize r = 0; r < n_rows; r++)
    {
      const char *s = vs_column_get_string (c, r);
      if (s == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "column '%s', row %" G_GSIZE_FORMAT ": the text is null",
                       vs_column_get_name (c), r);
          return FALSE;
        }
      if (!g_hash_table_contains (t->index, s))
        {
          g_ptr_array_add (t->texts, (gpointer) s);
          g_hash_table_insert (t->index, (gpointer) s, GSIZE_TO_POINTER (t->texts->len));
        }
    }
  return TRUE;
}

static gsize
text_table_pos (TextTable  *t,
                const char *s)
{
  return GPOINTER_TO_SIZE (g_hash_table_lookup (t->index, s)) - 1;
}

/* rows' embeddings of one column: [n_rows, dim] */
static float *
gather (TextTable      *t,
        const VsColumn *c,
        gsize           n_rows,
        gsize           dim)
{
  float *out = g_new (float, MAX (n_rows * dim, 1));
  for (gsize r = 0; r < n_rows; r++)
    memcpy (out + r * dim, t->emb + text_table_pos (t, vs_column_get_string (c, r)) * dim,
            dim * sizeof (float));
  return out;
}

static void
merge_into (cJSON *dst,
            cJSON *src)
{
  while (src->child != NULL)
    {
      cJSON *item = cJSON_DetachItemViaPointer (src, src->child);
      cJSON_AddItemToObject (dst, item->string, item);
    }
  cJSON_Delete (src);
}

cJSON *
vs_evaluator_evaluate (VsEvaluator       *ev,
                       const VsDataset   *ds,
                       gsize              dim,
                       VsEvalEncodeFunc   encode,
                       gpointer           user_data,
                       char             **primary_out,
                       GError           **error)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new ();
  const VsColumn *label = NULL;
  gsize n = vs_dataset_get_n_rows (ds);
  TextTable t = { g_hash_table_new (g_str_hash, g_str_equal), g_ptr_array_new (), NULL };
  g_autofree float *labels = NULL;
  cJSON *out = NULL;
  char *primary = NULL;
  g_autofree float *retrieval_q = NULL;
  g_autofree float *retrieval_c = NULL;

  g_return_val_if_fail (ev != NULL && ds != NULL && encode != NULL, NULL);

  if (dim == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the embedding size is 0");
      goto fail;
    }
  if (n == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the evaluation dataset is empty");
      goto fail;
    }
  if (ev->kind == KIND_SIMILARITY || ev->kind == KIND_BINARY)
    {
      label = resolve_label (ev, ds, error);
      if (label == NULL)
        goto fail;
      labels = g_new (float, n);
      for (gsize r = 0; r < n; r++)
        {
          double v = vs_column_get_double (label, r);
          if (!isfinite (v) || (ev->kind == KIND_BINARY && v != 0 && v != 1))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "label column '%s', row %" G_GSIZE_FORMAT ": %s",
                           vs_column_get_name (label), r,
                           !isfinite (v) ? "the value is null or not a number" : "the label must be 0 or 1");
              goto fail;
            }
          labels[r] = (float) v;
        }
    }
  if (!resolve_columns (ev, ds, label != NULL ? vs_column_get_name (label) : NULL, cols, error))
    goto fail;
  for (gsize i = 0; i < ev->n_dims; i++)
    if (ev->dims[i] > dim)
      {
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                     "dimension %" G_GSIZE_FORMAT " is larger than the model's embedding size %" G_GSIZE_FORMAT,
                     ev->dims[i], dim);
        goto fail;
      }

  for (guint c = 0; c < cols->len; c++)
    if (!text_table_add_column (&t, cols->pdata[c], n, error))
      goto fail;
  if ((double) t.texts->len * dim > 4e9)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "too many texts to embed at once");
      goto fail;
    }
  if (ev->kind != KIND_RETRIEVAL)
    {
      t.emb = g_new (float, t.texts->len * dim);
      if (!encode ((const char *const *) t.texts->pdata, t.texts->len, VS_EVAL_TEXT_SENTENCE,
                   t.emb, user_data, error))
        goto fail;
    }

  out = cJSON_CreateObject ();
  for (gsize di = 0; di < MAX (ev->n_dims, 1); di++)
    {
      g_autofree char *name = NULL;
      char *prim = NULL;
      cJSON *m = NULL;
      if (ev->n_dims > 0)
        name = ev->prefix != NULL ? g_strdup_printf ("%s_dim_%" G_GSIZE_FORMAT, ev->prefix, ev->dims[di])
                                  : g_strdup_printf ("dim_%" G_GSIZE_FORMAT, ev->dims[di]);
      else
        name = g_strdup (ev->prefix);
      VsEvalOptions o = { ev->functions, ev->n_dims > 0 ? ev->dims[di] : 0, name, FALSE };

      switch (ev->kind)
        {
        case KIND_SIMILARITY:
        case KIND_BINARY:
          {
            g_autofree float *a = gather (&t, cols->pdata[0], n, dim);
            g_autofree float *b = gather (&t, cols->pdata[1], n, dim);
            m = (ev->kind == KIND_SIMILARITY ? vs_eval_similarity : vs_eval_binary)
                  (a, b, labels, n, dim, &o, &prim, error);
          }
          break;
        case KIND_TRIPLET:
          {
            g_autofree float *a = gather (&t, cols->pdata[0], n, dim);
            g_autofree float *p = gather (&t, cols->pdata[1], n, dim);
            g_autofree float *q = gather (&t, cols->pdata[2], n, dim);
            m = vs_eval_triplet (a, p, q, n, dim, &o, &prim, error);
          }
          break;
        case KIND_RETRIEVAL:
          {
            /* queries: distinct first-column texts; corpus: distinct texts
             * of the other columns; relevant: second-column texts per query */
            g_autoptr(GHashTable) qidx = g_hash_table_new (g_str_hash, g_str_equal);
            g_autoptr(GHashTable) cidx = g_hash_table_new (g_str_hash, g_str_equal);
            g_autoptr(GPtrArray) qtexts = g_ptr_array_new ();
            g_autoptr(GPtrArray) ctexts = g_ptr_array_new ();
            g_autoptr(GPtrArray) rel = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
            for (guint c = 1; c < cols->len; c++)
              for (gsize r = 0; r < n; r++)
                {
                  const char *s = vs_column_get_string (cols->pdata[c], r);
                  if (!g_hash_table_contains (cidx, s))
                    {
                      g_ptr_array_add (ctexts, (gpointer) s);
                      g_hash_table_insert (cidx, (gpointer) s, GSIZE_TO_POINTER (ctexts->len));
                    }
                }
            for (gsize r = 0; r < n; r++)
              {
                const char *q = vs_column_get_string (cols->pdata[0], r);
                const char *d = vs_column_get_string (cols->pdata[1], r);
                gsize qi;
                if (!g_hash_table_contains (qidx, q))
                  {
                    g_ptr_array_add (qtexts, (gpointer) q);
                    g_hash_table_insert (qidx, (gpointer) q, GSIZE_TO_POINTER (qtexts->len));
                    g_ptr_array_add (rel, g_array_new (FALSE, FALSE, sizeof (gint64)));
                  }
                qi = GPOINTER_TO_SIZE (g_hash_table_lookup (qidx, q)) - 1;
                gint64 di64 = (gint64) GPOINTER_TO_SIZE (g_hash_table_lookup (cidx, d)) - 1;
                g_array_append_val (rel->pdata[qi], di64);
              }
            g_autofree const gint64 **rel_lists = g_new (const gint64 *, qtexts->len);
            for (guint q = 0; q < qtexts->len; q++)
              {
                gint64 end = -1;
                g_array_append_val (rel->pdata[q], end);
                rel_lists[q] = (const gint64 *) ((GArray *) rel->pdata[q])->data;
              }
            if (retrieval_q == NULL)
              {
                /* queries and documents are embedded once, each with its role */
                retrieval_q = g_new (float, qtexts->len * dim);
                retrieval_c = g_new (float, ctexts->len * dim);
                if (!encode ((const char *const *) qtexts->pdata, qtexts->len, VS_EVAL_TEXT_QUERY,
                             retrieval_q, user_data, error) ||
                    !encode ((const char *const *) ctexts->pdata, ctexts->len, VS_EVAL_TEXT_DOCUMENT,
                             retrieval_c, user_data, error))
                  {
                    g_clear_pointer (&out, cJSON_Delete);
                    goto fail;
                  }
              }
            m = vs_eval_retrieval (retrieval_q, qtexts->len, retrieval_c, ctexts->len, dim, rel_lists,
                                   NULL, &o, &prim, error);
          }
          break;
        default:
          g_assert_not_reached ();
        }
      if (m == NULL)
        {
          g_free (prim);
          g_clear_pointer (&out, cJSON_Delete);
          goto fail;
        }
      merge_into (out, m);
      if (primary == NULL)
        primary = prim;
      else
        g_free (prim);
    }
  if (primary_out != NULL)
    *primary_out = g_steal_pointer (&primary);
  g_free (primary);
  text_table_clear (&t);
  return out;

fail:
  g_free (primary);
  text_table_clear (&t);
  return NULL;
}
