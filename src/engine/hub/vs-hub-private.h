/* vs-hub-private.h: what the files of the hub module share (not installed).
 *
 * vs-hub-http.c  one request over the VsHub's CURL handle: manual redirects
 *                (so the token is re-decided for every hop), retries with
 *                backoff, progress, cancel, errors in plain words.
 * vs-hub.c       settings, auth, info, search, download into the cache.
 * vs-hub-upload.c create repo, preupload, LFS transfers, commit.
 */
#pragma once

#include <stdio.h>
#include <curl/curl.h>

#include "vs-error.h"
#include "hub/vs-hub.h"

G_BEGIN_DECLS

/* cJSON has no autoptr in its header; a private alias keeps ours from
 * colliding with another module's definition. */
typedef cJSON VsHubJson;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsHubJson, cJSON_Delete)

struct _VsHub
{
  CURL *curl;
  char errbuf[CURL_ERROR_SIZE];
  char *endpoint;          /* no trailing '/' */
  char *endpoint_origin;   /* scheme://host:port, lower case */
  gboolean endpoint_secure; /* https, or plain http to a loopback host */
  char *token;             /* NULL: anonymous */
  char *cache_dir;
  gboolean offline;
  VsHubProgressFunc progress;
  gpointer progress_data;
  GCancellable *cancellable;
  /* progress bookkeeping of the running operation */
  guint64 progress_total;
  guint64 progress_base;
  guint64 progress_current;
  gint64 progress_last_us;
};

typedef enum
{
  VS_HUB_RETRY_NONE,      /* one attempt (commits, whoami, first listing page) */
  VS_HUB_RETRY_BACKOFF,   /* 5 retries on transport errors, 408, 429, 5xx */
  VS_HUB_RETRY_429_ONLY,  /* retries only when the server said 429 (nothing was done) */
} VsHubRetry;

typedef struct
{
  const char *method;          /* "GET", "HEAD", "POST", "PUT" */
  const char *url;
  gboolean auth;               /* send the token if the URL is the endpoint's host */
  gboolean require_auth;       /* fail if there is no token or it may not be sent */
  gboolean follow_redirects;
  const char *content_type;
  const char *accept;
  const guint8 *body;          /* in-memory body, or ... */
  gsize body_len;
  FILE *body_file;             /* ... body_len bytes of this file from body_offset */
  goffset body_offset;
  FILE *sink;                  /* write the response body here (else memory) */
  goffset range_start;         /* > 0: "Range: bytes=N-" */
  gboolean identity;           /* Accept-Encoding: identity */
  gboolean count_upload;       /* report sent body bytes as progress */
  gboolean count_download;     /* report received body bytes as progress */
  VsHubRetry retry;
  const char *what;            /* names the thing in errors ("alice/model") */
} VsHubRequest;

typedef struct
{
  long status;
  GHashTable *headers;         /* lower-case name -> value */
  GByteArray *body;
  char *url;                   /* the URL that answered (after redirects) */
  guint64 sink_bytes;          /* bytes written to the sink by this request */
  gboolean unreachable;        /* no connection was made (refused, unknown host) */
} VsHubResponse;

void vs_hub_response_clear (VsHubResponse *resp);
const char *vs_hub_response_header (const VsHubResponse *resp,
                                    const char          *name);
cJSON *vs_hub_response_json (const VsHubResponse *resp,
                             const char          *what,
                             GError             **error);

/* One request with the retry policy of req->retry and manual redirects.
 * TRUE when a final HTTP answer arrived (any status); FALSE with
 * VS_ERROR_NETWORK / VS_ERROR_CANCELLED otherwise. */
gboolean vs_hub_http (VsHub              *hub,
                      const VsHubRequest *req,
                      VsHubResponse      *resp,
                      GError            **error);

/* Turns a non-2xx answer into a GError in plain words. */
void vs_hub_set_http_error (VsHub               *hub,
                            const VsHubResponse *resp,
                            const char          *what,
                            GError             **error);

/* vs_hub_http then vs_hub_set_http_error unless 2xx; parses JSON when
 * out_json is not NULL. */
gboolean vs_hub_http_ok (VsHub              *hub,
                         const VsHubRequest *req,
                         VsHubResponse      *resp,
                         cJSON             **out_json,
                         GError            **error);

gboolean vs_hub_check_cancel (VsHub   *hub,
                              GError **error);
void vs_hub_progress_begin (VsHub  *hub,
                            guint64 total);
void vs_hub_progress_add (VsHub  *hub,
                          guint64 bytes);
void vs_hub_progress_report (VsHub  *hub,
                             gboolean force);

/* Percent-encodes s; keep_slash leaves '/' as is. */
char *vs_hub_encode (const char *s,
                     gboolean    keep_slash);
const char *vs_hub_type_plural (VsHubRepoType type);   /* "models" */
const char *vs_hub_type_prefix (VsHubRepoType type);   /* "" or "datasets/" */
/* Checks a repo-relative path from a server or a caller: not empty, not
 * absolute, no "." or ".." segments, no backslashes or NULs. */
gboolean vs_hub_path_is_safe (const char *path);
/* Removes the token from a message if a server echoed it back. */
void vs_hub_scrub_error (VsHub   *hub,
                         GError **error);
gboolean vs_hub_is_commit_hash (const char *s);
/* Sets endpoint, its origin and whether the token may be sent to it. */
void vs_hub_http_set_endpoint (VsHub      *hub,
                               const char *endpoint);

G_END_DECLS
