/* test-loss-explain.c: the plain-words sentences of every loss. */
#include <string.h>

#include "loss/vs-loss-explain.h"

/* Every registry loss gets a sentence naming each column it takes. */
static void
test_every_loss (void)
{
  static const char *const cols[] = { "q_text", "d_text", "n_text", NULL };
  gsize n;
  const VsLossInfo *all = vs_loss_registry_get_all (&n);

  g_assert_cmpuint (n, >, 0);
  for (gsize i = 0; i < n; i++)
    {
      guint take = MIN (MAX (all[i].min_columns, 2u), MIN (all[i].max_columns, 3u));
      const char *in[4] = { NULL, NULL, NULL, NULL };
      g_autofree char *s = NULL;

      for (guint c = 0; c < take; c++)
        in[c] = cols[c];
      s = vs_loss_explain (&all[i], in, "lab", 16);
      g_assert_nonnull (s);
      g_assert_cmpuint (strlen (s), >, 20);
      for (guint c = 0; c < take; c++)
        {
          g_autofree char *quoted = g_strdup_printf ("`%s`", cols[c]);
          if (strstr (s, quoted) == NULL)
            g_error ("%s: \"%s\" does not name %s", all[i].name, s, quoted);
        }
      if (all[i].label_kind != VS_LOSS_LABEL_NONE && all[i].label_kind != VS_LOSS_LABEL_ANY)
        if (strstr (s, "`lab`") == NULL)
          g_error ("%s: \"%s\" does not name the label", all[i].name, s);
    }
}

static void
test_exact (void)
{
  const char *pair[] = { "sentence1", "sentence2", NULL };
  const char *trip[] = { "anchor", "positive", "negative", NULL };
  g_autofree char *mnrl = vs_loss_explain (vs_loss_registry_lookup ("MultipleNegativesRankingLoss"), pair, NULL, 16);
  g_autofree char *mnrl3 = vs_loss_explain (vs_loss_registry_lookup ("MultipleNegativesRankingLoss"), trip, NULL, 4);
  g_autofree char *cosent = vs_loss_explain (vs_loss_registry_lookup ("CoSENTLoss"), pair, "score", 16);
  g_autofree char *triplet = vs_loss_explain (vs_loss_registry_lookup ("TripletLoss"), trip, NULL, 0);
  g_autofree char *nocols = vs_loss_explain (vs_loss_registry_lookup ("CoSENTLoss"), NULL, NULL, 0);

  g_assert_cmpstr (mnrl, ==, "Each `sentence1` must pick its `sentence2` among the 15 other sentence2 texts of its batch of 16.");
  g_assert_cmpstr (mnrl3, ==, "Each `anchor` must pick its `positive` among the 3 other positive texts of its batch of 4 "
                              "and the 4 `negative` texts, which are wrong answers.");
  g_assert_cmpstr (cosent, ==, "The cosine similarity of `sentence1` and `sentence2` is pushed to rank pairs as `score` does, "
                               "across the 16 pairs of each batch.");
  g_assert_cmpstr (triplet, ==, "Each `negative` must be farther from its `anchor` than `positive` is, by the margin.");
  /* No dataset: the registry's column names; batch size 0 means 8. */
  g_assert_cmpstr (nocols, ==, "The cosine similarity of `sentence_A` and `sentence_B` is pushed to rank pairs as the label does, "
                               "across the 8 pairs of each batch.");
}

static void
test_hint (void)
{
  g_autofree char *big = vs_loss_hint (vs_loss_registry_lookup ("MultipleNegativesRankingLoss"), 256);

  g_assert_cmpstr (big, ==, "Batch size 256 may not fit in memory: CachedMultipleNegativesRankingLoss "
                            "gives the same gradients in mini-batches.");
  g_assert_null (vs_loss_hint (vs_loss_registry_lookup ("MultipleNegativesRankingLoss"), 16));
  g_assert_null (vs_loss_hint (vs_loss_registry_lookup ("CachedMultipleNegativesRankingLoss"), 256));
  g_assert_null (vs_loss_hint (vs_loss_registry_lookup ("CoSENTLoss"), 256));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss/explain/every-loss", test_every_loss);
  g_test_add_func ("/loss/explain/exact", test_exact);
  g_test_add_func ("/loss/explain/hint", test_hint);
  return g_test_run ();
}
