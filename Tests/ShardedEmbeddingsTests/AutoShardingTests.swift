import XCTest
import Cluster
import Data
import Model
import ShardedEmbeddings
import Sharding
import StrataTrainingFixtures
import Training

/// `sharding.type: auto` plans every candidate, prices each by the alpha-beta
/// model on the run's profiled batches, and uses the cheapest that fits the
/// memory budget: its plan is that strategy's own plan, its price is the one
/// this test routes for it, a strategy over the budget is refused (never
/// chosen), and the choice repeats exactly (every rank makes it alone).
final class AutoShardingTests: XCTestCase {
    struct Setup {
        var config: RunConfig
        var layout: FeatureLayout
        var source: any BatchSource
    }

    func setup() throws -> Setup {
        var c = TinyConfig.sequenceDLRM()
        c.sharding.type = .auto
        let data = try DataSources.load(c.data, seed: c.run.seed)
        return Setup(config: c, layout: try FeatureLayout(schema: data.source.schema, model: c.model), source: data.source)
    }

    /// The modelled seconds a step of `plan`, routed here from every rank's
    /// share of the profiled global batches.
    func price(_ plan: ShardingPlan, _ s: Setup, topology: Topology, calibration: CommCalibration = .machineDefault) -> Double {
        let c = s.config
        let shape = s.layout.dlrmShape(c.model, denseFeatures: s.source.schema.denseCount, maxBatch: 1, maxSequenceRows: 1)
        let accumulator = TrafficAccumulator(plan: plan, tables: s.layout.tables, features: s.layout.features, topology: topology,
                                             denseParameters: DLRMDense(shape: shape, seed: 0).parameterCount,
                                             dedupIds: c.sharding.dedupIds, payload: c.precision.payload,
                                             calibration: calibration)
        let G = c.run.batchSize
        for step in 0..<max(1, min(c.sharding.profileSteps, s.source.sampleCount(.train) / G)) {
            for r in 0..<topology.worldSize {
                let range = sliceRange(globalBatch: step, rank: r, worldSize: topology.worldSize, step: G)
                accumulator.add(rank: r, ids: s.layout.ids(of: s.source.batch(globalStart: range.lowerBound, count: range.count,
                                                                              split: .train, dedup: c.data.dedup)))
            }
            accumulator.endStep()
        }
        return accumulator.traffic.modelledSecondsPerStep
    }

    func testAutoUsesTheStrategyTheModelPricesLowest() throws {
        let s = try setup()
        for (world, perNode) in [(2, 2), (4, 2), (8, 4)] {
            let topology = try Topology.emulated(worldSize: world, ranksPerNode: perNode)
            let planned = try ShardingPlanner.plan(for: s.config, layout: s.layout, source: s.source, topology: topology)
            let report = try XCTUnwrap(planned.auto, "auto reports its candidates")
            XCTAssertEqual(report.candidates.count, ShardingType.allCases.count + 1)
            var prices: [String: Double] = [:]
            for type in ShardingType.allCases {
                var c = s.config
                c.sharding.type = .uniform(type)
                let own = try ShardingPlanner.plan(for: c, layout: s.layout, source: s.source, topology: topology).plan
                prices[type.rawValue] = price(own, s, topology: topology)
                let reported = try XCTUnwrap(report.candidates.first { $0.name == type.rawValue }?.modelledSecondsPerStep)
                XCTAssertEqual(reported, prices[type.rawValue]!, accuracy: 1e-12, "\(world) ranks: \(type)'s price")
                if report.chosen == type.rawValue { XCTAssertEqual(planned.plan, own, "\(world) ranks: auto's plan is \(type)'s") }
            }
            let cheapest = report.candidates.compactMap(\.modelledSecondsPerStep).min()!
            let chosen = try XCTUnwrap(report.candidates.first { $0.name == report.chosen }?.modelledSecondsPerStep)
            XCTAssertEqual(chosen, cheapest, "\(world) ranks: \(report.line)")
            XCTAssertEqual(try ShardingPlanner.plan(for: s.config, layout: s.layout, source: s.source, topology: topology).plan,
                           planned.plan, "the choice repeats")
        }
    }

    func testAStrategyOverTheMemoryBudgetIsRefusedAndNotChosen() throws {
        var s = try setup()
        let topology = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        func memory(_ type: ShardingType) throws -> Int {
            var c = s.config
            c.sharding.type = .uniform(type)
            let plan = try ShardingPlanner.plan(for: c, layout: s.layout, source: s.source, topology: topology).plan
            return plan.memoryPerRank(tables: s.layout.tables, optimizer: c.optimizer.embedding, topology: topology).max()!
        }
        let replicated = try memory(.dataParallel), sharded = try memory(.rowWise)
        XCTAssertLessThan(sharded, replicated)
        s.config.sharding.memoryBudgetBytes = (sharded + replicated) / 2
        let report = try XCTUnwrap(try ShardingPlanner.plan(for: s.config, layout: s.layout, source: s.source, topology: topology).auto)
        let dp = try XCTUnwrap(report.candidates.first { $0.name == "data_parallel" })
        XCTAssertNil(dp.modelledSecondsPerStep)
        XCTAssertNotNil(dp.refused, "data_parallel over the budget is refused with a reason")
        XCTAssertNotEqual(report.chosen, "data_parallel")
        XCTAssertTrue(report.line.contains("refused: data_parallel"), report.line)
    }

    /// `topology.calibration` reaches FlexShard's tier planner: with links
    /// whose latency no copy pays for, a flex_shard run cuts no hot or warm
    /// tier (without the file it does), auto's FlexShard candidate is that
    /// same plan at that same price, and auto does not choose it.
    func testTheCalibrationFilePricesFlexShardsTiers() throws {
        let s = try setup()
        let topology = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("slow-links-\(ProcessInfo.processInfo.processIdentifier).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let slow = CommCalibration(intraNodeLatency: 1, interNodeLatency: 1)
        try slow.write(to: file)
        func flex(_ calibration: String?) throws -> ShardingPlan {
            var c = s.config
            c.sharding.type = .uniform(.flexShard)
            c.topology.calibration = calibration
            return try ShardingPlanner.plan(for: c, layout: s.layout, source: s.source, topology: topology).plan
        }
        let copies = { (p: ShardingPlan) in p.tables.compactMap(\.tiers).reduce(0) { $0 + $1.hot + $1.warm } }
        XCTAssertGreaterThan(copies(try flex(nil)), 0, "by bytes alone some rows have copies")
        let own = try flex(file)
        XCTAssertEqual(copies(own), 0, "no copy pays a 1 s sync")
        var c = s.config
        c.topology.calibration = file
        let report = try XCTUnwrap(try ShardingPlanner.plan(for: c, layout: s.layout, source: s.source, topology: topology).auto)
        let priced = try XCTUnwrap(report.candidates.first { $0.name == "flexshard" }?.modelledSecondsPerStep)
        XCTAssertEqual(priced, price(own, s, topology: topology, calibration: slow), accuracy: 1e-9)
        XCTAssertNotEqual(report.chosen, "flexshard", report.line)
    }
}

