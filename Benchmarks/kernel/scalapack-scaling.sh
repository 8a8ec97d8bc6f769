#!/usr/bin/env bash
# ∞-AE's two engines on synthetic ML-1M-shaped users (synthetic-interactions.py):
# the replicated LAPACK path on 1 rank against the ScaLAPACK grid on 1, 2 and 4
# ranks, per user count; one line per run with wall and CPU seconds, the
# factorisation's share, peak memory per rank and the kernel bytes sent.
#   bash Benchmarks/kernel/scalapack-scaling.sh OUT_DIR USERS... (default 2000 4000)
# docs/benchmarks/kernel.md "∞-AE on ScaLAPACK" quotes its output.
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
out="${1:-runs/scalapack-scaling}"; shift || true
users=("${@:-2000 4000}")
mkdir -p "$out"
for n in ${users[@]}; do
    [ -f "$out/u$n.csv" ] || python3 Benchmarks/kernel/synthetic-interactions.py "$n" "$out/u$n.csv"
    for run in "1 replicated" "1 scalapack" "2 scalapack" "4 scalapack" "2 replicated"; do
        set -- $run
        dir="$out/u$n-$2-$1"
        start=$SECONDS
        mpi_run "$1" "$STRATA_BIN" iae --quiet --set data.path="$out/u$n.csv" --set iae.engine="$2" --run-dir "$dir" >"$dir.log" 2>&1 \
            || { echo "users $n, $2 on $1: failed (see $dir.log)"; continue; }
        python3 - "$dir/summary.json" "$n" "$2" "$1" $((SECONDS - start)) <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); i = s["iae"]; t = i["timings"]
kernel = next(p for p in s["communication"]["phases"] if p["phase"] == "kernel")
print(f"users {sys.argv[2]:>6} | {sys.argv[3]:<10} | ranks {sys.argv[4]} | {i['engine']:<30} | wall {sys.argv[5]:>4} s | "
      f"CPU busiest {s['cpu_seconds']['max']:7.1f} s, all {s['cpu_seconds']['total']:7.1f} s | "
      f"gram {t['gram_s']:6.1f} factor+solves {t['factor_s']:6.1f} lambdas {t['lambdas_s']:6.1f} test {t['test_s']:6.1f} | "
      f"peak RSS/rank {s['peak_memory_bytes']['max'] / 2**20:7.0f} MiB | kernel sent {kernel['bytes_sent']['total'] / 1e6:8.1f} MB | nDCG@10 {100 * i['test']['ndcg'][0]:.2f}")
PY
    done
done
