/* vs-error.h: the engine's error domain.
 *
 * Every failure of outside input (a file, a recipe, a server's answer) is a
 * GError in VS_ERROR whose message names what was wrong and where: the file,
 * the field, the tensor, the row or the line. Programming errors (API misuse)
 * are g_return_if_fail() checks instead.
 *
 *   if (!vs_thing_load (path, &error))
 *     g_printerr ("%s\n", error->message);
 *
 *   g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
 *                "%s: model.merges[%u]: expected two tokens", path, i);
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VS_ERROR (vs_error_quark ())

typedef enum
{
  VS_ERROR_FAILED,        /* anything not listed below */
  VS_ERROR_IO,            /* a file or folder could not be read or written */
  VS_ERROR_PARSE,         /* a file's content is malformed */
  VS_ERROR_INVALID,       /* a value is out of range or inconsistent with another */
  VS_ERROR_UNSUPPORTED,   /* well-formed, but a feature this program does not handle */
  VS_ERROR_NOT_FOUND,     /* a file, repository, revision or column does not exist */
  VS_ERROR_CANCELLED,     /* the user cancelled */
  VS_ERROR_NETWORK,       /* the connection failed or dropped */
  VS_ERROR_AUTH,          /* missing or invalid token */
  VS_ERROR_PERMISSION,    /* authenticated, but not allowed */
  VS_ERROR_RATE_LIMITED,  /* the server asked us to slow down */
  VS_ERROR_CONFLICT,      /* the server's state changed under us */
  VS_ERROR_NUMERIC,       /* a NaN or an infinity appeared */
} VsError;

GQuark vs_error_quark (void);

G_END_DECLS
