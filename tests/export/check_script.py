#!/usr/bin/env python3
"""Checks exported train.py scripts against the names sentence-transformers,
transformers and datasets really have (st-api.json, taken from their
sources), without those libraries installed:

    check_script.py API.json SCRIPT... [--forbid TEXT]... [--expect-push HUB_ID | --expect-no-push]

For each script: py_compile passes; every `import` / `from M import N`
names a module and names of the list; every losses.X(...) is a loss of the
list and each keyword it gets is in that loss's signature (positional
arguments no more than the signature holds); the keywords of the other
calls of the list (SentenceTransformerTrainingArguments, load_dataset, …)
exist; losses.E.M / BatchSamplers.M / util.f / models.C / evaluation.C
exist; there is an `if __name__ == "__main__":` guard; no string is an
absolute path and no --forbid text (the home, temporary or source folder)
appears in the script; `python3 SCRIPT --help` exits 0 and shows
--output-dir (so the heavy imports sit inside main()). Exit status 1 with
one line per problem, SCRIPT:LINE: what.
"""
import argparse
import ast
import json
import py_compile
import subprocess
import sys


def check(api, path, forbid, expect_push, expect_no_push):
    problems = []

    def bad(node, what):
        problems.append(f"{path}:{getattr(node, 'lineno', 0)}: {what}")

    try:
        py_compile.compile(path, doraise=True)
    except py_compile.PyCompileError as e:
        return [f"{path}: py_compile: {e.msg}"]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tree = ast.parse(text, path)
    modules = api["modules"]
    losses = api["losses"]
    enums = api["enums"]
    calls = api["calls"]
    st_names = modules["sentence_transformers"]
    alias_module = {}   # local name -> module path

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name not in modules:
                    bad(node, f"import {a.name}: not a module of the list")
                alias_module[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom):
            mod = modules.get(node.module)
            if mod is None:
                bad(node, f"from {node.module}: not a module of the list")
                continue
            for a in node.names:
                if mod.get("any"):
                    continue
                if a.name in mod.get("submodules", []):
                    alias_module[a.asname or a.name] = f"{node.module}.{a.name}"
                elif a.name not in mod.get("names", []):
                    bad(node, f"from {node.module} import {a.name}: {node.module} has no {a.name}")

    def dotted(expr):
        parts = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if isinstance(expr, ast.Name):
            parts.append(expr.id)
            return list(reversed(parts))
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            mod = alias_module.get(node.value.id)
            if mod is not None and mod in modules and not modules[mod].get("any"):
                if node.attr not in modules[mod].get("names", []):
                    bad(node, f"{node.value.id}.{node.attr}: {mod} has no {node.attr}")
        if isinstance(node, ast.Attribute):
            d = dotted(node)
            if d and len(d) >= 2 and d[-2] in enums and node.attr not in enums[d[-2]]:
                bad(node, f"{'.'.join(d)}: {d[-2]} has no member {node.attr}")
        if isinstance(node, ast.Call):
            d = dotted(node.func)
            if not d:
                continue
            name = d[-1]
            kws = [k.arg for k in node.keywords if k.arg is not None]
            if len(d) == 2 and alias_module.get(d[0]) == "sentence_transformers.losses" and name in losses:
                sig = losses[name]
                if len(node.args) > len(sig):
                    bad(node, f"losses.{name}: {len(node.args)} positional arguments, the signature has {len(sig)}")
                for k in kws:
                    if k not in sig:
                        bad(node, f"losses.{name}: no keyword argument {k} (signature: {', '.join(sig)})")
                for k in kws:
                    if k in sig[:len(node.args)]:
                        bad(node, f"losses.{name}: {k} given twice")
            elif len(d) == 2 and alias_module.get(d[0]) == "sentence_transformers.losses":
                if name[0].isupper() and name not in enums and name not in modules["sentence_transformers.losses"]["names"]:
                    bad(node, f"losses.{name}: not a loss of sentence-transformers")
                elif name[0].isupper() and name not in enums and name not in losses:
                    bad(node, f"losses.{name}: its signature is not in the list")
            elif name in calls:
                for k in kws:
                    if k not in calls[name]:
                        bad(node, f"{'.'.join(d)}: no keyword argument {k}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value
            if v.startswith("/") or v.startswith("~") or (len(v) > 2 and v[1] == ":" and v[2] in "/\\"):
                bad(node, f"absolute path {v!r} baked into the script")

    for f in forbid:
        if f and f in text:
            problems.append(f"{path}: contains the machine path {f!r}")

    guard = any(isinstance(n, ast.If) and isinstance(n.test, ast.Compare)
                and isinstance(n.test.left, ast.Name) and n.test.left.id == "__name__"
                for n in tree.body)
    if not guard:
        problems.append(f"{path}: no `if __name__ == \"__main__\":` guard")

    targs = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and (dotted(n.func) or [""])[-1] == "SentenceTransformerTrainingArguments"]
    if len(targs) != 1:
        problems.append(f"{path}: {len(targs)} SentenceTransformerTrainingArguments calls (expected 1)")
    else:
        kw = {k.arg: k.value for k in targs[0].keywords}
        push = kw.get("push_to_hub")
        pushed = isinstance(push, ast.Constant) and push.value is True
        hub_id = kw.get("hub_model_id")
        if expect_push is not None:
            if not pushed:
                bad(targs[0], "push_to_hub=True missing")
            if not (isinstance(hub_id, ast.Constant) and hub_id.value == expect_push):
                bad(targs[0], f"hub_model_id is not {expect_push!r}")
        if expect_no_push and push is not None:
            bad(targs[0], "push_to_hub given though the recipe does not ask")
        if "token" in kw or "hub_token" in kw:
            bad(targs[0], "a Hub token is written in the script")

    r = subprocess.run([sys.executable, path, "--help"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or "--output-dir" not in r.stdout:
        problems.append(f"{path}: `python3 {path} --help` failed ({r.returncode}): {r.stderr.strip()[-300:]}")
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("api")
    p.add_argument("scripts", nargs="+")
    p.add_argument("--forbid", action="append", default=[])
    p.add_argument("--expect-push")
    p.add_argument("--expect-no-push", action="store_true")
    a = p.parse_args()
    with open(a.api, encoding="utf-8") as f:
        api = json.load(f)
    problems = []
    for s in a.scripts:
        problems += check(api, s, a.forbid, a.expect_push, a.expect_no_push)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"checked {len(a.scripts)} scripts: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
