/* vs-protobuf.c: see vs-protobuf.h. */
#include "export/vs-protobuf.h"

#include <string.h>

void
vs_pb_put_varint (GByteArray *b, guint64 v)
{
  guint8 tmp[10];
  guint n = 0;

  do
    {
      tmp[n] = (guint8) (v & 0x7f);
      v >>= 7;
      if (v != 0)
        tmp[n] |= 0x80;
      n++;
    }
  while (v != 0);
  g_byte_array_append (b, tmp, n);
}

void
vs_pb_put_tag (GByteArray *b, guint32 field, VsPbWire wire)
{
  vs_pb_put_varint (b, ((guint64) field << 3) | (guint64) wire);
}

void
vs_pb_put_uint (GByteArray *b, guint32 field, guint64 v)
{
  vs_pb_put_tag (b, field, VS_PB_VARINT);
  vs_pb_put_varint (b, v);
}

void
vs_pb_put_int (GByteArray *b, guint32 field, gint64 v)
{
  vs_pb_put_uint (b, field, (guint64) v);
}

void
vs_pb_put_float (GByteArray *b, guint32 field, float v)
{
  guint32 u;
  guint8 le[4];

  memcpy (&u, &v, 4);
  le[0] = (guint8) u;
  le[1] = (guint8) (u >> 8);
  le[2] = (guint8) (u >> 16);
  le[3] = (guint8) (u >> 24);
  vs_pb_put_tag (b, field, VS_PB_I32);
  g_byte_array_append (b, le, 4);
}

void
vs_pb_put_bytes (GByteArray *b, guint32 field, const void *data, gsize len)
{
  vs_pb_put_tag (b, field, VS_PB_LEN);
  vs_pb_put_varint (b, len);
  if (len > 0)
    g_byte_array_append (b, data, (guint) len);
}

void
vs_pb_put_string (GByteArray *b, guint32 field, const char *s)
{
  vs_pb_put_bytes (b, field, s, strlen (s));
}

void
vs_pb_put_message (GByteArray *b, guint32 field, const GByteArray *msg)
{
  vs_pb_put_bytes (b, field, msg->data, msg->len);
}

void
vs_pb_put_packed_int64 (GByteArray *b, guint32 field, const gint64 *v, gsize n)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  for (gsize i = 0; i < n; i++)
    vs_pb_put_varint (body, (guint64) v[i]);
  vs_pb_put_message (b, field, body);
}
