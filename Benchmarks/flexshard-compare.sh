#!/usr/bin/env bash
# FlexShard against the baselines on the same batches, measured by the ledger.
#
#   Benchmarks/flexshard-compare.sh RANKS CONFIG [train options...]
#
# Trains CONFIG once per strategy (table_wise, row_wise, table_row_wise,
# flexshard; $STRATEGIES, space separated, for fewer) on RANKS ranks with the same options (e.g. --set run.steps=40
# --set topology.ranks_per_node=2), then prints one row per strategy from its
# summary.json: all-to-all MB/step, inter-node MB/step of the all-to-all
# alone and of every embedding phase (all-to-all plus replica syncs), the
# largest embedding footprint of a rank, samples/s and eval AUC. Bytes are
# summed over ranks and divided by the steps. Run folders stay in
# $FLEX_OUT (default a temporary folder) for a closer look.
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/common.sh
export OPENBLAS_NUM_THREADS=1
ranks=$1; config=$2; shift 2
out=${FLEX_OUT:-$(mktemp -d)}
mkdir -p "$out"
printf '%-15s %10s %14s %14s %12s %10s %8s\n' strategy "a2a MB" "a2a inter MB" "emb inter MB" "max emb MB" samples/s AUC
for strategy in ${STRATEGIES:-table_wise row_wise table_row_wise flexshard}; do
    dir=$out/$strategy
    rm -rf "$dir"
    mpi_run "$ranks" "$STRATA_BIN" train --config "$config" --set sharding.type=$strategy "$@" --run-dir "$dir" > "$dir.log" 2>&1 \
        || { echo "$strategy failed:" >&2; tail -20 "$dir.log" >&2; exit 1; }
    python3 - "$dir/summary.json" "$strategy" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
steps = s["steps"]
phases = s["comm"]["phases"]
embedding = ["ids_a2a", "emb_fwd_a2a", "emb_bwd_a2a", "ids_a2a_intra", "emb_fwd_a2a_intra", "emb_bwd_a2a_intra",
             "replica_grad_sync"]
inter = sum(phases[p]["inter_node_bytes"]["total"] for p in embedding if p in phases) / steps
print("%-15s %10.3f %14.3f %14.3f %12.3f %10.0f %8.4f" % (
    sys.argv[2], s["comm"]["a2a_bytes_per_step"] / 1e6, s["comm"]["inter_node_bytes_per_step"] / 1e6, inter / 1e6,
    s["memory"]["max_embedding_bytes"] / 1e6, s["throughput"]["samples_per_sec"], s["metrics"]["eval_auc"]))
EOF
done
echo "run folders: $out"
