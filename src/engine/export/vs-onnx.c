/* vs-onnx.c: see vs-onnx.h. Field numbers are onnx.proto's. */
#include "config.h"

#include "export/vs-onnx.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "export/vs-protobuf.h"
#include "model/vs-encoder.h"
#include "vs-error.h"

/* vs-model.c's accessors for the modules it keeps private */
gsize       _vs_model_get_n_heads (VsModel *model);
gsize       _vs_model_get_n_dense (VsModel *model);
gsize       _vs_model_get_dense_out (VsModel *model, gsize i);
gboolean    _vs_model_get_dense_has_bias (VsModel *model, gsize i);
const char *_vs_model_get_dense_activation (VsModel *model, gsize i);
gint        _vs_model_get_normalize_at (VsModel *model);

/* onnx.proto: TensorProto.DataType */
enum { ONNX_FLOAT = 1, ONNX_INT64 = 7 };
/* onnx.proto: AttributeProto.AttributeType */
enum { ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7 };

#define ONNX_MAX_BYTES ((gsize) 2000 * 1000 * 1000)

typedef struct
{
  GByteArray *body;    /* GraphProto fields: nodes and initializers */
  GPtrArray  *names;   /* owned value names */
  guint       counter;
  gsize       weight_bytes;
  VsModel    *model;
  const float *params;
  gboolean    too_big;
  int         opset;
} Graph;

static const char *
fresh (Graph *g, const char *hint)
{
  char *s = g_strdup_printf ("%s_%u", hint, g->counter++);
  g_ptr_array_add (g->names, s);
  return s;
}

/* --- attributes (NodeProto field 5) --- */

static void
attr_int (GByteArray *attrs, const char *name, gint64 v)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();

  vs_pb_put_string (a, 1, name);
  vs_pb_put_int (a, 3, v);
  vs_pb_put_uint (a, 20, ATTR_INT);
  vs_pb_put_message (attrs, 5, a);
}

static void
attr_float (GByteArray *attrs, const char *name, float v)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();

  vs_pb_put_string (a, 1, name);
  vs_pb_put_float (a, 2, v);
  vs_pb_put_uint (a, 20, ATTR_FLOAT);
  vs_pb_put_message (attrs, 5, a);
}

static void
attr_ints (GByteArray *attrs, const char *name, const gint64 *v, gsize n)
{
  g_autoptr(GByteArray) a = g_byte_array_new ();

  vs_pb_put_string (a, 1, name);
  for (gsize i = 0; i < n; i++)
    vs_pb_put_int (a, 8, v[i]);
  vs_pb_put_uint (a, 20, ATTR_INTS);
  vs_pb_put_message (attrs, 5, a);
}

/* Appends a NodeProto (GraphProto field 1) with inputs in[0..n_in) and
 * one output; returns the output's name (fresh unless out is given). */
static const char *
node (Graph *g, const char *op, const char *out, GByteArray *attrs, gsize n_in, const char *const *in)
{
  g_autoptr(GByteArray) nd = g_byte_array_new ();

  if (out == NULL)
    out = fresh (g, op);
  for (gsize i = 0; i < n_in; i++)
    vs_pb_put_string (nd, 1, in[i]);
  vs_pb_put_string (nd, 2, out);
  vs_pb_put_string (nd, 3, fresh (g, "n"));
  vs_pb_put_string (nd, 4, op);
  if (attrs != NULL)
    g_byte_array_append (nd, attrs->data, attrs->len);
  vs_pb_put_message (g->body, 1, nd);
  return out;
}

static const char *
op1 (Graph *g, const char *op, const char *a)
{
  const char *in[] = { a };
  return node (g, op, NULL, NULL, 1, in);
}

static const char *
op2 (Graph *g, const char *op, const char *a, const char *b)
{
  const char *in[] = { a, b };
  return node (g, op, NULL, NULL, 2, in);
}

/* --- initializers (GraphProto field 5) --- */

static void
put_le (GByteArray *b, const void *data, gsize n, gsize elem)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_byte_array_append (b, data, (guint) (n * elem));
#else
  const guint8 *p = data;
  for (gsize i = 0; i < n; i++)
    for (gsize k = elem; k-- > 0;)
      g_byte_array_append (b, p + i * elem + k, 1);
#endif
}

static const char *
init_tensor (Graph *g, const char *hint, int type, const gint64 *dims, gsize ndim,
             const void *data, gsize n)
{
  g_autoptr(GByteArray) t = g_byte_array_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  const char *name = fresh (g, hint);
  gsize elem = type == ONNX_INT64 ? 8 : 4;

  g->weight_bytes += n * elem;
  if (g->weight_bytes > ONNX_MAX_BYTES)
    {
      g->too_big = TRUE;
      return name;
    }
  for (gsize i = 0; i < ndim; i++)
    vs_pb_put_int (t, 1, dims[i]);
  vs_pb_put_uint (t, 2, (guint64) type);
  vs_pb_put_string (t, 8, name);
  put_le (raw, data, n, elem);
  vs_pb_put_bytes (t, 9, raw->data, raw->len);
  vs_pb_put_message (g->body, 5, t);
  return name;
}

static const char *
const_f (Graph *g, float v)
{
  return init_tensor (g, "c", ONNX_FLOAT, NULL, 0, &v, 1);
}

static const char *
const_i64s (Graph *g, const gint64 *v, gsize n)
{
  gint64 dims[1] = { (gint64) n };
  return init_tensor (g, "axes", ONNX_INT64, dims, 1, v, n);
}

static const char *
const_i64 (Graph *g, gint64 v)
{
  return init_tensor (g, "c", ONNX_INT64, NULL, 0, &v, 1);
}

/* --- the model's tensors --- */

static const VsParamInfo *
find_tensor (VsModel *m, const char *name)
{
  for (gsize i = 0; i < vs_model_get_n_tensors (m); i++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, i);
      if (g_strcmp0 (info->name, name) == 0)
        return info;
    }
  return NULL;
}

static const VsParamInfo *
need_tensor (Graph *g, const char *name, GError **error)
{
  const VsParamInfo *info = find_tensor (g->model, name);

  if (info == NULL)
    g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the model has no tensor \"%s\"", name);
  return info;
}

/* A weight as stored, rows limited to max_rows (0: all). */
static const char *
weight (Graph *g, const VsParamInfo *info, gsize max_rows)
{
  gint64 dims[4];
  gsize n = info->numel;

  for (int i = 0; i < info->ndim; i++)
    dims[i] = (gint64) info->shape[i];
  if (max_rows > 0 && info->ndim == 2 && info->shape[0] > max_rows)
    {
      dims[0] = (gint64) max_rows;
      n = max_rows * info->shape[1];
    }
  return init_tensor (g, "w", ONNX_FLOAT, dims, (gsize) info->ndim, g->params + info->offset, n);
}

/* A PyTorch Linear weight [out, in] as the [in, out] MatMul operand. */
static const char *
weight_t (Graph *g, const VsParamInfo *info)
{
  gsize o = info->shape[0], in = info->shape[1];
  g_autofree float *t = g_new (float, MAX (o * in, 1));
  const float *w = g->params + info->offset;
  gint64 dims[2] = { (gint64) in, (gint64) o };

  for (gsize r = 0; r < o; r++)
    for (gsize c = 0; c < in; c++)
      t[c * o + r] = w[r * in + c];
  return init_tensor (g, "wt", ONNX_FLOAT, dims, 2, t, o * in);
}

/* x [.., in] -> x W^T + b  [.., out] */
static const char *
linear (Graph *g, const char *x, const char *wname, const char *bname, GError **error)
{
  const VsParamInfo *w = need_tensor (g, wname, error);
  const char *y;

  if (w == NULL)
    return NULL;
  y = op2 (g, "MatMul", x, weight_t (g, w));
  if (bname != NULL)
    {
      const VsParamInfo *b = need_tensor (g, bname, error);
      if (b == NULL)
        return NULL;
      y = op2 (g, "Add", y, weight (g, b, 0));
    }
  return y;
}

/* LayerNorm over the last axis: LayerNormalization (opset 17) or its
 * decomposition (x - mean) / sqrt (var + eps) * w + b. */
static const char *
layernorm (Graph *g, const char *x, const char *prefix, float eps, GError **error)
{
  g_autofree char *wn = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bn = g_strconcat (prefix, ".bias", NULL);
  const VsParamInfo *w = need_tensor (g, wn, error), *b;
  gint64 last[1] = { -1 };
  const char *d, *var, *mean, *y;

  if (w == NULL || (b = need_tensor (g, bn, error)) == NULL)
    return NULL;
  if (g->opset >= 17)
    {
      g_autoptr(GByteArray) at = g_byte_array_new ();
      const char *in[3] = { x, weight (g, w, 0), weight (g, b, 0) };
      attr_int (at, "axis", -1);
      attr_float (at, "epsilon", eps);
      return node (g, "LayerNormalization", NULL, at, 3, in);
    }
  {
    g_autoptr(GByteArray) at = g_byte_array_new ();
    const char *in[1] = { x };
    attr_ints (at, "axes", last, 1);
    mean = node (g, "ReduceMean", NULL, at, 1, in);
  }
  d = op2 (g, "Sub", x, mean);
  {
    g_autoptr(GByteArray) at = g_byte_array_new ();
    const char *in[1] = { op2 (g, "Mul", d, d) };
    attr_ints (at, "axes", last, 1);
    var = node (g, "ReduceMean", NULL, at, 1, in);
  }
  y = op2 (g, "Div", d, op1 (g, "Sqrt", op2 (g, "Add", var, const_f (g, eps))));
  y = op2 (g, "Mul", y, weight (g, w, 0));
  return op2 (g, "Add", y, weight (g, b, 0));
}

static const char *
activation (Graph *g, const char *x, VsActivation act)
{
  switch (act)
    {
    case VS_ACT_IDENTITY:
      return x;
    case VS_ACT_GELU:
      {
        /* x/2 (1 + erf (x / sqrt 2)) */
        const char *e = op1 (g, "Erf", op2 (g, "Mul", x, const_f (g, (float) M_SQRT1_2)));
        return op2 (g, "Mul", op2 (g, "Mul", x, const_f (g, 0.5f)), op2 (g, "Add", e, const_f (g, 1.0f)));
      }
    case VS_ACT_GELU_TANH:
      {
        /* x/2 (1 + tanh (sqrt (2/pi) (x + 0.044715 x^3))) */
        const char *x3 = op2 (g, "Mul", op2 (g, "Mul", x, x), x);
        const char *in = op2 (g, "Add", x, op2 (g, "Mul", x3, const_f (g, 0.044715f)));
        const char *t = op1 (g, "Tanh", op2 (g, "Mul", in, const_f (g, (float) sqrt (2.0 / G_PI))));
        return op2 (g, "Mul", op2 (g, "Mul", x, const_f (g, 0.5f)), op2 (g, "Add", t, const_f (g, 1.0f)));
      }
    case VS_ACT_RELU:
      return op1 (g, "Relu", x);
    case VS_ACT_TANH:
      return op1 (g, "Tanh", x);
    case VS_ACT_SIGMOID:
      return op1 (g, "Sigmoid", x);
    default:
      return NULL;
    }
}

static const char *
reduce (Graph *g, const char *op, const char *x, gint64 axis, gboolean keep)
{
  g_autoptr(GByteArray) at = g_byte_array_new ();

  attr_int (at, "keepdims", keep ? 1 : 0);
  if (g_str_equal (op, "ReduceSum"))
    {
      /* ReduceSum takes its axes as an input from opset 13 */
      const char *in[2] = { x, const_i64s (g, &axis, 1) };
      return node (g, op, NULL, at, 2, in);
    }
  {
    const char *in[1] = { x };
    attr_ints (at, "axes", &axis, 1);
    return node (g, op, NULL, at, 1, in);
  }
}

static const char *
unsqueeze (Graph *g, const char *x, gint64 axis)
{
  return op2 (g, "Unsqueeze", x, const_i64s (g, &axis, 1));
}

static const char *
transpose (Graph *g, const char *x, const gint64 *perm, gsize n)
{
  g_autoptr(GByteArray) at = g_byte_array_new ();
  const char *in[1] = { x };

  attr_ints (at, "perm", perm, n);
  return node (g, "Transpose", NULL, at, 1, in);
}

static const char *
cast (Graph *g, const char *x, int to)
{
  g_autoptr(GByteArray) at = g_byte_array_new ();
  const char *in[1] = { x };

  attr_int (at, "to", to);
  return node (g, "Cast", NULL, at, 1, in);
}

/* --- graph inputs and outputs (ValueInfoProto) --- */

static void
value_info (GByteArray *graph, guint32 field, const char *name, int type,
            const char *const *dims, gsize ndim)
{
  g_autoptr(GByteArray) vi = g_byte_array_new ();
  g_autoptr(GByteArray) tp = g_byte_array_new ();
  g_autoptr(GByteArray) tt = g_byte_array_new ();
  g_autoptr(GByteArray) shape = g_byte_array_new ();

  for (gsize i = 0; i < ndim; i++)
    {
      g_autoptr(GByteArray) d = g_byte_array_new ();
      char *end = NULL;
      gint64 v = g_ascii_strtoll (dims[i], &end, 10);
      if (end != NULL && *end == '\0' && end != dims[i])
        vs_pb_put_int (d, 1, v);          /* dim_value */
      else
        vs_pb_put_string (d, 2, dims[i]); /* dim_param */
      vs_pb_put_message (shape, 1, d);
    }
  vs_pb_put_uint (tt, 1, (guint64) type);  /* elem_type */
  vs_pb_put_message (tt, 2, shape);
  vs_pb_put_message (tp, 1, tt);           /* TypeProto.tensor_type */
  vs_pb_put_string (vi, 1, name);
  vs_pb_put_message (vi, 2, tp);
  vs_pb_put_message (graph, field, vi);
}

/* --- the Transformer --- */

static char *
transformer_dir (const char *dir, GError **error)
{
  g_autofree char *mpath = g_build_filename (dir, "modules.json", NULL);
  g_autofree char *text = NULL;
  cJSON *j, *e;
  char *res = NULL;

  if (!g_file_get_contents (mpath, &text, NULL, NULL))
    return g_strdup (dir);
  j = cJSON_Parse (text);
  if (!cJSON_IsArray (j))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not a JSON array of modules", mpath);
      cJSON_Delete (j);
      return NULL;
    }
  cJSON_ArrayForEach (e, j)
    {
      cJSON *type = cJSON_GetObjectItemCaseSensitive (e, "type");
      cJSON *path = cJSON_GetObjectItemCaseSensitive (e, "path");
      if (cJSON_IsString (type) && g_str_has_suffix (type->valuestring, "Transformer"))
        {
          res = g_build_filename (dir, cJSON_IsString (path) ? path->valuestring : "", NULL);
          break;
        }
    }
  cJSON_Delete (j);
  return res != NULL ? res : g_strdup (dir);
}

static gboolean
read_config (const char *dir, VsEncoderConfig *cfg, GError **error)
{
  g_autofree char *tdir = transformer_dir (dir, error);
  g_autofree char *cpath = NULL;
  g_autofree char *text = NULL;
  cJSON *j;
  gboolean ok;

  if (tdir == NULL)
    return FALSE;
  cpath = g_build_filename (tdir, "config.json", NULL);
  if (!g_file_get_contents (cpath, &text, NULL, error))
    return FALSE;
  j = cJSON_Parse (text);
  if (j == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", cpath);
      return FALSE;
    }
  ok = vs_encoder_config_parse (cfg, j, cpath, error);
  cJSON_Delete (j);
  return ok;
}

typedef struct
{
  const char *ids, *mask, *types;  /* graph inputs */
  const char *maskf;               /* float [B, S] */
  const char *seq;                 /* int64 scalar S */
} Inputs;

#define TRY(x) do { if ((x) == NULL) return NULL; } while (0)

static const char *
build_encoder (Graph *g, const VsEncoderConfig *cfg, const Inputs *in, gsize max_len, GError **error)
{
  gboolean distil = cfg->arch == VS_ARCH_DISTILBERT;
  gboolean mpnet = cfg->arch == VS_ARCH_MPNET;
  gsize pos_off = (cfg->arch == VS_ARCH_ROBERTA || cfg->arch == VS_ARCH_XLM_ROBERTA || mpnet)
                  ? (gsize) cfg->pad_id + 1 : 0;
  gsize C = cfg->C, H = cfg->H, d = C / H;
  const VsParamInfo *wi, *pi;
  const char *x, *pos, *attn_bias, *rel_bias = NULL;
  gint64 perm_q[4] = { 0, 2, 1, 3 }, perm_k[4] = { 0, 2, 3, 1 };
  gint64 shp_heads[4] = { 0, 0, (gint64) H, (gint64) d }, shp_merge[3] = { 0, 0, (gint64) C };
  const char *heads_shape, *merge_shape;

  TRY (wi = need_tensor (g, "embeddings.word_embeddings.weight", error));
  TRY (pi = need_tensor (g, "embeddings.position_embeddings.weight", error));
  x = op2 (g, "Gather", weight (g, wi, 0), in->ids);                  /* [B, S, C] */
  if (pos_off == 0)
    {
      const char *r[3] = { const_i64 (g, 0), in->seq, const_i64 (g, 1) };
      const char *range = node (g, "Range", NULL, NULL, 3, r);             /* [S] */
      pos = op2 (g, "Gather", weight (g, pi, max_len), range);            /* [S, C] */
    }
  else
    {
      /* create_position_ids_from_input_ids: cumsum (ids != pad) * (ids != pad) + pad */
      const char *ne = cast (g, op1 (g, "Not", op2 (g, "Equal", in->ids, const_i64 (g, cfg->pad_id))), ONNX_INT64);
      const char *cs = op2 (g, "CumSum", ne, const_i64 (g, 1));
      const char *ids = op2 (g, "Add", op2 (g, "Mul", cs, ne), const_i64 (g, cfg->pad_id));
      pos = op2 (g, "Gather", weight (g, pi, pos_off + max_len), ids);    /* [B, S, C] */
    }
  if (cfg->type_vocab > 0)
    {
      const VsParamInfo *ti;
      TRY (ti = need_tensor (g, "embeddings.token_type_embeddings.weight", error));
      if (in->types != NULL)
        x = op2 (g, "Add", x, op2 (g, "Gather", weight (g, ti, 0), in->types));
      else
        x = op2 (g, "Add", x, weight (g, ti, 1));                         /* row 0, [1, C] */
    }
  x = op2 (g, "Add", x, pos);
  TRY (x = layernorm (g, x, "embeddings.LayerNorm", cfg->ln_eps, error));

  /* additive key mask [B, 1, 1, S]: 0 where attended, -1e9 where padded */
  attn_bias = op2 (g, "Mul", op2 (g, "Sub", const_f (g, 1.0f), in->maskf), const_f (g, -1e9f));
  attn_bias = unsqueeze (g, unsqueeze (g, attn_bias, 1), 1);

  if (mpnet)
    {
      /* bias[h, i, j] = rel[bucket (j - i), h], from a [L, L] bucket table */
      const VsParamInfo *ri;
      g_autofree gint64 *tab = g_new (gint64, max_len * max_len);
      gint64 dims[2] = { (gint64) max_len, (gint64) max_len };
      gint64 perm[3] = { 2, 0, 1 };
      const char *sl[5], *idx;

      TRY (ri = need_tensor (g, "encoder.relative_attention_bias.weight", error));
      for (gsize i = 0; i < max_len; i++)
        for (gsize j = 0; j < max_len; j++)
          tab[i * max_len + j] = vs_relative_position_bucket ((gint) j - (gint) i, (gint) cfg->num_buckets,
                                                              (gint) cfg->max_distance);
      {
        gint64 zeros[2] = { 0, 0 }, axes[2] = { 0, 1 };
        const char *ci[2] = { unsqueeze (g, in->seq, 0), unsqueeze (g, in->seq, 0) };
        g_autoptr(GByteArray) at = g_byte_array_new ();
        const char *ends;

        attr_int (at, "axis", 0);
        ends = node (g, "Concat", NULL, at, 2, ci);                           /* [S, S] */
        sl[0] = init_tensor (g, "buckets", ONNX_INT64, dims, 2, tab, max_len * max_len);
        sl[1] = const_i64s (g, zeros, 2);
        sl[2] = ends;
        sl[3] = const_i64s (g, axes, 2);
        idx = node (g, "Slice", NULL, NULL, 4, sl);                          /* [S, S] */
      }
      rel_bias = op2 (g, "Gather", weight (g, ri, 0), idx);                /* [S, S, H] */
      rel_bias = unsqueeze (g, transpose (g, rel_bias, perm, 3), 0);       /* [1, H, S, S] */
    }

  heads_shape = const_i64s (g, shp_heads, 4);
  merge_shape = const_i64s (g, shp_merge, 3);
  for (gsize l = 0; l < cfg->n_layers; l++)
    {
      g_autofree char *pre = distil ? g_strdup_printf ("transformer.layer.%" G_GSIZE_FORMAT ".", l)
                                    : g_strdup_printf ("encoder.layer.%" G_GSIZE_FORMAT ".", l);
      const char *qn = distil ? "attention.q_lin" : mpnet ? "attention.attn.q" : "attention.self.query";
      const char *kn = distil ? "attention.k_lin" : mpnet ? "attention.attn.k" : "attention.self.key";
      const char *vn = distil ? "attention.v_lin" : mpnet ? "attention.attn.v" : "attention.self.value";
      const char *ao = distil ? "attention.out_lin" : mpnet ? "attention.attn.o" : "attention.output.dense";
      const char *ln1 = distil ? "sa_layer_norm" : mpnet ? "attention.LayerNorm" : "attention.output.LayerNorm";
      const char *fi = distil ? "ffn.lin1" : "intermediate.dense";
      const char *fo = distil ? "ffn.lin2" : "output.dense";
      const char *ln2 = distil ? "output_layer_norm" : "output.LayerNorm";
      const char *q, *k, *v, *s, *ctx, *h1, *f;
      g_autofree char *w = NULL, *b = NULL;

#define LIN(out, input, mod) \
      do { \
        g_free (w); g_free (b); \
        w = g_strconcat (pre, mod, ".weight", NULL); \
        b = g_strconcat (pre, mod, ".bias", NULL); \
        TRY (out = linear (g, input, w, b, error)); \
      } while (0)

      LIN (q, x, qn);
      LIN (k, x, kn);
      LIN (v, x, vn);
      q = transpose (g, op2 (g, "Reshape", q, heads_shape), perm_q, 4);   /* [B, H, S, d] */
      k = transpose (g, op2 (g, "Reshape", k, heads_shape), perm_k, 4);   /* [B, H, d, S] */
      v = transpose (g, op2 (g, "Reshape", v, heads_shape), perm_q, 4);   /* [B, H, S, d] */
      s = op2 (g, "Mul", op2 (g, "MatMul", q, k), const_f (g, 1.0f / sqrtf ((float) d)));
      if (rel_bias != NULL)
        s = op2 (g, "Add", s, rel_bias);
      s = op2 (g, "Add", s, attn_bias);
      {
        g_autoptr(GByteArray) at = g_byte_array_new ();
        const char *si[1] = { s };
        attr_int (at, "axis", -1);
        s = node (g, "Softmax", NULL, at, 1, si);
      }
      ctx = op2 (g, "MatMul", s, v);                                      /* [B, H, S, d] */
      ctx = op2 (g, "Reshape", transpose (g, ctx, perm_q, 4), merge_shape); /* [B, S, C] */
      LIN (h1, ctx, ao);
      {
        g_autofree char *p = g_strconcat (pre, ln1, NULL);
        TRY (h1 = layernorm (g, op2 (g, "Add", h1, x), p, cfg->ln_eps, error));
      }
      LIN (f, h1, fi);
      TRY (f = activation (g, f, cfg->act));
      LIN (f, f, fo);
      {
        g_autofree char *p = g_strconcat (pre, ln2, NULL);
        TRY (x = layernorm (g, op2 (g, "Add", f, h1), p, cfg->ln_eps, error));
      }
#undef LIN
    }
  return x;
}

/* Pooling of h [B, S, C] under the mask, the engine's modes in bit order. */
static const char *
build_pooling (Graph *g, const char *h, const Inputs *in, guint modes)
{
  const char *parts[6];
  gsize n = 0;
  const char *mask3 = unsqueeze (g, in->maskf, 2);                        /* [B, S, 1] */
  const char *cnt = NULL, *sum = NULL;

  for (guint bit = 0; bit < 6; bit++)
    {
      guint mode = 1u << bit;

      if (!(modes & mode))
        continue;
      if ((mode == VS_POOLING_MEAN || mode == VS_POOLING_MEAN_SQRT) && sum == NULL)
        {
          sum = reduce (g, "ReduceSum", op2 (g, "Mul", h, mask3), 1, FALSE); /* [B, C] */
          cnt = op2 (g, "Max", reduce (g, "ReduceSum", mask3, 1, FALSE), const_f (g, 1e-9f)); /* [B, 1] */
        }
      switch (mode)
        {
        case VS_POOLING_CLS:
          {
            g_autoptr(GByteArray) at = g_byte_array_new ();
            const char *gi[2] = { h, const_i64 (g, 0) };
            attr_int (at, "axis", 1);
            parts[n++] = node (g, "Gather", NULL, at, 2, gi);
          }
          break;
        case VS_POOLING_MAX:
          {
            const char *w[3] = { cast (g, mask3, 9 /* BOOL */), h, const_f (g, -3.0e38f) };
            parts[n++] = reduce (g, "ReduceMax", node (g, "Where", NULL, NULL, 3, w), 1, FALSE);
          }
          break;
        case VS_POOLING_MEAN:
          parts[n++] = op2 (g, "Div", sum, cnt);
          break;
        case VS_POOLING_MEAN_SQRT:
          parts[n++] = op2 (g, "Div", sum, op1 (g, "Sqrt", cnt));
          break;
        case VS_POOLING_WEIGHTEDMEAN:
          {
            /* weights 1..S under the mask */
            const char *r[3] = { const_f (g, 1.0f), op2 (g, "Add", cast (g, in->seq, ONNX_FLOAT), const_f (g, 1.0f)),
                                 const_f (g, 1.0f) };
            const char *wts = unsqueeze (g, node (g, "Range", NULL, NULL, 3, r), 1);   /* [S, 1] */
            const char *wm = op2 (g, "Mul", mask3, wts);                                /* [B, S, 1] */
            const char *den = op2 (g, "Max", reduce (g, "ReduceSum", wm, 1, FALSE), const_f (g, 1e-9f));
            parts[n++] = op2 (g, "Div", reduce (g, "ReduceSum", op2 (g, "Mul", h, wm), 1, FALSE), den);
          }
          break;
        case VS_POOLING_LASTTOKEN:
          {
            /* one-hot of position (sum of the mask) - 1 */
            const char *r[3] = { const_i64 (g, 0), in->seq, const_i64 (g, 1) };
            const char *last = op2 (g, "Sub", reduce (g, "ReduceSum", in->mask, 1, TRUE), const_i64 (g, 1)); /* [B, 1] */
            const char *hot = cast (g, op2 (g, "Equal", node (g, "Range", NULL, NULL, 3, r), last), ONNX_FLOAT);
            parts[n++] = reduce (g, "ReduceSum", op2 (g, "Mul", h, unsqueeze (g, hot, 2)), 1, FALSE);
          }
          break;
        default:
          break;
        }
    }
  if (n == 1)
    return parts[0];
  {
    g_autoptr(GByteArray) at = g_byte_array_new ();
    attr_int (at, "axis", 1);
    return node (g, "Concat", NULL, at, n, parts);
  }
}

static const char *
normalize (Graph *g, const char *x)
{
  const char *ss = reduce (g, "ReduceSum", op2 (g, "Mul", x, x), 1, TRUE);
  return op2 (g, "Div", x, op2 (g, "Max", op1 (g, "Sqrt", ss), const_f (g, 1e-12f)));
}

static gboolean
dense_act (const char *name, VsActivation *act)
{
  static const struct { const char *name; VsActivation act; } acts[] = {
    { "identity", VS_ACT_IDENTITY }, { "tanh", VS_ACT_TANH }, { "relu", VS_ACT_RELU },
    { "sigmoid", VS_ACT_SIGMOID }, { "gelu", VS_ACT_GELU }, { "gelu_tanh", VS_ACT_GELU_TANH },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (acts); i++)
    if (g_strcmp0 (name, acts[i].name) == 0)
      {
        *act = acts[i].act;
        return TRUE;
      }
  return FALSE;
}

static const char *
build_head (Graph *g, const char *x, gsize *width, GError **error)
{
  gsize nd = _vs_model_get_n_dense (g->model);
  gint norm_at = _vs_model_get_normalize_at (g->model);
  guint di = 0;

  for (gsize i = 0; i < vs_model_get_n_tensors (g->model) && di < nd; i++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (g->model, i);
      g_autofree char *prefix = NULL, *bname = NULL;
      const char *an = _vs_model_get_dense_activation (g->model, di);
      VsActivation act;

      if (!g_str_has_suffix (info->name, "_Dense/linear.weight"))
        continue;
      if (norm_at == (gint) di)
        x = normalize (g, x);
      prefix = g_strndup (info->name, strlen (info->name) - strlen ("weight"));
      bname = g_strconcat (prefix, "bias", NULL);
      TRY (x = linear (g, x, info->name, _vs_model_get_dense_has_bias (g->model, di) ? bname : NULL, error));
      if (!dense_act (an, &act))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "Dense %u: activation \"%s\" cannot be exported",
                       di, an != NULL ? an : "?");
          return NULL;
        }
      x = activation (g, x, act);
      *width = _vs_model_get_dense_out (g->model, di);
      di++;
    }
  if (di != nd)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "the model's Dense weights were not found");
      return NULL;
    }
  if (norm_at == (gint) nd)
    x = normalize (g, x);
  return x;
}

gboolean
vs_onnx_export (VsModel *model, const char *dir, const char *out_path,
                const VsOnnxOptions *options, GError **error)
{
  VsEncoderConfig cfg;
  Graph g = { 0 };
  g_autoptr(GByteArray) graph = NULL;
  g_autoptr(GByteArray) mp = g_byte_array_new ();
  g_autoptr(GByteArray) opset = g_byte_array_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int op = options != NULL && options->opset != 0 ? options->opset : 14;
  gsize max_len, pos_off, width = 0;
  const char *bs[2] = { "batch", "sequence" };
  const char *bsc[3] = { "batch", "sequence", NULL };
  const char *bd[2] = { "batch", NULL };
  g_autofree char *cstr = NULL, *dstr = NULL;
  Inputs in = { 0 };
  const char *h, *e;
  GError *local = NULL;

  if (op < 14 || op > 17)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "--opset %d: only opsets 14 to 17 are written", op);
      return FALSE;
    }
  if (!read_config (dir, &cfg, error))
    return FALSE;
  if (cfg.C % cfg.H != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: hidden size %" G_GSIZE_FORMAT
                   " is not a multiple of the %" G_GSIZE_FORMAT " heads", dir, cfg.C, cfg.H);
      return FALSE;
    }
  pos_off = (cfg.arch == VS_ARCH_ROBERTA || cfg.arch == VS_ARCH_XLM_ROBERTA || cfg.arch == VS_ARCH_MPNET)
            ? (gsize) cfg.pad_id + 1 : 0;
  if (cfg.max_pos <= pos_off)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: max_position_embeddings %" G_GSIZE_FORMAT
                   " leaves no positions after padding_idx", dir, cfg.max_pos);
      return FALSE;
    }
  max_len = options != NULL && options->max_length > 0 ? options->max_length : vs_model_get_max_seq_length (model);
  if (max_len == 0 || max_len > cfg.max_pos - pos_off)
    {
      if (options != NULL && options->max_length > cfg.max_pos - pos_off)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "--max-length %" G_GSIZE_FORMAT
                       ": the model has only %" G_GSIZE_FORMAT " positions", options->max_length,
                       cfg.max_pos - pos_off);
          return FALSE;
        }
      max_len = cfg.max_pos - pos_off;
    }

  g.body = g_byte_array_new ();
  g.names = names;
  g.model = model;
  g.params = vs_model_get_params (model, NULL);
  g.opset = op;

  in.ids = "input_ids";
  in.mask = "attention_mask";
  in.types = cfg.type_vocab > 1 ? "token_type_ids" : NULL;
  in.maskf = cast (&g, in.mask, ONNX_FLOAT);
  {
    g_autoptr(GByteArray) at = g_byte_array_new ();
    const char *gi[2] = { op1 (&g, "Shape", in.ids), const_i64 (&g, 1) };
    attr_int (at, "axis", 0);
    in.seq = node (&g, "Gather", NULL, at, 2, gi);                          /* int64 scalar S */
  }
  h = build_encoder (&g, &cfg, &in, max_len, &local);
  if (h != NULL)
    {
      const char *ti[1] = { h };
      node (&g, "Identity", "token_embeddings", NULL, 1, ti);
      e = build_pooling (&g, h, &in, vs_model_get_pooling_modes (model));
      width = vs_pooling_count_modes (vs_model_get_pooling_modes (model)) * cfg.C;
      e = build_head (&g, e, &width, &local);
      if (e != NULL)
        {
          const char *ei[1] = { e };
          node (&g, "Identity", "sentence_embedding", NULL, 1, ei);
        }
    }
  graph = g.body;
  if (local != NULL)
    {
      g_propagate_prefixed_error (error, local, "%s: ", dir);
      return FALSE;
    }
  if (g.too_big)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED,
                   "%s: the weights take %" G_GSIZE_FORMAT " MB; ONNX files over 2 GB (protobuf's limit) "
                   "need external data, which is not written", dir, g.weight_bytes / 1000000);
      return FALSE;
    }
  vs_pb_put_string (graph, 2, "vectorsmith");
  value_info (graph, 11, "input_ids", ONNX_INT64, bs, 2);
  value_info (graph, 11, "attention_mask", ONNX_INT64, bs, 2);
  if (in.types != NULL)
    value_info (graph, 11, "token_type_ids", ONNX_INT64, bs, 2);
  dstr = g_strdup_printf ("%" G_GSIZE_FORMAT, width);
  cstr = g_strdup_printf ("%" G_GSIZE_FORMAT, cfg.C);
  bd[1] = dstr;
  bsc[2] = cstr;
  value_info (graph, 12, "sentence_embedding", ONNX_FLOAT, bd, 2);
  value_info (graph, 12, "token_embeddings", ONNX_FLOAT, bsc, 3);

  /* ModelProto */
  vs_pb_put_int (mp, 1, op >= 17 ? 8 : 7);     /* ir_version */
  vs_pb_put_string (mp, 2, "vectorsmith");     /* producer_name */
  vs_pb_put_string (mp, 3, PACKAGE_VERSION);   /* producer_version */
  vs_pb_put_int (opset, 2, op);                /* OperatorSetIdProto.version, domain "" */
  vs_pb_put_message (mp, 8, opset);
  {
    g_autoptr(GByteArray) kv = g_byte_array_new ();
    g_autofree char *ml = g_strdup_printf ("%" G_GSIZE_FORMAT, max_len);
    vs_pb_put_string (kv, 1, "max_length");
    vs_pb_put_string (kv, 2, ml);
    vs_pb_put_message (mp, 14, kv);
  }
  vs_pb_put_message (mp, 7, graph);
  g_clear_pointer (&graph, g_byte_array_unref);

  if (!g_file_set_contents_full (out_path, (const char *) mp->data, mp->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot write: %s", out_path, local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}
