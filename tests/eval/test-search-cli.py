#!/usr/bin/python3
"""End-to-end test of `vectorsmith-cli similarity` and `search`.

A tiny random BERT from `vectorsmith-cli new-model`; the references are
computed here in numpy from the embeddings `vectorsmith-cli encode` prints
(encode is checked against PyTorch in the model suite): the cosine matrix
within 1e-5, and for search the top-k ids of sentence-transformers'
util.semantic_search (score descending, ties by lower corpus index) over
the corpus read with Python's csv module. Bad input (a missing corpus
file, an unknown column, empty stdin, --top-k 0) fails with a message
naming the file, the column or stdin.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CLI = os.environ["VS_CLI"]
DATA = os.environ["VS_SHARED_DATA"]
TOL = 1e-5
failures = []


def run(args, stdin="", expect=0):
    p = subprocess.run([CLI] + args, input=stdin, capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit("FAIL: %s exited %d (expected %d)\nstdout: %s\nstderr: %s"
                 % (" ".join(args), p.returncode, expect, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def encode(model, texts):
    out = run(["encode", model], stdin="".join(t + "\n" for t in texts)).stdout
    rows = np.array([json.loads(line) for line in out.splitlines() if line.strip()], dtype=np.float64)
    assert rows.shape[0] == len(texts), rows.shape
    return rows


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def check_similarity(model):
    texts = ["A man is playing a guitar.", "A person plays an instrument.",
             "The cat sleeps on the sofa.", "A man is playing a guitar.",
             "Stock markets fell sharply today."]
    ref = unit(encode(model, texts)) @ unit(encode(model, texts)).T
    for flags in ([], ["--normalize"]):
        out = run(["similarity", model] + flags, stdin="".join(t + "\n" for t in texts)).stdout
        got = np.array([json.loads(line) for line in out.splitlines()], dtype=np.float64)
        if got.shape != (len(texts), len(texts)):
            failures.append("similarity %s: shape %s" % (flags, got.shape))
            continue
        err = np.abs(got - ref).max()
        print("similarity %s: max |cli - numpy| = %.3g" % (flags, err))
        if err > TOL:
            failures.append("similarity %s: max error %.3g > %g" % (flags, err, TOL))
        if abs(got[0, 3] - 1.0) > TOL:
            failures.append("similarity: equal texts have cosine %.9g" % got[0, 3])


def corpus_of(path, column):
    seen, texts, rows = set(), [], []
    # column by column (every text column), or the one column
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    cols = [column] if column else list(table[0].keys())
    for c in cols:
        for r, row in enumerate(table):
            t = row[c]
            if t and t not in seen:
                seen.add(t)
                texts.append(t)
                rows.append(r)
    return texts, rows


def semantic_search(q, c, k):
    scores = unit(q) @ unit(c).T
    out = []
    for s in scores:
        order = sorted(range(len(s)), key=lambda j: (-s[j], j))[:k]
        out.append([(j, s[j]) for j in order])
    return out


def check_search(model, corpus_path, column, k):
    queries = ["Two women are hugging.", "A child washes his hands.", "Men are fighting outside."]
    texts, rows = corpus_of(corpus_path, column)
    ref = semantic_search(encode(model, queries), encode(model, texts), k)
    args = ["search", model, "--corpus", corpus_path, "--top-k", str(k)]
    if column:
        args += ["--column", column]
    out = run(args, stdin="".join(q + "\n" for q in queries)).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    if len(lines) != len(queries):
        failures.append("search: %d result lines for %d queries" % (len(lines), len(queries)))
        return
    worst = 0.0
    for q, line, exp in zip(queries, lines, ref):
        ids = [h["corpus_id"] for h in line["hits"]]
        if line["query"] != q:
            failures.append("search: query echoed as %r" % line["query"])
        if ids != [j for j, _ in exp]:
            failures.append("search %r (column %s): ids %s, numpy %s" % (q, column, ids, [j for j, _ in exp]))
            continue
        for h, (j, s) in zip(line["hits"], exp):
            worst = max(worst, abs(h["score"] - s))
            if h["text"] != texts[j] or h["row"] != rows[j]:
                failures.append("search: hit %d is %r row %d, expected %r row %d"
                                % (j, h["text"], h["row"], texts[j], rows[j]))
    print("search column=%s k=%d: %d corpus texts, max |score - numpy| = %.3g" % (column, k, len(texts), worst))
    if worst > TOL:
        failures.append("search: score error %.3g > %g" % (worst, TOL))


def check_errors(model, corpus_path):
    def fails(args, stdin, *needles):
        p = run(args, stdin=stdin, expect=1)
        for n in needles:
            if n not in p.stderr:
                failures.append("%s: stderr %r lacks %r" % (" ".join(args[:1]), p.stderr, n))

    missing = os.path.join(tempfile.gettempdir(), "no-such-corpus-%d.csv" % os.getpid())
    fails(["search", model, "--corpus", missing], "q\n", missing)
    fails(["search", model, "--corpus", corpus_path, "--column", "nope"], "q\n", corpus_path, "“nope”")
    fails(["search", model, "--corpus", corpus_path], "", "stdin", "no queries")
    fails(["similarity", model], "", "stdin", "no texts")
    p = run(["search", model, "--corpus", corpus_path, "--top-k", "0"], stdin="q\n", expect=2)
    if "--top-k" not in p.stderr:
        failures.append("--top-k 0: stderr %r does not name --top-k" % p.stderr)
    p = run(["similarity", os.path.join(tempfile.gettempdir(), "no-such-model")], stdin="a\n", expect=1)
    if "no-such-model" not in p.stderr:
        failures.append("missing model: stderr %r does not name it" % p.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="vs-search-cli-")
    model = os.path.join(tmp, "model")
    run(["new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer",
         os.path.join(DATA, "models", "all-MiniLM-L6-v2"), "--seed", "7", model])
    corpus = os.path.join(DATA, "datasets", "triplets", "snli_dev_triplets.csv")
    check_similarity(model)
    check_search(model, corpus, "positive", 5)
    check_search(model, corpus, None, 3)
    check_errors(model, corpus)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("ok")


main()
