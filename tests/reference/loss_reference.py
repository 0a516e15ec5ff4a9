#!/usr/bin/python3
"""Reference values and gradients of sentence-transformers' losses.

Written from the sentence-transformers formulas (../shared/reference/st-spec.md
section 1, the forward() of each loss class), independently of the C code, and
differentiated with PyTorch autograd in float64. Inputs are random float32
embeddings (so the C side sees exactly the same numbers) with the edge cases
the issue asks for: tied labels, all-equal labels, a batch of one, a hard
negative equal to the positive.

    /usr/bin/python3 tests/reference/loss_reference.py > tests/loss/fixtures/loss_cases.json

Output: {"cases": [{"name", "loss", "params", "batch", "dim", "columns",
"labels", "label_dim", "guide", "guide_dim", "classifier", "value",
"grads", "classifier_grad"}]} with flat row-major arrays.
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
DT = torch.float64


# --- sentence_transformers.util, as written there ---------------------------

def cos_sim(a, b):
    return F.normalize(a, p=2, dim=1) @ F.normalize(b, p=2, dim=1).T


def dot_score(a, b):
    return a @ b.T


def euclidean_sim(a, b):
    return -torch.cdist(a, b, p=2.0)


def manhattan_sim(a, b):
    return -torch.cdist(a, b, p=1.0)


def pairwise_cos_sim(a, b):
    return (F.normalize(a, p=2, dim=1) * F.normalize(b, p=2, dim=1)).sum(dim=-1)


def pairwise_dot_score(a, b):
    return (a * b).sum(dim=-1)


def pairwise_euclidean_sim(x, y):
    return -torch.sqrt(torch.sum((x - y) ** 2, dim=-1))


def pairwise_manhattan_sim(x, y):
    return -torch.sum(torch.abs(x - y), dim=-1)


def pairwise_angle_sim(x, y):
    a, b = torch.chunk(x, 2, dim=1)
    c, d = torch.chunk(y, 2, dim=1)
    z = torch.sum(c**2 + d**2, dim=1, keepdim=True)
    re = (a * c + b * d) / z
    im = (b * c - a * d) / z
    dz = torch.sum(a**2 + b**2, dim=1, keepdim=True) ** 0.5
    de = torch.sum(c**2 + d**2, dim=1, keepdim=True) ** 0.5
    re = re / (dz / de)
    im = im / (dz / de)
    norm_angle = torch.sum(torch.concat((re, im), dim=1), dim=1)
    return torch.abs(norm_angle)


SIMS = {
    "cos_sim": cos_sim, "dot_score": dot_score, "euclidean_sim": euclidean_sim,
    "manhattan_sim": manhattan_sim, "pairwise_cos_sim": pairwise_cos_sim,
    "pairwise_dot_score": pairwise_dot_score, "pairwise_euclidean_sim": pairwise_euclidean_sim,
    "pairwise_manhattan_sim": pairwise_manhattan_sim, "pairwise_angle_sim": pairwise_angle_sim,
}

ce = torch.nn.CrossEntropyLoss()


# --- the losses --------------------------------------------------------------

def cosine_similarity_loss(reps, labels, p):
    s = torch.cosine_similarity(reps[0], reps[1])
    return torch.nn.MSELoss()(s, labels.view(-1))


def cosent_loss(reps, labels, p, sim="pairwise_cos_sim"):
    scale = p.get("scale", 20.0)
    sim = p.get("similarity_fct", sim)
    scores = SIMS[sim](reps[0], reps[1]) * scale
    scores = scores[:, None] - scores[None, :]
    lab = labels[:, None] < labels[None, :]
    lab = lab.double()
    scores = scores - (1 - lab) * 1e12
    scores = torch.cat((torch.zeros(1, dtype=DT), scores.view(-1)), dim=0)
    return torch.logsumexp(scores, dim=0)


def angle_loss(reps, labels, p):
    return cosent_loss(reps, labels, p, sim="pairwise_angle_sim")


def siamese_distance(kind, a, b):
    if kind == "EUCLIDEAN":
        return F.pairwise_distance(a, b, p=2)
    if kind == "MANHATTAN":
        return F.pairwise_distance(a, b, p=1)
    return 1 - torch.cosine_similarity(a, b)


def contrastive_loss(reps, labels, p):
    d = siamese_distance(p.get("distance_metric", "COSINE_DISTANCE"), reps[0], reps[1])
    m = p.get("margin", 0.5)
    losses = 0.5 * (labels.double() * d.pow(2) + (1 - labels.double()) * F.relu(m - d).pow(2))
    return losses.mean() if p.get("size_average", True) else losses.sum()


def online_contrastive_loss(reps, labels, p):
    d = siamese_distance(p.get("distance_metric", "COSINE_DISTANCE"), reps[0], reps[1])
    m = p.get("margin", 0.5)
    neg = d[labels == 0]
    pos = d[labels == 1]
    negative_pairs = neg[neg < (pos.max() if len(pos) > 1 else neg.mean())]
    positive_pairs = pos[pos > (neg.min() if len(neg) > 1 else pos.mean())]
    return positive_pairs.pow(2).sum() + F.relu(m - negative_pairs).pow(2).sum()


def softmax_loss(reps, labels, p, classifier):
    a, b = reps
    parts = []
    if p.get("concatenation_sent_rep", True):
        parts += [a, b]
    if p.get("concatenation_sent_difference", True):
        parts.append(torch.abs(a - b))
    if p.get("concatenation_sent_multiplication", False):
        parts.append(a * b)
    W, bias = classifier
    logits = torch.cat(parts, 1) @ W.T + bias
    return ce(logits, labels.long().view(-1))


def mnrl_scores(reps, p):
    a = reps[0]
    c = torch.cat(reps[1:])
    return SIMS[p.get("similarity_fct", "cos_sim")](a, c) * p.get("scale", 20.0)


def mnrl(reps, labels, p):
    s = mnrl_scores(reps, p)
    return ce(s, torch.arange(len(s)))


def mnsrl(reps, labels, p):
    s = mnrl_scores(reps, p)
    B = len(s)
    t = torch.arange(B)
    return (ce(s, t) + ce(s[:, :B].t(), t)) / 2


def gist(reps, labels, p, guide):
    temperature = p.get("temperature", 0.01)
    strategy = p.get("margin_strategy", "absolute")
    margin = p.get("margin", 0.0)

    def sim_matrix(x, y):
        return torch.nn.CosineSimilarity(dim=-1)(x.unsqueeze(1), y.unsqueeze(0))

    anchor, positive = reps[0], reps[1]
    ga, gp = guide[0], guide[1]
    ap = sim_matrix(anchor, positive)
    aa = sim_matrix(anchor, anchor)
    pp = sim_matrix(positive, positive)
    gap = sim_matrix(ga, gp)
    gaa = sim_matrix(ga, ga)
    gpp = sim_matrix(gp, gp)
    thr = gap.diagonal().view(-1, 1)

    def mask_fn(gm, sm, positive_mask=None):
        if strategy == "absolute":
            mask = gm > (thr - margin)
        else:
            mask = gm > (thr * (1 - margin))
        if positive_mask is not None:
            mask = mask & ~positive_mask
        sm = sm.masked_fill(mask, -torch.inf)
        return sm

    pm = torch.eye(*gap.shape, dtype=torch.bool)
    scores = [mask_fn(gap, ap, pm)]
    if p.get("contrast_anchors", True):
        scores.append(mask_fn(gaa, aa))
    if p.get("contrast_positives", True):
        scores.append(mask_fn(gpp, pp))
    for k in range(2, len(reps)):
        scores.append(mask_fn(sim_matrix(ga, guide[k]), sim_matrix(anchor, reps[k])))
    scores = torch.cat(scores, dim=1) / temperature
    return ce(scores, torch.arange(scores.size(0)))


def mega_batch_margin(reps, labels, p):
    pm = p.get("positive_margin", 0.8)
    nm = p.get("negative_margin", 0.3)
    a, pos = reps
    if not p.get("use_mini_batched_version", True):
        cs = cos_sim(a, pos)
        ps = torch.diagonal(cs)
        ns = cs - 2 * torch.eye(*cs.shape, dtype=DT)
        nmax, _ = torch.max(ns, dim=1)
        return (F.relu(pm - ps) + F.relu(nmax - nm)).mean()
    mb = p.get("mini_batch_size", 50)
    all_pos = pos.detach()
    eye = torch.eye(len(all_pos), dtype=DT)
    total = 0
    for s in range(0, len(all_pos), mb):
        e = s + mb
        ae = a[s:e]
        with torch.no_grad():
            scores = cos_sim(ae, all_pos) - 2 * eye[s:e]
            _, ids = torch.max(scores, dim=1)
        pe = pos[s:e]
        ne = pos[ids]
        l = (F.relu(pm - F.cosine_similarity(ae, pe)) + F.relu(F.cosine_similarity(ae, ne) - nm)).mean()
        total = total + l   # gradient: sum over chunks (per-chunk backward)
    return total


def triplet(reps, labels, p):
    kind = p.get("distance_metric", "EUCLIDEAN")
    m = p.get("triplet_margin", 5.0)
    if kind == "COSINE":
        dist = lambda x, y: 1 - pairwise_cos_sim(x, y)
    elif kind == "MANHATTAN":
        dist = lambda x, y: F.pairwise_distance(x, y, p=1)
    else:
        dist = lambda x, y: F.pairwise_distance(x, y, p=2)
    a, ps, ng = reps
    return F.relu(dist(a, ps) - dist(a, ng) + m).mean()


def eucledian_distance(embeddings, squared=False):
    dot_product = torch.matmul(embeddings, embeddings.t())
    square_norm = torch.diag(dot_product)
    distances = square_norm.unsqueeze(0) - 2.0 * dot_product + square_norm.unsqueeze(1)
    distances[distances < 0] = 0
    if not squared:
        mask = distances.eq(0).double()
        distances = distances + mask * 1e-16
        distances = (1.0 - mask) * torch.sqrt(distances)
    return distances


def cosine_distance(embeddings):
    return 1 - cos_sim(embeddings, embeddings)


def batch_dist(p, e):
    if p.get("distance_metric", "eucledian_distance") == "cosine_distance":
        return cosine_distance(e)
    return eucledian_distance(e)


def ap_mask(labels):
    ind_eq = ~torch.eye(labels.size(0), dtype=torch.bool)
    eq = labels.unsqueeze(0) == labels.unsqueeze(1)
    return eq & ind_eq


def an_mask(labels):
    return ~(labels.unsqueeze(0) == labels.unsqueeze(1))


def triplet_mask(labels):
    ind_eq = torch.eye(labels.size(0), dtype=torch.bool)
    ind_ne = ~ind_eq
    i_ne_j = ind_ne.unsqueeze(2)
    i_ne_k = ind_ne.unsqueeze(1)
    j_ne_k = ind_ne.unsqueeze(0)
    distinct = (i_ne_j & i_ne_k) & j_ne_k
    leq = labels.unsqueeze(0) == labels.unsqueeze(1)
    i_eq_j = leq.unsqueeze(2)
    i_eq_k = leq.unsqueeze(1)
    valid = ~i_eq_k & i_eq_j
    return valid & distinct


def batch_hard(reps, labels, p, soft=False):
    d = batch_dist(p, reps[0])
    apd = ap_mask(labels).double() * d
    hp, _ = apd.max(1, keepdim=True)
    mx, _ = d.max(1, keepdim=True)
    and_ = d + mx * (1.0 - an_mask(labels).double())
    hn, _ = and_.min(1, keepdim=True)
    if soft:
        return torch.log1p(torch.exp(hp - hn)).mean()
    tl = hp - hn + p.get("margin", 5.0)
    tl = torch.where(tl < 0, torch.zeros_like(tl), tl)
    return tl.mean()


def batch_hard_soft(reps, labels, p):
    return batch_hard(reps, labels, p, soft=True)


def masked_minimum(data, mask, dim=1):
    axis_maximums, _ = data.max(dim, keepdims=True)
    masked_minimums = (data - axis_maximums) * mask
    masked_minimums, _ = masked_minimums.min(dim, keepdims=True)
    return masked_minimums + axis_maximums


def masked_maximum(data, mask, dim=1):
    axis_minimums, _ = data.min(dim, keepdims=True)
    masked_maximums = (data - axis_minimums) * mask
    masked_maximums, _ = masked_maximums.max(dim, keepdims=True)
    return masked_maximums + axis_minimums


def batch_semi_hard(reps, labels, p):
    margin = p.get("margin", 5.0)
    labels = labels.unsqueeze(1)
    pdist = batch_dist(p, reps[0])
    adjacency = labels == labels.t()
    adjacency_not = ~adjacency
    B = torch.numel(labels)
    tile = pdist.repeat([B, 1])
    mask = adjacency_not.repeat([B, 1]) & (tile > torch.reshape(pdist.t(), [-1, 1]))
    mask_final = torch.reshape(torch.sum(mask, 1, keepdims=True) > 0.0, [B, B]).t()
    outside = torch.reshape(masked_minimum(tile, mask), [B, B]).t()
    inside = masked_maximum(pdist, adjacency_not).repeat([1, B])
    semi = torch.where(mask_final, outside, inside)
    loss_mat = (pdist - semi) + margin
    mask_pos = adjacency.double() - torch.eye(B, dtype=DT)
    num_pos = torch.sum(mask_pos)
    return torch.sum(torch.max(loss_mat * mask_pos, torch.tensor([0.0], dtype=DT))) / num_pos


def batch_all(reps, labels, p):
    d = batch_dist(p, reps[0])
    t = d.unsqueeze(2) - d.unsqueeze(1) + p.get("margin", 5.0)
    t = triplet_mask(labels).double() * t
    t = torch.where(t < 0, torch.zeros_like(t), t)
    n = t[t > 1e-16].size(0)
    return t.sum() / (n + 1e-16)


def mse(reps, labels, p):
    return torch.nn.MSELoss()(torch.cat(reps, 0), labels.repeat(len(reps), 1))


def margin_mse(reps, labels, p):
    sim = SIMS[p.get("similarity_fct", "pairwise_dot_score")]
    q, ps = reps[0], reps[1]
    sp = sim(q, ps)
    margins = torch.stack([sp - sim(q, n) for n in reps[2:]], dim=1)
    if labels.dim() == 1:
        labels = labels.unsqueeze(1)
    if labels.shape[1] == margins.shape[1] + 1:
        labels = labels[:, :1] - labels[:, 1:]
    return torch.nn.MSELoss()(margins, labels)


def distill_kl_div(reps, labels, p):
    sim = SIMS[p.get("similarity_fct", "pairwise_dot_score")]
    T = p.get("temperature", 1.0)
    q = reps[0]
    student = torch.stack([sim(q, d) for d in reps[1:]], dim=1) / T
    log_q = torch.log_softmax(student, dim=1)
    teacher = torch.softmax(labels / T, dim=1)
    return torch.nn.KLDivLoss(reduction="batchmean")(log_q, teacher) * T**2


LOSSES = {
    "CosineSimilarityLoss": cosine_similarity_loss, "CoSENTLoss": cosent_loss,
    "AnglELoss": angle_loss, "ContrastiveLoss": contrastive_loss,
    "OnlineContrastiveLoss": online_contrastive_loss,
    "MultipleNegativesRankingLoss": mnrl, "CachedMultipleNegativesRankingLoss": mnrl,
    "MultipleNegativesSymmetricRankingLoss": mnsrl,
    "CachedMultipleNegativesSymmetricRankingLoss": mnsrl,
    "MegaBatchMarginLoss": mega_batch_margin, "TripletLoss": triplet,
    "BatchHardTripletLoss": batch_hard, "BatchHardSoftMarginTripletLoss": batch_hard_soft,
    "BatchSemiHardTripletLoss": batch_semi_hard, "BatchAllTripletLoss": batch_all,
    "MSELoss": mse, "MarginMSELoss": margin_mse, "DistillKLDivLoss": distill_kl_div,
}


def run_loss(name, params, reps, labels, guide=None, classifier=None):
    if name == "MatryoshkaLoss":
        inner = params["loss"]
        iname, ip = (inner, {}) if isinstance(inner, str) else (inner["name"], inner.get("params", {}))
        dims = params["matryoshka_dims"]
        weights = params.get("matryoshka_weights") or [1] * len(dims)
        order = sorted(range(len(dims)), key=lambda i: -dims[i])
        total = 0
        for i in order:
            d = dims[i]
            sub = [F.normalize(r[:, :d], p=2, dim=-1) for r in reps]
            lab = labels
            if labels is not None and labels.dim() == 2 and labels.shape[1] == reps[0].shape[1]:
                lab = labels[:, :d]
            total = total + weights[i] * run_loss(iname, ip, sub, lab, guide, classifier)
        return total
    if name in ("GISTEmbedLoss", "CachedGISTEmbedLoss"):
        return gist(reps, labels, params, guide)
    if name == "SoftmaxLoss":
        return softmax_loss(reps, labels, params, classifier)
    return LOSSES[name](reps, labels, params)


# --- cases -----------------------------------------------------------------------

def f32(t):
    return t.float().double()


def emb(B, D, scale=1.0):
    return f32(torch.randn(B, D, dtype=DT) * scale)


def near(x, noise=0.5):
    return f32(x + noise * torch.randn_like(x))


cases = []


def add(name, loss, params, cols, labels=None, label_dim=1, guide=None, classifier=None):
    reps = [c.clone().requires_grad_(True) for c in cols]
    lab = None if labels is None else torch.tensor(labels, dtype=DT)
    if lab is not None and label_dim > 1:
        lab = lab.view(len(cols[0]), label_dim)
    cls = None
    if classifier is not None:
        cls = [c.clone().requires_grad_(True) for c in classifier]
    value = run_loss(loss, params, reps, lab, guide, cls)
    value.backward()
    for r in reps:
        assert r.grad is not None or True
    grads = [(r.grad if r.grad is not None else torch.zeros_like(r)).reshape(-1).tolist() for r in reps]
    assert all(torch.isfinite(torch.tensor(g)).all() for g in grads), name
    case = {
        "name": name, "loss": loss, "params": params,
        "batch": cols[0].shape[0], "dim": cols[0].shape[1],
        "columns": [c.reshape(-1).tolist() for c in cols],
        "labels": None if labels is None else [float(x) for x in (torch.tensor(labels).reshape(-1).tolist())],
        "label_dim": label_dim if labels is not None else 0,
        "guide": None if guide is None else [g.reshape(-1).tolist() for g in guide],
        "guide_dim": 0 if guide is None else guide[0].shape[1],
        "value": value.item(), "grads": grads,
    }
    if cls is not None:
        case["classifier"] = [c.detach().reshape(-1).tolist() for c in classifier]
        case["classifier_grad"] = [c.grad.reshape(-1).tolist() for c in cls]
    cases.append(case)


B, D = 6, 8

# pair + score
a = emb(B, D); b = near(a, 1.0)
scores = f32(torch.rand(B, dtype=DT)).tolist()
tied = [0.2, 0.5, 0.5, 0.9, 0.2, 0.7]
add("cosine_similarity", "CosineSimilarityLoss", {}, [a, b], scores)
add("cosine_similarity_b1", "CosineSimilarityLoss", {}, [a[:1], b[:1]], scores[:1])
add("cosent", "CoSENTLoss", {}, [a, b], scores)
add("cosent_ties", "CoSENTLoss", {"scale": 10.0}, [a, b], tied)
add("cosent_all_equal", "CoSENTLoss", {}, [a, b], [0.5] * B)
add("cosent_b1", "CoSENTLoss", {}, [a[:1], b[:1]], [0.3])
for s in ["pairwise_dot_score", "pairwise_euclidean_sim", "pairwise_manhattan_sim", "pairwise_angle_sim"]:
    add("cosent_" + s, "CoSENTLoss", {"similarity_fct": s, "scale": 2.0}, [a, b], tied)
add("angle", "AnglELoss", {}, [a, b], scores)
add("angle_ties", "AnglELoss", {"scale": 5.0}, [a, b], tied)

# pair + binary
bin_labels = [1, 0, 1, 1, 0, 0]
for dm in ["COSINE_DISTANCE", "EUCLIDEAN", "MANHATTAN"]:
    m = 0.5 if dm == "COSINE_DISTANCE" else 4.0
    add("contrastive_" + dm, "ContrastiveLoss", {"distance_metric": dm, "margin": m}, [a, b], bin_labels)
    add("online_contrastive_" + dm, "OnlineContrastiveLoss", {"distance_metric": dm, "margin": m}, [a, b], bin_labels)
add("contrastive_sum", "ContrastiveLoss", {"size_average": False, "margin": 1.2}, [a, b], bin_labels)
add("contrastive_all_pos", "ContrastiveLoss", {}, [a, b], [1] * B)
add("contrastive_b1", "ContrastiveLoss", {"margin": 1.5}, [a[:1], b[:1]], [0])
add("online_contrastive_all_pos", "OnlineContrastiveLoss", {}, [a, b], [1] * B)
add("online_contrastive_one_pos", "OnlineContrastiveLoss", {"margin": 1.5}, [a, b], [0, 0, 1, 0, 0, 0])

# SoftmaxLoss with its classifier
for name, p in [("softmax", {}),
                ("softmax_mul", {"concatenation_sent_multiplication": True, "concatenation_sent_rep": False})]:
    k = (2 if p.get("concatenation_sent_rep", True) else 0) + 1 + (1 if p.get("concatenation_sent_multiplication") else 0)
    L = 3
    bound = 1 / (k * D) ** 0.5
    W = f32((torch.rand(L, k * D, dtype=DT) * 2 - 1) * bound)
    bb = f32((torch.rand(L, dtype=DT) * 2 - 1) * bound)
    p = dict(p, sentence_embedding_dimension=D, num_labels=L)
    add(name, "SoftmaxLoss", p, [a, b], [0, 2, 1, 1, 0, 2], classifier=[W, bb])

# (anchor, positive[, negatives])
anc = emb(B, D); pos = near(anc, 0.8); neg = near(anc, 1.2); neg2 = emb(B, D)
for loss in ["MultipleNegativesRankingLoss", "MultipleNegativesSymmetricRankingLoss"]:
    short = "mnrl" if loss.startswith("MultipleNegativesR") else "mnsrl"
    add(short, loss, {}, [anc, pos])
    add(short + "_neg", loss, {}, [anc, pos, neg])
    add(short + "_2neg", loss, {"scale": 10.0}, [anc, pos, neg, neg2])
    add(short + "_neg_eq_pos", loss, {}, [anc, pos, pos.clone()])
    add(short + "_b1", loss, {}, [anc[:1], pos[:1], neg[:1]])
    for s in ["dot_score", "euclidean_sim", "manhattan_sim"]:
        add(short + "_" + s, loss, {"similarity_fct": s, "scale": 1.0}, [anc, pos, neg])
add("cached_mnrl", "CachedMultipleNegativesRankingLoss", {"mini_batch_size": 2}, [anc, pos, neg])
add("cached_mnsrl", "CachedMultipleNegativesSymmetricRankingLoss", {"mini_batch_size": 4}, [anc, pos])

G = 5
ganc = emb(B, G); gpos = near(ganc, 0.6); gneg = near(ganc, 0.7); gneg2 = emb(B, G)
add("gist", "GISTEmbedLoss", {"guide": "guide-model"}, [anc, pos], guide=[ganc, gpos])
add("gist_neg", "GISTEmbedLoss", {"guide": "guide-model", "temperature": 0.05}, [anc, pos, neg], guide=[ganc, gpos, gneg])
add("gist_relative", "GISTEmbedLoss", {"guide": "g", "margin_strategy": "relative", "margin": 0.1,
                                       "contrast_anchors": False}, [anc, pos, neg], guide=[ganc, gpos, gneg])
add("gist_absolute_margin", "GISTEmbedLoss", {"guide": "g", "margin": 0.2, "contrast_positives": False,
                                              "temperature": 0.1}, [anc, pos, neg], guide=[ganc, gpos, gneg])
add("gist_neg_eq_pos", "GISTEmbedLoss", {"guide": "g", "temperature": 0.1}, [anc, pos, pos.clone()],
    guide=[ganc, gpos, gpos.clone()])
add("gist_b1", "GISTEmbedLoss", {"guide": "g"}, [anc[:1], pos[:1]], guide=[ganc[:1], gpos[:1]])
add("cached_gist_2neg", "CachedGISTEmbedLoss", {"guide": "g", "temperature": 0.1, "mini_batch_size": 2},
    [anc, pos, neg, neg2], guide=[ganc, gpos, gneg, gneg2])

add("megabatch", "MegaBatchMarginLoss", {}, [anc, pos])
add("megabatch_chunks", "MegaBatchMarginLoss", {"mini_batch_size": 4, "positive_margin": 0.9}, [anc, pos])
add("megabatch_full", "MegaBatchMarginLoss", {"use_mini_batched_version": False}, [anc, pos])
add("megabatch_b1", "MegaBatchMarginLoss", {}, [anc[:1], pos[:1]])

for dm, m in [("EUCLIDEAN", 2.0), ("COSINE", 0.5), ("MANHATTAN", 6.0)]:
    add("triplet_" + dm, "TripletLoss", {"distance_metric": dm, "triplet_margin": m}, [anc, pos, neg])
add("triplet_default", "TripletLoss", {}, [anc, pos, neg])
add("triplet_neg_eq_pos", "TripletLoss", {}, [anc, pos, pos.clone()])
add("triplet_b1", "TripletLoss", {"triplet_margin": 1.0}, [anc[:1], pos[:1], neg[:1]])

# single sentence + class: batch triplet losses
BB = 8
e = emb(BB, D)
cls = [0, 1, 0, 2, 1, 0, 2, 1]
for loss, short in [("BatchHardTripletLoss", "batch_hard"), ("BatchHardSoftMarginTripletLoss", "batch_hard_soft"),
                    ("BatchSemiHardTripletLoss", "batch_semi_hard"), ("BatchAllTripletLoss", "batch_all")]:
    for dist in ["eucledian_distance", "cosine_distance"]:
        p = {"distance_metric": dist}
        if loss != "BatchHardSoftMarginTripletLoss":
            p["margin"] = 1.0 if dist == "eucledian_distance" else 0.3
        add(short + "_" + dist, loss, p, [e], cls)
    add(short + "_default", loss, {}, [e], cls)
    add(short + "_singletons", loss, {"distance_metric": "cosine_distance"} if "Soft" in loss else {"margin": 2.0},
        [e], [0, 1, 1, 2, 3, 3, 4, 5])
# all-equal labels: no negatives (BatchAll/SemiHard still well-defined)
for loss in ["BatchHardTripletLoss", "BatchSemiHardTripletLoss", "BatchAllTripletLoss",
             "BatchHardSoftMarginTripletLoss"]:
    add(loss + "_all_equal", loss, {}, [e[:5]], [3] * 5)

# distillation
teacher = emb(B, D)
add("mse", "MSELoss", {}, [a], teacher.reshape(-1).tolist(), label_dim=D)
add("mse_2cols", "MSELoss", {}, [a, b], teacher.reshape(-1).tolist(), label_dim=D)
m1 = f32(torch.randn(B, dtype=DT)).tolist()
add("margin_mse", "MarginMSELoss", {}, [anc, pos, neg], m1)
m2 = f32(torch.randn(B, 2, dtype=DT)).reshape(-1).tolist()
add("margin_mse_2neg", "MarginMSELoss", {"similarity_fct": "pairwise_cos_sim"}, [anc, pos, neg, neg2], m2, label_dim=2)
raw = f32(torch.randn(B, 3, dtype=DT)).reshape(-1).tolist()
add("margin_mse_raw", "MarginMSELoss", {}, [anc, pos, neg, neg2], raw, label_dim=3)

ts = f32(torch.randn(B, 3, dtype=DT) * 3).reshape(-1).tolist()
add("distill_kl", "DistillKLDivLoss", {}, [anc, pos, neg, neg2], ts, label_dim=3)
add("distill_kl_cos_t2", "DistillKLDivLoss", {"similarity_fct": "pairwise_cos_sim", "temperature": 2.0},
    [anc, pos, neg, neg2], ts, label_dim=3)
add("distill_kl_tied_teacher", "DistillKLDivLoss", {"temperature": 0.5}, [anc, pos, neg], [1.0, 1.0] * B, label_dim=2)

# more batches of one and all-equal labels
add("online_contrastive_all_neg", "OnlineContrastiveLoss", {"margin": 1.5}, [a, b], [0] * B)
add("angle_all_equal", "AnglELoss", {}, [a, b], [0.5] * B)
add("batch_hard_b1", "BatchHardTripletLoss", {}, [e[:1]], [0])
add("batch_all_b1", "BatchAllTripletLoss", {}, [e[:1]], [0])
add("batch_hard_soft_b1", "BatchHardSoftMarginTripletLoss", {}, [e[:1]], [0])
add("mse_b1", "MSELoss", {}, [a[:1]], teacher[:1].reshape(-1).tolist(), label_dim=D)
add("margin_mse_b1", "MarginMSELoss", {}, [anc[:1], pos[:1], neg[:1]], m1[:1])
add("mnrl_all_equal_rows", "MultipleNegativesRankingLoss", {}, [anc, pos[:1].repeat(B, 1)])

# Matryoshka
add("matryoshka_mnrl", "MatryoshkaLoss", {"loss": "MultipleNegativesRankingLoss", "matryoshka_dims": [8, 4, 2]},
    [anc, pos, neg])
add("matryoshka_cosent_weights", "MatryoshkaLoss",
    {"loss": {"name": "CoSENTLoss", "params": {"scale": 10.0}}, "matryoshka_dims": [2, 8, 6],
     "matryoshka_weights": [0.5, 1.0, 2.0]}, [a, b], scores)
add("matryoshka_mse", "MatryoshkaLoss", {"loss": "MSELoss", "matryoshka_dims": [8, 3]}, [a], teacher.reshape(-1).tolist(),
    label_dim=D)
add("matryoshka_cached_mnrl", "MatryoshkaLoss", {"loss": {"name": "CachedMultipleNegativesRankingLoss",
                                                          "params": {"mini_batch_size": 2}},
                                                 "matryoshka_dims": [6, 4]}, [anc, pos])
add("matryoshka_batch_all", "MatryoshkaLoss", {"loss": "BatchAllTripletLoss", "matryoshka_dims": [8, 5]}, [e], cls)

def short_inputs(xs):
    return [float(repr(np.float32(x))) for x in xs]


def short_outputs(xs):
    return [float("%.10g" % x) for x in xs]


for c in cases:
    c["columns"] = [short_inputs(x) for x in c["columns"]]
    if c["labels"] is not None:
        c["labels"] = short_inputs(c["labels"])
    if c["guide"] is not None:
        c["guide"] = [short_inputs(x) for x in c["guide"]]
    if "classifier" in c:
        c["classifier"] = [short_inputs(x) for x in c["classifier"]]
        c["classifier_grad"] = [short_outputs(x) for x in c["classifier_grad"]]
    c["grads"] = [short_outputs(x) for x in c["grads"]]
    c["value"] = float("%.12g" % c["value"])

json.dump({"generator": "tests/reference/loss_reference.py (torch %s, float64 autograd)" % torch.__version__,
           "cases": cases}, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
