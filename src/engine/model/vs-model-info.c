/* vs-model-info.c: facts about a model for people (see vs-model-info.h). */
#include "model/vs-model-info.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "model/vs-module-spec.h"
#include "vs-error.h"

/* In vs-model.c (they need the private struct). */
gsize _vs_model_get_n_layers (VsModel *model);
gsize _vs_model_get_n_heads  (VsModel *model);
gsize _vs_model_get_n_dense  (VsModel *model);
gint _vs_model_get_normalize_at (VsModel *model);
const char *_vs_model_get_dense_activation (VsModel *model,
                                            gsize    i);
gsize _vs_model_get_dense_out (VsModel *model,
                               gsize    i);
gboolean _vs_model_get_dense_has_bias (VsModel *model,
                                       gsize    i);

gsize
vs_model_get_n_layers (VsModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return _vs_model_get_n_layers (model);
}

gsize
vs_model_get_n_heads (VsModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return _vs_model_get_n_heads (model);
}

guint64
vs_model_count_parameters (VsModel *model)
{
  guint64 total = 0;
  gsize n;

  g_return_val_if_fail (model != NULL, 0);
  n = vs_model_get_n_tensors (model);
  for (gsize i = 0; i < n; i++)
    total += vs_model_get_tensor_info (model, i)->numel;
  return total;
}

char *
vs_tokenizer_kind_from_path (const char  *path,
                             GError     **error)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  cJSON *json;
  const char *type;
  char *kind = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      file = g_build_filename (path, "tokenizer.json", NULL);
      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        {
          g_autofree char *vocab = g_build_filename (path, "vocab.txt", NULL);

          if (g_file_test (vocab, G_FILE_TEST_IS_REGULAR))
            return g_strdup ("WordPiece");
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "%s: no tokenizer.json or vocab.txt", path);
          return NULL;
        }
    }
  else
    file = g_strdup (path);

  if (!g_file_get_contents (file, &text, NULL, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", file, local->message);
      return NULL;
    }
  json = cJSON_Parse (text);
  if (json == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", file);
      return NULL;
    }
  type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (
           cJSON_GetObjectItemCaseSensitive (json, "model"), "type"));
  if (type != NULL && (strcmp (type, "WordPiece") == 0 || strcmp (type, "BPE") == 0
                       || strcmp (type, "Unigram") == 0 || strcmp (type, "WordLevel") == 0))
    kind = g_strdup (type);
  else
    g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                 "%s: model.type: expected WordPiece, BPE, Unigram or WordLevel (got %s)",
                 file, type != NULL ? type : "nothing");
  cJSON_Delete (json);
  return kind;
}

/* A YAML scalar as written on one line: quotes removed, comment dropped. */
static char *
yaml_scalar (const char *s)
{
  g_autofree char *v = g_strstrip (g_strdup (s));
  gsize len = strlen (v);

  if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0])
    return g_strndup (v + 1, len - 2);
  {
    char *hash = strstr (v, " #");
    if (hash != NULL)
      *hash = '\0';
  }
  g_strstrip (v);
  return v[0] != '\0' ? g_strdup (v) : NULL;
}

VsModelCardFacts *
vs_model_card_facts_read (const char  *dir,
                          GError     **error)
{
  g_autofree char *file = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) bases = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  VsModelCardFacts *facts;
  gboolean in_base = FALSE;

  g_return_val_if_fail (dir != NULL, NULL);

  facts = g_new0 (VsModelCardFacts, 1);
  file = g_build_filename (dir, "README.md", NULL);
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      facts->base_models = g_new0 (char *, 1);
      return facts;
    }
  if (!g_file_get_contents (file, &text, NULL, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", file, local->message);
      vs_model_card_facts_free (facts);
      return NULL;
    }

  lines = g_strsplit (text, "\n", -1);
  if (lines[0] != NULL && g_str_has_prefix (lines[0], "---"))
    for (guint i = 1; lines[i] != NULL; i++)
      {
        char *line = lines[i];
        gsize len = strlen (line);

        if (len > 0 && line[len - 1] == '\r')
          line[--len] = '\0';
        if (g_str_has_prefix (line, "---"))
          break;
        if (in_base && (line[0] == ' ' || line[0] == '-'))
          {
            const char *item = line + strspn (line, " ");

            if (item[0] == '-')
              {
                char *v = yaml_scalar (item + 1);
                if (v != NULL)
                  g_ptr_array_add (bases, v);
              }
            continue;
          }
        in_base = FALSE;
        if (g_str_has_prefix (line, "license:"))
          {
            g_free (facts->license);
            facts->license = yaml_scalar (line + strlen ("license:"));
          }
        else if (g_str_has_prefix (line, "base_model:"))
          {
            char *v = yaml_scalar (line + strlen ("base_model:"));

            if (v == NULL)
              in_base = TRUE;   /* a block list follows */
            else if (v[0] == '[')
              {
                g_auto(GStrv) parts = NULL;
                gsize vl = strlen (v);

                if (vl > 0 && v[vl - 1] == ']')
                  v[vl - 1] = '\0';
                parts = g_strsplit (v + 1, ",", -1);
                for (guint j = 0; parts[j] != NULL; j++)
                  {
                    char *p = yaml_scalar (parts[j]);
                    if (p != NULL)
                      g_ptr_array_add (bases, p);
                  }
                g_free (v);
              }
            else
              g_ptr_array_add (bases, v);
          }
      }

  g_ptr_array_add (bases, NULL);
  facts->base_models = (char **) g_ptr_array_steal (bases, NULL);
  return facts;
}

void
vs_model_card_facts_free (VsModelCardFacts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->license);
  g_strfreev (facts->base_models);
  g_free (facts);
}

cJSON *
vs_model_dup_modules_json (VsModel *model)
{
  cJSON *modules = cJSON_CreateArray ();
  cJSON *m = cJSON_CreateObject ();
  g_autofree char *mode = NULL;
  gsize n;

  g_return_val_if_fail (model != NULL, NULL);

  mode = vs_pooling_modes_to_string (vs_model_get_pooling_modes (model));
  cJSON_AddStringToObject (m, "type", "pooling");
  cJSON_AddStringToObject (m, "mode", mode);
  cJSON_AddItemToArray (modules, m);
  n = _vs_model_get_n_dense (model);
  for (gsize i = 0; i < n; i++)
    {
      if (_vs_model_get_normalize_at (model) == (gint) i)
        {
          m = cJSON_CreateObject ();
          cJSON_AddStringToObject (m, "type", "normalize");
          cJSON_AddItemToArray (modules, m);
        }
      m = cJSON_CreateObject ();
      cJSON_AddStringToObject (m, "type", "dense");
      cJSON_AddNumberToObject (m, "out_features", (double) _vs_model_get_dense_out (model, i));
      if (_vs_model_get_dense_activation (model, i) != NULL)
        cJSON_AddStringToObject (m, "activation", _vs_model_get_dense_activation (model, i));
      cJSON_AddBoolToObject (m, "bias", _vs_model_get_dense_has_bias (model, i));
      cJSON_AddItemToArray (modules, m);
    }
  if (_vs_model_get_normalize_at (model) == (gint) n)
    {
      m = cJSON_CreateObject ();
      cJSON_AddStringToObject (m, "type", "normalize");
      cJSON_AddItemToArray (modules, m);
    }
  return modules;
}
