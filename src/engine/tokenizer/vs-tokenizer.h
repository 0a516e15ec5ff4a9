/* vs-tokenizer.h: Hugging Face tokenizers, id-exact, from a model folder.
 *
 * A VsTokenizer is the pipeline of Hugging Face `tokenizers` read from a
 * tokenizer.json (or, for older folders, from vocab.txt or vocab.json +
 * merges.txt): added/special tokens matched on the raw text, normalizer,
 * pre-tokenizer, model (WordPiece, BPE, Unigram), post-processor (special
 * tokens, type ids) and truncation. The ids it produces are the ids the Rust
 * library produces for the same file; tests/tokenizer/ checks that against
 * the real library.
 *
 * Maximum length (what sentence-transformers does, not what tokenizer.json
 * says): the folder's sentence_bert_config.json "max_seq_length", else
 * tokenizer_config.json "model_max_length" (values >= 1e12 mean "none"),
 * capped by config.json "max_position_embeddings" (minus 2 for RoBERTa-style
 * models whose positions start after pad_token_id, i.e. model_type roberta,
 * xlm-roberta, camembert, mpnet, …). tokenizer.json's own "truncation" and
 * "padding" blocks are ignored: the engine packs sequences and never pads.
 * (Unlike sentence-transformers, an explicit max_seq_length is not capped:
 * the model must reject lengths beyond its positions.) A tokenizer.json
 * loaded by itself (no folder files) has no maximum. Truncation is HF's:
 * the max length counts the special tokens, which are always kept (so a
 * max length below their number leaves only them); pairs are truncated
 * "longest_first" (the longer side first, the shorter keeping at most half).
 *
 * A folder whose sentence_bert_config.json says "do_lower_case": true gets
 * its input lowercased first, as sentence-transformers' Transformer module
 * does with Python's str.lower() (before added tokens are matched); offsets
 * still index the text as given.
 *
 * Added tokens get their ids as HF assigns them when it reads the file (the
 * id of the same string in the model's vocabulary, else the next free id),
 * not the "id" written next to them; for files written by HF the two agree.
 * Not supported (a GError at load time): the CTC decoder, BPE dropout
 * (ignored: dropout is a training-time augmentation of the tokenizer).
 *
 * Offsets are byte offsets into the UTF-8 text given to encode (for a pair,
 * the second sequence's offsets are into the pair text); special tokens
 * added by the post-processor have (0, 0). Invalid UTF-8 is repaired first
 * (each maximal invalid subsequence becomes one U+FFFD, as Rust's
 * from_utf8_lossy does); offsets then refer to the repaired text, which for
 * valid input is the input itself.
 *
 * Threads: a VsTokenizer is immutable after loading except for an internal
 * BPE cache guarded by a lock, so vs_tokenizer_encode() and
 * vs_tokenizer_decode() may run on several threads at once on one
 * tokenizer. vs_tokenizer_set_max_length() must not race with encode.
 *
 * Usage:
 *
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path ("all-MiniLM-L6-v2", &error);
 *   if (tok == NULL)
 *     return g_printerr ("%s\n", error->message), 1;
 *   g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, "Hello, world!", NULL, TRUE, 0);
 *   for (gsize i = 0; i < enc->n_tokens; i++)
 *     g_print ("%u %s [%zu, %zu)\n", enc->ids[i], enc->tokens[i],
 *              enc->offsets[2 * i], enc->offsets[2 * i + 1]);
 *   g_autofree char *text = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, TRUE);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VsTokenizer VsTokenizer;

/* The result of one encode. Every array has n_tokens entries (offsets has
 * 2 * n_tokens: start, end byte of token i). The struct and all its arrays
 * are owned by the caller and freed together by vs_encoding_free(). */
typedef struct
{
  gsize     n_tokens;
  guint32  *ids;
  guint32  *type_ids;
  guint8   *special_tokens_mask;   /* 1 for tokens the post-processor added */
  gsize    *offsets;               /* [2 * n_tokens] byte offsets */
  guint8   *sequence_ids;          /* 0 = text, 1 = pair, 255 = post-processor's special token */
  char    **tokens;                /* NULL-terminated, n_tokens strings */
} VsEncoding;

/* Loads from a model folder (tokenizer.json, else vocab.txt, else vocab.json
 * + merges.txt, with tokenizer_config.json / special_tokens_map.json /
 * sentence_bert_config.json / config.json where present) or from a
 * tokenizer.json file. NULL + error naming the file and field on failure. */
VsTokenizer *vs_tokenizer_new_from_path        (const char        *path,
                                                GError           **error);
/* Same, from a tokenizer.json already in memory; no folder files, no max length. */
VsTokenizer *vs_tokenizer_new_from_json_data   (const char        *json,
                                                gsize              length,
                                                const char        *name_for_errors,
                                                GError           **error);
void         vs_tokenizer_free                 (VsTokenizer       *tok);

/* Encodes text (and pair when not NULL). add_special_tokens runs the
 * post-processor's template. max_length: 0 = the tokenizer's own
 * (vs_tokenizer_get_max_length), G_MAXSIZE = no truncation at all.
 * Never fails: invalid UTF-8 is repaired with U+FFFD. */
VsEncoding  *vs_tokenizer_encode               (VsTokenizer       *tok,
                                                const char        *text,
                                                const char        *pair,
                                                gboolean           add_special_tokens,
                                                gsize              max_length);
/* Same with explicit byte lengths (-1 = NUL-terminated), for texts that
 * contain NUL bytes. */
VsEncoding  *vs_tokenizer_encode_len           (VsTokenizer       *tok,
                                                const char        *text,
                                                gssize             text_len,
                                                const char        *pair,
                                                gssize             pair_len,
                                                gboolean           add_special_tokens,
                                                gsize              max_length);
void         vs_encoding_free                  (VsEncoding        *enc);

/* The maximum number of tokens per encoding, special tokens included; 0 = none. */
gsize        vs_tokenizer_get_max_length       (const VsTokenizer *tok);
void         vs_tokenizer_set_max_length       (VsTokenizer       *tok,
                                                gsize              max_length);

/* Vocabulary size including added tokens (= highest id + 1). */
gsize        vs_tokenizer_get_vocab_size       (const VsTokenizer *tok);
/* Id of a token string (vocabulary or added token); -1 if absent. */
gint64       vs_tokenizer_token_to_id          (const VsTokenizer *tok,
                                                const char        *token);
/* Token string of an id (owned by tok); NULL if out of range. */
const char  *vs_tokenizer_id_to_token          (const VsTokenizer *tok,
                                                guint32            id);
/* Text of ids through the tokenizer.json decoder (WordPiece, ByteLevel,
 * Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence); skip_special drops
 * special added tokens. Unknown ids are skipped; NUL characters are dropped.
 * Newly allocated. */
char        *vs_tokenizer_decode               (VsTokenizer       *tok,
                                                const guint32     *ids,
                                                gsize              n_ids,
                                                gboolean           skip_special);
/* Id of the pad token (tokenizer_config/special_tokens_map "pad_token", else
 * a "[PAD]"/"<pad>" added token); -1 if none. */
gint64       vs_tokenizer_get_pad_id           (const VsTokenizer *tok);
/* How many special tokens the post-processor adds to one text (pair FALSE)
 * or to a pair (TRUE): 2 and 3 for BERT, 2 and 4 for RoBERTa. */
gsize        vs_tokenizer_num_special_tokens   (const VsTokenizer *tok,
                                                gboolean           pair);

/* Writes the tokenizer files it was loaded from (tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json, vocab.txt, vocab.json,
 * merges.txt, whichever were present), byte for byte, into dir (which must
 * exist), so a saved model carries its tokenizer unchanged. */
gboolean     vs_tokenizer_save_files           (VsTokenizer       *tok,
                                                const char        *dir,
                                                GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsTokenizer, vs_tokenizer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsEncoding, vs_encoding_free)

G_END_DECLS
