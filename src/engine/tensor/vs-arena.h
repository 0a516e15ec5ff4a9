/* vs-arena.h: a small cache of large float buffers reused across steps.
 *
 * The encoder's activations and backward scratch are a few hundred MB per
 * training step. Allocating them per step costs a fresh mmap, a page fault
 * per 4 KiB page and an munmap every step (glibc serves blocks this large
 * with mmap). A VsArena keeps the buffers handed back to it and hands the
 * smallest one that fits to the next request, so a run of steps of the same
 * shape class (same or smaller token count) touches no new pages.
 *
 *   VsArena *arena = vs_arena_new (4);
 *   float *buf = vs_arena_take (arena, n);   // NULL when out of memory
 *   ...
 *   vs_arena_give (arena, buf);              // kept for the next take
 *   vs_arena_unref (arena);                  // frees it once no buffer is out
 *
 * Buffers are not zeroed. New buffers get 1/8 slack so texts of mixed
 * lengths reuse the same buffers. At most max_idle buffers stay cached
 * (the smallest idle one goes first). Thread-safe; each buffer taken holds
 * a reference, so buffers may outlive their owner's last unref.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VsArena VsArena;

VsArena    *vs_arena_new          (guint    max_idle);
VsArena    *vs_arena_ref          (VsArena *arena);
void        vs_arena_unref        (VsArena *arena);
/* n floats (n 0 counts as 1), NULL when out of memory. */
float      *vs_arena_take         (VsArena *arena,
                                   gsize    n);
/* Hands buf (from vs_arena_take of this arena, or NULL) back. */
void        vs_arena_give         (VsArena *arena,
                                   float   *buf);
/* Frees every idle buffer (the memory goes back to the system). */
void        vs_arena_trim         (VsArena *arena);
/* Statistics, for tests: buffers allocated so far, buffers idle now. */
guint64     vs_arena_get_n_allocs (VsArena *arena);
guint       vs_arena_get_n_idle   (VsArena *arena);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsArena, vs_arena_unref)

G_END_DECLS
