/* test-model-info.c: model facts (vs-model-info.h) and the module stack rules
 * (vs-module-spec.h), against the fixtures' own config.json / safetensors
 * headers read here independently. */
#include "config.h"

#include <cjson/cJSON.h>
#include <glib/gstdio.h>
#include <string.h>

#include "model/vs-model-info.h"
#include "model/vs-module-spec.h"
#include "vs-error.h"

static char *
fixture_path (const char *name)
{
  return g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "model", "fixtures", name, NULL);
}

static cJSON *
read_json (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  cJSON *json;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  json = cJSON_Parse (text);
  g_assert_nonnull (json);
  return json;
}

static gint64
config_int (const cJSON *config, const char *a, const char *b)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (config, a);

  if (v == NULL)
    v = cJSON_GetObjectItemCaseSensitive (config, b);
  g_assert_true (cJSON_IsNumber (v));
  return (gint64) v->valuedouble;
}

/* Sum of the tensor sizes in a safetensors header, leaving out the pooler. */
static guint64
safetensors_numel (const char *path)
{
  g_autofree char *data = NULL;
  g_autofree char *header = NULL;
  gsize len;
  guint64 hlen = 0, total = 0;
  cJSON *json, *t;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return 0;
  g_assert_cmpuint (len, >=, 8);
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | (guint8) data[i];
  header = g_strndup (data + 8, hlen);
  json = cJSON_Parse (header);
  g_assert_nonnull (json);
  cJSON_ArrayForEach (t, json)
    {
      const cJSON *shape = cJSON_GetObjectItemCaseSensitive (t, "shape");
      const cJSON *d;
      guint64 n = 1;

      if (strcmp (t->string, "__metadata__") == 0 || strstr (t->string, "pooler.") != NULL)
        continue;
      cJSON_ArrayForEach (d, shape)
        n *= (guint64) d->valuedouble;
      total += n;
    }
  cJSON_Delete (json);
  return total;
}

static void
test_facts (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = fixture_path (name);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *st = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *dense_st = g_build_filename (dir, "2_Dense", "model.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (dir, &error);
  cJSON *config;

  g_assert_no_error (error);
  config = read_json (config_path);
  g_assert_cmpuint (vs_model_get_n_layers (model), ==, config_int (config, "num_hidden_layers", "n_layers"));
  g_assert_cmpuint (vs_model_get_n_heads (model), ==, config_int (config, "num_attention_heads", "n_heads"));
  g_assert_cmpuint (vs_model_get_hidden_size (model), ==, config_int (config, "hidden_size", "dim"));
  g_assert_cmpuint (vs_model_count_parameters (model), ==, safetensors_numel (st) + safetensors_numel (dense_st));

  /* The stack as modules: the widths after each module end at the
   * model's dimension; a 2_Dense folder shows as one Dense of its size. */
  {
    cJSON *modules = vs_model_dup_modules_json (model);
    g_autofree gsize *dims = NULL;
    gsize n;
    gboolean has_dense = g_file_test (dense_st, G_FILE_TEST_EXISTS);

    g_assert_true (vs_module_spec_dimensions (vs_model_get_hidden_size (model), modules, &dims, &n, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (dims[n - 1], ==, vs_model_get_dimension (model));
    g_assert_cmpuint (n, ==, 2 + (has_dense ? 1 : 0) + (vs_model_has_normalize (model) ? 1 : 0));
    cJSON_Delete (modules);
  }
  cJSON_Delete (config);
}

static void
test_new_model_facts (void)
{
  g_autofree char *tok = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", "tokenizer", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_new_from_preset ("bert", "tiny", tok, "cls+mean", 0, NULL, FALSE, 1, &error);
  g_autofree char *kind = NULL;

  g_assert_no_error (error);
  /* The preset table of vs-model.h: tiny = 2 layers x 128, 2 heads. */
  g_assert_cmpuint (vs_model_get_n_layers (model), ==, 2);
  g_assert_cmpuint (vs_model_get_n_heads (model), ==, 2);
  g_assert_cmpuint (vs_model_get_pooling_modes (model), ==, VS_POOLING_CLS | VS_POOLING_MEAN);
  g_assert_cmpuint (vs_model_get_dimension (model), ==, 2 * 128);
  g_assert_cmpuint (vs_model_count_parameters (model), >, 0);

  kind = vs_tokenizer_kind_from_path (tok, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kind, ==, "WordPiece");
}

static void
test_tokenizer_kind (void)
{
  g_autofree char *minilm = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "all-MiniLM-L6-v2", NULL);
  g_autofree char *bert = fixture_path ("bert");
  g_autoptr(GError) error = NULL;
  g_autofree char *kind = vs_tokenizer_kind_from_path (minilm, &error);
  char *none;

  g_assert_no_error (error);
  g_assert_cmpstr (kind, ==, "WordPiece");

  none = vs_tokenizer_kind_from_path (bert, &error);
  g_assert_null (none);
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "tokenizer.json"));
}

static void
test_card (void)
{
  g_autofree char *minilm = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "all-MiniLM-L6-v2", NULL);
  g_autofree char *bert = fixture_path ("bert");
  g_autofree char *tmp = g_dir_make_tmp ("vs-card-XXXXXX", NULL);
  g_autofree char *readme = g_build_filename (tmp, "README.md", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModelCardFacts) a = vs_model_card_facts_read (minilm, &error);
  g_autoptr(VsModelCardFacts) b = NULL;
  g_autoptr(VsModelCardFacts) c = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (a->license, ==, "apache-2.0");

  b = vs_model_card_facts_read (bert, &error);   /* no README.md */
  g_assert_no_error (error);
  g_assert_null (b->license);
  g_assert_null (b->base_models[0]);

  g_assert_true (g_file_set_contents (readme,
                 "---\nlicense: \"mit\"\nbase_model:\n- org/a\n  - 'org/b'\ntags:\n- x\n---\n# Card\nlicense: no\n",
                 -1, NULL));
  c = vs_model_card_facts_read (tmp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->license, ==, "mit");
  g_assert_cmpuint (g_strv_length (c->base_models), ==, 2);
  g_assert_cmpstr (c->base_models[0], ==, "org/a");
  g_assert_cmpstr (c->base_models[1], ==, "org/b");
  g_unlink (readme);
  g_rmdir (tmp);
}

static gboolean
dims_of (const char *json, gsize hidden, gsize **dims, gsize *n, GError **error)
{
  cJSON *modules = cJSON_Parse (json);
  gboolean ok;

  g_assert_nonnull (modules);
  ok = vs_module_spec_dimensions (hidden, modules, dims, n, error);
  cJSON_Delete (modules);
  return ok;
}

static void
test_spec_dimensions (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gsize *d1 = NULL, *d2 = NULL, *d3 = NULL;
  gsize n;

  g_assert_true (dims_of ("[{\"type\": \"pooling\", \"mode\": \"mean\"}]", 128, &d1, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (d1[0], ==, 128);
  g_assert_cmpuint (d1[1], ==, 128);

  /* Several modes are concatenated; Dense sets the width; Normalize keeps it. */
  g_assert_true (dims_of ("[{\"type\": \"pooling\", \"mode\": \"cls+max+mean\"},"
                          " {\"type\": \"dense\", \"out_features\": 64, \"activation\": \"relu\"},"
                          " {\"type\": \"normalize\"}]", 128, &d2, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (d2[1], ==, 3 * 128);
  g_assert_cmpuint (d2[2], ==, 64);
  g_assert_cmpuint (d2[3], ==, 64);

  /* No Pooling: mean is implied, as the recipe does. */
  g_assert_true (dims_of ("[{\"type\": \"normalize\"}]", 32, &d3, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (d3[1], ==, 32);
}

static void
test_spec_invalid (void)
{
  static const struct { const char *json; const char *message; } cases[] = {
    { "[{\"type\": \"pooling\"}, {\"type\": \"dense\", \"out_features\": 0}]",
      "modules[1]: a Dense module needs out_features ≥ 1" },
    { "[{\"type\": \"dense\", \"out_features\": 8}, {\"type\": \"pooling\"}]",
      "modules[0]: a Dense module comes after the Pooling module" },
    { "[{\"type\": \"pooling\", \"mode\": \"mean+mean\"}]", "modules[0].mode:" },
    { "[{\"type\": \"pooling\", \"mode\": \"avg\"}]", "modules[0].mode:" },
    { "[{\"type\": \"pooling\", \"mode\": \"\"}]", "modules[0].mode: a Pooling module needs at least one mode" },
    { "[{\"type\": \"pooling\"}, {\"type\": \"pooling\"}]", "modules[1]: only one Pooling" },
    { "[{\"type\": \"pooling\"}, {\"type\": \"normalize\"}, {\"type\": \"normalize\"}]",
      "modules[2]: a stack takes one Normalize module" },
    { "[{\"type\": \"pooling\"}, {\"type\": \"dense\", \"out_features\": 8, \"activation\": \"swish\"}]",
      "modules[1].activation:" },
    { "[{\"type\": \"conv\"}]", "modules[0].type:" },
    { "[3]", "modules[0]: expected an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gsize *dims = NULL;
      gsize n = 0;

      g_assert_false (dims_of (cases[i].json, 128, &dims, &n, &error));
      g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
      if (!g_str_has_prefix (error->message, cases[i].message))
        g_error ("%s: got “%s”, expected “%s…”", cases[i].json, error->message, cases[i].message);
    }
}

static void
test_pooling_strings (void)
{
  g_autofree char *s = NULL;

  g_assert_cmpuint (vs_pooling_modes_from_string ("mean"), ==, VS_POOLING_MEAN);
  g_assert_cmpuint (vs_pooling_modes_from_string ("mean+cls"), ==, VS_POOLING_MEAN | VS_POOLING_CLS);
  g_assert_cmpuint (vs_pooling_modes_from_string (""), ==, 0);
  g_assert_cmpuint (vs_pooling_modes_from_string ("mean+"), ==, 0);
  s = vs_pooling_modes_to_string (VS_POOLING_LASTTOKEN | VS_POOLING_CLS | VS_POOLING_MAX);
  g_assert_cmpstr (s, ==, "cls+max+lasttoken");
}

int
main (int argc, char *argv[])
{
  static const char *fixtures[] = { "bert", "distilbert", "mpnet", "roberta", "xlm-roberta" };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *path = g_strdup_printf ("/model-info/facts/%s", fixtures[i]);
      g_test_add_data_func (path, fixtures[i], test_facts);
    }
  g_test_add_func ("/model-info/new-model", test_new_model_facts);
  g_test_add_func ("/model-info/tokenizer-kind", test_tokenizer_kind);
  g_test_add_func ("/model-info/card", test_card);
  g_test_add_func ("/module-spec/dimensions", test_spec_dimensions);
  g_test_add_func ("/module-spec/invalid", test_spec_invalid);
  g_test_add_func ("/module-spec/pooling-strings", test_pooling_strings);
  return g_test_run ();
}
