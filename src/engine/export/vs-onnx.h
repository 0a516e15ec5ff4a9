/* vs-onnx.h: exporting a loaded model as an ONNX graph.
 *
 * The whole sentence-transformers stack becomes one ONNX ModelProto written
 * with our own protobuf writer (vs-protobuf.h): the Transformer (BERT,
 * RoBERTa/XLM-R with position ids from padding_idx, DistilBERT, MPNet with
 * its relative attention bias), Pooling (every mode, concatenated in the
 * engine's order), Dense layers with their activations, and Normalize.
 *
 * Inputs: input_ids and attention_mask, int64 [batch, sequence] (both axes
 * dynamic; right padding), plus token_type_ids when the model has more than
 * one token type. Outputs: sentence_embedding [batch, dim] and
 * token_embeddings [batch, sequence, hidden]. Standard ai.onnx ops only;
 * opset 14 (LayerNorm decomposed) to 17 (LayerNormalization). Weights are
 * float32 raw_data, little-endian. Models over 2 GB are refused (protobuf's
 * limit). The file is written atomically (temp file + rename).
 *
 *   VsOnnxOptions o = { .opset = 14, .max_length = 0 };
 *   if (!vs_onnx_export (model, "model/dir", "out.onnx", &o, &error)) ...
 */
#pragma once

#include <glib.h>

#include "model/vs-model.h"

G_BEGIN_DECLS

typedef struct
{
  int   opset;       /* 14..17; 0: 14 */
  gsize max_length;  /* longest sequence the graph accepts (positions kept);
                      * 0: the model's max_seq_length */
} VsOnnxOptions;

/* model must have been loaded from dir (its config.json is read again for
 * the Transformer's settings). Errors name dir, out_path or the field. */
gboolean vs_onnx_export (VsModel             *model,
                         const char          *dir,
                         const char          *out_path,
                         const VsOnnxOptions *options,
                         GError             **error);

G_END_DECLS
