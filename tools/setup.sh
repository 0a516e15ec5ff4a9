#!/usr/bin/env bash
# Installs what is missing (Debian packages, npm test helpers), then configures
# and builds into _build. Safe to run again: it only does what is not done.
set -euo pipefail
cd "$(dirname "$0")/.."

# tools/debian-packages.txt, plus one list per area in tools/debian-packages.d/.
mapfile -t packages < <(cat tools/debian-packages.txt tools/debian-packages.d/*.txt 2>/dev/null | grep -v '^\s*#' | sed '/^\s*$/d' | sort -u)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs 18 ships its own npm; a newer node (not from apt) already has npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | sed '/^$/d'))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f tests/js/package-lock.json ]; then
  stamp=tests/js/node_modules/.vs-lock-stamp
  if ! cmp -s tests/js/package-lock.json "$stamp" 2>/dev/null; then
    echo "setup: installing the npm test helpers"
    (cd tests/js && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    mkdir -p tests/js/node_modules && cp tests/js/package-lock.json "$stamp"
  fi
fi

werror=false
[ "${CI:-}" = "true" ] && werror=true
if [ ! -f _build/build.ninja ]; then
  meson setup _build -Dwerror=$werror >/dev/null
fi
meson compile -C _build
