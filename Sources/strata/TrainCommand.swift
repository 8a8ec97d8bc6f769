import ArgumentParser
import CLISupport
import Collectives
import Data
import Foundation
import RunKit
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
        the communication summary per phase. Without --config: built-in defaults, \
        synthetic data. The run folder defaults to runs/<config name>-<time>.

        Config keys (YAML nesting or --set a.b=value; plan, bench train, sweep and the \
        data commands read the same keys):
        \(RunConfigKeys.schema.help())
        """
    )

    @OptionGroup var configOptions: ConfigOptions
    var config: String? { configOptions.config }
    var overrides: [String] { configOptions.overrides }

    @OptionGroup var folder: RunFolderOptions
    var runDir: String? { folder.runDir }

    @Option(help: "A sharding plan (JSON, as written to plan.json) instead of sharding.type.")
    var plan: String?

    @Option(help: ArgumentHelp("Continue the run in RUN_DIR from its newest complete checkpoint, on any world size.",
                               discussion: "The config comes from the checkpoint; --set may change only run.steps, run.checkpoint_every, run.keep_checkpoints, run.log_every, run.eval_every, run.eval_samples, run.step_timeout_seconds, sharding.* and topology.*.",
                               valueName: "RUN_DIR"))
    var resume: String?

    @Option(name: .customLong("dump-params"), help: ArgumentHelp("After training, write the dense parameters and every table (gathered) to FILE, binary (see ParameterDump; for tests).", valueName: "FILE"))
    var dumpParams: String?

    @Flag(name: .customLong("fallback-to-intact"),
          help: ArgumentHelp("With --resume: when the newest checkpoint is damaged, continue from the newest intact one (a warning names the damage; damaged folders are moved to checkpoints/damaged-step-N)."))
    var fallbackToIntact = false

    @Flag(help: ArgumentHelp("Check the config, overrides and plan file (and with --resume the checkpoint) and exit: 0 when they would be accepted, 2 with the reason when not. Reads no data, writes nothing."))
    var check = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let cfg: RunConfig
        var checkpoint: LoadedCheckpoint?
        do {
            if let resume {
                guard config == nil, runDir == nil else {
                    throw InputError("--resume takes the config and the run folder from \(resume); drop --config and --run-dir")
                }
                let ck = try Checkpoint.latest(in: resume, fallback: fallbackToIntact)
                checkpoint = ck
                cfg = try ConfigLoader.load(base: ck.state.config, overrides: overrides, onlyKeys: ConfigLoader.resumableKeys)
                // Nothing to train would still rewrite the run's files; a lower target would silently "finish" early.
                guard cfg.run.steps > ck.state.step else {
                    throw InputError("\(resume): the checkpoint is at step \(ck.state.step) and run.steps is \(cfg.run.steps): "
                                     + "nothing to train, nothing written; continue with --set run.steps=N, N > \(ck.state.step)")
                }
            } else {
                guard !fallbackToIntact else { throw InputError("--fallback-to-intact applies only with --resume") }
                cfg = try ConfigLoader.load(file: config, overrides: overrides)
            }
        } catch {
            throw inputFailure(error)
        }
        let givenPlan = try plan.map(loadPlan)
        if check {
            if launchedRank == 0 && !quiet { print("strata: the config\(plan == nil ? "" : " and the plan") would be accepted") }
            return
        }
        // Resuming: the saved plan when it fits this world; otherwise the config's sharding plans afresh.
        let savedPlan = checkpoint.flatMap { ck in
            cfg.sharding == ck.state.config.sharding && ck.state.plan.worldSize == launchedWorldSize ? ck.state.plan : nil
        }
        let explicitPlan = givenPlan ?? savedPlan
        let name = config.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension } ?? "default"
        let quiet = quiet
        let runDir = resume ?? runDir
        let dumpParams = dumpParams
        let resuming = checkpoint
        withWorld(ranksPerNode: cfg.topology.ranksPerNode, intraNodeBandwidth: cfg.topology.intraNodeGiBps * 1_073_741_824,
                  interNodeBandwidth: cfg.topology.interNodeGiBps * 1_073_741_824) { world in
            let dir = runFolderPath(runDir, name: name, world: world)
            // Rank 0 looks and every rank hears: never start over a folder that
            // holds a run, the folder can be made (else a sentence naming the
            // path; made later, so a refused run writes nothing), and damaged checkpoints are set aside when falling back.
            var refusal: [UInt8] = []
            if world.rank == 0 {
                do {
                    if resuming == nil, let why = TrainingRun.refusalToStart(in: dir, config: cfg) { throw InputError(why) }
                    try RunFolder.check(path: dir)
                    if let ck = resuming, !ck.damaged.isEmpty {
                        if !quiet {
                            print("strata: warning: skipping damaged checkpoints: \(ck.damaged.map(\.reason).joined(separator: "; "))")
                            print("strata: resuming from the newest intact checkpoint, \(ck.directory) (step \(ck.state.step))")
                        }
                        try Checkpoint.setAside(ck.damaged)
                    }
                } catch { refusal = Array("\(error)".utf8) }
            }
            let why = world.broadcast(.control, bytes: refusal, root: 0)
            if !why.isEmpty { throw InputError(String(decoding: why, as: UTF8.self)) }
            let trainer: Trainer
            do {
                trainer = try Trainer(config: cfg, comm: world, plan: explicitPlan)
                if let ck = resuming { try trainer.restore(from: ck) }
            } catch let e as ConfigError {
                throw InputError("\(config ?? resuming.map { $0.directory + "/state.json" } ?? "config"): \(e.description)")
            } catch let e as PlanError {
                throw InputError("\(plan ?? "plan"): \(e.description)")
            } catch let e as DataError {
                throw InputError(e.description)
            }
            var run = TrainingRun(trainer: trainer, runDirectory: dir, progress: progressPrinter(quiet: quiet))
            // Installed after MPI started (it must not replace the library's handlers).
            StopSignals.install()
            run.stopSignal = { StopSignals.received }
            try run.run()
            if let dumpParams { try ParameterDump.write(trainer, to: dumpParams) }
            if world.rank == 0 && !quiet { print("run folder: \(dir)") }
        }
    }

    func loadPlan(_ path: String) throws -> ShardingPlan {
        guard let bytes = FileManager.default.contents(atPath: path), !bytes.isEmpty else {
            let why = FileManager.default.fileExists(atPath: path) ? "the plan file is empty, a folder or not readable" : "no such plan file"
            sayInputError("\(path): \(why)")
            throw ExitCode(2)
        }
        do {
            let d = JSONDecoder()
            d.keyDecodingStrategy = .convertFromSnakeCase
            return try d.decode(ShardingPlan.self, from: bytes)
        } catch {
            sayInputError("\(path): not a sharding plan: \(error)")
            throw ExitCode(2)
        }
    }
}

/// SIGTERM and SIGINT recorded for the step loop to read (a signal handler can
/// only set a flag: the loop stops every rank after the same step).
enum StopSignals {
    nonisolated(unsafe) static var received: Int32 = 0

    static func install() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { StopSignals.received = $0 }
        }
    }
}
