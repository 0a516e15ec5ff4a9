#!/usr/bin/env bash
# Merges translation fragments (plain .po files holding only new entries, as
# po-missing.sh prints them once filled in) into po/de.po, then brings de.po
# to the current template: entries no source file uses any more are dropped,
# nothing is fuzzy-matched. Usage: bash tools/po-merge.sh FRAGMENT.po…
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash tools/po-template.sh "$tmp/current.pot"
for f in "$@"; do msgfmt --check -o /dev/null "$f"; done
# de.po first: a fragment never overrides a reviewed translation.
msgcat --use-first -o "$tmp/all.po" po/de.po "$@"
msgmerge --quiet --no-fuzzy-matching --no-wrap "$tmp/all.po" "$tmp/current.pot" -o "$tmp/merged.po"
msgattrib --no-obsolete --no-wrap -o po/de.po "$tmp/merged.po"
msgfmt --check --statistics -o /dev/null po/de.po
