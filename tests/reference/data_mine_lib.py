"""Hard-negative mining as sentence-transformers' mine_hard_negatives does it
(sentence_transformers/util/hard_negatives.py), re-expressed with PyTorch for
the data area's reference scripts (data_mine_reference.py,
data_mine_e2e_reference.py). Scores in float64 from float32 embeddings."""
import torch


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


def mine(rows, emb, opts, a_col="query", p_col="answer"):
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


