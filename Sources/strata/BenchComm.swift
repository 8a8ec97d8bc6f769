import ArgumentParser
import Benchmarking
import Sharding

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
        medians over --reps repetitions (default 20) after --warmup (default 3); bus bandwidth follows the \
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

    @OptionGroup var bench: BenchOptions

    @Flag(inversion: .prefixedNo,
          help: "Also time rank 0's ping-pong with a same-node and an other-node peer, per size (default: when there are several nodes).")
    var links: Bool? = nil

    @Flag(inversion: .prefixedNo,
          help: "Also compare Strata's alltoallv (with the ledger) with bare MPI_Alltoallv on the same buffers, per size.")
    var overhead = true

    @Option(help: "Instead of the tables: measure the alpha-beta model's latency and bandwidth per link class (small and --max-bytes allreduces on the node's and the cross-node communicators) and write them as JSON to FILE, for strata plan --calibration.")
    var calibrate: String?

    func validate() throws {
        guard minBytes >= 4 else { throw ValidationError("--min-bytes must be at least 4, got \(minBytes)") }
        guard maxBytes >= minBytes else { throw ValidationError("--max-bytes (\(maxBytes)) must be at least --min-bytes (\(minBytes))") }
        guard maxBytes <= 1 << 28 else { throw ValidationError("--max-bytes must be at most 268435456") }
    }

    func run() throws {
        let settings = bench.settings(reps: 20, warmup: 3)
        withWorld(ranksPerNode: world.ranksPerNode) { comm in
            if let calibrate {
                let c = CommCalibrationBenchmark.run(comm: comm, largeBytes: maxBytes, reps: settings.reps, warmup: settings.warmup)
                if comm.rank == 0 {
                    try c.write(to: calibrate)
                    print(String(format: "calibration: latency per round intra %.1f us, inter %.1f us; bandwidth intra %@, inter %@ -> %@",
                                 c.intraNodeLatency * 1e6, c.interNodeLatency * 1e6,
                                 c.intraNodeBandwidth.map { String(format: "%.3f GB/s", $0 / 1e9) } ?? "default",
                                 c.interNodeBandwidth.map { String(format: "%.3f GB/s", $0 / 1e9) } ?? "default", calibrate))
                }
                return
            }
            try CommBenchmark.run(comm: comm, minBytes: minBytes, maxBytes: maxBytes, links: links, overhead: overhead,
                                  settings: settings)
        }
    }
}
