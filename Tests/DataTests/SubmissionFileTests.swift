import Data
import Foundation
import XCTest

/// The DataPerf submission format as Data reads it: comments and blank lines
/// skipped, headers before ids, line numbers kept for the task's checks.
final class SubmissionFileTests: XCTestCase {
    func refusal(_ text: String) -> String {
        do { _ = try SubmissionFile.parse(text, path: "s.txt"); return "accepted" } catch { return "\(error)" }
    }

    func testReadsHeadersAndRowsWithTheirLines() throws {
        let f = try SubmissionFile.parse("# mine\nversion: v1-abc\n\nbudget: 3 # of 3\n4\n0 # first row\n-2\n", path: "dir/s.txt")
        XCTAssertEqual(f.headers, [.init(key: .version, value: "v1-abc", line: 2), .init(key: .budget, value: "3", line: 4)])
        XCTAssertEqual(f.rows.map(\.id), [4, 0, -2])
        XCTAssertEqual(f.rows.map(\.line), [5, 6, 7])
        XCTAssertEqual(f.name, "s")
    }

    func testWhatRenderWritesParsesBack() throws {
        let text = SubmissionFile.render(version: "v1-abc", budget: 2, rows: [7, 1], comment: "made by a test")
        let f = try SubmissionFile.parse(text, path: "s.txt")
        XCTAssertEqual(f.headers.map(\.value), ["v1-abc", "2"])
        XCTAssertEqual(f.rows.map(\.id), [7, 1])
    }

    func testRefusesTheFormatsFaultsNamingTheLine() {
        XCTAssertEqual(refusal("version: v\n1\nbudget: 3\n"), "s.txt:3: header line 'budget:' after the row ids")
        XCTAssertEqual(refusal("version: v\nseed: 3\n"), "s.txt:2: unknown header 'seed:' (expected version: or budget:)")
        XCTAssertEqual(refusal("version: v\n1\nx7\n"), "s.txt:3: 'x7' is not a row id")
        XCTAssertEqual(refusal("version: v\r\n1.5\r\n"), "s.txt:2: '1.5' is not a row id")
    }

    func testAFolderIsUnreadableInWords() {
        XCTAssertThrowsError(try SubmissionFile.read(NSTemporaryDirectory())) { e in
            XCTAssertTrue("\(e)".hasSuffix("it is a folder, not a file"), "\(e)")
        }
    }
}
