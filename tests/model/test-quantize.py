#!/usr/bin/python3
"""Quantised embeddings against numpy, written from sentence-transformers'
quantize_embeddings formulas (st-spec.md, "Quantisation"):

  step = (max - min) / 255 per dimension (float32)
  uint8 = astype(uint8) of (x - min) / step      (truncation toward zero)
  int8  = astype(int8)  of (x - min) / step - 128
  binary = packbits(x > 0) - 128 as int8; ubinary = packbits(x > 0)

1. Random matrices through the engine function (quantize-helper): ranges
   from the matrix itself (every value in range, so upstream's formula is
   exact), and from calibration ranges narrower than the data (upstream's
   cast is undefined out of range; ours clips: checked against np.clip).
2. `vectorsmith-cli encode --precision` on a real model against numpy on
   the same command's float32 output, with and without --calibration.
3. Refusals: an unknown precision, binary on a dimension not a multiple of 8,
   --calibration without int8/uint8, an empty calibration file.
Exact equality is required: the same float32 arithmetic in the same order.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CLI = os.environ["VS_CLI"]
HELPER = sys.argv[1]
SOURCE = os.environ["VS_SOURCE_DIR"]
SHARED = os.environ["VS_SHARED_DATA"]
failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1


def reference(emb, precision, ranges=None, clip=False):
    emb = emb.astype(np.float32)
    if precision in ("int8", "uint8"):
        if ranges is None:
            ranges = np.vstack((np.min(emb, axis=0), np.max(emb, axis=0)))
        starts = ranges[0, :]
        steps = (ranges[1, :] - ranges[0, :]) / np.float32(255)
        levels = (emb - starts) / steps
        if precision == "uint8":
            return (np.clip(levels, 0, 255) if clip else levels).astype(np.uint8)
        levels = levels - np.float32(128)
        return (np.clip(levels, -128, 127) if clip else levels).astype(np.int8)
    if precision == "binary":
        return (np.packbits(emb > 0).reshape(emb.shape[0], -1).astype(np.int16) - 128).astype(np.int8)
    if precision == "ubinary":
        return np.packbits(emb > 0).reshape(emb.shape[0], -1)
    return emb


def helper(emb, precision, ranges=None):
    with tempfile.NamedTemporaryFile(suffix=".f32") as rf:
        args = [HELPER, precision, str(emb.shape[0]), str(emb.shape[1])]
        if ranges is not None:
            rf.write(ranges.astype("<f4").tobytes())
            rf.flush()
            args.append(rf.name)
        out = subprocess.run(args, input=emb.astype("<f4").tobytes(), capture_output=True, check=True).stdout
    dtype = {"int8": np.int8, "binary": np.int8, "uint8": np.uint8, "ubinary": np.uint8, "float32": "<f4"}[precision]
    return np.frombuffer(out, dtype=dtype).reshape(emb.shape[0], -1)


rng = np.random.default_rng(20261203)
for n, d in ((1, 8), (7, 16), (300, 384), (64, 1000)):
    emb = rng.normal(size=(n, d)).astype(np.float32)
    emb[0, 0] = 0.0        # x > 0 is strict
    for p in ("uint8", "int8", "binary", "ubinary", "float32"):
        if p in ("binary", "ubinary") and d % 8:
            continue
        if n == 1 and p in ("int8", "uint8"):
            continue       # an empty range: upstream divides by zero
        got = helper(emb, p)
        want = reference(emb, p)
        check(got.shape == want.shape and np.array_equal(got, want), f"{p} [{n}x{d}] equals numpy")
    if n > 1:
        calib = rng.normal(size=(max(n // 2, 2), d)).astype(np.float32) * 0.5
        ranges = np.vstack((calib.min(axis=0), calib.max(axis=0))).astype(np.float32)
        for p in ("uint8", "int8"):
            got = helper(emb, p, ranges)
            want = reference(emb, p, ranges, clip=True)
            inside = (emb >= ranges[0]) & (emb <= ranges[1])
            check(np.array_equal(got, want), f"{p} [{n}x{d}] with calibration ranges equals numpy (clipped)")
            check(np.array_equal(got[inside], reference(emb, p, ranges)[inside]),
                  f"{p} [{n}x{d}] in-range values equal upstream's unclipped formula")
            check(inside.mean() < 1.0, f"the calibration ranges leave values outside ({100 * (1 - inside.mean()):.0f} %)")
empty = np.zeros((3, 8), dtype=np.float32)
check(np.array_equal(helper(empty, "uint8"), np.zeros((3, 8), np.uint8)), "an empty range gives the first bucket")

# 2. encode --precision on a real model
workdir = tempfile.TemporaryDirectory()
model = os.path.join(workdir.name, "model")
made = subprocess.run([CLI, "new-model", "--architecture", "bert", "--preset", "tiny", "--tokenizer",
                       os.path.join(SHARED, "models", "all-MiniLM-L6-v2"), "--dense", "24", "--seed", "11", model],
                      capture_output=True, text=True)
check(made.returncode == 0, "a tiny random BERT with a 24-wide Dense")
texts = [f"sentence number {i} about {w}" for i, w in enumerate(
    "cats dogs rivers music trains bread stars code chess rain snow maps paint tea wind glass".split() * 8)]
stdin = "\n".join(texts) + "\n"


def encode(*extra):
    r = subprocess.run([CLI, "encode", model, *extra], input=stdin, capture_output=True, text=True)
    return r


base = encode()
check(base.returncode == 0, "encode float32")
floats = np.array([json.loads(l) for l in base.stdout.splitlines()], dtype=np.float32)
check(floats.shape == (len(texts), 24), f"{floats.shape[0]} float32 rows of 24")
for p in ("int8", "uint8", "binary", "ubinary"):
    r = encode("--precision", p)
    check(r.returncode == 0, f"encode --precision {p}")
    got = np.array([json.loads(l) for l in r.stdout.splitlines()])
    want = reference(floats, p).astype(np.int64)
    check(got.shape == want.shape and np.array_equal(got, want), f"encode --precision {p} equals numpy on encode's floats")

with tempfile.NamedTemporaryFile("w", suffix=".txt") as cf:
    calib_texts = texts[::5]
    cf.write("\n".join(calib_texts) + "\n\n")
    cf.flush()
    rc = subprocess.run([CLI, "encode", model], input="\n".join(calib_texts) + "\n", capture_output=True, text=True)
    cal = np.array([json.loads(l) for l in rc.stdout.splitlines()], dtype=np.float32)
    ranges = np.vstack((cal.min(axis=0), cal.max(axis=0)))
    for p in ("int8", "uint8"):
        r = encode("--precision", p, "--calibration", cf.name)
        got = np.array([json.loads(l) for l in r.stdout.splitlines()])
        want = reference(floats, p, ranges, clip=True).astype(np.int64)
        check(r.returncode == 0 and np.array_equal(got, want), f"encode --precision {p} --calibration equals numpy")

    r = encode("--precision", "int4")
    check(r.returncode != 0 and "int4" in r.stderr and "ubinary" in r.stderr, "an unknown precision is refused by name")
    r = encode("--precision", "binary", "--calibration", cf.name)
    check(r.returncode != 0 and "--calibration" in r.stderr, "--calibration without int8/uint8 is refused")
with tempfile.NamedTemporaryFile("w", suffix=".txt") as cf:
    cf.write("\n\n")
    cf.flush()
    r = encode("--precision", "int8", "--calibration", cf.name)
    check(r.returncode != 0 and cf.name in r.stderr and "no texts" in r.stderr, "an empty calibration file is named")

bad = np.zeros((2, 12), dtype=np.float32)
r = subprocess.run([HELPER, "binary", "2", "12"], input=bad.tobytes(), capture_output=True, text=False)
check(r.returncode == 1 and b"multiple of 8" in r.stderr, "binary on a dimension of 12 is refused")

sys.exit(1 if failures else 0)
