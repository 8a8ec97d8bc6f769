# Shared by the Launch/ scripts: set-up on a fresh machine and the mpirun
# environment. Sourced, not run.
set -euo pipefail

STRATA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRATA_BIN="$STRATA_ROOT/.build/release/strata"

log() { printf 'strata: %s\n' "$*" >&2; }

# Installs OpenMPI, OpenBLAS and LLVM 14 from Debian's packages when missing; quiet and
# quick when they are already there.
ensure_packages() {
    # clang-14 and llvm-14 (Debian bookworm, 1:14.0.6): `strata evolve` (GEVO) compiles kernels
    # to IR and back with this one LLVM, never the Swift toolchain's own clang.
    if command -v mpirun >/dev/null 2>&1 && pkg-config --exists ompi-c openblas 2>/dev/null \
        && [ -x /usr/lib/llvm-14/bin/clang ] && [ -x /usr/lib/llvm-14/bin/opt ] && [ -x /usr/lib/llvm-14/bin/llc ] \
        && [ -f /usr/include/oneapi/dnnl/dnnl.h ] && [ -f /usr/include/zlib.h ] \
        && pkg-config --exists scalapack-openmpi 2>/dev/null; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to install libopenmpi-dev openmpi-bin libopenblas-dev llvm-14 clang-14 libdnnl-dev zlib1g-dev libscalapack-openmpi-dev"; exit 1; }
        sudo="sudo"
    fi
    log "installing libopenmpi-dev openmpi-bin libopenblas-dev pkg-config llvm-14 clang-14 libdnnl-dev zlib1g-dev libscalapack-openmpi-dev"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libopenmpi-dev openmpi-bin libopenblas-dev pkg-config llvm-14 clang-14 libdnnl-dev zlib1g-dev \
        libscalapack-openmpi-dev >/dev/null
}

# build_release [SWIFT BUILD OPTIONS...]: the release build, incremental.
# Launch/train (--product strata), Launch/test (every product and the tests),
# CI (Launch/test) and the benchmarks all build `-c release` with no other flag,
# and the tests never `@testable import` (a release `--build-tests` build,
# like `swift test -c release --disable-testable-imports`, adds no
# -enable-testing): one set of artefacts in .build/release; switching between them
# compiles only what the other lacks (the test targets, strata-serve), never
# the same file twice. Keep any new flag the same in every caller.
# Progress lines are hidden; the whole output stays in .build/last-build.log.
build_release() {
    local out="$STRATA_ROOT/.build/last-build.log" rc=0
    mkdir -p "$STRATA_ROOT/.build"
    (cd "$STRATA_ROOT" && swift build -c release "$@" 2>&1) | tee "$out" \
        | { grep -Ev '^\[[0-9]+/[0-9]+\]|^Building for|^Build complete' >&2 || true; } || rc=$?
    return "$rc"
}

# source_warnings LOG...: the compiler's warnings about Strata's own files
# (under Sources/), deduplicated. Dependencies' warnings (their files lie under
# .build/checkouts) and SwiftPM's "found N file(s) which are unhandled" notes
# (no file:line:column of ours) never match.
source_warnings() {
    local logical="$STRATA_ROOT/Sources/" physical
    physical="$(cd "$STRATA_ROOT" && pwd -P)/Sources/"
    cat "$@" | awk -v a="$logical" -v b="$physical" \
        '(index($0, a) == 1 || index($0, b) == 1) && $0 ~ /^[^ :]+:[0-9]+:[0-9]+: warning: / { print }' | sort -u
}

# Runs mpirun with NP ranks: the root variables when root, --oversubscribe
# when ranks exceed cores, and one OpenBLAS thread per rank when ranks share
# cores (a multi-threaded BLAS call on a busy core runs ~10x slower).
mpi_run() {
    local np="$1"; shift
    local cores; cores="$(nproc)"
    local extra=()
    if [ "$(id -u)" -eq 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    if [ "$np" -gt "$cores" ]; then extra+=(--oversubscribe); fi
    if [ "$np" -gt 1 ] || [ -z "${OPENBLAS_NUM_THREADS:-}" ]; then
        if [ "$np" -ge "$cores" ] || [ "$np" -gt 1 ]; then export OPENBLAS_NUM_THREADS=1; fi
    fi
    # Ranks that wait in a collective must yield the core when oversubscribed.
    export OMPI_MCA_mpi_yield_when_idle=1
    mpirun -np "$np" ${extra[@]+"${extra[@]}"} --bind-to none "$@"
}
