/* test-hub-fault.c: a full disk during a Hub download (VS_FAULT, through
 * the download's write callback), through the CLI against the fake Hub:
 * `pull` ends in a clear error naming the file and ENOSPC, no *.incomplete
 * file is left, and every file under the cache's blobs/ and snapshots/ is a
 * complete copy of a pushed file (only complete, hash-checked downloads get
 * their final names); the retry without the
 * fault completes with files byte-identical to what was pushed. The token
 * (hf_test_write) appears in none of the runs' output.
 *
 * argv[1]: the fake-hub program. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "train/vs-checkpoint.h"
#include "vs-test-fixture.h"

static const char *fake_hub_path;

static char *
run (const char *const *args,
     const char        *fault,
     int               *status,
     char             **err_out)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *out = NULL;
  char *err = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (fault != NULL)
    g_subprocess_launcher_setenv (l, "VS_FAULT", fault, TRUE);
  else
    g_subprocess_launcher_unsetenv (l, "VS_FAULT");
  p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (p);
  g_assert_null (strstr (out, "hf_test_write"));
  g_assert_null (strstr (err, "hf_test_write"));
  *err_out = err;
  return out;
}

/* Adds the SHA-256 of every regular file under dir (recursively) to set. */
static void
hash_files (const char *dir,
            GHashTable *set)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        hash_files (p, set);
      else
        {
          g_autofree char *c = NULL;
          gsize n;

          g_assert_true (g_file_get_contents (p, &c, &n, NULL));
          g_hash_table_add (set, g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) c, n));
        }
    }
}

/* Every entry under the cache's blobs/ and snapshots/: no *.incomplete file
 * left, and each file under its final name is a complete copy of one of
 * the pushed files (complete downloads that finished before the disk
 * filled may stay: they are correct). Returns how many there are. */
static guint
check_cache (const char *dir,
             GHashTable *pushed)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_str_has_suffix (name, ".incomplete"))
        g_error ("%s: a partial download left behind", p);
      if (!g_file_test (p, G_FILE_TEST_IS_SYMLINK) && g_file_test (p, G_FILE_TEST_IS_DIR))
        n += check_cache (p, pushed);
      else if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *c = NULL;
          g_autofree char *sum = NULL;
          gsize len;

          g_assert_true (g_file_get_contents (p, &c, &len, NULL));
          sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) c, len);
          if (!g_hash_table_contains (pushed, sum))
            g_error ("%s: %" G_GSIZE_FORMAT " bytes that are none of the pushed files (partial or corrupt)", p, len);
          n++;
        }
    }
  return n;
}

/* Pulls testuser/faults (HF_HOME as set) without a fault: the files equal
 * the pushed model's. Returns the snapshot folder. */
static char *
pull_ok (const char *model)
{
  const char *args[] = { "pull", "testuser/faults", NULL };
  const char *names[] = { "model.safetensors", "tokenizer.json", "modules.json", "2_Dense/model.safetensors", NULL };
  g_autofree char *err = NULL;
  char *out;
  int status;

  out = run (args, NULL, &status, &err);
  if (status != 0)
    g_error ("pull: %s", err);
  g_strchomp (out);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *a = g_build_filename (model, names[i], NULL);
      g_autofree char *b = g_build_filename (out, names[i], NULL);
      g_autofree char *da = NULL, *db = NULL;
      gsize na, nb;

      g_assert_true (g_file_get_contents (a, &da, &na, NULL));
      g_assert_true (g_file_get_contents (b, &db, &nb, NULL));
      g_assert_cmpmem (da, na, db, nb);
    }
  return out;
}

static void
test_pull_disk_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);
  g_autoptr(GSubprocess) hub = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                                 &error, fake_hub_path, "--parquet", parquet, NULL);
  g_autoptr(GDataInputStream) data = NULL;
  g_autofree char *line = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vs-hub-fault-XXXXXX", NULL);
  g_autofree char *hf_home = g_build_filename (tmp, "hf", NULL);
  g_autofree char *repo = g_build_filename (hf_home, "hub", "models--testuser--faults", NULL);
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *model = g_build_filename (fixture, "model", NULL);
  const char *faults[] = { "bytes:0", "bytes:1000", "bytes:30000", "write:1", "write:3", NULL };
  g_autoptr(GHashTable) pushed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int status;

  g_assert_no_error (error);
  data = g_data_input_stream_new (g_subprocess_get_stdout_pipe (hub));
  line = g_data_input_stream_read_line (data, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  *strchr (line, ' ') = '\0';
  g_setenv ("HF_ENDPOINT", line, TRUE);
  g_setenv ("HF_HOME", hf_home, TRUE);
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  g_unsetenv ("HF_HUB_CACHE");
  g_unsetenv ("HF_TOKEN_PATH");
  g_unsetenv ("HF_HUB_OFFLINE");

  {
    const char *args[] = { "push", model, "testuser/faults", NULL };
    g_autofree char *err = NULL;
    g_autofree char *out = run (args, NULL, &status, &err);

    if (status != 0)
      g_error ("push: %s", err);
  }
  {
    /* The repo's files as pulled without a fault into another cache
     * (model files checked against the local model; the push added a
     * README.md and .gitattributes): what a complete file may be. */
    g_autofree char *clean_home = g_build_filename (tmp, "hf-clean", NULL);
    g_autofree char *snap = NULL;

    g_setenv ("HF_HOME", clean_home, TRUE);
    snap = pull_ok (model);
    hash_files (snap, pushed);
    g_setenv ("HF_HOME", hf_home, TRUE);
  }
  for (guint i = 0; faults[i] != NULL; i++)
    {
      const char *args[] = { "pull", "testuser/faults", NULL };
      g_autofree char *err = NULL;
      g_autofree char *out = run (args, faults[i], &status, &err);
      g_autofree char *snapshots = g_build_filename (repo, "snapshots", NULL);
      g_autofree char *blobs = g_build_filename (repo, "blobs", NULL);

      g_test_message ("%s: %s", faults[i], err);
      g_assert_cmpint (status, !=, 0);
      g_assert_nonnull (strstr (err, g_strerror (ENOSPC)));
      /* names the file: the repo file, or the cache file (refs/main) */
      g_assert_true (strstr (err, "testuser/faults/") != NULL || strstr (err, "models--testuser--faults/") != NULL);
      g_test_message ("%s: %u complete blobs, %u snapshot files in the cache", faults[i],
                      check_cache (blobs, pushed), check_cache (snapshots, pushed));
    }
  /* the retry completes, in the cache that saw every failure */
  g_free (pull_ok (model));
  g_output_stream_close (g_subprocess_get_stdin_pipe (hub), NULL, NULL);
  g_subprocess_wait (hub, NULL, NULL);
  vs_remove_tree (tmp, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: test-hub-fault FAKE_HUB_PROGRAM\n");
      return 2;
    }
  fake_hub_path = argv[1];
  g_test_add_func ("/fault/hub/pull-disk-full", test_pull_disk_full);
  return g_test_run ();
}
