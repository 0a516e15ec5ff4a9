/* test-hub.c: the Hub client against the fake Hub over HTTP on 127.0.0.1.
 *
 * Every test starts its own fake Hub (fresh state) and its own $HF_HOME.
 * References are independent of our code: blob names are checked against
 * SHA-256 values recorded in ../shared/data's git-lfs pointer file and git
 * blob SHA-1s computed here from the bytes; the fake Hub's own state (its
 * request log, LFS store and branch heads) tells what went over the wire.
 * Every error message is checked for the token and appended to
 * $VS_BUILD_DIR/tests/hub-outputs/test-hub.txt for the suite-wide scan.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <glib/gstdio.h>

#include "vs-error.h"
#include "hub/vs-hub.h"
#include "hub/vs-model-card.h"

typedef cJSON TJson;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TJson, cJSON_Delete)

static const char *fake_hub_path;

typedef struct
{
  GSubprocess *proc;
  char *hub;
  char *cdn;
  char *tmp;
  char *hf_home;
  char *cache;
} Fake;

/* ---- fixtures -------------------------------------------------------------- */

static void
fake_start (Fake *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);
  GInputStream *out;
  g_autoptr(GDataInputStream) data = NULL;
  g_autofree char *line = NULL;
  char *sp;

  f->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              fake_hub_path, "--parquet", parquet, NULL);
  g_assert_no_error (error);
  out = g_subprocess_get_stdout_pipe (f->proc);
  data = g_data_input_stream_new (out);
  line = g_data_input_stream_read_line (data, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  sp = strchr (line, ' ');
  g_assert_nonnull (sp);
  f->hub = g_strndup (line, sp - line);
  f->cdn = g_strdup (sp + 1);
  f->tmp = g_dir_make_tmp ("vs-hub-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->hf_home = g_build_filename (f->tmp, "hf", NULL);
  f->cache = g_build_filename (f->hf_home, "hub", NULL);
  g_setenv ("HF_ENDPOINT", f->hub, TRUE);
  g_setenv ("HF_HOME", f->hf_home, TRUE);
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  g_unsetenv ("HF_HUB_CACHE");
  g_unsetenv ("HF_TOKEN_PATH");
  g_unsetenv ("HF_HUB_OFFLINE");
  g_unsetenv ("HUGGING_FACE_HUB_TOKEN");
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fake_stop (Fake *f)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (f->proc);

  g_output_stream_close (in, NULL, NULL);
  g_subprocess_wait (f->proc, NULL, NULL);
  g_clear_object (&f->proc);
  rm_rf (f->tmp);
  g_free (f->hub);
  g_free (f->cdn);
  g_free (f->tmp);
  g_free (f->hf_home);
  g_free (f->cache);
}

static size_t
collect (char *ptr, size_t size, size_t n, void *user)
{
  g_string_append_len (user, ptr, size * n);
  return size * n;
}

/* A control request to the fake Hub (plain curl, no token). */
static cJSON *
fake_call (Fake *f, const char *path, const char *json_body)
{
  CURL *c = curl_easy_init ();
  g_autofree char *url = g_strconcat (f->hub, path, NULL);
  g_autoptr(GString) body = g_string_new (NULL);

  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, body);
  if (json_body != NULL)
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, json_body);
  g_assert_cmpint (curl_easy_perform (c), ==, CURLE_OK);
  curl_easy_cleanup (c);
  return cJSON_Parse (body->str);
}

static void
fake_rule (Fake *f, const char *json)
{
  g_autoptr(TJson) r = fake_call (f, "/_test/rule", json);
  g_assert_nonnull (r);
}

static guint
count_requests (Fake *f, const char *method, const char *host, const char *path_part, guint *with_auth)
{
  g_autoptr(TJson) log = fake_call (f, "/_test/log", NULL);
  const cJSON *e;
  guint n = 0;

  if (with_auth != NULL)
    *with_auth = 0;
  cJSON_ArrayForEach (e, log)
    {
      if ((method == NULL || strcmp (cJSON_GetObjectItem (e, "method")->valuestring, method) == 0) &&
          (host == NULL || strcmp (cJSON_GetObjectItem (e, "host")->valuestring, host) == 0) &&
          strstr (cJSON_GetObjectItem (e, "path")->valuestring, path_part) != NULL)
        {
          n++;
          if (with_auth != NULL && cJSON_IsTrue (cJSON_GetObjectItem (e, "auth")))
            (*with_auth)++;
        }
    }
  return n;
}

static cJSON *
fake_state (Fake *f)
{
  return fake_call (f, "/_test/state", NULL);
}

static const char *
head_of (const cJSON *state, const char *repo_key, const char *branch)
{
  const cJSON *r = cJSON_GetObjectItem (cJSON_GetObjectItem (state, "repos"), repo_key);
  const cJSON *b = cJSON_GetObjectItem (cJSON_GetObjectItem (r, "branches"), branch);

  return cJSON_IsString (b) ? b->valuestring : NULL;
}

/* Records an error message for the token scan and checks it here too. */
static void
check_message (const GError *error)
{
  const char *dir = g_getenv ("VS_BUILD_DIR");
  g_autofree char *outdir = g_build_filename (dir != NULL ? dir : ".", "tests", "hub-outputs", NULL);
  g_autofree char *path = g_build_filename (outdir, "test-hub.txt", NULL);
  FILE *fp;

  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_null (strstr (error->message, "hf_test"));
  g_mkdir_with_parents (outdir, 0755);
  fp = fopen (path, "a");
  if (fp != NULL)
    {
      fprintf (fp, "%s\n", error->message);
      fclose (fp);
    }
}

#define ASSERT_ERROR(err, code, words)                                  \
  G_STMT_START {                                                        \
    g_assert_error ((err), VS_ERROR, (code));                           \
    check_message (err);                                                \
    if (strstr ((err)->message, (words)) == NULL)                       \
      g_error ("message \"%s\" lacks \"%s\"", (err)->message, (words)); \
  } G_STMT_END

/* ---- a hand-made model folder ------------------------------------------------- */

static void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize n;
  g_autofree char *dir = g_path_get_dirname (to);

  g_assert_true (g_file_get_contents (from, &data, &n, NULL));
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (g_file_set_contents (to, data, n, NULL));
}

/* A small but valid safetensors file: one F32 tensor of n floats. */
static void
write_safetensors (const char *path, guint n)
{
  g_autofree char *header = g_strdup_printf ("{\"w\":{\"dtype\":\"F32\",\"shape\":[%u],\"data_offsets\":[0,%u]}}",
                                             n, n * 4);
  gsize hlen = strlen (header);
  gsize padded = (hlen + 7) / 8 * 8;
  GByteArray *b = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE (padded);

  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) header, hlen);
  for (gsize i = hlen; i < padded; i++)
    g_byte_array_append (b, (const guint8 *) " ", 1);
  for (guint i = 0; i < n; i++)
    {
      float v = (float) i * 0.25f - 3.0f;
      g_byte_array_append (b, (const guint8 *) &v, 4);
    }
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  g_byte_array_unref (b);
}

static char *
make_model (Fake *f, const char *name)
{
  const char *shared = g_getenv ("VS_SHARED_DATA");
  g_autofree char *src = g_build_filename (shared, "models", "LaBSE-partial", NULL);
  char *dir = g_build_filename (f->tmp, name, NULL);
  static const char *const files[] = {
    "config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json",
    "special_tokens_map.json", "tokenizer_config.json", "1_Pooling/config.json", "2_Dense/config.json",
    "2_Dense/model.safetensors", NULL,
  };

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *from = g_build_filename (src, files[i], NULL);
      g_autofree char *to = g_build_filename (dir, files[i], NULL);
      copy_file (from, to);
    }
  {
    g_autofree char *st = g_build_filename (dir, "model.safetensors", NULL);
    write_safetensors (st, 10000);   /* 40 KB: below the multipart threshold -> basic */
  }
  return dir;
}

static char *
git_blob_sha1 (const char *path)
{
  g_autofree char *data = NULL;
  gsize n;
  g_autoptr(GChecksum) c = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *head = NULL;

  g_assert_true (g_file_get_contents (path, &data, &n, NULL));
  head = g_strdup_printf ("blob %" G_GSIZE_FORMAT, n);
  g_checksum_update (c, (const guchar *) head, strlen (head) + 1);
  g_checksum_update (c, (const guchar *) data, n);
  return g_strdup (g_checksum_get_string (c));
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *data = NULL;
  gsize n;

  g_assert_true (g_file_get_contents (path, &data, &n, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, n);
}

static void
assert_same_bytes (const char *a, const char *b)
{
  g_autofree char *da = NULL;
  g_autofree char *db = NULL;
  gsize na, nb;

  g_assert_true (g_file_get_contents (a, &da, &na, NULL));
  g_assert_true (g_file_get_contents (b, &db, &nb, NULL));
  g_assert_cmpuint (na, ==, nb);
  g_assert_true (memcmp (da, db, na) == 0);
}

static cJSON *
push_model (Fake *f, VsHub *hub, const char *dir, const char *repo, GError **error)
{
  g_autofree char *url = NULL;

  if (!vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, repo, FALSE, &url, error))
    return NULL;
  return vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, repo, dir, NULL, "Add model", FALSE, error);
}

/* No *.incomplete or temporary file anywhere under dir. */
static void
assert_no_partial_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      if (g_str_has_suffix (name, ".incomplete") || g_str_has_suffix (name, ".tmp"))
        g_error ("half-written file left in the cache: %s", child);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        assert_no_partial_files (child);
    }
}

/* ---- tests --------------------------------------------------------------------- */

static void
test_whoami (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;

  fake_start (&f);
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(TJson) me = vs_hub_whoami (hub, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (cJSON_GetObjectItem (me, "name")->valuestring, ==, "testuser");
    g_assert_cmpstr (vs_hub_get_endpoint (hub), ==, f.hub);
  }
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(TJson) me = NULL;
    vs_hub_set_token (hub, "hf_bad_token");
    me = vs_hub_whoami (hub, &error);
    g_assert_null (me);
    ASSERT_ERROR (error, VS_ERROR_AUTH, "invalid credentials");
    g_assert_null (strstr (error->message, "hf_bad_token"));
    g_clear_error (&error);
  }
  {
    g_autoptr(VsHub) hub = NULL;
    g_autoptr(TJson) me = NULL;
    g_unsetenv ("HF_TOKEN");
    hub = vs_hub_new ();
    g_assert_false (vs_hub_has_token (hub));
    me = vs_hub_whoami (hub, &error);
    ASSERT_ERROR (error, VS_ERROR_AUTH, "no Hub token");
    g_clear_error (&error);
  }
  fake_stop (&f);
}

/* whoami through a fresh client succeeds, with a token of this role */
static void
assert_token_role (const char *role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsHub) hub = vs_hub_new ();
  g_autoptr(TJson) me = vs_hub_whoami (hub, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (me, "auth"), "accessToken"),
                                        "role")->valuestring, ==, role);
}

static void
test_token_discovery (void)
{
  Fake f;
  g_autofree char *tok = NULL;
  g_autoptr(GError) error = NULL;

  fake_start (&f);
  g_unsetenv ("HF_TOKEN");
  /* $HF_HOME/token, with a trailing newline and spaces that must be cleaned */
  g_mkdir_with_parents (f.hf_home, 0700);
  tok = g_build_filename (f.hf_home, "token", NULL);
  g_assert_true (g_file_set_contents (tok, "  hf_test_read\r\n", -1, NULL));
  assert_token_role ("read");
  /* HF_TOKEN wins over the file */
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  assert_token_role ("write");
  /* a plain-http endpoint that is not loopback never gets the token */
  g_setenv ("HF_ENDPOINT", "http://hub.example.invalid", TRUE);
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(TJson) me = vs_hub_whoami (hub, &error);
    g_assert_null (me);
    ASSERT_ERROR (error, VS_ERROR_AUTH, "plain http");
    g_clear_error (&error);
  }
  fake_stop (&f);
}

static void
test_login (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *tok = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  struct stat st;

  fake_start (&f);
  g_unsetenv ("HF_TOKEN");
  tok = g_build_filename (f.hf_home, "token", NULL);
  stored = g_build_filename (f.hf_home, "stored_tokens", NULL);

  /* a bad token: nothing written */
  name = vs_hub_login ("hf_nope\n", &error);
  g_assert_null (name);
  ASSERT_ERROR (error, VS_ERROR_AUTH, "invalid credentials");
  g_assert_null (strstr (error->message, "hf_nope"));
  g_clear_error (&error);
  g_assert_false (g_file_test (tok, G_FILE_TEST_EXISTS));

  name = vs_hub_login ("hf_test_write\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "testuser");
  g_assert_true (g_file_get_contents (tok, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "hf_test_write");   /* no newline */
  g_assert_cmpint (stat (tok, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (stat (stored, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_key_file_load_from_file (kf, stored, G_KEY_FILE_NONE, NULL));
  {
    g_autofree char *v = g_key_file_get_string (kf, "test-token", "hf_token", NULL);
    g_assert_cmpstr (v, ==, "hf_test_write");
  }
  /* the saved token is found */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(TJson) me = vs_hub_whoami (hub, &error);
    g_assert_no_error (error);
  }
  /* logout forgets it */
  g_assert_true (vs_hub_logout (&error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (tok, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stored, G_FILE_TEST_EXISTS));
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_assert_false (vs_hub_has_token (hub));
  }
  fake_stop (&f);
}

/* Push a model folder (LFS basic + multipart), pull it into an empty cache,
 * compare bytes and the cache layout. */
static void
test_push_pull (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TJson) reply = NULL;
  g_autoptr(TJson) state = NULL;
  g_autofree char *snap = NULL;
  g_autofree char *repo_dir = NULL;
  g_autofree char *ref = NULL;
  const char *commit;
  guint auth_on_cdn = 99, n;

  fake_start (&f);
  model = make_model (&f, "model");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    reply = push_model (&f, hub, model, "testuser/my-model", &error);
    g_assert_no_error (error);
  }
  commit = cJSON_GetObjectItem (reply, "commitOid")->valuestring;
  {
    g_autofree char *want = g_strdup_printf ("%s/testuser/my-model/commit/%s", f.hub, commit);
    g_assert_cmpstr (cJSON_GetObjectItem (reply, "commitUrl")->valuestring, ==, want);
  }
  state = fake_state (&f);
  g_assert_cmpstr (head_of (state, "model:testuser/my-model", "main"), ==, commit);
  g_assert_cmpint (cJSON_GetObjectItem (state, "violations")->valueint, ==, 0);
  g_assert_cmpint (cJSON_GetObjectItem (state, "lfs_objects")->valueint, ==, 3);  /* 2 + the seeded parquet */
  /* both transfers ran; no token reached the storage host */
  n = count_requests (&f, "PUT", "cdn", "/part/", NULL);
  g_assert_cmpuint (n, ==, 5);          /* 2362528 bytes in 524288-byte parts */
  g_assert_cmpuint (count_requests (&f, "PUT", "cdn", "/upload/", NULL), ==, 1);
  g_assert_cmpuint (count_requests (&f, "POST", "cdn", "/complete/", NULL), ==, 1);
  g_assert_cmpuint (count_requests (&f, "POST", "hub", "/verify", NULL), ==, 2);
  count_requests (&f, NULL, "cdn", "/", &auth_on_cdn);
  g_assert_cmpuint (auth_on_cdn, ==, 0);

  /* pull into an empty cache, anonymously */
  g_unsetenv ("HF_TOKEN");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    snap = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/my-model", NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
  repo_dir = g_build_filename (f.cache, "models--testuser--my-model", NULL);
  {
    g_autofree char *want = g_build_filename (repo_dir, "snapshots", commit, NULL);
    g_assert_cmpstr (snap, ==, want);
  }
  /* refs/main: the commit, without a newline */
  {
    g_autofree char *p = g_build_filename (repo_dir, "refs", "main", NULL);
    g_assert_true (g_file_get_contents (p, &ref, NULL, NULL));
    g_assert_cmpstr (ref, ==, commit);
  }
  /* every file: same bytes, a relative symlink to blobs/<etag> */
  {
    static const char *const files[] = {
      "config.json", "modules.json", "1_Pooling/config.json", "2_Dense/config.json",
      "2_Dense/model.safetensors", "model.safetensors", "README.md", NULL,
    };
    for (guint i = 0; files[i] != NULL; i++)
      {
        g_autofree char *local = g_build_filename (model, files[i], NULL);
        g_autofree char *cached = g_build_filename (snap, files[i], NULL);
        g_autofree char *target = NULL;
        g_autofree char *etag = NULL;
        g_autofree char *want_target = NULL;
        gboolean lfs = g_str_has_suffix (files[i], ".safetensors");
        guint depth = 0;

        if (strcmp (files[i], "README.md") == 0)
          {
            /* pushed without a card: none was added by the engine call */
            g_assert_false (g_file_test (cached, G_FILE_TEST_EXISTS));
            continue;
          }
        assert_same_bytes (local, cached);
        g_assert_true (g_file_test (cached, G_FILE_TEST_IS_SYMLINK));
        target = g_file_read_link (cached, NULL);
        etag = lfs ? file_sha256 (local) : git_blob_sha1 (local);
        for (const char *p = files[i]; *p != '\0'; p++)
          depth += *p == '/';
        want_target = g_strdup_printf ("%s%sblobs/%s", "../../", depth > 0 ? "../" : "", etag);
        g_assert_cmpstr (target, ==, want_target);
      }
  }
  /* the 2_Dense weights' blob is named by the SHA-256 that git-lfs recorded */
  {
    g_autofree char *ptr_path = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "LaBSE-partial", "2_Dense",
                                                  "model.safetensors.git-lfs-pointer.txt", NULL);
    g_autofree char *ptr = NULL;
    g_autofree char *blob = NULL;
    const char *oid;
    g_assert_true (g_file_get_contents (ptr_path, &ptr, NULL, NULL));
    oid = strstr (ptr, "sha256:");
    g_assert_nonnull (oid);
    blob = g_strndup (oid + 7, 64);
    {
      g_autofree char *bp = g_build_filename (repo_dir, "blobs", blob, NULL);
      g_assert_true (g_file_test (bp, G_FILE_TEST_IS_REGULAR));
    }
  }
  assert_no_partial_files (f.cache);

  /* a missing file: VS_ERROR_NOT_FOUND and a .no_exist marker */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/my-model", NULL, "nope.txt", &error);
    g_autofree char *marker = g_build_filename (repo_dir, ".no_exist", commit, "nope.txt", NULL);
    g_assert_null (p);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "no such file");
    g_clear_error (&error);
    g_assert_true (g_file_test (marker, G_FILE_TEST_IS_REGULAR));
  }

  /* a second push of the same folder changes nothing */
  g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(TJson) again = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/my-model", model, NULL,
                                                   "again", FALSE, &error);
    g_assert_no_error (error);
    g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (again, "noChanges")));
    g_assert_cmpstr (cJSON_GetObjectItem (again, "commitOid")->valuestring, ==, commit);
  }
  fake_stop (&f);
}

static void
progress_record (guint64 done, guint64 total, gpointer user_data)
{
  guint64 *last = user_data;

  g_assert_true (total == 0 || done <= total);
  last[0] = done;
  last[1] = total;
  last[2]++;
}

static void
cancel_at_first_bytes (guint64 done, guint64 total, gpointer user_data)
{
  if (done > 0)
    g_cancellable_cancel (user_data);
}

static void
test_resume_and_progress (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TJson) reply = NULL;
  g_autofree char *snap = NULL;
  guint64 last[3] = { 0, 0, 0 };

  fake_start (&f);
  model = make_model (&f, "model");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    vs_hub_set_progress (hub, progress_record, last);
    reply = push_model (&f, hub, model, "testuser/resume", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (last[2], >, 2);
    g_assert_cmpuint (last[0], ==, last[1]);
    g_assert_cmpuint (last[1], >=, 2362528 + 40000);
  }
  /* the big blob's connection drops after 300000 bytes, twice; the small
   * one's first answer ignores Range (200) after a drop */
  fake_rule (&f, "{\"match\": \"/cdn/f866\", \"method\": \"GET\", \"drop_after\": 300000, \"count\": 2}");
  fake_rule (&f, "{\"match\": \"/resolve/main/config.json\", \"method\": \"GET\", \"drop_after\": 100, \"count\": 1}");
  memset (last, 0, sizeof last);
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    vs_hub_set_progress (hub, progress_record, last);
    snap = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/resume", NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (last[0], ==, last[1]);
  }
  {
    g_autofree char *a = g_build_filename (model, "2_Dense", "model.safetensors", NULL);
    g_autofree char *b = g_build_filename (snap, "2_Dense", "model.safetensors", NULL);
    g_autofree char *c = g_build_filename (model, "config.json", NULL);
    g_autofree char *d = g_build_filename (snap, "config.json", NULL);
    assert_same_bytes (a, b);
    assert_same_bytes (c, d);
  }
  /* three GETs of the blob: two dropped, the last resumed with Range */
  g_assert_cmpuint (count_requests (&f, "GET", "cdn", "/cdn/f866", NULL), ==, 3);
  assert_no_partial_files (f.cache);

  /* a server that answers 200 to a Range request after a drop: restart from 0 */
  rm_rf (f.cache);
  fake_rule (&f, "{\"match\": \"/cdn/f866\", \"method\": \"GET\", \"drop_after\": 300000, \"count\": 1}");
  fake_rule (&f, "{\"match\": \"/cdn/f866\", \"method\": \"GET\", \"ignore_range\": true, \"count\": 1}");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/resume", NULL,
                                               "2_Dense/model.safetensors", &error);
    g_autofree char *a = g_build_filename (model, "2_Dense", "model.safetensors", NULL);
    g_assert_no_error (error);
    assert_same_bytes (a, p);
  }

  /* a connection that keeps dropping with no progress: a clear error, no partial file */
  rm_rf (f.cache);
  fake_rule (&f, "{\"match\": \"/cdn/f866\", \"method\": \"GET\", \"drop_after\": 0, \"count\": 6}");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/resume", NULL,
                                               "2_Dense/model.safetensors", &error);
    g_assert_null (p);
    ASSERT_ERROR (error, VS_ERROR_NETWORK, "2_Dense/model.safetensors");
    g_clear_error (&error);
    assert_no_partial_files (f.cache);
  }
  fake_stop (&f);
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (500000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TJson) reply = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(TJson) state = NULL;
  const char *head;

  fake_start (&f);
  model = make_model (&f, "model");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    reply = push_model (&f, hub, model, "testuser/cancel", &error);
    g_assert_no_error (error);
  }
  /* the fake Hub stalls 3 s on a blob; the cancel comes 0.5 s in, from
   * another thread, while the download workers wait */
  fake_rule (&f, "{\"match\": \"/cdn/\", \"method\": \"GET\", \"delay_ms\": 3000, \"count\": 1}");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *p = NULL;
    GThread *timer = g_thread_new ("cancel-timer", cancel_later, cancel);
    vs_hub_set_cancellable (hub, cancel);
    p = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/cancel", NULL, NULL, NULL, &error);
    g_thread_join (timer);
    g_assert_null (p);
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    g_clear_error (&error);
    assert_no_partial_files (f.cache);
  }
  /* cancel an upload: no commit is made */
  state = fake_state (&f);
  head = head_of (state, "model:testuser/cancel", "main");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(GCancellable) c2 = g_cancellable_new ();
    g_autofree char *other = make_model (&f, "model2");
    g_autofree char *w = g_build_filename (other, "model.safetensors", NULL);
    g_autoptr(TJson) r = NULL;
    g_autoptr(TJson) state2 = NULL;
    write_safetensors (w, 12345);
    vs_hub_set_cancellable (hub, c2);
    vs_hub_set_progress (hub, cancel_at_first_bytes, c2);
    r = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/cancel", other, NULL, "x", FALSE, &error);
    g_assert_null (r);
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    state2 = fake_state (&f);
    g_assert_cmpstr (head_of (state2, "model:testuser/cancel", "main"), ==, head);
  }
  fake_stop (&f);
}

static void
test_offline (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TJson) reply = NULL;
  g_autofree char *online = NULL;
  guint before;

  fake_start (&f);
  model = make_model (&f, "model");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    reply = push_model (&f, hub, model, "testuser/offline", &error);
    g_assert_no_error (error);
    online = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/offline", NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
  before = count_requests (&f, NULL, NULL, "/", NULL);
  g_setenv ("HF_HUB_OFFLINE", "1", TRUE);
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *snap = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/offline", NULL, NULL, NULL, &error);
    g_autofree char *file = NULL;
    g_autofree char *resolved = NULL;
    g_assert_no_error (error);
    g_assert_cmpstr (snap, ==, online);
    file = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/offline", NULL, "modules.json", &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (file, online));
    resolved = vs_hub_resolve_model ("testuser/offline", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (resolved, ==, online);
    /* not cached: a clear error */
    g_free (file);
    file = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/offline", NULL, "missing.bin", &error);
    g_assert_null (file);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "offline");
    g_clear_error (&error);
    g_free (snap);
    snap = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/never-pulled", NULL, NULL, NULL, &error);
    g_assert_null (snap);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "offline");
    g_clear_error (&error);
  }
  /* an incomplete cached snapshot is refused offline */
  {
    g_autofree char *p = g_build_filename (online, "2_Dense", "model.safetensors", NULL);
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *snap = NULL;
    g_unlink (p);
    snap = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/offline", NULL, NULL, NULL, &error);
    g_assert_null (snap);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "incomplete");
    g_clear_error (&error);
  }
  /* no request reached the Hub while offline */
  g_assert_cmpuint (count_requests (&f, NULL, NULL, "/", NULL), ==, before);
  g_unsetenv ("HF_HUB_OFFLINE");
  fake_stop (&f);
}

static void
test_read_errors (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsHub) hub = NULL;
  char *p;
  cJSON *info;

  fake_start (&f);
  hub = vs_hub_new ();

  p = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/does-not-exist", NULL, NULL, NULL, &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "repo not found");
  g_clear_error (&error);

  p = vs_hub_snapshot_download (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", "no-such-branch", NULL, NULL, &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "revision not found");
  g_clear_error (&error);

  p = vs_hub_download_file (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", "no-such-branch", "data/train.csv", &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "revision not found");
  g_clear_error (&error);

  /* gated */
  p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testorg/gated-model", NULL, "config.json", &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_PERMISSION, "gated");
  g_clear_error (&error);

  /* private: fine with the owner's token, not found without */
  p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/private-model", NULL, "config.json", &error);
  g_assert_no_error (error);
  g_free (p);
  vs_hub_set_token (hub, NULL);
  rm_rf (f.cache);
  p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/private-model", NULL, "config.json", &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "private");
  g_clear_error (&error);
  vs_hub_set_token (hub, "hf_test_write");

  /* withheld X-Repo-Commit is a hard error and leaves nothing behind */
  fake_rule (&f, "{\"match\": \"/resolve/\", \"no_commit_header\": true, \"count\": 2}");
  p = vs_hub_download_file (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", NULL, "data/train.csv", &error);
  g_assert_null (p);
  ASSERT_ERROR (error, VS_ERROR_PARSE, "X-Repo-Commit");
  g_clear_error (&error);
  {
    g_autofree char *blobs = g_build_filename (f.cache, "datasets--testuser--tiny-dataset", "blobs", NULL);
    g_assert_false (g_file_test (blobs, G_FILE_TEST_EXISTS));
  }
  g_assert_true (TRUE);
  cJSON_Delete (fake_call (&f, "/_test/clear-rules", "{}"));

  /* 503 twice on repo info: retried with backoff, then fine */
  cJSON_Delete (fake_call (&f, "/_test/clear-log", "{}"));
  fake_rule (&f, "{\"match\": \"/api/datasets/testuser/tiny-dataset/revision\", \"status\": 503, \"count\": 2}");
  info = vs_hub_repo_info (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", "main", &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  cJSON_Delete (info);
  g_assert_cmpuint (count_requests (&f, "GET", "hub", "/api/datasets/testuser/tiny-dataset/revision", NULL), ==, 3);

  /* 429 with RateLimit r=0;t=1 then fine */
  {
    gint64 t0 = g_get_monotonic_time ();
    fake_rule (&f, "{\"match\": \"/api/datasets/testuser/tiny-dataset/revision\", \"status\": 429, \"ratelimit\": true, \"count\": 1}");
    info = vs_hub_repo_info (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", "main", &error);
    g_assert_no_error (error);
    cJSON_Delete (info);
    /* waited t+1 = 2 s */
    g_assert_cmpint (g_get_monotonic_time () - t0, >=, 1900000);
  }
  /* search and tree pagination */
  {
    g_autoptr(TJson) found = vs_hub_search (hub, VS_HUB_REPO_DATASET, "tiny", NULL, 10, &error);
    g_autoptr(TJson) files = NULL;
    g_assert_no_error (error);
    g_assert_cmpint (cJSON_GetArraySize (found), ==, 1);
    g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (found, 0), "id")->valuestring, ==, "testuser/tiny-dataset");
    cJSON_Delete (fake_call (&f, "/_test/config", "{\"tree_page_size\": 1}"));
    files = vs_hub_list_files (hub, VS_HUB_REPO_DATASET, "testuser/tiny-dataset", "main", &error);
    g_assert_no_error (error);
    g_assert_cmpint (cJSON_GetArraySize (files), ==, 3);   /* .gitattributes, data/, data/train.csv */
  }
  fake_stop (&f);
}

/* Uploading the folder to testuser/w with this commit message fails with
 * code, in a message that holds words. */
static void
assert_push_fails (VsHub *hub, const char *model, const char *message, gint code, const char *words)
{
  g_autoptr(GError) error = NULL;
  cJSON *r = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/w", model, NULL, message, FALSE, &error);

  g_assert_null (r);
  ASSERT_ERROR (error, code, words);
}

static void
test_write_errors (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autoptr(TJson) reply = NULL;
  g_autoptr(TJson) state = NULL;
  g_autofree char *head = NULL;
  cJSON *r;

  fake_start (&f);
  model = make_model (&f, "model");
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *url = NULL;
    reply = push_model (&f, hub, model, "testuser/w", &error);
    g_assert_no_error (error);
    /* create again: 409 is fine */
    g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/w", FALSE, &url, &error));
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (url, "/testuser/w"));
  }
  state = fake_state (&f);
  head = g_strdup (head_of (state, "model:testuser/w", "main"));
  {
    g_autofree char *w = g_build_filename (model, "model.safetensors", NULL);
    write_safetensors (w, 777);   /* a change to push */
  }

#define NO_NEW_COMMIT()                                                           \
  G_STMT_START {                                                                  \
    g_autoptr(TJson) s2 = fake_state (&f);                                        \
    g_assert_cmpstr (head_of (s2, "model:testuser/w", "main"), ==, head);         \
    g_assert_cmpint (cJSON_GetObjectItem (cJSON_GetObjectItem (cJSON_GetObjectItem (s2, "repos"), \
                     "model:testuser/w"), "commits")->valueint, ==, 2);           \
  } G_STMT_END

  /* a read token */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    vs_hub_set_token (hub, "hf_test_read");
    assert_push_fails (hub, model, "x", VS_ERROR_PERMISSION, "no write access");
    NO_NEW_COMMIT ();
  }
  /* another user's token */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    vs_hub_set_token (hub, "hf_test_other");
    assert_push_fails (hub, model, "x", VS_ERROR_PERMISSION, "no write access");
    g_assert_false (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/new-one", FALSE, NULL, &error));
    ASSERT_ERROR (error, VS_ERROR_PERMISSION, "permission denied");
    g_clear_error (&error);
    NO_NEW_COMMIT ();
  }
  /* a bad token */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    vs_hub_set_token (hub, "hf_bad");
    assert_push_fails (hub, model, "x", VS_ERROR_AUTH, "invalid credentials");
    NO_NEW_COMMIT ();
  }
  /* the commit keeps failing with 503: one attempt only, no commit */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    cJSON_Delete (fake_call (&f, "/_test/clear-log", "{}"));
    fake_rule (&f, "{\"match\": \"/commit/main\", \"status\": 503, \"count\": 5}");
    assert_push_fails (hub, model, "x", VS_ERROR_NETWORK, "server error");
    g_assert_cmpuint (count_requests (&f, "POST", "hub", "/commit/main", NULL), ==, 1);
    NO_NEW_COMMIT ();
    cJSON_Delete (fake_call (&f, "/_test/clear-rules", "{}"));
  }
  /* the connection drops on the commit: not retried blindly */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    cJSON_Delete (fake_call (&f, "/_test/clear-log", "{}"));
    fake_rule (&f, "{\"match\": \"/commit/main\", \"method\": \"POST\", \"drop_after\": 0, \"count\": 1}");
    assert_push_fails (hub, model, "x", VS_ERROR_NETWORK, "connection");
    g_assert_cmpuint (count_requests (&f, "POST", "hub", "/commit/main", NULL), ==, 1);
    NO_NEW_COMMIT ();
  }
  /* multipart part without ETag: abort, no commit */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *big = g_build_filename (model, "2_Dense", "model.safetensors", NULL);
    write_safetensors (big, 400000);   /* 1.6 MB, new content -> multipart */
    fake_rule (&f, "{\"match\": \"/part/\", \"no_part_etag\": true, \"count\": 1}");
    assert_push_fails (hub, model, "x", VS_ERROR_PARSE, "ETag");
    NO_NEW_COMMIT ();
  }
  /* 429 with Retry-After on preupload and 503 on a part PUT: retried, then the push works */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    fake_rule (&f, "{\"match\": \"/preupload/\", \"status\": 429, \"retry_after\": 1, \"count\": 1}");
    fake_rule (&f, "{\"match\": \"/part/\", \"status\": 503, \"count\": 1}");
    fake_rule (&f, "{\"match\": \"/upload/\", \"method\": \"PUT\", \"drop_after\": 0, \"count\": 1}");
    r = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/w", model, NULL, "Update", FALSE, &error);
    g_assert_no_error (error);
    g_assert_nonnull (r);
    cJSON_Delete (r);
  }
  /* a model card whose front matter the Hub rejects: no commit */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autofree char *readme = g_build_filename (model, "README.md", NULL);
    g_autoptr(TJson) s5 = fake_state (&f);
    g_autofree char *before = g_strdup (head_of (s5, "model:testuser/w", "main"));
    g_autoptr(TJson) s6 = NULL;
    g_assert_true (g_file_set_contents (readme, "---\nlicense: mit\n\tbad: indent\n", -1, NULL));
    assert_push_fails (hub, model, "card", VS_ERROR_INVALID, "metadata");
    s6 = fake_state (&f);
    g_assert_cmpstr (head_of (s6, "model:testuser/w", "main"), ==, before);
    g_unlink (readme);
  }
  /* parent commit mismatch: 412 */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(VsHubCommit) c = vs_hub_commit_new ("stale");
    g_autofree char *cfg = g_build_filename (model, "config.json", NULL);
    vs_hub_commit_add_file (c, "extra/config-copy.json", cfg);
    vs_hub_commit_set_parent (c, head);
    r = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, "testuser/w", NULL, c, FALSE, &error);
    g_assert_null (r);
    ASSERT_ERROR (error, VS_ERROR_CONFLICT, "parent commit");
    g_clear_error (&error);
  }
  /* delete a missing file: 404 EntryNotFound; delete + PR works */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(VsHubCommit) c = vs_hub_commit_new ("remove");
    g_autoptr(VsHubCommit) c2 = vs_hub_commit_new ("remove config");
    g_autoptr(TJson) pr = NULL;
    g_autoptr(TJson) s3 = NULL;
    vs_hub_commit_delete_file (c, "not-there.txt");
    r = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, "testuser/w", NULL, c, FALSE, &error);
    g_assert_null (r);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "doesn't exist");
    g_clear_error (&error);
    vs_hub_commit_delete_file (c2, "config.json");
    vs_hub_commit_set_description (c2, "longer text");
    pr = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, "testuser/w", NULL, c2, TRUE, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (cJSON_GetObjectItem (pr, "pullRequestUrl")->valuestring, "/testuser/w/discussions/1"));
    s3 = fake_state (&f);
    g_assert_cmpstr (head_of (s3, "model:testuser/w", "refs/pr/1"), ==, cJSON_GetObjectItem (pr, "commitOid")->valuestring);
    /* the PR did not move main */
    g_assert_cmpstr (head_of (s3, "model:testuser/w", "main"), !=, cJSON_GetObjectItem (pr, "commitOid")->valuestring);
  }
  {
    g_autoptr(TJson) s4 = fake_state (&f);
    g_assert_cmpint (cJSON_GetObjectItem (s4, "violations")->valueint, ==, 0);
  }
  fake_stop (&f);
}

static void
test_dataset_parquet (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *parquet = g_build_filename (g_getenv ("VS_SHARED_DATA"), "parquet", "alltypes_plain.parquet", NULL);

  fake_start (&f);
  dir = vs_hub_resolve_dataset ("testuser/tiny-dataset", &error);
  g_assert_no_error (error);
  {
    g_autofree char *train = g_build_filename (dir, "default", "train", "0000.parquet", NULL);
    g_autofree char *test = g_build_filename (dir, "default", "test", "0000.parquet", NULL);
    g_autofree char *ref = g_build_filename (f.cache, "datasets--testuser--tiny-dataset", "refs", "refs", "convert",
                                             "parquet", NULL);
    assert_same_bytes (parquet, train);
    assert_same_bytes (parquet, test);
    g_assert_true (g_file_test (ref, G_FILE_TEST_IS_REGULAR));
  }
  /* a local path is returned as is; a dataset without Parquet falls back to its files */
  {
    g_autofree char *same = vs_hub_resolve_dataset (parquet, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (same, ==, parquet);
  }
  {
    g_autofree char *snap = vs_hub_resolve_dataset ("testuser/tiny-dataset@main", &error);
    g_autofree char *csv = NULL;
    g_assert_no_error (error);
    csv = g_build_filename (snap, "data", "train.csv", NULL);
    g_assert_true (g_file_test (csv, G_FILE_TEST_EXISTS));
  }
  /* a dataset the Hub has not converted (404 from /parquet): its own files */
  {
    g_autoptr(VsHub) hub = vs_hub_new ();
    g_autoptr(VsHubCommit) c = vs_hub_commit_new ("data");
    g_autoptr(TJson) r = NULL;
    g_autofree char *snap = NULL;
    g_autofree char *got = NULL;
    g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_DATASET, "testuser/raw-data", FALSE, NULL, &error));
    vs_hub_commit_add_file (c, "train.parquet", parquet);
    r = vs_hub_commit_push (hub, VS_HUB_REPO_DATASET, "testuser/raw-data", NULL, c, FALSE, &error);
    g_assert_no_error (error);
    snap = vs_hub_resolve_dataset ("testuser/raw-data", &error);
    g_assert_no_error (error);
    g_assert_true (strstr (snap, "datasets--testuser--raw-data") != NULL);
    got = g_build_filename (snap, "train.parquet", NULL);
    assert_same_bytes (parquet, got);
  }
  {
    g_autofree char *none = vs_hub_resolve_model ("/no/such/folder", &error);
    g_assert_null (none);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "no such folder");
    g_clear_error (&error);
  }
  fake_stop (&f);
}

/* A Hub that answers nonsense: clear errors, no crash, nothing half-written. */
static void
test_hostile_server (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsHub) hub = NULL;
  g_autofree char *model = NULL;
  static const struct { const char *rule; const char *words; } cases[] = {
    { "{\"match\": \"/api/models/testuser/h/revision/main\", \"body\": \"not json\"}", "not valid JSON" },
    { "{\"match\": \"/api/models/testuser/h/revision/main\", \"body\": \"[]\"}", "no commit" },
    { "{\"match\": \"/api/models/testuser/h/revision/main\", \"body\": \"{\\\"sha\\\": \\\"../../x\\\"}\"}", "no commit" },
    { "{\"match\": \"/tree/\", \"body\": \"{}\"}", "not a list" },
    { "{\"match\": \"/tree/\", \"body\": \"[{\\\"type\\\": \\\"file\\\", \\\"path\\\": \\\"../../evil\\\", \\\"size\\\": -5}]\"}", "unsafe file path" },
    { "{\"match\": \"/tree/\", \"body\": \"[{\\\"type\\\": \\\"file\\\", \\\"path\\\": \\\"/etc/passwd\\\"}]\"}", "unsafe file path" },
  };

  fake_start (&f);
  hub = vs_hub_new ();
  model = make_model (&f, "model");
  {
    g_autoptr(TJson) r = push_model (&f, hub, model, "testuser/h", &error);
    g_assert_no_error (error);
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = NULL;
      rm_rf (f.cache);
      cJSON_Delete (fake_call (&f, "/_test/clear-rules", "{}"));
      fake_rule (&f, cases[i].rule);
      p = vs_hub_snapshot_download (hub, VS_HUB_REPO_MODEL, "testuser/h", NULL, NULL, NULL, &error);
      g_assert_null (p);
      g_assert_nonnull (error);
      check_message (error);
      if (strstr (error->message, cases[i].words) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", i, error->message, cases[i].words);
      g_clear_error (&error);
      {
        g_autofree char *evil = g_build_filename (f.tmp, "evil", NULL);
        g_assert_false (g_file_test (evil, G_FILE_TEST_EXISTS));
      }
    }
  cJSON_Delete (fake_call (&f, "/_test/clear-rules", "{}"));
  /* a blob whose bytes do not match its SHA-256 etag is refused */
  rm_rf (f.cache);
  fake_rule (&f, "{\"match\": \"/cdn/\", \"body\": \"short\"}");
  {
    g_autofree char *p = vs_hub_download_file (hub, VS_HUB_REPO_MODEL, "testuser/h", NULL, "model.safetensors", &error);
    g_assert_null (p);
    ASSERT_ERROR (error, VS_ERROR_NETWORK, "consistency check failed");
    g_clear_error (&error);
    assert_no_partial_files (f.cache);
  }
  /* an LFS batch answer with an error object aborts the upload */
  {
    g_autofree char *w = g_build_filename (model, "model.safetensors", NULL);
    g_autoptr(TJson) r = NULL;
    write_safetensors (w, 999);
    fake_rule (&f, "{\"match\": \"/info/lfs/objects/batch\", \"body\": \"{\\\"objects\\\": [{\\\"oid\\\": \\\"x\\\", \\\"error\\\": {\\\"code\\\": 422, \\\"message\\\": \\\"nope\\\"}}]}\"}");
    r = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, "testuser/h", model, NULL, "x", FALSE, &error);
    g_assert_null (r);
    g_assert_nonnull (error);
    check_message (error);
    g_clear_error (&error);
  }
  fake_stop (&f);
}

/* vs_hub_resolve_model fetches what sentence-transformers needs, no more. */
static void
test_resolve_model (void)
{
  Fake f;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsHub) hub = NULL;
  g_autoptr(VsHubCommit) c = vs_hub_commit_new ("weights in many formats");
  g_autoptr(TJson) reply = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pinned = NULL;
  g_autofree char *spec = NULL;
  static const char *const files[] = {
    "modules.json", "model.safetensors", "pytorch_model.bin", "onnx/model.onnx", "tf_model.h5",
    "1_Pooling/config.json", "2_Dense/pytorch_model.bin", NULL,
  };
  static const gboolean wanted[] = { TRUE, TRUE, FALSE, FALSE, FALSE, TRUE, TRUE };

  fake_start (&f);
  hub = vs_hub_new ();
  g_assert_true (vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, "testuser/st-filter", FALSE, NULL, &error));
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *local = g_build_filename (f.tmp, "src", files[i], NULL);
      g_autofree char *d = g_path_get_dirname (local);
      g_mkdir_with_parents (d, 0755);
      g_assert_true (g_file_set_contents (local, files[i], -1, NULL));
      vs_hub_commit_add_file (c, files[i], local);
    }
  reply = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, "testuser/st-filter", NULL, c, FALSE, &error);
  g_assert_no_error (error);
  {
    guint64 last[3] = { 0, 0, 0 };
    vs_hub_set_progress (hub, progress_record, last);
    dir = vs_hub_resolve_model_with (hub, "testuser/st-filter", &error);
    g_assert_no_error (error);
    /* progress counts only what was wanted: the seeded 305-byte
     * .gitattributes and 4 files whose content is their path */
    g_assert_cmpuint (last[1], ==, 305 + strlen ("modules.json") + strlen ("model.safetensors") +
                                   strlen ("1_Pooling/config.json") + strlen ("2_Dense/pytorch_model.bin"));
    g_assert_cmpuint (last[0], ==, last[1]);
    vs_hub_set_progress (hub, NULL, NULL);
  }
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *p = g_build_filename (dir, files[i], NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS) != wanted[i])
        g_error ("%s: expected %s", files[i], wanted[i] ? "downloaded" : "skipped");
    }
  /* the GUI's picker: sentence-transformers models by downloads */
  {
    g_autoptr(TJson) found = vs_hub_search (hub, VS_HUB_REPO_MODEL, "st-", "sentence-transformers", 5, &error);
    g_autoptr(TJson) none = vs_hub_search (hub, VS_HUB_REPO_MODEL, "gated", "sentence-transformers", 5, &error);
    g_autoptr(TJson) info = vs_hub_repo_info (hub, VS_HUB_REPO_MODEL, "testuser/st-filter", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (cJSON_GetArraySize (found), ==, 1);
    g_assert_cmpstr (cJSON_GetObjectItem (cJSON_GetArrayItem (found, 0), "id")->valuestring, ==, "testuser/st-filter");
    g_assert_cmpint (cJSON_GetArraySize (none), ==, 0);
    g_assert_cmpstr (cJSON_GetObjectItem (info, "sha")->valuestring, ==, cJSON_GetObjectItem (reply, "commitOid")->valuestring);
  }
  /* a pinned commit resolves to the same snapshot; an existing folder is returned as is */
  spec = g_strdup_printf ("testuser/st-filter@%s", cJSON_GetObjectItem (reply, "commitOid")->valuestring);
  pinned = vs_hub_resolve_model (spec, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pinned, ==, dir);
  {
    g_autofree char *same = vs_hub_resolve_model (dir, &error);
    g_assert_cmpstr (same, ==, dir);
  }
  /* a bare name is looked up under sentence-transformers/, as the library does */
  {
    g_autofree char *none = vs_hub_resolve_model ("st-filter", &error);
    g_assert_null (none);
    ASSERT_ERROR (error, VS_ERROR_NOT_FOUND, "sentence-transformers/st-filter");
    g_clear_error (&error);
  }
  fake_stop (&f);
}

static void
test_model_card (void)
{
  g_autofree char *src = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "LaBSE-partial", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TJson) rec = cJSON_Parse (
    "{\"base_model\": \"sentence-transformers/LaBSE\", \"language\": [\"en\"], \"license\": \"apache-2.0\","
    " \"datasets\": [{\"name\": \"sentence-transformers/stsb\", \"split\": \"train\", \"num_rows\": 5749,"
    "   \"columns\": [\"sentence1\", \"sentence2\", \"score\"],"
    "   \"samples\": [{\"sentence1\": \"A plane is taking off.\", \"sentence2\": \"An air plane is taking off.\", \"score\": 1.0}]},"
    "  {\"name\": \"sentence-transformers/stsb\", \"split\": \"validation\", \"num_rows\": 1500, \"columns\": [\"sentence1\", \"sentence2\", \"score\"]}],"
    " \"loss\": {\"name\": \"CoSENTLoss\", \"params\": {\"scale\": 20.0, \"similarity_fct\": \"pairwise_cos_sim\"}},"
    " \"args_non_default\": {\"num_train_epochs\": 1, \"per_device_train_batch_size\": 16, \"eval_strategy\": \"steps\"},"
    " \"log\": [{\"epoch\": 0.5, \"step\": 180, \"training_loss\": 4.5, \"sts-dev_spearman_cosine\": 0.8},"
    "          {\"epoch\": 1.0, \"step\": 360, \"training_loss\": 4.25, \"validation_loss\": 4.1, \"sts-dev_spearman_cosine\": 0.8123}],"
    " \"final_metrics\": {\"eval_loss\": 4.1, \"sts-dev_pearson_cosine\": 0.8234, \"sts-dev_spearman_cosine\": 0.8123,"
    "   \"eval_runtime\": 1.5}, \"best_step\": 360,"
    " \"evaluator\": \"EmbeddingSimilarityEvaluator\", \"primary_metric\": \"sts-dev_spearman_cosine\"}");
  g_autofree char *text = vs_model_card_render (src, rec, "testuser/card-model", &error);
  static const char *const in_order[] = {
    "---\nlanguage:\n- en\nlicense: apache-2.0\ntags:\n- sentence-transformers\n- sentence-similarity\n"
    "- feature-extraction\n- dense\n- generated_from_trainer\n- dataset_size:5749\n- loss:CoSENTLoss\n"
    "base_model: sentence-transformers/LaBSE\ndatasets:\n- sentence-transformers/stsb\n"
    "pipeline_tag: sentence-similarity\nlibrary_name: sentence-transformers\nmetrics:\n- pearson_cosine\n"
    "- spearman_cosine\nmodel-index:\n- name: SentenceTransformer based on sentence-transformers/LaBSE\n",
    "      type: semantic-similarity\n      name: Semantic Similarity\n",
    "    - type: spearman_cosine\n      value: 0.8123\n      name: Spearman Cosine\n",
    "---\n\n# SentenceTransformer based on sentence-transformers/LaBSE\n",
    "## Model Details", "- **Maximum Sequence Length:** 256 tokens", "- **Output Dimensionality:** 768 dimensions",
    "### Full Model Architecture", "  (2): Dense({'in_features': 768, 'out_features': 768, 'bias': True, "
    "'activation_function': 'torch.nn.modules.activation.Tanh'})\n  (3): Normalize()\n)",
    "## Usage", "SentenceTransformer(\"testuser/card-model\")", "\"A plane is taking off.\"",
    "## Evaluation", "| **spearman_cosine** | **0.8123** |",
    "## Training Details", "### Training Dataset", "* Size: 5749 training samples",
    "### Evaluation Dataset", "\"scale\": 20", "### Training Hyperparameters", "- `num_train_epochs`: 1",
    "### Training Logs", "| Epoch | Step | Training Loss | Validation Loss | sts-dev_spearman_cosine |",
    "| 0.5 | 180 | 4.5 | - | 0.8 |", "| **1.0** | **360** | **4.25** | **4.1** | **0.8123** |",
    "* The bold row denotes the saved checkpoint.",
    "### Framework Versions", "## Citation", "@inproceedings{reimers-2019-sentence-bert", "#### CoSENTLoss",
    "## Model Card Contact", NULL,
  };
  const char *at;

  g_assert_no_error (error);
  g_assert_nonnull (text);
  at = text;
  for (guint i = 0; in_order[i] != NULL; i++)
    {
      const char *hit = strstr (at, in_order[i]);
      if (hit == NULL)
        g_error ("model card: \"%s\" missing or out of order in:\n%s", in_order[i], text);
      at = hit + strlen (in_order[i]);
    }
  g_assert_true (g_str_has_prefix (text, "---\nlanguage:"));

  /* a record with every field of the wrong kind renders without trusting them */
  {
    g_autoptr(TJson) junk = cJSON_Parse ("{\"base_model\": 3, \"datasets\": \"x\", \"loss\": [1],"
                                         " \"log\": {\"a\": 1}, \"final_metrics\": [0.5, \"y\"],"
                                         " \"args_non_default\": [1, 2], \"versions\": [\"1\"],"
                                         " \"language\": {\"en\": 1}, \"evaluator\": {}}");
    g_autofree char *t = vs_model_card_render (src, junk, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (t, "---\ntags:\n"));
  }
  {
    g_autoptr(TJson) arr = cJSON_Parse ("[1, 2]");
    g_autofree char *t = vs_model_card_render (src, arr, NULL, &error);
    g_assert_null (t);
    ASSERT_ERROR (error, VS_ERROR_INVALID, "training record");
    g_clear_error (&error);
  }
  /* write: atomically into a copy of the folder, record read from the folder */
  {
    g_autofree char *tmp = g_dir_make_tmp ("vs-card-XXXXXX", NULL);
    g_autofree char *rec_path = g_build_filename (tmp, "vectorsmith_training_record.json", NULL);
    g_autofree char *rec_text = cJSON_Print (rec);
    g_autofree char *readme = g_build_filename (tmp, "README.md", NULL);
    g_autofree char *written = NULL;
    static const char *const files[] = { "modules.json", "config.json", "sentence_bert_config.json",
                                         "config_sentence_transformers.json", "1_Pooling/config.json",
                                         "2_Dense/config.json", NULL };
    for (guint i = 0; files[i] != NULL; i++)
      {
        g_autofree char *a = g_build_filename (src, files[i], NULL);
        g_autofree char *b = g_build_filename (tmp, files[i], NULL);
        copy_file (a, b);
      }
    g_assert_true (g_file_set_contents (rec_path, rec_text, -1, NULL));
    g_assert_true (vs_model_card_write (tmp, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (readme, &written, NULL, NULL));
    g_assert_nonnull (strstr (written, "- loss:CoSENTLoss\n"));
    g_assert_nonnull (strstr (written, "SentenceTransformer(\"sentence_transformers_model_id\")"));
    /* a broken modules.json is an error naming the file */
    {
      g_autofree char *m = g_build_filename (tmp, "modules.json", NULL);
      g_autofree char *bad = NULL;
      g_assert_true (g_file_set_contents (m, "{not json", -1, NULL));
      bad = vs_model_card_render (tmp, NULL, NULL, &error);
      g_assert_null (bad);
      ASSERT_ERROR (error, VS_ERROR_PARSE, "modules.json");
      g_clear_error (&error);
    }
    rm_rf (tmp);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  if (argc < 2)
    {
      g_printerr ("usage: test-hub FAKE_HUB_PROGRAM\n");
      return 1;
    }
  fake_hub_path = argv[1];
  g_test_add_func ("/hub/whoami", test_whoami);
  g_test_add_func ("/hub/token-discovery", test_token_discovery);
  g_test_add_func ("/hub/login", test_login);
  g_test_add_func ("/hub/push-pull", test_push_pull);
  g_test_add_func ("/hub/resume-progress", test_resume_and_progress);
  g_test_add_func ("/hub/cancel", test_cancel);
  g_test_add_func ("/hub/offline", test_offline);
  g_test_add_func ("/hub/read-errors", test_read_errors);
  g_test_add_func ("/hub/write-errors", test_write_errors);
  g_test_add_func ("/hub/dataset-parquet", test_dataset_parquet);
  g_test_add_func ("/hub/resolve-model", test_resolve_model);
  g_test_add_func ("/hub/hostile-server", test_hostile_server);
  g_test_add_func ("/hub/model-card", test_model_card);
  return g_test_run ();
}
