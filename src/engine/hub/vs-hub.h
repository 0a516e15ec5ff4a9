/* vs-hub.h: the Hugging Face Hub client (libcurl).
 *
 * Speaks the Hub's HTTP protocol as huggingface_hub does (see
 * ../shared/reference/hub-spec.md) and shares its cache: files land in
 * $HF_HUB_CACHE (or $HF_HOME/hub, default ~/.cache/huggingface/hub) in the
 * exact layout Python writes (models--org--name/{blobs,refs,snapshots},
 * blobs named by etag, relative symlinks, .no_exist markers), so a model
 * downloaded by either program is found by the other.
 *
 * Settings come from the environment as huggingface_hub reads them:
 * HF_ENDPOINT (default https://huggingface.co), the token from HF_TOKEN, then
 * HUGGING_FACE_HUB_TOKEN, then the file HF_TOKEN_PATH (default $HF_HOME/token,
 * $HF_HOME defaulting to ${XDG_CACHE_HOME:-~/.cache}/huggingface), and
 * HF_HUB_OFFLINE=1 (serve from the cache only, never touch the network).
 *
 * The token is never printed, logged or put into an error message. It is
 * sent only to the endpoint's own host and port, never after a redirect to
 * another host, never to blob or upload URLs on other hosts, and never over
 * plain http unless the endpoint is a loopback address.
 *
 * A VsHub owns one CURL handle: use one VsHub per thread. Long operations
 * report bytes through the progress callback (on the calling thread) and
 * stop with VS_ERROR_CANCELLED when the cancellable fires. Failed transfers
 * are retried with backoff on 408/429/5xx and dropped connections (honouring
 * Retry-After and RateLimit); downloads resume with Range; commits are never
 * retried blindly. Errors are VS_ERROR GErrors in plain words (bad token, no
 * write access, repo not found, gated repo, revision not found, rate limited).
 *
 * Usage (the simple way, from any code that takes "a model"):
 *
 *   g_autofree char *dir = vs_hub_resolve_model ("sentence-transformers/all-MiniLM-L6-v2", &error);
 *   // dir: a local folder (returned as is) or the cached snapshot folder
 *
 * Usage (full control, e.g. from the GUI's worker thread):
 *
 *   g_autoptr(VsHub) hub = vs_hub_new ();
 *   vs_hub_set_progress (hub, on_bytes, self);
 *   vs_hub_set_cancellable (hub, cancellable);
 *   g_autofree char *url = NULL;
 *   if (!vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "alice/my-model", FALSE, &url, &error))
 *     ...
 *   cJSON *reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "alice/my-model",
 *                                        "out/model", NULL, "Add model", FALSE, &error);
 *   // cJSON_GetObjectItem (reply, "commitUrl"); cJSON_Delete (reply);
 */
#pragma once

#include <gio/gio.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

typedef enum
{
  VS_HUB_REPO_MODEL,
  VS_HUB_REPO_DATASET,
  VS_HUB_REPO_SPACE,
} VsHubRepoType;

/* Called with the bytes moved so far and the total of the whole operation
 * (0 when not known yet), on the thread running the operation. */
typedef void (*VsHubProgressFunc) (guint64  done,
                                   guint64  total,
                                   gpointer user_data);

typedef struct _VsHub VsHub;

/* ---- the simple entry points ------------------------------------------- */

/* An existing local folder is returned as is; otherwise id_or_path is a Hub
 * repo id ("org/name[@revision]"; a bare "name" means
 * "sentence-transformers/name", as the library does) whose files a
 * sentence-transformers model needs are snapshot-downloaded into the cache
 * (other frameworks' weights, ONNX/OpenVINO exports and pytorch_model.bin
 * beside a model.safetensors are skipped), or served from the cache when
 * offline or when the Hub cannot be reached; returns the snapshot folder.
 * Settings (endpoint, token, cache, HF_HUB_OFFLINE) come from the
 * environment. Blocks: call it from a worker thread in a GUI. g_free. */
char *vs_hub_resolve_model (const char *id_or_path,
                            GError    **error);

/* Same for datasets: an existing local file or folder is returned as is.
 * For "org/name" the Hub's Parquet conversion (/api/datasets/{id}/parquet)
 * is downloaded and the refs/convert/parquet snapshot folder returned, which
 * holds {config}/{split}/NNNN.parquet (e.g. default/train/0000.parquet);
 * when the Hub has no conversion (404), or for "org/name@revision", the
 * repo's own files are snapshot-downloaded and that folder returned. g_free. */
char *vs_hub_resolve_dataset (const char *id_or_path,
                              GError    **error);

/* The same two with a configured client, for progress and cancel (the GUI). */
char *vs_hub_resolve_model_with (VsHub      *hub,
                                 const char *id_or_path,
                                 GError    **error);
char *vs_hub_resolve_dataset_with (VsHub      *hub,
                                   const char *id_or_path,
                                   GError    **error);

/* Parses "org/name[@rev]" into its parts; FALSE if it cannot be a repo id. */
gboolean vs_hub_parse_repo_id (const char *text,
                               char      **repo_id,
                               char      **revision);

/* ---- the client -------------------------------------------------------- */

/* A client configured from the environment (endpoint, token, cache, offline). */
VsHub *vs_hub_new (void);
void   vs_hub_free (VsHub *hub);

/* Overrides the token from the environment (NULL: no token). */
void vs_hub_set_token (VsHub      *hub,
                       const char *token);
gboolean vs_hub_has_token (VsHub *hub);
/* Sets the cache folder every client made after this call starts with, over
 * $HF_HUB_CACHE (the app's preference); NULL or "" restores huggingface_hub's
 * rule ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). "~/" is
 * expanded. Thread-safe. */
void vs_hub_set_default_cache_dir (const char *cache_dir);
/* Overrides the cache folder ($HF_HUB_CACHE) for this client. */
void vs_hub_set_cache_dir (VsHub      *hub,
                           const char *cache_dir);
const char *vs_hub_get_cache_dir (VsHub *hub);
const char *vs_hub_get_endpoint (VsHub *hub);
void vs_hub_set_offline (VsHub   *hub,
                         gboolean offline);
void vs_hub_set_progress (VsHub            *hub,
                          VsHubProgressFunc func,
                          gpointer          user_data);
void vs_hub_set_cancellable (VsHub        *hub,
                             GCancellable *cancellable);

/* GET /api/whoami-v2: {"name", "type", "orgs", "auth": {...}}; VS_ERROR_AUTH
 * without a token or with a bad one. */
cJSON *vs_hub_whoami (VsHub   *hub,
                      GError **error);

/* Checks the token with whoami, then writes it to the token file (mode
 * 0600, folder 0700) and records it in stored_tokens beside it. Returns the
 * user name. The token is cleaned of spaces and newlines first. */
char *vs_hub_login (const char *token,
                    GError    **error);

/* Forgets the saved login as huggingface_hub's logout does: deletes the
 * token file and stored_tokens. HF_TOKEN in the environment is untouched. */
gboolean vs_hub_logout (GError **error);

/* GET /api/{type}s/{id}[/revision/{rev}]: the repo's info object (with
 * "sha", "siblings", ...). revision may be NULL. */
cJSON *vs_hub_repo_info (VsHub        *hub,
                         VsHubRepoType type,
                         const char   *repo_id,
                         const char   *revision,
                         GError      **error);

/* GET /api/models?search=&filter=&sort=downloads&limit= (or /api/datasets):
 * a JSON array of repo objects. query and filter may be NULL. */
cJSON *vs_hub_search (VsHub        *hub,
                      VsHubRepoType type,
                      const char   *query,
                      const char   *filter,
                      guint         limit,
                      GError      **error);

/* The recursive file listing of a revision (all pages followed): a JSON array
 * of {"type","oid","size","path"[,"lfs"]}. */
cJSON *vs_hub_list_files (VsHub        *hub,
                          VsHubRepoType type,
                          const char   *repo_id,
                          const char   *revision,
                          GError      **error);

/* hf_hub_download: one file into the cache (HEAD, then GET of the blob,
 * resumable); returns the path of snapshots/<commit>/<path>. A file missing
 * at that revision gives VS_ERROR_NOT_FOUND and a .no_exist marker. */
char *vs_hub_download_file (VsHub        *hub,
                            VsHubRepoType type,
                            const char   *repo_id,
                            const char   *revision,
                            const char   *path,
                            GError      **error);

/* snapshot_download: every file of the revision whose path matches one of
 * allow_patterns (glob; NULL = all) and none of ignore_patterns; returns the
 * snapshots/<commit> folder. Offline, serves a complete cached snapshot. */
char *vs_hub_snapshot_download (VsHub              *hub,
                                VsHubRepoType       type,
                                const char         *repo_id,
                                const char         *revision,
                                const char *const  *allow_patterns,
                                const char *const  *ignore_patterns,
                                GError            **error);

/* GET /api/datasets/{id}/parquet: {"config": {"split": ["url", ...]}}. */
cJSON *vs_hub_dataset_parquet_urls (VsHub      *hub,
                                    const char *repo_id,
                                    GError    **error);

/* Downloads the dataset's Parquet conversion (refs/convert/parquet) and
 * returns {"config": {"split": ["/local/path.parquet", ...]}}; *out_dir (if
 * not NULL) receives the snapshot folder. */
cJSON *vs_hub_dataset_parquet_files (VsHub      *hub,
                                     const char *repo_id,
                                     char      **out_dir,
                                     GError    **error);

/* POST /api/repos/create; an existing repo (409) is success. *out_url gets
 * the repo URL (may be NULL). */
gboolean vs_hub_create_repo (VsHub        *hub,
                             VsHubRepoType type,
                             const char   *repo_id,
                             gboolean      private_repo,
                             char        **out_url,
                             GError      **error);

/* ---- commits ----------------------------------------------------------- */

typedef struct _VsHubCommit VsHubCommit;

/* A commit under construction: files to add (from local paths), files to
 * delete, the message (summary + optional description), an optional parent
 * commit (the commit then fails with VS_ERROR_CONFLICT if the branch moved). */
VsHubCommit *vs_hub_commit_new (const char *summary);
void vs_hub_commit_free (VsHubCommit *commit);
void vs_hub_commit_set_description (VsHubCommit *commit,
                                    const char  *description);
void vs_hub_commit_set_parent (VsHubCommit *commit,
                               const char  *parent_commit);
void vs_hub_commit_add_file (VsHubCommit *commit,
                             const char  *path_in_repo,
                             const char  *local_path);
void vs_hub_commit_delete_file (VsHubCommit *commit,
                                const char  *path_in_repo);
/* Adds every file under folder (skipping .git/, .cache/, *.incomplete and
 * editor backups), sorted by path, at the same relative paths. */
gboolean vs_hub_commit_add_folder (VsHubCommit *commit,
                                   const char  *folder,
                                   GError     **error);
/* The paths in the repo of the files the commit adds, in the order added.
 * g_strfreev. */
char **vs_hub_commit_dup_paths (VsHubCommit *commit);

/* Preupload, LFS uploads (basic or multipart, then verify), then the NDJSON
 * commit to revision (NULL: main), or a new pull request when create_pr.
 * Returns the server's reply: {"commitOid","commitUrl"[,"pullRequestUrl"]}.
 * When every file is already there unchanged, no commit is made and the
 * reply is {"commitOid": head, "commitUrl": ..., "noChanges": true}. */
cJSON *vs_hub_commit_push (VsHub        *hub,
                           VsHubRepoType type,
                           const char   *repo_id,
                           const char   *revision,
                           VsHubCommit  *commit,
                           gboolean      create_pr,
                           GError      **error);

/* Commits every file under folder (skipping .git/, .cache/ and the
 * folder's own temporary files) with the given message. */
cJSON *vs_hub_upload_folder (VsHub        *hub,
                             VsHubRepoType type,
                             const char   *repo_id,
                             const char   *folder,
                             const char   *revision,
                             const char   *message,
                             gboolean      create_pr,
                             GError      **error);

/* ---- paths ------------------------------------------------------------- */

/* The cache folder of a repo: <cache>/models--org--name. */
char *vs_hub_repo_cache_dir (VsHub        *hub,
                             VsHubRepoType type,
                             const char   *repo_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsHub, vs_hub_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsHubCommit, vs_hub_commit_free)

G_END_DECLS
