#!/usr/bin/env bash
# The Criteo pipeline under real mpirun: gzip day files converted on 1, 2 and 4
# ranks (whole inputs per rank give the same bytes; shared lines give parts and
# the same vocabulary), bad input stopped by name on every rank, and training
# on the memory-mapped shards equal on 1 and 2 ranks.
# Prints "criteo: N passed, M failed" (Tests/MPI/run.sh adds it to its total).
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
S="$STRATA_BIN"
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/       | /' "$2" | tail -20; }
run_np() { local np="$1"; shift; timeout 180 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if run_np 2 "$S" data criteo-gen --out "$tmp/days" --days 3 --lines 20000 --seed 4 >"$tmp/gen.log" 2>&1 \
    && [ "$(zcat "$tmp/days/day_2.gz" | wc -l)" -eq 20000 ]
then ok "criteo-gen on 2 ranks: 3 gzip days that zcat reads"; else bad "criteo-gen" "$tmp/gen.log"; fi

for np in 1 2 4; do
    if run_np $np "$S" data convert "$tmp/days" --out "$tmp/v$np" --frequency-threshold 2 >"$tmp/v$np.log" 2>&1 \
        && grep -q "60000 samples from 60000 lines" "$tmp/v$np.log"
    then ok "convert with a vocabulary, $np rank(s)"; else bad "convert, $np rank(s)" "$tmp/v$np.log"; fi
done
same=1
for f in day-00000.shard day-00001.shard day-00002.shard vocabulary.bin manifest.json; do
    cmp -s "$tmp/v1/$f" "$tmp/v2/$f" || same=0
done
[ "$same" -eq 1 ] && ok "2 ranks (whole inputs each) write the 1-rank bytes" || bad "2-rank shards differ from 1 rank"
if cmp -s "$tmp/v1/vocabulary.bin" "$tmp/v4/vocabulary.bin" && [ "$(ls "$tmp/v4"/*.part-*.shard | wc -l)" -eq 12 ]
then ok "4 ranks (lines shared): 12 parts, the 1-rank vocabulary"; else bad "4-rank parts or vocabulary" "$tmp/v4.log"; fi

# Standard input on one rank; hashed ids equal the file's conversion.
if zcat "$tmp/days/day_0.gz" | run_np 1 "$S" data convert - --out "$tmp/stdin" --rows-per-table 5000 >"$tmp/stdin.log" 2>&1 \
    && run_np 1 "$S" data convert "$tmp/days/day_0.gz" --out "$tmp/file" --rows-per-table 5000 >"$tmp/file.log" 2>&1 \
    && cmp -s <(tail -c +4097 "$tmp/stdin/day-00000.shard") <(tail -c +4097 "$tmp/file/day-00000.shard")
then ok "standard input gives the file's records"; else bad "standard input" "$tmp/stdin.log"; fi

# A truncated day on rank 1's share stops every rank, rank 0 printing rank 1's message.
cp -r "$tmp/days" "$tmp/cut"
head -c 300000 "$tmp/days/day_1.gz" >"$tmp/cut/day_1.gz"
start=$SECONDS
if ! run_np 2 "$S" data convert "$tmp/cut" --out "$tmp/cutout" >"$tmp/cut.log" 2>&1 \
    && grep -q "rank 1: $tmp/cut/day_1.gz: truncated: .*compressed byte" "$tmp/cut.log" && [ $((SECONDS - start)) -lt 60 ] \
    && [ ! -e "$tmp/cutout/manifest.json" ]
then ok "a truncated gzip on rank 1 stops both ranks by file and offset, no manifest"; else bad "truncated gzip" "$tmp/cut.log"; fi

# Training on the shards: every rank its slice of each global batch, equal to one rank.
for np in 1 2; do
    run_np $np "$S" train --config Configs/quickstart.yaml --quiet --set data.source=criteo_shards --set data.path="$tmp/v1" \
        --set run.steps=40 --set run.batch_size=256 --set run.eval_samples=4000 --set run.log_every=1000 \
        --run-dir "$tmp/t$np" >"$tmp/t$np.log" 2>&1 || bad "train on shards, $np rank(s)" "$tmp/t$np.log"
done
if python3 - "$tmp/t1/summary.json" "$tmp/t2/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["metrics"] for p in sys.argv[1:])
assert a["eval_samples"] == 4000, a
assert abs(a["eval_logloss"] - b["eval_logloss"]) < 1e-6, (a["eval_logloss"], b["eval_logloss"])
assert abs(a["eval_auc"] - b["eval_auc"]) < 1e-6
PY
then ok "training on shards: 2 ranks equal 1 rank (eval logloss to 1e-6)"; else bad "shard training differs across world sizes" "$tmp/t2.log"; fi

echo "criteo: $passed passed, $failed failed"
