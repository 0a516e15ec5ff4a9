/* vs-module-spec.h: the module stack of a new model, as the recipe writes it.
 *
 * A recipe's "model": {"new": {...}, "modules": [...]} lists the modules
 * after the Transformer: {"type": "pooling", "mode": "mean"} (several modes
 * joined by "+", e.g. "cls+mean", are concatenated), {"type": "dense",
 * "out_features": 256, "activation": "tanh"} and {"type": "normalize"}.
 * Dense also takes "bias": false (default true). The order is
 * sentence-transformers': Pooling first (it makes the sentence embedding
 * every later module reads), then any number of Dense modules, each one's
 * in_features the width before it, and at most one Normalize, usually last
 * (a Dense after it is allowed, as sentence-transformers runs the modules
 * in order: it then reads unit-length embeddings). Without a Pooling module mean
 * pooling is implied, as the recipe does. vs_model_new_from_modules ()
 * builds a new model from such an array.
 *
 * vs_module_spec_dimensions () checks those rules and gives the embedding
 * width after each module, so a UI shows the dimension on every arrow
 * without doing the arithmetic itself:
 *
 *   g_autofree gsize *dims = NULL;
 *   if (!vs_module_spec_dimensions (128, modules, &dims, &n, &error))
 *     show (error->message);      // "modules[2]: a Dense module needs out_features ≥ 1"
 *   // dims[0] = 128 (Transformer), dims[i + 1] after modules[i]
 */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "model/vs-model.h"

G_BEGIN_DECLS

/* The pooling mode names in the order their outputs are concatenated
 * (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken) and
 * their VsPoolingMode bits; NULL-terminated. */
extern const char *const vs_pooling_mode_names[];
guint        vs_pooling_mode_bit_at       (guint        i);

/* "cls+mean" -> VS_POOLING_CLS | VS_POOLING_MEAN; 0 when empty, with an
 * unknown name, or a name given twice. */
guint        vs_pooling_modes_from_string (const char  *modes);
/* The canonical "+"-joined string of mode bits ("" for none). */
char        *vs_pooling_modes_to_string   (guint        modes);
/* Number of modes on in the bit set. */
guint        vs_pooling_modes_count       (guint        modes);

/* The Dense activations a new model accepts (NULL-terminated). */
extern const char *const vs_dense_activation_names[];

/* hidden: the Transformer's width. modules: the JSON array (NULL: none).
 * On success *dims_out gets n + 1 widths (the Transformer's, then one after
 * each module) and *n_out = n + 1. FALSE + error naming "modules[i]". */
gboolean     vs_module_spec_dimensions    (gsize         hidden,
                                           const cJSON  *modules,
                                           gsize       **dims_out,
                                           gsize        *n_out,
                                           GError      **error);

/* The modules with modules[index] moved one place up (delta -1) or down
 * (+1), when the new order is valid; else NULL + the reason (moving above
 * the Transformer, past the end, or the rule the new order breaks, from
 * vs_module_spec_dimensions). Free with cJSON_Delete. */
cJSON       *vs_module_spec_move          (gsize         hidden,
                                           const cJSON  *modules,
                                           int           index,
                                           int           delta,
                                           GError      **error);

/* The modules with modules[from] taken out and put at index to (the
 * others shift; to -1 is the Transformer's place, which is refused), when
 * the new order is valid; else NULL + the reason. Free with cJSON_Delete. */
cJSON       *vs_module_spec_reorder       (gsize         hidden,
                                           const cJSON  *modules,
                                           int           from,
                                           int           to,
                                           GError      **error);

/* vs_module_spec_reorder on a loaded model with layers on top: modules[0]
 * to modules[n_fixed - 1] are the model's own and neither move nor take
 * another module's place (refused with that reason). */
cJSON       *vs_module_spec_reorder_above (gsize         hidden,
                                           const cJSON  *modules,
                                           int           n_fixed,
                                           int           from,
                                           int           to,
                                           GError      **error);

/* A new model (vs_model_new_from_stack) whose stack after the Transformer
 * is the recipe's modules array (NULL: mean pooling only). NULL + the
 * reason naming "modules[i]" for an invalid stack, or the preset's errors. */
VsModel     *vs_model_new_from_modules    (const char   *architecture,
                                           const char   *preset,
                                           const char   *tokenizer_dir,
                                           const cJSON  *modules,
                                           guint64       seed,
                                           GError      **error);

G_END_DECLS
