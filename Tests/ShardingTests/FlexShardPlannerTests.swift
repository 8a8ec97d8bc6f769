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
        let free = FlexShardPlanner.plan(tables: [(skewed, table), (flat, table)], steps: 10, topology: topo,
                                         optimizer: .rowwiseAdagrad, budgetBytesPerRank: .max)
        let used = free.reduce(0) { $0 + $1.1.bytesPerRank }
        let tight = FlexShardPlanner.plan(tables: [(skewed, table), (flat, table)], steps: 10, topology: topo,
                                          optimizer: .rowwiseAdagrad, budgetBytesPerRank: used * 3 / 4)
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
}
