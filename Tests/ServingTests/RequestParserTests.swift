import Foundation
import Serving
import XCTest

/// The request reader against Foundation's JSONSerialization on the same
/// bodies, and its refusals.
final class RequestParserTests: XCTestCase {
    func testItReadsWhatFoundationReads() throws {
        let body = Array(#"{"dense": [0.5, -1.25e-3, 3, 1E2, -0.0], "user": {"u": [0, 17, 4503599627370495]}, "candidates": {"a": [1, 2], "b": {"lengths": [1, 1], "values": [7, 8]}}, "s": "x\"\\\u00e9y"}"#.utf8)
        guard case .object(let fields) = try JSONReader.parse(body) else { return XCTFail("not an object") }
        let reference = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
        XCTAssertEqual(fields.map(\.0), ["dense", "user", "candidates", "s"])
        guard case .numbers(let dense) = fields[0].1 else { return XCTFail("dense") }
        XCTAssertEqual(dense, (reference["dense"] as! [NSNumber]).map(\.doubleValue))
        guard case .object(let user) = fields[1].1, case .numbers(let ids) = user[0].1 else { return XCTFail("user") }
        XCTAssertEqual(ids, [0, 17, 4503599627370495])
        guard case .string(let s) = fields[3].1 else { return XCTFail("s") }
        XCTAssertEqual(s, reference["s"] as! String)
    }

    func testMalformedBodiesAreRefusedWithTheirOffset() {
        for bad in ["{\"a\": [1, 2", "{\"a\" 1}", "[1, 2,]", "{\"a\": 01x}", "{\"a\": \"unterminated}", "{} x", ""] {
            XCTAssertThrowsError(try JSONReader.parse(Array(bad.utf8)), bad) { XCTAssertTrue($0 is JSONReader.Failure, "\(bad): \($0)") }
        }
    }
}
