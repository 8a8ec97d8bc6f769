#!/usr/bin/env bash
# Side-by-side speed of two strata binaries on `strata bench train`.
#
#   Benchmarks/ab-train.sh PAIRS RANKS BIN_A BIN_B [bench train options...]
#
# Runs A then B, PAIRS times, on the same options (default config
# Configs/bench-kaggle.yaml, --steps 20 --reps 5; later options override), and
# prints each pair's samples/s and B/A, then the medians. A_ARGS and B_ARGS
# (words) go to one side only: one binary against itself with other settings,
# e.g. A_ARGS="--set model.gemm=openblas" B_ARGS="--set model.precision=bf16"
# Benchmarks/ab-train.sh 3 1 .build/release/strata .build/release/strata.
# Why alternate: on a
# shared machine the speed of one binary drifts by 10-20 % from one minute to
# the next, so only runs taken side by side compare (docs/benchmarks/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/common.sh
export OPENBLAS_NUM_THREADS=1
pairs=$1; ranks=$2; a=$3; b=$4; shift 4
run() {
  local out
  if [ "$ranks" = 1 ]; then
    out=$("$1" bench train --config Configs/bench-kaggle.yaml --steps 20 --reps 5 "${@:2}" 2>&1)
  else
    out=$(mpi_run "$ranks" "$1" bench train --config Configs/bench-kaggle.yaml --steps 20 --reps 5 "${@:2}" 2>&1)
  fi
  echo "$out" | awk '/^samples\/s:/ {print $2; found=1} END {if (!found) exit 1}' || { echo "$out" >&2; exit 1; }
}
read -r -a a_args <<< "${A_ARGS:-}"; read -r -a b_args <<< "${B_ARGS:-}"
as=(); bs=()
for i in $(seq "$pairs"); do
  x=$(run "$a" "$@" ${a_args[@]+"${a_args[@]}"}); y=$(run "$b" "$@" ${b_args[@]+"${b_args[@]}"})
  as+=("$x"); bs+=("$y")
  echo "pair $i: A $x  B $y  B/A $(awk -v x="$x" -v y="$y" 'BEGIN {printf "%.3f", y / x}')"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratios=(); for i in "${!as[@]}"; do ratios+=("$(awk -v x="${as[$i]}" -v y="${bs[$i]}" 'BEGIN {print y / x}')"); done
echo "median A $(median "${as[@]}")  B $(median "${bs[@]}")  median B/A $(median "${ratios[@]}")"
