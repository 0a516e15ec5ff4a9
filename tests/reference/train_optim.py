#!/usr/bin/python3
"""Reference for tests/train/test-optim.c: torch.optim.AdamW + LambdaLR with
transformers' schedule formulas + torch.nn.utils.clip_grad_norm_.

Writes tests/train/fixtures/optim.json: the initial parameters, the gradients
of every step, and per schedule the learning rate, the pre-clip gradient norm
of every step and the final parameters. Run with Debian's python3-torch:
    /usr/bin/python3 tests/reference/train_optim.py
"""
import json
import math
import os

import torch

STEPS = 25
LR = 1e-3
WD = 0.01
WARMUP = 5
MAX_NORM = 1.0


# transformers/optimization.py, written out (there is no transformers here).
def linear(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def cosine(step, warmup, total, num_cycles=0.5):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def constant(step, warmup, total):
    return 1.0


def constant_with_warmup(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1.0, warmup))
    return 1.0


SCHEDULES = {
    "linear": linear,
    "cosine": cosine,
    "constant": constant,
    "constant_with_warmup": constant_with_warmup,
}


def main():
    g = torch.Generator().manual_seed(1234)
    weight0 = torch.randn(6, 7, generator=g) * 0.5
    bias0 = torch.randn(7, generator=g) * 0.1
    norm_w0 = 1.0 + torch.randn(5, generator=g) * 0.1
    grads = []
    for s in range(STEPS):
        # Norms that sometimes exceed MAX_NORM, so clipping bites on some steps.
        scale = 0.05 if s % 3 else 0.6
        grads.append([torch.randn(6, 7, generator=g) * scale,
                      torch.randn(7, generator=g) * scale,
                      torch.randn(5, generator=g) * scale])
    out = {
        "steps": STEPS, "lr": LR, "weight_decay": WD, "warmup": WARMUP,
        "max_grad_norm": MAX_NORM,
        "tensors": [{"name": "dense.weight", "size": 42, "decay": True},
                    {"name": "dense.bias", "size": 7, "decay": False},
                    {"name": "LayerNorm.weight", "size": 5, "decay": False}],
        "init": torch.cat([weight0.flatten(), bias0, norm_w0]).tolist(),
        "grads": [torch.cat([x.flatten() for x in gs]).tolist() for gs in grads],
        "runs": {},
    }
    for name, fn in SCHEDULES.items():
        w = torch.nn.Parameter(weight0.clone())
        b = torch.nn.Parameter(bias0.clone())
        n = torch.nn.Parameter(norm_w0.clone())
        opt = torch.optim.AdamW([{"params": [w], "weight_decay": WD},
                                 {"params": [b, n], "weight_decay": 0.0}],
                                lr=LR, betas=(0.9, 0.999), eps=1e-8, foreach=False)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: fn(s, WARMUP, STEPS))
        lrs, norms = [], []
        for s in range(STEPS):
            w.grad, b.grad, n.grad = (x.clone() for x in grads[s])
            norms.append(float(torch.nn.utils.clip_grad_norm_([w, b, n], MAX_NORM)))
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
            opt.zero_grad()
        out["runs"][name] = {
            "lr": lrs, "grad_norm": norms,
            "final": torch.cat([w.detach().flatten(), b.detach(), n.detach()]).tolist(),
        }
    path = os.path.join(os.path.dirname(__file__), "..", "train", "fixtures", "optim.json")
    with open(path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
