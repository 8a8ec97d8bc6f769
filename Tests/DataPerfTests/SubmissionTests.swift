import Collectives
import DataPerf
import Foundation
import XCTest

/// Bad submissions are refused before anything trains, each error naming file:line.
final class SubmissionTests: XCTestCase {
    let task: DataPerfTask = {
        var t = DataPerfTask(format: 1, name: "t", version: "", track: .selection, dataset: .synthetic, poolFile: "p", evalFile: "e",
                             poolRows: 10, evalRows: 5, poolHash: "0", evalHash: "0", seeds: [1], training: .small, budgets: [3],
                             noise: nil, grid: [], target: 0.95, truthFile: nil)
        t.version = t.computedVersion()
        return t
    }()

    func refusal(_ text: String) -> String {
        do {
            _ = try Submission.parse(text, name: "s", path: "s.txt", task: task)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testAcceptsAWellFormedSubmission() throws {
        let s = try Submission.parse("# mine\nversion: \(task.version)\nbudget: 3\n\n4\n0 # first row\n9\n", name: "s", path: "s.txt", task: task)
        XCTAssertEqual(s.rows, [4, 0, 9])
        XCTAssertEqual(s.budget, 3)
    }

    func testRefusesEachFaultNamingTheLine() {
        let head = "version: \(task.version)\nbudget: 3\n"
        XCTAssertEqual(refusal(head + "1\n12\n"), "s.txt:4: row 12 is not in the pool (0..<10)")
        XCTAssertEqual(refusal(head + "1\n2\n1\n"), "s.txt:5: row 1 repeated (first on line 3)")
        XCTAssertEqual(refusal(head + "1\n2\n3\n4\n"), "s.txt:6: row 4 of a submission with budget 3: over budget")
        XCTAssertEqual(refusal(head + "1\nx7\n"), "s.txt:4: 'x7' is not a row id")
        XCTAssertEqual(refusal("version: v1-000000000000\nbudget: 3\n1\n"),
                       "s.txt:1: made for task version v1-000000000000, but t is version \(task.version)")
        XCTAssertEqual(refusal("version: \(task.version)\nbudget: 4\n1\n"), "s.txt:2: budget '4' is not one of the task's budgets [3]")
        XCTAssertEqual(refusal("budget: 3\n1\n"), "s.txt: no 'version:' line (the task's is \(task.version))")
        XCTAssertEqual(refusal("version: \(task.version)\n1\n"), "s.txt: no 'budget:' line (one of [3])")
        XCTAssertEqual(refusal(head + "1\nbudget: 3\n"), "s.txt:4: header line 'budget:' after the row ids")
    }

    func testVersionFollowsContentAndAnEditedSpecIsRefused() throws {
        var other = task
        other.seeds = [2]
        XCTAssertNotEqual(other.computedVersion(), task.version)
        let dir = NSTemporaryDirectory() + "dataperf-spec-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try task.write(to: dir)
        XCTAssertEqual(try DataPerfTask.load(from: dir), task)
        other.version = task.version
        try other.write(to: dir)
        XCTAssertThrowsError(try DataPerfTask.load(from: dir)) { XCTAssertTrue("\($0)".contains("does not match its content")) }
    }

    /// A submission file reads the same with CRLF, a byte-order mark or no final newline.
    func testLineEndsByteOrderMarkAndFinalNewlineChangeNothing() throws {
        let lines = ["# mine", "version: \(task.version)", "budget: 3", "", "4", "0 # first row", "9"]
        let path = NSTemporaryDirectory() + "sub-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var loaded: [Submission] = []
        for (eol, bom, final) in [("\n", false, true), ("\r\n", false, true), ("\r\n", true, false), ("\n", true, false)] {
            try ((bom ? "\u{FEFF}" : "") + lines.joined(separator: eol) + (final ? eol : "")).write(toFile: path, atomically: true, encoding: .utf8)
            loaded.append(try Submission.load(path: path, task: task))
        }
        XCTAssertEqual(loaded[0].rows, [4, 0, 9])
        XCTAssertEqual(loaded[0].budget, 3)
        for s in loaded.dropFirst() { XCTAssertEqual(s, loaded[0]) }
        XCTAssertThrowsError(try Submission.load(path: NSTemporaryDirectory(), task: task)) { e in
            XCTAssertTrue("\(e)".hasSuffix("cannot read the submission: it is a folder, not a file"), "\(e)")
        }
    }
}
