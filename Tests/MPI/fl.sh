#!/usr/bin/env bash
# strata fl under real mpirun: the same seeded run gives the same model bytes on
# 1, 2 and 4 ranks; failures are recorded; federated evaluation equals the central
# eval over the same clients; device tiers come from YAML; FEL gives the same metrics on
# 1, 2 and 4 ranks; bad configs are refused by key (tier fields by file:line).
# Prints "fl: N passed, M failed" (Tests/MPI/run.sh adds it to its total).
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
S="$STRATA_BIN"
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/       | /' "$2" | tail -20; }
run_np() { local np="$1"; shift; timeout 120 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*"; }
tmp="$(mktemp -d)"
# Compared byte for byte across separate runs: the OpenBLAS kernels (auto times them per run).
SMALL="--set model.gemm=openblas --set rounds=4 --set clients_per_round=12 --set data.population=60 --set data.items=500 --set data.user_rows=100 --set eval.every=2 --set eval.clients=100 --set device.enabled=true --set failures.clients=[7,11,19,23,31,42]"

for np in 1 2 4; do
    if run_np $np "$S" fl --quiet $SMALL --set strategy.name=fedadam --run-dir "$tmp/r$np" --dump-model "$tmp/m$np.bin" >"$tmp/log$np" 2>&1
    then ok "fl, $np rank(s)"; else bad "fl, $np rank(s)" "$tmp/log$np"; fi
done
if cmp -s "$tmp/m1.bin" "$tmp/m2.bin" && cmp -s "$tmp/m1.bin" "$tmp/m4.bin" && [ -s "$tmp/m1.bin" ]
then ok "same final model bytes on 1, 2 and 4 ranks"; else bad "final models differ across world sizes"; fi
for f in rounds.jsonl summary.json eval_rounds.svg eval_time.svg; do
    [ -s "$tmp/r4/$f" ] || { bad "run folder lacks $f"; continue; }
done
[ "$(wc -l <"$tmp/r4/rounds.jsonl")" -eq 4 ] && ok "rounds.jsonl has a line a round" || bad "rounds.jsonl line count" "$tmp/r4/rounds.jsonl"
if python3 - "$tmp/r4" <<'PY'
import json, sys
d = sys.argv[1]
recs = [json.loads(l) for l in open(d + "/rounds.jsonl")]
fails = {f["client"] for r in recs for f in r["failures"]}
assert fails, "no injected failure was sampled"
assert all("injected failure" in f["reason"] for r in recs for f in r["failures"])
assert all(c not in r["participants"] for r in recs for c in (7, 11, 19, 23, 31, 42))
assert all(r["mpi_bytes"] > 0 and r["device_bytes"] > 0 for r in recs)
s = json.load(open(d + "/summary.json"))
assert s["world_size"] == 4 and s["failures"] == sum(len(r["failures"]) for r in recs)
PY
then ok "failures recorded and left out; bytes reported"; else bad "failure records or bytes"; fi

# FEL's leaves train on communicators of their own: 1 rank (the server trains
# them), 2 (one host for the three leaves), 4 (a host a leaf, oversubscribed).
# The FEL metrics and every round record but wall time and MPI bytes are the same.
FEL="--set mode=fel --set rounds=3 --set clients_per_round=12 --set data.population=200 --set data.items=300 --set data.user_rows=50 \
    --set eval.clients=100 --set eval.every=1 --set device.enabled=true --set fel.k=3 --set fel.over_rounds=2 --set fel.central_clients=100 --set fel.central_epochs=1"
for np in 1 2 4; do
    if run_np $np "$S" fl --quiet $FEL --run-dir "$tmp/fel$np" >"$tmp/fel$np.log" 2>&1 && grep -q '"routed_leaves"' "$tmp/fel$np/summary.json"
    then ok "fel, $np rank(s)"; else bad "fel, $np rank(s)" "$tmp/fel$np.log"; fi
done
if python3 - "$tmp/fel1" "$tmp/fel2" "$tmp/fel4" <<'PY'
import json, sys
def load(d):
    s = json.load(open(d + "/summary.json"))
    recs = [json.loads(l) for l in open(d + "/rounds.jsonl")]
    for r in recs:
        for k in ("wall_seconds", "mpi_bytes", "client_updates_per_second"): del r[k]
    return s, recs
(s1, r1), *rest = (load(d) for d in sys.argv[1:])
assert s1["fel"]["fel"] is not None and len([r for r in r1 if r["federation"].startswith("leaf")]) == 9
for s, r in rest:
    assert s["fel"] == s1["fel"], (s["fel"], s1["fel"])
    assert s["final_eval"] == s1["final_eval"] and r == r1
PY
then ok "fel: the same FEL metrics and rounds on 1, 2 and 4 ranks"; else bad "fel differs across world sizes"; fi
if run_np 2 "$S" fl --quiet --set mode=fel --set rounds=2 --set clients_per_round=12 --set data.population=200 --set data.items=300 \
    --set data.user_rows=50 --set eval.clients=100 --set fel.k=3 --set fel.over_rounds=2 --set fel.central_epochs=0 \
    --set fel.holdout_fraction=0.25 --run-dir "$tmp/felh" >"$tmp/felh.log" 2>&1 \
    && python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['fel']; assert f['holdout_fraction']==0.25 and f['fel']['count']>0" "$tmp/felh/summary.json"
then ok "fel with a held-out slice for the over-arch, 2 ranks"; else bad "fel with a held-out slice" "$tmp/felh.log"; fi

# Federated evaluation under real mpirun: every client scores its own test split on
# its host and returns sums; over all clients that equals the central eval (logloss
# and NE to 1e-9, AUC within the histogram's tie bound), per tier too, and the sums
# are the same on 1 and 2 ranks.
FE="--set rounds=2 --set clients_per_round=8 --set data.population=40 --set data.items=300 --set data.user_rows=50 --set eval.every=1 --set eval.clients=40 --set eval.federated_clients=40 --set device.enabled=true --set device.availability=2"
for np in 1 2; do
    run_np $np "$S" fl --quiet $FE --run-dir "$tmp/fe$np" >"$tmp/fe$np.log" 2>&1 || bad "federated eval, $np rank(s)" "$tmp/fe$np.log"
done
if python3 - "$tmp/fe1" "$tmp/fe2" <<'PY'
import json, sys
one, two = ([json.loads(l) for l in open(d + "/rounds.jsonl")] for d in sys.argv[1:3])
assert len(two) == 2
for r, r1 in zip(two, one):
    c, f = r["eval"], r["federated_eval"]
    q = f["quality"]
    assert q["count"] == c["count"] and abs(q["logloss"] - c["logloss"]) < 1e-9 and abs(q["ne"] - c["ne"]) < 1e-9, (q, c)
    assert abs(q["auc"] - c["auc"]) <= f["auc_tie_bound"] + 1e-12, (q["auc"], c["auc"], f["auc_tie_bound"])
    tiers = [g for g in r["eval_groups"] if g.startswith("tier:")]
    assert tiers and all(abs(f["groups"][g]["logloss"] - r["eval_groups"][g]["logloss"]) < 1e-9 for g in tiers)
    assert sorted(f["evaluated"]) == list(range(40)) and f["mpi_bytes"] > 0
    assert f["cost"]["forward_flops"] > 0 and f["cost"]["sim_seconds"] > 0 and 0 < f["cost"]["up_bytes"] < f["cost"]["down_bytes"]
    assert r1["federated_eval"]["quality"] == q and r1["federated_eval"]["groups"] == f["groups"]
s = json.load(open(sys.argv[2] + "/summary.json"))
assert s["final_federated_eval"] == two[-1]["federated_eval"]["quality"]
assert abs(s["federated_eval_cost"]["forward_flops"] - sum(r["federated_eval"]["cost"]["forward_flops"] for r in two)) < 1e-3
PY
then ok "federated eval equals central eval over all clients; same sums on 1 and 2 ranks"; else bad "federated eval against central eval"; fi

# Device tiers from YAML: the run uses exactly the file's tiers (eval groups by their
# names, central and federated); each bad field is refused naming file:line and key.
cat >"$tmp/tiers.yaml" <<'YAML'
rounds: 2
clients_per_round: 8
data: {population: 40, items: 300, user_rows: 50}
eval: {every: 2, clients: 40, federated_clients: 20}
device:
  enabled: true
  interference: 0.1
  tiers:
    - {name: tablet, share: 1, gflops: 30, down_mbps: 100, up_mbps: 40, train_watts: 6, net_watts: 1.5, idle_watts: 0.6, availability: 1}
    - name: watch
      share: 1
      gflops: 0.5
      down_mbps: 2
      up_mbps: 1
      train_watts: 0.5
      net_watts: 0.3
      idle_watts: 0.05
      availability: 1
YAML
if run_np 2 "$S" fl --quiet --config "$tmp/tiers.yaml" --run-dir "$tmp/tiers" >"$tmp/tiers.log" 2>&1 && python3 - "$tmp/tiers" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1] + "/rounds.jsonl")][-1]
want = ["tier:tablet", "tier:watch"]
assert sorted(g for g in r["eval_groups"] if g.startswith("tier:")) == want, r["eval_groups"].keys()
assert sorted(g for g in r["federated_eval"]["groups"] if g.startswith("tier:")) == want
PY
then ok "device.tiers from YAML, 2 ranks"; else bad "device.tiers from YAML" "$tmp/tiers.log"; fi
tier_refusal() {
    local name="$1" pattern="$2" edit="$3" rc=0
    sed "$edit" "$tmp/tiers.yaml" >"$tmp/bad-tiers.yaml"
    "$S" fl --quiet --config "$tmp/bad-tiers.yaml" --run-dir "$tmp/never" >"$tmp/bad.log" 2>&1 || rc=$?
    if [ "$rc" -eq 2 ] && grep -Eq "$pattern" "$tmp/bad.log"; then ok "$name"; else bad "$name (exit $rc)" "$tmp/bad.log"; fi
}
tier_refusal "tier: unknown field" "bad-tiers.yaml:9: unknown key 'device.tiers\[0\].gflop' \(did you mean 'gflops'\?\)" 's/gflops: 30,/gflop: 30,/'
tier_refusal "tier: missing field" "bad-tiers.yaml:9: device.tiers\[0\] lacks 'availability'" 's/, availability: 1}/}/'
tier_refusal "tier: not a number" "bad-tiers.yaml:12: device.tiers\[1\].gflops must be a number, got 'fast'" 's/gflops: 0.5/gflops: fast/'
tier_refusal "tier: out of range" "bad-tiers.yaml:9: device.tiers\[0\].availability must be .* at most 1.0, got 1.5" 's/availability: 1}/availability: 1.5}/'
tier_refusal "tier: repeated name" "bad-tiers.yaml:10: device.tiers\[1\].name 'tablet' is already" 's/name: watch/name: tablet/'
tier_refusal "tiers without the device model" "bad-tiers.yaml:9: device.tiers takes effect only with device.enabled: true" 's/  enabled: true/  enabled: false/'
tier_refusal "interference out of range" "bad-tiers.yaml:7: device.interference must be a finite number in 0...1, got 3" 's/interference: 0.1/interference: 3/'
tier_refusal "tiers not a list of maps" "bad-tiers.yaml:9: device.tiers\[0\] must be a map" '9,$d; 8a\    - 1'

# RF^2 fairness on 2 ranks: four tiered runs, fairness.json with rho per tier and the MDAC ratio.
if run_np 2 "$S" fl fairness --quiet --set data.population=120 --set data.items=300 --set data.user_rows=50 --set rounds=2 \
    --set clients_per_round=8 --set eval.clients=120 --set rf2.quant_bits=[2,0,0] --run-dir "$tmp/fair" >"$tmp/fair.log" 2>&1 \
    && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert len(r['random']['rho'])==3 and r['mdac_ratio']>=0" "$tmp/fair/fairness.json"
then ok "fl fairness, 2 ranks"; else bad "fl fairness, 2 ranks" "$tmp/fair.log"; fi

# HeteroFL on 1 and 2 ranks: the low and mid tiers train narrower top MLPs; the run is the same on both world sizes.
H="--quiet --set data.population=120 --set data.items=300 --set data.user_rows=50 --set rounds=3 --set clients_per_round=8 \
    --set eval.clients=120 --set tiers.mapping=dirichlet --set rf2.heterofl=[0.25,0.5,1] --set model.top=[16,8]"
if run_np 1 "$S" fl $H --run-dir "$tmp/het1" >"$tmp/het.log" 2>&1 && run_np 2 "$S" fl $H --run-dir "$tmp/het2" >>"$tmp/het.log" 2>&1 \
    && python3 - "$tmp/het1" "$tmp/het2" <<'PY'
import json, sys
a, b = (json.load(open(p + "/summary.json")) for p in sys.argv[1:3])
assert a["optimization"] == "heterofl(0.25/0.5/1.0)", a["optimization"]
assert a["tier_auc"] == b["tier_auc"] and all(x is not None for x in a["tier_auc"]), (a["tier_auc"], b["tier_auc"])
PY
then ok "HeteroFL: narrower tiers, the same run on 1 and 2 ranks"; else bad "HeteroFL on 1 and 2 ranks" "$tmp/het.log"; fi

# RF^2's reference features on MovieLens (no user id, a bag of the last 10 clicks): the same model bytes on 1 and 2 ranks.
ML="../shared/data/movielens"
if [ -f "$ML/ml-latest-small-ratings.csv" ]; then
    R="--quiet --set model.gemm=openblas --set data.source=movielens --set data.movielens_dir=$ML --set data.user_feature=false --set data.history_clicks=10 \
        --set rounds=3 --set clients_per_round=20 --set eval.clients=100"
    if run_np 1 "$S" fl $R --run-dir "$tmp/ref1" --dump-model "$tmp/ref1.bin" >"$tmp/ref.log" 2>&1 \
        && run_np 2 "$S" fl $R --run-dir "$tmp/ref2" --dump-model "$tmp/ref2.bin" >>"$tmp/ref.log" 2>&1 \
        && cmp -s "$tmp/ref1.bin" "$tmp/ref2.bin" && [ -s "$tmp/ref1.bin" ] \
        && grep -q "no user id, last 10 clicks" "$tmp/ref1/summary.json"
    then ok "MovieLens with RF^2's reference features: the same model bytes on 1 and 2 ranks"
    else bad "MovieLens reference features on 1 and 2 ranks" "$tmp/ref.log"; fi
else
    printf '  skip MovieLens reference features (%s absent)\n' "$ML"
fi

expect_refusal() {
    local name="$1" pattern="$2"; shift 2
    local rc=0
    run_np 2 "$S" fl --quiet "$@" --run-dir "$tmp/never" >"$tmp/bad.log" 2>&1 || rc=$?
    if [ "$rc" -eq 2 ] && grep -Eq "$pattern" "$tmp/bad.log"; then ok "$name"; else bad "$name (exit $rc)" "$tmp/bad.log"; fi
}
expect_refusal "K larger than the population" "clients_per_round: 50 is larger than the population of 40" --set data.population=40 --set clients_per_round=50
expect_refusal "unknown strategy" "strategy.name: unknown strategy 'fedsgd'" --set strategy.name=fedsgd
expect_refusal "fel k = 0" "fel.k must be an integer in 1...100000, got 0" --set mode=fel --set fel.k=0
expect_refusal "fel holdout of everything" "fel.holdout_fraction must be a finite number in 0...0.9, got 1" --set mode=fel --set fel.holdout_fraction=1
expect_refusal "unknown key" "unknown key 'client.learning_rate'" --set client.learning_rate=0.1
expect_refusal "history on the synthetic source" "data.history_clicks: applies to data.source movielens only" --set data.history_clicks=10
expect_refusal "HeteroFL width of 0" "rf2.heterofl must be a finite number above 0 and at most 1, got 0" --set tiers.mapping=random --set rf2.heterofl=[0,0.5,1]
expect_refusal "federated eval in mode fel" "eval.federated_clients: applies to mode fl only" --set mode=fel --set eval.federated_clients=5
expect_refusal "federated eval over more clients than exist" "eval.federated_clients: 50 is larger than the population of 40" --set data.population=40 --set eval.federated_clients=50
rm -rf "$tmp"
echo "fl: $passed passed, $failed failed"
