import Foundation
import RunKit
import XCTest

final class RunFolderTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "runkit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    struct Record: Codable, Equatable { var stepCount: Int; var loss: Double }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing>" }

    func testJSONIsTheProjectsEncodingAndNonWritersWriteNothing() throws {
        let folder = try RunFolder(path: root + "/run")
        try folder.writeJSON("summary.json", Record(stepCount: 3, loss: .nan))
        XCTAssertEqual(read(folder.file("summary.json")), "{\n  \"loss\" : \"nan\",\n  \"step_count\" : 3\n}")
        try folder.writeJSON("report.json", Record(stepCount: 1, loss: 0.5), newline: true)
        XCTAssertEqual(read(folder.file("report.json")), "{\n  \"loss\" : 0.5,\n  \"step_count\" : 1\n}\n")
        try folder.writeConfig(["seed": 7])
        XCTAssertEqual(read(folder.file("config.json")), "{\n  \"seed\" : 7\n}")
        let silent = try RunFolder(path: root + "/other", isWriter: false)
        try silent.writeJSON("summary.json", Record(stepCount: 1, loss: 1))
        try silent.appendLine("steps.jsonl", Record(stepCount: 1, loss: 1))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/other"))
    }

    func testLinesAreOnDiskAsEachReturnsAndRewritingKeepsTheChosenOnes() throws {
        let folder = try RunFolder(path: root + "/run")
        try folder.startLines("steps.jsonl")
        XCTAssertEqual(read(folder.file("steps.jsonl")), "")
        for s in 1...3 {
            try folder.appendLine("steps.jsonl", Record(stepCount: s, loss: 0.25))
            XCTAssertEqual(read(folder.file("steps.jsonl")).split(separator: "\n").count, s)
        }
        XCTAssertEqual(read(folder.file("steps.jsonl")).split(separator: "\n").first, "{\"loss\":0.25,\"step_count\":1}")
        try folder.rewriteLines("steps.jsonl") { !String(decoding: $0, as: UTF8.self).contains("\"step_count\":2") }
        XCTAssertEqual(read(folder.file("steps.jsonl")), "{\"loss\":0.25,\"step_count\":1}\n{\"loss\":0.25,\"step_count\":3}\n")
    }

    func testCSVQuotesOnlyWhatNeedsIt() throws {
        let folder = try RunFolder(path: root + "/run")
        try folder.writeCSV("runs.csv", header: ["name", "value"], rows: [["a", "1"], ["b,c", "say \"x\""]])
        XCTAssertEqual(read(folder.file("runs.csv")), "name,value\na,1\n\"b,c\",\"say \"\"x\"\"\"\n")
    }

    /// A write that fails half-way (here: its temporary name is taken by a
    /// folder) leaves the earlier file whole, and says which file.
    func testAFailedWriteLeavesTheEarlierFileIntact() throws {
        let folder = try RunFolder(path: root + "/run")
        try folder.writeText("plot.svg", "<svg>old</svg>")
        try FileManager.default.createDirectory(atPath: folder.file("plot.svg.tmp"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try folder.writeText("plot.svg", "<svg>new</svg>")) { e in
            XCTAssert("\(e)".contains(folder.file("plot.svg")), "\(e)")
        }
        XCTAssertEqual(read(folder.file("plot.svg")), "<svg>old</svg>")
        struct Throws: Encodable { func encode(to encoder: Encoder) throws { throw RunFileError("no") } }
        try folder.writeJSON("summary.json", ["a": 1])
        XCTAssertThrowsError(try folder.writeJSON("summary.json", Throws()))
        XCTAssertEqual(read(folder.file("summary.json")), "{\n  \"a\" : 1\n}")
    }

    func testSubfoldersAreMadeAndAFolderInTheWayIsNamed() throws {
        let folder = try RunFolder(path: root + "/run")
        try folder.writeJSON("scores/x.json", ["a": 1])
        XCTAssert(FileManager.default.fileExists(atPath: folder.file("scores/x.json")))
        try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder(path: root + "/file/run")) { e in
            XCTAssertEqual("\(e)", "cannot create the run folder \(root)/file/run: a parent of it, \(root)/file, is a file, not a folder")
        }
    }
}
