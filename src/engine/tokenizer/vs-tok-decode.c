/* vs-tok-decode.c: the decoders of tokenizer.json (WordPiece, ByteLevel,
 * Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder, Sequence),
 * each a rewrite of the list of token strings as HF's decode_chain. */
#include "config.h"

#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "vs-error.h"

typedef enum
{
  DEC_WORDPIECE,
  DEC_BYTE_LEVEL,
  DEC_METASPACE,
  DEC_REPLACE,
  DEC_BYTE_FALLBACK,
  DEC_FUSE,
  DEC_STRIP,
  DEC_BPE,
  DEC_SEQUENCE,
} DecKind;

struct _VsDecoder
{
  DecKind    kind;
  char      *prefix;        /* WordPiece prefix, BPE suffix, Replace content */
  gboolean   cleanup;
  gunichar   replacement;   /* Metaspace, Strip content */
  gboolean   prepend;       /* Metaspace: prepend_scheme != never */
  gint64     start;
  gint64     stop;
  GRegex    *pattern;
  GPtrArray *children;
};

static char *
replace_all (const char *s, const char *from, const char *to)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize flen = strlen (from);
  const char *p = s;
  const char *hit;

  while ((hit = strstr (p, from)) != NULL)
    {
      g_string_append_len (out, p, hit - p);
      g_string_append (out, to);
      p = hit + flen;
    }
  g_string_append (out, p);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
wordpiece_cleanup (const char *s)
{
  static const char *const pairs[][2] = {
    { " .", "." }, { " ?", "?" }, { " !", "!" }, { " ,", "," }, { " ' ", "'" },
    { " n't", "n't" }, { " 'm", "'m" }, { " do not", " don't" }, { " 's", "'s" },
    { " 've", "'ve" }, { " 're", "'re" },
  };
  char *cur = g_strdup (s);

  for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      char *next = replace_all (cur, pairs[i][0], pairs[i][1]);
      g_free (cur);
      cur = next;
    }
  return cur;
}

static void
set_token (GPtrArray *tokens, guint i, char *value)
{
  g_free (g_ptr_array_index (tokens, i));
  g_ptr_array_index (tokens, i) = value;
}

static void
fuse_into_one (GPtrArray *tokens, char *joined)
{
  g_ptr_array_set_size (tokens, 0);
  g_ptr_array_add (tokens, joined);
}

static char *
join_tokens (GPtrArray *tokens)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < tokens->len; i++)
    g_string_append (s, g_ptr_array_index (tokens, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A C string of len bytes without their NULs (decode's output cannot hold them). */
static char *
without_nuls (const char *s, gsize len)
{
  char *out = g_malloc (len + 1);
  gsize k = 0;

  for (gsize i = 0; i < len; i++)
    if (s[i] != '\0')
      out[k++] = s[i];
  out[k] = '\0';
  return out;
}

/* Rust's String::from_utf8_lossy */
static char *
lossy (GByteArray *bytes)
{
  gsize n;
  g_autofree char *fixed = vs_utf8_repair ((const char *) bytes->data, bytes->len, &n);

  return without_nuls (fixed, n);
}

void
vs_decoder_apply (const VsDecoder *d,
                  GPtrArray       *tokens)
{
  switch (d->kind)
    {
    case DEC_WORDPIECE:
      for (guint i = 0; i < tokens->len; i++)
        {
          const char *t = g_ptr_array_index (tokens, i);
          char *v;

          if (i == 0)
            v = g_strdup (t);
          else if (g_str_has_prefix (t, d->prefix))
            v = g_strdup (t + strlen (d->prefix));
          else
            v = g_strconcat (" ", t, NULL);
          if (d->cleanup)
            {
              char *c = wordpiece_cleanup (v);
              g_free (v);
              v = c;
            }
          set_token (tokens, i, v);
        }
      break;
    case DEC_BYTE_LEVEL:
      {
        g_autoptr(GByteArray) bytes = g_byte_array_new ();
        for (guint i = 0; i < tokens->len; i++)
          {
            const char *t = g_ptr_array_index (tokens, i);
            gsize mark = bytes->len;
            gboolean ok = TRUE;
            for (const char *p = t; *p != '\0'; p = g_utf8_next_char (p))
              {
                int b = vs_char_to_byte (g_utf8_get_char (p));
                guint8 bb = (guint8) b;
                if (b < 0)
                  {
                    ok = FALSE;
                    break;
                  }
                g_byte_array_append (bytes, &bb, 1);
              }
            if (!ok)
              {
                g_byte_array_set_size (bytes, mark);
                g_byte_array_append (bytes, (const guint8 *) t, strlen (t));
              }
          }
        fuse_into_one (tokens, lossy (bytes));
      }
      break;
    case DEC_METASPACE:
      for (guint i = 0; i < tokens->len; i++)
        {
          const char *t = g_ptr_array_index (tokens, i);
          GString *s = g_string_new (NULL);
          for (const char *p = t; *p != '\0'; p = g_utf8_next_char (p))
            {
              gunichar c = g_utf8_get_char (p);
              if (c == d->replacement)
                g_string_append_c (s, ' ');
              else
                g_string_append_unichar (s, c);
            }
          if (i == 0 && d->prepend && s->str[0] == ' ')
            g_string_erase (s, 0, 1);
          set_token (tokens, i, g_string_free (s, FALSE));
        }
      break;
    case DEC_REPLACE:
      for (guint i = 0; i < tokens->len; i++)
        {
          char *v = g_regex_replace_literal (d->pattern, g_ptr_array_index (tokens, i), -1, 0, d->prefix, 0, NULL);
          if (v != NULL)
            set_token (tokens, i, v);
        }
      break;
    case DEC_BYTE_FALLBACK:
      {
        GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
        g_autoptr(GByteArray) pending = g_byte_array_new ();
        for (guint i = 0; i <= tokens->len; i++)
          {
            const char *t = i < tokens->len ? g_ptr_array_index (tokens, i) : NULL;
            if (t != NULL && strlen (t) == 6 && g_str_has_prefix (t, "<0x") && t[5] == '>' &&
                g_ascii_isxdigit (t[3]) && g_ascii_isxdigit (t[4]))
              {
                guint8 b = (guint8) (g_ascii_xdigit_value (t[3]) * 16 + g_ascii_xdigit_value (t[4]));
                g_byte_array_append (pending, &b, 1);
                continue;
              }
            if (pending->len > 0)
              {
                if (vs_utf8_is_valid ((const char *) pending->data, pending->len))
                  g_ptr_array_add (out, without_nuls ((const char *) pending->data, pending->len));
                else
                  for (guint k = 0; k < pending->len; k++)
                    g_ptr_array_add (out, g_strdup ("\xEF\xBF\xBD"));
                g_byte_array_set_size (pending, 0);
              }
            if (t != NULL)
              g_ptr_array_add (out, g_strdup (t));
          }
        g_ptr_array_set_size (tokens, 0);
        for (guint i = 0; i < out->len; i++)
          g_ptr_array_add (tokens, g_strdup (g_ptr_array_index (out, i)));
        g_ptr_array_unref (out);
      }
      break;
    case DEC_FUSE:
      fuse_into_one (tokens, join_tokens (tokens));
      break;
    case DEC_STRIP:
      for (guint i = 0; i < tokens->len; i++)
        {
          const char *t = g_ptr_array_index (tokens, i);
          glong n = 0;
          g_autofree gunichar *chars = g_utf8_to_ucs4_fast (t, -1, &n);
          glong start_cut = 0, stop_cut = n;
          for (glong k = 0; k < d->start && k < n; k++)
            {
              if (chars[k] != d->replacement)
                break;
              start_cut = k + 1;
            }
          for (glong k = 0; k < d->stop && k < n; k++)
            {
              glong idx = n - k - 1;
              if (chars[idx] != d->replacement)
                break;
              stop_cut = idx;
            }
          if (stop_cut < start_cut)
            stop_cut = start_cut;
          set_token (tokens, i, g_ucs4_to_utf8 (chars + start_cut, stop_cut - start_cut, NULL, NULL, NULL));
        }
      break;
    case DEC_BPE:
      for (guint i = 0; i < tokens->len; i++)
        set_token (tokens, i, replace_all (g_ptr_array_index (tokens, i), d->prefix,
                                           i + 1 == tokens->len ? "" : " "));
      break;
    case DEC_SEQUENCE:
      for (guint i = 0; i < d->children->len; i++)
        vs_decoder_apply (g_ptr_array_index (d->children, i), tokens);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
vs_decoder_free (VsDecoder *d)
{
  if (d == NULL)
    return;
  g_free (d->prefix);
  g_clear_pointer (&d->pattern, g_regex_unref);
  g_clear_pointer (&d->children, g_ptr_array_unref);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsDecoder, vs_decoder_free)

VsDecoder *
vs_decoder_new_from_json (const cJSON *j,
                          const char  *where,
                          GError     **error)
{
  g_autoptr(VsDecoder) d = g_new0 (VsDecoder, 1);
  const char *type = vs_json_component_type (j, where, error);

  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "WordPiece"))
    {
      const char *prefix = NULL;
      d->kind = DEC_WORDPIECE;
      if (!vs_json_get_string (j, "prefix", where, &prefix, error) ||
          !vs_json_get_bool (j, "cleanup", TRUE, where, &d->cleanup, error))
        return NULL;
      d->prefix = g_strdup (prefix != NULL ? prefix : "##");
    }
  else if (g_str_equal (type, "ByteLevel"))
    d->kind = DEC_BYTE_LEVEL;
  else if (g_str_equal (type, "Metaspace"))
    {
      const char *rep = NULL, *scheme = NULL;
      gboolean add_prefix_space;
      d->kind = DEC_METASPACE;
      if (!vs_json_get_string (j, "replacement", where, &rep, error) ||
          !vs_json_get_string (j, "prepend_scheme", where, &scheme, error) ||
          !vs_json_get_bool (j, "add_prefix_space", TRUE, where, &add_prefix_space, error))
        return NULL;
      d->replacement = g_utf8_get_char (rep != NULL ? rep : "\xE2\x96\x81");
      d->prepend = scheme != NULL ? !g_str_equal (scheme, "never") : add_prefix_space;
    }
  else if (g_str_equal (type, "Replace"))
    {
      const char *content = NULL;
      d->kind = DEC_REPLACE;
      if (!vs_json_get_string (j, "content", where, &content, error))
        return NULL;
      d->prefix = g_strdup (content != NULL ? content : "");
      d->pattern = vs_pattern_from_json (cJSON_GetObjectItemCaseSensitive (j, "pattern"), where, error);
      if (d->pattern == NULL)
        return NULL;
    }
  else if (g_str_equal (type, "ByteFallback"))
    d->kind = DEC_BYTE_FALLBACK;
  else if (g_str_equal (type, "Fuse"))
    d->kind = DEC_FUSE;
  else if (g_str_equal (type, "Strip"))
    {
      const char *content = NULL;
      d->kind = DEC_STRIP;
      if (!vs_json_get_string (j, "content", where, &content, error) ||
          !vs_json_get_int (j, "start", 0, where, &d->start, error) ||
          !vs_json_get_int (j, "stop", 0, where, &d->stop, error))
        return NULL;
      d->replacement = g_utf8_get_char (content != NULL ? content : " ");
    }
  else if (g_str_equal (type, "BPEDecoder"))
    {
      const char *suffix = NULL;
      d->kind = DEC_BPE;
      if (!vs_json_get_string (j, "suffix", where, &suffix, error))
        return NULL;
      d->prefix = g_strdup (suffix != NULL ? suffix : "</w>");
    }
  else if (g_str_equal (type, "Sequence"))
    {
      d->kind = DEC_SEQUENCE;
      d->children = vs_json_parse_children (j, "decoders", where,
                                            (VsJsonParseFunc) vs_decoder_new_from_json,
                                            (GDestroyNotify) vs_decoder_free, error);
      if (d->children == NULL)
        return NULL;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.type: unknown decoder type '%s'", where, type);
      return NULL;
    }
  return g_steal_pointer (&d);
}
