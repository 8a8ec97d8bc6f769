#!/usr/bin/env bash
# FlexShard's map (issue #19, docs/benchmarks/flexshard.md "The map"): FlexShard against
# the best baseline by all-to-all bytes, inter-node bytes and modelled time,
# with and without id dedup, the placement floor beside, at the production
# shape of Configs/flexshard-production.yaml (2048 samples a rank, weak
# scaling, nodes of 8), varying one axis at a time from 64 ranks, Zipf 1.1,
# histories of 0..1,024 ids and row_wise's memory (the budget axis at 256 ranks):
#   skew     Zipf 0.8-1.5, and MovieLens's item popularity stretched to 10^7 rows
#   history  history_max_length 512, 1024, 2048 (256-1,024 ids on average)
#   ranks    8 to 1,024
#   budget   0.5x to 2x row_wise's embedding memory per rank
# FlexShard plans for a run of 1,000 steps: room for the rows they will read
# that the profile did not see is in its memory.
# Profiles are 1/8 of the batch; 2 of 8 nodes, 8 of 32 or more, are routed
# (the errors are in docs/benchmarks/flexshard.md, "Sampled profiles").
#
#   Benchmarks/flexshard-map.sh OUT [SVG_DIR]
#
# Each plan lands in OUT as AXIS_VALUE_dD.json (a rerun keeps those there);
# OUT/map.md has the tables, SVG_DIR the plots (strata plan-map).
set -euo pipefail
S=${STRATA:-.build/release/strata}
OUT=${1:?usage: Benchmarks/flexshard-map.sh OUT [SVG_DIR]}
SVG=${2:-}
CFG=Configs/flexshard-production.yaml
mkdir -p "$OUT"

# plan NAME RANKS [--set ...]: both dedup settings.
plan() {
    local name=$1 R=$2 nodes routed d
    shift 2
    nodes=$((R / 8))
    routed=$nodes
    if [ "$nodes" -ge 16 ]; then routed=8; elif [ "$nodes" -ge 4 ]; then routed=2; fi
    for d in 0 1; do
        [ -s "$OUT/${name}_d$d.json" ] && continue
        echo "flexshard-map: $name, dedup $d" >&2
        nice "$S" plan --config "$CFG" --ranks "$R" --routed-nodes "$routed" --set run.batch_size=$((2048 * R)) \
            --set run.steps=1000 --set sharding.profile_samples=$((256 * R)) --set sharding.dedup_ids=$([ $d = 1 ] && echo true || echo false) \
            "$@" --json "$OUT/${name}_d$d.json" > /dev/null
    done
}

# base NAME: the base point under another axis's name.
base() { for d in 0 1; do cp "$OUT/base_d$d.json" "$OUT/${1}_d$d.json"; done; }

plan base 64
for z in 0.8 1.0 1.2 1.5; do plan "skew_$z" 64 --set data.synthetic.zipf_exponent=$z; done
base skew_1.1
[ -s "$OUT/movielens.trace" ] || nice "$S" data profile --config Configs/movielens.yaml --out "$OUT/movielens.trace" >&2
plan skew_ml 64 --set data.synthetic.item_popularity="$OUT/movielens.trace:history_movie"
for h in 512 2048; do plan "history_$h" 64 --set data.synthetic.history_max_length=$h; done
base history_1024
for r in 8 16 256 1024; do plan "ranks_$r" "$r"; done
base ranks_64
# The budget binds where the run reads nearly every row (256 ranks): budgets
# against row_wise's memory there.
rowwise=$(python3 -c 'import json,sys; print(next(r["max_memory_bytes_per_rank"] for r in json.load(open(sys.argv[1])) if r["strategy"] == "row_wise"))' "$OUT/ranks_256_d0.json")
for f in 0.5 1.25 1.5 2; do
    plan "budget_$f" 256 --set sharding.memory_budget_bytes=$(python3 -c "print(int($f * $rowwise))")
done
for d in 0 1; do cp "$OUT/ranks_256_d$d.json" "$OUT/budget_1_d$d.json"; done
"$S" plan-map --dir "$OUT" ${SVG:+--svg-dir "$SVG"} > "$OUT/map.md"
cat "$OUT/map.md"
