/* vs-quantize.h: embedding quantisation, as sentence-transformers'
 * quantize_embeddings () defines it (st-spec.md, "Quantisation").
 *
 * An embedding matrix [N, D] of float32 becomes:
 *   - int8 / uint8: one byte a dimension. Each dimension d has a range
 *     [min_d, max_d] (from calibration embeddings, or from the matrix
 *     itself), cut into 255 steps: uint8 = trunc ((x - min_d) / step_d),
 *     int8 = trunc ((x - min_d) / step_d - 128), step_d = (max_d - min_d) / 255.
 *   - binary / ubinary: one bit a dimension, (x > 0), packed 8 to a byte with
 *     the first dimension in the high bit (numpy's packbits); binary is the
 *     packed byte minus 128 as int8. D must be a multiple of 8.
 *
 * Two deliberate differences from upstream, where its result is undefined:
 * a value outside its dimension's range (possible with calibration ranges)
 * is clipped to the first or last bucket instead of wrapping around in the
 * integer cast, and a dimension whose range is empty (min = max) maps every
 * value to the first bucket instead of dividing by zero.
 *
 * Usage:
 *   VsPrecision p;
 *   vs_precision_from_string ("int8", &p, &error);
 *   float *ranges = g_new (float, 2 * D);
 *   vs_quantize_ranges (calib, n_calib, D, ranges);     // or over emb itself
 *   guint8 *out = g_new (guint8, N * vs_precision_row_bytes (p, D));
 *   vs_quantize_embeddings (emb, N, D, p, ranges, out, &error);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VS_PRECISION_FLOAT32,
  VS_PRECISION_INT8,
  VS_PRECISION_UINT8,
  VS_PRECISION_BINARY,
  VS_PRECISION_UBINARY,
} VsPrecision;

/* "float32", "int8", "uint8", "binary" or "ubinary"; anything else is a
 * VS_ERROR_INVALID naming the accepted values. */
gboolean     vs_precision_from_string (const char   *name,
                                       VsPrecision  *out,
                                       GError      **error);
const char  *vs_precision_to_string   (VsPrecision   precision);
/* TRUE for int8 and uint8, which need per-dimension ranges. */
gboolean     vs_precision_needs_ranges (VsPrecision  precision);
/* TRUE for int8 and binary (signed bytes). */
gboolean     vs_precision_is_signed   (VsPrecision   precision);
/* Bytes of one quantised row: 4·D for float32, D for int8/uint8, D/8 for
 * the binary forms. */
gsize        vs_precision_row_bytes   (VsPrecision   precision,
                                       gsize         D);

/* ranges[0..D) = per-dimension minimum over emb[N, D], ranges[D..2D) = the
 * maximum. N must be at least 1. */
void         vs_quantize_ranges       (const float  *emb,
                                       gsize         N,
                                       gsize         D,
                                       float        *ranges);

/* out[N, row_bytes]: emb quantised to precision. ranges (2·D floats, from
 * vs_quantize_ranges) is required for int8/uint8 and ignored otherwise;
 * float32 copies the floats' bytes. A binary precision with D not a multiple
 * of 8 is a VS_ERROR_INVALID. */
gboolean     vs_quantize_embeddings   (const float  *emb,
                                       gsize         N,
                                       gsize         D,
                                       VsPrecision   precision,
                                       const float  *ranges,
                                       guint8       *out,
                                       GError      **error);

G_END_DECLS
