/* vs-recipe.c: reading and validating a training recipe (see vs-recipe.h).
 *
 * Every check appends a line to a list of problems instead of stopping, so
 * a person fixing a recipe sees everything wrong with it at once.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "fault/vs-fault.h"
#include "eval/vs-evaluator.h"
#include "loss/vs-loss.h"
#include "train/vs-recipe.h"

typedef struct
{
  const char *name;      /* prefixes every problem */
  const char *base_dir;
  GPtrArray  *problems;  /* char* */
} Checker;

G_GNUC_PRINTF (2, 3)
static void
problem (Checker    *ck,
         const char *format,
         ...)
{
  va_list ap;
  char *msg;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (ck->problems, g_strdup_printf ("%s: %s", ck->name, msg));
  g_free (msg);
}

static const char *
json_type_name (const cJSON *item)
{
  if (cJSON_IsString (item))
    return "a string";
  if (cJSON_IsNumber (item))
    return "a number";
  if (cJSON_IsBool (item))
    return "a boolean";
  if (cJSON_IsNull (item))
    return "null";
  if (cJSON_IsArray (item))
    return "an array";
  if (cJSON_IsObject (item))
    return "an object";
  return "invalid";
}

/* ---------------------------------------------------------------------- */
/* Arguments                                                                */

typedef enum
{
  ARG_DOUBLE,
  ARG_INT64,
  ARG_UINT,
  ARG_INT,
  ARG_UINT64,
  ARG_BOOL,
  ARG_SPECIAL,
} ArgType;

typedef struct
{
  const char *key;
  const char *alias;   /* sentence-transformers' name, when it differs */
  ArgType     type;
  gsize       offset;
  double      min;     /* inclusive lower bound for numbers */
} ArgSpec;

#define OFF(field) G_STRUCT_OFFSET (VsTrainArgs, field)

static const ArgSpec arg_specs[] = {
  { "epochs", "num_train_epochs", ARG_DOUBLE, OFF (epochs), 0 },
  { "max_steps", NULL, ARG_INT64, OFF (max_steps), -1 },
  { "batch_size", "per_device_train_batch_size", ARG_UINT, OFF (batch_size), 1 },
  { "eval_batch_size", "per_device_eval_batch_size", ARG_UINT, OFF (eval_batch_size), 1 },
  { "learning_rate", NULL, ARG_DOUBLE, OFF (learning_rate), 0 },
  { "warmup_ratio", NULL, ARG_DOUBLE, OFF (warmup_ratio), 0 },
  { "warmup_steps", NULL, ARG_INT64, OFF (warmup_steps), 0 },
  { "weight_decay", NULL, ARG_DOUBLE, OFF (weight_decay), 0 },
  { "scheduler", "lr_scheduler_type", ARG_SPECIAL, OFF (scheduler), 0 },
  { "max_grad_norm", NULL, ARG_DOUBLE, OFF (max_grad_norm), 0 },
  { "gradient_accumulation_steps", NULL, ARG_UINT, OFF (gradient_accumulation_steps), 1 },
  { "seed", NULL, ARG_UINT64, OFF (seed), 0 },
  { "shuffle", NULL, ARG_BOOL, OFF (shuffle), 0 },
  { "dropout", NULL, ARG_SPECIAL, OFF (dropout), 0 },
  { "batch_sampler", NULL, ARG_SPECIAL, OFF (batch_sampler), 0 },
  { "multi_dataset_batch_sampler", NULL, ARG_SPECIAL, OFF (multi_dataset_batch_sampler), 0 },
  { "drop_last", "dataloader_drop_last", ARG_BOOL, OFF (drop_last), 0 },
  { "eval_steps", NULL, ARG_INT64, OFF (eval_steps), 0 },
  { "logging_steps", NULL, ARG_INT64, OFF (logging_steps), 1 },
  { "save_steps", NULL, ARG_INT64, OFF (save_steps), 0 },
  { "save_total_limit", NULL, ARG_SPECIAL, OFF (save_total_limit), 0 },
  { "early_stopping_patience", NULL, ARG_INT, OFF (early_stopping_patience), 0 },
  { "load_best_model_at_end", NULL, ARG_BOOL, OFF (load_best_model_at_end), 0 },
  { "metric_for_best_model", NULL, ARG_SPECIAL, OFF (metric_for_best_model), 0 },
  { "greater_is_better", NULL, ARG_SPECIAL, OFF (greater_is_better), 0 },
  { "threads", NULL, ARG_UINT, OFF (threads), 0 },
  { "adam_beta1", NULL, ARG_DOUBLE, OFF (adam_beta1), 0 },
  { "adam_beta2", NULL, ARG_DOUBLE, OFF (adam_beta2), 0 },
  { "adam_epsilon", NULL, ARG_DOUBLE, OFF (adam_epsilon), 0 },
  { "max_seq_length", NULL, ARG_UINT, OFF (max_seq_length), 0 },
};

#undef OFF

void
vs_train_args_init (VsTrainArgs *args)
{
  memset (args, 0, sizeof *args);
  args->epochs = 3.0;
  args->max_steps = -1;
  args->batch_size = 8;
  args->eval_batch_size = 8;
  args->learning_rate = 5e-5;
  args->warmup_ratio = 0.0;
  args->warmup_steps = 0;
  args->weight_decay = 0.0;
  args->scheduler = VS_SCHEDULE_LINEAR;
  args->max_grad_norm = 1.0;
  args->gradient_accumulation_steps = 1;
  args->seed = 42;
  args->shuffle = TRUE;
  args->dropout = TRUE;
  args->dropout_rate = -1.0;
  args->batch_sampler = VS_BATCH_SAMPLER_BATCH;
  args->multi_dataset_batch_sampler = VS_MULTI_DATASET_PROPORTIONAL;
  args->drop_last = FALSE;
  args->eval_steps = 0;
  args->logging_steps = 500;
  args->save_steps = 500;
  args->save_total_limit = 0;
  args->early_stopping_patience = 0;
  args->load_best_model_at_end = FALSE;
  args->metric_for_best_model = NULL;
  args->greater_is_better = -1;
  args->threads = 0;
  args->adam_beta1 = 0.9;
  args->adam_beta2 = 0.999;
  args->adam_epsilon = 1e-8;
  args->max_seq_length = 0;
}

static const char *const sampler_names[] = {
  [VS_BATCH_SAMPLER_BATCH] = "batch",
  [VS_BATCH_SAMPLER_NO_DUPLICATES] = "no_duplicates",
  [VS_BATCH_SAMPLER_GROUP_BY_LABEL] = "group_by_label",
};

static const char *const multi_sampler_names[] = {
  [VS_MULTI_DATASET_PROPORTIONAL] = "proportional",
  [VS_MULTI_DATASET_ROUND_ROBIN] = "round_robin",
};

const char *
vs_batch_sampler_kind_to_string (VsBatchSamplerKind kind)
{
  if ((guint) kind < G_N_ELEMENTS (sampler_names))
    return sampler_names[kind];
  return "batch";
}

static gboolean
is_integer (const cJSON *item)
{
  return cJSON_IsNumber (item) && isfinite (item->valuedouble) &&
         floor (item->valuedouble) == item->valuedouble &&
         fabs (item->valuedouble) < 9.0e15;
}

/* An argument that names one of names: *out its index; otherwise FALSE
 * and a problem listing them ("expected a, b or c (got …)"). */
static gboolean
parse_choice (Checker           *ck,
              const char        *key,
              const cJSON       *item,
              const char *const *names,
              guint              n_names,
              guint             *out)
{
  const char *s = cJSON_IsString (item) ? item->valuestring : NULL;
  g_autoptr(GString) expected = g_string_new (NULL);

  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (s, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  for (guint i = 0; i < n_names; i++)
    g_string_append_printf (expected, "%s%s", i == 0 ? "" : i + 1 < n_names ? ", " : " or ", names[i]);
  problem (ck, "args.%s: expected %s (got %s)", key, expected->str,
           s != NULL ? s : json_type_name (item));
  return FALSE;
}

static void
parse_special_arg (Checker       *ck,
                   VsTrainArgs   *args,
                   const ArgSpec *spec,
                   const cJSON   *item)
{
  const char *key = spec->key;
  guint choice;

  if (strcmp (key, "scheduler") == 0)
    {
      if (!cJSON_IsString (item) || !vs_schedule_from_string (item->valuestring, &args->scheduler))
        problem (ck, "args.scheduler: expected one of linear, cosine, constant, "
                 "constant_with_warmup (got %s%s%s)", cJSON_IsString (item) ? "“" : "",
                 cJSON_IsString (item) ? item->valuestring : json_type_name (item),
                 cJSON_IsString (item) ? "”" : "");
    }
  else if (strcmp (key, "dropout") == 0)
    {
      if (cJSON_IsBool (item))
        args->dropout = cJSON_IsTrue (item);
      else if (cJSON_IsNumber (item) && item->valuedouble >= 0.0 && item->valuedouble < 1.0)
        {
          args->dropout = item->valuedouble > 0.0;
          args->dropout_rate = item->valuedouble;
        }
      else
        problem (ck, "args.dropout: expected true, false or a rate in [0, 1) (got %s)",
                 json_type_name (item));
    }
  else if (strcmp (key, "batch_sampler") == 0)
    {
      /* sentence-transformers' enum value "batch_sampler" means "batch". */
      if (cJSON_IsString (item) && strcmp (item->valuestring, "batch_sampler") == 0)
        args->batch_sampler = VS_BATCH_SAMPLER_BATCH;
      else if (parse_choice (ck, key, item, sampler_names, G_N_ELEMENTS (sampler_names), &choice))
        args->batch_sampler = (VsBatchSamplerKind) choice;
    }
  else if (strcmp (key, "multi_dataset_batch_sampler") == 0)
    {
      if (parse_choice (ck, key, item, multi_sampler_names, G_N_ELEMENTS (multi_sampler_names), &choice))
        args->multi_dataset_batch_sampler = (VsMultiDatasetSampler) choice;
    }
  else if (strcmp (key, "save_total_limit") == 0)
    {
      if (cJSON_IsNull (item))
        args->save_total_limit = 0;
      else if (is_integer (item) && item->valuedouble >= 1 && item->valuedouble < G_MAXINT)
        args->save_total_limit = (gint) item->valuedouble;
      else
        problem (ck, "args.save_total_limit: expected null or a positive integer");
    }
  else if (strcmp (key, "metric_for_best_model") == 0)
    {
      if (cJSON_IsNull (item))
        g_clear_pointer (&args->metric_for_best_model, g_free);
      else if (cJSON_IsString (item) && item->valuestring[0] != '\0')
        {
          g_free (args->metric_for_best_model);
          args->metric_for_best_model = g_strdup (item->valuestring);
        }
      else
        problem (ck, "args.metric_for_best_model: expected a metric name (got %s)",
                 json_type_name (item));
    }
  else if (strcmp (key, "greater_is_better") == 0)
    {
      if (cJSON_IsNull (item))
        args->greater_is_better = -1;
      else if (cJSON_IsBool (item))
        args->greater_is_better = cJSON_IsTrue (item) ? 1 : 0;
      else
        problem (ck, "args.greater_is_better: expected true, false or null (got %s)",
                 json_type_name (item));
    }
}

static void
parse_arg (Checker       *ck,
           VsTrainArgs   *args,
           const ArgSpec *spec,
           const cJSON   *item)
{
  guint8 *base = (guint8 *) args;

  switch (spec->type)
    {
    case ARG_DOUBLE:
      if (!cJSON_IsNumber (item) || !isfinite (item->valuedouble) || item->valuedouble < spec->min)
        problem (ck, "args.%s: expected a number >= %g (got %s%s)", spec->key, spec->min,
                 json_type_name (item), cJSON_IsNumber (item) ? " out of range" : "");
      else
        *(double *) (base + spec->offset) = item->valuedouble;
      break;
    case ARG_INT64:
      if (!is_integer (item) || item->valuedouble < spec->min)
        problem (ck, "args.%s: expected an integer >= %g (got %s)", spec->key, spec->min,
                 cJSON_IsNumber (item) ? "a value out of range" : json_type_name (item));
      else
        *(gint64 *) (base + spec->offset) = (gint64) item->valuedouble;
      break;
    case ARG_UINT64:
      if (!is_integer (item) || item->valuedouble < 0)
        problem (ck, "args.%s: expected a non-negative integer (got %s)", spec->key,
                 cJSON_IsNumber (item) ? "a value out of range" : json_type_name (item));
      else
        *(guint64 *) (base + spec->offset) = (guint64) item->valuedouble;
      break;
    case ARG_UINT:
    case ARG_INT:
      if (!is_integer (item) || item->valuedouble < spec->min || item->valuedouble > G_MAXINT)
        problem (ck, "args.%s: expected an integer >= %g (got %s)", spec->key, spec->min,
                 cJSON_IsNumber (item) ? "a value out of range" : json_type_name (item));
      else if (spec->type == ARG_UINT)
        *(guint *) (base + spec->offset) = (guint) item->valuedouble;
      else
        *(gint *) (base + spec->offset) = (gint) item->valuedouble;
      break;
    case ARG_BOOL:
      if (!cJSON_IsBool (item))
        problem (ck, "args.%s: expected true or false (got %s)", spec->key, json_type_name (item));
      else
        *(gboolean *) (base + spec->offset) = cJSON_IsTrue (item);
      break;
    case ARG_SPECIAL:
    default:
      parse_special_arg (ck, args, spec, item);
      break;
    }
}

static void
parse_args (Checker     *ck,
            VsTrainArgs *args,
            const cJSON *obj)
{
  const cJSON *item;

  if (obj == NULL)
    return;
  if (!cJSON_IsObject (obj))
    {
      problem (ck, "args: expected an object (got %s)", json_type_name (obj));
      return;
    }
  cJSON_ArrayForEach (item, obj)
    {
      const ArgSpec *spec = NULL;

      if (g_strcmp0 (item->string, "prompts") == 0 ||
          g_strcmp0 (item->string, "push_to_hub") == 0 ||
          g_strcmp0 (item->string, "hub_model_id") == 0)
        continue;   /* parse_prompts(), once the datasets are known; parse_hub() */
      for (guint i = 0; i < G_N_ELEMENTS (arg_specs); i++)
        if (g_strcmp0 (item->string, arg_specs[i].key) == 0 ||
            g_strcmp0 (item->string, arg_specs[i].alias) == 0)
          spec = &arg_specs[i];
      if (spec == NULL)
        problem (ck, "args.%s: unknown argument", item->string);
      else
        parse_arg (ck, args, spec, item);
    }

  if (args->warmup_ratio > 1.0)
    problem (ck, "args.warmup_ratio: must be between 0 and 1 (got %g)", args->warmup_ratio);
  if (args->max_steps <= 0 && args->epochs <= 0.0)
    problem (ck, "args: epochs must be > 0 when max_steps is not set");
  if (args->adam_beta1 >= 1.0)
    problem (ck, "args.adam_beta1: must be below 1 (got %g)", args->adam_beta1);
  if (args->adam_beta2 >= 1.0)
    problem (ck, "args.adam_beta2: must be below 1 (got %g)", args->adam_beta2);
  if (args->batch_sampler == VS_BATCH_SAMPLER_GROUP_BY_LABEL && args->batch_size % 2 != 0)
    problem (ck, "args.batch_size: group_by_label needs an even batch size (got %u)",
             args->batch_size);
  if (args->threads > 4096)
    problem (ck, "args.threads: %u is more than any machine has", args->threads);
}

/* ---------------------------------------------------------------------- */
/* Datasets, losses, model                                                  */

static char *
resolve_path (const char *base_dir,
              const char *path,
              gboolean    always)
{
  g_autofree char *joined = NULL;

  if (path == NULL || g_path_is_absolute (path) || base_dir == NULL)
    return g_strdup (path);
  joined = g_build_filename (base_dir, path, NULL);
  if (always || g_file_test (joined, G_FILE_TEST_EXISTS))
    return g_canonicalize_filename (joined, NULL);
  return g_strdup (path);
}

static char *
dup_string (Checker     *ck,
            const cJSON *obj,
            const char  *key,
            const char  *where,
            gboolean     required)
{
  const cJSON *item = cJSON_GetObjectItemCaseSensitive (obj, key);

  if (item == NULL || cJSON_IsNull (item))
    {
      if (required)
        problem (ck, "%s.%s: missing", where, key);
      return NULL;
    }
  if (!cJSON_IsString (item) || item->valuestring[0] == '\0')
    {
      problem (ck, "%s.%s: expected a non-empty string (got %s)", where, key,
               json_type_name (item));
      return NULL;
    }
  return g_strdup (item->valuestring);
}

static void
check_keys (Checker            *ck,
            const cJSON        *obj,
            const char         *where,
            const char *const  *known)
{
  const cJSON *item;

  cJSON_ArrayForEach (item, obj)
    {
      if (!g_strv_contains (known, item->string))
        problem (ck, "%s.%s: unknown key", where, item->string);
    }
}

/* The loss of that recipe entry that runs a guide model — GISTEmbedLoss or
 * CachedGISTEmbedLoss itself, or a wrapper's inner loss (MatryoshkaLoss
 * {"loss": {"name": …, "params": {…}}}) — by name, with *params the object
 * that holds its "guide" (NULL when there is none); NULL for other losses. */
static const char *
guide_loss (const VsRecipeLoss  *loss,
            cJSON              **params)
{
  const VsLossInfo *info = loss->name != NULL ? vs_loss_registry_lookup (loss->name) : NULL;
  const VsLossInfo *inner_info;
  cJSON *inner;
  const char *inner_name;

  *params = NULL;
  if (info == NULL)
    return NULL;
  if (info->needs_guide)
    {
      *params = loss->params;
      return info->name;
    }
  if (!info->is_wrapper)
    return NULL;
  inner = cJSON_GetObjectItemCaseSensitive (loss->params, "loss");
  inner_name = cJSON_IsString (inner) ? inner->valuestring
               : cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (inner, "name"));
  inner_info = inner_name != NULL ? vs_loss_registry_lookup (inner_name) : NULL;
  if (inner_info == NULL || !inner_info->needs_guide)
    return NULL;
  if (cJSON_IsObject (inner) && cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (inner, "params")))
    *params = cJSON_GetObjectItemCaseSensitive (inner, "params");
  return inner_info->name;
}

const char *
vs_recipe_loss_get_guide (const VsRecipeLoss *loss)
{
  cJSON *params;

  g_return_val_if_fail (loss != NULL, NULL);
  if (guide_loss (loss, &params) == NULL || params == NULL)
    return NULL;
  return cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (params, "guide"));
}

/* GISTEmbedLoss and CachedGISTEmbedLoss (alone or wrapped) need params.guide,
 * a model folder or Hub id; a relative folder is taken from the recipe's. */
static void
check_guide (Checker      *ck,
             VsRecipeLoss *loss,
             const char   *where)
{
  cJSON *params;
  const char *name = guide_loss (loss, &params);
  const char *at = params == loss->params ? "params" : "params.loss.params";
  const cJSON *guide;
  g_autofree char *resolved = NULL;

  if (name == NULL)
    return;
  guide = params != NULL ? cJSON_GetObjectItemCaseSensitive (params, "guide") : NULL;
  if (guide == NULL || cJSON_IsNull (guide))
    {
      problem (ck, "%s.%s.guide: missing: %s needs a guide model (a model folder or Hub id)",
               where, at, name);
      return;
    }
  if (!cJSON_IsString (guide) || guide->valuestring[0] == '\0')
    {
      problem (ck, "%s.%s.guide: expected a model folder or Hub id (got %s)", where, at,
               cJSON_IsString (guide) ? "an empty string" : json_type_name (guide));
      return;
    }
  resolved = resolve_path (ck->base_dir, guide->valuestring, FALSE);
  if (strcmp (resolved, guide->valuestring) != 0)
    cJSON_ReplaceItemInObjectCaseSensitive (params, "guide", cJSON_CreateString (resolved));
}

static void
recipe_loss_free (VsRecipeLoss *loss)
{
  if (loss == NULL)
    return;
  g_free (loss->name);
  cJSON_Delete (loss->params);
  g_free (loss);
}

static VsRecipeLoss *
parse_loss (Checker     *ck,
            const cJSON *obj,
            const char  *where)
{
  static const char *const keys[] = { "name", "params", NULL };
  VsRecipeLoss *loss;
  const cJSON *params;

  if (cJSON_IsString (obj))
    {
      loss = g_new0 (VsRecipeLoss, 1);
      loss->name = g_strdup (obj->valuestring);
      loss->params = cJSON_CreateObject ();
    }
  else if (cJSON_IsObject (obj))
    {
      check_keys (ck, obj, where, keys);
      loss = g_new0 (VsRecipeLoss, 1);
      loss->name = dup_string (ck, obj, "name", where, TRUE);
      params = cJSON_GetObjectItemCaseSensitive (obj, "params");
      if (params != NULL && !cJSON_IsObject (params) && !cJSON_IsNull (params))
        problem (ck, "%s.params: expected an object (got %s)", where, json_type_name (params));
      loss->params = cJSON_IsObject (params) ? cJSON_Duplicate (params, TRUE)
                                             : cJSON_CreateObject ();
    }
  else
    {
      problem (ck, "%s: expected an object {\"name\", \"params\"} (got %s)", where,
               json_type_name (obj));
      return NULL;
    }
  /* The loss module checks the parameters once the data is loaded. */
  if (loss->name != NULL && vs_loss_registry_lookup (loss->name) == NULL)
    problem (ck, "%s.name: unknown loss “%s”", where, loss->name);
  else if (loss->name != NULL)
    check_guide (ck, loss, where);
  return loss;
}

static void
recipe_dataset_free (VsRecipeDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->path);
  g_free (ds->split);
  g_strfreev (ds->columns);
  g_free (ds->label);
  for (guint i = 0; i < ds->n_roles; i++)
    g_free ((char *) ds->roles[i].column);
  g_free (ds->roles);
  g_free (ds->name);
  recipe_loss_free (ds->loss);
  g_free (ds);
}

#define ROLE_NAMES "anchor, positive, negative, sentence, label or ignore"

/* "roles": column -> role, checked against each other and against the
 * dataset's "columns" and "label" (parsed before). */
static void
parse_roles (Checker         *ck,
             VsRecipeDataset *ds,
             const cJSON     *roles,
             const char      *where)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (VsRoleOverride));
  const char *label_role = NULL;
  const cJSON *item;

  if (roles == NULL || cJSON_IsNull (roles))
    return;
  if (!cJSON_IsObject (roles))
    {
      problem (ck, "%s.roles: expected an object of column -> role (" ROLE_NAMES ") (got %s)", where,
               json_type_name (roles));
      return;
    }
  cJSON_ArrayForEach (item, roles)
    {
      const char *col = item->string;
      VsColumnRole role;
      VsRoleOverride ov;
      gboolean seen = FALSE;
      int pos = -1;

      for (guint k = 0; k < out->len; k++)
        seen |= strcmp (g_array_index (out, VsRoleOverride, k).column, col) == 0;
      for (guint k = 0; ds->columns != NULL && ds->columns[k] != NULL && pos < 0; k++)
        if (strcmp (ds->columns[k], col) == 0)
          pos = (int) k;
      if (col[0] == '\0')
        {
          problem (ck, "%s.roles: an empty key; keys are column names", where);
          continue;
        }
      if (seen)
        {
          problem (ck, "%s.roles.%s: given twice", where, col);
          continue;
        }
      if (!cJSON_IsString (item) || !vs_column_role_from_string (item->valuestring, &role))
        {
          problem (ck, "%s.roles.%s: expected " ROLE_NAMES " (got %s%s%s)", where, col,
                   cJSON_IsString (item) ? "“" : "",
                   cJSON_IsString (item) ? item->valuestring : json_type_name (item),
                   cJSON_IsString (item) ? "”" : "");
          continue;
        }
      switch (role)
        {
        case VS_ROLE_IGNORE:
          if (pos >= 0)
            problem (ck, "%s.roles.%s: “%s” is ignored, but it is columns[%d]", where, col, col, pos);
          else if (g_strcmp0 (ds->label, col) == 0)
            problem (ck, "%s.roles.%s: “%s” is ignored, but \"label\" names it", where, col, col);
          break;
        case VS_ROLE_LABEL:
          if (ds->no_label)
            problem (ck, "%s.roles.%s: “%s” has the label role, but \"label\" is null (no label)",
                     where, col, col);
          else if (ds->label != NULL && strcmp (ds->label, col) != 0)
            problem (ck, "%s.roles.%s: “%s” has the label role, but \"label\" names “%s”", where, col,
                     col, ds->label);
          else if (pos >= 0)
            problem (ck, "%s.roles.%s: “%s” is the label, but it is columns[%d]; list only inputs",
                     where, col, col, pos);
          else if (label_role != NULL)
            problem (ck, "%s.roles.%s: “%s” and “%s” both have the label role; a dataset has one label",
                     where, col, label_role, col);
          else
            label_role = col;
          break;
        case VS_ROLE_ANCHOR:
        case VS_ROLE_POSITIVE:
        case VS_ROLE_NEGATIVE:
          if (g_strcmp0 (ds->label, col) == 0)
            problem (ck, "%s.roles.%s: “%s” is the label (\"label\"), not a text", where, col, col);
          else if (ds->columns != NULL && pos < 0)
            problem (ck, "%s.roles.%s: “%s” is not in columns (with \"columns\", the inputs are "
                     "those listed)", where, col, col);
          else if (ds->columns != NULL)
            {
              VsColumnRole at = pos == 0 ? VS_ROLE_ANCHOR : pos == 1 ? VS_ROLE_POSITIVE : VS_ROLE_NEGATIVE;

              if (role != at)
                problem (ck, "%s.roles.%s: “%s” is columns[%d], the %s (with \"columns\", their order "
                         "gives the roles)", where, col, col, pos, vs_column_role_to_string (at));
            }
          break;
        case VS_ROLE_AUTO:
        default:
          break;
        }
      ov.column = g_strdup (col);
      ov.role = role;
      g_array_append_val (out, ov);
    }
  ds->n_roles = out->len;
  ds->roles = ds->n_roles > 0 ? (VsRoleOverride *) g_array_free (g_steal_pointer (&out), FALSE) : NULL;
}

#undef ROLE_NAMES

const char *
vs_recipe_dataset_label (const VsRecipeDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, NULL);

  if (dataset->label != NULL)
    return dataset->label;
  for (guint i = 0; i < dataset->n_roles; i++)
    if (dataset->roles[i].role == VS_ROLE_LABEL)
      return dataset->roles[i].column;
  return NULL;
}

VsColumnRole
vs_recipe_dataset_role (const VsRecipeDataset *dataset,
                        const char            *column)
{
  g_return_val_if_fail (dataset != NULL && column != NULL, VS_ROLE_AUTO);

  for (guint i = 0; i < dataset->n_roles; i++)
    if (strcmp (dataset->roles[i].column, column) == 0)
      return dataset->roles[i].role;
  return VS_ROLE_AUTO;
}

static VsRecipeDataset *
parse_dataset (Checker     *ck,
               const cJSON *obj,
               const char  *where,
               gboolean     is_eval)
{
  static const char *const train_keys[] = { "path", "split", "columns", "label", "roles", "limit",
                                            "name", "loss", NULL };
  static const char *const eval_keys[] = { "path", "split", "columns", "label", "roles", "limit",
                                           "name", "split_ratio", NULL };
  VsRecipeDataset *ds;
  const cJSON *item;
  g_autofree char *path = NULL;

  if (cJSON_IsString (obj))
    {
      ds = g_new0 (VsRecipeDataset, 1);
      ds->path = resolve_path (ck->base_dir, obj->valuestring, FALSE);
      return ds;
    }
  if (!cJSON_IsObject (obj))
    {
      problem (ck, "%s: expected an object {\"path\", \"columns\", …} (got %s)", where,
               json_type_name (obj));
      return NULL;
    }
  check_keys (ck, obj, where, is_eval ? eval_keys : train_keys);
  ds = g_new0 (VsRecipeDataset, 1);

  item = cJSON_GetObjectItemCaseSensitive (obj, "split_ratio");
  if (item != NULL)
    {
      if (!cJSON_IsNumber (item) || !(item->valuedouble > 0.0 && item->valuedouble < 1.0))
        problem (ck, "%s.split_ratio: expected a number between 0 and 1 (exclusive)", where);
      else
        ds->split_ratio = item->valuedouble;
      if (cJSON_GetObjectItemCaseSensitive (obj, "path") != NULL)
        problem (ck, "%s: give either path or split_ratio, not both", where);
      /* The held-out rows keep train[0]'s layout. */
      if (cJSON_GetObjectItemCaseSensitive (obj, "roles") != NULL)
        problem (ck, "%s.roles: not for a split_ratio eval set (it takes train[0]'s columns)", where);
      if (cJSON_IsNull (cJSON_GetObjectItemCaseSensitive (obj, "label")))
        problem (ck, "%s.label: not for a split_ratio eval set (it takes train[0]'s columns)", where);
      return ds;
    }

  path = dup_string (ck, obj, "path", where, TRUE);
  ds->path = resolve_path (ck->base_dir, path, FALSE);
  ds->split = dup_string (ck, obj, "split", where, FALSE);
  ds->label = dup_string (ck, obj, "label", where, FALSE);
  /* An explicit null says "no label"; an absent key, "the automatic one". */
  ds->no_label = cJSON_IsNull (cJSON_GetObjectItemCaseSensitive (obj, "label"));
  ds->name = dup_string (ck, obj, "name", where, FALSE);

  item = cJSON_GetObjectItemCaseSensitive (obj, "columns");
  if (item != NULL && !cJSON_IsNull (item))
    {
      const cJSON *col;
      GPtrArray *cols = g_ptr_array_new ();
      int i = 0;

      if (!cJSON_IsArray (item) || cJSON_GetArraySize (item) == 0)
        problem (ck, "%s.columns: expected a non-empty array of column names", where);
      cJSON_ArrayForEach (col, item)
        {
          if (!cJSON_IsString (col) || col->valuestring[0] == '\0')
            problem (ck, "%s.columns[%d]: expected a column name (got %s)", where, i,
                     json_type_name (col));
          else if (ds->label != NULL && strcmp (col->valuestring, ds->label) == 0)
            problem (ck, "%s.columns[%d]: “%s” is the label column; list only inputs",
                     where, i, col->valuestring);
          else
            g_ptr_array_add (cols, g_strdup (col->valuestring));
          i++;
        }
      g_ptr_array_add (cols, NULL);
      ds->columns = (char **) g_ptr_array_free (cols, FALSE);
    }

  parse_roles (ck, ds, cJSON_GetObjectItemCaseSensitive (obj, "roles"), where);

  item = cJSON_GetObjectItemCaseSensitive (obj, "limit");
  if (item != NULL && !cJSON_IsNull (item))
    {
      if (!is_integer (item) || item->valuedouble < 0)
        problem (ck, "%s.limit: expected a non-negative integer (got %s)", where,
                 json_type_name (item));
      else
        ds->limit = (gint64) item->valuedouble;
    }

  item = cJSON_GetObjectItemCaseSensitive (obj, "loss");
  if (item != NULL && !cJSON_IsNull (item))
    {
      g_autofree char *lw = g_strdup_printf ("%s.loss", where);
      ds->loss = parse_loss (ck, item, lw);
    }
  return ds;
}

static void
parse_model (Checker     *ck,
             VsRecipe    *recipe,
             const cJSON *obj)
{
  static const char *const keys[] = { "new", "modules", "path", NULL };
  static const char *const new_keys[] = { "architecture", "preset", "tokenizer", NULL };
  static const char *const module_types[] = { "pooling", "dense", "normalize", NULL };
  const cJSON *item;

  if (obj == NULL)
    {
      problem (ck, "model: missing (a folder, a Hub id, or {\"new\": …})");
      return;
    }
  if (cJSON_IsString (obj) && obj->valuestring[0] != '\0')
    {
      recipe->model = resolve_path (ck->base_dir, obj->valuestring, FALSE);
      return;
    }
  if (!cJSON_IsObject (obj))
    {
      problem (ck, "model: expected a folder, a Hub id or an object (got %s)", json_type_name (obj));
      return;
    }
  check_keys (ck, obj, "model", keys);
  item = cJSON_GetObjectItemCaseSensitive (obj, "path");
  if (item != NULL)
    {
      g_autofree char *path = dup_string (ck, obj, "path", "model", TRUE);
      recipe->model = resolve_path (ck->base_dir, path, FALSE);
      if (cJSON_GetObjectItemCaseSensitive (obj, "new") != NULL)
        problem (ck, "model: give either path or new, not both");
    }
  else
    {
      const cJSON *nw = cJSON_GetObjectItemCaseSensitive (obj, "new");
      g_autofree char *tok = NULL;

      if (!cJSON_IsObject (nw))
        {
          problem (ck, "model.new: expected {\"architecture\", \"preset\", \"tokenizer\"}");
          return;
        }
      check_keys (ck, nw, "model.new", new_keys);
      recipe->new_architecture = dup_string (ck, nw, "architecture", "model.new", TRUE);
      recipe->new_preset = dup_string (ck, nw, "preset", "model.new", TRUE);
      tok = dup_string (ck, nw, "tokenizer", "model.new", TRUE);
      recipe->new_tokenizer = resolve_path (ck->base_dir, tok, FALSE);
    }

  item = cJSON_GetObjectItemCaseSensitive (obj, "modules");
  if (item != NULL)
    {
      const cJSON *m;
      int i = 0;

      if (!cJSON_IsArray (item))
        {
          problem (ck, "model.modules: expected an array");
          return;
        }
      cJSON_ArrayForEach (m, item)
        {
          const cJSON *type = cJSON_GetObjectItemCaseSensitive (m, "type");

          if (!cJSON_IsObject (m) || !cJSON_IsString (type))
            problem (ck, "model.modules[%d]: expected an object with a \"type\"", i);
          else if (!g_strv_contains (module_types, type->valuestring))
            problem (ck, "model.modules[%d].type: expected pooling, dense or normalize (got “%s”)",
                     i, type->valuestring);
          else if (recipe->model != NULL && strcmp (type->valuestring, "pooling") == 0)
            /* {"path": …, "modules": […]}: layers on top of a loaded model */
            problem (ck, "model.modules[%d]: only dense and normalize modules go on top of a loaded model "
                     "(it keeps its own Pooling)", i);
          else if (strcmp (type->valuestring, "dense") == 0)
            {
              const cJSON *of = cJSON_GetObjectItemCaseSensitive (m, "out_features");

              const cJSON *bias = cJSON_GetObjectItemCaseSensitive (m, "bias");

              if (!is_integer (of) || of->valuedouble < 1)
                problem (ck, "model.modules[%d].out_features: expected a positive integer", i);
              if (bias != NULL && !cJSON_IsBool (bias))
                problem (ck, "model.modules[%d].bias: expected true or false", i);
            }
          i++;
        }
      recipe->modules = cJSON_Duplicate (item, TRUE);
    }
}

char *
vs_recipe_dataset_name (const VsRecipeDataset *spec)
{
  g_autofree char *base = NULL;
  char *dot;

  g_return_val_if_fail (spec != NULL, NULL);

  if (spec->name != NULL)
    return g_strdup (spec->name);
  if (spec->path == NULL)
    return g_strdup ("eval");
  if (!g_path_is_absolute (spec->path))
    return g_strdup (spec->path);   /* a Hub id */
  base = g_path_get_basename (spec->path);
  dot = strchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

static gboolean
has_column (const VsRecipeDataset *ds,
            const char            *column)
{
  return ds->columns != NULL && g_strv_contains ((const char *const *) ds->columns, column);
}

static char *
columns_list (const VsRecipeDataset *ds)
{
  return ds->columns != NULL ? g_strjoinv (", ", ds->columns) : g_strdup ("all of the file's");
}

/* args.prompts: a string, or an object whose keys are train dataset names
 * (a string or a column -> string object) or input columns (a string).
 * Columns are checked where the recipe lists them; the trainer checks the
 * others against the loaded files. */
static void
parse_prompts (Checker     *ck,
               VsRecipe    *recipe,
               const cJSON *prompts)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name_list = NULL;
  gboolean all_columns_known = TRUE;
  const cJSON *item;

  if (prompts == NULL || cJSON_IsNull (prompts))
    return;
  if (cJSON_IsString (prompts))
    {
      recipe->prompts = cJSON_Duplicate (prompts, TRUE);
      return;
    }
  if (!cJSON_IsObject (prompts))
    {
      problem (ck, "args.prompts: expected a string, or an object of column or dataset names "
               "(got %s)", json_type_name (prompts));
      return;
    }
  for (guint i = 0; i < recipe->train->len; i++)
    {
      VsRecipeDataset *ds = g_ptr_array_index (recipe->train, i);

      g_ptr_array_add (names, vs_recipe_dataset_name (ds));
      if (ds->columns == NULL)
        all_columns_known = FALSE;
    }
  g_ptr_array_add (names, NULL);
  name_list = g_strjoinv (", ", (char **) names->pdata);
  cJSON_ArrayForEach (item, prompts)
    {
      const char *key = item->string;
      int set = -1;

      for (guint i = 0; i + 1 < names->len; i++)
        if (strcmp (names->pdata[i], key) == 0)
          set = (int) i;
      if (set >= 0)
        {
          VsRecipeDataset *ds = g_ptr_array_index (recipe->train, set);
          const cJSON *col;

          if (cJSON_IsString (item))
            continue;
          if (!cJSON_IsObject (item))
            {
              problem (ck, "args.prompts.%s: expected a prompt or an object of column -> prompt "
                       "(got %s)", key, json_type_name (item));
              continue;
            }
          cJSON_ArrayForEach (col, item)
            {
              if (!cJSON_IsString (col))
                problem (ck, "args.prompts.%s.%s: expected a prompt string (got %s)", key, col->string,
                         json_type_name (col));
              else if (ds->columns != NULL && !has_column (ds, col->string))
                {
                  g_autofree char *cols = columns_list (ds);

                  problem (ck, "args.prompts.%s.%s: train dataset “%s” has no input column “%s” "
                           "(columns: %s)", key, col->string, key, col->string, cols);
                }
            }
          continue;
        }
      if (cJSON_IsObject (item))
        {
          problem (ck, "args.prompts.%s: no train dataset is named “%s” (datasets: %s)", key, key,
                   name_list);
          continue;
        }
      if (!cJSON_IsString (item))
        {
          problem (ck, "args.prompts.%s: expected a prompt string (got %s)", key, json_type_name (item));
          continue;
        }
      if (all_columns_known)
        {
          gboolean found = recipe->eval != NULL && has_column (recipe->eval, key);

          for (guint i = 0; i < recipe->train->len && !found; i++)
            found = has_column (g_ptr_array_index (recipe->train, i), key);
          if (!found)
            problem (ck, "args.prompts.%s: neither an input column of the train data nor a train "
                     "dataset name (datasets: %s)", key, name_list);
        }
    }
  recipe->prompts = cJSON_Duplicate (prompts, TRUE);
}

const char *
vs_recipe_prompt_for (const VsRecipe *recipe,
                      const char     *dataset,
                      const char     *column)
{
  const cJSON *p;

  g_return_val_if_fail (recipe != NULL, NULL);

  p = recipe->prompts;
  if (p == NULL)
    return NULL;
  if (cJSON_IsString (p))
    return p->valuestring;
  if (dataset != NULL)
    {
      const cJSON *d = cJSON_GetObjectItemCaseSensitive (p, dataset);

      if (cJSON_IsString (d))
        return d->valuestring;
      if (cJSON_IsObject (d))
        {
          const cJSON *c = cJSON_GetObjectItemCaseSensitive (d, column);

          if (cJSON_IsString (c))
            return c->valuestring;
        }
    }
  p = cJSON_GetObjectItemCaseSensitive (p, column);
  return cJSON_IsString (p) ? p->valuestring : NULL;
}

static void
check_consistency (Checker  *ck,
                   VsRecipe *recipe)
{
  VsTrainArgs *a = &recipe->args;
  gboolean can_eval = recipe->eval != NULL;

  if (a->eval_steps > 0 && !can_eval)
    problem (ck, "args.eval_steps: set, but the recipe has no eval data");
  if (a->load_best_model_at_end && !can_eval)
    problem (ck, "args.load_best_model_at_end: needs eval data");
  if (a->early_stopping_patience > 0 && !can_eval)
    problem (ck, "args.early_stopping_patience: needs eval data");
  if (a->early_stopping_patience > 0 && a->eval_steps <= 0)
    problem (ck, "args.early_stopping_patience: needs eval_steps > 0 to evaluate during training");
  if (recipe->evaluator != NULL && recipe->eval == NULL)
    problem (ck, "evaluator: needs eval data (\"eval\": {…} or {\"split_ratio\": 0.1})");
  if (a->batch_sampler == VS_BATCH_SAMPLER_GROUP_BY_LABEL)
    for (guint i = 0; i < recipe->train->len; i++)
      {
        VsRecipeDataset *ds = g_ptr_array_index (recipe->train, i);

        if (ds->no_label)
          problem (ck, "train[%u].label: group_by_label needs a label column (it is null)", i);
        else if (ds->columns != NULL && vs_recipe_dataset_label (ds) == NULL)
          problem (ck, "train[%u].label: group_by_label needs a label column", i);
      }
}

/* args.push_to_hub and args.hub_model_id (kept on the recipe: only the
 * exported script uses them). */
static void
parse_hub (Checker     *ck,
           VsRecipe    *recipe,
           const cJSON *args)
{
  const cJSON *push = cJSON_GetObjectItemCaseSensitive (args, "push_to_hub");
  const cJSON *id = cJSON_GetObjectItemCaseSensitive (args, "hub_model_id");

  if (push != NULL && !cJSON_IsBool (push))
    problem (ck, "args.push_to_hub: expected true or false (got %s)", json_type_name (push));
  recipe->push_to_hub = cJSON_IsTrue (push);
  if (id != NULL && !cJSON_IsNull (id))
    {
      if (!cJSON_IsString (id) || id->valuestring[0] == '\0' || strchr (id->valuestring, ' ') != NULL)
        problem (ck, "args.hub_model_id: expected a repository id such as \"org/name\"");
      else
        recipe->hub_model_id = g_strdup (id->valuestring);
    }
}

static VsRecipe *
parse_root (Checker     *ck,
            const cJSON *root)
{
  static const char *const keys[] = { "model", "train", "eval", "loss", "evaluator", "args",
                                      "output_dir", "name", "description", NULL };
  g_autoptr(VsRecipe) recipe = g_new0 (VsRecipe, 1);
  const cJSON *item;

  vs_train_args_init (&recipe->args);
  recipe->train = g_ptr_array_new_with_free_func ((GDestroyNotify) recipe_dataset_free);
  recipe->base_dir = g_strdup (ck->base_dir);

  if (!cJSON_IsObject (root))
    {
      problem (ck, "expected a JSON object at the top level");
      return NULL;
    }
  check_keys (ck, root, "recipe", keys);
  recipe->name = dup_string (ck, root, "name", "recipe", FALSE);
  recipe->description = dup_string (ck, root, "description", "recipe", FALSE);
  parse_model (ck, recipe, cJSON_GetObjectItemCaseSensitive (root, "model"));

  item = cJSON_GetObjectItemCaseSensitive (root, "train");
  if (item == NULL)
    problem (ck, "train: missing (a dataset {\"path\", \"columns\", …} or a list of them)");
  else if (cJSON_IsArray (item))
    {
      const cJSON *d;
      int i = 0;

      if (cJSON_GetArraySize (item) == 0)
        problem (ck, "train: the list is empty");
      cJSON_ArrayForEach (d, item)
        {
          g_autofree char *where = g_strdup_printf ("train[%d]", i++);
          VsRecipeDataset *ds = parse_dataset (ck, d, where, FALSE);

          if (ds != NULL)
            g_ptr_array_add (recipe->train, ds);
        }
    }
  else
    {
      VsRecipeDataset *ds = parse_dataset (ck, item, "train", FALSE);

      if (ds != NULL)
        g_ptr_array_add (recipe->train, ds);
    }

  item = cJSON_GetObjectItemCaseSensitive (root, "eval");
  if (item != NULL && !cJSON_IsNull (item))
    recipe->eval = parse_dataset (ck, item, "eval", TRUE);

  item = cJSON_GetObjectItemCaseSensitive (root, "loss");
  if (item != NULL && !cJSON_IsNull (item))
    recipe->loss = parse_loss (ck, item, "loss");
  else
    {
      /* sentence-transformers' trainer falls back to CoSENTLoss. */
      recipe->loss = g_new0 (VsRecipeLoss, 1);
      recipe->loss->name = g_strdup ("CoSENTLoss");
      recipe->loss->params = cJSON_CreateObject ();
    }

  item = cJSON_GetObjectItemCaseSensitive (root, "evaluator");
  if (item != NULL && !cJSON_IsNull (item))
    {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive (item, "name");

      if (cJSON_IsString (item))
        {
          recipe->evaluator = cJSON_CreateObject ();
          cJSON_AddStringToObject (recipe->evaluator, "name", item->valuestring);
          name = cJSON_GetObjectItemCaseSensitive (recipe->evaluator, "name");
        }
      else if (cJSON_IsObject (item))
        recipe->evaluator = cJSON_Duplicate (item, TRUE);
      if (!cJSON_IsString (name))
        problem (ck, "evaluator.name: expected one of similarity, triplet, binary, retrieval");
      else
        {
          /* The evaluator module checks its whole configuration. */
          g_autoptr(GError) eval_error = NULL;
          VsEvaluator *ev = vs_evaluator_new (recipe->evaluator, &eval_error);

          if (ev == NULL)
            problem (ck, "%s%s", g_str_has_prefix (eval_error->message, "evaluator") ? "" : "evaluator: ",
                     eval_error->message);
          vs_evaluator_free (ev);
        }
    }

  parse_args (ck, &recipe->args, cJSON_GetObjectItemCaseSensitive (root, "args"));
  {
    const cJSON *args = cJSON_GetObjectItemCaseSensitive (root, "args");

    if (cJSON_IsObject (args))
      {
        parse_prompts (ck, recipe, cJSON_GetObjectItemCaseSensitive (args, "prompts"));
        parse_hub (ck, recipe, args);
      }
  }

  {
    g_autofree char *out = dup_string (ck, root, "output_dir", "recipe", TRUE);
    recipe->output_dir = resolve_path (ck->base_dir, out, TRUE);
  }

  check_consistency (ck, recipe);
  return g_steal_pointer (&recipe);
}

VsRecipe *
vs_recipe_parse (const char  *text,
                 gsize        length,
                 const char  *name,
                 const char  *base_dir,
                 GError     **error)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cwd = g_get_current_dir ();
  Checker ck = { name != NULL ? name : "recipe", base_dir != NULL ? base_dir : cwd, problems };
  g_autoptr(VsRecipe) recipe = NULL;
  cJSON *root;

  g_return_val_if_fail (text != NULL, NULL);

  root = cJSON_ParseWithLength (text, length);
  if (root == NULL)
    {
      const char *at = cJSON_GetErrorPtr ();
      gsize line = 1;

      for (const char *p = text; at != NULL && p < at && p < text + length; p++)
        if (*p == '\n')
          line++;
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: line %" G_GSIZE_FORMAT ": not valid JSON",
                   ck.name, line);
      return NULL;
    }
  recipe = parse_root (&ck, root);
  cJSON_Delete (root);

  if (problems->len > 0)
    {
      GString *msg = g_string_new (NULL);

      for (guint i = 0; i < problems->len; i++)
        g_string_append_printf (msg, "%s%s", i > 0 ? "\n" : "", (char *) problems->pdata[i]);
      g_set_error_literal (error, VS_ERROR, VS_ERROR_INVALID, msg->str);
      g_string_free (msg, TRUE);
      return NULL;
    }
  return g_steal_pointer (&recipe);
}

VsRecipe *
vs_recipe_load (const char  *path,
                GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *abs_dir = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;
  VsRecipe *recipe;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "recipe: %s", local_error->message);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  abs_dir = g_canonicalize_filename (dir, NULL);
  recipe = vs_recipe_parse (text, length, path, abs_dir, error);
  if (recipe != NULL)
    recipe->file = g_strdup (path);
  return recipe;
}

void
vs_recipe_free (VsRecipe *recipe)
{
  if (recipe == NULL)
    return;
  g_free (recipe->file);
  g_free (recipe->name);
  g_free (recipe->description);
  g_free (recipe->base_dir);
  g_free (recipe->model);
  g_free (recipe->new_architecture);
  g_free (recipe->new_preset);
  g_free (recipe->new_tokenizer);
  cJSON_Delete (recipe->modules);
  if (recipe->train != NULL)
    g_ptr_array_unref (recipe->train);
  recipe_dataset_free (recipe->eval);
  recipe_loss_free (recipe->loss);
  cJSON_Delete (recipe->evaluator);
  g_free (recipe->args.metric_for_best_model);
  cJSON_Delete (recipe->prompts);
  g_free (recipe->output_dir);
  g_free (recipe->hub_model_id);
  g_free (recipe);
}

const VsRecipeLoss *
vs_recipe_loss_for (const VsRecipe *recipe,
                    guint           i)
{
  VsRecipeDataset *ds;

  g_return_val_if_fail (i < recipe->train->len, NULL);
  ds = g_ptr_array_index (recipe->train, i);
  return ds->loss != NULL ? ds->loss : recipe->loss;
}

/* ---------------------------------------------------------------------- */
/* Back to JSON                                                             */

static void
add_arg (cJSON             *obj,
         const VsTrainArgs *args,
         const ArgSpec     *spec)
{
  const guint8 *base = (const guint8 *) args;
  const char *key = spec->key;

  switch (spec->type)
    {
    case ARG_DOUBLE:
      cJSON_AddNumberToObject (obj, key, *(const double *) (base + spec->offset));
      break;
    case ARG_INT64:
      cJSON_AddNumberToObject (obj, key, (double) *(const gint64 *) (base + spec->offset));
      break;
    case ARG_UINT64:
      cJSON_AddNumberToObject (obj, key, (double) *(const guint64 *) (base + spec->offset));
      break;
    case ARG_UINT:
      cJSON_AddNumberToObject (obj, key, *(const guint *) (base + spec->offset));
      break;
    case ARG_INT:
      cJSON_AddNumberToObject (obj, key, *(const gint *) (base + spec->offset));
      break;
    case ARG_BOOL:
      cJSON_AddBoolToObject (obj, key, *(const gboolean *) (base + spec->offset));
      break;
    case ARG_SPECIAL:
    default:
      if (strcmp (key, "scheduler") == 0)
        cJSON_AddStringToObject (obj, key, vs_schedule_to_string (args->scheduler));
      else if (strcmp (key, "dropout") == 0)
        {
          if (args->dropout_rate >= 0.0)
            cJSON_AddNumberToObject (obj, key, args->dropout_rate);
          else
            cJSON_AddBoolToObject (obj, key, args->dropout);
        }
      else if (strcmp (key, "batch_sampler") == 0)
        cJSON_AddStringToObject (obj, key, vs_batch_sampler_kind_to_string (args->batch_sampler));
      else if (strcmp (key, "multi_dataset_batch_sampler") == 0)
        cJSON_AddStringToObject (obj, key,
                                 (guint) args->multi_dataset_batch_sampler < G_N_ELEMENTS (multi_sampler_names)
                                 ? multi_sampler_names[args->multi_dataset_batch_sampler] : "proportional");
      else if (strcmp (key, "save_total_limit") == 0)
        {
          if (args->save_total_limit > 0)
            cJSON_AddNumberToObject (obj, key, args->save_total_limit);
          else
            cJSON_AddNullToObject (obj, key);
        }
      else if (strcmp (key, "metric_for_best_model") == 0)
        {
          if (args->metric_for_best_model != NULL)
            cJSON_AddStringToObject (obj, key, args->metric_for_best_model);
          else
            cJSON_AddNullToObject (obj, key);
        }
      else if (strcmp (key, "greater_is_better") == 0)
        {
          if (args->greater_is_better >= 0)
            cJSON_AddBoolToObject (obj, key, args->greater_is_better);
          else
            cJSON_AddNullToObject (obj, key);
        }
      break;
    }
}

cJSON *
vs_train_args_to_json (const VsTrainArgs *args)
{
  cJSON *obj = cJSON_CreateObject ();

  for (guint i = 0; i < G_N_ELEMENTS (arg_specs); i++)
    add_arg (obj, args, &arg_specs[i]);
  return obj;
}

cJSON *
vs_train_args_non_default (const VsTrainArgs *args)
{
  VsTrainArgs defaults;
  cJSON *all = vs_train_args_to_json (args);
  cJSON *def;
  cJSON *out = cJSON_CreateObject ();
  cJSON *item;

  vs_train_args_init (&defaults);
  def = vs_train_args_to_json (&defaults);
  cJSON_ArrayForEach (item, all)
    {
      cJSON *d = cJSON_GetObjectItemCaseSensitive (def, item->string);

      if (d == NULL || !cJSON_Compare (item, d, TRUE))
        cJSON_AddItemToObject (out, item->string, cJSON_Duplicate (item, TRUE));
    }
  cJSON_Delete (all);
  cJSON_Delete (def);
  return out;
}

void
vs_train_args_use_st_names (cJSON *args)
{
  for (guint i = 0; i < G_N_ELEMENTS (arg_specs); i++)
    {
      cJSON *item;

      if (arg_specs[i].alias == NULL)
        continue;
      item = cJSON_DetachItemFromObjectCaseSensitive (args, arg_specs[i].key);
      if (item != NULL)
        cJSON_AddItemToObject (args, arg_specs[i].alias, item);
    }
}

static cJSON *
loss_to_json (const VsRecipeLoss *loss)
{
  cJSON *obj = cJSON_CreateObject ();

  cJSON_AddStringToObject (obj, "name", loss->name);
  cJSON_AddItemToObject (obj, "params", cJSON_Duplicate (loss->params, TRUE));
  return obj;
}

static cJSON *
dataset_to_json (const VsRecipeDataset *ds)
{
  cJSON *obj = cJSON_CreateObject ();

  if (ds->split_ratio > 0.0)
    {
      cJSON_AddNumberToObject (obj, "split_ratio", ds->split_ratio);
      return obj;
    }
  cJSON_AddStringToObject (obj, "path", ds->path);
  if (ds->split != NULL)
    cJSON_AddStringToObject (obj, "split", ds->split);
  if (ds->columns != NULL)
    cJSON_AddItemToObject (obj, "columns",
                           cJSON_CreateStringArray ((const char *const *) ds->columns,
                                                    (int) g_strv_length (ds->columns)));
  if (ds->no_label)
    cJSON_AddNullToObject (obj, "label");
  else if (ds->label != NULL)
    cJSON_AddStringToObject (obj, "label", ds->label);
  if (ds->n_roles > 0)
    {
      cJSON *roles = cJSON_AddObjectToObject (obj, "roles");

      /* "sentence" reads back as what it means, "anchor". */
      for (guint i = 0; i < ds->n_roles; i++)
        cJSON_AddStringToObject (roles, ds->roles[i].column, vs_column_role_to_string (ds->roles[i].role));
    }
  if (ds->limit > 0)
    cJSON_AddNumberToObject (obj, "limit", (double) ds->limit);
  if (ds->name != NULL)
    cJSON_AddStringToObject (obj, "name", ds->name);
  if (ds->loss != NULL)
    cJSON_AddItemToObject (obj, "loss", loss_to_json (ds->loss));
  return obj;
}

cJSON *
vs_recipe_to_json (const VsRecipe *recipe)
{
  cJSON *root = cJSON_CreateObject ();
  cJSON *train;

  if (recipe->name != NULL)
    cJSON_AddStringToObject (root, "name", recipe->name);
  if (recipe->description != NULL)
    cJSON_AddStringToObject (root, "description", recipe->description);
  if (recipe->model != NULL)
    cJSON_AddStringToObject (root, "model", recipe->model);
  else
    {
      cJSON *model = cJSON_AddObjectToObject (root, "model");
      cJSON *nw = cJSON_AddObjectToObject (model, "new");

      cJSON_AddStringToObject (nw, "architecture", recipe->new_architecture);
      cJSON_AddStringToObject (nw, "preset", recipe->new_preset);
      cJSON_AddStringToObject (nw, "tokenizer", recipe->new_tokenizer);
      if (recipe->modules != NULL)
        cJSON_AddItemToObject (model, "modules", cJSON_Duplicate (recipe->modules, TRUE));
    }
  train = cJSON_AddArrayToObject (root, "train");
  for (guint i = 0; i < recipe->train->len; i++)
    cJSON_AddItemToArray (train, dataset_to_json (g_ptr_array_index (recipe->train, i)));
  if (recipe->eval != NULL)
    cJSON_AddItemToObject (root, "eval", dataset_to_json (recipe->eval));
  cJSON_AddItemToObject (root, "loss", loss_to_json (recipe->loss));
  if (recipe->evaluator != NULL)
    cJSON_AddItemToObject (root, "evaluator", cJSON_Duplicate (recipe->evaluator, TRUE));
  {
    cJSON *args = vs_train_args_to_json (&recipe->args);

    if (recipe->prompts != NULL)
      cJSON_AddItemToObject (args, "prompts", cJSON_Duplicate (recipe->prompts, TRUE));
    if (recipe->push_to_hub)
      cJSON_AddTrueToObject (args, "push_to_hub");
    if (recipe->hub_model_id != NULL)
      cJSON_AddStringToObject (args, "hub_model_id", recipe->hub_model_id);
    cJSON_AddItemToObject (root, "args", args);
  }
  cJSON_AddStringToObject (root, "output_dir", recipe->output_dir);
  return root;
}

gboolean
vs_recipe_save (const VsRecipe *recipe,
                const char     *path,
                GError        **error)
{
  cJSON *json;
  char *text;
  gboolean ok;

  g_return_val_if_fail (recipe != NULL && path != NULL, FALSE);

  json = vs_recipe_to_json (recipe);
  text = cJSON_Print (json);
  /* A temporary file renamed over the recipe (vs-fault.h). */
  ok = vs_file_set_contents (path, text, -1, 0644, error);
  cJSON_free (text);
  cJSON_Delete (json);
  return ok;
}
