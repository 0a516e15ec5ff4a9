/* vs-evaluator-suggest.h: which evaluator fits a dataset's case.
 *
 *   case 1, float score -> similarity  (EmbeddingSimilarityEvaluator)
 *   case 1, binary 0/1  -> binary      (BinaryClassificationEvaluator)
 *   case 2              -> retrieval   (InformationRetrievalEvaluator)
 *   case 4              -> triplet     (TripletEvaluator, first negative)
 *   case 1 with classes, case 3, no case -> none
 *
 * The config is one vs_evaluator_new () accepts, with the case's columns:
 *
 *   g_autofree char *why = NULL;
 *   cJSON *cfg = vs_evaluator_suggest_for_case (info, &why);
 *   // {"name": "triplet", "columns": ["anchor", "positive", "negative"]}
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "data/vs-dataset.h"

G_BEGIN_DECLS

/* A new evaluator config for the case, or NULL when no evaluator of the
 * engine fits it. *reason_out (nullable, g_free) gets one English sentence
 * saying why that one (or why none). */
cJSON *vs_evaluator_suggest_for_case (const VsCaseInfo  *info,
                                      char             **reason_out);

G_END_DECLS
