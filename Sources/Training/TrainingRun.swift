import Collectives
import Foundation
import Sharding

/// A whole run: the step loop with progress on rank 0, periodic and final
/// eval, and the run folder (`summary.json`, `steps.jsonl`, `plan.json`).
public struct TrainingRun {
    public let trainer: Trainer
    public let runDirectory: String?
    /// Where progress lines go (rank 0 only); nil: silent.
    public var progress: ((String) -> Void)?

    public init(trainer: Trainer, runDirectory: String?, progress: ((String) -> Void)?) {
        self.trainer = trainer
        self.runDirectory = runDirectory
        self.progress = trainer.comm.rank == 0 ? progress : nil
    }

    @discardableResult
    public func run() throws -> RunSummary {
        let comm = trainer.comm, config = trainer.config
        let folder = try runDirectory.map { try RunFolder(path: $0, isWriter: comm.rank == 0) }
        try folder?.writeJSON("plan.json", trainer.plan)
        progress?("strata: \(comm.size) ranks on \(comm.topology.nodeCount) node(s); plan: "
                  + trainer.plan.tables.map { "\($0.table)=\($0.type.rawValue)" }.joined(separator: " "))
        progress?("strata: embeddings on this rank: \(trainer.embeddings.memoryBytes) bytes; dense parameters: \(trainer.model.parameterCount)")
        comm.barrier()
        comm.ledger.resetAll()
        let start = monotonicSeconds()
        var losses: [Double] = []
        var evals: [StepEval] = []
        var lastLog = start, lastLogStep = 0
        var a2aSoFar = 0
        for s in 0..<config.run.steps {
            let loss = trainer.trainStep()
            guard loss.isFinite else {
                throw TrainingFailure("step \(s): the loss is \(loss) (forward pass of the dense model diverged)")
            }
            losses.append(loss)
            // endStep folded this step into the run totals: the difference is the step's traffic.
            let a2aTotal = Self.allToAllBytes(comm.ledger.run)
            let a2a = a2aTotal - a2aSoFar
            a2aSoFar = a2aTotal
            try folder?.appendLine("steps.jsonl", StepRecord(step: s + 1, loss: loss, a2aBytes: a2a,
                                                             seconds: monotonicSeconds() - start))
            if (s + 1) % config.run.logEvery == 0 || s + 1 == config.run.steps {
                let now = monotonicSeconds()
                let rate = Double((s + 1 - lastLogStep) * config.run.batchSize) / max(now - lastLog, 1e-9)
                let eta = Double(config.run.steps - s - 1) * (now - start) / Double(s + 1)
                let recent = losses.suffix(config.run.logEvery)
                progress?(String(format: "step %d/%d  loss %.4f  %.0f samples/s  a2a %.3f MB/step  dup %.2f  eta %.0fs",
                                 s + 1, config.run.steps, recent.reduce(0, +) / Double(recent.count), rate,
                                 Double(a2a) / 1e6, trainer.localDuplicationFactor, eta))
                lastLog = now; lastLogStep = s + 1
            }
            if config.run.evalEvery > 0, (s + 1) % config.run.evalEvery == 0, s + 1 < config.run.steps {
                let m = trainer.evaluate()
                evals.append(StepEval(step: s + 1, metrics: m))
                progress?(String(format: "eval at step %d: logloss %.4f  auc %.4f  ne %.4f", s + 1, m.logloss, m.auc, m.ne))
            }
        }
        let trainSeconds = monotonicSeconds() - start
        let report = LedgerReport.reduce(comm.ledger.run, steps: config.run.steps, comm: comm)
        let final = trainer.evaluate()
        evals.append(StepEval(step: config.run.steps, metrics: final))
        let duplication = trainer.duplicationFactor()
        let memory = comm.allgather(.control, Int64(trainer.embeddings.memoryBytes)).map(Int.init)
        let timerSums = comm.allgatherArrays(.control, trainer.timers.asArray)
        let tail = losses.suffix(max(1, min(50, losses.count)))
        let summary = RunSummary(
            config: config, worldSize: comm.size, nodes: comm.topology.nodeCount, plan: trainer.plan,
            steps: config.run.steps, samples: config.run.steps * config.run.batchSize,
            metrics: .init(trainLogloss: tail.reduce(0, +) / Double(tail.count), evalLogloss: final.logloss,
                           evalAuc: final.auc, evalNe: final.ne, evalSamples: final.samples, evalHistory: evals),
            data: .init(source: config.data.source, dedup: config.data.dedup, plantedAuc: trainer.data.planted?.auc,
                        plantedLogloss: trainer.data.planted?.logloss, badLines: trainer.data.badLines,
                        duplicationFactor: duplication),
            throughput: .init(samplesPerSec: Double(config.run.steps * config.run.batchSize) / trainSeconds,
                              seconds: trainSeconds),
            comm: CommSummary(report: report),
            memory: .init(embeddingBytesPerRank: memory, maxEmbeddingBytes: memory.max() ?? 0,
                          denseParameters: trainer.model.parameterCount),
            stepBreakdown: StepBreakdown(perRank: timerSums, steps: config.run.steps))
        try folder?.writeJSON("summary.json", summary)
        progress?(report.table())
        progress?(String(format: "final eval: logloss %.4f  auc %.4f  ne %.4f  (%d samples)%@", final.logloss, final.auc, final.ne,
                         final.samples, trainer.data.planted.map { String(format: "; planted model auc %.4f logloss %.4f", $0.auc, $0.logloss) } ?? ""))
        return summary
    }

    /// Bytes this rank sent to other ranks in the training all-to-all phases.
    static func allToAllBytes(_ totals: [PhaseTotals]) -> Int {
        CommPhase.allCases.filter(\.isAllToAll).reduce(0) { $0 + totals[$1.rawValue].bytesSent }
    }
}

/// Why a run stopped that is not bad input (a diverged loss).
public struct TrainingFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
