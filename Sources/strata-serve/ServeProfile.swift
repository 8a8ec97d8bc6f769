import ArgumentParser
import CLISupport
import Foundation
import RunKit
import Serving
import ServingHTTP
import Training

/// `strata serve profile`: Hercules' stage 1 measured on this machine.
struct ServeProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Search (instances, threads, sub-batch) for the highest latency-bounded QPS of a model on this machine.",
        discussion: """
        Each configuration is measured end to end: a `strata serve` process started under \
        `taskset -c --server-cpus`, a few requests to warm it, then DeepRecSys's rate search \
        (`strata loadgen --bound-ms`) from this process pinned to --client-cpus; the configuration's \
        QPS is the search's settled rate. The gradient-style search starts at the default (1 \
        instance, every server core, no sub-batching), measures each neighbour (m or t halved or \
        doubled, m and t traded, b to the next size) and moves to the largest gain until none gains \
        3 %. With --grid every configuration is measured first and the search replays on those \
        measurements (same noise for both; the search's cost is the share of the grid it asked \
        for). Writes --out: summary.json (default, searched and grid best, search cost, the \
        modelled larger servers), configs.jsonl (one line per measured configuration), qps.svg.
        """
    )

    @OptionGroup var model: ModelSourceOptions

    @Option(name: .customLong("server-cpus"), help: "CPUs of the server process (taskset list; default: all).")
    var serverCPUs: String?

    @Option(name: .customLong("client-cpus"), help: "CPUs of the load generator (taskset list; default: unpinned).")
    var clientCPUs: String?

    @Option(name: .customLong("bound-ms"), help: "Tail latency bound (ms).")
    var boundMs: Double

    @Option(help: "Tail percentile: 95 or 99.")
    var percentile = 95.0

    @Option(help: "Query sizes: mlperf or normal.")
    var sizes: QuerySizes = .mlperf

    @Option(name: .customLong("sub-batches"), help: "Sub-batch sizes to consider besides the whole query (comma list).")
    var subBatches = "25,50,100,200"

    @Option(help: "Rate-search steps per configuration.")
    var steps = 8

    @Option(name: .customLong("step-seconds"), help: "Arrivals scheduled per step (seconds).")
    var stepSeconds = 2.0

    @Flag(help: "Measure the exhaustive grid too.")
    var grid = false

    @Option(help: "Confirm instead of searching: these configurations (m,t,b;m,t,b...; b 0 = whole query), measured --repeat times each, alternating; medians reported.")
    var only: String?

    @Option(name: .customLong("repeat"), help: "Rounds of --only.")
    var rounds = 3

    @Option(help: "Run folder.")
    var out: String

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<ServeProfile>("serve profile", [
        ("--bound-ms", .above(0, atMost: 1e7), { $0.boundMs }), ("--percentile", .reals(95...99), { $0.percentile }),
        ("--steps", .ints(3...1000), { Double($0.steps) }), ("--step-seconds", .above(0, atMost: 3600), { $0.stepSeconds }),
        ("--repeat", .ints(1...1000), { Double($0.rounds) }),
    ]).adding(ModelSourceOptions.ranges) { $0.model }

    func validate() throws {
        try Self.ranges.check(self)
        guard [95, 99].contains(percentile) else { throw ValidationError("--percentile must be 95 or 99") }
    }

    func run() throws {
        try requireOutputFolder(out, what: "the run folder")
        let cpus: [Int], client: [Int]?, sizesList: [Int], generator: RequestGenerator, workload: Workload
        do {
            cpus = try serverCPUs.map(parseCPUs) ?? Array(0..<ProcessInfo.processInfo.activeProcessorCount)
            client = try clientCPUs.map(parseCPUs)
            sizesList = try subBatches.split(separator: ",").map {
                guard let v = Int($0.trimmingCharacters(in: .whitespaces)), v > 0 else { throw ValidationError("bad --sub-batches '\(subBatches)'") }
                return v
            }
            workload = try model.workloadSpec()
            generator = try RequestGenerator(workload: workload)
            if let client { try LoadGenerator.pin(cpus: client) }
        } catch { throw inputFailure(error) }
        let folder = try RunFolder(path: out, isWriter: true)
        let space = TaskSpace(cores: cpus.count, subBatches: sizesList)
        let measurer = ConfigMeasurer(options: self, serverCPUs: cpus, generator: generator, folder: folder)
        var cache: [ServingConfig: ConfigMeasurement] = [:]
        func measure(_ c: ServingConfig) throws -> Double {
            if let m = cache[c] { return m.qps }
            let m = try measurer.measure(c)
            cache[c] = m
            return m.qps
        }
        if let only {
            let configs: [ServingConfig]
            do {
                configs = try only.split(separator: ";").map { part in
                    let v = part.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    let c = ServingConfig(instances: v.first ?? 0, threads: v.count > 1 ? v[1] : 0, subBatch: v.count > 2 ? v[2] : -1)
                    guard v.count == 3, space.isValid(c) else { throw ValidationError("--only: '\(part)' is not m,t,b in the space (cores \(cpus.count), sub-batches \(space.subBatches))") }
                    return c
                }
            } catch let e as ValidationError { throw inputFailure(e.message) }
            var runs: [[Double]] = configs.map { _ in [] }
            for _ in 0..<max(1, rounds) {
                for (i, c) in configs.enumerated() { runs[i].append(try measurer.measure(c).qps) }
            }
            let rows = zip(configs, runs).map { c, q in ConfirmRow(config: c, qps: q, median: q.sorted()[q.count / 2]) }
            try folder.writeJSON("summary.json", ConfirmSummary(model: workload.name, boundMs: boundMs, percentile: percentile,
                                                               serverCpus: cpus, clientCpus: client, rounds: rounds, rows: rows,
                                                               figures: "measured, alternating rounds; medians"))
            for r in rows { print(String(format: "confirm %@ %@: median %.1f QPS of %@", workload.name, "\(r.config)", r.median, r.qps.map { String(format: "%.1f", $0) }.joined(separator: ", "))) }
            return
        }
        let started = Date()
        var gridPoints: [TaskSearch.Measured]?
        let search = TaskSearch(space: space)
        if grid { gridPoints = try search.grid(measure: measure) }
        var asked: [ServingConfig] = []
        let outcome = try search.run { c in asked.append(c); return try measure(c) }
        let gridBest = gridPoints?.max { $0.qps < $1.qps }
        // The engine's embedding share, for the performance model (the model loaded here, once).
        let breakdown: EngineBreakdown
        do {
            let served = try model.load()
            breakdown = try EngineBreakdown.measure(served: served, generator: generator, size: sizes == .mlperf ? 400 : 165, requests: 10)
        } catch { throw inputFailure(error) }
        let summary = ProfileSummary(
            model: workload.name, note: workload.note, boundMs: boundMs, percentile: percentile, sizes: sizes.rawValue,
            serverCpus: cpus, clientCpus: client, space: space,
            baseline: outcome.baseline, baselineQPS: outcome.baselineQPS,
            searched: outcome.best, searchedQPS: outcome.bestQPS, searchPath: outcome.path,
            searchMeasurements: asked.count, gridMeasurements: space.all.count,
            gridBest: gridBest?.config, gridBestQPS: gridBest?.qps,
            speedupOverDefault: outcome.bestQPS / max(outcome.baselineQPS, 1e-9),
            searchedOverGridBest: gridBest.map { outcome.bestQPS / max($0.qps, 1e-9) },
            wallSeconds: Date().timeIntervalSince(started),
            measurements: cache.values.sorted { $0.order < $1.order },
            figures: "measured: every QPS in measurements and the default/searched/grid figures (this machine, end to end over loopback); modelled: `modelled`",
            embeddingShare: breakdown.embeddingShare,
            modelled: ServerModel.fleet.map {
                ModelledType(type: $0.name, qps: $0.qps(measuredQPS: outcome.bestQPS, measuredCores: cpus.count, embeddingShare: breakdown.embeddingShare))
            })
        try folder.writeJSON("summary.json", summary)
        try folder.writeText("qps.svg", ServePlots.profile(summary))
        print(String(format: "profile %@: default %@ %.1f QPS; searched %@ %.1f QPS (%.2fx) after %d of %d configurations%@",
                     workload.name, "\(outcome.baseline)", outcome.baselineQPS, "\(outcome.best)", outcome.bestQPS,
                     summary.speedupOverDefault, asked.count, space.all.count,
                     gridBest.map { String(format: "; grid best %@ %.1f QPS", "\($0.config)", $0.qps) } ?? ""))
    }
}

struct ConfirmRow: Codable { var config: ServingConfig; var qps: [Double]; var median: Double }
struct ConfirmSummary: Codable {
    var model: String
    var boundMs: Double
    var percentile: Double
    var serverCpus: [Int]
    var clientCpus: [Int]?
    var rounds: Int
    var rows: [ConfirmRow]
    var figures: String
}

/// One configuration measured end to end.
struct ConfigMeasurement: Codable {
    var order: Int
    var config: ServingConfig
    var qps: Double
    var warmLatencyMs: Double
    var startSeconds: Double
    var steps: [RateSearch.Step]
    var clientCPUSecondsPerRequest: Double
}

struct ProfileSummary: Codable {
    var model: String
    var note: String
    var boundMs: Double
    var percentile: Double
    var sizes: String
    var serverCpus: [Int]
    var clientCpus: [Int]?
    var space: TaskSpace
    var baseline: ServingConfig
    var baselineQPS: Double
    var searched: ServingConfig
    var searchedQPS: Double
    var searchPath: [ServingConfig]
    var searchMeasurements: Int
    var gridMeasurements: Int
    var gridBest: ServingConfig?
    var gridBestQPS: Double?
    var speedupOverDefault: Double
    var searchedOverGridBest: Double?
    var wallSeconds: Double
    var measurements: [ConfigMeasurement]
    var figures: String
    /// Engine time in embedding lookups (one replica, median-size requests), measured.
    var embeddingShare: Double?
    /// The fleet's larger types, modelled from `searchedQPS` (ServerModel).
    var modelled: [ModelledType]?
}

struct ModelledType: Codable {
    var type: String
    var qps: Double
    var figure = "modelled"
}

/// Starts a server per configuration and runs the rate search against it.
struct ConfigMeasurer {
    let options: ServeProfile
    let serverCPUs: [Int]
    let generator: RequestGenerator
    let folder: RunFolder
    private let counter = Counter()
    final class Counter: @unchecked Sendable { var n = 0 }

    init(options: ServeProfile, serverCPUs: [Int], generator: RequestGenerator, folder: RunFolder) {
        self.options = options; self.serverCPUs = serverCPUs; self.generator = generator; self.folder = folder
    }

    var modelArguments: [String] {
        var a: [String] = []
        if let r = options.model.run { a += ["--run", r] }
        if let w = options.model.workload { a += ["--workload", w] }
        if let c = options.model.config { a += ["--config", c] }
        for o in options.model.overrides { a += ["--set", o] }
        return a + ["--seed", String(options.model.seed), "--memory-budget-bytes", String(options.model.memoryBudgetBytes)]
    }

    func measure(_ c: ServingConfig) throws -> ConfigMeasurement {
        let portFile = NSTemporaryDirectory() + "strata-profile-\(getpid())-\(counter.n).port"
        try? FileManager.default.removeItem(atPath: portFile)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        server.arguments = ["-c", serverCPUs.map(String.init).joined(separator: ","), Self.selfPath, "serve", "run"] + modelArguments + [
            "--port", "0", "--port-file", portFile, "--instances", String(c.instances), "--threads", String(c.threads),
            "--sub-batch", String(c.subBatch), "--queue", String(c.queueCapacity), "--cores", String(serverCPUs.count),
            "--max-candidates", String(options.sizes.maxSize)]
        server.standardOutput = FileHandle.nullDevice
        let t0 = Date()
        try server.run()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        var port = 0
        while port == 0 {
            guard server.isRunning else { throw inputFailure("the server for \(c) exited (\(server.terminationStatus)) before listening") }
            guard Date().timeIntervalSince(t0) < 300 else { throw inputFailure("the server for \(c) did not listen within 300 s") }
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(s) { port = p } else { usleep(50_000) }
        }
        let start = Date().timeIntervalSince(t0)
        let load = LoadGenerator(port: port, generator: generator, sizes: options.sizes, connections: 32, seed: options.model.seed)
        // Warm: a few requests one at a time; their median sets the search's start.
        var warm: [Double] = []
        for k in 0..<5 {
            let r = load.run(LoadSpec(rate: 1000, requests: 1, maxSeconds: 1, sizes: options.sizes, seed: 99 &+ UInt64(k)))
            warm.append(r.p50Ms)
        }
        let warmMs = warm.sorted()[2]
        let startRate = 0.8 * (c.subBatch == 0 ? Double(c.instances) : 1) / (warmMs / 1000)
        let percentile = options.percentile, stepSeconds = options.stepSeconds
        var cpu = 0.0, sent = 0
        let search = RateSearch(boundSeconds: options.boundMs / 1000, steps: options.steps, settle: max(3, options.steps / 2))
        let (qps, steps) = search.run(start: startRate) { rate in
            let n = min(3000, max(15, Int(rate * stepSeconds)))
            let r = load.run(LoadSpec(rate: rate, requests: n, maxSeconds: stepSeconds * 2, sizes: options.sizes,
                                      seed: options.model.seed &+ UInt64(1000 * counter.n + sent)))
            cpu += r.clientCPUSeconds
            sent += r.sent
            let tail = r.tailSeconds(percentile: percentile)
            return RateSearch.Step(rate: rate, tailSeconds: tail, achievedRate: r.achievedRate, shed: r.shed, failed: r.failed,
                                   requests: r.sent, meets: tail * 1000 <= options.boundMs && r.shed == 0 && r.failed == 0)
        }
        let m = ConfigMeasurement(order: counter.n, config: c, qps: qps, warmLatencyMs: warmMs, startSeconds: start, steps: steps,
                                  clientCPUSecondsPerRequest: sent > 0 ? cpu / Double(sent) : 0)
        counter.n += 1
        try folder.appendLine("configs.jsonl", m)
        print(String(format: "  %@: %.1f QPS (warm %.1f ms, %d steps)", "\(c)", qps, warmMs, steps.count))
        fflush(stdout)
        return m
    }

    static var selfPath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
