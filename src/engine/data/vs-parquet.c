/* vs-parquet.c: a Parquet reader written from the format specification
 * (apache/parquet-format: parquet.thrift, Encodings.md).
 *
 * Footer: "PAR1" at both ends, the FileMetaData struct in Thrift's compact
 * protocol before the last 8 bytes. Each row group is read column chunk by
 * column chunk (one pread of the chunk: memory is bounded by the largest
 * chunk), page by page: dictionary pages, data pages v1 and v2; value
 * encodings PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (booleans),
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; levels in
 * RLE/bit-packed hybrid (and the old BIT_PACKED); codecs UNCOMPRESSED,
 * SNAPPY, GZIP, ZSTD.
 *
 * Columns: top-level primitives (required or optional), structs of those
 * (flattened to "parent.child"), and lists of primitives (3-level LIST
 * groups, 2-level and bare repeated fields) as list<string> columns. Maps and
 * lists nested in lists are skipped. Types: BOOLEAN -> bool; INT32, INT64 ->
 * int64; FLOAT, DOUBLE -> float64; BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY -> string
 * (the bytes); INT96 -> string, an ISO-8601 UTC timestamp.
 *
 * Every length, offset and count from the file is checked before use; a bad
 * file gives a GError naming the file, row group, column and page.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "data/vs-data-private.h"
#include "vs-error.h"

/* ====================================================================== */
/* Thrift compact protocol                                                 */

enum
{
  CT_STOP = 0, CT_TRUE = 1, CT_FALSE = 2, CT_BYTE = 3, CT_I16 = 4, CT_I32 = 5,
  CT_I64 = 6, CT_DOUBLE = 7, CT_BINARY = 8, CT_LIST = 9, CT_SET = 10,
  CT_MAP = 11, CT_STRUCT = 12,
};

typedef struct
{
  const guint8 *p;
  const guint8 *end;
  gboolean      bad;
  int           depth;
} Thrift;

static guint64
th_varint (Thrift *t)
{
  guint64 v = 0;
  int shift = 0;

  while (!t->bad)
    {
      guint8 b;
      if (t->p >= t->end || shift > 63)
        {
          t->bad = TRUE;
          return 0;
        }
      b = *t->p++;
      v |= (guint64) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        break;
      shift += 7;
    }
  return v;
}

static gint64
th_zigzag (Thrift *t)
{
  guint64 v = th_varint (t);
  return (gint64) (v >> 1) ^ -(gint64) (v & 1);
}

static void th_skip (Thrift *t, int type);

static void
th_skip_struct (Thrift *t)
{
  if (++t->depth > 64)
    {
      t->bad = TRUE;
      return;
    }
  while (!t->bad)
    {
      guint8 h;
      if (t->p >= t->end)
        {
          t->bad = TRUE;
          return;
        }
      h = *t->p++;
      if (h == CT_STOP)
        break;
      if ((h >> 4) == 0)
        th_zigzag (t);
      th_skip (t, h & 0x0f);
    }
  t->depth--;
}

static void
th_list_header (Thrift *t,
                guint64 *size,
                int    *elem_type)
{
  guint8 h;

  if (t->p >= t->end)
    {
      t->bad = TRUE;
      *size = 0;
      *elem_type = 0;
      return;
    }
  h = *t->p++;
  *size = h >> 4;
  if (*size == 15)
    *size = th_varint (t);
  *elem_type = h & 0x0f;
  /* Each element needs at least one byte: reject absurd sizes early. */
  if (*size > (guint64) (t->end - t->p) && *elem_type != CT_TRUE && *elem_type != CT_FALSE)
    t->bad = TRUE;
}

static void
th_skip (Thrift *t,
         int     type)
{
  switch (type)
    {
    case CT_TRUE:
    case CT_FALSE:
      break;
    case CT_BYTE:
      if (t->p >= t->end)
        t->bad = TRUE;
      else
        t->p++;
      break;
    case CT_I16:
    case CT_I32:
    case CT_I64:
      th_varint (t);
      break;
    case CT_DOUBLE:
      if (t->end - t->p < 8)
        t->bad = TRUE;
      else
        t->p += 8;
      break;
    case CT_BINARY:
      {
        guint64 n = th_varint (t);
        if (n > (guint64) (t->end - t->p))
          t->bad = TRUE;
        else
          t->p += n;
      }
      break;
    case CT_LIST:
    case CT_SET:
      {
        guint64 n;
        int et;
        /* Nesting is bounded like structs: a crafted footer must not
         * recurse the stack away. */
        if (++t->depth > 64)
          {
            t->bad = TRUE;
            break;
          }
        th_list_header (t, &n, &et);
        for (guint64 i = 0; i < n && !t->bad; i++)
          th_skip (t, et == CT_TRUE || et == CT_FALSE ? CT_BYTE : et);
        t->depth--;
      }
      break;
    case CT_MAP:
      {
        guint64 n = th_varint (t);
        guint8 kv;
        if (n == 0)
          break;
        if (t->p >= t->end || n > (guint64) (t->end - t->p))
          {
            t->bad = TRUE;
            break;
          }
        kv = *t->p++;
        if (++t->depth > 64)
          {
            t->bad = TRUE;
            break;
          }
        for (guint64 i = 0; i < n && !t->bad; i++)
          {
            th_skip (t, kv >> 4);
            th_skip (t, kv & 0x0f);
          }
        t->depth--;
      }
      break;
    case CT_STRUCT:
      th_skip_struct (t);
      break;
    default:
      t->bad = TRUE;
      break;
    }
}

/* Iterate a struct's fields: returns FALSE at the stop byte or on error. */
static gboolean
th_next_field (Thrift *t,
               int    *last_id,
               int    *id,
               int    *type)
{
  guint8 h;

  if (t->bad || t->p >= t->end)
    {
      t->bad = TRUE;
      return FALSE;
    }
  h = *t->p++;
  if (h == CT_STOP)
    return FALSE;
  if ((h >> 4) != 0)
    *id = *last_id + (h >> 4);
  else
    *id = (int) th_zigzag (t);
  *type = h & 0x0f;
  *last_id = *id;
  return TRUE;
}

static gint64
th_int (Thrift *t,
        int     type)
{
  if (type == CT_I16 || type == CT_I32 || type == CT_I64)
    return th_zigzag (t);
  if (type == CT_BYTE)
    {
      if (t->p >= t->end)
        {
          t->bad = TRUE;
          return 0;
        }
      return (gint8) *t->p++;
    }
  th_skip (t, type);
  t->bad = TRUE;
  return 0;
}

static char *
th_string (Thrift *t,
           int     type)
{
  guint64 n;
  char *s;

  if (type != CT_BINARY)
    {
      th_skip (t, type);
      t->bad = TRUE;
      return NULL;
    }
  n = th_varint (t);
  if (t->bad || n > (guint64) (t->end - t->p))
    {
      t->bad = TRUE;
      return NULL;
    }
  s = g_strndup ((const char *) t->p, n);
  t->p += n;
  return s;
}

/* ====================================================================== */
/* Metadata                                                                */

enum
{
  PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_INT96 = 3, PT_FLOAT = 4,
  PT_DOUBLE = 5, PT_BYTE_ARRAY = 6, PT_FIXED = 7,
};
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };
enum
{
  ENC_PLAIN = 0, ENC_PLAIN_DICTIONARY = 2, ENC_RLE = 3, ENC_BIT_PACKED = 4,
  ENC_DELTA_BINARY_PACKED = 5, ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
  ENC_DELTA_BYTE_ARRAY = 7, ENC_RLE_DICTIONARY = 8,
};
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };
enum { CODEC_NONE = 0, CODEC_SNAPPY = 1, CODEC_GZIP = 2, CODEC_ZSTD = 6 };

typedef struct
{
  int      type;          /* physical type, -1 for groups */
  int      type_length;
  int      repetition;
  char    *name;
  int      num_children;
  int      converted;     /* -1 when absent */
  gboolean logical_list;
  gboolean logical_map;
} SchemaNode;

typedef struct
{
  int      codec;
  gint64   num_values;
  gint64   total_compressed;
  gint64   data_page_offset;
  gint64   dictionary_page_offset;  /* -1 when absent */
  gboolean has_meta;
} ChunkMeta;

typedef struct
{
  gint64     num_rows;
  ChunkMeta *chunks;
  guint      n_chunks;
} RowGroupMeta;

typedef struct
{
  SchemaNode   *schema;
  guint         n_schema;
  gint64        num_rows;
  RowGroupMeta *row_groups;
  guint         n_row_groups;
} FileMeta;

static void
file_meta_clear (FileMeta *m)
{
  for (guint i = 0; i < m->n_schema; i++)
    g_free (m->schema[i].name);
  g_free (m->schema);
  for (guint i = 0; i < m->n_row_groups; i++)
    g_free (m->row_groups[i].chunks);
  g_free (m->row_groups);
  memset (m, 0, sizeof *m);
}

static void
parse_logical_type (Thrift     *t,
                    SchemaNode *node)
{
  int last = 0, id, type;

  while (th_next_field (t, &last, &id, &type))
    {
      if (id == 3)
        node->logical_list = TRUE;
      else if (id == 2)
        node->logical_map = TRUE;
      th_skip (t, type);
    }
}

static void
parse_schema_element (Thrift     *t,
                      SchemaNode *node)
{
  int last = 0, id, type;

  node->type = -1;
  node->converted = -1;
  if (++t->depth > 64)
    {
      t->bad = TRUE;
      return;
    }
  while (th_next_field (t, &last, &id, &type))
    switch (id)
      {
      case 1: node->type = (int) th_int (t, type); break;
      case 2: node->type_length = (int) th_int (t, type); break;
      case 3: node->repetition = (int) th_int (t, type); break;
      case 4: g_free (node->name); node->name = th_string (t, type); break;
      case 5: node->num_children = (int) th_int (t, type); break;
      case 6: node->converted = (int) th_int (t, type); break;
      case 10:
        if (type == CT_STRUCT)
          parse_logical_type (t, node);
        else
          th_skip (t, type);
        break;
      default: th_skip (t, type); break;
      }
  t->depth--;
}

static void
parse_column_meta (Thrift    *t,
                   ChunkMeta *c)
{
  int last = 0, id, type;

  c->has_meta = TRUE;
  while (th_next_field (t, &last, &id, &type))
    switch (id)
      {
      case 4: c->codec = (int) th_int (t, type); break;
      case 5: c->num_values = th_int (t, type); break;
      case 7: c->total_compressed = th_int (t, type); break;
      case 9: c->data_page_offset = th_int (t, type); break;
      case 11: c->dictionary_page_offset = th_int (t, type); break;
      default: th_skip (t, type); break;
      }
}

static void
parse_column_chunk (Thrift    *t,
                    ChunkMeta *c)
{
  int last = 0, id, type;

  c->dictionary_page_offset = -1;
  while (th_next_field (t, &last, &id, &type))
    {
      if (id == 3 && type == CT_STRUCT)
        parse_column_meta (t, c);
      else
        th_skip (t, type);
    }
}

static void
parse_row_group (Thrift       *t,
                 RowGroupMeta *rg)
{
  int last = 0, id, type;

  while (th_next_field (t, &last, &id, &type))
    {
      if (id == 1 && type == CT_LIST)
        {
          guint64 n;
          int et;
          th_list_header (t, &n, &et);
          if (t->bad || et != CT_STRUCT || rg->chunks != NULL)
            {
              t->bad = TRUE;
              return;
            }
          rg->chunks = g_new0 (ChunkMeta, n + 1);
          rg->n_chunks = (guint) n;
          for (guint64 i = 0; i < n && !t->bad; i++)
            parse_column_chunk (t, &rg->chunks[i]);
        }
      else if (id == 3)
        rg->num_rows = th_int (t, type);
      else
        th_skip (t, type);
    }
}

static gboolean
parse_file_meta (const guint8 *data,
                 gsize         len,
                 FileMeta     *m)
{
  Thrift t = { data, data + len, FALSE, 0 };
  int last = 0, id, type;

  while (th_next_field (&t, &last, &id, &type))
    {
      if (id == 2 && type == CT_LIST && m->schema == NULL)
        {
          guint64 n;
          int et;
          th_list_header (&t, &n, &et);
          if (t.bad || et != CT_STRUCT)
            return FALSE;
          m->schema = g_new0 (SchemaNode, n + 1);
          m->n_schema = (guint) n;
          for (guint64 i = 0; i < n && !t.bad; i++)
            parse_schema_element (&t, &m->schema[i]);
        }
      else if (id == 3)
        m->num_rows = th_int (&t, type);
      else if (id == 4 && type == CT_LIST && m->row_groups == NULL)
        {
          guint64 n;
          int et;
          th_list_header (&t, &n, &et);
          if (t.bad || et != CT_STRUCT)
            return FALSE;
          m->row_groups = g_new0 (RowGroupMeta, n + 1);
          m->n_row_groups = (guint) n;
          for (guint64 i = 0; i < n && !t.bad; i++)
            parse_row_group (&t, &m->row_groups[i]);
        }
      else
        th_skip (&t, type);
    }
  return !t.bad && m->schema != NULL && m->n_schema > 0;
}

typedef struct
{
  int      type;
  int      converted;
  int      num_values;
  int      encoding;
  int      def_encoding;
  int      rep_encoding;
  int      def_len;          /* v2 */
  int      rep_len;          /* v2 */
  gboolean is_compressed;    /* v2 */
  gint64   uncompressed_size;
  gint64   compressed_size;
} PageHeader;

static void
parse_page_sub (Thrift     *t,
                PageHeader *h,
                int         which)
{
  int last = 0, id, type;

  while (th_next_field (t, &last, &id, &type))
    {
      if (which == PAGE_DATA)
        switch (id)
          {
          case 1: h->num_values = (int) th_int (t, type); break;
          case 2: h->encoding = (int) th_int (t, type); break;
          case 3: h->def_encoding = (int) th_int (t, type); break;
          case 4: h->rep_encoding = (int) th_int (t, type); break;
          default: th_skip (t, type); break;
          }
      else if (which == PAGE_DICTIONARY)
        switch (id)
          {
          case 1: h->num_values = (int) th_int (t, type); break;
          case 2: h->encoding = (int) th_int (t, type); break;
          default: th_skip (t, type); break;
          }
      else
        switch (id)
          {
          case 1: h->num_values = (int) th_int (t, type); break;
          case 4: h->encoding = (int) th_int (t, type); break;
          case 5: h->def_len = (int) th_int (t, type); break;
          case 6: h->rep_len = (int) th_int (t, type); break;
          case 7: h->is_compressed = (type == CT_TRUE); break;
          default: th_skip (t, type); break;
          }
    }
}

static gboolean
parse_page_header (Thrift     *t,
                   PageHeader *h)
{
  int last = 0, id, type;

  memset (h, 0, sizeof *h);
  h->type = -1;
  h->is_compressed = TRUE;
  h->def_encoding = ENC_RLE;
  h->rep_encoding = ENC_RLE;
  while (th_next_field (t, &last, &id, &type))
    switch (id)
      {
      case 1: h->type = (int) th_int (t, type); break;
      case 2: h->uncompressed_size = th_int (t, type); break;
      case 3: h->compressed_size = th_int (t, type); break;
      case 5: if (type == CT_STRUCT) parse_page_sub (t, h, PAGE_DATA); else th_skip (t, type); break;
      case 7: if (type == CT_STRUCT) parse_page_sub (t, h, PAGE_DICTIONARY); else th_skip (t, type); break;
      case 8: if (type == CT_STRUCT) parse_page_sub (t, h, PAGE_DATA_V2); else th_skip (t, type); break;
      default: th_skip (t, type); break;
      }
  return !t->bad && h->type >= 0 && h->compressed_size >= 0 && h->uncompressed_size >= 0 &&
         h->num_values >= 0;
}

/* ====================================================================== */
/* Decoding                                                                */

typedef struct
{
  /* Decoded non-null values of one page (or a dictionary). */
  gsize    n;
  gint64  *ints;        /* INT32, INT64, BOOLEAN (0/1) */
  double  *dbls;        /* FLOAT, DOUBLE */
  VsBuf    bytes;       /* BYTE_ARRAY, FIXED, INT96: concatenated */
  guint64 *offs;        /* n + 1 offsets into bytes */
} Values;

static void
values_clear (Values *v)
{
  g_clear_pointer (&v->ints, g_free);
  g_clear_pointer (&v->dbls, g_free);
  g_clear_pointer (&v->offs, g_free);
  vs_buf_clear (&v->bytes);
  v->n = 0;
}

static void
values_alloc (Values *v,
              int     ptype,
              gsize   n)
{
  values_clear (v);
  v->n = n;
  switch (ptype)
    {
    case PT_BOOLEAN:
    case PT_INT32:
    case PT_INT64:
      v->ints = g_new0 (gint64, n + 1);
      break;
    case PT_FLOAT:
    case PT_DOUBLE:
      v->dbls = g_new0 (double, n + 1);
      break;
    default:
      v->offs = g_new0 (guint64, n + 1);
      break;
    }
}

typedef struct
{
  const char *path;
  guint       row_group;
  const char *column;
  guint       page;
  GError    **error;
} Ctx;

static gboolean G_GNUC_PRINTF (2, 3)
fail (Ctx        *ctx,
      const char *fmt,
      ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (ctx->error, VS_ERROR, VS_ERROR_PARSE,
               "%s: row group %u, column “%s”, page %u: %s",
               ctx->path, ctx->row_group, ctx->column, ctx->page, msg);
  return FALSE;
}

static guint64
read_uleb (const guint8 **p,
           const guint8  *end,
           gboolean      *bad)
{
  guint64 v = 0;
  int shift = 0;

  for (;;)
    {
      guint8 b;
      if (*p >= end || shift > 63)
        {
          *bad = TRUE;
          return 0;
        }
      b = *(*p)++;
      v |= (guint64) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return v;
      shift += 7;
    }
}

/* Unpack `count` values of `bw` bits, LSB first, from p (which must hold
 * count*bw/8 bytes rounded up). */
static void
unpack_lsb (const guint8 *p,
            int           bw,
            guint64      *out,
            gsize         count)
{
  guint64 bitpos = 0;

  for (gsize i = 0; i < count; i++)
    {
      guint64 v = 0;
      for (int b = 0; b < bw; b++, bitpos++)
        v |= (guint64) ((p[bitpos >> 3] >> (bitpos & 7)) & 1) << b;
      out[i] = v;
    }
}

/* RLE / bit-packed hybrid (without length prefix) -> n values. */
static gboolean
decode_hybrid (Ctx          *ctx,
               const guint8 *p,
               const guint8 *end,
               int           bw,
               guint32      *out,
               gsize         n)
{
  gsize got = 0;
  gboolean bad = FALSE;
  guint64 tmp[8];

  if (bw < 0 || bw > 32)
    return fail (ctx, "bit width %d out of range", bw);
  while (got < n)
    {
      guint64 h = read_uleb (&p, end, &bad);
      if (bad)
        return fail (ctx, "levels or indices cut off after %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " values", got, n);
      if (h & 1)
        {
          guint64 groups = h >> 1;
          if (groups == 0)
            continue;
          for (guint64 g = 0; g < groups; g++)
            {
              gsize avail = end - p;
              if (bw > 0 && avail == 0)
                return fail (ctx, "bit-packed run past the end of the data");
              if (avail < (gsize) bw)
                {
                  /* The last group may be cut short where it is padding. */
                  guint8 pad[32] = { 0 };
                  memcpy (pad, p, avail);
                  unpack_lsb (pad, bw, tmp, 8);
                  p = end;
                }
              else
                {
                  unpack_lsb (p, bw, tmp, 8);
                  p += bw;
                }
              for (int k = 0; k < 8 && got < n; k++)
                out[got++] = (guint32) tmp[k];
              if (got >= n)
                break;
            }
        }
      else
        {
          guint64 count = h >> 1;
          int nbytes = (bw + 7) / 8;
          guint32 v = 0;
          if ((gsize) (end - p) < (gsize) nbytes)
            return fail (ctx, "RLE run past the end of the data");
          for (int b = 0; b < nbytes; b++)
            v |= (guint32) p[b] << (8 * b);
          p += nbytes;
          if (count == 0)
            return fail (ctx, "empty RLE run");
          for (guint64 k = 0; k < count && got < n; k++)
            out[got++] = v;
        }
    }
  return TRUE;
}

/* Old BIT_PACKED level encoding: MSB first, no header. */
static gboolean
decode_bitpacked_msb (Ctx          *ctx,
                      const guint8 *p,
                      const guint8 *end,
                      int           bw,
                      guint32      *out,
                      gsize         n,
                      gsize        *consumed)
{
  gsize need = (n * (gsize) bw + 7) / 8;

  if ((gsize) (end - p) < need)
    return fail (ctx, "bit-packed levels past the end of the page");
  for (gsize i = 0; i < n; i++)
    {
      guint32 v = 0;
      for (int b = 0; b < bw; b++)
        {
          gsize bit = i * bw + b;
          v = (v << 1) | ((p[bit >> 3] >> (7 - (bit & 7))) & 1);
        }
      out[i] = v;
    }
  *consumed = need;
  return TRUE;
}

static int
bit_width (guint64 max)
{
  int w = 0;

  while (max > 0)
    {
      w++;
      max >>= 1;
    }
  return w;
}

/* DELTA_BINARY_PACKED -> n values (as 64-bit two's complement); *used set to
 * the bytes consumed. */
static gboolean
decode_delta_binary (Ctx          *ctx,
                     const guint8 *p,
                     const guint8 *end,
                     gint64       *out,
                     gsize         n,
                     gsize        *used)
{
  const guint8 *start = p;
  gboolean bad = FALSE;
  guint64 block_size = read_uleb (&p, end, &bad);
  guint64 n_mini = read_uleb (&p, end, &bad);
  guint64 total = read_uleb (&p, end, &bad);
  guint64 zz = read_uleb (&p, end, &bad);
  guint64 last = (zz >> 1) ^ -(zz & 1);
  guint64 per_mini;
  gsize got = 0;
  g_autofree guint64 *tmp = NULL;

  if (bad)
    return fail (ctx, "DELTA_BINARY_PACKED header cut off");
  if (block_size == 0 || block_size % 128 != 0 || n_mini == 0 || block_size % n_mini != 0 ||
      (block_size / n_mini) % 32 != 0 || block_size > (1u << 20))
    return fail (ctx, "DELTA_BINARY_PACKED block size %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT " miniblocks is invalid",
                 block_size, n_mini);
  if (total < n)
    return fail (ctx, "DELTA_BINARY_PACKED holds %" G_GUINT64_FORMAT " values, %" G_GSIZE_FORMAT " expected", total, n);
  per_mini = block_size / n_mini;
  tmp = g_new (guint64, per_mini);
  if (total > 0 && n > 0)
    out[got++] = (gint64) last;
  /* Consume every block that holds values (even past n, to find the end). */
  {
    guint64 remaining = total > 0 ? total - 1 : 0;
    while (remaining > 0)
      {
        guint64 zmin = read_uleb (&p, end, &bad);
        guint64 min_delta = (zmin >> 1) ^ -(zmin & 1);
        const guint8 *widths = p;

        if (bad || (guint64) (end - p) < n_mini)
          return fail (ctx, "DELTA_BINARY_PACKED block header cut off");
        p += n_mini;
        for (guint64 m = 0; m < n_mini && remaining > 0; m++)
          {
            int bw = widths[m];
            gsize nbytes = per_mini * bw / 8;
            guint64 take = MIN (per_mini, remaining);
            if (bw > 64)
              return fail (ctx, "DELTA_BINARY_PACKED bit width %d", bw);
            if ((gsize) (end - p) < nbytes)
              return fail (ctx, "DELTA_BINARY_PACKED miniblock past the end of the data");
            unpack_lsb (p, bw, tmp, take);
            p += nbytes;
            for (guint64 k = 0; k < take; k++)
              {
                last = last + min_delta + tmp[k];
                if (got < n)
                  out[got++] = (gint64) last;
              }
            remaining -= take;
          }
      }
  }
  *used = p - start;
  return TRUE;
}

static gboolean
decode_plain (Ctx          *ctx,
              int           ptype,
              int           type_length,
              const guint8 *p,
              const guint8 *end,
              Values       *v,
              gsize         n)
{
  gsize avail = end - p;
  gsize min_bits;

  /* Check the count against the bytes before allocating for it. */
  switch (ptype)
    {
    case PT_BOOLEAN: min_bits = 1; break;
    case PT_INT32: case PT_FLOAT: case PT_BYTE_ARRAY: min_bits = 32; break;
    case PT_INT64: case PT_DOUBLE: min_bits = 64; break;
    case PT_INT96: min_bits = 96; break;
    default: min_bits = type_length > 0 ? 8 * (gsize) type_length : 8; break;
    }
  if (n > avail * 8 / min_bits)
    return fail (ctx, "%" G_GSIZE_FORMAT " PLAIN values cannot fit in %" G_GSIZE_FORMAT " bytes", n, avail);
  values_alloc (v, ptype, n);
  switch (ptype)
    {
    case PT_BOOLEAN:
      if (avail < (n + 7) / 8)
        return fail (ctx, "PLAIN booleans past the end of the page");
      for (gsize i = 0; i < n; i++)
        v->ints[i] = (p[i >> 3] >> (i & 7)) & 1;
      return TRUE;
    case PT_INT32:
      if (avail / 4 < n)
        return fail (ctx, "PLAIN INT32 values past the end of the page");
      for (gsize i = 0; i < n; i++)
        {
          gint32 x;
          memcpy (&x, p + 4 * i, 4);
          v->ints[i] = GINT32_FROM_LE (x);
        }
      return TRUE;
    case PT_INT64:
      if (avail / 8 < n)
        return fail (ctx, "PLAIN INT64 values past the end of the page");
      for (gsize i = 0; i < n; i++)
        {
          gint64 x;
          memcpy (&x, p + 8 * i, 8);
          v->ints[i] = GINT64_FROM_LE (x);
        }
      return TRUE;
    case PT_FLOAT:
      if (avail / 4 < n)
        return fail (ctx, "PLAIN FLOAT values past the end of the page");
      for (gsize i = 0; i < n; i++)
        {
          float x;
          memcpy (&x, p + 4 * i, 4);
          v->dbls[i] = x;
        }
      return TRUE;
    case PT_DOUBLE:
      if (avail / 8 < n)
        return fail (ctx, "PLAIN DOUBLE values past the end of the page");
      for (gsize i = 0; i < n; i++)
        memcpy (&v->dbls[i], p + 8 * i, 8);
      return TRUE;
    case PT_INT96:
    case PT_FIXED:
      {
        gsize w = ptype == PT_INT96 ? 12 : (gsize) type_length;
        if (w == 0 && ptype == PT_FIXED)
          return fail (ctx, "FIXED_LEN_BYTE_ARRAY without a length");
        if (w > 0 && avail / w < n)
          return fail (ctx, "PLAIN fixed-width values past the end of the page");
        vs_buf_append (&v->bytes, p, w * n);
        for (gsize i = 0; i <= n; i++)
          v->offs[i] = w * i;
        return TRUE;
      }
    case PT_BYTE_ARRAY:
      for (gsize i = 0; i < n; i++)
        {
          guint32 len;
          if ((gsize) (end - p) < 4)
            return fail (ctx, "PLAIN BYTE_ARRAY value %" G_GSIZE_FORMAT " past the end of the page", i);
          memcpy (&len, p, 4);
          len = GUINT32_FROM_LE (len);
          p += 4;
          if ((gsize) (end - p) < len)
            return fail (ctx, "PLAIN BYTE_ARRAY value %" G_GSIZE_FORMAT " (%u bytes) past the end of the page", i, len);
          v->offs[i] = v->bytes.len;
          vs_buf_append (&v->bytes, p, len);
          p += len;
        }
      v->offs[n] = v->bytes.len;
      return TRUE;
    default:
      return fail (ctx, "unknown physical type %d", ptype);
    }
}

static gboolean
decode_values (Ctx          *ctx,
               int           ptype,
               int           type_length,
               int           encoding,
               const guint8 *p,
               const guint8 *end,
               const Values *dict,
               gboolean      have_dict,
               Values       *v,
               gsize         n)
{
  switch (encoding)
    {
    case ENC_PLAIN:
      return decode_plain (ctx, ptype, type_length, p, end, v, n);

    case ENC_PLAIN_DICTIONARY:
    case ENC_RLE_DICTIONARY:
      {
        g_autofree guint32 *idx = NULL;
        int bw;

        if (!have_dict)
          return fail (ctx, "dictionary-encoded page without a dictionary page");
        values_alloc (v, ptype, n);
        if (n == 0)
          return TRUE;
        if (p >= end)
          return fail (ctx, "dictionary indices missing");
        bw = *p++;
        idx = g_new (guint32, n);
        if (!decode_hybrid (ctx, p, end, bw, idx, n))
          return FALSE;
        for (gsize i = 0; i < n; i++)
          {
            if (idx[i] >= dict->n)
              return fail (ctx, "dictionary index %u out of range (dictionary has %" G_GSIZE_FORMAT " entries)",
                           idx[i], dict->n);
            if (v->ints != NULL)
              v->ints[i] = dict->ints[idx[i]];
            else if (v->dbls != NULL)
              v->dbls[i] = dict->dbls[idx[i]];
            else
              {
                v->offs[i] = v->bytes.len;
                vs_buf_append (&v->bytes, dict->bytes.data + dict->offs[idx[i]],
                               dict->offs[idx[i] + 1] - dict->offs[idx[i]]);
              }
          }
        if (v->offs != NULL)
          v->offs[n] = v->bytes.len;
        return TRUE;
      }

    case ENC_RLE:
      {
        g_autofree guint32 *bits = NULL;
        guint32 len;

        if (ptype != PT_BOOLEAN)
          return fail (ctx, "RLE encoding for a non-boolean column");
        values_alloc (v, ptype, n);
        if ((gsize) (end - p) < 4)
          return fail (ctx, "RLE booleans: length missing");
        memcpy (&len, p, 4);
        len = GUINT32_FROM_LE (len);
        p += 4;
        if ((gsize) (end - p) < len)
          return fail (ctx, "RLE booleans past the end of the page");
        bits = g_new (guint32, n + 1);
        if (!decode_hybrid (ctx, p, p + len, 1, bits, n))
          return FALSE;
        for (gsize i = 0; i < n; i++)
          v->ints[i] = bits[i];
        return TRUE;
      }

    case ENC_DELTA_BINARY_PACKED:
      {
        gsize used = 0;
        if (ptype != PT_INT32 && ptype != PT_INT64)
          return fail (ctx, "DELTA_BINARY_PACKED for a non-integer column");
        values_alloc (v, ptype, n);
        if (!decode_delta_binary (ctx, p, end, v->ints, n, &used))
          return FALSE;
        if (ptype == PT_INT32)
          for (gsize i = 0; i < n; i++)
            v->ints[i] = (gint32) (guint32) v->ints[i];
        return TRUE;
      }

    case ENC_DELTA_LENGTH_BYTE_ARRAY:
      {
        g_autofree gint64 *lens = g_new (gint64, n + 1);
        gsize used = 0;

        if (ptype != PT_BYTE_ARRAY)
          return fail (ctx, "DELTA_LENGTH_BYTE_ARRAY for a non-BYTE_ARRAY column");
        values_alloc (v, ptype, n);
        if (!decode_delta_binary (ctx, p, end, lens, n, &used))
          return FALSE;
        p += used;
        for (gsize i = 0; i < n; i++)
          {
            if (lens[i] < 0 || (guint64) (end - p) < (guint64) lens[i])
              return fail (ctx, "DELTA_LENGTH_BYTE_ARRAY value %" G_GSIZE_FORMAT " past the end of the page", i);
            v->offs[i] = v->bytes.len;
            vs_buf_append (&v->bytes, p, lens[i]);
            p += lens[i];
          }
        v->offs[n] = v->bytes.len;
        return TRUE;
      }

    case ENC_DELTA_BYTE_ARRAY:
      {
        g_autofree gint64 *prefix = g_new (gint64, n + 1);
        g_autofree gint64 *suffix = g_new (gint64, n + 1);
        gsize used = 0;
        gint64 prev_len = 0;

        if (ptype != PT_BYTE_ARRAY && ptype != PT_FIXED)
          return fail (ctx, "DELTA_BYTE_ARRAY for a non-byte column");
        values_alloc (v, ptype, n);
        if (!decode_delta_binary (ctx, p, end, prefix, n, &used))
          return FALSE;
        p += used;
        if (!decode_delta_binary (ctx, p, end, suffix, n, &used))
          return FALSE;
        p += used;
        for (gsize i = 0; i < n; i++)
          {
            if (prefix[i] < 0 || prefix[i] > prev_len)
              return fail (ctx, "DELTA_BYTE_ARRAY value %" G_GSIZE_FORMAT ": prefix %" G_GINT64_FORMAT
                           " longer than the previous value", i, prefix[i]);
            if (suffix[i] < 0 || (guint64) (end - p) < (guint64) suffix[i])
              return fail (ctx, "DELTA_BYTE_ARRAY value %" G_GSIZE_FORMAT " past the end of the page", i);
            v->offs[i] = v->bytes.len;
            if (prefix[i] > 0)
              {
                /* Copy the prefix from the previous value (it is in bytes). */
                vs_buf_reserve (&v->bytes, prefix[i]);
                memmove (v->bytes.data + v->bytes.len, v->bytes.data + v->offs[i - 1], prefix[i]);
                v->bytes.len += prefix[i];
              }
            vs_buf_append (&v->bytes, p, suffix[i]);
            p += suffix[i];
            prev_len = prefix[i] + suffix[i];
          }
        v->offs[n] = v->bytes.len;
        return TRUE;
      }

    default:
      return fail (ctx, "unsupported encoding %d", encoding);
    }
}

static gboolean
decompress (Ctx          *ctx,
            int           codec,
            const guint8 *src,
            gsize         src_len,
            guint8       *dst,
            gsize         dst_len)
{
  switch (codec)
    {
    case CODEC_NONE:
      if (src_len != dst_len)
        return fail (ctx, "uncompressed page: %" G_GSIZE_FORMAT " bytes stored, %" G_GSIZE_FORMAT " declared",
                     src_len, dst_len);
      memcpy (dst, src, src_len);
      return TRUE;
    case CODEC_SNAPPY:
      {
        size_t out_len = 0;
        if (snappy_uncompressed_length ((const char *) src, src_len, &out_len) != SNAPPY_OK ||
            out_len != dst_len)
          return fail (ctx, "snappy data is corrupt or of the wrong size");
        out_len = dst_len;
        if (snappy_uncompress ((const char *) src, src_len, (char *) dst, &out_len) != SNAPPY_OK ||
            out_len != dst_len)
          return fail (ctx, "snappy data is corrupt");
        return TRUE;
      }
    case CODEC_GZIP:
      {
        z_stream zs;
        int rc;
        memset (&zs, 0, sizeof zs);
        if (inflateInit2 (&zs, 15 + 32) != Z_OK)
          return fail (ctx, "gzip: cannot initialise zlib");
        zs.next_in = (Bytef *) src;
        zs.avail_in = (uInt) src_len;
        zs.next_out = dst;
        zs.avail_out = (uInt) dst_len;
        rc = inflate (&zs, Z_FINISH);
        inflateEnd (&zs);
        if (rc != Z_STREAM_END || zs.total_out != dst_len)
          return fail (ctx, "gzip data is corrupt or of the wrong size");
        return TRUE;
      }
    case CODEC_ZSTD:
      {
        size_t r = ZSTD_decompress (dst, dst_len, src, src_len);
        if (ZSTD_isError (r) || r != dst_len)
          return fail (ctx, "zstd data is corrupt or of the wrong size%s%s",
                       ZSTD_isError (r) ? ": " : "", ZSTD_isError (r) ? ZSTD_getErrorName (r) : "");
        return TRUE;
      }
    default:
      return fail (ctx, "compression codec %d is not supported (only none, snappy, gzip, zstd)", codec);
    }
}

/* ====================================================================== */
/* Schema -> columns                                                       */

typedef struct
{
  char      *name;        /* dataset column name */
  int        ptype;
  int        type_length;
  int        max_def;
  int        max_rep;
  int        def_list;    /* lists: def level at which an element exists */
  gboolean   is_list;
  gboolean   skip;        /* unsupported nesting: read nothing */
  VsColumn  *col;         /* borrowed from the dataset; NULL when skipped */
} Leaf;

static gboolean
walk_schema (const FileMeta *m,
             guint          *pos,
             const char     *prefix,
             int             def,
             int             rep,
             int             def_rep_node,
             gboolean        in_list,
             GPtrArray      *leaves,
             int             depth)
{
  const SchemaNode *node;
  g_autofree char *name = NULL;
  int d = def, r = rep, drn = def_rep_node;

  if (*pos >= m->n_schema || depth > 32)
    return FALSE;
  node = &m->schema[(*pos)++];
  if (node->repetition == REP_OPTIONAL)
    d++;
  if (node->repetition == REP_REPEATED)
    {
      d++;
      r++;
      drn = d;
    }
  /* List wrappers (LIST group / repeated "list" group / "element") are not
   * part of the column name. */
  if (in_list || prefix == NULL)
    name = g_strdup (prefix != NULL ? prefix : (node->name != NULL ? node->name : "column"));
  else
    name = g_strconcat (prefix, ".", node->name != NULL ? node->name : "", NULL);

  if (node->num_children <= 0 || node->type >= 0)
    {
      Leaf *leaf = g_new0 (Leaf, 1);
      leaf->name = g_strdup (name);
      leaf->ptype = node->type;
      leaf->type_length = node->type_length;
      leaf->max_def = d;
      leaf->max_rep = r;
      leaf->def_list = drn;
      leaf->is_list = r == 1;
      leaf->skip = r > 1 || node->type < 0;
      g_ptr_array_add (leaves, leaf);
      return TRUE;
    }
  for (int c = 0; c < node->num_children; c++)
    {
      gboolean child_in_list = in_list || node->converted == 3 || node->logical_list ||
                               node->repetition == REP_REPEATED;
      if (node->converted == 1 || node->converted == 2 || node->logical_map)
        {
          /* Maps: read past their leaves, mark them skipped. */
          guint before = leaves->len;
          if (!walk_schema (m, pos, name, d, r + 2, drn, TRUE, leaves, depth + 1))
            return FALSE;
          for (guint i = before; i < leaves->len; i++)
            ((Leaf *) leaves->pdata[i])->skip = TRUE;
          continue;
        }
      if (!walk_schema (m, pos, name, d, r, drn, child_in_list, leaves, depth + 1))
        return FALSE;
    }
  return TRUE;
}

static void
leaf_free (gpointer p)
{
  Leaf *leaf = p;

  g_free (leaf->name);
  g_free (leaf);
}

static VsColumnType
leaf_type (const Leaf *leaf)
{
  if (leaf->is_list)
    return VS_COLUMN_STRING_LIST;
  switch (leaf->ptype)
    {
    case PT_BOOLEAN: return VS_COLUMN_BOOL;
    case PT_INT32:
    case PT_INT64: return VS_COLUMN_INT64;
    case PT_FLOAT:
    case PT_DOUBLE: return VS_COLUMN_FLOAT64;
    default: return VS_COLUMN_STRING;
    }
}

/* ====================================================================== */
/* Assembling values into columns                                          */

static char *
int96_to_iso (const guint8 *b)
{
  guint64 nanos;
  guint32 julian;
  gint64 days, secs;
  g_autoptr(GDateTime) dt = NULL;

  memcpy (&nanos, b, 8);
  memcpy (&julian, b + 8, 4);
  nanos = GUINT64_FROM_LE (nanos);
  julian = GUINT32_FROM_LE (julian);
  days = (gint64) julian - 2440588;
  secs = days * 86400 + (gint64) (nanos / 1000000000u);
  dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return g_strdup ("");
  {
    g_autofree char *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf ("%s.%03uZ", base, (guint) ((nanos / 1000000u) % 1000u));
  }
}

static char *
value_text (const Leaf   *leaf,
            const Values *v,
            gsize         i)
{
  char buf[64];

  switch (leaf->ptype)
    {
    case PT_BOOLEAN:
      return g_strdup (v->ints[i] ? "True" : "False");
    case PT_INT32:
    case PT_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, v->ints[i]);
    case PT_FLOAT:
    case PT_DOUBLE:
      vs_format_double (v->dbls[i], buf, sizeof buf);
      return g_strdup (buf);
    case PT_INT96:
      return int96_to_iso (v->bytes.data + v->offs[i]);
    default:
      return g_strndup ((const char *) v->bytes.data + v->offs[i], v->offs[i + 1] - v->offs[i]);
    }
}

static void
append_value (const Leaf   *leaf,
              const Values *v,
              gsize         i)
{
  VsColumn *col = leaf->col;

  switch (leaf->ptype)
    {
    case PT_BOOLEAN:
      vs_column_append_bool (col, v->ints[i] != 0);
      break;
    case PT_INT32:
    case PT_INT64:
      vs_column_append_int64 (col, v->ints[i]);
      break;
    case PT_FLOAT:
    case PT_DOUBLE:
      vs_column_append_double (col, v->dbls[i]);
      break;
    case PT_INT96:
      {
        g_autofree char *s = int96_to_iso (v->bytes.data + v->offs[i]);
        vs_column_append_string (col, s);
      }
      break;
    default:
      vs_column_append_string_len (col, (const char *) v->bytes.data + v->offs[i],
                                   v->offs[i + 1] - v->offs[i]);
      break;
    }
}

typedef struct
{
  GPtrArray *items;      /* char *, NULL for a null element */
  gboolean   open;       /* a row has started */
  gboolean   null_list;
} ListRow;

static void
list_flush (const Leaf *leaf,
            ListRow    *lr)
{
  if (!lr->open)
    return;
  if (lr->null_list)
    vs_column_append_string_list (leaf->col, NULL, 0);
  else
    vs_column_append_string_list (leaf->col, (const char *const *) lr->items->pdata, lr->items->len);
  g_ptr_array_set_size (lr->items, 0);
  lr->open = FALSE;
  lr->null_list = FALSE;
}

/* Append one page's levels + values to the leaf's column. */
static gboolean
assemble (Ctx          *ctx,
          const Leaf   *leaf,
          const guint32 *defs,
          const guint32 *reps,
          gsize          n_levels,
          const Values  *v,
          ListRow       *lr)
{
  gsize vi = 0;

  for (gsize i = 0; i < n_levels; i++)
    {
      guint32 d = defs != NULL ? defs[i] : (guint32) leaf->max_def;
      guint32 r = reps != NULL ? reps[i] : 0;
      gboolean present = d == (guint32) leaf->max_def;

      if (d > (guint32) leaf->max_def || r > (guint32) leaf->max_rep)
        return fail (ctx, "level %u/%u above the schema's maximum %d/%d", d, r, leaf->max_def, leaf->max_rep);
      if (present && vi >= v->n)
        return fail (ctx, "more defined levels than values (%" G_GSIZE_FORMAT ")", v->n);
      if (!leaf->is_list)
        {
          if (present)
            append_value (leaf, v, vi++);
          else
            vs_column_append_null (leaf->col);
          continue;
        }
      if (r == 0)
        {
          list_flush (leaf, lr);
          lr->open = TRUE;
          if ((int) d < leaf->def_list - 1)
            {
              lr->null_list = TRUE;
              continue;
            }
        }
      else if (!lr->open)
        return fail (ctx, "list continues (repetition level %u) before any row started", r);
      if ((int) d >= leaf->def_list)
        {
          if (present)
            g_ptr_array_add (lr->items, value_text (leaf, v, vi++));
          else
            g_ptr_array_add (lr->items, NULL);
        }
    }
  return TRUE;
}

/* ====================================================================== */
/* Column chunks                                                           */

static gboolean
read_levels_v1 (Ctx           *ctx,
                int            encoding,
                int            max_level,
                const guint8 **p,
                const guint8  *end,
                guint32       *out,
                gsize          n)
{
  int bw = bit_width ((guint64) max_level);

  if (encoding == ENC_BIT_PACKED)
    {
      gsize used = 0;
      if (!decode_bitpacked_msb (ctx, *p, end, bw, out, n, &used))
        return FALSE;
      *p += used;
      return TRUE;
    }
  if (encoding == ENC_RLE)
    {
      guint32 len;
      if ((gsize) (end - *p) < 4)
        return fail (ctx, "levels: length missing");
      memcpy (&len, *p, 4);
      len = GUINT32_FROM_LE (len);
      *p += 4;
      if ((gsize) (end - *p) < len)
        return fail (ctx, "levels (%u bytes) past the end of the page", len);
      if (!decode_hybrid (ctx, *p, *p + len, bw, out, n))
        return FALSE;
      *p += len;
      return TRUE;
    }
  return fail (ctx, "level encoding %d is not supported", encoding);
}

static gboolean
read_column_chunk (Ctx             *ctx,
                   int              fd,
                   gint64           file_size,
                   const ChunkMeta *cm,
                   const Leaf      *leaf)
{
  gint64 start = cm->data_page_offset;
  gint64 len;
  g_autofree guint8 *chunk = NULL;
  const guint8 *p, *end;
  Values dict = { 0 };
  Values vals = { 0 };
  gboolean have_dict = FALSE;
  gint64 values_read = 0;
  ListRow lr = { g_ptr_array_new_with_free_func (g_free), FALSE, FALSE };
  gboolean ok = FALSE;

  if (cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < start)
    start = cm->dictionary_page_offset;
  len = cm->total_compressed;
  if (start < 4 || len <= 0 || start > file_size || len > file_size - start)
    {
      fail (ctx, "column chunk at offset %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " bytes) lies outside the file (%" G_GINT64_FORMAT " bytes)",
            start, len, file_size);
      goto out;
    }
  chunk = g_try_malloc (len);
  if (chunk == NULL)
    {
      fail (ctx, "cannot allocate %" G_GINT64_FORMAT " bytes for the column chunk", len);
      goto out;
    }
  if (pread (fd, chunk, len, start) != len)
    {
      fail (ctx, "read failed: %s", g_strerror (errno));
      goto out;
    }
  p = chunk;
  end = chunk + len;
  if (cm->num_values < 0 || cm->num_values > (G_GINT64_CONSTANT (1) << 28))
    {
      fail (ctx, "column chunk claims %" G_GINT64_FORMAT " values", cm->num_values);
      goto out;
    }

  for (ctx->page = 0; values_read < cm->num_values && p < end; ctx->page++)
    {
      Thrift t = { p, end, FALSE, 0 };
      PageHeader h;
      const guint8 *body;
      g_autofree guint8 *buf = NULL;
      g_autofree guint32 *defs = NULL;
      g_autofree guint32 *reps = NULL;
      const guint8 *q, *qend;
      gsize n, n_present;

      if (!parse_page_header (&t, &h))
        {
          fail (ctx, "bad page header (Thrift) at offset %" G_GINT64_FORMAT, start + (gint64) (p - chunk));
          goto out;
        }
      body = t.p;
      if (h.compressed_size > end - body)
        {
          fail (ctx, "page data (%" G_GINT64_FORMAT " bytes) runs past the end of the column chunk",
                h.compressed_size);
          goto out;
        }
      p = body + h.compressed_size;
      if (h.uncompressed_size > (G_GINT64_CONSTANT (1) << 31))
        {
          fail (ctx, "page claims %" G_GINT64_FORMAT " uncompressed bytes", h.uncompressed_size);
          goto out;
        }

      if (h.type == PAGE_INDEX)
        continue;
      if (h.type == PAGE_DICTIONARY)
        {
          buf = g_try_malloc (h.uncompressed_size + 1);
          if (buf == NULL)
            {
              fail (ctx, "cannot allocate %" G_GINT64_FORMAT " bytes for the page", h.uncompressed_size);
              goto out;
            }
          if (!decompress (ctx, cm->codec, body, h.compressed_size, buf, h.uncompressed_size))
            goto out;
          if (h.encoding != ENC_PLAIN && h.encoding != ENC_PLAIN_DICTIONARY)
            {
              fail (ctx, "dictionary page encoding %d is not PLAIN", h.encoding);
              goto out;
            }
          if (!decode_plain (ctx, leaf->ptype, leaf->type_length, buf, buf + h.uncompressed_size,
                             &dict, h.num_values))
            goto out;
          have_dict = TRUE;
          continue;
        }
      if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2)
        {
          fail (ctx, "unknown page type %d", h.type);
          goto out;
        }

      n = h.num_values;
      if ((gint64) n > cm->num_values - values_read)
        {
          fail (ctx, "page holds %" G_GSIZE_FORMAT " values, only %" G_GINT64_FORMAT " remain in the column chunk",
                n, cm->num_values - values_read);
          goto out;
        }
      defs = leaf->max_def > 0 ? g_new0 (guint32, n + 1) : NULL;
      reps = leaf->max_rep > 0 ? g_new0 (guint32, n + 1) : NULL;
      if (h.type == PAGE_DATA)
        {
          buf = g_try_malloc (h.uncompressed_size + 1);
          if (buf == NULL)
            {
              fail (ctx, "cannot allocate %" G_GINT64_FORMAT " bytes for the page", h.uncompressed_size);
              goto out;
            }
          if (!decompress (ctx, cm->codec, body, h.compressed_size, buf, h.uncompressed_size))
            goto out;
          q = buf;
          qend = buf + h.uncompressed_size;
          if (reps != NULL && !read_levels_v1 (ctx, h.rep_encoding, leaf->max_rep, &q, qend, reps, n))
            goto out;
          if (defs != NULL && !read_levels_v1 (ctx, h.def_encoding, leaf->max_def, &q, qend, defs, n))
            goto out;
        }
      else
        {
          gint64 lv = (gint64) h.rep_len + h.def_len;
          gint64 vlen;
          if (h.rep_len < 0 || h.def_len < 0 || lv > h.compressed_size || lv > h.uncompressed_size)
            {
              fail (ctx, "level lengths %d + %d exceed the page", h.rep_len, h.def_len);
              goto out;
            }
          if (reps != NULL && !decode_hybrid (ctx, body, body + h.rep_len,
                                              bit_width (leaf->max_rep), reps, n))
            goto out;
          if (defs != NULL && !decode_hybrid (ctx, body + h.rep_len, body + lv,
                                              bit_width (leaf->max_def), defs, n))
            goto out;
          vlen = h.uncompressed_size - lv;
          buf = g_try_malloc (vlen + 1);
          if (buf == NULL)
            {
              fail (ctx, "cannot allocate %" G_GINT64_FORMAT " bytes for the page", vlen);
              goto out;
            }
          if (h.is_compressed)
            {
              if (!decompress (ctx, cm->codec, body + lv, h.compressed_size - lv, buf, vlen))
                goto out;
            }
          else if (!decompress (ctx, CODEC_NONE, body + lv, h.compressed_size - lv, buf, vlen))
            goto out;
          q = buf;
          qend = buf + vlen;
        }

      n_present = 0;
      for (gsize i = 0; i < n; i++)
        if (defs == NULL || defs[i] == (guint32) leaf->max_def)
          n_present++;
      if (!decode_values (ctx, leaf->ptype, leaf->type_length, h.encoding, q, qend, &dict, have_dict,
                          &vals, n_present))
        goto out;
      if (!assemble (ctx, leaf, defs, reps, n, &vals, &lr))
        goto out;
      values_read += n;
    }
  if (values_read < cm->num_values)
    {
      fail (ctx, "column chunk ends after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " values",
            values_read, cm->num_values);
      goto out;
    }
  if (leaf->is_list)
    list_flush (leaf, &lr);
  ok = TRUE;

out:
  values_clear (&dict);
  values_clear (&vals);
  g_ptr_array_unref (lr.items);
  return ok;
}

static void
column_truncate (VsColumn *col,
                 gsize     n)
{
  if (n >= col->length)
    return;
  switch (col->type)
    {
    case VS_COLUMN_FLOAT64:
    case VS_COLUMN_INT64:
      col->values.len = n * 8;
      break;
    case VS_COLUMN_BOOL:
      col->values.len = n;
      break;
    case VS_COLUMN_STRING:
      col->strings.count = n;
      col->strings.offsets.len = (n + 1) * sizeof (guint64);
      col->strings.bytes.len = ((guint64 *) col->strings.offsets.data)[n];
      break;
    case VS_COLUMN_STRING_LIST:
      {
        guint64 items = ((guint64 *) col->list_offsets.data)[n];
        col->list_offsets.len = (n + 1) * sizeof (guint64);
        col->strings.count = items;
        col->strings.offsets.len = (items + 1) * sizeof (guint64);
        col->strings.bytes.len = ((guint64 *) col->strings.offsets.data)[items];
      }
      break;
    default:
      break;
    }
  col->length = n;
}

gboolean
vs_read_parquet (const char        *path,
                 gsize             max_rows,
                 const VsReadWatch *watch,
                 VsDataset        *ds,
                 GError          **error)
{
  int fd = -1;
  gint64 size;
  guint8 tail[8];
  guint8 head[4];
  guint32 footer_len;
  g_autofree guint8 *footer = NULL;
  FileMeta meta = { 0 };
  g_autoptr(GPtrArray) leaves = g_ptr_array_new_with_free_func (leaf_free);
  gboolean ok = FALSE;
  gsize rows = 0;
  guint pos = 1;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
      return FALSE;
    }
  size = lseek (fd, 0, SEEK_END);
  if (size < 12 || pread (fd, tail, 8, size - 8) != 8 || pread (fd, head, 4, 0) != 4 ||
      memcmp (tail + 4, "PAR1", 4) != 0 || memcmp (head, "PAR1", 4) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: not a Parquet file (no “PAR1” magic at both ends%s)", path,
                   size >= 4 && memcmp (head, "PAR1", 4) == 0 ? "; truncated?" : "");
      goto out;
    }
  memcpy (&footer_len, tail, 4);
  footer_len = GUINT32_FROM_LE (footer_len);
  if ((gint64) footer_len > size - 12)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: footer length %u exceeds the file (%" G_GINT64_FORMAT " bytes)", path, footer_len, size);
      goto out;
    }
  footer = g_malloc (footer_len + 1);
  if (pread (fd, footer, footer_len, size - 8 - footer_len) != (gssize) footer_len)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot read the footer: %s", path, g_strerror (errno));
      goto out;
    }
  if (!parse_file_meta (footer, footer_len, &meta))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: footer: bad FileMetaData (Thrift)", path);
      goto out;
    }

  /* Root's children. */
  for (int c = 0; c < meta.schema[0].num_children; c++)
    if (!walk_schema (&meta, &pos, NULL, 0, 0, 0, FALSE, leaves, 0))
      {
        g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: footer: the schema tree is inconsistent", path);
        goto out;
      }
  for (guint i = 0; i < leaves->len; i++)
    {
      Leaf *leaf = leaves->pdata[i];
      if (leaf->skip)
        continue;
      g_autofree char *name = g_strdup (leaf->name);
      for (guint k = 1; vs_dataset_find_column (ds, name) >= 0; k++)
        {
          g_free (name);
          name = g_strdup_printf ("%s.%u", leaf->name, k);
        }
      leaf->col = vs_column_new (name, leaf_type (leaf));
      vs_dataset_take_column (ds, leaf->col);
    }

  for (guint g = 0; g < meta.n_row_groups; g++)
    {
      RowGroupMeta *rg = &meta.row_groups[g];

      if (max_rows > 0 && rows >= max_rows)
        break;
      if (rg->n_chunks != leaves->len)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: row group %u has %u column chunks, the schema %u columns", path, g,
                       rg->n_chunks, leaves->len);
          goto out;
        }
      if (rg->num_rows < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: row group %u: negative row count", path, g);
          goto out;
        }
      for (guint c = 0; c < rg->n_chunks; c++)
        {
          Leaf *leaf = leaves->pdata[c];
          Ctx ctx = { path, g, leaf->name, 0, error };

          if (leaf->skip)
            continue;
          if (!leaf->is_list && rg->chunks[c].has_meta && rg->chunks[c].num_values != rg->num_rows)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s: row group %u, column “%s”: %" G_GINT64_FORMAT " values for %" G_GINT64_FORMAT " rows",
                           path, g, leaf->name, rg->chunks[c].num_values, rg->num_rows);
              goto out;
            }
          if (!rg->chunks[c].has_meta)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                           "%s: row group %u, column “%s”: column chunk without metadata (external file?)",
                           path, g, leaf->name);
              goto out;
            }
          if (!read_column_chunk (&ctx, fd, size - 8 - footer_len, &rg->chunks[c], leaf))
            goto out;
          /* A column chunk is the unit read at once: watch between them. */
          if (!vs_read_watch_tick (watch, path, MAX (rg->chunks[c].data_page_offset, 0) +
                                   MAX (rg->chunks[c].total_compressed, 0), error))
            goto out;
          if (leaf->col->length != rows + (gsize) rg->num_rows)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s: row group %u, column “%s”: %" G_GSIZE_FORMAT " rows decoded, the footer says %" G_GINT64_FORMAT,
                           path, g, leaf->name, leaf->col->length - rows, rg->num_rows);
              goto out;
            }
        }
      rows += rg->num_rows;
    }
  if (max_rows > 0 && rows > max_rows)
    for (guint i = 0; i < ds->columns->len; i++)
      column_truncate (ds->columns->pdata[i], max_rows);
  ok = TRUE;

out:
  file_meta_clear (&meta);
  if (fd >= 0)
    close (fd);
  return ok;
}
