/* test-limits.c: long inputs and long runs.
 *
 * /limits/long-text: a 100,000-character text is truncated to the model's
 *   max_seq_length, not fatal, in tokenize, encode and train (CLI); its
 *   embedding equals that of a 2,000-character prefix (truncation keeps the
 *   head only, so the tail cannot matter: max |diff| <= 1e-6).
 * /limits/big-vocab: a generated 250,000-token WordPiece tokenizer.json
 *   (> 10 MB) loads and tokenizes to the ids the generator assigned.
 * /limits/rss-flat: 100,000 tiny training steps (VS_LIMITS_STEPS to
 *   change) keep the resident set flat: sampled every 1,000 steps through
 *   the trainer's event callback; after a warm-up of 10,000 steps, growth
 *   beyond 16 MiB + 192 bytes per step fails. The per-step part is the
 *   event log the trainer keeps for its checkpoints (one compact JSON line
 *   of ~130 bytes per step, replayed on resume); before it was kept as
 *   cJSON trees the run grew by ~550 bytes per step and failed here. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <cjson/cJSON.h>

#include "tokenizer/vs-tokenizer.h"
#include "train/vs-checkpoint.h"
#include "train/vs-recipe.h"
#include "train/vs-trainer.h"
#include "vs-test-fixture.h"

static char *
cli (const char *const *args,
     const char        *input,
     int               *status_out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_newv ((const char *const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                         G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, &out, &err, &error));
  g_assert_no_error (error);
  *status_out = g_subprocess_get_exit_status (p);
  if (*status_out != 0)
    g_test_message ("stderr: %s", err);
  return out;
}

static char *
long_text (gsize n)
{
  const char *words[] = { "alpha", "beta", "gamma", "delta", "the", "cat", "sat", "on", "mat" };
  GString *s = g_string_new (NULL);
  GRand *r = g_rand_new_with_seed (1);

  while (s->len < n)
    {
      if (s->len > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, words[g_rand_int_range (r, 0, G_N_ELEMENTS (words))]);
    }
  g_string_truncate (s, n);
  g_rand_free (r);
  return g_string_free (s, FALSE);
}

static void
test_long_text (void)
{
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *model = g_build_filename (fixture, "model", NULL);
  g_autofree char *text = long_text (100000);
  g_autofree char *prefix = g_strndup (text, 2000);
  g_autofree char *input = g_strdup_printf ("%s\n%s\n", text, prefix);
  g_autofree char *dir = g_dir_make_tmp ("vs-limits-XXXXXX", NULL);
  g_autofree char *bert = g_build_filename (model, "sentence_bert_config.json", NULL);
  cJSON *cfg = vs_test_load_json (bert);
  int max_len = (int) cJSON_GetNumberValue (cJSON_GetObjectItem (cfg, "max_seq_length"));
  int status;

  cJSON_Delete (cfg);
  g_assert_cmpuint (strlen (text), ==, 100000);
  {
    const char *args[] = { "tokenize", model, NULL };
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    cJSON *j;

    out = cli (args, input, &status);
    g_assert_cmpint (status, ==, 0);
    lines = g_strsplit (out, "\n", -1);
    j = cJSON_Parse (lines[0]);
    g_assert_nonnull (j);
    g_test_message ("100,000 characters -> %d ids (max_seq_length %d)",
                    cJSON_GetArraySize (cJSON_GetObjectItem (j, "ids")), max_len);
    g_assert_cmpint (cJSON_GetArraySize (cJSON_GetObjectItem (j, "ids")), ==, max_len);
    cJSON_Delete (j);
  }
  {
    const char *args[] = { "encode", model, NULL };
    g_autofree char *out = cli (args, input, &status);
    g_auto(GStrv) lines = NULL;
    cJSON *a, *b;
    double worst = 0.0;

    g_assert_cmpint (status, ==, 0);
    lines = g_strsplit (out, "\n", -1);
    a = cJSON_Parse (lines[0]);
    b = cJSON_Parse (lines[1]);
    g_assert_true (cJSON_IsArray (a) && cJSON_IsArray (b));
    g_assert_cmpint (cJSON_GetArraySize (a), ==, cJSON_GetArraySize (b));
    g_assert_cmpint (cJSON_GetArraySize (a), >, 0);
    for (int i = 0; i < cJSON_GetArraySize (a); i++)
      {
        double x = cJSON_GetNumberValue (cJSON_GetArrayItem (a, i));
        double y = cJSON_GetNumberValue (cJSON_GetArrayItem (b, i));

        g_assert_true (isfinite (x));
        worst = MAX (worst, fabs (x - y));
      }
    g_test_message ("encode: max |long - prefix| = %g", worst);
    g_assert_cmpfloat (worst, <=, 1e-6);
    cJSON_Delete (a);
    cJSON_Delete (b);
  }
  {
    g_autofree char *csv = g_build_filename (dir, "long.csv", NULL);
    g_autofree char *recipe = g_build_filename (dir, "recipe.json", NULL);
    g_autofree char *out = g_build_filename (dir, "out", NULL);
    g_autoptr(GString) rows = g_string_new ("anchor,positive\n");
    g_autofree char *rtext = NULL;
    g_autofree char *stdout_text = NULL;
    const char *args[] = { "train", recipe, "--quiet", NULL };

    for (int i = 0; i < 8; i++)
      g_string_append_printf (rows, "\"%s\",short text %d\n", text, i);
    g_assert_true (g_file_set_contents (csv, rows->str, -1, NULL));
    rtext = g_strdup_printf ("{\"model\": \"%s\", \"train\": {\"path\": \"%s\"},"
                             " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
                             " \"args\": {\"max_steps\": 2, \"batch_size\": 4}, \"output_dir\": \"%s\"}",
                             model, csv, out);
    g_assert_true (g_file_set_contents (recipe, rtext, -1, NULL));
    stdout_text = cli (args, "", &status);
    g_assert_cmpint (status, ==, 0);
  }
  vs_remove_tree (dir, NULL);
}

/* A WordPiece tokenizer.json of 250,000 tokens: [PAD] [UNK] [CLS] [SEP]
 * then "w0" … "w249995". */
static void
test_big_vocab (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-limits-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tokenizer.json", NULL);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsTokenizer) tok = NULL;
  VsEncoding *enc = NULL;
  const guint n = 250000;
  struct stat st;

  g_string_append (s, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                   "{\"id\":0,\"content\":\"[PAD]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
                   "{\"id\":1,\"content\":\"[UNK]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
                   "{\"id\":2,\"content\":\"[CLS]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
                   "{\"id\":3,\"content\":\"[SEP]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}],"
                   "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
                   "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                   "\"post_processor\":{\"type\":\"TemplateProcessing\","
                   "\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],"
                   "\"pair\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":1}}],"
                   "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
                   "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
                   "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
                   "\"max_input_chars_per_word\":100,\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3");
  /* Long tokens, so that the file passes 10 MB as real multilingual ones do. */
  for (guint i = 4; i < n; i++)
    g_string_append_printf (s, ",\"tok%06uxyzxyzxyzxyzxyzxyzxyzxyz\":%u", i, i);
  g_string_append (s, "}}}");
  g_assert_true (g_file_set_contents (path, s->str, (gssize) s->len, NULL));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_test_message ("tokenizer.json: %u tokens, %" G_GINT64_FORMAT " bytes", n, (gint64) st.st_size);
  g_assert_cmpint (st.st_size, >, 10 * 1000 * 1000);

  tok = vs_tokenizer_new_from_path (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_tokenizer_get_vocab_size (tok), ==, n);
  enc = vs_tokenizer_encode (tok, "tok000004xyzxyzxyzxyzxyzxyzxyzxyz TOK249999xyzxyzxyzxyzxyzxyzxyzxyz nothere tok123456xyzxyzxyzxyzxyzxyzxyzxyz",
                             NULL, TRUE, 0);
  {
    guint32 want[] = { 2, 4, 249999, 1, 123456, 3 };

    g_assert_cmpuint (enc->n_tokens, ==, G_N_ELEMENTS (want));
    for (guint i = 0; i < enc->n_tokens; i++)
      g_assert_cmpuint (enc->ids[i], ==, want[i]);
  }
  vs_encoding_free (enc);
  vs_remove_tree (dir, NULL);
}

static gsize
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  p = strstr (status, "VmRSS:");
  g_assert_nonnull (p);
  return (gsize) g_ascii_strtoull (p + 6, NULL, 10);
}

typedef struct
{
  GArray *samples;   /* gsize KiB, one per 1,000 steps */
} RssRun;

static void
on_event (const VsTrainEvent *event,
          gpointer            user_data)
{
  RssRun *run = user_data;
  const cJSON *step;

  if (event->kind != VS_TRAIN_EVENT_STEP)
    return;
  step = cJSON_GetObjectItem (event->data, "step");
  if (cJSON_IsNumber (step) && (gint64) step->valuedouble % 1000 == 0)
    {
      gsize kib = rss_kib ();

      g_array_append_val (run->samples, kib);
    }
}

static void
test_rss_flat (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-limits-XXXXXX", NULL);
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *recipe_path = g_build_filename (dir, "recipe.json", NULL);
  const char *steps_env = g_getenv ("VS_LIMITS_STEPS");
  gint64 steps = steps_env != NULL ? g_ascii_strtoll (steps_env, NULL, 10) : 100000;
  g_autofree char *text = g_strdup_printf (
    "{\"model\": \"%s/model\","
    " \"train\": {\"path\": \"%s/pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"args\": {\"max_steps\": %" G_GINT64_FORMAT ", \"batch_size\": 2, \"learning_rate\": 0.0001,"
    "          \"max_seq_length\": 8, \"logging_steps\": 1000, \"save_steps\": 50000, \"save_total_limit\": 1},"
    " \"output_dir\": \"%s/out\"}", fixture, fixture, steps, dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = NULL;
  g_autoptr(VsTrainer) trainer = NULL;
  RssRun run = { g_array_new (FALSE, FALSE, sizeof (gsize)) };
  gsize base, peak = 0;
  guint warm;

  g_assert_true (g_file_set_contents (recipe_path, text, -1, NULL));
  recipe = vs_recipe_load (recipe_path, &error);
  g_assert_no_error (error);
  trainer = vs_trainer_new_from_recipe (recipe, &error);
  g_assert_no_error (error);
  vs_trainer_set_event_func (trainer, on_event, &run, NULL);
  g_assert_true (vs_trainer_run (trainer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (run.samples->len, ==, (guint) (steps / 1000));
  warm = MIN (run.samples->len - 1, 10u);
  base = g_array_index (run.samples, gsize, warm);
  for (guint i = warm; i < run.samples->len; i++)
    peak = MAX (peak, g_array_index (run.samples, gsize, i));
  {
    gsize budget = base + 16384 + (gsize) ((run.samples->len - 1 - warm) * 1000 * 192 / 1024);

    g_test_message ("%" G_GINT64_FORMAT " steps: RSS %zu KiB after warm-up, peak %zu KiB, last %zu KiB "
                    "(budget %zu KiB: 16 MiB + 192 B/step)", steps, base, peak,
                    g_array_index (run.samples, gsize, run.samples->len - 1), budget);
    g_assert_cmpuint (peak, <=, budget);
  }
  g_array_unref (run.samples);
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/long-text", test_long_text);
  g_test_add_func ("/limits/big-vocab", test_big_vocab);
  g_test_add_func ("/limits/rss-flat", test_rss_flat);
  return g_test_run ();
}
