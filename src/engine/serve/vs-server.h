/* vs-server.h: an OpenAI-compatible embeddings server over one model.
 *
 * What `vectorsmith-cli serve` runs: a libsoup 3 HTTP server, in the
 * GMainContext that is the thread-default one when vs_server_start() is
 * called, answering
 *   POST /v1/embeddings   {"input": "text" | ["text", ...], "model": ...,
 *                          "encoding_format": "float" | "base64",
 *                          "dimensions": N, "precision": "float32" |
 *                          "int8" | "uint8" | "binary" | "ubinary"}
 *                         → OpenAI's {"object": "list", "data": [{"object":
 *                          "embedding", "index", "embedding"}], "model",
 *                          "usage": {"prompt_tokens", "total_tokens"}}
 *   GET  /v1/models       → {"object": "list", "data": [{"id", "object":
 *                          "model", "created", "owned_by"}]}
 *   POST /v1/similarity   {"queries": [...], "documents": [...]} →
 *                         {"object": "similarity", "model", "similarity_fn",
 *                          "similarities": [[q0·d0, ...], ...], "usage"}
 * Embeddings are what vs_model_encode_with_prompt() gives with the model's
 * default prompt and no extra normalisation (= `vectorsmith-cli encode`).
 * base64 is the little-endian float32 bytes. dimensions truncates
 * (Matryoshka) and re-normalises when the model ends with Normalize.
 * precision (an extension; default opts->precision) quantises as
 * vs-quantize.h, int8/uint8 ranges from opts->ranges (calibration) when
 * given and the answer is full width, else from the request's own
 * embeddings; quantised output is a list of integers (base64 is refused
 * with it).
 *
 * One worker thread owns the model: requests are queued and those waiting
 * while a forward runs are merged into the next one, up to max_batch texts.
 * Each answer's X-Vectorsmith-Batch-Texts header says how many texts the
 * forward that served it had (its own and the merged requests').
 * Errors are OpenAI's {"error": {"message", "type", "param", "code"}} with
 * 400 (malformed JSON, wrong types, empty input), 401 (bad or missing key
 * when a key is set), 404, 405, 413 (body, input count or input length over
 * the limits) and 503 (shutting down). The key is never logged.
 *
 *   VsServerOptions opts = VS_SERVER_OPTIONS_INIT;
 *   VsServer *srv = vs_server_new (model, "my-model", &opts);   // takes model
 *   if (!vs_server_start (srv, "127.0.0.1", 0, &error)) ...
 *   g_print ("%s\n", vs_server_get_url (srv));                  // port 0: picked
 *   ...main loop...
 *   vs_server_shutdown (srv, on_idle, data);  // refuse new work; on_idle once
 *                                             // in-flight answers are written
 *   vs_server_free (srv);
 */
#pragma once

#include <glib.h>

#include "model/vs-model.h"
#include "model/vs-quantize.h"

G_BEGIN_DECLS

typedef struct
{
  gsize   max_batch;         /* texts per forward (>= 1) */
  gsize   max_inputs;        /* texts per request, else 413 */
  gsize   max_input_chars;   /* bytes per text, else 413 */
  gsize   max_body_bytes;    /* request body, else 413 */
  char   *api_key;           /* NULL: no key; else "Authorization: Bearer KEY" */
  VsPrecision precision;     /* for requests that name none (default float32) */
  float  *ranges;            /* int8/uint8 ranges [2, D] for full-width answers
                                (vs_quantize_ranges over calibration texts);
                                NULL: from each request's own embeddings */
} VsServerOptions;

#define VS_SERVER_OPTIONS_INIT { 64, 2048, 100000, 16 * 1024 * 1024, NULL }

typedef struct _VsServer VsServer;

/* Takes ownership of model; model_id is what /v1/models lists. opts is
 * copied (api_key and ranges too). */
VsServer    *vs_server_new             (VsModel               *model,
                                        const char            *model_id,
                                        const VsServerOptions *opts);
/* Listens on host (an IP literal or "localhost") and port (0: a free one). */
gboolean     vs_server_start           (VsServer              *server,
                                        const char            *host,
                                        guint                  port,
                                        GError               **error);
/* "http://HOST:PORT/" once started. */
const char  *vs_server_get_url         (VsServer              *server);
/* New requests get 503; done runs (in the server's context) once every
 * request already taken has been answered and written. */
void         vs_server_shutdown        (VsServer              *server,
                                        GSourceFunc            done,
                                        gpointer               data);
/* Stops the worker (after its queue) and closes the listeners. */
void         vs_server_free            (VsServer              *server);

/* Reads an API key from a file that only its owner may read (mode 0600 or
 * 0400): the first line, trimmed. NULL + error naming the file otherwise. */
char        *vs_server_read_api_key    (const char            *path,
                                        GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsServer, vs_server_free)

G_END_DECLS
