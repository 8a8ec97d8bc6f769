import ArgumentParser
import CLISupport
import Foundation
import Model
import Serving
import ServingHTTP
import Tensors
import UnixSignals

/// `strata serve`: the inference server, and `strata serve profile`, Hercules' stage 1.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: ServingHelp.serve,
        subcommands: [ServeRun.self, ServeProfile.self],
        defaultSubcommand: ServeRun.self
    )
}

struct ServeRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the HTTP inference server (the default of `strata serve`).",
        discussion: """
        POST /score with {"dense": [...], "user": {feature: [ids]}, "candidates": {feature: [one id \
        per candidate] or {"lengths": [...], "values": [...]}}} answers {"scores": [...]} (the \
        trainer's eval forward, through a sigmoid). Requests are split into sub-batches of \
        --sub-batch candidates run on --instances model instances of --threads threads each \
        (instances x threads <= --cores); at most --queue requests are admitted at once, more get \
        503 with Retry-After. Bad input gets 400 (413 when too large) naming the field. \
        GET /health, GET /metrics (Prometheus). SIGTERM or SIGINT: stop accepting, answer what was \
        admitted, exit 0.
        """
    )

    @OptionGroup var model: ModelSourceOptions

    @Option(help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: an ephemeral one; see --port-file).")
    var port = 8080

    @Option(help: "File to write the bound port to once listening.")
    var portFile: String?

    @Option(help: "Model instances (m).")
    var instances = 1

    @Option(help: "Threads per instance (t; default: every core).")
    var threads: Int?

    @Option(name: .customLong("sub-batch"), help: "Candidates per sub-batch (b; 0: the whole request).")
    var subBatch = 0

    @Option(help: "Requests admitted at once; more get 503.")
    var queue = 64

    @Option(help: "Cores the server may use (m x t at most this; default: the machine's).")
    var cores = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("max-candidates"), help: "Largest request, in candidates (413 beyond).")
    var maxCandidates = 1024

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body (413 beyond).")
    var maxBodyBytes = 32 << 20

    /// Every numeric option's allowed values, checked before anything is sized by them.
    static let ranges = OptionRanges<ServeRun>("serve", [
        ("--port", .ints(0...65535), { Double($0.port) }), ("--instances", .ints(1...1024), { Double($0.instances) }),
        ("--threads", .ints(1...4096), { $0.threads.map(Double.init) }), ("--sub-batch", .ints(0...1 << 20), { Double($0.subBatch) }),
        ("--queue", .ints(1...1_000_000), { Double($0.queue) }), ("--cores", .ints(1...4096), { Double($0.cores) }),
        ("--max-candidates", .ints(1...1 << 20), { Double($0.maxCandidates) }), ("--max-body-bytes", .ints(1024...1 << 30), { Double($0.maxBodyBytes) }),
    ]).adding(ModelSourceOptions.ranges) { $0.model }

    func run() throws {
        try Self.ranges.check(self)
        try requireOutputFolder(portFile.map { ($0 as NSString).deletingLastPathComponent }.flatMap { $0.isEmpty ? nil : $0 }, what: "the port file's folder")
        BLAS.setThreads(1)   // t is our threads; OpenBLAS's own would oversubscribe the cores
        let config = ServingConfig(instances: instances, threads: threads ?? cores, subBatch: subBatch, queueCapacity: queue)
        let served: ServedModel
        do {
            try config.validate(cores: cores)
            served = try model.load()
        } catch {
            throw inputFailure(error)
        }
        let limits = RequestLimits(maxBodyBytes: maxBodyBytes, maxCandidates: maxCandidates)
        let service = ScoringService(served: served, config: config, maxCandidates: maxCandidates)
        if let note = service.gemmNote { print("strata serve: \(note)") }
        for choice in service.gemmChoices { print("gemm: \(choice)") }
        let (host, port, portFile) = (self.host, self.port, self.portFile)
        try blockingAwait {
            let running = try await InferenceServer(service: service, limits: limits).start(host: host, port: port, signals: [.sigterm, .sigint])
            if let portFile { try String(running.port).write(toFile: portFile, atomically: true, encoding: .utf8) }
            print("strata serve: \(served.origin) on http://\(host):\(running.port) (\(config))")
            fflush(stdout)
            try await running.wait()
            print("strata serve: stopped")
        }
    }
}
