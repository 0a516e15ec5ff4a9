#!/usr/bin/env python3
"""Checks the Flatpak manifest against the meson project (flatpak-builder
cannot reach its servers here): it parses, and its app id, command, modules
and finish-args agree with what meson builds."""
import json
import sys

manifest_path, app_id, command = sys.argv[1:4]
problems = []
try:
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{manifest_path}: does not parse: {e}")

if manifest.get("id", manifest.get("app-id")) != app_id:
    problems.append(f"id is {manifest.get('id')!r}, meson's app id is {app_id!r}")
if manifest.get("command") != command:
    problems.append(f"command is {manifest.get('command')!r}, meson builds {command!r}")
if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
    problems.append("runtime/sdk must be org.gnome.Platform/org.gnome.Sdk")
finish = set(manifest.get("finish-args", []))
for arg in ("--socket=wayland", "--socket=fallback-x11", "--device=dri", "--share=ipc", "--share=network"):
    if arg not in finish:
        problems.append(f"finish-args lacks {arg}")
modules = manifest.get("modules", [])
names = [m.get("name") for m in modules if isinstance(m, dict)]
for needed in ("openblas", "cjson"):
    if needed not in names:
        problems.append(f"no module builds {needed}")
if not names or names[-1] != "vectorsmith":
    problems.append("the last module must be the app (vectorsmith)")
else:
    app = modules[-1]
    if app.get("buildsystem") != "meson":
        problems.append("the app module must build with meson")
    if not any(s.get("type") == "dir" and s.get("path") == ".." for s in app.get("sources", [])):
        problems.append("the app module must build this source tree (dir ..)")
for m in modules:
    for s in m.get("sources", []):
        if s.get("type") in ("archive", "file") and "sha256" not in s:
            problems.append(f"module {m.get('name')}: {s.get('type')} source without sha256")
        if s.get("type") == "git" and not (s.get("tag") or s.get("commit") or s.get("branch")):
            problems.append(f"module {m.get('name')}: git source pins no tag or commit")

if problems:
    for p in problems:
        print(f"{manifest_path}: {p}")
    sys.exit(1)
print(f"{manifest_path}: consistent with meson ({len(names)} modules)")
