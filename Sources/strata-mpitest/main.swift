import Collectives
import CollectivesMPI
import Data
import Foundation

// Multi-rank checks, run under mpirun by Launch/test (Tests/MPI/run.sh):
//   strata-mpitest comm [--ranks-per-node L]   collectives and the ledger
//   strata-mpitest equivalence [--ranks-per-node L] [--dedup-ids]
//                                              sharded training == one process
//                                              (--dedup-ids: with sharding.dedup_ids on)
//   strata-mpitest mixed [--ranks-per-node L]  the same in 16-bit rows/payloads, and the ledger
//   strata-mpitest scalapack                   ScaLAPACK's layouts, products and factorisations, and
//                                              the kernel regression on it == the replicated path
//   strata-mpitest fail-throw RANK             RANK throws mid-run
//   strata-mpitest fail-kill RANK              RANK kills itself mid-run
//   strata-mpitest fail-input RANK|all         RANK (or every rank) meets bad input mid-run
//   strata-mpitest compare RTOL A.params B.params [A/steps.jsonl B/steps.jsonl]
//                                              two runs' dumps (strata train --dump-params)
//                                              and loss trajectories agree to RTOL; one process
//   strata-mpitest write-binary PATH           a small synthetic binary data file (fixtures)
// Each suite ends with "<suite>: N passed, M failed" on rank 0 and a non-zero
// exit when anything failed on any rank.

let args = Array(CommandLine.arguments.dropFirst())
let suite = args.first ?? "comm"
var ranksPerNode: Int?
if let i = args.firstIndex(of: "--ranks-per-node"), i + 1 < args.count { ranksPerNode = Int(args[i + 1]) }
let launched = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0

struct Failure: Error, CustomStringConvertible { var description: String }

MPIEnvironment.run(ranksPerNode: ranksPerNode, launchedRank: launched) { world in
    switch suite {
    case "comm":
        var checks = Checks(comm: world)
        CommChecks.run(world, &checks)
        try checks.finish(suite: "comm")
    case "equivalence":
        var checks = Checks(comm: world)
        try EquivalenceChecks.run(world, &checks, dedupIds: args.contains("--dedup-ids"))
        try checks.finish(suite: "equivalence")
    case "mixed":
        var checks = Checks(comm: world)
        try MixedPrecisionChecks.run(world, &checks)
        try checks.finish(suite: "mixed")
    case "scalapack":
        var checks = Checks(comm: world)
        try ScaLAPACKChecks.run(world, &checks)
        try checks.finish(suite: "scalapack")
    case "fail-input":
        // Bad input met by one rank alone (a file only it reads) must end the
        // job naming that rank; met by every rank, one line from rank 0.
        for step in 0..<3 { _ = world.allreduce(.control, Int64(step)) }
        let who = args.count > 1 ? args[1] : "1"
        if who == "all" || Int(who) == world.rank { throw InputError("deliberate bad input at step 3") }
        for _ in 0..<1_000_000 { world.barrier() }
    case "fail-throw", "fail-kill":
        let victim = args.count > 1 ? Int(args[1]) ?? 1 : 1
        // Everyone does some real work first, then the victim fails while the
        // others wait in collectives that can never complete.
        for step in 0..<3 { _ = world.allreduce(.control, Int64(step)) }
        if world.rank == victim {
            if suite == "fail-kill" { kill(getpid(), SIGKILL) }
            throw Failure(description: "deliberate failure at step 3")
        }
        for _ in 0..<1_000_000 { world.barrier() }
    case "write-binary":
        guard args.count > 1 else { throw InputError("usage: write-binary PATH") }
        var c = SyntheticConfig()
        c.samples = 500; c.evalSamples = 50; c.itemRows = 100; c.userRows = 50
        c.extraTables = [.init(name: "c0", rows: 20)]; c.historyMaxLength = 4; c.sessionLength = 3
        try BinaryDataset.write(from: SyntheticDataset(c), split: .train, layout: .session, to: args[1])
    case "compare":
        try RunComparison.run(Array(args.dropFirst()))
    default:
        throw InputError("unknown suite '\(suite)'; known: comm, equivalence, mixed, scalapack, fail-throw, fail-kill, fail-input, compare")
    }
}
