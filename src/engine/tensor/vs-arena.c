/* vs-arena.c: see vs-arena.h. */
#include "config.h"

#include "vs-arena.h"

typedef struct
{
  float   *p;
  gsize    cap;   /* floats */
  gboolean busy;
} Block;

struct _VsArena
{
  gatomicrefcount ref;
  GMutex          lock;
  GArray         *blocks;   /* Block */
  guint           max_idle;
  guint64         n_allocs;
};

VsArena *
vs_arena_new (guint max_idle)
{
  VsArena *arena = g_new0 (VsArena, 1);

  g_atomic_ref_count_init (&arena->ref);
  g_mutex_init (&arena->lock);
  arena->blocks = g_array_new (FALSE, FALSE, sizeof (Block));
  arena->max_idle = max_idle;
  return arena;
}

VsArena *
vs_arena_ref (VsArena *arena)
{
  g_atomic_ref_count_inc (&arena->ref);
  return arena;
}

void
vs_arena_unref (VsArena *arena)
{
  if (arena == NULL || !g_atomic_ref_count_dec (&arena->ref))
    return;
  for (guint i = 0; i < arena->blocks->len; i++)
    g_free (g_array_index (arena->blocks, Block, i).p);
  g_array_unref (arena->blocks);
  g_mutex_clear (&arena->lock);
  g_free (arena);
}

float *
vs_arena_take (VsArena *arena,
               gsize    n)
{
  Block *best = NULL;
  Block b;

  n = MAX (n, 1);
  g_mutex_lock (&arena->lock);
  for (guint i = 0; i < arena->blocks->len; i++)
    {
      Block *k = &g_array_index (arena->blocks, Block, i);

      if (!k->busy && k->cap >= n && (best == NULL || k->cap < best->cap))
        best = k;
    }
  if (best != NULL)
    {
      float *p = best->p;

      best->busy = TRUE;
      g_mutex_unlock (&arena->lock);
      vs_arena_ref (arena);
      return p;
    }
  g_mutex_unlock (&arena->lock);

  b.cap = n <= G_MAXSIZE / sizeof (float) - n / 8 ? n + n / 8 : n;
  b.p = b.cap <= G_MAXSIZE / sizeof (float) ? g_try_malloc (b.cap * sizeof (float)) : NULL;
  if (b.p == NULL && b.cap != n)
    {
      b.cap = n;
      b.p = n <= G_MAXSIZE / sizeof (float) ? g_try_malloc (n * sizeof (float)) : NULL;
    }
  if (b.p == NULL)
    return NULL;
  b.busy = TRUE;
  g_mutex_lock (&arena->lock);
  g_array_append_val (arena->blocks, b);
  arena->n_allocs++;
  g_mutex_unlock (&arena->lock);
  vs_arena_ref (arena);
  return b.p;
}

void
vs_arena_give (VsArena *arena,
               float   *buf)
{
  guint n_idle = 0;
  gboolean found = FALSE;

  if (buf == NULL)
    return;
  g_mutex_lock (&arena->lock);
  for (guint i = 0; i < arena->blocks->len; i++)
    {
      Block *k = &g_array_index (arena->blocks, Block, i);

      if (k->p == buf)
        {
          g_warn_if_fail (k->busy);
          k->busy = FALSE;
          found = TRUE;
        }
      if (!k->busy)
        n_idle++;
    }
  g_warn_if_fail (found);
  /* over the limit: the smallest idle buffers go first */
  while (n_idle > arena->max_idle)
    {
      guint victim = G_MAXUINT;

      for (guint i = 0; i < arena->blocks->len; i++)
        {
          Block *k = &g_array_index (arena->blocks, Block, i);

          if (!k->busy && (victim == G_MAXUINT || k->cap < g_array_index (arena->blocks, Block, victim).cap))
            victim = i;
        }
      g_free (g_array_index (arena->blocks, Block, victim).p);
      g_array_remove_index_fast (arena->blocks, victim);
      n_idle--;
    }
  g_mutex_unlock (&arena->lock);
  if (found)
    vs_arena_unref (arena);
}

void
vs_arena_trim (VsArena *arena)
{
  g_mutex_lock (&arena->lock);
  for (guint i = arena->blocks->len; i-- > 0;)
    {
      Block *k = &g_array_index (arena->blocks, Block, i);

      if (!k->busy)
        {
          g_free (k->p);
          g_array_remove_index_fast (arena->blocks, i);
        }
    }
  g_mutex_unlock (&arena->lock);
}

guint64
vs_arena_get_n_allocs (VsArena *arena)
{
  guint64 n;

  g_mutex_lock (&arena->lock);
  n = arena->n_allocs;
  g_mutex_unlock (&arena->lock);
  return n;
}

guint
vs_arena_get_n_idle (VsArena *arena)
{
  guint n = 0;

  g_mutex_lock (&arena->lock);
  for (guint i = 0; i < arena->blocks->len; i++)
    if (!g_array_index (arena->blocks, Block, i).busy)
      n++;
  g_mutex_unlock (&arena->lock);
  return n;
}
