/* vs-token-store.c: the Hub token in the keyring, or in the token file. */
#include "config.h"

#include "vs-token-store.h"

#include <string.h>

#if HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

#include "vs-error.h"
#include "hub/vs-hub.h"

#if HAVE_LIBSECRET
static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "io.github.vectorsmith.Vectorsmith.HubToken", SECRET_SCHEMA_NONE,
    {
      { "endpoint", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &schema;
}

/* A Secret Service that is running and has a default collection. One that
 * is merely D-Bus-activatable, or has no default keyring yet, would start a
 * daemon or a "create a keyring" prompt that nothing may answer (and that
 * blocks the sign-in): the token file serves then. A default keyring that is
 * locked is fine: the desktop asks for its password, as it should. */
static gboolean
service_present (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) names = NULL;
  gboolean running = FALSE;
  const char *name;
  GVariantIter iter;
  SecretService *service;
  SecretCollection *collection;

  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                                       2000, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  names = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, names);
  while (!running && g_variant_iter_next (&iter, "&s", &name))
    running = strcmp (name, "org.freedesktop.secrets") == 0;
  if (!running)
    return FALSE;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, NULL);
  if (service == NULL)
    return FALSE;
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, NULL);
  g_object_unref (service);
  if (collection == NULL)
    return FALSE;
  g_object_unref (collection);
  return TRUE;
}
#endif

gboolean
vs_token_store_keyring_available (void)
{
#if HAVE_LIBSECRET
  return service_present ();
#else
  return FALSE;
#endif
}

gboolean
vs_token_store_save (const char        *endpoint,
                     const char        *token,
                     VsTokenStoreKind  *out_kind,
                     GError           **error)
{
  g_autofree char *user = NULL;

  g_return_val_if_fail (endpoint != NULL, FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (out_kind != NULL)
    *out_kind = VS_TOKEN_STORE_NONE;
#if HAVE_LIBSECRET
  if (service_present ())
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *label = g_strdup_printf ("Hugging Face Hub token (%s)", endpoint);

      if (secret_password_store_sync (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                                      NULL, &local, "endpoint", endpoint, NULL))
        {
          if (out_kind != NULL)
            *out_kind = VS_TOKEN_STORE_KEYRING;
          return TRUE;
        }
      /* A keyring that is there but refuses (locked, dismissed prompt):
       * fall back to the file, as when there is none. */
      g_debug ("keyring refused the token (%s); using the token file", local->message);
    }
#endif
  user = vs_hub_login (token, error);
  if (user == NULL)
    return FALSE;
  if (out_kind != NULL)
    *out_kind = VS_TOKEN_STORE_FILE;
  return TRUE;
}

char *
vs_token_store_lookup (const char *endpoint)
{
  g_return_val_if_fail (endpoint != NULL, NULL);
#if HAVE_LIBSECRET
  if (service_present ())
    {
      g_autoptr(GError) local = NULL;
      char *secret = secret_password_lookup_sync (token_schema (), NULL, &local, "endpoint", endpoint, NULL);
      if (secret != NULL)
        {
          char *copy = g_strdup (secret);
          secret_password_free (secret);
          return copy;
        }
    }
#endif
  return NULL;
}

gboolean
vs_token_store_clear (const char *endpoint,
                      GError    **error)
{
  g_return_val_if_fail (endpoint != NULL, FALSE);
#if HAVE_LIBSECRET
  if (service_present ())
    {
      g_autoptr(GError) local = NULL;
      if (!secret_password_clear_sync (token_schema (), NULL, &local, "endpoint", endpoint, NULL) &&
          local != NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "the keyring did not remove the token: %s",
                       local->message);
          return FALSE;
        }
    }
#endif
  return vs_hub_logout (error);
}

void
vs_token_store_free_token (char *token)
{
  if (token == NULL)
    return;
  memset (token, 0, strlen (token));
  g_free (token);
}
