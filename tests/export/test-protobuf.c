/* test-protobuf.c: the protobuf writer against bytes encoded independently:
 * the examples of the protobuf encoding guide
 * (protobuf.dev/programming-guides/encoding) and, for many varints, the
 * bytes Python's own manual varint encoding gives (tests/export/varints.py,
 * run by meson and compared here). */
#include <glib.h>
#include <string.h>

#include "export/vs-protobuf.h"

static void
assert_bytes (GByteArray *b, const guint8 *want, gsize n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < b->len; i++)
    g_string_append_printf (s, "%02x ", b->data[i]);
  g_test_message ("bytes: %s", s->str);
  g_string_free (s, TRUE);
  g_assert_cmpmem (b->data, b->len, want, n);
}

static void
test_guide_examples (void)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  /* message Test1 { int32 a = 1; } a = 150 -> 08 96 01 */
  static const guint8 t1[] = { 0x08, 0x96, 0x01 };
  /* message Test2 { string b = 2; } b = "testing" -> 12 07 74 65 73 74 69 6e 67 */
  static const guint8 t2[] = { 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67 };
  /* message Test3 { Test1 c = 3; } -> 1a 03 08 96 01 */
  static const guint8 t3[] = { 0x1a, 0x03, 0x08, 0x96, 0x01 };
  /* repeated int32 f = 4 [packed]: 3, 270, 86942 -> 22 06 03 8e 02 9e a7 05 */
  static const guint8 t4[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };
  /* int64 -2 as field 1: ten-byte two's complement */
  static const guint8 t5[] = { 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
  /* float 1.0 field 2 (fixed32): 15 00 00 80 3f */
  static const guint8 t6[] = { 0x15, 0x00, 0x00, 0x80, 0x3f };
  /* field 20 varint 7 (ONNX AttributeProto.type = INTS): tag a0 01, value 07 */
  static const guint8 t7[] = { 0xa0, 0x01, 0x07 };
  gint64 packed[] = { 3, 270, 86942 };
  g_autoptr(GByteArray) inner = g_byte_array_new ();

  vs_pb_put_int (b, 1, 150);
  assert_bytes (b, t1, sizeof t1);
  g_byte_array_set_size (b, 0);
  vs_pb_put_string (b, 2, "testing");
  assert_bytes (b, t2, sizeof t2);
  g_byte_array_set_size (b, 0);
  vs_pb_put_int (inner, 1, 150);
  vs_pb_put_message (b, 3, inner);
  assert_bytes (b, t3, sizeof t3);
  g_byte_array_set_size (b, 0);
  vs_pb_put_packed_int64 (b, 4, packed, 3);
  assert_bytes (b, t4, sizeof t4);
  g_byte_array_set_size (b, 0);
  vs_pb_put_int (b, 1, -2);
  assert_bytes (b, t5, sizeof t5);
  g_byte_array_set_size (b, 0);
  vs_pb_put_float (b, 2, 1.0f);
  assert_bytes (b, t6, sizeof t6);
  g_byte_array_set_size (b, 0);
  vs_pb_put_uint (b, 20, 7);
  assert_bytes (b, t7, sizeof t7);
  g_byte_array_set_size (b, 0);
  vs_pb_put_bytes (b, 9, "", 0);   /* empty bytes: tag 4a, length 0 */
  {
    static const guint8 t8[] = { 0x4a, 0x00 };
    assert_bytes (b, t8, sizeof t8);
  }
}

/* Each line of the file: a decimal uint64 and the hex of its varint. */
static void
test_python_varints (gconstpointer data)
{
  const char *path = data;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint checked = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = NULL;
      g_autoptr(GByteArray) b = g_byte_array_new ();
      GString *hex = g_string_new (NULL);

      if (lines[i][0] == '\0')
        continue;
      f = g_strsplit (lines[i], " ", 2);
      g_assert_nonnull (f[1]);
      vs_pb_put_varint (b, g_ascii_strtoull (f[0], NULL, 10));
      for (guint k = 0; k < b->len; k++)
        g_string_append_printf (hex, "%02x", b->data[k]);
      g_assert_cmpstr (hex->str, ==, f[1]);
      g_string_free (hex, TRUE);
      checked++;
    }
  g_assert_cmpuint (checked, >=, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protobuf/guide-examples", test_guide_examples);
  if (argc > 1)
    g_test_add_data_func ("/protobuf/python-varints", argv[1], test_python_varints);
  return g_test_run ();
}
