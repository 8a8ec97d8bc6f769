import ArgumentParser
import Collectives
import Foundation
import Sharding
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a sequence DLRM with sharded embeddings (launch with mpirun).",
        discussion: """
        Reads a YAML config (see Configs/), applies --set overrides (dotted keys such as \
        run.steps=100, run.batch_size=512, data.source=criteo, sharding.type=row_wise), \
        trains on the global batch split across the ranks, and writes a run folder with \
        summary.json, steps.jsonl and plan.json. Rank 0 prints progress and, at the end, \
        the communication summary per phase.
        """
    )

    @Option(help: "YAML config file (default: built-in defaults, synthetic data).")
    var config: String?

    @Option(name: .customLong("set"), help: "Override a config key, key=value (repeatable).")
    var overrides: [String] = []

    @Option(name: .customLong("run-dir"), help: "Run folder (default: runs/<config name>-<time>).")
    var runDir: String?

    @Option(help: "A sharding plan (JSON, as written to plan.json) instead of sharding.type.")
    var plan: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let cfg: RunConfig
        do {
            cfg = try ConfigLoader.load(file: config, overrides: overrides)
        } catch {
            if launchedRank == 0 { printError("strata: error: \(error)") }
            throw ExitCode(2)
        }
        let explicitPlan = try plan.map(loadPlan)
        let name = config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "default"
        let quiet = quiet
        let runDir = runDir
        withWorld(ranksPerNode: cfg.topology.ranksPerNode, intraNodeBandwidth: cfg.topology.intraNodeGiBps * 1_073_741_824,
                  interNodeBandwidth: cfg.topology.interNodeGiBps * 1_073_741_824) { world in
            // One folder name for every rank: rank 0's clock decides.
            let stamp = world.broadcast(.control, bytes: Array(Self.timestamp().utf8), root: 0)
            let dir = runDir ?? "runs/\(name)-\(String(decoding: stamp, as: UTF8.self))"
            let trainer: Trainer
            do {
                trainer = try Trainer(config: cfg, comm: world, plan: explicitPlan)
            } catch let e as ConfigError {
                throw InputError("\(config ?? "config"): \(e.description)")
            } catch let e as PlanError {
                throw InputError("\(plan ?? "plan"): \(e.description)")
            }
            let run = TrainingRun(trainer: trainer, runDirectory: dir, progress: quiet ? nil : { print($0); fflush(stdout) })
            try run.run()
            if world.rank == 0 && !quiet { print("run folder: \(dir)") }
        }
    }

    func loadPlan(_ path: String) throws -> ShardingPlan {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            if launchedRank == 0 { printError("strata: error: \(path): cannot read the plan file") }
            throw ExitCode(2)
        }
        do {
            let d = JSONDecoder()
            d.keyDecodingStrategy = .convertFromSnakeCase
            return try d.decode(ShardingPlan.self, from: bytes)
        } catch {
            if launchedRank == 0 { printError("strata: error: \(path): not a sharding plan: \(error)") }
            throw ExitCode(2)
        }
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }
}
