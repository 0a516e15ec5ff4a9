/* vs-evaluator-suggest.c: which evaluator fits a dataset's case. */
#include "eval/vs-evaluator-suggest.h"

static cJSON *
make_config (const char        *name,
             const VsCaseInfo  *info,
             guint              n_columns,
             gboolean           with_label)
{
  cJSON *cfg = cJSON_CreateObject ();
  cJSON *cols = cJSON_AddArrayToObject (cfg, "columns");

  cJSON_AddStringToObject (cfg, "name", name);
  for (guint i = 0; i < n_columns && i < info->n_inputs; i++)
    cJSON_AddItemToArray (cols, cJSON_CreateString (info->inputs[i]));
  if (with_label && info->label_column != NULL)
    cJSON_AddStringToObject (cfg, "label", info->label_column);
  return cfg;
}

static void
set_reason (char       **reason_out,
            char        *reason)
{
  if (reason_out != NULL)
    *reason_out = reason;
  else
    g_free (reason);
}

cJSON *
vs_evaluator_suggest_for_case (const VsCaseInfo  *info,
                               char             **reason_out)
{
  g_return_val_if_fail (info != NULL, NULL);

  switch (info->case_number)
    {
    case 1:
      if (info->n_inputs >= 2 && info->label_kind == VS_LABEL_FLOAT)
        {
          set_reason (reason_out, g_strdup_printf ("`%s` is a similarity score: the similarity evaluator correlates "
                                                   "the model's similarity of `%s` and `%s` with it",
                                                   info->label_column, info->inputs[0], info->inputs[1]));
          return make_config ("similarity", info, 2, TRUE);
        }
      if (info->n_inputs >= 2 && info->label_kind == VS_LABEL_BINARY)
        {
          set_reason (reason_out, g_strdup_printf ("`%s` is 0 or 1: the binary evaluator finds the similarity threshold "
                                                   "that best separates similar from dissimilar pairs",
                                                   info->label_column));
          return make_config ("binary", info, 2, TRUE);
        }
      set_reason (reason_out, g_strdup ("No evaluator of the engine scores pairs with more than two classes"));
      return NULL;

    case 2:
      if (info->n_inputs >= 2)
        {
          set_reason (reason_out, g_strdup_printf ("Pairs without a label: the retrieval evaluator checks that each `%s` "
                                                   "finds its `%s` among all of them",
                                                   info->inputs[0], info->inputs[1]));
          return make_config ("retrieval", info, 2, FALSE);
        }
      break;

    case 4:
      if (info->n_inputs >= 3)
        {
          set_reason (reason_out, g_strdup_printf ("Triplets: the triplet evaluator checks that each `%s` is closer to its `%s` "
                                                   "than to its `%s`",
                                                   info->inputs[0], info->inputs[1], info->inputs[2]));
          return make_config ("triplet", info, 3, FALSE);
        }
      break;

    case 3:
      set_reason (reason_out, g_strdup ("No evaluator of the engine scores single sentences with a class label"));
      return NULL;

    default:
      break;
    }

  set_reason (reason_out, g_strdup ("No evaluator fits: the dataset's case is not known"));
  return NULL;
}
