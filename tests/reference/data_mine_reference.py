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


def sim_matrix(a, b, kind):
    a = a.double()
    b = b.double()
    if kind in ("cosine", "dot"):
        return a @ b.T
    if kind == "euclidean":
        return -torch.cdist(a, b, p=2)
    if kind == "manhattan":
        return -torch.cdist(a, b, p=1)
    raise ValueError(kind)


def mine(rows, opts):
    a_col, p_col = "query", "answer"
    n = opts.get("num_negatives", 3)
    range_min = opts.get("range_min", 0)
    kind = opts.get("similarity", "cosine")
    queries, corpus, positives = [], [], {}
    for r in rows:
        q, p = r[a_col], r[p_col]
        if q not in queries:
            queries.append(q)
        if p not in corpus:
            corpus.append(p)
        positives.setdefault(q, []).append(corpus.index(p))
    max_pos = max(len(v) for v in positives.values())
    filtering = any(opts.get(k) is not None for k in ("absolute_margin", "relative_margin", "max_score"))
    range_max = opts.get("range_max")
    if range_max is None:
        range_max = range_min + (n * 10 if filtering else n) + max_pos
    Q = torch.stack([emb[q] for q in queries])
    C = torch.stack([emb[c] for c in corpus])
    S = sim_matrix(Q, C, kind)
    k = min(range_max + max_pos, len(corpus))
    scores, idx = torch.topk(S, k=k, dim=1)
    for qi, q in enumerate(queries):
        pos = torch.tensor(positives[q])
        scores[qi][torch.isin(idx[qi], pos)] = float("-inf")
        min_pos = min(S[qi, p].item() for p in positives[q])
        row = scores[qi]
        if opts.get("absolute_margin") is not None:
            row[row + opts["absolute_margin"] > min_pos] = float("-inf")
        if opts.get("relative_margin") is not None:
            row[row > min_pos * (1 - opts["relative_margin"])] = float("-inf")
        if opts.get("max_score") is not None:
            row[row > opts["max_score"]] = float("-inf")
        if opts.get("min_score") is not None:
            row[row < opts["min_score"]] = float("-inf")
    neg_scores, local = torch.topk(scores, k=min(range_max, k), dim=1)
    neg_idx = idx.gather(1, local)
    neg_scores, neg_idx = neg_scores[:, range_min:], neg_idx[:, range_min:]
    if neg_scores.size(1) < n:
        pad = n - neg_scores.size(1)
        neg_scores = torch.cat([neg_scores, torch.full((len(queries), pad), float("-inf"), dtype=neg_scores.dtype)], 1)
        neg_idx = torch.cat([neg_idx, torch.zeros((len(queries), pad), dtype=neg_idx.dtype)], 1)
    neg_scores, neg_idx = neg_scores[:, :n], neg_idx[:, :n]

    out = []
    for qi, q in enumerate(queries):
        for pi in positives[q]:
            ps = S[qi, pi].item()
            if opts.get("output_format", "triplet") == "triplet":
                for j in range(n):
                    s = neg_scores[qi, j].item()
                    if s == float("-inf"):
                        continue
                    r = {a_col: q, p_col: corpus[pi], "negative": corpus[neg_idx[qi, j].item()]}
                    if opts.get("include_scores"):
                        r["positive_score"] = ps
                        r["negative_score"] = s
                    out.append(r)
            else:
                if (neg_scores[qi] == float("-inf")).any():
                    continue
                r = {a_col: q, p_col: corpus[pi]}
                for j in range(n):
                    r[f"negative_{j + 1}"] = corpus[neg_idx[qi, j].item()]
                if opts.get("include_scores"):
                    r["positive_score"] = ps
                    for j in range(n):
                        r[f"negative_{j + 1}_score"] = neg_scores[qi, j].item()
                out.append(r)
    return out


cases = {
    "defaults": {},
    "n-tuple-range": {"output_format": "n-tuple", "num_negatives": 4, "range_min": 2, "range_max": 10},
    "absolute-margin-max-score": {"absolute_margin": 0.1, "max_score": 0.5, "num_negatives": 2, "include_scores": True},
    "relative-margin-min-score": {"output_format": "n-tuple", "relative_margin": 0.05, "min_score": -0.2,
                                  "num_negatives": 3, "include_scores": True},
    "euclidean": {"similarity": "euclidean", "num_negatives": 2},
    "few-candidates": {"output_format": "n-tuple", "num_negatives": 5, "range_max": 4},
}
expected = {name: {"options": opts, "rows": mine(rows, opts)} for name, opts in cases.items()}

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
