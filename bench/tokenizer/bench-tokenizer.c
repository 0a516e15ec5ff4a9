/* bench-tokenizer.c: single-thread tokenization throughput.
 *
 *   bench-tokenizer TOKENIZER CORPUS.txt
 *
 * Encodes every line of CORPUS (special tokens added, no truncation) with
 * one thread and prints one line:
 *   impl=vectorsmith tokenizer=… lines=N tokens=T seconds=S tokens_per_s=R
 * bench/tokenizer/run.sh runs it beside HF tokenizers (npm) on the same text.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tokenizer/vs-tokenizer.h"

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;
  gsize n = 0;
  guint64 tokens = 0;
  guint n_lines = 0;
  gint64 t0, t1;
  double secs;

  if (argc != 3)
    {
      g_printerr ("usage: %s TOKENIZER CORPUS.txt\n", argv[0]);
      return 2;
    }
  tok = vs_tokenizer_new_from_path (argv[1], &error);
  if (tok == NULL || !g_file_get_contents (argv[2], &data, &n, &error))
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 1;
    }
  lines = g_strsplit (data, "\n", -1);

  t0 = g_get_monotonic_time ();
  for (char **l = lines; *l != NULL; l++)
    {
      VsEncoding *enc;

      if (**l == '\0')
        continue;
      enc = vs_tokenizer_encode (tok, *l, NULL, TRUE, G_MAXSIZE);
      tokens += enc->n_tokens;
      n_lines++;
      vs_encoding_free (enc);
    }
  t1 = g_get_monotonic_time ();
  secs = (t1 - t0) / 1e6;
  printf ("impl=vectorsmith tokenizer=%s lines=%u tokens=%" G_GUINT64_FORMAT " seconds=%.3f tokens_per_s=%.0f\n",
          argv[1], n_lines, tokens, secs, tokens / secs);
  return 0;
}
