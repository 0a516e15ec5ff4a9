/* vs-tokenizer.c: loading (tokenizer.json, vocab.txt, vocab.json +
 * merges.txt, and the folder's config files), added tokens, the encode
 * pipeline, truncation, post-processors and the public API. */
#include "config.h"

#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "tokenizer/vs-tokenizer.h"
#include "vs-error.h"
#include "fault/vs-fault.h"

/* ------------------------------------------------------------ types */

typedef struct
{
  char    *content;
  char    *pattern;      /* what is matched: content, normalized if .normalized */
  guint32  id;
  gboolean single_word;
  gboolean lstrip;
  gboolean rstrip;
  gboolean normalized;
  gboolean special;
} AddedToken;

typedef enum
{
  POST_TEMPLATE,
  POST_BERT,
  POST_ROBERTA,
  POST_BYTE_LEVEL,
  POST_SEQUENCE,
} PostKind;

typedef struct
{
  gboolean is_special;
  int      seq;          /* 0 = A, 1 = B */
  char    *special_id;   /* key into special_tokens */
  guint32  type_id;
} TemplatePiece;

typedef struct
{
  GArray    *ids;        /* guint32 */
  GPtrArray *tokens;     /* char* */
} SpecialTokens;

typedef struct _PostProcessor PostProcessor;
struct _PostProcessor
{
  PostKind    kind;
  GArray     *single;    /* TemplatePiece */
  GArray     *pair;
  GHashTable *special;   /* id -> SpecialTokens */
  char       *cls_token;
  guint32     cls_id;
  char       *sep_token;
  guint32     sep_id;
  gboolean    trim_offsets;
  gboolean    add_prefix_space;
  GPtrArray  *children;
};

typedef struct
{
  char   *name;
  GBytes *bytes;
} SavedFile;

struct _VsTokenizer
{
  char           *source;       /* for error messages */
  VsNormalizer   *normalizer;
  VsPreTokenizer *pre_tokenizer;
  VsTokModel        *model;
  PostProcessor  *post;
  VsDecoder      *decoder;
  GArray         *added;        /* AddedToken */
  GHashTable     *added_by_content;   /* content -> index + 1 */
  GHashTable     *added_by_id;        /* id -> index + 1 */
  guint8          first_byte_raw[256];
  guint8          first_byte_norm[256];
  gboolean        have_raw;
  gboolean        have_norm;
  gsize           max_length;
  gboolean        lowercase_input;   /* sentence_bert_config.json do_lower_case */
  gint64          pad_id;
  GArray         *files;        /* SavedFile */
};

/* one token on its way through the pipeline */
typedef struct
{
  guint32 id;
  guint32 type_id;
  gsize   start;
  gsize   end;
  char   *token;
  guint8  special;
  guint8  seq;
} Item;

/* ---------------------------------------------------------- helpers */

static void
item_clear (gpointer p)
{
  g_free (((Item *) p)->token);
}

static GArray *
items_new (void)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Item));

  g_array_set_clear_func (a, item_clear);
  return a;
}

static void
saved_file_clear (gpointer p)
{
  SavedFile *f = p;

  g_free (f->name);
  g_bytes_unref (f->bytes);
}

static void
added_token_clear (gpointer p)
{
  AddedToken *t = p;

  g_free (t->content);
  g_free (t->pattern);
}

static void
special_tokens_free (gpointer p)
{
  SpecialTokens *s = p;

  g_array_unref (s->ids);
  g_ptr_array_unref (s->tokens);
  g_free (s);
}

static void
template_piece_clear (gpointer p)
{
  g_free (((TemplatePiece *) p)->special_id);
}

static void
post_free (PostProcessor *pp)
{
  if (pp == NULL)
    return;
  g_clear_pointer (&pp->single, g_array_unref);
  g_clear_pointer (&pp->pair, g_array_unref);
  g_clear_pointer (&pp->special, g_hash_table_unref);
  g_clear_pointer (&pp->children, g_ptr_array_unref);
  g_free (pp->cls_token);
  g_free (pp->sep_token);
  g_free (pp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PostProcessor, post_free)

/* ------------------------------------------------- post-processors */

static gboolean
parse_token_pair (const cJSON *j, const char *field, const char *where,
                  char **token, guint32 *id, GError **error)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, field);

  if (!cJSON_IsArray (v) || cJSON_GetArraySize (v) != 2 ||
      !cJSON_IsString (cJSON_GetArrayItem (v, 0)) || !cJSON_IsNumber (cJSON_GetArrayItem (v, 1)) ||
      cJSON_GetArrayItem (v, 1)->valuedouble < 0 || cJSON_GetArrayItem (v, 1)->valuedouble > G_MAXUINT32)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.%s: expected [token, id]", where, field);
      return FALSE;
    }
  *token = g_strdup (cJSON_GetArrayItem (v, 0)->valuestring);
  *id = (guint32) cJSON_GetArrayItem (v, 1)->valuedouble;
  return TRUE;
}

static GArray *
parse_template (const cJSON *arr, const char *where, GHashTable *special, GError **error)
{
  g_autoptr(GArray) t = g_array_new (FALSE, TRUE, sizeof (TemplatePiece));
  const cJSON *it;
  int i = 0;

  g_array_set_clear_func (t, template_piece_clear);
  if (!cJSON_IsArray (arr))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected an array of pieces, got %s", where, vs_json_type (arr));
      return NULL;
    }
  cJSON_ArrayForEach (it, arr)
    {
      const cJSON *sp = cJSON_GetObjectItemCaseSensitive (it, "SpecialToken");
      const cJSON *sq = cJSON_GetObjectItemCaseSensitive (it, "Sequence");
      const cJSON *body = sp != NULL ? sp : sq;
      const cJSON *id = cJSON_GetObjectItemCaseSensitive (body, "id");
      const cJSON *type_id = cJSON_GetObjectItemCaseSensitive (body, "type_id");
      TemplatePiece piece = { 0 };

      if (body == NULL || !cJSON_IsString (id))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s[%d]: expected {\"SpecialToken\": {\"id\": …}} or {\"Sequence\": {\"id\": \"A\"|\"B\"}}", where, i);
          return NULL;
        }
      piece.type_id = cJSON_IsNumber (type_id) && type_id->valuedouble >= 0 && type_id->valuedouble <= G_MAXUINT32 ?
                      (guint32) type_id->valuedouble : 0;
      if (sp != NULL)
        {
          piece.is_special = TRUE;
          if (!g_hash_table_contains (special, id->valuestring))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s[%d]: special token '%s' is not in special_tokens", where, i, id->valuestring);
              return NULL;
            }
          piece.special_id = g_strdup (id->valuestring);
        }
      else if (g_str_equal (id->valuestring, "A") || g_str_equal (id->valuestring, "B"))
        piece.seq = g_str_equal (id->valuestring, "B") ? 1 : 0;
      else
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s[%d].Sequence.id: expected \"A\" or \"B\", got '%s'",
                       where, i, id->valuestring);
          return NULL;
        }
      g_array_append_val (t, piece);
      i++;
    }
  return g_steal_pointer (&t);
}

static PostProcessor *
post_new_from_json (const cJSON *j, const char *where, GError **error)
{
  g_autoptr(PostProcessor) pp = g_new0 (PostProcessor, 1);
  const char *type = vs_json_component_type (j, where, error);

  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "TemplateProcessing"))
    {
      const cJSON *st = cJSON_GetObjectItemCaseSensitive (j, "special_tokens");
      const cJSON *it;
      g_autofree char *ws = g_strdup_printf ("%s.single", where);
      g_autofree char *wp = g_strdup_printf ("%s.pair", where);

      pp->kind = POST_TEMPLATE;
      pp->special = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, special_tokens_free);
      if (st != NULL && !cJSON_IsObject (st))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.special_tokens: expected an object", where);
          return NULL;
        }
      cJSON_ArrayForEach (it, st)
        {
          const cJSON *ids = cJSON_GetObjectItemCaseSensitive (it, "ids");
          const cJSON *toks = cJSON_GetObjectItemCaseSensitive (it, "tokens");
          const cJSON *x;
          SpecialTokens *s;

          if (!cJSON_IsArray (ids) || !cJSON_IsArray (toks) || cJSON_GetArraySize (ids) != cJSON_GetArraySize (toks))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s.special_tokens[\"%s\"]: expected ids and tokens arrays of the same length", where, it->string);
              return NULL;
            }
          s = g_new0 (SpecialTokens, 1);
          s->ids = g_array_new (FALSE, FALSE, sizeof (guint32));
          s->tokens = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (pp->special, g_strdup (it->string), s);
          cJSON_ArrayForEach (x, ids)
            {
              guint32 v;
              if (!cJSON_IsNumber (x) || x->valuedouble < 0 || x->valuedouble > G_MAXUINT32)
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.special_tokens[\"%s\"].ids: expected ids", where, it->string);
                  return NULL;
                }
              v = (guint32) x->valuedouble;
              g_array_append_val (s->ids, v);
            }
          cJSON_ArrayForEach (x, toks)
            g_ptr_array_add (s->tokens, g_strdup (cJSON_IsString (x) ? x->valuestring : ""));
        }
      pp->single = parse_template (cJSON_GetObjectItemCaseSensitive (j, "single"), ws, pp->special, error);
      if (pp->single == NULL)
        return NULL;
      pp->pair = parse_template (cJSON_GetObjectItemCaseSensitive (j, "pair"), wp, pp->special, error);
      if (pp->pair == NULL)
        return NULL;
    }
  else if (g_str_equal (type, "BertProcessing"))
    {
      pp->kind = POST_BERT;
      if (!parse_token_pair (j, "sep", where, &pp->sep_token, &pp->sep_id, error) ||
          !parse_token_pair (j, "cls", where, &pp->cls_token, &pp->cls_id, error))
        return NULL;
    }
  else if (g_str_equal (type, "RobertaProcessing"))
    {
      pp->kind = POST_ROBERTA;
      if (!parse_token_pair (j, "sep", where, &pp->sep_token, &pp->sep_id, error) ||
          !parse_token_pair (j, "cls", where, &pp->cls_token, &pp->cls_id, error) ||
          !vs_json_get_bool (j, "trim_offsets", TRUE, where, &pp->trim_offsets, error) ||
          !vs_json_get_bool (j, "add_prefix_space", TRUE, where, &pp->add_prefix_space, error))
        return NULL;
    }
  else if (g_str_equal (type, "ByteLevel"))
    {
      pp->kind = POST_BYTE_LEVEL;
      if (!vs_json_get_bool (j, "trim_offsets", TRUE, where, &pp->trim_offsets, error) ||
          !vs_json_get_bool (j, "add_prefix_space", TRUE, where, &pp->add_prefix_space, error))
        return NULL;
    }
  else if (g_str_equal (type, "Sequence"))
    {
      pp->kind = POST_SEQUENCE;
      pp->children = vs_json_parse_children (j, "processors", where,
                                             (VsJsonParseFunc) post_new_from_json,
                                             (GDestroyNotify) post_free, error);
      if (pp->children == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.type: unknown post-processor type '%s'", where, type);
      return NULL;
    }
  return g_steal_pointer (&pp);
}

static gsize
post_added_tokens (const PostProcessor *pp, gboolean is_pair)
{
  gsize n = 0;

  if (pp == NULL)
    return 0;
  switch (pp->kind)
    {
    case POST_BERT:
      return is_pair ? 3 : 2;
    case POST_ROBERTA:
      return is_pair ? 4 : 2;
    case POST_BYTE_LEVEL:
      return 0;
    case POST_TEMPLATE:
      {
        GArray *t = is_pair ? pp->pair : pp->single;
        for (guint i = 0; i < t->len; i++)
          {
            TemplatePiece *piece = &g_array_index (t, TemplatePiece, i);
            if (piece->is_special)
              n += ((SpecialTokens *) g_hash_table_lookup (pp->special, piece->special_id))->ids->len;
          }
        return n;
      }
    case POST_SEQUENCE:
      for (guint i = 0; i < pp->children->len; i++)
        n += post_added_tokens (g_ptr_array_index (pp->children, i), is_pair);
      return n;
    default:
      g_assert_not_reached ();
    }
}

/* HF's byte_level::process_offsets: offsets skip leading/trailing 'Ġ' or
 * whitespace of each token. */
static void
trim_offsets (GArray *items, gboolean add_prefix_space)
{
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = &g_array_index (items, Item, i);
      gsize lead = 0, trail = 0, n = 0;
      const char *p;

      for (p = it->token; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);
          if (c != 0x120 && !vs_uni_is_whitespace (c))
            break;
          lead++;
        }
      for (p = it->token; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);
          n++;
          if (c == 0x120 || vs_uni_is_whitespace (c))
            trail++;
          else
            trail = 0;
        }
      if (lead == 0 && trail == 0)
        continue;
      if (lead > 0)
        {
          gboolean is_first = i == 0 || it->start == 0;
          if (is_first && add_prefix_space && lead == 1)
            lead = 0;
          it->start = MIN (it->start + lead, it->end);
        }
      if (trail > 0 && it->end >= trail)
        it->end = MAX (it->end - trail, it->start);
    }
}

static void
set_type_ids (GArray *items, guint32 type_id)
{
  for (guint i = 0; items != NULL && i < items->len; i++)
    g_array_index (items, Item, i).type_id = type_id;
}

static void
append_special (GArray *out, guint32 id, const char *token, guint32 type_id)
{
  Item it = { id, type_id, 0, 0, g_strdup (token), 1, 255 };

  g_array_append_val (out, it);
}

static void
append_items (GArray *out, GArray *in)
{
  for (guint i = 0; in != NULL && i < in->len; i++)
    {
      Item it = g_array_index (in, Item, i);
      it.token = g_strdup (it.token);
      g_array_append_val (out, it);
    }
}

/* HF's process_encodings without the special tokens: offset trimming and
 * type ids, in place on a (and b); post_merge() then lays the specials out. */
static void
post_process_encodings (const PostProcessor *pp, GArray *a, GArray *b)
{
  switch (pp->kind)
    {
    case POST_ROBERTA:
      if (pp->trim_offsets)
        {
          trim_offsets (a, pp->add_prefix_space);
          if (b != NULL)
            trim_offsets (b, pp->add_prefix_space);
        }
      set_type_ids (a, 0);
      set_type_ids (b, 0);
      break;
    case POST_BYTE_LEVEL:
      if (pp->trim_offsets)
        {
          trim_offsets (a, pp->add_prefix_space);
          if (b != NULL)
            trim_offsets (b, pp->add_prefix_space);
        }
      break;
    case POST_SEQUENCE:
      for (guint i = 0; i < pp->children->len; i++)
        post_process_encodings (g_ptr_array_index (pp->children, i), a, b);
      break;
    case POST_TEMPLATE:
    case POST_BERT:
    default:
      break;
    }
}

/* The final layout of the encoding with the special tokens of the last
 * template-like processor (HF applies them inside process_encodings; only
 * one processor of a Sequence adds specials in practice). */
static const PostProcessor *
post_layout (const PostProcessor *pp)
{
  if (pp == NULL)
    return NULL;
  if (pp->kind == POST_SEQUENCE)
    {
      const PostProcessor *found = NULL;
      for (guint i = 0; i < pp->children->len; i++)
        {
          const PostProcessor *c = post_layout (g_ptr_array_index (pp->children, i));
          if (c != NULL)
            found = c;
        }
      return found;
    }
  if (pp->kind == POST_BYTE_LEVEL)
    return NULL;
  return pp;
}

static GArray *
post_merge (const PostProcessor *pp, GArray *a, GArray *b, gboolean add_special)
{
  GArray *out = items_new ();
  const PostProcessor *lay = post_layout (pp);

  if (lay == NULL || (!add_special && lay->kind != POST_TEMPLATE))
    {
      append_items (out, a);
      append_items (out, b);
      return out;
    }
  switch (lay->kind)
    {
    case POST_BERT:
      append_special (out, lay->cls_id, lay->cls_token, 0);
      append_items (out, a);
      append_special (out, lay->sep_id, lay->sep_token, 0);
      if (b != NULL)
        {
          set_type_ids (b, 1);
          append_items (out, b);
          append_special (out, lay->sep_id, lay->sep_token, 1);
        }
      break;
    case POST_ROBERTA:
      append_special (out, lay->cls_id, lay->cls_token, 0);
      append_items (out, a);
      append_special (out, lay->sep_id, lay->sep_token, 0);
      if (b != NULL)
        {
          append_special (out, lay->sep_id, lay->sep_token, 0);
          append_items (out, b);
          append_special (out, lay->sep_id, lay->sep_token, 0);
        }
      break;
    case POST_TEMPLATE:
      {
        GArray *t = b != NULL ? lay->pair : lay->single;
        for (guint i = 0; i < t->len; i++)
          {
            TemplatePiece *piece = &g_array_index (t, TemplatePiece, i);
            if (piece->is_special)
              {
                SpecialTokens *s = g_hash_table_lookup (lay->special, piece->special_id);
                if (!add_special)
                  continue;
                for (guint k = 0; k < s->ids->len; k++)
                  append_special (out, g_array_index (s->ids, guint32, k),
                                  g_ptr_array_index (s->tokens, k), piece->type_id);
              }
            else
              {
                GArray *src = piece->seq == 0 ? a : b;
                if (src == NULL)
                  continue;
                set_type_ids (src, piece->type_id);
                append_items (out, src);
              }
          }
      }
      break;
    case POST_BYTE_LEVEL:
    case POST_SEQUENCE:
    default:
      g_assert_not_reached ();
    }
  return out;
}

/* --------------------------------------------------- added tokens */

typedef struct
{
  gint    added;      /* index into tok->added, -1 = plain text */
  gsize   start;
  gsize   end;
} Span;

/* regex's Unicode \w: Alphabetic, marks, decimal digits, connector
 * punctuation (which holds '_') and the joiners. */
static gboolean
is_word_char (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);

  return g_unichar_isalpha (c) || g_unichar_ismark (c) || t == G_UNICODE_DECIMAL_NUMBER ||
         t == G_UNICODE_LETTER_NUMBER || t == G_UNICODE_CONNECT_PUNCTUATION ||
         c == 0x200C || c == 0x200D;
}

/* HF's AddedVocabulary::find_matches: leftmost-longest matches of the
 * patterns of one kind (normalized or not), then single_word / lstrip /
 * rstrip. Returns spans covering s. */
static GArray *
find_added (const VsTokenizer *tok, const char *s, gsize len, gboolean normalized)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  const guint8 *first = normalized ? tok->first_byte_norm : tok->first_byte_raw;
  gsize start_offset = 0;
  gsize i = 0;

  if ((normalized ? tok->have_norm : tok->have_raw))
    while (i < len)
      {
        gint best = -1;
        gsize best_len = 0;
        gsize mstart, mstop;
        const AddedToken *at;

        if (!first[(guint8) s[i]])
          {
            i++;
            continue;
          }
        for (guint k = 0; k < tok->added->len; k++)
          {
            const AddedToken *t = &g_array_index (tok->added, AddedToken, k);
            gsize pl;
            if (t->normalized != normalized || t->pattern == NULL)
              continue;
            pl = strlen (t->pattern);
            if (pl > best_len && pl <= len - i && memcmp (s + i, t->pattern, pl) == 0)
              {
                best = k;
                best_len = pl;
              }
          }
        if (best < 0)
          {
            i++;
            continue;
          }
        at = &g_array_index (tok->added, AddedToken, best);
        mstart = i;
        mstop = i + best_len;
        i = mstop;
        if (at->single_word)
          {
            gboolean start_space = mstart == 0 ||
              !is_word_char (g_utf8_get_char (g_utf8_prev_char (s + mstart)));
            gboolean stop_space = mstop == len || !is_word_char (g_utf8_get_char (s + mstop));
            if (!start_space || !stop_space)
              continue;
          }
        if (at->lstrip)
          {
            gsize ns = mstart;
            while (ns > 0)
              {
                const char *prev = g_utf8_prev_char (s + ns);
                if (!vs_uni_is_whitespace (g_utf8_get_char (prev)))
                  break;
                ns = prev - s;
              }
            mstart = MAX (ns, start_offset);
          }
        if (at->rstrip)
          {
            while (mstop < len && vs_uni_is_whitespace (g_utf8_get_char (s + mstop)))
              mstop = g_utf8_next_char (s + mstop) - s;
            i = mstop;
          }
        if (start_offset < mstart)
          {
            Span sp = { -1, start_offset, mstart };
            g_array_append_val (spans, sp);
          }
        {
          Span sp = { best, mstart, mstop };
          g_array_append_val (spans, sp);
        }
        start_offset = mstop;
      }
  if (start_offset < len)
    {
      Span sp = { -1, start_offset, len };
      g_array_append_val (spans, sp);
    }
  return spans;
}

/* ---------------------------------------------------- encode one text */

typedef struct
{
  VsNStr *ns;
  gint    added;   /* index of the added token this piece is, or -1 */
} Piece;

static void
encode_piece_tokens (VsTokenizer *tok, VsNStr *ns, GArray *out, guint32 type_id, guint8 seq)
{
  g_autoptr(GArray) toks = g_array_new (FALSE, FALSE, sizeof (VsTok));

  vs_tok_model_tokenize (tok->model, ns->s->str, ns->s->len, toks);
  for (guint k = 0; k < toks->len; k++)
    {
      VsTok *t = &g_array_index (toks, VsTok, k);
      Item it = { t->id, type_id, 0, 0, t->value, 0, seq };
      if (!vs_nstr_original_range (ns, t->start, t->end, &it.start, &it.end))
        {
          it.start = it.end = 0;
        }
      g_array_append_val (out, it);
    }
}

static void
add_added_item (VsTokenizer *tok, VsNStr *ns, gsize start, gsize end, gint added,
                GArray *out, guint32 type_id, guint8 seq)
{
  const AddedToken *at = &g_array_index (tok->added, AddedToken, added);
  Item it = { at->id, type_id, 0, 0, g_strndup (ns->s->str + start, end - start), 0, seq };

  vs_nstr_original_range (ns, start, end, &it.start, &it.end);
  g_array_append_val (out, it);
}

static GArray *
encode_single (VsTokenizer *tok, const char *text, gsize len, guint32 type_id, guint8 seq)
{
  GArray *out = items_new ();
  g_autoptr(VsNStr) orig = vs_nstr_new_original (text, len);
  g_autoptr(GArray) raw_spans = NULL;

  /* sentence-transformers' Transformer(do_lower_case=True) lowercases the
   * text before the tokenizer sees it (added tokens included) */
  if (tok->lowercase_input)
    vs_nstr_lowercase_python (orig);
  raw_spans = find_added (tok, orig->s->str, orig->s->len, FALSE);

  for (guint i = 0; i < raw_spans->len; i++)
    {
      Span sp = g_array_index (raw_spans, Span, i);
      g_autoptr(VsNStr) piece = NULL;
      g_autoptr(GArray) norm_spans = NULL;

      if (sp.end <= sp.start)
        continue;
      if (sp.added >= 0)
        {
          add_added_item (tok, orig, sp.start, sp.end, sp.added, out, type_id, seq);
          continue;
        }
      piece = vs_nstr_slice (orig, sp.start, sp.end);
      if (tok->normalizer != NULL)
        vs_normalizer_apply (tok->normalizer, piece);
      if (piece->s->len == 0)
        continue;
      norm_spans = find_added (tok, piece->s->str, piece->s->len, TRUE);
      for (guint k = 0; k < norm_spans->len; k++)
        {
          Span ns = g_array_index (norm_spans, Span, k);
          GPtrArray *words;

          if (ns.end <= ns.start)
            continue;
          if (ns.added >= 0)
            {
              add_added_item (tok, piece, ns.start, ns.end, ns.added, out, type_id, seq);
              continue;
            }
          words = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);
          g_ptr_array_add (words, vs_nstr_slice (piece, ns.start, ns.end));
          if (tok->pre_tokenizer != NULL)
            words = vs_pretokenizer_apply (tok->pre_tokenizer, words);
          for (guint w = 0; w < words->len; w++)
            encode_piece_tokens (tok, g_ptr_array_index (words, w), out, type_id, seq);
          g_ptr_array_unref (words);
        }
    }
  return out;
}

static void
truncate_items (GArray *items, gsize n)
{
  if (items != NULL && items->len > n)
    g_array_set_size (items, n);
}

/* HF's truncate_encodings, LongestFirst, right side, no stride. */
static void
truncate_pair (GArray *a, GArray *b, gsize max_length)
{
  gsize n1, n2;
  gboolean swap = FALSE;

  if (max_length == 0)
    {
      truncate_items (a, 0);
      truncate_items (b, 0);
      return;
    }
  if (b == NULL)
    {
      truncate_items (a, max_length);
      return;
    }
  n1 = a->len;
  n2 = b->len;
  if (n1 + n2 <= max_length)
    return;
  if (n1 > n2)
    {
      gsize t = n1;
      n1 = n2;
      n2 = t;
      swap = TRUE;
    }
  if (n1 > max_length)
    n2 = n1;
  else
    n2 = MAX (n1, max_length - n1);
  if (n1 + n2 > max_length)
    {
      n1 = max_length / 2;
      n2 = n1 + max_length % 2;
    }
  if (swap)
    {
      gsize t = n1;
      n1 = n2;
      n2 = t;
    }
  truncate_items (a, n1);
  truncate_items (b, n2);
}

VsEncoding *
vs_tokenizer_encode_len (VsTokenizer *tok,
                         const char  *text,
                         gssize       text_len,
                         const char  *pair,
                         gssize       pair_len,
                         gboolean     add_special_tokens,
                         gsize        max_length)
{
  g_autofree char *ta = NULL;
  g_autofree char *tb = NULL;
  gsize la = 0, lb = 0;
  g_autoptr(GArray) a = NULL;
  g_autoptr(GArray) b = NULL;
  g_autoptr(GArray) all = NULL;
  VsEncoding *enc;

  g_return_val_if_fail (tok != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  ta = vs_utf8_repair (text, text_len < 0 ? strlen (text) : (gsize) text_len, &la);
  a = encode_single (tok, ta, la, 0, 0);
  if (pair != NULL)
    {
      tb = vs_utf8_repair (pair, pair_len < 0 ? strlen (pair) : (gsize) pair_len, &lb);
      b = encode_single (tok, tb, lb, 1, 1);
    }

  if (max_length == 0)
    max_length = tok->max_length;
  if (max_length != 0 && max_length != G_MAXSIZE)
    {
      gsize n_added = add_special_tokens ? post_added_tokens (tok->post, b != NULL) : 0;
      truncate_pair (a, b, max_length > n_added ? max_length - n_added : 0);
    }

  if (tok->post != NULL)
    post_process_encodings (tok->post, a, b);
  all = post_merge (tok->post, a, b, add_special_tokens);

  enc = g_new0 (VsEncoding, 1);
  enc->n_tokens = all->len;
  enc->ids = g_new (guint32, all->len + 1);
  enc->type_ids = g_new (guint32, all->len + 1);
  enc->special_tokens_mask = g_new (guint8, all->len + 1);
  enc->sequence_ids = g_new (guint8, all->len + 1);
  enc->offsets = g_new (gsize, 2 * all->len + 2);
  enc->tokens = g_new0 (char *, all->len + 1);
  for (guint i = 0; i < all->len; i++)
    {
      Item *it = &g_array_index (all, Item, i);
      enc->ids[i] = it->id;
      enc->type_ids[i] = it->type_id;
      enc->special_tokens_mask[i] = it->special;
      enc->sequence_ids[i] = it->seq;
      enc->offsets[2 * i] = it->start;
      enc->offsets[2 * i + 1] = it->end;
      enc->tokens[i] = g_steal_pointer (&it->token);
    }
  return enc;
}

VsEncoding *
vs_tokenizer_encode (VsTokenizer *tok,
                     const char  *text,
                     const char  *pair,
                     gboolean     add_special_tokens,
                     gsize        max_length)
{
  return vs_tokenizer_encode_len (tok, text, -1, pair, -1, add_special_tokens, max_length);
}

void
vs_encoding_free (VsEncoding *enc)
{
  if (enc == NULL)
    return;
  g_free (enc->ids);
  g_free (enc->type_ids);
  g_free (enc->special_tokens_mask);
  g_free (enc->sequence_ids);
  g_free (enc->offsets);
  g_strfreev (enc->tokens);
  g_free (enc);
}

/* ------------------------------------------------------------ API */

gsize
vs_tokenizer_get_max_length (const VsTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, 0);
  return tok->max_length;
}

void
vs_tokenizer_set_max_length (VsTokenizer *tok,
                             gsize        max_length)
{
  g_return_if_fail (tok != NULL);
  tok->max_length = max_length;
}

gsize
vs_tokenizer_get_vocab_size (const VsTokenizer *tok)
{
  gsize n;

  g_return_val_if_fail (tok != NULL, 0);
  n = vs_tok_model_vocab_size (tok->model);
  for (guint i = 0; i < tok->added->len; i++)
    n = MAX (n, (gsize) g_array_index (tok->added, AddedToken, i).id + 1);
  return n;
}

gint64
vs_tokenizer_token_to_id (const VsTokenizer *tok,
                          const char        *token)
{
  gpointer v;

  g_return_val_if_fail (tok != NULL, -1);
  g_return_val_if_fail (token != NULL, -1);
  v = g_hash_table_lookup (tok->added_by_content, token);
  if (v != NULL)
    return g_array_index (tok->added, AddedToken, GPOINTER_TO_UINT (v) - 1).id;
  return vs_tok_model_token_to_id (tok->model, token);
}

const char *
vs_tokenizer_id_to_token (const VsTokenizer *tok,
                          guint32            id)
{
  gpointer v;

  g_return_val_if_fail (tok != NULL, NULL);
  v = g_hash_table_lookup (tok->added_by_id, GUINT_TO_POINTER (id));
  if (v != NULL)
    return g_array_index (tok->added, AddedToken, GPOINTER_TO_UINT (v) - 1).content;
  return vs_tok_model_id_to_token (tok->model, id);
}

char *
vs_tokenizer_decode (VsTokenizer   *tok,
                     const guint32 *ids,
                     gsize          n_ids,
                     gboolean       skip_special)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (tok != NULL, NULL);
  for (gsize i = 0; i < n_ids; i++)
    {
      gpointer v = g_hash_table_lookup (tok->added_by_id, GUINT_TO_POINTER (ids[i]));
      const char *t;

      if (v != NULL)
        {
          const AddedToken *at = &g_array_index (tok->added, AddedToken, GPOINTER_TO_UINT (v) - 1);
          if (skip_special && at->special)
            continue;
          t = at->content;
        }
      else
        t = vs_tok_model_id_to_token (tok->model, ids[i]);
      if (t != NULL)
        g_ptr_array_add (tokens, g_strdup (t));
    }
  if (tok->decoder != NULL)
    {
      vs_decoder_apply (tok->decoder, tokens);
      for (guint i = 0; i < tokens->len; i++)
        g_string_append (out, g_ptr_array_index (tokens, i));
    }
  else
    for (guint i = 0; i < tokens->len; i++)
      {
        if (i > 0)
          g_string_append_c (out, ' ');
        g_string_append (out, g_ptr_array_index (tokens, i));
      }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gint64
vs_tokenizer_get_pad_id (const VsTokenizer *tok)
{
  g_return_val_if_fail (tok != NULL, -1);
  return tok->pad_id;
}

gsize
vs_tokenizer_num_special_tokens (const VsTokenizer *tok,
                                 gboolean           pair)
{
  g_return_val_if_fail (tok != NULL, 0);
  return post_added_tokens (tok->post, pair);
}

gboolean
vs_tokenizer_save_files (VsTokenizer *tok,
                         const char  *dir,
                         GError     **error)
{
  g_return_val_if_fail (tok != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  for (guint i = 0; i < tok->files->len; i++)
    {
      SavedFile *f = &g_array_index (tok->files, SavedFile, i);
      g_autofree char *path = g_build_filename (dir, f->name, NULL);
      gsize n;
      const char *data = g_bytes_get_data (f->bytes, &n);

      if (!vs_file_set_contents (path, data, (gssize) n, 0644, error))
        return FALSE;
    }
  return TRUE;
}

void
vs_tokenizer_free (VsTokenizer *tok)
{
  if (tok == NULL)
    return;
  g_free (tok->source);
  vs_normalizer_free (tok->normalizer);
  vs_pretokenizer_free (tok->pre_tokenizer);
  vs_tok_model_free (tok->model);
  post_free (tok->post);
  vs_decoder_free (tok->decoder);
  g_clear_pointer (&tok->added, g_array_unref);
  g_clear_pointer (&tok->added_by_content, g_hash_table_unref);
  g_clear_pointer (&tok->added_by_id, g_hash_table_unref);
  g_clear_pointer (&tok->files, g_array_unref);
  g_free (tok);
}

/* ------------------------------------------------------------ loading */

static VsTokenizer *
tokenizer_alloc (const char *source)
{
  VsTokenizer *tok = g_new0 (VsTokenizer, 1);

  tok->source = g_strdup (source);
  tok->added = g_array_new (FALSE, TRUE, sizeof (AddedToken));
  g_array_set_clear_func (tok->added, added_token_clear);
  tok->added_by_content = g_hash_table_new (g_str_hash, g_str_equal);
  tok->added_by_id = g_hash_table_new (NULL, NULL);
  tok->files = g_array_new (FALSE, TRUE, sizeof (SavedFile));
  g_array_set_clear_func (tok->files, saved_file_clear);
  tok->pad_id = -1;
  return tok;
}

static gboolean
load_added_tokens (VsTokenizer *tok, const cJSON *arr, const char *where, GError **error)
{
  const cJSON *it;
  int i = 0;

  if (arr == NULL || cJSON_IsNull (arr))
    return TRUE;
  if (!cJSON_IsArray (arr))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected an array, got %s", where, vs_json_type (arr));
      return FALSE;
    }
  cJSON_ArrayForEach (it, arr)
    {
      g_autofree char *w = g_strdup_printf ("%s[%d]", where, i++);
      AddedToken at = { 0 };
      const char *content = NULL;
      gint64 id;

      if (!cJSON_IsObject (it))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected an object", w);
          return FALSE;
        }
      if (!vs_json_get_string (it, "content", w, &content, error) ||
          !vs_json_get_int (it, "id", -1, w, &id, error) ||
          !vs_json_get_bool (it, "single_word", FALSE, w, &at.single_word, error) ||
          !vs_json_get_bool (it, "lstrip", FALSE, w, &at.lstrip, error) ||
          !vs_json_get_bool (it, "rstrip", FALSE, w, &at.rstrip, error) ||
          !vs_json_get_bool (it, "special", FALSE, w, &at.special, error) ||
          !vs_json_get_bool (it, "normalized", !at.special, w, &at.normalized, error))
        return FALSE;
      if (content == NULL || id < 0 || id > G_MAXUINT32)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.%s: missing or invalid", w, content == NULL ? "content" : "id");
          return FALSE;
        }
      at.content = g_strdup (content);
      at.id = (guint32) id;
      g_array_append_val (tok->added, at);
    }
  return TRUE;
}

/* HF ignores the ids written in added_tokens: AddedVocabulary::add_tokens
 * gives a token the id it already has (as an added token or in the model's
 * vocabulary), else the next id after the model's vocabulary and the added
 * tokens so far. A repeated content keeps one entry, with the later flags. */
static void
assign_added_ids (VsTokenizer *tok)
{
  g_autoptr(GArray) kept = g_array_new (FALSE, TRUE, sizeof (AddedToken));
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gsize vocab_count = vs_tok_model_vocab_count (tok->model);
  gint64 max_added = -1;

  g_array_set_clear_func (kept, added_token_clear);
  for (guint i = 0; i < tok->added->len; i++)
    {
      AddedToken at = g_array_index (tok->added, AddedToken, i);
      gpointer prev = g_hash_table_lookup (seen, at.content);
      gint64 id;

      if (*at.content == '\0')
        {
          added_token_clear (&at);
          continue;
        }
      if (prev != NULL)
        {
          AddedToken *old = &g_array_index (kept, AddedToken, GPOINTER_TO_UINT (prev) - 1);
          AddedToken gone = *old;
          at.id = old->id;
          *old = at;
          /* re-key before freeing the old string the table still points to */
          g_hash_table_replace (seen, old->content, prev);
          added_token_clear (&gone);
          continue;
        }
      id = vs_tok_model_token_to_id (tok->model, at.content);
      if (id < 0)
        id = (max_added >= (gint64) vocab_count || vocab_count == 0) ? max_added + 1 : (gint64) vocab_count;
      at.id = (guint32) id;
      max_added = MAX (max_added, id);
      g_array_append_val (kept, at);
      g_hash_table_insert (seen, g_array_index (kept, AddedToken, kept->len - 1).content, GUINT_TO_POINTER (kept->len));
    }
  /* the strings moved into kept */
  g_array_set_clear_func (tok->added, NULL);
  g_array_unref (tok->added);
  tok->added = g_steal_pointer (&kept);
  g_array_set_clear_func (tok->added, added_token_clear);
}

/* After the normalizer is known: the patterns and lookup tables. */
static void
index_added_tokens (VsTokenizer *tok)
{
  assign_added_ids (tok);
  memset (tok->first_byte_raw, 0, sizeof tok->first_byte_raw);
  memset (tok->first_byte_norm, 0, sizeof tok->first_byte_norm);
  for (guint i = 0; i < tok->added->len; i++)
    {
      AddedToken *at = &g_array_index (tok->added, AddedToken, i);

      g_free (at->pattern);
      if (at->normalized && tok->normalizer != NULL)
        at->pattern = vs_normalizer_apply_str (tok->normalizer, at->content);
      else
        at->pattern = g_strdup (at->content);
      if (*at->pattern == '\0')
        g_clear_pointer (&at->pattern, g_free);
      else if (at->normalized)
        {
          tok->first_byte_norm[(guint8) at->pattern[0]] = 1;
          tok->have_norm = TRUE;
        }
      else
        {
          tok->first_byte_raw[(guint8) at->pattern[0]] = 1;
          tok->have_raw = TRUE;
        }
      if (!g_hash_table_contains (tok->added_by_content, at->content))
        g_hash_table_insert (tok->added_by_content, at->content, GUINT_TO_POINTER (i + 1));
      g_hash_table_insert (tok->added_by_id, GUINT_TO_POINTER (at->id), GUINT_TO_POINTER (i + 1));
    }
}

/* The optional pipeline component root[field], parsed with parse and named
 * "name: field"; NULL when absent or null, or with error when it fails. */
static gpointer
optional_component (const cJSON     *root,
                    const char      *field,
                    const char      *name,
                    VsJsonParseFunc  parse,
                    GError         **error)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (root, field);
  g_autofree char *w = NULL;

  if (v == NULL || cJSON_IsNull (v))
    return NULL;
  w = g_strdup_printf ("%s: %s", name, field);
  return parse (v, w, error);
}

static VsTokenizer *
tokenizer_from_cjson (const cJSON *root, const char *name, GError **error)
{
  g_autoptr(VsTokenizer) tok = tokenizer_alloc (name);
  g_autofree char *w = NULL;
  const cJSON *v;
  g_autoptr(GError) local = NULL;

  if (!cJSON_IsObject (root))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected a JSON object at the top", name);
      return NULL;
    }
  w = g_strdup_printf ("%s: added_tokens", name);
  if (!load_added_tokens (tok, cJSON_GetObjectItemCaseSensitive (root, "added_tokens"), w, error))
    return NULL;

  g_free (w);
  w = g_strdup_printf ("%s: model", name);
  v = cJSON_GetObjectItemCaseSensitive (root, "model");
  if (v == NULL || cJSON_IsNull (v))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: missing", w);
      return NULL;
    }
  tok->model = vs_tok_model_new_from_json (v, w, error);
  if (tok->model == NULL)
    return NULL;

  tok->normalizer = optional_component (root, "normalizer", name,
                                         (VsJsonParseFunc) vs_normalizer_new_from_json, &local);
  if (local == NULL)
    tok->pre_tokenizer = optional_component (root, "pre_tokenizer", name,
                                              (VsJsonParseFunc) vs_pretokenizer_new_from_json, &local);
  if (local == NULL)
    tok->post = optional_component (root, "post_processor", name, (VsJsonParseFunc) post_new_from_json, &local);
  if (local == NULL)
    tok->decoder = optional_component (root, "decoder", name, (VsJsonParseFunc) vs_decoder_new_from_json, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  index_added_tokens (tok);
  return g_steal_pointer (&tok);
}

VsTokenizer *
vs_tokenizer_new_from_json_data (const char *json,
                                 gsize       length,
                                 const char *name_for_errors,
                                 GError    **error)
{
  g_autoptr(cJSON) root = NULL;
  const char *name = name_for_errors != NULL ? name_for_errors : "tokenizer.json";
  VsTokenizer *tok;

  g_return_val_if_fail (json != NULL, NULL);
  root = cJSON_ParseWithLength (json, length);
  if (root == NULL)
    {
      const char *at = cJSON_GetErrorPtr ();
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON (near byte %ld)", name,
                   at != NULL && at >= json && at <= json + length ? (long) (at - json) : -1L);
      return NULL;
    }
  tok = tokenizer_from_cjson (root, name, error);
  if (tok != NULL)
    {
      SavedFile f = { g_strdup ("tokenizer.json"), g_bytes_new (json, length) };
      g_array_append_val (tok->files, f);
    }
  return tok;
}

/* ---------------------------------------------- folder and old formats */

static cJSON *
read_json_file (const char *dir, const char *file, GBytes **bytes_out, GError **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *data = NULL;
  gsize n = 0;
  g_autoptr(GError) local = NULL;
  cJSON *j;

  if (!g_file_get_contents (path, &data, &n, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }
  j = cJSON_ParseWithLength (data, n);
  if (j == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", path);
      return NULL;
    }
  if (bytes_out != NULL)
    *bytes_out = g_bytes_new_take (g_steal_pointer (&data), n);
  return j;
}

/* A special token's text in tokenizer_config.json / special_tokens_map.json
 * is a string or an AddedToken object {"content": …}. */
static const char *
config_token (const cJSON *a, const cJSON *b, const char *field)
{
  const cJSON *srcs[2] = { a, b };

  for (int i = 0; i < 2; i++)
    {
      const cJSON *v = srcs[i] != NULL ? cJSON_GetObjectItemCaseSensitive (srcs[i], field) : NULL;
      if (cJSON_IsString (v))
        return v->valuestring;
      if (cJSON_IsObject (v) && cJSON_IsString (cJSON_GetObjectItemCaseSensitive (v, "content")))
        return cJSON_GetObjectItemCaseSensitive (v, "content")->valuestring;
    }
  return NULL;
}

static void
add_special_json (cJSON *added, const char *content, gint64 id, gboolean lstrip)
{
  cJSON *t;

  if (content == NULL || id < 0)
    return;
  t = cJSON_CreateObject ();
  cJSON_AddNumberToObject (t, "id", (double) id);
  cJSON_AddStringToObject (t, "content", content);
  cJSON_AddBoolToObject (t, "single_word", FALSE);
  cJSON_AddBoolToObject (t, "lstrip", lstrip);
  cJSON_AddBoolToObject (t, "rstrip", FALSE);
  cJSON_AddBoolToObject (t, "normalized", FALSE);
  cJSON_AddBoolToObject (t, "special", TRUE);
  cJSON_AddItemToArray (added, t);
}

static gint64
json_vocab_id (const cJSON *vocab, const char *token)
{
  const cJSON *v = token != NULL ? cJSON_GetObjectItemCaseSensitive (vocab, token) : NULL;

  return cJSON_IsNumber (v) ? (gint64) v->valuedouble : -1;
}

static cJSON *
template_special (const char *token, gint64 id)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON *ids = cJSON_AddArrayToObject (o, "ids");
  cJSON *toks = cJSON_AddArrayToObject (o, "tokens");

  cJSON_AddStringToObject (o, "id", token);
  cJSON_AddItemToArray (ids, cJSON_CreateNumber ((double) id));
  cJSON_AddItemToArray (toks, cJSON_CreateString (token));
  return o;
}

static void
template_add (cJSON *arr, gboolean special, const char *id, int type_id)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON *body = cJSON_AddObjectToObject (o, special ? "SpecialToken" : "Sequence");

  cJSON_AddStringToObject (body, "id", id);
  cJSON_AddNumberToObject (body, "type_id", type_id);
  cJSON_AddItemToArray (arr, o);
}

/* vocab.txt (+ tokenizer_config.json): what transformers' BertConverter builds. */
static cJSON *
bert_json_from_vocab_txt (const char *path, const cJSON *tc, const cJSON *stm, GError **error)
{
  g_autofree char *data = NULL;
  gsize n = 0;
  g_autoptr(GError) local = NULL;
  g_autoptr(cJSON) root = cJSON_CreateObject ();
  cJSON *model, *vocab, *added, *norm, *post, *single, *pair, *st, *dec;
  const cJSON *v;
  gboolean lower = TRUE, chinese = TRUE;
  int strip = -1;
  const char *unk, *sep, *cls, *pad, *mask;
  char *line, *save = NULL;
  guint id = 0;

  if (!g_file_get_contents (path, &data, &n, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }
  if (!g_utf8_validate_len (data, n, NULL) || memchr (data, '\0', n) != NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not UTF-8 text", path);
      return NULL;
    }
  v = tc != NULL ? cJSON_GetObjectItemCaseSensitive (tc, "do_lower_case") : NULL;
  if (cJSON_IsBool (v))
    lower = cJSON_IsTrue (v);
  v = tc != NULL ? cJSON_GetObjectItemCaseSensitive (tc, "tokenize_chinese_chars") : NULL;
  if (cJSON_IsBool (v))
    chinese = cJSON_IsTrue (v);
  v = tc != NULL ? cJSON_GetObjectItemCaseSensitive (tc, "strip_accents") : NULL;
  if (cJSON_IsBool (v))
    strip = cJSON_IsTrue (v);

  model = cJSON_AddObjectToObject (root, "model");
  cJSON_AddStringToObject (model, "type", "WordPiece");
  vocab = cJSON_AddObjectToObject (model, "vocab");
  for (line = strtok_r (data, "\n", &save); line != NULL; line = strtok_r (NULL, "\n", &save))
    {
      gsize l = strlen (line);
      while (l > 0 && g_ascii_isspace (line[l - 1]))
        line[--l] = '\0';
      if (cJSON_GetObjectItemCaseSensitive (vocab, line) != NULL)
        cJSON_DeleteItemFromObjectCaseSensitive (vocab, line);
      cJSON_AddNumberToObject (vocab, line, id++);
    }
  /* strtok_r skips empty lines, which BERT's vocab never has */
  unk = config_token (tc, stm, "unk_token");
  sep = config_token (tc, stm, "sep_token");
  cls = config_token (tc, stm, "cls_token");
  pad = config_token (tc, stm, "pad_token");
  mask = config_token (tc, stm, "mask_token");
  unk = unk != NULL ? unk : "[UNK]";
  sep = sep != NULL ? sep : "[SEP]";
  cls = cls != NULL ? cls : "[CLS]";
  pad = pad != NULL ? pad : "[PAD]";
  mask = mask != NULL ? mask : "[MASK]";
  cJSON_AddStringToObject (model, "unk_token", unk);
  cJSON_AddStringToObject (model, "continuing_subword_prefix", "##");
  cJSON_AddNumberToObject (model, "max_input_chars_per_word", 100);

  added = cJSON_AddArrayToObject (root, "added_tokens");
  add_special_json (added, pad, json_vocab_id (vocab, pad), FALSE);
  add_special_json (added, unk, json_vocab_id (vocab, unk), FALSE);
  add_special_json (added, cls, json_vocab_id (vocab, cls), FALSE);
  add_special_json (added, sep, json_vocab_id (vocab, sep), FALSE);
  add_special_json (added, mask, json_vocab_id (vocab, mask), FALSE);

  norm = cJSON_AddObjectToObject (root, "normalizer");
  cJSON_AddStringToObject (norm, "type", "BertNormalizer");
  cJSON_AddBoolToObject (norm, "clean_text", TRUE);
  cJSON_AddBoolToObject (norm, "handle_chinese_chars", chinese);
  if (strip < 0)
    cJSON_AddNullToObject (norm, "strip_accents");
  else
    cJSON_AddBoolToObject (norm, "strip_accents", strip);
  cJSON_AddBoolToObject (norm, "lowercase", lower);
  cJSON_AddStringToObject (cJSON_AddObjectToObject (root, "pre_tokenizer"), "type", "BertPreTokenizer");

  if (json_vocab_id (vocab, cls) < 0 || json_vocab_id (vocab, sep) < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the cls token '%s' or sep token '%s' is not in the vocabulary",
                   path, cls, sep);
      return NULL;
    }
  post = cJSON_AddObjectToObject (root, "post_processor");
  cJSON_AddStringToObject (post, "type", "TemplateProcessing");
  single = cJSON_AddArrayToObject (post, "single");
  template_add (single, TRUE, cls, 0);
  template_add (single, FALSE, "A", 0);
  template_add (single, TRUE, sep, 0);
  pair = cJSON_AddArrayToObject (post, "pair");
  template_add (pair, TRUE, cls, 0);
  template_add (pair, FALSE, "A", 0);
  template_add (pair, TRUE, sep, 0);
  template_add (pair, FALSE, "B", 1);
  template_add (pair, TRUE, sep, 1);
  st = cJSON_AddObjectToObject (post, "special_tokens");
  cJSON_AddItemToObject (st, cls, template_special (cls, json_vocab_id (vocab, cls)));
  if (!g_str_equal (cls, sep))
    cJSON_AddItemToObject (st, sep, template_special (sep, json_vocab_id (vocab, sep)));

  dec = cJSON_AddObjectToObject (root, "decoder");
  cJSON_AddStringToObject (dec, "type", "WordPiece");
  cJSON_AddStringToObject (dec, "prefix", "##");
  cJSON_AddBoolToObject (dec, "cleanup", TRUE);
  return g_steal_pointer (&root);
}

/* vocab.json + merges.txt: what transformers' RobertaConverter builds. */
static cJSON *
roberta_json_from_files (const char *vocab_path, const char *merges_path,
                         const cJSON *tc, const cJSON *stm, GError **error)
{
  g_autofree char *vdata = NULL, *mdata = NULL;
  gsize vn = 0, mn = 0;
  g_autoptr(GError) local = NULL;
  g_autoptr(cJSON) root = cJSON_CreateObject ();
  cJSON *vocab, *model, *merges, *added, *pre, *post, *dec, *arr;
  const cJSON *v;
  gboolean aps = FALSE;
  const char *bos, *eos, *sep, *cls, *unk, *pad, *mask;
  g_auto(GStrv) lines = NULL;
  guint lineno = 0;

  if (!g_file_get_contents (vocab_path, &vdata, &vn, &local) ||
      !g_file_get_contents (merges_path, &mdata, &mn, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local->message);
      return NULL;
    }
  vocab = cJSON_ParseWithLength (vdata, vn);
  if (!cJSON_IsObject (vocab))
    {
      cJSON_Delete (vocab);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected a JSON object of token: id", vocab_path);
      return NULL;
    }
  v = tc != NULL ? cJSON_GetObjectItemCaseSensitive (tc, "add_prefix_space") : NULL;
  if (cJSON_IsBool (v))
    aps = cJSON_IsTrue (v);

  model = cJSON_AddObjectToObject (root, "model");
  cJSON_AddStringToObject (model, "type", "BPE");
  cJSON_AddItemToObject (model, "vocab", vocab);
  cJSON_AddStringToObject (model, "continuing_subword_prefix", "");
  cJSON_AddStringToObject (model, "end_of_word_suffix", "");
  cJSON_AddBoolToObject (model, "fuse_unk", FALSE);
  merges = cJSON_AddArrayToObject (model, "merges");
  if (!g_utf8_validate_len (mdata, mn, NULL))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not UTF-8 text", merges_path);
      return NULL;
    }
  lines = g_strsplit (mdata, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      gsize len = strlen (*l);
      lineno++;
      if (len > 0 && (*l)[len - 1] == '\r')
        (*l)[--len] = '\0';
      if (len == 0 || (lineno == 1 && g_str_has_prefix (*l, "#version")))
        continue;
      cJSON_AddItemToArray (merges, cJSON_CreateString (*l));
    }

  bos = config_token (tc, stm, "bos_token");
  eos = config_token (tc, stm, "eos_token");
  sep = config_token (tc, stm, "sep_token");
  cls = config_token (tc, stm, "cls_token");
  unk = config_token (tc, stm, "unk_token");
  pad = config_token (tc, stm, "pad_token");
  mask = config_token (tc, stm, "mask_token");
  bos = bos != NULL ? bos : "<s>";
  eos = eos != NULL ? eos : "</s>";
  sep = sep != NULL ? sep : "</s>";
  cls = cls != NULL ? cls : "<s>";
  unk = unk != NULL ? unk : "<unk>";
  pad = pad != NULL ? pad : "<pad>";
  mask = mask != NULL ? mask : "<mask>";
  added = cJSON_AddArrayToObject (root, "added_tokens");
  {
    const char *order[] = { bos, pad, eos, unk, sep, cls };
    for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
      {
        gboolean dup = FALSE;
        for (gsize k = 0; k < i; k++)
          dup |= g_str_equal (order[k], order[i]);
        if (!dup)
          add_special_json (added, order[i], json_vocab_id (vocab, order[i]), FALSE);
      }
    add_special_json (added, mask, json_vocab_id (vocab, mask), TRUE);
  }
  if (json_vocab_id (vocab, cls) < 0 || json_vocab_id (vocab, sep) < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the cls token '%s' or sep token '%s' is not in the vocabulary",
                   vocab_path, cls, sep);
      return NULL;
    }
  pre = cJSON_AddObjectToObject (root, "pre_tokenizer");
  cJSON_AddStringToObject (pre, "type", "ByteLevel");
  cJSON_AddBoolToObject (pre, "add_prefix_space", aps);
  cJSON_AddBoolToObject (pre, "trim_offsets", TRUE);
  cJSON_AddBoolToObject (pre, "use_regex", TRUE);
  post = cJSON_AddObjectToObject (root, "post_processor");
  cJSON_AddStringToObject (post, "type", "RobertaProcessing");
  arr = cJSON_AddArrayToObject (post, "sep");
  cJSON_AddItemToArray (arr, cJSON_CreateString (sep));
  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) json_vocab_id (vocab, sep)));
  arr = cJSON_AddArrayToObject (post, "cls");
  cJSON_AddItemToArray (arr, cJSON_CreateString (cls));
  cJSON_AddItemToArray (arr, cJSON_CreateNumber ((double) json_vocab_id (vocab, cls)));
  cJSON_AddBoolToObject (post, "trim_offsets", TRUE);
  cJSON_AddBoolToObject (post, "add_prefix_space", aps);
  dec = cJSON_AddObjectToObject (root, "decoder");
  cJSON_AddStringToObject (dec, "type", "ByteLevel");
  return g_steal_pointer (&root);
}

static gboolean
file_exists (const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);

  return g_file_test (p, G_FILE_TEST_IS_REGULAR);
}

static void
keep_file (VsTokenizer *tok, const char *dir, const char *name)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize n = 0;

  for (guint i = 0; i < tok->files->len; i++)
    if (g_str_equal (g_array_index (tok->files, SavedFile, i).name, name))
      return;
  if (g_file_get_contents (p, &data, &n, NULL))
    {
      SavedFile f = { g_strdup (name), g_bytes_new_take (g_steal_pointer (&data), n) };
      g_array_append_val (tok->files, f);
    }
}

static gboolean
is_roberta_style (const char *model_type)
{
  static const char *const types[] = {
    "roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "mpnet", "longformer",
    "data2vec-text", "luke", "ibert", "roberta-prelayernorm",
  };

  for (gsize i = 0; model_type != NULL && i < G_N_ELEMENTS (types); i++)
    if (g_str_equal (model_type, types[i]))
      return TRUE;
  return FALSE;
}

/* sentence-transformers' rule; see the header. */
static void
folder_max_length (VsTokenizer *tok, const cJSON *sbc, const cJSON *tc, const cJSON *cfg)
{
  const cJSON *v;
  gsize max = 0;

  v = sbc != NULL ? cJSON_GetObjectItemCaseSensitive (sbc, "do_lower_case") : NULL;
  tok->lowercase_input = cJSON_IsTrue (v);
  v = sbc != NULL ? cJSON_GetObjectItemCaseSensitive (sbc, "max_seq_length") : NULL;
  if (cJSON_IsNumber (v) && v->valuedouble >= 1)
    {
      tok->max_length = (gsize) v->valuedouble;
      return;
    }
  v = tc != NULL ? cJSON_GetObjectItemCaseSensitive (tc, "model_max_length") : NULL;
  if (cJSON_IsNumber (v) && v->valuedouble >= 1 && v->valuedouble < 1e12)
    max = (gsize) v->valuedouble;
  v = cfg != NULL ? cJSON_GetObjectItemCaseSensitive (cfg, "max_position_embeddings") : NULL;
  if (cJSON_IsNumber (v) && v->valuedouble >= 1)
    {
      const cJSON *mt = cJSON_GetObjectItemCaseSensitive (cfg, "model_type");
      gsize cap = (gsize) v->valuedouble;
      if (cJSON_IsString (mt) && is_roberta_style (mt->valuestring) && cap > 2)
        cap -= 2;
      if (max == 0 || max > cap)
        max = cap;
    }
  tok->max_length = max;
}

static void
find_pad_id (VsTokenizer *tok, const cJSON *tc, const cJSON *stm, const cJSON *tj)
{
  const char *pad = config_token (tc, stm, "pad_token");
  const cJSON *padding = tj != NULL ? cJSON_GetObjectItemCaseSensitive (tj, "padding") : NULL;

  tok->pad_id = -1;
  if (pad != NULL)
    tok->pad_id = vs_tokenizer_token_to_id (tok, pad);
  if (tok->pad_id < 0 && cJSON_IsObject (padding) &&
      cJSON_IsString (cJSON_GetObjectItemCaseSensitive (padding, "pad_token")))
    tok->pad_id = vs_tokenizer_token_to_id (tok, cJSON_GetObjectItemCaseSensitive (padding, "pad_token")->valuestring);
  if (tok->pad_id < 0)
    {
      static const char *const names[] = { "[PAD]", "<pad>", "<|pad|>" };
      for (gsize i = 0; i < G_N_ELEMENTS (names) && tok->pad_id < 0; i++)
        {
          gpointer v = g_hash_table_lookup (tok->added_by_content, names[i]);
          if (v != NULL)
            tok->pad_id = g_array_index (tok->added, AddedToken, GPOINTER_TO_UINT (v) - 1).id;
        }
    }
}

static VsTokenizer *
load_folder (const char *dir, GError **error)
{
  g_autoptr(cJSON) tc = NULL;
  g_autoptr(cJSON) stm = NULL;
  g_autoptr(cJSON) sbc = NULL;
  g_autoptr(cJSON) cfg = NULL;
  g_autoptr(cJSON) tj = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  GError *local = NULL;
  static const char *const configs[] = { "tokenizer_config.json", "special_tokens_map.json",
                                         "sentence_bert_config.json", "config.json" };
  cJSON **slots[] = { &tc, &stm, &sbc, &cfg };

  for (gsize i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      *slots[i] = read_json_file (dir, configs[i], NULL, &local);
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return NULL;
        }
    }

  if (file_exists (dir, "tokenizer.json"))
    {
      g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
      g_autofree char *data = NULL;
      gsize n = 0;
      g_autoptr(GError) ioerr = NULL;

      if (!g_file_get_contents (path, &data, &n, &ioerr))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, ioerr->message);
          return NULL;
        }
      tok = vs_tokenizer_new_from_json_data (data, n, path, error);
      if (tok == NULL)
        return NULL;
      tj = cJSON_ParseWithLength (data, n);
    }
  else if (file_exists (dir, "vocab.txt"))
    {
      g_autofree char *path = g_build_filename (dir, "vocab.txt", NULL);
      g_autoptr(cJSON) root = bert_json_from_vocab_txt (path, tc, stm, error);
      if (root == NULL)
        return NULL;
      tok = tokenizer_from_cjson (root, path, error);
      if (tok == NULL)
        return NULL;
      keep_file (tok, dir, "vocab.txt");
    }
  else if (file_exists (dir, "vocab.json") && file_exists (dir, "merges.txt"))
    {
      g_autofree char *vpath = g_build_filename (dir, "vocab.json", NULL);
      g_autofree char *mpath = g_build_filename (dir, "merges.txt", NULL);
      g_autoptr(cJSON) root = roberta_json_from_files (vpath, mpath, tc, stm, error);
      if (root == NULL)
        return NULL;
      tok = tokenizer_from_cjson (root, vpath, error);
      if (tok == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                   "%s: no tokenizer.json, vocab.txt or vocab.json + merges.txt", dir);
      return NULL;
    }
  /* the files a saved model carries along, byte for byte */
  {
    static const char *const extra[] = { "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                                         "vocab.json", "merges.txt", "added_tokens.json" };
    for (gsize i = 0; i < G_N_ELEMENTS (extra); i++)
      if (file_exists (dir, extra[i]))
        keep_file (tok, dir, extra[i]);
  }
  g_free (tok->source);
  tok->source = g_strdup (dir);
  folder_max_length (tok, sbc, tc, cfg);
  find_pad_id (tok, tc, stm, tj);
  return g_steal_pointer (&tok);
}

VsTokenizer *
vs_tokenizer_new_from_path (const char *path,
                            GError    **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return load_folder (path, error);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *data = NULL;
      gsize n = 0;
      g_autoptr(GError) ioerr = NULL;
      g_autoptr(cJSON) tj = NULL;
      VsTokenizer *tok;

      if (!g_file_get_contents (path, &data, &n, &ioerr))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, ioerr->message);
          return NULL;
        }
      tok = vs_tokenizer_new_from_json_data (data, n, path, error);
      if (tok != NULL)
        {
          tj = cJSON_ParseWithLength (data, n);
          find_pad_id (tok, NULL, NULL, tj);
        }
      return tok;
    }
  g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: no such file or folder", path);
  return NULL;
}
