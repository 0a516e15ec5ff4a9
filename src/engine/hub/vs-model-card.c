/* vs-model-card.c: README.md as sentence-transformers' model_card_template.md
 * writes it (st-spec.md section 5), from the model folder and the training
 * record documented in vs-model-card.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "vs-error.h"
#include "fault/vs-fault.h"
#include "hub/vs-model-card.h"

typedef cJSON CardJson;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CardJson, cJSON_Delete)

#define RECORD_FILE "vectorsmith_training_record.json"

/* ---- reading the folder ---------------------------------------------------- */

static cJSON *
read_json (const char *dir,
           const char *sub,
           const char *name,
           gboolean    required,
           GError    **error)
{
  g_autofree char *path = sub != NULL && sub[0] != '\0' ? g_build_filename (dir, sub, name, NULL)
                                                       : g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len;
  cJSON *json;

  if (!g_file_get_contents (path, &text, &len, NULL))
    {
      if (required)
        g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot read the file", path);
      return NULL;
    }
  json = cJSON_ParseWithLength (text, len);
  if (json == NULL)
    g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: not valid JSON", path);
  return json;
}

static const char *
jstr (const cJSON *obj,
      const char  *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsString (v) ? v->valuestring : NULL;
}

static double
jnum (const cJSON *obj,
      const char  *key,
      double       fallback)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);

  return cJSON_IsNumber (v) ? v->valuedouble : fallback;
}

/* ---- formatting helpers ------------------------------------------------------ */

/* A number as Python prints it in the card: integers bare, floats with up to
 * 4 decimals (as the metric tables do). */
static void
append_number (GString *s,
               double   v)
{
  if (!isfinite (v))
    g_string_append (s, isnan (v) ? "nan" : (v > 0 ? "inf" : "-inf"));
  else if (v == floor (v) && fabs (v) < 1e15)
    g_string_append_printf (s, "%.0f", v);
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.4f", v));
      /* trim trailing zeros as Python's round(x, 4) repr does */
      while (s->len > 0 && s->str[s->len - 1] == '0')
        g_string_truncate (s, s->len - 1);
      if (s->len > 0 && s->str[s->len - 1] == '.')
        g_string_append_c (s, '0');
    }
}

/* The shortest decimal that reads back as the same double, as Python's
 * repr() prints floats. */
static void
append_shortest (GString *s,
                 double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
  if (strpbrk (buf, ".eEn") == NULL)
    g_string_append (s, ".0");
}

/* Python's repr of a JSON value (dicts with single quotes, True/False/None). */
static void
append_py_repr (GString     *s,
                const cJSON *v)
{
  const cJSON *c;
  gboolean first = TRUE;

  if (cJSON_IsTrue (v))
    g_string_append (s, "True");
  else if (cJSON_IsFalse (v))
    g_string_append (s, "False");
  else if (cJSON_IsNull (v) || v == NULL)
    g_string_append (s, "None");
  else if (cJSON_IsNumber (v))
    {
      if (v->valuedouble == floor (v->valuedouble) && fabs (v->valuedouble) < 1e15)
        g_string_append_printf (s, "%.0f", v->valuedouble);
      else
        append_shortest (s, v->valuedouble);
    }
  else if (cJSON_IsString (v))
    {
      g_string_append_c (s, '\'');
      for (const char *p = v->valuestring; *p != '\0'; p++)
        {
          if (*p == '\'' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '\'');
    }
  else if (cJSON_IsArray (v) || cJSON_IsObject (v))
    {
      gboolean dict = cJSON_IsObject (v);

      g_string_append_c (s, dict ? '{' : '[');
      cJSON_ArrayForEach (c, v)
        {
          if (!first)
            g_string_append (s, ", ");
          first = FALSE;
          if (dict)
            g_string_append_printf (s, "'%s': ", c->string);
          append_py_repr (s, c);
        }
      g_string_append_c (s, dict ? '}' : ']');
    }
}

/* "- `name`: value" per member of args; strings as they are, the rest as
 * Python would print them. */
static void
append_hyperparameters (GString     *s,
                        const cJSON *args)
{
  const cJSON *v;

  cJSON_ArrayForEach (v, args)
    {
      g_string_append_printf (s, "- `%s`: ", v->string);
      if (cJSON_IsString (v))
        g_string_append (s, v->valuestring);
      else
        append_py_repr (s, v);
      g_string_append_c (s, '\n');
    }
}

/* A YAML scalar: plain when unambiguous, else single-quoted. */
static void
append_yaml_str (GString    *s,
                 const char *text)
{
  gboolean plain = text[0] != '\0';
  static const char *const specials[] = { "true", "false", "yes", "no", "null", "on", "off", "~", NULL };

  for (const char *p = text; *p != '\0' && plain; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' || *p == '/' || *p == ' ' ||
          (*p == ':' && p[1] != ' ' && p[1] != '\0')))
      plain = FALSE;
  if (plain && (text[0] == '-' || text[0] == ' ' || text[strlen (text) - 1] == ' ' ||
                g_ascii_isdigit (text[0]) || text[0] == '.'))
    plain = FALSE;
  for (guint i = 0; plain && specials[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, specials[i]) == 0)
      plain = FALSE;
  if (plain)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append_c (s, '\'');
      if (*p == '\n')
        g_string_append_c (s, ' ');
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '\'');
}

/* "spearman_cosine" -> "Spearman Cosine" */
static char *
title_case (const char *key)
{
  g_auto(GStrv) words = g_strsplit (key, "_", -1);

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      words[i][0] = g_ascii_toupper (words[i][0]);
  return g_strjoinv (" ", words);
}

static gboolean
looks_like_hub_id (const char *s)
{
  int slashes = 0;

  if (s == NULL || s[0] == '\0' || s[0] == '/' || s[0] == '.' || s[0] == '~' ||
      g_file_test (s, G_FILE_TEST_EXISTS))
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    {
      if (*p == '/')
        slashes++;
      else if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return slashes <= 1;
}

/* ---- the model ------------------------------------------------------------------ */

typedef struct
{
  GString *architecture;   /* str(model) */
  int max_seq_length;
  int dimension;
  char *similarity;        /* "Cosine Similarity" */
  char *format_version;
} ModelFacts;

static void
model_facts_clear (ModelFacts *f)
{
  if (f->architecture != NULL)
    g_string_free (f->architecture, TRUE);
  g_free (f->similarity);
  g_free (f->format_version);
}

static gboolean
read_model (const char *dir,
            ModelFacts *f,
            GError    **error)
{
  g_autoptr(CardJson) modules = read_json (dir, NULL, "modules.json", FALSE, error);
  g_autoptr(CardJson) st_config = NULL;
  g_autoptr(CardJson) hf_config = NULL;
  const cJSON *m;
  const char *sim;

  if (error != NULL && *error != NULL)
    return FALSE;
  f->max_seq_length = -1;
  f->dimension = -1;
  st_config = read_json (dir, NULL, "config_sentence_transformers.json", FALSE, NULL);
  hf_config = read_json (dir, NULL, "config.json", FALSE, NULL);
  sim = jstr (st_config, "similarity_fn_name");
  if (sim == NULL || strcmp (sim, "cosine") == 0)
    f->similarity = g_strdup ("Cosine Similarity");
  else if (strcmp (sim, "dot") == 0)
    f->similarity = g_strdup ("Dot Product");
  else if (strcmp (sim, "euclidean") == 0)
    f->similarity = g_strdup ("Euclidean Distance");
  else if (strcmp (sim, "manhattan") == 0)
    f->similarity = g_strdup ("Manhattan Distance");
  else
    f->similarity = g_strdup (sim);
  f->format_version = g_strdup (jstr (cJSON_GetObjectItemCaseSensitive (st_config, "__version__"),
                                      "sentence_transformers"));

  f->architecture = g_string_new ("SentenceTransformer(\n");
  if (modules == NULL)
    {
      /* A plain Hugging Face folder loads as Transformer + mean Pooling. */
      int hidden = (int) jnum (hf_config, "hidden_size", -1);
      f->dimension = hidden;
      f->max_seq_length = (int) jnum (hf_config, "max_position_embeddings", -1);
      g_string_append_printf (f->architecture,
                              "  (0): Transformer({'max_seq_length': %d, 'do_lower_case': False})\n"
                              "  (1): Pooling({'word_embedding_dimension': %d, 'pooling_mode_mean_tokens': True})\n)",
                              f->max_seq_length, hidden);
      return TRUE;
    }
  if (!cJSON_IsArray (modules))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s/modules.json: expected a list of modules", dir);
      return FALSE;
    }
  cJSON_ArrayForEach (m, modules)
    {
      const char *type = jstr (m, "type");
      const char *path = jstr (m, "path");
      const char *cls = type != NULL && strrchr (type, '.') != NULL ? strrchr (type, '.') + 1 : type;
      int idx = (int) jnum (m, "idx", 0);

      if (cls == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s/modules.json: module %d has no \"type\"", dir, idx);
          return FALSE;
        }
      g_string_append_printf (f->architecture, "  (%d): %s(", idx, cls);
      if (strcmp (cls, "Transformer") == 0)
        {
          g_autoptr(CardJson) sb = read_json (dir, path, "sentence_bert_config.json", FALSE, NULL);
          g_autoptr(CardJson) conf = read_json (dir, path, "config.json", FALSE, NULL);
          const cJSON *archs = cJSON_GetObjectItemCaseSensitive (conf, "architectures");
          const cJSON *lower = cJSON_GetObjectItemCaseSensitive (sb, "do_lower_case");
          const char *arch = cJSON_IsString (cJSON_GetArrayItem (archs, 0))
                                 ? cJSON_GetArrayItem (archs, 0)->valuestring : NULL;
          f->max_seq_length = (int) jnum (sb, "max_seq_length", jnum (conf, "max_position_embeddings", -1));
          if (f->dimension < 0)
            f->dimension = (int) jnum (conf, "hidden_size", -1);
          g_string_append_printf (f->architecture, "{'max_seq_length': %d, 'do_lower_case': %s",
                                  f->max_seq_length, cJSON_IsTrue (lower) ? "True" : "False");
          if (arch != NULL)
            g_string_append_printf (f->architecture, ", 'architecture': '%s'", arch);
          g_string_append (f->architecture, "})");
        }
      else if (strcmp (cls, "Normalize") == 0)
        g_string_append (f->architecture, ")");
      else
        {
          g_autoptr(CardJson) conf = read_json (dir, path, "config.json", FALSE, NULL);
          if (conf != NULL)
            append_py_repr (f->architecture, conf);
          g_string_append (f->architecture, ")");
          if (strcmp (cls, "Pooling") == 0)
            {
              static const char *const modes[] = {
                "pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
                "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                "pooling_mode_lasttoken", NULL,
              };
              int n = 0;
              for (guint i = 0; modes[i] != NULL; i++)
                n += cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (conf, modes[i]));
              f->dimension = (int) jnum (conf, "word_embedding_dimension", f->dimension) * MAX (n, 1);
            }
          else if (strcmp (cls, "Dense") == 0)
            f->dimension = (int) jnum (conf, "out_features", f->dimension);
        }
      g_string_append_c (f->architecture, '\n');
    }
  g_string_append_c (f->architecture, ')');
  return TRUE;
}

/* ---- pieces of the card --------------------------------------------------------------- */

static gboolean
is_card_metric (const char *key,
                const char *eval_name)
{
  gsize n = eval_name != NULL ? strlen (eval_name) : 0;

  if (n > 0)
    return strncmp (key, eval_name, n) == 0 && key[n] == '_';
  return !(strcmp (key, "loss") == 0 || g_str_has_suffix (key, "_loss") || strcmp (key, "epoch") == 0 ||
           strcmp (key, "step") == 0 || strstr (key, "runtime") != NULL || strstr (key, "per_second") != NULL);
}

static const char *
loss_citation (const char *loss)
{
  if (loss == NULL)
    return NULL;
  if (strstr (loss, "MultipleNegativesRankingLoss") != NULL || strstr (loss, "MultipleNegativesSymmetric") != NULL)
    return "#### MultipleNegativesRankingLoss\n```bibtex\n@misc{henderson2017efficient,\n"
           "    title={Efficient Natural Language Response Suggestion for Smart Reply},\n"
           "    author={Matthew Henderson and Rami Al-Rfou and Brian Strope and Yun-hsuan Sung and Laszlo Lukacs "
           "and Ruiqi Guo and Sanjiv Kumar and Balint Miklos and Ray Kurzweil},\n"
           "    year={2017},\n    eprint={1705.00652},\n    archivePrefix={arXiv},\n    primaryClass={cs.CL}\n}\n```\n";
  if (strstr (loss, "TripletLoss") != NULL)
    return "#### TripletLoss\n```bibtex\n@misc{hermans2017defense,\n"
           "    title={In Defense of the Triplet Loss for Person Re-Identification},\n"
           "    author={Alexander Hermans and Lucas Beyer and Bastian Leibe},\n    year={2017},\n"
           "    eprint={1703.07737},\n    archivePrefix={arXiv},\n    primaryClass={cs.CV}\n}\n```\n";
  if (strstr (loss, "MatryoshkaLoss") != NULL)
    return "#### MatryoshkaLoss\n```bibtex\n@misc{kusupati2024matryoshka,\n"
           "    title={Matryoshka Representation Learning},\n"
           "    author={Aditya Kusupati and Gantavya Bhatt and Aniket Rege and Matthew Wallingford and Aditya Sinha "
           "and Vivek Ramanujan and William Howard-Snyder and Kaifeng Chen and Sham Kakade and Prateek Jain and Ali Farhadi},\n"
           "    year={2024},\n    eprint={2205.13147},\n    archivePrefix={arXiv},\n    primaryClass={cs.LG}\n}\n```\n";
  if (strstr (loss, "GISTEmbedLoss") != NULL)
    return "#### GISTEmbedLoss\n```bibtex\n@misc{solatorio2024gistembed,\n"
           "    title={GISTEmbed: Guided In-sample Selection of Training Negatives for Text Embedding Fine-tuning},\n"
           "    author={Aivin V. Solatorio},\n    year={2024},\n    eprint={2402.16829},\n"
           "    archivePrefix={arXiv},\n    primaryClass={cs.LG}\n}\n```\n";
  if (strstr (loss, "AnglELoss") != NULL)
    return "#### AnglELoss\n```bibtex\n@misc{li2023angleoptimized,\n"
           "    title={AnglE-optimized Text Embeddings},\n    author={Xianming Li and Jing Li},\n"
           "    year={2023},\n    eprint={2309.12871},\n    archivePrefix={arXiv},\n    primaryClass={cs.CL}\n}\n```\n";
  if (strstr (loss, "CoSENTLoss") != NULL)
    return "#### CoSENTLoss\n```bibtex\n@online{kexuefm-8847,\n"
           "    title={CoSENT: A more efficient sentence vector scheme than Sentence-BERT},\n"
           "    author={Su Jianlin},\n    year={2022},\n    month={Jan},\n"
           "    url={https://kexue.fm/archives/8847},\n}\n```\n";
  return NULL;
}

static void
task_of_evaluator (const char  *evaluator,
                   const char **type,
                   const char **name)
{
  *type = "semantic-similarity";
  *name = "Semantic Similarity";
  if (evaluator == NULL)
    return;
  if (strstr (evaluator, "Triplet") != NULL)
    *type = "triplet", *name = "Triplet";
  else if (strstr (evaluator, "Binary") != NULL)
    *type = "binary-classification", *name = "Binary Classification";
  else if (strstr (evaluator, "InformationRetrieval") != NULL)
    *type = "information-retrieval", *name = "Information Retrieval";
  else if (strstr (evaluator, "ParaphraseMining") != NULL)
    *type = "paraphrase-mining", *name = "Paraphrase Mining";
}

/* The metric name with the evaluator prefix ("sts-dev_") removed. */
static const char *
strip_prefix (const char *key,
              const char *prefix)
{
  gsize n = prefix != NULL ? strlen (prefix) : 0;

  if (n > 0 && strncmp (key, prefix, n) == 0 && key[n] == '_')
    return key + n + 1;
  return key;
}

static char *
guess_evaluator_name (const cJSON *metrics)
{
  const cJSON *m = metrics != NULL ? metrics->child : NULL;
  const char *us;

  while (m != NULL && (m->string == NULL || !is_card_metric (m->string, NULL)))
    m = m->next;
  if (m == NULL)
    return NULL;
  /* "sts-dev_spearman_cosine" -> "sts-dev": the part before the first '_'
   * that is followed by a known metric word */
  us = strchr (m->string, '_');
  return us != NULL ? g_strndup (m->string, us - m->string) : NULL;
}

/* ---- the card ------------------------------------------------------------------------- */

static void
append_widget (GString     *s,
               const cJSON *datasets)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  const cJSON *d, *row, *cell;
  guint written = 0;

  cJSON_ArrayForEach (d, datasets)
    {
      const cJSON *samples = cJSON_GetObjectItemCaseSensitive (d, "samples");
      if (!cJSON_IsArray (samples))
        continue;
      cJSON_ArrayForEach (row, samples)
        {
          GPtrArray *texts = g_ptr_array_new ();
          if (cJSON_IsObject (row))
            cJSON_ArrayForEach (cell, row)
              if (cJSON_IsString (cell) && cell->valuestring[0] != '\0')
                g_ptr_array_add (texts, cell->valuestring);
          if (texts->len > 0)
            g_ptr_array_add (rows, texts);
          else
            g_ptr_array_unref (texts);
        }
      break;
    }
  for (guint i = 0; i < rows->len && written < 5; i++)
    {
      GPtrArray *texts = g_ptr_array_index (rows, i);
      const char *others[3];
      guint n = 0;
      for (guint k = 1; k < texts->len && n < 3; k++)
        others[n++] = g_ptr_array_index (texts, k);
      for (guint j = 1; j < rows->len && n < 3; j++)
        others[n++] = g_ptr_array_index ((GPtrArray *) g_ptr_array_index (rows, (i + j) % rows->len), 0);
      if (n < 3)
        break;
      g_string_append (s, written == 0 ? "widget:\n- source_sentence: " : "- source_sentence: ");
      append_yaml_str (s, g_ptr_array_index (texts, 0));
      g_string_append (s, "\n  sentences:\n");
      for (guint k = 0; k < 3; k++)
        {
          g_string_append (s, "  - ");
          append_yaml_str (s, others[k]);
          g_string_append_c (s, '\n');
        }
      written++;
    }
}

static const cJSON *
only_array (const cJSON *v)
{
  return cJSON_IsArray (v) ? v : NULL;
}

static const cJSON *
only_object (const cJSON *v)
{
  return cJSON_IsObject (v) ? v : NULL;
}

char *
vs_model_card_render (const char  *model_dir,
                      const cJSON *training_record,
                      const char  *model_id,
                      GError     **error)
{
  g_autoptr(CardJson) own_record = NULL;
  const cJSON *rec = training_record;
  ModelFacts facts = { 0 };
  GString *s;
  const char *base, *loss_name, *evaluator;
  g_autofree char *model_name = NULL;
  g_autofree char *eval_name = NULL;
  const cJSON *datasets, *d, *metrics, *m, *log, *args, *loss, *langs, *v;
  g_autoptr(CardJson) card_metrics = NULL;
  g_autoptr(GPtrArray) loss_names = g_ptr_array_new ();
  double best_step = -1;
  double train_rows = 0;
  gboolean trained;

  g_return_val_if_fail (model_dir != NULL, NULL);
  if (!g_file_test (model_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: not a model folder", model_dir);
      return NULL;
    }
  if (rec == NULL)
    {
      g_autoptr(GError) local = NULL;
      own_record = read_json (model_dir, NULL, RECORD_FILE, FALSE, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      rec = own_record;
    }
  if (rec != NULL && !cJSON_IsObject (rec))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s: the training record must be a JSON object", model_dir);
      return NULL;
    }
  if (!read_model (model_dir, &facts, error))
    {
      model_facts_clear (&facts);
      return NULL;
    }
  trained = rec != NULL && (cJSON_GetObjectItemCaseSensitive (rec, "loss") != NULL ||
                            cJSON_GetObjectItemCaseSensitive (rec, "log") != NULL);

  base = jstr (rec, "base_model");
  loss = cJSON_GetObjectItemCaseSensitive (rec, "loss");
  loss_name = jstr (loss, "name");
  evaluator = jstr (rec, "evaluator");
  /* Fields of the wrong kind are ignored rather than trusted. */
  datasets = only_array (cJSON_GetObjectItemCaseSensitive (rec, "datasets"));
  metrics = only_object (cJSON_GetObjectItemCaseSensitive (rec, "final_metrics"));
  log = only_array (cJSON_GetObjectItemCaseSensitive (rec, "log"));
  args = only_object (cJSON_GetObjectItemCaseSensitive (rec, "args_non_default"));
  langs = only_array (cJSON_GetObjectItemCaseSensitive (rec, "language"));
  if (!cJSON_IsObject (loss))
    loss = NULL, loss_name = NULL;
  eval_name = g_strdup (jstr (rec, "evaluator_name"));
  if (eval_name == NULL)
    eval_name = guess_evaluator_name (metrics);
  /* Only the evaluator's metrics go into the card (not eval_loss, runtimes). */
  card_metrics = cJSON_CreateObject ();
  cJSON_ArrayForEach (m, metrics)
    if (cJSON_IsNumber (m) && is_card_metric (m->string, eval_name))
      cJSON_AddItemToObject (card_metrics, m->string, cJSON_Duplicate (m, FALSE));
  metrics = card_metrics;
  cJSON_ArrayForEach (d, datasets)
    {
      const char *split = jstr (d, "split");
      if (split == NULL || strcmp (split, "train") == 0)
        train_rows += jnum (d, "num_rows", 0);
    }
  {
    const cJSON *losses = only_array (cJSON_GetObjectItemCaseSensitive (rec, "losses"));
    const cJSON *l;
    cJSON_ArrayForEach (l, losses)
      {
        const char *n = jstr (l, "name");
        gboolean seen = FALSE;
        for (guint i = 0; n != NULL && i < loss_names->len; i++)
          seen |= strcmp (loss_names->pdata[i], n) == 0;
        if (n != NULL && !seen)
          g_ptr_array_add (loss_names, (gpointer) n);
      }
    if (loss_names->len == 0 && loss_name != NULL)
      g_ptr_array_add (loss_names, (gpointer) loss_name);
  }
  best_step = jnum (rec, "best_step", -1);
  if (jstr (rec, "model_name") != NULL)
    model_name = g_strdup (jstr (rec, "model_name"));
  else if (base != NULL)
    model_name = g_strdup_printf ("SentenceTransformer based on %s", base);
  else
    model_name = g_strdup ("SentenceTransformer");

  s = g_string_new ("---\n");
  /* 1. language, 2. license */
  if (cJSON_GetArraySize (langs) > 0)
    {
      g_string_append (s, "language:\n");
      cJSON_ArrayForEach (v, langs)
        if (cJSON_IsString (v))
          {
            g_string_append (s, "- ");
            append_yaml_str (s, v->valuestring);
            g_string_append_c (s, '\n');
          }
    }
  if (jstr (rec, "license") != NULL)
    {
      g_string_append (s, "license: ");
      append_yaml_str (s, jstr (rec, "license"));
      g_string_append_c (s, '\n');
    }
  /* 3. tags */
  g_string_append (s, "tags:\n- sentence-transformers\n- sentence-similarity\n- feature-extraction\n- dense\n");
  if (trained)
    {
      g_string_append (s, "- generated_from_trainer\n");
      if (train_rows > 0)
        g_string_append_printf (s, "- dataset_size:%.0f\n", train_rows);
      for (guint i = 0; i < loss_names->len; i++)
        {
          g_autofree char *t = g_strdup_printf ("loss:%s", (const char *) loss_names->pdata[i]);
          g_string_append (s, "- ");
          append_yaml_str (s, t);
          g_string_append_c (s, '\n');
        }
    }
  /* 4. base_model */
  if (looks_like_hub_id (base))
    {
      g_string_append (s, "base_model: ");
      append_yaml_str (s, base);
      g_string_append_c (s, '\n');
    }
  /* 5. widget: up to 5 examples from the training samples, each a sentence
   * and 3 others to compare it with (the Hub's sentence-similarity widget) */
  append_widget (s, datasets);
  /* 6. datasets */
  {
    gboolean any = FALSE;
    cJSON_ArrayForEach (d, datasets)
      {
        const char *name = jstr (d, "name");
        const char *split = jstr (d, "split");
        if (!looks_like_hub_id (name) || strchr (name, '/') == NULL || (split != NULL && strcmp (split, "train") != 0))
          continue;
        if (!any)
          g_string_append (s, "datasets:\n");
        any = TRUE;
        g_string_append (s, "- ");
        append_yaml_str (s, name);
        g_string_append_c (s, '\n');
      }
  }
  g_string_append (s, "pipeline_tag: sentence-similarity\nlibrary_name: sentence-transformers\n");
  if (cJSON_GetArraySize (metrics) > 0)
    {
      const char *task_type, *task_name;
      g_string_append (s, "metrics:\n");
      cJSON_ArrayForEach (m, metrics)
        {
          g_string_append (s, "- ");
          append_yaml_str (s, strip_prefix (m->string, eval_name));
          g_string_append_c (s, '\n');
        }
      task_of_evaluator (evaluator, &task_type, &task_name);
      g_string_append (s, "model-index:\n- name: ");
      append_yaml_str (s, model_name);
      g_string_append_printf (s, "\n  results:\n  - task:\n      type: %s\n      name: %s\n    dataset:\n      name: ",
                              task_type, task_name);
      append_yaml_str (s, eval_name != NULL ? eval_name : "eval");
      g_string_append (s, "\n      type: ");
      append_yaml_str (s, eval_name != NULL ? eval_name : "eval");
      g_string_append (s, "\n    metrics:\n");
      cJSON_ArrayForEach (m, metrics)
        {
          const char *key = strip_prefix (m->string, eval_name);
          g_autofree char *title = title_case (key);
          if (!cJSON_IsNumber (m))
            continue;
          g_string_append (s, "    - type: ");
          append_yaml_str (s, key);
          g_string_append (s, "\n      value: ");
          append_shortest (s, m->valuedouble);
          g_string_append (s, "\n      name: ");
          append_yaml_str (s, title);
          g_string_append_c (s, '\n');
        }
    }
  g_string_append (s, "---\n\n");

  /* 1. title, 2. intro */
  g_string_append_printf (s, "# %s\n\n", model_name);
  g_string_append (s, "This is a [sentence-transformers](https://www.SBERT.net) model");
  if (base != NULL)
    {
      if (looks_like_hub_id (base))
        g_string_append_printf (s, " finetuned from [%s](https://huggingface.co/%s)", base, base);
      else
        g_string_append_printf (s, " finetuned from %s", base);
    }
  {
    guint n = 0;
    cJSON_ArrayForEach (d, datasets)
      {
        const char *split = jstr (d, "split");
        const char *name = jstr (d, "name");
        if (name == NULL || (split != NULL && strcmp (split, "train") != 0))
          continue;
        g_string_append (s, n == 0 ? " on the " : " and ");
        if (looks_like_hub_id (name) && strchr (name, '/') != NULL)
          g_string_append_printf (s, "[%s](https://huggingface.co/datasets/%s)", name, name);
        else
          g_string_append (s, name);
        n++;
      }
    if (n > 0)
      g_string_append_printf (s, " dataset%s", n > 1 ? "s" : "");
  }
  g_string_append_printf (s, ". It maps sentences & paragraphs to a %d-dimensional dense vector space and can be "
                          "used for semantic textual similarity, semantic search, paraphrase mining, text "
                          "classification, clustering, and more.\n\n", facts.dimension);

  /* 3. Model Details */
  g_string_append (s, "## Model Details\n\n### Model Description\n- **Model Type:** Sentence Transformer\n");
  if (base != NULL)
    {
      if (looks_like_hub_id (base))
        g_string_append_printf (s, "- **Base model:** [%s](https://huggingface.co/%s)", base, base);
      else
        g_string_append_printf (s, "- **Base model:** %s", base);
      if (jstr (rec, "base_model_revision") != NULL)
        g_string_append_printf (s, " <!-- at revision %s -->", jstr (rec, "base_model_revision"));
      g_string_append_c (s, '\n');
    }
  else
    g_string_append (s, "<!-- - **Base model:** [Unknown](https://huggingface.co/unknown) -->\n");
  if (facts.max_seq_length > 0)
    g_string_append_printf (s, "- **Maximum Sequence Length:** %d tokens\n", facts.max_seq_length);
  if (facts.dimension > 0)
    g_string_append_printf (s, "- **Output Dimensionality:** %d dimensions\n", facts.dimension);
  g_string_append_printf (s, "- **Similarity Function:** %s\n", facts.similarity);
  {
    guint n = 0;
    cJSON_ArrayForEach (d, datasets)
      {
        const char *split = jstr (d, "split");
        if (jstr (d, "name") == NULL || (split != NULL && strcmp (split, "train") != 0))
          continue;
        if (n++ == 0)
          g_string_append (s, "- **Training Dataset:**\n");
        g_string_append_printf (s, "    - %s\n", jstr (d, "name"));
      }
  }
  if (cJSON_GetArraySize (langs) > 0)
    {
      g_string_append (s, "- **Language:**");
      cJSON_ArrayForEach (v, langs)
        if (cJSON_IsString (v))
          g_string_append_printf (s, " %s", v->valuestring);
      g_string_append_c (s, '\n');
    }
  else
    g_string_append (s, "<!-- - **Language:** Unknown -->\n");
  if (jstr (rec, "license") != NULL)
    g_string_append_printf (s, "- **License:** %s\n", jstr (rec, "license"));
  else
    g_string_append (s, "<!-- - **License:** Unknown -->\n");
  g_string_append (s, "\n### Model Sources\n\n"
                      "- **Documentation:** [Sentence Transformers Documentation](https://sbert.net)\n"
                      "- **Repository:** [Sentence Transformers on GitHub](https://github.com/UKPLab/sentence-transformers)\n"
                      "- **Hugging Face:** [Sentence Transformers on Hugging Face](https://huggingface.co/models?library=sentence-transformers)\n\n"
                      "### Full Model Architecture\n\n```\n");
  g_string_append (s, facts.architecture->str);
  g_string_append (s, "\n```\n\n");

  /* 4. Usage */
  {
    const char *samples[3] = { "The weather is lovely today.", "It's so sunny outside!",
                               "He drove to the stadium." };
    guint n = 0;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive (cJSON_GetArrayItem (datasets, 0), "samples");
    const cJSON *row, *cell;
    cJSON_ArrayForEach (row, only_array (rows))
      cJSON_ArrayForEach (cell, only_object (row))
        if (cJSON_IsString (cell) && n < 3)
          samples[n++] = cell->valuestring;
    g_string_append_printf (s, "## Usage\n\n### Direct Usage (Sentence Transformers)\n\n"
                               "First install the Sentence Transformers library:\n\n"
                               "```bash\npip install -U sentence-transformers\n```\n\n"
                               "Then you can load this model and run inference.\n```python\n"
                               "from sentence_transformers import SentenceTransformer\n\n"
                               "# Download from the 🤗 Hub\nmodel = SentenceTransformer(\"%s\")\n"
                               "# Run inference\nsentences = [\n",
                            model_id != NULL ? model_id : "sentence_transformers_model_id");
    for (guint i = 0; i < 3; i++)
      {
        g_autoptr(CardJson) str = cJSON_CreateString (samples[i]);
        g_autofree char *quoted = cJSON_PrintUnformatted (str);
        g_string_append_printf (s, "    %s,\n", quoted);
      }
    g_string_append_printf (s, "]\nembeddings = model.encode(sentences)\nprint(embeddings.shape)\n# [3, %d]\n\n"
                               "# Get the similarity scores for the embeddings\n"
                               "similarities = model.similarity(embeddings, embeddings)\n"
                               "print(similarities.shape)\n# [3, 3]\n```\n\n", facts.dimension);
    g_string_append (s, "<!--\n### Direct Usage (Transformers)\n\n<details><summary>Click to see the direct usage in Transformers</summary>\n\n</details>\n-->\n\n"
                        "<!--\n### Downstream Usage (Sentence Transformers)\n\nYou can finetune this model on your own dataset.\n\n<details><summary>Click to expand</summary>\n\n</details>\n-->\n\n"
                        "<!--\n### Out-of-Scope Use\n\n*List how the model may foreseeably be misused and address what users ought not to do with the model.*\n-->\n\n");
  }

  /* 5. Evaluation */
  if (cJSON_GetArraySize (metrics) > 0)
    {
      const char *primary = jstr (rec, "primary_metric");
      g_string_append (s, "## Evaluation\n\n### Metrics\n\n");
      g_string_append_printf (s, "#### %s\n\n", eval_name != NULL ? eval_name : "Evaluation");
      if (eval_name != NULL)
        g_string_append_printf (s, "* Dataset: `%s`\n", eval_name);
      if (evaluator != NULL)
        g_string_append_printf (s, "* Evaluated with [<code>%s</code>](https://sbert.net/docs/package_reference/"
                                   "sentence_transformer/evaluation.html#sentence_transformers.evaluation.%s)\n",
                                evaluator, evaluator);
      g_string_append (s, "\n| Metric | Value |\n|:--|:--|\n");
      cJSON_ArrayForEach (m, metrics)
        {
          const char *key = strip_prefix (m->string, eval_name);
          gboolean bold = primary != NULL && (strcmp (key, primary) == 0 || strcmp (m->string, primary) == 0 ||
                                              strcmp (key, strip_prefix (primary, eval_name)) == 0);
          if (!cJSON_IsNumber (m))
            continue;
          g_string_append_printf (s, bold ? "| **%s** | **" : "| %s | ", key);
          append_number (s, m->valuedouble);
          g_string_append (s, bold ? "** |\n" : " |\n");
        }
      g_string_append_c (s, '\n');
    }
  /* 6. */
  g_string_append (s, "<!--\n## Bias, Risks and Limitations\n\n*What are the known or foreseeable issues stemming from this model? You could also flag here known failure cases or weaknesses of the model.*\n-->\n\n"
                      "<!--\n### Recommendations\n\n*What are recommendations with respect to the foreseeable issues? For example, filtering explicit content.*\n-->\n\n");

  /* 7. Training Details */
  if (trained)
    {
      g_string_append (s, "## Training Details\n\n");
      for (int pass = 0; pass < 2; pass++)
        {
          gboolean header_done = FALSE;
          cJSON_ArrayForEach (d, datasets)
            {
              const char *split = jstr (d, "split");
              gboolean is_train = split == NULL || strcmp (split, "train") == 0;
              const cJSON *cols = only_array (cJSON_GetObjectItemCaseSensitive (d, "columns"));
              const cJSON *rows = only_array (cJSON_GetObjectItemCaseSensitive (d, "samples"));
              const cJSON *c, *row;
              gboolean first = TRUE;
              if (is_train != (pass == 0))
                continue;
              if (!header_done)
                g_string_append (s, pass == 0 ? "### Training Dataset\n\n" : "### Evaluation Dataset\n\n");
              header_done = TRUE;
              g_string_append_printf (s, "#### %s\n\n", jstr (d, "name") != NULL ? jstr (d, "name") : "Unnamed Dataset");
              if (jstr (d, "name") != NULL && looks_like_hub_id (jstr (d, "name")) && strchr (jstr (d, "name"), '/') != NULL)
                g_string_append_printf (s, "* Dataset: [%s](https://huggingface.co/datasets/%s)\n",
                                        jstr (d, "name"), jstr (d, "name"));
              else if (jstr (d, "name") != NULL)
                g_string_append_printf (s, "* Dataset: %s\n", jstr (d, "name"));
              if (jnum (d, "num_rows", -1) >= 0)
                g_string_append_printf (s, "* Size: %.0f %s samples\n", jnum (d, "num_rows", 0),
                                        is_train ? "training" : "evaluation");
              if (cJSON_GetArraySize (cols) > 0)
                {
                  g_string_append (s, "* Columns: ");
                  cJSON_ArrayForEach (c, cols)
                    if (cJSON_IsString (c))
                      {
                        g_string_append_printf (s, "%s<code>%s</code>", first ? "" : ", ", c->valuestring);
                        first = FALSE;
                      }
                  g_string_append_c (s, '\n');
                }
              if (cJSON_GetArraySize (rows) > 0 && cJSON_GetArraySize (cols) > 0)
                {
                  g_string_append (s, "* Samples:\n  |");
                  cJSON_ArrayForEach (c, cols)
                    g_string_append_printf (s, " %s |", cJSON_IsString (c) ? c->valuestring : "");
                  g_string_append (s, "\n  |");
                  cJSON_ArrayForEach (c, cols)
                    g_string_append (s, ":---|");
                  g_string_append_c (s, '\n');
                  cJSON_ArrayForEach (row, rows)
                    {
                      g_string_append (s, "  |");
                      cJSON_ArrayForEach (c, cols)
                        {
                          const cJSON *cell = cJSON_IsString (c) ? cJSON_GetObjectItemCaseSensitive (row, c->valuestring) : NULL;
                          g_string_append (s, " <code>");
                          if (cJSON_IsString (cell))
                            {
                              g_autofree char *esc = g_markup_escape_text (cell->valuestring, -1);
                              g_string_append (s, esc);
                            }
                          else if (cJSON_IsNumber (cell))
                            append_number (s, cell->valuedouble);
                          g_string_append (s, "</code> |");
                        }
                      g_string_append_c (s, '\n');
                    }
                }
              const cJSON *dloss = cJSON_IsObject (cJSON_GetObjectItemCaseSensitive (d, "loss"))
                                   ? cJSON_GetObjectItemCaseSensitive (d, "loss") : loss;
              const char *dloss_name = jstr (dloss, "name");
              if (dloss_name != NULL)
                {
                  g_autofree char *lower = g_ascii_strdown (dloss_name, -1);
                  const cJSON *params = cJSON_GetObjectItemCaseSensitive (dloss, "params");
                  g_autofree char *pjson = params != NULL ? cJSON_Print (params) : g_strdup ("{}");
                  g_auto(GStrv) plines = g_strsplit (pjson, "\n", -1);
                  g_string_append_printf (s, "* Loss: [<code>%s</code>](https://sbert.net/docs/package_reference/"
                                             "sentence_transformer/losses.html#%s) with these parameters:\n  ```json\n",
                                          dloss_name, lower);
                  for (guint i = 0; plines[i] != NULL; i++)
                    {
                      g_autofree char *line = g_strdelimit (g_strdup (plines[i]), "\t", ' ');
                      g_string_append_printf (s, "  %s\n", line);
                    }
                  g_string_append (s, "  ```\n");
                }
              g_string_append_c (s, '\n');
            }
        }
      if (cJSON_GetArraySize (args) > 0)
        {
          const cJSON *all = only_object (cJSON_GetObjectItemCaseSensitive (rec, "args_all"));
          g_string_append (s, "### Training Hyperparameters\n#### Non-Default Hyperparameters\n\n");
          append_hyperparameters (s, args);
          if (cJSON_GetArraySize (all) > 0)
            {
              g_string_append (s, "\n#### All Hyperparameters\n<details><summary>Click to expand</summary>\n\n");
              append_hyperparameters (s, all);
              g_string_append (s, "\n</details>\n");
            }
          g_string_append_c (s, '\n');
        }
      if (cJSON_GetArraySize (log) > 0)
        {
          /* columns: Epoch, Step, Training Loss, Validation Loss, then every other key */
          g_autoptr(GPtrArray) extra = g_ptr_array_new ();
          const cJSON *row, *cell;
          gboolean has_val = FALSE;
          gboolean any_bold = FALSE;
          guint nrows = cJSON_GetArraySize (log);
          cJSON_ArrayForEach (row, log)
            cJSON_ArrayForEach (cell, only_object (row))
              {
                if (strcmp (cell->string, "epoch") == 0 || strcmp (cell->string, "step") == 0 ||
                    strcmp (cell->string, "training_loss") == 0 || strcmp (cell->string, "loss") == 0)
                  continue;
                if (strcmp (cell->string, "validation_loss") == 0 || strcmp (cell->string, "eval_loss") == 0)
                  {
                    has_val = TRUE;
                    continue;
                  }
                {
                  gboolean seen = FALSE;
                  for (guint i = 0; i < extra->len; i++)
                    seen |= strcmp (extra->pdata[i], cell->string) == 0;
                  if (!seen)
                    g_ptr_array_add (extra, cell->string);
                }
              }
          g_string_append (s, "### Training Logs\n");
          if (nrows > 100)
            g_string_append (s, "<details><summary>Click to expand</summary>\n\n");
          g_string_append (s, "| Epoch | Step | Training Loss");
          if (has_val)
            g_string_append (s, " | Validation Loss");
          for (guint i = 0; i < extra->len; i++)
            g_string_append_printf (s, " | %s", (const char *) extra->pdata[i]);
          g_string_append (s, " |\n|:-----:|:----:|:-------------:");
          if (has_val)
            g_string_append (s, "|:---------------:");
          for (guint i = 0; i < extra->len; i++)
            g_string_append (s, "|:------:");
          g_string_append (s, "|\n");
          cJSON_ArrayForEach (row, log)
            {
              const cJSON *tl = cJSON_GetObjectItemCaseSensitive (row, "training_loss");
              const cJSON *vl = cJSON_GetObjectItemCaseSensitive (row, "validation_loss");
              if (tl == NULL)
                tl = cJSON_GetObjectItemCaseSensitive (row, "loss");
              if (vl == NULL)
                vl = cJSON_GetObjectItemCaseSensitive (row, "eval_loss");
              {
                g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
                gboolean bold = best_step >= 0 && jnum (row, "step", -2) == best_step;
                GString *c = g_string_new (NULL);
                append_shortest (c, jnum (row, "epoch", 0));
                g_ptr_array_add (cells, g_string_free (c, FALSE));
                g_ptr_array_add (cells, g_strdup_printf ("%.0f", jnum (row, "step", 0)));
                c = g_string_new (NULL);
                if (cJSON_IsNumber (tl))
                  append_number (c, tl->valuedouble);
                else
                  g_string_append_c (c, '-');
                g_ptr_array_add (cells, g_string_free (c, FALSE));
                if (has_val)
                  {
                    c = g_string_new (NULL);
                    if (cJSON_IsNumber (vl))
                      append_number (c, vl->valuedouble);
                    else
                      g_string_append_c (c, '-');
                    g_ptr_array_add (cells, g_string_free (c, FALSE));
                  }
                for (guint i = 0; i < extra->len; i++)
                  {
                    const cJSON *e = cJSON_GetObjectItemCaseSensitive (row, extra->pdata[i]);
                    c = g_string_new (NULL);
                    if (cJSON_IsNumber (e))
                      append_number (c, e->valuedouble);
                    else
                      g_string_append_c (c, '-');
                    g_ptr_array_add (cells, g_string_free (c, FALSE));
                  }
                g_string_append (s, "|");
                for (guint i = 0; i < cells->len; i++)
                  g_string_append_printf (s, bold ? " **%s** |" : " %s |", (const char *) cells->pdata[i]);
                g_string_append_c (s, '\n');
                any_bold |= bold;
              }
            }
          if (any_bold)
            g_string_append (s, "\n* The bold row denotes the saved checkpoint.\n");
          if (nrows > 100)
            g_string_append (s, "\n</details>\n");
          g_string_append_c (s, '\n');
        }
      g_string_append (s, "### Framework Versions\n");
      g_string_append_printf (s, "- Vectorsmith: %s\n", PACKAGE_VERSION);
      cJSON_ArrayForEach (v, only_object (cJSON_GetObjectItemCaseSensitive (rec, "versions")))
        if (cJSON_IsString (v) && strcmp (v->string, "vectorsmith") != 0)
          g_string_append_printf (s, "- %s: %s\n", v->string, v->valuestring);
      if (facts.format_version != NULL)
        g_string_append_printf (s, "- Sentence Transformers (file format): %s\n", facts.format_version);
      g_string_append_c (s, '\n');
    }

  /* 8. Citation */
  g_string_append (s, "## Citation\n\n### BibTeX\n\n#### Sentence Transformers\n```bibtex\n"
                      "@inproceedings{reimers-2019-sentence-bert,\n"
                      "    title = \"Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks\",\n"
                      "    author = \"Reimers, Nils and Gurevych, Iryna\",\n"
                      "    booktitle = \"Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing\",\n"
                      "    month = \"11\",\n    year = \"2019\",\n"
                      "    publisher = \"Association for Computational Linguistics\",\n"
                      "    url = \"https://arxiv.org/abs/1908.10084\",\n}\n```\n\n");
  for (guint i = 0; i < loss_names->len; i++)
    {
      const char *cite = loss_citation (loss_names->pdata[i]);
      gboolean dup = FALSE;
      /* losses sharing a citation get it once */
      for (guint k = 0; k < i; k++)
        dup |= loss_citation (loss_names->pdata[k]) == cite;
      if (cite != NULL && !dup)
        g_string_append_printf (s, "%s\n", cite);
    }
  /* 9. */
  g_string_append (s, "<!--\n## Glossary\n\n*Clearly define terms in order to be accessible across audiences.*\n-->\n\n"
                      "<!--\n## Model Card Authors\n\n*Lists the people who create the model card, providing recognition and accountability for the detailed work that goes into its construction.*\n-->\n\n"
                      "<!--\n## Model Card Contact\n\n*Provides a way for people who are interested in the model to contact the model card authors.*\n-->\n");
  model_facts_clear (&facts);
  return g_string_free (s, FALSE);
}

gboolean
vs_model_card_write (const char  *model_dir,
                     const cJSON *training_record,
                     GError     **error)
{
  g_autofree char *text = vs_model_card_render (model_dir, training_record, NULL, error);
  g_autofree char *path = NULL;

  if (text == NULL)
    return FALSE;
  path = g_build_filename (model_dir, "README.md", NULL);
  /* A temporary file renamed over README.md (vs-fault.h). */
  return vs_file_set_contents (path, text, -1, 0644, error);
}
