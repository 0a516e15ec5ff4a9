/* test-model.c: the encoders against PyTorch (tests/reference/model_fixtures.py).
 *
 * Fixtures: tiny random models of every architecture written by the PyTorch
 * reference (Hugging Face's modeling code re-written in model_arch.py), with
 * float64 embeddings of a padded batch and the gradient of every parameter for
 * loss = sum (embeddings * d_out). Forward: |a-b| <= 1e-5 max|ref| + 1e-5|ref|;
 * gradients: |a-b| <= 1e-5 + 1e-4|ref|.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "model-test-util.h"
#include "model/vs-encoder.h"
#include "tensor/vs-kernels.h"
#include "train/vs-optim.h"
#include "vs-engine.h"
#include "vs-error.h"

static double
max_abs (const float *x, gsize n)
{
  double m = 0.0;

  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs ((double) x[i]));
  return m;
}

static VsModel *
load_fixture (const char *name)
{
  g_autofree char *dir = fixture_path (name);
  g_autoptr(GError) error = NULL;
  VsModel *m = vs_model_load (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
test_parity (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = fixture_path (name);
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr(VsModel) m = load_fixture (name);
  g_autoptr(VsSafetensors) exp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsForward) fw = NULL;
  g_autofree float *ref = NULL, *dout = NULL, *out = NULL;
  FixtureInputs in = { 0 };
  gsize n_ref, n_dout, D = vs_model_get_dimension (m), n_grads = 0;
  gboolean ok = TRUE;
  float *grads;

  exp = vs_safetensors_open (epath, &error);
  g_assert_no_error (error);
  fixture_inputs_load (dir, &in);
  ref = expected_tensor (exp, "embeddings", &n_ref);
  dout = expected_tensor (exp, "d_out", &n_dout);
  g_assert_cmpuint (n_ref, ==, in.n * D);

  out = g_new (float, in.n * D);
  vs_model_zero_grad (m);
  fw = vs_model_forward_tokens_prompted (m, (const guint32 *const *) in.ids, (const guint32 *const *) in.types,
                                         in.lengths, in.prompt_lengths, in.n, FALSE, out, &error);
  g_assert_no_error (error);
  /* absolute part scaled to the output: cancellation in the last layers
   * leaves float32 errors of ~1e-6 of the terms on small outputs */
  ok &= check_close ("embeddings", out, ref, n_ref, 1e-5 * max_abs (ref, n_ref), 1e-5);

  /* the inference path (no activations kept) computes the same numbers */
  if (in.prompt_lengths == NULL)
    {
      g_autofree float *inf = g_new (float, in.n * D);
      g_assert_true (vs_model_encode_tokens (m, (const guint32 *const *) in.ids, (const guint32 *const *) in.types,
                                             in.lengths, in.n, FALSE, inf, &error));
      g_assert_true (memcmp (inf, out, in.n * D * sizeof (float)) == 0);
    }

  vs_model_backward (m, fw, dout);
  grads = vs_model_get_grads (m, NULL);
  for (gsize k = 0; k < vs_model_get_n_tensors (m); k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      g_autofree char *key = g_strconcat ("grad/", info->name, NULL);
      g_autofree float *g = NULL;
      gsize numel;

      if (vs_safetensors_lookup (exp, key) == NULL)
        {
          g_printerr ("no reference gradient for %s\n", info->name);
          ok = FALSE;
          continue;
        }
      g = expected_tensor (exp, key, &numel);
      g_assert_cmpuint (numel, ==, info->numel);
      ok &= check_close (info->name, grads + info->offset, g, numel, 1e-5, 1e-4);
      n_grads++;
    }
  /* every reference gradient has a tensor here */
  for (gsize i = 0; i < vs_safetensors_get_n (exp); i++)
    if (g_str_has_prefix (vs_safetensors_get (exp, i)->name, "grad/"))
      n_grads--;
  g_assert_cmpuint (n_grads, ==, 0);
  fixture_inputs_clear (&in);
  g_assert_true (ok);
}

/* Each text alone gives the same embedding as inside the packed batch. */
static void
test_packing (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = fixture_path (name);
  g_autoptr(VsModel) m = load_fixture (name);
  g_autoptr(GError) error = NULL;
  g_autofree float *all = NULL;
  FixtureInputs in = { 0 };
  gsize D = vs_model_get_dimension (m);
  gboolean ok = TRUE, exact = TRUE;

  fixture_inputs_load (dir, &in);
  all = g_new (float, in.n * D);
  vs_forward_free (vs_model_forward_tokens (m, (const guint32 *const *) in.ids,
                                            (const guint32 *const *) in.types, in.lengths, in.n,
                                            FALSE, all, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < in.n; i++)
    {
      g_autofree float *one = g_new (float, D);
      char label[64];
      vs_forward_free (vs_model_forward_tokens (m, (const guint32 *const *) &in.ids[i],
                                                (const guint32 *const *) &in.types[i], &in.lengths[i], 1,
                                                FALSE, one, &error));
      g_assert_no_error (error);
      g_snprintf (label, sizeof label, "%s text %" G_GSIZE_FORMAT " alone vs packed", name, i);
      /* OpenBLAS may round a row differently with another number of rows */
      ok &= check_close (label, one, all + i * D, D, 2e-6 * max_abs (all + i * D, D), 1e-6);
      exact &= memcmp (one, all + i * D, D * sizeof (float)) == 0;
    }
  g_test_message ("%s: packing bit-exact: %s", name, exact ? "yes" : "no");
  fixture_inputs_clear (&in);
  g_assert_true (ok);
}

static void
test_mpnet_buckets (void)
{
  g_autofree char *path = fixture_path ("mpnet-buckets.json");
  g_autofree char *text = NULL;
  cJSON *root, *rel, *bk;
  int n;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  root = cJSON_Parse (text);
  rel = cJSON_GetObjectItem (root, "relative_position");
  bk = cJSON_GetObjectItem (root, "bucket");
  n = cJSON_GetArraySize (rel);
  g_assert_cmpint (n, >, 500);
  for (int i = 0; i < n; i++)
    {
      gint r = (gint) cJSON_GetArrayItem (rel, i)->valuedouble;
      gint want = (gint) cJSON_GetArrayItem (bk, i)->valuedouble;
      gint got = vs_relative_position_bucket (r, 32, 128);
      if (got != want)
        g_error ("relative position %d: bucket %d, PyTorch %d", r, got, want);
    }
  cJSON_Delete (root);
}

/* Plain Hugging Face folders in several file forms, mean pooling. */
static void
test_files (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = fixture_path (name);
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr(VsModel) m = load_fixture (name);
  g_autoptr(VsSafetensors) exp = vs_safetensors_open (epath, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree float *ref = NULL, *out = NULL;
  FixtureInputs in = { 0 };
  gsize n_ref;

  g_assert_nonnull (exp);
  fixture_inputs_load (dir, &in);
  ref = expected_tensor (exp, "embeddings", &n_ref);
  g_assert_cmpuint (vs_model_get_dimension (m), ==, 8);
  out = g_new (float, n_ref);
  vs_forward_free (vs_model_forward_tokens (m, (const guint32 *const *) in.ids, NULL, in.lengths, in.n,
                                            FALSE, out, &error));
  g_assert_no_error (error);
  g_assert_true (check_close (name, out, ref, n_ref, 1e-6, 1e-5));
  fixture_inputs_clear (&in);
}

static void
test_file_errors (void)
{
  static const struct { const char *name; const char *needles[3]; } cases[] = {
    { "micro-badshape", { "encoder.layer.0.intermediate.dense.weight", "[8, 16]", "[16, 8]" } },
    { "micro-missing", { "missing tensor", "encoder.layer.0.output.LayerNorm.bias", NULL } },
    { "micro-extra", { "unexpected tensor", "encoder.layer.0.attention.self.extra.weight", "[2, 2]" } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = fixture_path (cases[i].name);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsModel) m = vs_model_load (dir, &error);

      g_assert_null (m);
      g_assert_nonnull (error);
      g_test_message ("%s: %s", cases[i].name, error->message);
      for (int k = 0; k < 3 && cases[i].needles[k] != NULL; k++)
        if (strstr (error->message, cases[i].needles[k]) == NULL)
          g_error ("%s: message \"%s\" lacks \"%s\"", cases[i].name, error->message, cases[i].needles[k]);
    }

  /* not a folder, no config */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VsModel) m = vs_model_load ("/nonexistent/model", &error);
    g_assert_null (m);
    g_assert_error (error, VS_ERROR, VS_ERROR_NOT_FOUND);
  }
}

/* Truncated and corrupt safetensors files give errors, never crashes. */
static void
copy_file (const char *src_dir, const char *name, const char *dst_dir)
{
  g_autofree char *src = g_build_filename (src_dir, name, NULL);
  g_autofree char *dst = g_build_filename (dst_dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &text, &len, NULL));
  g_assert_true (g_file_set_contents (dst, text, (gssize) len, NULL));
}

/* Malformed folders written at test time: every one an error naming the file. */
static void
test_folder_errors (void)
{
  static const struct { const char *file, *content, *needle; } cases[] = {
    { "config.json", "{\"model_type\": \"bert\", \"vocab_size\": 99999999, \"hidden_size\": 65536, "
      "\"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 16, "
      "\"max_position_embeddings\": 10}", "cannot allocate" },
    { "config.json", "{\"model_type\": \"gpt2\"}", "gpt2" },
    { "config.json", "{\"model_type\": \"bert\", \"vocab_size\": 12}", "hidden_size" },
    { "config.json", "[1, 2", "config.json" },
    { "modules.json", "{}", "modules.json" },
    { "modules.json", "[{\"idx\": 0, \"path\": \"\", \"type\": \"sentence_transformers.models.CLIPModel\"}]",
      "Transformer" },
    { "modules.json", "[{\"idx\": 0, \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"}]",
      "no Pooling" },
    { "modules.json", "[{\"idx\": 0, \"path\": \"../..\", \"type\": \"sentence_transformers.models.Transformer\"}]",
      "relative" },
    { "modules.json", "[{\"idx\": 0, \"path\": \"\", \"type\": \"sentence_transformers.models.Transformer\"},"
      "{\"idx\": 1, \"path\": \"1_Pooling\", \"type\": \"sentence_transformers.models.Pooling\"}]", "1_Pooling" },
  };
  g_autofree char *micro = fixture_path ("micro-f32");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *tmp = g_dir_make_tmp ("vs-model-XXXXXX", NULL);
      g_autofree char *path = g_build_filename (tmp, cases[i].file, NULL);
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
      g_autoptr(GError) error = NULL;
      g_autoptr(VsModel) m = NULL;

      copy_file (micro, "config.json", tmp);
      copy_file (micro, "model.safetensors", tmp);
      g_assert_true (g_file_set_contents (path, cases[i].content, -1, NULL));
      m = vs_model_load (tmp, &error);
      g_assert_null (m);
      g_assert_nonnull (error);
      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, error->message);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": message \"%s\" lacks \"%s\"", i, error->message, cases[i].needle);
      g_assert_cmpint (system (cmd), ==, 0);
    }
}

static void
test_safetensors_corrupt (void)
{
  g_autofree char *src = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "LaBSE-partial", "2_Dense",
                                           "model.safetensors", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_autofree char *tmpdir = g_dir_make_tmp ("vs-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "x.safetensors", NULL);
  const gsize cuts[] = { 0, 4, 8, 100, 160, 1000 };

  g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VsSafetensors) st = NULL;
      g_assert_true (g_file_set_contents (path, bytes, (gssize) cuts[i], NULL));
      st = vs_safetensors_open (path, &error);
      g_assert_null (st);
      g_assert_nonnull (error);
    }
  /* a header length beyond the file */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(VsSafetensors) st = NULL;
    bytes[5] = 0x7f;
    g_assert_true (g_file_set_contents (path, bytes, (gssize) len, NULL));
    st = vs_safetensors_open (path, &error);
    g_assert_null (st);
    g_assert_error (error, VS_ERROR, VS_ERROR_PARSE);
  }
  g_unlink (path);
  g_rmdir (tmpdir);
}

/* The real LaBSE Dense head (2_Dense/model.safetensors of sentence-transformers/LaBSE). */
static void
test_labse_dense (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("VS_SHARED_DATA"), "models", "LaBSE-partial", "2_Dense",
                                            "model.safetensors", NULL);
  g_autofree char *jpath = fixture_path ("labse-dense.json");
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VsSafetensors) st = vs_safetensors_open (path, &error);
  const VsSafeTensor *w, *b;
  g_autofree float *W = NULL, *B = NULL, *x = NULL, *y = NULL, *ref = NULL;
  cJSON *root, *v;
  double sum = 0.0, asum = 0.0;
  int k = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (jpath, &text, NULL, NULL));
  root = cJSON_Parse (text);
  w = vs_safetensors_lookup (st, "linear.weight");
  b = vs_safetensors_lookup (st, "linear.bias");
  g_assert_nonnull (w);
  g_assert_nonnull (b);
  g_assert_cmpstr (w->dtype, ==, "F32");
  g_assert_cmpint (w->ndim, ==, 2);
  g_assert_cmpuint (w->shape[0], ==, 768);
  g_assert_cmpuint (w->shape[1], ==, 768);
  g_assert_cmpuint (b->shape[0], ==, 768);
  W = g_new (float, w->numel);
  B = g_new (float, b->numel);
  g_assert_true (vs_safetensors_read_f32 (w, W, NULL));
  g_assert_true (vs_safetensors_read_f32 (b, B, NULL));
  for (gsize i = 0; i < w->numel; i++)
    {
      sum += W[i];
      asum += fabs (W[i]);
    }
  g_assert_cmpfloat_with_epsilon (sum, cJSON_GetObjectItem (root, "weight_sum")->valuedouble, 1e-6 * asum);
  g_assert_cmpfloat_with_epsilon (asum, cJSON_GetObjectItem (root, "weight_abs_sum")->valuedouble, 1e-6 * asum);
  cJSON_ArrayForEach (v, cJSON_GetObjectItem (root, "weight_first"))
    g_assert_cmpfloat (W[k++], ==, (float) v->valuedouble);
  k = 0;
  cJSON_ArrayForEach (v, cJSON_GetObjectItem (root, "bias_first"))
    g_assert_cmpfloat (B[k++], ==, (float) v->valuedouble);

  x = g_new (float, 768);
  y = g_new (float, 768);
  ref = g_new (float, 768);
  for (int i = 0; i < 768; i++)
    x[i] = (float) sin (0.01 * i);
  vs_matmul_forward (y, x, W, B, 1, 768, 768);
  vs_activation_forward (VS_ACT_TANH, y, y, 768);
  k = 0;
  cJSON_ArrayForEach (v, cJSON_GetObjectItem (root, "output"))
    ref[k++] = (float) v->valuedouble;
  g_assert_true (check_close ("LaBSE Dense tanh(Wx+b)", y, ref, 768, 1e-6, 1e-5));
  cJSON_Delete (root);
}

static gboolean
files_equal (const char *a, const char *b)
{
  g_autofree char *ca = NULL, *cb = NULL;
  gsize la, lb;

  return g_file_get_contents (a, &ca, &la, NULL) && g_file_get_contents (b, &cb, &lb, NULL) &&
         la == lb && memcmp (ca, cb, la) == 0;
}

/* save -> load gives the same parameters and bit-identical embeddings. */
static void
test_save_roundtrip (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = fixture_path (name);
  g_autoptr(VsModel) m = load_fixture (name);
  g_autoptr(VsModel) m2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (tmp, "saved", NULL);
  g_autofree float *a = NULL, *b = NULL;
  FixtureInputs in = { 0 };
  gsize D = vs_model_get_dimension (m), n1, n2;
  static const char *const files[] = { "modules.json", "config.json", "model.safetensors",
                                       "sentence_bert_config.json", "config_sentence_transformers.json",
                                       "1_Pooling/config.json" };

  fixture_inputs_load (dir, &in);
  g_assert_true (vs_model_save (m, out, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_build_filename (out, files[i], NULL);
      g_assert_true (g_file_test (p, G_FILE_TEST_EXISTS));
    }
  /* saved twice: the second save replaces the first atomically, same bytes */
  g_assert_true (vs_model_save (m, out, &error));
  g_assert_no_error (error);

  m2 = vs_model_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vs_model_get_dimension (m2), ==, D);
  g_assert_cmpuint (vs_model_get_max_seq_length (m2), ==, vs_model_get_max_seq_length (m));
  g_assert_cmpint (vs_model_has_normalize (m2), ==, vs_model_has_normalize (m));
  g_assert_cmpuint (vs_model_get_n_tensors (m2), ==, vs_model_get_n_tensors (m));
  {
    const float *p1 = vs_model_get_params (m, &n1);
    const float *p2 = vs_model_get_params (m2, &n2);
    g_assert_cmpuint (n1, ==, n2);
    g_assert_true (memcmp (p1, p2, n1 * sizeof (float)) == 0);
  }

  a = g_new (float, in.n * D);
  b = g_new (float, in.n * D);
  vs_forward_free (vs_model_forward_tokens (m, (const guint32 *const *) in.ids, (const guint32 *const *) in.types,
                                            in.lengths, in.n, FALSE, a, &error));
  vs_forward_free (vs_model_forward_tokens (m2, (const guint32 *const *) in.ids, (const guint32 *const *) in.types,
                                            in.lengths, in.n, FALSE, b, &error));
  g_assert_no_error (error);
  g_assert_true (memcmp (a, b, in.n * D * sizeof (float)) == 0);

  /* the Dense weights are written as read */
  {
    g_autofree char *d1 = g_build_filename (dir, "2_Dense", "model.safetensors", NULL);
    g_autofree char *d2 = g_build_filename (out, "2_Dense", "model.safetensors", NULL);
    if (g_file_test (d1, G_FILE_TEST_EXISTS))
      {
        g_autoptr(VsSafetensors) s1 = vs_safetensors_open (d1, NULL);
        g_autoptr(VsSafetensors) s2 = vs_safetensors_open (d2, NULL);
        const VsSafeTensor *t1 = vs_safetensors_lookup (s1, "linear.weight");
        const VsSafeTensor *t2 = vs_safetensors_lookup (s2, "linear.weight");
        g_assert_nonnull (t2);
        g_assert_cmpuint (t1->nbytes, ==, t2->nbytes);
        g_assert_true (memcmp (t1->data, t2->data, t1->nbytes) == 0);
      }
  }
  {
    g_autofree char *c1 = g_build_filename (out, "1_Pooling", "config.json", NULL);
    g_autofree char *c2 = g_build_filename (tmp, "pool-copy.json", NULL);
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (c1, &text, NULL, NULL));
    g_assert_true (g_file_set_contents (c2, text, -1, NULL));
    g_assert_true (files_equal (c1, c2));
    g_unlink (c2);
  }
  fixture_inputs_clear (&in);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

/* Dropout: same RNG state, same masks; the backward is checked by finite
 * differences with dropout on (masks held fixed by resetting the state). */
static void
test_dropout (void)
{
  g_autofree char *dir = fixture_path ("bert");
  g_autoptr(VsModel) m = load_fixture ("bert");
  g_autoptr(GError) error = NULL;
  FixtureInputs in = { 0 };
  gsize D = vs_model_get_dimension (m), n_params;
  g_autofree float *a = NULL, *b = NULL, *c = NULL, *R = NULL, *eval = NULL, *g = NULL;
  float *params;
  guint64 state = 12345;
  VsForward *fw;
  int checked = 0, bad = 0;

  fixture_inputs_load (dir, &in);
  a = g_new (float, in.n * D);
  b = g_new (float, in.n * D);
  c = g_new (float, in.n * D);
  eval = g_new (float, in.n * D);
  R = g_new (float, in.n * D);
  for (gsize i = 0; i < in.n * D; i++)
    R[i] = (float) sin (1.0 + 0.37 * i);

#define FWD(dst, train) \
  vs_model_forward_tokens (m, (const guint32 *const *) in.ids, (const guint32 *const *) in.types, in.lengths, \
                           in.n, train, dst, &error)

  vs_model_set_rng_state (m, state);
  vs_forward_free (FWD (a, TRUE));
  g_assert_cmpuint (vs_model_get_rng_state (m), !=, state);
  vs_forward_free (FWD (c, TRUE));
  vs_model_set_rng_state (m, state);
  vs_forward_free (FWD (b, TRUE));
  vs_forward_free (FWD (eval, FALSE));
  g_assert_no_error (error);
  g_assert_true (memcmp (a, b, in.n * D * sizeof (float)) == 0);
  g_assert_false (memcmp (a, c, in.n * D * sizeof (float)) == 0);
  g_assert_false (memcmp (a, eval, in.n * D * sizeof (float)) == 0);

  vs_model_set_dropout (m, 0.0f);
  vs_forward_free (FWD (c, TRUE));
  g_assert_true (memcmp (c, eval, in.n * D * sizeof (float)) == 0);
  vs_model_set_dropout (m, -1.0f);

  /* finite differences with dropout on */
  vs_model_zero_grad (m);
  vs_model_set_rng_state (m, state);
  fw = FWD (a, TRUE);
  vs_model_backward (m, fw, R);
  vs_forward_free (fw);
  params = vs_model_get_params (m, &n_params);
  g = g_memdup2 (vs_model_get_grads (m, NULL), n_params * sizeof (float));
  for (gsize k = 0; k < vs_model_get_n_tensors (m); k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      for (int probe = 0; probe < 3; probe++)
        {
          gsize idx = info->offset + (gsize) ((probe * 7919u + k * 31u) % info->numel);
          float save = params[idx];
          double lp = 0, lm = 0, fd;
          const float eps = 1e-2f;

          /* nn.Embedding(padding_idx) never updates the pad row: no gradient by design */
          if (k == 0 && idx - info->offset < vs_model_get_hidden_size (m))
            continue;

          params[idx] = save + eps;
          vs_model_set_rng_state (m, state);
          vs_forward_free (FWD (a, TRUE));
          params[idx] = save - eps;
          vs_model_set_rng_state (m, state);
          vs_forward_free (FWD (b, TRUE));
          params[idx] = save;
          for (gsize i = 0; i < in.n * D; i++)
            {
              lp += (double) a[i] * R[i];
              lm += (double) b[i] * R[i];
            }
          fd = (lp - lm) / (2.0 * eps);
          checked++;
          if (fabs (fd - g[idx]) > 2e-3 + 3e-2 * fabs (fd))
            {
              bad++;
              g_printerr ("finite difference %s[%" G_GSIZE_FORMAT "]: backward %.6g, numeric %.6g\n",
                          info->name, idx - info->offset, g[idx], fd);
            }
        }
    }
#undef FWD
  g_test_message ("dropout finite differences: %d checked, %d off", checked, bad);
  g_assert_cmpint (bad, ==, 0);
  fixture_inputs_clear (&in);
}

/* Bad token ids and over-long texts are errors, not crashes. */
static void
test_bad_inputs (void)
{
  g_autoptr(VsModel) m = load_fixture ("bert");
  g_autoptr(GError) error = NULL;
  guint32 ids[30] = { 0 };
  const guint32 *rows[1] = { ids };
  gsize len = 3;
  float out[16];
  VsForward *fw;

  ids[1] = 40;
  fw = vs_model_forward_tokens (m, rows, NULL, &len, 1, FALSE, out, &error);
  g_assert_null (fw);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  ids[1] = 2;
  len = 25;
  fw = vs_model_forward_tokens (m, rows, NULL, &len, 1, FALSE, out, &error);
  g_assert_null (fw);
  g_assert_error (error, VS_ERROR, VS_ERROR_INVALID);
  g_clear_error (&error);
  /* no texts */
  fw = vs_model_forward_tokens (m, rows, NULL, &len, 0, TRUE, out, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fw);
  vs_model_backward (m, fw, out);
  vs_forward_free (fw);
}

static void
test_param_table (void)
{
  g_autoptr(VsModel) m = load_fixture ("bert");
  gsize total, sum = 0;
  gboolean seen_decay = FALSE, seen_nodecay = FALSE;

  vs_model_get_params (m, &total);
  for (gsize k = 0; k < vs_model_get_n_tensors (m); k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      g_assert_cmpuint (info->offset, ==, sum);
      sum += info->numel;
      if (strstr (info->name, "bias") != NULL || strstr (info->name, "LayerNorm") != NULL)
        g_assert_true (info->no_decay);
      else
        g_assert_false (info->no_decay);
      seen_decay |= !info->no_decay;
      seen_nodecay |= info->no_decay;
    }
  g_assert_cmpuint (sum, ==, total);
  g_assert_true (seen_decay && seen_nodecay);
  g_assert_cmpstr (vs_model_get_tensor_info (m, 0)->name, ==, "embeddings.word_embeddings.weight");
  g_assert_cmpstr (vs_model_get_similarity_fn_name (m), ==, "cosine");
  g_assert_cmpstr (vs_model_get_prompt (m, "query"), ==, "");
  g_assert_null (vs_model_get_prompt (m, "nope"));
}

/* Pooling with the prompt's tokens masked out (include_prompt false) against
 * sentence-transformers' Pooling.forward (model_arch.pool, float64): every
 * mode, a text shorter than the prompt, cls + max with token 0 masked. */
static void
test_pooling_masked (void)
{
  g_autofree char *path = fixture_path ("pooling-masked.json");
  g_autofree char *text = NULL;
  cJSON *root, *cs;
  gboolean ok = TRUE;
  int n_cases = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  root = cJSON_Parse (text);
  g_assert_nonnull (root);
  cJSON_ArrayForEach (cs, root)
    {
      cJSON *mode, *row, *v;
      gsize C = (gsize) cJSON_GetObjectItem (cs, "C")->valuedouble;
      gsize n = (gsize) cJSON_GetArraySize (cJSON_GetObjectItem (cs, "lengths"));
      gsize pl = (gsize) cJSON_GetObjectItem (cs, "prompt_length")->valuedouble;
      g_autofree gsize *offsets = g_new0 (gsize, n + 1);
      g_autofree gsize *skip = g_new0 (gsize, n);
      g_autofree float *h = NULL, *dh = NULL, *ref_dh = NULL, *out = NULL, *ref = NULL, *dout = NULL;
      g_autofree gint64 *argmax = g_new0 (gint64, n * C);
      g_autofree char *label = NULL;
      guint modes = 0;
      gsize i = 0, k, K, T;

      cJSON_ArrayForEach (mode, cJSON_GetObjectItem (cs, "modes"))
        modes |= vs_pooling_mode_from_string (mode->valuestring);
      cJSON_ArrayForEach (v, cJSON_GetObjectItem (cs, "lengths"))
        {
          offsets[i + 1] = offsets[i] + (gsize) v->valuedouble;
          skip[i++] = pl;
        }
      T = offsets[n];
      K = vs_pooling_count_modes (modes);
      h = g_new (float, T * C);
      ref_dh = g_new (float, T * C);
      dh = g_new0 (float, T * C);
      out = g_new (float, n * K * C);
      ref = g_new (float, n * K * C);
      dout = g_new (float, n * K * C);
      k = 0;
      cJSON_ArrayForEach (row, cJSON_GetObjectItem (cs, "h"))
        cJSON_ArrayForEach (v, row)
          h[k++] = (float) v->valuedouble;
      g_assert_cmpuint (k, ==, T * C);
      k = 0;
      cJSON_ArrayForEach (row, cJSON_GetObjectItem (cs, "dh"))
        cJSON_ArrayForEach (v, row)
          ref_dh[k++] = (float) v->valuedouble;
      k = 0;
      cJSON_ArrayForEach (v, cJSON_GetObjectItem (cs, "out"))
        ref[k++] = (float) v->valuedouble;
      g_assert_cmpuint (k, ==, n * K * C);
      k = 0;
      cJSON_ArrayForEach (v, cJSON_GetObjectItem (cs, "dout"))
        dout[k++] = (float) v->valuedouble;

      vs_pooling_forward_masked (out, argmax, h, offsets, skip, n, C, modes);
      vs_pooling_backward_masked (dh, dout, argmax, offsets, skip, n, C, modes);
      label = g_strdup_printf ("pooling modes 0x%x prompt_length %" G_GSIZE_FORMAT, modes, pl);
      ok &= check_close (label, out, ref, n * K * C, 1e-6, 1e-6);
      ok &= check_close (label, dh, ref_dh, T * C, 1e-6, 1e-6);
      n_cases++;
    }
  cJSON_Delete (root);
  g_assert_cmpint (n_cases, ==, 9);
  g_assert_true (ok);
}

/* include_prompt is read, changes the numbers only with prompt lengths, and
 * is written back. */
static void
test_include_prompt_flag (void)
{
  g_autofree char *dir = fixture_path ("prompt-mean");
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr(VsModel) m = load_fixture ("prompt-mean");
  g_autoptr(VsModel) m2 = NULL;
  g_autoptr(VsSafetensors) exp = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *ref = NULL, *out = NULL, *plain = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-prompt-XXXXXX", NULL);
  g_autofree char *save = g_build_filename (tmp, "m", NULL);
  g_autofree char *pcfg = g_build_filename (save, "1_Pooling", "config.json", NULL);
  g_autofree char *pjson = NULL;
  g_autofree char *rm = NULL;
  FixtureInputs in = { 0 };
  gsize D = vs_model_get_dimension (m), worst = 0;
  double diff = 0.0;

  g_assert_false (vs_model_get_include_prompt (m));
  exp = vs_safetensors_open (epath, &error);
  g_assert_no_error (error);
  ref = expected_tensor (exp, "embeddings", NULL);
  fixture_inputs_load (dir, &in);
  g_assert_nonnull (in.prompt_lengths);
  out = g_new (float, in.n * D);
  plain = g_new (float, in.n * D);

  /* with include_prompt TRUE the prompt lengths change nothing ... */
  vs_model_set_include_prompt (m, TRUE);
  vs_forward_free (vs_model_forward_tokens_prompted (m, (const guint32 *const *) in.ids, NULL, in.lengths,
                                                    in.prompt_lengths, in.n, FALSE, out, &error));
  g_assert_no_error (error);
  g_assert_true (vs_model_encode_tokens (m, (const guint32 *const *) in.ids, NULL, in.lengths, in.n, FALSE,
                                         plain, &error));
  g_assert_true (memcmp (out, plain, in.n * D * sizeof (float)) == 0);
  /* ... and the result is far from the reference with the prompt left out */
  for (gsize i = 0; i < in.n * D; i++)
    if (fabs ((double) plain[i] - ref[i]) > diff)
      diff = fabs ((double) plain[i] - ref[i]), worst = i;
  g_test_message ("include_prompt true vs reference: max |diff| %.3g at %" G_GSIZE_FORMAT, diff, worst);
  g_assert_cmpfloat (diff, >, 1e-2);

  /* saved as read */
  vs_model_set_include_prompt (m, FALSE);
  g_assert_true (vs_model_save (m, save, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (pcfg, &pjson, NULL, NULL));
  g_assert_nonnull (strstr (pjson, "\"include_prompt\": false"));
  m2 = vs_model_load (save, &error);
  g_assert_no_error (error);
  g_assert_false (vs_model_get_include_prompt (m2));
  fixture_inputs_clear (&in);
  rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

/* DistilBERT sinusoidal_pos_embds: a new encoder gets Hugging Face's
 * create_sinusoidal_embeddings table (computed by the reference in numpy),
 * and the tensor is frozen. */
static void
test_sinusoidal_init (void)
{
  g_autofree char *dir = fixture_path ("distilbert-sinusoidal");
  g_autofree char *cpath = g_build_filename (dir, "config.json", NULL);
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autofree char *text = NULL;
  g_autoptr(VsSafetensors) exp = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *ref = NULL, *params = NULL;
  VsEncoderConfig cfg;
  VsParamTable table;
  VsEncoder *enc;
  cJSON *json;
  gsize numel, exact = 0;
  gboolean ok;

  g_assert_true (g_file_get_contents (cpath, &text, NULL, NULL));
  json = cJSON_Parse (text);
  g_assert_true (vs_encoder_config_parse (&cfg, json, cpath, &error));
  g_assert_no_error (error);
  g_assert_true (cfg.sinusoidal);
  vs_param_table_init (&table);
  enc = vs_encoder_new (&cfg, json, &table);
  params = g_new0 (float, table.total);
  vs_encoder_init_weights (enc, params, 3);
  exp = vs_safetensors_open (epath, &error);
  g_assert_no_error (error);
  ref = expected_tensor (exp, "sinusoidal", &numel);
  g_assert_cmpuint (numel, ==, cfg.max_pos * cfg.C);
  for (gsize i = 0; i < numel; i++)
    exact += params[enc->pos + i] == ref[i];
  g_test_message ("sinusoidal positions: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bit-exact", exact, numel);
  ok = check_close ("sinusoidal positions", params + enc->pos, ref, numel, 1.2e-7, 0.0);
  for (guint k = 0; k < table.infos->len; k++)
    {
      const VsParamInfo *info = &g_array_index (table.infos, VsParamInfo, k);
      g_assert_cmpint (info->frozen, ==, info->offset == enc->pos);
      if (info->frozen)
        g_assert_true (info->no_decay);
    }
  /* a new model's config.json keeps the flag */
  {
    cJSON *out = vs_encoder_config_to_json (&cfg);
    g_assert_true (cJSON_IsTrue (cJSON_GetObjectItem (out, "sinusoidal_pos_embds")));
    cJSON_Delete (out);
  }
  vs_encoder_free (enc);
  vs_param_table_clear (&table);
  g_assert_true (ok);
}

/* A training step (dropout on, AdamW with weight decay, spans built as the
 * trainer builds them) leaves the frozen sinusoidal positions bit-identical
 * and moves the other tensors. */
static void
test_sinusoidal_frozen_step (void)
{
  g_autofree char *dir = fixture_path ("distilbert-sinusoidal");
  g_autoptr(VsModel) m = load_fixture ("distilbert-sinusoidal");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsAdamW) opt = NULL;
  g_autofree float *before = NULL, *dout = NULL;
  g_autofree VsParamSpan *spans = NULL;
  FixtureInputs in = { 0 };
  VsAdamWConfig config;
  VsParamBlock block = { 0 };
  gsize D = vs_model_get_dimension (m), n_params, n_t = vs_model_get_n_tensors (m);
  float *params, *grads;
  const VsParamInfo *pos = NULL;
  gsize frozen = 0;

  fixture_inputs_load (dir, &in);
  params = vs_model_get_params (m, &n_params);
  grads = vs_model_get_grads (m, NULL);
  before = g_memdup2 (params, n_params * sizeof (float));
  spans = g_new0 (VsParamSpan, n_t);
  for (gsize k = 0; k < n_t; k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      spans[k] = (VsParamSpan) { info->name, info->offset, info->numel, !info->no_decay };
      if (info->frozen)
        {
          pos = info;
          frozen++;
        }
    }
  g_assert_cmpuint (frozen, ==, 1);
  g_assert_cmpstr (pos->name, ==, "embeddings.position_embeddings.weight");
  block = (VsParamBlock) { "model", params, grads, n_params, spans, (guint) n_t };
  vs_adamw_config_init (&config);
  config.weight_decay = 0.01;
  opt = vs_adamw_new (&block, 1, &config);
  dout = g_new (float, in.n * D);
  for (gsize i = 0; i < in.n * D; i++)
    dout[i] = (float) cos (0.3 + 0.71 * i);
  for (int step = 0; step < 2; step++)
    {
      VsForward *fw;
      vs_model_zero_grad (m);
      fw = vs_model_forward_tokens (m, (const guint32 *const *) in.ids, NULL, in.lengths, in.n, TRUE, NULL, &error);
      g_assert_no_error (error);
      vs_model_backward (m, fw, dout);
      vs_forward_free (fw);
      for (gsize i = 0; i < pos->numel; i++)
        g_assert_cmpfloat (grads[pos->offset + i], ==, 0.0f);
      vs_clip_grad_norm (&block, 1, 1.0);
      vs_adamw_step (opt, &block, 1, 1e-2);
    }
  g_assert_true (memcmp (params + pos->offset, before + pos->offset, pos->numel * sizeof (float)) == 0);
  for (gsize k = 0; k < n_t; k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      if (!info->frozen)
        g_assert_false (memcmp (params + info->offset, before + info->offset, info->numel * sizeof (float)) == 0);
    }
  fixture_inputs_clear (&in);
}

/* A sinusoidal DistilBERT file without its position table loads (Hugging
 * Face fills in the formula) and encodes as the PyTorch reference. */
static void
test_sinusoidal_missing (void)
{
  g_autofree char *dir = fixture_path ("distilbert-sinusoidal");
  g_autofree char *mpath = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *epath = g_build_filename (dir, "expected.safetensors", NULL);
  g_autofree char *cpath = g_build_filename (dir, "config.json", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("vs-model-sin-XXXXXX", NULL);
  g_autofree char *opath = g_build_filename (tmp, "model.safetensors", NULL);
  g_autofree char *ocpath = g_build_filename (tmp, "config.json", NULL);
  g_autofree char *ctext = NULL, *rm = NULL;
  g_autoptr(VsSafetensors) st = NULL, exp = NULL;
  g_autoptr(VsModel) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree VsSafeTensorOut *outs = NULL;
  g_autofree float *ref = NULL, *sin_ref = NULL, *emb = NULL;
  GPtrArray *bufs = g_ptr_array_new_with_free_func (g_free);
  FixtureInputs in = { 0 };
  gsize n_out = 0, n_ref, D;
  gboolean ok;

  st = vs_safetensors_open (mpath, &error);
  g_assert_no_error (error);
  outs = g_new0 (VsSafeTensorOut, vs_safetensors_get_n (st));
  for (gsize i = 0; i < vs_safetensors_get_n (st); i++)
    {
      const VsSafeTensor *t = vs_safetensors_get (st, i);
      float *buf;
      if (strstr (t->name, "position_embeddings") != NULL)
        continue;
      buf = g_new (float, MAX (t->numel, 1));
      g_assert_true (vs_safetensors_read_f32 (t, buf, NULL));
      g_ptr_array_add (bufs, buf);
      outs[n_out].name = t->name;
      outs[n_out].ndim = t->ndim;
      for (int d = 0; d < t->ndim; d++)
        outs[n_out].shape[d] = t->shape[d];
      outs[n_out++].data = buf;
    }
  g_assert_cmpuint (n_out, ==, vs_safetensors_get_n (st) - 1);
  g_assert_true (vs_safetensors_write (opath, outs, n_out, &error));
  g_assert_true (g_file_get_contents (cpath, &ctext, NULL, NULL));
  g_assert_true (g_file_set_contents (ocpath, ctext, -1, NULL));

  /* plain Hugging Face folder: mean pooling, as the fixture */
  m = vs_model_load (tmp, &error);
  g_assert_no_error (error);
  exp = vs_safetensors_open (epath, &error);
  g_assert_no_error (error);
  sin_ref = expected_tensor (exp, "sinusoidal", NULL);
  ref = expected_tensor (exp, "embeddings", &n_ref);
  for (gsize k = 0; k < vs_model_get_n_tensors (m); k++)
    {
      const VsParamInfo *info = vs_model_get_tensor_info (m, k);
      if (info->frozen)
        g_assert_true (memcmp (vs_model_get_params (m, NULL) + info->offset, sin_ref,
                               info->numel * sizeof (float)) == 0);
    }
  fixture_inputs_load (dir, &in);
  D = vs_model_get_dimension (m);
  g_assert_cmpuint (n_ref, ==, in.n * D);
  emb = g_new (float, in.n * D);
  g_assert_true (vs_model_encode_tokens (m, (const guint32 *const *) in.ids, NULL, in.lengths, in.n, FALSE,
                                         emb, &error));
  ok = check_close ("embeddings without a stored position table", emb, ref, n_ref, 1e-5 * max_abs (ref, n_ref),
                    1e-5);
  fixture_inputs_clear (&in);
  g_ptr_array_unref (bufs);
  rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
  g_assert_true (ok);
}

int
main (int argc, char **argv)
{
  static const char *const archs[] = { "bert", "roberta", "xlm-roberta", "distilbert", "mpnet",
                                       "prompt-mean", "distilbert-sinusoidal" };
  static const char *const files[] = { "micro-f32", "micro-f16", "micro-bf16", "micro-sharded", "micro-prefixed" };

  g_test_init (&argc, &argv, NULL);
  vs_engine_set_threads (2);
  for (gsize i = 0; i < G_N_ELEMENTS (archs); i++)
    {
      g_autofree char *p1 = g_strdup_printf ("/model/parity/%s", archs[i]);
      g_autofree char *p2 = g_strdup_printf ("/model/packing/%s", archs[i]);
      g_autofree char *p3 = g_strdup_printf ("/model/save-roundtrip/%s", archs[i]);
      g_test_add_data_func (p1, archs[i], test_parity);
      g_test_add_data_func (p2, archs[i], test_packing);
      g_test_add_data_func (p3, archs[i], test_save_roundtrip);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_strdup_printf ("/model/files/%s", files[i]);
      g_test_add_data_func (p, files[i], test_files);
    }
  g_test_add_func ("/model/files/errors", test_file_errors);
  g_test_add_func ("/model/files/folder-errors", test_folder_errors);
  g_test_add_func ("/model/safetensors/corrupt", test_safetensors_corrupt);
  g_test_add_func ("/model/safetensors/labse-dense", test_labse_dense);
  g_test_add_func ("/model/mpnet-buckets", test_mpnet_buckets);
  g_test_add_func ("/model/dropout", test_dropout);
  g_test_add_func ("/model/bad-inputs", test_bad_inputs);
  g_test_add_func ("/model/param-table", test_param_table);
  g_test_add_func ("/model/pooling-masked", test_pooling_masked);
  g_test_add_func ("/model/include-prompt", test_include_prompt_flag);
  g_test_add_func ("/model/sinusoidal/init", test_sinusoidal_init);
  g_test_add_func ("/model/sinusoidal/frozen-step", test_sinusoidal_frozen_step);
  g_test_add_func ("/model/sinusoidal/missing-table", test_sinusoidal_missing);
  return g_test_run ();
}
