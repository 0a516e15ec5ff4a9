/* test-case.c: case detection on the real datasets of $VS_SHARED_DATA
 * (each maps to one of the four cases) and on small tables for every other
 * branch: n negatives, no case, overrides, detection without a label, role
 * names, the swap flag, string and non-contiguous integer classes, and the
 * training layout. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "test-common.h"
#include "vs-error.h"

static VsDataset *
load_shared (const char *rel)
{
  g_autofree char *path = test_shared_path (rel);
  g_autoptr(GError) error = NULL;
  VsDataset *ds = vs_dataset_load (path, NULL, &error);

  g_assert_no_error (error);
  return ds;
}

static VsCaseInfo *
detect (const VsDataset *ds)
{
  g_autoptr(GError) error = NULL;
  VsCaseInfo *info = vs_dataset_detect_case (ds, NULL, 0, &error);

  g_assert_no_error (error);
  g_test_message ("case %d: %s", info->case_number, info->evidence);
  return info;
}

static const VsLossFit *
find_loss (const VsCaseInfo *info,
           const char       *name,
           guint            *rank)
{
  for (guint i = 0; i < info->n_losses; i++)
    if (strcmp (info->losses[i].name, name) == 0)
      {
        if (rank != NULL)
          *rank = i;
        return &info->losses[i];
      }
  g_assert_not_reached ();
  return NULL;
}

static void
assert_inputs (const VsCaseInfo *info,
               const char       *first,
               ...)
{
  va_list ap;
  guint i = 0;

  va_start (ap, first);
  for (const char *n = first; n != NULL; n = va_arg (ap, const char *))
    g_assert_cmpstr (info->inputs[i++], ==, n);
  va_end (ap);
  g_assert_cmpuint (info->n_inputs, ==, i);
  g_assert_null (info->inputs[i]);
}

static void
test_stsb (void)
{
  g_autoptr(VsDataset) pq = load_shared ("datasets/stsb/sts-train.images+track5.zstd.parquet");
  g_autoptr(VsDataset) csv = load_shared ("datasets/stsb/sts-train.images+track5.csv");
  g_autoptr(VsCaseInfo) a = detect (pq);
  g_autoptr(VsCaseInfo) b = detect (csv);
  guint r_cosent, r_cos;

  g_assert_cmpint (a->case_number, ==, 1);
  g_assert_cmpint (a->label_kind, ==, VS_LABEL_FLOAT);
  g_assert_cmpstr (a->label_column, ==, "score");
  g_assert_cmpfloat (a->label_min, ==, 0.0);
  g_assert_cmpfloat (a->label_max, ==, 5.0);
  g_assert_null (a->classes);
  assert_inputs (a, "sentence1", "sentence2", NULL);
  g_assert_cmpstr (a->evidence, ==, "`score` is a float in [0, 5] → pair with similarity score (`sentence1` and `sentence2`)");
  /* CoSENT first (ST's default loss); CosineSimilarityLoss needs [-1, 1] scores. */
  g_assert_cmpstr (a->losses[0].name, ==, "CoSENTLoss");
  g_assert_true (find_loss (a, "CoSENTLoss", &r_cosent)->compatible);
  g_assert_false (find_loss (a, "CosineSimilarityLoss", &r_cos)->compatible);
  g_assert_nonnull (strstr (find_loss (a, "CosineSimilarityLoss", NULL)->reason, "[0, 5]"));
  g_assert_false (find_loss (a, "MultipleNegativesRankingLoss", NULL)->compatible);
  g_assert_false (find_loss (a, "SoftmaxLoss", NULL)->compatible);
  g_assert_false (a->swapped_anchor_positive);

  /* Headerless TSV: the float column among year/id integers and genre text. */
  g_assert_cmpint (b->case_number, ==, 1);
  g_assert_cmpstr (b->label_column, ==, "column4");
  g_assert_cmpint (b->label_kind, ==, VS_LABEL_FLOAT);
  assert_inputs (b, "column5", "column6", NULL);
}

static void
test_paws (void)
{
  g_autoptr(VsDataset) ds = load_shared ("datasets/paws/paws_wiki_labeled_final_dev.first1000.tsv");
  g_autoptr(VsCaseInfo) info = detect (ds);

  g_assert_cmpint (info->case_number, ==, 1);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_BINARY);
  g_assert_cmpstr (info->label_column, ==, "label");
  g_assert_cmpuint (info->n_classes, ==, 2);
  assert_inputs (info, "sentence1", "sentence2", NULL);   /* `id` is not text */
  g_assert_cmpstr (info->losses[0].name, ==, "ContrastiveLoss");
  g_assert_cmpstr (info->losses[1].name, ==, "OnlineContrastiveLoss");
  g_assert_true (find_loss (info, "CoSENTLoss", NULL)->compatible);
  g_assert_false (find_loss (info, "TripletLoss", NULL)->compatible);
}

static void
test_snli (void)
{
  g_autoptr(VsDataset) ds = load_shared ("datasets/snli/snli_1.0_dev.first500.jsonl");
  g_autoptr(VsCaseInfo) info = detect (ds);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) st = NULL;
  const VsColumn *label;
  const VsColumn *gold = vs_dataset_get_column_by_name (ds, "gold_label");
  gsize kept = 0;

  g_assert_cmpint (info->case_number, ==, 1);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_CLASS);
  g_assert_cmpstr (info->label_column, ==, "gold_label");
  g_assert_cmpuint (info->n_classes, ==, 3);   /* "-" (no consensus) is not a class */
  g_assert_cmpstr (info->classes[0], ==, "contradiction");
  g_assert_cmpstr (info->classes[1], ==, "entailment");
  g_assert_cmpstr (info->classes[2], ==, "neutral");
  assert_inputs (info, "sentence1", "sentence2", NULL);  /* not the parse trees or ids */
  g_assert_cmpstr (info->losses[0].name, ==, "SoftmaxLoss");
  g_assert_true (info->losses[0].compatible);
  g_assert_false (find_loss (info, "CoSENTLoss", NULL)->compatible);
  g_assert_false (find_loss (info, "ContrastiveLoss", NULL)->compatible);

  st = vs_dataset_apply_case (ds, info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_columns (st), ==, 3);
  g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (st, 2)), ==, "label");
  g_assert_cmpuint (vs_dataset_get_n_rows (st), ==, 493);   /* 7 rows are "-" */
  label = vs_dataset_get_column (st, 2);
  g_assert_cmpint (vs_column_get_type (label), ==, VS_COLUMN_INT64);
  for (gsize r = 0; r < vs_dataset_get_n_rows (ds); r++)
    {
      const char *g = vs_column_get_string (gold, r);
      if (strcmp (g, "-") == 0)
        continue;
      g_assert_cmpstr (info->classes[vs_column_get_int64 (label, kept)], ==, g);
      g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column (st, 0), kept), ==,
                       vs_column_get_string (vs_dataset_get_column_by_name (ds, "sentence1"), r));
      kept++;
    }
  g_assert_cmpuint (kept, ==, 493);
}

static void
test_banking77 (void)
{
  g_autoptr(VsDataset) ds = load_shared ("datasets/banking77/test.csv");
  g_autoptr(VsCaseInfo) info = detect (ds);

  g_assert_cmpint (info->case_number, ==, 3);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_CLASS);
  g_assert_cmpstr (info->label_column, ==, "category");
  g_assert_cmpuint (info->n_classes, ==, 77);
  assert_inputs (info, "text", NULL);
  g_assert_cmpstr (info->losses[0].name, ==, "BatchAllTripletLoss");
  g_assert_true (find_loss (info, "BatchHardTripletLoss", NULL)->compatible);
  g_assert_false (find_loss (info, "MultipleNegativesRankingLoss", NULL)->compatible);
  g_assert_nonnull (find_loss (info, "MultipleNegativesRankingLoss", NULL)->reason);
}

static void
test_triplets (void)
{
  g_autoptr(VsDataset) ds = load_shared ("datasets/triplets/snli_dev_triplets.parquet");
  g_autoptr(VsCaseInfo) info = detect (ds);
  g_autoptr(GError) error = NULL;
  const char *pair[] = { "anchor", "positive" };
  g_autoptr(VsDataset) pairs = vs_dataset_select_columns (ds, pair, 2, &error);
  g_autoptr(VsCaseInfo) info2 = NULL;

  g_assert_cmpint (info->case_number, ==, 4);
  g_assert_cmpuint (info->n_negatives, ==, 1);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_NONE);
  g_assert_null (info->label_column);
  assert_inputs (info, "anchor", "positive", "negative", NULL);
  g_assert_cmpstr (info->losses[0].name, ==, "MultipleNegativesRankingLoss");
  g_assert_true (find_loss (info, "TripletLoss", NULL)->compatible);
  g_assert_true (find_loss (info, "GISTEmbedLoss", NULL)->compatible);
  g_assert_false (find_loss (info, "MegaBatchMarginLoss", NULL)->compatible);
  g_assert_false (info->swapped_anchor_positive);

  /* Case 2: the positive pairs alone. */
  g_assert_no_error (error);
  info2 = detect (pairs);
  g_assert_cmpint (info2->case_number, ==, 2);
  assert_inputs (info2, "anchor", "positive", NULL);
  g_assert_cmpstr (info2->losses[0].name, ==, "MultipleNegativesRankingLoss");
  g_assert_true (find_loss (info2, "MegaBatchMarginLoss", NULL)->compatible);
  g_assert_false (find_loss (info2, "TripletLoss", NULL)->compatible);
  g_assert_false (find_loss (info2, "CoSENTLoss", NULL)->compatible);
}

static VsDataset *
make_table (guint        n_rows,
            const char  *spec,
            ...)
{
  /* spec: one letter per column, s = text "row R col C" (distinct, with
   * spaces), q = short query, P = long passage; columns named by varargs. */
  VsDataset *ds = vs_dataset_new ();
  va_list ap;

  va_start (ap, spec);
  for (const char *t = spec; *t != '\0'; t++)
    {
      const char *name = va_arg (ap, const char *);
      VsColumn *col = vs_dataset_add_column (ds, name, VS_COLUMN_STRING, NULL);
      for (guint r = 0; r < n_rows; r++)
        {
          g_autofree char *s = NULL;
          if (*t == 'q')
            s = g_strdup_printf ("what is %u", r);
          else if (*t == 'P')
            s = g_strdup_printf ("Passage %u is a long paragraph of text that goes on and on about a topic, "
                                 "with many words in it, far longer than any query %u would be.", r, r);
          else
            s = g_strdup_printf ("row %u of column %s", r, name);
          vs_column_append_string (col, s);
        }
    }
  va_end (ap);
  g_assert_true (vs_dataset_seal (ds, NULL));
  return ds;
}

static void
test_n_negatives (void)
{
  g_autoptr(VsDataset) ds = make_table (20, "ssss", "negative_1", "query", "negative_2", "answer");
  g_autoptr(VsCaseInfo) info = detect (ds);

  /* Names order the roles: query, answer, then negatives in table order. */
  g_assert_cmpint (info->case_number, ==, 4);
  g_assert_cmpuint (info->n_negatives, ==, 2);
  assert_inputs (info, "query", "answer", "negative_1", "negative_2", NULL);
  g_assert_false (find_loss (info, "TripletLoss", NULL)->compatible);
  g_assert_false (find_loss (info, "GISTEmbedLoss", NULL)->compatible);
  g_assert_true (find_loss (info, "CachedGISTEmbedLoss", NULL)->compatible);
  g_assert_true (find_loss (info, "MultipleNegativesRankingLoss", NULL)->compatible);

  /* The training layout puts the columns in the loss's order. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VsDataset) st = vs_dataset_apply_case (ds, info, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_dataset_get_n_columns (st), ==, 4);
    g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (st, 0)), ==, "query");
    g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (st, 1)), ==, "answer");
    g_assert_cmpstr (vs_column_get_name (vs_dataset_get_column (st, 3)), ==, "negative_2");
    g_assert_cmpstr (vs_column_get_string (vs_dataset_get_column (st, 1), 7), ==, "row 7 of column answer");
  }
}

static void
test_no_case (void)
{
  g_autoptr(VsDataset) one = make_table (10, "s", "text");
  g_autoptr(VsCaseInfo) info = detect (one);
  g_autoptr(VsDataset) scored = make_table (10, "s", "text");
  VsColumn *score = vs_dataset_add_column (scored, "score", VS_COLUMN_FLOAT64, NULL);
  g_autoptr(VsCaseInfo) info2 = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (info->case_number, ==, 0);
  g_assert_nonnull (strstr (info->evidence, "one text column"));
  for (guint i = 0; i < info->n_losses; i++)
    g_assert_false (info->losses[i].compatible);
  g_assert_null (vs_dataset_apply_case (one, info, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);

  for (guint r = 0; r < 10; r++)
    vs_column_append_double (score, r / 10.0);
  info2 = detect (scored);
  g_assert_cmpint (info2->case_number, ==, 0);
  g_assert_cmpint (info2->label_kind, ==, VS_LABEL_FLOAT);
  g_assert_nonnull (strstr (info2->evidence, "only one text column"));
}

static void
test_int_classes (void)
{
  /* Pairs with labels 3/7/9: multi-class, ids mapped to 0..2. */
  g_autoptr(VsDataset) ds = make_table (30, "ss", "premise", "hypothesis");
  VsColumn *lab = vs_dataset_add_column (ds, "label", VS_COLUMN_INT64, NULL);
  g_autoptr(VsCaseInfo) info = NULL;
  g_autoptr(VsDataset) st = NULL;
  g_autoptr(GError) error = NULL;
  const gint64 values[] = { 3, 7, 9 };

  for (guint r = 0; r < 30; r++)
    vs_column_append_int64 (lab, values[r % 3]);
  info = detect (ds);
  g_assert_cmpint (info->case_number, ==, 1);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_CLASS);
  g_assert_cmpuint (info->n_classes, ==, 3);
  g_assert_cmpstr (info->classes[2], ==, "9");
  g_assert_cmpfloat (info->label_min, ==, 3);
  g_assert_cmpfloat (info->label_max, ==, 9);
  st = vs_dataset_apply_case (ds, info, &error);
  g_assert_no_error (error);
  for (guint r = 0; r < 30; r++)
    g_assert_cmpint (vs_column_get_int64 (vs_dataset_get_column_by_name (st, "label"), r), ==, r % 3);
}

static void
test_overrides_and_swap (void)
{
  g_autoptr(VsDataset) ds = make_table (20, "Pq", "anchor", "positive");
  g_autoptr(VsCaseInfo) info = detect (ds);
  VsRoleOverride swap[] = { { "positive", VS_ROLE_ANCHOR }, { "anchor", VS_ROLE_POSITIVE } };
  g_autoptr(VsCaseInfo) fixed = NULL;
  g_autoptr(GError) error = NULL;
  VsRoleOverride bad[] = { { "nope", VS_ROLE_LABEL } };

  /* Anchors are long passages, positives short queries: flagged. */
  g_assert_cmpint (info->case_number, ==, 2);
  g_assert_true (info->swapped_anchor_positive);
  g_assert_nonnull (strstr (info->swap_evidence, "swapped"));

  fixed = vs_dataset_detect_case (ds, swap, G_N_ELEMENTS (swap), &error);
  g_assert_no_error (error);
  assert_inputs (fixed, "positive", "anchor", NULL);
  g_assert_false (fixed->swapped_anchor_positive);

  g_assert_null (vs_dataset_detect_case (ds, bad, 1, &error));
  g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  {
    /* Label override to a column detection would not pick; ignore a text. */
    g_autoptr(VsDataset) d2 = make_table (20, "sss", "a", "b", "c");
    VsColumn *grade = vs_dataset_add_column (d2, "grade", VS_COLUMN_INT64, NULL);
    VsRoleOverride ov[] = { { "grade", VS_ROLE_LABEL }, { "c", VS_ROLE_IGNORE } };
    g_autoptr(VsCaseInfo) i2 = NULL;

    for (guint r = 0; r < 20; r++)
      vs_column_append_int64 (grade, r);   /* 20 distinct values: not auto-detected */
    i2 = vs_dataset_detect_case (d2, ov, G_N_ELEMENTS (ov), &error);
    g_assert_no_error (error);
    g_assert_cmpint (i2->case_number, ==, 1);
    g_assert_cmpstr (i2->label_column, ==, "grade");
    assert_inputs (i2, "a", "b", NULL);
  }
}

static void
test_label_names (void)
{
  /* ST's rule: "label" before "score"; "score" is a float even if integral. */
  g_autoptr(VsDataset) ds = make_table (12, "ss", "s1", "s2");
  VsColumn *score = vs_dataset_add_column (ds, "score", VS_COLUMN_INT64, NULL);
  g_autoptr(VsCaseInfo) info = NULL;

  for (guint r = 0; r < 12; r++)
    vs_column_append_int64 (score, r % 6);
  info = detect (ds);
  g_assert_cmpint (info->case_number, ==, 1);
  g_assert_cmpint (info->label_kind, ==, VS_LABEL_FLOAT);
  g_assert_cmpfloat (info->label_max, ==, 5);
}

static void
test_without_label (void)
{
  /* anchor, positive, score: case 1 as sentence-transformers' collator
   * reads it; without a label, a positive pair (case 2). An integer column
   * detection would take next (few values) is passed over too. */
  g_autoptr(VsDataset) ds = make_table (20, "ss", "anchor", "positive");
  VsColumn *score = vs_dataset_add_column (ds, "score", VS_COLUMN_FLOAT64, NULL);
  VsColumn *stars = vs_dataset_add_column (ds, "stars", VS_COLUMN_INT64, NULL);
  g_autoptr(VsCaseInfo) with = NULL;
  g_autoptr(VsCaseInfo) without = NULL;
  g_autoptr(VsCaseInfo) ignored = NULL;
  g_autoptr(VsCaseInfo) swapped = NULL;
  g_autoptr(VsDataset) st = NULL;
  g_autoptr(GError) error = NULL;
  VsRoleOverride ignore_score[] = { { "score", VS_ROLE_IGNORE } };
  VsRoleOverride swap[] = { { "positive", VS_ROLE_ANCHOR }, { "anchor", VS_ROLE_POSITIVE } };

  for (guint r = 0; r < 20; r++)
    {
      vs_column_append_double (score, r / 20.0);
      vs_column_append_int64 (stars, r % 5);
    }
  g_assert_true (vs_dataset_seal (ds, &error));
  g_assert_no_error (error);

  with = detect (ds);
  g_assert_cmpint (with->case_number, ==, 1);
  g_assert_cmpstr (with->label_column, ==, "score");

  /* Ignoring "score" alone leaves "stars" (5 integer values) as the label. */
  ignored = vs_dataset_detect_case (ds, ignore_score, G_N_ELEMENTS (ignore_score), &error);
  g_assert_no_error (error);
  g_assert_cmpint (ignored->case_number, ==, 1);
  g_assert_cmpstr (ignored->label_column, ==, "stars");

  without = vs_dataset_detect_case_without_label (ds, NULL, 0, &error);
  g_assert_no_error (error);
  g_test_message ("case %d: %s", without->case_number, without->evidence);
  g_assert_cmpint (without->case_number, ==, 2);
  g_assert_null (without->label_column);
  g_assert_cmpint (without->label_kind, ==, VS_LABEL_NONE);
  assert_inputs (without, "anchor", "positive", NULL);
  g_assert_true (find_loss (without, "MultipleNegativesRankingLoss", NULL)->compatible);
  st = vs_dataset_apply_case (ds, without, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_columns (st), ==, 2);
  g_assert_cmpint (vs_dataset_find_column (st, "label"), <, 0);

  /* Overrides still apply. */
  swapped = vs_dataset_detect_case_without_label (ds, swap, G_N_ELEMENTS (swap), &error);
  g_assert_no_error (error);
  g_assert_cmpint (swapped->case_number, ==, 2);
  assert_inputs (swapped, "positive", "anchor", NULL);
}

static void
test_role_names (void)
{
  static const struct { const char *name; VsColumnRole role; } names[] = {
    { "anchor", VS_ROLE_ANCHOR }, { "sentence", VS_ROLE_ANCHOR }, { "positive", VS_ROLE_POSITIVE },
    { "negative", VS_ROLE_NEGATIVE }, { "label", VS_ROLE_LABEL }, { "ignore", VS_ROLE_IGNORE },
  };
  VsColumnRole role = VS_ROLE_AUTO;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (vs_column_role_from_string (names[i].name, &role));
      g_assert_cmpint (role, ==, names[i].role);
      if (strcmp (names[i].name, "sentence") != 0)
        g_assert_cmpstr (vs_column_role_to_string (role), ==, names[i].name);
    }
  g_assert_false (vs_column_role_from_string ("auto", &role));
  g_assert_false (vs_column_role_from_string ("Anchor", &role));
  g_assert_false (vs_column_role_from_string (NULL, &role));
  g_assert_cmpstr (vs_column_role_to_string (VS_ROLE_AUTO), ==, "auto");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/case/stsb", test_stsb);
  g_test_add_func ("/case/paws", test_paws);
  g_test_add_func ("/case/snli", test_snli);
  g_test_add_func ("/case/banking77", test_banking77);
  g_test_add_func ("/case/triplets", test_triplets);
  g_test_add_func ("/case/n-negatives", test_n_negatives);
  g_test_add_func ("/case/no-case", test_no_case);
  g_test_add_func ("/case/int-classes", test_int_classes);
  g_test_add_func ("/case/overrides-swap", test_overrides_and_swap);
  g_test_add_func ("/case/label-names", test_label_names);
  g_test_add_func ("/case/without-label", test_without_label);
  g_test_add_func ("/case/role-names", test_role_names);
  return g_test_run ();
}
