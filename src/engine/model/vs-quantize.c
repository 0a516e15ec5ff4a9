/* vs-quantize.c: sentence-transformers' quantize_embeddings (see the header). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "vs-quantize.h"

static const char *const precision_names[] = { "float32", "int8", "uint8", "binary", "ubinary" };

gboolean
vs_precision_from_string (const char   *name,
                          VsPrecision  *out,
                          GError      **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (precision_names); i++)
    if (g_strcmp0 (name, precision_names[i]) == 0)
      {
        *out = (VsPrecision) i;
        return TRUE;
      }
  g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
               "precision \"%s\" is not one of float32, int8, uint8, binary, ubinary", name != NULL ? name : "");
  return FALSE;
}

const char *
vs_precision_to_string (VsPrecision precision)
{
  g_return_val_if_fail ((guint) precision < G_N_ELEMENTS (precision_names), NULL);
  return precision_names[precision];
}

gboolean
vs_precision_needs_ranges (VsPrecision precision)
{
  return precision == VS_PRECISION_INT8 || precision == VS_PRECISION_UINT8;
}

gboolean
vs_precision_is_signed (VsPrecision precision)
{
  return precision == VS_PRECISION_INT8 || precision == VS_PRECISION_BINARY;
}

gsize
vs_precision_row_bytes (VsPrecision precision,
                        gsize       D)
{
  switch (precision)
    {
    case VS_PRECISION_FLOAT32:
      return 4 * D;
    case VS_PRECISION_INT8:
    case VS_PRECISION_UINT8:
      return D;
    case VS_PRECISION_BINARY:
    case VS_PRECISION_UBINARY:
    default:
      return D / 8;
    }
}

void
vs_quantize_ranges (const float *emb,
                    gsize        N,
                    gsize        D,
                    float       *ranges)
{
  /* emb[N, D] -> ranges[2, D]: row 0 the minimum, row 1 the maximum */
  g_return_if_fail (N >= 1);
  memcpy (ranges, emb, D * sizeof (float));
  memcpy (ranges + D, emb, D * sizeof (float));
  for (gsize n = 1; n < N; n++)
    for (gsize d = 0; d < D; d++)
      {
        float x = emb[n * D + d];
        if (x < ranges[d])
          ranges[d] = x;
        if (x > ranges[D + d])
          ranges[D + d] = x;
      }
}

/* (x - start) / step in float32, in numpy's order; 0 for an empty range. */
static float
level_of (float x,
          float start,
          float step)
{
  return step > 0.0f ? (x - start) / step : 0.0f;
}

/* v clipped to [lo, hi], truncated toward zero as numpy's astype () does;
 * NaN goes to lo. */
static int
clip_trunc (float v,
            float lo,
            float hi)
{
  if (!(v >= lo))
    return (int) lo;
  if (v >= hi)
    return (int) hi;
  return (int) v;
}

gboolean
vs_quantize_embeddings (const float  *emb,
                        gsize         N,
                        gsize         D,
                        VsPrecision   precision,
                        const float  *ranges,
                        guint8       *out,
                        GError      **error)
{
  switch (precision)
    {
    case VS_PRECISION_FLOAT32:
      memcpy (out, emb, N * D * sizeof (float));
      return TRUE;

    case VS_PRECISION_INT8:
    case VS_PRECISION_UINT8:
      {
        g_autofree float *steps = g_new (float, D);

        g_return_val_if_fail (ranges != NULL, FALSE);
        for (gsize d = 0; d < D; d++)
          steps[d] = (ranges[D + d] - ranges[d]) / 255.0f;
        for (gsize n = 0; n < N; n++)
          for (gsize d = 0; d < D; d++)
            {
              float level = level_of (emb[n * D + d], ranges[d], steps[d]);

              /* int8 truncates level - 128, not level: the two differ for a
               * level below 128 with a fraction */
              if (precision == VS_PRECISION_UINT8)
                out[n * D + d] = (guint8) clip_trunc (level, 0.0f, 255.0f);
              else
                ((gint8 *) out)[n * D + d] = (gint8) clip_trunc (level - 128.0f, -128.0f, 127.0f);
            }
        return TRUE;
      }

    case VS_PRECISION_BINARY:
    case VS_PRECISION_UBINARY:
      if (D % 8 != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s precision needs an embedding dimension that is a multiple of 8, not %" G_GSIZE_FORMAT,
                       vs_precision_to_string (precision), D);
          return FALSE;
        }
      for (gsize n = 0; n < N; n++)
        for (gsize k = 0; k < D / 8; k++)
          {
            guint byte = 0;
            for (gsize bit = 0; bit < 8; bit++)
              byte = (byte << 1) | (emb[n * D + 8 * k + bit] > 0.0f ? 1u : 0u);
            if (precision == VS_PRECISION_UBINARY)
              out[n * (D / 8) + k] = (guint8) byte;
            else
              ((gint8 *) out)[n * (D / 8) + k] = (gint8) ((int) byte - 128);
          }
      return TRUE;

    default:
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "unknown precision %d", (int) precision);
      return FALSE;
    }
}
