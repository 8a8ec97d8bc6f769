import XCTest
import Cluster
import Sharding

/// The planner and plans need no communicator (TorchRec's planner tests).
final class ShardingPlanTests: XCTestCase {
    let tables = [TableConfig(name: "big", rows: 1000, dim: 8), TableConfig(name: "mid", rows: 500, dim: 8),
                  TableConfig(name: "small", rows: 10, dim: 8)]

    func testTableWiseBalancesBySize() throws {
        let plan = ShardingPlan.uniform(.tableWise, tables: tables, topology: Topology(nodeOfRank: [0, 0]))
        XCTAssertEqual(plan.sharding(of: "big")?.shards.first?.ranks, [0])
        XCTAssertEqual(plan.sharding(of: "mid")?.shards.first?.ranks, [1])
        XCTAssertEqual(plan.sharding(of: "small")?.shards.first?.ranks, [1])
        try plan.validate(tables: tables, worldSize: 2)
    }

    func testRowWiseBlocksAndMemory() throws {
        let plan = ShardingPlan.uniform(.rowWise, tables: tables, topology: Topology(nodeOfRank: [0, 0, 0]))
        let s = try XCTUnwrap(plan.sharding(of: "big")?.shards.first)
        XCTAssertEqual(s.blockRows(tableRows: 1000), 334)
        XCTAssertEqual((0..<3).map { s.localRows(rankIndex: $0, tableRows: 1000) }, [334, 334, 332])
        let mem = plan.memoryPerRank(tables: tables, optimizer: .rowwiseAdagrad)
        XCTAssertEqual(mem.reduce(0, +), (1000 + 500 + 10) * 9 * 4)
    }

    func testTableRowWiseStaysInsideOneNode() throws {
        let topo = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        let plan = ShardingPlan.uniform(.tableRowWise, tables: tables, topology: topo)
        for t in plan.tables {
            let ranks = t.shards[0].ranks
            XCTAssertTrue(ranks == [0, 1] || ranks == [2, 3], "table \(t.table) on \(ranks)")
        }
    }

    func testColumnWiseCoversEveryColumnOnDistinctRanks() throws {
        let plan = ShardingPlan.uniform(.columnWise, tables: tables, topology: Topology(nodeOfRank: [0, 0, 0, 0]))
        let shards = try XCTUnwrap(plan.sharding(of: "big")?.shards)
        XCTAssertEqual(shards.map { $0.width }, [4, 4])
        XCTAssertEqual(Set(shards.flatMap { $0.ranks }).count, 2)
        try plan.validate(tables: tables, worldSize: 4)
    }

    func testBadPlansAreRefusedWithClearErrors() {
        var plan = ShardingPlan.uniform(.tableWise, tables: tables, topology: Topology(nodeOfRank: [0, 0]))
        XCTAssertThrowsError(try plan.validate(tables: tables, worldSize: 4)) {
            XCTAssertEqual("\($0)", "the plan was made for 2 ranks but the world has 4")
        }
        plan.tables[0].shards[0].ranks = [7]
        XCTAssertThrowsError(try plan.validate(tables: tables, worldSize: 2)) {
            XCTAssertEqual("\($0)", "table 'big' is placed on rank 7, outside the world of 2 ranks (0..<2)")
        }
        plan.tables[0].table = "nope"
        XCTAssertThrowsError(try plan.validate(tables: tables, worldSize: 2)) {
            XCTAssertTrue("\($0)".contains("unknown table 'nope'"))
        }
        let dp = ShardingPlan.uniform(.dataParallel, tables: tables, topology: Topology(nodeOfRank: [0, 0]))
        XCTAssertThrowsError(try dp.validate(tables: tables, worldSize: 2, memoryBudgetBytes: 1000, optimizer: .sgd)) {
            XCTAssertTrue("\($0)".contains("over the memory budget of 1000 bytes"))
        }
    }
}

/// A plan file that lists a table twice is refused, both places named.
final class ShardingPlanDuplicateTests: XCTestCase {
    func testATableListedTwiceIsRefused() {
        let tables = [TableConfig(name: "a", rows: 10, dim: 4), TableConfig(name: "b", rows: 10, dim: 4)]
        var plan = ShardingPlan.uniform(.tableWise, tables: tables, topology: Topology(nodeOfRank: [0, 0]))
        plan.tables.append(plan.tables[0])
        XCTAssertThrowsError(try plan.validate(tables: tables, worldSize: 2)) {
            XCTAssertEqual("\($0)", "the plan lists table 'a' twice (tables[0] and tables[2]); keep one")
        }
    }
}
