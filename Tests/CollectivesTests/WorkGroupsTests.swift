import Foundation
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

    /// `items` dispatched with `limit` over `worldSize` ranks in groups of
    /// `groupSize`, a worker taking `slow[item]` seconds over an item and the
    /// coordinator `stall(count)` seconds after its count-th result: the
    /// coordinator's `WorkOverdue` (nil: none) and the items delivered.
    func dispatch(worldSize: Int, groupSize: Int, items: [Int], limit: WorkOverdue.Limit, slow: [Int: Double],
                  stall: @escaping @Sendable (Int) -> Double = { _ in 0 }) -> (overdue: WorkOverdue?, delivered: [Int]) {
        let outcome = LocalCommunicator.run(worldSize: worldSize) { world -> (WorkOverdue?, [Int])? in
            let groups = try! WorkGroups(world: world, groupSize: groupSize, phase: .sweep)
            guard groups.isCoordinator else {
                try! groups.serve { (item: Int, _: Communicator, _: Int) -> Int in
                    if let s = slow[item] { Thread.sleep(forTimeInterval: s) }
                    return item
                }
                return nil
            }
            var delivered: [Int] = []
            var overdue: WorkOverdue?
            do {
                try groups.dispatch(items, local: nil, limit: limit) { (i, _: Int, _) in
                    delivered.append(i)
                    Thread.sleep(forTimeInterval: stall(delivered.count))
                }
            } catch let e as WorkOverdue { overdue = e } catch { XCTFail("\(error)") }
            groups.stop()
            return (overdue, delivered)
        }
        return outcome[0]!
    }

    /// The coordinator itself stalls (stopped, as a SIGSTOP would) for longer
    /// than the limit while a worker's result arrives: once it runs again
    /// that result is taken, no item is overdue and no worker is blamed.
    func testACoordinatorThatWasItselfStoppedBlamesNoWorker() {
        // Stalled after its first result, past the limit: item 1's result comes meanwhile.
        let (overdue, delivered) = dispatch(worldSize: 3, groupSize: 1, items: [0, 1], limit: .init(seconds: 1, key: "test.limit"),
                                            slow: [1: 0.3], stall: { $0 == 1 ? 4.5 : 0 })
        XCTAssertNil(overdue, "a healthy worker blamed: \(String(describing: overdue))")
        XCTAssertEqual(delivered.sorted(), [0, 1])
    }

    /// The same for a stall shorter than 4 s but past the limit (a stopped
    /// coordinator under a limit of a few seconds: the workers end the job one
    /// limit after its silence starts). The gap that means "stopped" follows
    /// the limit; a fixed 4 s blamed the worker here.
    func testACoordinatorStoppedForLessThanFourSecondsBlamesNoWorker() {
        let (overdue, delivered) = dispatch(worldSize: 3, groupSize: 1, items: [0, 1], limit: .init(seconds: 1, key: "test.limit"),
                                            slow: [1: 0.3], stall: { $0 == 1 ? 2.5 : 0 })
        XCTAssertNil(overdue, "a healthy worker blamed: \(String(describing: overdue))")
        XCTAssertEqual(delivered.sorted(), [0, 1])
    }

    /// An item whose group does not answer within the limit throws
    /// `WorkOverdue` naming the item, the group and its ranks (a stopped
    /// worker); items that come back in time are still delivered; no limit
    /// waits for the slow one.
    func testAnItemNotBackWithinItsLimitIsOverdueNamingItsGroup() {
        // The group of item 3 "hangs".
        let (overdue, delivered) = dispatch(worldSize: 5, groupSize: 2, items: Array(0..<6), limit: .init(seconds: 0.5, key: "test.limit"),
                                            slow: [3: 1.5])
        let e = try? XCTUnwrap(overdue, "item 3 was overdue")
        XCTAssertEqual(e?.item, 3)
        XCTAssertEqual(e.map { $0.ranks.count }, 2)
        XCTAssertEqual(e.map { $0.ranks == [1, 2] ? 0 : 1 }, e?.group, "the ranks are the named group's")
        XCTAssertTrue(e?.description.contains("within 0.5 s (test.limit)") ?? false, e?.description ?? "")
        XCTAssertFalse(delivered.contains(3))
        XCTAssertTrue(delivered.contains(0) || delivered.contains(1), "items in time still came back: \(delivered)")
        // Without a limit the slow item is waited for.
        let all = LocalCommunicator.run(worldSize: 3) { world -> [Int]? in
            let groups = try! WorkGroups(world: world, groupSize: 1, phase: .sweep)
            guard groups.isCoordinator else {
                try! groups.serve { (item: Int, _: Communicator, _: Int) -> Int in
                    if item == 1 { Thread.sleep(forTimeInterval: 0.7) }
                    return item
                }
                return nil
            }
            var got: [Int] = []
            try! groups.dispatch(Array(0..<3), local: nil) { (i, _: Int, _) in got.append(i) }
            groups.stop()
            return got
        }
        XCTAssertEqual(all[0]!.sorted(), [0, 1, 2])
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
