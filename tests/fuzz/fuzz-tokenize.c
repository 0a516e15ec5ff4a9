/* fuzz-tokenize.c: random bytes (invalid UTF-8 and NULs included) through
 * each real tokenizer of ../shared/data: WordPiece (all-MiniLM-L6-v2),
 * byte-level BPE (roberta-base), mpnet, Unigram with a Precompiled
 * normalizer (t5-small), byte-fallback BPE (Phi-3). Byte 0 picks the
 * tokenizer and the mode; the rest is split at the first 0xff into text and
 * pair. Every id is in the vocabulary, every decode is UTF-8, offsets stay
 * within the text as repaired (invalid UTF-8 becomes U+FFFD per maximal
 * subpart, vs-tokenizer.h: at most 3 bytes for each input byte). */
#include "fuzz-common.h"
#include "tokenizer/vs-tokenizer.h"

static const char *const tokenizer_dirs[] = {
  "models/all-MiniLM-L6-v2",
  "tokenizers/roberta-base",
  "tokenizers/all-mpnet-base-v2",
  "tokenizers/t5-small",
  "tokenizers/phi-3-mini-4k-instruct",
};
static VsTokenizer *tokenizers[G_N_ELEMENTS (tokenizer_dirs)];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  for (guint i = 0; i < G_N_ELEMENTS (tokenizer_dirs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_build_filename (fuzz_shared_data (), tokenizer_dirs[i], NULL);
      tokenizers[i] = vs_tokenizer_new_from_path (dir, &error);
      if (tokenizers[i] == NULL)
        g_error ("fuzz-tokenize: %s", error->message);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  guint which = data[0] % G_N_ELEMENTS (tokenizers);
  gboolean special = (data[0] >> 4) & 1;
  gsize max_length = (data[0] >> 5) & 1 ? 8 : 0;
  VsTokenizer *tok = tokenizers[which];
  const char *text = (const char *) data + 1;
  gsize len = size - 1;
  const char *sep = memchr (text, 0xff, len);
  const char *pair = NULL;
  gsize text_len = len, pair_len = 0;
  if (sep != NULL)
    {
      text_len = (gsize) (sep - text);
      pair = sep + 1;
      pair_len = len - text_len - 1;
    }
  g_autoptr(VsEncoding) enc = vs_tokenizer_encode_len (tok, text, (gssize) text_len,
                                                       pair, (gssize) pair_len,
                                                       special, max_length);
  g_assert (enc != NULL);
  gsize vocab = vs_tokenizer_get_vocab_size (tok);
  for (gsize i = 0; i < enc->n_tokens; i++)
    {
      g_assert (enc->ids[i] < vocab);
      g_assert (enc->offsets[2 * i] <= enc->offsets[2 * i + 1]);
      g_assert (enc->offsets[2 * i + 1] <= 3 * MAX (text_len, pair_len));
    }
  if (max_length > 0)
    g_assert (enc->n_tokens <= max_length);
  g_autofree char *decoded = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, !special);
  g_assert (decoded != NULL);
  g_assert (g_utf8_validate (decoded, -1, NULL));
  return 0;
}
