/* vs-checkpoint.c: safetensors of flat F32 tensors and folder helpers for
 * checkpoints (see vs-checkpoint.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib/gstdio.h>

#include "vs-error.h"
#include "fault/vs-fault.h"
#include "train/vs-checkpoint.h"

gboolean
vs_tensor_file_write (const char              *path,
                      const VsTensorFileEntry *entries,
                      guint                    n_entries,
                      GError                 **error)
{
  cJSON *header = cJSON_CreateObject ();
  g_autofree char *header_text = NULL;
  GByteArray *bytes;
  gsize offset = 0;
  gsize header_len;
  guint64 len_le;
  gboolean ok;

  for (guint i = 0; i < n_entries; i++)
    {
      cJSON *t = cJSON_AddObjectToObject (header, entries[i].name);
      cJSON *shape = cJSON_AddArrayToObject (t, "shape");
      cJSON *offs = cJSON_AddArrayToObject (t, "data_offsets");

      cJSON_AddStringToObject (t, "dtype", "F32");
      cJSON_AddItemToArray (shape, cJSON_CreateNumber ((double) entries[i].n));
      cJSON_AddItemToArray (offs, cJSON_CreateNumber ((double) offset));
      offset += entries[i].n * sizeof (float);
      cJSON_AddItemToArray (offs, cJSON_CreateNumber ((double) offset));
    }
  {
    char *printed = cJSON_PrintUnformatted (header);
    header_text = g_strdup (printed);
    cJSON_free (printed);
  }
  cJSON_Delete (header);

  /* The data starts 8-aligned: pad the header with spaces. */
  header_len = strlen (header_text);
  bytes = g_byte_array_sized_new ((guint) (8 + header_len + 8 + offset));
  {
    gsize padded = (header_len + 7) / 8 * 8;

    len_le = GUINT64_TO_LE ((guint64) padded);
    g_byte_array_append (bytes, (const guint8 *) &len_le, 8);
    g_byte_array_append (bytes, (const guint8 *) header_text, (guint) header_len);
    for (gsize i = header_len; i < padded; i++)
      g_byte_array_append (bytes, (const guint8 *) " ", 1);
  }
  for (guint i = 0; i < n_entries; i++)
    {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      g_byte_array_append (bytes, (const guint8 *) entries[i].data,
                           (guint) (entries[i].n * sizeof (float)));
#else
      for (gsize j = 0; j < entries[i].n; j++)
        {
          guint32 v;

          memcpy (&v, &entries[i].data[j], 4);
          v = GUINT32_TO_LE (v);
          g_byte_array_append (bytes, (const guint8 *) &v, 4);
        }
#endif
    }
  ok = vs_file_set_contents (path, bytes->data, bytes->len, 0644, error);
  g_byte_array_unref (bytes);
  return ok;
}

gboolean
vs_tensor_file_read_into (const char              *path,
                          const VsTensorFileEntry *entries,
                          guint                    n_entries,
                          GError                 **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local_error = NULL;
  const guint8 *data;
  gsize size;
  guint64 header_len;
  cJSON *header;

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  data = (const guint8 *) g_mapped_file_get_contents (file);
  size = g_mapped_file_get_length (file);
  if (size < 8)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: too short for a safetensors file", path);
      return FALSE;
    }
  memcpy (&header_len, data, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > size - 8)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                   "%s: header length %" G_GUINT64_FORMAT " exceeds the file size", path, header_len);
      return FALSE;
    }
  header = cJSON_ParseWithLength ((const char *) data + 8, (gsize) header_len);
  if (header == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: the header is not valid JSON", path);
      return FALSE;
    }
  for (guint i = 0; i < n_entries; i++)
    {
      const cJSON *t = cJSON_GetObjectItemCaseSensitive (header, entries[i].name);
      const cJSON *dtype = cJSON_GetObjectItemCaseSensitive (t, "dtype");
      const cJSON *offs = cJSON_GetObjectItemCaseSensitive (t, "data_offsets");
      double begin;
      double end;

      if (t == NULL)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_NOT_FOUND, "%s: no tensor “%s”", path, entries[i].name);
          cJSON_Delete (header);
          return FALSE;
        }
      if (!cJSON_IsString (dtype) || strcmp (dtype->valuestring, "F32") != 0 ||
          cJSON_GetArraySize (offs) != 2)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: tensor “%s”: expected F32 with data_offsets",
                       path, entries[i].name);
          cJSON_Delete (header);
          return FALSE;
        }
      begin = cJSON_GetArrayItem (offs, 0)->valuedouble;
      end = cJSON_GetArrayItem (offs, 1)->valuedouble;
      if (begin < 0 || end < begin || end - begin != (double) (entries[i].n * sizeof (float)) ||
          8.0 + (double) header_len + end > (double) size)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_INVALID,
                       "%s: tensor “%s”: expected %" G_GSIZE_FORMAT " floats within the file",
                       path, entries[i].name, entries[i].n);
          cJSON_Delete (header);
          return FALSE;
        }
      memcpy (entries[i].data, data + 8 + header_len + (gsize) begin, entries[i].n * sizeof (float));
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
      for (gsize j = 0; j < entries[i].n; j++)
        {
          guint32 v;

          memcpy (&v, &entries[i].data[j], 4);
          v = GUINT32_FROM_LE (v);
          memcpy (&entries[i].data[j], &v, 4);
        }
#endif
    }
  cJSON_Delete (header);
  return TRUE;
}

gboolean
vs_remove_tree (const char  *path,
                GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    return TRUE;
  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (g_unlink (path) != 0)
        {
          int err = errno;

          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (err));
          return FALSE;
        }
      return TRUE;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!vs_remove_tree (child, error))
        return FALSE;
    }
  if (g_rmdir (path) != 0)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

gboolean
vs_move_folder_contents (const char  *src,
                         const char  *dest,
                         GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *name;

  if (g_mkdir_with_parents (dest, 0755) != 0)
    {
      int err = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s", dest, g_strerror (err));
      return FALSE;
    }
  dir = g_dir_open (src, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dest, name, NULL);

      /* A folder cannot be renamed over a non-empty one: clear it first. */
      if (g_file_test (from, G_FILE_TEST_IS_DIR) && g_file_test (to, G_FILE_TEST_IS_DIR) &&
          !vs_remove_tree (to, error))
        return FALSE;
      if (g_rename (from, to) != 0)
        {
          int err = errno;

          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s -> %s: %s", from, to, g_strerror (err));
          return FALSE;
        }
    }
  return vs_remove_tree (src, error);
}
