/* vs-test-fixture.c: see vs-test-fixture.h. */
#include "config.h"

#include "vs-test-fixture.h"

char *
vs_test_fixture_path (const char *area,
                      const char *name)
{
  const char *root = g_getenv ("VS_SOURCE_DIR");

  return g_build_filename (root != NULL ? root : ".", "tests", area, "fixtures", name, NULL);
}

cJSON *
vs_test_load_json (const char *path)
{
  g_autofree char *text = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;
  cJSON *json;

  if (!g_file_get_contents (path, &text, &len, &error))
    g_error ("%s", error->message);
  json = cJSON_ParseWithLength (text, len);
  if (json == NULL)
    g_error ("%s: invalid JSON", path);
  return json;
}

cJSON *
vs_test_load_fixture (const char *area,
                      const char *name)
{
  g_autofree char *path = vs_test_fixture_path (area, name);

  return vs_test_load_json (path);
}
