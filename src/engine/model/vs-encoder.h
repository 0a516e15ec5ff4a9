/* vs-encoder.h: the transformer encoders (internal to the model area).
 *
 * One VsEncoder per Transformer module: its config.json, the places of its
 * tensors in the model's params arena, weight loading (Hugging Face names,
 * prefixes, gamma/beta), Hugging Face initialisation, and forward/backward
 * over packed batches. vs-model.c builds the sentence-transformers stack on
 * top of it.
 */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "model/vs-model.h"
#include "model/vs-safetensors.h"
#include "tensor/vs-arena.h"
#include "tensor/vs-kernels.h"

G_BEGIN_DECLS

typedef enum
{
  VS_ARCH_BERT,
  VS_ARCH_ROBERTA,
  VS_ARCH_XLM_ROBERTA,
  VS_ARCH_DISTILBERT,
  VS_ARCH_MPNET,
} VsArch;

typedef struct
{
  VsArch       arch;
  gsize        vocab, C, n_layers, H, I, max_pos, type_vocab;
  gint64       pad_id;
  float        ln_eps;
  VsActivation act;
  float        hidden_dropout, attn_dropout;
  gsize        num_buckets, max_distance;   /* MPNet */
  gboolean     sinusoidal;  /* DistilBERT sinusoidal_pos_embds: fixed positions, frozen */
} VsEncoderConfig;

/* The parameter table shared by all modules of a model. */
typedef struct
{
  GArray    *infos;  /* VsParamInfo; names owned by names */
  GPtrArray *names;
  gsize      total;
} VsParamTable;

void  vs_param_table_init  (VsParamTable *t);
void  vs_param_table_clear (VsParamTable *t);
/* Marks the tensor at offset frozen (no gradient, no weight decay). */
void  vs_param_table_freeze (VsParamTable *t, gsize offset);
gsize vs_param_table_add   (VsParamTable *t, const char *name, int ndim,
                            gsize s0, gsize s1, gboolean no_decay);

typedef struct
{
  gsize qkv_w, qkv_b, ao_w, ao_b, ln1_w, ln1_b, i_w, i_b, o_w, o_b, ln2_w, ln2_b;
} VsLayerParams;

/* A tensor kept only to be written back (the unused pooler). */
typedef struct
{
  char  *name;
  int    ndim;
  gsize  shape[4];
  float *data;
} VsExtraTensor;

typedef struct
{
  VsEncoderConfig cfg;
  cJSON          *json;        /* config.json as read or made */
  gsize           word, pos, type, eln_w, eln_b, rel;   /* G_MAXSIZE: absent */
  VsLayerParams  *layers;
  gsize           first_tensor, n_tensors;
  GPtrArray      *extras;      /* VsExtraTensor* */
  VsArena        *arena;       /* activation blocks and backward scratch, reused across steps */
} VsEncoder;

/* The activations of one encoder forward. */
typedef struct _VsEncoderActs VsEncoderActs;

const char *vs_arch_model_type (VsArch arch);
gboolean    vs_arch_from_string (const char *name, VsArch *arch);

/* Reads config.json's fields; error names path and field. */
gboolean    vs_encoder_config_parse (VsEncoderConfig *cfg, cJSON *json, const char *path,
                                     GError **error);
/* A config.json for a new model. */
cJSON      *vs_encoder_config_to_json (const VsEncoderConfig *cfg);

VsEncoder  *vs_encoder_new  (const VsEncoderConfig *cfg, cJSON *json, VsParamTable *table);
void        vs_encoder_free (VsEncoder *enc);
void        vs_encoder_init_weights (VsEncoder *enc, float *params, guint64 seed);
/* Hugging Face's create_sinusoidal_embeddings: out[pos, j] = sin (or cos for
 * odd j) of pos / 10000^(2 (j / 2) / dim), in double, rounded to float. */
void        vs_sinusoidal_embeddings (float *out, gsize n_pos, gsize dim);
/* Fills the encoder's tensors from st. what names the file(s) for messages. */
gboolean    vs_encoder_load_weights (VsEncoder *enc, const VsParamTable *table, float *params,
                                     VsSafetensors *st, const char *what, GError **error);
/* Position id offset: 0, or pad_id + 1 for RoBERTa-style positions. */
gsize       vs_encoder_position_offset (const VsEncoder *enc);

/* Forward over n texts; keep = TRUE keeps every layer's activations for
 * backward. The output is [T, C] at vs_encoder_acts_output. */
VsEncoderActs *vs_encoder_forward (VsEncoder *enc, const float *params,
                                   const guint32 *const *ids, const guint32 *const *type_ids,
                                   const gsize *lengths, gsize n, gboolean keep,
                                   float hidden_p, float attn_p, guint64 seed, GError **error);
const float *vs_encoder_acts_output  (VsEncoderActs *a, const gsize **offsets, gsize *T);
void         vs_encoder_backward     (VsEncoder *enc, const float *params, float *grads,
                                      VsEncoderActs *a, const float *dout);
void         vs_encoder_acts_free    (VsEncoderActs *a);

G_END_DECLS
