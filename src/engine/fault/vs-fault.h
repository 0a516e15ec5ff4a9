/* vs-fault.h: atomic file writes with a fault-injection point.
 *
 * Every writer of user work (model folders, checkpoints, cards, recipes,
 * event logs, Hub cache downloads) writes through VsAtomicFile: the bytes go
 * into a temporary file next to the target, which is flushed to disk and
 * renamed over the target only when it is complete, so a write that fails
 * half way leaves the previous file as it was.
 *
 *   g_autoptr(VsAtomicFile) f = vs_atomic_file_new (path, 0644, &error);
 *   if (f == NULL || !vs_atomic_file_write (f, data, n, &error) ||
 *       !vs_atomic_file_commit (f, &error))
 *     return FALSE;           // the temporary file is gone, path untouched
 *
 * or in one call: vs_file_set_contents (path, data, n, 0644, &error).
 * The mode is passed to open(2), so the umask applies (0600 for secrets).
 *
 * Fault injection (tests): VS_FAULT in the environment, or vs_fault_set (),
 * holds comma-separated rules, counted from the moment they are set:
 *   write:N        the Nth write (vs_atomic_file_write / vs_fault_filter)
 *                  writes half its bytes, then fails with ENOSPC
 *   bytes:N        writes fail with ENOSPC once N bytes have been written
 *                  in total (a full disk: every later write fails too)
 *   pause-write:N  the Nth write writes half its bytes, then the process
 *                  stops itself (SIGSTOP) in the middle of the write
 *   pause-POINT:N  the Nth time vs_fault_point ("POINT") is reached, the
 *                  process stops itself (e.g. pause-in-checkpoint:2)
 * A rule that cannot be parsed is reported once on stderr and ignored.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VsAtomicFile VsAtomicFile;

/* Opens a temporary file next to path (created with mode, umask applied).
 * NULL + error naming the folder when it cannot be created. */
VsAtomicFile *vs_atomic_file_new    (const char    *path,
                                     int            mode,
                                     GError       **error);
/* Appends len bytes; FALSE + error naming the final path (e.g. "No space
 * left on device"). After a failure, only _abort/_free are allowed. */
gboolean      vs_atomic_file_write  (VsAtomicFile  *file,
                                     const void    *data,
                                     gsize          len,
                                     GError       **error);
/* Flushes, closes and renames the file over path. On failure the
 * temporary file is removed and path is untouched. Frees nothing. */
gboolean      vs_atomic_file_commit (VsAtomicFile  *file,
                                     GError       **error);
/* Removes the temporary file (unless committed) and frees. */
void          vs_atomic_file_free   (VsAtomicFile  *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsAtomicFile, vs_atomic_file_free)

/* The whole of data (len < 0: a NUL-terminated string) into path,
 * atomically; the error names path. */
gboolean      vs_file_set_contents  (const char    *path,
                                     const void    *data,
                                     gssize         len,
                                     int            mode,
                                     GError       **error);

/* Sets the fault rules (see above); NULL re-reads VS_FAULT, "" clears. */
void          vs_fault_set          (const char    *spec);
/* For writers that do their own I/O (a download's write callback): how many
 * of len bytes may be written now. Returns len normally; fewer, with
 * *err_out = ENOSPC, when an injected fault says the write fails there.
 * May stop the process (pause-write). */
gsize         vs_fault_filter       (gsize          len,
                                     int           *err_out);
/* A named point where pause-POINT:N rules stop the process. */
void          vs_fault_point        (const char    *name);

G_END_DECLS
