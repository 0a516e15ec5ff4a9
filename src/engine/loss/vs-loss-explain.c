/* vs-loss-explain.c: what a loss does with a dataset's columns, in plain words. */
#include "loss/vs-loss-explain.h"

#include <string.h>

/* The i-th input, or a stand-in name. */
static const char *
col (const char *const *inputs,
     guint              n,
     guint              i,
     const char        *fallback)
{
  return i < n ? inputs[i] : fallback;
}

/* "`a`, `b` and `c`" for inputs[from..n). */
static char *
join_cols (const char *const *inputs,
           guint              from,
           guint              n)
{
  GString *s = g_string_new (NULL);

  for (guint i = from; i < n; i++)
    {
      if (i > from)
        g_string_append (s, i + 1 == n ? " and " : ", ");
      g_string_append_printf (s, "`%s`", inputs[i]);
    }
  return g_string_free (s, FALSE);
}

static gboolean
is_name (const VsLossInfo *info,
         const char       *name)
{
  return strcmp (info->name, name) == 0;
}

static gboolean
ends_with (const char *s,
           const char *suffix)
{
  return g_str_has_suffix (s, suffix);
}

char *
vs_loss_explain (const VsLossInfo  *info,
                 const char *const *inputs,
                 const char        *label,
                 guint              batch_size)
{
  static const char *const none[] = { NULL };
  g_autofree char *lab = NULL;
  guint n = 0;
  guint b;
  const char *name;

  g_return_val_if_fail (info != NULL, NULL);

  if (inputs == NULL)
    inputs = none;
  while (inputs[n] != NULL)
    n++;
  b = batch_size > 0 ? batch_size : 8;
  lab = label != NULL ? g_strdup_printf ("`%s`", label) : g_strdup ("the label");
  name = info->name;

  if (g_str_has_prefix (name, "Cached"))
    name += strlen ("Cached");

  if (strcmp (name, "MultipleNegativesRankingLoss") == 0
      || strcmp (name, "GISTEmbedLoss") == 0)
    {
      GString *s = g_string_new (NULL);
      const char *a = col (inputs, n, 0, "anchor");
      const char *p = col (inputs, n, 1, "positive");

      g_string_append_printf (s, "Each `%s` must pick its `%s` among the %u other %s texts of its batch of %u",
                              a, p, b - 1, p, b);
      if (n > 2)
        {
          g_autofree char *negs = join_cols (inputs, 2, n);
          g_string_append_printf (s, " and the %u %s texts, which are wrong answers",
                                  b * (n - 2), negs);
        }
      if (strcmp (name, "GISTEmbedLoss") == 0)
        g_string_append (s, "; a guide model leaves out candidates it finds too close to be wrong");
      if (name != info->name)
        g_string_append (s, ", computed in mini-batches with the same gradients");
      g_string_append_c (s, '.');
      return g_string_free (s, FALSE);
    }

  if (strcmp (name, "MultipleNegativesSymmetricRankingLoss") == 0)
    {
      const char *a = col (inputs, n, 0, "anchor");
      const char *p = col (inputs, n, 1, "positive");

      return g_strdup_printf ("Each `%s` must pick its `%s` among the %u %s texts of its batch of %u, "
                              "and each `%s` its `%s` among the %u %s texts%s.",
                              a, p, b, p, b, p, a, b, a,
                              name != info->name ? ", computed in mini-batches with the same gradients" : "");
    }

  if (is_name (info, "MegaBatchMarginLoss"))
    return g_strdup_printf ("The cosine similarity of each `%s` and its `%s` is pulled above the positive margin, "
                            "while the closest other `%s` of its batch of %u is pushed below the negative margin.",
                            col (inputs, n, 0, "anchor"), col (inputs, n, 1, "positive"),
                            col (inputs, n, 1, "positive"), b);

  if (is_name (info, "CoSENTLoss"))
    return g_strdup_printf ("The cosine similarity of `%s` and `%s` is pushed to rank pairs as %s does, "
                            "across the %u pairs of each batch.",
                            col (inputs, n, 0, "sentence_A"), col (inputs, n, 1, "sentence_B"), lab, b);

  if (is_name (info, "AnglELoss"))
    return g_strdup_printf ("The angle between `%s` and `%s` in complex space is pushed to rank pairs as %s does, "
                            "across the %u pairs of each batch.",
                            col (inputs, n, 0, "sentence_A"), col (inputs, n, 1, "sentence_B"), lab, b);

  if (is_name (info, "CosineSimilarityLoss"))
    return g_strdup_printf ("The cosine similarity of `%s` and `%s` is regressed onto %s (mean squared error).",
                            col (inputs, n, 0, "sentence_A"), col (inputs, n, 1, "sentence_B"), lab);

  if (is_name (info, "ContrastiveLoss") || is_name (info, "OnlineContrastiveLoss"))
    return g_strdup_printf ("Pairs of `%s` and `%s` with %s 1 are pulled together, those with %s 0 pushed beyond the margin%s.",
                            col (inputs, n, 0, "anchor"), col (inputs, n, 1, "other"), lab, lab,
                            is_name (info, "OnlineContrastiveLoss")
                              ? "; only the hard pairs of each batch count" : "");

  if (is_name (info, "SoftmaxLoss"))
    return g_strdup_printf ("A classifier on the embeddings of `%s` and `%s` (u, v, |u − v|) learns to predict %s.",
                            col (inputs, n, 0, "sentence_A"), col (inputs, n, 1, "sentence_B"), lab);

  if (is_name (info, "TripletLoss"))
    return g_strdup_printf ("Each `%s` must be farther from its `%s` than `%s` is, by the margin.",
                            col (inputs, n, 2, "negative"), col (inputs, n, 0, "anchor"),
                            col (inputs, n, 1, "positive"));

  if (g_str_has_prefix (info->name, "Batch") && ends_with (info->name, "TripletLoss"))
    {
      const char *how;

      if (is_name (info, "BatchAllTripletLoss"))
        how = "every valid triplet counts";
      else if (is_name (info, "BatchHardTripletLoss"))
        how = "each text's farthest same-label text is set against its closest other-label text";
      else if (is_name (info, "BatchHardSoftMarginTripletLoss"))
        how = "each text's hardest triplet counts, with a soft margin";
      else
        how = "each same-label pair is set against the closest other-label text still farther away";
      return g_strdup_printf ("Within each batch of %u, `%s` texts with the same %s are pulled together and those with another %s pushed apart: %s.",
                              b, col (inputs, n, 0, "sentence"), lab, lab, how);
    }

  if (is_name (info, "MSELoss"))
    {
      g_autofree char *all = n > 0 ? join_cols (inputs, 0, n) : g_strdup ("`sentence`");
      return g_strdup_printf ("The embeddings of %s regress onto the teacher's embedding in %s.", all, lab);
    }

  if (is_name (info, "MarginMSELoss"))
    {
      g_autofree char *negs = n > 2 ? join_cols (inputs, 2, n) : g_strdup ("`negative`");
      return g_strdup_printf ("The margin between the similarity of `%s` to `%s` and to %s regresses onto the teacher's margin in %s.",
                              col (inputs, n, 0, "query"), col (inputs, n, 1, "positive"), negs, lab);
    }

  if (is_name (info, "DistillKLDivLoss"))
    {
      g_autofree char *cands = n > 1 ? join_cols (inputs, 1, n) : g_strdup ("`positive`");
      return g_strdup_printf ("The spread of the scores of `%s` over %s must match the teacher's scores in %s (KL divergence).",
                              col (inputs, n, 0, "query"), cands, lab);
    }

  /* Wrappers and anything newer: the registry's description with the columns. */
  {
    g_autofree char *all = n > 0 ? join_cols (inputs, 0, n) : g_strdup (info->columns_help);
    if (info->label_kind != VS_LOSS_LABEL_NONE && label != NULL)
      return g_strdup_printf ("%s, on %s with %s.", info->description, all, lab);
    return g_strdup_printf ("%s, on %s.", info->description, all);
  }
}

char *
vs_loss_hint (const VsLossInfo *info,
              guint             batch_size)
{
  g_autofree char *cached = NULL;
  const VsLossInfo *variant;

  g_return_val_if_fail (info != NULL, NULL);

  if (batch_size < VS_LOSS_HINT_LARGE_BATCH || g_str_has_prefix (info->name, "Cached"))
    return NULL;
  cached = g_strconcat ("Cached", info->name, NULL);
  variant = vs_loss_registry_lookup (cached);
  if (variant == NULL)
    return NULL;
  return g_strdup_printf ("Batch size %u may not fit in memory: %s gives the same gradients in mini-batches.",
                          batch_size, variant->name);
}
