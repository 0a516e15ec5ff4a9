/* vs-case.c: which of sentence-transformers' four data cases a table is.
 *
 * sentence-transformers itself takes columns by position and treats a column
 * named "label" or "score" as the label (SentenceTransformerDataCollator,
 * st-spec.md 3.1). Datasets in the wild name things otherwise (SNLI's
 * gold_label, Banking77's category, headerless STS files), so detection
 * looks at names first and values second:
 *
 *   label:  an override; else "label", then "score" (ST's rule); else a name
 *           that says label/score/class/category/intent/similarity; else a
 *           float column with fractional values (a score); else an integer
 *           column with few values; else a short categorical text column.
 *   texts:  string columns that are not ids (pairID, captionID, id),
 *           parse trees (sentence1_parse) or categorical (few distinct short
 *           values); ordered anchor/positive/negatives by name
 *           (anchor, query, question, sentence1, premise, text ... /
 *           positive, answer, document, sentence2, hypothesis ... /
 *           negative*, neg*, hard_negative*), else in table order.
 *   case:   label + 1 text -> 3 (class labels only); label + 2 texts -> 1;
 *           2 texts -> 2; 3 or more texts -> 4.
 *
 * Losses are ranked from the loss module's registry (loss/vs-loss.h), so
 * detection and the loss module cannot disagree about what fits.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "data/vs-data-private.h"
#include "loss/vs-loss.h"
#include "vs-error.h"

#define DISTINCT_CAP 100000

typedef struct
{
  const VsColumn *col;
  guint        index;
  VsColumnRole role;          /* override or AUTO */
  gsize        n_nonnull;
  /* strings */
  double       mean_chars;
  gsize        n_distinct;     /* capped at DISTINCT_CAP */
  double       frac_spaces;    /* cells containing a space */
  double       frac_parse;     /* cells that look like parse trees "(ROOT (S ..." */
  /* numbers */
  double       min, max;
  gboolean     integral;
  gsize        n_values;       /* distinct numeric values, capped */
} ColStats;

static gsize
utf8_chars (const char *s)
{
  gsize n = 0;

  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    if ((*p & 0xC0) != 0x80)
      n++;
  return n;
}

static void
compute_stats (ColStats *st)
{
  const VsColumn *col = st->col;
  gsize n = vs_column_get_length (col);
  VsColumnType t = vs_column_get_type (col);

  st->min = INFINITY;
  st->max = -INFINITY;
  st->integral = TRUE;
  if (t == VS_COLUMN_STRING)
    {
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
      double chars = 0, spaces = 0, parse = 0;

      for (gsize r = 0; r < n; r++)
        {
          const char *s = vs_column_get_string (col, r);
          if (s == NULL)
            continue;
          st->n_nonnull++;
          chars += utf8_chars (s);
          if (strchr (s, ' ') != NULL)
            spaces++;
          if (s[0] == '(' && strchr (s, ')') != NULL)
            parse++;
          if (g_hash_table_size (seen) < DISTINCT_CAP)
            g_hash_table_add (seen, (gpointer) s);
        }
      st->n_distinct = g_hash_table_size (seen);
      if (st->n_nonnull > 0)
        {
          st->mean_chars = chars / st->n_nonnull;
          st->frac_spaces = spaces / st->n_nonnull;
          st->frac_parse = parse / st->n_nonnull;
        }
    }
  else if (t == VS_COLUMN_FLOAT64 || t == VS_COLUMN_INT64 || t == VS_COLUMN_BOOL)
    {
      g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

      for (gsize r = 0; r < n; r++)
        {
          double v;
          if (vs_column_is_null (col, r))
            continue;
          v = vs_column_get_double (col, r);
          if (isnan (v))
            continue;
          st->n_nonnull++;
          st->min = MIN (st->min, v);
          st->max = MAX (st->max, v);
          if (v != floor (v))
            st->integral = FALSE;
          if (g_hash_table_size (seen) < 1000)
            {
              gint64 *key = g_new (gint64, 1);
              memcpy (key, &v, sizeof v);
              g_hash_table_add (seen, key);
            }
        }
      st->n_values = g_hash_table_size (seen);
    }
}

static gboolean
name_in (const char        *lower,
         const char *const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (strcmp (lower, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
name_is_id (const char *lower)
{
  static const char *const ids[] = { "id", "idx", "uid", "guid", "index", "key", "pair_id",
                                     "__index_level_0__", "_id", NULL };
  gsize len = strlen (lower);

  return name_in (lower, ids) || (len > 3 && g_str_has_suffix (lower, "_id")) ||
         (len > 2 && g_str_has_suffix (lower, "id") && !g_str_has_suffix (lower, "valid") &&
          !g_str_has_suffix (lower, "void"));
}

static gboolean
name_says_label (const char *lower)
{
  static const char *const exact[] = { "labels", "gold_label", "class", "classes", "category",
                                       "intent", "target", "similarity", "similarity_score",
                                       "relatedness", "relatedness_score", "is_duplicate",
                                       "is_paraphrase", "rating", "y", NULL };
  return name_in (lower, exact) || g_str_has_suffix (lower, "_label") ||
         g_str_has_suffix (lower, "_score") || g_str_has_prefix (lower, "label");
}

static gboolean
name_says_score (const char *lower)
{
  return strstr (lower, "score") != NULL || strstr (lower, "similarity") != NULL ||
         strstr (lower, "relatedness") != NULL;
}

static VsColumnRole
role_from_name (const char *lower)
{
  static const char *const anchors[] = { "anchor", "query", "question", "sentence1", "sentence_1",
                                         "sentence_a", "sentence_0", "text1", "text_1", "text_a",
                                         "premise", "s1", "source", "sentence", "text", "title",
                                         "query_text", NULL };
  static const char *const positives[] = { "positive", "pos", "answer", "document", "passage",
                                           "sentence2", "sentence_2", "sentence_b", "text2",
                                           "text_2", "text_b", "hypothesis", "entailment",
                                           "response", "s2", "target_text", "paraphrase",
                                           "positive_1", "context", "corpus", NULL };

  if (name_in (lower, anchors))
    return VS_ROLE_ANCHOR;
  if (name_in (lower, positives))
    return VS_ROLE_POSITIVE;
  if (g_str_has_prefix (lower, "negative") || g_str_has_prefix (lower, "neg") ||
      g_str_has_prefix (lower, "hard_negative") || strcmp (lower, "contradiction") == 0)
    return VS_ROLE_NEGATIVE;
  return VS_ROLE_AUTO;
}

/* A short text column with few distinct values: a category, not a sentence. */
static gboolean
is_categorical (const ColStats *st)
{
  if (vs_column_get_type (st->col) != VS_COLUMN_STRING || st->n_nonnull == 0)
    return FALSE;
  return st->n_distinct <= 1000 && st->mean_chars < 40 &&
         (double) st->n_distinct <= 0.2 * (double) st->n_nonnull;
}

static gboolean
is_text (const ColStats *st)
{
  const char *lower_name = vs_column_get_name (st->col);
  g_autofree char *lower = g_ascii_strdown (lower_name, -1);

  if (vs_column_get_type (st->col) != VS_COLUMN_STRING || st->n_nonnull == 0)
    return FALSE;
  if (name_is_id (lower) || strstr (lower, "parse") != NULL || st->frac_parse > 0.5)
    return FALSE;
  if (is_categorical (st))
    return FALSE;
  /* Identifier-like values: no spaces and every value distinct, unless the
   * name says text. */
  if (st->frac_spaces < 0.05 && st->n_distinct == st->n_nonnull && st->mean_chars < 16 &&
      role_from_name (lower) == VS_ROLE_AUTO)
    return FALSE;
  return TRUE;
}

const char *
vs_label_kind_to_string (VsLabelKind kind)
{
  switch (kind)
    {
    case VS_LABEL_NONE: return "none";
    case VS_LABEL_FLOAT: return "float";
    case VS_LABEL_BINARY: return "binary";
    case VS_LABEL_CLASS: return "class";
    default: return "none";
    }
}

const char *
vs_column_role_to_string (VsColumnRole role)
{
  switch (role)
    {
    case VS_ROLE_IGNORE: return "ignore";
    case VS_ROLE_ANCHOR: return "anchor";
    case VS_ROLE_POSITIVE: return "positive";
    case VS_ROLE_NEGATIVE: return "negative";
    case VS_ROLE_LABEL: return "label";
    case VS_ROLE_AUTO:
    default: return "auto";
    }
}

gboolean
vs_column_role_from_string (const char   *name,
                            VsColumnRole *role)
{
  static const struct { const char *name; VsColumnRole role; } names[] = {
    { "anchor", VS_ROLE_ANCHOR }, { "sentence", VS_ROLE_ANCHOR }, { "positive", VS_ROLE_POSITIVE },
    { "negative", VS_ROLE_NEGATIVE }, { "label", VS_ROLE_LABEL }, { "ignore", VS_ROLE_IGNORE },
  };

  g_return_val_if_fail (role != NULL, FALSE);

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i].name) == 0)
      {
        *role = names[i].role;
        return TRUE;
      }
  return FALSE;
}

void
vs_case_info_free (VsCaseInfo *info)
{
  if (info == NULL)
    return;
  g_strfreev (info->inputs);
  g_free (info->label_column);
  g_strfreev (info->classes);
  g_free (info->evidence);
  g_free (info->swap_evidence);
  for (guint i = 0; i < info->n_losses; i++)
    {
      g_free (info->losses[i].name);
      g_free (info->losses[i].reason);
    }
  g_free (info->losses);
  g_free (info);
}

static gboolean
label_value_missing (const char *s)
{
  /* SNLI marks pairs without annotator consensus with "-". */
  return s == NULL || *s == '\0' || strcmp (s, "-") == 0;
}

static int
compare_numeric_strings (gconstpointer a,
                         gconstpointer b)
{
  double x = g_ascii_strtod (*(const char *const *) a, NULL);
  double y = g_ascii_strtod (*(const char *const *) b, NULL);

  return x < y ? -1 : x > y ? 1 : 0;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Fill the label fields of info from the chosen column. */
static void
describe_label (VsCaseInfo     *info,
                const ColStats *st)
{
  g_autofree char *lower = g_ascii_strdown (vs_column_get_name (st->col), -1);
  VsColumnType t = vs_column_get_type (st->col);
  g_autoptr(GPtrArray) classes = g_ptr_array_new_with_free_func (g_free);

  info->label_column = g_strdup (vs_column_get_name (st->col));
  info->label_min = NAN;
  info->label_max = NAN;
  if (t == VS_COLUMN_STRING)
    {
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
      gsize n = vs_column_get_length (st->col);

      for (gsize r = 0; r < n; r++)
        {
          const char *s = vs_column_get_string (st->col, r);
          if (!label_value_missing (s) && g_hash_table_add (seen, (gpointer) s))
            g_ptr_array_add (classes, g_strdup (s));
        }
      g_ptr_array_sort (classes, compare_strings);
      info->label_kind = VS_LABEL_CLASS;
    }
  else
    {
      info->label_min = st->min;
      info->label_max = st->max;
      if (t == VS_COLUMN_FLOAT64 && (!st->integral || name_says_score (lower)))
        info->label_kind = VS_LABEL_FLOAT;
      else if (st->integral && st->min >= 0 && st->max <= 1 && st->n_values <= 2)
        info->label_kind = VS_LABEL_BINARY;
      else if (st->integral && name_says_score (lower))
        info->label_kind = VS_LABEL_FLOAT;
      else if (st->integral)
        info->label_kind = VS_LABEL_CLASS;
      else
        info->label_kind = VS_LABEL_FLOAT;
      if (info->label_kind != VS_LABEL_FLOAT)
        {
          g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          gsize n = vs_column_get_length (st->col);
          for (gsize r = 0; r < n; r++)
            {
              char *s;
              if (vs_column_is_null (st->col, r))
                continue;
              s = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) vs_column_get_double (st->col, r));
              if (g_hash_table_add (seen, s))
                g_ptr_array_add (classes, g_strdup (s));
              if (classes->len > 100000)
                break;
            }
          g_ptr_array_sort (classes, compare_numeric_strings);
        }
    }
  if (classes->len > 0)
    {
      info->n_classes = classes->len;
      g_ptr_array_add (classes, NULL);
      info->classes = (char **) g_ptr_array_free (g_steal_pointer (&classes), FALSE);
    }
}

static char *
format_range (double v)
{
  char buf[64];

  if (v == floor (v) && fabs (v) < 1e15)
    g_snprintf (buf, sizeof buf, "%.0f", v);
  else
    g_snprintf (buf, sizeof buf, "%.6g", v);
  return g_strdup (buf);
}

static char *
classes_preview (const VsCaseInfo *info)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < info->n_classes && i < 5; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      g_string_append (s, info->classes[i]);
    }
  if (info->n_classes > 5)
    g_string_append (s, ", …");
  return g_string_free (s, FALSE);
}

static char *
quoted_list (char **names,
             guint  from,
             guint  to)
{
  GString *s = g_string_new (NULL);

  for (guint i = from; i < to; i++)
    {
      if (i > from)
        g_string_append (s, i + 1 == to ? " and " : ", ");
      g_string_append_printf (s, "`%s`", names[i]);
    }
  return g_string_free (s, FALSE);
}

/* Removes and returns the column of rest that stands first in the table
 * (lowest index), or NULL when rest is empty. */
static ColStats *
take_first_in_table (GPtrArray *rest)
{
  ColStats *first;
  guint best = 0;

  if (rest->len == 0)
    return NULL;
  for (guint i = 1; i < rest->len; i++)
    if (((ColStats *) rest->pdata[i])->index < ((ColStats *) rest->pdata[best])->index)
      best = i;
  first = rest->pdata[best];
  g_ptr_array_remove_index (rest, best);
  return first;
}

static void
rank_losses (VsCaseInfo *info)
{
  gsize n_reg = 0;
  const VsLossInfo *reg = vs_loss_registry_get_all (&n_reg);
  VsLossDataShape shape = { info->n_inputs, VS_LOSS_DATA_LABEL_NONE, 0, 0, 1 };
  g_autoptr(GArray) fits = g_array_new (FALSE, TRUE, sizeof (VsLossFit));
  g_autoptr(GArray) scores = g_array_new (FALSE, TRUE, sizeof (int));
  g_autofree guint *order = NULL;
  VsLossLabelKind wanted = VS_LOSS_LABEL_NONE;

  switch (info->label_kind)
    {
    case VS_LABEL_FLOAT:
      shape.label = VS_LOSS_DATA_LABEL_FLOAT;
      shape.label_min = info->label_min;
      shape.label_max = info->label_max;
      wanted = VS_LOSS_LABEL_SCORE;
      break;
    case VS_LABEL_BINARY:
      shape.label = VS_LOSS_DATA_LABEL_INT;
      shape.label_min = 0;
      shape.label_max = 1;
      wanted = VS_LOSS_LABEL_BINARY;
      break;
    case VS_LABEL_CLASS:
      shape.label = VS_LOSS_DATA_LABEL_INT;
      shape.label_min = 0;
      shape.label_max = info->n_classes > 0 ? info->n_classes - 1 : 0;
      wanted = VS_LOSS_LABEL_CLASS;
      break;
    case VS_LABEL_NONE:
    default:
      break;
    }

  for (gsize i = 0; i < n_reg; i++)
    {
      const VsLossInfo *li = &reg[i];
      g_autoptr(GError) why = NULL;
      VsLossFit fit = { g_strdup (li->name), FALSE, NULL };
      int score;

      if (info->case_number == 0)
        fit.reason = g_strdup_printf ("no dataset case detected; %s takes %s", li->name, li->columns_help);
      else if ((li->cases & VS_LOSS_CASE (info->case_number)) == 0 && li->cases != 0 && !li->is_wrapper)
        {
          /* Still ask the registry for its own sentence about the mismatch. */
          if (!vs_loss_info_check_data (li, &shape, &why))
            fit.reason = g_strdup (why->message);
          else
            fit.reason = g_strdup_printf ("%s is meant for other data: %s", li->name, li->columns_help);
        }
      else if (li->cases == 0)
        {
          if (!vs_loss_info_check_data (li, &shape, &why))
            fit.reason = g_strdup (why->message);
          else
            fit.reason = g_strdup_printf ("%s is for distillation from a teacher model", li->name);
        }
      else if (!vs_loss_info_check_data (li, &shape, &why))
        fit.reason = g_strdup (why->message);
      else if (li->label_kind == VS_LOSS_LABEL_SCORE && info->label_kind == VS_LABEL_CLASS)
        {
          /* The registry accepts integer labels as scores; class ids are
           * names, not an order, so ranking by them means nothing. */
          fit.reason = g_strdup_printf ("%s needs an ordered similarity score, but `%s` holds %u classes",
                                        li->name, info->label_column, info->n_classes);
        }
      else
        {
          fit.compatible = TRUE;
          fit.reason = g_strdup_printf ("%s %s%s", li->description, li->columns_help,
                                        li->needs_guide ? "; needs a guide model" :
                                        li->is_wrapper ? "; wraps one of the losses above" : "");
        }

      /* Rank: exact label kind for this case, then other compatible losses
       * (e.g. CoSENTLoss on 0/1 labels), guide-model losses, wrappers. */
      if (!fit.compatible)
        score = 0;
      else if (li->is_wrapper)
        score = 1;
      else if (li->needs_guide)
        score = 2;
      else if (li->label_kind == wanted)
        score = 4;
      else
        score = 3;
      g_array_append_val (fits, fit);
      g_array_append_val (scores, score);
    }

  /* Stable sort by score, descending (registry order within a score). */
  order = g_new (guint, fits->len + 1);
  {
    guint k = 0;
    for (int s = 4; s >= 0; s--)
      for (guint i = 0; i < fits->len; i++)
        if (g_array_index (scores, int, i) == s)
          order[k++] = i;
  }
  info->n_losses = fits->len;
  info->losses = g_new0 (VsLossFit, fits->len + 1);
  for (guint i = 0; i < fits->len; i++)
    info->losses[i] = g_array_index (fits, VsLossFit, order[i]);
}

VsCaseInfo *
vs_dataset_detect_case (const VsDataset      *ds,
                        const VsRoleOverride *overrides,
                        guint                 n_overrides,
                        GError              **error)
{
  guint n_cols = vs_dataset_get_n_columns (ds);
  g_autofree ColStats *stats = g_new0 (ColStats, n_cols + 1);
  g_autoptr(VsCaseInfo) info = g_new0 (VsCaseInfo, 1);
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GPtrArray) positives = g_ptr_array_new ();
  g_autoptr(GPtrArray) negatives = g_ptr_array_new ();
  g_autoptr(GPtrArray) others = g_ptr_array_new ();
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  ColStats *label = NULL;
  gboolean label_overridden = FALSE;
  gboolean texts_overridden = FALSE;
  g_autofree char *label_reason = NULL;

  info->label_min = NAN;
  info->label_max = NAN;
  for (guint c = 0; c < n_cols; c++)
    {
      stats[c].col = vs_dataset_get_column (ds, c);
      stats[c].index = c;
      stats[c].role = VS_ROLE_AUTO;
    }
  for (guint o = 0; o < n_overrides; o++)
    {
      int c = vs_dataset_find_column (ds, overrides[o].column);
      if (c < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "column role override: no column “%s”", overrides[o].column);
          return NULL;
        }
      stats[c].role = overrides[o].role;
      if (overrides[o].role == VS_ROLE_LABEL)
        {
          if (vs_column_get_type (stats[c].col) == VS_COLUMN_STRING_LIST)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "column role override: “%s” is a list and cannot be the label", overrides[o].column);
              return NULL;
            }
          label_overridden = TRUE;
        }
      if (overrides[o].role == VS_ROLE_ANCHOR || overrides[o].role == VS_ROLE_POSITIVE ||
          overrides[o].role == VS_ROLE_NEGATIVE)
        {
          if (vs_column_get_type (stats[c].col) != VS_COLUMN_STRING)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                           "column role override: “%s” is %s, not text", overrides[o].column,
                           vs_column_type_to_string (vs_column_get_type (stats[c].col)));
              return NULL;
            }
          texts_overridden = TRUE;
        }
    }
  for (guint c = 0; c < n_cols; c++)
    compute_stats (&stats[c]);

  /* 1. The label. */
  if (label_overridden)
    {
      for (guint c = 0; c < n_cols; c++)
        if (stats[c].role == VS_ROLE_LABEL && label == NULL)
          label = &stats[c];
      label_reason = g_strdup ("chosen as the label");
    }
  else
    {
      static const char *const st_names[] = { "label", "score" };
      for (guint k = 0; k < G_N_ELEMENTS (st_names) && label == NULL; k++)
        for (guint c = 0; c < n_cols; c++)
          if (stats[c].role == VS_ROLE_AUTO && strcmp (vs_column_get_name (stats[c].col), st_names[k]) == 0 &&
              vs_column_get_type (stats[c].col) != VS_COLUMN_STRING_LIST)
            {
              label = &stats[c];
              break;
            }
      for (guint c = 0; c < n_cols && label == NULL; c++)
        {
          g_autofree char *lower = g_ascii_strdown (vs_column_get_name (stats[c].col), -1);
          VsColumnType t = vs_column_get_type (stats[c].col);
          if (stats[c].role != VS_ROLE_AUTO || !name_says_label (lower))
            continue;
          if (t == VS_COLUMN_FLOAT64 || t == VS_COLUMN_INT64 || t == VS_COLUMN_BOOL ||
              (t == VS_COLUMN_STRING && is_categorical (&stats[c])))
            label = &stats[c];
        }
      /* By value: a float with fractions, then few integers, then a category. */
      for (guint c = 0; c < n_cols && label == NULL; c++)
        if (stats[c].role == VS_ROLE_AUTO && vs_column_get_type (stats[c].col) == VS_COLUMN_FLOAT64 &&
            !stats[c].integral && stats[c].n_nonnull > 0)
          label = &stats[c];
      for (guint c = 0; c < n_cols && label == NULL; c++)
        {
          g_autofree char *lower = g_ascii_strdown (vs_column_get_name (stats[c].col), -1);
          VsColumnType t = vs_column_get_type (stats[c].col);
          if (stats[c].role == VS_ROLE_AUTO && (t == VS_COLUMN_INT64 || t == VS_COLUMN_BOOL) &&
              !name_is_id (lower) && stats[c].n_values >= 2 && stats[c].n_values <= 1000 &&
              (double) stats[c].n_values <= 0.5 * (double) stats[c].n_nonnull &&
              stats[c].min >= 0 && stats[c].max < 1000)
            label = &stats[c];
        }
      for (guint c = 0; c < n_cols && label == NULL; c++)
        {
          g_autofree char *lower = g_ascii_strdown (vs_column_get_name (stats[c].col), -1);
          if (stats[c].role == VS_ROLE_AUTO && is_categorical (&stats[c]) && !name_is_id (lower) &&
              stats[c].n_distinct >= 2)
            label = &stats[c];
        }
    }
  if (label != NULL)
    describe_label (info, label);

  /* 2. The text columns, by role. */
  for (guint c = 0; c < n_cols; c++)
    {
      ColStats *st = &stats[c];
      g_autofree char *lower = g_ascii_strdown (vs_column_get_name (st->col), -1);
      VsColumnRole role = st->role;

      if (st == label || role == VS_ROLE_IGNORE || role == VS_ROLE_LABEL)
        continue;
      if (role == VS_ROLE_AUTO)
        {
          if (texts_overridden || !is_text (st))
            continue;
          role = role_from_name (lower);
        }
      switch (role)
        {
        case VS_ROLE_ANCHOR: g_ptr_array_add (anchors, st); break;
        case VS_ROLE_POSITIVE: g_ptr_array_add (positives, st); break;
        case VS_ROLE_NEGATIVE: g_ptr_array_add (negatives, st); break;
        case VS_ROLE_AUTO:
        case VS_ROLE_IGNORE:
        case VS_ROLE_LABEL:
        default: g_ptr_array_add (others, st); break;
        }
    }
  /* Extra anchors/positives beyond the first are ordered after them. */
  {
    g_autoptr(GPtrArray) order = g_ptr_array_new ();
    ColStats *a = anchors->len > 0 ? anchors->pdata[0] : NULL;
    ColStats *p = positives->len > 0 ? positives->pdata[0] : NULL;
    g_autoptr(GPtrArray) rest = g_ptr_array_new ();

    for (guint i = 1; i < anchors->len; i++)
      g_ptr_array_add (rest, anchors->pdata[i]);
    for (guint i = 1; i < positives->len; i++)
      g_ptr_array_add (rest, positives->pdata[i]);
    for (guint i = 0; i < others->len; i++)
      g_ptr_array_add (rest, others->pdata[i]);
    /* Unnamed columns fill the anchor and positive slots in table order. */
    if (a == NULL)
      a = take_first_in_table (rest);
    if (p == NULL)
      p = take_first_in_table (rest);
    if (a == NULL && p != NULL)
      {
        a = p;
        p = NULL;
      }
    if (a != NULL)
      g_ptr_array_add (order, a);
    if (p != NULL)
      g_ptr_array_add (order, p);
    /* Negatives (named) then any other text columns, in table order. */
    for (guint i = 0; i < negatives->len; i++)
      g_ptr_array_add (rest, negatives->pdata[i]);
    for (guint idx = 0; idx < n_cols; idx++)
      for (guint i = 0; i < rest->len; i++)
        if (((ColStats *) rest->pdata[i])->index == idx)
          g_ptr_array_add (order, rest->pdata[i]);
    for (guint i = 0; i < order->len; i++)
      g_ptr_array_add (inputs, g_strdup (vs_column_get_name (((ColStats *) order->pdata[i])->col)));

    /* 3. The case. */
    {
      guint nt = inputs->len;
      g_autofree char *lab = label != NULL ? g_strdup_printf ("`%s`", info->label_column) : NULL;
      g_autofree char *range = NULL;
      g_autofree char *texts = quoted_list ((char **) inputs->pdata, 0, MIN (nt, 2));

      if (label != NULL && info->label_kind == VS_LABEL_FLOAT)
        {
          g_autofree char *lo = format_range (info->label_min);
          g_autofree char *hi = format_range (info->label_max);
          range = g_strdup_printf ("%s is a float in [%s, %s]", lab, lo, hi);
        }
      else if (label != NULL && info->label_kind == VS_LABEL_BINARY)
        range = g_strdup_printf ("%s is an integer in {0, 1}", lab);
      else if (label != NULL)
        {
          g_autofree char *cls = classes_preview (info);
          range = g_strdup_printf ("%s has %u classes (%s)", lab, info->n_classes, cls);
        }

      if (label != NULL && nt >= 2)
        {
          g_autofree char *extra = nt > 2 ? quoted_list ((char **) inputs->pdata, 2, nt) : NULL;
          info->case_number = 1;
          /* Case 1 uses the two texts; further text columns are not inputs. */
          g_ptr_array_set_size (inputs, 2);
          info->evidence = g_strdup_printf ("%s → pair with %s (%s)%s%s%s", range,
                                            info->label_kind == VS_LABEL_FLOAT ? "similarity score" :
                                            info->label_kind == VS_LABEL_BINARY ? "binary label" : "class label",
                                            texts,
                                            extra != NULL ? "; " : "", extra != NULL ? extra : "",
                                            extra != NULL ? " not used" : "");
        }
      else if (label != NULL && nt == 1)
        {
          if (info->label_kind == VS_LABEL_FLOAT)
            {
              info->case_number = 0;
              info->evidence = g_strdup_printf ("%s but there is only one text column (%s): "
                                                "a score needs a pair; no case fits", range, texts);
            }
          else
            {
              info->case_number = 3;
              info->evidence = g_strdup_printf ("%s and one text column %s → sentence with class label",
                                                range, texts);
            }
        }
      else if (label != NULL)
        {
          info->case_number = 0;
          info->evidence = g_strdup_printf ("%s but there is no text column; no case fits", range);
        }
      else if (nt == 2)
        {
          info->case_number = 2;
          info->evidence = g_strdup_printf ("two text columns %s and no label column → positive pair", texts);
        }
      else if (nt >= 3)
        {
          g_autofree char *negs = quoted_list ((char **) inputs->pdata, 2, nt);
          info->case_number = 4;
          info->evidence = g_strdup_printf ("text columns %s plus %u negative%s (%s) and no label → %s",
                                            texts, nt - 2, nt == 3 ? "" : "s", negs,
                                            nt == 3 ? "triplet" : "anchor, positive and n negatives");
        }
      else if (nt == 1)
        {
          info->case_number = 0;
          info->evidence = g_strdup_printf ("one text column %s and no label: unsupervised data "
                                            "(not one of the four cases)", texts);
        }
      else
        {
          info->case_number = 0;
          info->evidence = g_strdup ("no text column and no label: nothing to train on");
        }
      if (label_reason != NULL && info->label_column != NULL)
        {
          char *e = g_strdup_printf ("%s (`%s` %s)", info->evidence, info->label_column, label_reason);
          g_free (info->evidence);
          info->evidence = e;
        }
    }
  }

  info->n_inputs = inputs->len;
  info->n_negatives = info->case_number == 4 ? inputs->len - 2 : 0;
  if (info->case_number == 0 && info->label_column == NULL)
    info->label_kind = VS_LABEL_NONE;
  if (info->case_number == 2 || info->case_number == 4)
    {
      /* Cases 2 and 4 have no label. */
      g_clear_pointer (&info->label_column, g_free);
      g_clear_pointer (&info->classes, g_strfreev);
      info->n_classes = 0;
      info->label_kind = VS_LABEL_NONE;
    }

  /* 4. A likely swap: anchors much longer than positives (a passage as the
   * query). Anchors are normally the shorter side (query -> document). */
  if ((info->case_number == 2 || info->case_number == 4) && inputs->len >= 2)
    {
      const ColStats *a = &stats[vs_dataset_find_column (ds, inputs->pdata[0])];
      const ColStats *p = &stats[vs_dataset_find_column (ds, inputs->pdata[1])];
      if (a->mean_chars >= 60 && a->mean_chars > 3.0 * p->mean_chars)
        {
          info->swapped_anchor_positive = TRUE;
          info->swap_evidence = g_strdup_printf ("`%s` averages %.0f characters and `%s` %.0f: anchors are "
                                                 "usually the short side (queries), so the two columns may be swapped",
                                                 (const char *) inputs->pdata[0], a->mean_chars,
                                                 (const char *) inputs->pdata[1], p->mean_chars);
        }
    }

  g_ptr_array_add (inputs, NULL);
  info->inputs = (char **) g_ptr_array_free (g_steal_pointer (&inputs), FALSE);
  rank_losses (info);
  return g_steal_pointer (&info);
}

VsCaseInfo *
vs_dataset_detect_case_without_label (const VsDataset      *ds,
                                      const VsRoleOverride *overrides,
                                      guint                 n_overrides,
                                      GError              **error)
{
  g_autoptr(GArray) ov = g_array_new (FALSE, FALSE, sizeof (VsRoleOverride));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint n_cols = vs_dataset_get_n_columns (ds);
  VsCaseInfo *info;

  for (guint o = 0; o < n_overrides; o++)
    g_return_val_if_fail (overrides[o].role != VS_ROLE_LABEL, NULL);
  g_array_append_vals (ov, overrides, n_overrides);
  /* Detection takes at most one label a pass and never one it was told to
   * ignore, so this ends within n_cols passes. */
  for (guint pass = 0;; pass++)
    {
      VsRoleOverride ignore = { NULL, VS_ROLE_IGNORE };

      info = vs_dataset_detect_case (ds, (const VsRoleOverride *) ov->data, ov->len, error);
      if (info == NULL || info->label_column == NULL || pass >= n_cols)
        break;
      ignore.column = g_strdup (info->label_column);
      g_ptr_array_add (names, (gpointer) ignore.column);
      g_array_append_val (ov, ignore);
      vs_case_info_free (info);
    }
  return info;
}

VsDataset *
vs_dataset_apply_case (const VsDataset  *ds,
                       const VsCaseInfo *info,
                       GError          **error)
{
  g_autoptr(VsDataset) out = vs_dataset_new ();
  g_autoptr(GArray) keep = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GHashTable) class_ids = g_hash_table_new (g_str_hash, g_str_equal);
  const VsColumn *label = NULL;
  gsize n = vs_dataset_get_n_rows (ds);
  VsColumn *lab_out = NULL;

  if (info->case_number == 0)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "no dataset case: %s", info->evidence);
      return NULL;
    }
  for (guint i = 0; i < info->n_classes; i++)
    g_hash_table_insert (class_ids, info->classes[i], GUINT_TO_POINTER (i + 1));
  if (info->label_column != NULL)
    {
      label = vs_dataset_get_column_by_name (ds, info->label_column);
      if (label == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "no label column “%s”", info->label_column);
          return NULL;
        }
    }
  vs_dataset_set_format (out, vs_dataset_get_format (ds));
  for (guint i = 0; i < info->n_inputs; i++)
    {
      const VsColumn *src = vs_dataset_get_column_by_name (ds, info->inputs[i]);
      if (src == NULL || vs_column_get_type (src) != VS_COLUMN_STRING)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "no text column “%s”", info->inputs[i]);
          return NULL;
        }
    }

  for (gsize r = 0; r < n; r++)
    {
      gboolean ok = TRUE;
      for (guint i = 0; i < info->n_inputs && ok; i++)
        ok = !vs_column_is_null (vs_dataset_get_column_by_name (ds, info->inputs[i]), r);
      if (ok && label != NULL)
        {
          if (vs_column_is_null (label, r))
            ok = FALSE;
          else if (vs_column_get_type (label) == VS_COLUMN_STRING)
            ok = g_hash_table_contains (class_ids, vs_column_get_string (label, r));
          else
            ok = !isnan (vs_column_get_double (label, r));
        }
      if (ok)
        g_array_append_val (keep, r);
    }

  for (guint i = 0; i < info->n_inputs; i++)
    {
      const VsColumn *src = vs_dataset_get_column_by_name (ds, info->inputs[i]);
      VsColumn *dst = vs_column_new (info->inputs[i], VS_COLUMN_STRING);
      for (guint k = 0; k < keep->len; k++)
        vs_column_append_from (dst, src, g_array_index (keep, gsize, k));
      vs_dataset_take_column (out, dst);
    }
  if (label != NULL)
    {
      /* An input already called "label" cannot happen (the label is not an input). */
      lab_out = vs_column_new ("label", info->label_kind == VS_LABEL_FLOAT ? VS_COLUMN_FLOAT64 : VS_COLUMN_INT64);
      for (guint k = 0; k < keep->len; k++)
        {
          gsize r = g_array_index (keep, gsize, k);
          if (info->label_kind == VS_LABEL_FLOAT)
            vs_column_append_double (lab_out, vs_column_get_double (label, r));
          else if (vs_column_get_type (label) == VS_COLUMN_STRING)
            vs_column_append_int64 (lab_out, GPOINTER_TO_UINT (g_hash_table_lookup (class_ids,
                                                               vs_column_get_string (label, r))) - 1);
          else
            {
              /* Integer classes map to their index in info->classes (the
               * sorted distinct values), so ids are 0..n-1 even when the
               * data's values are not. Binary 0/1 stays 0/1. */
              char buf[32];
              g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, (gint64) vs_column_get_double (label, r));
              if (info->label_kind == VS_LABEL_BINARY)
                vs_column_append_int64 (lab_out, (gint64) vs_column_get_double (label, r));
              else
                vs_column_append_int64 (lab_out, GPOINTER_TO_UINT (g_hash_table_lookup (class_ids, buf)) - 1);
            }
        }
      if (vs_dataset_find_column (out, "label") >= 0)
        {
          vs_column_free (lab_out);
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "an input column is already called “label”");
          return NULL;
        }
      vs_dataset_take_column (out, lab_out);
    }
  return g_steal_pointer (&out);
}
