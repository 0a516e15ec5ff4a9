/* test-fault.c: a write that fails half way (an injected ENOSPC, vs-fault.h)
 * leaves the previous file, model folder or checkpoint file byte for byte as
 * it was, with an error naming the file; nothing temporary is left behind;
 * files get 0644 (umask applied) or the mode asked for. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "fault/vs-fault.h"
#include "model/vs-model.h"
#include "train/vs-checkpoint.h"
#include "vs-test-fixture.h"

/* Every regular file under dir, relative name -> GBytes. */
static void
snapshot_into (GHashTable *snap,
               const char *root,
               const char *rel)
{
  g_autofree char *dir = g_build_filename (root, rel, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *r = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *p = g_build_filename (root, r, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        snapshot_into (snap, root, r);
      else
        {
          char *data;
          gsize n;

          g_assert_true (g_file_get_contents (p, &data, &n, NULL));
          g_hash_table_insert (snap, g_steal_pointer (&r), g_bytes_new_take (data, n));
        }
    }
}

static GHashTable *
snapshot (const char *root)
{
  GHashTable *snap = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);

  snapshot_into (snap, root, "");
  return snap;
}

static void
assert_same (GHashTable *a,
             GHashTable *b,
             const char *what)
{
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, a);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      GBytes *o = g_hash_table_lookup (b, k);

      if (o == NULL || !g_bytes_equal (o, v))
        g_error ("%s: %s %s", what, (char *) k, o == NULL ? "is missing" : "differs");
    }
  g_assert_cmpuint (g_hash_table_size (a), ==, g_hash_table_size (b));
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-fault-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *back = NULL;
  char big[10000];
  const char *rules[] = { "write:1", "bytes:0", "bytes:1", "bytes:5000", "bytes:9999", NULL };

  memset (big, 'x', sizeof big);
  g_assert_true (vs_file_set_contents (path, "first", -1, 0644, &error));
  g_assert_no_error (error);
  for (guint i = 0; rules[i] != NULL; i++)
    {
      vs_fault_set (rules[i]);
      g_assert_false (vs_file_set_contents (path, big, sizeof big, 0644, &error));
      g_test_message ("%s: %s", rules[i], error->message);
      g_assert_error (error, VS_ERROR, VS_ERROR_IO);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
      g_clear_error (&error);
      vs_fault_set ("");
      g_assert_true (g_file_get_contents (path, &back, NULL, NULL));
      g_assert_cmpstr (back, ==, "first");
      g_clear_pointer (&back, g_free);
      /* no temporary file left next to it */
      g_assert_cmpuint (count_entries (dir), ==, 1);
    }
  /* bytes:N is a full disk: the second write fails too. */
  vs_fault_set ("bytes:3");
  g_assert_true (vs_file_set_contents (path, "abc", -1, 0644, NULL));
  g_assert_false (vs_file_set_contents (path, "d", -1, 0644, NULL));
  /* write:2 spares the first write, fails the second. */
  vs_fault_set ("write:2");
  g_assert_true (vs_file_set_contents (path, "one", -1, 0644, NULL));
  g_assert_false (vs_file_set_contents (path, "two", -1, 0644, NULL));
  g_assert_true (vs_file_set_contents (path, "three", -1, 0644, NULL));
  vs_fault_set ("");
  g_assert_true (g_file_get_contents (path, &back, NULL, NULL));
  g_assert_cmpstr (back, ==, "three");
  vs_remove_tree (dir, NULL);
}

static void
test_modes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-fault-XXXXXX", NULL);
  g_autofree char *a = g_build_filename (dir, "a", NULL);
  g_autofree char *b = g_build_filename (dir, "b", NULL);
  g_autofree char *c = g_build_filename (dir, "c", NULL);
  mode_t old = umask (022);
  struct stat st;

  g_assert_true (vs_file_set_contents (a, "x", -1, 0644, NULL));
  g_assert_true (vs_file_set_contents (b, "x", -1, 0600, NULL));
  umask (077);
  g_assert_true (vs_file_set_contents (c, "x", -1, 0644, NULL));
  umask (old);
  g_assert_cmpint (g_stat (a, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_assert_cmpint (g_stat (b, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (c, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  vs_remove_tree (dir, NULL);
}

/* Saves a model, then saves a changed one with a fault at every write in
 * turn and at several byte counts: each failed save names the file and
 * leaves the folder loadable and equal to the first save. */
static void
test_model_save (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-fault-XXXXXX", NULL);
  g_autofree char *fixture = vs_test_fixture_path ("train", "parity");
  g_autofree char *src = g_build_filename (fixture, "model", NULL);
  g_autofree char *out = g_build_filename (dir, "model", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) model = vs_model_load (src, &error);
  g_autoptr(GHashTable) first = NULL;
  guint64 total = 0;
  gsize n;
  float *params;
  g_autofree float *orig = NULL;
  g_autofree float *changed = NULL;
  guint failures = 0;

  g_assert_no_error (error);
  g_assert_true (vs_model_save (model, out, &error));
  g_assert_no_error (error);
  first = snapshot (out);
  {
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init (&it, first);
    while (g_hash_table_iter_next (&it, &k, &v))
      total += g_bytes_get_size (v);
  }
  params = vs_model_get_params (model, &n);
  orig = g_memdup2 (params, n * sizeof (float));
  for (gsize i = 0; i < n; i++)
    params[i] += 0.5f;
  changed = g_memdup2 (params, n * sizeof (float));

  for (guint round = 0; round < 2; round++)
    for (guint64 k = 1; ; k++)
      {
        g_autofree char *rule = NULL;
        g_autoptr(GHashTable) now = NULL;
        g_autoptr(VsModel) back = NULL;
        gboolean ok;

        if (round == 0)
          rule = g_strdup_printf ("write:%" G_GUINT64_FORMAT, k);
        else
          {
            /* 0, 1, 7 bytes, then spread over the whole save */
            guint64 at[] = { 0, 1, 7, total / 7, total / 3, total / 2, total - total / 9, total - 1 };

            if (k > G_N_ELEMENTS (at))
              break;
            rule = g_strdup_printf ("bytes:%" G_GUINT64_FORMAT, at[k - 1]);
          }
        vs_fault_set (rule);
        ok = vs_model_save (model, out, &error);
        vs_fault_set ("");
        if (ok)
          {
            /* write:k beyond the save's last write: the fault never fired */
            g_assert_cmpuint (round, ==, 0);
            g_assert_cmpuint (k, >, 5);
            /* put the first save back for the byte rounds */
            memcpy (params, orig, n * sizeof (float));
            g_assert_true (vs_model_save (model, out, NULL));
            memcpy (params, changed, n * sizeof (float));
            break;
          }
        failures++;
        g_test_message ("%s: %s", rule, error->message);
        g_assert_error (error, VS_ERROR, VS_ERROR_IO);
        g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
        g_assert_nonnull (strstr (error->message, dir));
        g_clear_error (&error);
        now = snapshot (out);
        assert_same (first, now, rule);
        back = vs_model_load (out, &error);
        g_assert_no_error (error);
        /* only the model folder: no temporary folder or file left */
        g_assert_cmpuint (count_entries (dir), ==, 1);
      }
  g_test_message ("%u failed saves, each left the first save intact", failures);
  g_assert_cmpuint (failures, >=, 10);
  /* without a fault the changed model replaces the first */
  g_assert_true (vs_model_save (model, out, &error));
  {
    g_autoptr(GHashTable) now = snapshot (out);
    GBytes *a = g_hash_table_lookup (first, "model.safetensors");
    GBytes *b = g_hash_table_lookup (now, "model.safetensors");

    g_assert_false (g_bytes_equal (a, b));
  }
  vs_remove_tree (dir, NULL);
}

/* A checkpoint's optimizer file: same guarantee. */
static void
test_tensor_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vs-fault-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "optimizer.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  float a[300], b[300];
  VsTensorFileEntry e[] = { { "model.params", a, 100 }, { "model.exp_avg", a + 100, 200 } };
  VsTensorFileEntry f[] = { { "model.params", b, 100 }, { "model.exp_avg", b + 100, 200 } };
  const char *rules[] = { "write:1", "bytes:0", "bytes:8", "bytes:100", "bytes:1000", NULL };

  for (guint i = 0; i < 300; i++)
    a[i] = (float) i;
  g_assert_true (vs_tensor_file_write (path, e, 2, &error));
  for (guint i = 0; i < 300; i++)
    a[i] = -1.0f;
  for (guint i = 0; rules[i] != NULL; i++)
    {
      vs_fault_set (rules[i]);
      g_assert_false (vs_tensor_file_write (path, e, 2, &error));
      vs_fault_set ("");
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
      memset (b, 0, sizeof b);
      g_assert_true (vs_tensor_file_read_into (path, f, 2, &error));
      g_assert_no_error (error);
      for (guint j = 0; j < 300; j++)
        g_assert_cmpfloat (b[j], ==, (float) j);
      g_assert_cmpuint (count_entries (dir), ==, 1);
    }
  vs_remove_tree (dir, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fault/file", test_file);
  g_test_add_func ("/fault/modes", test_modes);
  g_test_add_func ("/fault/model-save", test_model_save);
  g_test_add_func ("/fault/tensor-file", test_tensor_file);
  return g_test_run ();
}
