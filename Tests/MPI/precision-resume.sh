#!/usr/bin/env bash
# What resuming on another world size promises per precision mode
# (docs/RELIABILITY.md, "Exact resume"): Tests/MPI/fixtures/tiny.yaml with
# embedding.precision and comm.precision set to MODE, 20 steps on 4 ranks
# resumed to 40 on 2, against 40 uninterrupted steps on 4. Prints, per mode,
# the smallest rtol (of 0, 1e-7 ... 1e-1) at which `strata-mpitest compare`
# holds the parameters and every step's loss, and the worst step's loss
# difference alone. A measurement, not a pass/fail test (about 15 s).
# Usage: bash Tests/MPI/precision-resume.sh
source "$(dirname "$0")/../../Launch/common.sh"
set +e
cd "$STRATA_ROOT"
B="$STRATA_BIN"; T="$STRATA_ROOT/.build/release/strata-mpitest"; C="$STRATA_ROOT/Tests/MPI/fixtures/tiny.yaml"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
for mode in fp32 fp16 bf16; do
    P="--set embedding.precision=$mode --set comm.precision=$mode"
    mpi_run 4 "$B" train --config "$C" $P --quiet --run-dir "$W/$mode-ref" --dump-params "$W/$mode-ref.params" >/dev/null 2>&1
    mpi_run 4 "$B" train --config "$C" $P --quiet --run-dir "$W/$mode-r" --set run.steps=20 >/dev/null 2>&1
    mpi_run 2 "$B" train --resume "$W/$mode-r" --set run.steps=40 --quiet --dump-params "$W/$mode-r.params" >/dev/null 2>&1
    held="none up to 1e-1"
    for rtol in 0 1e-7 1e-6 1e-5 1e-4 1e-3 1e-2 1e-1; do
        if "$T" compare "$rtol" "$W/$mode-r.params" "$W/$mode-ref.params" "$W/$mode-r/steps.jsonl" "$W/$mode-ref/steps.jsonl" >/dev/null 2>&1; then
            held="$rtol"; break
        fi
    done
    worst="$(python3 - "$W/$mode-r/steps.jsonl" "$W/$mode-ref/steps.jsonl" <<'PY'
import json, sys
a, b = ({json.loads(l)["step"]: json.loads(l)["loss"] for l in open(p)} for p in sys.argv[1:])
print("%.1e" % max(abs(a[s] - b[s]) / abs(b[s]) for s in a if s in b))
PY
)"
    echo "$mode: parameters and losses held at rtol $held; worst step loss relative difference $worst"
done
