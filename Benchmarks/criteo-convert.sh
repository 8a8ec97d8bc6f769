#!/usr/bin/env bash
# Conversion throughput of `strata data convert` on Criteo-format gzip days,
# 1 rank against 2, hashed ids and a vocabulary, runs alternated.
#
#   Benchmarks/criteo-convert.sh DAYS_DIR REPS [OUT_DIR]
#
# DAYS_DIR holds day files (`strata data criteo-gen --days 4 --lines 1500000`
# writes 6 M lines, 544 MB of gzip). Each rep converts with hashed ids on 1
# then 2 ranks, then with --frequency-threshold 3 on 1 then 2 ranks, and
# prints each run's conversion.json figures; then the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/common.sh
days=$1; reps=$2; out=${3:-$(mktemp -d)}
S="$STRATA_BIN"
one() {   # ranks mode -> "lines_per_s_per_rank wall_s"
  local np=$1 mode=$2 dir="$out/r$1-$2"
  rm -rf "$dir"
  local extra=(); [ "$mode" = vocab ] && extra=(--frequency-threshold 3)
  mpi_run "$np" "$S" data convert "$days" --out "$dir" "${extra[@]}" >/dev/null
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["count_seconds"]+r["write_seconds"]; print("%.0f %.2f %d" % (r["lines"]/s/r["ranks"], s, r["lines"]))' "$dir/conversion.json"
}
declare -A runs
for i in $(seq "$reps"); do
  for mode in hash vocab; do
    for np in 1 2; do
      r=$(one "$np" "$mode"); runs[$mode-$np]+="$r"$'\n'
      echo "rep $i $mode ranks $np: lines/s/rank, seconds, lines = $r"
    done
  done
done
echo "medians (lines/s per rank, wall seconds):"
for mode in hash vocab; do
  for np in 1 2; do
    printf '%s\n' "${runs[$mode-$np]}" | sed '/^$/d' | sort -n | awk -v m="$mode" -v n="$np" '{a[NR]=$1; b[NR]=$2} END {printf "  %s, %d rank(s): %.0f lines/s per rank, %.2f s\n", m, n, a[int((NR+1)/2)], b[int((NR+1)/2)]}'
  done
done
