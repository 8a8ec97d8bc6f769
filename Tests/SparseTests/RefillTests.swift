import Sparse
import XCTest

/// In-place refills give exactly the tensors `init` builds, and bad input
/// throws and leaves an empty tensor, never a half-built one.
final class RefillTests: XCTestCase {
    func testRefillEqualsInit() throws {
        var t = try KeyedJaggedTensor(keys: ["a", "b"], stride: 3, lengths: [1, 0, 2, 1, 1, 1], values: [9, 8, 7, 6, 5, 4])
        try t.refill(stride: 2) { lengths, values in
            lengths.append(contentsOf: [2, 0, 1, 3])
            values.append(contentsOf: [1, 2, 3, 4, 5, 6])
        }
        XCTAssertEqual(t, try KeyedJaggedTensor(keys: ["a", "b"], stride: 2, lengths: [2, 0, 1, 3], values: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(Array(t.bag(key: 1, sample: 1)), [4, 5, 6])
        XCTAssertEqual(t.lengthPerKey, [2, 4])
    }

    func testBadRefillThrowsAndLeavesEmpty() throws {
        var t = try KeyedJaggedTensor(keys: ["a"], stride: 2, lengths: [1, 1], values: [3, 4])
        XCTAssertThrowsError(try t.refill(stride: 2) { l, v in l.append(contentsOf: [1, 2]); v.append(3) })
        XCTAssertEqual(t.stride, 0)
        XCTAssertEqual(t.values, [])
        XCTAssertEqual(t, try KeyedJaggedTensor(keys: ["a"], stride: 0, lengths: [], values: []))
        XCTAssertThrowsError(try t.refill(stride: 2) { l, _ in l.append(1) })   // lengths != K * stride
        XCTAssertThrowsError(try t.refill(stride: 1) { l, v in l.append(-1); v.append(contentsOf: []) })
    }

    func testInverseRefill() throws {
        let unique = try KeyedJaggedTensor(keys: ["user"], stride: 1, lengths: [1], values: [5])
        var t = try InverseKeyedJaggedTensor(unique: unique, inverse: [0, 0])
        try t.refill(uniqueCount: 2) { lengths, values, inverse in
            lengths.append(contentsOf: [1, 1]); values.append(contentsOf: [7, 9]); inverse.append(contentsOf: [0, 1, 0])
        }
        let want = try InverseKeyedJaggedTensor(unique: KeyedJaggedTensor(keys: ["user"], stride: 2, lengths: [1, 1], values: [7, 9]),
                                                inverse: [0, 1, 0])
        XCTAssertEqual(t, want)
        XCTAssertThrowsError(try t.refill(uniqueCount: 1) { l, v, inv in l.append(1); v.append(1); inv.append(3) })
    }
}
