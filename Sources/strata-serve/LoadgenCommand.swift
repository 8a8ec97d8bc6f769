import ArgumentParser
import CLISupport
import Foundation
import RunKit
import Serving
import ServingHTTP
import Training

/// `strata loadgen`: open-loop Poisson load on a running `strata serve` over loopback.
struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: ServingHelp.loadgen,
        discussion: """
        Arrivals are a Poisson process (exponential gaps); each request is sent at its \
        scheduled instant on one of --connections keep-alive connections, and its latency runs \
        from that instant (time waiting for a connection counts). Query sizes: mlperf (100-700 \
        candidates, uniform: a stand-in for MLPerf DLRM's quantile file) or normal (165, 16). \
        Requests match the --workload / --run / --config model's features, with seeded random \
        ids. Percentiles come from an HdrHistogram (3 significant digits). Without --bound-ms, \
        one step at --rate; with it, --steps steps of DeepRecSys's search (over the bound: gap x \
        1.25; more than 10 % under: gap / 1.12; over twice the bound, any 503 or under half of it: \
        x or / 1.5) and the answer is the median rate of the last 5 steps. The client pins itself to --client-cpus (taskset) and reports its \
        own CPU time. Loopback only. Writes --out: summary.json, steps.jsonl, an SVG of the search.
        """
    )

    @OptionGroup var model: ModelSourceOptions

    @Option(help: "The server's port on 127.0.0.1.")
    var port: Int

    @Option(help: "Arrival rate (requests/s) of the single step, or the search's start.")
    var rate = 20.0

    @Option(help: "Requests per step (at most).")
    var requests = 200

    @Option(name: .customLong("max-seconds"), help: "Longest a step schedules arrivals.")
    var maxSeconds = 5.0

    @Option(help: "Query sizes: mlperf or normal.")
    var sizes: QuerySizes = .mlperf

    @Option(name: .customLong("bound-ms"), help: "Tail latency bound (ms): search the highest rate under it.")
    var boundMs: Double?

    @Option(help: "Tail percentile the bound applies to: 95 or 99.")
    var percentile = 95.0

    @Option(help: "Search steps.")
    var steps = 10

    @Option(help: "Client connections (threads).")
    var connections = 32

    @Option(name: .customLong("client-cpus"), help: "CPUs the client runs on (taskset list, e.g. 1).")
    var clientCPUs: String?

    @Option(help: "Run folder.")
    var out: String?

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<LoadgenCommand>("loadgen", [
        ("--port", .port, { Double($0.port) }), ("--rate", .above(0, atMost: 1e7), { $0.rate }),
        ("--requests", .ints(1...10_000_000), { Double($0.requests) }), ("--max-seconds", .above(0, atMost: 86_400), { $0.maxSeconds }),
        ("--bound-ms", .above(0, atMost: 1e7), { $0.boundMs }), ("--percentile", .reals(50...99.999), { $0.percentile }),
        ("--steps", .ints(1...1000), { Double($0.steps) }), ("--connections", .ints(1...10_000), { Double($0.connections) }),
    ]).adding(ModelSourceOptions.ranges) { $0.model }

    func validate() throws {
        guard port > 0 && port < 65536 else { throw ValidationError("--port must be 1...65535") }
        guard rate > 0, requests > 0, maxSeconds > 0, steps > 0, connections > 0 else {
            throw ValidationError("--rate, --requests, --max-seconds, --steps and --connections must be positive")
        }
        guard [95, 99].contains(percentile) else { throw ValidationError("--percentile must be 95 or 99") }
    }

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(out, what: "the run folder")
        let generator: RequestGenerator
        do {
            let w = try model.workloadSpec()
            generator = try RequestGenerator(workload: w)
            if let c = clientCPUs { try LoadGenerator.pin(cpus: try parseCPUs(c)) }
        } catch { throw inputFailure(error) }
        let load = LoadGenerator(port: port, generator: generator, sizes: sizes, connections: connections, seed: model.seed)
        let folder = try out.map { try RunFolder(path: $0, isWriter: true) }
        let percentile = self.percentile
        func step(_ r: Double, _ k: Int) throws -> LoadResult {
            let result = load.run(LoadSpec(rate: r, requests: requests, maxSeconds: maxSeconds, sizes: sizes, seed: model.seed &+ UInt64(k)))
            try folder?.appendLine("steps.jsonl", result)
            print(String(format: "loadgen: rate %.1f/s sent %d ok %d shed %d failed %d  p50 %.1f p95 %.1f p99 %.1f ms  client CPU %.3f s",
                         r, result.sent, result.ok, result.shed, result.failed, result.p50Ms, result.p95Ms, result.p99Ms, result.clientCPUSeconds))
            return result
        }
        guard let boundMs else {
            let r = try step(rate, 0)
            try folder?.writeJSON("summary.json", LoadSummary(bound: nil, percentile: percentile, sustainedRate: nil, steps: [r]))
            return
        }
        var results: [LoadResult] = []
        let search = RateSearch(boundSeconds: boundMs / 1000, steps: steps)
        let (sustained, _) = try search.run(start: rate) { r in
            let res = try step(r, results.count)
            results.append(res)
            return RateSearch.Step(rate: r, tailSeconds: res.tailSeconds(percentile: percentile), achievedRate: res.achievedRate,
                                   shed: res.shed, failed: res.failed, requests: res.sent, meets: res.tailSeconds(percentile: percentile) * 1000 <= boundMs
                                       && res.shed == 0 && res.failed == 0)
        }
        print(String(format: "loadgen: highest sustainable rate at p%.0f <= %.0f ms: %.1f requests/s", percentile, boundMs, sustained))
        try folder?.writeJSON("summary.json", LoadSummary(bound: boundMs, percentile: percentile, sustainedRate: sustained, steps: results))
        try folder?.writeText("search.svg", ServePlots.rateSearch(results, boundMs: boundMs, percentile: percentile))
    }
}

extension QuerySizes: ExpressibleByArgument {}

struct LoadSummary: Encodable {
    var bound: Double?
    var percentile: Double
    var sustainedRate: Double?
    var steps: [LoadResult]
    var clientCPUSecondsPerRequest: Double {
        let sent = steps.reduce(0) { $0 + $1.sent }
        return sent == 0 ? 0 : steps.reduce(0) { $0 + $1.clientCPUSeconds } / Double(sent)
    }
    enum CodingKeys: String, CodingKey { case bound, percentile, sustainedRate, steps, clientCPUSecondsPerRequest }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bound, forKey: .bound)
        try c.encode(percentile, forKey: .percentile)
        try c.encode(sustainedRate, forKey: .sustainedRate)
        try c.encode(steps, forKey: .steps)
        try c.encode(clientCPUSecondsPerRequest, forKey: .clientCPUSecondsPerRequest)
    }
}
