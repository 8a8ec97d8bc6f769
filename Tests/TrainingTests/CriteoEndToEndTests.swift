import Collectives
import Data
import Foundation
import Training
import XCTest

/// Criteo end to end: the 200-row sample trains and evaluates on 2 ranks the
/// same whether read as the CSV or as the real tab-separated format; malformed
/// lines stop the run with file:line, or are counted with skip_bad_lines.
final class CriteoEndToEndTests: XCTestCase {
    static func samplePath() throws -> String {
        let root = URL(fileURLWithPath: #filePath)   // Tests/TrainingTests/CriteoEndToEndTests.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.deletingLastPathComponent().appendingPathComponent("shared/data/criteo/criteo_sample.csv").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is absent") }
        return path
    }

    /// The CSV's data lines as real Criteo lines: tab-separated, no header.
    static func tsvLines(_ csv: String) throws -> [String] {
        try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.replacingOccurrences(of: ",", with: "\t") }
    }

    static func write(_ lines: [String]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-criteo-\(UUID().uuidString).tsv").path
        FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        return path
    }

    static func config(_ path: String) -> RunConfig {
        var c = RunConfig()
        c.model.embeddingDim = 8
        c.model.bottom = [16, 8]
        c.model.top = [16, 1]
        c.data.source = .criteo
        c.data.path = path
        c.data.criteoRowsPerTable = 1_000
        c.data.criteoEvalEvery = 10
        c.run.batchSize = 36
        c.run.steps = 15
        return c
    }

    struct Outcome: Equatable { var losses: [Double]; var eval: EvalMetrics }

    static func train(_ config: RunConfig) throws -> Outcome {
        try LocalCommunicator.run(worldSize: 2) { comm -> Outcome in
            let t = try Trainer(config: config, comm: comm)
            let losses = (0..<config.run.steps).map { _ in t.trainStep() }
            return Outcome(losses: losses, eval: t.evaluate())
        }[0]
    }

    func testCSVAndTSVTrainIdentically() throws {
        let csv = try Self.samplePath()
        let tsv = Self.write(try Self.tsvLines(csv))
        defer { try? FileManager.default.removeItem(atPath: tsv) }
        let a = try Self.train(Self.config(csv)), b = try Self.train(Self.config(tsv))
        XCTAssertEqual(a.eval.samples, 20)
        XCTAssertTrue(a.losses.allSatisfy(\.isFinite))
        XCTAssertLessThan(a.losses.last!, a.losses.first!)
        XCTAssertEqual(a, b, "CSV and TSV runs differ")
    }

    func testMalformedLineNamesFileAndLine() throws {
        var lines = try Self.tsvLines(try Self.samplePath())
        lines[4] = "1\tnot\tenough\tfields"          // line 5
        let path = Self.write(lines)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try Self.train(Self.config(path))) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(path):5: expected 40 fields"), "\(e)")
        }
    }

    func testSkipBadLinesCountsThemIntoSummary() throws {
        var lines = try Self.tsvLines(try Self.samplePath())
        lines[4] = "1\tnot\tenough\tfields"
        lines[7] = "x" + lines[7].dropFirst()            // label x
        let path = Self.write(lines)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-criteo-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: dir) }
        var c = Self.config(path)
        c.data.skipBadLines = true
        let summaries = try LocalCommunicator.run(worldSize: 2) { comm in
            try TrainingRun(trainer: Trainer(config: c, comm: comm), runDirectory: dir, progress: nil).run()
        }
        XCTAssertEqual(summaries[0].data.badLines, 2)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        XCTAssertEqual((json["data"] as! [String: Any])["bad_lines"] as? Int, 2)
    }
}
