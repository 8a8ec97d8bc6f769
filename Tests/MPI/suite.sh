# Sourced by the Tests/MPI sub-suites: the launch helpers, a scratch folder $W
# removed on exit, the pass/fail counts with ok and bad, and run.
source "$(dirname "${BASH_SOURCE[0]}")/../../Launch/common.sh"
set +e
cd "$STRATA_ROOT"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); printf '  ok   %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf '  FAIL %s\n' "$1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/       | /' "$2" | tail -20; }

# run NP ARGS...: mpirun under a 300 s timeout, output to $W/out.
run() { local np="$1"; shift; timeout 300 bash -c "source '$STRATA_ROOT/Launch/common.sh'; mpi_run $np $*" </dev/null >"$W/out" 2>&1; }
