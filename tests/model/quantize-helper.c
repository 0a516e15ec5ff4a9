/* quantize-helper.c: vs_quantize_embeddings over a matrix given as raw
 * little-endian float32, for test-quantize.py to compare with numpy.
 *
 *   quantize-helper PRECISION N D [RANGES.f32] < EMB.f32 > OUT.bin
 *
 * Without RANGES (int8/uint8) the ranges come from EMB itself, as
 * sentence-transformers does without calibration embeddings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "model/vs-quantize.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  VsPrecision precision;
  gsize N, D;
  g_autofree float *emb = NULL;
  g_autofree float *ranges = NULL;
  g_autofree guint8 *out = NULL;

  if (argc < 4 || !vs_precision_from_string (argv[1], &precision, &error))
    {
      g_printerr ("usage: quantize-helper PRECISION N D [RANGES.f32]%s%s\n", error ? ": " : "", error ? error->message : "");
      return 2;
    }
  N = g_ascii_strtoull (argv[2], NULL, 10);
  D = g_ascii_strtoull (argv[3], NULL, 10);
  emb = g_new (float, N * D);
  if (fread (emb, sizeof (float), N * D, stdin) != N * D)
    {
      g_printerr ("quantize-helper: short input\n");
      return 2;
    }
  if (vs_precision_needs_ranges (precision))
    {
      ranges = g_new (float, 2 * D);
      if (argc > 4)
        {
          FILE *f = fopen (argv[4], "rb");
          if (f == NULL || fread (ranges, sizeof (float), 2 * D, f) != 2 * D)
            {
              g_printerr ("quantize-helper: cannot read %s\n", argv[4]);
              return 2;
            }
          fclose (f);
        }
      else
        vs_quantize_ranges (emb, N, D, ranges);
    }
  out = g_malloc (MAX (N * vs_precision_row_bytes (precision, D), 1));
  if (!vs_quantize_embeddings (emb, N, D, precision, ranges, out, &error))
    {
      g_printerr ("quantize-helper: %s\n", error->message);
      return 1;
    }
  fwrite (out, 1, N * vs_precision_row_bytes (precision, D), stdout);
  return 0;
}
