/* vs-sampler.c: sentence-transformers' batch samplers (sampler.py).
 *
 * Each epoch's batches are computed when the epoch starts, from seed + epoch
 * alone, so a position (epoch, batch) saved in a checkpoint resumes exactly.
 *
 * BATCH: a random permutation cut into batches (torch's RandomSampler +
 * BatchSampler; the permutation comes from splitmix64, not torch's generator).
 * NO_DUPLICATES (NoDuplicatesBatchSampler): scan the remaining indices of a
 * permutation in order and add a row unless one of its cell values (str();
 * the label column, or by default "label" and "score", excluded) is already
 * in the batch; yield at batch_size; a scan
 * that ends early yields a partial batch unless drop_last; the batch's rows
 * leave the pool and the scan restarts.
 * GROUP_BY_LABEL (GroupByLabelBatchSampler): per label keep the first even
 * number of rows (labels with fewer than 2 rows drop out), visit the labels in
 * random order, concatenate and cut into batches; since every group and the
 * batch size are even, a label present in a batch has at least 2 rows there.
 */
#include "config.h"

#include <string.h>

#include "data/vs-data-private.h"
#include "vs-error.h"

struct _VsSampler
{
  const VsDataset *ds;
  VsSamplerKind    kind;
  guint            batch_size;
  gboolean         drop_last;
  guint64          seed;
  int              label;        /* column index or -1 */
  gsize            n_rows;
  guint64         *hashes;       /* NO_DUPLICATES: [n_rows, n_hash_cols] */
  guint            n_hash_cols;
  GArray          *groups;       /* GROUP_BY_LABEL: GArray of GArray<gsize> */
  /* the current epoch */
  guint64          epoch;
  gboolean         computed;
  GArray          *rows;         /* gsize, all batches back to back */
  GArray          *starts;       /* gsize, start of each batch in rows, + end */
  gsize            cursor;       /* batches yielded */
};

static guint64
hash_bytes (const char *s)
{
  /* FNV-1a 64 */
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      h ^= *p;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

static void
free_group (gpointer p)
{
  g_array_unref (*(GArray **) p);
}

VsSampler *
vs_sampler_new (const VsDataset *ds,
                VsSamplerKind    kind,
                guint            batch_size,
                gboolean         drop_last,
                guint64          seed,
                const char      *label_column,
                GError         **error)
{
  g_autoptr(VsSampler) s = g_new0 (VsSampler, 1);

  g_return_val_if_fail (ds != NULL, NULL);
  s->ds = ds;
  s->kind = kind;
  s->batch_size = batch_size;
  s->drop_last = drop_last;
  s->seed = seed;
  s->n_rows = vs_dataset_get_n_rows (ds);
  s->rows = g_array_new (FALSE, FALSE, sizeof (gsize));
  s->starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  s->label = -1;

  if (batch_size == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "batch size must be at least 1");
      return NULL;
    }
  if (s->n_rows == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the dataset has no rows to sample");
      return NULL;
    }
  if (label_column != NULL)
    {
      s->label = vs_dataset_find_column (ds, label_column);
      if (s->label < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "sampler: no label column “%s”", label_column);
          return NULL;
        }
    }
  else
    {
      s->label = vs_dataset_find_column (ds, "label");
      if (s->label < 0)
        s->label = vs_dataset_find_column (ds, "score");
    }

  if (kind == VS_SAMPLER_NO_DUPLICATES)
    {
      guint nc = vs_dataset_get_n_columns (ds);
      guint k = 0;
      /* Excluded: the given label column, else every column named "label"
       * or "score" (sentence-transformers' valid_label_columns). */
      g_autofree gboolean *skip = g_new0 (gboolean, nc + 1);

      for (guint c = 0; c < nc; c++)
        {
          const char *name = vs_column_get_name (vs_dataset_get_column (ds, c));
          skip[c] = label_column != NULL ? (int) c == s->label
                                         : (strcmp (name, "label") == 0 || strcmp (name, "score") == 0);
          if (!skip[c])
            s->n_hash_cols++;
        }
      s->hashes = g_new (guint64, s->n_rows * MAX (s->n_hash_cols, 1u) + 1);
      for (guint c = 0; c < nc; c++)
        {
          const VsColumn *col = vs_dataset_get_column (ds, c);
          if (skip[c])
            continue;
          for (gsize r = 0; r < s->n_rows; r++)
            {
              g_autofree char *cell = vs_column_format_cell (col, r);
              s->hashes[r * s->n_hash_cols + k] = hash_bytes (cell);
            }
          k++;
        }
    }
  else if (kind == VS_SAMPLER_GROUP_BY_LABEL)
    {
      g_autoptr(GHashTable) by_label = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      const VsColumn *col;

      if (batch_size % 2 != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "the batch size for GROUP_BY_LABEL must be even, not %u", batch_size);
          return NULL;
        }
      if (s->label < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "GROUP_BY_LABEL needs a label column (“label” or “score”)");
          return NULL;
        }
      col = vs_dataset_get_column (ds, s->label);
      s->groups = g_array_new (FALSE, FALSE, sizeof (GArray *));
      g_array_set_clear_func (s->groups, free_group);
      for (gsize r = 0; r < s->n_rows; r++)
        {
          g_autofree char *key = vs_column_format_cell (col, r);
          gpointer idx;
          GArray *g;

          if (!g_hash_table_lookup_extended (by_label, key, NULL, &idx))
            {
              g = g_array_new (FALSE, FALSE, sizeof (gsize));
              g_array_append_val (s->groups, g);
              idx = GUINT_TO_POINTER (s->groups->len - 1);
              g_hash_table_insert (by_label, g_steal_pointer (&key), idx);
            }
          g = g_array_index (s->groups, GArray *, GPOINTER_TO_UINT (idx));
          g_array_append_val (g, r);
        }
      /* Even counts; groups of fewer than 2 drop out. */
      for (guint i = s->groups->len; i-- > 0;)
        {
          GArray *g = g_array_index (s->groups, GArray *, i);
          g_array_set_size (g, g->len / 2 * 2);
          if (g->len == 0)
            g_array_remove_index (s->groups, i);
        }
      if (s->groups->len == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "GROUP_BY_LABEL: no label has 2 or more rows");
          return NULL;
        }
    }
  vs_sampler_set_epoch (s, 0);
  return g_steal_pointer (&s);
}

void
vs_sampler_free (VsSampler *s)
{
  if (s == NULL)
    return;
  g_free (s->hashes);
  if (s->groups != NULL)
    g_array_unref (s->groups);
  g_array_unref (s->rows);
  g_array_unref (s->starts);
  g_free (s);
}

static void
push_batch (VsSampler   *s,
            const gsize *rows,
            gsize        n)
{
  gsize start = s->rows->len;

  if (n == 0)
    return;
  g_array_append_vals (s->rows, rows, n);
  if (s->starts->len == 0)
    g_array_append_val (s->starts, start);
  start = s->rows->len;
  g_array_append_val (s->starts, start);
}

static void
compute_epoch (VsSampler *s)
{
  guint64 seed = s->seed + s->epoch;
  gsize B = s->batch_size;

  g_array_set_size (s->rows, 0);
  g_array_set_size (s->starts, 0);

  switch (s->kind)
    {
    case VS_SAMPLER_BATCH:
      {
        g_autofree gsize *perm = vs_permutation (s->n_rows, seed);
        for (gsize i = 0; i < s->n_rows; i += B)
          {
            gsize n = MIN (B, s->n_rows - i);
            if (n < B && s->drop_last)
              break;
            push_batch (s, perm + i, n);
          }
      }
      break;

    case VS_SAMPLER_NO_DUPLICATES:
      {
        g_autofree gsize *remaining = vs_permutation (s->n_rows, seed);
        gsize n_rem = s->n_rows;
        g_autofree gsize *batch = g_new (gsize, B + 1);
        g_autoptr(GHashTable) values = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, NULL);
        g_autofree guint64 *keys = g_new (guint64, (B + 1) * MAX (s->n_hash_cols, 1u));
        g_autofree guint8 *used = g_new0 (guint8, s->n_rows);

        while (n_rem > 0)
          {
            gsize nb = 0;
            gsize nk = 0;
            gsize w = 0;

            g_hash_table_remove_all (values);
            for (gsize i = 0; i < n_rem; i++)
              {
                gsize r = remaining[i];
                const guint64 *h = s->hashes + r * s->n_hash_cols;
                gboolean clash = FALSE;

                for (guint c = 0; c < s->n_hash_cols && !clash; c++)
                  clash = g_hash_table_contains (values, &h[c]);
                if (clash)
                  continue;
                batch[nb++] = r;
                used[r] = 1;
                if (nb == B)
                  break;
                for (guint c = 0; c < s->n_hash_cols; c++)
                  {
                    keys[nk] = h[c];
                    g_hash_table_add (values, &keys[nk]);
                    nk++;
                  }
              }
            if (nb == B || !s->drop_last)
              push_batch (s, batch, nb);
            /* The batch's rows leave the pool (also a dropped partial one). */
            for (gsize i = 0; i < n_rem; i++)
              if (!used[remaining[i]])
                remaining[w++] = remaining[i];
            n_rem = w;
          }
      }
      break;

    case VS_SAMPLER_GROUP_BY_LABEL:
    default:
      {
        g_autofree gsize *order = vs_permutation (s->groups->len, seed);
        g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gsize));

        for (gsize i = 0; i < s->groups->len; i++)
          {
            GArray *g = g_array_index (s->groups, GArray *, order[i]);
            g_array_append_vals (all, g->data, g->len);
          }
        for (gsize i = 0; i < all->len; i += B)
          {
            gsize n = MIN (B, all->len - i);
            if (n < B && s->drop_last)
              break;
            push_batch (s, &g_array_index (all, gsize, i), n);
          }
      }
      break;
    }
  s->computed = TRUE;
}

void
vs_sampler_set_epoch (VsSampler *s,
                      guint64    epoch)
{
  g_return_if_fail (s != NULL);
  s->epoch = epoch;
  s->cursor = 0;
  compute_epoch (s);
}

const gsize *
vs_sampler_next (VsSampler *s,
                 gsize     *n_rows)
{
  gsize n_batches;
  gsize a, b;

  g_return_val_if_fail (s != NULL && n_rows != NULL, NULL);
  n_batches = s->starts->len > 0 ? s->starts->len - 1 : 0;
  if (s->cursor >= n_batches)
    {
      *n_rows = 0;
      return NULL;
    }
  a = g_array_index (s->starts, gsize, s->cursor);
  b = g_array_index (s->starts, gsize, s->cursor + 1);
  s->cursor++;
  *n_rows = b - a;
  return &g_array_index (s->rows, gsize, a);
}

VsSamplerPosition
vs_sampler_get_position (const VsSampler *s)
{
  VsSamplerPosition pos = { 0, 0 };

  g_return_val_if_fail (s != NULL, pos);
  pos.epoch = s->epoch;
  pos.batch = s->cursor;
  return pos;
}

gboolean
vs_sampler_set_position (VsSampler         *s,
                         VsSamplerPosition  pos,
                         GError           **error)
{
  gsize n_batches;

  g_return_val_if_fail (s != NULL, FALSE);
  if (pos.epoch != s->epoch || !s->computed)
    vs_sampler_set_epoch (s, pos.epoch);
  n_batches = s->starts->len > 0 ? s->starts->len - 1 : 0;
  if (pos.batch > n_batches)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "sampler position: batch %" G_GUINT64_FORMAT " is past the end of epoch %" G_GUINT64_FORMAT
                   " (%" G_GSIZE_FORMAT " batches)", pos.batch, pos.epoch, n_batches);
      return FALSE;
    }
  s->cursor = pos.batch;
  return TRUE;
}

gsize
vs_sampler_get_n_batches (const VsSampler *s)
{
  gsize n = 0;

  g_return_val_if_fail (s != NULL, 0);
  if (s->kind == VS_SAMPLER_GROUP_BY_LABEL)
    for (guint i = 0; i < s->groups->len; i++)
      n += g_array_index (s->groups, GArray *, i)->len;
  else
    n = s->n_rows;
  return s->drop_last ? n / s->batch_size : (n + s->batch_size - 1) / s->batch_size;
}
