/* replay-main.c: runs a fuzz target over files without libFuzzer.
 *
 *   fuzz-TARGET PATH...
 *
 * Each PATH is a file or a folder (every regular file in it, sorted, not
 * recursive). The normal (gcc) build links every tests/fuzz/fuzz-*.c with
 * this main, and `meson test` replays the committed corpus and the crash
 * reproducers: a crash, a sanitizer report or a critical fails the test.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-common.h"

__attribute__((weak)) int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
replay_file (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_printerr ("replay: %s\n", error->message);
      return FALSE;
    }
  /* An exact-size copy, so ASan sees reads past the end. */
  g_autofree uint8_t *copy = g_memdup2 (contents, len > 0 ? len : 1);
  LLVMFuzzerTestOneInput (copy, len);
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  guint n = 0;
  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GError) error = NULL;
          GDir *dir = g_dir_open (argv[i], 0, &error);
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;
          if (dir == NULL)
            {
              g_printerr ("replay: %s\n", error->message);
              return 1;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          g_dir_close (dir);
          g_ptr_array_sort (names, compare_names);
          for (guint j = 0; j < names->len; j++)
            {
              const char *path = g_ptr_array_index (names, j);
              if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
                continue;
              if (!replay_file (path))
                return 1;
              n++;
            }
        }
      else
        {
          if (!replay_file (argv[i]))
            return 1;
          n++;
        }
    }
  if (n == 0)
    {
      g_printerr ("replay: no input files\n");
      return 1;
    }
  g_print ("replayed %u inputs\n", n);
  return 0;
}
