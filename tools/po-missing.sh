#!/usr/bin/env bash
# Lists the strings of po/POTFILES.in that po/de.po does not translate yet
# (as a .po fragment to fill in), for translators: bash tools/po-missing.sh > /tmp/new.po
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash tools/po-template.sh "$tmp/current.pot"
msgmerge --quiet --no-fuzzy-matching po/de.po "$tmp/current.pot" -o "$tmp/merged.po"
msgattrib --untranslated --no-obsolete "$tmp/merged.po"
