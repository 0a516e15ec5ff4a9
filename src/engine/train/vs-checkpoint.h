/* vs-checkpoint.h: the files of a training checkpoint (private to train/).
 *
 * optimizer.safetensors holds flat F32 tensors by name ("model.params",
 * "model.exp_avg", "model.exp_avg_sq", one triple per parameter block) in
 * the safetensors layout, so Python's safetensors can read it too.
 *
 *   VsTensorFileEntry e[] = { { "model.params", params, n }, … };
 *   vs_tensor_file_write (path, e, G_N_ELEMENTS (e), &error);
 *   vs_tensor_file_read_into (path, e, G_N_ELEMENTS (e), &error);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;
  float      *data;
  gsize       n;
} VsTensorFileEntry;

/* Writes the tensors (F32, 1-D) as a safetensors file, atomically. */
gboolean vs_tensor_file_write     (const char              *path,
                                   const VsTensorFileEntry *entries,
                                   guint                    n_entries,
                                   GError                 **error);

/* Reads each named tensor into its data; FALSE + error naming the file and
 * tensor when one is missing, not F32, of another size or out of bounds. */
gboolean vs_tensor_file_read_into (const char              *path,
                                   const VsTensorFileEntry *entries,
                                   guint                    n_entries,
                                   GError                 **error);

/* Removes a folder and everything under it; FALSE + error on failure. */
gboolean vs_remove_tree           (const char  *path,
                                   GError     **error);

/* Moves every entry of src into dest (created if missing), replacing
 * same-named entries one rename at a time, then removes src. */
gboolean vs_move_folder_contents  (const char  *src,
                                   const char  *dest,
                                   GError     **error);

G_END_DECLS
