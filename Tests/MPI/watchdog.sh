#!/usr/bin/env bash
# The step watchdog (run.step_timeout_seconds, docs/RELIABILITY.md) under real
# mpirun: a rank stopped with SIGSTOP mid-run ends the job within a bounded
# time, exit 3, with a line naming that rank; a run that steps normally with
# the watchdog on finishes; a negative timeout is refused naming the key.
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

echo "watchdog: a rank stopped with SIGSTOP (2 ranks, run.step_timeout_seconds: 2)"
H="--config $C --set run.steps=200000 --set run.checkpoint_every=0 --set run.log_every=100000 --set run.step_timeout_seconds=2"
( timeout 120 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run 2 '$B' train $H --run-dir '$W/hang'" </dev/null >"$W/hang.out" 2>&1
  echo $? >"$W/hang.rc" ) &
job=$!
victim=""
# Stepping has started once steps.jsonl has lines (60 s for start-up on a loaded machine).
for _ in $(seq 1 600); do
    if [ "$(cat "$W/hang/steps.jsonl" 2>/dev/null | wc -l)" -ge 5 ]; then
        victim="$(rank_pid "$W/hang" 1)"
        [ -n "$victim" ] && break
    fi
    sleep 0.1
done
if [ -z "$victim" ]; then
    bad "the run did not start stepping, or no rank 1 process" "$W/hang.out"
    for p in $(rank_processes "$W/hang"); do kill -KILL "$p"; done
    wait "$job"
else
    stopped="$victim"
    t0=$(date +%s.%N)
    kill -STOP "$victim"
    wait "$job"
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    rc=$(cat "$W/hang.rc")
    line="$(grep -E 'step [0-9]+: rank\(s\) 1 did not arrive within 2 s' "$W/hang.out" | head -1)"
    if [ "$rc" -eq 3 ] && [ -n "$line" ] && [ "$(echo "$secs < 30" | bc)" -eq 1 ]; then
        ok "stopped rank 1: exit 3 in ${secs}s: ${line#strata: }"
    else bad "stopped rank 1: exit $rc after ${secs}s (expected exit 3 within 30 s naming rank 1)" "$W/hang.out"; fi
    # The job's end must take the stopped rank with it: nothing left running.
    left="$(rank_processes "$W/hang")"
    if [ -z "$left" ]; then ok "no rank process left after the abort"
    else bad "rank processes left after the abort: $left"; stopped="$stopped $left"; fi
fi

echo "watchdog: a run that steps normally is never stopped"
if run 2 "$B" train --config "$C" --set run.step_timeout_seconds=2 --run-dir "$W/ok" \
   && grep -q "step watchdog on: 2 s per step" "$W/out" && [ -s "$W/ok/progress.bin" ] && [ -f "$W/ok/summary.json" ]; then
    ok "2 ranks, 40 steps with checkpoints, the watchdog on: finished, exit 0"
else bad "a normal run with the watchdog on did not finish" "$W/out"; fi

echo "watchdog: the key is range-checked"
rc=0; run 1 "$B" train --check --set run.step_timeout_seconds=-1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q "run.step_timeout_seconds must be a finite number at least 0.0, got -1" "$W/out"; then
    ok "a negative run.step_timeout_seconds is refused naming the key (exit 2)"
else bad "negative step timeout: exit $rc" "$W/out"; fi
rc=0; run 1 "$B" train --check --set run.step_timeout_seconds=soon || rc=$?
if [ "$rc" -eq 2 ] && grep -q "run.step_timeout_seconds must be a number, got 'soon'" "$W/out"; then
    ok "a non-number run.step_timeout_seconds is refused naming the key (exit 2)"
else bad "non-number step timeout: exit $rc" "$W/out"; fi

echo "watchdog: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
