/* vs-loss-explain.h: what a loss does with a dataset's columns, in plain words.
 *
 * The Loss page shows one sentence saying what the chosen loss does with
 * the columns of the loaded dataset and the batch size of the recipe, and
 * a hint when the batch size calls for another variant. The wording is the
 * engine's (the UI never decides it). The engine has no gettext: these
 * sentences are English.
 *
 *   const char *in[] = { "sentence1", "sentence2", NULL };
 *   g_autofree char *s = vs_loss_explain (vs_loss_registry_lookup ("CoSENTLoss"),
 *                                         in, "score", 16);
 *   // "The cosine similarity of `sentence1` and `sentence2` is pushed to
 *   //  rank pairs as `score` does, across the 16 pairs of each batch."
 */
#pragma once

#include <glib.h>

#include "loss/vs-loss.h"

G_BEGIN_DECLS

/* One sentence naming the columns. inputs: NULL-terminated text columns in
 * loss order (NULL or too few: the registry's column names stand in);
 * label: the label column or NULL; batch_size: the recipe's (0 = 8). */
char *vs_loss_explain (const VsLossInfo  *info,
                       const char *const *inputs,
                       const char        *label,
                       guint              batch_size);

/* A sentence of advice for this batch size ("Batch size 256 may not fit in
 * memory: CachedMultipleNegativesRankingLoss gives the same gradients in
 * mini-batches"), or NULL when there is none. */
char *vs_loss_hint    (const VsLossInfo  *info,
                       guint              batch_size);

/* The batch size from which vs_loss_hint advises a Cached variant. */
#define VS_LOSS_HINT_LARGE_BATCH 128

G_END_DECLS
