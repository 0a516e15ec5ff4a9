/* vs-tok-pretok.c: the pre-tokenizers of tokenizer.json (BertPreTokenizer,
 * Whitespace, WhitespaceSplit, ByteLevel, Metaspace, Punctuation, Digits,
 * Split, CharDelimiterSplit, UnicodeScripts, Sequence). Each cuts pieces into smaller
 * pieces; ByteLevel also rewrites them into GPT-2's byte alphabet. */
#include "config.h"

#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "vs-error.h"

typedef enum
{
  PRE_BERT,
  PRE_WHITESPACE,
  PRE_WHITESPACE_SPLIT,
  PRE_BYTE_LEVEL,
  PRE_METASPACE,
  PRE_PUNCTUATION,
  PRE_DIGITS,
  PRE_SPLIT,
  PRE_CHAR_DELIMITER,
  PRE_UNICODE_SCRIPTS,
  PRE_SEQUENCE,
} PreKind;

typedef enum
{
  PREPEND_ALWAYS,
  PREPEND_FIRST,
  PREPEND_NEVER,
} PrependScheme;

struct _VsPreTokenizer
{
  PreKind          kind;
  VsSplitBehavior  behavior;
  gboolean         invert;
  gboolean         add_prefix_space;
  gboolean         use_regex;
  gboolean         individual_digits;
  gboolean         split;
  PrependScheme    prepend_scheme;
  gunichar         replacement;
  char            *replacement_str;
  gunichar         delimiter;
  GRegex          *regex;
  GPtrArray       *children;
};

/* GPT-2's pattern (HF's ByteLevel::RE). */
#define GPT2_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
/* HF's Whitespace: \w+|[^\w\s]+ with Rust regex's Unicode \w. */
#define WORD_CLASS "\\p{L}\\p{Nl}\\p{Nd}\\p{M}\\p{Pc}\\x{200C}\\x{200D}"
#define WHITESPACE_PATTERN "[" WORD_CLASS "]+|[^" WORD_CLASS "\\s]+"

/* ----------------------------------------------------- byte alphabet */

/* bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the
 * other 68 bytes take the code points from 256 on, in byte order. */
gunichar
vs_byte_to_char (guint8 b)
{
  int n = 0;

  if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174))
    return b;
  for (int i = 0; i < b; i++)
    if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174)))
      n++;
  return 256 + n;
}

int
vs_char_to_byte (gunichar c)
{
  static gsize init = 0;
  static gint16 rev[324];

  if (g_once_init_enter (&init))
    {
      for (int i = 0; i < 324; i++)
        rev[i] = -1;
      for (int b = 0; b < 256; b++)
        rev[vs_byte_to_char (b)] = b;
      g_once_init_leave (&init, 1);
    }
  if (c >= 324)
    return -1;
  return rev[c];
}

static gunichar byte_chars[256];

static void
byte_chars_init (void)
{
  static gsize init = 0;

  if (g_once_init_enter (&init))
    {
      for (int b = 0; b < 256; b++)
        byte_chars[b] = vs_byte_to_char (b);
      g_once_init_leave (&init, 1);
    }
}

static void
to_byte_level (VsNStr *ns)
{
  VsNBuild b;
  const char *s = ns->s->str;
  const char *end = s + ns->s->len;

  vs_nbuild_init (&b, ns);
  for (const char *p = s; p < end;)
    {
      const char *next = g_utf8_next_char (p);
      for (const char *q = p; q < next; q++)
        vs_nbuild_emit (&b, byte_chars[(guint8) *q], q > p ? 1 : 0);
      p = next;
    }
  vs_nbuild_finish (&b, ns);
}

/* ------------------------------------------------------------ apply */

static gboolean
is_space_char (gunichar c)
{
  return c == ' ';
}

static gboolean
is_bert_punct (gunichar c)
{
  return vs_uni_is_punctuation (c);
}

/* The match list of every occurrence of the character c in ns (HF's
 * `char` Pattern); an empty ns gets one empty non-match when keep_empty. */
static GArray *
matches_of_char (const VsNStr *ns, gunichar c, gboolean keep_empty)
{
  GArray *m = g_array_new (FALSE, FALSE, sizeof (VsMatch));
  gsize last = 0;

  for (const char *q = ns->s->str; q < ns->s->str + ns->s->len; q = g_utf8_next_char (q))
    if (g_utf8_get_char (q) == c)
      {
        gsize b = q - ns->s->str;
        VsMatch r = { last, b, FALSE };
        VsMatch d = { b, g_utf8_next_char (q) - ns->s->str, TRUE };
        if (last < b)
          g_array_append_val (m, r);
        g_array_append_val (m, d);
        last = d.end;
      }
  if (last < ns->s->len || (keep_empty && ns->s->len == 0))
    {
      VsMatch r = { last, ns->s->len, FALSE };
      g_array_append_val (m, r);
    }
  return m;
}

static void
split_char (GPtrArray *out, VsNStr *ns, VsCharPred pred, VsSplitBehavior behavior, gboolean invert)
{
  g_autoptr(GArray) m = vs_matches_char (ns->s->str, ns->s->len, pred);

  if (invert)
    vs_matches_invert (m);
  vs_nstr_split (ns, m, behavior, out);
}

static void
split_regex (GPtrArray *out, VsNStr *ns, const GRegex *re, VsSplitBehavior behavior, gboolean invert)
{
  g_autoptr(GArray) m = vs_matches_regex (ns->s->str, ns->s->len, re);

  if (invert)
    vs_matches_invert (m);
  vs_nstr_split (ns, m, behavior, out);
}

static GPtrArray *
apply_one (const VsPreTokenizer *p, VsNStr *ns)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);

  switch (p->kind)
    {
    case PRE_BERT:
      {
        g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);
        split_char (words, ns, vs_uni_is_whitespace, VS_SPLIT_REMOVED, FALSE);
        for (guint i = 0; i < words->len; i++)
          split_char (out, g_ptr_array_index (words, i), is_bert_punct, VS_SPLIT_ISOLATED, FALSE);
      }
      break;
    case PRE_WHITESPACE:
      split_regex (out, ns, p->regex, VS_SPLIT_REMOVED, TRUE);
      break;
    case PRE_WHITESPACE_SPLIT:
      split_char (out, ns, vs_uni_is_whitespace, VS_SPLIT_REMOVED, FALSE);
      break;
    case PRE_PUNCTUATION:
      split_char (out, ns, is_bert_punct, p->behavior, FALSE);
      break;
    case PRE_DIGITS:
      split_char (out, ns, vs_uni_is_numeric,
                  p->individual_digits ? VS_SPLIT_ISOLATED : VS_SPLIT_CONTIGUOUS, FALSE);
      break;
    case PRE_SPLIT:
      split_regex (out, ns, p->regex, p->behavior, p->invert);
      break;
    case PRE_CHAR_DELIMITER:
      {
        g_autoptr(GArray) m = matches_of_char (ns, p->delimiter, FALSE);
        vs_nstr_split (ns, m, VS_SPLIT_REMOVED, out);
      }
      break;
    case PRE_UNICODE_SCRIPTS:
      {
        /* a cut wherever the script changes; Hiragana, Katakana and U+30FC
         * count as Han, and a space belongs to no script (HF's fixed_script) */
        gsize last = 0;
        int last_script = -2;   /* -2: none yet, -1: Any */
        for (const char *q = ns->s->str; q < ns->s->str + ns->s->len; q = g_utf8_next_char (q))
          {
            gunichar c = g_utf8_get_char (q);
            int script = (int) g_unichar_get_script (c);
            if (c == 0x30FC || script == G_UNICODE_SCRIPT_HIRAGANA || script == G_UNICODE_SCRIPT_KATAKANA)
              script = G_UNICODE_SCRIPT_HAN;
            if (c == ' ')
              script = -1;
            if (script != -1 && last_script != -1 && last_script != script)
              {
                gsize b = q - ns->s->str;
                if (b > last)
                  g_ptr_array_add (out, vs_nstr_slice (ns, last, b));
                last = b;
              }
            if (script != -1)
              last_script = script;
          }
        if (ns->s->len > last)
          g_ptr_array_add (out, vs_nstr_slice (ns, last, ns->s->len));
      }
      break;
    case PRE_BYTE_LEVEL:
      {
        g_autoptr(GPtrArray) tmp = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);
        if (p->add_prefix_space && ns->s->str[0] != ' ')
          vs_nstr_prepend (ns, " ");
        if (p->use_regex)
          split_regex (tmp, ns, p->regex, VS_SPLIT_ISOLATED, FALSE);
        else
          g_ptr_array_add (tmp, vs_nstr_slice (ns, 0, ns->s->len));
        for (guint i = 0; i < tmp->len; i++)
          {
            VsNStr *piece = g_ptr_array_index (tmp, i);
            to_byte_level (piece);
            g_ptr_array_add (out, piece);
          }
        g_ptr_array_set_free_func (tmp, NULL);
      }
      break;
    case PRE_METASPACE:
      {
        /* normalized.replace(' ', replacement) */
        {
          g_autoptr(GArray) m = vs_matches_char (ns->s->str, ns->s->len, is_space_char);
          VsNBuild b;
          vs_nbuild_init (&b, ns);
          for (guint i = 0; i < m->len; i++)
            {
              VsMatch r = g_array_index (m, VsMatch, i);
              if (r.is_match)
                {
                  vs_nbuild_skip (&b, 1);
                  for (const char *q = p->replacement_str; *q != '\0'; q = g_utf8_next_char (q))
                    vs_nbuild_emit (&b, g_utf8_get_char (q), 1);
                }
              else
                while (b.pos < r.end)
                  vs_nbuild_copy_char (&b);
            }
          vs_nbuild_finish (&b, ns);
        }
        if (ns->s->len > 0 && g_utf8_get_char (ns->s->str) != p->replacement)
          {
            if (p->prepend_scheme == PREPEND_ALWAYS ||
                (p->prepend_scheme == PREPEND_FIRST && g_array_index (ns->align, VsAlign, 0).start == 0))
              vs_nstr_prepend (ns, p->replacement_str);
          }
        if (p->split)
          {
            g_autoptr(GArray) m = matches_of_char (ns, p->replacement, TRUE);
            vs_nstr_split (ns, m, VS_SPLIT_MERGED_WITH_NEXT, out);
          }
        else if (ns->s->len > 0)
          g_ptr_array_add (out, vs_nstr_slice (ns, 0, ns->s->len));
      }
      break;
    case PRE_SEQUENCE:
      {
        GPtrArray *cur = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);
        g_ptr_array_add (cur, vs_nstr_slice (ns, 0, ns->s->len));
        for (guint i = 0; i < p->children->len; i++)
          cur = vs_pretokenizer_apply (g_ptr_array_index (p->children, i), cur);
        g_ptr_array_unref (out);
        out = cur;
      }
      break;
    default:
      g_assert_not_reached ();
    }
  return out;
}

GPtrArray *
vs_pretokenizer_apply (const VsPreTokenizer *p,
                       GPtrArray            *pieces)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_nstr_free);

  for (guint i = 0; i < pieces->len; i++)
    {
      VsNStr *ns = g_ptr_array_index (pieces, i);
      g_autoptr(GPtrArray) got = NULL;

      if (ns->s->len == 0)
        continue;
      got = apply_one (p, ns);
      g_ptr_array_set_free_func (got, NULL);
      for (guint k = 0; k < got->len; k++)
        {
          VsNStr *g = g_ptr_array_index (got, k);
          if (g->s->len == 0)
            vs_nstr_free (g);
          else
            g_ptr_array_add (out, g);
        }
    }
  g_ptr_array_unref (pieces);
  return out;
}

/* ------------------------------------------------------------- JSON */

void
vs_pretokenizer_free (VsPreTokenizer *p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->regex, g_regex_unref);
  g_clear_pointer (&p->children, g_ptr_array_unref);
  g_free (p->replacement_str);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsPreTokenizer, vs_pretokenizer_free)

static gboolean
parse_behavior (const cJSON *j, const char *where, VsSplitBehavior def, VsSplitBehavior *out, GError **error)
{
  const char *b = NULL;

  if (!vs_json_get_string (j, "behavior", where, &b, error))
    return FALSE;
  if (b == NULL)
    *out = def;
  else if (g_str_equal (b, "Removed"))
    *out = VS_SPLIT_REMOVED;
  else if (g_str_equal (b, "Isolated"))
    *out = VS_SPLIT_ISOLATED;
  else if (g_str_equal (b, "MergedWithPrevious"))
    *out = VS_SPLIT_MERGED_WITH_PREVIOUS;
  else if (g_str_equal (b, "MergedWithNext"))
    *out = VS_SPLIT_MERGED_WITH_NEXT;
  else if (g_str_equal (b, "Contiguous"))
    *out = VS_SPLIT_CONTIGUOUS;
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.behavior: unknown behavior '%s'", where, b);
      return FALSE;
    }
  return TRUE;
}

static GRegex *
compile_builtin (const char *pattern)
{
  GRegex *re = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, NULL);

  g_assert (re != NULL);   /* a fixed pattern of ours */
  return re;
}

VsPreTokenizer *
vs_pretokenizer_new_from_json (const cJSON *j,
                               const char  *where,
                               GError     **error)
{
  g_autoptr(VsPreTokenizer) p = g_new0 (VsPreTokenizer, 1);
  const char *type = vs_json_component_type (j, where, error);

  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "BertPreTokenizer"))
    p->kind = PRE_BERT;
  else if (g_str_equal (type, "Whitespace"))
    {
      p->kind = PRE_WHITESPACE;
      p->regex = compile_builtin (WHITESPACE_PATTERN);
    }
  else if (g_str_equal (type, "WhitespaceSplit"))
    p->kind = PRE_WHITESPACE_SPLIT;
  else if (g_str_equal (type, "ByteLevel"))
    {
      p->kind = PRE_BYTE_LEVEL;
      byte_chars_init ();
      if (!vs_json_get_bool (j, "add_prefix_space", TRUE, where, &p->add_prefix_space, error) ||
          !vs_json_get_bool (j, "use_regex", TRUE, where, &p->use_regex, error))
        return NULL;
      p->regex = compile_builtin (GPT2_PATTERN);
    }
  else if (g_str_equal (type, "Metaspace"))
    {
      const char *rep = NULL, *scheme = NULL;
      gboolean add_prefix_space;

      p->kind = PRE_METASPACE;
      if (!vs_json_get_string (j, "replacement", where, &rep, error) ||
          !vs_json_get_string (j, "prepend_scheme", where, &scheme, error) ||
          !vs_json_get_bool (j, "add_prefix_space", TRUE, where, &add_prefix_space, error) ||
          !vs_json_get_bool (j, "split", TRUE, where, &p->split, error))
        return NULL;
      if (rep == NULL)
        rep = "\xE2\x96\x81";
      if (g_utf8_strlen (rep, -1) != 1)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.replacement: expected one character, got '%s'", where, rep);
          return NULL;
        }
      p->replacement = g_utf8_get_char (rep);
      p->replacement_str = g_strdup (rep);
      if (scheme == NULL)
        p->prepend_scheme = add_prefix_space ? PREPEND_ALWAYS : PREPEND_NEVER;
      else if (g_str_equal (scheme, "always"))
        p->prepend_scheme = PREPEND_ALWAYS;
      else if (g_str_equal (scheme, "first"))
        p->prepend_scheme = PREPEND_FIRST;
      else if (g_str_equal (scheme, "never"))
        p->prepend_scheme = PREPEND_NEVER;
      else
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.prepend_scheme: unknown scheme '%s'", where, scheme);
          return NULL;
        }
    }
  else if (g_str_equal (type, "Punctuation"))
    {
      p->kind = PRE_PUNCTUATION;
      if (!parse_behavior (j, where, VS_SPLIT_ISOLATED, &p->behavior, error))
        return NULL;
    }
  else if (g_str_equal (type, "Digits"))
    {
      p->kind = PRE_DIGITS;
      if (!vs_json_get_bool (j, "individual_digits", FALSE, where, &p->individual_digits, error))
        return NULL;
    }
  else if (g_str_equal (type, "Split"))
    {
      p->kind = PRE_SPLIT;
      if (!parse_behavior (j, where, VS_SPLIT_REMOVED, &p->behavior, error) ||
          !vs_json_get_bool (j, "invert", FALSE, where, &p->invert, error))
        return NULL;
      if (cJSON_GetObjectItemCaseSensitive (j, "behavior") == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.behavior: missing", where);
          return NULL;
        }
      p->regex = vs_pattern_from_json (cJSON_GetObjectItemCaseSensitive (j, "pattern"), where, error);
      if (p->regex == NULL)
        return NULL;
    }
  else if (g_str_equal (type, "CharDelimiterSplit"))
    {
      const char *d = NULL;
      p->kind = PRE_CHAR_DELIMITER;
      if (!vs_json_get_string (j, "delimiter", where, &d, error))
        return NULL;
      if (d == NULL || g_utf8_strlen (d, -1) != 1)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.delimiter: expected one character", where);
          return NULL;
        }
      p->delimiter = g_utf8_get_char (d);
    }
  else if (g_str_equal (type, "UnicodeScripts"))
    p->kind = PRE_UNICODE_SCRIPTS;
  else if (g_str_equal (type, "Sequence"))
    {
      p->kind = PRE_SEQUENCE;
      p->children = vs_json_parse_children (j, "pretokenizers", where,
                                            (VsJsonParseFunc) vs_pretokenizer_new_from_json,
                                            (GDestroyNotify) vs_pretokenizer_free, error);
      if (p->children == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.type: unknown pre-tokenizer type '%s'", where, type);
      return NULL;
    }
  return g_steal_pointer (&p);
}
