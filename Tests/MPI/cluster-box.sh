#!/usr/bin/env bash
# The cluster on one machine (Launch/cluster-box): 2 network namespaces of 2
# ranks each, TCP over a bridge between them, shared memory inside each.
# Called by Tests/MPI/run.sh, which adds our "box: N passed, M failed" line to
# its own count. Skipped, with the reason printed, where namespaces cannot be
# created (not root, no iproute2, a container without CAP_NET_ADMIN).
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
BOX="$STRATA_ROOT/Launch/cluster-box"
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; if [ -n "${2:-}" ]; then sed 's/^/       | /' "$2" | tail -20; fi; }
summary() { echo "box: $passed passed, $failed failed"; }

skip() { echo "  skip cluster-box tests: $1"; summary; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need CAP_NET_ADMIN)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command (package iproute2)"
command -v python3 >/dev/null 2>&1 || skip "no python3 to read bench comm's JSON"
probe="strata-probe$$"
if ! err="$(ip netns add "$probe" 2>&1)"; then skip "ip netns add fails here: $err"; fi
ip netns del "$probe"

# Whatever happens, nothing of the box outlives the tests.
out="$(mktemp)"
trap 'timeout 60 "$BOX" down >/dev/null 2>&1 || true; rm -f "$out"' EXIT

# box LIMIT ARGS...: Launch/cluster-box ARGS under a time limit, output in $out.
box() { local limit="$1"; shift; timeout "$limit" "$BOX" "$@" >"$out" 2>&1; }

# json_check PYTHON_EXPR: evaluates the expression on the JSON in $out (as r);
# prints the expression's value when it is not True.
json_check() {
    python3 -c '
import json, sys
text = open(sys.argv[1]).read()
r = json.loads(text[text.index("{"):text.rindex("}") + 1])
v = eval(sys.argv[2])
print(v if v is not True else "", end="")
sys.exit(0 if v is True else 1)' "$out" "$1"
}

# Leaves nothing behind: no strata-* namespace, link or bridge, no state.
nothing_left() {
    [ -z "$(ip netns list | grep -E '^strata-' || true)" ] \
        && [ -z "$(ip -o link show | awk -F': ' '{print $2}' | grep -E '^strata-' || true)" ] \
        && [ ! -e /run/strata-box ]
}

echo "2 hosts x 2 ranks, unshaped"
if box 60 up --hosts 2 --slots 2; then ok "up --hosts 2"; else bad "up --hosts 2" "$out"; fi
if box 60 up --hosts 2 --slots 2 && [ "$(ip netns list | grep -cE '^strata-h')" -eq 2 ]; then
    ok "up again replaces the box (idempotent)"
else bad "up again" "$out"; fi

if box 120 run -np 4 -- strata-mpitest comm && grep -q "comm: [0-9]* passed, 0 failed" "$out"; then
    ok "strata-mpitest comm on 2 hosts (collectives, ledger by link class)"
else bad "strata-mpitest comm on 2 hosts" "$out"; fi

# One alltoallv size, 4096 bytes per peer nominal: 1024 floats. By
# CommBenchmark.count (512 + 1024 * ((from + 2 to) mod 4) / 3 floats), rank 0
# sends 512 floats to rank 2 and 1194 to rank 3, both on the other host:
# 1706 floats = 6824 bytes cross hosts per call; rank 1, on rank 0's host,
# gets 1194 floats = 4776 bytes.
if box 120 run -np 4 -- strata bench comm --json - --min-bytes 4096 --max-bytes 4096 --reps 2 --warmup 1 --no-links; then
    if v="$(json_check 'r["nodes"] == 2 and r["node_of_rank"] == [0, 0, 1, 1] or r["node_of_rank"]')"; then
        ok "topology: 2 nodes of 2 (MPI_Comm_split_type on two hosts)"
    else bad "topology: node_of_rank $v, expected [0, 0, 1, 1]" "$out"; fi
    if v="$(json_check 'r["rows"][0]["ledger_inter_bytes"] == 6824 and r["rows"][0]["ledger_intra_bytes"] == 4776 or (r["rows"][0]["ledger_intra_bytes"], r["rows"][0]["ledger_inter_bytes"])')"; then
        ok "ledger: rank 0's inter-node alltoallv bytes = the 6824 bytes sent across hosts"
    else bad "ledger: (intra, inter) = $v, expected (4776, 6824)" "$out"; fi
else bad "bench comm --json on 2 hosts" "$out"; fi

# The sharding equivalence test (every plan, dedup on and off, against one
# process) must pass over TCP between hosts as it does in shared memory.
if box 300 run -np 4 -- strata-mpitest equivalence && grep -q "equivalence: [0-9]* passed, 0 failed" "$out"; then
    ok "sharded training equals one process on 2 hosts x 2 ranks"
else bad "equivalence on 2 hosts" "$out"; fi

echo "2 hosts, links shaped to 100 Mbit"
if box 60 up --hosts 2 --slots 2 --link-rate 100mbit; then ok "up --link-rate 100mbit"; else bad "up --link-rate 100mbit" "$out"; fi
# 1 MiB ping-pong: ~85 ms one way over 100 Mbit, well under 1 ms in shared memory.
if box 180 run -np 4 -- strata bench comm --json - --min-bytes 1048576 --max-bytes 1048576 --reps 3 --warmup 1 --links; then
    if v="$(json_check 'r["links"][-1]["intra_g_bps"] >= 10 * r["links"][-1]["inter_g_bps"] or (r["links"][-1]["intra_g_bps"], r["links"][-1]["inter_g_bps"])')"; then
        ok "bench comm: inter-host bandwidth at least 10x below intra-host at 100 Mbit ($(json_check '"%.4f GB/s vs %.4f GB/s" % (r["links"][-1]["intra_g_bps"], r["links"][-1]["inter_g_bps"])' || true))"
    else bad "bench comm: (intra, inter) GB/s = $v, not 10x apart" "$out"; fi
else bad "bench comm --links at 100 Mbit" "$out"; fi

echo "down, also after failures"
start=$SECONDS; rc=0
box 60 run -np 4 -- strata-mpitest fail-kill 3 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then ok "a rank killed on the second host ends the job (exit $rc in $((SECONDS - start))s)"
else bad "killed rank on the box: exit $rc" "$out"; fi
if box 60 down && nothing_left; then ok "down after a failed run leaves no namespace, link or bridge"
else bad "down after a failed run" "$out"; fi
if box 60 down && nothing_left; then ok "down again (idempotent)"; else bad "down again" "$out"; fi
# tc refuses a zero rate after the bridge, namespaces and links exist: up must
# fail and take them away again.
if ! box 60 up --hosts 2 --link-rate 0bit && grep -q "up failed; removing" "$out" && nothing_left; then
    ok "a failed up removes what it made"
else bad "failed up left something behind" "$out"; fi

summary
[ "$failed" -eq 0 ]
