/* fuzz-dataset.c: the dataset readers, one binary per format (FUZZ_FORMAT:
 * "csv", "tsv", "json", "jsonl" or "parquet"; the parquet target covers the
 * footer, page headers, encodings and every codec the reader supports:
 * none, snappy, gzip, zstd). vs_dataset_load reads files, so the harness
 * writes the input to data.FORMAT in its temp folder. Every cell of what
 * loaded is formatted and turned into JSON, and the case is detected. */
#include "fuzz-common.h"
#include "data/vs-dataset.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = fuzz_write_file ("data." FUZZ_FORMAT, data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsDataset) ds = vs_dataset_load (path, NULL, &error);
  if (ds == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  gsize n_rows = vs_dataset_get_n_rows (ds);
  for (guint c = 0; c < vs_dataset_get_n_columns (ds); c++)
    {
      const VsColumn *col = vs_dataset_get_column (ds, c);
      g_assert (vs_column_get_name (col) != NULL);
      g_assert (vs_column_get_length (col) == n_rows);
      for (gsize r = 0; r < MIN (n_rows, 256); r++)
        {
          g_autofree char *cell = vs_column_format_cell (col, r);
          g_autoptr(cJSON) json = vs_column_cell_to_json (col, r);
        }
    }
  g_autoptr(GError) case_error = NULL;
  g_autoptr(VsCaseInfo) info = vs_dataset_detect_case (ds, NULL, 0, &case_error);
  if (info != NULL)
    {
      g_autoptr(GError) apply_error = NULL;
      g_autoptr(VsDataset) applied = vs_dataset_apply_case (ds, info, &apply_error);
    }
  return 0;
}
