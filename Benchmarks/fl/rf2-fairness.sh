#!/usr/bin/env bash
# RF^2's fairness table: every tier-aware optimization against none, under the
# random and the dirichlet tier mappings, on one source, in the RF^2 reference
# setup (K = 100 a round, each client once per epoch, full-batch local SGD at lr 1.0, one epoch, server
# Adagrad at 0.1). One `strata fl fairness` per optimization; prints a table row
# per (optimization, mapping) and the MDAC ratio.
#   bash Benchmarks/fl/rf2-fairness.sh OUT_DIR ROUNDS [--set ...source keys...]
# e.g. MovieLens:  ... runs/rf2-ml 180 --set data.source=movielens --set data.movielens_dir=../shared/data/movielens
#      (RF^2's reference features: add --set data.user_feature=false --set data.history_clicks=10)
#      synthetic:  ... runs/rf2-syn 100 --set data.population=2000 --set data.samples_per_client=64
# docs/benchmarks/hetero.md quotes its output.
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
out="$1" rounds="$2"; shift 2
mkdir -p "$out"
common=(--quiet --set rounds="$rounds" --set clients_per_round=100 --set sampling=epoch --set client.batch=0 --set client.lr=1.0 --set client.epochs=1
        --set strategy.name=fedadagrad --set strategy.eta=0.1 --set eval.every="$rounds" --set eval.clients=100000 "$@")
for opt in "exclude_low rf2.exclude_low=true" "over_select rf2.over_select=0.3" "prune rf2.prune=[0.5,0.25,0]" \
           "quant rf2.quant_bits=[2,4,0]" "heterofl rf2.heterofl=[0.25,0.5,1]"; do
    set -- $opt
    mpi_run 2 "$STRATA_BIN" fl fairness "${common[@]}" --set "$2" --run-dir "$out/$1" >"$out/$1.log" 2>&1 \
        || { echo "$1: failed (see $out/$1.log)"; continue; }
    python3 - "$out/$1/fairness.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for m in ("random", "dirichlet"):
    s = r[m]
    f = lambda xs, fmt: "/".join(fmt % x for x in xs)
    print(f"| {sys.argv[2]} | {m} | {f(s['baseline_auc'], '%.4f')} | {f(s['optimized_auc'], '%.4f')} | {f(s['rho'], '%+.4f')} | {s['mdac']:.4f} |"
          + (f" {r['mdac_ratio']:.2f}x |" if m == "dirichlet" else " |"))
PY
done
