#!/usr/bin/python3
"""PyTorch side of bench/model/run.sh.

    model_bench.py make DIR            # a `mini` BERT (6 x 384, 12 heads, vocab 30522), HF init, ST folder
    model_bench.py run DIR [--batch 64] [--tokens 128] [--iters 3] [--threads N]

`run` prints one JSON line: sentences/s of inference (eval, no_grad) and of
a training step (forward + backward of sum(emb)), same token ids as the C
bench (ids i*7919+t mod (vocab-1000) + 1000).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import model_arch as ma  # noqa: E402


def make(path):
    cfg = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 384,
           "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
           "max_position_embeddings": 512, "type_vocab_size": 2, "pad_token_id": 0, "layer_norm_eps": 1e-12,
           "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
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


def ids_for(batch, tokens, vocab):
    return [[(i * 7919 + t) % (vocab - 1000) + 1000 for t in range(tokens)] for i in range(batch)]


def run(path, batch, tokens, iters, threads):
    if threads:
        torch.set_num_threads(threads)
    st = ma.SentenceTransformer.load(path)
    ids = ids_for(batch, tokens, st.encoder.config["vocab_size"])
    st.eval()
    with torch.no_grad():
        st.forward_ids(ids)
        t0 = time.perf_counter()
        for _ in range(iters):
            st.forward_ids(ids)
        infer = batch * iters / (time.perf_counter() - t0)
    st.train()
    for m in st.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    t0 = time.perf_counter()
    for _ in range(iters):
        st.zero_grad()
        st.forward_ids(ids).sum().backward()
    train = batch * iters / (time.perf_counter() - t0)
    print(json.dumps({"engine": "pytorch " + torch.__version__, "threads": torch.get_num_threads(),
                      "inference_sentences_per_s": infer, "train_sentences_per_s": train}))


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {"--batch": 64, "--tokens": 128, "--iters": 3, "--threads": 0}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = int(args[i + 1])
            del args[i : i + 2]
    if args[0] == "make":
        make(args[1])
    else:
        run(args[1], opts["--batch"], opts["--tokens"], opts["--iters"], opts["--threads"])
