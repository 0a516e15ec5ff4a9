/* test-api.c: the rest of vs-tokenizer.h.
 *
 * - Older folders (vocab.txt; vocab.json + merges.txt) give the ids, tokens
 *   and offsets HF tokenizers gives for the same model's tokenizer.json
 *   (fixtures/golden.json, see tests/reference/tokenizer_golden.js).
 * - Malformed tokenizer.json files fail with a VS_ERROR naming the field.
 * - Random and invalid UTF-8 input never crashes; offsets stay in range.
 * - Several threads encoding at once on one tokenizer get the reference ids.
 * - The max length rule of sentence-transformers, read from the folders in
 *   $VS_SHARED_DATA (values known from those files: all-MiniLM-L6-v2's
 *   max_seq_length 256, model_max_length 512/4096, MPNet's 514 positions).
 * - Vocabulary facts of the real files, pad ids, saving the files.
 */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <glib/gstdio.h>

#include "tokenizer/vs-tokenizer.h"
#include "vs-error.h"
#include "tok-golden.h"

static cJSON *golden;

static char *
shared (const char *rel)
{
  return g_build_filename (g_getenv ("VS_SHARED_DATA"), rel, NULL);
}

static void
copy_file (const char *from, const char *to_dir, const char *name)
{
  g_autofree char *data = NULL;
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  gsize n;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &data, &n, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, n, &error);
  g_assert_no_error (error);
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static const cJSON *
golden_cases (const char *name)
{
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"), name);

  return cJSON_GetObjectItemCaseSensitive (entry, "cases");
}

/* Compares ids, tokens and offsets of every golden case of `name`; returns
 * the number of cases that differ. */
static guint
check_against_golden (VsTokenizer *tok, const char *name, guint *total)
{
  const cJSON *c;
  guint failed = 0;

  *total = 0;
  cJSON_ArrayForEach (c, golden_cases (name))
    {
      gsize la = 0, lb = 0;
      g_autofree char *a = tok_golden_case_text (c, "text", "text_b64", &la);
      g_autofree char *b = tok_golden_case_text (c, "pair", "pair_b64", &lb);
      int max_length = cJSON_GetObjectItemCaseSensitive (c, "max_length")->valueint;
      gboolean special = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (c, "add_special_tokens"));
      const cJSON *ids = cJSON_GetObjectItemCaseSensitive (c, "ids");
      const cJSON *tokens = cJSON_GetObjectItemCaseSensitive (c, "tokens");
      const cJSON *offsets = cJSON_GetObjectItemCaseSensitive (c, "offsets");
      g_autoptr(VsEncoding) enc = vs_tokenizer_encode_len (tok, a, la, b, b != NULL ? (gssize) lb : 0, special,
                                                           max_length > 0 ? (gsize) max_length : G_MAXSIZE);
      gboolean ok = enc->n_tokens == (gsize) cJSON_GetArraySize (ids);

      for (gsize i = 0; ok && i < enc->n_tokens; i++)
        {
          const cJSON *off = cJSON_GetArrayItem (offsets, i);
          ok = enc->ids[i] == (guint32) cJSON_GetArrayItem (ids, i)->valueint &&
               g_strcmp0 (enc->tokens[i], cJSON_GetArrayItem (tokens, i)->valuestring) == 0 &&
               enc->offsets[2 * i] == (gsize) cJSON_GetArrayItem (off, 0)->valueint &&
               enc->offsets[2 * i + 1] == (gsize) cJSON_GetArrayItem (off, 1)->valueint;
          if (!ok)
            g_printerr ("%s/%s: token %zu: got %u '%s' [%zu,%zu]\n", name,
                        cJSON_GetObjectItemCaseSensitive (c, "label")->valuestring, i,
                        enc->ids[i], enc->tokens[i], enc->offsets[2 * i], enc->offsets[2 * i + 1]);
        }
      if (!ok)
        {
          g_printerr ("%s/%s: differs (%zu tokens, expected %d)\n", name,
                      cJSON_GetObjectItemCaseSensitive (c, "label")->valuestring, enc->n_tokens, cJSON_GetArraySize (ids));
          failed++;
        }
      (*total)++;
    }
  return failed;
}

/* Copies files of $VS_SHARED_DATA/src_rel into a new temporary folder, loads
 * the tokenizer from that folder and asserts it gives HF's golden cases of
 * golden_name (what names the folder in the message); removes the folder. */
static VsTokenizer *
tokenizer_from_copied_files (const char *src_rel, const char *const *files,
                             const char *golden_name, const char *what)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-tok-folder-XXXXXX", NULL);
  g_autofree char *src = shared (src_rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  guint total, failed;

  for (const char *const *f = files; *f; f++)
    {
      g_autofree char *p = g_build_filename (src, *f, NULL);
      copy_file (p, dir, *f);
    }
  tok = vs_tokenizer_new_from_path (dir, &error);
  g_assert_no_error (error);
  failed = check_against_golden (tok, golden_name, &total);
  g_test_message ("%s: %u of %u cases differ from tokenizer.json under HF", what, failed, total);
  g_assert_cmpuint (failed, ==, 0);
  rm_rf (dir);
  return g_steal_pointer (&tok);
}

static void
test_vocab_txt_folder (void)
{
  static const char *const files[] = { "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", NULL };
  g_autoptr(VsTokenizer) tok = tokenizer_from_copied_files ("models/all-MiniLM-L6-v2", files, "minilm",
                                                            "vocab.txt folder");

  g_assert_cmpint (vs_tokenizer_get_pad_id (tok), ==, 0);
  g_assert_cmpuint (vs_tokenizer_get_vocab_size (tok), ==, 30522);
}

static void
test_vocab_json_merges_folder (void)
{
  static const char *const files[] = { "vocab.json", "merges.txt", NULL };
  g_autoptr(VsTokenizer) tok = tokenizer_from_copied_files ("tokenizers/roberta-base", files, "roberta",
                                                            "vocab.json + merges.txt folder");

  g_assert_cmpint (vs_tokenizer_get_pad_id (tok), ==, 1);
}

typedef struct
{
  const char *json;
  const char *expect;   /* a substring the message must contain */
} Malformed;

static void
test_malformed (void)
{
  static const Malformed cases[] = {
    { "{\"model\": ", "not valid JSON" },
    { "[1, 2]", "expected a JSON object" },
    { "{\"added_tokens\": []}", "model: missing" },
    { "{\"model\": null}", "model: missing" },
    { "{\"model\": {\"type\": \"Foo\", \"vocab\": {}}}", "model.type: unknown model type 'Foo'" },
    { "{\"model\": {\"unk_token\": \"x\"}}", "model.type: missing" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\", \"a b c\"]}}", "model.merges[1]: expected two tokens" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a x\"]}}", "model.merges[0]: token 'x' is not in the vocabulary" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [[\"a\", \"b\"]]}}", "model.merges[0]: merged token 'ab'" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [7]}}", "model.merges[0]: expected" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": \"a b\"}}", "model.merges: expected an array" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}}", "model.vocab[\"a\"]" },
    { "{\"model\": {\"type\": \"BPE\", \"vocab\": [1], \"merges\": []}}", "model.vocab: expected an object" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 2000000000}}}", "model.vocab[\"a\"]: id 2000000000 is far beyond" },
    { "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}, \"unk_token\": \"[UNK]\"}}", "model.unk_token: '[UNK]' is not in the vocabulary" },
    { "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0], [\"b\"]], \"unk_id\": 0}}", "model.vocab[1]: expected [piece, score]" },
    { "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0]], \"unk_id\": 5}}", "model.unk_id" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"normalizer\": {\"type\": \"Bogus\"}}", "normalizer.type: unknown normalizer type 'Bogus'" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFC\"}, {\"lowercase\": true}]}}", "normalizer.normalizers[1].type: missing" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"AAAA\"}}", "normalizer.precompiled_charsmap" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": \"yes\"}}", "normalizer.lowercase: expected a boolean" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Whitespace\"}, {\"type\": \"Nope\"}]}}", "pre_tokenizer.pretokenizers[1].type: unknown pre-tokenizer type 'Nope'" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}}", "pre_tokenizer.pattern" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"x\"}, \"behavior\": \"Sideways\"}}", "pre_tokenizer.behavior: unknown behavior 'Sideways'" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}}}", "post_processor.single[0]: special token '[CLS]'" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"post_processor\": {\"type\": \"BertProcessing\", \"sep\": [\"[SEP]\"], \"cls\": [\"[CLS]\", 1]}}", "post_processor.sep: expected [token, id]" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"decoder\": {\"type\": \"Wat\"}}", "decoder.type: unknown decoder type 'Wat'" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"added_tokens\": {\"id\": 0}}", "added_tokens: expected an array" },
    { "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0}}, \"added_tokens\": [{\"id\": 0, \"content\": \"a\"}, {\"id\": 1}]}", "added_tokens[1].content" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_json_data (cases[i].json, strlen (cases[i].json),
                                                                    "bad/tokenizer.json", &error);
      g_assert_null (tok);
      g_assert_nonnull (error);
      g_assert_true (error->domain == VS_ERROR);
      if (strstr (error->message, cases[i].expect) == NULL || !g_str_has_prefix (error->message, "bad/tokenizer.json"))
        g_error ("case %zu: message \"%s\" does not name \"%s\" (and the file)", i, error->message, cases[i].expect);
    }
}

/* Truncated copies of a real tokenizer.json all fail cleanly. */
static void
test_truncated_files (void)
{
  g_autofree char *path = shared ("models/all-MiniLM-L6-v2/tokenizer.json");
  g_autofree char *data = NULL;
  gsize n;

  g_assert_true (g_file_get_contents (path, &data, &n, NULL));
  for (gsize cut = 0; cut < n; cut += n / 23 + 1)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_json_data (data, cut, "cut.json", &error);
      g_assert_null (tok);
      g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
    }
}

static void
test_random_bytes (gconstpointer data)
{
  g_autofree char *path = shared (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (path, &error);
  g_autoptr(GRand) rng = g_rand_new_with_seed (1234);
  static const char *const pieces[] = { "a", " ", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\xa4\x97", "\xcc\x81", "\t",
                                        "\n", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "[MASK]", "<mask>", "</s>",
                                        "<unk>", "\xe2\x80\x8d", "\xef\xbf\xbd", "##", "\xc4\xb0", "1", ".", "\x00" };

  g_assert_no_error (error);
  for (int iter = 0; iter < 300; iter++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autoptr(VsEncoding) enc = NULL;
      g_autofree char *dec = NULL;
      int len = g_rand_int_range (rng, 0, 60);

      for (int k = 0; k < len; k++)
        {
          if (g_rand_boolean (rng))
            g_string_append_c (s, (char) g_rand_int_range (rng, 0, 256));
          else
            {
              const char *p = pieces[g_rand_int_range (rng, 0, G_N_ELEMENTS (pieces))];
              g_string_append_len (s, p, *p == '\0' ? 1 : (gssize) strlen (p));
            }
        }
      enc = vs_tokenizer_encode_len (tok, s->str, s->len, iter % 3 == 0 ? s->str : NULL, s->len,
                                     iter % 2 == 0, iter % 5 == 0 ? 7 : G_MAXSIZE);
      /* the repaired text is at most 3 bytes per input byte */
      for (gsize i = 0; i < enc->n_tokens; i++)
        {
          g_assert_cmpuint (enc->offsets[2 * i], <=, enc->offsets[2 * i + 1]);
          g_assert_cmpuint (enc->offsets[2 * i + 1], <=, 3 * s->len);
          g_assert_nonnull (enc->tokens[i]);
          g_assert_true (g_utf8_validate (enc->tokens[i], -1, NULL));
        }
      if (iter % 5 == 0)
        g_assert_cmpuint (enc->n_tokens, <=, 7);
      dec = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, iter % 2 == 1);
      g_assert_true (g_utf8_validate (dec, -1, NULL));
    }
}

/* A hostile max_input_chars_per_word with a very long word stays linear. */
static void
test_long_word_linear (void)
{
  static const char json[] =
    "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"max_input_chars_per_word\": 1000000000,"
    " \"vocab\": {\"[UNK]\": 0, \"a\": 1, \"##a\": 2, \"##b\": 3}}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_json_data (json, strlen (json), "long.json", &error);
  g_autofree char *as = g_strnfill (200000, 'a');
  g_autofree char *abs = g_strconcat (as, "c", NULL);
  g_autoptr(VsEncoding) e1 = NULL;
  g_autoptr(VsEncoding) e2 = NULL;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_no_error (error);
  e1 = vs_tokenizer_encode (tok, as, NULL, TRUE, G_MAXSIZE);
  g_assert_cmpuint (e1->n_tokens, ==, 200000);
  g_assert_cmpuint (e1->ids[0], ==, 1);
  g_assert_cmpuint (e1->ids[199999], ==, 2);
  e2 = vs_tokenizer_encode (tok, abs, NULL, TRUE, G_MAXSIZE);
  g_assert_cmpuint (e2->n_tokens, ==, 1);   /* one unknown piece makes the whole word [UNK] */
  g_assert_cmpuint (e2->ids[0], ==, 0);
  g_assert_cmpuint (e2->offsets[1], ==, 200001);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 20 * G_USEC_PER_SEC);
}

typedef struct
{
  VsTokenizer  *tok;
  const cJSON  *cases;
  gint          failures;
} ThreadJob;

static gpointer
thread_main (gpointer data)
{
  ThreadJob *job = data;

  for (int round = 0; round < 3; round++)
    {
      const cJSON *c;
      cJSON_ArrayForEach (c, job->cases)
        {
          gsize la = 0, lb = 0;
          g_autofree char *a = tok_golden_case_text (c, "text", "text_b64", &la);
          g_autofree char *b = tok_golden_case_text (c, "pair", "pair_b64", &lb);
          int max_length = cJSON_GetObjectItemCaseSensitive (c, "max_length")->valueint;
          gboolean special = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (c, "add_special_tokens"));
          const cJSON *ids = cJSON_GetObjectItemCaseSensitive (c, "ids");
          g_autoptr(VsEncoding) enc = vs_tokenizer_encode_len (job->tok, a, la, b, b != NULL ? (gssize) lb : 0, special,
                                                               max_length > 0 ? (gsize) max_length : G_MAXSIZE);
          gboolean ok = enc->n_tokens == (gsize) cJSON_GetArraySize (ids);
          for (gsize i = 0; ok && i < enc->n_tokens; i++)
            ok = enc->ids[i] == (guint32) cJSON_GetArrayItem (ids, i)->valueint;
          if (!ok)
            g_atomic_int_inc (&job->failures);
        }
    }
  return NULL;
}

static void
test_threads (gconstpointer data)
{
  const char *name = data;
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"), name);
  g_autofree char *path = shared (cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (path, &error);
  ThreadJob job = { tok, cJSON_GetObjectItemCaseSensitive (entry, "cases"), 0 };
  GThread *threads[6];

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("encode", thread_main, &job);
  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (job.failures, ==, 0);
}

static gsize
max_length_of (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (path, &error);

  g_assert_no_error (error);
  return vs_tokenizer_get_max_length (tok);
}

static void
test_max_length_rule (void)
{
  g_autofree char *minilm = shared ("models/all-MiniLM-L6-v2");
  g_autofree char *minilm_json = shared ("models/all-MiniLM-L6-v2/tokenizer.json");
  g_autofree char *mpnet = shared ("tokenizers/all-mpnet-base-v2");
  g_autofree char *t5 = shared ("tokenizers/t5-small");
  g_autofree char *phi3 = shared ("tokenizers/phi-3-mini-4k-instruct");
  g_autofree char *dir = g_dir_make_tmp ("vs-tok-maxlen-XXXXXX", NULL);
  g_autofree char *cfg = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tc = g_build_filename (dir, "tokenizer_config.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  g_autoptr(VsEncoding) enc = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);

  /* sentence_bert_config.json max_seq_length wins over model_max_length 512 */
  g_assert_cmpuint (max_length_of (minilm), ==, 256);
  /* a tokenizer.json alone has no limit (its "truncation": 128 is ignored) */
  g_assert_cmpuint (max_length_of (minilm_json), ==, 0);
  /* model_max_length 512, capped by MPNet's 514 positions - 2 */
  g_assert_cmpuint (max_length_of (mpnet), ==, 512);
  g_assert_cmpuint (max_length_of (t5), ==, 512);
  g_assert_cmpuint (max_length_of (phi3), ==, 4096);

  /* no tokenizer_config: the positions alone; roberta-style loses 2 */
  copy_file (minilm_json, dir, "tokenizer.json");
  g_file_set_contents (cfg, "{\"model_type\": \"bert\", \"max_position_embeddings\": 512}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (max_length_of (dir), ==, 512);
  g_file_set_contents (cfg, "{\"model_type\": \"xlm-roberta\", \"max_position_embeddings\": 514}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (max_length_of (dir), ==, 512);
  /* transformers' "no limit" 1e30 in model_max_length falls back to the cap */
  g_file_set_contents (tc, "{\"model_max_length\": 1000000000000000019884624838656}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (max_length_of (dir), ==, 512);
  g_file_set_contents (tc, "{\"model_max_length\": 128}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (max_length_of (dir), ==, 128);

  /* encode with max_length 0 truncates to the folder's own 256 */
  tok = vs_tokenizer_new_from_path (minilm, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 400; i++)
    g_string_append (long_text, "word ");
  enc = vs_tokenizer_encode (tok, long_text->str, NULL, TRUE, 0);
  g_assert_cmpuint (enc->n_tokens, ==, 256);
  g_assert_cmpuint (enc->ids[255], ==, 102);   /* [SEP] is kept */
  g_clear_pointer (&enc, vs_encoding_free);
  vs_tokenizer_set_max_length (tok, 10);
  enc = vs_tokenizer_encode (tok, long_text->str, long_text->str, TRUE, 0);
  g_assert_cmpuint (enc->n_tokens, ==, 10);
  g_clear_pointer (&enc, vs_encoding_free);
  enc = vs_tokenizer_encode (tok, long_text->str, NULL, TRUE, G_MAXSIZE);
  g_assert_cmpuint (enc->n_tokens, ==, 402);
  rm_rf (dir);
}

/* sentence_bert_config.json "do_lower_case": true lowercases the input as
 * Python's str.lower() before tokenizing: the reference encoded the
 * lowercased texts with HF tokenizers (fixtures/golden.json,
 * "lowercase_input"). */
static void
test_lowercase_input (void)
{
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (golden, "lowercase_input");
  g_autofree char *src = shared (cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring);
  g_autofree char *dir = g_dir_make_tmp ("vs-tok-lower-XXXXXX", NULL);
  g_autofree char *sbc = g_build_filename (dir, "sentence_bert_config.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  const cJSON *c;
  guint failed = 0;

  copy_file (src, dir, "tokenizer.json");
  g_file_set_contents (sbc, "{\"max_seq_length\": 512, \"do_lower_case\": true}", -1, &error);
  g_assert_no_error (error);
  tok = vs_tokenizer_new_from_path (dir, &error);
  g_assert_no_error (error);
  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (entry, "cases"))
    {
      const char *text = cJSON_GetObjectItemCaseSensitive (c, "text")->valuestring;
      const cJSON *ids = cJSON_GetObjectItemCaseSensitive (c, "ids");
      const cJSON *tokens = cJSON_GetObjectItemCaseSensitive (c, "tokens");
      g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, text, NULL, TRUE, 0);
      gboolean ok = enc->n_tokens == (gsize) cJSON_GetArraySize (ids);

      for (gsize i = 0; ok && i < enc->n_tokens; i++)
        ok = enc->ids[i] == (guint32) cJSON_GetArrayItem (ids, i)->valueint &&
             g_strcmp0 (enc->tokens[i], cJSON_GetArrayItem (tokens, i)->valuestring) == 0;
      if (!ok)
        {
          g_printerr ("do_lower_case: \"%s\" differs from HF on the lowercased text\n", text);
          failed++;
        }
      /* offsets still index the text as given */
      for (gsize i = 0; i < enc->n_tokens; i++)
        g_assert_cmpuint (enc->offsets[2 * i + 1], <=, strlen (text));
    }
  g_assert_cmpuint (failed, ==, 0);
  rm_rf (dir);
}

static void
test_vocab_facts (void)
{
  static const struct { const char *path; gsize vocab; gint64 pad; const char *tok; gint64 id; gsize single, pair; } facts[] = {
    { "models/all-MiniLM-L6-v2", 30522, 0, "hello", 7592, 2, 3 },
    { "tokenizers/roberta-base", 50265, 1, "<mask>", 50264, 2, 4 },
    { "tokenizers/all-mpnet-base-v2", 30527, 1, "<mask>", 30526, 2, 4 },
    { "tokenizers/t5-small", 32100, 0, "</s>", 1, 1, 2 },
    { "tokenizers/phi-3-mini-4k-instruct", 32011, 32000, "<|endoftext|>", 32000, 0, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      g_autofree char *path = shared (facts[i].path);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (path, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (vs_tokenizer_get_vocab_size (tok), ==, facts[i].vocab);
      g_assert_cmpint (vs_tokenizer_get_pad_id (tok), ==, facts[i].pad);
      g_assert_cmpint (vs_tokenizer_token_to_id (tok, facts[i].tok), ==, facts[i].id);
      g_assert_cmpstr (vs_tokenizer_id_to_token (tok, facts[i].id), ==, facts[i].tok);
      g_assert_cmpint (vs_tokenizer_token_to_id (tok, "no such token \xe2\x98\x83"), ==, -1);
      g_assert_null (vs_tokenizer_id_to_token (tok, 10000000));
      g_assert_cmpuint (vs_tokenizer_num_special_tokens (tok, FALSE), ==, facts[i].single);
      g_assert_cmpuint (vs_tokenizer_num_special_tokens (tok, TRUE), ==, facts[i].pair);
    }
}

static void
test_save_files (void)
{
  g_autofree char *src = shared ("models/all-MiniLM-L6-v2");
  g_autofree char *dir = g_dir_make_tmp ("vs-tok-save-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (src, &error);
  g_autoptr(VsTokenizer) again = NULL;
  guint total;

  g_assert_no_error (error);
  g_assert_true (vs_tokenizer_save_files (tok, dir, &error));
  g_assert_no_error (error);
  for (const char *const *f = (const char *const[]) { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", NULL }; *f; f++)
    {
      g_autofree char *a = g_build_filename (src, *f, NULL);
      g_autofree char *b = g_build_filename (dir, *f, NULL);
      g_autofree char *da = NULL, *db = NULL;
      gsize na, nb;
      g_assert_true (g_file_get_contents (a, &da, &na, NULL));
      g_assert_true (g_file_get_contents (b, &db, &nb, NULL));
      g_assert_cmpmem (da, na, db, nb);
    }
  /* the model's own files are not the tokenizer's to write */
  {
    g_autofree char *p = g_build_filename (dir, "config.json", NULL);
    g_assert_false (g_file_test (p, G_FILE_TEST_EXISTS));
  }
  again = vs_tokenizer_new_from_path (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (check_against_golden (again, "minilm", &total), ==, 0);
  /* saving into a folder that does not exist fails with the path */
  g_assert_false (vs_tokenizer_save_files (tok, "/nonexistent/dir", &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_IO);
  rm_rf (dir);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  golden = tok_golden_load ("golden.json");

  g_test_add_func ("/tokenizer/folder/vocab-txt", test_vocab_txt_folder);
  g_test_add_func ("/tokenizer/folder/vocab-json-merges-txt", test_vocab_json_merges_folder);
  g_test_add_func ("/tokenizer/malformed/fields", test_malformed);
  g_test_add_func ("/tokenizer/malformed/truncated", test_truncated_files);
  g_test_add_func ("/tokenizer/robust/long-word", test_long_word_linear);
  g_test_add_data_func ("/tokenizer/robust/wordpiece", "models/all-MiniLM-L6-v2", test_random_bytes);
  g_test_add_data_func ("/tokenizer/robust/bpe", "tokenizers/roberta-base", test_random_bytes);
  g_test_add_data_func ("/tokenizer/robust/unigram", "tokenizers/t5-small", test_random_bytes);
  g_test_add_data_func ("/tokenizer/robust/byte-fallback", "tokenizers/phi-3-mini-4k-instruct", test_random_bytes);
  g_test_add_data_func ("/tokenizer/threads/roberta", "roberta", test_threads);
  g_test_add_data_func ("/tokenizer/threads/phi3", "phi3", test_threads);
  g_test_add_func ("/tokenizer/max-length", test_max_length_rule);
  g_test_add_func ("/tokenizer/vocab", test_vocab_facts);
  g_test_add_func ("/tokenizer/lowercase-input", test_lowercase_input);
  g_test_add_func ("/tokenizer/save-files", test_save_files);
  ret = g_test_run ();
  cJSON_Delete (golden);
  return ret;
}
