import ArgumentParser
import Collectives
import Foundation

/// `strata bench comm`: alltoallv with uneven counts and allreduce over the
/// world, per message size, read like osu_alltoallv: median time, bus
/// bandwidth, and the ledger's bytes split by link class, checked against the
/// bytes the benchmark itself passed to MPI.
struct BenchComm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "comm",
        abstract: "All-to-all-v and allreduce over the world, per message size.",
        discussion: """
        Each rank sends about SIZE bytes to every rank (uneven: between 0.5x and 1.5x \
        SIZE, varying by sender and receiver) and all-reduces SIZE bytes. Times are \
        medians over --reps repetitions after --warmup; bus bandwidth follows the \
        nccl-tests convention (alltoall: algbw * (R-1)/R, allreduce: algbw * 2(R-1)/R). \
        The ledger columns are the bytes this rank sent to other ranks per call, on \
        intra-node and inter-node links; the run fails if they differ from the \
        bytes the benchmark passed to MPI. With several nodes (or --links), a link \
        section follows: rank 0's ping-pong with a peer on its node and with a peer \
        on another node, per size, so intra-node and inter-node bandwidth are \
        measured apart (one-way time = half the median round trip).
        """
    )

    @OptionGroup var world: WorldOptions

    @Option(name: .customLong("min-bytes"), help: "Smallest message per peer, bytes.")
    var minBytes = 1024

    @Option(name: .customLong("max-bytes"), help: "Largest message per peer, bytes (sizes double from --min-bytes).")
    var maxBytes = 1 << 22

    @Option(help: "Timed repetitions per size.")
    var reps = 20

    @Option(help: "Untimed repetitions per size before timing.")
    var warmup = 3

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Flag(inversion: .prefixedNo,
          help: "Also time rank 0's ping-pong with a same-node and an other-node peer, per size (default: when there are several nodes).")
    var links: Bool? = nil

    @Flag(inversion: .prefixedNo,
          help: "Also compare Strata's alltoallv (with the ledger) with bare MPI_Alltoallv on the same buffers, per size.")
    var overhead = true

    func validate() throws {
        guard minBytes >= 4 else { throw ValidationError("--min-bytes must be at least 4, got \(minBytes)") }
        guard maxBytes >= minBytes else { throw ValidationError("--max-bytes (\(maxBytes)) must be at least --min-bytes (\(minBytes))") }
        guard maxBytes <= 1 << 28 else { throw ValidationError("--max-bytes must be at most 268435456") }
        guard reps > 0 else { throw ValidationError("--reps must be positive, got \(reps)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative, got \(warmup)") }
    }

    func run() throws {
        withWorld(ranksPerNode: world.ranksPerNode) { comm in
            var sizes: [Int] = []
            var s = minBytes
            while s <= maxBytes { sizes.append(s); s *= 2 }
            let rows = try sizes.map { try CommBenchmark.measure(comm: comm, bytesPerPeer: $0, reps: reps, warmup: warmup) }
            // The ledger is part of what is benchmarked: a mismatch fails the run.
            if let bad = rows.first(where: { !$0.ledgerMatches }) {
                throw InputError("bench comm: the ledger's bytes differ from the bytes passed to MPI at \(bad.bytesPerPeer) bytes per peer")
            }
            // Intra-node and inter-node links apart (CommLinkBenchmark.swift).
            var linkRows: [CommLinkRow]?
            if links ?? (comm.topology.nodeCount > 1) {
                let measured = try sizes.map { try CommLinkBenchmark.measure(comm: comm, bytes: $0, reps: reps, warmup: warmup) }
                if let bad = measured.first(where: { !$0.ledgerMatches }) {
                    throw InputError("bench comm: the ledger's bytes differ from the bytes sent at \(bad.bytes) bytes (links)")
                }
                linkRows = measured
            }
            // The ledger's cost: the same exchange with and without it (BenchCommOverhead.swift).
            let overheadRows = overhead
                ? sizes.map { CommOverheadBenchmark.measure(comm: comm, bytesPerPeer: $0, reps: reps, warmup: warmup) } : nil
            guard comm.rank == 0 else { return }
            if json {
                let report = CommBenchReport(worldSize: comm.size, nodes: comm.topology.nodeCount,
                                             nodeOfRank: comm.topology.nodeOfRank, rows: rows, links: linkRows,
                                             overhead: overheadRows)
                print(try report.jsonString())
            } else {
                print(CommBenchmark.table(rows, comm: comm))
                if let linkRows { print(CommLinkBenchmark.table(linkRows, comm: comm)) }
                if let overheadRows { print(CommOverheadBenchmark.table(overheadRows)) }
            }
        }
    }
}
