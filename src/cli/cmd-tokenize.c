/* cmd-tokenize.c: vectorsmith-cli tokenize TOKENIZER [--max-length N] [--pair]
 * [--no-special-tokens]
 *
 * Reads one text per line from stdin (with --pair, two texts separated by
 * the first TAB), and writes one JSON object per line:
 *   {"ids":[…],"type_ids":[…],"tokens":[…],"offsets":[[start,end],…]}
 * Offsets are byte offsets into the line's UTF-8 text (for the pair's
 * tokens, into the pair text); invalid UTF-8 is repaired with U+FFFD first
 * and offsets then index the repaired text. A trailing "\n" (or "\r\n")
 * ends a line and is not part of the text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenizer/vs-tokenizer.h"
#include "vs-cli.h"
#include "vs-error.h"

static cJSON *
encoding_to_json (const VsEncoding *enc)
{
  cJSON *o = cJSON_CreateObject ();
  cJSON *ids = cJSON_AddArrayToObject (o, "ids");
  cJSON *types = cJSON_AddArrayToObject (o, "type_ids");
  cJSON *tokens = cJSON_AddArrayToObject (o, "tokens");
  cJSON *offsets = cJSON_AddArrayToObject (o, "offsets");

  for (gsize i = 0; i < enc->n_tokens; i++)
    {
      cJSON *pair = cJSON_CreateArray ();

      cJSON_AddItemToArray (ids, cJSON_CreateNumber (enc->ids[i]));
      cJSON_AddItemToArray (types, cJSON_CreateNumber (enc->type_ids[i]));
      cJSON_AddItemToArray (tokens, cJSON_CreateString (enc->tokens[i]));
      cJSON_AddItemToArray (pair, cJSON_CreateNumber ((double) enc->offsets[2 * i]));
      cJSON_AddItemToArray (pair, cJSON_CreateNumber ((double) enc->offsets[2 * i + 1]));
      cJSON_AddItemToArray (offsets, pair);
    }
  return o;
}

int
vs_cli_tokenize (int    argc,
                 char **argv)
{
  gint64 max_length = -1;
  gboolean pair = FALSE;
  gboolean no_special = FALSE;
  GOptionEntry entries[] = {
    { "max-length", 0, 0, G_OPTION_ARG_INT64, &max_length,
      "Truncate to N tokens, special tokens included (default: the model folder's max_seq_length; 0 = no truncation)", "N" },
    { "pair", 0, 0, G_OPTION_ARG_NONE, &pair, "Each line holds two texts separated by a TAB", NULL },
    { "no-special-tokens", 0, 0, G_OPTION_ARG_NONE, &no_special, "Do not add [CLS]/[SEP]-style special tokens", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("TOKENIZER  - tokenize the lines of stdin");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  gsize max;

  g_option_context_set_summary (ctx,
    "TOKENIZER is a model folder or a tokenizer.json. Each line of stdin is one text\n"
    "(with --pair: TEXT<TAB>PAIR); each output line is a JSON object with ids, type_ids,\n"
    "tokens and offsets (byte offsets into the text).");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("vectorsmith-cli %s: expected one TOKENIZER (a model folder or a tokenizer.json)\n", argv[0]);
      return 2;
    }
  if (max_length < -1)
    {
      g_printerr ("vectorsmith-cli %s: --max-length must be 0 or more\n", argv[0]);
      return 2;
    }

  tok = vs_tokenizer_new_from_path (argv[1], &error);
  if (tok == NULL)
    return vs_cli_fail (argv[0], error);
  max = max_length < 0 ? 0 : max_length == 0 ? G_MAXSIZE : (gsize) max_length;

  while ((n = getline (&line, &cap, stdin)) >= 0)
    {
      g_autoptr(VsEncoding) enc = NULL;
      cJSON *o;
      g_autofree char *out = NULL;
      gsize len = (gsize) n;

      if (len > 0 && line[len - 1] == '\n')
        len--;
      if (len > 0 && line[len - 1] == '\r')
        len--;
      if (pair)
        {
          char *tab = memchr (line, '\t', len);
          if (tab == NULL)
            {
              g_printerr ("vectorsmith-cli %s: --pair: a line has no TAB between its two texts\n", argv[0]);
              free (line);
              return 1;
            }
          enc = vs_tokenizer_encode_len (tok, line, tab - line, tab + 1, len - (tab + 1 - line),
                                         !no_special, max);
        }
      else
        enc = vs_tokenizer_encode_len (tok, line, len, NULL, 0, !no_special, max);
      o = encoding_to_json (enc);
      out = cJSON_PrintUnformatted (o);
      cJSON_Delete (o);
      fputs (out, stdout);
      fputc ('\n', stdout);
    }
  free (line);
  if (fflush (stdout) != 0)
    {
      g_set_error (&error, VS_ERROR, VS_ERROR_IO, "cannot write to stdout");
      return vs_cli_fail (argv[0], error);
    }
  return 0;
}
