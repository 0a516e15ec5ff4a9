/* fuzz-recipe.c: a training recipe (JSON: model, datasets, losses, args,
 * evaluators) parsed from memory, then written back out as JSON and as the
 * equivalent sentence-transformers Python script. */
#include "fuzz-common.h"
#include "train/vs-recipe.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = vs_recipe_parse ((const char *) data, size, "recipe.json",
                                                fuzz_temp_dir (), &error);
  if (recipe == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  g_autoptr(cJSON) json = vs_recipe_to_json (recipe);
  g_assert (json != NULL);
  g_autofree char *text = cJSON_PrintUnformatted (json);
  g_autoptr(GError) again_error = NULL;
  g_autoptr(VsRecipe) again = vs_recipe_parse (text, strlen (text), "recipe.json (written)",
                                               fuzz_temp_dir (), &again_error);
  if (again == NULL)
    g_error ("a recipe written by vs_recipe_to_json does not parse: %s\n%s", again_error->message, text);
  g_autofree char *python = vs_recipe_to_python (recipe);
  g_assert (python != NULL);
  return 0;
}
