/* tok-golden.c: see tok-golden.h. */
#include "config.h"

#include <string.h>

#include "tok-golden.h"
#include "vs-test-fixture.h"

cJSON *
tok_golden_load (const char *name)
{
  return vs_test_load_fixture ("tokenizer", name);
}

void
tok_golden_add_per_tokenizer (const cJSON  *golden,
                              const char   *prefix,
                              GTestDataFunc func)
{
  const cJSON *t;

  cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"))
    {
      g_autofree char *tp = g_strconcat (prefix, t->string, NULL);
      g_test_add_data_func (tp, t->string, func);
    }
}

const cJSON *
tok_golden_entry_cases (const cJSON *golden,
                        const cJSON *entry)
{
  const cJSON *same = cJSON_GetObjectItemCaseSensitive (entry, "same_as");

  if (cJSON_IsString (same))
    entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (golden, "tokenizers"), same->valuestring);
  return cJSON_GetObjectItemCaseSensitive (entry, "cases");
}

char *
tok_golden_case_text (const cJSON *c,
                      const char  *field,
                      const char  *b64_field,
                      gsize       *len)
{
  const cJSON *t = cJSON_GetObjectItemCaseSensitive (c, field);
  const cJSON *b = cJSON_GetObjectItemCaseSensitive (c, b64_field);

  if (cJSON_IsString (b))
    return (char *) g_base64_decode (b->valuestring, len);
  if (cJSON_IsString (t))
    {
      *len = strlen (t->valuestring);
      return g_strdup (t->valuestring);
    }
  return NULL;
}
