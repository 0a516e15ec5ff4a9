/* fuzz-hub-json.c: every Hub answer the client parses: whoami, repo info,
 * the tree listing, search, the dataset's parquet listing, create repo,
 * preupload, the LFS batch answer, the commit answer, and downloads.
 *
 * The client talks HTTP (libcurl), so the harness serves it from a loopback
 * server in this process: byte 0 of the input picks the operation, the rest
 * is split at NUL bytes into the bodies of the 1st, 2nd, ... answer (the
 * last one repeats). A body that starts with "!NNN" is answered with status
 * NNN (2xx and 4xx only: 408, 429 and 5xx would make the client back off).
 * "@ENDPOINT@" in a body becomes the server's address (upload and parquet
 * URLs). Every answer has an ETag, X-Repo-Commit and a JSON content type. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "hub/vs-hub.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

static int listen_fd = -1;
static GMutex lock;
static GPtrArray *bodies;       /* GBytes, the answers of this input */
static guint next_answer;
static char *upload_dir;
static char *cache_dir;
static char *endpoint;

static GBytes *
take_answer (void)
{
  g_mutex_lock (&lock);
  GBytes *b = NULL;
  if (bodies != NULL && bodies->len > 0)
    {
      guint i = MIN (next_answer, bodies->len - 1);
      gsize len = 0;
      const char *data = g_bytes_get_data (g_ptr_array_index (bodies, i), &len);
      GString *s = g_string_new_len (data, (gssize) len);
      g_string_replace (s, "@ENDPOINT@", endpoint, 0);
      len = s->len;
      b = g_bytes_new_take (g_string_free (s, FALSE), len);
      next_answer++;
    }
  g_mutex_unlock (&lock);
  return b != NULL ? b : g_bytes_new_static ("{}", 2);
}

static void
write_all (int fd, const char *p, gsize n)
{
  while (n > 0)
    {
      ssize_t w = send (fd, p, n, MSG_NOSIGNAL);
      if (w <= 0)
        return;
      p += w;
      n -= (gsize) w;
    }
}

static void
serve_one (int fd)
{
  /* The request: headers, then Content-Length bytes of body (read and
   * dropped). */
  GString *req = g_string_new (NULL);
  char buf[4096];
  const char *end = NULL;
  while ((end = strstr (req->str, "\r\n\r\n")) == NULL)
    {
      ssize_t r = recv (fd, buf, sizeof buf, 0);
      if (r <= 0)
        {
          g_string_free (req, TRUE);
          return;
        }
      g_string_append_len (req, buf, r);
    }
  gsize head_len = (gsize) (end - req->str) + 4;
  gsize body_len = 0;
  g_autofree char *lower = g_ascii_strdown (req->str, (gssize) head_len);
  const char *cl = strstr (lower, "\r\ncontent-length:");
  if (cl != NULL)
    body_len = (gsize) g_ascii_strtoull (cl + 17, NULL, 10);
  gboolean head = g_str_has_prefix (req->str, "HEAD ");
  gboolean expect = strstr (lower, "\r\nexpect: 100-continue") != NULL;
  gsize have = req->len - head_len;
  g_string_free (req, TRUE);
  if (expect)
    write_all (fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  while (have < body_len)
    {
      ssize_t r = recv (fd, buf, sizeof buf, 0);
      if (r <= 0)
        break;
      have += (gsize) r;
    }

  g_autoptr(GBytes) answer = take_answer ();
  gsize len = 0;
  const char *data = g_bytes_get_data (answer, &len);
  int status = 200;
  if (len >= 4 && data[0] == '!' && g_ascii_isdigit (data[1]) && g_ascii_isdigit (data[2]) && g_ascii_isdigit (data[3]))
    {
      int s = (data[1] - '0') * 100 + (data[2] - '0') * 10 + (data[3] - '0');
      if ((s >= 200 && s < 300) || (s >= 400 && s < 500 && s != 408 && s != 429))
        status = s;
      data += 4;
      len -= 4;
    }
  g_autofree char *headers = g_strdup_printf (
    "HTTP/1.1 %d Fuzz\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: %zu\r\n"
    "ETag: \"0123456789abcdef0123456789abcdef01234567\"\r\n"
    "X-Repo-Commit: 0123456789abcdef0123456789abcdef01234567\r\n"
    "Connection: close\r\n\r\n", status, len);
  write_all (fd, headers, strlen (headers));
  if (!head)
    write_all (fd, data, len);
}

static gpointer
server_thread (gpointer unused)
{
  for (;;)
    {
      int fd = accept (listen_fd, NULL, NULL);
      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          return NULL;
        }
      serve_one (fd);
      shutdown (fd, SHUT_WR);
      close (fd);
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  struct sockaddr_in addr = { 0 };
  socklen_t alen = sizeof addr;
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  listen_fd = socket (AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0 || bind (listen_fd, (struct sockaddr *) &addr, sizeof addr) < 0
      || listen (listen_fd, 64) < 0 || getsockname (listen_fd, (struct sockaddr *) &addr, &alen) < 0)
    g_error ("fuzz-hub-json: cannot listen on loopback: %s", g_strerror (errno));
  endpoint = g_strdup_printf ("http://127.0.0.1:%u", ntohs (addr.sin_port));
  g_setenv ("HF_ENDPOINT", endpoint, TRUE);
  g_unsetenv ("HF_HUB_OFFLINE");
  g_unsetenv ("HF_TOKEN");
  g_thread_unref (g_thread_new ("fuzz-hub-server", server_thread, NULL));

  /* A folder to push: a card and a small binary file. */
  upload_dir = g_build_filename (fuzz_temp_dir (), "push", NULL);
  cache_dir = g_build_filename (fuzz_temp_dir (), "cache", NULL);
  static const guint8 weights[64] = { 8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ' };
  g_free (fuzz_write_file ("push/README.md", (const guint8 *) "---\nlicense: mit\n---\n# m\n", 25));
  g_free (fuzz_write_file ("push/model.safetensors", weights, sizeof weights));
  return 0;
}

static void
run_operation (guint op)
{
  g_autoptr(VsHub) hub = vs_hub_new ();
  g_autoptr(GError) error = NULL;
  vs_hub_set_token (hub, "hf_fuzz_token_0000000000000000000000");
  vs_hub_set_cache_dir (hub, cache_dir);
  switch (op)
    {
    case 0:
      {
        g_autoptr(cJSON) j = vs_hub_whoami (hub, &error);
        break;
      }
    case 1:
      {
        g_autoptr(cJSON) j = vs_hub_repo_info (hub, VS_HUB_REPO_MODEL, "user/model", NULL, &error);
        break;
      }
    case 2:
      {
        g_autoptr(cJSON) j = vs_hub_repo_info (hub, VS_HUB_REPO_DATASET, "user/data", "main", &error);
        break;
      }
    case 3:
      {
        g_autoptr(cJSON) j = vs_hub_list_files (hub, VS_HUB_REPO_MODEL, "user/model", NULL, &error);
        break;
      }
    case 4:
      {
        g_autoptr(cJSON) j = vs_hub_search (hub, VS_HUB_REPO_MODEL, "mini", NULL, 5, &error);
        break;
      }
    case 5:
      {
        g_autofree char *dir = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "user/model", NULL,
                                                         NULL, NULL, &error);
        break;
      }
    case 6:
      {
        g_autofree char *path = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "user/model", NULL,
                                                      "config.json", &error);
        break;
      }
    case 7:
      {
        g_autoptr(cJSON) j = vs_hub_dataset_parquet_urls (hub, "user/data", &error);
        break;
      }
    case 8:
      {
        g_autofree char *dir = NULL;
        g_autoptr(cJSON) j = vs_hub_dataset_parquet_files (hub, "user/data", &dir, &error);
        break;
      }
    case 9:
      {
        g_autofree char *url = NULL;
        (void) vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "user/model", TRUE, &url, &error);
        break;
      }
    case 10:
      {
        g_autoptr(cJSON) j = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "user/model", upload_dir,
                                                   NULL, "fuzz", FALSE, &error);
        break;
      }
    default:
      {
        g_autoptr(VsHubCommit) commit = vs_hub_commit_new ("fuzz");
        g_autofree char *weights = g_build_filename (upload_dir, "model.safetensors", NULL);
        vs_hub_commit_set_parent (commit, "0123456789abcdef0123456789abcdef01234567");
        vs_hub_commit_add_file (commit, "sub/model.safetensors", weights);
        vs_hub_commit_delete_file (commit, "old.txt");
        g_autoptr(cJSON) j = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, "user/model", "main",
                                                 commit, TRUE, &error);
        break;
      }
    }
  if (error != NULL)
    g_assert (error->message != NULL && strstr (error->message, "hf_fuzz_token") == NULL);
  if (g_getenv ("VS_FUZZ_VERBOSE") != NULL)
    g_printerr ("op %u: %u answers: %s\n", op, next_answer, error != NULL ? error->message : "ok");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  const uint8_t *p = data + 1, *stop = data + size;
  for (;;)
    {
      const uint8_t *nul = memchr (p, 0, (gsize) (stop - p));
      const uint8_t *e = nul != NULL ? nul : stop;
      g_ptr_array_add (parts, g_bytes_new (p, (gsize) (e - p)));
      if (nul == NULL)
        break;
      p = nul + 1;
    }
  g_mutex_lock (&lock);
  bodies = parts;
  next_answer = 0;
  g_mutex_unlock (&lock);

  run_operation (data[0] % 12);

  g_mutex_lock (&lock);
  bodies = NULL;
  g_mutex_unlock (&lock);
  fuzz_rm_rf (cache_dir);
  return 0;
}
