/* vs-safetensors.c: safetensors reader (mmap) and F32 writer. */
#include "config.h"

#include <cjson/cJSON.h>
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "model/vs-safetensors.h"
#include "vs-error.h"
#include "fault/vs-fault.h"

struct _VsSafetensors
{
  GPtrArray  *maps;     /* GMappedFile* */
  GPtrArray  *files;    /* char* paths */
  GArray     *tensors;  /* VsSafeTensor */
  GHashTable *by_name;  /* name -> index + 1 */
};

static void
tensor_clear (gpointer p)
{
  VsSafeTensor *t = p;

  g_free (t->name);
  g_free (t->dtype);
}

void
vs_safetensors_free (VsSafetensors *st)
{
  if (st == NULL)
    return;
  g_array_unref (st->tensors);
  g_ptr_array_unref (st->maps);
  g_ptr_array_unref (st->files);
  g_hash_table_unref (st->by_name);
  g_free (st);
}

static gsize
dtype_size (const char *dtype)
{
  static const struct { const char *name; gsize size; } table[] = {
    { "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 },
    { "I64", 8 }, { "I32", 4 }, { "I16", 2 }, { "I8", 1 },
    { "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 },
    { "BOOL", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (dtype, table[i].name) == 0)
      return table[i].size;
  return 0;
}

/* Parses one file and appends its tensors; only_names (may be NULL) limits
 * which tensors are taken (for shards). */
static gboolean
open_one (VsSafetensors *st, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  GMappedFile *map;
  const guint8 *bytes;
  gsize size, data_size;
  guint64 hlen = 0;
  g_autofree char *header = NULL;
  cJSON *root, *item;
  const char *file;

  map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, local->message);
      return FALSE;
    }
  g_ptr_array_add (st->maps, map);
  file = g_strdup (path);
  g_ptr_array_add (st->files, (gpointer) file);
  bytes = (const guint8 *) g_mapped_file_get_contents (map);
  size = g_mapped_file_get_length (map);
  if (size < 8)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: file too short for a safetensors header", path);
      return FALSE;
    }
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | bytes[i];
  if (hlen > size - 8 || hlen > 100 * 1024 * 1024)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: header length %" G_GUINT64_FORMAT " exceeds the file size %" G_GSIZE_FORMAT,
                   path, hlen, size);
      return FALSE;
    }
  header = g_strndup ((const char *) bytes + 8, hlen);
  data_size = size - 8 - hlen;
  root = cJSON_Parse (header);
  if (root == NULL || !cJSON_IsObject (root))
    {
      cJSON_Delete (root);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: header is not a JSON object", path);
      return FALSE;
    }
  cJSON_ArrayForEach (item, root)
    {
      VsSafeTensor t = { 0 };
      cJSON *dtype, *shape, *offs, *dim;
      guint64 begin, end;
      gsize esize;

      if (g_strcmp0 (item->string, "__metadata__") == 0)
        continue;
      dtype = cJSON_GetObjectItemCaseSensitive (item, "dtype");
      shape = cJSON_GetObjectItemCaseSensitive (item, "shape");
      offs = cJSON_GetObjectItemCaseSensitive (item, "data_offsets");
      if (!cJSON_IsString (dtype) || !cJSON_IsArray (shape) || !cJSON_IsArray (offs) ||
          cJSON_GetArraySize (offs) != 2 || cJSON_GetArraySize (shape) > 8)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: tensor %s: expected dtype, shape (at most 8 dims) and two data_offsets",
                       path, item->string);
          cJSON_Delete (root);
          return FALSE;
        }
      esize = dtype_size (dtype->valuestring);
      if (esize == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s: unknown dtype %s",
                       path, item->string, dtype->valuestring);
          cJSON_Delete (root);
          return FALSE;
        }
      t.numel = 1;
      cJSON_ArrayForEach (dim, shape)
        {
          if (!cJSON_IsNumber (dim) || dim->valuedouble < 0 || dim->valuedouble > 1e12 ||
              dim->valuedouble != (double) (gint64) dim->valuedouble)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s: bad shape entry",
                           path, item->string);
              cJSON_Delete (root);
              return FALSE;
            }
          t.shape[t.ndim++] = (gsize) dim->valuedouble;
          if (t.shape[t.ndim - 1] != 0 && t.numel > G_MAXSIZE / 16 / t.shape[t.ndim - 1])
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s: shape too large",
                           path, item->string);
              cJSON_Delete (root);
              return FALSE;
            }
          t.numel *= t.shape[t.ndim - 1];
        }
      if (!cJSON_IsNumber (cJSON_GetArrayItem (offs, 0)) || !cJSON_IsNumber (cJSON_GetArrayItem (offs, 1)))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s: data_offsets are not numbers",
                       path, item->string);
          cJSON_Delete (root);
          return FALSE;
        }
      /* Whole numbers in [0, 2^53] before they become integers (a negative
       * or huge double converted to guint64 is undefined). */
      double begin_d = cJSON_GetArrayItem (offs, 0)->valuedouble;
      double end_d = cJSON_GetArrayItem (offs, 1)->valuedouble;
      gboolean whole = begin_d >= 0 && begin_d <= 9007199254740992.0 && begin_d == (double) (gint64) begin_d &&
                       end_d >= 0 && end_d <= 9007199254740992.0 && end_d == (double) (gint64) end_d;
      begin = whole ? (guint64) begin_d : 0;
      end = whole ? (guint64) end_d : 0;
      if (!whole)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: tensor %s: data_offsets are not whole numbers from 0 to 2^53",
                       path, item->string);
          cJSON_Delete (root);
          return FALSE;
        }
      if (begin > end || end > data_size || end - begin != t.numel * esize)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       ") do not fit %s x %" G_GSIZE_FORMAT " elements in %" G_GSIZE_FORMAT " data bytes",
                       path, item->string, begin, end, dtype->valuestring, t.numel, data_size);
          cJSON_Delete (root);
          return FALSE;
        }
      t.name = g_strdup (item->string);
      t.dtype = g_strdup (dtype->valuestring);
      t.data = bytes + 8 + hlen + begin;
      t.nbytes = end - begin;
      t.file = file;
      if (g_hash_table_contains (st->by_name, t.name))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s appears twice", path, t.name);
          tensor_clear (&t);
          cJSON_Delete (root);
          return FALSE;
        }
      g_array_append_val (st->tensors, t);
      g_hash_table_insert (st->by_name,
                           g_array_index (st->tensors, VsSafeTensor, st->tensors->len - 1).name,
                           GSIZE_TO_POINTER ((gsize) st->tensors->len));
    }
  cJSON_Delete (root);
  return TRUE;
}

VsSafetensors *
vs_safetensors_open (const char *path, GError **error)
{
  g_autoptr(VsSafetensors) st = g_new0 (VsSafetensors, 1);

  st->maps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_mapped_file_unref);
  st->files = g_ptr_array_new_with_free_func (g_free);
  st->tensors = g_array_new (FALSE, TRUE, sizeof (VsSafeTensor));
  g_array_set_clear_func (st->tensors, tensor_clear);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  if (g_str_has_suffix (path, ".json"))
    {
      g_autofree char *text = NULL;
      g_autofree char *dir = g_path_get_dirname (path);
      g_autoptr(GError) local = NULL;
      g_autoptr(GHashTable) shards = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GPtrArray) order = g_ptr_array_new ();
      cJSON *root, *map, *item;
      gboolean ok = TRUE;

      if (!g_file_get_contents (path, &text, NULL, &local))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local->message);
          return NULL;
        }
      root = cJSON_Parse (text);
      map = cJSON_GetObjectItemCaseSensitive (root, "weight_map");
      if (!cJSON_IsObject (map))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: no \"weight_map\" object", path);
          cJSON_Delete (root);
          return NULL;
        }
      cJSON_ArrayForEach (item, map)
        {
          if (!cJSON_IsString (item) || strchr (item->valuestring, '/') != NULL ||
              strcmp (item->valuestring, "..") == 0)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: weight_map.%s: expected a file name",
                           path, item->string);
              cJSON_Delete (root);
              return NULL;
            }
          if (!g_hash_table_contains (shards, item->valuestring))
            {
              g_hash_table_add (shards, item->valuestring);
              g_ptr_array_add (order, item->valuestring);
            }
        }
      for (guint i = 0; ok && i < order->len; i++)
        {
          g_autofree char *shard = g_build_filename (dir, order->pdata[i], NULL);
          ok = open_one (st, shard, error);
        }
      /* every mapped name must be in the shard the index names */
      cJSON_ArrayForEach (item, map)
        {
          const VsSafeTensor *t;
          g_autofree char *base = NULL;

          if (!ok)
            break;
          t = vs_safetensors_lookup (st, item->string);
          if (t != NULL)
            base = g_path_get_basename (t->file);
          if (t == NULL || strcmp (base, item->valuestring) != 0)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s is not in %s",
                           path, item->string, item->valuestring);
              ok = FALSE;
            }
        }
      cJSON_Delete (root);
      if (!ok)
        return NULL;
    }
  else if (!open_one (st, path, error))
    return NULL;

  return g_steal_pointer (&st);
}

gsize
vs_safetensors_get_n (VsSafetensors *st)
{
  return st->tensors->len;
}

const VsSafeTensor *
vs_safetensors_get (VsSafetensors *st, gsize i)
{
  g_return_val_if_fail (i < st->tensors->len, NULL);
  return &g_array_index (st->tensors, VsSafeTensor, i);
}

const VsSafeTensor *
vs_safetensors_lookup (VsSafetensors *st, const char *name)
{
  gsize idx = GPOINTER_TO_SIZE (g_hash_table_lookup (st->by_name, name));

  return idx == 0 ? NULL : &g_array_index (st->tensors, VsSafeTensor, idx - 1);
}

float
vs_f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0)
    {
      /* zero or subnormal: mant * 2^-24 */
      f = (float) mant * (1.0f / 16777216.0f);
      return sign ? -f : f;
    }
  if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &bits, 4);
  return f;
}

float
vs_bf16_to_f32 (guint16 h)
{
  guint32 bits = (guint32) h << 16;
  float f;

  memcpy (&f, &bits, 4);
  return f;
}

guint16
vs_f32_to_bf16 (float f)
{
  guint32 bits;

  memcpy (&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return (guint16) (bits >> 16);
}

guint16
vs_f32_to_f16 (float f)
{
  guint32 x;
  guint32 sign, mant;
  gint32 exp;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  exp = (gint32) ((x >> 23) & 0xff) - 127 + 15;
  mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff)
    return (guint16) (sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31)
    return (guint16) (sign | 0x7c00);
  if (exp <= 0)
    {
      guint32 shift, r, half;
      if (exp < -10)
        return (guint16) sign;
      mant |= 0x800000;
      shift = (guint32) (14 - exp);
      r = mant >> shift;
      half = 1u << (shift - 1);
      if ((mant & ((1u << shift) - 1)) > half || ((mant & ((1u << shift) - 1)) == half && (r & 1)))
        r++;
      return (guint16) (sign | r);
    }
  {
    guint32 r = ((guint32) exp << 10) | (mant >> 13);
    guint32 rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
      r++;
    return (guint16) (sign | r);
  }
}

gboolean
vs_safetensors_read_f32 (const VsSafeTensor *t, float *dst, GError **error)
{
  const guint8 *p = t->data;

  if (strcmp (t->dtype, "F32") == 0)
    memcpy (dst, p, t->numel * 4);
  else if (strcmp (t->dtype, "F16") == 0 || strcmp (t->dtype, "BF16") == 0)
    {
      gboolean bf = t->dtype[0] == 'B';
      for (gsize i = 0; i < t->numel; i++)
        {
          guint16 h = (guint16) (p[2 * i] | (p[2 * i + 1] << 8));
          dst[i] = bf ? vs_bf16_to_f32 (h) : vs_f16_to_f32 (h);
        }
    }
  else if (strcmp (t->dtype, "F64") == 0)
    for (gsize i = 0; i < t->numel; i++)
      {
        double d;
        memcpy (&d, p + 8 * i, 8);
        dst[i] = (float) d;
      }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: tensor %s has dtype %s; expected F32, F16, BF16 or F64",
                   t->file, t->name, t->dtype);
      return FALSE;
    }
  /* A NaN or Inf weight would only surface as a non-finite embedding
   * later: refuse it at load, naming the tensor and the element. */
  for (gsize i = 0; i < t->numel; i++)
    if (!isfinite (dst[i]))
      {
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                     "%s: tensor %s: element %" G_GSIZE_FORMAT " is %s; the weights are damaged "
                     "(a diverged training run or a corrupt file)",
                     t->file, t->name, i, isnan (dst[i]) ? "NaN" : "infinite");
        return FALSE;
      }
  return TRUE;
}

gboolean
vs_safetensors_write (const char *path, const VsSafeTensorOut *tensors, gsize n, GError **error)
{
  g_autoptr(GString) header = g_string_new ("{\"__metadata__\":{\"format\":\"pt\"}");
  g_autoptr(VsAtomicFile) out = NULL;
  guint64 offset = 0, hlen;
  guint8 len8[8];

  for (gsize i = 0; i < n; i++)
    {
      gsize numel = 1;
      g_string_append_printf (header, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", tensors[i].name);
      for (int k = 0; k < tensors[i].ndim; k++)
        {
          g_string_append_printf (header, "%s%" G_GSIZE_FORMAT, k ? "," : "", tensors[i].shape[k]);
          numel *= tensors[i].shape[k];
        }
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              offset, offset + numel * 4);
      offset += numel * 4;
    }
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  hlen = header->len;
  for (int i = 0; i < 8; i++)
    len8[i] = (guint8) (hlen >> (8 * i));

  /* A temporary file renamed over path when complete (vs-fault.h). */
  out = vs_atomic_file_new (path, 0644, error);
  if (out == NULL || !vs_atomic_file_write (out, len8, 8, error) ||
      !vs_atomic_file_write (out, header->str, header->len, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      gsize numel = 1;
      for (int k = 0; k < tensors[i].ndim; k++)
        numel *= tensors[i].shape[k];
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "safetensors writer assumes a little-endian host"
#endif
      if (!vs_atomic_file_write (out, tensors[i].data, numel * 4, error))
        return FALSE;
    }
  return vs_atomic_file_commit (out, error);
}
