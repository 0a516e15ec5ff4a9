#!/usr/bin/python3
"""Writes tests/model/fixtures/: tiny random models of every architecture as
sentence-transformers folders, with the PyTorch (float64) embeddings of a
padded batch, and the gradient of every parameter for loss = sum(emb * d_out).

    /usr/bin/python3 tests/reference/model_fixtures.py

Also: prompt-mean/ (include_prompt false, prompt_length 3), distilbert-sinusoidal/
(sinusoidal_pos_embds, frozen positions, the formula's table as "sinusoidal"),
pooling-masked.json (every pooling mode with prompt tokens masked). Only those:

    /usr/bin/python3 tests/reference/model_fixtures.py prompt

Deterministic (fixed seeds). Uses model_arch.py (Hugging Face's modeling code
re-written), not the C engine.
"""

import json
import os
import shutil
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_arch as ma  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model", "fixtures")


def randomize(module, gen):
    """All parameters random (LayerNorm around 1), so every gradient is non-trivial;
    frozen ones (DistilBERT's sinusoidal positions) are left as they are."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if not p.requires_grad:
                continue
            if "LayerNorm" in name or "layer_norm" in name:
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))


def reference(st, ids, types, gen, prompt_length=None):
    """float64 forward + backward of loss = sum(emb * R); R is float32-representable."""
    st64 = st.double()
    st64.eval()
    for p in st64.parameters():
        p.grad = None
    emb = st64.forward_ids(ids, types, prompt_length)
    R = torch.randn(emb.shape, generator=gen, dtype=torch.float32).double()
    (emb * R).sum().backward()
    out = {"embeddings": emb.detach(), "d_out": R}
    for n, p in st64.named_parameters_hf():
        out["grad/" + n] = p.grad if p.grad is not None else torch.zeros_like(p)
    st.float()
    return out


def make(name, cfg, pooling, dense, normalize, ids, types=None, seed=0, include_prompt=True, prompt_length=None,
         extra=None):
    gen = torch.Generator().manual_seed(seed)
    enc = ma.build_encoder(cfg)
    st = ma.SentenceTransformer(enc, pooling, dense, normalize, max_seq_length=16, include_prompt=include_prompt)
    randomize(st, gen)
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    st.save(d)
    # reload the float32 weights as written, so the reference uses exactly those
    st = ma.SentenceTransformer.load(d)
    exp = reference(st, ids, types, gen, prompt_length)
    if extra:
        exp.update(extra)
    ma.write_safetensors(os.path.join(d, "expected.safetensors"), exp)
    inputs = {"ids": ids, "type_ids": types}
    if prompt_length is not None:
        inputs["prompt_length"] = prompt_length
    with open(os.path.join(d, "inputs.json"), "w") as f:
        json.dump(inputs, f)
    return st


def pooling_masked():
    """Pooling with prompt tokens masked out (include_prompt False), every mode and edge:
    a text shorter than the prompt, cls + max with position 0 masked (-1e9 in place)."""
    g = torch.Generator().manual_seed(99)
    C = 3
    lengths = [5, 2, 4, 1]
    prompt_length = 2
    cases = []
    for modes in (["cls", "max", "mean"], ["mean_sqrt_len_tokens", "weightedmean", "lasttoken"], ["cls", "lasttoken"]):
        for pl in (prompt_length, 0, 6):
            L = max(lengths)
            te = torch.randn((len(lengths), L, C), generator=g, dtype=torch.float32).double().requires_grad_(True)
            M = torch.zeros((len(lengths), L), dtype=torch.long)
            for i, n in enumerate(lengths):
                M[i, :n] = 1
            out = ma.pool(te, M, modes, pl, False)
            R = torch.randn(out.shape, generator=g, dtype=torch.float32).double()
            (out * R).sum().backward()
            cases.append({"modes": modes, "prompt_length": pl, "lengths": lengths, "C": C,
                          "h": [te[i, :n].reshape(-1).tolist() for i, n in enumerate(lengths)],
                          "out": out.detach().reshape(-1).tolist(), "dout": R.reshape(-1).tolist(),
                          "dh": [te.grad[i, :n].reshape(-1).tolist() for i, n in enumerate(lengths)]})
    with open(os.path.join(ROOT, "pooling-masked.json"), "w") as f:
        json.dump(cases, f)


def prompt_fixtures():
    # include_prompt false: a micro BERT, mean pooling, every text starts with the same 3 prompt
    # tokens ([CLS] 7 9); one text is the prompt alone ([CLS] 7 9 [SEP]); one is cut at the prompt
    cfg = bert_cfg(vocab_size=20, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                   intermediate_size=32, max_position_embeddings=16)
    ids = [[2, 7, 9, 11, 5, 14, 3], [2, 7, 9, 3], [2, 7, 9, 6, 17, 12, 8, 10, 3], [2, 7]]
    make("prompt-mean", cfg, ["mean"], [], False, ids, None, seed=11, include_prompt=False, prompt_length=3)

    # DistilBERT with sinusoidal_pos_embds: fixed, frozen positions (Hugging Face's formula)
    cfg = {"model_type": "distilbert", "architectures": ["DistilBertModel"], "vocab_size": 20, "dim": 16,
           "n_layers": 1, "n_heads": 2, "hidden_dim": 32, "max_position_embeddings": 12, "pad_token_id": 0,
           "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "sinusoidal_pos_embds": True}
    table = torch.empty(12, 16)
    ma.create_sinusoidal_embeddings(12, 16, table)
    make("distilbert-sinusoidal", cfg, ["mean"], [], False, [[2, 5, 9, 3], [2, 11, 4, 6, 13, 3]], None, seed=12,
         extra={"sinusoidal": table})


def bert_cfg(**kw):
    c = {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 40, "hidden_size": 32,
         "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
         "max_position_embeddings": 24, "type_vocab_size": 2, "pad_token_id": 0, "layer_norm_eps": 1e-12,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
    c.update(kw)
    return c


def main():
    os.makedirs(ROOT, exist_ok=True)
    g = torch.Generator().manual_seed(1234)

    def rand_ids(lengths, vocab, avoid):
        out = []
        for L in lengths:
            x = torch.randint(0, vocab, (L,), generator=g).tolist()
            out.append([t if t != avoid else (t + 3) % vocab for t in x])
        return out

    # BERT: mean + Dense(tanh) + Normalize, token types, a [PAD] id inside a text
    ids = rand_ids([5, 1, 12, 9], 40, 0)
    ids[2][4] = 0
    types = [[0] * 5, [0], [0] * 6 + [1] * 6, [1] * 9]
    make("bert", bert_cfg(), ["mean"], [(32, 16, "tanh")], True, ids, types, seed=1)

    # RoBERTa: cls + max, gelu_new, a <pad> id inside a text (position = padding_idx)
    cfg = bert_cfg(model_type="roberta", architectures=["RobertaModel"], max_position_embeddings=26,
                   type_vocab_size=1, pad_token_id=1, layer_norm_eps=1e-5, hidden_act="gelu_new",
                   intermediate_size=48)
    ids = rand_ids([7, 3, 11], 40, 1)
    ids[0][3] = 1
    make("roberta", cfg, ["cls", "max"], [], False, ids, None, seed=2)

    # XLM-RoBERTa: mean_sqrt_len + weightedmean, relu, 2 heads, Normalize
    cfg = bert_cfg(model_type="xlm-roberta", architectures=["XLMRobertaModel"], max_position_embeddings=26,
                   type_vocab_size=1, pad_token_id=1, layer_norm_eps=1e-5, hidden_act="relu",
                   num_attention_heads=2, intermediate_size=48)
    make("xlm-roberta", cfg, ["mean_sqrt_len_tokens", "weightedmean"], [], True,
         rand_ids([4, 10, 2], 40, 1), None, seed=3)

    # DistilBERT: lasttoken + mean, Dense(identity)
    cfg = {"model_type": "distilbert", "architectures": ["DistilBertModel"], "vocab_size": 40, "dim": 32,
           "n_layers": 2, "n_heads": 4, "hidden_dim": 48, "max_position_embeddings": 24, "pad_token_id": 0,
           "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "sinusoidal_pos_embds": False}
    make("distilbert", cfg, ["lasttoken", "mean"], [(64, 24, "identity")], False,
         rand_ids([6, 13, 1], 40, 0), None, seed=4)

    # MPNet: relative position bias over distances past the exact buckets, Dense(gelu), Normalize
    cfg = {"model_type": "mpnet", "architectures": ["MPNetModel"], "vocab_size": 40, "hidden_size": 32,
           "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 48,
           "max_position_embeddings": 40, "pad_token_id": 1, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "relative_attention_num_buckets": 32}
    make("mpnet", cfg, ["mean"], [(32, 16, "gelu")], True, rand_ids([20, 3, 14], 40, 1), None, seed=5)
    rel = list(range(-300, 301))
    buckets = ma.relative_position_bucket(torch.tensor(rel), num_buckets=32, max_distance=128).tolist()
    with open(os.path.join(ROOT, "mpnet-buckets.json"), "w") as f:
        json.dump({"relative_position": rel, "bucket": buckets}, f)

    prompt_fixtures()
    pooling_masked()

    # micro BERT (plain Hugging Face folders: mean pooling) in file variants
    cfg = bert_cfg(vocab_size=12, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                   intermediate_size=16, max_position_embeddings=10)
    gen = torch.Generator().manual_seed(7)
    enc = ma.build_encoder(cfg)
    randomize(enc, gen)
    micro_ids = [[2, 5, 7, 3], [4, 11]]
    sd = {k: v for k, v in enc.state_dict().items()}

    def plain(name, tensors, dtype=torch.float32, expect=True, shards=None):
        d = os.path.join(ROOT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        if shards:
            names = list(tensors)
            parts = [names[: len(names) // 2], names[len(names) // 2:]]
            wm = {}
            for k, part in enumerate(parts):
                fn = "model-%05d-of-00002.safetensors" % (k + 1)
                ma.write_safetensors(os.path.join(d, fn), {n: tensors[n] for n in part}, dtype)
                wm.update({n: fn for n in part})
            with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
                json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f, indent=2)
        else:
            ma.write_safetensors(os.path.join(d, "model.safetensors"), tensors, dtype)
        if expect:
            # the weights as stored (rounded to dtype), then float64
            e = ma.build_encoder(cfg).double()
            e.load_state_dict({k: v.to(dtype).double() for k, v in sd.items()}, strict=False)
            st = ma.SentenceTransformer(e, ["mean"]).double().eval()
            with torch.no_grad():
                emb = st.forward_ids(micro_ids)
            ma.write_safetensors(os.path.join(d, "expected.safetensors"), {"embeddings": emb})
            with open(os.path.join(d, "inputs.json"), "w") as f:
                json.dump({"ids": micro_ids, "type_ids": None}, f)

    plain("micro-f32", sd)
    plain("micro-f16", sd, torch.float16)
    plain("micro-bf16", sd, torch.bfloat16)
    plain("micro-sharded", sd, shards=True)
    old = {}
    for k, v in sd.items():
        k = "bert." + k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        old[k] = v
    old["cls.predictions.bias"] = torch.zeros(12)
    plain("micro-prefixed", old)
    # the position_ids buffer (I64) of older checkpoints is ignored too
    d = os.path.join(ROOT, "micro-prefixed")
    t_all = ma.read_safetensors(os.path.join(d, "model.safetensors"))
    header = {"__metadata__": {"format": "pt"}}
    blobs, off = [], 0
    for n, v in t_all.items():
        raw = v.float().contiguous().view(torch.uint8).numpy().tobytes()
        header[n] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    pos = torch.arange(10, dtype=torch.int64)[None, :]
    raw = pos.contiguous().view(torch.uint8).numpy().tobytes()
    header["bert.embeddings.position_ids"] = {"dtype": "I64", "shape": [1, 10], "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

    bad = dict(sd)
    bad["encoder.layer.0.intermediate.dense.weight"] = sd["encoder.layer.0.intermediate.dense.weight"].t().contiguous()
    plain("micro-badshape", bad, expect=False)
    missing = {k: v for k, v in sd.items() if k != "encoder.layer.0.output.LayerNorm.bias"}
    plain("micro-missing", missing, expect=False)
    extra = dict(sd)
    extra["encoder.layer.0.attention.self.extra.weight"] = torch.zeros(2, 2)
    plain("micro-extra", extra, expect=False)

    # the real LaBSE Dense head: a few values and one output, for the reader of real files
    shared = os.environ.get("VS_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    labse = ma.read_safetensors(os.path.join(shared, "models", "LaBSE-partial", "2_Dense", "model.safetensors"))
    W, b = labse["linear.weight"].double(), labse["linear.bias"].double()
    x = torch.sin(torch.arange(768, dtype=torch.float64) * 0.01)
    y = torch.tanh(W @ x + b)
    with open(os.path.join(ROOT, "labse-dense.json"), "w") as f:
        json.dump({"weight_shape": list(W.shape), "bias_shape": list(b.shape),
                   "weight_sum": W.sum().item(), "weight_abs_sum": W.abs().sum().item(),
                   "weight_first": W[0, :4].tolist(), "bias_first": b[:4].tolist(),
                   "input": "sin(0.01 * k), k = 0..767", "output": y.tolist()}, f)


if __name__ == "__main__":
    if sys.argv[1:] == ["prompt"]:
        prompt_fixtures()
        pooling_masked()
    else:
        main()
