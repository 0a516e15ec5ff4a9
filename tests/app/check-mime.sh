#!/usr/bin/env bash
# The project file type: with our MIME package registered (in a temporary
# XDG data folder, as an install would), GIO recognises NAME.vectorsmith.json
# as application/x-vectorsmith-project, a kind of JSON, and the desktop file
# says the app opens that type with files passed on its command line (%F).
set -euo pipefail
mime_xml=${1:?mime package}
desktop=${2:?desktop file}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

xmllint --noout "$mime_xml"
mkdir -p "$tmp/mime/packages"
cp "$mime_xml" "$tmp/mime/packages/io.github.vectorsmith.Vectorsmith.xml"
update-mime-database "$tmp/mime" 2>/dev/null
# Debian's python3 (python3-gi), not a pyenv one that may come first on PATH.
XDG_DATA_DIRS="$tmp:/usr/share" /usr/bin/python3 - <<'PY'
from gi.repository import Gio
kind, uncertain = Gio.content_type_guess("my model.vectorsmith.json", None)
assert kind == "application/x-vectorsmith-project", kind
assert Gio.content_type_is_a(kind, "application/json"), "not a kind of JSON"
plain, _ = Gio.content_type_guess("data.json", None)
assert plain == "application/json", plain
print("project files are", kind)
PY
grep -qx 'MimeType=application/x-vectorsmith-project;' "$desktop" || { echo "$desktop: no MimeType for projects"; exit 1; }
grep -qx 'Exec=vectorsmith %F' "$desktop" || { echo "$desktop: Exec does not take files (%F)"; exit 1; }
echo "the desktop file opens project files"
