/* fuzz-model-config.c: the configuration files of a model folder:
 * config.json, modules.json, sentence_bert_config.json,
 * config_sentence_transformers.json, 1_Pooling/config.json and
 * 2_Dense/config.json. vs_model_load reads a folder, so the harness keeps a
 * copy of tests/model/fixtures/bert (a BERT + Pooling + Dense stack) in its
 * temp folder; byte 0 of the input picks the file the rest replaces, the
 * model loads (its embedding dimension is asked when it did), and the file
 * is restored. */
#include "fuzz-common.h"
#include "model/vs-model.h"

static const char *const files[] = {
  "config.json",
  "modules.json",
  "sentence_bert_config.json",
  "config_sentence_transformers.json",
  "1_Pooling/config.json",
  "2_Dense/config.json",
  "model.safetensors",
  "2_Dense/model.safetensors",
};
static GBytes *originals[G_N_ELEMENTS (files)];
static char *model_dir;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  g_autofree char *src = g_build_filename (fuzz_source_dir (), "tests", "model", "fixtures", "bert", NULL);
  model_dir = g_build_filename (fuzz_temp_dir (), "model", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (src, files[i], NULL);
      g_autofree char *to = g_build_filename (model_dir, files[i], NULL);
      g_autofree char *dir = g_path_get_dirname (to);
      g_autofree char *contents = NULL;
      gsize len = 0;
      g_autoptr(GError) error = NULL;
      if (!g_file_get_contents (from, &contents, &len, &error))
        g_error ("fuzz-model-config: %s", error->message);
      g_mkdir_with_parents (dir, 0700);
      if (!g_file_set_contents (to, contents, (gssize) len, &error))
        g_error ("fuzz-model-config: %s", error->message);
      originals[i] = g_bytes_new_take (g_steal_pointer (&contents), len);
    }
  return 0;
}

static void
put (guint i, const void *data, gsize size)
{
  g_autofree char *to = g_build_filename (model_dir, files[i], NULL);
  if (!g_file_set_contents (to, data, (gssize) size, NULL))
    g_error ("fuzz-model-config: cannot write %s", to);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  /* The weights stay fixed in most runs: the configs are the target. */
  guint which = data[0] % G_N_ELEMENTS (files);
  put (which, data + 1, size - 1);

  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (model_dir, &error);
  if (model == NULL)
    g_assert (error != NULL && error->message != NULL);
  else
    (void) vs_model_get_dimension (model);

  gsize len = 0;
  const void *orig = g_bytes_get_data (originals[which], &len);
  put (which, orig, len);
  return 0;
}
