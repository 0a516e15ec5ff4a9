/* vs-test-fixture.h: reading the committed reference fixtures of the tests.
 *
 * Every suite keeps the small outputs of its reference scripts under
 * tests/AREA/fixtures/ and reads them through these helpers; a missing or
 * malformed fixture ends the test with a message naming the file.
 *
 *   g_autofree char *dir = vs_test_fixture_path ("train", "parity");
 *   cJSON *cases = vs_test_load_fixture ("loss", "loss_cases.json");
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

/* $VS_SOURCE_DIR/tests/AREA/fixtures/NAME ("." when VS_SOURCE_DIR is unset). g_free. */
char  *vs_test_fixture_path (const char *area,
                             const char *name);

/* Parses the JSON file at path; aborts the test naming the file when it cannot
 * be read or parsed. cJSON_Delete. */
cJSON *vs_test_load_json    (const char *path);

/* vs_test_load_json (vs_test_fixture_path (area, name)). cJSON_Delete. */
cJSON *vs_test_load_fixture (const char *area,
                             const char *name);

G_END_DECLS
