/* cmd-hub.c: pull, push, whoami and login, over the engine's Hub client. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "hub/vs-hub.h"
#include "hub/vs-model-card.h"
#include "vs-cli.h"

static gboolean
parse (GOptionContext *ctx,
       int            *argc,
       char         ***argv,
       const char     *name)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", name, error->message);
      return FALSE;
    }
  return TRUE;
}

/* Progress on stderr, only when it is a terminal. */
static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  if (total > 0)
    g_printerr ("\r%s: %.1f / %.1f MB", (const char *) user_data, done / 1e6, total / 1e6);
}

int
vs_cli_pull (int    argc,
             char **argv)
{
  g_autofree char *repo_type = NULL;
  g_autofree char *revision = NULL;
  GOptionEntry entries[] = {
    { "repo-type", 0, 0, G_OPTION_ARG_STRING, &repo_type, "model (default) or dataset", "TYPE" },
    { "revision", 0, 0, G_OPTION_ARG_STRING, &revision, "branch, tag or commit (default main)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("REPO_ID — download a Hub repo into the cache");
  g_autoptr(VsHub) hub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *id = NULL;
  g_autofree char *rev = NULL;
  VsHubRepoType type = VS_HUB_REPO_MODEL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!parse (ctx, &argc, &argv, "pull"))
    return 2;
  if (argc != 2)
    {
      g_printerr ("vectorsmith-cli pull: expected one REPO_ID\n");
      return 2;
    }
  if (repo_type != NULL && strcmp (repo_type, "dataset") == 0)
    type = VS_HUB_REPO_DATASET;
  else if (repo_type != NULL && strcmp (repo_type, "model") != 0)
    {
      g_printerr ("vectorsmith-cli pull: --repo-type must be model or dataset\n");
      return 2;
    }
  if (!vs_hub_parse_repo_id (argv[1], &id, &rev))
    {
      g_printerr ("vectorsmith-cli pull: %s is not a repo id (namespace/name)\n", argv[1]);
      return 2;
    }
  if (revision != NULL)
    {
      g_free (rev);
      rev = g_strdup (revision);
    }
  hub = vs_hub_new ();
  if (isatty (2))
    vs_hub_set_progress (hub, on_progress, (gpointer) "pull");
  dir = vs_hub_snapshot_download (hub, type, id, rev, NULL, NULL, &error);
  if (isatty (2))
    g_printerr ("\n");
  if (dir == NULL)
    return vs_cli_fail ("pull", error);
  printf ("%s\n", dir);
  return 0;
}

int
vs_cli_push (int    argc,
             char **argv)
{
  gboolean private_repo = FALSE;
  gboolean create_pr = FALSE;
  g_autofree char *message = NULL;
  GOptionEntry entries[] = {
    { "private", 0, 0, G_OPTION_ARG_NONE, &private_repo, "create the repo as private", NULL },
    { "message", 'm', 0, G_OPTION_ARG_STRING, &message, "commit message", "M" },
    { "create-pr", 0, 0, G_OPTION_ARG_NONE, &create_pr, "open a pull request instead of committing to main", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL_DIR REPO_ID — upload a model folder to the Hub");
  g_autoptr(VsHub) hub = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsHubCommit) commit = NULL;
  g_autofree char *readme = NULL;
  g_autofree char *card_tmp = NULL;
  g_autofree char *url = NULL;
  cJSON *reply;
  const cJSON *u;
  const char *dir, *repo_id;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!parse (ctx, &argc, &argv, "push"))
    return 2;
  if (argc != 3)
    {
      g_printerr ("vectorsmith-cli push: expected MODEL_DIR REPO_ID\n");
      return 2;
    }
  dir = argv[1];
  repo_id = argv[2];
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("vectorsmith-cli push: %s: not a folder\n", dir);
      return 1;
    }
  if (!vs_hub_parse_repo_id (repo_id, NULL, NULL) || strchr (repo_id, '/') == NULL ||
      strchr (repo_id, '@') != NULL)
    {
      g_printerr ("vectorsmith-cli push: %s is not a repo id (namespace/name)\n", repo_id);
      return 2;
    }

  hub = vs_hub_new ();
  if (isatty (2))
    vs_hub_set_progress (hub, on_progress, (gpointer) "push");
  if (!vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, repo_id, private_repo, &url, &error))
    return vs_cli_fail ("push", error);

  commit = vs_hub_commit_new (message != NULL ? message : "Add new SentenceTransformer model");
  if (!vs_hub_commit_add_folder (commit, dir, &error))
    return vs_cli_fail ("push", error);
  /* A folder without a model card gets one, as sentence-transformers'
   * push_to_hub writes it; the folder itself is left as it is. */
  readme = g_build_filename (dir, "README.md", NULL);
  if (!g_file_test (readme, G_FILE_TEST_EXISTS))
    {
      g_autofree char *text = vs_model_card_render (dir, NULL, repo_id, &error);
      int fd;
      if (text == NULL)
        return vs_cli_fail ("push", error);
      fd = g_file_open_tmp ("vectorsmith-card-XXXXXX.md", &card_tmp, NULL);
      if (fd < 0 || write (fd, text, strlen (text)) != (gssize) strlen (text))
        {
          g_printerr ("vectorsmith-cli push: cannot write a temporary model card\n");
          if (fd >= 0)
            close (fd);
          return 1;
        }
      close (fd);
      vs_hub_commit_add_file (commit, "README.md", card_tmp);
    }
  reply = vs_hub_commit_push (hub, VS_HUB_REPO_MODEL, repo_id, NULL, commit, create_pr, &error);
  if (card_tmp != NULL)
    g_unlink (card_tmp);
  if (reply == NULL)
    return vs_cli_fail ("push", error);
  if (isatty (2))
    g_printerr ("\n");
  u = cJSON_GetObjectItemCaseSensitive (reply, "commitUrl");
  printf ("%s\n", u->valuestring);
  u = cJSON_GetObjectItemCaseSensitive (reply, "pullRequestUrl");
  if (cJSON_IsString (u))
    printf ("%s\n", u->valuestring);
  cJSON_Delete (reply);
  return 0;
}

int
vs_cli_whoami (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— show the Hub account of the token");
  g_autoptr(VsHub) hub = NULL;
  g_autoptr(GError) error = NULL;
  cJSON *me;
  const cJSON *orgs, *o, *role;

  if (!parse (ctx, &argc, &argv, "whoami"))
    return 2;
  if (argc != 1)
    {
      g_printerr ("vectorsmith-cli whoami: takes no arguments\n");
      return 2;
    }
  hub = vs_hub_new ();
  me = vs_hub_whoami (hub, &error);
  if (me == NULL)
    return vs_cli_fail ("whoami", error);
  printf ("%s\n", cJSON_GetObjectItemCaseSensitive (me, "name")->valuestring);
  orgs = cJSON_GetObjectItemCaseSensitive (me, "orgs");
  if (cJSON_GetArraySize (orgs) > 0)
    {
      printf ("orgs:");
      cJSON_ArrayForEach (o, orgs)
        if (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (o, "name")))
          printf (" %s", cJSON_GetObjectItemCaseSensitive (o, "name")->valuestring);
      printf ("\n");
    }
  role = cJSON_GetObjectItemCaseSensitive (
      cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (me, "auth"), "accessToken"), "role");
  if (cJSON_IsString (role))
    printf ("token role: %s\n", role->valuestring);
  cJSON_Delete (me);
  return 0;
}

int
vs_cli_login (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— save a Hub token read from stdin");
  g_autoptr(GError) error = NULL;
  GString *token = g_string_new (NULL);
  g_autofree char *name = NULL;
  char buf[512];
  size_t n;

  if (!parse (ctx, &argc, &argv, "login"))
    {
      g_string_free (token, TRUE);
      return 2;
    }
  if (isatty (0))
    {
      /* Interactive: one line, not echoed. */
      struct termios old_mode, quiet;
      gboolean restore = tcgetattr (0, &old_mode) == 0;
      g_printerr ("Hugging Face access token (not shown): ");
      if (restore)
        {
          quiet = old_mode;
          quiet.c_lflag &= ~(tcflag_t) ECHO;
          tcsetattr (0, TCSAFLUSH, &quiet);
        }
      if (fgets (buf, sizeof buf, stdin) != NULL)
        g_string_append (token, buf);
      if (restore)
        tcsetattr (0, TCSAFLUSH, &old_mode);
      g_printerr ("\n");
    }
  else
    while ((n = fread (buf, 1, sizeof buf, stdin)) > 0 && token->len < 4096)
      g_string_append_len (token, buf, n);
  memset (buf, 0, sizeof buf);
  name = vs_hub_login (token->str, &error);
  memset (token->str, 0, token->len);
  g_string_free (token, TRUE);
  if (name == NULL)
    return vs_cli_fail ("login", error);
  printf ("Logged in as %s\n", name);
  return 0;
}
