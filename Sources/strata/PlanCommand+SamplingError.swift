import CLISupport
import Foundation
import ShardedEmbeddings
import Sharding
import Training

/// `strata plan --sampling-error`: what sampling costs on this config, for
/// the world sizes where the exact plan still fits: FlexShard planned from
/// the sampled profile against the whole one (hot sets, bytes per rank, both
/// routed exactly, on the profiled batches and on the next ones, which
/// training meets and no profile saw), and `--routed-nodes`' estimate
/// against every node routed (the exact plan, and row_wise).
extension PlanCommand {
    func reportSamplingError(_ s: Setup) throws {
        guard s.cfg.sharding.profileSamples > 0 else {
            throw inputFailure("--sampling-error compares against sharding.profile_samples: set it")
        }
        let target = ShardingPlanner.Target(tables: s.layout.tables, topology: s.topology, optimizer: s.cfg.optimizer.embedding,
                                            trainingSteps: AccessProfile.trainingBatches(steps: s.cfg.run.steps, source: s.source,
                                                                                         batchSize: s.G),
                                            elementBytes: s.cfg.precision.embedding.bytes, calibration: s.calibrationFile ? s.calibration : nil)
        var spec = s.cfg.sharding
        spec.type = .uniform(.flexShard)
        spec.tables = [:]
        func profile(_ samples: Int) -> AccessProfile {
            AccessProfile.measure(source: s.source, layout: s.layout, batchSize: s.G, steps: s.steps, dedup: s.cfg.data.dedup,
                                  samples: samples, seed: s.cfg.run.seed)
        }
        let exactProfile = profile(0), sampledProfile = profile(s.cfg.sharding.profileSamples)
        let exact = try ShardingPlanner.plan(spec, for: target) { exactProfile }.plan
        let sampled = try ShardingPlanner.plan(spec, for: target) { sampledProfile }.plan
        let rowWise = ShardingPlan.uniform(.rowWise, tables: s.layout.tables, topology: s.topology)
        func accumulator(_ plan: ShardingPlan, routed: [Int]?) -> TrafficAccumulator {
            TrafficAccumulator(plan: plan, tables: s.layout.tables, features: s.layout.features, topology: s.topology,
                               denseParameters: s.dense, dedupIds: s.cfg.sharding.dedupIds, payload: s.cfg.precision.payload,
                               routedNodes: routed)
        }
        let all = [exact, sampled, rowWise].map { accumulator($0, routed: nil) }
        Self.route(all, s)
        print("# strata plan --sampling-error: \(ranks) ranks in nodes of \(s.L); profile of \(s.cfg.sharding.profileSamples) "
              + String(format: "sampled samples (%.4f of %d global batches of %d); dedup_ids %@",
                       sampledProfile.sampledFraction, s.steps, s.G, "\(s.cfg.sharding.dedupIds)"))
        for t in s.layout.tables {
            guard let a = exact.sharding(of: t.name)?.tiers, let b = sampled.sharding(of: t.name)?.tiers else { continue }
            let hotA = Set(a.order.prefix(a.hot)), hotB = Set(b.order.prefix(b.hot))
            let counts = exactProfile.counts[s.layout.tables.firstIndex { $0.name == t.name }!]
            let reads = hotA.reduce(0) { $0 + counts[Int($1)] }, kept = hotA.intersection(hotB).reduce(0) { $0 + counts[Int($1)] }
            let union = hotA.union(hotB).count
            print(String(format: "table %@: hot rows exact %d, sampled %d; Jaccard %.3f; the sampled hot set holds %.1f%% of the exact hot set's reads; warm %d / %d",
                         t.name, a.hot, b.hot, union == 0 ? 1 : Double(hotA.intersection(hotB).count) / Double(union),
                         reads == 0 ? 100 : 100 * Double(kept) / Double(reads), a.warm, b.warm))
        }
        Self.reportError(of: all[1].traffic, against: all[0].traffic,
                         "flexshard from the sampled profile vs the whole profile, on the profiled batches")
        if s.source.sampleCount(.train) >= 2 * s.steps * s.G {
            let next = [exact, sampled].map { accumulator($0, routed: nil) }
            Self.route(next, s, batches: s.steps..<(2 * s.steps))
            Self.reportError(of: next[1].traffic, against: next[0].traffic,
                             "flexshard from the sampled profile vs the whole profile, on the next batches")
        }
        guard let routed = routedNodeList(s) else { return }
        let estimated = [exact, rowWise].map { accumulator($0, routed: routed) }
        Self.route(estimated, s)
        Self.reportError(of: estimated[0].traffic, against: all[0].traffic, "flexshard, \(routed.count) routed nodes vs all")
        Self.reportError(of: estimated[1].traffic, against: all[2].traffic, "row_wise, \(routed.count) routed nodes vs all")
    }

    /// Relative errors of the embedding bytes each rank sends (largest and
    /// mean over ranks), of the all-to-all and inter-node totals and of the
    /// modelled time.
    static func reportError(of a: PredictedTraffic, against b: PredictedTraffic, _ what: String) {
        let x = a.embeddingBytesPerRank, y = b.embeddingBytesPerRank
        let rel = zip(x, y).map { abs($0 - $1) / max($1, 1) }
        func e(_ u: Double, _ v: Double) -> Double { 100 * (u - v) / max(v, 1e-300) }
        print(String(format: "%@: per-rank embedding bytes error max %.2f%%, mean %.2f%%; all-to-all %+.2f%%, embedding inter-node %+.2f%%, modelled time %+.2f%%",
                     what, 100 * (rel.max() ?? 0), 100 * rel.reduce(0, +) / Double(max(rel.count, 1)),
                     e(a.allToAllBytesPerStep, b.allToAllBytesPerStep),
                     e(a.embeddingInterNodeBytesPerStep, b.embeddingInterNodeBytesPerStep),
                     e(a.modelledSecondsPerStep, b.modelledSecondsPerStep)))
    }
}
