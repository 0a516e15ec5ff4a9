/* test-token-store.c: the Hub token in a real desktop keyring.
 *
 * Run by with-keyring.sh (gnome-keyring's Secret Service on a private
 * session bus): the token goes into the keyring under the schema
 * io.github.vectorsmith.Vectorsmith.HubToken, per endpoint, and not into
 * the token file; it is found again and removed on sign-out. (Without a
 * keyring the store falls back to the token file: tests/app/test-share-page.c.)
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "vs-token-store.h"

static void
test_keyring (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("vs-token-store-XXXXXX", NULL);
  g_autofree char *token_file = g_build_filename (tmp, "token", NULL);
  const char *endpoint = "http://127.0.0.1:9";
  const char *token = "hf_keyring_test_token";
  g_autoptr(GError) error = NULL;
  VsTokenStoreKind kind = VS_TOKEN_STORE_NONE;
  char *found;

  if (!HAVE_LIBSECRET)
    {
      g_test_skip ("built without libsecret");
      return;
    }
  g_setenv ("HF_HOME", tmp, TRUE);
  g_unsetenv ("HF_TOKEN_PATH");
  g_assert_true (vs_token_store_keyring_available ());

  g_assert_null (vs_token_store_lookup (endpoint));
  g_assert_true (vs_token_store_save (endpoint, token, &kind, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, VS_TOKEN_STORE_KEYRING);
  g_assert_false (g_file_test (token_file, G_FILE_TEST_EXISTS));

  found = vs_token_store_lookup (endpoint);
  g_assert_cmpstr (found, ==, token);
  vs_token_store_free_token (found);
  g_assert_null (vs_token_store_lookup ("https://huggingface.co"));

  /* Saving again replaces the item. */
  g_assert_true (vs_token_store_save (endpoint, "hf_second_token", &kind, &error));
  found = vs_token_store_lookup (endpoint);
  g_assert_cmpstr (found, ==, "hf_second_token");
  vs_token_store_free_token (found);

  g_assert_true (vs_token_store_clear (endpoint, &error));
  g_assert_no_error (error);
  g_assert_null (vs_token_store_lookup (endpoint));
  g_rmdir (tmp);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/token-store/keyring", test_keyring);
  return g_test_run ();
}
