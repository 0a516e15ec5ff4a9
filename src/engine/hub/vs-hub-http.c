/* vs-hub-http.c: one Hub request over libcurl, as huggingface_hub makes it.
 *
 * Redirects are followed here, not by libcurl, so that whether the token may
 * go with a request is decided again for every URL: it goes only to the
 * endpoint's own scheme, host and port, and only when that is https or a
 * loopback address. Retries follow huggingface_hub's http_backoff: waits of
 * 1, 2, 4, 8, 8 seconds on transport errors and on 408, 429 and 5xx, with
 * RateLimit (r=0;t=N) and Retry-After honoured on 429.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fault/vs-fault.h"
#include "hub/vs-hub-private.h"

#define MAX_MEMORY_BODY (256u * 1024 * 1024)
#define MAX_REDIRECTS 10
#define MAX_RETRIES 5

typedef struct
{
  VsHub *hub;
  const VsHubRequest *req;
  VsHubResponse *resp;
  /* request body */
  const guint8 *body;
  FILE *body_file;
  gsize body_left;
  /* response */
  gboolean body_to_sink;
  gboolean range_checked;
  guint64 progress_offset;
  gboolean too_big;
  gboolean write_failed;
  int      write_errno;
} Transfer;

void
vs_hub_response_clear (VsHubResponse *resp)
{
  g_clear_pointer (&resp->headers, g_hash_table_unref);
  g_clear_pointer (&resp->body, g_byte_array_unref);
  g_clear_pointer (&resp->url, g_free);
  resp->status = 0;
  resp->sink_bytes = 0;
  resp->unreachable = FALSE;
}

const char *
vs_hub_response_header (const VsHubResponse *resp,
                        const char          *name)
{
  if (resp->headers == NULL)
    return NULL;
  return g_hash_table_lookup (resp->headers, name);
}

cJSON *
vs_hub_response_json (const VsHubResponse *resp,
                      const char          *what,
                      GError             **error)
{
  cJSON *json;

  if (resp->body == NULL || resp->body->len == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: the Hub sent an empty answer where JSON was expected", what);
      return NULL;
    }
  json = cJSON_ParseWithLength ((const char *) resp->body->data, resp->body->len);
  if (json == NULL)
    g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                 "%s: the Hub's answer is not valid JSON (HTTP %ld)", what, resp->status);
  return json;
}

gboolean
vs_hub_check_cancel (VsHub   *hub,
                     GError **error)
{
  if (hub->cancellable != NULL && g_cancellable_is_cancelled (hub->cancellable))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  return TRUE;
}

void
vs_hub_progress_begin (VsHub  *hub,
                       guint64 total)
{
  hub->progress_total = total;
  hub->progress_base = 0;
  hub->progress_current = 0;
  hub->progress_last_us = 0;
  vs_hub_progress_report (hub, TRUE);
}

void
vs_hub_progress_add (VsHub  *hub,
                     guint64 bytes)
{
  hub->progress_base += bytes;
  hub->progress_current = 0;
  vs_hub_progress_report (hub, TRUE);
}

void
vs_hub_progress_report (VsHub   *hub,
                        gboolean force)
{
  gint64 now;

  if (hub->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  /* At most ten reports a second, so a GUI is not flooded. */
  if (!force && now - hub->progress_last_us < 100000)
    return;
  hub->progress_last_us = now;
  hub->progress (hub->progress_base + hub->progress_current, hub->progress_total,
                 hub->progress_data);
}

static size_t
on_header (char  *buffer,
           size_t size,
           size_t nitems,
           void  *user_data)
{
  Transfer *t = user_data;
  gsize len = size * nitems;
  g_autofree char *line = g_strndup (buffer, len);
  char *colon;

  g_strchomp (line);
  if (g_str_has_prefix (line, "HTTP/"))
    {
      const char *sp = strchr (line, ' ');
      /* A new status line (after 100 Continue): forget the earlier headers. */
      g_hash_table_remove_all (t->resp->headers);
      t->resp->status = sp != NULL ? strtol (sp + 1, NULL, 10) : 0;
      return len;
    }
  colon = strchr (line, ':');
  if (colon != NULL && colon != line)
    {
      *colon = '\0';
      g_hash_table_replace (t->resp->headers, g_ascii_strdown (line, -1),
                            g_strdup (g_strstrip (colon + 1)));
    }
  return len;
}

static size_t
on_write (char  *ptr,
          size_t size,
          size_t nmemb,
          void  *user_data)
{
  Transfer *t = user_data;
  gsize len = size * nmemb;
  long status = t->resp->status;

  if (status >= 300 && status < 400)
    return len;   /* a redirect's body is never wanted */

  if (t->req->sink != NULL && status >= 200 && status < 300)
    {
      if (!t->range_checked)
        {
          t->range_checked = TRUE;
          /* Asked for a range but got the whole file (a CDN may do this
           * when it compresses): start the file again from byte 0. */
          if (t->req->range_start > 0 && status == 200)
            {
              fflush (t->req->sink);
              if (ftruncate (fileno (t->req->sink), 0) != 0 ||
                  fseeko (t->req->sink, 0, SEEK_SET) != 0)
                {
                  t->write_failed = TRUE;
                  t->write_errno = errno;
                  return 0;
                }
              t->progress_offset = 0;
            }
        }
      {
        /* The download's writes go through the fault point too: an
         * injected full disk fails here like a real one. */
        int fault = 0;
        gsize allowed = vs_fault_filter (len, &fault);

        if (fwrite (ptr, 1, allowed, t->req->sink) != allowed || fault != 0)
          {
            t->write_failed = TRUE;
            t->write_errno = fault != 0 ? fault : errno;
            return 0;
          }
      }
      t->resp->sink_bytes += len;
      return len;
    }

  if (t->resp->body->len + len > MAX_MEMORY_BODY)
    {
      t->too_big = TRUE;
      return 0;
    }
  g_byte_array_append (t->resp->body, (const guint8 *) ptr, len);
  return len;
}

static size_t
on_read (char  *buffer,
         size_t size,
         size_t nitems,
         void  *user_data)
{
  Transfer *t = user_data;
  gsize want = MIN (size * nitems, t->body_left);

  if (want == 0)
    return 0;
  if (t->body_file != NULL)
    {
      gsize got = fread (buffer, 1, want, t->body_file);
      if (got == 0)
        return CURL_READFUNC_ABORT;
      t->body_left -= got;
      return got;
    }
  memcpy (buffer, t->body, want);
  t->body += want;
  t->body_left -= want;
  return want;
}

static int
on_xferinfo (void      *user_data,
             curl_off_t dltotal,
             curl_off_t dlnow,
             curl_off_t ultotal,
             curl_off_t ulnow)
{
  Transfer *t = user_data;
  VsHub *hub = t->hub;

  if (hub->cancellable != NULL && g_cancellable_is_cancelled (hub->cancellable))
    return 1;
  if (t->req->count_download && t->resp->status >= 200 && t->resp->status < 300)
    {
      hub->progress_current = t->progress_offset + (guint64) dlnow;
      vs_hub_progress_report (hub, FALSE);
    }
  else if (t->req->count_upload)
    {
      hub->progress_current = (guint64) ulnow;
      vs_hub_progress_report (hub, FALSE);
    }
  return 0;
}

/* scheme://host:port of url, lower case; NULL if url is not http(s). */
static char *
url_origin (const char *url,
            gboolean   *is_loopback)
{
  CURLU *u = curl_url ();
  char *scheme = NULL, *host = NULL, *port = NULL;
  char *origin = NULL;

  if (is_loopback != NULL)
    *is_loopback = FALSE;
  if (curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get (u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
      (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0))
    {
      g_autofree char *joined = g_strdup_printf ("%s://%s:%s", scheme, host, port);
      origin = g_ascii_strdown (joined, -1);
      if (is_loopback != NULL)
        *is_loopback = g_ascii_strcasecmp (host, "localhost") == 0 ||
                       g_str_has_prefix (host, "127.") ||
                       strcmp (host, "[::1]") == 0 || strcmp (host, "::1") == 0;
    }
  curl_free (scheme);
  curl_free (host);
  curl_free (port);
  curl_url_cleanup (u);
  return origin;
}




void
vs_hub_http_set_endpoint (VsHub      *hub,
                          const char *endpoint)
{
  gboolean loopback = FALSE;
  g_autofree char *origin = url_origin (endpoint, &loopback);

  g_free (hub->endpoint);
  hub->endpoint = g_strdup (endpoint);
  while (g_str_has_suffix (hub->endpoint, "/"))
    hub->endpoint[strlen (hub->endpoint) - 1] = '\0';
  g_free (hub->endpoint_origin);
  hub->endpoint_origin = g_steal_pointer (&origin);
  hub->endpoint_secure = hub->endpoint_origin != NULL &&
                         (g_str_has_prefix (hub->endpoint_origin, "https://") || loopback);
}

static char *
resolve_location (const char *base,
                  const char *location)
{
  CURLU *u = curl_url ();
  char *out = NULL;
  char *result = NULL;

  if (curl_url_set (u, CURLUPART_URL, base, 0) == CURLUE_OK &&
      curl_url_set (u, CURLUPART_URL, location, 0) == CURLUE_OK &&
      curl_url_get (u, CURLUPART_URL, &out, 0) == CURLUE_OK)
    result = g_strdup (out);
  curl_free (out);
  curl_url_cleanup (u);
  return result;
}

static long
env_seconds (const char *name,
             long        fallback)
{
  const char *v = g_getenv (name);
  long n = v != NULL ? strtol (v, NULL, 10) : 0;

  return n > 0 ? n : fallback;
}

static gboolean
http_once (VsHub              *hub,
           const VsHubRequest *req,
           const char         *method,
           const char         *url,
           gboolean            with_body,
           VsHubResponse      *resp,
           GError            **error)
{
  CURL *c = hub->curl;
  struct curl_slist *headers = NULL;
  Transfer t = { 0 };
  CURLcode res;
  g_autofree char *origin = url_origin (url, NULL);
  g_autofree char *trace = g_uuid_string_random ();
  g_autofree char *trace_header = g_strdup_printf ("X-Amzn-Trace-Id: %s", trace);
  gboolean send_token;

  if (origin == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                   "%s: not an http(s) address: %s", req->what, url);
      return FALSE;
    }
  send_token = req->auth && hub->token != NULL && hub->endpoint_secure &&
               g_strcmp0 (origin, hub->endpoint_origin) == 0;

  g_clear_pointer (&resp->headers, g_hash_table_unref);
  g_clear_pointer (&resp->body, g_byte_array_unref);
  resp->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  resp->body = g_byte_array_new ();
  resp->status = 0;
  resp->sink_bytes = 0;
  resp->unreachable = FALSE;

  t.hub = hub;
  t.req = req;
  t.resp = resp;
  t.progress_offset = req->range_start > 0 ? (guint64) req->range_start : 0;
  if (with_body)
    {
      t.body = req->body;
      t.body_file = req->body_file;
      t.body_left = req->body_len;
      if (req->body_file != NULL && fseeko (req->body_file, req->body_offset, SEEK_SET) != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot seek in the file to upload: %s",
                       req->what, g_strerror (errno));
          return FALSE;
        }
    }
  if (req->sink != NULL)
    {
      /* A retry starts where the previous attempt stopped. */
      if (fseeko (req->sink, req->range_start, SEEK_SET) != 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot seek in the download file: %s",
                       req->what, g_strerror (errno));
          return FALSE;
        }
    }

  curl_easy_reset (c);
  hub->errbuf[0] = '\0';
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, hub->errbuf);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "vectorsmith/" PACKAGE_VERSION "; hf_hub/compatible");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 30L);
  /* huggingface_hub's timeouts: 10 s for the metadata HEAD
   * (HF_HUB_ETAG_TIMEOUT); a download that stalls for 10 s
   * (HF_HUB_DOWNLOAD_TIMEOUT) counts as dropped and is resumed; API calls
   * get longer, as a commit may take the server a minute. */
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  if (strcmp (method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_TIMEOUT, env_seconds ("HF_HUB_ETAG_TIMEOUT", 10));
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME,
                    req->sink != NULL ? env_seconds ("HF_HUB_DOWNLOAD_TIMEOUT", 10) : 300L);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt (c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
  curl_easy_setopt (c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt (c, CURLOPT_NOPROGRESS, 0L);
  if (req->identity)
    headers = curl_slist_append (headers, "Accept-Encoding: identity");
  else
    curl_easy_setopt (c, CURLOPT_ACCEPT_ENCODING, "");

  if (strcmp (method, "HEAD") == 0)
    curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
  else if (strcmp (method, "POST") == 0)
    {
      curl_easy_setopt (c, CURLOPT_POST, 1L);
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) (with_body ? req->body_len : 0));
      curl_easy_setopt (c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (c, CURLOPT_READDATA, &t);
    }
  else if (strcmp (method, "PUT") == 0)
    {
      curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) (with_body ? req->body_len : 0));
      curl_easy_setopt (c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (c, CURLOPT_READDATA, &t);
    }
  else if (strcmp (method, "GET") != 0)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, method);

  headers = curl_slist_append (headers, "Expect:");
  headers = curl_slist_append (headers, trace_header);
  if (send_token)
    {
      g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", hub->token);
      headers = curl_slist_append (headers, auth);
      /* the string is copied by curl; wipe ours */
      memset (auth, 0, strlen (auth));
    }
  if (req->content_type != NULL && with_body)
    {
      g_autofree char *h = g_strdup_printf ("Content-Type: %s", req->content_type);
      headers = curl_slist_append (headers, h);
    }
  if (req->accept != NULL)
    {
      g_autofree char *h = g_strdup_printf ("Accept: %s", req->accept);
      headers = curl_slist_append (headers, h);
    }
  if (req->range_start > 0)
    {
      g_autofree char *h = g_strdup_printf ("Range: bytes=%" G_GINT64_FORMAT "-",
                                            (gint64) req->range_start);
      headers = curl_slist_append (headers, h);
    }
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);

  resp->unreachable = FALSE;
  res = curl_easy_perform (c);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (headers);
  if (req->sink != NULL)
    fflush (req->sink);

  if (res == CURLE_OK)
    {
      long code = 0;
      curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &code);
      resp->status = code;
      return TRUE;
    }
  if (res == CURLE_ABORTED_BY_CALLBACK)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  if (t.write_failed)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot write the download to disk: %s",
                   req->what, g_strerror (t.write_errno != 0 ? t.write_errno : EIO));
      return FALSE;
    }
  if (t.too_big)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the Hub's answer is larger than %u MiB",
                   req->what, MAX_MEMORY_BODY >> 20);
      return FALSE;
    }
  /* A host that cannot be reached at all is not a dropped connection: retrying
   * it only makes the user wait (huggingface_hub does not retry it either). */
  resp->unreachable = (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
                       res == CURLE_COULDNT_RESOLVE_PROXY);
  g_set_error (error, VS_ERROR, VS_ERROR_NETWORK, "%s: the connection to %s failed: %s",
               req->what, origin, hub->errbuf[0] != '\0' ? hub->errbuf : curl_easy_strerror (res));
  return FALSE;
}

static gboolean
http_follow (VsHub              *hub,
             const VsHubRequest *req,
             VsHubResponse      *resp,
             GError            **error)
{
  g_autofree char *url = g_strdup (req->url);
  const char *method = req->method;
  gboolean with_body = TRUE;

  for (guint hop = 0; ; hop++)
    {
      const char *location;
      char *next;

      if (!http_once (hub, req, method, url, with_body, resp, error))
        return FALSE;
      location = vs_hub_response_header (resp, "location");
      if (!req->follow_redirects || location == NULL ||
          !(resp->status == 301 || resp->status == 302 || resp->status == 303 ||
            resp->status == 307 || resp->status == 308))
        break;
      if (hop >= MAX_REDIRECTS)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NETWORK, "%s: too many redirects", req->what);
          return FALSE;
        }
      next = resolve_location (url, location);
      if (next == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NETWORK, "%s: the Hub redirected to a bad address",
                       req->what);
          return FALSE;
        }
      g_free (url);
      url = next;
      if (resp->status == 303 ||
          ((resp->status == 301 || resp->status == 302) && strcmp (method, "POST") == 0))
        {
          method = "GET";
          with_body = FALSE;
        }
    }
  g_free (resp->url);
  resp->url = g_steal_pointer (&url);
  return TRUE;
}

/* Seconds to wait before retry number `attempt` (0-based) after resp. */
static guint
retry_wait (const VsHubResponse *resp,
            guint                attempt)
{
  guint wait = MIN (1u << attempt, 8u);

  if (resp != NULL && resp->status == 429)
    {
      const char *rl = vs_hub_response_header (resp, "ratelimit");
      const char *ra = vs_hub_response_header (resp, "retry-after");
      const char *r = rl != NULL ? strstr (rl, ";r=") : NULL;
      const char *tt = rl != NULL ? strstr (rl, ";t=") : NULL;

      if (r != NULL && tt != NULL && strtol (r + 3, NULL, 10) == 0)
        wait = (guint) CLAMP (strtol (tt + 3, NULL, 10), 0, 300) + 1;
      else if (ra != NULL && g_ascii_isdigit (ra[0]))
        wait = (guint) CLAMP (strtol (ra, NULL, 10), 0, 300) + 1;
    }
  return wait;
}

static gboolean
sleep_cancellable (VsHub *hub,
                   guint  seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      if (hub->cancellable != NULL && g_cancellable_is_cancelled (hub->cancellable))
        return FALSE;
      g_usleep (50000);
    }
  return TRUE;
}

static gboolean
status_is_retryable (long status)
{
  return status == 408 || status == 429 || status == 500 || status == 502 ||
         status == 503 || status == 504;
}

/* "X-HF-Warning: <topic>; <message>": shown once per topic per process. */
static void
show_warning (const char *value)
{
  static GHashTable *seen;
  G_LOCK_DEFINE_STATIC (seen);
  const char *semi;
  g_autofree char *topic = NULL;
  gboolean fresh;

  if (value == NULL || value[0] == '\0')
    return;
  semi = strchr (value, ';');
  topic = semi != NULL ? g_strndup (value, semi - value) : g_strdup (value);
  G_LOCK (seen);
  if (seen == NULL)
    seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fresh = !g_hash_table_contains (seen, topic);
  if (fresh)
    g_hash_table_add (seen, g_strdup (topic));
  G_UNLOCK (seen);
  if (fresh)
    {
      g_autofree char *text = g_strdup (semi != NULL ? semi + 1 : value);
      g_message ("The Hub says: %s", g_strstrip (text));
    }
}

gboolean
vs_hub_http (VsHub              *hub,
             const VsHubRequest *req,
             VsHubResponse      *resp,
             GError            **error)
{
  if (hub->offline)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NETWORK,
                   "%s: offline mode is on (HF_HUB_OFFLINE), so the Hub cannot be asked", req->what);
      return FALSE;
    }
  if (req->require_auth)
    {
      if (hub->token == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_AUTH,
                       "%s: no Hub token; set HF_TOKEN or run `vectorsmith-cli login`", req->what);
          return FALSE;
        }
      if (!hub->endpoint_secure)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_AUTH,
                       "%s: the Hub address %s is plain http; the token is only sent over https "
                       "(or to this machine)", req->what, hub->endpoint);
          return FALSE;
        }
    }

  for (guint attempt = 0; ; attempt++)
    {
      g_autoptr(GError) local = NULL;
      gboolean ok;

      if (!vs_hub_check_cancel (hub, error))
        return FALSE;
      ok = http_follow (hub, req, resp, &local);
      if (ok)
        show_warning (vs_hub_response_header (resp, "x-hf-warning"));
      if (!ok && g_error_matches (local, VS_ERROR, VS_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (ok && !status_is_retryable (resp->status))
        return TRUE;
      if (!ok && !g_error_matches (local, VS_ERROR, VS_ERROR_NETWORK))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (req->retry == VS_HUB_RETRY_NONE || attempt >= MAX_RETRIES || (!ok && resp->unreachable) ||
          (req->retry == VS_HUB_RETRY_429_ONLY && !(ok && resp->status == 429)))
        {
          if (!ok)
            g_propagate_error (error, g_steal_pointer (&local));
          return ok;
        }
      g_debug ("%s: retrying (attempt %u) after %s", req->what, attempt + 1,
               ok ? "an HTTP error" : local->message);
      if (!sleep_cancellable (hub, retry_wait (ok ? resp : NULL, attempt)))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED, "cancelled");
          return FALSE;
        }
    }
}

static char *
server_message (const VsHubResponse *resp)
{
  const char *msg = vs_hub_response_header (resp, "x-error-message");
  g_autoptr(VsHubJson) json = NULL;
  const cJSON *e;

  if (msg != NULL && msg[0] != '\0')
    return g_strdup (msg);
  if (resp->body == NULL || resp->body->len == 0)
    return NULL;
  json = cJSON_ParseWithLength ((const char *) resp->body->data, resp->body->len);
  if (json == NULL)
    return NULL;
  e = cJSON_GetObjectItemCaseSensitive (json, "error");
  if (cJSON_IsString (e))
    return g_strdup (e->valuestring);
  if (cJSON_IsArray (e) && cJSON_IsString (cJSON_GetArrayItem (e, 0)))
    return g_strdup (cJSON_GetArrayItem (e, 0)->valuestring);
  e = cJSON_GetObjectItemCaseSensitive (json, "errors");
  if (cJSON_IsArray (e))
    {
      const cJSON *m = cJSON_GetObjectItemCaseSensitive (cJSON_GetArrayItem (e, 0), "message");
      if (cJSON_IsString (m))
        return g_strdup (m->valuestring);
    }
  return NULL;
}

void
vs_hub_set_http_error (VsHub               *hub,
                       const VsHubResponse *resp,
                       const char          *what,
                       GError             **error)
{
  const char *code = vs_hub_response_header (resp, "x-error-code");
  const char *request_id = vs_hub_response_header (resp, "x-request-id");
  g_autofree char *msg = server_message (resp);
  g_autofree char *tail = NULL;
  long status = resp->status;
  VsError kind;
  const char *words;

  if (code == NULL)
    code = "";
  if (g_strcmp0 (code, "RevisionNotFound") == 0)
    kind = VS_ERROR_NOT_FOUND, words = "revision not found";
  else if (g_strcmp0 (code, "EntryNotFound") == 0)
    kind = VS_ERROR_NOT_FOUND, words = "file not found in the repo";
  else if (g_strcmp0 (code, "GatedRepo") == 0)
    kind = VS_ERROR_PERMISSION,
    words = "this repo is gated: ask for access on its Hub page, then use a token of the approved account";
  else if (msg != NULL && strstr (msg, "Access to this resource is disabled") != NULL)
    kind = VS_ERROR_PERMISSION, words = "this repo has been disabled";
  else if (status == 401 && msg != NULL && strstr (msg, "Invalid credentials") != NULL)
    kind = VS_ERROR_AUTH, words = "the Hub rejected the token (invalid credentials); "
                                  "log in again with a valid token";
  else if (g_strcmp0 (code, "RepoNotFound") == 0 || status == 401)
    kind = VS_ERROR_NOT_FOUND,
    words = hub->token != NULL ? "repo not found (or it is private and this token cannot see it)"
                               : "repo not found (or it is private or gated: log in with a token)";
  else if (status == 403)
    kind = VS_ERROR_PERMISSION, words = "permission denied: this token has no write access here";
  else if (status == 404)
    kind = VS_ERROR_NOT_FOUND, words = "not found";
  else if (status == 409)
    kind = VS_ERROR_CONFLICT, words = "conflict with the repo's current state";
  else if (status == 412)
    kind = VS_ERROR_CONFLICT, words = "the branch moved since this commit was prepared "
                                      "(parent commit mismatch); try again";
  else if (status == 416)
    kind = VS_ERROR_NETWORK, words = "the server refused the byte range asked for";
  else if (status == 413)
    kind = VS_ERROR_INVALID, words = "the Hub refused the request as too large";
  else if (status == 429)
    kind = VS_ERROR_RATE_LIMITED, words = "rate limited by the Hub: too many requests; wait a few minutes";
  else if (status == 400 || status == 422)
    kind = VS_ERROR_INVALID, words = "the Hub refused the request";
  else if (status >= 500)
    kind = VS_ERROR_NETWORK, words = "the Hub had a server error; try again later";
  else
    kind = VS_ERROR_FAILED, words = "unexpected answer from the Hub";

  tail = g_strdup_printf (" (HTTP %ld%s%s)", status,
                          request_id != NULL ? ", request id " : "",
                          request_id != NULL ? request_id : "");
  if (msg != NULL && msg[0] != '\0')
    g_set_error (error, VS_ERROR, kind, "%s: %s: %s%s", what, words, msg, tail);
  else
    g_set_error (error, VS_ERROR, kind, "%s: %s%s", what, words, tail);
  vs_hub_scrub_error (hub, error);
}

gboolean
vs_hub_http_ok (VsHub              *hub,
                const VsHubRequest *req,
                VsHubResponse      *resp,
                cJSON             **out_json,
                GError            **error)
{
  if (!vs_hub_http (hub, req, resp, error))
    return FALSE;
  if (resp->status < 200 || resp->status >= 300)
    {
      vs_hub_set_http_error (hub, resp, req->what, error);
      return FALSE;
    }
  if (out_json != NULL)
    {
      *out_json = vs_hub_response_json (resp, req->what, error);
      if (*out_json == NULL)
        return FALSE;
    }
  return TRUE;
}

void
vs_hub_scrub_error (VsHub   *hub,
                    GError **error)
{
  char *hit;

  if (error == NULL || *error == NULL || hub->token == NULL || hub->token[0] == '\0')
    return;
  while ((hit = strstr ((*error)->message, hub->token)) != NULL)
    {
      gsize n = strlen (hub->token);
      g_autofree char *before = g_strndup ((*error)->message, hit - (*error)->message);
      char *fixed = g_strconcat (before, "<token>", hit + n, NULL);
      g_free ((*error)->message);
      (*error)->message = fixed;
    }
}

char *
vs_hub_encode (const char *s,
               gboolean    keep_slash)
{
  return g_uri_escape_string (s, keep_slash ? "/" : NULL, FALSE);
}

const char *
vs_hub_type_plural (VsHubRepoType type)
{
  switch (type)
    {
    case VS_HUB_REPO_DATASET:
      return "datasets";
    case VS_HUB_REPO_SPACE:
      return "spaces";
    case VS_HUB_REPO_MODEL:
    default:
      return "models";
    }
}

const char *
vs_hub_type_prefix (VsHubRepoType type)
{
  switch (type)
    {
    case VS_HUB_REPO_DATASET:
      return "datasets/";
    case VS_HUB_REPO_SPACE:
      return "spaces/";
    case VS_HUB_REPO_MODEL:
    default:
      return "";
    }
}

gboolean
vs_hub_path_is_safe (const char *path)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL || path[0] == '\0' || path[0] == '/' || strchr (path, '\\') != NULL)
    return FALSE;
  if (!g_utf8_validate (path, -1, NULL))
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0 || strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

gboolean
vs_hub_is_commit_hash (const char *s)
{
  if (s == NULL || strlen (s) != 40)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}
