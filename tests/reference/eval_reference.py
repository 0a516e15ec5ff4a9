#!/usr/bin/python3
"""Reference metrics of sentence-transformers' evaluators, without scipy/sklearn.

Written from sentence-transformers' evaluator code as st-spec.md section 4
describes it (EmbeddingSimilarityEvaluator, TripletEvaluator,
BinaryClassificationEvaluator with its accuracy/F1 threshold searches,
sklearn's average_precision_score and matthews_corrcoef,
InformationRetrievalEvaluator.compute_metrics), in numpy float64:
Spearman = Pearson on average ranks (ties share their mean rank).

    /usr/bin/python3 tests/reference/eval_reference.py > tests/eval/fixtures/eval_cases.json

The same module is imported by the CLI end-to-end test to compute the metrics
from the embeddings `vectorsmith-cli encode` prints (see metrics_for()).
"""
import json
import math
import sys

import numpy as np

FNS = ["cosine", "dot", "euclidean", "manhattan"]


def pairwise(fn, a, b):
    if fn == "cosine":
        na = np.maximum(np.linalg.norm(a, axis=1), 1e-12)
        nb = np.maximum(np.linalg.norm(b, axis=1), 1e-12)
        return (a * b).sum(1) / (na * nb)
    if fn == "dot":
        return (a * b).sum(1)
    if fn == "euclidean":
        return -np.sqrt(((a - b) ** 2).sum(1))
    return -np.abs(a - b).sum(1)


def matrix(fn, q, c):
    return np.array([pairwise(fn, np.repeat(q[i:i + 1], len(c), 0), c) for i in range(len(q))])


def pearson(x, y):
    x = np.asarray(x, float); y = np.asarray(y, float)
    dx = x - x.mean(); dy = y - y.mean()
    den = math.sqrt((dx * dx).sum() * (dy * dy).sum())
    if den == 0:
        return None
    return float(max(-1.0, min(1.0, (dx * dy).sum() / den)))


def avg_ranks(v):
    v = np.asarray(v, float)
    uniq, inverse = np.unique(v, return_inverse=True)
    counts = np.bincount(inverse)
    ends = np.cumsum(counts)            # 1-based rank of the last of each group
    starts = ends - counts + 1
    return ((starts + ends) / 2.0)[inverse]


def spearman(x, y):
    return pearson(avg_ranks(x), avg_ranks(y))


def similarity_metrics(a, b, gold, fns, prefix=""):
    out = {}
    for fn in fns:
        s = pairwise(fn, a, b)
        out[prefix + "pearson_" + fn] = pearson(gold, s)
        out[prefix + "spearman_" + fn] = spearman(gold, s)
    if len(fns) > 1:
        out[prefix + "pearson_max"] = max(out[prefix + "pearson_" + f] for f in fns)
        out[prefix + "spearman_max"] = max(out[prefix + "spearman_" + f] for f in fns)
    return out


def triplet_metrics(a, p, n, fns, prefix=""):
    out = {}
    for fn in fns:
        out[prefix + fn + "_accuracy"] = float(np.mean(pairwise(fn, a, p) > pairwise(fn, a, n)))
    if len(fns) > 1:
        out[prefix + "max_accuracy"] = max(out[prefix + f + "_accuracy"] for f in fns)
    return out


def find_best_acc_and_threshold(scores, labels, high_score_more_similar):
    rows = list(zip(scores, labels))
    rows = sorted(rows, key=lambda x: x[0], reverse=high_score_more_similar)
    max_acc = 0
    best_threshold = -1
    positive_so_far = 0
    remaining_negatives = sum(np.array(labels) == 0)
    for i in range(len(rows) - 1):
        score, label = rows[i]
        if label == 1:
            positive_so_far += 1
        else:
            remaining_negatives -= 1
        acc = (positive_so_far + remaining_negatives) / len(labels)
        if acc > max_acc:
            max_acc = acc
            best_threshold = (rows[i][0] + rows[i + 1][0]) / 2
    return max_acc, best_threshold


def find_best_f1_and_threshold(scores, labels, high_score_more_similar):
    rows = list(zip(scores, labels))
    rows = sorted(rows, key=lambda x: x[0], reverse=high_score_more_similar)
    best_f1 = best_precision = best_recall = 0
    threshold = 0
    nextract = 0
    ncorrect = 0
    total_num_duplicates = sum(labels)
    for i in range(len(rows) - 1):
        score, label = rows[i]
        nextract += 1
        if label == 1:
            ncorrect += 1
        if ncorrect > 0:
            precision = ncorrect / nextract
            recall = ncorrect / total_num_duplicates
            f1 = 2 * precision * recall / (precision + recall)
            if f1 > best_f1:
                best_f1 = f1
                best_precision = precision
                best_recall = recall
                threshold = (rows[i][0] + rows[i + 1][0]) / 2
    return best_f1, best_precision, best_recall, threshold


def average_precision(y, score):
    """sklearn's step-wise AP: Σ (R_n - R_{n-1}) P_n over distinct thresholds."""
    y = np.asarray(y); score = np.asarray(score, float)
    if y.sum() == 0:
        return None
    order = np.argsort(-score, kind="mergesort")
    s = score[order]; yy = y[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, len(yy) - 1]
    tps = np.cumsum(yy)[idx]
    fps = 1 + idx - tps
    precision = tps / (tps + fps)
    recall = tps / y.sum()
    prev = np.r_[0, recall[:-1]]
    return float(((recall - prev) * precision).sum())


def mcc(y, pred):
    y = np.asarray(y).astype(bool); pred = np.asarray(pred).astype(bool)
    tp = float((y & pred).sum()); tn = float((~y & ~pred).sum())
    fp = float((~y & pred).sum()); fn = float((y & ~pred).sum())
    den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return 0.0 if den == 0 else (tp * tn - fp * fn) / den


def binary_metrics(a, b, labels, fns, prefix=""):
    out = {}
    names = ["accuracy", "accuracy_threshold", "f1", "f1_threshold", "precision", "recall", "ap", "mcc"]
    labels = [int(x) for x in labels]
    for fn in fns:
        gib = fn in ("cosine", "dot")
        s = pairwise(fn, a, b)
        if not gib:
            s = -s   # distances, smaller = more similar
        s = list(map(float, s))
        acc, acc_thr = find_best_acc_and_threshold(s, labels, gib)
        f1, p, r, f1_thr = find_best_f1_and_threshold(s, labels, gib)
        ap = average_precision(labels, np.array(s) * (1 if gib else -1))
        pred = [x >= f1_thr if gib else x <= f1_thr for x in s]
        vals = [acc, acc_thr, f1, f1_thr, p, r, ap, mcc(labels, pred)]
        for n_, v in zip(names, vals):
            out[prefix + fn + "_" + n_] = None if v is None else float(v)
    if len(fns) > 1:
        for n_ in names:
            vs = [out[prefix + f + "_" + n_] for f in fns if out[prefix + f + "_" + n_] is not None]
            out[prefix + "max_" + n_] = max(vs) if vs else None
    return out


def ir_metrics(q, c, relevant, fns, prefix="", mrr_k=(10,), ndcg_k=(10,), acc_k=(1, 3, 5, 10),
               pr_k=(1, 3, 5, 10), map_k=(100,)):
    out = {}
    max_k = max(max(mrr_k), max(ndcg_k), max(acc_k), max(pr_k), max(map_k))
    queries = [i for i in range(len(q)) if len(relevant[i]) > 0]
    for fn in fns:
        S = matrix(fn, q, c)
        num_hits = {k: 0 for k in acc_k}
        precisions = {k: [] for k in pr_k}
        recalls = {k: [] for k in pr_k}
        MRR = {k: 0 for k in mrr_k}
        ndcg = {k: [] for k in ndcg_k}
        AveP = {k: [] for k in map_k}
        for qi in queries:
            # sorted by score descending, ties: lower corpus index first
            top = sorted(range(len(c)), key=lambda j: (-S[qi, j], j))[:max_k]
            rel = set(relevant[qi])
            for k in acc_k:
                if any(h in rel for h in top[:k]):
                    num_hits[k] += 1
            for k in pr_k:
                nc = sum(1 for h in top[:k] if h in rel)
                precisions[k].append(nc / k)
                recalls[k].append(nc / len(rel))
            for k in mrr_k:
                for rank, h in enumerate(top[:k]):
                    if h in rel:
                        MRR[k] += 1.0 / (rank + 1)
                        break
            for k in ndcg_k:
                pred = [1 if h in rel else 0 for h in top[:k]]
                dcg = sum(pred[i] / np.log2(i + 2) for i in range(min(len(pred), k)))
                ideal = [1] * len(rel)
                idcg = sum(ideal[i] / np.log2(i + 2) for i in range(min(len(ideal), k)))
                ndcg[k].append(dcg / idcg)
            for k in map_k:
                ncorr = 0; sp = 0
                for rank, h in enumerate(top[:k]):
                    if h in rel:
                        ncorr += 1
                        sp += ncorr / (rank + 1)
                AveP[k].append(sp / min(k, len(rel)))
        n = len(queries)
        for k in acc_k:
            out[f"{prefix}{fn}_accuracy@{k}"] = num_hits[k] / n
        for k in pr_k:
            out[f"{prefix}{fn}_precision@{k}"] = float(np.mean(precisions[k]))
        for k in pr_k:
            out[f"{prefix}{fn}_recall@{k}"] = float(np.mean(recalls[k]))
        for k in ndcg_k:
            out[f"{prefix}{fn}_ndcg@{k}"] = float(np.mean(ndcg[k]))
        for k in mrr_k:
            out[f"{prefix}{fn}_mrr@{k}"] = MRR[k] / n
        for k in map_k:
            out[f"{prefix}{fn}_map@{k}"] = float(np.mean(AveP[k]))
    return out


def truncate(x, d):
    return x[:, :d]


def main():
    rng = np.random.default_rng(7)
    f32 = lambda x: np.asarray(x, np.float32)
    cases = []
    inputs_list = []

    def short(v):
        if isinstance(v, list):
            return [short(x) for x in v]
        if isinstance(v, float):
            return float(repr(np.float32(v)))
        return v

    def add(kind, inputs, options, expected):
        inputs = {k: short(v) if k in ("a", "b", "c", "labels") else v for k, v in inputs.items()}
        if inputs not in inputs_list:
            inputs_list.append(inputs)
        cases.append({"kind": kind, "inputs": inputs_list.index(inputs), "options": options,
                      "expected": expected})

    D = 8
    # similarity: correlated pairs, gold scores with ties
    n = 24
    a = f32(rng.normal(size=(n, D)))
    b = f32(a + rng.normal(size=(n, D)) * rng.uniform(0.2, 2.0, size=(n, 1)))
    gold = f32(np.round(rng.uniform(0, 5, size=n) * 2) / 2)   # half steps -> ties
    ad, bd = a.astype(float), b.astype(float)
    for fns, dim, name in [(["cosine"], 0, ""), (FNS, 0, ""), (FNS, 4, "dim_4")]:
        pre = name + "_" if name else ""
        exp = similarity_metrics(truncate(ad, dim or D), truncate(bd, dim or D), gold.astype(float), fns, pre)
        add("similarity", {"a": a.ravel().tolist(), "b": b.ravel().tolist(), "labels": gold.tolist(),
                           "n": n, "dim": D},
            {"functions": fns, "truncate_dim": dim, "name": name}, exp)

    # triplet
    n = 20
    an = f32(rng.normal(size=(n, D)))
    po = f32(an + rng.normal(size=(n, D)) * 0.9)
    ne = f32(an + rng.normal(size=(n, D)) * 1.1)
    for fns, dim, name in [(FNS, 0, ""), (["euclidean"], 0, "dev"), (FNS, 3, "dim_3")]:
        pre = name + "_" if name else ""
        d = dim or D
        exp = triplet_metrics(truncate(an.astype(float), d), truncate(po.astype(float), d),
                              truncate(ne.astype(float), d), fns, pre)
        add("triplet", {"a": an.ravel().tolist(), "b": po.ravel().tolist(), "c": ne.ravel().tolist(),
                        "n": n, "dim": D}, {"functions": fns, "truncate_dim": dim, "name": name}, exp)

    # binary: labels correlated with similarity, plus exact duplicate pairs (score ties)
    n = 30
    x = f32(rng.normal(size=(n, D)))
    lab = rng.integers(0, 2, size=n)
    y = f32(x + rng.normal(size=(n, D)) * np.where(lab == 1, 0.7, 1.6)[:, None])
    x[5] = x[3]; y[5] = y[3]; lab[5] = 1 - lab[3]      # tie with opposite label
    x[9] = x[3]; y[9] = y[3]
    for fns, dim, name in [(FNS, 0, ""), (["cosine"], 0, ""), (FNS, 5, "dim_5")]:
        pre = name + "_" if name else ""
        d = dim or D
        exp = binary_metrics(truncate(x.astype(float), d), truncate(y.astype(float), d), lab.tolist(), fns, pre)
        add("binary", {"a": x.ravel().tolist(), "b": y.ravel().tolist(), "labels": [float(v) for v in lab],
                       "n": n, "dim": D}, {"functions": fns, "truncate_dim": dim, "name": name}, exp)

    # retrieval: 7 queries (one without relevant documents), 25 documents
    nq, nc = 7, 25
    corpus = f32(rng.normal(size=(nc, D)))
    rel = [[0], [1, 2], [3, 4, 5], [], [6, 20], [7], [8, 9, 10, 11]]
    qs = []
    for r in rel:
        base = corpus[r].mean(0) if r else rng.normal(size=D)
        qs.append(base + rng.normal(size=D) * 1.2)
    qs = f32(qs)
    for fns, dim, name in [(FNS, 0, ""), (["cosine"], 0, "ir"), (["cosine", "dot"], 6, "dim_6")]:
        pre = name + "_" if name else ""
        d = dim or D
        exp = ir_metrics(truncate(qs.astype(float), d), truncate(corpus.astype(float), d), rel, fns, pre)
        add("retrieval", {"a": qs.ravel().tolist(), "b": corpus.ravel().tolist(), "relevant": rel,
                          "n": nq, "n_corpus": nc, "dim": D},
            {"functions": fns, "truncate_dim": dim, "name": name}, exp)
    # custom cut-offs
    exp = ir_metrics(qs.astype(float), corpus.astype(float), rel, ["cosine"], "", mrr_k=(3, 5), ndcg_k=(2, 30),
                     acc_k=(2,), pr_k=(7, 30), map_k=(4,))
    add("retrieval", {"a": qs.ravel().tolist(), "b": corpus.ravel().tolist(), "relevant": rel,
                      "n": nq, "n_corpus": nc, "dim": D},
        {"functions": ["cosine"], "truncate_dim": 0, "name": "",
         "k": {"mrr": [3, 5], "ndcg": [2, 30], "accuracy": [2], "precision_recall": [7, 30], "map": [4]}}, exp)

    json.dump({"generator": "tests/reference/eval_reference.py (numpy float64)", "inputs": inputs_list,
               "cases": cases},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
