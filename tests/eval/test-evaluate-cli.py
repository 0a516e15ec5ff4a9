#!/usr/bin/python3
"""End-to-end test of `vectorsmith-cli evaluate`.

A tiny random BERT from `vectorsmith-cli new-model`, real data from
$VS_SHARED_DATA (STSb dev, SNLI triplets, PAWS), each evaluator with and
without Matryoshka dimensions. The expected metrics are computed here, in
numpy, by tests/reference/eval_reference.py from the embeddings that
`vectorsmith-cli encode` prints for the same texts (read with Python's csv
module, not with our readers): |cli - ref| <= 1e-6 + 1e-5 |ref|.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

SRC = os.environ["VS_SOURCE_DIR"]
CLI = os.environ["VS_CLI"]
DATA = os.environ["VS_SHARED_DATA"]
sys.path.insert(0, os.path.join(SRC, "tests", "reference"))
import eval_reference as ref  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
failures = []
worst = [0.0, ""]


def run(args, stdin=None, expect=0):
    p = subprocess.run([CLI] + args, input=stdin, capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit("FAIL: %s exited %d (expected %d)\nstdout: %s\nstderr: %s"
                 % (" ".join(args), p.returncode, expect, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def encode(model, texts, extra=()):
    out = run(["encode", model, "--batch-size", "16"] + list(extra), stdin="".join(t + "\n" for t in texts)).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(rows) == len(texts), (len(rows), len(texts))
    return dict(zip(texts, np.array(rows, dtype=np.float64)))


def compare(what, got, expected):
    if set(got) != set(expected):
        failures.append("%s: keys differ: only CLI %s, only reference %s"
                        % (what, sorted(set(got) - set(expected)), sorted(set(expected) - set(got))))
        return
    for k, e in expected.items():
        g = got[k]
        if e is None or g is None:
            if e is not g:
                failures.append("%s %s: %r vs reference %r" % (what, k, g, e))
            continue
        r = abs(g - e) / (ATOL + RTOL * abs(e))
        if r > worst[0]:
            worst[:] = [r, "%s %s: %.9g vs %.9g" % (what, k, g, e)]
        if r > 1:
            failures.append("%s %s: %.9g vs reference %.9g" % (what, k, g, e))


def dims_metrics(fn, dims, **kw):
    if not dims:
        return fn(None, "")
    out = {}
    for d in dims:
        out.update(fn(d, "dim_%d_" % d))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="vs-eval-cli-")
    model = os.path.join(tmp, "model")
    run(["new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer",
         os.path.join(DATA, "models", "all-MiniLM-L6-v2"), "--seed", "5", model])

    # STSb dev: tab-separated, no header: genre, file, year, id, score, s1, s2
    sts = []
    with open(os.path.join(DATA, "datasets", "stsb", "sts-dev.images+track5.csv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            sts.append((parts[5], parts[6], float(parts[4])))
            if len(sts) == 60:
                break
    sim_path = os.path.join(tmp, "sts.jsonl")
    with open(sim_path, "w", encoding="utf-8") as f:
        for a, b, s in sts:
            f.write(json.dumps({"sentence1": a, "sentence2": b, "score": s}) + "\n")

    with open(os.path.join(DATA, "datasets", "triplets", "snli_dev_triplets.csv"), encoding="utf-8", newline="") as f:
        trip = [tuple(r) for r in list(csv.reader(f))[1:41]]
    paws_path = os.path.join(DATA, "datasets", "paws", "paws_wiki_labeled_final_dev.first1000.tsv")
    with open(paws_path, encoding="utf-8", newline="") as f:
        paws = [(r[1], r[2], int(r[3])) for r in list(csv.reader(f, delimiter="\t"))[1:61]]

    texts = sorted({t for a, b, _ in sts for t in (a, b)} | {t for row in trip for t in row} |
                   {t for a, b, _ in paws for t in (a, b)})
    E = encode(model, texts)
    D = len(next(iter(E.values())))
    assert D == 128, D
    emb = lambda rows, i: np.array([E[r[i]] for r in rows])
    trunc = lambda x, d: x if d is None else x[:, :d]

    # similarity
    for dims in ([], [128, 64, 16]):
        args = ["evaluate", model, "--evaluator", "similarity", "--data", sim_path]
        if dims:
            args += ["--dims", ",".join(map(str, dims))]
        got = json.loads(run(args).stdout)
        gold = np.array([s for _, _, s in sts])
        exp = dims_metrics(lambda d, p: ref.similarity_metrics(trunc(emb(sts, 0), d), trunc(emb(sts, 1), d),
                                                               gold, ref.FNS, p), dims)
        compare("similarity%s" % dims, got, exp)

    # --renormalize: unit vectors after truncation (dot then equals cosine)
    got = json.loads(run(["evaluate", model, "--evaluator", "similarity", "--data", sim_path, "--dims", "32",
                          "--renormalize", "--name", "sts"]).stdout)
    unit = lambda x: x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    exp = ref.similarity_metrics(unit(emb(sts, 0)[:, :32]), unit(emb(sts, 1)[:, :32]), gold, ref.FNS,
                                 "sts_dim_32_")
    compare("similarity renormalized", got, exp)

    # triplet, on the shared CSV
    trip_path = os.path.join(DATA, "datasets", "triplets", "snli_dev_triplets.csv")
    for dims in ([], [32]):
        args = ["evaluate", model, "--evaluator", "triplet", "--data", trip_path, "--limit", "40"]
        if dims:
            args += ["--dims", "32"]
        got = json.loads(run(args).stdout)
        exp = dims_metrics(lambda d, p: ref.triplet_metrics(trunc(emb(trip, 0), d), trunc(emb(trip, 1), d),
                                                            trunc(emb(trip, 2), d), ref.FNS, p), dims)
        compare("triplet%s" % dims, got, exp)

    # binary, on the shared PAWS TSV
    got = json.loads(run(["evaluate", model, "--evaluator", "binary", "--data", paws_path, "--limit", "60",
                          "--columns", "sentence1,sentence2", "--label", "label"]).stdout)
    exp = ref.binary_metrics(emb(paws, 0), emb(paws, 1), [l for _, _, l in paws], ref.FNS)
    compare("binary", got, exp)

    # retrieval: anchors are the queries, positives and negatives the corpus
    for dims, fns in (([], ["cosine"]), ([128, 64], ["cosine", "dot", "euclidean", "manhattan"])):
        args = ["evaluate", model, "--evaluator", "retrieval", "--data", trip_path, "--limit", "40",
                "--columns", "anchor,positive,negative"]
        if dims:
            args += ["--dims", ",".join(map(str, dims)), "--similarity-fn", ",".join(fns)]
        got = json.loads(run(args).stdout)
        queries, corpus, rel = [], [], []
        for col in (1, 2):
            for r in trip:
                if r[col] not in corpus:
                    corpus.append(r[col])
        for r in trip:
            if r[0] not in queries:
                queries.append(r[0])
                rel.append([])
            rel[queries.index(r[0])].append(corpus.index(r[1]))
        Q = np.array([E[q] for q in queries])
        C = np.array([E[c] for c in corpus])
        exp = dims_metrics(lambda d, p: ref.ir_metrics(trunc(Q, d), trunc(C, d), rel, fns, p), dims)
        compare("retrieval%s" % dims, got, exp)

    # prompts: a model with "query"/"document" prompts and include_prompt false;
    # retrieval embeds queries as encode_query() and the corpus as
    # encode_document() would, so the reference uses `encode --prompt`.
    prompted = os.path.join(tmp, "prompted")
    shutil.copytree(model, prompted)
    cfg_path = os.path.join(prompted, "config_sentence_transformers.json")
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["prompts"] = {"query": "query: ", "document": "passage: "}
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    pool_path = os.path.join(prompted, "1_Pooling", "config.json")
    with open(pool_path, encoding="utf-8") as f:
        pool = json.load(f)
    pool["include_prompt"] = False
    with open(pool_path, "w", encoding="utf-8") as f:
        json.dump(pool, f)
    got = json.loads(run(["evaluate", prompted, "--evaluator", "retrieval", "--data", trip_path, "--limit", "40",
                          "--columns", "anchor,positive,negative"]).stdout)
    EQ = encode(prompted, queries, ["--prompt", "query: "])
    EC = encode(prompted, corpus, ["--prompt", "passage: "])
    assert not np.allclose(EQ[queries[0]], E[queries[0]]), "the prompt must change the query embedding"
    exp = ref.ir_metrics(np.array([EQ[q] for q in queries]), np.array([EC[c] for c in corpus]), rel, ["cosine"], "")
    compare("retrieval with prompts", got, exp)

    # usage and data errors
    run(["evaluate", model, "--data", sim_path], expect=2)
    run(["evaluate", model, "--evaluator", "nope", "--data", sim_path], expect=2)
    run(["evaluate", model, "--evaluator", "similarity", "--data", sim_path, "--dims", "12x"], expect=2)
    p = run(["evaluate", model, "--evaluator", "triplet", "--data", sim_path], expect=1)
    assert "needs 3 text columns" in p.stderr, p.stderr
    p = run(["evaluate", model, "--evaluator", "similarity", "--data", sim_path, "--dims", "256"], expect=1)
    assert "larger than the model's embedding size 128" in p.stderr, p.stderr
    p = run(["evaluate", model, "--evaluator", "binary", "--data", sim_path], expect=1)
    assert "must be 0 or 1" in p.stderr, p.stderr
    run(["evaluate", os.path.join(tmp, "missing"), "--evaluator", "similarity", "--data", sim_path], expect=1)

    print("worst: %s (%.3g of the tolerance |a-b| <= %g + %g|ref|)" % (worst[1], worst[0], ATOL, RTOL))
    if failures:
        print("\n".join(failures[:40]))
        sys.exit("FAIL: %d mismatches" % len(failures))
    print("ok")


if __name__ == "__main__":
    main()
