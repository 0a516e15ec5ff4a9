/* fuzz-front-matter.c: a model card's YAML front matter, both readers: the
 * Share page's check (vs_model_card_check_front_matter, from memory) and the
 * facts a model folder's README.md gives (vs_model_card_facts_read: reads
 * dir/README.md, so the harness writes the input there). */
#include "fuzz-common.h"
#include "hub/vs-hub-share.h"
#include "model/vs-model-info.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* The check takes NUL-terminated text (a GtkTextBuffer's). */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  guint line = 0;
  if (!vs_model_card_check_front_matter (text, &line, &error))
    g_assert (error != NULL && error->message != NULL);

  g_autofree char *path = fuzz_write_file ("card/README.md", data, size);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) facts_error = NULL;
  g_autoptr(VsModelCardFacts) facts = vs_model_card_facts_read (dir, &facts_error);
  g_assert (facts != NULL || facts_error != NULL);
  return 0;
}
