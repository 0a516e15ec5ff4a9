/* fake-hub.c: a loopback Hugging Face Hub for the tests (hub-spec.md section 8).
 *
 * Serves the Hub API on http://127.0.0.1:P and "CDN/S3" blob and upload URLs
 * on http://localhost:Q (another host name, so tests see whether a client
 * sends its token there). Prints "http://127.0.0.1:P http://localhost:Q" on
 * stdout once listening and runs until stdin closes.
 *
 * Tokens: hf_test_write (testuser, write), hf_test_read (testuser, read),
 * hf_test_other (otheruser, write). Seeded repos: model testuser/private-model
 * (private), model testorg/gated-model (gated), dataset testuser/tiny-dataset
 * (main + refs/convert/parquet with default/{train,test}/0000.parquet from the
 * file given with --parquet).
 *
 * Test control (never exposed by the real Hub):
 *   POST /_test/rule   {"match": "substring of the path", "method": "GET",
 *                       "status": 503, "count": 2, "retry_after": 1,
 *                       "ratelimit": true, "drop_after": K, "ignore_range": true,
 *                       "no_commit_header": true, "no_part_etag": true,
 *                       "error_code": "...", "error_message": "...",
 *                       "body": "raw answer", "delay_ms": 2000}
 *   POST /_test/config {"tree_page_size": 2, "multipart_threshold": N, "chunk_size": N,
 *                       "whoami_orgs": ["testorg"]}   (orgs whoami lists; testuser cannot write there)
 *   GET  /_test/log    [{"method","host","path","auth"}]   (auth: whether a token came)
 *   GET  /_test/state  {"violations": n, "lfs_objects": n, "repos": {"model:ns/name": {"branches": {...}, "commits": n}}}
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include <libsoup/soup.h>
#include <cjson/cJSON.h>

#define MIB (1024u * 1024u)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

typedef struct
{
  gboolean lfs;
  GBytes *bytes;    /* regular files */
  char *sha256;     /* both */
  guint64 size;
  char *oid;        /* git blob sha1 (of the pointer for LFS) */
} Entry;

typedef struct
{
  char *oid;
  char *parent;
  char *title;
  GHashTable *tree;  /* path -> Entry* (not owned) */
} Commit;

typedef struct
{
  char *type;        /* "model" | "dataset" */
  char *id;
  char *object_id;
  gboolean private_;
  gboolean gated;
  GHashTable *branches;  /* name -> oid */
  GHashTable *commits;   /* oid -> Commit* */
  guint next_pr;
  guint downloads;
} Repo;

typedef struct
{
  char *match;
  char *method;
  int status;
  int count;
  int retry_after;
  gboolean ratelimit;
  gint64 drop_after;
  gboolean ignore_range;
  gboolean no_commit_header;
  gboolean no_part_etag;
  char *error_code;
  char *error_message;
  char *body;        /* answer with this body (status: "status" or 200) */
  int delay_ms;      /* wait this long before answering (blocks the fake Hub) */
} Rule;

static GHashTable *repos;      /* "type:id" -> Repo* */
static GHashTable *lfs_store;  /* sha256 -> GBytes */
static GHashTable *parts;      /* "oid/n" -> GBytes */
static GPtrArray *rules;
static cJSON *request_log;
static guint violations;
static guint hub_port, cdn_port;
static guint tree_page_size = 0;
static gboolean resolve_cache = FALSE;  /* regular files: 307 to /api/resolve-cache/... as the Hub does now */
static guint64 multipart_threshold = 1 * MIB;
static guint64 chunk_size = 512 * 1024;
static guint commit_counter;
static GBytes *parquet_bytes;
static cJSON *whoami_orgs;  /* names whoami lists under "orgs" (default none) */
static char *extra_token;   /* --extra-token T: another write token of testuser */

/* ---- helpers ------------------------------------------------------------ */

static char *join_decoded (char **segs, guint from, guint to);

static char *
sha256_hex (const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

static char *
git_blob_oid (const guint8 *data, gsize len)
{
  g_autoptr(GChecksum) c = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *head = g_strdup_printf ("blob %" G_GSIZE_FORMAT, len);

  g_checksum_update (c, (const guchar *) head, strlen (head) + 1);
  g_checksum_update (c, data, len);
  return g_strdup (g_checksum_get_string (c));
}

static Entry *
entry_regular (const guint8 *data, gsize len)
{
  Entry *e = g_new0 (Entry, 1);

  e->bytes = g_bytes_new (data, len);
  e->size = len;
  e->sha256 = sha256_hex (data, len);
  e->oid = git_blob_oid (data, len);
  return e;
}

static Entry *
entry_lfs (const char *sha, guint64 size)
{
  Entry *e = g_new0 (Entry, 1);
  g_autofree char *pointer = g_strdup_printf ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %"
                                              G_GUINT64_FORMAT "\n", sha, size);

  e->lfs = TRUE;
  e->sha256 = g_strdup (sha);
  e->size = size;
  e->oid = git_blob_oid ((const guint8 *) pointer, strlen (pointer));
  return e;
}

static char *
new_commit_oid (void)
{
  g_autofree char *seed = g_strdup_printf ("commit %u %d", ++commit_counter, g_random_int ());
  return g_compute_checksum_for_string (G_CHECKSUM_SHA1, seed, -1);
}

static Commit *
commit_new (Repo *repo, const char *parent, const char *title)
{
  Commit *c = g_new0 (Commit, 1);
  Commit *p = parent != NULL ? g_hash_table_lookup (repo->commits, parent) : NULL;

  c->oid = new_commit_oid ();
  c->parent = g_strdup (parent);
  c->title = g_strdup (title);
  c->tree = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (p != NULL)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, p->tree);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (c->tree, g_strdup (k), v);
    }
  g_hash_table_insert (repo->commits, c->oid, c);
  return c;
}

static const char gitattributes[] =
  "*.bin filter=lfs diff=lfs merge=lfs -text\n"
  "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
  "*.parquet filter=lfs diff=lfs merge=lfs -text\n"
  "*.h5 filter=lfs diff=lfs merge=lfs -text\n"
  "*.onnx filter=lfs diff=lfs merge=lfs -text\n"
  "*.pt filter=lfs diff=lfs merge=lfs -text\n"
  "*.zip filter=lfs diff=lfs merge=lfs -text\n";

static Repo *
repo_new (const char *type, const char *id)
{
  Repo *r = g_new0 (Repo, 1);
  Commit *c;

  r->type = g_strdup (type);
  r->id = g_strdup (id);
  r->object_id = g_strndup (new_commit_oid (), 24);
  r->branches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  r->commits = g_hash_table_new (g_str_hash, g_str_equal);
  r->next_pr = 1;
  c = commit_new (r, NULL, "initial commit");
  g_hash_table_insert (c->tree, g_strdup (".gitattributes"),
                       entry_regular ((const guint8 *) gitattributes, strlen (gitattributes)));
  g_hash_table_insert (r->branches, g_strdup ("main"), g_strdup (c->oid));
  g_hash_table_insert (repos, g_strdup_printf ("%s:%s", type, id), r);
  return r;
}

static Repo *
repo_get (const char *type, const char *id)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", type, id);
  return g_hash_table_lookup (repos, key);
}

static Commit *
repo_resolve (Repo *r, const char *rev)
{
  const char *oid = g_hash_table_lookup (r->branches, rev);

  return g_hash_table_lookup (r->commits, oid != NULL ? oid : rev);
}

static const char *
token_user (const char *auth, gboolean *write)
{
  *write = FALSE;
  if (auth == NULL || !g_str_has_prefix (auth, "Bearer "))
    return NULL;
  auth += 7;
  if (strcmp (auth, "hf_test_write") == 0)
    return *write = TRUE, "testuser";
  if (extra_token != NULL && strcmp (auth, extra_token) == 0)
    return *write = TRUE, "testuser";
  if (strcmp (auth, "hf_test_read") == 0)
    return "testuser";
  if (strcmp (auth, "hf_test_other") == 0)
    return *write = TRUE, "otheruser";
  return NULL;
}

static void
reply (SoupServerMessage *msg, int status, const char *ctype, const void *data, gsize len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, ctype, SOUP_MEMORY_COPY, data, len);
}

static void
reply_json (SoupServerMessage *msg, int status, cJSON *json)
{
  g_autofree char *text = cJSON_PrintUnformatted (json);

  cJSON_Delete (json);
  reply (msg, status, "application/json", text, strlen (text));
}

static void
reply_error (SoupServerMessage *msg, int status, const char *code, const char *message)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);
  cJSON *j = cJSON_CreateObject ();

  if (code != NULL)
    soup_message_headers_replace (h, "X-Error-Code", code);
  soup_message_headers_replace (h, "X-Error-Message", message);
  cJSON_AddStringToObject (j, "error", message);
  reply_json (msg, status, j);
}

/* The commit rev names in r, or NULL after a 404 RevisionNotFound reply. */
static Commit *
resolve_or_404 (SoupServerMessage *msg, Repo *r, const char *rev)
{
  Commit *c = repo_resolve (r, rev);

  if (c == NULL)
    reply_error (msg, 404, "RevisionNotFound", "Invalid rev id");
  return c;
}

static void
set_header (SoupServerMessage *msg, const char *name, const char *value)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), name, value);
}

static char *
repo_url (Repo *r)
{
  return g_strdup_printf ("http://127.0.0.1:%u/%s%s", hub_port,
                          strcmp (r->type, "dataset") == 0 ? "datasets/" : "", r->id);
}

static gboolean
lfs_path (Repo *r, const char *path)
{
  Commit *head = repo_resolve (r, "main");
  Entry *ga = head != NULL ? g_hash_table_lookup (head->tree, ".gitattributes") : NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_auto(GStrv) lines = NULL;

  if (ga == NULL)
    return FALSE;
  {
    gsize n;
    const char *d = g_bytes_get_data (ga->bytes, &n);
    g_autofree char *text = g_strndup (d, n);
    lines = g_strsplit (text, "\n", -1);
  }
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", 2);
      if (f[0] != NULL && f[1] != NULL && strstr (f[1], "filter=lfs") != NULL &&
          (g_pattern_match_simple (f[0], base) || g_pattern_match_simple (f[0], path)))
        return TRUE;
    }
  return FALSE;
}

/* ---- rules -------------------------------------------------------------- */

static Rule *
find_rule (const char *method, const char *path)
{
  for (guint i = 0; i < rules->len; i++)
    {
      Rule *r = g_ptr_array_index (rules, i);
      if (r->count == 0)
        continue;
      if (r->method != NULL && strcmp (r->method, method) != 0)
        continue;
      if (r->match != NULL && strstr (path, r->match) == NULL)
        continue;
      if (r->count > 0)
        r->count--;
      return r;
    }
  return NULL;
}

/* Sends a response head announcing len bytes, then only drop_after of them,
 * then closes the connection. */
static void
drop_connection (SoupServerMessage *msg, int status, const char *extra_headers,
                 const guint8 *data, gsize len, gsize drop_after)
{
  GIOStream *io = soup_server_message_steal_connection (msg);
  GOutputStream *out = g_io_stream_get_output_stream (io);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %d X\r\nContent-Length: %" G_GSIZE_FORMAT
                                           "\r\nX-Request-Id: dropped\r\n%sConnection: close\r\n\r\n",
                                           status, len, extra_headers != NULL ? extra_headers : "");

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  if (data != NULL)
    g_output_stream_write_all (out, data, MIN (drop_after, len), NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
  g_object_unref (io);
}

/* Serves bytes with Range support and the rule's drop/ignore-range switches. */
static void
serve_bytes (SoupServerMessage *msg, Rule *rule, const guint8 *data, gsize len)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  const char *range = soup_message_headers_get_one (req, "Range");
  gsize start = 0;
  gsize end = len;   /* exclusive */
  int status = 200;

  set_header (msg, "Accept-Ranges", "bytes");
  if (range != NULL && g_str_has_prefix (range, "bytes=") && !(rule != NULL && rule->ignore_range))
    {
      const char *p = range + 6;
      char *dash;
      start = g_ascii_strtoull (p, &dash, 10);
      if (dash != NULL && *dash == '-' && g_ascii_isdigit (dash[1]))
        end = MIN ((gsize) g_ascii_strtoull (dash + 1, NULL, 10) + 1, len);
      if (start >= len && len > 0)
        {
          g_autofree char *cr = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, len);
          set_header (msg, "Content-Range", cr);
          reply_error (msg, 416, NULL, "Requested range not satisfiable");
          return;
        }
      status = 206;
      {
        g_autofree char *cr = g_strdup_printf ("bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT,
                                               start, end - 1, len);
        set_header (msg, "Content-Range", cr);
      }
    }
  if (rule != NULL && rule->drop_after >= 0 && strcmp (soup_server_message_get_method (msg), "GET") == 0)
    {
      g_autofree char *extra = NULL;
      if (status == 206)
        extra = g_strdup_printf ("Content-Range: bytes %" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT "\r\n",
                                 start, end - 1, len);
      drop_connection (msg, status, extra, data + start, end - start, (gsize) rule->drop_after);
      return;
    }
  reply (msg, status, "application/octet-stream", data + start, end - start);
}

/* A regular (non-LFS) file entry: its git oid as the ETag, then its bytes. */
static void
serve_entry (SoupServerMessage *msg, Rule *rule, const Entry *e)
{
  g_autofree char *etag = g_strdup_printf ("\"%s\"", e->oid);
  gsize n;
  const guint8 *d = g_bytes_get_data (e->bytes, &n);

  set_header (msg, "ETag", etag);
  serve_bytes (msg, rule, d, n);
}

/* ---- endpoints ------------------------------------------------------------- */

static void
handle_whoami (SoupServerMessage *msg, const char *user, gboolean write)
{
  cJSON *j, *auth, *tok;

  if (user == NULL)
    {
      reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
      return;
    }
  j = cJSON_CreateObject ();
  cJSON_AddStringToObject (j, "type", "user");
  cJSON_AddStringToObject (j, "id", "6400abc0000000000000000");
  cJSON_AddStringToObject (j, "name", user);
  cJSON_AddStringToObject (j, "fullname", "Test User");
  cJSON_AddBoolToObject (j, "isPro", FALSE);
  {
    cJSON *orgs = cJSON_AddArrayToObject (j, "orgs");
    const cJSON *o;
    cJSON_ArrayForEach (o, whoami_orgs)
      if (cJSON_IsString (o))
        {
          cJSON *org = cJSON_CreateObject ();
          cJSON_AddStringToObject (org, "type", "org");
          cJSON_AddStringToObject (org, "name", o->valuestring);
          cJSON_AddStringToObject (org, "fullname", o->valuestring);
          cJSON_AddStringToObject (org, "roleInOrg", "read");
          cJSON_AddItemToArray (orgs, org);
        }
  }
  auth = cJSON_AddObjectToObject (j, "auth");
  cJSON_AddStringToObject (auth, "type", "access_token");
  tok = cJSON_AddObjectToObject (auth, "accessToken");
  cJSON_AddStringToObject (tok, "displayName", "test-token");
  cJSON_AddStringToObject (tok, "role", write ? "write" : "read");
  reply_json (msg, 200, j);
}

static void
handle_create (SoupServerMessage *msg, cJSON *body, const char *user, gboolean write)
{
  const cJSON *name = cJSON_GetObjectItem (body, "name");
  const cJSON *org = cJSON_GetObjectItem (body, "organization");
  const cJSON *type = cJSON_GetObjectItem (body, "type");
  const cJSON *vis = cJSON_GetObjectItem (body, "visibility");
  const cJSON *priv = cJSON_GetObjectItem (body, "private");
  const char *ns;
  const char *t = cJSON_IsString (type) ? type->valuestring : "model";
  g_autofree char *id = NULL;
  Repo *r;
  cJSON *j;

  if (user == NULL)
    {
      reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
      return;
    }
  if (!cJSON_IsString (name))
    {
      reply_error (msg, 400, NULL, "name is required");
      return;
    }
  ns = cJSON_IsString (org) ? org->valuestring : user;
  if (!write || strcmp (ns, user) != 0)
    {
      reply_error (msg, 403, NULL, "You don't have the rights to create a repo under this namespace");
      return;
    }
  id = g_strdup_printf ("%s/%s", ns, name->valuestring);
  r = repo_get (t, id);
  if (r != NULL)
    {
      g_autofree char *u = repo_url (r);
      g_autofree char *m = g_strdup_printf ("You already created this %s repo", t);
      j = cJSON_CreateObject ();
      cJSON_AddStringToObject (j, "error", m);
      cJSON_AddStringToObject (j, "url", u);
      reply_json (msg, 409, j);
      return;
    }
  r = repo_new (t, id);
  r->private_ = (cJSON_IsString (vis) && strcmp (vis->valuestring, "private") == 0) || cJSON_IsTrue (priv);
  {
    g_autofree char *u = repo_url (r);
    j = cJSON_CreateObject ();
    cJSON_AddStringToObject (j, "url", u);
    cJSON_AddStringToObject (j, "name", id);
    cJSON_AddStringToObject (j, "id", r->object_id);
    reply_json (msg, 200, j);
  }
}

/* Read access: 401/404 as the Hub answers for private and missing repos. */
static gboolean
check_read (SoupServerMessage *msg, Repo *r, const char *user, const char *auth_header)
{
  if (auth_header != NULL && user == NULL)
    {
      reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
      return FALSE;
    }
  if (r == NULL || (r->private_ && g_strcmp0 (user, "testuser") != 0))
    {
      if (user == NULL)
        reply_error (msg, 401, "RepoNotFound", "Repository not found");
      else
        reply_error (msg, 404, "RepoNotFound", "Repository not found");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_write (SoupServerMessage *msg, Repo *r, const char *user, gboolean write)
{
  g_autofree char *ns = NULL;

  if (user == NULL)
    {
      reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
      return FALSE;
    }
  if (r == NULL)
    {
      reply_error (msg, 404, "RepoNotFound", "Repository not found");
      return FALSE;
    }
  ns = g_strndup (r->id, strchr (r->id, '/') - r->id);
  if (!write || strcmp (ns, user) != 0)
    {
      reply_error (msg, 403, NULL, "You don't have write access to this repo");
      return FALSE;
    }
  return TRUE;
}

static cJSON *
entry_json (const char *path, Entry *e, Commit *c, gboolean expand)
{
  cJSON *j = cJSON_CreateObject ();

  cJSON_AddStringToObject (j, "type", "file");
  cJSON_AddStringToObject (j, "oid", e->oid);
  cJSON_AddNumberToObject (j, "size", (double) e->size);
  cJSON_AddStringToObject (j, "path", path);
  if (e->lfs)
    {
      cJSON *l = cJSON_AddObjectToObject (j, "lfs");
      cJSON_AddStringToObject (l, "oid", e->sha256);
      cJSON_AddNumberToObject (l, "size", (double) e->size);
      cJSON_AddNumberToObject (l, "pointerSize", 134);
    }
  if (expand)
    {
      cJSON *lc = cJSON_AddObjectToObject (j, "lastCommit");
      cJSON_AddStringToObject (lc, "id", c->oid);
      cJSON_AddStringToObject (lc, "title", c->title);
      cJSON_AddStringToObject (lc, "date", "2025-01-01T00:00:00.000Z");
    }
  return j;
}

static int
compare_strs (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
sorted_paths (Commit *c)
{
  GPtrArray *paths = g_ptr_array_new ();
  GHashTableIter it;
  gpointer k;

  g_hash_table_iter_init (&it, c->tree);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (paths, k);
  g_ptr_array_sort (paths, compare_strs);
  return paths;
}

static gboolean
has_tag_st (Commit *c)
{
  return g_hash_table_contains (c->tree, "modules.json");
}

static cJSON *
repo_info_json (Repo *r, Commit *c, gboolean blobs)
{
  cJSON *j = cJSON_CreateObject ();
  cJSON *sib, *tags;
  g_autoptr(GPtrArray) paths = sorted_paths (c);

  cJSON_AddStringToObject (j, "_id", r->object_id);
  cJSON_AddStringToObject (j, "id", r->id);
  if (strcmp (r->type, "model") == 0)
    cJSON_AddStringToObject (j, "modelId", r->id);
  {
    g_autofree char *author = g_strndup (r->id, strchr (r->id, '/') - r->id);
    cJSON_AddStringToObject (j, "author", author);
  }
  cJSON_AddStringToObject (j, "sha", c->oid);
  cJSON_AddBoolToObject (j, "private", r->private_);
  if (r->gated)
    cJSON_AddStringToObject (j, "gated", "manual");
  else
    cJSON_AddBoolToObject (j, "gated", FALSE);
  cJSON_AddBoolToObject (j, "disabled", FALSE);
  cJSON_AddStringToObject (j, "lastModified", "2025-01-01T00:00:00.000Z");
  cJSON_AddStringToObject (j, "createdAt", "2025-01-01T00:00:00.000Z");
  tags = cJSON_AddArrayToObject (j, "tags");
  if (has_tag_st (c))
    {
      cJSON_AddItemToArray (tags, cJSON_CreateString ("sentence-transformers"));
      cJSON_AddStringToObject (j, "library_name", "sentence-transformers");
      cJSON_AddStringToObject (j, "pipeline_tag", "sentence-similarity");
    }
  cJSON_AddNumberToObject (j, "downloads", r->downloads);
  cJSON_AddNumberToObject (j, "likes", 0);
  sib = cJSON_AddArrayToObject (j, "siblings");
  for (guint i = 0; i < paths->len; i++)
    {
      Entry *e = g_hash_table_lookup (c->tree, paths->pdata[i]);
      cJSON *s = cJSON_CreateObject ();
      cJSON_AddStringToObject (s, "rfilename", paths->pdata[i]);
      if (blobs)
        {
          cJSON_AddNumberToObject (s, "size", (double) e->size);
          cJSON_AddStringToObject (s, "blobId", e->oid);
          if (e->lfs)
            {
              cJSON *l = cJSON_AddObjectToObject (s, "lfs");
              cJSON_AddStringToObject (l, "sha256", e->sha256);
              cJSON_AddNumberToObject (l, "size", (double) e->size);
              cJSON_AddNumberToObject (l, "pointerSize", 134);
            }
        }
      cJSON_AddItemToArray (sib, s);
    }
  return j;
}

static void
handle_tree (SoupServerMessage *msg, Repo *r, Commit *c, const char *prefix, GHashTable *query)
{
  g_autoptr(GPtrArray) paths = sorted_paths (c);
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_autoptr(GHashTable) dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cJSON *all = cJSON_CreateArray ();
  guint cursor = query != NULL && g_hash_table_lookup (query, "cursor") != NULL
                 ? (guint) atoi (g_hash_table_lookup (query, "cursor")) : 0;
  guint n = 0;

  for (guint i = 0; i < paths->len; i++)
    {
      const char *p = paths->pdata[i];
      const char *slash;
      if (prefix != NULL && prefix[0] != '\0' && !(g_str_has_prefix (p, prefix) && p[strlen (prefix)] == '/'))
        continue;
      /* directories, once each, before their files */
      for (slash = strchr (p, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
        {
          char *d = g_strndup (p, slash - p);
          if (!g_hash_table_contains (dirs, d))
            {
              cJSON *dj = cJSON_CreateObject ();
              cJSON_AddStringToObject (dj, "type", "directory");
              cJSON_AddStringToObject (dj, "oid", "0000000000000000000000000000000000000000");
              cJSON_AddNumberToObject (dj, "size", 0);
              cJSON_AddStringToObject (dj, "path", d);
              cJSON_AddItemToArray (all, dj);
              g_hash_table_add (dirs, d);
            }
          else
            g_free (d);
        }
      cJSON_AddItemToArray (all, entry_json (p, g_hash_table_lookup (c->tree, p), c, FALSE));
    }
  if (tree_page_size == 0)
    {
      reply_json (msg, 200, all);
      return;
    }
  {
    cJSON *page = cJSON_CreateArray ();
    cJSON *item;
    guint total = cJSON_GetArraySize (all);
    cJSON_ArrayForEach (item, all)
      {
        if (n >= cursor && n < cursor + tree_page_size)
          cJSON_AddItemToArray (page, cJSON_Duplicate (item, TRUE));
        n++;
      }
    if (cursor + tree_page_size < total)
      {
        g_autofree char *link = g_strdup_printf ("<http://127.0.0.1:%u/api/%ss/%s/tree/%s?recursive=true&expand=false&cursor=%u>; rel=\"next\"",
                                                 hub_port, r->type, r->id, c->oid, cursor + tree_page_size);
        set_header (msg, "Link", link);
      }
    cJSON_Delete (all);
    reply_json (msg, 200, page);
  }
}

static void
handle_resolve (SoupServerMessage *msg, Repo *r, const char *rev, const char *path, Rule *rule,
                const char *user, const char *auth_header)
{
  Commit *c;
  Entry *e;
  gboolean is_get = strcmp (soup_server_message_get_method (msg), "GET") == 0;

  if (!check_read (msg, r, user, auth_header))
    return;
  if (r->gated)
    {
      g_autofree char *m = g_strdup_printf ("Access to model %s is restricted and you are not in the authorized list. "
                                            "Visit http://127.0.0.1:%u/%s to ask for access.", r->id, hub_port, r->id);
      reply_error (msg, user != NULL ? 403 : 401, "GatedRepo", m);
      return;
    }
  if ((c = resolve_or_404 (msg, r, rev)) == NULL)
    return;
  e = g_hash_table_lookup (c->tree, path);
  if (!(rule != NULL && rule->no_commit_header))
    set_header (msg, "X-Repo-Commit", c->oid);
  if (e == NULL)
    {
      reply_error (msg, 404, "EntryNotFound", "Entry not found");
      return;
    }
  if (is_get)
    r->downloads++;
  if (e->lfs)
    {
      g_autofree char *loc = g_strdup_printf ("http://localhost:%u/cdn/%s", cdn_port, e->sha256);
      g_autofree char *linked = g_strdup_printf ("\"%s\"", e->sha256);
      g_autofree char *etag = g_strdup_printf ("\"%s\"", e->oid);
      g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, e->size);
      set_header (msg, "Location", loc);
      set_header (msg, "X-Linked-Etag", linked);
      set_header (msg, "X-Linked-Size", size);
      set_header (msg, "ETag", etag);
      reply (msg, 302, "text/plain", "", 0);
      return;
    }
  if (resolve_cache)
    {
      g_autofree char *p = g_uri_escape_string (path, "/", FALSE);
      g_autofree char *loc = g_strdup_printf ("/api/resolve-cache/%ss/%s/%s/%s?etag=%%22%s%%22",
                                              r->type, r->id, c->oid, p, e->oid);
      set_header (msg, "Location", loc);
      reply (msg, 307, "text/plain", "", 0);
      return;
    }
  serve_entry (msg, rule, e);
}

/* /api/resolve-cache/{type}s/{ns}/{name}/{commit}/{path}: the regular file
 * itself, with the metadata headers. */
static void
handle_resolve_cache (SoupServerMessage *msg, char **segs, guint nseg, Rule *rule, const char *user,
                      const char *auth_header)
{
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  const char *type;
  Repo *r;
  Commit *c;
  Entry *e;

  if (nseg < 7)
    {
      reply_error (msg, 404, NULL, "Not found");
      return;
    }
  type = strcmp (segs[2], "datasets") == 0 ? "dataset" : "model";
  id = g_strdup_printf ("%s/%s", segs[3], segs[4]);
  r = repo_get (type, id);
  if (!check_read (msg, r, user, auth_header))
    return;
  c = g_hash_table_lookup (r->commits, segs[5]);
  path = join_decoded (segs, 6, nseg);
  e = c != NULL ? g_hash_table_lookup (c->tree, path) : NULL;
  if (e == NULL || e->lfs)
    {
      reply_error (msg, 404, "EntryNotFound", "Entry not found");
      return;
    }
  set_header (msg, "X-Repo-Commit", c->oid);
  serve_entry (msg, rule, e);
}

static void
handle_preupload (SoupServerMessage *msg, Repo *r, Commit *head, cJSON *body)
{
  const cJSON *files = cJSON_GetObjectItem (body, "files");
  const cJSON *f;
  cJSON *out = cJSON_CreateObject ();
  cJSON *arr = cJSON_AddArrayToObject (out, "files");

  if (cJSON_GetArraySize (files) > 256)
    {
      cJSON_Delete (out);
      reply_error (msg, 400, NULL, "Too many files in preupload (max 256)");
      return;
    }
  cJSON_ArrayForEach (f, files)
    {
      const cJSON *p = cJSON_GetObjectItem (f, "path");
      const cJSON *s = cJSON_GetObjectItem (f, "sample");
      double size = cJSON_GetNumberValue (cJSON_GetObjectItem (f, "size"));
      gsize sample_len = 0;
      g_autofree guint8 *sample = cJSON_IsString (s) ? g_base64_decode (s->valuestring, &sample_len) : NULL;
      gboolean lfs = size >= 10.0 * MIB || lfs_path (r, cJSON_IsString (p) ? p->valuestring : "") ||
                     (sample != NULL && memchr (sample, 0, sample_len) != NULL);
      cJSON *o = cJSON_CreateObject ();
      Entry *cur = cJSON_IsString (p) ? g_hash_table_lookup (head->tree, p->valuestring) : NULL;

      cJSON_AddStringToObject (o, "path", cJSON_IsString (p) ? p->valuestring : "");
      cJSON_AddStringToObject (o, "uploadMode", lfs ? "lfs" : "regular");
      cJSON_AddBoolToObject (o, "shouldIgnore", FALSE);
      if (cur != NULL)
        cJSON_AddStringToObject (o, "oid", cur->lfs ? cur->sha256 : cur->oid);
      cJSON_AddItemToArray (arr, o);
    }
  cJSON_AddStringToObject (out, "commitOid", head->oid);
  reply_json (msg, 200, out);
}

static void
handle_lfs_batch (SoupServerMessage *msg, Repo *r, cJSON *body)
{
  const cJSON *objects = cJSON_GetObjectItem (body, "objects");
  const cJSON *o;
  cJSON *out = cJSON_CreateObject ();
  cJSON *arr;
  gboolean any_multipart = FALSE;
  g_autofree char *verify = g_strdup_printf ("http://127.0.0.1:%u/%s%s.git/info/lfs/objects/verify", hub_port,
                                             strcmp (r->type, "dataset") == 0 ? "datasets/" : "", r->id);

  arr = cJSON_CreateArray ();
  cJSON_ArrayForEach (o, objects)
    {
      const cJSON *oid = cJSON_GetObjectItem (o, "oid");
      double size = cJSON_GetNumberValue (cJSON_GetObjectItem (o, "size"));
      cJSON *ro = cJSON_CreateObject ();
      GBytes *have;

      if (!cJSON_IsString (oid) || strlen (oid->valuestring) != 64)
        {
          cJSON *err = cJSON_AddObjectToObject (ro, "error");
          cJSON_AddStringToObject (ro, "oid", cJSON_IsString (oid) ? oid->valuestring : "");
          cJSON_AddNumberToObject (err, "code", 422);
          cJSON_AddStringToObject (err, "message", "Invalid oid");
          cJSON_AddItemToArray (arr, ro);
          continue;
        }
      cJSON_AddStringToObject (ro, "oid", oid->valuestring);
      cJSON_AddNumberToObject (ro, "size", size);
      have = g_hash_table_lookup (lfs_store, oid->valuestring);
      if (have == NULL || (double) g_bytes_get_size (have) != size)
        {
          cJSON *actions = cJSON_AddObjectToObject (ro, "actions");
          cJSON *up = cJSON_AddObjectToObject (actions, "upload");
          cJSON *ver = cJSON_AddObjectToObject (actions, "verify");
          cJSON_AddBoolToObject (ro, "authenticated", TRUE);
          cJSON_AddStringToObject (ver, "href", verify);
          if (size > (double) multipart_threshold)
            {
              cJSON *h = cJSON_AddObjectToObject (up, "header");
              guint64 nparts = ((guint64) size + chunk_size - 1) / chunk_size;
              g_autofree char *cs = g_strdup_printf ("%" G_GUINT64_FORMAT, chunk_size);
              g_autofree char *done = g_strdup_printf ("http://localhost:%u/complete/%s", cdn_port, oid->valuestring);
              cJSON_AddStringToObject (h, "chunk_size", cs);
              for (guint64 i = 1; i <= nparts; i++)
                {
                  g_autofree char *k = g_strdup_printf ("%05" G_GUINT64_FORMAT, i);
                  g_autofree char *u = g_strdup_printf ("http://localhost:%u/part/%s/%" G_GUINT64_FORMAT,
                                                        cdn_port, oid->valuestring, i);
                  cJSON_AddStringToObject (h, k, u);
                }
              cJSON_AddStringToObject (up, "href", done);
              any_multipart = TRUE;
            }
          else
            {
              g_autofree char *u = g_strdup_printf ("http://localhost:%u/upload/%s", cdn_port, oid->valuestring);
              cJSON_AddStringToObject (up, "href", u);
            }
          cJSON_AddNumberToObject (up, "expires_in", 900);
        }
      cJSON_AddItemToArray (arr, ro);
    }
  cJSON_AddStringToObject (out, "transfer", any_multipart ? "multipart" : "basic");
  cJSON_AddItemToObject (out, "objects", arr);
  {
    g_autofree char *text = cJSON_PrintUnformatted (out);
    cJSON_Delete (out);
    reply (msg, 200, "application/vnd.git-lfs+json", text, strlen (text));
  }
}

static void
handle_commit (SoupServerMessage *msg, Repo *r, const char *rev, GBytes *body, gboolean create_pr)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  const char *head_oid = g_hash_table_lookup (r->branches, rev);
  Commit *head, *c;
  cJSON *header = NULL;
  const cJSON *summary, *parent;
  guint first = 0;
  g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) cJSON_Delete);
  GHashTable *tree;
  cJSON *out;

  if (head_oid == NULL)
    {
      reply_error (msg, 404, "RevisionNotFound", "Invalid rev id: the commit target must be a branch");
      return;
    }
  head = g_hash_table_lookup (r->commits, head_oid);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      cJSON *line;
      if (g_strstrip (lines[i])[0] == '\0')
        continue;
      line = cJSON_Parse (lines[i]);
      if (line == NULL || !cJSON_IsString (cJSON_GetObjectItem (line, "key")))
        {
          cJSON_Delete (line);
          reply_error (msg, 400, NULL, "Invalid NDJSON line in commit payload");
          return;
        }
      if (first++ == 0)
        {
          if (strcmp (cJSON_GetObjectItem (line, "key")->valuestring, "header") != 0)
            {
              cJSON_Delete (line);
              reply_error (msg, 400, NULL, "The first line of a commit must be the header");
              return;
            }
        }
      g_ptr_array_add (ops, line);
    }
  if (ops->len == 0)
    {
      reply_error (msg, 400, NULL, "Empty commit payload");
      return;
    }
  header = cJSON_GetObjectItem (g_ptr_array_index (ops, 0), "value");
  summary = cJSON_GetObjectItem (header, "summary");
  parent = cJSON_GetObjectItem (header, "parentCommit");
  if (cJSON_IsString (parent) && !g_str_has_prefix (head->oid, parent->valuestring) && !create_pr)
    {
      reply_error (msg, 412, NULL, "A commit has happened since. Please refresh and try again.");
      return;
    }

  /* Apply on a scratch tree first so that a bad line leaves nothing behind. */
  tree = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, head->tree);
    while (g_hash_table_iter_next (&it, &k, &v))
      g_hash_table_insert (tree, g_strdup (k), v);
  }
  for (guint i = 1; i < ops->len; i++)
    {
      const char *key = cJSON_GetObjectItem (g_ptr_array_index (ops, i), "key")->valuestring;
      const cJSON *v = cJSON_GetObjectItem (g_ptr_array_index (ops, i), "value");
      const cJSON *p = cJSON_GetObjectItem (v, "path");
      const char *err = NULL;
      int err_status = 400;
      const char *err_code = NULL;

      if (!cJSON_IsString (p))
        err = "Missing path";
      else if (strcmp (key, "file") == 0)
        {
          const cJSON *content = cJSON_GetObjectItem (v, "content");
          const cJSON *enc = cJSON_GetObjectItem (v, "encoding");
          gsize n = 0;
          guint8 *bytes;
          if (!cJSON_IsString (content))
            err = "Missing content";
          else
            {
              if (cJSON_IsString (enc) && strcmp (enc->valuestring, "base64") == 0)
                bytes = g_base64_decode (content->valuestring, &n);
              else
                {
                  n = strlen (content->valuestring);
                  bytes = g_memdup2 (content->valuestring, n);
                }
              if (n > 10 * MIB)
                err = "Your push was rejected because it contains files larger than 10 MiB. "
                      "Please use https://git-lfs.github.com/ to store large files.";
              else
                g_hash_table_insert (tree, g_strdup (p->valuestring), entry_regular (bytes, n));
              g_free (bytes);
            }
        }
      else if (strcmp (key, "lfsFile") == 0)
        {
          const cJSON *oid = cJSON_GetObjectItem (v, "oid");
          GBytes *b = cJSON_IsString (oid) ? g_hash_table_lookup (lfs_store, oid->valuestring) : NULL;
          if (b == NULL)
            err = "LFS object not found: upload it before committing", err_status = 422;
          else
            g_hash_table_insert (tree, g_strdup (p->valuestring), entry_lfs (oid->valuestring, g_bytes_get_size (b)));
        }
      else if (strcmp (key, "deletedFile") == 0)
        {
          if (!g_hash_table_remove (tree, p->valuestring))
            err = "A file with this name doesn't exist", err_status = 404, err_code = "EntryNotFound";
        }
      else if (strcmp (key, "deletedFolder") == 0)
        {
          GHashTableIter it;
          gpointer k;
          g_autofree char *pre = g_str_has_suffix (p->valuestring, "/") ? g_strdup (p->valuestring)
                                                                         : g_strconcat (p->valuestring, "/", NULL);
          g_hash_table_iter_init (&it, tree);
          while (g_hash_table_iter_next (&it, &k, NULL))
            if (g_str_has_prefix (k, pre))
              g_hash_table_iter_remove (&it);
        }
      else
        err = "Unknown commit operation";
      if (err != NULL)
        {
          g_hash_table_unref (tree);
          reply_error (msg, err_status, err_code, err);
          return;
        }
    }

  c = commit_new (r, head->oid, cJSON_IsString (summary) ? summary->valuestring : "");
  g_hash_table_unref (c->tree);
  c->tree = tree;
  out = cJSON_CreateObject ();
  cJSON_AddBoolToObject (out, "success", TRUE);
  cJSON_AddStringToObject (out, "commitOid", c->oid);
  {
    g_autofree char *u = repo_url (r);
    g_autofree char *cu = g_strdup_printf ("%s/commit/%s", u, c->oid);
    cJSON_AddStringToObject (out, "commitUrl", cu);
    if (create_pr)
      {
        guint n = r->next_pr++;
        g_autofree char *pr = g_strdup_printf ("%s/discussions/%u", u, n);
        g_hash_table_insert (r->branches, g_strdup_printf ("refs/pr/%u", n), g_strdup (c->oid));
        cJSON_AddStringToObject (out, "pullRequestUrl", pr);
      }
    else
      g_hash_table_insert (r->branches, g_strdup (rev), g_strdup (c->oid));
  }
  cJSON_AddStringToObject (out, "hookOutput", "");
  reply_json (msg, 200, out);
}

static void
handle_parquet (SoupServerMessage *msg, Repo *r, char **segs, guint nseg, guint at)
{
  Commit *c = repo_resolve (r, "refs/convert/parquet");
  cJSON *out;
  g_autoptr(GPtrArray) paths = NULL;

  if (c == NULL)
    {
      reply_error (msg, 404, NULL, "No parquet files for this dataset");
      return;
    }
  if (nseg == at + 4)
    {
      /* /parquet/{config}/{split}/{n}.parquet -> the resolve URL */
      guint n = (guint) atoi (segs[at + 3]);
      g_autofree char *loc = g_strdup_printf ("/datasets/%s/resolve/refs%%2Fconvert%%2Fparquet/%s/%s/%04u.parquet",
                                              r->id, segs[at + 1], segs[at + 2], n);
      set_header (msg, "Location", loc);
      reply (msg, 302, "text/plain", "", 0);
      return;
    }
  out = cJSON_CreateObject ();
  paths = sorted_paths (c);
  for (guint i = 0; i < paths->len; i++)
    {
      g_auto(GStrv) p = g_strsplit (paths->pdata[i], "/", -1);
      cJSON *conf, *split;
      g_autofree char *u = NULL;
      if (g_strv_length (p) != 3 || !g_str_has_suffix (p[2], ".parquet"))
        continue;
      conf = cJSON_GetObjectItem (out, p[0]);
      if (conf == NULL)
        conf = cJSON_AddObjectToObject (out, p[0]);
      split = cJSON_GetObjectItem (conf, p[1]);
      if (split == NULL)
        split = cJSON_AddArrayToObject (conf, p[1]);
      u = g_strdup_printf ("http://127.0.0.1:%u/api/datasets/%s/parquet/%s/%s/%d.parquet", hub_port, r->id,
                           p[0], p[1], atoi (p[2]));
      cJSON_AddItemToArray (split, cJSON_CreateString (u));
    }
  reply_json (msg, 200, out);
}

/* ---- CDN host ------------------------------------------------------------------ */

static void
handle_cdn (SoupServerMessage *msg, char **segs, guint nseg, const char *method, GBytes *body, Rule *rule,
            gboolean has_auth)
{
  if (has_auth)
    {
      violations++;
      g_printerr ("fake-hub: VIOLATION: Authorization sent to the storage host (%s /%s)\n", method, segs[0]);
      reply_error (msg, 400, NULL, "Authorization header sent to the storage host");
      return;
    }
  if (nseg == 2 && strcmp (segs[0], "cdn") == 0)
    {
      GBytes *b = g_hash_table_lookup (lfs_store, segs[1]);
      g_autofree char *etag = g_strdup_printf ("\"%s\"", segs[1]);
      gsize n;
      const guint8 *d;
      if (b == NULL)
        {
          reply_error (msg, 404, NULL, "No such object");
          return;
        }
      d = g_bytes_get_data (b, &n);
      set_header (msg, "ETag", etag);
      serve_bytes (msg, rule, d, n);
      return;
    }
  if (nseg == 2 && strcmp (segs[0], "upload") == 0 && strcmp (method, "PUT") == 0)
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (body, &n);
      g_autofree char *sum = sha256_hex (d, n);
      if (strcmp (sum, segs[1]) != 0)
        {
          reply_error (msg, 400, NULL, "Content does not match the oid");
          return;
        }
      g_hash_table_insert (lfs_store, g_strdup (sum), g_bytes_ref (body));
      reply (msg, 200, "text/plain", "", 0);
      return;
    }
  if (nseg == 3 && strcmp (segs[0], "part") == 0 && strcmp (method, "PUT") == 0)
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (body, &n);
      g_autofree char *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, d, n);
      g_autofree char *etag = g_strdup_printf ("\"%s\"", md5);
      g_hash_table_insert (parts, g_strdup_printf ("%s/%s", segs[1], segs[2]), g_bytes_ref (body));
      if (!(rule != NULL && rule->no_part_etag))
        set_header (msg, "ETag", etag);
      reply (msg, 200, "text/plain", "", 0);
      return;
    }
  if (nseg == 2 && strcmp (segs[0], "complete") == 0 && strcmp (method, "POST") == 0)
    {
      gsize n;
      const char *d = g_bytes_get_data (body, &n);
      cJSON *j = cJSON_ParseWithLength (d, n);
      const cJSON *pl = cJSON_GetObjectItem (j, "parts");
      const cJSON *p;
      GByteArray *all = g_byte_array_new ();
      g_autofree char *sum = NULL;
      int expect = 1;
      const char *bad = NULL;

      cJSON_ArrayForEach (p, pl)
        {
          int num = (int) cJSON_GetNumberValue (cJSON_GetObjectItem (p, "partNumber"));
          const cJSON *et = cJSON_GetObjectItem (p, "etag");
          g_autofree char *key = g_strdup_printf ("%s/%d", segs[1], num);
          GBytes *b = g_hash_table_lookup (parts, key);
          gsize bn;
          const guint8 *bd;
          g_autofree char *md5 = NULL;
          g_autofree char *want = NULL;
          if (num != expect++ || b == NULL || !cJSON_IsString (et))
            {
              bad = "Missing or out-of-order part";
              break;
            }
          bd = g_bytes_get_data (b, &bn);
          md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, bd, bn);
          want = g_strdup_printf ("\"%s\"", md5);
          if (strcmp (want, et->valuestring) != 0)
            {
              bad = "Part ETag mismatch";
              break;
            }
          g_byte_array_append (all, bd, bn);
        }
      cJSON_Delete (j);
      if (bad == NULL)
        {
          sum = sha256_hex (all->data, all->len);
          if (strcmp (sum, segs[1]) != 0)
            bad = "Assembled content does not match the oid";
        }
      if (bad != NULL)
        {
          g_byte_array_unref (all);
          reply_error (msg, 400, NULL, bad);
          return;
        }
      g_hash_table_insert (lfs_store, g_strdup (sum), g_byte_array_free_to_bytes (all));
      reply (msg, 200, "application/json", "{}", 2);
      return;
    }
  reply_error (msg, 404, NULL, "Not found on the storage host");
}

/* ---- control --------------------------------------------------------------------- */

static void
handle_control (SoupServerMessage *msg, const char *what, GBytes *body)
{
  gsize n;
  const char *d = g_bytes_get_data (body, &n);
  cJSON *j = n > 0 ? cJSON_ParseWithLength (d, n) : NULL;

  if (strcmp (what, "rule") == 0 && j != NULL)
    {
      Rule *r = g_new0 (Rule, 1);
      const cJSON *v;
      r->count = -1;
      r->drop_after = -1;
#define STR(name, field) if (cJSON_IsString (v = cJSON_GetObjectItem (j, name))) r->field = g_strdup (v->valuestring)
#define NUM(name, field) if (cJSON_IsNumber (v = cJSON_GetObjectItem (j, name))) r->field = (int) v->valuedouble
#define BOOL(name, field) r->field = cJSON_IsTrue (cJSON_GetObjectItem (j, name))
      STR ("match", match);
      STR ("method", method);
      STR ("error_code", error_code);
      STR ("error_message", error_message);
      STR ("body", body);
      NUM ("status", status);
      NUM ("count", count);
      NUM ("retry_after", retry_after);
      NUM ("delay_ms", delay_ms);
      BOOL ("ratelimit", ratelimit);
      BOOL ("ignore_range", ignore_range);
      BOOL ("no_commit_header", no_commit_header);
      BOOL ("no_part_etag", no_part_etag);
      if (cJSON_IsNumber (v = cJSON_GetObjectItem (j, "drop_after")))
        r->drop_after = (gint64) v->valuedouble;
#undef STR
#undef NUM
#undef BOOL
      g_ptr_array_add (rules, r);
      reply (msg, 200, "application/json", "{}", 2);
    }
  else if (strcmp (what, "clear-rules") == 0)
    {
      g_ptr_array_set_size (rules, 0);
      reply (msg, 200, "application/json", "{}", 2);
    }
  else if (strcmp (what, "config") == 0 && j != NULL)
    {
      const cJSON *v;
      if (cJSON_IsNumber (v = cJSON_GetObjectItem (j, "tree_page_size")))
        tree_page_size = (guint) v->valuedouble;
      if (cJSON_IsNumber (v = cJSON_GetObjectItem (j, "multipart_threshold")))
        multipart_threshold = (guint64) v->valuedouble;
      if (cJSON_IsNumber (v = cJSON_GetObjectItem (j, "chunk_size")))
        chunk_size = (guint64) v->valuedouble;
      if (cJSON_IsBool (v = cJSON_GetObjectItem (j, "resolve_cache")))
        resolve_cache = cJSON_IsTrue (v);
      if (cJSON_IsArray (v = cJSON_GetObjectItem (j, "whoami_orgs")))
        {
          cJSON_Delete (whoami_orgs);
          whoami_orgs = cJSON_Duplicate (v, TRUE);
        }
      reply (msg, 200, "application/json", "{}", 2);
    }
  else if (strcmp (what, "log") == 0)
    {
      g_autofree char *text = cJSON_PrintUnformatted (request_log);
      reply (msg, 200, "application/json", text, strlen (text));
    }
  else if (strcmp (what, "clear-log") == 0)
    {
      cJSON_Delete (request_log);
      request_log = cJSON_CreateArray ();
      reply (msg, 200, "application/json", "{}", 2);
    }
  else if (strcmp (what, "state") == 0)
    {
      cJSON *out = cJSON_CreateObject ();
      cJSON *rs = cJSON_AddObjectToObject (out, "repos");
      GHashTableIter it;
      gpointer k, v;
      cJSON_AddNumberToObject (out, "violations", violations);
      cJSON_AddNumberToObject (out, "lfs_objects", g_hash_table_size (lfs_store));
      g_hash_table_iter_init (&it, repos);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          Repo *r = v;
          cJSON *rj = cJSON_AddObjectToObject (rs, k);
          cJSON *b = cJSON_AddObjectToObject (rj, "branches");
          GHashTableIter bi;
          gpointer bk, bv;
          g_hash_table_iter_init (&bi, r->branches);
          while (g_hash_table_iter_next (&bi, &bk, &bv))
            cJSON_AddStringToObject (b, bk, bv);
          cJSON_AddNumberToObject (rj, "commits", g_hash_table_size (r->commits));
          cJSON_AddBoolToObject (rj, "private", r->private_);
        }
      reply_json (msg, 200, out);
    }
  else
    reply_error (msg, 404, NULL, "unknown control");
  cJSON_Delete (j);
}

/* ---- router ------------------------------------------------------------------------ */

static char *
join_decoded (char **segs, guint from, guint to)
{
  GString *s = g_string_new (NULL);

  for (guint i = from; i < to; i++)
    {
      g_autofree char *d = g_uri_unescape_string (segs[i], NULL);
      if (i > from)
        g_string_append_c (s, '/');
      g_string_append (s, d != NULL ? d : segs[i]);
    }
  return g_string_free (s, FALSE);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  gboolean is_cdn = GPOINTER_TO_INT (user_data);
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *rh = soup_server_message_get_request_headers (msg);
  const char *auth_header = soup_message_headers_get_one (rh, "Authorization");
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw_path = g_uri_get_path (uri);
  SoupMessageBody *mb = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (mb);
  g_auto(GStrv) all_segs = g_strsplit (raw_path + 1, "/", -1);
  char **segs = all_segs;
  guint nseg = g_strv_length (segs);
  gboolean write = FALSE;
  const char *user = token_user (auth_header, &write);
  Rule *rule;
  cJSON *entry;

  set_header (msg, "X-Request-Id", "Root=1-fakehub");
  if (nseg > 0 && strcmp (segs[0], "_test") == 0)
    {
      handle_control (msg, nseg > 1 ? segs[1] : "", body);
      return;
    }
  entry = cJSON_CreateObject ();
  cJSON_AddStringToObject (entry, "method", method);
  cJSON_AddStringToObject (entry, "host", is_cdn ? "cdn" : "hub");
  cJSON_AddStringToObject (entry, "path", raw_path);
  cJSON_AddBoolToObject (entry, "auth", auth_header != NULL);
  cJSON_AddItemToArray (request_log, entry);

  rule = find_rule (method, raw_path);
  if (rule != NULL && rule->delay_ms > 0)
    g_usleep ((gulong) rule->delay_ms * 1000);
  if (rule != NULL && rule->body != NULL)
    {
      reply (msg, rule->status > 0 ? rule->status : 200, "application/json", rule->body, strlen (rule->body));
      return;
    }
  if (rule != NULL && rule->status > 0)
    {
      if (rule->retry_after > 0)
        {
          g_autofree char *ra = g_strdup_printf ("%d", rule->retry_after);
          set_header (msg, "Retry-After", ra);
        }
      if (rule->ratelimit)
        set_header (msg, "RateLimit", "\"api\";r=0;t=1");
      reply_error (msg, rule->status, rule->error_code,
                   rule->error_message != NULL ? rule->error_message : "Injected error");
      return;
    }
  if (rule != NULL && rule->drop_after >= 0 && strcmp (method, "GET") != 0)
    {
      /* uploads: the body arrived, the answer never comes */
      GIOStream *io = soup_server_message_steal_connection (msg);
      g_io_stream_close (io, NULL, NULL);
      g_object_unref (io);
      return;
    }

  if (is_cdn)
    {
      handle_cdn (msg, segs, nseg, method, body, rule, auth_header != NULL);
      return;
    }

  if (nseg >= 2 && strcmp (segs[0], "api") == 0)
    {
      gsize bn;
      const char *bd = g_bytes_get_data (body, &bn);
      g_autoptr(cJSON) json = NULL;
      const char *type;
      g_autofree char *id = NULL;
      Repo *r;
      Commit *c;

      if (strcmp (segs[1], "whoami-v2") == 0)
        {
          if (auth_header != NULL && user == NULL)
            reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
          else
            handle_whoami (msg, user, write);
          return;
        }
      if (strcmp (segs[1], "validate-yaml") == 0)
        {
          /* A rough stand-in for the Hub's check: front matter must be
           * closed, and no line may start with a tab. */
          g_autoptr(cJSON) vj = cJSON_ParseWithLength (bd, bn);
          const cJSON *content = cJSON_GetObjectItem (vj, "content");
          const char *t = cJSON_IsString (content) ? content->valuestring : "";
          if (g_str_has_prefix (t, "---\n") && (strstr (t + 4, "\n---\n") == NULL || strstr (t, "\n\t") != NULL))
            reply_error (msg, 400, NULL, "Invalid YAML in README.md metadata");
          else
            reply (msg, 200, "application/json", "{\"errors\":[],\"warnings\":[]}", 28);
          return;
        }
      if (strcmp (segs[1], "resolve-cache") == 0)
        {
          handle_resolve_cache (msg, segs, nseg, rule, user, auth_header);
          return;
        }
      if (bn > 0)
        json = cJSON_ParseWithLength (bd, bn);
      if (nseg == 3 && strcmp (segs[1], "repos") == 0 && strcmp (segs[2], "create") == 0)
        {
          if (auth_header != NULL && user == NULL)
            reply_error (msg, 401, NULL, "Invalid credentials in Authorization header");
          else
            handle_create (msg, json, user, write);
          return;
        }
      if (strcmp (segs[1], "models") == 0)
        type = "model";
      else if (strcmp (segs[1], "datasets") == 0)
        type = "dataset";
      else
        {
          reply_error (msg, 404, NULL, "Not found");
          return;
        }
      if (nseg == 2)
        {
          /* search */
          const char *search = query != NULL ? g_hash_table_lookup (query, "search") : NULL;
          const char *filter = query != NULL ? g_hash_table_lookup (query, "filter") : NULL;
          const char *limit = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
          cJSON *out = cJSON_CreateArray ();
          GHashTableIter it;
          gpointer v;
          int max = limit != NULL ? atoi (limit) : 1000;
          g_autoptr(GPtrArray) found = g_ptr_array_new ();
          g_hash_table_iter_init (&it, repos);
          while (g_hash_table_iter_next (&it, NULL, &v))
            {
              Repo *sr = v;
              Commit *head = repo_resolve (sr, "main");
              if (strcmp (sr->type, type) != 0 || sr->private_)
                continue;
              if (search != NULL && strstr (sr->id, search) == NULL)
                continue;
              if (filter != NULL && strcmp (filter, "sentence-transformers") == 0 && !has_tag_st (head))
                continue;
              g_ptr_array_add (found, sr);
            }
          for (guint i = 0; i < found->len; i++)
            for (guint k = i + 1; k < found->len; k++)
              if (((Repo *) found->pdata[k])->downloads > ((Repo *) found->pdata[i])->downloads)
                {
                  gpointer t = found->pdata[i];
                  found->pdata[i] = found->pdata[k];
                  found->pdata[k] = t;
                }
          for (guint i = 0; i < found->len && (int) i < max; i++)
            {
              Repo *sr = found->pdata[i];
              cJSON *o = repo_info_json (sr, repo_resolve (sr, "main"), FALSE);
              cJSON_DeleteItemFromObject (o, "siblings");
              cJSON_AddItemToArray (out, o);
            }
          reply_json (msg, 200, out);
          return;
        }
      if (nseg < 4)
        {
          reply_error (msg, 404, NULL, "Not found");
          return;
        }
      id = g_strdup_printf ("%s/%s", segs[2], segs[3]);
      r = repo_get (type, id);
      if (nseg == 4 || (nseg >= 6 && strcmp (segs[4], "revision") == 0))
        {
          g_autofree char *rev = nseg >= 6 ? join_decoded (segs, 5, nseg) : g_strdup ("main");
          const char *blobs = query != NULL ? g_hash_table_lookup (query, "blobs") : NULL;
          if (!check_read (msg, r, user, auth_header))
            return;
          if ((c = resolve_or_404 (msg, r, rev)) == NULL)
            return;
          reply_json (msg, 200, repo_info_json (r, c, g_strcmp0 (blobs, "true") == 0));
          return;
        }
      if (strcmp (segs[4], "tree") == 0 && nseg >= 6)
        {
          g_autofree char *rev = g_uri_unescape_string (segs[5], NULL);
          g_autofree char *prefix = join_decoded (segs, 6, nseg);
          if (!check_read (msg, r, user, auth_header))
            return;
          if ((c = resolve_or_404 (msg, r, rev)) == NULL)
            return;
          handle_tree (msg, r, c, prefix, query);
          return;
        }
      if (strcmp (segs[4], "paths-info") == 0 && nseg == 6)
        {
          g_autofree char *rev = g_uri_unescape_string (segs[5], NULL);
          cJSON *out;
          const cJSON *p;
          gboolean expand = cJSON_IsTrue (cJSON_GetObjectItem (json, "expand"));
          if (!check_read (msg, r, user, auth_header))
            return;
          if ((c = resolve_or_404 (msg, r, rev)) == NULL)
            return;
          out = cJSON_CreateArray ();
          cJSON_ArrayForEach (p, cJSON_GetObjectItem (json, "paths"))
            {
              Entry *e = cJSON_IsString (p) ? g_hash_table_lookup (c->tree, p->valuestring) : NULL;
              if (e != NULL)
                cJSON_AddItemToArray (out, entry_json (p->valuestring, e, c, expand));
            }
          reply_json (msg, 200, out);
          return;
        }
      if (strcmp (segs[4], "preupload") == 0 && nseg == 6)
        {
          g_autofree char *rev = g_uri_unescape_string (segs[5], NULL);
          if (!check_write (msg, r, user, write))
            return;
          if ((c = resolve_or_404 (msg, r, rev)) == NULL)
            return;
          handle_preupload (msg, r, c, json);
          return;
        }
      if (strcmp (segs[4], "commit") == 0 && nseg == 6)
        {
          g_autofree char *rev = g_uri_unescape_string (segs[5], NULL);
          const char *pr = query != NULL ? g_hash_table_lookup (query, "create_pr") : NULL;
          if (!check_write (msg, r, user, write))
            return;
          handle_commit (msg, r, rev, body, pr != NULL && strcmp (pr, "0") != 0);
          return;
        }
      if (strcmp (segs[4], "parquet") == 0 && strcmp (type, "dataset") == 0)
        {
          if (!check_read (msg, r, user, auth_header))
            return;
          handle_parquet (msg, r, segs, nseg, 4);
          return;
        }
      reply_error (msg, 404, NULL, "Not found");
      return;
    }

  /* /[datasets/]ns/name/resolve/rev/path and /[datasets/]ns/name.git/info/lfs/objects/... */
  {
    const char *type = "model";
    g_autofree char *id = NULL;
    Repo *r;

    if (nseg > 0 && strcmp (segs[0], "datasets") == 0)
      {
        type = "dataset";
        segs++;
        nseg--;
      }
    if (nseg >= 5 && g_str_has_suffix (segs[1], ".git") && strcmp (segs[2], "info") == 0 &&
        strcmp (segs[3], "lfs") == 0)
      {
        g_autofree char *name = g_strndup (segs[1], strlen (segs[1]) - 4);
        gsize bn;
        const char *bd = g_bytes_get_data (body, &bn);
        g_autoptr(cJSON) json = bn > 0 ? cJSON_ParseWithLength (bd, bn) : NULL;
        id = g_strdup_printf ("%s/%s", segs[0], name);
        r = repo_get (type, id);
        if (!check_write (msg, r, user, write))
          return;
        if (nseg == 6 && strcmp (segs[5], "batch") == 0)
          handle_lfs_batch (msg, r, json);
        else if (nseg == 6 && strcmp (segs[5], "verify") == 0)
          {
            const cJSON *oid = cJSON_GetObjectItem (json, "oid");
            double size = cJSON_GetNumberValue (cJSON_GetObjectItem (json, "size"));
            GBytes *b = cJSON_IsString (oid) ? g_hash_table_lookup (lfs_store, oid->valuestring) : NULL;
            if (b == NULL || (double) g_bytes_get_size (b) != size)
              {
                g_autofree char *m = g_strdup_printf ("No file uploaded for oid: %s",
                                                      cJSON_IsString (oid) ? oid->valuestring : "");
                reply_error (msg, 404, NULL, m);
              }
            else
              reply (msg, 200, "text/plain", "OK", 2);
          }
        else
          reply_error (msg, 404, NULL, "Not found");
        return;
      }
    if (nseg >= 5 && strcmp (segs[2], "resolve") == 0)
      {
        /* libsoup hands the path over with %2F already decoded, so a
         * revision "refs/convert/parquet" or "refs/pr/N" spans three segments. */
        guint rev_end = strcmp (segs[3], "refs") == 0 && nseg >= 7 ? 6 : 4;
        g_autofree char *rev = join_decoded (segs, 3, rev_end);
        g_autofree char *file = join_decoded (segs, rev_end, nseg);
        id = g_strdup_printf ("%s/%s", segs[0], segs[1]);
        r = repo_get (type, id);
        handle_resolve (msg, r, rev, file, rule, user, auth_header);
        return;
      }
  }
  reply_error (msg, 404, NULL, "Not found");
}

/* ---- main ---------------------------------------------------------------------------- */

static gboolean
on_stdin (GIOChannel *ch, GIOCondition cond, gpointer loop)
{
  char buf[256];
  gsize n = 0;
  GIOStatus st = g_io_channel_read_chars (ch, buf, sizeof buf, &n, NULL);

  if (st == G_IO_STATUS_EOF || st == G_IO_STATUS_ERROR || (cond & (G_IO_HUP | G_IO_ERR)))
    {
      g_main_loop_quit (loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static guint
listen_on (SoupServer *server, const char *addr)
{
  g_autoptr(GInetAddress) ia = g_inet_address_new_from_string (addr);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (ia, 0);
  g_autoptr(GError) error = NULL;
  GSList *uris;
  guint port;

  if (!soup_server_listen (server, sa, 0, &error))
    {
      g_printerr ("fake-hub: cannot listen: %s\n", error->message);
      exit (1);
    }
  uris = soup_server_get_uris (server);
  port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return port;
}

static void
seed (void)
{
  Repo *r;
  Commit *c;
  static const char config[] = "{\"model_type\": \"bert\"}\n";
  static const char csv[] = "sentence1,sentence2,score\nA man is eating.,A man eats.,0.9\n";

  r = repo_new ("model", "testuser/private-model");
  r->private_ = TRUE;
  c = commit_new (r, g_hash_table_lookup (r->branches, "main"), "add config");
  g_hash_table_insert (c->tree, g_strdup ("config.json"), entry_regular ((const guint8 *) config, strlen (config)));
  g_hash_table_replace (r->branches, g_strdup ("main"), g_strdup (c->oid));

  r = repo_new ("model", "testorg/gated-model");
  r->gated = TRUE;
  c = commit_new (r, g_hash_table_lookup (r->branches, "main"), "add config");
  g_hash_table_insert (c->tree, g_strdup ("config.json"), entry_regular ((const guint8 *) config, strlen (config)));
  g_hash_table_replace (r->branches, g_strdup ("main"), g_strdup (c->oid));

  r = repo_new ("dataset", "testuser/tiny-dataset");
  c = commit_new (r, g_hash_table_lookup (r->branches, "main"), "add data");
  g_hash_table_insert (c->tree, g_strdup ("data/train.csv"), entry_regular ((const guint8 *) csv, strlen (csv)));
  g_hash_table_replace (r->branches, g_strdup ("main"), g_strdup (c->oid));
  if (parquet_bytes != NULL)
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (parquet_bytes, &n);
      g_autofree char *sha = sha256_hex (d, n);
      Commit *pc = commit_new (r, NULL, "convert to parquet");
      g_hash_table_insert (lfs_store, g_strdup (sha), g_bytes_ref (parquet_bytes));
      g_hash_table_insert (pc->tree, g_strdup ("default/train/0000.parquet"), entry_lfs (sha, n));
      g_hash_table_insert (pc->tree, g_strdup ("default/test/0000.parquet"), entry_lfs (sha, n));
      g_hash_table_insert (r->branches, g_strdup ("refs/convert/parquet"), g_strdup (pc->oid));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) hub = NULL;
  g_autoptr(SoupServer) cdn = NULL;
  GIOChannel *ch;

  for (int i = 1; i + 1 < argc; i++)
    if (strcmp (argv[i], "--parquet") == 0)
      {
        g_autofree char *data = NULL;
        gsize n;
        if (!g_file_get_contents (argv[i + 1], &data, &n, NULL))
          {
            g_printerr ("fake-hub: cannot read %s\n", argv[i + 1]);
            return 1;
          }
        parquet_bytes = g_bytes_new (data, n);
      }
    else if (strcmp (argv[i], "--extra-token") == 0)
      extra_token = g_strdup (argv[i + 1]);

  repos = g_hash_table_new (g_str_hash, g_str_equal);
  lfs_store = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  rules = g_ptr_array_new ();
  request_log = cJSON_CreateArray ();
  seed ();

  hub = soup_server_new ("server-header", "fake-hub", NULL);
  cdn = soup_server_new ("server-header", "fake-cdn", NULL);
  soup_server_add_handler (hub, NULL, handle, GINT_TO_POINTER (FALSE), NULL);
  soup_server_add_handler (cdn, NULL, handle, GINT_TO_POINTER (TRUE), NULL);
  hub_port = listen_on (hub, "127.0.0.1");
  cdn_port = listen_on (cdn, "127.0.0.1");
  {
    /* "localhost" may resolve to ::1 first; answer there too when possible. */
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string ("::1");
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (ia, cdn_port);
    soup_server_listen (cdn, sa, 0, NULL);
  }
  printf ("http://127.0.0.1:%u http://localhost:%u\n", hub_port, cdn_port);
  fflush (stdout);

  ch = g_io_channel_unix_new (0);
  g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);
  g_io_channel_unref (ch);
  return 0;
}
