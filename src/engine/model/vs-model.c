/* vs-model.c: the sentence-transformers module stack (see vs-model.h). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/vs-encoder.h"
#include "model/vs-model.h"
#include "model/vs-model-info.h"
#include "model/vs-module-spec.h"
#include "model/vs-safetensors.h"
#include "tensor/vs-kernels.h"
#include "vs-engine.h"
#include "vs-error.h"
#include "fault/vs-fault.h"

typedef struct
{
  gsize        in, out;
  gboolean     bias;
  VsActivation act;
  char        *act_name;   /* torch class path, written back as read */
  gsize        w, b;       /* offsets in the arena (b: G_MAXSIZE if no bias) */
} Dense;

struct _VsModel
{
  VsEncoder    *enc;
  VsTokenizer  *tok;
  char         *tok_missing;   /* why there is no tokenizer, when tok == NULL */
  VsParamTable  table;
  float        *params, *grads;
  guint         pooling_modes;
  gboolean      include_prompt;
  GPtrArray    *denses;        /* Dense* */
  gboolean      normalize;
  guint         normalize_at;  /* Normalize runs before denses[normalize_at]
                                * (== denses->len: last, the usual place) */
  gsize         max_seq_length;
  gboolean      do_lower_case;
  char         *similarity;
  cJSON        *prompts;       /* object name -> text */
  char         *default_prompt_name;
  float         hidden_p, attn_p;
  guint64       rng_state;
  gsize         dim;
};

struct _VsForward
{
  VsModel       *model;
  gsize          n;
  VsEncoderActs *enc;
  float         *pooled;     /* [n, K*C] */
  gint64        *argmax;     /* [n, C] */
  gsize         *skip;       /* [n] prompt tokens left out of pooling, or NULL */
  GPtrArray     *dense_pre;  /* float* [n, out] per Dense */
  GPtrArray     *dense_post;
  float         *final_in;   /* input of Normalize, or NULL */
  float         *norm_out;   /* [n, width] output of a Normalize before a Dense, or NULL */
  float         *final;      /* [n, D] */
  gboolean       used;
};

/* ------------------------------------------------------------------------ */
/* small helpers */

static guint64
mix64 (guint64 z)
{
  z += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static cJSON *
read_json (const char *path, gboolean optional, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;
  cJSON *j;

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (optional && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, VS_ERROR, g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                                      ? VS_ERROR_NOT_FOUND : VS_ERROR_IO,
                   "%s", local->message);
      return NULL;
    }
  j = cJSON_ParseWithLength (text, len);
  if (j == NULL)
    g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", path);
  return j;
}

/* Pretty-prints like Python's json.dump (indent, ", " and ": "). */
static void
json_pretty (GString *s, cJSON *j, int indent, int depth)
{
  cJSON *c;
  gboolean obj = cJSON_IsObject (j);

  if ((obj || cJSON_IsArray (j)) && j->child != NULL)
    {
      g_string_append_c (s, obj ? '{' : '[');
      for (c = j->child; c != NULL; c = c->next)
        {
          g_string_append_c (s, '\n');
          for (int k = 0; k < indent * (depth + 1); k++)
            g_string_append_c (s, ' ');
          if (obj)
            {
              cJSON *key = cJSON_CreateString (c->string);
              g_autofree char *ks = cJSON_PrintUnformatted (key);
              g_string_append_printf (s, "%s: ", ks);
              cJSON_Delete (key);
            }
          json_pretty (s, c, indent, depth + 1);
          if (c->next != NULL)
            g_string_append_c (s, ',');
        }
      g_string_append_c (s, '\n');
      for (int k = 0; k < indent * depth; k++)
        g_string_append_c (s, ' ');
      g_string_append_c (s, obj ? '}' : ']');
    }
  else
    {
      g_autofree char *leaf = cJSON_PrintUnformatted (j);
      g_string_append (s, leaf);
    }
}

static gboolean
write_json (const char *path, cJSON *j, int indent, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);

  json_pretty (s, j, indent, 0);
  g_string_append_c (s, '\n');
  return vs_file_set_contents (path, s->str, (gssize) s->len, 0644, error);
}

static gboolean
json_bool (cJSON *obj, const char *key, gboolean def)
{
  cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (cJSON_IsBool (v))
    return cJSON_IsTrue (v);
  return def;
}

static const struct
{
  const char  *torch;
  const char  *shortname;
  VsActivation act;
} dense_acts[] = {
  { "torch.nn.modules.activation.Tanh", "tanh", VS_ACT_TANH },
  { "torch.nn.modules.linear.Identity", "identity", VS_ACT_IDENTITY },
  { "torch.nn.modules.activation.ReLU", "relu", VS_ACT_RELU },
  { "torch.nn.modules.activation.GELU", "gelu", VS_ACT_GELU },
  { "torch.nn.modules.activation.Sigmoid", "sigmoid", VS_ACT_SIGMOID },
};

static gboolean
dense_act_lookup (const char *name, VsActivation *act, const char **torch)
{
  for (gsize i = 0; i < G_N_ELEMENTS (dense_acts); i++)
    if (g_strcmp0 (name, dense_acts[i].torch) == 0 || g_ascii_strcasecmp (name, dense_acts[i].shortname) == 0)
      {
        *act = dense_acts[i].act;
        *torch = dense_acts[i].torch;
        return TRUE;
      }
  return FALSE;
}

VsPoolingMode
vs_pooling_mode_from_string (const char *name)
{
  if (g_strcmp0 (name, "cls") == 0)
    return VS_POOLING_CLS;
  if (g_strcmp0 (name, "max") == 0)
    return VS_POOLING_MAX;
  if (g_strcmp0 (name, "mean") == 0)
    return VS_POOLING_MEAN;
  if (g_strcmp0 (name, "mean_sqrt_len_tokens") == 0)
    return VS_POOLING_MEAN_SQRT;
  if (g_strcmp0 (name, "weightedmean") == 0)
    return VS_POOLING_WEIGHTEDMEAN;
  if (g_strcmp0 (name, "lasttoken") == 0)
    return VS_POOLING_LASTTOKEN;
  return 0;
}

static const struct
{
  VsPoolingMode mode;
  const char   *key;
} pooling_keys[] = {
  { VS_POOLING_CLS, "pooling_mode_cls_token" },
  { VS_POOLING_MEAN, "pooling_mode_mean_tokens" },
  { VS_POOLING_MAX, "pooling_mode_max_tokens" },
  { VS_POOLING_MEAN_SQRT, "pooling_mode_mean_sqrt_len_tokens" },
  { VS_POOLING_WEIGHTEDMEAN, "pooling_mode_weightedmean_tokens" },
  { VS_POOLING_LASTTOKEN, "pooling_mode_lasttoken" },
};

static VsModel *
model_alloc (void)
{
  VsModel *m = g_new0 (VsModel, 1);

  vs_param_table_init (&m->table);
  m->denses = g_ptr_array_new ();
  m->include_prompt = TRUE;
  m->similarity = g_strdup ("cosine");
  m->prompts = cJSON_CreateObject ();
  m->rng_state = 0x5eed;
  return m;
}

void
vs_model_free (VsModel *m)
{
  if (m == NULL)
    return;
  vs_encoder_free (m->enc);
  if (m->tok != NULL)
    vs_tokenizer_free (m->tok);
  g_free (m->tok_missing);
  vs_param_table_clear (&m->table);
  g_free (m->params);
  g_free (m->grads);
  for (guint i = 0; i < m->denses->len; i++)
    {
      Dense *d = m->denses->pdata[i];
      g_free (d->act_name);
      g_free (d);
    }
  g_ptr_array_unref (m->denses);
  g_free (m->similarity);
  cJSON_Delete (m->prompts);
  g_free (m->default_prompt_name);
  g_free (m);
}

static Dense *
add_dense (VsModel *m, guint idx, gsize in, gsize out, gboolean bias, VsActivation act, const char *act_name)
{
  Dense *d = g_new0 (Dense, 1);
  char name[64];

  d->in = in;
  d->out = out;
  d->bias = bias;
  d->act = act;
  d->act_name = g_strdup (act_name);
  g_snprintf (name, sizeof name, "%u_Dense/linear.weight", idx);
  d->w = vs_param_table_add (&m->table, name, 2, out, in, FALSE);
  d->b = G_MAXSIZE;
  if (bias)
    {
      g_snprintf (name, sizeof name, "%u_Dense/linear.bias", idx);
      d->b = vs_param_table_add (&m->table, name, 1, out, 0, TRUE);
    }
  g_ptr_array_add (m->denses, d);
  return d;
}

static gboolean
finish_layout (VsModel *m, const char *what, GError **error)
{
  gsize C = m->enc->cfg.C;

  /* sizes come from config.json: allocate without aborting on absurd ones */
  if (m->table.total < G_MAXSIZE / 8)
    {
      m->params = g_try_malloc0 (MAX (m->table.total, 1) * sizeof (float));
      m->grads = g_try_malloc0 (MAX (m->table.total, 1) * sizeof (float));
    }
  if (m->params == NULL || m->grads == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: cannot allocate %" G_GSIZE_FORMAT " parameters (twice, with their gradients)",
                   what, m->table.total);
      return FALSE;
    }
  m->dim = vs_pooling_count_modes (m->pooling_modes) * C;
  if (m->denses->len > 0)
    m->dim = ((Dense *) m->denses->pdata[m->denses->len - 1])->out;
  m->hidden_p = m->enc->cfg.hidden_dropout;
  m->attn_p = m->enc->cfg.attn_dropout;
  return TRUE;
}

static gsize
max_positions (VsModel *m)
{
  return m->enc->cfg.max_pos - vs_encoder_position_offset (m->enc);
}

/* ------------------------------------------------------------------------ */
/* loading */

typedef struct
{
  char *type;
  char *path;
} ModuleEntry;

static gboolean
load_st_config (VsModel *m, const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "config_sentence_transformers.json", NULL);
  g_autoptr(GError) local = NULL;
  cJSON *j = read_json (path, TRUE, &local);
  cJSON *v;

  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (j == NULL)
    return TRUE;
  v = cJSON_GetObjectItemCaseSensitive (j, "prompts");
  if (cJSON_IsObject (v))
    {
      cJSON *p;
      cJSON_ArrayForEach (p, v)
        {
          if (!cJSON_IsString (p))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: prompts.%s must be a string", path, p->string);
              cJSON_Delete (j);
              return FALSE;
            }
          cJSON_DeleteItemFromObjectCaseSensitive (m->prompts, p->string);
          cJSON_AddStringToObject (m->prompts, p->string, p->valuestring);
        }
    }
  v = cJSON_GetObjectItemCaseSensitive (j, "default_prompt_name");
  if (cJSON_IsString (v))
    m->default_prompt_name = g_strdup (v->valuestring);
  v = cJSON_GetObjectItemCaseSensitive (j, "similarity_fn_name");
  if (cJSON_IsString (v))
    {
      if (strcmp (v->valuestring, "cosine") != 0 && strcmp (v->valuestring, "dot") != 0 &&
          strcmp (v->valuestring, "euclidean") != 0 && strcmp (v->valuestring, "manhattan") != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: similarity_fn_name \"%s\" is not cosine, dot, euclidean or manhattan",
                       path, v->valuestring);
          cJSON_Delete (j);
          return FALSE;
        }
      g_free (m->similarity);
      m->similarity = g_strdup (v->valuestring);
    }
  cJSON_Delete (j);
  return TRUE;
}

static gboolean
has_tokenizer_files (const char *dir)
{
  static const char *const names[] = { "tokenizer.json", "vocab.txt", "vocab.json" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  return FALSE;
}

/* Transformer module: config, tokenizer, sentence_bert_config. Weights later. */
static gboolean
load_transformer_config (VsModel *m, const char *tdir, GError **error)
{
  static const char *const sbert_names[] = {
    "sentence_bert_config.json", "sentence_roberta_config.json", "sentence_distilbert_config.json",
    "sentence_camembert_config.json", "sentence_albert_config.json", "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",
  };
  g_autofree char *cpath = g_build_filename (tdir, "config.json", NULL);
  VsEncoderConfig cfg;
  cJSON *json, *sb = NULL;
  gsize maxlen = 0;

  json = read_json (cpath, FALSE, error);
  if (json == NULL)
    return FALSE;
  if (!vs_encoder_config_parse (&cfg, json, cpath, error))
    {
      cJSON_Delete (json);
      return FALSE;
    }
  m->enc = vs_encoder_new (&cfg, json, &m->table);

  if (has_tokenizer_files (tdir))
    {
      m->tok = vs_tokenizer_new_from_path (tdir, error);
      if (m->tok == NULL)
        return FALSE;
    }
  else
    m->tok_missing = g_strdup_printf ("%s: no tokenizer files (tokenizer.json, vocab.txt or vocab.json)", tdir);

  for (gsize i = 0; i < G_N_ELEMENTS (sbert_names) && sb == NULL; i++)
    {
      g_autofree char *p = g_build_filename (tdir, sbert_names[i], NULL);
      g_autoptr(GError) local = NULL;
      cJSON *v;

      sb = read_json (p, TRUE, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (sb == NULL)
        continue;
      v = cJSON_GetObjectItemCaseSensitive (sb, "max_seq_length");
      if (cJSON_IsNumber (v))
        {
          if (v->valuedouble < 1 || v->valuedouble > 1e7)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: max_seq_length must be positive", p);
              cJSON_Delete (sb);
              return FALSE;
            }
          maxlen = (gsize) v->valuedouble;
        }
      m->do_lower_case = json_bool (sb, "do_lower_case", FALSE);
      cJSON_Delete (sb);
      break;
    }
  if (maxlen == 0 && m->tok != NULL)
    maxlen = vs_tokenizer_get_max_length (m->tok);
  if (maxlen == 0 || maxlen > max_positions (m))
    maxlen = MIN (maxlen == 0 ? G_MAXSIZE : maxlen, max_positions (m));
  m->max_seq_length = maxlen;
  if (m->tok != NULL)
    vs_tokenizer_set_max_length (m->tok, maxlen);
  return TRUE;
}

static gboolean
load_transformer_weights (VsModel *m, const char *tdir, GError **error)
{
  g_autofree char *single = g_build_filename (tdir, "model.safetensors", NULL);
  g_autofree char *index = g_build_filename (tdir, "model.safetensors.index.json", NULL);
  g_autofree char *bin = g_build_filename (tdir, "pytorch_model.bin", NULL);
  g_autoptr(VsSafetensors) st = NULL;
  const char *which;

  if (g_file_test (single, G_FILE_TEST_EXISTS))
    which = single;
  else if (g_file_test (index, G_FILE_TEST_EXISTS))
    which = index;
  else
    {
      g_set_error (error, VS_ERROR, g_file_test (bin, G_FILE_TEST_EXISTS) ? VS_ERROR_UNSUPPORTED : VS_ERROR_NOT_FOUND,
                   g_file_test (bin, G_FILE_TEST_EXISTS)
                     ? "%s: only pytorch_model.bin is there; weights are read from model.safetensors"
                     : "%s: no model.safetensors or model.safetensors.index.json",
                   tdir);
      return FALSE;
    }
  st = vs_safetensors_open (which, error);
  if (st == NULL)
    return FALSE;
  return vs_encoder_load_weights (m->enc, &m->table, m->params, st, which, error);
}

static gboolean
load_pooling (VsModel *m, const char *pdir, GError **error)
{
  g_autofree char *path = g_build_filename (pdir, "config.json", NULL);
  cJSON *j = read_json (path, FALSE, error);
  cJSON *dim;

  if (j == NULL)
    return FALSE;
  dim = cJSON_GetObjectItemCaseSensitive (j, "word_embedding_dimension");
  if (cJSON_IsNumber (dim) && (gsize) dim->valuedouble != m->enc->cfg.C)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: word_embedding_dimension %g differs from the encoder's hidden size %" G_GSIZE_FORMAT,
                   path, dim->valuedouble, m->enc->cfg.C);
      cJSON_Delete (j);
      return FALSE;
    }
  m->pooling_modes = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (pooling_keys); i++)
    if (json_bool (j, pooling_keys[i].key, FALSE))
      m->pooling_modes |= pooling_keys[i].mode;
  m->include_prompt = json_bool (j, "include_prompt", TRUE);
  cJSON_Delete (j);
  if (m->pooling_modes == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: no pooling mode is enabled", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_dense_config (VsModel *m, guint idx, const char *ddir, gsize in_dim, GError **error)
{
  g_autofree char *path = g_build_filename (ddir, "config.json", NULL);
  cJSON *j = read_json (path, FALSE, error);
  cJSON *in, *out, *act;
  VsActivation a = VS_ACT_TANH;
  const char *torch = "torch.nn.modules.activation.Tanh";

  if (j == NULL)
    return FALSE;
  in = cJSON_GetObjectItemCaseSensitive (j, "in_features");
  out = cJSON_GetObjectItemCaseSensitive (j, "out_features");
  act = cJSON_GetObjectItemCaseSensitive (j, "activation_function");
  if (!cJSON_IsNumber (in) || !cJSON_IsNumber (out) || out->valuedouble < 1 || out->valuedouble > 1e6)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: in_features and out_features must be positive integers", path);
      cJSON_Delete (j);
      return FALSE;
    }
  if ((gsize) in->valuedouble != in_dim)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: in_features %g, but the module before gives %" G_GSIZE_FORMAT,
                   path, in->valuedouble, in_dim);
      cJSON_Delete (j);
      return FALSE;
    }
  if (act != NULL && !cJSON_IsNull (act) &&
      (!cJSON_IsString (act) || !dense_act_lookup (act->valuestring, &a, &torch)))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s: activation_function %s is not supported",
                   path, cJSON_IsString (act) ? act->valuestring : "(not a string)");
      cJSON_Delete (j);
      return FALSE;
    }
  if (act != NULL && cJSON_IsNull (act))
    {
      a = VS_ACT_IDENTITY;
      torch = "torch.nn.modules.linear.Identity";
    }
  add_dense (m, idx, in_dim, (gsize) out->valuedouble, json_bool (j, "bias", TRUE), a, torch);
  cJSON_Delete (j);
  return TRUE;
}

static gboolean
load_dense_weights (VsModel *m, Dense *d, const char *ddir, GError **error)
{
  g_autofree char *path = g_build_filename (ddir, "model.safetensors", NULL);
  g_autoptr(VsSafetensors) st = NULL;
  const VsSafeTensor *w, *b;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *bin = g_build_filename (ddir, "pytorch_model.bin", NULL);
      g_set_error (error, VS_ERROR, g_file_test (bin, G_FILE_TEST_EXISTS) ? VS_ERROR_UNSUPPORTED : VS_ERROR_NOT_FOUND,
                   "%s: missing (pytorch_model.bin is not read)", path);
      return FALSE;
    }
  st = vs_safetensors_open (path, error);
  if (st == NULL)
    return FALSE;
  w = vs_safetensors_lookup (st, "linear.weight");
  b = vs_safetensors_lookup (st, "linear.bias");
  if (w == NULL || (d->bias && b == NULL))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: missing tensor %s", path,
                   w == NULL ? "linear.weight" : "linear.bias");
      return FALSE;
    }
  if (w->ndim != 2 || w->shape[0] != d->out || w->shape[1] != d->in)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: tensor linear.weight has shape [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT "], config.json expects [%"
                   G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT "]",
                   path, w->shape[0], w->ndim > 1 ? w->shape[1] : 0, d->out, d->in);
      return FALSE;
    }
  if (d->bias && (b->ndim != 1 || b->shape[0] != d->out))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: tensor linear.bias has shape [%" G_GSIZE_FORMAT "], config.json expects [%" G_GSIZE_FORMAT "]",
                   path, b->shape[0], d->out);
      return FALSE;
    }
  for (gsize i = 0; i < vs_safetensors_get_n (st); i++)
    {
      const VsSafeTensor *t = vs_safetensors_get (st, i);
      if (t != w && t != b)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: unexpected tensor %s", path, t->name);
          return FALSE;
        }
    }
  if (!vs_safetensors_read_f32 (w, m->params + d->w, error))
    return FALSE;
  if (d->bias && !vs_safetensors_read_f32 (b, m->params + d->b, error))
    return FALSE;
  return TRUE;
}

static gboolean
safe_subpath (const char *p)
{
  g_auto(GStrv) parts = NULL;

  if (g_path_is_absolute (p))
    return FALSE;
  parts = g_strsplit (p, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

VsModel *
vs_model_load (const char *dir, GError **error)
{
  g_autoptr(VsModel) m = model_alloc ();
  g_autofree char *mpath = g_build_filename (dir, "modules.json", NULL);
  g_autoptr(GError) local = NULL;
  cJSON *modules;
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (ModuleEntry));
  g_autofree char *tdir = NULL;
  g_autoptr(GPtrArray) dense_dirs = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = TRUE;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: not a folder", dir);
      return NULL;
    }
  modules = read_json (mpath, TRUE, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  if (modules == NULL)
    {
      /* a plain Hugging Face folder: Transformer + mean pooling */
      if (!load_transformer_config (m, dir, error))
        return NULL;
      m->pooling_modes = VS_POOLING_MEAN;
      if (!finish_layout (m, dir, error))
        return NULL;
      if (!load_transformer_weights (m, dir, error))
        return NULL;
      return g_steal_pointer (&m);
    }

  if (!cJSON_IsArray (modules) || cJSON_GetArraySize (modules) == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected a non-empty list of modules", mpath);
      cJSON_Delete (modules);
      return NULL;
    }

  {
    gboolean seen_pool = FALSE;
    gsize width = 0;
    cJSON *item;
    guint k = 0;

    cJSON_ArrayForEach (item, modules)
      {
        cJSON *type = cJSON_GetObjectItemCaseSensitive (item, "type");
        cJSON *path = cJSON_GetObjectItemCaseSensitive (item, "path");
        cJSON *idx = cJSON_GetObjectItemCaseSensitive (item, "idx");
        const char *cls;
        g_autofree char *sub = NULL;
        guint index = cJSON_IsNumber (idx) ? (guint) idx->valuedouble : k;

        k++;
        if (!cJSON_IsString (type) || !cJSON_IsString (path) || !safe_subpath (path->valuestring))
          {
            g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                         "%s: module %u: expected \"type\" and a relative \"path\"", mpath, k - 1);
            ok = FALSE;
            break;
          }
        cls = strrchr (type->valuestring, '.');
        cls = cls != NULL ? cls + 1 : type->valuestring;
        sub = g_build_filename (dir, path->valuestring, NULL);
        if (k == 1)
          {
            if (strcmp (cls, "Transformer") != 0)
              {
                g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                             "%s: the first module is %s; only Transformer encoders are supported",
                             mpath, type->valuestring);
                ok = FALSE;
                break;
              }
            tdir = g_strdup (sub);
            if (!load_transformer_config (m, sub, error))
              {
                ok = FALSE;
                break;
              }
            width = m->enc->cfg.C;
          }
        else if (strcmp (cls, "Pooling") == 0 && !seen_pool)
          {
            if (!load_pooling (m, sub, error))
              {
                ok = FALSE;
                break;
              }
            seen_pool = TRUE;
            width = vs_pooling_count_modes (m->pooling_modes) * m->enc->cfg.C;
          }
        else if (strcmp (cls, "Dense") == 0 && seen_pool)
          {
            if (!load_dense_config (m, index, sub, width, error))
              {
                ok = FALSE;
                break;
              }
            width = ((Dense *) m->denses->pdata[m->denses->len - 1])->out;
            g_ptr_array_add (dense_dirs, g_strdup (sub));
          }
        else if (strcmp (cls, "Normalize") == 0 && seen_pool && !m->normalize)
          {
            /* sentence-transformers runs the modules in order: a Dense
             * after Normalize reads the unit-length embedding. */
            m->normalize = TRUE;
            m->normalize_at = m->denses->len;
          }
        else
          {
            g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                         "%s: module %u (%s) is not supported here (Transformer, Pooling, then Dense "
                         "modules and at most one Normalize)",
                         mpath, k - 1, type->valuestring);
            ok = FALSE;
            break;
          }
      }
    if (ok && !seen_pool)
      {
        g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s: no Pooling module", mpath);
        ok = FALSE;
      }
  }
  cJSON_Delete (modules);
  if (!ok)
    return NULL;

  if (!finish_layout (m, dir, error) || !load_transformer_weights (m, tdir, error))
    return NULL;
  for (guint i = 0; i < m->denses->len; i++)
    if (!load_dense_weights (m, m->denses->pdata[i], dense_dirs->pdata[i], error))
      return NULL;
  if (!load_st_config (m, dir, error))
    return NULL;
  return g_steal_pointer (&m);
}

/* ------------------------------------------------------------------------ */
/* new models */

/* torch nn.Linear defaults for Dense i: U(-1/sqrt(in), 1/sqrt(in)) for
 * weight and bias. */
static void
init_dense (VsModel *m, guint i, guint64 seed)
{
  Dense *d = m->denses->pdata[i];
  double bound = 1.0 / sqrt ((double) d->in);
  guint64 s = mix64 (seed ^ G_GUINT64_CONSTANT (0xd3e5e) ^ i);
  gsize n_init = d->in * d->out + (d->bias ? d->out : 0);

  for (gsize k = 0; k < n_init; k++)
    {
      float *dst = k < d->in * d->out ? m->params + d->w + k : m->params + d->b + (k - d->in * d->out);
      s = mix64 (s);
      *dst = (float) ((((double) (s >> 11)) * (1.0 / 9007199254740992.0) * 2.0 - 1.0) * bound);
    }
}

VsModel *
vs_model_new_from_preset (const char *architecture, const char *preset, const char *tokenizer_dir,
                          const char *pooling_mode, gsize dense_out, const char *dense_activation,
                          gboolean normalize, guint64 seed, GError **error)
{
  VsDenseSpec dense = { dense_out, dense_activation, TRUE };

  return vs_model_new_from_stack (architecture, preset, tokenizer_dir, pooling_mode,
                                  &dense, dense_out > 0 ? 1 : 0, normalize, seed, error);
}

VsModel *
vs_model_new_from_stack (const char *architecture, const char *preset, const char *tokenizer_dir,
                         const char *pooling_mode, const VsDenseSpec *denses, gsize n_denses,
                         gboolean normalize, guint64 seed, GError **error)
{
  static const struct { const char *name; gsize layers, C, H; } presets[] = {
    { "tiny", 2, 128, 2 }, { "small", 4, 256, 4 }, { "mini", 6, 384, 12 }, { "base", 12, 768, 12 },
  };
  g_autoptr(VsModel) m = model_alloc ();
  VsEncoderConfig cfg = { 0 };
  gint64 pad;
  gsize tmax;
  gint p = -1;

  if (!vs_arch_from_string (architecture, &cfg.arch))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "unknown architecture \"%s\" (bert, roberta, xlm-roberta, distilbert, mpnet)", architecture);
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (preset, presets[i].name) == 0)
      p = (gint) i;
  if (p < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "unknown preset \"%s\" (tiny, small, mini, base)", preset);
      return NULL;
    }
  /* Several modes may be joined by "+" ("cls+mean"; vs-module-spec.h). */
  m->pooling_modes = pooling_mode == NULL ? VS_POOLING_MEAN : vs_pooling_modes_from_string (pooling_mode);
  if (m->pooling_modes == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "unknown pooling mode \"%s\" (mean, cls, max, mean_sqrt_len_tokens, weightedmean, lasttoken)",
                   pooling_mode);
      return NULL;
    }
  m->tok = vs_tokenizer_new_from_path (tokenizer_dir, error);
  if (m->tok == NULL)
    return NULL;

  cfg.n_layers = presets[p].layers;
  cfg.C = presets[p].C;
  cfg.H = presets[p].H;
  cfg.I = 4 * cfg.C;
  cfg.vocab = vs_tokenizer_get_vocab_size (m->tok);
  cfg.act = VS_ACT_GELU;
  cfg.hidden_dropout = cfg.attn_dropout = 0.1f;
  cfg.max_distance = 128;
  pad = vs_tokenizer_get_pad_id (m->tok);
  switch (cfg.arch)
    {
    case VS_ARCH_BERT:
      cfg.type_vocab = 2;
      cfg.ln_eps = 1e-12f;
      cfg.max_pos = 512;
      cfg.pad_id = pad >= 0 ? pad : 0;
      break;
    case VS_ARCH_DISTILBERT:
      cfg.ln_eps = 1e-12f;
      cfg.max_pos = 512;
      cfg.pad_id = pad >= 0 ? pad : 0;
      break;
    case VS_ARCH_ROBERTA:
    case VS_ARCH_XLM_ROBERTA:
    case VS_ARCH_MPNET:
      cfg.type_vocab = cfg.arch == VS_ARCH_MPNET ? 0 : 1;
      cfg.num_buckets = cfg.arch == VS_ARCH_MPNET ? 32 : 0;
      cfg.ln_eps = 1e-5f;
      cfg.pad_id = pad >= 0 ? pad : 1;
      cfg.max_pos = 512 + (gsize) cfg.pad_id + 1;
      break;
    default:
      g_assert_not_reached ();
    }
  if (cfg.vocab == 0 || (gsize) cfg.pad_id >= cfg.vocab)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the tokenizer's vocabulary is empty or lacks its pad token",
                   tokenizer_dir);
      return NULL;
    }
  m->enc = vs_encoder_new (&cfg, vs_encoder_config_to_json (&cfg), &m->table);
  {
    /* Dense in_features = the width before it: Pooling's, then the
     * previous Dense's out_features. Modules are numbered as saved:
     * 0 Transformer, 1 Pooling, 2.. Dense. */
    gsize width = vs_pooling_count_modes (m->pooling_modes) * cfg.C;
    guint idx = 2;

    m->normalize = normalize;
    m->normalize_at = (guint) n_denses;
    for (gsize i = 0; i < n_denses; i++)
      {
        const char *name = denses[i].activation != NULL ? denses[i].activation : "tanh";
        VsActivation a;
        const char *torch;

        if (denses[i].out_features == 0 || denses[i].out_features > 1000000)
          {
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "Dense module %" G_GSIZE_FORMAT ": out_features must be between 1 and 1000000", i);
            return NULL;
          }
        if (!dense_act_lookup (name, &a, &torch))
          {
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "unknown Dense activation \"%s\" (tanh, identity, relu, gelu, sigmoid)", name);
            return NULL;
          }
        if (denses[i].normalize_before)
          {
            if (m->normalize && m->normalize_at != (guint) n_denses)
              {
                g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                             "Dense module %" G_GSIZE_FORMAT ": a stack takes one Normalize module", i);
                return NULL;
              }
            if (normalize)
              {
                g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                             "Dense module %" G_GSIZE_FORMAT ": Normalize before it and at the end: a stack "
                             "takes one Normalize module", i);
                return NULL;
              }
            m->normalize = TRUE;
            m->normalize_at = (guint) i;
            idx++;   /* the Normalize module's number in modules.json */
          }
        add_dense (m, idx++, width, denses[i].out_features, denses[i].bias, a, torch);
        width = denses[i].out_features;
      }
  }
  if (!finish_layout (m, preset, error))
    return NULL;
  vs_encoder_init_weights (m->enc, m->params, seed);
  for (guint i = 0; i < m->denses->len; i++)
    init_dense (m, i, seed);
  tmax = vs_tokenizer_get_max_length (m->tok);
  m->max_seq_length = tmax > 0 ? MIN (tmax, max_positions (m)) : MIN ((gsize) 512, max_positions (m));
  vs_tokenizer_set_max_length (m->tok, m->max_seq_length);
  cJSON_AddStringToObject (m->prompts, "query", "");
  cJSON_AddStringToObject (m->prompts, "document", "");
  m->rng_state = mix64 (seed);
  return g_steal_pointer (&m);
}

/* ------------------------------------------------------------------------ */
/* saving */

static void
rm_rf (const char *path)
{
  GDir *d;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      d = g_dir_open (path, 0, NULL);
      if (d != NULL)
        {
          while ((name = g_dir_read_name (d)) != NULL)
            {
              g_autofree char *child = g_build_filename (path, name, NULL);
              rm_rf (child);
            }
          g_dir_close (d);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static gboolean
make_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_into (VsModel *m, const char *dir, GError **error)
{
  g_autoptr(GArray) outs = g_array_new (FALSE, TRUE, sizeof (VsSafeTensorOut));
  g_autofree char *p = NULL;
  cJSON *j, *mods, *item, *ver;
  guint idx = 0;
  gboolean ok;

  /* Transformer in the root */
  p = g_build_filename (dir, "config.json", NULL);
  if (!write_json (p, m->enc->json, 2, error))
    return FALSE;
  g_clear_pointer (&p, g_free);
  for (gsize k = m->enc->first_tensor; k < m->enc->first_tensor + m->enc->n_tensors; k++)
    {
      const VsParamInfo *info = &g_array_index (m->table.infos, VsParamInfo, k);
      VsSafeTensorOut o = { info->name, info->ndim, { info->shape[0], info->shape[1], 0, 0 },
                            m->params + info->offset };
      g_array_append_val (outs, o);
    }
  for (guint i = 0; i < m->enc->extras->len; i++)
    {
      VsExtraTensor *e = m->enc->extras->pdata[i];
      VsSafeTensorOut o = { e->name, e->ndim, { e->shape[0], e->shape[1], 0, 0 }, e->data };
      g_array_append_val (outs, o);
    }
  p = g_build_filename (dir, "model.safetensors", NULL);
  if (!vs_safetensors_write (p, (VsSafeTensorOut *) outs->data, outs->len, error))
    return FALSE;
  g_clear_pointer (&p, g_free);

  j = cJSON_CreateObject ();
  cJSON_AddNumberToObject (j, "max_seq_length", (double) m->max_seq_length);
  cJSON_AddBoolToObject (j, "do_lower_case", m->do_lower_case);
  p = g_build_filename (dir, "sentence_bert_config.json", NULL);
  ok = write_json (p, j, 4, error);
  cJSON_Delete (j);
  g_clear_pointer (&p, g_free);
  if (!ok)
    return FALSE;
  if (m->tok != NULL && !vs_tokenizer_save_files (m->tok, dir, error))
    return FALSE;

  mods = cJSON_CreateArray ();
#define ADD_MODULE(path_, type_) \
  item = cJSON_CreateObject (); \
  cJSON_AddNumberToObject (item, "idx", idx); \
  { char nm[16]; g_snprintf (nm, sizeof nm, "%u", idx); cJSON_AddStringToObject (item, "name", nm); } \
  cJSON_AddStringToObject (item, "path", path_); \
  cJSON_AddStringToObject (item, "type", "sentence_transformers.models." type_); \
  cJSON_AddItemToArray (mods, item); \
  idx++
  ADD_MODULE ("", "Transformer");

  /* Pooling */
  {
    g_autofree char *pdir = g_build_filename (dir, "1_Pooling", NULL);
    g_autofree char *pc = g_build_filename (pdir, "config.json", NULL);
    j = cJSON_CreateObject ();
    cJSON_AddNumberToObject (j, "word_embedding_dimension", (double) m->enc->cfg.C);
    for (gsize i = 0; i < G_N_ELEMENTS (pooling_keys); i++)
      cJSON_AddBoolToObject (j, pooling_keys[i].key, (m->pooling_modes & pooling_keys[i].mode) != 0);
    cJSON_AddBoolToObject (j, "include_prompt", m->include_prompt);
    ok = make_dir (pdir, error) && write_json (pc, j, 4, error);
    cJSON_Delete (j);
    if (!ok)
      {
        cJSON_Delete (mods);
        return FALSE;
      }
    ADD_MODULE ("1_Pooling", "Pooling");
  }
  for (guint i = 0; i <= m->denses->len; i++)
    {
      Dense *d;
      g_autofree char *name = NULL;
      g_autofree char *ddir = NULL;
      g_autofree char *dc = NULL;
      g_autofree char *dw = NULL;

      if (m->normalize && m->normalize_at == i)
        {
          g_autofree char *nname = g_strdup_printf ("%u_Normalize", idx);
          g_autofree char *ndir = g_build_filename (dir, nname, NULL);

          if (!make_dir (ndir, error))
            {
              cJSON_Delete (mods);
              return FALSE;
            }
          ADD_MODULE (nname, "Normalize");
        }
      if (i == m->denses->len)
        break;
      d = m->denses->pdata[i];
      name = g_strdup_printf ("%u_Dense", idx);
      ddir = g_build_filename (dir, name, NULL);
      dc = g_build_filename (ddir, "config.json", NULL);
      dw = g_build_filename (ddir, "model.safetensors", NULL);
      {
      VsSafeTensorOut o[2] = {
        { "linear.weight", 2, { d->out, d->in, 0, 0 }, m->params + d->w },
        { "linear.bias", 1, { d->out, 0, 0, 0 }, d->bias ? m->params + d->b : NULL },
      };
      j = cJSON_CreateObject ();
      cJSON_AddNumberToObject (j, "in_features", (double) d->in);
      cJSON_AddNumberToObject (j, "out_features", (double) d->out);
      cJSON_AddBoolToObject (j, "bias", d->bias);
      cJSON_AddStringToObject (j, "activation_function", d->act_name);
      ok = make_dir (ddir, error) && write_json (dc, j, 2, error) &&
           vs_safetensors_write (dw, o, d->bias ? 2 : 1, error);
      cJSON_Delete (j);
      if (!ok)
        {
          cJSON_Delete (mods);
          return FALSE;
        }
      ADD_MODULE (name, "Dense");
      }
    }
#undef ADD_MODULE
  p = g_build_filename (dir, "modules.json", NULL);
  ok = write_json (p, mods, 2, error);
  cJSON_Delete (mods);
  g_clear_pointer (&p, g_free);
  if (!ok)
    return FALSE;

  j = cJSON_CreateObject ();
  cJSON_AddStringToObject (j, "model_type", "SentenceTransformer");
  ver = cJSON_AddObjectToObject (j, "__version__");
  cJSON_AddStringToObject (ver, "sentence_transformers", "3.0.0");
  cJSON_AddStringToObject (ver, "vectorsmith", vs_engine_get_version ());
  cJSON_AddItemToObject (j, "prompts", cJSON_Duplicate (m->prompts, TRUE));
  if (m->default_prompt_name != NULL)
    cJSON_AddStringToObject (j, "default_prompt_name", m->default_prompt_name);
  else
    cJSON_AddNullToObject (j, "default_prompt_name");
  cJSON_AddStringToObject (j, "similarity_fn_name", m->similarity);
  p = g_build_filename (dir, "config_sentence_transformers.json", NULL);
  ok = write_json (p, j, 2, error);
  cJSON_Delete (j);
  return ok;
}

gboolean
vs_model_save (VsModel *m, const char *dir, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (dir);
  g_autofree char *tmp = NULL;
  g_autofree char *old = NULL;

  g_return_val_if_fail (m != NULL && dir != NULL, FALSE);
  if (!make_dir (parent, error))
    return FALSE;
  tmp = g_strdup_printf ("%s/.%s.tmp-XXXXXX", parent, base);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create a temporary folder: %s", parent,
                   g_strerror (errno));
      return FALSE;
    }
  /* mkdtemp makes it private; a model folder is an ordinary folder */
  g_chmod (tmp, 0755);
  if (!save_into (m, tmp, error))
    {
      /* The error names the file in the temporary folder: say what it
       * means for the folder the user asked for. */
      g_prefix_error (error, "%s: not saved, the folder is as it was: ", dir);
      rm_rf (tmp);
      return FALSE;
    }
  if (g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: exists and is not a folder", dir);
          rm_rf (tmp);
          return FALSE;
        }
      old = g_strdup_printf ("%s/.%s.old-XXXXXX", parent, base);
      if (g_mkdtemp (old) == NULL || g_rmdir (old) != 0 || g_rename (dir, old) != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot move the old folder aside: %s", dir,
                       g_strerror (errno));
          rm_rf (tmp);
          return FALSE;
        }
    }
  if (g_rename (tmp, dir) != 0)
    {
      int e = errno;
      if (old != NULL)
        g_rename (old, dir);
      rm_rf (tmp);
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", dir, g_strerror (e));
      return FALSE;
    }
  if (old != NULL)
    rm_rf (old);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* getters */

gsize vs_model_get_dimension (VsModel *m) { return m->dim; }
gsize vs_model_get_hidden_size (VsModel *m) { return m->enc->cfg.C; }
VsTokenizer *vs_model_get_tokenizer (VsModel *m) { return m->tok; }
const char *vs_model_get_model_type (VsModel *m) { return vs_arch_model_type (m->enc->cfg.arch); }
gsize vs_model_get_max_seq_length (VsModel *m) { return m->max_seq_length; }
const char *vs_model_get_similarity_fn_name (VsModel *m) { return m->similarity; }
const char *vs_model_get_default_prompt_name (VsModel *m) { return m->default_prompt_name; }
gboolean vs_model_has_normalize (VsModel *m) { return m->normalize && m->normalize_at == m->denses->len; }
guint vs_model_get_pooling_modes (VsModel *m) { return m->pooling_modes; }
gboolean vs_model_get_include_prompt (VsModel *m) { return m->include_prompt; }
void vs_model_set_include_prompt (VsModel *m, gboolean include_prompt) { m->include_prompt = include_prompt; }
guint64 vs_model_get_rng_state (VsModel *m) { return m->rng_state; }
void vs_model_set_rng_state (VsModel *m, guint64 state) { m->rng_state = state; }
gsize vs_model_get_n_tensors (VsModel *m) { return m->table.infos->len; }

void
vs_model_set_max_seq_length (VsModel *m, gsize max_seq_length)
{
  m->max_seq_length = CLAMP (max_seq_length, 1, max_positions (m));
  if (m->tok != NULL)
    vs_tokenizer_set_max_length (m->tok, m->max_seq_length);
}

void
vs_model_set_similarity_fn_name (VsModel *m, const char *name)
{
  g_return_if_fail (g_strcmp0 (name, "cosine") == 0 || g_strcmp0 (name, "dot") == 0 ||
                    g_strcmp0 (name, "euclidean") == 0 || g_strcmp0 (name, "manhattan") == 0);
  g_free (m->similarity);
  m->similarity = g_strdup (name);
}

const char *
vs_model_get_prompt (VsModel *m, const char *name)
{
  cJSON *v = cJSON_GetObjectItemCaseSensitive (m->prompts, name);

  return cJSON_IsString (v) ? v->valuestring : NULL;
}

const char *
vs_model_get_prompt_for_role (VsModel *m, const char *role)
{
  static const char *const document_names[] = { "document", "passage", "corpus" };
  const char *dflt = vs_model_get_default_prompt_name (m);
  const char *p = NULL;

  if (g_strcmp0 (role, "query") == 0)
    p = vs_model_get_prompt (m, "query");
  else if (g_strcmp0 (role, "document") == 0)
    for (gsize i = 0; p == NULL && i < G_N_ELEMENTS (document_names); i++)
      p = vs_model_get_prompt (m, document_names[i]);
  if (p == NULL && dflt != NULL)
    p = vs_model_get_prompt (m, dflt);
  return p;
}

const VsParamInfo *
vs_model_get_tensor_info (VsModel *m, gsize i)
{
  g_return_val_if_fail (i < m->table.infos->len, NULL);
  return &g_array_index (m->table.infos, VsParamInfo, i);
}

float *
vs_model_get_params (VsModel *m, gsize *n_floats)
{
  if (n_floats != NULL)
    *n_floats = m->table.total;
  return m->params;
}

float *
vs_model_get_grads (VsModel *m, gsize *n_floats)
{
  if (n_floats != NULL)
    *n_floats = m->table.total;
  return m->grads;
}

void
vs_model_zero_grad (VsModel *m)
{
  memset (m->grads, 0, m->table.total * sizeof (float));
}

void
vs_model_trim_memory (VsModel *m)
{
  vs_arena_trim (m->enc->arena);
}

guint64
vs_model_get_arena_allocs (VsModel *m)
{
  return vs_arena_get_n_allocs (m->enc->arena);
}

void
vs_model_set_dropout (VsModel *m, float p)
{
  if (p < 0.0f)
    {
      m->hidden_p = m->enc->cfg.hidden_dropout;
      m->attn_p = m->enc->cfg.attn_dropout;
    }
  else
    m->hidden_p = m->attn_p = MIN (p, 0.999f);
}

/* ------------------------------------------------------------------------ */
/* forward / backward */

void
vs_forward_free (VsForward *fw)
{
  if (fw == NULL)
    return;
  vs_encoder_acts_free (fw->enc);
  g_free (fw->pooled);
  g_free (fw->argmax);
  g_free (fw->skip);
  g_ptr_array_unref (fw->dense_pre);
  g_ptr_array_unref (fw->dense_post);
  g_free (fw->final_in);
  g_free (fw->norm_out);
  g_free (fw->final);
  g_free (fw);
}

gsize
vs_forward_get_n (VsForward *fw)
{
  return fw->n;
}

const float *
vs_forward_get_token_embeddings (VsForward *fw, const gsize **offsets)
{
  return vs_encoder_acts_output (fw->enc, offsets, NULL);
}

/* skip: per text, the prompt tokens to leave out of pooling (NULL: none);
 * used only when Pooling's include_prompt is false. */
static VsForward *
forward_ids (VsModel *m, const guint32 *const *ids, const guint32 *const *type_ids,
             const gsize *lengths, const gsize *skip, gsize n, gboolean keep, gboolean training,
             float *out, GError **error)
{
  VsForward *fw;
  gsize C = m->enc->cfg.C, K = vs_pooling_count_modes (m->pooling_modes);
  guint64 seed = 0;
  float hp = 0.0f, ap = 0.0f;
  const float *H, *x;
  const gsize *offsets;
  gsize width;

  if (training)
    {
      seed = mix64 (m->rng_state);
      m->rng_state++;
      hp = m->hidden_p;
      ap = m->attn_p;
    }
  fw = g_new0 (VsForward, 1);
  fw->model = m;
  fw->n = n;
  fw->dense_pre = g_ptr_array_new_with_free_func (g_free);
  fw->dense_post = g_ptr_array_new_with_free_func (g_free);
  fw->enc = vs_encoder_forward (m->enc, m->params, ids, type_ids, lengths, n, keep, hp, ap, seed, error);
  if (fw->enc == NULL)
    {
      vs_forward_free (fw);
      return NULL;
    }
  H = vs_encoder_acts_output (fw->enc, &offsets, NULL);
  fw->pooled = g_new (float, MAX (n * K * C, 1));
  fw->argmax = g_new0 (gint64, MAX (n * C, 1));
  if (skip != NULL && !m->include_prompt)
    fw->skip = g_memdup2 (skip, MAX (n, 1) * sizeof (gsize));
  vs_pooling_forward_masked (fw->pooled, fw->argmax, H, offsets, fw->skip, n, C, m->pooling_modes);
  x = fw->pooled;
  width = K * C;
  for (guint i = 0; i < m->denses->len; i++)
    {
      Dense *d = m->denses->pdata[i];
      float *pre, *post;

      if (m->normalize && m->normalize_at == i)
        {
          /* Normalize before this Dense: keep its input and output for backward. */
          fw->final_in = g_memdup2 (x, MAX (n * width, 1) * sizeof (float));
          fw->norm_out = g_new (float, MAX (n * width, 1));
          vs_normalize_forward (fw->norm_out, x, n, width);
          x = fw->norm_out;
        }
      pre = g_new (float, MAX (n * d->out, 1));
      post = g_new (float, MAX (n * d->out, 1));
      vs_matmul_forward (pre, x, m->params + d->w, d->bias ? m->params + d->b : NULL, n, d->in, d->out);
      vs_activation_forward (d->act, post, pre, n * d->out);
      g_ptr_array_add (fw->dense_pre, pre);
      g_ptr_array_add (fw->dense_post, post);
      x = post;
      width = d->out;
    }
  fw->final = g_new (float, MAX (n * width, 1));
  if (m->normalize && m->normalize_at == m->denses->len)
    {
      fw->final_in = g_memdup2 (x, MAX (n * width, 1) * sizeof (float));
      vs_normalize_forward (fw->final, x, n, width);
    }
  else
    memcpy (fw->final, x, n * width * sizeof (float));
  if (out != NULL)
    memcpy (out, fw->final, n * width * sizeof (float));
  return fw;
}

VsForward *
vs_model_forward_tokens (VsModel *m, const guint32 *const *ids, const guint32 *const *type_ids,
                         const gsize *lengths, gsize n, gboolean training, float *out, GError **error)
{
  g_return_val_if_fail (m != NULL, NULL);
  return forward_ids (m, ids, type_ids, lengths, NULL, n, TRUE, training, out, error);
}

VsForward *
vs_model_forward_tokens_prompted (VsModel *m, const guint32 *const *ids, const guint32 *const *type_ids,
                                  const gsize *lengths, const gsize *prompt_lengths, gsize n,
                                  gboolean training, float *out, GError **error)
{
  g_return_val_if_fail (m != NULL, NULL);
  return forward_ids (m, ids, type_ids, lengths, prompt_lengths, n, TRUE, training, out, error);
}

typedef struct
{
  gsize     n;
  guint32 **ids;
  guint32 **types;
  gsize    *lengths;
  gsize    *skip;      /* [n] prompt length per text, or NULL */
} Tokens;

static void
tokens_clear (Tokens *t)
{
  for (gsize i = 0; i < t->n; i++)
    {
      g_free (t->ids[i]);
      g_free (t->types[i]);
    }
  g_free (t->ids);
  g_free (t->types);
  g_free (t->lengths);
  g_free (t->skip);
}

static gboolean
check_tokenizer (VsModel *m, GError **error)
{
  if (m->tok == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s", m->tok_missing);
      return FALSE;
    }
  return TRUE;
}

/* sentence-transformers' Transformer.tokenize of one text: str(s).strip(),
 * then .lower() if do_lower_case, special tokens, truncation. */
static VsEncoding *
tokenize_one (VsModel *m, const char *prefix, const char *text)
{
  g_autofree char *s = g_strconcat (prefix != NULL ? prefix : "", text != NULL ? text : "", NULL);
  g_autofree char *lower = NULL;

  g_strstrip (s);
  if (m->do_lower_case)
    lower = g_utf8_strdown (s, -1);
  return vs_tokenizer_encode (m->tok, lower != NULL ? lower : s, NULL, TRUE, m->max_seq_length);
}

gsize
vs_model_get_prompt_length (VsModel *m, const char *prompt, gboolean training)
{
  VsEncoding *e;
  gsize len;

  g_return_val_if_fail (m != NULL, 0);
  if (prompt == NULL || m->tok == NULL)
    return 0;
  e = tokenize_one (m, NULL, prompt);
  len = e->n_tokens;
  /* encode(): input_ids.shape[-1] - 1; the training collator subtracts the
   * trailing token only when it is a special one */
  if (len > 0 && (!training || e->special_tokens_mask[len - 1]))
    len--;
  vs_encoding_free (e);
  return len;
}

/* Tokenizes prompt + texts[i]; with a prompt, t->skip holds its length. */
static gboolean
tokenize (VsModel *m, const char *prompt, gboolean training, const char *const *texts, gsize n,
          Tokens *t, GError **error)
{
  if (!check_tokenizer (m, error))
    return FALSE;
  t->n = n;
  t->ids = g_new0 (guint32 *, MAX (n, 1));
  t->types = g_new0 (guint32 *, MAX (n, 1));
  t->lengths = g_new0 (gsize, MAX (n, 1));
  if (prompt != NULL)
    {
      gsize pl = vs_model_get_prompt_length (m, prompt, training);
      t->skip = g_new0 (gsize, MAX (n, 1));
      for (gsize i = 0; i < n; i++)
        t->skip[i] = pl;
    }
  for (gsize i = 0; i < n; i++)
    {
      VsEncoding *e = tokenize_one (m, prompt, texts[i]);

      t->lengths[i] = e->n_tokens;
      t->ids[i] = g_memdup2 (e->ids, MAX (e->n_tokens, 1) * sizeof (guint32));
      t->types[i] = g_memdup2 (e->type_ids, MAX (e->n_tokens, 1) * sizeof (guint32));
      vs_encoding_free (e);
    }
  return TRUE;
}

static VsForward *
forward_texts (VsModel *m, const char *prompt, const char *const *texts, gsize n, gboolean keep,
               gboolean training, float *out, GError **error)
{
  Tokens t = { 0 };
  VsForward *fw;

  if (!tokenize (m, prompt, TRUE, texts, n, &t, error))
    return NULL;
  fw = forward_ids (m, (const guint32 *const *) t.ids, (const guint32 *const *) t.types, t.lengths,
                    t.skip, n, keep, training, out, error);
  tokens_clear (&t);
  return fw;
}

VsForward *
vs_model_forward (VsModel *m, const char *const *texts, gsize n, gboolean training,
                  float *out, GError **error)
{
  g_return_val_if_fail (m != NULL, NULL);
  return forward_texts (m, NULL, texts, n, TRUE, training, out, error);
}

VsForward *
vs_model_forward_with_prompt (VsModel *m, const char *prompt, const char *const *texts, gsize n,
                              gboolean training, float *out, GError **error)
{
  g_return_val_if_fail (m != NULL, NULL);
  return forward_texts (m, prompt, texts, n, TRUE, training, out, error);
}

gboolean
vs_model_forward_no_grad_with_prompt (VsModel *m, const char *prompt, const char *const *texts, gsize n,
                                      gboolean training, float *out, GError **error)
{
  VsForward *fw;

  g_return_val_if_fail (m != NULL, FALSE);
  fw = forward_texts (m, prompt, texts, n, FALSE, training, out, error);
  if (fw == NULL)
    return FALSE;
  vs_forward_free (fw);
  return TRUE;
}

gboolean
vs_model_forward_no_grad (VsModel *m, const char *const *texts, gsize n, gboolean training,
                          float *out, GError **error)
{
  return vs_model_forward_no_grad_with_prompt (m, NULL, texts, n, training, out, error);
}

gboolean
vs_model_encode_with_prompt (VsModel *m, const char *prompt, const char *const *texts, gsize n,
                             gsize batch_size, gboolean normalize, float *out, GError **error)
{
  gsize D;

  g_return_val_if_fail (m != NULL, FALSE);
  D = m->dim;
  if (batch_size == 0)
    batch_size = 32;
  for (gsize b = 0; b < n; b += batch_size)
    {
      gsize nb = MIN (batch_size, n - b);
      Tokens t = { 0 };
      VsForward *fw;

      if (!tokenize (m, prompt, FALSE, texts + b, nb, &t, error))
        return FALSE;
      fw = forward_ids (m, (const guint32 *const *) t.ids, (const guint32 *const *) t.types, t.lengths,
                        t.skip, nb, FALSE, FALSE, out + b * D, error);
      tokens_clear (&t);
      if (fw == NULL)
        {
          g_prefix_error (error, "batch at text %" G_GSIZE_FORMAT ": ", b);
          return FALSE;
        }
      vs_forward_free (fw);
      if (normalize)
        vs_normalize_forward (out + b * D, out + b * D, nb, D);
    }
  return TRUE;
}

gboolean
vs_model_encode (VsModel *m, const char *const *texts, gsize n, gsize batch_size,
                 gboolean normalize, float *out, GError **error)
{
  return vs_model_encode_with_prompt (m, NULL, texts, n, batch_size, normalize, out, error);
}

gboolean
vs_model_encode_tokens (VsModel *m, const guint32 *const *ids, const guint32 *const *type_ids,
                        const gsize *lengths, gsize n, gboolean normalize, float *out, GError **error)
{
  VsForward *fw;

  g_return_val_if_fail (m != NULL, FALSE);
  fw = forward_ids (m, ids, type_ids, lengths, NULL, n, FALSE, FALSE, out, error);
  if (fw == NULL)
    return FALSE;
  vs_forward_free (fw);
  if (normalize)
    vs_normalize_forward (out, out, n, m->dim);
  return TRUE;
}

void
vs_model_backward (VsModel *m, VsForward *fw, const float *d_out)
{
  gsize n = fw->n, C = m->enc->cfg.C, T;
  g_autofree float *d = NULL;
  g_autofree float *dH = NULL;
  const gsize *offsets;
  gsize width = m->dim;

  g_return_if_fail (fw->model == m);
  g_return_if_fail (!fw->used);
  fw->used = TRUE;
  d = g_memdup2 (d_out, MAX (n * width, 1) * sizeof (float));
  if (m->normalize && m->normalize_at == m->denses->len)
    vs_normalize_backward (d, d, fw->final_in, fw->final, n, width);
  for (guint i = m->denses->len; i-- > 0;)
    {
      Dense *de = m->denses->pdata[i];
      gboolean norm_here = m->normalize && m->normalize_at == i;
      const float *x = norm_here ? fw->norm_out : i == 0 ? fw->pooled : fw->dense_post->pdata[i - 1];
      float *dx = g_new0 (float, MAX (n * de->in, 1));
      vs_activation_backward (de->act, d, d, fw->dense_pre->pdata[i], fw->dense_post->pdata[i], n * de->out);
      vs_matmul_backward (dx, m->grads + de->w, de->bias ? m->grads + de->b : NULL, d, x,
                          m->params + de->w, n, de->in, de->out);
      g_free (d);
      d = dx;
      if (norm_here)
        vs_normalize_backward (d, d, fw->final_in, fw->norm_out, n, de->in);
    }
  vs_encoder_acts_output (fw->enc, &offsets, &T);
  dH = g_new0 (float, MAX (T * C, 1));
  vs_pooling_backward_masked (dH, d, fw->argmax, offsets, fw->skip, n, C, m->pooling_modes);
  vs_encoder_backward (m->enc, m->params, m->grads, fw->enc, dH);
}

/* For vs-model-info.c (which has no access to the struct). */
gsize _vs_model_get_n_layers (VsModel *model);
gsize _vs_model_get_n_heads  (VsModel *model);

gsize
_vs_model_get_n_layers (VsModel *model)
{
  return model->enc->cfg.n_layers;
}

gsize
_vs_model_get_n_heads (VsModel *model)
{
  return model->enc->cfg.H;
}

gsize _vs_model_get_n_dense          (VsModel *model);
gsize _vs_model_get_dense_out        (VsModel *model,
                                      gsize    i);
gboolean _vs_model_get_dense_has_bias (VsModel *model,
                                       gsize    i);

gsize
_vs_model_get_n_dense (VsModel *model)
{
  return model->denses != NULL ? model->denses->len : 0;
}

gsize
_vs_model_get_dense_out (VsModel *model,
                         gsize    i)
{
  return ((Dense *) g_ptr_array_index (model->denses, i))->out;
}

gboolean
_vs_model_get_dense_has_bias (VsModel *model,
                              gsize    i)
{
  return ((Dense *) g_ptr_array_index (model->denses, i))->b != G_MAXSIZE;
}

const char *_vs_model_get_dense_activation (VsModel *model,
                                            gsize    i);

/* The short name ("tanh") of Dense i's activation. */
const char *
_vs_model_get_dense_activation (VsModel *model,
                                gsize    i)
{
  Dense *d = g_ptr_array_index (model->denses, i);

  for (gsize k = 0; k < G_N_ELEMENTS (dense_acts); k++)
    if (dense_acts[k].act == d->act)
      return dense_acts[k].shortname;
  return NULL;
}

gint _vs_model_get_normalize_at (VsModel *model);

/* Where Normalize runs: before Dense i (i == number of Dense: last); -1: none. */
gint
_vs_model_get_normalize_at (VsModel *model)
{
  return model->normalize ? (gint) model->normalize_at : -1;
}

gboolean
vs_model_append_modules (VsModel      *m,
                         const cJSON  *modules,
                         guint64       seed,
                         GError      **error)
{
  cJSON *all;
  const cJSON *item;
  g_autofree gsize *dims = NULL;
  gsize n_dims, width, old_total, n_old;
  guint idx;
  int i = 0;
  gboolean ok;
  float *params, *grads;

  g_return_val_if_fail (m != NULL, FALSE);

  if (modules == NULL)
    return TRUE;
  if (!cJSON_IsArray (modules))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "modules: expected an array");
      return FALSE;
    }
  /* The rules on the whole stack, the loaded part first, so the reasons
   * are the same as for a new model; only Dense and Normalize go on top. */
  all = vs_model_dup_modules_json (m);
  n_old = (gsize) cJSON_GetArraySize (all);
  cJSON_ArrayForEach (item, modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (item, "type"));

      if (g_strcmp0 (type, "dense") != 0 && g_strcmp0 (type, "normalize") != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "modules[%d]: only dense and normalize modules go on top of a loaded model "
                       "(it keeps its own Pooling)", i);
          cJSON_Delete (all);
          return FALSE;
        }
      cJSON_AddItemToArray (all, cJSON_Duplicate (item, TRUE));
      i++;
    }
  ok = vs_module_spec_dimensions (m->enc->cfg.C, all, &dims, &n_dims, error);
  cJSON_Delete (all);
  if (!ok)
    {
      /* name the module as the recipe does: its place among those on top */
      if (error != NULL && *error != NULL)
        {
          int at = -1;

          if (sscanf ((*error)->message, "modules[%d]", &at) == 1 && at >= (int) n_old)
            {
              const char *rest = strchr ((*error)->message, ']');
              g_autofree char *msg = g_strdup_printf ("modules[%d]%s", at - (int) n_old, rest + 1);

              g_free ((*error)->message);
              (*error)->message = g_steal_pointer (&msg);
            }
        }
      return FALSE;
    }

  old_total = m->table.total;
  width = m->dim;
  idx = 2 + m->denses->len + (m->normalize ? 1 : 0);
  i = 0;
  cJSON_ArrayForEach (item, modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (item, "type"));

      if (strcmp (type, "normalize") == 0)
        {
          m->normalize = TRUE;
          m->normalize_at = m->denses->len;
          idx++;
        }
      else
        {
          const cJSON *bias = cJSON_GetObjectItemCaseSensitive (item, "bias");
          const char *act_name = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (item, "activation"));
          gsize out = (gsize) cJSON_GetNumberValue (cJSON_GetObjectItemCaseSensitive (item, "out_features"));
          VsActivation a;
          const char *torch;

          dense_act_lookup (act_name != NULL ? act_name : "tanh", &a, &torch);   /* checked above */
          add_dense (m, idx++, width, out, bias == NULL || cJSON_IsTrue (bias), a, torch);
          width = out;
        }
      i++;
    }
  /* The new tensors sit after the old ones: the arenas grow, old offsets hold. */
  params = g_try_realloc (m->params, MAX (m->table.total, 1) * sizeof (float));
  if (params != NULL)
    m->params = params;
  grads = params != NULL ? g_try_realloc (m->grads, MAX (m->table.total, 1) * sizeof (float)) : NULL;
  if (grads != NULL)
    m->grads = grads;
  if (params == NULL || grads == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "cannot allocate %" G_GSIZE_FORMAT " parameters",
                   m->table.total);
      return FALSE;
    }
  memset (m->params + old_total, 0, (m->table.total - old_total) * sizeof (float));
  memset (m->grads + old_total, 0, (m->table.total - old_total) * sizeof (float));
  for (guint k = 0; k < m->denses->len; k++)
    if (((Dense *) m->denses->pdata[k])->w >= old_total)
      init_dense (m, k, seed);
  m->dim = width;
  return TRUE;
}
