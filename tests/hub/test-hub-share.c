/* test-hub-share.c: repo names, card front matter, replaced files.
 *
 * The front matter check accepts the card the engine renders (and the
 * sentence-transformers card shapes: lists at their key's indent, lists of
 * maps, nested maps, quoted and flow values) and refuses what a YAML parser
 * refuses, naming the line.
 */
#include <string.h>

#include <curl/curl.h>
#include <glib/gstdio.h>

#include "vs-error.h"
#include "hub/vs-hub-share.h"
#include "hub/vs-hub.h"
#include "hub/vs-model-card.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

static void
test_repo_names (void)
{
  static const char *const good[] = { "my-model", "a", "MiniLM_L6.v2", "x1-2_3.4", "0", NULL };
  static const struct { const char *name; const char *why; } bad[] = {
    { "", "empty" },
    { "-model", "start with '-'" },
    { ".model", "start with '.'" },
    { "model-", "end with '-'" },
    { "model.", "end with '.'" },
    { "my model", "space" },
    { "my/model", "'/'" },
    { "caf\xc3\xa9", "ASCII" },
    { "a--b", "\"--\"" },
    { "a..b", "\"..\"" },
  };
  g_autofree char *longest = g_strnfill (VS_HUB_REPO_NAME_MAX, 'a');
  g_autofree char *too_long = g_strnfill (VS_HUB_REPO_NAME_MAX + 1, 'a');
  g_autoptr(GError) error = NULL;

  for (guint i = 0; good[i] != NULL; i++)
    {
      g_assert_true (vs_hub_check_repo_name (good[i], &error));
      g_assert_no_error (error);
    }
  g_assert_true (vs_hub_check_repo_name (longest, &error));
  g_assert_no_error (error);
  g_assert_false (vs_hub_check_repo_name (too_long, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "97 characters"));
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (vs_hub_check_repo_name (bad[i].name, &error));
      g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
      if (strstr (error->message, bad[i].why) == NULL)
        g_error ("%s: \"%s\" does not say %s", bad[i].name, error->message, bad[i].why);
      g_clear_error (&error);
    }
}

static void
assert_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint line = 99;

  if (!vs_model_card_check_front_matter (text, &line, &error))
    g_error ("refused: %s\n%s", error->message, text);
  g_assert_cmpuint (line, ==, 0);
}

static void
assert_bad (const char *text,
            guint       want_line,
            const char *want_words)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strdup_printf ("line %u: ", want_line);
  guint line = 0;

  if (vs_model_card_check_front_matter (text, &line, &error))
    g_error ("accepted:\n%s", text);
  g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  g_assert_cmpuint (line, ==, want_line);
  if (!g_str_has_prefix (error->message, prefix) || strstr (error->message, want_words) == NULL)
    g_error ("\"%s\" is not \"%s...%s\"", error->message, prefix, want_words);
}

static void
test_front_matter (void)
{
  /* The shapes sentence-transformers writes. */
  assert_ok ("---\nlanguage:\n- en\nlicense: apache-2.0\ntags:\n- sentence-transformers\n"
             "- dataset_size:5749\nbase_model: sentence-transformers/LaBSE\n"
             "widget:\n- source_sentence: A man is playing a flute.\n  sentences:\n"
             "  - A man is playing a flute.\n  - \"Quoted: with a colon\"\n"
             "model-index:\n- name: SentenceTransformer\n  results:\n  - task:\n"
             "      type: semantic-similarity\n      name: Semantic Similarity\n"
             "    dataset:\n      name: sts dev\n      type: sts-dev\n    metrics:\n"
             "    - type: pearson_cosine\n      value: 0.5\n      name: Pearson Cosine\n"
             "---\n\n# Title\n\nkey: not metadata: anymore\n");
  assert_ok ("---\r\nlicense: mit\r\ntags: [a, \"b, c\", {x: 1}]\r\nempty:\r\n# comment\r\n"
             "nested:\n  deeper:\n    deepest: 'it''s'\n  back: 1 # a comment\n---\n");
  assert_ok ("---\ndescription: |\n  Free text: with colons\n    and any indent\nlicense: mit\n---\n");
  assert_ok ("---\n---\nbody only\n");

  assert_bad ("# Title\n", 1, "start with a line \"---\"");
  assert_bad ("---\nlicense: mit\n", 1, "not closed");
  assert_bad ("---\nlicense: mit\nlicense: apache-2.0\n---\n", 3, "\"license\" appears twice");
  assert_bad ("---\ntags:\n\t- a\n---\n", 3, "tab");
  assert_bad ("---\nlicense: mit\n  extra: 1\n---\n", 3, "unexpected indentation");
  assert_bad ("---\ntags:\n- a\n - b\n---\n", 4, "unexpected indentation");
  assert_bad ("---\nbase_model: \"unclosed\n---\n", 2, "not closed");
  assert_bad ("---\ntags: [a, b\n---\n", 2, "not closed");
  assert_bad ("---\ntags: [a, b}\n---\n", 2, "does not match");
  assert_bad ("---\nlicense: mit: again\n---\n", 2, "second ':'");
  assert_bad ("---\njust a sentence\n---\n", 2, "expected \"key: value\"");
  assert_bad ("---\n- a\n---\n", 2, "top level");
  assert_bad ("---\ntags:\n- a\nb: 1\n  - c\n---\n", 5, "unexpected indentation");
  assert_bad ("---\nmodel-index:\n- name: x\n  name: y\n---\n", 4, "\"name\" appears twice");
  assert_bad ("---\nname: @me\n---\n", 2, "cannot start with '@'");
  assert_bad ("---\n: value\n---\n", 2, "without a key");
  assert_bad ("---\nmap:\n  a: 1\n  - b\n---\n", 4, "list item where");
}

static void
test_engine_card (void)
{
  g_autofree char *src = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures", "bert", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(cJSON) rec = cJSON_Parse (
    "{\"base_model\": \"sentence-transformers/all-MiniLM-L6-v2\", \"language\": [\"en\"], \"license\": \"apache-2.0\","
    " \"datasets\": [{\"name\": \"stsb-train.csv\", \"split\": \"train\", \"num_rows\": 100,"
    "   \"columns\": [\"sentence1\", \"sentence2\", \"score\"],"
    "   \"samples\": [{\"sentence1\": \"A plane: taking off.\", \"sentence2\": \"'Quoted' # not a comment\", \"score\": 1.0}]}],"
    " \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": 20.0}},"
    " \"log\": [{\"epoch\": 1.0, \"step\": 10, \"training_loss\": 4.25, \"sts-dev_spearman_cosine\": 0.8}],"
    " \"final_metrics\": {\"sts-dev_pearson_cosine\": 0.82, \"sts-dev_spearman_cosine\": 0.81},"
    " \"evaluator\": \"EmbeddingSimilarityEvaluator\", \"evaluator_name\": \"sts-dev\"}");
  g_autofree char *text = vs_model_card_render (src, rec, "testuser/card-model", &error);

  g_assert_no_error (error);
  assert_ok (text);
}

static void
test_replaced_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-share-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "1_Pooling", NULL);
  g_autofree char *a = g_build_filename (dir, "config.json", NULL);
  g_autofree char *b = g_build_filename (sub, "config.json", NULL);
  g_autofree char *c = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *junk = g_build_filename (dir, "model.safetensors~", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(cJSON) info = cJSON_Parse ("{\"siblings\": [{\"rfilename\": \".gitattributes\"},"
                                       " {\"rfilename\": \"model.safetensors\"},"
                                       " {\"rfilename\": \"1_Pooling/config.json\"},"
                                       " {\"rfilename\": \"model.safetensors~\"}]}");
  g_auto(GStrv) replaced = NULL;
  g_auto(GStrv) none = NULL;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (a, "{}", -1, NULL));
  g_assert_true (g_file_set_contents (b, "{}", -1, NULL));
  g_assert_true (g_file_set_contents (c, "x", -1, NULL));
  g_assert_true (g_file_set_contents (junk, "x", -1, NULL));

  replaced = vs_hub_folder_replaced_files (dir, info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (replaced), ==, 2);
  g_assert_cmpstr (replaced[0], ==, "1_Pooling/config.json");
  g_assert_cmpstr (replaced[1], ==, "model.safetensors");

  none = vs_hub_folder_replaced_files (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  {
    g_autofree char *missing = g_build_filename (dir, "nope", NULL);
    g_auto(GStrv) r = vs_hub_folder_replaced_files (missing, info, &error);
    g_assert_null (r);
    g_assert_error (error, VS_ERROR, VS_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "nope"));
    g_clear_error (&error);
  }

  g_remove (junk);
  g_remove (c);
  g_remove (b);
  g_remove (a);
  g_rmdir (sub);
  g_rmdir (dir);
}

static const char *fake_hub_path;

static size_t
collect (char *ptr, size_t size, size_t n, void *user)
{
  g_string_append_len (user, ptr, size * n);
  return size * n;
}

static void
fake_post (const char *hub,
           const char *path,
           const char *json)
{
  CURL *c = curl_easy_init ();
  g_autofree char *url = g_strconcat (hub, path, NULL);
  g_autoptr(GString) body = g_string_new (NULL);
  long status = 0;

  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, body);
  curl_easy_setopt (c, CURLOPT_POSTFIELDS, json);
  g_assert_cmpint (curl_easy_perform (c), ==, CURLE_OK);
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
  g_assert_cmpint (status, ==, 200);
  curl_easy_cleanup (c);
}

static void
test_fake_hub_answers (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);
  g_autofree char *bert = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures", "bert", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("vs-hub-share-XXXXXX", NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(VsHub) hub = NULL;
  g_autoptr(cJSON) who = NULL;
  cJSON *reply;
  char *sp;

  if (fake_hub_path == NULL)
    {
      g_test_skip ("no fake Hub given");
      return;
    }
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           fake_hub_path, "--parquet", parquet, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  sp = strchr (line, ' ');
  g_assert_nonnull (sp);
  *sp = '\0';
  g_setenv ("HF_ENDPOINT", line, TRUE);
  g_setenv ("HF_HOME", tmp, TRUE);
  g_unsetenv ("HF_TOKEN");
  g_unsetenv ("HF_TOKEN_PATH");
  hub = vs_hub_new ();
  vs_hub_set_token (hub, "hf_test_write");

  /* whoami lists the orgs the fake Hub was given. */
  fake_post (line, "/_test/config", "{\"whoami_orgs\": [\"testorg\", \"otherorg\"]}");
  who = vs_hub_whoami (hub, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (who, "orgs")), ==, 2);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (cJSON_GetObjectItem (who, "orgs"), 1),
                                                              "name")), ==, "otherorg");

  /* 413: too large, in plain words; the push can then go through. */
  g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/big", FALSE, NULL, &error));
  g_assert_no_error (error);
  fake_post (line, "/_test/rule", "{\"match\": \"preupload\", \"status\": 413, \"count\": 1,"
                                  " \"error_message\": \"Payload Too Large\"}");
  reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/big", bert, NULL, "Add", FALSE, &error);
  g_assert_null (reply);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_assert_nonnull (strstr (error->message, "HTTP 413"));
  g_clear_error (&error);
  reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/big", bert, NULL, "Add", FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  cJSON_Delete (reply);

  g_output_stream_close (g_subprocess_get_stdin_pipe (proc), NULL, NULL);
  g_subprocess_wait (proc, NULL, NULL);
  vs_hub_logout (NULL);
  g_rmdir (tmp);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (argc > 1)
    fake_hub_path = argv[1];
  g_test_add_func ("/hub/share/fake-hub-answers", test_fake_hub_answers);
  g_test_add_func ("/hub/share/repo-names", test_repo_names);
  g_test_add_func ("/hub/share/front-matter", test_front_matter);
  g_test_add_func ("/hub/share/engine-card", test_engine_card);
  g_test_add_func ("/hub/share/replaced-files", test_replaced_files);
  return g_test_run ();
}
