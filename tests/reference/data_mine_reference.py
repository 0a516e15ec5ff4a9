#!/usr/bin/python3
"""Reference for hard-negative mining (sentence-transformers' mine_hard_negatives).

Builds a small (anchor, positive) dataset with repeated anchors (several
positives) and a positive shared by two anchors, gives every distinct text a
fixed unit-length float32 embedding (positives near their anchors), and mines
negatives for several option sets with PyTorch (torch.topk over the similarity
matrix, the masking and selection steps of sentence_transformers/util/
hard_negatives.py re-expressed here). Writes tests/data/fixtures/mine/:
pairs.jsonl, embeddings.json (text -> vector) and expected.json (per case:
options and output rows). test-mine.c feeds the same embeddings to
vs_mine_hard_negatives_with_embeddings and compares rows exactly and scores
within 1e-6.

    /usr/bin/python3 tests/reference/data_mine_reference.py
"""
import json
import os

import torch

from data_mine_lib import mine

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "..", "data", "fixtures", "mine")
os.makedirs(out_dir, exist_ok=True)

torch.manual_seed(0)
D = 16
N_ANCHORS = 24

# Dataset: anchor i has positive i; anchors 3 and 7 get a second positive;
# anchor 11's positive is also anchor 12's positive.
rows = []
for i in range(N_ANCHORS):
    rows.append({"query": f"question {i}", "answer": f"answer {i}"})
    if i in (3, 7):
        rows.append({"query": f"question {i}", "answer": f"second answer {i}"})
rows.append({"query": "question 12", "answer": "answer 11"})
# extra distractor passages in the corpus (positives of other anchors)
for i in range(6):
    rows.append({"query": f"question extra {i}", "answer": f"distractor {i}"})

texts = []
for r in rows:
    for t in (r["query"], r["answer"]):
        if t not in texts:
            texts.append(t)

base = {}
emb = {}
for t in texts:
    base[t] = torch.randn(D)
# positives near their anchors
for r in rows:
    base[r["answer"]] = base[r["answer"]] * 0.6 + base[r["query"]] * 0.8 if r["answer"] not in emb else base[r["answer"]]
    emb[r["answer"]] = True
for t in texts:
    v = base[t].to(torch.float32)
    emb[t] = (v / v.norm()).to(torch.float32)


cases = {
    "defaults": {},
    "n-tuple-range": {"output_format": "n-tuple", "num_negatives": 4, "range_min": 2, "range_max": 10},
    "absolute-margin-max-score": {"absolute_margin": 0.1, "max_score": 0.5, "num_negatives": 2, "include_scores": True},
    "relative-margin-min-score": {"output_format": "n-tuple", "relative_margin": 0.05, "min_score": -0.2,
                                  "num_negatives": 3, "include_scores": True},
    "euclidean": {"similarity": "euclidean", "num_negatives": 2},
    "few-candidates": {"output_format": "n-tuple", "num_negatives": 5, "range_max": 4},
}
expected = {name: {"options": opts, "rows": mine(rows, emb, opts)} for name, opts in cases.items()}

with open(os.path.join(out_dir, "pairs.jsonl"), "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
with open(os.path.join(out_dir, "embeddings.json"), "w") as f:
    json.dump({t: [float(x) for x in emb[t].tolist()] for t in texts}, f)
    f.write("\n")
with open(os.path.join(out_dir, "expected.json"), "w") as f:
    json.dump(expected, f, indent=0)
    f.write("\n")
for name, e in expected.items():
    print(name, len(e["rows"]), "rows")
