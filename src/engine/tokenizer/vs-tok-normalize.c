/* vs-tok-normalize.c: the normalizers of tokenizer.json (BertNormalizer,
 * NFC/NFD/NFKC/NFKD, Lowercase, StripAccents, Strip, Replace, Prepend, Nmt,
 * Precompiled, Sequence), each rewriting a VsNStr with HF's alignment rules.
 * Unicode data comes from GLib (decompositions, combining classes, general
 * categories, case mappings, g_utf8_normalize). */
#include "config.h"

#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "vs-error.h"

typedef enum
{
  NORM_BERT,
  NORM_NFC,
  NORM_NFD,
  NORM_NFKC,
  NORM_NFKD,
  NORM_LOWERCASE,
  NORM_STRIP_ACCENTS,
  NORM_STRIP,
  NORM_REPLACE,
  NORM_PREPEND,
  NORM_NMT,
  NORM_PRECOMPILED,
  NORM_SEQUENCE,
} NormKind;

/* SentencePiece's precompiled charsmap: a Darts double-array trie over
 * UTF-8 keys whose values are offsets into a blob of NUL-terminated
 * replacement strings. */
typedef struct
{
  guint32 *units;
  gsize    n_units;
  char    *normalized;
  gsize    normalized_len;
} Precompiled;

struct _VsNormalizer
{
  NormKind     kind;
  gboolean     clean_text;
  gboolean     handle_chinese_chars;
  gboolean     strip_accents;
  gboolean     lowercase;
  gboolean     strip_left;
  gboolean     strip_right;
  GRegex      *pattern;      /* Replace */
  char        *content;      /* Replace / Prepend */
  Precompiled  pc;
  GPtrArray   *children;     /* Sequence */
};

/* --------------------------------------------------------- helpers */

static gboolean
str_is_ascii (const GString *s)
{
  for (gsize i = 0; i < s->len; i++)
    if ((guchar) s->str[i] >= 0x80)
      return FALSE;
  return TRUE;
}

static gboolean
is_other (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
      return TRUE;
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    case G_UNICODE_SPACE_SEPARATOR:
    default:
      return FALSE;
    }
}

/* The CJK blocks of BERT's _is_chinese_char (part of BERT's definition). */
static gboolean
is_chinese_char (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* ------------------------------------------------- elementary rewrites */

typedef gboolean (*KeepFunc) (gunichar c, gpointer data);

static void
norm_filter (VsNStr *ns, KeepFunc keep, gpointer data)
{
  VsNBuild b;
  const char *p = ns->s->str;
  const char *end = p + ns->s->len;

  vs_nbuild_init (&b, ns);
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      if (keep (c, data))
        vs_nbuild_copy_char (&b);
      else
        vs_nbuild_skip (&b, 1);
      p = g_utf8_next_char (p);
    }
  vs_nbuild_finish (&b, ns);
}

static gboolean
is_cased (gunichar c)
{
  return g_unichar_isupper (c) || g_unichar_islower (c) || g_unichar_istitle (c);
}

/* Python's str.lower() rule for capital sigma at p: final (ς) after a cased
 * letter and not before one, marks skipped. */
static gboolean
sigma_is_final (const char *start, const char *p, const char *end)
{
  const char *q = p;
  gboolean before = FALSE, after = FALSE;

  while (q > start)
    {
      gunichar c;
      q = g_utf8_prev_char (q);
      c = g_utf8_get_char (q);
      if (g_unichar_ismark (c))
        continue;
      before = is_cased (c);
      break;
    }
  for (q = g_utf8_next_char (p); q < end; q = g_utf8_next_char (q))
    {
      gunichar c = g_utf8_get_char (q);
      if (g_unichar_ismark (c))
        continue;
      after = is_cased (c);
      break;
    }
  return before && !after;
}

static void norm_lowercase_full (VsNStr *ns, gboolean final_sigma);

static void
norm_lowercase (VsNStr *ns)
{
  norm_lowercase_full (ns, FALSE);
}

void
vs_nstr_lowercase_python (VsNStr *ns)
{
  norm_lowercase_full (ns, TRUE);
}

static void
norm_lowercase_full (VsNStr  *ns,
                     gboolean final_sigma)
{
  VsNBuild b;
  const char *p = ns->s->str;
  const char *end = p + ns->s->len;
  gboolean changes = FALSE;

  for (gsize i = 0; i < ns->s->len; i++)
    {
      guchar ch = ns->s->str[i];
      if (ch >= 0x80 || (ch >= 'A' && ch <= 'Z'))
        {
          changes = TRUE;
          break;
        }
    }
  if (!changes)
    return;

  vs_nbuild_init (&b, ns);
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (c < 0x80)
        vs_nbuild_emit (&b, g_ascii_tolower (c), 0);
      else if (c == 0x3A3 && final_sigma && sigma_is_final (ns->s->str, p, end))
        vs_nbuild_emit (&b, 0x3C2, 0);
      else if (c == 0x130)
        {
          /* the one unconditional full mapping of SpecialCasing.txt:
           * İ -> i + U+0307; the second character is inserted */
          vs_nbuild_emit (&b, 'i', 0);
          vs_nbuild_emit (&b, 0x307, 1);
        }
      else
        {
          /* per character, no final-sigma context, as Rust's char::to_lowercase */
          gunichar l = g_unichar_tolower (c);
          if (l == c)
            vs_nbuild_copy_char (&b);
          else
            vs_nbuild_emit (&b, l, 0);
        }
      p = next;
    }
  vs_nbuild_finish (&b, ns);
}

typedef struct
{
  gunichar c;
  int      change;
  int      ccc;
} DecompChar;

/* NFD / NFKD, as unicode-normalization-alignments does it: each character
 * decomposes into (first, 0), (rest, +1)…, then runs of non-starters are
 * stably sorted by combining class, carrying their change with them. */
static void
norm_decompose (VsNStr *ns, gboolean compat)
{
  g_autoptr(GArray) out = NULL;
  VsNBuild b;
  const char *p = ns->s->str;
  const char *end = p + ns->s->len;
  gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];

  if (str_is_ascii (ns->s))
    return;
  out = g_array_sized_new (FALSE, FALSE, sizeof (DecompChar), ns->s->len + 8);
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      gsize n;

      /* nothing below U+00A0 decomposes, nothing below U+00C0 canonically */
      if (c < (compat ? 0xA0u : 0xC0u))
        n = (buf[0] = c, 1);
      else
        n = g_unichar_fully_decompose (c, compat, buf, G_N_ELEMENTS (buf));
      for (gsize i = 0; i < n; i++)
        {
          DecompChar d = { buf[i], i > 0 ? 1 : 0, buf[i] < 0x300 ? 0 : g_unichar_combining_class (buf[i]) };
          g_array_append_val (out, d);
        }
      p = g_utf8_next_char (p);
    }
  /* canonical ordering: insertion sort inside each run of ccc > 0 */
  for (guint i = 1; i < out->len; i++)
    {
      DecompChar d = g_array_index (out, DecompChar, i);
      guint j = i;

      if (d.ccc == 0)
        continue;
      while (j > 0 && g_array_index (out, DecompChar, j - 1).ccc > d.ccc)
        {
          g_array_index (out, DecompChar, j) = g_array_index (out, DecompChar, j - 1);
          j--;
        }
      g_array_index (out, DecompChar, j) = d;
    }
  vs_nbuild_init (&b, ns);
  for (guint i = 0; i < out->len; i++)
    vs_nbuild_emit (&b, g_array_index (out, DecompChar, i).c, g_array_index (out, DecompChar, i).change);
  vs_nbuild_finish (&b, ns);
}

/* NFC / NFKC. The text is g_utf8_normalize's; alignments are assigned per
 * segment (a starter and its non-starters): n input characters giving m
 * output characters map position by position, extra outputs are inserted,
 * missing ones are swallowed by the last output. Where normalizing segment
 * by segment differs from the whole string (conjoining jamo, some Indic
 * two-part vowels), the whole string is one segment. */
static void
norm_compose (VsNStr *ns, gboolean compat)
{
  GNormalizeMode mode = compat ? G_NORMALIZE_NFKC : G_NORMALIZE_NFC;
  g_autofree char *whole = NULL;
  g_autoptr(GString) joined = NULL;
  g_autoptr(GArray) seg = NULL;
  const char *s = ns->s->str;
  gsize len = ns->s->len;
  VsNBuild b;

  if (str_is_ascii (ns->s))
    return;
  whole = g_utf8_normalize (s, len, mode);
  if (whole == NULL)
    return;
  seg = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (p == s || (c < 0x300 ? 0 : g_unichar_combining_class (c)) == 0)
        {
          gsize off = p - s;
          g_array_append_val (seg, off);
        }
    }
  g_array_append_val (seg, len);

  joined = g_string_sized_new (len);
  vs_nbuild_init (&b, ns);
  for (int pass = 0; pass < 2; pass++)
    {
      guint nseg = seg->len - 1;

      if (pass == 1)
        {
          /* fall back to one segment */
          g_array_set_size (seg, 2);
          g_array_index (seg, gsize, 1) = len;
          nseg = 1;
          vs_nbuild_finish (&b, ns);   /* discard */
          s = ns->s->str;
          vs_nbuild_init (&b, ns);
        }
      g_string_truncate (joined, 0);
      for (guint i = 0; i < nseg; i++)
        {
          gsize a = g_array_index (seg, gsize, i);
          gsize e = g_array_index (seg, gsize, i + 1);
          g_autofree char *o = NULL;

          if (pass == 0 && e - a == 1 && (guchar) s[a] < 0x80)
            {
              /* ASCII (NUL included) is its own normal form */
              g_string_append_c (joined, s[a]);
              vs_nbuild_copy_char (&b);
              continue;
            }
          o = pass == 1 ? g_strdup (whole) : g_utf8_normalize (s + a, e - a, mode);
          glong n = vs_utf8_count (s + a, e - a);
          glong m = o != NULL ? g_utf8_strlen (o, -1) : 0;
          glong k = 0;

          if (o == NULL)
            continue;
          g_string_append (joined, o);
          for (const char *q = o; *q != '\0'; q = g_utf8_next_char (q), k++)
            {
              int change;
              if (k >= n)
                change = 1;
              else if (k == m - 1 && m < n)
                change = (int) -(n - m);
              else
                change = 0;
              vs_nbuild_emit (&b, g_utf8_get_char (q), change);
            }
          if (m == 0)
            vs_nbuild_skip (&b, n);
        }
      if (strcmp (joined->str, whole) == 0)
        break;
    }
  vs_nbuild_finish (&b, ns);
}

static gboolean
keep_not_mn (gunichar c, gpointer data)
{
  return c < 0x300 || g_unichar_type (c) != G_UNICODE_NON_SPACING_MARK;
}

static gboolean
keep_not_mark (gunichar c, gpointer data)
{
  GUnicodeType t;

  if (c < 0x300)
    return TRUE;
  t = g_unichar_type (c);
  return t != G_UNICODE_NON_SPACING_MARK && t != G_UNICODE_SPACING_MARK &&
         t != G_UNICODE_ENCLOSING_MARK;
}

static void
norm_bert (const VsNormalizer *n, VsNStr *ns)
{
  if (n->clean_text)
    {
      VsNBuild b;
      const char *p = ns->s->str;
      const char *end = p + ns->s->len;

      vs_nbuild_init (&b, ns);
      while (p < end)
        {
          gunichar c = g_utf8_get_char (p);

          if (c == '\t' || c == '\n' || c == '\r')
            vs_nbuild_emit (&b, ' ', 0);
          else if (c == 0 || c == 0xFFFD || (c < 0x20 || c == 0x7F) || (c >= 0x80 && is_other (c)))
            vs_nbuild_skip (&b, 1);
          else if (c == ' ' || (c >= 0x80 && vs_uni_is_whitespace (c)))
            vs_nbuild_emit (&b, ' ', 0);
          else
            vs_nbuild_copy_char (&b);
          p = g_utf8_next_char (p);
        }
      vs_nbuild_finish (&b, ns);
    }
  if (n->handle_chinese_chars && !str_is_ascii (ns->s))
    {
      VsNBuild b;
      const char *p = ns->s->str;
      const char *end = p + ns->s->len;

      vs_nbuild_init (&b, ns);
      while (p < end)
        {
          gunichar c = g_utf8_get_char (p);
          if (is_chinese_char (c))
            {
              vs_nbuild_emit (&b, ' ', 0);
              vs_nbuild_emit (&b, c, 1);
              vs_nbuild_emit (&b, ' ', 1);
            }
          else
            vs_nbuild_copy_char (&b);
          p = g_utf8_next_char (p);
        }
      vs_nbuild_finish (&b, ns);
    }
  if (n->strip_accents && !str_is_ascii (ns->s))
    {
      norm_decompose (ns, FALSE);
      norm_filter (ns, keep_not_mn, NULL);
    }
  if (n->lowercase)
    norm_lowercase (ns);
}

static void
norm_strip (const VsNormalizer *n, VsNStr *ns)
{
  const char *s = ns->s->str;
  gsize len = ns->s->len;
  gsize lead = 0, trail = 0, count;
  const char *p;
  VsNBuild b;

  count = vs_utf8_count (s, len);
  if (n->strip_left)
    for (p = s; p < s + len && vs_uni_is_whitespace (g_utf8_get_char (p)); p = g_utf8_next_char (p))
      lead++;
  if (n->strip_right && lead < count)
    for (p = s + len; p > s;)
      {
        const char *q = g_utf8_prev_char (p);
        if (!vs_uni_is_whitespace (g_utf8_get_char (q)))
          break;
        trail++;
        p = q;
      }
  if (lead == 0 && trail == 0)
    return;
  vs_nbuild_init (&b, ns);
  vs_nbuild_skip (&b, lead);
  for (gsize i = lead; i + trail < count; i++)
    vs_nbuild_copy_char (&b);
  vs_nbuild_finish (&b, ns);
}

static void
norm_replace (const VsNormalizer *n, VsNStr *ns)
{
  g_autoptr(GArray) m = vs_matches_regex (ns->s->str, ns->s->len, n->pattern);
  gboolean any = FALSE;
  VsNBuild b;

  for (guint i = 0; i < m->len; i++)
    any |= g_array_index (m, VsMatch, i).is_match;
  if (!any)
    return;
  vs_nbuild_init (&b, ns);
  for (guint i = 0; i < m->len; i++)
    {
      VsMatch r = g_array_index (m, VsMatch, i);
      glong nchars = vs_utf8_count (ns->s->str + r.start, r.end - r.start);

      if (!r.is_match)
        {
          for (glong k = 0; k < nchars; k++)
            vs_nbuild_copy_char (&b);
          continue;
        }
      /* HF: transform_range(match, content chars as insertions, removed = match chars) */
      vs_nbuild_skip (&b, nchars);
      for (const char *q = n->content; *q != '\0'; q = g_utf8_next_char (q))
        vs_nbuild_emit (&b, g_utf8_get_char (q), 1);
    }
  vs_nbuild_finish (&b, ns);
}

static void
prepend_string (VsNStr *ns, const char *what)
{
  VsNBuild b;
  int i = 0;

  if (ns->s->len == 0 || *what == '\0')
    return;
  vs_nbuild_init (&b, ns);
  {
    gunichar first = g_utf8_get_char (ns->s->str);
    for (const char *q = what; *q != '\0'; q = g_utf8_next_char (q), i++)
      vs_nbuild_emit (&b, g_utf8_get_char (q), i > 0 ? 1 : 0);
    vs_nbuild_emit (&b, first, 1);
  }
  while (b.pos < ns->s->len)
    vs_nbuild_copy_char (&b);
  vs_nbuild_finish (&b, ns);
}

void
vs_nstr_prepend (VsNStr *ns, const char *what)
{
  prepend_string (ns, what);
}

static gboolean
keep_nmt (gunichar c, gpointer data)
{
  return !((c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) ||
           c == 0x7F || c == 0x8F || c == 0x9F);
}

static void
norm_nmt (VsNStr *ns)
{
  VsNBuild b;
  const char *p, *end;

  norm_filter (ns, keep_nmt, NULL);
  p = ns->s->str;
  end = p + ns->s->len;
  vs_nbuild_init (&b, ns);
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      if (c == 0x9 || c == 0xA || c == 0xC || c == 0xD || c == 0x1680 ||
          (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 ||
          c == 0x2581 || c == 0xFEFF || c == 0xFFFD)
        vs_nbuild_emit (&b, ' ', 0);
      else
        vs_nbuild_copy_char (&b);
      p = g_utf8_next_char (p);
    }
  vs_nbuild_finish (&b, ns);
}

/* ------------------------------------------------------ Precompiled */

static gboolean
precompiled_parse (Precompiled *pc,
                   const char  *b64,
                   const char  *where,
                   GError     **error)
{
  gsize n = 0;
  g_autofree guchar *blob = NULL;
  guint32 trie_size;

  if (b64 == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.precompiled_charsmap: missing", where);
      return FALSE;
    }
  blob = g_base64_decode (b64, &n);
  if (n < 4)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s.precompiled_charsmap: %zu bytes, too short for a charsmap", where, n);
      return FALSE;
    }
  trie_size = (guint32) blob[0] | ((guint32) blob[1] << 8) | ((guint32) blob[2] << 16) | ((guint32) blob[3] << 24);
  if (trie_size % 4 != 0 || (gsize) trie_size > n - 4 || trie_size == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s.precompiled_charsmap: trie size %u does not fit the %zu-byte blob",
                   where, trie_size, n);
      return FALSE;
    }
  pc->n_units = trie_size / 4;
  pc->units = g_new (guint32, pc->n_units);
  for (gsize i = 0; i < pc->n_units; i++)
    {
      const guchar *u = blob + 4 + 4 * i;
      pc->units[i] = (guint32) u[0] | ((guint32) u[1] << 8) | ((guint32) u[2] << 16) | ((guint32) u[3] << 24);
    }
  pc->normalized_len = n - 4 - trie_size;
  pc->normalized = g_malloc (pc->normalized_len + 1);
  memcpy (pc->normalized, blob + 4 + trie_size, pc->normalized_len);
  pc->normalized[pc->normalized_len] = '\0';
  return TRUE;
}

#define DARTS_HAS_LEAF(u) ((((u) >> 8) & 1) == 1)
#define DARTS_VALUE(u)    ((u) & ((1u << 31) - 1))
#define DARTS_LABEL(u)    ((u) & ((1u << 31) | 0xFF))
#define DARTS_OFFSET(u)   (((u) >> 10) << (((u) & (1u << 9)) >> 6))

/* The first (shortest) prefix of key found in the trie, as spm_precompiled's
 * transform() uses results[0]; returns the replacement or NULL. */
static const char *
precompiled_lookup (const Precompiled *pc,
                    const guchar      *key,
                    gsize              len)
{
  gsize node = 0;
  guint32 unit;

  if (pc->n_units == 0)
    return NULL;
  unit = pc->units[0];
  node ^= DARTS_OFFSET (unit);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = key[i];
      if (c == 0)
        break;
      node ^= c;
      if (node >= pc->n_units)
        return NULL;
      unit = pc->units[node];
      if (DARTS_LABEL (unit) != c)
        return NULL;
      node ^= DARTS_OFFSET (unit);
      if (DARTS_HAS_LEAF (unit))
        {
          guint32 v;
          if (node >= pc->n_units)
            return NULL;
          v = DARTS_VALUE (pc->units[node]);
          if (v >= pc->normalized_len)
            return NULL;
          return pc->normalized + v;
        }
    }
  return NULL;
}

static gboolean
is_grapheme_extend (gunichar c)
{
  GUnicodeType t;

  if (c == 0x200C || c == 0x200D || (c >= 0x1F3FB && c <= 0x1F3FF) ||
      c == 0xFF9E || c == 0xFF9F || (c >= 0xE0020 && c <= 0xE007F))
    return TRUE;
  if (c < 0x300)
    return FALSE;
  t = g_unichar_type (c);
  return t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_ENCLOSING_MARK ||
         t == G_UNICODE_SPACING_MARK;
}

static gboolean
is_grapheme_control (gunichar c)
{
  GUnicodeType t;

  if (c == '\r' || c == '\n')
    return TRUE;
  if (c == 0x200C || c == 0x200D)
    return FALSE;
  t = g_unichar_type (c);
  return t == G_UNICODE_CONTROL || t == G_UNICODE_LINE_SEPARATOR ||
         t == G_UNICODE_PARAGRAPH_SEPARATOR || t == G_UNICODE_FORMAT;
}

static gboolean
is_pictographic (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_OTHER_SYMBOL || (c >= 0x1F000 && c <= 0x1FAFF);
}

/* End of the extended grapheme cluster starting at p (UAX #29 rules
 * GB3-GB13, with GLib's properties; Prepend is not used). */
static const char *
grapheme_end (const char *p, const char *end)
{
  gunichar prev = g_utf8_get_char (p);
  GUnicodeBreakType pb = g_unichar_break_type (prev);
  gboolean pict_seq = is_pictographic (prev);
  int ri = pb == G_UNICODE_BREAK_REGIONAL_INDICATOR ? 1 : 0;
  const char *q = g_utf8_next_char (p);

  while (q < end)
    {
      gunichar c = g_utf8_get_char (q);
      GUnicodeBreakType cb = g_unichar_break_type (c);
      gboolean join = FALSE;

      if (prev == '\r' && c == '\n')
        join = TRUE;
      else if (is_grapheme_control (prev) || is_grapheme_control (c))
        join = FALSE;
      else if (pb == G_UNICODE_BREAK_HANGUL_L_JAMO &&
               (cb == G_UNICODE_BREAK_HANGUL_L_JAMO || cb == G_UNICODE_BREAK_HANGUL_V_JAMO ||
                cb == G_UNICODE_BREAK_HANGUL_LV_SYLLABLE || cb == G_UNICODE_BREAK_HANGUL_LVT_SYLLABLE))
        join = TRUE;
      else if ((pb == G_UNICODE_BREAK_HANGUL_LV_SYLLABLE || pb == G_UNICODE_BREAK_HANGUL_V_JAMO) &&
               (cb == G_UNICODE_BREAK_HANGUL_V_JAMO || cb == G_UNICODE_BREAK_HANGUL_T_JAMO))
        join = TRUE;
      else if ((pb == G_UNICODE_BREAK_HANGUL_LVT_SYLLABLE || pb == G_UNICODE_BREAK_HANGUL_T_JAMO) &&
               cb == G_UNICODE_BREAK_HANGUL_T_JAMO)
        join = TRUE;
      else if (is_grapheme_extend (c))
        join = TRUE;
      else if (prev == 0x200D && pict_seq && is_pictographic (c))
        join = TRUE;
      else if (cb == G_UNICODE_BREAK_REGIONAL_INDICATOR && ri % 2 == 1)
        join = TRUE;

      if (!join)
        break;
      if (cb == G_UNICODE_BREAK_REGIONAL_INDICATOR)
        ri++;
      if (!is_grapheme_extend (c))
        pict_seq = is_pictographic (c);
      prev = c;
      pb = cb;
      q = g_utf8_next_char (q);
    }
  return q;
}

typedef struct
{
  gunichar c;
  int      change;
} Change;

static void
pc_replace (GArray *tr, const char *old_part, gsize old_len, const char *new_part)
{
  glong old_count = vs_utf8_count (old_part, old_len);
  glong new_count = g_utf8_strlen (new_part, -1);
  glong diff = new_count - old_count;

  for (const char *q = new_part; *q != '\0'; q = g_utf8_next_char (q))
    {
      Change ch = { g_utf8_get_char (q), 0 };
      g_array_append_val (tr, ch);
    }
  if (diff > 0)
    {
      for (glong k = 0; k < diff && (guint) k < tr->len; k++)
        g_array_index (tr, Change, tr->len - 1 - k).change = 1;
    }
  else if (diff < 0 && tr->len > 0)
    g_array_index (tr, Change, tr->len - 1).change += (int) diff;
}

static void
norm_precompiled (const Precompiled *pc, VsNStr *ns)
{
  g_autoptr(GArray) tr = g_array_sized_new (FALSE, FALSE, sizeof (Change), ns->s->len + 8);
  const char *s = ns->s->str;
  const char *end = s + ns->s->len;
  gboolean modified = FALSE;
  VsNBuild b;

  for (const char *g = s; g < end;)
    {
      const char *ge = grapheme_end (g, end);
      const char *norm;

      if (ge - g < 6 && (norm = precompiled_lookup (pc, (const guchar *) g, ge - g)) != NULL)
        {
          modified = TRUE;
          pc_replace (tr, g, ge - g, norm);
        }
      else
        for (const char *p = g; p < ge; p = g_utf8_next_char (p))
          {
            const char *next = g_utf8_next_char (p);
            if ((norm = precompiled_lookup (pc, (const guchar *) p, next - p)) != NULL)
              {
                modified = TRUE;
                pc_replace (tr, p, next - p, norm);
              }
            else
              {
                Change ch = { g_utf8_get_char (p), 0 };
                g_array_append_val (tr, ch);
              }
          }
      g = ge;
    }
  if (!modified)
    return;
  vs_nbuild_init (&b, ns);
  for (guint i = 0; i < tr->len; i++)
    vs_nbuild_emit (&b, g_array_index (tr, Change, i).c, g_array_index (tr, Change, i).change);
  vs_nbuild_finish (&b, ns);
}

/* ------------------------------------------------------------- public */

void
vs_normalizer_apply (const VsNormalizer *n,
                     VsNStr             *ns)
{
  if (n == NULL || ns->s->len == 0)
    return;
  switch (n->kind)
    {
    case NORM_BERT:
      norm_bert (n, ns);
      break;
    case NORM_NFC:
      norm_compose (ns, FALSE);
      break;
    case NORM_NFKC:
      norm_compose (ns, TRUE);
      break;
    case NORM_NFD:
      norm_decompose (ns, FALSE);
      break;
    case NORM_NFKD:
      norm_decompose (ns, TRUE);
      break;
    case NORM_LOWERCASE:
      norm_lowercase (ns);
      break;
    case NORM_STRIP_ACCENTS:
      norm_filter (ns, keep_not_mark, NULL);
      break;
    case NORM_STRIP:
      norm_strip (n, ns);
      break;
    case NORM_REPLACE:
      norm_replace (n, ns);
      break;
    case NORM_PREPEND:
      prepend_string (ns, n->content);
      break;
    case NORM_NMT:
      norm_nmt (ns);
      break;
    case NORM_PRECOMPILED:
      norm_precompiled (&n->pc, ns);
      break;
    case NORM_SEQUENCE:
      for (guint i = 0; i < n->children->len; i++)
        vs_normalizer_apply (g_ptr_array_index (n->children, i), ns);
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
vs_normalizer_apply_str (const VsNormalizer *n,
                         const char         *s)
{
  g_autoptr(VsNStr) ns = vs_nstr_new_original (s, strlen (s));

  vs_normalizer_apply (n, ns);
  return g_strndup (ns->s->str, ns->s->len);
}

void
vs_normalizer_free (VsNormalizer *n)
{
  if (n == NULL)
    return;
  g_clear_pointer (&n->pattern, g_regex_unref);
  g_free (n->content);
  g_free (n->pc.units);
  g_free (n->pc.normalized);
  g_clear_pointer (&n->children, g_ptr_array_unref);
  g_free (n);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsNormalizer, vs_normalizer_free)

GRegex *
vs_pattern_from_json (const cJSON *j,
                      const char  *where,
                      GError     **error)
{
  const cJSON *str = cJSON_GetObjectItemCaseSensitive (j, "String");
  const cJSON *rx = cJSON_GetObjectItemCaseSensitive (j, "Regex");
  g_autofree char *src = NULL;
  g_autoptr(GError) local = NULL;
  GRegex *re;

  if (cJSON_IsString (str))
    src = g_regex_escape_string (str->valuestring, -1);
  else if (cJSON_IsString (rx))
    src = g_strdup (rx->valuestring);
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s.pattern: expected {\"String\": …} or {\"Regex\": …}", where);
      return NULL;
    }
  if (*src == '\0')
    src = g_strdup ("(?!)");   /* an empty pattern matches nothing in HF */
  re = g_regex_new (src, G_REGEX_OPTIMIZE, 0, &local);
  if (re == NULL)
    g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.pattern: %s", where, local->message);
  return re;
}

VsNormalizer *
vs_normalizer_new_from_json (const cJSON *j,
                             const char  *where,
                             GError     **error)
{
  g_autoptr(VsNormalizer) n = g_new0 (VsNormalizer, 1);
  const char *type = vs_json_component_type (j, where, error);

  if (type == NULL)
    return NULL;

  if (g_str_equal (type, "BertNormalizer"))
    {
      /* strip_accents null (or absent) follows lowercase, as in HF */
      n->kind = NORM_BERT;
      if (!vs_json_get_bool (j, "clean_text", TRUE, where, &n->clean_text, error) ||
          !vs_json_get_bool (j, "handle_chinese_chars", TRUE, where, &n->handle_chinese_chars, error) ||
          !vs_json_get_bool (j, "lowercase", TRUE, where, &n->lowercase, error) ||
          !vs_json_get_bool (j, "strip_accents", n->lowercase, where, &n->strip_accents, error))
        return NULL;
    }
  else if (g_str_equal (type, "NFC"))
    n->kind = NORM_NFC;
  else if (g_str_equal (type, "NFD"))
    n->kind = NORM_NFD;
  else if (g_str_equal (type, "NFKC"))
    n->kind = NORM_NFKC;
  else if (g_str_equal (type, "NFKD"))
    n->kind = NORM_NFKD;
  else if (g_str_equal (type, "Lowercase"))
    n->kind = NORM_LOWERCASE;
  else if (g_str_equal (type, "StripAccents"))
    n->kind = NORM_STRIP_ACCENTS;
  else if (g_str_equal (type, "Nmt"))
    n->kind = NORM_NMT;
  else if (g_str_equal (type, "Strip"))
    {
      n->kind = NORM_STRIP;
      if (!vs_json_get_bool (j, "strip_left", TRUE, where, &n->strip_left, error) ||
          !vs_json_get_bool (j, "strip_right", TRUE, where, &n->strip_right, error))
        return NULL;
    }
  else if (g_str_equal (type, "Replace"))
    {
      const char *content = NULL;
      g_autofree char *w = g_strdup_printf ("%s", where);
      n->kind = NORM_REPLACE;
      if (!vs_json_get_string (j, "content", where, &content, error))
        return NULL;
      if (content == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.content: missing", where);
          return NULL;
        }
      n->content = g_strdup (content);
      n->pattern = vs_pattern_from_json (cJSON_GetObjectItemCaseSensitive (j, "pattern"), w, error);
      if (n->pattern == NULL)
        return NULL;
    }
  else if (g_str_equal (type, "Prepend"))
    {
      const char *prepend = NULL;
      n->kind = NORM_PREPEND;
      if (!vs_json_get_string (j, "prepend", where, &prepend, error))
        return NULL;
      if (prepend == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.prepend: missing", where);
          return NULL;
        }
      n->content = g_strdup (prepend);
    }
  else if (g_str_equal (type, "Precompiled"))
    {
      const char *b64 = NULL;
      n->kind = NORM_PRECOMPILED;
      if (!vs_json_get_string (j, "precompiled_charsmap", where, &b64, error))
        return NULL;
      /* an empty charsmap (some converted models) normalizes nothing */
      if (b64 != NULL && *b64 == '\0')
        {
          n->kind = NORM_SEQUENCE;
          n->children = g_ptr_array_new ();
        }
      else if (!precompiled_parse (&n->pc, b64, where, error))
        return NULL;
    }
  else if (g_str_equal (type, "Sequence"))
    {
      n->kind = NORM_SEQUENCE;
      n->children = vs_json_parse_children (j, "normalizers", where,
                                            (VsJsonParseFunc) vs_normalizer_new_from_json,
                                            (GDestroyNotify) vs_normalizer_free, error);
      if (n->children == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.type: unknown normalizer type '%s'", where, type);
      return NULL;
    }
  return g_steal_pointer (&n);
}
