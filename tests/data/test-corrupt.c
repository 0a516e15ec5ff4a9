/* test-corrupt.c: truncated and corrupt files give a GError naming the file
 * and where (row group / column / page, or line), and never crash or hang.
 * Targeted cases (bad magic, bad Thrift footer, column chunk past the end,
 * ragged CSV, truncated gzip) plus a seeded loop of truncations and byte
 * flips over real files. Run under MALLOC_CHECK_=2 (test_env). */
#include "config.h"

#include <string.h>

#include <zlib.h>

#include "test-common.h"
#include "vs-error.h"

static char *
read_all (const char *path,
          gsize      *len)
{
  char *data = NULL;

  g_assert_true (g_file_get_contents (path, &data, len, NULL));
  return data;
}

static GError *
load_error (const char *path)
{
  GError *error = NULL;
  VsDataset *ds = vs_dataset_load (path, NULL, &error);

  if (ds != NULL)
    {
      g_assert_no_error (error);
      vs_dataset_free (ds);
      return NULL;
    }
  g_assert_nonnull (error);
  g_assert_true (error->domain == VS_ERROR);
  return error;
}

static void
test_parquet_targeted (void)
{
  g_autofree char *src = vs_test_fixture_path ("data", "parquet/codec-snappy.parquet");
  gsize len;
  g_autofree char *data = read_all (src, &len);
  g_autofree char *copy = g_memdup2 (data, len);
  g_autofree char *p = NULL;
  GError *error;
  guint32 footer_len;

  /* Bad magic at the start. */
  memcpy (copy, "PAR2", 4);
  p = test_write_temp ("badmagic.parquet", copy, (gssize) len);
  test_assert_load_fails (p, NULL, "badmagic.parquet: not a Parquet file");
  g_clear_pointer (&p, g_free);

  /* Bad Thrift: garbage in the footer. */
  memcpy (copy, data, len);
  memcpy (&footer_len, copy + len - 8, 4);
  memset (copy + len - 8 - footer_len, 0xff, MIN (footer_len, 64u));
  p = test_write_temp ("badthrift.parquet", copy, (gssize) len);
  test_assert_load_fails (p, NULL, "badthrift.parquet: footer");
  g_clear_pointer (&p, g_free);

  /* Data cut out of the middle, footer kept: chunks point past the data. */
  {
    gsize keep = len / 3;
    gsize flen = footer_len + 8;
    g_autofree char *cut = g_malloc (keep + flen);
    memcpy (cut, data, keep);
    memcpy (cut + keep, data + len - flen, flen);
    p = test_write_temp ("cut.parquet", cut, (gssize) (keep + flen));
    error = load_error (p);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "cut.parquet: row group"));
    g_assert_nonnull (strstr (error->message, "column “"));
    g_test_message ("%s", error->message);
    g_error_free (error);
    g_clear_pointer (&p, g_free);
  }

  /* Truncated: the end magic is gone. */
  p = test_write_temp ("trunc.parquet", data, (gssize) (len - 3));
  test_assert_load_fails (p, NULL, "trunc.parquet");
  g_clear_pointer (&p, g_free);
}

static void
test_parquet_fuzz (void)
{
  /* Seeded byte flips in the data region (footer intact) and truncations:
   * every outcome is a dataset or a VS_ERROR naming the file. Count the
   * errors that point at a page, to be sure the loop reaches the decoders. */
  static const char *files[] = {
    "parquet/codec-none.parquet", "parquet/codec-gzip.parquet", "parquet/codec-zstd.parquet",
    "parquet/enc-delta-v2.parquet", "parquet/enc-delta-byte-array-v1.parquet",
    "parquet/enc-dict-v2.parquet", "parquet/enc-plain-v1.parquet",
    /* shared: parquet-testing files (list levels, v2 pages, null pages) */
    "shared:parquet/list_columns.parquet", "shared:parquet/datapage_v2.snappy.parquet",
    "shared:parquet/int32_with_null_pages.parquet", "shared:parquet/alltypes_plain.parquet",
    "shared:parquet/delta_length_byte_array.parquet",
  };
  GRand *rng = g_rand_new_with_seed (20261128);
  guint page_errors = 0, loaded = 0, failed = 0;
  /* VS_FUZZ_ITERATIONS raises the count for a longer run by hand (e.g. under
   * -Db_sanitize=address,undefined). */
  const char *env = g_getenv ("VS_FUZZ_ITERATIONS");
  guint iterations = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 40;

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *src = g_str_has_prefix (files[f], "shared:") ? test_shared_path (files[f] + 7)
                                                                   : vs_test_fixture_path ("data", files[f]);
      gsize len;
      g_autofree char *data = read_all (src, &len);
      guint32 footer_len;
      gsize data_end;

      memcpy (&footer_len, data + len - 8, 4);
      data_end = len - 8 - footer_len;
      for (guint it = 0; it < iterations; it++)
        {
          g_autofree char *copy = g_memdup2 (data, len);
          g_autofree char *p = NULL;
          GError *error;
          guint flips = 1 + g_rand_int_range (rng, 0, 4);

          for (guint k = 0; k < flips; k++)
            copy[g_rand_int_range (rng, 4, (gint32) data_end)] ^= (char) (1 + g_rand_int_range (rng, 0, 255));
          p = test_write_temp ("fuzz.parquet", copy, (gssize) len);
          error = load_error (p);
          if (error == NULL)
            loaded++;
          else
            {
              failed++;
              g_assert_nonnull (strstr (error->message, "fuzz.parquet: "));
              if (strstr (error->message, ", page ") != NULL)
                page_errors++;
              g_error_free (error);
            }
        }
      for (guint it = 0; it < 10; it++)
        {
          gsize cut = g_rand_int_range (rng, 0, (gint32) len);
          g_autofree char *p = test_write_temp ("fuzz-trunc.parquet", data, (gssize) cut);
          test_assert_load_fails (p, NULL, "fuzz-trunc.parquet");
        }
    }
  g_test_message ("byte flips: %u loaded, %u failed (%u at a page)", loaded, failed, page_errors);
  g_assert_cmpuint (page_errors, >, 0);
  g_rand_free (rng);
}

static void
test_text_fuzz (void)
{
  /* Truncate real CSV / JSONL files at random points: a dataset or an error
   * naming the file and a line. */
  static const char *files[] = {
    "datasets/banking77/test.csv", "datasets/triplets/snli_dev_triplets.csv",
    "datasets/snli/snli_1.0_dev.first500.jsonl", "datasets/paws/paws_wiki_labeled_final_dev.first1000.tsv",
  };
  GRand *rng = g_rand_new_with_seed (7);
  guint errors = 0;

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *src = test_shared_path (files[f]);
      gsize len;
      g_autofree char *data = read_all (src, &len);
      const char *ext = strrchr (files[f], '.');

      for (guint it = 0; it < 25; it++)
        {
          /* Byte flips: quotes, brackets and line ends land anywhere. */
          static const char junk[] = "\"{}[],\n\r\\\t\x80\xff";
          g_autofree char *copy = g_memdup2 (data, len);
          g_autofree char *name = g_strdup_printf ("flip%s", ext);
          g_autofree char *p = NULL;
          GError *error;

          for (guint k = 0; k < 4; k++)
            copy[g_rand_int_range (rng, 0, (gint32) len)] = junk[g_rand_int_range (rng, 0, sizeof junk - 1)];
          p = test_write_temp (name, copy, (gssize) len);
          error = load_error (p);
          if (error != NULL)
            {
              g_assert_nonnull (strstr (error->message, name));
              g_assert_nonnull (strstr (error->message, "line "));
              g_error_free (error);
            }
        }
      for (guint it = 0; it < 25; it++)
        {
          gsize cut = g_rand_int_range (rng, 1, (gint32) len);
          g_autofree char *name = g_strdup_printf ("cut%s", ext);
          g_autofree char *p = test_write_temp (name, data, (gssize) cut);
          GError *error = load_error (p);
          if (error != NULL)
            {
              g_assert_nonnull (strstr (error->message, name));
              g_assert_nonnull (strstr (error->message, "line "));
              errors++;
              g_error_free (error);
            }
        }
    }
  g_assert_cmpuint (errors, >, 0);
  g_rand_free (rng);
}

static void
test_gzip_truncated (void)
{
  g_autofree char *plain = test_write_temp ("t.jsonl.gz", "", 0);
  GString *text = g_string_new (NULL);
  gzFile gz;
  gsize len;
  g_autofree char *data = NULL;
  g_autofree char *p = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (text, "{\"anchor\": \"anchor %u\", \"positive\": \"positive %u %u\"}\n", i, i, i * i);
  gz = gzopen (plain, "wb");
  gzwrite (gz, text->str, (unsigned) text->len);
  gzclose (gz);
  g_string_free (text, TRUE);
  data = read_all (plain, &len);
  p = test_write_temp ("half.jsonl.gz", data, (gssize) (len / 2));
  test_assert_load_fails (p, NULL, "half.jsonl.gz: line ");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/corrupt/parquet-targeted", test_parquet_targeted);
  g_test_add_func ("/corrupt/parquet-fuzz", test_parquet_fuzz);
  g_test_add_func ("/corrupt/text-fuzz", test_text_fuzz);
  g_test_add_func ("/corrupt/gzip-truncated", test_gzip_truncated);
  return g_test_run ();
}
