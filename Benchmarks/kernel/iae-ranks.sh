#!/usr/bin/env bash
# ∞-AE end to end on 1 and 2 ranks (and more, listed), alternating the rank
# counts round by round so that a busy machine slows each alike; prints each
# run's wall seconds and phase split (load, kernel, factorisation, solves,
# scoring, ranking) and, per rank count, the median wall time, the median
# ratio to 1 rank, and the 1-minute load average at each run's start.
#   bash Benchmarks/kernel/iae-ranks.sh DATA.csv ROUNDS [RANKS...] [-- extra strata iae args]
# DATA.csv: e.g. ML-1M's synthetic shape:
#   python3 Benchmarks/kernel/synthetic-interactions.py 6040 ml1m-shape.csv --min-per-user 20 --split
# docs/benchmarks/kernel.md ("∞-AE: the solver and the engine by cost") quotes its output.
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
data="$1"; rounds="${2:-3}"; shift 2 || true
ranks=(); extra=()
while [ $# -gt 0 ]; do [ "$1" = "--" ] && { shift; extra=("$@"); break; }; ranks+=("$1"); shift; done
[ ${#ranks[@]} -eq 0 ] && ranks=(1 2)
out=$(mktemp -d)
export OPENBLAS_NUM_THREADS=1
for r in $(seq "$rounds"); do
    for np in "${ranks[@]}"; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        start=$(date +%s.%N)
        mpi_run "$np" "$STRATA_BIN" iae --quiet --set data.path="$data" "${extra[@]}" --run-dir "$out/r$r-$np" \
            >"$out/r$r-$np.log" 2>&1 || { echo "round $r, $np rank(s): failed"; tail -3 "$out/r$r-$np.log"; continue; }
        wall=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
        echo "$r $np $wall $load" >>"$out/walls"
        python3 - "$out/r$r-$np/summary.json" "$r" "$np" "$wall" "$load" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); i = s["iae"]; t = i["timings"]; g = i.get("gflops", {})
f = lambda k: t.get(k, 0.0)
rate = lambda k: f" ({g[k]:.0f} GFLOP/s)" if k in g else ""
print(f"round {sys.argv[2]} ranks {sys.argv[3]} | wall {float(sys.argv[4]):6.1f} s (load {sys.argv[5]}) | {i['solver']}, {i['engine']} | "
      f"load {f('load_s'):.1f} kernel {f('gram_s'):.1f}{rate('gram')} factor {f('factor_s'):.1f}{rate('factor')} "
      f"solves {f('solve_s'):.1f}{rate('solve')} VᵀF {f('project_s'):.1f} scoring {f('predict_s'):.1f}{rate('predict')} "
      f"ranking {f('metrics_s'):.1f} | CPU busiest {s['cpu_seconds']['max']:.1f} s | peak RSS/rank {s['peak_memory_bytes']['max'] / 2**20:.0f} MiB | "
      f"λ {i['chosen_lambda']} nDCG@10 {100 * i['test']['ndcg'][0]:.4f} HR@100 {100 * i['test']['hit_rate'][-1]:.4f}")
PY
    done
done
python3 - "$out/walls" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
by = {}
for r, np, wall, load in runs: by.setdefault(int(np), []).append((float(wall), float(load)))
one = statistics.median(w for w, _ in by.get(1, [(float("nan"), 0)]))
for np in sorted(by):
    w = statistics.median(x for x, _ in by[np])
    print(f"ranks {np}: median wall {w:.1f} s over {len(by[np])} runs (min {min(x for x, _ in by[np]):.1f}), "
          f"{one / w:.2f}x of 1 rank; load at start {', '.join(f'{l:.1f}' for _, l in by[np])}")
PY
rm -rf "$out"
