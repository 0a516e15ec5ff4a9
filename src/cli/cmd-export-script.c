/* cmd-export-script.c: vectorsmith-cli export-script RECIPE [-o train.py]
 *
 * Writes a Python script that trains the recipe with sentence-transformers'
 * SentenceTransformerTrainer (vs_recipe_to_python_for), runnable as
 * `python train.py`, `torchrun --nproc_per_node N train.py` or
 * `accelerate launch train.py`. Without -o the script goes to stdout, with
 * local paths relative to the current folder (where it is meant to be
 * saved); with -o it is written atomically, paths relative to its folder.
 */
#include "config.h"

#include <stdio.h>

#include "vs-cli.h"
#include "vs-error.h"
#include "train/vs-recipe.h"

int
vs_cli_export_script (int    argc,
                      char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *output_dir = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the script here (default: stdout)", "train.py" },
    { "output-dir", 0, 0, G_OPTION_ARG_FILENAME, &output_dir,
      "The script's default output folder instead of the recipe's", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("RECIPE — a sentence-transformers script that trains the same recipe");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("vectorsmith-cli %s: expected one RECIPE file\n", argv[0]);
      return 2;
    }
  recipe = vs_recipe_load (argv[1], &error);
  if (recipe == NULL)
    return vs_cli_fail (argv[0], error);
  if (output_dir != NULL)
    {
      g_free (recipe->output_dir);
      recipe->output_dir = g_canonicalize_filename (output_dir, NULL);
    }
  if (output == NULL)
    {
      g_autofree char *script = vs_recipe_to_python (recipe);

      fputs (script, stdout);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  if (!vs_recipe_export_script (recipe, output, &error))
    return vs_cli_fail (argv[0], error);
  g_printerr ("wrote %s\n", output);
  return 0;
}
