/* vs-hub-upload.c: create repo, preupload, Git LFS transfers and the NDJSON
 * commit (hub-spec.md section 5), as huggingface_hub does without Xet.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "hub/vs-hub-private.h"

#define PREUPLOAD_BATCH 256
#define LFS_BATCH 256
#define MAX_REGULAR_SIZE (10u * 1024 * 1024)

typedef struct
{
  char *path_in_repo;
  char *local_path;      /* NULL for a deletion */
  /* filled while pushing */
  guint64 size;
  gboolean lfs;
  gboolean skip;
  char *sha256;
  char *git_oid;
} CommitOp;

struct _VsHubCommit
{
  char *summary;
  char *description;
  char *parent;
  GPtrArray *ops;
};

static void
commit_op_free (gpointer data)
{
  CommitOp *op = data;

  g_free (op->path_in_repo);
  g_free (op->local_path);
  g_free (op->sha256);
  g_free (op->git_oid);
  g_free (op);
}

VsHubCommit *
vs_hub_commit_new (const char *summary)
{
  VsHubCommit *commit = g_new0 (VsHubCommit, 1);

  commit->summary = g_strdup (summary != NULL ? summary : "Upload files");
  commit->ops = g_ptr_array_new_with_free_func (commit_op_free);
  return commit;
}

void
vs_hub_commit_free (VsHubCommit *commit)
{
  if (commit == NULL)
    return;
  g_free (commit->summary);
  g_free (commit->description);
  g_free (commit->parent);
  g_ptr_array_unref (commit->ops);
  g_free (commit);
}

void
vs_hub_commit_set_description (VsHubCommit *commit,
                               const char  *description)
{
  g_free (commit->description);
  commit->description = g_strdup (description);
}

void
vs_hub_commit_set_parent (VsHubCommit *commit,
                          const char  *parent_commit)
{
  g_free (commit->parent);
  commit->parent = g_strdup (parent_commit);
}

void
vs_hub_commit_add_file (VsHubCommit *commit,
                        const char  *path_in_repo,
                        const char  *local_path)
{
  CommitOp *op = g_new0 (CommitOp, 1);

  op->path_in_repo = g_strdup (path_in_repo);
  op->local_path = g_strdup (local_path);
  g_ptr_array_add (commit->ops, op);
}

void
vs_hub_commit_delete_file (VsHubCommit *commit,
                           const char  *path_in_repo)
{
  CommitOp *op = g_new0 (CommitOp, 1);

  op->path_in_repo = g_strdup (path_in_repo);
  g_ptr_array_add (commit->ops, op);
}

/* ---- create repo ------------------------------------------------------------ */

gboolean
vs_hub_create_repo (VsHub        *hub,
                    VsHubRepoType type,
                    const char   *repo_id,
                    gboolean      private_repo,
                    char        **out_url,
                    GError      **error)
{
  g_autofree char *url = g_strdup_printf ("%s/api/repos/create", hub->endpoint);
  g_autoptr(VsHubJson) body = cJSON_CreateObject ();
  g_autofree char *body_text = NULL;
  const char *slash = strchr (repo_id, '/');
  g_autofree char *what = g_strdup_printf ("%s: create repo", repo_id);

  if (!vs_hub_parse_repo_id (repo_id, NULL, NULL) || slash == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: not a valid repo id (namespace/name)", repo_id);
      return FALSE;
    }
  {
    g_autofree char *ns = g_strndup (repo_id, slash - repo_id);
    cJSON_AddStringToObject (body, "name", slash + 1);
    cJSON_AddStringToObject (body, "organization", ns);
  }
  if (type != VS_HUB_REPO_MODEL)
    cJSON_AddStringToObject (body, "type", type == VS_HUB_REPO_DATASET ? "dataset" : "space");
  cJSON_AddStringToObject (body, "visibility", private_repo ? "private" : "public");
  body_text = cJSON_PrintUnformatted (body);

  for (guint attempt = 0; ; attempt++)
    {
      VsHubRequest req = { .method = "POST", .url = url, .auth = TRUE, .require_auth = TRUE,
                           .content_type = "application/json",
                           .body = (const guint8 *) body_text, .body_len = strlen (body_text),
                           .retry = VS_HUB_RETRY_429_ONLY, .what = what };
      VsHubResponse resp = { 0 };
      g_autoptr(VsHubJson) json = NULL;
      const cJSON *u;

      if (!vs_hub_http (hub, &req, &resp, error))
        {
          vs_hub_response_clear (&resp);
          return FALSE;
        }
      if (resp.status == 200 || resp.status == 201 || resp.status == 409)
        {
          json = resp.body != NULL ? cJSON_ParseWithLength ((const char *) resp.body->data, resp.body->len) : NULL;
          /* "another conflicting operation is in progress": try again. */
          if (resp.status == 409 && resp.body != NULL && attempt < 5 &&
              g_strstr_len ((const char *) resp.body->data, resp.body->len, "conflicting operation") != NULL)
            {
              vs_hub_response_clear (&resp);
              g_usleep (G_USEC_PER_SEC);
              continue;
            }
          u = cJSON_GetObjectItemCaseSensitive (json, "url");
          if (out_url != NULL)
            *out_url = cJSON_IsString (u) ? g_strdup (u->valuestring)
                                          : g_strdup_printf ("%s/%s%s", hub->endpoint,
                                                             vs_hub_type_prefix (type), repo_id);
          vs_hub_response_clear (&resp);
          return TRUE;
        }
      if (resp.status == 401 || resp.status == 402 || resp.status == 403)
        {
          /* Not allowed to create here; fine if the repo exists already. */
          g_autoptr(VsHubJson) info = vs_hub_repo_info (hub, type, repo_id, NULL, NULL);
          if (info != NULL)
            {
              if (out_url != NULL)
                *out_url = g_strdup_printf ("%s/%s%s", hub->endpoint, vs_hub_type_prefix (type), repo_id);
              vs_hub_response_clear (&resp);
              return TRUE;
            }
        }
      vs_hub_set_http_error (hub, &resp, what, error);
      vs_hub_response_clear (&resp);
      return FALSE;
    }
}

/* ---- hashing ------------------------------------------------------------------- */

/* SHA-256 of the content and the git blob SHA-1 ("blob <n>\0" + content). */
static gboolean
hash_file (VsHub      *hub,
           CommitOp   *op,
           GError    **error)
{
  g_autoptr(GChecksum) sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *head = g_strdup_printf ("blob %" G_GUINT64_FORMAT, op->size);
  FILE *f;
  guint8 buf[65536];
  gsize n;

  /* A preupload answer may name a file twice: hash it once. */
  if (op->sha256 != NULL && op->git_oid != NULL)
    return TRUE;
  f = fopen (op->local_path, "rb");
  if (f == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", op->local_path, g_strerror (errno));
      return FALSE;
    }
  g_checksum_update (sha1, (const guchar *) head, strlen (head) + 1);
  while ((n = fread (buf, 1, sizeof buf, f)) > 0)
    {
      g_checksum_update (sha256, buf, n);
      g_checksum_update (sha1, buf, n);
      if (hub->cancellable != NULL && g_cancellable_is_cancelled (hub->cancellable))
        break;
    }
  if (ferror (f))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: read error", op->local_path);
      fclose (f);
      return FALSE;
    }
  fclose (f);
  if (!vs_hub_check_cancel (hub, error))
    return FALSE;
  op->sha256 = g_strdup (g_checksum_get_string (sha256));
  op->git_oid = g_strdup (g_checksum_get_string (sha1));
  return TRUE;
}

/* ---- preupload ------------------------------------------------------------------- */

static char *
file_sample_base64 (const char *path,
                    GError    **error)
{
  guint8 buf[512];
  gsize n;
  FILE *f = fopen (path, "rb");

  if (f == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (errno));
      return NULL;
    }
  n = fread (buf, 1, sizeof buf, f);
  fclose (f);
  return g_base64_encode (buf, n);
}

static gboolean
preupload (VsHub        *hub,
           VsHubRepoType type,
           const char   *repo_id,
           const char   *rev_enc,
           gboolean      create_pr,
           GPtrArray    *adds,
           char        **head,
           GError      **error)
{
  g_autofree char *url = g_strdup_printf ("%s/api/%s/%s/preupload/%s%s", hub->endpoint,
                                          vs_hub_type_plural (type), repo_id, rev_enc,
                                          create_pr ? "?create_pr=1" : "");
  g_autofree char *what = g_strdup_printf ("%s: preupload", repo_id);

  for (guint start = 0; start < adds->len; start += PREUPLOAD_BATCH)
    {
      guint end = MIN (start + PREUPLOAD_BATCH, adds->len);
      g_autoptr(VsHubJson) body = cJSON_CreateObject ();
      cJSON *files = cJSON_AddArrayToObject (body, "files");
      g_autofree char *text = NULL;
      g_autoptr(VsHubJson) reply = NULL;
      VsHubResponse resp = { 0 };
      const cJSON *item, *commit_oid;

      for (guint i = start; i < end; i++)
        {
          CommitOp *op = g_ptr_array_index (adds, i);
          g_autofree char *sample = file_sample_base64 (op->local_path, error);
          cJSON *f;
          if (sample == NULL)
            return FALSE;
          f = cJSON_CreateObject ();
          cJSON_AddStringToObject (f, "path", op->path_in_repo);
          cJSON_AddStringToObject (f, "sample", sample);
          cJSON_AddNumberToObject (f, "size", (double) op->size);
          cJSON_AddItemToArray (files, f);
        }
      text = cJSON_PrintUnformatted (body);
      {
        VsHubRequest req = { .method = "POST", .url = url, .auth = TRUE, .require_auth = TRUE,
                             .content_type = "application/json",
                             .body = (const guint8 *) text, .body_len = strlen (text),
                             .retry = VS_HUB_RETRY_BACKOFF, .what = what };
        gboolean ok = vs_hub_http_ok (hub, &req, &resp, &reply, error);
        vs_hub_response_clear (&resp);
        if (!ok)
          return FALSE;
      }
      commit_oid = cJSON_GetObjectItemCaseSensitive (reply, "commitOid");
      if (cJSON_IsString (commit_oid) && *head == NULL)
        *head = g_strdup (commit_oid->valuestring);
      cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (reply, "files"))
        {
          const cJSON *p = cJSON_GetObjectItemCaseSensitive (item, "path");
          const cJSON *mode = cJSON_GetObjectItemCaseSensitive (item, "uploadMode");
          const cJSON *ignore = cJSON_GetObjectItemCaseSensitive (item, "shouldIgnore");
          const cJSON *oid = cJSON_GetObjectItemCaseSensitive (item, "oid");
          if (!cJSON_IsString (p))
            continue;
          for (guint i = start; i < end; i++)
            {
              CommitOp *op = g_ptr_array_index (adds, i);
              if (strcmp (op->path_in_repo, p->valuestring) != 0)
                continue;
              op->lfs = cJSON_IsString (mode) && strcmp (mode->valuestring, "lfs") == 0;
              /* S3 refuses empty LFS objects. */
              if (op->size == 0)
                op->lfs = FALSE;
              if (cJSON_IsTrue (ignore))
                op->skip = TRUE;
              else if (cJSON_IsString (oid))
                {
                  if (!hash_file (hub, op, error))
                    return FALSE;
                  if (g_strcmp0 (oid->valuestring, op->lfs ? op->sha256 : op->git_oid) == 0)
                    op->skip = TRUE;   /* unchanged on the Hub */
                }
            }
        }
    }
  return TRUE;
}

/* ---- LFS transfers -------------------------------------------------------------- */

static gboolean
upload_range (VsHub      *hub,
              const char *url,
              const char *method,
              FILE       *f,
              goffset     offset,
              gsize       len,
              const char *what,
              VsHubResponse *resp,
              GError    **error)
{
  VsHubRequest req = { .method = method, .url = url, .auth = FALSE, .follow_redirects = FALSE,
                       .body_file = f, .body_offset = offset, .body_len = len,
                       .count_upload = TRUE, .retry = VS_HUB_RETRY_BACKOFF, .what = what };

  if (!vs_hub_http (hub, &req, resp, error))
    return FALSE;
  if (resp->status < 200 || resp->status >= 300)
    {
      vs_hub_set_http_error (hub, resp, what, error);
      return FALSE;
    }
  return TRUE;
}

static int
compare_part_keys (gconstpointer a,
                   gconstpointer b)
{
  guint64 x = g_ascii_strtoull (*(const char *const *) a, NULL, 10);
  guint64 y = g_ascii_strtoull (*(const char *const *) b, NULL, 10);

  return x < y ? -1 : x > y;
}

static gboolean
is_part_key (const char *k)
{
  if (k == NULL || k[0] == '\0')
    return FALSE;
  for (const char *p = k; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* POSTs body to one of the Git LFS JSON endpoints (batch, multipart
 * completion, verify) with the backoff retry policy. TRUE on a 2xx answer,
 * whose JSON goes to *reply unless reply is NULL. */
static gboolean
lfs_post (VsHub        *hub,
          const char   *url,
          gboolean      auth,
          gboolean      require_auth,
          const cJSON  *body,
          const char   *what,
          cJSON       **reply,
          GError      **error)
{
  g_autofree char *text = cJSON_PrintUnformatted (body);
  VsHubRequest req = { .method = "POST", .url = url, .auth = auth, .require_auth = require_auth,
                       .content_type = "application/vnd.git-lfs+json",
                       .accept = "application/vnd.git-lfs+json",
                       .body = (const guint8 *) text, .body_len = strlen (text),
                       .retry = VS_HUB_RETRY_BACKOFF, .what = what };
  VsHubResponse resp = { 0 };
  gboolean ok = vs_hub_http_ok (hub, &req, &resp, reply, error);

  vs_hub_response_clear (&resp);
  return ok;
}

static gboolean
upload_multipart (VsHub        *hub,
                  CommitOp     *op,
                  const cJSON  *upload,
                  GError      **error)
{
  const cJSON *header = cJSON_GetObjectItemCaseSensitive (upload, "header");
  const cJSON *href = cJSON_GetObjectItemCaseSensitive (upload, "href");
  const cJSON *chunk = cJSON_GetObjectItemCaseSensitive (header, "chunk_size");
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(VsHubJson) done = cJSON_CreateObject ();
  cJSON *parts;
  guint64 chunk_size;
  g_autofree char *what = g_strdup_printf ("%s: multipart upload", op->path_in_repo);
  const cJSON *h;
  FILE *f;

  chunk_size = cJSON_IsString (chunk) ? g_ascii_strtoull (chunk->valuestring, NULL, 10)
               : cJSON_IsNumber (chunk) ? (guint64) chunk->valuedouble : 0;
  if (chunk_size == 0 || !cJSON_IsString (href))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub's multipart instructions are incomplete", what);
      return FALSE;
    }
  cJSON_ArrayForEach (h, header)
    if (is_part_key (h->string) && cJSON_IsString (h))
      g_ptr_array_add (keys, h->string);
  g_ptr_array_sort (keys, compare_part_keys);
  if (keys->len != (op->size + chunk_size - 1) / chunk_size)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: the Hub asked for %u parts of %" G_GUINT64_FORMAT " bytes for a file of %"
                   G_GUINT64_FORMAT " bytes", what, keys->len, chunk_size, op->size);
      return FALSE;
    }
  cJSON_AddStringToObject (done, "oid", op->sha256);
  parts = cJSON_AddArrayToObject (done, "parts");
  f = fopen (op->local_path, "rb");
  if (f == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", op->local_path, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      const char *part_url = cJSON_GetObjectItemCaseSensitive (header, keys->pdata[i])->valuestring;
      guint64 off = (guint64) i * chunk_size;
      gsize len = (gsize) MIN (chunk_size, op->size - off);
      VsHubResponse resp = { 0 };
      const char *etag;
      cJSON *p;

      if (!upload_range (hub, part_url, "PUT", f, (goffset) off, len, what, &resp, error))
        {
          vs_hub_response_clear (&resp);
          fclose (f);
          return FALSE;
        }
      etag = vs_hub_response_header (&resp, "etag");
      if (etag == NULL || etag[0] == '\0')
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s: the storage server did not return an ETag for part %u", what, i + 1);
          vs_hub_response_clear (&resp);
          fclose (f);
          return FALSE;
        }
      p = cJSON_CreateObject ();
      cJSON_AddNumberToObject (p, "partNumber", (double) g_ascii_strtoull (keys->pdata[i], NULL, 10));
      cJSON_AddStringToObject (p, "etag", etag);
      cJSON_AddItemToArray (parts, p);
      vs_hub_response_clear (&resp);
      vs_hub_progress_add (hub, len);
    }
  fclose (f);

  return lfs_post (hub, href->valuestring, FALSE, FALSE, done, what, NULL, error);
}

static gboolean
lfs_verify (VsHub       *hub,
            CommitOp    *op,
            const cJSON *verify,
            GError     **error)
{
  const cJSON *href = cJSON_GetObjectItemCaseSensitive (verify, "href");
  g_autoptr(VsHubJson) body = cJSON_CreateObject ();
  g_autofree char *what = g_strdup_printf ("%s: LFS verify", op->path_in_repo);

  if (!cJSON_IsString (href))
    return TRUE;
  cJSON_AddStringToObject (body, "oid", op->sha256);
  cJSON_AddNumberToObject (body, "size", (double) op->size);
  return lfs_post (hub, href->valuestring, TRUE, FALSE, body, what, NULL, error);
}

static gboolean
lfs_upload (VsHub        *hub,
            VsHubRepoType type,
            const char   *repo_id,
            const char   *revision,
            gboolean      create_pr,
            GPtrArray    *lfs_ops,
            GError      **error)
{
  g_autofree char *url = g_strdup_printf ("%s/%s%s.git/info/lfs/objects/batch", hub->endpoint,
                                          vs_hub_type_prefix (type), repo_id);
  g_autofree char *what = g_strdup_printf ("%s: LFS batch", repo_id);

  for (guint start = 0; start < lfs_ops->len; start += LFS_BATCH)
    {
      guint end = MIN (start + LFS_BATCH, lfs_ops->len);
      g_autoptr(VsHubJson) body = cJSON_CreateObject ();
      g_autoptr(VsHubJson) reply = NULL;
      cJSON *transfers, *objects;
      const cJSON *obj;

      cJSON_AddStringToObject (body, "operation", "upload");
      transfers = cJSON_AddArrayToObject (body, "transfers");
      cJSON_AddItemToArray (transfers, cJSON_CreateString ("basic"));
      cJSON_AddItemToArray (transfers, cJSON_CreateString ("multipart"));
      cJSON_AddStringToObject (body, "hash_algo", "sha256");
      objects = cJSON_AddArrayToObject (body, "objects");
      for (guint i = start; i < end; i++)
        {
          CommitOp *op = g_ptr_array_index (lfs_ops, i);
          cJSON *o = cJSON_CreateObject ();
          cJSON_AddStringToObject (o, "oid", op->sha256);
          cJSON_AddNumberToObject (o, "size", (double) op->size);
          cJSON_AddItemToArray (objects, o);
        }
      /* PR uploads are not checked against the branch's write rights. */
      if (!create_pr)
        cJSON_AddStringToObject (cJSON_AddObjectToObject (body, "ref"), "name", revision);
      if (!lfs_post (hub, url, TRUE, TRUE, body, what, &reply, error))
        return FALSE;

      cJSON_ArrayForEach (obj, cJSON_GetObjectItemCaseSensitive (reply, "objects"))
        {
          const cJSON *oid = cJSON_GetObjectItemCaseSensitive (obj, "oid");
          const cJSON *err = cJSON_GetObjectItemCaseSensitive (obj, "error");
          const cJSON *actions = cJSON_GetObjectItemCaseSensitive (obj, "actions");
          const cJSON *upload = cJSON_GetObjectItemCaseSensitive (actions, "upload");
          const cJSON *header = cJSON_GetObjectItemCaseSensitive (upload, "header");
          CommitOp *op = NULL;

          for (guint i = start; i < end && cJSON_IsString (oid); i++)
            if (strcmp (((CommitOp *) g_ptr_array_index (lfs_ops, i))->sha256, oid->valuestring) == 0)
              op = g_ptr_array_index (lfs_ops, i);
          if (op == NULL)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub answered about an object "
                           "that was not asked for", what);
              return FALSE;
            }
          if (err != NULL)
            {
              const cJSON *m = cJSON_GetObjectItemCaseSensitive (err, "message");
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the Hub refused the upload of %s: %s",
                           repo_id, op->path_in_repo, cJSON_IsString (m) ? m->valuestring : "unknown error");
              vs_hub_scrub_error (hub, error);
              return FALSE;
            }
          if (!cJSON_IsObject (upload))
            {
              vs_hub_progress_add (hub, op->size);   /* already stored */
              continue;
            }
          if (cJSON_GetObjectItemCaseSensitive (header, "chunk_size") != NULL)
            {
              if (!upload_multipart (hub, op, upload, error))
                return FALSE;
            }
          else
            {
              const cJSON *href = cJSON_GetObjectItemCaseSensitive (upload, "href");
              g_autofree char *put_what = g_strdup_printf ("%s: LFS upload", op->path_in_repo);
              VsHubResponse put = { 0 };
              FILE *f;
              gboolean ok;

              if (!cJSON_IsString (href))
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: no upload address", put_what);
                  return FALSE;
                }
              f = fopen (op->local_path, "rb");
              if (f == NULL)
                {
                  g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", op->local_path, g_strerror (errno));
                  return FALSE;
                }
              ok = upload_range (hub, href->valuestring, "PUT", f, 0, op->size, put_what, &put, error);
              fclose (f);
              vs_hub_response_clear (&put);
              if (!ok)
                return FALSE;
              vs_hub_progress_add (hub, op->size);
            }
          if (!lfs_verify (hub, op, cJSON_GetObjectItemCaseSensitive (actions, "verify"), error))
            return FALSE;
        }
    }
  return TRUE;
}

/* ---- the model card's metadata ------------------------------------------------------ */

/* POST /api/validate-yaml, as huggingface_hub does before committing a
 * README.md: the Hub's own check of the card's YAML front matter. A server
 * without the endpoint is not an error. */
static gboolean
validate_readme (VsHub        *hub,
                 VsHubRepoType type,
                 const char   *local_path,
                 GError      **error)
{
  g_autofree char *url = g_strdup_printf ("%s/api/validate-yaml", hub->endpoint);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  g_autoptr(VsHubJson) body = cJSON_CreateObject ();
  g_autoptr(VsHubJson) reply = NULL;
  VsHubResponse resp = { 0 };
  const cJSON *e;
  gboolean ok;

  if (!g_file_get_contents (local_path, &contents, NULL, NULL) || !g_utf8_validate (contents, -1, NULL))
    return TRUE;
  cJSON_AddStringToObject (body, "content", contents);
  cJSON_AddStringToObject (body, "repoType", type == VS_HUB_REPO_DATASET ? "dataset"
                                             : type == VS_HUB_REPO_SPACE ? "space" : "model");
  text = cJSON_PrintUnformatted (body);
  {
    VsHubRequest req = { .method = "POST", .url = url, .auth = TRUE, .content_type = "application/json",
                         .body = (const guint8 *) text, .body_len = strlen (text),
                         .retry = VS_HUB_RETRY_BACKOFF, .what = "README.md" };
    ok = vs_hub_http (hub, &req, &resp, error);
  }
  if (!ok)
    {
      vs_hub_response_clear (&resp);
      return FALSE;
    }
  if (resp.status == 400 || resp.status == 422)
    {
      vs_hub_set_http_error (hub, &resp, "README.md: the model card's metadata", error);
      vs_hub_response_clear (&resp);
      return FALSE;
    }
  if (resp.status >= 200 && resp.status < 300 && resp.body != NULL)
    reply = cJSON_ParseWithLength ((const char *) resp.body->data, resp.body->len);
  vs_hub_response_clear (&resp);
  cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive (reply, "warnings"))
    {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive (e, "message");
      g_message ("README.md: %s", cJSON_IsString (m) ? m->valuestring : cJSON_IsString (e) ? e->valuestring : "warning");
    }
  e = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (reply, "errors"), 0);
  if (e != NULL)
    {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive (e, "message");
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "README.md: the Hub rejected the model card's metadata: %s",
                   cJSON_IsString (m) ? m->valuestring : cJSON_IsString (e) ? e->valuestring : "invalid YAML");
      return FALSE;
    }
  return TRUE;
}

/* ---- the commit ------------------------------------------------------------------ */

static void
ndjson_line (GString    *out,
             const char *key,
             cJSON      *value)
{
  g_autoptr(VsHubJson) line = cJSON_CreateObject ();
  g_autofree char *text = NULL;

  cJSON_AddStringToObject (line, "key", key);
  cJSON_AddItemToObject (line, "value", value);
  text = cJSON_PrintUnformatted (line);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

cJSON *
vs_hub_commit_push (VsHub        *hub,
                    VsHubRepoType type,
                    const char   *repo_id,
                    const char   *revision,
                    VsHubCommit  *commit,
                    gboolean      create_pr,
                    GError      **error)
{
  g_autofree char *rev = g_strdup (revision != NULL ? revision : "main");
  g_autofree char *rev_enc = vs_hub_encode (rev, FALSE);
  g_autoptr(GPtrArray) adds = g_ptr_array_new ();
  g_autoptr(GPtrArray) lfs_ops = g_ptr_array_new ();
  g_autofree char *head = NULL;
  g_autofree char *url = NULL;
  g_autofree char *what = g_strdup_printf ("%s: commit", repo_id);
  g_autoptr(GString) body = NULL;
  g_autoptr(VsHubJson) reply = NULL;
  VsHubResponse resp = { 0 };
  guint64 total = 0;
  guint n_changes = 0;
  gboolean ok;

  if (!vs_hub_parse_repo_id (repo_id, NULL, NULL))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: not a valid repo id", repo_id);
      return NULL;
    }
  for (guint i = 0; i < commit->ops->len; i++)
    {
      CommitOp *op = g_ptr_array_index (commit->ops, i);
      struct stat st;

      if (!vs_hub_path_is_safe (op->path_in_repo))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: not a valid path in a repo", op->path_in_repo);
          return NULL;
        }
      if (op->local_path == NULL)
        continue;
      if (stat (op->local_path, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot read the file to upload: %s",
                       op->local_path, errno != 0 ? g_strerror (errno) : "not a regular file");
          return NULL;
        }
      op->size = (guint64) st.st_size;
      op->skip = FALSE;
      op->lfs = FALSE;
      g_clear_pointer (&op->sha256, g_free);
      g_clear_pointer (&op->git_oid, g_free);
      g_ptr_array_add (adds, op);
    }

  if (adds->len > 0 &&
      !preupload (hub, type, repo_id, rev_enc, create_pr, adds, &head, error))
    {
      vs_hub_scrub_error (hub, error);
      return NULL;
    }

  for (guint i = 0; i < adds->len; i++)
    {
      CommitOp *op = g_ptr_array_index (adds, i);
      if (op->skip)
        continue;
      if (op->lfs && op->sha256 == NULL && !hash_file (hub, op, error))
        return NULL;
      if (!op->lfs && op->size > MAX_REGULAR_SIZE)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: the Hub wants this %" G_GUINT64_FORMAT "-byte file stored as a regular "
                       "git file, which is limited to 10 MiB", op->path_in_repo, op->size);
          return NULL;
        }
      if (op->lfs)
        g_ptr_array_add (lfs_ops, op);
      total += op->size;
      n_changes++;
    }
  for (guint i = 0; i < commit->ops->len; i++)
    if (((CommitOp *) g_ptr_array_index (commit->ops, i))->local_path == NULL)
      n_changes++;

  if (n_changes == 0)
    {
      reply = cJSON_CreateObject ();
      cJSON_AddStringToObject (reply, "commitOid", head != NULL ? head : "");
      {
        g_autofree char *u = g_strdup_printf ("%s/%s%s/commit/%s", hub->endpoint, vs_hub_type_prefix (type),
                                              repo_id, head != NULL ? head : rev);
        cJSON_AddStringToObject (reply, "commitUrl", u);
      }
      cJSON_AddBoolToObject (reply, "noChanges", TRUE);
      return g_steal_pointer (&reply);
    }

  for (guint i = 0; i < adds->len; i++)
    {
      CommitOp *op = g_ptr_array_index (adds, i);
      if (!op->skip && strcmp (op->path_in_repo, "README.md") == 0 &&
          !validate_readme (hub, type, op->local_path, error))
        {
          vs_hub_scrub_error (hub, error);
          return NULL;
        }
    }

  vs_hub_progress_begin (hub, total);
  if (lfs_ops->len > 0 && !lfs_upload (hub, type, repo_id, rev, create_pr, lfs_ops, error))
    {
      vs_hub_scrub_error (hub, error);
      return NULL;
    }

  body = g_string_new (NULL);
  {
    cJSON *h = cJSON_CreateObject ();
    cJSON_AddStringToObject (h, "summary", commit->summary);
    cJSON_AddStringToObject (h, "description", commit->description != NULL ? commit->description : "");
    if (commit->parent != NULL)
      cJSON_AddStringToObject (h, "parentCommit", commit->parent);
    ndjson_line (body, "header", h);
  }
  for (guint i = 0; i < commit->ops->len; i++)
    {
      CommitOp *op = g_ptr_array_index (commit->ops, i);
      cJSON *v;

      if (op->local_path == NULL)
        {
          v = cJSON_CreateObject ();
          cJSON_AddStringToObject (v, "path", op->path_in_repo);
          ndjson_line (body, "deletedFile", v);
          continue;
        }
      if (op->skip)
        continue;
      v = cJSON_CreateObject ();
      cJSON_AddStringToObject (v, "path", op->path_in_repo);
      if (op->lfs)
        {
          cJSON_AddStringToObject (v, "algo", "sha256");
          cJSON_AddStringToObject (v, "oid", op->sha256);
          cJSON_AddNumberToObject (v, "size", (double) op->size);
          ndjson_line (body, "lfsFile", v);
        }
      else
        {
          g_autofree char *contents = NULL;
          g_autofree char *b64 = NULL;
          gsize len = 0;
          GError *local = NULL;
          if (!g_file_get_contents (op->local_path, &contents, &len, &local))
            {
              g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local->message);
              g_error_free (local);
              cJSON_Delete (v);
              return NULL;
            }
          b64 = g_base64_encode ((const guchar *) contents, len);
          cJSON_AddStringToObject (v, "content", b64);
          cJSON_AddStringToObject (v, "encoding", "base64");
          ndjson_line (body, "file", v);
        }
    }

  if (!vs_hub_check_cancel (hub, error))
    return NULL;
  url = g_strdup_printf ("%s/api/%s/%s/commit/%s%s", hub->endpoint, vs_hub_type_plural (type),
                         repo_id, rev_enc, create_pr ? "?create_pr=1" : "");
  {
    /* Never retried unless the Hub said 429 (it did nothing): a lost
     * answer to a commit that went through would make a duplicate. */
    VsHubRequest req = { .method = "POST", .url = url, .auth = TRUE, .require_auth = TRUE,
                         .content_type = "application/x-ndjson",
                         .body = (const guint8 *) body->str, .body_len = body->len,
                         .retry = VS_HUB_RETRY_429_ONLY, .what = what };
    ok = vs_hub_http_ok (hub, &req, &resp, &reply, error);
  }
  vs_hub_response_clear (&resp);
  if (!ok)
    {
      vs_hub_scrub_error (hub, error);
      return NULL;
    }
  if (!cJSON_IsString (cJSON_GetObjectItemCaseSensitive (reply, "commitOid")) ||
      !cJSON_IsString (cJSON_GetObjectItemCaseSensitive (reply, "commitUrl")))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub's answer has no commitOid/commitUrl", what);
      return NULL;
    }
  hub->progress_base = total;
  hub->progress_current = 0;
  vs_hub_progress_report (hub, TRUE);
  return g_steal_pointer (&reply);
}

/* ---- folders ---------------------------------------------------------------------- */

static gboolean
collect_files (const char *root,
               const char *rel,
               GPtrArray  *out,
               GError    **error)
{
  g_autofree char *dir_path = rel[0] != '\0' ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr(GDir) dir = NULL;
  GError *local = NULL;
  const char *name;

  dir = g_dir_open (dir_path, 0, &local);
  if (dir == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child_rel = rel[0] != '\0' ? g_strconcat (rel, "/", name, NULL) : g_strdup (name);
      g_autofree char *child = g_build_filename (root, child_rel, NULL);

      if (strcmp (name, ".git") == 0 || strcmp (name, ".cache") == 0 ||
          g_str_has_suffix (name, ".incomplete") || g_str_has_suffix (name, "~"))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          if (!collect_files (root, child_rel, out, error))
            return FALSE;
        }
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (out, g_steal_pointer (&child_rel));
    }
  return TRUE;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
vs_hub_commit_add_folder (VsHubCommit *commit,
                          const char  *folder,
                          GError     **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: not a folder", folder);
      return FALSE;
    }
  if (!collect_files (folder, "", files, error))
    return FALSE;
  if (files->len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the folder is empty", folder);
      return FALSE;
    }
  g_ptr_array_sort (files, compare_paths);
  for (guint i = 0; i < files->len; i++)
    {
      const char *rel = g_ptr_array_index (files, i);
      g_autofree char *local = g_build_filename (folder, rel, NULL);
      vs_hub_commit_add_file (commit, rel, local);
    }
  return TRUE;
}

char **
vs_hub_commit_dup_paths (VsHubCommit *commit)
{
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (commit != NULL, NULL);
  for (guint i = 0; i < commit->ops->len; i++)
    {
      CommitOp *op = g_ptr_array_index (commit->ops, i);
      if (op->local_path != NULL)
        g_ptr_array_add (out, g_strdup (op->path_in_repo));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

cJSON *
vs_hub_upload_folder (VsHub        *hub,
                      VsHubRepoType type,
                      const char   *repo_id,
                      const char   *folder,
                      const char   *revision,
                      const char   *message,
                      gboolean      create_pr,
                      GError      **error)
{
  g_autoptr(VsHubCommit) commit = vs_hub_commit_new (message != NULL ? message : "Upload folder");

  if (!vs_hub_commit_add_folder (commit, folder, error))
    return NULL;
  return vs_hub_commit_push (hub, type, repo_id, revision, commit, create_pr, error);
}
