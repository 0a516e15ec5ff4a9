/* tok-golden.h: reading fixtures/golden.json and golden-variants.json (HF
 * tokenizers' own output, see tests/reference/tokenizer_golden.js), shared
 * by the tokenizer area's tests. */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

/* Parses $VS_SOURCE_DIR/tests/tokenizer/fixtures/name; aborts the test
 * program if it cannot be read or parsed. Free with cJSON_Delete. */
cJSON *tok_golden_load       (const char *name);

/* Registers func once per tokenizer entry of golden, as prefix + the
 * entry's name, with the name (owned by golden) as its data. */
void   tok_golden_add_per_tokenizer (const cJSON *golden, const char *prefix, GTestDataFunc func);

/* The cases of a tokenizer entry of golden; {"same_as": other} shares
 * other's cases (the generator checked HF gives identical results for both
 * files). */
const cJSON *tok_golden_entry_cases (const cJSON *golden, const cJSON *entry);

/* A case's text: c[b64_field] base64-decoded when present (for bytes JSON
 * cannot hold), else c[field]; NULL when neither is a string. Sets *len;
 * g_free the result. */
char  *tok_golden_case_text  (const cJSON *c, const char *field, const char *b64_field, gsize *len);
