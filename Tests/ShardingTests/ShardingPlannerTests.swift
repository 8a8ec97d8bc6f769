import XCTest
import Cluster
import Sharding

/// The one planning entry point: spec in, finished and checked plan out.
final class ShardingPlannerTests: XCTestCase {
    let tables = [TableConfig(name: "small", rows: 100, dim: 4), TableConfig(name: "big", rows: 5_000, dim: 4)]

    func target(_ topology: Topology, worldRanks: [Int]? = nil) -> ShardingPlanner.Target {
        .init(tables: tables, topology: topology, worldRanks: worldRanks, optimizer: .rowwiseAdagrad)
    }

    func skewedProfile() -> AccessProfile {
        AccessProfile(steps: 4, counts: tables.map { t in (0..<t.rows).map { 1_000 / ($0 + 1) } })
    }

    func testUniformWithOverridesAndNoProfile() throws {
        var spec = ShardingSpec()
        spec.type = .uniform(.rowWise)
        spec.tables = ["small": .dataParallel]
        let planned = try ShardingPlanner.plan(spec, for: target(try .emulated(worldSize: 2, ranksPerNode: 2))) {
            XCTFail("no FlexShard table: the profile is not needed")
            return skewedProfile()
        }
        XCTAssertEqual(planned.plan.sharding(of: "small")?.type, .dataParallel)
        XCTAssertEqual(planned.plan.sharding(of: "big")?.type, .rowWise)
        XCTAssertTrue(planned.flexShard.isEmpty)
    }

    func testAutoReplicatesSmallTables() throws {
        var spec = ShardingSpec()
        spec.type = .auto
        let plan = try ShardingPlanner.plan(spec, for: target(try .emulated(worldSize: 2, ranksPerNode: 2))) { skewedProfile() }.plan
        XCTAssertEqual(plan.sharding(of: "small")?.type, .dataParallel)
        XCTAssertEqual(plan.sharding(of: "big")?.type, .tableWise)
    }

    func testFlexShardGetsTiersFromTheProfile() throws {
        var spec = ShardingSpec()
        spec.type = .uniform(.flexShard)
        var calls = 0
        let planned = try ShardingPlanner.plan(spec, for: target(try .emulated(worldSize: 4, ranksPerNode: 2))) {
            calls += 1
            return skewedProfile()
        }
        XCTAssertEqual(calls, 1)
        XCTAssertNotNil(planned.plan.sharding(of: "big")?.tiers)
        XCTAssertEqual(Set(planned.flexShard.keys), ["small", "big"])
        // The same counts give the same plan, whatever produced them.
        let again = try ShardingPlanner.plan(spec, for: target(try .emulated(worldSize: 4, ranksPerNode: 2))) { skewedProfile() }
        XCTAssertEqual(again.plan, planned.plan)
        // A given plan keeps its tiers: no second profile.
        let given = try ShardingPlanner.plan(spec, for: target(try .emulated(worldSize: 4, ranksPerNode: 2)), given: planned.plan) {
            XCTFail("tiers were given")
            return skewedProfile()
        }
        XCTAssertEqual(given.plan, planned.plan)
    }

    func testRefusalsNameWhatIsWrong() throws {
        var spec = ShardingSpec()
        spec.tables = ["bgi": .rowWise]
        XCTAssertThrowsError(try ShardingPlanner.plan(spec, for: target(Topology(nodeOfRank: [0, 0]))) { skewedProfile() }) {
            XCTAssertTrue("\($0)".contains("unknown table 'bgi'"), "\($0)")
        }
        spec.tables = [:]
        spec.memoryBudgetBytes = 1_000
        XCTAssertThrowsError(try ShardingPlanner.plan(spec, for: target(Topology(nodeOfRank: [0, 0]))) { skewedProfile() }) {
            XCTAssertTrue("\($0)".contains("over the memory budget of 1000 bytes"), "\($0)")
        }
        // propose: the same plan without the check.
        XCTAssertNoThrow(try ShardingPlanner.propose(spec, for: target(Topology(nodeOfRank: [0, 0]))) { skewedProfile() })
    }

    func testASweepGroupPlansForItsOwnRanks() throws {
        // World ranks 2 and 3 of 2 nodes of 2: the group is one node of two ranks.
        let world = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let t = target(world, worldRanks: [2, 3])
        XCTAssertEqual(t.planTopology.nodeOfRank, [0, 0])
        var spec = ShardingSpec()
        spec.type = .uniform(.tableRowWise)
        let plan = try ShardingPlanner.plan(spec, for: t) { skewedProfile() }.plan
        XCTAssertEqual(plan.worldSize, 2)
        XCTAssertEqual(world.restricted(to: [0, 1, 2, 3]), world, "the whole world restricts to itself")
    }

    func testChoiceCodesAsItsName() throws {
        for c in ShardingChoice.allCases {
            let data = try JSONEncoder().encode([c])
            XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"\(c.name)\"]")
            XCTAssertEqual(try JSONDecoder().decode([ShardingChoice].self, from: data), [c])
        }
        XCTAssertNil(ShardingChoice(name: "rowwise"))
    }

    /// The target's calibration prices FlexShard's tiers: none cuts by bytes
    /// (the plan of a zero-latency calibration), a latency no copy pays for
    /// cuts no hot or warm tier, and the planner says why in its report.
    func testTheTargetsCalibrationPricesTheTiers() throws {
        var spec = ShardingSpec()
        spec.type = .uniform(.flexShard)
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        func planned(_ calibration: CommCalibration?) throws -> ShardingPlanner.Planned {
            var t = target(topo)
            t.calibration = calibration
            return try ShardingPlanner.plan(spec, for: t) { skewedProfile() }
        }
        let bytes = try planned(nil), zero = try planned(.noLatency)
        XCTAssertEqual(bytes.plan, zero.plan)
        XCTAssertTrue(bytes.plan.tables.contains { ($0.tiers?.hot ?? 0) + ($0.tiers?.warm ?? 0) > 0 }, "bytes alone copy rows")
        XCTAssertNil(bytes.flexShardSync?.line)
        let slow = try planned(CommCalibration(intraNodeLatency: 1, interNodeLatency: 1))
        for t in slow.plan.tables { XCTAssertEqual([t.tiers?.hot, t.tiers?.warm], [0, 0], t.table) }
        let sync = try XCTUnwrap(slow.flexShardSync)
        XCTAssertEqual(sync.byteOnly.collectivesPerStep, try XCTUnwrap(bytes.flexShardSync).chosen.collectivesPerStep)
        XCTAssertEqual(sync.chosen.collectivesPerStep, 0)
        XCTAssertNotNil(sync.line)
    }
}

