import XCTest
import Cluster
import Collectives
import Data
import ShardedEmbeddings
import Sharding
import StrataTrainingFixtures
import Tensors
import Training

/// Sampled planning (`sharding.profile_samples`, `strata plan --routed-nodes`)
/// stays within the error docs/benchmarks/flexshard.md states ("Sampled profiles") on
/// a seeded weak-scaled case: 16 ranks as 2 nodes of 8, 1024 samples a rank,
/// histories up to 200, tables of 10^6 rows, Zipf 1.1.
final class SampledProfileTests: XCTestCase {
    struct Case {
        var config: RunConfig
        var layout: FeatureLayout
        var source: any BatchSource
        var topology: Topology
        /// steps[0][r]: rank r's ids of the routed global batch.
        var steps: [[[FeatureIds]]]
    }

    /// `routedBatch` 1: the batch after the profiled one, as training meets it.
    func weakScaled(ranks: Int = 16, perRank: Int = 1024, routedBatch: Int) throws -> Case {
        var c = TinyConfig.sequenceDLRM()
        c.data.synthetic.samples = 1 << 20
        c.data.synthetic.itemRows = 1_000_000
        c.data.synthetic.userRows = 1_000_000
        c.data.synthetic.extraTables = [.init(name: "c0", rows: 1_000)]
        c.data.synthetic.historyMaxLength = 200
        c.data.synthetic.sessionLength = 4
        c.data.synthetic.zipfExponent = 1.1
        c.run.batchSize = ranks * perRank
        c.run.steps = 1
        c.sharding.type = .uniform(.flexShard)
        c.sharding.profileSteps = 1
        let source = try DataSources.load(c.data, seed: c.run.seed).source
        let layout = try FeatureLayout(schema: source.schema, model: c.model)
        let topology = try Topology.emulated(worldSize: ranks, ranksPerNode: 8)
        let batch = (0..<ranks).map { r -> [FeatureIds] in
            let range = sliceRange(globalBatch: routedBatch, rank: r, worldSize: ranks, step: c.run.batchSize)
            return layout.ids(of: source.batch(globalStart: range.lowerBound, count: range.count, split: .train, dedup: true))
        }
        return Case(config: c, layout: layout, source: source, topology: topology, steps: [batch])
    }

    func plan(_ k: Case, samples: Int) throws -> ShardingPlan {
        var c = k.config
        c.sharding.profileSamples = samples
        return try ShardingPlanner.plan(for: c, layout: k.layout, source: k.source, topology: k.topology).plan
    }

    func predict(_ k: Case, _ plan: ShardingPlan, routedNodes: [Int]? = nil) -> PredictedTraffic {
        let acc = TrafficAccumulator(plan: plan, tables: k.layout.tables, features: k.layout.features, topology: k.topology,
                                     denseParameters: 1_000, routedNodes: routedNodes)
        for step in k.steps {
            for r in acc.routedRanks { acc.add(rank: r, ids: step[r]) }
            acc.endStep()
        }
        return acc.traffic
    }

    func perRank(_ t: PredictedTraffic) -> [Double] { t.embeddingBytesPerRank }

    func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) / max($1, 1) }.max() ?? 0
    }

    func hotRows(_ plan: ShardingPlan, table: String) -> Set<Int32> {
        let t = plan.sharding(of: table)!.tiers!
        return Set(t.order.prefix(t.hot))
    }

    /// Hot-tier reads of the exact plan that the other plan's hot tier also holds.
    func hotReadsHeld(_ plan: ShardingPlan, of exact: ShardingPlan, profile: AccessProfile, tables: [TableConfig]) -> Double {
        var reads = 0, held = 0
        for (t, table) in tables.enumerated() {
            let a = hotRows(exact, table: table.name), b = hotRows(plan, table: table.name)
            reads += a.reduce(0) { $0 + profile.counts[t][Int($1)] }
            held += a.intersection(b).reduce(0) { $0 + profile.counts[t][Int($1)] }
        }
        return Double(held) / Double(max(reads, 1))
    }

    /// A profile of half the batch plans hot tiers that hold at least 95 % of
    /// the exact plan's hot reads, and on the next batch (what training
    /// routes) every rank's embedding bytes and the modelled time are within
    /// 5 % of the exact plan's (3.4 % and 3.0 % measured; 99.0 % of the hot
    /// reads held). One block is not
    /// within that bound: the check can fail.
    func testSampledProfilePlansWithinTheStatedError() throws {
        let k = try weakScaled(routedBatch: 1)
        let exact = try plan(k, samples: 0), sampled = try plan(k, samples: k.config.run.batchSize / 2)
        XCTAssertNotEqual(exact, sampled, "a sampled profile is a different profile")
        let profile = AccessProfile.measure(source: k.source, layout: k.layout, batchSize: k.config.run.batchSize, steps: 1,
                                            dedup: true)
        XCTAssertGreaterThan(hotRows(exact, table: "item").count, 100)
        XCTAssertGreaterThanOrEqual(hotReadsHeld(sampled, of: exact, profile: profile, tables: k.layout.tables), 0.95)
        let truth = predict(k, exact), estimate = predict(k, sampled)
        XCTAssertLessThanOrEqual(maxRelativeError(perRank(estimate), perRank(truth)), 0.05)
        XCTAssertEqual(estimate.modelledSecondsPerStep, truth.modelledSecondsPerStep, accuracy: 0.05 * truth.modelledSecondsPerStep)
        let tiny = try plan(k, samples: 1)
        XCTAssertGreaterThan(maxRelativeError(perRank(predict(k, tiny)), perRank(truth)), 0.05, "one block is not within the bound")
    }

    /// Routing one of the two nodes and estimating the other gives every
    /// rank's embedding bytes within 6 % of routing both (4.5-4.9 %
    /// measured) and the modelled time within 5 %, for FlexShard and
    /// row_wise; every node routed is the exact prediction.
    func testRoutedNodesEstimateWithinTheStatedError() throws {
        let k = try weakScaled(routedBatch: 0)
        let flex = try plan(k, samples: 0)
        let rowWise = ShardingPlan.uniform(.rowWise, tables: k.layout.tables, topology: k.topology)
        for p in [flex, rowWise] {
            let truth = predict(k, p), what = "\(p.tables[0].type)"
            XCTAssertEqual(predict(k, p, routedNodes: [0, 1]), truth, "every node routed is the exact prediction")
            // The modelled time counts the all-to-alls, not only the syncs.
            let a2a = truth.phase(.idsA2A)!.interNodeBytes.max()! + truth.phase(.embBwdA2A)!.interNodeBytes.max()!
            XCTAssertGreaterThan(truth.modelledSecondsPerStep, Double(a2a) / k.topology.interNodeBandwidth / 2, what)
            let estimate = predict(k, p, routedNodes: [1])
            XCTAssertLessThanOrEqual(maxRelativeError(perRank(estimate), perRank(truth)), 0.06, what)
            XCTAssertEqual(estimate.modelledSecondsPerStep, truth.modelledSecondsPerStep, accuracy: 0.05 * truth.modelledSecondsPerStep, what)
        }
    }

    /// The sample's blocks are distinct, whole sessions inside one batch, and
    /// the scale is the batches' samples over the blocks'.
    func testProfileSampleBlocks() {
        let s = ProfileSample(steps: 3, batchSize: 1000, samples: 700, seed: 7)
        XCTAssertEqual(s.blocks.count, 3)
        for (a, b) in zip(s.blocks, s.blocks.dropFirst()) { XCTAssertLessThanOrEqual(a.upperBound, b.lowerBound) }
        for b in s.blocks { XCTAssertEqual(b.lowerBound / 1000, (b.upperBound - 1) / 1000, "\(b) inside one batch") }
        XCTAssertEqual(s.scale, 3000 / Double(s.blocks.reduce(0) { $0 + $1.count }))
        XCTAssertEqual(ProfileSample(steps: 3, batchSize: 1000, samples: 0, seed: 7).blocks, [0..<1000, 1000..<2000, 2000..<3000])
        XCTAssertEqual(ProfileSample(steps: 3, batchSize: 1000, samples: 700, seed: 7), s, "seeded")
        var g = StrataRNG(seed: 3)
        let d = g.distinct(50, of: 60)
        XCTAssertEqual(Set(d).count, 50)
        XCTAssertTrue(d.allSatisfy { (0..<60).contains($0) })
    }
}
