/* test-model-stack.c: module stacks of a new model beyond one Dense.
 *
 * The rules (vs_module_spec_dimensions, vs_module_spec_move): dimensions
 * propagate through several Dense modules, bias off, Normalize; invalid
 * orders are refused with their reason. New models from the recipe's
 * modules (vs_model_new_from_modules) save sentence-transformers folders
 * (modules.json, k_Dense/config.json, linear.weight / linear.bias) that load
 * back to the same embeddings and match PyTorch (tests/reference/
 * model_arch.py, which loads the folder the way sentence-transformers does:
 * Dense(**config) then a strict load_state_dict). The CLI's repeatable
 * --dense OUT[:ACT][:nobias] builds such stacks.
 */
#include <cjson/cJSON.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "model/vs-model.h"
#include "model/vs-model-info.h"
#include "model/vs-module-spec.h"
#include "model/vs-safetensors.h"
#include "vs-error.h"

#include "model-test-util.h"

static const char *const texts[] = {
  "A man is playing a guitar.",
  "The quick brown fox jumps over the lazy dog.",
  "Embeddings.",
};
#define N_TEXTS G_N_ELEMENTS (texts)

static char *
tokenizer_dir (void)
{
  return g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "all-MiniLM-L6-v2", NULL);
}

static cJSON *
parse (const char *json)
{
  cJSON *j = cJSON_Parse (json);

  g_assert_nonnull (j);
  return j;
}

static void
test_dimensions (void)
{
  static const struct { const char *modules; gsize n; gsize dims[6]; } cases[] = {
    { "[{\"type\":\"pooling\",\"mode\":\"cls+mean\"},"
      "{\"type\":\"dense\",\"out_features\":64,\"activation\":\"tanh\"},"
      "{\"type\":\"dense\",\"out_features\":32,\"activation\":\"identity\",\"bias\":false},"
      "{\"type\":\"normalize\"}]", 5, { 128, 256, 64, 32, 32 } },
    /* no Pooling: mean is implied, the Dense reads 128 */
    { "[{\"type\":\"dense\",\"out_features\":16,\"bias\":false},{\"type\":\"dense\",\"out_features\":300}]",
      3, { 128, 16, 300 } },
    { "[{\"type\":\"pooling\",\"mode\":\"max\"},{\"type\":\"dense\",\"out_features\":8},"
      "{\"type\":\"dense\",\"out_features\":9},{\"type\":\"dense\",\"out_features\":10}]",
      5, { 128, 128, 8, 9, 10 } },
    /* a Dense after Normalize (sentence-transformers runs modules in order) */
    { "[{\"type\":\"pooling\"},{\"type\":\"normalize\"},{\"type\":\"dense\",\"out_features\":16}]",
      4, { 128, 128, 128, 16 } },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      cJSON *modules = parse (cases[c].modules);
      g_autoptr(GError) error = NULL;
      g_autofree gsize *dims = NULL;
      gsize n = 0;

      g_assert_true (vs_module_spec_dimensions (128, modules, &dims, &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, cases[c].n);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpuint (dims[i], ==, cases[c].dims[i]);
      cJSON_Delete (modules);
    }
}

static void
test_invalid (void)
{
  static const struct { const char *modules, *reason; } cases[] = {
    { "[{\"type\":\"dense\",\"out_features\":8},{\"type\":\"pooling\"}]",
      "modules[0]: a Dense module comes after the Pooling module" },
    { "[{\"type\":\"normalize\"},{\"type\":\"pooling\"}]",
      "modules[0]: a Normalize module comes after the Pooling module" },
    { "[{\"type\":\"pooling\"},{\"type\":\"pooling\",\"mode\":\"cls\"}]",
      "modules[1]: only one Pooling module, right after the Transformer" },
    { "[{\"type\":\"pooling\"},{\"type\":\"normalize\"},{\"type\":\"normalize\"}]",
      "modules[2]: a stack takes one Normalize module" },
    { "[{\"type\":\"pooling\"},{\"type\":\"dense\",\"out_features\":8,\"bias\":\"no\"}]",
      "modules[1].bias: expected true or false" },
    { "[{\"type\":\"pooling\"},{\"type\":\"dense\",\"out_features\":0}]",
      "modules[1]: a Dense module needs out_features ≥ 1" },
    { "[{\"type\":\"pooling\"},{\"type\":\"dense\",\"out_features\":8,\"activation\":\"softmax\"}]",
      "modules[1].activation: expected tanh, identity" },
    { "[{\"type\":\"pooling\",\"mode\":\"\"}]",
      "modules[0].mode: a Pooling module needs at least one mode" },
    { "[{\"type\":\"transformer\"}]", "modules[0].type: expected pooling, dense or normalize" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      cJSON *modules = parse (cases[c].modules);
      g_autoptr(GError) error = NULL;
      g_autofree gsize *dims = NULL;
      gsize n = 0;

      g_assert_false (vs_module_spec_dimensions (128, modules, &dims, &n, &error));
      g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
      g_test_message ("%s -> %s", cases[c].modules, error->message);
      g_assert_true (g_str_has_prefix (error->message, cases[c].reason));
      cJSON_Delete (modules);
    }
}

static void
test_move (void)
{
  cJSON *modules = parse ("[{\"type\":\"pooling\",\"mode\":\"mean\"},"
                          "{\"type\":\"dense\",\"out_features\":64},"
                          "{\"type\":\"dense\",\"out_features\":32,\"bias\":false},"
                          "{\"type\":\"normalize\"}]");
  static const struct { int index, delta; const char *reason; } refused[] = {
    { 0, -1, "modules[0]: the Transformer stays first" },
    { 0, 1, "modules[0]: a Dense module comes after the Pooling module" },
    { 3, 1, "modules[3]: already the last module" },
    { 1, -1, "modules[0]: a Dense module comes after the Pooling module" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree gsize *dims = NULL;
  cJSON *moved;
  gsize n;

  for (guint c = 0; c < G_N_ELEMENTS (refused); c++)
    {
      g_autoptr(GError) e = NULL;

      moved = vs_module_spec_move (128, modules, refused[c].index, refused[c].delta, &e);
      g_assert_null (moved);
      g_assert_error (e, VS_ERROR, VS_ERROR_INVALID);
      g_test_message ("move %d by %d -> %s", refused[c].index, refused[c].delta, e->message);
      g_assert_true (g_str_has_prefix (e->message, refused[c].reason));
    }

  /* Swapping the two Dense modules is allowed: the widths follow. */
  moved = vs_module_spec_move (128, modules, 2, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (moved);
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 1), "out_features")), ==, 32);
  g_assert_true (cJSON_IsFalse (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 1), "bias")));
  g_assert_true (vs_module_spec_dimensions (128, moved, &dims, &n, &error));
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (dims[2], ==, 32);
  g_assert_cmpuint (dims[3], ==, 64);
  g_assert_cmpuint (dims[4], ==, 64);
  cJSON_Delete (moved);
  g_clear_pointer (&dims, g_free);

  /* Normalize up, before the second Dense: allowed; the width is kept
   * through Normalize and the last Dense still sets it. */
  moved = vs_module_spec_move (128, modules, 3, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 2), "type")), ==, "normalize");
  g_assert_true (vs_module_spec_dimensions (128, moved, &dims, &n, &error));
  g_assert_cmpuint (dims[3], ==, 64);
  g_assert_cmpuint (dims[4], ==, 32);
  cJSON_Delete (moved);
  g_clear_pointer (&dims, g_free);

  /* Reorder (drag and drop): Normalize from the end to place 1, before
   * both Dense modules; onto the Transformer or above Pooling: refused. */
  moved = vs_module_spec_reorder (128, modules, 3, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 1), "type")), ==, "normalize");
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 2), "out_features")), ==, 64);
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 3), "out_features")), ==, 32);
  g_assert_true (vs_module_spec_dimensions (128, moved, &dims, &n, &error));
  g_assert_cmpuint (dims[2], ==, 128);
  g_assert_cmpuint (dims[4], ==, 32);
  cJSON_Delete (moved);
  {
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_null (vs_module_spec_reorder (128, modules, 2, -1, &e1));
    g_assert_true (g_str_has_prefix (e1->message, "modules[2]: the Transformer stays first"));
    g_assert_null (vs_module_spec_reorder (128, modules, 3, 0, &e2));
    g_assert_true (g_str_has_prefix (e2->message, "modules[0]: a Normalize module comes after the Pooling module"));
  }
  moved = vs_module_spec_reorder (128, modules, 1, 3, &error);   /* Dense 64 to the end */
  g_assert_no_error (error);
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 1), "out_features")), ==, 32);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 2), "type")), ==, "normalize");
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 3), "out_features")), ==, 64);

  cJSON_Delete (moved);

  /* On top of a loaded model (its own first 2 modules stay): the top ones
   * move among themselves, not into the model's own. */
  {
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_null (vs_module_spec_reorder_above (128, modules, 2, 3, 1, &e1));
    g_assert_true (g_str_has_prefix (e1->message, "modules[1]: the loaded model's own modules stay as they are"));
    g_assert_null (vs_module_spec_reorder_above (128, modules, 2, 1, 3, &e2));
    g_assert_true (g_str_has_prefix (e2->message, "modules[1]: the loaded model's own modules stay as they are"));
    moved = vs_module_spec_reorder_above (128, modules, 2, 3, 2, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (moved, 2), "type")), ==, "normalize");
  }

  /* the original is untouched */
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 1), "out_features")), ==, 64);
  cJSON_Delete (moved);
  cJSON_Delete (modules);
}

static cJSON *
read_json (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  cJSON *j;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  j = cJSON_Parse (text);
  g_assert_nonnull (j);
  return j;
}

static gboolean
have_torch (void)
{
  const char *argv[] = { "/usr/bin/python3", "-c", "import torch", NULL };
  int status = -1;

  if (!g_file_test (argv[0], G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL);
}

/* Runs tests/reference/model_check_folder.py: PyTorch (float64) embeds the
 * tokenizer's ids of texts with the saved folder and compares with ours. */
static void
check_against_torch (VsModel *model, const char *dir, const float *emb, gsize D)
{
  g_autofree char *ids_path = g_build_filename (dir, "..", "ids.jsonl", NULL);
  g_autofree char *c_path = g_build_filename (dir, "..", "c.jsonl", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "tests", "reference",
                                              "model_check_folder.py", NULL);
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autoptr(GString) rows = g_string_new (NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/usr/bin/python3", script, dir, ids_path, c_path, NULL };
  int status = -1;

  for (gsize i = 0; i < N_TEXTS; i++)
    {
      g_autoptr(VsEncoding) enc = vs_tokenizer_encode (vs_model_get_tokenizer (model), texts[i], NULL, TRUE,
                                                       vs_model_get_max_seq_length (model));

      g_string_append (ids, "{\"ids\": [");
      for (gsize k = 0; k < enc->n_tokens; k++)
        g_string_append_printf (ids, "%s%u", k ? ", " : "", enc->ids[k]);
      g_string_append (ids, "], \"type_ids\": [");
      for (gsize k = 0; k < enc->n_tokens; k++)
        g_string_append_printf (ids, "%s%u", k ? ", " : "", enc->type_ids[k]);
      g_string_append (ids, "]}\n");
      g_string_append_c (rows, '[');
      for (gsize k = 0; k < D; k++)
        g_string_append_printf (rows, "%s%.9g", k ? "," : "", (double) emb[i * D + k]);
      g_string_append (rows, "]\n");
    }
  g_assert_true (g_file_set_contents (ids_path, ids->str, -1, NULL));
  g_assert_true (g_file_set_contents (c_path, rows->str, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("torch: %s%s", out, err);
  if (!g_spawn_check_wait_status (status, NULL))
    g_printerr ("%s\n%s\n", out, err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_build_save_load (void)
{
  static const struct { const char *modules; gsize dim; guint n_dense; gboolean bias[3]; gsize in[3];
                        const char *dirs[5]; } cases[] = {
    /* two Dense (bias, then none), then Normalize */
    { "[{\"type\":\"pooling\",\"mode\":\"cls+mean\"},"
      "{\"type\":\"dense\",\"out_features\":64,\"activation\":\"tanh\"},"
      "{\"type\":\"dense\",\"out_features\":32,\"activation\":\"identity\",\"bias\":false},"
      "{\"type\":\"normalize\"}]", 32, 2, { TRUE, FALSE }, { 256, 64 },
      { "2_Dense", "3_Dense", "4_Normalize" } },
    /* one Dense without bias */
    { "[{\"type\":\"pooling\",\"mode\":\"mean\"},"
      "{\"type\":\"dense\",\"out_features\":48,\"activation\":\"relu\",\"bias\":false}]",
      48, 1, { FALSE }, { 128 }, { "2_Dense" } },
    /* three Dense with bias, gelu / sigmoid / tanh */
    { "[{\"type\":\"pooling\",\"mode\":\"max\"},"
      "{\"type\":\"dense\",\"out_features\":40,\"activation\":\"gelu\"},"
      "{\"type\":\"dense\",\"out_features\":24,\"activation\":\"sigmoid\"},"
      "{\"type\":\"dense\",\"out_features\":20}]", 20, 3, { TRUE, TRUE, TRUE }, { 128, 40, 24 },
      { "2_Dense", "3_Dense", "4_Dense" } },
    /* Normalize between two Dense modules: the second reads unit-length rows */
    { "[{\"type\":\"pooling\",\"mode\":\"cls\"},"
      "{\"type\":\"dense\",\"out_features\":64,\"activation\":\"tanh\"},"
      "{\"type\":\"normalize\"},"
      "{\"type\":\"dense\",\"out_features\":24,\"activation\":\"identity\",\"bias\":false}]",
      24, 2, { TRUE, FALSE }, { 128, 64 }, { "2_Dense", "3_Normalize", "4_Dense" } },
  };
  g_autofree char *tok = tokenizer_dir ();
  gboolean torch = have_torch ();

  if (!torch)
    g_test_message ("no /usr/bin/python3 with torch: the PyTorch comparison is skipped");
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      cJSON *modules = parse (cases[c].modules);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsModel) model = NULL, back = NULL;
      g_autofree char *tmp = g_dir_make_tmp ("vs-model-stack-XXXXXX", NULL);
      g_autofree char *dir = g_build_filename (tmp, "model", NULL);
      g_autofree float *a = NULL, *b = NULL;
      g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
      cJSON *mods_json, *back_modules;
      gsize D;

      model = vs_model_new_from_modules ("bert", "tiny", tok, modules, 11, &error);
      g_assert_no_error (error);
      D = vs_model_get_dimension (model);
      g_assert_cmpuint (D, ==, cases[c].dim);
      g_assert_true (vs_model_save (model, dir, &error));
      g_assert_no_error (error);

      /* The folder as sentence-transformers reads it. */
      mods_json = read_json (dir, "modules.json");
      g_assert_cmpint (cJSON_GetArraySize (mods_json), ==,
                       2 + (int) cases[c].n_dense + (strstr (cases[c].modules, "normalize") ? 1 : 0));
      for (guint e = 0, k = 0; e + 2 < (guint) cJSON_GetArraySize (mods_json); e++)
        {
          cJSON *entry = cJSON_GetArrayItem (mods_json, 2 + (int) e);
          const char *sub = cases[c].dirs[e];
          g_autofree char *cfg_name = NULL;
          g_autofree char *st_path = NULL;
          cJSON *cfg;
          g_autoptr(VsSafetensors) st = NULL;

          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (entry, "path")), ==, sub);
          if (g_str_has_suffix (sub, "_Normalize"))
            {
              g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (entry, "type")), ==,
                               "sentence_transformers.models.Normalize");
              continue;
            }
          cfg_name = g_build_filename (sub, "config.json", NULL);
          st_path = g_build_filename (dir, sub, "model.safetensors", NULL);
          cfg = read_json (dir, cfg_name);
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (entry, "type")), ==,
                           "sentence_transformers.models.Dense");
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (entry, "path")), ==, sub);
          g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cfg, "in_features")), ==,
                             (double) cases[c].in[k]);
          g_assert_true (cJSON_IsBool (cJSON_GetObjectItem (cfg, "bias")));
          g_assert_cmpint (cJSON_IsTrue (cJSON_GetObjectItem (cfg, "bias")), ==, cases[c].bias[k]);
          g_assert_true (g_str_has_prefix (cJSON_GetStringValue (cJSON_GetObjectItem (cfg, "activation_function")),
                                           "torch.nn.modules."));
          st = vs_safetensors_open (st_path, &error);
          g_assert_no_error (error);
          g_assert_nonnull (vs_safetensors_lookup (st, "linear.weight"));
          g_assert_cmpuint (vs_safetensors_lookup (st, "linear.weight")->shape[1], ==, cases[c].in[k]);
          g_assert_cmpint (vs_safetensors_lookup (st, "linear.bias") != NULL, ==, cases[c].bias[k]);
          g_assert_cmpuint (vs_safetensors_get_n (st), ==, cases[c].bias[k] ? 2 : 1);
          cJSON_Delete (cfg);
          k++;
        }
      cJSON_Delete (mods_json);

      /* Save -> load -> the same embeddings and the same stack. */
      back = vs_model_load (dir, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (vs_model_get_dimension (back), ==, D);
      a = g_new (float, N_TEXTS * D);
      b = g_new (float, N_TEXTS * D);
      g_assert_true (vs_model_encode (model, texts, N_TEXTS, 0, FALSE, a, &error));
      g_assert_true (vs_model_encode (back, texts, N_TEXTS, 0, FALSE, b, &error));
      g_assert_no_error (error);
      g_assert_true (check_close ("save/load", b, a, N_TEXTS * D, 1e-6, 1e-6));
      back_modules = vs_model_dup_modules_json (back);
      g_assert_cmpint (cJSON_GetArraySize (back_modules), ==, cJSON_GetArraySize (modules));
      for (int e = 0; e < cJSON_GetArraySize (modules); e++)
        {
          cJSON *want = cJSON_GetArrayItem (modules, e);
          cJSON *got = cJSON_GetArrayItem (back_modules, e);
          const cJSON *bias = cJSON_GetObjectItem (want, "bias");

          /* the loaded stack in the recipe's form, in the same order */
          g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (got, "type")), ==,
                           cJSON_GetStringValue (cJSON_GetObjectItem (want, "type")));
          if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItem (want, "type")), "dense") == 0)
            {
              g_assert_cmpint (cJSON_IsTrue (cJSON_GetObjectItem (got, "bias")), ==, bias == NULL || cJSON_IsTrue (bias));
              g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (got, "out_features")), ==,
                                 cJSON_GetNumberValue (cJSON_GetObjectItem (want, "out_features")));
            }
        }
      cJSON_Delete (back_modules);

      if (torch)
        check_against_torch (model, dir, a, D);
      g_assert_cmpint (system (rm), ==, 0);
      cJSON_Delete (modules);
    }
}

static void
test_build_invalid (void)
{
  g_autofree char *tok = tokenizer_dir ();
  cJSON *modules = parse ("[{\"type\":\"pooling\"},{\"type\":\"normalize\"},{\"type\":\"normalize\"}]");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_new_from_modules ("bert", "tiny", tok, modules, 1, &error);

  g_assert_null (model);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "modules[2]: a stack takes one Normalize module"));
  cJSON_Delete (modules);
}

/* Layers on top of a loaded model: a folder with Pooling → Normalize gets
 * a Dense without bias; saved, it loads back in that order, encodes the
 * same, and matches PyTorch. The rules hold on the whole stack. */
static void
test_append (void)
{
  g_autofree char *tok = tokenizer_dir ();
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-stack-append-XXXXXX", NULL);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_autofree char *base_dir = g_build_filename (tmp, "base", NULL);
  g_autofree char *dir = g_build_filename (tmp, "model", NULL);
  cJSON *base = parse ("[{\"type\":\"pooling\",\"mode\":\"mean\"},{\"type\":\"normalize\"}]");
  cJSON *top = parse ("[{\"type\":\"dense\",\"out_features\":32,\"activation\":\"identity\",\"bias\":false}]");
  cJSON *pooling = parse ("[{\"type\":\"pooling\",\"mode\":\"cls\"}]");
  cJSON *second_norm = parse ("[{\"type\":\"dense\",\"out_features\":8},{\"type\":\"normalize\"}]");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_new_from_modules ("bert", "tiny", tok, base, 3, &error);
  g_autoptr(VsModel) loaded = NULL, back = NULL;
  g_autofree float *a = NULL, *b = NULL;
  g_autofree char *text = NULL;
  cJSON *mods;

  g_assert_no_error (error);
  g_assert_true (vs_model_save (model, base_dir, &error));
  loaded = vs_model_load (base_dir, &error);
  g_assert_no_error (error);

  /* refused, and the model stays as it was */
  g_assert_false (vs_model_append_modules (loaded, pooling, 1, &error));
  g_assert_true (g_str_has_prefix (error->message, "modules[0]: only dense and normalize modules go on top"));
  g_clear_error (&error);
  g_assert_false (vs_model_append_modules (loaded, second_norm, 1, &error));
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "modules[1]: a stack takes one Normalize module"));
  g_clear_error (&error);
  g_assert_cmpuint (vs_model_get_dimension (loaded), ==, 128);
  g_assert_true (vs_model_has_normalize (loaded));

  g_assert_true (vs_model_append_modules (loaded, top, 9, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_dimension (loaded), ==, 32);
  g_assert_false (vs_model_has_normalize (loaded));
  g_assert_true (vs_model_save (loaded, dir, &error));
  g_assert_no_error (error);
  back = vs_model_load (dir, &error);
  g_assert_no_error (error);
  mods = vs_model_dup_modules_json (back);
  text = cJSON_PrintUnformatted (mods);
  g_assert_cmpstr (text, ==, "[{\"type\":\"pooling\",\"mode\":\"mean\"},{\"type\":\"normalize\"},"
                   "{\"type\":\"dense\",\"out_features\":32,\"activation\":\"identity\",\"bias\":false}]");
  cJSON_Delete (mods);
  a = g_new (float, N_TEXTS * 32);
  b = g_new (float, N_TEXTS * 32);
  g_assert_true (vs_model_encode (loaded, texts, N_TEXTS, 0, FALSE, a, &error));
  g_assert_true (vs_model_encode (back, texts, N_TEXTS, 0, FALSE, b, &error));
  g_assert_no_error (error);
  g_assert_true (check_close ("append save/load", b, a, N_TEXTS * 32, 1e-6, 1e-6));
  if (have_torch ())
    check_against_torch (back, dir, b, 32);
  g_assert_cmpint (system (rm), ==, 0);
  cJSON_Delete (base);
  cJSON_Delete (top);
  cJSON_Delete (pooling);
  cJSON_Delete (second_norm);
}

static double
weighted_sum (VsModel *model, const float *r, gsize D)
{
  g_autofree float *out = g_new (float, N_TEXTS * D);
  g_autoptr(GError) error = NULL;
  double sum = 0;

  g_assert_true (vs_model_encode (model, texts, N_TEXTS, 0, FALSE, out, &error));
  for (gsize i = 0; i < N_TEXTS * D; i++)
    sum += (double) out[i] * r[i];
  return sum;
}

/* The backward through a Normalize that sits between two Dense modules:
 * d sum(out * r) / d param against central differences, for the first
 * Dense (its gradient passes the Normalize) and an encoder LayerNorm. */
static void
test_backward_normalize_between (void)
{
  g_autofree char *tok = tokenizer_dir ();
  cJSON *modules = parse ("[{\"type\":\"pooling\"},"
                          "{\"type\":\"dense\",\"out_features\":16,\"activation\":\"tanh\"},"
                          "{\"type\":\"normalize\"},"
                          "{\"type\":\"dense\",\"out_features\":8,\"activation\":\"identity\"}]");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_new_from_modules ("bert", "tiny", tok, modules, 5, &error);
  const char *names[] = { "2_Dense/linear.weight", "2_Dense/linear.bias", "4_Dense/linear.weight",
                          "embeddings.LayerNorm.weight" };
  g_autofree float *r = NULL, *grads = NULL;
  float *params;
  gsize D, n_floats;
  VsForward *fw;

  g_assert_no_error (error);
  D = vs_model_get_dimension (model);
  g_assert_cmpuint (D, ==, 8);
  g_assert_false (vs_model_has_normalize (model));   /* it does not end the stack */
  vs_model_set_dropout (model, 0.0f);
  r = g_new (float, N_TEXTS * D);
  for (gsize i = 0; i < N_TEXTS * D; i++)
    r[i] = (float) sin (0.7 * (double) i + 0.3);

  vs_model_zero_grad (model);
  fw = vs_model_forward (model, texts, N_TEXTS, FALSE, NULL, &error);
  g_assert_no_error (error);
  vs_model_backward (model, fw, r);
  vs_forward_free (fw);
  params = vs_model_get_params (model, &n_floats);
  grads = g_memdup2 (vs_model_get_grads (model, NULL), n_floats * sizeof (float));

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      const VsParamInfo *info = NULL;

      for (gsize t = 0; t < vs_model_get_n_tensors (model); t++)
        if (g_strcmp0 (vs_model_get_tensor_info (model, t)->name, names[k]) == 0)
          info = vs_model_get_tensor_info (model, t);
      g_assert_nonnull (info);
      for (gsize j = 0; j < 3; j++)
        {
          gsize at = info->offset + (j * 7919) % info->numel;
          float keep = params[at];
          double eps = 1e-2, up, down, numeric;

          params[at] = keep + (float) eps;
          up = weighted_sum (model, r, D);
          params[at] = keep - (float) eps;
          down = weighted_sum (model, r, D);
          params[at] = keep;
          numeric = (up - down) / (2 * eps);
          g_test_message ("%s[%zu]: backward %.6g, central difference %.6g", names[k], at - info->offset,
                          (double) grads[at], numeric);
          g_assert_cmpfloat (fabs (grads[at] - numeric), <=, 2e-3 + 2e-2 * fabs (numeric));
        }
    }
  cJSON_Delete (modules);
}

static int
run_cli (const char *const *args, char **out, char **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int status = -1;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, NULL));
  return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

static void
test_cli (void)
{
  g_autofree char *tok = tokenizer_dir ();
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-stack-cli-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "model", NULL);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  const char *good[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                         "--pooling", "cls", "--dense", "64", "--dense", "32:identity:nobias",
                         "--normalize", dir, NULL };
  const char *bad_out[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                            "--dense", "0", dir, NULL };
  const char *bad_form[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                             "--dense", "12:tanh:maybe", dir, NULL };
  const char *bad_act[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                            "--dense", "12:softmax", dir, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  cJSON *summary, *modules;

  g_assert_cmpint (run_cli (good, &out, &err), ==, 0);
  summary = cJSON_Parse (out);
  g_assert_nonnull (summary);
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (summary, "dimension")), ==, 32);
  cJSON_Delete (summary);
  model = vs_model_load (dir, &error);
  g_assert_no_error (error);
  modules = vs_model_dup_modules_json (model);
  g_assert_cmpint (cJSON_GetArraySize (modules), ==, 4);
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 1), "out_features")), ==, 64);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 1), "activation")), ==, "tanh");
  g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 1), "bias")));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 2), "activation")), ==, "identity");
  g_assert_true (cJSON_IsFalse (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 2), "bias")));
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (modules, 3), "type")), ==, "normalize");
  cJSON_Delete (modules);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (bad_out, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--dense 0: OUT must be an integer"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (bad_form, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "--dense 12:tanh:maybe: expected OUT[:ACT][:nobias]"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (bad_act, &out, &err), !=, 0);
  g_assert_nonnull (strstr (err, "unknown Dense activation \"softmax\""));

  /* --normalize between two --dense: Dense, Normalize, Dense, in that order. */
  {
    const char *between[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                              "--dense", "48:relu", "--normalize", "--dense", "16:identity:nobias", dir, NULL };
    const char *twice[] = { "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer", tok,
                            "--normalize", "--dense", "16", "--normalize", dir, NULL };
    g_autoptr(VsModel) m2 = NULL;
    g_autofree char *mods_text = NULL;
    cJSON *mods;

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli (between, &out, &err), ==, 0);
    m2 = vs_model_load (dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_model_get_dimension (m2), ==, 16);
    g_assert_false (vs_model_has_normalize (m2));
    mods = vs_model_dup_modules_json (m2);
    mods_text = cJSON_PrintUnformatted (mods);
    g_assert_cmpstr (mods_text, ==, "[{\"type\":\"pooling\",\"mode\":\"mean\"},"
                     "{\"type\":\"dense\",\"out_features\":48,\"activation\":\"relu\",\"bias\":true},"
                     "{\"type\":\"normalize\"},"
                     "{\"type\":\"dense\",\"out_features\":16,\"activation\":\"identity\",\"bias\":false}]");
    cJSON_Delete (mods);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli (twice, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "--normalize: a stack takes one Normalize module"));
  }
  g_assert_cmpint (system (rm), ==, 0);
}

#define RECIPE_FMT \
  "{\"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\"," \
  " \"tokenizer\": \"%s/tokenizer\"}, \"modules\": %s}," \
  " \"train\": {\"path\": \"%s/stsb-train.csv\", \"columns\": [\"sentence1\", \"sentence2\"]," \
  " \"label\": \"score\", \"limit\": 32}," \
  " \"loss\": {\"name\": \"CoSENTLoss\"}," \
  " \"args\": {\"max_steps\": 1, \"batch_size\": 16, \"save_steps\": 0, \"logging_steps\": 1}," \
  " \"output_dir\": \"%s\"}"

#define RECIPE_TOP_FMT \
  "{\"model\": {\"path\": \"%s\", \"modules\": %s}," \
  " \"train\": {\"path\": \"%s/stsb-train.csv\", \"columns\": [\"sentence1\", \"sentence2\"]," \
  " \"label\": \"score\", \"limit\": 32}," \
  " \"loss\": {\"name\": \"CoSENTLoss\"}," \
  " \"args\": {\"max_steps\": 1, \"batch_size\": 16, \"save_steps\": 0, \"logging_steps\": 1}," \
  " \"output_dir\": \"%s\"}"

/* The trainer builds the recipe's stack (vs-recipe-target.c): a short run
 * of `vectorsmith-cli train` saves Dense, Normalize, Dense in that order;
 * a stack the rules refuse is a problem naming model.modules[i]; a
 * {"path", "modules"} recipe trains a Dense on top of a loaded model. */
static void
test_train_recipe (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-stack-train-XXXXXX", NULL);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_autofree char *demo = g_build_filename (g_getenv ("VS_SOURCE_DIR"), "data", "demo", NULL);
  g_autofree char *out_dir = g_build_filename (tmp, "out", NULL);
  g_autofree char *recipe_path = g_build_filename (tmp, "recipe.json", NULL);
  g_autofree char *bad_path = g_build_filename (tmp, "bad.json", NULL);
  const char *modules_ok = "[{\"type\": \"pooling\", \"mode\": \"mean\"},"
                           " {\"type\": \"dense\", \"out_features\": 48, \"activation\": \"tanh\"},"
                           " {\"type\": \"normalize\"},"
                           " {\"type\": \"dense\", \"out_features\": 24, \"bias\": false}]";
  const char *modules_bad = "[{\"type\": \"pooling\"}, {\"type\": \"normalize\"}, {\"type\": \"normalize\"}]";
  g_autofree char *recipe = g_strdup_printf (RECIPE_FMT, demo, modules_ok, demo, out_dir);
  g_autofree char *bad = g_strdup_printf (RECIPE_FMT, demo, modules_bad, demo, out_dir);
  const char *train[] = { "train", recipe_path, NULL };
  const char *train_bad[] = { "train", bad_path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = NULL;
  cJSON *mods, *cfg;

  g_assert_true (g_file_set_contents (recipe_path, recipe, -1, NULL));
  g_assert_true (g_file_set_contents (bad_path, bad, -1, NULL));
  if (run_cli (train, &out, &err) != 0)
    g_error ("train failed: %s", err);
  mods = read_json (out_dir, "modules.json");
  g_assert_cmpint (cJSON_GetArraySize (mods), ==, 5);
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (mods, 2), "path")), ==, "2_Dense");
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (mods, 3), "path")), ==, "3_Normalize");
  g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (mods, 4), "path")), ==, "4_Dense");
  cJSON_Delete (mods);
  cfg = read_json (out_dir, "4_Dense/config.json");
  g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cfg, "in_features")), ==, 48);
  g_assert_true (cJSON_IsFalse (cJSON_GetObjectItem (cfg, "bias")));
  cJSON_Delete (cfg);
  model = vs_model_load (out_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_dimension (model), ==, 24);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (train_bad, &out, &err), !=, 0);
  g_test_message ("bad recipe: %s", err);
  g_assert_nonnull (strstr (err, "model.modules[2]: a stack takes one Normalize module"));

  /* {"path": the trained folder, "modules": [...]}: a Dense on top of it. */
  {
    g_autofree char *top_dir = g_build_filename (tmp, "top", NULL);
    g_autofree char *top_path = g_build_filename (tmp, "top.json", NULL);
    g_autofree char *pool_path = g_build_filename (tmp, "pool.json", NULL);
    g_autofree char *top = g_strdup_printf (RECIPE_TOP_FMT, out_dir,
                                            "[{\"type\": \"dense\", \"out_features\": 8, \"activation\": \"relu\"}]",
                                            demo, top_dir);
    g_autofree char *pool = g_strdup_printf (RECIPE_TOP_FMT, out_dir, "[{\"type\": \"pooling\"}]", demo, top_dir);
    const char *train_top[] = { "train", top_path, NULL };
    const char *train_pool[] = { "train", pool_path, NULL };
    g_autoptr(VsModel) on_top = NULL;

    g_assert_true (g_file_set_contents (top_path, top, -1, NULL));
    g_assert_true (g_file_set_contents (pool_path, pool, -1, NULL));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    if (run_cli (train_top, &out, &err) != 0)
      g_error ("train on top failed: %s", err);
    mods = read_json (top_dir, "modules.json");
    g_assert_cmpint (cJSON_GetArraySize (mods), ==, 6);
    g_assert_cmpstr (cJSON_GetStringValue (cJSON_GetObjectItem (cJSON_GetArrayItem (mods, 5), "path")), ==, "5_Dense");
    cJSON_Delete (mods);
    cfg = read_json (top_dir, "5_Dense/config.json");
    g_assert_cmpfloat (cJSON_GetNumberValue (cJSON_GetObjectItem (cfg, "in_features")), ==, 24);
    cJSON_Delete (cfg);
    on_top = vs_model_load (top_dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_model_get_dimension (on_top), ==, 8);

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli (train_pool, &out, &err), !=, 0);
    g_assert_nonnull (strstr (err, "model.modules[0]: only dense and normalize modules go on top of a loaded model"));
  }
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model-stack/dimensions", test_dimensions);
  g_test_add_func ("/model-stack/invalid", test_invalid);
  g_test_add_func ("/model-stack/move", test_move);
  g_test_add_func ("/model-stack/build-save-load", test_build_save_load);
  g_test_add_func ("/model-stack/build-invalid", test_build_invalid);
  g_test_add_func ("/model-stack/append", test_append);
  g_test_add_func ("/model-stack/backward-normalize-between", test_backward_normalize_between);
  g_test_add_func ("/model-stack/cli", test_cli);
  g_test_add_func ("/model-stack/train-recipe", test_train_recipe);
  return g_test_run ();
}
