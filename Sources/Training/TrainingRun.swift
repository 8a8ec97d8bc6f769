import Collectives
import Foundation
import RunKit
import Sharding

/// A whole run: the step loop with progress on rank 0, periodic and final
/// eval, and the run folder (`summary.json`, `steps.jsonl`, `plan.json`).
public struct TrainingRun {
    public let trainer: Trainer
    public let runDirectory: String?
    /// Where progress lines go (rank 0 only); nil: silent.
    public var progress: ((String) -> Void)?
    /// The signal this rank received (0: none), asked after every step; when
    /// any rank has one, every rank stops after that step with a checkpoint
    /// (`Stopped`). nil: never asked (no collective per step).
    public var stopSignal: (() -> Int32)?

    public init(trainer: Trainer, runDirectory: String?, progress: ((String) -> Void)?) {
        self.trainer = trainer
        self.runDirectory = runDirectory
        self.progress = trainer.comm.rank == 0 ? progress : nil
    }

    @discardableResult
    public func run() throws -> RunSummary {
        let comm = trainer.comm, config = trainer.config
        let startStep = trainer.step
        let folder = try openFolder(startStep: startStep)
        announce(startStep: startStep)
        // An empty eval split gives no metrics: say why once, instead of printing nan.
        let evalEmpty = trainer.data.source.sampleCount(.eval) == 0
        if evalEmpty { progress?("data: warning: the eval split is empty (\(Self.whyNoEval(config, badLines: trainer.data.badLines))): no eval metrics") }
        // Started before the barrier, so every rank's slot is written before any rank steps.
        let watchdog = try startWatchdog(step: startStep)
        defer { watchdog?.stop() }
        // Every step and every phase of collective work after it is watched
        // (a rank stopped in a checkpoint or the final evaluation hangs the
        // others as surely as one stopped in a step).
        let watch = { (point: WatchPoint) in
            watchdog?.begin(point)
            TestPause.check(rank: comm.rank, at: point)
        }
        comm.barrier()
        comm.ledger.resetAll()
        var loop = StepLoop(start: monotonicSeconds(), startStep: startStep, evalEmpty: evalEmpty)
        for s in startStep..<max(startStep, config.run.steps) {
            try step(s, &loop, folder: folder, watch: watch)
        }
        return try finish(loop, folder: folder, watch: watch)
    }

    /// The config key (or the skipped lines) that leave a source without eval samples.
    public static func whyNoEval(_ config: RunConfig, badLines: Int = 0) -> String {
        switch config.data.source {
        case .criteo where config.data.criteoEvalEvery > 0 && badLines > 0:
            return "data.criteo_eval_every is \(config.data.criteoEvalEvery), but data.skip_bad_lines skipped \(badLines) malformed line(s) "
                + "and no held-out line is left"
        case .criteo: return "data.criteo_eval_every is \(config.data.criteoEvalEvery); a positive N holds out every N-th line"
        case .movielens: return "data.movielens.eval_per_user is \(config.data.movielens.evalPerUser); a positive N holds out each user's last N ratings"
        case .criteoShards: return "the last day's \(config.data.criteoHeldOut.rawValue) half is empty (data.criteo_held_out)"
        case .binary: return config.data.evalPath == nil ? "no data.eval_path" : "data.eval_path holds no samples"
        case .synthetic: return "data.synthetic.eval_samples"
        }
    }

    /// Bytes this rank sent to other ranks in the training all-to-all phases.
    static func allToAllBytes(_ totals: [PhaseTotals]) -> Int {
        CommPhase.allCases.filter(\.isAllToAll).reduce(0) { $0 + totals[$1.rawValue].bytesSent }
    }
}

/// Why a run stopped that is not bad input (a diverged loss, a failed write); names the step.
public struct TrainingFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}

extension TrainingRun {
    /// Why a fresh run must not start in `path` (nil: it may): a folder that
    /// already holds a run is never overwritten. Checked on rank 0 before
    /// anything is written.
    public static func refusalToStart(in path: String, config: RunConfig) -> String? {
        let fm = FileManager.default
        let marks = ["config.json", "steps.jsonl", "summary.json", "checkpoints"]
        guard marks.contains(where: { fm.fileExists(atPath: (path as NSString).appendingPathComponent($0)) }) else { return nil }
        let configPath = (path as NSString).appendingPathComponent("config.json")
        if let bytes = fm.contents(atPath: configPath), let old = try? JSONDecoder().decode(RunConfig.self, from: bytes) {
            if old == config {
                return "\(path): already holds this run; continue it with --resume \(path), or pick another --run-dir"
            }
            let differing = ["model": old.model == config.model, "data": old.data == config.data,
                             "optimizer": old.optimizer == config.optimizer, "run": old.run == config.run,
                             "sharding": old.sharding == config.sharding, "topology": old.topology == config.topology,
                             "precision": old.precision == config.precision]
                .filter { !$0.value }.keys.sorted()
            return "\(path): already holds a different run (its config.json differs in \(differing.joined(separator: ", "))); pick another --run-dir"
        }
        return "\(path): already holds a different run (files of a run without a readable config.json); pick another --run-dir"
    }
}
