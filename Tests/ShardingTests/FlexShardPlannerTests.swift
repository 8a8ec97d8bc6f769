import XCTest
import Cluster
import Sharding

/// FlexShard's planner on hand-made access counts: no data, no communicator.
final class FlexShardPlannerTests: XCTestCase {
    func testJointBudgetBindsAcrossTables() throws {
        // A budget smaller than the unconstrained plans' sum: the joint plan fits
        // it and spends it where the modelled time falls most.
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let table = TableConfig(name: "a", rows: 2_000, dim: 8)
        let skewed = (0..<2_000).map { 4_000 / ($0 + 1) }, flat = (0..<2_000).map { _ in 1 }
        // Links without latency: the budget, not the syncs' fixed price, decides.
        let links = CommCalibration(intraNodeLatency: 0, interNodeLatency: 0)
        let free = FlexShardPlanner.plan(tables: [(skewed, table), (flat, table)], steps: 10, topology: topo,
                                         optimizer: .rowwiseAdagrad, budgetBytesPerRank: .max, calibration: links)
        let used = free.reduce(0) { $0 + $1.1.bytesPerRank }
        let tight = FlexShardPlanner.plan(tables: [(skewed, table), (flat, table)], steps: 10, topology: topo,
                                          optimizer: .rowwiseAdagrad, budgetBytesPerRank: used * 3 / 4, calibration: links)
        XCTAssertLessThanOrEqual(tight.reduce(0) { $0 + $1.1.bytesPerRank }, used * 3 / 4)
        XCTAssertGreaterThan(tight.reduce(0.0) { $0 + $1.1.seconds }, free.reduce(0.0) { $0 + $1.1.seconds })
        XCTAssertGreaterThan(tight[0].0.hot + tight[0].0.warm, 0, "the skewed table keeps replicas")
    }

    /// The room for rows first read after the profile: on uniform draws over
    /// 10,000 rows, 10 profiled steps of 100 and 40 more, it covers the rows
    /// the 40 steps really read first, by a little (2 sigma).
    func testUnseenRowsReadEstimate() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw() -> Int {   // xorshift64*: a fixed stream of rows
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % 10_000
        }
        var counts = [Int](repeating: 0, count: 10_000)
        for _ in 0..<1_000 { counts[draw()] += 1 }
        var later = Set<Int>()
        for _ in 0..<4_000 { let r = draw(); if counts[r] == 0 { later.insert(r) } }
        let estimate = FlexShardPlanner.unseenRowsRead(counts: counts, rows: 10_000, profiledSteps: 10, trainingSteps: 50)
        XCTAssertGreaterThanOrEqual(estimate, later.count)
        XCTAssertLessThanOrEqual(Double(estimate), 1.1 * Double(later.count), "estimate \(estimate), read \(later.count)")
        XCTAssertEqual(FlexShardPlanner.unseenRowsRead(counts: counts, rows: 10_000, profiledSteps: 10, trainingSteps: 10), 0,
                       "a profile of the whole run leaves nothing to expect")
        let unseen = counts.filter { $0 == 0 }.count
        XCTAssertEqual(FlexShardPlanner.unseenRowsRead(counts: counts, rows: 10_000, profiledSteps: 10, trainingSteps: 100_000),
                       unseen, "never more than the rows unseen")
    }

    func testInterNodeFloor() throws {
        // D = 16 on 2 nodes of 2: one copy costs c * 1/2 * 132 B; copies on both
        // nodes 64 B for each node that touched the row.
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let table = TableConfig(name: "t", rows: 2, dim: 16)
        let hot = FlexShardPlanner.interNodeFloor(counts: [10_000, 0], steps: 1, table: table, topology: topo)
        XCTAssertEqual(hot.oneCopy, 10_000 * 66, accuracy: 1e-6)
        XCTAssertEqual(hot.floor, 2 * 64, accuracy: 1e-6, "read on both nodes every step: one gradient each way")
        let rare = FlexShardPlanner.interNodeFloor(counts: [1, 1], steps: 100, table: table, topology: topo)
        XCTAssertEqual(rare.floor / rare.oneCopy, 64.0 / 66.0, accuracy: 0.01, "rows read rarely gain nothing from copies")
        // 8 nodes: a row read everywhere costs an allreduce's 2 (N-1) rows, not N (N-1).
        let wide = try Topology.emulated(worldSize: 8, ranksPerNode: 1)
        XCTAssertEqual(FlexShardPlanner.interNodeFloor(counts: [100_000, 0], steps: 1, table: table, topology: wide).floor,
                       2 * 7 * 64, accuracy: 1e-6)
    }

    // MARK: the sync latency (alpha-beta)

    // One property a line: `static let x = f, y = g` gave y f's closure (Swift 6.3, -O).
    static let skewed = (0..<3_000).map { 60_000 / ($0 + 1) }
    static let mild = (0..<2_000).map { 400 / ($0 % 97 + 1) }
    static let a = TableConfig(name: "a", rows: 3_000, dim: 16)
    static let b = TableConfig(name: "b", rows: 2_000, dim: 8)

    static func cuts(_ topo: Topology, budget: Int?, _ calibration: CommCalibration) -> FlexShardPlanner.Joint {
        FlexShardPlanner.planJointly(tables: [(skewed, a), (mild, b)], steps: 10, topology: topo, optimizer: .rowwiseAdagrad,
                                     budgetBytesPerRank: budget, calibration: calibration)
    }

    /// With no latency the planner is the byte-only one: these cuts are what
    /// it made before it priced latency (main at 57be688, the same inputs),
    /// budget binding or not, on 2 and 4 nodes and on one.
    func testZeroLatencyKeepsTheByteOnlyCuts() throws {
        let zero = CommCalibration(intraNodeLatency: 0, interNodeLatency: 0)
        typealias Cut = (hot: Int, warm: Int, hotSync: RowTiers.CrossNodeSync, warmSync: RowTiers.CrossNodeSync)
        let before: [(world: Int, perNode: Int, budget: Int?, cuts: [Cut])] = [
            (4, 2, nil, [(0, 0, .allreduce, .allreduce), (0, 0, .allreduce, .allreduce)]),
            (4, 2, 120_000, [(86, 2465, .allreduce, .gather), (0, 413, .allreduce, .gather)]),
            (4, 2, .max, [(1009, 1972, .allreduce, .gather), (108, 1577, .allreduce, .gather)]),
            (8, 2, 120_000, [(264, 1262, .allreduce, .allreduce), (35, 169, .allreduce, .allreduce)]),
            (8, 2, .max, [(264, 1262, .allreduce, .allreduce), (35, 169, .allreduce, .allreduce)]),
            (4, 4, 120_000, [(807, 0, .allreduce, .allreduce), (108, 0, .allreduce, .allreduce)]),
            (4, 4, .max, [(1577, 0, .allreduce, .allreduce), (211, 0, .allreduce, .allreduce)]),
        ]
        for c in before {
            let joint = Self.cuts(try Topology.emulated(worldSize: c.world, ranksPerNode: c.perNode), budget: c.budget, zero)
            let got = joint.tables.map(\.1)
            let label = "\(c.world) ranks of \(c.perNode) a node, budget \(c.budget.map(String.init) ?? "row_wise")"
            XCTAssertEqual(got.map { $0.hot }, c.cuts.map { $0.hot }, label)
            XCTAssertEqual(got.map { $0.warm }, c.cuts.map { $0.warm }, label)
            XCTAssertEqual(got.map { $0.hotSync }, c.cuts.map { $0.hotSync }, label)
            XCTAssertEqual(got.map { $0.warmSync }, c.cuts.map { $0.warmSync }, label)
            XCTAssertEqual(joint.sync.chosen, joint.sync.byteOnly, label)
            XCTAssertNil(joint.sync.line, label)
        }
    }

    /// A latency no saving pays for: no hot or warm tier anywhere, and the
    /// one line says which tiers went and why.
    func testHugeLatencyCutsNoCopies() throws {
        let huge = CommCalibration(intraNodeLatency: 1e3, interNodeLatency: 1e3)
        for (world, perNode) in [(4, 2), (8, 2), (4, 4), (4, 1)] {
            let joint = Self.cuts(try Topology.emulated(worldSize: world, ranksPerNode: perNode), budget: .max, huge)
            for (tiers, cost) in joint.tables {
                XCTAssertEqual([tiers.hot, tiers.warm, cost.hot, cost.warm], [0, 0, 0, 0], "\(world) ranks of \(perNode)")
            }
            XCTAssertEqual(joint.sync.chosen.collectivesPerStep, 0)
            XCTAssertEqual(joint.sync.chosen.latencySeconds, 0)
            XCTAssertGreaterThan(joint.sync.byteOnly.hotTables, 0, "the bytes alone would copy rows")
            let line = try XCTUnwrap(joint.sync.line)
            XCTAssertTrue(line.hasPrefix("flexshard's tier planner drops the hot"), line)
            XCTAssertEqual(line.contains("warm tier"), joint.sync.byteOnly.warmTables > 0, line)
        }
    }

    /// The sync's fixed latency is paid once a step for every table's hot
    /// rows (one bucket): a latency of 1.5x what one table's copies save
    /// drops that table's hot tier alone, and keeps both tables' hot tiers
    /// when they are planned together (2x the saving against one latency).
    func testSyncLatencyCountedOnceAcrossTables() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 4)   // one node: the hot tier only
        let table = TableConfig(name: "t", rows: 3_000, dim: 16)
        func plan(_ n: Int, _ calibration: CommCalibration) -> FlexShardPlanner.Joint {
            FlexShardPlanner.planJointly(tables: (0..<n).map { _ in (Self.skewed, table) }, steps: 10, topology: topo,
                                         optimizer: .rowwiseAdagrad, budgetBytesPerRank: .max, calibration: calibration)
        }
        let bytes = plan(1, CommCalibration(intraNodeLatency: 0, interNodeLatency: 0)).sync.chosen
        let none = plan(1, CommCalibration(intraNodeLatency: 1e3, interNodeLatency: 1e3)).sync.chosen
        let saving = none.linkSeconds - bytes.linkSeconds
        XCTAssertGreaterThan(saving, 0)
        // One node of 4: the mask and the gradients over the world, 2 rounds each.
        let alpha = 1.5 * saving / 4
        let calibration = CommCalibration(intraNodeLatency: alpha, interNodeLatency: 0)
        XCTAssertEqual(ReplicaSyncCost.latency(ReplicaSyncCost.hotCollectives(.allreduce, nodes: 1), nodes: 1, ranksPerNode: 4,
                                               calibration: calibration), 4 * alpha, accuracy: 1e-15)
        let alone = plan(1, calibration)
        XCTAssertEqual(alone.tables[0].1.hot, 0, "one table's copies save less than the sync's latency")
        let together = plan(2, calibration)
        XCTAssertEqual(together.tables[1].1.hot, together.tables[0].1.hot, "the same table twice, the same cut")
        XCTAssertGreaterThan(together.tables[0].1.hot, 0, "two tables' copies save twice, against one sync")
        XCTAssertEqual(together.sync.chosen.collectivesPerStep, 2, "one bucket: the mask and the gradients")
        XCTAssertEqual(together.sync.chosen.latencySeconds, 4 * alpha, accuracy: 1e-15, "the latency once, not once a table")
    }
}

