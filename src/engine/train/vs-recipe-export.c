/* vs-recipe-export.c: a recipe as a Python script that trains the same
 * thing with sentence-transformers' SentenceTransformerTrainer (see
 * vs_recipe_to_python() in vs-recipe.h), for a user who takes the job to
 * bigger machines (torchrun / accelerate launch).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "train/vs-recipe.h"

/* The shortest decimal form that reads back as the same double. */
static char *
fmt_double (double d)
{
  for (int prec = 15; prec < 17; prec++)
    {
      char *text = g_strdup_printf ("%.*g", prec, d);

      if (g_ascii_strtod (text, NULL) == d)
        return text;
      g_free (text);
    }
  return g_strdup_printf ("%.17g", d);
}

/* A JSON value as a Python literal (JSON strings are Python strings). */
static void
append_py (GString     *s,
           const cJSON *v)
{
  const cJSON *item;
  gboolean first = TRUE;

  if (cJSON_IsTrue (v))
    g_string_append (s, "True");
  else if (cJSON_IsFalse (v))
    g_string_append (s, "False");
  else if (v == NULL || cJSON_IsNull (v))
    g_string_append (s, "None");
  else if (cJSON_IsNumber (v))
    {
      double d = v->valuedouble;

      g_autofree char *text = floor (d) == d && fabs (d) < 1e15 ? g_strdup_printf ("%.0f", d)
                                                                 : fmt_double (d);

      g_string_append (s, text);
    }
  else if (cJSON_IsString (v))
    {
      char *text = cJSON_PrintUnformatted (v);

      g_string_append (s, text);
      cJSON_free (text);
    }
  else if (cJSON_IsArray (v))
    {
      g_string_append_c (s, '[');
      cJSON_ArrayForEach (item, v)
        {
          if (!first)
            g_string_append (s, ", ");
          append_py (s, item);
          first = FALSE;
        }
      g_string_append_c (s, ']');
    }
  else if (cJSON_IsObject (v))
    {
      g_string_append_c (s, '{');
      cJSON_ArrayForEach (item, v)
        {
          cJSON *key = cJSON_CreateString (item->string);
          char *k = cJSON_PrintUnformatted (key);

          if (!first)
            g_string_append (s, ", ");
          g_string_append_printf (s, "%s: ", k);
          append_py (s, item);
          cJSON_free (k);
          cJSON_Delete (key);
          first = FALSE;
        }
      g_string_append_c (s, '}');
    }
}

static void
append_str (GString    *s,
            const char *text)
{
  cJSON *v = cJSON_CreateString (text != NULL ? text : "");

  append_py (s, v);
  cJSON_Delete (v);
}

/* path relative to dir ("." when equal), both absolute. */
static char *
relative_to (const char *dir,
             const char *path)
{
  g_autofree char *cdir = g_canonicalize_filename (dir, NULL);
  g_autofree char *cpath = g_canonicalize_filename (path, NULL);
  g_auto(GStrv) d = g_strsplit (cdir, G_DIR_SEPARATOR_S, -1);
  g_auto(GStrv) p = g_strsplit (cpath, G_DIR_SEPARATOR_S, -1);
  GString *out = g_string_new (NULL);
  guint i = 0;

  while (d[i] != NULL && p[i] != NULL && strcmp (d[i], p[i]) == 0)
    i++;
  for (guint k = i; d[k] != NULL; k++)
    if (d[k][0] != '\0')
      g_string_append (out, out->len > 0 ? "/.." : "..");
  for (guint k = i; p[k] != NULL; k++)
    if (p[k][0] != '\0')
      {
        if (out->len > 0)
          g_string_append_c (out, '/');
        g_string_append (out, p[k]);
      }
  if (out->len == 0)
    g_string_append_c (out, '.');
  return g_string_free (out, FALSE);
}

/* A path as Python: an absolute one (a local file the recipe resolved)
 * as str(HERE / "relative/to/the/script"), so that no machine path is
 * baked in; anything else (a Hub id) as written. */
static void
append_path (GString    *s,
             const char *path,
             const char *dir)
{
  g_autofree char *rel = NULL;

  if (path == NULL || !g_path_is_absolute (path))
    {
      append_str (s, path);
      return;
    }
  rel = relative_to (dir, path);
  g_string_append (s, "str(HERE / ");
  append_str (s, rel);
  g_string_append_c (s, ')');
}

/* The Python expression of a loss parameter whose JSON form is a name of a
 * function or enum member in sentence-transformers. */
static void
append_loss_param (GString     *s,
                   const char  *dir,
                   const char  *loss,
                   const char  *key,
                   const cJSON *value)
{
  const char *v = cJSON_GetStringValue (value);

  if (v != NULL && strcmp (key, "similarity_fct") == 0)
    g_string_append_printf (s, "util.%s", v);
  else if (v != NULL && strcmp (key, "distance_metric") == 0)
    {
      if (g_str_has_prefix (loss, "Batch"))
        g_string_append_printf (s, "losses.BatchHardTripletLossDistanceFunction.%s", v);
      else if (strcmp (loss, "TripletLoss") == 0)
        g_string_append_printf (s, "losses.TripletDistanceMetric.%s", v);
      else
        g_string_append_printf (s, "losses.SiameseDistanceMetric.%s", v);
    }
  else if (v != NULL && strcmp (key, "guide") == 0)
    {
      g_string_append (s, "SentenceTransformer(");
      append_path (s, v, dir);
      g_string_append_c (s, ')');
    }
  else
    append_py (s, value);
}

/* losses.NAME(model, key=value, …); a wrapper's inner loss inline. */
static void
append_loss (GString     *s,
             const char  *dir,
             const char  *name,
             const cJSON *params)
{
  const cJSON *p;

  g_string_append_printf (s, "losses.%s(model", name);
  cJSON_ArrayForEach (p, params)
    {
      g_string_append_printf (s, ", %s=", p->string);
      if (strcmp (p->string, "loss") == 0 && (cJSON_IsString (p) || cJSON_IsObject (p)))
        {
          const char *inner = cJSON_IsString (p) ? p->valuestring
                              : cJSON_GetStringValue (cJSON_GetObjectItem (p, "name"));
          const cJSON *inner_params = cJSON_IsObject (p) ? cJSON_GetObjectItem (p, "params") : NULL;

          append_loss (s, dir, inner != NULL ? inner : "CoSENTLoss", inner_params);
        }
      else
        append_loss_param (s, dir, name, p->string, p);
    }
  g_string_append_c (s, ')');
}

/* A Python list of strings. */
static void
append_str_list (GString    *s,
                 GPtrArray  *names)
{
  g_string_append_c (s, '[');
  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      append_str (s, names->pdata[i]);
    }
  g_string_append_c (s, ']');
}

/* Whether the dataset's roles name text columns that detection orders
 * (no "columns"): the script then calls vectorsmith_inputs(). */
static gboolean
needs_role_order (const VsRecipeDataset *ds)
{
  if (ds == NULL || ds->columns != NULL)
    return FALSE;
  for (guint i = 0; i < ds->n_roles; i++)
    if (ds->roles[i].role == VS_ROLE_ANCHOR || ds->roles[i].role == VS_ROLE_POSITIVE ||
        ds->roles[i].role == VS_ROLE_NEGATIVE)
      return TRUE;
  return FALSE;
}

/* The order the trainer's case detection gives role columns
 * (data/vs-case.c), in Python. */
static const char role_order_py[] =
  "def vectorsmith_inputs(dataset, anchors, positives, negatives):\n"
  "    \"\"\"The input columns in the order Vectorsmith reads them for these roles: the\n"
  "    first anchor, the first positive (each taken from the other anchors and\n"
  "    positives when missing), then the rest in the table's order.\"\"\"\n"
  "    cols = dataset.column_names\n"
  "    a = [c for c in cols if c in anchors]\n"
  "    p = [c for c in cols if c in positives]\n"
  "    rest = sorted(a[1:] + p[1:], key=cols.index)\n"
  "    a, p = a[:1], p[:1]\n"
  "    if not a and rest:\n"
  "        a = [rest.pop(0)]\n"
  "    if not p and rest:\n"
  "        p = [rest.pop(0)]\n"
  "    if not a:\n"
  "        a, p = p, []\n"
  "    rest += [c for c in cols if c in negatives]\n"
  "    return a + p + sorted(rest, key=cols.index)\n\n";

/* `[c for c in ["label", "score"] if c in VAR.column_names and c not in
 * [EXCLUDED]]`: sentence-transformers' label candidates that are left. */
static void
append_candidates (GString    *s,
                   const char *var,
                   GPtrArray  *excluded)
{
  g_string_append_printf (s, "[c for c in [\"label\", \"score\"] if c in %s.column_names", var);
  if (excluded->len > 0)
    {
      g_string_append (s, " and c not in ");
      append_str_list (s, excluded);
    }
  g_string_append_c (s, ']');
}

/* Code that leaves a datasets.Dataset in `var` with the columns the trainer
 * takes: the inputs (in loss order where the recipe or its roles fix it),
 * then the label, renamed "label" unless sentence-transformers' collator
 * finds it by name. */
static void
append_dataset (GString               *s,
                const char            *dir,
                const char            *var,
                const VsRecipeDataset *ds)
{
  const char *path = ds->path;
  const char *builder = NULL;
  const char *label = vs_recipe_dataset_label (ds);
  g_autoptr(GPtrArray) ignored = g_ptr_array_new ();
  g_autoptr(GPtrArray) named = g_ptr_array_new ();     /* every column "roles" names */
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GPtrArray) positives = g_ptr_array_new ();
  g_autoptr(GPtrArray) negatives = g_ptr_array_new ();
  GPtrArray *texts[3] = { anchors, positives, negatives };

  for (guint i = 0; i < ds->n_roles; i++)
    {
      const VsRoleOverride *ov = &ds->roles[i];

      g_ptr_array_add (named, (gpointer) ov->column);
      if (ov->role == VS_ROLE_IGNORE)
        g_ptr_array_add (ignored, (gpointer) ov->column);
      else if (ov->role == VS_ROLE_ANCHOR)
        g_ptr_array_add (texts[0], (gpointer) ov->column);
      else if (ov->role == VS_ROLE_POSITIVE)
        g_ptr_array_add (texts[1], (gpointer) ov->column);
      else if (ov->role == VS_ROLE_NEGATIVE)
        g_ptr_array_add (texts[2], (gpointer) ov->column);
    }

  if (g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".csv.gz"))
    builder = "csv";
  else if (g_str_has_suffix (path, ".tsv") || g_str_has_suffix (path, ".tsv.gz"))
    builder = "tsv";
  else if (g_str_has_suffix (path, ".jsonl") || g_str_has_suffix (path, ".json") ||
           g_str_has_suffix (path, ".jsonl.gz") || g_str_has_suffix (path, ".json.gz"))
    builder = "json";
  else if (g_str_has_suffix (path, ".parquet"))
    builder = "parquet";

  g_string_append_printf (s, "%s = load_dataset(", var);
  if (builder != NULL)
    {
      g_string_append_printf (s, "\"%s\", data_files=", strcmp (builder, "tsv") == 0 ? "csv" : builder);
      append_path (s, path, dir);
      if (strcmp (builder, "tsv") == 0)
        g_string_append (s, ", delimiter=\"\\t\"");
      g_string_append (s, ", split=\"train\")\n");
    }
  else
    {
      append_path (s, path, dir);
      g_string_append (s, ", split=");
      append_str (s, ds->split != NULL ? ds->split : "train");
      g_string_append (s, ")\n");
    }
  if (ds->limit > 0)
    g_string_append_printf (s, "%s = %s.select(range(min(%" G_GINT64_FORMAT ", len(%s))))\n",
                            var, var, ds->limit, var);
  if (ds->columns != NULL)
    {
      g_autoptr(GPtrArray) cols = g_ptr_array_new ();

      for (guint i = 0; ds->columns[i] != NULL; i++)
        g_ptr_array_add (cols, ds->columns[i]);
      g_string_append_printf (s, "%s = %s.select_columns(", var, var);
      append_str_list (s, cols);
      if (label != NULL)
        {
          g_string_append (s, " + [");
          append_str (s, label);
          g_string_append_c (s, ']');
        }
      else if (!ds->no_label)
        {
          /* The trainer's automatic label: the first candidate left. */
          g_ptr_array_extend (cols, named, NULL, NULL);
          g_string_append (s, " + ");
          append_candidates (s, var, cols);
          g_string_append (s, "[:1]");
        }
      g_string_append (s, ")\n");
    }
  else
    {
      if (ignored->len > 0)
        {
          g_string_append_printf (s, "%s = %s.remove_columns(", var, var);
          append_str_list (s, ignored);
          g_string_append (s, ")\n");
        }
      if ((ds->no_label || label != NULL) && !needs_role_order (ds))
        {
          /* No label, or only the named one: the collator must not find
           * another by name. (Detection may also pass over a column by its
           * values; the script cannot.) */
          g_autoptr(GPtrArray) keep = g_ptr_array_copy (named, NULL, NULL);

          if (label != NULL && !g_ptr_array_find_with_equal_func (keep, label, g_str_equal, NULL))
            g_ptr_array_add (keep, (gpointer) label);
          g_string_append_printf (s, "%s = %s.remove_columns(", var, var);
          append_candidates (s, var, keep);
          g_string_append (s, ")\n");
        }
      if (needs_role_order (ds))
        {
          g_string_append_printf (s, "%s = %s.select_columns(vectorsmith_inputs(%s, ", var, var, var);
          for (guint k = 0; k < 3; k++)
            {
              append_str_list (s, texts[k]);
              g_string_append (s, k < 2 ? ", " : ")");
            }
          if (label != NULL)
            {
              g_string_append (s, " + [");
              append_str (s, label);
              g_string_append_c (s, ']');
            }
          else if (!ds->no_label)
            {
              g_string_append (s, " + ");
              append_candidates (s, var, named);
              g_string_append (s, "[:1]");
            }
          g_string_append (s, ")\n");
        }
    }
  if (label != NULL && strcmp (label, "label") != 0 && strcmp (label, "score") != 0)
    {
      g_string_append_printf (s, "%s = %s.rename_column(", var, var);
      append_str (s, label);
      g_string_append (s, ", \"label\")\n");
    }
}

/* The recipe's Dense and Normalize modules appended to a Python list
 * `modules` in their order; `dim` holds the width so far (Normalize has no
 * get_sentence_embedding_dimension of its own). */
static void
append_dense_normalize (GString     *s,
                        const cJSON *modules)
{
  const cJSON *m;

  cJSON_ArrayForEach (m, modules)
    {
      const char *type = cJSON_GetStringValue (cJSON_GetObjectItem (m, "type"));

      if (g_strcmp0 (type, "dense") == 0)
        {
          const char *act = cJSON_GetStringValue (cJSON_GetObjectItem (m, "activation"));
          static const char *const acts[][2] = {
            { "tanh", "torch.nn.Tanh()" }, { "identity", "torch.nn.Identity()" },
            { "relu", "torch.nn.ReLU()" }, { "gelu", "torch.nn.GELU()" }, { "sigmoid", "torch.nn.Sigmoid()" },
          };
          const char *py = "torch.nn.Tanh()";

          for (guint i = 0; i < G_N_ELEMENTS (acts); i++)
            if (g_strcmp0 (act, acts[i][0]) == 0)
              py = acts[i][1];
          g_string_append_printf (s, "modules.append(models.Dense(dim, %.0f, %sactivation_function=%s))\n"
                                  "dim = %.0f\n",
                                  cJSON_GetNumberValue (cJSON_GetObjectItem (m, "out_features")),
                                  cJSON_IsFalse (cJSON_GetObjectItem (m, "bias")) ? "bias=False, " : "", py,
                                  cJSON_GetNumberValue (cJSON_GetObjectItem (m, "out_features")));
        }
      else if (g_strcmp0 (type, "normalize") == 0)
        g_string_append (s, "modules.append(models.Normalize())\n");
    }
}

static void
append_model (GString        *s,
              const char     *dir,
              const VsRecipe *recipe)
{
  const cJSON *m;
  const char *arch = recipe->new_architecture;
  static const struct { const char *name; int layers, hidden, heads; } presets[] = {
    { "tiny", 2, 128, 2 }, { "small", 4, 256, 4 }, { "mini", 6, 384, 12 }, { "base", 12, 768, 12 },
  };
  int p = 0;

  if (recipe->model != NULL)
    {
      g_string_append (s, "model = SentenceTransformer(");
      append_path (s, recipe->model, dir);
      g_string_append (s, ")\n");
      if (cJSON_GetArraySize (recipe->modules) > 0)
        {
          /* Layers on top of the loaded stack. */
          g_string_append (s, "modules = list(model)\n"
                              "dim = model.get_sentence_embedding_dimension()\n");
          append_dense_normalize (s, recipe->modules);
          g_string_append (s, "model = SentenceTransformer(modules=modules)\n");
        }
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (recipe->new_preset, presets[i].name) == 0)
      p = (int) i;
  g_string_append (s, "# A new model: Vectorsmith's \"");
  g_string_append (s, recipe->new_preset);
  g_string_append (s, "\" preset (random weights; the two engines initialise differently).\n");
  g_string_append (s, "tokenizer = AutoTokenizer.from_pretrained(");
  append_path (s, recipe->new_tokenizer, dir);
  g_string_append (s, ")\n");
  if (g_strcmp0 (arch, "distilbert") == 0)
    g_string_append_printf (s, "config = AutoConfig.for_model(\"distilbert\", vocab_size=len(tokenizer), "
                            "n_layers=%d, dim=%d, n_heads=%d, hidden_dim=%d)\n",
                            presets[p].layers, presets[p].hidden, presets[p].heads, 4 * presets[p].hidden);
  else
    g_string_append_printf (s, "config = AutoConfig.for_model(\"%s\", vocab_size=len(tokenizer), "
                            "num_hidden_layers=%d, hidden_size=%d, num_attention_heads=%d, "
                            "intermediate_size=%d, pad_token_id=tokenizer.pad_token_id)\n",
                            arch, presets[p].layers, presets[p].hidden, presets[p].heads,
                            4 * presets[p].hidden);
  g_string_append (s, "new_dir = tempfile.mkdtemp()\n"
                      "AutoModel.from_config(config).save_pretrained(new_dir)\n"
                      "tokenizer.save_pretrained(new_dir)\n");
  g_string_append (s, "modules = [models.Transformer(new_dir");
  if (recipe->args.max_seq_length > 0)
    g_string_append_printf (s, ", max_seq_length=%u", recipe->args.max_seq_length);
  g_string_append (s, ")]\n");
  {
    const char *pooling = "mean";

    cJSON_ArrayForEach (m, recipe->modules)
      if (g_strcmp0 (cJSON_GetStringValue (cJSON_GetObjectItem (m, "type")), "pooling") == 0 &&
          cJSON_GetStringValue (cJSON_GetObjectItem (m, "mode")) != NULL)
        pooling = cJSON_GetStringValue (cJSON_GetObjectItem (m, "mode"));
    g_string_append (s, "modules.append(models.Pooling(modules[0].get_word_embedding_dimension(), ");
    if (strchr (pooling, '+') == NULL)
      {
        g_string_append (s, "pooling_mode=");
        append_str (s, pooling);
      }
    else
      {
        /* Several modes ("cls+mean"): sentence-transformers takes one flag
         * each, and mean is on unless said otherwise. */
        static const char *const flags[][2] = {
          { "cls", "pooling_mode_cls_token" }, { "max", "pooling_mode_max_tokens" },
          { "mean", "pooling_mode_mean_tokens" }, { "mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens" },
          { "weightedmean", "pooling_mode_weightedmean_tokens" }, { "lasttoken", "pooling_mode_lasttoken" },
        };
        g_auto(GStrv) modes = g_strsplit (pooling, "+", -1);

        for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
          g_string_append_printf (s, "%s%s=%s", i == 0 ? "" : ", ", flags[i][1],
                                  g_strv_contains ((const char *const *) modes, flags[i][0]) ? "True" : "False");
      }
    g_string_append (s, "))\n");
  }
  g_string_append (s, "dim = modules[-1].get_sentence_embedding_dimension()\n");
  append_dense_normalize (s, recipe->modules);
  g_string_append (s, "model = SentenceTransformer(modules=modules)\n");
}

static void
append_evaluator (GString        *s,
                  const VsRecipe *recipe,
                  const char     *eval_var)
{
  const char *name = cJSON_GetStringValue (cJSON_GetObjectItem (recipe->evaluator, "name"));
  const char *prefix = cJSON_GetStringValue (cJSON_GetObjectItem (recipe->evaluator, "prefix"));
  g_autofree char *pname = NULL;

  {
    GString *n = g_string_new (NULL);

    append_str (n, prefix != NULL ? prefix : "eval");
    pname = g_string_free (n, FALSE);
  }
  if (g_strcmp0 (name, "similarity") == 0 || g_strcmp0 (name, "EmbeddingSimilarityEvaluator") == 0)
    g_string_append_printf (s, "evaluator = evaluation.EmbeddingSimilarityEvaluator("
                            "%1$s[%1$s.column_names[0]], %1$s[%1$s.column_names[1]], %1$s[%1$s.column_names[-1]], name=%2$s)\n",
                            eval_var, pname);
  else if (g_strcmp0 (name, "triplet") == 0 || g_strcmp0 (name, "TripletEvaluator") == 0)
    g_string_append_printf (s, "evaluator = evaluation.TripletEvaluator(%1$s[%1$s.column_names[0]], "
                            "%1$s[%1$s.column_names[1]], %1$s[%1$s.column_names[2]], name=%2$s)\n",
                            eval_var, pname);
  else if (g_strcmp0 (name, "binary") == 0 || g_strcmp0 (name, "BinaryClassificationEvaluator") == 0)
    g_string_append_printf (s, "evaluator = evaluation.BinaryClassificationEvaluator("
                            "%1$s[%1$s.column_names[0]], %1$s[%1$s.column_names[1]], %1$s[%1$s.column_names[-1]], name=%2$s)\n",
                            eval_var, pname);
  else
    g_string_append (s, "# The retrieval evaluator needs queries, a corpus and relevance sets; build an\n"
                        "# evaluation.InformationRetrievalEvaluator from your data here.\n"
                        "evaluator = None\n");
}

#define D(x) g_autofree char *x##_s = fmt_double (a->x)

static gboolean
is_dataset_name (const VsRecipe *recipe,
                 const char     *key)
{
  for (guint i = 0; i < recipe->train->len; i++)
    {
      g_autofree char *name = vs_recipe_dataset_name (g_ptr_array_index (recipe->train, i));

      if (strcmp (name, key) == 0)
        return TRUE;
    }
  return FALSE;
}

/* args.prompts in the script's terms: the datasets there are train_dataset
 * (one) or {"dataset_0": …, …}; with every column known, each dataset's
 * resolved column -> prompt map, else the recipe's object with its dataset
 * keys renamed (one dataset: its entry merged over the column entries). */
static void
append_prompts (GString        *s,
                const VsRecipe *recipe)
{
  gboolean multi = recipe->train->len > 1;
  gboolean known = TRUE;
  cJSON *out;
  char *text;

  if (recipe->prompts == NULL)
    return;
  if (cJSON_IsString (recipe->prompts))
    {
      g_string_append (s, "    prompts=");
      append_str (s, recipe->prompts->valuestring);
      g_string_append (s, ",\n");
      return;
    }
  for (guint i = 0; i < recipe->train->len; i++)
    known &= ((VsRecipeDataset *) g_ptr_array_index (recipe->train, i))->columns != NULL;
  out = cJSON_CreateObject ();
  for (guint i = 0; i < recipe->train->len; i++)
    {
      VsRecipeDataset *ds = g_ptr_array_index (recipe->train, i);
      g_autofree char *name = vs_recipe_dataset_name (ds);
      g_autofree char *key = g_strdup_printf ("dataset_%u", i);
      cJSON *map = multi ? cJSON_CreateObject () : out;
      const cJSON *entry = cJSON_GetObjectItemCaseSensitive (recipe->prompts, name);
      const cJSON *item;

      if (known)
        for (guint c = 0; ds->columns[c] != NULL; c++)
          {
            const char *p = vs_recipe_prompt_for (recipe, name, ds->columns[c]);

            if (p != NULL)
              cJSON_AddStringToObject (map, ds->columns[c], p);
          }
      else if (cJSON_IsString (entry))
        {
          if (!multi)
            {
              cJSON_Delete (out);
              g_string_append (s, "    prompts=");
              append_str (s, entry->valuestring);
              g_string_append (s, ",\n");
              return;
            }
          cJSON_Delete (map);
          cJSON_AddStringToObject (out, key, entry->valuestring);
          continue;
        }
      else
        {
          /* Top-level column entries, then the dataset's own. */
          cJSON_ArrayForEach (item, recipe->prompts)
            if (cJSON_IsString (item) && !is_dataset_name (recipe, item->string))
              {
                cJSON_DeleteItemFromObjectCaseSensitive (map, item->string);
                cJSON_AddStringToObject (map, item->string, item->valuestring);
              }
          cJSON_ArrayForEach (item, entry)
            if (cJSON_IsString (item))
              {
                cJSON_DeleteItemFromObjectCaseSensitive (map, item->string);
                cJSON_AddStringToObject (map, item->string, item->valuestring);
              }
        }
      if (multi)
        {
          if (cJSON_GetArraySize (map) > 0)
            cJSON_AddItemToObject (out, key, map);
          else
            cJSON_Delete (map);
        }
    }
  /* JSON strings in an object of strings read the same in Python. */
  text = cJSON_PrintUnformatted (out);
  g_string_append_printf (s, "    prompts=%s,\n", text);
  cJSON_free (text);
  cJSON_Delete (out);
}

static void
append_args (GString        *s,
             const VsRecipe *recipe)
{
  const VsTrainArgs *a = &recipe->args;
  static const char *const samplers[] = { "BATCH_SAMPLER", "NO_DUPLICATES", "GROUP_BY_LABEL" };
  D (epochs);
  D (learning_rate);
  D (warmup_ratio);
  D (weight_decay);
  D (max_grad_norm);
  D (adam_beta1);
  D (adam_beta2);
  D (adam_epsilon);

  g_string_append (s, "args = SentenceTransformerTrainingArguments(\n    output_dir=cli.output_dir");
  g_string_append_printf (s, ",\n    num_train_epochs=%s,\n    max_steps=%" G_GINT64_FORMAT ",\n",
                          epochs_s, a->max_steps);
  g_string_append_printf (s, "    per_device_train_batch_size=%u,\n    per_device_eval_batch_size=%u,\n",
                          a->batch_size, a->eval_batch_size);
  g_string_append_printf (s, "    learning_rate=%s,\n    warmup_ratio=%s,\n    warmup_steps=%" G_GINT64_FORMAT ",\n",
                          learning_rate_s, warmup_ratio_s, a->warmup_steps);
  g_string_append_printf (s, "    weight_decay=%s,\n    lr_scheduler_type=\"%s\",\n    max_grad_norm=%s,\n",
                          weight_decay_s, vs_schedule_to_string (a->scheduler), max_grad_norm_s);
  g_string_append_printf (s, "    gradient_accumulation_steps=%u,\n    seed=%" G_GUINT64_FORMAT ",\n",
                          a->gradient_accumulation_steps, a->seed);
  g_string_append_printf (s, "    adam_beta1=%s,\n    adam_beta2=%s,\n    adam_epsilon=%s,\n",
                          adam_beta1_s, adam_beta2_s, adam_epsilon_s);
  g_string_append_printf (s, "    batch_sampler=BatchSamplers.%s,\n", samplers[a->batch_sampler]);
  g_string_append_printf (s, "    multi_dataset_batch_sampler=MultiDatasetBatchSamplers.%s,\n",
                          a->multi_dataset_batch_sampler == VS_MULTI_DATASET_ROUND_ROBIN
                          ? "ROUND_ROBIN" : "PROPORTIONAL");
  g_string_append_printf (s, "    dataloader_drop_last=%s,\n", a->drop_last ? "True" : "False");
  if (a->eval_steps > 0)
    g_string_append_printf (s, "    eval_strategy=\"steps\",\n    eval_steps=%" G_GINT64_FORMAT ",\n", a->eval_steps);
  g_string_append_printf (s, "    logging_steps=%" G_GINT64_FORMAT ",\n", a->logging_steps);
  if (a->save_steps > 0)
    g_string_append_printf (s, "    save_strategy=\"steps\",\n    save_steps=%" G_GINT64_FORMAT ",\n", a->save_steps);
  else
    g_string_append (s, "    save_strategy=\"no\",\n");
  if (a->save_total_limit > 0)
    g_string_append_printf (s, "    save_total_limit=%d,\n", a->save_total_limit);
  if (a->load_best_model_at_end)
    g_string_append (s, "    load_best_model_at_end=True,\n");
  if (a->metric_for_best_model != NULL)
    {
      g_string_append (s, "    metric_for_best_model=");
      append_str (s, a->metric_for_best_model);
      g_string_append (s, ",\n");
    }
  if (a->greater_is_better >= 0)
    g_string_append_printf (s, "    greater_is_better=%s,\n", a->greater_is_better ? "True" : "False");
  if (recipe->push_to_hub)
    {
      /* The token comes from HF_TOKEN or `huggingface-cli login`, never
       * from the script. */
      g_string_append (s, "    push_to_hub=True,\n");
      if (recipe->hub_model_id != NULL)
        {
          g_string_append (s, "    hub_model_id=");
          append_str (s, recipe->hub_model_id);
          g_string_append (s, ",\n");
        }
    }
  append_prompts (s, recipe);
  g_string_append (s, ")\n");
}

#undef D

/* main()'s body, unindented. */
static char *
python_body (const VsRecipe *recipe,
             const char     *dir)
{
  GString *s = g_string_new (NULL);
  const VsTrainArgs *a = &recipe->args;
  gboolean multi = recipe->train->len > 1;

  g_string_append (s, "import tempfile\n\nimport torch\n"
                      "from datasets import load_dataset\n"
                      "from transformers import AutoConfig, AutoModel, AutoTokenizer, EarlyStoppingCallback\n"
                      "from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,\n"
                      "                                   SentenceTransformerTrainingArguments, evaluation,\n"
                      "                                   losses, models, util)\n"
                      "from sentence_transformers.training_args import BatchSamplers, MultiDatasetBatchSamplers\n\n");
  if (a->threads > 0)
    g_string_append_printf (s, "torch.set_num_threads(%u)\n", a->threads);
  append_model (s, dir, recipe);
  if (!a->dropout || a->dropout_rate >= 0.0)
    {
      g_autofree char *p = fmt_double (a->dropout ? a->dropout_rate : 0.0);

      g_string_append_printf (s, "for m in model.modules():\n    if isinstance(m, torch.nn.Dropout):\n"
                              "        m.p = %s\n", p);
    }
  g_string_append (s, "\n");

  {
    gboolean order = recipe->eval != NULL && recipe->eval->split_ratio <= 0.0 &&
                     needs_role_order (recipe->eval);

    for (guint i = 0; i < recipe->train->len; i++)
      order |= needs_role_order (g_ptr_array_index (recipe->train, i));
    if (order)
      g_string_append (s, role_order_py);
  }
  for (guint i = 0; i < recipe->train->len; i++)
    {
      g_autofree char *var = g_strdup_printf ("train_%u", i);

      append_dataset (s, dir, var, g_ptr_array_index (recipe->train, i));
    }
  if (recipe->eval != NULL && recipe->eval->split_ratio > 0.0)
    {
      g_autofree char *r = fmt_double (recipe->eval->split_ratio);

      g_string_append_printf (s, "split = train_0.train_test_split(test_size=%s, seed=%" G_GUINT64_FORMAT ")\n"
                              "train_0, eval_dataset = split[\"train\"], split[\"test\"]\n", r, a->seed);
    }
  else if (recipe->eval != NULL)
    append_dataset (s, dir, "eval_dataset", recipe->eval);
  else
    g_string_append (s, "eval_dataset = None\n");
  if (!a->shuffle)
    g_string_append (s, "# The recipe turns shuffling off; the trainer's samplers always shuffle\n"
                        "# (a custom batch_sampler function can keep the file order).\n");

  if (multi && recipe->eval != NULL)
    g_string_append (s, "# With a loss per dataset the trainer needs the eval set's name: the first\n"
                        "# dataset's loss gives eval_loss.\n"
                        "eval_dataset = {\"dataset_0\": eval_dataset}\n");
  if (multi)
    {
      g_string_append (s, "train_dataset = {");
      for (guint i = 0; i < recipe->train->len; i++)
        g_string_append_printf (s, "%s\"dataset_%u\": train_%u", i > 0 ? ", " : "", i, i);
      g_string_append (s, "}\nloss = {");
      for (guint i = 0; i < recipe->train->len; i++)
        {
          const VsRecipeLoss *l = vs_recipe_loss_for (recipe, i);

          g_string_append_printf (s, "%s\"dataset_%u\": ", i > 0 ? ", " : "", i);
          append_loss (s, dir, l->name, l->params);
        }
      g_string_append (s, "}\n");
    }
  else
    {
      g_string_append (s, "train_dataset = train_0\nloss = ");
      append_loss (s, dir, recipe->loss->name, vs_recipe_loss_for (recipe, 0)->params);
      g_string_append (s, "\n");
    }
  if (recipe->evaluator != NULL && recipe->eval != NULL)
    append_evaluator (s, recipe, "eval_dataset");
  else
    g_string_append (s, "evaluator = None\n");
  g_string_append (s, "\n");
  append_args (s, recipe);
  g_string_append (s, "trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=train_dataset,\n"
                      "                                     eval_dataset=eval_dataset, loss=loss, evaluator=evaluator");
  if (a->early_stopping_patience > 0)
    g_string_append_printf (s, ",\n                                     callbacks=[EarlyStoppingCallback("
                            "early_stopping_patience=%d)]", a->early_stopping_patience);
  g_string_append (s, ")\n");
  g_string_append (s, "if evaluator is not None:\n    print(\"baseline:\", evaluator(model))\n"
                      "trainer.train()\n"
                      "if evaluator is not None:\n    print(\"final:\", evaluator(model))\n"
                      "# The main process writes the model (and, with push_to_hub, uploads it).\n"
                      "trainer.save_model(args.output_dir)\n");
  return g_string_free (s, FALSE);
}

char *
vs_recipe_to_python_for (const VsRecipe *recipe,
                         const char     *script_dir)
{
  GString *s = g_string_new (NULL);
  g_autofree char *dir = NULL;
  g_autofree char *body = NULL;
  g_auto(GStrv) lines = NULL;

  g_return_val_if_fail (recipe != NULL, NULL);

  dir = script_dir != NULL ? g_canonicalize_filename (script_dir, NULL) : g_get_current_dir ();
  body = python_body (recipe, dir);
  g_string_append (s, "#!/usr/bin/env python3\n\"\"\"Exported by Vectorsmith " PACKAGE_VERSION);
  if (recipe->file != NULL)
    {
      g_autofree char *base = g_path_get_basename (recipe->file);

      g_string_append (s, " from the recipe ");
      g_string_append (s, base);
    }
  g_string_append (s, ": the same training with sentence-transformers.\n\n"
                      "Targets sentence-transformers 3.x / 4.x (SentenceTransformerTrainer),\n"
                      "transformers >= 4.41 and datasets >= 2.19. Local files are found\n"
                      "relative to this script's folder.\n\n"
                      "    pip install \"sentence-transformers>=3\" datasets accelerate\n"
                      "    python3 train.py                            # one machine\n"
                      "    torchrun --nproc_per_node 8 train.py        # several GPUs\n"
                      "    accelerate launch train.py                  # the same with accelerate\n");
  if (recipe->push_to_hub)
    g_string_append (s, "\nThe trained model is pushed to the Hub: log in first (huggingface-cli login)\n"
                        "or set HF_TOKEN.\n");
  g_string_append (s, "\"\"\"\n"
                      "import argparse\n"
                      "from pathlib import Path\n\n"
                      "HERE = Path(__file__).resolve().parent\n\n\n"
                      "def parse_args(argv=None):\n"
                      "    parser = argparse.ArgumentParser(description=\"Train the Vectorsmith recipe with sentence-transformers.\")\n"
                      "    parser.add_argument(\"--output-dir\", default=");
  append_path (s, recipe->output_dir, dir);
  g_string_append (s, ",\n"
                      "                        help=\"where the checkpoints and the trained model go\")\n"
                      "    return parser.parse_args(argv)\n\n\n"
                      "def main():\n"
                      "    cli = parse_args()\n"
                      "    # Imported here, so that --help works without them.\n");
  lines = g_strsplit (body, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        {
          if (lines[i + 1] != NULL)
            g_string_append_c (s, '\n');
          continue;
        }
      g_string_append (s, "    ");
      g_string_append (s, lines[i]);
      g_string_append_c (s, '\n');
    }
  g_string_append (s, "\n\nif __name__ == \"__main__\":\n    main()\n");
  return g_string_free (s, FALSE);
}

char *
vs_recipe_to_python (const VsRecipe *recipe)
{
  return vs_recipe_to_python_for (recipe, NULL);
}

gboolean
vs_recipe_export_script (const VsRecipe *recipe,
                         const char     *path,
                         GError        **error)
{
  g_autofree char *abs = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *script = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (recipe != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  abs = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (abs);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: the folder %s does not exist", path, dir);
      return FALSE;
    }
  script = vs_recipe_to_python_for (recipe, dir);
  /* A temporary file in the same folder, renamed over the target. */
  if (!g_file_set_contents_full (abs, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0755, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}
