#!/usr/bin/python3
"""Reference for tests/train/test-loop.c: the optimisation loop of the
trainer (gradient accumulation with a partial group at the end of each epoch,
global-norm clipping, AdamW with weight decay off for the bias, linear warmup
schedule) on a linear model y = W x + b with MSE, in PyTorch.

The data and the initial weights are closed-form, so the C test builds the
same ones. Batches are sequential (no shuffle), 24 rows in batches of 5
(the last one has 4), accumulation 2: each epoch has steps of 2, 2 and 1
batches, and a step's loss is the mean of its micro-batch losses (each
backward scaled by 1/number of micro-batches in the step), as transformers
>= 4.46 does.

    /usr/bin/python3 tests/reference/train_loop.py
"""
import json
import math
import os

import torch

N, DIN, DOUT, B, ACCUM = 24, 5, 3, 5, 2
STEPS, LR, WD, WARMUP, MAX_NORM = 14, 0.05, 0.01, 3, 0.5


def data():
    x = torch.tensor([[math.sin(0.37 * (i + 1) * (j + 1)) for j in range(DIN)] for i in range(N)],
                     dtype=torch.float32)
    y = torch.tensor([[math.cos(0.21 * (i + 1) + k) for k in range(DOUT)] for i in range(N)],
                     dtype=torch.float32)
    return x, y


def init():
    w = torch.tensor([[0.1 * math.sin(k * 5 + j + 1) for j in range(DIN)] for k in range(DOUT)],
                     dtype=torch.float32)
    b = torch.tensor([0.05 * k for k in range(DOUT)], dtype=torch.float32)
    return w, b


def linear(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def main():
    x, y = data()
    w0, b0 = init()
    w = torch.nn.Parameter(w0.clone())
    b = torch.nn.Parameter(b0.clone())
    opt = torch.optim.AdamW([{"params": [w], "weight_decay": WD},
                             {"params": [b], "weight_decay": 0.0}], lr=LR, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: linear(s, WARMUP, STEPS))
    batches = [(s, min(s + B, N)) for s in range(0, N, B)]
    groups = []
    for i in range(0, len(batches), ACCUM):
        groups.append(batches[i:i + ACCUM])
    steps = []
    step = 0
    while step < STEPS:
        for group in groups:
            if step >= STEPS:
                break
            opt.zero_grad()
            losses = []
            for (s, e) in group:
                pred = x[s:e] @ w.T + b
                loss = torch.nn.functional.mse_loss(pred, y[s:e])
                (loss / len(group)).backward()
                losses.append(loss.item())
            norm = float(torch.nn.utils.clip_grad_norm_([w, b], MAX_NORM))
            lr = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
            step += 1
            steps.append({"step": step, "loss": sum(losses) / len(losses), "lr": lr, "grad_norm": norm})
    out = {"steps": steps,
           "final_weight": w.detach().flatten().tolist(),
           "final_bias": b.detach().tolist()}
    path = os.path.join(os.path.dirname(__file__), "..", "train", "fixtures", "loop.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
