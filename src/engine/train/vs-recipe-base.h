/* vs-recipe-base.h: the model a recipe's run starts from.
 *
 * To show what training changed, the Try page (and anything else comparing
 * "before" and "after") needs the untrained starting point of a run: the
 * recipe's model folder or Hub id as loaded, or the new model its "model"
 * section builds from modules with args.seed — bit for bit the model
 * vs_trainer_new_from_recipe() trains (it builds it with
 * vs_recipe_build_model() too), with args.max_seq_length applied as the
 * trainer applies it. The trained model is then vs_model_load (output_dir).
 *
 *   g_autoptr(VsModel) base = vs_recipe_load_base_model (recipe, &error);
 *   if (base == NULL)
 *     g_printerr ("%s\n", error->message);   // "model: …" / "model.new.tokenizer: …"
 */
#pragma once

#include <glib.h>

#include "model/vs-model.h"
#include "train/vs-recipe.h"

G_BEGIN_DECLS

/* The recipe's model as built before any training setting is applied:
 * loaded from its folder / Hub id, or created from architecture, preset,
 * tokenizer and modules with args.seed. NULL + error whose message starts
 * with the recipe key at fault ("model: …", "model.modules: …",
 * "model.new.tokenizer: …"). */
VsModel *vs_recipe_build_model     (const VsRecipe *recipe,
                                    GError        **error);

/* vs_recipe_build_model() with the run's inference settings
 * (args.max_seq_length): the model at step 0 of the run. */
VsModel *vs_recipe_load_base_model (const VsRecipe *recipe,
                                    GError        **error);

G_END_DECLS
