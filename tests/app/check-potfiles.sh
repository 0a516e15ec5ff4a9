#!/usr/bin/env bash
# Fails when a file with translatable strings (_( … ) or translatable="yes")
# is missing from po/POTFILES.in, or when POTFILES.in lists a file that does
# not exist or is not sorted.
set -euo pipefail
cd "${VS_SOURCE_DIR:?}"

listed=$(grep -v '^\s*#' po/POTFILES.in | sed '/^\s*$/d')
status=0

while read -r f; do
  [ -e "$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; status=1; }
done <<< "$listed"

if [ "$(printf '%s\n' "$listed" | LC_ALL=C sort)" != "$listed" ]; then
  echo "po/POTFILES.in is not sorted"; status=1
fi

candidates=$( { git ls-files -co --exclude-standard -- 'src/ui' 'src/cli' 'data' 2>/dev/null || find src/ui src/cli data -type f; } | sort -u)
while read -r f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.c|*.h) grep -qE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_)\(' "$f" || continue ;;
    *.ui|*.xml|*.in) grep -qE 'translatable="yes"|<(summary|description|name|p)>|^(Name|Comment|GenericName|Keywords)=' "$f" || continue ;;
    *) continue ;;
  esac
  case "$f" in *.gresource.xml|*/icons/*) continue ;; esac
  grep -qxF "$f" <<< "$listed" || { echo "$f has translatable strings but is missing from po/POTFILES.in"; status=1; }
done <<< "$candidates"

[ "$status" -eq 0 ] && echo "po/POTFILES.in lists every file with translatable strings"
exit "$status"
