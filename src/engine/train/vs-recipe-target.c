/* vs-recipe-target.c: what a recipe trains — the model, the datasets with
 * their samplers and losses, the eval data — as a VsTrainTarget for the loop
 * in vs-trainer.c.
 *
 * One training batch: the sampler's rows of one dataset; the texts of every
 * input column go through ONE model forward ([n_columns * B] texts, column
 * after column); the loss turns the column embeddings into the loss value
 * and d loss / d embeddings; ONE backward adds the parameter gradients.
 * With args.prompts each column runs its own forward with its prompt
 * prepended (sentence-transformers' collator); when the model's Pooling
 * has include_prompt false the prompt's tokens are left out of pooling
 * (prompt_length, training rule of vs_model_get_prompt_length). The eval
 * loss takes train[0]'s prompts; the evaluator keeps the model's own
 * query/document prompts, as sentence-transformers' evaluators do.
 * Cached (GradCache) losses instead embed in mini-batches without keeping
 * activations, compute the loss on the full batch, then re-run each
 * mini-batch with the RNG state it had and backpropagate its slice.
 *
 * GISTEmbedLoss and CachedGISTEmbedLoss also get the guide model's
 * embeddings of every column: the guide (params.guide, loaded once per
 * folder or Hub id) encodes the batch with dropout off and no activations,
 * and is never trained, checkpointed or saved; a resumed run loads it again
 * from the recipe. As in sentence-transformers, the guide sees the model's
 * own tokens when both tokenizers have the same vocabulary and the guide
 * takes sequences at least as long (it then runs at the model's
 * max_seq_length); otherwise the model's tokens are decoded (special tokens
 * skipped, tokenization spaces cleaned up) and re-tokenized by the guide.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-engine.h"
#include "vs-error.h"
#include "data/vs-dataset.h"
#include "eval/vs-evaluator.h"
#include "hub/vs-hub.h"
#include "loss/vs-loss.h"
#include "model/vs-model.h"
#include "train/vs-recipe-base.h"
#include "train/vs-trainer.h"

/* A frozen guide model (GISTEmbedLoss), shared by the sets that name it. */
typedef struct
{
  VsModel     *model;
  gboolean     retokenize;  /* decode the model's tokens and re-tokenize */
} Guide;

typedef struct
{
  char        *name;
  char        *path;
  VsDataset   *data;        /* inputs in loss order, then "label" when has_label */
  guint        n_inputs;
  gboolean     has_label;
  VsLoss      *loss;
  Guide       *guide;       /* borrowed from RecipeTarget.guides; NULL: none */
  VsSampler   *sampler;     /* NULL: in order (shuffle off, batch sampler) */
  gsize        n_batches;
  guint64      epoch;
  gsize        next_batch;  /* in-order sampler position */
  gsize       *rows;        /* in-order sampler batch buffer */
  char       **prompts;     /* [n_inputs] args.prompts per input column (NULL
                             * entries: none), or NULL when no column has one */
} TrainSet;

typedef struct
{
  VsTrainTarget  parent;
  VsTrainArgs    args;
  VsModel       *model;
  GHashTable    *guides;       /* guide folder or Hub id -> Guide* */
  GPtrArray     *sets;         /* TrainSet* */
  GArray        *order;        /* guint: the set of each batch of the epoch */
  gsize          order_pos;
  guint64        epoch;
  VsDataset     *eval_data;
  guint          eval_inputs;
  gboolean       eval_has_label;
  char          *eval_name;
  char         **eval_prompts; /* [eval_inputs] as TrainSet.prompts, from train[0]'s */
  cJSON         *prompts;      /* args.prompts (for the record), or NULL */
  VsEvaluator   *evaluator;    /* or NULL: eval_loss only */
  cJSON         *evaluator_config;
  VsParamBlock  *blocks;
  guint          n_blocks;
  VsParamSpan  **spans;        /* [n_blocks] */
  char         **block_names;  /* [n_blocks] */
  char          *base_model;
  GPtrArray     *scratch;      /* reused per-batch buffers */
} RecipeTarget;

static void
guide_free (Guide *guide)
{
  if (guide == NULL)
    return;
  vs_model_free (guide->model);
  g_free (guide);
}

static void
free_prompts (char **prompts,
              guint  n)
{
  if (prompts == NULL)
    return;
  for (guint c = 0; c < n; c++)
    g_free (prompts[c]);
  g_free (prompts);
}

static void
train_set_free (TrainSet *set)
{
  if (set == NULL)
    return;
  g_free (set->name);
  g_free (set->path);
  vs_dataset_free (set->data);
  vs_loss_free (set->loss);
  vs_sampler_free (set->sampler);
  g_free (set->rows);
  free_prompts (set->prompts, set->n_inputs);
  g_free (set);
}

/* splitmix64: the engine's seeded generator for the multi-dataset order. */
static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* The dataset of each batch of epoch `epoch` (sentence-transformers'
 * ProportionalBatchSampler / RoundRobinBatchSampler). */
static void
build_order (RecipeTarget *t)
{
  guint k = t->sets->len;

  g_array_set_size (t->order, 0);
  if (k == 1 || t->args.multi_dataset_batch_sampler == VS_MULTI_DATASET_PROPORTIONAL)
    {
      for (guint i = 0; i < k; i++)
        {
          TrainSet *set = g_ptr_array_index (t->sets, i);

          for (gsize b = 0; b < set->n_batches; b++)
            g_array_append_val (t->order, i);
        }
      if (k > 1 && t->args.shuffle)
        {
          guint64 state = t->args.seed + t->epoch;

          for (gsize i = t->order->len; i > 1; i--)
            {
              gsize j = (gsize) (splitmix64 (&state) % i);
              guint tmp = g_array_index (t->order, guint, i - 1);

              g_array_index (t->order, guint, i - 1) = g_array_index (t->order, guint, j);
              g_array_index (t->order, guint, j) = tmp;
            }
        }
    }
  else
    {
      gsize min_batches = G_MAXSIZE;

      for (guint i = 0; i < k; i++)
        min_batches = MIN (min_batches, ((TrainSet *) g_ptr_array_index (t->sets, i))->n_batches);
      for (gsize b = 0; b < min_batches; b++)
        for (guint i = 0; i < k; i++)
          g_array_append_val (t->order, i);
    }
}

static const VsParamBlock *
rt_get_blocks (VsTrainTarget *self,
               guint         *n_blocks)
{
  RecipeTarget *t = (RecipeTarget *) self;

  *n_blocks = t->n_blocks;
  return t->blocks;
}

static gsize
rt_get_batches_per_epoch (VsTrainTarget *self)
{
  RecipeTarget *t = (RecipeTarget *) self;

  return t->order->len;
}

static gsize
rt_get_n_examples (VsTrainTarget *self)
{
  RecipeTarget *t = (RecipeTarget *) self;
  gsize n = 0;

  for (guint i = 0; i < t->sets->len; i++)
    n += vs_dataset_get_n_rows (((TrainSet *) g_ptr_array_index (t->sets, i))->data);
  return n;
}

static void
rt_set_epoch (VsTrainTarget *self,
              guint64        epoch)
{
  RecipeTarget *t = (RecipeTarget *) self;

  t->epoch = epoch;
  t->order_pos = 0;
  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);

      set->epoch = epoch;
      set->next_batch = 0;
      if (set->sampler != NULL)
        vs_sampler_set_epoch (set->sampler, epoch);
    }
  build_order (t);
}

static void
rt_zero_grad (VsTrainTarget *self)
{
  RecipeTarget *t = (RecipeTarget *) self;

  for (guint b = 0; b < t->n_blocks; b++)
    memset (t->blocks[b].grads, 0, t->blocks[b].n_params * sizeof (float));
}

/* The next batch of set: row indices (borrowed) or NULL at its end. */
static const gsize *
next_rows (TrainSet *set,
           guint     batch_size,
           gboolean  drop_last,
           gsize    *n)
{
  gsize total = vs_dataset_get_n_rows (set->data);
  gsize start;

  if (set->sampler != NULL)
    return vs_sampler_next (set->sampler, n);
  start = set->next_batch * batch_size;
  if (start >= total || (drop_last && start + batch_size > total))
    return NULL;
  *n = MIN ((gsize) batch_size, total - start);
  for (gsize i = 0; i < *n; i++)
    set->rows[i] = start + i;
  set->next_batch++;
  return set->rows;
}

/* The texts of a batch, column after column: [n_inputs * B], borrowed from
 * the dataset (a null cell reads as ""). labels [B] when the set has them. */
static const char **
batch_texts (const VsDataset *data,
             guint            n_inputs,
             gboolean         has_label,
             const gsize     *rows,
             gsize            B,
             float           *labels)
{
  const char **texts = g_new (const char *, n_inputs * B + 1);

  for (guint c = 0; c < n_inputs; c++)
    {
      const VsColumn *col = vs_dataset_get_column (data, c);

      for (gsize i = 0; i < B; i++)
        {
          const char *s = vs_column_get_string (col, rows[i]);

          texts[c * B + i] = s != NULL ? s : "";
        }
    }
  texts[n_inputs * B] = NULL;
  if (has_label && labels != NULL)
    {
      const VsColumn *col = vs_dataset_get_column (data, n_inputs);

      for (gsize i = 0; i < B; i++)
        labels[i] = (float) vs_column_get_double (col, rows[i]);
    }
  return texts;
}

/* Loss-owned parameter gradients are accumulated unscaled by the loss:
 * bring the new part to grad_scale. */
static void
scale_loss_grads (VsLoss      *loss,
                  const float *before,
                  float        grad_scale)
{
  gsize n = vs_loss_get_n_params (loss);
  float *g = vs_loss_get_grads (loss);

  if (n == 0 || grad_scale == 1.0f)
    return;
  for (gsize i = 0; i < n; i++)
    g[i] = before[i] + grad_scale * (g[i] - before[i]);
}

static gboolean
compute_loss (VsLoss       *loss,
              const float  *emb,        /* [n_inputs * B, D] */
              guint         n_inputs,
              gsize         B,
              gsize         D,
              const float  *labels,
              const float  *guide_emb,  /* [n_inputs * B, G] or NULL */
              gsize         G,
              float        *value,
              float        *d_emb,      /* [n_inputs * B, D] or NULL */
              GError      **error)
{
  g_autofree const float **cols = g_new (const float *, n_inputs);
  g_autofree const float **gcols = g_new (const float *, n_inputs);
  g_autofree float **dcols = g_new (float *, n_inputs);
  VsLossBatch batch = { cols, n_inputs, B, D, labels, labels != NULL ? 1 : 0, gcols, G };

  for (guint c = 0; c < n_inputs; c++)
    {
      cols[c] = emb + (gsize) c * B * D;
      gcols[c] = guide_emb != NULL ? guide_emb + (gsize) c * B * G : NULL;
      if (d_emb != NULL)
        dcols[c] = d_emb + (gsize) c * B * D;
    }
  if (guide_emb == NULL)
    return vs_loss_compute (loss, cols, n_inputs, B, D, labels, value,
                            d_emb != NULL ? dcols : NULL, error);
  return vs_loss_compute_full (loss, &batch, value, d_emb != NULL ? dcols : NULL, error);
}

/* HF's clean_up_tokenization (transformers' decode default): no space
 * before . ? ! , and the English contractions. In place. */
static void
clean_up_tokenization (char *text)
{
  static const char *const pairs[][2] = {
    { " .", "." }, { " ?", "?" }, { " !", "!" }, { " ,", "," }, { " ' ", "'" },
    { " n't", "n't" }, { " 'm", "'m" }, { " 's", "'s" }, { " 've", "'ve" }, { " 're", "'re" },
  };

  for (guint k = 0; k < G_N_ELEMENTS (pairs); k++)
    {
      gsize from_len = strlen (pairs[k][0]);
      gsize to_len = strlen (pairs[k][1]);
      char *r = text;
      char *w = text;

      /* Every replacement is shorter, so one pass left to right in place. */
      while (*r != '\0')
        if (strncmp (r, pairs[k][0], from_len) == 0)
          {
            memmove (w, pairs[k][1], to_len);
            w += to_len;
            r += from_len;
          }
        else
          *w++ = *r++;
      *w = '\0';
    }
}

/* The guide's embeddings of n texts into out [n, G], batch_size texts
 * (one column of the batch) per pass, as sentence-transformers'
 * GISTEmbedLoss computes them under torch.no_grad(). */
static gboolean
guide_encode (RecipeTarget       *t,
              Guide              *guide,
              const char *const  *texts,
              gsize               n,
              gsize               batch_size,
              float              *out,
              GError            **error)
{
  VsTokenizer *tok = vs_model_get_tokenizer (t->model);
  gsize max_len = vs_model_get_max_seq_length (t->model);
  g_autoptr(GPtrArray) decoded = NULL;
  gboolean ok;

  if (!guide->retokenize)
    ok = vs_model_encode (guide->model, texts, n, MAX (batch_size, 1), FALSE, out, error);
  else if (tok == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                   "the model has no tokenizer to hand its tokens to the guide");
      ok = FALSE;
    }
  else
    {
      decoded = g_ptr_array_new_full ((guint) n + 1, g_free);
      for (gsize i = 0; i < n; i++)
        {
          /* The model's tokens as its forward makes them (strip, then the
           * tokenizer's own lowercasing), back to text. */
          g_autofree char *s = g_strstrip (g_strdup (texts[i] != NULL ? texts[i] : ""));
          g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, s, NULL, TRUE, max_len);
          char *text = vs_tokenizer_decode (tok, enc->ids, enc->n_tokens, TRUE);

          clean_up_tokenization (text);
          g_ptr_array_add (decoded, text);
        }
      g_ptr_array_add (decoded, NULL);
      ok = vs_model_encode (guide->model, (const char *const *) decoded->pdata, n, MAX (batch_size, 1),
                            FALSE, out, error);
    }
  if (!ok)
    g_prefix_error (error, "guide model: ");
  return ok;
}

/* The prompt of input column c (NULL: none). */
static const char *
column_prompt (char  **prompts,
               guint   c)
{
  return prompts != NULL ? prompts[c] : NULL;
}

/* prompt + text of every text of a batch (the guide model sees the
 * prompted texts, as sentence-transformers' collator makes them); NULL
 * without prompts. */
static GPtrArray *
prompted_texts (char             **prompts,
                const char *const *texts,
                guint              n_inputs,
                gsize              B)
{
  GPtrArray *out;

  if (prompts == NULL)
    return NULL;
  out = g_ptr_array_new_full (n_inputs * B + 1, g_free);
  for (guint c = 0; c < n_inputs; c++)
    for (gsize i = 0; i < B; i++)
      g_ptr_array_add (out, g_strconcat (prompts[c] != NULL ? prompts[c] : "", texts[c * B + i], NULL));
  g_ptr_array_add (out, NULL);
  return out;
}

/* The training forward of a batch's columns ([n_inputs * B] texts, column
 * after column) into emb: ONE forward of every text, or, when the columns
 * have prompts, one forward per column, each with its column's prompt
 * (left out of pooling when the model's Pooling has include_prompt false).
 * The forwards go into fws, for vs_model_backward() in the same order. */
static gboolean
forward_columns (RecipeTarget       *t,
                 char              **prompts,
                 const char *const  *texts,
                 guint               n_inputs,
                 gsize               B,
                 float              *emb,
                 GPtrArray          *fws,
                 GError            **error)
{
  gsize D = vs_model_get_dimension (t->model);
  VsForward *fw;

  if (prompts == NULL)
    {
      fw = vs_model_forward (t->model, texts, n_inputs * B, TRUE, emb, error);
      if (fw == NULL)
        return FALSE;
      g_ptr_array_add (fws, fw);
      return TRUE;
    }
  for (guint c = 0; c < n_inputs; c++)
    {
      fw = vs_model_forward_with_prompt (t->model, prompts[c], texts + (gsize) c * B, B, TRUE,
                                         emb + (gsize) c * B * D, error);
      if (fw == NULL)
        return FALSE;
      g_ptr_array_add (fws, fw);
    }
  return TRUE;
}

/* GradCache (CachedMultipleNegativesRankingLoss and friends): same value
 * and gradients as the plain loss, activations for one mini-batch at a time. */
static gboolean
train_cached (RecipeTarget  *t,
              TrainSet      *set,
              const char   **texts,
              gsize          n_texts,
              gsize          B,
              const float   *labels,
              const float   *guide_emb,
              gsize          G,
              float          grad_scale,
              double        *loss_out,
              GError       **error)
{
  gsize D = vs_model_get_dimension (t->model);
  gsize mb = vs_loss_get_mini_batch_size (set->loss);
  gsize n_chunks = 0;
  g_autofree float *emb = g_new (float, n_texts * D);
  g_autofree float *d_emb = g_new (float, n_texts * D);
  g_autofree guint64 *states = NULL;
  g_autofree gsize *starts = NULL;
  g_autofree gsize *lens = NULL;
  g_autofree guint *chunk_col = NULL;
  guint64 end_state;
  float value;

  /* Mini-batches never straddle two columns, as sentence-transformers
   * splits each column's batch on its own. */
  states = g_new (guint64, set->n_inputs * ((B + mb - 1) / mb));
  starts = g_new (gsize, set->n_inputs * ((B + mb - 1) / mb));
  lens = g_new (gsize, set->n_inputs * ((B + mb - 1) / mb));
  chunk_col = g_new (guint, set->n_inputs * ((B + mb - 1) / mb));
  for (guint c = 0; c < set->n_inputs; c++)
    for (gsize b = 0; b < B; b += mb)
      {
        starts[n_chunks] = c * B + b;
        lens[n_chunks] = MIN (mb, B - b);
        states[n_chunks] = vs_model_get_rng_state (t->model);
        /* Step 1: embed without keeping the activations. */
        if (!vs_model_forward_no_grad_with_prompt (t->model, column_prompt (set->prompts, c),
                                                   texts + starts[n_chunks], lens[n_chunks], TRUE,
                                                   emb + starts[n_chunks] * D, error))
          return FALSE;
        chunk_col[n_chunks] = c;
        n_chunks++;
      }
  end_state = vs_model_get_rng_state (t->model);

  /* Step 2: the loss and d loss / d embeddings on the full batch. */
  if (!compute_loss (set->loss, emb, set->n_inputs, B, D, labels, guide_emb, G, &value, d_emb, error))
    return FALSE;
  for (gsize i = 0; i < n_texts * D; i++)
    d_emb[i] *= grad_scale;

  /* Step 3: replay each mini-batch with its RNG state and backpropagate. */
  for (gsize k = 0; k < n_chunks; k++)
    {
      g_autofree float *tmp = g_new (float, lens[k] * D);
      VsForward *fw;

      vs_model_set_rng_state (t->model, states[k]);
      fw = vs_model_forward_with_prompt (t->model, column_prompt (set->prompts, chunk_col[k]),
                                         texts + starts[k], lens[k], TRUE, tmp, error);
      if (fw == NULL)
        return FALSE;
      vs_model_backward (t->model, fw, d_emb + starts[k] * D);
      vs_forward_free (fw);
    }
  vs_model_set_rng_state (t->model, end_state);
  *loss_out = value;
  return TRUE;
}

static gboolean
rt_train_batch (VsTrainTarget *self,
                float          grad_scale,
                double        *loss_out,
                gsize         *n_examples,
                gboolean      *end_of_epoch,
                GError       **error)
{
  RecipeTarget *t = (RecipeTarget *) self;
  TrainSet *set = NULL;
  const gsize *rows = NULL;
  gsize B = 0;
  gsize D = vs_model_get_dimension (t->model);
  gsize n_texts;
  g_autofree const char **texts = NULL;
  g_autofree float *labels = NULL;
  g_autofree float *emb = NULL;
  g_autofree float *d_emb = NULL;
  g_autofree float *loss_grads_before = NULL;
  g_autofree float *guide_emb = NULL;
  gsize G = 0;
  float value;
  gboolean ok;

  /* A sampler may yield fewer batches than announced (NO_DUPLICATES):
   * skip to the next scheduled dataset that still has one. */
  while (rows == NULL)
    {
      if (t->order_pos >= t->order->len)
        {
          *end_of_epoch = TRUE;
          return FALSE;
        }
      set = g_ptr_array_index (t->sets, g_array_index (t->order, guint, t->order_pos));
      t->order_pos++;
      rows = next_rows (set, t->args.batch_size, t->args.drop_last, &B);
    }

  n_texts = (gsize) set->n_inputs * B;
  labels = set->has_label ? g_new (float, B) : NULL;
  texts = batch_texts (set->data, set->n_inputs, set->has_label, rows, B, labels);
  if (vs_loss_get_n_params (set->loss) > 0)
    loss_grads_before = g_memdup2 (vs_loss_get_grads (set->loss),
                                   vs_loss_get_n_params (set->loss) * sizeof (float));
  if (set->guide != NULL)
    {
      g_autoptr(GPtrArray) prompted = prompted_texts (set->prompts, texts, set->n_inputs, B);

      G = vs_model_get_dimension (set->guide->model);
      guide_emb = g_new (float, n_texts * G);
      if (!guide_encode (t, set->guide, prompted != NULL ? (const char *const *) prompted->pdata : texts,
                         n_texts, B, guide_emb, error))
        {
          g_prefix_error (error, "%s: ", set->name);
          return FALSE;
        }
    }

  if (vs_loss_get_mini_batch_size (set->loss) > 0)
    {
      double v;

      ok = train_cached (t, set, texts, n_texts, B, labels, guide_emb, G, grad_scale, &v, error);
      if (!ok)
        return FALSE;
      *loss_out = v;
    }
  else
    {
      g_autoptr(GPtrArray) fws = g_ptr_array_new_with_free_func ((GDestroyNotify) vs_forward_free);
      gsize at = 0;

      emb = g_new (float, n_texts * D);
      d_emb = g_new (float, n_texts * D);
      if (!forward_columns (t, set->prompts, texts, set->n_inputs, B, emb, fws, error))
        return FALSE;
      if (!compute_loss (set->loss, emb, set->n_inputs, B, D, labels, guide_emb, G, &value, d_emb, error))
        {
          g_prefix_error (error, "%s: ", set->name);
          return FALSE;
        }
      for (gsize i = 0; i < n_texts * D; i++)
        d_emb[i] *= grad_scale;
      for (guint f = 0; f < fws->len; f++)
        {
          VsForward *one = g_ptr_array_index (fws, f);

          vs_model_backward (t->model, one, d_emb + at * D);
          at += vs_forward_get_n (one);
        }
      *loss_out = value;
    }
  if (loss_grads_before != NULL)
    scale_loss_grads (set->loss, loss_grads_before, grad_scale);
  *n_examples = B;
  return TRUE;
}

/* Before each evaluation batch: the test hook, then the cancel flag
 * (the trainer's vs_trainer_cancel), so a cancel does not wait for the
 * whole evaluation. FALSE + VS_ERROR_CANCELLED when cancelled. */
static gboolean
eval_batch_check (RecipeTarget  *t,
                  const char    *where,
                  GError       **error)
{
  if (t->parent.eval_batch_hook != NULL)
    t->parent.eval_batch_hook (where, t->parent.eval_batch_hook_data);
  if (t->parent.cancel != NULL && g_atomic_int_get (t->parent.cancel) != 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_CANCELLED, "cancelled during evaluation");
      return FALSE;
    }
  return TRUE;
}

/* The evaluator's encoder: queries and documents get the model's "query" /
 * "document" prompts when it has them, as encode_query()/encode_document().
 * eval_batch_size texts per pass, a cancel observed between passes. */
static gboolean
encode_texts (const char *const  *texts,
              gsize               n,
              VsEvalTextRole      role,
              float              *out,
              gpointer            user_data,
              GError            **error)
{
  RecipeTarget *t = user_data;
  gsize bs = MAX (1, t->args.eval_batch_size);
  gsize D = vs_model_get_dimension (t->model);
  const char *prompt = vs_model_get_prompt_for_role (t->model, vs_eval_text_role_name (role));

  for (gsize b = 0; b < n || b == 0; b += bs)
    {
      if (!eval_batch_check (t, "evaluator", error))
        return FALSE;
      if (n == 0)
        break;
      if (!vs_model_encode_with_prompt (t->model, prompt, texts + b, MIN (bs, n - b), bs, FALSE,
                                        out + b * D, error))
        return FALSE;
    }
  return TRUE;
}

static cJSON *
rt_evaluate (VsTrainTarget *self,
             char         **primary,
             GError       **error)
{
  RecipeTarget *t = (RecipeTarget *) self;
  TrainSet *first;
  gsize n_rows;
  gsize D;
  gsize bs;
  double sum = 0.0;
  gsize n_batches = 0;
  cJSON *metrics;

  if (t->eval_data == NULL)
    return NULL;
  first = g_ptr_array_index (t->sets, 0);
  n_rows = vs_dataset_get_n_rows (t->eval_data);
  D = vs_model_get_dimension (t->model);
  bs = MAX (1, t->args.eval_batch_size);
  /* eval_loss: the mean over eval batches of the first dataset's loss,
   * as transformers' evaluation loop reports it. */
  for (gsize start = 0; start < n_rows; start += bs)
    {
      gsize B = MIN (bs, n_rows - start);
      g_autofree gsize *rows = g_new (gsize, B);
      g_autofree float *labels = t->eval_has_label ? g_new (float, B) : NULL;
      g_autofree const char **texts = NULL;
      g_autofree float *emb = NULL;
      g_autofree float *guide_emb = NULL;
      gsize n_texts = (gsize) t->eval_inputs * B;
      gsize G = first->guide != NULL ? vs_model_get_dimension (first->guide->model) : 0;
      float value;

      for (gsize i = 0; i < B; i++)
        rows[i] = start + i;
      if (!eval_batch_check (t, "eval_loss", error))
        return NULL;
      texts = batch_texts (t->eval_data, t->eval_inputs, t->eval_has_label, rows, B, labels);
      emb = g_new (float, n_texts * D);
      if (t->eval_prompts == NULL)
        {
          if (!vs_model_encode (t->model, texts, n_texts, bs, FALSE, emb, error))
            return NULL;
        }
      else
        {
          /* The collator's prompts, as in training (dropout off). */
          for (guint c = 0; c < t->eval_inputs; c++)
            if (!vs_model_forward_no_grad_with_prompt (t->model, t->eval_prompts[c], texts + (gsize) c * B, B,
                                                       FALSE, emb + (gsize) c * B * D, error))
              return NULL;
        }
      if (first->guide != NULL)
        {
          g_autoptr(GPtrArray) prompted = prompted_texts (t->eval_prompts, texts, t->eval_inputs, B);

          guide_emb = g_new (float, n_texts * G);
          if (!guide_encode (t, first->guide, prompted != NULL ? (const char *const *) prompted->pdata : texts,
                             n_texts, B, guide_emb, error))
            {
              g_prefix_error (error, "eval: ");
              return NULL;
            }
        }
      if (!compute_loss (first->loss, emb, t->eval_inputs, B, D, labels, guide_emb, G, &value, NULL, error))
        {
          g_prefix_error (error, "eval: ");
          return NULL;
        }
      sum += value;
      n_batches++;
    }
  metrics = cJSON_CreateObject ();
  cJSON_AddNumberToObject (metrics, "eval_loss", n_batches > 0 ? sum / (double) n_batches : 0.0);
  *primary = g_strdup ("eval_loss");
  if (t->evaluator != NULL)
    {
      g_autofree char *key = NULL;
      cJSON *m = vs_evaluator_evaluate (t->evaluator, t->eval_data, D, encode_texts, t, &key, error);
      const cJSON *item;

      if (m == NULL)
        {
          g_prefix_error (error, "evaluator: ");
          cJSON_Delete (metrics);
          return NULL;
        }
      /* The trainer's prefix, as sentence-transformers logs them. */
      cJSON_ArrayForEach (item, m)
        {
          g_autofree char *name = g_strconcat ("eval_", item->string, NULL);

          cJSON_AddItemToObject (metrics, name, cJSON_Duplicate (item, TRUE));
        }
      cJSON_Delete (m);
      if (key != NULL)
        {
          g_free (*primary);
          *primary = g_strconcat ("eval_", key, NULL);
        }
    }
  return metrics;
}

static char *
u64_to_string (guint64 v)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
}

static gboolean
u64_from_json (const cJSON *item,
               guint64     *out)
{
  const char *s = cJSON_GetStringValue (item);
  char *end;

  if (s == NULL || *s == '\0')
    return FALSE;
  *out = g_ascii_strtoull (s, &end, 10);
  return *end == '\0';
}

static cJSON *
rt_get_state (VsTrainTarget *self)
{
  RecipeTarget *t = (RecipeTarget *) self;
  cJSON *st = cJSON_CreateObject ();
  cJSON *sets = cJSON_AddArrayToObject (st, "datasets");
  g_autofree char *rng = u64_to_string (vs_model_get_rng_state (t->model));

  /* 64-bit values as strings: JSON numbers are doubles. */
  cJSON_AddStringToObject (st, "model_rng", rng);
  cJSON_AddNumberToObject (st, "epoch", (double) t->epoch);
  cJSON_AddNumberToObject (st, "order_pos", (double) t->order_pos);
  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);
      cJSON *s = cJSON_CreateObject ();
      g_autofree char *lrng = u64_to_string (vs_loss_get_rng_state (set->loss));

      if (set->sampler != NULL)
        {
          VsSamplerPosition pos = vs_sampler_get_position (set->sampler);

          cJSON_AddNumberToObject (s, "epoch", (double) pos.epoch);
          cJSON_AddNumberToObject (s, "batch", (double) pos.batch);
        }
      else
        {
          cJSON_AddNumberToObject (s, "epoch", (double) set->epoch);
          cJSON_AddNumberToObject (s, "batch", (double) set->next_batch);
        }
      cJSON_AddStringToObject (s, "loss_rng", lrng);
      cJSON_AddItemToArray (sets, s);
    }
  return st;
}

static gboolean
rt_set_state (VsTrainTarget *self,
              const cJSON   *state,
              GError       **error)
{
  RecipeTarget *t = (RecipeTarget *) self;
  const cJSON *sets = cJSON_GetObjectItem (state, "datasets");
  const cJSON *epoch = cJSON_GetObjectItem (state, "epoch");
  const cJSON *pos = cJSON_GetObjectItem (state, "order_pos");
  guint64 rng;

  if (!cJSON_IsArray (sets) || cJSON_GetArraySize (sets) != (int) t->sets->len ||
      !cJSON_IsNumber (epoch) || !cJSON_IsNumber (pos) ||
      !u64_from_json (cJSON_GetObjectItem (state, "model_rng"), &rng))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "expected model_rng, epoch, order_pos and %u datasets (the recipe's)", t->sets->len);
      return FALSE;
    }
  rt_set_epoch (self, (guint64) epoch->valuedouble);
  if (pos->valuedouble < 0 || pos->valuedouble > t->order->len)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "order_pos %g is past the epoch's %u batches",
                   pos->valuedouble, t->order->len);
      return FALSE;
    }
  t->order_pos = (gsize) pos->valuedouble;
  vs_model_set_rng_state (t->model, rng);
  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);
      const cJSON *s = cJSON_GetArrayItem (sets, (int) i);
      const cJSON *se = cJSON_GetObjectItem (s, "epoch");
      const cJSON *sb = cJSON_GetObjectItem (s, "batch");
      guint64 lrng;

      if (!cJSON_IsNumber (se) || !cJSON_IsNumber (sb) || sb->valuedouble < 0 ||
          !u64_from_json (cJSON_GetObjectItem (s, "loss_rng"), &lrng))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "datasets[%u]: expected epoch, batch and loss_rng", i);
          return FALSE;
        }
      vs_loss_set_rng_state (set->loss, lrng);
      if (set->sampler != NULL)
        {
          VsSamplerPosition p = { (guint64) se->valuedouble, (guint64) sb->valuedouble };

          if (!vs_sampler_set_position (set->sampler, p, error))
            {
              g_prefix_error (error, "datasets[%u]: ", i);
              return FALSE;
            }
        }
      else
        {
          set->epoch = (guint64) se->valuedouble;
          set->next_batch = (gsize) sb->valuedouble;
        }
    }
  return TRUE;
}

static gboolean
rt_save_model (VsTrainTarget *self,
               const char    *dir,
               GError       **error)
{
  RecipeTarget *t = (RecipeTarget *) self;

  return vs_model_save (t->model, dir, error);
}

static cJSON *
dataset_record (const char      *name,
                const char      *path,
                const char      *split,
                const VsDataset *data,
                guint            n_inputs,
                gboolean         has_label)
{
  cJSON *d = cJSON_CreateObject ();
  cJSON *cols = cJSON_AddArrayToObject (d, "columns");
  cJSON *samples = cJSON_AddArrayToObject (d, "samples");
  guint n_cols = n_inputs + (has_label ? 1 : 0);
  gsize n_rows = vs_dataset_get_n_rows (data);

  cJSON_AddStringToObject (d, "name", name);
  if (path != NULL)
    cJSON_AddStringToObject (d, "path", path);
  cJSON_AddStringToObject (d, "split", split);
  cJSON_AddNumberToObject (d, "num_rows", (double) n_rows);
  for (guint c = 0; c < n_cols; c++)
    cJSON_AddItemToArray (cols, cJSON_CreateString (vs_column_get_name (vs_dataset_get_column (data, c))));
  for (gsize r = 0; r < MIN (n_rows, 3); r++)
    {
      cJSON *row = cJSON_CreateObject ();

      for (guint c = 0; c < n_cols; c++)
        {
          const VsColumn *col = vs_dataset_get_column (data, c);

          if (vs_column_get_type (col) == VS_COLUMN_STRING)
            cJSON_AddStringToObject (row, vs_column_get_name (col), vs_column_get_string (col, r));
          else
            cJSON_AddNumberToObject (row, vs_column_get_name (col), vs_column_get_double (col, r));
        }
      cJSON_AddItemToArray (samples, row);
    }
  return d;
}

static void
rt_describe (VsTrainTarget *self,
             cJSON         *record)
{
  RecipeTarget *t = (RecipeTarget *) self;
  cJSON *datasets = cJSON_AddArrayToObject (record, "datasets");
  cJSON *losses = cJSON_CreateArray ();

  if (t->base_model != NULL)
    cJSON_AddStringToObject (record, "base_model", t->base_model);
  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);
      cJSON *d = dataset_record (set->name, set->path, "train", set->data, set->n_inputs, set->has_label);
      cJSON *loss = cJSON_CreateObject ();

      cJSON_AddStringToObject (loss, "name", vs_loss_get_info (set->loss)->name);
      cJSON_AddItemToObject (loss, "params", vs_loss_get_config (set->loss));
      cJSON_AddItemToObject (d, "loss", cJSON_Duplicate (loss, TRUE));
      cJSON_AddItemToArray (datasets, d);
      cJSON_AddItemToArray (losses, loss);
    }
  if (t->eval_data != NULL)
    cJSON_AddItemToArray (datasets, dataset_record (t->eval_name, NULL, "eval", t->eval_data,
                                                    t->eval_inputs, t->eval_has_label));
  if (t->evaluator != NULL)
    {
      static const char *const classes[][2] = {
        { "similarity", "EmbeddingSimilarityEvaluator" },
        { "triplet", "TripletEvaluator" },
        { "binary", "BinaryClassificationEvaluator" },
        { "retrieval", "InformationRetrievalEvaluator" },
      };
      const char *kind = vs_evaluator_get_kind (t->evaluator);
      const char *prefix = cJSON_GetStringValue (cJSON_GetObjectItem (t->evaluator_config, "prefix"));

      for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
        if (g_strcmp0 (kind, classes[i][0]) == 0)
          cJSON_AddStringToObject (record, "evaluator", classes[i][1]);
      if (prefix != NULL)
        cJSON_AddStringToObject (record, "evaluator_name", prefix);
    }
  if (t->prompts != NULL)
    cJSON_AddItemToObject (record, "prompts", cJSON_Duplicate (t->prompts, TRUE));
  cJSON_AddItemToObject (record, "loss", cJSON_Duplicate (cJSON_GetArrayItem (losses, 0), TRUE));
  if (cJSON_GetArraySize (losses) > 1)
    cJSON_AddItemToObject (record, "losses", losses);
  else
    cJSON_Delete (losses);
}

static void
rt_free (VsTrainTarget *self)
{
  RecipeTarget *t = (RecipeTarget *) self;

  if (t->sets != NULL)
    g_ptr_array_unref (t->sets);
  if (t->guides != NULL)
    g_hash_table_unref (t->guides);
  if (t->order != NULL)
    g_array_unref (t->order);
  vs_dataset_free (t->eval_data);
  free_prompts (t->eval_prompts, t->eval_inputs);
  cJSON_Delete (t->prompts);
  vs_evaluator_free (t->evaluator);
  cJSON_Delete (t->evaluator_config);
  vs_model_free (t->model);
  for (guint b = 0; b < t->n_blocks; b++)
    {
      g_free (t->spans[b]);
      g_free (t->block_names[b]);
    }
  g_free (t->spans);
  g_free (t->block_names);
  g_free (t->blocks);
  g_free (t->eval_name);
  g_free (t->base_model);
  g_free (t->args.metric_for_best_model);
  g_free (t);
}

static const VsTrainTargetClass recipe_target_class = {
  rt_get_blocks,
  rt_get_batches_per_epoch,
  rt_get_n_examples,
  rt_set_epoch,
  rt_zero_grad,
  rt_train_batch,
  rt_evaluate,
  rt_get_state,
  rt_set_state,
  rt_save_model,
  rt_describe,
  rt_free,
};

/* ---------------------------------------------------------------------- */
/* Building it from a recipe                                                */

G_GNUC_PRINTF (2, 3)
static void
add_problem (GPtrArray  *problems,
             const char *format,
             ...)
{
  va_list ap;

  va_start (ap, format);
  g_ptr_array_add (problems, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/* The model the run starts from: vs-recipe-base.c builds it, so the Try
 * page's base model is exactly this one. */
static VsModel *
make_model (const VsRecipe *recipe,
            GPtrArray      *problems)
{
  g_autoptr(GError) error = NULL;
  VsModel *model = vs_recipe_build_model (recipe, &error);

  if (model == NULL)
    add_problem (problems, "%s", error->message);
  return model;
}

/* Loads a dataset and puts it in sentence-transformers' layout: the inputs
 * (the recipe's columns, or the detected case's) then "label". The recipe's
 * "label" and "roles" (vs-recipe.h) steer both ways. */
/* TRUE when no row has a non-blank text in its first n_inputs columns
 * (a file of empty cells trains nothing and would "succeed" silently). */
static gboolean
all_texts_empty (const VsDataset *ds,
                 guint            n_inputs)
{
  gsize n = vs_dataset_get_n_rows (ds);

  if (n == 0)
    return FALSE;   /* an empty file has its own message */
  for (guint c = 0; c < n_inputs; c++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, c);

      if (col == NULL || vs_column_get_type (col) != VS_COLUMN_STRING)
        return FALSE;
      for (gsize r = 0; r < n; r++)
        {
          const char *text;

          if (vs_column_is_null (col, r))
            continue;
          text = vs_column_get_string (col, r);
          for (; text != NULL && *text != '\0'; text++)
            if (!g_ascii_isspace (*text))
              return FALSE;
        }
    }
  return TRUE;
}

static VsDataset *
load_layout (const VsRecipeDataset *spec,
             const char            *where,
             GPtrArray             *problems,
             guint                 *n_inputs,
             gboolean              *has_label,
             char                 **label_from)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) raw = NULL;
  g_autofree char *path = NULL;
  g_autofree char *label_where = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *label = vs_recipe_dataset_label (spec);
  guint before = problems->len;
  VsDataset *out;

  path = vs_hub_resolve_dataset (spec->path, &error);
  if (path == NULL)
    {
      add_problem (problems, "%s: %s", where, error->message);
      return NULL;
    }
  raw = vs_dataset_load_limit (path, spec->split, (gsize) MAX (spec->limit, 0), &error);
  if (raw == NULL)
    {
      add_problem (problems, "%s: %s", where, error->message);
      return NULL;
    }

  /* Each role names a column of this file that can take it ("columns"
   * itself is checked below). */
  for (guint i = 0; i < spec->n_roles; i++)
    {
      const VsRoleOverride *ov = &spec->roles[i];
      const VsColumn *col = vs_dataset_get_column_by_name (raw, ov->column);
      VsColumnType type;

      if (spec->columns != NULL && g_strv_contains ((const char *const *) spec->columns, ov->column))
        continue;
      if (col == NULL)
        {
          add_problem (problems, "%s.roles.%s: no column “%s” in %s", where, ov->column, ov->column,
                       spec->path);
          continue;
        }
      type = vs_column_get_type (col);
      if ((ov->role == VS_ROLE_ANCHOR || ov->role == VS_ROLE_POSITIVE || ov->role == VS_ROLE_NEGATIVE) &&
          type != VS_COLUMN_STRING)
        add_problem (problems, "%s.roles.%s: “%s” holds %s, not text", where, ov->column, ov->column,
                     vs_column_type_to_string (type));
    }
  if (label != NULL)
    label_where = spec->label != NULL ? g_strdup_printf ("%s.label", where)
                                      : g_strdup_printf ("%s.roles.%s", where, label);
  if (label != NULL && spec->label != NULL && vs_dataset_find_column (raw, label) < 0)
    add_problem (problems, "%s: no column “%s” in %s", label_where, label, spec->path);
  if (label != NULL && vs_dataset_find_column (raw, label) >= 0 &&
      vs_column_get_type (vs_dataset_get_column_by_name (raw, label)) == VS_COLUMN_STRING_LIST)
    add_problem (problems, "%s: “%s” holds %s, not labels", label_where, label,
                 vs_column_type_to_string (VS_COLUMN_STRING_LIST));
  if (problems->len > before)
    return NULL;

  if (spec->columns == NULL)
    {
      g_autoptr(GArray) overrides = g_array_new (FALSE, FALSE, sizeof (VsRoleOverride));
      g_autoptr(VsCaseInfo) info = NULL;

      g_array_append_vals (overrides, spec->roles, spec->n_roles);
      if (spec->label != NULL && vs_recipe_dataset_role (spec, spec->label) != VS_ROLE_LABEL)
        {
          VsRoleOverride ov = { spec->label, VS_ROLE_LABEL };

          g_array_append_val (overrides, ov);
        }
      if (spec->no_label)
        info = vs_dataset_detect_case_without_label (raw, (const VsRoleOverride *) overrides->data,
                                                     overrides->len, &error);
      else
        info = vs_dataset_detect_case (raw, (const VsRoleOverride *) overrides->data, overrides->len,
                                       &error);
      if (info == NULL || info->case_number == 0)
        {
          add_problem (problems, "%s: cannot tell the columns' roles (%s); list them in \"columns\" "
                       "or fix them in \"roles\"", where, info != NULL ? info->evidence : error->message);
          return NULL;
        }
      out = vs_dataset_apply_case (raw, info, &error);
      if (out == NULL)
        {
          add_problem (problems, "%s: %s", where, error->message);
          return NULL;
        }
      *n_inputs = info->n_inputs;
      *has_label = info->label_column != NULL;
      if (label_from != NULL)
        *label_from = g_strdup (info->label_column);
      return out;
    }

  for (guint i = 0; spec->columns[i] != NULL; i++)
    {
      if (vs_dataset_find_column (raw, spec->columns[i]) < 0)
        add_problem (problems, "%s.columns[%u]: no column “%s” in %s", where, i, spec->columns[i],
                     spec->path);
      else if (vs_column_get_type (vs_dataset_get_column_by_name (raw, spec->columns[i])) != VS_COLUMN_STRING)
        add_problem (problems, "%s.columns[%u]: “%s” holds %s, not text", where, i, spec->columns[i],
                     vs_column_type_to_string (vs_column_get_type (vs_dataset_get_column_by_name (raw, spec->columns[i]))));
      g_ptr_array_add (names, spec->columns[i]);
    }
  *n_inputs = names->len;
  /* sentence-transformers' collator: "label", then "score", when not an
   * input; a column the recipe ignores is no candidate, and "label": null
   * takes none. */
  if (label == NULL && !spec->no_label)
    {
      static const char *const candidates[] = { "label", "score" };

      for (guint k = 0; k < G_N_ELEMENTS (candidates) && label == NULL; k++)
        if (vs_dataset_find_column (raw, candidates[k]) >= 0 &&
            !g_strv_contains ((const char *const *) spec->columns, candidates[k]) &&
            vs_recipe_dataset_role (spec, candidates[k]) != VS_ROLE_IGNORE)
          {
            label = candidates[k];
            label_where = g_strdup_printf ("%s.label", where);
          }
    }
  if (label != NULL)
    {
      const VsColumn *col = vs_dataset_get_column_by_name (raw, label);
      VsColumnType type;

      if (col == NULL)
        {
          add_problem (problems, "%s: no column “%s” in %s", label_where, label, spec->path);
          return NULL;
        }
      type = vs_column_get_type (col);
      if (type != VS_COLUMN_FLOAT64 && type != VS_COLUMN_INT64 && type != VS_COLUMN_BOOL)
        {
          add_problem (problems, "%s: “%s” holds %s, not numbers", label_where, label,
                       vs_column_type_to_string (type));
          return NULL;
        }
      g_ptr_array_add (names, (gpointer) label);
    }
  if (problems->len > before)
    return NULL;
  out = vs_dataset_select_columns (raw, (const char *const *) names->pdata, names->len, &error);
  if (out == NULL)
    {
      add_problem (problems, "%s: %s", where, error->message);
      return NULL;
    }
  if (label != NULL && strcmp (label, "label") != 0 &&
      !vs_dataset_rename_column (out, label, "label", &error))
    {
      add_problem (problems, "%s: %s", where, error->message);
      vs_dataset_free (out);
      return NULL;
    }
  *has_label = label != NULL;
  if (label_from != NULL)
    *label_from = g_strdup (label);
  return out;
}

static void
data_shape (const VsDataset *data,
            guint            n_inputs,
            gboolean         has_label,
            VsLossDataShape *shape)
{
  memset (shape, 0, sizeof *shape);
  shape->n_text_columns = n_inputs;
  shape->label = VS_LOSS_DATA_LABEL_NONE;
  shape->label_dim = 1;
  if (has_label)
    {
      const VsColumn *col = vs_dataset_get_column (data, n_inputs);
      gsize n = vs_dataset_get_n_rows (data);
      double lo = INFINITY;
      double hi = -INFINITY;

      shape->label = vs_column_get_type (col) == VS_COLUMN_FLOAT64 ? VS_LOSS_DATA_LABEL_FLOAT
                                                                   : VS_LOSS_DATA_LABEL_INT;
      for (gsize r = 0; r < n; r++)
        {
          double v = vs_column_get_double (col, r);

          if (isfinite (v))
            {
              lo = MIN (lo, v);
              hi = MAX (hi, v);
            }
        }
      shape->label_min = isfinite (lo) ? lo : 0.0;
      shape->label_max = isfinite (hi) ? hi : 0.0;
    }
}

static char *
dataset_name (const VsRecipeDataset *spec)
{
  return vs_recipe_dataset_name (spec);
}

static void
build_blocks (RecipeTarget *t)
{
  gsize n_tensors = vs_model_get_n_tensors (t->model);
  guint n_blocks = 1;
  guint b = 1;

  for (guint i = 0; i < t->sets->len; i++)
    if (vs_loss_get_n_params (((TrainSet *) g_ptr_array_index (t->sets, i))->loss) > 0)
      n_blocks++;
  t->n_blocks = n_blocks;
  t->blocks = g_new0 (VsParamBlock, n_blocks);
  t->spans = g_new0 (VsParamSpan *, n_blocks);
  t->block_names = g_new0 (char *, n_blocks);

  t->spans[0] = g_new0 (VsParamSpan, MAX (n_tensors, 1));
  for (gsize i = 0; i < n_tensors; i++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (t->model, i);

      t->spans[0][i] = (VsParamSpan) { info->name, info->offset, info->numel, !info->no_decay };
    }
  t->blocks[0].name = "model";
  t->blocks[0].params = vs_model_get_params (t->model, &t->blocks[0].n_params);
  t->blocks[0].grads = vs_model_get_grads (t->model, NULL);
  t->blocks[0].spans = t->spans[0];
  t->blocks[0].n_spans = (guint) n_tensors;

  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);
      gsize n_lt = 0;
      const VsLossTensor *lt;

      if (vs_loss_get_n_params (set->loss) == 0)
        continue;
      lt = vs_loss_get_tensors (set->loss, &n_lt);
      t->spans[b] = g_new0 (VsParamSpan, MAX (n_lt, 1));
      for (gsize k = 0; k < n_lt; k++)
        t->spans[b][k] = (VsParamSpan) { lt[k].name, lt[k].offset, lt[k].rows * lt[k].cols,
                                         lt[k].weight_decay };
      /* Block names key the checkpoint's tensors: stable and unique. */
      t->block_names[b] = g_strdup_printf ("loss%u", i);
      t->blocks[b].name = t->block_names[b];
      t->blocks[b].params = vs_loss_get_params (set->loss);
      t->blocks[b].grads = vs_loss_get_grads (set->loss);
      t->blocks[b].n_params = vs_loss_get_n_params (set->loss);
      t->blocks[b].spans = t->spans[b];
      t->blocks[b].n_spans = (guint) n_lt;
      b++;
    }
}

static VsSamplerKind
sampler_kind (VsBatchSamplerKind kind)
{
  switch (kind)
    {
    case VS_BATCH_SAMPLER_NO_DUPLICATES:
      return VS_SAMPLER_NO_DUPLICATES;
    case VS_BATCH_SAMPLER_GROUP_BY_LABEL:
      return VS_SAMPLER_GROUP_BY_LABEL;
    case VS_BATCH_SAMPLER_BATCH:
    default:
      return VS_SAMPLER_BATCH;
    }
}

/* The guide model named by a loss's params.guide (a folder or Hub id),
 * loaded on first use and shared by every dataset that names it; NULL with
 * a problem when it cannot be loaded. */
static Guide *
get_guide (GHashTable *guides,
           const char *name,
           const char *where,
           GPtrArray  *problems)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  Guide *guide;

  if (name == NULL)
    {
      add_problem (problems, "%s: loss: params.guide: missing (a model folder or Hub id)", where);
      return NULL;
    }
  guide = g_hash_table_lookup (guides, name);
  if (guide != NULL)
    return guide;
  /* A local folder as is; a Hub id from the cache or downloaded. */
  dir = vs_hub_resolve_model (name, &error);
  guide = g_new0 (Guide, 1);
  if (dir != NULL)
    guide->model = vs_model_load (dir, &error);
  if (guide->model == NULL)
    {
      add_problem (problems, "%s: loss: params.guide: %s", where, error->message);
      guide_free (guide);
      return NULL;
    }
  g_hash_table_insert (guides, g_strdup (name), guide);
  return guide;
}

/* Whether two tokenizers have the same vocabulary (token strings by id),
 * sentence-transformers' test for handing the guide the model's tokens. */
static gboolean
same_vocab (const VsTokenizer *a,
            const VsTokenizer *b)
{
  gsize n;

  if (a == NULL || b == NULL)
    return FALSE;
  n = vs_tokenizer_get_vocab_size (a);
  if (n != vs_tokenizer_get_vocab_size (b))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (g_strcmp0 (vs_tokenizer_id_to_token (a, (guint32) i), vs_tokenizer_id_to_token (b, (guint32) i)) != 0)
      return FALSE;
  return TRUE;
}

/* Once the model's max_seq_length is final: sentence-transformers'
 * must_retokenize = vocabularies differ or guide.max_seq_length <
 * model.max_seq_length. Without it the guide gets the model's features,
 * i.e. sequences cut at the model's max_seq_length. */
static void
setup_guides (RecipeTarget *t)
{
  GHashTableIter iter;
  gpointer value;
  gsize max_len = vs_model_get_max_seq_length (t->model);

  g_hash_table_iter_init (&iter, t->guides);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Guide *guide = value;

      guide->retokenize = !same_vocab (vs_model_get_tokenizer (t->model),
                                       vs_model_get_tokenizer (guide->model)) ||
                          vs_model_get_max_seq_length (guide->model) < max_len;
      if (!guide->retokenize)
        vs_model_set_max_seq_length (guide->model, max_len);
    }
}

static TrainSet *
make_set (const VsRecipe        *recipe,
          guint                  i,
          VsModel               *model,
          GHashTable            *guides,
          GPtrArray             *problems)
{
  const VsRecipeDataset *spec = g_ptr_array_index (recipe->train, i);
  const VsRecipeLoss *lspec = vs_recipe_loss_for (recipe, i);
  const VsTrainArgs *a = &recipe->args;
  g_autofree char *where = g_strdup_printf ("train[%u]", i);
  g_autoptr(GError) error = NULL;
  TrainSet *set = g_new0 (TrainSet, 1);
  VsLossDataShape shape;
  guint before = problems->len;
  g_autofree char *label_from = NULL;

  set->name = dataset_name (spec);
  set->path = g_strdup (spec->path);
  set->data = load_layout (spec, where, problems, &set->n_inputs, &set->has_label, &label_from);
  if (set->data != NULL && all_texts_empty (set->data, set->n_inputs))
    add_problem (problems, "%s: %s: every row's text columns are empty or blank (%" G_GSIZE_FORMAT
                 " rows): there is nothing to train on", where, spec->path != NULL ? spec->path : set->name,
                 vs_dataset_get_n_rows (set->data));
  {
    /* sentence-transformers passes the model's embedding size to losses
     * that need it (SoftmaxLoss); the recipe need not repeat it. */
    const VsLossInfo *info = vs_loss_registry_lookup (lspec->name);
    cJSON *params = cJSON_Duplicate (lspec->params, TRUE);

    for (guint k = 0; info != NULL && model != NULL && k < info->n_params; k++)
      if (strcmp (info->params[k].name, "sentence_embedding_dimension") == 0 &&
          cJSON_GetObjectItem (params, "sentence_embedding_dimension") == NULL)
        cJSON_AddNumberToObject (params, "sentence_embedding_dimension",
                                 (double) vs_model_get_dimension (model));
    set->loss = vs_loss_new (lspec->name, params, &error);
    cJSON_Delete (params);
  }
  if (set->loss == NULL)
    {
      add_problem (problems, "%s: loss: %s", where, error->message);
      g_clear_error (&error);
    }
  if (set->data == NULL || set->loss == NULL || problems->len > before)
    {
      train_set_free (set);
      return NULL;
    }
  data_shape (set->data, set->n_inputs, set->has_label, &shape);
  if (!vs_loss_check_data (set->loss, &shape, &error))
    {
      /* A label the loss cannot take may come from the automatic rule: say
       * how the recipe turns it off. */
      VsLossDataShape unlabeled = shape;
      gboolean hint;

      unlabeled.label = VS_LOSS_DATA_LABEL_NONE;
      hint = set->has_label && !spec->no_label && vs_recipe_dataset_label (spec) == NULL &&
             vs_loss_check_data (set->loss, &unlabeled, NULL);

      if (hint)
        add_problem (problems, "%s: %s; to train without “%s”, say \"label\": null or "
                     "\"roles\": {\"%s\": \"ignore\"} in %s", where, error->message, label_from,
                     label_from, where);
      else
        add_problem (problems, "%s: %s", where, error->message);
      train_set_free (set);
      return NULL;
    }
  if (vs_loss_needs_guide (set->loss))
    {
      set->guide = get_guide (guides, vs_recipe_loss_get_guide (lspec), where, problems);
      if (set->guide == NULL)
        {
          train_set_free (set);
          return NULL;
        }
    }
  vs_loss_init_params (set->loss, a->seed);
  vs_loss_set_rng_state (set->loss, a->seed);
  if (a->shuffle || a->batch_sampler != VS_BATCH_SAMPLER_BATCH)
    {
      /* sentence-transformers seeds the samplers with args.seed. */
      set->sampler = vs_sampler_new (set->data, sampler_kind (a->batch_sampler), a->batch_size,
                                     a->drop_last, a->seed, set->has_label ? "label" : NULL, &error);
      if (set->sampler == NULL)
        {
          add_problem (problems, "%s: %s", where, error->message);
          train_set_free (set);
          return NULL;
        }
      set->n_batches = vs_sampler_get_n_batches (set->sampler);
    }
  else
    {
      gsize n = vs_dataset_get_n_rows (set->data);

      set->n_batches = a->drop_last ? n / a->batch_size : (n + a->batch_size - 1) / a->batch_size;
      /* A batch never holds more rows than the dataset. */
      set->rows = g_new (gsize, MAX ((gsize) 1, MIN ((gsize) a->batch_size, n)));
    }
  return set;
}

static gboolean
make_eval (RecipeTarget   *t,
           const VsRecipe *recipe,
           GPtrArray      *problems)
{
  const VsRecipeDataset *spec = recipe->eval;
  TrainSet *first;
  g_autoptr(GError) error = NULL;

  if (spec == NULL)
    return TRUE;
  first = g_ptr_array_index (t->sets, 0);
  if (spec->split_ratio > 0.0)
    {
      VsDataset *train = NULL;
      VsDataset *eval = NULL;

      if (!vs_dataset_train_eval_split (first->data, spec->split_ratio, recipe->args.seed,
                                        &train, &eval, &error))
        {
          add_problem (problems, "eval.split_ratio: %s", error->message);
          return FALSE;
        }
      vs_dataset_free (first->data);
      first->data = train;
      t->eval_data = eval;
      t->eval_inputs = first->n_inputs;
      t->eval_has_label = first->has_label;
      t->eval_name = g_strdup_printf ("%s (held out)", first->name);
      /* The sampler was built over the old table: rebuild it. */
      if (first->sampler != NULL)
        {
          vs_sampler_free (first->sampler);
          first->sampler = vs_sampler_new (first->data, sampler_kind (recipe->args.batch_sampler),
                                           recipe->args.batch_size, recipe->args.drop_last,
                                           recipe->args.seed, first->has_label ? "label" : NULL, &error);
          if (first->sampler == NULL)
            {
              add_problem (problems, "train[0]: %s", error->message);
              return FALSE;
            }
          first->n_batches = vs_sampler_get_n_batches (first->sampler);
        }
      else
        {
          gsize n = vs_dataset_get_n_rows (first->data);
          guint bs = recipe->args.batch_size;

          first->n_batches = recipe->args.drop_last ? n / bs : (n + bs - 1) / bs;
        }
      return TRUE;
    }
  t->eval_data = load_layout (spec, "eval", problems, &t->eval_inputs, &t->eval_has_label, NULL);
  if (t->eval_data == NULL)
    return FALSE;
  if (t->eval_inputs != first->n_inputs || t->eval_has_label != first->has_label)
    {
      add_problem (problems, "eval: %u input columns%s, but train[0] has %u%s", t->eval_inputs,
                   t->eval_has_label ? " and a label" : "", first->n_inputs,
                   first->has_label ? " and a label" : "");
      return FALSE;
    }
  t->eval_name = dataset_name (spec);
  return TRUE;
}

/* The prompts of the n_inputs input columns of data for the dataset name
 * (NULL when none has one). */
static char **
resolve_prompts (const VsRecipe  *recipe,
                 const char      *name,
                 const VsDataset *data,
                 guint            n_inputs)
{
  char **prompts = g_new0 (char *, MAX (n_inputs, 1));
  gboolean any = FALSE;

  for (guint c = 0; c < n_inputs; c++)
    {
      const char *p = vs_recipe_prompt_for (recipe, name, vs_column_get_name (vs_dataset_get_column (data, c)));

      prompts[c] = g_strdup (p);
      any |= p != NULL;
    }
  if (!any)
    g_clear_pointer (&prompts, g_free);
  return prompts;
}

static gboolean
data_has_input (const VsDataset *data,
                guint            n_inputs,
                const char      *column)
{
  for (guint c = 0; data != NULL && c < n_inputs; c++)
    if (g_strcmp0 (vs_column_get_name (vs_dataset_get_column (data, c)), column) == 0)
      return TRUE;
  return FALSE;
}

/* args.prompts against the loaded data (the recipe checked what it lists),
 * then each column's prompt. The eval data takes train[0]'s prompts, as
 * its loss is train[0]'s. */
static void
setup_prompts (RecipeTarget   *t,
               const VsRecipe *recipe,
               GPtrArray      *problems)
{
  const cJSON *item;

  if (cJSON_IsObject (recipe->prompts))
    cJSON_ArrayForEach (item, recipe->prompts)
      {
        TrainSet *named = NULL;

        for (guint i = 0; i < t->sets->len; i++)
          {
            TrainSet *set = g_ptr_array_index (t->sets, i);

            if (strcmp (set->name, item->string) == 0)
              named = set;
          }
        if (named != NULL && cJSON_IsObject (item))
          {
            const cJSON *col;

            cJSON_ArrayForEach (col, item)
              if (!data_has_input (named->data, named->n_inputs, col->string))
                add_problem (problems, "args.prompts.%s.%s: train dataset “%s” has no input column “%s”",
                             item->string, col->string, item->string, col->string);
          }
        else if (named == NULL)
          {
            gboolean found = data_has_input (t->eval_data, t->eval_inputs, item->string);

            for (guint i = 0; i < t->sets->len && !found; i++)
              {
                TrainSet *set = g_ptr_array_index (t->sets, i);

                found = data_has_input (set->data, set->n_inputs, item->string);
              }
            if (!found)
              add_problem (problems, "args.prompts.%s: neither an input column of the train data "
                           "nor a train dataset name", item->string);
          }
      }
  for (guint i = 0; i < t->sets->len; i++)
    {
      TrainSet *set = g_ptr_array_index (t->sets, i);

      set->prompts = resolve_prompts (recipe, set->name, set->data, set->n_inputs);
    }
  if (t->eval_data != NULL)
    {
      TrainSet *first = g_ptr_array_index (t->sets, 0);

      t->eval_prompts = resolve_prompts (recipe, first->name, t->eval_data, t->eval_inputs);
    }
  t->prompts = cJSON_Duplicate (recipe->prompts, TRUE);
}

VsTrainer *
vs_trainer_new_from_recipe (const VsRecipe *recipe,
                            GError        **error)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  RecipeTarget *t;
  VsTrainer *trainer;
  cJSON *json;

  g_return_val_if_fail (recipe != NULL, NULL);

  t = g_new0 (RecipeTarget, 1);
  t->parent.klass = &recipe_target_class;
  t->args = recipe->args;
  t->args.metric_for_best_model = g_strdup (recipe->args.metric_for_best_model);
  t->sets = g_ptr_array_new_with_free_func ((GDestroyNotify) train_set_free);
  t->guides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) guide_free);
  t->order = g_array_new (FALSE, FALSE, sizeof (guint));
  if (recipe->args.threads > 0)
    vs_engine_set_threads (recipe->args.threads);

  t->model = make_model (recipe, problems);
  for (guint i = 0; i < recipe->train->len; i++)
    {
      TrainSet *set = make_set (recipe, i, t->model, t->guides, problems);

      if (set != NULL)
        g_ptr_array_add (t->sets, set);
    }
  if (problems->len == 0)
    make_eval (t, recipe, problems);
  if (problems->len == 0 && recipe->prompts != NULL)
    setup_prompts (t, recipe, problems);
  if (recipe->evaluator != NULL && problems->len == 0)
    {
      g_autoptr(GError) eval_error = NULL;
      cJSON *config = cJSON_Duplicate (recipe->evaluator, TRUE);

      /* The eval data is already in the loss's layout (inputs, then "label"). */
      cJSON_DeleteItemFromObjectCaseSensitive (config, "columns");
      cJSON_DeleteItemFromObjectCaseSensitive (config, "label");
      t->evaluator = vs_evaluator_new (config, &eval_error);
      t->evaluator_config = config;
      if (t->evaluator == NULL)
        add_problem (problems, "evaluator: %s", eval_error->message);
      else if (t->eval_data != NULL)
        {
          /* What each evaluator reads from the eval data, checked now
           * rather than after the model has been built and run. */
          const char *kind = vs_evaluator_get_kind (t->evaluator);

          if ((g_strcmp0 (kind, "similarity") == 0 || g_strcmp0 (kind, "binary") == 0) &&
              (t->eval_inputs != 2 || !t->eval_has_label))
            add_problem (problems, "evaluator: %s needs eval data with 2 text columns and a label "
                         "(it has %u text columns%s)", kind, t->eval_inputs,
                         t->eval_has_label ? " and a label" : ", no label");
          else if (g_strcmp0 (kind, "triplet") == 0 && t->eval_inputs != 3)
            add_problem (problems, "evaluator: triplet needs eval data with 3 text columns "
                         "(anchor, positive, negative); it has %u", t->eval_inputs);
          else if (g_strcmp0 (kind, "retrieval") == 0 && t->eval_inputs < 2)
            add_problem (problems, "evaluator: retrieval needs eval data with a query and a "
                         "document column; it has %u text column", t->eval_inputs);
        }
    }

  if (problems->len > 0)
    {
      GString *msg = g_string_new (NULL);
      const char *name = recipe->file != NULL ? recipe->file : "recipe";

      for (guint i = 0; i < problems->len; i++)
        g_string_append_printf (msg, "%s%s: %s", i > 0 ? "\n" : "", name,
                                (char *) problems->pdata[i]);
      g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID, msg->str);
      g_string_free (msg, TRUE);
      rt_free (&t->parent);
      return NULL;
    }

  if (!recipe->args.dropout)
    vs_model_set_dropout (t->model, 0.0f);
  else if (recipe->args.dropout_rate >= 0.0)
    vs_model_set_dropout (t->model, (float) recipe->args.dropout_rate);
  if (recipe->args.max_seq_length > 0)
    vs_model_set_max_seq_length (t->model, recipe->args.max_seq_length);
  vs_model_set_rng_state (t->model, recipe->args.seed);
  setup_guides (t);
  t->base_model = recipe->model != NULL
                  ? g_strdup (recipe->model)
                  : NULL;
  build_blocks (t);
  rt_set_epoch (&t->parent, 0);

  trainer = vs_trainer_new (&t->parent, &recipe->args, recipe->output_dir);
  json = vs_recipe_to_json (recipe);
  vs_trainer_set_recipe_json (trainer, json);
  cJSON_Delete (json);
  return trainer;
}
