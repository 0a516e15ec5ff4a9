/* vs-hub.c: settings, auth, repo info, search and downloads into the
 * huggingface_hub cache (hub-spec.md sections 1-4).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fault/vs-fault.h"
#include "hub/vs-hub-private.h"



#define DEFAULT_ENDPOINT "https://huggingface.co"
#define MAX_RESUME_TRIES 5

/* ---- environment -------------------------------------------------------- */

static gboolean
env_truthy (const char *name)
{
  const char *v = g_getenv (name);

  return v != NULL && (g_ascii_strcasecmp (v, "1") == 0 || g_ascii_strcasecmp (v, "on") == 0 ||
                       g_ascii_strcasecmp (v, "yes") == 0 || g_ascii_strcasecmp (v, "true") == 0);
}

/* Expands a leading ~ as Python's os.path.expanduser does. */
static char *
expand_home (const char *path)
{
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);
  return g_strdup (path);
}

static char *
hf_home (void)
{
  const char *v = g_getenv ("HF_HOME");
  const char *xdg = g_getenv ("XDG_CACHE_HOME");

  if (v != NULL && v[0] != '\0')
    return expand_home (v);
  if (xdg != NULL && xdg[0] != '\0')
    return g_build_filename (xdg, "huggingface", NULL);
  return g_build_filename (g_get_home_dir (), ".cache", "huggingface", NULL);
}

static char *
token_path (void)
{
  const char *v = g_getenv ("HF_TOKEN_PATH");
  g_autofree char *home = NULL;

  if (v != NULL && v[0] != '\0')
    return expand_home (v);
  home = hf_home ();
  return g_build_filename (home, "token", NULL);
}

/* The app's cache-folder preference (vs_hub_set_default_cache_dir). */
G_LOCK_DEFINE_STATIC (default_cache);
static char *default_cache_override;

void
vs_hub_set_default_cache_dir (const char *cache_dir)
{
  G_LOCK (default_cache);
  g_clear_pointer (&default_cache_override, g_free);
  if (cache_dir != NULL && cache_dir[0] != '\0')
    default_cache_override = expand_home (cache_dir);
  G_UNLOCK (default_cache);
}

static char *
default_cache_dir (void)
{
  const char *v = NULL;
  g_autofree char *home = NULL;
  char *chosen = NULL;

  G_LOCK (default_cache);
  chosen = g_strdup (default_cache_override);
  G_UNLOCK (default_cache);
  if (chosen != NULL)
    return chosen;
  v = g_getenv ("HF_HUB_CACHE");
  if (v == NULL || v[0] == '\0')
    v = g_getenv ("HUGGINGFACE_HUB_CACHE");
  if (v != NULL && v[0] != '\0')
    return expand_home (v);
  home = hf_home ();
  return g_build_filename (home, "hub", NULL);
}

/* Removes every \r and \n and trims spaces; NULL when nothing is left. */
static char *
clean_token (const char *raw)
{
  GString *s;

  if (raw == NULL)
    return NULL;
  s = g_string_new (NULL);
  for (const char *p = raw; *p != '\0'; p++)
    if (*p != '\r' && *p != '\n')
      g_string_append_c (s, *p);
  g_strstrip (s->str);
  if (s->str[0] == '\0')
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  {
    char *out = g_strdup (s->str);
    memset (s->str, 0, s->len);
    g_string_free (s, TRUE);
    return out;
  }
}

static char *
find_token (void)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  char *token;

  if (env_truthy ("HF_HUB_DISABLE_IMPLICIT_TOKEN"))
    return NULL;
  if ((token = clean_token (g_getenv ("HF_TOKEN"))) != NULL)
    return token;
  if ((token = clean_token (g_getenv ("HUGGING_FACE_HUB_TOKEN"))) != NULL)
    return token;
  path = token_path ();
  if (g_file_get_contents (path, &contents, NULL, NULL))
    return clean_token (contents);
  return NULL;
}

/* ---- the client ----------------------------------------------------------- */

VsHub *
vs_hub_new (void)
{
  VsHub *hub = g_new0 (VsHub, 1);
  const char *endpoint = g_getenv ("HF_ENDPOINT");

  hub->curl = curl_easy_init ();
  if (endpoint == NULL || endpoint[0] == '\0')
    endpoint = env_truthy ("HUGGINGFACE_CO_STAGING") ? "https://hub-ci.huggingface.co" : DEFAULT_ENDPOINT;
  vs_hub_http_set_endpoint (hub, endpoint);
  hub->token = find_token ();
  hub->cache_dir = default_cache_dir ();
  hub->offline = env_truthy ("HF_HUB_OFFLINE") || env_truthy ("TRANSFORMERS_OFFLINE");
  return hub;
}

static void
wipe_token (VsHub *hub)
{
  if (hub->token != NULL)
    memset (hub->token, 0, strlen (hub->token));
  g_clear_pointer (&hub->token, g_free);
}

void
vs_hub_free (VsHub *hub)
{
  if (hub == NULL)
    return;
  if (hub->curl != NULL)
    curl_easy_cleanup (hub->curl);
  wipe_token (hub);
  g_free (hub->endpoint);
  g_free (hub->endpoint_origin);
  g_free (hub->cache_dir);
  g_clear_object (&hub->cancellable);
  g_free (hub);
}

void
vs_hub_set_token (VsHub      *hub,
                  const char *token)
{
  wipe_token (hub);
  hub->token = clean_token (token);
}

gboolean
vs_hub_has_token (VsHub *hub)
{
  return hub->token != NULL;
}

void
vs_hub_set_cache_dir (VsHub      *hub,
                      const char *cache_dir)
{
  g_free (hub->cache_dir);
  hub->cache_dir = g_strdup (cache_dir);
}

const char *
vs_hub_get_cache_dir (VsHub *hub)
{
  return hub->cache_dir;
}

const char *
vs_hub_get_endpoint (VsHub *hub)
{
  return hub->endpoint;
}

void
vs_hub_set_offline (VsHub   *hub,
                    gboolean offline)
{
  hub->offline = offline;
}

void
vs_hub_set_progress (VsHub            *hub,
                     VsHubProgressFunc func,
                     gpointer          user_data)
{
  hub->progress = func;
  hub->progress_data = user_data;
}

void
vs_hub_set_cancellable (VsHub        *hub,
                        GCancellable *cancellable)
{
  g_set_object (&hub->cancellable, cancellable);
}

/* ---- ids ----------------------------------------------------------------- */

static gboolean
name_part_ok (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > 96 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
    return FALSE;
  if (strstr (s, "--") != NULL || strstr (s, "..") != NULL)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
repo_id_ok (const char *id)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);
  guint n = g_strv_length (parts);

  if (n < 1 || n > 2)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!name_part_ok (parts[i]))
      return FALSE;
  return TRUE;
}

gboolean
vs_hub_parse_repo_id (const char *text,
                      char      **repo_id,
                      char      **revision)
{
  const char *at;
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;

  if (text == NULL)
    return FALSE;
  at = strchr (text, '@');
  if (at != NULL)
    {
      id = g_strndup (text, at - text);
      rev = g_strdup (at + 1);
      if (rev[0] == '\0')
        return FALSE;
    }
  else
    id = g_strdup (text);
  if (!repo_id_ok (id))
    return FALSE;
  if (repo_id != NULL)
    *repo_id = g_steal_pointer (&id);
  if (revision != NULL)
    *revision = g_steal_pointer (&rev);
  return TRUE;
}

char *
vs_hub_repo_cache_dir (VsHub        *hub,
                       VsHubRepoType type,
                       const char   *repo_id)
{
  g_auto(GStrv) parts = g_strsplit (repo_id, "/", -1);
  g_autofree char *joined = g_strjoinv ("--", parts);
  g_autofree char *folder = g_strdup_printf ("%s--%s", vs_hub_type_plural (type), joined);

  return g_build_filename (hub->cache_dir, folder, NULL);
}

static char *
api_url (VsHub        *hub,
         VsHubRepoType type,
         const char   *repo_id,
         const char   *suffix_fmt,
         ...) G_GNUC_PRINTF (4, 5);

static char *
api_url (VsHub        *hub,
         VsHubRepoType type,
         const char   *repo_id,
         const char   *suffix_fmt,
         ...)
{
  va_list ap;
  g_autofree char *suffix = NULL;

  va_start (ap, suffix_fmt);
  suffix = g_strdup_vprintf (suffix_fmt, ap);
  va_end (ap);
  return g_strdup_printf ("%s/api/%s/%s%s", hub->endpoint, vs_hub_type_plural (type), repo_id, suffix);
}

/* req's answer as JSON when it is a 2xx with a JSON body, else NULL with
 * the error vs_hub_http_ok () sets. */
static cJSON *
fetch_json (VsHub              *hub,
            const VsHubRequest *req,
            GError            **error)
{
  VsHubResponse resp = { 0 };
  cJSON *json = NULL;

  vs_hub_http_ok (hub, req, &resp, &json, error);
  vs_hub_response_clear (&resp);
  return json;
}

/* ---- auth ----------------------------------------------------------------- */

cJSON *
vs_hub_whoami (VsHub   *hub,
               GError **error)
{
  g_autofree char *url = g_strdup_printf ("%s/api/whoami-v2", hub->endpoint);
  VsHubRequest req = { .method = "GET", .url = url, .auth = TRUE, .require_auth = TRUE,
                       .retry = VS_HUB_RETRY_NONE, .what = "whoami" };
  cJSON *json = fetch_json (hub, &req, error);

  if (json == NULL)
    return NULL;
  if (!cJSON_IsString (cJSON_GetObjectItemCaseSensitive (json, "name")))
    {
      cJSON_Delete (json);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "whoami: the Hub's answer has no \"name\"");
      return NULL;
    }
  return json;
}

static gboolean
write_private_file (const char *path,
                    const char *contents,
                    GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmpl = g_strdup_printf ("%s.XXXXXX", path);
  gsize len = strlen (contents);
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create the folder: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create the file: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  if (fchmod (fd, 0600) != 0 || write (fd, contents, len) != (gssize) len || fsync (fd) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot write the file: %s", path,
                   g_strerror (errno));
      close (fd);
      g_unlink (tmpl);
      return FALSE;
    }
  close (fd);
  if (g_rename (tmpl, path) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot write the file: %s", path,
                   g_strerror (errno));
      g_unlink (tmpl);
      return FALSE;
    }
  return TRUE;
}

char *
vs_hub_login (const char *token,
              GError    **error)
{
  g_autoptr(VsHub) hub = vs_hub_new ();
  g_autoptr(VsHubJson) me = NULL;
  g_autofree char *clean = clean_token (token);
  g_autofree char *path = token_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *stored = g_build_filename (dir, "stored_tokens", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *kf_data = NULL;
  const cJSON *display;
  char *name;

  if (clean == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_AUTH, "login: the token is empty");
      return NULL;
    }
  if (g_str_has_prefix (clean, "api_org"))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_AUTH,
                   "login: organisation API tokens (api_org…) cannot be used; use a user access token");
      return NULL;
    }
  vs_hub_set_token (hub, clean);
  me = vs_hub_whoami (hub, error);
  if (me == NULL)
    return NULL;
  name = g_strdup (cJSON_GetObjectItemCaseSensitive (me, "name")->valuestring);
  display = cJSON_GetObjectItemCaseSensitive (
      cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (me, "auth"), "accessToken"),
      "displayName");

  /* stored_tokens: keep the other sections, replace this one. */
  g_key_file_load_from_file (kf, stored, G_KEY_FILE_KEEP_COMMENTS, NULL);
  {
    g_autofree char *section = cJSON_IsString (display) ? g_strdup (display->valuestring)
                                                        : g_strdup_printf ("oauth-%s", name);
    g_key_file_set_string (kf, section, "hf_token", clean);
  }
  kf_data = g_key_file_to_data (kf, NULL, NULL);
  if (!write_private_file (stored, kf_data, error) || !write_private_file (path, clean, error))
    {
      memset (kf_data, 0, strlen (kf_data));
      g_free (name);
      return NULL;
    }
  memset (kf_data, 0, strlen (kf_data));
  memset (clean, 0, strlen (clean));
  return name;
}

gboolean
vs_hub_logout (GError **error)
{
  g_autofree char *path = token_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *stored = g_build_filename (dir, "stored_tokens", NULL);
  const char *files[] = { path, stored };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (g_unlink (files[i]) != 0 && errno != ENOENT)
      {
        g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot delete: %s", files[i], g_strerror (errno));
        return FALSE;
      }
  return TRUE;
}

/* ---- info, search, listing ---------------------------------------------------- */

cJSON *
vs_hub_repo_info (VsHub        *hub,
                  VsHubRepoType type,
                  const char   *repo_id,
                  const char   *revision,
                  GError      **error)
{
  g_autofree char *rev = revision != NULL ? vs_hub_encode (revision, FALSE) : NULL;
  g_autofree char *url = rev != NULL ? api_url (hub, type, repo_id, "/revision/%s", rev)
                                     : api_url (hub, type, repo_id, "%s", "");
  g_autofree char *what = revision != NULL ? g_strdup_printf ("%s@%s", repo_id, revision)
                                           : g_strdup (repo_id);
  VsHubRequest req = { .method = "GET", .url = url, .auth = TRUE, .follow_redirects = TRUE,
                       .retry = VS_HUB_RETRY_BACKOFF, .what = what };

  return fetch_json (hub, &req, error);
}

cJSON *
vs_hub_search (VsHub        *hub,
               VsHubRepoType type,
               const char   *query,
               const char   *filter,
               guint         limit,
               GError      **error)
{
  GString *url = g_string_new (NULL);
  g_autofree char *url_str = NULL;
  VsHubRequest req = { .method = "GET", .auth = TRUE, .follow_redirects = TRUE,
                       .retry = VS_HUB_RETRY_NONE, .what = "search" };
  cJSON *json = NULL;

  g_string_printf (url, "%s/api/%s?sort=downloads&limit=%u", hub->endpoint,
                   vs_hub_type_plural (type), limit > 0 ? limit : 20);
  if (query != NULL && query[0] != '\0')
    {
      g_autofree char *q = vs_hub_encode (query, FALSE);
      g_string_append_printf (url, "&search=%s", q);
    }
  if (filter != NULL && filter[0] != '\0')
    {
      g_autofree char *f = vs_hub_encode (filter, FALSE);
      g_string_append_printf (url, "&filter=%s", f);
    }
  url_str = g_string_free (url, FALSE);
  req.url = url_str;
  json = fetch_json (hub, &req, error);
  if (json != NULL && !cJSON_IsArray (json))
    {
      g_clear_pointer (&json, cJSON_Delete);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "search: the Hub's answer is not a list");
    }
  return json;
}

/* The URL of rel="next" in a Link header, or NULL. */
static char *
link_next (const char *link)
{
  g_auto(GStrv) items = NULL;

  if (link == NULL)
    return NULL;
  items = g_strsplit (link, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *lt = strchr (items[i], '<');
      const char *gt = lt != NULL ? strchr (lt, '>') : NULL;
      if (gt != NULL && strstr (gt, "rel=\"next\"") != NULL)
        return g_strndup (lt + 1, gt - lt - 1);
    }
  return NULL;
}

cJSON *
vs_hub_list_files (VsHub        *hub,
                   VsHubRepoType type,
                   const char   *repo_id,
                   const char   *revision,
                   GError      **error)
{
  g_autofree char *rev = vs_hub_encode (revision != NULL ? revision : "main", FALSE);
  g_autofree char *url = api_url (hub, type, repo_id, "/tree/%s?recursive=true&expand=false", rev);
  g_autoptr(VsHubJson) all = cJSON_CreateArray ();
  g_autofree char *what = g_strdup_printf ("%s: file list", repo_id);

  for (guint page = 0; url != NULL; page++)
    {
      VsHubRequest req = { .method = "GET", .url = url, .auth = TRUE, .follow_redirects = TRUE,
                           .retry = page == 0 ? VS_HUB_RETRY_NONE : VS_HUB_RETRY_BACKOFF,
                           .what = what };
      VsHubResponse resp = { 0 };
      g_autoptr(VsHubJson) json = NULL;
      cJSON *item;
      char *next;

      if (page > 10000 || !vs_hub_http_ok (hub, &req, &resp, &json, error))
        {
          if (page > 10000)
            g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: too many pages", what);
          vs_hub_response_clear (&resp);
          return NULL;
        }
      if (!cJSON_IsArray (json))
        {
          vs_hub_response_clear (&resp);
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub's answer is not a list", what);
          return NULL;
        }
      while ((item = cJSON_DetachItemFromArray (json, 0)) != NULL)
        cJSON_AddItemToArray (all, item);
      next = link_next (vs_hub_response_header (&resp, "link"));
      vs_hub_response_clear (&resp);
      g_free (url);
      url = next;
    }
  return g_steal_pointer (&all);
}

/* ---- the cache ---------------------------------------------------------------- */

static gboolean
mkdirs (const char *dir,
        GError    **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create the folder: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Writes contents to path through a temporary file and a rename. */
static gboolean
write_atomic (const char *path,
              const char *contents,
              gsize       len,
              GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (!mkdirs (dir, error))
    return FALSE;
  return vs_file_set_contents (path, contents, (gssize) len, 0644, error);
}

static char *
ref_path (const char *storage,
          const char *revision)
{
  return g_build_filename (storage, "refs", revision, NULL);
}

/* refs/<rev> holds the commit without a newline; written only if changed. */
static gboolean
write_ref (const char *storage,
           const char *revision,
           const char *commit,
           GError    **error)
{
  g_autofree char *path = NULL;
  g_autofree char *old = NULL;

  if (revision == NULL || strcmp (revision, commit) == 0)
    return TRUE;
  if (!vs_hub_path_is_safe (revision))
    return TRUE;
  path = ref_path (storage, revision);
  if (g_file_get_contents (path, &old, NULL, NULL) && strcmp (g_strstrip (old), commit) == 0)
    return TRUE;
  return write_atomic (path, commit, strlen (commit), error);
}

/* The commit a revision points at in the cache, or NULL. */
static char *
cached_commit (const char *storage,
               const char *revision)
{
  g_autofree char *path = NULL;
  char *commit = NULL;

  if (vs_hub_is_commit_hash (revision))
    return g_strdup (revision);
  if (!vs_hub_path_is_safe (revision))
    return NULL;
  path = ref_path (storage, revision);
  if (!g_file_get_contents (path, &commit, NULL, NULL))
    return NULL;
  g_strstrip (commit);
  if (!vs_hub_is_commit_hash (commit))
    g_clear_pointer (&commit, g_free);
  return commit;
}

typedef enum
{
  CACHE_MISS,
  CACHE_HIT,
  CACHE_KNOWN_MISSING,
} CacheLookup;

static CacheLookup
cache_lookup (const char *storage,
              const char *revision,
              const char *path,
              char      **out_path)
{
  g_autofree char *commit = cached_commit (storage, revision);
  g_autofree char *no_exist = NULL;
  g_autofree char *pointer = NULL;

  if (commit == NULL)
    return CACHE_MISS;
  no_exist = g_build_filename (storage, ".no_exist", commit, path, NULL);
  if (g_file_test (no_exist, G_FILE_TEST_EXISTS))
    return CACHE_KNOWN_MISSING;
  pointer = g_build_filename (storage, "snapshots", commit, path, NULL);
  if (g_file_test (pointer, G_FILE_TEST_EXISTS))
    {
      *out_path = g_steal_pointer (&pointer);
      return CACHE_HIT;
    }
  return CACHE_MISS;
}

static void
write_cachedir_tag (VsHub *hub)
{
  g_autofree char *tag = g_build_filename (hub->cache_dir, "CACHEDIR.TAG", NULL);
  static const char text[] =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by huggingface_hub.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n";

  if (!g_file_test (tag, G_FILE_TEST_EXISTS))
    write_atomic (tag, text, sizeof text - 1, NULL);
}

/* Relative symlink snapshots/<commit>/<path> -> ../../[../]blobs/<etag>. */
static gboolean
make_pointer (const char *pointer,
              const char *path,
              const char *etag,
              GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (pointer);
  GString *target = g_string_new ("../../");
  g_autofree char *target_str = NULL;
  g_autofree char *tmp = NULL;

  for (const char *p = path; *p != '\0'; p++)
    if (*p == '/')
      g_string_append (target, "../");
  g_string_append_printf (target, "blobs/%s", etag);
  target_str = g_string_free (target, FALSE);
  if (!mkdirs (dir, error))
    return FALSE;
  tmp = g_strdup_printf ("%s.%08x.tmp", pointer, g_random_int ());
  if (symlink (target_str, tmp) != 0 || g_rename (tmp, pointer) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create the symlink: %s", pointer,
                   g_strerror (errno));
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

static gboolean
etag_ok (const char *etag)
{
  if (etag == NULL || etag[0] == '\0' || strlen (etag) > 128)
    return FALSE;
  for (const char *p = etag; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Strips W/ and quotes. */
static char *
normalize_etag (const char *raw)
{
  char *s;

  if (raw == NULL)
    return NULL;
  if (g_str_has_prefix (raw, "W/"))
    raw += 2;
  s = g_strdup (raw);
  g_strstrip (s);
  if (s[0] == '"')
    memmove (s, s + 1, strlen (s));
  if (s[0] != '\0' && s[strlen (s) - 1] == '"')
    s[strlen (s) - 1] = '\0';
  return s;
}

static char *
file_sha256 (const char *path,
             GError    **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  FILE *f = fopen (path, "rb");
  guint8 buf[65536];
  gsize n;

  if (f == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (errno));
      return NULL;
    }
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    g_checksum_update (sum, buf, n);
  fclose (f);
  return g_strdup (g_checksum_get_string (sum));
}

/* The umask, read without changing it where Linux allows (umask() would
 * briefly set it for every thread); read once. */
static mode_t
process_umask (void)
{
  static gsize once = 0;
  static mode_t mask;

  if (g_once_init_enter (&once))
    {
      g_autofree char *status = NULL;
      const char *line;
      gboolean found = FALSE;
      if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
          (line = strstr (status, "\nUmask:")) != NULL)
        {
          mask = (mode_t) strtoul (line + 7, NULL, 8);
          found = TRUE;
        }
      if (!found)
        {
          mask = umask (0022);
          umask (mask);
        }
      g_once_init_leave (&once, 1);
    }
  return mask;
}

typedef struct
{
  char *commit;
  char *etag;
  guint64 size;
  char *location;
} FileMeta;

static void
file_meta_clear (FileMeta *m)
{
  g_clear_pointer (&m->commit, g_free);
  g_clear_pointer (&m->etag, g_free);
  g_clear_pointer (&m->location, g_free);
}

/* HEAD the resolve URL, following only relative redirects (hub-spec 3.2).
 * Returns TRUE with an HTTP answer in resp (any status). */
static gboolean
head_resolve (VsHub         *hub,
              const char    *url,
              VsHubRetry     retry,
              const char    *what,
              VsHubResponse *resp,
              char         **final_url,
              GError       **error)
{
  g_autofree char *current = g_strdup (url);

  for (guint hop = 0; hop < 10; hop++)
    {
      VsHubRequest req = { .method = "HEAD", .url = current, .auth = TRUE, .identity = TRUE,
                           .retry = retry, .what = what };
      const char *location;

      if (!vs_hub_http (hub, &req, resp, error))
        return FALSE;
      location = vs_hub_response_header (resp, "location");
      if (resp->status >= 300 && resp->status < 400 && location != NULL &&
          strstr (location, "://") == NULL)
        {
          CURLU *u = curl_url ();
          char *next = NULL;
          if (curl_url_set (u, CURLUPART_URL, current, 0) == CURLUE_OK &&
              curl_url_set (u, CURLUPART_URL, location, 0) == CURLUE_OK &&
              curl_url_get (u, CURLUPART_URL, &next, 0) == CURLUE_OK)
            {
              g_free (current);
              current = g_strdup (next);
            }
          curl_free (next);
          curl_url_cleanup (u);
          if (next == NULL)
            break;
          continue;
        }
      break;
    }
  *final_url = g_steal_pointer (&current);
  return TRUE;
}

/* GET url into the open file f, resuming with Range after drops. */
static gboolean
get_resumable (VsHub      *hub,
               const char *url,
               FILE       *f,
               guint64     expected,
               const char *what,
               GError    **error)
{
  guint64 written = 0;
  guint tries_without_progress = 0;

  for (;;)
    {
      VsHubRequest req = { .method = "GET", .url = url, .auth = TRUE, .follow_redirects = TRUE,
                           .sink = f, .range_start = (goffset) written, .count_download = TRUE,
                           .retry = VS_HUB_RETRY_NONE, .what = what };
      VsHubResponse resp = { 0 };
      g_autoptr(GError) local = NULL;
      gboolean ok = vs_hub_http (hub, &req, &resp, &local);
      guint64 before = written;

      if (ok && (resp.status == 200 || resp.status == 206))
        {
          written = (resp.status == 200 ? 0 : written) + resp.sink_bytes;
          vs_hub_response_clear (&resp);
          return TRUE;
        }
      if (ok && resp.status == 416)
        {
          const char *cr = vs_hub_response_header (&resp, "content-range");
          g_set_error (error, VS_ERROR, VS_ERROR_NETWORK,
                       "%s: the server refused the range bytes=%" G_GUINT64_FORMAT "- "
                       "(Content-Range: %s)", what, written, cr != NULL ? cr : "none");
          vs_hub_response_clear (&resp);
          return FALSE;
        }
      if (ok && !(resp.status == 408 || resp.status == 429 || resp.status >= 500))
        {
          vs_hub_set_http_error (hub, &resp, what, error);
          vs_hub_response_clear (&resp);
          return FALSE;
        }
      if (!ok && !g_error_matches (local, VS_ERROR, VS_ERROR_NETWORK))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      /* A dropped connection: keep what arrived (only 206/200 bodies reach
       * the file) and ask for the rest. */
      if (resp.status == 206)
        written += resp.sink_bytes;
      else if (resp.status == 200)
        written = resp.sink_bytes;
      if (written > before)
        tries_without_progress = 0;
      else
        tries_without_progress++;
      if (tries_without_progress >= MAX_RESUME_TRIES)
        {
          if (local != NULL)
            g_propagate_error (error, g_steal_pointer (&local));
          else
            vs_hub_set_http_error (hub, &resp, what, error);
          vs_hub_response_clear (&resp);
          return FALSE;
        }
      g_debug ("%s: resuming at byte %" G_GUINT64_FORMAT, what, written);
      {
        guint wait = resp.status == 429 ? 2 : 1;
        vs_hub_response_clear (&resp);
        for (guint i = 0; i < wait * 20; i++)
          {
            if (!vs_hub_check_cancel (hub, error))
              return FALSE;
            g_usleep (50000);
          }
      }
      if (written > expected)
        written = 0;
    }
}

typedef struct
{
  int fd;
} CacheLock;

static gboolean
lock_blob (VsHub      *hub,
           const char *storage,
           const char *etag,
           CacheLock  *lock,
           GError    **error)
{
  g_autofree char *base = g_path_get_basename (storage);
  g_autofree char *dir = g_build_filename (hub->cache_dir, ".locks", base, NULL);
  g_autofree char *name = g_strdup_printf ("%s.lock", etag);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  lock->fd = -1;
  if (!mkdirs (dir, error))
    return FALSE;
  lock->fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock->fd < 0 || flock (lock->fd, LOCK_EX) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot lock: %s", path, g_strerror (errno));
      if (lock->fd >= 0)
        close (lock->fd);
      lock->fd = -1;
      return FALSE;
    }
  return TRUE;
}

static void
unlock_blob (CacheLock *lock)
{
  if (lock->fd >= 0)
    {
      flock (lock->fd, LOCK_UN);
      close (lock->fd);
      lock->fd = -1;
    }
}

/* Downloads the blob at meta->location into blobs/<etag> (through an
 * .incomplete file that is removed on failure). */
static gboolean
fetch_blob (VsHub          *hub,
            const char     *storage,
            const FileMeta *meta,
            const char     *what,
            GError        **error)
{
  g_autofree char *blobs = g_build_filename (storage, "blobs", NULL);
  g_autofree char *blob = g_build_filename (blobs, meta->etag, NULL);
  g_autofree char *incomplete = g_strdup_printf ("%s.%08x.incomplete", blob, g_random_int ());
  mode_t mask;
  FILE *f;
  struct stat st;

  if (!mkdirs (blobs, error))
    return FALSE;
  f = fopen (incomplete, "w+b");
  if (f == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", incomplete, g_strerror (errno));
      return FALSE;
    }
  if (!get_resumable (hub, meta->location, f, meta->size, what, error))
    {
      fclose (f);
      g_unlink (incomplete);
      return FALSE;
    }
  if (fclose (f) != 0 || stat (incomplete, &st) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", incomplete, g_strerror (errno));
      g_unlink (incomplete);
      return FALSE;
    }
  if ((guint64) st.st_size != meta->size)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NETWORK,
                   "%s: consistency check failed: the file should be %" G_GUINT64_FORMAT
                   " bytes but %" G_GUINT64_FORMAT " arrived; try again",
                   what, meta->size, (guint64) st.st_size);
      g_unlink (incomplete);
      return FALSE;
    }
  /* An LFS file's etag is the SHA-256 of its content: check it. */
  if (strlen (meta->etag) == 64)
    {
      g_autofree char *sum = file_sha256 (incomplete, error);
      if (sum == NULL || g_ascii_strcasecmp (sum, meta->etag) != 0)
        {
          if (sum != NULL)
            g_set_error (error, VS_ERROR, VS_ERROR_NETWORK,
                         "%s: the downloaded file is corrupt (its SHA-256 does not match the Hub's); "
                         "try again", what);
          g_unlink (incomplete);
          return FALSE;
        }
    }
  mask = process_umask ();
  chmod (incomplete, 0666 & ~mask);
  if (g_rename (incomplete, blob) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", blob, g_strerror (errno));
      g_unlink (incomplete);
      return FALSE;
    }
  return TRUE;
}

static char *
resolve_url (VsHub        *hub,
             VsHubRepoType type,
             const char   *repo_id,
             const char   *revision,
             const char   *path)
{
  g_autofree char *rev = vs_hub_encode (revision, FALSE);
  g_autofree char *p = vs_hub_encode (path, TRUE);

  return g_strdup_printf ("%s/%s%s/resolve/%s/%s", hub->endpoint, vs_hub_type_prefix (type),
                          repo_id, rev, p);
}

static char *
offline_result (const char *storage,
                const char *revision,
                const char *path,
                const char *what,
                const char *reason,
                GError    **error)
{
  char *found = NULL;

  switch (cache_lookup (storage, revision, path, &found))
    {
    case CACHE_HIT:
      return found;
    case CACHE_KNOWN_MISSING:
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: the file does not exist in the repo "
                   "(known from the cache)", what);
      return NULL;
    case CACHE_MISS:
    default:
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: not in the local cache, and %s",
                   what, reason);
      return NULL;
    }
}

/* hf_hub_download (hub-spec 3.4). */
static char *
download_one (VsHub        *hub,
              VsHubRepoType type,
              const char   *repo_id,
              const char   *revision,
              const char   *path,
              GError      **error)
{
  g_autofree char *storage = vs_hub_repo_cache_dir (hub, type, repo_id);
  g_autofree char *what = g_strdup_printf ("%s/%s", repo_id, path);
  g_autofree char *url = NULL;
  g_autofree char *final_url = NULL;
  g_autofree char *pointer = NULL;
  g_autofree char *blob = NULL;
  VsHubResponse resp = { 0 };
  g_autoptr(GError) local = NULL;
  FileMeta meta = { 0 };
  const char *v;
  gboolean ok;
  CacheLock lock;

  if (!vs_hub_path_is_safe (path))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: not a valid file path in a repo", what);
      return NULL;
    }
  if (vs_hub_is_commit_hash (revision))
    {
      pointer = g_build_filename (storage, "snapshots", revision, path, NULL);
      if (g_file_test (pointer, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&pointer);
      g_clear_pointer (&pointer, g_free);
    }
  if (hub->offline)
    return offline_result (storage, revision, path, what,
                           "offline mode is on (HF_HUB_OFFLINE)", error);

  url = resolve_url (hub, type, repo_id, revision, path);
  ok = head_resolve (hub, url, VS_HUB_RETRY_NONE, what, &resp, &final_url, &local);
  if (!ok && !g_error_matches (local, VS_ERROR, VS_ERROR_NETWORK))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!ok || resp.status == 429 || resp.status >= 500)
    {
      /* Hub unreachable: use the cache, else a second chance with retries. */
      char *found = NULL;
      if (cache_lookup (storage, revision, path, &found) == CACHE_HIT)
        {
          vs_hub_response_clear (&resp);
          return found;
        }
      g_clear_error (&local);
      g_clear_pointer (&final_url, g_free);
      if (!head_resolve (hub, url, VS_HUB_RETRY_BACKOFF, what, &resp, &final_url, error))
        {
          vs_hub_response_clear (&resp);
          return NULL;
        }
    }

  if (resp.status == 404 && g_strcmp0 (vs_hub_response_header (&resp, "x-error-code"), "EntryNotFound") == 0)
    {
      const char *commit = vs_hub_response_header (&resp, "x-repo-commit");
      if (vs_hub_is_commit_hash (commit))
        {
          g_autofree char *marker = g_build_filename (storage, ".no_exist", commit, path, NULL);
          write_atomic (marker, "", 0, NULL);
          write_ref (storage, revision, commit, NULL);
        }
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: no such file in the repo at revision %s",
                   what, revision);
      vs_hub_response_clear (&resp);
      return NULL;
    }
  if (resp.status < 200 || resp.status >= 400)
    {
      const char *code = vs_hub_response_header (&resp, "x-error-code");
      char *found = NULL;
      /* Repo gone, private or gated: a cached copy still serves. */
      if (g_strcmp0 (code, "RevisionNotFound") != 0 &&
          cache_lookup (storage, revision, path, &found) == CACHE_HIT)
        {
          vs_hub_response_clear (&resp);
          return found;
        }
      vs_hub_set_http_error (hub, &resp, what, error);
      vs_hub_response_clear (&resp);
      return NULL;
    }

  v = vs_hub_response_header (&resp, "x-repo-commit");
  meta.commit = g_strdup (v);
  v = vs_hub_response_header (&resp, "x-linked-etag");
  meta.etag = normalize_etag (v != NULL ? v : vs_hub_response_header (&resp, "etag"));
  v = vs_hub_response_header (&resp, "x-linked-size");
  if (v == NULL && resp.status < 300)
    v = vs_hub_response_header (&resp, "content-length");
  meta.size = v != NULL ? g_ascii_strtoull (v, NULL, 10) : G_MAXUINT64;
  v = vs_hub_response_header (&resp, "location");
  meta.location = v != NULL ? g_strdup (v) : g_strdup (final_url);
  vs_hub_response_clear (&resp);

  if (!vs_hub_is_commit_hash (meta.commit))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: the server did not say which commit it serves (no X-Repo-Commit); "
                   "is %s really a Hugging Face Hub (or is a proxy in the way)?", what, hub->endpoint);
      file_meta_clear (&meta);
      return NULL;
    }
  if (!etag_ok (meta.etag) || meta.size == G_MAXUINT64)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: the server sent no usable ETag or size for the file", what);
      file_meta_clear (&meta);
      return NULL;
    }
  /* huggingface_hub refuses plain-HTTP downloads above 50 GB (Xet only). */
  if (meta.size > G_GUINT64_CONSTANT (50000000000))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: the file is %" G_GUINT64_FORMAT " bytes; files over 50 GB are only served "
                   "through Xet storage, which this program does not speak", what, meta.size);
      file_meta_clear (&meta);
      return NULL;
    }
  if (strstr (meta.location, "://") == NULL)
    {
      char *abs = resolve_url (hub, type, repo_id, revision, path);
      g_free (meta.location);
      meta.location = abs;
    }

  write_cachedir_tag (hub);
  if (!write_ref (storage, revision, meta.commit, error))
    {
      file_meta_clear (&meta);
      return NULL;
    }
  pointer = g_build_filename (storage, "snapshots", meta.commit, path, NULL);
  if (g_file_test (pointer, G_FILE_TEST_EXISTS))
    {
      file_meta_clear (&meta);
      return g_steal_pointer (&pointer);
    }
  if (!lock_blob (hub, storage, meta.etag, &lock, error))
    {
      file_meta_clear (&meta);
      return NULL;
    }
  blob = g_build_filename (storage, "blobs", meta.etag, NULL);
  ok = g_file_test (blob, G_FILE_TEST_EXISTS) || fetch_blob (hub, storage, &meta, what, error);
  if (ok)
    ok = make_pointer (pointer, path, meta.etag, error);
  unlock_blob (&lock);
  file_meta_clear (&meta);
  if (!ok)
    return NULL;
  return g_steal_pointer (&pointer);
}

char *
vs_hub_download_file (VsHub        *hub,
                      VsHubRepoType type,
                      const char   *repo_id,
                      const char   *revision,
                      const char   *path,
                      GError      **error)
{
  char *out;

  vs_hub_progress_begin (hub, 0);
  out = download_one (hub, type, repo_id, revision != NULL ? revision : "main", path, error);
  vs_hub_scrub_error (hub, error);
  return out;
}

/* ---- snapshots ----------------------------------------------------------------- */

/* A tree entry's "size": 0 unless a non-negative number. */
static guint64
entry_size (const cJSON *entry)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (entry, "size");

  if (!cJSON_IsNumber (v) || !(v->valuedouble >= 0) || v->valuedouble > 1e18)
    return 0;
  return (guint64) v->valuedouble;
}

static gboolean
match_any (const char *path,
           const char *const *patterns)
{
  for (guint i = 0; patterns != NULL && patterns[i] != NULL; i++)
    {
      g_autofree char *pat = g_str_has_suffix (patterns[i], "/")
                                 ? g_strconcat (patterns[i], "*", NULL) : g_strdup (patterns[i]);
      if (g_pattern_match_simple (pat, path))
        return TRUE;
    }
  return FALSE;
}

/* What a sentence-transformers model needs: everything but other
 * frameworks' weights, and no pytorch_model.bin beside a .safetensors. */
static const char *const st_ignore[] = {
  "*.h5", "*.ot", "*.msgpack", "*.onnx", "onnx/*", "openvino/*", "*.tflite", "coreml/*",
  "*.gguf", "*.mlmodel", "flax_model*", "tf_model*", "rust_model*", "*.ckpt", NULL,
};

static gboolean
st_wants (const char  *path,
          GHashTable  *all_paths)
{
  g_autofree char *dir = NULL;

  if (match_any (path, st_ignore))
    return FALSE;
  if (g_str_has_suffix (path, ".bin") || g_str_has_suffix (path, ".pt"))
    {
      GHashTableIter it;
      gpointer key;
      dir = g_path_get_dirname (path);
      g_hash_table_iter_init (&it, all_paths);
      while (g_hash_table_iter_next (&it, &key, NULL))
        {
          g_autofree char *d2 = g_path_get_dirname (key);
          if (g_str_has_suffix (key, ".safetensors") && strcmp (d2, dir) == 0)
            return FALSE;
        }
    }
  return TRUE;
}

/* trees/<commit>.json as huggingface_hub writes it. */
static void
write_tree_cache (const char  *storage,
                  const char  *commit,
                  const cJSON *entries)
{
  g_autoptr(VsHubJson) root = cJSON_CreateObject ();
  cJSON *files = cJSON_CreateObject ();
  const cJSON *e;
  g_autofree char *name = g_strdup_printf ("%s.json", commit);
  g_autofree char *path = g_build_filename (storage, "trees", name, NULL);
  g_autofree char *text = NULL;

  cJSON_AddNumberToObject (root, "format_version", 1);
  cJSON_AddItemToObject (root, "files", files);
  cJSON_ArrayForEach (e, entries)
    {
      const cJSON *type = cJSON_GetObjectItemCaseSensitive (e, "type");
      const cJSON *p = cJSON_GetObjectItemCaseSensitive (e, "path");
      const cJSON *lfs = cJSON_GetObjectItemCaseSensitive (e, "lfs");
      cJSON *f;
      if (!cJSON_IsString (type) || strcmp (type->valuestring, "file") != 0 || !cJSON_IsString (p))
        continue;
      f = cJSON_AddObjectToObject (files, p->valuestring);
      cJSON_AddNumberToObject (f, "size", (double) entry_size (e));
      if (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (e, "oid")))
        cJSON_AddStringToObject (f, "blob_id", cJSON_GetObjectItemCaseSensitive (e, "oid")->valuestring);
      if (cJSON_IsObject (lfs) && cJSON_IsString (cJSON_GetObjectItemCaseSensitive (lfs, "oid")))
        {
          cJSON_AddStringToObject (f, "lfs_sha256", cJSON_GetObjectItemCaseSensitive (lfs, "oid")->valuestring);
          cJSON_AddNumberToObject (f, "lfs_size", (double) entry_size (lfs));
        }
    }
  text = cJSON_PrintUnformatted (root);
  write_atomic (path, text, strlen (text), NULL);
}

static cJSON *
read_tree_cache (const char *storage,
                 const char *commit)
{
  g_autofree char *name = g_strdup_printf ("%s.json", commit);
  g_autofree char *path = g_build_filename (storage, "trees", name, NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return cJSON_Parse (text);
}

static char *
snapshot_offline (VsHub             *hub,
                  const char        *storage,
                  const char        *repo_id,
                  const char        *revision,
                  const char *const *allow,
                  const char *const *ignore,
                  const char        *reason,
                  GError           **error)
{
  g_autofree char *commit = cached_commit (storage, revision);
  g_autofree char *snap = NULL;
  g_autoptr(VsHubJson) tree = NULL;
  const cJSON *files, *f;

  if (commit == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s@%s: not in the local cache (%s), and %s",
                   repo_id, revision, hub->cache_dir, reason);
      return NULL;
    }
  snap = g_build_filename (storage, "snapshots", commit, NULL);
  if (!g_file_test (snap, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s@%s: not in the local cache (%s), and %s",
                   repo_id, revision, hub->cache_dir, reason);
      return NULL;
    }
  /* A cached file list tells whether the snapshot is complete. */
  tree = read_tree_cache (storage, commit);
  files = cJSON_GetObjectItemCaseSensitive (tree, "files");
  cJSON_ArrayForEach (f, files)
    {
      g_autofree char *p = NULL;
      if (f->string == NULL || !vs_hub_path_is_safe (f->string) ||
          (allow != NULL && !match_any (f->string, allow)) || match_any (f->string, ignore))
        continue;
      p = g_build_filename (snap, f->string, NULL);
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "%s@%s: the cached copy is incomplete (%s is missing), and %s",
                       repo_id, revision, f->string, reason);
          return NULL;
        }
    }
  return g_steal_pointer (&snap);
}

/* ---- parallel downloads -----------------------------------------------------
 *
 * snapshot_download fetches up to 8 files at a time, as huggingface_hub does.
 * Each worker thread has its own VsHub (so its own CURL handle) sharing the
 * settings and an internal cancellable; the calling thread waits, sums the
 * workers' bytes into the caller's progress callback (so the callback still
 * runs on the calling thread) and passes a cancel on. The first error wins
 * and stops the others. */

#define MAX_WORKERS 8

typedef struct _Pool Pool;

typedef struct
{
  Pool *pool;
  VsHub *hub;
  gsize bytes;     /* this worker's bytes so far (atomic, pointer-sized) */
} Worker;

struct _Pool
{
  VsHubRepoType type;
  const char *repo_id;
  const char *commit;
  GPtrArray *wanted;
  GMutex lock;
  GCond cond;
  guint next;
  guint running;
  GError *error;
  GCancellable *cancel;
};

static void
worker_progress (guint64  done,
                 guint64  total,
                 gpointer user_data)
{
  Worker *w = user_data;

  g_atomic_pointer_set ((gpointer *) &w->bytes, GSIZE_TO_POINTER ((gsize) done));
}

static VsHub *
hub_clone (VsHub *hub)
{
  VsHub *c = g_new0 (VsHub, 1);

  c->curl = curl_easy_init ();
  vs_hub_http_set_endpoint (c, hub->endpoint);
  c->token = g_strdup (hub->token);
  c->cache_dir = g_strdup (hub->cache_dir);
  c->offline = hub->offline;
  return c;
}

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  Pool *pool = w->pool;

  for (;;)
    {
      const cJSON *entry;
      g_autoptr(GError) local = NULL;
      g_autofree char *got = NULL;

      g_mutex_lock (&pool->lock);
      if (pool->next >= pool->wanted->len || pool->error != NULL)
        {
          g_mutex_unlock (&pool->lock);
          break;
        }
      entry = g_ptr_array_index (pool->wanted, pool->next++);
      g_mutex_unlock (&pool->lock);

      got = download_one (w->hub, pool->type, pool->repo_id, pool->commit,
                          cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring, &local);
      if (got == NULL)
        {
          g_mutex_lock (&pool->lock);
          /* the first real error wins over the cancellations it causes */
          if (pool->error == NULL ||
              (g_error_matches (pool->error, VS_ERROR, VS_ERROR_CANCELLED) &&
               !g_error_matches (local, VS_ERROR, VS_ERROR_CANCELLED)))
            {
              g_clear_error (&pool->error);
              pool->error = g_steal_pointer (&local);
            }
          g_mutex_unlock (&pool->lock);
          g_cancellable_cancel (pool->cancel);
          break;
        }
      vs_hub_progress_add (w->hub, entry_size (entry));
    }
  g_mutex_lock (&pool->lock);
  pool->running--;
  g_cond_signal (&pool->cond);
  g_mutex_unlock (&pool->lock);
  return NULL;
}

static gboolean
download_many (VsHub        *hub,
               VsHubRepoType type,
               const char   *repo_id,
               const char   *commit,
               GPtrArray    *wanted,
               GError      **error)
{
  Pool pool = { 0 };
  Worker workers[MAX_WORKERS];
  GThread *threads[MAX_WORKERS];
  guint n = MIN (wanted->len, MAX_WORKERS);
  gboolean ok;

  if (n <= 1)
    {
      /* nothing to share: stay on this thread */
      for (guint i = 0; i < wanted->len; i++)
        {
          const cJSON *entry = g_ptr_array_index (wanted, i);
          g_autofree char *got = download_one (hub, type, repo_id, commit,
                                               cJSON_GetObjectItemCaseSensitive (entry, "path")->valuestring, error);
          if (got == NULL)
            return FALSE;
          vs_hub_progress_add (hub, entry_size (entry));
        }
      return TRUE;
    }

  pool.type = type;
  pool.repo_id = repo_id;
  pool.commit = commit;
  pool.wanted = wanted;
  pool.cancel = g_cancellable_new ();
  g_mutex_init (&pool.lock);
  g_cond_init (&pool.cond);
  pool.running = n;
  for (guint i = 0; i < n; i++)
    {
      workers[i].pool = &pool;
      workers[i].bytes = 0;
      workers[i].hub = hub_clone (hub);
      vs_hub_set_cancellable (workers[i].hub, pool.cancel);
      vs_hub_set_progress (workers[i].hub, worker_progress, &workers[i]);
    }
  for (guint i = 0; i < n; i++)
    threads[i] = g_thread_new ("vs-hub-download", worker_run, &workers[i]);

  g_mutex_lock (&pool.lock);
  while (pool.running > 0)
    {
      guint64 sum = 0;
      g_cond_wait_until (&pool.cond, &pool.lock, g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND);
      if (hub->cancellable != NULL && g_cancellable_is_cancelled (hub->cancellable))
        g_cancellable_cancel (pool.cancel);
      for (guint i = 0; i < n; i++)
        sum += (guint64) GPOINTER_TO_SIZE (g_atomic_pointer_get ((gpointer *) &workers[i].bytes));
      g_mutex_unlock (&pool.lock);
      hub->progress_current = sum;
      vs_hub_progress_report (hub, FALSE);
      g_mutex_lock (&pool.lock);
    }
  g_mutex_unlock (&pool.lock);
  for (guint i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      vs_hub_free (workers[i].hub);
    }
  ok = pool.error == NULL;
  if (!ok)
    g_propagate_error (error, pool.error);
  g_object_unref (pool.cancel);
  g_mutex_clear (&pool.lock);
  g_cond_clear (&pool.cond);
  return ok;
}

static char *
snapshot_impl (VsHub             *hub,
               VsHubRepoType      type,
               const char        *repo_id,
               const char        *revision,
               const char *const *allow,
               const char *const *ignore,
               gboolean           st_model,
               GError           **error)
{
  g_autofree char *storage = vs_hub_repo_cache_dir (hub, type, repo_id);
  g_autoptr(VsHubJson) info = NULL;
  g_autoptr(VsHubJson) tree = NULL;
  g_autoptr(GHashTable) all_paths = NULL;
  g_autoptr(GPtrArray) wanted = NULL;
  g_autoptr(GError) local = NULL;
  const cJSON *sha, *e;
  g_autofree char *commit = NULL;
  guint64 total = 0;
  char *snap;

  if (hub->offline)
    return snapshot_offline (hub, storage, repo_id, revision, allow, ignore,
                             "offline mode is on (HF_HUB_OFFLINE)", error);

  if (vs_hub_is_commit_hash (revision))
    commit = g_strdup (revision);
  else
    {
      info = vs_hub_repo_info (hub, type, repo_id, revision, &local);
      if (info == NULL)
        {
          /* Unreachable Hub: a complete cached snapshot still serves. */
          if (g_error_matches (local, VS_ERROR, VS_ERROR_NETWORK))
            {
              g_autofree char *reason = g_strdup_printf ("the Hub cannot be reached (%s)", local->message);
              return snapshot_offline (hub, storage, repo_id, revision, allow, ignore, reason, error);
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      sha = cJSON_GetObjectItemCaseSensitive (info, "sha");
      if (!cJSON_IsString (sha) || !vs_hub_is_commit_hash (sha->valuestring))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s@%s: the Hub's repo info has no commit (\"sha\")",
                       repo_id, revision);
          return NULL;
        }
      commit = g_strdup (sha->valuestring);
    }

  {
    g_autoptr(VsHubJson) cached = read_tree_cache (storage, commit);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive (cached, "files");
    if (cJSON_IsObject (files))
      {
        const cJSON *f;
        tree = cJSON_CreateArray ();
        cJSON_ArrayForEach (f, files)
          {
            cJSON *entry = cJSON_CreateObject ();
            cJSON_AddStringToObject (entry, "type", "file");
            cJSON_AddStringToObject (entry, "path", f->string);
            cJSON_AddNumberToObject (entry, "size", (double) entry_size (f));
            cJSON_AddItemToArray (tree, entry);
          }
      }
    else
      {
        tree = vs_hub_list_files (hub, type, repo_id, commit, error);
        if (tree == NULL)
          return NULL;
        if (!write_ref (storage, revision, commit, error))
          return NULL;
        write_tree_cache (storage, commit, tree);
      }
  }
  if (!write_ref (storage, revision, commit, error))
    return NULL;

  all_paths = g_hash_table_new (g_str_hash, g_str_equal);
  cJSON_ArrayForEach (e, tree)
    {
      const cJSON *p = cJSON_GetObjectItemCaseSensitive (e, "path");
      const cJSON *t = cJSON_GetObjectItemCaseSensitive (e, "type");
      if (cJSON_IsString (p) && cJSON_IsString (t) && strcmp (t->valuestring, "file") == 0)
        g_hash_table_add (all_paths, p->valuestring);
    }
  wanted = g_ptr_array_new ();
  cJSON_ArrayForEach (e, tree)
    {
      const cJSON *p = cJSON_GetObjectItemCaseSensitive (e, "path");
      const cJSON *t = cJSON_GetObjectItemCaseSensitive (e, "type");
      if (!cJSON_IsString (p) || !cJSON_IsString (t) || strcmp (t->valuestring, "file") != 0)
        continue;
      if (!vs_hub_path_is_safe (p->valuestring))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub listed an unsafe file path \"%s\"",
                       repo_id, p->valuestring);
          return NULL;
        }
      if ((allow != NULL && !match_any (p->valuestring, allow)) || match_any (p->valuestring, ignore))
        continue;
      if (st_model && !st_wants (p->valuestring, all_paths))
        continue;
      g_ptr_array_add (wanted, (gpointer) e);
      total += entry_size (e);
    }

  vs_hub_progress_begin (hub, total);
  if (!download_many (hub, type, repo_id, commit, wanted, error))
    return NULL;
  hub->progress_base = total;
  hub->progress_current = 0;
  vs_hub_progress_report (hub, TRUE);
  snap = g_build_filename (storage, "snapshots", commit, NULL);
  if (!mkdirs (snap, error))
    {
      g_free (snap);
      return NULL;
    }
  return snap;
}

char *
vs_hub_snapshot_download (VsHub              *hub,
                          VsHubRepoType       type,
                          const char         *repo_id,
                          const char         *revision,
                          const char *const  *allow_patterns,
                          const char *const  *ignore_patterns,
                          GError            **error)
{
  char *out = snapshot_impl (hub, type, repo_id, revision != NULL ? revision : "main",
                             allow_patterns, ignore_patterns, FALSE, error);
  vs_hub_scrub_error (hub, error);
  return out;
}

/* ---- datasets ------------------------------------------------------------------ */

cJSON *
vs_hub_dataset_parquet_urls (VsHub      *hub,
                             const char *repo_id,
                             GError    **error)
{
  g_autofree char *url = api_url (hub, VS_HUB_REPO_DATASET, repo_id, "%s", "/parquet");
  g_autofree char *what = g_strdup_printf ("%s: Parquet files", repo_id);
  VsHubRequest req = { .method = "GET", .url = url, .auth = TRUE, .follow_redirects = TRUE,
                       .retry = VS_HUB_RETRY_BACKOFF, .what = what };
  cJSON *json = fetch_json (hub, &req, error);

  if (json != NULL && !cJSON_IsObject (json))
    {
      g_clear_pointer (&json, cJSON_Delete);
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub's answer is not an object", what);
    }
  vs_hub_scrub_error (hub, error);
  return json;
}

/* ".../parquet/{config}/{split}/{n}.parquet" -> "{config}/{split}/{nnnn}.parquet" */
static char *
parquet_repo_path (const char *url)
{
  const char *tail = strstr (url, "/parquet/");
  g_auto(GStrv) parts = NULL;
  guint n;
  g_autofree char *config = NULL;
  g_autofree char *split = NULL;

  if (tail == NULL)
    return NULL;
  parts = g_strsplit (tail + strlen ("/parquet/"), "/", -1);
  n = g_strv_length (parts);
  if (n != 3 || !g_str_has_suffix (parts[2], ".parquet"))
    return NULL;
  config = g_uri_unescape_string (parts[0], NULL);
  split = g_uri_unescape_string (parts[1], NULL);
  if (config == NULL || split == NULL)
    return NULL;
  return g_strdup_printf ("%s/%s/%04u.parquet", config, split,
                          (guint) g_ascii_strtoull (parts[2], NULL, 10));
}

static cJSON *
parquet_files_from (VsHub       *hub,
                    const char  *repo_id,
                    const cJSON *urls,
                    char       **out_dir,
                    GError     **error)
{
  static const char rev[] = "refs/convert/parquet";
  g_autoptr(VsHubJson) out = cJSON_CreateObject ();
  g_autofree char *storage = vs_hub_repo_cache_dir (hub, VS_HUB_REPO_DATASET, repo_id);
  g_autofree char *first = NULL;
  const cJSON *config, *split, *u;

  if (urls == NULL)
    {
      /* Offline: the cached conversion snapshot as it is. */
      g_autofree char *commit = cached_commit (storage, rev);
      g_autofree char *snap = commit != NULL ? g_build_filename (storage, "snapshots", commit, NULL) : NULL;
      if (snap == NULL || !g_file_test (snap, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "%s: the dataset's Parquet files are not in the local cache, and offline mode is on",
                       repo_id);
          return NULL;
        }
      if (out_dir != NULL)
        *out_dir = g_steal_pointer (&snap);
      return g_steal_pointer (&out);
    }

  vs_hub_progress_begin (hub, 0);
  cJSON_ArrayForEach (config, urls)
    {
      cJSON *c_out;
      if (!cJSON_IsObject (config) || config->string == NULL)
        continue;
      c_out = cJSON_AddObjectToObject (out, config->string);
      cJSON_ArrayForEach (split, config)
        {
          cJSON *s_out;
          if (!cJSON_IsArray (split) || split->string == NULL)
            continue;
          s_out = cJSON_AddArrayToObject (c_out, split->string);
          cJSON_ArrayForEach (u, split)
            {
              g_autofree char *path = cJSON_IsString (u) ? parquet_repo_path (u->valuestring) : NULL;
              g_autofree char *local = NULL;
              if (path == NULL || !vs_hub_path_is_safe (path))
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                               "%s: the Hub listed a Parquet URL this program does not understand", repo_id);
                  return NULL;
                }
              local = download_one (hub, VS_HUB_REPO_DATASET, repo_id, rev, path, error);
              if (local == NULL)
                {
                  vs_hub_scrub_error (hub, error);
                  return NULL;
                }
              if (first == NULL)
                first = g_strdup (local);
              cJSON_AddItemToArray (s_out, cJSON_CreateString (local));
            }
        }
    }
  if (out_dir != NULL)
    {
      g_autofree char *commit = cached_commit (storage, rev);
      if (commit == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: the dataset has no Parquet files", repo_id);
          return NULL;
        }
      *out_dir = g_build_filename (storage, "snapshots", commit, NULL);
    }
  return g_steal_pointer (&out);
}

cJSON *
vs_hub_dataset_parquet_files (VsHub      *hub,
                              const char *repo_id,
                              char      **out_dir,
                              GError    **error)
{
  g_autoptr(VsHubJson) urls = NULL;

  if (!hub->offline)
    {
      urls = vs_hub_dataset_parquet_urls (hub, repo_id, error);
      if (urls == NULL)
        return NULL;
    }
  return parquet_files_from (hub, repo_id, urls, out_dir, error);
}

/* ---- the simple entry points ------------------------------------------------------ */

static const char *const legacy_models[] = {
  "albert-base-v1", "albert-base-v2", "albert-large-v1", "albert-large-v2", "bert-base-cased",
  "bert-base-chinese", "bert-base-german-cased", "bert-base-multilingual-cased",
  "bert-base-multilingual-uncased", "bert-base-uncased", "bert-large-cased", "bert-large-uncased",
  "camembert-base", "distilbert-base-cased", "distilbert-base-uncased",
  "distilbert-base-multilingual-cased", "distilroberta-base", "gpt2", "roberta-base",
  "roberta-large", "t5-base", "t5-small", "xlm-roberta-base", "xlm-roberta-large", NULL,
};

typedef char *(*ResolveWith) (VsHub      *hub,
                              const char *id_or_path,
                              GError    **error);

/* The simple entry points: an existing path as is, else `with` on a
 * default client (made only when needed). */
static char *
resolve_default (const char  *id_or_path,
                 ResolveWith  with,
                 GError     **error)
{
  g_autoptr(VsHub) hub = NULL;

  if (g_file_test (id_or_path, G_FILE_TEST_EXISTS))
    return g_strdup (id_or_path);
  hub = vs_hub_new ();
  return with (hub, id_or_path, error);
}

char *
vs_hub_resolve_model (const char *id_or_path,
                      GError    **error)
{
  g_return_val_if_fail (id_or_path != NULL, NULL);
  return resolve_default (id_or_path, vs_hub_resolve_model_with, error);
}

char *
vs_hub_resolve_model_with (VsHub      *hub,
                           const char *id_or_path,
                           GError    **error)
{
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;
  char *out;

  g_return_val_if_fail (id_or_path != NULL, NULL);
  if (g_file_test (id_or_path, G_FILE_TEST_EXISTS))
    return g_strdup (id_or_path);
  if (!vs_hub_parse_repo_id (id_or_path, &id, &rev) || g_str_has_prefix (id_or_path, "/") ||
      g_str_has_prefix (id_or_path, "."))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                   "%s: no such folder, and not a Hub model id (org/name)", id_or_path);
      return NULL;
    }
  /* sentence-transformers prefixes bare names that are not legacy models. */
  if (strchr (id, '/') == NULL && !g_strv_contains (legacy_models, id))
    {
      char *full = g_strdup_printf ("sentence-transformers/%s", id);
      g_free (id);
      id = full;
    }
  out = snapshot_impl (hub, VS_HUB_REPO_MODEL, id, rev != NULL ? rev : "main", NULL, NULL, TRUE, error);
  vs_hub_scrub_error (hub, error);
  return out;
}

char *
vs_hub_resolve_dataset (const char *id_or_path,
                        GError    **error)
{
  g_return_val_if_fail (id_or_path != NULL, NULL);
  return resolve_default (id_or_path, vs_hub_resolve_dataset_with, error);
}

char *
vs_hub_resolve_dataset_with (VsHub      *hub,
                             const char *id_or_path,
                             GError    **error)
{
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(VsHubJson) files = NULL;
  char *dir = NULL;
  char *out;

  g_return_val_if_fail (id_or_path != NULL, NULL);
  if (g_file_test (id_or_path, G_FILE_TEST_EXISTS))
    return g_strdup (id_or_path);
  if (!vs_hub_parse_repo_id (id_or_path, &id, &rev) || strchr (id, '/') == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                   "%s: no such file or folder, and not a Hub dataset id (org/name)", id_or_path);
      return NULL;
    }
  /* The Parquet conversion first (main revision only); the repo's own
   * files when the Hub has no conversion for it. */
  if (rev == NULL)
    {
      if (hub->offline)
        {
          files = vs_hub_dataset_parquet_files (hub, id, &dir, NULL);
          if (files != NULL)
            return dir;
        }
      else
        {
          g_autoptr(VsHubJson) urls = vs_hub_dataset_parquet_urls (hub, id, &local);
          if (urls != NULL)
            {
              files = parquet_files_from (hub, id, urls, &dir, error);
              vs_hub_scrub_error (hub, error);
              return files != NULL ? dir : NULL;
            }
          if (!g_error_matches (local, VS_ERROR, VS_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return NULL;
            }
        }
    }
  out = snapshot_impl (hub, VS_HUB_REPO_DATASET, id, rev != NULL ? rev : "main", NULL, NULL, FALSE, error);
  vs_hub_scrub_error (hub, error);
  return out;
}
