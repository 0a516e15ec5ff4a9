#!/bin/sh
# SGEMM GFLOP/s at the encoder's shapes, for each backend in its own process
# (OPENBLAS_CORETYPE is read when OpenBLAS loads):
#   detected   OpenBLAS with the kernels it picked itself
#   haswell    OpenBLAS, OPENBLAS_CORETYPE=Haswell (AVX2)
#   skylakex   OpenBLAS, OPENBLAS_CORETYPE=SkylakeX (AVX-512): the ceiling
#   own        VS_GEMM=own (our micro-kernels)
#   + one SkylakeX process that alternates every sample with ours
#     (bench-gemm --interleave-own): "own/ceil same-process", the steadier
#     ratio on a busy machine
# at 1 and 2 threads, ROUNDS rounds interleaved (every backend once per round,
# so a busy machine slows them all alike); medians over the rounds.
#   [MIN_MS=30] bench/gemm/run.sh [BUILD_DIR] [ROUNDS] [JSON_OUT]
# (MIN_MS: the least milliseconds of one timing sample; 5 samples a shape)
# Prints a table (GFLOP/s, own / ceiling) and writes the JSON to JSON_OUT
# (default: stdout after the table).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-_build}
ROUNDS=${2:-3}
JSON_OUT=${3:-}
MIN_MS=${MIN_MS:-30}
BENCH="$BUILD/bench/gemm/bench-gemm"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run_one () { # NAME THREADS ROUND ENV...
  name=$1 threads=$2 round=$3
  shift 3
  env -u OPENBLAS_CORETYPE -u VS_GEMM "$@" "$BENCH" --threads "$threads" --min-ms "$MIN_MS" \
    > "$TMP/$name-$threads-$round.json"
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
  for t in 1 2; do
    run_one detected "$t" "$r" VS_GEMM=openblas
    run_one haswell "$t" "$r" VS_GEMM=openblas OPENBLAS_CORETYPE=Haswell
    run_one skylakex "$t" "$r" VS_GEMM=openblas OPENBLAS_CORETYPE=SkylakeX
    run_one own "$t" "$r" VS_GEMM=own
    env -u OPENBLAS_CORETYPE -u VS_GEMM VS_GEMM=openblas OPENBLAS_CORETYPE=SkylakeX \
      "$BENCH" --threads "$t" --min-ms "$MIN_MS" --interleave-own > "$TMP/inter-$t-$r.json"
  done
  echo "round $r of $ROUNDS done" >&2
  r=$((r + 1))
done

MIN_MS=$MIN_MS /usr/bin/python3 - "$TMP" "$ROUNDS" "$JSON_OUT" <<'PY'
import glob, json, os, statistics, sys

tmp, rounds, json_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
backends = ["detected", "haswell", "skylakex", "own"]
runs = {}
meta = {}
for path in glob.glob(os.path.join(tmp, "*.json")):
    name, threads, rnd = os.path.basename(path)[:-5].split("-")
    with open(path) as f:
        d = json.load(f)
    meta[name] = d
    if name == "inter":
        for r in d["results"]:
            r["skx_gflops"] = r["gflops"]
    runs.setdefault((name, int(threads)), []).append(d["results"])

shapes = [(r["group"], r["name"]) for r in meta["own"]["results"]]
flops = {(r["group"], r["name"]): 2.0 * r["M"] * r["N"] * r["K"] for r in meta["own"]["results"]}
out = {
    "cpu": meta["own"]["cpu"],
    "openblas_core_detected": meta["detected"]["openblas_core"],
    "own_backend": meta["own"]["gemm"],
    "min_ms": int(os.environ.get("MIN_MS", "30")),
    "rounds": rounds,
    "threads": {},
}
for threads in (1, 2):
    med = {}
    for b in backends:
        per = {}
        for res in runs[(b, threads)]:
            for r in res:
                per.setdefault((r["group"], r["name"]), []).append(r["gflops"])
        med[b] = {k: statistics.median(v) for k, v in per.items()}
    inter = {}
    for res in runs[("inter", threads)]:
        for r in res:
            inter.setdefault((r["group"], r["name"]), []).append(r)
    inter_ratio = {k: statistics.median(r["own_ratio"] for r in v) for k, v in inter.items()}
    inter_own = {k: statistics.median(r["own_gflops"] for r in v) for k, v in inter.items()}
    inter_skx = {k: statistics.median(r["skx_gflops"] for r in v) for k, v in inter.items()}
    print("\n== %d thread%s (median GFLOP/s of %d rounds; OpenBLAS detected core: %s; own: %s)"
          % (threads, "s" if threads > 1 else "", rounds, out["openblas_core_detected"],
             out["own_backend"]))
    print("%-13s %-16s %9s %9s %9s %9s %8s %9s" % ("group", "shape", "detected", "Haswell",
                                                   "SkylakeX", "own", "own/ceil", "same-proc"))
    rows = []
    for k in shapes:
        row = {"group": k[0], "name": k[1]}
        row.update({b: round(med[b][k], 2) for b in backends})
        row["own_over_ceiling"] = round(med["own"][k] / med["skylakex"][k], 3)
        row["own_over_ceiling_same_process"] = round(inter_ratio[k], 3)
        rows.append(row)
        print("%-13s %-16s %9.1f %9.1f %9.1f %9.1f %8.2f %9.2f" % (k[0], k[1], med["detected"][k],
              med["haswell"][k], med["skylakex"][k], med["own"][k], row["own_over_ceiling"],
              inter_ratio[k]))
    # whole training steps: the time-weighted rate over a group's GEMMs
    groups = {}
    for g in sorted(set(k[0] for k in shapes)):
        ks = [k for k in shapes if k[0] == g]
        rate = {b: sum(flops[k] for k in ks) / sum(flops[k] / med[b][k] for k in ks)
                for b in backends}
        groups[g] = {b: round(rate[b], 2) for b in backends}
        groups[g]["own_over_ceiling"] = round(rate["own"] / rate["skylakex"], 3)
        same = (sum(flops[k] / inter_skx[k] for k in ks) / sum(flops[k] / inter_own[k] for k in ks))
        groups[g]["own_over_ceiling_same_process"] = round(same, 3)
        print("%-13s %-16s %9.1f %9.1f %9.1f %9.1f %8.2f %9.2f" % (g, "(all, by time)",
              rate["detected"], rate["haswell"], rate["skylakex"], rate["own"],
              groups[g]["own_over_ceiling"], same))
    out["threads"][str(threads)] = {"shapes": rows, "groups": groups}

text = json.dumps(out, indent=1)
if json_out:
    with open(json_out + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(json_out + ".tmp", json_out)
else:
    print(text)
PY
