#!/usr/bin/env bash
# FlexShard against the baselines on the cluster box (docs/guide/cluster-box.md;
# root): HOSTS network namespaces of SLOTS ranks each, links shaped
# to RATE, every strategy with id dedup off and on, measured beside strata
# plan's model of the same world.
#
#   Benchmarks/flexshard-box.sh HOSTS SLOTS RATE INTER_GIBPS OUT [train options...]
#
# INTER_GIBPS: the inter-node bandwidth `strata bench comm` measured on the
# box at RATE (topology.inter_node_gibps for the model). One row a run: all-to-all
# and embedding inter-node MB/step (ledger, summed over ranks), the measured
# communication parts of a step (input dist + output dist wait + embedding
# backward + dense allreduce, slowest rank each), the modelled communication
# ms/step, collectives a rank makes per step (measured: the ledger's calls of
# the busiest rank; modelled: strata plan's), step ms and samples/s. Run
# folders stay in OUT. STRATA_BOX_PLAN_ARGS (e.g. --calibration FILE) goes to
# strata plan only.
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/common.sh
hosts=$1 slots=$2 rate=$3 gibps=$4 out=$5
shift 5
ranks=$((hosts * slots))
config=Configs/flexshard-bench.yaml
mkdir -p "$out"
trap 'Launch/cluster-box down > /dev/null 2>&1 || true' EXIT
Launch/cluster-box up --hosts "$hosts" --slots "$slots" --link-rate "$rate" > "$out/box.log"
printf '| strategy | dedup_ids | a2a MB/step | emb inter-node MB/step | measured comm ms/step | modelled comm ms/step | coll/step measured | coll/step modelled | step ms | samples/s |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
for d in false true; do
    "$STRATA_BIN" plan --config "$config" --ranks "$ranks" --ranks-per-node "$slots" --set topology.inter_node_gibps="$gibps" \
        --set sharding.dedup_ids=$d ${STRATA_BOX_PLAN_ARGS:-} "$@" --json "$out/plan-$d.json" > /dev/null
    for strategy in table_wise row_wise table_row_wise flexshard; do
        dir=$out/$strategy-$d
        rm -rf "$dir"
        Launch/cluster-box run -np "$ranks" -- strata train --config "$config" --set sharding.type=$strategy \
            --set sharding.dedup_ids=$d --set topology.inter_node_gibps="$gibps" "$@" --run-dir "$dir" > "$dir.log" 2>&1 \
            || { echo "$strategy failed:" >&2; tail -20 "$dir.log" >&2; exit 1; }
        python3 - "$dir/summary.json" "$out/plan-$d.json" "$strategy" "$d" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); plan = json.load(open(sys.argv[2])); strategy = sys.argv[3]
steps = s["steps"]; phases = s["comm"]["phases"]
embedding = ["ids_a2a", "emb_fwd_a2a", "emb_bwd_a2a", "ids_a2a_intra", "emb_fwd_a2a_intra", "emb_bwd_a2a_intra",
             "replica_grad_sync"]
inter = sum(phases[p]["inter_node_bytes"]["total"] for p in embedding if p in phases) / steps
parts = s["step_breakdown"]["parts"]
comm = sum(parts[p]["max"] for p in ["input_dist", "output_dist_wait", "embedding_backward", "dense_allreduce"])
row = next(r for r in plan if r["strategy"] == strategy)
modelled = row["modelled_seconds_per_step"]
step_phases = embedding + ["dense_allreduce", "metrics"]
calls = sum(phases[p]["calls"]["max"] for p in step_phases if p in phases) / steps
step = s["throughput"]["seconds"] / steps
print("| %s | %s | %.3f | %.3f | %.2f | %.2f | %.0f | %s | %.1f | %.0f |" % (
    strategy, "on" if sys.argv[4] == "true" else "off", s["comm"]["a2a_bytes_per_step"] / 1e6, inter / 1e6,
    comm * 1e3, modelled * 1e3, calls, "%.0f" % row["collectives_per_step"] if row.get("collectives_per_step") is not None else "-",
    step * 1e3, s["throughput"]["samples_per_sec"]))
PY
    done
done
