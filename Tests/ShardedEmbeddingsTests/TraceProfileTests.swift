import XCTest
import Cluster
import Sharding
import StrataTrainingFixtures
import Training

/// A trace written from a run's data plans exactly as the data does
/// (`sharding.profile` in place of profiling the batches).
final class TraceProfileTests: XCTestCase {
    func testTraceOfTheDataGivesTheSamePlan() throws {
        var c = TinyConfig.sequenceDLRM()
        c.sharding.type = .uniform(.flexShard)
        let data = try DataSources.load(c.data, seed: c.run.seed)
        let layout = try FeatureLayout(schema: data.source.schema, model: c.model)
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let fromData = try ShardingPlanner.plan(for: c, layout: layout, source: data.source, topology: topo).plan
        let measured = AccessProfile.measure(source: data.source, layout: layout, batchSize: c.run.batchSize,
                                             steps: c.sharding.profileSteps, dedup: c.data.dedup)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-trace-\(getpid()).trace").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try AccessTrace(profile: measured, tables: layout.tables).write(to: path)
        c.sharding.profilePath = path
        let fromTrace = try ShardingPlanner.plan(for: c, layout: layout, source: data.source, topology: topo).plan
        XCTAssertEqual(fromData, fromTrace)
        XCTAssertTrue(fromTrace.tables.contains { ($0.tiers?.hot ?? 0) > 0 }, "the plan has hot rows")
        // A trace that disagrees changes the plan (the trace is really read).
        var flipped = measured
        flipped.counts = flipped.counts.map { Array($0.reversed()) }
        try AccessTrace(profile: flipped, tables: layout.tables).write(to: path)
        XCTAssertNotEqual(try ShardingPlanner.plan(for: c, layout: layout, source: data.source, topology: topo).plan, fromData)
    }
}
