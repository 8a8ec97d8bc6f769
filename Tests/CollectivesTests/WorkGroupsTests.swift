import Collectives
import XCTest

final class WorkGroupsTests: XCTestCase {
    /// Every item is done once, by a worker group (never the coordinator), and
    /// comes back under its own index; both ranks of a group of two see the item.
    func testItemsGoToGroupsAndComeBackByIndex() {
        let items = Array(0..<11)
        let results = LocalCommunicator.run(worldSize: 5) { world -> [Int: Int]? in
            let groups = try! WorkGroups(world: world, groupSize: 2, phase: .sweep)
            guard groups.isCoordinator else {
                try! groups.serve { (item: Int, group: Communicator, index: Int) -> Int in
                    XCTAssertEqual(group.size, 2)
                    // Both ranks of the group got the item: the sum over the group is twice it.
                    let sum = group.allreduce(.sweep, Int64(item), op: .sum)
                    XCTAssertEqual(sum, Int64(2 * item))
                    return item * item + 1000 * index
                }
                return nil
            }
            var out: [Int: Int] = [:]
            try! groups.dispatch(items, local: nil) { (i, r: Int, group) in
                XCTAssertNil(out[i])
                XCTAssertTrue((0..<2).contains(group))
                out[i] = r
            }
            groups.stop()
            return out
        }
        let out = results[0]!
        XCTAssertEqual(out.count, items.count)
        for i in items { XCTAssertEqual((out[i] ?? -1) % 1000, i * i) }
    }

    /// A world of one runs the items itself, in order, through `local`; without it, an error.
    func testWorldOfOneRunsLocally() throws {
        let world = LocalCommunicator()
        let groups = try WorkGroups(world: world, groupSize: 1, phase: .sweep)
        XCTAssertEqual(groups.groupCount, 0)
        var order: [Int] = []
        try groups.dispatch([3, 1, 2], local: { (x: Int) in x * 10 }) { (i, r: Int, group) in
            XCTAssertEqual(group, -1)
            order.append(r)
        }
        XCTAssertEqual(order, [30, 10, 20])
        XCTAssertThrowsError(try groups.dispatch([1], local: nil as ((Int) throws -> Int)?) { (_, _: Int, _) in })
    }

    func testGroupSizeMustDivideTheWorkers() {
        let errors = LocalCommunicator.run(worldSize: 4) { world -> String? in
            do { _ = try WorkGroups(world: world, groupSize: 2, phase: .sweep); return nil } catch { return "\(error)" }
        }
        XCTAssertTrue(errors[0]?.contains("group_size 2 does not divide the 3 worker ranks") ?? false)
    }
}
