/* vs-recipe.h: a training run described by one JSON file.
 *
 * The recipe is what the CLI trains and what the GUI saves and opens as a
 * project. Keys and defaults follow sentence-transformers'
 * SentenceTransformerTrainingArguments (transformers' defaults):
 *
 *   {
 *     "model": "path/to/folder" | "org/hub-id"
 *            | {"new": {"architecture": "bert", "preset": "tiny",
 *                       "tokenizer": "path"},
 *               "modules": [{"type": "pooling", "mode": "mean"},
 *                           {"type": "dense", "out_features": 64,
 *                            "activation": "tanh", "bias": true},
 *                           {"type": "normalize"}]},
 *              (Pooling first, then any number of Dense modules and at
 *               most one Normalize, in the order they run; the rules and
 *               their reasons are model/vs-module-spec.h's)
 *            | {"path": "folder or Hub id", "modules": [dense / normalize …]}
 *              (layers on top of a loaded model's own stack)
 *     "train": {"path", "split", "columns": [in loss order], "label",
 *               "roles", "limit", "name", "loss"}   or a list of them,
 *     "eval": {"path", "split", "columns", "label", "roles", "limit"}
 *           | {"split_ratio": 0.1}          (held out of the first train dataset),
 *     "loss": {"name": "MultipleNegativesRankingLoss", "params": {...}},
 *             (GISTEmbedLoss / CachedGISTEmbedLoss: "params": {"guide":
 *              "folder or Hub id", ...}, the frozen guide model)
 *     "evaluator": {"name": "similarity", ...},
 *     "args": {"epochs": 3, "max_steps": -1, "batch_size": 8, ...,
 *              "push_to_hub": false, "hub_model_id": "org/name"
 *                                         (for the exported script only),
 *              "prompts": "query: "                       (every input column)
 *                       | {"anchor": "query: ", …}         (column -> prompt)
 *                       | {"nli": {"anchor": "q: "}, "sts": "s: ", …}
 *                                                          (dataset name -> either)},
 *     "output_dir": "out"
 *   }
 *
 * A dataset's columns: without "columns", case detection picks the inputs
 * and the label (vs_dataset_detect_case); with it, the inputs are those
 * listed, in that order, and the label is the column "label" names, else
 * the first of the file's "label" / "score" that is not an input
 * (sentence-transformers' collator). Either way (not for a split_ratio eval
 * set, which keeps train[0]'s layout):
 *
 *   "label": "COLUMN"   the label column (detection is told so);
 *   "label": null       no label column, even when the file has "label" or
 *                       "score" (an anchor,positive,score file trains
 *                       MultipleNegativesRankingLoss); an absent key keeps
 *                       the automatic rule;
 *   "roles": {"COLUMN": "anchor" | "positive" | "negative" | "sentence"
 *                     | "label" | "ignore", …}
 *                       fixes columns' roles as `inspect --role` does
 *                       ("sentence" = "anchor", case 3's one text): without
 *                       "columns" detection takes them as overrides (once
 *                       one column has a text role, the columns with text
 *                       roles are the only inputs); with
 *                       it, "ignore" keeps a column from being the automatic
 *                       label, "label" names the label, and a text role must
 *                       match the column's place in "columns" (anchor first,
 *                       positive second, negatives after).
 *
 * Parsing rejects roles that contradict each other or the other keys (an
 * ignored or label-role column listed in "columns", a label role beside a
 * different "label" or "label": null, two label roles); the trainer
 * rejects a role naming a column the data lacks.
 *
 * Relative paths (data, model folder, tokenizer, output_dir) are taken
 * relative to the recipe file's folder when something exists there (or, for
 * output_dir, always); anything else is kept as written (a Hub id).
 *
 * Parsing checks the whole file and reports every problem at once, one per
 * line, before any work starts:
 *
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(VsRecipe) recipe = vs_recipe_load ("recipe.json", &error);
 *   if (recipe == NULL)
 *     g_printerr ("%s\n", error->message);   // "recipe.json: args.batch_size: …\n…"
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "data/vs-dataset.h"
#include "train/vs-optim.h"

G_BEGIN_DECLS

typedef enum
{
  VS_BATCH_SAMPLER_BATCH,          /* "batch" (ST "batch_sampler") */
  VS_BATCH_SAMPLER_NO_DUPLICATES,  /* "no_duplicates" */
  VS_BATCH_SAMPLER_GROUP_BY_LABEL, /* "group_by_label" */
} VsBatchSamplerKind;

typedef enum
{
  VS_MULTI_DATASET_PROPORTIONAL,   /* "proportional" (ST default) */
  VS_MULTI_DATASET_ROUND_ROBIN,    /* "round_robin" */
} VsMultiDatasetSampler;

typedef struct
{
  char  *name;     /* sentence-transformers class name, as written */
  cJSON *params;   /* object (never NULL; {} when absent) */
} VsRecipeLoss;

typedef struct
{
  char         *path;         /* file, folder or Hub id; NULL for split_ratio */
  char         *split;        /* NULL: the loader's default split */
  char        **columns;      /* NULL-terminated, in loss order; NULL: all */
  char         *label;        /* NULL: a "label" role, else "label" or "score" when present */
  gboolean      no_label;     /* "label": null: no label column at all */
  VsRoleOverride *roles;      /* "roles" in the recipe's order ("sentence" read
                                 as VS_ROLE_ANCHOR; column strings owned here),
                                 NULL when n_roles is 0 */
  guint         n_roles;
  gint64        limit;        /* 0: every row */
  char         *name;         /* NULL: derived from the path */
  VsRecipeLoss *loss;         /* this dataset's own loss, or NULL */
  double        split_ratio;  /* eval only: share of train held out, or 0 */
} VsRecipeDataset;

typedef struct
{
  double                epochs;                     /* 3 */
  gint64                max_steps;                  /* -1: from epochs */
  guint                 batch_size;                 /* 8 */
  guint                 eval_batch_size;            /* 8 */
  double                learning_rate;              /* 5e-5 */
  double                warmup_ratio;               /* 0 */
  gint64                warmup_steps;               /* 0 (wins over the ratio when > 0) */
  double                weight_decay;               /* 0 */
  VsSchedule            scheduler;                  /* linear */
  double                max_grad_norm;              /* 1.0 (<= 0: no clipping) */
  guint                 gradient_accumulation_steps;/* 1 */
  guint64               seed;                       /* 42 */
  gboolean              shuffle;                    /* TRUE */
  gboolean              dropout;                    /* TRUE: the model's own rates */
  double                dropout_rate;               /* < 0: the model's own rate */
  VsBatchSamplerKind    batch_sampler;              /* batch */
  VsMultiDatasetSampler multi_dataset_batch_sampler;/* proportional */
  gboolean              drop_last;                  /* FALSE */
  gint64                eval_steps;                 /* 0: baseline and end only */
  gint64                logging_steps;              /* 500 (log table rows) */
  gint64                save_steps;                 /* 500 (0: no checkpoints) */
  gint                  save_total_limit;           /* 0: keep all */
  gint                  early_stopping_patience;    /* 0: off */
  gboolean              load_best_model_at_end;     /* FALSE */
  char                 *metric_for_best_model;      /* NULL: evaluator's primary, else eval_loss */
  gint                  greater_is_better;          /* -1: auto (FALSE for *loss) */
  guint                 threads;                    /* 0: every core */
  double                adam_beta1;                 /* 0.9 */
  double                adam_beta2;                 /* 0.999 */
  double                adam_epsilon;               /* 1e-8 */
  guint                 max_seq_length;             /* 0: the model's */
} VsTrainArgs;

typedef struct
{
  char            *file;            /* the recipe's path, or NULL */
  char            *name;            /* a title for the project, or NULL */
  char            *description;     /* free text, or NULL */
  char            *base_dir;        /* folder relative paths resolve against */
  /* model: a folder or Hub id, or a new one */
  char            *model;           /* NULL when new */
  char            *new_architecture;
  char            *new_preset;
  char            *new_tokenizer;
  cJSON           *modules;         /* array of module objects for a new model (or, for a
                                     * loaded one, the Dense / Normalize put on top), or NULL */
  GPtrArray       *train;           /* VsRecipeDataset*, at least one */
  VsRecipeDataset *eval;            /* or NULL */
  VsRecipeLoss    *loss;            /* default loss (CoSENTLoss when absent) */
  cJSON           *evaluator;       /* {"name": …, …} or NULL */
  VsTrainArgs      args;
  cJSON           *prompts;         /* args.prompts, or NULL (see below) */
  char            *output_dir;
  /* args.push_to_hub / args.hub_model_id: what the exported script's
   * trainer does (vs_recipe_to_python); Vectorsmith's own trainer does not
   * push (the Share page and `vectorsmith-cli push` do). */
  gboolean         push_to_hub;
  char            *hub_model_id;    /* NULL: the trainer's default (the output folder's name) */
} VsRecipe;

/* Fills args with the defaults listed above. */
void          vs_train_args_init       (VsTrainArgs *args);

/* Reads and validates a recipe file; NULL with every problem listed (one
 * per line, each prefixed with the file name) in error. */
VsRecipe     *vs_recipe_load           (const char  *path,
                                        GError     **error);

/* The same from JSON text; base_dir resolves relative paths (NULL: the
 * current folder) and name prefixes messages. */
VsRecipe     *vs_recipe_parse          (const char  *text,
                                        gsize        length,
                                        const char  *name,
                                        const char  *base_dir,
                                        GError     **error);

/* The recipe as JSON, with every argument written out; caller frees with
 * cJSON_Delete(). Parsing the result gives an equal recipe. */
cJSON        *vs_recipe_to_json        (const VsRecipe *recipe);

/* Writes vs_recipe_to_json() to path (atomically; paths come out
 * absolute). FALSE + error naming the file on failure. */
gboolean      vs_recipe_save           (const VsRecipe *recipe,
                                        const char     *path,
                                        GError        **error);

/* The arguments that differ from the defaults, as a JSON object (for the
 * model card); caller frees with cJSON_Delete(). */
cJSON        *vs_train_args_non_default (const VsTrainArgs *args);

/* Every argument as a JSON object; caller frees with cJSON_Delete(). */
cJSON        *vs_train_args_to_json    (const VsTrainArgs *args);

/* Renames, in an object from the two functions above, the keys that
 * sentence-transformers spells differently (epochs -> num_train_epochs,
 * batch_size -> per_device_train_batch_size, scheduler ->
 * lr_scheduler_type, …), for model cards. */
void          vs_train_args_use_st_names (cJSON *args);

/* A Python script that trains the same recipe with sentence-transformers'
 * SentenceTransformerTrainer (to move a job to GPUs: torchrun / accelerate);
 * caller frees with g_free(). Each dataset keeps the columns the trainer
 * takes ("columns", "label", "roles": select_columns / remove_columns /
 * rename_column), except that detection's choices by value (not by name or
 * role) cannot be repeated there. Weights of a new model start from another
 * random draw, and shuffle=false has no trainer equivalent (said in a comment). */
char         *vs_recipe_to_python      (const VsRecipe *recipe);

/* The same script for a file in script_dir: local files the recipe names
 * (data, model and tokenizer folders, a guide model, output_dir) are
 * written relative to the script's own folder (Path(__file__).parent), so
 * the script runs unchanged wherever the folder is copied. The script
 * takes --output-dir (default: the recipe's, relative to the script); its
 * heavy imports sit inside main(), so `python3 train.py --help` works
 * without sentence-transformers. vs_recipe_to_python() is this with the
 * current folder. */
char         *vs_recipe_to_python_for  (const VsRecipe *recipe,
                                        const char     *script_dir);

/* Writes vs_recipe_to_python_for() for path's folder to path, atomically
 * (a temporary file renamed); FALSE with an error naming the file. */
gboolean      vs_recipe_export_script  (const VsRecipe *recipe,
                                        const char     *path,
                                        GError        **error);

/* sentence-transformers' args.prompts for one input column of a dataset
 * (its name as vs_recipe_dataset_name gives it; NULL: none): the prompt
 * string itself; else the entry of the dataset's name (a string for every
 * column, or its column's entry); else the column's top-level entry. NULL
 * when the column gets no prompt. Borrowed from the recipe. */
const char   *vs_recipe_prompt_for     (const VsRecipe *recipe,
                                        const char     *dataset,
                                        const char     *column);

/* The name a dataset goes by (prompts, the training record): its "name",
 * else the file name without extensions, the Hub id, or "eval" for a
 * split_ratio eval set. Free with g_free(). */
char         *vs_recipe_dataset_name   (const VsRecipeDataset *dataset);

/* The label a dataset's recipe names: "label", else the column with the
 * label role; NULL when neither (then the automatic rule, or no label with
 * no_label). Borrowed. */
const char   *vs_recipe_dataset_label  (const VsRecipeDataset *dataset);

/* The role "roles" gives column (VS_ROLE_AUTO when none). */
VsColumnRole  vs_recipe_dataset_role   (const VsRecipeDataset *dataset,
                                        const char            *column);

/* The loss that applies to train dataset i (its own, else the recipe's). */
const VsRecipeLoss *vs_recipe_loss_for (const VsRecipe *recipe,
                                        guint           i);

/* The guide model (folder or Hub id) of a GISTEmbedLoss or
 * CachedGISTEmbedLoss, alone or inside a wrapper's params; NULL for other
 * losses. Parsing has made a relative folder absolute. */
const char   *vs_recipe_loss_get_guide (const VsRecipeLoss *loss);

void          vs_recipe_free           (VsRecipe *recipe);

const char   *vs_batch_sampler_kind_to_string (VsBatchSamplerKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsRecipe, vs_recipe_free)

G_END_DECLS
