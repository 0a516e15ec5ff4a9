/* vs-column.c: the column store (cells, nulls, appends, conversions). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/vs-data-private.h"

/* ---- growable buffers ---- */

void
vs_buf_reserve (VsBuf *buf,
                gsize  extra)
{
  gsize need = buf->len + extra;
  gsize cap;

  if (need <= buf->cap)
    return;
  /* Grow by 1.5x: large blocks are mremap()ed by glibc, so growth does not
   * copy; the smaller factor keeps the slack (peak memory) low. */
  cap = buf->cap < 64 ? 64 : buf->cap + buf->cap / 2;
  if (cap < need)
    cap = need;
  buf->data = g_realloc (buf->data, cap);
  buf->cap = cap;
}

void
vs_buf_append (VsBuf      *buf,
               const void *data,
               gsize       len)
{
  vs_buf_reserve (buf, len);
  if (len > 0)
    memcpy (buf->data + buf->len, data, len);
  buf->len += len;
}

void
vs_buf_clear (VsBuf *buf)
{
  g_clear_pointer (&buf->data, g_free);
  buf->len = buf->cap = 0;
}

static void
bitmap_set (VsBuf  *bits,
            gsize   index,
            gboolean value)
{
  gsize byte = index / 8;

  if (byte >= bits->len)
    {
      gsize old = bits->len;
      vs_buf_reserve (bits, byte + 1 - old);
      memset (bits->data + old, 0, byte + 1 - old);
      bits->len = byte + 1;
    }
  if (value)
    bits->data[byte] |= (guint8) (1u << (index % 8));
  else
    bits->data[byte] &= (guint8) ~(1u << (index % 8));
}

static gboolean
bitmap_get (const VsBuf *bits,
            gsize        index)
{
  gsize byte = index / 8;

  if (byte >= bits->len)
    return FALSE;
  return (bits->data[byte] >> (index % 8)) & 1;
}

/* ---- string store ---- */

static void
strings_init (VsStrings *st)
{
  guint64 zero = 0;

  if (st->offsets.len == 0)
    vs_buf_append (&st->offsets, &zero, sizeof zero);
}

static void
strings_append (VsStrings  *st,
                const char *s,
                gsize       len,
                gboolean    is_null)
{
  guint64 end;

  strings_init (st);
  if (!is_null)
    vs_buf_append (&st->bytes, s, len);
  vs_buf_append (&st->bytes, "", 1);
  end = st->bytes.len;
  vs_buf_append (&st->offsets, &end, sizeof end);
  if (is_null)
    {
      bitmap_set (&st->nulls, st->count, TRUE);
      st->any_null = TRUE;
    }
  st->count++;
}

static const char *
strings_get (const VsStrings *st,
             gsize            i,
             gsize           *len)
{
  const guint64 *off = (const guint64 *) st->offsets.data;

  if (st->any_null && bitmap_get (&st->nulls, i))
    {
      if (len != NULL)
        *len = 0;
      return NULL;
    }
  if (len != NULL)
    *len = off[i + 1] - off[i] - 1;
  return (const char *) st->bytes.data + off[i];
}

static void
strings_clear (VsStrings *st)
{
  vs_buf_clear (&st->bytes);
  vs_buf_clear (&st->offsets);
  vs_buf_clear (&st->nulls);
  st->count = 0;
  st->any_null = FALSE;
}

/* ---- columns ---- */

const char *
vs_column_type_to_string (VsColumnType type)
{
  switch (type)
    {
    case VS_COLUMN_STRING: return "string";
    case VS_COLUMN_FLOAT64: return "float64";
    case VS_COLUMN_INT64: return "int64";
    case VS_COLUMN_BOOL: return "bool";
    case VS_COLUMN_STRING_LIST: return "list<string>";
    default: return "unknown";
    }
}

VsColumn *
vs_column_new (const char  *name,
               VsColumnType type)
{
  VsColumn *col = g_new0 (VsColumn, 1);
  guint64 zero = 0;

  col->name = g_strdup (name);
  col->type = type;
  if (type == VS_COLUMN_STRING || type == VS_COLUMN_STRING_LIST)
    strings_init (&col->strings);
  if (type == VS_COLUMN_STRING_LIST)
    vs_buf_append (&col->list_offsets, &zero, sizeof zero);
  return col;
}

void
vs_column_free (VsColumn *col)
{
  if (col == NULL)
    return;
  g_free (col->name);
  vs_buf_clear (&col->nulls);
  vs_buf_clear (&col->values);
  strings_clear (&col->strings);
  vs_buf_clear (&col->list_offsets);
  g_free (col);
}

const char *
vs_column_get_name (const VsColumn *col)
{
  g_return_val_if_fail (col != NULL, NULL);
  return col->name;
}

VsColumnType
vs_column_get_type (const VsColumn *col)
{
  g_return_val_if_fail (col != NULL, VS_COLUMN_STRING);
  return col->type;
}

gsize
vs_column_get_length (const VsColumn *col)
{
  g_return_val_if_fail (col != NULL, 0);
  return col->length;
}

gboolean
vs_column_is_null (const VsColumn *col,
                   gsize           row)
{
  g_return_val_if_fail (col != NULL && row < col->length, TRUE);
  return col->any_null && bitmap_get (&col->nulls, row);
}

const char *
vs_column_get_string (const VsColumn *col,
                      gsize           row)
{
  g_return_val_if_fail (col != NULL && row < col->length, NULL);
  if (col->type != VS_COLUMN_STRING)
    return NULL;
  return strings_get (&col->strings, row, NULL);
}

gsize
vs_column_get_string_length (const VsColumn *col,
                             gsize           row)
{
  gsize len = 0;

  g_return_val_if_fail (col != NULL && row < col->length, 0);
  if (col->type != VS_COLUMN_STRING)
    return 0;
  strings_get (&col->strings, row, &len);
  return len;
}

double
vs_column_get_double (const VsColumn *col,
                      gsize           row)
{
  g_return_val_if_fail (col != NULL && row < col->length, NAN);
  if (vs_column_is_null (col, row))
    return NAN;
  switch (col->type)
    {
    case VS_COLUMN_FLOAT64:
      return ((const double *) col->values.data)[row];
    case VS_COLUMN_INT64:
      return (double) ((const gint64 *) col->values.data)[row];
    case VS_COLUMN_BOOL:
      return col->values.data[row] ? 1.0 : 0.0;
    case VS_COLUMN_STRING:
    case VS_COLUMN_STRING_LIST:
    default:
      return NAN;
    }
}

gint64
vs_column_get_int64 (const VsColumn *col,
                     gsize           row)
{
  g_return_val_if_fail (col != NULL && row < col->length, 0);
  if (vs_column_is_null (col, row))
    return 0;
  if (col->type == VS_COLUMN_INT64)
    return ((const gint64 *) col->values.data)[row];
  if (col->type == VS_COLUMN_BOOL)
    return col->values.data[row] ? 1 : 0;
  return 0;
}

gboolean
vs_column_get_bool (const VsColumn *col,
                    gsize           row)
{
  g_return_val_if_fail (col != NULL && row < col->length, FALSE);
  if (col->type != VS_COLUMN_BOOL || vs_column_is_null (col, row))
    return FALSE;
  return col->values.data[row] != 0;
}

guint
vs_column_get_list_length (const VsColumn *col,
                           gsize           row)
{
  const guint64 *off;

  g_return_val_if_fail (col != NULL && row < col->length, 0);
  if (col->type != VS_COLUMN_STRING_LIST)
    return 0;
  off = (const guint64 *) col->list_offsets.data;
  return (guint) (off[row + 1] - off[row]);
}

const char *
vs_column_get_list_item (const VsColumn *col,
                         gsize           row,
                         guint           i)
{
  const guint64 *off;

  g_return_val_if_fail (col != NULL && row < col->length, NULL);
  if (col->type != VS_COLUMN_STRING_LIST)
    return NULL;
  off = (const guint64 *) col->list_offsets.data;
  if (i >= off[row + 1] - off[row])
    return NULL;
  return strings_get (&col->strings, off[row] + i, NULL);
}

void
vs_format_double (double v,
                  char  *buf,
                  gsize  size)
{
  /* Python's repr: the shortest text that reads back as v, with ".0" for
   * integral values. */
  if (isnan (v))
    {
      g_strlcpy (buf, "nan", size);
      return;
    }
  if (isinf (v))
    {
      g_strlcpy (buf, v > 0 ? "inf" : "-inf", size);
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      g_snprintf (buf, size, "%.*g", prec, v);
      if (strtod (buf, NULL) == v)
        break;
    }
  if (strpbrk (buf, ".eEn") == NULL)
    g_strlcat (buf, ".0", size);
}

static void
append_python_quoted (GString    *out,
                      const char *s)
{
  /* Python's repr of a str: single quotes unless the text holds one and no
   * double quote. */
  char q = (strchr (s, '\'') != NULL && strchr (s, '"') == NULL) ? '"' : '\'';

  g_string_append_c (out, q);
  for (const char *p = s; *p != '\0'; p++)
    {
      if (*p == q || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\t')
        g_string_append (out, "\\t");
      else if (*p == '\r')
        g_string_append (out, "\\r");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, q);
}

char *
vs_column_format_cell (const VsColumn *col,
                       gsize           row)
{
  char buf[64];

  g_return_val_if_fail (col != NULL && row < col->length, NULL);
  if (vs_column_is_null (col, row))
    return g_strdup ("None");
  switch (col->type)
    {
    case VS_COLUMN_STRING:
      return g_strdup (vs_column_get_string (col, row));
    case VS_COLUMN_FLOAT64:
      vs_format_double (vs_column_get_double (col, row), buf, sizeof buf);
      return g_strdup (buf);
    case VS_COLUMN_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, vs_column_get_int64 (col, row));
    case VS_COLUMN_BOOL:
      return g_strdup (vs_column_get_bool (col, row) ? "True" : "False");
    case VS_COLUMN_STRING_LIST:
      {
        GString *out = g_string_new ("[");
        guint n = vs_column_get_list_length (col, row);

        for (guint i = 0; i < n; i++)
          {
            const char *item = vs_column_get_list_item (col, row, i);
            if (i > 0)
              g_string_append (out, ", ");
            if (item == NULL)
              g_string_append (out, "None");
            else
              append_python_quoted (out, item);
          }
        g_string_append_c (out, ']');
        return g_string_free (out, FALSE);
      }
    default:
      return g_strdup ("");
    }
}

/* ---- appending ---- */

static void
mark_null (VsColumn *col,
           gboolean  is_null)
{
  if (is_null)
    {
      bitmap_set (&col->nulls, col->length, TRUE);
      col->any_null = TRUE;
    }
  col->length++;
}

void
vs_column_append_null (VsColumn *col)
{
  g_return_if_fail (col != NULL);
  switch (col->type)
    {
    case VS_COLUMN_STRING:
      strings_append (&col->strings, NULL, 0, TRUE);
      break;
    case VS_COLUMN_FLOAT64:
      {
        double v = NAN;
        vs_buf_append (&col->values, &v, sizeof v);
      }
      break;
    case VS_COLUMN_INT64:
      {
        gint64 v = 0;
        vs_buf_append (&col->values, &v, sizeof v);
      }
      break;
    case VS_COLUMN_BOOL:
      {
        guint8 v = 0;
        vs_buf_append (&col->values, &v, 1);
      }
      break;
    case VS_COLUMN_STRING_LIST:
      {
        guint64 end = col->strings.count;
        vs_buf_append (&col->list_offsets, &end, sizeof end);
      }
      break;
    default:
      break;
    }
  mark_null (col, TRUE);
}

void
vs_column_append_string_len (VsColumn   *col,
                             const char *s,
                             gsize       len)
{
  g_return_if_fail (col != NULL && col->type == VS_COLUMN_STRING);
  if (s == NULL)
    {
      vs_column_append_null (col);
      return;
    }
  strings_append (&col->strings, s, len, FALSE);
  mark_null (col, FALSE);
}

void
vs_column_append_string (VsColumn   *col,
                         const char *s)
{
  vs_column_append_string_len (col, s, s != NULL ? strlen (s) : 0);
}

void
vs_column_append_double (VsColumn *col,
                         double    v)
{
  g_return_if_fail (col != NULL && col->type == VS_COLUMN_FLOAT64);
  vs_buf_append (&col->values, &v, sizeof v);
  mark_null (col, FALSE);
}

void
vs_column_append_int64 (VsColumn *col,
                        gint64    v)
{
  g_return_if_fail (col != NULL && col->type == VS_COLUMN_INT64);
  vs_buf_append (&col->values, &v, sizeof v);
  mark_null (col, FALSE);
}

void
vs_column_append_bool (VsColumn *col,
                       gboolean  v)
{
  guint8 b = v ? 1 : 0;

  g_return_if_fail (col != NULL && col->type == VS_COLUMN_BOOL);
  vs_buf_append (&col->values, &b, 1);
  mark_null (col, FALSE);
}

void
vs_column_append_string_list (VsColumn          *col,
                              const char *const *items,
                              guint              n_items)
{
  guint64 end;

  g_return_if_fail (col != NULL && col->type == VS_COLUMN_STRING_LIST);
  if (items == NULL)
    {
      vs_column_append_null (col);
      return;
    }
  for (guint i = 0; i < n_items; i++)
    strings_append (&col->strings, items[i],
                    items[i] != NULL ? strlen (items[i]) : 0, items[i] == NULL);
  end = col->strings.count;
  vs_buf_append (&col->list_offsets, &end, sizeof end);
  mark_null (col, FALSE);
}

void
vs_column_append_from (VsColumn       *dst,
                       const VsColumn *src,
                       gsize           row)
{
  g_return_if_fail (dst->type == src->type);
  if (vs_column_is_null (src, row))
    {
      vs_column_append_null (dst);
      return;
    }
  switch (src->type)
    {
    case VS_COLUMN_STRING:
      {
        gsize len;
        const char *s = strings_get (&src->strings, row, &len);
        vs_column_append_string_len (dst, s, len);
      }
      break;
    case VS_COLUMN_FLOAT64:
      vs_column_append_double (dst, vs_column_get_double (src, row));
      break;
    case VS_COLUMN_INT64:
      vs_column_append_int64 (dst, vs_column_get_int64 (src, row));
      break;
    case VS_COLUMN_BOOL:
      vs_column_append_bool (dst, vs_column_get_bool (src, row));
      break;
    case VS_COLUMN_STRING_LIST:
      {
        const guint64 *off = (const guint64 *) src->list_offsets.data;
        guint64 end;

        for (guint64 i = off[row]; i < off[row + 1]; i++)
          {
            gsize len;
            const char *s = strings_get (&src->strings, i, &len);
            strings_append (&dst->strings, s, len, s == NULL);
          }
        end = dst->strings.count;
        vs_buf_append (&dst->list_offsets, &end, sizeof end);
        mark_null (dst, FALSE);
      }
      break;
    default:
      break;
    }
}

/* ---- parsing ---- */

gboolean
vs_parse_int64 (const char *s,
                gint64     *out)
{
  char *end = NULL;
  gint64 v;

  while (*s == ' ')
    s++;
  if (*s == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (s, &end, 10);
  if (errno != 0 || end == s)
    return FALSE;
  while (*end == ' ')
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean
vs_parse_double (const char *s,
                 double     *out)
{
  char *end = NULL;
  double v;

  while (*s == ' ')
    s++;
  if (*s == '\0')
    return FALSE;
  /* Only plain decimal numbers: no hex, no "inf"/"nan" words from text. */
  for (const char *p = s; *p != '\0' && *p != ' '; p++)
    if (!(g_ascii_isdigit (*p) || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E'))
      return FALSE;
  errno = 0;
  v = g_ascii_strtod (s, &end);
  if (errno == ERANGE || end == s)
    return FALSE;
  while (*end == ' ')
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_bool_text (const char *s,
                 gboolean   *out)
{
  if (g_ascii_strcasecmp (s, "true") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (s, "false") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

void
vs_column_convert (VsColumn    *col,
                   VsColumnType type)
{
  VsColumn *tmp;

  if (col->type == type)
    return;
  tmp = vs_column_new (col->name, type);
  for (gsize r = 0; r < col->length; r++)
    {
      if (vs_column_is_null (col, r))
        {
          vs_column_append_null (tmp);
          continue;
        }
      switch (type)
        {
        case VS_COLUMN_STRING:
          {
            g_autofree char *s = vs_column_format_cell (col, r);
            vs_column_append_string (tmp, s);
          }
          break;
        case VS_COLUMN_FLOAT64:
          if (col->type == VS_COLUMN_STRING)
            {
              double v;
              const char *s = vs_column_get_string (col, r);
              if (*s != '\0' && vs_parse_double (s, &v))
                vs_column_append_double (tmp, v);
              else
                vs_column_append_null (tmp);
            }
          else
            vs_column_append_double (tmp, vs_column_get_double (col, r));
          break;
        case VS_COLUMN_INT64:
          {
            gint64 v;
            const char *s = vs_column_get_string (col, r);
            if (s != NULL && vs_parse_int64 (s, &v))
              vs_column_append_int64 (tmp, v);
            else
              vs_column_append_null (tmp);
          }
          break;
        case VS_COLUMN_BOOL:
          {
            gboolean v;
            const char *s = vs_column_get_string (col, r);
            if (s != NULL && parse_bool_text (s, &v))
              vs_column_append_bool (tmp, v);
            else
              vs_column_append_null (tmp);
          }
          break;
        case VS_COLUMN_STRING_LIST:
        default:
          {
            g_autofree char *s = vs_column_format_cell (col, r);
            const char *items[1] = { s };
            vs_column_append_string_list (tmp, items, 1);
          }
          break;
        }
    }
  /* Swap the converted storage in, keep the name. */
  vs_buf_clear (&col->nulls);
  vs_buf_clear (&col->values);
  strings_clear (&col->strings);
  vs_buf_clear (&col->list_offsets);
  g_free (tmp->name);
  tmp->name = col->name;
  *col = *tmp;
  g_free (tmp);
}

/* ---- random numbers ---- */

guint64
vs_rng_next (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

guint64
vs_rng_below (guint64 *state,
              guint64  n)
{
  /* Lemire's multiply-shift with rejection: unbiased. */
  unsigned __int128 m;
  guint64 lo;

  if (n == 0)
    return 0;
  m = (unsigned __int128) vs_rng_next (state) * n;
  lo = (guint64) m;
  if (lo < n)
    {
      guint64 t = (0 - n) % n;
      while (lo < t)
        {
          m = (unsigned __int128) vs_rng_next (state) * n;
          lo = (guint64) m;
        }
    }
  return (guint64) (m >> 64);
}

gsize *
vs_permutation (gsize   n,
                guint64 seed)
{
  gsize *perm = g_new (gsize, n + 1);
  guint64 state = seed;

  for (gsize i = 0; i < n; i++)
    perm[i] = i;
  for (gsize i = n; i > 1; i--)
    {
      gsize j = (gsize) vs_rng_below (&state, i);
      gsize t = perm[i - 1];
      perm[i - 1] = perm[j];
      perm[j] = t;
    }
  return perm;
}
