import Cluster
import Collectives
import Sharding
import Tensors

/// Bytes a plan will move, computed without communicating: every rank's
/// ids are routed by the same `EmbeddingRouter` the exchanges use, the
/// replica syncs are counted from the union of touched rows, and allreduces
/// as the ledger counts them (a ring); `TrafficAccumulator` does the work. Held against the ledger in tests, so
/// `strata plan`'s figures are the ones a run will measure.
public struct PredictedTraffic: Sendable, Codable, Equatable {
    public struct Phase: Sendable, Codable, Equatable {
        public var phase: String
        /// Per rank, summed over the predicted steps: bytes sent to other ranks, and by link class.
        public var bytesSent: [Int]
        public var intraNodeBytes: [Int]
        public var interNodeBytes: [Int]
        /// Per rank, summed over the predicted steps: collectives (the ledger's calls).
        public var calls: [Int] = []

        public init(phase: String, bytesSent: [Int], intraNodeBytes: [Int], interNodeBytes: [Int], calls: [Int]) {
            self.phase = phase; self.bytesSent = bytesSent; self.intraNodeBytes = intraNodeBytes
            self.interNodeBytes = interNodeBytes; self.calls = calls
        }

        /// Plan files written before collectives were counted read with none.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            phase = try c.decode(String.self, forKey: .phase)
            bytesSent = try c.decode([Int].self, forKey: .bytesSent)
            intraNodeBytes = try c.decode([Int].self, forKey: .intraNodeBytes)
            interNodeBytes = try c.decode([Int].self, forKey: .interNodeBytes)
            calls = try c.decodeIfPresent([Int].self, forKey: .calls) ?? bytesSent.map { _ in 0 }
        }
    }

    public var steps: Int
    public var phases: [Phase]
    /// Per step, the alpha-beta model: per phase, the busiest rank's latency
    /// (each collective's link-class alpha times its rounds, `CommCalibration`)
    /// plus intra bytes over the intra-node bandwidth plus inter bytes over the
    /// inter-node bandwidth; summed over phases.
    public var modelledSecondsPerStep: Double

    public func phase(_ p: CommPhase) -> Phase? { phases.first { $0.phase == p.tag } }

    /// Collectives the busiest rank makes per step, every phase.
    public var collectivesPerStep: Double {
        let R = phases.first?.calls.count ?? 0
        let most = (0..<R).map { r in phases.reduce(0) { $0 + ($1.calls.isEmpty ? 0 : $1.calls[r]) } }.max() ?? 0
        return Double(most) / Double(max(steps, 1))
    }

    /// All-to-all bytes (both lanes) per step, summed over ranks.
    public var allToAllBytesPerStep: Double {
        let a2a = Set(CommPhase.allCases.filter(\.isAllToAll).map(\.tag))
        return Double(phases.filter { a2a.contains($0.phase) }.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Bytes on inter-node links per step (every phase), summed over ranks.
    public var interNodeBytesPerStep: Double {
        Double(phases.reduce(0) { $0 + $1.interNodeBytes.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Embedding traffic per step (all-to-alls of both lanes and replica
    /// syncs; the dense allreduce, the same for every plan, left out), summed over ranks.
    public var embeddingBytesPerStep: Double {
        let keep = Set(CommPhase.allCases.filter { $0.isAllToAll || $0 == .replicaGradSync }.map(\.tag))
        return Double(phases.filter { keep.contains($0.phase) }.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Embedding bytes (as `embeddingBytesPerStep`) each rank sends per step.
    public var embeddingBytesPerRank: [Double] {
        let keep = Set(CommPhase.allCases.filter { $0.isAllToAll || $0 == .replicaGradSync }.map(\.tag))
        var out = [Double](repeating: 0, count: phases.first?.bytesSent.count ?? 0)
        for p in phases where keep.contains(p.phase) { for r in out.indices { out[r] += Double(p.bytesSent[r]) } }
        return out.map { $0 / Double(max(steps, 1)) }
    }

    /// The part of `embeddingBytesPerStep` on inter-node links.
    public var embeddingInterNodeBytesPerStep: Double {
        let keep = Set(CommPhase.allCases.filter { $0.isAllToAll || $0 == .replicaGradSync }.map(\.tag))
        return Double(phases.filter { keep.contains($0.phase) }.reduce(0) { $0 + $1.interNodeBytes.reduce(0, +) }) / Double(max(steps, 1))
    }

    /// Every byte sent to other ranks per step (every phase), summed over ranks.
    public var totalBytesPerStep: Double {
        Double(phases.reduce(0) { $0 + $1.bytesSent.reduce(0, +) }) / Double(max(steps, 1))
    }
}

public enum TrafficPredictor {
    /// `steps[s][r]` is rank r's ids (one entry per feature) in step s.
    /// `dedupIds`: as the collection's (each distinct id once per destination).
    /// Every rank routed: exact (`TrafficAccumulator` streams the same).
    public static func predict(plan: ShardingPlan, tables: [TableConfig], features: [EmbeddingFeature], topology: Topology,
                               steps: [[[FeatureIds]]], denseParameters: Int, dedupIds: Bool = false,
                               payload: PayloadPrecision = .fp32) -> PredictedTraffic {
        let acc = TrafficAccumulator(plan: plan, tables: tables, features: features, topology: topology,
                                     denseParameters: denseParameters, dedupIds: dedupIds, payload: payload)
        for step in steps {
            for r in acc.routedRanks { acc.add(rank: r, ids: step[r]) }
            acc.endStep()
        }
        return acc.traffic
    }
}
