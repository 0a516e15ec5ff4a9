/* fuzz-tokenizer-json.c: loading a tokenizer.json from memory (every model,
 * normalizer, pre-tokenizer, post-processor and decoder section), then
 * encoding, pairing and decoding a fixed text with what loaded. */
#include "fuzz-common.h"
#include "tokenizer/vs-tokenizer.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_json_data ((const char *) data, size,
                                                                "tokenizer.json", &error);
  if (tok == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  static const char *const texts[] = {
    "Hello, world! Ünïcödé   tabs\tand\nnewlines 12345 don't",
    "\xe2\x96\x81piece \xf0\x9f\x98\x80 emoji \xe4\xb8\xad\xe6\x96\x87",
    "",
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, texts[i], i == 1 ? texts[0] : NULL, TRUE, 0);
      if (enc == NULL)
        continue;
      g_autofree char *text = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, i == 0);
      g_autoptr(VsEncoding) cut = vs_tokenizer_encode (tok, texts[i], texts[0], TRUE, 5);
    }
  gsize vocab = vs_tokenizer_get_vocab_size (tok);
  for (guint32 id = 0; id < MIN (vocab, 64); id++)
    {
      const char *t = vs_tokenizer_id_to_token (tok, id);
      if (t != NULL)
        (void) vs_tokenizer_token_to_id (tok, t);
    }
  (void) vs_tokenizer_id_to_token (tok, (guint32) vocab);
  return 0;
}
