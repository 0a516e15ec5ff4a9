/* vs-model-info.h: facts about a model for people (the workbench's Model page).
 *
 * The shape of the encoder (layers, attention heads), the number of
 * parameters, the kind of tokenizer a folder holds, and the license and
 * base model of its model card (the YAML front matter of README.md).
 *
 *   gsize layers = vs_model_get_n_layers (model);
 *   guint64 n = vs_model_count_parameters (model);
 *   g_autofree char *kind = vs_tokenizer_kind_from_path (dir, &error);   // "WordPiece"
 *   g_autoptr(VsModelCardFacts) card = vs_model_card_facts_read (dir, &error);
 */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "model/vs-model.h"

G_BEGIN_DECLS

/* Transformer layers and attention heads of the encoder (config.json
 * num_hidden_layers / n_layers, num_attention_heads / n_heads). */
gsize        vs_model_get_n_layers        (VsModel     *model);
gsize        vs_model_get_n_heads         (VsModel     *model);
/* Every parameter of the stack the engine holds (encoder and Dense modules,
 * frozen ones too); an unused pooler kept only to be saved back is not
 * counted. */
guint64      vs_model_count_parameters    (VsModel     *model);

/* The model's stack after the Transformer in the recipe's module form:
 * [{"type": "pooling", "mode": "cls+mean"}, {"type": "dense",
 * "out_features": 256, "bias": true}, ..., {"type": "normalize"}].
 * Free with cJSON_Delete. */
cJSON       *vs_model_dup_modules_json    (VsModel     *model);

/* The tokenizer model kind of a folder or tokenizer.json: "WordPiece",
 * "BPE", "Unigram" or "WordLevel" (tokenizer.json model.type; a folder with
 * only vocab.txt is WordPiece). NULL + error naming the file otherwise. */
char        *vs_tokenizer_kind_from_path  (const char  *path,
                                           GError     **error);

typedef struct
{
  char  *license;      /* "apache-2.0", or NULL */
  char **base_models;  /* base_model (a string or a list), NULL-terminated; never NULL */
} VsModelCardFacts;

/* Reads dir/README.md's front matter ("---" ... "---"; top-level keys
 * license and base_model only). A folder without README.md or without
 * front matter gives empty facts; NULL + error only when README.md cannot
 * be read. */
VsModelCardFacts *vs_model_card_facts_read (const char  *dir,
                                            GError     **error);
void         vs_model_card_facts_free     (VsModelCardFacts *facts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsModelCardFacts, vs_model_card_facts_free)

G_END_DECLS
