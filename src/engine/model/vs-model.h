/* vs-model.h: a sentence-transformers model — load, encode, train-through, save.
 *
 * A VsModel is the module stack of a sentence-transformers folder:
 *
 *   Transformer (BERT, RoBERTa, XLM-RoBERTa, DistilBERT or MPNet encoder)
 *     -> Pooling (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken; several may be combined)
 *     -> [Dense (linear + activation)] ...
 *     -> [Normalize]            (at most one; usually last, but a Dense may follow it)
 *
 * with its tokenizer. It is read from a sentence-transformers folder
 * (modules.json ...) or a plain Hugging Face folder (config.json +
 * model.safetensors, loaded with mean pooling as sentence-transformers does),
 * created from a preset, and saved as a complete sentence-transformers folder
 * that Python's SentenceTransformer(path) loads unchanged. A folder without
 * tokenizer files loads too; then only the token-id functions work
 * (vs_model_forward_tokens, vs_model_encode_tokens) and the text ones fail.
 *
 * Batches are packed: the tokens of all texts sit in one [T_total, C] matrix
 * with offsets per text, never padded; every linear layer is one GEMM over all
 * tokens and attention runs per text. Results do not depend on how texts are
 * batched, up to float rounding (see Threads).
 *
 * Parameters live in one flat float array (the params arena) and their
 * gradients in another of the same size (the grads arena). The parameter
 * table describes each tensor (Hugging Face name, offset, shape, whether
 * weight decay applies). The optimizer updates the arena in place.
 *
 * Training: vs_model_forward() runs the stack with dropout (when training is
 * TRUE) and returns the activations needed by vs_model_backward(), which adds
 * d loss / d parameters into the grads arena (call vs_model_zero_grad() once
 * per step). Dropout masks are a pure function of the RNG state at the start
 * of a forward pass and of the element's position in the packed batch, so
 * restoring the state with vs_model_set_rng_state() and re-running the same
 * texts gives the same masks (GradCache) and a checkpoint resumes exactly.
 * Each training forward advances the state by one step.
 *
 * Prompts: vs_model_encode_with_prompt() / vs_model_forward_with_prompt()
 * prepend a prompt (sentence-transformers' encode(prompt=...)); when the
 * Pooling module has include_prompt false (INSTRUCTOR-style models) the
 * prompt's tokens run through the encoder but are left out of pooling, in
 * the forward and the backward, exactly as sentence-transformers does with
 * prompt_length. Frozen tensors (VsParamInfo.frozen: DistilBERT's
 * sinusoidal position table) never receive a gradient.
 *
 * Threads: the engine's thread count (vs-engine.h) is used for OpenBLAS and
 * the model's own loops. Results are deterministic for a given thread count;
 * OpenBLAS may round the last bit differently with another thread count or
 * another batch composition. A VsModel is not thread-safe: one
 * forward/backward at a time. vs_model_encode() needs no VsForward and keeps
 * no activations.
 *
 * Usage:
 *
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(VsModel) model = vs_model_load ("all-MiniLM-L6-v2", &error);
 *   if (model == NULL)
 *     return g_printerr ("%s\n", error->message), 1;
 *   const char *texts[] = { "A cat.", "A dog sleeps." };
 *   gsize D = vs_model_get_dimension (model);
 *   g_autofree float *emb = g_new (float, 2 * D);
 *   if (!vs_model_encode (model, texts, 2, 32, FALSE, emb, &error))
 *     ...
 *
 *   // one training step
 *   vs_model_zero_grad (model);
 *   VsForward *fw = vs_model_forward (model, texts, 2, TRUE, emb, &error);
 *   ... loss computes d_emb [2, D] ...
 *   vs_model_backward (model, fw, d_emb);
 *   vs_forward_free (fw);
 *   ... optimizer updates vs_model_get_params() from vs_model_get_grads() ...
 */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

#include "tokenizer/vs-tokenizer.h"

G_BEGIN_DECLS

typedef struct _VsModel VsModel;

/* The activations of one forward pass, kept for backward. Owned by the
 * caller; valid while the model lives and until freed. */
typedef struct _VsForward VsForward;

/* One parameter tensor in the params/grads arenas. Strings owned by the model. */
typedef struct
{
  const char *name;      /* Hugging Face name as saved, e.g. "encoder.layer.0.attention.self.query.weight",
                          * or "2_Dense/linear.weight" for a module's tensor */
  gsize       offset;    /* in floats, into the arenas */
  gsize       numel;
  gsize       shape[4];
  int         ndim;
  gboolean    no_decay;  /* biases and LayerNorm weights: no weight decay */
  gboolean    frozen;    /* not trained (requires_grad False, e.g. DistilBERT's sinusoidal
                          * positions): its gradient stays 0 and no_decay is TRUE, so
                          * AdamW leaves it bit-identical */
} VsParamInfo;

/* The pooling modes of sentence-transformers, as bit flags (several may be
 * on; the output concatenates them in this order). */
typedef enum
{
  VS_POOLING_CLS          = 1 << 0,
  VS_POOLING_MAX          = 1 << 1,
  VS_POOLING_MEAN         = 1 << 2,
  VS_POOLING_MEAN_SQRT    = 1 << 3,
  VS_POOLING_WEIGHTEDMEAN = 1 << 4,
  VS_POOLING_LASTTOKEN    = 1 << 5,
} VsPoolingMode;

/* Loads a sentence-transformers folder (modules.json) or a plain Hugging
 * Face folder (config.json + model.safetensors [+ index] + tokenizer files;
 * mean pooling). NULL + error naming the file, field or tensor on failure. */
VsModel     *vs_model_load                (const char         *dir,
                                           GError            **error);

/* A new randomly initialised model (Hugging Face init: normal(0, 0.02)
 * weights, LayerNorm 1/0, biases 0; Dense as torch nn.Linear) of an
 * architecture ("bert", "roberta", "xlm-roberta", "distilbert", "mpnet") and a
 * preset ("tiny" 2x128/2 heads, "small" 4x256, "mini" 6x384, "base" 12x768),
 * with the vocabulary of the tokenizer in tokenizer_dir. pooling_mode: NULL =
 * "mean"; dense_out: 0 = no Dense module, else a Dense to that size with
 * dense_activation (NULL = "tanh"; also "identity", "relu", "gelu", "sigmoid");
 * normalize adds a Normalize module. NULL + error on a bad name or tokenizer. */
VsModel     *vs_model_new_from_preset     (const char         *architecture,
                                           const char         *preset,
                                           const char         *tokenizer_dir,
                                           const char         *pooling_mode,
                                           gsize               dense_out,
                                           const char         *dense_activation,
                                           gboolean            normalize,
                                           guint64             seed,
                                           GError            **error);

/* One Dense module of a new model: out_features (≥ 1), activation (NULL =
 * "tanh"; also "identity", "relu", "gelu", "sigmoid") and whether its
 * linear layer has a bias (sentence-transformers' Dense(bias=...)). */
typedef struct
{
  gsize       out_features;
  const char *activation;
  gboolean    bias;
  gboolean    normalize_before;  /* a Normalize module runs right before this
                                  * Dense (sentence-transformers allows it) */
} VsDenseSpec;

/* vs_model_new_from_preset with any number of Dense modules after Pooling
 * (n_denses of them, each one's in_features the width before it), then
 * Normalize when normalize is TRUE. One Normalize at most: at the end, or
 * before the Dense whose normalize_before is TRUE. The recipe form of a stack is built
 * with vs_model_new_from_modules () (model/vs-module-spec.h). */
VsModel     *vs_model_new_from_stack      (const char         *architecture,
                                           const char         *preset,
                                           const char         *tokenizer_dir,
                                           const char         *pooling_mode,
                                           const VsDenseSpec  *denses,
                                           gsize               n_denses,
                                           gboolean            normalize,
                                           guint64             seed,
                                           GError            **error);

/* Adds modules on top of a model's stack (a loaded one, typically): the
 * recipe's module objects, Dense ({"type": "dense", "out_features",
 * "activation", "bias"}; in_features the current width; torch nn.Linear
 * init from seed) and Normalize only (the model keeps its Pooling), under
 * the rules of model/vs-module-spec.h applied to the whole stack. FALSE +
 * the reason naming "modules[i]" (i among the added ones); the model is
 * then unchanged. */
gboolean     vs_model_append_modules      (VsModel            *model,
                                           const cJSON        *modules,
                                           guint64             seed,
                                           GError            **error);

/* Writes a complete sentence-transformers folder at dir: written into a
 * temporary folder beside dir, then renamed over it (an existing dir is
 * replaced). FALSE + error on failure; dir is then untouched. */
gboolean     vs_model_save                (VsModel            *model,
                                           const char         *dir,
                                           GError            **error);

void         vs_model_free                (VsModel            *model);

/* Size of the final sentence embedding (after Pooling and Dense). */
gsize        vs_model_get_dimension       (VsModel            *model);
/* Width of the token embeddings (the encoder's hidden size). */
gsize        vs_model_get_hidden_size     (VsModel            *model);
/* The model's tokenizer (owned by the model); NULL when the folder had none. */
VsTokenizer *vs_model_get_tokenizer       (VsModel            *model);
/* The architecture's model_type ("bert", "mpnet", ...). */
const char  *vs_model_get_model_type      (VsModel            *model);

/* Token limit per text, special tokens included (sentence_bert_config.json
 * max_seq_length); set is clamped to what the position table allows. */
gsize        vs_model_get_max_seq_length  (VsModel            *model);
void         vs_model_set_max_seq_length  (VsModel            *model,
                                           gsize               max_seq_length);
/* "cosine" (default), "dot", "euclidean" or "manhattan". */
const char  *vs_model_get_similarity_fn_name (VsModel         *model);
void         vs_model_set_similarity_fn_name (VsModel         *model,
                                              const char      *name);
/* Prompt text of config_sentence_transformers.json "prompts"; NULL if absent. */
const char  *vs_model_get_prompt          (VsModel            *model,
                                           const char         *name);
/* default_prompt_name, or NULL. */
const char  *vs_model_get_default_prompt_name (VsModel        *model);
/* The prompt sentence-transformers picks for a role: "query" (encode_query:
 * the "query" prompt), "document" (encode_document: the "document",
 * "passage" or "corpus" prompt) or NULL (encode); each falls back to the
 * default prompt. NULL when there is none. */
const char  *vs_model_get_prompt_for_role (VsModel            *model,
                                           const char         *role);
/* The Pooling module's modes (VsPoolingMode bits). */
guint        vs_model_get_pooling_modes   (VsModel            *model);
/* Pooling's include_prompt (1_Pooling/config.json; default TRUE). When
 * FALSE, the *_with_prompt / *_prompted functions leave the prompt's tokens
 * out of pooling (they still run through the encoder), as
 * sentence-transformers does with prompt_length. Saved with the model. */
gboolean     vs_model_get_include_prompt  (VsModel            *model);
void         vs_model_set_include_prompt  (VsModel            *model,
                                           gboolean            include_prompt);
/* sentence-transformers' prompt_length: the tokens of the prompt alone
 * (stripped, lower-cased if do_lower_case, with special tokens, truncated
 * to max_seq_length) less the trailing one; encode() always drops the last
 * token, the training collator (training TRUE) only a special one. 0 when
 * prompt is NULL or there is no tokenizer. */
gsize        vs_model_get_prompt_length   (VsModel            *model,
                                           const char         *prompt,
                                           gboolean            training);
/* Whether the stack ends with a Normalize module (a Normalize followed by a
 * Dense does not count: the embeddings are then not unit length). */
gboolean     vs_model_has_normalize       (VsModel            *model);

/* Inference: embeds n texts into out [n, D] in input order, batch_size texts
 * per pass (0 = 32), dropout off, no activations kept. normalize L2-normalises
 * each row afterwards (eps 1e-12). FALSE + error on failure. */
gboolean     vs_model_encode              (VsModel            *model,
                                           const char *const  *texts,
                                           gsize               n,
                                           gsize               batch_size,
                                           gboolean            normalize,
                                           float              *out,
                                           GError            **error);

/* sentence-transformers' encode(prompt=...): like vs_model_encode on
 * prompt + text (no separator), and with include_prompt FALSE the first
 * vs_model_get_prompt_length (prompt, FALSE) tokens of every text are left
 * out of pooling. prompt NULL: plain vs_model_encode. */
gboolean     vs_model_encode_with_prompt  (VsModel            *model,
                                           const char         *prompt,
                                           const char *const  *texts,
                                           gsize               n,
                                           gsize               batch_size,
                                           gboolean            normalize,
                                           float              *out,
                                           GError            **error);

/* Inference from token ids already made (see vs_model_forward_tokens), as
 * one packed batch, dropout off, no activations kept. */
gboolean     vs_model_encode_tokens       (VsModel            *model,
                                           const guint32 *const *ids,
                                           const guint32 *const *type_ids,
                                           const gsize        *lengths,
                                           gsize               n,
                                           gboolean            normalize,
                                           float              *out,
                                           GError            **error);

/* Training forward over n texts as one packed batch: writes the sentence
 * embeddings into out [n, D] (may be NULL) and returns the activations for
 * vs_model_backward(). training turns dropout on (at the model's rates; see
 * vs_model_set_dropout) and advances the RNG state. NULL + error on failure. */
VsForward   *vs_model_forward             (VsModel            *model,
                                           const char *const  *texts,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* Same, from token ids already made: ids[i] / type_ids[i] (type_ids may be
 * NULL, or any entry NULL, for all zeros) of lengths[i] tokens each. Ids must
 * be below the vocabulary size and lengths within 1..max positions. */
VsForward   *vs_model_forward_tokens      (VsModel            *model,
                                           const guint32 *const *ids,
                                           const guint32 *const *type_ids,
                                           const gsize        *lengths,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* Same as vs_model_forward_tokens, with prompt_lengths[i] (NULL: none)
 * leading tokens of text i left out of pooling when include_prompt is
 * FALSE (ignored when TRUE); vs_model_backward() honours it. */
VsForward   *vs_model_forward_tokens_prompted (VsModel        *model,
                                           const guint32 *const *ids,
                                           const guint32 *const *type_ids,
                                           const gsize        *lengths,
                                           const gsize        *prompt_lengths,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* vs_model_forward on prompt + text, the prompt's tokens (training rule of
 * vs_model_get_prompt_length) left out of pooling when include_prompt is
 * FALSE, in the forward and in vs_model_backward(). prompt NULL: plain
 * vs_model_forward. */
VsForward   *vs_model_forward_with_prompt (VsModel            *model,
                                           const char         *prompt,
                                           const char *const  *texts,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* vs_model_forward_no_grad with a prompt, as vs_model_forward_with_prompt. */
gboolean     vs_model_forward_no_grad_with_prompt (VsModel    *model,
                                           const char         *prompt,
                                           const char *const  *texts,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* A forward pass that keeps no activations (for GradCache's first pass):
 * like vs_model_forward() — dropout on when training, which advances the RNG
 * state exactly as vs_model_forward() does — but nothing to backward
 * through. Restoring the state and calling vs_model_forward() on the same
 * texts reproduces out bit for bit. FALSE + error on failure. */
gboolean     vs_model_forward_no_grad     (VsModel            *model,
                                           const char *const  *texts,
                                           gsize               n,
                                           gboolean            training,
                                           float              *out,
                                           GError            **error);
/* Number of texts in a forward pass. */
gsize        vs_forward_get_n             (VsForward          *fw);
/* The token embeddings (last hidden state) of a forward pass, [T_total, C]
 * packed, and the offsets [n + 1] of each text's first token; owned by fw. */
const float *vs_forward_get_token_embeddings (VsForward        *fw,
                                              const gsize    **offsets);
/* Adds d loss / d parameters into the grads arena given d loss / d out [n, D]
 * of that forward. May be called once per VsForward. */
void         vs_model_backward            (VsModel            *model,
                                           VsForward          *fw,
                                           const float        *d_out);
void         vs_forward_free              (VsForward          *fw);

/* The params and grads arenas (owned by the model; same layout). */
float       *vs_model_get_params          (VsModel            *model,
                                           gsize              *n_floats);
float       *vs_model_get_grads           (VsModel            *model,
                                           gsize              *n_floats);
void         vs_model_zero_grad           (VsModel            *model);

/* The encoder keeps its activation blocks and backward scratch between
 * forwards (no allocation or page fault per step in steady state);
 * vs_model_trim_memory frees the idle ones (a model kept loaded after a
 * run), and vs_model_get_arena_allocs counts the blocks ever allocated. */
void         vs_model_trim_memory         (VsModel            *model);
guint64      vs_model_get_arena_allocs    (VsModel            *model);
/* The parameter table: n tensors, each with its place in the arenas. */
gsize        vs_model_get_n_tensors       (VsModel            *model);
const VsParamInfo *vs_model_get_tensor_info (VsModel          *model,
                                             gsize             i);

/* Dropout probability for hidden states and attention probabilities in
 * training forwards: p < 0 restores config.json's values, 0 switches it off. */
void         vs_model_set_dropout         (VsModel            *model,
                                           float               p);
/* The RNG state dropout masks derive from (see above). */
guint64      vs_model_get_rng_state       (VsModel            *model);
void         vs_model_set_rng_state       (VsModel            *model,
                                           guint64             state);

/* Parses a pooling mode name ("mean", "cls", ...); 0 if unknown. */
VsPoolingMode vs_pooling_mode_from_string (const char         *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsModel, vs_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsForward, vs_forward_free)

G_END_DECLS
