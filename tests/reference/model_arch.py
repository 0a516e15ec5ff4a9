"""PyTorch reference of the encoders and sentence-transformers modules.

Written as Hugging Face transformers' modeling code (modeling_bert.py,
modeling_roberta.py, modeling_xlm_roberta.py, modeling_distilbert.py,
modeling_mpnet.py) and sentence-transformers' models/Pooling.py, Dense.py,
Normalize.py compute them, on PADDED batches with attention masks, so that it
also checks that the C engine's packed batches change nothing. State-dict
names are Hugging Face's.

Importable (the trainer's reference reuses it):

    import model_arch as ma
    st = ma.SentenceTransformer.load("some/folder")            # ST folder or plain HF folder
    st = ma.SentenceTransformer(ma.build_encoder(config_dict), pooling=["mean"], dense=[(in, out, "tanh"[, bias])],
                                normalize=True)
    emb = st.forward_ids(list_of_id_lists, list_of_type_id_lists)  # [n, D]
    st.save("out/folder")                                      # F32 safetensors, ST layout
    tensors = ma.read_safetensors(path); ma.write_safetensors(path, {name: tensor})

Parameter names of Dense modules in `st.named_parameters_hf()` are
"<k>_Dense/linear.weight", as the C engine's parameter table names them.
Run with Debian's /usr/bin/python3 (python3-torch); no transformers needed.
"""

import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# safetensors (json header + raw little-endian bytes)

_DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
    "I64": torch.int64,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + hlen])
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dt = _DTYPES[info["dtype"]]
        buf = bytearray(data[base + b : base + e])
        t = torch.frombuffer(buf, dtype=dt) if len(buf) else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors, dtype=torch.float32):
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().to(dtype).contiguous().cpu()
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------------------
# activations (transformers.activations)

def act_fn(name):
    if name == "gelu":
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "relu":
        return F.relu
    if name == "tanh":
        return torch.tanh
    raise ValueError(name)


DENSE_ACTS = {
    "tanh": ("torch.nn.modules.activation.Tanh", torch.tanh),
    "identity": ("torch.nn.modules.linear.Identity", lambda x: x),
    "relu": ("torch.nn.modules.activation.ReLU", F.relu),
    "gelu": ("torch.nn.modules.activation.GELU", F.gelu),
    "sigmoid": ("torch.nn.modules.activation.Sigmoid", torch.sigmoid),
}


def extended_mask(mask, dtype):
    # get_extended_attention_mask: (1 - mask) * finfo.min, broadcast [B,1,1,L]
    m = mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


# ---------------------------------------------------------------------------
# BERT / RoBERTa / XLM-RoBERTa

class BertEmbeddings(nn.Module):
    def __init__(self, c, roberta):
        super().__init__()
        H = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], H, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], H,
                                                padding_idx=c.get("pad_token_id", 1) if roberta else None)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), H)
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))
        self.roberta = roberta
        self.pad = c.get("pad_token_id", 1 if roberta else 0)

    def forward(self, ids, types):
        if self.roberta:
            # create_position_ids_from_input_ids
            m = ids.ne(self.pad).int()
            pos = (torch.cumsum(m, dim=1).type_as(m) * m).long() + self.pad
        else:
            pos = torch.arange(ids.shape[1])[None, :].expand_as(ids)
        e = self.word_embeddings(ids) + self.token_type_embeddings(types)
        e = e + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(e))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.d = H // self.nh
        self.query = nn.Linear(H, H)
        self.key = nn.Linear(H, H)
        self.value = nn.Linear(H, H)
        self.dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def split(self, x):
        B, L, _ = x.shape
        return x.view(B, L, self.nh, self.d).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        s = s + mask
        p = self.dropout(F.softmax(s, dim=-1))
        c = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous()
        return c.view(c.shape[0], c.shape[1], -1)


class DenseLN(nn.Module):
    def __init__(self, i, o, eps, p):
        super().__init__()
        self.dense = nn.Linear(i, o)
        self.LayerNorm = nn.LayerNorm(o, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, h, inp):
        return self.LayerNorm(self.dropout(self.dense(h)) + inp)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = DenseLN(c["hidden_size"], c["hidden_size"], c.get("layer_norm_eps", 1e-12),
                              c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, mask):
        return self.output(self.self(h, mask), h)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = act_fn(c.get("hidden_act", "gelu"))

    def forward(self, h):
        return self.act(self.dense(h))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLN(c["intermediate_size"], c["hidden_size"], c.get("layer_norm_eps", 1e-12),
                              c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, mask):
        a = self.attention(h, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c, layer_cls):
        super().__init__()
        self.layer = nn.ModuleList([layer_cls(c) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.dense = nn.Linear(H, H)


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        roberta = c["model_type"] in ("roberta", "xlm-roberta")
        self.embeddings = BertEmbeddings(c, roberta)
        self.encoder = Encoder(c, BertLayer)
        self.pooler = Pooler(c["hidden_size"])

    def forward(self, ids, mask, types):
        h = self.embeddings(ids, types)
        m = extended_mask(mask, h.dtype)
        for layer in self.encoder.layer:
            h = layer(h, m)
        return h


# ---------------------------------------------------------------------------
# DistilBERT

def create_sinusoidal_embeddings(n_pos, dim, out):
    """transformers' modeling_distilbert.create_sinusoidal_embeddings (numpy float64, then float32)."""
    import numpy as np

    position_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)] for pos in range(n_pos)])
    out.requires_grad = False
    out[:, 0::2] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(position_enc[:, 1::2]))
    out.detach_()


class DistilEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        if c.get("sinusoidal_pos_embds", False):
            # fixed and frozen (requires_grad False), as Hugging Face does
            with torch.no_grad():
                create_sinusoidal_embeddings(c["max_position_embeddings"], c["dim"], self.position_embeddings.weight)
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.dropout = nn.Dropout(c.get("dropout", 0.1))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])[None, :].expand_as(ids)
        return self.dropout(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)))


class DistilMHSA(nn.Module):
    def __init__(self, c):
        super().__init__()
        D = c["dim"]
        self.nh = c["n_heads"]
        self.d = D // self.nh
        self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(D, D) for _ in range(4))
        self.dropout = nn.Dropout(c.get("attention_dropout", 0.1))

    def forward(self, x, mask):
        B, L, D = x.shape

        def shape(t):
            return t.view(B, -1, self.nh, self.d).transpose(1, 2)

        q = shape(self.q_lin(x)) / math.sqrt(self.d)
        k, v = shape(self.k_lin(x)), shape(self.v_lin(x))
        s = torch.matmul(q, k.transpose(2, 3))
        s = s.masked_fill((mask == 0).view(B, 1, 1, L).expand_as(s), torch.tensor(torch.finfo(s.dtype).min))
        w = self.dropout(F.softmax(s, dim=-1))
        ctx = torch.matmul(w, v).transpose(1, 2).contiguous().view(B, -1, D)
        return self.out_lin(ctx)


class DistilFFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])
        self.act = act_fn(c.get("activation", "gelu"))
        self.dropout = nn.Dropout(c.get("dropout", 0.1))

    def forward(self, x):
        return self.dropout(self.lin2(self.act(self.lin1(x))))


class DistilBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = DistilMHSA(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = DistilFFN(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, mask):
        sa = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa) + sa)


class DistilTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([DistilBlock(c) for _ in range(c["n_layers"])])


class DistilBertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embeddings = DistilEmbeddings(c)
        self.transformer = DistilTransformer(c)

    def forward(self, ids, mask, types):
        h = self.embeddings(ids)
        for layer in self.transformer.layer:
            h = layer(h, mask)
        return h


# ---------------------------------------------------------------------------
# MPNet

def relative_position_bucket(relative_position, num_buckets=32, max_distance=128):
    ret = 0
    n = -relative_position
    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    val_if_large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    ret += torch.where(is_small, n, val_if_large)
    return ret


class MPNetEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pad = c.get("pad_token_id", 1)
        H = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], H, padding_idx=self.pad)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], H, padding_idx=self.pad)
        self.LayerNorm = nn.LayerNorm(H, eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, ids):
        m = ids.ne(self.pad).int()
        pos = (torch.cumsum(m, dim=1).type_as(m) * m).long() + self.pad
        return self.dropout(self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos)))


class MPNetSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.d = H // self.nh
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.1))

    def forward(self, h, mask, bias):
        B, L, _ = h.shape

        def split(t):
            return t.view(B, L, self.nh, self.d).permute(0, 2, 1, 3)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        s = s + bias
        s = s + mask
        p = self.dropout(F.softmax(s, dim=-1))
        c = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous().view(B, L, -1)
        return self.o(c)


class MPNetAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attn = MPNetSelfAttention(c)
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, mask, bias):
        return self.LayerNorm(self.dropout(self.attn(h, mask, bias)) + h)


class MPNetLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MPNetAttention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLN(c["intermediate_size"], c["hidden_size"], c.get("layer_norm_eps", 1e-12),
                              c.get("hidden_dropout_prob", 0.1))

    def forward(self, h, mask, bias):
        a = self.attention(h, mask, bias)
        return self.output(self.intermediate(a), a)


class MPNetEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.nb = c.get("relative_attention_num_buckets", 32)
        self.layer = nn.ModuleList([MPNetLayer(c) for _ in range(c["num_hidden_layers"])])
        self.relative_attention_bias = nn.Embedding(self.nb, c["num_attention_heads"])

    def position_bias(self, x):
        B, L = x.size(0), x.size(1)
        ctx = torch.arange(L, dtype=torch.long)[:, None]
        mem = torch.arange(L, dtype=torch.long)[None, :]
        bucket = relative_position_bucket(mem - ctx, num_buckets=self.nb)
        v = self.relative_attention_bias(bucket).permute([2, 0, 1]).unsqueeze(0)
        return v.expand((B, -1, L, L)).contiguous()


class MPNetModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embeddings = MPNetEmbeddings(c)
        self.encoder = MPNetEncoder(c)
        self.pooler = Pooler(c["hidden_size"])

    def forward(self, ids, mask, types):
        h = self.embeddings(ids)
        m = extended_mask(mask, h.dtype)
        bias = self.encoder.position_bias(h)
        for layer in self.encoder.layer:
            h = layer(h, m, bias)
        return h


def build_encoder(config):
    """A Hugging Face-named encoder module from a config.json dict."""
    mt = config["model_type"]
    if mt in ("bert", "roberta", "xlm-roberta"):
        return BertModel(config)
    if mt == "distilbert":
        return DistilBertModel(config)
    if mt == "mpnet":
        return MPNetModel(config)
    raise ValueError("unsupported model_type " + mt)


def pad_token_id(config):
    mt = config["model_type"]
    return config.get("pad_token_id", 0 if mt in ("bert", "distilbert") else 1)


# ---------------------------------------------------------------------------
# sentence-transformers modules

POOL_ORDER = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"]
POOL_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
    "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    "weightedmean": "pooling_mode_weightedmean_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}


def pool(te, mask, modes, prompt_length=None, include_prompt=True):
    """sentence_transformers.models.Pooling.forward on padded token embeddings [B, L, C].

    As sentence-transformers does it: with include_prompt False and a
    prompt_length, attention_mask[:, :prompt_length] = 0 first; max mode
    overwrites masked positions of te IN PLACE with -1e9 (so a cls vector,
    a view of te[:, 0] taken before, reads -1e9 when position 0 is masked);
    lasttoken finds the last 1 of the mask with flip/max.
    """
    mask = mask.clone()
    if not include_prompt and prompt_length is not None:
        mask[:, :prompt_length] = 0
    te = te.clone()  # stands for features["token_embeddings"], which Pooling modifies in place
    outs = []
    for mode in POOL_ORDER:
        if mode not in modes:
            continue
        if mode == "cls":
            outs.append(te[:, 0])
        elif mode == "max":
            m = mask.unsqueeze(-1).expand(te.size()).to(te.dtype)
            te[m == 0] = -1e9
            outs.append(torch.max(te, 1)[0])
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            m = mask.unsqueeze(-1).expand(te.size()).to(te.dtype)
            s = torch.sum(te * m, 1)
            n = torch.clamp(m.sum(1), min=1e-9)
            outs.append(s / n if mode == "mean" else s / torch.sqrt(n))
        elif mode == "weightedmean":
            m = mask.unsqueeze(-1).expand(te.size()).to(te.dtype)
            w = torch.arange(1, te.shape[1] + 1, dtype=te.dtype)[None, :, None].expand(te.size()) * m
            outs.append(torch.sum(te * w, 1) / torch.clamp(w.sum(1), min=1e-9))
        elif mode == "lasttoken":
            B, L, C = te.shape
            values, indices = mask.flip(1).max(1)
            indices = torch.where(values == 0, L - 1, indices)
            gather = (L - indices - 1)[:, None, None].expand(B, 1, C)
            m = mask.unsqueeze(-1).expand(te.size()).to(te.dtype)
            outs.append(torch.gather(te * m, 1, gather).squeeze(1))
    return torch.cat(outs, 1)


class Dense(nn.Module):
    def __init__(self, i, o, act="tanh", bias=True):
        super().__init__()
        self.linear = nn.Linear(i, o, bias=bias)
        self.act_name = act
        self.act_torch, self.act = DENSE_ACTS[act]

    def forward(self, x):
        return self.act(self.linear(x))


class SentenceTransformer(nn.Module):
    def __init__(self, encoder, pooling=("mean",), dense=(), normalize=False, max_seq_length=None,
                 do_lower_case=False, include_prompt=True, normalize_at=None):
        """normalize_at: Normalize runs before dense[normalize_at] (None: after the last Dense)."""
        super().__init__()
        self.include_prompt = include_prompt
        self.encoder = encoder
        self.pooling = list(pooling)
        # (in, out, act) or (in, out, act, bias): sentence-transformers' Dense(bias=...)
        self.dense = nn.ModuleList([Dense(*d) for d in dense])
        self.normalize = normalize
        self.normalize_at = len(self.dense) if normalize_at is None else normalize_at
        self.max_seq_length = max_seq_length or 256
        self.do_lower_case = do_lower_case

    def dense_index(self, k):
        return 2 + k + (1 if self.normalize and self.normalize_at <= k else 0)

    def named_parameters_hf(self):
        """(name, parameter) with the C engine's table names."""
        for n, p in self.encoder.named_parameters():
            if n.startswith("pooler."):
                continue
            yield n, p
        for k, d in enumerate(self.dense):
            for n, p in d.named_parameters():
                yield "%d_Dense/%s" % (self.dense_index(k), n), p

    def forward_ids(self, ids, types=None, prompt_length=None):
        """ids: list of lists of token ids (texts of different lengths): padded on the right as HF does.
        prompt_length: sentence-transformers' features["prompt_length"] (one int for the batch)."""
        pad = pad_token_id(self.encoder.config)
        n = len(ids)
        L = max(len(x) for x in ids)
        I = torch.full((n, L), pad, dtype=torch.long)
        M = torch.zeros((n, L), dtype=torch.long)
        TT = torch.zeros((n, L), dtype=torch.long)
        for i, x in enumerate(ids):
            I[i, : len(x)] = torch.tensor(x)
            M[i, : len(x)] = 1
            if types is not None and types[i] is not None:
                TT[i, : len(x)] = torch.tensor(types[i])
        te = self.encoder(I, M, TT)
        x = pool(te, M, self.pooling, prompt_length, self.include_prompt)
        # sentence-transformers runs the modules in order (nn.Sequential)
        for k, d in enumerate(self.dense):
            if self.normalize and self.normalize_at == k:
                x = F.normalize(x, p=2, dim=1)
            x = d(x)
        if self.normalize and self.normalize_at == len(self.dense):
            x = F.normalize(x, p=2, dim=1)
        return x

    # -- files
    def save(self, path, dtype=torch.float32, prefix="", rename=None, tokenizer_dir=None):
        os.makedirs(path, exist_ok=True)
        cfg = self.encoder.config
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        sd = {}
        for n, p in self.encoder.state_dict().items():
            name = prefix + n
            if rename:
                name = rename(name)
            sd[name] = p
        write_safetensors(os.path.join(path, "model.safetensors"), sd, dtype)
        with open(os.path.join(path, "sentence_bert_config.json"), "w") as f:
            json.dump({"max_seq_length": self.max_seq_length, "do_lower_case": self.do_lower_case}, f, indent=4)
        mods = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
        os.makedirs(os.path.join(path, "1_Pooling"), exist_ok=True)
        H = cfg.get("hidden_size", cfg.get("dim"))
        pc = {"word_embedding_dimension": H}
        for mode in ["cls", "mean", "max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"]:
            pc[POOL_KEYS[mode]] = mode in self.pooling
        pc["include_prompt"] = self.include_prompt
        with open(os.path.join(path, "1_Pooling", "config.json"), "w") as f:
            json.dump(pc, f, indent=4)
        for k, d in enumerate(self.dense):
            idx = self.dense_index(k)
            sub = "%d_Dense" % idx
            os.makedirs(os.path.join(path, sub), exist_ok=True)
            with open(os.path.join(path, sub, "config.json"), "w") as f:
                json.dump({"in_features": d.linear.in_features, "out_features": d.linear.out_features,
                           "bias": d.linear.bias is not None, "activation_function": d.act_torch}, f)
            write_safetensors(os.path.join(path, sub, "model.safetensors"),
                              {n: p for n, p in d.state_dict().items()}, dtype)
            mods.append({"idx": idx, "name": str(idx), "path": sub, "type": "sentence_transformers.models.Dense"})
        if self.normalize:
            idx = 2 + self.normalize_at
            sub = "%d_Normalize" % idx
            os.makedirs(os.path.join(path, sub), exist_ok=True)
            mods.append({"idx": idx, "name": str(idx), "path": sub, "type": "sentence_transformers.models.Normalize"})
        mods.sort(key=lambda m: m["idx"])
        with open(os.path.join(path, "modules.json"), "w") as f:
            json.dump(mods, f, indent=2)
        with open(os.path.join(path, "config_sentence_transformers.json"), "w") as f:
            json.dump({"model_type": "SentenceTransformer", "__version__": {"sentence_transformers": "3.0.0"},
                       "prompts": {"query": "", "document": ""}, "default_prompt_name": None,
                       "similarity_fn_name": "cosine"}, f, indent=2)

    @classmethod
    def load(cls, path, dtype=torch.float32):
        """Loads a sentence-transformers folder (or a plain HF folder with mean pooling)."""
        with open(os.path.join(path, "config.json")) as f:
            cfg = json.load(f)
        enc = build_encoder(cfg).to(dtype)
        sd = read_safetensors(os.path.join(path, "model.safetensors"))
        prefixes = ("bert.", "roberta.", "distilbert.", "mpnet.")
        clean = {}
        for n, t in sd.items():
            for p in prefixes:
                if n.startswith(p):
                    n = n[len(p):]
                    break
            n = n.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
            if n.endswith("position_ids"):
                continue
            clean[n] = t.to(dtype)
        missing, unexpected = enc.load_state_dict(clean, strict=False)
        missing = [m for m in missing if not m.startswith("pooler.")]
        if missing or unexpected:
            raise ValueError("missing %s unexpected %s" % (missing, unexpected))
        pooling, dense, normalize, msl, lower, incl = ["mean"], [], False, 256, False, True
        normalize_at = None
        mpath = os.path.join(path, "modules.json")
        dense_paths = []
        if os.path.exists(mpath):
            with open(mpath) as f:
                mods = json.load(f)
            for m in mods[1:]:
                kind = m["type"].rsplit(".", 1)[-1]
                sub = os.path.join(path, m["path"])
                if kind == "Pooling":
                    with open(os.path.join(sub, "config.json")) as f:
                        pc = json.load(f)
                    pooling = [mode for mode in POOL_ORDER if pc.get(POOL_KEYS[mode])]
                    incl = pc.get("include_prompt", True)
                elif kind == "Dense":
                    with open(os.path.join(sub, "config.json")) as f:
                        dc = json.load(f)
                    act = [k for k, v in DENSE_ACTS.items() if v[0] == dc.get("activation_function")][0]
                    dense.append((dc["in_features"], dc["out_features"], act, dc.get("bias", True)))
                    dense_paths.append(sub)
                elif kind == "Normalize":
                    normalize = True
                    normalize_at = len(dense)
        sb = os.path.join(path, "sentence_bert_config.json")
        if os.path.exists(sb):
            with open(sb) as f:
                s = json.load(f)
            msl, lower = s.get("max_seq_length", 256), s.get("do_lower_case", False)
        st = cls(enc, pooling, dense, normalize, msl, lower, incl, normalize_at).to(dtype)
        for d, sub in zip(st.dense, dense_paths):
            dsd = read_safetensors(os.path.join(sub, "model.safetensors"))
            d.load_state_dict({k: v.to(dtype) for k, v in dsd.items()})
        return st
