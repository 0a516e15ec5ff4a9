/* vs-text-stats.c: token lengths of a dataset's text columns. */
#include "config.h"

#include "vs-error.h"
#include "data/vs-text-stats.h"

void
vs_text_stats_free (VsTextStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->rows);
  g_free (stats->counts);
  g_free (stats->bins);
  g_free (stats);
}

VsTextStats *
vs_text_stats_compute (const VsDataset   *ds,
                       const char *const *columns,
                       guint              n_columns,
                       VsTokenizer       *tok,
                       gsize              max_length,
                       gsize              max_rows,
                       guint              n_bins,
                       GError           **error)
{
  g_autoptr(GPtrArray) cols = g_ptr_array_new ();
  VsTextStats *st;
  gsize n_total;
  guint64 sum = 0;
  guint upper;

  g_return_val_if_fail (ds != NULL, NULL);
  g_return_val_if_fail (tok != NULL, NULL);
  g_return_val_if_fail (n_bins >= 1, NULL);

  if (columns == NULL)
    {
      for (guint i = 0; i < vs_dataset_get_n_columns (ds); i++)
        if (vs_column_get_type (vs_dataset_get_column (ds, i)) == VS_COLUMN_STRING)
          g_ptr_array_add (cols, (gpointer) vs_dataset_get_column (ds, i));
    }
  else
    for (guint i = 0; i < n_columns; i++)
      {
        const VsColumn *col = vs_dataset_get_column_by_name (ds, columns[i]);

        if (col == NULL)
          {
            g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                         "column `%s`: no such column", columns[i]);
            return NULL;
          }
        if (vs_column_get_type (col) != VS_COLUMN_STRING)
          {
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "column `%s`: is %s, not text", columns[i],
                         vs_column_type_to_string (vs_column_get_type (col)));
            return NULL;
          }
        g_ptr_array_add (cols, (gpointer) col);
      }

  n_total = vs_dataset_get_n_rows (ds);
  st = g_new0 (VsTextStats, 1);
  st->n_total_rows = n_total;
  st->n_rows = max_rows > 0 && max_rows < n_total ? max_rows : n_total;
  st->sampled = st->n_rows < n_total;
  st->max_length = max_length;
  st->rows = g_new (gsize, MAX (st->n_rows, 1));
  st->counts = g_new0 (guint, MAX (st->n_rows, 1));

  for (gsize k = 0; k < st->n_rows; k++)
    {
      /* Evenly spaced, so a sample sees the whole table, not its head.
       * 128-bit-free: k * n_total fits in 64 bits for any real table. */
      gsize row = st->sampled ? (gsize) ((guint64) k * n_total / st->n_rows) : k;
      guint longest = 0;

      st->rows[k] = row;
      for (guint c = 0; c < cols->len; c++)
        {
          const VsColumn *col = g_ptr_array_index (cols, c);
          g_autoptr(VsEncoding) enc = NULL;

          if (vs_column_is_null (col, row))
            continue;
          enc = vs_tokenizer_encode_len (tok, vs_column_get_string (col, row),
                                         (gssize) vs_column_get_string_length (col, row),
                                         NULL, -1, TRUE, G_MAXSIZE);
          longest = MAX (longest, (guint) enc->n_tokens);
        }
      st->counts[k] = longest;
      sum += longest;
      if (k == 0 || longest < st->min_tokens)
        st->min_tokens = longest;
      st->max_tokens = MAX (st->max_tokens, longest);
      if (max_length > 0 && longest > max_length)
        st->n_over++;
    }
  st->mean_tokens = st->n_rows > 0 ? (double) sum / (double) st->n_rows : 0.0;

  upper = MAX (st->max_tokens, (guint) MIN (max_length, (gsize) G_MAXUINT - 1)) + 1;
  st->n_bins = n_bins;
  st->bin_width = MAX (1, (upper + n_bins - 1) / n_bins);
  st->bins = g_new0 (guint64, n_bins);
  for (gsize k = 0; k < st->n_rows; k++)
    st->bins[MIN (st->counts[k] / st->bin_width, n_bins - 1)]++;

  return st;
}
