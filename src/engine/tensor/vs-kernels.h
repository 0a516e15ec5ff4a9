/* vs-kernels.h: the encoder's layers as pure forward/backward functions.
 *
 * llm.c style: every kernel is a pure function over float arrays with its
 * shapes in the comments; each _backward inverts its _forward and ADDS (+=)
 * into parameter gradients (dweight, dbias), so the caller zeroes the grads
 * arena once per step. Input gradients (dinp) are also accumulated unless the
 * comment says "written". Shape letters: T tokens (all texts packed), C
 * channels, OC output channels, H heads, L tokens of one text, d head size.
 *
 * Threads: kernels split their loops over vs_engine_get_threads() workers
 * (vs_parallel_for); GEMMs go to vs_sgemm (tensor/vs-gemm.h: OpenBLAS or our
 * own kernels on the same pool). The two never run at once, so the cores are
 * never oversubscribed.
 *
 *   vs_matmul_forward (out, inp, w, b, T, C, OC);             // out = inp w^T + b
 *   vs_matmul_backward (dinp, dw, db, dout, inp, w, T, C, OC);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs fn(begin, end, data) over [0, n) split into contiguous chunks, one per
 * engine thread (the caller runs one chunk itself); returns when all are done.
 * Runs serially when n < min_chunk * 2 or one thread is configured. */
typedef void (*VsParallelFunc) (gsize begin, gsize end, gpointer data);
void vs_parallel_for (gsize n, gsize min_chunk, VsParallelFunc fn, gpointer data);

/* OpenBLAS picks its kernels by CPU model at load time and falls back to
 * the SSE3 "Prescott" ones on CPUs it does not know (virtualised Xeons
 * reporting a generic model name), which makes GEMMs 2-3x slower. Returns
 * the OPENBLAS_CORETYPE value to set before OpenBLAS loads (i.e. in the
 * environment of a re-executed process) when that happened on a CPU with
 * AVX2 and FMA ("SkylakeX" with AVX-512, else "Haswell"); NULL otherwise,
 * or when OPENBLAS_CORETYPE is set already. */
const char *vs_blas_suggest_coretype (void);
/* The name of the OpenBLAS kernels in use ("Haswell", "Prescott", ...). */
const char *vs_blas_core_name (void);

/* Activation functions (hidden_act of config.json, Dense activation). */
typedef enum
{
  VS_ACT_IDENTITY,
  VS_ACT_GELU,       /* erf form: x/2 (1 + erf(x/sqrt 2)) */
  VS_ACT_GELU_TANH,  /* gelu_new / gelu_pytorch_tanh */
  VS_ACT_RELU,
  VS_ACT_TANH,
  VS_ACT_SIGMOID,
} VsActivation;

/* out[T,OC] = inp[T,C] w[OC,C]^T + b[OC] (b may be NULL). */
void vs_matmul_forward   (float *out, const float *inp, const float *w, const float *b,
                          gsize T, gsize C, gsize OC);
/* dinp[T,C] += dout w (skipped when NULL); dw[OC,C] += dout^T inp; db[OC] += sum_t dout (NULL: none). */
void vs_matmul_backward  (float *dinp, float *dw, float *db, const float *dout,
                          const float *inp, const float *w, gsize T, gsize C, gsize OC);

/* out[T,C] = (inp - mean) * rstd * w + b per row; mean[T], rstd[T] written for backward. */
void vs_layernorm_forward  (float *out, float *mean, float *rstd, const float *inp,
                            const float *w, const float *b, gsize T, gsize C, float eps);
/* dinp[T,C] += ..., dw[C] += ..., db[C] += ... */
void vs_layernorm_backward (float *dinp, float *dw, float *db, const float *dout,
                            const float *inp, const float *mean, const float *rstd,
                            const float *w, gsize T, gsize C);

/* out[N] = act(inp[N]) (out may equal inp). */
void vs_activation_forward  (VsActivation act, float *out, const float *inp, gsize N);
/* dinp[N] = dout * act'(inp) (written; dinp may equal dout); out is act(inp). */
void vs_activation_backward (VsActivation act, float *dinp, const float *dout,
                             const float *inp, const float *out, gsize N);

/* Dropout masks are a hash of (seed, site, index): keep with probability
 * 1-p, scaled by 1/(1-p). inout[N] is multiplied in place; index i of the
 * array is element base+i of the site. p <= 0 does nothing. */
float vs_dropout_keep_scale (guint64 seed, guint32 site, gsize index, float p);
void  vs_dropout_apply      (float *inout, gsize N, guint64 seed, guint32 site, gsize base, float p);

/* Self-attention of one packed batch, per text and head.
 * qkv[T,3C]: q | k | v of each token; offsets[n+1] token offsets of each text;
 * probs[sum_i H L_i^2] (written) softmax(q k^T * scale + bias), before dropout,
 * text i at poffsets[i], head h at + h L_i^2; ctx[T,C] (written) dropout(probs) v.
 * rel_bias: NULL, or MPNet's relative position bias table [num_buckets, H]
 * looked up through rel_bucket[(j - i) + rel_span] (rel_span = max L - 1).
 * Dropout on probs with (seed, site, index in probs) when p > 0. */
typedef struct
{
  gsize        n, H, C;
  const gsize *offsets;
  const gsize *poffsets;
  float        scale;
  const float *rel_bias;
  const gint  *rel_bucket;
  gsize        rel_span;
  gsize        num_buckets;
  float        dropout_p;
  guint64      seed;
  guint32      site;
} VsAttentionShape;

void vs_attention_forward  (const VsAttentionShape *s, float *ctx, float *probs, const float *qkv);
/* dqkv[T,3C] written; drel_bias[num_buckets,H] += (when rel_bias is set). */
void vs_attention_backward (const VsAttentionShape *s, float *dqkv, float *drel_bias,
                            const float *dctx, const float *qkv, const float *probs);

/* MPNet/T5 relative position bucket of (memory - context) position. */
gint vs_relative_position_bucket (gint relative_position, gint num_buckets, gint max_distance);

/* Pooling over packed token embeddings h[T,C] with offsets[n+1]; the enabled
 * modes (VsPoolingMode bits, see model/vs-model.h) are concatenated in the
 * order cls, max, mean, mean_sqrt, weightedmean, lasttoken into out[n, k*C].
 * argmax[n*C] (written, for max mode; may be NULL otherwise). */
void vs_pooling_forward  (float *out, gint64 *argmax, const float *h, const gsize *offsets,
                          gsize n, gsize C, guint modes);
/* dh[T,C] += the gradient from dout[n, k*C]. */
void vs_pooling_backward (float *dh, const float *dout, const gint64 *argmax,
                          const gsize *offsets, gsize n, gsize C, guint modes);
/* Same with the first skip[i] tokens of text i excluded from pooling
 * (sentence-transformers' include_prompt = false; skip NULL = none): mean
 * modes average tokens [s, L) (weightedmean keeps 1-based position weights;
 * none left gives 0), max takes tokens [s, L) (none left: -1e9 and argmax
 * -1), lasttoken is 0 when none is left, and cls is -1e9 when max is on and
 * token 0 is skipped (sentence-transformers overwrites it in place). */
void vs_pooling_forward_masked  (float *out, gint64 *argmax, const float *h, const gsize *offsets,
                                 const gsize *skip, gsize n, gsize C, guint modes);
void vs_pooling_backward_masked (float *dh, const float *dout, const gint64 *argmax,
                                 const gsize *offsets, const gsize *skip, gsize n, gsize C, guint modes);
/* Number of enabled modes. */
guint vs_pooling_count_modes (guint modes);

/* out[n,D] = inp / max(|inp|_2, 1e-12) per row (out may equal inp). */
void vs_normalize_forward  (float *out, const float *inp, gsize n, gsize D);
/* dinp[n,D] written from dout, inp and out. */
void vs_normalize_backward (float *dinp, const float *dout, const float *inp,
                            const float *out, gsize n, gsize D);

G_END_DECLS
