/* test-messages.c: damaged models and data get a clear message through the
 * CLI, naming the file and the tensor, field or rows:
 *   a NaN and an Inf in model.safetensors (refused at load: the tensor and
 *   the element), Dense in_features that is not the pooling dimension, a
 *   truncated model.safetensors, and a training file whose every row is
 *   empty (refused before training, instead of "training" on nothing). */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "model/vs-safetensors.h"
#include "train/vs-checkpoint.h"
#include "vs-test-fixture.h"

static int
cli (const char *const *args,
     const char        *input,
     char             **err_out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("VS_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_newv ((const char *const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                         G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, input, NULL, &out, err_out, &error));
  g_assert_no_error (error);
  g_test_message ("%s: %s", args[0], *err_out);
  return g_subprocess_get_exit_status (p);
}

/* A copy of the parity model in dir/name. */
static char *
copy_model (const char *dir,
            const char *name)
{
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *src = g_build_filename (fixture, "model", NULL);
  char *dst = g_build_filename (dir, name, NULL);
  g_autofree char *cmd = g_strdup_printf ("cp -r '%s' '%s'", src, dst);
  int status;

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return dst;
}

/* Sets element 0 of the first tensor in the data section to v. */
static void
poke_first_float (const char *path,
                  float       v)
{
  g_autofree char *data = NULL;
  gsize n;
  guint64 hlen;

  g_assert_true (g_file_get_contents (path, &data, &n, NULL));
  memcpy (&hlen, data, 8);
  hlen = GUINT64_FROM_LE (hlen);
  g_assert_cmpuint (8 + hlen + 4, <=, n);
  memcpy (data + 8 + hlen, &v, 4);
  g_assert_true (g_file_set_contents (path, data, (gssize) n, NULL));
}

static void
test_non_finite (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-msg-XXXXXX", NULL);
  float values[] = { NAN, INFINITY };
  const char *words[] = { "is NaN", "is infinite" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      g_autofree char *model = copy_model (dir, name);
      g_autofree char *st = g_build_filename (model, "model.safetensors", NULL);
      g_autofree char *err = NULL;
      const char *args[] = { "encode", model, NULL };

      poke_first_float (st, values[i]);
      g_assert_cmpint (cli (args, "hello world\n", &err), !=, 0);
      g_assert_nonnull (strstr (err, st));
      g_assert_nonnull (strstr (err, "tensor "));
      g_assert_nonnull (strstr (err, "element 0"));
      g_assert_nonnull (strstr (err, words[i]));
    }
  vs_remove_tree (dir, NULL);
}

static void
test_dense_mismatch (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-msg-XXXXXX", NULL);
  g_autofree char *model = copy_model (dir, "m");
  g_autofree char *cfg = g_build_filename (model, "2_Dense", "config.json", NULL);
  g_autofree char *st = g_build_filename (model, "2_Dense", "model.safetensors", NULL);
  g_autofree char *err = NULL;
  const char *args[] = { "encode", model, NULL };
  float w[16 * 20] = { 0 }, b[16] = { 0 };
  VsSafeTensorOut t[] = {
    { "linear.weight", 2, { 16, 20, 0, 0 }, w },
    { "linear.bias", 1, { 16, 0, 0, 0 }, b },
  };

  /* consistent with itself (a 16 x 20 weight), not with the 16-dim pooling */
  g_assert_true (g_file_set_contents (cfg, "{\"in_features\": 20, \"out_features\": 16, \"bias\": true,"
                                      " \"activation_function\": \"torch.nn.modules.activation.Tanh\"}", -1, NULL));
  g_assert_true (vs_safetensors_write (st, t, 2, NULL));
  g_assert_cmpint (cli (args, "hello world\n", &err), !=, 0);
  g_assert_nonnull (strstr (err, cfg));
  g_assert_nonnull (strstr (err, "in_features 20"));
  g_assert_nonnull (strstr (err, "16"));
  vs_remove_tree (dir, NULL);
}

static void
test_truncated (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-msg-XXXXXX", NULL);
  g_autofree char *model = copy_model (dir, "m");
  g_autofree char *st = g_build_filename (model, "model.safetensors", NULL);
  g_autofree char *data = NULL;
  gsize n;
  const char *args[] = { "encode", model, NULL };

  g_assert_true (g_file_get_contents (st, &data, &n, NULL));
  /* half the file, then only the first 5 bytes (not even a header length) */
  for (guint k = 0; k < 2; k++)
    {
      g_autofree char *err = NULL;

      g_assert_true (g_file_set_contents (st, data, k == 0 ? (gssize) (n / 2) : 5, NULL));
      g_assert_cmpint (cli (args, "hello world\n", &err), !=, 0);
      g_assert_nonnull (strstr (err, st));
      g_assert_null (strstr (err, "CRITICAL"));
    }
  vs_remove_tree (dir, NULL);
}

static void
test_empty_rows (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-msg-XXXXXX", NULL);
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *csv = g_build_filename (dir, "empty.csv", NULL);
  g_autofree char *recipe = g_build_filename (dir, "recipe.json", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *text = g_strdup_printf ("{\"model\": \"%s/model\", \"train\": {\"path\": \"%s\"},"
                                           " \"loss\": {\"name\": \"MultipleNegativesRankingLoss\"},"
                                           " \"args\": {\"max_steps\": 2, \"batch_size\": 2}, \"output_dir\": \"%s\"}",
                                           fixture, csv, out);
  g_autofree char *err = NULL;
  const char *args[] = { "train", recipe, "--quiet", NULL };

  g_assert_true (g_file_set_contents (csv, "anchor,positive\n,\n\"\",\"\"\n  ,\t\n", -1, NULL));
  g_assert_true (g_file_set_contents (recipe, text, -1, NULL));
  g_assert_cmpint (cli (args, "", &err), !=, 0);
  g_assert_nonnull (strstr (err, csv));
  g_assert_nonnull (strstr (err, "every row"));
  g_assert_nonnull (strstr (err, "(3 rows)"));
  /* nothing was trained or saved */
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/messages/non-finite-weights", test_non_finite);
  g_test_add_func ("/messages/dense-mismatch", test_dense_mismatch);
  g_test_add_func ("/messages/truncated-safetensors", test_truncated);
  g_test_add_func ("/messages/empty-rows", test_empty_rows);
  return g_test_run ();
}
