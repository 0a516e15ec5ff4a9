/* vs-tokenizer-private.h: the pieces of the tokenizer pipeline, shared by the
 * files of src/engine/tokenizer/ only (never installed, never included by
 * other areas).
 *
 * The central type is VsNStr, Hugging Face's NormalizedString: a text plus,
 * for every byte of it, the byte range of the original input it came from.
 * Normalizers rewrite it through a VsNBuild (the `transform` of HF: every
 * emitted character either replaces the next input character (change 0),
 * replaces it and swallows N more (change -N), or is inserted (change +1,
 * aligned to the byte before)), so offsets survive every rewrite exactly as
 * in HF. Pre-tokenizers cut it into slices, which keep absolute alignments.
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "tokenizer/vs-tokenizer.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

/* ---------------------------------------------------------------- text */

typedef struct
{
  guint32 start;
  guint32 end;
} VsAlign;

typedef struct
{
  GString *s;       /* normalized UTF-8 text */
  GArray  *align;   /* VsAlign per byte of s: original byte range */
} VsNStr;

VsNStr  *vs_nstr_new_original   (const char *text, gsize len);
VsNStr  *vs_nstr_slice          (const VsNStr *ns, gsize start, gsize end);
void     vs_nstr_free           (VsNStr *ns);
/* Original byte range of normalized bytes [start, end); FALSE if empty. */
gboolean vs_nstr_original_range (const VsNStr *ns, gsize start, gsize end,
                                 gsize *o_start, gsize *o_end);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsNStr, vs_nstr_free)

typedef struct
{
  const VsNStr *src;
  gsize         pos;   /* next unconsumed byte of src */
  VsNStr       *dst;
} VsNBuild;

void     vs_nbuild_init         (VsNBuild *b, const VsNStr *src);
/* Consumes n characters of src without emitting (HF's initial_offset). */
void     vs_nbuild_skip         (VsNBuild *b, gsize n_chars);
void     vs_nbuild_emit         (VsNBuild *b, gunichar c, int change);
/* Copies the next character of src unchanged (change 0). */
void     vs_nbuild_copy_char    (VsNBuild *b);
/* Replaces *ns by the built string. */
void     vs_nbuild_finish       (VsNBuild *b, VsNStr *ns);

/* Byte-exact repair of invalid UTF-8: one U+FFFD per maximal invalid
 * subpart (what Rust's String::from_utf8_lossy and WHATWG decoders do). */
char    *vs_utf8_repair         (const char *text, gsize len, gsize *out_len);

/* UTF-8 validity as Rust sees it: NUL is a valid character. */
gboolean vs_utf8_is_valid       (const char *text, gsize len);
/* Characters in valid UTF-8 of len bytes, NULs included. */
glong    vs_utf8_count          (const char *s, gsize len);

/* Unicode predicates with Rust's meanings, from GLib's tables. */
gboolean vs_uni_is_whitespace   (gunichar c);   /* char::is_whitespace */
gboolean vs_uni_is_punctuation  (gunichar c);   /* ASCII punct || P* */
gboolean vs_uni_is_numeric      (gunichar c);   /* N* */

/* A match list: byte ranges covering the whole string in order, each a
 * match of the pattern or not (HF's Pattern::find_matches). */
typedef struct
{
  gsize    start;
  gsize    end;
  gboolean is_match;
} VsMatch;

typedef enum
{
  VS_SPLIT_REMOVED,
  VS_SPLIT_ISOLATED,
  VS_SPLIT_MERGED_WITH_PREVIOUS,
  VS_SPLIT_MERGED_WITH_NEXT,
  VS_SPLIT_CONTIGUOUS,
} VsSplitBehavior;

typedef gboolean (*VsCharPred) (gunichar c);

GArray  *vs_matches_char        (const char *s, gsize len, VsCharPred pred);
GArray  *vs_matches_regex       (const char *s, gsize len, const GRegex *re);
void     vs_matches_invert      (GArray *matches);
/* HF's NormalizedString::prepend: the inserted text aligns to the first char. */
void     vs_nstr_prepend        (VsNStr *ns, const char *what);
/* A "pattern" object, {"String": s} or {"Regex": r}, as a GRegex. */
GRegex  *vs_pattern_from_json   (const cJSON *j, const char *where, GError **error);
/* Splits ns by matches under behavior; appends non-empty slices to out. */
void     vs_nstr_split          (const VsNStr *ns, GArray *matches,
                                 VsSplitBehavior behavior, GPtrArray *out);

/* ------------------------------------------------------- normalizers */

typedef struct _VsNormalizer VsNormalizer;
VsNormalizer *vs_normalizer_new_from_json (const cJSON *j, const char *where, GError **error);
void          vs_normalizer_free          (VsNormalizer *n);
void          vs_normalizer_apply         (const VsNormalizer *n, VsNStr *ns);
/* Python's str.lower() (full mappings, final sigma), with alignments. */
void          vs_nstr_lowercase_python    (VsNStr *ns);
/* Normalizes a plain string (for added tokens with normalized: true). */
char         *vs_normalizer_apply_str     (const VsNormalizer *n, const char *s);

/* --------------------------------------------------- pre-tokenizers */

typedef struct _VsPreTokenizer VsPreTokenizer;
VsPreTokenizer *vs_pretokenizer_new_from_json (const cJSON *j, const char *where, GError **error);
void            vs_pretokenizer_free          (VsPreTokenizer *p);
/* Splits every VsNStr in pieces (owned) into a new array of pieces. */
GPtrArray      *vs_pretokenizer_apply         (const VsPreTokenizer *p, GPtrArray *pieces);

/* The GPT-2 byte <-> unicode map. */
gunichar vs_byte_to_char (guint8 b);
int      vs_char_to_byte (gunichar c);   /* -1 if not a byte char */

/* ------------------------------------------------------------ models */

typedef struct
{
  guint32 id;
  gsize   start;   /* byte offsets into the piece's normalized text */
  gsize   end;
  char   *value;   /* owned */
} VsTok;

typedef struct _VsTokModel VsTokModel;
VsTokModel    *vs_tok_model_new_from_json  (const cJSON *j, const char *where, GError **error);
void        vs_tok_model_free           (VsTokModel *m);
/* Appends the tokens of one piece to out (GArray of VsTok). */
void        vs_tok_model_tokenize       (VsTokModel *m, const char *s, gsize len, GArray *out);
gint64      vs_tok_model_token_to_id    (const VsTokModel *m, const char *token);
const char *vs_tok_model_id_to_token    (const VsTokModel *m, guint32 id);
gsize       vs_tok_model_vocab_size     (const VsTokModel *m);   /* highest id + 1 */
gsize       vs_tok_model_vocab_count    (const VsTokModel *m);   /* entries (HF's get_vocab_size) */

/* --------------------------------------------------------- decoders */

typedef struct _VsDecoder VsDecoder;
VsDecoder *vs_decoder_new_from_json (const cJSON *j, const char *where, GError **error);
void       vs_decoder_free          (VsDecoder *d);
/* Rewrites the token strings in tokens (GPtrArray of char*, owned). */
void       vs_decoder_apply         (const VsDecoder *d, GPtrArray *tokens);

/* ----------------------------------------------------- JSON helpers */

/* Typed field lookups: absent (or null) returns default / NULL; a present
 * field of the wrong type sets error naming where.field. */
gboolean     vs_json_get_bool   (const cJSON *o, const char *field, gboolean def,
                                 const char *where, gboolean *out, GError **error);
gboolean     vs_json_get_int    (const cJSON *o, const char *field, gint64 def,
                                 const char *where, gint64 *out, GError **error);
gboolean     vs_json_get_string (const cJSON *o, const char *field,
                                 const char *where, const char **out, GError **error);
const char  *vs_json_type       (const cJSON *o);

/* The "type" string of a pipeline component (normalizer, pre-tokenizer,
 * post-processor, decoder); NULL with error if j is not an object or its
 * type is absent or not a string. */
const char  *vs_json_component_type (const cJSON *j, const char *where, GError **error);

/* Builds one component from j (where names it in messages). */
typedef gpointer (*VsJsonParseFunc) (const cJSON *j, const char *where, GError **error);

/* The children of a "Sequence" component: parses every item of the array
 * j[field] with parse (named "where.field[i]") into a new array that frees
 * them with free_func; NULL with error if field is not an array or an item
 * fails. */
GPtrArray   *vs_json_parse_children (const cJSON *j, const char *field, const char *where,
                                     VsJsonParseFunc parse, GDestroyNotify free_func,
                                     GError **error);

G_END_DECLS
