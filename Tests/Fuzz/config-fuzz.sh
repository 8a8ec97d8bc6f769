#!/usr/bin/env bash
# Property-based fuzzing of the config decoder (docs/RELIABILITY.md): seeded
# random mutations of every training config in Configs/ and the test fixture
# (keys dropped, repeated or misspelt, values replaced by negatives, huge
# numbers, NaN, lists, mappings, odd YAML), each checked with
# `strata train --check`: it must exit 0 (accepted) or 2 (refused with a
# sentence); any other status (a trap is 132/133/134/139) fails and the input
# is kept in Tests/Fuzz/config-cases/ as a regression case. The kept cases are
# replayed first. Usage: config-fuzz.sh [COUNT] [SEED]; prints
# "config fuzz: N accepted, M refused, K crashed".
source "$(dirname "$0")/../../Launch/common.sh"
set +e
count="${1:-300}"; seed="${2:-27}"
B="$STRATA_BIN"; cases="$STRATA_ROOT/Tests/Fuzz/config-cases"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
python3 - "$W" "$count" "$seed" "$STRATA_ROOT/Tests/MPI/fixtures/tiny.yaml" "$STRATA_ROOT/Configs/quickstart.yaml" \
    "$STRATA_ROOT/Configs/movielens.yaml" <<'PY'
import random, re, sys
out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bases = [open(p).read().splitlines() for p in sys.argv[4:]]
odd = ["-1", "0", "-0", "1e400", "nan", ".nan", ".inf", "-.inf", "99999999999999999999", "9223372036854775807",
       "4611686018427387904", "[]", "[1, -2]", "{}", "{a: 1}", "~", "''", "yes", "1_000_000_000_000", "0x10", "'x'",
       "[0, 1]", "2.5", "&a 3", "*a", "!!str 5", "|", "[[1]]", "-9223372036854775808"]
rng = random.Random(seed)
for i in range(count):
    lines = list(rng.choice(bases))
    for _ in range(rng.randint(1, 3)):
        j = rng.randrange(len(lines))
        op = rng.randrange(7)
        if op <= 2 and ":" in lines[j]:   # a value replaced
            k = lines[j].index(":")
            lines[j] = lines[j][:k + 1] + " " + rng.choice(odd)
        elif op == 3: lines.insert(j, lines[j])          # a repeated key
        elif op == 4: del lines[j]
        elif op == 5: lines[j] = re.sub(r"[a-z]", lambda m: rng.choice("aeiouxz_"), lines[j], count=1)   # misspelt
        else: lines[j] = (" " * rng.randrange(4)) + lines[j].lstrip()   # indentation changed
    open(f"{out}/case-{i:04d}.yaml", "w").write("\n".join(lines) + "\n")
PY
accepted=0; refused=0; crashed=0
for f in "$cases"/*.yaml "$W"/case-*.yaml; do
    [ -f "$f" ] || continue
    timeout 20 "$B" train --config "$f" --check --quiet >"$W/out" 2>&1 </dev/null
    rc=$?
    case "$rc" in
        0) accepted=$((accepted + 1)) ;;
        2) refused=$((refused + 1))
           grep -q "strata: error: " "$W/out" || { echo "  refused without a sentence: $f"; crashed=$((crashed + 1)); } ;;
        *) crashed=$((crashed + 1)); echo "  exit $rc on $f:"; sed 's/^/    | /' "$W/out" | tail -5
           case "$f" in "$cases"/*) ;; *) cp "$f" "$cases/crash-seed$seed-$(basename "$f")" ;; esac ;;
    esac
done
echo "config fuzz: $accepted accepted, $refused refused, $crashed crashed"
[ "$crashed" -eq 0 ]
