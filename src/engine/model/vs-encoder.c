/* vs-encoder.c: BERT, RoBERTa, XLM-RoBERTa, DistilBERT and MPNet encoders,
 * forward and backward on packed batches (see vs-encoder.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "model/vs-encoder.h"
#include "vs-error.h"

/* ------------------------------------------------------------------------ */
/* parameter table */

void
vs_param_table_init (VsParamTable *t)
{
  t->infos = g_array_new (FALSE, TRUE, sizeof (VsParamInfo));
  t->names = g_ptr_array_new_with_free_func (g_free);
  t->total = 0;
}

void
vs_param_table_clear (VsParamTable *t)
{
  g_clear_pointer (&t->infos, g_array_unref);
  g_clear_pointer (&t->names, g_ptr_array_unref);
}

gsize
vs_param_table_add (VsParamTable *t, const char *name, int ndim, gsize s0, gsize s1,
                    gboolean no_decay)
{
  VsParamInfo info = { 0 };
  char *copy = g_strdup (name);

  g_ptr_array_add (t->names, copy);
  info.name = copy;
  info.offset = t->total;
  info.ndim = ndim;
  info.shape[0] = s0;
  info.shape[1] = ndim > 1 ? s1 : 0;
  info.numel = ndim > 1 ? s0 * s1 : s0;
  info.no_decay = no_decay;
  t->total += info.numel;
  g_array_append_val (t->infos, info);
  return info.offset;
}

void
vs_param_table_freeze (VsParamTable *t, gsize offset)
{
  for (guint i = 0; i < t->infos->len; i++)
    {
      VsParamInfo *info = &g_array_index (t->infos, VsParamInfo, i);
      if (info->offset == offset)
        {
          info->frozen = TRUE;
          info->no_decay = TRUE;
        }
    }
}

void
vs_sinusoidal_embeddings (float *out, gsize n_pos, gsize dim)
{
  for (gsize pos = 0; pos < n_pos; pos++)
    for (gsize j = 0; j < dim; j++)
      {
        double angle = (double) pos / pow (10000.0, (double) (2 * (j / 2)) / (double) dim);
        out[pos * dim + j] = (float) (j % 2 == 0 ? sin (angle) : cos (angle));
      }
}

/* ------------------------------------------------------------------------ */
/* config */

const char *
vs_arch_model_type (VsArch arch)
{
  switch (arch)
    {
    case VS_ARCH_BERT: return "bert";
    case VS_ARCH_ROBERTA: return "roberta";
    case VS_ARCH_XLM_ROBERTA: return "xlm-roberta";
    case VS_ARCH_DISTILBERT: return "distilbert";
    case VS_ARCH_MPNET: return "mpnet";
    default: g_assert_not_reached ();
    }
}

gboolean
vs_arch_from_string (const char *name, VsArch *arch)
{
  static const VsArch all[] = { VS_ARCH_BERT, VS_ARCH_ROBERTA, VS_ARCH_XLM_ROBERTA,
                                VS_ARCH_DISTILBERT, VS_ARCH_MPNET };

  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_strcmp0 (name, vs_arch_model_type (all[i])) == 0)
      {
        *arch = all[i];
        return TRUE;
      }
  return FALSE;
}

static gboolean
get_size (cJSON *json, const char *key, gsize def, gsize *out, const char *path, GError **error)
{
  cJSON *v = cJSON_GetObjectItemCaseSensitive (json, key);

  if (v == NULL || cJSON_IsNull (v))
    {
      if (def == G_MAXSIZE)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: missing field \"%s\"", path, key);
          return FALSE;
        }
      *out = def;
      return TRUE;
    }
  if (!cJSON_IsNumber (v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
      v->valuedouble != floor (v->valuedouble))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: field \"%s\" must be a non-negative integer",
                   path, key);
      return FALSE;
    }
  *out = (gsize) v->valuedouble;
  return TRUE;
}

static gboolean
get_float (cJSON *json, const char *key, double def, float *out, const char *path, GError **error)
{
  cJSON *v = cJSON_GetObjectItemCaseSensitive (json, key);

  if (v == NULL || cJSON_IsNull (v))
    {
      *out = (float) def;
      return TRUE;
    }
  if (!cJSON_IsNumber (v) || !isfinite (v->valuedouble))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: field \"%s\" must be a number", path, key);
      return FALSE;
    }
  *out = (float) v->valuedouble;
  return TRUE;
}

static gboolean
parse_activation (const char *name, VsActivation *act)
{
  if (g_strcmp0 (name, "gelu") == 0)
    *act = VS_ACT_GELU;
  else if (g_strcmp0 (name, "gelu_new") == 0 || g_strcmp0 (name, "gelu_pytorch_tanh") == 0 ||
           g_strcmp0 (name, "gelu_fast") == 0)
    *act = VS_ACT_GELU_TANH;
  else if (g_strcmp0 (name, "relu") == 0)
    *act = VS_ACT_RELU;
  else if (g_strcmp0 (name, "tanh") == 0)
    *act = VS_ACT_TANH;
  else
    return FALSE;
  return TRUE;
}

gboolean
vs_encoder_config_parse (VsEncoderConfig *cfg, cJSON *json, const char *path, GError **error)
{
  cJSON *mt = cJSON_GetObjectItemCaseSensitive (json, "model_type");
  gboolean distil;
  const char *act_key;
  cJSON *act, *pet;
  gsize pad = 0;

  memset (cfg, 0, sizeof *cfg);
  if (!cJSON_IsString (mt))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: missing field \"model_type\"", path);
      return FALSE;
    }
  if (!vs_arch_from_string (mt->valuestring, &cfg->arch))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: model_type \"%s\" is not supported (bert, roberta, xlm-roberta, distilbert, mpnet)",
                   path, mt->valuestring);
      return FALSE;
    }
  distil = cfg->arch == VS_ARCH_DISTILBERT;
  if (!get_size (json, "vocab_size", G_MAXSIZE, &cfg->vocab, path, error) ||
      !get_size (json, distil ? "dim" : "hidden_size", G_MAXSIZE, &cfg->C, path, error) ||
      !get_size (json, distil ? "n_layers" : "num_hidden_layers", G_MAXSIZE, &cfg->n_layers, path, error) ||
      !get_size (json, distil ? "n_heads" : "num_attention_heads", G_MAXSIZE, &cfg->H, path, error) ||
      !get_size (json, distil ? "hidden_dim" : "intermediate_size", G_MAXSIZE, &cfg->I, path, error) ||
      !get_size (json, "max_position_embeddings", 512, &cfg->max_pos, path, error) ||
      !get_size (json, "pad_token_id",
                 cfg->arch == VS_ARCH_BERT || distil ? 0 : 1, &pad, path, error))
    return FALSE;
  cfg->pad_id = (gint64) pad;
  cfg->type_vocab = 0;
  if (cfg->arch == VS_ARCH_BERT || cfg->arch == VS_ARCH_ROBERTA || cfg->arch == VS_ARCH_XLM_ROBERTA)
    if (!get_size (json, "type_vocab_size", cfg->arch == VS_ARCH_BERT ? 2 : 1, &cfg->type_vocab, path, error))
      return FALSE;
  if (distil)
    {
      cJSON *sin_pe = cJSON_GetObjectItemCaseSensitive (json, "sinusoidal_pos_embds");
      if (sin_pe != NULL && !cJSON_IsNull (sin_pe) && !cJSON_IsBool (sin_pe))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: sinusoidal_pos_embds must be true or false", path);
          return FALSE;
        }
      cfg->sinusoidal = cJSON_IsTrue (sin_pe);
      cfg->ln_eps = 1e-12f;
      if (!get_float (json, "dropout", 0.1, &cfg->hidden_dropout, path, error) ||
          !get_float (json, "attention_dropout", 0.1, &cfg->attn_dropout, path, error))
        return FALSE;
    }
  else if (!get_float (json, "layer_norm_eps", cfg->arch == VS_ARCH_BERT ? 1e-12 : 1e-5, &cfg->ln_eps, path, error) ||
           !get_float (json, "hidden_dropout_prob", 0.1, &cfg->hidden_dropout, path, error) ||
           !get_float (json, "attention_probs_dropout_prob", 0.1, &cfg->attn_dropout, path, error))
    return FALSE;
  cfg->num_buckets = 0;
  cfg->max_distance = 128;
  if (cfg->arch == VS_ARCH_MPNET &&
      !get_size (json, "relative_attention_num_buckets", 32, &cfg->num_buckets, path, error))
    return FALSE;

  act_key = distil ? "activation" : "hidden_act";
  act = cJSON_GetObjectItemCaseSensitive (json, act_key);
  if (act == NULL)
    cfg->act = VS_ACT_GELU;
  else if (!cJSON_IsString (act) || !parse_activation (act->valuestring, &cfg->act))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: %s %s is not supported (gelu, gelu_new, relu)", path, act_key,
                   cJSON_IsString (act) ? act->valuestring : "(not a string)");
      return FALSE;
    }
  pet = cJSON_GetObjectItemCaseSensitive (json, "position_embedding_type");
  if (pet != NULL && !cJSON_IsNull (pet) &&
      (!cJSON_IsString (pet) || strcmp (pet->valuestring, "absolute") != 0))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: position_embedding_type %s is not supported (absolute)", path,
                   cJSON_IsString (pet) ? pet->valuestring : "(not a string)");
      return FALSE;
    }

  if (cfg->C == 0 || cfg->H == 0 || cfg->C % cfg->H != 0 || cfg->I == 0 || cfg->vocab == 0 ||
      cfg->max_pos == 0 || cfg->C > 65536 || cfg->I > 262144 || cfg->n_layers > 1024 ||
      cfg->vocab > 100000000 || cfg->max_pos > 1000000 || cfg->type_vocab > 1000 ||
      (cfg->arch == VS_ARCH_MPNET && (cfg->num_buckets < 4 || cfg->num_buckets > 4096)))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: inconsistent sizes (hidden %" G_GSIZE_FORMAT " must be a multiple of heads %"
                   G_GSIZE_FORMAT "; sizes must be positive and reasonable)", path, cfg->C, cfg->H);
      return FALSE;
    }
  if (cfg->arch != VS_ARCH_BERT && cfg->arch != VS_ARCH_DISTILBERT &&
      (gsize) cfg->pad_id + 2 > cfg->max_pos)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: max_position_embeddings %" G_GSIZE_FORMAT " leaves no positions after pad_token_id %"
                   G_GINT64_FORMAT, path, cfg->max_pos, cfg->pad_id);
      return FALSE;
    }
  return TRUE;
}

static const char *
activation_name (VsActivation act)
{
  switch (act)
    {
    case VS_ACT_GELU: return "gelu";
    case VS_ACT_GELU_TANH: return "gelu_new";
    case VS_ACT_RELU: return "relu";
    case VS_ACT_TANH: return "tanh";
    case VS_ACT_IDENTITY:
    case VS_ACT_SIGMOID:
    default:
      return "gelu";
    }
}

cJSON *
vs_encoder_config_to_json (const VsEncoderConfig *cfg)
{
  cJSON *j = cJSON_CreateObject ();
  const char *arch_class = NULL;

  switch (cfg->arch)
    {
    case VS_ARCH_BERT: arch_class = "BertModel"; break;
    case VS_ARCH_ROBERTA: arch_class = "RobertaModel"; break;
    case VS_ARCH_XLM_ROBERTA: arch_class = "XLMRobertaModel"; break;
    case VS_ARCH_DISTILBERT: arch_class = "DistilBertModel"; break;
    case VS_ARCH_MPNET: arch_class = "MPNetModel"; break;
    default: g_assert_not_reached ();
    }
  cJSON_AddItemToObject (j, "architectures", cJSON_CreateStringArray (&arch_class, 1));
  if (cfg->arch == VS_ARCH_DISTILBERT)
    {
      cJSON_AddStringToObject (j, "activation", activation_name (cfg->act));
      cJSON_AddNumberToObject (j, "attention_dropout", cfg->attn_dropout);
      cJSON_AddNumberToObject (j, "dim", (double) cfg->C);
      cJSON_AddNumberToObject (j, "dropout", cfg->hidden_dropout);
      cJSON_AddNumberToObject (j, "hidden_dim", (double) cfg->I);
      cJSON_AddNumberToObject (j, "initializer_range", 0.02);
      cJSON_AddNumberToObject (j, "max_position_embeddings", (double) cfg->max_pos);
      cJSON_AddStringToObject (j, "model_type", "distilbert");
      cJSON_AddNumberToObject (j, "n_heads", (double) cfg->H);
      cJSON_AddNumberToObject (j, "n_layers", (double) cfg->n_layers);
      cJSON_AddNumberToObject (j, "pad_token_id", (double) cfg->pad_id);
      cJSON_AddNumberToObject (j, "qa_dropout", 0.1);
      cJSON_AddNumberToObject (j, "seq_classif_dropout", 0.2);
      cJSON_AddBoolToObject (j, "sinusoidal_pos_embds", cfg->sinusoidal);
      cJSON_AddBoolToObject (j, "tie_weights_", TRUE);
    }
  else
    {
      cJSON_AddNumberToObject (j, "attention_probs_dropout_prob", cfg->attn_dropout);
      if (cfg->arch != VS_ARCH_BERT)
        {
          cJSON_AddNumberToObject (j, "bos_token_id", 0);
          cJSON_AddNumberToObject (j, "eos_token_id", 2);
        }
      cJSON_AddStringToObject (j, "hidden_act", activation_name (cfg->act));
      cJSON_AddNumberToObject (j, "hidden_dropout_prob", cfg->hidden_dropout);
      cJSON_AddNumberToObject (j, "hidden_size", (double) cfg->C);
      cJSON_AddNumberToObject (j, "initializer_range", 0.02);
      cJSON_AddNumberToObject (j, "intermediate_size", (double) cfg->I);
      cJSON_AddNumberToObject (j, "layer_norm_eps", cfg->ln_eps);
      cJSON_AddNumberToObject (j, "max_position_embeddings", (double) cfg->max_pos);
      cJSON_AddStringToObject (j, "model_type", vs_arch_model_type (cfg->arch));
      cJSON_AddNumberToObject (j, "num_attention_heads", (double) cfg->H);
      cJSON_AddNumberToObject (j, "num_hidden_layers", (double) cfg->n_layers);
      cJSON_AddNumberToObject (j, "pad_token_id", (double) cfg->pad_id);
      if (cfg->arch == VS_ARCH_MPNET)
        cJSON_AddNumberToObject (j, "relative_attention_num_buckets", (double) cfg->num_buckets);
      else
        {
          cJSON_AddStringToObject (j, "position_embedding_type", "absolute");
          cJSON_AddNumberToObject (j, "type_vocab_size", (double) cfg->type_vocab);
        }
    }
  cJSON_AddStringToObject (j, "torch_dtype", "float32");
  cJSON_AddNumberToObject (j, "vocab_size", (double) cfg->vocab);
  return j;
}

/* ------------------------------------------------------------------------ */
/* construction */

VsEncoder *
vs_encoder_new (const VsEncoderConfig *cfg, cJSON *json, VsParamTable *t)
{
  VsEncoder *enc = g_new0 (VsEncoder, 1);
  gsize C = cfg->C, I = cfg->I;
  gboolean distil = cfg->arch == VS_ARCH_DISTILBERT;
  gboolean mpnet = cfg->arch == VS_ARCH_MPNET;

  enc->cfg = *cfg;
  enc->json = json;
  enc->extras = g_ptr_array_new ();
  /* two forwards kept for a pair loss + the backward scratch + one spare */
  enc->arena = vs_arena_new (4);
  enc->first_tensor = t->infos->len;
  enc->word = vs_param_table_add (t, "embeddings.word_embeddings.weight", 2, cfg->vocab, C, FALSE);
  enc->pos = vs_param_table_add (t, "embeddings.position_embeddings.weight", 2, cfg->max_pos, C, FALSE);
  if (cfg->sinusoidal)
    vs_param_table_freeze (t, enc->pos);
  enc->type = G_MAXSIZE;
  if (cfg->type_vocab > 0)
    enc->type = vs_param_table_add (t, "embeddings.token_type_embeddings.weight", 2, cfg->type_vocab, C, FALSE);
  enc->eln_w = vs_param_table_add (t, "embeddings.LayerNorm.weight", 1, C, 0, TRUE);
  enc->eln_b = vs_param_table_add (t, "embeddings.LayerNorm.bias", 1, C, 0, TRUE);
  enc->layers = g_new0 (VsLayerParams, cfg->n_layers);
  for (gsize l = 0; l < cfg->n_layers; l++)
    {
      VsLayerParams *p = &enc->layers[l];
      g_autofree char *pre = distil ? g_strdup_printf ("transformer.layer.%" G_GSIZE_FORMAT ".", l)
                                    : g_strdup_printf ("encoder.layer.%" G_GSIZE_FORMAT ".", l);
      const char *const *qkv;
      static const char *const bert_qkv[] = { "attention.self.query", "attention.self.key", "attention.self.value" };
      static const char *const distil_qkv[] = { "attention.q_lin", "attention.k_lin", "attention.v_lin" };
      static const char *const mpnet_qkv[] = { "attention.attn.q", "attention.attn.k", "attention.attn.v" };
      const char *ao, *ln1, *fi, *fo, *ln2;
      char name[256];

      qkv = distil ? distil_qkv : mpnet ? mpnet_qkv : bert_qkv;
      ao = distil ? "attention.out_lin" : mpnet ? "attention.attn.o" : "attention.output.dense";
      ln1 = distil ? "sa_layer_norm" : mpnet ? "attention.LayerNorm" : "attention.output.LayerNorm";
      fi = distil ? "ffn.lin1" : "intermediate.dense";
      fo = distil ? "ffn.lin2" : "output.dense";
      ln2 = distil ? "output_layer_norm" : "output.LayerNorm";

      /* q, k, v weights adjacent so that one GEMM makes all three: [3C, C] */
      for (int k = 0; k < 3; k++)
        {
          gsize off;
          g_snprintf (name, sizeof name, "%s%s.weight", pre, qkv[k]);
          off = vs_param_table_add (t, name, 2, C, C, FALSE);
          if (k == 0)
            p->qkv_w = off;
        }
      for (int k = 0; k < 3; k++)
        {
          gsize off;
          g_snprintf (name, sizeof name, "%s%s.bias", pre, qkv[k]);
          off = vs_param_table_add (t, name, 1, C, 0, TRUE);
          if (k == 0)
            p->qkv_b = off;
        }
#define ADD2(field, mod, suffix, s0, s1, nd) \
      g_snprintf (name, sizeof name, "%s%s." suffix, pre, mod); \
      p->field = vs_param_table_add (t, name, 2, s0, s1, nd)
#define ADD1(field, mod, suffix, s0) \
      g_snprintf (name, sizeof name, "%s%s." suffix, pre, mod); \
      p->field = vs_param_table_add (t, name, 1, s0, 0, TRUE)
      ADD2 (ao_w, ao, "weight", C, C, FALSE);
      ADD1 (ao_b, ao, "bias", C);
      ADD1 (ln1_w, ln1, "weight", C);
      ADD1 (ln1_b, ln1, "bias", C);
      ADD2 (i_w, fi, "weight", I, C, FALSE);
      ADD1 (i_b, fi, "bias", I);
      ADD2 (o_w, fo, "weight", C, I, FALSE);
      ADD1 (o_b, fo, "bias", C);
      ADD1 (ln2_w, ln2, "weight", C);
      ADD1 (ln2_b, ln2, "bias", C);
#undef ADD1
#undef ADD2
    }
  enc->rel = G_MAXSIZE;
  if (mpnet)
    enc->rel = vs_param_table_add (t, "encoder.relative_attention_bias.weight", 2,
                                   cfg->num_buckets, cfg->H, TRUE);
  enc->n_tensors = t->infos->len - enc->first_tensor;
  return enc;
}

static void
extra_free (gpointer p)
{
  VsExtraTensor *e = p;

  g_free (e->name);
  g_free (e->data);
  g_free (e);
}

void
vs_encoder_free (VsEncoder *enc)
{
  if (enc == NULL)
    return;
  cJSON_Delete (enc->json);
  g_free (enc->layers);
  g_ptr_array_set_free_func (enc->extras, extra_free);
  g_ptr_array_unref (enc->extras);
  vs_arena_unref (enc->arena);
  g_free (enc);
}

gsize
vs_encoder_position_offset (const VsEncoder *enc)
{
  switch (enc->cfg.arch)
    {
    case VS_ARCH_ROBERTA:
    case VS_ARCH_XLM_ROBERTA:
    case VS_ARCH_MPNET:
      return (gsize) enc->cfg.pad_id + 1;
    case VS_ARCH_BERT:
    case VS_ARCH_DISTILBERT:
    default:
      return 0;
    }
}

/* xoshiro-free normal generator: splitmix64 stream + Box-Muller */
typedef struct
{
  guint64 s;
  gboolean have;
  double spare;
} Rng;

static guint64
rng_next (Rng *r)
{
  guint64 z = (r->s += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static double
rng_uniform (Rng *r)
{
  return ((double) (rng_next (r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double
rng_normal (Rng *r)
{
  double u, v;

  if (r->have)
    {
      r->have = FALSE;
      return r->spare;
    }
  u = rng_uniform (r);
  v = rng_uniform (r);
  r->spare = sqrt (-2.0 * log (u)) * sin (2.0 * G_PI * v);
  r->have = TRUE;
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static void
fill_normal (float *p, gsize n, Rng *r, double std)
{
  for (gsize i = 0; i < n; i++)
    p[i] = (float) (rng_normal (r) * std);
}

void
vs_encoder_init_weights (VsEncoder *enc, float *params, guint64 seed)
{
  const VsEncoderConfig *cfg = &enc->cfg;
  gsize C = cfg->C, I = cfg->I;
  Rng r = { seed, FALSE, 0.0 };

  /* transformers' _init_weights: Linear/Embedding ~ N(0, 0.02), biases 0,
   * LayerNorm 1/0, the padding_idx rows of embeddings zeroed */
  fill_normal (params + enc->word, cfg->vocab * C, &r, 0.02);
  if (cfg->pad_id >= 0 && (gsize) cfg->pad_id < cfg->vocab)
    memset (params + enc->word + (gsize) cfg->pad_id * C, 0, C * sizeof (float));
  fill_normal (params + enc->pos, cfg->max_pos * C, &r, 0.02);
  if (vs_encoder_position_offset (enc) > 0)
    memset (params + enc->pos + (gsize) cfg->pad_id * C, 0, C * sizeof (float));
  if (cfg->sinusoidal)
    vs_sinusoidal_embeddings (params + enc->pos, cfg->max_pos, C);
  if (enc->type != G_MAXSIZE)
    fill_normal (params + enc->type, cfg->type_vocab * C, &r, 0.02);
  for (gsize i = 0; i < C; i++)
    {
      params[enc->eln_w + i] = 1.0f;
      params[enc->eln_b + i] = 0.0f;
    }
  for (gsize l = 0; l < cfg->n_layers; l++)
    {
      VsLayerParams *p = &enc->layers[l];
      fill_normal (params + p->qkv_w, 3 * C * C, &r, 0.02);
      memset (params + p->qkv_b, 0, 3 * C * sizeof (float));
      fill_normal (params + p->ao_w, C * C, &r, 0.02);
      memset (params + p->ao_b, 0, C * sizeof (float));
      fill_normal (params + p->i_w, I * C, &r, 0.02);
      memset (params + p->i_b, 0, I * sizeof (float));
      fill_normal (params + p->o_w, C * I, &r, 0.02);
      memset (params + p->o_b, 0, C * sizeof (float));
      for (gsize i = 0; i < C; i++)
        {
          params[p->ln1_w + i] = params[p->ln2_w + i] = 1.0f;
          params[p->ln1_b + i] = params[p->ln2_b + i] = 0.0f;
        }
    }
  if (enc->rel != G_MAXSIZE)
    fill_normal (params + enc->rel, cfg->num_buckets * cfg->H, &r, 0.02);

  /* the pooler the Hugging Face model classes carry (unused by sentence-transformers) */
  if (cfg->arch != VS_ARCH_DISTILBERT)
    {
      VsExtraTensor *w = g_new0 (VsExtraTensor, 1), *b = g_new0 (VsExtraTensor, 1);
      w->name = g_strdup ("pooler.dense.weight");
      w->ndim = 2;
      w->shape[0] = w->shape[1] = C;
      w->data = g_new (float, C * C);
      fill_normal (w->data, C * C, &r, 0.02);
      b->name = g_strdup ("pooler.dense.bias");
      b->ndim = 1;
      b->shape[0] = C;
      b->data = g_new0 (float, C);
      g_ptr_array_add (enc->extras, w);
      g_ptr_array_add (enc->extras, b);
    }
}

/* ------------------------------------------------------------------------ */
/* loading */

static char *
normalize_name (const char *name)
{
  static const char *const prefixes[] = { "bert.", "roberta.", "distilbert.", "mpnet.", "xlm-roberta.", "model." };
  const char *s = name;
  char *out;

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (s, prefixes[i]))
      {
        s += strlen (prefixes[i]);
        break;
      }
  /* old TensorFlow-converted checkpoints: LayerNorm.gamma / .beta */
  if (g_str_has_suffix (s, ".gamma"))
    return g_strdup_printf ("%.*s.weight", (int) (strlen (s) - 6), s);
  if (g_str_has_suffix (s, ".beta"))
    return g_strdup_printf ("%.*s.bias", (int) (strlen (s) - 5), s);
  out = g_strdup (s);
  return out;
}

static gboolean
is_ignorable (const char *norm)
{
  static const char *const prefixes[] = { "cls.", "lm_head.", "vocab_transform.", "vocab_layer_norm.",
                                          "vocab_projector.", "qa_outputs.", "classifier.",
                                          "pre_classifier." };

  if (g_str_has_suffix (norm, "position_ids"))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (norm, prefixes[i]))
      return TRUE;
  return FALSE;
}

static char *
shape_string (const gsize *shape, int ndim)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GSIZE_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

gboolean
vs_encoder_load_weights (VsEncoder *enc, const VsParamTable *table, float *params,
                         VsSafetensors *st, const char *what, GError **error)
{
  g_autoptr(GHashTable) by_norm = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) used = g_hash_table_new (g_direct_hash, g_direct_equal);
  gsize n = vs_safetensors_get_n (st);

  for (gsize i = 0; i < n; i++)
    {
      const VsSafeTensor *t = vs_safetensors_get (st, i);
      char *norm = normalize_name (t->name);

      if (g_hash_table_contains (by_norm, norm))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor %s is given twice (as %s)",
                       what, norm, t->name);
          g_free (norm);
          return FALSE;
        }
      g_hash_table_insert (by_norm, norm, (gpointer) t);
    }

  for (gsize k = enc->first_tensor; k < enc->first_tensor + enc->n_tensors; k++)
    {
      const VsParamInfo *info = &g_array_index (table->infos, VsParamInfo, k);
      const VsSafeTensor *t = g_hash_table_lookup (by_norm, info->name);
      gboolean same = TRUE;

      if (t == NULL && enc->cfg.sinusoidal && info->offset == enc->pos)
        {
          /* Hugging Face initialises a missing sinusoidal table with its formula */
          vs_sinusoidal_embeddings (params + info->offset, enc->cfg.max_pos, enc->cfg.C);
          continue;
        }
      if (t == NULL)
        {
          g_autofree char *b = shape_string (info->shape, info->ndim);
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: missing tensor %s (expected shape %s)",
                       what, info->name, b);
          return FALSE;
        }
      if (t->ndim != info->ndim)
        same = FALSE;
      for (int d = 0; same && d < info->ndim; d++)
        same = t->shape[d] == info->shape[d];
      if (!same)
        {
          g_autofree char *a = shape_string (t->shape, t->ndim);
          g_autofree char *b = shape_string (info->shape, info->ndim);
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: tensor %s has shape %s, the config expects %s", what, t->name, a, b);
          return FALSE;
        }
      if (!vs_safetensors_read_f32 (t, params + info->offset, error))
        return FALSE;
      g_hash_table_add (used, (gpointer) t);
    }

  for (gsize i = 0; i < n; i++)
    {
      const VsSafeTensor *t = vs_safetensors_get (st, i);
      g_autofree char *norm = NULL;

      if (g_hash_table_contains (used, t))
        continue;
      norm = normalize_name (t->name);
      if (is_ignorable (norm))
        continue;
      if (g_str_has_prefix (norm, "pooler.") && enc->cfg.arch != VS_ARCH_DISTILBERT &&
          (t->ndim == 1 || t->ndim == 2))
        {
          VsExtraTensor *e = g_new0 (VsExtraTensor, 1);
          e->name = g_strdup (norm);
          e->ndim = t->ndim;
          e->shape[0] = t->shape[0];
          e->shape[1] = t->ndim > 1 ? t->shape[1] : 0;
          e->data = g_new (float, t->numel);
          g_ptr_array_add (enc->extras, e);
          if (!vs_safetensors_read_f32 (t, e->data, error))
            return FALSE;
          continue;
        }
      {
        g_autofree char *b = shape_string (t->shape, t->ndim);
        g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: unexpected tensor %s (shape %s) for a %s model",
                     what, t->name, b, vs_arch_model_type (enc->cfg.arch));
      }
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* forward / backward */

typedef struct
{
  float *qkv, *probs, *ctx, *res1, *mean1, *rstd1, *ln1, *inter, *act, *res2, *mean2, *rstd2, *out;
} LayerActs;

struct _VsEncoderActs
{
  gsize      n, T, P, C, I;
  gboolean   keep;
  gsize     *offsets, *poffsets;
  guint32   *ids, *types, *posids;
  float     *emb_sum, *emb_mean, *emb_rstd, *x0;
  LayerActs *L;
  gsize      n_L;
  gint      *rel_bucket;
  gsize      rel_span;
  float      hidden_p, attn_p;
  guint64    seed;
  float     *block;
  VsArena   *arena;   /* block's owner (the block holds the reference) */
  const float *output;
};

#define SITE_EMB 1u
#define SITE_PROBS(l) (2u + 4u * (guint32) (l))
#define SITE_AO(l)    (3u + 4u * (guint32) (l))
#define SITE_FFN(l)   (4u + 4u * (guint32) (l))

void
vs_encoder_acts_free (VsEncoderActs *a)
{
  if (a == NULL)
    return;
  g_free (a->offsets);
  g_free (a->poffsets);
  g_free (a->ids);
  g_free (a->types);
  g_free (a->posids);
  g_free (a->L);
  g_free (a->rel_bucket);
  vs_arena_give (a->arena, a->block);
  g_free (a);
}

const float *
vs_encoder_acts_output (VsEncoderActs *a, const gsize **offsets, gsize *T)
{
  if (offsets != NULL)
    *offsets = a->offsets;
  if (T != NULL)
    *T = a->T;
  return a->output;
}

static void
set_shape (VsAttentionShape *s, VsEncoder *enc, VsEncoderActs *a, const float *params, gsize l)
{
  memset (s, 0, sizeof *s);
  s->n = a->n;
  s->H = enc->cfg.H;
  s->C = enc->cfg.C;
  s->offsets = a->offsets;
  s->poffsets = a->poffsets;
  s->scale = 1.0f / sqrtf ((float) (enc->cfg.C / enc->cfg.H));
  if (enc->rel != G_MAXSIZE)
    {
      s->rel_bias = params + enc->rel;
      s->rel_bucket = a->rel_bucket;
      s->rel_span = a->rel_span;
      s->num_buckets = enc->cfg.num_buckets;
    }
  s->dropout_p = a->attn_p;
  s->seed = a->seed;
  s->site = SITE_PROBS (l);
}

VsEncoderActs *
vs_encoder_forward (VsEncoder *enc, const float *params,
                    const guint32 *const *ids, const guint32 *const *type_ids,
                    const gsize *lengths, gsize n, gboolean keep,
                    float hidden_p, float attn_p, guint64 seed, GError **error)
{
  const VsEncoderConfig *cfg = &enc->cfg;
  VsEncoderActs *a;
  gsize C = cfg->C, I = cfg->I, H = cfg->H;
  gsize pos_off = vs_encoder_position_offset (enc);
  gsize max_len = cfg->max_pos - pos_off;
  gsize maxL = 1, per_layer, total, T = 0, P = 0;
  gboolean distil = cfg->arch == VS_ARCH_DISTILBERT;
  float *mem;
  float *ping[2] = { NULL, NULL };

  for (gsize i = 0; i < n; i++)
    {
      if (lengths[i] > max_len)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "text %" G_GSIZE_FORMAT " has %" G_GSIZE_FORMAT " tokens; the model allows at most %"
                       G_GSIZE_FORMAT, i, lengths[i], max_len);
          return NULL;
        }
      for (gsize t = 0; t < lengths[i]; t++)
        {
          if (ids[i][t] >= cfg->vocab)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "text %" G_GSIZE_FORMAT ", token %" G_GSIZE_FORMAT ": id %u is outside the vocabulary of %"
                           G_GSIZE_FORMAT, i, t, ids[i][t], cfg->vocab);
              return NULL;
            }
          /* models without token types (DistilBERT, MPNet) ignore them, as transformers does */
          if (cfg->type_vocab > 0 && type_ids != NULL && type_ids[i] != NULL &&
              type_ids[i][t] >= cfg->type_vocab)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "text %" G_GSIZE_FORMAT ", token %" G_GSIZE_FORMAT ": token type %u is outside the %"
                           G_GSIZE_FORMAT " token types", i, t, type_ids[i][t], cfg->type_vocab);
              return NULL;
            }
        }
      T += lengths[i];
      P += H * lengths[i] * lengths[i];
      maxL = MAX (maxL, lengths[i]);
    }

  a = g_new0 (VsEncoderActs, 1);
  a->n = n;
  a->T = T;
  a->P = P;
  a->C = C;
  a->I = I;
  a->keep = keep;
  a->hidden_p = hidden_p;
  a->attn_p = attn_p;
  a->seed = seed;
  a->offsets = g_new (gsize, n + 1);
  a->poffsets = g_new (gsize, n + 1);
  a->ids = g_new (guint32, MAX (T, 1));
  a->types = g_new0 (guint32, MAX (T, 1));
  a->posids = g_new (guint32, MAX (T, 1));
  a->offsets[0] = a->poffsets[0] = 0;
  for (gsize i = 0; i < n; i++)
    {
      gsize t0 = a->offsets[i], k = pos_off;
      a->offsets[i + 1] = t0 + lengths[i];
      a->poffsets[i + 1] = a->poffsets[i] + H * lengths[i] * lengths[i];
      for (gsize t = 0; t < lengths[i]; t++)
        {
          a->ids[t0 + t] = ids[i][t];
          if (type_ids != NULL && type_ids[i] != NULL && cfg->type_vocab > 0)
            a->types[t0 + t] = type_ids[i][t];
          if (pos_off == 0)
            a->posids[t0 + t] = (guint32) t;
          else if ((gint64) ids[i][t] == cfg->pad_id)
            /* create_position_ids_from_input_ids: pad tokens sit at padding_idx */
            a->posids[t0 + t] = (guint32) cfg->pad_id;
          else
            a->posids[t0 + t] = (guint32) k++;
        }
    }
  if (enc->rel != G_MAXSIZE)
    {
      a->rel_span = maxL - 1;
      a->rel_bucket = g_new (gint, 2 * maxL - 1);
      for (gsize k = 0; k < 2 * maxL - 1; k++)
        a->rel_bucket[k] = vs_relative_position_bucket ((gint) k - (gint) a->rel_span,
                                                        (gint) cfg->num_buckets, (gint) cfg->max_distance);
    }

  /* one block: embeddings + layer activations (+ two ping-pong outputs when not keeping) */
  a->n_L = keep ? cfg->n_layers : 1;
  /* the activation output f(inter) is not kept: backward recomputes it into
   * one buffer shared by all layers (a quarter of a BERT layer's memory) */
  per_layer = T * 3 * C + P + T * C * 5 + T * I + T * 4;
  total = T * C * 2 + T * 2 + a->n_L * per_layer + (keep ? T * I : 2 * T * C);
  mem = vs_arena_take (enc->arena, total);
  if (mem == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_FAILED,
                   "out of memory for the activations of %" G_GSIZE_FORMAT " tokens (%" G_GSIZE_FORMAT " MB)",
                   T, total * 4 / 1000000);
      vs_encoder_acts_free (a);
      return NULL;
    }
  a->block = mem;
  a->arena = enc->arena;
  a->emb_sum = mem; mem += T * C;
  a->x0 = mem; mem += T * C;
  a->emb_mean = mem; mem += T;
  a->emb_rstd = mem; mem += T;
  a->L = g_new0 (LayerActs, a->n_L);
  for (gsize l = 0; l < a->n_L; l++)
    {
      LayerActs *L = &a->L[l];
      L->qkv = mem; mem += T * 3 * C;
      L->probs = mem; mem += P;
      L->ctx = mem; mem += T * C;
      L->res1 = mem; mem += T * C;
      L->ln1 = mem; mem += T * C;
      L->res2 = mem; mem += T * C;
      L->out = mem; mem += T * C;
      L->inter = mem; mem += T * I;
      L->mean1 = mem; mem += T;
      L->rstd1 = mem; mem += T;
      L->mean2 = mem; mem += T;
      L->rstd2 = mem; mem += T;
    }
  if (!keep)
    {
      ping[0] = mem; mem += T * C;
      ping[1] = mem; mem += T * C;
      a->L[0].act = a->L[0].inter;   /* in place */
    }
  else
    {
      for (gsize l = 0; l < a->n_L; l++)
        a->L[l].act = mem;
      mem += T * I;
    }

  /* embeddings: (word + token type) + position, LayerNorm, dropout */
  for (gsize t = 0; t < T; t++)
    {
      float *e = a->emb_sum + t * C;
      const float *w = params + enc->word + (gsize) a->ids[t] * C;
      const float *p = params + enc->pos + (gsize) a->posids[t] * C;
      if (enc->type != G_MAXSIZE)
        {
          const float *ty = params + enc->type + (gsize) a->types[t] * C;
          for (gsize c = 0; c < C; c++)
            e[c] = (w[c] + ty[c]) + p[c];
        }
      else
        for (gsize c = 0; c < C; c++)
          e[c] = w[c] + p[c];
    }
  vs_layernorm_forward (a->x0, a->emb_mean, a->emb_rstd, a->emb_sum,
                        params + enc->eln_w, params + enc->eln_b, T, C, cfg->ln_eps);
  vs_dropout_apply (a->x0, T * C, seed, SITE_EMB, 0, hidden_p);

  for (gsize l = 0; l < cfg->n_layers; l++)
    {
      const VsLayerParams *p = &enc->layers[l];
      LayerActs *L = &a->L[keep ? l : 0];
      const float *x = l == 0 ? a->x0 : keep ? a->L[l - 1].out : ping[(l - 1) % 2];
      float *out = keep ? L->out : ping[l % 2];
      VsAttentionShape s;

      set_shape (&s, enc, a, params, l);
      vs_matmul_forward (L->qkv, x, params + p->qkv_w, params + p->qkv_b, T, C, 3 * C);
      vs_attention_forward (&s, L->ctx, L->probs, L->qkv);
      vs_matmul_forward (L->res1, L->ctx, params + p->ao_w, params + p->ao_b, T, C, C);
      if (!distil)
        vs_dropout_apply (L->res1, T * C, seed, SITE_AO (l), 0, hidden_p);
      for (gsize k = 0; k < T * C; k++)
        L->res1[k] += x[k];
      vs_layernorm_forward (L->ln1, L->mean1, L->rstd1, L->res1,
                            params + p->ln1_w, params + p->ln1_b, T, C, cfg->ln_eps);
      vs_matmul_forward (L->inter, L->ln1, params + p->i_w, params + p->i_b, T, C, I);
      vs_activation_forward (cfg->act, L->act, L->inter, T * I);
      vs_matmul_forward (L->res2, L->act, params + p->o_w, params + p->o_b, T, I, C);
      vs_dropout_apply (L->res2, T * C, seed, SITE_FFN (l), 0, hidden_p);
      for (gsize k = 0; k < T * C; k++)
        L->res2[k] += L->ln1[k];
      vs_layernorm_forward (out, L->mean2, L->rstd2, L->res2,
                            params + p->ln2_w, params + p->ln2_b, T, C, cfg->ln_eps);
    }
  if (cfg->n_layers == 0)
    a->output = a->x0;
  else
    a->output = keep ? a->L[cfg->n_layers - 1].out : ping[(cfg->n_layers - 1) % 2];
  return a;
}

void
vs_encoder_backward (VsEncoder *enc, const float *params, float *grads,
                     VsEncoderActs *a, const float *dout)
{
  const VsEncoderConfig *cfg = &enc->cfg;
  gsize T = a->T, C = cfg->C, I = cfg->I;
  gboolean distil = cfg->arch == VS_ARCH_DISTILBERT;
  float *scratch, *dX, *dres, *dln1, *tmp, *dact, *dctx, *dqkv;

  g_return_if_fail (a->keep);
  if (T == 0)
    return;
  scratch = vs_arena_take (enc->arena, T * C * 5 + T * I + T * 3 * C);
  if (scratch == NULL)
    g_error ("out of memory for the backward pass of %" G_GSIZE_FORMAT " tokens", T);
  dX = scratch;
  dres = dX + T * C;
  dln1 = dres + T * C;
  tmp = dln1 + T * C;
  dctx = tmp + T * C;
  dact = dctx + T * C;
  dqkv = dact + T * I;
  memcpy (dX, dout, T * C * sizeof (float));

  for (gsize l = cfg->n_layers; l-- > 0;)
    {
      const VsLayerParams *p = &enc->layers[l];
      LayerActs *L = &a->L[l];
      const float *x = l == 0 ? a->x0 : a->L[l - 1].out;
      VsAttentionShape s;

      set_shape (&s, enc, a, params, l);
      /* out = LN2 (res2) */
      memset (dres, 0, T * C * sizeof (float));
      vs_layernorm_backward (dres, grads + p->ln2_w, grads + p->ln2_b, dX, L->res2,
                             L->mean2, L->rstd2, params + p->ln2_w, T, C);
      /* res2 = dropout (act W2 + b2) + ln1 */
      memcpy (dln1, dres, T * C * sizeof (float));
      memcpy (tmp, dres, T * C * sizeof (float));
      vs_dropout_apply (tmp, T * C, a->seed, SITE_FFN (l), 0, a->hidden_p);
      memset (dact, 0, T * I * sizeof (float));
      vs_activation_forward (cfg->act, L->act, L->inter, T * I);
      vs_matmul_backward (dact, grads + p->o_w, grads + p->o_b, tmp, L->act, params + p->o_w, T, I, C);
      /* act = f (inter); inter = ln1 W1 + b1 */
      vs_activation_backward (cfg->act, dact, dact, L->inter, L->act, T * I);
      vs_matmul_backward (dln1, grads + p->i_w, grads + p->i_b, dact, L->ln1, params + p->i_w, T, C, I);
      /* ln1 = LN1 (res1) */
      memset (dres, 0, T * C * sizeof (float));
      vs_layernorm_backward (dres, grads + p->ln1_w, grads + p->ln1_b, dln1, L->res1,
                             L->mean1, L->rstd1, params + p->ln1_w, T, C);
      /* res1 = dropout (ctx Wo + bo) + x */
      memcpy (dX, dres, T * C * sizeof (float));
      if (!distil)
        vs_dropout_apply (dres, T * C, a->seed, SITE_AO (l), 0, a->hidden_p);
      memset (dctx, 0, T * C * sizeof (float));
      vs_matmul_backward (dctx, grads + p->ao_w, grads + p->ao_b, dres, L->ctx, params + p->ao_w, T, C, C);
      vs_attention_backward (&s, dqkv, enc->rel != G_MAXSIZE ? grads + enc->rel : NULL,
                             dctx, L->qkv, L->probs);
      vs_matmul_backward (dX, grads + p->qkv_w, grads + p->qkv_b, dqkv, x, params + p->qkv_w, T, C, 3 * C);
    }

  /* embeddings */
  vs_dropout_apply (dX, T * C, a->seed, SITE_EMB, 0, a->hidden_p);
  memset (dres, 0, T * C * sizeof (float));
  vs_layernorm_backward (dres, grads + enc->eln_w, grads + enc->eln_b, dX, a->emb_sum,
                         a->emb_mean, a->emb_rstd, params + enc->eln_w, T, C);
  for (gsize t = 0; t < T; t++)
    {
      const float *d = dres + t * C;
      float *gp = grads + enc->pos + (gsize) a->posids[t] * C;
      /* nn.Embedding(padding_idx=pad) never updates the padding row */
      gboolean pad_word = (gint64) a->ids[t] == cfg->pad_id;
      /* frozen sinusoidal positions (requires_grad False) get no gradient */
      gboolean pad_pos = cfg->sinusoidal ||
                         (vs_encoder_position_offset (enc) > 0 && (gint64) a->posids[t] == cfg->pad_id);
      float *gw = grads + enc->word + (gsize) a->ids[t] * C;

      for (gsize c = 0; c < C; c++)
        {
          if (!pad_word)
            gw[c] += d[c];
          if (!pad_pos)
            gp[c] += d[c];
        }
      if (enc->type != G_MAXSIZE)
        {
          float *gt = grads + enc->type + (gsize) a->types[t] * C;
          for (gsize c = 0; c < C; c++)
            gt[c] += d[c];
        }
    }
  vs_arena_give (enc->arena, scratch);
}
