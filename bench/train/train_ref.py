#!/usr/bin/python3
"""PyTorch side of bench/run.sh (Debian's torch 1.13), and the fixtures both sides share.

    train_ref.py make SHAPE DIR TOKENIZER_DIR   # a random BERT of SHAPE (minilm | bertbase), ST folder
    train_ref.py train DIR BATCHES.json --threads N [--lr 2e-5]
    train_ref.py encode DIR TEXT_IDS.json --threads N --batch-size 64 [--iters 2]

`train` runs MultipleNegativesRankingLoss (scale 20, in-batch negatives,
cross-entropy over cos_sim * 20), dropout off, AdamW (weight decay 0.01,
gradient clipping at 1.0, as the Hugging Face trainer does), one optimizer
step per batch of BATCHES.json ([[anchor ids...], [positive ids...]] per
batch: the token ids vectorsmith's tokenizer made, so both sides see the
same tokens; each batch is padded to its longest text, as
sentence-transformers does). It prints one line per finished step,
"step K PAIRS", flushed, so the driver timestamps steps the same way for
both engines.

`encode` sorts the texts by length first (as SentenceTransformer.encode()
does), pads each batch to its longest text, runs eval/no_grad, and prints
one JSON line with sentences/s over `iters` timed passes after one warm-up.
"""
import json
import os
import shutil
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import model_arch as ma  # noqa: E402

SHAPES = {
    "minilm": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
    "bertbase": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


def make(shape, path, tokenizer_dir):
    cfg = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30527,
           "max_position_embeddings": 512, "type_vocab_size": 2, "pad_token_id": 1, "layer_norm_eps": 1e-12,
           "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
    cfg.update(SHAPES[shape])
    torch.manual_seed(0)
    enc = ma.build_encoder(cfg)
    with torch.no_grad():
        for n, p in enc.named_parameters():
            if "LayerNorm" in n:
                p.fill_(1.0 if n.endswith("weight") else 0.0)
            elif n.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0, 0.02)
    ma.SentenceTransformer(enc, ["mean"], max_seq_length=128).save(path)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(os.path.join(tokenizer_dir, f), os.path.join(path, f))


def dropout_off(st):
    for m in st.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0


def train(path, batches_path, threads, lr):
    torch.set_num_threads(threads)
    st = ma.SentenceTransformer.load(path)
    with open(batches_path) as f:
        batches = json.load(f)
    st.train()
    dropout_off(st)
    decay = [p for n, p in st.named_parameters() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in st.named_parameters() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    params = decay + no_decay
    for k, (a, p) in enumerate(batches):
        opt.zero_grad()
        # sentence-transformers embeds each column as its own padded batch
        ea = st.forward_ids(a)
        ep = st.forward_ids(p)
        scores = F.normalize(ea, dim=1) @ F.normalize(ep, dim=1).T * 20.0
        loss = F.cross_entropy(scores, torch.arange(len(a)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        print("step %d %d %.6f" % (k + 1, len(a), loss.item()), flush=True)


def encode(path, ids_path, threads, batch_size, iters):
    torch.set_num_threads(threads)
    st = ma.SentenceTransformer.load(path)
    with open(ids_path) as f:
        ids = json.load(f)
    st.eval()
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))

    def one_pass():
        for s in range(0, len(order), batch_size):
            st.forward_ids([ids[i] for i in order[s : s + batch_size]])

    with torch.no_grad():
        t0 = time.perf_counter()
        one_pass()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(iters):
            one_pass()
        sps = len(ids) * iters / (time.perf_counter() - t0)
    print(json.dumps({"sentences_per_s": sps, "first_pass_s": first}), flush=True)


def opt(args, name, default, kind=int):
    if name in args:
        i = args.index(name)
        v = kind(args[i + 1])
        del args[i : i + 2]
        return v
    return default


if __name__ == "__main__":
    args = sys.argv[1:]
    threads = opt(args, "--threads", 1)
    lr = opt(args, "--lr", 2e-5, float)
    bs = opt(args, "--batch-size", 64)
    iters = opt(args, "--iters", 2)
    if args[0] == "make":
        make(args[1], args[2], args[3])
    elif args[0] == "train":
        train(args[1], args[2], threads, lr)
    elif args[0] == "encode":
        encode(args[1], args[2], threads, bs, iters)
    else:
        sys.exit("usage: see the docstring")
