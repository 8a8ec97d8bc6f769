import Cluster
import Data
import Foundation
import Model
import ShardedEmbeddings
import Sharding

/// `sharding.type: auto`: every candidate (the size rule's type per table, and
/// each strategy for every table) is planned under the memory budget, and the
/// one whose communication the alpha-beta model prices lowest on the run's own
/// profiled batches is used. The choice is a pure function of the config and
/// the data, so every rank makes the same one without a message.
public enum AutoSharding {
    /// The candidates in order; a tie keeps the earlier.
    static let candidates: [ShardingChoice] = [.auto] + ShardingType.allCases.map(ShardingChoice.uniform)

    /// `calibration`: the link figures the model prices with (a calibration
    /// file's bandwidths, where it has them, replace the topology's).
    public static func plan(_ spec: ShardingSpec, for target: ShardingPlanner.Target, config: RunConfig, layout: FeatureLayout,
                            source: any BatchSource, calibration: CommCalibration,
                            profile: () throws -> AccessProfile) throws -> ShardingPlanner.Planned {
        var planned: [(name: String, planned: ShardingPlanner.Planned)] = []
        var report: [AutoReport.Candidate] = []
        for choice in candidates {
            var s = spec
            s.type = choice
            let name = choice == .auto ? "size rule" : choice.name
            do {
                planned.append((name, try ShardingPlanner.plan(s, for: target, profile: profile)))
            } catch let e as PlanError {
                report.append(.init(name: name, modelledSecondsPerStep: nil, refused: e.description))
            }
        }
        guard !planned.isEmpty else {
            throw PlanError("sharding.type auto: no strategy fits: " + report.compactMap(\.refused).joined(separator: "; "))
        }
        let seconds = modelledSeconds(planned.map(\.planned.plan), spec: spec, target: target, config: config,
                                      layout: layout, source: source, calibration: calibration)
        let best = seconds.indices.min { (seconds[$0], $0) < (seconds[$1], $1) }!
        report = zip(planned, seconds).map { .init(name: $0.name, modelledSecondsPerStep: $1, refused: nil) } + report
        var chosen = planned[best].planned
        chosen.auto = AutoReport(chosen: planned[best].name, candidates: report)
        return chosen
    }

    /// Each plan's modelled communication seconds a step: the profiled global
    /// batches of every rank routed through one traffic accumulator per plan.
    static func modelledSeconds(_ plans: [ShardingPlan], spec: ShardingSpec, target: ShardingPlanner.Target, config: RunConfig,
                                layout: FeatureLayout, source: any BatchSource, calibration: CommCalibration) -> [Double] {
        let plain = target.planTopology
        let topology = Topology(nodeOfRank: plain.nodeOfRank,
                                intraNodeBandwidth: calibration.intraNodeBandwidth ?? plain.intraNodeBandwidth,
                                interNodeBandwidth: calibration.interNodeBandwidth ?? plain.interNodeBandwidth)
        let shape = layout.dlrmShape(config.model, denseFeatures: source.schema.denseCount, maxBatch: 1, maxSequenceRows: 1)
        let dense = DLRMDense(shape: shape, seed: 0).parameterCount
        let accumulators = plans.map {
            TrafficAccumulator(plan: $0, tables: layout.tables, features: layout.features, topology: topology,
                               denseParameters: dense, dedupIds: spec.dedupIds, payload: config.precision.payload,
                               calibration: calibration)
        }
        let G = config.run.batchSize
        TrafficAccumulator.route(accumulators, source: source, layout: layout, batchSize: G, dedup: config.data.dedup,
                                 batches: 0..<max(1, min(spec.profileSteps, source.sampleCount(.train) / G)))
        return accumulators.map { $0.traffic.modelledSecondsPerStep }
    }
}

extension TrafficAccumulator {
    /// Routes the global batches `batches` of `source` through every
    /// accumulator (all route the same ranks: the first one's `routedRanks`):
    /// each rank's slice is made once, routed for all, and dropped.
    public static func route(_ accumulators: [TrafficAccumulator], source: any BatchSource, layout: FeatureLayout,
                             batchSize G: Int, dedup: Bool, batches: Range<Int>) {
        guard let first = accumulators.first else { return }
        let R = first.topology.worldSize
        for step in batches {
            for r in first.routedRanks {
                let range = sliceRange(globalBatch: step, rank: r, worldSize: R, step: G)
                let ids = layout.ids(of: source.batch(globalStart: range.lowerBound, count: range.count, split: .train, dedup: dedup))
                for a in accumulators { a.add(rank: r, ids: ids) }
            }
            for a in accumulators { a.endStep() }
        }
    }
}

extension CommCalibration {
    /// `topology.calibration`'s file, else this machine's figures.
    static func of(_ config: RunConfig) throws -> CommCalibration {
        guard let path = config.topology.calibration else { return .machineDefault }
        do { return try CommCalibration.read(path) } catch { throw ConfigError("topology.calibration: \(error)") }
    }
}
