import Collectives
import Foundation
import RunKit
import Sharding

/// The phases of `TrainingRun.run`, in the order it calls them: the folder and
/// the opening lines, one step with what follows it, and the end of the run.
extension TrainingRun {
    /// What the step loop carries from one step to the next.
    struct StepLoop {
        let start: Double
        let startStep: Int
        let evalEmpty: Bool
        var losses: [Double] = []
        var evals: [StepEval] = []
        var lastLog: Double
        var lastLogStep: Int
        var a2aSoFar = 0

        init(start: Double, startStep: Int, evalEmpty: Bool) {
            self.start = start
            self.startStep = startStep
            self.evalEmpty = evalEmpty
            lastLog = start
            lastLogStep = startStep
        }
    }

    /// The run folder with the config echo and the plan (a resumed run's
    /// trajectory continues from its checkpoint: later lines came from the lost steps).
    func openFolder(startStep: Int) throws -> RunFolder? {
        let comm = trainer.comm
        let folder = try runDirectory.map { try RunFolder(path: $0, isWriter: comm.rank == 0) }
        if let folder, comm.rank == 0 {
            try folder.writeConfig(trainer.config, encoder: Checkpoint.jsonEncoder())
            if startStep > 0 { try folder.truncateSteps(after: startStep) }
        }
        try folder?.writeJSON("plan.json", trainer.plan)
        return folder
    }

    /// The opening progress lines: ranks, plan, memory, kernels, data notes.
    func announce(startStep: Int) {
        let comm = trainer.comm
        progress?("strata: \(comm.size) ranks on \(comm.topology.nodeCount) node(s); plan: "
                  + trainer.plan.tables.map { "\($0.table)=\($0.type.rawValue)" }.joined(separator: " "))
        if let note = trainer.planNote { progress?("strata: \(note)") }
        progress?("strata: embeddings on this rank: \(trainer.embeddings.memoryBytes) bytes; dense parameters: \(trainer.model.parameterCount)")
        if startStep > 0 { progress?("strata: resumed at step \(startStep) of \(trainer.config.run.steps)") }
        if let note = trainer.model.gemm?.note { progress?("strata: \(note)") }
        for choice in trainer.gemmChoices { progress?("gemm: \(choice)") }
        for note in trainer.data.notes { progress?("data: \(note)") }
    }

    /// Step `s + 1`: train, record, then a checkpoint, a stop, a log line or
    /// an evaluation when one is due. `watch` announces each point to the
    /// watchdog (and the tests' pause hook).
    func step(_ s: Int, _ loop: inout StepLoop, folder: RunFolder?, watch: (WatchPoint) -> Void) throws {
        let comm = trainer.comm, config = trainer.config
        watch(WatchPoint(step: s + 1))
        let loss = trainer.trainStep()
        if let why = trainer.nonFiniteReason(loss: loss) {
            throw TrainingFailure("step \(s + 1): \(why)")
        }
        loop.losses.append(loss)
        // endStep folded this step into the run totals: the difference is the step's traffic.
        let a2aTotal = Self.allToAllBytes(comm.ledger.run)
        let a2a = a2aTotal - loop.a2aSoFar
        loop.a2aSoFar = a2aTotal
        do {
            try folder?.appendLine("steps.jsonl", StepRecord(step: s + 1, loss: loss, a2aBytes: a2a,
                                                         duplicationFactor: trainer.lastDuplicationFactor,
                                                         seconds: monotonicSeconds() - loop.start))
            if let dir = runDirectory, config.run.checkpointEvery > 0, (s + 1) % config.run.checkpointEvery == 0,
               s + 1 < config.run.steps {
                watch(WatchPoint(step: s + 1, phase: .checkpoint))
                let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                progress?("checkpoint: step \(s + 1) -> \(path)")
            }
        } catch {
            throw TrainingFailure("step \(s + 1): \(error)")
        }
        try stopIfSignalled(after: s + 1)
        if (s + 1) % config.run.logEvery == 0 || s + 1 == config.run.steps {
            let now = monotonicSeconds()
            let rate = Double((s + 1 - loop.lastLogStep) * config.run.batchSize) / max(now - loop.lastLog, 1e-9)
            let eta = Double(config.run.steps - s - 1) * (now - loop.start) / Double(s + 1 - loop.startStep)
            let recent = loop.losses.suffix(config.run.logEvery)
            progress?(String(format: "step %d/%d  loss %.4f  %.0f samples/s  a2a %.3f MB/step  dup %.2f  eta %.0fs",
                             s + 1, config.run.steps, recent.reduce(0, +) / Double(recent.count), rate,
                             Double(a2a) / 1e6, trainer.localDuplicationFactor, eta))
            loop.lastLog = now; loop.lastLogStep = s + 1
        }
        if config.run.evalEvery > 0, (s + 1) % config.run.evalEvery == 0, s + 1 < config.run.steps, !loop.evalEmpty {
            watch(WatchPoint(step: s + 1, phase: .evaluation))
            let m = trainer.evaluate()
            loop.evals.append(StepEval(step: s + 1, metrics: m))
            progress?(String(format: "eval at step %d: logloss %.4f  auc %.4f  ne %.4f", s + 1, m.logloss, m.auc, m.ne)
                      + (m.gauc.map { String(format: "  gauc %.4f", $0) } ?? ""))
        }
    }

    /// One small allreduce per step (when signals are asked): every rank
    /// stops after the same step, with a checkpoint.
    func stopIfSignalled(after step: Int) throws {
        let config = trainer.config
        guard let stopSignal, step < config.run.steps else { return }
        let signal = trainer.comm.allreduce(.control, Int64(stopSignal()), op: .max)
        guard signal != 0 else { return }
        if let dir = runDirectory {
            do {
                let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                progress?("checkpoint: step \(step) -> \(path)")
                progress?("strata: signal \(signal) after step \(step); continue with --resume \(dir)")
            } catch {
                throw TrainingFailure("step \(step): checkpoint on signal \(signal): \(error)")
            }
        }
        throw Stopped(step: step, signal: Int32(signal))
    }

    /// The final checkpoint, the ledger's report, the final evaluation and summary.json.
    func finish(_ loop: StepLoop, folder: RunFolder?, watch: (WatchPoint) -> Void) throws -> RunSummary {
        let comm = trainer.comm, config = trainer.config
        let last = trainer.step
        if let dir = runDirectory {
            watch(WatchPoint(step: last, phase: .finalCheckpoint))
            do {
                let path = try Checkpoint.write(trainer, runDirectory: dir, keep: config.run.keepCheckpoints)
                progress?("checkpoint: step \(trainer.step) -> \(path)")
            } catch {
                throw TrainingFailure("step \(trainer.step): final checkpoint: \(error)")
            }
        }
        let stepsRun = max(1, trainer.step - loop.startStep)
        let trainSeconds = monotonicSeconds() - loop.start
        watch(WatchPoint(step: last, phase: .finalReport))
        let report = LedgerReport.reduce(comm.ledger.run, steps: stepsRun, comm: comm)
        watch(WatchPoint(step: last, phase: .finalEvaluation))
        let final = trainer.evaluate()
        watch(WatchPoint(step: last, phase: .finalSummary))
        let summary = self.summary(loop, final: final, report: report, stepsRun: stepsRun, trainSeconds: trainSeconds)
        try folder?.writeJSON("summary.json", summary)
        progress?(report.table())
        if loop.evalEmpty {
            progress?("final eval: none, the eval split is empty (\(Self.whyNoEval(config, badLines: trainer.data.badLines)))")
        } else {
            progress?(String(format: "final eval: logloss %.4f  auc %.4f  ne %.4f  (%d samples)%@%@", final.logloss, final.auc, final.ne,
                             final.samples,
                             final.gaucSuffix,
                             trainer.data.planted.map { String(format: "; planted model auc %.4f logloss %.4f", $0.auc, $0.logloss) } ?? ""))
        }
        return summary
    }

    /// summary.json's contents (collective: memory and timers are gathered from every rank).
    func summary(_ loop: StepLoop, final: EvalMetrics, report: LedgerReport, stepsRun: Int, trainSeconds: Double) -> RunSummary {
        let comm = trainer.comm, config = trainer.config
        let evals = loop.evals + [StepEval(step: config.run.steps, metrics: final)]
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
        let losses = loop.losses
        let tail = losses.isEmpty ? [Double.nan] : losses.suffix(max(1, min(50, losses.count)))
        return RunSummary(
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
    }
}
