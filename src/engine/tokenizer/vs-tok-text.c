/* vs-tok-text.c: normalized strings with alignments, Unicode predicates,
 * pattern matches and splitting (Hugging Face tokenizers' NormalizedString
 * and Pattern), plus the JSON field helpers of the tokenizer loader. */
#include "config.h"

#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "vs-error.h"

/* ------------------------------------------------------------- VsNStr */

VsNStr *
vs_nstr_new_original (const char *text,
                      gsize       len)
{
  VsNStr *ns = g_new0 (VsNStr, 1);
  const char *p = text;
  const char *end = text + len;

  ns->s = g_string_new_len (text, len);
  ns->align = g_array_sized_new (FALSE, FALSE, sizeof (VsAlign), len);
  /* Every byte of a character maps to the whole character, as in HF. */
  while (p < end)
    {
      const char *next = g_utf8_next_char (p);
      VsAlign a = { (guint32) (p - text), (guint32) (next - text) };

      for (const char *q = p; q < next; q++)
        g_array_append_val (ns->align, a);
      p = next;
    }
  return ns;
}

VsNStr *
vs_nstr_slice (const VsNStr *ns,
               gsize         start,
               gsize         end)
{
  VsNStr *out = g_new0 (VsNStr, 1);

  out->s = g_string_new_len (ns->s->str + start, end - start);
  out->align = g_array_sized_new (FALSE, FALSE, sizeof (VsAlign), end - start);
  g_array_append_vals (out->align, &g_array_index (ns->align, VsAlign, start), end - start);
  return out;
}

void
vs_nstr_free (VsNStr *ns)
{
  if (ns == NULL)
    return;
  g_string_free (ns->s, TRUE);
  g_array_unref (ns->align);
  g_free (ns);
}

gboolean
vs_nstr_original_range (const VsNStr *ns,
                        gsize         start,
                        gsize         end,
                        gsize        *o_start,
                        gsize        *o_end)
{
  if (start >= end || end > ns->align->len)
    return FALSE;
  *o_start = g_array_index (ns->align, VsAlign, start).start;
  *o_end = g_array_index (ns->align, VsAlign, end - 1).end;
  return TRUE;
}

/* ----------------------------------------------------------- VsNBuild */

void
vs_nbuild_init (VsNBuild     *b,
                const VsNStr *src)
{
  b->src = src;
  b->pos = 0;
  b->dst = g_new0 (VsNStr, 1);
  b->dst->s = g_string_sized_new (src->s->len + 8);
  b->dst->align = g_array_sized_new (FALSE, FALSE, sizeof (VsAlign), src->s->len + 8);
}

static void
nbuild_consume (VsNBuild *b,
                gsize     n_chars)
{
  const char *s = b->src->s->str;
  gsize len = b->src->s->len;

  while (n_chars-- > 0 && b->pos < len)
    b->pos = g_utf8_next_char (s + b->pos) - s;
}

void
vs_nbuild_skip (VsNBuild *b,
                gsize     n_chars)
{
  nbuild_consume (b, n_chars);
}

void
vs_nbuild_emit (VsNBuild *b,
                gunichar  c,
                int       change)
{
  const GArray *sa = b->src->align;
  VsAlign a = { 0, 0 };
  char buf[6];
  int n;

  if (change > 0)
    {
      /* An inserted character shares the alignment of the byte before it. */
      if (b->pos >= 1 && b->pos - 1 < sa->len)
        a = g_array_index (sa, VsAlign, b->pos - 1);
    }
  else if (b->pos < sa->len)
    a = g_array_index (sa, VsAlign, b->pos);
  else if (sa->len > 0)
    a = g_array_index (sa, VsAlign, sa->len - 1);

  if (change <= 0)
    nbuild_consume (b, 1);
  if (change < 0)
    nbuild_consume (b, (gsize) -change);

  n = g_unichar_to_utf8 (c, buf);
  g_string_append_len (b->dst->s, buf, n);
  for (int i = 0; i < n; i++)
    g_array_append_val (b->dst->align, a);
}

void
vs_nbuild_copy_char (VsNBuild *b)
{
  const char *s = b->src->s->str;
  gsize len = b->src->s->len;
  gsize next;

  if (b->pos >= len)
    return;
  next = g_utf8_next_char (s + b->pos) - s;
  g_string_append_len (b->dst->s, s + b->pos, next - b->pos);
  g_array_append_vals (b->dst->align, &g_array_index (b->src->align, VsAlign, b->pos), next - b->pos);
  b->pos = next;
}

void
vs_nbuild_finish (VsNBuild *b,
                  VsNStr   *ns)
{
  g_string_free (ns->s, TRUE);
  g_array_unref (ns->align);
  ns->s = b->dst->s;
  ns->align = b->dst->align;
  g_free (b->dst);
  b->dst = NULL;
}

glong
vs_utf8_count (const char *s, gsize len)
{
  glong n = 0;

  /* count lead bytes; unlike g_utf8_strlen, NULs are characters here */
  for (gsize i = 0; i < len; i++)
    if (((guchar) s[i] & 0xC0) != 0x80)
      n++;
  return n;
}

/* ---------------------------------------------------- UTF-8 repair */

/* Length of the valid UTF-8 sequence at p (1-4), or 0 with *bad set to the
 * length of the maximal invalid subpart (Unicode 15 §3.9, "U+FFFD
 * substitution of maximal subparts"), which is what Rust's from_utf8_lossy
 * and the WHATWG decoder (Node's Buffer.toString) do. */
static gsize
utf8_seq_len (const guint8 *p,
              gsize         left,
              gsize        *bad)
{
  guint8 c = p[0];
  gsize need;
  guint8 lo = 0x80, hi = 0xBF;

  *bad = 1;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF)
    {
      need = 2;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      need = 3;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    }
  else
    return 0;

  for (gsize i = 1; i <= need; i++)
    {
      guint8 lo_i = i == 1 ? lo : 0x80;
      guint8 hi_i = i == 1 ? hi : 0xBF;

      if (i >= left || p[i] < lo_i || p[i] > hi_i)
        {
          *bad = i;
          return 0;
        }
    }
  return need + 1;
}

gboolean
vs_utf8_is_valid (const char *text, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      gsize bad;
      gsize n = utf8_seq_len ((const guint8 *) text + i, len - i, &bad);
      if (n == 0)
        return FALSE;
      i += n;
    }
  return TRUE;
}

char *
vs_utf8_repair (const char *text,
                gsize       len,
                gsize      *out_len)
{
  const guint8 *p = (const guint8 *) text;
  GString *out;
  gsize i = 0;

  if (len == 0 || text == NULL)
    {
      *out_len = 0;
      return g_strdup ("");
    }
  if (g_utf8_validate_len (text, len, NULL))
    {
      char *copy = g_malloc (len + 1);
      memcpy (copy, text, len);   /* not g_strndup: the text may hold NULs */
      copy[len] = '\0';
      *out_len = len;
      return copy;
    }
  out = g_string_sized_new (len + 16);
  while (i < len)
    {
      gsize bad;
      gsize n = utf8_seq_len (p + i, len - i, &bad);

      if (n > 0)
        {
          g_string_append_len (out, text + i, n);
          i += n;
        }
      else
        {
          g_string_append (out, "\xEF\xBF\xBD");
          i += bad;
        }
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

/* -------------------------------------------------------- Unicode */

gboolean
vs_uni_is_whitespace (gunichar c)
{
  /* Rust's char::is_whitespace is the White_Space property: GLib's
   * isspace (Zs, Zl, Zp, \t\n\v\f\r) plus NEL. */
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || g_unichar_isspace (c);
}

gboolean
vs_uni_is_punctuation (gunichar c)
{
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
           (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return TRUE;
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
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

gboolean
vs_uni_is_numeric (gunichar c)
{
  GUnicodeType t;

  if (c < 0x80)
    return c >= '0' && c <= '9';
  t = g_unichar_type (c);
  return t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_LETTER_NUMBER ||
         t == G_UNICODE_OTHER_NUMBER;
}

/* ---------------------------------------------------------- matches */

GArray *
vs_matches_char (const char *s,
                 gsize       len,
                 VsCharPred  pred)
{
  GArray *m = g_array_new (FALSE, FALSE, sizeof (VsMatch));
  gsize last = 0;
  const char *p = s;
  const char *end = s + len;

  if (len == 0)
    {
      VsMatch e = { 0, 0, FALSE };
      g_array_append_val (m, e);
      return m;
    }
  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (pred (c))
        {
          gsize b = p - s;
          if (last < b)
            {
              VsMatch r = { last, b, FALSE };
              g_array_append_val (m, r);
            }
          VsMatch r2 = { b, next - s, TRUE };
          g_array_append_val (m, r2);
          last = next - s;
        }
      p = next;
    }
  if (last < len)
    {
      VsMatch r = { last, len, FALSE };
      g_array_append_val (m, r);
    }
  return m;
}

GArray *
vs_matches_regex (const char   *s,
                  gsize         len,
                  const GRegex *re)
{
  GArray *m = g_array_new (FALSE, FALSE, sizeof (VsMatch));
  g_autoptr(GMatchInfo) info = NULL;
  gsize prev = 0;

  if (len == 0)
    {
      VsMatch e = { 0, 0, FALSE };
      g_array_append_val (m, e);
      return m;
    }
  g_regex_match_full (re, s, len, 0, 0, &info, NULL);
  while (g_match_info_matches (info))
    {
      int ms, me;

      g_match_info_fetch_pos (info, 0, &ms, &me);
      if ((gsize) ms != prev)
        {
          VsMatch r = { prev, ms, FALSE };
          g_array_append_val (m, r);
        }
      VsMatch r2 = { ms, me, TRUE };
      g_array_append_val (m, r2);
      prev = me;
      if (!g_match_info_next (info, NULL))
        break;
    }
  if (prev != len)
    {
      VsMatch r = { prev, len, FALSE };
      g_array_append_val (m, r);
    }
  return m;
}

void
vs_matches_invert (GArray *matches)
{
  for (guint i = 0; i < matches->len; i++)
    g_array_index (matches, VsMatch, i).is_match = !g_array_index (matches, VsMatch, i).is_match;
}

void
vs_nstr_split (const VsNStr   *ns,
               GArray         *matches,
               VsSplitBehavior behavior,
               GPtrArray      *out)
{
  g_autoptr(GArray) sp = g_array_new (FALSE, FALSE, sizeof (VsMatch));
  gboolean prev = FALSE;

  /* sp holds (range, remove) pairs; is_match doubles as "remove". */
  switch (behavior)
    {
    case VS_SPLIT_REMOVED:
      g_array_append_vals (sp, matches->data, matches->len);
      break;
    case VS_SPLIT_ISOLATED:
      for (guint i = 0; i < matches->len; i++)
        {
          VsMatch r = g_array_index (matches, VsMatch, i);
          r.is_match = FALSE;
          g_array_append_val (sp, r);
        }
      break;
    case VS_SPLIT_CONTIGUOUS:
      for (guint i = 0; i < matches->len; i++)
        {
          VsMatch r = g_array_index (matches, VsMatch, i);
          gboolean m = r.is_match;
          if (m == prev && sp->len > 0)
            g_array_index (sp, VsMatch, sp->len - 1).end = r.end;
          else
            {
              r.is_match = FALSE;
              g_array_append_val (sp, r);
            }
          prev = m;
        }
      break;
    case VS_SPLIT_MERGED_WITH_PREVIOUS:
      for (guint i = 0; i < matches->len; i++)
        {
          VsMatch r = g_array_index (matches, VsMatch, i);
          gboolean m = r.is_match;
          if (m && !prev && sp->len > 0)
            g_array_index (sp, VsMatch, sp->len - 1).end = r.end;
          else
            {
              r.is_match = FALSE;
              g_array_append_val (sp, r);
            }
          prev = m;
        }
      break;
    case VS_SPLIT_MERGED_WITH_NEXT:
      for (guint i = matches->len; i-- > 0;)
        {
          VsMatch r = g_array_index (matches, VsMatch, i);
          gboolean m = r.is_match;
          if (m && !prev && sp->len > 0)
            g_array_index (sp, VsMatch, sp->len - 1).start = r.start;
          else
            {
              r.is_match = FALSE;
              g_array_append_val (sp, r);
            }
          prev = m;
        }
      /* built back to front */
      for (guint i = 0; i < sp->len / 2; i++)
        {
          VsMatch t = g_array_index (sp, VsMatch, i);
          g_array_index (sp, VsMatch, i) = g_array_index (sp, VsMatch, sp->len - 1 - i);
          g_array_index (sp, VsMatch, sp->len - 1 - i) = t;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  for (guint i = 0; i < sp->len; i++)
    {
      VsMatch r = g_array_index (sp, VsMatch, i);
      if (r.is_match || r.end <= r.start)
        continue;
      g_ptr_array_add (out, vs_nstr_slice (ns, r.start, r.end));
    }
}

/* ------------------------------------------------------ JSON helpers */

const char *
vs_json_type (const cJSON *o)
{
  if (o == NULL)
    return "missing";
  if (cJSON_IsNull (o))
    return "null";
  if (cJSON_IsBool (o))
    return "a boolean";
  if (cJSON_IsNumber (o))
    return "a number";
  if (cJSON_IsString (o))
    return "a string";
  if (cJSON_IsArray (o))
    return "an array";
  if (cJSON_IsObject (o))
    return "an object";
  return "invalid";
}

/* Sets "where.field: expected <expected>, got <type of v>"; returns FALSE. */
static gboolean
wrong_field_type (const char  *where,
                  const char  *field,
                  const char  *expected,
                  const cJSON *v,
                  GError     **error)
{
  g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.%s: expected %s, got %s",
               where, field, expected, vs_json_type (v));
  return FALSE;
}

gboolean
vs_json_get_bool (const cJSON *o,
                  const char  *field,
                  gboolean     def,
                  const char  *where,
                  gboolean    *out,
                  GError     **error)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (o, field);

  if (v == NULL || cJSON_IsNull (v))
    *out = def;
  else if (cJSON_IsBool (v))
    *out = cJSON_IsTrue (v);
  else
    return wrong_field_type (where, field, "a boolean", v, error);
  return TRUE;
}

gboolean
vs_json_get_int (const cJSON *o,
                 const char  *field,
                 gint64       def,
                 const char  *where,
                 gint64      *out,
                 GError     **error)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (o, field);

  if (v == NULL || cJSON_IsNull (v))
    *out = def;
  else if (cJSON_IsNumber (v) && v->valuedouble == (double) (gint64) v->valuedouble)
    *out = (gint64) v->valuedouble;
  else
    return wrong_field_type (where, field, "an integer", v, error);
  return TRUE;
}

gboolean
vs_json_get_string (const cJSON *o,
                    const char  *field,
                    const char  *where,
                    const char **out,
                    GError     **error)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (o, field);

  if (v == NULL || cJSON_IsNull (v))
    *out = NULL;
  else if (cJSON_IsString (v))
    *out = v->valuestring;
  else
    return wrong_field_type (where, field, "a string", v, error);
  return TRUE;
}

const char *
vs_json_component_type (const cJSON *j,
                        const char  *where,
                        GError     **error)
{
  const char *type = NULL;

  if (!cJSON_IsObject (j))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: expected an object, got %s", where, vs_json_type (j));
      return NULL;
    }
  if (!vs_json_get_string (j, "type", where, &type, error))
    return NULL;
  if (type == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.type: missing", where);
      return NULL;
    }
  return type;
}

GPtrArray *
vs_json_parse_children (const cJSON    *j,
                        const char     *field,
                        const char     *where,
                        VsJsonParseFunc parse,
                        GDestroyNotify  free_func,
                        GError        **error)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive (j, field);
  g_autoptr(GPtrArray) children = NULL;
  const cJSON *it;
  int i = 0;

  if (!cJSON_IsArray (arr))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.%s: expected an array, got %s",
                   where, field, vs_json_type (arr));
      return NULL;
    }
  children = g_ptr_array_new_with_free_func (free_func);
  cJSON_ArrayForEach (it, arr)
    {
      g_autofree char *w = g_strdup_printf ("%s.%s[%d]", where, field, i++);
      gpointer c = parse (it, w, error);
      if (c == NULL)
        return NULL;
      g_ptr_array_add (children, c);
    }
  return g_steal_pointer (&children);
}
