/* cmd-serve.c: `serve`, the OpenAI-compatible embeddings server.
 *
 *   vectorsmith-cli serve MODEL [--host 127.0.0.1] [--port P] [--threads N]
 *                         [--api-key-file F] [--max-batch N] [--max-inputs N]
 *                         [--max-input-chars N] [--max-body-bytes N] [--model-id ID]
 *
 * Prints "listening on http://HOST:PORT/" on stdout once it accepts
 * connections (--port 0, the default, picks a free port). SIGTERM or SIGINT
 * stops it: new requests get 503, those already taken are answered, then it
 * exits 0. The endpoints are described in serve/vs-server.h and README.md.
 */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hub/vs-hub.h"
#include "model/vs-model.h"
#include "serve/vs-server.h"
#include "vs-cli.h"
#include "vs-engine.h"
#include "vs-error.h"

static gboolean
on_idle_after_shutdown (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  VsServer  *server;
  GMainLoop *loop;
  gboolean   stopping;
} ServeState;

static gboolean
on_signal (gpointer data)
{
  ServeState *st = data;

  if (!st->stopping)
    {
      st->stopping = TRUE;
      g_printerr ("vectorsmith-cli serve: shutting down after the requests in flight\n");
      vs_server_shutdown (st->server, on_idle_after_shutdown, st->loop);
    }
  return G_SOURCE_CONTINUE;
}

int
vs_cli_serve (int argc, char **argv)
{
  g_autofree char *host = NULL, *key_file = NULL, *model_id = NULL, *precision_name = NULL, *calibration = NULL;
  g_autofree float *ranges = NULL;
  gint64 port = 0, threads = 0, max_batch = 64, max_inputs = 2048, max_chars = 100000;
  gint64 max_body = 16 * 1024 * 1024;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1)", "IP" },
    { "port", 0, 0, G_OPTION_ARG_INT64, &port, "TCP port (default 0: a free one, printed)", "P" },
    { "threads", 0, 0, G_OPTION_ARG_INT64, &threads, "Threads (default: one per core)", "N" },
    { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file,
      "Require \"Authorization: Bearer KEY\", KEY read from this 0600 file", "F" },
    { "max-batch", 0, 0, G_OPTION_ARG_INT64, &max_batch, "Texts per forward (default 64)", "N" },
    { "max-inputs", 0, 0, G_OPTION_ARG_INT64, &max_inputs, "Texts per request, else 413 (default 2048)", "N" },
    { "max-input-chars", 0, 0, G_OPTION_ARG_INT64, &max_chars,
      "Bytes per text, else 413 (default 100000)", "N" },
    { "max-body-bytes", 0, 0, G_OPTION_ARG_INT64, &max_body,
      "Request body bytes, else 413 (default 16 MiB)", "N" },
    { "model-id", 0, 0, G_OPTION_ARG_STRING, &model_id, "Name in /v1/models (default: MODEL)", "ID" },
    { "precision", 0, 0, G_OPTION_ARG_STRING, &precision_name,
      "Answers' precision when a request names none: float32 (default), int8, uint8, binary, ubinary", "P" },
    { "calibration", 0, 0, G_OPTION_ARG_FILENAME, &calibration,
      "int8/uint8 ranges from the embeddings of this file's texts, one a line (default: each request's)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL");
  g_autoptr(GError) error = NULL;
  g_autofree char *model_dir = NULL, *key = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  VsServerOptions opts = VS_SERVER_OPTIONS_INIT;
  VsModel *model;
  VsServer *server;
  ServeState st = { 0 };
  guint sig_term, sig_int;

  g_option_context_set_summary (ctx, "Serve MODEL's embeddings over an OpenAI-compatible HTTP API.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("vectorsmith-cli %s: expected one MODEL (folder or Hub id)\n", argv[0]);
      return 2;
    }
  if (port < 0 || port > 65535 || threads < 0 || threads > 4096 || max_batch < 1 || max_batch > 100000 ||
      max_inputs < 1 || max_inputs > 1000000 || max_chars < 1 || max_body < 1)
    {
      g_printerr ("vectorsmith-cli %s: --port must be 0-65535; --threads, --max-batch, --max-inputs, "
                  "--max-input-chars and --max-body-bytes must be positive\n", argv[0]);
      return 2;
    }
  if (precision_name != NULL && !vs_precision_from_string (precision_name, &opts.precision, &error))
    return vs_cli_fail (argv[0], error);
  if (key_file != NULL)
    {
      key = vs_server_read_api_key (key_file, &error);
      if (key == NULL)
        return vs_cli_fail (argv[0], error);
    }
  vs_engine_set_threads ((guint) threads);
  model_dir = vs_hub_resolve_model (argv[1], &error);
  if (model_dir == NULL)
    return vs_cli_fail (argv[0], error);
  model = vs_model_load (model_dir, &error);
  if (model == NULL)
    return vs_cli_fail (argv[0], error);

  if (calibration != NULL)
    {
      const char *prompt = vs_model_get_default_prompt_name (model) != NULL
                           ? vs_model_get_prompt (model, vs_model_get_default_prompt_name (model)) : NULL;

      ranges = g_new (float, 2 * vs_model_get_dimension (model));
      if (!vs_cli_calibration_ranges (model, prompt, calibration, 32, FALSE, ranges, &error))
        {
          vs_model_free (model);
          return vs_cli_fail (argv[0], error);
        }
      opts.ranges = ranges;
    }
  opts.max_batch = (gsize) max_batch;
  opts.max_inputs = (gsize) max_inputs;
  opts.max_input_chars = (gsize) max_chars;
  opts.max_body_bytes = (gsize) max_body;
  opts.api_key = key;
  server = vs_server_new (model, model_id != NULL ? model_id : argv[1], &opts);
  if (key != NULL)
    {
      memset (key, 0, strlen (key));
      opts.api_key = NULL;
    }
  if (!vs_server_start (server, host != NULL ? host : "127.0.0.1", (guint) port, &error))
    {
      vs_server_free (server);
      return vs_cli_fail (argv[0], error);
    }
  /* a client that hangs up must not kill us */
  signal (SIGPIPE, SIG_IGN);
  loop = g_main_loop_new (NULL, FALSE);
  st.server = server;
  st.loop = loop;
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &st);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &st);
  g_print ("listening on %s\n", vs_server_get_url (server));
  fflush (stdout);
  g_main_loop_run (loop);
  g_source_remove (sig_term);
  g_source_remove (sig_int);
  vs_server_free (server);
  return 0;
}
