/* test-common.h: helpers shared by the data area's tests. */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

#include "data/vs-dataset.h"
#include "vs-test-fixture.h"

/* $VS_SHARED_DATA/rel (skips the test when the variable is unset). */
char  *test_shared_path (const char *rel);
/* Loads path (split may be NULL) and asserts that it fails with a VS_ERROR
 * whose message contains expect (the message is printed when it does not). */
void   test_assert_load_fails (const char *path, const char *split, const char *expect);
/* Write text to a new file in a per-test temporary folder; returns its path. */
char  *test_write_temp (const char *name, const char *contents, gssize len);
/* Compare the dataset's cells with `rows` (array of objects, conventions of
 * shared/data/parquet/README.md); returns the number of mismatches (each
 * printed with g_test_message). */
guint  test_compare_rows (const VsDataset *ds, const cJSON *rows, const char *what);
