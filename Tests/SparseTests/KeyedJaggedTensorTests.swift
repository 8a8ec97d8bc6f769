import Sparse
import XCTest

final class KeyedJaggedTensorTests: XCTestCase {
    /// The doc comment's example.
    func makeExample() throws -> KeyedJaggedTensor {
        try KeyedJaggedTensor(keys: ["f1", "f2"], stride: 3,
                              lengths: [2, 1, 0, 1, 2, 1], values: [0, 1, 2, 3, 4, 5, 6])
    }

    func testDerivedOffsets() throws {
        let kjt = try makeExample()
        XCTAssertEqual(kjt.offsets, [0, 2, 3, 3, 4, 6, 7])
        XCTAssertEqual(kjt.offsetPerKey, [0, 3, 7])
        XCTAssertEqual(kjt.lengthPerKey, [3, 4])
        XCTAssertEqual(Array(kjt.values(forKey: "f2")!), [3, 4, 5, 6])
        XCTAssertEqual(Array(kjt.lengths(forKey: "f1")!), [2, 1, 0])
        XCTAssertEqual(Array(kjt.bag(key: 1, sample: 1)), [4, 5])
        XCTAssertEqual(Array(kjt.bag(key: 0, sample: 2)), [])
        XCTAssertNil(kjt.values(forKey: "nope"))
        let fromBags = try KeyedJaggedTensor(keys: ["f1", "f2"],
                                             bags: [[[0, 1], [2], []], [[3], [4, 5], [6]]])
        XCTAssertEqual(fromBags, kjt)
    }

    func testValidation() {
        XCTAssertThrowsError(try KeyedJaggedTensor(keys: ["a"], stride: 2, lengths: [1], values: [0]))
        XCTAssertThrowsError(try KeyedJaggedTensor(keys: ["a"], stride: 2, lengths: [1, 1], values: [0]))
        XCTAssertThrowsError(try KeyedJaggedTensor(keys: ["a"], stride: 2, lengths: [-1, 2], values: [0]))
        XCTAssertThrowsError(try KeyedJaggedTensor(keys: ["a", "a"], stride: 1, lengths: [0, 0], values: []))
        XCTAssertThrowsError(try KeyedJaggedTensor(keys: ["a"], stride: 1, lengths: [1], values: [0],
                                                   weights: [1, 2]))
        XCTAssertNoThrow(try KeyedJaggedTensor(keys: [], stride: 5, lengths: [], values: []))
    }

    func testPermuteAndSlice() throws {
        let kjt = try makeExample()
        let p = try kjt.permute(keys: ["f2", "f1"])
        XCTAssertEqual(p.values, [3, 4, 5, 6, 0, 1, 2])
        XCTAssertEqual(p.lengths, [1, 2, 1, 2, 1, 0])
        XCTAssertEqual(try p.permute(keys: ["f1", "f2"]), kjt)
        XCTAssertThrowsError(try kjt.permute(keys: ["f3"]))
        let s = kjt.selecting(keyIndices: 1..<2)
        XCTAssertEqual(s.keys, ["f2"]); XCTAssertEqual(s.values, [3, 4, 5, 6])
        let g = kjt.gathering(samples: [2, 0, 0])
        XCTAssertEqual(g.values, [0, 1, 0, 1, 6, 3, 3])
        XCTAssertEqual(g.lengths, [0, 2, 2, 1, 1, 1])
        let parts = [kjt.slicing(samples: 0..<1), kjt.slicing(samples: 1..<3)]
        XCTAssertEqual(try KeyedJaggedTensor.concatenating(samplesOf: parts), kjt)
    }
}
