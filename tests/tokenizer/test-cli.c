/* test-cli.c: `vectorsmith-cli tokenize` end to end. For every tokenizer of
 * fixtures/golden.json (HF tokenizers' own output, see
 * tests/reference/tokenizer_golden.js), the cases that fit on one line of
 * stdin are piped through the CLI, grouped by flags, and each JSON line must
 * carry exactly the reference ids, type_ids, tokens and offsets. Offsets are
 * UTF-8 byte offsets (the generator converted the reference's code-point
 * offsets). Cases whose text holds a line break (or, with --pair, a TAB)
 * cannot be written as one line and are left to test-golden.c. */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <gio/gio.h>
#include "tok-golden.h"

static cJSON *golden;

static gboolean
fits_line (const char *s, gsize len, gboolean pair)
{
  for (gsize i = 0; i < len; i++)
    if (s[i] == '\n' || s[i] == '\r' || (pair && s[i] == '\t'))
      return FALSE;
  return TRUE;
}

static gboolean
same_json (const cJSON *a, const cJSON *b)
{
  return cJSON_Compare (a, b, TRUE);
}

/* Runs the CLI once over the selected cases; returns the number checked. */
static guint
run_group (const char *path, const cJSON *cases, gboolean pair, gboolean special, int max_length, guint *failed)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GPtrArray) expect = g_ptr_array_new ();
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) in_bytes = NULL;
  g_autoptr(GBytes) out_bytes = NULL;
  g_autoptr(GBytes) err_bytes = NULL;
  g_autofree char *max_arg = g_strdup_printf ("%d", max_length);
  g_auto(GStrv) lines = NULL;
  const cJSON *c;
  const char *argv[9];
  int argc = 0;
  gsize n;

  cJSON_ArrayForEach (c, cases)
    {
      gsize la = 0, lb = 0;
      g_autofree char *a = tok_golden_case_text (c, "text", "text_b64", &la);
      g_autofree char *b = tok_golden_case_text (c, "pair", "pair_b64", &lb);

      if ((b != NULL) != pair ||
          cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (c, "add_special_tokens")) != special ||
          cJSON_GetObjectItemCaseSensitive (c, "max_length")->valueint != max_length)
        continue;
      if (!fits_line (a, la, pair) || (b != NULL && !fits_line (b, lb, pair)))
        continue;
      g_string_append_len (input, a, la);
      if (pair)
        {
          g_string_append_c (input, '\t');
          g_string_append_len (input, b, lb);
        }
      g_string_append_c (input, '\n');
      g_ptr_array_add (expect, (gpointer) c);
      g_ptr_array_add (labels, cJSON_GetObjectItemCaseSensitive (c, "label")->valuestring);
    }
  if (expect->len == 0)
    return 0;

  argv[argc++] = g_getenv ("VS_CLI");
  argv[argc++] = "tokenize";
  argv[argc++] = path;
  argv[argc++] = "--max-length";
  argv[argc++] = max_arg;
  if (pair)
    argv[argc++] = "--pair";
  if (!special)
    argv[argc++] = "--no-special-tokens";
  argv[argc] = NULL;
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  in_bytes = g_bytes_new (input->str, input->len);
  g_subprocess_communicate (proc, in_bytes, NULL, &out_bytes, &err_bytes, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    g_error ("vectorsmith-cli tokenize %s failed: %s", path, (const char *) g_bytes_get_data (err_bytes, NULL));

  lines = g_strsplit (g_bytes_get_data (out_bytes, &n), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, expect->len + 1);   /* + the empty tail */
  for (guint i = 0; i < expect->len; i++)
    {
      const cJSON *e = g_ptr_array_index (expect, i);
      cJSON *got = cJSON_Parse (lines[i]);
      static const char *const keys[] = { "ids", "type_ids", "tokens", "offsets" };

      if (got == NULL || cJSON_GetArraySize (got) != 4)
        {
          g_printerr ("%s/%s: not a JSON object with 4 fields: %s\n", path, (char *) g_ptr_array_index (labels, i), lines[i]);
          (*failed)++;
          cJSON_Delete (got);
          continue;
        }
      for (gsize k = 0; k < G_N_ELEMENTS (keys); k++)
        if (!same_json (cJSON_GetObjectItemCaseSensitive (got, keys[k]), cJSON_GetObjectItemCaseSensitive (e, keys[k])))
          {
            g_autofree char *want = cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (e, keys[k]));
            g_printerr ("%s/%s: %s differ\n  got  %s\n  want %s\n", path, (char *) g_ptr_array_index (labels, i),
                        keys[k], lines[i], want);
            (*failed)++;
            break;
          }
      cJSON_Delete (got);
    }
  return expect->len;
}

static void
test_cli (gconstpointer data)
{
  const char *name = data;
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"), name);
  const cJSON *cases = tok_golden_entry_cases (golden, entry);
  g_autofree char *path = g_build_filename (g_getenv ("VS_SHARED_DATA"),
                                            cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring, NULL);
  g_autoptr(GHashTable) max_lengths = g_hash_table_new (NULL, NULL);
  guint checked = 0, failed = 0;
  const cJSON *c;

  /* every flag combination once; truncation itself is covered by
   * test-golden.c, here --max-length only needs its wiring checked (16 for
   * single texts, 17 for pairs) */
  cJSON_ArrayForEach (c, cases)
    {
      int ml = cJSON_GetObjectItemCaseSensitive (c, "max_length")->valueint;
      if (ml == 0 || ml == 16 || ml == 17)
        g_hash_table_add (max_lengths, GINT_TO_POINTER (ml));
    }
  for (int pair = 0; pair < 2; pair++)
    for (int special = 0; special < 2; special++)
      {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init (&it, max_lengths);
        while (g_hash_table_iter_next (&it, &key, NULL))
          checked += run_group (path, cases, pair, special, GPOINTER_TO_INT (key), &failed);
      }
  g_test_message ("%s: %u cases through the CLI, %u differ", name, checked, failed);
  g_assert_cmpuint (checked, >, 30);
  g_assert_cmpuint (g_hash_table_size (max_lengths), ==, 3);
  g_assert_cmpuint (failed, ==, 0);
}

/* Usage errors exit 2, a missing tokenizer exits 1 with the path named. */
static void
test_cli_errors (void)
{
  const char *cli = g_getenv ("VS_CLI");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv_missing[] = { cli, "tokenize", "/nonexistent/tok", NULL };
  const char *argv_usage[] = { cli, "tokenize", NULL };

  g_spawn_sync (NULL, (char **) argv_usage, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
  g_clear_pointer (&err, g_free);
  g_spawn_sync (NULL, (char **) argv_missing, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 1);
  g_assert_nonnull (strstr (err, "vectorsmith-cli tokenize: /nonexistent/tok"));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  golden = tok_golden_load ("golden.json");
  tok_golden_add_per_tokenizer (golden, "/tokenizer/cli/", test_cli);
  g_test_add_func ("/tokenizer/cli/errors", test_cli_errors);
  ret = g_test_run ();
  cJSON_Delete (golden);
  return ret;
}
