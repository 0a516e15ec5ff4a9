#!/usr/bin/env bash
# with-keyring.sh CMD ARGS...: runs CMD with a desktop keyring (gnome-keyring's
# Secret Service: a login keyring in a temporary folder, unlocked with a
# throwaway password) on the session bus. Run it inside dbus-run-session. Exit 77 (skip) when
# gnome-keyring is not installed.
set -euo pipefail
if ! command -v gnome-keyring-daemon > /dev/null || ! command -v gdbus > /dev/null; then
  echo "gnome-keyring-daemon is not installed: skipping the keyring test"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
mkdir -m 700 "$XDG_RUNTIME_DIR"
printf 'vectorsmith-test' | gnome-keyring-daemon --unlock --components=secrets --daemonize > /dev/null
gdbus wait --session --timeout 20 org.freedesktop.secrets
"$@"
