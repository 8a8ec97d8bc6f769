#!/usr/bin/env bash
# Multi-rank tests: real mpirun with 1, 2 and 4 ranks (4 oversubscribed on 2
# cores), driven by Launch/test. Prints "mpi: N passed, M failed" at the end.
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
T="$STRATA_ROOT/.build/release/strata-mpitest"
S="$STRATA_BIN"
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/       | /' "$2" | tail -20; }

# part TITLE: starts a timed part of the suite; the previous part's wall time
# is printed when it ends, and every part's at the end, slowest first.
part_title=""; part_start=$SECONDS; suite_start=$SECONDS; part_times=()
end_part() {
    [ -n "$part_title" ] || return 0
    local s=$((SECONDS - part_start))
    printf '  (%d s)\n' "$s"
    part_times+=("$(printf '%6d s  %s' "$s" "$part_title")")
    part_title=""
}
part() { end_part; part_title="$1"; part_start=$SECONDS; echo "$1"; }

# sub_suite SCRIPT TAG SECONDS: runs Tests/MPI/SCRIPT, which ends with
# "TAG: N passed, M failed"; its counts join ours.
sub_suite() {
    local script="$1" tag="$2" seconds="$3" out line p f
    out="$(mktemp)"
    timeout "$seconds" bash "$STRATA_ROOT/Tests/MPI/$script" 2>&1 | tee "$out" || true
    if line="$(grep -E "^$tag: [0-9]+ passed, [0-9]+ failed\$" "$out")"; then
        read -r _ p _ f _ <<<"$line"
        passed=$((passed + p)); failed=$((failed + f))
    else
        bad "Tests/MPI/$script ended without its summary line (timeout or crash)"
    fi
    rm -f "$out"
}

# expect_pass NAME NP ARGS...: the command exits 0.
expect_pass() {
    local name="$1" np="$2"; shift 2
    local out; out="$(mktemp)"
    if timeout 300 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*" >"$out" 2>&1; then ok "$name"; else bad "$name" "$out"; fi
    rm -f "$out"
}

# expect_fail NAME NP PATTERN SECONDS ARGS...: exits non-zero within SECONDS
# and prints PATTERN (an extended regex).
expect_fail() {
    local name="$1" np="$2" pattern="$3" limit="$4"; shift 4
    local out; out="$(mktemp)"
    local start=$SECONDS rc=0
    timeout "$limit" bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*" >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then bad "$name: exited 0" "$out"
    elif [ "$rc" -eq 124 ]; then bad "$name: still running after ${limit}s (hang)" "$out"
    elif ! grep -Eq "$pattern" "$out"; then bad "$name: no line matching /$pattern/" "$out"
    else ok "$name (exit $rc in $((SECONDS - start))s)"; fi
    rm -f "$out"
}

# expect_refusal ...: expect_fail for bad input. Once a rank exits non-zero,
# mpirun waits odls_base_sigkill_timeout (1 s) before it kills the rest and
# ends 1 to 2 s late; a refusal is said by rank 0 before it exits (or before
# MPI_Finalize, which the others must enter too), so that wait tests nothing
# here. Failure-propagation, watchdog and SIGTERM checks keep it.
expect_refusal() { OMPI_MCA_odls_base_sigkill_timeout=0 expect_fail "$@"; }

part "collectives and ledger"
expect_pass "comm, 1 rank" 1 "$T" comm
expect_pass "comm, 2 ranks" 2 "$T" comm
expect_pass "comm, 4 ranks oversubscribed" 4 "$T" comm
expect_pass "comm, 4 ranks as 2 emulated nodes of 2" 4 "$T" comm --ranks-per-node 2

part "sharded training equals one process (every plan, dedup on and off)"
expect_pass "equivalence, 2 ranks" 2 "$T" equivalence
expect_pass "equivalence, 4 ranks oversubscribed" 4 "$T" equivalence
expect_pass "equivalence, 4 ranks as 2 emulated nodes of 2" 4 "$T" equivalence --ranks-per-node 2
expect_pass "equivalence with dedup_ids, 2 ranks" 2 "$T" equivalence --dedup-ids
expect_pass "equivalence with dedup_ids, 4 ranks oversubscribed" 4 "$T" equivalence --dedup-ids
expect_pass "equivalence with dedup_ids, 4 ranks as 2 emulated nodes of 2" 4 "$T" equivalence --ranks-per-node 2 --dedup-ids

part "16-bit rows and payloads: sharded equals one process, ledger halved"
expect_pass "mixed precision, 2 ranks" 2 "$T" mixed
expect_pass "mixed precision, 4 ranks as 2 emulated nodes of 2" 4 "$T" mixed --ranks-per-node 2

part "failures end the job, naming the rank"
expect_fail "rank 2 of 4 throws" 4 "rank 2: error: deliberate failure" 30 "$T" fail-throw 2
expect_fail "rank 2 of 4 alone meets bad input" 4 "rank 2: error: deliberate bad input" 30 "$T" fail-input 2
expect_fail "every rank meets bad input: one line from rank 0" 4 "^strata: error: deliberate bad input" 30 "$T" fail-input all
expect_fail "rank 1 of 4 is killed" 4 "rank 1 .*(signal 9|Killed)" 30 "$T" fail-kill 1

part "checkpoints, resume, failures and bad input (Tests/MPI/reliability.sh)"
sub_suite reliability.sh reliability 900

part "input hardening: ranges, messages, empty splits, serve's bind and drain (Tests/MPI/hardening.sh)"
sub_suite hardening.sh hardening 900

part "long-run metric parity (docs/RELIABILITY.md): 4,000 steps on 1 and 4 ranks"
lp="$(mktemp -d)"
for np in 1 4; do
    expect_pass "quickstart, 4000 steps, $np rank(s)" "$np" "$S" train --config Configs/quickstart.yaml --quiet --run-dir "$lp/n$np"
done
if python3 - "$lp/n1/summary.json" "$lp/n4/summary.json" >"$lp/err" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p))["metrics"] for p in sys.argv[1:])
assert a["eval_samples"] == b["eval_samples"] > 0
assert abs(a["eval_auc"] - b["eval_auc"]) < 1e-3, (a["eval_auc"], b["eval_auc"])
assert abs(a["eval_logloss"] - b["eval_logloss"]) < 2e-3 * a["eval_logloss"], (a["eval_logloss"], b["eval_logloss"])
PY
then ok "4 ranks end within 0.001 AUC and 0.2 % logloss of 1 rank"; else bad "long-run metrics differ across world sizes" "$lp/err"; fi
part "quickstart's own config (attention encoder, dense Adagrad), 40 steps: 2 and 4 ranks equal 1 rank"
qs="$(mktemp -d)"
for np in 1 2 4; do
    expect_pass "quickstart, 40 steps, $np rank(s)" "$np" "$S" train --config Configs/quickstart.yaml --quiet --set run.steps=40 --run-dir "$qs/n$np"
done
for np in 2 4; do
    if python3 - "$qs/n1/summary.json" "$qs/n$np/summary.json" >"$qs/err" 2>&1 <<'PY'
import json, sys
a, b = (json.load(open(p))["metrics"] for p in sys.argv[1:])
assert a["eval_samples"] == b["eval_samples"] == 20000, (a["eval_samples"], b["eval_samples"])
for k in ("eval_auc", "eval_logloss", "train_logloss"):
    assert abs(a[k] - b[k]) <= 1e-6 * abs(a[k]), (k, a[k], b[k], abs(a[k] - b[k]) / abs(a[k]))
PY
    then ok "quickstart: $np ranks equal 1 rank (eval AUC, eval and train logloss to 1e-6)"; else bad "quickstart: $np ranks differ from 1 rank" "$qs/err"; fi
done
rm -rf "$qs"
rm -rf "$lp"

part "MovieLens held-out users with the history's counts (dense_count 6): 2 and 4 ranks equal 1 rank"
ML="$STRATA_ROOT/../shared/data/movielens/ml-latest-small-ratings.csv"
if [ -f "$ML" ]; then
    mp="$(mktemp -d)"
    MA="--config Configs/movielens.yaml --quiet --set data.movielens.split=users --set data.movielens.dense_count=6 --set model.exclude_features=[user] --set run.steps=300 --set run.eval_every=300"
    for np in 1 2 4; do expect_pass "movielens users split, dense_count 6, $np rank(s)" "$np" "$S" train $MA --run-dir "$mp/n$np"; done
    # Dense SGD: the sharded run is the one-process run to float re-association.
    for np in 1 2 4; do expect_pass "movielens users split, dense SGD, $np rank(s)" "$np" "$S" train $MA --set optimizer.dense=sgd --run-dir "$mp/s$np"; done
    # close A B TOL [MIN_AUC]: eval AUC, GAUC and logloss of two runs within TOL relative.
    close() { python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(p + "/summary.json"))["metrics"] for p in sys.argv[1:3])
tol = float(sys.argv[3])
assert a["eval_samples"] == b["eval_samples"] > 10000, (a["eval_samples"], b["eval_samples"])
if len(sys.argv) > 4: assert a["eval_auc"] > float(sys.argv[4]), a["eval_auc"]   # the history carries them: 0.70 without it
for k in ("eval_auc", "eval_gauc", "eval_logloss"):
    assert abs(a[k] - b[k]) <= tol * abs(a[k]), (k, a[k], b[k])
PY
    }
    for np in 2 4; do
        if close "$mp/s1" "$mp/s$np" 1e-6 >"$mp/err" 2>&1; then ok "movielens, dense SGD: $np ranks equal 1 rank (AUC, GAUC, logloss to 1e-6)"
        else bad "movielens, dense SGD: $np ranks differ from 1 rank" "$mp/err"; fi
    done
    # Dense Adagrad (the config's own): 4 ranks equal 2 to 1e-5; 1 rank is
    # held to 1e-3 only. On some CPUs' OpenBLAS kernels one sample's ReLU
    # input lands on the other side of zero in the 1-rank run, and Adagrad's
    # per-element steps carry that to ~2.5e-4 of eval AUC (docs/RELIABILITY.md,
    # "One rank against many"); dense SGD above holds 1e-6 on the same data.
    if close "$mp/n2" "$mp/n4" 1e-5 0.74 >"$mp/err" 2>&1; then ok "movielens: 4 ranks equal 2 ranks (AUC, GAUC, logloss to 1e-5; AUC above 0.74)"
    else bad "movielens: 4 ranks differ from 2 ranks" "$mp/err"; fi
    if close "$mp/n1" "$mp/n2" 1e-3 0.74 >"$mp/err" 2>&1; then ok "movielens: 1 rank within 1e-3 of 2 ranks (dense Adagrad)"
    else bad "movielens: 1 rank differs from 2 ranks beyond 1e-3" "$mp/err"; fi
    rm -rf "$mp"
else
    echo "  skip: $ML is absent"
fi

part "a rank that stops responding ends the job (Tests/MPI/watchdog.sh)"
sub_suite watchdog.sh watchdog 600

part "strata bench comm"
expect_pass "bench comm, 4 ranks, ledger exact" 4 "$S" bench comm --max-bytes 65536 --reps 3 --ranks-per-node 2
expect_refusal "bench comm, ranks_per_node 3 on 4 ranks" 4 "ranks_per_node = 3 does not divide the world size 4" 30 "$S" bench comm --ranks-per-node 3
expect_refusal "bench comm, negative size" 1 "min-bytes must be at least 4" 30 "$S" bench comm --min-bytes=-5
expect_refusal "unknown subcommand" 1 "Unexpected argument|unknown" 30 "$S" frobnicate

part "strata train and strata data on real data"
CSV="$STRATA_ROOT/../shared/data/criteo/criteo_sample.csv"
if [ -f "$CSV" ]; then
    tmp="$(mktemp -d)"
    # The sample as real Criteo lines (tab-separated, no header); line 5 malformed.
    tail -n +2 "$CSV" | tr ',' '\t' >"$tmp/good.tsv"
    awk 'NR == 5 { print "1\tnot\tenough"; next } { print }' "$tmp/good.tsv" >"$tmp/bad.tsv"
    CR="--set data.source=criteo --set data.criteo_rows_per_table=1000 --set run.batch_size=36 --set run.steps=10 --set run.log_every=5"
    expect_pass "train on Criteo CSV, 2 ranks" 2 "$S" train --quiet $CR --set data.path="$CSV" --run-dir "$tmp/csv"
    expect_pass "train on Criteo TSV, 2 ranks" 2 "$S" train --quiet $CR --set data.path="$tmp/good.tsv" --run-dir "$tmp/tsv"
    if python3 -c "import json,sys; a,b=(json.load(open(p+'/summary.json'))['metrics'] for p in sys.argv[1:]); sys.exit(0 if (a['eval_auc'],a['eval_logloss'],a['train_logloss'])==(b['eval_auc'],b['eval_logloss'],b['train_logloss']) else 1)" "$tmp/csv" "$tmp/tsv" 2>/dev/null
    then ok "Criteo CSV and TSV give identical metrics"; else bad "Criteo CSV and TSV metrics differ"; fi
    expect_refusal "malformed Criteo line names file:line" 2 "bad.tsv:5: expected 40 fields" 60 "$S" train --quiet $CR --set data.path="$tmp/bad.tsv" --run-dir "$tmp/bad"
    expect_pass "skip_bad_lines trains" 2 "$S" train --quiet $CR --set data.path="$tmp/bad.tsv" --set data.skip_bad_lines=true --run-dir "$tmp/skip"
    if grep -q '"bad_lines" : 1' "$tmp/skip/summary.json" 2>/dev/null; then ok "summary.json counts 1 bad line"; else bad "summary.json bad_lines is not 1" "$tmp/skip/summary.json"; fi
    expect_pass "data convert criteo to binary" 1 "$S" data convert --config Configs/quickstart.yaml $CR --set data.path="$CSV" --out "$tmp/bin"
    expect_pass "train on the converted binary" 2 "$S" train --quiet $CR --set data.source=binary --set data.path="$tmp/bin/train.strata" --set data.eval_path="$tmp/bin/eval.strata" --run-dir "$tmp/binrun"
    if python3 -c "import json,sys; a,b=(json.load(open(p+'/summary.json'))['metrics'] for p in sys.argv[1:]); sys.exit(0 if a['eval_auc']==b['eval_auc'] and a['train_logloss']==b['train_logloss'] else 1)" "$tmp/csv" "$tmp/binrun" 2>/dev/null
    then ok "binary conversion trains like the CSV"; else bad "binary run differs from the CSV run"; fi
    expect_pass "data stats on the converted files" 1 "$S" data stats "$tmp/bin/train.strata" "$tmp/bin/eval.strata"
    rm -rf "$tmp"
else
    echo "  skip: $CSV is absent"
fi
expect_refusal "data synth refuses a non-synthetic config" 1 "synth writes synthetic data" 30 "$S" data synth --config Configs/movielens.yaml --out /tmp/strata-never
expect_refusal "data stats on a non-binary file" 1 "not a Strata data file|truncated" 30 "$S" data stats Configs/quickstart.yaml
part "strata sweep: coordinator plus two worker groups of one"
# value_of FILE KEY: a number from a pretty-printed JSON file.
value_of() { sed -n "s/^ *\"$2\" : \([-0-9.e]*\),\{0,1\}$/\1/p" "$1" | head -1; }
sweep_dir="$(mktemp -d)"
expect_pass "sweep, 3 ranks, one bad point" 3 "$S" sweep --config Tests/MPI/sweep-tiny.yaml --out "$sweep_dir/out" --quiet
check_sweep() {
    local d="$sweep_dir/out" f
    for f in runs.csv fits.json sweep.json plot-data.svg plot-dim.svg plot-compute.svg; do
        [ -s "$d/$f" ] || { echo "missing $f"; return 1; }
    done
    [ "$(wc -l <"$d/runs.csv")" -eq 17 ] || { echo "runs.csv: expected 16 rows"; cat "$d/runs.csv"; return 1; }
    [ "$(grep -c ',done,' "$d/runs.csv")" -eq 14 ] || { echo "expected 14 done"; cat "$d/runs.csv"; return 1; }
    grep -q '^[0-9]*,data=20_seed=1,failed,.*fewer than run.batch_size' "$d/runs.csv" || { echo "data=20 not failed"; cat "$d/runs.csv"; return 1; }
    grep -q '"held_out_error"' "$d/fits.json" || { echo "fits.json lacks held_out_error"; return 1; }
    # Each point equals the same config trained alone on one rank.
    local point samples seed dim args
    for point in data=400_seed=2 dim=8_seed=1; do
        samples=400; seed=1; args=()
        case "$point" in data=*) samples="${point#data=}"; samples="${samples%%_*}" ;; esac
        case "$point" in *seed=2) seed=2 ;; esac
        case "$point" in dim=8*) args=(--set model.embedding_dim=8 --set "model.bottom=[8,8]") ;; esac
        mpi_run 1 "$S" train --config Tests/MPI/sweep-tiny-base.yaml --set data.synthetic.samples="$samples" \
            --set run.seed="$seed" "${args[@]}" --run-dir "$sweep_dir/alone-$point" --quiet || return 1
        local a b
        a="$(value_of "$d/runs/$point/summary.json" eval_logloss)"
        b="$(value_of "$sweep_dir/alone-$point/summary.json" eval_logloss)"
        [ -n "$a" ] && [ "$a" = "$b" ] || { echo "$point: sweep eval_logloss '$a' != alone '$b'"; return 1; }
    done
    # --resume keeps the 14 done points and retries only the 2 failed ones.
    mpi_run 3 "$S" sweep --config Tests/MPI/sweep-tiny.yaml --out "$d" --resume >"$sweep_dir/resume.log" 2>&1 || return 1
    grep -q '2 to run, 14 kept' "$sweep_dir/resume.log" || { echo "resume did not keep the 14 done points (and retry the 2 failed)"; cat "$sweep_dir/resume.log"; return 1; }
}
out_check="$(mktemp)"
if (source "$STRATA_ROOT/Launch/common.sh"; check_sweep) >"$out_check" 2>&1; then ok "sweep outputs, failed point, equal to training alone, resume"
else bad "sweep outputs, failed point, equal to training alone, resume" "$out_check"; fi
rm -rf "$sweep_dir" "$out_check"
expect_refusal "sweep, misspelt axis key" 3 "sweep-bad.yaml:[0-9]+: unknown axis key 'model.embeding_dim' \\(did you mean 'model.embedding_dim'" 30 \
    "$S" sweep --config Tests/MPI/sweep-bad.yaml --out /tmp/strata-sweep-never
expect_refusal "sweep, misspelt axis key, rank 0 the last to read it" 3 "sweep-bad.yaml:[0-9]+: unknown axis key 'model.embeding_dim'" 30 \
    sh Tests/MPI/rank0-late.sh "$S" sweep --config Tests/MPI/sweep-bad.yaml --out /tmp/strata-sweep-never
expect_refusal "sweep, group size does not divide" 4 "group_size 2 does not divide the 3 worker ranks" 30 \
    "$S" sweep --config Tests/MPI/sweep-tiny-groups2.yaml --out /tmp/strata-sweep-never2

part "strata iae and strata distill (∞-AE, Distill-CF): 1, 2 and 4 ranks equal one process"
ML="$STRATA_ROOT/../shared/data/movielens/ml-latest-small-ratings.csv"
if [ -f "$ML" ]; then
    kr="$(mktemp -d)"
    head -20001 "$ML" >"$kr/ratings.csv"
    for np in 1 2 4; do
        expect_pass "iae, $np rank(s)" "$np" "$S" iae --quiet --set data.path="$kr/ratings.csv" --set iae.lambdas=[0.1,1,5] --run-dir "$kr/iae$np"
    done
    expect_pass "iae, the eigendecomposition, 2 ranks" 2 "$S" iae --quiet --set data.path="$kr/ratings.csv" --set iae.lambdas=[0.1,1,5] --set iae.solver=eigen --run-dir "$kr/eigen"
    # same_metrics A B [KEY]: test metrics (and the chosen λ) equal to 1e-9 relative, AUC to 1e-6.
    same_metrics() { python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(p + "/summary.json")) for p in sys.argv[1:3])
key = sys.argv[3] if len(sys.argv) > 3 else "iae"
x, y = a[key], b[key]
assert x["chosen_lambda"] == y["chosen_lambda"], (x["chosen_lambda"], y["chosen_lambda"])
for f in ("hit_rate", "ndcg", "psp"):
    for u, v in zip(x["test"][f], y["test"][f]):
        assert abs(u - v) <= 1e-9 * max(1, abs(u)), (f, u, v)
# AUC counts pairs: another engine's or solver's rounding may order one near-tie
# of scores the other way, one pair in millions (measured: 3.5e-8).
assert abs(x["test"]["auc"] - y["test"]["auc"]) <= 1e-6, (x["test"]["auc"], y["test"]["auc"])
PY
    }
    for np in 2 4; do
        if same_metrics "$kr/iae1" "$kr/iae$np" 2>"$kr/err"; then ok "iae: $np ranks equal 1 rank (λ, HR, nDCG, PSP, AUC)"; else bad "iae: $np ranks differ from 1 rank" "$kr/err"; fi
    done
    if same_metrics "$kr/iae1" "$kr/eigen" 2>"$kr/err"; then ok "iae: the one eigendecomposition equals Cholesky per λ (auto's choice for 3 λ)"; else bad "iae: eigen differs from Cholesky" "$kr/err"; fi
    DS="--set distill.sizes=[5] --set distill.steps=6 --set distill.draws=20 --set distill.eval_every=3 --set iae.lambdas=[0.1,1] --set data.path=$kr/ratings.csv"
    expect_pass "distill, 1 rank" 1 "$S" distill --quiet $DS --run-dir "$kr/d1"
    expect_pass "distill, 2 ranks" 2 "$S" distill --quiet $DS --run-dir "$kr/d2"
    if cmp -s "$kr/d1/summary-5.csv" "$kr/d2/summary-5.csv" && [ -s "$kr/d1/distill-curve.svg" ] && [ "$(wc -l <"$kr/d2/distill.jsonl")" -eq 6 ]; then
        ok "distill: 2 ranks write the same summary; curve and 6 step lines"
    else bad "distill: summaries differ across world sizes or files missing"; fi
    expect_pass "iae trains on the distilled summary" 2 "$S" iae --quiet --set data.path="$kr/ratings.csv" --set data.fit_path="$kr/d1/summary-5.csv" --set iae.lambdas=[0.1,1] --run-dir "$kr/fit"
    printf 'userId,movieId,rating\n1,2,4\n1,3\n' >"$kr/bad.csv"
    expect_refusal "iae: malformed CSV names file:line" 2 "bad.csv:3: expected 3 fields, got 2" 30 "$S" iae --quiet --set data.path="$kr/bad.csv" --run-dir "$kr/never1"
    expect_refusal "iae: kernel over the memory budget" 2 "over the budget of 1 MiB" 30 "$S" iae --quiet --set data.path="$kr/ratings.csv" --set iae.memory_budget_mib=1 --run-dir "$kr/never2"
    expect_refusal "iae: misspelt key" 1 "unknown key 'iae.lambda' \\(did you mean 'iae.lambdas'" 30 "$S" iae --quiet --set iae.lambda=1
    rm -rf "$kr"
else
    echo "  skip: $ML is absent"
fi

part "serving a checkpoint written by mpirun (strata serve, loadgen, SIGTERM)"
# 2 ranks train and checkpoint; one process merges both ranks' shards and
# serves them; loadgen's requests are all answered; SIGTERM exits 0; a
# budget below the model's size is refused with its size (exit 2).
check_serve() {
    local d; d="$(mktemp -d)"
    mpi_run 2 "$S" train --quiet --config Configs/quickstart.yaml --set run.steps=20 --set data.synthetic.samples=20000 \
        --set run.eval_every=0 --run-dir "$d/run" >"$d/train.log" 2>&1 || { cat "$d/train.log"; return 1; }
    "$S" serve run --run "$d/run" --port 0 --port-file "$d/port" >"$d/serve.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.2; done
    [ -s "$d/port" ] || { echo "no port"; cat "$d/serve.log"; kill "$pid"; return 1; }
    "$S" loadgen --run "$d/run" --port "$(cat "$d/port")" --rate 20 --requests 30 --sizes normal --out "$d/load" >"$d/load.log" 2>&1 \
        || { cat "$d/load.log"; kill "$pid"; return 1; }
    grep -Eq "sent 30 ok 30 shed 0 failed 0" "$d/load.log" || { cat "$d/load.log"; kill "$pid"; return 1; }
    kill -TERM "$pid"; wait "$pid" || { echo "serve exited non-zero after SIGTERM"; cat "$d/serve.log"; return 1; }
    grep -q "stopped" "$d/serve.log" || { cat "$d/serve.log"; return 1; }
    local rc=0
    "$S" serve run --run "$d/run" --memory-budget-bytes 1000 --port 0 >"$d/budget.log" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] && grep -q "memory budget is 1000" "$d/budget.log" || { echo "budget: exit $rc"; cat "$d/budget.log"; return 1; }
    rm -rf "$d"
}
out_check="$(mktemp)"
if (source "$STRATA_ROOT/Launch/common.sh"; check_serve) >"$out_check" 2>&1; then ok "serve a 2-rank checkpoint: 30 of 30 answered, SIGTERM exits 0, over budget refused"
else bad "serve a 2-rank checkpoint" "$out_check"; fi
rm -f "$out_check"

# strata hands serve and loadgen over to its sibling binary strata-serve:
# both listed in `strata --help`, the sibling's whole help through strata,
# and without the sibling one sentence saying how to build it (exit 2).
check_handover() {
    local d; d="$(mktemp -d)"
    "$S" --help >"$d/help" 2>&1
    grep -Eq '^ +serve ' "$d/help" && grep -Eq '^ +loadgen ' "$d/help" || { echo "strata --help lacks serve or loadgen"; cat "$d/help"; return 1; }
    "$S" serve run --help 2>&1 | grep -q -- '--port-file' || { echo "strata serve run --help lacks --port-file"; return 1; }
    "$S" help loadgen 2>&1 | grep -q -- '--bound-ms' || { echo "strata help loadgen lacks --bound-ms"; return 1; }
    cp "$S" "$d/strata"
    local rc=0
    "$d/strata" serve --workload rmc1 >"$d/out" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$d/out")" -eq 1 ] && grep -q "swift build -c release --product strata-serve" "$d/out" \
        || { echo "without strata-serve: exit $rc"; cat "$d/out"; return 1; }
    rm -rf "$d"
}
out_check="$(mktemp)"
if check_handover >"$out_check" 2>&1; then ok "strata serve and loadgen: listed, full help from strata-serve, a missing strata-serve named (exit 2)"
else bad "strata serve and loadgen hand-over" "$out_check"; fi
rm -f "$out_check"

part "strata evolve: GEVO generations spread over worker ranks"
evolve_dir="$(mktemp -d)"
for np in 1 2 4; do
    expect_pass "evolve, $np rank(s), seeded, deterministic measure" $np "$S" evolve --config Tests/MPI/evolve-tiny.yaml --out "$evolve_dir/np$np" --quiet
done
check_evolve() {
    local f np
    for np in 2 4; do
        for f in evaluations.jsonl pareto.jsonl; do
            cmp "$evolve_dir/np1/$f" "$evolve_dir/np$np/$f" || { echo "$f differs between 1 and $np ranks"; return 1; }
        done
    done
    for f in config.json original.ll best.ll summary.json runtime.svg; do
        [ -s "$evolve_dir/np4/$f" ] || { echo "missing $f"; return 1; }
    done
    [ "$(wc -l <"$evolve_dir/np4/pareto.jsonl")" -eq 3 ] || { echo "pareto.jsonl: expected generations 0..2"; return 1; }
    grep -q '"valid":false' "$evolve_dir/np4/evaluations.jsonl" || { echo "expected some invalid variants"; return 1; }
    grep -q '"ranks" : 4' "$evolve_dir/np4/summary.json" || { echo "summary.json: ranks"; return 1; }
}
out_check="$(mktemp)"
if check_evolve >"$out_check" 2>&1; then ok "evolve, the same genomes and fronts on 1, 2 and 4 ranks"
else bad "evolve, the same genomes and fronts on 1, 2 and 4 ranks" "$out_check"; fi
rm -rf "$evolve_dir" "$out_check"
expect_refusal "evolve, misspelt key" 1 "evolve-bad.yaml:3: unknown key 'kernal_typo'" 30 \
    "$S" evolve --config Tests/MPI/evolve-bad.yaml --out /tmp/strata-evolve-never

part "strata dataperf: evaluations over worker groups equal on 1, 2 and 4 ranks"
# A small synthetic debugging task and a selection task; baselines; the same
# scores (timings aside) from 1, 2 and 4 ranks; a bad submission refused by line.
dp="$(mktemp -d)"
DPT="--dataset synthetic --pool-rows 1500 --eval-rows 800 --seeds 1,2"
if "$S" dataperf task make $DPT --track debugging --noise feature --grid 0.1,0.2,0.5,0.9 --out "$dp/debug" >"$dp/make.log" 2>&1 \
   && "$S" dataperf task make $DPT --track selection --budgets 5 --out "$dp/sel" >>"$dp/make.log" 2>&1 \
   && "$S" dataperf baseline --task "$dp/debug" --only random,loss --out "$dp/dsubs" >>"$dp/make.log" 2>&1 \
   && "$S" dataperf baseline --task "$dp/sel" --only random,balanced --out "$dp/ssubs" >>"$dp/make.log" 2>&1; then
    ok "dataperf: tasks made, baselines written"
else bad "dataperf: task make / baseline" "$dp/make.log"; fi
for np in 1 2 4; do
    expect_pass "dataperf evaluate debugging, $np rank(s)" $np "$S" dataperf evaluate --quiet --task "$dp/debug" --out "$dp/d$np" "$dp/dsubs/loss.txt" "$dp/dsubs/random.txt"
    expect_pass "dataperf evaluate selection, $np rank(s)" $np "$S" dataperf evaluate --quiet --task "$dp/sel" --out "$dp/s$np" "$dp/ssubs/balanced-b75.txt" "$dp/ssubs/random-b75.txt"
done
same_scores() { python3 - "$@" <<'PY'
import json, os, sys
def load(d):
    out = {}
    for n in sorted(os.listdir(d + "/scores")):
        s = json.load(open(d + "/scores/" + n))
        def strip(x):
            if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in ("train_seconds", "file")}
            if isinstance(x, list): return [strip(v) for v in x]
            return x
        out[n] = strip(s)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a and a == b, "scores differ"
PY
}
for np in 2 4; do
    if same_scores "$dp/d1" "$dp/d$np" 2>"$dp/err" && same_scores "$dp/s1" "$dp/s$np" 2>>"$dp/err"; then ok "dataperf: $np ranks score as 1 rank (debugging and selection)"
    else bad "dataperf: $np ranks differ from 1 rank" "$dp/err"; fi
done
printf 'version: %s\nbudget: 75\n3\n3\n' "$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["version"])' "$dp/sel/task.json")" >"$dp/bad.txt"
expect_refusal "dataperf: a repeated row is refused by line" 2 "bad.txt:4: row 3 repeated \\(first on line 3\\)" 30 \
    "$S" dataperf evaluate --task "$dp/sel" --out "$dp/never" "$dp/bad.txt"
rm -rf "$dp"

part "∞-AE's ScaLAPACK engine: block-cyclic kernel, factorisations, same metrics (Tests/MPI/scalapack.sh)"
sub_suite scalapack.sh scalapack 600

part "Criteo pipeline: gzip days to shards on 1, 2, 4 ranks, training on them (Tests/MPI/criteo.sh)"
sub_suite criteo.sh criteo 600

part "strata fl: federated rounds on ranks (Tests/MPI/fl.sh)"
sub_suite fl.sh fl 300

part "cluster on one machine: namespaces as hosts (Tests/MPI/cluster-box.sh)"
# Its own script (it needs root and cleans up with a trap); its counts join ours.
sub_suite cluster-box.sh box 900

end_part
echo "wall time by part, slowest first:"
printf '%s\n' "${part_times[@]}" | sort -rn
echo "mpi: total $((SECONDS - suite_start)) s"
echo "mpi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
