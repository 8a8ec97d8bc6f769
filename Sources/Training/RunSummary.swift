import Collectives
import Data
import Foundation
import Model
import Sharding

/// `summary.json`: what ran, how well, how fast, what it sent, what it held.
public struct RunSummary: Sendable, Codable {
    public struct Metrics: Sendable, Codable {
        /// Mean training loss over the last (up to 50) steps.
        public var trainLogloss: Double
        public var evalLogloss: Double
        public var evalAuc: Double
        public var evalNe: Double
        public var evalSamples: Int
        /// Per-user AUC (`EvalMetrics.gauc`), where the source knows users.
        public var evalGauc: Double?
        public var evalHistory: [StepEval]
    }

    public struct DataInfo: Sendable, Codable {
        public var source: DataSetKind
        public var dedup: Bool
        public var plantedAuc: Double?
        public var plantedLogloss: Double?
        public var badLines: Int
        /// Samples per unique user-side row, mean over training batches (RecD's
        /// in-batch duplication; 1 with dedup off).
        public var duplicationFactor: Double
    }

    public struct Throughput: Sendable, Codable {
        /// Whole steps, data loading included.
        public var samplesPerSec: Double
        public var seconds: Double
    }

    public struct Memory: Sendable, Codable {
        /// Embedding rows plus optimizer state, per rank, as allocated at the end.
        public var embeddingBytesPerRank: [Int]
        public var maxEmbeddingBytes: Int
        /// What the plan counts per rank (`ShardingPlan.memoryPerRank`); a
        /// FlexShard rank holds more when the run read more rows first after
        /// the profile than the plan made room for.
        public var plannedEmbeddingBytesPerRank: [Int]?
        public var denseParameters: Int
    }

    public var config: RunConfig
    public var worldSize: Int
    public var nodes: Int
    public var plan: ShardingPlan
    public var steps: Int
    public var samples: Int
    public var metrics: Metrics
    public var data: DataInfo
    public var throughput: Throughput
    public var comm: CommSummary
    public var memory: Memory
    public var stepBreakdown: StepBreakdown
    /// The dense GEMMs' kernel per shape and layer (`model.gemm`; nil when
    /// OpenBLAS runs everything, nothing tuned).
    public var gemm: [GemmChoice]? = nil
}

public struct StepEval: Sendable, Codable {
    public var step: Int
    public var metrics: EvalMetrics
}

public struct StepRecord: Sendable, Codable {
    public var step: Int
    public var loss: Double
    /// Bytes rank 0 sent to other ranks in this step's all-to-alls.
    public var a2aBytes: Int
    /// The global batch's samples per unique user-side row (RecD's duplication).
    public var duplicationFactor: Double
    public var seconds: Double
}

/// The ledger's run totals as summary.json shows them: per phase, bytes sent
/// to other ranks, by link class, and seconds, each min/mean/max over ranks.
public struct CommSummary: Sendable, Codable {
    public var phases: [String: LedgerReport.Phase]
    /// All-to-all bytes sent to other ranks per step, summed over ranks.
    public var a2aBytesPerStep: Double
    public var interNodeBytesPerStep: Double
    public var intraNodeBytesPerStep: Double
    public var seconds: Double

    public init(report: LedgerReport) {
        phases = Dictionary(uniqueKeysWithValues: report.phases.map { ($0.phase, $0) })
        a2aBytesPerStep = report.allToAllBytesPerStep
        let a2a = report.phases.filter { p in CommPhase.allCases.contains { $0.tag == p.phase && $0.isAllToAll } }
        let steps = Double(max(report.steps, 1))
        interNodeBytesPerStep = a2a.reduce(0) { $0 + $1.interNodeBytes.total } / steps
        intraNodeBytesPerStep = a2a.reduce(0) { $0 + $1.intraNodeBytes.total } / steps
        seconds = report.phases.filter { $0.phase != CommPhase.evalA2A.tag }.reduce(0) { $0 + $1.seconds.max }
    }
}

/// Seconds per step in each part of the step, min/mean/max over ranks.
public struct StepBreakdown: Sendable, Codable {
    public var parts: [String: LedgerReport.Stat]

    public init(perRank: [[Double]], steps: Int) {
        var parts: [String: LedgerReport.Stat] = [:]
        for (i, part) in StepTimers.parts.enumerated() {
            parts[part.name] = LedgerReport.Stat(perRank.map { $0[i] / Double(max(steps, 1)) })
        }
        self.parts = parts
    }
}
