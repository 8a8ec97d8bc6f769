#!/usr/bin/env bash
# The ScaLAPACK engine of strata iae under real mpirun: its layouts, products
# and factorisations against plain arithmetic and LAPACK (strata-mpitest
# scalapack on 1-4 ranks, grids 1x1, 1x2, 1x3, 2x2), then whole ∞-AE runs on
# a generated interactions file: iae.engine=scalapack on 1, 2, 4 ranks gives
# the replicated run's λ and metrics, auto moves to ScaLAPACK when only the
# grid fits the budget, and a budget no grid meets is refused with both needs.
# Run by Tests/MPI/run.sh (or alone); ends with "scalapack: N passed, M failed".
source "$(dirname "$0")/suite.sh"
S="$STRATA_BIN"
T="$STRATA_ROOT/.build/release/strata-mpitest"

echo "ScaLAPACK: redistribution (with the ledger's bytes), pdgemm, pdpotrf/pdpotrs, pdsyevd, kernel regression"
for np in 1 2 3 4; do
    if run "$np" "$T" scalapack; then ok "strata-mpitest scalapack, $np rank(s): $(grep -o '[0-9]* passed' "$W/out")"; else bad "strata-mpitest scalapack, $np rank(s)" "$W/out"; fi
done

echo "strata iae on the ScaLAPACK engine equals the replicated engine"
# 300 users x 120 items, a few interactions each, with shared structure.
python3 - "$W/i.csv" <<'PY'
import random, sys
r = random.Random(11)
with open(sys.argv[1], "w") as f:
    f.write("user,item\n")
    for u in range(300):
        items = {(u * 7 + k * 13) % 120 for k in range(4)} | {r.randrange(120) for _ in range(r.randrange(4, 20))}
        for i in sorted(items):
            f.write(f"{u},{i}\n")
PY
K="--quiet --set data.path=$W/i.csv --set iae.lambdas=[0.1,1,5] --set iae.grid_block=16"
run 1 "$S" iae $K --set iae.engine=replicated --run-dir "$W/rep" || bad "iae, replicated, 1 rank" "$W/out"
same() { python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(p + "/summary.json"))["iae"] for p in sys.argv[1:3])
assert a["chosen_lambda"] == b["chosen_lambda"], (a["chosen_lambda"], b["chosen_lambda"])
for f in ("hit_rate", "ndcg", "psp"):
    for u, v in zip(a["test"][f], b["test"][f]):
        assert abs(u - v) <= 1e-9 * max(1, abs(u)), (f, u, v)
assert abs(a["test"]["auc"] - b["test"]["auc"]) <= 1e-9
assert b["engine"].startswith(sys.argv[3]), b["engine"]
PY
}
for np in 1 2 4; do
    for solver in eigen cholesky; do
        if run "$np" "$S" iae $K --set iae.engine=scalapack --set iae.solver=$solver --run-dir "$W/sl$np$solver" \
            && same "$W/rep" "$W/sl$np$solver" scalapack 2>"$W/err"; then
            ok "iae, scalapack ($solver), $np rank(s): $(python3 -c "import json;print(json.load(open('$W/sl$np$solver/summary.json'))['iae']['engine'])"), same λ and metrics"
        else bad "iae, scalapack ($solver), $np rank(s)" "$W/out"; [ -s "$W/err" ] && sed 's/^/       | /' "$W/err" | tail -3; fi
    done
done
# The replicated eigen path needs about 4 MiB here and a rank of 2 x 2 about 2: a 3 MiB budget fits only the grid.
if run 4 "$S" iae $K --set iae.memory_budget_mib=3 --run-dir "$W/auto" && same "$W/rep" "$W/auto" "scalapack 2 x 2" 2>"$W/err"; then
    ok "iae, auto: over the replicated budget, the 2 x 2 grid is chosen and gives the same metrics"
else bad "iae, auto with a budget only the grid meets" "$W/out"; [ -s "$W/err" ] && sed 's/^/       | /' "$W/err" | tail -3; fi
if run 4 "$S" iae $K --set iae.memory_budget_mib=1 --run-dir "$W/never"; then bad "iae, a budget no grid meets: exited 0" "$W/out"
elif grep -Eq "needs [0-9]+ MiB on one rank replicated, and [0-9]+ MiB a rank on ScaLAPACK's 2 x 2 grid of these 4 ranks, over the budget of 1 MiB on any grid" "$W/out"; then
    ok "iae, a budget no grid meets: refused with both needs"
else bad "iae, a budget no grid meets: message" "$W/out"; fi

echo "scalapack: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
