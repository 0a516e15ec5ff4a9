/* test-kill.c: `vectorsmith-cli train` killed with SIGKILL for real, at
 * several points — right after the 1st and 3rd checkpoint, inside the 2nd
 * and 4th checkpoint write (after its model and optimizer files, before its
 * trainer_state.json), and half way through the 3rd, 10th, 25th and 60th
 * file write of the run — then `train --resume OUTPUT_DIR` reaches the same
 * final model.safetensors, byte for byte, as an uninterrupted run, and no
 * half-written checkpoint is ever resumed from.
 *
 * The process is stopped by the fault point itself (VS_FAULT=pause-…,
 * raise (SIGSTOP)) and the test waits for the stop with waitpid (WUNTRACED):
 * no sleeps, no timing. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "train/vs-checkpoint.h"
#include "vs-test-fixture.h"

static char *
write_recipe (const char *dir)
{
  g_autofree char *fixtures = vs_test_fixture_path ("train", "parity");
  g_autofree char *text = g_strdup_printf (
    "{\"model\": \"%s/model\","
    " \"train\": {\"path\": \"%s/pairs.csv\", \"columns\": [\"sentence1\", \"sentence2\"], \"label\": \"score\"},"
    " \"loss\": {\"name\": \"CoSENTLoss\"},"
    " \"args\": {\"max_steps\": 10, \"batch_size\": 4, \"learning_rate\": 0.005, \"save_steps\": 2,"
    "          \"logging_steps\": 1, \"seed\": 7},"
    " \"output_dir\": \"unused\"}", fixtures, fixtures);
  char *path = g_build_filename (dir, "recipe.json", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* Runs the CLI to the end; returns its exit status, stderr in the log. */
static int
run_to_end (const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("stderr:\n%s", err);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static GBytes *
read_bytes (const char *path)
{
  char *data;
  gsize n;

  if (!g_file_get_contents (path, &data, &n, NULL))
    g_error ("missing %s", path);
  return g_bytes_new_take (data, n);
}

/* Every checkpoint-N folder in out must be complete: a model, optimizer
 * and trainer state. Returns how many there are. */
static guint
check_checkpoints (const char *out)
{
  g_autoptr(GDir) d = g_dir_open (out, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      const char *files[] = { "trainer_state.json", "optimizer.safetensors", "model.safetensors", NULL };

      if (!g_str_has_prefix (name, "checkpoint-"))
        continue;
      for (guint i = 0; files[i] != NULL; i++)
        {
          g_autofree char *p = g_build_filename (out, name, files[i], NULL);

          if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
            g_error ("%s/%s has no %s: a half-written checkpoint under its final name", out, name, files[i]);
        }
      n++;
    }
  return n;
}

static void
test_kill_and_resume (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-kill-XXXXXX", NULL);
  g_autofree char *recipe = write_recipe (dir);
  g_autofree char *ref = g_build_filename (dir, "ref", NULL);
  g_autofree char *ref_model = g_build_filename (ref, "model.safetensors", NULL);
  g_autoptr(GBytes) want = NULL;
  const char *faults[] = {
    "pause-checkpoint-saved:1", "pause-checkpoint-saved:3",
    "pause-in-checkpoint:2", "pause-in-checkpoint:4",
    "pause-write:3", "pause-write:30", "pause-write:100", "pause-write:200", "pause-write:300",
    /* a full disk in a checkpoint write: the run stops with the error */
    "write:60", "write:100", "bytes:200000",
    NULL,
  };

  {
    const char *args[] = { "train", recipe, "--quiet", "--output-dir", ref, NULL };

    g_assert_cmpint (run_to_end (args), ==, 0);
  }
  want = read_bytes (ref_model);

  for (guint f = 0; faults[f] != NULL; f++)
    {
      g_autofree char *name = g_strdup_printf ("run-%u", f);
      g_autofree char *out = g_build_filename (dir, name, NULL);
      g_autofree char *model = g_build_filename (out, "model.safetensors", NULL);
      g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "VS_FAULT", faults[f], TRUE);
      const char *argv[] = { g_getenv ("VS_CLI"), "train", recipe, "--quiet", "--output-dir", out, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) got = NULL;
      GPid pid;
      int status;
      guint n;

      if (g_str_has_prefix (faults[f], "write:") || g_str_has_prefix (faults[f], "bytes:"))
        {
          g_autofree char *err = NULL;

          g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                       NULL, &err, &status, &error));
          g_assert_no_error (error);
          g_test_message ("%s: %s", faults[f], err);
          g_assert_false (g_spawn_check_wait_status (status, NULL));
          g_assert_nonnull (strstr (err, g_strerror (ENOSPC)));
          g_assert_nonnull (strstr (err, out));
          goto resume;
        }
      g_assert_true (g_spawn_async (NULL, (char **) argv, env,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                    NULL, NULL, &pid, &error));
      g_assert_no_error (error);
      /* Blocks until the fault point stops the process (or it ends). */
      while (waitpid (pid, &status, WUNTRACED) < 0)
        g_assert_cmpint (errno, ==, EINTR);
      if (!WIFSTOPPED (status))
        g_error ("%s: the run ended (status %d) before the fault point was reached", faults[f], status);
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      while (waitpid (pid, &status, 0) < 0)
        g_assert_cmpint (errno, ==, EINTR);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
      g_spawn_close_pid (pid);

    resume:
      n = check_checkpoints (out);
      g_test_message ("%s: killed with %u complete checkpoint(s)", faults[f], n);
      {
        /* From the last complete checkpoint, or from the start if the kill
         * came before the first one. */
        const char *resume[] = { "train", recipe, "--quiet", "--output-dir", out, "--resume", out, NULL };
        const char *fresh[] = { "train", recipe, "--quiet", "--output-dir", out, NULL };

        g_assert_cmpint (run_to_end (n > 0 ? resume : fresh), ==, 0);
      }
      check_checkpoints (out);
      got = read_bytes (model);
      if (!g_bytes_equal (got, want))
        g_error ("%s: the resumed run's model.safetensors differs from the uninterrupted run's", faults[f]);
    }
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fault/kill/resume", test_kill_and_resume);
  return g_test_run ();
}
