#!/usr/bin/env bash
# The German translation is complete: every string that xgettext extracts from
# the files in po/POTFILES.in today has a non-fuzzy translation in po/de.po,
# and the catalogue compiles with msgfmt --check.
set -euo pipefail
cd "${VS_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bash tools/po-template.sh "$tmp/current.pot"
msgfmt --check --statistics -o /dev/null po/de.po
# msgcmp fails on any msgid of the template that de.po lacks or leaves untranslated.
msgcmp po/de.po "$tmp/current.pot"
fuzzy=$(msgattrib --only-fuzzy --no-obsolete po/de.po | grep -c '^msgid' || true)
if [ "$fuzzy" -gt 0 ]; then
  echo "po/de.po has fuzzy entries"; exit 1
fi
echo "po/de.po translates all $(grep -c '^msgid' "$tmp/current.pot") extracted strings"
