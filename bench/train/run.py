#!/usr/bin/python3
"""Driver of bench/run.sh: vectorsmith's trainer and encoder beside PyTorch 1.13, same run.

    bench/train/run.py BUILD_DIR THREADS OUT.json README.md [--quick]

Training drives `vectorsmith-cli train RECIPE --log EVENTS.jsonl` (the trainer
users run) and train_ref.py (PyTorch); both write one line per finished
optimizer step and this driver timestamps each line when it appears (polling
every 10 ms; steps take seconds), so both sides are timed the same way:
examples/s = pairs of steps 2..N / (t_N - t_1); time to the first step = t_1 -
spawn. Peak RSS is the child's ru_maxrss (os.wait4). Encoding runs
bench-encode (vs_model_encode, what `vectorsmith-cli encode` calls) and
train_ref.py encode. GFLOP/s counts the model's useful FLOPs on the real
(unpadded) tokens, the same count for both engines: per token and layer
8H^2 + 4HI for the matmuls plus 4nH for attention over a text of n tokens;
training is 3x the forward pass. Every case runs with OpenBLAS as detected
and with OPENBLAS_CORETYPE=Prescott for both engines; the SGEMM ceiling
(bench-sgemm) is measured in the same run with OpenBLAS's best core.
"""
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.environ.get("VS_SHARED_DATA", os.path.normpath(os.path.join(ROOT, "..", "shared", "data")))
TOKENIZER = os.path.join(DATA, "tokenizers", "all-mpnet-base-v2")
PY = "/usr/bin/python3"
TUNED = {"OMP_WAIT_POLICY": "PASSIVE", "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "100000000000"}
SHAPES = {"minilm": (6, 384, 1536), "bertbase": (12, 768, 3072)}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_timed(cmd, env, lines_path, is_step):
    """Runs cmd, timestamping the lines of lines_path that is_step accepts. Returns
    (step times after spawn, parsed lines, peak RSS in MiB, exit status, stderr tail)."""
    err_path = lines_path + ".err"
    t0 = time.monotonic()
    with open(err_path, "w") as err:
        if lines_path.endswith(".out"):
            out = open(lines_path, "w")
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        else:
            out = None
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    times, parsed, pos, buf = [], [], 0, ""
    status, ru = None, None

    def collect(now):
        nonlocal pos, buf
        try:
            with open(lines_path) as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
        except FileNotFoundError:
            return
        buf += chunk
        while "\n" in buf:
            line, buf = buf.split("\n", 1)
            v = is_step(line)
            if v is not None:
                times.append(now - t0)
                parsed.append(v)

    while status is None:
        pid, st, r = os.wait4(proc.pid, os.WNOHANG)
        collect(time.monotonic())
        if pid != 0:
            status, ru = st, r
            break
        time.sleep(0.01)
    if out is not None:
        out.close()
    with open(err_path) as f:
        tail = f.read()[-2000:]
    return times, parsed, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), tail


def tokenize(build, texts, max_length):
    cli = os.path.join(build, "src", "cli", "vectorsmith-cli")
    r = subprocess.run([cli, "tokenize", TOKENIZER, "--max-length", str(max_length)],
                       input="\n".join(t.replace("\n", " ") for t in texts) + "\n",
                       capture_output=True, text=True, check=True)
    ids = [json.loads(l)["ids"] for l in r.stdout.splitlines() if l.strip()]
    if len(ids) != len(texts):
        raise SystemExit("tokenize: %d texts gave %d rows" % (len(texts), len(ids)))
    return ids


def flops_forward(shape, lengths):
    layers, H, I = SHAPES[shape]
    return sum(layers * (n * (8 * H * H + 4 * H * I) + 4 * n * n * H) for n in lengths)


def uniform_texts(n, seed):
    words = ("time person year way day thing man world life hand part child eye woman place work week case "
             "point number group problem fact water train cat boat table chair dog street house city music "
             "game river light green white small large black red blue old young long short").split()
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(200)) for _ in range(n)]


def real_pairs(n_stsb, n_snli):
    pairs = []
    with open(os.path.join(DATA, "datasets", "stsb", "sts-train.images+track5.csv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 7 and len(pairs) < n_stsb:
                pairs.append((cols[5], cols[6]))
    k = 0
    with open(os.path.join(DATA, "datasets", "snli", "snli_1.0_dev.first500.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            if k < n_snli:
                pairs.append((row["sentence1"], row["sentence2"]))
                k += 1
    return pairs


class Bench:
    def __init__(self, build, threads, tmp, quick):
        self.build, self.threads, self.tmp, self.quick = build, threads, tmp, quick
        self.cli = os.path.join(build, "src", "cli", "vectorsmith-cli")
        self.models = {}
        self.n = 0

    def model(self, shape):
        if shape not in self.models:
            d = os.path.join(self.tmp, "model-" + shape)
            subprocess.run([PY, os.path.join(HERE, "train_ref.py"), "make", shape, d, TOKENIZER], check=True)
            self.models[shape] = d
        return self.models[shape]

    def env(self, core, tuned):
        e = dict(os.environ)
        for k in list(TUNED) + ["OPENBLAS_CORETYPE"]:
            e.pop(k, None)
        if core:
            e["OPENBLAS_CORETYPE"] = core
        if tuned:
            e.update(TUNED)
        return e

    def train_case(self, name, shape, pairs, batch, max_len, core):
        """pairs: (anchor, positive) texts, len(pairs) = steps * batch, in file order."""
        self.n += 1
        tag = os.path.join(self.tmp, "t%d" % self.n)
        model = self.model(shape)
        data = tag + "-pairs.jsonl"
        with open(data, "w") as f:
            for a, p in pairs:
                f.write(json.dumps({"anchor": a, "positive": p}) + "\n")
        steps = len(pairs) // batch
        recipe = {"model": model,
                  "train": {"path": data, "columns": ["anchor", "positive"], "name": "bench"},
                  "loss": {"name": "MultipleNegativesRankingLoss", "params": {"scale": 20.0}},
                  "args": {"max_steps": steps, "batch_size": batch, "learning_rate": 2e-5,
                           "weight_decay": 0.01, "warmup_steps": 0, "save_steps": 0, "logging_steps": 100000,
                           "max_seq_length": max_len, "shuffle": False, "dropout": False,
                           "threads": self.threads, "seed": 1},
                  "output_dir": tag + "-out"}
        with open(tag + "-recipe.json", "w") as f:
            json.dump(recipe, f)
        ta = tokenize(self.build, [a for a, _ in pairs], max_len)
        tp = tokenize(self.build, [p for _, p in pairs], max_len)
        batches = [[ta[s : s + batch], tp[s : s + batch]] for s in range(0, steps * batch, batch)]
        with open(tag + "-batches.json", "w") as f:
            json.dump(batches, f)
        lengths = [len(x) for x in ta + tp]
        fl_step = [3 * flops_forward(shape, [len(x) for x in b[0] + b[1]]) for b in batches]
        res = {"case": name, "kind": "train", "shape": shape, "batch": batch, "steps": steps,
               "mean_tokens": statistics.mean(lengths), "max_tokens": max(lengths),
               "openblas_coretype": core or "detected"}

        def step_of_event(line):
            try:
                ev = json.loads(line)
            except ValueError:
                return None
            return ev if ev.get("event") == "step" else None

        def step_of_ref(line):
            m = re.match(r"step (\d+) (\d+) (\S+)", line)
            return {"step": int(m.group(1)), "loss": float(m.group(3))} if m else None

        runs = [("vectorsmith", [self.cli, "train", tag + "-recipe.json", "--quiet", "--log", tag + "-vs.events"],
                 self.env(core, False), tag + "-vs.events", step_of_event),
                ("torch_tuned", [PY, os.path.join(HERE, "train_ref.py"), "train", model, tag + "-batches.json",
                                 "--threads", str(self.threads)], self.env(core, True), tag + "-tt.out", step_of_ref),
                ("torch_default", [PY, os.path.join(HERE, "train_ref.py"), "train", model, tag + "-batches.json",
                                   "--threads", str(self.threads)], self.env(core, False), tag + "-td.out",
                 step_of_ref)]
        if self.quick and core == "Prescott":
            runs = runs[:2]
        for who, cmd, env, path, parse in runs:
            shutil.rmtree(tag + "-out", ignore_errors=True)
            times, evs, rss, rc, tail = run_timed(cmd, env, path, parse)
            if rc != 0 or len(times) != steps:
                raise SystemExit("%s %s: exit %d, %d of %d steps\n%s" % (name, who, rc, len(times), steps, tail))
            timed = sum(len(b[0]) for b in batches[1:])
            secs = times[-1] - times[0]
            res[who] = {"examples_per_s": timed / secs, "first_step_s": times[0], "peak_rss_mib": rss,
                        "gflops": sum(fl_step[1:]) / secs / 1e9, "first_loss": evs[0]["loss"]}
            log("  %-14s %-10s %8.2f pairs/s  first step %6.1f s  rss %7.1f MiB  loss[0] %.4f" % (
                who, core or "detected", res[who]["examples_per_s"], times[0], rss, evs[0]["loss"]))
        return res

    def encode_case(self, name, shape, texts, batch, max_len, core, iters):
        self.n += 1
        tag = os.path.join(self.tmp, "e%d" % self.n)
        model = self.model(shape)
        with open(tag + "-texts.txt", "w") as f:
            f.write("\n".join(t.replace("\n", " ") for t in texts) + "\n")
        ids = tokenize(self.build, texts, max_len)
        with open(tag + "-ids.json", "w") as f:
            json.dump(ids, f)
        fl = flops_forward(shape, [len(x) for x in ids])
        res = {"case": name, "kind": "encode", "shape": shape, "texts": len(texts),
               "mean_tokens": statistics.mean(len(x) for x in ids), "openblas_coretype": core or "detected"}
        runs = [("vectorsmith", [os.path.join(self.build, "bench", "train", "bench-encode"), model,
                                 tag + "-texts.txt", "--batch-size", str(batch), "--max-length", str(max_len),
                                 "--iters", str(iters), "--threads", str(self.threads)], self.env(core, False)),
                ("torch_tuned", [PY, os.path.join(HERE, "train_ref.py"), "encode", model, tag + "-ids.json",
                                 "--threads", str(self.threads), "--batch-size", str(batch), "--iters", str(iters)],
                 self.env(core, True)),
                ("torch_default", [PY, os.path.join(HERE, "train_ref.py"), "encode", model, tag + "-ids.json",
                                   "--threads", str(self.threads), "--batch-size", str(batch),
                                   "--iters", str(iters)], self.env(core, False))]
        if self.quick and core == "Prescott":
            runs = runs[:2]
        for who, cmd, env in runs:
            path = tag + "-" + who + ".out"
            times, rows, rss, rc, tail = run_timed(cmd, env, path, lambda l: json.loads(l) if l.startswith("{") else None)
            if rc != 0 or len(rows) != 1:
                raise SystemExit("%s %s: exit %d\n%s" % (name, who, rc, tail))
            r = rows[0]
            res[who] = {"sentences_per_s": r["sentences_per_s"], "first_pass_s": r["first_pass_s"],
                        "peak_rss_mib": rss, "gflops": fl * r["sentences_per_s"] / len(texts) / 1e9}
            log("  %-14s %-10s %8.2f sentences/s  rss %7.1f MiB" % (who, core or "detected", r["sentences_per_s"], rss))
        return res

    def sgemm(self, core):
        e = self.env(core, False)
        r = subprocess.run([os.path.join(self.build, "bench", "train", "bench-sgemm"), "--threads",
                            str(self.threads)], env=e, capture_output=True, text=True, check=True)
        return json.loads(r.stdout)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(results, sgemm):
    rows = ["| case | OpenBLAS core | vectorsmith | torch tuned | torch default | ratio vs tuned | ratio vs default "
            "| first step / pass (vs, tuned) s | peak RSS MiB (vs, tuned) | GFLOP/s vs (% of SGEMM ceiling) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        k = "examples_per_s" if r["kind"] == "train" else "sentences_per_s"
        f = "first_step_s" if r["kind"] == "train" else "first_pass_s"
        v, t = r["vectorsmith"], r["torch_tuned"]
        d = r.get("torch_default", {k: float("nan")})
        ceil = sgemm["gflops"]
        rows.append("| %s | %s | %.2f | %.2f | %.2f | **%.2f×** | %.2f× | %.1f, %.1f | %.0f, %.0f | %.1f (%.0f %%) |" % (
            r["case"], r["openblas_coretype"], v[k], t[k], d[k], v[k] / t[k], v[k] / d[k], v[f], t[f],
            v["peak_rss_mib"], t["peak_rss_mib"], v["gflops"], 100.0 * v["gflops"] / ceil))
    return "\n".join(rows)


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    if quick:
        args.remove("--quick")
    build, threads, out_json, readme = args[0], int(args[1]), args[2], args[3]
    tmp = tempfile.mkdtemp(prefix="vs-bench-train-")
    try:
        b = Bench(os.path.abspath(build), threads, tmp, quick)
        detected = b.sgemm(None)
        best = detected
        cores = [None, "Prescott"]
        sk = subprocess.run([os.path.join(build, "bench", "model", "bench-model"), "--suggest-coretype"],
                            capture_output=True, text=True).stdout.strip()
        if sk:
            best = b.sgemm(sk)
            cores = [sk, "Prescott"]
        sgemm = {"gflops": max(detected["sgemm_gflops"], best["sgemm_gflops"]), "detected": detected, "best": best}
        log("SGEMM ceiling %.1f GFLOP/s (%s)" % (sgemm["gflops"], best["blas_core"]))
        u = uniform_texts(64, 1)
        u2 = uniform_texts(64, 2)
        real = real_pairs(192, 192)
        mix_texts = [t for p in real for t in p]
        scale = 1 if not quick else 0
        cases = [
            ("train MiniLM-L6 32 pairs x 32 tok", lambda c: b.train_case("train MiniLM-L6 32 pairs x 32 tok", "minilm",
                                                                          list(zip(u, u2))[:32] * (3 + 3 * scale), 32, 32, c)),
            ("train MiniLM-L6 32 pairs x 128 tok", lambda c: b.train_case("train MiniLM-L6 32 pairs x 128 tok", "minilm",
                                                                           list(zip(u, u2))[:32] * (2 + 2 * scale), 32, 128, c)),
            ("train bert-base 16 pairs x 128 tok", lambda c: b.train_case("train bert-base 16 pairs x 128 tok", "bertbase",
                                                                           list(zip(u, u2))[:16] * (2 + scale), 16, 128, c)),
            ("train MiniLM-L6 real STS-B+SNLI pairs", lambda c: b.train_case("train MiniLM-L6 real STS-B+SNLI pairs",
                                                                              "minilm", real if not quick else real[:96],
                                                                              32, 128, c)),
            ("encode MiniLM-L6 64 x 128 tok", lambda c: b.encode_case("encode MiniLM-L6 64 x 128 tok", "minilm", u, 64,
                                                                      128, c, 1 + scale)),
            ("encode MiniLM-L6 real sentences", lambda c: b.encode_case("encode MiniLM-L6 real sentences", "minilm",
                                                                        mix_texts if not quick else mix_texts[:192],
                                                                        64, 128, c, 1 + scale)),
        ]
        results = []
        for name, fn in cases:
            for c in cores:
                if quick and c == "Prescott" and "bert-base" in name:
                    log("== %s, OPENBLAS_CORETYPE=Prescott: left out by --quick" % name)
                    continue
                log("== %s, OPENBLAS_CORETYPE=%s" % (name, c or "(detected)"))
                results.append(fn(c))
        machine = {"cpu": cpu_model(), "openblas_detected": detected["blas_core"],
                   "openblas_best": best["blas_core"], "threads": threads,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "sgemm_ceiling_gflops": sgemm["gflops"], "sgemm_prescott_gflops": None}
        machine["sgemm_prescott_gflops"] = b.sgemm("Prescott")["sgemm_gflops"]
        with open(out_json + ".tmp", "w") as f:
            json.dump({"machine": machine, "results": results}, f, indent=2)
        os.replace(out_json + ".tmp", out_json)
        tab = table(results, sgemm)
        head = ("Machine: %s, %d threads, OpenBLAS core as detected: %s (best: %s), SGEMM ceiling %.1f GFLOP/s "
                "(Prescott: %.1f), %s%s.") % (machine["cpu"], threads, machine["openblas_detected"],
                                              machine["openblas_best"], sgemm["gflops"],
                                              machine["sgemm_prescott_gflops"], machine["date"],
                                              ", --quick" if quick else "")
        print(head)
        print(tab)
        with open(readme) as f:
            text = f.read()
        start, end = "<!-- latest-table -->", "<!-- /latest-table -->"
        block = "%s\n%s\n\n%s\n%s" % (start, head, tab, end)
        if start in text and end in text:
            text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
        else:
            text += "\n" + block + "\n"
        with open(readme + ".tmp", "w") as f:
            f.write(text)
        os.replace(readme + ".tmp", readme)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
