/* test-golden.c: every case of fixtures/golden.json, produced by the real
 * Hugging Face tokenizers (Rust 0.22.2 via npm @anush008/tokenizers 0.6.0,
 * tests/reference/tokenizer_golden.js) from the tokenizer files in
 * $VS_SHARED_DATA, must give exactly the same ids, type ids, special-token
 * mask, tokens, offsets and decoded text. Offsets in the fixture were
 * converted by the generator from the reference's code-point offsets to
 * UTF-8 byte offsets, which is what Vectorsmith reports. */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "tokenizer/vs-tokenizer.h"
#include "tok-golden.h"

static cJSON *golden;
static cJSON *variants;

static GString *
describe_ids (const guint32 *ids, gsize n)
{
  GString *s = g_string_new ("[");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%u", i ? "," : "", ids[i]);
  g_string_append_c (s, ']');
  return s;
}

static guint
check_case (VsTokenizer *tok, const char *name, const cJSON *c)
{
  const char *label = cJSON_GetObjectItemCaseSensitive (c, "label")->valuestring;
  gsize la = 0, lb = 0;
  g_autofree char *text = tok_golden_case_text (c, "text", "text_b64", &la);
  g_autofree char *pair = tok_golden_case_text (c, "pair", "pair_b64", &lb);
  gboolean add_special = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (c, "add_special_tokens"));
  int max_length = cJSON_GetObjectItemCaseSensitive (c, "max_length")->valueint;
  const cJSON *ids = cJSON_GetObjectItemCaseSensitive (c, "ids");
  const cJSON *type_ids = cJSON_GetObjectItemCaseSensitive (c, "type_ids");
  const cJSON *mask = cJSON_GetObjectItemCaseSensitive (c, "special_tokens_mask");
  const cJSON *tokens = cJSON_GetObjectItemCaseSensitive (c, "tokens");
  const cJSON *offsets = cJSON_GetObjectItemCaseSensitive (c, "offsets");
  const cJSON *decoded = cJSON_GetObjectItemCaseSensitive (c, "decoded");
  g_autoptr(VsEncoding) enc = NULL;
  g_autofree char *dec = NULL;
  gsize n = cJSON_GetArraySize (ids);
  guint fails = 0;

  g_assert_nonnull (text);
  enc = vs_tokenizer_encode_len (tok, text, la, pair, pair != NULL ? (gssize) lb : 0, add_special,
                                 max_length > 0 ? (gsize) max_length : G_MAXSIZE);
  if (pair == NULL && cJSON_GetObjectItemCaseSensitive (c, "pair") != NULL)
    g_assert_not_reached ();
  if (enc->n_tokens != n)
    fails++;
  for (gsize i = 0; fails == 0 && i < n; i++)
    {
      const cJSON *off = cJSON_GetArrayItem (offsets, i);
      if (enc->ids[i] != (guint32) cJSON_GetArrayItem (ids, i)->valueint ||
          enc->type_ids[i] != (guint32) cJSON_GetArrayItem (type_ids, i)->valueint ||
          enc->special_tokens_mask[i] != (guint8) cJSON_GetArrayItem (mask, i)->valueint ||
          g_strcmp0 (enc->tokens[i], cJSON_GetArrayItem (tokens, i)->valuestring) != 0 ||
          enc->offsets[2 * i] != (gsize) cJSON_GetArrayItem (off, 0)->valueint ||
          enc->offsets[2 * i + 1] != (gsize) cJSON_GetArrayItem (off, 1)->valueint)
        {
          g_autofree char *expect_off = cJSON_PrintUnformatted (off);
          g_printerr ("%s/%s: token %zu: got id %u type %u mask %u '%s' [%zu,%zu], expected id %d type %d mask %d '%s' %s\n",
                      name, label, i, enc->ids[i], enc->type_ids[i], enc->special_tokens_mask[i], enc->tokens[i],
                      enc->offsets[2 * i], enc->offsets[2 * i + 1],
                      cJSON_GetArrayItem (ids, i)->valueint, cJSON_GetArrayItem (type_ids, i)->valueint,
                      cJSON_GetArrayItem (mask, i)->valueint, cJSON_GetArrayItem (tokens, i)->valuestring, expect_off);
          fails++;
        }
    }
  if (enc->n_tokens != n)
    {
      g_autoptr(GString) got = describe_ids (enc->ids, enc->n_tokens);
      g_autofree char *want = cJSON_PrintUnformatted (ids);
      g_autofree char *want_t = cJSON_PrintUnformatted (tokens);
      GString *gt = g_string_new (NULL);
      for (gsize i = 0; i < enc->n_tokens; i++)
        g_string_append_printf (gt, "'%s' ", enc->tokens[i]);
      g_printerr ("%s/%s: %zu tokens, expected %zu\n  got  %s\n  want %s\n  got tokens %s\n  want tokens %s\n",
                  name, label, enc->n_tokens, n, got->str, want, gt->str, want_t);
      g_string_free (gt, TRUE);
    }
  dec = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, TRUE);
  if (fails == 0 && cJSON_IsString (decoded) && g_strcmp0 (dec, decoded->valuestring) != 0)
    {
      g_printerr ("%s/%s: decode gave \"%s\", expected \"%s\"\n", name, label, dec, decoded->valuestring);
      fails++;
    }
  if (fails == 0)
    {
      const cJSON *with = cJSON_GetObjectItemCaseSensitive (c, "decoded_with_special");
      const char *want = cJSON_IsString (with) ? with->valuestring : decoded->valuestring;
      g_autofree char *dec_all = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, FALSE);
      if (g_strcmp0 (dec_all, want) != 0)
        {
          g_printerr ("%s/%s: decode with special tokens gave \"%s\", expected \"%s\"\n", name, label, dec_all, want);
          fails++;
        }
    }
  return fails > 0 ? 1 : 0;
}

static void
test_tokenizer (gconstpointer data)
{
  const char *name = data;
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"), name);
  const char *rel = cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring;
  g_autofree char *path = g_build_filename (g_getenv ("VS_SHARED_DATA"), rel, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_path (path, &error);
  const cJSON *c;
  guint failed = 0, total = 0;

  g_assert_no_error (error);
  g_assert_nonnull (tok);
  cJSON_ArrayForEach (c, tok_golden_entry_cases (golden, entry))
    {
      failed += check_case (tok, name, c);
      total++;
    }
  g_test_message ("%s: %u of %u cases differ from HF tokenizers", name, failed, total);
  if (failed > 0)
    g_printerr ("%s: %u of %u cases differ from HF tokenizers\n", name, failed, total);
  g_assert_cmpuint (total, >, 30);
  g_assert_cmpuint (failed, ==, 0);
}

static void
replace_item (cJSON *obj, const char *key, const cJSON *value)
{
  cJSON *copy = cJSON_Duplicate (value, TRUE);

  if (cJSON_HasObjectItem (obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive (obj, key, copy);
  else
    cJSON_AddItemToObject (obj, key, copy);
}

/* The variant's tokenizer.json, built as the generator built it: a real
 * file with blocks replaced, or a whole hand-written document. */
static char *
variant_json (const cJSON *v)
{
  const cJSON *json = cJSON_GetObjectItemCaseSensitive (v, "json");
  const cJSON *base = cJSON_GetObjectItemCaseSensitive (v, "base");
  const cJSON *it;
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  cJSON *root, *model;
  char *out;

  if (json != NULL)
    return cJSON_PrintUnformatted (json);
  path = g_build_filename (g_getenv ("VS_SHARED_DATA"), base->valuestring, NULL);
  g_file_get_contents (path, &data, NULL, &error);
  g_assert_no_error (error);
  root = cJSON_Parse (data);
  g_assert_nonnull (root);
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (v, "patch"))
    replace_item (root, it->string, it);
  model = cJSON_GetObjectItemCaseSensitive (root, "model");
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (v, "model_patch"))
    replace_item (model, it->string, it);
  if (cJSON_HasObjectItem (v, "model_replace"))
    {
      cJSON *m = cJSON_Duplicate (cJSON_GetObjectItemCaseSensitive (v, "model_replace"), TRUE);
      cJSON_AddItemToObject (m, "vocab", cJSON_DetachItemFromObjectCaseSensitive (model, "vocab"));
      cJSON_ReplaceItemInObjectCaseSensitive (root, "model", m);
    }
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (v, "model_vocab_append"))
    cJSON_AddItemToArray (cJSON_GetObjectItemCaseSensitive (model, "vocab"), cJSON_Duplicate (it, TRUE));
  cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive (v, "extra_added"))
    cJSON_AddItemToArray (cJSON_GetObjectItemCaseSensitive (root, "added_tokens"), cJSON_Duplicate (it, TRUE));
  out = cJSON_PrintUnformatted (root);
  cJSON_Delete (root);
  return out;
}

static void
test_variant (gconstpointer data)
{
  const cJSON *v = data;
  const char *name = cJSON_GetObjectItemCaseSensitive (v, "name")->valuestring;
  g_autofree char *json = variant_json (v);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = vs_tokenizer_new_from_json_data (json, strlen (json), name, &error);
  const cJSON *c;
  guint failed = 0, total = 0;

  g_assert_no_error (error);
  cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive (v, "cases"))
    {
      failed += check_case (tok, name, c);
      total++;
    }
  g_test_message ("%s: %u of %u cases differ from HF tokenizers", name, failed, total);
  g_assert_cmpuint (total, >, 10);
  g_assert_cmpuint (failed, ==, 0);
}

int
main (int argc, char **argv)
{
  const cJSON *t;
  int ret;

  g_test_init (&argc, &argv, NULL);
  golden = tok_golden_load ("golden.json");
  tok_golden_add_per_tokenizer (golden, "/tokenizer/golden/", test_tokenizer);
  variants = tok_golden_load ("golden-variants.json");
  cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive (variants, "variants"))
    {
      g_autofree char *tp = g_strdup_printf ("/tokenizer/variant/%s",
                                             cJSON_GetObjectItemCaseSensitive (t, "name")->valuestring);
      g_test_add_data_func (tp, t, test_variant);
    }
  ret = g_test_run ();
  cJSON_Delete (golden);
  cJSON_Delete (variants);
  return ret;
}
