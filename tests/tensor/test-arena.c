/* test-arena.c: VsArena hands back the buffers it was given (no new
 * allocation for a request that fits), keeps at most max_idle idle buffers
 * (the smallest go first), survives its owner's unref while a buffer is out,
 * and the encoder reuses its activation blocks across training steps. */
#include "config.h"

#include <string.h>

#include "model/vs-model.h"
#include "tensor/vs-arena.h"
#include "vs-test-fixture.h"

static void
test_reuse (void)
{
  g_autoptr(VsArena) arena = vs_arena_new (2);
  float *a = vs_arena_take (arena, 1000);
  float *b, *c, *d;

  g_assert_nonnull (a);
  memset (a, 0, 1000 * sizeof (float));   /* the whole request is usable */
  g_assert_cmpuint (vs_arena_get_n_allocs (arena), ==, 1);
  vs_arena_give (arena, a);
  g_assert_cmpuint (vs_arena_get_n_idle (arena), ==, 1);
  /* the same size and a smaller one within the slack reuse it */
  b = vs_arena_take (arena, 1000);
  g_assert_true (b == a);
  vs_arena_give (arena, b);
  b = vs_arena_take (arena, 1100);   /* 1000 + 1/8 slack = 1125 */
  g_assert_true (b == a);
  g_assert_cmpuint (vs_arena_get_n_allocs (arena), ==, 1);
  /* a bigger one while b is out: a new buffer */
  c = vs_arena_take (arena, 5000);
  g_assert_true (c != b);
  g_assert_cmpuint (vs_arena_get_n_allocs (arena), ==, 2);
  d = vs_arena_take (arena, 10);
  g_assert_cmpuint (vs_arena_get_n_allocs (arena), ==, 3);
  vs_arena_give (arena, b);
  vs_arena_give (arena, c);
  vs_arena_give (arena, d);
  /* three idle, limit two: the smallest (d) went */
  g_assert_cmpuint (vs_arena_get_n_idle (arena), ==, 2);
  /* the smallest that fits is chosen: b (1125) for 900, not c (5625) */
  a = vs_arena_take (arena, 900);
  g_assert_true (a == b);
  vs_arena_give (arena, a);
  g_assert_cmpuint (vs_arena_get_n_allocs (arena), ==, 3);
  vs_arena_give (arena, NULL);
  vs_arena_trim (arena);
  g_assert_cmpuint (vs_arena_get_n_idle (arena), ==, 0);
}

static void
test_outlives_owner (void)
{
  VsArena *arena = vs_arena_new (1);
  float *a = vs_arena_take (arena, 64);

  vs_arena_unref (arena);   /* the buffer still holds a reference */
  a[63] = 1.0f;
  vs_arena_give (arena, a);  /* frees the arena */
}

/* Two training steps of a pair loss's shape (two forwards alive, then
 * backward) allocate the encoder's blocks once; the second step (and a
 * shorter batch) reuse them, and the gradients equal a fresh model's. */
static void
test_encoder_steps (void)
{
  g_autofree char *dir = vs_test_fixture_path ("train", "parity");
  g_autofree char *path = g_build_filename (dir, "model", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VsModel) m = vs_model_load (path, &error);
  g_autoptr(VsModel) fresh = NULL;
  guint32 t0[] = { 2, 741, 324, 60, 785, 737, 639, 492, 712, 731, 10, 3 };
  guint32 t1[] = { 2, 741, 324, 60, 785, 737, 492, 731, 10, 3 };
  const guint32 *ids[] = { t0, t1 };
  gsize lengths[] = { G_N_ELEMENTS (t0), G_N_ELEMENTS (t1) };
  gsize short_lengths[] = { 5, 4 };
  gsize D;
  g_autofree float *out = NULL, *dout = NULL;
  guint64 allocs = 0;

  g_assert_no_error (error);
  vs_model_set_dropout (m, 0.0f);
  D = vs_model_get_dimension (m);
  out = g_new (float, 2 * D);
  dout = g_new (float, 2 * D);
  for (gsize i = 0; i < 2 * D; i++)
    dout[i] = (float) ((i * 37) % 11) / 11.0f - 0.5f;
  for (int step = 0; step < 4; step++)
    {
      const gsize *len = step == 3 ? short_lengths : lengths;
      VsForward *fa, *fb;

      vs_model_zero_grad (m);
      fa = vs_model_forward_tokens (m, ids, NULL, len, 2, TRUE, out, &error);
      g_assert_no_error (error);
      fb = vs_model_forward_tokens (m, ids, NULL, len, 2, TRUE, out, &error);
      g_assert_no_error (error);
      vs_model_backward (m, fa, dout);
      vs_model_backward (m, fb, dout);
      vs_forward_free (fa);
      vs_forward_free (fb);
      if (step == 0)
        allocs = vs_model_get_arena_allocs (m);
      else
        g_assert_cmpuint (vs_model_get_arena_allocs (m), ==, allocs);
    }
  g_assert_cmpuint (allocs, >=, 3);   /* two forwards + the backward scratch */

  /* the reused (dirty) buffers give the same gradients as fresh ones */
  fresh = vs_model_load (path, &error);
  g_assert_no_error (error);
  vs_model_set_dropout (fresh, 0.0f);
  vs_model_zero_grad (m);
  vs_model_zero_grad (fresh);
  for (int k = 0; k < 2; k++)
    {
      VsModel *mm = k == 0 ? m : fresh;
      VsForward *f = vs_model_forward_tokens (mm, ids, NULL, lengths, 2, TRUE, out, &error);

      g_assert_no_error (error);
      vs_model_backward (mm, f, dout);
      vs_forward_free (f);
    }
  {
    gsize n1, n2;
    const float *g1 = vs_model_get_grads (m, &n1), *g2 = vs_model_get_grads (fresh, &n2);

    g_assert_cmpuint (n1, ==, n2);
    for (gsize i = 0; i < n1; i++)
      g_assert_cmpfloat (g1[i], ==, g2[i]);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensor/arena/reuse", test_reuse);
  g_test_add_func ("/tensor/arena/outlives-owner", test_outlives_owner);
  g_test_add_func ("/tensor/arena/encoder-steps", test_encoder_steps);
  return g_test_run ();
}
