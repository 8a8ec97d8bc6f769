#!/usr/bin/env bash
# FEL's leaf phase with a core per rank: strata binaries (say, two commits'
# builds) run the same FEL config on 4, 8 and 16 ranks, alternating binaries
# within each repetition, ranks bound one to a core; prints, per (ranks, k),
# each binary's leaf-phase seconds (the sum of the leaf records' wall_seconds
# in rounds.jsonl) and its median against the first binary's, and the leaf
# phase's MPI bytes.
#   bash Benchmarks/fl/fel-leaf-wall.sh OUT_DIR REPS NAME=BINARY...
# e.g. ... /tmp/felw 3 interleaved=/tmp/old/strata now=.build/release/strata
# Shapes with more ranks than the machine has cores are skipped.
# docs/benchmarks/federated.md "FEL's leaves on communicators of their own" quotes it.
source "$(dirname "$0")/../../Launch/common.sh"
cd "$STRATA_ROOT"
out="$1" reps="$2"; shift 2
BINARIES=("$@")
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
cores="$(grep -c ^processor /proc/cpuinfo)"
A=(--quiet --config Configs/fel-synthetic.yaml --set clients_per_round=400 --set client.epochs=4 --set rounds=20
   --set eval.every=20 --set fel.over_rounds=5 --set fel.central_epochs=0)
for rep in $(seq 1 "$reps"); do
    for shape in "4 3" "4 4" "8 4" "8 7" "16 15"; do
        set -- $shape
        [ "$1" -gt "$cores" ] && continue
        for nb in "${BINARIES[@]}"; do
            name="${nb%%=*}" bin="${nb#*=}"
            mpirun -np "$1" --bind-to core --map-by core --mca pml ob1 --mca btl self,vader -x OPENBLAS_NUM_THREADS -x OMP_NUM_THREADS \
                "$bin" fl "${A[@]}" --set fel.k="$2" --run-dir "$out/$name-np$1-k$2-$rep" >"$out/$name-np$1-k$2-$rep.log" 2>&1 \
                || echo "FAIL $name np=$1 k=$2 (see $out/$name-np$1-k$2-$rep.log)"
        done
    done
done
python3 - "$out" "${BINARIES[@]}" <<'PY'
import collections, glob, json, os, statistics, sys
out, names = sys.argv[1], [b.split("=", 1)[0] for b in sys.argv[2:]]
leaf = collections.defaultdict(list)
mb = {}
for d in glob.glob(os.path.join(out, "*-np*-k*-*")):
    if d.endswith(".log") or not os.path.exists(d + "/rounds.jsonl"): continue
    name, np_, k, _ = os.path.basename(d).rsplit("-", 3)
    recs = [json.loads(l) for l in open(d + "/rounds.jsonl")]
    leaves = [r for r in recs if str(r["federation"]).startswith("leaf")]
    leaf[(int(np_[2:]), int(k[1:]), name)].append(sum(r["wall_seconds"] for r in leaves))
    mb[(int(np_[2:]), int(k[1:]), name)] = sum(r["mpi_bytes"] for r in leaves) / 1e6
for np_, k in sorted({(a, b) for a, b, _ in leaf}):
    base = statistics.median(leaf[(np_, k, names[0])])
    cells = [f"{n}: " + ", ".join(f"{x:.2f}" for x in leaf[(np_, k, n)])
             + f" s (x{statistics.median(leaf[(np_, k, n)]) / base:.2f}, {mb[(np_, k, n)]:.0f} MB)" for n in names]
    print(f"{np_} ranks, k = {k} | " + " | ".join(cells))
PY
