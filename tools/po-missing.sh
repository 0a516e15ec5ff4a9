#!/usr/bin/env bash
# Lists the strings of po/POTFILES.in that po/de.po does not translate yet
# (as a .po fragment to fill in), for translators: bash tools/po-missing.sh > /tmp/new.po
set -euo pipefail
cd "$(dirname "$0")/.."
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
msgmerge --quiet --no-fuzzy-matching po/de.po "$tmp/current.pot" -o "$tmp/merged.po"
msgattrib --untranslated --no-obsolete "$tmp/merged.po"
