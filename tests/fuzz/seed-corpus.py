#!/usr/bin/env python3
"""Seeds tests/fuzz/corpus/TARGET/ from the real fixtures (../shared/data and
tests/*/fixtures), small slices of each. Run once; then each fuzzer grows its
corpus and `-merge=1` minimises it (see HACKING.md, "Fuzzing")."""
import hashlib, json, os, re, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
shared = os.environ.get("VS_SHARED_DATA", os.path.join(root, "..", "shared", "data"))
corpus = os.path.join(root, "tests", "fuzz", "corpus")

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

def head_lines(path, n):
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(n))

def rd(path):
    with open(path, "rb") as f:
        return f.read()

S = lambda *p: os.path.join(shared, *p)
T = lambda *p: os.path.join(root, "tests", *p)

# Text datasets: the first rows of each real file.
for p in ["datasets/banking77/test.csv", "datasets/triplets/snli_dev_triplets.csv",
          "datasets/stsb/sts-dev.images+track5.csv"]:
    put("csv", head_lines(S(p), 12))
for p in ["train/fixtures/parity/labeled.csv", "train/fixtures/parity/triplets.csv"]:
    put("csv", head_lines(T(p), 8))
put("tsv", head_lines(S("datasets/paws/paws_wiki_labeled_final_dev.first1000.tsv"), 12))
put("jsonl", head_lines(S("datasets/snli/snli_1.0_dev.first500.jsonl"), 6))
put("jsonl", head_lines(T("data/fixtures/mine/pairs.jsonl"), 6))
rows = [json.loads(l) for l in head_lines(S("datasets/snli/snli_1.0_dev.first500.jsonl"), 4).splitlines()]
put("json", json.dumps(rows, indent=1))
put("json", json.dumps({"data": rows[:2]}))
put("json", json.dumps({"anchor": ["a", "b"], "positive": ["c", "d"], "score": [0.5, 1]}))
# Parquet: every small real file (codecs, encodings, page versions).
for d in [S("parquet"), T("data/fixtures/parquet")]:
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if name.endswith(".parquet") and os.path.getsize(p) < 64 * 1024:
            put("parquet", rd(p))
# Safetensors: the small fixtures.
for dirpath, _, names in os.walk(T("model", "fixtures")):
    for name in names:
        p = os.path.join(dirpath, name)
        if name.endswith(".safetensors") and os.path.getsize(p) < 32 * 1024:
            put("safetensors", rd(p))
put("safetensors", rd(T("model/fixtures/micro-sharded/model.safetensors.index.json"))
    if os.path.exists(T("model/fixtures/micro-sharded/model.safetensors.index.json")) else b"{}")
# Model configs: byte 0 picks the file (order of fuzz-model-config.c).
files = ["config.json", "modules.json", "sentence_bert_config.json",
         "config_sentence_transformers.json", "1_Pooling/config.json", "2_Dense/config.json"]
for model in ["bert", "mpnet", "distilbert", "roberta", "xlm-roberta", "prompt-mean"]:
    for i, f in enumerate(files):
        p = T("model", "fixtures", model, f)
        if os.path.exists(p):
            put("model-config", bytes([i]) + rd(p))
for i, f in enumerate(files):
    p = S("models", "LaBSE-partial", f)
    if os.path.exists(p):
        put("model-config", bytes([i]) + rd(p))
# tokenizer.json: the demo's small one, and trimmed real ones (first
# vocab entries and merges of each model type).
put("tokenizer-json", rd(os.path.join(root, "data/demo/tokenizer/tokenizer.json")))
for p in ["models/all-MiniLM-L6-v2/tokenizer.json", "tokenizers/roberta-base/tokenizer.json",
          "tokenizers/all-mpnet-base-v2/tokenizer.json", "tokenizers/t5-small/tokenizer.json",
          "tokenizers/phi-3-mini-4k-instruct/tokenizer.json"]:
    tj = json.loads(rd(S(p)))
    m = tj["model"]
    if isinstance(m.get("vocab"), dict):
        keep = sorted(m["vocab"].items(), key=lambda kv: kv[1])[:300]
        m["vocab"] = dict(keep)
        ids = set(v for _, v in keep)
    elif isinstance(m.get("vocab"), list):
        m["vocab"] = m["vocab"][:300]
    if "merges" in m:
        names = set(m["vocab"]) if isinstance(m["vocab"], dict) else set()
        out = []
        for mg in m["merges"]:
            a, b = mg.split(" ", 1) if isinstance(mg, str) else mg
            if a in names and b in names and (a + b) in names:
                out.append(mg)
        m["merges"] = out[:200]
    tj["added_tokens"] = [t for t in tj.get("added_tokens", []) if t["id"] < 300]
    pn = tj.get("normalizer")
    if pn and "precompiled_charsmap" in json.dumps(pn):
        pass  # kept: the Precompiled normalizer is a target
    put("tokenizer-json", json.dumps(tj))
# Tokenize: byte 0 picks the tokenizer (5 of them) and the mode bits.
texts = [b"Hello, world! This is a test.", "Ünïcödé café naïve 中文 😀".encode(),
         b"don't  stop\tbelieving\n\nsecond line", b"\xff\xfe invalid \xc3\x28 utf-8 \x00 nul",
         b"query: what is it?\xffpassage: it is a thing."]
for i in range(5):
    for j, t in enumerate(texts):
        put("tokenize", bytes([i | ((j & 3) << 4)]) + t)
# Recipes: the demo's, and the shapes the recipe tests use.
put("recipe", rd(os.path.join(root, "data/demo/recipe.json")))
put("recipe", '{"model": "org/model", "train": {"path": "org/data"}}')
put("recipe", json.dumps({"model": {"new": {"architecture": "bert", "preset": "tiny", "tokenizer": "t"}},
                          "train": [{"path": "a.csv", "name": "a"}, {"path": "b.jsonl", "name": "b"}],
                          "loss": [{"dataset": "a", "name": "MultipleNegativesRankingLoss"},
                                   {"dataset": "b", "name": "MatryoshkaLoss", "params": {"loss": "CoSENTLoss", "matryoshka_dims": [32, 16]}}],
                          "args": {"epochs": 1, "batch_sampler": "no_duplicates", "prompts": {"a": "query: "}}}))
# Model card front matter: the real cards and the generated shapes.
for p in ["models/all-MiniLM-L6-v2/README.md", "models/LaBSE-partial/README.md"]:
    put("front-matter", rd(S(p))[:6000])
put("front-matter", "---\nlanguage:\n- en\nlicense: apache-2.0\ntags:\n- sentence-transformers\nwidget:\n- source_sentence: \"a: b\"\n  sentences: [x, 'y', \"z\"]\nmodel-index:\n- name: m\n  results:\n  - task: {type: sts}\n---\n# card\n")
# Hub answers: byte 0 picks the operation (fuzz-hub-json.c), NUL separates
# the answers.
sha = "0123456789abcdef0123456789abcdef01234567"
info = {"id": "user/model", "sha": sha, "private": False, "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}]}
tree = [{"type": "file", "path": "config.json", "size": 2, "oid": sha},
        {"type": "file", "path": "model.safetensors", "size": 2, "oid": sha,
         "lfs": {"oid": "a" * 64, "size": 2, "pointerSize": 130}},
        {"type": "directory", "path": "1_Pooling", "oid": sha}]
pre = {"files": [{"path": "README.md", "uploadMode": "regular", "shouldIgnore": False},
                 {"path": "model.safetensors", "uploadMode": "lfs", "shouldIgnore": False, "oid": "b" * 64}],
       "commitOid": sha}
weights = bytes([8, 0, 0, 0, 0, 0, 0, 0, ord("{"), ord("}")] + [32] * 6 + [0] * 48)
wsha = hashlib.sha256(weights).hexdigest()
batch = {"transfer": "basic", "objects": [{"oid": wsha, "size": 64,
         "actions": {"upload": {"href": "@ENDPOINT@/upload", "header": {"x": "y"}},
                     "verify": {"href": "@ENDPOINT@/verify"}}}]}
multi = {"transfer": "multipart", "objects": [{"oid": wsha, "size": 64,
         "actions": {"upload": {"href": "@ENDPOINT@/complete", "header": {"chunk_size": "32", "00001": "@ENDPOINT@/p1", "00002": "@ENDPOINT@/p2"}}}}]}
commit = {"success": True, "commitOid": sha, "commitUrl": "https://huggingface.co/user/model/commit/" + sha, "pullRequestUrl": None}
J = lambda o: json.dumps(o).encode()
answers = {
    0: [J({"type": "user", "name": "testuser", "auth": {"accessToken": {"role": "write", "displayName": "t"}}, "orgs": [{"name": "org"}]})],
    1: [J(info)], 2: [J(dict(info, id="user/data"))], 3: [J(tree)],
    4: [J([{"id": "a/b", "downloads": 3, "likes": 1, "tags": ["x"]}])],
    5: [J(info), J(tree), b"{}", b"{}", b"{}", b"{}"],
    6: [b"{\"a\": 1}", b"{\"a\": 1}"],
    7: [J({"default": {"train": ["https://huggingface.co/api/datasets/user/data/parquet/default/train/0.parquet"]}})],
    8: [J({"default": {"train": ["@ENDPOINT@/api/datasets/user/data/parquet/default/train/0.parquet"]}}), b"PAR1"],
    9: [J({"url": "https://huggingface.co/user/model", "name": "user/model"})],
    10: [J(pre), J(pre), J(batch), b"", b"", J(commit)],
    11: [J({"files": [{"path": "sub/model.safetensors", "uploadMode": "lfs"}]}), J(multi), b"", b"", b"", J(commit)],
}
for op, bodies in answers.items():
    put("hub-json", bytes([op]) + b"\0".join(bodies))
put("hub-json", bytes([0]) + b"!401{\"error\": \"Invalid credentials\"}")
put("hub-json", bytes([3]) + b"!404{\"error\": \"Repository Not Found\"}")
