/* test-dataset-page.c: the Dataset page in the real window, under Xvfb.
 *
 * Drives the page as a user would (open a file, pick a role in a
 * drop-down) and reads what it shows: the demo's dataset is case 1; the
 * real datasets of $VS_SHARED_DATA/datasets show the case the engine's
 * `vectorsmith-cli inspect` reports for them; ignoring the label column
 * changes the case and writes train.roles/columns/label; a broken file
 * shows the engine's message in the banner and the previous dataset stays;
 * a million rows scroll end to end. Every state is saved as a screenshot.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <adwaita.h>

#include "vs-application.h"
#include "vs-dataset-page.h"
#include "vs-window.h"

#include "vs-gui-test.h"

typedef struct
{
  VsDatasetPage *page;
  VsProject     *project;
  GtkWidget     *window;
} Fixture;

static const char *fake_hub_path;

static gboolean
page_is_idle (gpointer data)
{
  Fixture *f = data;

  return !vs_dataset_page_get_busy (f->page) && vs_project_get_case_info (f->project) != NULL;
}

static gboolean
page_is_done_mining (gpointer data)
{
  Fixture *f = data;

  return !vs_dataset_page_get_mining (f->page) && page_is_idle (f) &&
         vs_project_get_case_info (f->project)->case_number != 2;
}

/* The first time the page says how much it read ("Reading the rows…
 * 196.6 kB read"), the test clicks Cancel right there. */
static void
on_loading_text (GtkLabel   *label,
                 GParamSpec *pspec,
                 gpointer    data)
{
  Fixture *f = data;
  gboolean *cancelled = g_object_get_data (G_OBJECT (label), "cancelled-while-reading");

  /* Only the byte counts have digits ("Reading the rows… 196.6 kB read"). */
  if (*cancelled || strpbrk (gtk_label_get_text (label), "0123456789") == NULL)
    return;
  *cancelled = TRUE;
  g_signal_emit_by_name (vs_dataset_page_get_cancel_button (f->page), "clicked");
}

typedef struct
{
  const char *path;
  int         fd;
} Pipe;

/* Opens the pipe for writing once somebody reads it (ENXIO until then). */
static gboolean
pipe_has_reader (gpointer data)
{
  Pipe *pipe = data;

  pipe->fd = open (pipe->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (pipe->fd < 0 && errno != ENXIO)
    g_error ("%s: %s", pipe->path, g_strerror (errno));
  return pipe->fd >= 0;
}

/* Writes it all, letting the main loop run while the pipe is full; stops
 * early when the reader went away. */
static void
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      /* The reader closed its end: the load stopped (cancelled). */
      if (n < 0 && errno == EPIPE)
        return;
      if (n < 0 && errno != EAGAIN)
        g_error ("writing the pipe: %s", g_strerror (errno));
      if (n < 0)
        {
          g_main_context_iteration (NULL, FALSE);
          continue;
        }
      data += n;
      len -= (gsize) n;
    }
}

static gboolean
page_is_counted (gpointer data)
{
  Fixture *f = data;

  return !vs_dataset_page_get_counting (f->page);
}

static gboolean
page_is_idle_with_banner (gpointer data)
{
  Fixture *f = data;

  return !vs_dataset_page_get_busy (f->page) && vs_dataset_page_get_banner_shown (f->page);
}

static void
screenshot (Fixture    *f,
            const char *name)
{
  g_autofree char *path = vs_gui_screenshot_path (name);

  /* The final state, with the token counts in. */
  vs_gui_wait_for (page_is_counted, f, "the tokens to be counted");
  vs_gui_save_screenshot (f->window, path);
}

static const char *
case_text (Fixture *f)
{
  return gtk_label_get_text (vs_dataset_page_get_case_label (f->page));
}

static void
open_and_wait (Fixture    *f,
               const char *path)
{
  vs_dataset_page_open_path (f->page, path, NULL);
  g_assert_true (vs_dataset_page_get_busy (f->page));
  vs_gui_wait_for (page_is_idle, f, path);
  g_assert_false (vs_dataset_page_get_banner_shown (f->page));
  g_assert_cmpstr (vs_dataset_ref_get_source (vs_project_get_dataset (f->project)), ==, path);
}

/* The same, the file dropped from the file manager. */
static void
drop_and_wait (Fixture    *f,
               const char *path)
{
  /* A dropped file arrives as a GFile: its path without "..". */
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);

  g_assert_true (vs_gui_drop_file (GTK_WIDGET (f->page), path));
  g_assert_true (vs_dataset_page_get_busy (f->page));
  vs_gui_wait_for (page_is_idle, f, path);
  g_assert_false (vs_dataset_page_get_banner_shown (f->page));
  g_assert_cmpstr (vs_dataset_ref_get_source (vs_project_get_dataset (f->project)), ==, canonical);
}

static gboolean
adjustment_is_scrollable (gpointer data)
{
  GtkAdjustment *adj = data;

  return gtk_adjustment_get_upper (adj) > gtk_adjustment_get_page_size (adj) * 100;
}

static VsDatasetRef *
million_rows (void)
{
  g_autoptr(GError) error = NULL;
  VsDataset *ds = vs_dataset_new ();
  VsColumn *a = vs_dataset_add_column (ds, "sentence1", VS_COLUMN_STRING, &error);
  VsColumn *b = vs_dataset_add_column (ds, "sentence2", VS_COLUMN_STRING, &error);
  VsColumn *s = vs_dataset_add_column (ds, "score", VS_COLUMN_FLOAT64, &error);

  g_assert_no_error (error);
  for (gsize i = 0; i < 1000000; i++)
    {
      char buf[64];

      g_snprintf (buf, sizeof buf, "first sentence of row %" G_GSIZE_FORMAT, i);
      vs_column_append_string (a, buf);
      g_snprintf (buf, sizeof buf, "second sentence of row %" G_GSIZE_FORMAT, i);
      vs_column_append_string (b, buf);
      vs_column_append_double (s, (double) (i % 6));
    }
  g_assert_true (vs_dataset_seal (ds, &error));
  return vs_dataset_ref_new (ds, "memory", NULL);
}

static void
test_dataset_page (void)
{
  g_autoptr(VsApplication) app = vs_application_new ();
  g_autoptr(GError) error = NULL;
  const char *shared = g_getenv ("VS_SHARED_DATA");
  static const struct { const char *file; int case_number; const char *shot; } datasets[] = {
    { "stsb/sts-train.images+track5.csv", 1, "dataset-stsb" },
    { "triplets/snli_dev_triplets.parquet", 4, "dataset-triplets" },
    { "banking77/test.csv", 3, "dataset-banking77" },
    { "paws/paws_wiki_labeled_final_dev.first1000.tsv", 1, "dataset-paws" },
  };
  AdwViewStack *stack;
  Fixture f = { 0 };

  g_assert_nonnull (shared);
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_settings_set (vs_application_get_settings (app), "window-size", "(ii)", 1200, 760);
  g_application_activate (G_APPLICATION (app));

  f.window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (VS_IS_WINDOW (f.window));
  vs_gui_wait_for (vs_gui_widget_is_mapped, f.window, "the main window to be mapped");
  stack = vs_window_get_stack (VS_WINDOW (f.window));
  adw_view_stack_set_visible_child_name (stack, "dataset");
  f.page = VS_DATASET_PAGE (adw_view_stack_get_child_by_name (stack, "dataset"));
  f.project = vs_window_get_project (VS_WINDOW (f.window));

  /* The demo project's dataset: case 1, a float score. */
  vs_gui_wait_for (page_is_idle, &f, "the demo dataset to load");
  g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 1);
  g_assert_true (g_str_has_prefix (case_text (&f), "Case 1"));
  g_assert_cmpstr (vs_project_get_case_info (f.project)->label_column, ==, "score");
  g_assert_nonnull (strstr (gtk_label_get_text (vs_dataset_page_get_evidence_label (f.page)), "score"));
  g_assert_nonnull (strstr (gtk_label_get_text (vs_dataset_page_get_label_info_label (f.page)), "float"));
  g_assert_false (vs_project_get_dirty (f.project));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_column_view_get_columns (vs_dataset_page_get_column_view (f.page))), ==, 3);
  /* The Model page may or may not have loaded the demo's model by now: the
   * length label says which (no model, counting, or a count). */
  g_assert_cmpstr (gtk_label_get_text (vs_dataset_page_get_length_label (f.page)), !=, "");
  screenshot (&f, "dataset-demo");

  /* "label": null in the recipe: the case is detected without the score,
   * as the trainer does (case 2), and back with it. */
  {
    const char *columns[] = { "sentence1", "sentence2", NULL };

    vs_project_set (f.project, "train.label", cJSON_CreateNull ());
    vs_gui_wait_for (page_is_idle, &f, "the case without a label");
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 2);
    g_assert_true (g_str_has_prefix (case_text (&f), "Case 2"));
    vs_project_begin_edit (f.project);
    vs_project_set_string (f.project, "train.label", "score");
    vs_project_set_strv (f.project, "train.columns", columns);
    vs_project_end_edit (f.project);
    vs_gui_wait_for (page_is_idle, &f, "the case with the score again");
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 1);
  }

  /* With a model: the rows longer than the recipe's max_seq_length (64),
   * counted here with the tokenizer directly. */
  {
    g_autofree char *recipe = vs_window_find_demo_recipe ();
    g_autofree char *demo_dir = g_path_get_dirname (recipe);
    g_autofree char *tok_dir = g_build_filename (demo_dir, "tokenizer", NULL);
    VsModel *model = vs_model_new_from_preset ("bert", "tiny", tok_dir, NULL, 0, NULL, FALSE, 42, &error);
    g_autoptr(VsModelRef) ref = NULL;
    const VsDataset *ds = vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project));
    VsTokenizer *tok;
    g_autofree char *expected = NULL;
    gsize over = 0, over16 = 0;

    g_assert_no_error (error);
    tok = vs_model_get_tokenizer (model);
    for (gsize r = 0; r < vs_dataset_get_n_rows (ds); r++)
      {
        gsize longest = 0;

        for (guint c = 0; c < 2; c++)
          {
            const char *name = c == 0 ? "sentence1" : "sentence2";
            g_autoptr(VsEncoding) enc = vs_tokenizer_encode (tok, vs_column_get_string (vs_dataset_get_column_by_name (ds, name), r),
                                                             NULL, TRUE, G_MAXSIZE);
            longest = MAX (longest, enc->n_tokens);
          }
        if (longest > 64)
          over++;
        if (longest > 16)
          over16++;
      }
    ref = vs_model_ref_new (model, NULL, NULL);
    vs_project_set_model (f.project, ref);
    g_assert_true (vs_dataset_page_get_counting (f.page));
    vs_gui_wait_for (page_is_counted, &f, "the tokens to be counted");
    expected = g_strdup_printf ("%zu of 1000 rows are longer than the model's 64 tokens and will be truncated", over);
    g_assert_cmpstr (gtk_label_get_text (vs_dataset_page_get_length_label (f.page)), ==, expected);
    g_assert_cmpuint (vs_histogram_get_n_bins (vs_dataset_page_get_histogram (f.page)), >, 0);
    g_assert_nonnull (strstr (vs_histogram_get_summary (vs_dataset_page_get_histogram (f.page)), expected));
    g_test_message ("%s", expected);

    /* A shorter max_seq_length in the recipe: counted again against it. */
    g_assert_cmpuint (over16, >, 0);
    vs_project_set_int (f.project, "args.max_seq_length", 16);
    g_assert_true (vs_dataset_page_get_counting (f.page));
    vs_gui_wait_for (page_is_counted, &f, "the tokens to be counted again");
    g_free (expected);
    expected = g_strdup_printf ("%zu of 1000 rows are longer than the model's 16 tokens and will be truncated", over16);
    g_assert_cmpstr (gtk_label_get_text (vs_dataset_page_get_length_label (f.page)), ==, expected);
    g_test_message ("%s", expected);
    screenshot (&f, "dataset-demo-token-lengths");
  }

  /* Ignoring the score leaves a positive pair: case 2, no label. The
   * project says so for the CLI. */
  {
    GtkDropDown *dd = vs_dataset_page_get_role_dropdown (f.page, "score");
    const cJSON *roles, *label;
    g_auto(GStrv) columns = NULL;

    g_assert_nonnull (dd);
    g_assert_cmpuint (gtk_drop_down_get_selected (dd), ==, 0);
    gtk_drop_down_set_selected (dd, 6);   /* Ignore */
    g_assert_true (vs_dataset_page_get_busy (f.page));
    vs_gui_wait_for (page_is_idle, &f, "the case to be detected again");
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 2);
    g_assert_true (g_str_has_prefix (case_text (&f), "Case 2"));
    roles = vs_project_get (f.project, "train.roles");
    g_assert_true (cJSON_IsObject (roles));
    g_assert_cmpint (cJSON_GetArraySize (roles), ==, 1);
    g_assert_cmpstr (vs_project_get_string (f.project, "train.roles.score"), ==, "ignore");
    columns = vs_project_dup_strv (f.project, "train.columns");
    g_assert_nonnull (columns);
    g_assert_cmpuint (g_strv_length (columns), ==, 2);
    g_assert_cmpstr (columns[0], ==, "sentence1");
    g_assert_cmpstr (columns[1], ==, "sentence2");
    label = vs_project_get (f.project, "train.label");
    g_assert_true (cJSON_IsNull (label));
    g_assert_cmpuint (gtk_drop_down_get_selected (dd), ==, 6);
    screenshot (&f, "dataset-demo-score-ignored");

    /* Back to Automatic: case 1 again, the label is the score again. */
    gtk_drop_down_set_selected (dd, 0);
    vs_gui_wait_for (page_is_idle, &f, "the case to be detected again");
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 1);
    g_assert_null (vs_project_get (f.project, "train.roles"));
    g_assert_cmpstr (vs_project_get_string (f.project, "train.label"), ==, "score");
  }

  /* Mining hard negatives from the positive pairs with the loaded model:
   * the triplets are saved, opened, and the engine calls them case 4. */
  {
    g_autofree char *dir = g_dir_make_tmp ("vs-dataset-mine-XXXXXX", &error);
    g_autofree char *out = g_build_filename (dir, "mined.jsonl", NULL);

    g_assert_no_error (error);
    vs_dataset_page_set_column_role (f.page, "score", 6);
    vs_gui_wait_for (page_is_idle, &f, "the pairs to be detected");
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 2);
    vs_dataset_page_mine_to (f.page, out);
    g_assert_true (vs_dataset_page_get_mining (f.page));
    screenshot (&f, "dataset-mining");
    vs_gui_wait_for (page_is_done_mining, &f, "the negatives to be mined");
    g_assert_false (vs_dataset_page_get_banner_shown (f.page));
    g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpstr (vs_project_get_string (f.project, "train.path"), ==, out);
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 4);
    g_assert_true (g_str_has_prefix (case_text (&f), "Case 4"));
    g_assert_nonnull (vs_dataset_get_column_by_name (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project)), "negative"));
    screenshot (&f, "dataset-mined-triplets");
    g_unlink (out);
    g_rmdir (dir);
  }

  /* The real datasets show the case the engine finds for them. */
  for (guint i = 0; i < G_N_ELEMENTS (datasets); i++)
    {
      g_autofree char *relative = g_build_filename (shared, "datasets", datasets[i].file, NULL);
      /* Without "..": a dropped file arrives as a GFile, which has none. */
      g_autofree char *path = g_canonicalize_filename (relative, NULL);
      g_autofree char *expected = g_strdup_printf ("Case %d", datasets[i].case_number);

      /* Every other one dropped from the file manager instead of opened. */
      if (i % 2 == 0)
        open_and_wait (&f, path);
      else
        drop_and_wait (&f, path);
      g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, datasets[i].case_number);
      g_assert_true (g_str_has_prefix (case_text (&f), expected));
      g_assert_cmpstr (vs_project_get_string (f.project, "train.path"), ==, path);
      g_assert_null (vs_project_get (f.project, "train.columns"));
      g_assert_null (vs_project_get (f.project, "train.roles"));
      g_test_message ("%s: %s — %s", datasets[i].file, case_text (&f),
                      gtk_label_get_text (vs_dataset_page_get_evidence_label (f.page)));
      screenshot (&f, datasets[i].shot);
    }
  /* paws: a binary 0/1 label. */
  g_assert_cmpint (vs_project_get_case_info (f.project)->label_kind, ==, VS_LABEL_BINARY);
  g_assert_nonnull (strstr (gtk_label_get_text (vs_dataset_page_get_label_info_label (f.page)), "binary 0/1"));

  /* Recent datasets, newest first. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_auto(GStrv) recent = g_settings_get_strv (settings, "recent-datasets");

    /* The four, and the mined triplets before them. */
    g_assert_cmpuint (g_strv_length (recent), ==, G_N_ELEMENTS (datasets) + 1);
    g_assert_true (g_str_has_suffix (recent[G_N_ELEMENTS (datasets)], "mined.jsonl"));
    g_assert_true (g_str_has_suffix (recent[0], datasets[G_N_ELEMENTS (datasets) - 1].file));
  }

  /* A file dropped on the page opens like one chosen (the GtkDropTarget's
   * own "drop" signal, as GTK emits it for a drag from the file manager). */
  {
    g_autofree char *path = g_build_filename (shared, "datasets", datasets[3].file, NULL);
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f.page));
    g_autoptr(GFile) file = g_file_new_for_path (path);
    GtkDropTarget *target = NULL;
    GValue value = G_VALUE_INIT;
    gboolean accepted = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GObject) c = g_list_model_get_item (controllers, i);
        if (GTK_IS_DROP_TARGET (c))
          target = GTK_DROP_TARGET (c);
      }
    g_assert_nonnull (target);
    g_value_init (&value, G_TYPE_FILE);
    g_value_set_object (&value, file);
    /* Something else first, so the drop is what loads paws again. */
    {
      g_autofree char *other = g_build_filename (shared, "datasets", datasets[2].file, NULL);
      open_and_wait (&f, other);
    }
    g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
    g_value_unset (&value);
    g_assert_true (accepted);
    vs_gui_wait_for (page_is_idle, &f, "the dropped file to load");
    {
      g_autofree char *canonical = g_file_get_path (file);
      g_assert_cmpstr (vs_dataset_ref_get_source (vs_project_get_dataset (f.project)), ==, canonical);
    }
    g_assert_cmpint (vs_project_get_case_info (f.project)->label_kind, ==, VS_LABEL_BINARY);
  }

  /* A folder with two splits: the engine's splits in the drop-down, the
   * other one loads; then a row limit, the seed and a held-out share. */
  {
    g_autofree char *recipe = vs_window_find_demo_recipe ();
    g_autofree char *demo_dir = g_path_get_dirname (recipe);
    g_autofree char *csv = g_build_filename (demo_dir, "stsb-train.csv", NULL);
    g_autofree char *text = NULL;
    g_autofree char *dir = g_dir_make_tmp ("vs-dataset-split-XXXXXX", &error);
    g_autofree char *train = g_build_filename (dir, "train.csv", NULL);
    g_autofree char *test = g_build_filename (dir, "test.csv", NULL);
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) splits = NULL;
    g_autofree char *train_text = NULL;
    g_autofree char *test_text = NULL;
    GtkDropDown *split_dd = vs_dataset_page_get_split_dropdown (f.page);
    GListModel *split_model;
    guint test_index = G_MAXUINT;

    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
    lines = g_strsplit (text, "\n", 20);
    train_text = g_strjoin ("\n", lines[0], lines[1], lines[2], lines[3], lines[4], lines[5],
                            lines[6], lines[7], lines[8], lines[9], lines[10], "", NULL);
    test_text = g_strjoin ("\n", lines[0], lines[11], lines[12], lines[13], lines[14], lines[15], "", NULL);
    g_assert_true (g_file_set_contents (train, train_text, -1, &error));
    g_assert_true (g_file_set_contents (test, test_text, -1, &error));
    splits = vs_dataset_list_splits (dir, &error);
    g_assert_no_error (error);

    open_and_wait (&f, dir);
    g_assert_cmpuint (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==, 10);
    split_model = gtk_drop_down_get_model (split_dd);
    g_assert_cmpuint (g_list_model_get_n_items (split_model), ==, g_strv_length (splits));
    for (guint i = 0; i < g_list_model_get_n_items (split_model); i++)
      {
        g_autoptr(GtkStringObject) item = g_list_model_get_item (split_model, i);

        g_assert_cmpstr (gtk_string_object_get_string (item), ==, splits[i]);
        if (g_strcmp0 (splits[i], "test") == 0)
          test_index = i;
      }
    g_assert_cmpuint (test_index, !=, G_MAXUINT);
    g_assert_true (gtk_widget_get_visible (gtk_widget_get_ancestor (GTK_WIDGET (split_dd), ADW_TYPE_ACTION_ROW)));
    screenshot (&f, "dataset-folder-splits");
    gtk_drop_down_set_selected (split_dd, test_index);
    g_assert_cmpstr (vs_project_get_string (f.project, "train.split"), ==, "test");
    vs_gui_wait_for (page_is_idle, &f, "the test split to load");
    g_assert_cmpuint (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==, 5);
    g_assert_cmpstr (vs_dataset_ref_get_split (vs_project_get_dataset (f.project)), ==, "test");

    gtk_spin_button_set_value (vs_dataset_page_get_limit_spin (f.page), 3);
    g_assert_cmpint (vs_project_get_int (f.project, "train.limit", 0), ==, 3);
    vs_gui_wait_for (page_is_idle, &f, "the limited rows to load");
    g_assert_cmpuint (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==, 3);
    gtk_spin_button_set_value (vs_dataset_page_get_limit_spin (f.page), 0);
    g_assert_null (vs_project_get (f.project, "train.limit"));
    vs_gui_wait_for (page_is_idle, &f, "all rows to load again");
    g_assert_cmpuint (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==, 5);

    gtk_spin_button_set_value (vs_dataset_page_get_seed_spin (f.page), 7);
    g_assert_cmpint (vs_project_get_int (f.project, "args.seed", 0), ==, 7);
    gtk_spin_button_set_value (vs_dataset_page_get_ratio_spin (f.page), 0.2);
    g_assert_cmpfloat_with_epsilon (vs_project_get_double (f.project, "eval.split_ratio", 0), 0.2, 1e-9);
    g_assert_null (vs_project_get (f.project, "eval.path"));
    gtk_widget_grab_focus (GTK_WIDGET (vs_dataset_page_get_ratio_spin (f.page)));
    screenshot (&f, "dataset-training-data");
    gtk_spin_button_set_value (vs_dataset_page_get_ratio_spin (f.page), 0);
    g_assert_null (vs_project_get (f.project, "eval"));

    g_unlink (train);
    g_unlink (test);
    g_rmdir (dir);
  }

  /* Cancel: the page keeps what it shows, the result is dropped (the next
   * open shows its own table, whatever order the workers finish in). */
  {
    g_autofree char *first = g_build_filename (shared, "datasets", datasets[1].file, NULL);
    g_autofree char *second = g_build_filename (shared, "datasets", datasets[2].file, NULL);
    VsDatasetRef *before = vs_project_get_dataset (f.project);

    vs_dataset_page_open_path (f.page, first, NULL);
    g_assert_true (vs_dataset_page_get_busy (f.page));
    g_assert_true (gtk_widget_is_visible (GTK_WIDGET (vs_dataset_page_get_cancel_button (f.page))));
    /* (No screenshot here: drawing runs the main loop, which would deliver
     * the load before the click; dataset-mining shows the spinner.) */
    g_signal_emit_by_name (vs_dataset_page_get_cancel_button (f.page), "clicked");
    g_assert_false (vs_dataset_page_get_busy (f.page));
    g_assert_true (vs_project_get_dataset (f.project) == before);
    open_and_wait (&f, second);
    g_assert_cmpint (vs_project_get_case_info (f.project)->case_number, ==, 3);
  }

  /* A slow source (a pipe the test feeds, as a slow network folder would
   * be): the page says how much it has read, and Cancel stops the reading
   * itself, at the next rows the engine reads — no timing involved. */
  {
    g_autofree char *dir = g_dir_make_tmp ("vs-dataset-pipe-XXXXXX", &error);
    g_autofree char *path = g_build_filename (dir, "slow.csv", NULL);
    GString *csv = g_string_new ("anchor,positive\n");
    VsDatasetRef *before = vs_project_get_dataset (f.project);
    gboolean cancelled_while_reading = FALSE;
    gulong handler;
    Pipe pipe = { path, -1 };

    g_assert_no_error (error);
    g_assert_cmpint (mkfifo (path, 0600), ==, 0);
    signal (SIGPIPE, SIG_IGN);
    /* Two ticks of the reader (4096 rows each) and a little more. */
    for (guint i = 0; i < 9000; i++)
      g_string_append_printf (csv, "what is in box %u,box %u holds item %u\n", i, i, i * 7);

    g_object_set_data (G_OBJECT (vs_dataset_page_get_loading_label (f.page)), "cancelled-while-reading",
                       &cancelled_while_reading);
    handler = g_signal_connect (vs_dataset_page_get_loading_label (f.page), "notify::label",
                                G_CALLBACK (on_loading_text), &f);
    vs_dataset_page_open_path (f.page, path, NULL);
    /* The worker opens the pipe for reading; then the test can write. */
    vs_gui_wait_for (pipe_has_reader, &pipe, "the page to open the pipe");
    write_all (pipe.fd, csv->str, csv->len);
    g_string_free (csv, TRUE);
    /* The reader now waits for more: the page reports what it read. */
    vs_gui_wait_for_flag (&cancelled_while_reading, "the page to say how much it read");
    g_signal_handler_disconnect (vs_dataset_page_get_loading_label (f.page), handler);
    g_assert_false (vs_dataset_page_get_busy (f.page));
    g_assert_true (vs_project_get_dataset (f.project) == before);
    /* The end of the pipe lets the reader reach its next check, which stops. */
    close (pipe.fd);
    g_unlink (path);
    g_rmdir (dir);
  }

  /* Long anchors, short positives: the engine suspects a swap; Swap
   * exchanges the two roles and the case is detected again. */
  {
    g_autofree char *dir = g_dir_make_tmp ("vs-dataset-swap-XXXXXX", &error);
    g_autofree char *path = g_build_filename (dir, "swapped.csv", NULL);
    GString *csv = g_string_new ("first,second\n");
    const VsCaseInfo *info;

    g_assert_no_error (error);
    for (guint i = 0; i < 20; i++)
      g_string_append_printf (csv, "\"Passage %u is a long paragraph of text that goes on and on about many things, "
                                   "far longer than any query would be.\",what is passage %u\n", i, i);
    g_assert_true (g_file_set_contents (path, csv->str, -1, &error));
    g_string_free (csv, TRUE);

    open_and_wait (&f, path);
    info = vs_project_get_case_info (f.project);
    g_assert_cmpint (info->case_number, ==, 2);
    g_assert_true (info->swapped_anchor_positive);
    g_assert_cmpstr (info->inputs[0], ==, "first");
    g_assert_true (gtk_widget_is_visible (GTK_WIDGET (vs_dataset_page_get_swap_button (f.page))));
    g_assert_cmpstr (gtk_label_get_text (vs_dataset_page_get_swap_label (f.page)), ==, info->swap_evidence);
    screenshot (&f, "dataset-swap-suggested");
    g_signal_emit_by_name (vs_dataset_page_get_swap_button (f.page), "clicked");
    vs_gui_wait_for (page_is_idle, &f, "the swapped case");
    info = vs_project_get_case_info (f.project);
    g_assert_cmpstr (info->inputs[0], ==, "second");
    g_assert_cmpstr (info->inputs[1], ==, "first");
    g_assert_false (info->swapped_anchor_positive);
    g_assert_cmpstr (vs_project_get_string (f.project, "train.roles.second"), ==, "anchor");
    g_assert_cmpstr (vs_project_get_string (f.project, "train.roles.first"), ==, "positive");
    {
      g_auto(GStrv) columns = vs_project_dup_strv (f.project, "train.columns");
      g_assert_cmpstr (columns[0], ==, "second");
      g_assert_cmpstr (columns[1], ==, "first");
    }
    g_assert_false (gtk_widget_is_visible (GTK_WIDGET (vs_dataset_page_get_swap_button (f.page))));
    screenshot (&f, "dataset-swapped");
    {
      g_autofree char *dark = vs_gui_screenshot_path ("dataset-swapped-dark");
      vs_gui_save_screenshot_dark (f.window, dark);
    }
    g_unlink (path);
    g_rmdir (dir);
  }

  /* A broken file: the engine's message in the banner, the table before stays. */
  {
    g_autofree char *dir = g_dir_make_tmp ("vs-dataset-page-XXXXXX", &error);
    g_autofree char *broken = g_build_filename (dir, "broken.jsonl", NULL);
    VsDatasetRef *before = vs_project_get_dataset (f.project);
    const char *message;

    g_assert_no_error (error);
    g_assert_true (g_file_set_contents (broken, "{\"text\": \"fine\", \"label\": 1}\n{\"text\": \"broken\n", -1, &error));
    vs_dataset_page_open_path (f.page, broken, NULL);
    vs_gui_wait_for (page_is_idle_with_banner, &f, "the error banner");
    message = gtk_label_get_text (vs_dataset_page_get_banner_label (f.page));
    g_test_message ("banner: %s", message);
    g_assert_nonnull (strstr (message, "broken.jsonl"));
    g_assert_true (vs_project_get_dataset (f.project) == before);
    g_assert_true (g_str_has_prefix (case_text (&f), "Case 2"));
    screenshot (&f, "dataset-broken-file");
    g_unlink (broken);
    g_rmdir (dir);
  }

  /* A million rows, scrolled end to end. */
  {
    g_autoptr(VsDatasetRef) big = million_rows ();
    GtkColumnView *view = vs_dataset_page_get_column_view (f.page);
    GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
    gint64 start;

    vs_project_set_dataset (f.project, big);
    vs_project_set_case_info (f.project, vs_dataset_detect_case (vs_dataset_ref_get_dataset (big), NULL, 0, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (view))), ==, 1000000);
    vs_gui_wait_for (adjustment_is_scrollable, adj, "the million rows to be laid out");
    vs_gui_wait_for_frame (GTK_WIDGET (view));

    start = g_get_monotonic_time ();
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
    vs_gui_wait_for_frame (GTK_WIDGET (view));
    g_test_message ("scrolled 1,000,000 rows to the end in %.1f ms",
                    (g_get_monotonic_time () - start) / 1000.0);
    g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, gtk_adjustment_get_upper (adj) / 2);
    screenshot (&f, "dataset-million-rows-end");

    start = g_get_monotonic_time ();
    gtk_adjustment_set_value (adj, 0);
    vs_gui_wait_for_frame (GTK_WIDGET (view));
    g_test_message ("scrolled back to the start in %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  }

  /* A Hub dataset id: the fake Hub (tests/hub/fake-hub.c) serves
   * testuser/tiny-dataset with a Parquet conversion (default/train and
   * default/test); the page pulls it into the cache, loads "train" and
   * offers both splits. */
  if (fake_hub_path != NULL)
    {
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;
      g_autofree char *tmp = g_dir_make_tmp ("vs-dataset-page-hub-XXXXXX", NULL);
      g_autofree char *hf_home = g_build_filename (tmp, "hf", NULL);
      g_autofree char *parquet = g_build_filename (shared, "parquet", "alltypes_plain.parquet", NULL);
      g_autoptr(VsDataset) expected = vs_dataset_load (parquet, NULL, &error);
      GtkDropDown *splits = vs_dataset_page_get_split_dropdown (f.page);
      char *sp;

      g_assert_no_error (error);
      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               fake_hub_path, "--parquet", parquet, NULL);
      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      sp = strchr (line, ' ');
      g_assert_nonnull (sp);
      *sp = '\0';
      g_setenv ("HF_ENDPOINT", line, TRUE);
      g_setenv ("HF_HOME", hf_home, TRUE);
      /* A canary: the page pulls with it, and no artefact may hold it. */
      g_setenv ("HF_TOKEN", "hf_test_write", TRUE);
      g_unsetenv ("HF_HUB_CACHE");

      gtk_editable_set_text (GTK_EDITABLE (vs_dataset_page_get_hub_entry (f.page)), "testuser/tiny-dataset");
      g_signal_emit_by_name (vs_dataset_page_get_hub_entry (f.page), "apply");
      g_assert_true (vs_dataset_page_get_busy (f.page));
      vs_gui_wait_for (page_is_idle, &f, "the Hub dataset to load");
      g_assert_false (vs_dataset_page_get_banner_shown (f.page));
      g_assert_cmpuint (vs_dataset_get_n_rows (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==,
                        vs_dataset_get_n_rows (expected));
      g_assert_cmpuint (vs_dataset_get_n_columns (vs_dataset_ref_get_dataset (vs_project_get_dataset (f.project))), ==,
                        vs_dataset_get_n_columns (expected));
      g_assert_cmpstr (vs_project_get_string (f.project, "train.path"), ==, "testuser/tiny-dataset");
      g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (splits)), ==, 2);
      screenshot (&f, "dataset-hub");

      /* A dataset the Hub does not have: the engine's words, the table kept. */
      {
        VsDatasetRef *before = vs_project_get_dataset (f.project);

        gtk_editable_set_text (GTK_EDITABLE (vs_dataset_page_get_hub_entry (f.page)), "testuser/no-such-dataset");
        g_signal_emit_by_name (vs_dataset_page_get_hub_entry (f.page), "apply");
        vs_gui_wait_for (page_is_idle_with_banner, &f, "the banner for a missing Hub dataset");
        g_test_message ("banner: %s", gtk_label_get_text (vs_dataset_page_get_banner_label (f.page)));
        g_assert_nonnull (strstr (gtk_label_get_text (vs_dataset_page_get_banner_label (f.page)), "no-such-dataset"));
        g_assert_true (vs_project_get_dataset (f.project) == before);
      }
      g_unsetenv ("HF_ENDPOINT");
      g_unsetenv ("HF_TOKEN");
      g_output_stream_close (g_subprocess_get_stdin_pipe (proc), NULL, NULL);
      g_subprocess_wait (proc, NULL, NULL);
      vs_gui_keep_artefacts ("dataset-page", "hub", tmp);
      vs_gui_keep_settings ("dataset-page", vs_application_get_settings (VS_APPLICATION (g_application_get_default ())));
    }

  /* A project without a dataset: the empty state, the old table gone. */
  g_assert_true (vs_project_load_from_data (f.project, "{\"model\": {\"new\": {\"architecture\": \"bert\", \"preset\": \"tiny\"}}, "
                                            "\"loss\": {\"name\": \"CoSENTLoss\"}}", NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (vs_project_get_dataset (f.project));
  g_assert_false (vs_dataset_page_get_busy (f.page));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (vs_dataset_page_get_column_view (f.page)))), ==, 0);
  screenshot (&f, "dataset-empty");

  gtk_window_destroy (GTK_WINDOW (f.window));
}

int
main (int argc,
      char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  /* The fake Hub's program, when meson passes it. */
  if (argc > 1)
    fake_hub_path = argv[1];
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_test_add_func ("/app/dataset-page", test_dataset_page);
  return g_test_run ();
}
