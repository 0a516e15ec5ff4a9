/* vs-safetensors.h: read (mmap) and write safetensors files.
 *
 * Reads one model.safetensors, or a sharded set through its
 * model.safetensors.index.json ("weight_map": name -> shard file). Every
 * header field is checked against the file: offsets inside the data, sizes
 * equal to dtype size x shape, no overlap past the end. Tensors stay mapped
 * until the VsSafetensors is freed; vs_safetensors_read_f32() converts F32,
 * F16, BF16 and F64 to float.
 *
 *   g_autoptr(VsSafetensors) st = vs_safetensors_open ("dir/model.safetensors", &error);
 *   const VsSafeTensor *t = vs_safetensors_lookup (st, "linear.weight");
 *   vs_safetensors_read_f32 (st, t, dst, &error);
 *
 *   VsSafeTensorOut outs[] = { { "linear.weight", 2, { 768, 768 }, w } };
 *   vs_safetensors_write ("out.safetensors", outs, 1, &error);   // F32, atomic
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VsSafetensors VsSafetensors;

typedef struct
{
  char         *name;
  char         *dtype;     /* "F32", "F16", "BF16", "I64", ... */
  gsize         shape[8];
  int           ndim;
  gsize         numel;
  const guint8 *data;      /* mapped bytes */
  gsize         nbytes;
  const char   *file;      /* path of the file holding it (for messages) */
} VsSafeTensor;

typedef struct
{
  const char  *name;
  int          ndim;
  gsize        shape[4];
  const float *data;
} VsSafeTensorOut;

/* Opens a .safetensors file or a .safetensors.index.json; NULL + error
 * naming the file and field on malformed input. */
VsSafetensors      *vs_safetensors_open     (const char          *path,
                                             GError             **error);
void                vs_safetensors_free     (VsSafetensors       *st);
gsize               vs_safetensors_get_n    (VsSafetensors       *st);
const VsSafeTensor *vs_safetensors_get      (VsSafetensors       *st,
                                             gsize                i);
/* NULL when absent. */
const VsSafeTensor *vs_safetensors_lookup   (VsSafetensors       *st,
                                             const char          *name);
/* Converts t to float into dst[t->numel]; FALSE + error for other dtypes. */
gboolean            vs_safetensors_read_f32 (const VsSafeTensor  *t,
                                             float               *dst,
                                             GError             **error);
/* Writes F32 tensors (with __metadata__ {"format": "pt"}) to path through a
 * temporary file and rename. */
gboolean            vs_safetensors_write    (const char          *path,
                                             const VsSafeTensorOut *tensors,
                                             gsize                n,
                                             GError             **error);

/* Half-precision conversions (exact, round-to-nearest-even on the way down). */
float               vs_f16_to_f32           (guint16              h);
float               vs_bf16_to_f32          (guint16              h);
guint16             vs_f32_to_f16           (float                f);
guint16             vs_f32_to_bf16          (float                f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsSafetensors, vs_safetensors_free)

G_END_DECLS
