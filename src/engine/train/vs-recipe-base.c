/* vs-recipe-base.c: the model a recipe's run starts from (vs-recipe-base.h). */
#include "config.h"

#include "hub/vs-hub.h"
#include "model/vs-module-spec.h"
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
      /* {"path": …, "modules": […]}: Dense / Normalize on top of it. */
      if (model != NULL && recipe->modules != NULL
          && !vs_model_append_modules (model, recipe->modules, recipe->args.seed, &local))
        {
          vs_model_free (model);
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "model.");
          return NULL;
        }
    }
  else
    {
      g_autofree char *tok_dir = vs_hub_resolve_model (recipe->new_tokenizer, &local);

      if (tok_dir == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "model.new.tokenizer: ");
          return NULL;
        }
      /* Any stack the module rules allow (model/vs-module-spec.h): several
       * Dense modules, with or without bias, and Normalize. */
      model = vs_model_new_from_modules (recipe->new_architecture, recipe->new_preset,
                                         tok_dir, recipe->modules, recipe->args.seed, &local);
      if (model == NULL && g_str_has_prefix (local->message, "modules"))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "model.");
          return NULL;
        }
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
