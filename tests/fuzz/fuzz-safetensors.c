/* fuzz-safetensors.c: the safetensors header (JSON, dtypes, shapes, data
 * offsets) and the f32 conversion of every tensor it lists. The parser reads
 * files only (it maps them): the harness writes the input to a temp file. */
#include "fuzz-common.h"
#include "model/vs-safetensors.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = fuzz_write_file ("model.safetensors", data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsSafetensors) st = vs_safetensors_open (path, &error);
  if (st == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  for (gsize i = 0; i < vs_safetensors_get_n (st); i++)
    {
      const VsSafeTensor *t = vs_safetensors_get (st, i);
      g_autoptr(GError) err = NULL;
      g_assert (vs_safetensors_lookup (st, t->name) != NULL);
      if (t->numel > 0 && t->numel <= (1u << 20))
        {
          g_autofree float *buf = g_new (float, t->numel);
          (void) vs_safetensors_read_f32 (t, buf, &err);
        }
    }
  return 0;
}
