#!/usr/bin/python3
"""End-to-end reference for `vectorsmith-cli mine-negatives`.

Creates a tiny random BERT with `vectorsmith-cli new-model` (seed 7, the
all-MiniLM-L6-v2 tokenizer from $VS_SHARED_DATA), embeds the distinct anchors
and positives of tests/data/fixtures/mine/snli-pairs.jsonl with
`vectorsmith-cli encode --normalize`, and mines negatives from those
embeddings with PyTorch (data_mine_lib.mine: torch.topk and the selection
steps of sentence-transformers). Writes tests/data/fixtures/mine/e2e-expected.json.
test-mine.c runs new-model + mine-negatives and compares.

    VS_CLI=_build/src/cli/vectorsmith-cli /usr/bin/python3 tests/reference/data_mine_e2e_reference.py
"""
import json
import os
import subprocess
import sys
import tempfile

import torch

from data_mine_lib import mine

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
cli = os.environ.get("VS_CLI", os.path.join(root, "_build", "src", "cli", "vectorsmith-cli"))
shared = os.environ.get("VS_SHARED_DATA", os.path.join(root, "..", "shared", "data"))
fixtures = os.path.join(root, "tests", "data", "fixtures", "mine")

MODEL_ARGS = ["--architecture", "bert", "--preset", "tiny", "--seed", "7"]
OPTIONS = [
    ({"num_negatives": 3, "include_scores": True}, ["--num-negatives", "3", "--include-scores"]),
    ({"output_format": "n-tuple", "num_negatives": 2, "range_min": 1, "absolute_margin": 0.0, "include_scores": True},
     ["--output-format", "n-tuple", "--num-negatives", "2", "--range-min", "1", "--absolute-margin", "0",
      "--include-scores"]),
]

rows = [json.loads(line) for line in open(os.path.join(fixtures, "snli-pairs.jsonl"))]
queries, corpus = [], []
for r in rows:
    if r["anchor"] not in queries:
        queries.append(r["anchor"])
    if r["positive"] not in corpus:
        corpus.append(r["positive"])

with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "tiny")
    subprocess.run([cli, "new-model", *MODEL_ARGS, "--tokenizer",
                    os.path.join(shared, "models", "all-MiniLM-L6-v2"), model], check=True, stdout=subprocess.DEVNULL)
    texts = queries + [c for c in corpus if c not in queries]
    out = subprocess.run([cli, "encode", model, "--normalize"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    vecs = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(vecs) == len(texts), (len(vecs), len(texts))
    emb = {t: torch.tensor(v, dtype=torch.float32) for t, v in zip(texts, vecs)}

cases = []
for opts, flags in OPTIONS:
    cases.append({"options": opts, "flags": flags, "rows": mine(rows, emb, opts, "anchor", "positive")})
with open(os.path.join(fixtures, "e2e-expected.json"), "w") as f:
    json.dump({"model_args": MODEL_ARGS, "cases": cases}, f, indent=0)
    f.write("\n")
for c in cases:
    print(c["flags"], len(c["rows"]), "rows")
