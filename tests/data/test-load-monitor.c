/* test-load-monitor.c: watching a dataset load from another thread.
 *
 * vs_dataset_load_monitored reports progress in bytes (monotone, ending at
 * the total size of the load's files on disk, as stat says) and stops soon
 * after its cancel flag is set, with VS_ERROR_CANCELLED naming the file —
 * for CSV, JSON Lines, Parquet and a split that spans several files.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "vs-error.h"

#include "test-common.h"

typedef struct
{
  gint     cancel;
  guint    calls;
  guint64  last_done;
  guint64  last_total;
  gboolean monotone;
  guint    cancel_after;   /* set cancel at this call (0 = never) */
} Watch;

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Watch *w = user_data;

  w->calls++;
  if (done < w->last_done || done > total || (w->last_total != 0 && total != w->last_total))
    w->monotone = FALSE;
  w->last_done = done;
  w->last_total = total;
  if (w->cancel_after != 0 && w->calls == w->cancel_after)
    g_atomic_int_set (&w->cancel, 1);
}

static guint64
size_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (guint64) st.st_size;
}

/* n rows of "sentence1,sentence2,score" (about 60 bytes each). */
static char *
write_csv (const char *name,
           guint       first,
           guint       n)
{
  g_autoptr(GString) text = g_string_new ("sentence1,sentence2,score\n");

  for (guint i = first; i < first + n; i++)
    g_string_append_printf (text, "a sentence numbered %u,another sentence numbered %u,%.2f\n",
                            i, i + 1, (i % 100) / 100.0);
  return test_write_temp (name, text->str, (gssize) text->len);
}

static void
assert_watched_to_the_end (const char *path,
                           guint64     total,
                           gsize       rows)
{
  Watch w = { .monotone = TRUE };
  VsLoadMonitor monitor = { &w.cancel, on_progress, &w };
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load_monitored (path, NULL, 0, &monitor, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, rows);
  g_assert_true (w.monotone);
  g_assert_cmpuint (w.last_total, ==, total);
  g_assert_cmpuint (w.last_done, ==, total);
  /* Progress while reading, not only at the end: a tick every 4096 rows. */
  g_assert_cmpuint (w.calls, >=, rows / 4096);
}

static void
assert_cancelled_early (const char *path,
                        guint       cancel_after)
{
  Watch w = { .monotone = TRUE, .cancel_after = cancel_after };
  VsLoadMonitor monitor = { &w.cancel, on_progress, &w };
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load_monitored (path, NULL, 0, &monitor, &error);

  g_assert_null (ds);
  g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
  g_assert_nonnull (strstr (error->message, path));
  /* It stopped at the next tick, long before the end of the file. */
  g_assert_cmpuint (w.calls, ==, cancel_after);
  g_assert_cmpuint (w.last_done, <, w.last_total / 2);
}

static void
test_csv (void)
{
  g_autofree char *path = write_csv ("pairs.csv", 0, 200000);

  assert_watched_to_the_end (path, size_of (path), 200000);
  assert_cancelled_early (path, 2);
  /* Without a monitor, the same rows. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VsDataset) ds = vs_dataset_load_monitored (path, NULL, 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (vs_dataset_get_n_rows (ds), ==, 200000);
  }
}

static void
test_jsonl (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (text, "{\"anchor\": \"query %u\", \"positive\": \"the passage that answers query %u\"}\n", i, i);
  path = test_write_temp ("pairs.jsonl", text->str, (gssize) text->len);
  assert_watched_to_the_end (path, size_of (path), 100000);
  assert_cancelled_early (path, 3);
}

static void
test_parquet (void)
{
  g_autofree char *path = test_shared_path ("parquet/alltypes_plain.parquet");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) plain = vs_dataset_load (path, NULL, &error);
  Watch w = { .monotone = TRUE };
  VsLoadMonitor monitor = { &w.cancel, on_progress, &w };

  g_assert_no_error (error);
  assert_watched_to_the_end (path, size_of (path), vs_dataset_get_n_rows (plain));

  /* Cancelled before it starts: the first column chunk is the last read. */
  g_atomic_int_set (&w.cancel, 1);
  {
    g_autoptr(VsDataset) ds = vs_dataset_load_monitored (path, NULL, 0, &monitor, &error);
    g_assert_null (ds);
    g_assert_error (error, VS_ERROR, VS_ERROR_CANCELLED);
    g_assert_cmpuint (w.calls, ==, 0);
  }
}

/* A split in two files: one total for both, progress runs across them. */
static void
test_sharded_split (void)
{
  g_autofree char *first = write_csv ("shards/train-00000-of-00002.csv", 0, 30000);
  g_autofree char *second = write_csv ("shards/train-00001-of-00002.csv", 30000, 30000);
  g_autofree char *dir = g_path_get_dirname (first);

  assert_watched_to_the_end (dir, size_of (first) + size_of (second), 60000);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/data/load-monitor/csv", test_csv);
  g_test_add_func ("/data/load-monitor/jsonl", test_jsonl);
  g_test_add_func ("/data/load-monitor/parquet", test_parquet);
  g_test_add_func ("/data/load-monitor/sharded-split", test_sharded_split);
  return g_test_run ();
}
