#!/usr/bin/python3
"""Cross-check of a folder written by the C engine, by hand (needs torch):

    vectorsmith-cli new-model --architecture mpnet --preset tiny --tokenizer T --dense 32 --normalize OUT
    printf 'a\\nb\\n' > texts.txt
    vectorsmith-cli tokenize OUT < texts.txt > ids.jsonl
    vectorsmith-cli encode OUT < texts.txt > c.jsonl
    /usr/bin/python3 tests/reference/model_check_folder.py OUT ids.jsonl c.jsonl

Loads OUT with model_arch.py (PyTorch, float64), embeds the tokenizer's ids
and prints the worst |C - PyTorch| relative to max |PyTorch|; exits 1 above 1e-5.
"""
import json
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import model_arch as ma  # noqa: E402

folder, ids_path, c_path = sys.argv[1:4]
st = ma.SentenceTransformer.load(folder).double().eval()
rows = [json.loads(line) for line in open(ids_path)]
ids = [r["ids"] for r in rows]
types = [r.get("type_ids") for r in rows]
with torch.no_grad():
    ref = st.forward_ids(ids, types)
c = torch.tensor([json.loads(line) for line in open(c_path)], dtype=torch.float64)
worst = (c - ref).abs().max().item() / ref.abs().max().item()
print("%s: %d texts, D=%d, worst |C - PyTorch| / max|PyTorch| = %.3g" % (folder, len(ids), ref.shape[1], worst))
sys.exit(0 if worst < 1e-5 else 1)
