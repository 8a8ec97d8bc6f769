import Sparse
import XCTest

final class InverseKeyedJaggedTensorTests: XCTestCase {
    func testDocExample() throws {
        let kjt = try KeyedJaggedTensor(keys: ["user", "history"],
                                        bags: [[[7], [7], [9], [7]], [[3, 5], [3, 5], [], [3, 5]]])
        let ikjt = InverseKeyedJaggedTensor.deduplicating(kjt)
        XCTAssertEqual(ikjt.inverse, [0, 0, 1, 0])
        XCTAssertEqual(ikjt.unique.values, [7, 9, 3, 5])
        XCTAssertEqual(ikjt.unique.lengths, [1, 1, 2, 0])
        XCTAssertEqual(ikjt.batchSize, 4)
        XCTAssertEqual(ikjt.duplicationFactor, 2.0)
        XCTAssertEqual(ikjt.expanded(), kjt)
        XCTAssertThrowsError(try InverseKeyedJaggedTensor(unique: ikjt.unique, inverse: [0, 2]))
        XCTAssertThrowsError(try InverseKeyedJaggedTensor(unique: ikjt.unique, inverse: [-1]))
    }

    /// Rows differing in only one key must stay apart (the whole row is hashed).
    func testRowsDifferingInOneKeyStayApart() throws {
        let kjt = try KeyedJaggedTensor(keys: ["a", "b"], bags: [[[1], [1]], [[2], [3]]])
        XCTAssertEqual(InverseKeyedJaggedTensor.deduplicating(kjt).uniqueCount, 2)
        // Bag boundaries matter: [1,2],[] differs from [1],[2].
        let k2 = try KeyedJaggedTensor(keys: ["a", "b"], bags: [[[1, 2], [1]], [[], [2]]])
        XCTAssertEqual(InverseKeyedJaggedTensor.deduplicating(k2).uniqueCount, 2)
    }

    func testRoundTripRandomBatches() throws {
        var rng = SplitMix(seed: 42)
        for trial in 0..<50 {
            let b = Int(rng.next() % 40)
            let keys = ["k0", "k1", "k2"]
            // A few distinct row templates (with empty bags) repeated at random.
            let templates = Int(rng.next() % 5) + 1
            let rows: [[[Int64]]] = (0..<templates).map { _ in
                keys.map { _ in (0..<Int(rng.next() % 4)).map { _ in Int64(rng.next() % 6) } }
            }
            let pick = (0..<b).map { _ in Int(rng.next() % UInt64(templates)) }
            let bags = keys.indices.map { k in pick.map { rows[$0][k] } }
            let kjt = try KeyedJaggedTensor(keys: keys, stride: b,
                                            lengths: bags.flatMap { $0.map { Int32($0.count) } },
                                            values: bags.flatMap { $0.flatMap { $0 } })
            let d = InverseKeyedJaggedTensor.deduplicating(kjt)
            XCTAssertEqual(d.expanded(), kjt, "trial \(trial)")
            XCTAssertLessThanOrEqual(d.uniqueCount, templates)
            // First appearance order: inverse's first occurrences are 0, 1, 2, ...
            var seen = -1
            for i in d.inverse where Int(i) > seen { XCTAssertEqual(Int(i), seen + 1); seen = Int(i) }
            XCTAssertEqual(InverseKeyedJaggedTensor.identity(kjt).expanded(), kjt)
        }
    }

    func testAllUniqueRows() throws {
        let b = 17
        let kjt = try KeyedJaggedTensor(keys: ["u", "h"], stride: b,
                                        lengths: (0..<(2 * b)).map { Int32($0 % 3) },
                                        values: (0..<(0..<(2 * b)).reduce(0) { $0 + $1 % 3 }).map { Int64($0) })
        let d = InverseKeyedJaggedTensor.deduplicating(kjt)
        XCTAssertEqual(d.uniqueCount, b)
        XCTAssertEqual(d.inverse, (0..<b).map { Int32($0) })
        XCTAssertEqual(d.duplicationFactor, 1)
        XCTAssertEqual(d.expanded(), kjt)
        let id = InverseKeyedJaggedTensor.identity(kjt)
        XCTAssertEqual(id, d)
    }

    func testWeightsRoundTrip() throws {
        let kjt = try KeyedJaggedTensor(keys: ["a"], stride: 3, lengths: [1, 1, 1], values: [4, 4, 4],
                                        weights: [1, 2, 1])
        let d = InverseKeyedJaggedTensor.deduplicating(kjt)
        XCTAssertEqual(d.uniqueCount, 2)
        XCTAssertEqual(d.expanded(), kjt)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
