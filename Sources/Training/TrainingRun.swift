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
        let folder = try runDirectory.map { try RunFolder(path: $0, isWriter: comm.rank == 0) }
        let startStep = trainer.step
        if let folder, comm.rank == 0 {
            try folder.writeConfig(config, encoder: Checkpoint.jsonEncoder())
            // A resumed run's trajectory continues from its checkpoint: later lines came from the lost steps.
            if startStep > 0 { try folder.truncateSteps(after: startStep) }
        }
        try folder?.writeJSON("plan.json", trainer.plan)
        progress?("strata: \(comm.size) ranks on \(comm.topology.nodeCount) node(s); plan: "
                  + trainer.plan.tables.map { "\($0.table)=\($0.type.rawValue)" }.joined(separator: " "))
        progress?("strata: embeddings on this rank: \(trainer.embeddings.memoryBytes) bytes; dense parameters: \(trainer.model.parameterCount)")
        if startStep > 0 { progress?("strata: resumed at step \(startStep) of \(config.run.steps)") }
        if let note = trainer.model.gemm?.note { progress?("strata: \(note)") }
        for choice in trainer.gemmChoices { progress?("gemm: \(choice)") }
        for note in trainer.data.notes { progress?("data: \(note)") }
        // An empty eval split gives no metrics: say why once, instead of printing nan.
        let evalEmpty = trainer.data.source.sampleCount(.eval) == 0
        if evalEmpty { progress?("data: warning: the eval split is empty (\(Self.whyNoEval(config, badLines: trainer.data.badLines))): no eval metrics") }
        // Started before the barrier, so every rank's slot is written before any rank steps.
        let watchdog = try startWatchdog(step: startStep)
        defer { watchdog?.stop() }
        // Every step and every phase of collective work after it is watched
        // (a rank stopped in a checkpoint or the final evaluation hangs the
        // others as surely as one stopped in a step).
        func reach(_ point: WatchPoint) {
            watchdog?.begin(point)
            TestPause.check(rank: comm.rank, at: point)
        }
        comm.barrier()
        comm.ledger.resetAll()
        let start = monotonicSeconds()
        var losses: [Double] = []
        var evals: [StepEval] = []
        var lastLog = start, lastLogStep = startStep
        var a2aSoFar = 0
        for s in startStep..<max(startStep, config.run.steps) {
            reach(WatchPoint(step: s + 1))
            let loss = trainer.trainStep()
            if let why = trainer.nonFiniteReason(loss: loss) {
                throw TrainingFailure("step \(s + 1): \(why)")
            }
            losses.append(loss)
            // endStep folded this step into the run totals: the difference is the step's traffic.
            let a2aTotal = Self.allToAllBytes(comm.ledger.run)
            let a2a = a2aTotal - a2aSoFar
            a2aSoFar = a2aTotal
            do {
                try folder?.appendLine("steps.jsonl", StepRecord(step: s + 1, loss: loss, a2aBytes: a2a,
                                                             duplicationFactor: trainer.lastDuplicationFactor,
                                                             seconds: monotonicSeconds() - start))
                if let dir = runDirectory, config.run.checkpointEvery > 0, (s + 1) % config.run.checkpointEvery == 0,
                   s + 1 < config.run.steps {
                    reach(WatchPoint(step: s + 1, phase: .checkpoint))
                    let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                    progress?("checkpoint: step \(s + 1) -> \(path)")
                }
            } catch {
                throw TrainingFailure("step \(s + 1): \(error)")
            }
            if let stopSignal, s + 1 < config.run.steps {
                // One small allreduce per step: every rank stops after the same step.
                let signal = comm.allreduce(.control, Int64(stopSignal()), op: .max)
                if signal != 0 {
                    if let dir = runDirectory {
                        do {
                            let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                            progress?("checkpoint: step \(s + 1) -> \(path)")
                            progress?("strata: signal \(signal) after step \(s + 1); continue with --resume \(dir)")
                        } catch {
                            throw TrainingFailure("step \(s + 1): checkpoint on signal \(signal): \(error)")
                        }
                    }
                    throw Stopped(step: s + 1, signal: Int32(signal))
                }
            }
            if (s + 1) % config.run.logEvery == 0 || s + 1 == config.run.steps {
                let now = monotonicSeconds()
                let rate = Double((s + 1 - lastLogStep) * config.run.batchSize) / max(now - lastLog, 1e-9)
                let eta = Double(config.run.steps - s - 1) * (now - start) / Double(s + 1 - startStep)
                let recent = losses.suffix(config.run.logEvery)
                progress?(String(format: "step %d/%d  loss %.4f  %.0f samples/s  a2a %.3f MB/step  dup %.2f  eta %.0fs",
                                 s + 1, config.run.steps, recent.reduce(0, +) / Double(recent.count), rate,
                                 Double(a2a) / 1e6, trainer.localDuplicationFactor, eta))
                lastLog = now; lastLogStep = s + 1
            }
            if config.run.evalEvery > 0, (s + 1) % config.run.evalEvery == 0, s + 1 < config.run.steps, !evalEmpty {
                reach(WatchPoint(step: s + 1, phase: .evaluation))
                let m = trainer.evaluate()
                evals.append(StepEval(step: s + 1, metrics: m))
                progress?(String(format: "eval at step %d: logloss %.4f  auc %.4f  ne %.4f", s + 1, m.logloss, m.auc, m.ne)
                          + (m.gauc.map { String(format: "  gauc %.4f", $0) } ?? ""))
            }
        }
        let last = trainer.step
        if let dir = runDirectory {
            reach(WatchPoint(step: last, phase: .finalCheckpoint))
            do {
                let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                progress?("checkpoint: step \(trainer.step) -> \(path)")
            } catch {
                throw TrainingFailure("step \(trainer.step): final checkpoint: \(error)")
            }
        }
        let stepsRun = max(1, trainer.step - startStep)
        let trainSeconds = monotonicSeconds() - start
        reach(WatchPoint(step: last, phase: .finalReport))
        let report = LedgerReport.reduce(comm.ledger.run, steps: stepsRun, comm: comm)
        reach(WatchPoint(step: last, phase: .finalEvaluation))
        let final = trainer.evaluate()
        evals.append(StepEval(step: config.run.steps, metrics: final))
        reach(WatchPoint(step: last, phase: .finalSummary))
        let duplication = trainer.duplicationFactor()
        let memory = comm.allgather(.control, Int64(trainer.embeddings.memoryBytes)).map(Int.init)
        let planned = trainer.plan.memoryPerRank(tables: trainer.layout.tables, optimizer: config.optimizer.embedding,
                                                 topology: comm.topology, worldRanks: comm.worldRanks,
                                                 elementBytes: config.precision.embedding.bytes)
        if let r = memory.indices.first(where: { memory[$0] > planned[$0] }) {
            progress?("strata: warning: rank \(r) holds \(memory[r]) bytes of embeddings, \(memory[r] - planned[r]) more than "
                      + "planned: the run read rows first after the profile beyond the room the plan kept "
                      + "(a longer sharding.profile_steps plans for them)")
        }
        let timerSums = comm.allgatherArrays(.control, trainer.timers.asArray)
        let tail = losses.isEmpty ? [Double.nan] : losses.suffix(max(1, min(50, losses.count)))
        let summary = RunSummary(
            config: config, worldSize: comm.size, nodes: comm.topology.nodeCount, plan: trainer.plan,
            steps: config.run.steps, samples: config.run.steps * config.run.batchSize,
            metrics: .init(trainLogloss: tail.reduce(0, +) / Double(tail.count), evalLogloss: final.logloss,
                           evalAuc: final.auc, evalNe: final.ne, evalSamples: final.samples,
                           evalGauc: final.gauc, evalHistory: evals),
            data: .init(source: config.data.source, dedup: config.data.dedup, plantedAuc: trainer.data.planted?.auc,
                        plantedLogloss: trainer.data.planted?.logloss, badLines: trainer.data.badLines,
                        duplicationFactor: duplication),
            throughput: .init(samplesPerSec: Double(stepsRun * config.run.batchSize) / trainSeconds,
                              seconds: trainSeconds),
            comm: CommSummary(report: report),
            memory: .init(embeddingBytesPerRank: memory, maxEmbeddingBytes: memory.max() ?? 0,
                          plannedEmbeddingBytesPerRank: planned, denseParameters: trainer.model.parameterCount),
            stepBreakdown: StepBreakdown(perRank: timerSums, steps: stepsRun),
            gemm: trainer.gemmChoices.isEmpty ? nil : trainer.gemmChoices)
        try folder?.writeJSON("summary.json", summary)
        progress?(report.table())
        if evalEmpty {
            progress?("final eval: none, the eval split is empty (\(Self.whyNoEval(config, badLines: trainer.data.badLines)))")
        } else {
            progress?(String(format: "final eval: logloss %.4f  auc %.4f  ne %.4f  (%d samples)%@%@", final.logloss, final.auc, final.ne,
                             final.samples,
                             final.gaucSuffix,
                             trainer.data.planted.map { String(format: "; planted model auc %.4f logloss %.4f", $0.auc, $0.logloss) } ?? ""))
        }
        return summary
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
