#!/usr/bin/env bash
# Reliability tests (docs/RELIABILITY.md): checkpoints and exact resume, resume
# on other world sizes, a rank killed mid-run, corrupted checkpoints, and a
# table of bad inputs. Run by Tests/MPI/run.sh; prints
# "reliability: N passed, M failed" at the end. Every command runs under timeout.
source "$(dirname "$0")/suite.sh"
B="$STRATA_BIN"
T="$STRATA_ROOT/.build/release/strata-mpitest"
C="$STRATA_ROOT/Tests/MPI/fixtures/tiny.yaml"
# check NAME COMMAND...: the command exits 0.
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name" "$W/out"; fi; }
# compare NAME RTOL A B: dumps and loss trajectories of run folders $W/A and $W/B.
compare() {
    if timeout 60 "$T" compare "$2" "$W/$3.params" "$W/$4.params" "$W/$3/steps.jsonl" "$W/$4/steps.jsonl" >"$W/out" 2>&1
    then ok "$1"; else bad "$1" "$W/out"; fi
}
# Runs compared bit for bit across separate processes pin the OpenBLAS kernels:
# `model.gemm: auto` times the kernels in each process, and timing may choose
# differently run to run (a resumed run keeps its own checkpoint's choices,
# but an uninterrupted reference is another process). The rtol 1e-5 compares keep auto.
PIN="--set model.gemm=openblas"
# fingerprint DIR: every file's name and checksum (to show nothing changed).
fingerprint() { (cd "$1" && find . -type f | sort | xargs md5sum); }

echo "reliability: checkpoints and resume"
check "uninterrupted, 4 ranks" run 4 "$B" train --config "$C" $PIN --run-dir "$W/ref4" --dump-params "$W/ref4.params" --quiet
check "uninterrupted, 1 rank" run 1 "$B" train --config "$C" --run-dir "$W/ref1" --dump-params "$W/ref1.params" --quiet
if [ "$(ls "$W/ref4/checkpoints" | wc -l)" -eq 2 ] && [ -f "$W/ref4/checkpoints/step-00000040/manifest.json" ] \
   && [ -f "$W/ref4/checkpoints/step-00000030/manifest.json" ] && ! ls "$W/ref4/checkpoints/"*/*.tmp >/dev/null 2>&1; then
    ok "keeps the last 2 checkpoints (30, 40), no temporary files"
else bad "keep_checkpoints: $(ls "$W/ref4/checkpoints")"; fi

check "4 ranks, 20 steps" run 4 "$B" train --config "$C" $PIN --run-dir "$W/r44" --set run.steps=20 --quiet
check "resume 4 -> 4 ranks to step 40" run 4 "$B" train --resume "$W/r44" --set run.steps=40 --dump-params "$W/r44.params" --quiet
compare "resume 4 -> 4: bit-identical parameters and losses" 0 r44 ref4

check "4 ranks, 20 steps" run 4 "$B" train --config "$C" --run-dir "$W/r42" --set run.steps=20 --quiet
check "resume 4 -> 2 ranks to step 40" run 2 "$B" train --resume "$W/r42" --set run.steps=40 --dump-params "$W/r42.params" --quiet
compare "resume 4 -> 2 equals uninterrupted 4 ranks (rtol 1e-5)" 1e-5 r42 ref4

check "1 rank, 20 steps" run 1 "$B" train --config "$C" --run-dir "$W/r14" --set run.steps=20 --quiet
check "resume 1 -> 4 ranks (table_wise plan) to step 40" run 4 "$B" train --resume "$W/r14" --set run.steps=40 --set sharding.type=table_wise --dump-params "$W/r14.params" --quiet
compare "resume 1 -> 4 equals uninterrupted 1 rank (rtol 1e-5)" 1e-5 r14 ref1

F="--set sharding.type=flexshard --set topology.ranks_per_node=2"
check "flexshard, 4 ranks as 2 nodes, uninterrupted" run 4 "$B" train --config "$C" $F --run-dir "$W/fref" --dump-params "$W/fref.params" --quiet
check "flexshard, 4 ranks as 2 nodes, 20 steps" run 4 "$B" train --config "$C" $F --run-dir "$W/f44" --set run.steps=20 --quiet
check "flexshard resume 4 -> 4 to step 40" run 4 "$B" train --resume "$W/f44" --set run.steps=40 --dump-params "$W/f44.params" --quiet
compare "flexshard resume: tier stores (hot, warm, lazy cold) restored exactly" 1e-5 f44 fref

echo "reliability: a rank killed with SIGKILL mid-run"
K="--config $C $PIN --set run.steps=1500 --set run.checkpoint_every=50 --set run.log_every=500"
check "uninterrupted, 4 ranks, 1500 steps" run 4 "$B" train $K --run-dir "$W/kref" --dump-params "$W/kref.params" --quiet
( timeout 120 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run 4 '$B' train $K --run-dir '$W/kill'" >"$W/kill.out" 2>&1; echo $? >"$W/kill.rc" ) &
job=$!
victim=""
for _ in $(seq 1 600); do
    if ls "$W/kill/checkpoints/"*/manifest.json >/dev/null 2>&1; then
        # The rank processes (not mpirun): their command line starts with the binary.
        victim="$(pgrep -f "^$B train .*--run-dir $W/kill" | sed -n 2p)"
        [ -n "$victim" ] && break
    fi
    sleep 0.1
done
if [ -z "$victim" ]; then
    bad "no checkpoint or no rank process to kill" "$W/kill.out"; wait "$job"
else
    t0=$(date +%s.%N)
    kill -9 "$victim"
    wait "$job"
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    rc=$(cat "$W/kill.rc")
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -Eq "rank [0-9]+ .*(signal 9|Killed)" "$W/kill.out"; then
        ok "killed rank: exit $rc in ${secs}s, naming the rank; last progress: $(grep -E '^checkpoint' "$W/kill.out" | tail -1)"
    else bad "killed rank: exit $rc after ${secs}s" "$W/kill.out"; fi
    check "resume after the kill" run 4 "$B" train --resume "$W/kill" --dump-params "$W/kill.params" --quiet
    compare "killed and resumed equals uninterrupted (bit-identical)" 0 kill kref
fi

echo "reliability: SIGTERM (preemption) to every rank mid-run"
( timeout 120 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run 4 '$B' train $K --run-dir '$W/term'" >"$W/term.out" 2>&1; echo $? >"$W/term.rc" ) &
job=$!
ranks=""
for _ in $(seq 1 600); do
    if ls "$W/term/checkpoints/"*/manifest.json >/dev/null 2>&1; then
        ranks="$(pgrep -f "^$B train .*--run-dir $W/term")"
        [ "$(echo "$ranks" | wc -w)" -eq 4 ] && break
    fi
    sleep 0.1
done
if [ "$(echo "$ranks" | wc -w)" -ne 4 ]; then
    bad "no checkpoint or not 4 rank processes to signal" "$W/term.out"; wait "$job"
else
    # As a scheduler does (Slurm signals every task): SIGTERM to each rank process.
    for p in $ranks; do kill -TERM "$p"; done
    wait "$job"
    rc=$(cat "$W/term.rc")
    # Every rank names its stop; they must all name the same step.
    last=$(grep -Eo 'signal 15 after step [0-9]+' "$W/term.out" | grep -Eo '[0-9]+$' | sort -u)
    [ "$(echo "$last" | wc -l)" -eq 1 ] || last=""
    if [ "$rc" -eq 143 ] && [ -n "$last" ] && [ -f "$W/term/checkpoints/$(printf 'step-%08d' "$last")/manifest.json" ]; then
        ok "SIGTERM: every rank stopped after step $last, checkpoint written, exit 143"
    else bad "SIGTERM: exit $rc, step '$last'" "$W/term.out"; fi
    check "resume after SIGTERM" run 4 "$B" train --resume "$W/term" --dump-params "$W/term.params" --quiet
    compare "stopped by SIGTERM and resumed equals uninterrupted (bit-identical)" 0 term kref
fi

echo "reliability: corrupted checkpoints"
cp -r "$W/ref4" "$W/corrupt"
shard="$(ls -d "$W/corrupt/checkpoints/"step-* | tail -1)/emb-rank-00001.bin"
printf '\x7f' | dd of="$shard" bs=1 seek=100 conv=notrunc status=none
before="$(fingerprint "$W/corrupt")"
rc=0; run 2 "$B" train --resume "$W/corrupt" --set run.steps=50 || rc=$?
if [ "$rc" -eq 2 ] && grep -q "emb-rank-00001.bin: checksum mismatch" "$W/out" && grep -q "intact checkpoints: step-00000030 (step 30)" "$W/out" \
   && [ "$before" = "$(fingerprint "$W/corrupt")" ]; then
    ok "a flipped byte: resume refuses with a checksum error naming the file and the intact checkpoints (exit $rc), folder untouched"
else bad "corrupted shard (exit $rc)" "$W/out"; fi
if run 2 "$B" train --resume "$W/corrupt" --fallback-to-intact --set run.steps=50 && grep -q "warning: skipping damaged checkpoints: .*emb-rank-00001.bin: checksum mismatch" "$W/out" \
   && [ -f "$W/corrupt/checkpoints/step-00000050/manifest.json" ] && [ -d "$W/corrupt/checkpoints/damaged-step-00000040" ]; then
    ok "--fallback-to-intact: resumes from step 30 with a warning naming the damage, the damaged folder set aside"
else bad "fallback to the intact checkpoint" "$W/out"; fi
cp -r "$W/ref4" "$W/trunc"
truncate -s 100 "$(ls -d "$W/trunc/checkpoints/"step-* | tail -1)/dense.bin"
rc=0; run 2 "$B" train --resume "$W/trunc" --set run.steps=50 || rc=$?
if [ "$rc" -ne 0 ] && grep -Eq "dense.bin: 100 bytes, the manifest says" "$W/out"; then ok "a truncated dense.bin: resume refuses naming the file"
else bad "truncated checkpoint (exit $rc)" "$W/out"; fi
# A crash while writing leaves a folder without a manifest: resume takes the previous one.
cp -r "$W/r44" "$W/partial"
mkdir -p "$W/partial/checkpoints/step-00000050" && echo junk >"$W/partial/checkpoints/step-00000050/emb-rank-00000.bin.tmp"
if run 1 "$B" train --resume "$W/partial" --set run.steps=45 --quiet && [ -f "$W/partial/checkpoints/step-00000045/manifest.json" ]; then
    ok "an incomplete checkpoint folder (no manifest) is skipped"
else bad "incomplete checkpoint" "$W/out"; fi

echo "reliability: bad input (each: clear message, non-zero exit, nothing written damaged)"
printf 'run:\n  steps: 10\n  batch_sise: 32\n' >"$W/misspelt.yaml"
printf 'run:\n  steps: ten\n' >"$W/wrongtype.yaml"
sed 's/"table" : "c0"/"table" : "nosuch"/' "$W/ref4/plan.json" >"$W/plan-unknown.json"
python3 - "$W/ref4/plan.json" "$W/plan-rank.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["tables"][0]["shards"][0]["ranks"][-1] = 7
json.dump(p, open(sys.argv[2], "w"))
PY
CRITEO="$STRATA_ROOT/../shared/data/criteo/criteo_sample.csv"
[ -f "$CRITEO" ] || CRITEO="/work/shared/data/criteo/criteo_sample.csv"
{ head -50 "$CRITEO"; printf '1\t2\tnot-a-number\n'; } >"$W/malformed.csv"
: >"$W/empty.csv"
timeout 60 "$T" write-binary "$W/data.bin" >/dev/null 2>&1
head -c 20000 "$W/data.bin" >"$W/truncated.bin"
cp "$W/data.bin" "$W/corrupt.bin"; printf '\x55' | dd of="$W/corrupt.bin" bs=1 seek=30000 conv=notrunc status=none
: >"$W/empty.yaml"
printf '# only a comment\n\n' >"$W/comments.yaml"
printf 'run:\n  steps: 10\n  batch_size: 8\n  steps: 20\n' >"$W/dup.yaml"
printf 'run:\n  steps: 10\nrun.steps: 20\n' >"$W/dup-dotted.yaml"
python3 - "$W/ref4/plan.json" "$W/plan-twice.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["tables"].append(p["tables"][0])
json.dump(p, open(sys.argv[2], "w"))
PY
mkdir -p "$W/ml"
printf 'movieId,title,genres\r\n1,A (1995),Drama\r\n2,B (1996),Comedy\r\n' >"$W/ml/ml-latest-small-movies.csv"
printf 'userId,movieId,rating,timestamp\r\n1,1,4.0,10\r\n1,2,7,20\r\n' >"$W/ml/ml-latest-small-ratings.csv"
echo x >"$W/afile"
good_before="$(fingerprint "$W/ref4")"
L="--run-dir $W/badrun --quiet"
# name | ranks | pattern | arguments
while IFS='|' read -r name np pattern args; do
    [ -z "$name" ] && continue
    rm -rf "$W/badrun"
    rc=0; start=$SECONDS
    # Once a rank exits non-zero, mpirun waits odls_base_sigkill_timeout (1 s)
    # before it kills the rest, and ends 1 to 2 s late; for a refusal that wait
    # tests nothing (rank 0 says the error before MPI_Finalize, which the other
    # ranks must enter too), so these runs skip it. Watchdog and SIGTERM checks keep it.
    OMPI_MCA_odls_base_sigkill_timeout=0 run "$np" "$B" train $args || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -Eq -- "$pattern" "$W/out"; then ok "$name (exit $rc in $((SECONDS - start))s)"
    else bad "$name: exit $rc, expected /$pattern/" "$W/out"; fi
done <<EOF2
misspelt key (--set)|1|unknown key 'run.stepz' \(did you mean 'run.steps'\?\)|--set run.stepz=3 $L
misspelt key in a file, with its line|1|misspelt.yaml:3: unknown key 'run.batch_sise' \(did you mean 'run.batch_size'\?\)|--config $W/misspelt.yaml $L
wrong type in a file, with its line|1|wrongtype.yaml:2: run.steps must be a positive integer, got 'ten'|--config $W/wrongtype.yaml $L
wrong type (--set)|1|data.dedup must be true or false, got 'maybe'|--set data.dedup=maybe $L
negative size|1|run.batch_size must be a positive integer, got -4|--set run.batch_size=-4 $L
zero size|1|model.embedding_dim must be a positive integer, got 0|--set model.embedding_dim=0 $L
zero table size|1|data.synthetic.extra_tables must be a positive integer, got 0 at \[1\]|--set data.synthetic.extra_tables=[10,0] $L
bag sizes out of order|1|data.synthetic.extra_ids_per_bag must have 1 <= min <= max, got \[3, 2\]|--set data.synthetic.extra_ids_per_bag=[3,2] $L
negative Zipf exponent|1|data.synthetic.zipf_exponent must be a finite number in 0...100, got -1|--set data.synthetic.zipf_exponent=-1 $L
negative checkpoint interval|1|run.checkpoint_every must be a non-negative integer, got -1|--set run.checkpoint_every=-1 $L
zero checkpoints kept|1|run.keep_checkpoints must be a positive integer, got 0|--set run.keep_checkpoints=0 $L
plan names an unknown table|4|plan-unknown.json: the plan names unknown table 'nosuch'|--config $C --plan $W/plan-unknown.json $L
plan places a rank outside the world|4|plan-rank.json: table 'item' is placed on rank 7, outside the world of 4 ranks|--config $C --plan $W/plan-rank.json $L
world size the plan cannot use|2|plan.json: the plan was made for 4 ranks but the world has 2|--config $C --plan $W/ref4/plan.json $L
sharding naming an unknown table|1|sharding.tables names unknown table 'itme'|--config $C --set sharding.tables.itme=row_wise $L
ranks_per_node that does not divide the world|4|ranks_per_node = 3 does not divide the world size 4|--config $C --set topology.ranks_per_node=3 $L
malformed data line|1|malformed.csv:51: |--set data.source=criteo --set data.path=$W/malformed.csv --set run.batch_size=8 $L
empty data file|1|empty.csv: empty file|--set data.source=criteo --set data.path=$W/empty.csv $L
missing data file|1|nosuch.csv: |--set data.source=criteo --set data.path=$W/nosuch.csv $L
truncated binary data file|1|truncated.bin: truncated|--set data.source=binary --set data.path=$W/truncated.bin $L
corrupted binary data file|1|corrupt.bin: corrupted: checksum mismatch|--set data.source=binary --set data.path=$W/corrupt.bin $L
run folder holding a different run|1|ref4: already holds a different run \(its config.json differs in model\)|--config $C --set model.heads=1 --run-dir $W/ref4 --quiet
run folder holding this run (no --resume)|4|ref4: already holds this run; continue it with --resume|--config $C $PIN --run-dir $W/ref4 --quiet
resume changing the model|2|model.embedding_dim cannot change when resuming|--resume $W/ref4 --set model.embedding_dim=4 --quiet
resume from a missing folder|1|not-there: no such run folder|--resume $W/not-there --quiet
resume from a folder without checkpoints|1|no complete checkpoint|--resume $W/ref4/checkpoints --quiet
empty config file|1|empty.yaml: the config file is empty \(no keys, only comments or blank lines\)|--config $W/empty.yaml $L
comment-only config file|1|comments.yaml: the config file is empty|--config $W/comments.yaml $L
a key given twice, both lines named|1|dup.yaml:4: key 'run.steps' is given twice \(lines 2 and 4\)|--config $W/dup.yaml $L
a key given twice in nested and dotted form|1|dup-dotted.yaml:3: key 'run.steps' is given twice|--config $W/dup-dotted.yaml $L
a plan listing a table twice|4|plan-twice.json: the plan lists table '[a-z0-9]+' twice|--config $C --plan $W/plan-twice.json $L
resume with run.steps below the checkpoint|2|the checkpoint is at step 40 and run.steps is 30: nothing to train, nothing written|--resume $W/ref4 --set run.steps=30 --quiet
a negative reader count|1|data.movielens.eval_per_user must be a non-negative integer, got -1|--set data.movielens.eval_per_user=-1 $L
a probability above 1|1|data.synthetic.history_affinity must be a finite number in 0...1, got 2|--set data.synthetic.history_affinity=2 $L
a NaN learning rate|1|optimizer.dense_learning_rate must be a finite 32-bit float above 0, got nan \(not a number\)|--set optimizer.dense_learning_rate=nan $L
a size product that overflows, the key named|1|overflows a 64-bit size: data.synthetic.item_rows \(4611686018427387904\)|--config $C --set data.synthetic.item_rows=4611686018427387904 $L
a table over this rank's share of memory|2|over this rank's share of the machine's memory|--config $C --set data.synthetic.item_rows=68719476736 --set sharding.type=table_wise $L
a parent of the run folder is a file|1|cannot create the run folder .*afile/run: a parent of it, .*afile, is a file, not a folder|--config $C --run-dir $W/afile/run --quiet
MovieLens rating outside the scale (Windows line endings), file:line|1|ml-latest-small-ratings.csv:3: rating 7 is outside the scale 0.5...5|--set data.source=movielens --set data.path=$W/ml $L
NaN or infinite loss names the step and the phase|2|rank [0-9]: error: step [0-9]+: the loss is -?[a-z]+ \(phase: forward|--config $C --set optimizer.dense_learning_rate=1e30 $L
EOF2
if [ "$good_before" = "$(fingerprint "$W/ref4")" ]; then ok "the run folder named by the bad inputs is unchanged"
else bad "a bad input changed $W/ref4"; fi

echo "reliability: what a run says instead of nan"
if run 1 "$B" train --set data.source=criteo --set data.path="$CRITEO" --set data.criteo_eval_every=0 --set run.steps=3 --set run.batch_size=8 --run-dir "$W/noeval" \
   && grep -q "the eval split is empty (data.criteo_eval_every is 0" "$W/out" && grep -q "final eval: none" "$W/out" \
   && grep -q "header line skipped" "$W/out" && ! grep -q "auc nan" "$W/out"; then
    ok "an empty eval split is said (the key named), no nan metrics printed; the header line is said"
else bad "empty eval split" "$W/out"; fi

echo "reliability: config fuzzing (Tests/Fuzz/config-fuzz.sh)"
if timeout 240 bash "$STRATA_ROOT/Tests/Fuzz/config-fuzz.sh" 200 27 >"$W/out" 2>&1; then ok "$(tail -1 "$W/out")"
else bad "config fuzz" "$W/out"; fi

echo "reliability: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
