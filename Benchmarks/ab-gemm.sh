#!/usr/bin/env bash
# The dense GEMM kernels side by side on `strata bench train`:
#
#   Benchmarks/ab-gemm.sh ROUNDS RANKS [bench train options...]
#
# Each round runs model.gemm=openblas, the default (auto, fp32) and
# model.precision=bf16 (auto) in turn, on Configs/bench-kaggle.yaml and the
# same options, and prints the three samples/s with each one's ratio to
# OpenBLAS and the load average. Alternating, as Benchmarks/ab-train.sh, so
# that drift on a shared machine hits all three alike; quote medians.
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/common.sh
export OPENBLAS_NUM_THREADS=1
S=${STRATA:-.build/release/strata}
rounds=$1; ranks=$2; shift 2
run() {
  local out
  if [ "$ranks" = 1 ]; then out=$("$S" bench train --config Configs/bench-kaggle.yaml "$@" 2>&1)
  else out=$(mpi_run "$ranks" "$S" bench train --config Configs/bench-kaggle.yaml "$@" 2>&1); fi
  echo "$out" | awk '/^samples\/s:/ {print $2; found=1} END {if (!found) exit 1}' || { echo "$out" >&2; exit 1; }
}
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.3f", y / x}'; }
for i in $(seq "$rounds"); do
  a=$(run "$@" --set model.gemm=openblas); b=$(run "$@"); c=$(run "$@" --set model.precision=bf16)
  echo "round $i: openblas $a fp32-auto $b bf16-auto $c  fp32/openblas $(ratio "$a" "$b")" \
       "bf16/openblas $(ratio "$a" "$c")  load $(cut -d' ' -f1 /proc/loadavg)"
done
