/* vs-recipe-base.c: the model a recipe's run starts from (vs-recipe-base.h). */
#include "config.h"

#include "hub/vs-hub.h"
#include "train/vs-recipe-base.h"
#include "vs-error.h"

VsModel *
vs_recipe_build_model (const VsRecipe *recipe,
                       GError        **error)
{
  g_autoptr(GError) local = NULL;
  VsModel *model;

  g_return_val_if_fail (recipe != NULL, NULL);

  if (recipe->model != NULL)
    {
      /* A local folder as is; a Hub id from the cache or downloaded. */
      g_autofree char *dir = vs_hub_resolve_model (recipe->model, &local);

      if (dir != NULL)
        model = vs_model_load (dir, &local);
      else
        model = NULL;
    }
  else
    {
      const char *pooling = NULL;
      const char *activation = NULL;
      gsize dense_out = 0;
      gboolean normalize = FALSE;
      guint n_dense = 0;
      const cJSON *m;
      g_autofree char *tok_dir = NULL;

      cJSON_ArrayForEach (m, recipe->modules)
        {
          const char *type = cJSON_GetStringValue (cJSON_GetObjectItem (m, "type"));

          if (g_strcmp0 (type, "pooling") == 0)
            pooling = cJSON_GetStringValue (cJSON_GetObjectItem (m, "mode"));
          else if (g_strcmp0 (type, "dense") == 0)
            {
              dense_out = (gsize) cJSON_GetNumberValue (cJSON_GetObjectItem (m, "out_features"));
              activation = cJSON_GetStringValue (cJSON_GetObjectItem (m, "activation"));
              n_dense++;
            }
          else if (g_strcmp0 (type, "normalize") == 0)
            normalize = TRUE;
        }
      if (n_dense > 1)
        {
          g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID,
                               "model.modules: a new model takes at most one dense module");
          return NULL;
        }
      tok_dir = vs_hub_resolve_model (recipe->new_tokenizer, &local);
      if (tok_dir == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "model.new.tokenizer: ");
          return NULL;
        }
      model = vs_model_new_from_preset (recipe->new_architecture, recipe->new_preset,
                                        tok_dir, pooling, dense_out, activation,
                                        normalize, recipe->args.seed, &local);
    }
  if (model == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "model: ");
      return NULL;
    }
  return model;
}

VsModel *
vs_recipe_load_base_model (const VsRecipe *recipe,
                           GError        **error)
{
  VsModel *model = vs_recipe_build_model (recipe, error);

  if (model != NULL && recipe->args.max_seq_length > 0)
    vs_model_set_max_seq_length (model, recipe->args.max_seq_length);
  return model;
}
