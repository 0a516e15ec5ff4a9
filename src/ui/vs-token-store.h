/* vs-token-store.h: where the Share page keeps the Hub token.
 *
 * In the desktop keyring (the Secret Service, through libsecret: schema
 * "io.github.vectorsmith.Vectorsmith.HubToken", attribute "endpoint") when
 * the app was built with libsecret and a Secret Service runs on the
 * session bus with a default keyring; else in huggingface_hub's token file through vs_hub_login (mode
 * 0600), which the engine's clients read by themselves. The token is never
 * logged or put into an error message.
 *
 * Every function blocks (D-Bus, the file, the Hub): call them from a
 * worker (vs_task_run).
 *
 *   VsTokenStoreKind where;
 *   g_autofree char *user = vs_token_store_save (endpoint, token, &where, &error);
 *   ...
 *   g_autofree char *token = vs_token_store_lookup (endpoint);   // keyring only; NULL: use the file
 *   vs_hub_set_token (hub, token);   // only when token != NULL
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VS_TOKEN_STORE_NONE,
  VS_TOKEN_STORE_KEYRING,
  VS_TOKEN_STORE_FILE,
  VS_TOKEN_STORE_ENVIRONMENT,   /* HF_TOKEN / HUGGING_FACE_HUB_TOKEN: read, never written */
} VsTokenStoreKind;

/* Whether a Secret Service answers (and the app has libsecret). */
gboolean vs_token_store_keyring_available (void);

/* Stores the token for endpoint: in the keyring when it is available, else
 * with vs_hub_login (which checks it with whoami first and writes the token
 * file). *out_kind (nullable) says where it went. */
gboolean vs_token_store_save (const char        *endpoint,
                              const char        *token,
                              VsTokenStoreKind  *out_kind,
                              GError           **error);

/* The token the keyring holds for endpoint, or NULL (no keyring, none
 * stored: the engine's clients then read the token file). g_free; erase
 * it with vs_token_store_free_token. */
char *vs_token_store_lookup (const char *endpoint);

/* Forgets the token: the keyring's item for endpoint and the token file. */
gboolean vs_token_store_clear (const char *endpoint,
                               GError    **error);

/* Overwrites a token in memory, then frees it. */
void vs_token_store_free_token (char *token);

G_END_DECLS
