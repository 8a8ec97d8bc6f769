import XCTest
import Collectives

final class TopologyTests: XCTestCase {
    func testEmulatedGroupsConsecutiveRanks() throws {
        let t = try Topology.emulated(worldSize: 4, ranksPerNode: 2)
        XCTAssertEqual(t.nodeOfRank, [0, 0, 1, 1])
        XCTAssertEqual(t.nodeCount, 2)
        XCTAssertTrue(t.sameNode(0, 1))
        XCTAssertFalse(t.sameNode(1, 2))
        XCTAssertEqual(t.ranks(onNode: 1), [2, 3])
        XCTAssertEqual(t.uniformRanksPerNode, 2)
    }

    func testRanksPerNodeMustDivideWorld() {
        XCTAssertThrowsError(try Topology.emulated(worldSize: 4, ranksPerNode: 3)) { e in
            XCTAssertEqual("\(e)", "topology.ranks_per_node = 3 does not divide the world size 4")
        }
        XCTAssertThrowsError(try Topology.emulated(worldSize: 4, ranksPerNode: 0))
    }

    func testRealLabelsAreDensifiedInRankOrder() {
        // Leaders (lowest rank of each host) as MPI reports them.
        let t = Topology(nodeOfRank: [0, 2, 0, 2, 4])
        XCTAssertEqual(t.nodeOfRank, [0, 1, 0, 1, 2])
        XCTAssertNil(t.uniformRanksPerNode)
    }
}
