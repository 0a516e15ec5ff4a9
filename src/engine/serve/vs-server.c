/* vs-server.c: the OpenAI-compatible embeddings server (see vs-server.h).
 *
 * Threads: libsoup runs in the caller's main context; handlers parse and
 * validate, then pause the message and queue a Job. The worker thread takes
 * every queued job that fits in max_batch texts, runs one forward over their
 * texts, counts their tokens, and hands each job back to the main context,
 * which writes the answer and unpauses the message. A client that hangs up
 * meanwhile only marks its job gone: the answer is dropped.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/vs-quantize.h"
#include "tokenizer/vs-tokenizer.h"
#include "vs-error.h"
#include "vs-server.h"

typedef enum
{
  JOB_EMBEDDINGS,
  JOB_SIMILARITY,
} JobKind;

typedef struct
{
  VsServer          *server;
  SoupServerMessage *msg;         /* owned ref */
  JobKind            kind;
  GPtrArray         *texts;       /* char *, owned */
  gsize              n_queries;   /* similarity: texts[0..n_queries) are queries */
  gboolean           base64;
  gsize              dimensions;  /* 0: all */
  VsPrecision        precision;
  /* filled by the worker */
  float             *emb;         /* [texts->len, D] */
  gsize              tokens;
  gsize              batch_texts; /* texts in the forward that served it */
  GError            *error;
  /* main context only */
  gboolean           gone;        /* the client hung up */
  gulong             gone_id;     /* "disconnected" handler */
} Job;

struct _VsServer
{
  VsModel         *model;
  char            *model_id;
  VsServerOptions  opts;
  gsize            D;
  SoupServer      *soup;
  GMainContext    *context;
  char            *url;
  gint64           created;

  GThread         *worker;
  GMutex           lock;
  GCond            cond;
  GQueue           queue;         /* Job *, under lock */
  gboolean         quit;          /* under lock */

  guint            in_flight;     /* main context: messages taken, not yet written */
  gboolean         stopping;
  GSourceFunc      done;
  gpointer         done_data;
};

static void
job_free (Job *job)
{
  if (job->msg != NULL)
    {
      if (job->gone_id != 0)
        g_signal_handler_disconnect (job->msg, job->gone_id);
      g_object_unref (job->msg);
    }
  g_ptr_array_unref (job->texts);
  g_free (job->emb);
  g_clear_error (&job->error);
  g_free (job);
}

/* ---- answers ---- */

static void
set_json (SoupServerMessage *msg,
          guint              status,
          cJSON             *body)
{
  char *text = cJSON_PrintUnformatted (body);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
  cJSON_Delete (body);
}

/* OpenAI's error object. */
static void
set_error (SoupServerMessage *msg,
           guint              status,
           const char        *type,
           const char        *param,
           const char        *code,
           const char        *format,
           ...) G_GNUC_PRINTF (6, 7);

static void
set_error (SoupServerMessage *msg,
           guint              status,
           const char        *type,
           const char        *param,
           const char        *code,
           const char        *format,
           ...)
{
  g_autofree char *message = NULL;
  cJSON *body = cJSON_CreateObject ();
  cJSON *err = cJSON_AddObjectToObject (body, "error");
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  cJSON_AddStringToObject (err, "message", message);
  cJSON_AddStringToObject (err, "type", type);
  if (param != NULL)
    cJSON_AddStringToObject (err, "param", param);
  else
    cJSON_AddNullToObject (err, "param");
  if (code != NULL)
    cJSON_AddStringToObject (err, "code", code);
  else
    cJSON_AddNullToObject (err, "code");
  set_json (msg, status, body);
}

static void
add_usage (cJSON *body,
           gsize  tokens)
{
  cJSON *usage = cJSON_AddObjectToObject (body, "usage");

  cJSON_AddNumberToObject (usage, "prompt_tokens", (double) tokens);
  cJSON_AddNumberToObject (usage, "total_tokens", (double) tokens);
}

/* Row i of the job's embeddings, truncated to dim and re-normalised when the
 * model normalises, into row (dim floats). */
static void
job_row (Job   *job,
         gsize  i,
         gsize  dim,
         float *row)
{
  VsServer *server = job->server;

  memcpy (row, job->emb + i * server->D, dim * sizeof (float));
  if (dim < server->D && vs_model_has_normalize (server->model))
    {
      double ss = 0.0;
      for (gsize k = 0; k < dim; k++)
        ss += (double) row[k] * row[k];
      ss = MAX (sqrt (ss), 1e-12);
      for (gsize k = 0; k < dim; k++)
        row[k] = (float) (row[k] / ss);
    }
}

static void
answer_embeddings (Job *job)
{
  VsServer *server = job->server;
  gsize n = job->texts->len;
  gsize dim = job->dimensions > 0 ? job->dimensions : server->D;
  g_autofree float *rows = g_new (float, MAX (n * dim, 1));
  g_autofree guint8 *q = NULL;
  g_autoptr(GError) error = NULL;
  gsize row_bytes = vs_precision_row_bytes (job->precision, dim);
  cJSON *body, *data;

  for (gsize i = 0; i < n; i++)
    job_row (job, i, dim, rows + i * dim);
  for (gsize i = 0; i < n * dim; i++)
    if (!isfinite (rows[i]))
      {
        set_error (job->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error", "input", NULL,
                   "input[%" G_GSIZE_FORMAT "]: the embedding is not finite", i / dim);
        return;
      }
  if (job->precision != VS_PRECISION_FLOAT32)
    {
      g_autofree float *ranges = g_new (float, 2 * dim);

      q = g_new (guint8, MAX (n * row_bytes, 1));
      if (server->opts.ranges != NULL && dim == server->D)
        memcpy (ranges, server->opts.ranges, 2 * dim * sizeof (float));
      else
        vs_quantize_ranges (rows, n, dim, ranges);
      if (!vs_quantize_embeddings (rows, n, dim, job->precision, ranges, q, &error))
        {
          set_error (job->msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "precision", NULL,
                     "precision: %s", error->message);
          return;
        }
    }

  body = cJSON_CreateObject ();
  cJSON_AddStringToObject (body, "object", "list");
  data = cJSON_AddArrayToObject (body, "data");
  for (gsize i = 0; i < n; i++)
    {
      cJSON *item = cJSON_CreateObject ();

      cJSON_AddStringToObject (item, "object", "embedding");
      cJSON_AddNumberToObject (item, "index", (double) i);
      if (job->precision != VS_PRECISION_FLOAT32)
        {
          cJSON *arr = cJSON_AddArrayToObject (item, "embedding");
          gboolean is_signed = vs_precision_is_signed (job->precision);

          for (gsize k = 0; k < row_bytes; k++)
            {
              guint8 b = q[i * row_bytes + k];
              cJSON_AddItemToArray (arr, cJSON_CreateNumber (is_signed ? (double) (gint8) b : (double) b));
            }
        }
      else if (job->base64)
        {
          guint8 *bytes = g_new (guint8, dim * 4);
          char *b64;

          /* little-endian float32, as OpenAI's base64 */
          for (gsize k = 0; k < dim; k++)
            {
              guint32 u;
              memcpy (&u, &rows[i * dim + k], 4);
              u = GUINT32_TO_LE (u);
              memcpy (bytes + 4 * k, &u, 4);
            }
          b64 = g_base64_encode (bytes, dim * 4);
          cJSON_AddStringToObject (item, "embedding", b64);
          g_free (b64);
          g_free (bytes);
        }
      else
        {
          cJSON *arr = cJSON_AddArrayToObject (item, "embedding");
          char buf[32];

          for (gsize k = 0; k < dim; k++)
            {
              /* %.9g round-trips a float, as `encode` prints it */
              g_snprintf (buf, sizeof buf, "%.9g", (double) rows[i * dim + k]);
              cJSON_AddItemToArray (arr, cJSON_CreateRaw (buf));
            }
        }
      cJSON_AddItemToArray (data, item);
    }
  cJSON_AddStringToObject (body, "model", server->model_id);
  add_usage (body, job->tokens);
  set_json (job->msg, SOUP_STATUS_OK, body);
}

/* The model's similarity function on two rows (sentence-transformers'
 * SimilarityFunction: cosine, dot, euclidean = -‖a-b‖, manhattan = -‖a-b‖₁). */
static double
similarity (const char  *fn,
            const float *a,
            const float *b,
            gsize        D)
{
  double acc = 0.0, na = 0.0, nb = 0.0;

  if (g_strcmp0 (fn, "dot") == 0)
    {
      for (gsize k = 0; k < D; k++)
        acc += (double) a[k] * b[k];
      return acc;
    }
  if (g_strcmp0 (fn, "euclidean") == 0)
    {
      for (gsize k = 0; k < D; k++)
        acc += ((double) a[k] - b[k]) * ((double) a[k] - b[k]);
      return -sqrt (acc);
    }
  if (g_strcmp0 (fn, "manhattan") == 0)
    {
      for (gsize k = 0; k < D; k++)
        acc += fabs ((double) a[k] - b[k]);
      return -acc;
    }
  for (gsize k = 0; k < D; k++)
    {
      acc += (double) a[k] * b[k];
      na += (double) a[k] * a[k];
      nb += (double) b[k] * b[k];
    }
  return acc / (MAX (sqrt (na), 1e-12) * MAX (sqrt (nb), 1e-12));
}

static void
answer_similarity (Job *job)
{
  VsServer *server = job->server;
  const char *fn = vs_model_get_similarity_fn_name (server->model);
  gsize nq = job->n_queries, nd = job->texts->len - job->n_queries;
  cJSON *body = cJSON_CreateObject ();
  cJSON *matrix;
  char buf[32];

  if (fn == NULL)
    fn = "cosine";
  cJSON_AddStringToObject (body, "object", "similarity");
  cJSON_AddStringToObject (body, "model", server->model_id);
  cJSON_AddStringToObject (body, "similarity_fn", fn);
  matrix = cJSON_AddArrayToObject (body, "similarities");
  for (gsize i = 0; i < nq; i++)
    {
      cJSON *row = cJSON_CreateArray ();

      for (gsize j = 0; j < nd; j++)
        {
          double s = similarity (fn, job->emb + i * server->D, job->emb + (nq + j) * server->D, server->D);
          if (!isfinite (s))
            {
              cJSON_Delete (row);
              cJSON_Delete (body);
              set_error (job->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error", NULL, NULL,
                         "queries[%" G_GSIZE_FORMAT "] × documents[%" G_GSIZE_FORMAT "]: not finite", i, j);
              return;
            }
          g_snprintf (buf, sizeof buf, "%.9g", s);
          cJSON_AddItemToArray (row, cJSON_CreateRaw (buf));
        }
      cJSON_AddItemToArray (matrix, row);
    }
  add_usage (body, job->tokens);
  set_json (job->msg, SOUP_STATUS_OK, body);
}

static void
check_idle (VsServer *server)
{
  if (server->stopping && server->in_flight == 0 && server->done != NULL)
    {
      GSourceFunc done = server->done;

      server->done = NULL;
      done (server->done_data);
    }
}

/* main context: the message's answer is written, or its client is gone
 * (whichever comes first counts). */
static void
on_msg_finished (SoupServerMessage *msg,
                 gpointer           data)
{
  VsServer *server = data;

  if (g_object_get_data (G_OBJECT (msg), "vs-server-done") != NULL)
    return;
  g_object_set_data (G_OBJECT (msg), "vs-server-done", GINT_TO_POINTER (1));
  g_assert (server->in_flight > 0);
  server->in_flight--;
  check_idle (server);
}

/* main context: the worker is done with job. */
static gboolean
job_complete (gpointer data)
{
  Job *job = data;

  if (!job->gone)
    {
      if (job->error != NULL)
        set_error (job->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "server_error", "input", NULL,
                   "%s", job->error->message);
      else if (job->kind == JOB_EMBEDDINGS)
        answer_embeddings (job);
      else
        answer_similarity (job);
      {
        char n[32];
        g_snprintf (n, sizeof n, "%" G_GSIZE_FORMAT, job->batch_texts);
        soup_message_headers_replace (soup_server_message_get_response_headers (job->msg),
                                      "X-Vectorsmith-Batch-Texts", n);
      }
      soup_server_message_unpause (job->msg);
    }
  job_free (job);
  return G_SOURCE_REMOVE;
}

static void
on_msg_gone (SoupServerMessage *msg,
             gpointer           data)
{
  Job *job = data;

  (void) msg;
  job->gone = TRUE;
}

/* ---- the worker ---- */

static gpointer
worker_main (gpointer data)
{
  VsServer *server = data;
  VsTokenizer *tok = vs_model_get_tokenizer (server->model);
  const char *prompt = NULL;

  if (vs_model_get_default_prompt_name (server->model) != NULL)
    prompt = vs_model_get_prompt (server->model, vs_model_get_default_prompt_name (server->model));

  for (;;)
    {
      g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
      g_autoptr(GPtrArray) texts = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree float *emb = NULL;
      gsize total = 0, at = 0;

      g_mutex_lock (&server->lock);
      while (g_queue_is_empty (&server->queue) && !server->quit)
        g_cond_wait (&server->cond, &server->lock);
      if (g_queue_is_empty (&server->queue))
        {
          g_mutex_unlock (&server->lock);
          break;
        }
      /* merge what waits, up to max_batch texts (a bigger job goes alone) */
      while (!g_queue_is_empty (&server->queue))
        {
          Job *job = g_queue_peek_head (&server->queue);
          if (jobs->len > 0 && total + job->texts->len > server->opts.max_batch)
            break;
          g_queue_pop_head (&server->queue);
          g_ptr_array_add (jobs, job);
          total += job->texts->len;
        }
      g_mutex_unlock (&server->lock);

      for (guint j = 0; j < jobs->len; j++)
        {
          Job *job = jobs->pdata[j];
          for (guint i = 0; i < job->texts->len; i++)
            g_ptr_array_add (texts, job->texts->pdata[i]);
        }
      emb = g_new (float, total * server->D);
      if (!vs_model_encode_with_prompt (server->model, prompt, (const char *const *) texts->pdata, total,
                                        server->opts.max_batch, FALSE, emb, &error))
        g_clear_pointer (&emb, g_free);

      for (guint j = 0; j < jobs->len; j++)
        {
          Job *job = jobs->pdata[j];
          gsize n = job->texts->len;

          job->batch_texts = total;
          if (emb == NULL)
            job->error = g_error_copy (error);
          else
            {
              job->emb = g_memdup2 (emb + at * server->D, n * server->D * sizeof (float));
              for (gsize i = 0; tok != NULL && i < n; i++)
                {
                  g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, job->texts->pdata[i], NULL, TRUE,
                                                                   vs_model_get_max_seq_length (server->model));
                  job->tokens += enc->n_tokens;
                }
            }
          at += n;
          g_main_context_invoke (server->context, job_complete, job);
        }
    }
  return NULL;
}

/* ---- requests ---- */

static gboolean
check_key (VsServer          *server,
           SoupServerMessage *msg)
{
  const char *auth;
  gsize want, got;
  guint diff = 0;

  if (server->opts.api_key == NULL)
    return TRUE;
  auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      auth += 7;
      want = strlen (server->opts.api_key);
      got = strlen (auth);
      /* constant time in the key's length */
      for (gsize i = 0; i < want; i++)
        diff |= (guint) (server->opts.api_key[i] ^ (i < got ? auth[i] : 0));
      if (diff == 0 && got == want)
        return TRUE;
    }
  set_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_request_error", NULL, "invalid_api_key",
             auth == NULL ? "missing API key: send \"Authorization: Bearer KEY\"" : "incorrect API key provided");
  return FALSE;
}

/* A list of strings (or one string) from field; FALSE after answering. */
static gboolean
take_texts (VsServer          *server,
            SoupServerMessage *msg,
            cJSON             *field,
            const char        *name,
            GPtrArray         *texts)
{
  guint first = texts->len;

  if (field == NULL)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "missing_field",
                 "%s: required", name);
      return FALSE;
    }
  if (cJSON_IsString (field))
    g_ptr_array_add (texts, g_strdup (field->valuestring));
  else if (cJSON_IsArray (field))
    {
      guint i = 0;
      for (cJSON *it = field->child; it != NULL; it = it->next, i++)
        {
          if (cJSON_IsArray (it) || cJSON_IsNumber (it))
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "unsupported_input",
                         "%s[%u]: token ids are not supported; send the text", name, i);
              return FALSE;
            }
          if (!cJSON_IsString (it))
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "invalid_type",
                         "%s[%u]: expected a string", name, i);
              return FALSE;
            }
          if (texts->len - first >= server->opts.max_inputs)
            {
              set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", name,
                         "too_many_inputs", "%s: more than %" G_GSIZE_FORMAT " inputs", name,
                         server->opts.max_inputs);
              return FALSE;
            }
          g_ptr_array_add (texts, g_strdup (it->valuestring));
        }
    }
  else
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "invalid_type",
                 "%s: expected a string or a list of strings", name);
      return FALSE;
    }
  if (texts->len == first)
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "empty_input",
                 "%s: the list is empty", name);
      return FALSE;
    }
  for (guint i = first; i < texts->len; i++)
    {
      const char *t = texts->pdata[i];
      if (t[0] == '\0')
        {
          set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", name, "empty_input",
                     "%s[%u]: empty string", name, i - first);
          return FALSE;
        }
      if (strlen (t) > server->opts.max_input_chars)
        {
          set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", name,
                     "input_too_long", "%s[%u]: longer than %" G_GSIZE_FORMAT " bytes", name, i - first,
                     server->opts.max_input_chars);
          return FALSE;
        }
    }
  return TRUE;
}

static void
queue_job (VsServer *server,
           Job      *job)
{
  job->server = server;
  job->msg = g_object_ref (job->msg);
  soup_server_message_pause (job->msg);
  server->in_flight++;
  g_signal_connect (job->msg, "finished", G_CALLBACK (on_msg_finished), server);
  g_signal_connect (job->msg, "disconnected", G_CALLBACK (on_msg_finished), server);
  job->gone_id = g_signal_connect (job->msg, "disconnected", G_CALLBACK (on_msg_gone), job);
  g_mutex_lock (&server->lock);
  g_queue_push_tail (&server->queue, job);
  g_cond_signal (&server->cond);
  g_mutex_unlock (&server->lock);
}

static void
handle_post (VsServer          *server,
             SoupServerMessage *msg,
             JobKind            kind)
{
  GByteArray *body = g_object_get_data (G_OBJECT (msg), "vs-server-body");
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  cJSON *root, *f;
  Job *job;
  gsize n_queries = 0, dimensions = 0;
  gboolean base64 = FALSE;
  VsPrecision precision = server->opts.precision;

  if (body == NULL)
    {
      set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", NULL, "body_too_large",
                 "the request body is over %" G_GSIZE_FORMAT " bytes", server->opts.max_body_bytes);
      return;
    }
  root = cJSON_ParseWithLength ((const char *) body->data, body->len);
  if (root == NULL || !cJSON_IsObject (root))
    {
      set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", NULL, "invalid_json",
                 "the request body is not a JSON object");
      cJSON_Delete (root);
      return;
    }
  if (kind == JOB_EMBEDDINGS)
    {
      if (!take_texts (server, msg, cJSON_GetObjectItemCaseSensitive (root, "input"), "input", texts))
        goto out;
      f = cJSON_GetObjectItemCaseSensitive (root, "model");
      if (f != NULL && !cJSON_IsString (f) && !cJSON_IsNull (f))
        {
          set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "model", "invalid_type",
                     "model: expected a string");
          goto out;
        }
      f = cJSON_GetObjectItemCaseSensitive (root, "encoding_format");
      if (f != NULL && !cJSON_IsNull (f))
        {
          if (!cJSON_IsString (f) || (strcmp (f->valuestring, "float") != 0 && strcmp (f->valuestring, "base64") != 0))
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "encoding_format", "invalid_value",
                         "encoding_format: expected \"float\" or \"base64\"");
              goto out;
            }
          base64 = strcmp (f->valuestring, "base64") == 0;
        }
      f = cJSON_GetObjectItemCaseSensitive (root, "dimensions");
      if (f != NULL && !cJSON_IsNull (f))
        {
          if (!cJSON_IsNumber (f) || f->valuedouble != floor (f->valuedouble) || f->valuedouble < 1 ||
              f->valuedouble > (double) server->D)
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "dimensions", "invalid_value",
                         "dimensions: expected an integer from 1 to %" G_GSIZE_FORMAT, server->D);
              goto out;
            }
          dimensions = (gsize) f->valuedouble;
        }
      f = cJSON_GetObjectItemCaseSensitive (root, "precision");
      if (f != NULL && !cJSON_IsNull (f))
        {
          g_autoptr(GError) error = NULL;
          if (!cJSON_IsString (f) || !vs_precision_from_string (f->valuestring, &precision, &error))
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "precision", "invalid_value",
                         "precision: expected float32, int8, uint8, binary or ubinary");
              goto out;
            }
          if (precision != VS_PRECISION_FLOAT32 && base64)
            {
              set_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", "encoding_format", "invalid_value",
                         "encoding_format: base64 is for float32 embeddings only");
              goto out;
            }
        }
      else if (base64)
        precision = VS_PRECISION_FLOAT32;   /* base64 asks for floats, whatever the server's default */
    }
  else
    {
      if (!take_texts (server, msg, cJSON_GetObjectItemCaseSensitive (root, "queries"), "queries", texts))
        goto out;
      n_queries = texts->len;
      if (!take_texts (server, msg, cJSON_GetObjectItemCaseSensitive (root, "documents"), "documents", texts))
        goto out;
    }

  job = g_new0 (Job, 1);
  job->msg = msg;
  job->kind = kind;
  job->texts = g_steal_pointer (&texts);
  job->n_queries = n_queries;
  job->base64 = base64;
  job->dimensions = dimensions;
  job->precision = precision;
  queue_job (server, job);
out:
  cJSON_Delete (root);
}

static void
handle_models (VsServer          *server,
               SoupServerMessage *msg)
{
  cJSON *body = cJSON_CreateObject ();
  cJSON *data = cJSON_AddArrayToObject (body, "data");
  cJSON *item = cJSON_CreateObject ();

  cJSON_AddStringToObject (body, "object", "list");
  cJSON_AddStringToObject (item, "id", server->model_id);
  cJSON_AddStringToObject (item, "object", "model");
  cJSON_AddNumberToObject (item, "created", (double) server->created);
  cJSON_AddStringToObject (item, "owned_by", "vectorsmith");
  cJSON_AddItemToArray (data, item);
  set_json (msg, SOUP_STATUS_OK, body);
}

static void
on_request (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  VsServer *server = data;
  const char *method = soup_server_message_get_method (msg);
  JobKind kind;
  const char *want;

  (void) soup;
  (void) query;
  if (server->stopping)
    {
      set_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "server_error", NULL, "shutting_down",
                 "the server is shutting down");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      return;
    }
  if (strcmp (path, "/v1/embeddings") == 0)
    kind = JOB_EMBEDDINGS, want = "POST";
  else if (strcmp (path, "/v1/similarity") == 0)
    kind = JOB_SIMILARITY, want = "POST";
  else if (strcmp (path, "/v1/models") == 0)
    kind = JOB_EMBEDDINGS, want = "GET";
  else
    {
      set_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", NULL, "not_found",
                 "no such endpoint: %s (try /v1/embeddings, /v1/similarity, /v1/models)", path);
      return;
    }
  if (strcmp (method, want) != 0)
    {
      set_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request_error", NULL, "method_not_allowed",
                 "%s takes %s, not %s", path, want, method);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", want);
      return;
    }
  if (!check_key (server, msg))
    return;
  if (strcmp (want, "GET") == 0)
    handle_models (server, msg);
  else
    handle_post (server, msg, kind);
}

/* The body as it arrives, kept only while within the limit: a chunked body
 * of any size never takes more than max_body_bytes. */
static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           data)
{
  VsServer *server = data;
  GByteArray *body = g_object_get_data (G_OBJECT (msg), "vs-server-body");
  gsize len = g_bytes_get_size (chunk);

  if (body == NULL)
    return;
  if (body->len + len > server->opts.max_body_bytes)
    {
      g_object_set_data (G_OBJECT (msg), "vs-server-body", NULL);   /* frees it */
      return;
    }
  g_byte_array_append (body, g_bytes_get_data (chunk, NULL), (guint) len);
}

/* Before the body is read: refuse a declared body over the limit. */
static void
on_early (SoupServer        *soup,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           data)
{
  VsServer *server = data;
  goffset len = soup_message_headers_get_content_length (soup_server_message_get_request_headers (msg));

  (void) soup;
  (void) path;
  (void) query;
  if (len > (goffset) server->opts.max_body_bytes)
    {
      set_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "invalid_request_error", NULL, "body_too_large",
                 "the request body is over %" G_GSIZE_FORMAT " bytes", server->opts.max_body_bytes);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      return;
    }
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), "vs-server-body", g_byte_array_new (), (GDestroyNotify) g_byte_array_unref);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), server);
}

/* ---- lifetime ---- */

VsServer *
vs_server_new (VsModel               *model,
               const char            *model_id,
               const VsServerOptions *opts)
{
  VsServer *server;

  g_return_val_if_fail (model != NULL && model_id != NULL && opts != NULL, NULL);
  g_return_val_if_fail (opts->max_batch >= 1 && opts->max_inputs >= 1, NULL);

  server = g_new0 (VsServer, 1);
  server->model = model;
  server->model_id = g_strdup (model_id);
  server->opts = *opts;
  server->opts.api_key = g_strdup (opts->api_key);
  server->D = vs_model_get_dimension (model);
  server->opts.ranges = opts->ranges != NULL ? g_memdup2 (opts->ranges, 2 * server->D * sizeof (float)) : NULL;
  server->D = vs_model_get_dimension (model);
  server->created = g_get_real_time () / G_USEC_PER_SEC;
  g_mutex_init (&server->lock);
  g_cond_init (&server->cond);
  g_queue_init (&server->queue);
  return server;
}

gboolean
vs_server_start (VsServer    *server,
                 const char  *host,
                 guint        port,
                 GError     **error)
{
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sa = NULL;
  GSList *uris;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (server->soup == NULL, FALSE);

  if (g_strcmp0 (host, "localhost") == 0)
    host = "127.0.0.1";
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "--host \"%s\": not an IP address", host);
      return FALSE;
    }
  if (port > 65535)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "--port %u: not a TCP port", port);
      return FALSE;
    }
  server->context = g_main_context_ref_thread_default ();
  server->soup = soup_server_new ("server-header", "vectorsmith ", NULL);
  soup_server_add_early_handler (server->soup, NULL, on_early, server, NULL);
  soup_server_add_handler (server->soup, NULL, on_request, server, NULL);
  sa = g_inet_socket_address_new (addr, (guint16) port);
  if (!soup_server_listen (server->soup, sa, 0, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NETWORK, "cannot listen on %s:%u: %s", host, port, local->message);
      g_clear_object (&server->soup);
      return FALSE;
    }
  uris = soup_server_get_uris (server->soup);
  if (uris != NULL)
    {
      GUri *uri = uris->data;
      const char *h = g_uri_get_host (uri);
      gboolean v6 = strchr (h, ':') != NULL;

      server->url = g_strdup_printf ("http://%s%s%s:%d/", v6 ? "[" : "", h, v6 ? "]" : "", g_uri_get_port (uri));
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  server->worker = g_thread_new ("vs-server-worker", worker_main, server);
  return TRUE;
}

const char *
vs_server_get_url (VsServer *server)
{
  return server->url;
}

void
vs_server_shutdown (VsServer    *server,
                    GSourceFunc  done,
                    gpointer     data)
{
  server->stopping = TRUE;
  server->done = done;
  server->done_data = data;
  check_idle (server);
}

void
vs_server_free (VsServer *server)
{
  if (server == NULL)
    return;
  if (server->worker != NULL)
    {
      g_mutex_lock (&server->lock);
      server->quit = TRUE;
      g_cond_signal (&server->cond);
      g_mutex_unlock (&server->lock);
      g_thread_join (server->worker);
    }
  /* jobs the worker handed back but the loop never ran */
  if (server->context != NULL)
    while (g_main_context_iteration (server->context, FALSE))
      ;
  if (server->soup != NULL)
    {
      soup_server_disconnect (server->soup);
      g_object_unref (server->soup);
    }
  if (server->context != NULL)
    g_main_context_unref (server->context);
  g_free (server->opts.ranges);
  if (server->opts.api_key != NULL)
    {
      memset (server->opts.api_key, 0, strlen (server->opts.api_key));
      g_free (server->opts.api_key);
    }
  vs_model_free (server->model);
  g_free (server->model_id);
  g_free (server->url);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->cond);
  g_free (server);
}

char *
vs_server_read_api_key (const char  *path,
                        GError     **error)
{
  g_autofree char *contents = NULL;
  GStatBuf st;
  char *nl;

  if (g_stat (path, &st) != 0)
    {
      int err = errno;
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (err));
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PERMISSION,
                   "%s: readable by others (mode %03o); make it private with chmod 600", path,
                   (unsigned) (st.st_mode & 0777));
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  nl = strpbrk (contents, "\r\n");
  if (nl != NULL)
    *nl = '\0';
  g_strstrip (contents);
  if (contents[0] == '\0')
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the key file is empty", path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}
