/* fuzz-common.h: what the fuzz targets share (tests/fuzz/, see HACKING.md).
 *
 * Each fuzz-TARGET.c defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). With -Dfuzzing=true (clang) they link with
 * libFuzzer; otherwise with replay-main.c, which runs them over the
 * committed corpus in `meson test`.
 *
 * Targets whose parser only reads files write the input into a per-process
 * temp folder (fuzz_temp_dir) and parse that file.
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Criticals (g_return_if_fail) mean the engine passed bad input on as API
 * misuse: a finding, so they abort. Messages are dropped (the fuzzer's
 * output stays readable). */
static void
fuzz_log_handler (const char     *domain,
                  GLogLevelFlags  level,
                  const char     *message,
                  gpointer        user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      g_printerr ("%s: %s\n", domain ? domain : "", message);
      g_abort ();
    }
}

static inline void
fuzz_setup_logging (void)
{
  g_log_set_default_handler (fuzz_log_handler, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
}

/* A folder of this process, removed at exit (best effort, files only one
 * level deep plus their subfolders made by the targets). */
static char *fuzz_dir;

static void
fuzz_rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      GDir *d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          fuzz_rm_rf (child);
        }
      if (d != NULL)
        g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fuzz_cleanup (void)
{
  if (fuzz_dir != NULL)
    fuzz_rm_rf (fuzz_dir);
}

static inline const char *
fuzz_temp_dir (void)
{
  if (fuzz_dir == NULL)
    {
      fuzz_dir = g_dir_make_tmp ("vs-fuzz-XXXXXX", NULL);
      g_assert (fuzz_dir != NULL);
      atexit (fuzz_cleanup);
    }
  return fuzz_dir;
}

/* Writes data to name inside the temp folder; returns the path (owned). */
static inline char *
fuzz_write_file (const char *name,
                 const uint8_t *data,
                 size_t size)
{
  char *path = g_build_filename (fuzz_temp_dir (), name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    g_error ("fuzz: cannot write %s", path);
  return path;
}

/* The shared fixtures (../shared/data): $VS_SHARED_DATA, else the path the
 * build knows. */
static inline const char *
fuzz_shared_data (void)
{
  const char *env = g_getenv ("VS_SHARED_DATA");
  return env != NULL && env[0] != '\0' ? env : VS_FUZZ_SHARED_DATA;
}

static inline const char *
fuzz_source_dir (void)
{
  const char *env = g_getenv ("VS_SOURCE_DIR");
  return env != NULL && env[0] != '\0' ? env : VS_FUZZ_SOURCE_DIR;
}
