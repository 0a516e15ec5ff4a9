/* vs-protobuf.h: a small Protocol Buffers writer (wire format only).
 *
 * Appends encoded fields to a GByteArray: varints (wire type 0), 32-bit
 * fixed (wire type 5, floats), length-delimited (wire type 2: bytes, strings,
 * nested messages, packed repeated scalars). No schema, no reader: the ONNX
 * exporter (vs-onnx.h) builds its messages bottom-up with it.
 *
 *   g_autoptr(GByteArray) b = g_byte_array_new ();
 *   vs_pb_put_uint (b, 2, 150);        // field 2 = 150: 10 96 01
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VS_PB_VARINT = 0,
  VS_PB_I64 = 1,
  VS_PB_LEN = 2,
  VS_PB_I32 = 5,
} VsPbWire;

/* Base-128 varint, low group first. */
void vs_pb_put_varint  (GByteArray *b, guint64 v);
/* (field << 3) | wire */
void vs_pb_put_tag     (GByteArray *b, guint32 field, VsPbWire wire);
/* Varint field; negative int64/int32 values are written as their 64-bit
 * two's complement (10 bytes), as protobuf's int64/int32 types are. */
void vs_pb_put_uint    (GByteArray *b, guint32 field, guint64 v);
void vs_pb_put_int     (GByteArray *b, guint32 field, gint64 v);
/* Fixed 32-bit little-endian float field. */
void vs_pb_put_float   (GByteArray *b, guint32 field, float v);
/* Length-delimited field. */
void vs_pb_put_bytes   (GByteArray *b, guint32 field, const void *data, gsize len);
void vs_pb_put_string  (GByteArray *b, guint32 field, const char *s);
void vs_pb_put_message (GByteArray *b, guint32 field, const GByteArray *msg);
/* Packed repeated int64 (one length-delimited field of varints). */
void vs_pb_put_packed_int64 (GByteArray *b, guint32 field, const gint64 *v, gsize n);

G_END_DECLS
