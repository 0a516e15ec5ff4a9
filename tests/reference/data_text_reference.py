#!/usr/bin/python3
"""Independent reference for the CSV/TSV/JSONL readers on the real datasets.

Reads each file of ../shared/data/datasets with Python's own csv and json
modules and writes, per file, the row count, the column names and a SHA-256
of every column (the cells as text, joined by U+001F, null as U+001E) to
tests/data/fixtures/text-digests.json. test-text.c computes the same digests
from vectorsmith's columns (strings as read; numbers as Python's str of the
parsed value), so any parsing difference shows up as a mismatch.

    /usr/bin/python3 tests/reference/data_text_reference.py
"""
import csv
import hashlib
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("VS_SHARED_DATA", os.path.join(here, "..", "..", "..", "shared", "data"))
out = os.path.join(here, "..", "data", "fixtures", "text-digests.json")

csv.field_size_limit(sys.maxsize)


def cell_text(v):
    if v is None:
        return "\x1e"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, list):
        return "[" + ", ".join(repr(x) for x in v) + "]"
    return str(v)


def digest(columns, rows):
    d = {}
    for i, name in enumerate(columns):
        h = hashlib.sha256()
        h.update("\x1f".join(cell_text(r[i]) for r in rows).encode("utf-8"))
        d[name] = h.hexdigest()
    return d


def typed(values):
    """The column typing vectorsmith documents: all ints -> int, all numbers -> float."""
    nonempty = [v for v in values if v != ""]
    if not nonempty:
        return values
    try:
        ints = [int(v) for v in nonempty]
        return [int(v) if v != "" else None for v in values]
    except ValueError:
        pass
    try:
        [float(v) for v in nonempty]
        return [float(v) if v != "" else None for v in values]
    except ValueError:
        return values


def table_from_csv(path, delimiter, quoting, header):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=delimiter, quoting=quoting))
    rows = [r for r in rows if r]
    if header:
        columns, rows = rows[0], rows[1:]
    else:
        columns = ["column%d" % i for i in range(len(rows[0]))]
    cols = [typed([r[i] for r in rows]) for i in range(len(columns))]
    return columns, [list(t) for t in zip(*cols)]


def table_from_jsonl(path):
    columns, rows = [], []
    with open(path, encoding="utf-8") as f:
        objs = [json.loads(line) for line in f if line.strip()]
    for o in objs:
        for k in o:
            if k not in columns:
                columns.append(k)
    for o in objs:
        rows.append([o.get(k) for k in columns])
    return columns, rows


files = {
    "datasets/banking77/test.csv": lambda p: table_from_csv(p, ",", csv.QUOTE_MINIMAL, True),
    "datasets/triplets/snli_dev_triplets.csv": lambda p: table_from_csv(p, ",", csv.QUOTE_MINIMAL, True),
    "datasets/paws/paws_wiki_labeled_final_dev.first1000.tsv": lambda p: table_from_csv(p, "\t", csv.QUOTE_NONE, True),
    "datasets/stsb/sts-train.images+track5.csv": lambda p: table_from_csv(p, "\t", csv.QUOTE_NONE, False),
    "datasets/stsb/sts-dev.images+track5.csv": lambda p: table_from_csv(p, "\t", csv.QUOTE_NONE, False),
    "datasets/snli/snli_1.0_dev.first500.jsonl": table_from_jsonl,
}
result = {}
for rel, reader in files.items():
    columns, rows = reader(os.path.join(shared, rel))
    result[rel] = {"num_rows": len(rows), "columns": columns, "sha256": digest(columns, rows)}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
print("wrote", out)
