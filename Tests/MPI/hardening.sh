#!/usr/bin/env bash
# Input hardening (issue 39): every numeric key and option refuses NaN,
# infinity, -1, 0 and a huge value outside its declared range with exit 2 and
# one sentence naming it (and no numeric key or option is read without a
# declared range); messages name the path and say in words what failed; a
# config section given a value says so; `strata serve` ends at once when it
# cannot bind and drains every request on SIGTERM; empty evaluation splits are
# refused or said, never scored. Run by Tests/MPI/run.sh (or alone, after
# `swift build -c release --product strata`); prints "hardening: N passed, M failed".
source "$(dirname "$0")/suite.sh"
B="$STRATA_BIN"

# refused NAME PATTERN COMMAND...: exit 2, one line of stderr that starts
# "strata: error:" and matches PATTERN, no trap or backtrace, within 60 s.
refused() {
    local name="$1" pattern="$2"; shift 2
    timeout 60 "$@" </dev/null >"$W/stdout" 2>"$W/stderr"
    local rc=$? lines; lines=$(wc -l <"$W/stderr")
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -Eq "^strata: error: .*($pattern)" "$W/stderr" \
       && ! grep -Eqi 'NSCocoaErrorDomain|Fatal error|Stack dump|backtrace|ExitCode\(' "$W/stderr" "$W/stdout"; then
        ok "$name"
    else
        { echo "exit $rc, $lines line(s) of stderr:"; cat "$W/stderr"; } >"$W/why"; bad "$name" "$W/why"
    fi
}

echo "hardening: every declared numeric key and option refuses NaN, infinity, -1, 0 and a huge value outside its range"
"$B" ranges >"$W/ranges" 2>&1 || bad "strata ranges failed" "$W/ranges"
[ "$(wc -l <"$W/ranges")" -gt 100 ] && ok "strata ranges lists $(wc -l <"$W/ranges") declared keys and options" \
    || bad "strata ranges lists too few" "$W/ranges"
# train's keys (RunConfigKeys) are declared like every other command's: plan,
# bench train, sweep and the data commands read the same ones.
train_keys=$(awk -F'\t' '$1 == "train" && $2 == "set"' "$W/ranges" | wc -l)
[ "$train_keys" -ge 40 ] && ok "strata ranges lists train's $train_keys numeric keys" || bad "strata ranges lists $train_keys of train's keys" "$W/ranges"
tried=0; failures=0
while IFS=$'\t' read -r command mode name kind low bound high probe; do
    for v in nan inf -1 0 huge; do
        value="$v"; [ "$v" = huge ] && { [ "$kind" = int ] && value=99999999999999999999 || value=1e300; }
        # Values inside the declared range would start the real work: only the outside ones are run.
        # bound: which ends are included, in interval notation ([], (], [), ()).
        inside=$(awk -v v="$v" -v lo="$low" -v b="$bound" -v hi="$high" 'BEGIN {
            if (v == "nan" || v == "inf" || v == "huge") { print 0; exit }
            x = v + 0; above = (substr(b, 1, 1) == "(") ? (x > lo + 0) : (x >= lo + 0)
            below = (substr(b, 2, 1) == ")") ? (x < hi + 0) : (x <= hi + 0); print (above && below) ? 1 : 0 }')
        [ "$inside" = 1 ] && continue
        read -r -a words <<<"$command"
        read -r -a args <<<"$probe"
        case "$mode" in
            option) cmd=("$B" "${words[@]}" "${args[@]}" "$name" "$value") ;;
            set) cmd=("$B" "${words[@]}" "${args[@]}" --set "$name=$value") ;;
            file) printf '%s\n%s: %s\n' "$probe" "$name" "$value" >"$W/file.yaml"; cmd=("$B" "${words[@]}" --config "$W/file.yaml") ;;
        esac
        tried=$((tried + 1))
        timeout 60 "${cmd[@]}" </dev/null >"$W/stdout" 2>"$W/stderr"
        rc=$?
        if [ "$rc" -ne 2 ] || [ "$(wc -l <"$W/stderr")" -ne 1 ] || ! grep -Fq -- "$name" "$W/stderr" || ! grep -q "must be" "$W/stderr" \
           || grep -Eqi 'Fatal error|Stack dump|backtrace' "$W/stderr"; then
            failures=$((failures + 1))
            [ "$failures" -le 10 ] && { echo "$command $name=$value: exit $rc"; cat "$W/stderr"; } | sed 's/^/       | /'
        fi
    done
done <"$W/ranges"
[ "$failures" -eq 0 ] && ok "$tried out-of-range values refused: exit 2, one sentence naming the key and its range" \
    || bad "$failures of $tried out-of-range values not refused as one sentence with exit 2"

# The declarations are the only way a numeric key or option is read: one
# parsed as a number without a declared range fails here.
unranged=""
# Keys declared through ConfigSchema: the typed ones (.int, .real, .ints, .reals,
# .seed, .seeds) take their range as an argument; a hand-written Key without
# one must not read a number.
for f in Sources/strata/FLKeys.swift Sources/strata/KernelKeys.swift Sources/strata/EvolveLoader.swift Sources/strata/SweepLoader.swift \
         Sources/CLISupport/RunConfigKeys*.swift; do
    for k in $(awk '/Key(\(help:| \{)/ { open = 1; key = $0; sub(/^[^"]*"/, "", key); sub(/".*/, "", key) }
                   open && /\.(int|double|uint64|ints|float|list)\(/ { print key; open = 0 }
                   /\}\)/ { open = 0 }' "$f"); do unranged="$unranged $f:$k"; done
done
# Options: every Int, Double or UInt64 @Option of these files, by its long name.
for f in strata-serve/ServeCommand strata-serve/ServeOptions strata-serve/LoadgenCommand strata/DataConvert strata/DataPerfCommand strata/DataPerfEvaluate; do
    for o in $(awk '/@Option/ { opt = $0; next }
                    opt != "" && /^ *var [a-zA-Z]+(: (Int|Double|UInt64)\??)?( = [-0-9.(]|$)/ && $0 !~ /: String/ && ($0 ~ /: (Int|Double|UInt64)/ || $0 ~ /= [-0-9.]/) {
                        name = $2; sub(/:.*/, "", name)
                        if (match(opt, /customLong\("[a-z0-9-]+"\)/)) long = substr(opt, RSTART + 12, RLENGTH - 14)
                        else { long = ""; for (i = 1; i <= length(name); i++) { ch = substr(name, i, 1); long = long (ch ~ /[A-Z]/ ? "-" tolower(ch) : ch) } }
                        print "--" long }
                    { opt = "" }' "Sources/$f.swift"); do
        awk -F'\t' -v n="$o" '$2 == "option" && $3 == n { f = 1 } END { exit !f }' "$W/ranges" || unranged="$unranged $f:$o"
    done
done
[ -z "$unranged" ] && ok "no numeric key or option is read without a declared range" || { echo "$unranged" >"$W/why"; bad "read without a declared range:" "$W/why"; }

echo "hardening: messages name the path or key and say what failed"
C="$STRATA_ROOT/Tests/MPI/fixtures/tiny.yaml"
refused "train: 'run: 5' is a section, not a value" "'run' is a section, not a value" "$B" train --config "$C" --set run=5
refused "fl: 'client: 5' is a section, not a value" "'client' is a section, not a value" "$B" fl --set client=5
refused "serve --config missing: one line, no stray ExitCode line" "$W/none.yaml" "$B" serve --config "$W/none.yaml"
refused "loadgen --config missing: one line, no stray ExitCode line" "$W/none.yaml" "$B" loadgen --config "$W/none.yaml" --port 1
touch "$W/afile"
refused "dataperf task make: an output folder under a file names it" "$W/afile" \
    "$B" dataperf task make --dataset synthetic --track selection --out "$W/afile/task"
refused "evolve: an output folder under a file names it" "$W/afile" \
    "$B" evolve --config "$STRATA_ROOT/Tests/MPI/evolve-tiny.yaml" --out "$W/afile/run"
refused "data convert: an output folder that is a file names it" "$W/afile.*is a file" \
    "$B" data convert --config "$C" --out "$W/afile"
mkdir -p "$W/ml/ml-latest-small-ratings.csv"; touch "$W/ml/ml-latest-small-movies.csv"
refused "fl: a ratings path that is a folder says so" "ml-latest-small-ratings.csv: cannot read: it is a folder, not a file" \
    "$B" fl --set data.source=movielens --set data.movielens_dir="$W/ml"
mkdir -p "$W/iae"
refused "iae: a data file that is missing says so" "ratings.csv: cannot read: no such file" "$B" iae --set data.path="$W/iae"
refused "fl: a run folder under a file names it" "$W/afile" "$B" fl --run-dir "$W/afile/run"

echo "hardening: empty evaluation splits are refused or said, never scored"
printf 'userId,movieId,rating,timestamp\n' >"$W/few.csv"
for u in 1 2 3 4 5 6; do for i in 1 2 3 4 5; do echo "$u,$((i * 10 + u % 3)),4.0,$i" >>"$W/few.csv"; done; done
refused "iae: no validation rows and several λ: refused, not a λ chosen on nothing" "validation split is empty" \
    "$B" iae --set data.path="$W/few.csv" --set 'iae.lambdas=[1, 10]' --quiet
ML="$STRATA_ROOT/Configs/movielens.yaml"
if [ -d "$STRATA_ROOT/../shared/data/movielens" ]; then
    refused "data baseline: an empty eval split is refused, not logloss 0 / AUC 0.5" "no evaluation: the eval split is empty" \
        "$B" data baseline --config "$ML" --set data.movielens.eval_per_user=0
fi

echo "hardening: strata serve binds or ends at once; SIGTERM drains every request"
"$B" serve --workload rmc1 --port 0 --port-file "$W/port" --cores 2 --threads 1 >"$W/serve1.out" 2>&1 &
first=$!
for _ in $(seq 1 600); do [ -s "$W/port" ] && break; sleep 0.1; done
port="$(cat "$W/port" 2>/dev/null)"
refused "serve on a port in use: exit 2 naming the address and the reason" "cannot listen on 127.0.0.1:$port: address already in use" \
    "$B" serve --workload rmc1 --port "$port" --cores 2 --threads 1
refused "serve on a host that does not resolve: exit 2" "cannot listen on no-such-host.invalid:8080" \
    "$B" serve --workload rmc1 --host no-such-host.invalid --port 8080 --cores 2 --threads 1
refused "serve on port 70000: refused, not wrapped" "--port must be an integer in 0...65535" "$B" serve --workload rmc1 --port 70000
kill -TERM "$first"; wait "$first"
# 150 requests in flight together, SIGTERM in the middle, 3 times: every one gets a whole reply
# (200 or 503, a 400 for this body), none an empty reply or a reset (curl's 000). Before the
# drain, 7 to 16 of 150 were dropped in 2 of 3 such runs on this machine.
body='{}'
if command -v curl >/dev/null; then
    dropped=0
    for rep in 1 2 3; do
        rm -f "$W/port" "$W"/reply.*
        "$B" serve --workload rmc1 --port 0 --port-file "$W/port" --cores 2 --threads 1 >"$W/serve.out" 2>&1 &
        server=$!
        for _ in $(seq 1 600); do [ -s "$W/port" ] && break; sleep 0.1; done
        port="$(cat "$W/port" 2>/dev/null)"
        for i in $(seq 1 150); do
            ( curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H 'Content-Type: application/json' -d "$body" \
                "http://127.0.0.1:$port/score" >"$W/reply.$i" 2>/dev/null ) &
        done
        sleep 0.2
        kill -TERM "$server"
        wait
        grep -q "stopped" "$W/serve.out" || dropped=$((dropped + 1000))
        lost=$(for i in $(seq 1 150); do c="$(cat "$W/reply.$i")"; case "$c" in 200|400|503) ;; *) echo "$c";; esac; done | wc -l)
        dropped=$((dropped + lost))
    done
    if [ "$dropped" -eq 0 ]; then ok "SIGTERM with 150 requests in flight, 3 times: 0 dropped, the server stopped each time"
    else bad "SIGTERM with 150 requests in flight, 3 times: $dropped dropped (1000 per run that did not stop)" "$W/serve.out"; fi
fi

echo "hardening: $passed passed, $failed failed"
