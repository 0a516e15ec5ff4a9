/* vs-text-stats.h: how long a dataset's texts are, in a tokenizer's tokens.
 *
 * Counts the tokens of each row's text columns as the model will see them
 * (special tokens included, no truncation) and reports the distribution:
 * per counted row the longest of its columns, a histogram of those lengths,
 * and how many rows are longer than a maximum length (those the model
 * truncates). Big tables may be sampled: at most max_rows rows, evenly
 * spaced over the table (deterministic), and the result says so.
 *
 *   g_autoptr(VsTextStats) st = vs_text_stats_compute (ds, cols, 2, tok, 128,
 *                                                      10000, 24, &error);
 *   g_print ("%zu of %zu rows are longer than %zu tokens\n",
 *            st->n_over, st->n_rows, st->max_length);
 *
 * Thread safety: reads the dataset and encodes with the tokenizer (which is
 * thread-safe), so it may run on a worker while others read both.
 */
#pragma once

#include <glib.h>

#include "data/vs-dataset.h"
#include "tokenizer/vs-tokenizer.h"

G_BEGIN_DECLS

typedef struct
{
  gsize    n_rows;        /* rows counted (all rows, or the sample) */
  gsize    n_total_rows;  /* rows in the dataset */
  gboolean sampled;       /* n_rows < n_total_rows */
  gsize   *rows;          /* n_rows: the dataset row of each count, increasing */
  guint   *counts;        /* n_rows: tokens of the row's longest text column
                             (0 when every text cell is null) */
  guint    min_tokens;    /* over the counted rows (0 when none) */
  guint    max_tokens;
  double   mean_tokens;
  gsize    max_length;    /* the limit counted against; 0 = none */
  gsize    n_over;        /* counted rows with more than max_length tokens */
  guint    n_bins;
  guint    bin_width;     /* bins[i] counts rows with i*w <= tokens < (i+1)*w */
  guint64 *bins;          /* n_bins; the last bin also holds anything longer */
} VsTextStats;

/* columns: the text (string) columns to count, NULL = every string column.
 * max_length: rows longer than this are counted in n_over (0 = no limit).
 * max_rows: the most rows to count (0 = all). n_bins >= 1: the bins cover
 * 0 .. max(max_tokens, max_length) + 1. NULL with VS_ERROR_NOT_FOUND for a
 * missing column, VS_ERROR_INVALID for a column that is not text. */
VsTextStats *vs_text_stats_compute (const VsDataset   *ds,
                                    const char *const *columns,
                                    guint              n_columns,
                                    VsTokenizer       *tok,
                                    gsize              max_length,
                                    gsize              max_rows,
                                    guint              n_bins,
                                    GError           **error);
void         vs_text_stats_free    (VsTextStats       *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsTextStats, vs_text_stats_free)

G_END_DECLS
