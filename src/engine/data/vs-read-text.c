/* vs-read-text.c: streaming CSV/TSV and JSON/JSON Lines readers (.gz too).
 *
 * Both read through zlib's gzread, which passes plain files through
 * unchanged, in 64 KiB chunks: memory is the column store plus one record.
 *
 * CSV follows RFC 4180 (quoted fields, "" for a quote, newlines inside
 * quotes, CRLF or LF), skips a UTF-8 BOM, and is lenient the way Python's csv
 * module is with a stray quote inside an unquoted field. TSV has no quoting
 * (IANA text/tab-separated-values): a quote is an ordinary character. A ".csv"
 * file whose lines hold a constant number of tabs and not of commas is read as
 * TSV (the STS Benchmark files are). The first row is the header unless one of
 * its cells is a number; headerless columns are named column0, column1, ...
 * (DuckDB's names). Every row must have as many fields as the first.
 * After reading, a column whose non-empty cells all parse as integers becomes
 * int64, as numbers float64, as true/false bool; empty cells there are null.
 *
 * JSON: a top-level array of objects (streamed element by element), JSON
 * Lines (one object per line; also accepted in a .json file), or one object
 * holding the rows ({"data": [{...}, ...]}) or the columns ({"a": [...],
 * "b": [...]}). Nested objects flatten to "parent.child" columns, except the
 * embedding-data layout {"set": {"query": q, "pos": [...], "neg": [...]}} or
 * {"set": [s1, s2, ...]}, which becomes anchor/positive rows (one per
 * positive; for a list, s1 paired with each later sentence) with the
 * negatives as columns negative_1..negative_n ("negative" when there is one).
 * FlagEmbedding's {"query": q, "pos": [...], "neg": [...]} rows (the same
 * without "set") flatten the same way; other keys of the row are kept.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "data/vs-data-private.h"
#include "vs-error.h"

#define INPUT_CHUNK (1 << 16)

typedef struct
{
  gzFile        gz;
  const char   *path;
  guint8        buf[INPUT_CHUNK];
  int           len;
  int           pos;
  gboolean      eof;
  gboolean      failed;
  guint64       line;     /* 1-based line of the next byte */
} Input;

static gboolean
input_open (Input      *in,
            const char *path,
            GError    **error)
{
  memset (in, 0, sizeof *in);
  in->path = path;
  in->line = 1;
  in->gz = gzopen (path, "rb");
  if (in->gz == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return FALSE;
    }
  gzbuffer (in->gz, INPUT_CHUNK);
  return TRUE;
}

static void
input_close (Input *in)
{
  if (in->gz != NULL)
    gzclose (in->gz);
  in->gz = NULL;
}

static gboolean
input_fill (Input *in)
{
  int n;

  if (in->eof || in->failed)
    return FALSE;
  n = gzread (in->gz, in->buf, INPUT_CHUNK);
  if (n < 0)
    {
      in->failed = TRUE;
      return FALSE;
    }
  if (n == 0)
    {
      /* gzread returns 0 both at the end and for a truncated .gz. */
      int errnum = 0;
      gzerror (in->gz, &errnum);
      if (errnum != Z_OK && errnum != Z_STREAM_END)
        in->failed = TRUE;
      in->eof = TRUE;
      return FALSE;
    }
  in->len = n;
  in->pos = 0;
  return TRUE;
}

/* Bytes of the file read so far (of a .gz file: compressed bytes). */
static guint64
input_offset (Input *in)
{
  z_off_t offset = gzoffset (in->gz);

  return offset > 0 ? (guint64) offset : 0;
}

/* Next byte, or -1 at the end (check in->failed). */
static inline int
input_getc (Input *in)
{
  int c;

  if (in->pos >= in->len && !input_fill (in))
    return -1;
  c = in->buf[in->pos++];
  if (c == '\n')
    in->line++;
  return c;
}

static inline int
input_peek (Input *in)
{
  if (in->pos >= in->len && !input_fill (in))
    return -1;
  return in->buf[in->pos];
}

static gboolean
input_check (Input   *in,
             GError **error)
{
  if (in->failed)
    {
      int errnum = 0;
      const char *msg = gzerror (in->gz, &errnum);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: line %" G_GUINT64_FORMAT ": read failed (truncated or corrupt compressed data?): %s",
                   in->path, in->line, msg != NULL ? msg : "unknown error");
      return FALSE;
    }
  return TRUE;
}

static void
input_skip_bom (Input *in)
{
  if (input_peek (in) == 0xEF && in->len - in->pos >= 3 &&
      in->buf[in->pos + 1] == 0xBB && in->buf[in->pos + 2] == 0xBF)
    in->pos += 3;
}

/* ====================================================================== */
/* CSV / TSV                                                               */

/* Count delimiter occurrences outside quotes on each of the first lines of the
 * buffered chunk; the delimiter is "consistent" when every complete line has
 * the same, nonzero count. */
static gboolean
delimiter_consistent (const guint8 *p,
                      int           len,
                      char          delim,
                      gboolean      quoting)
{
  int lines = 0;
  int first = -1;
  int count = 0;
  gboolean in_q = FALSE;

  for (int i = 0; i < len && lines < 8; i++)
    {
      if (quoting && p[i] == '"')
        in_q = !in_q;
      else if (!in_q && p[i] == (guint8) delim)
        count++;
      else if (!in_q && p[i] == '\n')
        {
          if (count == 0 || (first >= 0 && count != first))
            return FALSE;
          first = count;
          count = 0;
          lines++;
        }
    }
  return lines > 0;
}

/* Read one record into fields. Returns 1 with a record, 0 at the end, -1 on error. */
static int
csv_read_record (Input     *in,
                 char       delim,
                 gboolean   quoting,
                 GPtrArray *fields,
                 guint     *n_fields,
                 guint64   *start_line,
                 GError   **error)
{
  GString *field;
  int c;
  gboolean any = FALSE;

  *n_fields = 0;
  for (;;)
    {
      /* Skip blank lines between records. */
      c = input_peek (in);
      if (c == '\n')
        {
          input_getc (in);
          continue;
        }
      if (c == '\r')
        {
          input_getc (in);
          continue;
        }
      break;
    }
  *start_line = in->line;
  if (c < 0)
    return input_check (in, error) ? 0 : -1;

  for (;;)
    {
      guint64 field_line = in->line;
      gboolean quoted = FALSE;

      if (*n_fields >= fields->len)
        g_ptr_array_add (fields, g_string_new (NULL));
      field = fields->pdata[*n_fields];
      g_string_truncate (field, 0);
      (*n_fields)++;

      c = input_getc (in);
      if (quoting && c == '"')
        {
          quoted = TRUE;
          for (;;)
            {
              c = input_getc (in);
              if (c < 0)
                {
                  if (!input_check (in, error))
                    return -1;
                  g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                               "%s: line %" G_GUINT64_FORMAT ": quoted field never closed",
                               in->path, field_line);
                  return -1;
                }
              if (c == '"')
                {
                  if (input_peek (in) == '"')
                    {
                      input_getc (in);
                      g_string_append_c (field, '"');
                      continue;
                    }
                  break;
                }
              g_string_append_c (field, (char) c);
            }
          c = input_getc (in);
        }
      /* Unquoted field (or the rest after a closing quote, kept like
       * Python's csv does). */
      while (c >= 0 && c != delim && c != '\n' && c != '\r')
        {
          g_string_append_c (field, (char) c);
          c = input_getc (in);
        }
      any = any || quoted || field->len > 0;
      if (c == delim)
        continue;
      if (c == '\r' && input_peek (in) == '\n')
        input_getc (in);
      if (c < 0 && !input_check (in, error))
        return -1;
      return any || *n_fields > 1 ? 1 : 0;
    }
}

static void
free_gstring (gpointer p)
{
  g_string_free (p, TRUE);
}

static gboolean
cell_is_number (const char *s)
{
  double v;

  return vs_parse_double (s, &v);
}

static void
infer_column_type (VsColumn *col)
{
  gboolean all_int = TRUE, all_num = TRUE, all_bool = TRUE;
  gsize non_empty = 0;

  for (gsize r = 0; r < col->length; r++)
    {
      const char *s = vs_column_get_string (col, r);
      gint64 iv;
      double dv;

      if (s == NULL || *s == '\0')
        continue;
      non_empty++;
      if (all_int && !vs_parse_int64 (s, &iv))
        all_int = FALSE;
      if (all_num && !vs_parse_double (s, &dv))
        all_num = FALSE;
      if (all_bool && g_ascii_strcasecmp (s, "true") != 0 && g_ascii_strcasecmp (s, "false") != 0)
        all_bool = FALSE;
      if (!all_int && !all_num && !all_bool)
        return;
    }
  if (non_empty == 0)
    return;
  if (all_int)
    vs_column_convert (col, VS_COLUMN_INT64);
  else if (all_num)
    vs_column_convert (col, VS_COLUMN_FLOAT64);
  else if (all_bool)
    vs_column_convert (col, VS_COLUMN_BOOL);
}

gboolean
vs_read_csv (const char        *path,
             gboolean          tsv,
             gsize             max_rows,
             const VsReadWatch *watch,
             VsDataset        *ds,
             GError    **error)
{
  Input *in = g_new0 (Input, 1);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (free_gstring);
  char delim = tsv ? '\t' : ',';
  gboolean quoting = !tsv;
  guint n_fields = 0, n_cols = 0;
  guint64 line = 0;
  gsize rows = 0;
  gboolean ok = FALSE;
  gboolean header = TRUE;
  int r;

  if (!input_open (in, path, error))
    {
      g_free (in);
      return FALSE;
    }
  input_skip_bom (in);
  if (!tsv && input_peek (in) >= 0 &&
      delimiter_consistent (in->buf + in->pos, in->len - in->pos, '\t', FALSE) &&
      !delimiter_consistent (in->buf + in->pos, in->len - in->pos, ',', TRUE))
    {
      delim = '\t';
      quoting = FALSE;
    }

  r = csv_read_record (in, delim, quoting, fields, &n_fields, &line, error);
  if (r < 0)
    goto out;
  if (r == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the file is empty", path);
      goto out;
    }
  n_cols = n_fields;
  for (guint i = 0; i < n_fields; i++)
    if (cell_is_number (((GString *) fields->pdata[i])->str))
      header = FALSE;
  for (guint i = 0; i < n_cols; i++)
    {
      const char *cell = ((GString *) fields->pdata[i])->str;
      g_autofree char *name = NULL;

      if (!header || *cell == '\0')
        name = g_strdup_printf ("column%u", i);
      else
        name = g_strdup (cell);
      /* Duplicate header names get a suffix, as pandas does ("a.1"). */
      for (guint k = 1; vs_dataset_find_column (ds, name) >= 0; k++)
        {
          g_free (name);
          name = g_strdup_printf ("%s.%u", header && *cell ? cell : "column", k);
        }
      vs_dataset_take_column (ds, vs_column_new (name, VS_COLUMN_STRING));
    }

  for (;;)
    {
      if (!header || rows > 0 || r == 2)
        {
          if (n_fields != n_cols)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s: line %" G_GUINT64_FORMAT ": expected %u fields, found %u",
                           path, line, n_cols, n_fields);
              goto out;
            }
          for (guint i = 0; i < n_cols; i++)
            {
              GString *f = fields->pdata[i];
              if (!g_utf8_validate_len (f->str, f->len, NULL))
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                               "%s: line %" G_GUINT64_FORMAT ": field %u is not valid UTF-8 (re-save the file as UTF-8)",
                               path, line, i + 1);
                  goto out;
                }
              vs_column_append_string_len (ds->columns->pdata[i], f->str, f->len);
            }
          rows++;
          if (max_rows > 0 && rows >= max_rows)
            break;
          if (rows % VS_READ_TICK_ROWS == 0 &&
              !vs_read_watch_tick (watch, path, input_offset (in), error))
            goto out;
        }
      r = csv_read_record (in, delim, quoting, fields, &n_fields, &line, error);
      if (r < 0)
        goto out;
      if (r == 0)
        break;
      r = 2;
    }
  for (guint i = 0; i < n_cols; i++)
    infer_column_type (ds->columns->pdata[i]);
  ok = TRUE;

out:
  input_close (in);
  g_free (in);
  return ok;
}

/* ====================================================================== */
/* JSON                                                                    */

typedef struct
{
  VsColumn *col;
  gboolean  has_value;   /* a non-null value was seen: the column's type is set */
} SinkCol;

typedef struct
{
  VsDataset  *ds;
  GHashTable *by_name;    /* name -> SinkCol * (owned; the key is col->name) */
  gsize       n_rows;
  gsize       max_rows;
} RowSink;

static void
sink_init (RowSink   *sink,
           VsDataset *ds,
           gsize      max_rows)
{
  sink->ds = ds;
  sink->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  sink->n_rows = 0;
  sink->max_rows = max_rows;
}

static void
sink_clear (RowSink *sink)
{
  g_hash_table_unref (sink->by_name);
}

static gboolean
sink_full (const RowSink *sink)
{
  return sink->max_rows > 0 && sink->n_rows >= sink->max_rows;
}

static VsColumnType
json_type (const cJSON *v)
{
  if (cJSON_IsString (v))
    return VS_COLUMN_STRING;
  if (cJSON_IsBool (v))
    return VS_COLUMN_BOOL;
  if (cJSON_IsNumber (v))
    {
      double d = v->valuedouble;
      return (d == floor (d) && fabs (d) < 9007199254740992.0) ? VS_COLUMN_INT64 : VS_COLUMN_FLOAT64;
    }
  if (cJSON_IsArray (v))
    return VS_COLUMN_STRING_LIST;
  return VS_COLUMN_STRING;
}

static char *
json_scalar_text (const cJSON *v)
{
  char buf[64];

  if (cJSON_IsString (v))
    return g_strdup (v->valuestring);
  if (cJSON_IsNumber (v))
    {
      if (json_type (v) == VS_COLUMN_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) v->valuedouble);
      vs_format_double (v->valuedouble, buf, sizeof buf);
      return g_strdup (buf);
    }
  if (cJSON_IsBool (v))
    return g_strdup (cJSON_IsTrue (v) ? "True" : "False");
  if (cJSON_IsNull (v))
    return NULL;
  {
    char *printed = cJSON_PrintUnformatted (v);
    char *out = g_strdup (printed);
    cJSON_free (printed);
    return out;
  }
}

static SinkCol *
sink_column (RowSink     *sink,
             const char  *name,
             VsColumnType type)
{
  SinkCol *sc = g_hash_table_lookup (sink->by_name, name);

  if (sc == NULL)
    {
      sc = g_new0 (SinkCol, 1);
      sc->col = vs_column_new (name, type);
      for (gsize r = 0; r < sink->n_rows; r++)
        vs_column_append_null (sc->col);
      vs_dataset_take_column (sink->ds, sc->col);
      g_hash_table_insert (sink->by_name, sc->col->name, sc);
    }
  return sc;
}

static void
sink_put (RowSink     *sink,
          const char  *name,
          const cJSON *v)
{
  VsColumnType t = json_type (v);
  SinkCol *sc = sink_column (sink, name, t);
  VsColumn *col = sc->col;

  if (col->length > sink->n_rows)
    return;   /* duplicate key in one object: the first wins */
  if (cJSON_IsNull (v))
    {
      vs_column_append_null (col);
      return;
    }
  if (!sc->has_value)
    {
      /* First value: the column's type is the value's (earlier cells are null). */
      if (col->type != t)
        {
          VsColumn old;
          VsColumn *tmp = vs_column_new (col->name, t);
          for (gsize r = 0; r < col->length; r++)
            vs_column_append_null (tmp);
          /* Swap the storage in; keep the column pointer and its name
           * pointer (the hash table holds both). */
          old = *col;
          *col = *tmp;
          g_free (col->name);
          col->name = old.name;
          old.name = NULL;
          *tmp = old;
          vs_column_free (tmp);
        }
      sc->has_value = TRUE;
    }
  else if (col->type != t)
    {
      if (col->type == VS_COLUMN_INT64 && t == VS_COLUMN_FLOAT64)
        vs_column_convert (col, VS_COLUMN_FLOAT64);
      else if (col->type == VS_COLUMN_FLOAT64 && t == VS_COLUMN_INT64)
        ;
      else if (col->type == VS_COLUMN_STRING_LIST)
        ;
      else if (col->type != VS_COLUMN_STRING)
        vs_column_convert (col, VS_COLUMN_STRING);
    }

  switch (col->type)
    {
    case VS_COLUMN_STRING:
      if (cJSON_IsString (v))
        vs_column_append_string (col, v->valuestring);
      else
        {
          g_autofree char *s = json_scalar_text (v);
          vs_column_append_string (col, s);
        }
      break;
    case VS_COLUMN_FLOAT64:
      vs_column_append_double (col, v->valuedouble);
      break;
    case VS_COLUMN_INT64:
      vs_column_append_int64 (col, (gint64) v->valuedouble);
      break;
    case VS_COLUMN_BOOL:
      vs_column_append_bool (col, cJSON_IsTrue (v));
      break;
    case VS_COLUMN_STRING_LIST:
      {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
        if (cJSON_IsArray (v))
          {
            const cJSON *e;
            cJSON_ArrayForEach (e, v)
              g_ptr_array_add (items, json_scalar_text (e));
          }
        else
          g_ptr_array_add (items, json_scalar_text (v));
        vs_column_append_string_list (col, (const char *const *) items->pdata, items->len);
      }
      break;
    default:
      vs_column_append_null (col);
      break;
    }
}

static void
sink_put_object (RowSink     *sink,
                 const char  *prefix,
                 const cJSON *obj,
                 const char  *const *skip_keys)
{
  const cJSON *item;

  cJSON_ArrayForEach (item, obj)
    {
      g_autofree char *joined = NULL;
      const char *name;

      gboolean skip = item->string == NULL;

      for (guint k = 0; !skip && skip_keys != NULL && skip_keys[k] != NULL; k++)
        skip = strcmp (item->string, skip_keys[k]) == 0;
      if (skip)
        continue;
      if (prefix != NULL)
        name = joined = g_strconcat (prefix, ".", item->string, NULL);
      else
        name = item->string;
      if (cJSON_IsObject (item))
        sink_put_object (sink, name, item, NULL);
      else
        sink_put (sink, name, item);
    }
}

static void
sink_end_row (RowSink *sink)
{
  sink->n_rows++;
  for (guint c = 0; c < sink->ds->columns->len; c++)
    {
      VsColumn *col = sink->ds->columns->pdata[c];
      if (col->length < sink->n_rows)
        vs_column_append_null (col);
    }
}

static const cJSON *
object_get_any (const cJSON *obj,
                const char  *const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, keys[i]);
      if (v != NULL)
        return v;
    }
  return NULL;
}

/* One {"set": ...} row -> anchor/positive[/negative_i] rows. */
static void
sink_put_set_row (RowSink           *sink,
                  const cJSON       *row,
                  const cJSON       *set,
                  const char *const *skip_keys)
{
  static const char *const query_keys[] = { "query", "anchor", "question", "sentence", NULL };
  static const char *const pos_keys[] = { "pos", "positive", "positives", "answer", NULL };
  static const char *const neg_keys[] = { "neg", "negative", "negatives", NULL };
  const cJSON *anchor = NULL;
  g_autoptr(GPtrArray) positives = g_ptr_array_new ();
  g_autoptr(GPtrArray) negatives = g_ptr_array_new ();

  if (cJSON_IsArray (set))
    {
      const cJSON *e;
      cJSON_ArrayForEach (e, set)
        {
          if (anchor == NULL)
            anchor = e;
          else
            g_ptr_array_add (positives, (gpointer) e);
        }
    }
  else
    {
      const cJSON *pos = object_get_any (set, pos_keys);
      const cJSON *neg = object_get_any (set, neg_keys);
      const cJSON *e;

      anchor = object_get_any (set, query_keys);
      if (cJSON_IsArray (pos))
        cJSON_ArrayForEach (e, pos)
          g_ptr_array_add (positives, (gpointer) e);
      else if (pos != NULL)
        g_ptr_array_add (positives, (gpointer) pos);
      if (cJSON_IsArray (neg))
        cJSON_ArrayForEach (e, neg)
          g_ptr_array_add (negatives, (gpointer) e);
      else if (neg != NULL)
        g_ptr_array_add (negatives, (gpointer) neg);
    }

  for (guint p = 0; p < MAX (positives->len, 1u) && !sink_full (sink); p++)
    {
      if (anchor != NULL)
        sink_put (sink, "anchor", anchor);
      if (p < positives->len)
        sink_put (sink, "positive", positives->pdata[p]);
      for (guint n = 0; n < negatives->len; n++)
        {
          char name[32];
          g_snprintf (name, sizeof name, "negative_%u", n + 1);
          sink_put (sink, name, negatives->pdata[n]);
        }
      sink_put_object (sink, NULL, row, skip_keys);
      sink_end_row (sink);
    }
}

static gboolean
sink_put_row (RowSink     *sink,
              const cJSON *row,
              const char  *path,
              const char  *where,
              GError     **error)
{
  const cJSON *set;

  if (!cJSON_IsObject (row))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: %s: expected a JSON object (one row), found %s", path, where,
                   cJSON_IsArray (row) ? "an array" : "a scalar value");
      return FALSE;
    }
  set = cJSON_GetObjectItemCaseSensitive (row, "set");
  if (set != NULL && (cJSON_IsObject (set) || cJSON_IsArray (set)))
    {
      static const char *const skip_set[] = { "set", NULL };
      sink_put_set_row (sink, row, set, skip_set);
      return TRUE;
    }
  /* FlagEmbedding's layout, the same data without the "set" wrapper:
   * {"query": q, "pos": [...], "neg": [...]}. */
  if (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (row, "query")) &&
      cJSON_IsArray (cJSON_GetObjectItemCaseSensitive (row, "pos")))
    {
      static const char *const skip_flag[] = { "query", "pos", "neg", "pos_scores", "neg_scores", NULL };
      sink_put_set_row (sink, row, row, skip_flag);
      return TRUE;
    }
  sink_put_object (sink, NULL, row, NULL);
  sink_end_row (sink);
  return TRUE;
}

/* A single top-level object: {"key": [rows...]} or columns {"a": [...], ...}
 * or one row. */
static gboolean
sink_put_document (RowSink     *sink,
                   const cJSON *doc,
                   const char  *path,
                   GError     **error)
{
  const cJSON *item;
  int n_keys = cJSON_GetArraySize (doc);
  gboolean all_arrays = n_keys > 0;
  int common_len = -1;

  cJSON_ArrayForEach (item, doc)
    {
      if (cJSON_IsArray (item) && n_keys == 1)
        {
          const cJSON *first = cJSON_GetArrayItem (item, 0);
          if (first == NULL || cJSON_IsObject (first))
            {
              int i = 0;
              const cJSON *row;
              cJSON_ArrayForEach (row, item)
                {
                  g_autofree char *where = g_strdup_printf ("“%s”[%d]", item->string, i++);
                  if (sink_full (sink))
                    break;
                  if (!sink_put_row (sink, row, path, where, error))
                    return FALSE;
                }
              return TRUE;
            }
        }
      if (!cJSON_IsArray (item))
        all_arrays = FALSE;
      else if (common_len < 0)
        common_len = cJSON_GetArraySize (item);
      else if (common_len != cJSON_GetArraySize (item))
        all_arrays = FALSE;
    }
  if (all_arrays && n_keys > 1)
    {
      for (int r = 0; r < common_len && !sink_full (sink); r++)
        {
          cJSON_ArrayForEach (item, doc)
            sink_put (sink, item->string, cJSON_GetArrayItem (item, r));
          sink_end_row (sink);
        }
      return TRUE;
    }
  return sink_put_row (sink, doc, path, "line 1", error);
}

static void
finish_set_columns (VsDataset *ds)
{
  /* One negative column is called "negative" (sentence-transformers' name). */
  if (vs_dataset_find_column (ds, "negative_1") >= 0 &&
      vs_dataset_find_column (ds, "negative_2") < 0 &&
      vs_dataset_find_column (ds, "negative") < 0)
    vs_dataset_rename_column (ds, "negative_1", "negative", NULL);
}

gboolean
vs_read_json (const char        *path,
              gsize             max_rows,
              const VsReadWatch *watch,
              VsDataset        *ds,
              GError          **error)
{
  Input *in = g_new0 (Input, 1);
  RowSink sink;
  g_autoptr(GString) elem = g_string_new (NULL);
  cJSON *pending = NULL;       /* the first top-level value, until we know the layout */
  gboolean array_mode = FALSE;
  gboolean array_closed = FALSE;
  gboolean ok = FALSE;
  guint64 n_values = 0;
  guint64 elem_line = 0;
  int c;

  if (!input_open (in, path, error))
    {
      g_free (in);
      return FALSE;
    }
  sink_init (&sink, ds, max_rows);
  input_skip_bom (in);

  for (;;)
    {
      int depth = 0;
      gboolean in_str = FALSE, esc = FALSE;

      /* Skip whitespace (and commas between array elements). */
      do
        c = input_getc (in);
      while (c == ' ' || c == '\t' || c == '\n' || c == '\r' || (array_mode && c == ','));
      if (c < 0)
        break;
      if (array_closed)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: line %" G_GUINT64_FORMAT ": text after the closing ‘]’", path, in->line);
          goto out;
        }
      if (n_values == 0 && !array_mode && c == '[')
        {
          array_mode = TRUE;
          continue;
        }
      if (array_mode && c == ']')
        {
          array_closed = TRUE;
          continue;
        }

      /* Accumulate one value: an object/array up to its matching bracket, or
       * a scalar up to the next separator. */
      elem_line = in->line;
      g_string_truncate (elem, 0);
      if (c == '{' || c == '[' || c == '"')
        {
          /* Structured value: scan the buffer in spans and append each span
           * at once, until the bracket or string that opened it closes. */
          gboolean done = FALSE;

          g_string_append_c (elem, (char) c);
          if (c == '"')
            in_str = TRUE;
          else
            depth = 1;
          while (!done)
            {
              const guint8 *p0, *p, *pend;

              if (in->pos >= in->len && !input_fill (in))
                break;
              p0 = p = in->buf + in->pos;
              pend = in->buf + in->len;
              while (p < pend)
                {
                  guint8 ch = *p++;
                  if (ch == '\n')
                    in->line++;
                  if (in_str)
                    {
                      if (esc)
                        esc = FALSE;
                      else if (ch == '\\')
                        esc = TRUE;
                      else if (ch == '"')
                        {
                          in_str = FALSE;
                          if (depth == 0)
                            {
                              done = TRUE;
                              break;
                            }
                        }
                    }
                  else if (ch == '"')
                    in_str = TRUE;
                  else if (ch == '{' || ch == '[')
                    depth++;
                  else if (ch == '}' || ch == ']')
                    {
                      if (--depth == 0)
                        {
                          done = TRUE;
                          break;
                        }
                    }
                }
              g_string_append_len (elem, (const char *) p0, p - p0);
              in->pos += (int) (p - p0);
            }
        }
      else
        {
          /* A scalar (an error for rows, reported after parsing): up to the
           * next separator. */
          for (;;)
            {
              int next;
              g_string_append_c (elem, (char) c);
              if (c == '}' || c == ']')
                {
                  depth = -1;
                  break;
                }
              next = input_peek (in);
              if (next < 0 || next == ',' || next == '\n' || next == ']' || next == ' ' || next == '\r' ||
                  next == '\t')
                break;
              c = input_getc (in);
            }
        }
      if (!input_check (in, error))
        goto out;
      if (depth != 0 || in_str)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: line %" G_GUINT64_FORMAT ": %s", path, elem_line,
                       depth < 0 ? "unbalanced closing bracket" : "value cut off (truncated file?)");
          goto out;
        }

      if (!g_utf8_validate_len (elem->str, elem->len, NULL))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: line %" G_GUINT64_FORMAT ": not valid UTF-8", path, elem_line);
          goto out;
        }
      {
        cJSON *v = cJSON_ParseWithLength (elem->str, elem->len);
        g_autofree char *where = NULL;

        if (v == NULL)
          {
            g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                         "%s: line %" G_GUINT64_FORMAT ": invalid JSON", path, elem_line);
            goto out;
          }
        n_values++;
        where = array_mode ? g_strdup_printf ("element %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ")",
                                              n_values - 1, elem_line)
                           : g_strdup_printf ("line %" G_GUINT64_FORMAT, elem_line);
        if (!array_mode && n_values == 1)
          {
            pending = v;     /* one document, or the first JSON Lines row */
            continue;
          }
        if (pending != NULL)
          {
            gboolean r = sink_put_row (&sink, pending, path, "line 1", error);
            cJSON_Delete (pending);
            pending = NULL;
            if (!r)
              {
                cJSON_Delete (v);
                goto out;
              }
          }
        if (!sink_full (&sink) && !sink_put_row (&sink, v, path, where, error))
          {
            cJSON_Delete (v);
            goto out;
          }
        cJSON_Delete (v);
        if (sink_full (&sink))
          break;
        if (n_values % VS_READ_TICK_ROWS == 0 &&
            !vs_read_watch_tick (watch, path, input_offset (in), error))
          goto out;
      }
    }
  if (!input_check (in, error))
    goto out;
  if (array_mode && !array_closed && !sink_full (&sink))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: line %" G_GUINT64_FORMAT ": the array is not closed (truncated file?)", path, in->line);
      goto out;
    }
  if (pending != NULL)
    {
      if (cJSON_IsObject (pending) && !sink_put_document (&sink, pending, path, error))
        goto out;
      if (!cJSON_IsObject (pending) && !sink_put_row (&sink, pending, path, "line 1", error))
        goto out;
    }
  if (n_values == 0 && !array_mode)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the file is empty", path);
      goto out;
    }
  finish_set_columns (ds);
  ok = TRUE;

out:
  if (pending != NULL)
    cJSON_Delete (pending);
  sink_clear (&sink);
  input_close (in);
  g_free (in);
  return ok;
}
