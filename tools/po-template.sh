#!/usr/bin/env bash
# Writes the translation template of every file in po/POTFILES.in to $1
# (xgettext with GLib's keywords). Used by tests/app/check-translations.sh
# and tools/po-missing.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: po-template.sh OUT.pot}
list=$(mktemp)
trap 'rm -f "$list"' EXIT
grep -v '^\s*#' po/POTFILES.in | sed '/^\s*$/d' > "$list"
xgettext --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  -f "$list" -o "$out"
