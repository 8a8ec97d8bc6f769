#!/usr/bin/env bash
# The watchdog (docs/RELIABILITY.md) under real mpirun: a rank stopped with
# SIGSTOP in a step, a checkpoint, an evaluation or a final phase of
# `strata train` (run.step_timeout_seconds), in a round or a federated
# evaluation of `strata fl` (round_timeout_seconds; a host or the server,
# plain and FEL), in a phase of `strata iae` or `strata distill`
# (iae.phase_timeout_seconds), in a sweep point (sweep.point_timeout_seconds)
# or a dataperf training (--job-timeout-seconds), and a sweep or dataperf
# coordinator the workers wait on, ends the job within a
# bounded time, exit 3, with one line naming that rank and none blaming a
# healthy one; runs that go normally with the watchdog on finish; a negative
# timeout is refused naming the key.
# Run by Tests/MPI/run.sh (or alone: bash Tests/MPI/watchdog.sh); prints
# "watchdog: N passed, M failed" at the end. Every command runs under timeout,
# and the exit trap continues and kills any rank process it stopped.
source "$(dirname "$0")/../../Launch/common.sh"
set +e
cd "$STRATA_ROOT"
B="$STRATA_BIN"
C="$STRATA_ROOT/Tests/MPI/fixtures/tiny.yaml"
W="$(mktemp -d)"
stopped=""
cleanup() {
    for p in $stopped; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
    rm -rf "$W"
}
trap cleanup EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/       | /' "$2" | tail -20; }

# run NP ARGS...: mpirun under a 120 s timeout, output to $W/out.
run() { local np="$1"; shift; timeout 120 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*" </dev/null >"$W/out" 2>&1; }
# rank_processes DIR: the rank processes of the run whose command line names
# DIR (the strata processes; not mpirun, not the shell that started it).
rank_processes() { pgrep -f "^$B .* $1( |\$)"; }
# rank_pid RUN_DIR RANK: the process of that rank, from the rank mpirun gave it.
rank_pid() {
    local p
    for p in $(rank_processes "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return; fi
    done
}

# stop_at NAME RANK POINT LINE NP ARGS...: rank RANK of NP stops itself with
# SIGSTOP at POINT (RANK as WORLD:HOOK when the hook's rank is another
# communicator's: a dataperf worker is rank 0 of its group) (the test hook STRATA_TEST_PAUSE_AT, a WatchPoint token),
# so where the stop lands does not depend on the machine's speed or load;
# ARGS (a strata command) name the folder $W/NAME. The job must end with
# exit 3 within 30 s of the stop, with exactly one line blaming a rank ("did
# not arrive", "did not come back" for a work item, "stopped responding" for
# a coordinator), matching LINE (naming
# RANK: no other rank blames a healthy one, and the stopped rank, continued
# by the job's end, blames no one), and no rank process left.
stop_at() {
    local name="$1" rank="${2%%:*}" hook="${2##*:}" point="$3" want="$4" np="$5" dir="$W/$1"; shift 5
    ( STRATA_TEST_PAUSE_RANK="$hook" STRATA_TEST_PAUSE_AT="$point" timeout 120 bash -c \
        "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np '$B' $*" </dev/null >"$W/$name.out" 2>&1
      echo $? >"$W/$name.rc" ) &
    local job=$! victim="" t0="" p
    # Wait for the rank to stop itself (state T), or for the job to end without it.
    for _ in $(seq 1 1200); do
        p="$(rank_pid "$dir" "$rank")"
        if [ -n "$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = "T" ]; then
            victim="$p"; t0=$(date +%s.%N); stopped="$stopped $p"; break
        fi
        [ -f "$W/$name.rc" ] && break
        sleep 0.1
    done
    if [ -z "$victim" ]; then
        bad "$name: rank $rank never stopped itself at $point" "$W/$name.out"
        for p in $(rank_processes "$dir"); do kill -CONT "$p"; kill -KILL "$p"; done
        wait "$job"; return
    fi
    wait "$job"
    local secs rc lines
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    rc=$(cat "$W/$name.rc")
    lines="$(grep -Ec 'did not arrive|did not come back|stopped responding' "$W/$name.out")"
    line="$(grep -E "$want" "$W/$name.out" | head -1)"
    if [ "$rc" -eq 3 ] && [ -n "$line" ] && [ "$lines" -eq 1 ] && [ "$(echo "$secs < 30" | bc)" -eq 1 ]; then
        ok "$name: exit 3 in ${secs}s, one line: ${line#strata: }"
    else bad "$name: exit $rc after ${secs}s, $lines blaming line(s) (expected exit 3 within 30 s, one line matching: $want)" "$W/$name.out"; fi
    # The job's end must take the stopped rank with it: nothing left running.
    local left; left="$(rank_processes "$dir")"
    if [ -z "$left" ]; then ok "$name: no rank process left after the abort"
    else bad "$name: rank processes left after the abort: $left"; stopped="$stopped $left"; fi
}

# finishes NAME NP OUTPUT ARGS...: with the watchdog on and no rank stopped,
# the command (strata ARGS on NP ranks) exits 0 and writes OUTPUT.
finishes() {
    local name="$1" np="$2" output="$3"; shift 3
    if run "$np" "$B" "$@" && [ -f "$output" ]; then ok "$name, $np ranks, the watchdog on: finished, exit 0"
    else bad "$name with the watchdog on did not finish" "$W/out"; fi
}

# stopped_case NAME POINT LINE: rank 1 of 2 stops in `strata train $H`.
stopped_case() { stop_at "$1" 1 "$2" "$3" 2 train $H --run-dir "$W/$1"; }

echo "watchdog: a rank that stops (SIGSTOP) in a step or a phase (2 ranks, run.step_timeout_seconds: 2)"
H="--config $C --set run.checkpoint_every=10 --set run.eval_every=20 --set run.step_timeout_seconds=2"
stopped_case step "step:5" 'step 5: rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '
stopped_case checkpoint "checkpoint:10" 'the checkpoint after step 10: rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '
stopped_case evaluation "evaluation:20" 'the evaluation after step 20: rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '
stopped_case final_checkpoint "final_checkpoint" 'the final checkpoint \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '
stopped_case final_evaluation "final_evaluation" 'the final evaluation \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '
stopped_case final_summary "final_summary" 'the final summary \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: no heartbeat '

echo "watchdog: strata fl, a host or the server stops in a round or a federated evaluation (3 ranks, round_timeout_seconds: 3)"
# Every round has a federated evaluation (header 2), so both kinds of point are
# reached on every rank. With 3 ranks two ranks see the stopped one: only the
# lowest healthy rank speaks.
F="fl --quiet --set model.gemm=openblas --set rounds=8 --set clients_per_round=6 --set data.population=30 --set data.items=200 \
--set data.user_rows=50 --set eval.every=1 --set eval.clients=30 --set eval.federated_clients=4 --set round_timeout_seconds=3"
stop_at fl_host 1 "round:3" 'round 3: rank\(s\) 1 did not arrive within 3 s \(rank 1: .*the watchdog \(round_timeout_seconds\) ends the job, exit 3' \
    3 $F --run-dir "$W/fl_host"
# The server stops before it sends round 3: the hosts, still at round 2's evaluation, may not see its mark move.
stop_at fl_server 0 "round:3" '(round 3|the evaluation after round 2): rank\(s\) 0 did not arrive within 3 s \(rank 0: no heartbeat ' \
    3 $F --run-dir "$W/fl_server"
stop_at fl_evaluation 2 "evaluation:4" 'the evaluation after round 4: rank\(s\) 2 did not arrive within 3 s \(rank 2: no heartbeat ' \
    3 $F --run-dir "$W/fl_evaluation"
# FEL: leaf rounds (announced on the world), the baseline and the over-arch count on.
FEL="fl --quiet --set mode=fel --set rounds=3 --set clients_per_round=12 --set data.population=200 --set data.items=300 \
--set data.user_rows=50 --set eval.clients=100 --set eval.every=1 --set fel.k=3 --set fel.over_rounds=2 \
--set fel.central_clients=100 --set fel.central_epochs=1 --set round_timeout_seconds=3"
stop_at fel_host 2 "round:5" 'round 5: rank\(s\) 2 did not arrive within 3 s \(rank 2: no heartbeat ' 3 $FEL --run-dir "$W/fel_host"
# fl fairness (four tiered runs of 2 rounds) and fl gpo (a run per setting and episode): rounds count
# over the command, so round 6 is the third run's second and round 7 lies in a later GPO run.
FA="fl fairness --quiet --set data.population=120 --set data.items=300 --set data.user_rows=50 --set rounds=2 \
--set clients_per_round=8 --set eval.clients=120 --set rf2.quant_bits=[2,0,0] --set round_timeout_seconds=3"
stop_at fairness_host 2 "round:6" 'round 6: rank\(s\) 2 did not arrive within 3 s \(rank 2: no heartbeat ' 3 $FA --run-dir "$W/fairness_host"
GPO="fl gpo --quiet --set data.population=60 --set data.items=200 --set data.user_rows=50 --set rounds=3 --set gpo.batches=[8,0] \
--set gpo.epochs=[1] --set gpo.clients=[5,10] --set gpo.common=[8,1,5] --set gpo.episodes=2 --set round_timeout_seconds=3"
stop_at gpo_host 1 "round:7" 'round 7: rank\(s\) 1 did not arrive within 3 s \(rank 1: no heartbeat ' 3 $GPO --run-dir "$W/gpo_host"
finishes "fl, 8 rounds with federated evaluations" 3 "$W/fl_ok/summary.json" $F --run-dir "$W/fl_ok"
[ -s "$W/fl_ok/progress.bin" ] && ok "fl: the progress board is in the run folder" || bad "fl: no progress.bin in the run folder"
finishes "FEL" 3 "$W/fel_ok/summary.json" $FEL --run-dir "$W/fel_ok"
finishes "fl fairness" 3 "$W/fairness_ok/fairness.json" $FA --run-dir "$W/fairness_ok"
finishes "fl gpo" 3 "$W/gpo_ok/gpo.json" $GPO --run-dir "$W/gpo_ok"

ML="$STRATA_ROOT/../shared/data/movielens/ml-latest-small-ratings.csv"
if [ -f "$ML" ]; then
    echo "watchdog: strata iae and strata distill, a rank stops in a phase (2 ranks, iae.phase_timeout_seconds: 5)"
    head -20001 "$ML" >"$W/ratings.csv"
    # Phases: 1 the fit and λ 0.1, 2 λ 1, 3 λ 5, 4 the test, 5 popularity, 6 the summary.
    IAE="iae --quiet --set data.path=$W/ratings.csv --set iae.lambdas=[0.1,1,5] --set iae.phase_timeout_seconds=5"
    stop_at iae_lambda 1 "phase:2" 'phase 2: rank\(s\) 1 did not arrive within 5 s \(rank 1: .*\(iae.phase_timeout_seconds\) ends the job, exit 3' \
        2 $IAE --run-dir "$W/iae_lambda"
    stop_at iae_test 0 "phase:4" 'phase 4: rank\(s\) 0 did not arrive within 5 s \(rank 0: no heartbeat ' 2 $IAE --run-dir "$W/iae_test"
    # Distill phases: 1-3 the full data's fit, λs and test, 4 size 5's start and step 1, 5 step 2, ...
    DS="distill --quiet --set distill.sizes=[5] --set distill.steps=6 --set distill.draws=20 --set distill.eval_every=3 \
--set iae.lambdas=[0.1,1] --set data.path=$W/ratings.csv --set iae.phase_timeout_seconds=5"
    stop_at distill_step 1 "phase:5" 'phase 5: rank\(s\) 1 did not arrive within 5 s \(rank 1: no heartbeat ' 2 $DS --run-dir "$W/distill_step"
    finishes iae 2 "$W/iae_ok/summary.json" $IAE --run-dir "$W/iae_ok"
    finishes distill 2 "$W/distill_ok/summary.json" $DS --run-dir "$W/distill_ok"
else
    echo "watchdog: iae and distill skipped ($ML missing)"
fi

echo "watchdog: strata dataperf evaluate, a worker stops in a training (2 ranks, --job-timeout-seconds 5)"
DPT="--dataset synthetic --pool-rows 1500 --eval-rows 800 --seeds 1,2"
if "$B" dataperf task make $DPT --track selection --budgets 5 --out "$W/dp_task" >"$W/dp.log" 2>&1 \
   && "$B" dataperf baseline --task "$W/dp_task" --only random --out "$W/dp_subs" >>"$W/dp.log" 2>&1; then
    # The worker is rank 0 of its group of one: the hook names that rank.
    stop_at dataperf_worker 1:0 "step:3" 'training [0-9]+ did not come back from worker group 0 \(rank 1\) within 5.0 s \(--job-timeout-seconds\)' \
        2 dataperf evaluate --quiet --job-timeout-seconds 5 --task "$W/dp_task" --out "$W/dataperf_worker" "$W/dp_subs/random-b75.txt"
    # The coordinator stops after taking back its first training (3 ranks): a worker names it, one line.
    stop_at dataperf_coordinator 0 "training:1" 'rank 1: rank\(s\) 0 stopped responding \(rank 0: no heartbeat .*\(--job-timeout-seconds\) ends the job, exit 3' \
        3 dataperf evaluate --quiet --job-timeout-seconds 5 --task "$W/dp_task" --out "$W/dataperf_coordinator" "$W/dp_subs/random-b75.txt"
    finishes "dataperf evaluate" 2 "$W/dp_ok/summary.json" \
        dataperf evaluate --quiet --job-timeout-seconds 60 --task "$W/dp_task" --out "$W/dp_ok" "$W/dp_subs/random-b75.txt"
else bad "dataperf: task make / baseline" "$W/dp.log"; fi

echo "watchdog: a sweep whose worker stops (sweep.point_timeout_seconds: 3)"
# Every worker (a group of one: group rank 0) stops itself at step 3 of its
# first point; the coordinator, waiting for results, must end the job (exit 3)
# naming a point and its group's rank, and no rank process may be left.
rc=0; t0=$SECONDS
( export STRATA_TEST_PAUSE_RANK=0 STRATA_TEST_PAUSE_AT=step:3
  run 3 "$B" sweep --config Tests/MPI/sweep-tiny-timeout.yaml --out "$W/sweep-stop" ) || rc=$?
if [ "$rc" -eq 3 ] && grep -Eq "point [0-9]+ did not come back from worker group [01] \(rank [12]\) within 3.0 s \(sweep.point_timeout_seconds\)" "$W/out" \
   && [ $((SECONDS - t0)) -lt 60 ]; then
    ok "a stopped sweep worker ends the job: exit 3 in $((SECONDS - t0))s naming the point and its rank"
else bad "a stopped sweep worker: exit $rc after $((SECONDS - t0))s" "$W/out"; fi
left="$(pgrep -f "^$B sweep .*--out $W/sweep-stop\$")"
if [ -z "$left" ]; then ok "sweep: no rank process left after the abort"
else bad "sweep: rank processes left: $left"; stopped="$stopped $left"; fi
# The coordinator stops after taking back its first point: the workers, waiting on it, end the job.
stop_at sweep_coordinator 0 "point:1" 'rank 1: rank\(s\) 0 stopped responding \(rank 0: no heartbeat .*\(sweep.point_timeout_seconds\) ends the job, exit 3' \
    3 sweep --config Tests/MPI/sweep-tiny-timeout.yaml --quiet --out "$W/sweep_coordinator"
if run 3 "$B" sweep --config Tests/MPI/sweep-tiny-timeout.yaml --quiet --out "$W/sweep-ok"; then
    ok "the same sweep with no stopped worker finishes within its point limit"
else bad "the sweep with a point limit did not finish" "$W/out"; fi

echo "watchdog: a run that steps normally is never stopped"
if run 2 "$B" train --config "$C" --set run.step_timeout_seconds=2 --run-dir "$W/ok" \
   && grep -q "step watchdog on: 2 s per step" "$W/out" && [ -s "$W/ok/progress.bin" ] && [ -f "$W/ok/summary.json" ]; then
    ok "2 ranks, 40 steps with checkpoints, the watchdog on: finished, exit 0"
else bad "a normal run with the watchdog on did not finish" "$W/out"; fi

echo "watchdog: the key is range-checked"
rc=0; run 1 "$B" train --check --set run.step_timeout_seconds=-1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q "run.step_timeout_seconds must be a finite number in 0...1000000000, got -1" "$W/out"; then
    ok "a negative run.step_timeout_seconds is refused naming the key (exit 2)"
else bad "negative step timeout: exit $rc" "$W/out"; fi
rc=0; run 1 "$B" train --check --set run.step_timeout_seconds=soon || rc=$?
if [ "$rc" -eq 2 ] && grep -q "run.step_timeout_seconds must be a finite number in 0...1000000000, got 'soon'" "$W/out"; then
    ok "a non-number run.step_timeout_seconds is refused naming the key (exit 2)"
else bad "non-number step timeout: exit $rc" "$W/out"; fi

for k in "fl round_timeout_seconds" "iae iae.phase_timeout_seconds" "distill iae.phase_timeout_seconds"; do
    read -r cmd key <<<"$k"
    rc=0; timeout 60 "$B" $cmd --set "$key=-1" </dev/null >"$W/out" 2>&1 || rc=$?
    if [ "$rc" -eq 2 ] && grep -q "$key must be" "$W/out"; then ok "$cmd: a negative $key is refused naming the key (exit 2)"
    else bad "$cmd: negative $key: exit $rc" "$W/out"; fi
done
rc=0; timeout 60 "$B" dataperf evaluate --task "$W/dp_task" --out "$W/never" --job-timeout-seconds -1 "$W/dp_subs/random-b75.txt" </dev/null >"$W/out" 2>&1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "--job-timeout-seconds must be" "$W/out"; then ok "dataperf evaluate: a negative --job-timeout-seconds is refused naming the option (exit 2)"
else bad "dataperf evaluate: negative --job-timeout-seconds: exit $rc" "$W/out"; fi

echo "watchdog: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
