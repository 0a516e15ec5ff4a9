/* vs-data-private.h: internals shared by the data area's files (not public).
 *
 * A column keeps its cells in growable buffers: a null bitmap, fixed-width
 * values (double / gint64 / guint8) or a string store (one byte arena with
 * NUL-terminated cells and a guint64 offset per cell). A list<string> column
 * keeps its elements in a string store and, per row, the index of its first
 * element.
 */
#pragma once

#include <glib.h>

#include "data/vs-dataset.h"

G_BEGIN_DECLS

typedef struct
{
  guint8 *data;
  gsize   len;
  gsize   cap;
} VsBuf;

typedef struct
{
  VsBuf  bytes;     /* cells, each followed by a NUL */
  VsBuf  offsets;   /* guint64 per cell + 1: start of each cell in bytes */
  VsBuf  nulls;     /* bitmap: 1 = null */
  gsize  count;
  gboolean any_null;
} VsStrings;

struct _VsColumn
{
  char         *name;
  VsColumnType  type;
  gsize         length;
  VsBuf         nulls;        /* bitmap over rows, 1 = null */
  gboolean      any_null;
  VsBuf         values;       /* FLOAT64: double, INT64: gint64, BOOL: guint8 */
  VsStrings     strings;      /* STRING: cells; STRING_LIST: elements */
  VsBuf         list_offsets; /* STRING_LIST: guint64 element index per row + 1 */
};

struct _VsDataset
{
  GPtrArray *columns;   /* VsColumn *, owned */
  char      *format;
};

void       vs_buf_append       (VsBuf *buf, const void *data, gsize len);
void       vs_buf_reserve      (VsBuf *buf, gsize extra);
void       vs_buf_clear        (VsBuf *buf);

VsColumn  *vs_column_new       (const char *name, VsColumnType type);
void       vs_column_free      (VsColumn *col);
/* Append cell `row` of src (same type) to dst. */
void       vs_column_append_from (VsColumn *dst, const VsColumn *src, gsize row);
/* Convert the column to another type in place: INT64/BOOL -> FLOAT64,
 * anything -> STRING (formatted as Python's str()), STRING -> INT64/FLOAT64/BOOL
 * (the caller checked every non-null cell parses; empty strings become null). */
void       vs_column_convert   (VsColumn *col, VsColumnType type);
/* Append a dataset's column; takes ownership. */
void       vs_dataset_take_column (VsDataset *ds, VsColumn *col);
void       vs_dataset_set_format  (VsDataset *ds, const char *format);

/* Parsing helpers shared by the readers and case detection. */
gboolean   vs_parse_int64      (const char *s, gint64 *out);
gboolean   vs_parse_double     (const char *s, double *out);
/* Python's repr of a float ("0.1", "1.0", "1e+20", "nan", "inf"). */
void       vs_format_double    (double v, char *buf, gsize size);

/* splitmix64: the data area's seeded generator. */
guint64    vs_rng_next         (guint64 *state);
/* Uniform in [0, n). */
guint64    vs_rng_below        (guint64 *state, guint64 n);
/* A seeded Fisher-Yates permutation of 0..n-1 (g_free; room for n + 1). */
gsize     *vs_permutation      (gsize n, guint64 seed);

/* What a reader needs of the load's monitor: the monitor (or NULL) and
 * where this file's bytes sit among the whole load's. */
typedef struct
{
  const VsLoadMonitor *monitor;
  guint64              done_before;  /* bytes of the load's earlier files */
  guint64              total;        /* bytes of every file of the load */
} VsReadWatch;

/* Readers call this every VS_READ_TICK_ROWS rows (and at each row group)
 * with the bytes of their file read so far: FALSE with VS_ERROR_CANCELLED
 * naming path once the load was cancelled, else reports progress. watch
 * may be NULL. */
#define VS_READ_TICK_ROWS 4096
gboolean   vs_read_watch_tick  (const VsReadWatch *watch, const char *path,
                                guint64 file_done, GError **error);

/* Readers: append into ds (empty on entry), stop after max_rows (0 = all);
 * watch may be NULL. */
gboolean   vs_read_csv         (const char *path, gboolean tsv, gsize max_rows,
                                const VsReadWatch *watch, VsDataset *ds, GError **error);
gboolean   vs_read_json        (const char *path, gsize max_rows,
                                const VsReadWatch *watch, VsDataset *ds, GError **error);
gboolean   vs_read_parquet     (const char *path, gsize max_rows,
                                const VsReadWatch *watch, VsDataset *ds, GError **error);

G_END_DECLS
