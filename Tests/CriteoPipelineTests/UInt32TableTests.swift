import CriteoPipeline
import Tensors
import XCTest

/// The vocabulary's hash table against Swift's Dictionary.
final class UInt32TableTests: XCTestCase {
    func testCountsEqualADictionaryThroughGrowthAndEdgeKeys() {
        var g = StrataRNG(seed: 4)
        var table = UInt32Table(capacity: 4), oracle: [UInt32: UInt32] = [:]
        let edges: [UInt32] = [0, 1, .max, .max - 1, 1 << 31]
        for i in 0..<200_000 {
            // Few distinct keys early (collisions, repeats), many later (growth).
            let key = i % 7 == 0 ? edges[i % edges.count] : UInt32(truncatingIfNeeded: g.next() % UInt64(50 + i / 4))
            let amount = UInt32(1 + g.nextIndex(below: 3))
            table.add(key, amount)
            oracle[key, default: 0] += amount
        }
        XCTAssertEqual(table.count, oracle.count)
        for (k, v) in oracle { XCTAssertEqual(table.value(k), v) }
        XCTAssertEqual(table.value(123_456_789), 0)
        XCTAssertEqual(table.sorted().map(\.key), oracle.keys.sorted())
        XCTAssertEqual(table.sorted().map(\.value), oracle.keys.sorted().map { oracle[$0]! })
    }

    func testAddSaturatesAndSetReplaces() {
        var t = UInt32Table()
        t.add(9, .max - 1); t.add(9, 5)
        XCTAssertEqual(t.value(9), .max)
        t.set(9, 3); t.set(10, 4)
        XCTAssertEqual([t.value(9), t.value(10)], [3, 4])
        XCTAssertEqual(t.count, 2)
    }
}
