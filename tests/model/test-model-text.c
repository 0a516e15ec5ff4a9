/* test-model-text.c: models with real tokenizers (../shared/data), presets,
 * text-level encode, save/load of complete folders, and the CLI.
 *
 * The numbers of the encoders themselves are checked against PyTorch in
 * test-model.c; here the reference is the tokenizer's own ids fed through the
 * id-level API (vs_model_forward_tokens), so text -> ids -> encoder agree.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "model-test-util.h"
#include "vs-engine.h"
#include "vs-error.h"

static const char *const texts[] = {
  "A man is playing a guitar.",
  "  Leading and trailing spaces are stripped.  ",
  "",
  "Ünïcödé, emoji 🙂 and punctuation!?",
  "The quick brown fox jumps over the lazy dog, again and again and again, until the sentence gets long.",
};
#define N_TEXTS G_N_ELEMENTS (texts)

static char *
shared (const char *a, const char *b)
{
  return g_build_filename (g_getenv ("VS_SHARED_DATA"), a, b, NULL);
}

static const struct
{
  const char *arch;
  const char *tok_a, *tok_b;
  const char *pooling;
  gsize dense;
  gboolean normalize;
} cases[] = {
  { "bert", "models", "all-MiniLM-L6-v2", "mean", 0, TRUE },
  { "roberta", "tokenizers", "roberta-base", "cls", 0, FALSE },
  { "xlm-roberta", "tokenizers", "roberta-base", "max", 32, FALSE },
  { "distilbert", "models", "all-MiniLM-L6-v2", "weightedmean", 0, TRUE },
  { "mpnet", "tokenizers", "all-mpnet-base-v2", "mean", 48, TRUE },
};

static char *
rm_rf_cmd (const char *dir)
{
  return g_strdup_printf ("rm -rf '%s'", dir);
}

static void
test_preset (gconstpointer data)
{
  gsize c = GPOINTER_TO_SIZE (data);
  g_autofree char *tokdir = shared (cases[c].tok_a, cases[c].tok_b);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = NULL, m2 = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-text-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (tmp, "model", NULL);
  g_autofree float *a = NULL, *b = NULL, *ids_out = NULL, *one = NULL;
  VsTokenizer *tok;
  gsize D;
  gboolean ok = TRUE;

  m = vs_model_new_from_preset (cases[c].arch, "tiny", tokdir, cases[c].pooling, cases[c].dense, NULL,
                                cases[c].normalize, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vs_model_get_model_type (m), ==, cases[c].arch);
  g_assert_cmpuint (vs_model_get_hidden_size (m), ==, 128);
  D = vs_model_get_dimension (m);
  g_assert_cmpuint (D, ==, cases[c].dense ? cases[c].dense : 128);
  tok = vs_model_get_tokenizer (m);
  g_assert_nonnull (tok);
  g_assert_cmpuint (vs_model_get_tensor_info (m, 0)->shape[0], ==, vs_tokenizer_get_vocab_size (tok));

  a = g_new (float, N_TEXTS * D);
  b = g_new (float, N_TEXTS * D);
  ids_out = g_new (float, N_TEXTS * D);
  one = g_new (float, D);
  g_assert_true (vs_model_encode (m, texts, N_TEXTS, 2, FALSE, a, &error));
  g_assert_no_error (error);

  /* text -> tokenizer ids -> encoder, by hand (strip as sentence-transformers does) */
  {
    guint32 *ids[N_TEXTS], *types[N_TEXTS];
    gsize lengths[N_TEXTS];
    for (gsize i = 0; i < N_TEXTS; i++)
      {
        g_autofree char *s = g_strstrip (g_strdup (texts[i]));
        VsEncoding *e = vs_tokenizer_encode (tok, s, NULL, TRUE, vs_model_get_max_seq_length (m));
        lengths[i] = e->n_tokens;
        ids[i] = g_memdup2 (e->ids, (e->n_tokens + 1) * sizeof (guint32));
        types[i] = g_memdup2 (e->type_ids, (e->n_tokens + 1) * sizeof (guint32));
        g_assert_cmpuint (e->n_tokens, >=, 2);
        vs_encoding_free (e);
      }
    g_assert_true (vs_model_encode_tokens (m, (const guint32 *const *) ids, (const guint32 *const *) types,
                                           lengths, N_TEXTS, FALSE, ids_out, &error));
    for (gsize i = 0; i < N_TEXTS; i++)
      {
        g_free (ids[i]);
        g_free (types[i]);
      }
  }
  ok &= check_close ("encode (batches of 2) vs token ids (one batch)", a, ids_out, N_TEXTS * D, 1e-6, 1e-5);
  if (cases[c].normalize)
    for (gsize i = 0; i < N_TEXTS; i++)
      {
        double nn = 0;
        for (gsize k = 0; k < D; k++)
          nn += (double) a[i * D + k] * a[i * D + k];
        g_assert_cmpfloat_with_epsilon (nn, 1.0, 1e-5);
      }

  /* a text alone */
  g_assert_true (vs_model_encode (m, &texts[4], 1, 1, FALSE, one, &error));
  ok &= check_close ("text 4 alone", one, a + 4 * D, D, 1e-6, 1e-5);

  /* save -> load -> encode: bit-identical, tokenizer files carried */
  g_assert_true (vs_model_save (m, out, &error));
  g_assert_no_error (error);
  {
    g_autofree char *tj = g_build_filename (out, "tokenizer.json", NULL);
    g_autofree char *vt = g_build_filename (out, "vocab.txt", NULL);
    g_autofree char *vj = g_build_filename (out, "vocab.json", NULL);
    g_assert_true (g_file_test (tj, G_FILE_TEST_EXISTS) || g_file_test (vt, G_FILE_TEST_EXISTS) ||
                   g_file_test (vj, G_FILE_TEST_EXISTS));
  }
  m2 = vs_model_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_max_seq_length (m2), ==, vs_model_get_max_seq_length (m));
  g_assert_cmpuint (vs_model_get_dimension (m2), ==, D);
  g_assert_true (vs_model_encode (m2, texts, N_TEXTS, 2, FALSE, b, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (a, b, N_TEXTS * D * sizeof (float)) == 0);

  /* the same seed makes the same model; another seed another */
  {
    g_autoptr(VsModel) same = vs_model_new_from_preset (cases[c].arch, "tiny", tokdir, cases[c].pooling,
                                                        cases[c].dense, NULL, cases[c].normalize, 7, NULL);
    g_autoptr(VsModel) other = vs_model_new_from_preset (cases[c].arch, "tiny", tokdir, cases[c].pooling,
                                                         cases[c].dense, NULL, cases[c].normalize, 8, NULL);
    gsize n;
    float *p0 = vs_model_get_params (m, &n);
    g_assert_true (memcmp (p0, vs_model_get_params (same, NULL), n * sizeof (float)) == 0);
    g_assert_false (memcmp (p0, vs_model_get_params (other, NULL), n * sizeof (float)) == 0);
  }
  {
    g_autofree char *cmd = rm_rf_cmd (tmp);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  g_assert_true (ok);
}

/* HF initialisation statistics of a new model */
static void
test_init (void)
{
  g_autofree char *tokdir = shared ("models", "all-MiniLM-L6-v2");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = vs_model_new_from_preset ("bert", "tiny", tokdir, NULL, 0, NULL, FALSE, 1, &error);
  float *p;

  g_assert_no_error (error);
  p = vs_model_get_params (m, NULL);
  for (gsize k = 0; k < vs_model_get_n_tensors (m); k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      double mean = 0, var = 0;
      for (gsize i = 0; i < info->numel; i++)
        mean += p[info->offset + i];
      mean /= info->numel;
      for (gsize i = 0; i < info->numel; i++)
        var += (p[info->offset + i] - mean) * (p[info->offset + i] - mean);
      var /= info->numel;
      if (g_str_has_suffix (info->name, "LayerNorm.weight"))
        g_assert_true (mean == 1.0 && var == 0.0);
      else if (g_str_has_suffix (info->name, "bias"))
        g_assert_true (mean == 0.0 && var == 0.0);
      else if (info->numel > 10000)
        {
          /* normal (0, 0.02) */
          g_assert_cmpfloat (fabs (mean), <, 0.002);
          g_assert_cmpfloat (fabs (sqrt (var) - 0.02), <, 0.001);
        }
    }
  /* the [PAD] row of the word embeddings is zero */
  for (gsize c = 0; c < 128; c++)
    g_assert_cmpfloat (p[c], ==, 0.0f);
}

static void
test_bad_presets (void)
{
  g_autofree char *tokdir = shared ("models", "all-MiniLM-L6-v2");
  struct { const char *arch, *preset, *tok, *pool; } bad[] = {
    { "gpt2", "tiny", tokdir, NULL },
    { "bert", "huge", tokdir, NULL },
    { "bert", "tiny", "/nonexistent", NULL },
    { "bert", "tiny", tokdir, "median" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VsModel) m = vs_model_new_from_preset (bad[i].arch, bad[i].preset, bad[i].tok, bad[i].pool, 0,
                                                       NULL, FALSE, 1, &error);
      g_assert_null (m);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
    }
}

/* Training forwards from texts: same RNG state, same result (GradCache). */
static void
test_text_training (void)
{
  g_autofree char *tokdir = shared ("tokenizers", "all-mpnet-base-v2");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = vs_model_new_from_preset ("mpnet", "tiny", tokdir, NULL, 0, NULL, TRUE, 3, &error);
  gsize D = vs_model_get_dimension (m);
  g_autofree float *a = g_new (float, N_TEXTS * D), *b = g_new (float, N_TEXTS * D);
  g_autofree float *d = g_new (float, N_TEXTS * D);
  guint64 s;
  VsForward *fw;
  float *g;
  gsize n;
  double gn = 0;

  g_assert_no_error (error);
  s = vs_model_get_rng_state (m);
  /* GradCache: a no-grad pass, then the same state re-run with activations */
  g_assert_true (vs_model_forward_no_grad (m, texts, N_TEXTS, TRUE, a, &error));
  g_assert_cmpuint (vs_model_get_rng_state (m), !=, s);
  vs_model_set_rng_state (m, s);
  fw = vs_model_forward (m, texts, N_TEXTS, TRUE, b, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (a, b, N_TEXTS * D * sizeof (float)) == 0);
  g_assert_cmpuint (vs_forward_get_n (fw), ==, N_TEXTS);
  for (gsize i = 0; i < N_TEXTS * D; i++)
    d[i] = (float) cos (i * 0.1);
  vs_model_zero_grad (m);
  vs_model_backward (m, fw, d);
  vs_forward_free (fw);
  g = vs_model_get_grads (m, &n);
  for (gsize i = 0; i < n; i++)
    gn += (double) g[i] * g[i];
  g_assert_cmpfloat (gn, >, 0.0);
  g_assert_true (isfinite (gn));
}

/* A plain Hugging Face folder whose vocabulary is smaller than its tokenizer's: an error, not a crash. */
static void
test_vocab_mismatch (void)
{
  g_autofree char *micro = fixture_path ("micro-f32");
  g_autofree char *tokdir = shared ("models", "all-MiniLM-L6-v2");
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-text-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = NULL;
  float out[8];
  const char *files[][2] = { { micro, "config.json" }, { micro, "model.safetensors" }, { tokdir, "tokenizer.json" } };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *src = g_build_filename (files[i][0], files[i][1], NULL);
      g_autofree char *dst = g_build_filename (tmp, files[i][1], NULL);
      g_autofree char *text = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (src, &text, &len, NULL));
      g_assert_true (g_file_set_contents (dst, text, (gssize) len, NULL));
    }
  m = vs_model_load (tmp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_dimension (m), ==, 8);
  g_assert_false (vs_model_encode (m, texts, 1, 1, FALSE, out, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  {
    g_autofree char *cmd = rm_rf_cmd (tmp);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

static int
run_cli (const char *args, const char *input, char **out)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s", g_getenv ("VS_CLI"), args);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GBytes) in = g_bytes_new (input != NULL ? input : "", input != NULL ? strlen (input) : 0);
  g_autoptr(GBytes) so = NULL;
  gsize len;

  g_assert_true (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  p = g_subprocess_newv ((const char *const *) argv,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                         G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (p, in, NULL, &so, NULL, &error));
  if (out != NULL)
    *out = g_strndup (g_bytes_get_data (so, &len), g_bytes_get_size (so));
  return g_subprocess_get_exit_status (p);
}

static void
test_cli (void)
{
  g_autofree char *tokdir = shared ("models", "all-MiniLM-L6-v2");
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-cli-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "m", NULL);
  g_autofree char *args = NULL, *out = NULL, *input = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree float *ref = NULL;
  const char *in_texts[] = { "first line", "second, longer line of text", "third", NULL };
  gsize D;

  if (g_getenv ("VS_CLI") == NULL)
    {
      g_test_skip ("VS_CLI not set");
      return;
    }
  args = g_strdup_printf ("new-model --architecture bert --preset tiny --tokenizer %s --pooling cls "
                          "--normalize --seed 5 %s", tokdir, dir);
  g_assert_cmpint (run_cli (args, NULL, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"dimension\":128"));
  g_clear_pointer (&out, g_free);

  input = g_strjoinv ("\n", (char **) in_texts);
  g_clear_pointer (&args, g_free);
  args = g_strdup_printf ("encode %s --batch-size 2 --threads 2", dir);
  g_assert_cmpint (run_cli (args, input, &out), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);   /* three rows + "" after the last newline */
  g_assert_cmpstr (lines[3], ==, "");

  m = vs_model_load (dir, &error);
  g_assert_no_error (error);
  D = vs_model_get_dimension (m);
  ref = g_new (float, 3 * D);
  g_assert_true (vs_model_encode (m, in_texts, 3, 2, FALSE, ref, &error));
  for (gsize i = 0; i < 3; i++)
    {
      cJSON *row = cJSON_Parse (lines[i]), *v;
      gsize k = 0;
      g_assert_true (cJSON_IsArray (row));
      g_assert_cmpint (cJSON_GetArraySize (row), ==, (int) D);
      /* %.9g round-trips a float exactly */
      cJSON_ArrayForEach (v, row)
        g_assert_cmpfloat ((float) v->valuedouble, ==, ref[i * D + k++]);
      cJSON_Delete (row);
    }

  /* usage errors exit 2, failures 1 */
  g_assert_cmpint (run_cli ("new-model --preset tiny /tmp/x", NULL, NULL), ==, 2);
  g_assert_cmpint (run_cli ("encode", NULL, NULL), ==, 2);
  g_assert_cmpint (run_cli ("encode /nonexistent/model", "x\n", NULL), ==, 1);
  {
    g_autofree char *cmd = rm_rf_cmd (tmp);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

static void
set_prompts (const char *dir, const char *default_name)
{
  g_autofree char *path = g_build_filename (dir, "config_sentence_transformers.json", NULL);
  g_autofree char *text = NULL, *outs = NULL;
  cJSON *j, *prompts;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  j = cJSON_Parse (text);
  g_assert_nonnull (j);
  prompts = cJSON_GetObjectItem (j, "prompts");
  cJSON_ReplaceItemInObject (prompts, "query", cJSON_CreateString ("query: "));
  cJSON_ReplaceItemInObject (j, "default_prompt_name",
                             default_name != NULL ? cJSON_CreateString (default_name) : cJSON_CreateNull ());
  outs = cJSON_Print (j);
  g_assert_true (g_file_set_contents (path, outs, -1, NULL));
  cJSON_Delete (j);
}

/* encode(prompt=...) with include_prompt false, at the text level and
 * through `vectorsmith-cli encode --prompt/--prompt-name`: the reference is
 * the id-level API fed the tokenizer's ids of prompt + text with
 * prompt_length 3 (all-MiniLM-L6-v2: [CLS] query : [SEP] less the [SEP]). */
static void
test_prompt (void)
{
  g_autofree char *tokdir = shared ("models", "all-MiniLM-L6-v2");
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-prompt-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "m", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m0 = NULL, m = NULL;
  const char *in_texts[] = { "first line", "second, longer line of text", "third", NULL };
  const gsize n = 3;
  g_autofree float *ref = NULL, *got = NULL, *fwd = NULL, *plain = NULL, *g_tok = NULL;
  guint32 *ids[3];
  gsize lengths[3], pls[3] = { 3, 3, 3 }, D, n_params;
  VsTokenizer *tok;
  VsForward *fw;
  gboolean ok = TRUE;
  double diff = 0.0;

  m0 = vs_model_new_from_preset ("bert", "tiny", tokdir, "mean", 0, NULL, FALSE, 9, &error);
  g_assert_no_error (error);
  g_assert_true (vs_model_get_include_prompt (m0));
  vs_model_set_include_prompt (m0, FALSE);
  g_assert_true (vs_model_save (m0, dir, &error));
  set_prompts (dir, NULL);
  m = vs_model_load (dir, &error);
  g_assert_no_error (error);
  g_assert_false (vs_model_get_include_prompt (m));
  g_assert_cmpstr (vs_model_get_prompt (m, "query"), ==, "query: ");
  g_assert_cmpuint (vs_model_get_prompt_length (m, "query: ", FALSE), ==, 3);
  g_assert_cmpuint (vs_model_get_prompt_length (m, "query: ", TRUE), ==, 3);
  g_assert_cmpuint (vs_model_get_prompt_length (m, NULL, FALSE), ==, 0);

  tok = vs_model_get_tokenizer (m);
  D = vs_model_get_dimension (m);
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *s = g_strconcat ("query: ", in_texts[i], NULL);
      VsEncoding *e = vs_tokenizer_encode (tok, s, NULL, TRUE, 0);
      g_assert_cmpuint (e->n_tokens, >, 3);
      g_assert_cmpint (e->ids[0], ==, vs_tokenizer_token_to_id (tok, "[CLS]"));
      g_assert_cmpint (e->ids[1], ==, vs_tokenizer_token_to_id (tok, "query"));
      g_assert_cmpint (e->ids[2], ==, vs_tokenizer_token_to_id (tok, ":"));
      lengths[i] = e->n_tokens;
      ids[i] = g_memdup2 (e->ids, e->n_tokens * sizeof (guint32));
      vs_encoding_free (e);
    }
  ref = g_new (float, n * D);
  got = g_new (float, n * D);
  fwd = g_new (float, n * D);
  plain = g_new (float, n * D);
  vs_model_get_params (m, &n_params);

  vs_model_zero_grad (m);
  fw = vs_model_forward_tokens_prompted (m, (const guint32 *const *) ids, NULL, lengths, pls, n, FALSE, ref, &error);
  g_assert_no_error (error);
  vs_model_backward (m, fw, ref);
  vs_forward_free (fw);
  g_tok = g_memdup2 (vs_model_get_grads (m, NULL), n_params * sizeof (float));

  g_assert_true (vs_model_encode_with_prompt (m, "query: ", in_texts, n, 32, FALSE, got, &error));
  ok &= check_close ("encode_with_prompt vs ids + prompt_length 3", got, ref, n * D, 1e-6, 1e-5);
  vs_model_zero_grad (m);
  fw = vs_model_forward_with_prompt (m, "query: ", in_texts, n, FALSE, fwd, &error);
  g_assert_no_error (error);
  vs_model_backward (m, fw, ref);
  vs_forward_free (fw);
  g_assert_true (memcmp (fwd, ref, n * D * sizeof (float)) == 0);
  g_assert_true (memcmp (vs_model_get_grads (m, NULL), g_tok, n_params * sizeof (float)) == 0);

  /* the prompt's tokens do change the result when pooled */
  {
    const char *prompted[] = { "query: first line", "query: second, longer line of text", "query: third" };
    g_assert_true (vs_model_encode (m, prompted, n, 32, FALSE, plain, &error));
    for (gsize i = 0; i < n * D; i++)
      diff = MAX (diff, fabs ((double) plain[i] - got[i]));
    g_assert_cmpfloat (diff, >, 1e-3);
  }

  if (g_getenv ("VS_CLI") != NULL)
    {
      g_autofree char *input = g_strjoinv ("\n", (char **) in_texts);
      g_autofree char *a1 = g_strdup_printf ("encode %s --prompt 'query: '", dir);
      g_autofree char *a2 = g_strdup_printf ("encode %s --prompt-name query", dir);
      g_autofree char *a3 = g_strdup_printf ("encode %s", dir);
      g_autofree char *a4 = g_strdup_printf ("encode %s --prompt-name nope", dir);
      g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
      g_auto(GStrv) lines = NULL;

      g_assert_cmpint (run_cli (a1, input, &o1), ==, 0);
      lines = g_strsplit (o1, "\n", -1);
      g_assert_cmpuint (g_strv_length (lines), ==, n + 1);
      for (gsize i = 0; i < n; i++)
        {
          cJSON *row = cJSON_Parse (lines[i]), *v;
          gsize k = 0;
          g_assert_cmpint (cJSON_GetArraySize (row), ==, (int) D);
          cJSON_ArrayForEach (v, row)
            g_assert_cmpfloat ((float) v->valuedouble, ==, got[i * D + k++]);
          cJSON_Delete (row);
        }
      g_assert_cmpint (run_cli (a2, input, &o2), ==, 0);
      g_assert_cmpstr (o2, ==, o1);
      /* no prompt: the plain embeddings */
      g_assert_cmpint (run_cli (a3, input, &o3), ==, 0);
      g_assert_cmpstr (o3, !=, o1);
      /* default_prompt_name applies when no prompt is given */
      set_prompts (dir, "query");
      g_clear_pointer (&o3, g_free);
      g_assert_cmpint (run_cli (a3, input, &o3), ==, 0);
      g_assert_cmpstr (o3, ==, o1);
      g_assert_cmpint (run_cli (a4, input, &o4), ==, 1);
    }

  for (gsize i = 0; i < n; i++)
    g_free (ids[i]);
  {
    g_autofree char *cmd = rm_rf_cmd (tmp);
    g_assert_cmpint (system (cmd), ==, 0);
  }
  g_assert_true (ok);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vs_engine_set_threads (2);
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *p = g_strdup_printf ("/model-text/preset/%s", cases[c].arch);
      g_test_add_data_func (p, GSIZE_TO_POINTER (c), test_preset);
    }
  g_test_add_func ("/model-text/init", test_init);
  g_test_add_func ("/model-text/bad-presets", test_bad_presets);
  g_test_add_func ("/model-text/training", test_text_training);
  g_test_add_func ("/model-text/vocab-mismatch", test_vocab_mismatch);
  g_test_add_func ("/model-text/cli", test_cli);
  g_test_add_func ("/model-text/prompt", test_prompt);
  return g_test_run ();
}
