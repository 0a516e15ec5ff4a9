/* model-test-util.h: helpers shared by the model tests (header-only). */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "model/vs-model.h"
#include "model/vs-safetensors.h"

/* |a - b| <= atol + rtol |ref| for every element; prints the worst mismatch
 * (relative to its allowance) and how many failed. */
static inline gboolean
check_close (const char *label, const float *got, const float *ref, gsize n, double atol, double rtol)
{
  gsize worst = 0, bad = 0;
  double worst_ratio = -1.0;

  for (gsize i = 0; i < n; i++)
    {
      double diff = fabs ((double) got[i] - (double) ref[i]);
      double allow = atol + rtol * fabs ((double) ref[i]);
      double ratio = diff / allow;

      if (!(diff <= allow))
        bad++;
      if (!(ratio <= worst_ratio))
        {
          worst_ratio = ratio;
          worst = i;
        }
    }
  if (n > 0)
    g_test_message ("%s: %" G_GSIZE_FORMAT " values, worst [%" G_GSIZE_FORMAT "] got %.9g ref %.9g "
                    "(|diff| %.3g = %.3g of allowance atol %.1g + rtol %.1g|ref|)%s",
                    label, n, worst, got[worst], ref[worst], fabs ((double) got[worst] - ref[worst]),
                    worst_ratio, atol, rtol, bad ? "  FAIL" : "");
  if (bad)
    g_printerr ("%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " values out of tolerance; worst [%"
                G_GSIZE_FORMAT "] got %.9g ref %.9g\n", label, bad, n, worst, got[worst], ref[worst]);
  return bad == 0;
}

static inline char *
fixture_path (const char *name)
{
  const char *src = g_getenv ("VS_SOURCE_DIR");

  return g_build_filename (src != NULL ? src : ".", "tests", "model", "fixtures", name, NULL);
}

/* Token ids of a fixture's inputs.json. */
typedef struct
{
  gsize     n;
  guint32 **ids;
  guint32 **types;
  gsize    *lengths;
  gsize    *prompt_lengths;   /* [n] from "prompt_length", or NULL */
} FixtureInputs;

static inline void
fixture_inputs_clear (FixtureInputs *in)
{
  for (gsize i = 0; i < in->n; i++)
    {
      g_free (in->ids[i]);
      g_free (in->types[i]);
    }
  g_free (in->ids);
  g_free (in->types);
  g_free (in->lengths);
  g_free (in->prompt_lengths);
}

static inline void
fixture_inputs_load (const char *dir, FixtureInputs *in)
{
  g_autofree char *path = g_build_filename (dir, "inputs.json", NULL);
  g_autofree char *text = NULL;
  cJSON *root, *ids, *types, *row, *pl;
  gsize i = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  root = cJSON_Parse (text);
  g_assert_nonnull (root);
  ids = cJSON_GetObjectItem (root, "ids");
  types = cJSON_GetObjectItem (root, "type_ids");
  in->n = (gsize) cJSON_GetArraySize (ids);
  in->ids = g_new0 (guint32 *, in->n);
  in->types = g_new0 (guint32 *, in->n);
  in->lengths = g_new0 (gsize, in->n);
  in->prompt_lengths = NULL;
  pl = cJSON_GetObjectItem (root, "prompt_length");
  if (cJSON_IsNumber (pl))
    {
      in->prompt_lengths = g_new0 (gsize, in->n);
      for (gsize k = 0; k < in->n; k++)
        in->prompt_lengths[k] = (gsize) pl->valuedouble;
    }
  cJSON_ArrayForEach (row, ids)
    {
      cJSON *v, *trow = cJSON_IsArray (types) ? cJSON_GetArrayItem (types, (int) i) : NULL;
      gsize k = 0;

      in->lengths[i] = (gsize) cJSON_GetArraySize (row);
      in->ids[i] = g_new0 (guint32, in->lengths[i] + 1);
      in->types[i] = g_new0 (guint32, in->lengths[i] + 1);
      cJSON_ArrayForEach (v, row)
        in->ids[i][k++] = (guint32) v->valuedouble;
      k = 0;
      if (trow != NULL)
        cJSON_ArrayForEach (v, trow)
          in->types[i][k++] = (guint32) v->valuedouble;
      i++;
    }
  cJSON_Delete (root);
}

/* A float copy of a tensor of expected.safetensors (aborts the test if absent). */
static inline float *
expected_tensor (VsSafetensors *st, const char *name, gsize *numel)
{
  const VsSafeTensor *t = vs_safetensors_lookup (st, name);
  float *out;

  if (t == NULL)
    g_error ("expected.safetensors lacks %s", name);
  out = g_new (float, MAX (t->numel, 1));
  g_assert_true (vs_safetensors_read_f32 (t, out, NULL));
  if (numel != NULL)
    *numel = t->numel;
  return out;
}
