/* vs-fault.c: atomic file writes and fault injection (see vs-fault.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vs-error.h"
#include "fault/vs-fault.h"

struct _VsAtomicFile
{
  char    *path;
  char    *tmp;
  int      fd;
  gboolean failed;
  gboolean committed;
};

/* ------------------------------------------------------------------------ */
/* fault rules */

typedef struct
{
  char   *kind;       /* "write", "bytes", "pause-write", "pause-POINT" */
  guint64 n;
  guint64 count;      /* writes or point hits so far */
} FaultRule;

static GMutex fault_lock;
static gboolean fault_loaded;
static GArray *fault_rules;   /* FaultRule */
static guint64 fault_bytes;   /* bytes written since the rules were set */

static void
rules_clear (void)
{
  if (fault_rules != NULL)
    {
      for (guint i = 0; i < fault_rules->len; i++)
        g_free (g_array_index (fault_rules, FaultRule, i).kind);
      g_array_set_size (fault_rules, 0);
    }
  else
    fault_rules = g_array_new (FALSE, TRUE, sizeof (FaultRule));
  fault_bytes = 0;
}

static void
rules_parse (const char *spec)
{
  g_auto(GStrv) parts = NULL;

  rules_clear ();
  fault_loaded = TRUE;
  if (spec == NULL || *spec == '\0')
    return;
  parts = g_strsplit (spec, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *colon = strchr (parts[i], ':');
      FaultRule r = { 0 };
      char *end = NULL;

      if (colon == NULL || colon == parts[i])
        {
          g_printerr ("VS_FAULT: rule \"%s\" is not KIND:N; ignored\n", parts[i]);
          continue;
        }
      r.n = g_ascii_strtoull (colon + 1, &end, 10);
      if (end == colon + 1 || *end != '\0')
        {
          g_printerr ("VS_FAULT: rule \"%s\": N is not a number; ignored\n", parts[i]);
          continue;
        }
      r.kind = g_strndup (parts[i], (gsize) (colon - parts[i]));
      if (strcmp (r.kind, "write") != 0 && strcmp (r.kind, "bytes") != 0 &&
          !g_str_has_prefix (r.kind, "pause-"))
        {
          g_printerr ("VS_FAULT: unknown kind \"%s\"; ignored\n", r.kind);
          g_free (r.kind);
          continue;
        }
      g_array_append_val (fault_rules, r);
    }
}

static void
ensure_loaded (void)
{
  if (!fault_loaded)
    rules_parse (g_getenv ("VS_FAULT"));
}

void
vs_fault_set (const char *spec)
{
  g_mutex_lock (&fault_lock);
  rules_parse (spec != NULL ? spec : g_getenv ("VS_FAULT"));
  g_mutex_unlock (&fault_lock);
}

static void
stop_self (const char *where)
{
  g_printerr ("VS_FAULT: stopping at %s (pid %d)\n", where, (int) getpid ());
  raise (SIGSTOP);
}

gsize
vs_fault_filter (gsize  len,
                 int   *err_out)
{
  gsize allowed = len;
  gboolean pause = FALSE;

  *err_out = 0;
  g_mutex_lock (&fault_lock);
  ensure_loaded ();
  for (guint i = 0; i < fault_rules->len; i++)
    {
      FaultRule *r = &g_array_index (fault_rules, FaultRule, i);

      if (strcmp (r->kind, "write") == 0 || strcmp (r->kind, "pause-write") == 0)
        {
          if (++r->count == r->n)
            {
              allowed = MIN (allowed, len / 2);
              if (r->kind[0] == 'w')
                *err_out = ENOSPC;
              else
                pause = TRUE;
            }
        }
      else if (strcmp (r->kind, "bytes") == 0)
        {
          guint64 room = r->n > fault_bytes ? r->n - fault_bytes : 0;

          if (room < len)
            {
              allowed = MIN (allowed, (gsize) room);
              *err_out = ENOSPC;
            }
        }
    }
  if (*err_out != 0)
    pause = FALSE;
  fault_bytes += allowed;
  g_mutex_unlock (&fault_lock);
  if (pause)
    stop_self ("a write");
  return allowed;
}

void
vs_fault_point (const char *name)
{
  gboolean pause = FALSE;

  g_mutex_lock (&fault_lock);
  ensure_loaded ();
  for (guint i = 0; i < fault_rules->len; i++)
    {
      FaultRule *r = &g_array_index (fault_rules, FaultRule, i);

      if (g_str_has_prefix (r->kind, "pause-") && strcmp (r->kind + 6, name) == 0 &&
          ++r->count == r->n)
        pause = TRUE;
    }
  g_mutex_unlock (&fault_lock);
  if (pause)
    stop_self (name);
}

/* ------------------------------------------------------------------------ */
/* atomic files */

VsAtomicFile *
vs_atomic_file_new (const char  *path,
                    int          mode,
                    GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  VsAtomicFile *f;

  g_return_val_if_fail (path != NULL, NULL);
  f = g_new0 (VsAtomicFile, 1);
  f->path = g_strdup (path);
  f->tmp = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  f->fd = g_mkstemp_full (f->tmp, O_WRONLY | O_CLOEXEC, mode);
  if (f->fd < 0)
    {
      int e = errno;

      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot create a temporary file in %s: %s",
                   path, dir, g_strerror (e));
      g_clear_pointer (&f->tmp, g_free);
      vs_atomic_file_free (f);
      return NULL;
    }
  /* g_mkstemp_full passes mode to open(2): the umask applies, as for any
   * new file (no umask() call here: it is process-wide, and threads of a
   * download pool create files at the same time). */
  return f;
}

gboolean
vs_atomic_file_write (VsAtomicFile  *f,
                      const void    *data,
                      gsize          len,
                      GError       **error)
{
  const char *p = data;

  g_return_val_if_fail (f != NULL && f->fd >= 0 && !f->failed, FALSE);
  while (len > 0)
    {
      /* Chunks of at most 64 MiB: a short write then continues. */
      gsize chunk = MIN (len, (gsize) 64 << 20);
      int fault = 0;
      gsize allowed = vs_fault_filter (chunk, &fault);
      gssize w = 0;

      if (allowed > 0)
        w = write (f->fd, p, allowed);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 || (w == 0 && allowed > 0) || (fault != 0 && (gsize) w == allowed))
        {
          int e = w < 0 ? errno : fault != 0 ? fault : EIO;

          f->failed = TRUE;
          g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s (nothing was replaced)", f->path,
                       g_strerror (e));
          return FALSE;
        }
      p += w;
      len -= (gsize) w;
    }
  return TRUE;
}

gboolean
vs_atomic_file_commit (VsAtomicFile  *f,
                       GError       **error)
{
  int e = 0;

  g_return_val_if_fail (f != NULL && f->fd >= 0 && !f->failed, FALSE);
  if (fsync (f->fd) != 0 && errno != EINVAL)
    e = errno;
  if (close (f->fd) != 0 && e == 0)
    e = errno;
  f->fd = -1;
  if (e == 0 && g_rename (f->tmp, f->path) != 0)
    e = errno;
  if (e != 0)
    {
      f->failed = TRUE;
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: %s (nothing was replaced)", f->path, g_strerror (e));
      return FALSE;
    }
  f->committed = TRUE;
  return TRUE;
}

void
vs_atomic_file_free (VsAtomicFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  if (!f->committed && f->tmp != NULL)
    g_unlink (f->tmp);
  g_free (f->tmp);
  g_free (f->path);
  g_free (f);
}

gboolean
vs_file_set_contents (const char  *path,
                      const void  *data,
                      gssize       len,
                      int          mode,
                      GError     **error)
{
  g_autoptr(VsAtomicFile) f = vs_atomic_file_new (path, mode, error);

  if (len < 0)
    len = (gssize) strlen (data);
  return f != NULL && vs_atomic_file_write (f, data, (gsize) len, error) &&
         vs_atomic_file_commit (f, error);
}
