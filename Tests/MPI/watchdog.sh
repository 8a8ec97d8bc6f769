#!/usr/bin/env bash
# The watchdog (run.step_timeout_seconds, docs/RELIABILITY.md) under real
# mpirun: a rank stopped with SIGSTOP in a step, a checkpoint, an evaluation
# or a final phase ends the job within a bounded time, exit 3, with one line
# naming that rank; a run that steps normally with the watchdog on finishes;
# a negative timeout is refused naming the key.
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
# rank_processes RUN_DIR: the rank processes of the run writing RUN_DIR (not mpirun).
rank_processes() { pgrep -f "^$B train .*--run-dir $1\$"; }
# rank_pid RUN_DIR RANK: the process of that rank, from the rank mpirun gave it.
rank_pid() {
    local p
    for p in $(rank_processes "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return; fi
    done
}

# stopped_case NAME POINT LINE: rank 1 of 2 stops itself with SIGSTOP at POINT
# (the test hook STRATA_TEST_PAUSE_AT, a WatchPoint token), so where the stop
# lands does not depend on the machine's speed or load. The job must end
# with exit 3 within 30 s of the stop, with exactly one "did not arrive" line,
# matching LINE (naming rank 1; the stopped rank, continued by the job's end,
# blames no one), and no rank process left.
stopped_case() {
    local name="$1" point="$2" want="$3" dir="$W/$1"
    ( STRATA_TEST_PAUSE_RANK=1 STRATA_TEST_PAUSE_AT="$point" timeout 120 bash -c \
        "source '$STRATA_ROOT/Launch/common.sh'; mpi_run 2 '$B' train $H --run-dir '$dir'" </dev/null >"$W/$name.out" 2>&1
      echo $? >"$W/$name.rc" ) &
    local job=$! victim="" t0="" p
    # Wait for rank 1 to stop itself (state T), or for the job to end without it.
    for _ in $(seq 1 1200); do
        p="$(rank_pid "$dir" 1)"
        if [ -n "$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = "T" ]; then
            victim="$p"; t0=$(date +%s.%N); stopped="$stopped $p"; break
        fi
        [ -f "$W/$name.rc" ] && break
        sleep 0.1
    done
    if [ -z "$victim" ]; then
        bad "$name: rank 1 never stopped itself at $point" "$W/$name.out"
        for p in $(rank_processes "$dir"); do kill -CONT "$p"; kill -KILL "$p"; done
        wait "$job"; return
    fi
    wait "$job"
    local secs rc lines
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    rc=$(cat "$W/$name.rc")
    lines="$(grep -c 'did not arrive' "$W/$name.out")"
    line="$(grep -E "$want" "$W/$name.out" | head -1)"
    if [ "$rc" -eq 3 ] && [ -n "$line" ] && [ "$lines" -eq 1 ] && [ "$(echo "$secs < 30" | bc)" -eq 1 ]; then
        ok "$name: exit 3 in ${secs}s, one line: ${line#strata: }"
    else bad "$name: exit $rc after ${secs}s, $lines 'did not arrive' line(s) (expected exit 3 within 30 s, one line matching: $want)" "$W/$name.out"; fi
    # The job's end must take the stopped rank with it: nothing left running.
    local left; left="$(rank_processes "$dir")"
    if [ -z "$left" ]; then ok "$name: no rank process left after the abort"
    else bad "$name: rank processes left after the abort: $left"; stopped="$stopped $left"; fi
}

echo "watchdog: a rank that stops (SIGSTOP) in a step or a phase (2 ranks, run.step_timeout_seconds: 2)"
H="--config $C --set run.checkpoint_every=10 --set run.eval_every=20 --set run.step_timeout_seconds=2"
stopped_case step "step:5" 'step 5: rank\(s\) 1 did not arrive within 2 s \(rank 1: '
stopped_case checkpoint "checkpoint:10" 'the checkpoint after step 10: rank\(s\) 1 did not arrive within 2 s \(rank 1: '
stopped_case evaluation "evaluation:20" 'the evaluation after step 20: rank\(s\) 1 did not arrive within 2 s \(rank 1: '
stopped_case final_checkpoint "final_checkpoint" 'the final checkpoint \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: '
stopped_case final_evaluation "final_evaluation" 'the final evaluation \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: '
stopped_case final_summary "final_summary" 'the final summary \(after step 40\): rank\(s\) 1 did not arrive within 2 s \(rank 1: '

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

echo "watchdog: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
