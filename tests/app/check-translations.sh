#!/usr/bin/env bash
# The German translation is complete: every string that xgettext extracts from
# the files in po/POTFILES.in today has a non-fuzzy translation in po/de.po,
# and the catalogue compiles with msgfmt --check.
set -euo pipefail
cd "${VS_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^\s*#' po/POTFILES.in | sed '/^\s*$/d' > "$tmp/POTFILES"
xgettext --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  -f "$tmp/POTFILES" -o "$tmp/current.pot"
msgfmt --check --statistics -o /dev/null po/de.po
# msgcmp fails on any msgid of the template that de.po lacks or leaves untranslated.
msgcmp po/de.po "$tmp/current.pot"
fuzzy=$(msgattrib --only-fuzzy --no-obsolete po/de.po | grep -c '^msgid' || true)
if [ "$fuzzy" -gt 0 ]; then
  echo "po/de.po has fuzzy entries"; exit 1
fi
echo "po/de.po translates all $(grep -c '^msgid' "$tmp/current.pot") extracted strings"
