/* vs-hub-share.c: repo names, the card's front matter, replaced files. */
#include "hub/vs-hub-share.h"

#include <string.h>

#include "vs-error.h"
#include "hub/vs-hub.h"

/* ---- repo names --------------------------------------------------------- */

gboolean
vs_hub_check_repo_name (const char *name,
                        GError    **error)
{
  gsize len;

  g_return_val_if_fail (name != NULL, FALSE);

  len = strlen (name);
  if (len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the repo name is empty");
      return FALSE;
    }
  if (len > VS_HUB_REPO_NAME_MAX)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "the repo name is %" G_GSIZE_FORMAT " characters long; the Hub allows at most %d",
                   len, VS_HUB_REPO_NAME_MAX);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = name[i];
      if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
        {
          if (c == ' ')
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "the repo name contains a space; use '-' or '_' instead");
          else if ((guchar) c < 0x80 && g_ascii_isprint (c))
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "the repo name contains '%c'; only letters, digits, '-', '_' and '.' are allowed", c);
          else
            g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                         "the repo name contains a character other than ASCII letters, digits, '-', '_' and '.'");
          return FALSE;
        }
    }
  if (name[0] == '-' || name[0] == '.')
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the repo name cannot start with '%c'", name[0]);
      return FALSE;
    }
  if (name[len - 1] == '-' || name[len - 1] == '.')
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the repo name cannot end with '%c'", name[len - 1]);
      return FALSE;
    }
  if (strstr (name, "--") != NULL || strstr (name, "..") != NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the repo name cannot contain \"%s\"",
                   strstr (name, "--") != NULL ? "--" : "..");
      return FALSE;
    }
  return TRUE;
}

/* ---- front matter -------------------------------------------------------- */

typedef struct
{
  int indent;
  gboolean seq;
  GHashTable *keys;   /* mappings: the keys seen (owned strings) */
} Level;

typedef struct
{
  GArray *levels;           /* Level */
  gboolean pending;         /* the last entry opened a block ("key:" / "-") */
  int pending_indent;
  gboolean pending_key;     /* ... and it was a key (a list may then sit at its indent) */
  int block_scalar_indent;  /* > -1: inside a "|" / ">" scalar opened at this indent */
  int plain_indent;         /* > -1: a plain scalar value at this indent may continue */
  guint line;
} Parser;

static void
level_clear (gpointer data)
{
  Level *l = data;
  g_clear_pointer (&l->keys, g_hash_table_unref);
}

static Level *
top (Parser *p)
{
  return p->levels->len > 0 ? &g_array_index (p->levels, Level, p->levels->len - 1) : NULL;
}

static void
push (Parser  *p,
      int      indent,
      gboolean seq)
{
  Level l = { indent, seq, seq ? NULL : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  g_array_append_val (p->levels, l);
}

static void
pop (Parser *p)
{
  g_array_set_size (p->levels, p->levels->len - 1);
}

static gboolean
fail (Parser     *p,
      GError    **error,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Parser     *p,
      GError    **error,
      const char *format,
      ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "line %u: %s", p->line, reason);
  return FALSE;
}

/* Skips a quoted scalar starting at s[0] (a quote); returns the character
 * after the closing quote, or NULL when it is not closed on the line. */
static const char *
skip_quoted (const char *s)
{
  char q = s[0];

  for (s++; *s != '\0'; s++)
    {
      if (q == '"' && *s == '\\' && s[1] != '\0')
        s++;
      else if (*s == q)
        {
          if (q == '\'' && s[1] == '\'')
            s++;
          else
            return s + 1;
        }
    }
  return NULL;
}

/* The rest of a line after a scalar: nothing, or a comment. */
static gboolean
only_comment (const char *s)
{
  while (*s == ' ')
    s++;
  return *s == '\0' || *s == '#';
}

/* Checks a flow collection "[...]" or "{...}" closed on its line. */
static gboolean
check_flow (Parser     *p,
            const char *s,
            GError    **error)
{
  char stack[64];
  int depth = 0;

  for (; *s != '\0'; s++)
    {
      if (depth == 0 && *s != '[' && *s != '{')
        {
          if (!only_comment (s))
            return fail (p, error, "unexpected text after the closing bracket");
          return TRUE;
        }
      if (*s == '"' || *s == '\'')
        {
          const char *end = skip_quoted (s);
          if (end == NULL)
            return fail (p, error, "a quoted string inside brackets is not closed");
          s = end - 1;
        }
      else if (*s == '[' || *s == '{')
        {
          if (depth == (int) sizeof stack)
            return fail (p, error, "brackets nested too deeply");
          stack[depth++] = *s == '[' ? ']' : '}';
        }
      else if (*s == ']' || *s == '}')
        {
          if (depth == 0 || stack[depth - 1] != *s)
            return fail (p, error, "'%c' does not match the opening bracket", *s);
          depth--;
          if (depth == 0)
            {
              if (!only_comment (s + 1))
                return fail (p, error, "unexpected text after the closing bracket");
              return TRUE;
            }
        }
    }
  return fail (p, error, "the bracket '%c' is not closed on this line (write the list on one line, "
               "or as lines starting with '- ')", stack[0] == ']' ? '[' : '{');
}

/* Checks a value after "key: " or "- " (not empty). */
static gboolean
check_scalar (Parser     *p,
              const char *v,
              int         indent,
              GError    **error)
{
  p->plain_indent = -1;
  if (v[0] == '"' || v[0] == '\'')
    {
      const char *end = skip_quoted (v);
      if (end == NULL)
        return fail (p, error, "the quoted value is not closed: add %s at its end",
                     v[0] == '"' ? "\"" : "'");
      if (!only_comment (end))
        return fail (p, error, "unexpected text after the quoted value");
      return TRUE;
    }
  if (v[0] == '[' || v[0] == '{')
    return check_flow (p, v, error);
  if (v[0] == '|' || v[0] == '>')
    {
      p->block_scalar_indent = indent;
      return TRUE;
    }
  if (v[0] == '@' || v[0] == '`')
    return fail (p, error, "a value cannot start with '%c': put it in quotes", v[0]);
  if (v[0] == '%')
    return fail (p, error, "a value cannot start with '%%': put it in quotes");
  if ((v[0] == ']' || v[0] == '}'))
    return fail (p, error, "'%c' without an opening bracket", v[0]);
  for (const char *s = v; *s != '\0'; s++)
    {
      if (*s == ' ' && s[1] == '#')
        break;   /* a comment */
      if (*s == ':' && (s[1] == ' ' || s[1] == '\0'))
        return fail (p, error, "a second ':' in a value: put the value in quotes");
      if (*s == '\t')
        return fail (p, error, "a tab in a value: use spaces");
    }
  p->plain_indent = indent;
  return TRUE;
}

/* Finds the ':' that ends a mapping key in s, or NULL when s is no
 * "key: value" / "key:". */
static const char *
find_key_colon (const char *s)
{
  if (s[0] == '"' || s[0] == '\'')
    {
      const char *end = skip_quoted (s);
      if (end == NULL)
        return NULL;
      while (*end == ' ')
        end++;
      return *end == ':' && (end[1] == ' ' || end[1] == '\0') ? end : NULL;
    }
  if (s[0] == '[' || s[0] == '{' || s[0] == '#')
    return NULL;
  for (; *s != '\0'; s++)
    {
      if (*s == ' ' && s[1] == '#')
        return NULL;
      if (*s == ':' && (s[1] == ' ' || s[1] == '\0'))
        return s;
    }
  return NULL;
}

/* Handles "key: value" / "key:" at column indent (the mapping is top). */
static gboolean
map_entry (Parser     *p,
           const char *s,
           const char *colon,
           int         indent,
           GError    **error)
{
  Level *l = top (p);
  g_autofree char *key = NULL;
  const char *v;

  if (colon == s)
    return fail (p, error, "a ':' without a key before it");
  key = g_strstrip (g_strndup (s, colon - s));
  if ((key[0] == '"' || key[0] == '\'') && strlen (key) >= 2)
    {
      char *unq = g_strndup (key + 1, strlen (key) - 2);
      g_free (key);
      key = unq;
    }
  if (g_hash_table_contains (l->keys, key))
    return fail (p, error, "the key \"%s\" appears twice in the same mapping", key);
  g_hash_table_add (l->keys, g_steal_pointer (&key));

  v = colon + 1;
  while (*v == ' ')
    v++;
  if (only_comment (v))
    {
      p->pending = TRUE;
      p->pending_indent = indent;
      p->pending_key = TRUE;
      p->plain_indent = -1;
      return TRUE;
    }
  return check_scalar (p, v, indent, error);
}

static gboolean
check_line (Parser     *p,
            const char *line,
            GError    **error)
{
  int indent = 0;
  const char *s;
  gboolean seq;
  Level *l;

  while (line[indent] == ' ')
    indent++;
  s = line + indent;
  if (*s == '\t')
    return fail (p, error, "a tab in the indentation: indent with spaces");
  if (*s == '\0' || *s == '#')
    return TRUE;

  /* Inside a "|" or ">" block: every more-indented line is its text. */
  if (p->block_scalar_indent >= 0)
    {
      if (indent > p->block_scalar_indent)
        return TRUE;
      p->block_scalar_indent = -1;
    }

  seq = (s[0] == '-' && (s[1] == ' ' || s[1] == '\0'));

  if (p->pending)
    {
      p->pending = FALSE;
      if (indent > p->pending_indent)
        push (p, indent, seq);
      else if (indent == p->pending_indent && seq && p->pending_key)
        push (p, indent, TRUE);   /* "key:\n- item": a list at the key's indent */
    }
  else if (p->plain_indent >= 0 && indent > p->plain_indent && !seq && find_key_colon (s) == NULL)
    return TRUE;   /* a plain value continued on the next line */

  p->plain_indent = -1;
  /* Close the blocks this line is left of; a mapping entry at the indent of
   * a list that sits at its key's indent closes that list. */
  for (;;)
    {
      l = top (p);
      if (l->indent > indent)
        {
          if (p->levels->len == 1)
            break;
          pop (p);
          continue;
        }
      if (l->indent == indent && l->seq && !seq && p->levels->len > 1 &&
          g_array_index (p->levels, Level, p->levels->len - 2).indent == indent)
        {
          pop (p);
          continue;
        }
      break;
    }
  l = top (p);
  if (l->indent != indent)
    {
      if (l->indent > indent)
        return fail (p, error, "this line is indented less than the first key; "
                     "top-level keys start in the first column");
      return fail (p, error, "unexpected indentation: line up with the entries above, "
                   "or end the line above with ':' to start a nested block");
    }
  if (seq && !l->seq)
    {
      if (p->levels->len == 1)
        return fail (p, error, "a list item at the top level: the metadata must be \"key: value\" lines");
      return fail (p, error, "a list item where a \"key: value\" was expected");
    }
  if (!seq && l->seq)
    return fail (p, error, "a \"key: value\" where a list item (\"- ...\") was expected");

  if (seq)
    {
      const char *rest = s + 1;
      const char *colon;
      int rest_indent;

      while (*rest == ' ')
        rest++;
      rest_indent = indent + (int) (rest - s);
      if (only_comment (rest))
        {
          p->pending = TRUE;
          p->pending_indent = indent;
          p->pending_key = FALSE;
          return TRUE;
        }
      if (rest[0] == '-' && (rest[1] == ' ' || rest[1] == '\0'))
        return fail (p, error, "a list inside a list item on one line is not supported: "
                     "put the inner list on its own lines");
      colon = find_key_colon (rest);
      if (colon != NULL)
        {
          /* "- key: value": a mapping that starts in the list item. */
          push (p, rest_indent, FALSE);
          return map_entry (p, rest, colon, rest_indent, error);
        }
      return check_scalar (p, rest, indent, error);
    }

  {
    const char *colon = find_key_colon (s);
    if (colon == NULL)
      return fail (p, error, "expected \"key: value\" (a key, a colon and a space)");
    return map_entry (p, s, colon, indent, error);
  }
}

gboolean
vs_model_card_check_front_matter (const char *text,
                                  guint      *out_line,
                                  GError    **error)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) levels = g_array_new (FALSE, TRUE, sizeof (Level));
  Parser p = { 0 };
  guint n;

  g_return_val_if_fail (text != NULL, FALSE);

  if (out_line != NULL)
    *out_line = 0;
  g_array_set_clear_func (levels, level_clear);
  p.levels = levels;
  p.block_scalar_indent = -1;
  p.plain_indent = -1;
  push (&p, 0, FALSE);

  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (lines[i]);
      if (len > 0 && lines[i][len - 1] == '\r')
        lines[i][len - 1] = '\0';
    }

  p.line = 1;
  if (n == 0 || strcmp (g_strchomp (lines[0]), "---") != 0)
    {
      fail (&p, error, "the card must start with a line \"---\" that opens its YAML metadata");
      goto failed;
    }
  for (guint i = 1; i < n; i++)
    {
      p.line = i + 1;
      if (strcmp (lines[i], "---") == 0 || strcmp (lines[i], "...") == 0)
        return TRUE;   /* a "key:" left open is a null value: fine */
      if (!check_line (&p, lines[i], error))
        goto failed;
    }
  p.line = 1;
  fail (&p, error, "the YAML metadata opened here is not closed by a line \"---\"");

failed:
  if (out_line != NULL)
    *out_line = p.line;
  return FALSE;
}

/* ---- replaced files -------------------------------------------------------- */

char **
vs_hub_folder_replaced_files (const char  *folder,
                              const cJSON *repo_info,
                              GError     **error)
{
  g_autoptr(VsHubCommit) commit = vs_hub_commit_new ("");
  g_auto(GStrv) paths = NULL;
  g_autoptr(GHashTable) remote = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *out;
  const cJSON *sib;

  g_return_val_if_fail (folder != NULL, NULL);

  if (!vs_hub_commit_add_folder (commit, folder, error))
    return NULL;
  paths = vs_hub_commit_dup_paths (commit);
  cJSON_ArrayForEach (sib, cJSON_GetObjectItemCaseSensitive (repo_info, "siblings"))
    {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive (sib, "rfilename");
      if (cJSON_IsString (name))
        g_hash_table_add (remote, name->valuestring);
    }
  out = g_ptr_array_new ();
  for (guint i = 0; paths[i] != NULL; i++)
    if (g_hash_table_contains (remote, paths[i]))
      g_ptr_array_add (out, g_strdup (paths[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}
