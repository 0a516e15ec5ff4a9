/* vs-module-spec.c: the module stack rules of a new model (see vs-module-spec.h). */
#include "model/vs-module-spec.h"

#include <math.h>
#include <string.h>

#include "model/vs-model.h"
#include "vs-error.h"

const char *const vs_pooling_mode_names[] = {
  "cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken", NULL
};

static const guint pooling_bits[] = {
  VS_POOLING_CLS, VS_POOLING_MAX, VS_POOLING_MEAN,
  VS_POOLING_MEAN_SQRT, VS_POOLING_WEIGHTEDMEAN, VS_POOLING_LASTTOKEN,
};

const char *const vs_dense_activation_names[] = {
  "tanh", "identity", "relu", "gelu", "sigmoid", NULL
};

guint
vs_pooling_mode_bit_at (guint i)
{
  g_return_val_if_fail (i < G_N_ELEMENTS (pooling_bits), 0);
  return pooling_bits[i];
}

guint
vs_pooling_modes_from_string (const char *modes)
{
  g_auto(GStrv) parts = NULL;
  guint bits = 0;

  if (modes == NULL || modes[0] == '\0')
    return 0;
  parts = g_strsplit (modes, "+", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint bit = vs_pooling_mode_from_string (g_strstrip (parts[i]));

      if (bit == 0 || (bits & bit) != 0)
        return 0;
      bits |= bit;
    }
  return bits;
}

char *
vs_pooling_modes_to_string (guint modes)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (pooling_bits); i++)
    if (modes & pooling_bits[i])
      {
        if (s->len > 0)
          g_string_append_c (s, '+');
        g_string_append (s, vs_pooling_mode_names[i]);
      }
  return g_string_free (s, FALSE);
}

guint
vs_pooling_modes_count (guint modes)
{
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (pooling_bits); i++)
    if (modes & pooling_bits[i])
      n++;
  return n;
}

gboolean
vs_module_spec_dimensions (gsize         hidden,
                           const cJSON  *modules,
                           gsize       **dims_out,
                           gsize        *n_out,
                           GError      **error)
{
  g_autoptr(GArray) dims = g_array_new (FALSE, FALSE, sizeof (gsize));
  gboolean seen_pooling = FALSE, seen_normalize = FALSE;
  gsize dim = hidden;
  const cJSON *m;
  int i = 0;

  g_return_val_if_fail (dims_out != NULL && n_out != NULL, FALSE);

  g_array_append_val (dims, dim);
  if (modules != NULL && !cJSON_IsArray (modules))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules: expected an array");
      return FALSE;
    }

  /* Without a Pooling module the recipe implies mean pooling in front. */
  {
    gboolean any_pooling = FALSE;

    cJSON_ArrayForEach (m, modules)
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "type")), "pooling") == 0)
        any_pooling = TRUE;
    if (!any_pooling)
      seen_pooling = TRUE;
  }

  cJSON_ArrayForEach (m, modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "type"));

      if (!cJSON_IsObject (m) || type == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "modules[%d]: expected an object with a \"type\"", i);
          return FALSE;
        }
      if (seen_normalize && strcmp (type, "normalize") == 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "modules[%d]: a stack takes one Normalize module (a second changes nothing)", i);
          return FALSE;
        }
      if (strcmp (type, "pooling") == 0)
        {
          const char *mode = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "mode"));
          guint bits;

          if (seen_pooling || i > 0)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d]: only one Pooling module, right after the Transformer", i);
              return FALSE;
            }
          if (mode == NULL)
            mode = "mean";
          if (mode[0] == '\0')
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d].mode: a Pooling module needs at least one mode", i);
              return FALSE;
            }
          bits = vs_pooling_modes_from_string (mode);
          if (bits == 0)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d].mode: “%s” is not one or more of cls, max, mean, "
                           "mean_sqrt_len_tokens, weightedmean, lasttoken joined by +",
                           i, mode);
              return FALSE;
            }
          seen_pooling = TRUE;
          dim = hidden * vs_pooling_modes_count (bits);
        }
      else if (strcmp (type, "dense") == 0)
        {
          const cJSON *of = cJSON_GetObjectItemCaseSensitive (m, "out_features");
          const cJSON *act = cJSON_GetObjectItemCaseSensitive (m, "activation");
          const cJSON *bias = cJSON_GetObjectItemCaseSensitive (m, "bias");

          if (!seen_pooling)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d]: a Dense module comes after the Pooling module", i);
              return FALSE;
            }
          if (!cJSON_IsNumber (of) || of->valuedouble < 1 || of->valuedouble != floor (of->valuedouble)
              || of->valuedouble > 1e6)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d]: a Dense module needs out_features ≥ 1", i);
              return FALSE;
            }
          if (act != NULL && (!cJSON_IsString (act)
                              || !g_strv_contains (vs_dense_activation_names, act->valuestring)))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d].activation: expected tanh, identity, relu, gelu or sigmoid", i);
              return FALSE;
            }
          if (bias != NULL && !cJSON_IsBool (bias))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d].bias: expected true or false", i);
              return FALSE;
            }
          dim = (gsize) of->valuedouble;
        }
      else if (strcmp (type, "normalize") == 0)
        {
          if (!seen_pooling)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "modules[%d]: a Normalize module comes after the Pooling module", i);
              return FALSE;
            }
          seen_normalize = TRUE;
        }
      else
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "modules[%d].type: expected pooling, dense or normalize (got “%s”)", i, type);
          return FALSE;
        }
      g_array_append_val (dims, dim);
      i++;
    }

  *n_out = dims->len;
  *dims_out = (gsize *) g_array_free (g_steal_pointer (&dims), FALSE);
  return TRUE;
}

cJSON *
vs_module_spec_reorder (gsize          hidden,
                        const cJSON   *modules,
                        int            from,
                        int            to,
                        GError       **error)
{
  g_autofree gsize *dims = NULL;
  g_autoptr(GError) local = NULL;
  cJSON *moved;
  int n = cJSON_IsArray (modules) ? cJSON_GetArraySize (modules) : 0;
  gsize n_dims;

  if (from < 0 || from >= n)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules[%d]: no such module", from);
      return NULL;
    }
  if (to < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "modules[%d]: the Transformer stays first: every other module works on its output", from);
      return NULL;
    }
  if (to >= n)
    {
      if (to == n && from == n - 1)
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules[%d]: already the last module", from);
      else
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules[%d]: no place %d in a stack of %d modules",
                     from, to, n);
      return NULL;
    }
  /* A new array in the new order (cJSON 1.7.15's detach + insert loses
   * items at the array's ends). */
  moved = cJSON_CreateArray ();
  for (int k = 0; k < n; k++)
    {
      int src;

      if (k == to)
        src = from;
      else if (from < to && k >= from && k < to)
        src = k + 1;
      else if (from > to && k > to && k <= from)
        src = k - 1;
      else
        src = k;
      cJSON_AddItemToArray (moved, cJSON_Duplicate (cJSON_GetArrayItem (modules, src), TRUE));
    }
  if (!vs_module_spec_dimensions (hidden, moved, &dims, &n_dims, &local))
    {
      /* The reason is the rule the new order breaks, told at the new place. */
      g_propagate_error (error, g_steal_pointer (&local));
      cJSON_Delete (moved);
      return NULL;
    }
  return moved;
}

cJSON *
vs_module_spec_reorder_above (gsize          hidden,
                              const cJSON   *modules,
                              int            n_fixed,
                              int            from,
                              int            to,
                              GError       **error)
{
  if (n_fixed > 0 && from >= 0 && (from < n_fixed || (to >= 0 && to < n_fixed)))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "modules[%d]: the loaded model's own modules stay as they are; layers go on top of them",
                   from < n_fixed ? from : to);
      return NULL;
    }
  return vs_module_spec_reorder (hidden, modules, from, to, error);
}

cJSON *
vs_module_spec_move (gsize          hidden,
                     const cJSON   *modules,
                     int            index,
                     int            delta,
                     GError       **error)
{
  int n = cJSON_IsArray (modules) ? cJSON_GetArraySize (modules) : 0;

  g_return_val_if_fail (delta == -1 || delta == 1, NULL);

  if (index >= 0 && index < n && index + delta >= n)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules[%d]: already the last module", index);
      return NULL;
    }
  return vs_module_spec_reorder (hidden, modules, index, index + delta, error);
}

VsModel *
vs_model_new_from_modules (const char    *architecture,
                           const char    *preset,
                           const char    *tokenizer_dir,
                           const cJSON   *modules,
                           guint64        seed,
                           GError       **error)
{
  g_autofree gsize *dims = NULL;
  g_autoptr(GArray) denses = g_array_new (FALSE, TRUE, sizeof (VsDenseSpec));
  const char *pooling = NULL;
  gboolean normalize = FALSE;
  const cJSON *m;
  gsize n;

  /* The rules first, on a width that only the order matters for. */
  if (!vs_module_spec_dimensions (128, modules, &dims, &n, error))
    return NULL;
  cJSON_ArrayForEach (m, modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "type"));

      if (g_strcmp0 (type, "pooling") == 0)
        pooling = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "mode"));
      else if (g_strcmp0 (type, "dense") == 0)
        {
          const cJSON *bias = cJSON_GetObjectItemCaseSensitive (m, "bias");
          VsDenseSpec d = {
            (gsize) cJSON_GetNumberValue (cJSON_GetObjectItemCaseSensitive (m, "out_features")),
            cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (m, "activation")),
            bias == NULL || cJSON_IsTrue (bias),
            normalize,   /* a Normalize before this Dense */
          };
          g_array_append_val (denses, d);
          normalize = FALSE;
        }
      else if (g_strcmp0 (type, "normalize") == 0)
        normalize = TRUE;   /* at the end, unless a Dense follows */
    }
  return vs_model_new_from_stack (architecture, preset, tokenizer_dir, pooling,
                                  (const VsDenseSpec *) (gpointer) denses->data, denses->len,
                                  normalize, seed, error);
}
