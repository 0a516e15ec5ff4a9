/* vs-mine-model.c: hard-negative mining with a model (embeds, then mines). */
#include "config.h"

#include "data/vs-mine.h"
#include "model/vs-model.h"

static float *
encode_all (VsModel    *model,
            char      **texts,
            const char *prompt,
            gsize       batch_size,
            GError    **error)
{
  gsize n = g_strv_length (texts);
  gsize dim = vs_model_get_dimension (model);
  g_autofree float *emb = g_new (float, n * dim + 1);

  if (!vs_model_encode_with_prompt (model, prompt, (const char *const *) texts, n, batch_size, TRUE, emb, error))
    return NULL;
  return g_steal_pointer (&emb);
}

VsDataset *
vs_mine_hard_negatives (const VsDataset     *ds,
                        VsModel             *model,
                        const VsMineOptions *opts,
                        GError             **error)
{
  g_auto(GStrv) queries = NULL;
  g_auto(GStrv) corpus = NULL;
  g_autofree float *qe = NULL;
  g_autofree float *ce = NULL;

  if (!vs_mine_collect_texts (ds, opts, &queries, &corpus, error))
    return NULL;
  ce = encode_all (model, corpus, vs_model_get_prompt_for_role (model, "document"), opts->batch_size, error);
  if (ce == NULL)
    return NULL;
  qe = encode_all (model, queries, vs_model_get_prompt_for_role (model, "query"), opts->batch_size, error);
  if (qe == NULL)
    return NULL;
  return vs_mine_hard_negatives_with_embeddings (ds, qe, ce, vs_model_get_dimension (model),
                                                 vs_model_get_similarity_fn_name (model), opts, error);
}
